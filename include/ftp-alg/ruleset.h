/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The objects of deploy/ftp-alg.nft seen from the daemon: check that
 * table inet ftp_alg holds them, and install or remove the rules queueing
 * control connections in chain ctl_queue.
 *
 * ruleset_build_queue_rule() builds a message into a caller's buffer so
 * tests can parse it back without a kernel; the others send their
 * messages over fw and wait for the kernel's answer.
 */
#ifndef FTP_ALG_RULESET_H
#define FTP_ALG_RULESET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ftp-alg/fw.h"

#define RULESET_CTL_PORTS	"ctl_ports"
#define RULESET_QUEUE_CHAIN	"ctl_queue"
/* the base chain that jumps to ctl_queue (deploy/ftp-alg.nft) */
#define RULESET_HOOK_CHAIN	"ctl_hook"
/* The names they had in pin.h. */
#define PIN_CTL_PORTS		RULESET_CTL_PORTS
#define PIN_QUEUE_CHAIN		RULESET_QUEUE_CHAIN

/*
 * 0 when table inet ftp_alg exists with pin4, pin6, dnat4, snat4,
 * ctl_ports and chain ctl_queue; -ENOENT otherwise (*what names the
 * missing object), -EINVAL when a set has another type than
 * deploy/ftp-alg.nft gives it (*what names it too). what may be NULL.
 */
int ruleset_check_table(struct fw_sock *fw, const char **what);

/*
 * Install the rules queueing control connections to queue_num in chain
 * ctl_queue:
 *   ct mark & 0x00080000 == 0x00080000 meta l4proto tcp
 *	tcp dport @ctl_ports queue num N
 *   ct mark & 0x00080000 == 0x00080000 meta l4proto tcp
 *	tcp sport @ctl_ports queue num N
 *   meta l4proto tcp tcp dport @ctl_ports queue num N bypass
 *   meta l4proto tcp tcp sport @ctl_ports queue num N bypass
 * Sessions whose stream we shift (PIN_CT_MARK_ADJUSTED) never bypass:
 * while no ftp-algd listens their packets are dropped, and retransmitted
 * once one does, instead of leaving unadjusted. The rest bypass when
 * fail_open (ruleset_queue_install()), else they wait too. With the
 * native queue expression, falling back to the xtables NFQUEUE target
 * (nft_compat) where the kernel has no nft_queue; *native says which.
 * The rules replace whatever ctl_queue held (an earlier run's) in the
 * same batch, so the chain is never empty in between. total > 1 balances
 * over queues queue_num..queue_num+total-1 (queue num N-M; no fanout: a
 * flow's two directions hash to one queue, docs/kernel-facts.md 12a).
 * pure_acks: two more rules after the shifted sessions' (nft/pure_ack.c),
 * which let a segment without payload, flags ACK only, of any other
 * session go on unqueued:
 *   meta l4proto tcp tcp flags & (fin|syn|rst|ack) == ack
 *	meta nfproto ipv4 ip length . @th,96,8 @pure_ack4 return
 *   ... meta nfproto ipv6 ip6 nexthdr tcp
 *	ip6 length . @th,96,8 @pure_ack6 return
 * (ruleset_queue_install(): one queue, fail_open, no pure-ACK rules.)
 */
int ruleset_queue_install_mode(struct fw_sock *fw, uint16_t queue_num,
			       uint16_t total, bool fail_open, bool pure_acks,
			       bool *native);
int ruleset_queue_install(struct fw_sock *fw, uint16_t queue_num,
			  bool *native);
/* Flush chain ctl_queue. */
int ruleset_queue_remove(struct fw_sock *fw);

/*
 * Install the queue rules (RULESET_QUEUE_RULES of them, and with
 * pure_acks RULESET_PURE_ACK_RULES more) of the kind given (native or
 * xt) in one batch, replacing what ctl_queue holds: what
 * ruleset_queue_install_mode() found works, without trying the other kind
 * again (a refused batch is slow).
 */
#define RULESET_QUEUE_RULES	4
#define RULESET_PURE_ACK_RULES	2
int ruleset_queue_reinstall(struct fw_sock *fw, uint16_t queue_num,
			    uint16_t total, bool fail_open, bool native,
			    bool pure_acks);

/*
 * Sets pure_ack4/pure_ack6 are there, as deploy/ftp-alg.nft makes them
 * (0), else -errno with *what naming the missing one.
 */
#define RULESET_PURE_ACK4	"pure_ack4"
#define RULESET_PURE_ACK6	"pure_ack6"
int ruleset_check_pure_ack(struct fw_sock *fw, const char **what);
/* Message builder, exposed for tests: one pure-ACK rule (IPv4, or v6). */
int ruleset_build_pure_ack(char *buf, size_t len, uint32_t seq, bool v6);

