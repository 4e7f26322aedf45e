/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Packet builder for the unit tests. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <arpa/inet.h>

#include "ftp-alg/packet.h"
#include "testutil.h"

#define TU_TSVAL	0x01020304
#define TU_TSECR	0x05060708
#define TU_IP4_ID	0x1c46

/*
 * A byte-at-a-time checksum, deliberately not csum_partial(): packets
 * built here are the reference the engine's checksum code is judged
 * against, so they must not share its bugs. buf must start on a word.
 */
static uint32_t tu_sum(const uint8_t *buf, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i < len; i++)
		sum += (i & 1) ? buf[i] : (uint32_t)buf[i] << 8;
	return sum;
}

static uint16_t tu_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void tu_put16(uint8_t *b, uint16_t v)
{
	b[0] = v >> 8;
	b[1] = v & 0xff;
}

static void tu_put32(uint8_t *b, uint32_t v)
{
	tu_put16(b, v >> 16);
	tu_put16(b + 2, v & 0xffff);
}

void tu_addr(int family, const char *s, union alg_addr *a)
{
	memset(a, 0, sizeof(*a));
	if ((family != AF_INET && family != AF_INET6) ||
	    inet_pton(family, s, a) != 1)
		fail_msg("tu_addr: '%s' is not an address of family %d",
			 s, family);
}

/* TCP options: NOP NOP TS, then NOP NOP SACK, as Linux lays them out. */
static size_t tu_tcp_opts(const struct tu_tcp *t, uint8_t *o)
{
	size_t len = 0;
	unsigned i;

	if (t->ts) {
		o[len++] = 1;
		o[len++] = 1;
		o[len++] = 8;
		o[len++] = 10;
		tu_put32(o + len, TU_TSVAL);
		tu_put32(o + len + 4, TU_TSECR);
		len += 8;
	}
	if (t->nsack) {
		if (len + 4 + 8 * (size_t)t->nsack > 40) {
			fail_msg("tu_build: %u SACK blocks%s exceed 40 bytes "
				 "of TCP options", t->nsack,
				 t->ts ? " plus a timestamp" : "");
			return 0;
		}
		o[len++] = 1;
		o[len++] = 1;
		o[len++] = 5;
		o[len++] = (uint8_t)(2 + 8 * t->nsack);
		/* bounded here too: the compiler cannot see fail_msg end */
		for (i = 0; i < 2 * t->nsack && len + 4 <= 40; i++, len += 4)
			tu_put32(o + len, t->sack[i]);
	}
	return len;
}

size_t tu_build(const struct tu_tcp *t, const void *pay, size_t n,
		uint8_t *buf, size_t cap)
{
	union alg_addr src, dst;
	uint8_t opts[40], pseudo[40], *th;
	size_t optlen, iphlen, tcplen, total, alen;
	uint32_t sum;

	tu_addr(t->family, t->src, &src);
	tu_addr(t->family, t->dst, &dst);
	optlen = tu_tcp_opts(t, opts);

	if (t->family == AF_INET) {
		if (t->ip4_optlen % 4 || t->ip4_optlen > 40) {
			fail_msg("tu_build: IPv4 option length %u is not a "
				 "multiple of 4 up to 40", t->ip4_optlen);
			return 0;
		}
		iphlen = 20 + t->ip4_optlen;
	} else {
		iphlen = 40 + (t->ip6_hbh ? 8 : 0);
	}
	tcplen = 20 + optlen + n;
	total = iphlen + tcplen;
	if (total > cap) {
		fail_msg("tu_build: %zu byte packet does not fit in %zu",
			 total, cap);
		return 0;
	}
	if ((t->family == AF_INET ? total : total - 40) > 65535) {
		fail_msg("tu_build: %zu byte packet exceeds the IP length "
			 "field", total);
		return 0;
	}
	memset(buf, 0, total);

	if (t->family == AF_INET) {
		alen = 4;
		buf[0] = (uint8_t)(0x40 | iphlen / 4);
		tu_put16(buf + 2, (uint16_t)total);
		tu_put16(buf + 4, TU_IP4_ID);
		tu_put16(buf + 6, 0x4000);	/* DF */
		buf[8] = 64;
		buf[9] = IPPROTO_TCP;
		memcpy(buf + 12, &src, 4);
		memcpy(buf + 16, &dst, 4);
		if (t->ip4_optlen) {
			memset(buf + 20, 1, t->ip4_optlen - 1);
			buf[iphlen - 1] = 0;
		}
		tu_put16(buf + 10, tu_fold(tu_sum(buf, iphlen, 0)));
	} else {
		alen = 16;
		buf[0] = 0x60;
		tu_put16(buf + 4, (uint16_t)(total - 40));
		buf[6] = t->ip6_hbh ? 0 : IPPROTO_TCP;
		buf[7] = 64;
		memcpy(buf + 8, &src, 16);
		memcpy(buf + 24, &dst, 16);
		if (t->ip6_hbh) {
			buf[40] = IPPROTO_TCP;
			buf[41] = 0;
			buf[42] = 1;	/* PadN */
			buf[43] = 4;
		}
	}

	th = buf + iphlen;
	tu_put16(th, t->sport);
	tu_put16(th + 2, t->dport);
	tu_put32(th + 4, t->seq);
	tu_put32(th + 8, t->ack);
	th[12] = (uint8_t)(((20 + optlen) / 4) << 4);
	th[13] = t->flags ? t->flags : TCPF_ACK | TCPF_PSH;
	tu_put16(th + 14, t->win ? t->win : 65535);
	memcpy(th + 20, opts, optlen);
	if (n)
		memcpy(th + 20 + optlen, pay, n);

	/* pseudo-header: addresses, zero, protocol, TCP length */
	memcpy(pseudo, &src, alen);
	memcpy(pseudo + alen, &dst, alen);
	sum = tu_sum(pseudo, 2 * alen, 0);
	sum += IPPROTO_TCP + (uint32_t)(tcplen >> 16) + (tcplen & 0xffff);
	tu_put16(th + 16, tu_fold(tu_sum(th, tcplen, sum)));
	return total;
}
