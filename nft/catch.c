/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The table's objects for early announcements (alg/daemon/pin_async.h):
 * sets peer4/peer6, chains pin_catch and catch_queue, and the one queue
 * rule of catch_queue; with several queues maps peerq4/peerq6 and the
 * workers' chains catch_q<i>; and map usedp4 (nft/used.c).
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <arpa/inet.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/rule.h>

#include "ftp-alg/pin.h"
#include "ftp-alg/ruleset.h"
#include "batch.h"
#include "ruleset_int.h"
#include "sets.h"

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

/* Each set or map of sh[0..n), then chain pin_catch: 0, or the first
 * missing one in *what. */
static int catch_check(struct fw_sock *fw, const struct ruleset_set_shape *sh,
		       size_t n, const char **what)
{
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		*what = sh[i].what;
		err = ruleset_get_set(fw, &sh[i]);
		if (err)
			return err;
	}
	*what = "chain " RULESET_CATCH_HOOK;
	err = ruleset_get_chain(fw, RULESET_CATCH_HOOK);
	if (!err)
		*what = NULL;
	return err;
}

int ruleset_check_catch(struct fw_sock *fw, const char **what)
{
	int err = catch_check(fw, ruleset_catch_shapes, 2, what);

	if (err)
		return err;
	*what = "chain " RULESET_CATCH_CHAIN;
	err = ruleset_get_chain(fw, RULESET_CATCH_CHAIN);
	if (!err)
		*what = NULL;
	return err;
}

/* add chain (NEWCHAIN, no error when it is there) or delete chain
 * (DELCHAIN) inet ftp_alg $name, into b */
static int catch_chain_msg(struct batch *b, uint16_t type, const char *name)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nlh;
	union batch_msg m;
	int err = -ENOMEM;

	if (!c)
		return -ENOMEM;
	if (nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, PIN_TABLE) >= 0 &&
	    nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name) >= 0) {
		nlh = nftnl_nlmsg_build_hdr(m.b, type, NFPROTO_INET,
					    type == NFT_MSG_NEWCHAIN ?
					    NLM_F_CREATE | NLM_F_ACK :
					    NLM_F_ACK, batch_seq(b));
		nftnl_chain_nlmsg_build_payload(nlh, c);
		err = batch_append(b, nlh);
	}
	nftnl_chain_free(c);
	return err;
}

/*
 * (make) flush chain inet ftp_alg $chain; (on) add rule ... queue num N
 * bypass: one transaction.
 */
static int catch_fill(struct fw_sock *fw, const char *chain, bool make,
		      uint16_t num, bool native, bool on)
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
		    nftnl_rule_set_str(r[i], NFTNL_RULE_CHAIN, chain) < 0) {
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
	if (make)
		err = catch_chain_msg(&b, NFT_MSG_NEWCHAIN, chain);
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

/* flush chain inet ftp_alg catch_queue; (on) add rule ... queue num N bypass */
int ruleset_catch_install(struct fw_sock *fw, uint16_t num, bool native,
			  bool on)
{
	return catch_fill(fw, RULESET_CATCH_CHAIN, false, num, native, on);
}

/* ---- several queues ------------------------------------------------------ */

void ruleset_catch_name(unsigned i, char *buf, size_t len)
{
	snprintf(buf, len, "catch_q%u", i);
}

int ruleset_check_catch_mq(struct fw_sock *fw, const char **what)
{
	/*
	 * map peerq4 { type ipv4_addr . ipv4_addr : verdict; flags timeout; }
	 * (a verdict's data length is the kernel's struct nft_verdict)
	 */
	static const struct ruleset_set_shape sh[] = {
		{ PIN_PEERQ4, "map peerq4", 8, 16, NFT_SET_MAP | NFT_SET_TIMEOUT },
		{ PIN_PEERQ6, "map peerq6", 32, 16, NFT_SET_MAP | NFT_SET_TIMEOUT },
	};

	return catch_check(fw, sh, 2, what);
}

int ruleset_catch_worker(struct fw_sock *fw, unsigned i, uint16_t num,
			 bool native, bool on)
{
	char name[RULESET_CATCH_NAME_LEN];

	if (i >= RULESET_CATCH_CHAINS)
		return -EINVAL;
	ruleset_catch_name(i, name, sizeof(name));
	return catch_fill(fw, name, on, num, native, on);
}

/* flush map inet ftp_alg peerq4; flush map inet ftp_alg peerq6 */
int ruleset_peerq_flush(struct fw_sock *fw)
{
	static const char *const maps[] = { PIN_PEERQ4, PIN_PEERQ6 };
	union batch_msg m;
	struct batch b;
	int err, len;
	size_t i;

	err = batch_begin(fw, &b);
	if (err)
		return err;
	for (i = 0; i < 2 && !err; i++) {
		len = sets_build_flush(m.b, sizeof(m), batch_seq(&b), maps[i]);
		err = len < 0 ? len : batch_append(&b, &m.h);
	}
	if (!err)
		err = batch_commit(&b);
	batch_free(&b);
	return err;
}

/* delete chain inet ftp_alg $name: one transaction */
static int catch_chain_delete(struct fw_sock *fw, const char *name)
{
	struct batch b;
	int err;

	err = batch_begin(fw, &b);
	if (err)
		return err;
	err = catch_chain_msg(&b, NFT_MSG_DELCHAIN, name);
	if (!err)
		err = batch_commit(&b);
	batch_free(&b);
	return err;
}

/* Each catch_q<i> there is: emptied, or (drop) deleted. */
static int catch_workers_each(struct fw_sock *fw, bool native, bool drop)
{
	char name[RULESET_CATCH_NAME_LEN];
	unsigned i;
	int err, ret = 0;

	for (i = 0; i < RULESET_CATCH_CHAINS; i++) {
		ruleset_catch_name(i, name, sizeof(name));
		err = ruleset_get_chain(fw, name);
		if (!err)
			err = drop ? catch_chain_delete(fw, name) :
			      catch_fill(fw, name, false, 0, native, false);
		if (err && err != -ENOENT && !ret)
			ret = err;
	}
	return ret;
}

int ruleset_catch_workers_off(struct fw_sock *fw, bool native)
{
	return catch_workers_each(fw, native, false);
}

/* after the maps' flush: an element would hold its chain */
int ruleset_catch_workers_remove(struct fw_sock *fw)
{
	return catch_workers_each(fw, false, true);
}
