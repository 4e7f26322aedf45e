// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The engine: stream/lines -> FTP parse -> policy -> rewrite + seqadj ->
 * verdicts and events. See include/ftp-alg/engine.h for the contract.
 *
 * A rewrite that spans segments. Holding the pieces of a split line until
 * it is complete does not work on its own: nothing held is acknowledged,
 * so a sender whose line is cut into more segments than its congestion
 * window (10 at the start of a Linux connection) stops sending and the
 * line never completes. So the pieces of a split PORT, EPRT or 227 line
 * are released as they arrive, rendered:
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
 *
 * NFQUEUE also lets us delay a verdict, and that is used where rendering
 * early is impossible: out-of-order packets wait until the gap before them
 * fills, and the rare LPRT/228 lines wait until complete. Holding is
 * bounded in packets, bytes and time (alg_policy): past a bound the line
 * is given up on (passed unrewritten, no data port opened, reason
 * reported), and out-of-order packets are dropped for the sender to
 * retransmit.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ftp-alg/engine.h"
#include "stream.h"

struct line_ctx {
	struct alg_table *t;
	struct alg_session *s;
	enum alg_dir dir;
	struct alg_result *r;
	bool rewritten;		/* this line's address was rendered early */
	unsigned frozen;	/* bytes of the line already left unchanged */
};

/* A stream_line_fn return value: stop scanning, TLS follows. */
#define LINE_STOP_TLS	1

static const char *const ev_names[] = {
	[ALG_EV_OPEN] = "open",
	[ALG_EV_CLOSE] = "close",
	[ALG_EV_REWRITE] = "rewrite",
	[ALG_EV_EXPECT] = "expect",
	[ALG_EV_REFUSE] = "refused",
	[ALG_EV_TLS] = "tls",
	[ALG_EV_STOP] = "stop",
	[ALG_EV_NOTE] = "note",
	[ALG_EV_ADJUST] = "adjust",
};

const char *alg_ev_name(enum alg_ev_type t)
{
	if ((unsigned)t < sizeof(ev_names) / sizeof(ev_names[0]))
		return ev_names[t];
	return "?";
}

static struct alg_event *ev_add(struct alg_result *r, struct alg_session *s,
				enum alg_ev_type type, enum alg_dir dir,
				const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static struct alg_event *ev_add(struct alg_result *r, struct alg_session *s,
				enum alg_ev_type type, enum alg_dir dir,
				const char *fmt, ...)
{
	struct alg_event *ev;
	va_list ap;

	if (r->nev >= ALG_MAX_EV) {
		r->ev_lost++;
		return NULL;
	}
	ev = &r->ev[r->nev++];
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->sid = s->id;
	ev->dir = dir;
	va_start(ap, fmt);
	vsnprintf(ev->text, sizeof(ev->text), fmt, ap);
	va_end(ap);
	if (type == ALG_EV_REFUSE)
		s->cnt.refused++;
	return ev;
}

/* The stream is about to change length: say so once, before it does. */
static void adjust_event(struct alg_result *r, struct alg_session *s,
			 enum alg_dir dir)
{
	if (s->adjust_reported)
		return;
	if (ev_add(r, s, ALG_EV_ADJUST, dir, "sequence numbers adjusted "
		   "from here on"))
		s->adjust_reported = true;
}

/* A log-safe excerpt of a line: printable ASCII, bounded. */
static const char *excerpt(char *buf, size_t cap, const char *l, size_t n)
{
	size_t i, o = 0, max = cap - 4;

	for (i = 0; i < n && o < max; i++)
		buf[o++] = (l[i] >= 0x20 && l[i] < 0x7f) ? l[i] : '.';
	if (i < n) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

static const char *addr_s(int family, const union alg_addr *a, char *buf)
{
	return alg_addr_str(family, a, buf, INET6_ADDRSTRLEN);
}

/*
 * Must the packets of this incomplete line be held until it is complete?
 * Only for LPRT and 228, whose address we do not render early (rare
 * commands; their fields carry lengths that make early rendering costly).
 */
static bool line_must_hold(enum alg_dir dir, const char *l, size_t n)
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

static const union alg_addr *side_pub(const struct alg_session *s,
				      enum alg_dir dir)
{
	if (dir == ALG_DIR_ORIG)
		return s->nat.known ? &s->nat.client_pub : &s->caddr;
	return s->nat.known ? &s->nat.server_pub : &s->saddr;
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
			    l[i + 1] != (s->family == AF_INET ? '1' : '2'))
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
	if (kind != FTP_CMD_EPRT && s->family != AF_INET)
		goto never;
	*start = i;
	return kind;
never:
	st->early = ALG_EARLY_NEVER;
	return FTP_NONE;
}

static void early_finish(struct alg_session *s, enum alg_dir dir,
			 const char *l, size_t n, int next);

/* After a scan: open, extend or close the early correction of the
 * partial line. */
static void early_update(struct line_ctx *c)
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
		n = addr_text(kind, s->family, side_pub(s, c->dir), text,
			      sizeof(text));
		if (n < 0 || seqadj_open(&st->adj, st->line_seq +
					 (uint32_t)start,
					 (const uint8_t *)text,
					 (uint16_t)n)) {
			ev_add(c->r, s, ALG_EV_REFUSE, c->dir,
			       "%s split across segments: too many "
			       "unacknowledged rewrites; passed unrewritten",
			       ftp_kind_name(kind));
			st->early = ALG_EARLY_NEVER;
			return;
		}
		/* the old length is unknown yet: it may well differ */
		adjust_event(c->r, s, c->dir);
		st->early = ALG_EARLY_OPEN;
		st->early_kind = kind;
		st->early_start = (uint16_t)start;
	}
	if (early_field_end(st, s->family, st->line, st->llen) < st->llen)
		early_finish(s, c->dir, st->line, st->llen, -1);
	else
		seqadj_open_seen(&st->adj,
				 (uint16_t)(st->llen - st->early_start));
}

