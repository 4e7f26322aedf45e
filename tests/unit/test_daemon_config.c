/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The configuration file: good files set what they say, every broken one
 * is refused with "FILE:LINE: what is wrong" for each of its errors and
 * changes nothing; a reload's summary says what changed, old -> new.
 * Links alg_daemon (config.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

/* cmocka's test signature: most tests do not use their state */
#pragma GCC diagnostic ignored "-Wunused-parameter"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "config.h"

#define NAME	"test.conf"

/* Parse text (n bytes, may hold NULs) into *c; error text in err. */
static int parse_n(struct alg_config *c, const char *text, size_t n,
		   char *err, size_t errlen)
{
	FILE *f;
	int ret;

	err[0] = '\0';
	/* fmemopen() of 0 bytes fails: an empty file is a 0-byte read */
	f = n ? fmemopen((void *)text, n, "r") : fopen("/dev/null", "r");
	assert_non_null(f);
	ret = config_parse(c, f, NAME, err, errlen);
	fclose(f);
	return ret;
}

static int parse(struct alg_config *c, const char *text, char *err,
		 size_t errlen)
{
	return parse_n(c, text, strlen(text), err, errlen);
}

static void expect_ok(struct alg_config *c, const char *text, int line)
{
	char err[CONFIG_ERR_LEN];

	config_default(c);
	if (parse(c, text, err, sizeof(err)))
		fail_msg("line %d: config refused: %s\n--- config:\n%s", line,
			 err);
}

/*
 * The file is refused with exactly want as the message, and the config
 * passed in is left as it was (all or nothing).
 */
static void expect_err_n(const char *text, size_t n, const char *want,
			 int line)
{
	struct alg_config c, before;
	char err[CONFIG_ERR_LEN];
	int ret;

	config_default(&c);
	before = c;
	ret = parse_n(&c, text, n, err, sizeof(err));
	if (ret != -EINVAL)
		fail_msg("line %d: config_parse returned %d, expected "
			 "-EINVAL\n--- config:\n%s", line, ret, text);
	if (strcmp(err, want))
		fail_msg("line %d: error message\n  got:      '%s'\n"
			 "  expected: '%s'", line, err, want);
	if (memcmp(&c, &before, sizeof(c)))
		fail_msg("line %d: a refused config changed the settings",
			 line);
}

#define EXPECT_ERR(text, want) \
	expect_err_n(text, strlen(text), want, __LINE__)

static void test_defaults_serve_plain_ftp_on_queue_0(void **state)
{
	struct alg_config c;

	config_default(&c);
	assert_int_equal(c.queue, 0);
	assert_int_equal(c.pinhole_timeout_s, 60);
	assert_int_equal(c.log_level, LOG_INFO);
	assert_int_equal(c.pol.ctl_ports[0], 21);
	assert_int_equal(c.pol.ctl_ports[1], 0);
}

static void test_empty_file_and_comments_keep_defaults(void **state)
{
	struct alg_config c, def;

	config_default(&def);
	expect_ok(&c, "", __LINE__);
	assert_memory_equal(&c, &def, sizeof(c));
	expect_ok(&c, "# nothing here\n\n   \t\n# queue = 3\n", __LINE__);
	assert_memory_equal(&c, &def, sizeof(c));
}

static void test_every_key_sets_its_field(void **state)
{
	struct alg_config c;

	expect_ok(&c,
		  "# ftp-alg settings\n"
		  "queue = 7\n"
		  "pinhole_timeout = 120\n"
		  "max_sessions = 5000\n"
		  "hold_ms = 250\n"
		  "max_line = 1024\n"
		  "idle_timeout = 3600\n"
		  "control_ports = 21, 2121,990\n"
		  "allow_low_data_port = yes\n"
		  "strict_pairing = no\n"
		  "log_level = debug\n", __LINE__);
	assert_int_equal(c.queue, 7);
	assert_int_equal(c.pinhole_timeout_s, 120);
	assert_int_equal(c.pol.max_sessions, 5000);
	assert_int_equal(c.pol.hold_ms, 250);
	assert_int_equal(c.pol.max_line, 1024);
	assert_int_equal(c.pol.idle_timeout_ms, 3600000);
	assert_int_equal(c.pol.ctl_ports[0], 21);
	assert_int_equal(c.pol.ctl_ports[1], 2121);
	assert_int_equal(c.pol.ctl_ports[2], 990);
	assert_int_equal(c.pol.ctl_ports[3], 0);
	assert_true(c.pol.allow_low_data_port);
	assert_false(c.pol.strict_pairing);
	assert_int_equal(c.log_level, LOG_DEBUG);
}

static void test_spacing_comments_and_crlf_are_tolerated(void **state)
{
	struct alg_config c;

	expect_ok(&c,
		  "\tqueue=3   # after a value\r\n"
		  "  strict_pairing\t=\tYES\r\n"
		  "log_level = Warning\n"
		  "pinhole_timeout = 90",	/* no final newline */
		  __LINE__);
	assert_int_equal(c.queue, 3);
	assert_true(c.pol.strict_pairing);
	assert_int_equal(c.log_level, LOG_WARNING);
	assert_int_equal(c.pinhole_timeout_s, 90);
}

static void test_boolean_spellings(void **state)
{
	struct alg_config c;

	expect_ok(&c, "allow_low_data_port = on\nstrict_pairing = true\n",
		  __LINE__);
	assert_true(c.pol.allow_low_data_port);
	assert_true(c.pol.strict_pairing);
	expect_ok(&c, "allow_low_data_port = off\nstrict_pairing = 0\n",
		  __LINE__);
	assert_false(c.pol.allow_low_data_port);
	assert_false(c.pol.strict_pairing);
}

static void test_range_limits_are_inclusive(void **state)
{
	struct alg_config c;

	expect_ok(&c, "queue = 65535\npinhole_timeout = 1\n", __LINE__);
	assert_int_equal(c.queue, 65535);
	assert_int_equal(c.pinhole_timeout_s, 1);
	expect_ok(&c, "queue = 0\npinhole_timeout = 3600\n", __LINE__);
	assert_int_equal(c.queue, 0);
	assert_int_equal(c.pinhole_timeout_s, 3600);
	/* all ALG_MAX_CTL_PORTS slots: the engine stops at the array end */
	expect_ok(&c, "control_ports = 1,2,3,4,5,6,7,65535\n", __LINE__);
	assert_int_equal(c.pol.ctl_ports[0], 1);
	assert_int_equal(c.pol.ctl_ports[7], 65535);
}

static void test_unknown_key_names_file_line_and_key(void **state)
{
	EXPECT_ERR("queue = 1\n\nqueu = 2\n",
		   NAME ":3: unknown key 'queu'");
	EXPECT_ERR("Queue = 1\n", NAME ":1: unknown key 'Queue'");
}

static void test_line_without_equals_is_refused(void **state)
{
	EXPECT_ERR("# c\nqueue 1\n",
		   NAME ":2: expected 'key = value', not 'queue 1'");
	EXPECT_ERR("= 5\n", NAME ":1: missing key before '='");
	EXPECT_ERR("queue =   # nothing\n", NAME ":1: queue: missing value");
}

static void test_repeated_key_names_first_line(void **state)
{
	EXPECT_ERR("queue = 1\nhold_ms = 5\nqueue = 1\n",
		   NAME ":3: queue already set on line 1");
}

static void test_bad_numbers_are_refused(void **state)
{
	EXPECT_ERR("queue = 65536\n", NAME ":1: queue: expected a queue "
		   "number from 0 to 65535, not '65536'");
	EXPECT_ERR("queue = -1\n", NAME ":1: queue: expected a queue "
		   "number from 0 to 65535, not '-1'");
	EXPECT_ERR("queue = 0x10\n", NAME ":1: queue: expected a queue "
		   "number from 0 to 65535, not '0x10'");
	EXPECT_ERR("queue = 1 2\n", NAME ":1: queue: expected a queue "
		   "number from 0 to 65535, not '1 2'");
	EXPECT_ERR("pinhole_timeout = 0\n", NAME ":1: pinhole_timeout: "
		   "expected seconds from 1 to 3600, not '0'");
	EXPECT_ERR("pinhole_timeout = 60s\n", NAME ":1: pinhole_timeout: "
		   "expected seconds from 1 to 3600, not '60s'");
	EXPECT_ERR("max_sessions = 99999999999999999999999\n",
		   NAME ":1: max_sessions: expected a number from 1 to "
		   "1000000, not '99999999999999999999999'");
	EXPECT_ERR("hold_ms = 0\n", NAME ":1: hold_ms: expected "
		   "milliseconds from 1 to 60000, not '0'");
	EXPECT_ERR("max_line = 63\n", NAME ":1: max_line: expected bytes "
		   "from 64 to 65535, not '63'");
	EXPECT_ERR("idle_timeout = 864001\n", NAME ":1: idle_timeout: "
		   "expected seconds from 1 to 864000, not '864001'");
}

static void test_bad_port_lists_are_refused(void **state)
{
	EXPECT_ERR("control_ports = 21,,2121\n", NAME ":1: control_ports: "
		   "empty item in port list '21,,2121'");
	EXPECT_ERR("control_ports = 21,\n", NAME ":1: control_ports: "
		   "empty item in port list '21,'");
	EXPECT_ERR("control_ports = 0\n", NAME ":1: control_ports: "
		   "'0' is not a port from 1 to 65535");
	EXPECT_ERR("control_ports = 21, ftp\n", NAME ":1: control_ports: "
		   "'ftp' is not a port from 1 to 65535");
	EXPECT_ERR("control_ports = 21,2121, 21\n", NAME ":1: "
		   "control_ports: port 21 listed twice");
	EXPECT_ERR("control_ports = 1,2,3,4,5,6,7,8,9\n", NAME ":1: "
		   "control_ports: more than 8 ports");
}

static void test_bad_booleans_and_levels_are_refused(void **state)
{
	EXPECT_ERR("strict_pairing = maybe\n", NAME ":1: strict_pairing: "
		   "expected yes or no, not 'maybe'");
	EXPECT_ERR("allow_low_data_port = y\n", NAME ":1: "
		   "allow_low_data_port: expected yes or no, not 'y'");
	EXPECT_ERR("log_level = verbose\n", NAME ":1: log_level: expected "
		   "error, warning, notice, info or debug, not 'verbose'");
}

static void test_security_keys(void **state)
{
	struct alg_config c;

	config_default(&c);
	assert_int_equal(c.pol.max_pinholes_per_session, 1);
	assert_int_equal(c.pol.max_sessions_per_client, 256);
	assert_int_equal(c.pol.reserve_pct, 10);
	assert_int_equal(c.pol.half_open_ms, 30000);
	assert_false(c.pol.active_on_reply);
	assert_false(c.pol.violation_reset);
	expect_ok(&c, "max_pinholes_per_session = 4\n"
		  "max_sessions_per_client = 0\n"
		  "session_reserve = 20\n"
		  "half_open_timeout = 5\n"
		  "active_pinhole_on_reply = yes\n"
		  "violation_action = reset\n", __LINE__);
	assert_int_equal(c.pol.max_pinholes_per_session, 4);
	assert_int_equal(c.pol.max_sessions_per_client, 0);
	assert_int_equal(c.pol.reserve_pct, 20);
	assert_int_equal(c.pol.half_open_ms, 5000);
	assert_true(c.pol.active_on_reply);
	assert_true(c.pol.violation_reset);
	EXPECT_ERR("violation_action = drop\n", NAME ":1: violation_action: "
		   "expected pass or reset, not 'drop'");
	EXPECT_ERR("max_pinholes_per_session = 17\n", NAME ":1: "
		   "max_pinholes_per_session: expected a number from 0 to 16, "
		   "not '17'");
	EXPECT_ERR("session_reserve = 51\n", NAME ":1: session_reserve: "
		   "expected a percentage from 0 to 50, not '51'");
	EXPECT_ERR("half_open_timeout = 0\n", NAME ":1: half_open_timeout: "
		   "expected seconds from 1 to 3600, not '0'");
}

static void test_error_after_good_lines_changes_nothing(void **state)
{
	/* expect_err_n() checks the settings are untouched */
	EXPECT_ERR("queue = 9\npinhole_timeout = 5\nbogus = 1\n",
		   NAME ":3: unknown key 'bogus'");
}

static void test_overlong_line_is_refused(void **state)
{
	char text[CONFIG_LINE_MAX + 64];

	memset(text, ' ', sizeof(text));
	memcpy(text, "queue = 1\n# ", 12);
	text[sizeof(text) - 2] = '\n';
	text[sizeof(text) - 1] = '\0';
	EXPECT_ERR(text, NAME ":2: line longer than 1024 bytes");
}

static void test_nul_byte_is_refused(void **state)
{
	static const char text[] = "queue = 1\nhold_ms = 5\0junk\n";

	expect_err_n(text, sizeof(text) - 1, NAME ":2: NUL byte in line",
		     __LINE__);
}

static void test_missing_file_names_the_file(void **state)
{
	struct alg_config c;
	char err[CONFIG_ERR_LEN];
	int ret;

	config_default(&c);
	ret = config_load(&c, "/nonexistent/ftp-alg.conf", err, sizeof(err));
	assert_int_equal(ret, -ENOENT);
	assert_string_equal(err, "/nonexistent/ftp-alg.conf: cannot open: "
			    "No such file or directory");
}

static void test_log_level_names_round_trip(void **state)
{
	static const int levels[] = { LOG_ERR, LOG_WARNING, LOG_NOTICE,
				      LOG_INFO, LOG_DEBUG };
	unsigned i;

	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		assert_int_equal(config_log_level(
			config_log_level_name(levels[i])), levels[i]);
	assert_int_equal(config_log_level("loud"), -1);
	assert_string_equal(config_log_level_name(99), "?");
}

static void test_values_the_engine_clamps_are_reported(void **state)
{
	struct config_clamp cl[4];
	struct alg_table *tab;
	struct alg_config c;
	unsigned n;

	/* accepted by the file (scripts set it), beyond the engine */
	expect_ok(&c, "max_line = 65535\nmax_sessions = 9\n", __LINE__);
	tab = alg_table_new(&c.pol, 0);
	assert_non_null(tab);
	n = config_clamped(&c.pol, alg_table_policy(tab), cl, 4);
	assert_int_equal(n, 1);
	assert_string_equal(cl[0].name, "max_line");
	assert_int_equal(cl[0].asked, 65535);
	assert_int_equal(cl[0].used, ALG_MAX_LINE_LIMIT);
	alg_table_free(tab);

	expect_ok(&c, "max_line = 8192\n", __LINE__);
	tab = alg_table_new(&c.pol, 0);
	assert_non_null(tab);
	assert_int_equal(config_clamped(&c.pol, alg_table_policy(tab), cl, 4),
			 0);
	alg_table_free(tab);
}

static void test_default_control_port_is_the_engines(void **state)
{
	struct alg_policy pol;
	struct alg_config c;

	alg_policy_default(&pol);
	config_default(&c);
	assert_int_equal(c.pol.ctl_ports[0], ALG_CTL_PORT_DEFAULT);
	assert_memory_equal(c.pol.ctl_ports, pol.ctl_ports,
			    sizeof(pol.ctl_ports));
}

/* ---- every error, not just the first ---- */

#define MAX_ERRS	16

struct errs {
	unsigned n;
	char msg[MAX_ERRS][CONFIG_ERR_LEN];
};

static void collect(void *arg, const char *msg)
{
	struct errs *e = arg;

	if (e->n < MAX_ERRS)
		snprintf(e->msg[e->n], sizeof(e->msg[0]), "%s", msg);
	e->n++;
}

/* text is refused with exactly the n messages in want, in order. */
static void expect_errs(const char *text, const char *const *want,
			unsigned n, int line)
{
	struct alg_config c, before;
	struct errs e = { 0 };
	unsigned i;
	FILE *f;
	int ret;

	config_default(&c);
	before = c;
	f = fmemopen((void *)text, strlen(text), "r");
	assert_non_null(f);
	ret = config_parse_all(&c, f, NAME, collect, &e);
	fclose(f);
	if (ret != -EINVAL)
		fail_msg("line %d: config_parse_all returned %d, expected "
			 "-EINVAL", line, ret);
	for (i = 0; i < n && i < e.n; i++)
		if (strcmp(e.msg[i], want[i]))
			fail_msg("line %d: error %u\n  got:      '%s'\n"
				 "  expected: '%s'", line, i + 1, e.msg[i],
				 want[i]);
	if (e.n != n)
		fail_msg("line %d: %u errors reported, expected %u", line, e.n,
			 n);
	if (memcmp(&c, &before, sizeof(c)))
		fail_msg("line %d: a refused config changed the settings",
			 line);
}

#define EXPECT_ERRS(text, ...) do { \
	static const char *const want_[] = { __VA_ARGS__ }; \
	expect_errs(text, want_, sizeof(want_) / sizeof(want_[0]), \
		    __LINE__); \
} while (0)

