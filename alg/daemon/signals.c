// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Signals, one table: which are ours and what each does. The loop reads
 * them from a signalfd, so nothing runs in a handler.
 *
 * Not in the table, and left to their default action on purpose:
 *   SIGSEGV SIGBUS SIGFPE SIGILL   synchronous faults: the instruction
 *       that raised one would only raise it again, and the process state
 *       it comes from cannot be trusted to clean up with (the kernel
 *       forces the default action on a blocked fault anyway)
 *   SIGABRT    abort(), assert() and the sanitizers: the same, and a core
 *       is what is wanted
 *   SIGTRAP    breakpoints and single steps: a debugger's
 *   SIGSYS     a system call a seccomp filter refused: a fault of ours
 *   SIGKILL SIGSTOP    cannot be caught
 *   SIGCHLD SIGURG SIGWINCH, SIGCONT SIGTSTP SIGTTIN SIGTTOU
 *       do not end the process
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/signalfd.h>

#include "signals.h"

#define SIG(s, a)	{ s, #s, a }

static const struct sig_def {
	int signo;
	const char *name;
	enum sig_action act;
} sig_table[] = {
	SIG(SIGHUP, SIG_ACT_RELOAD),
	SIG(SIGUSR1, SIG_ACT_STATE),
	SIG(SIGTERM, SIG_ACT_STOP),
	SIG(SIGINT, SIG_ACT_STOP),
	SIG(SIGQUIT, SIG_ACT_STOP),	/* no core: nothing is wrong */
	SIG(SIGUSR2, SIG_ACT_STOP),
	SIG(SIGALRM, SIG_ACT_STOP),
	SIG(SIGVTALRM, SIG_ACT_STOP),
	SIG(SIGPROF, SIG_ACT_STOP),
	SIG(SIGIO, SIG_ACT_STOP),	/* SIGPOLL too */
	/* resource limits: a soft limit reached, stop before the hard one */
	SIG(SIGXCPU, SIG_ACT_STOP),
	SIG(SIGXFSZ, SIG_ACT_STOP),
#ifdef SIGPWR
	SIG(SIGPWR, SIG_ACT_STOP),
#endif
#ifdef SIGSTKFLT
	SIG(SIGSTKFLT, SIG_ACT_STOP),
#endif
};

#define NSIGS	(sizeof(sig_table) / sizeof(sig_table[0]))

static const struct sig_def *sig_find(int signo)
{
	unsigned i;

	for (i = 0; i < NSIGS; i++)
		if (sig_table[i].signo == signo)
			return &sig_table[i];
	return NULL;
}

/* Real-time signals end the process by default too; none is ours. */
static bool sig_realtime(int signo)
{
	return signo >= SIGRTMIN && signo <= SIGRTMAX;
}

enum sig_action signal_action(int signo)
{
	const struct sig_def *s = sig_find(signo);

	if (s)
		return s->act;
	return sig_realtime(signo) ? SIG_ACT_STOP : SIG_ACT_DEFAULT;
}

const char *signal_name(int signo, char *buf, size_t len)
{
	const struct sig_def *s = sig_find(signo);

	if (s)
		snprintf(buf, len, "%s", s->name);
	else if (sig_realtime(signo))
		snprintf(buf, len, "SIGRTMIN+%d", signo - SIGRTMIN);
	else if (signo == SIGPIPE)
		snprintf(buf, len, "SIGPIPE");
	else
		snprintf(buf, len, "signal %d", signo);
	return buf;
}

int signals_open(void)
{
	sigset_t set;
	unsigned i;
	int s;

	sigemptyset(&set);
	for (i = 0; i < NSIGS; i++)
		sigaddset(&set, sig_table[i].signo);
	for (s = SIGRTMIN; s <= SIGRTMAX; s++)
		sigaddset(&set, s);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	/* a peer gone from the control socket: send() says EPIPE */
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}
