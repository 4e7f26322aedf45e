/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The nftables messages of nft/pin.c and nft/ruleset.c, without a kernel:
 * build each with pin_build_elem() or ruleset_build_queue_rule(), parse it
 * back with libnftnl, compare field by field against bytes written out by
 * hand.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/x_tables.h>
#include <linux/netfilter/xt_NFQUEUE.h>
#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>

#include "ftp-alg/pin.h"
#include "ftp-alg/ruleset.h"
#include "testutil.h"

#define SEQ		0x01020304u
#define MSG_LEN		2048

union msgbuf {
	struct nlmsghdr h;
	char b[MSG_LEN];
};

/* 192.0.2.10 -> 198.51.100.1:40001 announced, 10.0.0.5:50001 behind NAT */
static struct pin_entry entry4(uint32_t timeout_ms)
{
	struct pin_entry e;

	memset(&e, 0, sizeof(e));
	e.family = AF_INET;
	tu_addr(AF_INET, "192.0.2.10", &e.peer);
	e.wire.family = AF_INET;
	tu_addr(AF_INET, "198.51.100.1", &e.wire.addr);
	e.wire.port = 40001;
	e.target.family = AF_INET;
	tu_addr(AF_INET, "10.0.0.5", &e.target.addr);
	e.target.port = 50001;
	e.timeout_ms = timeout_ms;
	return e;
}

/*
 * A DMZ server's active-mode data connection: 10.0.0.5 (behind a port
 * forward from 203.0.113.5) connects to the client 192.0.2.10:50001,
 * and must leave from 203.0.113.5.
 */
static struct pin_entry entry4_snat(uint32_t timeout_ms)
{
	struct pin_entry e;

	memset(&e, 0, sizeof(e));
	e.family = AF_INET;
	tu_addr(AF_INET, "10.0.0.5", &e.peer);
	tu_addr(AF_INET, "203.0.113.5", &e.peer_pub);
	e.target.family = AF_INET;
	tu_addr(AF_INET, "192.0.2.10", &e.target.addr);
	e.target.port = 50001;
	e.wire = e.target;
	e.timeout_ms = timeout_ms;
	return e;
}

static struct pin_entry entry6(uint32_t timeout_ms)
{
	struct pin_entry e;

	memset(&e, 0, sizeof(e));
	e.family = AF_INET6;
	tu_addr(AF_INET6, "2001:db8::10", &e.peer);
	e.target.family = AF_INET6;
	tu_addr(AF_INET6, "2001:db8:1::5", &e.target.addr);
	e.target.port = 50002;
	e.wire = e.target;
	e.timeout_ms = timeout_ms;
	return e;
}

/* peer . addr . port: each field 4-byte aligned, the port big-endian. */
static const uint8_t key4_pin[12] = {
	192, 0, 2, 10,
	10, 0, 0, 5,
	0xc3, 0x51, 0, 0,		/* 50001 */
};
static const uint8_t key4_dnat[12] = {
	192, 0, 2, 10,
	198, 51, 100, 1,
	0x9c, 0x41, 0, 0,		/* 40001 */
};
static const uint8_t data4_dnat[8] = {
	10, 0, 0, 5,
	0xc3, 0x51, 0, 0,		/* 50001 */
};
/* snat4: keyed as the pinhole, the peer's public address as data */
static const uint8_t data4_snat[4] = { 203, 0, 113, 5 };
static const uint8_t key6_pin[36] = {
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
	0x20, 0x01, 0x0d, 0xb8, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x05,
	0xc3, 0x52, 0, 0,		/* 50002 */
};

static void expect_header(const struct nlmsghdr *nlh, int len,
			  uint16_t type, uint16_t flags)
{
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);

	assert_int_equal(nlh->nlmsg_len, len);
	assert_int_equal(nlh->nlmsg_type, (NFNL_SUBSYS_NFTABLES << 8) | type);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | flags);
	assert_int_equal(nlh->nlmsg_seq, SEQ);
	assert_int_equal(nfg->nfgen_family, NFPROTO_INET);
	assert_int_equal(nfg->version, NFNETLINK_V0);
}

/*
 * Build one element message for set and parse it back: the set (caller
 * frees) and its single element in *el.
 */
static struct nftnl_set *build_elem(uint16_t type, uint16_t flags,
				    const char *set,
				    const struct pin_entry *e,
				    struct nftnl_set_elem **el)
{
	struct nftnl_set_elems_iter *it;
	union msgbuf m;
	struct nftnl_set *s;
	int len;

	memset(&m, 0xa5, sizeof(m));
	len = pin_build_elem(m.b, sizeof(m), type, SEQ, set, e);
	assert_true(len > 0);
	expect_header(&m.h, len, type, flags);

	s = nftnl_set_alloc();
	assert_non_null(s);
	assert_int_equal(nftnl_set_elems_nlmsg_parse(&m.h, s), 0);
	assert_string_equal(nftnl_set_get_str(s, NFTNL_SET_TABLE), PIN_TABLE);
	assert_string_equal(nftnl_set_get_str(s, NFTNL_SET_NAME), set);
	assert_int_equal(nftnl_set_get_u32(s, NFTNL_SET_FAMILY), NFPROTO_INET);

