/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rulewatch's and the pinhole check's decisions without a kernel: when to
 * look after nftables events, which pinholes come back after a reload,
 * what a restore logs, and whether a consumed pinhole was used. Links
 * alg_daemon (rulewatch_decide.c, pinholes_ct.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

/* cmocka's test signature: most tests do not use their state */
#pragma GCC diagnostic ignored "-Wunused-parameter"

#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter/nf_conntrack_common.h>

#include "conntrack.h"
#include "pinholes.h"
#include "rulewatch.h"
#include "testutil.h"

#define T0	100000u

/* ---- when to look -------------------------------------------------------- */

static void test_nothing_pending_is_never_due(void **state)
{
	struct rw_debounce b = { .pending = false };

	assert_true(rw_debounce_due(&b) == RW_NEVER);
	/* the end of a transaction that changed nothing of ours */
	rw_debounce_txn_end(&b, T0);
	assert_true(rw_debounce_due(&b) == RW_NEVER);
}

static void test_a_reload_is_looked_at_when_its_transaction_ends(void **state)
{
	struct rw_debounce b = { .pending = false };
	unsigned i;

	/* hundreds of messages, one transaction */
	for (i = 0; i < 300; i++)
		rw_debounce_change(&b, T0 + i / 100);
	/* still open: wait for quiet */
	assert_int_equal(rw_debounce_due(&b), T0 + 2 + RW_QUIET_MS);
	rw_debounce_txn_end(&b, T0 + 3);
	assert_int_equal(rw_debounce_due(&b), T0 + 3);
	rw_debounce_looked(&b, T0 + 3);
	assert_true(rw_debounce_due(&b) == RW_NEVER);
}

static void test_a_burst_never_delays_past_the_maximum(void **state)
{
	struct rw_debounce b = { .pending = false };
	uint64_t t;

	/* a change every 50 ms, never a transaction end (events lost) */
	for (t = T0; t < T0 + 2000; t += 50)
		rw_debounce_change(&b, t);
	assert_int_equal(rw_debounce_due(&b), T0 + RW_MAX_MS);
}

static void test_looks_are_spaced(void **state)
{
	struct rw_debounce b = { .pending = false };

	rw_debounce_change(&b, T0);
	rw_debounce_txn_end(&b, T0);
	rw_debounce_looked(&b, T0);
	/* our own repair, or someone else, right after */
	rw_debounce_change(&b, T0 + 10);
	rw_debounce_txn_end(&b, T0 + 10);
	assert_int_equal(rw_debounce_due(&b), T0 + RW_MIN_GAP_MS);
	/* and later changes are looked at at once again */
	rw_debounce_looked(&b, T0 + RW_MIN_GAP_MS);
	rw_debounce_change(&b, T0 + 5000);
	rw_debounce_txn_end(&b, T0 + 5000);
	assert_int_equal(rw_debounce_due(&b), T0 + 5000);
}

/* ---- which pinholes come back -------------------------------------------- */

static struct rw_pin_seen seen(int present, int map_present, bool nat)
{
	return (struct rw_pin_seen){
		.present = present, .map_present = map_present,
		.needs_nat = nat, .age_ms = 5000, .timeout_ms = 60000,
		.conn = PINHOLE_CONN_NONE,
	};
}

static void expect_restore_at(struct rw_pin_seen s, bool want, bool pin,
			      bool map, int line)
{
	bool pin_lost, map_lost, got;

	got = rw_pin_restore(&s, &pin_lost, &map_lost);
	if (got != want || pin_lost != pin || map_lost != map)
		fail_msg("line %d: restore %d pin_lost %d map_lost %d, "
			 "expected %d %d %d", line, got, pin_lost, map_lost,
			 want, pin, map);
}
#define expect_restore(s, want, pin, map) \
	expect_restore_at(s, want, pin, map, __LINE__)

static void test_a_pinhole_flushed_away_comes_back(void **state)
{
	/* the table went: the pinhole and its mapping */
	expect_restore(seen(0, 0, true), true, true, true);
	/* no NAT: no mapping to miss */
	expect_restore(seen(0, 1, false), true, true, false);
	/* only dnat4 flushed */
	expect_restore(seen(1, 0, true), true, false, true);
	/* all there */
	expect_restore(seen(1, 1, true), false, false, false);
}

static void test_a_consumed_pinhole_is_never_reopened(void **state)
{
	struct rw_pin_seen s = seen(0, 0, true);

	s.consumed = true;
	expect_restore(s, false, false, false);
	/* gone, and conntrack has its data connection */
	s = seen(0, 0, true);
	s.conn = PINHOLE_CONN_REPLIED;
	expect_restore(s, false, false, false);
	s.conn = PINHOLE_CONN_NO_REPLY;
	expect_restore(s, false, false, false);
	/* we cannot tell: single use wins */
	s.conn = PINHOLE_CONN_UNKNOWN;
	expect_restore(s, false, false, false);
}

static void test_an_expiring_or_unknown_pinhole_stays_as_it_is(void **state)
{
	struct rw_pin_seen s = seen(0, 0, false);

	s.age_ms = s.timeout_ms - PINHOLE_SLACK_MS;
	expect_restore(s, false, false, false);
	s = seen(-5, 1, false);
	expect_restore(s, false, false, false);
}

static void test_ports_are_compared_as_sets(void **state)
{
	static const uint16_t a[] = { 21, 2121 }, b[] = { 2121, 21 };
	static const uint16_t c[] = { 21 }, d[] = { 21, 2121, 990 };

	assert_true(rw_ports_equal(a, 2, b, 2));
	assert_false(rw_ports_equal(a, 2, c, 1));
	assert_false(rw_ports_equal(c, 1, a, 2));
	assert_false(rw_ports_equal(a, 2, d, 3));
	assert_true(rw_ports_equal(c, 1, c, 1));
}

/* ---- the log line -------------------------------------------------------- */

static void test_a_reload_is_one_line_of_losses_and_repairs(void **state)
{
	struct rw_report r = {
		.queue_lost = true, .pins_lost = 2, .maps_lost = 1,
		.queue_done = 2, .pins_done = 2, .maps_done = 1,
		.ports_lost = true, .ports_done = "21",
	};
	char line[256];

	assert_true(rw_describe(&r, line, sizeof(line)) > 0);
	assert_string_equal(line, "ruleset changed: queue rules gone, "
			    "2 pinholes gone, 1 mapping gone, ctl_ports "
			    "changed: restored 2 queue rules, 2 pinholes, "
			    "1 mapping, ctl_ports 21");
}

static void test_a_deleted_table_and_a_failure_are_named(void **state)
{
	struct rw_report r = {
		.table_gone = true, .queue_lost = true, .table_done = true,
	};
	char line[256];

	snprintf(r.failed, sizeof(r.failed), "queue rules: Operation not "
		 "permitted");
	rw_describe(&r, line, sizeof(line));
	assert_string_equal(line, "ruleset changed: table inet ftp_alg gone, "
			    "queue rules gone: restored table inet ftp_alg "
			    "from deploy/ftp-alg.nft; failed: queue rules: "
			    "Operation not permitted");
}

static void test_nothing_lost_is_no_line(void **state)
{
	struct rw_report r = { .queue_found = 2 };
	char line[64] = "x";

	assert_int_equal(rw_describe(&r, line, sizeof(line)), 0);
	assert_string_equal(line, "");
	assert_false(rw_report_lost(&r));
}

static void test_a_short_buffer_is_cut_not_overrun(void **state)
{
	struct rw_report r = {
		.queue_lost = true, .queue_found = 1, .queue_done = 2,
	};
	char line[24];
	size_t n;

	n = rw_describe(&r, line, sizeof(line));
	assert_true(n < sizeof(line));
	assert_int_equal(strlen(line), n);
	assert_int_equal(strncmp(line, "ruleset changed: queue rules changed",
				 n), 0);
}

/* ---- a consumed pinhole: used or not established ------------------------- */

static void test_used_only_when_the_connection_was_answered(void **state)
{
	assert_int_equal(pinhole_conn_fate(PINHOLE_CONN_REPLIED, 0, false),
			 PINHOLE_USED);
	/* not yet: give the SYN-ACK time */
	assert_int_equal(pinhole_conn_fate(PINHOLE_CONN_NO_REPLY, 0, false),
			 PINHOLE_KEEP);
	assert_int_equal(pinhole_conn_fate(PINHOLE_CONN_NONE,
					   PINHOLE_CONFIRM_MS - 1, false),
			 PINHOLE_KEEP);
	assert_int_equal(pinhole_conn_fate(PINHOLE_CONN_NONE,
					   PINHOLE_CONFIRM_MS, false),
			 PINHOLE_UNESTABLISHED);
	assert_int_equal(pinhole_conn_fate(PINHOLE_CONN_NO_REPLY,
					   PINHOLE_CONFIRM_MS, false),
			 PINHOLE_UNESTABLISHED);
	/* its session ends: decide now */
	assert_int_equal(pinhole_conn_fate(PINHOLE_CONN_NONE, 0, true),
			 PINHOLE_UNESTABLISHED);
	/* conntrack could not be asked: as before, used */
	assert_int_equal(pinhole_conn_fate(PINHOLE_CONN_UNKNOWN, 0, false),
			 PINHOLE_USED);
	assert_string_equal(pinhole_fate_name(PINHOLE_UNESTABLISHED),
			    "not established");
	assert_non_null(strstr(pinhole_conn_reason(PINHOLE_CONN_NONE),
			       "dropped after our accept"));
}

static void test_the_data_connection_is_found_by_peer_and_target(void **state)
{
	/* 203.0.113.10 -> 203.0.113.1:40001 => 10.0.1.2:40001 */
	struct pin_entry e = { .family = AF_INET };
	struct ct_entry ct;

	tu_addr(AF_INET, "203.0.113.10", &e.peer);
	e.wire.family = e.target.family = AF_INET;
	tu_addr(AF_INET, "203.0.113.1", &e.wire.addr);
	tu_addr(AF_INET, "10.0.1.2", &e.target.addr);
	e.wire.port = e.target.port = 40001;

	memset(&ct, 0, sizeof(ct));
	ct.orig.family = ct.reply.family = AF_INET;
	ct.orig.proto = ct.reply.proto = IPPROTO_TCP;
	/* 203.0.113.10:20 -> 203.0.113.1:40001, reply 10.0.1.2:40001 */
	tu_addr(AF_INET, "203.0.113.10", &ct.orig.src);
	tu_addr(AF_INET, "203.0.113.1", &ct.orig.dst);
	ct.orig.sport = 20;
	ct.orig.dport = 40001;
	tu_addr(AF_INET, "10.0.1.2", &ct.reply.src);
	tu_addr(AF_INET, "203.0.113.10", &ct.reply.dst);
	ct.reply.sport = 40001;
	ct.reply.dport = 20;
	assert_true(pinhole_conn_matches(&e, &ct));
	ct.reply.sport = 40002;
	assert_false(pinhole_conn_matches(&e, &ct));
	ct.reply.sport = 40001;
	tu_addr(AF_INET, "203.0.113.11", &ct.orig.src);
	assert_false(pinhole_conn_matches(&e, &ct));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nothing_pending_is_never_due),
		cmocka_unit_test(test_a_reload_is_looked_at_when_its_transaction_ends),
		cmocka_unit_test(test_a_burst_never_delays_past_the_maximum),
		cmocka_unit_test(test_looks_are_spaced),
		cmocka_unit_test(test_a_pinhole_flushed_away_comes_back),
		cmocka_unit_test(test_a_consumed_pinhole_is_never_reopened),
		cmocka_unit_test(test_an_expiring_or_unknown_pinhole_stays_as_it_is),
		cmocka_unit_test(test_ports_are_compared_as_sets),
		cmocka_unit_test(test_a_reload_is_one_line_of_losses_and_repairs),
		cmocka_unit_test(test_a_deleted_table_and_a_failure_are_named),
		cmocka_unit_test(test_nothing_lost_is_no_line),
		cmocka_unit_test(test_a_short_buffer_is_cut_not_overrun),
		cmocka_unit_test(test_used_only_when_the_connection_was_answered),
		cmocka_unit_test(test_the_data_connection_is_found_by_peer_and_target),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
