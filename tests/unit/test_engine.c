// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The engine end to end over simulated control connections: every packet
 * released is checked (checksums, identical bytes on retransmission, no
 * ACK beyond what was sent) and the peers' received streams compared.
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

#include "engine_world.h"
#include "testutil.h"

#define C ALG_DIR_ORIG
#define S ALG_DIR_REPLY

static void assert_addr(int family, const union alg_addr *a, const char *s)
{
	union alg_addr b;
	char buf[64];

	tu_addr(family, s, &b);
	if (!alg_addr_eq(family, a, &b))
		fail_msg("address %s, want %s",
			 alg_addr_str(family, a, buf, sizeof(buf)), s);
}

static void assert_expect(const struct world *w, unsigned n,
			  const char *peer, const char *wire,
			  const char *target, uint16_t port)
{
	const struct alg_event *e = w_ev(w, ALG_EV_EXPECT, n);

	assert_addr(e->exp.family, &e->exp.peer, peer);
	assert_addr(e->exp.family, &e->exp.wire.addr, wire);
	assert_addr(e->exp.family, &e->exp.target.addr, target);
	assert_int_equal(e->exp.wire.port, port);
	assert_int_equal(e->exp.target.port, port);
}

/* ---- basic rewriting and expectations, per NAT case ---- */

static void test_port_rewritten_to_public_address(void **state)
{
	struct world *w = w_masq();

	w_line(w, C, "PORT 10,0,1,2,156,65\r\n");
	assert_string_equal(w_out(w, C), "PORT 203,0,113,1,156,65\r\n");
	assert_int_equal(w_count(w, ALG_EV_REWRITE), 1);
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 1);
	assert_expect(w, 0, "198.51.100.10", "203.0.113.1", "10.0.1.2",
		      156 * 256 + 65);
	/* later lines move by the 3 bytes added */
	w_line(w, C, "RETR f\r\n");
	assert_string_equal(w_out(w, C),
			    "PORT 203,0,113,1,156,65\r\nRETR f\r\n");
	w_free(w);
}

static void test_eprt_ipv4_rewritten_keeping_delimiter(void **state)
{
	struct world *w = w_masq();

	w_line(w, C, "EPRT !1!10.0.1.2!40001!\r\n");
	assert_string_equal(w_out(w, C), "EPRT !1!203.0.113.1!40001!\r\n");
	assert_expect(w, 0, "198.51.100.10", "203.0.113.1", "10.0.1.2",
		      40001);
	w_free(w);
}

static void test_port_already_public_opens_mapping_without_rewrite(void **state)
{
	struct world *w = w_masq();

	w_line(w, C, "PORT 203,0,113,1,156,65\r\n");
	assert_string_equal(w_out(w, C), "PORT 203,0,113,1,156,65\r\n");
	assert_int_equal(w_count(w, ALG_EV_REWRITE), 0);
	assert_expect(w, 0, "198.51.100.10", "203.0.113.1", "10.0.1.2",
		      156 * 256 + 65);
	w_free(w);
}

static void test_masquerade_pasv_needs_no_rewrite(void **state)
{
	struct world *w = w_masq();

	w_line(w, C, "PASV\r\n");
	w_line(w, S, "227 Entering Passive Mode (198,51,100,10,195,80).\r\n");
	assert_string_equal(w_out(w, S),
		"227 Entering Passive Mode (198,51,100,10,195,80).\r\n");
	assert_int_equal(w_count(w, ALG_EV_REWRITE), 0);
	assert_expect(w, 0, "10.0.1.2", "198.51.100.10", "198.51.100.10",
		      50000);
	w_free(w);
}

static struct world *w_dnat(void)
{
	/* outside client -> 203.0.113.1:21 forwarded to 10.0.2.2:21 */
	return w_new(AF_INET, "198.51.100.20", "10.0.2.2", NULL,
		     "203.0.113.1", 7000, 9000, NULL);
}

static void test_227_private_address_rewritten_for_dnat(void **state)
{
	struct world *w = w_dnat();

	w_line(w, C, "PASV\r\n");
	w_line(w, S, "227 Entering Passive Mode (10,0,2,2,195,80).\r\n");
	assert_string_equal(w_out(w, S),
		"227 Entering Passive Mode (203,0,113,1,195,80).\r\n");
	assert_expect(w, 0, "198.51.100.20", "203.0.113.1", "10.0.2.2",
		      50000);
	w_free(w);
}

static void test_227_unroutable_address_sent_to_server(void **state)
{
	struct world *w = w_dnat();

	w_line(w, C, "PASV\r\n");
	w_line(w, S, "227 Entering Passive Mode (172,16,40,222,90,160)\r\n");
	assert_string_equal(w_out(w, S),
		"227 Entering Passive Mode (203,0,113,1,90,160)\r\n");
	assert_int_equal(w_count(w, ALG_EV_NOTE), 1);
	assert_expect(w, 0, "198.51.100.20", "203.0.113.1", "10.0.2.2",
		      23200);
	w_free(w);
}

/*
 * Active mode through a port forward: the DMZ server connects from its
 * private address; the expectation says the connection must leave from
 * the address the client reached the server at (snat4), and needs no
 * DNAT (the client is not translated).
 */
static void test_port_through_dnat_leaves_from_server_public(void **state)
{
	struct world *w = w_dnat();
	const struct alg_event *e;

	w_line(w, C, "PORT 198,51,100,20,156,65\r\n");
	assert_int_equal(w_count(w, ALG_EV_REWRITE), 0);
	assert_expect(w, 0, "10.0.2.2", "198.51.100.20", "198.51.100.20",
		      156 * 256 + 65);
	e = w_ev(w, ALG_EV_EXPECT, 0);
	assert_addr(AF_INET, &e->exp.peer_pub, "203.0.113.1");
	w_line(w, C, "EPRT |1|198.51.100.20|40001|\r\n");
	assert_addr(AF_INET, &w_ev(w, ALG_EV_EXPECT, 1)->exp.peer_pub,
		    "203.0.113.1");
	w_free(w);
}

