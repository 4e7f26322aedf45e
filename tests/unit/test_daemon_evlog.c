/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Engine events into the sentences the daemon logs. These sentences are
 * a contract (people grep for them, the netns harness counts them), so
 * each reason is rendered with its fields and compared in full, with the
 * syslog priority it is logged at. Links alg_daemon (evlog.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

/* cmocka's test signature: most tests do not use their state */
#pragma GCC diagnostic ignored "-Wunused-parameter"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <arpa/inet.h>

#include "evlog.h"
#include "testutil.h"

static struct alg_event event(enum alg_ev_type type, enum alg_reason why)
{
	struct alg_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.reason = why;
	ev.sid = 7;
	ev.family = AF_INET;
	return ev;
}

static void line(struct alg_ev_line *l, const char *s)
{
	l->len = (uint16_t)strlen(s);
	memcpy(l->b, s, l->len);
}

static void expect_at(const struct alg_event *ev, int prio, const char *want,
		      int lineno)
{
	char buf[EVLOG_LEN];
	int got = evlog_format(ev, buf, sizeof(buf));

	if (strcmp(buf, want))
		fail_msg("line %d: %s/%s\n  got:      '%s'\n  expected: '%s'",
			 lineno, alg_ev_name(ev->type),
			 alg_reason_name(ev->reason), buf, want);
	if (got != prio)
		fail_msg("line %d: %s/%s: priority %d, expected %d", lineno,
			 alg_ev_name(ev->type), alg_reason_name(ev->reason),
			 got, prio);
}
#define expect(ev, prio, want)	expect_at(ev, prio, want, __LINE__)

/* A refusal of kind k, with ep = 192.0.2.9:port */
static struct alg_event refusal(enum alg_reason why, enum ftp_kind k,
				uint16_t port)
{
	struct alg_event ev = event(ALG_EV_REFUSE, why);

	ev.kind = k;
	ev.ep.family = AF_INET;
	tu_addr(AF_INET, "192.0.2.9", &ev.ep.addr);
	ev.ep.port = port;
	return ev;
}

static void test_open_names_both_ends(void **state)
{
	struct alg_event ev = event(ALG_EV_OPEN, ALG_R_OPEN_SYN);

	ev.tuple.family = AF_INET;
	tu_addr(AF_INET, "10.0.1.2", &ev.tuple.caddr);
	tu_addr(AF_INET, "203.0.113.10", &ev.tuple.saddr);
	ev.tuple.cport = 40001;
	ev.tuple.sport = 21;
	expect(&ev, LOG_INFO, "open 10.0.1.2:40001 -> 203.0.113.10:21");

	ev.reason = ALG_R_OPEN_MIDSTREAM;
	ev.tuple.family = AF_INET6;
	tu_addr(AF_INET6, "2001:db8:1::2", &ev.tuple.caddr);
	tu_addr(AF_INET6, "2001:db8:2::10", &ev.tuple.saddr);
	expect(&ev, LOG_INFO, "open [2001:db8:1::2]:40001 -> "
	       "[2001:db8:2::10]:21 (picked up mid-stream)");
}

static void test_close_says_why(void **state)
{
	static const struct {
		enum alg_reason why;
		const char *text;
	} c[] = {
		{ ALG_R_CLOSE_RST, "close (reset)" },
		{ ALG_R_CLOSE_FIN, "close (FIN both ways)" },
		{ ALG_R_CLOSE_IDLE, "close (idle timeout)" },
		{ ALG_R_CLOSE_CONNTRACK, "close (conntrack entry destroyed)" },
		{ ALG_R_CLOSE_SHUTDOWN, "close (shutdown)" },
	};
	unsigned i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct alg_event ev = event(ALG_EV_CLOSE, c[i].why);

		expect(&ev, LOG_INFO, c[i].text);
	}
}

