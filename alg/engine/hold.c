// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Held packets. NFQUEUE lets us delay a verdict, and that is used where
 * rendering a packet at once is impossible: out-of-order packets wait
 * until the gap before them fills, and the rare LPRT/228 lines wait until
 * complete. Each direction keeps its held packets sorted by sequence
 * number; hold_drain() scans them in order up to the first gap and
 * releases every packet whose bytes are all decided.
 *
 * Holding is bounded in packets, bytes and time (alg_policy): past a
 * bound the line is given up on (passed unrewritten, no data port
 * opened, reason reported), and out-of-order packets are dropped for the
 * sender to retransmit.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

/* A held packet for p, still borrowing the caller's buffer. */
struct alg_held *held_new(uint32_t id, struct pkt *p, uint64_t now)
{
	struct alg_held *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->id = id;
	h->data = p->data;
	h->len = p->len;
	h->cap = p->len;
	h->borrowed = true;
	h->seq = p->seq;
	h->paylen = p->paylen;
	h->since_ms = now;
	return h;
}

/* Make h own a buffer of at least need bytes holding its packet. */
int held_own(struct alg_held *h, size_t need)
{
	size_t cap = need + 256;
	uint8_t *b;

	if (!h->borrowed && h->cap >= need)
		return 0;
	b = malloc(cap);
	if (!b)
		return -ENOMEM;
	memcpy(b, h->data, h->len);
	if (!h->borrowed)
		free(h->data);
	h->data = b;
	h->cap = cap;
	h->borrowed = false;
	return 0;
}

void held_free(struct alg_held *h)
{
	if (!h->borrowed)
		free(h->data);
	free(h);
}

/* Free a whole list linked through next. */
void held_free_list(struct alg_held *h)
{
	struct alg_held *n;

	for (; h; h = n) {
		n = h->next;
		held_free(h);
	}
}

/* Insert sorted by seq; equal seqs keep arrival order. */
void stream_hold(struct alg_stream *st, struct alg_held *h)
{
	struct alg_held **pp = &st->held;

	while (*pp && !seq_before(h->seq, (*pp)->seq))
		pp = &(*pp)->next;
	h->next = *pp;
	*pp = h;
	h->on_list = true;
	st->nheld++;
	st->held_bytes += h->paylen;
}

void stream_unhold(struct alg_stream *st, struct alg_held *h)
{
	struct alg_held **pp = &st->held;

	while (*pp && *pp != h)
		pp = &(*pp)->next;
	if (*pp) {
		*pp = h->next;
		st->nheld--;
		st->held_bytes -= h->paylen;
		h->next = NULL;
		h->on_list = false;
	}
}

/*
 * Scan the new bytes of held packets in order, up to the first gap.
 * false: inspection stopped there (and everything held was released).
 */
static bool scan_held(struct alg_table *t, struct alg_session *s,
		      enum alg_dir dir, uint64_t now, struct alg_result *r)
{
	struct alg_stream *st = &s->st[dir];
	struct line_ctx lc = { .t = t, .s = s, .dir = dir, .r = r };
	enum alg_reason why = ALG_R_NONE;
	struct alg_held *h;
	int ret;

	for (h = st->held; h && s->inspect; h = h->next) {
		if (h->scanned)
			continue;
		if (seq_after(h->seq, st->nxt))
			break;			/* a gap before it */
		h->scanned = true;
		ret = stream_scan(st, h->seq, h->data + (h->len - h->paylen),
				  h->paylen, pairing_line, &lc, &why);
		if (ret == LINE_STOP_TLS) {
			engine_stop(t, s, dir, ALG_R_TLS_UNFOLLOWED, r);
			return false;
		}
		if (ret < 0) {
			engine_stop(t, s, dir, why, r);
			return false;
		}
		rewrite_split_update(&lc);
		st->pending = st->llen && !st->tainted &&
			      ftp_partial_must_hold(dir == ALG_DIR_ORIG,
						    st->line, st->llen);
		/* the partial line leaves now, as it is, unless held or
		 * rendered early: nothing may rewrite it afterwards */
		if (st->llen && !st->pending && st->early != ALG_EARLY_OPEN &&
		    st->early != ALG_EARLY_REWROTE)
			st->released = st->llen;
		if (st->pending && !st->hold_since_ms)
			st->hold_since_ms = now;
	}
	if (!st->pending)
		st->hold_since_ms = 0;
	return true;
}

/*
 * Scan what can be scanned, then release every packet whose bytes are
 * all decided (all of them once inspection has stopped).
 */
void hold_drain(struct alg_table *t, struct alg_session *s,
		enum alg_dir dir, uint64_t now, struct alg_result *r)
{
	struct alg_stream *st = &s->st[dir];
	struct alg_held *h, *next;
	unsigned ev0 = r->nev;
	uint32_t decided;
	bool go_on = scan_held(t, s, dir, now, r);

	violation_scan(s, r, ev0);
	if (!go_on)
		return;
	decided = st->pending ? st->line_seq : st->nxt;
	for (h = st->held; h; h = next) {
		next = h->next;
		if (s->inspect && (!h->scanned ||
				   seq_after(h->seq + h->paylen, decided)))
			continue;
		stream_unhold(st, h);
		render_release(t, s, dir, h, r);
	}
}

/* A split line took too long or too many pieces: pass it as it is. */
void hold_give_up(struct alg_table *t, struct alg_session *s,
		  enum alg_dir dir, enum alg_reason why, uint64_t now,
		  struct alg_result *r)
{
	struct alg_stream *st = &s->st[dir];
	struct alg_event *ev;

	if (!st->pending)
		return;
	st->pending = false;
	st->tainted = true;
	ev = ev_new(r, s, ALG_EV_REFUSE, why, dir);
	if (ev) {
		ev->value = t->pol.hold_ms;
		ev_line(&ev->line, st->line, st->llen);
	}
	hold_drain(t, s, dir, now, r);
}
