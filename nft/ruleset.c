/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The objects of deploy/ftp-alg.nft seen from the daemon: check that they
 * are there, and install or remove the rules queueing control connections
 * in chain ctl_queue.
 *
 * The queue rules end in the native queue expression (nft_queue) where
 * the kernel has it, else in the xtables NFQUEUE target through
 * nft_compat: both are listed by nft as "queue num N bypass".
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/x_tables.h>
#include <linux/netfilter/xt_NFQUEUE.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include "ftp-alg/pin.h"
#include "ftp-alg/ruleset.h"
#include "batch.h"
#include "ruleset_int.h"
#include "sets.h"

/* ---- ruleset_check_table --------------------------------------------- */


static const struct ruleset_set_shape ruleset_shapes[] = {
	/* set ctl_ports { type inet_service; } */
	{ RULESET_CTL_PORTS, "set ctl_ports", 2, 0, 0 },
	/* set pin4 { type ipv4_addr . ipv4_addr . inet_service;
	 *	      flags dynamic,timeout; } */
	{ PIN_SET4, "set pin4", 12, 0, NFT_SET_TIMEOUT },
	/* set pin6 { type ipv6_addr . ipv6_addr . inet_service;
	 *	      flags dynamic,timeout; } */
	{ PIN_SET6, "set pin6", 36, 0, NFT_SET_TIMEOUT },
	/* map dnat4 { type ipv4_addr . ipv4_addr . inet_service :
	 *	       ipv4_addr . inet_service; flags timeout; } */
	{ PIN_MAP4, "map dnat4", 12, 8, NFT_SET_MAP | NFT_SET_TIMEOUT },
	/* map snat4 { type ipv4_addr . ipv4_addr . inet_service :
	 *	       ipv4_addr; flags timeout; } */
	{ PIN_SNAT4, "map snat4", 12, 4, NFT_SET_MAP | NFT_SET_TIMEOUT },
};

/* list table inet ftp_alg */
static int ruleset_get_table(struct fw_sock *fw)
{
	struct nftnl_table *t;
	struct nlmsghdr *nlh;
	union batch_msg m;
	int err;

	t = nftnl_table_alloc();
	if (!t)
		return -ENOMEM;
	err = -ENOMEM;
	if (nftnl_table_set_str(t, NFTNL_TABLE_NAME, PIN_TABLE) < 0)
		goto err_table;
	nlh = nftnl_nlmsg_build_hdr(m.b, NFT_MSG_GETTABLE, NFPROTO_INET,
				    NLM_F_ACK, fw_next_seq(fw));
	nftnl_table_nlmsg_build_payload(nlh, t);
	err = fw_request(fw, nlh, NULL, NULL);
err_table:
	nftnl_table_free(t);
	return err;
}

/* list chain inet ftp_alg ctl_queue */
int ruleset_get_chain(struct fw_sock *fw, const char *name)
{
	struct nftnl_chain *ch;
	struct nlmsghdr *nlh;
	union batch_msg m;
	int err;

	ch = nftnl_chain_alloc();
	if (!ch)
		return -ENOMEM;
	err = -ENOMEM;
	if (nftnl_chain_set_str(ch, NFTNL_CHAIN_TABLE, PIN_TABLE) < 0 ||
	    nftnl_chain_set_str(ch, NFTNL_CHAIN_NAME, name) < 0)
		goto err_chain;
	nlh = nftnl_nlmsg_build_hdr(m.b, NFT_MSG_GETCHAIN, NFPROTO_INET,
				    NLM_F_ACK, fw_next_seq(fw));
	nftnl_chain_nlmsg_build_payload(nlh, ch);
	err = fw_request(fw, nlh, NULL, NULL);
err_chain:
	nftnl_chain_free(ch);
	return err;
}

struct ruleset_set_seen {
	bool got;
	uint32_t klen, dlen, flags;
};

