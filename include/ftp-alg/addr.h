/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Addresses and endpoints shared by the engine and the daemon. */
#ifndef FTP_ALG_ADDR_H
#define FTP_ALG_ADDR_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>

union alg_addr {
	struct in_addr v4;
	struct in6_addr v6;
	uint8_t b[16];
};

/* family is AF_INET, AF_INET6, or AF_UNSPEC for "port only" (229 reply). */
struct alg_endpoint {
	int family;
	union alg_addr addr;
	uint16_t port;		/* host order */
};

/* Each memcmp() of a constant size, which the compiler inlines: the
 * daemon compares addresses in loops over its pinholes. */
static inline bool alg_addr_eq(int family, const union alg_addr *a,
			       const union alg_addr *b)
{
	return family == AF_INET ? memcmp(a, b, 4) == 0
				 : memcmp(a, b, 16) == 0;
}

/* "192.0.2.1" or "2001:db8::1"; buf needs INET6_ADDRSTRLEN. */
const char *alg_addr_str(int family, const union alg_addr *a, char *buf,
			 size_t len);

#endif
