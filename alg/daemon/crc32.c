// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * CRC-32 (crc32.h) by slicing-by-8. t[0] is the classic byte table: the
 * CRC of one byte b shifted through eight zero bits. t[k][b] is the same
 * byte followed by k zero bytes, so eight bytes fold into the CRC with
 * eight independent lookups instead of eight dependent ones:
 *
 *	c ^= bytes 0..3 (little-endian)
 *	c  = t[7][c0] ^ t[6][c1] ^ t[5][c2] ^ t[4][c3]
 *	   ^ t[3][b4] ^ t[2][b5] ^ t[1][b6] ^ t[0][b7]
 *
 * The bytes are combined by hand, not loaded as a word, so the result
 * does not depend on the host's byte order (compilers fuse the loads).
 */
#include <pthread.h>

#include "crc32.h"

#define CRC32_POLY	0xedb88320u

static uint32_t crc_t[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

/* Once per process, whichever thread comes first: never half built. */
static void crc32_tables(void)
{
	uint32_t c, i, k;

	for (i = 0; i < 256; i++) {
		for (c = i, k = 0; k < 8; k++)
			c = c & 1 ? CRC32_POLY ^ (c >> 1) : c >> 1;
		crc_t[0][i] = c;
	}
	for (i = 0; i < 256; i++)
		for (k = 1; k < 8; k++)
			crc_t[k][i] = crc_t[k - 1][i] >> 8 ^
				      crc_t[0][crc_t[k - 1][i] & 0xff];
}

static uint32_t crc32_bytes(uint32_t c, const uint8_t *p, size_t n)
{
	while (n--)
		c = crc_t[0][(c ^ *p++) & 0xff] ^ c >> 8;
	return c;
}

uint32_t crc32_ieee_bytewise(const void *p, size_t n)
{
	pthread_once(&crc_once, crc32_tables);
	return crc32_bytes(0xffffffffu, p, n) ^ 0xffffffffu;
}

uint32_t crc32_ieee(const void *buf, size_t n)
{
	const uint8_t *p = buf;
	uint32_t c = 0xffffffffu;

	pthread_once(&crc_once, crc32_tables);
	for (; n >= 8; p += 8, n -= 8) {
		c ^= (uint32_t)p[0] | (uint32_t)p[1] << 8 |
		     (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
		c = crc_t[7][c & 0xff] ^ crc_t[6][c >> 8 & 0xff] ^
		    crc_t[5][c >> 16 & 0xff] ^ crc_t[4][c >> 24] ^
		    crc_t[3][p[4]] ^ crc_t[2][p[5]] ^ crc_t[1][p[6]] ^
		    crc_t[0][p[7]];
	}
	return crc32_bytes(c, p, n) ^ 0xffffffffu;
}
