/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Packet parsing and in-place edits. Packets come from tu_build(), whose
 * checksum code is independent of the engine's; an edited packet must be
 * byte for byte what tu_build() makes of the edited fields.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

/* cmocka hands every test a state pointer; these tests keep none */
#pragma GCC diagnostic ignored "-Wunused-parameter"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "ftp-alg/packet.h"
#include "testutil.h"

#define CAP		4096
#define BIG_CAP		70000
#define CORRUPT_ITERS	20000

static const char cmd[] = "PORT 192,0,2,1,7,138\r\n";

static const struct tu_tcp tcp4 = {
	.family = AF_INET,
	.src = "192.0.2.1",
	.dst = "198.51.100.2",
	.sport = 40000,
	.dport = 21,
	.seq = 0x11223344,
	.ack = 0xa0b0c0d0,
};

static const struct tu_tcp tcp6 = {
	.family = AF_INET6,
	.src = "2001:db8::1",
	.dst = "2001:db8:1::2",
	.sport = 50000,
	.dport = 21,
	.seq = 0xfffffff0,
	.ack = 7,
};

static const uint32_t sack4[] = {
	0x1000, 0x2000, 0x3000, 0x4000, 0xfffffff0, 0x10, 0x7, 0x8,
};

/* xorshift32: the same sequence on every libc, unlike rand() */
static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void fill_random(uint8_t *b, size_t len, uint32_t *s)
{
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = (uint8_t)rnd(s);
}

static uint16_t get16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static void put16(uint8_t *b, uint16_t v)
{
	b[0] = v >> 8;
	b[1] = v & 0xff;
}

static void parse_ok_at(struct pkt *p, uint8_t *buf, size_t len, int line)
{
	int err = pkt_parse(p, buf, len);

	if (err != PKT_OK)
		fail_msg("line %d: pkt_parse of %zu bytes: '%s' (%d), "
			 "expected success", line, len, pkt_strerror(err),
			 err);
}
#define parse_ok(p, buf, len) parse_ok_at(p, buf, len, __LINE__)

/* Parses a copy of exactly len bytes, so ASan sees any read beyond. */
static void expect_err_at(const uint8_t *buf, size_t len, int want, int line)
{
	uint8_t *copy = malloc(len ? len : 1);
	struct pkt p;
	int err;

	assert_non_null(copy);
	memcpy(copy, buf, len);
	err = pkt_parse(&p, copy, len);
	free(copy);
	if (err != want)
		fail_msg("line %d: pkt_parse gave '%s' (%d), expected '%s' "
			 "(%d)", line, pkt_strerror(err), err,
			 pkt_strerror(want), want);
}
#define expect_err(buf, len, want) expect_err_at(buf, len, want, __LINE__)

/* Stored checksums equal the from-scratch ones and verify. */
static void check_csums_at(const struct pkt *p, int line)
{
	uint16_t stored;

	memcpy(&stored, p->data + p->l4off + 16, 2);
	if (stored != pkt_tcp_csum_full(p))
		fail_msg("line %d: TCP checksum %#06x, from scratch %#06x",
			 line, ntohs(stored), ntohs(pkt_tcp_csum_full(p)));
	if (p->family == AF_INET) {
		memcpy(&stored, p->data + 10, 2);
		if (stored != pkt_ip4_csum_full(p))
			fail_msg("line %d: IPv4 checksum %#06x, from scratch "
				 "%#06x", line, ntohs(stored),
				 ntohs(pkt_ip4_csum_full(p)));
	}
	if (!pkt_csum_ok(p))
		fail_msg("line %d: pkt_csum_ok() is false", line);
}
#define check_csums(p) check_csums_at(p, __LINE__)

static void same_bytes_at(const uint8_t *got, const uint8_t *want,
			  size_t len, int line)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (got[i] != want[i])
			fail_msg("line %d: byte %zu of %zu is %#04x, expected "
				 "%#04x", line, i, len, got[i], want[i]);
}
#define same_bytes(got, want, len) same_bytes_at(got, want, len, __LINE__)

/*
 * Put an IPv6 extension header hdr[0..hlen) first in the chain; its next
 * header byte is filled in. The TCP checksum stays valid because the
 * pseudo-header counts only the upper-layer length.
 */
static size_t ip6_push(uint8_t *buf, size_t len, uint8_t type,
		       const uint8_t *hdr, size_t hlen)
{
	memmove(buf + 40 + hlen, buf + 40, len - 40);
	memcpy(buf + 40, hdr, hlen);
	buf[40] = buf[6];
	buf[6] = type;
	put16(buf + 4, (uint16_t)(get16(buf + 4) + hlen));
	return len + hlen;
}

/* HBH or destination options of 8 * units bytes, one PadN inside. */
static size_t ip6_push_opts(uint8_t *buf, size_t len, uint8_t type,
			    unsigned units)
{
	uint8_t h[64] = { 0, (uint8_t)(units - 1), 1,
			  (uint8_t)(units * 8 - 4) };

	return ip6_push(buf, len, type, h, units * 8);
}

/* Routing type 253 (RFC 4727 experiment), no segments left. */
static size_t ip6_push_rh(uint8_t *buf, size_t len)
{
	static const uint8_t h[8] = { 0, 0, 253, 0 };

	return ip6_push(buf, len, IPPROTO_ROUTING, h, sizeof(h));
}

/* AH with a 96-bit ICV: 24 bytes, payload length 24 / 4 - 2. */
static size_t ip6_push_ah(uint8_t *buf, size_t len)
{
	static const uint8_t h[24] = { 0, 4, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1 };

	return ip6_push(buf, len, IPPROTO_AH, h, sizeof(h));
}

/*
 * An IPv4 packet carrying "hi" whose TCP options are exactly opt[0..n)
 * (n a multiple of 4). Checksums are stale: the parser ignores them.
 */
static size_t build_with_opts(uint8_t *buf, const uint8_t *opt, size_t n)
{
	size_t len = tu_build(&tcp4, "hi", 2, buf, CAP);
	uint8_t *th = buf + 20;

	memmove(th + 20 + n, th + 20, 2);
	memcpy(th + 20, opt, n);
	th[12] = (uint8_t)((5 + n / 4) << 4);
	len += n;
	put16(buf + 2, (uint16_t)len);
	return len;
}

