// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Sessions: one per control connection, found by its tuple as seen at our
 * hook (client address/port, server address/port after DNAT).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

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
	pol->max_pinholes_per_session = 1;
	pol->max_sessions_per_client = 256;
	pol->reserve_pct = 10;
	pol->half_open_ms = 30 * 1000;
	pol->active_on_reply = false;	/* docs/security.md: why not */
	pol->violation_reset = false;
	pol->ctl_ports[0] = ALG_CTL_PORT_DEFAULT;
}

/* Keep limits inside what the engine's fixed arrays can carry. */
static void policy_clamp(struct alg_policy *pol)
{
	if (pol->max_line < 64)
		pol->max_line = 64;
	if (pol->max_line > ALG_MAX_LINE_LIMIT)
		pol->max_line = ALG_MAX_LINE_LIMIT;
	if (pol->max_hold_pkts > ALG_MAX_HOLD_PKTS)
		pol->max_hold_pkts = ALG_MAX_HOLD_PKTS;
	if (pol->max_sessions == 0)
		pol->max_sessions = 1;
	if (!pol->ctl_ports[0])
		pol->ctl_ports[0] = ALG_CTL_PORT_DEFAULT;
	if (pol->max_pinholes_per_session > ALG_MAX_PIN_PER_SESS)
		pol->max_pinholes_per_session = ALG_MAX_PIN_PER_SESS;
	if (pol->reserve_pct > 50)
		pol->reserve_pct = 50;
	if (!pol->half_open_ms)
		pol->half_open_ms = 1000;
}

