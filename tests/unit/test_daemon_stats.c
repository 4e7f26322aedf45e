/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The counters (stats.c), their three renderings (stats_render.c) and
 * the trace lines (trace.c), from fixed inputs: no daemon, no clock.
 * Links alg_daemon.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

/* cmocka's test signature: most tests do not use their state */
#pragma GCC diagnostic ignored "-Wunused-parameter"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "stats.h"
#include "trace.h"

/* The output has this line, whole. */
static void expect_line(const struct ctl_buf *o, const char *want)
{
	size_t n = strlen(want);
	const char *p = o->p;

	while (p && *p) {
		if (!strncmp(p, want, n) && p[n] == '\n')
			return;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	fail_msg("no line \"%s\" in:\n%s", want, o->p ? o->p : "");
}

static void test_histogram_buckets_by_upper_bound(void **state)
{
	struct stats_hist h = { 0 };

	stats_hist_add(&h, 3);
	stats_hist_add(&h, 5);		/* le 5: the bound is in */
	stats_hist_add(&h, 6);
	stats_hist_add(&h, 2000000);	/* past the last bound: +Inf */
	assert_int_equal(h.count, 4);
	assert_int_equal(h.sum_us, 2000014);
	assert_int_equal(h.max_us, 2000000);
	assert_int_equal(h.bucket[0], 2);
	assert_int_equal(h.bucket[1], 1);
	assert_int_equal(h.bucket[STATS_HIST_NB], 1);
}

static void test_packet_id_gaps_count_undelivered(void **state)
{
	struct alg_stats s = { 0 };

	stats_packet(&s, STATS_DIR_ORIG, 60, 10);	/* sets the start */
	stats_packet(&s, STATS_DIR_REPLY, 100, 11);
	stats_packet(&s, STATS_DIR_ORIG, 40, 15);	/* 12..14 missing */
	stats_packet(&s, STATS_DIR_OTHER, 52, 13);	/* late: no gap */
	assert_int_equal(s.id_gaps, 3);
	assert_int_equal(s.packets[STATS_DIR_ORIG], 2);
	assert_int_equal(s.bytes[STATS_DIR_ORIG], 100);
	assert_int_equal(s.packets[STATS_DIR_REPLY], 1);
	assert_int_equal(s.packets[STATS_DIR_OTHER], 1);
}

static void test_events_count_rewrites_refusals_midstream(void **state)
{
	struct alg_stats s = { 0 };
	struct alg_event ev = { .type = ALG_EV_REWRITE,
				.reason = ALG_R_REWRITE_LINE,
				.kind = FTP_REPLY_227 };

	stats_event(&s, &ev);
	ev = (struct alg_event){ .type = ALG_EV_REFUSE,
				 .reason = ALG_R_BOUNCE,
				 .kind = FTP_CMD_PORT };
	stats_event(&s, &ev);
	ev = (struct alg_event){ .type = ALG_EV_STOP,
				 .reason = ALG_R_LINE_LONG };
	stats_event(&s, &ev);
	ev = (struct alg_event){ .type = ALG_EV_OPEN,
				 .reason = ALG_R_OPEN_MIDSTREAM };
	stats_event(&s, &ev);
	ev = (struct alg_event){ .type = ALG_EV_OPEN,
				 .reason = ALG_R_OPEN_SYN };
	stats_event(&s, &ev);
	assert_int_equal(s.rewrites[FTP_REPLY_227], 1);
	assert_int_equal(s.rewrites[FTP_CMD_PORT], 0);
	assert_int_equal(s.refusals[ALG_R_BOUNCE], 1);
	assert_int_equal(s.refusals[ALG_R_LINE_LONG], 1);
	assert_int_equal(s.midstream, 1);
	assert_true(stats_reason_is_refusal(ALG_R_UNPAIRED));
	assert_false(stats_reason_is_refusal(ALG_R_CLOSE_FIN));
	assert_false(stats_reason_is_refusal(ALG_R_OPEN_SYN));
}

static void test_sum_adds_workers_and_keeps_largest_max(void **state)
{
	struct alg_stats w[2], t;

	memset(w, 0, sizeof(w));
	w[0].packets[STATS_DIR_ORIG] = 3;
	w[1].packets[STATS_DIR_ORIG] = 4;
	w[1].pinholes[STATS_PIN_USED] = 2;
	stats_hist_add(&w[0].proc, 100);
	stats_hist_add(&w[1].proc, 30);
	stats_hist_add(&w[1].netlink[STATS_NL_CT], 700);
	stats_sum(&t, w, 2);
	assert_int_equal(t.packets[STATS_DIR_ORIG], 7);
	assert_int_equal(t.pinholes[STATS_PIN_USED], 2);
	assert_int_equal(t.proc.count, 2);
	assert_int_equal(t.proc.sum_us, 130);
	assert_int_equal(t.proc.max_us, 100);
	assert_int_equal(t.netlink[STATS_NL_CT].count, 1);
}

static void test_kernel_queue_line_is_found_by_number(void **state)
{
	const char *text =
		"    0  12345     0 2 65535     0     0       17  1\n"
		"    7  23456     2 2 65535     5     9     4711  1\n";
	struct stats_kqueue kq;

	assert_true(stats_parse_kqueue(text, 7, &kq));
	assert_true(kq.found);
	assert_int_equal(kq.queue_total, 2);
	assert_int_equal(kq.queue_dropped, 5);
	assert_int_equal(kq.user_dropped, 9);
	assert_int_equal(kq.id_sequence, 4711);
	assert_false(stats_parse_kqueue(text, 3, &kq));
	assert_false(kq.found);
	assert_false(stats_parse_kqueue("", 0, &kq));
}

static void fill_two_workers(struct alg_stats *w)
{
	memset(w, 0, 2 * sizeof(*w));
	w[0].rewrites[FTP_REPLY_227] = 1;
	w[1].rewrites[FTP_CMD_PORT] = 2;
	w[0].refusals[ALG_R_BOUNCE] = 4;
	w[0].pinholes[STATS_PIN_ADDED] = 1;
	w[0].verdicts[STATS_V_MODIFIED] = 6;
	stats_hist_add(&w[0].proc, 3);
	stats_hist_add(&w[0].proc, 5);
	stats_hist_add(&w[0].proc, 6);
	stats_hist_add(&w[0].proc, 2000000);
}

static void test_prometheus_has_labels_cumulative_buckets(void **state)
{
	struct alg_stats w[2];
	struct stats_view v = { .w = w, .n = 2 };
	struct ctl_buf o = { 0 };

	fill_two_workers(w);
	v.kq = (struct stats_kqueue){ .found = true, .queue_dropped = 8 };
	v.g.sessions = 3;
	stats_render_prom(&o, &v);
	expect_line(&o, "# TYPE ftp_alg_rewrites_total counter");
	expect_line(&o, "ftp_alg_rewrites_total{worker=\"0\",kind=\"227\"} 1");
	expect_line(&o, "ftp_alg_rewrites_total{worker=\"1\",kind=\"PORT\"} "
		    "2");
	expect_line(&o, "ftp_alg_refusals_total{worker=\"0\","
		    "reason=\"bounce\"} 4");
	expect_line(&o, "ftp_alg_pinholes_total{worker=\"0\","
		    "outcome=\"added\"} 1");
	expect_line(&o, "ftp_alg_verdicts_total{worker=\"0\","
		    "verdict=\"modified\"} 6");
	expect_line(&o, "ftp_alg_kernel_queue_dropped_total 8");
	expect_line(&o, "# TYPE ftp_alg_sessions gauge");
	expect_line(&o, "ftp_alg_sessions 3");
	expect_line(&o, "# TYPE ftp_alg_packet_processing_seconds histogram");
	expect_line(&o, "ftp_alg_packet_processing_seconds_bucket{worker=\"0\""
		    ",le=\"0.000005\"} 2");
	expect_line(&o, "ftp_alg_packet_processing_seconds_bucket{worker=\"0\""
		    ",le=\"0.000010\"} 3");
	expect_line(&o, "ftp_alg_packet_processing_seconds_bucket{worker=\"0\""
		    ",le=\"1.000000\"} 3");
	expect_line(&o, "ftp_alg_packet_processing_seconds_bucket{worker=\"0\""
		    ",le=\"+Inf\"} 4");
	expect_line(&o, "ftp_alg_packet_processing_seconds_sum{worker=\"0\"} "
		    "2.000014");
	expect_line(&o, "ftp_alg_packet_processing_seconds_count{worker=\"0\"}"
		    " 4");
	expect_line(&o, "ftp_alg_netlink_seconds_count{worker=\"1\","
		    "op=\"ctnetlink\"} 0");
	/* kinds that are never rewritten are not series */
	assert_null(strstr(o.p, "kind=\"PASV\""));
	assert_null(strstr(o.p, "reason=\"fin\""));
	free(o.p);
}

/* Every sample follows the HELP and TYPE of its family. */
static void test_prometheus_families_are_declared_first(void **state)
{
	struct alg_stats w[1];
	struct stats_view v = { .w = w, .n = 1 };
	struct ctl_buf o = { 0 };
	char fam[128] = "", *line, *save = NULL;
	unsigned samples = 0;

	memset(w, 0, sizeof(w));
	stats_render_prom(&o, &v);
	for (line = strtok_r(o.p, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "# HELP ", 7)) {
			sscanf(line + 7, "%127s", fam);
			continue;
		}
		if (!strncmp(line, "# TYPE ", 7)) {
			assert_int_equal(strncmp(line + 7, fam, strlen(fam)),
					 0);
			continue;
		}
		samples++;
		if (strncmp(line, fam, strlen(fam)) &&
		    strncmp(line, fam, strlen(fam) - strlen("_total")))
			fail_msg("sample \"%s\" outside its family %s", line,
				 fam);
	}
	assert_true(samples > 50);
	free(o.p);
}

