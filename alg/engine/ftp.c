// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * FTP control-line grammar: PORT/PASV (RFC 959), LPRT/LPSV (RFC 1639),
 * EPRT/EPSV (RFC 2428), AUTH/CCC (RFC 2228, 4217) and the replies that
 * carry data endpoints (227, 228, 229) or switch to TLS (234).
 *
 * Everything works on (pointer, length) pairs: a line may hold NUL bytes
 * and is never NUL-terminated. Nothing is read outside [line, line + len).
 * Whatever the parser accepts is what gets rewritten and opened in the
 * firewall, so it is strict about the endpoint text and lenient only about
 * the prose servers wrap around it.
 */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>

#include "ftp-alg/ftp.h"
#include "ftp_char.h"

/* Verbs are 3 or 4 letters in practice; longer words are not commands. */
#define FTP_VERB_MAX	8

/* LPRT/228 for IPv6: af, hal, 16 address bytes, pal, 2 port bytes. */
#define FTP_LIST_MAX	(2 + 16 + 1 + 2)

static const char *const ftp_kind_names[FTP_KIND_MAX] = {
	[FTP_NONE]		= "none",
	[FTP_CMD_PORT]		= "PORT",
	[FTP_CMD_EPRT]		= "EPRT",
	[FTP_CMD_LPRT]		= "LPRT",
	[FTP_CMD_PASV]		= "PASV",
	[FTP_CMD_EPSV]		= "EPSV",
	[FTP_CMD_LPSV]		= "LPSV",
	[FTP_CMD_AUTH]		= "AUTH",
	[FTP_CMD_CCC]		= "CCC",
	[FTP_CMD_OTHER]		= "command",
	[FTP_REPLY_227]		= "227",
	[FTP_REPLY_228]		= "228",
	[FTP_REPLY_229]		= "229",
	[FTP_REPLY_234]		= "234",
	[FTP_REPLY_OTHER]	= "reply",
};

const char *ftp_kind_name(enum ftp_kind k)
{
	if ((unsigned int)k >= FTP_KIND_MAX || !ftp_kind_names[k])
		return "invalid";
	return ftp_kind_names[k];
}

enum ftp_kind ftp_reply_answers(enum ftp_kind reply)
{
	switch (reply) {
	case FTP_REPLY_227:
		return FTP_CMD_PASV;
	case FTP_REPLY_228:
		return FTP_CMD_LPSV;
	case FTP_REPLY_229:
		return FTP_CMD_EPSV;
	case FTP_REPLY_234:
		return FTP_CMD_AUTH;
	default:
		return FTP_NONE;
	}
}

/* Verbs we act on; everything else that looks like a verb is OTHER. */
static const struct {
	char verb[5];
	enum ftp_kind kind;
} ftp_verbs[] = {
	{ "PORT", FTP_CMD_PORT },
	{ "EPRT", FTP_CMD_EPRT },
	{ "LPRT", FTP_CMD_LPRT },
	{ "PASV", FTP_CMD_PASV },
	{ "EPSV", FTP_CMD_EPSV },
	{ "LPSV", FTP_CMD_LPSV },
	{ "AUTH", FTP_CMD_AUTH },
	{ "CCC",  FTP_CMD_CCC },
};

static int fail(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return -EINVAL;
}

/* The caller strips "\n" or "\r\n"; a '\r' may still be left over. */
static size_t strip_cr(const char *line, size_t len)
{
	if (len && line[len - 1] == '\r')
		len--;
	return len;
}

/* A run of comma-separated bytes as in PORT, LPRT, 227 and 228. */
struct num_list {
	uint8_t v[FTP_LIST_MAX];
	size_t n;
	const char *start;	/* first digit */
	const char *end;	/* first character after the last number */
};

/*
 * Read "n,n,...,n": numbers of 1..3 decimal digits, each 0..255, at most
 * max of them. Stops at the first character after a number that is not a
 * comma; what may follow is the caller's business.
 */
static int scan_bytes(const char *p, const char *end, size_t max,
		      struct num_list *l, const char **why)
{
	l->n = 0;
	l->start = p;
	for (;;) {
		unsigned int v = 0;
		size_t digits = 0;

		if (p < end && (*p == '+' || *p == '-'))
			return fail(why, "sign before number");
		while (p < end && is_digit(*p)) {
			if (++digits > 3)
				return fail(why, "number too long");
			v = v * 10 + (unsigned int)(*p++ - '0');
		}
		if (!digits)
			return fail(why, "empty number");
		if (v > 255)
			return fail(why, "octet over 255");
		l->v[l->n++] = (uint8_t)v;
		if (p == end || *p != ',')
			break;
		if (l->n == max)
			return fail(why, "too many numbers");
		p++;
	}
	l->end = p;
	return 0;
}

