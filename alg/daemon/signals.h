/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What each signal does to ftp-algd, in one table (signals.c). Every
 * catchable signal whose default action would end the process either has
 * a use or stops the daemon through the same clean path as SIGTERM; the
 * synchronous faults stay fatal (docs/design.md, "Signals and reload").
 */
#ifndef FTP_ALG_SIGNALS_H
#define FTP_ALG_SIGNALS_H

#include <stddef.h>

enum sig_action {
	SIG_ACT_DEFAULT,	/* not ours: the kernel's default action */
	SIG_ACT_STOP,		/* clean shutdown, exit status 0 */
	SIG_ACT_RELOAD,		/* read the --config file again */
	SIG_ACT_STATE,		/* a state summary to the log */
};

#define SIG_NAME_LEN	16	/* "SIGRTMIN+30" */

enum sig_action signal_action(int signo);
/* "SIGTERM", "SIGRTMIN+3"; "signal 99" for one without a name. */
const char *signal_name(int signo, char *buf, size_t len);
/*
 * Block every signal with an action, ignore SIGPIPE, and return a
 * nonblocking signalfd for the blocked ones (-1 with errno on failure).
 */
int signals_open(void);

#endif
