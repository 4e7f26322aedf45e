// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Hostile input (issue #8): each case is an attack by a client or a
 * server on the engine. Every case asserts that nothing crashed, that no
 * pinhole (EXPECT) or rewrite the attacker chose came out, that the
 * sessions beside the attacked one are unharmed, and the reason the
 * engine gave (the reason enum, never English text).
 *
 * The neighbour: every world starts with one session (client port 40000)
 * that has exchanged a line; the attack runs on a second one (40001).
 * After the attack the neighbour must still be tracked and inspecting,
 * and a fresh session must still get its passive data port opened.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <arpa/inet.h>

#include "engine_world.h"
#include "engine_int.h"
#include "testutil.h"

/* cmocka's test signature: most tests do not use their state */
#pragma GCC diagnostic ignored "-Wunused-parameter"

#define C	0
#define S	1
#define PASV_227 "227 Entering Passive Mode (198,51,100,10,200,10)\r\n"

static struct alg_tuple neighbour;
/* Stream offsets of what each side really sent, taken at the first forged
 * segment (the world counts a forged segment's offset as sent). */
static uint32_t real_len[2];
static uint16_t next_port = 41000;

/* A world with its neighbour session; w->s is the attacked one. */
static struct world *hostile(const struct alg_policy *pol)
{
	struct world *w = pol ? w_new(AF_INET, "10.0.1.2", "198.51.100.10",
				      "203.0.113.1", NULL, 1000, 5000, pol)
			      : w_masq();

	w_line(w, S, "220 neighbour\r\n");
	neighbour = *alg_session_tuple(w->s);
	w_connect(w, 40001);
	w_line(w, S, "220 hello\r\n");
	real_len[0] = real_len[1] = 0;
	return w;
}

/* The neighbour is tracked and inspecting; a new session still works. */
static void neighbours_ok(struct world *w)
{
	struct alg_session *n = alg_find(w->t, &neighbour);
	struct alg_session_info si;
	unsigned before = w_count(w, ALG_EV_EXPECT);
	const struct alg_event *ev;

	if (!n)
		fail_msg("the neighbour session is gone");
	alg_session_info(n, &si);
	assert_int_equal(si.inspect, ALG_INSPECTING);
	assert_int_not_equal(si.state, ALG_S_CLOSED);
	w_connect(w, next_port++);
	w_line(w, S, "220 hi\r\n");
	w_line(w, C, "PASV\r\n");
	w_line(w, S, PASV_227);
	assert_int_equal(w_count(w, ALG_EV_EXPECT), before + 1);
	ev = w_ev(w, ALG_EV_EXPECT, before);
	assert_int_equal(ev->exp.target.port, 200 * 256 + 10);
}

static unsigned refusals(const struct world *w, enum alg_reason why)
{
	unsigned i, n = 0;

	for (i = 0; i < w->nev; i++)
		n += w->ev[i].type == ALG_EV_REFUSE && w->ev[i].reason == why;
	return n;
}

static unsigned events(const struct world *w, enum alg_ev_type t,
		       enum alg_reason why)
{
	unsigned i, n = 0;

	for (i = 0; i < w->nev; i++)
		n += w->ev[i].type == t && w->ev[i].reason == why;
	return n;
}

/* The attacker's line is refused for why, opens and rewrites nothing. */
static void expect_refused(struct world *w, enum alg_reason why)
{
	if (!refusals(w, why))
		fail_msg("no refusal for %s", alg_reason_name(why));
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 0);
	assert_int_equal(w_count(w, ALG_EV_REWRITE), 0);
}

/* A client line that must be refused for why and pass unmodified. */
static void client_refused(const char *line, enum alg_reason why)
{
	struct world *w = hostile(NULL);

	w_line(w, C, line);
	expect_refused(w, why);
	assert_string_equal(w_out(w, C), line);
	neighbours_ok(w);
	w_free(w);
}

/* A passive reply to PASV (or EPSV) that must be refused for why. */
static void server_refused(const char *cmd, const char *reply,
			   enum alg_reason why)
{
	struct world *w = hostile(NULL);
	char want[256];

	w_line(w, C, cmd);
	w_line(w, S, reply);
	expect_refused(w, why);
	snprintf(want, sizeof(want), "220 hello\r\n%s", reply);
	assert_string_equal(w_out(w, S), want);
	neighbours_ok(w);
	w_free(w);
}

/* ---- bounce and ports: as before, proven again ------------------------ */

static void test_port_octet_over_255(void **state)
{
	client_refused("PORT 10,0,1,2,300,1\r\n", ALG_R_MALFORMED);
}

static void test_port_address_octet_over_255(void **state)
{
	client_refused("PORT 10,0,1,256,4,1\r\n", ALG_R_MALFORMED);
}

static void test_port_zero(void **state)
{
	/* the parser's own rule: "port 0" */
	client_refused("PORT 10,0,1,2,0,0\r\n", ALG_R_MALFORMED);
}

static void test_port_below_1024(void **state)
{
	client_refused("PORT 10,0,1,2,0,22\r\n", ALG_R_LOW_PORT);
}

static void test_port_third_party(void **state)
{
	client_refused("PORT 192,0,2,7,4,1\r\n", ALG_R_BOUNCE);
}

static void test_eprt_third_party(void **state)
{
	client_refused("EPRT |1|192.0.2.7|1025|\r\n", ALG_R_BOUNCE);
}

static void test_eprt_port_zero(void **state)
{
	client_refused("EPRT |1|10.0.1.2|0|\r\n", ALG_R_MALFORMED);
}

static void test_eprt_other_family(void **state)
{
	client_refused("EPRT |2|2001:db8::7|5000|\r\n", ALG_R_FAMILY);
}

static void test_227_port_below_1024(void **state)
{
	server_refused("PASV\r\n",
		       "227 Entering Passive Mode (198,51,100,10,0,25)\r\n",
		       ALG_R_LOW_PORT);
}

static void test_229_port_zero(void **state)
{
	server_refused("EPSV\r\n",
		       "229 Entering Extended Passive Mode (|||0|)\r\n",
		       ALG_R_MALFORMED);
}

