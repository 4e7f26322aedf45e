/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctnetlink messages without a kernel: build CT_GET / CT_NEW(be-liberal)
 * and parse them back with libmnl; parse destroy events captured from a
 * real kernel. Links alg_daemon (conntrack.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

/* cmocka's test signature: most tests do not use their state */
#pragma GCC diagnostic ignored "-Wunused-parameter"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <netinet/in.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nf_conntrack_tcp.h>

#include "conntrack.h"
#include "testutil.h"
#include "ftp-alg/pin.h"

#define SEQ	0x12345678u
#define BUF_LEN	1024
#define GUARD	0xa5

/*
 * Destroy events as the kernel sent them (Linux 6.18), captured in a
 * network namespace from NFNLGRP_CONNTRACK_DESTROY after
 *   conntrack -I -s 10.0.1.2 -d 203.0.113.10 -p tcp --sport 40112
 *     --dport 21 -r 203.0.113.10 -q 203.0.113.1 --reply-port-src 21
 *     --reply-port-dst 40112 --state ESTABLISHED -t 100 -u SEEN_REPLY
 *   conntrack -D -p tcp
 * (a masqueraded control connection), and the same for IPv6 without NAT
 * (2001:db8:1::2:40113 -> 2001:db8:2::10:21). Besides both tuples they
 * carry CTA_ID, CTA_STATUS, CTA_TIMEOUT and CTA_PROTOINFO.
 */
static const uint8_t destroy4[] = {
	0xa4, 0x00, 0x00, 0x00, 0x02, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0xcc, 0x90, 0xf3, 0xc1, 0x02, 0x00, 0x00, 0x00, 0x34, 0x00, 0x01, 0x80,
	0x14, 0x00, 0x01, 0x80, 0x08, 0x00, 0x01, 0x00, 0x0a, 0x00, 0x01, 0x02,
	0x08, 0x00, 0x02, 0x00, 0xcb, 0x00, 0x71, 0x0a, 0x1c, 0x00, 0x02, 0x80,
	0x05, 0x00, 0x01, 0x00, 0x06, 0x00, 0x00, 0x00, 0x06, 0x00, 0x02, 0x00,
	0x9c, 0xb0, 0x00, 0x00, 0x06, 0x00, 0x03, 0x00, 0x00, 0x15, 0x00, 0x00,
	0x34, 0x00, 0x02, 0x80, 0x14, 0x00, 0x01, 0x80, 0x08, 0x00, 0x01, 0x00,
	0xcb, 0x00, 0x71, 0x0a, 0x08, 0x00, 0x02, 0x00, 0xcb, 0x00, 0x71, 0x01,
	0x1c, 0x00, 0x02, 0x80, 0x05, 0x00, 0x01, 0x00, 0x06, 0x00, 0x00, 0x00,
	0x06, 0x00, 0x02, 0x00, 0x00, 0x15, 0x00, 0x00, 0x06, 0x00, 0x03, 0x00,
	0x9c, 0xb0, 0x00, 0x00, 0x08, 0x00, 0x0c, 0x00, 0x27, 0x6f, 0x26, 0x3a,
	0x08, 0x00, 0x03, 0x00, 0x00, 0x00, 0x02, 0x0a, 0x08, 0x00, 0x07, 0x00,
	0x00, 0x00, 0x00, 0x63, 0x10, 0x00, 0x04, 0x80, 0x0c, 0x00, 0x01, 0x80,
	0x05, 0x00, 0x01, 0x00, 0x03, 0x00, 0x00, 0x00,
};

static const uint8_t destroy6[] = {
	0xd4, 0x00, 0x00, 0x00, 0x02, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0xd9, 0xa8, 0xf3, 0xdc, 0x0a, 0x00, 0x00, 0x00, 0x4c, 0x00, 0x01, 0x80,
	0x2c, 0x00, 0x01, 0x80, 0x14, 0x00, 0x03, 0x00, 0x20, 0x01, 0x0d, 0xb8,
	0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
	0x14, 0x00, 0x04, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x02, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x1c, 0x00, 0x02, 0x80,
	0x05, 0x00, 0x01, 0x00, 0x06, 0x00, 0x00, 0x00, 0x06, 0x00, 0x02, 0x00,
	0x9c, 0xb1, 0x00, 0x00, 0x06, 0x00, 0x03, 0x00, 0x00, 0x15, 0x00, 0x00,
	0x4c, 0x00, 0x02, 0x80, 0x2c, 0x00, 0x01, 0x80, 0x14, 0x00, 0x03, 0x00,
	0x20, 0x01, 0x0d, 0xb8, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x10, 0x14, 0x00, 0x04, 0x00, 0x20, 0x01, 0x0d, 0xb8,
	0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
	0x1c, 0x00, 0x02, 0x80, 0x05, 0x00, 0x01, 0x00, 0x06, 0x00, 0x00, 0x00,
	0x06, 0x00, 0x02, 0x00, 0x00, 0x15, 0x00, 0x00, 0x06, 0x00, 0x03, 0x00,
	0x9c, 0xb1, 0x00, 0x00, 0x08, 0x00, 0x0c, 0x00, 0x83, 0xe1, 0xa6, 0xda,
	0x08, 0x00, 0x03, 0x00, 0x00, 0x00, 0x02, 0x0a, 0x08, 0x00, 0x07, 0x00,
	0x00, 0x00, 0x00, 0x63, 0x10, 0x00, 0x04, 0x80, 0x0c, 0x00, 0x01, 0x80,
	0x05, 0x00, 0x01, 0x00, 0x03, 0x00, 0x00, 0x00,
};

/* netlink messages are read through struct pointers: keep them aligned */
union msgbuf {
	struct nlmsghdr nlh;
	char b[BUF_LEN + 64];
};

/*
 * The header of a ctnetlink message of our own making, for parser input
 * the builders never produce: nlmsghdr + nfgenmsg, no attributes yet.
 */
static struct nlmsghdr *msg_start(char *buf, uint16_t type, int family)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = SEQ;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = (uint8_t)family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	return nlh;
}

