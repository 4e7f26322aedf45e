// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The admin rule: every base chain on a hook is evaluated, so a data
 * connection that used a pinhole still dies in an administrator's
 * forward chain with "policy drop" unless that chain accepts the ct mark
 * pin_fwd sets (docs/kernel-facts.md, fact 17). Here: find those chains
 * and tell whether one of their rules does.
 *
 * "ct mark & 0x00f70000 == 0x00f70000 accept" reaches the kernel as
 *
 *   [ ct load mark => reg 1 ]
 *   [ bitwise reg 1 = ( reg 1 & 0x00f70000 ) ^ 0x00000000 ]
 *   [ cmp eq reg 1 0x00f70000 ]
 *   [ immediate reg 0 accept ]
 *
 * and the matcher runs such a list on a connection with that mark.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>

#include "ftp-alg/nftwatch.h"
#include "ftp-alg/pin.h"
#include "batch.h"

/* NFT_REG_VERDICT .. NFT_REG32_15: every register an expression names */
#define NFTW_REGS	(NFT_REG32_15 + 1)

/* ---- parsing ------------------------------------------------------------- */

static uint32_t nftw_u32_data(const struct nftnl_expr *e, uint16_t attr,
			      bool *ok)
{
	const void *p;
	uint32_t len = 0, v = 0;

	p = nftnl_expr_get(e, attr, &len);
	if (!p || len != sizeof(v)) {
		*ok = false;
		return 0;
	}
	memcpy(&v, p, sizeof(v));
	return v;
}

/* One libnftnl expression as the matcher sees it. */
static void nftw_expr_fill(const struct nftnl_expr *e, struct nftw_expr *x)
{
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
	bool ok = true;

	memset(x, 0, sizeof(*x));
	x->op = NFTW_X_OTHER;
	if (!name)
		return;
	if (!strcmp(name, "counter") || !strcmp(name, "log")) {
		x->op = NFTW_X_NOOP;
	} else if (!strcmp(name, "ct")) {
		/* a load (dreg), not "ct mark set" (sreg) */
		if (nftnl_expr_is_set(e, NFTNL_EXPR_CT_DREG) &&
		    nftnl_expr_get_u32(e, NFTNL_EXPR_CT_KEY) == NFT_CT_MARK &&
		    !nftnl_expr_is_set(e, NFTNL_EXPR_CT_DIR)) {
			x->op = NFTW_X_CT_MARK;
			x->dreg = nftnl_expr_get_u32(e, NFTNL_EXPR_CT_DREG);
		}
	} else if (!strcmp(name, "bitwise")) {
		if (nftnl_expr_is_set(e, NFTNL_EXPR_BITWISE_OP) &&
		    nftnl_expr_get_u32(e, NFTNL_EXPR_BITWISE_OP) !=
		    NFT_BITWISE_BOOL)
			return;
		if (nftnl_expr_get_u32(e, NFTNL_EXPR_BITWISE_LEN) != 4)
			return;
		x->sreg = nftnl_expr_get_u32(e, NFTNL_EXPR_BITWISE_SREG);
		x->dreg = nftnl_expr_get_u32(e, NFTNL_EXPR_BITWISE_DREG);
		x->mask = nftw_u32_data(e, NFTNL_EXPR_BITWISE_MASK, &ok);
		x->xor = nftw_u32_data(e, NFTNL_EXPR_BITWISE_XOR, &ok);
		if (ok)
			x->op = NFTW_X_BITWISE;
	} else if (!strcmp(name, "cmp")) {
		x->sreg = nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_SREG);
		x->cmp_op = nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_OP);
		x->data = nftw_u32_data(e, NFTNL_EXPR_CMP_DATA, &ok);
		if (ok)
			x->op = NFTW_X_CMP;
	} else if (!strcmp(name, "immediate")) {
		if (nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_DREG) ==
		    NFT_REG_VERDICT &&
		    nftnl_expr_is_set(e, NFTNL_EXPR_IMM_VERDICT)) {
			x->op = NFTW_X_VERDICT;
			x->verdict = (int)nftnl_expr_get_u32(e,
						NFTNL_EXPR_IMM_VERDICT);
		}
	}
}

static int nftw_expr_cb(struct nftnl_expr *e, void *data)
{
	struct nftw_rule *r = data;

	if (r->n == NFTW_RULE_EXPRS) {
		r->truncated = true;
		return 0;
	}
	nftw_expr_fill(e, &r->x[r->n++]);
	return 0;
}

int nftw_rule_parse(const struct nlmsghdr *nlh, struct nftw_rule *r)
{
	struct nftnl_rule *nr;
	int err = 0;

	memset(r, 0, sizeof(*r));
	nr = nftnl_rule_alloc();
	if (!nr)
		return -ENOMEM;
	if (nftnl_rule_nlmsg_parse(nlh, nr) < 0)
		err = -EINVAL;
	else
		nftnl_expr_foreach(nr, nftw_expr_cb, r);
	nftnl_rule_free(nr);
	return err;
}

/* ---- the matcher --------------------------------------------------------- */