static int ruleset_set_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct ruleset_set_seen *seen = arg;
	struct nftnl_set *s;

	s = nftnl_set_alloc();
	if (!s) {
		errno = ENOMEM;
		return MNL_CB_ERROR;
	}
	if (nftnl_set_nlmsg_parse(nlh, s) < 0) {
		nftnl_set_free(s);
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	seen->got = true;
	seen->klen = nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN);
	if (nftnl_set_is_set(s, NFTNL_SET_DATA_LEN))
		seen->dlen = nftnl_set_get_u32(s, NFTNL_SET_DATA_LEN);
	if (nftnl_set_is_set(s, NFTNL_SET_FLAGS))
		seen->flags = nftnl_set_get_u32(s, NFTNL_SET_FLAGS);
	nftnl_set_free(s);
	return MNL_CB_OK;
}

/* list set inet ftp_alg $name, then compare it with its shape */
int ruleset_get_set(struct fw_sock *fw,
			   const struct ruleset_set_shape *sh)
{
	struct ruleset_set_seen seen = { .got = false };
	struct nlmsghdr *nlh;
	struct nftnl_set *s;
	union batch_msg m;
	int err;

	s = nftnl_set_alloc();
	if (!s)
		return -ENOMEM;
	err = -ENOMEM;
	if (nftnl_set_set_str(s, NFTNL_SET_TABLE, PIN_TABLE) < 0 ||
	    nftnl_set_set_str(s, NFTNL_SET_NAME, sh->name) < 0)
		goto err_set;
	nlh = nftnl_nlmsg_build_hdr(m.b, NFT_MSG_GETSET, NFPROTO_INET,
				    NLM_F_ACK, fw_next_seq(fw));
	nftnl_set_nlmsg_build_payload(nlh, s);
	err = fw_request(fw, nlh, ruleset_set_cb, &seen);
	if (err)
		goto err_set;
	if (!seen.got || seen.klen != sh->klen || seen.dlen != sh->dlen ||
	    (seen.flags & sh->flags) != sh->flags)
		err = -EINVAL;
err_set:
	nftnl_set_free(s);
	return err;
}

int ruleset_check_table(struct fw_sock *fw, const char **what)
{
	const size_t n = sizeof(ruleset_shapes) / sizeof(*ruleset_shapes);
	const char *dummy;
	size_t i;
	int err;

	if (!what)
		what = &dummy;
	*what = "table inet " PIN_TABLE;
	err = ruleset_get_table(fw);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		*what = ruleset_shapes[i].what;
		err = ruleset_get_set(fw, &ruleset_shapes[i]);
		if (err)
			return err;
	}
	*what = "chain " RULESET_QUEUE_CHAIN;
	err = ruleset_get_chain(fw, RULESET_QUEUE_CHAIN);
	if (err)
		return err;
	*what = "chain " RULESET_HOOK_CHAIN;
	err = ruleset_get_chain(fw, RULESET_HOOK_CHAIN);
	if (err)
		return err;
	*what = NULL;
	return 0;
}

/* ---- queue rules ----------------------------------------------------- */

/* A new expression, already owned by r; NULL on ENOMEM. */
struct nftnl_expr *ruleset_expr(struct nftnl_rule *r, const char *name)
{
	struct nftnl_expr *e;

	e = nftnl_expr_alloc(name);
	if (e)
		nftnl_rule_add_expr(r, e);
	return e;
}

/* meta l4proto tcp */
static int ruleset_expr_l4proto_tcp(struct nftnl_rule *r)
{
	uint8_t proto = IPPROTO_TCP;
	struct nftnl_expr *e;

	/* meta load l4proto => reg 1 */
	e = ruleset_expr(r, "meta");
	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_L4PROTO);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	/* cmp eq reg 1 0x06 */
	e = ruleset_expr(r, "cmp");
	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
	if (nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, &proto, sizeof(proto)) < 0)
		return -ENOMEM;
	return 0;
}

/* tcp dport @ctl_ports, or tcp sport @ctl_ports */
static int ruleset_expr_port_lookup(struct nftnl_rule *r, bool reply)
{
	uint32_t off = reply ? offsetof(struct tcphdr, source) :
			       offsetof(struct tcphdr, dest);
	struct nftnl_expr *e;

	/* payload load 2b @ transport header + off => reg 1 */
	e = ruleset_expr(r, "payload");
	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE,
			   NFT_PAYLOAD_TRANSPORT_HEADER);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, sizeof(uint16_t));
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	/* lookup reg 1 set ctl_ports: a named set, found by its name */
	e = ruleset_expr(r, "lookup");
	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	if (nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, RULESET_CTL_PORTS) < 0)
		return -ENOMEM;
	return 0;
}

