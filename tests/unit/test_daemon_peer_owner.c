/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The owners of maps peerq4/peerq6's pairs (peer_owner.c): one worker per
 * pair while its element may be in the kernel, whoever asks after that;
 * a full neighbourhood refuses instead of forgetting a live owner. And
 * pin_async_peers() with several queues: a pair another worker owns is
 * not added (its announcement waits), one of its own is, with its chain.
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
#include "peer_owner.h"

#define LIFE	3600000u

static struct peer_owner_slot *T;

static int setup(void **state)
{
	T = calloc(PEER_OWNER_SLOTS, sizeof(*T));
	return T ? 0 : -1;
}

static int teardown(void **state)
{
	free(T);
	return 0;
}

static union alg_addr v4(const char *s)
{
	union alg_addr a;

	memset(&a, 0, sizeof(a));
	assert_int_equal(inet_pton(AF_INET, s, &a.v4), 1);
	return a;
}

static union alg_addr v6(const char *s)
{
	union alg_addr a;

	assert_int_equal(inet_pton(AF_INET6, s, &a.v6), 1);
	return a;
}

static void test_one_owner_while_live(void **state)
{
	union alg_addr p = v4("198.51.100.7"), a = v4("203.0.113.1");
	uint64_t t = 1000;

	assert_int_equal(peer_owner_of(T, AF_INET, &p, &a, t), -1);
	assert_true(peer_owner_claim(T, AF_INET, &p, &a, 2, t, LIFE));
	assert_int_equal(peer_owner_of(T, AF_INET, &p, &a, t), 2);
	/* another worker: refused, all the element's life and the margin */
	assert_false(peer_owner_claim(T, AF_INET, &p, &a, 1, t + 5, LIFE));
	assert_false(peer_owner_claim(T, AF_INET, &p, &a, 1,
				      t + LIFE + PEER_OWNER_MARGIN_MS - 1,
				      LIFE));
	/* its own again: a renewal, the life from now */
	assert_true(peer_owner_claim(T, AF_INET, &p, &a, 2, t + LIFE / 2,
				     LIFE));
	assert_false(peer_owner_claim(T, AF_INET, &p, &a, 1, t + LIFE + 5,
				      LIFE));
	/* after it: anyone's */
	t += LIFE / 2 + LIFE + PEER_OWNER_MARGIN_MS;
	assert_int_equal(peer_owner_of(T, AF_INET, &p, &a, t), -1);
	assert_true(peer_owner_claim(T, AF_INET, &p, &a, 1, t, LIFE));
	assert_int_equal(peer_owner_of(T, AF_INET, &p, &a, t), 1);
}

/* Other pairs and families are other keys. */
static void test_pairs_are_keys(void **state)
{
	union alg_addr p = v4("192.0.2.1"), a = v4("192.0.2.2");
	union alg_addr p6 = v6("2001:db8::1"), a6 = v6("2001:db8::2");
	union alg_addr p6b = v6("2001:db8::1:0:0:1");

	assert_true(peer_owner_claim(T, AF_INET, &p, &a, 0, 1, LIFE));
	/* the swapped pair is not the pair */
	assert_true(peer_owner_claim(T, AF_INET, &a, &p, 1, 1, LIFE));
	assert_true(peer_owner_claim(T, AF_INET6, &p6, &a6, 2, 1, LIFE));
	/* IPv6 compares all 16 bytes */
	assert_true(peer_owner_claim(T, AF_INET6, &p6b, &a6, 3, 1, LIFE));
	assert_int_equal(peer_owner_of(T, AF_INET, &p, &a, 2), 0);
	assert_int_equal(peer_owner_of(T, AF_INET, &a, &p, 2), 1);
	assert_int_equal(peer_owner_of(T, AF_INET6, &p6, &a6, 2), 2);
	assert_int_equal(peer_owner_of(T, AF_INET6, &p6b, &a6, 2), 3);
}

/*
 * Many live pairs: each claimed is owned, none is ever handed to another
 * worker while live; a pair that finds no free slot near its hash is
 * refused (it waits for its transactions), never let to push one out.
 */