static void test_every_error_is_reported_with_its_line(void **state)
{
	EXPECT_ERRS("queue = 1\n"
		    "pinhole_timeout = 0\n"
		    "# fine\n"
		    "bogus = 2\n"
		    "log_level = debug\n"
		    "control_ports = 21,,2121\n"
		    "strict_pairing maybe\n",
		    NAME ":2: pinhole_timeout: expected seconds from 1 to "
		    "3600, not '0'",
		    NAME ":4: unknown key 'bogus'",
		    NAME ":6: control_ports: empty item in port list "
		    "'21,,2121'",
		    NAME ":7: expected 'key = value', not 'strict_pairing "
		    "maybe'");
}

static void test_repeat_of_a_refused_key_is_reported_too(void **state)
{
	EXPECT_ERRS("hold_ms = 0\nqueue = 2\nhold_ms = 5\nqueue = 3\n",
		    NAME ":1: hold_ms: expected milliseconds from 1 to "
		    "60000, not '0'",
		    NAME ":3: hold_ms already set on line 1",
		    NAME ":4: queue already set on line 2");
}

static void test_long_and_nul_lines_do_not_end_the_report(void **state)
{
	static const char head[] = "queue = x\n# ";
	static const char tail[] = "\nhold_ms = 5\0junk\nmax_line = 1\n";
	char text[CONFIG_LINE_MAX + 128];
	struct errs e = { 0 };
	struct alg_config c;
	size_t n = 0;
	FILE *f;

	memcpy(text, head, sizeof(head) - 1);
	n = sizeof(head) - 1;
	memset(text + n, ' ', CONFIG_LINE_MAX);
	n += CONFIG_LINE_MAX;
	memcpy(text + n, tail, sizeof(tail) - 1);
	n += sizeof(tail) - 1;
	config_default(&c);
	f = fmemopen(text, n, "r");
	assert_non_null(f);
	assert_int_equal(config_parse_all(&c, f, NAME, collect, &e), -EINVAL);
	fclose(f);
	assert_int_equal(e.n, 4);
	assert_string_equal(e.msg[0], NAME ":1: queue: expected a queue "
			    "number from 0 to 65535, not 'x'");
	assert_string_equal(e.msg[1], NAME ":2: line longer than 1024 bytes");
	assert_string_equal(e.msg[2], NAME ":3: NUL byte in line");
	assert_string_equal(e.msg[3], NAME ":4: max_line: expected bytes "
			    "from 64 to 65535, not '1'");
}

