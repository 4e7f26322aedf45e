// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench_ftpd: a minimal FTP server for the benchmark, one epoll loop, so
 * the server is never what a figure measures (real servers fork, log and
 * look up users per connection).
 *
 *   bench_ftpd -l ADDR:PORT [-a PASV_ADDR]
 *
 * Speaks just enough for the load: USER, PASS, TYPE, NOOP, PASV, EPSV,
 * PORT, EPRT, NLST, RETR, QUIT. PASV/EPSV listen on an ephemeral port
 * and announce PASV_ADDR (default: the control connection's local
 * address; a server behind a static port forward announces the public
 * one). "RETR N" sends N bytes (N a decimal count), NLST one short name.
 * Data connections are served one at a time per session, as FTP does.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define LINE_MAX_LEN	512
#define CHUNK		65536

enum role { R_LISTEN, R_CTL, R_PASV, R_DATA };

struct sess;

/* What an epoll event points at. */
struct ref {
	enum role role;
	struct sess *s;
};

struct sess {
	struct ref ctl_ref, pasv_ref, data_ref;
	int ctl, pasv, data;
	char in[LINE_MAX_LEN + 2];
	size_t inlen;
	struct sockaddr_in port_to;	/* from PORT/EPRT */
	bool have_port;
	bool sending;			/* a transfer is open */
	bool want;			/* RETR/NLST waits for the data fd */
	uint64_t left;			/* bytes still to send */
	bool nlst;
	bool dead;			/* freed after this epoll batch */
	struct sess *next_dead;
};

static int ep;
static struct in_addr pasv_addr;
static bool pasv_fixed;
static char zeros[CHUNK];
static struct sess *dead;

static void ep_add(int fd, uint32_t ev, struct ref *r)
{
	struct epoll_event e = { .events = ev, .data.ptr = r };

	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) < 0) {
		perror("bench_ftpd: epoll_ctl");
		exit(1);
	}
}

static void ep_mod(int fd, uint32_t ev, struct ref *r)
{
	struct epoll_event e = { .events = ev, .data.ptr = r };

	epoll_ctl(ep, EPOLL_CTL_MOD, fd, &e);
}

static void closefd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Replies are short and the socket buffer empty: a short write is fatal
 * for the session only. */
static void reply(struct sess *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void reply(struct sess *s, const char *fmt, ...)
{
	char b[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b, sizeof(b), fmt, ap);
	va_end(ap);
	if (s->ctl >= 0 && write(s->ctl, b, (size_t)n) != n)
		shutdown(s->ctl, SHUT_RDWR);
}

/* Closed now, freed after the batch: later events of it may be in it. */
static void sess_free(struct sess *s)
{
	closefd(&s->ctl);
	closefd(&s->pasv);
	closefd(&s->data);
	s->dead = true;
	s->next_dead = dead;
	dead = s;
}

static void reap(void)
{
	struct sess *s;

	while ((s = dead)) {
		dead = s->next_dead;
		free(s);
	}
}

static void data_done(struct sess *s)
{
	closefd(&s->data);
	s->sending = false;
	reply(s, "226 done\r\n");
}

static void data_push(struct sess *s)
{
	while (s->left) {
		size_t n = s->left < CHUNK ? (size_t)s->left : CHUNK;
		ssize_t w;

		if (s->nlst)
			w = write(s->data, "bench.dat\r\n" + 11 - n, n);
		else
			w = write(s->data, zeros, n);
		if (w < 0) {
			if (errno == EAGAIN)
				return;
			closefd(&s->data);
			s->sending = false;
			reply(s, "426 aborted\r\n");
			return;
		}
		s->left -= (uint64_t)w;
	}
	data_done(s);
}

/* The data connection is there: start sending. */
static void data_start(struct sess *s)
{
	s->want = false;
	s->sending = true;
	reply(s, "150 here it comes\r\n");
	ep_mod(s->data, EPOLLOUT, &s->data_ref);
	data_push(s);
}

static int nb_socket(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			0);
	int one = 1;

	if (fd >= 0)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static void cmd_pasv(struct sess *s, bool epsv)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	const unsigned char *ip;
	struct in_addr shown;
	uint16_t port;
	int one = 1;

	closefd(&s->pasv);
	s->have_port = false;
	if (getsockname(s->ctl, (struct sockaddr *)&a, &al) < 0)
		goto err;
	shown = pasv_fixed ? pasv_addr : a.sin_addr;
	ip = (const unsigned char *)&shown;
	a.sin_port = 0;
	s->pasv = nb_socket();
	if (s->pasv >= 0)
		setsockopt(s->pasv, SOL_SOCKET, SO_REUSEADDR, &one,
			   sizeof(one));
	if (s->pasv < 0 || bind(s->pasv, (struct sockaddr *)&a, al) < 0 ||
	    listen(s->pasv, 4) < 0 ||
	    getsockname(s->pasv, (struct sockaddr *)&a, &al) < 0)
		goto err;
	ep_add(s->pasv, EPOLLIN, &s->pasv_ref);
	port = ntohs(a.sin_port);
	if (epsv)
		reply(s, "229 Entering Extended Passive Mode (|||%u|)\r\n",
		      port);
	else
		reply(s, "227 Entering Passive Mode (%u,%u,%u,%u,%u,%u).\r\n",
		      ip[0], ip[1], ip[2], ip[3], port >> 8, port & 0xff);
	return;
err:
	closefd(&s->pasv);
	reply(s, "425 no passive port\r\n");
}