/*
 * Close the open address of l[0..n) where it ends: at its terminator
 * inside l, else at n, where next is the byte after l (-1: none follows,
 * the stream stops there).
 */
static void early_finish(struct alg_session *s, enum alg_dir dir,
			 const char *l, size_t n, int next)
{
	struct alg_stream *st = &s->st[dir];
	size_t end;

	if (st->early != ALG_EARLY_OPEN)
		return;
	end = early_field_end(st, s->family, l, n);
	st->early = seqadj_close(&st->adj, (const uint8_t *)l +
				 st->early_start,
				 (uint16_t)(end - st->early_start),
				 end < n ? (unsigned char)l[end] : next) ?
		    ALG_EARLY_REWROTE : ALG_EARLY_NEVER;
}

/* ---- command/reply pairing ---- */

static void cmdq_push(struct alg_session *s, enum ftp_kind k)
{
	if (s->cmdq_len == ALG_CMDQ_LEN) {
		/* more pipelined than we track: pairing is lost for good */
		s->cmdq_lost = true;
		return;
	}
	s->cmdq[(s->cmdq_head + s->cmdq_len++) % ALG_CMDQ_LEN] = k;
}

static enum ftp_kind cmdq_head(const struct alg_session *s)
{
	return s->cmdq_len ? s->cmdq[s->cmdq_head] : FTP_NONE;
}

static void cmdq_pop(struct alg_session *s)
{
	if (!s->cmdq_len)
		return;
	s->cmdq_head = (s->cmdq_head + 1) % ALG_CMDQ_LEN;
	s->cmdq_len--;
}

/* ---- rewrite and expectation ---- */

