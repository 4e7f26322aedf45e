/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internet checksum arithmetic (RFC 1071, RFC 1624).
 *
 * Partial sums are sums of big-endian 16-bit words, so a partial sum means
 * the same number on every host and callers can add pseudo-header fields
 * to it as plain integers. Only the 16-bit values that are read from or
 * written to a header are in network order.
 */
#include <arpa/inet.h>

#include "csum.h"

/* End-around carry until the value fits in 16 bits. */
static uint16_t csum_fold16(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

uint32_t csum_partial(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *b = buf;
	uint64_t acc = sum;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		acc += (uint32_t)b[i] << 8 | b[i + 1];
	/* RFC 1071: an odd trailing byte is padded with a zero on the right */
	if (len & 1)
		acc += (uint32_t)b[len - 1] << 8;

	/*
	 * Folding 64 -> 32 bits with end-around carry keeps the value
	 * congruent mod 0xffff, which is all a one's complement sum needs.
	 */
	while (acc >> 32)
		acc = (acc & 0xffffffff) + (acc >> 32);
	return (uint32_t)acc;
}

uint16_t csum_fold(uint32_t sum)
{
	return htons((uint16_t)~csum_fold16(sum));
}

/*
 * RFC 1624 eqn. 3 on sums. ~fold(old) is the one's complement negative of
 * old, so the result is the checksum of the data with old taken out and
 * new put in. As long as the data sum stays a positive integer, the fold
 * gives the same representation (never -0) as a from-scratch computation.
 */
uint16_t csum_replace_sum(uint16_t check, uint32_t old, uint32_t new)
{
	uint64_t acc;

	acc = (uint16_t)~ntohs(check);
	acc += (uint16_t)~csum_fold16(old);
	acc += csum_fold16(new);
	return htons((uint16_t)~csum_fold16(acc));
}

uint16_t csum_replace2(uint16_t check, uint16_t old, uint16_t new)
{
	return csum_replace_sum(check, ntohs(old), ntohs(new));
}

uint16_t csum_replace4(uint16_t check, uint32_t old, uint32_t new)
{
	uint32_t o = ntohl(old), n = ntohl(new);

	return csum_replace_sum(check, (o >> 16) + (o & 0xffff),
				(n >> 16) + (n & 0xffff));
}
