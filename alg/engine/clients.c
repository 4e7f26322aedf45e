// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Sessions per client address: what max_sessions_per_client and the
 * table's reserve are measured against. One small counted entry per
 * address with a session, in chains under the table's random seed (an
 * attacker cannot aim many addresses at one chain).
 *
 *   count >= max_sessions_per_client                CLIENT_LIMIT
 *   table in its last reserve_pct, client already
 *   holding ALG_RESERVE_SHARE sessions or more      TABLE_RESERVE
 *
 * So bare SYNs from one address fill at most its own share, and even
 * many addresses of one attacker cannot take the reserve from a client
 * that holds fewer than ALG_RESERVE_SHARE sessions.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

static unsigned client_hash(const struct alg_table *t, int family,
			    const union alg_addr *a, unsigned n)
{
	size_t alen = family == AF_INET ? 4 : 16, i;
	uint32_t h = 2166136261u ^ t->pol.hash_seed;

	for (i = 0; i < alen; i++)
		h = (h ^ a->b[i]) * 16777619u;
	h ^= h >> 15;
	return h & (n - 1);
}

struct alg_client *client_get(struct alg_table *t, int family,
			      const union alg_addr *a, bool create)
{
	unsigned b = client_hash(t, family, a, t->ncbuckets);
	struct alg_client *c;

	for (c = t->clients[b]; c; c = c->next)
		if (c->family == family && alg_addr_eq(family, &c->addr, a))
			return c;
	if (!create)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->family = family;
	c->addr = *a;
	c->next = t->clients[b];
	t->clients[b] = c;
	t->nclients++;
	return c;
}

/* One session of c less; the entry goes with its last session. */
void client_put(struct alg_table *t, struct alg_client *c)
{
	struct alg_client **pp;

	if (!c || --c->n)
		return;
	pp = &t->clients[client_hash(t, c->family, &c->addr, t->ncbuckets)];
	while (*pp && *pp != c)
		pp = &(*pp)->next;
	if (*pp)
		*pp = c->next;
	t->nclients--;
	free(c);
}

void client_closed(struct alg_client *c)
{
	if (c && c->live)
		c->live--;
}

/*
 * Only live sessions count: a closed one lingers linger_ms for its last
 * ACKs, and a client that just finished a few transfers must not be
 * over its share of the reserve because of them.
 */
enum alg_reason client_admit(const struct alg_table *t,
			     const struct alg_client *c)
{
	const struct alg_policy *pol = &t->pol;
	unsigned held = c ? c->live : 0, reserve;

	if (pol->max_sessions_per_client &&
	    held >= pol->max_sessions_per_client)
		return ALG_R_CLIENT_LIMIT;
	reserve = (unsigned)((uint64_t)pol->max_sessions * pol->reserve_pct /
			     100);
	if (reserve && t->count + reserve >= pol->max_sessions &&
	    held >= ALG_RESERVE_SHARE)
		return ALG_R_TABLE_RESERVE;
	return ALG_R_NONE;
}

/* Every entry into n new chains: -ENOMEM changes nothing. */
int clients_rehash(struct alg_table *t, unsigned n)
{
	struct alg_client **b = calloc(n, sizeof(*b)), *c, *next;
	unsigned i, h;

	if (!b)
		return -ENOMEM;
	for (i = 0; i < t->ncbuckets; i++)
		for (c = t->clients[i]; c; c = next) {
			next = c->next;
			h = client_hash(t, c->family, &c->addr, n);
			c->next = b[h];
			b[h] = c;
		}
	free(t->clients);
	t->clients = b;
	t->ncbuckets = n;
	return 0;
}
