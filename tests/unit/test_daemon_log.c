// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * stderr is the journal only when $JOURNAL_STREAM names the very file
 * that is fd 2 ("DEV:INODE"): then log lines carry no time stamp of
 * their own. Links alg_daemon (log.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#pragma GCC diagnostic ignored "-Wunused-parameter"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "log.h"

static void set_stream(unsigned long long dev, unsigned long long ino,
		       const char *tail)
{
	char v[64];

	snprintf(v, sizeof(v), "%llu:%llu%s", dev, ino, tail);
	setenv("JOURNAL_STREAM", v, 1);
}

static void test_journal_stream_naming_stderr_is_the_journal(void **state)
{
	struct stat st;

	assert_int_equal(fstat(2, &st), 0);
	set_stream(st.st_dev, st.st_ino, "");
	assert_true(log_stderr_is_journal());
	unsetenv("JOURNAL_STREAM");
}

static void test_another_stream_or_none_is_not(void **state)
{
	struct stat st;

	assert_int_equal(fstat(2, &st), 0);
	unsetenv("JOURNAL_STREAM");
	assert_false(log_stderr_is_journal());
	/* a shell under the unit redirected stderr elsewhere */
	set_stream(st.st_dev, st.st_ino + 1, "");
	assert_false(log_stderr_is_journal());
	set_stream(st.st_dev + 1, st.st_ino, "");
	assert_false(log_stderr_is_journal());
	/* not the DEV:INODE form */
	set_stream(st.st_dev, st.st_ino, "x");
	assert_false(log_stderr_is_journal());
	setenv("JOURNAL_STREAM", "", 1);
	assert_false(log_stderr_is_journal());
	unsetenv("JOURNAL_STREAM");
}

/* One limit per key: a flood of one kind leaves the others their lines. */
static void test_rate_limit_per_key(void **state)
{
	struct log_rl rl[4] = { { 0 } };
	unsigned missed, i;

	(void)state;
	for (i = 0; i < 5; i++)
		assert_true(log_rl_key_ok(rl, 4, 1, 10000, 5, 1000, &missed));
	assert_false(log_rl_key_ok(rl, 4, 1, 10000, 5, 1001, &missed));
	assert_false(log_rl_key_ok(rl, 4, 1, 10000, 5, 1002, &missed));
	/* another key is not silenced by key 1's flood */
	assert_true(log_rl_key_ok(rl, 4, 2, 10000, 5, 1003, &missed));
	assert_int_equal(missed, 0);
	/* a key past the end shares the last limit */
	assert_true(log_rl_key_ok(rl, 4, 9, 10000, 5, 1004, &missed));
	assert_int_equal(rl[3].n, 1);
	/* after the interval key 1 logs again, with its own count */
	assert_true(log_rl_key_ok(rl, 4, 1, 10000, 5, 11000, &missed));
	assert_int_equal(missed, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_journal_stream_naming_stderr_is_the_journal),
		cmocka_unit_test(test_another_stream_or_none_is_not),
		cmocka_unit_test(test_rate_limit_per_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
