// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * FTP control-line grammar: every form servers and clients really send,
 * every rejection with its reason, and format -> parse round trips.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "ftp-alg/ftp.h"

/* cmocka hands every test a state pointer these tests have no use for. */
#pragma GCC diagnostic ignored "-Wunused-parameter"

typedef int (*parse_fn)(const char *line, size_t len, struct ftp_msg *m,
			const char **why);

static const char *fn_name(parse_fn fn)
{
	return fn == ftp_parse_command ? "command" : "reply";
}

static void parse_ok(parse_fn fn, const char *line, struct ftp_msg *m)
{
	const char *why = NULL;
	int rc = fn(line, strlen(line), m, &why);

	if (rc)
		fail_msg("%s \"%s\": rc %d (%s), want 0", fn_name(fn), line,
			 rc, why ? why : "no reason");
	if (why)
		fail_msg("%s \"%s\": accepted but reason \"%s\" set",
			 fn_name(fn), line, why);
}

static void check_kind(const char *line, const struct ftp_msg *m,
		       enum ftp_kind kind)
{
	if (m->kind != kind)
		fail_msg("\"%s\": kind %s, want %s", line,
			 ftp_kind_name(m->kind), ftp_kind_name(kind));
}

/* The span [field_off, +field_len) of line must read exactly want. */
static void check_field(const char *line, const struct ftp_msg *m,
			const char *want)
{
	size_t n = strlen(line);

	if (m->field_off > n || m->field_len > n - m->field_off)
		fail_msg("\"%s\": field %zu+%zu outside the line", line,
			 m->field_off, m->field_len);
	if (m->field_len != strlen(want) ||
	    memcmp(line + m->field_off, want, m->field_len))
		fail_msg("\"%s\": field \"%.*s\", want \"%s\"", line,
			 (int)m->field_len, line + m->field_off, want);
}

static void check_ep(const char *line, const struct alg_endpoint *ep,
		     int family, const char *addr, uint16_t port)
{
	union alg_addr want;
	char got[INET6_ADDRSTRLEN] = "?";

	if (ep->family != family)
		fail_msg("\"%s\": family %d, want %d", line, ep->family,
			 family);
	if (ep->port != port)
		fail_msg("\"%s\": port %u, want %u", line, ep->port, port);
	if (family == AF_UNSPEC)
		return;
	memset(&want, 0, sizeof(want));
	assert_int_equal(inet_pton(family, addr, &want), 1);
	if (!alg_addr_eq(family, &ep->addr, &want)) {
		inet_ntop(family, &ep->addr, got, sizeof(got));
		fail_msg("\"%s\": address %s, want %s", line, got, addr);
	}
}

/* line parses as kind, announcing family/addr/port in the text field. */
static struct ftp_msg expect_ep(parse_fn fn, const char *line,
				enum ftp_kind kind, const char *field,
				int family, const char *addr, uint16_t port)
{
	struct ftp_msg m;

	parse_ok(fn, line, &m);
	check_kind(line, &m, kind);
	if (!m.has_ep)
		fail_msg("\"%s\": no endpoint", line);
	check_field(line, &m, field);
	check_ep(line, &m.ep, family, addr, port);
	return m;
}

static void expect_rejected(parse_fn fn, const char *line,
			    enum ftp_kind kind, const char *reason)
{
	struct ftp_msg m;
	const char *why = NULL;
	int rc = fn(line, strlen(line), &m, &why);

	if (rc != -EINVAL)
		fail_msg("%s \"%s\": rc %d, want -EINVAL (%s)", fn_name(fn),
			 line, rc, reason);
	check_kind(line, &m, kind);
	if (!why || strcmp(why, reason))
		fail_msg("\"%s\": reason \"%s\", want \"%s\"", line,
			 why ? why : "(none)", reason);
	if (m.has_ep)
		fail_msg("\"%s\": rejected but has_ep set", line);
}

#define expect_cmd_rejected(line, kind, reason) \
	expect_rejected(ftp_parse_command, line, kind, reason)
#define expect_reply_rejected(line, kind, reason) \
	expect_rejected(ftp_parse_reply, line, kind, reason)

/* line parses to kind with no endpoint (and, for replies, code/sep). */
static void expect_plain(parse_fn fn, const char *line, enum ftp_kind kind,
			 int code, char sep)
{
	struct ftp_msg m;

	parse_ok(fn, line, &m);
	check_kind(line, &m, kind);
	if (m.has_ep)
		fail_msg("\"%s\": unexpected endpoint", line);
	if (m.code != code)
		fail_msg("\"%s\": code %d, want %d", line, m.code, code);
	if (m.sep != sep)
		fail_msg("\"%s\": sep '%c', want '%c'", line,
			 m.sep ? m.sep : '0', sep ? sep : '0');
}

/* Replace m's field in line with text; returns a static buffer. */
static const char *splice(const char *line, const struct ftp_msg *m,
			  const char *text)
{
	static char buf[512];

	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)m->field_off, line,
		 text, line + m->field_off + m->field_len);
	return buf;
}

static void make_ep(struct alg_endpoint *ep, int family, const char *addr,
		    uint16_t port)
{
	memset(ep, 0, sizeof(*ep));
	ep->family = family;
	ep->port = port;
	if (addr)
		assert_int_equal(inet_pton(family, addr, &ep->addr), 1);
}

/*
 * Parse line, format its own endpoint back: the text must be identical
 * (line is written canonically), and the line rebuilt from it must parse
 * to the same kind, endpoint and delimiter.
 */
static void expect_round_trip(parse_fn fn, const char *line)
{
	struct ftp_msg m, m2;
	char out[FTP_FIELD_MAX + 1];
	const char *again;
	int n;

	parse_ok(fn, line, &m);
	assert_true(m.has_ep);
	n = ftp_format_field(&m, &m.ep, out, sizeof(out));
	if (n < 0)
		fail_msg("\"%s\": format failed: %d", line, n);
	if ((size_t)n != strlen(out))
		fail_msg("\"%s\": returned %d, wrote %zu", line, n,
			 strlen(out));
	check_field(line, &m, out);
	again = splice(line, &m, out);
	parse_ok(fn, again, &m2);
	check_kind(again, &m2, m.kind);
	assert_int_equal(m2.ep.family, m.ep.family);
	assert_int_equal(m2.ep.port, m.ep.port);
	if (m.ep.family != AF_UNSPEC)
		assert_true(alg_addr_eq(m.ep.family, &m.ep.addr, &m2.ep.addr));
	assert_int_equal(m2.delim, m.delim);
	assert_int_equal(m2.field_off, m.field_off);
	assert_int_equal(m2.field_len, m.field_len);
}

/* Rewrite line's endpoint to ep: the result must read want and parse. */
static void expect_rewrite(parse_fn fn, const char *line,
			   const struct alg_endpoint *ep, const char *want)
{
	struct ftp_msg m, m2;
	char out[FTP_FIELD_MAX + 1];
	const char *again;
	int n;

	parse_ok(fn, line, &m);
	n = ftp_format_field(&m, ep, out, sizeof(out));
	if (n < 0)
		fail_msg("\"%s\": format failed: %d", line, n);
	again = splice(line, &m, out);
	if (strcmp(again, want))
		fail_msg("\"%s\" rewritten to \"%s\", want \"%s\"", line,
			 again, want);
	parse_ok(fn, again, &m2);
	check_kind(again, &m2, m.kind);
	assert_int_equal(m2.ep.family, ep->family);
	assert_int_equal(m2.ep.port, ep->port);
	if (ep->family != AF_UNSPEC)
		assert_true(alg_addr_eq(ep->family, &ep->addr, &m2.ep.addr));
}

