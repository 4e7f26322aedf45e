// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One direction of a control connection as a byte stream: bytes are placed
 * by TCP sequence number and cut into lines by stream position, never by
 * packet boundaries.
 *
 * The stream keeps only the line being assembled. Packets whose bytes are
 * not yet decided (they are out of order, or carry part of a line that may
 * still need rewriting) are kept on the held list, sorted by sequence
 * number, until engine.c can render and release them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ftp-alg/engine.h"
#include "stream.h"

int stream_init(struct alg_stream *st, unsigned max_line)
{
	memset(st, 0, sizeof(*st));
	st->line = malloc(max_line + 1);
	if (!st->line)
		return -ENOMEM;
	seqadj_init(&st->adj);
	return 0;
}

void stream_free(struct alg_stream *st)
{
	struct alg_held *h, *n;

	for (h = st->held; h; h = n) {
		n = h->next;
		held_free(h);
	}
	st->held = NULL;
	st->nheld = 0;
	st->held_bytes = 0;
	free(st->line);
	st->line = NULL;
	seqadj_free(&st->adj);
}

void stream_sync(struct alg_stream *st, uint32_t nxt, bool at_line_start)
{
	st->synced = true;
	st->nxt = nxt;
	st->line_seq = nxt;
	st->llen = 0;
	st->pending = false;
	st->tainted = false;
	st->at_line_start = at_line_start;
}

/*
 * Feed bytes p[0..n) that start at seq; only those at or after st->nxt are
 * new. Returns 0, or a negative code with *why set when the stream can no
 * longer be inspected (the bytes already consumed stay consumed).
 */
int stream_scan(struct alg_stream *st, uint32_t seq, const uint8_t *p,
		size_t n, unsigned max_line, stream_line_fn fn, void *ctx,
		const char **why)
{
	uint32_t end = seq + (uint32_t)n;
	size_t i;
	int err;

	if (!seq_after(end, st->nxt))
		return 0;
	if (seq_after(seq, st->nxt))
		return -EINVAL;		/* a gap: caller bug */
	for (i = st->nxt - seq; i < n; i++) {
		uint8_t c = p[i];

		st->nxt++;
		if (!st->at_line_start) {
			/* picked up mid-stream: wait for a real line start */
			if (c == '\n') {
				st->at_line_start = true;
				st->line_seq = st->nxt;
			}
			continue;
		}
		if (c == '\n') {
			size_t len = st->llen;

			st->line_cr = len && st->line[len - 1] == '\r';
			if (st->line_cr)
				len--;
			st->line[len] = '\0';
			err = fn(ctx, st->line, len, st->line_seq);
			st->llen = 0;
			st->line_seq = st->nxt;
			st->pending = false;
			st->tainted = false;
			if (err)
				return err;
			continue;
		}
		if (c == '\0') {
			*why = "NUL byte in a control line";
			return -EILSEQ;
		}
		if (st->llen >= max_line) {
			*why = "control line longer than the limit";
			return -E2BIG;
		}
		st->line[st->llen++] = (char)c;
	}
	return 0;
}

void held_free(struct alg_held *h)
{
	if (!h->borrowed)
		free(h->data);
	free(h);
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
