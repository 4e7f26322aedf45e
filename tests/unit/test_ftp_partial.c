// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The recognizer for lines still arriving: at which prefix a PORT, EPRT
 * or 227 line is known, where its address starts and ends, which lines
 * are never rendered early, and which are held until complete.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ftp-alg/ftp.h"

/* cmocka hands every test a state pointer these tests have no use for. */
#pragma GCC diagnostic ignored "-Wunused-parameter"

#define CLIENT	true
#define SERVER	false

static const char *state_name(enum ftp_partial_state s)
{
	switch (s) {
	case FTP_PARTIAL_MORE:
		return "MORE";
	case FTP_PARTIAL_FOUND:
		return "FOUND";
	case FTP_PARTIAL_NEVER:
		return "NEVER";
	}
	return "invalid";
}

static const char *family_name(int family)
{
	return family == AF_INET ? "AF_INET" : "AF_INET6";
}

/* What ftp_partial_find should say about one prefix. */
struct want {
	enum ftp_partial_state state;
	enum ftp_kind kind;
	size_t start;
	char delim;
};

static void check_prefix(bool client, int family, int ml_code,
			 const char *line, size_t n, const struct want *w)
{
	struct ftp_partial f;
	enum ftp_partial_state st;

	/* garbage in *f must not leak into the answer */
	memset(&f, 0x5a, sizeof(f));
	st = ftp_partial_find(client, family, ml_code, line, n, &f);
	if (st != w->state)
		fail_msg("%s %s ml %d \"%.*s\" (n %zu): %s, want %s",
			 client ? "client" : "server", family_name(family),
			 ml_code, (int)n, line, n, state_name(st),
			 state_name(w->state));
	if (st != FTP_PARTIAL_FOUND) {
		if (f.kind != FTP_NONE || f.start || f.delim)
			fail_msg("\"%.*s\" (n %zu): %s but f not zeroed "
				 "(kind %s, start %zu, delim 0x%02x)", (int)n,
				 line, n, state_name(st), ftp_kind_name(f.kind),
				 f.start, (unsigned char)f.delim);
		return;
	}
	if (f.kind != w->kind)
		fail_msg("\"%.*s\" (n %zu): kind %s, want %s", (int)n, line, n,
			 ftp_kind_name(f.kind), ftp_kind_name(w->kind));
	if (f.start != w->start)
		fail_msg("\"%.*s\" (n %zu): start %zu, want %zu", (int)n, line,
			 n, f.start, w->start);
	if (f.delim != w->delim)
		fail_msg("\"%.*s\" (n %zu): delim 0x%02x, want 0x%02x", (int)n,
			 line, n, (unsigned char)f.delim,
			 (unsigned char)w->delim);
}

/*
 * Every prefix of line shorter than from is MORE; from there on, up to
 * the whole line, the answer is w.
 */
static void expect_from(bool client, int family, int ml_code,
			const char *line, size_t from, struct want w)
{
	const struct want more = { .state = FTP_PARTIAL_MORE };
	size_t n, len = strlen(line);

	for (n = 0; n <= len; n++)
		check_prefix(client, family, ml_code, line, n,
			     n < from ? &more : &w);
}

static void expect_found(bool client, int family, int ml_code,
			 const char *line, enum ftp_kind kind, size_t start,
			 char delim)
{
	struct want w = { FTP_PARTIAL_FOUND, kind, start, delim };

	/* found with the address's first byte, not before */
	expect_from(client, family, ml_code, line, start + 1, w);
}

static void expect_never(bool client, int family, int ml_code,
			 const char *line, size_t from)
{
	struct want w = { .state = FTP_PARTIAL_NEVER };

	expect_from(client, family, ml_code, line, from, w);
}

/* Offset of the first occurrence of s in line (must be there). */
static size_t off(const char *line, const char *s)
{
	const char *p = strstr(line, s);

	if (!p)
		fail_msg("\"%s\" not in \"%s\"", s, line);
	return (size_t)(p - line);
}

