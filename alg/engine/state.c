// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Session state as bytes (include/ftp-alg/state.h). Layout, all numbers
 * big-endian, in this order (docs/state-format.md has the table):
 *
 *   header     "FAS" version(1) length(4) id(8)
 *   tuple      family(1) client(16) family(1) server(16) cport(2) sport(2)
 *   nat        known(1) client_pub(16) server_pub(16)
 *   session    state(1) flags(1) stop_reason(1) ml_code(2)
 *              created_age(4) idle(4)
 *   commands   head(1) len(1) kinds(16)
 *   counters   13 x 8
 *   2 streams  flags(1) early(1) early_kind(1) early_delim(1)
 *              early_start(2) released(2) nxt(4) line_seq(4) llen(2)
 *              line(llen) base(4) n(1)
 *              n x { pos(4) old_len(2) new_len(2) seen(2) repl(new_len) }
 */
#include <errno.h>
#include <string.h>

#include "ftp-alg/state.h"
#include "engine_int.h"

#define STATE_MAGIC	"FAS"
#define STATE_HDR	16	/* magic, version, length, id */

enum {
	SF_MIDSTREAM = 1 << 0,
	SF_INSPECT = 1 << 1,
	SF_TLS = 1 << 2,
	SF_CLOSE_REPORTED = 1 << 3,
	SF_ADJUST_REPORTED = 1 << 4,
	SF_CMDQ_LOST = 1 << 5,
	SF_ML_EP_DONE = 1 << 6,
};

enum {
	STF_SYNCED = 1 << 0,
	STF_LINE_START = 1 << 1,
	STF_FIN = 1 << 2,
	STF_LINE_CR = 1 << 3,
	STF_TAINTED = 1 << 4,
	STF_KEEP_LAST = 1 << 5,
};

/* ---- writing ---- */

struct wbuf {
	uint8_t *p;
	size_t len, cap;
	bool full;
};

static void put(struct wbuf *w, const void *b, size_t n)
{
	if (!n)
		return;		/* b may be NULL: an empty line */
	if (w->full || n > w->cap - w->len) {
		w->full = true;
		return;
	}
	memcpy(w->p + w->len, b, n);
	w->len += n;
}

static void put_u8(struct wbuf *w, unsigned v)
{
	uint8_t b = (uint8_t)v;

	put(w, &b, 1);
}