static void test_227_octet_over_255(void **state)
{
	server_refused("PASV\r\n",
		       "227 Entering Passive Mode (198,51,100,10,256,1)\r\n",
		       ALG_R_MALFORMED);
}

/* ---- pairing cannot be switched off from outside ---------------------- */

static void test_227_from_the_client(void **state)
{
	struct world *w = hostile(NULL);
	const char *l = "227 Entering Passive Mode (10,0,1,2,4,1)\r\n";

	w_line(w, C, l);
	/* a command like any other: nothing to refuse, nothing opened */
	assert_int_equal(w_count(w, ALG_EV_REFUSE), 0);
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 0);
	assert_string_equal(w_out(w, C), l);
	neighbours_ok(w);
	w_free(w);
}

static void test_port_from_the_server(void **state)
{
	struct world *w = hostile(NULL);

	w_line(w, C, "NOOP\r\n");
	w_line(w, S, "PORT 198,51,100,10,4,1\r\n");
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 0);
	assert_int_equal(w_count(w, ALG_EV_REWRITE), 0);
	assert_int_equal(w_count(w, ALG_EV_REFUSE), 0);
	neighbours_ok(w);
	w_free(w);
}

static void test_unsolicited_227(void **state)
{
	struct world *w = hostile(NULL);

	w_line(w, S, PASV_227);
	expect_refused(w, ALG_R_UNPAIRED);
	neighbours_ok(w);
	w_free(w);
}

static void test_unsolicited_229(void **state)
{
	struct world *w = hostile(NULL);

	w_line(w, S, "229 Entering Extended Passive Mode (|||51210|)\r\n");
	expect_refused(w, ALG_R_UNPAIRED);
	neighbours_ok(w);
	w_free(w);
}

static void test_227_answering_noop(void **state)
{
	struct world *w = hostile(NULL);

	w_line(w, C, "NOOP\r\n");
	w_line(w, S, PASV_227);
	expect_refused(w, ALG_R_UNPAIRED);
	assert_int_equal(w_ev(w, ALG_EV_REFUSE, 0)->awaited, FTP_CMD_OTHER);
	neighbours_ok(w);
	w_free(w);
}

static void test_227_inside_feat_reply(void **state)
{
	struct world *w = hostile(NULL);

	w_line(w, C, "FEAT\r\n");
	w_line(w, S, "211-Features:\r\n" PASV_227 " EPSV\r\n211 End\r\n");
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 0);
	assert_int_equal(w_count(w, ALG_EV_REWRITE), 0);
	assert_int_equal(w_count(w, ALG_EV_REFUSE), 0);	/* text */
	neighbours_ok(w);
	w_free(w);
}

static void test_227_inside_help_reply_after_pasv(void **state)
{
	struct world *w = hostile(NULL);

	/* PASV pipelined behind HELP: the 227 inside HELP's text is text */
	w_line(w, C, "HELP\r\nPASV\r\n");
	w_line(w, S, "214-Commands:\r\n"
		     "227 Entering Passive Mode (198,51,100,10,9,9)\r\n"
		     "214 Help OK\r\n");
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 0);
	/* the real answer to PASV opens its own port only */
	w_line(w, S, PASV_227);
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 1);
	assert_int_equal(w_ev(w, ALG_EV_EXPECT, 0)->exp.target.port, 51210);
	neighbours_ok(w);
	w_free(w);
}

static void test_two_ports_in_one_multiline_227(void **state)
{
	struct world *w = hostile(NULL);

	w_line(w, C, "PASV\r\n");
	w_line(w, S, "227-Entering Passive Mode (198,51,100,10,200,10)\r\n"
		     "227-Entering Passive Mode (198,51,100,10,9,9)\r\n"
		     "227 OK\r\n");
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 1);
	assert_int_equal(w_ev(w, ALG_EV_EXPECT, 0)->exp.target.port, 51210);
	neighbours_ok(w);
	w_free(w);
}

static void test_midstream_unsolicited_227(void **state)
{
	struct world *w = hostile(NULL);
	struct alg_session_info si;

	w_connect_midstream(w, 40100);
	w_line(w, S, "ing\r\n");		/* the tail of something */
	alg_session_info(w->s, &si);
	assert_true(si.midstream);
	w_line(w, S, PASV_227);
	expect_refused(w, ALG_R_UNSYNCED);
	neighbours_ok(w);
	w_free(w);
}

static void test_midstream_port_before_exchange(void **state)
{
	struct world *w = hostile(NULL);

	w_connect_midstream(w, 40101);
	w_line(w, C, "OOP\r\n");
	w_line(w, C, "PORT 10,0,1,2,4,1\r\n");
	expect_refused(w, ALG_R_UNSYNCED);
	assert_string_equal(w_out(w, C), "OOP\r\nPORT 10,0,1,2,4,1\r\n");
	neighbours_ok(w);
	w_free(w);
}

static void test_midstream_after_exchange_opens(void **state)
{
	struct world *w = hostile(NULL);

	w_connect_midstream(w, 40102);
	w_line(w, C, "OOP\r\n");
	w_line(w, S, "ing\r\n");
	w_line(w, S, PASV_227);	/* answers nothing we saw */
	w_line(w, C, "NOOP\r\n");
	w_line(w, S, "200 ok\r\n");	/* the exchange: pairing known */
	w_line(w, C, "PASV\r\n");
	w_line(w, S, PASV_227);
	assert_int_equal(refusals(w, ALG_R_UNSYNCED), 1);
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 1);
	neighbours_ok(w);
	w_free(w);
}

