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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_journal_stream_naming_stderr_is_the_journal),
		cmocka_unit_test(test_another_stream_or_none_is_not),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