/* Passive from a masqueraded client: it leaves from its public address. */
static void test_pasv_peer_pub_is_client_public(void **state)
{
	struct world *w = w_masq();

	w_line(w, C, "PASV\r\n");
	w_line(w, S, "227 Entering Passive Mode (198,51,100,10,195,80).\r\n");
	assert_addr(AF_INET, &w_ev(w, ALG_EV_EXPECT, 0)->exp.peer_pub,
		    "203.0.113.1");
	/* the server's active connection: the server is not translated */
	w_line(w, C, "PORT 10,0,1,2,156,65\r\n");
	assert_addr(AF_INET, &w_ev(w, ALG_EV_EXPECT, 1)->exp.peer_pub,
		    "198.51.100.10");
	w_free(w);
}

static void test_229_maps_public_port_to_server(void **state)
{
	struct world *w = w_dnat();

	w_line(w, C, "EPSV\r\n");
	w_line(w, S, "229 Entering Extended Passive Mode (|||50001|)\r\n");
	assert_int_equal(w_count(w, ALG_EV_REWRITE), 0);
	assert_expect(w, 0, "198.51.100.20", "203.0.113.1", "10.0.2.2",
		      50001);
	w_free(w);
}

static void test_dnat_server_active_mode_lets_server_out(void **state)
{
	struct world *w = w_dnat();

	w_line(w, C, "PORT 198,51,100,20,200,10\r\n");
	assert_int_equal(w_count(w, ALG_EV_REWRITE), 0);
	assert_expect(w, 0, "10.0.2.2", "198.51.100.20", "198.51.100.20",
		      200 * 256 + 10);
	w_free(w);
}

static struct world *w_v6(void)
{
	return w_new(AF_INET6, "2001:db8:10::2", "2001:db8:1::10", NULL, NULL,
		     100, 200, NULL);
}

static void test_ipv6_eprt_opens_exact_pinhole(void **state)
{
	struct world *w = w_v6();

	w_line(w, C, "EPRT |2|2001:db8:10::2|40002|\r\n");
	assert_string_equal(w_out(w, C), "EPRT |2|2001:db8:10::2|40002|\r\n");
	assert_int_equal(w_count(w, ALG_EV_REWRITE), 0);
	assert_expect(w, 0, "2001:db8:1::10", "2001:db8:10::2",
		      "2001:db8:10::2", 40002);
	w_free(w);
}

static void test_ipv6_epsv_opens_exact_pinhole(void **state)
{
	struct world *w = w_v6();

	w_line(w, C, "EPSV\r\n");
	w_line(w, S, "229 Extended Passive (|||40003|)\r\n");
	assert_expect(w, 0, "2001:db8:10::2", "2001:db8:1::10",
		      "2001:db8:1::10", 40003);
	w_free(w);
}

static void test_rewrite_with_ipv4_options(void **state)
{
	struct world *w = w_masq();

	w->ip4_optlen = 12;
	w_line(w, C, "PORT 10,0,1,2,156,65\r\n");
	w_line(w, C, "PORT 10,0,1,2,156,66\r\n");
	assert_string_equal(w_out(w, C), "PORT 203,0,113,1,156,65\r\n"
			    "PORT 203,0,113,1,156,66\r\n");
	w_free(w);
}

static void test_ipv6_hop_by_hop_header_passes_through(void **state)
{
	struct world *w = w_v6();

	w->ip6_hbh = true;
	w_line(w, C, "EPSV\r\n");
	w_line(w, S, "229 Extended Passive (|||40004|)\r\n");
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 1);
	assert_int_equal(w_ev(w, ALG_EV_EXPECT, 0)->exp.target.port, 40004);
	w_free(w);
}

/* ---- split lines ---- */

static void split_case(const char *pre, int dir, const char *line,
		       const char *want, unsigned expects)
{
	size_t len = strlen(line), k;

	for (k = 1; k < len; k++) {
		struct world *w = dir == S ? w_dnat() : w_masq();
		uint32_t base;
		char buf[256];

		if (pre)
			w_line(w, C, pre);
		base = w_sent_len(w, dir);
		w_send(w, dir, base, line, k);
		w_send(w, dir, base + (uint32_t)k, line + k, len - k);
		w_line(w, dir, "NOOP\r\n");
		snprintf(buf, sizeof(buf), "%s%sNOOP\r\n",
			 dir == C && pre ? pre : "", want);
		if (strcmp(w_out(w, dir), buf))
			fail_msg("split at %zu: got \"%s\"", k, w_out(w, dir));
		assert_int_equal(w_count(w, ALG_EV_EXPECT), expects);
		assert_int_equal(w->dropped, 0);
		w_free(w);
	}
}

static void test_port_split_at_every_byte(void **state)
{
	split_case(NULL, C, "PORT 10,0,1,2,156,65\r\n",
		   "PORT 203,0,113,1,156,65\r\n", 1);
}

static void test_eprt_split_at_every_byte(void **state)
{
	split_case(NULL, C, "EPRT |1|10.0.1.2|40001|\r\n",
		   "EPRT |1|203.0.113.1|40001|\r\n", 1);
}

static void test_227_split_at_every_byte(void **state)
{
	split_case("PASV\r\n", S,
		   "227 Entering Passive Mode (10,0,2,2,195,80).\r\n",
		   "227 Entering Passive Mode (203,0,113,1,195,80).\r\n", 1);
}

static void test_229_split_at_every_byte(void **state)
{
	split_case("EPSV\r\n", S, "229 Entering Extended Passive Mode "
		   "(|||50001|)\r\n", "229 Entering Extended Passive Mode "
		   "(|||50001|)\r\n", 1);
}

static void test_port_split_in_three_at_every_pair(void **state)
{
	const char *line = "PORT 10,0,1,2,156,65\r\n";
	size_t len = strlen(line), i, j;

	for (i = 1; i < len; i++) {
		for (j = i + 1; j < len; j++) {
			struct world *w = w_masq();

			w_send(w, C, 0, line, i);
			w_send(w, C, (uint32_t)i, line + i, j - i);
			w_send(w, C, (uint32_t)j, line + j, len - j);
			if (strcmp(w_out(w, C), "PORT 203,0,113,1,156,65\r\n"))
				fail_msg("split at %zu,%zu: \"%s\"", i, j,
					 w_out(w, C));
			w_free(w);
		}
	}
}