static int rewrite_field(struct line_ctx *c, const struct ftp_msg *m,
			 const char *line, size_t len, uint32_t line_seq,
			 const struct alg_endpoint *ep)
{
	struct alg_stream *st = &c->s->st[c->dir];
	char field[FTP_FIELD_MAX + 1], before[160], after[160];
	char newline[ALG_MAX_LINE_DEFAULT + FTP_FIELD_MAX];
	size_t tail = len - m->field_off - m->field_len, nl;
	int n, ret;

	n = ftp_format_field(m, ep, field, sizeof(field));
	if (n < 0) {
		ev_add(c->r, c->s, ALG_EV_REFUSE, c->dir,
		       "%s: cannot write the new address (%s)",
		       ftp_kind_name(m->kind), strerror(-n));
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
			ev_add(c->r, c->s, ALG_EV_REFUSE, c->dir,
			       "%s split across segments in an unusual form: "
			       "passed unrewritten, no data port opened",
			       ftp_kind_name(m->kind));
			return -EALREADY;
		}
	}
	if ((size_t)n != m->field_len)
		adjust_event(c->r, c->s, c->dir);
	ret = seqadj_add(&st->adj, line_seq + (uint32_t)m->field_off,
			 (uint16_t)m->field_len, (const uint8_t *)field,
			 (uint16_t)n);
	if (ret) {
		ev_add(c->r, c->s, ALG_EV_REFUSE, c->dir,
		       "%s: %s; line passed unrewritten",
		       ftp_kind_name(m->kind), ret == -ENOSPC ?
		       "too many unacknowledged rewrites" :
		       ret == -ENOMEM ? "out of memory" :
		       "rewrite overlaps an earlier one");
		return ret;
	}
	c->s->cnt.rewrites++;

	/* the log shows the whole line before and after */
	nl = 0;
	if (m->field_off < sizeof(newline)) {
		memcpy(newline, line, m->field_off);
		nl = m->field_off;
	}
	if (nl + (size_t)n + tail < sizeof(newline)) {
		memcpy(newline + nl, field, n);
		nl += n;
		memcpy(newline + nl, line + m->field_off + m->field_len, tail);
		nl += tail;
	}
	ev_add(c->r, c->s, ALG_EV_REWRITE, c->dir, "%s -> %s",
	       excerpt(before, sizeof(before), line, len),
	       excerpt(after, sizeof(after), newline, nl));
	return 0;
}

static void expect(struct line_ctx *c, enum ftp_kind via,
		   const union alg_addr *peer, const union alg_addr *wire,
		   const union alg_addr *target, uint16_t port)
{
	struct alg_session *s = c->s;
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	struct alg_event *ev;

	ev = ev_add(c->r, s, ALG_EV_EXPECT, c->dir,
		    "%s: %s -> %s port %u => %s port %u", ftp_kind_name(via),
		    addr_s(s->family, peer, a), addr_s(s->family, wire, b),
		    port, addr_s(s->family, target, d), port);
	if (!ev)
		return;		/* no room: no pinhole, nothing opened */
	ev->exp.family = s->family;
	ev->exp.peer = *peer;
	ev->exp.wire.family = s->family;
	ev->exp.wire.addr = *wire;
	ev->exp.wire.port = port;
	ev->exp.target.family = s->family;
	ev->exp.target.addr = *target;
	ev->exp.target.port = port;
	ev->exp.via = via;
	s->cnt.expects++;
}

/* Common policy for an announced endpoint; false when refused. */
static bool endpoint_allowed(struct line_ctx *c, const struct ftp_msg *m)
{
	const struct alg_policy *pol = &c->t->pol;
	struct alg_session *s = c->s;

	if (m->ep.family != AF_UNSPEC && m->ep.family != s->family) {
		ev_add(c->r, s, ALG_EV_REFUSE, c->dir,
		       "%s announces an IPv%d address on an IPv%d control "
		       "connection", ftp_kind_name(m->kind),
		       m->ep.family == AF_INET ? 4 : 6,
		       s->family == AF_INET ? 4 : 6);
		return false;
	}
	if (m->ep.port < 1024 && !pol->allow_low_data_port) {
		ev_add(c->r, s, ALG_EV_REFUSE, c->dir,
		       "%s data port %u is below 1024 (bounce defence)",
		       ftp_kind_name(m->kind), m->ep.port);
		return false;
	}
	return true;
}