static void tuple(struct ct_tuple *t, int family, const char *src,
		  uint16_t sport, const char *dst, uint16_t dport)
{
	memset(t, 0, sizeof(*t));
	t->family = family;
	t->proto = IPPROTO_TCP;
	tu_addr(family, src, &t->src);
	tu_addr(family, dst, &t->dst);
	t->sport = sport;
	t->dport = dport;
}

static void expect_tuple(const struct ct_tuple *got,
			 const struct ct_tuple *want, const char *what)
{
	char g[INET6_ADDRSTRLEN], w[INET6_ADDRSTRLEN];
	size_t alen = want->family == AF_INET ? 4 : 16;

	if (got->family != want->family)
		fail_msg("%s: family %d, expected %d", what, got->family,
			 want->family);
	if (got->proto != want->proto)
		fail_msg("%s: protocol %u, expected %u", what, got->proto,
			 want->proto);
	if (memcmp(&got->src, &want->src, alen))
		fail_msg("%s: source %s, expected %s", what,
			 alg_addr_str(got->family, &got->src, g, sizeof(g)),
			 alg_addr_str(want->family, &want->src, w, sizeof(w)));
	if (memcmp(&got->dst, &want->dst, alen))
		fail_msg("%s: destination %s, expected %s", what,
			 alg_addr_str(got->family, &got->dst, g, sizeof(g)),
			 alg_addr_str(want->family, &want->dst, w, sizeof(w)));
	if (got->sport != want->sport || got->dport != want->dport)
		fail_msg("%s: ports %u -> %u, expected %u -> %u", what,
			 got->sport, got->dport, want->sport, want->dport);
}

static void expect_header(const struct nlmsghdr *nlh, int len, uint16_t msg,
			  int family)
{
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);

	assert_int_equal(nlh->nlmsg_len, len);
	assert_int_equal(NFNL_SUBSYS_ID(nlh->nlmsg_type),
			 NFNL_SUBSYS_CTNETLINK);
	assert_int_equal(NFNL_MSG_TYPE(nlh->nlmsg_type), msg);
	assert_int_equal(nlh->nlmsg_seq, SEQ);
	assert_int_equal(nfg->nfgen_family, family);
	assert_int_equal(nfg->version, NFNETLINK_V0);
	assert_int_equal(nfg->res_id, 0);
}

static void test_get_ipv4_by_original_tuple_parses_back(void **state)
{
	union msgbuf m;
	struct ct_tuple t;
	struct ct_entry e;
	int len;

	tuple(&t, AF_INET, "10.0.1.2", 40112, "203.0.113.10", 21);
	len = ct_build_get(m.b, BUF_LEN, SEQ, CTA_TUPLE_ORIG, &t);
	assert_true(len > 0);
	expect_header(&m.nlh, len, IPCTNL_MSG_CT_GET, AF_INET);
	/* a lookup wants an answer and an ACK, never a dump */
	assert_int_equal(m.nlh.nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);

	assert_int_equal(ct_parse(&m.nlh, &e), 0);
	assert_int_equal(e.msg, IPCTNL_MSG_CT_GET);
	assert_true(e.has_orig);
	assert_false(e.has_reply);
	expect_tuple(&e.orig, &t, "original tuple");
}