	it = nftnl_set_elems_iter_create(s);
	assert_non_null(it);
	*el = nftnl_set_elems_iter_next(it);
	assert_non_null(*el);
	/* exactly one element */
	assert_null(nftnl_set_elems_iter_next(it));
	nftnl_set_elems_iter_destroy(it);
	return s;
}

static void expect_bytes(struct nftnl_set_elem *el, uint16_t attr,
			 const uint8_t *want, uint32_t want_len)
{
	const void *got;
	uint32_t len = 0;

	assert_true(nftnl_set_elem_is_set(el, attr));
	got = nftnl_set_elem_get(el, attr, &len);
	assert_non_null(got);
	assert_int_equal(len, want_len);
	assert_memory_equal(got, want, want_len);
}

static void test_ipv4_pin_key_is_peer_addr_port(void **state)
{
	struct pin_entry e = entry4(30000);
	struct nftnl_set_elem *el;
	struct nftnl_set *s;

	s = build_elem(NFT_MSG_NEWSETELEM, NLM_F_CREATE | NLM_F_ACK,
		       PIN_SET4, &e, &el);
	/* the pinhole is for the target, after DNAT */
	expect_bytes(el, NFTNL_SET_ELEM_KEY, key4_pin, sizeof(key4_pin));
	assert_false(nftnl_set_elem_is_set(el, NFTNL_SET_ELEM_DATA));
	assert_int_equal(nftnl_set_elem_get_u64(el, NFTNL_SET_ELEM_TIMEOUT),
			 30000);
	nftnl_set_free(s);
}

static void test_ipv6_pin_key_is_peer_addr_port(void **state)
{
	struct pin_entry e = entry6(90000);
	struct nftnl_set_elem *el;
	struct nftnl_set *s;

	s = build_elem(NFT_MSG_NEWSETELEM, NLM_F_CREATE | NLM_F_ACK,
		       PIN_SET6, &e, &el);
	expect_bytes(el, NFTNL_SET_ELEM_KEY, key6_pin, sizeof(key6_pin));
	assert_false(nftnl_set_elem_is_set(el, NFTNL_SET_ELEM_DATA));
	assert_int_equal(nftnl_set_elem_get_u64(el, NFTNL_SET_ELEM_TIMEOUT),
			 90000);
	nftnl_set_free(s);
}

static void test_dnat4_maps_wire_to_target(void **state)
{
	struct pin_entry e = entry4(30000);
	struct nftnl_set_elem *el;
	struct nftnl_set *s;

	s = build_elem(NFT_MSG_NEWSETELEM, NLM_F_CREATE | NLM_F_ACK,
		       PIN_MAP4, &e, &el);
	expect_bytes(el, NFTNL_SET_ELEM_KEY, key4_dnat, sizeof(key4_dnat));
	expect_bytes(el, NFTNL_SET_ELEM_DATA, data4_dnat, sizeof(data4_dnat));
	assert_int_equal(nftnl_set_elem_get_u64(el, NFTNL_SET_ELEM_TIMEOUT),
			 30000);
	nftnl_set_free(s);
}

static const uint8_t key4_snat[12] = {
	10, 0, 0, 5,
	192, 0, 2, 10,
	0xc3, 0x51, 0, 0,		/* 50001 */
};

/*
 * snat4 { peer . addr . port : peer_pub }: the key is the pinhole's
 * (postrouting sees the connection after DNAT, as pin_fwd does), the
 * data the address the data connection leaves from.
 */
static void test_snat4_maps_pinhole_key_to_peer_pub(void **state)
{
	struct pin_entry e = entry4_snat(30000);
	struct nftnl_set_elem *el;
	struct nftnl_set *s;

	s = build_elem(NFT_MSG_NEWSETELEM, NLM_F_CREATE | NLM_F_ACK,
		       PIN_SNAT4, &e, &el);
	expect_bytes(el, NFTNL_SET_ELEM_KEY, key4_snat, sizeof(key4_snat));
	expect_bytes(el, NFTNL_SET_ELEM_DATA, data4_snat, sizeof(data4_snat));
	assert_int_equal(nftnl_set_elem_get_u64(el, NFTNL_SET_ELEM_TIMEOUT),
			 30000);
	nftnl_set_free(s);

	/* the pinhole of the same entry has the same key */
	s = build_elem(NFT_MSG_NEWSETELEM, NLM_F_CREATE | NLM_F_ACK,
		       PIN_SET4, &e, &el);
	expect_bytes(el, NFTNL_SET_ELEM_KEY, key4_snat, sizeof(key4_snat));
	assert_false(nftnl_set_elem_is_set(el, NFTNL_SET_ELEM_DATA));
	nftnl_set_free(s);

	/* a delete names the key alone */
	s = build_elem(NFT_MSG_DELSETELEM, NLM_F_ACK, PIN_SNAT4, &e, &el);
	expect_bytes(el, NFTNL_SET_ELEM_KEY, key4_snat, sizeof(key4_snat));
	assert_false(nftnl_set_elem_is_set(el, NFTNL_SET_ELEM_DATA));
	assert_false(nftnl_set_elem_is_set(el, NFTNL_SET_ELEM_TIMEOUT));
	nftnl_set_free(s);
}