static void test_ipv4_fields_are_parsed_in_host_order(void **state)
{
	uint8_t buf[CAP];
	union alg_addr a;
	struct pkt p;
	size_t len = tu_build(&tcp4, cmd, strlen(cmd), buf, CAP);

	parse_ok(&p, buf, len);
	assert_int_equal(p.family, AF_INET);
	assert_ptr_equal(p.data, buf);
	assert_int_equal(p.len, len);
	assert_int_equal(p.l4off, 20);
	assert_int_equal(p.payoff, 40);
	assert_int_equal(p.paylen, strlen(cmd));
	assert_memory_equal(pkt_payload(&p), cmd, strlen(cmd));
	tu_addr(AF_INET, tcp4.src, &a);
	assert_memory_equal(&p.saddr, &a, sizeof(a));
	tu_addr(AF_INET, tcp4.dst, &a);
	assert_memory_equal(&p.daddr, &a, sizeof(a));
	assert_int_equal(p.sport, 40000);
	assert_int_equal(p.dport, 21);
	assert_int_equal(p.seq, 0x11223344);
	assert_int_equal(p.ack, 0xa0b0c0d0);
	assert_int_equal(p.flags, TCPF_ACK | TCPF_PSH);
	assert_int_equal(p.nsack, 0);
	check_csums(&p);
}

static void test_ipv6_fields_are_parsed_in_host_order(void **state)
{
	struct tu_tcp t = tcp6;
	uint8_t buf[CAP];
	union alg_addr a;
	struct pkt p;
	size_t len;

	t.flags = TCPF_SYN | TCPF_ACK;
	len = tu_build(&t, cmd, strlen(cmd), buf, CAP);
	parse_ok(&p, buf, len);
	assert_int_equal(p.family, AF_INET6);
	assert_int_equal(p.len, len);
	assert_int_equal(p.l4off, 40);
	assert_int_equal(p.payoff, 60);
	assert_int_equal(p.paylen, strlen(cmd));
	tu_addr(AF_INET6, tcp6.src, &a);
	assert_memory_equal(&p.saddr, &a, sizeof(a));
	tu_addr(AF_INET6, tcp6.dst, &a);
	assert_memory_equal(&p.daddr, &a, sizeof(a));
	assert_int_equal(p.sport, 50000);
	assert_int_equal(p.dport, 21);
	assert_int_equal(p.seq, 0xfffffff0);
	assert_int_equal(p.ack, 7);
	assert_int_equal(p.flags, TCPF_SYN | TCPF_ACK);
	check_csums(&p);
}

static void test_parsed_addresses_print_as_built(void **state)
{
	char s[INET6_ADDRSTRLEN];
	uint8_t buf[CAP];
	struct pkt p;

	parse_ok(&p, buf, tu_build(&tcp4, NULL, 0, buf, CAP));
	assert_string_equal(alg_addr_str(p.family, &p.saddr, s, sizeof(s)),
			    tcp4.src);
	parse_ok(&p, buf, tu_build(&tcp6, NULL, 0, buf, CAP));
	assert_string_equal(alg_addr_str(p.family, &p.daddr, s, sizeof(s)),
			    tcp6.dst);
	assert_string_equal(alg_addr_str(AF_UNSPEC, &p.daddr, s, sizeof(s)),
			    "*");
	assert_string_equal(alg_addr_str(AF_INET6, &p.daddr, s, 4), "?");
}

static void test_ipv4_options_move_the_tcp_header(void **state)
{
	struct tu_tcp t = tcp4;
	uint8_t buf[CAP];
	struct pkt p;
	unsigned optlen;

	for (optlen = 4; optlen <= 40; optlen += 4) {
		t.ip4_optlen = optlen;
		parse_ok(&p, buf, tu_build(&t, cmd, strlen(cmd), buf, CAP));
		assert_int_equal(p.l4off, 20 + optlen);
		assert_int_equal(p.payoff, 40 + optlen);
		assert_int_equal(p.sport, 40000);
		assert_int_equal(p.seq, 0x11223344);
		assert_memory_equal(pkt_payload(&p), cmd, strlen(cmd));
		check_csums(&p);
	}
}

static void test_ipv6_hop_by_hop_is_skipped(void **state)
{
	struct tu_tcp t = tcp6;
	uint8_t buf[CAP];
	struct pkt p;

	t.ip6_hbh = true;
	parse_ok(&p, buf, tu_build(&t, cmd, strlen(cmd), buf, CAP));
	assert_int_equal(p.l4off, 48);
	assert_int_equal(p.payoff, 68);
	assert_int_equal(p.paylen, strlen(cmd));
	assert_int_equal(p.dport, 21);
	check_csums(&p);
}

static void test_ipv6_full_extension_chain_is_walked(void **state)
{
	uint8_t buf[CAP];
	struct pkt p;
	size_t len = tu_build(&tcp6, cmd, strlen(cmd), buf, CAP);

	/* pushed in reverse: HBH, DST, RH, AH, DST (RFC 8200 4.1 order) */
	len = ip6_push_opts(buf, len, IPPROTO_DSTOPTS, 2);
	len = ip6_push_ah(buf, len);
	len = ip6_push_rh(buf, len);
	len = ip6_push_opts(buf, len, IPPROTO_DSTOPTS, 1);
	len = ip6_push_opts(buf, len, IPPROTO_HOPOPTS, 3);
	parse_ok(&p, buf, len);
	assert_int_equal(p.l4off, 40 + 24 + 8 + 8 + 24 + 16);
	assert_int_equal(p.paylen, strlen(cmd));
	assert_memory_equal(pkt_payload(&p), cmd, strlen(cmd));
	assert_int_equal(p.sport, 50000);
	check_csums(&p);
}

static void test_trailing_bytes_beyond_ip_length_are_ignored(void **state)
{
	uint8_t buf[CAP];
	struct pkt p;
	size_t len;

	len = tu_build(&tcp4, cmd, strlen(cmd), buf, CAP);
	memset(buf + len, 0xee, 30);
	parse_ok(&p, buf, len + 30);
	assert_int_equal(p.len, len);
	assert_int_equal(p.paylen, strlen(cmd));
	check_csums(&p);

	len = tu_build(&tcp6, cmd, strlen(cmd), buf, CAP);
	memset(buf + len, 0xee, 7);
	parse_ok(&p, buf, len + 7);
	assert_int_equal(p.len, len);
	assert_int_equal(p.paylen, strlen(cmd));
	check_csums(&p);
}

static void test_sack_blocks_are_parsed(void **state)
{
	struct tu_tcp t = tcp4;
	uint32_t l, r;
	uint8_t buf[CAP];
	struct pkt p;
	unsigned n, i;

	t.sack = sack4;
	for (n = 1; n <= PKT_MAX_SACK; n++) {
		t.nsack = n;
		t.ts = n < PKT_MAX_SACK;	/* 4 blocks leave no room */
		parse_ok(&p, buf, tu_build(&t, cmd, strlen(cmd), buf, CAP));
		assert_int_equal(p.nsack, n);
		/* NOP NOP TS(10) NOP NOP kind len */
		assert_int_equal(p.sackoff, 20 + 20 + (t.ts ? 12 : 0) + 4);
		assert_int_equal(p.payoff, 40 + (t.ts ? 12 : 0) + 4 + 8 * n);
		for (i = 0; i < n; i++) {
			pkt_get_sack(&p, i, &l, &r);
			assert_int_equal(l, sack4[2 * i]);
			assert_int_equal(r, sack4[2 * i + 1]);
		}
	}
}