/* queue num N[-M] [bypass], with nft_queue: total balances N..N+total-1 */
int ruleset_expr_queue(struct nftnl_rule *r, uint16_t num,
			      uint16_t total, bool bypass)
{
	struct nftnl_expr *e;

	e = ruleset_expr(r, "queue");
	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_NUM, num);
	nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_TOTAL, total ? total : 1);
	nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_FLAGS,
			   bypass ? NFT_QUEUE_FLAG_BYPASS : 0);
	return 0;
}

/*
 * queue num N [bypass], as iptables-nft writes it: -j NFQUEUE --queue-num
 * N [--queue-bypass] (total > 1: --queue-balance N:N+total-1, no
 * cpu-fanout: the hash then keeps both directions of a flow on one
 * queue). xt_check_target() wants the info padded to XT_ALIGN.
 */
int ruleset_expr_nfqueue(struct nftnl_rule *r, uint16_t num,
				uint16_t total, bool bypass)
{
	size_t len = XT_ALIGN(sizeof(struct xt_NFQ_info_v3));
	struct xt_NFQ_info_v3 *info;
	struct nftnl_expr *e;

	e = ruleset_expr(r, "target");
	if (!e)
		return -ENOMEM;
	if (nftnl_expr_set_str(e, NFTNL_EXPR_TG_NAME, "NFQUEUE") < 0)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_TG_REV, 3);
	info = calloc(1, len);
	if (!info)
		return -ENOMEM;
	info->queuenum = num;
	/* xt_NFQUEUE refuses 0 queues */
	info->queues_total = total ? total : 1;
	info->flags = bypass ? NFQ_FLAG_BYPASS : 0;
	/* libnftnl keeps this pointer and frees it with the expression */
	if (nftnl_expr_set(e, NFTNL_EXPR_TG_INFO, info, len) < 0) {
		free(info);
		return -ENOMEM;
	}
	return 0;
}

/* ct KEY & mask == want, KEY being NFT_CT_MARK or NFT_CT_STATE */
static int ruleset_expr_ct_bits(struct nftnl_rule *r, uint32_t key,
				uint32_t mask, uint32_t want)
{
	uint32_t zero = 0;
	struct nftnl_expr *e;

	/* ct load KEY => reg 1 */
	e = ruleset_expr(r, "ct");
	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	/* bitwise reg 1 = (reg 1 & mask) ^ 0 */
	e = ruleset_expr(r, "bitwise");
	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, sizeof(mask));
	if (nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask,
			   sizeof(mask)) < 0 ||
	    nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero,
			   sizeof(zero)) < 0)
		return -ENOMEM;
	/* cmp eq reg 1 want */
	e = ruleset_expr(r, "cmp");
	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
	if (nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, &want, sizeof(want)) < 0)
		return -ENOMEM;
	return 0;
}

/* ct mark & PIN_CT_MARK_ADJUSTED == PIN_CT_MARK_ADJUSTED */
static int ruleset_expr_adjusted(struct nftnl_rule *r)
{
	return ruleset_expr_ct_bits(r, NFT_CT_MARK, PIN_CT_MARK_ADJUSTED,
				    PIN_CT_MARK_ADJUSTED);
}

/*
 * ct state != invalid: a segment conntrack calls invalid is not queued.
 * Its stream position is one the endpoints may not accept, and the
 * firewall may drop it after us: parsing it could make our view of the
 * stream differ from theirs. Unqueued, it goes on through ctl_hook (the
 * drop of shifted sessions still applies: such a packet cannot pass
 * unadjusted) and then meets the administrator's own chains, whose
 * policy for invalid packets decides; our chain's policy accept does
 * not end their evaluation.
 */
static int ruleset_expr_not_invalid(struct nftnl_rule *r)
{
	return ruleset_expr_ct_bits(r, NFT_CT_STATE, NF_CT_STATE_INVALID_BIT,
				    0);
}