static void test_port_one_byte_per_segment(void **state)
{
	const char *line = "PORT 10,0,1,2,156,65\r\n";
	struct world *w = w_masq();
	size_t i;

	for (i = 0; i < strlen(line); i++)
		w_send(w, C, (uint32_t)i, line + i, 1);
	assert_string_equal(w_out(w, C), "PORT 203,0,113,1,156,65\r\n");
	assert_int_equal(w->released, 3 + strlen(line));
	/* conntrack is told once, before the first piece that changed:
	 * the event came while "PORT 1" was processed */
	assert_int_equal(w_count(w, ALG_EV_ADJUST), 1);
	assert_int_equal(w->ev[1].type, ALG_EV_ADJUST);
	w_line(w, C, "LIST\r\n");
	assert_string_equal(w_out(w, C),
			    "PORT 203,0,113,1,156,65\r\nLIST\r\n");
	w_free(w);
}

static void test_two_commands_in_one_segment_port_second(void **state)
{
	struct world *w = w_masq();

	w_line(w, C, "NOOP\r\nPORT 10,0,1,2,156,65\r\n");
	assert_string_equal(w_out(w, C),
			    "NOOP\r\nPORT 203,0,113,1,156,65\r\n");
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 1);
	w_free(w);
}

static void test_several_ports_pipelined_in_one_segment(void **state)
{
	struct world *w = w_masq();

	w_line(w, C, "PORT 10,0,1,2,4,1\r\nPORT 10,0,1,2,4,2\r\n"
		     "PORT 10,0,1,2,4,3\r\n");
	assert_string_equal(w_out(w, C), "PORT 203,0,113,1,4,1\r\n"
			    "PORT 203,0,113,1,4,2\r\nPORT 203,0,113,1,4,3\r\n");
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 3);
	assert_int_equal(w_ev(w, ALG_EV_EXPECT, 2)->exp.wire.port, 1027);
	w_free(w);
}

static void test_split_pieces_leave_at_once_rewritten(void **state)
{
	struct world *w = w_masq();

	/* nothing is held: a sender short of ACKs would stall */
	w_line(w, C, "PORT 10,0,1,2,4,1\r\nPORT 10,0");
	assert_string_equal(w_out(w, C), "PORT 203,0,113,1,4,1\r\nPORT 203,");
	w_line(w, C, ",1,2,4,2\r\n");
	assert_string_equal(w_out(w, C), "PORT 203,0,113,1,4,1\r\n"
			    "PORT 203,0,113,1,4,2\r\n");
	w_free(w);
}

static void test_split_port_to_third_party_is_neutralized(void **state)
{
	struct world *w = w_masq();

	w_line(w, C, "PORT 192,0,2");
	w_line(w, C, ",99,156,65\r\n");
	/* already on its way rewritten: it names the client, opens nothing */
	assert_string_equal(w_out(w, C), "PORT 203,0,113,1,156,65\r\n");
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 0);
	assert_int_equal(w_ev(w, ALG_EV_REFUSE, 0)->reason, ALG_R_BOUNCE);
	w_free(w);
}

static void test_split_line_ending_inside_address_stays_whole(void **state)
{
	struct world *w = w_masq();

	/* the address ends with the line: the rest rides on the CR */
	w_line(w, C, "PORT 10,0,1");
	w_line(w, C, "\r\nNOOP\r\n");
	assert_string_equal(w_out(w, C), "PORT 203,0,113,1\r\nNOOP\r\n");
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 0);
	assert_int_equal(w_count(w, ALG_EV_REFUSE), 1);
	w_free(w);
}

static void test_split_port_pieces_retransmitted_identically(void **state)
{
	struct world *w = w_masq();

	w_send(w, C, 0, "PORT 10,0", 9);
	w_send(w, C, 9, ",1,2", 4);
	w_send(w, C, 13, ",4,1\r\n", 6);
	/* each piece again, and then all of it merged: same bytes */
	w_send(w, C, 0, "PORT 10,0", 9);
	w_send(w, C, 9, ",1,2", 4);
	w_send(w, C, 0, "PORT 10,0,1,2,4,1\r\n", 19);
	assert_string_equal(w_out(w, C), "PORT 203,0,113,1,4,1\r\n");
	assert_int_equal(w->dropped, 0);
	w_free(w);
}

/*
 * A split PORT whose address the server acknowledged before the line
 * ended, while enough older rewrites wait unacknowledged that the list
 * folds acknowledged corrections: the split's own correction must stay
 * until its line is complete (its rewrite event reads it).
 */
static void test_split_field_acked_before_line_end_keeps_its_rewrite(
	void **state)
{
	struct world *w = w_masq();
	const struct alg_event *ev;
	unsigned i;

	for (i = 0; i < 40; i++)
		w_line(w, C, "PORT 10,0,1,2,4,1\r\n");
	w_line(w, C, "PORT 10,0,1,2,");
	/* the server acknowledges everything so far: the list folds */
	w_send_x(w, S, w_sent_len(w, S), NULL, 0, TCPF_ACK, NULL, 0);
	w_line(w, C, "4,2\r\n");
	assert_int_equal(w_count(w, ALG_EV_REWRITE), 41);
	ev = w_ev(w, ALG_EV_REWRITE, 40);
	assert_int_equal(ev->reason, ALG_R_REWRITE_SPLIT);
	assert_int_equal(ev->line_new.len, strlen("PORT 203,0,113,1,4,2"));
	assert_memory_equal(ev->line_new.b, "PORT 203,0,113,1,4,2",
			    ev->line_new.len);
	assert_non_null(strstr(w_out(w, C), "PORT 203,0,113,1,4,2\r\n"));
	w_free(w);
}

/* A blank after the verb may be a tab: the split line is still rendered. */
static void test_split_port_after_tab_is_rewritten(void **state)
{
	struct world *w = w_masq();

	w_line(w, C, "PORT \t10,0");
	w_line(w, C, ",1,2,4,1\r\n");
	assert_string_equal(w_out(w, C), "PORT \t203,0,113,1,4,1\r\n");
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 1);
	assert_int_equal(w_count(w, ALG_EV_REFUSE), 0);
	w_free(w);
}