static void test_get_ipv6_by_reply_tuple_parses_back(void **state)
{
	union msgbuf m;
	struct ct_tuple t;
	struct ct_entry e;
	int len;

	tuple(&t, AF_INET6, "2001:db8:2::10", 21, "2001:db8:1::2", 40113);
	len = ct_build_get(m.b, BUF_LEN, SEQ, CTA_TUPLE_REPLY, &t);
	assert_true(len > 0);
	expect_header(&m.nlh, len, IPCTNL_MSG_CT_GET, AF_INET6);
	assert_int_equal(ct_parse(&m.nlh, &e), 0);
	assert_false(e.has_orig);
	assert_true(e.has_reply);
	expect_tuple(&e.reply, &t, "reply tuple");
}

struct nest {
	const struct nlattr *tb[CTA_MAX + 1];
	unsigned count;
};

static int nest_cb(const struct nlattr *a, void *data)
{
	struct nest *n = data;
	uint16_t type = mnl_attr_get_type(a);

	if (type <= CTA_MAX)
		n->tb[type] = a;
	n->count++;
	return MNL_CB_OK;
}

static void expect_flags(const struct nlattr *a, const char *what)
{
	const struct nf_ct_tcp_flags *f;

	if (!a)
		fail_msg("%s missing", what);
	assert_int_equal(mnl_attr_get_payload_len(a), sizeof(*f));
	f = mnl_attr_get_payload(a);
	if (f->flags != IP_CT_TCP_FLAG_BE_LIBERAL ||
	    f->mask != IP_CT_TCP_FLAG_BE_LIBERAL)
		fail_msg("%s: flags %#x mask %#x, expected %#x both", what,
			 f->flags, f->mask, IP_CT_TCP_FLAG_BE_LIBERAL);
}

static void test_liberal_updates_both_directions_never_creates(void **state)
{
	struct nest top, pi, tcp;
	union msgbuf m;
	struct ct_tuple t;
	struct ct_entry e;
	int len;

	tuple(&t, AF_INET, "10.0.1.2", 40112, "203.0.113.10", 21);
	len = ct_build_liberal(m.b, BUF_LEN, SEQ, CTA_TUPLE_ORIG, &t);
	assert_true(len > 0);
	expect_header(&m.nlh, len, IPCTNL_MSG_CT_NEW, AF_INET);
	/* no NLM_F_CREATE: update an existing entry or fail with ENOENT */
	assert_int_equal(m.nlh.nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);

	assert_int_equal(ct_parse(&m.nlh, &e), 0);
	assert_true(e.has_orig);
	expect_tuple(&e.orig, &t, "original tuple");

	memset(&top, 0, sizeof(top));
	memset(&pi, 0, sizeof(pi));
	memset(&tcp, 0, sizeof(tcp));
	/*
	 * The tuple, CTA_PROTOINFO and the adjusted-session mark bit (with
	 * its mask: no other bit of the mark changes), nothing else
	 */
	assert_true(mnl_attr_parse(&m.nlh, sizeof(struct nfgenmsg), nest_cb,
				   &top) >= 0);
	assert_int_equal(top.count, 4);
	assert_non_null(top.tb[CTA_MARK]);
	assert_non_null(top.tb[CTA_MARK_MASK]);
	assert_int_equal(ntohl(mnl_attr_get_u32(top.tb[CTA_MARK])),
			 PIN_CT_MARK_ADJUSTED);
	assert_int_equal(ntohl(mnl_attr_get_u32(top.tb[CTA_MARK_MASK])),
			 PIN_CT_MARK_ADJUSTED);
	assert_non_null(top.tb[CTA_PROTOINFO]);
	assert_true(mnl_attr_parse_nested(top.tb[CTA_PROTOINFO], nest_cb,
					  &pi) >= 0);
	assert_int_equal(pi.count, 1);
	assert_non_null(pi.tb[CTA_PROTOINFO_TCP]);
	assert_true(mnl_attr_parse_nested(pi.tb[CTA_PROTOINFO_TCP], nest_cb,
					  &tcp) >= 0);
	assert_int_equal(tcp.count, 2);
	expect_flags(tcp.tb[CTA_PROTOINFO_TCP_FLAGS_ORIGINAL],
		     "CTA_PROTOINFO_TCP_FLAGS_ORIGINAL");
	expect_flags(tcp.tb[CTA_PROTOINFO_TCP_FLAGS_REPLY],
		     "CTA_PROTOINFO_TCP_FLAGS_REPLY");
	/* never touch the TCP state itself */
	assert_null(tcp.tb[CTA_PROTOINFO_TCP_STATE]);
}

