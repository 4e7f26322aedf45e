/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internet checksum helpers against RFC examples and full recomputation. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

/* cmocka hands every test a state pointer; these tests keep none */
#pragma GCC diagnostic ignored "-Wunused-parameter"

#include <string.h>
#include <arpa/inet.h>

#include "csum.h"

#define RAND_ITERS	5000
#define BUF_LEN		64

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
	/*
	 * Keep the sum a positive integer, as in any real header (version
	 * and protocol fields are never all zero): the all-zero buffer is
	 * the one case where incremental and full results may differ in
	 * their encoding of zero.
	 */
	if (len)
		b[0] |= 0x40;
}

static uint16_t full(const uint8_t *b, size_t len)
{
	return csum_fold(csum_partial(b, len, 0));
}

/* RFC 1071 section 3 worked example. */
static void test_csum_partial_matches_rfc1071_example(void **state)
{
	static const uint8_t b[] = {
		0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7,
	};

	assert_int_equal(csum_partial(b, sizeof(b), 0), 0x2ddf0);
	assert_int_equal(ntohs(csum_fold(0x2ddf0)), (uint16_t)~0xddf2);
}

static void test_csum_partial_pads_odd_length_with_zero(void **state)
{
	static const uint8_t b[] = { 0x12, 0x34, 0x56 };

	assert_int_equal(csum_partial(b, 3, 0), 0x1234 + 0x5600);
	assert_int_equal(csum_partial(b, 1, 7), 0x1200 + 7);
	assert_int_equal(csum_partial(b, 0, 7), 7);
}

static void test_csum_partial_chains_at_even_splits(void **state)
{
	uint32_t seed = 0x1234567;
	uint8_t b[BUF_LEN + 1];
	size_t split;

	fill_random(b, sizeof(b), &seed);
	for (split = 0; split <= sizeof(b); split += 2) {
		uint32_t s = csum_partial(b, split, 0);

		s = csum_partial(b + split, sizeof(b) - split, s);
		if (full(b, sizeof(b)) != csum_fold(s))
			fail_msg("split at %zu: %#06x, whole buffer %#06x",
				 split, ntohs(csum_fold(s)),
				 ntohs(full(b, sizeof(b))));
	}
}

static void test_csum_partial_survives_32bit_overflow(void **state)
{
	static const uint8_t b[] = { 0xff, 0xff, 0xff, 0xff };

	/* 0xffffffff + 0x1fffe wraps; end-around carry must keep it */
	assert_int_equal(ntohs(csum_fold(csum_partial(b, 4, 0xffffffff))),
			 (uint16_t)~0xffff);
	assert_int_equal(ntohs(csum_fold(csum_partial(b, 4, 0x12345))),
			 (uint16_t)~((0x1 + 0x2345 + 0x1fffe) % 0xffff));
}

static void test_csum_fold_carries_end_around(void **state)
{
	assert_int_equal(ntohs(csum_fold(0x1ffff)), (uint16_t)~0x0001);
	assert_int_equal(ntohs(csum_fold(0xffffffff)), (uint16_t)~0xffff);
	assert_int_equal(ntohs(csum_fold(0x0000ffff)), 0x0000);
	assert_int_equal(ntohs(csum_fold(0)), 0xffff);
}

static void test_csum_replace2_matches_full_recompute(void **state)
{
	uint32_t seed = 0xc0ffee;
	uint8_t b[BUF_LEN];
	int i;

	for (i = 0; i < RAND_ITERS; i++) {
		size_t off = 2 + 2 * (rnd(&seed) % (BUF_LEN / 2 - 1));
		uint16_t check, old, new = (uint16_t)rnd(&seed);

		fill_random(b, sizeof(b), &seed);
		check = full(b, sizeof(b));
		memcpy(&old, b + off, 2);
		memcpy(b + off, &new, 2);
		check = csum_replace2(check, old, new);
		if (check != full(b, sizeof(b)))
			fail_msg("iteration %d, offset %zu, %#06x -> %#06x: "
				 "incremental %#06x, full %#06x", i, off,
				 ntohs(old), ntohs(new), ntohs(check),
				 ntohs(full(b, sizeof(b))));
	}
}

static void test_csum_replace4_matches_full_recompute(void **state)
{
	uint32_t seed = 0xdecade;
	uint8_t b[BUF_LEN];
	int i;

	for (i = 0; i < RAND_ITERS; i++) {
		size_t off = 2 + 2 * (rnd(&seed) % (BUF_LEN / 2 - 2));
		uint32_t old, new = rnd(&seed);
		uint16_t check;

		/* now and then the extremes, where -0 would show up */
		if (i % 7 == 0)
			new = i % 14 ? 0 : 0xffffffff;
		fill_random(b, sizeof(b), &seed);
		check = full(b, sizeof(b));
		memcpy(&old, b + off, 4);
		memcpy(b + off, &new, 4);
		check = csum_replace4(check, old, new);
		if (check != full(b, sizeof(b)))
			fail_msg("iteration %d, offset %zu, %#010x -> %#010x: "
				 "incremental %#06x, full %#06x", i, off,
				 ntohl(old), ntohl(new), ntohs(check),
				 ntohs(full(b, sizeof(b))));
	}
}

static void test_csum_replace_sum_matches_full_recompute(void **state)
{
	uint32_t seed = 0xfeed;
	uint8_t b[BUF_LEN], repl[BUF_LEN];
	int i;

	for (i = 0; i < RAND_ITERS; i++) {
		size_t off = 2 + 2 * (rnd(&seed) % (BUF_LEN / 2 - 1));
		size_t len = rnd(&seed) % (BUF_LEN - off + 1);
		uint32_t old;
		uint16_t check;

		/* an odd span only at the end, where the zero pad applies */
		if (off + len < BUF_LEN)
			len &= ~(size_t)1;
		fill_random(b, sizeof(b), &seed);
		fill_random(repl, len, &seed);
		check = full(b, sizeof(b));
		old = csum_partial(b + off, len, 0);
		memcpy(b + off, repl, len);
		check = csum_replace_sum(check, old,
					 csum_partial(repl, len, 0));
		if (check != full(b, sizeof(b)))
			fail_msg("iteration %d, %zu bytes at %zu: incremental "
				 "%#06x, full %#06x", i, len, off,
				 ntohs(check), ntohs(full(b, sizeof(b))));
	}
}

static void test_csum_replace_with_same_value_keeps_checksum(void **state)
{
	uint16_t check = htons(0x1234);
	uint32_t v = htonl(0xdeadbeef);

	assert_int_equal(ntohs(csum_replace2(check, htons(7), htons(7))),
			 0x1234);
	assert_int_equal(ntohs(csum_replace4(check, v, v)), 0x1234);
	assert_int_equal(ntohs(csum_replace_sum(check, 99, 99)), 0x1234);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csum_partial_matches_rfc1071_example),
		cmocka_unit_test(test_csum_partial_pads_odd_length_with_zero),
		cmocka_unit_test(test_csum_partial_chains_at_even_splits),
		cmocka_unit_test(test_csum_partial_survives_32bit_overflow),
		cmocka_unit_test(test_csum_fold_carries_end_around),
		cmocka_unit_test(test_csum_replace2_matches_full_recompute),
		cmocka_unit_test(test_csum_replace4_matches_full_recompute),
		cmocka_unit_test(test_csum_replace_sum_matches_full_recompute),
		cmocka_unit_test(
			test_csum_replace_with_same_value_keeps_checksum),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
