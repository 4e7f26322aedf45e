// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Session state as bytes: a session exported and imported into a new
 * table (a restart) goes on exactly as if nothing had happened, and a
 * damaged record is refused without touching the table.
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

#include "ftp-alg/state.h"
#include "engine_world.h"
#include "testutil.h"

#define C 0
#define S 1

static uint8_t rec[ALG_STATE_MAX], rec2[ALG_STATE_MAX];

/*
 * Export w's session into buf. With STATE_SEED_DIR set, each record is
 * also written there: the seed corpus of fuzz_state comes from here.
 */
static size_t export(struct world *w, uint8_t *buf)
{
	int n = alg_state_export(w->s, w->now, buf, ALG_STATE_MAX);
	const char *dir = getenv("STATE_SEED_DIR");
	static unsigned seeds;

	assert_true(n > 0);
	if (dir) {
		char path[4096];
		FILE *f;

		snprintf(path, sizeof(path), "%s/seed-%02u", dir, seeds++);
		f = fopen(path, "wb");
		assert_non_null(f);
		assert_int_equal(fwrite(buf, 1, (size_t)n, f), (size_t)n);
		fclose(f);
	}
	return (size_t)n;
}

static void test_restart_after_rewrite_keeps_seq_mapping(void **state)
{
	struct world *w = w_masq();

	w_line(w, C, "PORT 10,0,1,2,4,1\r\n");
	w_line(w, S, "200 ok\r\n");
	assert_int_equal(w_restart(w, NULL), 0);
	/* the stream goes on shifted: NOOP lands after the longer line */
	w_line(w, C, "NOOP\r\n");
	w_line(w, S, "200 noop\r\n");
	assert_string_equal(w_out(w, C),
			    "PORT 203,0,113,1,4,1\r\nNOOP\r\n");
	assert_string_equal(w_out(w, S), "200 ok\r\n200 noop\r\n");
	/* a retransmission of the rewritten line renders the same */
	w_send(w, C, 0, "PORT 10,0,1,2,4,1\r\n", 19);
	assert_string_equal(w_out(w, C),
			    "PORT 203,0,113,1,4,1\r\nNOOP\r\n");
	assert_int_equal(w->dropped, 0);
	w_free(w);
}

static void test_restart_inside_split_address_finishes_it(void **state)
{
	struct world *w = w_masq();

	w_line(w, C, "PORT 10,0");
	assert_int_equal(w_restart(w, NULL), 0);
	w_line(w, C, ",1,2,4,1\r\n");
	assert_string_equal(w_out(w, C), "PORT 203,0,113,1,4,1\r\n");
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 1);
	assert_int_equal(w_ev(w, ALG_EV_REWRITE, 0)->reason,
			 ALG_R_REWRITE_SPLIT);
	w_free(w);
}

static void test_restart_keeps_pending_pasv_pairing(void **state)
{
	struct world *w = w_new(AF_INET, "198.51.100.20", "10.0.2.2", NULL,
				"203.0.113.1", 1000, 5000, NULL);

	w_line(w, C, "PASV\r\n");
	assert_int_equal(w_restart(w, NULL), 0);
	w_line(w, S, "227 Entering Passive Mode (10,0,2,2,195,80)\r\n");
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 1);
	/* strict pairing survived: an unsolicited 227 is still refused */
	w_line(w, S, "227 Entering Passive Mode (10,0,2,2,195,81)\r\n");
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 1);
	assert_int_equal(w_ev(w, ALG_EV_REFUSE, 0)->reason, ALG_R_UNPAIRED);
	w_free(w);
}

static void test_export_import_export_is_identical(void **state)
{
	struct world *w = w_masq();
	size_t n1, n2;

	w_line(w, C, "PORT 10,0,1,2,4,1\r\n");
	w_line(w, C, "EPRT |1|10.0.1.2|4000");
	n1 = export(w, rec);
	assert_int_equal(w_restart(w, NULL), 0);
	n2 = export(w, rec2);
	assert_int_equal(n1, n2);
	assert_memory_equal(rec, rec2, n1);
	assert_int_equal(alg_state_id(rec, n1), alg_session_id(w->s));
	w_free(w);
}

static void test_truncated_record_is_refused_at_every_length(void **state)
{
	struct world *w = w_masq();
	struct alg_table *t = alg_table_new(&w->pol, 1);
	struct alg_session *s;
	size_t n, k;

	w_line(w, C, "PORT 10,0,1,2,4,1\r\n");
	n = export(w, rec);
	for (k = 0; k < n; k++) {
		if (alg_state_import(t, rec, k, w->now, &s) != -EINVAL)
			fail_msg("a record cut at %zu of %zu was not refused",
				 k, n);
		assert_int_equal(alg_table_count(t), 0);
	}
	/* and one byte too many */
	rec[n] = 0;
	assert_int_equal(alg_state_import(t, rec, n + 1, w->now, &s),
			 -EINVAL);
	assert_int_equal(alg_state_import(t, rec, n, w->now, &s), 0);
	alg_table_free(t);
	w_free(w);
}

