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
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
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
	size_t tail = off + old < len ? len - off - old : 0;

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

/*
 * Must the packets of this incomplete line be held until it is complete?
 * Only for LPRT and 228, whose address we do not render early (rare
 * commands; their fields carry lengths that make early rendering costly).
 */
bool rewrite_must_hold(enum alg_dir dir, const char *l, size_t n)
{
	const char *want = dir == ALG_DIR_ORIG ? "LPRT" : "228";
	size_t wl = strlen(want), m = n < wl ? n : wl, k;

	for (k = 0; k < m; k++)
		if (toupper((unsigned char)l[k]) != want[k])
			return false;
	if (n <= wl)
		return true;
	return l[wl] == ' ' || l[wl] == '\r' ||
	       (dir == ALG_DIR_REPLY && l[wl] == '-');
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

/* Can ch belong to the address of an early field? */
static bool early_addr_char(const struct alg_stream *st, int family, char ch)
{
	if (st->early_kind != FTP_CMD_EPRT)
		return isdigit((unsigned char)ch) || ch == ',';
	if (family == AF_INET)
		return isdigit((unsigned char)ch) || ch == '.';
	return isxdigit((unsigned char)ch) || ch == ':' || ch == '.';
}

/* Offset where the address starting at early_start ends, or n if not yet. */
static size_t early_field_end(const struct alg_stream *st, int family,
			      const char *l, size_t n)
{
	unsigned commas = 0;
	size_t i;

	for (i = st->early_start; i < n; i++) {
		if (st->early_kind == FTP_CMD_EPRT && l[i] == st->early_delim)
			return i;
		if (!early_addr_char(st, family, l[i]))
			return i;	/* malformed: the parser refuses it */
		if (l[i] == ',' && ++commas == 4)
			return i;
	}
	return n;
}

/*
 * Where does the address of the partial line l[0..n) start? Returns the
 * kind (FTP_NONE: not known yet) and the offset; marks the stream NEVER
 * when the line cannot be one we render early.
 */
static enum ftp_kind early_find(struct alg_session *s, enum alg_dir dir,
				const char *l, size_t n, size_t *start)
{
	struct alg_stream *st = &s->st[dir];
	enum ftp_kind kind;
	size_t i;

	if (dir == ALG_DIR_ORIG) {
		if (n < 5)
			return FTP_NONE;
		if (!strncasecmp(l, "PORT ", 5))
			kind = FTP_CMD_PORT;
		else if (!strncasecmp(l, "EPRT ", 5))
			kind = FTP_CMD_EPRT;
		else
			goto never;
		for (i = 5; i < n && l[i] == ' '; i++)
			;
		if (kind == FTP_CMD_EPRT) {
			if (i + 3 > n)
				return FTP_NONE;
			st->early_delim = l[i];
			if (l[i] < 33 || l[i] > 126 || l[i + 2] != l[i] ||
			    l[i + 1] != (s->tu.family == AF_INET ? '1' : '2'))
				goto never;
			i += 3;
		}
	} else {
		if (n < 4)
			return FTP_NONE;
		if (strncmp(l, "227", 3) || (l[3] != ' ' && l[3] != '-') ||
		    (s->ml_code && s->ml_code != 227))
			goto never;
		kind = FTP_REPLY_227;
		for (i = 4; i < n && !isdigit((unsigned char)l[i]); i++)
			;
		if (i < n && l[i - 1] != '(' && l[i - 1] != '=' &&
		    l[i - 1] != ' ')
			goto never;	/* an odd form: the parser decides */
	}
	if (i >= n)
		return FTP_NONE;
	if (kind != FTP_CMD_EPRT && s->tu.family != AF_INET)
		goto never;
	*start = i;
	return kind;
never:
	st->early = ALG_EARLY_NEVER;
	return FTP_NONE;
}

/* After a scan: open, extend or close the early correction of the
 * partial line. */
void rewrite_split_update(struct line_ctx *c)
{
	struct alg_session *s = c->s;
	struct alg_stream *st = &s->st[c->dir];
	char text[INET6_ADDRSTRLEN];
	enum ftp_kind kind;
	size_t start = 0;
	int n;

	if (!st->llen || st->early >= ALG_EARLY_REWROTE || st->tainted)
		return;
	if (st->early == ALG_EARLY_NONE) {
		kind = early_find(s, c->dir, st->line, st->llen, &start);
		if (kind == FTP_NONE)
			return;
		n = addr_text(kind, s->tu.family, session_pub(s, c->dir),
			      text, sizeof(text));
		if (n < 0 || seqadj_open(&st->adj, st->line_seq +
					 (uint32_t)start,
					 (const uint8_t *)text,
					 (uint16_t)n)) {
			refuse(c, ALG_R_SPLIT_NOROOM, kind);
			st->early = ALG_EARLY_NEVER;
			return;
		}
		/* the old length is unknown yet: it may well differ */
		ev_adjust(c->r, s, c->dir);
		st->adj.keep_last = true;	/* until the line ends */
		st->early = ALG_EARLY_OPEN;
		st->early_kind = kind;
		st->early_start = (uint16_t)start;
	}
	if (early_field_end(st, s->tu.family, st->line, st->llen) < st->llen)
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
	end = early_field_end(st, s->tu.family, l, n);
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
	size_t off = st->early_start, old = k->old_len;

	/* a field that took the line's terminator along ends with the line */
	if (off + old > len)
		old = len - off;
	c->s->cnt.rewrites++;
	ev = ev_new(c->r, c->s, ALG_EV_REWRITE, ALG_R_REWRITE_SPLIT, c->dir);
	if (!ev)
		return;
	ev->kind = st->early_kind;
	ev_line(&ev->line, line, len);
	ev_line_new(&ev->line_new, line, len, off, old, k->repl, k->new_len);
}
