// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Sequence-number adjustment: see seqadj.h for the model.
 *
 * The list is short (a control connection rarely has more than a few
 * unacknowledged rewrites), so every lookup is a linear walk carrying the
 * running delta of the corrections passed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "seqadj.h"

void seqadj_init(struct seqadj *a)
{
	a->base = 0;
	a->keep_last = false;
	a->n = 0;
	a->cap = 0;
	a->c = NULL;
}

void seqadj_free(struct seqadj *a)
{
	free(a->c);
	seqadj_init(a);
}

/* Output offset of a boundary at original offset k inside correction c. */
static uint32_t corr_f(const struct seqadj_corr *c, uint32_t k)
{
	if (k >= c->old_len)
		return c->new_len;
	return k < c->new_len ? k : c->new_len;
}

/* Largest k whose output [0, f(k)) lies within output [0, j). */
static uint32_t corr_floor(const struct seqadj_corr *c, uint32_t j)
{
	if (j >= c->new_len)
		return c->old_len == SEQADJ_OPEN ? c->seen : c->old_len;
	return j < c->old_len ? j : c->old_len - 1u;
}

/* Smallest k with f(k) >= j. */
static uint32_t corr_ceil(const struct seqadj_corr *c, uint32_t j)
{
	if (j > c->new_len)
		return c->old_len;
	if (j == c->new_len)
		return c->new_len < c->old_len ? c->new_len : c->old_len;
	return j < c->old_len ? j : c->old_len;
}

static uint32_t corr_end(const struct seqadj_corr *c)
{
	return c->pos + c->old_len;
}

int seqadj_add(struct seqadj *a, uint32_t pos, uint16_t old_len,
	       const uint8_t *repl, uint16_t new_len)
{
	struct seqadj_corr *c;

	if (old_len == 0 || new_len > SEQADJ_REPL_MAX)
		return -EINVAL;
	if (seqadj_is_open(a))
		return -EINVAL;
	if (a->n && seq_before(pos, corr_end(&a->c[a->n - 1])))
		return -EINVAL;
	if (a->n == SEQADJ_MAX)
		return -ENOSPC;
	if (a->n == a->cap) {
		/* most sessions never rewrite: start small, double */
		unsigned cap = a->cap ? a->cap * 2 : 2;

		c = realloc(a->c, cap * sizeof(*c));
		if (!c)
			return -ENOMEM;
		a->c = c;
		a->cap = cap;
	}
	c = &a->c[a->n++];
	c->pos = pos;
	c->old_len = old_len;
	c->new_len = new_len;
	c->seen = 0;
	memcpy(c->repl, repl, new_len);
	return 0;
}

bool seqadj_is_open(const struct seqadj *a)
{
	return a->n && a->c[a->n - 1].old_len == SEQADJ_OPEN;
}

int seqadj_open(struct seqadj *a, uint32_t pos, const uint8_t *repl,
		uint16_t new_len)
{
	return seqadj_add(a, pos, SEQADJ_OPEN, repl, new_len);
}

void seqadj_open_seen(struct seqadj *a, uint16_t seen)
{
	if (seqadj_is_open(a))
		a->c[a->n - 1].seen = seen;
}

bool seqadj_close(struct seqadj *a, const uint8_t *old, uint16_t old_len,
		  int term)
{
	struct seqadj_corr *c;

	if (!seqadj_is_open(a))
		return false;
	c = &a->c[a->n - 1];
	if (old_len && old_len == c->seen && c->seen < c->new_len) {
		if (term >= 0 && c->new_len < SEQADJ_REPL_MAX) {
			c->repl[c->new_len++] = (uint8_t)term;
			old_len++;
			old = NULL;	/* the terminator is not in old */
		} else {
			c->new_len = c->seen;
		}
	}
	c->old_len = old_len;
	/*
	 * A zero-length field was never rendered into anything; an
	 * identical one renders to the same bytes. Either way drop it.
	 */
	if (old_len == 0 || (old && old_len == c->new_len &&
			     !memcmp(old, c->repl, old_len))) {
		a->n--;
		return false;
	}
	return true;
}