static void test_timestamp_alone_has_no_sack_blocks(void **state)
{
	struct tu_tcp t = tcp6;
	uint8_t buf[CAP];
	struct pkt p;

	t.ts = true;
	parse_ok(&p, buf, tu_build(&t, cmd, strlen(cmd), buf, CAP));
	assert_int_equal(p.nsack, 0);
	assert_int_equal(p.payoff, 40 + 20 + 12);
}

static void test_options_after_eol_are_ignored(void **state)
{
	/* EOL, then what would be a malformed option and a SACK */
	static const uint8_t opt[12] = { 1, 0, 2, 1, 5, 10 };
	uint8_t buf[CAP];
	struct pkt p;

	parse_ok(&p, buf, build_with_opts(buf, opt, sizeof(opt)));
	assert_int_equal(p.nsack, 0);
	assert_int_equal(p.payoff, 40 + sizeof(opt));
	assert_int_equal(p.paylen, 2);
}

static void test_empty_buffer_is_rejected(void **state)
{
	uint8_t buf[1] = { 0x45 };

	expect_err(buf, 0, PKT_ERR_EMPTY);
}

static void test_bogus_ip_version_is_rejected(void **state)
{
	static const uint8_t versions[] = { 0x00, 0x55, 0x75, 0xf6 };
	uint8_t buf[CAP];
	size_t len;
	unsigned i;

	for (i = 0; i < sizeof(versions); i++) {
		len = tu_build(&tcp4, cmd, strlen(cmd), buf, CAP);
		buf[0] = versions[i];
		expect_err(buf, len, PKT_ERR_VERSION);
		/* even a single byte says enough */
		expect_err(buf, 1, PKT_ERR_VERSION);
	}
}

static void test_ipv4_truncated_header_is_rejected(void **state)
{
	uint8_t buf[CAP];

	tu_build(&tcp4, cmd, strlen(cmd), buf, CAP);
	expect_err(buf, 19, PKT_ERR_IP_TRUNC);
	expect_err(buf, 1, PKT_ERR_IP_TRUNC);
}

static void test_ipv6_truncated_header_is_rejected(void **state)
{
	uint8_t buf[CAP];

	tu_build(&tcp6, cmd, strlen(cmd), buf, CAP);
	expect_err(buf, 39, PKT_ERR_IP_TRUNC);
	expect_err(buf, 20, PKT_ERR_IP_TRUNC);
}

static void test_ipv4_ihl_below_five_is_rejected(void **state)
{
	uint8_t buf[CAP];
	size_t len = tu_build(&tcp4, cmd, strlen(cmd), buf, CAP);

	buf[0] = 0x44;
	expect_err(buf, len, PKT_ERR_IHL);
	buf[0] = 0x40;
	expect_err(buf, len, PKT_ERR_IHL);
}

static void test_ipv4_ihl_beyond_buffer_is_rejected(void **state)
{
	uint8_t buf[CAP];
	size_t len = tu_build(&tcp4, NULL, 0, buf, CAP);

	/* 60-byte header in a 40-byte packet */
	buf[0] = 0x4f;
	expect_err(buf, len, PKT_ERR_IHL);
}

static void test_ipv4_total_length_beyond_buffer_is_rejected(void **state)
{
	uint8_t buf[CAP];
	size_t len = tu_build(&tcp4, cmd, strlen(cmd), buf, CAP);

	put16(buf + 2, (uint16_t)(len + 1));
	expect_err(buf, len, PKT_ERR_IP_LEN);
}

static void test_ipv4_total_length_inside_header_is_rejected(void **state)
{
	struct tu_tcp t = tcp4;
	uint8_t buf[CAP];
	size_t len;

	t.ip4_optlen = 8;
	len = tu_build(&t, cmd, strlen(cmd), buf, CAP);
	put16(buf + 2, 27);
	expect_err(buf, len, PKT_ERR_IP_LEN);
}

static void test_ipv6_payload_length_beyond_buffer_is_rejected(void **state)
{
	uint8_t buf[CAP];
	size_t len = tu_build(&tcp6, cmd, strlen(cmd), buf, CAP);

	put16(buf + 4, (uint16_t)(len - 40 + 1));
	expect_err(buf, len, PKT_ERR_IP_LEN);
}

static void test_ipv4_fragments_are_rejected(void **state)
{
	uint8_t buf[CAP];
	struct pkt p;
	size_t len = tu_build(&tcp4, cmd, strlen(cmd), buf, CAP);

	put16(buf + 6, 0x2000);		/* MF: first fragment */
	expect_err(buf, len, PKT_ERR_FRAGMENT);
	put16(buf + 6, 0x0001);		/* offset 8: a later one */
	expect_err(buf, len, PKT_ERR_FRAGMENT);
	put16(buf + 6, 0x5fff);		/* DF with a stray offset */
	expect_err(buf, len, PKT_ERR_FRAGMENT);
	put16(buf + 6, 0x4000);		/* DF alone is a whole packet */
	parse_ok(&p, buf, len);
}

static void test_ipv6_fragment_header_is_rejected(void **state)
{
	/* even an atomic fragment (offset 0, M clear) */
	static const uint8_t frag[8] = { 0, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef };
	uint8_t buf[CAP];
	size_t len = tu_build(&tcp6, cmd, strlen(cmd), buf, CAP);

	len = ip6_push(buf, len, IPPROTO_FRAGMENT, frag, sizeof(frag));
	expect_err(buf, len, PKT_ERR_FRAGMENT);
	len = ip6_push_opts(buf, len, IPPROTO_DSTOPTS, 1);
	expect_err(buf, len, PKT_ERR_FRAGMENT);
}

static void test_ipv6_extension_header_beyond_packet_is_rejected(
	void **state)
{
	struct tu_tcp t = tcp6;
	uint8_t buf[CAP];
	size_t len;

	t.ip6_hbh = true;
	len = tu_build(&t, NULL, 0, buf, CAP);
	buf[41] = 200;			/* 1608 bytes of options */
	expect_err(buf, len, PKT_ERR_EXTHDR);

	/* AH counts in 4-byte units: 255 + 2 of them */
	len = tu_build(&tcp6, NULL, 0, buf, CAP);
	len = ip6_push_ah(buf, len);
	buf[41] = 255;
	expect_err(buf, len, PKT_ERR_EXTHDR);

	/* packet ends one byte into a destination options header */
	len = tu_build(&tcp6, NULL, 0, buf, CAP);
	buf[6] = IPPROTO_DSTOPTS;
	put16(buf + 4, 1);
	expect_err(buf, 41, PKT_ERR_EXTHDR);
	expect_err(buf, len, PKT_ERR_EXTHDR);
	buf[6] = IPPROTO_AH;
	expect_err(buf, 41, PKT_ERR_EXTHDR);
}