/* A rule of chain ctl_queue, without expressions yet. */
struct nftnl_rule *ruleset_queue_rule(void)
{
	struct nftnl_rule *r;

	r = nftnl_rule_alloc();
	if (!r)
		return NULL;
	if (nftnl_rule_set_str(r, NFTNL_RULE_TABLE, PIN_TABLE) < 0 ||
	    nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, RULESET_QUEUE_CHAIN) < 0) {
		nftnl_rule_free(r);
		return NULL;
	}
	return r;
}

int ruleset_rule_msg(char *buf, size_t len, uint32_t seq,
		     const struct nftnl_rule *r)
{
	struct nlmsghdr *nlh;
	union batch_msg m;

	nlh = nftnl_nlmsg_build_hdr(m.b, NFT_MSG_NEWRULE, NFPROTO_INET,
				    NLM_F_CREATE | NLM_F_APPEND | NLM_F_ACK,
				    seq);
	nftnl_rule_nlmsg_build_payload(nlh, (struct nftnl_rule *)r);
	return batch_msg_copy(buf, len, nlh);
}

int ruleset_build_queue_spec(char *buf, size_t len, uint32_t seq,
			     const struct ruleset_queue_spec *q)
{
	bool bypass = !q->adjusted && q->bypass;
	struct nftnl_rule *r;
	int err = 0;

	r = ruleset_queue_rule();
	if (!r)
		return -ENOMEM;
	/*
	 * add rule inet ftp_alg ctl_queue [ct mark & 0x00080000 == 0x00080000]
	 *	meta l4proto tcp tcp dport @ctl_ports ct state != invalid
	 *	queue num N [bypass]
	 * (reply: tcp sport @ctl_ports)
	 */
	if (q->adjusted)
		err = ruleset_expr_adjusted(r);
	if (!err)
		err = ruleset_expr_l4proto_tcp(r);
	if (!err)
		err = ruleset_expr_port_lookup(r, q->reply);
	if (!err)
		err = ruleset_expr_not_invalid(r);
	if (!err)
		err = q->native ?
		      ruleset_expr_queue(r, q->num, q->total, bypass) :
		      ruleset_expr_nfqueue(r, q->num, q->total, bypass);
	if (!err)
		err = ruleset_rule_msg(buf, len, seq, r);
	nftnl_rule_free(r);
	return err;
}

int ruleset_build_queue_rule(char *buf, size_t len, uint32_t seq, bool reply,
			     uint16_t queue_num, bool native)
{
	const struct ruleset_queue_spec q = {
		.reply = reply, .bypass = true, .num = queue_num,
		.native = native,
	};

	return ruleset_build_queue_spec(buf, len, seq, &q);
}

/* flush chain inet ftp_alg ctl_queue: DELRULE without a handle */
static int ruleset_build_queue_flush(char *buf, size_t len, uint32_t seq)
{
	struct nlmsghdr *nlh;
	struct nftnl_rule *r;
	union batch_msg m;
	int err;

	r = ruleset_queue_rule();
	if (!r)
		return -ENOMEM;
	nlh = nftnl_nlmsg_build_hdr(m.b, NFT_MSG_DELRULE, NFPROTO_INET,
				    NLM_F_ACK, seq);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	err = batch_msg_copy(buf, len, nlh);
	nftnl_rule_free(r);
	return err;
}

/*
 * One transaction: flush ctl_queue, and (install) add the four rules,
 * adjusted sessions first (they never bypass), then the rest. *no_expr:
 * the flush went through but a rule was refused with ENOENT or
 * EOPNOTSUPP, as a kernel without the queue expression refuses it.
 */