/*
 * line is FOUND; its address ends at offset end: every prefix that stops
 * at or before end has not ended yet (n), every longer one ends at end.
 */
static void expect_end(bool client, int family, const char *line,
		       size_t end)
{
	struct ftp_partial f;
	size_t n, e, len = strlen(line);

	if (ftp_partial_find(client, family, 0, line, len, &f) !=
	    FTP_PARTIAL_FOUND)
		fail_msg("\"%s\": not FOUND", line);
	for (n = f.start; n <= len; n++) {
		e = ftp_partial_end(&f, family, line, n);
		if (e != (n <= end ? n : end))
			fail_msg("\"%s\" %s (n %zu): address ends at %zu, "
				 "want %zu", line, family_name(family), n, e,
				 n <= end ? n : end);
	}
}

static void expect_hold(bool client, const char *line, size_t n, bool want)
{
	if (ftp_partial_must_hold(client, line, n) != want)
		fail_msg("%s \"%.*s\" (n %zu): must_hold %s, want %s",
			 client ? "client" : "server", (int)n, line, n,
			 want ? "false" : "true", want ? "true" : "false");
}

/* Every prefix of line, up to the whole of it, must be held. */
static void expect_hold_every_prefix(bool client, const char *line)
{
	size_t n, len = strlen(line);

	for (n = 0; n <= len; n++)
		expect_hold(client, line, n, true);
}

/* ---- PORT ---- */

static void test_port_found_at_every_prefix(void **state)
{
	expect_found(CLIENT, AF_INET, 0, "PORT 10,0,2,2,195,80",
		     FTP_CMD_PORT, 5, 0);
}

static void test_port_verb_in_any_case(void **state)
{
	expect_found(CLIENT, AF_INET, 0, "pOrT 10,0,2,2,195,80",
		     FTP_CMD_PORT, 5, 0);
	expect_found(CLIENT, AF_INET, 0, "port 10,0,2,2,195,80",
		     FTP_CMD_PORT, 5, 0);
}

static void test_port_address_after_extra_spaces(void **state)
{
	expect_found(CLIENT, AF_INET, 0, "PORT    10,0,2,2,195,80",
		     FTP_CMD_PORT, 8, 0);
}

/* Tabs are blanks, as for the parser: the address starts after them. */
static void test_port_address_after_tabs(void **state)
{
	expect_found(CLIENT, AF_INET, 0, "PORT \t10,0,2,2,195,80",
		     FTP_CMD_PORT, 6, 0);
	expect_found(CLIENT, AF_INET, 0, "PORT \t \t10,0,2,2,195,80",
		     FTP_CMD_PORT, 8, 0);
	expect_end(CLIENT, AF_INET, "PORT \t10,0,2,2,195,80", 14);
}

/* FOUND says where an address would be, not that it is one. */
static void test_port_found_on_any_byte_after_spaces(void **state)
{
	expect_found(CLIENT, AF_INET, 0, "PORT x", FTP_CMD_PORT, 5, 0);
	/* ... and such an address ends where it starts */
	expect_end(CLIENT, AF_INET, "PORT x", 5);
}

static void test_port_in_ipv6_session_never(void **state)
{
	expect_never(CLIENT, AF_INET6, 0, "PORT 10,0,2,2,195,80", 6);
	expect_never(CLIENT, AF_INET6, 0, "PORT   10,0,2,2,195,80", 8);
}

static void test_port_verb_without_space_never(void **state)
{
	expect_never(CLIENT, AF_INET, 0, "PORT\t10,0,2,2,195,80", 5);
	expect_never(CLIENT, AF_INET, 0, "PORTS 10,0,2,2,195,80", 5);
	expect_never(CLIENT, AF_INET, 0, " PORT 10,0,2,2,195,80", 5);
}

