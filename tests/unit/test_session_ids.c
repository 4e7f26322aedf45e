// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Session ids are unique across restarts: alg_table_seed_ids() starts
 * the counter where the daemon says (the wall clock in ms), keeps the
 * worker id in the top 16 bits, and never lowers the next id, so ids of
 * sessions taken over from a journal stay below the new ones.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#pragma GCC diagnostic ignored "-Wunused-parameter"

#include "engine_world.h"

static uint64_t sid(const struct alg_session *s)
{
	struct alg_session_info si;

	alg_session_info(s, &si);
	return si.id;
}

/* the world's table is worker 1 */
#define WORKER1		(1ull << 48)

static void test_seeded_ids_start_at_the_seed(void **state)
{
	struct world *w = w_masq();
	uint64_t first = 1764590738123ull;	/* a time in ms */

	alg_table_seed_ids(w->t, first);
	w_connect(w, 40001);
	assert_int_equal(sid(w->s), WORKER1 | first);
	w_connect(w, 40002);
	assert_int_equal(sid(w->s), WORKER1 | (first + 1));
	w_free(w);
}

static void test_a_lower_seed_never_lowers_the_next_id(void **state)
{
	struct world *w = w_masq();
	uint64_t first = 5000000;

	alg_table_seed_ids(w->t, first);
	w_connect(w, 40001);
	alg_table_seed_ids(w->t, 10);		/* a clock stepped back */
	w_connect(w, 40002);
	assert_int_equal(sid(w->s), WORKER1 | (first + 1));
	w_free(w);
}

static void test_the_seed_cannot_touch_the_worker_bits(void **state)
{
	struct world *w = w_masq();

	/* bits above 48 in the seed are not a worker id */
	alg_table_seed_ids(w->t, (7ull << 48) | 1234);
	w_connect(w, 40001);
	assert_int_equal(sid(w->s) >> 48, 1);
	assert_int_equal(sid(w->s) & ((1ull << 48) - 1), 1234);
	w_free(w);
}

static void test_two_runs_seeded_apart_share_no_id(void **state)
{
	struct world *a = w_masq(), *b = w_masq();
	uint64_t ids[8];
	unsigned i, j;

	/* run b starts 3 ms after run a, which opened 3 sessions */
	alg_table_seed_ids(a->t, 1000);
	alg_table_seed_ids(b->t, 1003);
	for (i = 0; i < 4; i++) {
		w_connect(a, (uint16_t)(41000 + i));
		ids[i] = sid(a->s);
		w_connect(b, (uint16_t)(42000 + i));
		ids[4 + i] = sid(b->s);
	}
	/* only the fourth of run a collides: more than one a millisecond */
	for (i = 0; i < 8; i++)
		for (j = i + 1; j < 8; j++)
			if (ids[i] == ids[j] && !(i == 3 && j == 4))
				fail_msg("id %llu twice (%u, %u)",
					 (unsigned long long)ids[i], i, j);
	assert_int_equal(ids[3], ids[4]);
	w_free(a);
	w_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seeded_ids_start_at_the_seed),
		cmocka_unit_test(test_a_lower_seed_never_lowers_the_next_id),
		cmocka_unit_test(test_the_seed_cannot_touch_the_worker_bits),
		cmocka_unit_test(test_two_runs_seeded_apart_share_no_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
