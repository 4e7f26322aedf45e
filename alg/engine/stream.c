// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One direction of a control connection as a byte stream: bytes are placed
 * by TCP sequence number and cut into lines by stream position, never by
 * packet boundaries.
 *
 * The stream keeps only the line being assembled, and only while it is
 * incomplete at the end of a segment: a line that starts and ends in one
 * segment is handed to the line function where it lies, and an idle
 * session owns no line buffer at all (most of 100,000 idle sessions'
 * memory was two line_max buffers). Packets whose bytes are not yet
 * decided are held (hold.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

int stream_init(struct alg_stream *st, unsigned max_line)
{
	memset(st, 0, sizeof(*st));
	st->line = "";
	st->line_max = max_line;
	seqadj_init(&st->adj);
	return 0;
}

/* The line is complete (or the stream is gone): drop its copy. */
static void line_done(struct alg_stream *st)
{
	free(st->buf);
	st->buf = NULL;
	st->line = "";		/* never NULL: memcpy(.., line, 0) stays defined */
	st->llen = 0;
}

void stream_free(struct alg_stream *st)
{
	held_free_list(st->held);
	st->held = NULL;
	st->nheld = 0;
	st->held_bytes = 0;
	line_done(st);
	seqadj_free(&st->adj);
}

void stream_sync(struct alg_stream *st, uint32_t nxt, bool at_line_start)
{
	st->synced = true;
	st->nxt = nxt;
	st->seen_max = nxt;
	st->line_seq = nxt;
	st->after_lf = false;
	line_done(st);
	st->pending = false;
	st->tainted = false;
	st->at_line_start = at_line_start;
}

/*
 * Append n bytes to the incomplete line (the caller checked line_max).
 * The buffer is line_max bytes, allocated when a line first stays
 * incomplete.
 */
int stream_line_append(struct alg_stream *st, const void *b, size_t n)
{
	if (!n)
		return 0;
	if (!st->buf) {
		st->buf = malloc(st->line_max ? st->line_max : 1);
		if (!st->buf)
			return -ENOMEM;
		st->line = st->buf;
	}
	memcpy(st->buf + st->llen, b, n);
	st->llen += (unsigned)n;
	return 0;
}

/* Bytes p[0..n) up to a line feed or NUL: how many. */
static size_t line_run(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] == '\n' || p[i] == '\0')
			break;
	return i;
}

/*
 * Feed bytes p[0..n) that start at seq; only those at or after st->nxt are
 * new; each complete line goes to fn, whose non-zero return stops the
 * scan and is returned. While fn runs, st->line and st->llen are the line
 * (with its '\r'). An encrypted stream (st->tls) is walked by tls.c
 * instead; where it turns clear, fn gets a NULL line. Returns 0, or a
 * negative code with *why set when the stream can no longer be inspected
 * (a NUL, a line over st->line_max, no memory for an incomplete line,
 * bytes neither TLS nor FTP text; the bytes already consumed stay
 * consumed).
 */
int stream_scan(struct alg_stream *st, uint32_t seq, const uint8_t *p,
		size_t n, stream_line_fn fn, void *ctx, enum alg_reason *why)
{
	uint32_t end = seq + (uint32_t)n;
	size_t i, run, len;
	int err;

	if (!seq_after(end, st->nxt))
		return 0;
	if (seq_after(seq, st->nxt))
		return -EINVAL;		/* a gap: caller bug */
	i = st->nxt - seq;
	while (i < n) {
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
		if (!st->at_line_start) {
			/* picked up mid-stream: wait for a real line start */
			st->nxt++;
			if (p[i++] == '\n') {
				st->at_line_start = true;
				st->line_seq = st->nxt;
			}
			continue;
		}
		run = line_run(p + i, n - i);
		if (st->llen + run > st->line_max) {
			/* consumed up to the first byte too many; the line
			 * keeps what fits, for whoever ends its address */
			st->nxt += (uint32_t)(st->line_max - st->llen + 1);
			stream_line_append(st, p + i, st->line_max - st->llen);
			*why = ALG_R_LINE_LONG;
			return -E2BIG;
		}
		if (i + run == n) {
			/* incomplete at the segment's end: keep a copy */
			st->nxt += (uint32_t)run;
			if (stream_line_append(st, p + i, run)) {
				*why = ALG_R_NOMEM;
				return -ENOMEM;
			}
			return 0;
		}
		st->nxt += (uint32_t)run + 1;
		if (p[i + run] == '\0') {
			stream_line_append(st, p + i, run);
			*why = ALG_R_LINE_NUL;
			return -EILSEQ;
		}
		if (st->buf) {
			/* the line began in an earlier segment */
			if (stream_line_append(st, p + i, run)) {
				*why = ALG_R_NOMEM;
				return -ENOMEM;
			}
		} else {
			st->line = (const char *)p + i;
			st->llen = (unsigned)run;
		}
		i += run + 1;
		len = st->llen;
		st->line_cr = len && st->line[len - 1] == '\r';
		if (st->line_cr)
			len--;
		err = fn(ctx, st->line, len, st->line_seq);
		st->after_lf = !st->line_cr;
		line_done(st);
		st->line_seq = st->nxt;
		st->pending = false;
		st->tainted = false;
		if (err)
			return err;
	}
	return 0;
}
