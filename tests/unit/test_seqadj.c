// SPDX-License-Identifier: GPL-2.0-or-later
/* The correction list: mapping, reverse mapping and rendering. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "seqadj.h"

#define BASE 0xfffffff0u	/* close to wrap-around on purpose */

static void add(struct seqadj *a, uint32_t pos, const char *old,
		const char *repl)
{
	assert_int_equal(seqadj_add(a, pos, (uint16_t)strlen(old),
				    (const uint8_t *)repl,
				    (uint16_t)strlen(repl)), 0);
}

/* Render in[0..] starting at seq, return it as a string in out. */
static const char *rend(const struct seqadj *a, uint32_t seq, const char *in,
			size_t len, char *out)
{
	size_t n = seqadj_render(a, seq, (const uint8_t *)in, len,
				 (uint8_t *)out);

	out[n] = '\0';
	return out;
}

static void test_no_corrections_is_identity(void **state)
{
	struct seqadj a;

	seqadj_init(&a);
	assert_int_equal(seqadj_map(&a, 1234), 1234);
	assert_int_equal(seqadj_unmap_ack(&a, 1234), 1234);
	assert_int_equal(seqadj_delta(&a, 1, 100), 0);
	seqadj_free(&a);
}

static void test_growth_shifts_later_seq_only(void **state)
{
	struct seqadj a;

	seqadj_init(&a);
	add(&a, BASE + 5, "10,0,1,2", "203,0,113,1");	/* +3 */
	assert_int_equal(seqadj_map(&a, BASE), BASE);
	assert_int_equal(seqadj_map(&a, BASE + 5), BASE + 5);
	assert_int_equal(seqadj_map(&a, BASE + 13), BASE + 16);
	assert_int_equal(seqadj_map(&a, BASE + 100), BASE + 103);
	assert_int_equal(seqadj_unmap_ack(&a, BASE + 103), BASE + 100);
	assert_int_equal(seqadj_unmap_ack(&a, BASE + 16), BASE + 13);
	seqadj_free(&a);
}

static void test_shrink_shifts_back(void **state)
{
	struct seqadj a;

	seqadj_init(&a);
	add(&a, 100, "192,168,100,200", "10,0,0,1");	/* -7 */
	assert_int_equal(seqadj_map(&a, 115), 108);
	assert_int_equal(seqadj_map(&a, 200), 193);
	assert_int_equal(seqadj_unmap_ack(&a, 193), 200);
	assert_int_equal(seqadj_delta(&a, 90, 30), -7);
	seqadj_free(&a);
}

static void test_ack_inside_grown_field_is_floored(void **state)
{
	struct seqadj a;

	seqadj_init(&a);
	add(&a, 100, "1,2", "11,22,33");		/* 3 -> 8 */
	/* output bytes 100..104 received: original 100..102 at most */
	assert_int_equal(seqadj_unmap_ack(&a, 101), 101);
	assert_int_equal(seqadj_unmap_ack(&a, 104), 102);
	assert_int_equal(seqadj_unmap_ack(&a, 107), 102);
	assert_int_equal(seqadj_unmap_ack(&a, 108), 103);
	/* a SACK left edge rounds the other way */
	assert_int_equal(seqadj_unmap_left(&a, 104), 103);
	assert_int_equal(seqadj_unmap_left(&a, 101), 101);
	seqadj_free(&a);
}

static void test_render_replaces_field(void **state)
{
	struct seqadj a;
	char out[128];
	const char *in = "PORT 10,0,1,2,4,1\r\n";

	seqadj_init(&a);
	add(&a, 1000 + 5, "10,0,1,2,4,1", "203,0,113,1,4,1");
	assert_string_equal(rend(&a, 1000, in, strlen(in), out),
			    "PORT 203,0,113,1,4,1\r\n");
	seqadj_free(&a);
}

