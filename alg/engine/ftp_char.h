/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Character classes of the FTP grammar, by hand: <ctype.h> depends on the
 * locale and is undefined for negative chars, and control lines carry
 * arbitrary bytes. These are the C locale's classes, for any char.
 *
 * Internal to the engine: only the grammar files include it.
 */
#ifndef FTP_ALG_FTP_CHAR_H
#define FTP_ALG_FTP_CHAR_H

#include <stdbool.h>

static inline bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline bool is_xdigit(char c)
{
	return is_digit(c) || (c >= 'A' && c <= 'F') ||
	       (c >= 'a' && c <= 'f');
}

static inline bool is_alpha(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static inline char to_upper(char c)
{
	return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

/* The blanks RFC 959 lines may carry around an argument. */
static inline bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* RFC 2428: the EPRT/EPSV delimiter is printable ASCII other than space. */
static inline bool is_delim(char c)
{
	return (unsigned char)c >= 33 && (unsigned char)c <= 126;
}

#endif
