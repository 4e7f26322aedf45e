/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nft/watch.c and nft/admin.c without a kernel: event messages built with
 * libnftnl as the kernel sends them, sorted by nftw_classify(); rules
 * built expression by expression, parsed back by nftw_rule_parse() and
 * judged by the admin-rule matcher; the ctl_ports message parsed back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

/* cmocka's test signature: most tests do not use their state */
#pragma GCC diagnostic ignored "-Wunused-parameter"

#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include "ftp-alg/nftwatch.h"
#include "ftp-alg/pin.h"
#include "ftp-alg/ruleset.h"

#define OUR_PORTID	4242
#define THEIR_PORTID	777
#define MARK		PIN_CT_MARK

union msgbuf {
	struct nlmsghdr h;
	char b[4096];
};

static const char *kind_name(enum nftw_kind k)
{
	static const char *const names[] = {
		"IGNORE", "TXN_END", "OURS", "FORWARD", "OVERRUN",
	};

	return (unsigned)k < 5 ? names[k] : "?";
}

/*
 * An event of type msg about object (a table, chain, rule or set: only
 * its table matters) in family/table, sent on behalf of portid.
 */
static struct nlmsghdr *event(union msgbuf *m, uint16_t msg, uint8_t family,
			      const char *table, uint32_t portid)
{
	struct nlmsghdr *nlh;

	nlh = nftnl_nlmsg_build_hdr(m->b, msg, family, 0, 1);
	nlh->nlmsg_pid = portid;
	switch (msg) {
	case NFT_MSG_NEWTABLE:
	case NFT_MSG_DELTABLE: {
		struct nftnl_table *t = nftnl_table_alloc();

		nftnl_table_set_str(t, NFTNL_TABLE_NAME, table);
		nftnl_table_nlmsg_build_payload(nlh, t);
		nftnl_table_free(t);
		break;
	}
	case NFT_MSG_NEWCHAIN:
	case NFT_MSG_DELCHAIN: {
		struct nftnl_chain *c = nftnl_chain_alloc();

		nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table);
		nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, "forward");
		nftnl_chain_nlmsg_build_payload(nlh, c);
		nftnl_chain_free(c);
		break;
	}
	case NFT_MSG_NEWRULE:
	case NFT_MSG_DELRULE: {
		struct nftnl_rule *r = nftnl_rule_alloc();

		nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
		nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, "ctl_queue");
		nftnl_rule_nlmsg_build_payload(nlh, r);
		nftnl_rule_free(r);
		break;
	}
	case NFT_MSG_NEWSET:
	case NFT_MSG_DELSET: {
		struct nftnl_set *s = nftnl_set_alloc();

		nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
		nftnl_set_set_str(s, NFTNL_SET_NAME, "pin4");
		nftnl_set_nlmsg_build_payload(nlh, s);
		nftnl_set_free(s);
		break;
	}
	case NFT_MSG_NEWSETELEM:
	case NFT_MSG_DELSETELEM: {
		struct nftnl_set *s = nftnl_set_alloc();

		nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
		nftnl_set_set_str(s, NFTNL_SET_NAME, "pin4");
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
		nftnl_set_free(s);
		break;
	}
	case NFT_MSG_NEWGEN:
		/* NFTA_GEN_ID only, as the kernel's carries more */
		mnl_attr_put_u32(nlh, NFTA_GEN_ID, htonl(7));
		break;
	}
	return nlh;
}

static void expect_kind_at(uint16_t msg, uint8_t family, const char *table,
			   uint32_t portid, enum nftw_kind want, int line)
{
	struct nftw_event ev;
	union msgbuf m;
	int ret;

	ret = nftw_classify(event(&m, msg, family, table, portid),
			    OUR_PORTID, &ev);
	if (ret)
		fail_msg("line %d: classify failed: %d", line, ret);
	if (ev.kind != want)
		fail_msg("line %d: msg %u family %u table %s: %s, expected %s",
			 line, msg, family, table, kind_name(ev.kind),
			 kind_name(want));
	if (want != NFTW_IGNORE && want != NFTW_TXN_END &&
	    strcmp(ev.table, table))
		fail_msg("line %d: table '%s', expected '%s'", line, ev.table,
			 table);
}
#define expect_kind(msg, fam, table, portid, want) \
	expect_kind_at(msg, fam, table, portid, want, __LINE__)

static void test_every_change_to_our_table_is_ours(void **state)
{
	static const uint16_t msgs[] = {
		NFT_MSG_NEWTABLE, NFT_MSG_DELTABLE, NFT_MSG_NEWCHAIN,
		NFT_MSG_DELCHAIN, NFT_MSG_NEWRULE, NFT_MSG_DELRULE,
		NFT_MSG_NEWSET, NFT_MSG_DELSET, NFT_MSG_NEWSETELEM,
		NFT_MSG_DELSETELEM,
	};
	unsigned i;

	for (i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++)
		expect_kind(msgs[i], NFPROTO_INET, PIN_TABLE, THEIR_PORTID,
			    NFTW_OURS);
}

