// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The other half of the FTP grammar: the replacement text for a parsed
 * field (PORT/227, LPRT/228, EPRT/229) carrying a new endpoint. Written
 * to match what ftp.c accepts, so that a rewritten line parses back to
 * the endpoint it was given.
 */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>

#include "ftp-alg/ftp.h"
#include "ftp_char.h"

/*
 * The longest fields ftp_format_field() writes must fit the header's
 * bound: callers size their rewrite buffers with it.
 */
_Static_assert(sizeof("6,16,") - 1 + 16 * sizeof("255,") - 16 +
	       sizeof("2,255,255") - 1 <= FTP_FIELD_MAX,
	       "LPRT/228 IPv6 field does not fit FTP_FIELD_MAX");
_Static_assert(sizeof("|2||65535|") - 1 + INET6_ADDRSTRLEN - 1 <=
	       FTP_FIELD_MAX,
	       "EPRT IPv6 field does not fit FTP_FIELD_MAX");

/* Formatting into a buffer that cannot overflow: see the asserts above. */
struct fbuf {
	char b[FTP_FIELD_MAX + 1];
	size_t len;
};

static void put_char(struct fbuf *f, char c)
{
	if (f->len < FTP_FIELD_MAX)
		f->b[f->len] = c;
	f->len++;
}

static void put_str(struct fbuf *f, const char *s)
{
	while (*s)
		put_char(f, *s++);
}

static void put_uint(struct fbuf *f, unsigned int v)
{
	char d[10];
	int n = 0;

	do {
		d[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		put_char(f, d[--n]);
}

/* "b0,b1,...,b<n-1>" */
static void put_bytes(struct fbuf *f, const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i)
			put_char(f, ',');
		put_uint(f, b[i]);
	}
}

static int addr_len(int family)
{
	if (family == AF_INET)
		return 4;
	if (family == AF_INET6)
		return 16;
	return -EAFNOSUPPORT;
}

/* a,b,c,d,p1,p2 */
static int fmt_six(struct fbuf *f, const struct alg_endpoint *ep)
{
	const uint8_t port[2] = { ep->port >> 8, ep->port & 0xff };

	if (ep->family != AF_INET)
		return -EAFNOSUPPORT;
	put_bytes(f, ep->addr.b, 4);
	put_char(f, ',');
	put_bytes(f, port, 2);
	return 0;
}

/* 4,4,a,b,c,d,2,p1,p2 or 6,16,<16 bytes>,2,p1,p2 */
static int fmt_long(struct fbuf *f, const struct alg_endpoint *ep)
{
	const uint8_t port[2] = { ep->port >> 8, ep->port & 0xff };
	int hal = addr_len(ep->family);

	if (hal < 0)
		return hal;
	put_str(f, hal == 4 ? "4,4," : "6,16,");
	put_bytes(f, ep->addr.b, (size_t)hal);
	put_str(f, ",2,");
	put_bytes(f, port, 2);
	return 0;
}

static size_t count_char(const char *s, size_t n, char c)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += s[i] == c;
	return k;
}

/*
 * <d>af<d>addr<d>port<d>. The family number follows ep, so a caller may
 * turn |1| into |2| when translating between families.
 */
static int fmt_eprt(struct fbuf *f, char d, const struct alg_endpoint *ep)
{
	char addr[INET6_ADDRSTRLEN];

	if (addr_len(ep->family) < 0)
		return -EAFNOSUPPORT;
	if (!inet_ntop(ep->family, &ep->addr, addr, sizeof(addr)))
		return -EAFNOSUPPORT;
	put_char(f, d);
	put_char(f, ep->family == AF_INET ? '1' : '2');
	put_char(f, d);
	put_str(f, addr);
	put_char(f, d);
	put_uint(f, ep->port);
	put_char(f, d);
	return 0;
}

/* <d><d><d>port<d> */
static void fmt_229(struct fbuf *f, char d, const struct alg_endpoint *ep)
{
	put_char(f, d);
	put_char(f, d);
	put_char(f, d);
	put_uint(f, ep->port);
	put_char(f, d);
}

int ftp_format_field(const struct ftp_msg *m, const struct alg_endpoint *ep,
		     char *out, size_t cap)
{
	struct fbuf f = { .len = 0 };
	char d = m->delim ? m->delim : '|';
	int err = 0;

	/* Every field we parse has a non-zero port; so must every rewrite. */
	if (!ep->port)
		return -EINVAL;
	switch (m->kind) {
	case FTP_CMD_PORT:
	case FTP_REPLY_227:
		err = fmt_six(&f, ep);
		break;
	case FTP_CMD_LPRT:
	case FTP_REPLY_228:
		err = fmt_long(&f, ep);
		break;
	case FTP_CMD_EPRT:
	case FTP_REPLY_229:
		if (!is_delim(d))
			return -EINVAL;
		if (m->kind == FTP_CMD_EPRT)
			err = fmt_eprt(&f, d, ep);
		else
			fmt_229(&f, d, ep);
		break;
	default:
		return -EINVAL;
	}
	if (err)
		return err;
	if (f.len > FTP_FIELD_MAX)	/* cannot happen: see the asserts */
		return -ENOSPC;
	/*
	 * RFC 2428 lets the delimiter be almost anything, digits and ':'
	 * included. One that now also occurs inside the field (a '3'
	 * delimiter, a new port 3021) would make the line unparseable.
	 */
	if ((m->kind == FTP_CMD_EPRT || m->kind == FTP_REPLY_229) &&
	    count_char(f.b, f.len, d) != 4)
		return -EINVAL;
	/* Leave out untouched on failure: the caller still holds the line. */
	if (f.len + 1 > cap)
		return -ENOSPC;
	memcpy(out, f.b, f.len);
	out[f.len] = '\0';
	return (int)f.len;
}
