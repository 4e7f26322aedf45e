// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The control socket: one request line in, one response out, close.
 * Clients live in their own epoll set so the daemon polls a single fd;
 * all I/O is non-blocking and bounded by CTL_TIMEOUT_MS per client.
 */
#define _GNU_SOURCE	/* accept4 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "ctl.h"
#include "paths.h"

#define CTL_LISTEN_TAG	UINT32_MAX
#define CTL_BACKLOG	16

struct ctl_client {
	int fd;			/* -1: free slot */
	uint64_t deadline_ms;
	char req[CTL_REQ_MAX + 1];
	size_t rlen;
	bool answered;
	struct ctl_buf out;
	size_t off;		/* bytes of out already sent */
	uint64_t lost;		/* subscriber: lines not queued */
};

struct ctl_server {
	int lfd, epfd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	ctl_handler fn;
	void *arg;
	struct ctl_client cl[CTL_MAX_CLIENTS];
};

static bool ctl_grow(struct ctl_buf *b, size_t need)
{
	size_t cap;
	char *p;

	if (b->full)
		return false;
	if (b->len + need < b->cap)
		return true;
	if (b->len + need >= CTL_RESP_MAX) {
		b->full = true;
		return false;
	}
	cap = b->cap ? b->cap : 4096;
	while (cap <= b->len + need)
		cap *= 2;
	if (cap > CTL_RESP_MAX)
		cap = CTL_RESP_MAX;
	p = realloc(b->p, cap);
	if (!p) {
		b->full = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void ctl_printf(struct ctl_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !ctl_grow(b, (size_t)n + 1))
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/*
 * Strings come from the network (stop reasons quote FTP lines), so every
 * byte outside printable ASCII is escaped: the output is valid JSON (and
 * valid UTF-8) whatever the peer sent.
 */
void ctl_json_str(struct ctl_buf *b, const char *s)
{
	const unsigned char *c;

	ctl_printf(b, "\"");
	for (c = (const unsigned char *)s; *c; c++) {
		if (*c == '"' || *c == '\\')
			ctl_printf(b, "\\%c", *c);
		else if (*c < 0x20 || *c >= 0x7f)
			ctl_printf(b, "\\u%04x", *c);
		else
			ctl_printf(b, "%c", *c);
	}
	ctl_printf(b, "\"");
}

void ctl_buf_reset(struct ctl_buf *b)
{
	b->len = 0;
	b->full = false;
	if (b->p)
		b->p[0] = '\0';
}

static void ctl_drop(struct ctl_server *s, struct ctl_client *c)
{
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->out.p);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static void ctl_accept(struct ctl_server *s, uint64_t now_ms)
{
	struct epoll_event ev = { .events = EPOLLIN };
	unsigned i;
	int fd;

	for (;;) {
		fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		for (i = 0; i < CTL_MAX_CLIENTS; i++)
			if (s->cl[i].fd < 0)
				break;
		/*
		 * Full: the oldest client goes. Clients that connect and
		 * say nothing must not lock the newest one out.
		 */
		if (i == CTL_MAX_CLIENTS) {
			unsigned old = 0;

			for (i = 1; i < CTL_MAX_CLIENTS; i++)
				if (s->cl[i].deadline_ms <
				    s->cl[old].deadline_ms)
					old = i;
			ctl_drop(s, &s->cl[old]);
			i = old;
		}
		ev.data.u32 = i;
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			continue;
		}
		s->cl[i].fd = fd;
		s->cl[i].deadline_ms = now_ms + CTL_TIMEOUT_MS;
	}
}

/* Send what the socket takes; drop the client when all is sent. */
/*
 * Send what the socket takes; drop the client when all is sent, unless
 * it subscribed: then it waits, read for its hang-up only, for more.
 */
static void ctl_write(struct ctl_server *s, struct ctl_client *c)
{
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLRDHUP,
				  .data.u32 = (uint32_t)(c - s->cl) };
	ssize_t n;

	while (c->off < c->out.len) {
		n = send(c->fd, c->out.p + c->off, c->out.len - c->off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN) {
			epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev);
			return;
		}
		if (n <= 0)
			break;
		c->off += (size_t)n;
	}
	if (c->off < c->out.len || !c->out.sub.on || c->out.full) {
		ctl_drop(s, c);
		return;
	}
	c->off = c->out.len = 0;
	c->deadline_ms = UINT64_MAX;
	ev.events = EPOLLIN | EPOLLRDHUP;
	epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* A subscriber says nothing: anything it sends is read and ignored. */
static void ctl_sub_read(struct ctl_server *s, struct ctl_client *c)
{
	char junk[256];
	ssize_t n;

	do
		n = recv(c->fd, junk, sizeof(junk), MSG_DONTWAIT);
	while (n > 0);
	if (n == 0 || (errno != EAGAIN && errno != EINTR))
		ctl_drop(s, c);
}

unsigned ctl_subscribers(const struct ctl_server *s)
{
	unsigned i, n = 0;

	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		if (s->cl[i].fd >= 0 && s->cl[i].answered &&
		    s->cl[i].out.sub.on)
			n++;
	return n;
}

/*
 * Queue a line for c, if its unsent bytes stay below CTL_SUB_MAX. What
 * was sent is dropped from the front first: a subscriber that keeps up
 * but never quite drains must not lose lines to a buffer full of sent
 * bytes.
 */
