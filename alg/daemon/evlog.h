/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Engine events into log text: the one place where a reason becomes a
 * sentence. Pure (no I/O), so it is unit-tested.
 */
#ifndef FTP_ALG_EVLOG_H
#define FTP_ALG_EVLOG_H

#include <stdbool.h>
#include <stddef.h>
#include "ftp-alg/engine.h"

#define EVLOG_LEN	512	/* room for any formatted event */

/*
 * Format ev (without the "#sid " prefix the logger adds) into buf.
 * Returns the syslog priority to log it at, or -1 for events that are
 * logged elsewhere or not at all (EXPECT: by the pinhole code; ADJUST).
 */
int evlog_format(const struct alg_event *ev, char *buf, size_t len);

/* A reason as a phrase ("idle timeout", "NUL byte in a control line"). */
const char *evlog_reason_text(enum alg_reason r);

/*
 * Reasons a peer can trigger with every packet (a table limit, an
 * out-of-window RST): the caller logs a few per interval and counts the
 * rest.
 */
bool evlog_rate_limited(enum alg_reason r);

/* "192.0.2.1:21", "[2001:db8::1]:21" */
const char *evlog_ep(int family, const union alg_addr *a, uint16_t port,
		     char *buf, size_t len);
#define EVLOG_EP_LEN	(INET6_ADDRSTRLEN + 8)

#endif