static void test_other_commands_never(void **state)
{
	static const char *const lines[] = {
		"PASV", "EPSV 2", "LIST /pub", "LPRT 4,4,10,0,2,2,2,195,80",
		"USER anonymous", "PORTX",
		"\xd0\xcf\xd2\xd4 1,2",	/* "PORT" with the top bits set */
	};
	size_t i;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		/* a command shorter than "PORT " stays MORE: it is complete
		 * before the recognizer ever decides */
		expect_never(CLIENT, AF_INET, 0, lines[i], 5);
		expect_never(CLIENT, AF_INET6, 0, lines[i], 5);
	}
}

static void test_client_227_never(void **state)
{
	expect_never(CLIENT, AF_INET, 0, "227 (10,0,2,2,195,80)", 5);
}

static void test_port_end_at_fourth_comma(void **state)
{
	const char *l = "PORT 10,0,2,2,195,80";

	expect_end(CLIENT, AF_INET, l, off(l, ",195"));
}

static void test_port_end_at_first_foreign_byte(void **state)
{
	const char *l = "PORT 10,0,2.2,195,80";

	expect_end(CLIENT, AF_INET, l, off(l, "."));
	l = "PORT 10,0 ,2,2,195,80";
	expect_end(CLIENT, AF_INET, l, off(l, " ,"));
	l = "PORT 10,0,2\r";
	expect_end(CLIENT, AF_INET, l, off(l, "\r"));
}

/* ---- EPRT ---- */

static void test_eprt_found_after_family(void **state)
{
	const char *l = "EPRT |1|10.0.2.2|2121|";

	expect_found(CLIENT, AF_INET, 0, l, FTP_CMD_EPRT, 8, '|');
	expect_end(CLIENT, AF_INET, l, off(l, "|2121"));
}

static void test_eprt_ipv6_found_after_family(void **state)
{
	const char *l = "EPRT |2|2001:db8:10::2|2121|";

	expect_found(CLIENT, AF_INET6, 0, l, FTP_CMD_EPRT, 8, '|');
	expect_end(CLIENT, AF_INET6, l, off(l, "|2121"));
}

static void test_eprt_other_delimiter_and_spaces(void **state)
{
	const char *l = "eprt   !1!10.0.2.2!2121!";

	expect_found(CLIENT, AF_INET, 0, l, FTP_CMD_EPRT, 10, '!');
	expect_end(CLIENT, AF_INET, l, off(l, "!2121"));
}

/* A delimiter that is also an address character still ends it. */
static void test_eprt_address_character_as_delimiter(void **state)
{
	const char *l = "EPRT a2a2001:db8::1a2121a";

	expect_found(CLIENT, AF_INET6, 0, l, FTP_CMD_EPRT, 8, 'a');
	expect_end(CLIENT, AF_INET6, l, off(l, "a2121"));
	l = "EPRT .1.10.0.2.2.2121.";
	expect_found(CLIENT, AF_INET, 0, l, FTP_CMD_EPRT, 8, '.');
	expect_end(CLIENT, AF_INET, l, off(l, ".0"));
}

static void test_eprt_wrong_family_never(void **state)
{
	expect_never(CLIENT, AF_INET, 0, "EPRT |2|2001:db8::2|2121|", 8);
	expect_never(CLIENT, AF_INET6, 0, "EPRT |1|10.0.2.2|2121|", 8);
	expect_never(CLIENT, AF_INET, 0, "EPRT |3|10.0.2.2|2121|", 8);
	expect_never(CLIENT, AF_INET, 0, "EPRT ||10.0.2.2|2121|", 8);
}