static void test_rewrite_shows_both_lines_printable(void **state)
{
	struct alg_event ev = event(ALG_EV_REWRITE, ALG_R_REWRITE_LINE);

	ev.kind = FTP_CMD_PORT;
	line(&ev.line, "PORT 10,0,1,2,156,65\r\n");
	line(&ev.line_new, "PORT 198,51,100,7,156,65\r\n");
	expect(&ev, LOG_INFO, "rewrite PORT 10,0,1,2,156,65.. -> "
	       "PORT 198,51,100,7,156,65..");

	ev.reason = ALG_R_REWRITE_SPLIT;
	ev.line.cut = true;
	expect(&ev, LOG_INFO, "rewrite PORT 10,0,1,2,156,65..... -> "
	       "PORT 198,51,100,7,156,65.. (split line)");
}

static void test_refusals_of_announced_endpoints(void **state)
{
	struct alg_event ev;

	ev = refusal(ALG_R_BOUNCE, FTP_CMD_PORT, 5000);
	tu_addr(AF_INET, "10.0.1.2", &ev.addr);
	expect(&ev, LOG_NOTICE, "refused: PORT to 192.0.2.9, not the "
	       "client's address 10.0.1.2: third-party data connection "
	       "refused");

	ev = refusal(ALG_R_LOW_PORT, FTP_REPLY_227, 80);
	expect(&ev, LOG_NOTICE, "refused: 227 data port 80 is below 1024 "
	       "(bounce defence)");

	ev = refusal(ALG_R_FAMILY, FTP_CMD_EPRT, 5000);
	ev.ep.family = AF_INET6;
	expect(&ev, LOG_NOTICE, "refused: EPRT announces an IPv6 address on "
	       "an IPv4 control connection");
}

static void test_refusals_of_lines(void **state)
{
	struct alg_event ev;

	ev = refusal(ALG_R_MALFORMED, FTP_CMD_PORT, 0);
	ev.detail = "port number out of range";
	line(&ev.line, "PORT 1,2,3,4,256,0\r\n");
	expect(&ev, LOG_NOTICE, "refused: port number out of range: "
	       "\"PORT 1,2,3,4,256,0..\"");
	ev.detail = NULL;
	expect(&ev, LOG_NOTICE, "refused: malformed: "
	       "\"PORT 1,2,3,4,256,0..\"");

	ev = refusal(ALG_R_UNPAIRED, FTP_REPLY_227, 0);
	ev.value = 227;
	ev.awaited = FTP_CMD_EPSV;
	line(&ev.line, "227 Entering Passive Mode (1,2,3,4,5,6)\r\n");
	expect(&ev, LOG_NOTICE, "refused: 227 reply does not answer a PASV "
	       "command (awaiting EPSV): \"227 Entering Passive Mode "
	       "(1,2,3,4,5,6)..\"");

	ev = refusal(ALG_R_FORMAT, FTP_CMD_EPRT, 0);
	ev.value = ENOSPC;
	expect(&ev, LOG_NOTICE, "refused: EPRT: cannot write the new address "
	       "(No space left on device)");
}

static void test_refusals_of_rewrites(void **state)
{
	static const struct {
		enum alg_reason why;
		const char *text;
	} c[] = {
		{ ALG_R_SPLIT_UNUSUAL, "refused: PORT split across segments "
		  "in an unusual form: passed unrewritten, no data port "
		  "opened" },
		{ ALG_R_SPLIT_NOROOM, "refused: PORT split across segments: "
		  "too many unacknowledged rewrites; passed unrewritten" },
		{ ALG_R_TOO_MANY_REWRITES, "refused: PORT: too many "
		  "unacknowledged rewrites; line passed unrewritten" },
		{ ALG_R_NOMEM, "refused: PORT: out of memory; line passed "
		  "unrewritten" },
		{ ALG_R_OVERLAP, "refused: PORT: rewrite overlaps an earlier "
		  "one; line passed unrewritten" },
	};
	unsigned i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct alg_event ev = refusal(c[i].why, FTP_CMD_PORT, 0);

		expect(&ev, LOG_NOTICE, c[i].text);
	}
}

