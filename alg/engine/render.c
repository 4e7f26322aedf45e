// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The packet that leaves, and its verdict: payload rendered through the
 * direction's corrections, seq mapped forward, ACK and SACK mapped back
 * through the other direction's corrections, checksums updated
 * incrementally (packet.c).
 */
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

struct alg_out *out_add(struct alg_result *r, uint32_t id)
{
	struct alg_out *o;

	/* sized in engine.h so that one call can never overflow it */
	if (r->nout >= ALG_MAX_OUT)
		abort();
	o = &r->out[r->nout++];
	o->id = id;
	o->verdict = ALG_V_ACCEPT;
	o->data = NULL;
	o->len = 0;
	return o;
}

/* ACK and SACK blocks of p, mapped back through os's corrections. */
static bool render_acks(struct alg_stream *os, struct pkt *p)
{
	uint32_t v, l, rr, nl, nr;
	bool mod = false;
	unsigned i;

	v = seqadj_unmap_ack(&os->adj, p->ack);
	seqadj_acked(&os->adj, v);
	if (v != p->ack) {
		pkt_set_ack(p, v);
		mod = true;
	}
	for (i = 0; i < p->nsack; i++) {
		pkt_get_sack(p, i, &l, &rr);
		nl = seqadj_unmap_left(&os->adj, l);
		nr = seqadj_unmap_ack(&os->adj, rr);
		if (nl != l || nr != rr) {
			pkt_set_sack(p, i, nl, nr);
			mod = true;
		}
	}
	return mod;
}

/* Turn an original packet into what leaves. */
static void render(struct alg_table *t, struct alg_session *s,
		   enum alg_dir dir, struct alg_held *h, struct alg_out *o)
{
	struct alg_stream *st = &s->st[dir];
	bool mod = false;
	struct pkt p;
	uint32_t v;
	size_t n;

	o->len = h->len;
	if (pkt_parse(&p, h->data, h->len) != PKT_OK)
		return;		/* parsed fine on entry: cannot happen */
	if (p.paylen && st->adj.n) {
		n = seqadj_render(&st->adj, p.seq, pkt_payload(&p), p.paylen,
				  t->scratch);
		if (n != p.paylen || memcmp(t->scratch, pkt_payload(&p), n)) {
			if (held_own(h, p.len - p.paylen + n) ||
			    pkt_parse(&p, h->data, h->len) != PKT_OK ||
			    pkt_set_payload(&p, h->cap, t->scratch, n)) {
				/* passing it unrendered would corrupt */
				o->verdict = ALG_V_DROP;
				s->cnt.dropped++;
				return;
			}
			h->len = p.len;
			mod = true;
		}
	}
	v = seqadj_map(&st->adj, p.seq);
	if (v != p.seq) {
		pkt_set_seq(&p, v);
		mod = true;
	}
	if ((p.flags & TCPF_ACK) && render_acks(&s->st[!dir], &p))
		mod = true;
	if (mod) {
		o->data = h->data;
		o->len = p.len;
	}
}

/*
 * Release h: its verdict, with the rendered packet. Its buffer backs the
 * verdict until the next call on the table (the graveyard).
 */
void render_release(struct alg_table *t, struct alg_session *s,
		    enum alg_dir dir, struct alg_held *h,
		    struct alg_result *r)
{
	struct alg_out *o = out_add(r, h->id);

	render(t, s, dir, h, o);
	violation_render(t, s, dir, h, o, r);
	h->next = t->graveyard;
	t->graveyard = h;
}

void render_drop(struct alg_table *t, struct alg_session *s,
		 struct alg_held *h, struct alg_result *r)
{
	out_add(r, h->id)->verdict = ALG_V_DROP;
	s->cnt.dropped++;
	h->next = t->graveyard;
	t->graveyard = h;
}