static void expect_sets(const struct pin_entry *e, unsigned n, ...)
{
	const char *got[PIN_ELEMS_MAX];
	unsigned i, k;
	va_list ap;

	k = pin_elem_sets(e, got);
	assert_int_equal(k, n);
	va_start(ap, n);
	for (i = 0; i < n; i++)
		assert_string_equal(got[i], va_arg(ap, const char *));
	va_end(ap);
}

/*
 * What one pin_add() batch carries per entry, pinhole first: a mapping
 * is never sent without its pinhole, nor a pinhole without the mappings
 * its data connection needs.
 */
static void test_batch_carries_pinhole_and_its_mappings(void **state)
{
	struct pin_entry e;

	/* passive through a port forward: pinhole + dnat4 */
	e = entry4(1000);
	assert_false(pin_needs_snat(&e));
	expect_sets(&e, 2, PIN_SET4, PIN_MAP4);

	/* active from a DMZ server: pinhole + snat4 */
	e = entry4_snat(1000);
	assert_true(pin_needs_snat(&e));
	assert_false(pin_needs_nat(&e));
	assert_true(pin_has_maps(&e));
	expect_sets(&e, 2, PIN_SET4, PIN_SNAT4);

	/* both translated (hairpin): all three */
	e = entry4(1000);
	tu_addr(AF_INET, "203.0.113.5", &e.peer_pub);
	expect_sets(&e, 3, PIN_SET4, PIN_MAP4, PIN_SNAT4);

	/* the peer is known by its own address: no source mapping */
	e = entry4_snat(1000);
	e.peer_pub = e.peer;
	assert_false(pin_has_maps(&e));
	expect_sets(&e, 1, PIN_SET4);

	/* a journal record from before snat4: peer_pub all zero, none */
	e = entry4_snat(1000);
	memset(&e.peer_pub, 0, sizeof(e.peer_pub));
	expect_sets(&e, 1, PIN_SET4);

	/* IPv6: the pinhole alone, whatever peer_pub says */
	e = entry6(1000);
	expect_sets(&e, 1, PIN_SET6);
	tu_addr(AF_INET6, "2001:db8:1::1", &e.peer_pub);
	assert_false(pin_needs_snat(&e));
	expect_sets(&e, 1, PIN_SET6);
}

/* A delete, a destroy and a get carry the key alone, even for the map. */
static void test_delete_and_get_carry_key_only(void **state)
{
	static const uint16_t types[] = {
		NFT_MSG_DELSETELEM, PIN_MSG_DESTROYSETELEM, NFT_MSG_GETSETELEM
	};
	struct pin_entry e = entry4(30000);
	struct nftnl_set_elem *el;
	struct nftnl_set *s;
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		s = build_elem(types[i], NLM_F_ACK, PIN_MAP4, &e, &el);
		expect_bytes(el, NFTNL_SET_ELEM_KEY, key4_dnat,
			     sizeof(key4_dnat));
		assert_false(nftnl_set_elem_is_set(el, NFTNL_SET_ELEM_DATA));
		assert_false(nftnl_set_elem_is_set(el,
						   NFTNL_SET_ELEM_TIMEOUT));
		nftnl_set_free(s);

		s = build_elem(types[i], NLM_F_ACK, PIN_SET4, &e, &el);
		expect_bytes(el, NFTNL_SET_ELEM_KEY, key4_pin,
			     sizeof(key4_pin));
		assert_false(nftnl_set_elem_is_set(el,
						   NFTNL_SET_ELEM_TIMEOUT));
		nftnl_set_free(s);
	}
}

/* The timeout travels in milliseconds; 0 means no timeout attribute. */
static void test_timeout_in_ms_and_zero_means_none(void **state)
{
	static const uint32_t ms[] = { 1, 1000, 600000, UINT32_MAX };
	struct nftnl_set_elem *el;
	struct pin_entry e;
	struct nftnl_set *s;
	size_t i;

	for (i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
		e = entry6(ms[i]);
		s = build_elem(NFT_MSG_NEWSETELEM, NLM_F_CREATE | NLM_F_ACK,
			       PIN_SET6, &e, &el);
		assert_true(nftnl_set_elem_is_set(el,
						  NFTNL_SET_ELEM_TIMEOUT));
		assert_int_equal(nftnl_set_elem_get_u64(el,
						NFTNL_SET_ELEM_TIMEOUT),
				 ms[i]);
		nftnl_set_free(s);
	}
	e = entry4(0);
	s = build_elem(NFT_MSG_NEWSETELEM, NLM_F_CREATE | NLM_F_ACK,
		       PIN_SET4, &e, &el);
	assert_false(nftnl_set_elem_is_set(el, NFTNL_SET_ELEM_TIMEOUT));
	nftnl_set_free(s);
}

/*
 * pin_build_peer(type) for p, parsed back: its one element, of set
 * $set (free *s after).
 */
static struct nftnl_set_elem *peer_msg(const struct pin_peer *p,
				       uint16_t type, const char *set,
				       struct nftnl_set **s)
{
	struct nftnl_set_elems_iter *it;
	struct nftnl_set_elem *el;
	union msgbuf m;
	int len;

