// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The owners of maps peerq4/peerq6's pairs (see peer_owner.h).
 */
#include <stddef.h>
#include <sys/socket.h>

#include "peer_owner.h"

uint32_t peer_pair_hash(int family, const union alg_addr *peer,
			const union alg_addr *addr)
{
	size_t n = family == AF_INET ? 4 : 16, i;
	uint32_t h = 2166136261u;

	for (i = 0; i < n; i++)
		h = (h ^ peer->b[i]) * 16777619u;
	for (i = 0; i < n; i++)
		h = (h ^ addr->b[i]) * 16777619u;
	return h;
}

static bool owner_is(const struct peer_owner_slot *s, int family,
		     const union alg_addr *peer, const union alg_addr *addr)
{
	return s->until_ms && s->family == family &&
	       alg_addr_eq(family, &s->peer, peer) &&
	       alg_addr_eq(family, &s->addr, addr);
}

/* The pair's slot, or NULL; *free_slot the first free one on its way. */
static struct peer_owner_slot *
owner_find(const struct peer_owner_slot *t, int family,
	   const union alg_addr *peer, const union alg_addr *addr,
	   uint64_t now, struct peer_owner_slot **free_slot)
{
	unsigned h = peer_pair_hash(family, peer, addr), i;
	struct peer_owner_slot *s;

	if (free_slot)
		*free_slot = NULL;
	for (i = 0; i < PEER_OWNER_PROBE; i++) {
		s = (struct peer_owner_slot *)
		    &t[(h + i) & (PEER_OWNER_SLOTS - 1)];
		if (owner_is(s, family, peer, addr))
			return s;
		if (free_slot && !*free_slot && s->until_ms <= now)
			*free_slot = s;
	}
	return NULL;
}

bool peer_owner_claim(struct peer_owner_slot *t, int family,
		      const union alg_addr *peer, const union alg_addr *addr,
		      uint16_t w, uint64_t now, uint64_t life_ms)
{
	struct peer_owner_slot *s, *free_slot;

	s = owner_find(t, family, peer, addr, now, &free_slot);
	if (s && s->until_ms > now && s->owner != w)
		return false;
	if (!s)
		s = free_slot;
	if (!s)
		return false;
	*s = (struct peer_owner_slot){
		.until_ms = now + life_ms + PEER_OWNER_MARGIN_MS,
		.owner = w, .family = (uint8_t)family,
		.peer = *peer, .addr = *addr,
	};
	return true;
}

int peer_owner_of(const struct peer_owner_slot *t, int family,
		  const union alg_addr *peer, const union alg_addr *addr,
		  uint64_t now)
{
	const struct peer_owner_slot *s;

	s = owner_find(t, family, peer, addr, now, NULL);
	return s && s->until_ms > now ? s->owner : -1;
}