static bool ctl_sub_queue(struct ctl_client *c, const char *line)
{
	size_t n = strlen(line);

	if (c->off) {
		memmove(c->out.p, c->out.p + c->off, c->out.len - c->off);
		c->out.len -= c->off;
		c->off = 0;
	}
	if (c->out.len + n >= CTL_SUB_MAX)
		return false;
	ctl_printf(&c->out, "%s", line);
	return !c->out.full;
}

void ctl_publish(struct ctl_server *s, uint64_t sid, const char *text,
		 const char *json)
{
	struct ctl_client *c;
	char note[64];
	unsigned i;

	for (i = 0; i < CTL_MAX_CLIENTS; i++) {
		c = &s->cl[i];
		if (c->fd < 0 || !c->answered || !c->out.sub.on ||
		    (c->out.sub.sid && c->out.sub.sid != sid))
			continue;
		if (c->lost) {
			snprintf(note, sizeof(note), c->out.sub.json ?
				 "{\"lost\":%llu}\n" : "# %llu events lost\n",
				 (unsigned long long)c->lost);
			if (!ctl_sub_queue(c, note)) {
				c->lost++;
				continue;
			}
			c->lost = 0;
		}
		if (!ctl_sub_queue(c, c->out.sub.json ? json : text))
			c->lost++;
		/* the socket's own buffer first; EPOLLOUT for the rest */
		ctl_write(s, c);
	}
}

static void ctl_answer(struct ctl_server *s, struct ctl_client *c)
{
	char *nl;

	c->req[c->rlen] = '\0';
	nl = strpbrk(c->req, "\r\n");
	if (nl)
		*nl = '\0';
	c->answered = true;
	if (!nl && c->rlen == CTL_REQ_MAX)
		ctl_printf(&c->out, "error: request longer than %d bytes\n",
			   CTL_REQ_MAX);
	else
		s->fn(c->req, &c->out, s->arg);
	ctl_write(s, c);
}

static void ctl_read(struct ctl_server *s, struct ctl_client *c)
{
	ssize_t n;

	while (c->rlen < CTL_REQ_MAX) {
		n = recv(c->fd, c->req + c->rlen, CTL_REQ_MAX - c->rlen,
			 MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0) {
			ctl_drop(s, c);
			return;
		}
		if (n == 0)	/* EOF: the request is what we have */
			break;
		c->rlen += (size_t)n;
		if (memchr(c->req, '\n', c->rlen))
			break;
	}
	ctl_answer(s, c);
}

void ctl_run(struct ctl_server *s, uint64_t now_ms)
{
	struct epoll_event ev[CTL_MAX_CLIENTS + 1];
	struct ctl_client *c;
	int n, i;

	n = epoll_wait(s->epfd, ev, CTL_MAX_CLIENTS + 1, 0);
	for (i = 0; i < n; i++) {
		if (ev[i].data.u32 == CTL_LISTEN_TAG) {
			ctl_accept(s, now_ms);
			continue;
		}
		c = &s->cl[ev[i].data.u32];
		if (c->fd < 0)
			continue;	/* dropped earlier in this loop */
		if (c->answered && c->out.sub.on &&
		    c->off == c->out.len)
			ctl_sub_read(s, c);
		else if (ev[i].events & (EPOLLERR | EPOLLHUP) && c->answered)
			ctl_drop(s, c);
		else if (c->answered)
			ctl_write(s, c);
		else
			ctl_read(s, c);
	}
	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		if (s->cl[i].fd >= 0 && now_ms >= s->cl[i].deadline_ms)
			ctl_drop(s, &s->cl[i]);
}

int ctl_fd(const struct ctl_server *s)
{
	return s->epfd;
}

/*
 * A socket file left by a daemon that died is removed; one that answers
 * belongs to a running daemon and is left alone.
 */
static int ctl_check_stale(const struct sockaddr_un *sun)
{
	int fd, ret = 0;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0)
		ret = -EADDRINUSE;
	else if (errno == ECONNREFUSED)
		unlink(sun->sun_path);
	close(fd);
	return ret;
}

struct ctl_server *ctl_open(const char *path, ctl_handler fn, void *arg)
{
	struct epoll_event ev = { .events = EPOLLIN,
				  .data.u32 = CTL_LISTEN_TAG };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct ctl_server *s;
	unsigned i;
	int err;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	strcpy(sun.sun_path, path);
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->fn = fn;
	s->arg = arg;
	s->lfd = s->epfd = -1;
	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		s->cl[i].fd = -1;

	err = -path_mkdirs(path, 0755);	/* like any /run subdirectory */
	if (!err)
		err = -ctl_check_stale(&sun);
	if (err)
		goto err_free;
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			0);
	if (s->lfd < 0)
		goto err_errno;
	if (bind(s->lfd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		goto err_errno;
	strcpy(s->path, path);
	/* status shows sessions' addresses: root and its group only */
	if (chmod(path, 0660) < 0 || listen(s->lfd, CTL_BACKLOG) < 0)
		goto err_errno;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0 || epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->lfd, &ev) < 0)
		goto err_errno;
	return s;

err_errno:
	err = errno;
err_free:
	if (s->epfd >= 0)
		close(s->epfd);
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->path[0])
		unlink(s->path);
	free(s);
	errno = err;
	return NULL;
}

void ctl_close(struct ctl_server *s)
{
	unsigned i;

	if (!s)
		return;
	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		if (s->cl[i].fd >= 0)
			ctl_drop(s, &s->cl[i]);
	close(s->epfd);
	close(s->lfd);
	unlink(s->path);
	free(s);
}