/* A SYN with options the parser rejects, then the session goes on. */
static void test_bad_syn_options_then_unsolicited_227(void **state)
{
	struct world *w = hostile(NULL);
	struct tu_tcp tt = {
		.family = AF_INET, .src = "10.0.1.2", .dst = "198.51.100.10",
		.sport = 40103, .dport = 21, .seq = 999, .flags = TCPF_SYN,
	};
	uint8_t buf[128];
	struct pkt p;
	size_t n = tu_build(&tt, NULL, 0, buf, sizeof(buf));

	/* option list: kind 2 (MSS) with length 0 */
	buf[20 + 12] = (uint8_t)((6 << 4));	/* doff 6: one option word */
	memmove(buf + 44, buf + 40, n - 40);
	buf[40] = 2;
	buf[41] = 0;
	buf[42] = 0;
	buf[43] = 0;
	buf[3] = (uint8_t)(n + 4);
	assert_int_equal(pkt_parse(&p, buf, n + 4), PKT_ERR_TCP_OPT);
	/* the daemon passes it untracked; the next packets make a
	 * session picked up mid-stream, which opens nothing yet */
	w_connect_midstream(w, 40103);
	w_line(w, S, "\r\n");
	w_line(w, S, PASV_227);
	expect_refused(w, ALG_R_UNSYNCED);
	neighbours_ok(w);
	w_free(w);
}

static void test_pipelined_overflow_keeps_pairing(void **state)
{
	struct world *w = hostile(NULL);
	char cmds[512] = "", reps[512] = "";
	unsigned i;

	for (i = 0; i < ALG_CMDQ_LEN + 4; i++) {
		strcat(cmds, "NOOP\r\n");
		strcat(reps, "200 ok\r\n");
	}
	w_line(w, C, cmds);
	w_line(w, C, "PASV\r\n");	/* past the queue: kind unknown */
	w_line(w, S, reps);
	w_line(w, S, PASV_227);
	/* never "accept anything": the 227 opens nothing */
	expect_refused(w, ALG_R_UNPAIRED);
	/* and the queue is aligned again for the next PASV */
	w_line(w, C, "PASV\r\n");
	w_line(w, S, PASV_227);
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 1);
	neighbours_ok(w);
	w_free(w);
}

static void test_overflow_then_unsolicited_227(void **state)
{
	struct world *w = hostile(NULL);
	char cmds[512] = "", reps[512] = "";
	unsigned i;

	for (i = 0; i < ALG_CMDQ_LEN + 4; i++) {
		strcat(cmds, "NOOP\r\n");
		strcat(reps, "200 ok\r\n");
	}
	w_line(w, C, cmds);
	w_line(w, S, reps);
	w_line(w, S, PASV_227);
	expect_refused(w, ALG_R_UNPAIRED);
	neighbours_ok(w);
	w_free(w);
}

/* ---- lines ------------------------------------------------------------ */

static void test_overlong_line_then_port(void **state)
{
	struct world *w = hostile(NULL);
	char l[700];

	memset(l, 'a', sizeof(l));
	memcpy(l, "NOOP ", 5);
	l[sizeof(l) - 1] = '\0';
	w_line(w, C, l);
	w_line(w, C, "\r\nPORT 192,0,2,7,4,1\r\n");
	assert_int_equal(events(w, ALG_EV_STOP, ALG_R_LINE_LONG), 1);
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 0);
	assert_int_equal(w_count(w, ALG_EV_REWRITE), 0);
	neighbours_ok(w);
	w_free(w);
}

static void test_nul_byte_then_port(void **state)
{
	struct world *w = hostile(NULL);
	const char l[] = "NOOP\0\r\nPORT 10,0,1,2,4,1\r\n";

	w_send(w, C, 0, l, sizeof(l) - 1);
	assert_int_equal(events(w, ALG_EV_STOP, ALG_R_LINE_NUL), 1);
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 0);
	assert_int_equal(w_count(w, ALG_EV_REWRITE), 0);
	neighbours_ok(w);
	w_free(w);
}

static void test_bare_lf_smuggles_port(void **state)
{
	client_refused("NOOP\nPORT 10,0,1,2,4,1\r\n", ALG_R_BARE_LF);
}

static void test_port_ended_by_bare_lf_unproven(void **state)
{
	client_refused("PORT 10,0,1,2,4,1\n", ALG_R_BARE_LF);
}

static void test_bare_lf_smuggles_227(void **state)
{
	server_refused("PASV\r\n", "200 ok\n" PASV_227, ALG_R_BARE_LF);
}

static void test_bare_lf_proven_by_an_answer(void **state)
{
	struct world *w = hostile(NULL);

	w_line(w, C, "NOOP\n");
	w_line(w, S, "200 ok\r\n");	/* the server answered a LF line */
	w_line(w, C, "PORT 10,0,1,2,4,1\n");
	assert_int_equal(refusals(w, ALG_R_BARE_LF), 0);
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 1);
	assert_string_equal(w_out(w, C), "NOOP\nPORT 203,0,113,1,4,1\n");
	neighbours_ok(w);
	w_free(w);
}

static void test_server_bare_lf_proven_by_a_command(void **state)
{
	struct world *w = hostile(NULL);

	w_line(w, C, "NOOP\r\n");
	w_line(w, S, "200 ok\n");
	w_line(w, C, "PASV\r\n");	/* the client took the LF reply */
	w_line(w, S, "227 Entering Passive Mode (198,51,100,10,200,10)\n");
	assert_int_equal(refusals(w, ALG_R_BARE_LF), 0);
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 1);
	neighbours_ok(w);
	w_free(w);
}

static void test_bare_cr_inside_line(void **state)
{
	struct world *w = hostile(NULL);
	const char *l = "NOOP\rPORT 10,0,1,2,4,1\r\n";

	/* one line, a NOOP with an argument: no PORT at a line start */
	w_line(w, C, l);
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 0);
	assert_int_equal(w_count(w, ALG_EV_REWRITE), 0);
	assert_string_equal(w_out(w, C), l);
	neighbours_ok(w);
	w_free(w);
}

static void test_port_at_segment_start_mid_line(void **state)
{
	struct world *w = hostile(NULL);

	w_line(w, C, "NOOP ");
	w_line(w, C, "PORT 10,0,1,2,4,1\r\n");
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 0);
	assert_int_equal(w_count(w, ALG_EV_REWRITE), 0);
	assert_string_equal(w_out(w, C), "NOOP PORT 10,0,1,2,4,1\r\n");
	neighbours_ok(w);
	w_free(w);
}

/* ---- TCP: follow conntrack's view ------------------------------------- */

static void rst_far(struct world *w, int dir, uint8_t flags, uint32_t skew)
{
	if (!real_len[dir])
		real_len[dir] = w_sent_len(w, dir);
	w_send_x(w, dir, real_len[dir] + skew, NULL, 0, flags, NULL, 0);
}

