/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ftp-algctl's answers from fixed snapshots: the exact text and JSON that
 * scripts read, and JSON that parses. Links alg_daemon (ctl_answers.c,
 * ctl_render.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

/* cmocka's test signature: most tests do not use their state */
#pragma GCC diagnostic ignored "-Wunused-parameter"

#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "ctl_answers.h"
#include "testutil.h"

#define NOW	5000000u

/* ---- a JSON checker: RFC 8259 values, no extensions ---- */

static const char *json_value(const char *p);

static const char *json_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static const char *json_string(const char *p)
{
	int i;

	if (*p++ != '"')
		return NULL;
	while (*p != '"') {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p++ != '\\')
			continue;
		if (*p == 'u') {
			for (i = 1; i <= 4; i++)
				if (!strchr("0123456789abcdefABCDEF", p[i]) ||
				    !p[i])
					return NULL;
			p += 5;
		} else if (*p && strchr("\"\\/bfnrt", *p)) {
			p++;
		} else {
			return NULL;
		}
	}
	return p + 1;
}

static const char *json_number(const char *p)
{
	const char *start = p;

	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else
		while (*p >= '0' && *p <= '9')
			p++;
	return p == start || p[-1] == '-' ? NULL : p;
}

/* An object (open '{', close '}') or an array ('[', ']'). */
static const char *json_members(const char *p, char close, bool keys)
{
	p = json_ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (keys) {
			p = json_string(json_ws(p));
			if (!p)
				return NULL;
			p = json_ws(p);
			if (*p++ != ':')
				return NULL;
		}
		p = json_value(p);
		if (!p)
			return NULL;
		p = json_ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static const char *json_value(const char *p)
{
	p = json_ws(p);
	switch (*p) {
	case '{':
		return json_members(p, '}', true);
	case '[':
		return json_members(p, ']', false);
	case '"':
		return json_string(p);
	case 't':
		return strncmp(p, "true", 4) ? NULL : p + 4;
	case 'f':
		return strncmp(p, "false", 5) ? NULL : p + 5;
	case 'n':
		return strncmp(p, "null", 4) ? NULL : p + 4;
	default:
		return json_number(p);
	}
}

/* The whole buffer is one JSON document (and a final newline). */
static void expect_valid_json(const struct ctl_buf *o)
{
	char *doc = strndup(o->p, o->len);
	const char *end;

	assert_non_null(doc);
	end = json_value(doc);
	if (!end || *json_ws(end))
		fail_msg("not one JSON document at offset %td:\n%s",
			 end ? end - doc : -1, doc);
	free(doc);
}

static void expect_output(struct ctl_buf *o, const char *want)
{
	if (o->len != strlen(want) || memcmp(o->p, want, o->len))
		fail_msg("output differs\n  got:\n%.*s\n  expected:\n%s",
			 (int)o->len, o->p, want);
	free(o->p);
	*o = (struct ctl_buf){ 0 };
}

/* ---- fixed inputs ---- */

static const struct ctl_status status = {
	.running = true,
	.version = "0.1.0",
	.uptime_s = 123,
	.queue = 3,
	.native_queue = false,
	.packets = 12345,
	.last_pkt_s = 4,
	.sessions = 3,
	.max_sessions = 500,
	.pinholes = 2,
	.enobufs = 3,
	.ct_enobufs = 77,
	.malformed = 1,
	.untracked = 2,
	.verdict_errors = 15,
	.pin_added = 7,
	.pin_used = 8,
	.pin_unestablished = 13,
	.pin_expired = 9,
	.pin_removed = 10,
	.pin_failed = 11,
	.nat_queries = 3,
	.nat_failed = 4,
	.liberal = 5,
	.liberal_failed = 6,
	.events_lost = 12,
	.ruleset_restores = 14,
	.ruleset_restore_failed = 15,
	.admin_rule_missing = 1,
	.admin_rule_warnings = 16,
	.journal_records = 17,
	.journal_failed = 18,
	.restored_sessions = 19,
	.adopted_pinholes = 20,
};

/* #1: IPv4, masqueraded, open; #2: IPv6, mid-stream, stopped; #3: TLS */
static void sessions(struct alg_session_info si[3])
{
	memset(si, 0, 3 * sizeof(si[0]));
	si[0].id = 1;
	si[0].tuple.family = AF_INET;
	tu_addr(AF_INET, "10.0.1.2", &si[0].tuple.caddr);
	tu_addr(AF_INET, "203.0.113.10", &si[0].tuple.saddr);
	si[0].tuple.cport = 40001;
	si[0].tuple.sport = 21;
	si[0].nat.known = true;
	tu_addr(AF_INET, "198.51.100.7", &si[0].nat.client_pub);
	tu_addr(AF_INET, "203.0.113.10", &si[0].nat.server_pub);
	si[0].state = ALG_S_OPEN;
	si[0].created_ms = NOW - 65000;
	si[0].cnt = (struct alg_counters){
		.pkts = { 10, 8 }, .bytes = { 300, 900 }, .rewrites = 2,
		.expects = 3, .refused = 1,
	};
	si[1].id = 2;
	si[1].tuple.family = AF_INET6;
	tu_addr(AF_INET6, "2001:db8:1::2", &si[1].tuple.caddr);
	tu_addr(AF_INET6, "2001:db8:2::10", &si[1].tuple.saddr);
	si[1].tuple.cport = 40002;
	si[1].tuple.sport = 2121;
	si[1].state = ALG_S_CLOSED;
	si[1].inspect = ALG_INSPECT_STOPPED;
	si[1].stop_reason = ALG_R_LINE_NUL;
	si[1].midstream = true;
	si[1].created_ms = NOW - 1500;
	si[1].cnt.pkts[0] = 1;
	si[1].cnt.bytes[0] = 8;
	si[2] = si[0];
	si[2].id = 3;
	si[2].tuple.cport = 40003;
	si[2].state = ALG_S_SYN;
	si[2].inspect = ALG_INSPECT_TLS;
	si[2].stop_reason = ALG_R_AUTH_TLS;
	si[2].created_ms = NOW;
}

static void pinholes(struct pinhole p[2])
{
	memset(p, 0, 2 * sizeof(p[0]));
	p[0].sid = 1;
	p[0].added_ms = NOW - 12345;
	p[0].e.family = AF_INET;
	tu_addr(AF_INET, "203.0.113.10", &p[0].e.peer);
	p[0].e.wire.family = AF_INET;
	tu_addr(AF_INET, "198.51.100.7", &p[0].e.wire.addr);
	p[0].e.wire.port = 50001;
	p[0].e.target.family = AF_INET;
	tu_addr(AF_INET, "10.0.1.2", &p[0].e.target.addr);
	p[0].e.target.port = 50001;
	p[0].e.timeout_ms = 60000;
	p[1].sid = 2;
	p[1].added_ms = NOW - 70000;
	p[1].e.family = AF_INET6;
	tu_addr(AF_INET6, "2001:db8:1::2", &p[1].e.peer);
	p[1].e.wire.family = AF_INET6;
	tu_addr(AF_INET6, "2001:db8:2::10", &p[1].e.wire.addr);
	p[1].e.wire.port = 50002;
	p[1].e.target = p[1].e.wire;
	p[1].e.timeout_ms = 60000;
}

/* ---- status ---- */

static void test_status_text_is_one_labelled_line_per_counter(void **state)
{
	struct ctl_buf o = { 0 };

	ctl_render_status(&o, &status, false);
	expect_output(&o,
		"ftp-algd 0.1.0 running\n"
		"uptime:        123s\n"
		"queue:         3 (xt NFQUEUE via nft_compat)\n"
		"packets:       12345 (last 4s ago)\n"
		"sessions:      3 (max 500)\n"
		"pinholes:      2 (added 7, used 8, not established 13, "
		"expired 9, removed 10, failed 11)\n"
		"enobufs:       3 queue, 77 conntrack events\n"
		"malformed:     1\n"
		"untracked:     2\n"
		"verdict errors: 15\n"
		"nat queries:   3 (4 failed)\n"
		"be-liberal:    5 (6 failed)\n"
		"events lost:   12\n"
		"ruleset:       14 restores (15 failed)\n"
		"admin rule:    1 chains without it (16 warnings)\n"
		"journal:       17 records (18 failed)\n"
		"taken over:    19 sessions, 20 pinholes at start\n");
}

static void test_status_json_has_every_key_in_order(void **state)
{
	struct ctl_buf o = { 0 };

	ctl_render_status(&o, &status, true);
	expect_valid_json(&o);
	expect_output(&o,
		"{\"running\":true,\"version\":\"0.1.0\",\"uptime_s\":123,"
		"\"queue\":3,\"queue_kind\":\"xt\",\"packets\":12345,"
		"\"sessions\":3,\"max_sessions\":500,\"pinholes\":2,"
		"\"enobufs\":3,\"ct_enobufs\":77,\"malformed\":1,"
		"\"untracked\":2,\"verdict_errors\":15,"
		"\"pinholes_added\":7,\"pinholes_used\":8,"
		"\"pinholes_not_established\":13,"
		"\"pinholes_expired\":9,\"pinholes_removed\":10,"
		"\"pinholes_failed\":11,\"nat_queries\":3,\"nat_failed\":4,"
		"\"liberal\":5,\"liberal_failed\":6,\"events_lost\":12,"
		"\"ruleset_restores\":14,\"ruleset_restore_failed\":15,"
		"\"admin_rule_missing\":1,\"admin_rule_warnings\":16,"
		"\"journal_records\":17,\"journal_failed\":18,"
		"\"restored_sessions\":19,\"adopted_pinholes\":20}\n");
}

static void test_native_queue_is_named_in_both_forms(void **state)
{
	struct ctl_status st = status;
	struct ctl_buf o = { 0 };

	st.native_queue = true;
	ctl_render_status(&o, &st, false);
	assert_non_null(strstr(o.p,
			       "\nqueue:         3 (native nft queue)\n"));
	free(o.p);
	o = (struct ctl_buf){ 0 };
	ctl_render_status(&o, &st, true);
	assert_non_null(strstr(o.p, ",\"queue_kind\":\"native\","));
	free(o.p);
}

static void test_status_json_escapes_strings(void **state)
{
	struct ctl_status st = status;
	struct ctl_buf o = { 0 };

	st.version = "0.1\"\\\x01";
	ctl_render_status(&o, &st, true);
	expect_valid_json(&o);
	assert_non_null(strstr(o.p, "\"version\":\"0.1\\\"\\\\\\u0001\","));
	free(o.p);
}

/* ---- sessions ---- */

static void render_sessions(struct ctl_buf *o, bool json)
{
	struct alg_session_info si[3];
	struct ctl_list l;
	unsigned i;

	sessions(si);
	ctl_list_begin(&l, o, "sessions", json);
	for (i = 0; i < 3; i++)
		ctl_list_session(&l, &si[i], NOW);
	ctl_list_end(&l);
}

static void test_sessions_text_is_one_line_each(void **state)
{
	struct ctl_buf o = { 0 };

	render_sessions(&o, false);
	expect_output(&o,
		"#1 10.0.1.2:40001 -> 203.0.113.10:21 nat 198.51.100.7 -> "
		"203.0.113.10 open inspecting pkts 10/8 rewrites 2 expects 3 "
		"refused 1 age 65s\n"
		"#2 [2001:db8:1::2]:40002 -> [2001:db8:2::10]:2121 nat ? "
		"closed stopped mid-stream (NUL byte in a control line) "
		"pkts 1/0 rewrites 0 expects 0 refused 0 age 1s\n"
		"#3 10.0.1.2:40003 -> 203.0.113.10:21 nat 198.51.100.7 -> "
		"203.0.113.10 syn tls (TLS) pkts 10/8 rewrites 2 expects 3 "
		"refused 1 age 0s\n");
}

static void test_sessions_json_is_a_list_of_objects(void **state)
{
	struct ctl_buf o = { 0 };

	render_sessions(&o, true);
	expect_valid_json(&o);
	expect_output(&o,
		"{\"sessions\":["
		"{\"id\":1,\"family\":\"ipv4\",\"client\":\"10.0.1.2\","
		"\"client_port\":40001,\"server\":\"203.0.113.10\","
		"\"server_port\":21,\"nat\":{\"client_public\":"
		"\"198.51.100.7\",\"server_public\":\"203.0.113.10\"},"
		"\"state\":\"open\",\"inspect\":true,\"tls\":false,"
		"\"midstream\":false,\"stop_reason\":\"\",\"packets\":[10,8],"
		"\"bytes\":[300,900],\"rewrites\":2,\"expects\":3,"
		"\"refused\":1,\"age_s\":65},"
		"{\"id\":2,\"family\":\"ipv6\",\"client\":\"2001:db8:1::2\","
		"\"client_port\":40002,\"server\":\"2001:db8:2::10\","
		"\"server_port\":2121,\"nat\":null,\"state\":\"closed\","
		"\"inspect\":false,\"tls\":false,\"midstream\":true,"
		"\"stop_reason\":\"NUL byte in a control line\","
		"\"packets\":[1,0],\"bytes\":[8,0],\"rewrites\":0,"
		"\"expects\":0,\"refused\":0,\"age_s\":1},"
		"{\"id\":3,\"family\":\"ipv4\",\"client\":\"10.0.1.2\","
		"\"client_port\":40003,\"server\":\"203.0.113.10\","
		"\"server_port\":21,\"nat\":{\"client_public\":"
		"\"198.51.100.7\",\"server_public\":\"203.0.113.10\"},"
		"\"state\":\"syn\",\"inspect\":false,\"tls\":true,"
		"\"midstream\":false,\"stop_reason\":\"TLS\","
		"\"packets\":[10,8],\"bytes\":[300,900],\"rewrites\":2,"
		"\"expects\":3,\"refused\":1,\"age_s\":0}"
		"]}\n");
}

static void test_empty_lists_are_answers_too(void **state)
{
	struct ctl_buf o = { 0 };
	struct ctl_list l;

	ctl_list_begin(&l, &o, "sessions", true);
	ctl_list_end(&l);
	expect_valid_json(&o);
	expect_output(&o, "{\"sessions\":[]}\n");
	ctl_list_begin(&l, &o, "pinholes", false);
	ctl_list_end(&l);
	assert_int_equal(o.len, 0);
}

/* ---- pinholes ---- */

static void render_pinholes(struct ctl_buf *o, bool json)
{
	struct pinhole p[2];
	struct ctl_list l;
	unsigned i;

	pinholes(p);
	ctl_list_begin(&l, o, "pinholes", json);
	for (i = 0; i < 2; i++)
		ctl_list_pinhole(&l, &p[i], NOW);
	ctl_list_end(&l);
}

static void test_pinholes_text_shows_peer_wire_target_and_ages(void **state)
{
	struct ctl_buf o = { 0 };

	render_pinholes(&o, false);
	expect_output(&o,
		"#1 203.0.113.10 -> 198.51.100.7:50001 => 10.0.1.2:50001 "
		"age 12s expires in 48s\n"
		"#2 2001:db8:1::2 -> [2001:db8:2::10]:50002 => "
		"[2001:db8:2::10]:50002 age 70s expires in 0s\n");
}

static void test_pinholes_json_splits_addresses_and_ports(void **state)
{
	struct ctl_buf o = { 0 };

	render_pinholes(&o, true);
	expect_valid_json(&o);
	expect_output(&o,
		"{\"pinholes\":["
		"{\"session\":1,\"peer\":\"203.0.113.10\","
		"\"wire\":\"198.51.100.7\",\"wire_port\":50001,"
		"\"target\":\"10.0.1.2\",\"target_port\":50001,"
		"\"leaves_from\":\"203.0.113.10\","
		"\"age_s\":12,\"expires_in_s\":48},"
		"{\"session\":2,\"peer\":\"2001:db8:1::2\","
		"\"wire\":\"2001:db8:2::10\",\"wire_port\":50002,"
		"\"target\":\"2001:db8:2::10\",\"target_port\":50002,"
		"\"leaves_from\":\"2001:db8:1::2\","
		"\"age_s\":70,\"expires_in_s\":0}"
		"]}\n");
}

/* A DMZ server's pinhole: its data connection leaves from peer_pub. */
static void test_pinhole_json_names_the_source_mapping(void **state)
{
	struct ctl_buf o = { 0 };
	struct pinhole p[2];
	struct ctl_list l;

	pinholes(p);
	tu_addr(AF_INET, "10.0.2.2", &p[0].e.peer);
	tu_addr(AF_INET, "203.0.113.5", &p[0].e.peer_pub);
	ctl_list_begin(&l, &o, "pinholes", true);
	ctl_list_pinhole(&l, &p[0], NOW);
	ctl_list_end(&l);
	expect_valid_json(&o);
	expect_output(&o,
		"{\"pinholes\":["
		"{\"session\":1,\"peer\":\"10.0.2.2\","
		"\"wire\":\"198.51.100.7\",\"wire_port\":50001,"
		"\"target\":\"10.0.1.2\",\"target_port\":50001,"
		"\"leaves_from\":\"203.0.113.5\","
		"\"age_s\":12,\"expires_in_s\":48}"
		"]}\n");
}

static void test_json_checker_refuses_broken_documents(void **state)
{
	static const char *const bad[] = {
		"{\"a\":1,}", "{\"a\" 1}", "[1 2]", "{\"a\":\"\x01\"}",
		"{\"a\":tru}", "{\"a\":\"\\x\"}", "{} {}", "-",
	};
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *end = json_value(bad[i]);

		if (end && !*json_ws(end))
			fail_msg("accepted: %s", bad[i]);
	}
	assert_non_null(json_value("{\"a\":[1,-2,{\"b\":null}]}"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_status_text_is_one_labelled_line_per_counter),
		cmocka_unit_test(test_status_json_has_every_key_in_order),
		cmocka_unit_test(test_native_queue_is_named_in_both_forms),
		cmocka_unit_test(test_status_json_escapes_strings),
		cmocka_unit_test(test_sessions_text_is_one_line_each),
		cmocka_unit_test(test_sessions_json_is_a_list_of_objects),
		cmocka_unit_test(test_empty_lists_are_answers_too),
		cmocka_unit_test(
			test_pinholes_text_shows_peer_wire_target_and_ages),
		cmocka_unit_test(
			test_pinholes_json_splits_addresses_and_ports),
		cmocka_unit_test(test_pinhole_json_names_the_source_mapping),
		cmocka_unit_test(test_json_checker_refuses_broken_documents),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
