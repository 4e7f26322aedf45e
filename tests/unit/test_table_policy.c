// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * alg_table_set_policy(): a policy changed while sessions are open (a
 * configuration reload). Clamped like alg_table_new(); open sessions keep
 * their state and the line limit they were created with, new sessions get
 * the new one; the other limits apply from the next line or packet.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "engine_world.h"
#include "testutil.h"

/* cmocka's test signature: most tests do not use their state */
#pragma GCC diagnostic ignored "-Wunused-parameter"

#define C ALG_DIR_ORIG

/* "SITE " and n bytes of 'x' (at most 1000), no terminator. */
static void send_partial(struct world *w, unsigned n)
{
	static char buf[1024];

	assert_true(n + 5 < sizeof(buf));
	memcpy(buf, "SITE ", 5);
	memset(buf + 5, 'x', n);
	buf[5 + n] = '\0';
	w_line(w, C, buf);
}

/* More of a partial line: n bytes of 'x', in segments of 1000. */
static void send_more(struct world *w, unsigned n)
{
	static char buf[1001];
	unsigned k;

	for (; n; n -= k) {
		k = n < 1000 ? n : 1000;
		memset(buf, 'x', k);
		buf[k] = '\0';
		w_line(w, C, buf);
	}
}

static struct alg_policy policy_with_max_line(unsigned max_line)
{
	struct alg_policy pol;

	alg_policy_default(&pol);
	pol.max_line = max_line;
	return pol;
}

/* The stop events seen so far that say "line too long". */
static unsigned line_long_stops(const struct world *w)
{
	unsigned i, n = 0;

	for (i = 0; i < w->nev; i++)
		n += w->ev[i].type == ALG_EV_STOP &&
		     w->ev[i].reason == ALG_R_LINE_LONG;
	return n;
}

static void assert_inspecting(const struct alg_session *s, bool want)
{
	struct alg_session_info si;

	alg_session_info(s, &si);
	if ((si.inspect == ALG_INSPECTING) != want)
		fail_msg("session #%llu: inspect %d, want %s",
			 (unsigned long long)si.id, si.inspect,
			 want ? "inspecting" : "not inspecting");
}

static void test_larger_max_line_keeps_open_partial_line_its_limit(
	void **state)
{
	struct alg_policy pol = policy_with_max_line(100), big;
	struct world *w = w_new(AF_INET, "10.0.1.2", "198.51.100.10",
				"203.0.113.1", NULL, 1000, 5000, &pol);
	struct alg_session *old;

	send_partial(w, 90);		/* 95 bytes of a line, open */
	old = w->s;
	big = policy_with_max_line(4000);
	assert_int_equal(alg_table_set_policy(w->t, &big), 0);
	assert_int_equal(alg_table_policy(w->t)->max_line, 4000);

	/* the open line goes past its 100-byte buffer: stopped, not
	 * written beyond it */
	send_more(w, 30);
	assert_int_equal(line_long_stops(w), 1);
	assert_inspecting(old, false);

	/* a new session takes lines of the new length and goes on */
	w_connect(w, 40001);
	assert_ptr_not_equal(w->s, old);
	send_partial(w, 5);
	send_more(w, 3000);
	w_line(w, C, "\r\nPORT 10,0,1,2,156,65\r\n");
	assert_int_equal(line_long_stops(w), 1);
	assert_inspecting(w->s, true);
	assert_non_null(strstr(w_out(w, C), "PORT 203,0,113,1,156,65\r\n"));
	w_free(w);
}

static void test_smaller_max_line_spares_open_partial_line(void **state)
{
	struct alg_policy pol = policy_with_max_line(1000), small;
	struct world *w = w_new(AF_INET, "10.0.1.2", "198.51.100.10",
				"203.0.113.1", NULL, 1000, 5000, &pol);
	struct alg_session *old;

	send_partial(w, 500);
	old = w->s;
	small = policy_with_max_line(100);
	assert_int_equal(alg_table_set_policy(w->t, &small), 0);

	/* the open session keeps its 1000 bytes: the long line ends,
	 * and the next one is still rewritten */
	send_more(w, 300);
	w_line(w, C, "\r\nPORT 10,0,1,2,156,65\r\n");
	assert_int_equal(line_long_stops(w), 0);
	assert_inspecting(old, true);
	assert_non_null(strstr(w_out(w, C), "\r\nPORT 203,0,113,1,156,65\r\n"));
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 1);

	/* a new session has the new limit */
	w_connect(w, 40001);
	send_partial(w, 200);
	assert_int_equal(line_long_stops(w), 1);
	assert_inspecting(w->s, false);
	assert_inspecting(old, true);
	w_free(w);
}

static void test_set_policy_clamps_and_keeps_the_hash_seed(void **state)
{
	struct alg_policy pol, asked;
	const struct alg_policy *used;
	struct alg_table *t;

	alg_policy_default(&pol);
	pol.hash_seed = 0x1234;
	t = alg_table_new(&pol, 0);
	assert_non_null(t);
	asked = pol;
	asked.max_line = 65535;
	asked.max_sessions = 0;
	asked.max_hold_pkts = 100000;
	asked.ctl_ports[0] = 0;
	asked.hash_seed = 0x9999;
	asked.hold_ms = 250;
	assert_int_equal(alg_table_set_policy(t, &asked), 0);
	used = alg_table_policy(t);
	assert_int_equal(used->max_line, ALG_MAX_LINE_LIMIT);
	assert_int_equal(used->max_sessions, 1);
	assert_int_equal(used->max_hold_pkts, ALG_MAX_HOLD_PKTS);
	assert_int_equal(used->ctl_ports[0], ALG_CTL_PORT_DEFAULT);
	assert_int_equal(used->hash_seed, 0x1234);
	assert_int_equal(used->hold_ms, 250);
	alg_table_free(t);
}