static void test_ipv6_hop_by_hop_after_first_header_is_rejected(
	void **state)
{
	struct tu_tcp t = tcp6;
	uint8_t buf[CAP];
	size_t len;

	t.ip6_hbh = true;
	len = tu_build(&t, cmd, strlen(cmd), buf, CAP);
	len = ip6_push_opts(buf, len, IPPROTO_DSTOPTS, 1);
	expect_err(buf, len, PKT_ERR_EXTHDR);
}

static void test_ipv6_extension_chain_walk_is_bounded(void **state)
{
	uint8_t buf[CAP];
	size_t len = tu_build(&tcp6, cmd, strlen(cmd), buf, CAP);
	int i;

	for (i = 0; i < 64; i++)
		len = ip6_push_opts(buf, len, IPPROTO_DSTOPTS, 1);
	expect_err(buf, len, PKT_ERR_EXTHDR);
}

static void test_ipv4_non_tcp_is_rejected(void **state)
{
	uint8_t buf[CAP];
	size_t len = tu_build(&tcp4, cmd, strlen(cmd), buf, CAP);

	buf[9] = IPPROTO_UDP;
	expect_err(buf, len, PKT_ERR_NOT_TCP);
	buf[9] = IPPROTO_AH;
	expect_err(buf, len, PKT_ERR_NOT_TCP);
}

static void test_ipv6_non_tcp_is_rejected(void **state)
{
	static const uint8_t nexthdr[] = {
		IPPROTO_NONE, IPPROTO_ESP, IPPROTO_UDP, IPPROTO_ICMPV6,
	};
	uint8_t buf[CAP];
	size_t len;
	unsigned i;

	for (i = 0; i < sizeof(nexthdr); i++) {
		len = tu_build(&tcp6, cmd, strlen(cmd), buf, CAP);
		buf[6] = nexthdr[i];
		expect_err(buf, len, PKT_ERR_NOT_TCP);
		/* and behind an extension header */
		len = ip6_push_opts(buf, len, IPPROTO_DSTOPTS, 1);
		expect_err(buf, len, PKT_ERR_NOT_TCP);
	}
}

static void test_tcp_header_shorter_than_twenty_bytes_is_rejected(
	void **state)
{
	uint8_t buf[CAP];

	tu_build(&tcp4, cmd, strlen(cmd), buf, CAP);
	put16(buf + 2, 20 + 19);
	expect_err(buf, 20 + 19, PKT_ERR_TCP_TRUNC);

	tu_build(&tcp6, cmd, strlen(cmd), buf, CAP);
	put16(buf + 4, 19);
	expect_err(buf, 40 + 19, PKT_ERR_TCP_TRUNC);
	put16(buf + 4, 0);
	expect_err(buf, 40, PKT_ERR_TCP_TRUNC);
}

static void test_tcp_data_offset_below_five_is_rejected(void **state)
{
	uint8_t buf[CAP];
	size_t len = tu_build(&tcp4, cmd, strlen(cmd), buf, CAP);

	buf[20 + 12] = 0x40;
	expect_err(buf, len, PKT_ERR_TCP_DOFF);
	buf[20 + 12] = 0x00;
	expect_err(buf, len, PKT_ERR_TCP_DOFF);
}

static void test_tcp_data_offset_beyond_packet_is_rejected(void **state)
{
	uint8_t buf[CAP];
	size_t len = tu_build(&tcp6, "abc", 3, buf, CAP);

	/* 24-byte header in a 23-byte segment */
	buf[40 + 12] = 0x60;
	expect_err(buf, len, PKT_ERR_TCP_DOFF);
	buf[40 + 12] = 0xf0;
	expect_err(buf, len, PKT_ERR_TCP_DOFF);
}

static void test_tcp_option_length_below_two_is_rejected(void **state)
{
	static const uint8_t len1[4] = { 2, 1, 0, 0 };
	static const uint8_t len0[4] = { 1, 8, 0, 0 };
	uint8_t buf[CAP];

	expect_err(buf, build_with_opts(buf, len1, 4), PKT_ERR_TCP_OPT);
	expect_err(buf, build_with_opts(buf, len0, 4), PKT_ERR_TCP_OPT);
}

static void test_tcp_option_beyond_header_is_rejected(void **state)
{
	/* a timestamp claiming 12 bytes where 11 are left */
	static const uint8_t opt[12] = { 1, 8, 12 };
	uint8_t buf[CAP];

	expect_err(buf, build_with_opts(buf, opt, 12), PKT_ERR_TCP_OPT);
}

static void test_tcp_option_without_length_byte_is_rejected(void **state)
{
	static const uint8_t opt[4] = { 1, 1, 1, 2 };
	uint8_t buf[CAP];
	size_t len = build_with_opts(buf, opt, 4);

	expect_err(buf, len, PKT_ERR_TCP_OPT);
	/* without payload the length byte would be past the packet */
	put16(buf + 2, (uint16_t)(len - 2));
	expect_err(buf, len - 2, PKT_ERR_TCP_OPT);
}

static void test_tcp_sack_with_partial_block_is_rejected(void **state)
{
	static const uint8_t odd[12] = { 1, 1, 5, 9 };
	static const uint8_t empty[4] = { 1, 1, 5, 2 };
	uint8_t buf[CAP];

	expect_err(buf, build_with_opts(buf, odd, 12), PKT_ERR_TCP_OPT);
	expect_err(buf, build_with_opts(buf, empty, 4), PKT_ERR_TCP_OPT);
}

static void test_duplicate_sack_option_is_rejected(void **state)
{
	static const uint8_t opt[20] = { 5, 10, 0, 0, 0, 1, 0, 0, 0, 2,
					 5, 10, 0, 0, 0, 3, 0, 0, 0, 4 };
	uint8_t buf[CAP];

	expect_err(buf, build_with_opts(buf, opt, 20), PKT_ERR_TCP_OPT);
}

static void test_every_error_code_has_a_distinct_message(void **state)
{
	const char *unknown = pkt_strerror(PKT_ERR_MAX);
	int i, j;

	assert_non_null(unknown);
	assert_ptr_equal(pkt_strerror(-1), unknown);
	for (i = 0; i < PKT_ERR_MAX; i++) {
		const char *s = pkt_strerror(i);

		if (!s || !*s || !strcmp(s, unknown))
			fail_msg("code %d has no message of its own", i);
		for (j = 0; j < i; j++)
			if (!strcmp(s, pkt_strerror(j)))
				fail_msg("codes %d and %d both say '%s'",
					 j, i, s);
	}
}

/*
 * Every prefix of a valid packet in a buffer of exactly that size, so
 * that ASan catches any read beyond it.
 */