static void test_out_of_window_rst_from_server(void **state)
{
	struct world *w = hostile(NULL);

	rst_far(w, S, TCPF_RST | TCPF_ACK, 1u << 30);
	assert_int_equal(w_count(w, ALG_EV_CLOSE), 0);
	assert_int_equal(events(w, ALG_EV_NOTE, ALG_R_RST_WINDOW), 1);
	/* the session goes on: its PORT is still rewritten */
	w_line(w, C, "PORT 10,0,1,2,4,1\r\n");
	assert_int_equal(w_count(w, ALG_EV_REWRITE), 1);
	neighbours_ok(w);
	w_free(w);
}

static void test_out_of_window_rst_from_client(void **state)
{
	struct world *w = hostile(NULL);

	rst_far(w, C, TCPF_RST, 0x80000000u);
	assert_int_equal(w_count(w, ALG_EV_CLOSE), 0);
	assert_int_equal(events(w, ALG_EV_NOTE, ALG_R_RST_WINDOW), 1);
	neighbours_ok(w);
	w_free(w);
}

static void test_rst_just_past_the_window(void **state)
{
	struct world *w = hostile(NULL);

	rst_far(w, S, TCPF_RST | TCPF_ACK, ALG_RST_WINDOW + 1);
	assert_int_equal(w_count(w, ALG_EV_CLOSE), 0);
	rst_far(w, S, TCPF_RST | TCPF_ACK, ALG_RST_WINDOW);
	assert_int_equal(w_count(w, ALG_EV_CLOSE), 1);
	assert_int_equal(w_ev(w, ALG_EV_CLOSE, 0)->reason, ALG_R_CLOSE_RST);
	neighbours_ok(w);
	w_free(w);
}

static void test_rst_behind_the_stream_ignored(void **state)
{
	struct world *w = hostile(NULL);

	w_line(w, S, "200 more text\r\n");
	/* before the next byte we expect: an old or forged sequence */
	w_send_x(w, S, 2, NULL, 0, TCPF_RST | TCPF_ACK, NULL, 0);
	assert_int_equal(w_count(w, ALG_EV_CLOSE), 0);
	assert_int_equal(events(w, ALG_EV_NOTE, ALG_R_RST_WINDOW), 1);
	neighbours_ok(w);
	w_free(w);
}

static void test_forged_ack_does_not_drag_the_window(void **state)
{
	struct world *w = hostile(NULL);

	/* a pure ACK far ahead, then an RST within a window of it */
	rst_far(w, S, TCPF_ACK, 1u << 30);
	rst_far(w, S, TCPF_RST | TCPF_ACK, (1u << 30) + 10);
	assert_int_equal(w_count(w, ALG_EV_CLOSE), 0);
	assert_int_equal(events(w, ALG_EV_NOTE, ALG_R_RST_WINDOW), 1);
	neighbours_ok(w);
	w_free(w);
}

static void test_out_of_window_fin_both_ways(void **state)
{
	struct world *w = hostile(NULL);

	rst_far(w, C, TCPF_FIN | TCPF_ACK, 1u << 31);
	rst_far(w, S, TCPF_FIN | TCPF_ACK, 1u << 31);
	assert_int_equal(w_count(w, ALG_EV_CLOSE), 0);
	assert_int_equal(events(w, ALG_EV_NOTE, ALG_R_RST_WINDOW), 2);
	neighbours_ok(w);
	w_free(w);
}

static void test_disagreeing_retransmission_of_held_line(void **state)
{
	struct world *w = hostile(NULL);

	w_line(w, C, "PORT 10,0");			/* held */
	w_send(w, C, 0, "PORT 19,0", 9);		/* disagrees */
	assert_int_equal(refusals(w, ALG_R_RETRANS_MISMATCH), 1);
	assert_int_equal(w->dropped, 1);
	w_send(w, C, 9, ",1,2,4,1\r\n", 10);
	/* the bytes first seen decided: rewritten to the public address */
	assert_string_equal(w_out(w, C), "PORT 203,0,113,1,4,1\r\n");
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 1);
	neighbours_ok(w);
	w_free(w);
}

static void test_retransmission_turning_noop_into_port(void **state)
{
	struct world *w = hostile(NULL);

	w_line(w, C, "NOOP 10,0,1,");
	w_send(w, C, 0, "PORT 10,0,1,", 12);
	assert_int_equal(refusals(w, ALG_R_RETRANS_MISMATCH), 1);
	w_send(w, C, 12, "2,4,1\r\n", 7);
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 0);
	assert_int_equal(w_count(w, ALG_EV_REWRITE), 0);
	assert_string_equal(w_out(w, C), "NOOP 10,0,1,2,4,1\r\n");
	neighbours_ok(w);
	w_free(w);
}

static void test_agreeing_retransmission_passes(void **state)
{
	struct world *w = hostile(NULL);

	w_line(w, C, "NOOP 1");
	w_send(w, C, 0, "NOOP 1", 6);
	assert_int_equal(refusals(w, ALG_R_RETRANS_MISMATCH), 0);
	assert_int_equal(w->dropped, 0);
	neighbours_ok(w);
	w_free(w);
}

static void test_sack_blocks_pointing_anywhere(void **state)
{
	struct world *w = hostile(NULL);
	const uint32_t sack[8] = { 0xfffffff0u, 0x10u, 0x7fffffffu,
				   0x80000000u, 5, 3, 0, 0xffffffffu };

	w_line(w, C, "PORT 10,0,1,2,4,1\r\n");	/* a shift in C */
	w_send_x(w, S, w_sent_len(w, S), "200 ok\r\n", 8,
		 TCPF_ACK | TCPF_PSH, sack, 4);
	/* released with valid checksums (checked by the world) */
	assert_int_equal(w->dropped, 0);
	assert_int_equal(w_count(w, ALG_EV_CLOSE), 0);
	neighbours_ok(w);
	w_free(w);
}

/* ---- packets the parser refuses: the engine never sees them ----------- */