	len = pin_build_peer(m.b, sizeof(m), type, SEQ, p);
	assert_true(len > 0);
	expect_header(&m.h, len, type, type == NFT_MSG_NEWSETELEM ?
		      NLM_F_CREATE | NLM_F_ACK : NLM_F_ACK);
	*s = nftnl_set_alloc();
	assert_non_null(*s);
	assert_int_equal(nftnl_set_elems_nlmsg_parse(&m.h, *s), 0);
	assert_string_equal(nftnl_set_get_str(*s, NFTNL_SET_NAME), set);
	it = nftnl_set_elems_iter_create(*s);
	el = nftnl_set_elems_iter_next(it);
	assert_non_null(el);
	nftnl_set_elems_iter_destroy(it);
	return el;
}

/* peer4/peer6: the pair (peer . wire address, before DNAT), no port. */
static void test_peer_elem_is_peer_and_wire_addr(void **state)
{
	static const uint8_t key4[8] = { 192, 0, 2, 10, 198, 51, 100, 1 };
	struct pin_entry e4 = entry4(30000), e6 = entry6(0);
	struct pin_peer p4 = pin_peer_of(&e4, 3600000), p6 = pin_peer_of(&e6, 0);
	struct nftnl_set_elem *el;
	uint8_t key6[32];
	union msgbuf m;
	struct nftnl_set *s;

	el = peer_msg(&p4, NFT_MSG_NEWSETELEM, PIN_PEER4, &s);
	expect_bytes(el, NFTNL_SET_ELEM_KEY, key4, sizeof(key4));
	assert_int_equal(nftnl_set_elem_get_u64(el, NFTNL_SET_ELEM_TIMEOUT),
			 3600000);
	assert_false(nftnl_set_elem_is_set(el, NFTNL_SET_ELEM_CHAIN));
	nftnl_set_free(s);

	/* destroy: the key alone, into peer6 */
	el = peer_msg(&p6, PIN_MSG_DESTROYSETELEM, PIN_PEER6, &s);
	memcpy(key6, e6.peer.b, 16);
	memcpy(key6 + 16, e6.wire.addr.b, 16);
	expect_bytes(el, NFTNL_SET_ELEM_KEY, key6, sizeof(key6));
	assert_false(nftnl_set_elem_is_set(el, NFTNL_SET_ELEM_TIMEOUT));
	nftnl_set_free(s);

	/* only add and destroy; only IPv4 and IPv6 */
	assert_int_equal(pin_build_peer(m.b, sizeof(m), NFT_MSG_GETSETELEM,
					SEQ, &p4), -EINVAL);
	p4.family = AF_UNIX;
	assert_int_equal(pin_build_peer(m.b, sizeof(m), NFT_MSG_NEWSETELEM,
					SEQ, &p4), -EAFNOSUPPORT);
}

/* peerq4/peerq6 (several queues): the pair, "jump catch_q<worker>". */
static void test_peerq_elem_jumps_to_worker_chain(void **state)
{
	static const uint8_t key4[8] = { 192, 0, 2, 10, 198, 51, 100, 1 };
	struct pin_entry e4 = entry4(30000), e6 = entry6(0);
	struct pin_peer p4 = pin_peer_of(&e4, 3600000), p6 = pin_peer_of(&e6, 0);
	struct nftnl_set_elem *el;
	union msgbuf m;
	struct nftnl_set *s;

	p4.chain = 4;		/* worker 3 */
	el = peer_msg(&p4, NFT_MSG_NEWSETELEM, PIN_PEERQ4, &s);
	expect_bytes(el, NFTNL_SET_ELEM_KEY, key4, sizeof(key4));
	assert_int_equal(nftnl_set_elem_get_u32(el, NFTNL_SET_ELEM_VERDICT),
			 (uint32_t)NFT_JUMP);
	assert_string_equal(nftnl_set_elem_get_str(el, NFTNL_SET_ELEM_CHAIN),
			    "catch_q3");
	assert_int_equal(nftnl_set_elem_get_u64(el, NFTNL_SET_ELEM_TIMEOUT),
			 3600000);
	nftnl_set_free(s);

	/* destroy: the key alone, from peerq6 */
	p6.chain = 1;
	el = peer_msg(&p6, PIN_MSG_DESTROYSETELEM, PIN_PEERQ6, &s);
	assert_false(nftnl_set_elem_is_set(el, NFTNL_SET_ELEM_CHAIN));
	nftnl_set_free(s);

	/* no chain past the last worker's */
	p4.chain = RULESET_CATCH_CHAINS + 1;
	assert_int_equal(pin_build_peer(m.b, sizeof(m), NFT_MSG_NEWSETELEM,
					SEQ, &p4), -EINVAL);
}

/* A set that cannot hold the entry, or a message type we do not build. */
static void test_elem_rejects_wrong_set_or_type(void **state)
{
	struct pin_entry e4 = entry4(1000), e6 = entry6(1000);
	union msgbuf m;

	assert_int_equal(pin_build_elem(m.b, sizeof(m), NFT_MSG_NEWSETELEM,
					SEQ, PIN_SET6, &e4), -EINVAL);
	assert_int_equal(pin_build_elem(m.b, sizeof(m), NFT_MSG_NEWSETELEM,
					SEQ, PIN_SET4, &e6), -EINVAL);
	assert_int_equal(pin_build_elem(m.b, sizeof(m), NFT_MSG_NEWSETELEM,
					SEQ, PIN_MAP4, &e6), -EINVAL);
	assert_int_equal(pin_build_elem(m.b, sizeof(m), NFT_MSG_NEWSETELEM,
					SEQ, PIN_SNAT4, &e6), -EINVAL);
	assert_int_equal(pin_build_elem(m.b, sizeof(m), NFT_MSG_NEWSETELEM,
					SEQ, RULESET_CTL_PORTS, &e4), -EINVAL);
	assert_int_equal(pin_build_elem(m.b, sizeof(m), NFT_MSG_NEWSET,
					SEQ, PIN_SET4, &e4), -EINVAL);
}