static void test_first_error_interface_keeps_the_first(void **state)
{
	EXPECT_ERR("pinhole_timeout = 0\nbogus = 2\nqueue\n",
		   NAME ":1: pinhole_timeout: expected seconds from 1 to "
		   "3600, not '0'");
}

static void test_good_file_reports_nothing(void **state)
{
	static const char text[] = "queue = 4\nlog_level = debug\n";
	struct errs e = { 0 };
	struct alg_config c;
	FILE *f;

	config_default(&c);
	f = fmemopen((void *)text, sizeof(text) - 1, "r");
	assert_non_null(f);
	assert_int_equal(config_parse_all(&c, f, NAME, collect, &e), 0);
	fclose(f);
	assert_int_equal(e.n, 0);
	assert_int_equal(c.queue, 4);
	assert_int_equal(c.log_level, LOG_DEBUG);
}

static void test_load_all_reports_a_missing_file(void **state)
{
	struct errs e = { 0 };
	struct alg_config c;

	config_default(&c);
	assert_int_equal(config_load_all(&c, "/nonexistent/ftp-alg.conf",
					 collect, &e), -ENOENT);
	assert_int_equal(e.n, 1);
	assert_string_equal(e.msg[0], "/nonexistent/ftp-alg.conf: cannot "
			    "open: No such file or directory");
}

