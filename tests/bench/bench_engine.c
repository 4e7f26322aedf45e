// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Engine throughput and memory: packets per second through alg_process
 * for plain lines (sequence mapping only), for PORT lines (parse,
 * rewrite, expectation, payload rendering), and for a recorded control
 * connection mix (tests/bench/mix.txt, with and without its address
 * lines), over many open sessions; then the heap bytes per idle session
 * at 100,000 sessions (mallinfo2).
 *
 *   bench_engine [MIX_FILE]
 *
 * Prints figures, ratios and the targets of issue #9 as PASS/FAIL lines;
 * fails if a packet lost its verdict or an idle session costs more than
 * 1 KiB (speed targets are printed, not enforced: machines differ).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

#include <fcntl.h>
#include <malloc.h>
#include <unistd.h>

#include "ftp-alg/engine.h"
#include "ftp-alg/state.h"
#include "engine_int.h"	/* sizes of the per-session state */
#include "journal.h"

#define SESSIONS	2000
#define ROUNDS		100
#define MIX_ROUNDS	10
#define IDLE_SESSIONS	100000
#define IDLE_MAX_BYTES	1024	/* issue #9's target per idle session */
#define PLAIN_MIX_PPS	2e6	/* and per core on the plain mix */
#define MIX_MAX		256	/* segments in the mix */

#ifndef BENCH_MIX_FILE
#define BENCH_MIX_FILE	"tests/bench/mix.txt"
#endif

struct conn {
	uint32_t seq[2];
	uint16_t cport;
	uint32_t caddr;		/* client address, network order */
};

/* One segment of the recorded mix. */
struct seg {
	int dir;		/* 0 client, 1 server */
	bool addr;		/* a line that announces an address */
	char text[128];		/* with its "\r\n" */
};

static struct seg mix[MIX_MAX];
static unsigned nmix;

static struct alg_result res;
static uint64_t verdicts, packets, journal_bytes;
/* >= 0: each data packet's session state goes to this journal file, as
 * ftp-algd appends it before the verdicts */
static int journal_fd = -1;

