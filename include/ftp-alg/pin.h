/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Pinholes and NAT mappings: elements of the sets and the map of "table
 * inet ftp_alg" (deploy/ftp-alg.nft), through libnftnl over the socket
 * of fw.h. The table's chains and queue rules are ruleset.h's.
 *
 * Messages are built by pin_build_elem() into a caller's buffer so tests
 * can parse them back without a kernel; pin_*() send them and wait for
 * the kernel's answer (one batch per call, so a pinhole and its mapping
 * appear together, before the caller releases the announcing packet).
 */
#ifndef FTP_ALG_PIN_H
#define FTP_ALG_PIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ftp-alg/addr.h"
#include "ftp-alg/fw.h"

#define PIN_TABLE	"ftp_alg"
#define PIN_SET4	"pin4"
#define PIN_SET6	"pin6"
#define PIN_MAP4	"dnat4"
#define PIN_SNAT4	"snat4"
#define PIN_USED4	"used4"
#define PIN_USED6	"used6"
#define PIN_USEDP4	"usedp4"
#define PIN_PEER4	"peer4"
#define PIN_PEER6	"peer6"
/* with several queues: pair -> jump catch_q<worker> (nft/catch.c) */
#define PIN_PEERQ4	"peerq4"
#define PIN_PEERQ6	"peerq6"
#define PIN_CT_MARK	0x00f70000u
/*
 * The ct mark bit of a control connection whose stream we shift (set by
 * the daemon with be-liberal): its packets are queued without bypass, so
 * while no ftp-algd listens they wait (dropped, retransmitted) instead of
 * passing unadjusted. A bit PIN_CT_MARK leaves free.
 */
#define PIN_CT_MARK_ADJUSTED	0x00080000u
_Static_assert(!(PIN_CT_MARK & PIN_CT_MARK_ADJUSTED),
	       "the two ct mark bits must not overlap");

/*
 * NFT_MSG_DESTROYSETELEM: a delete for which a missing element is no error
 * (Linux 6.3). Debian 12's linux-libc-dev (6.1) and libnftnl 1.2.4 do not
 * have it, and newer headers have it as an enum value (no #ifdef can
 * see it): its number in enum nf_tables_msg_types is 30, after
 * GETRULE_RESET (25) and DESTROYTABLE .. DESTROYSET (26..29).
 */
#define PIN_MSG_DESTROYSETELEM	30

/*
 * One data connection we let through:
 *   pin4/pin6 element  peer . target.addr . target.port   (after DNAT)
 *   dnat4 element      peer . wire.addr . wire.port : target.addr . target.port
 *                      (only when wire != target; IPv4 only)
 *   snat4 element      peer . target.addr . target.port : peer_pub
 *                      (only when peer_pub is set and != peer; IPv4 only)
 * snat4 makes the connection leave from the address the other end knows
 * the peer by: a DMZ server's active-mode data connection leaves from the
 * public address its control connection was forwarded from.
 */
struct pin_entry {
	int family;
	union alg_addr peer;
	struct alg_endpoint wire;
	struct alg_endpoint target;
	uint32_t timeout_ms;
	/* all zero: none (entries of journals from before snat4) */
	union alg_addr peer_pub;
};

/*
 * An address pair between which data ports are announced (peer4/peer6:
 * peer . wire address, as prerouting sees a data connection's first
 * packet, before DNAT): chain pin_catch queues such a packet that finds
 * no pinhole or mapping yet. Every pin_entry has one: peer, wire.addr.
 */
struct pin_peer {
	int family;
	union alg_addr peer;
	union alg_addr addr;
	uint32_t timeout_ms;
	/*
	 * 0: an element of set peer4/peer6 (one queue); n: of map
	 * peerq4/peerq6, "jump catch_q<n-1>" (several queues: worker n-1's)
	 */
	uint16_t chain;
};

static inline struct pin_peer pin_peer_of(const struct pin_entry *e,
					  uint32_t timeout_ms)
{
	struct pin_peer p = {
		.family = e->family, .peer = e->peer, .addr = e->wire.addr,
		.timeout_ms = timeout_ms,
	};

	return p;
}

/* The elements of one entry: its pinhole, dnat4, snat4. */
#define PIN_ELEMS_MAX	3

static inline bool pin_needs_nat(const struct pin_entry *e)
{
	return e->wire.port != e->target.port ||
	       !alg_addr_eq(e->family, &e->wire.addr, &e->target.addr);
}

/*
 * IPv6 has no source map: what the data connection leaves from is the
 * administrator's NAT's (none, usually), as without snat4.
 */
static inline bool pin_needs_snat(const struct pin_entry *e)
{
	static const union alg_addr none;

	return e->family == AF_INET &&
	       !alg_addr_eq(AF_INET, &e->peer_pub, &none) &&
	       !alg_addr_eq(AF_INET, &e->peer_pub, &e->peer);
}

/* dnat4 or snat4 has an element for e. */
static inline bool pin_has_maps(const struct pin_entry *e)
{
	return pin_needs_nat(e) || pin_needs_snat(e);
}

/*
 * The sets e has an element in, its pinhole set first (PIN_SET4 or
 * PIN_SET6, then PIN_MAP4, PIN_SNAT4 as e needs them): the messages one
 * pin_add() batch carries for e, in order. Returns how many (1..3).
 */
unsigned pin_elem_sets(const struct pin_entry *e,
		       const char *sets[PIN_ELEMS_MAX]);

/*
 * Add n entries (elements + mappings, pin_elem_sets()) in one batch: all
 * or none. A
 * timeout_ms of 0 adds elements that never expire. -EAFNOSUPPORT for an
 * IPv6 entry that needs NAT (there is no IPv6 map).
 */