/* ---- what a reload says changed ---- */

static void test_diff_names_each_change_old_to_new(void **state)
{
	struct alg_config from, to;
	char buf[CONFIG_DIFF_LEN];
	unsigned mask;

	config_default(&from);
	expect_ok(&to, "pinhole_timeout = 30\nlog_level = debug\n"
		  "control_ports = 21,2121\nidle_timeout = 600\n"
		  "strict_pairing = no\n", __LINE__);
	mask = config_diff(&from, &to, CONFIG_ALL_KEYS, buf, sizeof(buf));
	assert_int_equal(mask, CONFIG_BIT(CONFIG_K_PINHOLE_TIMEOUT) |
			 CONFIG_BIT(CONFIG_K_IDLE_TIMEOUT) |
			 CONFIG_BIT(CONFIG_K_CONTROL_PORTS) |
			 CONFIG_BIT(CONFIG_K_STRICT_PAIRING) |
			 CONFIG_BIT(CONFIG_K_LOG_LEVEL));
	assert_string_equal(buf, "pinhole_timeout 60 -> 30, "
			    "idle_timeout 7200 -> 600, "
			    "control_ports 21 -> 21,2121, "
			    "strict_pairing yes -> no, "
			    "log_level info -> debug");
}

static void test_diff_of_equal_configs_is_empty(void **state)
{
	struct alg_config a, b;
	char buf[CONFIG_DIFF_LEN] = "junk";

	config_default(&a);
	expect_ok(&b, "queue = 0\npinhole_timeout = 60\n", __LINE__);
	assert_int_equal(config_diff(&a, &b, CONFIG_ALL_KEYS, buf,
				     sizeof(buf)), 0);
	assert_string_equal(buf, "");
}

