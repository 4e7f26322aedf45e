// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ftp-algctl: ask a running ftp-algd what it is doing.
 *
 *   ftp-algctl [--socket PATH] [--json] COMMAND [ARG]
 *     status | sessions | pinholes | stats     text, or JSON with --json
 *     metrics                                  Prometheus text format
 *     log-level [debug|info|notice|warning|error]
 *     trace [SESSION]                          until interrupted
 *
 * The daemon formats the answer (text or JSON) after a first line "ok";
 * this program sends one request line, copies the rest to stdout and
 * exits 0, or exits 1 with one line on stderr when the daemon cannot be
 * reached, does not answer in time, or answers "error: ...". A trace has
 * no end: its lines are copied until the daemon closes or we are
 * interrupted (exit 0 on SIGINT, SIGTERM or a closed stdout).
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "ftp-alg/ctl_proto.h"

#define ALGCTL_TIMEOUT_MS	5000

static void usage(FILE *f)
{
	fprintf(f, "usage: ftp-algctl [--socket PATH] [--json] COMMAND "
		"[ARG]\n"
		"  status|sessions|pinholes|stats  the daemon's state\n"
		"  metrics        the counters in Prometheus text format\n"
		"  log-level [debug|info|notice|warning|error]\n"
		"                 show or set the log level until a reload\n"
		"  trace [SESSION] session events as they happen, until "
		"Ctrl-C\n"
		"  --socket PATH  ftp-algd's control socket (default %s)\n"
		"  --json         JSON (trace: one JSON object per line)\n",
		CTL_SOCKET_DEFAULT);
}

static long ms_left(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return ALGCTL_TIMEOUT_MS -
	       ((now.tv_sec - start->tv_sec) * 1000 +
		(now.tv_nsec - start->tv_nsec) / 1000000);
}

/* Wait for fd to be ready for ev within the overall deadline. */
static int wait_fd(int fd, short ev, const struct timespec *start)
{
	struct pollfd pfd = { .fd = fd, .events = ev };
	long left = ms_left(start);
	int n;

	if (left <= 0)
		return -ETIMEDOUT;
	n = poll(&pfd, 1, (int)left);
	if (n < 0)
		return -errno;
	return n ? 0 : -ETIMEDOUT;
}

/* Which commands take an argument (nargs: how many were given). */
static bool cmd_known(const char *cmd, int nargs)
{
	static const char *const plain[] = {
		"status", "sessions", "pinholes", "stats", "metrics",
	};
	size_t i;

	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		if (!strcmp(cmd, plain[i]))
			return nargs == 0;
	if (!strcmp(cmd, "log-level") || !strcmp(cmd, "trace"))
		return nargs <= 1;
	return false;
}

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

/* Ctrl-C ends a trace cleanly: poll returns EINTR, the loop sees stop. */
static void stop_on_signals(void)
{
	struct sigaction sa = { .sa_handler = on_stop };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* A trace's next lines: no deadline. */
static int wait_stream(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	if (poll(&pfd, 1, -1) < 0)
		return -errno;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *path = CTL_SOCKET_DEFAULT, *cmd, *arg;
	char req[64], buf[65536];
	struct timespec start;
	bool json = false, first = true, stream;
	size_t off, len;
	ssize_t n;
	int c, fd, ret;

	while ((c = getopt_long(argc, argv, "s:jh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			path = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind];
	if (!cmd_known(cmd, argc - optind - 1)) {
		fprintf(stderr, "ftp-algctl: unknown command or arguments: "
			"'%s'\n", cmd);
		usage(stderr);
		return 2;
	}
	arg = optind + 1 < argc ? argv[optind + 1] : NULL;
	if (arg && (strlen(arg) > 23 || strchr(arg, ' '))) {
		fprintf(stderr, "ftp-algctl: bad argument '%s'\n", arg);
		return 2;
	}
	stream = !strcmp(cmd, "trace");
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "ftp-algctl: socket path too long: %s\n", path);
		return 1;
	}
	strcpy(sun.sun_path, path);

	if (stream)
		stop_on_signals();
	clock_gettime(CLOCK_MONOTONIC, &start);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "ftp-algctl: cannot connect to %s: %s "
			"(is ftp-algd running?)\n", path, strerror(errno));
		return 1;
	}
	len = (size_t)snprintf(req, sizeof(req), "%s%s%s%s\n", cmd,
			       arg ? " " : "", arg ? arg : "",
			       json ? " json" : "");
	for (off = 0; off < len; off += (size_t)n) {
		ret = wait_fd(fd, POLLOUT, &start);
		n = ret ? -1 : send(fd, req + off, len - off, MSG_NOSIGNAL);
		if (n < 0) {
			fprintf(stderr, "ftp-algctl: cannot send request: "
				"%s\n", strerror(ret ? -ret : errno));
			return 1;
		}
	}
	/* the answer: "ok\n" + the document, or one "error: ..." line */
	for (len = 0;;) {
		if (stop)
			break;
		/* a trace waits for its lines as long as it takes */
		ret = stream && !first ? wait_stream(fd) : wait_fd(fd, POLLIN,
								   &start);
		if (ret == -EINTR)
			continue;
		if (ret) {
			fprintf(stderr, "ftp-algctl: no answer from %s: %s\n",
				path, strerror(-ret));
			return 1;
		}
		n = recv(fd, buf + len, sizeof(buf) - len, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0) {
			fprintf(stderr, "ftp-algctl: reading from %s: %s\n",
				path, strerror(errno));
			return 1;
		}
		len += (size_t)n;
		if (first && (n == 0 || memchr(buf, '\n', len) ||
			      len == sizeof(buf))) {
			char *nl = memchr(buf, '\n', len);

			if (len >= 3 && !memcmp(buf, "ok\n", 3)) {
				first = false;
				memmove(buf, buf + 3, len - 3);
				len -= 3;
			} else if (len) {
				fprintf(stderr, "ftp-algctl: %.*s\n",
					nl ? (int)(nl - buf) : (int)len, buf);
				return 1;
			}
		}
		if (!first) {
			fwrite(buf, 1, len, stdout);
			len = 0;
			if (stream && fflush(stdout) == EOF)
				break;	/* the reader went away */
		}
		if (n == 0)
			break;
	}
	close(fd);
	if (first) {
		fprintf(stderr, "ftp-algctl: %s closed without an answer "
			"(daemon busy?)\n", path);
		return 1;
	}
	return fflush(stdout) == EOF ? 1 : 0;
}