/* ---- queue rules ----------------------------------------------------- */

/* A NEWRULE of chain ctl_queue parsed back, its expressions in order. */
static struct nftnl_rule *parse_rule(union msgbuf *mb, int len,
				     struct nftnl_expr *ex[], size_t max,
				     size_t *n)
{
	struct nftnl_expr_iter *it;
	struct nftnl_rule *r;
	struct nftnl_expr *e;

	assert_true(len > 0);
	expect_header(&mb->h, len, NFT_MSG_NEWRULE,
		      NLM_F_CREATE | NLM_F_APPEND | NLM_F_ACK);

	r = nftnl_rule_alloc();
	assert_non_null(r);
	assert_int_equal(nftnl_rule_nlmsg_parse(&mb->h, r), 0);
	assert_int_equal(nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY),
			 NFPROTO_INET);
	assert_string_equal(nftnl_rule_get_str(r, NFTNL_RULE_TABLE),
			    PIN_TABLE);
	assert_string_equal(nftnl_rule_get_str(r, NFTNL_RULE_CHAIN),
			    RULESET_QUEUE_CHAIN);

	it = nftnl_expr_iter_create(r);
	assert_non_null(it);
	*n = 0;
	while ((e = nftnl_expr_iter_next(it))) {
		assert_true(*n < max);
		ex[(*n)++] = e;
	}
	nftnl_expr_iter_destroy(it);
	return r;
}

/* Build a queue rule, parse it back, return its expressions in order. */
static struct nftnl_rule *build_spec(const struct ruleset_queue_spec *q,
				     struct nftnl_expr *ex[], size_t max,
				     size_t *n)
{
	union msgbuf m;

	return parse_rule(&m, ruleset_build_queue_spec(m.b, sizeof(m), SEQ, q),
			  ex, max, n);
}

static struct nftnl_rule *build_rule(bool reply, uint16_t num, bool native,
				     struct nftnl_expr *ex[], size_t max,
				     size_t *n)
{
	struct ruleset_queue_spec q = {
		.reply = reply, .bypass = true, .num = num, .native = native,
	};

	return build_spec(&q, ex, max, n);
}

static void expect_expr(struct nftnl_expr *e, const char *name)
{
	assert_string_equal(nftnl_expr_get_str(e, NFTNL_EXPR_NAME), name);
}

static void expect_not_invalid(struct nftnl_expr *ex[])
{
	const uint32_t *v;
	uint32_t len = 0;

	expect_expr(ex[0], "ct");
	assert_int_equal(nftnl_expr_get_u32(ex[0], NFTNL_EXPR_CT_KEY),
			 NFT_CT_STATE);
	expect_expr(ex[1], "bitwise");
	v = nftnl_expr_get(ex[1], NFTNL_EXPR_BITWISE_MASK, &len);
	assert_int_equal(len, 4);
	assert_int_equal(*v, NF_CT_STATE_INVALID_BIT);
	expect_expr(ex[2], "cmp");
	assert_int_equal(nftnl_expr_get_u32(ex[2], NFTNL_EXPR_CMP_OP),
			 NFT_CMP_EQ);
	v = nftnl_expr_get(ex[2], NFTNL_EXPR_CMP_DATA, &len);
	assert_int_equal(len, 4);
	assert_int_equal(*v, 0);
}

/* meta l4proto tcp  tcp dport|sport @ctl_ports  ct state != invalid */
static void expect_match(struct nftnl_expr *ex[], uint32_t port_off)
{
	const uint8_t *proto;
	uint32_t len = 0;

	expect_expr(ex[0], "meta");
	assert_int_equal(nftnl_expr_get_u32(ex[0], NFTNL_EXPR_META_KEY),
			 NFT_META_L4PROTO);
	assert_int_equal(nftnl_expr_get_u32(ex[0], NFTNL_EXPR_META_DREG),
			 NFT_REG_1);

	expect_expr(ex[1], "cmp");
	assert_int_equal(nftnl_expr_get_u32(ex[1], NFTNL_EXPR_CMP_SREG),
			 NFT_REG_1);
	assert_int_equal(nftnl_expr_get_u32(ex[1], NFTNL_EXPR_CMP_OP),
			 NFT_CMP_EQ);
	proto = nftnl_expr_get(ex[1], NFTNL_EXPR_CMP_DATA, &len);
	assert_int_equal(len, 1);
	assert_int_equal(proto[0], IPPROTO_TCP);

	expect_expr(ex[2], "payload");
	assert_int_equal(nftnl_expr_get_u32(ex[2], NFTNL_EXPR_PAYLOAD_BASE),
			 NFT_PAYLOAD_TRANSPORT_HEADER);
	assert_int_equal(nftnl_expr_get_u32(ex[2], NFTNL_EXPR_PAYLOAD_OFFSET),
			 port_off);
	assert_int_equal(nftnl_expr_get_u32(ex[2], NFTNL_EXPR_PAYLOAD_LEN), 2);
	assert_int_equal(nftnl_expr_get_u32(ex[2], NFTNL_EXPR_PAYLOAD_DREG),
			 NFT_REG_1);

	/* a lookup of a named set: by name, from the register just loaded */
	expect_expr(ex[3], "lookup");
	assert_string_equal(nftnl_expr_get_str(ex[3], NFTNL_EXPR_LOOKUP_SET),
			    RULESET_CTL_PORTS);
	assert_int_equal(nftnl_expr_get_u32(ex[3], NFTNL_EXPR_LOOKUP_SREG),
			 NFT_REG_1);
	assert_false(nftnl_expr_is_set(ex[3], NFTNL_EXPR_LOOKUP_DREG));

	/* ct state != invalid: conntrack's invalid segments are not ours */
	expect_not_invalid(ex + 4);
}