static bool parse_port(struct sess *s, const char *arg)
{
	unsigned h[6];
	int i;

	if (sscanf(arg, "%u,%u,%u,%u,%u,%u", &h[0], &h[1], &h[2], &h[3],
		   &h[4], &h[5]) != 6)
		return false;
	for (i = 0; i < 6; i++)
		if (h[i] > 255)
			return false;
	memset(&s->port_to, 0, sizeof(s->port_to));
	s->port_to.sin_family = AF_INET;
	s->port_to.sin_addr.s_addr = htonl(h[0] << 24 | h[1] << 16 |
					   h[2] << 8 | h[3]);
	s->port_to.sin_port = htons((uint16_t)(h[4] << 8 | h[5]));
	return true;
}

static bool parse_eprt(struct sess *s, const char *arg)
{
	char d = arg[0], addr[64];
	unsigned port;
	char fmt[32];

	if (!d)
		return false;
	snprintf(fmt, sizeof(fmt), "%c1%c%%63[^%c]%c%%u%c", d, d, d, d, d);
	if (sscanf(arg, fmt, addr, &port) != 2 || port > 65535)
		return false;
	memset(&s->port_to, 0, sizeof(s->port_to));
	s->port_to.sin_family = AF_INET;
	s->port_to.sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, addr, &s->port_to.sin_addr) == 1;
}

static void cmd_transfer(struct sess *s, bool nlst, const char *arg)
{
	if (s->sending || s->want) {
		reply(s, "425 busy\r\n");
		return;
	}
	s->nlst = nlst;
	s->left = nlst ? 11 : strtoull(arg, NULL, 10);
	if (s->have_port) {
		/* active: connect to the announced address from any port */
		s->have_port = false;
		s->data = nb_socket();
		if (s->data < 0 ||
		    (connect(s->data, (struct sockaddr *)&s->port_to,
			     sizeof(s->port_to)) < 0 && errno != EINPROGRESS)) {
			closefd(&s->data);
			reply(s, "425 cannot connect\r\n");
			return;
		}
		/* writable once connected */
		ep_add(s->data, 0, &s->data_ref);
		data_start(s);
		return;
	}
	if (s->data >= 0) {
		data_start(s);		/* connected before the command */
		return;
	}
	if (s->pasv < 0) {
		reply(s, "425 use PASV or PORT first\r\n");
		return;
	}
	s->want = true;		/* on accept */
}

static void command(struct sess *s, char *line)
{
	char *arg = strchr(line, ' ');

	if (arg)
		*arg++ = '\0';
	else
		arg = line + strlen(line);
	if (!strcasecmp(line, "USER"))
		reply(s, "331 password\r\n");
	else if (!strcasecmp(line, "PASS"))
		reply(s, "230 in\r\n");
	else if (!strcasecmp(line, "NOOP") || !strcasecmp(line, "TYPE"))
		reply(s, "200 ok\r\n");
	else if (!strcasecmp(line, "PASV"))
		cmd_pasv(s, false);
	else if (!strcasecmp(line, "EPSV"))
		cmd_pasv(s, true);
	else if (!strcasecmp(line, "PORT") || !strcasecmp(line, "EPRT")) {
		s->have_port = line[1] == 'O' || line[1] == 'o' ?
			       parse_port(s, arg) : parse_eprt(s, arg);
		if (s->have_port)
			closefd(&s->pasv);
		reply(s, s->have_port ? "200 ok\r\n" : "501 bad address\r\n");
	} else if (!strcasecmp(line, "NLST"))
		cmd_transfer(s, true, arg);
	else if (!strcasecmp(line, "RETR"))
		cmd_transfer(s, false, arg);
	else if (!strcasecmp(line, "QUIT")) {
		reply(s, "221 bye\r\n");
		shutdown(s->ctl, SHUT_WR);
	} else
		reply(s, "502 not here\r\n");
}