/*
 * The list has n numbers where want were expected, and term_ok says
 * whether a legal terminator follows it. Name the first thing wrong.
 */
static int check_count(const struct num_list *l, size_t want, bool term_ok,
		       const char **why)
{
	if (l->n < want)
		return fail(why, term_ok ? "too few numbers" :
					   "bad character in numbers");
	if (l->n > want)
		return fail(why, "too many numbers");
	if (!term_ok)
		return fail(why, "garbage after numbers");
	return 0;
}

static int set_port(struct alg_endpoint *ep, uint8_t p1, uint8_t p2,
		    const char **why)
{
	ep->port = (uint16_t)(p1 << 8 | p2);
	if (!ep->port)
		return fail(why, "port 0");
	return 0;
}

static void set_field(struct ftp_msg *m, const char *line, const char *from,
		      const char *to)
{
	m->field_off = (size_t)(from - line);
	m->field_len = (size_t)(to - from);
}

/* PORT and 227: h1,h2,h3,h4,p1,p2 */
static int take_six(struct ftp_msg *m, const struct num_list *l,
		    bool term_ok, const char **why)
{
	int err = check_count(l, 6, term_ok, why);

	if (err)
		return err;
	m->ep.family = AF_INET;
	memcpy(m->ep.addr.b, l->v, 4);
	return set_port(&m->ep, l->v[4], l->v[5], why);
}

/* LPRT and 228: af,hal,h1..h<hal>,pal,p1,p2 with (af, hal) (4, 4) or (6, 16) */
static int take_long(struct ftp_msg *m, const struct num_list *l,
		     bool term_ok, const char **why)
{
	size_t hal;
	int err;

	if (l->n < 2)
		return check_count(l, 2, term_ok, why);
	hal = l->v[1];
	if (l->v[0] == 4) {
		if (hal != 4)
			return fail(why, "address length not 4");
		m->ep.family = AF_INET;
	} else if (l->v[0] == 6) {
		if (hal != 16)
			return fail(why, "address length not 16");
		m->ep.family = AF_INET6;
	} else {
		return fail(why, "unsupported address family");
	}
	err = check_count(l, 2 + hal + 1 + 2, term_ok, why);
	if (err)
		return err;
	if (l->v[2 + hal] != 2)
		return fail(why, "port length not 2");
	memcpy(m->ep.addr.b, &l->v[2], hal);
	return set_port(&m->ep, l->v[2 + hal + 1], l->v[2 + hal + 2], why);
}

/* Decimal TCP port 1..65535 filling exactly [p, end). */
static int parse_port16(const char *p, const char *end, uint16_t *port,
			const char **why)
{
	unsigned long v = 0;

	if (p == end)
		return fail(why, "empty port");
	if (end - p > 5)
		return fail(why, "port too long");
	for (; p < end; p++) {
		if (!is_digit(*p))
			return fail(why, "bad character in port");
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v > 65535)
		return fail(why, "port over 65535");
	if (!v)
		return fail(why, "port 0");
	*port = (uint16_t)v;
	return 0;
}

/*
 * Dotted quad filling exactly [p, end). No leading zeros: "010" is 8 to
 * some parsers and 10 to others, and the server and we must agree.
 */
static int parse_ipv4(const char *p, const char *end, union alg_addr *a,
		      const char **why)
{
	int i;

	for (i = 0; i < 4; i++) {
		const char *s;
		unsigned int v = 0;

		if (i && (p == end || *p++ != '.'))
			return fail(why, "bad IPv4 address");
		s = p;
		while (p < end && is_digit(*p) && p - s < 3)
			v = v * 10 + (unsigned int)(*p++ - '0');
		if (p == s)
			return fail(why, "bad IPv4 address");
		if (p - s > 1 && *s == '0')
			return fail(why, "leading zero in IPv4 address");
		if (v > 255)
			return fail(why, "octet over 255");
		a->b[i] = (uint8_t)v;
	}
	if (p != end)
		return fail(why, "bad IPv4 address");
	return 0;
}

/* IPv6 text filling exactly [p, end); inet_pton wants it terminated. */
static int parse_ipv6(const char *p, const char *end, union alg_addr *a,
		      const char **why)
{
	char buf[INET6_ADDRSTRLEN];
	size_t n = (size_t)(end - p);

	if (!n || n >= sizeof(buf) || memchr(p, '\0', n))
		return fail(why, "bad IPv6 address");
	memcpy(buf, p, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET6, buf, &a->v6) != 1)
		return fail(why, "bad IPv6 address");
	return 0;
}