static void test_queue_rule_native_expression(void **state)
{
	struct nftnl_expr *ex[12];
	struct nftnl_rule *r;
	size_t n;

	r = build_rule(false, 7, true, ex, 12, &n);
	assert_int_equal(n, 8);
	expect_match(ex, 2);		/* tcp dport */
	expect_expr(ex[7], "queue");
	assert_int_equal(nftnl_expr_get_u16(ex[7], NFTNL_EXPR_QUEUE_NUM), 7);
	assert_int_equal(nftnl_expr_get_u16(ex[7], NFTNL_EXPR_QUEUE_TOTAL), 1);
	assert_int_equal(nftnl_expr_get_u16(ex[7], NFTNL_EXPR_QUEUE_FLAGS),
			 NFT_QUEUE_FLAG_BYPASS);
	nftnl_rule_free(r);
}

static void test_queue_rule_xt_target_fallback(void **state)
{
	struct xt_NFQ_info_v3 want_info = {
		.queuenum = 513,
		.queues_total = 1,
		.flags = NFQ_FLAG_BYPASS,
	};
	uint8_t want[XT_ALIGN(sizeof(struct xt_NFQ_info_v3))] = { 0 };
	struct nftnl_expr *ex[12];
	struct nftnl_rule *r;
	const void *info;
	uint32_t len = 0;
	size_t n;

	/* the kernel checks that the info is exactly XT_ALIGN()ed */
	assert_int_equal(sizeof(want), 8);
	memcpy(want, &want_info, sizeof(want_info));

	r = build_rule(false, 513, false, ex, 12, &n);
	assert_int_equal(n, 8);
	expect_match(ex, 2);
	expect_expr(ex[7], "target");
	assert_string_equal(nftnl_expr_get_str(ex[7], NFTNL_EXPR_TG_NAME),
			    "NFQUEUE");
	assert_int_equal(nftnl_expr_get_u32(ex[7], NFTNL_EXPR_TG_REV), 3);
	info = nftnl_expr_get(ex[7], NFTNL_EXPR_TG_INFO, &len);
	assert_non_null(info);
	assert_int_equal(len, sizeof(want));
	/* host byte order, as in iptables: the kernel reads it as is */
	assert_memory_equal(info, want, sizeof(want));
	nftnl_rule_free(r);
}

/*
 * Sessions marked adjusted are queued first and never bypass:
 *   ct mark & 0x00080000 == 0x00080000 meta l4proto tcp
 *	tcp sport @ctl_ports queue num 3
 */
static void test_queue_rule_adjusted_sessions_never_bypass(void **state)
{
	struct ruleset_queue_spec q = {
		.reply = true, .adjusted = true, .bypass = true, .num = 3,
		.native = true,
	};
	struct nftnl_expr *ex[16];
	struct nftnl_rule *r;
	const uint32_t *v;
	uint32_t len = 0;
	size_t n;

	r = build_spec(&q, ex, 16, &n);
	assert_int_equal(n, 11);
	expect_expr(ex[0], "ct");
	assert_int_equal(nftnl_expr_get_u32(ex[0], NFTNL_EXPR_CT_KEY),
			 NFT_CT_MARK);
	expect_expr(ex[1], "bitwise");
	v = nftnl_expr_get(ex[1], NFTNL_EXPR_BITWISE_MASK, &len);
	assert_int_equal(len, 4);
	assert_int_equal(*v, PIN_CT_MARK_ADJUSTED);
	v = nftnl_expr_get(ex[1], NFTNL_EXPR_BITWISE_XOR, &len);
	assert_int_equal(*v, 0);
	expect_expr(ex[2], "cmp");
	v = nftnl_expr_get(ex[2], NFTNL_EXPR_CMP_DATA, &len);
	assert_int_equal(len, 4);
	assert_int_equal(*v, PIN_CT_MARK_ADJUSTED);
	expect_match(ex + 3, 0);	/* tcp sport */
	expect_expr(ex[10], "queue");
	assert_int_equal(nftnl_expr_get_u16(ex[10], NFTNL_EXPR_QUEUE_NUM), 3);
	assert_int_equal(nftnl_expr_get_u16(ex[10], NFTNL_EXPR_QUEUE_FLAGS), 0);
	nftnl_rule_free(r);

	/* the xt fallback: NFQUEUE without --queue-bypass */
	q.native = false;
	r = build_spec(&q, ex, 16, &n);
	assert_int_equal(n, 11);
	expect_expr(ex[10], "target");
	assert_int_equal(((const struct xt_NFQ_info_v3 *)nftnl_expr_get(
				  ex[10], NFTNL_EXPR_TG_INFO, &len))->flags, 0);
	nftnl_rule_free(r);
}

