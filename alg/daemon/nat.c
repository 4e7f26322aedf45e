// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The NAT of a control connection, learnt from conntrack once per session
 * at its first payload packet: the engine needs the client's and the
 * server's public addresses to rewrite and to pair announcements.
 */
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "conntrack.h"
#include "daemon.h"
#include "trace.h"

/* The session's connection as conntrack sees it at our hook. */
void session_ct_tuple(const struct alg_session *s, struct ct_tuple *t)
{
	const struct alg_tuple *tu = alg_session_tuple(s);

	memset(t, 0, sizeof(*t));
	t->family = tu->family;
	t->proto = IPPROTO_TCP;
	t->src = tu->caddr;
	t->dst = tu->saddr;
	t->sport = tu->cport;
	t->dport = tu->sport;
}

/*
 * Any failure leaves the session with "no NAT" (identity), which is right
 * for a router that does not translate this connection, and logged.
 */
void nat_learn(struct daemon *d, struct alg_session *s)
{
	char cb[INET6_ADDRSTRLEN], sb[INET6_ADDRSTRLEN];
	struct alg_nat nat = { .known = true };
	struct ct_tuple t;
	struct ct_entry e;
	uint64_t sid;
	int ret;

	session_ct_tuple(s, &t);
	verdicts_flush(d);	/* a round trip: earlier packets go first */
	d->st.nat_queries++;
	ret = STATS_NL(&d->ws, STATS_NL_CT, ct_query(d->ct, &t, &e));
	sid = alg_session_id(s);
	if (ret == 0) {
		/* the client as the server sees it: where replies go */
		nat.client_pub = e.reply.dst;
		/* the server as the client sees it: where it connected */
		nat.server_pub = e.orig.dst;
	} else {
		d->st.nat_fail++;
		nat.client_pub = t.src;
		nat.server_pub = t.dst;
		log_sess(LOG_WARNING, sid,
			 "nat: no conntrack entry found (%s); assuming none",
			 strerror(-ret));
	}
	alg_session_set_nat(s, &nat);
	trace_nat(d, sid, t.family, &nat);
	log_sess(LOG_INFO, sid, "nat client %s server %s",
		 alg_addr_str(t.family, &nat.client_pub, cb, sizeof(cb)),
		 alg_addr_str(t.family, &nat.server_pub, sb, sizeof(sb)));
}
