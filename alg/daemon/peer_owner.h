/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which worker a pair of map peerq4/peerq6 jumps to (several queues).
 *
 * A pair (peer . wire address) can be announced by several workers: the
 * queue balance hashes a control connection's two addresses, and sessions
 * of different clients (masquerade, active mode: the server . the
 * router's address) or to different servers behind one address share a
 * pair. The map holds one chain per pair, so one worker owns it: only
 * the owner releases announcements before their transactions; the others
 * wait for theirs, as they would without the map. Without this table, a
 * second worker's add would move the pair's SYNs to itself, and the
 * owner's early SYNs would reach a worker that knows nothing of them.
 *
 * Pure: the caller holds whatever lock and gives the time. Open
 * addressing, a bounded probe; a pair that finds no slot is owned by
 * nobody (its announcements wait for their transactions).
 */
#ifndef FTP_ALG_PEER_OWNER_H
#define FTP_ALG_PEER_OWNER_H

#include <stdbool.h>
#include <stdint.h>

#include "ftp-alg/addr.h"

#define PEER_OWNER_SLOTS	16384	/* a power of two */
#define PEER_OWNER_PROBE	16
/* the kernel's element may outlive our clock's idea of it by this much */
#define PEER_OWNER_MARGIN_MS	10000

struct peer_owner_slot {
	uint64_t until_ms;		/* owned until then; <= now: free */
	uint16_t owner;			/* a worker id */
	uint8_t family;
	union alg_addr peer, addr;
};

/* FNV-1a over the pair's addresses (also pin_async_slot()'s). */
uint32_t peer_pair_hash(int family, const union alg_addr *peer,
			const union alg_addr *addr);

/*
 * Worker w wants the pair for life_ms from now: true when it owns it now
 * (its own again, free, or an earlier owner's that expired), false when
 * another worker's element may still be in the kernel or no slot is free.
 */
bool peer_owner_claim(struct peer_owner_slot *t, int family,
		      const union alg_addr *peer, const union alg_addr *addr,
		      uint16_t w, uint64_t now, uint64_t life_ms);
/* The owner of a pair now, or -1. */
int peer_owner_of(const struct peer_owner_slot *t, int family,
		  const union alg_addr *peer, const union alg_addr *addr,
		  uint64_t now);

#endif
