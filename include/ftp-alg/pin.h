/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Pinholes, NAT mappings and queue rules in "table inet ftp_alg"
 * (deploy/ftp-alg.nft), through libnftnl over the socket of fw.h.
 *
 * Messages are built by pin_build_*() into a caller's buffer so tests can
 * parse them back without a kernel; pin_*() send them and wait for the
 * kernel's answer (one batch per call, so a pinhole and its mapping
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
#define PIN_CTL_PORTS	"ctl_ports"
#define PIN_QUEUE_CHAIN	"ctl_queue"
#define PIN_CT_MARK	0x00f70000u

/*
 * One data connection we let through:
 *   pin4/pin6 element  peer . target.addr . target.port   (after DNAT)
 *   dnat4 element      peer . wire.addr . wire.port : target.addr . target.port
 *                      (only when wire != target; IPv4 only)
 */
struct pin_entry {
	int family;
	union alg_addr peer;
	struct alg_endpoint wire;
	struct alg_endpoint target;
	uint32_t timeout_ms;
};

static inline bool pin_needs_nat(const struct pin_entry *e)
{
	return e->wire.port != e->target.port ||
	       !alg_addr_eq(e->family, &e->wire.addr, &e->target.addr);
}

/*
 * 0 when table inet ftp_alg exists with pin4, pin6, dnat4, ctl_ports and
 * chain ctl_queue; -ENOENT otherwise (*what names the missing object),
 * -EINVAL when a set has another type than deploy/ftp-alg.nft gives it
 * (*what names it too). what may be NULL.
 */
int pin_check_table(struct fw_sock *fw, const char **what);

/*
 * Add n entries (elements + mappings) in one batch: all or none. A
 * timeout_ms of 0 adds elements that never expire. -EAFNOSUPPORT for an
 * IPv6 entry that needs NAT (there is no IPv6 map).
 */
int pin_add(struct fw_sock *fw, const struct pin_entry *e, unsigned n);
/* Delete them (an already-gone element is not an error). */
int pin_del(struct fw_sock *fw, const struct pin_entry *e, unsigned n);
/*
 * Is e's pinhole element still in its set? 1 yes, 0 no (used by a data
 * connection, or expired), <0 error.
 */
int pin_present(struct fw_sock *fw, const struct pin_entry *e);
/* Flush pin4, pin6 and dnat4 (entries left by an earlier run). */
int pin_sweep(struct fw_sock *fw);

/*
 * Call fn for each element of set (PIN_SET4, PIN_SET6 or PIN_MAP4), decoded
 * into a pin_entry: in a pinhole set wire == target; timeout_ms is the
 * element's timeout, expires_ms what is left of it (0: none). fn returns 0
 * to go on, <0 to stop the dump with that error.
 */
typedef int (*pin_dump_fn)(const struct pin_entry *e, uint32_t expires_ms,
			   void *arg);
int pin_dump(struct fw_sock *fw, const char *set, pin_dump_fn fn, void *arg);

/*
 * Install the rules queueing control connections to queue_num in chain
 * ctl_queue:
 *   meta l4proto tcp tcp dport @ctl_ports queue num N bypass
 *   meta l4proto tcp tcp sport @ctl_ports queue num N bypass
 * with the native queue expression, falling back to the xtables NFQUEUE
 * target (nft_compat) where the kernel has no nft_queue. *native says
 * which one was used. The two rules replace whatever ctl_queue held (an
 * earlier run's) in the same batch.
 */
int pin_queue_install(struct fw_sock *fw, uint16_t queue_num, bool *native);
/* Flush chain ctl_queue. */
int pin_queue_remove(struct fw_sock *fw);

/*
 * Message builders, exposed for tests: each appends one netlink message
 * for e (NFT_MSG_NEWSETELEM / DELSETELEM) to buf and returns its length,
 * or -ENOSPC.
 */
int pin_build_elem(char *buf, size_t len, uint16_t type, uint32_t seq,
		   const char *set, const struct pin_entry *e);
/*
 * NFT_MSG_GETSETELEM (the key alone) is accepted too. -EINVAL when set
 * does not hold e's family. buf must be 4-byte aligned.
 *
 * One NFT_MSG_NEWRULE for chain ctl_queue: the dport rule, or with reply
 * the sport rule, ending in the native queue expression or (!native) the
 * xtables NFQUEUE target, revision 3, with NFQ_FLAG_BYPASS.
 */
int pin_build_queue_rule(char *buf, size_t len, uint32_t seq, bool reply,
			 uint16_t queue_num, bool native);

#endif
