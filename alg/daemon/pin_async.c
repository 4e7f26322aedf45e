// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Announcements released before their pinhole's transaction (see
 * pin_async.h): the pair cache, the pending transaction, and the SYNs
 * chain pin_catch queues.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>

#include "daemon.h"
#include "peer_owner.h"
#include "trace.h"

static atomic_uint pin_async_generation;

/* several queues: which worker each pair jumps to (peer_owner.h) */
static struct peer_owner_slot *pair_owners;
static pthread_mutex_t pair_owners_lock = PTHREAD_MUTEX_INITIALIZER;

void pin_async_invalidate(void)
{
	atomic_fetch_add(&pin_async_generation, 1);
}

bool pin_async_setup(struct daemon *d, bool on, uint16_t chain)
{
	struct pin_async *a = &d->as;

	const char *delay = getenv("FTPALG_TEST_COMMIT_DELAY_MS");

	a->on = false;
	a->chain = 0;
	a->used = 0;
	a->gen = atomic_load(&pin_async_generation);
	a->delay_ms = delay ? (unsigned)strtoul(delay, NULL, 10) % 10000 : 0;
	if (!on)
		return true;
	if (chain) {
		/* the kernel's maps were emptied: so is the table */
		pthread_mutex_lock(&pair_owners_lock);
		if (!pair_owners)
			pair_owners = calloc(PEER_OWNER_SLOTS,
					     sizeof(*pair_owners));
		else
			memset(pair_owners, 0,
			       PEER_OWNER_SLOTS * sizeof(*pair_owners));
		pthread_mutex_unlock(&pair_owners_lock);
		if (!pair_owners)
			return false;
	}
	if (!a->slots) {
		a->slots = calloc(PEER_CACHE_SLOTS, sizeof(*a->slots));
		if (!a->slots)
			return false;
	} else {
		memset(a->slots, 0, PEER_CACHE_SLOTS * sizeof(*a->slots));
	}
	a->chain = chain;
	a->on = true;
	return true;
}

void pin_async_free(struct daemon *d)
{
	free(d->as.slots);
	d->as.slots = NULL;
	d->as.on = false;
}

/* FNV-1a over the pair: the cache is ours, its keys the peers' choice
 * only as far as their own addresses go, and a collision costs one
 * synchronous transaction. */
unsigned pin_async_slot(int family, const union alg_addr *peer,
			const union alg_addr *addr)
{
	return peer_pair_hash(family, peer, addr) & (PEER_CACHE_SLOTS - 1);
}

/* The cache as of the last invalidation: a stale one is emptied. */
static struct peer_slot *cache(struct daemon *d)
{
	struct pin_async *a = &d->as;
	unsigned g = atomic_load(&pin_async_generation);

	if (!a->on || !a->slots)
		return NULL;
	if (a->gen != g) {
		memset(a->slots, 0, PEER_CACHE_SLOTS * sizeof(*a->slots));
		a->used = 0;
		a->gen = g;
	}
	return a->slots;
}

static bool slot_is(const struct peer_slot *s, int family,
		    const union alg_addr *peer, const union alg_addr *addr)
{
	return s->expires_ms && s->family == family &&
	       alg_addr_eq(family, &s->peer, peer) &&
	       alg_addr_eq(family, &s->addr, addr);
}

bool pin_async_peer_ok(struct daemon *d, const struct pin_entry *e,
		       uint64_t now)
{
	struct peer_slot *c = cache(d), *s;

	if (!c)
		return false;
	s = &c[pin_async_slot(e->family, &e->peer, &e->wire.addr)];
	return slot_is(s, e->family, &e->peer, &e->wire.addr) &&
	       s->expires_ms > now + PEER_TRUST_MS;
}

/* Several queues: may d's pair go to its chain? One pinhole asks once. */
static bool pair_mine(struct daemon *d, const struct pin_peer *q,
		      uint64_t now)
{
	bool ok;

	if (!d->as.chain)
		return true;
	pthread_mutex_lock(&pair_owners_lock);
	ok = pair_owners &&
	     peer_owner_claim(pair_owners, q->family, &q->peer, &q->addr,
			      (uint16_t)(d->as.chain - 1), now, q->timeout_ms);
	pthread_mutex_unlock(&pair_owners_lock);
	if (!ok)
		d->st.pair_elsewhere++;
	return ok;
}

unsigned pin_async_peers(struct daemon *d, const struct pin_entry *e,
			 unsigned n, struct pin_peer *p, uint64_t now)
{
	unsigned i, j, np = 0;

	if (!cache(d))
		return 0;
	for (i = 0; i < n; i++) {
		struct pin_peer q = pin_peer_of(&e[i], PEER_TIMEOUT_MS);

		q.chain = d->as.chain;
		if (pin_async_peer_ok(d, &e[i], now))
			continue;
		for (j = 0; j < np; j++)
			if (p[j].family == q.family &&
			    alg_addr_eq(q.family, &p[j].peer, &q.peer) &&
			    alg_addr_eq(q.family, &p[j].addr, &q.addr))
				break;
		if (j == np && pair_mine(d, &q, now))
			p[np++] = q;
	}
	return np;
}

void pin_async_peers_added(struct daemon *d, const struct pin_peer *p,
			   unsigned n, uint64_t now)
{
	struct peer_slot *c = cache(d), *s;
	unsigned i;

	if (!c)
		return;
	for (i = 0; i < n; i++) {
		s = &c[pin_async_slot(p[i].family, &p[i].peer, &p[i].addr)];
		if (!s->expires_ms)
			d->as.used++;
		/* a colliding pair only loses its trust: it is added again */
		*s = (struct peer_slot){
			.expires_ms = now + p[i].timeout_ms,
			.family = p[i].family, .peer = p[i].peer,
			.addr = p[i].addr,
		};
	}
}

