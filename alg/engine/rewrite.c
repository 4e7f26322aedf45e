// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The new address text, as corrections in seqadj.
 *
 * A complete line: its field is replaced in one correction
 * (rewrite_line).
 *
 * A split line. Holding the pieces of a split line until it is complete
 * does not work on its own: nothing held is acknowledged, so a sender
 * whose line is cut into more segments than its congestion window (10
 * at the start of a Linux connection) stops sending and the line never
 * completes. So the pieces of a split PORT, EPRT or 227 line are
 * released as they arrive, rendered:
 *  - the verb, the text before the address and everything after it are
 *    never changed, so those bytes leave as they came;
 *  - only the address is replaced, and its replacement (the public
 *    address) is known from the session before the old one has arrived.
 *    An open correction (seqadj.h) places the k-th original address byte
 *    at f(k) = min(k, new_len) without knowing the old length, so every
 *    piece renders at once; the correction closes when the address ends
 *    (the fourth comma, the EPRT delimiter).
 * The output stream thus carries exactly the rewritten line, cut at the
 * same boundaries, with consistent sequence numbers; a retransmission of
 * any piece renders to the same bytes. The policy decision comes when the
 * line is complete, before the packet that completes it is released: a
 * refused split line then already carries the client's (or server's) own
 * public address, which opens nothing, and no pinhole is added.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "engine_int.h"

static struct alg_event *refuse(struct line_ctx *c, enum alg_reason why,
				enum ftp_kind kind)
{
	struct alg_event *ev = ev_new(c->r, c->s, ALG_EV_REFUSE, why, c->dir);

	if (ev)
		ev->kind = kind;
	return ev;
}

/* line[0..len) with its field [off, off + old) replaced by repl[0..n) */
static void ev_line_new(struct alg_ev_line *l, const char *line, size_t len,
			size_t off, size_t old, const void *repl, size_t n)
{
	char b[ALG_MAX_LINE_LIMIT + SEQADJ_REPL_MAX];
	size_t tail;

	/* a field that took the line's terminator along ends with it */
	if (off > len)
		off = len;
	if (old > len - off)
		old = len - off;
	tail = len - off - old;
	memcpy(b, line, off);
	memcpy(b + off, repl, n);
	memcpy(b + off + n, line + off + old, tail);
	ev_line(l, b, off + n + tail);
}

/* The field of a complete line m, replaced by ep. */
int rewrite_line(struct line_ctx *c, const struct ftp_msg *m,
		 const char *line, size_t len, uint32_t line_seq,
		 const struct alg_endpoint *ep)
{
	struct alg_stream *st = &c->s->st[c->dir];
	char field[FTP_FIELD_MAX + 1];
	struct alg_event *ev;
	int n, ret;

	n = ftp_format_field(m, ep, field, sizeof(field));
	if (n < 0) {
		ev = refuse(c, ALG_R_FORMAT, m->kind);
		if (ev)
			ev->value = (unsigned)-n;
		return n;
	}
	/*
	 * Pieces of this line already left unchanged (a split line in a
	 * form only the full parser understands). That is fine while they
	 * stop before the first byte the rewrite changes; otherwise the
	 * line cannot be rewritten any more.
	 */
	if (c->frozen > m->field_off) {
		size_t k = c->frozen - m->field_off;

		if (k > (size_t)n || k > m->field_len ||
		    memcmp(field, line + m->field_off, k)) {
			refuse(c, ALG_R_SPLIT_UNUSUAL, m->kind);
			return -EALREADY;
		}
	}
	if ((size_t)n != m->field_len)
		ev_adjust(c->r, c->s, c->dir);
	ret = seqadj_add(&st->adj, line_seq + (uint32_t)m->field_off,
			 (uint16_t)m->field_len, (const uint8_t *)field,
			 (uint16_t)n);
	if (ret) {
		refuse(c, ret == -ENOSPC ? ALG_R_TOO_MANY_REWRITES :
		       ret == -ENOMEM ? ALG_R_NOMEM : ALG_R_OVERLAP, m->kind);
		return ret;
	}
	c->s->cnt.rewrites++;
	ev = ev_new(c->r, c->s, ALG_EV_REWRITE, ALG_R_REWRITE_LINE, c->dir);
	if (ev) {
		ev->kind = m->kind;
		ev_line(&ev->line, line, len);
		ev_line_new(&ev->line_new, line, len, m->field_off,
			    m->field_len, field, (size_t)n);
	}
	return 0;
}