typedef int (*builder)(char *buf, size_t len, uint32_t seq, uint16_t which,
		       const struct ct_tuple *t);

/* Every buffer shorter than the message: -ENOSPC, no byte written past. */
static void check_short_buffers(builder build, const struct ct_tuple *t,
				const char *what)
{
	union msgbuf m;
	size_t full, len, i;
	int ret;

	ret = build(m.b, BUF_LEN, SEQ, CTA_TUPLE_ORIG, t);
	assert_true(ret > 0);
	full = (size_t)ret;
	for (len = 0; len < full; len++) {
		memset(m.b, GUARD, sizeof(m.b));
		ret = build(m.b, len, SEQ, CTA_TUPLE_ORIG, t);
		if (ret != -ENOSPC)
			fail_msg("%s in %zu of %zu bytes returned %d, "
				 "expected -ENOSPC", what, len, full, ret);
		for (i = len; i < sizeof(m.b); i++)
			if ((uint8_t)m.b[i] != GUARD)
				fail_msg("%s in %zu bytes wrote byte %zu",
					 what, len, i);
	}
	assert_int_equal(build(m.b, full, SEQ, CTA_TUPLE_ORIG, t), full);
}

static void test_builders_refuse_short_buffers(void **state)
{
	struct ct_tuple t4, t6;

	tuple(&t4, AF_INET, "10.0.1.2", 40112, "203.0.113.10", 21);
	tuple(&t6, AF_INET6, "2001:db8:1::2", 40113, "2001:db8:2::10", 21);
	check_short_buffers(ct_build_get, &t4, "CT_GET v4");
	check_short_buffers(ct_build_get, &t6, "CT_GET v6");
	check_short_buffers(ct_build_liberal, &t4, "CT_NEW v4");
	check_short_buffers(ct_build_liberal, &t6, "CT_NEW v6");
}

/* Parse a canned event from an exactly sized heap copy (ASan sees). */
static int parse_copy(const uint8_t *msg, size_t len, struct ct_entry *e)
{
	struct nlmsghdr *nlh = malloc(len);
	int ret;

	assert_non_null(nlh);
	memcpy(nlh, msg, len);
	nlh->nlmsg_len = (uint32_t)len;
	ret = ct_parse(nlh, e);
	free(nlh);
	return ret;
}

static void test_ipv4_destroy_event_gives_both_tuples(void **state)
{
	struct ct_tuple orig, reply;
	struct ct_entry e;

	tuple(&orig, AF_INET, "10.0.1.2", 40112, "203.0.113.10", 21);
	tuple(&reply, AF_INET, "203.0.113.10", 21, "203.0.113.1", 40112);
	assert_int_equal(parse_copy(destroy4, sizeof(destroy4), &e), 0);
	assert_int_equal(e.msg, IPCTNL_MSG_CT_DELETE);
	assert_true(e.has_orig);
	assert_true(e.has_reply);
	expect_tuple(&e.orig, &orig, "original tuple");
	expect_tuple(&e.reply, &reply, "reply tuple");
}

static void test_ipv6_destroy_event_gives_both_tuples(void **state)
{
	struct ct_tuple orig, reply;
	struct ct_entry e;

	tuple(&orig, AF_INET6, "2001:db8:1::2", 40113, "2001:db8:2::10", 21);
	ct_tuple_reverse(&orig, &reply);
	assert_int_equal(parse_copy(destroy6, sizeof(destroy6), &e), 0);
	assert_int_equal(e.msg, IPCTNL_MSG_CT_DELETE);
	expect_tuple(&e.orig, &orig, "original tuple");
	expect_tuple(&e.reply, &reply, "reply tuple");
}

/*
 * The NAT reading the daemon makes of an answer: the client as the
 * server sees it is where replies go (reply destination), the server as
 * the client sees it is where it connected (original destination).
 */