int pin_add(struct fw_sock *fw, const struct pin_entry *e, unsigned n);
/* Delete them (an already-gone element is not an error). */
int pin_del(struct fw_sock *fw, const struct pin_entry *e, unsigned n);
/*
 * The same, where elem_gone[k] says e[k]'s pinhole element is known to be
 * gone already (consumed or expired): only its mapping is deleted, so the
 * batch never names a missing element (elem_gone may be NULL).
 */
int pin_del_gone(struct fw_sock *fw, const struct pin_entry *e, unsigned n,
		 const bool *elem_gone);
/*
 * Delete with destroy semantics (NFT_MSG_DESTROYSETELEM, Linux >= 6.3): an
 * element already gone is no error, so the one batch never aborts (an
 * abort costs ~24 ms against ~6 us for a delete that succeeds). Only where
 * pin_destroy_probe() said 1.
 */
int pin_destroy(struct fw_sock *fw, const struct pin_entry *e, unsigned n);
/*
 * One transaction: destroy old[0..nold) (as pin_destroy()), then add
 * e[0..n) (as pin_add()); all or none. A new pinhole that replaces its
 * session's oldest costs one round trip. Only where pin_destroy_probe()
 * said 1.
 */
int pin_replace(struct fw_sock *fw, const struct pin_entry *old,
		unsigned nold, const struct pin_entry *e, unsigned n);
/*
 * One transaction, in this order: destroy old[0..nold) (as
 * pin_destroy()); destroy and add again each pair of peer[0..npeer) (a
 * fresh timeout; destroy first, as an add does not renew one); add
 * add[0..nadd) (as pin_add()). All or none. Only where
 * pin_destroy_probe() said 1.
 */
struct pin_change {
	const struct pin_entry *old;
	unsigned nold;
	const struct pin_peer *peer;
	unsigned npeer;
	const struct pin_entry *add;
	unsigned nadd;
};
int pin_change(struct fw_sock *fw, const struct pin_change *c);
/* The message for one peer4/peer6 element (type NEWSETELEM or
 * DESTROYSETELEM) into buf: its length, or -errno. */
int pin_build_peer(char *buf, size_t len, uint16_t type, uint32_t seq,
		   const struct pin_peer *p);
/*
 * The source port of the data connection that consumed IPv4 pinhole e,
 * from map usedp4: 1 (in *sport), 0 not noted (none, or expired), <0
 * error (-ENOENT never: a table without the map answers 0 too, so ask
 * only where ruleset_has_usedp4() said so).
 */
int pin_used_sport(struct fw_sock *fw, const struct pin_entry *e,
		   uint16_t *sport);
/*
 * pin_used_sport() for e[0..n) (n <= PIN_USED_MANY), the questions in one
 * send: res[i] is its answer (1 and sport[i], 0, <0). 0, or -errno when
 * none could be asked.
 */
#define PIN_USED_MANY	64
int pin_used_sport_many(struct fw_sock *fw, const struct pin_entry *e,
			unsigned n, uint16_t *sport, int *res);
/*
 * Does the kernel take NFT_MSG_DESTROYSETELEM? One batch destroying an
 * element nobody adds (0.0.0.0 . 0.0.0.0 . 0 in pin4): 1 yes, 0 no (the
 * kernel refused the message type), <0 any other error.
 */
int pin_destroy_probe(struct fw_sock *fw);
/*
 * Is e's pinhole element still in its set? 1 yes, 0 no (used by a data
 * connection, or expired), <0 error.
 */
int pin_present(struct fw_sock *fw, const struct pin_entry *e);
/*
 * The same for e's mappings (dnat4, snat4): 1 when every one e needs is
 * there, 0 when one is missing; -EINVAL if e needs none.
 */
int pin_map_present(struct fw_sock *fw, const struct pin_entry *e);
/* Flush pin4, pin6, dnat4 and snat4 (entries left by an earlier run). */
int pin_sweep(struct fw_sock *fw);

/*
 * Call fn for each element of set (PIN_SET4, PIN_SET6, PIN_MAP4 or
 * PIN_SNAT4), decoded into a pin_entry: in a pinhole set and in snat4
 * wire == target (snat4 fills peer_pub too); timeout_ms is the
 * element's timeout, expires_ms what is left of it (0: none). fn returns 0
 * to go on, <0 to stop the dump with that error.
 */
typedef int (*pin_dump_fn)(const struct pin_entry *e, uint32_t expires_ms,
			   void *arg);
int pin_dump(struct fw_sock *fw, const char *set, pin_dump_fn fn, void *arg);

/*
 * Call fn for each element of used4 (family AF_INET) or used6: a data
 * connection that consumed the pinhole e (peer . target, wire == target)
 * from source port sport. -ENOENT when the set does not exist (a table
 * loaded from an older deploy/ftp-alg.nft).
 */
typedef int (*pin_used_fn)(const struct pin_entry *e, uint16_t sport,
			   void *arg);
int pin_dump_used(struct fw_sock *fw, int family, pin_used_fn fn, void *arg);

/*
 * Message builder, exposed for tests: appends one netlink message for e
 * (NFT_MSG_NEWSETELEM / DELSETELEM / PIN_MSG_DESTROYSETELEM;
 * NFT_MSG_GETSETELEM, the key alone, is accepted too) to buf and returns its length, or -ENOSPC. -EINVAL when
 * set does not hold e's family. buf must be 4-byte aligned.
 */
int pin_build_elem(char *buf, size_t len, uint16_t type, uint32_t seq,
		   const char *set, const struct pin_entry *e);

#endif
