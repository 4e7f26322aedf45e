/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control socket's subscribers (ctl.c): a client that asked for a
 * stream stays connected; ctl_publish() never blocks, however slowly it
 * reads; one that fell behind loses lines and is told how many; one that
 * hangs up is dropped. A real AF_UNIX socket in a temporary directory:
 * no root needed. Links alg_daemon.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#pragma GCC diagnostic ignored "-Wunused-parameter"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "ctl.h"

struct fixture {
	char dir[64], path[96];
	struct ctl_server *s;
};

/*
 * "sub" subscribes to all, "sub 7" to session 7, as JSON with "json"
 * at the end; anything else is answered and closed.
 */
static void handler(const char *req, struct ctl_buf *out, void *arg)
{
	ctl_printf(out, "ok\n");
	if (!strncmp(req, "sub", 3))
		out->sub = (struct ctl_sub){
			.on = true, .json = !!strstr(req, "json"),
			.sid = strtoull(req + 3, NULL, 10),
		};
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->dir, "/tmp/ftpalg-ctlsub.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/ctl.sock", f->dir);
	f->s = ctl_open(f->path, handler, NULL);
	assert_non_null(f->s);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	ctl_close(f->s);
	rmdir(f->dir);
	free(f);
	return 0;
}

static int client(struct fixture *f, const char *req)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	strcpy(sun.sun_path, f->path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)),
			 0);
	assert_true(send(fd, req, strlen(req), 0) == (ssize_t)strlen(req));
	return fd;
}

/* Let the server accept, read and answer. */
static void pump(struct fixture *f)
{
	int i;

	for (i = 0; i < 20; i++)
		ctl_run(f->s, 1000);
}

/* Everything the client can read now (non-blocking), into buf. */
static size_t drain(int fd, char *buf, size_t cap)
{
	size_t len = 0;
	ssize_t n;

	while (len < cap - 1) {
		n = recv(fd, buf + len, cap - 1 - len, MSG_DONTWAIT);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return len;
}

static void test_subscriber_stays_and_gets_lines(void **state)
{
	struct fixture *f = *state;
	char buf[256];
	int fd = client(f, "sub\n");

	pump(f);
	assert_int_equal(ctl_subscribers(f->s), 1);
	ctl_publish(f->s, 4, "#4 hello\n", "{\"sid\":4}\n");
	pump(f);
	drain(fd, buf, sizeof(buf));
	assert_string_equal(buf, "ok\n#4 hello\n");
	close(fd);
	pump(f);
	assert_int_equal(ctl_subscribers(f->s), 0);
}

static void test_plain_request_is_not_a_subscriber(void **state)
{
	struct fixture *f = *state;
	char buf[64];
	int fd = client(f, "status\n");

	pump(f);
	assert_int_equal(ctl_subscribers(f->s), 0);
	drain(fd, buf, sizeof(buf));
	assert_string_equal(buf, "ok\n");
	close(fd);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * A subscriber that reads nothing: publishing goes on at full speed
 * (far more than its socket and CTL_SUB_MAX hold); once it reads, it is
 * told how many lines it lost, and gets what came after.
 */
static void test_slow_subscriber_loses_lines_and_is_told(void **state)
{
	struct fixture *f = *state;
	static char buf[4u << 20];
	char line[128], *lost;
	uint64_t t0;
	unsigned i, n = 40000;
	unsigned long long nlost;
	int fd = client(f, "sub json\n");

	pump(f);
	t0 = mono_ms();
	for (i = 0; i < n; i++) {
		snprintf(line, sizeof(line), "{\"n\":%u,\"pad\":\"%080u\"}\n",
			 i, i);
		ctl_publish(f->s, 1, "text\n", line);
	}
	/* never blocked: 40000 publications in well under a second */
	assert_true(mono_ms() - t0 < 2000);
	/* read what was queued, then one more publication brings news */
	drain(fd, buf, sizeof(buf));
	pump(f);
	for (i = 0; i < 100; i++) {
		ctl_run(f->s, 1000);
		drain(fd, buf, sizeof(buf));
	}
	ctl_publish(f->s, 1, "text\n", "{\"n\":\"last\"}\n");
	pump(f);
	drain(fd, buf, sizeof(buf));
	lost = strstr(buf, "{\"lost\":");
	if (!lost)
		fail_msg("no lost notice in:\n%.300s", buf);
	assert_int_equal(sscanf(lost, "{\"lost\":%llu}", &nlost), 1);
	assert_true(nlost > 0 && nlost < n);
	assert_non_null(strstr(lost, "}\n{\"n\":\"last\"}\n"));
	close(fd);
}

/* A subscriber of session 7 sees session 7 only. */
static void test_subscriber_of_one_session(void **state)
{
	struct fixture *f = *state;
	char buf[256];
	int all = client(f, "sub\n"), one = client(f, "sub 7\n");

	pump(f);
	assert_int_equal(ctl_subscribers(f->s), 2);
	ctl_publish(f->s, 7, "#7 a\n", "{}\n");
	ctl_publish(f->s, 8, "#8 b\n", "{}\n");
	pump(f);
	drain(all, buf, sizeof(buf));
	assert_string_equal(buf, "ok\n#7 a\n#8 b\n");
	drain(one, buf, sizeof(buf));
	assert_string_equal(buf, "ok\n#7 a\n");
	close(all);
	close(one);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_subscriber_stays_and_gets_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_plain_request_is_not_a_subscriber, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_slow_subscriber_loses_lines_and_is_told, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_subscriber_of_one_session, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
