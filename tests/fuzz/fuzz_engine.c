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
 * Each direction has one true byte stream: a byte sent again (a resend,
 * an overlap) is always the byte sent first, as with a real TCP sender.
 *
 * Invariants checked on every call (abort on violation): every packet
 * gets exactly one verdict, once; every released packet parses and has
 * correct checksums; nothing is released that was never queued; released
 * payload never disagrees with payload released before at the same
 * output position; and, while inspection runs, what was released has no
 * hole (the receiver would wait forever for it).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "ftp-alg/engine.h"

#define MAX_IDS	4096
#define STREAM	8192	/* original bytes per direction */
#define OUTSPACE (4 * STREAM)

/* an invariant broke: say which, then let libFuzzer keep the input */
#define FAIL(why) do { fprintf(stderr, "fuzz_engine: %s\n", why); \
			abort(); } while (0)

struct fz {
	struct alg_table *t;
	struct alg_result r;
	uint8_t pending[MAX_IDS];	/* 1: queued, no verdict yet */
	uint8_t orig[MAX_IDS][400];	/* each queued packet, as queued */
	uint16_t olen[MAX_IDS];
	uint32_t next_id;
	uint64_t now;
	int family;
	union alg_addr ca, sa, cpub, spub;
	uint32_t isn[2], off[2];
	/* the true streams */
	uint8_t truth[2][STREAM];
	bool known[2][STREAM];
	/* what the peers received, by output offset */
	uint8_t out[2][OUTSPACE];
	bool have[2][OUTSPACE];
	uint32_t lo[2], hi[2];
	bool exempt;		/* inspection stopped: holes are allowed */
	unsigned opens;		/* sessions on the tuple; > 1: new mappings */
	bool flushing;		/* the final flush: its CLOSE is expected */
};

static void place(struct fz *f, const struct pkt *p);

static void check(struct fz *f)
{
	unsigned i;

	for (i = 0; i < f->r.nev; i++) {
		const struct alg_event *ev = &f->r.ev[i];

#ifdef FZDEBUG
		fprintf(stderr, "  ev %s: %s\n", alg_ev_name(ev->type),
			alg_reason_name(ev->reason));
#endif
		if (ev->reason <= ALG_R_NONE || ev->reason >= ALG_R_MAX)
			FAIL("event without a reason");
		if (ev->line.len > sizeof(ev->line.b) ||
		    ev->line_new.len > sizeof(ev->line_new.b))
			FAIL("event line longer than its buffer");
		/* an FTPS session goes on being inspected (tls.c): its
		 * releases keep every invariant */
		if (f->r.ev[i].type == ALG_EV_STOP ||
		    (f->r.ev[i].type == ALG_EV_CLOSE && !f->flushing))
			f->exempt = true;
		if (f->r.ev[i].type == ALG_EV_OPEN)
			f->opens++;
	}
	for (i = 0; i < f->r.nout; i++) {
		const struct alg_out *o = &f->r.out[i];
		struct pkt p;

		if (o->id >= MAX_IDS || f->pending[o->id] != 1)
			FAIL("verdict for an unknown id or a second verdict");
		f->pending[o->id] = 0;
		if (o->verdict == ALG_V_DROP) {
#ifdef FZDEBUG
			fprintf(stderr, "  drop id %u\n", o->id);
#endif
			continue;
		}
		if (o->data) {
			static uint8_t copy[70000];

			if (o->len > sizeof(copy))
				FAIL("released packet too long");
			memcpy(copy, o->data, o->len);
			if (pkt_parse(&p, copy, o->len) != PKT_OK)
				FAIL("released packet does not parse");
			if (!pkt_csum_ok(&p))
				FAIL("released packet has a bad checksum");
		} else {
			if (pkt_parse(&p, f->orig[o->id], f->olen[o->id]) !=
			    PKT_OK)
				FAIL("original packet does not parse");
		}
		place(f, &p);
	}
	alg_result_reset(&f->r);
}