/* PORT, EPRT, LPRT from the client. */
static void active_line(struct line_ctx *c, const struct ftp_msg *m,
			const char *line, size_t len, uint32_t line_seq)
{
	struct alg_session *s = c->s;
	const union alg_addr *pub = s->nat.known ? &s->nat.client_pub :
				    &s->caddr;
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	struct alg_endpoint nep;

	if (!endpoint_allowed(c, m))
		return;
	if (!alg_addr_eq(s->family, &m->ep.addr, &s->caddr) &&
	    !alg_addr_eq(s->family, &m->ep.addr, pub)) {
		ev_add(c->r, s, ALG_EV_REFUSE, c->dir,
		       "%s to %s, not the client's address %s: third-party "
		       "data connection refused", ftp_kind_name(m->kind),
		       addr_s(s->family, &m->ep.addr, a),
		       addr_s(s->family, &s->caddr, b));
		return;
	}
	if (!c->rewritten && !alg_addr_eq(s->family, &m->ep.addr, pub)) {
		nep = m->ep;
		nep.addr = *pub;
		if (rewrite_field(c, m, line, len, line_seq, &nep))
			return;
	}
	/* the server connects to the public address; NAT sends it home */
	expect(c, m->kind, &s->saddr, pub, &s->caddr, m->ep.port);
}

/* 227, 228, 229 from the server. */
static void passive_line(struct line_ctx *c, const struct ftp_msg *m,
			 const char *line, size_t len, uint32_t line_seq)
{
	struct alg_session *s = c->s;
	const union alg_addr *pub = s->nat.known ? &s->nat.server_pub :
				    &s->saddr;
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	struct alg_endpoint nep;

	if (!endpoint_allowed(c, m))
		return;
	if (m->kind != FTP_REPLY_229 &&
	    !alg_addr_eq(s->family, &m->ep.addr, pub)) {
		/*
		 * The client can only reach the server where it reached
		 * its control port. An announced address that is neither
		 * the server's own nor its public one (a misconfigured
		 * server, or one trying to point the client elsewhere) is
		 * replaced too: the data connection goes to the server.
		 */
		if (!alg_addr_eq(s->family, &m->ep.addr, &s->saddr))
			ev_add(c->r, s, ALG_EV_NOTE, c->dir,
			       "%s announced %s, which is not the server "
			       "(%s): client sent to the server instead",
			       ftp_kind_name(m->kind),
			       addr_s(s->family, &m->ep.addr, a),
			       addr_s(s->family, &s->saddr, b));
		nep = m->ep;
		nep.addr = *pub;
		if (!c->rewritten &&
		    rewrite_field(c, m, line, len, line_seq, &nep))
			return;
	}
	expect(c, m->kind, &s->caddr, pub, &s->saddr, m->ep.port);
}

static int client_line(struct line_ctx *c, const char *line, size_t len,
		       uint32_t line_seq)
{
	struct alg_session *s = c->s;
	const char *why = "malformed";
	char ex[160];
	struct ftp_msg m;

	if (ftp_parse_command(line, len, &m, &why) < 0) {
		ev_add(c->r, s, ALG_EV_REFUSE, c->dir, "%s: \"%s\"", why,
		       excerpt(ex, sizeof(ex), line, len));
		cmdq_push(s, FTP_CMD_OTHER);
		return 0;
	}
	if (m.kind == FTP_NONE)
		return 0;
	cmdq_push(s, m.kind);
	if (s->st[c->dir].tainted)
		return 0;	/* given up on while split; already reported */
	if (m.kind == FTP_CMD_PORT || m.kind == FTP_CMD_EPRT ||
	    m.kind == FTP_CMD_LPRT)
		active_line(c, &m, line, len, line_seq);
	return 0;
}

static enum ftp_kind passive_command_for(enum ftp_kind reply)
{
	switch (reply) {
	case FTP_REPLY_227:
		return FTP_CMD_PASV;
	case FTP_REPLY_228:
		return FTP_CMD_LPSV;
	default:
		return FTP_CMD_EPSV;
	}
}

