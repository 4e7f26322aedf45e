// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: arbitrary segment sequences through the engine.
 *
 * The input is a header byte (family, NAT case, policy knobs) followed by
 * operations of three bytes plus payload:
 *   op     bit 0 direction, 1 FIN, 2 RST, 3 SYN, 4 advance the clock,
 *          5 carry a SACK block, 6 resend from earlier, 7 leave a gap
 *   jitter signed offset added to the direction's next sequence number
 *   len    payload bytes that follow
 * Invariants checked on every call (abort on violation): every packet
 * gets exactly one verdict, once; every released packet parses and has
 * correct checksums; nothing is released that was never queued.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "ftp-alg/engine.h"

#define MAX_IDS	4096

/* an invariant broke: say which, then let libFuzzer keep the input */
#define FAIL(why) do { fprintf(stderr, "fuzz_engine: %s\n", why); \
			abort(); } while (0)

struct fz {
	struct alg_table *t;
	struct alg_result r;
	uint8_t pending[MAX_IDS];	/* 1: queued, no verdict yet */
	uint32_t next_id;
	uint64_t now;
	int family;
	union alg_addr ca, sa, cpub, spub;
	uint32_t isn[2], off[2];
};

static void check(struct fz *f)
{
	unsigned i;

	for (i = 0; i < f->r.nout; i++) {
		const struct alg_out *o = &f->r.out[i];
		struct pkt p;

		if (o->id >= MAX_IDS || f->pending[o->id] != 1)
			FAIL("verdict for an unknown id or a second verdict");
		f->pending[o->id] = 0;
		if (o->data) {
			uint8_t copy[70000];

			if (o->len > sizeof(copy))
				FAIL("released packet too long");
			memcpy(copy, o->data, o->len);
			if (pkt_parse(&p, copy, o->len) != PKT_OK)
				FAIL("released packet does not parse");
			if (!pkt_csum_ok(&p))
				FAIL("released packet has a bad checksum");
		}
	}
	for (i = 0; i < f->r.nev; i++)
		if (f->r.ev[i].text[ALG_EV_TEXT - 1] != '\0')
			FAIL("event text not terminated");
	alg_result_reset(&f->r);
}

