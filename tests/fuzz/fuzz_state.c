// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: arbitrary bytes as a session-state record (a
 * damaged or hostile state file, or a peer's replication stream).
 *
 * Invariants (abort on violation): import never crashes; a refused
 * record leaves the table empty; an accepted record exports to a record
 * that imports again and exports to the same bytes (the format is
 * canonical); an imported session survives packets of its tuple, its
 * timers and a flush, every packet getting exactly one verdict.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "ftp-alg/state.h"

#define FAIL(why) do { fprintf(stderr, "fuzz_state: %s\n", why); \
			abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out1[ALG_STATE_MAX], out2[ALG_STATE_MAX];

/* A TCP segment of s's tuple carrying pay, checksums left as they are. */
static size_t build(const struct alg_tuple *tu, int dir, uint32_t seq,
		    uint32_t ack, const char *pay, uint8_t *buf)
{
	size_t n = strlen(pay), ip = tu->family == AF_INET ? 20 : 40;
	const union alg_addr *src = dir ? &tu->saddr : &tu->caddr;
	const union alg_addr *dst = dir ? &tu->caddr : &tu->saddr;
	uint16_t sp = dir ? tu->sport : tu->cport;
	uint16_t dp = dir ? tu->cport : tu->sport;
	uint8_t *t = buf + ip;

	memset(buf, 0, ip + 20);
	if (tu->family == AF_INET) {
		buf[0] = 0x45;
		buf[2] = (uint8_t)((ip + 20 + n) >> 8);
		buf[3] = (uint8_t)(ip + 20 + n);
		buf[8] = 64;
		buf[9] = 6;
		memcpy(buf + 12, src->b, 4);
		memcpy(buf + 16, dst->b, 4);
	} else {
		buf[0] = 0x60;
		buf[4] = (uint8_t)((20 + n) >> 8);
		buf[5] = (uint8_t)(20 + n);
		buf[6] = 6;
		buf[7] = 64;
		memcpy(buf + 8, src->b, 16);
		memcpy(buf + 24, dst->b, 16);
	}
	t[0] = (uint8_t)(sp >> 8);
	t[1] = (uint8_t)sp;
	t[2] = (uint8_t)(dp >> 8);
	t[3] = (uint8_t)dp;
	seq = htonl(seq);
	ack = htonl(ack);
	memcpy(t + 4, &seq, 4);
	memcpy(t + 8, &ack, 4);
	t[12] = 5 << 4;
	t[13] = 0x18;		/* ACK PSH */
	t[14] = 0xff;
	t[15] = 0xff;
	memcpy(t + 20, pay, n);
	return ip + 20 + n;
}

/* Big-endian number of n bytes at b. */
static uint32_t be(const uint8_t *b, unsigned n)
{
	uint32_t v = 0;

	while (n--)
		v = v << 8 | *b++;
	return v;
}

/*
 * Where stream dir of an exported record goes on (its nxt), read by
 * walking the layout of docs/state-format.md: fixed part, then each
 * stream (18 fixed bytes, the line, base, n, corrections).
 */
static uint32_t record_nxt(const uint8_t *rec, size_t len, int dir)
{
	size_t off = 16 + 38 + 33 + 13 + 18 + 13 * 8;
	unsigned n, i;

	while (dir--) {
		if (off + 18 > len)
			return 0;
		off += 18 + be(rec + off + 16, 2);
		if (off + 5 > len)
			return 0;
		n = rec[off + 4];
		off += 5;
		for (i = 0; i < n && off + 10 <= len; i++)
			off += 10 + be(rec + off + 6, 2);
	}
	return off + 12 <= len ? be(rec + off + 8, 4) : 0;
}

/* Packets of the imported session at its stream positions, then timers
 * and a flush: every packet gets exactly one verdict. */
static void exercise(struct alg_table *t, struct alg_session *s,
		     const uint8_t *rec, size_t len, uint64_t now)
{
	static const char *const pay[] = {
		"PORT 10,0,1,2,4,1\r\n", ",2,3,4\r\n",
		"227 Entering Passive Mode (10,0,2,2,4,1)\r\n", "\r\n",
	};
	static struct alg_result r;
	struct alg_tuple tu = *alg_session_tuple(s);
	uint32_t seq[2], ack[2];
	unsigned i, queued = 0, verdicts = 0;
	uint8_t buf[256];
	enum alg_dir d;
	struct pkt p;

	for (i = 0; i < 2; i++)
		seq[i] = record_nxt(rec, len, (int)i);
	ack[0] = seq[1];
	ack[1] = seq[0];
	for (i = 0; i < 8; i++) {
		int dir = (int)(i & 1);
		const char *pl = pay[(i >> 1) & 3];
		size_t n = build(&tu, dir, seq[dir], ack[dir], pl, buf);

		if (pkt_parse(&p, buf, n) != PKT_OK)
			continue;	/* no checksums: still parses */
		alg_result_reset(&r);
		if (alg_track(t, &p, now, &s, &d, &r))
			continue;
		queued++;
		alg_process(t, s, d, &p, i, now, &r);
		verdicts += r.nout;
		seq[dir] += (uint32_t)strlen(pl);
		ack[!dir] = seq[dir];
	}
	do {
		alg_result_reset(&r);
		alg_tick(t, now + 5000, &r);
		verdicts += r.nout;
		alg_result_reset(&r);
		i = alg_table_flush(t, now + 5000, &r);
		verdicts += r.nout;
	} while (i);
	if (verdicts != queued)
		FAIL("a packet got no verdict, or two");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct alg_policy pol;
	struct alg_table *t;
	struct alg_session *s;
	int n1, n2, ret;

	alg_policy_default(&pol);
	t = alg_table_new(&pol, 1);
	if (!t)
		return 0;
	ret = alg_state_import(t, data, size, 1000000, &s);
	if (ret) {
		if (alg_table_count(t))
			FAIL("a refused record left a session behind");
		alg_table_free(t);
		return 0;
	}
	n1 = alg_state_export(s, 1000000, out1, sizeof(out1));
	if (n1 <= 0)
		FAIL("an imported session does not export");
	alg_table_free(t);
	t = alg_table_new(&pol, 1);
	if (!t)
		return 0;
	if (alg_state_import(t, out1, (size_t)n1, 1000000, &s))
		FAIL("an exported record does not import");
	n2 = alg_state_export(s, 1000000, out2, sizeof(out2));
	if (n1 != n2 || memcmp(out1, out2, (size_t)n1))
		FAIL("export, import, export is not identical");
	exercise(t, s, out2, (size_t)n2, 1000000);
	alg_table_free(t);
	return 0;
}