static void test_eprt_bad_delimiters_never(void **state)
{
	expect_never(CLIENT, AF_INET, 0, "EPRT |1!10.0.2.2|2121|", 8);
	/* a tab is a blank before the argument, then "1" is no delimiter */
	expect_never(CLIENT, AF_INET, 0, "EPRT \t1\t10.0.2.2\t2121\t", 9);
	expect_never(CLIENT, AF_INET, 0, "EPRT \x7f" "1\x7f" "10.0.2.2", 8);
	expect_never(CLIENT, AF_INET, 0, "EPRT \x80" "1\x80" "10.0.2.2", 8);
	expect_never(CLIENT, AF_INET, 0, "EPRT \r1\r10.0.2.2", 8);
}

static void test_eprt_end_at_first_foreign_byte(void **state)
{
	const char *l = "EPRT |1|10.0.2.2:2121|";

	expect_end(CLIENT, AF_INET, l, off(l, ":"));
	/* hex digits are IPv6 only */
	l = "EPRT |1|10.0.a.2|2121|";
	expect_end(CLIENT, AF_INET, l, off(l, "a"));
	l = "EPRT |2|2001:db8::g|2121|";
	expect_end(CLIENT, AF_INET6, l, off(l, "g"));
	/* an IPv4 tail is part of an IPv6 address */
	l = "EPRT |2|::ffff:10.0.2.2|2121|";
	expect_end(CLIENT, AF_INET6, l, off(l, "|2121"));
}

/* ---- 227 ---- */

static void test_227_found_at_every_prefix(void **state)
{
	const char *l = "227 Entering Passive Mode (10,0,2,2,195,80).";

	expect_found(SERVER, AF_INET, 0, l, FTP_REPLY_227, off(l, "10,"), 0);
	expect_end(SERVER, AF_INET, l, off(l, ",195"));
}

static void test_227_forms_servers_send(void **state)
{
	static const char *const lines[] = {
		"227 Entering Passive Mode (10,0,2,2,195,80)",
		"227 Entering Passive Mode 10,0,2,2,195,80",
		"227 =10,0,2,2,195,80",
		"227 10,0,2,2,195,80",
		"227-Entering Passive Mode (10,0,2,2,195,80)",
		"227 Entering Passive Mode (10,0,2,2,195,80)\r",
	};
	size_t i;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		expect_found(SERVER, AF_INET, 0, lines[i], FTP_REPLY_227,
			     off(lines[i], "10,"), 0);
		expect_end(SERVER, AF_INET, lines[i], off(lines[i], ",195"));
	}
}

/* The parser may accept these; the recognizer leaves them to it. */
static void test_227_odd_forms_never(void **state)
{
	const char *l = "227 Entering Passive Mode:10,0,2,2,195,80";

	expect_never(SERVER, AF_INET, 0, l, off(l, "10,") + 1);
	expect_never(SERVER, AF_INET, 0, "227-10,0,2,2,195,80", 5);
	l = "227 Passive v2 (10,0,2,2,195,80)";
	expect_never(SERVER, AF_INET, 0, l, off(l, "2 (") + 1);
}

static void test_227_in_other_multiline_never(void **state)
{
	const char *l = "227 Entering Passive Mode (10,0,2,2,195,80)";

	expect_never(SERVER, AF_INET, 150, l, 4);
	expect_never(SERVER, AF_INET, 228, l, 4);
	/* its own multi-line reply is fine */
	expect_found(SERVER, AF_INET, 227, l, FTP_REPLY_227, off(l, "10,"),
		     0);
}

static void test_227_in_ipv6_session_never(void **state)
{
	const char *l = "227 Entering Passive Mode (10,0,2,2,195,80)";

	expect_never(SERVER, AF_INET6, 0, l, off(l, "10,") + 1);
}

static void test_other_replies_never(void **state)
{
	static const char *const lines[] = {
		"229 Entering Extended Passive Mode (|||2121|)",
		"228 Entering Long Passive Mode (4,4,10,0,2,2,2,195,80)",
		"200 PORT command successful",
		"2270 (10,0,2,2,195,80)",
		"227(10,0,2,2,195,80)",
		" 227 (10,0,2,2,195,80)",
		"PORT 10,0,2,2,195,80",
	};
	size_t i;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		expect_never(SERVER, AF_INET, 0, lines[i], 4);
		expect_never(SERVER, AF_INET, 227, lines[i], 4);
	}
}