static void test_refusals_of_held_lines_and_full_table(void **state)
{
	struct alg_event ev;

	ev = refusal(ALG_R_HOLD_TIMEOUT, FTP_NONE, 0);
	ev.value = 2000;
	line(&ev.line, "PORT 10,0,1,");
	expect(&ev, LOG_NOTICE, "refused: line not completed within 2000 ms: "
	       "\"PORT 10,0,1,\" passed unrewritten, no data port opened");

	ev.reason = ALG_R_HOLD_SEGMENTS;
	expect(&ev, LOG_NOTICE, "refused: line split into too many segments: "
	       "\"PORT 10,0,1,\" passed unrewritten, no data port opened");

	ev = event(ALG_EV_REFUSE, ALG_R_TABLE_FULL);
	ev.sid = 0;
	ev.value = 16384;
	expect(&ev, LOG_NOTICE, "refused: session table full (16384): "
	       "connection not tracked");

	/* a reason without a sentence of its own: its stable name */
	ev = event(ALG_EV_REFUSE, ALG_R_SEQ_SHIFT);
	expect(&ev, LOG_NOTICE, "refused: seq_shift");
}

static void test_held_line_excerpt_is_bounded(void **state)
{
	struct alg_event ev = refusal(ALG_R_HOLD_SEGMENTS, FTP_NONE, 0);
	char want[EVLOG_LEN];

	memset(ev.line.b, 'A', sizeof(ev.line.b));
	ev.line.len = sizeof(ev.line.b);
	/* 92 bytes of the line, then "..." */
	snprintf(want, sizeof(want), "refused: line split into too many "
		 "segments: \"%.92s...\" passed unrewritten, no data port "
		 "opened", ev.line.b);
	expect(&ev, LOG_NOTICE, want);
}

static void test_tls_and_stops_end_inspection(void **state)
{
	struct alg_event ev;

	ev = event(ALG_EV_TLS, ALG_R_AUTH_TLS);
	expect(&ev, LOG_NOTICE, "tls: AUTH accepted: control connection "
	       "encrypted (FTPS): its PORT/EPRT/227/229 cannot be seen, so "
	       "active mode through NAT, passive mode through DNAT or to an "
	       "unroutable address, and any data connection under a "
	       "default-drop forward policy will fail; fix: a fixed passive "
	       "port range on the server plus a static forward rule, or CCC "
	       "after login (inspection resumes once clear)");

	ev = event(ALG_EV_TLS, ALG_R_TLS_CLEAR);
	ev.dir = ALG_DIR_REPLY;
	ev.value = 7;
	expect(&ev, LOG_INFO, "tls: server clear again after 7 TLS records "
	       "(CCC): inspection resumes at this line start, nothing "
	       "pending");

	ev = event(ALG_EV_STOP, ALG_R_TLS_UNFOLLOWED);
	expect(&ev, LOG_NOTICE, "inspection stopped: the client sent more "
	       "than its AUTH line before the 234: its TLS records cannot be "
	       "followed: inspection of this session stops (nothing more is "
	       "rewritten or opened)");

	ev = event(ALG_EV_STOP, ALG_R_TLS_GARBAGE);
	expect(&ev, LOG_NOTICE, "inspection stopped: bytes neither a TLS "
	       "record nor FTP text on an encrypted control connection: "
	       "inspection of this session stops (nothing more is rewritten "
	       "or opened)");

	ev = event(ALG_EV_STOP, ALG_R_LINE_NUL);
	expect(&ev, LOG_NOTICE, "inspection stopped: NUL byte in a control "
	       "line: inspection of this session stops (nothing more is "
	       "rewritten or opened)");
	ev.reason = ALG_R_LINE_LONG;
	expect(&ev, LOG_NOTICE, "inspection stopped: control line longer "
	       "than the limit: inspection of this session stops (nothing "
	       "more is rewritten or opened)");
}

