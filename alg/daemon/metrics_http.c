// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * GET /metrics over HTTP/1.x, one request per connection, then close.
 * Clients live in their own epoll set (the daemon polls one fd); all I/O
 * is non-blocking and bounded by METRICS_TIMEOUT_MS per client. It serves
 * the counters and reads nothing else: no paths, no headers looked at.
 */
#define _GNU_SOURCE	/* accept4 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>

#include "metrics_http.h"

#define LISTEN_TAG	UINT32_MAX

struct metrics_client {
	int fd;			/* -1: free */
	uint64_t deadline_ms;
	char req[METRICS_REQ_MAX + 1];
	size_t rlen;
	bool answered;
	struct ctl_buf out;
	size_t off;
};

struct metrics_http {
	int lfd, epfd;
	metrics_render_fn render;
	void *arg;
	struct metrics_client cl[METRICS_MAX_CLIENTS];
};

static bool parse_port(const char *s, uint16_t *port)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	v = strtoul(s, &end, 10);
	if (*end || v < 1 || v > 65535)
		return false;
	*port = (uint16_t)v;
	return true;
}

bool metrics_parse_listen(const char *s, struct sockaddr_storage *ss,
			  socklen_t *len, char *why, size_t wl)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon;
	uint16_t port;
	size_t hl;

	memset(ss, 0, sizeof(*ss));
	colon = strrchr(s, ':');
	if (!colon || colon == s || !parse_port(colon + 1, &port))
		goto bad;
	hl = (size_t)(colon - s);
	if (hl >= sizeof(host))
		goto bad;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
		host[hl - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
			goto bad;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*len = sizeof(*s6);
		return true;
	}
	if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
		goto bad;
	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	*len = sizeof(*s4);
	return true;
bad:
	snprintf(why, wl, "expected ADDR:PORT or [ADDR6]:PORT (an address "
		 "literal, port 1..65535), not '%s'", s);
	return false;
}

static void status_only(struct ctl_buf *out, const char *status)
{
	ctl_printf(out, "HTTP/1.0 %s\r\nContent-Type: text/plain\r\n"
		   "Content-Length: %zu\r\nConnection: close\r\n\r\n%s\n",
		   status, strlen(status) + 1, status);
}

void metrics_http_answer(const char *req, struct ctl_buf *out,
			 metrics_render_fn render, void *arg)
{
	struct ctl_buf body = { 0 };
	const char *sp;
	size_t pl;

	if (strncmp(req, "GET ", 4) && strncmp(req, "HEAD ", 5)) {
		status_only(out, "405 Method Not Allowed");
		return;
	}
	sp = strchr(req, ' ') + 1;
	pl = strcspn(sp, " \r\n");
	/* the path, with or without a query */
	if (!((pl == 8 || (pl > 8 && sp[8] == '?')) &&
	      !strncmp(sp, "/metrics", 8))) {
		status_only(out, "404 Not Found");
		return;
	}
	render(&body, arg);
	if (body.full || !body.p) {
		free(body.p);
		status_only(out, "500 Internal Server Error");
		return;
	}
	ctl_printf(out, "HTTP/1.0 200 OK\r\nContent-Type: text/plain; "
		   "version=0.0.4; charset=utf-8\r\nContent-Length: %zu\r\n"
		   "Connection: close\r\n\r\n", body.len);
	if (req[0] == 'G')
		ctl_printf(out, "%s", body.p);
	free(body.p);
}