static void test_227_end_at_first_foreign_byte(void **state)
{
	const char *l = "227 Entering Passive Mode (10,0,2)";

	expect_end(SERVER, AF_INET, l, off(l, ")"));
}

/* ---- holding LPRT and 228 ---- */

static void test_lprt_prefix_must_hold(void **state)
{
	expect_hold_every_prefix(CLIENT, "LPRT 4,4,10,0,2,2,2,195,80");
	expect_hold_every_prefix(CLIENT, "lprt 6,16,32,1,13,184,0,0,0,0,"
				 "0,0,0,0,0,0,0,2,2,195,80");
	expect_hold_every_prefix(CLIENT, "LPRT\r");
}

static void test_228_prefix_must_hold(void **state)
{
	expect_hold_every_prefix(SERVER, "228 Entering Long Passive Mode "
				 "(4,4,10,0,2,2,2,195,80)");
	expect_hold_every_prefix(SERVER, "228-Entering Long Passive Mode");
	expect_hold_every_prefix(SERVER, "228\r");
}

static void test_lines_not_held(void **state)
{
	expect_hold(CLIENT, "LPRTX 4,4", 5, false);
	expect_hold(CLIENT, "LPRT-4,4", 5, false);
	expect_hold(CLIENT, "LPRT\t4,4", 5, false);
	expect_hold(CLIENT, "LPSV", 3, false);
	expect_hold(CLIENT, "PORT 10,0,2,2,195,80", 1, false);
	expect_hold(CLIENT, "228 (4,4,10,0,2,2,2,195,80)", 1, false);
	expect_hold(SERVER, "2280 (4,4,10,0,2,2,2,195,80)", 4, false);
	expect_hold(SERVER, "229 (|||2121|)", 3, false);
	expect_hold(SERVER, "LPRT 4,4,10,0,2,2,2,195,80", 1, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_port_found_at_every_prefix),
		cmocka_unit_test(test_port_verb_in_any_case),
		cmocka_unit_test(test_port_address_after_extra_spaces),
		cmocka_unit_test(test_port_address_after_tabs),
		cmocka_unit_test(test_port_found_on_any_byte_after_spaces),
		cmocka_unit_test(test_port_in_ipv6_session_never),
		cmocka_unit_test(test_port_verb_without_space_never),
		cmocka_unit_test(test_other_commands_never),
		cmocka_unit_test(test_client_227_never),
		cmocka_unit_test(test_port_end_at_fourth_comma),
		cmocka_unit_test(test_port_end_at_first_foreign_byte),
		cmocka_unit_test(test_eprt_found_after_family),
		cmocka_unit_test(test_eprt_ipv6_found_after_family),
		cmocka_unit_test(test_eprt_other_delimiter_and_spaces),
		cmocka_unit_test(test_eprt_address_character_as_delimiter),
		cmocka_unit_test(test_eprt_wrong_family_never),
		cmocka_unit_test(test_eprt_bad_delimiters_never),
		cmocka_unit_test(test_eprt_end_at_first_foreign_byte),
		cmocka_unit_test(test_227_found_at_every_prefix),
		cmocka_unit_test(test_227_forms_servers_send),
		cmocka_unit_test(test_227_odd_forms_never),
		cmocka_unit_test(test_227_in_other_multiline_never),
		cmocka_unit_test(test_227_in_ipv6_session_never),
		cmocka_unit_test(test_other_replies_never),
		cmocka_unit_test(test_227_end_at_first_foreign_byte),
		cmocka_unit_test(test_lprt_prefix_must_hold),
		cmocka_unit_test(test_228_prefix_must_hold),
		cmocka_unit_test(test_lines_not_held),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
