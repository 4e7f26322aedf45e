// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One direction of a control connection as a byte stream: bytes are placed
 * by TCP sequence number and cut into lines by stream position, never by
 * packet boundaries.
 *
 * The stream keeps only the line being assembled. Packets whose bytes are
 * not yet decided are held (hold.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

int stream_init(struct alg_stream *st, unsigned max_line)
{
	memset(st, 0, sizeof(*st));
	st->line = malloc(max_line + 1);
	if (!st->line)
		return -ENOMEM;
	st->line_max = max_line;
	seqadj_init(&st->adj);
	return 0;
}

void stream_free(struct alg_stream *st)
{
	held_free_list(st->held);
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
	st->seen_max = nxt;
	st->line_seq = nxt;
	st->after_lf = false;
	st->llen = 0;
	st->pending = false;
	st->tainted = false;
	st->at_line_start = at_line_start;
}

/*
 * Feed bytes p[0..n) that start at seq; only those at or after st->nxt are
 * new; each complete line goes to fn, whose non-zero return stops the
 * scan and is returned. An encrypted stream (st->tls) is walked by
 * tls.c instead; where it turns clear, fn gets a NULL line. Returns 0,
 * or a negative code with *why set when the stream can no longer be
 * inspected (a NUL, a line over st->line_max, bytes neither TLS nor FTP
 * text; the bytes already consumed stay consumed).
 */
int stream_scan(struct alg_stream *st, uint32_t seq, const uint8_t *p,
		size_t n, stream_line_fn fn, void *ctx, enum alg_reason *why)
{
	uint32_t end = seq + (uint32_t)n;
	size_t i;
	int err;

	if (!seq_after(end, st->nxt))
		return 0;
	if (seq_after(seq, st->nxt))
		return -EINVAL;		/* a gap: caller bug */
	i = st->nxt - seq;
	while (i < n) {
		uint8_t c;

		if (st->tls) {
			/* encrypted (tls.c); a NULL line: clear from here */
			size_t used;

			err = tls_scan(st, p + i, n - i, &used, why);
			i += used;
			if (err)
				return err;
			if (st->tls)
				return 0;
			err = fn(ctx, NULL, 0, st->nxt);
			if (err)
				return err;
			continue;
		}
		c = p[i++];
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
			st->after_lf = !st->line_cr;
			st->llen = 0;
			st->line_seq = st->nxt;
			st->pending = false;
			st->tainted = false;
			if (err)
				return err;
			continue;
		}
		if (c == '\0') {
			*why = ALG_R_LINE_NUL;
			return -EILSEQ;
		}
		if (st->llen >= st->line_max) {
			*why = ALG_R_LINE_LONG;
			return -E2BIG;
		}
		st->line[st->llen++] = (char)c;
	}
	return 0;
}
