/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the unit tests: build real packets with valid sums. */
#ifndef FTP_ALG_TESTUTIL_H
#define FTP_ALG_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>
#include "ftp-alg/addr.h"

struct tu_tcp {
	int family;		/* AF_INET or AF_INET6 */
	const char *src, *dst;	/* textual addresses */
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;		/* TCPF_*; 0 means ACK|PSH */
	uint16_t win;		/* 0 means 65535 */
	const uint32_t *sack;	/* pairs left,right; nsack of them */
	unsigned nsack;
	bool ts;		/* add a timestamp option (NOP NOP TS) */
	unsigned ip4_optlen;	/* IPv4 options (NOPs + EOL), multiple of 4 */
	bool ip6_hbh;		/* IPv6: insert a hop-by-hop header */
};

/*
 * Build an IP+TCP packet carrying pay[0..n) into buf (cap bytes) with
 * correct IPv4 and TCP checksums. Returns the packet length; aborts the
 * test (fail_msg) if it does not fit.
 */
size_t tu_build(const struct tu_tcp *t, const void *pay, size_t n,
		uint8_t *buf, size_t cap);

/* Parse a textual address of either family into a; aborts on error. */
void tu_addr(int family, const char *s, union alg_addr *a);

#endif