static void client_drop(struct metrics_http *m, struct metrics_client *c)
{
	epoll_ctl(m->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->out.p);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static void client_write(struct metrics_http *m, struct metrics_client *c)
{
	struct epoll_event ev = { .events = EPOLLOUT,
				  .data.u32 = (uint32_t)(c - m->cl) };
	ssize_t n;

	while (c->off < c->out.len) {
		n = send(c->fd, c->out.p + c->off, c->out.len - c->off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN) {
			epoll_ctl(m->epfd, EPOLL_CTL_MOD, c->fd, &ev);
			return;
		}
		if (n <= 0)
			break;
		c->off += (size_t)n;
	}
	client_drop(m, c);
}

/* Read until the blank line that ends the request's head, then answer. */
static void client_read(struct metrics_http *m, struct metrics_client *c)
{
	ssize_t n;

	while (c->rlen < METRICS_REQ_MAX) {
		n = recv(c->fd, c->req + c->rlen, METRICS_REQ_MAX - c->rlen,
			 MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			client_drop(m, c);
			return;
		}
		c->rlen += (size_t)n;
		c->req[c->rlen] = '\0';
		if (strstr(c->req, "\r\n\r\n") || strstr(c->req, "\n\n"))
			break;
	}
	c->req[c->rlen] = '\0';
	c->answered = true;
	if (c->rlen == METRICS_REQ_MAX)
		status_only(&c->out, "431 Request Header Fields Too Large");
	else
		metrics_http_answer(c->req, &c->out, m->render, m->arg);
	client_write(m, c);
}

static void client_accept(struct metrics_http *m, uint64_t now_ms)
{
	struct epoll_event ev = { .events = EPOLLIN };
	unsigned i, old;
	int fd;

	for (;;) {
		fd = accept4(m->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		for (i = 0; i < METRICS_MAX_CLIENTS; i++)
			if (m->cl[i].fd < 0)
				break;
		if (i == METRICS_MAX_CLIENTS) {	/* the oldest goes */
			for (old = 0, i = 1; i < METRICS_MAX_CLIENTS; i++)
				if (m->cl[i].deadline_ms <
				    m->cl[old].deadline_ms)
					old = i;
			client_drop(m, &m->cl[old]);
			i = old;
		}
		ev.data.u32 = i;
		if (epoll_ctl(m->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			continue;
		}
		m->cl[i].fd = fd;
		m->cl[i].deadline_ms = now_ms + METRICS_TIMEOUT_MS;
	}
}

void metrics_http_run(struct metrics_http *m, uint64_t now_ms)
{
	struct epoll_event ev[METRICS_MAX_CLIENTS + 1];
	struct metrics_client *c;
	int n, i;

	n = epoll_wait(m->epfd, ev, METRICS_MAX_CLIENTS + 1, 0);
	for (i = 0; i < n; i++) {
		if (ev[i].data.u32 == LISTEN_TAG) {
			client_accept(m, now_ms);
			continue;
		}
		c = &m->cl[ev[i].data.u32];
		if (c->fd < 0)
			continue;
		if (c->answered)
			client_write(m, c);
		else
			client_read(m, c);
	}
	for (i = 0; i < METRICS_MAX_CLIENTS; i++)
		if (m->cl[i].fd >= 0 && now_ms >= m->cl[i].deadline_ms)
			client_drop(m, &m->cl[i]);
}

int metrics_http_fd(const struct metrics_http *m)
{
	return m->epfd;
}

struct metrics_http *metrics_http_open(const char *addr,
				       metrics_render_fn render, void *arg)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = LISTEN_TAG };
	struct sockaddr_storage ss;
	struct metrics_http *m;
	char why[160];
	socklen_t sl;
	int one = 1, err;
	unsigned i;

	if (!metrics_parse_listen(addr, &ss, &sl, why, sizeof(why))) {
		errno = EINVAL;
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->render = render;
	m->arg = arg;
	m->epfd = -1;
	for (i = 0; i < METRICS_MAX_CLIENTS; i++)
		m->cl[i].fd = -1;
	m->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
			SOCK_CLOEXEC, 0);
	if (m->lfd < 0)
		goto err;
	setsockopt(m->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(m->lfd, (struct sockaddr *)&ss, sl) < 0 ||
	    listen(m->lfd, 16) < 0)
		goto err;
	m->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (m->epfd < 0 || epoll_ctl(m->epfd, EPOLL_CTL_ADD, m->lfd, &ev) < 0)
		goto err;
	return m;
err:
	err = errno;
	if (m->epfd >= 0)
		close(m->epfd);
	if (m->lfd >= 0)
		close(m->lfd);
	free(m);
	errno = err;
	return NULL;
}

void metrics_http_close(struct metrics_http *m)
{
	unsigned i;

	if (!m)
		return;
	for (i = 0; i < METRICS_MAX_CLIENTS; i++)
		if (m->cl[i].fd >= 0)
			client_drop(m, &m->cl[i]);
	close(m->epfd);
	close(m->lfd);
	free(m);
}