/* ---- PORT ---- */

static void test_port_parsed_with_field_and_endpoint(void **state)
{
	expect_ep(ftp_parse_command, "PORT 192,168,1,2,7,138", FTP_CMD_PORT,
		  "192,168,1,2,7,138", AF_INET, "192.168.1.2", 7 * 256 + 138);
	expect_ep(ftp_parse_command, "PORT 0,0,0,0,255,255", FTP_CMD_PORT,
		  "0,0,0,0,255,255", AF_INET, "0.0.0.0", 65535);
	expect_ep(ftp_parse_command, "PORT 010,000,0,1,0,1", FTP_CMD_PORT,
		  "010,000,0,1,0,1", AF_INET, "10.0.0.1", 1);
}

static void test_port_verb_case_insensitive(void **state)
{
	expect_ep(ftp_parse_command, "port 10,0,0,1,4,1", FTP_CMD_PORT,
		  "10,0,0,1,4,1", AF_INET, "10.0.0.1", 1025);
	expect_ep(ftp_parse_command, "PoRt 10,0,0,1,4,1", FTP_CMD_PORT,
		  "10,0,0,1,4,1", AF_INET, "10.0.0.1", 1025);
}

static void test_port_trailing_cr_tolerated(void **state)
{
	expect_ep(ftp_parse_command, "PORT 10,0,0,1,4,1\r", FTP_CMD_PORT,
		  "10,0,0,1,4,1", AF_INET, "10.0.0.1", 1025);
	expect_ep(ftp_parse_command, "PORT 10,0,0,1,4,1 \r", FTP_CMD_PORT,
		  "10,0,0,1,4,1", AF_INET, "10.0.0.1", 1025);
}

static void test_port_surrounding_blanks_accepted(void **state)
{
	expect_ep(ftp_parse_command, "PORT 10,0,0,1,4,1  \t", FTP_CMD_PORT,
		  "10,0,0,1,4,1", AF_INET, "10.0.0.1", 1025);
	expect_ep(ftp_parse_command, "PORT   10,0,0,1,4,1", FTP_CMD_PORT,
		  "10,0,0,1,4,1", AF_INET, "10.0.0.1", 1025);
}

static void test_port_octet_over_255_rejected(void **state)
{
	expect_cmd_rejected("PORT 256,0,0,1,4,1", FTP_CMD_PORT,
			    "octet over 255");
	expect_cmd_rejected("PORT 10,0,0,999,4,1", FTP_CMD_PORT,
			    "octet over 255");
	expect_cmd_rejected("PORT 10,0,0,1,4,256", FTP_CMD_PORT,
			    "octet over 255");
}

static void test_port_zero_port_rejected(void **state)
{
	expect_cmd_rejected("PORT 10,0,0,1,0,0", FTP_CMD_PORT, "port 0");
}

static void test_port_wrong_count_rejected(void **state)
{
	expect_cmd_rejected("PORT 10,0,0,1,4", FTP_CMD_PORT,
			    "too few numbers");
	expect_cmd_rejected("PORT 10", FTP_CMD_PORT, "too few numbers");
	expect_cmd_rejected("PORT 10,0,0,1,4,1,7", FTP_CMD_PORT,
			    "too many numbers");
}

static void test_port_empty_number_rejected(void **state)
{
	expect_cmd_rejected("PORT 10,,0,1,4,1", FTP_CMD_PORT, "empty number");
	expect_cmd_rejected("PORT ,10,0,0,1,4", FTP_CMD_PORT, "empty number");
	expect_cmd_rejected("PORT 10,0,0,1,4,", FTP_CMD_PORT, "empty number");
}

static void test_port_sign_before_number_rejected(void **state)
{
	expect_cmd_rejected("PORT +10,0,0,1,4,1", FTP_CMD_PORT,
			    "sign before number");
	expect_cmd_rejected("PORT 10,0,-0,1,4,1", FTP_CMD_PORT,
			    "sign before number");
}

static void test_port_four_digit_number_rejected(void **state)
{
	expect_cmd_rejected("PORT 0010,0,0,1,4,1", FTP_CMD_PORT,
			    "number too long");
}

static void test_port_garbage_after_numbers_rejected(void **state)
{
	expect_cmd_rejected("PORT 10,0,0,1,4,1x", FTP_CMD_PORT,
			    "garbage after numbers");
	expect_cmd_rejected("PORT 10,0,0,1,4,1 x", FTP_CMD_PORT,
			    "garbage after numbers");
	expect_cmd_rejected("PORT 10,0,0,1,4,1\r\r", FTP_CMD_PORT,
			    "garbage after numbers");
}

static void test_port_junk_inside_numbers_rejected(void **state)
{
	expect_cmd_rejected("PORT 10, 0,0,1,4,1", FTP_CMD_PORT,
			    "empty number");
	expect_cmd_rejected("PORT 10,0,0,1,4x1", FTP_CMD_PORT,
			    "bad character in numbers");
	expect_cmd_rejected("PORT 10.0.0.1,4,1", FTP_CMD_PORT,
			    "bad character in numbers");
}

static void test_port_missing_argument_rejected(void **state)
{
	expect_cmd_rejected("PORT", FTP_CMD_PORT, "missing argument");
	expect_cmd_rejected("PORT ", FTP_CMD_PORT, "missing argument");
	expect_cmd_rejected("port  \t\r", FTP_CMD_PORT, "missing argument");
}

/* ---- EPRT ---- */

static void test_eprt_ipv4_pipe_delimiter(void **state)
{
	struct ftp_msg m;

	m = expect_ep(ftp_parse_command, "EPRT |1|132.235.1.2|6275|",
		      FTP_CMD_EPRT, "|1|132.235.1.2|6275|", AF_INET,
		      "132.235.1.2", 6275);
	assert_int_equal(m.delim, '|');
	expect_ep(ftp_parse_command, "eprt |1|0.0.0.0|65535| \r",
		  FTP_CMD_EPRT, "|1|0.0.0.0|65535|", AF_INET, "0.0.0.0",
		  65535);
}

static void test_eprt_other_delimiters_accepted(void **state)
{
	struct ftp_msg m;

	m = expect_ep(ftp_parse_command, "EPRT !1!10.0.0.1!21!", FTP_CMD_EPRT,
		      "!1!10.0.0.1!21!", AF_INET, "10.0.0.1", 21);
	assert_int_equal(m.delim, '!');
	m = expect_ep(ftp_parse_command, "EPRT ~2~2001:db8::1~5000~",
		      FTP_CMD_EPRT, "~2~2001:db8::1~5000~", AF_INET6,
		      "2001:db8::1", 5000);
	assert_int_equal(m.delim, '~');
}

