// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Engine throughput and memory: packets per second through alg_process
 * for plain lines (sequence mapping only) and for PORT lines (parse,
 * rewrite, expectation, payload rendering), over many open sessions.
 * Prints figures and ratios; fails only if a packet lost its verdict.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

#include <fcntl.h>
#include <unistd.h>

#include "ftp-alg/engine.h"
#include "ftp-alg/state.h"
#include "engine_int.h"	/* sizes of the per-session state */
#include "journal.h"

#define SESSIONS	2000
#define ROUNDS		100

struct conn {
	uint32_t seq[2];
	uint16_t cport;
};

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

static size_t build(uint8_t *b, int dir, uint16_t cport, uint32_t seq,
		    uint32_t ack, uint8_t flags, const char *pay)
{
	size_t n = strlen(pay), len = 40 + n;
	uint32_t c = inet_addr("10.0.1.2"), s = inet_addr("198.51.100.10");
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
	size_t len = build(buf, dir, c->cport, c->seq[dir], c->seq[!dir],
			   flags, pay);

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

int main(void)
{
	struct alg_policy pol;
	struct alg_table *t;
	struct conn *cs = calloc(SESSIONS, sizeof(*cs));
	double plain, port, jport;
	size_t per_session;
	int i;

	alg_policy_default(&pol);
	t = alg_table_new(&pol, 0);
	if (!t || !cs)
		return 1;
	for (i = 0; i < SESSIONS; i++) {
		cs[i].cport = (uint16_t)(20000 + i);
		cs[i].seq[0] = 1000u * i;
		cs[i].seq[1] = 7777u * i;
		feed(t, &cs[i], 0, 0x02, "", 0);
		cs[i].seq[0]++;
		feed(t, &cs[i], 1, 0x12, "", 0);
		cs[i].seq[1]++;
		feed(t, &cs[i], 0, 0x10, "", 0);
	}
	plain = round_all(t, cs, false);
	port = round_all(t, cs, true);
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
	/* session struct + two line buffers (the engine's only per-session
	 * allocations while nothing is held) */
	per_session = sizeof(struct alg_session) + 2 * (pol.max_line + 1);

	printf("bench_engine: %d sessions, %d rounds each\n", SESSIONS, ROUNDS);
	printf("  plain lines (seq mapping only): %10.0f packets/s "
	       "(%.0f ns/packet)\n", plain, 1e9 / plain);
	printf("  PORT rewrite + 200 reply:       %10.0f packets/s "
	       "(%.0f ns/packet)\n", port, 1e9 / port);
	printf("  ratio plain/rewrite:            %10.2f\n", plain / port);
	printf("  PORT rewrite + 200, journalled: %10.0f packets/s "
	       "(%.0f ns/packet: %.0f ns per journal record, %.0f bytes "
	       "each)\n", jport, 1e9 / jport, 1e9 / jport - 1e9 / port,
	       (double)journal_bytes / (2.0 * SESSIONS * ROUNDS));
	printf("  memory per session:             %10zu bytes "
	       "(%zu KiB for %d sessions), plus %zu bytes per "
	       "unacknowledged rewrite\n", per_session,
	       per_session * SESSIONS / 1024, SESSIONS,
	       sizeof(struct seqadj_corr));
	printf("  packets %llu, verdicts %llu\n", (unsigned long long)packets,
	       (unsigned long long)verdicts);
	alg_table_free(t);
	free(cs);
	if (verdicts != packets) {
		printf("bench_engine: %llu packets without a verdict\n",
		       (unsigned long long)(packets - verdicts));
		return 1;
	}
	return 0;
}