uint32_t seqadj_map(const struct seqadj *a, uint32_t seq)
{
	uint32_t delta = a->base;
	unsigned i;

	for (i = 0; i < a->n; i++) {
		const struct seqadj_corr *c = &a->c[i];

		if (!seq_after(seq, c->pos))
			break;
		if (seq_before(seq, corr_end(c)))
			return c->pos + delta + corr_f(c, seq - c->pos);
		delta += (uint32_t)c->new_len - c->old_len;
	}
	return seq + delta;
}

static uint32_t unmap(const struct seqadj *a, uint32_t out, bool floor)
{
	uint32_t delta = a->base;
	unsigned i;

	for (i = 0; i < a->n; i++) {
		const struct seqadj_corr *c = &a->c[i];
		uint32_t opos = c->pos + delta;

		if (!seq_after(out, opos))
			break;
		if (seq_before(out, opos + c->new_len) ||
		    (out == opos + c->new_len && !floor))
			return c->pos + (floor ? corr_floor(c, out - opos) :
					 corr_ceil(c, out - opos));
		delta += (uint32_t)c->new_len - c->old_len;
	}
	return out - delta;
}

uint32_t seqadj_unmap_ack(const struct seqadj *a, uint32_t ack)
{
	return unmap(a, ack, true);
}

uint32_t seqadj_unmap_left(const struct seqadj *a, uint32_t left)
{
	return unmap(a, left, false);
}

int32_t seqadj_delta(const struct seqadj *a, uint32_t seq, uint32_t len)
{
	return (int32_t)(seqadj_map(a, seq + len) - seqadj_map(a, seq)) -
	       (int32_t)len;
}

size_t seqadj_render(const struct seqadj *a, uint32_t seq, const uint8_t *in,
		     size_t len, uint8_t *out)
{
	uint32_t end = seq + (uint32_t)len, cur = seq;
	size_t o = 0;
	unsigned i;

	for (i = 0; i < a->n && seq_before(cur, end); i++) {
		const struct seqadj_corr *c = &a->c[i];
		uint32_t k1, k2, f1, f2;

		if (!seq_after(corr_end(c), cur))
			continue;	/* entirely before the segment */
		if (!seq_before(c->pos, end))
			break;		/* entirely after it */
		if (seq_before(cur, c->pos)) {
			/* plain bytes up to the field */
			memcpy(out + o, in + (cur - seq), c->pos - cur);
			o += c->pos - cur;
			cur = c->pos;
		}
		k1 = cur - c->pos;
		k2 = (seq_before(end, corr_end(c)) ? end : corr_end(c)) - c->pos;
		f1 = corr_f(c, k1);
		f2 = corr_f(c, k2);
		memcpy(out + o, c->repl + f1, f2 - f1);
		o += f2 - f1;
		cur = c->pos + k2;
	}
	if (seq_before(cur, end)) {
		memcpy(out + o, in + (cur - seq), end - cur);
		o += end - cur;
	}
	return o;
}

void seqadj_acked(struct seqadj *a, uint32_t orig_ack)
{
	unsigned k = 0, n = a->n - (a->keep_last && a->n);

	/*
	 * Fold only when the list is getting full: a late retransmission of
	 * acknowledged bytes is harmless to render from the list, and
	 * keeping entries longer keeps such stragglers byte-exact.
	 */
	if (a->n < SEQADJ_MAX / 2)
		return;
	while (k < n && !seq_after(corr_end(&a->c[k]), orig_ack)) {
		a->base += (uint32_t)a->c[k].new_len - a->c[k].old_len;
		k++;
	}
	if (k) {
		memmove(a->c, a->c + k, (a->n - k) * sizeof(a->c[0]));
		a->n -= k;
	}
}
