// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The start of an FTP line still arriving: is it a PORT, EPRT or 227 line
 * whose address the engine renders piece by piece, and where does that
 * address start and end? Or an LPRT/228 line the engine must hold?
 *
 * This looks at a prefix only, so it knows a few plain forms and calls
 * everything else NEVER: the line is then handled when complete, by the
 * parser in ftp.c, which is the judge of what the line means. What FOUND
 * promises is only where an address would be, not that it is valid.
 */
#include "ftp-alg/ftp.h"
#include "ftp_char.h"

/* Does l[0..n) start with word, letters in any case? n >= strlen(word). */
static bool starts_nocase(const char *l, const char *word)
{
	for (; *word; l++, word++)
		if (to_upper(*l) != *word)
			return false;
	return true;
}

/*
 * "PORT h1,..." or "EPRT <d>af<d>addr...": the verb and one space, more
 * blanks (spaces or tabs, as the parser allows), and for EPRT the
 * delimiter and the session's family number.
 * Sets *i to where the address would start.
 */
static enum ftp_partial_state find_command(int family, const char *l,
					   size_t n, struct ftp_partial *f,
					   size_t *i)
{
	size_t k;

	if (n < 5)
		return FTP_PARTIAL_MORE;
	if (starts_nocase(l, "PORT "))
		f->kind = FTP_CMD_PORT;
	else if (starts_nocase(l, "EPRT "))
		f->kind = FTP_CMD_EPRT;
	else
		return FTP_PARTIAL_NEVER;
	for (k = 5; k < n && is_blank(l[k]); k++)
		;
	if (f->kind == FTP_CMD_EPRT) {
		if (k + 3 > n)
			return FTP_PARTIAL_MORE;
		if (!is_delim(l[k]) || l[k + 2] != l[k] ||
		    l[k + 1] != (family == AF_INET ? '1' : '2'))
			return FTP_PARTIAL_NEVER;
		f->delim = l[k];
		k += 3;
	}
	*i = k;
	return FTP_PARTIAL_FOUND;
}

/*
 * "227 ... h1,...": the address starts at the first digit, which must
 * follow '(', '=' or a space (the forms servers send; the parser knows
 * more of them).
 */
static enum ftp_partial_state find_227(int ml_code, const char *l, size_t n,
				       struct ftp_partial *f, size_t *i)
{
	size_t k;

	if (n < 4)
		return FTP_PARTIAL_MORE;
	if (l[0] != '2' || l[1] != '2' || l[2] != '7' ||
	    (l[3] != ' ' && l[3] != '-') || (ml_code && ml_code != 227))
		return FTP_PARTIAL_NEVER;
	f->kind = FTP_REPLY_227;
	for (k = 4; k < n && !is_digit(l[k]); k++)
		;
	if (k < n && l[k - 1] != '(' && l[k - 1] != '=' && l[k - 1] != ' ')
		return FTP_PARTIAL_NEVER;
	*i = k;
	return FTP_PARTIAL_FOUND;
}

enum ftp_partial_state ftp_partial_find(bool client, int family, int ml_code,
					const char *l, size_t n,
					struct ftp_partial *f)
{
	enum ftp_partial_state st;
	struct ftp_partial p = { .kind = FTP_NONE };
	size_t i = 0;

	*f = p;
	st = client ? find_command(family, l, n, &p, &i) :
		      find_227(ml_code, l, n, &p, &i);
	if (st != FTP_PARTIAL_FOUND)
		return st;
	/* the verb or code is known; the address has not begun yet */
	if (i >= n)
		return FTP_PARTIAL_MORE;
	if (p.kind != FTP_CMD_EPRT && family != AF_INET)
		return FTP_PARTIAL_NEVER;
	p.start = i;
	*f = p;
	return FTP_PARTIAL_FOUND;
}

/* Can c belong to the address of f? */
static bool addr_char(const struct ftp_partial *f, int family, char c)
{
	if (f->kind != FTP_CMD_EPRT)
		return is_digit(c) || c == ',';
	if (family == AF_INET)
		return is_digit(c) || c == '.';
	return is_xdigit(c) || c == ':' || c == '.';
}

size_t ftp_partial_end(const struct ftp_partial *f, int family, const char *l,
		       size_t n)
{
	unsigned int commas = 0;
	size_t i;

	for (i = f->start; i < n; i++) {
		if (f->kind == FTP_CMD_EPRT && l[i] == f->delim)
			return i;
		if (!addr_char(f, family, l[i]))
			return i;	/* malformed: the parser refuses it */
		if (l[i] == ',' && ++commas == 4)
			return i;
	}
	return n;
}

bool ftp_partial_must_hold(bool client, const char *l, size_t n)
{
	const char *want = client ? "LPRT" : "228";
	size_t wl = client ? 4 : 3, k;

	for (k = 0; k < n && k < wl; k++)
		if (to_upper(l[k]) != want[k])
			return false;
	if (n <= wl)
		return true;
	return l[wl] == ' ' || l[wl] == '\r' || (!client && l[wl] == '-');
}
