// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The engine: stream/lines -> FTP parse -> policy -> rewrite + seqadj ->
 * verdicts and events. See include/ftp-alg/engine.h for the contract.
 *
 * A rewrite that spans segments. NFQUEUE lets us delay a packet's
 * verdict, so a packet carrying bytes of a line that may still need
 * rewriting (a client line starting "PORT"/"EPRT"/"LPRT" or a prefix of
 * one, a server line starting "227"/"228"/"229" or a prefix) is held until
 * the line is complete. Then the line is parsed, the correction recorded,
 * and every held packet is rendered from its own original bytes through
 * the correction list (seqadj.c) and released. The output stream thus
 * carries exactly the rewritten line, cut at the same boundaries (mapped
 * by f(k), seqadj.h), with consistent sequence numbers; a retransmission
 * of any of those pieces later renders to the same bytes. Out-of-order
 * packets are held the same way until the gap before them fills. Holding
 * is bounded in packets, bytes and time (alg_policy): past a bound the
 * line is given up on (passed unrewritten, no data port opened, reason
 * reported), and out-of-order packets are dropped for the sender to
 * retransmit.
 */
#include <errno.h>
#include <stdarg.h>
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
 * May this incomplete line still turn out to be one we rewrite? Then its
 * packets are held until it is complete.
 */
static bool line_may_rewrite(enum alg_dir dir, const char *l, size_t n)
{
	static const char *const verbs[] = { "PORT", "EPRT", "LPRT" };
	static const char *const codes[] = { "227", "228", "229" };
	const char *const *set = dir == ALG_DIR_ORIG ? verbs : codes;
	size_t want = dir == ALG_DIR_ORIG ? 4 : 3, i, k;

	for (i = 0; i < 3; i++) {
		size_t m = n < want ? n : want;

		for (k = 0; k < m; k++)
			if ((l[k] & ~0x20) != (set[i][k] & ~0x20) &&
			    l[k] != set[i][k])
				break;
		if (k < m)
			continue;
		if (n <= want)
			return true;
		if (dir == ALG_DIR_ORIG)
			return l[want] == ' ' || l[want] == '\r';
		return l[want] == ' ' || l[want] == '-' || l[want] == '\r';
	}
	return false;
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
	if (!alg_addr_eq(s->family, &m->ep.addr, pub)) {
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
		if (rewrite_field(c, m, line, len, line_seq, &nep))
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

static int on_line(void *ctx, const char *line, size_t len, uint32_t seq)
{
	struct line_ctx *c = ctx;

	c->s->cnt.lines[c->dir]++;
	if (c->dir == ALG_DIR_ORIG)
		return client_line(c, line, len, seq);
	return server_line(c, line, len, seq);
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
	struct line_ctx lc = { t, s, dir, r };
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
		st->pending = st->llen && !st->tainted &&
			      line_may_rewrite(dir, st->line, st->llen);
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
		if (seq_after(p->seq + p->paylen, st->nxt))
			st->nxt = p->seq + p->paylen;
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