static void test_our_own_changes_are_ignored(void **state)
{
	expect_kind(NFT_MSG_DELRULE, NFPROTO_INET, PIN_TABLE, OUR_PORTID,
		    NFTW_IGNORE);
	expect_kind(NFT_MSG_NEWSETELEM, NFPROTO_INET, PIN_TABLE, OUR_PORTID,
		    NFTW_IGNORE);
	/* and the end of our own transaction is no reason to look */
	expect_kind(NFT_MSG_NEWGEN, NFPROTO_UNSPEC, "", OUR_PORTID,
		    NFTW_IGNORE);
}

static void test_their_transaction_end_is_seen(void **state)
{
	expect_kind(NFT_MSG_NEWGEN, NFPROTO_UNSPEC, "", THEIR_PORTID,
		    NFTW_TXN_END);
}

static void test_other_tables_chains_and_rules_are_forward(void **state)
{
	expect_kind(NFT_MSG_NEWCHAIN, NFPROTO_INET, "admin", THEIR_PORTID,
		    NFTW_FORWARD);
	expect_kind(NFT_MSG_DELRULE, NFPROTO_IPV4, "filter", THEIR_PORTID,
		    NFTW_FORWARD);
	expect_kind(NFT_MSG_DELTABLE, NFPROTO_IPV6, "filter", THEIR_PORTID,
		    NFTW_FORWARD);
	/* the same name in another family is not our table */
	expect_kind(NFT_MSG_DELTABLE, NFPROTO_IPV4, PIN_TABLE, THEIR_PORTID,
		    NFTW_FORWARD);
}

static void test_other_sets_and_families_are_ignored(void **state)
{
	/* an administrator's dynamic sets change all day long */
	expect_kind(NFT_MSG_NEWSETELEM, NFPROTO_INET, "admin", THEIR_PORTID,
		    NFTW_IGNORE);
	expect_kind(NFT_MSG_DELSET, NFPROTO_IPV4, "filter", THEIR_PORTID,
		    NFTW_IGNORE);
	/* no forward hook we care about there */
	expect_kind(NFT_MSG_NEWCHAIN, NFPROTO_BRIDGE, "br", THEIR_PORTID,
		    NFTW_IGNORE);
	expect_kind(NFT_MSG_NEWRULE, NFPROTO_NETDEV, "ingress", THEIR_PORTID,
		    NFTW_IGNORE);
}

static void test_a_message_of_another_subsystem_is_ignored(void **state)
{
	struct nftw_event ev;
	union msgbuf m;
	struct nlmsghdr *nlh;

	nlh = event(&m, NFT_MSG_DELTABLE, NFPROTO_INET, PIN_TABLE,
		    THEIR_PORTID);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | 2;
	assert_int_equal(nftw_classify(nlh, OUR_PORTID, &ev), 0);
	assert_int_equal(ev.kind, NFTW_IGNORE);
	nlh->nlmsg_len = 8;
	assert_int_equal(nftw_classify(nlh, OUR_PORTID, &ev), -EINVAL);
	assert_int_equal(ev.kind, NFTW_IGNORE);
}

/* ---- the admin rule ------------------------------------------------------ */

static struct nftnl_rule *rule_new(void)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, "admin");
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, "forward");
	return r;
}

static struct nftnl_expr *add(struct nftnl_rule *r, const char *name)
{
	struct nftnl_expr *e = nftnl_expr_alloc(name);

	nftnl_rule_add_expr(r, e);
	return e;
}

/* ct mark => reg 1 */
static void ct_mark(struct nftnl_rule *r)
{
	struct nftnl_expr *e = add(r, "ct");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_MARK);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
}

/* reg 1 = (reg 1 & mask) ^ 0 */
static void and_mask(struct nftnl_rule *r, uint32_t mask)
{
	struct nftnl_expr *e = add(r, "bitwise");
	uint32_t xor = 0;

	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, 4);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, 4);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &xor, 4);
}

static void cmp(struct nftnl_rule *r, uint32_t op, uint32_t v)
{
	struct nftnl_expr *e = add(r, "cmp");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, &v, 4);
}

static void verdict(struct nftnl_rule *r, int v)
{
	struct nftnl_expr *e = add(r, "immediate");

	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)v);
	if (v == NFT_JUMP)
		nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, "ftp");
}