static void test_text_and_json_show_the_sum(void **state)
{
	struct alg_stats w[2];
	struct stats_view v = { .w = w, .n = 2 };
	struct ctl_buf o = { 0 };

	fill_two_workers(w);
	stats_render_text(&o, &v);
	expect_line(&o, "rewrites 227:                        1");
	expect_line(&o, "rewrites PORT:                       2");
	expect_line(&o, "packet_processing_seconds:           count 4 avg "
		    "500003us max 2000000us");
	free(o.p);
	o = (struct ctl_buf){ 0 };
	stats_render_json(&o, &v);
	assert_non_null(strstr(o.p, "\"rewrites\":{\"PORT\":2,\"EPRT\":0,"
			       "\"LPRT\":0,\"227\":1,\"228\":0,\"229\":0}"));
	assert_non_null(strstr(o.p, "\"workers\":2"));
	free(o.p);
}

static void test_trace_line_event_strips_eol_escapes_bytes(void **state)
{
	struct ctl_buf text = { 0 }, json = { 0 };
	struct alg_event ev = { .type = ALG_EV_SEEN, .sid = 7,
				.dir = ALG_DIR_ORIG };
	const char *l = "PORT 10,0,1,2,4,1\x01\"\r\n";

	ev.line.len = (uint16_t)strlen(l);
	memcpy(ev.line.b, l, ev.line.len);
	trace_format_event(&ev, &text, &json);
	assert_string_equal(text.p, "#7 > PORT 10,0,1,2,4,1\\x01\"\n");
	assert_string_equal(json.p, "{\"sid\":7,\"event\":\"line\",\"dir\":"
			    "\"orig\",\"line\":\"PORT 10,0,1,2,4,1\\\\x01"
			    "\\\"\"}\n");
	free(text.p);
	free(json.p);
}