/* fail_open off: the rest of the sessions do not bypass either. */
static void test_queue_rule_fail_closed_has_no_bypass(void **state)
{
	struct ruleset_queue_spec q = { .num = 1, .native = true };
	struct nftnl_expr *ex[12];
	struct nftnl_rule *r;
	size_t n;

	r = build_spec(&q, ex, 12, &n);
	assert_int_equal(n, 8);
	expect_match(ex, 2);
	assert_int_equal(nftnl_expr_get_u16(ex[7], NFTNL_EXPR_QUEUE_FLAGS), 0);
	nftnl_rule_free(r);
}

/* The reply direction matches the server's port as source. */
static void test_queue_rule_reply_matches_sport(void **state)
{
	struct nftnl_expr *ex[12];
	struct nftnl_rule *r;
	size_t n;

	r = build_rule(true, 0, false, ex, 12, &n);
	assert_int_equal(n, 8);
	expect_match(ex, 0);		/* tcp sport */
	expect_expr(ex[7], "target");
	nftnl_rule_free(r);

	r = build_rule(true, 0, true, ex, 12, &n);
	assert_int_equal(n, 8);
	expect_match(ex, 0);
	expect_expr(ex[7], "queue");
	nftnl_rule_free(r);
}

/* ---- buffer limits --------------------------------------------------- */

/*
 * Every length below the message's own gets -ENOSPC and leaves buf as it
 * was; the exact length is enough.
 */
/* payload load LEN b @ BASE + OFF => DREG */
static void expect_load(struct nftnl_expr *e, uint32_t base, uint32_t off,
			uint32_t len, uint32_t dreg)
{
	expect_expr(e, "payload");
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_BASE), base);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET), off);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_LEN), len);
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_DREG), dreg);
}

/* cmp eq reg 1 with one byte v */
static void expect_cmp_u8(struct nftnl_expr *e, uint8_t v)
{
	const uint8_t *d;
	uint32_t len = 0;

	expect_expr(e, "cmp");
	assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_OP), NFT_CMP_EQ);
	d = nftnl_expr_get(e, NFTNL_EXPR_CMP_DATA, &len);
	assert_int_equal(len, 1);
	assert_int_equal(d[0], v);
}

/*
 * meta l4proto tcp tcp flags & (fin|syn|rst|ack) == ack meta nfproto X
 *	[ip6 nexthdr tcp] LENGTH . @th,96,8 @pure_ackN return
 * The key's two fields in registers 1 and 9 (NFT_REG32_01), as nft lays
 * out a concatenation: IP length (IPv6: payload length) and TCP byte 12.
 */