/* ---- early rendering of a split address ---- */

/* The address as it is written in a field of this kind. */
static int addr_text(enum ftp_kind kind, int family, const union alg_addr *a,
		     char *out, size_t cap)
{
	const uint8_t *b = a->b;

	if (kind == FTP_CMD_EPRT)
		return inet_ntop(family, a, out, (socklen_t)cap) ?
		       (int)strlen(out) : -ENOSPC;
	return snprintf(out, cap, "%u,%u,%u,%u", b[0], b[1], b[2], b[3]);
}

/* Where the address being rendered early ends in l[0..n), or n. */
static size_t early_end(const struct alg_stream *st, int family,
			const char *l, size_t n)
{
	const struct ftp_partial f = {
		.kind = st->early_kind,
		.start = st->early_start,
		.delim = st->early_delim,
	};

	return ftp_partial_end(&f, family, l, n);
}

/* After a scan: open, extend or close the early correction of the
 * partial line. */
void rewrite_split_update(struct line_ctx *c)
{
	struct alg_session *s = c->s;
	struct alg_stream *st = &s->st[c->dir];
	char text[INET6_ADDRSTRLEN];
	struct ftp_partial f;
	int n;

	if (!st->llen || st->early >= ALG_EARLY_REWROTE || st->tainted)
		return;
	if (st->early == ALG_EARLY_NONE) {
		switch (ftp_partial_find(c->dir == ALG_DIR_ORIG, s->tu.family,
					 s->ml_code, st->line, st->llen, &f)) {
		case FTP_PARTIAL_MORE:
			return;
		case FTP_PARTIAL_NEVER:
			st->early = ALG_EARLY_NEVER;
			return;
		case FTP_PARTIAL_FOUND:
			break;
		}
		n = addr_text(f.kind, s->tu.family, session_pub(s, c->dir),
			      text, sizeof(text));
		if (n < 0 || seqadj_open(&st->adj, st->line_seq +
					 (uint32_t)f.start,
					 (const uint8_t *)text,
					 (uint16_t)n)) {
			refuse(c, ALG_R_SPLIT_NOROOM, f.kind);
			st->early = ALG_EARLY_NEVER;
			return;
		}
		/* the old length is unknown yet: it may well differ */
		ev_adjust(c->r, s, c->dir);
		st->adj.keep_last = true;	/* until the line ends */
		st->early = ALG_EARLY_OPEN;
		st->early_kind = f.kind;
		st->early_start = (uint16_t)f.start;
		st->early_delim = f.delim;
	}
	if (early_end(st, s->tu.family, st->line, st->llen) < st->llen)
		rewrite_split_finish(s, c->dir, st->line, st->llen, -1);
	else
		seqadj_open_seen(&st->adj,
				 (uint16_t)(st->llen - st->early_start));
}

/*
 * Close the open address of l[0..n) where it ends: at its terminator
 * inside l, else at n, where next is the byte after l (-1: none follows,
 * the stream stops there).
 */
void rewrite_split_finish(struct alg_session *s, enum alg_dir dir,
			  const char *l, size_t n, int next)
{
	struct alg_stream *st = &s->st[dir];
	size_t end;

	if (st->early != ALG_EARLY_OPEN)
		return;
	end = early_end(st, s->tu.family, l, n);
	st->early = seqadj_close(&st->adj, (const uint8_t *)l +
				 st->early_start,
				 (uint16_t)(end - st->early_start),
				 end < n ? (unsigned char)l[end] : next) ?
		    ALG_EARLY_REWROTE : ALG_EARLY_NEVER;
	if (st->early == ALG_EARLY_NEVER)
		st->adj.keep_last = false;	/* it changed nothing: gone */
}

/* The rewrite of a complete line already rendered piece by piece. */
void rewrite_split_event(struct line_ctx *c, const char *line, size_t len)
{
	struct alg_stream *st = &c->s->st[c->dir];
	const struct seqadj_corr *k = &st->adj.c[st->adj.n - 1];
	struct alg_event *ev;

	c->s->cnt.rewrites++;
	ev = ev_new(c->r, c->s, ALG_EV_REWRITE, ALG_R_REWRITE_SPLIT, c->dir);
	if (!ev)
		return;
	ev->kind = st->early_kind;
	ev_line(&ev->line, line, len);
	ev_line_new(&ev->line_new, line, len, st->early_start, k->old_len,
		    k->repl, k->new_len);
}