static void every_truncation_is_rejected(const uint8_t *pkt, size_t len,
					 const char *what)
{
	struct pkt p;
	size_t l;
	int err;

	for (l = 0; l <= len; l++) {
		uint8_t *b = malloc(l ? l : 1);

		assert_non_null(b);
		memcpy(b, pkt, l);
		err = pkt_parse(&p, b, l);
		free(b);
		if (l < len && err == PKT_OK)
			fail_msg("%s cut to %zu of %zu bytes parsed as valid",
				 what, l, len);
		if (l == len && err != PKT_OK)
			fail_msg("%s whole (%zu bytes): '%s'", what, len,
				 pkt_strerror(err));
		if (err < 0 || err >= PKT_ERR_MAX)
			fail_msg("%s cut to %zu: unknown code %d", what, l,
				 err);
	}
}

static void test_truncation_at_every_length_is_rejected(void **state)
{
	struct tu_tcp t4 = tcp4, t6 = tcp6;
	uint8_t buf[CAP];
	size_t len;

	t4.ip4_optlen = 12;
	t4.ts = true;
	t4.sack = sack4;
	t4.nsack = 2;
	len = tu_build(&t4, cmd, strlen(cmd), buf, CAP);
	every_truncation_is_rejected(buf, len, "IPv4+options+SACK");

	t6.ip6_hbh = true;
	t6.sack = sack4;
	t6.nsack = 4;
	len = tu_build(&t6, cmd, strlen(cmd), buf, CAP);
	every_truncation_is_rejected(buf, len, "IPv6+HBH+SACK");

	len = tu_build(&tcp6, cmd, strlen(cmd), buf, CAP);
	len = ip6_push_ah(buf, len);
	len = ip6_push_rh(buf, len);
	every_truncation_is_rejected(buf, len, "IPv6+RH+AH");
}

/* Invariants of a successful parse of a buffer of buflen bytes. */
static void check_parsed_sane(const struct pkt *p, size_t buflen,
			      unsigned iter)
{
	if (p->len > buflen || (size_t)p->payoff + p->paylen != p->len ||
	    p->l4off + 20u > p->payoff || p->nsack > PKT_MAX_SACK ||
	    (p->nsack && (p->sackoff < p->l4off + 22u ||
			  p->sackoff + 8u * p->nsack > p->payoff)))
		fail_msg("iteration %u: inconsistent parse: len %zu of %zu, "
			 "l4off %u, payoff %u, paylen %u, sackoff %u, nsack "
			 "%u", iter, p->len, buflen, p->l4off, p->payoff,
			 p->paylen, p->sackoff, p->nsack);
}

/*
 * Whatever the engine does with a packet that parsed must stay inside
 * the buffer too; and if the checksums were right, edits keep them so.
 */
static void exercise(struct pkt *p, size_t buflen, uint32_t *seed,
		     unsigned iter)
{
	bool ok = pkt_csum_ok(p);
	uint8_t pay[64];
	uint32_t l, r;
	unsigned i;
	size_t n;

	pkt_tcp_csum_full(p);
	pkt_ip4_csum_full(p);
	pkt_set_seq(p, rnd(seed));
	pkt_set_ack(p, rnd(seed));
	for (i = 0; i < p->nsack; i++) {
		pkt_get_sack(p, i, &l, &r);
		pkt_set_sack(p, i, l + 1000, r + 1000);
	}
	n = rnd(seed) % sizeof(pay);
	fill_random(pay, n, seed);
	if (pkt_set_payload(p, buflen, pay, n) == 0) {
		check_parsed_sane(p, buflen, iter);
		if (memcmp(pkt_payload(p), pay, n))
			fail_msg("iteration %u: payload not stored", iter);
	}
	if (ok && !pkt_csum_ok(p))
		fail_msg("iteration %u: edits broke valid checksums", iter);
}

static void test_corrupted_packets_never_read_out_of_bounds(void **state)
{
	struct tu_tcp t4 = tcp4, t6 = tcp6;
	uint8_t base[3][CAP];
	size_t blen[3];
	uint32_t seed = 0x5eed;
	unsigned iter, parsed = 0;

	t4.ip4_optlen = 8;
	t4.ts = true;
	t4.sack = sack4;
	t4.nsack = 3;
	blen[0] = tu_build(&t4, cmd, strlen(cmd), base[0], CAP);
	t6.ip6_hbh = true;
	t6.sack = sack4;
	t6.nsack = 1;
	blen[1] = tu_build(&t6, cmd, strlen(cmd), base[1], CAP);
	blen[2] = tu_build(&tcp6, cmd, strlen(cmd), base[2], CAP);
	blen[2] = ip6_push_ah(base[2], blen[2]);
	blen[2] = ip6_push_rh(base[2], blen[2]);

	for (iter = 0; iter < CORRUPT_ITERS; iter++) {
		unsigned which = rnd(&seed) % 3, flips = 1 + rnd(&seed) % 4;
		size_t len = blen[which], buflen, i;
		struct pkt p;
		uint8_t *b;

		/* shorter, exact, or with trailing bytes */
		switch (rnd(&seed) % 4) {
		case 0:
			buflen = rnd(&seed) % len;
			break;
		case 1:
			buflen = len + 1 + rnd(&seed) % 8;
			break;
		default:
			buflen = len;
		}
		b = malloc(buflen ? buflen : 1);
		assert_non_null(b);
		memcpy(b, base[which], buflen < len ? buflen : len);
		if (buflen > len)
			fill_random(b + len, buflen - len, &seed);
		/* mostly headers: that is where the parser looks */
		for (i = 0; buflen && i < flips; i++)
			b[rnd(&seed) % (buflen < 100 ? buflen : 100)] =
				(uint8_t)rnd(&seed);

		if (pkt_parse(&p, b, buflen) == PKT_OK) {
			parsed++;
			check_parsed_sane(&p, buflen, iter);
			exercise(&p, buflen, &seed, iter);
		}
		free(b);
	}
	/* the run means little if (almost) nothing got through */
	if (parsed < CORRUPT_ITERS / 20)
		fail_msg("only %u of %u corrupted packets parsed", parsed,
			 CORRUPT_ITERS);
}

static void set_seq_ack_matches_fresh_build(const struct tu_tcp *base)
{
	static const uint32_t edge[] = { 0, 0xffffffff, 0x0000ffff,
					 0xffff0000 };
	struct tu_tcp t = *base;
	uint8_t buf[CAP], want[CAP];
	uint32_t seed = 0xabcdef;
	struct pkt p, q;
	size_t len;
	int i;

	len = tu_build(&t, cmd, strlen(cmd), buf, CAP);
	parse_ok(&p, buf, len);
	for (i = 0; i < 1000; i++) {
		t.seq = i < 4 ? edge[i] : rnd(&seed);
		t.ack = i < 4 ? edge[3 - i] : rnd(&seed);
		pkt_set_seq(&p, t.seq);
		pkt_set_ack(&p, t.ack);
		assert_int_equal(p.seq, t.seq);
		assert_int_equal(p.ack, t.ack);
		check_csums(&p);
		assert_int_equal(tu_build(&t, cmd, strlen(cmd), want, CAP),
				 len);
		same_bytes(buf, want, len);
	}
	parse_ok(&q, buf, len);
	assert_int_equal(q.seq, t.seq);
	assert_int_equal(q.ack, t.ack);
}

