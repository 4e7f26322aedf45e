/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Printable addresses for logs and diagnostics. */
#include <stdio.h>
#include <arpa/inet.h>

#include "ftp-alg/addr.h"

/*
 * Never fails: log lines are built around the result, so a bad family
 * becomes "?" rather than a NULL the caller would have to check.
 */
const char *alg_addr_str(int family, const union alg_addr *a, char *buf,
			 size_t len)
{
	if (!buf || !len)
		return "?";
	/* a "port only" endpoint (229 reply) has no address of its own */
	if (family == AF_UNSPEC) {
		snprintf(buf, len, "*");
		return buf;
	}
	if (!inet_ntop(family, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}