static void test_other_version_and_bad_fields_are_refused(void **state)
{
	struct world *w = w_masq();
	struct alg_table *t = alg_table_new(&w->pol, 1);
	struct alg_session *s;
	size_t n;

	n = export(w, rec);
	memcpy(rec2, rec, n);
	rec2[3] = ALG_STATE_VERSION + 1;	/* version */
	assert_int_equal(alg_state_import(t, rec2, n, w->now, &s), -EINVAL);
	memcpy(rec2, rec, n);
	rec2[0] = 'X';				/* magic */
	assert_int_equal(alg_state_import(t, rec2, n, w->now, &s), -EINVAL);
	memcpy(rec2, rec, n);
	rec2[16] = 7;				/* client family */
	assert_int_equal(alg_state_import(t, rec2, n, w->now, &s), -EINVAL);
	memcpy(rec2, rec, n);
	memset(rec2 + 8, 0, 8);			/* session id 0 */
	assert_int_equal(alg_state_import(t, rec2, n, w->now, &s), -EINVAL);
	assert_int_equal(alg_table_count(t), 0);
	alg_table_free(t);
	w_free(w);
}

static void test_line_longer_than_new_max_line_is_refused(void **state)
{
	struct world *w = w_masq();
	struct alg_policy pol = w->pol;
	char line[200];

	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	memcpy(line, "SITE ", 5);
	w_line(w, C, line);		/* 199 bytes, no terminator yet */
	pol.max_line = 100;
	assert_int_equal(w_restart(w, &pol), -EINVAL);
	assert_int_equal(alg_table_count(w->t), 0);
	w_free(w);
}

static void test_tuple_taken_and_table_full(void **state)
{
	struct world *w = w_masq();
	struct alg_policy pol = w->pol;
	struct alg_table *t;
	struct alg_session *s;
	size_t n = export(w, rec);

	t = alg_table_new(&w->pol, 1);
	assert_int_equal(alg_state_import(t, rec, n, w->now, &s), 0);
	assert_int_equal(alg_state_import(t, rec, n, w->now, &s), -EEXIST);
	alg_table_free(t);
	pol.max_sessions = 1;
	t = alg_table_new(&pol, 1);
	w_free(w);
	w = w_new(AF_INET, "10.0.1.3", "198.51.100.10", NULL, NULL, 1, 2,
		  &pol);
	assert_int_equal(alg_state_import(w->t, rec, n, w->now, &s),
			 -ENOSPC);
	alg_table_free(t);
	w_free(w);
}

static void test_new_ids_stay_above_imported_ones(void **state)
{
	struct world *w = w_masq();
	uint64_t old = alg_session_id(w->s);

	assert_int_equal(w_restart(w, NULL), 0);
	assert_int_equal(alg_session_id(w->s), old);
	/* a new control connection on the restarted table */
	w->cport = 40001;
	w_send_x(w, C, 0, NULL, 0, TCPF_SYN, NULL, 0);
	assert_true(alg_session_id(w->s) > old);
	w_free(w);
}

/*
 * Reasons travel by numbers that never change: each reason its own, the
 * ones of version 1 as they were (a journal written then reads the same).
 */
static void test_reason_numbers_are_fixed_and_unique(void **state)
{
	unsigned seen[256] = { 0 };
	enum alg_reason back;
	unsigned i, w;

	(void)state;
	for (i = 0; i < ALG_R_MAX; i++) {
		w = alg_reason_to_wire((enum alg_reason)i);
		assert_true(w < 256);
		assert_int_equal(seen[w], 0);
		seen[w] = 1;
		assert_int_equal(alg_reason_from_wire(w, &back), 0);
		assert_int_equal(back, i);
	}
	assert_int_equal(alg_reason_to_wire(ALG_R_NONE), 0);
	assert_int_equal(alg_reason_to_wire(ALG_R_TABLE_FULL), 16);
	assert_int_equal(alg_reason_to_wire(ALG_R_LINE_NUL), 17);
	assert_int_equal(alg_reason_to_wire(ALG_R_LINE_LONG), 18);
	assert_int_equal(alg_reason_to_wire(ALG_R_AUTH_TLS), 19);
	assert_int_equal(alg_reason_to_wire(ALG_R_CLOSE_SHUTDOWN), 29);
	assert_int_equal(alg_reason_from_wire(255, &back), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_restart_after_rewrite_keeps_seq_mapping),
		cmocka_unit_test(test_restart_inside_split_address_finishes_it),
		cmocka_unit_test(test_restart_keeps_pending_pasv_pairing),
		cmocka_unit_test(test_export_import_export_is_identical),
		cmocka_unit_test(
			test_truncated_record_is_refused_at_every_length),
		cmocka_unit_test(test_other_version_and_bad_fields_are_refused),
		cmocka_unit_test(test_line_longer_than_new_max_line_is_refused),
		cmocka_unit_test(test_tuple_taken_and_table_full),
		cmocka_unit_test(test_new_ids_stay_above_imported_ones),
		cmocka_unit_test(test_reason_numbers_are_fixed_and_unique),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