static void test_set_seq_and_ack_keep_checksums_valid(void **state)
{
	struct tu_tcp t4 = tcp4, t6 = tcp6;

	set_seq_ack_matches_fresh_build(&tcp4);
	set_seq_ack_matches_fresh_build(&tcp6);
	t4.ip4_optlen = 4;
	t4.ts = true;
	set_seq_ack_matches_fresh_build(&t4);
	t6.ip6_hbh = true;
	set_seq_ack_matches_fresh_build(&t6);
}

static void set_sack_matches_fresh_build(const struct tu_tcp *base)
{
	struct tu_tcp t = *base;
	uint8_t buf[CAP], want[CAP];
	uint32_t seed = 0x13579, l, r, edges[8];
	struct pkt p;
	size_t len;
	unsigned i, j;

	memcpy(edges, t.sack, 2 * t.nsack * sizeof(*edges));
	t.sack = edges;
	len = tu_build(&t, cmd, strlen(cmd), buf, CAP);
	parse_ok(&p, buf, len);
	assert_int_equal(p.nsack, t.nsack);
	for (j = 0; j < 300; j++) {
		i = j % t.nsack;
		edges[2 * i] = rnd(&seed);
		edges[2 * i + 1] = j % 5 ? rnd(&seed) : 0;
		pkt_set_sack(&p, i, edges[2 * i], edges[2 * i + 1]);
		pkt_get_sack(&p, i, &l, &r);
		assert_int_equal(l, edges[2 * i]);
		assert_int_equal(r, edges[2 * i + 1]);
		check_csums(&p);
		tu_build(&t, cmd, strlen(cmd), want, CAP);
		same_bytes(buf, want, len);
	}
}

static void test_set_sack_keeps_checksums_valid(void **state)
{
	struct tu_tcp t = tcp4;

	t.sack = sack4;
	t.nsack = 3;
	t.ts = true;
	set_sack_matches_fresh_build(&t);
	t = tcp6;
	t.sack = sack4;
	t.nsack = 4;
	t.ip6_hbh = true;
	set_sack_matches_fresh_build(&t);
}

/* One NOP before SACK puts every edge on an odd byte. */
static void test_set_sack_at_odd_offset_keeps_checksums_valid(void **state)
{
	static const uint8_t opt[24] = {
		1, 5, 18, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4,
		1, 1, 1, 1, 0,
	};
	uint32_t seed = 0x2468, l, r, v[4];
	uint8_t buf[CAP];
	struct pkt p;
	uint16_t c;
	int i;

	parse_ok(&p, buf, build_with_opts(buf, opt, sizeof(opt)));
	assert_int_equal(p.nsack, 2);
	assert_int_equal(p.sackoff - p.l4off, 23);
	pkt_get_sack(&p, 1, &l, &r);
	assert_int_equal(l, 3);
	assert_int_equal(r, 4);
	c = pkt_ip4_csum_full(&p);
	memcpy(buf + 10, &c, 2);
	c = pkt_tcp_csum_full(&p);
	memcpy(buf + p.l4off + 16, &c, 2);

	for (i = 0; i < 500; i++) {
		v[0] = rnd(&seed);
		v[1] = rnd(&seed);
		v[2] = i % 3 ? rnd(&seed) : 0;
		v[3] = i % 3 ? rnd(&seed) : 0xffffffff;
		pkt_set_sack(&p, 0, v[0], v[1]);
		pkt_set_sack(&p, 1, v[2], v[3]);
		check_csums(&p);
		pkt_get_sack(&p, 0, &l, &r);
		assert_int_equal(l, v[0]);
		assert_int_equal(r, v[1]);
		pkt_get_sack(&p, 1, &l, &r);
		assert_int_equal(l, v[2]);
		assert_int_equal(r, v[3]);
	}
	/* the options after the blocks are untouched */
	assert_memory_equal(buf + p.l4off + 20 + 19, opt + 19, 5);
}

static void test_sack_index_beyond_nsack_is_ignored(void **state)
{
	struct tu_tcp t = tcp4;
	uint8_t buf[CAP], orig[CAP];
	uint32_t l = 1, r = 1;
	struct pkt p;
	size_t len;

	t.sack = sack4;
	t.nsack = 1;
	len = tu_build(&t, cmd, strlen(cmd), buf, CAP);
	memcpy(orig, buf, len);
	parse_ok(&p, buf, len);
	pkt_set_sack(&p, 1, 5, 6);
	pkt_get_sack(&p, 1, &l, &r);
	assert_int_equal(l, 0);
	assert_int_equal(r, 0);
	same_bytes(buf, orig, len);
}

/*
 * Replace a payload of from bytes by one of to bytes and compare with a
 * packet built from scratch with the new payload.
 */
static void set_payload_matches_fresh_build(const struct tu_tcp *t,
					    size_t from, size_t to,
					    uint32_t *seed)
{
	uint8_t buf[CAP], want[CAP], old[CAP], new[CAP];
	struct pkt p, q;
	size_t len, wlen;
	int err;

	fill_random(old, from, seed);
	fill_random(new, to, seed);
	len = tu_build(t, old, from, buf, CAP);
	parse_ok(&p, buf, len);
	err = pkt_set_payload(&p, CAP, new, to);
	if (err)
		fail_msg("%zu -> %zu bytes: pkt_set_payload %d", from, to,
			 err);
	wlen = tu_build(t, new, to, want, CAP);
	if (p.len != wlen || p.paylen != to)
		fail_msg("%zu -> %zu bytes: len %zu paylen %u, expected %zu "
			 "and %zu", from, to, p.len, p.paylen, wlen, to);
	check_csums(&p);
	same_bytes(buf, want, wlen);

	/* what the setter left in *p is what a fresh parse finds */
	parse_ok(&q, buf, p.len);
	assert_int_equal(q.payoff, p.payoff);
	assert_int_equal(q.paylen, p.paylen);
	assert_int_equal(q.len, p.len);
}

static void set_payload_all_sizes(const struct tu_tcp *t)
{
	static const size_t sizes[] = {
		0, 1, 2, 3, 4, 5, 21, 22, 63, 64, 65, 512, 1399, 1400,
	};
	uint32_t seed = 0x600d;
	unsigned i, j;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		for (j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++)
			set_payload_matches_fresh_build(t, sizes[i],
							sizes[j], &seed);
}

static void test_set_payload_ipv4_grows_and_shrinks(void **state)
{
	struct tu_tcp t = tcp4;

	set_payload_all_sizes(&t);
	t.ip4_optlen = 12;
	t.ts = true;
	t.sack = sack4;
	t.nsack = 1;
	set_payload_all_sizes(&t);
}