/* Build an IP/TCP packet with a correct checksum around pay. */
static size_t build(struct fz *f, int dir, uint32_t seq, uint32_t ack,
		    uint8_t flags, const uint8_t *pay, size_t n,
		    const uint32_t *sack, uint8_t *buf)
{
	size_t ipl = f->family == AF_INET ? 20 : 40;
	size_t optl = sack ? 12 : 0, tcpl = 20 + optl, len = ipl + tcpl + n;
	const union alg_addr *src = dir ? &f->sa : &f->ca;
	const union alg_addr *dst = dir ? &f->ca : &f->sa;
	uint8_t *th = buf + ipl;
	struct pkt p;

	memset(buf, 0, ipl + tcpl);
	if (f->family == AF_INET) {
		buf[0] = 0x45;
		buf[2] = (uint8_t)(len >> 8);
		buf[3] = (uint8_t)len;
		buf[8] = 64;
		buf[9] = IPPROTO_TCP;
		memcpy(buf + 12, src, 4);
		memcpy(buf + 16, dst, 4);
	} else {
		buf[0] = 0x60;
		buf[4] = (uint8_t)((len - 40) >> 8);
		buf[5] = (uint8_t)(len - 40);
		buf[6] = IPPROTO_TCP;
		buf[7] = 64;
		memcpy(buf + 8, src, 16);
		memcpy(buf + 24, dst, 16);
	}
	th[0] = dir ? 0 : 0x9c;
	th[1] = dir ? 21 : 0x40;
	th[2] = dir ? 0x9c : 0;
	th[3] = dir ? 0x40 : 21;
	seq = htonl(seq);
	ack = htonl(ack);
	memcpy(th + 4, &seq, 4);
	memcpy(th + 8, &ack, 4);
	th[12] = (uint8_t)((tcpl / 4) << 4);
	th[13] = flags;
	th[14] = 0xff;
	th[15] = 0xff;
	if (sack) {
		uint32_t l = htonl(sack[0]), r = htonl(sack[1]);

		th[20] = 1;
		th[21] = 1;
		th[22] = 5;
		th[23] = 10;
		memcpy(th + 24, &l, 4);
		memcpy(th + 28, &r, 4);
	}
	memcpy(th + tcpl, pay, n);
	if (pkt_parse(&p, buf, len) != PKT_OK)
		FAIL("harness built a bad packet");
	{
		uint16_t c;

		if (f->family == AF_INET) {
			c = pkt_ip4_csum_full(&p);
			memcpy(buf + 10, &c, 2);
		}
		c = pkt_tcp_csum_full(&p);
		memcpy(th + 16, &c, 2);
	}
	return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz f;
	struct alg_policy pol;
	size_t i = 1;
	uint8_t buf[2048];

	if (size < 1)
		return 0;
	memset(&f, 0, sizeof(f));
	alg_policy_default(&pol);
	pol.max_line = 64 + (data[0] & 0x30) * 4;
	pol.max_hold_pkts = 8 + (data[0] >> 6) * 40;
	pol.strict_pairing = data[0] & 0x08;
	f.family = data[0] & 1 ? AF_INET6 : AF_INET;
	f.now = 1000;
	f.t = alg_table_new(&pol, 3);
	if (!f.t)
		return 0;
	if (f.family == AF_INET) {
		inet_pton(AF_INET, "10.0.1.2", &f.ca);
		inet_pton(AF_INET, "10.0.2.2", &f.sa);
		inet_pton(AF_INET, "203.0.113.1", &f.cpub);
		inet_pton(AF_INET, data[0] & 2 ? "203.0.113.1" : "10.0.2.2",
			  &f.spub);
	} else {
		inet_pton(AF_INET6, "2001:db8:10::2", &f.ca);
		inet_pton(AF_INET6, "2001:db8:1::10", &f.sa);
		f.cpub = f.ca;
		f.spub = f.sa;
	}
	f.isn[0] = 0xfffff000u;
	f.isn[1] = 0x7ffffff0u;

	while (i + 3 <= size) {
		uint8_t op = data[i], len = data[i + 2];
		int8_t jit = (int8_t)data[i + 1];
		int dir = op & 1;
		uint32_t seq, ack, sack[2];
		uint8_t flags = TCPF_ACK;
		struct alg_session *s;
		enum alg_dir d;
		struct pkt p;
		size_t n;

		i += 3;
		if (len > size - i)
			len = (uint8_t)(size - i);
		if (op & 0x10) {
			f.now += (uint64_t)(uint8_t)jit * 20;
			alg_tick(f.t, f.now, &f.r);
			check(&f);
		}
		if (op & 0x08)
			flags = dir ? TCPF_SYN | TCPF_ACK : TCPF_SYN;
		if (op & 0x02)
			flags |= TCPF_FIN;
		if (op & 0x04)
			flags |= TCPF_RST;
		seq = f.isn[dir] + 1 + f.off[dir] + (uint32_t)(int32_t)jit;
		if (op & 0x08)
			seq = f.isn[dir];
		else if (op & 0x40)
			seq -= len;
		else if (op & 0x80)
			seq += 8;
		ack = f.isn[!dir] + 1 + f.off[!dir];
		sack[0] = ack + 10;
		sack[1] = ack + 10 + jit;
		n = build(&f, dir, seq, ack, flags, data + i, len,
			  op & 0x20 ? sack : NULL, buf);
		i += len;
		if (!(op & 0x08) && !(op & 0x40))
			f.off[dir] += len;
		if (pkt_parse(&p, buf, n) != PKT_OK)
			FAIL("harness packet does not parse");
		if (alg_lookup(f.t, &p, f.now, &s, &d, &f.r) == 0) {
			struct alg_nat nat = { .known = true };

			if (!s->nat.known && p.paylen) {
				nat.client_pub = f.cpub;
				nat.server_pub = f.spub;
				alg_session_set_nat(s, &nat);
			}
			if (f.next_id >= MAX_IDS)
				break;
			f.pending[f.next_id] = 1;
			alg_process(f.t, s, d, &p, f.next_id++, f.now, &f.r);
		}
		check(&f);
	}
	while (alg_table_flush(f.t, f.now, &f.r))
		check(&f);
	check(&f);
	for (i = 0; i < f.next_id; i++)
		if (f.pending[i])
			FAIL("a packet never got a verdict");
	alg_table_free(f.t);
	return 0;
}