static void test_full_refuses_never_forgets(void **state)
{
	const unsigned n = 3 * PEER_OWNER_SLOTS;
	union alg_addr a = v4("203.0.113.1"), p;
	unsigned i, got = 0, refused = 0;
	bool *owned = calloc(n, sizeof(*owned));

	assert_non_null(owned);
	for (i = 0; i < n; i++) {
		memset(&p, 0, sizeof(p));
		p.v4.s_addr = htonl(0x0a000000u + i);
		owned[i] = peer_owner_claim(T, AF_INET, &p, &a,
					    (uint16_t)(i % 4), 10, LIFE);
		if (owned[i])
			got++;
		else
			refused++;
	}
	assert_true(got <= PEER_OWNER_SLOTS);
	assert_true(got > PEER_OWNER_SLOTS / 2);
	assert_true(refused >= n - PEER_OWNER_SLOTS);
	for (i = 0; i < n; i++) {
		memset(&p, 0, sizeof(p));
		p.v4.s_addr = htonl(0x0a000000u + i);
		assert_int_equal(peer_owner_of(T, AF_INET, &p, &a, 20),
				 owned[i] ? (int)(i % 4) : -1);
		/* another worker cannot take an owned one */
		if (owned[i])
			assert_false(peer_owner_claim(T, AF_INET, &p, &a,
						      (uint16_t)(i % 4 + 1),
						      20, LIFE));
	}
	/* once they have all expired, the slots are free again */
	memset(&p, 0, sizeof(p));
	p.v4.s_addr = htonl(0x0b000000u);
	assert_true(peer_owner_claim(T, AF_INET, &p, &a, 5,
				     10 + LIFE + PEER_OWNER_MARGIN_MS, LIFE));
	free(owned);
}

/* pin_async_peers() of a worker with several queues. */
static struct daemon W0, W1;

static struct pin_entry entry(const char *peer, const char *wire)
{
	struct pin_entry e;

	memset(&e, 0, sizeof(e));
	e.family = AF_INET;
	e.peer = v4(peer);
	e.wire.family = AF_INET;
	e.wire.addr = v4(wire);
	e.wire.port = 40000;
	e.target = e.wire;
	e.timeout_ms = 30000;
	return e;
}

static void test_worker_adds_only_its_pairs(void **state)
{
	struct pin_entry e[2] = {
		entry("198.51.100.7", "203.0.113.1"),
		entry("198.51.100.8", "203.0.113.1"),
	};
	struct pin_peer p[2];
	unsigned n;

	config_default(&W0.cfg);
	config_default(&W1.cfg);
	/* setup of worker 1 after worker 0: the table emptied once more */
	assert_true(pin_async_setup(&W0, true, 1));
	assert_true(pin_async_setup(&W1, true, 2));
	n = pin_async_peers(&W0, e, 1, p, 1000);
	assert_int_equal(n, 1);
	assert_int_equal(p[0].chain, 1);
	pin_async_peers_added(&W0, p, n, 1000);
	assert_true(pin_async_peer_ok(&W0, &e[0], 1001));
	/* worker 1 wants the same pair and another one: only the other */
	n = pin_async_peers(&W1, e, 2, p, 1002);
	assert_int_equal(n, 1);
	assert_int_equal(p[0].chain, 2);
	assert_memory_equal(&p[0].peer, &e[1].peer, sizeof(p[0].peer));
	assert_int_equal(W1.st.pair_elsewhere, 1);
	pin_async_peers_added(&W1, p, n, 1002);
	assert_false(pin_async_peer_ok(&W1, &e[0], 1003));
	assert_true(pin_async_peer_ok(&W1, &e[1], 1003));
	/* so worker 1's announcement for the first pair waits */
	assert_false(pin_async_take(&W1, NULL, 0, &e[0],
				    (const uint64_t[]){ 7 }, 1, 1003));
	pin_async_free(&W0);
	pin_async_free(&W1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_one_owner_while_live,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_pairs_are_keys, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_full_refuses_never_forgets,
						setup, teardown),
		cmocka_unit_test(test_worker_adds_only_its_pairs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
