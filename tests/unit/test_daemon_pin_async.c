/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pair cache and the pending transaction of pin_async.c: which
 * announcements may leave before their pinhole's transaction. Links
 * alg_daemon; no kernel.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#pragma GCC diagnostic ignored "-Wunused-parameter"

#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "daemon.h"
#include "testutil.h"

static struct daemon D;

static int setup(void **state)
{
	memset(&D, 0, sizeof(D));
	config_default(&D.cfg);
	assert_true(pin_async_setup(&D, true, 0));
	return 0;
}

static int teardown(void **state)
{
	pin_async_free(&D);
	return 0;
}

static struct pin_entry entry(const char *peer, const char *wire,
			      uint16_t port)
{
	struct pin_entry e;

	memset(&e, 0, sizeof(e));
	e.family = strchr(peer, ':') ? AF_INET6 : AF_INET;
	tu_addr(e.family, peer, &e.peer);
	e.wire.family = e.target.family = e.family;
	tu_addr(e.family, wire, &e.wire.addr);
	e.target.addr = e.wire.addr;
	e.wire.port = e.target.port = port;
	e.timeout_ms = 60000;
	return e;
}

static void test_slot_is_stable_and_in_range(void **state)
{
	struct pin_entry a = entry("203.0.113.20", "203.0.113.1", 1),
			 b = entry("203.0.113.21", "203.0.113.1", 1);
	unsigned sa = pin_async_slot(AF_INET, &a.peer, &a.wire.addr);

	assert_true(sa < PEER_CACHE_SLOTS);
	assert_int_equal(sa, pin_async_slot(AF_INET, &a.peer, &a.wire.addr));
	assert_int_not_equal(sa, pin_async_slot(AF_INET, &b.peer,
						&b.wire.addr));
}

/* Unknown pairs go in the transaction (deduplicated), then are trusted
 * for PEER_TRUST_MS, not longer. */
static void test_pairs_added_then_trusted_for_a_while(void **state)
{
	struct pin_entry e[3] = {
		entry("203.0.113.20", "203.0.113.1", 40001),
		entry("203.0.113.20", "203.0.113.1", 40002),
		entry("2001:db8:10::2", "2001:db8:1::10", 40003),
	};
	struct pin_peer p[3];
	uint64_t now = 1000;
	unsigned n;

	assert_false(pin_async_peer_ok(&D, &e[0], now));
	n = pin_async_peers(&D, e, 3, p, now);
	assert_int_equal(n, 2);		/* one pair for the two ports */
	assert_int_equal(p[0].family, AF_INET);
	assert_int_equal(p[1].family, AF_INET6);
	assert_int_equal(p[0].timeout_ms, PEER_TIMEOUT_MS);
	pin_async_peers_added(&D, p, n, now);
	assert_true(pin_async_peer_ok(&D, &e[0], now));
	assert_true(pin_async_peer_ok(&D, &e[1], now));
	assert_true(pin_async_peer_ok(&D, &e[2], now));
	assert_int_equal(pin_async_peers(&D, e, 3, p, now), 0);
	/* past the trusted part of its life: added again */
	now += PEER_TIMEOUT_MS - PEER_TRUST_MS;
	assert_false(pin_async_peer_ok(&D, &e[0], now));
	assert_int_equal(pin_async_peers(&D, e, 3, p, now), 2);
}

/* A ruleset reload may have emptied the sets: nothing is trusted. */
static void test_invalidate_forgets_every_pair(void **state)
{
	struct pin_entry e = entry("203.0.113.20", "203.0.113.1", 40001);
	struct pin_peer p[1];

	assert_int_equal(pin_async_peers(&D, &e, 1, p, 0), 1);
	pin_async_peers_added(&D, p, 1, 0);
	assert_true(pin_async_peer_ok(&D, &e, 0));
	pin_async_invalidate();
	assert_false(pin_async_peer_ok(&D, &e, 0));
	assert_int_equal(pin_async_peers(&D, &e, 1, p, 0), 1);
}

/* Off (several queues, async_pinholes no): never taken, no pairs. */
static void test_off_takes_nothing(void **state)
{
	struct pin_entry e = entry("203.0.113.20", "203.0.113.1", 40001);
	struct pin_peer p[1];
	uint64_t sid = 7;

	assert_true(pin_async_setup(&D, false, 0));
	assert_int_equal(pin_async_peers(&D, &e, 1, p, 0), 0);
	assert_false(pin_async_take(&D, NULL, 0, &e, &sid, 1, 0));
	assert_false(pin_async_pending_sid(&D, sid));
}

/* Taken only when every pair is trusted, up to PIN_ASYNC_MAX. */
static void test_take_needs_trusted_pairs_and_room(void **state)
{
	struct pin_entry e = entry("203.0.113.20", "203.0.113.1", 40001),
			 f = entry("203.0.113.99", "203.0.113.1", 40001),
			 old = entry("203.0.113.20", "203.0.113.1", 39999);
	struct pin_entry two[2] = { e, f };
	uint64_t sids[2] = { 5, 6 };
	struct pin_peer p[1];
	unsigned i;

	assert_false(pin_async_take(&D, NULL, 0, &e, sids, 1, 0));
	assert_int_equal(pin_async_peers(&D, &e, 1, p, 0), 1);
	pin_async_peers_added(&D, p, 1, 0);
	/* one of two untrusted: neither is taken */
	assert_false(pin_async_take(&D, NULL, 0, two, sids, 2, 0));
	assert_false(pin_async_pending_sid(&D, 6));
	assert_true(pin_async_take(&D, &old, 1, &e, sids, 1, 0));
	assert_true(pin_async_pending_sid(&D, 5));
	assert_false(pin_async_pending_sid(&D, 6));
	assert_int_equal(D.as.nadd, 1);
	assert_int_equal(D.as.nold, 1);
	for (i = 1; i < PIN_ASYNC_MAX; i++)
		assert_true(pin_async_take(&D, NULL, 0, &e, sids, 1, 0));
	assert_false(pin_async_take(&D, NULL, 0, &e, sids, 1, 0));
	assert_int_equal(D.as.nadd, PIN_ASYNC_MAX);
	D.as.nadd = D.as.nold = 0;	/* no kernel here to commit to */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slot_is_stable_and_in_range),
		cmocka_unit_test_setup_teardown(
			test_pairs_added_then_trusted_for_a_while, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_invalidate_forgets_every_pair, setup, teardown),
		cmocka_unit_test_setup_teardown(test_off_takes_nothing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_take_needs_trusted_pairs_and_room, setup,
			teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
