// SPDX-License-Identifier: GPL-2.0-or-later
/* The systemd notify protocol, by hand; see sdnotify.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "config.h"
#include "sdnotify.h"

/*
 * WATCHDOG_USEC is for us when WATCHDOG_PID is absent or names us (a
 * shell script under the unit passes its environment to children).
 */
static uint64_t watchdog_interval_ms(pid_t pid)
{
	const char *usec = getenv("WATCHDOG_USEC");
	const char *wpid = getenv("WATCHDOG_PID");
	unsigned long v;

	if (!usec || !cfg_parse_uint(usec, 1, ~0ul, &v))
		return 0;
	if (wpid) {
		unsigned long p;

		if (!cfg_parse_uint(wpid, 1, ~0ul, &p) ||
		    (pid_t)p != pid)
			return 0;
	}
	/* systemd's advice: keep-alives at half the timeout */
	return v / 2000 ? v / 2000 : 1;
}

int sdnotify_open(struct sdnotify *n, pid_t pid)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	socklen_t alen;
	size_t len;

	n->fd = -1;
	n->watchdog_ms = n->next_ms = 0;
	if (!path || !*path)
		return 0;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(sun.sun_path))
		return -EINVAL;	/* vsock and the rest: not for a router */
	memcpy(sun.sun_path, path, len);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';	/* abstract: no trailing NUL */
	alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
			   (path[0] == '/'));
	n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (n->fd < 0)
		return -errno;
	if (connect(n->fd, (struct sockaddr *)&sun, alen) < 0) {
		int err = errno;

		close(n->fd);
		n->fd = -1;
		return -err;
	}
	n->watchdog_ms = watchdog_interval_ms(pid);
	return 0;
}

void sdnotify_close(struct sdnotify *n)
{
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
}

int sdnotify_send(struct sdnotify *n, const char *msg)
{
	ssize_t r;

	if (n->fd < 0)
		return 0;
	do
		r = send(n->fd, msg, strlen(msg), MSG_NOSIGNAL | MSG_DONTWAIT);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0;
}

int sdnotify_watchdog(struct sdnotify *n, uint64_t now_ms)
{
	if (n->fd < 0 || !n->watchdog_ms || now_ms < n->next_ms)
		return 0;
	n->next_ms = now_ms + n->watchdog_ms;
	return sdnotify_send(n, "WATCHDOG=1");
}

uint64_t sdnotify_due(const struct sdnotify *n)
{
	if (n->fd < 0 || !n->watchdog_ms)
		return UINT64_MAX;
	return n->next_ms;
}
