// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Policy for an announced data endpoint, and the expectation it earns.
 *
 *   PORT/EPRT/LPRT   must name the client itself (its own or its public
 *                    address): anything else is an FTP bounce.
 *   227/228          any address: one that is not the server's public
 *                    one is replaced by it (a misconfigured server, or
 *                    one pointing the client elsewhere: the data
 *                    connection goes to the server it reached).
 *   229              port only.
 *   every one        the session's address family; no data port below
 *                    1024 unless allow_low_data_port.
 *
 * With active_on_reply a PORT's pinhole waits for the server's 2xx to it
 * (pairing.c); the line is rewritten at once all the same.
 */
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

static struct alg_event *refuse(struct line_ctx *c, enum alg_reason why,
				const struct ftp_msg *m)
{
	struct alg_event *ev = ev_new(c->r, c->s, ALG_EV_REFUSE, why, c->dir);

	if (ev) {
		ev->kind = m->kind;
		ev->ep = m->ep;
	}
	return ev;
}

/* Common policy for an announced endpoint; false when refused. */
static bool endpoint_allowed(struct line_ctx *c, const struct ftp_msg *m)
{
	if (m->ep.family != AF_UNSPEC && m->ep.family != c->s->tu.family) {
		refuse(c, ALG_R_FAMILY, m);
		return false;
	}
	if (m->ep.port < 1024 && !c->t->pol.allow_low_data_port) {
		refuse(c, ALG_R_LOW_PORT, m);
		return false;
	}
	return true;
}

/*
 * The session's pinhole list with room for max of them (at least one):
 * allocated when the session first announces a data port, grown when a
 * reload raises the limit. NULL: out of memory (the list is unchanged).
 */
struct alg_pins *policy_pins(struct alg_session *s, unsigned max)
{
	unsigned cap = max ? max : 1;
	struct alg_pins *p = s->pins;
	bool fresh = !p;

	if (p && p->cap >= cap)
		return p;
	p = realloc(p, sizeof(*p) + cap * sizeof(p->v[0]));
	if (!p)
		return NULL;
	if (fresh)
		p->n = 0;
	p->cap = cap;
	s->pins = p;
	return p;
}

static void expect_nomem(struct line_ctx *c, enum ftp_kind via)
{
	struct alg_event *ev = ev_new(c->r, c->s, ALG_EV_REFUSE, ALG_R_NOMEM,
				      c->dir);

	if (ev)
		ev->kind = via;
}

/*
 * Announce exp. Past max_pinholes_per_session the oldest this session
 * announced is replaced, as the kernel helper keeps one expectation per
 * session: a NOTE PIN_REPLACED naming it comes first, so the daemon
 * removes it before it adds the new one (and before the verdicts).
 */
void policy_expect(struct line_ctx *c, const struct alg_expect *exp)
{
	struct alg_session *s = c->s;
	unsigned max = c->t->pol.max_pinholes_per_session;
	struct alg_pins *p = NULL;
	struct alg_event *ev;
	unsigned n;

	if (max && !(p = policy_pins(s, max))) {
		expect_nomem(c, exp->via);
		return;		/* no pinhole, nothing opened */
	}
	n = p ? p->n : 0;
	/* a limit lowered by a reload may ask for more than one */
	if (c->r->nev + 1 + (max && n >= max ? n - max + 1 : 0) > ALG_MAX_EV) {
		c->r->ev_lost++;
		return;		/* no room: no pinhole, nothing opened */
	}
	while (max && p->n >= max) {
		ev = ev_new(c->r, s, ALG_EV_NOTE, ALG_R_PIN_REPLACED, c->dir);
		ev->kind = exp->via;
		ev->exp = p->v[0];
		memmove(&p->v[0], &p->v[1], (p->n - 1) * sizeof(p->v[0]));
		p->n--;
	}
	if (max)
		p->v[p->n++] = *exp;
	ev = ev_new(c->r, s, ALG_EV_EXPECT, ALG_R_DATA_PORT, c->dir);
	ev->kind = exp->via;
	ev->exp = *exp;
	s->cnt.expects++;
}

