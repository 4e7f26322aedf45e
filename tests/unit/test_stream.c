// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One direction as a byte stream (alg/engine/stream.c): lines cut by
 * stream position whatever the segments, a line buffer only while a line
 * is incomplete at a segment's end, and the stopping points of a NUL and
 * of an overlong line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "engine_int.h"

#define SEQ0	0xfffffffau	/* lines cross the sequence wrap */

struct seen {
	char lines[8][128];
	uint32_t seqs[8];
	unsigned n;
	bool buf_during;	/* the stream's copy existed during the call */
	const struct alg_stream *st;
};

static int on_line(void *ctx, const char *line, size_t len, uint32_t seq)
{
	struct seen *s = ctx;

	assert_true(s->n < 8 && len < 128);
	memcpy(s->lines[s->n], line, len);
	s->lines[s->n][len] = '\0';
	s->seqs[s->n] = seq;
	s->n++;
	/* while the line function runs the stream shows the line */
	assert_ptr_equal(s->st->line, line);
	if (s->st->buf)
		s->buf_during = true;
	return 0;
}

static void feed(struct alg_stream *st, struct seen *s, uint32_t seq,
		 const char *p, size_t n, int want)
{
	enum alg_reason why = ALG_R_NONE;

	assert_int_equal(stream_scan(st, seq, (const uint8_t *)p, n, on_line,
				     s, &why), want);
}

static void test_whole_lines_need_no_buffer(void **state)
{
	const char *t = "USER a\r\nPASS b\r\n";
	struct alg_stream st;
	struct seen s = { .st = &st };

	(void)state;
	assert_int_equal(stream_init(&st, 64), 0);
	stream_sync(&st, SEQ0, true);
	feed(&st, &s, SEQ0, t, strlen(t), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.lines[0], "USER a");
	assert_string_equal(s.lines[1], "PASS b");
	assert_int_equal(s.seqs[1], SEQ0 + 8);
	assert_false(s.buf_during);
	assert_null(st.buf);
	assert_int_equal(st.llen, 0);
	stream_free(&st);
}

static void test_line_split_at_every_byte_is_one_line(void **state)
{
	const char *t = "PORT 10,0,1,2,4,1\r\nNOOP\r\n";
	size_t n = strlen(t), cut;

	(void)state;
	for (cut = 1; cut < n; cut++) {
		struct alg_stream st;
		struct seen s = { .st = &st };

		assert_int_equal(stream_init(&st, 64), 0);
		stream_sync(&st, SEQ0, true);
		feed(&st, &s, SEQ0, t, cut, 0);
		/* a copy only while the first segment ends mid-line */
		if (cut < 19 || (cut > 19 && cut < n))
			assert_non_null(st.buf);
		else
			assert_null(st.buf);
		feed(&st, &s, SEQ0 + (uint32_t)cut, t + cut, n - cut, 0);
		assert_int_equal(s.n, 2);
		assert_string_equal(s.lines[0], "PORT 10,0,1,2,4,1");
		assert_string_equal(s.lines[1], "NOOP");
		assert_int_equal(s.seqs[1], SEQ0 + 19);
		assert_true(st.line_cr);
		assert_null(st.buf);
		assert_int_equal(st.nxt, SEQ0 + (uint32_t)n);
		stream_free(&st);
	}
}

static void test_retransmitted_bytes_are_not_scanned_twice(void **state)
{
	const char *t = "NOOP\r\nNOOP\r\n";
	struct alg_stream st;
	struct seen s = { .st = &st };

	(void)state;
	assert_int_equal(stream_init(&st, 64), 0);
	stream_sync(&st, SEQ0, true);
	feed(&st, &s, SEQ0, t, 8, 0);
	feed(&st, &s, SEQ0, t, strlen(t), 0);	/* overlaps the first */
	assert_int_equal(s.n, 2);
	assert_int_equal(st.nxt, SEQ0 + 12);
	stream_free(&st);
}

static void test_nul_stops_after_it_keeping_the_line(void **state)
{
	const char t[] = "NOOP\r\nPO\0RT";
	struct alg_stream st;
	struct seen s = { .st = &st };
	enum alg_reason why = ALG_R_NONE;

	(void)state;
	assert_int_equal(stream_init(&st, 64), 0);
	stream_sync(&st, SEQ0, true);
	assert_int_equal(stream_scan(&st, SEQ0, (const uint8_t *)t,
				     sizeof(t) - 1, on_line, &s, &why),
			 -EILSEQ);
	assert_int_equal(why, ALG_R_LINE_NUL);
	assert_int_equal(s.n, 1);
	/* consumed through the NUL; the bytes before it are the line */
	assert_int_equal(st.nxt, SEQ0 + 9);
	assert_int_equal(st.llen, 2);
	assert_memory_equal(st.line, "PO", 2);
	stream_free(&st);
}

static void test_overlong_line_stops_at_first_byte_too_many(void **state)
{
	char t[80];
	struct alg_stream st;
	struct seen s = { .st = &st };
	enum alg_reason why = ALG_R_NONE;

	(void)state;
	memset(t, 'x', sizeof(t));
	assert_int_equal(stream_init(&st, 64), 0);
	stream_sync(&st, SEQ0, true);
	feed(&st, &s, SEQ0, t, 40, 0);
	assert_int_equal(stream_scan(&st, SEQ0 + 40, (const uint8_t *)t + 40,
				     40, on_line, &s, &why), -E2BIG);
	assert_int_equal(why, ALG_R_LINE_LONG);
	assert_int_equal(st.nxt, SEQ0 + 65);
	assert_int_equal(st.llen, 64);
	stream_free(&st);
}

static void test_line_of_exactly_max_fits(void **state)
{
	char t[66];
	struct alg_stream st;
	struct seen s = { .st = &st };

	(void)state;
	memset(t, 'x', 64);
	t[64] = '\n';
	assert_int_equal(stream_init(&st, 64), 0);
	stream_sync(&st, SEQ0, true);
	feed(&st, &s, SEQ0, t, 30, 0);
	feed(&st, &s, SEQ0 + 30, t + 30, 35, 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(strlen(s.lines[0]), 64);
	assert_false(st.line_cr);
	assert_null(st.buf);
	stream_free(&st);
}

static void test_midstream_waits_for_a_line_feed(void **state)
{
	const char *t = "RT 1,2\r\nNOOP\r\n";
	struct alg_stream st;
	struct seen s = { .st = &st };

	(void)state;
	assert_int_equal(stream_init(&st, 64), 0);
	stream_sync(&st, SEQ0, false);
	feed(&st, &s, SEQ0, t, strlen(t), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.lines[0], "NOOP");
	assert_int_equal(s.seqs[0], SEQ0 + 8);
	stream_free(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_lines_need_no_buffer),
		cmocka_unit_test(test_line_split_at_every_byte_is_one_line),
		cmocka_unit_test(test_retransmitted_bytes_are_not_scanned_twice),
		cmocka_unit_test(test_nul_stops_after_it_keeping_the_line),
		cmocka_unit_test(test_overlong_line_stops_at_first_byte_too_many),
		cmocka_unit_test(test_line_of_exactly_max_fits),
		cmocka_unit_test(test_midstream_waits_for_a_line_feed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
