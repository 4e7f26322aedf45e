// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The signal table: every signal whose default action would end
 * ftp-algd is either used or a clean stop; the synchronous faults stay
 * the kernel's. Links alg_daemon (signals.c).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#pragma GCC diagnostic ignored "-Wunused-parameter"

#include <signal.h>
#include <stdio.h>

#include "signals.h"

static void assert_action(int signo, enum sig_action want)
{
	char name[SIG_NAME_LEN];

	if (signal_action(signo) != want)
		fail_msg("%s: action %d, want %d",
			 signal_name(signo, name, sizeof(name)),
			 signal_action(signo), want);
}

static void test_reload_and_state_have_their_signals(void **state)
{
	assert_action(SIGHUP, SIG_ACT_RELOAD);
	assert_action(SIGUSR1, SIG_ACT_STATE);
}

static void test_every_terminating_signal_stops_cleanly(void **state)
{
	static const int stop[] = {
		SIGINT, SIGQUIT, SIGTERM, SIGUSR2, SIGALRM, SIGVTALRM,
		SIGPROF, SIGXCPU, SIGXFSZ, SIGPWR, SIGSTKFLT, SIGIO,
	};
	unsigned i;
	int s;

	for (i = 0; i < sizeof(stop) / sizeof(stop[0]); i++)
		assert_action(stop[i], SIG_ACT_STOP);
	for (s = SIGRTMIN; s <= SIGRTMAX; s++)
		assert_action(s, SIG_ACT_STOP);
}

static void test_faults_and_harmless_signals_stay_default(void **state)
{
	static const int keep[] = {
		/* synchronous faults, abort(), debuggers, seccomp */
		SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS,
		/* uncatchable */
		SIGKILL, SIGSTOP,
		/* do not end the process; SIGPIPE is ignored */
		SIGCHLD, SIGURG, SIGWINCH, SIGCONT, SIGTSTP, SIGTTIN,
		SIGTTOU, SIGPIPE,
	};
	unsigned i;

	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		assert_action(keep[i], SIG_ACT_DEFAULT);
}

static void test_signal_names(void **state)
{
	char b[SIG_NAME_LEN];

	assert_string_equal(signal_name(SIGQUIT, b, sizeof(b)), "SIGQUIT");
	assert_string_equal(signal_name(SIGHUP, b, sizeof(b)), "SIGHUP");
	assert_string_equal(signal_name(SIGIO, b, sizeof(b)), "SIGIO");
	assert_string_equal(signal_name(SIGRTMIN + 3, b, sizeof(b)),
			    "SIGRTMIN+3");
	assert_string_equal(signal_name(SIGPIPE, b, sizeof(b)), "SIGPIPE");
	assert_string_equal(signal_name(SIGSEGV, b, sizeof(b)), "signal 11");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reload_and_state_have_their_signals),
		cmocka_unit_test(test_every_terminating_signal_stops_cleanly),
		cmocka_unit_test(
			test_faults_and_harmless_signals_stay_default),
		cmocka_unit_test(test_signal_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
