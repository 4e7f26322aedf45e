/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The systemd notify protocol (sd_notify(3)), written by hand: one
 * datagram of "KEY=value" lines to the AF_UNIX socket named by
 * $NOTIFY_SOCKET (a path, or '@' for the abstract namespace). Without
 * that variable every call does nothing: the daemon runs the same under
 * systemd Type=notify, another supervisor or a shell.
 *
 *   READY=1       the table, the queue rules and the state are in place
 *   STATUS=...    one line systemctl status shows
 *   WATCHDOG=1    the loop is alive; sent every half WATCHDOG_USEC
 *   STOPPING=1    a clean stop has begun
 */
#ifndef FTP_ALG_SDNOTIFY_H
#define FTP_ALG_SDNOTIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct sdnotify {
	int fd;			/* -1: no NOTIFY_SOCKET, calls do nothing */
	uint64_t watchdog_ms;	/* keep-alive interval (half WATCHDOG_USEC);
				   0: no watchdog asked for */
	uint64_t next_ms;	/* next WATCHDOG=1 is due */
};

/*
 * Read NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID (the watchdog is
 * ours only when WATCHDOG_PID is unset or is pid) and connect. 0 (also
 * when there is nothing to talk to) or -errno (a NOTIFY_SOCKET that
 * cannot be used).
 */
int sdnotify_open(struct sdnotify *n, pid_t pid);
void sdnotify_close(struct sdnotify *n);
/* Send msg ("READY=1\nSTATUS=..."); 0, or -errno. */
int sdnotify_send(struct sdnotify *n, const char *msg);
/* WATCHDOG=1 when due at now; 0 when sent or not due. */
int sdnotify_watchdog(struct sdnotify *n, uint64_t now_ms);
/* When the next keep-alive is due; UINT64_MAX without a watchdog. */
uint64_t sdnotify_due(const struct sdnotify *n);

#endif