/* What the receiver gets: payload placed by output sequence number. */
static void place(struct fz *f, const struct pkt *p)
{
	int dir = memcmp(&p->saddr, &f->ca, f->family == AF_INET ? 4 : 16) ?
		  1 : 0;
	uint32_t off = p->seq - (f->isn[dir] + 1), i;

	if (p->flags & (TCPF_SYN | TCPF_RST) || !p->paylen)
		return;
	if (off >= OUTSPACE || off + p->paylen > OUTSPACE)
		return;		/* before the stream start: not modelled */
#ifdef FZDEBUG
	fprintf(stderr, "  out dir %d @%u len %u: \"%.*s\"\n", dir, off, p->paylen, p->paylen,
		(const char *)pkt_payload(p));
#endif
	for (i = 0; i < p->paylen; i++) {
		if (f->opens <= 1 && f->have[dir][off + i] &&
		    f->out[dir][off + i] != pkt_payload(p)[i]) {
#ifdef FZDEBUG
			fprintf(stderr, "conflict dir %d out @%u\n", dir,
				off + i);
#endif
			FAIL("released bytes disagree with earlier ones");
		}
		f->have[dir][off + i] = true;
		f->out[dir][off + i] = pkt_payload(p)[i];
	}
	if (!f->hi[dir] || off < f->lo[dir])
		f->lo[dir] = off;
	if (off + p->paylen > f->hi[dir])
		f->hi[dir] = off + p->paylen;
}

static void check_no_holes(struct fz *f)
{
	uint32_t i;
	int d;

	if (f->exempt)
		return;
	for (d = 0; d < 2; d++)
		for (i = f->lo[d]; i < f->hi[d]; i++)
			if (!f->have[d][i])
				FAIL("hole in the released stream");
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
	/* docs/security.md: the strict settings, and two pinholes */
	pol.violation_reset = data[0] & 0x04;
	pol.active_on_reply = data[0] & 0x04;
	pol.max_pinholes_per_session = 1 + (data[0] & 0x04 ? 1 : 0);
	f.family = data[0] & 1 ? AF_INET6 : AF_INET;
	f.now = 1000;
	f.t = alg_table_new(&pol, 3);
	if (!f.t)
		return 0;
	/* a trace watching: LINE events must never cost a verdict */
	alg_table_set_trace_lines(f.t, data[0] & 0x04);
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
		uint8_t flags = TCPF_ACK, pay[256];
		struct alg_session *s;
		enum alg_dir d;
		struct pkt p;
		size_t n;

		i += 3;
		if (len > size - i)
			len = (uint8_t)(size - i);
		if (op & 0x08) {
			i += len;	/* a SYN carries no payload here */
			len = 0;
		}
		{
			/* the payload: the true stream where known */
			int64_t at = (int64_t)f.off[dir] + jit;
			unsigned k;

			if (op & 0x40)
				at -= len;
			else if (op & 0x80)
				at += 8;
			if (at < 0 || at + len > STREAM) {
				i += len;
				continue;
			}
			for (k = 0; k < len; k++) {
				if (!f.known[dir][at + k]) {
					f.truth[dir][at + k] = data[i + k];
					f.known[dir][at + k] = true;
				}
				pay[k] = f.truth[dir][at + k];
			}
		}
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
		n = build(&f, dir, seq, ack, flags, pay, len,
			  op & 0x20 ? sack : NULL, buf);
		i += len;
		if (!(op & 0x08) && !(op & 0x40) &&
		    seq - (f.isn[dir] + 1) + len > f.off[dir])
			f.off[dir] = seq - (f.isn[dir] + 1) + len;
		if (pkt_parse(&p, buf, n) != PKT_OK)
			FAIL("harness packet does not parse");
#ifdef FZDEBUG
		fprintf(stderr, "in dir %d @%d flags %x: \"%.*s\"\n", dir,
			(int)(seq - (f.isn[dir] + 1)), p.flags, p.paylen,
			(const char *)pkt_payload(&p));
#endif
		if (alg_track(f.t, &p, f.now, &s, &d, &f.r) == 0) {
			struct alg_nat nat = { .known = true };
			struct alg_session_info si;

			/* picked up mid-stream: what came before is unseen */
			alg_session_info(s, &si);
			if (si.midstream)
				f.exempt = true;
			if (!alg_session_nat_known(s) && p.paylen) {
				nat.client_pub = f.cpub;
				nat.server_pub = f.spub;
				alg_session_set_nat(s, &nat);
			}
			if (f.next_id >= MAX_IDS)
				break;
			f.pending[f.next_id] = 1;
			memcpy(f.orig[f.next_id], buf, n);
			f.olen[f.next_id] = (uint16_t)n;
			alg_process(f.t, s, d, &p, f.next_id++, f.now, &f.r);
		}
		check(&f);
	}
	/* everything still held is released (or dropped past a gap) */
	f.flushing = true;
	while (alg_table_flush(f.t, f.now, &f.r))
		check(&f);
	check(&f);
	check_no_holes(&f);
	for (i = 0; i < f.next_id; i++)
		if (f.pending[i])
			FAIL("a packet never got a verdict");
	alg_table_free(f.t);
	return 0;
}
