// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * FTPS (alg/engine/tls.c): the record walker on its own, then the engine
 * following AUTH TLS -> encrypted records -> CCC -> clear lines, with
 * hostile peers that "resume" early or send what is neither.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine_int.h"
#include "engine_world.h"

#define C ALG_DIR_ORIG
#define S ALG_DIR_REPLY

/*
 * A TLS record of type `type` whose body is `body` (no NUL in it, so the
 * worlds' received streams stay C strings). Returns its length.
 */
static size_t record(uint8_t *out, uint8_t type, const char *body)
{
	size_t n = strlen(body);

	out[0] = type;
	out[1] = 0x03;
	out[2] = 0x03;
	out[3] = (uint8_t)(n >> 8);
	out[4] = (uint8_t)n;
	memcpy(out + 5, body, n);
	return n + 5;
}

/* --- the walker ------------------------------------------------------ */

static void test_walk_whole_records_then_clear(void **state)
{
	struct tls_walk w = { 0 };
	enum tls_walk_res res;
	uint8_t b[256];
	size_t n = 0;

	n += record(b + n, 22, "hello");
	n += record(b + n, 23, "appdata");
	n += record(b + n, 21, "al");
	memcpy(b + n, "PASV\r\n", 6);
	assert_int_equal(tls_walk(&w, true, b, n + 6, &res), n);
	assert_int_equal(res, TLS_WALK_CLEAR);
	assert_int_equal(w.records, 3);
}

static void test_walk_split_at_every_byte(void **state)
{
	struct tls_walk w = { 0 };
	enum tls_walk_res res = TLS_WALK_MORE;
	uint8_t b[256];
	size_t n = 0, i;

	n += record(b + n, 22, "a handshake of some length");
	n += record(b + n, 23, "x");
	b[n] = '2';		/* a server's reply digit */
	for (i = 0; i < n; i++) {
		assert_int_equal(tls_walk(&w, false, b + i, 1, &res), 1);
		assert_int_equal(res, TLS_WALK_MORE);
	}
	assert_int_equal(tls_walk(&w, false, b + n, 1, &res), 0);
	assert_int_equal(res, TLS_WALK_CLEAR);
	assert_int_equal(w.records, 2);
}

static void test_walk_record_spanning_many_segments(void **state)
{
	struct tls_walk w = { 0 };
	enum tls_walk_res res;
	uint8_t hdr[5] = { 23, 3, 3, 0x48, 0x00 };	/* 18432: the limit */
	uint8_t body[1000];
	unsigned i;

	memset(body, 'P', sizeof(body));	/* "PPPP": text, but inside */
	assert_int_equal(tls_walk(&w, true, hdr, 5, &res), 5);
	for (i = 0; i < 18; i++) {
		assert_int_equal(tls_walk(&w, true, body, 1000, &res), 1000);
		assert_int_equal(res, TLS_WALK_MORE);
	}
	assert_int_equal(tls_walk(&w, true, body, 1000, &res), 432);
	assert_int_equal(res, TLS_WALK_CLEAR);
}

static void test_walk_refuses_garbage(void **state)
{
	static const struct {
		uint8_t b[6];
		size_t n;
		bool client;
		size_t at;
	} cases[] = {
		{ { 0x80, 0x2e, 0x01 }, 3, true, 0 },	/* SSLv2 hello */
		{ { 19, 3, 3, 0, 1, 0 }, 6, true, 0 },	/* type 19 */
		{ { 25, 3, 3, 0, 1, 0 }, 6, true, 0 },	/* type 25 */
		{ { 23, 2, 0, 0, 1, 0 }, 6, true, 1 },	/* version 2.x */
		{ { 23, 3, 5, 0, 1, 0 }, 6, true, 2 },	/* version 3.5 */
		{ { 23, 3, 3, 0x48, 1 }, 5, true, 4 },	/* 18433 bytes */
		{ { '2', '0', '0' }, 3, true, 0 },	/* digits from the client */
		{ { 'P', 'A' }, 2, false, 0 },		/* letters from the server */
		{ { '\r', '\n' }, 2, false, 0 },
		{ { '6', '0', '0' }, 3, false, 0 },	/* no reply starts with 6 */
	};
	unsigned i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tls_walk w = { 0 };
		enum tls_walk_res res;
		size_t at = tls_walk(&w, cases[i].client, cases[i].b,
				     cases[i].n, &res);

		if (res != TLS_WALK_BAD || at != cases[i].at)
			fail_msg("case %u: result %d at %zu, want BAD at %zu",
				 i, res, at, cases[i].at);
	}
}