static void test_larger_max_sessions_still_finds_open_sessions(void **state)
{
	struct world *w = w_masq();
	struct alg_session *first = w->s, *second;
	struct alg_policy pol = w->pol;

	w_connect(w, 40001);
	second = w->s;
	/* past the initial 1024 buckets: every session is filed again */
	pol.max_sessions = 500000;
	assert_int_equal(alg_table_set_policy(w->t, &pol), 0);
	assert_ptr_equal(alg_find(w->t, alg_session_tuple(first)), first);
	assert_ptr_equal(alg_find(w->t, alg_session_tuple(second)), second);
	/* and the open one goes on */
	w_line(w, C, "PORT 10,0,1,2,156,65\r\n");
	assert_string_equal(w_out(w, C), "PORT 203,0,113,1,156,65\r\n");
	w_free(w);
}

/* A client SYN of tuple 10.0.1.9:cport -> 198.51.100.10:sport. */
static int track_syn(struct alg_table *t, uint16_t cport, uint16_t sport,
		     struct alg_result *r)
{
	static uint8_t buf[128];
	struct tu_tcp tt = {
		.family = AF_INET, .src = "10.0.1.9", .dst = "198.51.100.10",
		.sport = cport, .dport = sport, .seq = 77, .flags = TCPF_SYN,
	};
	struct alg_session *s;
	enum alg_dir dir;
	struct pkt p;
	size_t n;

	n = tu_build(&tt, NULL, 0, buf, sizeof(buf));
	assert_int_equal(pkt_parse(&p, buf, n), PKT_OK);
	alg_result_reset(r);
	return alg_track(t, &p, 1000, &s, &dir, r);
}

static void test_new_control_port_tracks_new_connections(void **state)
{
	static struct alg_result r;
	struct alg_policy pol;
	struct alg_table *t;

	alg_policy_default(&pol);
	t = alg_table_new(&pol, 0);
	assert_non_null(t);
	assert_int_equal(track_syn(t, 50000, 2121, &r), -ENOENT);
	pol.ctl_ports[1] = 2121;
	assert_int_equal(alg_table_set_policy(t, &pol), 0);
	assert_int_equal(track_syn(t, 50001, 2121, &r), 0);
	assert_int_equal(track_syn(t, 50002, 21, &r), 0);
	/* port 21 dropped: new connections to it are not tracked, the
	 * open one still is */
	pol.ctl_ports[0] = 2121;
	pol.ctl_ports[1] = 0;
	assert_int_equal(alg_table_set_policy(t, &pol), 0);
	assert_int_equal(track_syn(t, 50003, 21, &r), -ENOENT);
	assert_int_equal(alg_table_count(t), 2);
	alg_table_free(t);
}

static void test_smaller_max_sessions_closes_none_refuses_new(void **state)
{
	static struct alg_result r;
	struct alg_policy pol;
	struct alg_table *t;

	alg_policy_default(&pol);
	t = alg_table_new(&pol, 0);
	assert_non_null(t);
	assert_int_equal(track_syn(t, 50000, 21, &r), 0);
	assert_int_equal(track_syn(t, 50001, 21, &r), 0);
	pol.max_sessions = 1;
	assert_int_equal(alg_table_set_policy(t, &pol), 0);
	assert_int_equal(alg_table_count(t), 2);
	assert_int_equal(track_syn(t, 50002, 21, &r), -ENOSPC);
	assert_int_equal(r.nev, 1);
	assert_int_equal(r.ev[0].reason, ALG_R_TABLE_FULL);
	assert_int_equal(r.ev[0].value, 1);
	alg_table_free(t);
}

static void test_low_data_port_allowed_from_the_next_line(void **state)
{
	struct world *w = w_masq();
	struct alg_policy pol = w->pol;

	w_line(w, C, "PORT 10,0,1,2,3,232\r\n");		/* port 1000 */
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 0);
	assert_int_equal(w_ev(w, ALG_EV_REFUSE, 0)->reason, ALG_R_LOW_PORT);
	pol.allow_low_data_port = true;
	assert_int_equal(alg_table_set_policy(w->t, &pol), 0);
	w_line(w, C, "PORT 10,0,1,2,3,233\r\n");
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 1);
	assert_int_equal(w_ev(w, ALG_EV_EXPECT, 0)->exp.target.port, 1001);
	w_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_larger_max_line_keeps_open_partial_line_its_limit),
		cmocka_unit_test(
			test_smaller_max_line_spares_open_partial_line),
		cmocka_unit_test(
			test_set_policy_clamps_and_keeps_the_hash_seed),
		cmocka_unit_test(
			test_larger_max_sessions_still_finds_open_sessions),
		cmocka_unit_test(
			test_new_control_port_tracks_new_connections),
		cmocka_unit_test(
			test_smaller_max_sessions_closes_none_refuses_new),
		cmocka_unit_test(
			test_low_data_port_allowed_from_the_next_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