static void test_eprt_ipv6(void **state)
{
	expect_ep(ftp_parse_command, "EPRT |2|1080::8:800:200C:417A|5282|",
		  FTP_CMD_EPRT, "|2|1080::8:800:200C:417A|5282|", AF_INET6,
		  "1080::8:800:200c:417a", 5282);
	expect_ep(ftp_parse_command, "EPRT |2|::ffff:192.0.2.1|4000|",
		  FTP_CMD_EPRT, "|2|::ffff:192.0.2.1|4000|", AF_INET6,
		  "::ffff:192.0.2.1", 4000);
}

static void test_eprt_unsupported_family_rejected(void **state)
{
	expect_cmd_rejected("EPRT |3|10.0.0.1|21|", FTP_CMD_EPRT,
			    "unsupported address family");
	expect_cmd_rejected("EPRT |12|10.0.0.1|21|", FTP_CMD_EPRT,
			    "unsupported address family");
	expect_cmd_rejected("EPRT ||10.0.0.1|21|", FTP_CMD_EPRT,
			    "empty address family");
}

static void test_eprt_mixed_delimiters_rejected(void **state)
{
	expect_cmd_rejected("EPRT |1!10.0.0.1!21!", FTP_CMD_EPRT,
			    "missing delimiter");
	expect_cmd_rejected("EPRT |1|10.0.0.1|21", FTP_CMD_EPRT,
			    "missing delimiter");
}

static void test_eprt_delimiter_outside_printable_ascii_rejected(
	void **state)
{
	expect_cmd_rejected("EPRT \x7f" "1\x7f" "10.0.0.1\x7f" "21\x7f",
			    FTP_CMD_EPRT, "bad delimiter");
	expect_cmd_rejected("EPRT \xc3" "1\xc3" "10.0.0.1\xc3" "21\xc3",
			    FTP_CMD_EPRT, "bad delimiter");
}

static void test_eprt_bad_ipv4_rejected(void **state)
{
	expect_cmd_rejected("EPRT |1|10.0.0|21|", FTP_CMD_EPRT,
			    "bad IPv4 address");
	expect_cmd_rejected("EPRT |1|10.0.0.1.5|21|", FTP_CMD_EPRT,
			    "bad IPv4 address");
	expect_cmd_rejected("EPRT |1|10.0.0.1000|21|", FTP_CMD_EPRT,
			    "bad IPv4 address");
	expect_cmd_rejected("EPRT |1|10..0.1|21|", FTP_CMD_EPRT,
			    "bad IPv4 address");
	expect_cmd_rejected("EPRT |1| 10.0.0.1|21|", FTP_CMD_EPRT,
			    "bad IPv4 address");
	expect_cmd_rejected("EPRT |1|10.0.0.256|21|", FTP_CMD_EPRT,
			    "octet over 255");
	expect_cmd_rejected("EPRT |1|2001:db8::1|21|", FTP_CMD_EPRT,
			    "bad IPv4 address");
}

static void test_eprt_ipv4_leading_zero_rejected(void **state)
{
	expect_cmd_rejected("EPRT |1|10.0.0.01|21|", FTP_CMD_EPRT,
			    "leading zero in IPv4 address");
	expect_cmd_rejected("EPRT |1|010.0.0.1|21|", FTP_CMD_EPRT,
			    "leading zero in IPv4 address");
	expect_cmd_rejected("EPRT |1|10.00.0.1|21|", FTP_CMD_EPRT,
			    "leading zero in IPv4 address");
	expect_ep(ftp_parse_command, "EPRT |1|10.0.0.0|21|", FTP_CMD_EPRT,
		  "|1|10.0.0.0|21|", AF_INET, "10.0.0.0", 21);
}

static void test_eprt_bad_ipv6_rejected(void **state)
{
	expect_cmd_rejected("EPRT |2|10.0.0.1|21|", FTP_CMD_EPRT,
			    "bad IPv6 address");
	expect_cmd_rejected("EPRT |2|2001:db8:::1|21|", FTP_CMD_EPRT,
			    "bad IPv6 address");
	expect_cmd_rejected("EPRT |2|fe80::1%eth0|21|", FTP_CMD_EPRT,
			    "bad IPv6 address");
	expect_cmd_rejected("EPRT |2||21|", FTP_CMD_EPRT, "bad IPv6 address");
	expect_cmd_rejected(
		"EPRT |2|0000:0000:0000:0000:0000:0000:0000:0000:0000|21|",
		FTP_CMD_EPRT, "bad IPv6 address");
}

static void test_eprt_bad_port_rejected(void **state)
{
	expect_cmd_rejected("EPRT |1|10.0.0.1|0|", FTP_CMD_EPRT, "port 0");
	expect_cmd_rejected("EPRT |1|10.0.0.1|65536|", FTP_CMD_EPRT,
			    "port over 65535");
	expect_cmd_rejected("EPRT |1|10.0.0.1||", FTP_CMD_EPRT, "empty port");
	expect_cmd_rejected("EPRT |1|10.0.0.1|21a|", FTP_CMD_EPRT,
			    "bad character in port");
	expect_cmd_rejected("EPRT |1|10.0.0.1|+21|", FTP_CMD_EPRT,
			    "bad character in port");
	expect_cmd_rejected("EPRT |1|10.0.0.1|123456|", FTP_CMD_EPRT,
			    "port too long");
}

static void test_eprt_garbage_after_argument_rejected(void **state)
{
	expect_cmd_rejected("EPRT |1|10.0.0.1|21|x", FTP_CMD_EPRT,
			    "garbage after argument");
	expect_cmd_rejected("EPRT |1|10.0.0.1|21||", FTP_CMD_EPRT,
			    "garbage after argument");
	expect_cmd_rejected("EPRT", FTP_CMD_EPRT, "missing argument");
}

/* ---- LPRT ---- */

static void test_lprt_ipv4(void **state)
{
	expect_ep(ftp_parse_command, "LPRT 4,4,10,0,0,1,2,4,1", FTP_CMD_LPRT,
		  "4,4,10,0,0,1,2,4,1", AF_INET, "10.0.0.1", 1025);
	expect_ep(ftp_parse_command, "lprt 4,4,10,0,0,1,2,4,1 \r",
		  FTP_CMD_LPRT, "4,4,10,0,0,1,2,4,1", AF_INET, "10.0.0.1",
		  1025);
}

static void test_lprt_ipv6(void **state)
{
	expect_ep(ftp_parse_command,
		  "LPRT 6,16,32,1,13,184,0,0,0,0,0,0,0,0,0,0,0,1,2,19,136",
		  FTP_CMD_LPRT,
		  "6,16,32,1,13,184,0,0,0,0,0,0,0,0,0,0,0,1,2,19,136",
		  AF_INET6, "2001:db8::1", 5000);
}

static void test_lprt_bad_family_or_lengths_rejected(void **state)
{
	expect_cmd_rejected("LPRT 5,4,10,0,0,1,2,4,1", FTP_CMD_LPRT,
			    "unsupported address family");
	expect_cmd_rejected("LPRT 4,16,10,0,0,1,2,4,1", FTP_CMD_LPRT,
			    "address length not 4");
	expect_cmd_rejected("LPRT 6,4,10,0,0,1,2,4,1", FTP_CMD_LPRT,
			    "address length not 16");
	expect_cmd_rejected("LPRT 4,4,10,0,0,1,3,4,1", FTP_CMD_LPRT,
			    "port length not 2");
}

