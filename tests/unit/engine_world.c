// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine_world.h"
#include "ftp-alg/state.h"
#include "testutil.h"

static uint32_t sent_len[2];

uint32_t w_sent_len(const struct world *w, int dir)
{
	(void)w;
	return sent_len[dir];
}

/* Check one released packet and place its payload in the output stream. */
static void w_take(struct world *w, const struct alg_out *o)
{
	struct w_sent *sp = &w->sent[o->id % W_SENT];
	uint8_t buf[2048];
	struct pkt p;
	uint32_t off;
	size_t len, i;
	int dir = sp->dir;

	if (!sp->used)
		fail_msg("verdict for unknown packet id %u", o->id);
	sp->used = false;
	if (o->verdict == ALG_V_DROP) {
		w->dropped++;
		return;
	}
	w->released++;
	len = o->data ? o->len : sp->len;
	assert_true(len <= sizeof(buf));
	memcpy(buf, o->data ? o->data : sp->buf, len);
	if (pkt_parse(&p, buf, len) != PKT_OK)
		fail_msg("released packet %u does not parse", o->id);
	if (!pkt_csum_ok(&p))
		fail_msg("released packet %u has a bad checksum", o->id);
	if (p.flags & TCPF_RST)
		w->rst_out[dir]++;
	if (p.flags & TCPF_SYN)
		return;
	off = p.seq - (w->isn[dir] + 1);
	for (i = 0; i < p.paylen; i++) {
		uint32_t k = off + (uint32_t)i;

		assert_true(k < W_STREAM);
		if (w->have[dir][k] && w->out[dir][k] != pkt_payload(&p)[i])
			fail_msg("dir %d offset %u released twice with "
				 "different bytes ('%c' then '%c')", dir, k,
				 w->out[dir][k], pkt_payload(&p)[i]);
		w->have[dir][k] = true;
		w->out[dir][k] = pkt_payload(&p)[i];
	}
	while (w->contig[dir] < W_STREAM && w->have[dir][w->contig[dir]])
		w->contig[dir]++;
	if (p.flags & TCPF_ACK) {
		/* never acknowledge what the other side has not sent */
		uint32_t a = p.ack - (w->isn[!dir] + 1);

		if ((int32_t)(a - sent_len[!dir]) > 0)
			fail_msg("ack %u beyond the %u bytes sent", a,
				 sent_len[!dir]);
		w->max_ack_out[dir] = a;
	}
}

static void w_collect(struct world *w)
{
	unsigned i;

	for (i = 0; i < w->r.nev && w->nev < W_EV; i++)
		w->ev[w->nev++] = w->r.ev[i];
	for (i = 0; i < w->r.nout; i++)
		w_take(w, &w->r.out[i]);
	alg_result_reset(&w->r);
}

static uint32_t w_pkt(struct world *w, int dir, uint32_t seq, uint32_t ack,
		      uint8_t flags, const void *pay, size_t n,
		      const uint32_t *sack, unsigned nsack)
{
	struct tu_tcp tt = {
		.family = w->family,
		.src = dir ? w->saddr : w->caddr,
		.dst = dir ? w->caddr : w->saddr,
		.sport = dir ? w->sport : w->cport,
		.dport = dir ? w->cport : w->sport,
		.seq = seq, .ack = ack, .flags = flags,
		.sack = sack, .nsack = nsack,
		.ip4_optlen = w->ip4_optlen, .ip6_hbh = w->ip6_hbh,
	};
	uint32_t id = ++w->next_id;
	struct w_sent *sp = &w->sent[id % W_SENT];
	struct alg_session *s;
	enum alg_dir d;
	struct pkt p;
	int ret;

	assert_false(sp->used);
	sp->len = tu_build(&tt, pay, n, sp->buf, sizeof(sp->buf));
	sp->dir = dir;
	sp->used = true;
	assert_int_equal(pkt_parse(&p, sp->buf, sp->len), PKT_OK);
	/* the engine may rewrite in place: give it a copy like NFQUEUE */
	{
		static uint8_t copy[2048];

		memcpy(copy, sp->buf, sp->len);
		assert_int_equal(pkt_parse(&p, copy, sp->len), PKT_OK);
		ret = alg_track(w->t, &p, w->now, &s, &d, &w->r);
		assert_int_equal(ret, 0);
		assert_int_equal(d, dir);
		w->s = s;
		if (w->set_nat && !alg_session_nat_known(s) && p.paylen)
			alg_session_set_nat(s, &w->nat);
		alg_process(w->t, s, d, &p, id, w->now, &w->r);
		w_collect(w);
	}
	return id;
}

/* SYN, SYN-ACK, ACK of the world's connection: w->s is its session. */
static void w_handshake(struct world *w)
{
	uint32_t c = w->isn[0], s = w->isn[1];

	w_pkt(w, 0, c, 0, TCPF_SYN, NULL, 0, NULL, 0);
	w_pkt(w, 1, s, c + 1, TCPF_SYN | TCPF_ACK, NULL, 0, NULL, 0);
	w_pkt(w, 0, c + 1, s + 1, TCPF_ACK, NULL, 0, NULL, 0);
}