/* PORT h1,h2,h3,h4,p1,p2 -- arg has no surrounding blanks */
static int parse_port_arg(struct ftp_msg *m, const char *line,
			  const char *arg, const char *end, const char **why)
{
	struct num_list l;
	int err;

	err = scan_bytes(arg, end, 6, &l, why);
	if (err)
		return err;
	err = take_six(m, &l, l.end == end, why);
	if (err)
		return err;
	set_field(m, line, l.start, l.end);
	m->has_ep = true;
	return 0;
}

/* LPRT af,hal,h1..,pal,p1,p2 */
static int parse_lprt_arg(struct ftp_msg *m, const char *line,
			  const char *arg, const char *end, const char **why)
{
	struct num_list l;
	int err;

	err = scan_bytes(arg, end, FTP_LIST_MAX, &l, why);
	if (err)
		return err;
	err = take_long(m, &l, l.end == end, why);
	if (err)
		return err;
	set_field(m, line, l.start, l.end);
	m->has_ep = true;
	return 0;
}

/* EPRT <d>af<d>addr<d>port<d> */
static int parse_eprt_arg(struct ftp_msg *m, const char *line,
			  const char *arg, const char *end, const char **why)
{
	const char *d[4];	/* the four delimiters */
	size_t aflen;
	int i, err;

	if (!is_delim(*arg))
		return fail(why, "bad delimiter");
	d[0] = arg;
	for (i = 1; i < 4; i++) {
		d[i] = memchr(d[i - 1] + 1, *arg,
			      (size_t)(end - d[i - 1] - 1));
		if (!d[i])
			return fail(why, "missing delimiter");
	}
	if (d[3] + 1 != end)
		return fail(why, "garbage after argument");

	aflen = (size_t)(d[1] - d[0] - 1);
	if (!aflen)
		return fail(why, "empty address family");
	if (aflen == 1 && d[0][1] == '1') {
		m->ep.family = AF_INET;
		err = parse_ipv4(d[1] + 1, d[2], &m->ep.addr, why);
	} else if (aflen == 1 && d[0][1] == '2') {
		m->ep.family = AF_INET6;
		err = parse_ipv6(d[1] + 1, d[2], &m->ep.addr, why);
	} else {
		return fail(why, "unsupported address family");
	}
	if (err)
		return err;
	err = parse_port16(d[2] + 1, d[3], &m->ep.port, why);
	if (err)
		return err;
	m->delim = *arg;
	set_field(m, line, d[0], d[3] + 1);
	m->has_ep = true;
	return 0;
}

static enum ftp_kind verb_kind(const char *verb, size_t n)
{
	size_t i, j;

	for (i = 0; i < sizeof(ftp_verbs) / sizeof(ftp_verbs[0]); i++) {
		if (strlen(ftp_verbs[i].verb) != n)
			continue;
		for (j = 0; j < n; j++)
			if (to_upper(verb[j]) != ftp_verbs[i].verb[j])
				break;
		if (j == n)
			return ftp_verbs[i].kind;
	}
	return FTP_CMD_OTHER;
}

int ftp_parse_command(const char *line, size_t len, struct ftp_msg *m,
		      const char **why)
{
	int (*parse)(struct ftp_msg *m, const char *line, const char *arg,
		     const char *end, const char **why);
	const char *arg, *end;
	size_t vlen = 0;

	memset(m, 0, sizeof(*m));
	if (why)
		*why = NULL;
	len = strip_cr(line, len);
	while (vlen < len && vlen <= FTP_VERB_MAX && is_alpha(line[vlen]))
		vlen++;
	/* Not a verb: a stray line the server will reject anyway. */
	if (!vlen || vlen > FTP_VERB_MAX || (vlen < len && line[vlen] != ' '))
		return 0;
	m->kind = verb_kind(line, vlen);

	/*
	 * RFC 959 wants exactly one space before the argument; extra blanks
	 * around it change nothing we rewrite, so they are skipped here and
	 * the argument parsers see the bare argument.
	 */
	arg = line + vlen;
	end = line + len;
	while (arg < end && is_blank(*arg))
		arg++;
	while (end > arg && is_blank(end[-1]))
		end--;

	switch (m->kind) {
	case FTP_CMD_PORT:
		parse = parse_port_arg;
		break;
	case FTP_CMD_EPRT:
		parse = parse_eprt_arg;
		break;
	case FTP_CMD_LPRT:
		parse = parse_lprt_arg;
		break;
	default:
		/* EPSV ALL, AUTH TLS...: nothing of theirs gets rewritten. */
		return 0;
	}
	if (arg == end)
		return fail(why, "missing argument");
	return parse(m, line, arg, end, why);
}

