/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Deferred log lines (log.c): nothing is written while deferring until
 * log_flush(), then every line in its order; a full buffer writes what it
 * gathered first; log_fatal() keeps the order. stderr is a temporary file
 * here. Links alg_daemon.
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
#include <unistd.h>
#include <sys/stat.h>

#include "log.h"

static char got[1 << 20];

/* What was written to stderr since the last call. */
static const char *written(void)
{
	static long from;
	long end;
	size_t n;

	fflush(stderr);
	end = ftell(stderr);
	assert_true(end >= from);
	n = (size_t)(end - from);
	assert_true(n < sizeof(got));
	assert_int_equal(pread(fileno(stderr), got, n, from), (ssize_t)n);
	got[n] = '\0';
	from = end;
	return got;
}

static int setup(void **state)
{
	FILE *f = tmpfile();
	struct stat st;
	char v[64];

	assert_non_null(f);
	assert_int_equal(dup2(fileno(f), STDERR_FILENO), STDERR_FILENO);
	fclose(f);
	/* stderr is "the journal": lines without time stamps, as compared */
	assert_int_equal(fstat(STDERR_FILENO, &st), 0);
	snprintf(v, sizeof(v), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", v, 1);
	log_init("test", true);
	log_set_level(LOG_DEBUG);
	written();
	return 0;
}

static void test_deferred_lines_wait_for_flush_in_order(void **state)
{
	log_defer(true);
	log_info("one");
	log_sess(LOG_WARNING, 7, "two %d", 2);
	log_err("three");
	assert_string_equal(written(), "");
	log_flush();
	assert_string_equal(written(),
			    "one\nwarning: #7 two 2\nerror: three\n");
	log_flush();	/* nothing twice */
	assert_string_equal(written(), "");
	log_defer(false);
}

static void test_not_deferring_writes_at_once(void **state)
{
	log_info("now");
	assert_string_equal(written(), "now\n");
}

static void test_defer_off_flushes(void **state)
{
	log_defer(true);
	log_info("pending");
	log_defer(false);
	assert_string_equal(written(), "pending\n");
}

/* More lines than the buffer holds: all written, none lost, in order. */
static void test_overflow_writes_gathered_lines_first(void **state)
{
	unsigned i, n = 3 * LOG_DEFER_LINES + 5;
	const char *p;
	char want[32];

	log_defer(true);
	for (i = 0; i < n; i++)
		log_info("line %u", i);
	log_flush();
	p = written();
	for (i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "line %u\n", i);
		if (strncmp(p, want, strlen(want)))
			fail_msg("line %u: got \"%.20s\"", i, p);
		p += strlen(want);
	}
	assert_string_equal(p, "");
	log_defer(false);
}

/* A fatal line comes after the deferred lines that preceded it. */
static void test_fatal_comes_after_deferred(void **state)
{
	log_defer(true);
	log_info("before");
	log_fatal("bad");
	assert_string_equal(written(), "before\ntest: bad\n");
	log_defer(false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deferred_lines_wait_for_flush_in_order),
		cmocka_unit_test(test_not_deferring_writes_at_once),
		cmocka_unit_test(test_defer_off_flushes),
		cmocka_unit_test(test_overflow_writes_gathered_lines_first),
		cmocka_unit_test(test_fatal_comes_after_deferred),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
