// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the partial-line recognizer (ftp_partial_*) against
 * the parser, on every prefix of one line.
 *
 * The input is one line: cut at the first '\n', one trailing '\r'
 * stripped, as the engine hands it to the parser. For both directions,
 * both families and no open multi-line reply or an open 227, every
 * prefix l[0..n), n = 0..len, is given to the recognizer in a buffer that
 * ends with it (ASan sees any read past n), and:
 *  (a) once FOUND or NEVER, every longer prefix and the complete line
 *      say the same, with the same kind, start and delimiter;
 *  (b) FOUND is the kind the parser gives the complete line; when the
 *      parser accepts it, the address starts and ends where the parsed
 *      field's address does (PORT/227: the field up to its 4th comma;
 *      EPRT: after "<d>af<d>" up to the next delimiter);
 *  (c) ftp_partial_end is at most n, not before the start, and once it
 *      is below n, the same for every longer prefix;
 *  (d) a line the parser calls LPRT (client) or 228 (server) is held at
 *      every prefix.
 * Any disagreement is written to stderr and aborts.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ftp-alg/ftp.h"

#define LINE_MAX_FUZZ	600

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One way of looking at the line, and what it said so far. */
struct view {
	bool client;
	int family;
	int ml_code;
	bool decided;		/* FOUND or NEVER seen ... */
	size_t at;		/* ... first at this prefix length */
	enum ftp_partial_state st;
	struct ftp_partial f;
	bool ended;		/* the address ended inside a prefix ... */
	size_t end, ended_at;	/* ... at end, first seen at ended_at */
};

static const char *state_name(enum ftp_partial_state s)
{
	return s == FTP_PARTIAL_MORE ? "MORE" :
	       s == FTP_PARTIAL_FOUND ? "FOUND" :
	       s == FTP_PARTIAL_NEVER ? "NEVER" : "invalid";
}

static void __attribute__((noreturn, format(printf, 4, 5)))
fail(const struct view *v, const char *line, size_t len, const char *fmt,
     ...)
{
	va_list ap;
	size_t i;

	fprintf(stderr, "fuzz_partial: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (v)
		fprintf(stderr, "\n  %s, %s, ml_code %d",
			v->client ? "client" : "server",
			v->family == AF_INET ? "AF_INET" : "AF_INET6",
			v->ml_code);
	fprintf(stderr, "\n  line (%zu bytes): \"", len);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			fputc(c, stderr);
		else
			fprintf(stderr, "\\x%02x", c);
	}
	fprintf(stderr, "\"\n");
	abort();
}

static bool same(const struct ftp_partial *a, const struct ftp_partial *b)
{
	return a->kind == b->kind && a->start == b->start &&
	       a->delim == b->delim;
}

/* The prefix p[0..n) of line, as one view sees it: checks (a) and (c). */
static void check_prefix(struct view *v, const char *line, size_t len,
			 const char *p, size_t n)
{
	struct ftp_partial f;
	enum ftp_partial_state st;
	size_t e;

	st = ftp_partial_find(v->client, v->family, v->ml_code, p, n, &f);
	if (!v->decided) {
		if (st == FTP_PARTIAL_MORE)
			return;
		v->decided = true;
		v->at = n;
		v->st = st;
		v->f = f;
	} else if (st != v->st || !same(&f, &v->f)) {
		fail(v, line, len, "(a) at n %zu: %s %s start %zu delim "
		     "0x%02x; at n %zu it was %s %s start %zu delim 0x%02x",
		     n, state_name(st), ftp_kind_name(f.kind), f.start,
		     (unsigned char)f.delim, v->at, state_name(v->st),
		     ftp_kind_name(v->f.kind), v->f.start,
		     (unsigned char)v->f.delim);
	}
	if (st != FTP_PARTIAL_FOUND)
		return;
	if (f.start >= n)
		fail(v, line, len, "FOUND at n %zu with start %zu", n,
		     f.start);
	e = ftp_partial_end(&f, v->family, p, n);
	if (e > n || e < f.start)
		fail(v, line, len, "(c) at n %zu: end %zu outside [start %zu, "
		     "n]", n, e, f.start);
	if (v->ended && e != v->end)
		fail(v, line, len, "(c) at n %zu: end %zu; at n %zu it was %zu",
		     n, e, v->ended_at, v->end);
	if (!v->ended && e < n) {
		v->ended = true;
		v->end = e;
		v->ended_at = n;
	}
}