static int server_line(struct line_ctx *c, const char *line, size_t len,
		       uint32_t line_seq)
{
	struct alg_session *s = c->s;
	const char *why = "malformed";
	bool final, bad;
	char ex[160];
	struct ftp_msg m;
	int ret = 0;

	bad = ftp_parse_reply(line, len, &m, &why) < 0;
	if (!m.code)
		return 0;		/* text inside a multi-line reply */
	if (s->ml_code && m.code != s->ml_code)
		return 0;		/* ditto, starting with digits */
	if (!s->ml_code && m.sep == '-') {
		s->ml_code = m.code;
		s->ml_ep_done = false;
	}
	final = m.sep == ' ';

	if (bad) {
		ev_add(c->r, s, ALG_EV_REFUSE, c->dir, "%s: \"%s\"", why,
		       excerpt(ex, sizeof(ex), line, len));
	} else if (s->st[c->dir].tainted) {
		/* given up on while split; already reported */
	} else if ((m.kind == FTP_REPLY_227 || m.kind == FTP_REPLY_228 ||
		    m.kind == FTP_REPLY_229) && !s->ml_ep_done) {
		s->ml_ep_done = true;
		if (c->t->pol.strict_pairing && !s->cmdq_lost &&
		    cmdq_head(s) != passive_command_for(m.kind))
			ev_add(c->r, s, ALG_EV_REFUSE, c->dir,
			       "%d reply does not answer a %s command "
			       "(awaiting %s): \"%s\"", m.code,
			       ftp_kind_name(passive_command_for(m.kind)),
			       ftp_kind_name(cmdq_head(s)),
			       excerpt(ex, sizeof(ex), line, len));
		else
			passive_line(c, &m, line, len, line_seq);
	} else if (m.kind == FTP_REPLY_234 && final &&
		   cmdq_head(s) == FTP_CMD_AUTH) {
		s->tls = true;
		ev_add(c->r, s, ALG_EV_TLS, c->dir,
		       "AUTH accepted: control connection encrypted, "
		       "inspection ends");
		ret = LINE_STOP_TLS;
	}
	if (final) {
		if (m.code >= 200)
			cmdq_pop(s);
		s->ml_code = 0;
		s->ml_ep_done = false;
	}
	return ret;
}

/* Log a rewrite already rendered piece by piece (early_update). */
static void early_rewrite_event(struct line_ctx *c, const char *line,
				size_t len)
{
	struct alg_stream *st = &c->s->st[c->dir];
	const struct seqadj_corr *k = &st->adj.c[st->adj.n - 1];
	char before[160], after[160], nl[ALG_EV_TEXT];
	size_t off = st->early_start, n = 0, tail;

	/* a field that took the line's terminator along ends with the line */
	tail = off + k->old_len < len ? len - off - k->old_len : 0;

	if (off + k->new_len + tail < sizeof(nl)) {
		memcpy(nl, line, off);
		memcpy(nl + off, k->repl, k->new_len);
		memcpy(nl + off + k->new_len, line + off + k->old_len, tail);
		n = off + k->new_len + tail;
	}
	c->s->cnt.rewrites++;
	ev_add(c->r, c->s, ALG_EV_REWRITE, c->dir, "%s -> %s (split line)",
	       excerpt(before, sizeof(before), line, len),
	       excerpt(after, sizeof(after), nl, n));
}

static int on_line(void *ctx, const char *line, size_t len, uint32_t seq)
{
	struct line_ctx *c = ctx;
	struct alg_stream *st = &c->s->st[c->dir];
	int ret;

	c->s->cnt.lines[c->dir]++;
	early_finish(c->s, c->dir, line, len, st->line_cr ? '\r' : '\n');
	c->rewritten = st->early == ALG_EARLY_REWROTE;
	c->frozen = c->rewritten ? 0 : st->released;
	if (c->rewritten)
		early_rewrite_event(c, line, len);
	if (c->dir == ALG_DIR_ORIG)
		ret = client_line(c, line, len, seq);
	else
		ret = server_line(c, line, len, seq);
	st->early = ALG_EARLY_NONE;
	st->released = 0;
	c->rewritten = false;
	c->frozen = 0;
	return ret;
}

/* ---- rendering and release ---- */

static struct alg_out *out_add(struct alg_result *r, uint32_t id)
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