static void put_be(struct wbuf *w, uint64_t v, unsigned n)
{
	uint8_t b[8];
	unsigned i;

	for (i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	put(w, b, n);
}

static void put_addr(struct wbuf *w, const union alg_addr *a)
{
	put(w, a->b, sizeof(a->b));
}

/* An age in ms, saturated at 32 bits (49 days). */
static uint32_t age32(uint64_t now, uint64_t then)
{
	uint64_t a = now > then ? now - then : 0;

	return a > UINT32_MAX ? UINT32_MAX : (uint32_t)a;
}

static void put_stream(struct wbuf *w, const struct alg_stream *st)
{
	const struct seqadj *a = &st->adj;
	unsigned i;

	put_u8(w, (st->synced ? STF_SYNCED : 0) |
		  (st->at_line_start ? STF_LINE_START : 0) |
		  (st->fin ? STF_FIN : 0) | (st->line_cr ? STF_LINE_CR : 0) |
		  (st->tainted ? STF_TAINTED : 0) |
		  (a->keep_last ? STF_KEEP_LAST : 0));
	put_u8(w, st->early);
	put_u8(w, st->early_kind);
	put_u8(w, (uint8_t)st->early_delim);
	put_be(w, st->early_start, 2);
	put_be(w, st->released, 2);
	put_be(w, st->nxt, 4);
	put_be(w, st->line_seq, 4);
	put_be(w, st->llen, 2);
	put(w, st->line, st->llen);
	put_be(w, a->base, 4);
	put_u8(w, a->n);
	for (i = 0; i < a->n; i++) {
		const struct seqadj_corr *c = &a->c[i];

		put_be(w, c->pos, 4);
		put_be(w, c->old_len, 2);
		put_be(w, c->new_len, 2);
		put_be(w, c->seen, 2);
		put(w, c->repl, c->new_len);
	}
}

int alg_state_export(const struct alg_session *s, uint64_t now_ms,
		     uint8_t *buf, size_t cap)
{
	struct wbuf w = { .p = buf, .cap = cap };
	const struct alg_counters *k = &s->cnt;
	unsigned i;

	put(&w, STATE_MAGIC, 3);
	put_u8(&w, ALG_STATE_VERSION);
	put_be(&w, 0, 4);		/* length, filled in below */
	put_be(&w, s->id, 8);
	put_u8(&w, (unsigned)s->tu.family);
	put_addr(&w, &s->tu.caddr);
	put_u8(&w, (unsigned)s->tu.family);
	put_addr(&w, &s->tu.saddr);
	put_be(&w, s->tu.cport, 2);
	put_be(&w, s->tu.sport, 2);
	put_u8(&w, s->nat.known);
	put_addr(&w, &s->nat.client_pub);
	put_addr(&w, &s->nat.server_pub);
	put_u8(&w, s->state);
	put_u8(&w, (s->midstream ? SF_MIDSTREAM : 0) |
		   (s->inspect ? SF_INSPECT : 0) | (s->tls ? SF_TLS : 0) |
		   (s->close_reported ? SF_CLOSE_REPORTED : 0) |
		   (s->adjust_reported ? SF_ADJUST_REPORTED : 0) |
		   (s->cmdq_lost ? SF_CMDQ_LOST : 0) |
		   (s->ml_ep_done ? SF_ML_EP_DONE : 0));
	put_u8(&w, alg_reason_to_wire(s->stop_reason));
	put_be(&w, (uint16_t)s->ml_code, 2);
	put_be(&w, age32(now_ms, s->created_ms), 4);
	put_be(&w, age32(now_ms, s->last_ms), 4);
	put_u8(&w, s->cmdq_head);
	put_u8(&w, s->cmdq_len);
	for (i = 0; i < ALG_CMDQ_LEN; i++)
		put_u8(&w, s->cmdq[i]);
	put_be(&w, k->pkts[0], 8);
	put_be(&w, k->pkts[1], 8);
	put_be(&w, k->bytes[0], 8);
	put_be(&w, k->bytes[1], 8);
	put_be(&w, k->lines[0], 8);
	put_be(&w, k->lines[1], 8);
	put_be(&w, k->rewrites, 8);
	put_be(&w, k->expects, 8);
	put_be(&w, k->refused, 8);
	put_be(&w, k->held, 8);
	put_be(&w, k->dropped, 8);
	put_be(&w, k->retrans, 8);
	put_be(&w, 0, 8);		/* reserved counter */
	put_stream(&w, &s->st[0]);
	put_stream(&w, &s->st[1]);
	if (w.full || w.len > UINT32_MAX)
		return -ENOSPC;
	for (i = 0; i < 4; i++)
		buf[4 + i] = (uint8_t)(w.len >> (8 * (3 - i)));
	return (int)w.len;
}

/* ---- reading ---- */

struct rbuf {
	const uint8_t *p;
	size_t len, off;
	bool bad;
};

static const uint8_t *get(struct rbuf *r, size_t n)
{
	const uint8_t *b;

	if (r->bad || n > r->len - r->off) {
		r->bad = true;
		return NULL;
	}
	b = r->p + r->off;
	r->off += n;
	return b;
}

static uint64_t get_be(struct rbuf *r, unsigned n)
{
	const uint8_t *b = get(r, n);
	uint64_t v = 0;
	unsigned i;

	if (!b)
		return 0;
	for (i = 0; i < n; i++)
		v = v << 8 | b[i];
	return v;
}

static unsigned get_u8(struct rbuf *r)
{
	return (unsigned)get_be(r, 1);
}

static void get_addr(struct rbuf *r, union alg_addr *a)
{
	const uint8_t *b = get(r, sizeof(a->b));

	if (b)
		memcpy(a->b, b, sizeof(a->b));
}

static bool kind_ok(unsigned k)
{
	return k < FTP_KIND_MAX;
}

/* One correction list, rebuilt through seqadj's own checks. */
static int get_adj(struct rbuf *r, struct seqadj *a)
{
	unsigned n, i;
	uint32_t base;

	base = (uint32_t)get_be(r, 4);
	n = get_u8(r);
	if (n > SEQADJ_MAX)
		return -EINVAL;
	for (i = 0; i < n && !r->bad; i++) {
		uint32_t pos = (uint32_t)get_be(r, 4);
		uint16_t old = (uint16_t)get_be(r, 2);
		uint16_t new = (uint16_t)get_be(r, 2);
		uint16_t seen = (uint16_t)get_be(r, 2);
		const uint8_t *repl;
		int ret;

		if (new > SEQADJ_REPL_MAX)
			return -EINVAL;
		repl = get(r, new);
		if (!repl)
			return -EINVAL;
		if (old == SEQADJ_OPEN) {
			/* only the last one may still be arriving */
			if (i + 1 != n)
				return -EINVAL;
			ret = seqadj_open(a, pos, repl, new);
			if (!ret)
				seqadj_open_seen(a, seen);
		} else {
			ret = seqadj_add(a, pos, old, repl, new);
		}
		if (ret)
			return ret == -ENOMEM ? ret : -EINVAL;
	}
	a->base = base;
	return r->bad ? -EINVAL : 0;
}

/*
 * An address being rendered early is the stream's open correction, at
 * its place in the line; one rendered already is its last correction.
 */
static bool stream_consistent(const struct alg_stream *st)
{
	const struct seqadj *a = &st->adj;
	const struct seqadj_corr *last = a->n ? &a->c[a->n - 1] : NULL;

	if (seqadj_is_open(a) != (st->early == ALG_EARLY_OPEN))
		return false;
	if (st->early == ALG_EARLY_OPEN)
		return last->pos == st->line_seq + st->early_start &&
		       last->seen <= st->llen - st->early_start &&
		       (st->early_kind == FTP_CMD_PORT ||
			st->early_kind == FTP_CMD_EPRT ||
			st->early_kind == FTP_REPLY_227);
	if (st->early == ALG_EARLY_REWROTE)
		return last && last->pos == st->line_seq + st->early_start;
	return true;
}

static int get_stream(struct rbuf *r, struct alg_stream *st,
		      unsigned max_line)
{
	const uint8_t *line;
	unsigned fl, llen;

	fl = get_u8(r);
	st->synced = fl & STF_SYNCED;
	st->at_line_start = fl & STF_LINE_START;
	st->fin = fl & STF_FIN;
	st->line_cr = fl & STF_LINE_CR;
	st->tainted = fl & STF_TAINTED;
	st->early = (uint8_t)get_u8(r);
	st->early_kind = (enum ftp_kind)get_u8(r);
	st->early_delim = (char)get_u8(r);
	st->early_start = (uint16_t)get_be(r, 2);
	st->released = (unsigned)get_be(r, 2);
	st->nxt = (uint32_t)get_be(r, 4);
	st->line_seq = (uint32_t)get_be(r, 4);
	llen = (unsigned)get_be(r, 2);
	if (r->bad || fl >> 6 || st->early > ALG_EARLY_NEVER ||
	    !kind_ok(st->early_kind) || llen > max_line ||
	    st->released > llen ||
	    ((st->early == ALG_EARLY_OPEN || st->early == ALG_EARLY_REWROTE) &&
	     st->early_start >= llen))
		return -EINVAL;
	line = get(r, llen);
	if (!line)
		return -EINVAL;
	if (stream_line_append(st, line, llen))
		return -ENOMEM;
	if (get_adj(r, &st->adj))
		return -EINVAL;
	st->adj.keep_last = fl & STF_KEEP_LAST;
	return stream_consistent(st) ? 0 : -EINVAL;
}

/* The fixed part: header to counters. */
static int get_session(struct rbuf *r, struct alg_session *s, uint64_t now)
{
	struct alg_counters *k = &s->cnt;
	unsigned fam2, fl, i;
	uint32_t created, idle;

	s->id = get_be(r, 8);
	s->tu.family = (int)get_u8(r);
	get_addr(r, &s->tu.caddr);
	fam2 = get_u8(r);
	get_addr(r, &s->tu.saddr);
	s->tu.cport = (uint16_t)get_be(r, 2);
	s->tu.sport = (uint16_t)get_be(r, 2);
	s->nat.known = get_u8(r) == 1;
	get_addr(r, &s->nat.client_pub);
	get_addr(r, &s->nat.server_pub);
	s->state = (enum alg_sess_state)get_u8(r);
	fl = get_u8(r);
	if (alg_reason_from_wire(get_u8(r), &s->stop_reason))
		return -EINVAL;
	s->ml_code = (int)get_be(r, 2);
	created = (uint32_t)get_be(r, 4);
	idle = (uint32_t)get_be(r, 4);
	s->cmdq_head = get_u8(r);
	s->cmdq_len = get_u8(r);
	for (i = 0; i < ALG_CMDQ_LEN; i++) {
		s->cmdq[i] = (enum ftp_kind)get_u8(r);
		if (!kind_ok(s->cmdq[i]))
			return -EINVAL;
	}
	if (r->bad || !s->id ||
	    (s->tu.family != AF_INET && s->tu.family != AF_INET6) ||
	    fam2 != (unsigned)s->tu.family || s->state > ALG_S_CLOSED ||
	    fl >> 7 ||
	    (s->ml_code && (s->ml_code < 100 || s->ml_code > 599)) ||
	    s->cmdq_head >= ALG_CMDQ_LEN || s->cmdq_len > ALG_CMDQ_LEN)
		return -EINVAL;
	s->midstream = fl & SF_MIDSTREAM;
	/*
	 * A record walk is not in the record: a session restored while
	 * encrypted is no longer inspected (its records would be read as
	 * lines).
	 */
	s->inspect = (fl & SF_INSPECT) && !(fl & SF_TLS);
	s->tls = fl & SF_TLS;
	s->close_reported = fl & SF_CLOSE_REPORTED;
	s->adjust_reported = fl & SF_ADJUST_REPORTED;
	s->cmdq_lost = fl & SF_CMDQ_LOST;
	s->ml_ep_done = fl & SF_ML_EP_DONE;
	s->created_ms = now > created ? now - created : 0;
	s->last_ms = now > idle ? now - idle : 0;
	s->closed_ms = s->last_ms;
	k->pkts[0] = get_be(r, 8);
	k->pkts[1] = get_be(r, 8);
	k->bytes[0] = get_be(r, 8);
	k->bytes[1] = get_be(r, 8);
	k->lines[0] = get_be(r, 8);
	k->lines[1] = get_be(r, 8);
	k->rewrites = get_be(r, 8);
	k->expects = get_be(r, 8);
	k->refused = get_be(r, 8);
	k->held = get_be(r, 8);
	k->dropped = get_be(r, 8);
	k->retrans = get_be(r, 8);
	get_be(r, 8);			/* reserved */
	return r->bad ? -EINVAL : 0;
}

/* Magic, version and length; the record is r's whole buffer after it. */
static int get_header(struct rbuf *r)
{
	const uint8_t *m = get(r, 3);
	unsigned version = get_u8(r);
	uint64_t len = get_be(r, 4);

	if (!m || memcmp(m, STATE_MAGIC, 3) || version != ALG_STATE_VERSION ||
	    len != r->len)
		return -EINVAL;
	return 0;
}

uint64_t alg_state_id(const uint8_t *buf, size_t len)
{
	struct rbuf r = { .p = buf, .len = len };

	if (get_header(&r))
		return 0;
	return get_be(&r, 8);
}

int alg_state_import(struct alg_table *t, const uint8_t *buf, size_t len,
		     uint64_t now_ms, struct alg_session **out)
{
	struct rbuf r = { .p = buf, .len = len };
	struct alg_session *s;
	int ret;

	if (get_header(&r))
		return -EINVAL;
	s = session_alloc(t);
	if (!s)
		return -ENOMEM;
	ret = get_session(&r, s, now_ms);
	if (!ret)
		ret = get_stream(&r, &s->st[0], t->pol.max_line);
	if (!ret)
		ret = get_stream(&r, &s->st[1], t->pol.max_line);
	if (!ret && r.off != r.len)
		ret = -EINVAL;		/* trailing bytes */
	if (!ret)
		ret = session_insert(t, s);
	if (ret) {
		session_discard(s);
		return ret;
	}
	*out = s;
	return 0;
}
