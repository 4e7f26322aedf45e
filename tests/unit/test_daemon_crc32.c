// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * crc32_ieee() (slicing-by-8) gives the values of the one-byte-a-step
 * table and of the bit-at-a-time definition: known vectors, and random
 * data at every alignment and many lengths, so journals written before
 * the change still load.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#pragma GCC diagnostic ignored "-Wunused-parameter"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crc32.h"

/* The definition, one bit at a time: no table shared with the code. */
static uint32_t crc_bits(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	int k;

	while (n--) {
		c ^= *p++;
		for (k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
	}
	return c ^ 0xffffffffu;
}

static void test_known_vectors(void **state)
{
	static const struct {
		const char *s;
		uint32_t crc;
	} v[] = {
		{ "", 0 },
		{ "a", 0xe8b7be43u },
		{ "123456789", 0xcbf43926u },
		{ "The quick brown fox jumps over the lazy dog", 0x414fa339u },
	};
	unsigned i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(crc32_ieee(v[i].s, strlen(v[i].s)), v[i].crc);
		assert_int_equal(crc32_ieee_bytewise(v[i].s, strlen(v[i].s)),
				 v[i].crc);
		assert_int_equal(crc_bits((const uint8_t *)v[i].s,
					  strlen(v[i].s)), v[i].crc);
	}
}

/* 32 zero bytes and 32 0xff bytes: the iSCSI-style test patterns. */
static void test_constant_blocks(void **state)
{
	uint8_t b[32];

	memset(b, 0, sizeof(b));
	assert_int_equal(crc32_ieee(b, sizeof(b)), 0x190a55adu);
	memset(b, 0xff, sizeof(b));
	assert_int_equal(crc32_ieee(b, sizeof(b)), 0xff6cab0bu);
}

static void test_random_data_at_every_alignment_matches(void **state)
{
	static uint8_t buf[4096 + 16];
	unsigned i, round;
	size_t len, align;
	uint32_t fast, slow;

	srand(20261201);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rand();
	for (align = 0; align < 16; align++) {
		for (len = 0; len <= 64; len++) {
			fast = crc32_ieee(buf + align, len);
			slow = crc32_ieee_bytewise(buf + align, len);
			if (fast != slow)
				fail_msg("align %zu len %zu: %08x, bytewise "
					 "%08x", align, len, fast, slow);
		}
	}
	for (round = 0; round < 2000; round++) {
		align = (size_t)rand() % 16;
		len = (size_t)rand() % 4097;
		fast = crc32_ieee(buf + align, len);
		slow = crc32_ieee_bytewise(buf + align, len);
		if (fast != slow || (round % 50 == 0 &&
				     fast != crc_bits(buf + align, len)))
			fail_msg("align %zu len %zu: %08x, bytewise %08x",
				 align, len, fast, slow);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_vectors),
		cmocka_unit_test(test_constant_blocks),
		cmocka_unit_test(test_random_data_at_every_alignment_matches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