static void test_split_227_in_odd_form_is_refused_not_corrupted(void **state)
{
	struct world *w = w_dnat();

	/* "x" before the numbers: too odd to render early, so the first
	 * piece leaves as it is; the parser alone would accept the line */
	w_line(w, C, "PASV\r\n");
	w_line(w, S, "227 Passive x10,0,2,2");
	w_line(w, S, ",195,80\r\n");
	assert_string_equal(w_out(w, S), "227 Passive x10,0,2,2,195,80\r\n");
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 0);
	assert_int_equal(w_ev(w, ALG_EV_REFUSE, 0)->reason,
			 ALG_R_SPLIT_UNUSUAL);
	w_free(w);
}

static void test_non_candidate_partial_line_is_not_held(void **state)
{
	struct world *w = w_masq();

	w_line(w, C, "RETR some-fi");
	assert_string_equal(w_out(w, C), "RETR some-fi");
	assert_int_equal(w->t ? alg_table_count(w->t) : 0, 1);
	w_free(w);
}

/* ---- ordering, retransmission, acknowledgments ---- */

static void test_out_of_order_halves_give_same_line(void **state)
{
	const char *line = "PORT 10,0,1,2,156,65\r\n";
	struct world *w = w_masq();

	w_send(w, C, 10, line + 10, strlen(line) - 10);
	assert_string_equal(w_out(w, C), "");
	w_send(w, C, 0, line, 10);
	assert_string_equal(w_out(w, C), "PORT 203,0,113,1,156,65\r\n");
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 1);
	w_free(w);
}

static void test_out_of_order_after_gap_held_until_filled(void **state)
{
	struct world *w = w_masq();

	w_send(w, C, 6, "PORT 10,0,1,2,4,1\r\n", 19);
	w_send(w, C, 25, "LIST\r\n", 6);
	assert_string_equal(w_out(w, C), "");
	w_send(w, C, 0, "NOOP\r\n", 6);
	assert_string_equal(w_out(w, C),
			    "NOOP\r\nPORT 203,0,113,1,4,1\r\nLIST\r\n");
	w_free(w);
}

static void test_retransmission_renders_same_bytes(void **state)
{
	struct world *w = w_masq();

	w_line(w, C, "PORT 10,0,1,2,4,1\r\n");
	/* the whole segment again: the world fails on different bytes */
	w_send(w, C, 0, "PORT 10,0,1,2,4,1\r\n", 19);
	assert_int_equal(w->released, 5);
	/* the line was seen already: no second pinhole */
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 1);
	assert_string_equal(w_out(w, C), "PORT 203,0,113,1,4,1\r\n");
	w_free(w);
}

static void test_old_rewritten_segment_after_twenty_newer(void **state)
{
	struct world *w = w_masq();
	uint32_t third = 0;
	char l[64];
	int i;

	for (i = 0; i < 20; i++) {
		snprintf(l, sizeof(l), "PORT 10,0,1,2,%d,%d\r\n", 4 + i,
			 100 + i);
		if (i == 2)
			third = w_sent_len(w, C);
		w_line(w, C, l);
		w_line(w, S, "200 PORT command successful\r\n");
	}
	/* the 3rd PORT again, after everything: bytes and seq as before */
	snprintf(l, sizeof(l), "PORT 10,0,1,2,%d,%d\r\n", 6, 102);
	w_send(w, C, third, l, strlen(l));
	assert_int_equal(w_count(w, ALG_EV_REWRITE), 20);
	w_line(w, C, "QUIT\r\n");
	assert_int_equal(strlen(w_out(w, C)),
			 w_sent_len(w, C) + 20 * 3);
	w_free(w);
}

static void test_partial_retransmission_with_new_bytes(void **state)
{
	struct world *w = w_masq();

	w_send(w, C, 0, "NOOP\r\nPO", 8);
	/* resend from the start, now with the whole PORT line */
	w_send(w, C, 0, "NOOP\r\nPORT 10,0,1,2,4,1\r\n", 25);
	assert_string_equal(w_out(w, C),
			    "NOOP\r\nPORT 203,0,113,1,4,1\r\n");
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 1);
	w_free(w);
}

static void test_pure_ack_past_lost_data_does_not_skip_it(void **state)
{
	struct world *w = w_masq();

	/* the PORT segment was lost before the router; an ACK follows */
	w_send_x(w, C, 19, NULL, 0, TCPF_ACK, NULL, 0);
	w_send(w, C, 0, "PORT 10,0,1,2,4,1\r\n", 19);
	assert_string_equal(w_out(w, C), "PORT 203,0,113,1,4,1\r\n");
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 1);
	w_free(w);
}

static void test_peer_ack_mapped_back_to_original(void **state)
{
	struct world *w = w_masq();

	w_line(w, C, "PORT 10,0,1,2,4,1\r\n");	/* 19 bytes leave as 22 */
	w_line(w, S, "200 ok\r\n");		/* acks output 22 */
	/* the world fails if any ack went beyond the 19 bytes sent */
	assert_int_equal(w->max_ack_out[S], 19);
	w_free(w);
}

static void test_sack_blocks_mapped_back(void **state)
{
	struct world *w = w_masq();
	uint32_t l, r;
	struct pkt p;
	uint8_t buf[2048];

	w_line(w, C, "PORT 10,0,1,2,4,1\r\n");
	w_line(w, C, "NOOP\r\n");	/* output 22..28 */
	/* the server acks output 28 and SACKs 22..28 (a D-SACK shape) */
	{
		struct tu_tcp tt = {
			.family = AF_INET, .src = "198.51.100.10",
			.dst = "10.0.1.2", .sport = 21, .dport = 40000,
			.seq = 5001 + 8, .ack = 1001 + 28,
			.sack = (uint32_t[]){ 1001 + 22, 1001 + 28 },
			.nsack = 1,
		};
		size_t n = tu_build(&tt, NULL, 0, buf, sizeof(buf));
		struct alg_result *res = &w->r;

		assert_int_equal(pkt_parse(&p, buf, n), PKT_OK);
		alg_result_reset(res);
		alg_process(w->t, w->s, S, &p, 999, w->now, res);
		assert_int_equal(res->nout, 1);
		assert_non_null(res->out[0].data);
		assert_int_equal(pkt_parse(&p, (uint8_t *)res->out[0].data,
					   res->out[0].len), PKT_OK);
		assert_true(pkt_csum_ok(&p));
		assert_int_equal(p.ack, 1001 + 25);
		pkt_get_sack(&p, 0, &l, &r);
		assert_int_equal(l, 1001 + 19);
		assert_int_equal(r, 1001 + 25);
		alg_result_reset(res);
	}
	w_free(w);
}