static void test_trace_rewrite_has_both_lines(void **state)
{
	struct ctl_buf text = { 0 }, json = { 0 };
	struct alg_event ev = { .type = ALG_EV_REWRITE,
				.reason = ALG_R_REWRITE_LINE, .sid = 3,
				.dir = ALG_DIR_REPLY, .family = AF_INET,
				.kind = FTP_REPLY_227 };
	const char *a = "227 Entering Passive Mode (10,0,2,2,4,1)\r\n";
	const char *b = "227 Entering Passive Mode (203,0,113,1,4,1)\r\n";

	ev.line.len = (uint16_t)strlen(a);
	memcpy(ev.line.b, a, ev.line.len);
	ev.line_new.len = (uint16_t)strlen(b);
	memcpy(ev.line_new.b, b, ev.line_new.len);
	trace_format_event(&ev, &text, &json);
	assert_int_equal(strncmp(text.p, "#3 ", 3), 0);
	assert_non_null(strstr(json.p, "\"event\":\"rewrite\",\"reason\":"
			       "\"line\",\"dir\":\"reply\",\"kind\":"
			       "\"227\",\"line\":\"227 Entering Passive Mode "
			       "(10,0,2,2,4,1)\",\"line_new\":\"227 Entering"
			       " Passive Mode (203,0,113,1,4,1)\""));
	free(text.p);
	free(json.p);
}

static void test_trace_pinhole_names_outcome_and_ends(void **state)
{
	struct ctl_buf text = { 0 }, json = { 0 };
	struct pin_entry e = { .family = AF_INET };

	inet_pton(AF_INET, "198.51.100.2", &e.peer);
	e.wire.family = e.target.family = AF_INET;
	inet_pton(AF_INET, "203.0.113.1", &e.wire.addr);
	inet_pton(AF_INET, "10.0.1.2", &e.target.addr);
	e.wire.port = e.target.port = 40001;
	trace_format_pin(5, "used", &e, &text, &json);
	assert_string_equal(text.p, "#5 pinhole used 198.51.100.2 -> "
			    "203.0.113.1:40001 => 10.0.1.2:40001\n");
	assert_string_equal(json.p, "{\"sid\":5,\"event\":\"pinhole\","
			    "\"outcome\":\"used\",\"peer\":\"198.51.100.2\","
			    "\"wire\":\"203.0.113.1:40001\",\"target\":"
			    "\"10.0.1.2:40001\"}\n");
	free(text.p);
	free(json.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_histogram_buckets_by_upper_bound),
		cmocka_unit_test(test_packet_id_gaps_count_undelivered),
		cmocka_unit_test(test_events_count_rewrites_refusals_midstream),
		cmocka_unit_test(test_sum_adds_workers_and_keeps_largest_max),
		cmocka_unit_test(test_kernel_queue_line_is_found_by_number),
		cmocka_unit_test(test_prometheus_has_labels_cumulative_buckets),
		cmocka_unit_test(test_prometheus_families_are_declared_first),
		cmocka_unit_test(test_text_and_json_show_the_sum),
		cmocka_unit_test(test_trace_line_event_strips_eol_escapes_bytes),
		cmocka_unit_test(test_trace_rewrite_has_both_lines),
		cmocka_unit_test(test_trace_pinhole_names_outcome_and_ends),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