bool nftw_rule_accepts_mark(const struct nftw_rule *r, uint32_t mark)
{
	bool known[NFTW_REGS] = { false };
	uint32_t val[NFTW_REGS];
	const struct nftw_expr *x;
	bool pass;
	unsigned i;

	if (r->truncated)
		return false;
	for (i = 0; i < r->n; i++) {
		x = &r->x[i];
		if (x->sreg >= NFTW_REGS || x->dreg >= NFTW_REGS)
			return false;
		switch (x->op) {
		case NFTW_X_NOOP:
			break;
		case NFTW_X_CT_MARK:
			val[x->dreg] = mark;
			known[x->dreg] = true;
			break;
		case NFTW_X_BITWISE:
			if (!known[x->sreg])
				return false;
			val[x->dreg] = (val[x->sreg] & x->mask) ^ x->xor;
			known[x->dreg] = true;
			break;
		case NFTW_X_CMP:
			/* only what we loaded; < and > are byte-wise */
			if (!known[x->sreg])
				return false;
			if (x->cmp_op == NFT_CMP_EQ)
				pass = val[x->sreg] == x->data;
			else if (x->cmp_op == NFT_CMP_NEQ)
				pass = val[x->sreg] != x->data;
			else
				return false;
			if (!pass)
				return false;
			break;
		case NFTW_X_VERDICT:
			return x->verdict == NF_ACCEPT;
		case NFTW_X_OTHER:
			return false;
		}
	}
	return false;	/* no verdict: the rule only counts or logs */
}

/* ---- the chains ---------------------------------------------------------- */

struct nftw_chains {
	struct nftw_chain *v;
	unsigned n, cap;
	int err;
};

static bool nftw_chain_wanted(const struct nftnl_chain *c)
{
	uint32_t family = nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY);
	const char *table = nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE);

	if (family != NFPROTO_IPV4 && family != NFPROTO_IPV6 &&
	    family != NFPROTO_INET)
		return false;
	if (family == NFPROTO_INET && table && !strcmp(table, PIN_TABLE))
		return false;
	/* base chains only: they have a hook and a policy */
	if (!nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM) ||
	    !nftnl_chain_is_set(c, NFTNL_CHAIN_POLICY))
		return false;
	return nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM) ==
	       NF_INET_FORWARD &&
	       nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY) == NF_DROP;
}

static int nftw_chain_keep(struct nftw_chains *cs, const struct nftnl_chain *c)
{
	struct nftw_chain *p;

	if (cs->n == cs->cap) {
		cs->cap = cs->cap ? 2 * cs->cap : 8;
		p = realloc(cs->v, cs->cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		cs->v = p;
	}
	p = &cs->v[cs->n++];
	p->family = (uint8_t)nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY);
	snprintf(p->table, sizeof(p->table), "%s",
		 nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE));
	snprintf(p->name, sizeof(p->name), "%s",
		 nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
	return 0;
}

static int nftw_chain_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nftw_chains *cs = arg;
	struct nftnl_chain *c;
	int err = 0;

	c = nftnl_chain_alloc();
	if (!c) {
		errno = ENOMEM;
		return MNL_CB_ERROR;
	}
	if (nftnl_chain_nlmsg_parse(nlh, c) < 0)
		err = -EBADMSG;
	else if (nftw_chain_wanted(c))
		err = nftw_chain_keep(cs, c);
	nftnl_chain_free(c);
	if (err) {
		cs->err = err;
		errno = -err;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

/* list chains (every family) */
static int nftw_dump_chains(struct fw_sock *fw, struct nftw_chains *cs)
{
	struct nlmsghdr *nlh;
	union batch_msg m;
	int err;

	nlh = nftnl_nlmsg_build_hdr(m.b, NFT_MSG_GETCHAIN, NFPROTO_UNSPEC,
				    NLM_F_DUMP, fw_next_seq(fw));
	err = fw_request(fw, nlh, nftw_chain_cb, cs);
	return cs->err ? cs->err : err;
}

struct nftw_rules_seen {
	uint32_t mark;
	bool accepts;
};

static int nftw_rule_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nftw_rules_seen *seen = arg;
	struct nftw_rule r;

	if (!seen->accepts && nftw_rule_parse(nlh, &r) == 0 &&
	    nftw_rule_accepts_mark(&r, seen->mark))
		seen->accepts = true;
	return MNL_CB_OK;
}

/* list chain $family $table $chain: does a rule accept mark? */
static int nftw_chain_accepts(struct fw_sock *fw, const struct nftw_chain *c,
			      uint32_t mark, bool *accepts)
{
	struct nftw_rules_seen seen = { .mark = mark };
	struct nlmsghdr *nlh;
	struct nftnl_rule *r;
	union batch_msg m;
	int err = -ENOMEM;

	r = nftnl_rule_alloc();
	if (!r)
		return -ENOMEM;
	if (nftnl_rule_set_str(r, NFTNL_RULE_TABLE, c->table) < 0 ||
	    nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, c->name) < 0)
		goto err_rule;
	/* a dump filtered by table and chain */
	nlh = nftnl_nlmsg_build_hdr(m.b, NFT_MSG_GETRULE, c->family,
				    NLM_F_DUMP, fw_next_seq(fw));
	nftnl_rule_nlmsg_build_payload(nlh, r);
	err = fw_request(fw, nlh, nftw_rule_cb, &seen);
	*accepts = seen.accepts;
err_rule:
	nftnl_rule_free(r);
	return err;
}

int nftw_forward_check(struct fw_sock *fw, uint32_t mark,
		       void (*fn)(const struct nftw_chain *c, bool accepts,
				  void *arg),
		       void *arg)
{
	struct nftw_chains cs = { .v = NULL };
	bool accepts;
	unsigned i;
	int err;

	err = nftw_dump_chains(fw, &cs);
	for (i = 0; !err && i < cs.n; i++) {
		err = nftw_chain_accepts(fw, &cs.v[i], mark, &accepts);
		/* the chain went away meanwhile: it drops nothing now */
		if (err == -ENOENT) {
			err = 0;
			continue;
		}
		if (!err)
			fn(&cs.v[i], accepts, arg);
	}
	free(cs.v);
	return err ? err : (int)cs.n;
}
