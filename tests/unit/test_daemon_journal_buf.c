// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The journal's records are gathered and written in one write() by
 * journal_flush(): nothing reaches the file before, everything after;
 * a record that would not fit writes the gathered ones first, whole;
 * and a journal written over many flushes replays to the last state of
 * each session.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#pragma GCC diagnostic ignored "-Wunused-parameter"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "daemon.h"
#include "engine_world.h"
#include "journal.h"

struct fixture {
	char dir[64];
	char path[96];
	struct world *w;
	struct daemon *d;
};

static struct daemon *daemon_new(const char *path, struct alg_table *t,
				 const struct alg_policy *pol)
{
	struct daemon *d = calloc(1, sizeof(*d));

	assert_non_null(d);
	d->jr.fd = d->jr.lock_fd = -1;
	d->jr.path = path;
	d->tab = t;
	d->cfg.pol = *pol;
	return d;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->dir, "/tmp/test_journal_buf.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/journal", f->dir);
	f->w = w_masq();
	f->d = daemon_new(f->path, f->w->t, &f->w->pol);
	/* a fresh file: header and the live session, open for appends */
	assert_int_equal(journal_compact(f->d), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	journal_close(f->d);
	free(f->d);
	w_free(f->w);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static off_t file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

/* Every record of the file, decoded: how many (all must be whole). */
static unsigned file_records(const char *path)
{
	static uint8_t buf[4 << 20];
	struct journal_rec r;
	size_t len, off = 0;
	unsigned n = 0;
	FILE *fp = fopen(path, "rb");

	assert_non_null(fp);
	len = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	assert_true(len < sizeof(buf));
	while (journal_decode(buf, len, &off, &r) == 1)
		n++;
	if (off != len)
		fail_msg("record at byte %zu of %zu does not decode", off, len);
	return n;
}

static void test_records_reach_the_file_only_at_flush(void **state)
{
	struct fixture *f = *state;
	off_t size0 = file_size(f->path);
	uint64_t recs0 = f->d->st.journal_records;
	size_t gathered;

	journal_session(f->d, f->w->s);
	journal_end(f->d, 99);
	assert_int_equal(file_size(f->path), size0);
	gathered = f->d->jr.pending;
	assert_int_equal(gathered > JOURNAL_HDR + 8, 1);
	assert_int_equal(f->d->st.journal_records, recs0);

	journal_flush(f->d);
	assert_int_equal(file_size(f->path), size0 + (off_t)gathered);
	assert_int_equal(f->d->jr.pending, 0);
	assert_int_equal(f->d->st.journal_records, recs0 + 2);
	assert_int_equal(f->d->jr.size, (uint64_t)file_size(f->path));
	/* nothing gathered: nothing written */
	journal_flush(f->d);
	assert_int_equal(file_size(f->path), size0 + (off_t)gathered);
	assert_int_equal(file_records(f->path), 2 + 2);
}

/* A record that does not fit after the gathered ones sends them first. */
static void test_full_buffer_writes_whole_records_first(void **state)
{
	struct fixture *f = *state;
	off_t size0 = file_size(f->path), written = size0;
	unsigned i, flushes = 0, n = 0;
	size_t before;

	for (i = 0; written + (off_t)f->d->jr.pending <
		    size0 + 3 * (off_t)JOURNAL_BUF_LEN; i++) {
		w_line(f->w, 0, "NOOP\r\n");
		before = f->d->jr.pending;
		journal_session(f->d, f->w->s);
		n++;
		if (f->d->jr.pending < before) {
			/* what was gathered went out, whole, before it */
			flushes++;
			written += (off_t)before;
			assert_int_equal(file_size(f->path), written);
		} else {
			assert_int_equal(file_size(f->path), written);
		}
		assert_true(f->d->jr.pending <= JOURNAL_BUF_LEN);
	}
	assert_true(flushes >= 2);
	journal_flush(f->d);
	assert_int_equal(file_records(f->path), 2 + n);
}

/*
 * Several flushes, a second session that ends in one of them: the
 * replay restores the first as it was last written and not the second.
 */
static void test_replay_of_many_flushes_takes_the_last_state(void **state)
{
	struct fixture *f = *state;
	struct alg_session_info want, got;
	struct journal_pin *pins = NULL;
	struct alg_session *s1, *s2, *r;
	struct daemon *d2;
	struct alg_table *t2;
	unsigned npins = 0, round;
	uint64_t sid1, sid2;

	s1 = f->w->s;
	sid1 = alg_session_id(s1);
	w_connect(f->w, 40002);
	s2 = f->w->s;
	sid2 = alg_session_id(s2);
	journal_session(f->d, s2);
	f->w->s = s1;
	for (round = 0; round < 10; round++) {
		w_line(f->w, 0, "NOOP\r\n");
		journal_session(f->d, s1);
		w_line(f->w, 1, "200 NOOP ok\r\n");
		journal_session(f->d, s1);
		if (round == 4)
			journal_end(f->d, sid2);
		if (round % 3 == 2)
			journal_flush(f->d);
	}
	/* the last ones are still gathered, until this flush */
	assert_true(f->d->jr.pending > 0);
	journal_flush(f->d);
	alg_session_info(s1, &want);

	t2 = alg_table_new(&f->w->pol, 1);
	assert_non_null(t2);
	d2 = daemon_new(f->path, t2, &f->w->pol);
	assert_int_equal(journal_replay(d2, &pins, &npins), 0);
	assert_int_equal(d2->st.journal_restored, 1);
	assert_null(alg_find_id(t2, sid2));
	r = alg_find_id(t2, sid1);
	assert_non_null(r);
	alg_session_info(r, &got);
	assert_int_equal(got.cnt.lines[0], want.cnt.lines[0]);
	assert_int_equal(got.cnt.lines[1], want.cnt.lines[1]);
	assert_int_equal(got.cnt.bytes[0], want.cnt.bytes[0]);
	assert_int_equal(got.cnt.bytes[1], want.cnt.bytes[1]);
	assert_int_equal(got.cnt.pkts[0], want.cnt.pkts[0]);
	assert_int_equal(npins, 0);
	free(pins);
	free(d2);
	alg_table_free(t2);
}

/* The replay writes what its own daemon gathered before reading. */
static void test_replay_reads_what_was_gathered(void **state)
{
	struct fixture *f = *state;
	struct journal_pin *pins = NULL;
	unsigned npins = 0;
	uint64_t sid = alg_session_id(f->w->s);

	journal_end(f->d, sid);
	alg_table_free(f->w->t);
	f->w->t = alg_table_new(&f->w->pol, 1);
	f->w->s = NULL;
	f->d->tab = f->w->t;
	assert_int_equal(journal_replay(f->d, &pins, &npins), 0);
	/* its END was in the buffer: it counts */
	assert_int_equal(f->d->st.journal_restored, 0);
	assert_null(alg_find_id(f->w->t, sid));
	free(pins);
}

/* Tick, compaction and close write what is gathered before they go on. */
static void test_tick_compact_and_close_write_the_gathered(void **state)
{
	struct fixture *f = *state;
	off_t size0 = file_size(f->path);

	journal_end(f->d, 7);
	journal_tick(f->d);
	assert_int_equal(file_size(f->path), size0 + JOURNAL_HDR + 8);
	assert_int_equal(f->d->jr.pending, 0);

	/* compaction: the old file had it, the new one is whole */
	journal_end(f->d, 8);
	assert_int_equal(journal_compact(f->d), 0);
	assert_int_equal(f->d->jr.pending, 0);
	assert_int_equal(file_records(f->path), 2);

	journal_end(f->d, 9);
	journal_close(f->d);
	assert_int_equal(f->d->jr.pending, 0);
	assert_int_equal(file_records(f->path), 3);
	/* closed: nothing is gathered any more */
	journal_end(f->d, 10);
	assert_int_equal(f->d->jr.pending, 0);
}

/*
 * A write cut short (a file size limit here, a full disk in life): the
 * gathered records are lost and counted, the torn tail cut off, so the
 * records written after it are read by the replay.
 */
static void test_short_write_is_cut_back_to_whole_records(void **state)
{
	struct fixture *f = *state;
	off_t size0 = file_size(f->path);
	struct rlimit old, lim;

	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_IGN);
	journal_end(f->d, 1);
	journal_end(f->d, 2);
	journal_end(f->d, 3);
	lim = old;
	lim.rlim_cur = (rlim_t)size0 + JOURNAL_HDR + 8 + 5;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	journal_flush(f->d);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_int_equal(f->d->st.journal_fail, 1);
	assert_int_equal(file_size(f->path), size0);
	assert_false(f->d->jr.torn);

	journal_end(f->d, 4);
	journal_flush(f->d);
	assert_int_equal(file_size(f->path), size0 + JOURNAL_HDR + 8);
	assert_int_equal(file_records(f->path), 2 + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_records_reach_the_file_only_at_flush, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_full_buffer_writes_whole_records_first, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_replay_of_many_flushes_takes_the_last_state,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_replay_reads_what_was_gathered, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_tick_compact_and_close_write_the_gathered, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_short_write_is_cut_back_to_whole_records, setup,
			teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