static void test_sequence_wraparound(void **state)
{
	struct world *w = w_new(AF_INET, "10.0.1.2", "198.51.100.10",
				"203.0.113.1", NULL, 0xfffffff0u,
				0xfffffffau, NULL);
	int i;

	for (i = 0; i < 4; i++) {
		w_line(w, C, "PORT 10,0,1,2,4,1\r\n");
		w_line(w, S, "200 ok\r\n");
	}
	assert_int_equal(strlen(w_out(w, C)), 4 * 22);
	assert_int_equal(w->max_ack_out[S], 4 * 19);
	w_free(w);
}

static void test_twenty_transfers_active_and_passive(void **state)
{
	struct world *w = w_dnat();
	char l[96], want[96];
	int i;

	for (i = 0; i < 22; i++) {
		if (i % 2) {
			w_line(w, C, "PASV\r\n");
			snprintf(l, sizeof(l), "227 Entering Passive Mode "
				 "(10,0,2,2,195,%d).\r\n", i);
			w_line(w, S, l);
		} else {
			snprintf(l, sizeof(l), "PORT 198,51,100,20,4,%d\r\n",
				 i);
			w_line(w, C, l);
			w_line(w, S, "200 ok\r\n");
		}
		w_line(w, C, "RETR f\r\n");
		w_line(w, S, "150 go\r\n226 done\r\n");
	}
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 22);
	assert_int_equal(w_count(w, ALG_EV_REWRITE), 11);
	snprintf(want, sizeof(want), "(203,0,113,1,195,%d).", 21);
	assert_non_null(strstr(w_out(w, S), want));
	/* each 227 grew by 3: 10,0,2,2 -> 203,0,113,1 */
	assert_int_equal(strlen(w_out(w, S)), w_sent_len(w, S) + 11 * 3);
	w_free(w);
}

/* ---- policy and refusals ---- */

static void test_port_to_third_party_refused(void **state)
{
	struct world *w = w_masq();

	w_line(w, C, "PORT 192,0,2,99,156,65\r\n");
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 0);
	assert_int_equal(w_count(w, ALG_EV_REFUSE), 1);
	assert_int_equal(w_ev(w, ALG_EV_REFUSE, 0)->reason, ALG_R_BOUNCE);
	assert_string_equal(w_out(w, C), "PORT 192,0,2,99,156,65\r\n");
	w_free(w);
}

static void test_port_below_1024_refused(void **state)
{
	struct world *w = w_masq();

	w_line(w, C, "PORT 10,0,1,2,0,25\r\n");
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 0);
	assert_int_equal(w_ev(w, ALG_EV_REFUSE, 0)->reason, ALG_R_LOW_PORT);
	w_free(w);
}

static void test_malformed_port_refused_with_reason(void **state)
{
	struct world *w = w_masq();

	w_line(w, C, "PORT 10,0,1,256,4,1\r\n");
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 0);
	assert_int_equal(w_count(w, ALG_EV_REFUSE), 1);
	assert_string_equal(w_out(w, C), "PORT 10,0,1,256,4,1\r\n");
	w_free(w);
}

static void test_227_without_pasv_refused(void **state)
{
	struct world *w = w_dnat();

	w_line(w, C, "NOOP\r\n");
	w_line(w, S, "227 Entering Passive Mode (10,0,2,2,195,80)\r\n");
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 0);
	assert_int_equal(w_ev(w, ALG_EV_REFUSE, 0)->reason, ALG_R_UNPAIRED);
	w_free(w);
}

static void test_227_inside_other_multiline_reply_ignored(void **state)
{
	struct world *w = w_dnat();

	w_line(w, C, "PASV\r\n");
	w_line(w, S, "230-Welcome\r\n227 fake (10,0,2,2,1,2)\r\n"
		     "230 Logged in\r\n");
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 0);
	assert_int_equal(w_count(w, ALG_EV_REWRITE), 0);
	w_free(w);
}

static void test_multiline_227_announces_once(void **state)
{
	struct world *w = w_dnat();

	w_line(w, C, "PASV\r\n");
	w_line(w, S, "227-Entering Passive Mode (10,0,2,2,195,80)\r\n"
		     "227 OK\r\n");
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 1);
	assert_non_null(strstr(w_out(w, S), "(203,0,113,1,195,80)"));
	w_free(w);
}

/* The prose lines of a multi-line 227 are text, not refusals. */
static void test_multiline_227_text_lines_are_not_refused(void **state)
{
	struct world *w = w_dnat();

	w_line(w, C, "PASV\r\n");
	w_line(w, S, "227-Here it comes\r\n"
		     "227-Entering Passive Mode (10,0,2,2,195,80)\r\n"
		     "227 OK\r\n");
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 1);
	assert_int_equal(w_count(w, ALG_EV_REFUSE), 0);
	assert_non_null(strstr(w_out(w, S), "(203,0,113,1,195,80)"));
	/* a single-line 227 without numbers is still refused */
	w_line(w, C, "PASV\r\n");
	w_line(w, S, "227 OK\r\n");
	assert_int_equal(w_count(w, ALG_EV_REFUSE), 1);
	assert_int_equal(w_ev(w, ALG_EV_REFUSE, 0)->reason, ALG_R_MALFORMED);
	w_free(w);
}

/* Only the events an announcement earns: nothing a log calls a refusal. */
static void assert_only_announcement_events(const struct world *w)
{
	unsigned i;

	for (i = 0; i < w->nev; i++) {
		switch (w->ev[i].type) {
		case ALG_EV_OPEN:
		case ALG_EV_REWRITE:
		case ALG_EV_EXPECT:
		case ALG_EV_ADJUST:
			break;
		default:
			fail_msg("event %u: %s (%s), want none of that kind", i,
				 alg_ev_name(w->ev[i].type),
				 alg_reason_name(w->ev[i].reason));
		}
	}
}

/*
 * Text lines before and after the address, the address on a middle line
 * or on the closing one, whole or one byte per segment: one expectation,
 * and no line without an address is refused or noted.
 */