static void journal(const struct alg_session *s, uint64_t now)
{
	static uint8_t b[JOURNAL_REC_MAX];
	int n = alg_state_export(s, now, b + JOURNAL_HEAD, ALG_STATE_MAX);
	size_t len;

	if (n < 0)
		abort();
	len = journal_frame(b, JR_SESSION, b + JOURNAL_HEAD, (size_t)n);
	if (write(journal_fd, b, len) != (ssize_t)len)
		abort();
	journal_bytes += len;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t build(uint8_t *b, int dir, uint32_t c, uint16_t cport,
		    uint32_t seq, uint32_t ack, uint8_t flags, const char *pay)
{
	size_t n = strlen(pay), len = 40 + n;
	uint32_t s = inet_addr("198.51.100.10");
	struct pkt p;
	uint16_t sum;

	memset(b, 0, 40);
	b[0] = 0x45;
	b[2] = (uint8_t)(len >> 8);
	b[3] = (uint8_t)len;
	b[8] = 64;
	b[9] = 6;
	memcpy(b + 12, dir ? &s : &c, 4);
	memcpy(b + 16, dir ? &c : &s, 4);
	b[20] = (uint8_t)((dir ? 21 : cport) >> 8);
	b[21] = (uint8_t)(dir ? 21 : cport);
	b[22] = (uint8_t)((dir ? cport : 21) >> 8);
	b[23] = (uint8_t)(dir ? cport : 21);
	seq = htonl(seq);
	ack = htonl(ack);
	memcpy(b + 24, &seq, 4);
	memcpy(b + 28, &ack, 4);
	b[32] = 0x50;
	b[33] = flags;
	b[34] = 0xff;
	b[35] = 0xff;
	memcpy(b + 40, pay, n);
	pkt_parse(&p, b, len);
	sum = pkt_ip4_csum_full(&p);
	memcpy(b + 10, &sum, 2);
	sum = pkt_tcp_csum_full(&p);
	memcpy(b + 36, &sum, 2);
	return len;
}

static void feed(struct alg_table *t, struct conn *c, int dir,
		 uint8_t flags, const char *pay, uint64_t now)
{
	static uint8_t buf[2048];
	static uint32_t id;
	struct alg_session *s;
	enum alg_dir d;
	struct pkt p;
	size_t len = build(buf, dir, c->caddr, c->cport, c->seq[dir],
			   c->seq[!dir], flags, pay);

	pkt_parse(&p, buf, len);
	alg_result_reset(&res);
	if (alg_track(t, &p, now, &s, &d, &res))
		return;
	if (!alg_session_nat_known(s) && p.paylen) {
		struct alg_nat nat = { .known = true };

		nat.client_pub.v4.s_addr = inet_addr("203.0.113.1");
		nat.server_pub.v4.s_addr = inet_addr("198.51.100.10");
		alg_session_set_nat(s, &nat);
	}
	alg_process(t, s, d, &p, id++, now, &res);
	if (journal_fd >= 0 && p.paylen)
		journal(s, now);
	packets++;
	verdicts += res.nout;
	c->seq[dir] += (uint32_t)strlen(pay);
}

/* One round on every session: returns packets per second. */
static double round_all(struct alg_table *t, struct conn *cs, bool port)
{
	double t0 = now_s(), dt;
	uint64_t p0 = packets;
	char line[64];
	int i, r;

	for (r = 0; r < ROUNDS; r++) {
		for (i = 0; i < SESSIONS; i++) {
			if (port)
				snprintf(line, sizeof(line),
					 "PORT 10,0,1,2,%d,%d\r\n",
					 4 + r % 200, i % 256);
			else
				snprintf(line, sizeof(line), "NOOP\r\n");
			feed(t, &cs[i], 0, 0x18, line, 1000);
			feed(t, &cs[i], 1, 0x18, "200 ok\r\n", 1000);
		}
	}
	dt = now_s() - t0;
	return (packets - p0) / dt;
}

/* Read the mix: 0, or -1 with a message. */
static int mix_load(const char *path)
{
	char line[256];
	FILE *f = fopen(path, "r");
	unsigned no = 0;

	if (!f) {
		perror(path);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		size_t n = strcspn(line, "\r\n");
		struct seg *g;

		no++;
		line[n] = '\0';
		if (!n || line[0] == '#')
			continue;
		if ((line[0] != 'C' && line[0] != 'S') || line[1] != ' ' ||
		    n - 2 + 3 > sizeof(g->text) || nmix == MIX_MAX) {
			fprintf(stderr, "%s:%u: want \"C text\" or \"S text\" "
				"(at most %zu bytes, %d lines)\n", path, no,
				sizeof(g->text) - 3, MIX_MAX);
			fclose(f);
			return -1;
		}
		g = &mix[nmix++];
		g->dir = line[0] == 'S';
		memcpy(g->text, line + 2, n - 2);
		memcpy(g->text + n - 2, "\r\n", 3);
		g->addr = !strncmp(line + 2, "PORT ", 5) ||
			  !strncmp(line + 2, "EPRT ", 5) ||
			  !strcmp(line + 2, "PASV") || !strcmp(line + 2, "EPSV") ||
			  !strncmp(line + 2, "227 ", 4) ||
			  !strncmp(line + 2, "229 ", 4);
	}
	fclose(f);
	if (!nmix) {
		fprintf(stderr, "%s: no segments\n", path);
		return -1;
	}
	return 0;
}

/* The mix on every session, each segment ACKed by the other side:
 * packets per second. plain: without the address lines. */
static double round_mix(struct alg_table *t, struct conn *cs, bool plain)
{
	double t0 = now_s(), dt;
	uint64_t p0 = packets;
	unsigned g;
	int i, r;

	for (r = 0; r < MIX_ROUNDS; r++) {
		for (i = 0; i < SESSIONS; i++) {
			for (g = 0; g < nmix; g++) {
				if (plain && mix[g].addr)
					continue;
				feed(t, &cs[i], mix[g].dir, 0x18,
				     mix[g].text, 1000);
				feed(t, &cs[i], !mix[g].dir, 0x10, "", 1000);
			}
		}
	}
	dt = now_s() - t0;
	return (packets - p0) / dt;
}

/* Handshake, greeting and login on n new sessions of t. */
static void open_sessions(struct alg_table *t, struct conn *cs, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		cs[i].caddr = htonl(0x0a000102u + (uint32_t)(i / 40000));
		cs[i].cport = (uint16_t)(20000 + i % 40000);
		cs[i].seq[0] = 1000u * (uint32_t)i;
		cs[i].seq[1] = 7777u * (uint32_t)i;
		feed(t, &cs[i], 0, 0x02, "", 0);
		cs[i].seq[0]++;
		feed(t, &cs[i], 1, 0x12, "", 0);
		cs[i].seq[1]++;
		feed(t, &cs[i], 0, 0x10, "", 0);
	}
}

/* Heap bytes per session at IDLE_SESSIONS logged-in, idle sessions (the
 * table's hash included), 0 on failure, or UNMEASURED when mallinfo2 does
 * not see the heap (a sanitizer's allocator). */
