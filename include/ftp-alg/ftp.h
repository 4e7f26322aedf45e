/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * FTP control-line grammar: pure functions over one complete line, and a
 * recognizer for the start of a line still arriving (ftp_partial_*).
 *
 * A "line" is passed WITHOUT its terminator (the caller strips "\r\n" or a
 * bare "\n"; a trailing '\r' left in place is also tolerated). Nothing here
 * allocates, logs or keeps state.
 */
#ifndef FTP_ALG_FTP_H
#define FTP_ALG_FTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ftp-alg/addr.h"

enum ftp_kind {
	FTP_NONE = 0,		/* nothing the ALG acts on */
	/* client commands */
	FTP_CMD_PORT,		/* PORT h1,h2,h3,h4,p1,p2 */
	FTP_CMD_EPRT,		/* EPRT |af|addr|port| (RFC 2428) */
	FTP_CMD_LPRT,		/* LPRT af,hal,h1..,pal,p1.. (RFC 1639) */
	FTP_CMD_PASV,
	FTP_CMD_EPSV,		/* EPSV, EPSV 1, EPSV 2, EPSV ALL */
	FTP_CMD_LPSV,
	FTP_CMD_AUTH,		/* AUTH TLS / AUTH SSL / AUTH TLS-C ... */
	FTP_CMD_CCC,
	FTP_CMD_OTHER,		/* any other well-formed command */
	/* server replies */
	FTP_REPLY_227,		/* Entering Passive Mode (h1,...,p2) */
	FTP_REPLY_228,		/* Entering Long Passive Mode (...) */
	FTP_REPLY_229,		/* Entering Extended Passive Mode (|||port|) */
	FTP_REPLY_234,		/* AUTH accepted: TLS follows */
	FTP_REPLY_OTHER,	/* any other reply line */
	FTP_KIND_MAX
};

const char *ftp_kind_name(enum ftp_kind k);

struct ftp_msg {
	enum ftp_kind kind;
	int code;		/* reply code (100..599); 0 for commands */
	char sep;		/* reply: ' ' last line, '-' multi-line start */
	bool has_ep;		/* ep holds the announced data endpoint */
	bool no_ep;		/* a 227/228/229 line with no endpoint text at
				 * all (no digit, no '('): prose */
	struct alg_endpoint ep;	/* 229: family AF_UNSPEC, port only */
	/*
	 * The span of the line that a rewrite replaces: for PORT and 227 the
	 * six numbers "h1,...,p2"; for EPRT the whole argument
	 * "|af|addr|port|"; for LPRT and 228 all the numbers; for 229 the
	 * "|||port|" group. Offsets are into the line as passed.
	 */
	size_t field_off, field_len;
	char delim;		/* EPRT/229 delimiter (33..126) */
};

/*
 * Parse a client command line. Returns 0 with m->kind set (FTP_CMD_OTHER
 * for commands we do not act on), or -EINVAL when the line is a command
 * we act on (PORT, EPRT, LPRT) but its argument is malformed; *why then
 * names the fault ("octet over 255", "port 0", "garbage after numbers",
 * ...). Verbs are case-insensitive; leading spaces are not allowed (the
 * verb must start the line).
 */
int ftp_parse_command(const char *line, size_t len, struct ftp_msg *m,
		      const char **why);

/*
 * Parse a server reply line. Lines that do not start with three digits
 * followed by ' ', '-' or end of line are continuation text: kind
 * FTP_NONE, code 0. Returns -EINVAL (with *why) when a 227/228/229 line
 * carries a malformed endpoint.
 */
int ftp_parse_reply(const char *line, size_t len, struct ftp_msg *m,
		    const char **why);

/*
 * Write the replacement for m's field carrying ep, in the syntax of
 * m->kind: the same delimiter as the original (EPRT, 229), the family
 * number following ep->family (EPRT, LPRT, 228). Returns the length
 * written; a NUL is always written after it, so cap must leave room for
 * it. Errors: -ENOSPC; -EAFNOSUPPORT (PORT and 227 need AF_INET);
 * -EINVAL when the kind has no field, ep->port is 0, or the delimiter is
 * outside 33..126 or would appear inside the new field.
 *
 * The parsers accept why == NULL; on -EINVAL, m->kind, code and sep stay
 * valid (multi-line tracking relies on that) and has_ep is false.
 */
int ftp_format_field(const struct ftp_msg *m, const struct alg_endpoint *ep,
		     char *out, size_t cap);

#define FTP_FIELD_MAX	96	/* longest field ftp_format_field writes */

/*
 * The command a reply kind answers: PASV for 227, LPSV for 228, EPSV for
 * 229, AUTH for 234; FTP_NONE for any other kind.
 */
enum ftp_kind ftp_reply_answers(enum ftp_kind reply);

/*
 * A line split across TCP segments: the engine releases the pieces of a
 * PORT, EPRT or 227 line as they arrive and renders the new address in
 * place of the old one, so it must know where the address starts before
 * the line is complete. These functions look at the prefix l[0..n) the
 * engine has so far (never a '\n'; a '\r' may be in it). They decide
 * from the prefix alone, more simply than the parser: a form they do not
 * know is NEVER, and the parser has the last word on the complete line.
 */
enum ftp_partial_state {
	FTP_PARTIAL_MORE,	/* cannot tell yet */
	/* an address we render as it arrives starts at f->start */
	FTP_PARTIAL_FOUND,
	/* not such a line: stays so for every longer prefix */
	FTP_PARTIAL_NEVER,
};

struct ftp_partial {
	enum ftp_kind kind;	/* FTP_CMD_PORT, FTP_CMD_EPRT, FTP_REPLY_227 */
	size_t start;		/* offset of the address's first byte */
	char delim;		/* EPRT delimiter */
};

/*
 * Where does the address of the partial line l[0..n) start? client: the
 * line comes from the client (PORT "h1,..." and EPRT "<d>af<d>addr" are
 * looked for), else from the server (227). family is the session's,
 * AF_INET or AF_INET6: an EPRT must carry its number, PORT and 227 need
 * AF_INET. ml_code is the code of the server's open multi-line reply, or
 * 0: a 227 line inside another reply is NEVER.
 *
 * Once FOUND or NEVER, every longer prefix gives the same answer and the
 * same *f. *f is filled on FOUND and zeroed otherwise.
 */
enum ftp_partial_state ftp_partial_find(bool client, int family, int ml_code,
					const char *l, size_t n,
					struct ftp_partial *f);

/*
 * Where the address at f->start ends in l[0..n): the 4th comma (PORT/227),
 * the delimiter (EPRT), or the first byte that cannot belong to it; n when
 * it has not ended yet. f comes from a FOUND ftp_partial_find() on a
 * prefix of l; family is the one passed to it.
 */
size_t ftp_partial_end(const struct ftp_partial *f, int family, const char *l,
		       size_t n);

/*
 * Must an incomplete line l[0..n) be held until complete (LPRT from the
 * client, 228 from the server)? Their fields carry lengths that make
 * rendering them as they arrive costly, and they are rare. True when l
 * starts like "LPRT" (any case) or "228", cut anywhere, and the byte
 * after the verb or code, if any, is ' ', '\r' or, for 228, '-'.
 */
bool ftp_partial_must_hold(bool client, const char *l, size_t n);

#endif