static void test_multiline_reply_text_lines_log_nothing(void **state)
{
	static const char *const replies[] = {
		"227-Here it comes\r\n"
		"227-Entering Passive Mode (10,0,2,2,195,80)\r\n"
		"227-more prose, no numbers\r\n"
		"227 OK\r\n",
		"227-Welcome to passive mode\r\n"
		"227-\r\n"
		"227 Entering Passive Mode (10,0,2,2,195,80)\r\n",
		"229-Extended passive\r\n"
		"229 Entering Extended Passive Mode (|||50000|)\r\n",
	};
	const char *cmd;
	size_t i, k, len;
	struct world *w;

	for (i = 0; i < sizeof(replies) / sizeof(replies[0]); i++) {
		for (k = 0; k < 2; k++) {
			w = w_dnat();
			cmd = replies[i][2] == '9' ? "EPSV\r\n" : "PASV\r\n";
			w_line(w, C, cmd);
			len = strlen(replies[i]);
			if (k == 0) {
				w_line(w, S, replies[i]);
			} else {
				size_t b;

				for (b = 0; b < len; b++)
					w_send(w, S, w_sent_len(w, S),
					       replies[i] + b, 1);
			}
			if (w_count(w, ALG_EV_EXPECT) != 1)
				fail_msg("reply %zu (%s): %u expectations",
					 i, k ? "bytewise" : "whole",
					 w_count(w, ALG_EV_EXPECT));
			assert_only_announcement_events(w);
			assert_int_equal(w_ev(w, ALG_EV_EXPECT, 0)->exp
					 .target.port, 50000);
			w_free(w);
		}
	}
}

static void test_lowercase_port_and_bare_lf(void **state)
{
	struct world *w = w_masq();

	/* the server answered a bare-LF line: it frames on LF too */
	w_line(w, C, "USER a\n");
	w_line(w, S, "331 ok\r\n");
	w_line(w, C, "port 10,0,1,2,4,1\n");
	assert_string_equal(w_out(w, C), "USER a\nport 203,0,113,1,4,1\n");
	w_free(w);
}

static void test_auth_tls_then_clear_text_is_a_resume(void **state)
{
	struct world *w = w_masq();

	w_line(w, C, "AUTH TLS\r\n");
	w_line(w, S, "234 AUTH TLS successful\r\n");
	assert_int_equal(w_count(w, ALG_EV_TLS), 1);
	/* not a TLS record: clear again (tls.c), inspected as plaintext */
	w_line(w, C, "PORT 10,0,1,2,4,1\r\n");
	assert_int_equal(w_count(w, ALG_EV_TLS), 2);
	assert_int_equal(w_ev(w, ALG_EV_TLS, 1)->reason, ALG_R_TLS_CLEAR);
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 1);
	assert_string_equal(w_out(w, C),
			    "AUTH TLS\r\nPORT 203,0,113,1,4,1\r\n");
	w_free(w);
}

static void test_auth_refused_keeps_inspecting(void **state)
{
	struct world *w = w_masq();

	w_line(w, C, "AUTH TLS\r\n");
	w_line(w, S, "534 no TLS here\r\n");
	w_line(w, C, "PORT 10,0,1,2,4,1\r\n");
	assert_int_equal(w_count(w, ALG_EV_TLS), 0);
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 1);
	w_free(w);
}

static void test_overlong_line_stops_inspection(void **state)
{
	struct world *w = w_masq();
	char big[700];

	memset(big, 'A', sizeof(big));
	memcpy(big, "SITE ", 5);
	w_send(w, C, 0, big, sizeof(big));
	w_send(w, C, sizeof(big), "\r\nPORT 10,0,1,2,4,1\r\n", 21);
	assert_int_equal(w_count(w, ALG_EV_STOP), 1);
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 0);
	assert_int_equal(strlen(w_out(w, C)), sizeof(big) + 21);
	w_free(w);
}

static void test_nul_in_line_stops_inspection(void **state)
{
	struct world *w = w_masq();

	w_send(w, C, 0, "PORT 10,0\0,1,2\r\n", 16);
	assert_int_equal(w_count(w, ALG_EV_STOP), 1);
	assert_int_equal(w_ev(w, ALG_EV_STOP, 0)->reason, ALG_R_LINE_NUL);
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 0);
	assert_int_equal(w->released, 3 + 1);
	w_free(w);
}

static void test_split_lprt_given_up_after_hold_time(void **state)
{
	struct world *w = w_masq();

	/* LPRT is the one command still held until complete */
	w_line(w, C, "LPRT 4,4,10,0,1");
	assert_int_equal(w->released, 3);
	w_tick(w, w->pol.hold_ms + 1);
	assert_int_equal(w->released, 4);
	assert_int_equal(w_count(w, ALG_EV_REFUSE), 1);
	w_line(w, C, ",2,2,4,1\r\n");
	assert_string_equal(w_out(w, C), "LPRT 4,4,10,0,1,2,2,4,1\r\n");
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 0);
	w_free(w);
}

static void test_split_lprt_rewritten_when_complete(void **state)
{
	struct world *w = w_masq();

	w_line(w, C, "LPRT 4,4,10,0,1");
	assert_string_equal(w_out(w, C), "");
	w_line(w, C, ",2,2,4,1\r\n");
	assert_string_equal(w_out(w, C), "LPRT 4,4,203,0,113,1,2,4,1\r\n");
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 1);
	w_free(w);
}

static void test_out_of_order_segment_dropped_after_hold_time(void **state)
{
	struct world *w = w_masq();

	w_send(w, C, 6, "LIST\r\n", 6);
	w_tick(w, w->pol.hold_ms + 1);
	assert_int_equal(w->dropped, 1);
	w_send(w, C, 0, "NOOP\r\nLIST\r\n", 12);
	assert_string_equal(w_out(w, C), "NOOP\r\nLIST\r\n");
	w_free(w);
}