static size_t good_packet(int family, uint8_t *buf, size_t cap, bool hbh)
{
	struct tu_tcp tt = {
		.family = family,
		.src = family == AF_INET ? "10.0.1.2" : "2001:db8:1::2",
		.dst = family == AF_INET ? "198.51.100.10" : "2001:db8:2::10",
		.sport = 40001, .dport = 21, .seq = 1, .ack = 1,
		.ip6_hbh = hbh,
	};

	return tu_build(&tt, "PORT 10,0,1,2,4,1\r\n", 19, buf, cap);
}

static void expect_parse_err(uint8_t *buf, size_t n, int err)
{
	struct pkt p;

	assert_int_equal(pkt_parse(&p, buf, n), err);
}

static void test_truncated_ip_header(void **state)
{
	uint8_t b[256];

	good_packet(AF_INET, b, sizeof(b), false);
	expect_parse_err(b, 12, PKT_ERR_IP_TRUNC);
}

static void test_ihl_beyond_the_packet(void **state)
{
	uint8_t b[256];
	size_t n = good_packet(AF_INET, b, sizeof(b), false);

	b[0] = 0x4f;	/* 60-byte header */
	expect_parse_err(b, 30, PKT_ERR_IHL);
	(void)n;
}

static void test_ip_total_length_inconsistent(void **state)
{
	uint8_t b[256];
	size_t n = good_packet(AF_INET, b, sizeof(b), false);

	b[2] = 0x10;	/* 4096 bytes claimed */
	expect_parse_err(b, n, PKT_ERR_IP_LEN);
}

static void test_tcp_header_truncated(void **state)
{
	uint8_t b[256];

	good_packet(AF_INET, b, sizeof(b), false);
	b[2] = 0;
	b[3] = 30;	/* IP says 30 bytes: 10 of TCP */
	expect_parse_err(b, 30, PKT_ERR_TCP_TRUNC);
}

static void test_tcp_data_offset_beyond(void **state)
{
	uint8_t b[256];
	size_t n = good_packet(AF_INET, b, sizeof(b), false);

	b[20 + 12] = 0xf0;	/* 60-byte TCP header, 39 bytes there */
	expect_parse_err(b, n, PKT_ERR_TCP_DOFF);
}

static void test_tcp_option_overrunning(void **state)
{
	uint8_t b[256];
	size_t n = good_packet(AF_INET, b, sizeof(b), false);

	/* doff 6: one option word, "SACK with length 40" */
	memmove(b + 44, b + 40, n - 40);
	b[20 + 12] = 0x60;
	b[40] = 5;
	b[41] = 40;
	b[42] = 0;
	b[43] = 0;
	b[3] = (uint8_t)(n + 4);
	expect_parse_err(b, n + 4, PKT_ERR_TCP_OPT);
}

static void test_ipv6_extension_chain_truncated(void **state)
{
	uint8_t b[256];
	size_t n = good_packet(AF_INET6, b, sizeof(b), true);

	/* the hop-by-hop header claims 2 KiB */
	b[41] = 255;
	expect_parse_err(b, n, PKT_ERR_EXTHDR);
}

static void test_ipv6_fragment_header(void **state)
{
	uint8_t b[256];
	size_t n = good_packet(AF_INET6, b, sizeof(b), true);

	b[40] = 44;	/* hop-by-hop says: a fragment header follows */
	expect_parse_err(b, n, PKT_ERR_FRAGMENT);
}

static void test_ipv6_extension_chain_bounce_refused(void **state)
{
	struct alg_policy pol;
	struct world *w;

	alg_policy_default(&pol);
	w = w_new(AF_INET6, "2001:db8:1::2", "2001:db8:2::10", NULL, NULL,
		  1000, 5000, &pol);
	w->ip6_hbh = true;
	w_line(w, S, "220 hi\r\n");
	w_line(w, C, "EPRT |2|2001:db8:666::1|5000|\r\n");
	expect_refused(w, ALG_R_BOUNCE);
	w_line(w, C, "EPRT |2|2001:db8:1::2|5000|\r\n");
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 1);
	w_free(w);
}

/* ---- limits ----------------------------------------------------------- */

/* Pinholes live: announced, minus those replaced. */
static unsigned live_pinholes(const struct world *w)
{
	return w_count(w, ALG_EV_EXPECT) -
	       events(w, ALG_EV_NOTE, ALG_R_PIN_REPLACED);
}

static void pasv_flood(unsigned max, unsigned n)
{
	struct alg_policy pol;
	struct world *w;
	char l[96];
	unsigned i, last = 0;

	alg_policy_default(&pol);
	pol.max_pinholes_per_session = max;
	w = hostile(&pol);
	for (i = 0; i < n; i++) {
		w_line(w, C, "PASV\r\n");
		snprintf(l, sizeof(l), "227 Entering Passive Mode "
			 "(198,51,100,10,%u,%u)\r\n", 4 + i / 256, i % 256);
		w->nev = 0;	/* the world keeps W_EV events */
		w_line(w, S, l);
		assert_int_equal(w_count(w, ALG_EV_EXPECT), 1);
		if (i >= max) {
			const struct alg_event *ev =
				w_ev(w, ALG_EV_NOTE, 0);

			assert_int_equal(ev->reason, ALG_R_PIN_REPLACED);
			/* the oldest goes: announced max PASVs ago */
			assert_int_equal(ev->exp.target.port,
					 (4 + (i - max) / 256) * 256 +
					 (i - max) % 256);
		}
		last += live_pinholes(w);
		assert_true(last <= max);
	}
	assert_int_equal(last, max);
	w->nev = 0;
	neighbours_ok(w);
	w_free(w);
}

static void test_pasv_flood_one_pinhole_live(void **state)
{
	pasv_flood(1, 1000);
}

static void test_pasv_flood_three_pinholes_live(void **state)
{
	pasv_flood(3, 1000);
}