/*
 * 227 and 228 bury their numbers in free text: "Entering Passive Mode
 * (h1,...,p2).", "=h1,...,p2", bare "h1,...,p2". Like the kernel helper
 * we take the first digit as the start of the numbers. A '(' right before
 * them must be closed right after them; otherwise the numbers must end
 * the line or be followed by '.', ')' or a blank.
 */
static int scan_reply_numbers(const char *text, const char *end, size_t max,
			      struct num_list *l, bool *term_ok,
			      const char **why)
{
	const char *p = text;
	int err;

	while (p < end && !is_digit(*p))
		p++;
	if (p == end)
		return fail(why, "no numbers in reply");
	if (p > text && (p[-1] == '+' || p[-1] == '-'))
		return fail(why, "sign before number");
	err = scan_bytes(p, end, max, l, why);
	if (err)
		return err;
	if (p > text && p[-1] == '(') {
		if (l->end == end)
			return fail(why, "missing ')'");
		*term_ok = *l->end == ')';
	} else {
		*term_ok = l->end == end || *l->end == '.' ||
			   *l->end == ')' || is_blank(*l->end);
	}
	return 0;
}

/* Prose only: no digit, so no numbers to scan (m->no_ep). */
static bool no_digit(struct ftp_msg *m, const char *text, const char *end)
{
	const char *p;

	for (p = text; p < end; p++)
		if (is_digit(*p))
			return false;
	m->no_ep = true;
	return true;
}

static int parse_227(struct ftp_msg *m, const char *line, const char *text,
		     const char *end, const char **why)
{
	struct num_list l;
	bool term_ok;
	int err;

	if (no_digit(m, text, end))
		return fail(why, "no numbers in reply");
	err = scan_reply_numbers(text, end, 6, &l, &term_ok, why);
	if (err)
		return err;
	err = take_six(m, &l, term_ok, why);
	if (err)
		return err;
	set_field(m, line, l.start, l.end);
	m->has_ep = true;
	return 0;
}

static int parse_228(struct ftp_msg *m, const char *line, const char *text,
		     const char *end, const char **why)
{
	struct num_list l;
	bool term_ok;
	int err;

	if (no_digit(m, text, end))
		return fail(why, "no numbers in reply");
	err = scan_reply_numbers(text, end, FTP_LIST_MAX, &l, &term_ok, why);
	if (err)
		return err;
	err = take_long(m, &l, term_ok, why);
	if (err)
		return err;
	set_field(m, line, l.start, l.end);
	m->has_ep = true;
	return 0;
}

/* 229 Entering Extended Passive Mode (<d><d><d>port<d>) */
static int parse_229(struct ftp_msg *m, const char *line, const char *text,
		     const char *end, const char **why)
{
	const char *p, *q;
	int err;

	p = memchr(text, '(', (size_t)(end - text));
	if (!p) {
		m->no_ep = true;
		return fail(why, "no '(' in reply");
	}
	p++;
	if (p == end || !is_delim(*p))
		return fail(why, "bad delimiter");
	if (end - p < 3 || p[1] != *p || p[2] != *p)
		return fail(why, "expected three delimiters");
	q = memchr(p + 3, *p, (size_t)(end - p - 3));
	if (!q)
		return fail(why, "missing delimiter");
	err = parse_port16(p + 3, q, &m->ep.port, why);
	if (err)
		return err;
	if (q + 1 == end || q[1] != ')')
		return fail(why, "missing ')'");
	m->ep.family = AF_UNSPEC;
	m->delim = *p;
	set_field(m, line, p, q + 1);
	m->has_ep = true;
	return 0;
}

int ftp_parse_reply(const char *line, size_t len, struct ftp_msg *m,
		    const char **why)
{
	const char *text, *end;

	memset(m, 0, sizeof(*m));
	if (why)
		*why = NULL;
	len = strip_cr(line, len);
	if (len < 3 || line[0] < '1' || line[0] > '5' ||
	    !is_digit(line[1]) || !is_digit(line[2]))
		return 0;
	if (len > 3 && line[3] != ' ' && line[3] != '-')
		return 0;

	m->code = (line[0] - '0') * 100 + (line[1] - '0') * 10 +
		  (line[2] - '0');
	m->sep = len > 3 ? line[3] : ' ';
	text = line + (len > 3 ? 4 : 3);
	end = line + len;

	switch (m->code) {
	case 227:
		m->kind = FTP_REPLY_227;
		return parse_227(m, line, text, end, why);
	case 228:
		m->kind = FTP_REPLY_228;
		return parse_228(m, line, text, end, why);
	case 229:
		m->kind = FTP_REPLY_229;
		return parse_229(m, line, text, end, why);
	case 234:
		m->kind = FTP_REPLY_234;
		return 0;
	default:
		m->kind = FTP_REPLY_OTHER;
		return 0;
	}
}