/* Every way of cutting the input renders to pieces of the same output. */
static void test_render_split_at_every_byte_concatenates(void **state)
{
	const char *in = "NOOP\r\nPORT 10,0,1,2,4,1\r\nPORT 1,2,3,4,5,6\r\n";
	const char *want =
		"NOOP\r\nPORT 203,0,113,254,4,1\r\nPORT 9,5,6\r\n";
	size_t len = strlen(in), i, j;
	char out[3][128], all[400];
	struct seqadj a;

	seqadj_init(&a);
	add(&a, BASE + 11, "10,0,1,2,4,1", "203,0,113,254,4,1");
	add(&a, BASE + 30, "1,2,3,4,5,6", "9,5,6");
	for (i = 0; i <= len; i++) {
		for (j = i; j <= len; j++) {
			rend(&a, BASE, in, i, out[0]);
			rend(&a, BASE + i, in + i, j - i, out[1]);
			rend(&a, BASE + j, in + j, len - j, out[2]);
			snprintf(all, sizeof(all), "%s%s%s", out[0], out[1],
				 out[2]);
			if (strcmp(all, want))
				fail_msg("cut at %zu,%zu gave \"%s\"", i, j,
					 all);
			/* each piece starts where the mapping says */
			assert_int_equal(seqadj_map(&a, BASE + i),
					 (uint32_t)(BASE + strlen(out[0])));
			assert_int_equal(seqadj_map(&a, BASE + j),
					 (uint32_t)(BASE + strlen(out[0]) +
						    strlen(out[1])));
		}
	}
	seqadj_free(&a);
}

static void test_twenty_corrections_accumulate(void **state)
{
	char in[64], out[64];
	struct seqadj a;
	uint32_t pos;
	int i;

	seqadj_init(&a);
	for (i = 0; i < 20; i++)
		add(&a, 100 + 30u * i + 5, "10,0,1,2,4,1", "203,0,113,1,4,1");
	for (i = 0; i < 20; i++) {
		pos = 100 + 30u * i;
		assert_int_equal(seqadj_map(&a, pos), pos + 3u * i);
		snprintf(in, sizeof(in), "PORT 10,0,1,2,4,1\r\n");
		assert_string_equal(rend(&a, pos, in, strlen(in), out),
				    "PORT 203,0,113,1,4,1\r\n");
	}
	assert_int_equal(seqadj_unmap_ack(&a, 100 + 600 + 60), 100 + 600);
	seqadj_free(&a);
}

static void test_add_rejects_overlap_and_empty(void **state)
{
	struct seqadj a;

	seqadj_init(&a);
	add(&a, 100, "abcd", "xy");
	assert_int_equal(seqadj_add(&a, 102, 2, (const uint8_t *)"q", 1),
			 -EINVAL);
	assert_int_equal(seqadj_add(&a, 200, 0, (const uint8_t *)"q", 1),
			 -EINVAL);
	assert_int_equal(seqadj_add(&a, 104, 1, (const uint8_t *)"q", 1), 0);
	seqadj_free(&a);
}

static void test_full_list_refuses_then_folds_when_acked(void **state)
{
	struct seqadj a;
	unsigned i;

	seqadj_init(&a);
	for (i = 0; i < SEQADJ_MAX; i++)
		add(&a, 10u * i, "ab", "abc");
	assert_int_equal(seqadj_add(&a, 10000, 1, (const uint8_t *)"x", 1),
			 -ENOSPC);
	/* the peer acknowledged the first ten corrections */
	seqadj_acked(&a, 100);
	assert_int_equal(a.n, SEQADJ_MAX - 10);
	assert_int_equal(a.base, 10);
	/* mapping of later positions is unchanged by folding */
	assert_int_equal(seqadj_map(&a, 10u * 63 + 5), 10u * 63 + 5 + 64);
	assert_int_equal(seqadj_add(&a, 10000, 1, (const uint8_t *)"x", 1),
			 0);
	seqadj_free(&a);
}

static void test_wraparound_positions(void **state)
{
	struct seqadj a;
	char out[64];

	seqadj_init(&a);
	add(&a, 0xfffffffeu, "1,2,3,4", "5");		/* spans the wrap */
	assert_int_equal(seqadj_map(&a, 0xfffffffdu), 0xfffffffdu);
	assert_int_equal(seqadj_map(&a, 5), 5u - 6);
	assert_int_equal(seqadj_unmap_ack(&a, 5u - 6), 5);
	assert_string_equal(rend(&a, 0xfffffffcu, "xx1,2,3,4yy", 11, out),
			    "xx5yy");
	seqadj_free(&a);
}

