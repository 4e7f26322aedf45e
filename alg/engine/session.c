// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Sessions: one per control connection, found by its tuple as seen at our
 * hook (client address/port, server address/port after DNAT).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ftp-alg/engine.h"
#include "stream.h"

void alg_policy_default(struct alg_policy *pol)
{
	memset(pol, 0, sizeof(*pol));
	pol->max_line = ALG_MAX_LINE_DEFAULT;
	pol->hold_ms = 2000;
	pol->max_hold_pkts = ALG_MAX_HOLD_PKTS;
	pol->max_hold_bytes = 64 * 1024;
	pol->idle_timeout_ms = 2 * 3600 * 1000;
	pol->linger_ms = 10 * 1000;
	pol->max_sessions = 16384;
	pol->strict_pairing = true;
	pol->allow_low_data_port = false;
	pol->ctl_ports[0] = 21;
}

/* Keep limits inside what the engine's fixed arrays can carry. */
static void policy_clamp(struct alg_policy *pol)
{
	if (pol->max_line < 64)
		pol->max_line = 64;
	if (pol->max_line > 8192)
		pol->max_line = 8192;
	if (pol->max_hold_pkts > ALG_MAX_HOLD_PKTS)
		pol->max_hold_pkts = ALG_MAX_HOLD_PKTS;
	if (pol->max_sessions == 0)
		pol->max_sessions = 1;
	if (!pol->ctl_ports[0])
		pol->ctl_ports[0] = 21;
}

struct alg_table *alg_table_new(const struct alg_policy *pol,
				uint16_t worker_id)
{
	struct alg_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->pol = *pol;
	policy_clamp(&t->pol);
	t->worker = worker_id;
	t->next_id = 1;
	t->nbuckets = 1024;
	while (t->nbuckets < t->pol.max_sessions && t->nbuckets < (1u << 20))
		t->nbuckets <<= 1;
	t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
	t->scratch = malloc(ALG_SCRATCH_LEN);
	if (!t->buckets || !t->scratch) {
		free(t->buckets);
		free(t->scratch);
		free(t);
		return NULL;
	}
	return t;
}

void alg_table_free(struct alg_table *t)
{
	if (!t)
		return;
	while (t->all)
		session_free(t, t->all);
	table_gc(t);
	free(t->buckets);
	free(t->scratch);
	free(t);
}

const struct alg_policy *alg_table_policy(const struct alg_table *t)
{
	return &t->pol;
}

unsigned alg_table_count(const struct alg_table *t)
{
	return t->count;
}

int alg_table_walk(struct alg_table *t,
		   int (*fn)(struct alg_session *s, void *arg), void *arg)
{
	struct alg_session *s;
	int ret;

	for (s = t->all; s; s = s->lnext) {
		ret = fn(s, arg);
		if (ret)
			return ret;
	}
	return 0;
}

/* FNV-1a over the tuple, seeded: lookups stay cheap, chains stay short. */
static unsigned tuple_hash(const struct alg_table *t, int family,
			   const union alg_addr *ca, uint16_t cp,
			   const union alg_addr *sa, uint16_t sp)
{
	size_t alen = family == AF_INET ? 4 : 16, i;
	uint32_t h = 2166136261u ^ t->pol.hash_seed;

	for (i = 0; i < alen; i++)
		h = (h ^ ca->b[i]) * 16777619u;
	for (i = 0; i < alen; i++)
		h = (h ^ sa->b[i]) * 16777619u;
	h = (h ^ cp) * 16777619u;
	h = (h ^ sp) * 16777619u;
	h ^= h >> 15;
	return h & (t->nbuckets - 1);
}

struct alg_session *alg_find(struct alg_table *t, int family,
			     const union alg_addr *caddr, uint16_t cport,
			     const union alg_addr *saddr, uint16_t sport)
{
	struct alg_session *s;

	s = t->buckets[tuple_hash(t, family, caddr, cport, saddr, sport)];
	for (; s; s = s->hnext)
		if (s->family == family && s->cport == cport &&
		    s->sport == sport && alg_addr_eq(family, &s->caddr, caddr) &&
		    alg_addr_eq(family, &s->saddr, saddr))
			return s;
	return NULL;
}

static bool is_ctl_port(const struct alg_policy *pol, uint16_t port)
{
	unsigned i;

	for (i = 0; i < ALG_MAX_CTL_PORTS && pol->ctl_ports[i]; i++)
		if (pol->ctl_ports[i] == port)
			return true;
	return false;
}

void session_free(struct alg_table *t, struct alg_session *s)
{
	struct alg_session **pp;

	pp = &t->buckets[tuple_hash(t, s->family, &s->caddr, s->cport,
				     &s->saddr, s->sport)];
	while (*pp && *pp != s)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = s->hnext;
	if (s->lprev)
		s->lprev->lnext = s->lnext;
	else
		t->all = s->lnext;
	if (s->lnext)
		s->lnext->lprev = s->lprev;
	stream_free(&s->st[0]);
	stream_free(&s->st[1]);
	t->count--;
	free(s);
}