static void test_pure_ack_rule_matches_segments_without_payload(void **s)
{
	struct nftnl_expr *ex[16];
	struct nftnl_rule *r;
	const uint8_t *mask;
	union msgbuf m;
	uint32_t len;
	size_t n, k;
	int v6;

	for (v6 = 0; v6 < 2; v6++) {
		r = parse_rule(&m, ruleset_build_pure_ack(m.b, sizeof(m), SEQ,
							  v6), ex, 16, &n);
		assert_int_equal(n, v6 ? 13 : 11);
		expect_expr(ex[0], "meta");
		assert_int_equal(nftnl_expr_get_u32(ex[0], NFTNL_EXPR_META_KEY),
				 NFT_META_L4PROTO);
		expect_cmp_u8(ex[1], IPPROTO_TCP);
		expect_load(ex[2], NFT_PAYLOAD_TRANSPORT_HEADER, 13, 1,
			    NFT_REG_1);
		expect_expr(ex[3], "bitwise");
		len = 0;
		mask = nftnl_expr_get(ex[3], NFTNL_EXPR_BITWISE_MASK, &len);
		assert_int_equal(len, 1);
		assert_int_equal(mask[0], 0x17);	/* FIN SYN RST ACK */
		expect_cmp_u8(ex[4], 0x10);		/* ACK alone */
		expect_expr(ex[5], "meta");
		assert_int_equal(nftnl_expr_get_u32(ex[5], NFTNL_EXPR_META_KEY),
				 NFT_META_NFPROTO);
		expect_cmp_u8(ex[6], v6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
		k = 7;
		if (v6) {
			expect_load(ex[k++], NFT_PAYLOAD_NETWORK_HEADER, 6, 1,
				    NFT_REG_1);
			expect_cmp_u8(ex[k++], IPPROTO_TCP);
		}
		expect_load(ex[k++], NFT_PAYLOAD_NETWORK_HEADER, v6 ? 4 : 2,
			    2, NFT_REG_1);
		expect_load(ex[k++], NFT_PAYLOAD_TRANSPORT_HEADER, 12, 1,
			    NFT_REG32_01);
		expect_expr(ex[k], "lookup");
		assert_int_equal(nftnl_expr_get_u32(ex[k], NFTNL_EXPR_LOOKUP_SREG),
				 NFT_REG_1);
		assert_string_equal(nftnl_expr_get_str(ex[k],
						       NFTNL_EXPR_LOOKUP_SET),
				    v6 ? RULESET_PURE_ACK6 : RULESET_PURE_ACK4);
		k++;
		expect_expr(ex[k], "immediate");
		assert_int_equal((int32_t)nftnl_expr_get_u32(ex[k],
						NFTNL_EXPR_IMM_VERDICT), NFT_RETURN);
		nftnl_rule_free(r);
	}
	(void)s;
}

static void expect_enospc_below(int (*build)(char *, size_t, int),
				int which)
{
	union msgbuf m, ref;
	int full, len;
	size_t i;

	full = build(ref.b, sizeof(ref), which);
	assert_true(full > 0);
	for (len = 0; len < full; len++) {
		memset(m.b, 0x5a, sizeof(m));
		assert_int_equal(build(m.b, (size_t)len, which), -ENOSPC);
		for (i = 0; i < sizeof(m); i++)
			if ((uint8_t)m.b[i] != 0x5a)
				fail_msg("len %d: byte %zu written", len, i);
	}
	assert_int_equal(build(m.b, (size_t)full, which), full);
	assert_memory_equal(m.b, ref.b, (size_t)full);
}

static int build_some(char *buf, size_t len, int which)
{
	struct pin_entry e4 = entry4(1000), e6 = entry6(1000);

	switch (which) {
	case 0:
		return pin_build_elem(buf, len, NFT_MSG_NEWSETELEM, SEQ,
				      PIN_SET4, &e4);
	case 1:
		return pin_build_elem(buf, len, NFT_MSG_NEWSETELEM, SEQ,
				      PIN_SET6, &e6);
	case 2:
		return pin_build_elem(buf, len, NFT_MSG_NEWSETELEM, SEQ,
				      PIN_MAP4, &e4);
	case 3:
		return pin_build_elem(buf, len, NFT_MSG_DELSETELEM, SEQ,
				      PIN_MAP4, &e4);
	case 4:
		return ruleset_build_queue_rule(buf, len, SEQ, false, 0, true);
	case 6:
		e4 = entry4_snat(1000);
		return pin_build_elem(buf, len, NFT_MSG_NEWSETELEM, SEQ,
				      PIN_SNAT4, &e4);
	default:
		return ruleset_build_queue_rule(buf, len, SEQ, true, 0, false);
	}
}

static void test_small_buffer_gets_enospc(void **state)
{
	int which;

	for (which = 0; which < 7; which++)
		expect_enospc_below(build_some, which);
}

/* Messages appended one after another read back as a netlink stream. */
static void test_messages_append_into_one_stream(void **state)
{
	struct pin_entry e = entry4(1000);
	const struct nlmsghdr *nlh;
	union msgbuf m;
	int len = 0, ret, n = 0;

	ret = pin_build_elem(m.b, sizeof(m), NFT_MSG_NEWSETELEM, SEQ,
			     PIN_SET4, &e);
	assert_true(ret > 0 && ret % 4 == 0);
	len += ret;
	ret = pin_build_elem(m.b + len, sizeof(m) - len, NFT_MSG_NEWSETELEM,
			     SEQ, PIN_MAP4, &e);
	assert_true(ret > 0 && ret % 4 == 0);
	len += ret;
	ret = ruleset_build_queue_rule(m.b + len, sizeof(m) - len, SEQ,
				       false, 0, false);
	assert_true(ret > 0 && ret % 4 == 0);
	len += ret;

	for (nlh = &m.h; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh,
								     &len))
		n++;
	assert_int_equal(n, 3);
	assert_int_equal(len, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_pin_key_is_peer_addr_port),
		cmocka_unit_test(test_peer_elem_is_peer_and_wire_addr),
		cmocka_unit_test(test_peerq_elem_jumps_to_worker_chain),
		cmocka_unit_test(test_ipv6_pin_key_is_peer_addr_port),
		cmocka_unit_test(test_dnat4_maps_wire_to_target),
		cmocka_unit_test(test_snat4_maps_pinhole_key_to_peer_pub),
		cmocka_unit_test(test_batch_carries_pinhole_and_its_mappings),
		cmocka_unit_test(test_delete_and_get_carry_key_only),
		cmocka_unit_test(test_timeout_in_ms_and_zero_means_none),
		cmocka_unit_test(test_elem_rejects_wrong_set_or_type),
		cmocka_unit_test(test_queue_rule_native_expression),
		cmocka_unit_test(test_queue_rule_xt_target_fallback),
		cmocka_unit_test(test_queue_rule_reply_matches_sport),
		cmocka_unit_test(test_pure_ack_rule_matches_segments_without_payload),
		cmocka_unit_test(test_queue_rule_adjusted_sessions_never_bypass),
		cmocka_unit_test(test_queue_rule_fail_closed_has_no_bypass),
		cmocka_unit_test(test_small_buffer_gets_enospc),
		cmocka_unit_test(test_messages_append_into_one_stream),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