static void test_lowered_pinhole_limit_replaces_all_extra(void **state)
{
	struct alg_policy pol;
	struct world *w;
	unsigned i;

	alg_policy_default(&pol);
	pol.max_pinholes_per_session = 4;
	w = hostile(&pol);
	for (i = 0; i < 4; i++) {
		w_line(w, C, "PASV\r\n");
		w_line(w, S, PASV_227);
	}
	assert_int_equal(live_pinholes(w), 4);
	pol.max_pinholes_per_session = 1;
	assert_int_equal(alg_table_set_policy(w->t, &pol), 0);
	w_line(w, C, "PASV\r\n");
	w_line(w, S, PASV_227);
	assert_int_equal(events(w, ALG_EV_NOTE, ALG_R_PIN_REPLACED), 4);
	assert_int_equal(live_pinholes(w), 1);
	neighbours_ok(w);
	w_free(w);
}

/* A bare SYN from src:sport straight into the table. */
static int raw_syn(struct alg_table *t, const char *src, uint16_t sport,
		   uint64_t now, struct alg_result *r)
{
	struct tu_tcp tt = {
		.family = AF_INET, .src = src, .dst = "198.51.100.10",
		.sport = sport, .dport = 21, .seq = 7, .flags = TCPF_SYN,
	};
	struct alg_session *s;
	uint8_t buf[128];
	enum alg_dir d;
	struct pkt p;
	size_t n = tu_build(&tt, NULL, 0, buf, sizeof(buf));
	int ret;

	assert_int_equal(pkt_parse(&p, buf, n), PKT_OK);
	alg_result_reset(r);
	ret = alg_track(t, &p, now, &s, &d, r);
	if (!ret) {
		alg_process(t, s, d, &p, 1, now, r);
		alg_result_reset(r);
	}
	return ret;
}

static void test_syn_flood_from_one_address(void **state)
{
	struct world *w = hostile(NULL);
	struct alg_result *r = calloc(1, sizeof(*r));
	unsigned i, refused = 0, limit = w->pol.max_sessions_per_client;
	unsigned before = alg_table_count(w->t);

	for (i = 0; i < 5000; i++) {
		int ret = raw_syn(w->t, "10.9.9.9", (uint16_t)(1024 + i),
				  w->now, r);

		if (ret == -ENOSPC) {
			assert_int_equal(r->nev, 1);
			assert_int_equal(r->ev[0].reason, ALG_R_CLIENT_LIMIT);
			refused++;
		} else {
			assert_int_equal(ret, 0);
		}
	}
	assert_int_equal(alg_table_count(w->t), before + limit);
	assert_int_equal(refused, 5000 - limit);
	neighbours_ok(w);
	/* and the flood is gone after half_open_ms (a tick closes what
	 * fits one result: tick until none is left) */
	w->nev = 0;
	w_tick(w, w->pol.half_open_ms + 1);
	for (i = 0; i < 100 && alg_table_count(w->t) > before + 1; i++)
		w_tick(w, 0);
	assert_int_equal(alg_table_count(w->t), before + 1);
	assert_non_null(alg_find(w->t, &neighbour));
	free(r);
	w_free(w);
}

static void test_table_reserve_keeps_room_for_others(void **state)
{
	struct alg_policy pol;
	struct alg_table *t;
	struct alg_result *r = calloc(1, sizeof(*r));
	unsigned i;

	alg_policy_default(&pol);
	pol.max_sessions = 100;
	pol.max_sessions_per_client = 0;	/* only the reserve */
	pol.reserve_pct = 10;
	t = alg_table_new(&pol, 1);
	for (i = 0; i < 90; i++)
		assert_int_equal(raw_syn(t, "10.9.9.9", (uint16_t)(2000 + i),
					 1, r), 0);
	/* the last 10 % are not for a client holding two already */
	assert_int_equal(raw_syn(t, "10.9.9.9", 3000, 1, r), -ENOSPC);
	assert_int_equal(r->ev[0].reason, ALG_R_TABLE_RESERVE);
	assert_int_equal(r->ev[0].value, 90);
	/* others still get in, up to the real limit */
	for (i = 0; i < 10; i++) {
		char a[32];

		snprintf(a, sizeof(a), "10.8.0.%u", i + 1);
		assert_int_equal(raw_syn(t, a, 5000, 1, r), 0);
	}
	assert_int_equal(raw_syn(t, "10.8.1.1", 5000, 1, r), -ENOSPC);
	assert_int_equal(r->ev[0].reason, ALG_R_TABLE_FULL);
	alg_table_free(t);
	free(r);
}

/*
 * Closed sessions linger for their last ACKs but are not counted: a
 * client that just ended two control connections is not over its share
 * of the reserve (found by the netns suite: a neighbour's third
 * transfer within linger_ms went untracked under a many-address flood).
 */
static void test_closed_sessions_leave_the_reserve_share(void **state)
{
	struct alg_policy pol;
	struct alg_table *t;
	struct alg_result *r = calloc(1, sizeof(*r));
	struct alg_tuple tu = { .family = AF_INET, .sport = 21 };
	struct alg_session *s;
	unsigned i;

	alg_policy_default(&pol);
	pol.max_sessions = 100;
	pol.max_sessions_per_client = 2;
	pol.reserve_pct = 10;
	t = alg_table_new(&pol, 1);
	inet_pton(AF_INET, "10.7.0.1", &tu.caddr.v4);
	inet_pton(AF_INET, "198.51.100.10", &tu.saddr.v4);
	for (i = 0; i < 2; i++) {
		assert_int_equal(raw_syn(t, "10.7.0.1", (uint16_t)(4000 + i),
					 1, r), 0);
		tu.cport = (uint16_t)(4000 + i);
		s = alg_find(t, &tu);
		assert_non_null(s);
		alg_session_close(t, s, ALG_R_CLOSE_CONNTRACK, 2, r);
		alg_result_reset(r);
	}
	/* many addresses fill the table into its reserve */
	for (i = 0; i < 88; i++) {
		char a[32];

		snprintf(a, sizeof(a), "10.6.%u.%u", i / 2, i % 2 + 1);
		assert_int_equal(raw_syn(t, a, 5000, 3, r), 0);
	}
	assert_int_equal(alg_table_count(t), 90);
	/* the two closed ones still linger, yet the client gets in: and
	 * not only past the reserve, past max_sessions_per_client too */
	assert_int_equal(raw_syn(t, "10.7.0.1", 4100, 4, r), 0);
	assert_int_equal(raw_syn(t, "10.7.0.1", 4101, 4, r), 0);
	/* now it holds two live ones: the reserve is not for it */
	assert_int_equal(raw_syn(t, "10.7.0.1", 4102, 4, r), -ENOSPC);
	assert_int_equal(r->ev[0].reason, ALG_R_CLIENT_LIMIT);
	/* once the closed ones are freed, the counts still agree */
	alg_result_reset(r);
	alg_tick(t, 2 + pol.linger_ms, r);
	assert_int_equal(raw_syn(t, "10.7.0.1", 4103, 4, r), -ENOSPC);
	alg_table_free(t);
	free(r);
}