static void test_foreign_passive_address_is_a_note(void **state)
{
	struct alg_event ev = event(ALG_EV_NOTE, ALG_R_FOREIGN_ADDR);

	ev.kind = FTP_REPLY_227;
	tu_addr(AF_INET, "192.0.2.9", &ev.ep.addr);
	tu_addr(AF_INET, "203.0.113.10", &ev.addr);
	expect(&ev, LOG_INFO, "227 announced 192.0.2.9, which is not the "
	       "server (203.0.113.10): client sent to the server instead");
	ev.reason = ALG_R_NONE;
	expect(&ev, LOG_INFO, "none");
}

static void test_expect_and_adjust_are_logged_elsewhere(void **state)
{
	struct alg_event ev = event(ALG_EV_EXPECT, ALG_R_DATA_PORT);

	expect(&ev, -1, "");
	ev = event(ALG_EV_ADJUST, ALG_R_SEQ_SHIFT);
	expect(&ev, -1, "");
}

static void test_refusals_of_security_limits(void **state)
{
	struct alg_event ev = event(ALG_EV_REFUSE, ALG_R_CLIENT_LIMIT);

	ev.sid = 0;
	ev.value = 256;
	tu_addr(AF_INET, "10.9.9.9", &ev.addr);
	expect(&ev, LOG_NOTICE, "refused: client 10.9.9.9 already has 256 "
	       "sessions (max_sessions_per_client): connection not tracked");
	ev.reason = ALG_R_TABLE_RESERVE;
	ev.value = 90;
	expect(&ev, LOG_NOTICE, "refused: session table nearly full and "
	       "client 10.9.9.9 already has 90 sessions: the rest is kept "
	       "for others; connection not tracked");
	assert_true(evlog_rate_limited(ALG_R_CLIENT_LIMIT));
	assert_true(evlog_rate_limited(ALG_R_TABLE_RESERVE));
	assert_true(evlog_rate_limited(ALG_R_TABLE_FULL));
	assert_true(evlog_rate_limited(ALG_R_RST_WINDOW));
	assert_true(evlog_rate_limited(ALG_R_RETRANS_MISMATCH));
	assert_false(evlog_rate_limited(ALG_R_BOUNCE));
}

static void test_refusals_of_pairing_and_framing(void **state)
{
	struct alg_event ev = refusal(ALG_R_UNSYNCED, FTP_REPLY_227, 0);

	line(&ev.line, "227 Entering Passive Mode (10,0,0,5,4,1)");
	expect(&ev, LOG_NOTICE, "refused: 227 before a complete "
	       "command/reply exchange (session picked up mid-stream): "
	       "nothing opened: \"227 Entering Passive Mode "
	       "(10,0,0,5,4,1)\"");
	ev = refusal(ALG_R_BARE_LF, FTP_CMD_PORT, 0);
	line(&ev.line, "PORT 10,0,1,2,4,1");
	expect(&ev, LOG_NOTICE, "refused: PORT after or ended by a bare LF, "
	       "which the peer has not shown it accepts: nothing opened: "
	       "\"PORT 10,0,1,2,4,1\"");
	ev = event(ALG_EV_REFUSE, ALG_R_RETRANS_MISMATCH);
	line(&ev.line, "PORT 19,0");
	expect(&ev, LOG_NOTICE, "refused: retransmission disagrees with the "
	       "bytes already seen: dropped: \"PORT 19,0\"");
}