static void test_masquerade_entry_yields_public_addresses(void **state)
{
	union alg_addr client_pub, server_pub;
	struct ct_entry e;

	assert_int_equal(parse_copy(destroy4, sizeof(destroy4), &e), 0);
	tu_addr(AF_INET, "203.0.113.1", &client_pub);
	tu_addr(AF_INET, "203.0.113.10", &server_pub);
	assert_memory_equal(&e.reply.dst, &client_pub, 4);
	assert_memory_equal(&e.orig.dst, &server_pub, 4);
}

/*
 * Cut anywhere: never a read past the end, and whatever is reported as
 * parsed is what the whole message says. Cuts are at 4-byte steps, the
 * netlink alignment: libmnl rounds nlmsg_len up to it when walking
 * attributes (a kernel message is always aligned), so an unaligned
 * length would be a test artefact, not a message the kernel can send.
 */
static void test_truncated_events_never_misparse(void **state)
{
	static const struct {
		const uint8_t *msg;
		size_t len;
	} msgs[] = {
		{ destroy4, sizeof(destroy4) },
		{ destroy6, sizeof(destroy6) },
	};
	struct ct_entry full, e;
	unsigned i;
	size_t cut;

	for (i = 0; i < 2; i++) {
		assert_int_equal(parse_copy(msgs[i].msg, msgs[i].len, &full),
				 0);
		for (cut = sizeof(struct nlmsghdr); cut < msgs[i].len;
		     cut += NLMSG_ALIGNTO) {
			if (parse_copy(msgs[i].msg, cut, &e))
				continue;
			if (e.has_orig)
				expect_tuple(&e.orig, &full.orig,
					     "truncated original");
			if (e.has_reply)
				expect_tuple(&e.reply, &full.reply,
					     "truncated reply");
		}
	}
}

static void test_bad_attributes_are_rejected(void **state)
{
	union msgbuf m;
	struct nlattr *tup, *ip, *proto;
	struct nlmsghdr *nlh;
	struct ct_entry e;
	struct ct_tuple t;
	int len;

	/* an IPv4 address attribute of 2 bytes */
	nlh = msg_start(m.b, IPCTNL_MSG_CT_DELETE, AF_INET);
	tup = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
	ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	mnl_attr_put_u16(nlh, CTA_IP_V4_SRC, 0x0a00);
	mnl_attr_put_u32(nlh, CTA_IP_V4_DST, htonl(0xcb00710a));
	mnl_attr_nest_end(nlh, ip);
	mnl_attr_nest_end(nlh, tup);
	assert_int_equal(ct_parse(nlh, &e), -EINVAL);

	/* a tuple without CTA_TUPLE_PROTO */
	nlh = msg_start(m.b, IPCTNL_MSG_CT_DELETE, AF_INET);
	tup = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
	ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	mnl_attr_put_u32(nlh, CTA_IP_V4_SRC, htonl(0x0a000102));
	mnl_attr_put_u32(nlh, CTA_IP_V4_DST, htonl(0xcb00710a));
	mnl_attr_nest_end(nlh, ip);
	mnl_attr_nest_end(nlh, tup);
	assert_int_equal(ct_parse(nlh, &e), -EINVAL);

	/* IPv6 addresses in a message that says AF_INET */
	tuple(&t, AF_INET6, "2001:db8:1::2", 40113, "2001:db8:2::10", 21);
	len = ct_build_get(m.b, BUF_LEN, SEQ, CTA_TUPLE_ORIG, &t);
	assert_true(len > 0);
	((struct nfgenmsg *)mnl_nlmsg_get_payload(&m.nlh))->nfgen_family =
		AF_INET;
	assert_int_equal(ct_parse(&m.nlh, &e), -EINVAL);

	/* CTA_TUPLE_PROTO without a protocol number */
	nlh = msg_start(m.b, IPCTNL_MSG_CT_DELETE, AF_INET);
	tup = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
	ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	mnl_attr_put_u32(nlh, CTA_IP_V4_SRC, htonl(0x0a000102));
	mnl_attr_put_u32(nlh, CTA_IP_V4_DST, htonl(0xcb00710a));
	mnl_attr_nest_end(nlh, ip);
	proto = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_nest_end(nlh, proto);
	mnl_attr_nest_end(nlh, tup);
	assert_int_equal(ct_parse(nlh, &e), -EINVAL);

	/* a TCP tuple without its ports */
	nlh = msg_start(m.b, IPCTNL_MSG_CT_DELETE, AF_INET);
	tup = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
	ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	mnl_attr_put_u32(nlh, CTA_IP_V4_SRC, htonl(0x0a000102));
	mnl_attr_put_u32(nlh, CTA_IP_V4_DST, htonl(0xcb00710a));
	mnl_attr_nest_end(nlh, ip);
	proto = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, IPPROTO_TCP);
	mnl_attr_nest_end(nlh, proto);
	mnl_attr_nest_end(nlh, tup);
	assert_int_equal(ct_parse(nlh, &e), -EINVAL);
}