static void test_half_open_session_expires(void **state)
{
	struct world *w = hostile(NULL);
	struct alg_result *r = calloc(1, sizeof(*r));
	unsigned before = alg_table_count(w->t);

	assert_int_equal(raw_syn(w->t, "10.7.7.7", 4444, w->now, r), 0);
	assert_int_equal(alg_table_count(w->t), before + 1);
	w_tick(w, w->pol.half_open_ms - 1);
	assert_int_equal(alg_table_count(w->t), before + 1);
	w_tick(w, 2);
	assert_int_equal(alg_table_count(w->t), before);
	assert_int_equal(events(w, ALG_EV_CLOSE, ALG_R_CLOSE_HALF_OPEN), 1);
	free(r);
	neighbours_ok(w);
	w_free(w);
}

/* ---- active mode on the server's reply -------------------------------- */

static struct world *paranoid(void)
{
	struct alg_policy pol;

	alg_policy_default(&pol);
	pol.active_on_reply = true;
	return hostile(&pol);
}

static void test_port_opens_on_200_only(void **state)
{
	struct world *w = paranoid();

	w_line(w, C, "PORT 10,0,1,2,4,1\r\n");
	/* rewritten at once, opened on the reply */
	assert_string_equal(w_out(w, C), "PORT 203,0,113,1,4,1\r\n");
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 0);
	w_line(w, S, "200 PORT ok\r\n");
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 1);
	assert_int_equal(w_ev(w, ALG_EV_EXPECT, 0)->exp.target.port, 1025);
	neighbours_ok(w);
	w_free(w);
}

static void test_port_refused_by_server_opens_nothing(void **state)
{
	struct world *w = paranoid();

	w_line(w, C, "PORT 10,0,1,2,4,1\r\n");
	w_line(w, S, "500 Illegal PORT command\r\n");
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 0);
	assert_int_equal(events(w, ALG_EV_NOTE, ALG_R_PORT_REJECTED), 1);
	assert_int_equal(w_ev(w, ALG_EV_NOTE, 0)->value, 500);
	neighbours_ok(w);
	w_free(w);
}

static void test_port_200_to_another_command_opens_nothing(void **state)
{
	struct world *w = paranoid();

	w_line(w, C, "NOOP\r\nPORT 10,0,1,2,4,1\r\n");
	w_line(w, S, "200 NOOP ok\r\n");	/* answers NOOP */
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 0);
	w_line(w, S, "200 PORT ok\r\n");
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 1);
	neighbours_ok(w);
	w_free(w);
}

/* ---- violation_action ------------------------------------------------- */

static void test_violation_pass_leaves_line_and_session(void **state)
{
	struct world *w = hostile(NULL);

	w_line(w, C, "PORT 192,0,2,7,4,1\r\n");
	expect_refused(w, ALG_R_BOUNCE);
	assert_string_equal(w_out(w, C), "PORT 192,0,2,7,4,1\r\n");
	assert_int_equal(w->rst_out[C], 0);
	assert_int_equal(w_count(w, ALG_EV_CLOSE), 0);
	w_line(w, C, "NOOP\r\n");
	assert_string_equal(w_out(w, C), "PORT 192,0,2,7,4,1\r\nNOOP\r\n");
	neighbours_ok(w);
	w_free(w);
}

static struct world *strict(void)
{
	struct alg_policy pol;

	alg_policy_default(&pol);
	pol.violation_reset = true;
	return hostile(&pol);
}

static void test_violation_reset_on_bounce(void **state)
{
	struct world *w = strict();
	const struct alg_event *ev;

	w_line(w, C, "PORT 192,0,2,7,4,1\r\n");
	expect_refused(w, ALG_R_BOUNCE);
	/* the server gets an RST instead of the line */
	assert_int_equal(w->rst_out[C], 1);
	assert_string_equal(w_out(w, C), "");
	ev = w_ev(w, ALG_EV_NOTE, 0);
	assert_int_equal(ev->reason, ALG_R_RESET_SENT);
	assert_int_equal(ev->value, ALG_R_BOUNCE);
	assert_int_equal(w_count(w, ALG_EV_CLOSE), 1);
	/* later payload is dropped, either way */
	w_line(w, C, "NOOP\r\n");
	w_line(w, S, "200 late\r\n");
	assert_int_equal(w->dropped, 2);
	assert_string_equal(w_out(w, C), "");
	neighbours_ok(w);
	w_free(w);
}

static void test_violation_reset_on_unsolicited_227(void **state)
{
	struct world *w = strict();

	w_line(w, S, PASV_227);
	expect_refused(w, ALG_R_UNPAIRED);
	assert_int_equal(w->rst_out[S], 1);
	assert_string_equal(w_out(w, S), "220 hello\r\n");
	neighbours_ok(w);
	w_free(w);
}

static void test_violation_reset_spares_our_own_limits(void **state)
{
	struct world *w = strict();

	/* a hold timeout is our limit, not the peer's violation */
	w_line(w, C, "LPRT 4,4,10,0");		/* held until complete */
	w_tick(w, w->pol.hold_ms + 1);
	assert_int_equal(refusals(w, ALG_R_HOLD_TIMEOUT), 1);
	assert_int_equal(w->rst_out[C], 0);
	assert_int_equal(w_count(w, ALG_EV_CLOSE), 0);
	w_free(w);
}

/* ---- the hash seed ---------------------------------------------------- */