/* Returns false when the session is gone. */
static bool ctl_read(struct sess *s)
{
	char *nl;
	ssize_t n;

	n = read(s->ctl, s->in + s->inlen, sizeof(s->in) - 1 - s->inlen);
	if (n < 0 && errno == EAGAIN)
		return true;
	if (n <= 0) {
		sess_free(s);
		return false;
	}
	s->inlen += (size_t)n;
	s->in[s->inlen] = '\0';
	while ((nl = memchr(s->in, '\n', s->inlen))) {
		size_t used = (size_t)(nl - s->in) + 1;

		*nl = '\0';
		if (nl > s->in && nl[-1] == '\r')
			nl[-1] = '\0';
		command(s, s->in);
		memmove(s->in, s->in + used, s->inlen - used);
		s->inlen -= used;
	}
	if (s->inlen >= sizeof(s->in) - 1) {
		sess_free(s);		/* a line too long: not our client */
		return false;
	}
	return true;
}

static void pasv_accept(struct sess *s)
{
	int fd = accept4(s->pasv, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	int one = 1;

	if (fd < 0)
		return;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	closefd(&s->pasv);	/* one connection per PASV */
	if (s->data >= 0) {
		close(fd);
		return;
	}
	s->data = fd;
	ep_add(s->data, 0, &s->data_ref);	/* only hang-ups until RETR */
	if (s->want)
		data_start(s);
}

static void new_session(int lfd)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct sess *s;
	int one = 1;

	if (fd < 0)
		return;
	s = calloc(1, sizeof(*s));
	if (!s) {
		close(fd);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	s->ctl = fd;
	s->pasv = s->data = -1;
	s->ctl_ref = (struct ref){ R_CTL, s };
	s->pasv_ref = (struct ref){ R_PASV, s };
	s->data_ref = (struct ref){ R_DATA, s };
	ep_add(fd, EPOLLIN, &s->ctl_ref);
	reply(s, "220 bench_ftpd\r\n");
}

static void data_event(struct sess *s, uint32_t ev)
{
	if (s->sending) {
		data_push(s);
		return;
	}
	/* accepted before RETR: only a hang-up is reported */
	if (ev & (EPOLLHUP | EPOLLERR))
		closefd(&s->data);
}

static int listen_on(const char *spec)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	char host[64];
	unsigned port;
	int fd, one = 1;

	if (sscanf(spec, "%63[^:]:%u", host, &port) != 2 || port > 65535 ||
	    inet_pton(AF_INET, host, &a.sin_addr) != 1) {
		fprintf(stderr, "bench_ftpd: -l wants ADDR:PORT, not %s\n",
			spec);
		exit(2);
	}
	a.sin_port = htons((uint16_t)port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		exit(1);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(fd, 4096) < 0) {
		perror("bench_ftpd: bind/listen");
		exit(1);
	}
	return fd;
}

int main(int argc, char **argv)
{
	struct ref lref = { R_LISTEN, NULL };
	struct epoll_event evs[256];
	const char *lspec = NULL;
	int opt, lfd, i, n;

	while ((opt = getopt(argc, argv, "l:a:")) != -1) {
		switch (opt) {
		case 'l':
			lspec = optarg;
			break;
		case 'a':
			if (inet_pton(AF_INET, optarg, &pasv_addr) != 1) {
				fprintf(stderr, "bench_ftpd: bad -a %s\n",
					optarg);
				return 2;
			}
			pasv_fixed = true;
			break;
		default:
			fprintf(stderr, "usage: bench_ftpd -l ADDR:PORT "
				"[-a PASV_ADDR]\n");
			return 2;
		}
	}
	if (!lspec) {
		fprintf(stderr, "usage: bench_ftpd -l ADDR:PORT "
			"[-a PASV_ADDR]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	ep = epoll_create1(EPOLL_CLOEXEC);
	lfd = listen_on(lspec);
	ep_add(lfd, EPOLLIN, &lref);
	for (;;) {
		n = epoll_wait(ep, evs, 256, -1);
		for (i = 0; i < n; i++) {
			struct ref *r = evs[i].data.ptr;

			if (r->s && r->s->dead)
				continue;
			switch (r->role) {
			case R_LISTEN:
				new_session(lfd);
				break;
			case R_CTL:
				ctl_read(r->s);
				break;
			case R_PASV:
				pasv_accept(r->s);
				break;
			case R_DATA:
				data_event(r->s, evs[i].events);
				break;
			}
		}
		reap();
	}
}
