// SPDX-License-Identifier: GPL-2.0-or-later
/* queue = N | N-M and --queues N (queue_range.c), and the key's round trip. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"
#include "queue_range.h"
#include "workers.h"

static void test_single_queue_is_a_range_of_one(void **state)
{
	uint16_t first = 9, n = 9;
	char why[128];

	(void)state;
	assert_true(queue_range_parse("0", &first, &n, why, sizeof(why)));
	assert_int_equal(first, 0);
	assert_int_equal(n, 1);
	assert_true(queue_range_parse("65535", &first, &n, why, sizeof(why)));
	assert_int_equal(first, 65535);
	assert_int_equal(n, 1);
}

static void test_range_gives_first_and_count(void **state)
{
	uint16_t first, n;
	char why[128];

	(void)state;
	assert_true(queue_range_parse("0-3", &first, &n, why, sizeof(why)));
	assert_int_equal(first, 0);
	assert_int_equal(n, 4);
	assert_true(queue_range_parse("100-100", &first, &n, why, sizeof(why)));
	assert_int_equal(first, 100);
	assert_int_equal(n, 1);
	assert_true(queue_range_parse("10-73", &first, &n, why, sizeof(why)));
	assert_int_equal(n, QUEUE_WORKERS_MAX);
}

static void test_bad_ranges_are_refused_and_change_nothing(void **state)
{
	static const char *const bad[] = {
		"", "-", "3-", "-3", "3-1", "0-64", "1-65536", "65536", "0-3x",
		"0 -3", "0--3", "x", "1,2",
	};
	uint16_t first = 7, n = 2;
	char why[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		assert_false(queue_range_parse(bad[i], &first, &n, why,
					       sizeof(why)));
		assert_true(why[0] != '\0');
		assert_int_equal(first, 7);
		assert_int_equal(n, 2);
	}
	assert_false(queue_range_parse("3-1", &first, &n, why, sizeof(why)));
	assert_non_null(strstr(why, "ends before it starts"));
	assert_false(queue_range_parse("0-64", &first, &n, why, sizeof(why)));
	assert_non_null(strstr(why, "65 queues"));
}

static void test_queues_flag_counts_from_the_first(void **state)
{
	uint16_t n = 1;
	char why[128];

	(void)state;
	assert_true(queue_count_parse("2", 0, &n, why, sizeof(why)));
	assert_int_equal(n, 2);
	assert_true(queue_count_parse("64", 65472, &n, why, sizeof(why)));
	assert_int_equal(n, 64);
	assert_false(queue_count_parse("0", 0, &n, why, sizeof(why)));
	assert_false(queue_count_parse("65", 0, &n, why, sizeof(why)));
	assert_false(queue_count_parse("2", 65535, &n, why, sizeof(why)));
	assert_non_null(strstr(why, "pass 65535"));
	assert_false(queue_count_parse("2x", 0, &n, why, sizeof(why)));
	assert_int_equal(n, 64);
}

static void test_range_prints_back(void **state)
{
	char buf[16];

	(void)state;
	queue_range_str(0, 1, buf, sizeof(buf));
	assert_string_equal(buf, "0");
	queue_range_str(4, 4, buf, sizeof(buf));
	assert_string_equal(buf, "4-7");
}

static int parse_str(struct alg_config *c, const char *text, char *err,
		     size_t len)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int ret;

	assert_non_null(f);
	ret = config_parse(c, f, "t.conf", err, len);
	fclose(f);
	return ret;
}

static void test_config_key_takes_a_range(void **state)
{
	struct alg_config c;
	char err[CONFIG_ERR_LEN];

	(void)state;
	config_default(&c);
	assert_int_equal(c.queue, 0);
	assert_int_equal(c.queues, 1);
	assert_int_equal(parse_str(&c, "queue = 2-5\n", err, sizeof(err)), 0);
	assert_int_equal(c.queue, 2);
	assert_int_equal(c.queues, 4);
	assert_int_equal(parse_str(&c, "queue = 7\n", err, sizeof(err)), 0);
	assert_int_equal(c.queue, 7);
	assert_int_equal(c.queues, 1);
	assert_int_not_equal(parse_str(&c, "queue = 5-2\n", err, sizeof(err)),
			     0);
	assert_non_null(strstr(err, "ends before it starts"));
	assert_int_equal(c.queue, 7);
	assert_int_equal(c.queues, 1);
}

static void test_worker_journals_are_named_by_index(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(worker_journal_path("/run/x/state", 0, buf,
					     sizeof(buf)), 0);
	assert_string_equal(buf, "/run/x/state");
	assert_int_equal(worker_journal_path("/run/x/state", 3, buf,
					     sizeof(buf)), 0);
	assert_string_equal(buf, "/run/x/state.3");
	assert_int_equal(worker_journal_path("/run/x/state", 3, buf, 12),
			 -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_queue_is_a_range_of_one),
		cmocka_unit_test(test_range_gives_first_and_count),
		cmocka_unit_test(test_bad_ranges_are_refused_and_change_nothing),
		cmocka_unit_test(test_queues_flag_counts_from_the_first),
		cmocka_unit_test(test_range_prints_back),
		cmocka_unit_test(test_config_key_takes_a_range),
		cmocka_unit_test(test_worker_journals_are_named_by_index),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
