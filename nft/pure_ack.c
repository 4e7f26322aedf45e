/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The rules that keep a segment without payload (flags ACK only) of a
 * session whose stream we have not shifted out of the queue: it carries
 * no line and its numbers need no correction, so crossing to userspace
 * and back buys nothing. Sessions we shift (ct mark PIN_CT_MARK_ADJUSTED)
 * are queued by the rules before these, every packet of them.
 *
 * nft cannot subtract header lengths, so "no payload" is a lookup in a
 * set of the shapes such a segment has (deploy/ftp-alg.nft pure_ack4/
 * pure_ack6): IP length . TCP header byte 12. IPv4 with options or IPv6
 * with extension headers is never in it (those are queued, as before);
 * neither is a byte 12 with a reserved bit or AE set.
 */
#include <errno.h>
#include <stddef.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>

#include "ftp-alg/pin.h"
#include "ftp-alg/ruleset.h"
#include "batch.h"
#include "ruleset_int.h"

/* TCP flags byte: FIN SYN RST ACK, of which only ACK */
#define PA_FLAGS_OFF	13
#define PA_FLAGS_MASK	0x17u
#define PA_FLAGS_ACK	0x10u
#define PA_DOFF_OFF	12	/* data offset << 4, reserved, AE */

static const struct ruleset_set_shape pure_ack_shapes[] = {
	/* set pure_ack4 { typeof ip length . @th,96,8; } */
	{ RULESET_PURE_ACK4, "set " RULESET_PURE_ACK4, 8, 0, 0 },
	/* set pure_ack6 { typeof ip6 length . @th,96,8; } */
	{ RULESET_PURE_ACK6, "set " RULESET_PURE_ACK6, 8, 0, 0 },
};

int ruleset_check_pure_ack(struct fw_sock *fw, const char **what)
{
	unsigned i;
	int err;

	for (i = 0; i < 2; i++) {
		*what = pure_ack_shapes[i].what;
		err = ruleset_get_set(fw, &pure_ack_shapes[i]);
		if (err)
			return err;
	}
	*what = NULL;
	return 0;
}

/* cmp eq reg 1 v (one byte) */
static int pa_cmp_u8(struct nftnl_rule *r, uint8_t v)
{
	struct nftnl_expr *e = ruleset_expr(r, "cmp");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
	return nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, &v, 1) < 0 ? -ENOMEM : 0;
}

/* meta load KEY => reg 1; cmp eq reg 1 v */
static int pa_meta_is(struct nftnl_rule *r, uint32_t key, uint8_t v)
{
	struct nftnl_expr *e = ruleset_expr(r, "meta");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	return pa_cmp_u8(r, v);
}

/* payload load LEN b @ BASE + OFF => reg */
static int pa_load(struct nftnl_rule *r, uint32_t base, uint32_t off,
		   uint32_t len, uint32_t reg)
{
	struct nftnl_expr *e = ruleset_expr(r, "payload");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, reg);
	return 0;
}

/* tcp flags & (fin | syn | rst | ack) == ack */
static int pa_only_ack(struct nftnl_rule *r)
{
	uint8_t mask = PA_FLAGS_MASK, zero = 0;
	struct nftnl_expr *e;

	if (pa_load(r, NFT_PAYLOAD_TRANSPORT_HEADER, PA_FLAGS_OFF, 1,
		    NFT_REG_1))
		return -ENOMEM;
	e = ruleset_expr(r, "bitwise");
	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, 1);
	if (nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, 1) < 0 ||
	    nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, 1) < 0)
		return -ENOMEM;
	return pa_cmp_u8(r, PA_FLAGS_ACK);
}

/*
 * meta l4proto tcp tcp flags & (fin|syn|rst|ack) == ack
 *	meta nfproto ipv4 ip length . @th,96,8 @pure_ack4 return
 * (v6: meta nfproto ipv6 ip6 nexthdr tcp ip6 length . @th,96,8
 *	@pure_ack6 return)
 */
static int pa_exprs(struct nftnl_rule *r, bool v6)
{
	struct nftnl_expr *e;
	int err;

	err = pa_meta_is(r, NFT_META_L4PROTO, IPPROTO_TCP);
	if (!err)
		err = pa_only_ack(r);
	if (!err)
		err = pa_meta_is(r, NFT_META_NFPROTO,
				 v6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
	if (!err && v6)
		err = pa_load(r, NFT_PAYLOAD_NETWORK_HEADER,
			      offsetof(struct ip6_hdr, ip6_nxt), 1, NFT_REG_1);
	if (!err && v6)
		err = pa_cmp_u8(r, IPPROTO_TCP);
	/* the key: two 32-bit registers, as nft lays out a concatenation */
	if (!err)
		err = pa_load(r, NFT_PAYLOAD_NETWORK_HEADER,
			      v6 ? offsetof(struct ip6_hdr, ip6_plen) :
				   offsetof(struct ip, ip_len), 2, NFT_REG_1);
	if (!err)
		err = pa_load(r, NFT_PAYLOAD_TRANSPORT_HEADER, PA_DOFF_OFF, 1,
			      NFT_REG32_01);
	if (err)
		return err;
	e = ruleset_expr(r, "lookup");
	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	if (nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, v6 ? RULESET_PURE_ACK6
						   : RULESET_PURE_ACK4) < 0)
		return -ENOMEM;
	e = ruleset_expr(r, "immediate");
	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, NFT_RETURN);
	return 0;
}

int ruleset_build_pure_ack(char *buf, size_t len, uint32_t seq, bool v6)
{
	struct nftnl_rule *r;
	int err;

	r = ruleset_queue_rule();
	if (!r)
		return -ENOMEM;
	err = pa_exprs(r, v6);
	if (!err)
		err = ruleset_rule_msg(buf, len, seq, r);
	nftnl_rule_free(r);
	return err;
}
