/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Announcements released before their pinhole's transaction
 * (pin_async.c).
 *
 * A 227/229 or PORT/EPRT whose pinhole the kernel does not hold yet may
 * leave when the address pair it is between (peer . wire address) is in
 * set peer4/peer6: then chain pin_catch queues a data connection's first
 * SYN between that pair that finds no pinhole or mapping, to this same
 * worker (one queue only), which reads it only after the transaction was
 * sent, and lets it through the hook again (NF_REPEAT), now meeting the
 * pinhole. The pinholes of one wakeup go in one transaction after its
 * verdicts. A pair not (or no longer surely) in the set goes in the
 * transaction of its first pinhole, which then precedes its verdict as
 * before.
 *
 * With several queues, pairs go into map peerq4/peerq6 instead, each to
 * chain catch_q<i> of the worker i that owns it (peer_owner.h), whose
 * rule queues the SYN to that worker's queue: only that worker knows its
 * pinholes, and the queue balance would hash the SYN's addresses (before
 * DNAT) elsewhere. A pair another worker owns is not added: its
 * announcements wait for their transactions.
 */
#ifndef FTP_ALG_PIN_ASYNC_H
#define FTP_ALG_PIN_ASYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ftp-alg/pin.h"

#define PIN_ASYNC_MAX		64	/* pending entries per transaction */
#define PEER_CACHE_SLOTS	2048	/* a power of two */
#define PEER_TIMEOUT_MS		(3600u * 1000u)	/* an element's life */
/* trusted while more than this is left of it; else added again */
#define PEER_TRUST_MS		(PEER_TIMEOUT_MS / 2)
#define CATCH_RECENT		8	/* SYNs remembered against loops */
#define CATCH_LOOP_MS		1000

struct daemon;
struct alg_result;

struct peer_slot {
	uint64_t expires_ms;		/* 0: free */
	int family;
	union alg_addr peer, addr;
};

struct catch_seen {
	uint64_t ms;
	int family;
	union alg_addr src, dst;
	uint16_t sport, dport;
};

struct pin_async {
	bool on;			/* pin_async_setup() said so */
	uint16_t chain;			/* 0: peer4/peer6; i + 1: peerq, catch_q<i> */
	unsigned gen;			/* of pin_async_invalidate() */
	struct peer_slot *slots;	/* PEER_CACHE_SLOTS, or NULL */
	unsigned used;
	/* announced, not in the kernel yet */
	struct pin_entry old[PIN_ASYNC_MAX], add[PIN_ASYNC_MAX];
	uint64_t sid[PIN_ASYNC_MAX];
	uint64_t at_ms[PIN_ASYNC_MAX];
	unsigned nold, nadd;
	struct catch_seen recent[CATCH_RECENT];
	unsigned rnext;
	/*
	 * $FTPALG_TEST_COMMIT_DELAY_MS at start: each pending transaction
	 * waits that long after its verdicts (tests/netns/test_async.sh
	 * makes every data connection come before its pinhole with it).
	 * 0 (unset) in any real use.
	 */
	unsigned delay_ms;
};

/*
 * Turn it on for worker d (the catch objects are there, destroy
 * semantics) or off; false when on was asked but no memory. chain: 0
 * with one queue (set peer4/peer6); worker i's i + 1 with several (maps
 * peerq4/peerq6, chain catch_q<i>; the pairs' owners are shared).
 * Before the workers run.
 */
bool pin_async_setup(struct daemon *d, bool on, uint16_t chain);
void pin_async_free(struct daemon *d);
/* The set may have lost its elements (a ruleset reload): every worker
 * forgets what it believed was there. Any thread. */
void pin_async_invalidate(void);

/* Is e's pair surely in peer4/peer6 (for PEER_TRUST_MS more)? */
bool pin_async_peer_ok(struct daemon *d, const struct pin_entry *e,
		       uint64_t now);
/* The pairs of e[0..n) the transaction must (re)add, into p; their count. */
unsigned pin_async_peers(struct daemon *d, const struct pin_entry *e,
			 unsigned n, struct pin_peer *p, uint64_t now);
/* They were added: trusted from now. */
void pin_async_peers_added(struct daemon *d, const struct pin_peer *p,
			   unsigned n, uint64_t now);

/* Is a pinhole of session sid waiting for its transaction? */
bool pin_async_pending_sid(const struct daemon *d, uint64_t sid);
/*
 * Take old[0..nold) and e[0..n) (sids) into the next transaction instead
 * of one now: true when taken (their verdicts may leave first).
 */
bool pin_async_take(struct daemon *d, const struct pin_entry *old,
		    unsigned nold, const struct pin_entry *e,
		    const uint64_t *sids, unsigned n, uint64_t now);
/* Send the pending transaction, if any (after the verdicts). */
void pin_async_commit(struct daemon *d);

/* A SYN chain pin_catch queued: through again, or on untouched. */
void pin_async_catch(struct daemon *d, uint32_t id, const uint8_t *data,
		     size_t len, uint64_t now);

/* Pure: the cache slot of a pair (tests). */
unsigned pin_async_slot(int family, const union alg_addr *peer,
			const union alg_addr *addr);

#endif