static void test_lprt_bad_numbers_rejected(void **state)
{
	expect_cmd_rejected("LPRT 4,4,10,0,0,1,2,0,0", FTP_CMD_LPRT,
			    "port 0");
	expect_cmd_rejected("LPRT 4,4,10,0,0,300,2,4,1", FTP_CMD_LPRT,
			    "octet over 255");
	expect_cmd_rejected("LPRT 4,4,10,0,0,1,2,4", FTP_CMD_LPRT,
			    "too few numbers");
	expect_cmd_rejected("LPRT 4", FTP_CMD_LPRT, "too few numbers");
	expect_cmd_rejected("LPRT 4,4,10,0,0,1,2,4,1,9", FTP_CMD_LPRT,
			    "too many numbers");
	expect_cmd_rejected(
		"LPRT 6,16,32,1,13,184,0,0,0,0,0,0,0,0,0,0,0,1,2,19,136,1",
		FTP_CMD_LPRT, "too many numbers");
	expect_cmd_rejected("LPRT 4,4,10,0,0,1,2,4,1)", FTP_CMD_LPRT,
			    "garbage after numbers");
	expect_cmd_rejected("LPRT", FTP_CMD_LPRT, "missing argument");
}

/* ---- other commands ---- */

static void test_passive_and_tls_verbs_classified(void **state)
{
	static const struct {
		const char *line;
		enum ftp_kind kind;
	} t[] = {
		{ "PASV", FTP_CMD_PASV },
		{ "pasv\r", FTP_CMD_PASV },
		{ "EPSV", FTP_CMD_EPSV },
		{ "EPSV 1", FTP_CMD_EPSV },
		{ "epsv 2", FTP_CMD_EPSV },
		{ "EPSV ALL", FTP_CMD_EPSV },
		{ "LPSV", FTP_CMD_LPSV },
		{ "AUTH TLS", FTP_CMD_AUTH },
		{ "auth ssl\r", FTP_CMD_AUTH },
		{ "AUTH TLS-C", FTP_CMD_AUTH },
		{ "CCC", FTP_CMD_CCC },
		{ "ccc", FTP_CMD_CCC },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		expect_plain(ftp_parse_command, t[i].line, t[i].kind, 0, 0);
}

static void test_other_verbs_are_cmd_other(void **state)
{
	static const char *const t[] = {
		"USER anonymous", "PASS secret", "STOR file.txt", "NOOP",
		"X", "ABCDEFGH arg", "XMKD dir", "PORTS 10,0,0,1,4,1",
		"EPRTX |1|10.0.0.1|21|", "SITE CHMOD 644 f\r",
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		expect_plain(ftp_parse_command, t[i], FTP_CMD_OTHER, 0, 0);
}

static void test_lines_without_verb_are_none(void **state)
{
	static const char *const t[] = {
		"", "\r", " PORT 10,0,0,1,4,1", "1234", "ABCDEFGHI x",
		"PORT,10,0,0,1,4,1", "PORT\t10,0,0,1,4,1", "PORT1,2,3,4,5,6",
		"\377\364\377\362ABOR", "227 Entering Passive Mode",
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		expect_plain(ftp_parse_command, t[i], FTP_NONE, 0, 0);
}

/* ---- replies ---- */

static void test_reply_code_and_separator(void **state)
{
	expect_plain(ftp_parse_reply, "200 Command okay.", FTP_REPLY_OTHER,
		     200, ' ');
	expect_plain(ftp_parse_reply, "230-Welcome", FTP_REPLY_OTHER, 230,
		     '-');
	expect_plain(ftp_parse_reply, "220", FTP_REPLY_OTHER, 220, ' ');
	expect_plain(ftp_parse_reply, "150 Opening\r", FTP_REPLY_OTHER, 150,
		     ' ');
	expect_plain(ftp_parse_reply, "599 x", FTP_REPLY_OTHER, 599, ' ');
}

static void test_reply_continuation_lines_are_none(void **state)
{
	static const char *const t[] = {
		"", "\r", "Welcome to the server",
		" 227 Entering Passive Mode (1,2,3,4,5,6)", "2270 x",
		"22 x", "600 out of range", "099 out of range",
		"227x(1,2,3,4,5,6)", "22a x", "227\t(1,2,3,4,5,6)",
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		expect_plain(ftp_parse_reply, t[i], FTP_NONE, 0, 0);
}

static void test_234_and_other_codes_classified(void **state)
{
	expect_plain(ftp_parse_reply, "234 AUTH TLS OK.", FTP_REPLY_234, 234,
		     ' ');
	expect_plain(ftp_parse_reply, "234-Proceed\r", FTP_REPLY_234, 234,
		     '-');
	expect_plain(ftp_parse_reply, "226 Transfer complete",
		     FTP_REPLY_OTHER, 226, ' ');
	/* Only 227/228/229 carry endpoints: numbers elsewhere mean nothing. */
	expect_plain(ftp_parse_reply, "200 PORT 10,0,0,1,4,1 ok",
		     FTP_REPLY_OTHER, 200, ' ');
}

/* ---- 227 ---- */

static void test_227_parenthesised_form(void **state)
{
	struct ftp_msg m;

	m = expect_ep(ftp_parse_reply,
		      "227 Entering Passive Mode (192,168,1,2,7,138)",
		      FTP_REPLY_227, "192,168,1,2,7,138", AF_INET,
		      "192.168.1.2", 1930);
	assert_int_equal(m.code, 227);
	assert_int_equal(m.sep, ' ');
	expect_ep(ftp_parse_reply,
		  "227 Entering Passive Mode (192,168,1,2,7,138)\r",
		  FTP_REPLY_227, "192,168,1,2,7,138", AF_INET, "192.168.1.2",
		  1930);
}

static void test_227_trailing_period_form(void **state)
{
	expect_ep(ftp_parse_reply,
		  "227 Entering Passive Mode (192,168,1,2,7,138).",
		  FTP_REPLY_227, "192,168,1,2,7,138", AF_INET, "192.168.1.2",
		  1930);
	expect_ep(ftp_parse_reply,
		  "227 Entering Passive Mode 192,168,1,2,7,138.",
		  FTP_REPLY_227, "192,168,1,2,7,138", AF_INET, "192.168.1.2",
		  1930);
}

static void test_227_bare_numbers_form(void **state)
{
	expect_ep(ftp_parse_reply,
		  "227 Entering Passive Mode 192,168,1,2,7,138", FTP_REPLY_227,
		  "192,168,1,2,7,138", AF_INET, "192.168.1.2", 1930);
	expect_ep(ftp_parse_reply, "227 Entering Passive Mode 10,0,0,1,4,1 ok",
		  FTP_REPLY_227, "10,0,0,1,4,1", AF_INET, "10.0.0.1", 1025);
	expect_ep(ftp_parse_reply, "227 Entering Passive Mode 10,0,0,1,4,1)",
		  FTP_REPLY_227, "10,0,0,1,4,1", AF_INET, "10.0.0.1", 1025);
}

static void test_227_equals_form(void **state)
{
	expect_ep(ftp_parse_reply, "227 =192,168,1,2,7,138", FTP_REPLY_227,
		  "192,168,1,2,7,138", AF_INET, "192.168.1.2", 1930);
}

static void test_227_any_text_before_numbers(void **state)
{
	expect_ep(ftp_parse_reply, "227 Passive (10,0,0,1,4,1) ok",
		  FTP_REPLY_227, "10,0,0,1,4,1", AF_INET, "10.0.0.1", 1025);
	expect_ep(ftp_parse_reply, "227 (10,0,0,1,4,1)", FTP_REPLY_227,
		  "10,0,0,1,4,1", AF_INET, "10.0.0.1", 1025);
	expect_ep(ftp_parse_reply, "227 10,0,0,1,4,1", FTP_REPLY_227,
		  "10,0,0,1,4,1", AF_INET, "10.0.0.1", 1025);
}

static void test_227_multiline_start_parsed(void **state)
{
	struct ftp_msg m;

	m = expect_ep(ftp_parse_reply,
		      "227-Entering Passive Mode (10,0,0,1,4,1)",
		      FTP_REPLY_227, "10,0,0,1,4,1", AF_INET, "10.0.0.1",
		      1025);
	assert_int_equal(m.sep, '-');
	assert_int_equal(m.code, 227);
}

static void test_227_unclosed_paren_rejected(void **state)
{
	expect_reply_rejected("227 Entering Passive Mode (192,168,1,2,7,138",
			      FTP_REPLY_227, "missing ')'");
	expect_reply_rejected("227 Entering Passive Mode (192,168,1,2,7,138.",
			      FTP_REPLY_227, "garbage after numbers");
	expect_reply_rejected("227 Entering Passive Mode (192,168,1,2,7,138]",
			      FTP_REPLY_227, "garbage after numbers");
}

static void test_227_garbage_after_numbers_rejected(void **state)
{
	expect_reply_rejected("227 Entering Passive Mode (192,168,1,2,7,138x)",
			      FTP_REPLY_227, "garbage after numbers");
	expect_reply_rejected("227 Entering Passive Mode 192,168,1,2,7,138x",
			      FTP_REPLY_227, "garbage after numbers");
	expect_reply_rejected("227 Entering Passive Mode 192,168,1,2,7,138:",
			      FTP_REPLY_227, "garbage after numbers");
}

static void test_227_wrong_count_rejected(void **state)
{
	expect_reply_rejected("227 Entering Passive Mode (192,168,1,2,7,138,9)",
			      FTP_REPLY_227, "too many numbers");
	expect_reply_rejected("227 Entering Passive Mode (192,168,1,2,7)",
			      FTP_REPLY_227, "too few numbers");
	expect_reply_rejected("227 Entering Passive Mode 2 (10,0,0,1,4,1)",
			      FTP_REPLY_227, "too few numbers");
}

static void test_227_bad_numbers_rejected(void **state)
{
	expect_reply_rejected("227 Entering Passive Mode (192,168,1,256,7,138)",
			      FTP_REPLY_227, "octet over 255");
	expect_reply_rejected("227 Entering Passive Mode (192,168,1,2,0,0)",
			      FTP_REPLY_227, "port 0");
	expect_reply_rejected("227 Entering Passive Mode (-192,168,1,2,7,138)",
			      FTP_REPLY_227, "sign before number");
	expect_reply_rejected("227 Entering Passive Mode (192,,1,2,7,138)",
			      FTP_REPLY_227, "empty number");
	expect_reply_rejected("227 Entering Passive Mode (1920,168,1,2,7,138)",
			      FTP_REPLY_227, "number too long");
}

static void test_227_without_numbers_rejected(void **state)
{
	expect_reply_rejected("227 no address", FTP_REPLY_227,
			      "no numbers in reply");
	expect_reply_rejected("227", FTP_REPLY_227, "no numbers in reply");
	expect_reply_rejected("227-\r", FTP_REPLY_227, "no numbers in reply");
}

/* ---- 228 ---- */

static void test_228_long_passive_ipv4_and_ipv6(void **state)
{
	expect_ep(ftp_parse_reply,
		  "228 Entering Long Passive Mode (4,4,10,0,0,1,2,4,1)",
		  FTP_REPLY_228, "4,4,10,0,0,1,2,4,1", AF_INET, "10.0.0.1",
		  1025);
	expect_ep(ftp_parse_reply,
		  "228 Entering Long Passive Mode "
		  "(6,16,32,1,13,184,0,0,0,0,0,0,0,0,0,0,0,1,2,19,136).\r",
		  FTP_REPLY_228,
		  "6,16,32,1,13,184,0,0,0,0,0,0,0,0,0,0,0,1,2,19,136",
		  AF_INET6, "2001:db8::1", 5000);
}

#define LPM "228 Entering Long Passive Mode"

static void test_228_malformed_rejected(void **state)
{
	expect_reply_rejected(LPM " (4,4,10,0,0,1,2,4,1",
			      FTP_REPLY_228, "missing ')'");
	expect_reply_rejected(LPM " (4,16,10,0,0,1,2,4,1)",
			      FTP_REPLY_228, "address length not 4");
	expect_reply_rejected(LPM " (4,4,10,0,0,1,2,0,0)",
			      FTP_REPLY_228, "port 0");
	expect_reply_rejected(LPM " (4,4,10,0,0,1,1,4,1)",
			      FTP_REPLY_228, "port length not 2");
	expect_reply_rejected(LPM " (5,4,10,0,0,1,2,4,1)",
			      FTP_REPLY_228, "unsupported address family");
	expect_reply_rejected(LPM, FTP_REPLY_228,
			      "no numbers in reply");
}

/* ---- 229 ---- */

static void test_229_standard_form(void **state)
{
	struct ftp_msg m;

	m = expect_ep(ftp_parse_reply,
		      "229 Entering Extended Passive Mode (|||6446|)",
		      FTP_REPLY_229, "|||6446|", AF_UNSPEC, NULL, 6446);
	assert_int_equal(m.delim, '|');
	assert_int_equal(m.sep, ' ');
	expect_ep(ftp_parse_reply, "229 (|||65535|)\r", FTP_REPLY_229,
		  "|||65535|", AF_UNSPEC, NULL, 65535);
}

static void test_229_other_delimiter_and_trailing_text(void **state)
{
	struct ftp_msg m;

	m = expect_ep(ftp_parse_reply,
		      "229 Entering Extended Passive Mode (!!!6446!).",
		      FTP_REPLY_229, "!!!6446!", AF_UNSPEC, NULL, 6446);
	assert_int_equal(m.delim, '!');
	m = expect_ep(ftp_parse_reply,
		      "229-Entering Extended Passive Mode (~~~1~) go",
		      FTP_REPLY_229, "~~~1~", AF_UNSPEC, NULL, 1);
	assert_int_equal(m.delim, '~');
	assert_int_equal(m.sep, '-');
}

static void test_229_malformed_rejected(void **state)
{
	expect_reply_rejected("229 Entering Extended Passive Mode |||6446|",
			      FTP_REPLY_229, "no '(' in reply");
	expect_reply_rejected("229 Entering Extended Passive Mode (||6446|)",
			      FTP_REPLY_229, "expected three delimiters");
	expect_reply_rejected("229 Entering Extended Passive Mode (|!|6446|)",
			      FTP_REPLY_229, "expected three delimiters");
	expect_reply_rejected(
		"229 Entering Extended Passive Mode (|1|10.0.0.1|6446|)",
		FTP_REPLY_229, "expected three delimiters");
	expect_reply_rejected("229 Entering Extended Passive Mode (|||6446)",
			      FTP_REPLY_229, "missing delimiter");
	expect_reply_rejected("229 Entering Extended Passive Mode (|||6446|",
			      FTP_REPLY_229, "missing ')'");
	expect_reply_rejected("229 Entering Extended Passive Mode ( |||6446|)",
			      FTP_REPLY_229, "bad delimiter");
	expect_reply_rejected("229 Entering Extended Passive Mode (",
			      FTP_REPLY_229, "bad delimiter");
}

static void test_229_bad_port_rejected(void **state)
{
	expect_reply_rejected("229 Entering Extended Passive Mode (|||0|)",
			      FTP_REPLY_229, "port 0");
	expect_reply_rejected("229 Entering Extended Passive Mode (|||65536|)",
			      FTP_REPLY_229, "port over 65535");
	expect_reply_rejected("229 Entering Extended Passive Mode (||||)",
			      FTP_REPLY_229, "empty port");
	expect_reply_rejected("229 Entering Extended Passive Mode (|||64a6|)",
			      FTP_REPLY_229, "bad character in port");
}

/* ---- formatting ---- */

static void test_format_round_trips_port_and_227(void **state)
{
	expect_round_trip(ftp_parse_command, "PORT 192,168,1,2,7,138");
	expect_round_trip(ftp_parse_command, "PORT 0,0,0,0,0,1\r");
	expect_round_trip(ftp_parse_reply,
			  "227 Entering Passive Mode (192,168,1,2,7,138)");
	expect_round_trip(ftp_parse_reply,
			  "227 Entering Passive Mode (10,0,0,1,4,1).");
	expect_round_trip(ftp_parse_reply,
			  "227 Entering Passive Mode 10,0,0,1,4,1");
	expect_round_trip(ftp_parse_reply, "227 =10,0,0,1,255,255");
	expect_round_trip(ftp_parse_reply, "227-Passive (10,0,0,1,4,1) ok");
}

static void test_format_round_trips_eprt_delimiter(void **state)
{
	expect_round_trip(ftp_parse_command, "EPRT |1|132.235.1.2|6275|");
	expect_round_trip(ftp_parse_command, "EPRT !1!10.0.0.1!21!");
	expect_round_trip(ftp_parse_command, "EPRT ~2~2001:db8::1~5000~");
	expect_round_trip(ftp_parse_command,
			  "EPRT |2|1080::8:800:200c:417a|5282|\r");
}

static void test_format_round_trips_lprt_and_228(void **state)
{
	expect_round_trip(ftp_parse_command, "LPRT 4,4,10,0,0,1,2,4,1");
	expect_round_trip(ftp_parse_command,
		"LPRT 6,16,32,1,13,184,0,0,0,0,0,0,0,0,0,0,0,1,2,19,136");
	expect_round_trip(ftp_parse_reply,
		"228 Entering Long Passive Mode (4,4,10,0,0,1,2,4,1)");
	expect_round_trip(ftp_parse_reply,
		"228 Entering Long Passive Mode "
		"(6,16,32,1,13,184,0,0,0,0,0,0,0,0,0,0,0,1,2,19,136)");
}

static void test_format_round_trips_229(void **state)
{
	expect_round_trip(ftp_parse_reply,
			  "229 Entering Extended Passive Mode (|||6446|)");
	expect_round_trip(ftp_parse_reply,
			  "229-Entering Extended Passive Mode (!!!1!).");
}

static void test_format_rewrites_endpoint_in_place(void **state)
{
	struct alg_endpoint ep;

	make_ep(&ep, AF_INET, "198.51.100.7", 40000);
	expect_rewrite(ftp_parse_command, "PORT 10,0,0,1,4,1\r", &ep,
		       "PORT 198,51,100,7,156,64\r");
	expect_rewrite(ftp_parse_reply,
		       "227 Entering Passive Mode (10,0,0,1,4,1).", &ep,
		       "227 Entering Passive Mode (198,51,100,7,156,64).");
	expect_rewrite(ftp_parse_command, "LPRT 4,4,10,0,0,1,2,4,1", &ep,
		       "LPRT 4,4,198,51,100,7,2,156,64");
	expect_rewrite(ftp_parse_command, "EPRT !1!10.0.0.1!1025!", &ep,
		       "EPRT !1!198.51.100.7!40000!");
	make_ep(&ep, AF_UNSPEC, NULL, 50000);
	expect_rewrite(ftp_parse_reply,
		       "229 Entering Extended Passive Mode (|||6446|)", &ep,
		       "229 Entering Extended Passive Mode (|||50000|)");
}

static void test_format_switches_family_for_eprt_and_lprt(void **state)
{
	struct alg_endpoint ep;

	make_ep(&ep, AF_INET6, "2001:db8::7", 40000);
	expect_rewrite(ftp_parse_command, "EPRT |1|10.0.0.1|1025|", &ep,
		       "EPRT |2|2001:db8::7|40000|");
	expect_rewrite(ftp_parse_command, "LPRT 4,4,10,0,0,1,2,4,1", &ep,
		       "LPRT 6,16,32,1,13,184,"
		       "0,0,0,0,0,0,0,0,0,0,0,7,2,156,64");
	expect_rewrite(ftp_parse_reply,
		       "228 Entering Long Passive Mode (4,4,10,0,0,1,2,4,1)",
		       &ep,
		       "228 Entering Long Passive Mode "
		       "(6,16,32,1,13,184,0,0,0,0,0,0,0,0,0,0,0,7,2,156,64)");
	make_ep(&ep, AF_INET, "192.0.2.9", 21);
	expect_rewrite(ftp_parse_command, "EPRT |2|2001:db8::1|5000|", &ep,
		       "EPRT |1|192.0.2.9|21|");
}

static void test_format_too_small_buffer_is_enospc(void **state)
{
	struct ftp_msg m;
	char out[32];
	const char *line = "PORT 10,0,0,1,4,1";

	parse_ok(ftp_parse_command, line, &m);
	/* "10,0,0,1,4,1" is 12 characters: 12 leave no room for the NUL. */
	memset(out, 'X', sizeof(out));
	assert_int_equal(ftp_format_field(&m, &m.ep, out, 12), -ENOSPC);
	assert_int_equal(out[0], 'X');
	assert_int_equal(ftp_format_field(&m, &m.ep, out, 0), -ENOSPC);
	assert_int_equal(ftp_format_field(&m, &m.ep, out, 13), 12);
	assert_string_equal(out, "10,0,0,1,4,1");

	parse_ok(ftp_parse_reply, "229 (|||6446|)", &m);
	assert_int_equal(ftp_format_field(&m, &m.ep, out, 8), -ENOSPC);
	assert_int_equal(ftp_format_field(&m, &m.ep, out, 9), 8);
	assert_string_equal(out, "|||6446|");
}

static void test_format_port_and_227_need_ipv4(void **state)
{
	struct ftp_msg m;
	struct alg_endpoint ep;
	char out[FTP_FIELD_MAX + 1];

	make_ep(&ep, AF_INET6, "2001:db8::1", 21);
	parse_ok(ftp_parse_command, "PORT 10,0,0,1,4,1", &m);
	assert_int_equal(ftp_format_field(&m, &ep, out, sizeof(out)),
			 -EAFNOSUPPORT);
	parse_ok(ftp_parse_reply, "227 (10,0,0,1,4,1)", &m);
	assert_int_equal(ftp_format_field(&m, &ep, out, sizeof(out)),
			 -EAFNOSUPPORT);

	make_ep(&ep, AF_UNSPEC, NULL, 21);
	parse_ok(ftp_parse_command, "EPRT |1|10.0.0.1|21|", &m);
	assert_int_equal(ftp_format_field(&m, &ep, out, sizeof(out)),
			 -EAFNOSUPPORT);
	parse_ok(ftp_parse_command, "LPRT 4,4,10,0,0,1,2,4,1", &m);
	assert_int_equal(ftp_format_field(&m, &ep, out, sizeof(out)),
			 -EAFNOSUPPORT);
}

static void test_format_refuses_unparseable_field(void **state)
{
	struct ftp_msg m;
	struct alg_endpoint ep;
	char out[FTP_FIELD_MAX + 1];

	/* No field to write for these kinds. */
	make_ep(&ep, AF_INET, "10.0.0.1", 21);
	parse_ok(ftp_parse_command, "PASV", &m);
	assert_int_equal(ftp_format_field(&m, &ep, out, sizeof(out)), -EINVAL);
	parse_ok(ftp_parse_reply, "200 ok", &m);
	assert_int_equal(ftp_format_field(&m, &ep, out, sizeof(out)), -EINVAL);

	/* Port 0 is rejected by every parser, so never written either. */
	parse_ok(ftp_parse_command, "PORT 10,0,0,1,4,1", &m);
	make_ep(&ep, AF_INET, "10.0.0.1", 0);
	assert_int_equal(ftp_format_field(&m, &ep, out, sizeof(out)), -EINVAL);

	/* A delimiter that the new address or port contains. */
	memset(&m, 0, sizeof(m));
	m.kind = FTP_CMD_EPRT;
	m.delim = '.';
	make_ep(&ep, AF_INET, "10.0.0.1", 21);
	assert_int_equal(ftp_format_field(&m, &ep, out, sizeof(out)), -EINVAL);
	m.kind = FTP_REPLY_229;
	m.delim = '5';
	make_ep(&ep, AF_UNSPEC, NULL, 5000);
	assert_int_equal(ftp_format_field(&m, &ep, out, sizeof(out)), -EINVAL);
	m.delim = '7';
	assert_int_equal(ftp_format_field(&m, &ep, out, sizeof(out)), 8);
	assert_string_equal(out, "7775000" "7");
}

static void test_format_zero_delimiter_defaults_to_pipe(void **state)
{
	struct ftp_msg m;
	struct alg_endpoint ep;
	char out[FTP_FIELD_MAX + 1];

	memset(&m, 0, sizeof(m));
	m.kind = FTP_CMD_EPRT;
	make_ep(&ep, AF_INET6, "::1", 2121);
	assert_int_equal(ftp_format_field(&m, &ep, out, sizeof(out)), 12);
	assert_string_equal(out, "|2|::1|2121|");
}

static void test_format_longest_fields_fit_field_max(void **state)
{
	struct ftp_msg m;
	struct alg_endpoint ep;
	char out[FTP_FIELD_MAX + 1];
	int n;

	make_ep(&ep, AF_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		65535);
	memset(&m, 0, sizeof(m));
	m.kind = FTP_CMD_LPRT;
	n = ftp_format_field(&m, &ep, out, sizeof(out));
	assert_int_equal(n, (int)strlen("6,16,") + 16 * 4 - 1 +
			    (int)strlen(",2,255,255"));
	assert_true(n <= FTP_FIELD_MAX);
	m.kind = FTP_REPLY_228;
	assert_int_equal(ftp_format_field(&m, &ep, out, sizeof(out)), n);

	m.kind = FTP_CMD_EPRT;
	m.delim = '|';
	n = ftp_format_field(&m, &ep, out, sizeof(out));
	assert_string_equal(out, "|2|ffff:ffff:ffff:ffff:"
				 "ffff:ffff:ffff:ffff|65535|");
	assert_true(n <= FTP_FIELD_MAX);
}

/* ---- robustness ---- */

/*
 * Whatever a parser makes of a line, the result must be coherent: 0 or
 * -EINVAL with a reason, a field inside the line, and an endpoint we can
 * write back. The line is copied to a buffer of exactly its length so
 * ASan catches any read past it.
 */
static void check_consistent(parse_fn fn, const char *text, size_t n)
{
	struct ftp_msg m;
	const char *why = NULL;
	char *buf = malloc(n ? n : 1);
	char out[FTP_FIELD_MAX + 1];
	int rc, f;

	assert_non_null(buf);
	memcpy(buf, text, n);
	rc = fn(buf, n, &m, &why);
	if (rc != 0 && rc != -EINVAL)
		fail_msg("%s \"%.*s\": rc %d", fn_name(fn), (int)n, text, rc);
	if ((unsigned int)m.kind >= FTP_KIND_MAX)
		fail_msg("\"%.*s\": kind %d", (int)n, text, m.kind);
	if (rc == -EINVAL && (!why || !*why))
		fail_msg("\"%.*s\": rejected without a reason", (int)n, text);
	if (rc == -EINVAL && m.has_ep)
		fail_msg("\"%.*s\": rejected with an endpoint", (int)n, text);
	if (m.has_ep) {
		if (!m.field_len || m.field_off > n ||
		    m.field_len > n - m.field_off)
			fail_msg("\"%.*s\": field %zu+%zu out of %zu", (int)n,
				 text, m.field_off, m.field_len, n);
		f = ftp_format_field(&m, &m.ep, out, sizeof(out));
		/* Only a digit delimiter may collide with the new text. */
		if (f <= 0 && !(f == -EINVAL && m.delim >= '0' &&
				m.delim <= '9'))
			fail_msg("\"%.*s\": accepted but format gives %d",
				 (int)n, text, f);
	}
	free(buf);
}

static const char *const sample_lines[] = {
	"PORT 192,168,1,2,7,138\r",
	"EPRT |1|132.235.1.2|6275|",
	"EPRT ~2~2001:db8::1~5000~ ",
	"LPRT 6,16,32,1,13,184,0,0,0,0,0,0,0,0,0,0,0,1,2,19,136",
	"LPRT 4,4,10,0,0,1,2,4,1",
	"EPSV ALL",
	"AUTH TLS\r",
	"227 Entering Passive Mode (192,168,1,2,7,138).\r",
	"227 =10,0,0,1,4,1",
	"228 Entering Long Passive Mode (4,4,10,0,0,1,2,4,1)",
	"229 Entering Extended Passive Mode (|||6446|)",
	"234 AUTH TLS OK.",
	"230-Welcome",
};

static void test_every_prefix_parses_consistently(void **state)
{
	size_t i, n;

	for (i = 0; i < sizeof(sample_lines) / sizeof(sample_lines[0]); i++)
		for (n = 0; n <= strlen(sample_lines[i]); n++) {
			check_consistent(ftp_parse_command, sample_lines[i],
					 n);
			check_consistent(ftp_parse_reply, sample_lines[i], n);
		}
}

static void test_port_prefix_rejected_or_in_bounds(void **state)
{
	const char *line = "PORT 192,168,1,2,7,138";
	size_t n;

	for (n = 0; n <= strlen(line); n++) {
		struct ftp_msg m;
		const char *why = NULL;
		int rc = ftp_parse_command(line, n, &m, &why);

		if (n < 4) {
			/* "", "P", "PO", "POR": some other verb or none */
			assert_int_equal(rc, 0);
			assert_false(m.has_ep);
			continue;
		}
		check_kind(line, &m, FTP_CMD_PORT);
		if (rc == 0) {
			/* Only "...,7,1" and "...,7,13" are complete lines. */
			assert_true(n >= strlen("PORT 192,168,1,2,7,1"));
			assert_true(m.has_ep);
			assert_int_equal(m.field_off, 5);
			assert_int_equal(m.field_len, n - 5);
		} else {
			assert_int_equal(rc, -EINVAL);
			assert_non_null(why);
		}
	}
}

static void test_every_byte_substitution_consistent(void **state)
{
	char buf[128];
	size_t i, pos, n;
	int c;

	for (i = 0; i < sizeof(sample_lines) / sizeof(sample_lines[0]); i++) {
		n = strlen(sample_lines[i]);
		assert_true(n <= sizeof(buf));
		for (pos = 0; pos < n; pos++)
			for (c = 0; c < 256; c++) {
				memcpy(buf, sample_lines[i], n);
				buf[pos] = (char)c;
				check_consistent(ftp_parse_command, buf, n);
				check_consistent(ftp_parse_reply, buf, n);
			}
	}
}

static void test_kind_names(void **state)
{
	int k, j;

	assert_string_equal(ftp_kind_name(FTP_NONE), "none");
	assert_string_equal(ftp_kind_name(FTP_CMD_PORT), "PORT");
	assert_string_equal(ftp_kind_name(FTP_CMD_EPRT), "EPRT");
	assert_string_equal(ftp_kind_name(FTP_CMD_CCC), "CCC");
	assert_string_equal(ftp_kind_name(FTP_REPLY_227), "227");
	assert_string_equal(ftp_kind_name(FTP_REPLY_229), "229");
	assert_string_equal(ftp_kind_name(FTP_KIND_MAX), "invalid");
	assert_string_equal(ftp_kind_name((enum ftp_kind)-1), "invalid");
	/* Every kind has a name of its own, so logs are unambiguous. */
	for (k = 0; k < FTP_KIND_MAX; k++)
		for (j = 0; j < k; j++)
			if (!strcmp(ftp_kind_name(k), ftp_kind_name(j)))
				fail_msg("kinds %d and %d both named %s", j, k,
					 ftp_kind_name(k));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_port_parsed_with_field_and_endpoint),
		cmocka_unit_test(test_port_verb_case_insensitive),
		cmocka_unit_test(test_port_trailing_cr_tolerated),
		cmocka_unit_test(test_port_surrounding_blanks_accepted),
		cmocka_unit_test(test_port_octet_over_255_rejected),
		cmocka_unit_test(test_port_zero_port_rejected),
		cmocka_unit_test(test_port_wrong_count_rejected),
		cmocka_unit_test(test_port_empty_number_rejected),
		cmocka_unit_test(test_port_sign_before_number_rejected),
		cmocka_unit_test(test_port_four_digit_number_rejected),
		cmocka_unit_test(test_port_garbage_after_numbers_rejected),
		cmocka_unit_test(test_port_junk_inside_numbers_rejected),
		cmocka_unit_test(test_port_missing_argument_rejected),
		cmocka_unit_test(test_eprt_ipv4_pipe_delimiter),
		cmocka_unit_test(test_eprt_other_delimiters_accepted),
		cmocka_unit_test(test_eprt_ipv6),
		cmocka_unit_test(test_eprt_unsupported_family_rejected),
		cmocka_unit_test(test_eprt_mixed_delimiters_rejected),
		cmocka_unit_test(
			test_eprt_delimiter_outside_printable_ascii_rejected),
		cmocka_unit_test(test_eprt_bad_ipv4_rejected),
		cmocka_unit_test(test_eprt_ipv4_leading_zero_rejected),
		cmocka_unit_test(test_eprt_bad_ipv6_rejected),
		cmocka_unit_test(test_eprt_bad_port_rejected),
		cmocka_unit_test(test_eprt_garbage_after_argument_rejected),
		cmocka_unit_test(test_lprt_ipv4),
		cmocka_unit_test(test_lprt_ipv6),
		cmocka_unit_test(test_lprt_bad_family_or_lengths_rejected),
		cmocka_unit_test(test_lprt_bad_numbers_rejected),
		cmocka_unit_test(test_passive_and_tls_verbs_classified),
		cmocka_unit_test(test_other_verbs_are_cmd_other),
		cmocka_unit_test(test_lines_without_verb_are_none),
		cmocka_unit_test(test_reply_code_and_separator),
		cmocka_unit_test(test_reply_continuation_lines_are_none),
		cmocka_unit_test(test_234_and_other_codes_classified),
		cmocka_unit_test(test_227_parenthesised_form),
		cmocka_unit_test(test_227_trailing_period_form),
		cmocka_unit_test(test_227_bare_numbers_form),
		cmocka_unit_test(test_227_equals_form),
		cmocka_unit_test(test_227_any_text_before_numbers),
		cmocka_unit_test(test_227_multiline_start_parsed),
		cmocka_unit_test(test_227_unclosed_paren_rejected),
		cmocka_unit_test(test_227_garbage_after_numbers_rejected),
		cmocka_unit_test(test_227_wrong_count_rejected),
		cmocka_unit_test(test_227_bad_numbers_rejected),
		cmocka_unit_test(test_227_without_numbers_rejected),
		cmocka_unit_test(test_228_long_passive_ipv4_and_ipv6),
		cmocka_unit_test(test_228_malformed_rejected),
		cmocka_unit_test(test_229_standard_form),
		cmocka_unit_test(test_229_other_delimiter_and_trailing_text),
		cmocka_unit_test(test_229_malformed_rejected),
		cmocka_unit_test(test_229_bad_port_rejected),
		cmocka_unit_test(test_format_round_trips_port_and_227),
		cmocka_unit_test(test_format_round_trips_eprt_delimiter),
		cmocka_unit_test(test_format_round_trips_lprt_and_228),
		cmocka_unit_test(test_format_round_trips_229),
		cmocka_unit_test(test_format_rewrites_endpoint_in_place),
		cmocka_unit_test(test_format_switches_family_for_eprt_and_lprt),
		cmocka_unit_test(test_format_too_small_buffer_is_enospc),
		cmocka_unit_test(test_format_port_and_227_need_ipv4),
		cmocka_unit_test(test_format_refuses_unparseable_field),
		cmocka_unit_test(test_format_zero_delimiter_defaults_to_pipe),
		cmocka_unit_test(test_format_longest_fields_fit_field_max),
		cmocka_unit_test(test_every_prefix_parses_consistently),
		cmocka_unit_test(test_port_prefix_rejected_or_in_bounds),
		cmocka_unit_test(test_every_byte_substitution_consistent),
		cmocka_unit_test(test_kind_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
