/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internal to nft/: what ruleset.c lends catch.c (the queue expressions
 * and the look at the table's objects).
 */
#ifndef FTP_ALG_NFT_RULESET_INT_H
#define FTP_ALG_NFT_RULESET_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <libnftnl/rule.h>

#include "ftp-alg/fw.h"

/* The shape each set has in deploy/ftp-alg.nft. */
struct ruleset_set_shape {
	const char *name;
	const char *what;
	uint32_t klen, dlen;
	uint32_t flags;		/* NFT_SET_* that must be set */
};

/* A new expression, already owned by r; NULL on ENOMEM. */
struct nftnl_expr *ruleset_expr(struct nftnl_rule *r, const char *name);
/* A rule of chain inet ftp_alg ctl_queue, without expressions yet. */
struct nftnl_rule *ruleset_queue_rule(void);
/* NEWRULE (append, create, ack) of r into buf: its length, or -ENOSPC */
int ruleset_rule_msg(char *buf, size_t len, uint32_t seq,
		     const struct nftnl_rule *r);
/* list set inet ftp_alg $name, then compare it with its shape */
int ruleset_get_set(struct fw_sock *fw, const struct ruleset_set_shape *sh);
/* list chain inet ftp_alg $name */
int ruleset_get_chain(struct fw_sock *fw, const char *name);
/* queue num N[-M] [bypass]: nft_queue, or the xt NFQUEUE target */
int ruleset_expr_queue(struct nftnl_rule *r, uint16_t num, uint16_t total,
		       bool bypass);
int ruleset_expr_nfqueue(struct nftnl_rule *r, uint16_t num,
			 uint16_t total, bool bypass);

#endif