/* --- the engine ------------------------------------------------------ */

/* Did dir's peer receive the bytes of str (the stream holds NULs)? */
static bool got(struct world *w, int dir, const char *str)
{
	w_out(w, dir);
	return memmem(w->out[dir], w->contig[dir], str, strlen(str)) != NULL;
}

/* Send n raw bytes from dir as one segment after what it sent so far. */
static void w_raw(struct world *w, int dir, const uint8_t *b, size_t n)
{
	w_send(w, dir, w_sent_len(w, dir), b, n);
}

/* Client records that carry PORT text inside (a hostile body). */
static void tls_exchange(struct world *w)
{
	uint8_t b[512];
	size_t n;

	n = record(b, 22, "\r\nPORT 10,0,1,2,4,1\r\n");
	w_raw(w, C, b, n);
	n = record(b, 22, "\r\n227 Entering (10,0,1,2,4,1)\r\n");
	n += record(b + n, 20, "\x01");
	w_raw(w, S, b, n);
	/* "CCC" and its 200, encrypted */
	n = record(b, 23, "CCC\r\n");
	w_raw(w, C, b, n);
	n = record(b, 23, "200 CCC OK\r\n");
	n += record(b + n, 21, "\x01\x01");	/* an alert */
	w_raw(w, S, b, n);
	n = record(b, 21, "\x01\x01");
	w_raw(w, C, b, n);
}

static unsigned count_reason(const struct world *w, enum alg_ev_type t,
			     enum alg_reason why)
{
	unsigned i, n = 0;

	for (i = 0; i < w->nev; i++)
		if (w->ev[i].type == t && w->ev[i].reason == why)
			n++;
	return n;
}

static void test_records_are_not_inspected(void **state)
{
	struct world *w = w_masq();
	struct alg_session_info si;

	w_line(w, C, "AUTH TLS\r\n");
	w_line(w, S, "234 AUTH TLS successful\r\n");
	assert_int_equal(count_reason(w, ALG_EV_TLS, ALG_R_AUTH_TLS), 1);
	tls_exchange(w);
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 0);
	assert_int_equal(w_count(w, ALG_EV_REWRITE), 0);
	assert_int_equal(w_count(w, ALG_EV_REFUSE), 0);
	assert_int_equal(w_count(w, ALG_EV_STOP), 0);
	assert_true(got(w, C, "PORT 10,0,1,2,4,1"));
	alg_session_info(w->s, &si);
	assert_int_equal(si.inspect, ALG_INSPECT_TLS);
	w_free(w);
}

static void test_port_after_ccc_rewritten(void **state)
{
	struct world *w = w_masq();
	struct alg_session_info si;
	const struct alg_event *ev;

	w_line(w, C, "AUTH TLS\r\n");
	w_line(w, S, "234 AUTH TLS successful\r\n");
	tls_exchange(w);
	w_line(w, C, "PORT 10,0,1,2,4,1\r\n");
	assert_int_equal(count_reason(w, ALG_EV_TLS, ALG_R_TLS_CLEAR), 1);
	ev = w_ev(w, ALG_EV_TLS, 1);
	assert_int_equal(ev->dir, C);
	assert_int_equal(ev->value, 3);		/* the client's records */
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 1);
	assert_true(got(w, C, "\x01PORT 203,0,113,1,4,1\r\n"));
	w_line(w, S, "200 PORT OK\r\n");
	assert_int_equal(count_reason(w, ALG_EV_TLS, ALG_R_TLS_CLEAR), 2);
	alg_session_info(w->s, &si);
	assert_int_equal(si.inspect, ALG_INSPECTING);
	/* and the session goes on as any plaintext one */
	w_line(w, C, "PORT 10,0,1,2,4,2\r\n");
	w_line(w, S, "200 PORT OK\r\n");
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 2);
	w_free(w);
}

static struct world *w_dnat(void)
{
	return w_new(AF_INET, "198.51.100.20", "10.0.2.2", NULL,
		     "203.0.113.1", 7000, 9000, NULL);
}

