/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The table's objects for early announcements (alg/daemon/pin_async.h):
 * sets peer4/peer6, chains pin_catch and catch_queue, and the one queue
 * rule of catch_queue; and map usedp4 (nft/used.c).
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <arpa/inet.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <libmnl/libmnl.h>
#include <libnftnl/rule.h>

#include "ftp-alg/pin.h"
#include "ftp-alg/ruleset.h"
#include "batch.h"
#include "ruleset_int.h"

static const struct ruleset_set_shape ruleset_catch_shapes[] = {
	/* set peer4 { type ipv4_addr . ipv4_addr; flags timeout; } */
	{ PIN_PEER4, "set peer4", 8, 0, NFT_SET_TIMEOUT },
	/* set peer6 { type ipv6_addr . ipv6_addr; flags timeout; } */
	{ PIN_PEER6, "set peer6", 32, 0, NFT_SET_TIMEOUT },
};

int ruleset_has_usedp4(struct fw_sock *fw)
{
	/* map usedp4 { type ipv4_addr . ipv4_addr . inet_service :
	 *	        inet_service; flags dynamic,timeout; } */
	static const struct ruleset_set_shape sh = {
		PIN_USEDP4, "map usedp4", 12, 2, NFT_SET_MAP | NFT_SET_TIMEOUT,
	};
	int err = ruleset_get_set(fw, &sh);

	return err ? err : 1;
}

int ruleset_check_catch(struct fw_sock *fw, const char **what)
{
	size_t i;
	int err;

	for (i = 0; i < 2; i++) {
		*what = ruleset_catch_shapes[i].what;
		err = ruleset_get_set(fw, &ruleset_catch_shapes[i]);
		if (err)
			return err;
	}
	*what = "chain " RULESET_CATCH_CHAIN;
	err = ruleset_get_chain(fw, RULESET_CATCH_CHAIN);
	if (err)
		return err;
	*what = "chain " RULESET_CATCH_HOOK;
	err = ruleset_get_chain(fw, RULESET_CATCH_HOOK);
	if (!err)
		*what = NULL;
	return err;
}

/* flush chain inet ftp_alg catch_queue; (on) add rule ... queue num N bypass */
int ruleset_catch_install(struct fw_sock *fw, uint16_t num, bool native,
			  bool on)
{
	struct nftnl_rule *r[2] = { NULL, NULL };
	struct nlmsghdr *nlh;
	union batch_msg m;
	struct batch b;
	int err, i;

	for (i = 0; i < 2; i++) {
		r[i] = nftnl_rule_alloc();
		if (!r[i] ||
		    nftnl_rule_set_str(r[i], NFTNL_RULE_TABLE, PIN_TABLE) < 0 ||
		    nftnl_rule_set_str(r[i], NFTNL_RULE_CHAIN,
				       RULESET_CATCH_CHAIN) < 0) {
			err = -ENOMEM;
			goto out;
		}
	}
	err = native ? ruleset_expr_queue(r[1], num, 1, true)
		     : ruleset_expr_nfqueue(r[1], num, 1, true);
	if (err)
		goto out;
	err = batch_begin(fw, &b);
	if (err)
		goto out;
	for (i = 0; i < (on ? 2 : 1) && !err; i++) {
		nlh = nftnl_nlmsg_build_hdr(m.b, i ? NFT_MSG_NEWRULE
						   : NFT_MSG_DELRULE,
					    NFPROTO_INET, i ?
					    NLM_F_CREATE | NLM_F_APPEND |
					    NLM_F_ACK : NLM_F_ACK,
					    batch_seq(&b));
		nftnl_rule_nlmsg_build_payload(nlh, r[i]);
		err = batch_append(&b, nlh);
	}
	if (!err)
		err = batch_commit(&b);
	batch_free(&b);
out:
	for (i = 0; i < 2; i++)
		if (r[i])
			nftnl_rule_free(r[i]);
	return err;
}

