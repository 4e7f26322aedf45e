/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What became of a pinhole: one decision for the once-a-second check and
 * for the removal when its session ends. Links alg_daemon (pinholes.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

/* cmocka's test signature: most tests do not use their state */
#pragma GCC diagnostic ignored "-Wunused-parameter"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "pinholes.h"

#define TIMEOUT	60000u		/* pinhole_timeout = 60 */
#define GONE	0
#define PRESENT	1
#define UNKNOWN	(-EIO)

/* The fate both when checked (closing false) and at removal. */
static void expect_fate_at(int present, uint64_t age, enum pinhole_fate check,
			   enum pinhole_fate removal, int line)
{
	enum pinhole_fate got;

	got = pinhole_fate(present, age, TIMEOUT, false);
	if (got != check)
		fail_msg("line %d: present %d age %llu: check says %s, "
			 "expected %s", line, present,
			 (unsigned long long)age, pinhole_fate_name(got),
			 pinhole_fate_name(check));
	got = pinhole_fate(present, age, TIMEOUT, true);
	if (got != removal)
		fail_msg("line %d: present %d age %llu: removal says %s, "
			 "expected %s", line, present,
			 (unsigned long long)age, pinhole_fate_name(got),
			 pinhole_fate_name(removal));
}
#define expect_fate(present, age, check, removal) \
	expect_fate_at(present, age, check, removal, __LINE__)

static void test_gone_well_before_its_timeout_was_used(void **state)
{
	expect_fate(GONE, 0, PINHOLE_USED, PINHOLE_USED);
	expect_fate(GONE, TIMEOUT - PINHOLE_SLACK_MS - 1, PINHOLE_USED,
		    PINHOLE_USED);
}

static void test_gone_near_or_after_its_timeout_expired(void **state)
{
	expect_fate(GONE, TIMEOUT - PINHOLE_SLACK_MS, PINHOLE_EXPIRED,
		    PINHOLE_EXPIRED);
	expect_fate(GONE, TIMEOUT, PINHOLE_EXPIRED, PINHOLE_EXPIRED);
	expect_fate(GONE, 10 * TIMEOUT, PINHOLE_EXPIRED, PINHOLE_EXPIRED);
}

static void test_present_within_grace_is_kept_or_removed(void **state)
{
	expect_fate(PRESENT, 0, PINHOLE_KEEP, PINHOLE_REMOVED);
	expect_fate(PRESENT, TIMEOUT, PINHOLE_KEEP, PINHOLE_REMOVED);
	expect_fate(PRESENT, TIMEOUT + PINHOLE_GC_GRACE_MS - 1, PINHOLE_KEEP,
		    PINHOLE_REMOVED);
}

static void test_present_past_grace_expired(void **state)
{
	/* the kernel's garbage collection is late: it expired all the same */
	expect_fate(PRESENT, TIMEOUT + PINHOLE_GC_GRACE_MS, PINHOLE_EXPIRED,
		    PINHOLE_EXPIRED);
	expect_fate(PRESENT, 10 * TIMEOUT, PINHOLE_EXPIRED, PINHOLE_EXPIRED);
}

static void test_unknown_state_is_kept_or_removed_whatever_its_age(
	void **state)
{
	expect_fate(UNKNOWN, 0, PINHOLE_KEEP, PINHOLE_REMOVED);
	expect_fate(UNKNOWN, TIMEOUT - PINHOLE_SLACK_MS, PINHOLE_KEEP,
		    PINHOLE_REMOVED);
	expect_fate(UNKNOWN, 10 * TIMEOUT, PINHOLE_KEEP, PINHOLE_REMOVED);
}

static void test_fate_names_are_the_logged_words(void **state)
{
	assert_string_equal(pinhole_fate_name(PINHOLE_USED), "used");
	assert_string_equal(pinhole_fate_name(PINHOLE_EXPIRED), "expired");
	assert_string_equal(pinhole_fate_name(PINHOLE_REMOVED), "removed");
	assert_string_equal(pinhole_fate_name(PINHOLE_KEEP), "kept");
}

/* Two passive replies in one result, max_pinholes_per_session = 1. */
static struct pin_entry near_entry(uint8_t peer, uint16_t wport,
				   uint16_t tport)
{
	struct pin_entry e = { .family = AF_INET };

	e.peer.b[0] = 203; e.peer.b[3] = peer;
	e.wire.family = AF_INET;
	e.wire.addr.b[0] = 203; e.wire.addr.b[3] = 1;
	e.wire.port = wport;
	e.target.family = AF_INET;
	e.target.addr.b[0] = 10; e.target.addr.b[3] = 2;
	e.target.port = tport;
	return e;
}

/* Two sessions of one client given the same server port in turn. */
static void test_key_near_same_peer_and_port(void **state)
{
	struct pin_entry batch[2] = {
		near_entry(20, 40000, 40000), near_entry(21, 40001, 40001),
	};
	struct pin_entry e = near_entry(21, 40001, 40001);

	(void)state;
	assert_true(pinhole_key_near(&e, batch, 2));
	/* the same target port behind another wire port: same element */
	e = near_entry(20, 41000, 40000);
	assert_true(pinhole_key_near(&e, batch, 2));
	e = near_entry(20, 40000, 41000);
	assert_true(pinhole_key_near(&e, batch, 2));
	/* another peer, another port, another family: not */
	e = near_entry(22, 40000, 40000);
	assert_false(pinhole_key_near(&e, batch, 2));
	e = near_entry(20, 40002, 40002);
	assert_false(pinhole_key_near(&e, batch, 2));
	e = near_entry(20, 40000, 40000);
	e.family = AF_INET6;
	assert_false(pinhole_key_near(&e, batch, 2));
	assert_false(pinhole_key_near(&e, batch, 0));
}

/* A pinhole we destroyed with its successor's batch (retired). */
static struct pin_entry port_entry(uint16_t wire, uint16_t target)
{
	struct pin_entry e;

	memset(&e, 0, sizeof(e));
	e.family = AF_INET;
	e.wire.port = wire;
	e.target.port = target;
	return e;
}

static void test_port_counts_answer_without_a_walk(void **state)
{
	struct pinholes ps = { .n = 0 };
	struct pin_entry a = port_entry(40001, 50001);
	struct pin_entry b = port_entry(40002, 40002);	/* counted once */
	unsigned k;

	ps.port_n = calloc(65536, sizeof(*ps.port_n));
	assert_non_null(ps.port_n);
	pinholes_port_count(&ps, &a, 1);
	pinholes_port_count(&ps, &b, 1);
	ps.n = 2;
	assert_true(pinholes_port_maybe(&ps, 40001, 1));	/* a's wire */
	assert_true(pinholes_port_maybe(&ps, 1, 50001));	/* a's target */
	assert_true(pinholes_port_maybe(&ps, 40002, 2));
	assert_false(pinholes_port_maybe(&ps, 50002, 40003));
	assert_int_equal(ps.port_n[40002], 1);
	/* out again: nothing left to find, no count below zero */
	pinholes_port_count(&ps, &a, -1);
	pinholes_port_count(&ps, &b, -1);
	pinholes_port_count(&ps, &b, -1);
	ps.n = 0;
	assert_false(pinholes_port_maybe(&ps, 40001, 50001));
	assert_int_equal(ps.port_n[40002], 0);
	/* a count that would overflow: every look walks the table */
	for (k = 0; k < UINT16_MAX; k++)
		pinholes_port_count(&ps, &a, 1);
	ps.n = UINT16_MAX;
	assert_false(ps.port_sat);
	pinholes_port_count(&ps, &a, 1);
	assert_true(ps.port_sat);
	assert_true(pinholes_port_maybe(&ps, 1, 2));
	free(ps.port_n);
	/* no counts (no memory): a table with pinholes is always walked */
	ps = (struct pinholes){ .n = 1 };
	assert_true(pinholes_port_maybe(&ps, 1, 2));
	ps.n = 0;
	assert_false(pinholes_port_maybe(&ps, 1, 2));
}

static void test_retired_never_noted_was_removed_not_used(void **state)
{
	(void)state;
	/* gone because we destroyed it; no connection consumed it first */
	assert_int_equal(pinhole_retired_fate(0, false, PINHOLE_CONN_UNKNOWN,
					      0, false), PINHOLE_REMOVED);
	assert_int_equal(pinhole_retired_fate(0, false, PINHOLE_CONN_NONE,
					      60000, true), PINHOLE_REMOVED);
	/* still there (the replacing batch failed) or unknown: removed */
	assert_int_equal(pinhole_retired_fate(1, true, PINHOLE_CONN_REPLIED,
					      0, false), PINHOLE_REMOVED);
	assert_int_equal(pinhole_retired_fate(-EIO, false,
					      PINHOLE_CONN_UNKNOWN, 0, true),
			 PINHOLE_REMOVED);
}

static void test_retired_noted_is_judged_by_its_connection(void **state)
{
	(void)state;
	assert_int_equal(pinhole_retired_fate(0, true, PINHOLE_CONN_REPLIED,
					      0, false), PINHOLE_USED);
	assert_int_equal(pinhole_retired_fate(0, true, PINHOLE_CONN_UNKNOWN,
					      0, true), PINHOLE_USED);
	/* not answered yet: the confirm window, then not established */
	assert_int_equal(pinhole_retired_fate(0, true, PINHOLE_CONN_NO_REPLY,
					      PINHOLE_CONFIRM_MS - 1, false),
			 PINHOLE_KEEP);
	assert_int_equal(pinhole_retired_fate(0, true, PINHOLE_CONN_NO_REPLY,
					      PINHOLE_CONFIRM_MS, false),
			 PINHOLE_UNESTABLISHED);
}

static void test_plan_skips_a_pinhole_replaced_in_the_same_result(void **s)
{
	static struct alg_result r;
	bool skip[ALG_MAX_EV], remove[ALG_MAX_EV];
	struct alg_expect a = { .family = AF_INET }, b = a, old = a;

	a.target.port = 5001;
	b.target.port = 5002;
	old.target.port = 4000;
	r.nev = 4;
	r.ev[0] = (struct alg_event){ .type = ALG_EV_NOTE, .sid = 9,
				      .reason = ALG_R_PIN_REPLACED, .exp = old };
	r.ev[1] = (struct alg_event){ .type = ALG_EV_EXPECT, .sid = 9,
				      .reason = ALG_R_DATA_PORT, .exp = a };
	r.ev[2] = (struct alg_event){ .type = ALG_EV_NOTE, .sid = 9,
				      .reason = ALG_R_PIN_REPLACED, .exp = a };
	r.ev[3] = (struct alg_event){ .type = ALG_EV_EXPECT, .sid = 9,
				      .reason = ALG_R_DATA_PORT, .exp = b };
	pinholes_plan(&r, skip, remove);
	/* the old one leaves the table; a never reaches it; b is added */
	assert_true(remove[0]);
	assert_true(skip[1]);
	assert_false(remove[2]);
	assert_false(skip[3]);
	assert_false(remove[1] || remove[3] || skip[0] || skip[2]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gone_well_before_its_timeout_was_used),
		cmocka_unit_test(test_gone_near_or_after_its_timeout_expired),
		cmocka_unit_test(test_present_within_grace_is_kept_or_removed),
		cmocka_unit_test(test_present_past_grace_expired),
		cmocka_unit_test(
			test_unknown_state_is_kept_or_removed_whatever_its_age),
		cmocka_unit_test(test_fate_names_are_the_logged_words),
		cmocka_unit_test(test_key_near_same_peer_and_port),
		cmocka_unit_test(test_port_counts_answer_without_a_walk),
		cmocka_unit_test(
			test_retired_never_noted_was_removed_not_used),
		cmocka_unit_test(
			test_retired_noted_is_judged_by_its_connection),
		cmocka_unit_test(
			test_plan_skips_a_pinhole_replaced_in_the_same_result),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