/* Make h own a buffer of at least need bytes holding its packet. */
static int held_own(struct alg_held *h, size_t need)
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

/*
 * Turn an original packet into what leaves: payload rendered through the
 * corrections, seq mapped forward, ACK and SACK mapped back through the
 * other direction's corrections, checksums updated incrementally.
 */
static void render(struct alg_table *t, struct alg_session *s,
		   enum alg_dir dir, struct alg_held *h, struct alg_out *o)
{
	struct alg_stream *st = &s->st[dir], *os = &s->st[!dir];
	bool mod = false;
	uint32_t v, l, rr;
	struct pkt p;
	unsigned i;
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
	if (p.flags & TCPF_ACK) {
		v = seqadj_unmap_ack(&os->adj, p.ack);
		seqadj_acked(&os->adj, v);
		if (v != p.ack) {
			pkt_set_ack(&p, v);
			mod = true;
		}
		for (i = 0; i < p.nsack; i++) {
			uint32_t nl, nr;

			pkt_get_sack(&p, i, &l, &rr);
			nl = seqadj_unmap_left(&os->adj, l);
			nr = seqadj_unmap_ack(&os->adj, rr);
			if (nl != l || nr != rr) {
				pkt_set_sack(&p, i, nl, nr);
				mod = true;
			}
		}
	}
	if (mod) {
		o->data = h->data;
		o->len = p.len;
	}
}

static void release(struct alg_table *t, struct alg_session *s,
		    enum alg_dir dir, struct alg_held *h, struct alg_result *r)
{
	render(t, s, dir, h, out_add(r, h->id));
	h->next = t->graveyard;
	t->graveyard = h;
}

static void drop_held(struct alg_table *t, struct alg_session *s,
		      struct alg_held *h, struct alg_result *r)
{
	out_add(r, h->id)->verdict = ALG_V_DROP;
	s->cnt.dropped++;
	h->next = t->graveyard;
	t->graveyard = h;
}

static void stop_inspection(struct alg_table *t, struct alg_session *s,
			    enum alg_dir dir, const char *why,
			    struct alg_result *r);

/*
 * Scan the held packets of one direction in sequence order up to the
 * first gap, then release every packet whose bytes are all decided.
 */
static void drain(struct alg_table *t, struct alg_session *s,
		  enum alg_dir dir, uint64_t now, struct alg_result *r)
{
	struct alg_stream *st = &s->st[dir];
	struct line_ctx lc = { .t = t, .s = s, .dir = dir, .r = r };
	struct alg_held *h, *next;
	const char *why = NULL;
	uint32_t decided;
	int ret;

	for (h = st->held; h && s->inspect; h = h->next) {
		if (h->scanned)
			continue;
		if (seq_after(h->seq, st->nxt))
			break;			/* a gap before it */
		h->scanned = true;
		ret = stream_scan(st, h->seq, h->data + (h->len - h->paylen),
				  h->paylen, t->pol.max_line, on_line, &lc,
				  &why);
		if (ret == LINE_STOP_TLS) {
			stop_inspection(t, s, dir, NULL, r);
			return;
		}
		if (ret < 0) {
			stop_inspection(t, s, dir, why, r);
			return;
		}
		early_update(&lc);
		st->pending = st->llen && !st->tainted &&
			      line_must_hold(dir, st->line, st->llen);
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

	decided = st->pending ? st->line_seq : st->nxt;
	for (h = st->held; h; h = next) {
		next = h->next;
		if (s->inspect && (!h->scanned ||
				   seq_after(h->seq + h->paylen, decided)))
			continue;
		stream_unhold(st, h);
		release(t, s, dir, h, r);
	}
}

static void stop_inspection(struct alg_table *t, struct alg_session *s,
			    enum alg_dir dir, const char *why,
			    struct alg_result *r)
{
	if (!s->inspect)
		return;
	s->inspect = false;
	/* an address still arriving ends where inspection ends */
	early_finish(s, ALG_DIR_ORIG, s->st[0].line, s->st[0].llen, -1);
	early_finish(s, ALG_DIR_REPLY, s->st[1].line, s->st[1].llen, -1);
	if (why) {
		snprintf(s->stop_reason, sizeof(s->stop_reason), "%s", why);
		ev_add(r, s, ALG_EV_STOP, dir,
		       "%s: inspection of this session stops (nothing more "
		       "is rewritten or opened)", why);
	} else {
		snprintf(s->stop_reason, sizeof(s->stop_reason), "TLS");
	}
	/* sequence mapping goes on; everything held can go now */
	drain(t, s, ALG_DIR_ORIG, 0, r);
	drain(t, s, ALG_DIR_REPLY, 0, r);
}

/* A split line took too long or too many pieces: pass it as it is. */
static void give_up_line(struct alg_table *t, struct alg_session *s,
			 enum alg_dir dir, const char *why, uint64_t now,
			 struct alg_result *r)
{
	struct alg_stream *st = &s->st[dir];
	char ex[96];