/* Hash buckets for max_sessions: about one each, a power of two. */
static unsigned table_nbuckets(unsigned max_sessions)
{
	unsigned n = 1024;

	while (n < max_sessions && n < (1u << 20))
		n <<= 1;
	return n;
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
	t->nbuckets = table_nbuckets(t->pol.max_sessions);
	t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
	t->ncbuckets = t->nbuckets;
	t->clients = calloc(t->ncbuckets, sizeof(*t->clients));
	t->scratch = malloc(ALG_SCRATCH_LEN);
	if (!t->buckets || !t->scratch || !t->clients) {
		free(t->clients);
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
	free(t->clients);
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

void alg_table_set_trace_lines(struct alg_table *t, bool on)
{
	t->trace_lines = on;
}

int alg_table_walk(const struct alg_table *t,
		   int (*fn)(const struct alg_session *s, void *arg),
		   void *arg)
{
	const struct alg_session *s;
	int ret;

	for (s = t->all; s; s = s->lnext) {
		ret = fn(s, arg);
		if (ret)
			return ret;
	}
	return 0;
}

/* FNV-1a over the tuple, seeded: lookups stay cheap, chains stay short. */
static unsigned tuple_hash(const struct alg_table *t,
			   const struct alg_tuple *tu)
{
	size_t alen = tu->family == AF_INET ? 4 : 16, i;
	uint32_t h = 2166136261u ^ t->pol.hash_seed;

	for (i = 0; i < alen; i++)
		h = (h ^ tu->caddr.b[i]) * 16777619u;
	for (i = 0; i < alen; i++)
		h = (h ^ tu->saddr.b[i]) * 16777619u;
	h = (h ^ tu->cport) * 16777619u;
	h = (h ^ tu->sport) * 16777619u;
	h ^= h >> 15;
	return h & (t->nbuckets - 1);
}

/* Every session into a new bucket array of n: -ENOMEM changes nothing. */
static int table_rehash(struct alg_table *t, unsigned n)
{
	struct alg_session **b = calloc(n, sizeof(*b)), **old = t->buckets;
	struct alg_session *s;
	unsigned h;

	if (!b)
		return -ENOMEM;
	t->buckets = b;
	t->nbuckets = n;
	for (s = t->all; s; s = s->lnext) {
		h = tuple_hash(t, &s->tu);
		s->hnext = b[h];
		b[h] = s;
	}
	free(old);
	return 0;
}

/*
 * A new policy for t, clamped as alg_table_new() clamps it; the hash seed
 * stays t's own (every session is filed under it). What each limit does
 * to the sessions already open:
 *
 *   max_line            new sessions only: a stream keeps the limit
 *                       (and line buffer) it was created with
 *   max_sessions        new sessions; above the count, none is closed
 *   hold_ms, idle_timeout_ms, linger_ms, max_hold_*
 *                       from the next check on, every session
 *   strict_pairing, allow_low_data_port
 *                       from the next line on, every session
 *   ctl_ports           which new connections are tracked; sessions
 *                       open on a port no longer listed go on until
 *                       they end
 *
 * 0, or -ENOMEM (a larger hash could not be had) and t unchanged.
 */
int alg_table_set_policy(struct alg_table *t, const struct alg_policy *pol)
{
	struct alg_policy p = *pol;
	unsigned n;
	int ret;

	p.hash_seed = t->pol.hash_seed;
	policy_clamp(&p);
	/* grow only: a smaller table later would just cost a rehash now */
	n = table_nbuckets(p.max_sessions);
	if (n > t->nbuckets) {
		ret = clients_rehash(t, n);
		if (!ret)
			ret = table_rehash(t, n);
		if (ret)
			return ret;
	}
	t->pol = p;
	return 0;
}

static bool tuple_eq(const struct alg_tuple *a, const struct alg_tuple *b)
{
	return a->family == b->family && a->cport == b->cport &&
	       a->sport == b->sport &&
	       alg_addr_eq(a->family, &a->caddr, &b->caddr) &&
	       alg_addr_eq(a->family, &a->saddr, &b->saddr);
}

struct alg_session *alg_find(struct alg_table *t,
			     const struct alg_tuple *tuple)
{
	struct alg_session *s;

	for (s = t->buckets[tuple_hash(t, tuple)]; s; s = s->hnext)
		if (tuple_eq(&s->tu, tuple))
			return s;
	return NULL;
}

/* A walk: for events outside packet processing (timers, conntrack). */
struct alg_session *alg_find_id(struct alg_table *t, uint64_t sid)
{
	struct alg_session *s;

	for (s = t->all; s; s = s->lnext)
		if (s->id == sid)
			return s;
	return NULL;
}

/* The tuple of p, as client -> server. */
static void pkt_tuple(const struct pkt *p, bool from_client,
		      struct alg_tuple *tu)
{
	memset(tu, 0, sizeof(*tu));
	tu->family = p->family;
	tu->caddr = from_client ? p->saddr : p->daddr;
	tu->saddr = from_client ? p->daddr : p->saddr;
	tu->cport = from_client ? p->sport : p->dport;
	tu->sport = from_client ? p->dport : p->sport;
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

	pp = &t->buckets[tuple_hash(t, &s->tu)];
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
	t->count--;
	if (s->state != ALG_S_CLOSED)
		client_closed(s->client);
	client_put(t, s->client);
	session_discard(s);
}

void alg_session_forget(struct alg_table *t, struct alg_session *s)
{
	session_free(t, s);
}

/* A session with its line buffers, in no table yet. */
struct alg_session *session_alloc(const struct alg_table *t)
{
	struct alg_session *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	if (stream_init(&s->st[0], t->pol.max_line) ||
	    stream_init(&s->st[1], t->pol.max_line)) {
		session_discard(s);
		return NULL;
	}
	return s;
}

/* Free a session that is in no table. */
void session_discard(struct alg_session *s)
{
	stream_free(&s->st[0]);
	stream_free(&s->st[1]);
	free(s->pins);
	free(s);
}

void alg_table_seed_ids(struct alg_table *t, uint64_t first)
{
	first &= ALG_SID_SEQ_MASK;
	if (first > t->next_id)
		t->next_id = first;
}

/*
 * Link s (its tuple and id set) into t: -EEXIST when its tuple is
 * tracked already, -ENOSPC when the table is full. New ids stay above
 * every id this worker has handed out, imported ones included.
 */
int session_insert(struct alg_table *t, struct alg_session *s)
{
	unsigned b;

	if (alg_find(t, &s->tu))
		return -EEXIST;
	if (t->count >= t->pol.max_sessions)
		return -ENOSPC;
	s->client = client_get(t, s->tu.family, &s->tu.caddr, true);
	if (!s->client)
		return -ENOMEM;
	s->client->n++;
	if (s->state != ALG_S_CLOSED)
		s->client->live++;
	if (s->id >> 48 == t->worker &&
	    (s->id & ALG_SID_SEQ_MASK) >= t->next_id)
		t->next_id = (s->id & ALG_SID_SEQ_MASK) + 1;
	b = tuple_hash(t, &s->tu);
	s->hnext = t->buckets[b];
	t->buckets[b] = s;
	s->lnext = t->all;
	if (t->all)
		t->all->lprev = s;
	t->all = s;
	t->count++;
	return 0;
}

static struct alg_session *session_new(struct alg_table *t,
				       const struct alg_tuple *tu,
				       uint64_t now)
{
	struct alg_session *s = session_alloc(t);

	if (!s)
		return NULL;
	s->id = ((uint64_t)t->worker << 48) | t->next_id++;
	s->tu = *tu;
	s->state = ALG_S_SYN;
	s->inspect = true;
	s->created_ms = s->last_ms = now;
	if (session_insert(t, s)) {
		session_discard(s);
		return NULL;
	}
	return s;
}

/*
 * The per-client limit and the table's reserve (clients.c): true, with
 * a REFUSE event, when tu's client may not have another session.
 */
static bool admit_refused(struct alg_table *t, const struct alg_tuple *tu,
			  struct alg_result *r)
{
	struct alg_client *c = client_get(t, tu->family, &tu->caddr, false);
	enum alg_reason why = client_admit(t, c);
	struct alg_event *ev;

	if (why == ALG_R_NONE)
		return false;
	ev = ev_new(r, NULL, ALG_EV_REFUSE, why, ALG_DIR_ORIG);
	if (ev) {
		ev->value = why == ALG_R_CLIENT_LIMIT ?
			    t->pol.max_sessions_per_client : c->n;
		ev->family = tu->family;
		ev->addr = tu->caddr;
	}
	return true;
}

int alg_track(struct alg_table *t, const struct pkt *p, uint64_t now_ms,
	      struct alg_session **sp, enum alg_dir *dir,
	      struct alg_result *r)
{
	bool syn = (p->flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN;
	struct alg_session *s;
	struct alg_event *ev;
	struct alg_tuple tu;
	bool from_client;

	pkt_tuple(p, true, &tu);
	s = alg_find(t, &tu);
	if (s) {
		*dir = ALG_DIR_ORIG;
		/* a new connection reusing the tuple of a closed one */
		if (syn && s->state == ALG_S_CLOSED) {
			session_free(t, s);
			s = NULL;
		}
	} else {
		pkt_tuple(p, false, &tu);
		s = alg_find(t, &tu);
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
	pkt_tuple(p, from_client, &tu);
	if (t->count >= t->pol.max_sessions) {
		ev = ev_new(r, NULL, ALG_EV_REFUSE, ALG_R_TABLE_FULL,
			    ALG_DIR_ORIG);
		if (ev) {
			ev->value = t->pol.max_sessions;
			ev->family = tu.family;
			ev->addr = tu.caddr;
		}
		return -ENOSPC;
	}
	if (admit_refused(t, &tu, r))
		return -ENOSPC;
	s = session_new(t, &tu, now_ms);
	if (!s)
		return -ENOMEM;
	if (!syn) {
		s->midstream = true;
		s->state = ALG_S_OPEN;
		s->cmdq_lost = true;
	}
	*dir = from_client ? ALG_DIR_ORIG : ALG_DIR_REPLY;
	*sp = s;
	ev = ev_new(r, s, ALG_EV_OPEN, s->midstream ? ALG_R_OPEN_MIDSTREAM :
		    ALG_R_OPEN_SYN, *dir);
	if (ev)
		ev->tuple = s->tu;
	return 0;
}

void alg_session_set_nat(struct alg_session *s, const struct alg_nat *nat)
{
	s->nat = *nat;
	s->nat.known = true;
}

const union alg_addr *session_pub(const struct alg_session *s,
				  enum alg_dir dir)
{
	if (dir == ALG_DIR_ORIG)
		return s->nat.known ? &s->nat.client_pub : &s->tu.caddr;
	return s->nat.known ? &s->nat.server_pub : &s->tu.saddr;
}

uint64_t alg_session_id(const struct alg_session *s)
{
	return s->id;
}

enum alg_sess_state alg_session_state(const struct alg_session *s)
{
	return s->state;
}

const struct alg_tuple *alg_session_tuple(const struct alg_session *s)
{
	return &s->tu;
}

bool alg_session_nat_known(const struct alg_session *s)
{
	return s->nat.known;
}

void alg_session_info(const struct alg_session *s,
		      struct alg_session_info *out)
{
	memset(out, 0, sizeof(*out));
	out->id = s->id;
	out->tuple = s->tu;
	out->nat = s->nat;
	out->state = s->state;
	out->inspect = s->tls ? ALG_INSPECT_TLS :
		       s->inspect ? ALG_INSPECTING : ALG_INSPECT_STOPPED;
	out->stop_reason = s->stop_reason;
	out->midstream = s->midstream;
	out->created_ms = s->created_ms;
	out->last_ms = s->last_ms;
	out->cnt = s->cnt;
}

void table_gc(struct alg_table *t)
{
	held_free_list(t->graveyard);
	t->graveyard = NULL;
}