/*
 * Let peer connect to wire:port, which NAT sends on to target:port, its
 * connection leaving from peer_pub (where the other end knows it from).
 */
static void expect(struct line_ctx *c, enum ftp_kind via,
		   const union alg_addr *peer, const union alg_addr *peer_pub,
		   const union alg_addr *wire, const union alg_addr *target,
		   uint16_t port)
{
	struct alg_session *s = c->s;
	struct alg_expect exp;

	memset(&exp, 0, sizeof(exp));
	exp.family = s->tu.family;
	exp.peer = *peer;
	exp.peer_pub = *peer_pub;
	exp.wire.family = s->tu.family;
	exp.wire.addr = *wire;
	exp.wire.port = port;
	exp.target.family = s->tu.family;
	exp.target.addr = *target;
	exp.target.port = port;
	exp.via = via;
	if (c->dir == ALG_DIR_ORIG && c->t->pol.active_on_reply) {
		/* opened by the server's 2xx to this command (pairing.c) */
		if (!policy_pins(s, c->t->pol.max_pinholes_per_session)) {
			expect_nomem(c, via);
			return;
		}
		s->pins->port_exp = exp;
		s->port_pending = true;
		s->port_cmd = s->cmd_pushed - 1;
		return;
	}
	policy_expect(c, &exp);
}

/* PORT, EPRT, LPRT from the client. */
void policy_active(struct line_ctx *c, const struct ftp_msg *m,
		   const char *line, size_t len, uint32_t line_seq)
{
	struct alg_session *s = c->s;
	const union alg_addr *pub = session_pub(s, ALG_DIR_ORIG);
	int family = s->tu.family;
	struct alg_endpoint nep;
	struct alg_event *ev;

	if (!endpoint_allowed(c, m))
		return;
	if (!alg_addr_eq(family, &m->ep.addr, &s->tu.caddr) &&
	    !alg_addr_eq(family, &m->ep.addr, pub)) {
		ev = refuse(c, ALG_R_BOUNCE, m);
		if (ev)
			ev->addr = s->tu.caddr;
		return;
	}
	if (!c->rewritten && !alg_addr_eq(family, &m->ep.addr, pub)) {
		nep = m->ep;
		nep.addr = *pub;
		if (rewrite_line(c, m, line, len, line_seq, &nep))
			return;
	}
	/*
	 * the server connects to the public address; NAT sends it home,
	 * from the address the client reached the server at
	 */
	expect(c, m->kind, &s->tu.saddr, session_pub(s, ALG_DIR_REPLY), pub,
	       &s->tu.caddr, m->ep.port);
}

/* 227, 228, 229 from the server. */
void policy_passive(struct line_ctx *c, const struct ftp_msg *m,
		    const char *line, size_t len, uint32_t line_seq)
{
	struct alg_session *s = c->s;
	const union alg_addr *pub = session_pub(s, ALG_DIR_REPLY);
	int family = s->tu.family;
	struct alg_endpoint nep;
	struct alg_event *ev;

	if (!endpoint_allowed(c, m))
		return;
	if (m->kind != FTP_REPLY_229 &&
	    !alg_addr_eq(family, &m->ep.addr, pub)) {
		if (!alg_addr_eq(family, &m->ep.addr, &s->tu.saddr)) {
			ev = ev_new(c->r, s, ALG_EV_NOTE, ALG_R_FOREIGN_ADDR,
				    c->dir);
			if (ev) {
				ev->kind = m->kind;
				ev->ep = m->ep;
				ev->addr = s->tu.saddr;
			}
		}
		nep = m->ep;
		nep.addr = *pub;
		if (!c->rewritten &&
		    rewrite_line(c, m, line, len, line_seq, &nep))
			return;
	}
	expect(c, m->kind, &s->tu.caddr, session_pub(s, ALG_DIR_ORIG), pub,
	       &s->tu.saddr, m->ep.port);
}
