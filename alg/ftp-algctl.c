// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ftp-algctl: ask a running ftp-algd what it is doing.
 *
 *   ftp-algctl [--socket PATH] status|sessions|pinholes [--json]
 *
 * The daemon formats the answer (text or JSON) after a first line "ok";
 * this program sends one request line, copies the rest to stdout and
 * exits 0, or exits 1 with one line on stderr when the daemon cannot be
 * reached, does not answer in time, or answers "error: ...".
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
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
	fprintf(f, "usage: ftp-algctl [--socket PATH] "
		"status|sessions|pinholes [--json]\n"
		"  --socket PATH  ftp-algd's control socket (default %s)\n"
		"  --json         print a JSON document\n",
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

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *path = CTL_SOCKET_DEFAULT, *cmd;
	char req[64], buf[65536];
	struct timespec start;
	bool json = false, first = true;
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
	if (optind + 1 != argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind];
	if (strcmp(cmd, "status") && strcmp(cmd, "sessions") &&
	    strcmp(cmd, "pinholes")) {
		fprintf(stderr, "ftp-algctl: unknown command '%s'\n", cmd);
		usage(stderr);
		return 2;
	}
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "ftp-algctl: socket path too long: %s\n", path);
		return 1;
	}
	strcpy(sun.sun_path, path);

	clock_gettime(CLOCK_MONOTONIC, &start);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "ftp-algctl: cannot connect to %s: %s "
			"(is ftp-algd running?)\n", path, strerror(errno));
		return 1;
	}
	len = (size_t)snprintf(req, sizeof(req), "%s%s\n", cmd,
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
		ret = wait_fd(fd, POLLIN, &start);
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