static void test_midstream_pickup_waits_for_line_start(void **state)
{
	struct alg_policy pol;
	struct alg_table *t;
	struct alg_session_info si;
	struct alg_session *s;
	struct alg_result *r = calloc(1, sizeof(*r));
	enum alg_dir d;
	uint8_t buf[512];
	struct pkt p;
	const char *pay = "0,1,2,4,1\r\nPORT 10,0,1,2,4,2\r\n";
	struct tu_tcp tt = {
		.family = AF_INET, .src = "10.0.1.2", .dst = "198.51.100.10",
		.sport = 40000, .dport = 21, .seq = 77, .ack = 88,
	};
	struct alg_nat nat = { .known = true };
	size_t n = tu_build(&tt, pay, strlen(pay), buf, sizeof(buf));

	alg_policy_default(&pol);
	t = alg_table_new(&pol, 0);
	assert_int_equal(pkt_parse(&p, buf, n), PKT_OK);
	assert_int_equal(alg_track(t, &p, 1, &s, &d, r), 0);
	alg_session_info(s, &si);
	assert_true(si.midstream);
	tu_addr(AF_INET, "203.0.113.1", &nat.client_pub);
	tu_addr(AF_INET, "198.51.100.10", &nat.server_pub);
	alg_session_set_nat(s, &nat);
	alg_process(t, s, d, &p, 1, 1, r);
	/* the partial first line is skipped; the PORT after it is a
	 * line, but pairing is not established yet: it opens nothing */
	assert_int_equal(r->nout, 1);
	assert_null(r->out[0].data);
	assert_int_equal(r->nev, 2);	/* open, refuse */
	assert_int_equal(r->ev[1].type, ALG_EV_REFUSE);
	assert_int_equal(r->ev[1].reason, ALG_R_UNSYNCED);
	alg_table_free(t);
	free(r);
}

static void test_fin_both_ways_closes_session(void **state)
{
	struct world *w = w_masq();
	uint32_t c = w_sent_len(w, C), s = w_sent_len(w, S);

	w_line(w, C, "QUIT\r\n");
	w_line(w, S, "221 bye\r\n");
	c = w_sent_len(w, C);
	s = w_sent_len(w, S);
	w_send_x(w, C, c, NULL, 0, TCPF_FIN | TCPF_ACK, NULL, 0);
	assert_int_equal(w_count(w, ALG_EV_CLOSE), 0);
	w_send_x(w, S, s, NULL, 0, TCPF_FIN | TCPF_ACK, NULL, 0);
	assert_int_equal(w_count(w, ALG_EV_CLOSE), 1);
	/* kept for the last ACKs, then gone */
	assert_int_equal(alg_table_count(w->t), 1);
	w_tick(w, w->pol.linger_ms + 1);
	assert_int_equal(alg_table_count(w->t), 0);
	w_free(w);
}

static void test_rst_closes_and_releases_held(void **state)
{
	struct world *w = w_masq();

	w_line(w, C, "PORT 10,0");
	w_send_x(w, S, 0, NULL, 0, TCPF_RST | TCPF_ACK, NULL, 0);
	assert_int_equal(w_count(w, ALG_EV_CLOSE), 1);
	/* handshake 3 + the held piece + the RST */
	assert_int_equal(w->released, 5);
	w_free(w);
}

static void test_idle_session_closed(void **state)
{
	struct world *w = w_masq();

	w_line(w, S, "220 hello\r\n");	/* not half-open: exchanged */
	w_tick(w, w->pol.idle_timeout_ms + 1);
	assert_int_equal(w_count(w, ALG_EV_CLOSE), 1);
	assert_int_equal(w_ev(w, ALG_EV_CLOSE, 0)->reason, ALG_R_CLOSE_IDLE);
	w_free(w);
}

/*
 * With idle checks on (the daemon's pure-ACK rules: a keepalive never
 * reaches us), an unshifted session past idle_timeout is reported, not
 * closed, and reported again only after another idle_timeout; a shifted
 * one sees every packet, so idle_timeout still closes it.
 */
static void test_idle_check_asks_for_unshifted_session(void **state)
{
	struct world *w = w_masq();

	alg_table_set_idle_check(w->t, true);
	w_line(w, S, "220 hello\r\n");
	w_tick(w, w->pol.idle_timeout_ms + 1);
	assert_int_equal(w_count(w, ALG_EV_CLOSE), 0);
	assert_int_equal(w_count(w, ALG_EV_NOTE), 1);
	assert_int_equal(w_ev(w, ALG_EV_NOTE, 0)->reason, ALG_R_IDLE_CHECK);
	assert_int_equal(w_ev(w, ALG_EV_NOTE, 0)->sid, alg_session_id(w->s));
	w_tick(w, w->pol.idle_timeout_ms / 2);
	assert_int_equal(w_count(w, ALG_EV_NOTE), 1);
	w_tick(w, w->pol.idle_timeout_ms / 2 + 1);
	assert_int_equal(w_count(w, ALG_EV_NOTE), 2);
	/* the caller found no conntrack entry: it closes the session */
	alg_result_reset(&w->r);
	alg_session_close(w->t, w->s, ALG_R_CLOSE_IDLE, 0, &w->r);
	assert_int_equal(w->r.nev, 1);
	assert_int_equal(w->r.ev[0].type, ALG_EV_CLOSE);
	w_free(w);
}

static void test_idle_check_leaves_shifted_session_to_timeout(void **state)
{
	struct world *w = w_masq();

	alg_table_set_idle_check(w->t, true);
	w_line(w, C, "PORT 10,0,1,2,195,80\r\n");	/* rewritten, longer */
	assert_int_equal(w_count(w, ALG_EV_ADJUST), 1);
	w_tick(w, w->pol.idle_timeout_ms + 1);
	assert_int_equal(w_count(w, ALG_EV_CLOSE), 1);
	assert_int_equal(w_ev(w, ALG_EV_CLOSE, 0)->reason, ALG_R_CLOSE_IDLE);
	w_free(w);
}

static void test_session_table_full_refuses_new(void **state)
{
	struct alg_policy pol;
	struct alg_result *r = calloc(1, sizeof(*r));
	struct alg_session *s;
	struct alg_table *t;
	enum alg_dir d;
	uint8_t buf[256];
	struct pkt p;
	struct tu_tcp tt = {
		.family = AF_INET, .src = "10.0.1.2", .dst = "198.51.100.10",
		.sport = 40000, .dport = 21, .seq = 1, .flags = TCPF_SYN,
	};
	size_t n;

	alg_policy_default(&pol);
	pol.max_sessions = 2;
	t = alg_table_new(&pol, 0);
	for (int i = 0; i < 3; i++) {
		tt.sport = (uint16_t)(40000 + i);
		n = tu_build(&tt, NULL, 0, buf, sizeof(buf));
		assert_int_equal(pkt_parse(&p, buf, n), PKT_OK);
		alg_result_reset(r);
		assert_int_equal(alg_track(t, &p, 1, &s, &d, r),
				 i < 2 ? 0 : -ENOSPC);
	}
	assert_int_equal(r->ev[0].type, ALG_EV_REFUSE);
	assert_int_equal(r->ev[0].reason, ALG_R_TABLE_FULL);
	assert_int_equal(r->ev[0].value, 2);
	assert_int_equal(alg_table_count(t), 2);
	alg_table_free(t);
	free(r);
}

