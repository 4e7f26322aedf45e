/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Watching nftables: the events every ruleset change sends to
 * NFNLGRP_NFTABLES, sorted into what ftp-algd cares about, and the check
 * that the administrator's drop-policy forward chains accept the ct mark
 * of a connection that used a pinhole (the "# admin-rule:" line of
 * deploy/ftp-alg.nft).
 *
 * nftw_classify() and the rule matcher are pure, so tests feed them
 * messages built with libnftnl; the rest talks to the kernel.
 */
#ifndef FTP_ALG_NFTWATCH_H
#define FTP_ALG_NFTWATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/netlink.h>

#include "ftp-alg/fw.h"

#define NFTW_NAME_LEN	256	/* NFT_NAME_MAXLEN */

/* ---- events ----------------------------------------------------------- */

enum nftw_kind {
	NFTW_IGNORE,	/* ours (our socket sent it), or nothing we watch */
	NFTW_TXN_END,	/* NFT_MSG_NEWGEN: someone's transaction ended */
	NFTW_OURS,	/* table inet ftp_alg, or a chain, rule, set or
			 * element in it, was added or deleted */
	NFTW_FORWARD,	/* a table, chain or rule of another ip/ip6/inet
			 * table: the admin rule may have come or gone */
	NFTW_OVERRUN,	/* the kernel dropped events: assume anything */
};

struct nftw_event {
	enum nftw_kind kind;
	uint16_t msg;		/* NFT_MSG_* */
	uint8_t family;		/* NFPROTO_* */
	char table[NFTW_NAME_LEN];
};

/*
 * Sort one nf_tables message. ignore_portid is our own nf_tables socket's:
 * the kernel sends every change to the group with the portid of whoever
 * asked for it, so what we did ourselves is IGNORE. -EINVAL for a message
 * too short to be one (ev->kind is then IGNORE).
 */
int nftw_classify(const struct nlmsghdr *nlh, uint32_t ignore_portid,
		  struct nftw_event *ev);

struct nftw_sock;

/* A socket subscribed to NFNLGRP_NFTABLES, ignoring fw's own changes. */
struct nftw_sock *nftw_open(const struct fw_sock *fw);
/*
 * Ignore the changes of another socket of ours too (a worker's): 0, or
 * -ENOSPC past NFTW_IGNORE_MAX of them.
 */
#define NFTW_IGNORE_MAX	72
int nftw_ignore(struct nftw_sock *w, const struct fw_sock *fw);
void nftw_close(struct nftw_sock *w);
int nftw_fd(const struct nftw_sock *w);
/*
 * Read what is pending and call fn for every event not IGNORE; ENOBUFS
 * comes as one OVERRUN. The number of events passed to fn, or -errno.
 */
int nftw_read(struct nftw_sock *w,
	      void (*fn)(const struct nftw_event *ev, void *arg), void *arg);

/* ---- the admin rule ----------------------------------------------------- */

/* What the check needs to know of one expression of a rule. */
enum nftw_op {
	NFTW_X_OTHER,	/* anything else: a match we cannot judge */
	NFTW_X_NOOP,	/* counter, log: no effect on the outcome */
	NFTW_X_CT_MARK,	/* ct mark => dreg */
	NFTW_X_BITWISE,	/* dreg = (sreg & mask) ^ xor, 4 bytes */
	NFTW_X_CMP,	/* sreg <op> data, 4 bytes */
	NFTW_X_VERDICT,	/* immediate verdict */
};

struct nftw_expr {
	enum nftw_op op;
	uint32_t sreg, dreg;
	uint32_t mask, xor;	/* BITWISE */
	uint32_t cmp_op;	/* CMP: NFT_CMP_* */
	uint32_t data;		/* CMP, host order as nft stores a mark */
	int verdict;		/* VERDICT: NF_ACCEPT, NFT_JUMP, ... */
};

#define NFTW_RULE_EXPRS	16

struct nftw_rule {
	unsigned n;
	bool truncated;		/* too many expressions: never counts */
	struct nftw_expr x[NFTW_RULE_EXPRS];
};

/* Fill r from an NFT_MSG_NEWRULE message: 0 or -EINVAL. */
int nftw_rule_parse(const struct nlmsghdr *nlh, struct nftw_rule *r);

/*
 * Does rule r accept a connection whose ct mark is exactly mark? Every
 * match must be a ct mark test (an optional "& mask", then == or !=) that
 * such a connection passes, other statements only counter or log, and
 * the verdict accept. Any other match (iifname, a set lookup, ...) makes
 * the rule not count: we cannot tell it lets every pinholed connection
 * through. So "ct mark & 0x00f70000 == 0x00f70000 accept", "ct mark and
 * 0x00f70000 != 0 counter accept" and "ct mark 0x00f70000 accept" count.
 */
bool nftw_rule_accepts_mark(const struct nftw_rule *r, uint32_t mark);

/* A base chain on the forward hook with policy drop, in no table of ours. */
struct nftw_chain {
	uint8_t family;
	char table[NFTW_NAME_LEN];
	char name[NFTW_NAME_LEN];
};

/*
 * Call fn for each drop-policy forward base chain of an ip, ip6 or inet
 * table other than inet ftp_alg, with accepts: whether one of its rules
 * accepts mark (nftw_rule_accepts_mark). The number of such chains, or
 * -errno.
 */
int nftw_forward_check(struct fw_sock *fw, uint32_t mark,
		       void (*fn)(const struct nftw_chain *c, bool accepts,
				  void *arg),
		       void *arg);

/* "ip", "ip6", "inet", ... */
const char *nftw_family_name(uint8_t family);

#endif