/* The bucket of a session (engine_int.h: tests may look). */
static unsigned bucket_of(const struct alg_table *t,
			  const struct alg_session *s)
{
	unsigned b;
	const struct alg_session *x;

	for (b = 0; b < t->nbuckets; b++)
		for (x = t->buckets[b]; x; x = x->hnext)
			if (x == s)
				return b;
	fail_msg("session in no bucket");
	return 0;
}

static void test_hash_seed_moves_buckets(void **state)
{
	struct alg_result *r = calloc(1, sizeof(*r));
	struct alg_policy pa, pb;
	struct alg_table *ta, *tb;
	const struct alg_session *sa, *sb;
	unsigned i, differ = 0;

	alg_policy_default(&pa);
	pb = pa;
	pa.hash_seed = 0x12345678u;
	pb.hash_seed = 0x9abcdef0u;
	ta = alg_table_new(&pa, 1);
	tb = alg_table_new(&pb, 1);
	for (i = 0; i < 32; i++) {
		assert_int_equal(raw_syn(ta, "10.5.5.5", (uint16_t)(6000 + i),
					 1, r), 0);
		assert_int_equal(raw_syn(tb, "10.5.5.5", (uint16_t)(6000 + i),
					 1, r), 0);
	}
	/* both find every session; the buckets differ with the seed */
	for (sa = ta->all, sb = tb->all; sa && sb;
	     sa = sa->lnext, sb = sb->lnext) {
		assert_ptr_equal(alg_find(ta, &sa->tu), sa);
		assert_ptr_equal(alg_find(tb, &sb->tu), sb);
		differ += bucket_of(ta, sa) != bucket_of(tb, sb);
	}
	assert_true(differ > 16);
	alg_table_free(ta);
	alg_table_free(tb);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_port_octet_over_255),
		cmocka_unit_test(test_port_address_octet_over_255),
		cmocka_unit_test(test_port_zero),
		cmocka_unit_test(test_port_below_1024),
		cmocka_unit_test(test_port_third_party),
		cmocka_unit_test(test_eprt_third_party),
		cmocka_unit_test(test_eprt_port_zero),
		cmocka_unit_test(test_eprt_other_family),
		cmocka_unit_test(test_227_port_below_1024),
		cmocka_unit_test(test_229_port_zero),
		cmocka_unit_test(test_227_octet_over_255),
		cmocka_unit_test(test_227_from_the_client),
		cmocka_unit_test(test_port_from_the_server),
		cmocka_unit_test(test_unsolicited_227),
		cmocka_unit_test(test_unsolicited_229),
		cmocka_unit_test(test_227_answering_noop),
		cmocka_unit_test(test_227_inside_feat_reply),
		cmocka_unit_test(test_227_inside_help_reply_after_pasv),
		cmocka_unit_test(test_two_ports_in_one_multiline_227),
		cmocka_unit_test(test_midstream_unsolicited_227),
		cmocka_unit_test(test_midstream_port_before_exchange),
		cmocka_unit_test(test_midstream_after_exchange_opens),
		cmocka_unit_test(test_bad_syn_options_then_unsolicited_227),
		cmocka_unit_test(test_pipelined_overflow_keeps_pairing),
		cmocka_unit_test(test_overflow_then_unsolicited_227),
		cmocka_unit_test(test_overlong_line_then_port),
		cmocka_unit_test(test_nul_byte_then_port),
		cmocka_unit_test(test_bare_lf_smuggles_port),
		cmocka_unit_test(test_port_ended_by_bare_lf_unproven),
		cmocka_unit_test(test_bare_lf_smuggles_227),
		cmocka_unit_test(test_bare_lf_proven_by_an_answer),
		cmocka_unit_test(test_server_bare_lf_proven_by_a_command),
		cmocka_unit_test(test_bare_cr_inside_line),
		cmocka_unit_test(test_port_at_segment_start_mid_line),
		cmocka_unit_test(test_out_of_window_rst_from_server),
		cmocka_unit_test(test_out_of_window_rst_from_client),
		cmocka_unit_test(test_rst_just_past_the_window),
		cmocka_unit_test(test_rst_behind_the_stream_ignored),
		cmocka_unit_test(test_forged_ack_does_not_drag_the_window),
		cmocka_unit_test(test_out_of_window_fin_both_ways),
		cmocka_unit_test(test_disagreeing_retransmission_of_held_line),
		cmocka_unit_test(test_retransmission_turning_noop_into_port),
		cmocka_unit_test(test_agreeing_retransmission_passes),
		cmocka_unit_test(test_sack_blocks_pointing_anywhere),
		cmocka_unit_test(test_truncated_ip_header),
		cmocka_unit_test(test_ihl_beyond_the_packet),
		cmocka_unit_test(test_ip_total_length_inconsistent),
		cmocka_unit_test(test_tcp_header_truncated),
		cmocka_unit_test(test_tcp_data_offset_beyond),
		cmocka_unit_test(test_tcp_option_overrunning),
		cmocka_unit_test(test_ipv6_extension_chain_truncated),
		cmocka_unit_test(test_ipv6_fragment_header),
		cmocka_unit_test(test_ipv6_extension_chain_bounce_refused),
		cmocka_unit_test(test_pasv_flood_one_pinhole_live),
		cmocka_unit_test(test_pasv_flood_three_pinholes_live),
		cmocka_unit_test(test_lowered_pinhole_limit_replaces_all_extra),
		cmocka_unit_test(test_syn_flood_from_one_address),
		cmocka_unit_test(test_table_reserve_keeps_room_for_others),
		cmocka_unit_test(test_closed_sessions_leave_the_reserve_share),
		cmocka_unit_test(test_half_open_session_expires),
		cmocka_unit_test(test_port_opens_on_200_only),
		cmocka_unit_test(test_port_refused_by_server_opens_nothing),
		cmocka_unit_test(test_port_200_to_another_command_opens_nothing),
		cmocka_unit_test(test_violation_pass_leaves_line_and_session),
		cmocka_unit_test(test_violation_reset_on_bounce),
		cmocka_unit_test(test_violation_reset_on_unsolicited_227),
		cmocka_unit_test(test_violation_reset_spares_our_own_limits),
		cmocka_unit_test(test_hash_seed_moves_buckets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