/* meta iifname => reg 1, cmp: a match the check cannot judge */
static void iifname(struct nftnl_rule *r)
{
	struct nftnl_expr *e = add(r, "meta");
	char name[16] = "wan";

	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_IIFNAME);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	e = add(r, "cmp");
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, name, sizeof(name));
}

/* Build r into a NEWRULE message, parse it back, judge it, free r. */
static bool judged(struct nftnl_rule *r, uint32_t mark)
{
	struct nftw_rule parsed;
	struct nlmsghdr *nlh;
	union msgbuf m;

	nlh = nftnl_nlmsg_build_hdr(m.b, NFT_MSG_NEWRULE, NFPROTO_INET, 0, 1);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	assert_int_equal(nftw_rule_parse(nlh, &parsed), 0);
	return nftw_rule_accepts_mark(&parsed, mark);
}

static void test_the_admin_rule_of_the_file_counts(void **state)
{
	/* ct mark & 0x00f70000 == 0x00f70000 accept */
	struct nftnl_rule *r = rule_new();
	struct nftw_rule parsed;
	struct nlmsghdr *nlh;
	union msgbuf m;

	ct_mark(r);
	and_mask(r, MARK);
	cmp(r, NFT_CMP_EQ, MARK);
	verdict(r, NF_ACCEPT);
	nlh = nftnl_nlmsg_build_hdr(m.b, NFT_MSG_NEWRULE, NFPROTO_INET, 0, 1);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	assert_int_equal(nftw_rule_parse(nlh, &parsed), 0);
	/* parsed back field by field */
	assert_int_equal(parsed.n, 4);
	assert_int_equal(parsed.x[0].op, NFTW_X_CT_MARK);
	assert_int_equal(parsed.x[0].dreg, NFT_REG_1);
	assert_int_equal(parsed.x[1].op, NFTW_X_BITWISE);
	assert_int_equal(parsed.x[1].mask, MARK);
	assert_int_equal(parsed.x[1].xor, 0);
	assert_int_equal(parsed.x[2].op, NFTW_X_CMP);
	assert_int_equal(parsed.x[2].cmp_op, NFT_CMP_EQ);
	assert_int_equal(parsed.x[2].data, MARK);
	assert_int_equal(parsed.x[3].op, NFTW_X_VERDICT);
	assert_int_equal(parsed.x[3].verdict, NF_ACCEPT);
	assert_true(nftw_rule_accepts_mark(&parsed, MARK));
	/* and it would not let an unmarked connection through */
	assert_false(nftw_rule_accepts_mark(&parsed, 0));
}

static void test_equivalent_forms_count(void **state)
{
	struct nftnl_rule *r;

	/* ct mark & 0x00f70000 != 0 counter accept */
	r = rule_new();
	ct_mark(r);
	and_mask(r, MARK);
	cmp(r, NFT_CMP_NEQ, 0);
	add(r, "counter");
	verdict(r, NF_ACCEPT);
	assert_true(judged(r, MARK));

	/* ct mark 0x00f70000 accept: exact, no mask */
	r = rule_new();
	ct_mark(r);
	cmp(r, NFT_CMP_EQ, MARK);
	verdict(r, NF_ACCEPT);
	assert_true(judged(r, MARK));

	/* one bit of ours is enough: ct mark & 0x00010000 == 0x00010000 */
	r = rule_new();
	ct_mark(r);
	and_mask(r, 0x00010000);
	cmp(r, NFT_CMP_EQ, 0x00010000);
	verdict(r, NF_ACCEPT);
	assert_true(judged(r, MARK));
}

static void test_rules_that_do_not_let_every_pinhole_through(void **state)
{
	struct nftnl_rule *r;

	/* another bit: ct mark & 0x01000000 == 0x01000000 accept */
	r = rule_new();
	ct_mark(r);
	and_mask(r, 0x01000000);
	cmp(r, NFT_CMP_EQ, 0x01000000);
	verdict(r, NF_ACCEPT);
	assert_false(judged(r, MARK));

	/* the right test, the wrong verdict */
	r = rule_new();
	ct_mark(r);
	and_mask(r, MARK);
	cmp(r, NFT_CMP_EQ, MARK);
	verdict(r, NF_DROP);
	assert_false(judged(r, MARK));

	/* narrowed by a match we cannot judge */
	r = rule_new();
	iifname(r);
	ct_mark(r);
	and_mask(r, MARK);
	cmp(r, NFT_CMP_EQ, MARK);
	verdict(r, NF_ACCEPT);
	assert_false(judged(r, MARK));

	/* a jump is not followed */
	r = rule_new();
	ct_mark(r);
	and_mask(r, MARK);
	cmp(r, NFT_CMP_EQ, MARK);
	verdict(r, NFT_JUMP);
	assert_false(judged(r, MARK));

	/* counting only */
	r = rule_new();
	ct_mark(r);
	and_mask(r, MARK);
	cmp(r, NFT_CMP_EQ, MARK);
	add(r, "counter");
	assert_false(judged(r, MARK));

	/* accept everything: counts (it does accept the mark) */
	r = rule_new();
	verdict(r, NF_ACCEPT);
	assert_true(judged(r, MARK));
}