bool pin_async_pending_sid(const struct daemon *d, uint64_t sid)
{
	unsigned i;

	for (i = 0; i < d->as.nadd; i++)
		if (d->as.sid[i] == sid)
			return true;
	return false;
}

bool pin_async_take(struct daemon *d, const struct pin_entry *old,
		    unsigned nold, const struct pin_entry *e,
		    const uint64_t *sids, unsigned n, uint64_t now)
{
	struct pin_async *a = &d->as;
	unsigned i;

	if (!a->on || !n || a->nadd + n > PIN_ASYNC_MAX ||
	    a->nold + nold > PIN_ASYNC_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!pin_async_peer_ok(d, &e[i], now))
			return false;
	if (nold)
		memcpy(&a->old[a->nold], old, nold * sizeof(*old));
	a->nold += nold;
	for (i = 0; i < n; i++) {
		a->add[a->nadd] = e[i];
		a->sid[a->nadd] = sids[i];
		a->at_ms[a->nadd++] = now;
	}
	return true;
}

void pin_async_commit(struct daemon *d)
{
	struct pin_async *a = &d->as;
	unsigned nadd = a->nadd, nold = a->nold;
	int ret;

	if (!nadd && !nold)
		return;
	a->nadd = a->nold = 0;
	if (a->delay_ms) {
		struct timespec ts = {
			.tv_sec = a->delay_ms / 1000,
			.tv_nsec = (long)(a->delay_ms % 1000) * 1000000L,
		};

		while (nanosleep(&ts, &ts) < 0)
			;
	}
	ret = pinholes_reserve(&d->pins, nadd) ?
	      STATS_NL(&d->ws, STATS_NL_NFT_BATCH,
		       pin_change(d->fw, &(struct pin_change){
				.old = a->old, .nold = nold,
				.add = a->add, .nadd = nadd,
			})) :
	      -ENOMEM;
	if (!ret)
		d->st.pin_async += nadd;
	pinholes_added(d, a->add, a->sid, a->at_ms, nadd, ret, true);
	/* their records now, not with the next wakeup's verdicts */
	journal_flush(d);
}

/* ---- caught SYNs ---------------------------------------------------- */

/* Caught before, a moment ago: the kernel has no pinhole for it though
 * we hold one (a ruleset reload took it): no second turn. */
static bool catch_again(struct daemon *d, const struct pkt *p, uint64_t now)
{
	struct pin_async *a = &d->as;
	struct catch_seen *c;
	unsigned i;

	for (i = 0; i < CATCH_RECENT; i++) {
		c = &a->recent[i];
		if (c->ms && now - c->ms < CATCH_LOOP_MS &&
		    c->family == p->family && c->sport == p->sport &&
		    c->dport == p->dport &&
		    alg_addr_eq(p->family, &c->src, &p->saddr) &&
		    alg_addr_eq(p->family, &c->dst, &p->daddr))
			return true;
	}
	a->recent[a->rnext++ % CATCH_RECENT] = (struct catch_seen){
		.ms = now, .family = p->family, .src = p->saddr,
		.dst = p->daddr, .sport = p->sport, .dport = p->dport,
	};
	return false;
}

/* A pinhole of ours the SYN's pair and port announce, in the kernel. */
static const struct pinhole *catch_find(const struct daemon *d,
					const struct pkt *p)
{
	const struct pinholes *ps = &d->pins;
	unsigned i;

	if (!pinholes_port_maybe(ps, p->dport, p->dport))
		return NULL;
	for (i = 0; i < ps->n; i++) {
		const struct pin_entry *e = &ps->v[i].e;

		if (!ps->v[i].retired && e->family == p->family &&
		    e->wire.port == p->dport &&
		    alg_addr_eq(p->family, &e->peer, &p->saddr) &&
		    alg_addr_eq(p->family, &e->wire.addr, &p->daddr))
			return &ps->v[i];
	}
	return NULL;
}

void pin_async_catch(struct daemon *d, uint32_t id, const uint8_t *data,
		     size_t len, uint64_t now)
{
	const struct pinhole *ph;
	char src[EVLOG_EP_LEN], dst[EVLOG_EP_LEN];
	struct pkt p;

	/* what this wakeup announced reaches the kernel first */
	pin_async_commit(d);
	if (!data || pkt_parse_ports(&p, data, len) != PKT_OK) {
		d->st.catch_pass++;
		verdict_send(d, id, NF_ACCEPT, NULL, 0);
		return;
	}
	ph = catch_find(d, &p);
	if (!ph || catch_again(d, &p, now)) {
		if (ph)
			d->st.catch_loop++;
		else
			d->st.catch_pass++;
		verdict_send(d, id, NF_ACCEPT, NULL, 0);
		return;
	}
	d->st.catch_repeat++;
	evlog_ep(p.family, &p.saddr, p.sport, src, sizeof(src));
	evlog_ep(p.family, &p.daddr, p.dport, dst, sizeof(dst));
	log_sess(LOG_DEBUG, ph->sid, "data connection %s -> %s came before "
		 "its pinhole's transaction: sent through again", src, dst);
	verdict_send(d, id, NF_REPEAT, NULL, 0);
}