/* The parsed field's address: [*from, *to) of line. */
static bool parsed_address(const struct ftp_msg *m, const char *line,
			   size_t *from, size_t *to)
{
	const char *fld = line + m->field_off, *d;
	size_t i, commas = 0;

	if (m->kind == FTP_CMD_EPRT) {
		/* "<d>af<d>addr<d>port<d>": the parser takes one-digit af */
		if (m->field_len < 4)
			return false;
		d = memchr(fld + 3, m->delim, m->field_len - 3);
		if (!d)
			return false;
		*from = m->field_off + 3;
		*to = (size_t)(d - line);
		return true;
	}
	for (i = 0; i < m->field_len; i++)
		if (fld[i] == ',' && ++commas == 4) {
			*from = m->field_off;
			*to = m->field_off + i;
			return true;
		}
	return false;
}

/* The complete line, as one view sees it: check (b). */
static void check_complete(const struct view *v, const char *line,
			   size_t len, const struct ftp_msg *m, int rc)
{
	size_t from, to, e;

	if (!v->decided || v->st != FTP_PARTIAL_FOUND)
		return;
	if (m->kind != v->f.kind)
		fail(v, line, len, "(b) FOUND %s, the parser says %s",
		     ftp_kind_name(v->f.kind), ftp_kind_name(m->kind));
	if (rc || !m->has_ep)
		return;
	if (!parsed_address(m, line, &from, &to))
		fail(v, line, len, "(b) parsed %s field %zu+%zu has no "
		     "address", ftp_kind_name(m->kind), m->field_off,
		     m->field_len);
	e = ftp_partial_end(&v->f, v->family, line, len);
	if (v->f.start != from || e != to)
		fail(v, line, len, "(b) address [%zu, %zu), the parser's "
		     "[%zu, %zu)", v->f.start, e, from, to);
	if (m->kind == FTP_CMD_EPRT && v->f.delim != m->delim)
		fail(v, line, len, "(b) delimiter 0x%02x, the parser's 0x%02x",
		     (unsigned char)v->f.delim, (unsigned char)m->delim);
}

/* (d): a line the parser calls LPRT or 228 was held at every prefix. */
static void check_hold(bool client, const char *line, size_t len,
		       const struct ftp_msg *m, bool held)
{
	if (m->kind != (client ? FTP_CMD_LPRT : FTP_REPLY_228) || held)
		return;
	fail(NULL, line, len, "(d) %s line not held at some prefix",
	     ftp_kind_name(m->kind));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int families[] = { AF_INET, AF_INET6 };
	static const int ml_codes[] = { 0, 227 };
	struct view views[2 * 2 * 2], *v;
	bool held[2] = { true, true };	/* [client] */
	const uint8_t *nl;
	struct ftp_msg m[2];
	char *line, *buf;
	size_t len, n, i;
	int rc[2];

	nl = memchr(data, '\n', size);
	len = nl ? (size_t)(nl - data) : size;
	if (len && data[len - 1] == '\r')
		len--;
	if (len > LINE_MAX_FUZZ)
		return 0;
	/* exactly sized heap copies: ASan sees any read past the end */
	line = malloc(len ? len : 1);
	buf = malloc(len ? len : 1);
	if (!line || !buf)
		abort();
	memcpy(line, data, len);

	memset(views, 0, sizeof(views));
	for (i = 0; i < 8; i++) {
		views[i].client = i & 1;
		views[i].family = families[(i >> 1) & 1];
		views[i].ml_code = ml_codes[(i >> 2) & 1];
	}
	for (n = 0; n <= len; n++) {
		/* the prefix ends where the buffer ends */
		char *p = buf + len - n;

		memcpy(p, line, n);
		for (i = 0; i < 8; i++)
			check_prefix(&views[i], line, len, p, n);
		for (i = 0; i < 2; i++)
			if (!ftp_partial_must_hold(i, p, n))
				held[i] = false;
	}

	rc[0] = ftp_parse_reply(line, len, &m[0], NULL);
	rc[1] = ftp_parse_command(line, len, &m[1], NULL);
	for (i = 0; i < 8; i++) {
		v = &views[i];
		check_complete(v, line, len, &m[v->client], rc[v->client]);
	}
	for (i = 0; i < 2; i++)
		check_hold(i, line, len, &m[i], held[i]);

	free(buf);
	free(line);
	return 0;
}