static void test_a_compare_on_an_unloaded_register_does_not_count(void **state)
{
	struct nftnl_rule *r = rule_new();

	and_mask(r, MARK);
	cmp(r, NFT_CMP_EQ, MARK);
	verdict(r, NF_ACCEPT);
	assert_false(judged(r, MARK));
}

/* ---- set ctl_ports ------------------------------------------------------- */

/* The first attribute of type in nest (or in the message after nfgenmsg). */
static const struct nlattr *attr_in(const struct nlattr *nest,
				    const struct nlmsghdr *nlh, uint16_t type)
{
	const struct nlattr *a;

	if (nest) {
		mnl_attr_for_each_nested(a, nest)
			if (mnl_attr_get_type(a) == type)
				return a;
	} else {
		mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
			if (mnl_attr_get_type(a) == type)
				return a;
	}
	fail_msg("no attribute %u", type);
	return NULL;
}

static void test_ctl_ports_message_holds_every_port(void **state)
{
	static const uint16_t ports[] = { 21, 2121, 990 };
	const struct nlattr *list, *el, *key, *val;
	union msgbuf m;
	uint16_t be;
	unsigned n = 0;
	int len;

	len = ruleset_build_ctl_ports(m.b, sizeof(m), 9, ports, 3);
	assert_true(len > 0);
	assert_int_equal(NFNL_MSG_TYPE(m.h.nlmsg_type), NFT_MSG_NEWSETELEM);
	assert_int_equal(m.h.nlmsg_seq, 9);
	/*
	 * libnftnl 1.2.4 does not parse a list of several elements back,
	 * so walk it: ELEMENTS { #1 { KEY { VALUE: port (be16) } }, #2 ... }
	 */
	assert_string_equal(mnl_attr_get_str(attr_in(NULL, &m.h,
				NFTA_SET_ELEM_LIST_TABLE)), PIN_TABLE);
	assert_string_equal(mnl_attr_get_str(attr_in(NULL, &m.h,
				NFTA_SET_ELEM_LIST_SET)), RULESET_CTL_PORTS);
	list = attr_in(NULL, &m.h, NFTA_SET_ELEM_LIST_ELEMENTS);
	mnl_attr_for_each_nested(el, list) {
		/* libnftnl numbers the list's entries 1, 2, ...; the
		 * kernel does not look at their type */
		assert_int_equal(mnl_attr_get_type(el), n + 1);
		key = attr_in(el, NULL, NFTA_SET_ELEM_KEY);
		val = attr_in(key, NULL, NFTA_DATA_VALUE);
		assert_int_equal(mnl_attr_get_payload_len(val), 2);
		memcpy(&be, mnl_attr_get_payload(val), 2);
		assert_true(n < 3);
		if (ntohs(be) != ports[n])
			fail_msg("element %u: port %u, expected %u", n,
				 ntohs(be), ports[n]);
		n++;
	}
	assert_int_equal(n, 3);
}

static void test_the_built_in_definition_is_deploy_ftp_alg_nft(void **state)
{
	const char *def = ruleset_definition();

	/* the file itself: its first line, its table, the admin rule */
	assert_int_equal(strncmp(def, "#!/usr/sbin/nft -f\n", 19), 0);
	assert_non_null(strstr(def, "\ntable inet ftp_alg {\n"));
	assert_non_null(strstr(def, "# admin-rule: ct mark & 0x00f70000 == "
				    "0x00f70000 accept\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_change_to_our_table_is_ours),
		cmocka_unit_test(test_our_own_changes_are_ignored),
		cmocka_unit_test(test_their_transaction_end_is_seen),
		cmocka_unit_test(test_other_tables_chains_and_rules_are_forward),
		cmocka_unit_test(test_other_sets_and_families_are_ignored),
		cmocka_unit_test(test_a_message_of_another_subsystem_is_ignored),
		cmocka_unit_test(test_the_admin_rule_of_the_file_counts),
		cmocka_unit_test(test_equivalent_forms_count),
		cmocka_unit_test(test_rules_that_do_not_let_every_pinhole_through),
		cmocka_unit_test(test_a_compare_on_an_unloaded_register_does_not_count),
		cmocka_unit_test(test_ctl_ports_message_holds_every_port),
		cmocka_unit_test(test_the_built_in_definition_is_deploy_ftp_alg_nft),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