static void test_diff_looks_only_at_the_keys_asked(void **state)
{
	struct alg_config from, to;
	char buf[CONFIG_DIFF_LEN];
	unsigned mask;

	config_default(&from);
	expect_ok(&to, "queue = 3\nmax_line = 1024\n", __LINE__);
	mask = config_diff(&from, &to,
			   CONFIG_ALL_KEYS & ~CONFIG_BIT(CONFIG_K_QUEUE), buf,
			   sizeof(buf));
	assert_int_equal(mask, CONFIG_BIT(CONFIG_K_MAX_LINE));
	assert_string_equal(buf, "max_line 512 -> 1024");
}

/* config_value() says each value so that the file reads it back. */
static void test_every_value_reads_back_as_itself(void **state)
{
	char line[CONFIG_VALUE_LEN + 64], v[CONFIG_VALUE_LEN];
	char back[CONFIG_VALUE_LEN];
	struct alg_config c, r;
	unsigned k;

	expect_ok(&c, "queue = 7\npinhole_timeout = 120\n"
		  "max_sessions = 5000\nhold_ms = 250\nmax_line = 1024\n"
		  "idle_timeout = 3600\ncontrol_ports = 21,2121,990\n"
		  "allow_low_data_port = yes\nstrict_pairing = no\n"
		  "log_level = warning\n", __LINE__);
	for (k = 0; k < CONFIG_NKEYS; k++) {
		config_value(&c, k, v, sizeof(v));
		snprintf(line, sizeof(line), "%s = %s\n",
			 config_key_name(k), v);
		expect_ok(&r, line, __LINE__);
		config_value(&r, k, back, sizeof(back));
		if (strcmp(v, back))
			fail_msg("%s: '%s' read back as '%s'",
				 config_key_name(k), v, back);
	}
	assert_string_equal(config_key_name(CONFIG_NKEYS), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_serve_plain_ftp_on_queue_0),
		cmocka_unit_test(test_empty_file_and_comments_keep_defaults),
		cmocka_unit_test(test_every_key_sets_its_field),
		cmocka_unit_test(
			test_spacing_comments_and_crlf_are_tolerated),
		cmocka_unit_test(test_boolean_spellings),
		cmocka_unit_test(test_range_limits_are_inclusive),
		cmocka_unit_test(test_unknown_key_names_file_line_and_key),
		cmocka_unit_test(test_line_without_equals_is_refused),
		cmocka_unit_test(test_repeated_key_names_first_line),
		cmocka_unit_test(test_bad_numbers_are_refused),
		cmocka_unit_test(test_bad_port_lists_are_refused),
		cmocka_unit_test(test_bad_booleans_and_levels_are_refused),
		cmocka_unit_test(test_security_keys),
		cmocka_unit_test(
			test_error_after_good_lines_changes_nothing),
		cmocka_unit_test(test_overlong_line_is_refused),
		cmocka_unit_test(test_nul_byte_is_refused),
		cmocka_unit_test(test_missing_file_names_the_file),
		cmocka_unit_test(test_log_level_names_round_trip),
		cmocka_unit_test(test_values_the_engine_clamps_are_reported),
		cmocka_unit_test(test_default_control_port_is_the_engines),
		cmocka_unit_test(test_every_error_is_reported_with_its_line),
		cmocka_unit_test(
			test_repeat_of_a_refused_key_is_reported_too),
		cmocka_unit_test(
			test_long_and_nul_lines_do_not_end_the_report),
		cmocka_unit_test(test_first_error_interface_keeps_the_first),
		cmocka_unit_test(test_good_file_reports_nothing),
		cmocka_unit_test(test_load_all_reports_a_missing_file),
		cmocka_unit_test(test_diff_names_each_change_old_to_new),
		cmocka_unit_test(test_diff_of_equal_configs_is_empty),
		cmocka_unit_test(test_diff_looks_only_at_the_keys_asked),
		cmocka_unit_test(test_every_value_reads_back_as_itself),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