static void test_227_after_ccc_rewritten_for_dnat(void **state)
{
	struct world *w = w_dnat();

	w_line(w, C, "AUTH SSL\r\n");
	w_line(w, S, "234 go ahead\r\n");
	tls_exchange(w);
	w_line(w, C, "PASV\r\n");
	w_line(w, S, "227 Entering Passive Mode (10,0,2,2,195,80).\r\n");
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 1);
	assert_true(got(w, S, "\x01\x01"
			"227 Entering Passive Mode (203,0,113,1,195,80)."));
	w_free(w);
}

static void test_unsolicited_227_right_after_234_refused(void **state)
{
	struct world *w = w_dnat();

	w_line(w, C, "AUTH TLS\r\n");
	/* the server "resumes" at once: nothing was asked in clear */
	w_line(w, S, "234 OK\r\n227 Entering Passive Mode (10,0,2,9,0,80)\r\n");
	assert_int_equal(count_reason(w, ALG_EV_TLS, ALG_R_TLS_CLEAR), 1);
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 0);
	assert_int_equal(count_reason(w, ALG_EV_REFUSE, ALG_R_UNPAIRED), 1);
	w_free(w);
}

static void test_server_resume_cannot_answer_encrypted_pasv(void **state)
{
	struct world *w = w_dnat();
	uint8_t b[64];
	size_t n;

	w_line(w, C, "AUTH TLS\r\n");
	w_line(w, S, "234 OK\r\n");
	n = record(b, 23, "PASV\r\n");		/* the PASV is encrypted */
	w_raw(w, C, b, n);
	n = record(b, 23, "x");
	w_raw(w, S, b, n);
	w_line(w, S, "227 Entering Passive Mode (10,0,2,2,195,80)\r\n");
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 0);
	assert_int_equal(count_reason(w, ALG_EV_REFUSE, ALG_R_UNPAIRED), 1);
	w_free(w);
}

static void test_port_to_third_party_after_resume_refused(void **state)
{
	struct world *w = w_masq();

	w_line(w, C, "AUTH TLS\r\n");
	w_line(w, S, "234 OK\r\n");
	w_line(w, C, "PORT 192,0,2,99,4,1\r\n");	/* bounce, in clear */
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 0);
	assert_int_equal(count_reason(w, ALG_EV_REFUSE, ALG_R_BOUNCE), 1);
	w_free(w);
}

static void test_garbage_stops_inspection(void **state)
{
	struct world *w = w_masq();
	uint8_t b[64];
	size_t n;

	w_line(w, C, "AUTH TLS\r\n");
	w_line(w, S, "234 OK\r\n");
	n = record(b, 22, "hi");
	b[n++] = 0x80;		/* neither a record nor a command */
	memcpy(b + n, "\r\nPORT 10,0,1,2,4,1\r\n", 21);
	w_raw(w, C, b, n + 21);
	assert_int_equal(count_reason(w, ALG_EV_STOP, ALG_R_TLS_GARBAGE), 1);
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 0);
	assert_true(got(w, C, "PORT 10,0,1,2,4,1"));
	w_free(w);
}

static void test_header_split_byte_by_byte_then_clear(void **state)
{
	struct world *w = w_masq();
	uint8_t b[128];
	size_t n, i;

	w_line(w, C, "AUTH TLS\r\n");
	w_line(w, S, "234 OK\r\n");
	n = record(b, 22, "a ClientHello");
	n += record(b + n, 21, "\x01\x01");
	memcpy(b + n, "PORT 10,0,1,2,4,1\r\n", 19);
	n += 19;
	for (i = 0; i < n; i++)
		w_raw(w, C, b + i, 1);
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 1);
	assert_true(got(w, C, "PORT 203,0,113,1,4,1\r\n"));
	w_free(w);
}

static void test_retransmission_across_the_switch(void **state)
{
	struct world *w = w_masq();
	uint8_t b[128];
	size_t n;
	uint32_t off;

	w_line(w, C, "AUTH TLS\r\n");
	w_line(w, S, "234 OK\r\n");
	off = w_sent_len(w, C);
	n = record(b, 22, "hello");
	memcpy(b + n, "PORT 10,0,1,2,4,1\r\n", 19);
	n += 19;
	w_send(w, C, off, b, n);
	/* the same bytes again, and a piece of them (the world checks each
	 * release is the same rendering) */
	w_send(w, C, off, b, n);
	w_send(w, C, off + 3, b + 3, n - 3);
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 1);
	assert_int_equal(count_reason(w, ALG_EV_TLS, ALG_R_TLS_CLEAR), 1);
	w_line(w, C, "PORT 10,0,1,2,4,2\r\n");
	assert_true(got(w, C,
			"PORT 203,0,113,1,4,1\r\nPORT 203,0,113,1,4,2"));
	w_free(w);
}