	if (!st->pending)
		return;
	st->pending = false;
	st->tainted = true;
	ev_add(r, s, ALG_EV_REFUSE, dir,
	       "%s: \"%s\" passed unrewritten, no data port opened", why,
	       excerpt(ex, sizeof(ex), st->line, st->llen));
	drain(t, s, dir, now, r);
}

static void close_session(struct alg_table *t, struct alg_session *s,
			  const char *why, uint64_t now, struct alg_result *r)
{
	struct alg_held *h, *next;
	int d;

	if (s->state != ALG_S_CLOSED) {
		s->state = ALG_S_CLOSED;
		s->closed_ms = now;
	}
	for (d = 0; d < 2; d++)
		early_finish(s, d, s->st[d].line, s->st[d].llen, -1);
	if (!s->close_reported) {
		s->close_reported = true;
		ev_add(r, s, ALG_EV_CLOSE, ALG_DIR_ORIG, "%s", why);
	}
	/* nothing more to wait for: release in order, drop what has a gap */
	for (d = 0; d < 2; d++) {
		struct alg_stream *st = &s->st[d];

		st->pending = false;
		for (h = st->held; h; h = next) {
			next = h->next;
			stream_unhold(st, h);
			if (seq_after(h->seq, st->nxt) && s->inspect)
				drop_held(t, s, h, r);
			else
				release(t, s, d, h, r);
		}
	}
}

void alg_session_close(struct alg_table *t, struct alg_session *s,
		       const char *why, uint64_t now_ms, struct alg_result *r)
{
	table_gc(t);
	close_session(t, s, why, now_ms, r);
}

static struct alg_held *held_new(uint32_t id, struct pkt *p, uint64_t now)
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

void alg_process(struct alg_table *t, struct alg_session *s,
		 enum alg_dir dir, struct pkt *p, uint32_t id,
		 uint64_t now_ms, struct alg_result *r)
{
	struct alg_stream *st = &s->st[dir], *os = &s->st[!dir];
	const struct alg_policy *pol = &t->pol;
	struct alg_held *h;

	table_gc(t);
	s->last_ms = now_ms;
	s->cnt.pkts[dir]++;
	s->cnt.bytes[dir] += p->paylen;

	if (p->flags & TCPF_SYN) {
		/* a stream starts after its SYN: at a line start */
		if (dir == ALG_DIR_ORIG && !(p->flags & TCPF_ACK) &&
		    s->state == ALG_S_SYN)
			stream_sync(st, p->seq + 1, true);
		else if (dir == ALG_DIR_REPLY && (p->flags & TCPF_ACK) &&
			 s->state != ALG_S_CLOSED && !st->synced)
			stream_sync(st, p->seq + 1, true);
		h = held_new(id, p, now_ms);
		if (!h)
			goto nomem;
		release(t, s, dir, h, r);
		return;
	}
	if (s->state == ALG_S_SYN)
		s->state = ALG_S_OPEN;
	if (!st->synced) {
		/* joined mid-stream: lines count from the next line feed */
		stream_sync(st, p->seq, false);
		s->midstream = true;
		s->cmdq_lost = true;
	}

	h = held_new(id, p, now_ms);
	if (!h)
		goto nomem;
	/*
	 * Nothing to inspect: no payload, inspection over, or a closed
	 * session lingering for its last packets (it is freed with no
	 * chance to release anything held, so nothing may be held there).
	 */
	if (!p->paylen || s->state == ALG_S_CLOSED ||
	    (!s->inspect && !st->nheld)) {
		/*
		 * Never move nxt here: a pure ACK's seq is past data we may
		 * not have seen yet (lost before us); that data must still
		 * be scanned when it is retransmitted.
		 */
		release(t, s, dir, h, r);
	} else {
		if (st->nheld >= pol->max_hold_pkts ||
		    st->held_bytes + p->paylen > pol->max_hold_bytes) {
			if (seq_after(p->seq, st->nxt)) {
				/* out of order beyond our budget: resend */
				drop_held(t, s, h, r);
				goto flags;
			}
			give_up_line(t, s, dir, "line split into too many "
				     "segments", now_ms, r);
		}
		if (!seq_before(p->seq, st->nxt) &&
		    !seq_after(p->seq + p->paylen, st->nxt))
			s->cnt.retrans++;
		stream_hold(st, h);
		drain(t, s, dir, now_ms, r);
		/* still held: the caller's buffer is gone after this call */
		if (h->on_list) {
			if (held_own(h, h->len)) {
				stream_unhold(st, h);
				drop_held(t, s, h, r);
			} else {
				s->cnt.held++;
			}
		}
	}
flags:
	if (p->flags & TCPF_FIN)
		st->fin = true;
	if (p->flags & TCPF_RST)
		close_session(t, s, "reset", now_ms, r);
	else if (st->fin && os->fin)
		close_session(t, s, "FIN both ways", now_ms, r);
	return;
nomem:
	/* without memory we cannot hold or render: let TCP resend it */
	out_add(r, id)->verdict = ALG_V_DROP;
	s->cnt.dropped++;
}

unsigned alg_tick(struct alg_table *t, uint64_t now_ms, struct alg_result *r)
{
	const struct alg_policy *pol = &t->pol;
	struct alg_session *s, *next;
	unsigned wait = 1000;
	char why[96];
	int d;

	table_gc(t);
	for (s = t->all; s; s = next) {
		next = s->lnext;
		/* room for releasing both directions' held packets */
		if (r->nout + 2 * ALG_MAX_HOLD_PKTS + 1 > ALG_MAX_OUT ||
		    r->nev + 4 > ALG_MAX_EV)
			return 0;	/* call again at once */
		if (s->state == ALG_S_CLOSED) {
			if (now_ms - s->closed_ms >= pol->linger_ms)
				session_free(t, s);
			continue;
		}
		if (now_ms - s->last_ms >= pol->idle_timeout_ms) {
			close_session(t, s, "idle timeout", now_ms, r);
			continue;
		}
		for (d = 0; d < 2; d++) {
			struct alg_stream *st = &s->st[d];
			struct alg_held *h, *hn;

			if (st->pending &&
			    now_ms - st->hold_since_ms >= pol->hold_ms) {
				snprintf(why, sizeof(why), "line not "
					 "completed within %u ms", pol->hold_ms);
				give_up_line(t, s, d, why, now_ms, r);
			}
			for (h = st->held; h; h = hn) {
				hn = h->next;
				if (seq_after(h->seq, st->nxt) &&
				    now_ms - h->since_ms >= pol->hold_ms) {
					stream_unhold(st, h);
					drop_held(t, s, h, r);
				}
			}
			if (st->nheld)
				wait = 50;
		}
	}
	return wait;
}

unsigned alg_table_flush(struct alg_table *t, uint64_t now_ms,
			 struct alg_result *r)
{
	table_gc(t);
	while (t->all) {
		if (r->nout + 2 * ALG_MAX_HOLD_PKTS + 1 > ALG_MAX_OUT ||
		    r->nev + 2 > ALG_MAX_EV)
			break;
		close_session(t, t->all, "shutdown", now_ms, r);
		session_free(t, t->all);
	}
	return t->count;
}