#define UNMEASURED	((size_t)-1)
static size_t idle_bytes(const struct alg_policy *pol0)
{
	struct conn *cs = calloc(IDLE_SESSIONS, sizeof(*cs));
	struct alg_policy pol = *pol0;
	struct alg_table *t;
	size_t before, after;
	int i;

	if (!cs)
		return 0;
	pol.max_sessions = 2 * IDLE_SESSIONS;
	/* 40,000 sessions per client address: no per-client limit here */
	pol.max_sessions_per_client = 0;
	pol.reserve_pct = 0;
	malloc_trim(0);
	before = mallinfo2().uordblks;
	t = alg_table_new(&pol, 0);
	if (!t)
		return 0;
	open_sessions(t, cs, IDLE_SESSIONS);
	for (i = 0; i < IDLE_SESSIONS; i++) {
		feed(t, &cs[i], 1, 0x18, "220 ready\r\n", 1000);
		feed(t, &cs[i], 0, 0x18, "USER anonymous\r\n", 1000);
		feed(t, &cs[i], 1, 0x18, "331 password\r\n", 1000);
		feed(t, &cs[i], 0, 0x10, "", 1000);
	}
	after = mallinfo2().uordblks;
	if (alg_table_count(t) != IDLE_SESSIONS) {
		fprintf(stderr, "bench_engine: %u sessions, want %d\n",
			alg_table_count(t), IDLE_SESSIONS);
		return 0;
	}
	alg_table_free(t);
	free(cs);
	if (after <= before)
		return UNMEASURED;
	return (after - before) / IDLE_SESSIONS;
}

static void target(const char *what, bool ok)
{
	printf("  target %-52s %s\n", what, ok ? "PASS" : "FAIL");
}

int main(int argc, char **argv)
{
	struct alg_policy pol;
	struct alg_table *t;
	struct conn *cs = calloc(SESSIONS, sizeof(*cs));
	double plain, port, jport, mixed, mplain;
	size_t idle;
	int rc = 0;

	if (mix_load(argc > 1 ? argv[1] : BENCH_MIX_FILE))
		return 2;
	alg_policy_default(&pol);
	/* the sessions share client addresses: no per-client limit here */
	pol.max_sessions_per_client = 0;
	pol.reserve_pct = 0;
	t = alg_table_new(&pol, 0);
	if (!t || !cs)
		return 1;
	open_sessions(t, cs, SESSIONS);
	if (alg_table_count(t) != SESSIONS) {
		fprintf(stderr, "bench_engine: %u of %d sessions tracked\n",
			alg_table_count(t), SESSIONS);
		return 1;
	}
	plain = round_all(t, cs, false);
	port = round_all(t, cs, true);
	mixed = round_mix(t, cs, false);
	mplain = round_mix(t, cs, true);
	/* the same PORT rounds, each data packet journalled (tmpfs, as
	 * /run is) */
	{
		char path[] = "/dev/shm/bench-journal.XXXXXX";

		journal_fd = mkstemp(path);
		if (journal_fd < 0)
			return 1;
		unlink(path);
		jport = round_all(t, cs, true);
		close(journal_fd);
		journal_fd = -1;
	}
	alg_table_free(t);
	free(cs);
	idle = idle_bytes(&pol);

	printf("bench_engine: %d sessions, %d rounds each (mix: %u segments, "
	       "%d rounds)\n", SESSIONS, ROUNDS, nmix, MIX_ROUNDS);
	printf("  plain lines (seq mapping only): %10.0f packets/s "
	       "(%.0f ns/packet)\n", plain, 1e9 / plain);
	printf("  PORT rewrite + 200 reply:       %10.0f packets/s "
	       "(%.0f ns/packet)\n", port, 1e9 / port);
	printf("  ratio plain/rewrite:            %10.2f\n", plain / port);
	printf("  recorded mix, plain:            %10.0f packets/s "
	       "(%.0f ns/packet)\n", mplain, 1e9 / mplain);
	printf("  recorded mix, with addresses:   %10.0f packets/s "
	       "(%.0f ns/packet)\n", mixed, 1e9 / mixed);
	printf("  PORT rewrite + 200, journalled: %10.0f packets/s "
	       "(%.0f ns/packet: %.0f ns per journal record, %.0f bytes "
	       "each)\n", jport, 1e9 / jport, 1e9 / jport - 1e9 / port,
	       (double)journal_bytes / (2.0 * SESSIONS * ROUNDS));
	printf("  memory per idle session:        %10zd bytes at %d sessions "
	       "(heap, mallinfo2; struct %zu), plus %zu bytes per "
	       "unacknowledged rewrite\n", (ssize_t)idle, IDLE_SESSIONS,
	       sizeof(struct alg_session), sizeof(struct seqadj_corr));
	printf("  packets %llu, verdicts %llu\n", (unsigned long long)packets,
	       (unsigned long long)verdicts);
	printf("bench_engine: engine_pps_plain_mix=%.0f engine_pps_mix=%.0f "
	       "idle_session_bytes=%zd\n", mplain, mixed, (ssize_t)idle);
	target("engine >= 2 M packets/s per core, plain mix:",
	       mplain >= PLAIN_MIX_PPS);
	if (idle == UNMEASURED)
		printf("  target <= 1 KiB per idle session: not measured "
		       "(mallinfo2 sees no heap in this build)\n");
	else
		target("<= 1 KiB per idle session at 100,000 sessions:",
		       idle && idle <= IDLE_MAX_BYTES);
	if (verdicts != packets) {
		printf("bench_engine: %llu packets without a verdict\n",
		       (unsigned long long)(packets - verdicts));
		rc = 1;
	}
	if (!idle || (idle != UNMEASURED && idle > IDLE_MAX_BYTES))
		rc = 1;
	return rc;
}