static void test_out_of_order_records_held_then_walked(void **state)
{
	struct world *w = w_masq();
	uint8_t b[128];
	size_t n, a;
	uint32_t off;

	w_line(w, C, "AUTH TLS\r\n");
	w_line(w, S, "234 OK\r\n");
	off = w_sent_len(w, C);
	a = record(b, 22, "first");
	n = a + record(b + a, 21, "\x01\x01");
	memcpy(b + n, "PORT 10,0,1,2,4,1\r\n", 19);
	n += 19;
	w_send(w, C, off + (uint32_t)a, b + a, n - a);	/* later bytes first */
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 0);
	w_send(w, C, off, b, a);
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 1);
	w_free(w);
}

static void test_client_line_open_at_234_not_followed(void **state)
{
	struct world *w = w_masq();

	/* a client that went on after AUTH: its first TLS byte unknown */
	w_line(w, C, "AUTH TLS\r\nNOO");
	w_line(w, S, "234 OK\r\n");
	w_line(w, C, "P\r\nPORT 10,0,1,2,4,1\r\n");
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 0);
	assert_int_equal(count_reason(w, ALG_EV_STOP, ALG_R_TLS_UNFOLLOWED), 1);
	assert_int_equal(count_reason(w, ALG_EV_TLS, ALG_R_TLS_CLEAR), 0);
	w_free(w);
}

static void test_restart_while_encrypted_stops_inspection(void **state)
{
	struct world *w = w_masq();
	struct alg_session_info si;

	w_line(w, C, "AUTH TLS\r\n");
	w_line(w, S, "234 OK\r\n");
	assert_int_equal(w_restart(w, NULL), 0);
	w_line(w, C, "PORT 10,0,1,2,4,1\r\n");
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 0);
	alg_session_info(w->s, &si);
	assert_int_equal(si.inspect, ALG_INSPECT_TLS);
	w_free(w);
}

static void test_auth_again_after_ccc_followed_again(void **state)
{
	struct world *w = w_masq();

	w_line(w, C, "AUTH TLS\r\n");
	w_line(w, S, "234 OK\r\n");
	tls_exchange(w);
	w_line(w, C, "AUTH TLS\r\n");
	w_line(w, S, "234 OK\r\n");
	assert_int_equal(count_reason(w, ALG_EV_TLS, ALG_R_AUTH_TLS), 2);
	tls_exchange(w);
	w_line(w, C, "PORT 10,0,1,2,4,1\r\n");
	assert_int_equal(w_count(w, ALG_EV_EXPECT), 1);
	w_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk_whole_records_then_clear),
		cmocka_unit_test(test_walk_split_at_every_byte),
		cmocka_unit_test(test_walk_record_spanning_many_segments),
		cmocka_unit_test(test_walk_refuses_garbage),
		cmocka_unit_test(test_records_are_not_inspected),
		cmocka_unit_test(test_port_after_ccc_rewritten),
		cmocka_unit_test(test_227_after_ccc_rewritten_for_dnat),
		cmocka_unit_test(test_unsolicited_227_right_after_234_refused),
		cmocka_unit_test(test_server_resume_cannot_answer_encrypted_pasv),
		cmocka_unit_test(test_port_to_third_party_after_resume_refused),
		cmocka_unit_test(test_garbage_stops_inspection),
		cmocka_unit_test(test_header_split_byte_by_byte_then_clear),
		cmocka_unit_test(test_retransmission_across_the_switch),
		cmocka_unit_test(test_out_of_order_records_held_then_walked),
		cmocka_unit_test(test_client_line_open_at_234_not_followed),
		cmocka_unit_test(test_restart_while_encrypted_stops_inspection),
		cmocka_unit_test(test_auth_again_after_ccc_followed_again),
	};

	return cmocka_run_group_tests_name("tls", tests, NULL, NULL);
}