static void test_open_field_renders_before_its_end(void **state)
{
	struct seqadj a;
	char out[64];

	seqadj_init(&a);
	/* "PORT 10,0" has arrived: the address is open at 1005 */
	assert_int_equal(seqadj_open(&a, 1005, (const uint8_t *)"203,0,113,1",
				     11), 0);
	seqadj_open_seen(&a, 4);
	assert_string_equal(rend(&a, 1000, "PORT 10,0", 9, out), "PORT 203,");
	assert_int_equal(seqadj_map(&a, 1009), 1009);
	/* the peer acks all of it: no more than the 9 bytes seen */
	assert_int_equal(seqadj_unmap_ack(&a, 1009), 1009);
	assert_true(seqadj_close(&a, (const uint8_t *)"10,0,1,2", 8, ','));
	assert_string_equal(rend(&a, 1009, ",1,2,4,1", 8, out),
			    "0,113,1,4,1");
	assert_int_equal(seqadj_map(&a, 1013), 1016);
	seqadj_free(&a);
}

static void test_open_field_ending_at_boundary_takes_terminator(void **state)
{
	struct seqadj a;
	char out[64], all[128];

	seqadj_init(&a);
	seqadj_open(&a, 1005, (const uint8_t *)"203,0,113,1", 11);
	seqadj_open_seen(&a, 8);
	rend(&a, 1000, "PORT 10,0,1,2", 13, out);	/* went out as is */
	snprintf(all, sizeof(all), "%s", out);
	/* the address ended exactly there: the comma carries the rest */
	assert_true(seqadj_close(&a, (const uint8_t *)"10,0,1,2", 8, ','));
	rend(&a, 1013, ",4,1\r\n", 6, out);
	strncat(all, out, sizeof(all) - strlen(all) - 1);
	assert_string_equal(all, "PORT 203,0,113,1,4,1\r\n");
	seqadj_free(&a);
}

static void test_open_field_cut_when_stream_stops(void **state)
{
	struct seqadj a;
	char out[64];

	seqadj_init(&a);
	seqadj_open(&a, 1005, (const uint8_t *)"203,0,113,1", 11);
	seqadj_open_seen(&a, 4);
	rend(&a, 1000, "PORT 10,0", 9, out);
	/* no byte follows: keep what went out, nothing more */
	assert_true(seqadj_close(&a, (const uint8_t *)"10,0", 4, -1));
	assert_int_equal(seqadj_map(&a, 1009), 1009);
	assert_int_equal(seqadj_map(&a, 1010), 1010);
	seqadj_free(&a);
}

static void test_identical_open_field_disappears(void **state)
{
	struct seqadj a;

	seqadj_init(&a);
	seqadj_open(&a, 5, (const uint8_t *)"1,2,3,4", 7);
	seqadj_open_seen(&a, 3);
	assert_false(seqadj_close(&a, (const uint8_t *)"1,2,3,4", 7, ','));
	assert_int_equal(a.n, 0);
	seqadj_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_corrections_is_identity),
		cmocka_unit_test(test_growth_shifts_later_seq_only),
		cmocka_unit_test(test_shrink_shifts_back),
		cmocka_unit_test(test_ack_inside_grown_field_is_floored),
		cmocka_unit_test(test_render_replaces_field),
		cmocka_unit_test(test_render_split_at_every_byte_concatenates),
		cmocka_unit_test(test_twenty_corrections_accumulate),
		cmocka_unit_test(test_add_rejects_overlap_and_empty),
		cmocka_unit_test(test_full_list_refuses_then_folds_when_acked),
		cmocka_unit_test(test_wraparound_positions),
		cmocka_unit_test(test_open_field_renders_before_its_end),
		cmocka_unit_test(test_open_field_ending_at_boundary_takes_terminator),
		cmocka_unit_test(test_open_field_cut_when_stream_stops),
		cmocka_unit_test(test_identical_open_field_disappears),
	};

	return cmocka_run_group_tests_name("seqadj", tests, NULL, NULL);
}