static void test_set_payload_ipv6_grows_and_shrinks(void **state)
{
	struct tu_tcp t = tcp6;

	set_payload_all_sizes(&t);
	t.ip6_hbh = true;
	t.sack = sack4;
	t.nsack = 4;
	set_payload_all_sizes(&t);
}

static void test_set_payload_beyond_cap_returns_enospc(void **state)
{
	uint8_t buf[CAP], orig[CAP], pay[64] = "PORT 10,0,0,1,4,1\r\n";
	struct pkt p, before;
	size_t len = tu_build(&tcp4, cmd, strlen(cmd), buf, CAP);

	memcpy(orig, buf, len);
	parse_ok(&p, buf, len);
	before = p;
	/* three bytes of room, four more bytes of payload */
	assert_int_equal(pkt_set_payload(&p, len + 3, pay, strlen(cmd) + 4),
			 -ENOSPC);
	same_bytes(buf, orig, len);
	assert_memory_equal(&p, &before, sizeof(p));
	assert_int_equal(pkt_set_payload(&p, len + 3, pay, strlen(cmd) + 3),
			 0);
	assert_int_equal(p.len, len + 3);
	check_csums(&p);
}

static void test_set_payload_beyond_64k_returns_emsgsize(void **state)
{
	uint8_t *buf = calloc(1, BIG_CAP), *pay = calloc(1, BIG_CAP);
	struct pkt p;
	size_t len;

	assert_non_null(buf);
	assert_non_null(pay);
	memset(pay, 'x', BIG_CAP);

	/* IPv4: total length 65535 is the most */
	len = tu_build(&tcp4, cmd, strlen(cmd), buf, BIG_CAP);
	parse_ok(&p, buf, len);
	assert_int_equal(pkt_set_payload(&p, BIG_CAP, pay, 65535 - 40 + 1),
			 -EMSGSIZE);
	assert_int_equal(pkt_set_payload(&p, BIG_CAP, pay, 65536),
			 -EMSGSIZE);
	assert_int_equal(pkt_set_payload(&p, BIG_CAP, pay, 65535 - 40), 0);
	assert_int_equal(p.len, 65535);
	check_csums(&p);

	/* IPv6: payload length 65535 is the most */
	len = tu_build(&tcp6, cmd, strlen(cmd), buf, BIG_CAP);
	parse_ok(&p, buf, len);
	assert_int_equal(pkt_set_payload(&p, BIG_CAP, pay, 65535 - 20 + 1),
			 -EMSGSIZE);
	assert_int_equal(pkt_set_payload(&p, BIG_CAP, pay, 65535 - 20), 0);
	assert_int_equal(p.len, 40 + 65535);
	check_csums(&p);
	parse_ok(&p, buf, BIG_CAP);
	assert_int_equal(p.paylen, 65535 - 20);

	free(pay);
	free(buf);
}

static void test_checksums_are_checked_against_content(void **state)
{
	uint8_t buf[CAP];
	struct pkt p;
	size_t len;

	len = tu_build(&tcp4, cmd, strlen(cmd), buf, CAP);
	parse_ok(&p, buf, len);
	check_csums(&p);
	buf[len - 1] ^= 0x01;		/* payload bit */
	assert_false(pkt_csum_ok(&p));
	buf[len - 1] ^= 0x01;
	buf[8] ^= 0x01;			/* TTL bit: IPv4 header only */
	assert_false(pkt_csum_ok(&p));
	buf[8] ^= 0x01;
	assert_true(pkt_csum_ok(&p));

	len = tu_build(&tcp6, cmd, strlen(cmd), buf, CAP);
	parse_ok(&p, buf, len);
	check_csums(&p);
	buf[7] ^= 0x01;			/* hop limit: not covered */
	assert_true(pkt_csum_ok(&p));
	buf[39] ^= 0x01;		/* destination: pseudo-header */
	parse_ok(&p, buf, len);
	assert_false(pkt_csum_ok(&p));
}

/* pkt_parse_ports() gives 0 and these ports, or fails the test. */
static void ports_ok_at(const uint8_t *buf, size_t len, uint16_t sport,
			uint16_t dport, int line)
{
	struct pkt p;
	int ret = pkt_parse_ports(&p, buf, len);

	if (ret != PKT_OK)
		fail_msg("line %d: pkt_parse_ports: %s", line,
			 pkt_strerror(ret));
	if (p.sport != sport || p.dport != dport)
		fail_msg("line %d: ports %u -> %u, expected %u -> %u", line,
			 p.sport, p.dport, sport, dport);
	assert_null(p.data);
	assert_int_equal(p.paylen, 0);
}
#define ports_ok(buf, len, sport, dport) \
	ports_ok_at(buf, len, sport, dport, __LINE__)

static void test_ports_agree_with_full_parse_on_good_packets(void **state)
{
	uint8_t buf[CAP];
	struct pkt full, ports;
	size_t len;

	len = tu_build(&tcp4, cmd, strlen(cmd), buf, CAP);
	parse_ok(&full, buf, len);
	assert_int_equal(pkt_parse_ports(&ports, buf, len), PKT_OK);
	assert_int_equal(ports.family, AF_INET);
	assert_memory_equal(&ports.saddr, &full.saddr, sizeof(full.saddr));
	assert_memory_equal(&ports.daddr, &full.daddr, sizeof(full.daddr));
	assert_int_equal(ports.l4off, full.l4off);
	assert_int_equal(ports.sport, full.sport);
	assert_int_equal(ports.dport, full.dport);

	len = tu_build(&tcp6, cmd, strlen(cmd), buf, CAP);
	parse_ok(&full, buf, len);
	assert_int_equal(pkt_parse_ports(&ports, buf, len), PKT_OK);
	assert_int_equal(ports.family, AF_INET6);
	assert_memory_equal(&ports.saddr, &full.saddr, sizeof(full.saddr));
	assert_memory_equal(&ports.daddr, &full.daddr, sizeof(full.daddr));
	assert_int_equal(ports.sport, 50000);
	assert_int_equal(ports.dport, 21);
}

static void test_ports_survive_bad_tcp_headers_and_options(void **state)
{
	static const uint8_t opt[4] = { 2, 1, 0, 0 };
	uint8_t buf[CAP];
	size_t len = build_with_opts(buf, opt, 4);

	expect_err(buf, len, PKT_ERR_TCP_OPT);
	ports_ok(buf, len, 40000, 21);
	len = tu_build(&tcp4, cmd, strlen(cmd), buf, CAP);
	buf[20 + 12] = 0x40;		/* data offset 4 */
	expect_err(buf, len, PKT_ERR_TCP_DOFF);
	ports_ok(buf, len, 40000, 21);
}