static int ruleset_queue_batch(struct fw_sock *fw, bool install,
			       uint16_t num, uint16_t total, bool fail_open,
			       bool native, bool pure_acks, bool *no_expr)
{
	struct ruleset_queue_spec q = {
		.num = num, .total = total, .bypass = fail_open,
		.native = native,
	};
	union batch_msg m;
	struct batch b;
	int err, i;

	*no_expr = false;
	err = batch_begin(fw, &b);
	if (err)
		return err;
	/*
	 * flush chain inet ftp_alg ctl_queue
	 * (install) add rule ... ct mark & ADJUSTED ... tcp dport ... queue
	 * (install) add rule ... ct mark & ADJUSTED ... tcp sport ... queue
	 * (pure_acks) add rule ... @pure_ack4 return, ... @pure_ack6 return
	 * (install) add rule ... tcp dport @ctl_ports queue num N bypass
	 * (install) add rule ... tcp sport @ctl_ports queue num N bypass
	 */
	for (i = 0; i < (install ? 7 : 1); i++) {
		if ((i == 3 || i == 4) && !pure_acks)
			continue;
		q.adjusted = i == 1 || i == 2;
		q.reply = i == 2 || i == 6;
		if (i == 0)
			err = ruleset_build_queue_flush(m.b, sizeof(m),
							batch_seq(&b));
		else if (i == 3 || i == 4)
			err = ruleset_build_pure_ack(m.b, sizeof(m),
						     batch_seq(&b), i == 4);
		else
			err = ruleset_build_queue_spec(m.b, sizeof(m),
						       batch_seq(&b), &q);
		if (err < 0)
			goto err_free;
		err = batch_append(&b, &m.h);
		if (err)
			goto err_free;
	}
	err = batch_commit(&b);
	if (install && b.err && b.err[0] == 0 &&
	    (err == -ENOENT || err == -EOPNOTSUPP))
		*no_expr = true;
err_free:
	batch_free(&b);
	return err;
}

int ruleset_queue_install_mode(struct fw_sock *fw, uint16_t queue_num,
			       uint16_t total, bool fail_open, bool pure_acks,
			       bool *native)
{
	bool no_expr;
	int err;

	err = ruleset_queue_batch(fw, true, queue_num, total, fail_open, true,
				  pure_acks, &no_expr);
	if (!err) {
		*native = true;
		return 0;
	}
	if (!no_expr)
		return err;
	err = ruleset_queue_batch(fw, true, queue_num, total, fail_open, false,
				  pure_acks, &no_expr);
	if (!err)
		*native = false;
	return err;
}

int ruleset_queue_install(struct fw_sock *fw, uint16_t queue_num, bool *native)
{
	return ruleset_queue_install_mode(fw, queue_num, 1, true, false,
					  native);
}

int ruleset_queue_remove(struct fw_sock *fw)
{
	bool no_expr;

	return ruleset_queue_batch(fw, false, 0, 1, true, false, false,
				   &no_expr);
}

int ruleset_queue_reinstall(struct fw_sock *fw, uint16_t queue_num,
			    uint16_t total, bool fail_open, bool native,
			    bool pure_acks)
{
	bool no_expr;

	return ruleset_queue_batch(fw, true, queue_num, total, fail_open, native,
				   pure_acks, &no_expr);
}

/* ---- rule counts ----------------------------------------------------- */

static int ruleset_count_cb(const struct nlmsghdr *nlh, void *arg)
{
	unsigned *n = arg;

	if (NFNL_MSG_TYPE(nlh->nlmsg_type) == NFT_MSG_NEWRULE)
		(*n)++;
	return MNL_CB_OK;
}

int ruleset_chain_rules(struct fw_sock *fw, const char *chain, unsigned *n)
{
	struct nlmsghdr *nlh;
	struct nftnl_rule *r;
	union batch_msg m;
	int err = -ENOMEM;

	*n = 0;
	r = nftnl_rule_alloc();
	if (!r)
		return -ENOMEM;
	if (nftnl_rule_set_str(r, NFTNL_RULE_TABLE, PIN_TABLE) < 0 ||
	    nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain) < 0)
		goto err_rule;
	/* list chain inet ftp_alg $chain, as a dump filtered by chain */
	nlh = nftnl_nlmsg_build_hdr(m.b, NFT_MSG_GETRULE, NFPROTO_INET,
				    NLM_F_DUMP, fw_next_seq(fw));
	nftnl_rule_nlmsg_build_payload(nlh, r);
	err = fw_request(fw, nlh, ruleset_count_cb, n);
err_rule:
	nftnl_rule_free(r);
	return err;
}

