// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The keys user and ctl_group (config.c) and their look-up
 * (privdrop_resolve()): names as useradd takes them, "root" as none, a
 * missing user or named group refusing the start, a missing default
 * group not. Links alg_daemon.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#pragma GCC diagnostic ignored "-Wunused-parameter"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "privdrop.h"

static int parse(struct alg_config *c, const char *text, char *err,
		 size_t len)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int ret;

	assert_non_null(f);
	config_default(c);
	err[0] = '\0';
	ret = config_parse(c, f, "t.conf", err, len);
	fclose(f);
	return ret;
}

static void test_defaults_stay_root_with_group_ftp_alg(void **state)
{
	struct alg_config c;
	char v[CONFIG_VALUE_LEN];

	config_default(&c);
	assert_string_equal(c.user, "");
	assert_string_equal(c.ctl_group, "ftp-alg");
	config_value(&c, CONFIG_K_USER, v, sizeof(v));
	assert_string_equal(v, "root");
}

static void test_user_and_group_names_are_taken(void **state)
{
	struct alg_config c;
	char err[CONFIG_ERR_LEN];

	assert_int_equal(parse(&c, "user = ftp-alg\nctl_group = adm_1.x\n",
			       err, sizeof(err)), 0);
	assert_string_equal(c.user, "ftp-alg");
	assert_string_equal(c.ctl_group, "adm_1.x");
	/* root is the same as no user */
	assert_int_equal(parse(&c, "user = root\n", err, sizeof(err)), 0);
	assert_string_equal(c.user, "");
}

static void test_bad_names_are_refused_with_the_reason(void **state)
{
	static const char *const bad[] = {
		"user = -r\n", "user = a/b\n", "user = a b\n",
		"ctl_group = $x\n",
		"user = abcdefghijklmnopqrstuvwxyz0123456\n",	/* 33 */
	};
	struct alg_config c;
	char err[CONFIG_ERR_LEN];
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(&c, bad[i], err, sizeof(err)) != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
		if (!strstr(err, "expected a user or group name"))
			fail_msg("%s: reason '%s'", bad[i], err);
	}
	/* an empty value is the parser's: no name at all */
	assert_int_equal(parse(&c, "ctl_group =\n", err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "t.conf:1: ctl_group: missing value");
}

static void test_resolve_finds_ids(void **state)
{
	struct privdrop p;
	struct passwd *pw = getpwnam("nobody");
	struct group *gr = getgrgid(0);

	assert_non_null(pw);
	assert_non_null(gr);
	assert_int_equal(privdrop_resolve(&p, "nobody", gr->gr_name, false),
			 0);
	assert_true(p.have_user);
	assert_int_equal(p.uid, pw->pw_uid);
	assert_int_equal(p.gid, pw->pw_gid);
	assert_true(p.have_ctl_gid);
	assert_int_equal(p.ctl_gid, 0);
}

static void test_resolve_refuses_what_does_not_exist(void **state)
{
	struct privdrop p;

	assert_int_equal(privdrop_resolve(&p, "no-such-user-ftpalg", "root",
					  false), -ENOENT);
	assert_int_equal(privdrop_resolve(&p, "", "no-such-group-ftpalg",
					  false), -ENOENT);
	/* the default group may be missing: the socket keeps ours */
	assert_int_equal(privdrop_resolve(&p, "", "no-such-group-ftpalg",
					  true), 0);
	assert_false(p.have_ctl_gid);
	assert_false(p.have_user);
	/* a user that is root has nothing to drop to */
	assert_int_equal(privdrop_resolve(&p, "root", "root", false),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_stay_root_with_group_ftp_alg),
		cmocka_unit_test(test_user_and_group_names_are_taken),
		cmocka_unit_test(test_bad_names_are_refused_with_the_reason),
		cmocka_unit_test(test_resolve_finds_ids),
		cmocka_unit_test(test_resolve_refuses_what_does_not_exist),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