static void test_ports_ignore_ip_length_fields(void **state)
{
	uint8_t buf[CAP];
	size_t len = tu_build(&tcp4, cmd, strlen(cmd), buf, CAP);

	put16(buf + 2, (uint16_t)(len + 100));
	expect_err(buf, len, PKT_ERR_IP_LEN);
	ports_ok(buf, len, 40000, 21);
	len = tu_build(&tcp6, cmd, strlen(cmd), buf, CAP);
	put16(buf + 4, 0xffff);
	expect_err(buf, len, PKT_ERR_IP_LEN);
	ports_ok(buf, len, 50000, 21);
}

static void test_ports_need_four_bytes_of_tcp(void **state)
{
	uint8_t buf[CAP];
	struct pkt p;

	tu_build(&tcp4, cmd, strlen(cmd), buf, CAP);
	assert_int_equal(pkt_parse_ports(&p, buf, 23), PKT_ERR_TCP_TRUNC);
	ports_ok(buf, 24, 40000, 21);
	tu_build(&tcp6, cmd, strlen(cmd), buf, CAP);
	assert_int_equal(pkt_parse_ports(&p, buf, 43), PKT_ERR_TCP_TRUNC);
	ports_ok(buf, 44, 50000, 21);
	assert_int_equal(pkt_parse_ports(&p, buf, 39), PKT_ERR_IP_TRUNC);
	assert_int_equal(pkt_parse_ports(&p, buf, 0), PKT_ERR_EMPTY);
}

static void test_ports_follow_the_ipv6_extension_chain(void **state)
{
	struct tu_tcp t = tcp6;
	uint8_t buf[CAP];

	t.ip6_hbh = true;
	tu_build(&t, cmd, strlen(cmd), buf, CAP);
	/* cut inside the TCP header: no full parse, but the ports are in */
	expect_err(buf, 48 + 10, PKT_ERR_IP_LEN);
	ports_ok(buf, 48 + 10, 50000, 21);
}

static void test_ports_of_fragments_and_other_protocols(void **state)
{
	uint8_t buf[CAP];
	struct pkt p;
	size_t len = tu_build(&tcp4, cmd, strlen(cmd), buf, CAP);

	put16(buf + 6, 0x2000);		/* MF: the first has them */
	ports_ok(buf, len, 40000, 21);
	put16(buf + 6, 0x0001);		/* a later one has none */
	assert_int_equal(pkt_parse_ports(&p, buf, len), PKT_ERR_FRAGMENT);
	put16(buf + 6, 0);
	buf[9] = IPPROTO_UDP;
	assert_int_equal(pkt_parse_ports(&p, buf, len), PKT_ERR_NOT_TCP);
	buf[0] = 0x55;
	assert_int_equal(pkt_parse_ports(&p, buf, len), PKT_ERR_VERSION);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_ports_agree_with_full_parse_on_good_packets),
		cmocka_unit_test(
			test_ports_survive_bad_tcp_headers_and_options),
		cmocka_unit_test(test_ports_ignore_ip_length_fields),
		cmocka_unit_test(test_ports_need_four_bytes_of_tcp),
		cmocka_unit_test(test_ports_follow_the_ipv6_extension_chain),
		cmocka_unit_test(test_ports_of_fragments_and_other_protocols),
		cmocka_unit_test(test_ipv4_fields_are_parsed_in_host_order),
		cmocka_unit_test(test_ipv6_fields_are_parsed_in_host_order),
		cmocka_unit_test(test_parsed_addresses_print_as_built),
		cmocka_unit_test(test_ipv4_options_move_the_tcp_header),
		cmocka_unit_test(test_ipv6_hop_by_hop_is_skipped),
		cmocka_unit_test(test_ipv6_full_extension_chain_is_walked),
		cmocka_unit_test(
			test_trailing_bytes_beyond_ip_length_are_ignored),
		cmocka_unit_test(test_sack_blocks_are_parsed),
		cmocka_unit_test(test_timestamp_alone_has_no_sack_blocks),
		cmocka_unit_test(test_options_after_eol_are_ignored),
		cmocka_unit_test(test_empty_buffer_is_rejected),
		cmocka_unit_test(test_bogus_ip_version_is_rejected),
		cmocka_unit_test(test_ipv4_truncated_header_is_rejected),
		cmocka_unit_test(test_ipv6_truncated_header_is_rejected),
		cmocka_unit_test(test_ipv4_ihl_below_five_is_rejected),
		cmocka_unit_test(test_ipv4_ihl_beyond_buffer_is_rejected),
		cmocka_unit_test(
			test_ipv4_total_length_beyond_buffer_is_rejected),
		cmocka_unit_test(
			test_ipv4_total_length_inside_header_is_rejected),
		cmocka_unit_test(
			test_ipv6_payload_length_beyond_buffer_is_rejected),
		cmocka_unit_test(test_ipv4_fragments_are_rejected),
		cmocka_unit_test(test_ipv6_fragment_header_is_rejected),
		cmocka_unit_test(
			test_ipv6_extension_header_beyond_packet_is_rejected),
		cmocka_unit_test(
			test_ipv6_hop_by_hop_after_first_header_is_rejected),
		cmocka_unit_test(test_ipv6_extension_chain_walk_is_bounded),
		cmocka_unit_test(test_ipv4_non_tcp_is_rejected),
		cmocka_unit_test(test_ipv6_non_tcp_is_rejected),
		cmocka_unit_test(
			test_tcp_header_shorter_than_twenty_bytes_is_rejected),
		cmocka_unit_test(test_tcp_data_offset_below_five_is_rejected),
		cmocka_unit_test(
			test_tcp_data_offset_beyond_packet_is_rejected),
		cmocka_unit_test(test_tcp_option_length_below_two_is_rejected),
		cmocka_unit_test(test_tcp_option_beyond_header_is_rejected),
		cmocka_unit_test(
			test_tcp_option_without_length_byte_is_rejected),
		cmocka_unit_test(test_tcp_sack_with_partial_block_is_rejected),
		cmocka_unit_test(test_duplicate_sack_option_is_rejected),
		cmocka_unit_test(
			test_every_error_code_has_a_distinct_message),
		cmocka_unit_test(test_truncation_at_every_length_is_rejected),
		cmocka_unit_test(
			test_corrupted_packets_never_read_out_of_bounds),
		cmocka_unit_test(test_set_seq_and_ack_keep_checksums_valid),
		cmocka_unit_test(test_set_sack_keeps_checksums_valid),
		cmocka_unit_test(
			test_set_sack_at_odd_offset_keeps_checksums_valid),
		cmocka_unit_test(test_sack_index_beyond_nsack_is_ignored),
		cmocka_unit_test(test_set_payload_ipv4_grows_and_shrinks),
		cmocka_unit_test(test_set_payload_ipv6_grows_and_shrinks),
		cmocka_unit_test(test_set_payload_beyond_cap_returns_enospc),
		cmocka_unit_test(
			test_set_payload_beyond_64k_returns_emsgsize),
		cmocka_unit_test(test_checksums_are_checked_against_content),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