/*
 * The objects that let an announcement leave before its pinhole's
 * transaction (deploy/ftp-alg.nft: sets peer4/peer6, chain pin_catch and
 * the daemon's chain catch_queue). ruleset_check_catch(): 0 when all are
 * there, else -errno with *what naming the first missing one.
 * ruleset_catch_install(): flush catch_queue and, when on, add its one
 * rule "queue num N bypass" (native or xt, as the queue rules).
 */
/* Map usedp4 is there, as deploy/ftp-alg.nft makes it: 1, else -errno. */
int ruleset_has_usedp4(struct fw_sock *fw);
#define RULESET_CATCH_CHAIN	"catch_queue"
#define RULESET_CATCH_HOOK	"pin_catch"
int ruleset_check_catch(struct fw_sock *fw, const char **what);
int ruleset_catch_install(struct fw_sock *fw, uint16_t num, bool native,
			  bool on);

/*
 * With several queues (one worker each): maps peerq4/peerq6 send a
 * pair's SYNs to chain catch_q<i>, whose one rule queues them to worker
 * i's queue. ruleset_check_catch_mq(): as ruleset_check_catch(), for the
 * maps and chain pin_catch. ruleset_catch_worker(): make chain
 * catch_q<i> if it is not there, flush it and, when on, add "queue num
 * N bypass". ruleset_peerq_flush(): empty both maps (before a start: an
 * earlier run's elements jump to chains of its own workers).
 */
#define RULESET_CATCH_CHAINS	64	/* catch_q0 .. catch_q63 */
#define RULESET_CATCH_NAME_LEN	16
void ruleset_catch_name(unsigned i, char *buf, size_t len);
int ruleset_check_catch_mq(struct fw_sock *fw, const char **what);
int ruleset_catch_worker(struct fw_sock *fw, unsigned i, uint16_t num,
			 bool native, bool on);
int ruleset_peerq_flush(struct fw_sock *fw);
/* Every catch_q<i> there is, emptied. */
int ruleset_catch_workers_off(struct fw_sock *fw, bool native);
/* Every catch_q<i> there is, deleted (--cleanup; after the maps' flush). */
int ruleset_catch_workers_remove(struct fw_sock *fw);

/* *n = the number of rules in chain inet ftp_alg $chain. */
int ruleset_chain_rules(struct fw_sock *fw, const char *chain, unsigned *n);

/*
 * Make set ctl_ports hold exactly ports[0..n), in one batch:
 *   flush set inet ftp_alg ctl_ports
 *   add element inet ftp_alg ctl_ports { p0, p1, ... }
 */
int ruleset_ctl_ports_set(struct fw_sock *fw, const uint16_t *ports,
			  unsigned n);
/* The ports set ctl_ports holds: *n of them in ports (at most max). */
int ruleset_ctl_ports_get(struct fw_sock *fw, uint16_t *ports, unsigned max,
			  unsigned *n);

/*
 * deploy/ftp-alg.nft as built in (definition.c), and the same loaded with
 * libnftables, as "nft -f deploy/ftp-alg.nft" would: 0, or -EINVAL with
 * the first line of nft's complaint in err.
 */
const char *ruleset_definition(void);
int ruleset_load_definition(char *err, size_t errlen);

/*
 * Message builders, exposed for tests. ruleset_build_ctl_ports() appends
 * the NFT_MSG_NEWSETELEM of ruleset_ctl_ports_set() (its length, or
 * -ENOSPC).
 */
int ruleset_build_ctl_ports(char *buf, size_t len, uint32_t seq,
			    const uint16_t *ports, unsigned n);

/*
 * Message builder, exposed for tests: appends one NFT_MSG_NEWRULE for
 * chain ctl_queue to buf and returns its length, or -ENOSPC. The dport
 * rule, or with reply the sport rule, ending in the native queue
 * expression or (!native) the xtables NFQUEUE target, revision 3, with
 * NFQ_FLAG_BYPASS.
 */
int ruleset_build_queue_rule(char *buf, size_t len, uint32_t seq, bool reply,
			     uint16_t queue_num, bool native);

/* One queue rule, as ruleset_queue_install_mode() builds them. */
struct ruleset_queue_spec {
	bool reply;		/* tcp sport @ctl_ports, else tcp dport */
	bool adjusted;		/* only PIN_CT_MARK_ADJUSTED; never bypass */
	bool bypass;		/* pass while no reader listens */
	bool native;		/* nft_queue, else the xt NFQUEUE target */
	uint16_t num;
	uint16_t total;		/* > 1: balance over num..num+total-1 */
};

int ruleset_build_queue_spec(char *buf, size_t len, uint32_t seq,
			     const struct ruleset_queue_spec *q);

#endif