static void test_other_subsystems_are_rejected(void **state)
{
	uint8_t msg[sizeof(destroy4)];
	struct ct_entry e;

	memcpy(msg, destroy4, sizeof(msg));
	msg[5] = NFNL_SUBSYS_QUEUE;	/* high byte of nlmsg_type */
	assert_int_equal(parse_copy(msg, sizeof(msg), &e), -EINVAL);
}

struct seen {
	unsigned n;
	struct ct_entry e[4];
};

static void record(const struct ct_entry *e, void *arg)
{
	struct seen *s = arg;

	if (s->n < 4)
		s->e[s->n] = *e;
	s->n++;
}

/* Turn TCP into UDP in both tuples of a canned IPv4 event. */
static void make_udp(uint8_t *msg, size_t len)
{
	static const uint8_t num_tcp[] = { 0x05, 0x00, CTA_PROTO_NUM, 0x00,
					   IPPROTO_TCP };
	unsigned found = 0;
	size_t i;

	for (i = 0; i + sizeof(num_tcp) <= len; i++) {
		if (!memcmp(msg + i, num_tcp, sizeof(num_tcp))) {
			msg[i + 4] = IPPROTO_UDP;
			found++;
		}
	}
	assert_int_equal(found, 2);
}

static void test_dispatch_passes_only_tcp_destroy_events(void **state)
{
	static union {
		struct nlmsghdr nlh;
		uint8_t b[4 * 256];
	} batch;
	struct seen seen = { 0 };
	struct ct_tuple orig4, orig6;
	size_t off = 0;

	/* destroy(v4 tcp), destroy(v4 udp), new(v4 tcp), destroy(v6 tcp) */
	memcpy(batch.b + off, destroy4, sizeof(destroy4));
	off += sizeof(destroy4);
	memcpy(batch.b + off, destroy4, sizeof(destroy4));
	make_udp(batch.b + off, sizeof(destroy4));
	off += sizeof(destroy4);
	memcpy(batch.b + off, destroy4, sizeof(destroy4));
	batch.b[off + 4] = IPCTNL_MSG_CT_NEW;	/* nlmsg_type, low byte */
	off += sizeof(destroy4);
	memcpy(batch.b + off, destroy6, sizeof(destroy6));
	off += sizeof(destroy6);

	assert_int_equal(ct_events_dispatch(batch.b, off, record, &seen), 2);
	assert_int_equal(seen.n, 2);
	tuple(&orig4, AF_INET, "10.0.1.2", 40112, "203.0.113.10", 21);
	tuple(&orig6, AF_INET6, "2001:db8:1::2", 40113, "2001:db8:2::10", 21);
	expect_tuple(&seen.e[0].orig, &orig4, "first event");
	expect_tuple(&seen.e[1].orig, &orig6, "second event");
}

static void test_reverse_swaps_ends(void **state)
{
	struct ct_tuple t, r;

	tuple(&t, AF_INET, "10.0.1.2", 40112, "203.0.113.10", 21);
	ct_tuple_reverse(&t, &r);
	assert_memory_equal(&r.src, &t.dst, 4);
	assert_memory_equal(&r.dst, &t.src, 4);
	assert_int_equal(r.sport, 21);
	assert_int_equal(r.dport, 40112);
	assert_int_equal(r.proto, IPPROTO_TCP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_ipv4_by_original_tuple_parses_back),
		cmocka_unit_test(test_get_ipv6_by_reply_tuple_parses_back),
		cmocka_unit_test(
			test_liberal_updates_both_directions_never_creates),
		cmocka_unit_test(test_builders_refuse_short_buffers),
		cmocka_unit_test(test_ipv4_destroy_event_gives_both_tuples),
		cmocka_unit_test(test_ipv6_destroy_event_gives_both_tuples),
		cmocka_unit_test(
			test_masquerade_entry_yields_public_addresses),
		cmocka_unit_test(test_truncated_events_never_misparse),
		cmocka_unit_test(test_bad_attributes_are_rejected),
		cmocka_unit_test(test_other_subsystems_are_rejected),
		cmocka_unit_test(test_dispatch_passes_only_tcp_destroy_events),
		cmocka_unit_test(test_reverse_swaps_ends),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