struct world *w_new(int family, const char *caddr, const char *saddr,
		    const char *nat_cpub, const char *nat_spub,
		    uint32_t isn_c, uint32_t isn_s,
		    const struct alg_policy *pol)
{
	struct world *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	sent_len[0] = sent_len[1] = 0;
	w->family = family;
	snprintf(w->caddr, sizeof(w->caddr), "%s", caddr);
	snprintf(w->saddr, sizeof(w->saddr), "%s", saddr);
	w->cport = 40000;
	w->sport = 21;
	w->isn[0] = isn_c;
	w->isn[1] = isn_s;
	w->now = 1000000;
	if (pol)
		w->pol = *pol;
	else
		alg_policy_default(&w->pol);
	w->t = alg_table_new(&w->pol, 1);
	assert_non_null(w->t);
	w->set_nat = true;
	tu_addr(family, nat_cpub ? nat_cpub : caddr, &w->nat.client_pub);
	tu_addr(family, nat_spub ? nat_spub : saddr, &w->nat.server_pub);
	w->nat.known = true;

	w_handshake(w);
	return w;
}

void w_connect(struct world *w, uint16_t cport)
{
	sent_len[0] = sent_len[1] = 0;
	memset(w->out, 0, sizeof(w->out));
	memset(w->have, 0, sizeof(w->have));
	memset(w->contig, 0, sizeof(w->contig));
	memset(w->max_ack_out, 0, sizeof(w->max_ack_out));
	w->cport = cport;
	w_handshake(w);
}

void w_connect_midstream(struct world *w, uint16_t cport)
{
	sent_len[0] = sent_len[1] = 0;
	memset(w->out, 0, sizeof(w->out));
	memset(w->have, 0, sizeof(w->have));
	memset(w->contig, 0, sizeof(w->contig));
	memset(w->max_ack_out, 0, sizeof(w->max_ack_out));
	w->cport = cport;
}

struct world *w_masq(void)
{
	return w_new(AF_INET, "10.0.1.2", "198.51.100.10", "203.0.113.1",
		     NULL, 1000, 5000, NULL);
}

int w_restart(struct world *w, const struct alg_policy *pol)
{
	static uint8_t rec[ALG_STATE_MAX];
	struct alg_session *s = NULL;
	int n, ret;

	n = alg_state_export(w->s, w->now, rec, sizeof(rec));
	assert_true(n > 0);
	alg_table_free(w->t);
	w->t = alg_table_new(pol ? pol : &w->pol, 1);
	assert_non_null(w->t);
	ret = alg_state_import(w->t, rec, (size_t)n, w->now, &s);
	w->s = ret ? NULL : s;
	return ret;
}

void w_free(struct world *w)
{
	alg_table_free(w->t);
	free(w);
}

uint32_t w_send_x(struct world *w, int dir, uint32_t off, const void *p,
		  size_t n, uint8_t flags, const uint32_t *sack,
		  unsigned nsack)
{
	uint32_t ack = w->isn[!dir] + 1 + (uint32_t)w->contig[!dir];
	uint32_t s[8];
	unsigned i;

	/* SACK edges given as offsets of the other direction's output */
	for (i = 0; i < nsack * 2 && i < 8; i++)
		s[i] = w->isn[!dir] + 1 + sack[i];
	if (off + n > sent_len[dir])
		sent_len[dir] = off + (uint32_t)n;
	return w_pkt(w, dir, w->isn[dir] + 1 + off, ack,
		     flags ? flags : TCPF_ACK | TCPF_PSH, p, n,
		     nsack ? s : NULL, nsack);
}

uint32_t w_send(struct world *w, int dir, uint32_t off, const void *p,
		size_t n)
{
	return w_send_x(w, dir, off, p, n, 0, NULL, 0);
}

uint32_t w_line(struct world *w, int dir, const char *s)
{
	return w_send(w, dir, sent_len[dir], s, strlen(s));
}

void w_tick(struct world *w, uint64_t advance_ms)
{
	w->now += advance_ms;
	alg_tick(w->t, w->now, &w->r);
	w_collect(w);
}

const char *w_out(struct world *w, int dir)
{
	static char buf[2][W_STREAM + 1];

	memcpy(buf[dir], w->out[dir], w->contig[dir]);
	buf[dir][w->contig[dir]] = '\0';
	return buf[dir];
}

unsigned w_count(const struct world *w, enum alg_ev_type t)
{
	unsigned i, n = 0;

	for (i = 0; i < w->nev; i++)
		n += w->ev[i].type == t;
	return n;
}

const struct alg_event *w_ev(const struct world *w, enum alg_ev_type t,
			     unsigned n)
{
	unsigned i;

	for (i = 0; i < w->nev; i++)
		if (w->ev[i].type == t && n-- == 0)
			return &w->ev[i];
	fail_msg("no event %s #%u", alg_ev_name(t), n);
	return NULL;
}