static void test_not_a_control_port_is_not_tracked(void **state)
{
	struct alg_policy pol;
	struct alg_result *r = calloc(1, sizeof(*r));
	struct alg_session *s;
	struct alg_table *t;
	enum alg_dir d;
	uint8_t buf[256];
	struct pkt p;
	struct tu_tcp tt = {
		.family = AF_INET, .src = "10.0.1.2", .dst = "198.51.100.10",
		.sport = 40000, .dport = 80, .seq = 1, .flags = TCPF_SYN,
	};
	size_t n = tu_build(&tt, NULL, 0, buf, sizeof(buf));

	alg_policy_default(&pol);
	t = alg_table_new(&pol, 0);
	assert_int_equal(pkt_parse(&p, buf, n), PKT_OK);
	assert_int_equal(alg_track(t, &p, 1, &s, &d, r), -ENOENT);
	alg_table_free(t);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_port_rewritten_to_public_address),
		cmocka_unit_test(test_eprt_ipv4_rewritten_keeping_delimiter),
		cmocka_unit_test(test_port_already_public_opens_mapping_without_rewrite),
		cmocka_unit_test(test_masquerade_pasv_needs_no_rewrite),
		cmocka_unit_test(test_227_private_address_rewritten_for_dnat),
		cmocka_unit_test(test_port_through_dnat_leaves_from_server_public),
		cmocka_unit_test(test_pasv_peer_pub_is_client_public),
		cmocka_unit_test(test_227_unroutable_address_sent_to_server),
		cmocka_unit_test(test_229_maps_public_port_to_server),
		cmocka_unit_test(test_dnat_server_active_mode_lets_server_out),
		cmocka_unit_test(test_ipv6_eprt_opens_exact_pinhole),
		cmocka_unit_test(test_ipv6_epsv_opens_exact_pinhole),
		cmocka_unit_test(test_rewrite_with_ipv4_options),
		cmocka_unit_test(test_ipv6_hop_by_hop_header_passes_through),
		cmocka_unit_test(test_port_split_at_every_byte),
		cmocka_unit_test(test_eprt_split_at_every_byte),
		cmocka_unit_test(test_227_split_at_every_byte),
		cmocka_unit_test(test_229_split_at_every_byte),
		cmocka_unit_test(test_port_split_in_three_at_every_pair),
		cmocka_unit_test(test_port_one_byte_per_segment),
		cmocka_unit_test(test_two_commands_in_one_segment_port_second),
		cmocka_unit_test(test_several_ports_pipelined_in_one_segment),
		cmocka_unit_test(test_split_pieces_leave_at_once_rewritten),
		cmocka_unit_test(test_split_port_to_third_party_is_neutralized),
		cmocka_unit_test(test_split_line_ending_inside_address_stays_whole),
		cmocka_unit_test(test_split_port_pieces_retransmitted_identically),
		cmocka_unit_test(
			test_split_field_acked_before_line_end_keeps_its_rewrite),
		cmocka_unit_test(test_split_port_after_tab_is_rewritten),
		cmocka_unit_test(test_split_227_in_odd_form_is_refused_not_corrupted),
		cmocka_unit_test(test_non_candidate_partial_line_is_not_held),
		cmocka_unit_test(test_out_of_order_halves_give_same_line),
		cmocka_unit_test(test_out_of_order_after_gap_held_until_filled),
		cmocka_unit_test(test_retransmission_renders_same_bytes),
		cmocka_unit_test(test_old_rewritten_segment_after_twenty_newer),
		cmocka_unit_test(test_partial_retransmission_with_new_bytes),
		cmocka_unit_test(test_pure_ack_past_lost_data_does_not_skip_it),
		cmocka_unit_test(test_peer_ack_mapped_back_to_original),
		cmocka_unit_test(test_sack_blocks_mapped_back),
		cmocka_unit_test(test_sequence_wraparound),
		cmocka_unit_test(test_twenty_transfers_active_and_passive),
		cmocka_unit_test(test_port_to_third_party_refused),
		cmocka_unit_test(test_port_below_1024_refused),
		cmocka_unit_test(test_malformed_port_refused_with_reason),
		cmocka_unit_test(test_227_without_pasv_refused),
		cmocka_unit_test(test_227_inside_other_multiline_reply_ignored),
		cmocka_unit_test(test_multiline_227_announces_once),
		cmocka_unit_test(test_multiline_227_text_lines_are_not_refused),
		cmocka_unit_test(test_multiline_reply_text_lines_log_nothing),
		cmocka_unit_test(test_lowercase_port_and_bare_lf),
		cmocka_unit_test(test_auth_tls_then_clear_text_is_a_resume),
		cmocka_unit_test(test_auth_refused_keeps_inspecting),
		cmocka_unit_test(test_overlong_line_stops_inspection),
		cmocka_unit_test(test_nul_in_line_stops_inspection),
		cmocka_unit_test(test_split_lprt_given_up_after_hold_time),
		cmocka_unit_test(test_split_lprt_rewritten_when_complete),
		cmocka_unit_test(test_out_of_order_segment_dropped_after_hold_time),
		cmocka_unit_test(test_midstream_pickup_waits_for_line_start),
		cmocka_unit_test(test_fin_both_ways_closes_session),
		cmocka_unit_test(test_rst_closes_and_releases_held),
		cmocka_unit_test(test_idle_session_closed),
		cmocka_unit_test(test_idle_check_asks_for_unshifted_session),
		cmocka_unit_test(test_idle_check_leaves_shifted_session_to_timeout),
		cmocka_unit_test(test_session_table_full_refuses_new),
		cmocka_unit_test(test_not_a_control_port_is_not_tracked),
	};

	return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}
