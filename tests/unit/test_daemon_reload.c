// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * reload_apply(): the --config file read again while the daemon runs.
 * A good file changes what can change live and says which keys it
 * changed; a broken one changes nothing; the queue waits for a restart.
 * No kernel: only the configuration and the engine table are touched.
 * Links alg_daemon (reload.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#pragma GCC diagnostic ignored "-Wunused-parameter"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "daemon.h"

static struct daemon D;
/* in the working directory: ctest runs each test in the build tree */
static char path[] = "test_daemon_reload.conf.XXXXXX";

static void write_config(const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A daemon as started from defaults, with its engine table. */
static int setup(void **state)
{
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	memset(&D, 0, sizeof(D));
	config_default(&D.cfg);
	D.cfg.pol.hash_seed = 0xabcd;
	D.config_path = path;
	D.tab = alg_table_new(&D.cfg.pol, 0);
	assert_non_null(D.tab);
	log_set_level(LOG_INFO);
	return 0;
}

static int teardown(void **state)
{
	alg_table_free(D.tab);
	unlink(path);
	memcpy(path + strlen(path) - 6, "XXXXXX", 6);
	return 0;
}

static void test_live_settings_apply_and_are_reported(void **state)
{
	const struct alg_policy *pol;
	struct reload_result res;

	write_config("pinhole_timeout = 30\nlog_level = debug\n"
		     "control_ports = 21,2121\nmax_line = 1024\n");
	assert_int_equal(reload_apply(&D, &res), 0);
	assert_int_equal(res.changed,
			 CONFIG_BIT(CONFIG_K_PINHOLE_TIMEOUT) |
			 CONFIG_BIT(CONFIG_K_MAX_LINE) |
			 CONFIG_BIT(CONFIG_K_CONTROL_PORTS) |
			 CONFIG_BIT(CONFIG_K_LOG_LEVEL));
	assert_int_equal(res.kept, 0);
	assert_int_equal(D.cfg.pinhole_timeout_s, 30);
	assert_int_equal(log_get_level(), LOG_DEBUG);
	pol = alg_table_policy(D.tab);
	assert_int_equal(pol->ctl_ports[0], 21);
	assert_int_equal(pol->ctl_ports[1], 2121);
	assert_int_equal(pol->max_line, 1024);
	/* the table keeps filing sessions under the seed it started with */
	assert_int_equal(pol->hash_seed, 0xabcd);
	assert_int_equal(D.cfg.pol.hash_seed, 0xabcd);

	/* the same file again: nothing changes */
	assert_int_equal(reload_apply(&D, &res), 0);
	assert_int_equal(res.changed, 0);
}

static void test_broken_file_keeps_the_running_configuration(void **state)
{
	struct alg_config before = D.cfg;
	struct alg_policy pol_before = *alg_table_policy(D.tab);
	struct reload_result res;

	write_config("pinhole_timeout = 30\nbogus = 1\nmax_line = 1\n");
	assert_int_equal(reload_apply(&D, &res), -EINVAL);
	assert_int_equal(res.changed, 0);
	assert_memory_equal(&D.cfg, &before, sizeof(before));
	assert_memory_equal(alg_table_policy(D.tab), &pol_before,
			    sizeof(pol_before));
	assert_int_equal(log_get_level(), LOG_INFO);
}

static void test_missing_file_keeps_the_running_configuration(
	void **state)
{
	struct alg_config before = D.cfg;
	struct reload_result res;

	unlink(path);
	assert_int_equal(reload_apply(&D, &res), -ENOENT);
	assert_memory_equal(&D.cfg, &before, sizeof(before));
}

static void test_queue_change_waits_for_a_restart(void **state)
{
	struct reload_result res;

	write_config("queue = 5\nhold_ms = 500\n");
	assert_int_equal(reload_apply(&D, &res), 0);
	assert_int_equal(res.kept, CONFIG_BIT(CONFIG_K_QUEUE));
	assert_int_equal(res.changed, CONFIG_BIT(CONFIG_K_HOLD_MS));
	assert_int_equal(D.cfg.queue, 0);
	assert_int_equal(alg_table_policy(D.tab)->hold_ms, 500);
}

static void test_queue_flag_beats_the_file_as_at_start(void **state)
{
	struct reload_result res;

	D.queue_flag = true;
	D.cfg.queue = 3;
	write_config("queue = 5\n");
	assert_int_equal(reload_apply(&D, &res), 0);
	assert_int_equal(res.kept, 0);
	assert_int_equal(res.changed, 0);
	assert_int_equal(D.cfg.queue, 3);
}

static void test_without_config_nothing_is_read(void **state)
{
	struct reload_result res;

	D.config_path = NULL;
	assert_int_equal(reload_apply(&D, &res), -ENOENT);
	assert_int_equal(res.changed, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_live_settings_apply_and_are_reported, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_broken_file_keeps_the_running_configuration,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_missing_file_keeps_the_running_configuration,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_queue_change_waits_for_a_restart, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_queue_flag_beats_the_file_as_at_start, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_without_config_nothing_is_read, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
