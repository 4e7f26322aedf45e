// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sdnotify.c against a listening AF_UNIX datagram socket standing in for
 * systemd: a path socket and an abstract one ('@'), READY=1 with STATUS=,
 * WATCHDOG=1 at half WATCHDOG_USEC and only when WATCHDOG_PID is ours,
 * STOPPING=1, and nothing at all without NOTIFY_SOCKET. Links alg_daemon.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#pragma GCC diagnostic ignored "-Wunused-parameter"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "sdnotify.h"

struct fake_systemd {
	int fd;
	char name[108];		/* as NOTIFY_SOCKET says it */
	char dir[64];
};

/* A datagram socket bound where NOTIFY_SOCKET will point. */
static void fake_listen(struct fake_systemd *f, bool abstract)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	socklen_t alen;
	size_t n;

	f->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(f->fd >= 0);
	f->dir[0] = '\0';
	if (abstract) {
		snprintf(f->name, sizeof(f->name), "@ftp-alg-test-%d-%ld",
			 (int)getpid(), random());
	} else {
		snprintf(f->dir, sizeof(f->dir), "/tmp/sdnotify.XXXXXX");
		assert_non_null(mkdtemp(f->dir));
		snprintf(f->name, sizeof(f->name), "%s/notify", f->dir);
	}
	n = strlen(f->name);
	memcpy(sun.sun_path, f->name, n);
	if (abstract)
		sun.sun_path[0] = '\0';
	alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	if (bind(f->fd, (struct sockaddr *)&sun, alen) < 0)
		fail_msg("bind %s: %s", f->name, strerror(errno));
	setenv("NOTIFY_SOCKET", f->name, 1);
}

static void fake_close(struct fake_systemd *f)
{
	close(f->fd);
	if (f->dir[0]) {
		char p[128];

		snprintf(p, sizeof(p), "%s/notify", f->dir);
		unlink(p);
		rmdir(f->dir);
	}
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
}

/* The next datagram, or "" when none is waiting. */
static void fake_recv(struct fake_systemd *f, char *buf, size_t len)
{
	ssize_t n = recv(f->fd, buf, len - 1, MSG_DONTWAIT);

	buf[n > 0 ? n : 0] = '\0';
}

static void ready_status_stopping(bool abstract)
{
	struct fake_systemd f;
	struct sdnotify n;
	char got[256];

	fake_listen(&f, abstract);
	assert_int_equal(sdnotify_open(&n, getpid()), 0);
	assert_true(n.fd >= 0);
	assert_int_equal(sdnotify_send(&n, "READY=1\nSTATUS=queue 0"), 0);
	fake_recv(&f, got, sizeof(got));
	assert_string_equal(got, "READY=1\nSTATUS=queue 0");
	assert_int_equal(sdnotify_send(&n, "STOPPING=1"), 0);
	fake_recv(&f, got, sizeof(got));
	assert_string_equal(got, "STOPPING=1");
	/* no watchdog asked for: no keep-alive, ever */
	assert_int_equal(sdnotify_due(&n), UINT64_MAX);
	assert_int_equal(sdnotify_watchdog(&n, 1000000), 0);
	fake_recv(&f, got, sizeof(got));
	assert_string_equal(got, "");
	sdnotify_close(&n);
	fake_close(&f);
}

static void test_ready_status_stopping_to_a_path(void **state)
{
	ready_status_stopping(false);
}

static void test_ready_status_stopping_to_an_abstract_socket(void **state)
{
	ready_status_stopping(true);
}

static void test_watchdog_at_half_the_interval(void **state)
{
	struct fake_systemd f;
	struct sdnotify n;
	char got[64], pid[16];

	fake_listen(&f, true);
	setenv("WATCHDOG_USEC", "4000000", 1);	/* 4 s */
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(sdnotify_open(&n, getpid()), 0);
	assert_int_equal(n.watchdog_ms, 2000);
	/* the first one at once, then every 2 s and not before */
	assert_int_equal(sdnotify_watchdog(&n, 10000), 0);
	fake_recv(&f, got, sizeof(got));
	assert_string_equal(got, "WATCHDOG=1");
	assert_int_equal(sdnotify_due(&n), 12000);
	assert_int_equal(sdnotify_watchdog(&n, 11999), 0);
	fake_recv(&f, got, sizeof(got));
	assert_string_equal(got, "");
	assert_int_equal(sdnotify_watchdog(&n, 12000), 0);
	fake_recv(&f, got, sizeof(got));
	assert_string_equal(got, "WATCHDOG=1");
	sdnotify_close(&n);
	fake_close(&f);
}

static void test_watchdog_of_another_pid_is_not_ours(void **state)
{
	struct fake_systemd f;
	struct sdnotify n;
	char got[64];

	fake_listen(&f, false);
	setenv("WATCHDOG_USEC", "4000000", 1);
	setenv("WATCHDOG_PID", "1", 1);
	assert_int_equal(sdnotify_open(&n, getpid()), 0);
	assert_int_equal(n.watchdog_ms, 0);
	assert_int_equal(sdnotify_watchdog(&n, 10000), 0);
	fake_recv(&f, got, sizeof(got));
	assert_string_equal(got, "");
	sdnotify_close(&n);
	fake_close(&f);
}

static void test_no_notify_socket_does_nothing(void **state)
{
	struct sdnotify n;

	unsetenv("NOTIFY_SOCKET");
	setenv("WATCHDOG_USEC", "4000000", 1);
	assert_int_equal(sdnotify_open(&n, getpid()), 0);
	assert_int_equal(n.fd, -1);
	assert_int_equal(sdnotify_send(&n, "READY=1"), 0);
	assert_int_equal(sdnotify_due(&n), UINT64_MAX);
	sdnotify_close(&n);
	unsetenv("WATCHDOG_USEC");
}

static void test_bad_notify_socket_is_an_error(void **state)
{
	struct sdnotify n;

	setenv("NOTIFY_SOCKET", "vsock:2:1234", 1);
	assert_int_equal(sdnotify_open(&n, getpid()), -EINVAL);
	assert_int_equal(n.fd, -1);
	/* nobody listens there */
	setenv("NOTIFY_SOCKET", "/nonexistent/notify", 1);
	assert_int_equal(sdnotify_open(&n, getpid()), -ENOENT);
	assert_int_equal(n.fd, -1);
	unsetenv("NOTIFY_SOCKET");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ready_status_stopping_to_a_path),
		cmocka_unit_test(
			test_ready_status_stopping_to_an_abstract_socket),
		cmocka_unit_test(test_watchdog_at_half_the_interval),
		cmocka_unit_test(test_watchdog_of_another_pid_is_not_ours),
		cmocka_unit_test(test_no_notify_socket_does_nothing),
		cmocka_unit_test(test_bad_notify_socket_is_an_error),
	};

	srandom((unsigned)getpid());
	return cmocka_run_group_tests(tests, NULL, NULL);
}