static struct alg_session *session_new(struct alg_table *t,
				       const struct pkt *p, bool from_client,
				       uint64_t now)
{
	struct alg_session *s = calloc(1, sizeof(*s));
	unsigned b;

	if (!s)
		return NULL;
	if (stream_init(&s->st[0], t->pol.max_line) ||
	    stream_init(&s->st[1], t->pol.max_line)) {
		stream_free(&s->st[0]);
		stream_free(&s->st[1]);
		free(s);
		return NULL;
	}
	s->id = ((uint64_t)t->worker << 48) | t->next_id++;
	s->family = p->family;
	s->caddr = from_client ? p->saddr : p->daddr;
	s->saddr = from_client ? p->daddr : p->saddr;
	s->cport = from_client ? p->sport : p->dport;
	s->sport = from_client ? p->dport : p->sport;
	s->state = ALG_S_SYN;
	s->inspect = true;
	s->created_ms = s->last_ms = now;

	b = tuple_hash(t, s->family, &s->caddr, s->cport, &s->saddr,
		       s->sport);
	s->hnext = t->buckets[b];
	t->buckets[b] = s;
	s->lnext = t->all;
	if (t->all)
		t->all->lprev = s;
	t->all = s;
	t->count++;
	return s;
}

static void session_open_event(struct alg_session *s, struct alg_result *r)
{
	char c[INET6_ADDRSTRLEN], sv[INET6_ADDRSTRLEN];
	struct alg_event *ev;

	if (r->nev >= ALG_MAX_EV) {
		r->ev_lost++;
		return;
	}
	ev = &r->ev[r->nev++];
	memset(ev, 0, sizeof(*ev));
	ev->type = ALG_EV_OPEN;
	ev->sid = s->id;
	alg_addr_str(s->family, &s->caddr, c, sizeof(c));
	alg_addr_str(s->family, &s->saddr, sv, sizeof(sv));
	snprintf(ev->text, sizeof(ev->text), "%s%s%s:%u -> %s%s%s:%u%s",
		 s->family == AF_INET6 ? "[" : "", c,
		 s->family == AF_INET6 ? "]" : "", s->cport,
		 s->family == AF_INET6 ? "[" : "", sv,
		 s->family == AF_INET6 ? "]" : "", s->sport,
		 s->midstream ? " (picked up mid-stream)" : "");
}

int alg_lookup(struct alg_table *t, const struct pkt *p, uint64_t now_ms,
	       struct alg_session **sp, enum alg_dir *dir,
	       struct alg_result *r)
{
	bool syn = (p->flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN;
	bool from_client;
	struct alg_session *s;

	s = alg_find(t, p->family, &p->saddr, p->sport, &p->daddr, p->dport);
	if (s) {
		*dir = ALG_DIR_ORIG;
		/* a new connection reusing the tuple of a closed one */
		if (syn && s->state == ALG_S_CLOSED) {
			session_free(t, s);
			s = NULL;
		}
	} else {
		s = alg_find(t, p->family, &p->daddr, p->dport, &p->saddr,
			     p->sport);
		*dir = ALG_DIR_REPLY;
	}
	if (s) {
		*sp = s;
		return 0;
	}

	if (is_ctl_port(&t->pol, p->dport))
		from_client = true;
	else if (is_ctl_port(&t->pol, p->sport))
		from_client = false;
	else
		return -ENOENT;
	if (p->flags & TCPF_RST)
		return -ENOENT;
	if (p->flags & TCPF_SYN && !syn)
		return -ENOENT;	/* SYN-ACK without the SYN: wait */
	if (t->count >= t->pol.max_sessions) {
		if (r->nev < ALG_MAX_EV) {
			struct alg_event *ev = &r->ev[r->nev++];

			memset(ev, 0, sizeof(*ev));
			ev->type = ALG_EV_REFUSE;
			snprintf(ev->text, sizeof(ev->text),
				 "session table full (%u): connection not "
				 "tracked", t->pol.max_sessions);
		} else {
			r->ev_lost++;
		}
		return -ENOSPC;
	}
	s = session_new(t, p, from_client, now_ms);
	if (!s)
		return -ENOMEM;
	if (!syn) {
		s->midstream = true;
		s->state = ALG_S_OPEN;
		s->cmdq_lost = true;
	}
	*dir = from_client ? ALG_DIR_ORIG : ALG_DIR_REPLY;
	*sp = s;
	session_open_event(s, r);
	return 0;
}

void alg_session_set_nat(struct alg_session *s, const struct alg_nat *nat)
{
	s->nat = *nat;
	s->nat.known = true;
}

void table_gc(struct alg_table *t)
{
	struct alg_held *h, *n;

	for (h = t->graveyard; h; h = n) {
		n = h->next;
		held_free(h);
	}
	t->graveyard = NULL;
}