static void test_notes_of_security_defences(void **state)
{
	struct alg_event ev = event(ALG_EV_NOTE, ALG_R_PIN_REPLACED);

	ev.kind = FTP_REPLY_227;
	tu_addr(AF_INET, "198.51.100.10", &ev.exp.target.addr);
	ev.exp.target.port = 51210;
	expect(&ev, LOG_INFO, "227 replaces the session's oldest pinhole "
	       "(to 198.51.100.10 port 51210; max_pinholes_per_session)");
	ev = event(ALG_EV_NOTE, ALG_R_RST_WINDOW);
	ev.value = 123456;
	expect(&ev, LOG_NOTICE, "RST or FIN with sequence number 123456 "
	       "outside the window: ignored, session unchanged");
	ev = event(ALG_EV_NOTE, ALG_R_PORT_REJECTED);
	ev.kind = FTP_CMD_PORT;
	ev.value = 500;
	expect(&ev, LOG_INFO, "PORT answered 500 by the server: its data "
	       "port is not opened");
	ev = event(ALG_EV_NOTE, ALG_R_RESET_SENT);
	ev.value = ALG_R_BOUNCE;
	expect(&ev, LOG_NOTICE, "violation (bounce): control connection "
	       "reset (violation_action = reset)");
	ev = event(ALG_EV_CLOSE, ALG_R_CLOSE_HALF_OPEN);
	expect(&ev, LOG_INFO, "close (half-open: no handshake or nothing "
	       "exchanged in time)");
}

static void test_every_reason_has_a_name(void **state)
{
	unsigned r;

	/* counters are keyed by these: all distinct, none missing */
	for (r = 0; r < ALG_R_MAX; r++) {
		const char *n = alg_reason_name((enum alg_reason)r);
		unsigned q;

		if (!strcmp(n, "?"))
			fail_msg("reason %u has no name", r);
		for (q = 0; q < r; q++)
			if (!strcmp(n, alg_reason_name((enum alg_reason)q)))
				fail_msg("reasons %u and %u share '%s'", q, r,
					 n);
	}
}

static void test_every_reason_has_a_phrase(void **state)
{
	unsigned r;

	for (r = 0; r < ALG_R_MAX; r++) {
		const char *t = evlog_reason_text((enum alg_reason)r);

		if (!t || !*t || !strcmp(t, "?"))
			fail_msg("reason %u (%s) has no phrase", r,
				 alg_reason_name((enum alg_reason)r));
	}
}

static void test_endpoints_bracket_ipv6(void **state)
{
	char buf[EVLOG_EP_LEN];
	union alg_addr a;

	tu_addr(AF_INET, "192.0.2.1", &a);
	assert_string_equal(evlog_ep(AF_INET, &a, 21, buf, sizeof(buf)),
			    "192.0.2.1:21");
	tu_addr(AF_INET6, "2001:db8::1", &a);
	assert_string_equal(evlog_ep(AF_INET6, &a, 65535, buf, sizeof(buf)),
			    "[2001:db8::1]:65535");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_names_both_ends),
		cmocka_unit_test(test_close_says_why),
		cmocka_unit_test(test_rewrite_shows_both_lines_printable),
		cmocka_unit_test(test_refusals_of_announced_endpoints),
		cmocka_unit_test(test_refusals_of_lines),
		cmocka_unit_test(test_refusals_of_rewrites),
		cmocka_unit_test(test_refusals_of_held_lines_and_full_table),
		cmocka_unit_test(test_held_line_excerpt_is_bounded),
		cmocka_unit_test(test_tls_and_stops_end_inspection),
		cmocka_unit_test(test_foreign_passive_address_is_a_note),
		cmocka_unit_test(test_expect_and_adjust_are_logged_elsewhere),
		cmocka_unit_test(test_every_reason_has_a_phrase),
		cmocka_unit_test(test_endpoints_bracket_ipv6),
		cmocka_unit_test(test_refusals_of_security_limits),
		cmocka_unit_test(test_refusals_of_pairing_and_framing),
		cmocka_unit_test(test_notes_of_security_defences),
		cmocka_unit_test(test_every_reason_has_a_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