/* ---- set ctl_ports ----------------------------------------------------- */

int ruleset_build_ctl_ports(char *buf, size_t len, uint32_t seq,
			    const uint16_t *ports, unsigned n)
{
	struct nftnl_set_elem *el;
	struct nlmsghdr *nlh;
	struct nftnl_set *s;
	union batch_msg m;
	uint16_t be;
	unsigned i;
	int err = -ENOMEM;

	s = sets_alloc(RULESET_CTL_PORTS);
	if (!s)
		return -ENOMEM;
	/* add element inet ftp_alg ctl_ports { p0, p1, ... } */
	for (i = 0; i < n; i++) {
		el = nftnl_set_elem_alloc();
		if (!el)
			goto err_set;
		nftnl_set_elem_add(s, el);
		/* inet_service: the port in network order */
		be = htons(ports[i]);
		if (nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY, &be,
				       sizeof(be)) < 0)
			goto err_set;
	}
	nlh = nftnl_nlmsg_build_hdr(m.b, NFT_MSG_NEWSETELEM, NFPROTO_INET,
				    NLM_F_CREATE | NLM_F_ACK, seq);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	err = batch_msg_copy(buf, len, nlh);
err_set:
	nftnl_set_free(s);
	return err;
}

int ruleset_ctl_ports_set(struct fw_sock *fw, const uint16_t *ports,
			  unsigned n)
{
	union batch_msg m;
	struct batch b;
	int err;

	err = batch_begin(fw, &b);
	if (err)
		return err;
	/*
	 * flush set inet ftp_alg ctl_ports
	 * add element inet ftp_alg ctl_ports { ports }
	 */
	err = sets_build_flush(m.b, sizeof(m), batch_seq(&b),
			       RULESET_CTL_PORTS);
	if (err >= 0)
		err = batch_append(&b, &m.h);
	if (!err && n) {
		err = ruleset_build_ctl_ports(m.b, sizeof(m), batch_seq(&b),
					      ports, n);
		if (err >= 0)
			err = batch_append(&b, &m.h);
	}
	if (!err)
		err = batch_commit(&b);
	batch_free(&b);
	return err < 0 ? err : 0;
}

struct ruleset_ports_seen {
	uint16_t *ports;
	unsigned max, n;
};

static int ruleset_port_elem(struct nftnl_set_elem *el, void *arg)
{
	struct ruleset_ports_seen *seen = arg;
	const void *key;
	uint32_t klen;
	uint16_t be;

	key = nftnl_set_elem_get(el, NFTNL_SET_ELEM_KEY, &klen);
	if (!key || klen != sizeof(be))
		return 0;
	memcpy(&be, key, sizeof(be));
	if (seen->n < seen->max)
		seen->ports[seen->n] = ntohs(be);
	seen->n++;
	return 0;
}

static int ruleset_ports_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nftnl_set *s;
	int ret = MNL_CB_OK;

	s = nftnl_set_alloc();
	if (!s) {
		errno = ENOMEM;
		return MNL_CB_ERROR;
	}
	if (nftnl_set_elems_nlmsg_parse(nlh, s) < 0) {
		errno = EBADMSG;
		ret = MNL_CB_ERROR;
	} else {
		nftnl_set_elem_foreach(s, ruleset_port_elem, arg);
	}
	nftnl_set_free(s);
	return ret;
}

int ruleset_ctl_ports_get(struct fw_sock *fw, uint16_t *ports, unsigned max,
			  unsigned *n)
{
	struct ruleset_ports_seen seen = { .ports = ports, .max = max };
	struct nlmsghdr *nlh;
	struct nftnl_set *s;
	union batch_msg m;
	int err;

	s = sets_alloc(RULESET_CTL_PORTS);
	if (!s)
		return -ENOMEM;
	/* list set inet ftp_alg ctl_ports */
	nlh = nftnl_nlmsg_build_hdr(m.b, NFT_MSG_GETSETELEM, NFPROTO_INET,
				    NLM_F_DUMP, fw_next_seq(fw));
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	err = fw_request(fw, nlh, ruleset_ports_cb, &seen);
	nftnl_set_free(s);
	*n = seen.n;
	return err;
}
