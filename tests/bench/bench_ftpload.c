// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench_ftpload: the benchmark's FTP client and load generator.
 *
 *   bench_ftpload lat  -s ADDR:PORT -n COUNT -c noop|pasv|port
 *	one control connection, COUNT round trips of the command;
 *	prints p50 and p99 in microseconds
 *   bench_ftpload rate -s ADDR:PORT -c SESSIONS -t SECONDS [-p] [-q]
 *		[-B ADDR,ADDR...]
 *	SESSIONS control connections (one epoll loop, non-blocking), each
 *	repeating PASV, connect, NLST, read to the end, 226; prints the
 *	setups per second, the per-second minimum and median, and the
 *	worst single setup (-p: every second's count too). -B: the
 *	sessions' source addresses, in turn (an NFQUEUE balance hashes on
 *	addresses only: one client address would fill one queue). -q:
 *	each setup is a whole session instead: connect, log in, PASV,
 *	connect, NLST, 226, close (sessions begin and end as fast)
 *   bench_ftpload xfer -s ADDR:PORT -b BYTES -m active|passive
 *	one RETR of BYTES; prints the throughput
 *
 * Output is one line of key=value pairs, for tests/bench/run.sh.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SECONDS	3600

static struct sockaddr_in server;
#define MAX_SRC		64
static struct in_addr src[MAX_SRC];
static unsigned nsrc;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_ftpload: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void nodelay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* ---- blocking helpers for lat and xfer ---- */

struct ctl {
	int fd;
	char buf[4096];
	size_t len;
};

/* One reply line (single-line replies only, as bench_ftpd sends):
 * its code, the text in line. */
static int ctl_reply(struct ctl *c, char *line, size_t cap)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		ssize_t n;

		if (nl) {
			size_t used = (size_t)(nl - c->buf) + 1;
			size_t l = used < cap ? used : cap - 1;

			memcpy(line, c->buf, l);
			line[l] = '\0';
			memmove(c->buf, c->buf + used, c->len - used);
			c->len -= used;
			return atoi(line);
		}
		n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
		if (n <= 0) {
			errno = n ? errno : ECONNRESET;
			die("control connection");
		}
		c->len += (size_t)n;
	}
}

static int ctl_cmd(struct ctl *c, const char *cmd, char *line, size_t cap)
{
	size_t n = strlen(cmd);

	if (write(c->fd, cmd, n) != (ssize_t)n)
		die("write");
	return ctl_reply(c, line, cap);
}

static void ctl_open(struct ctl *c)
{
	char line[512];

	c->len = 0;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&server,
				 sizeof(server)) < 0)
		die("connect");
	nodelay(c->fd);
	if (ctl_reply(c, line, sizeof(line)) != 220 ||
	    ctl_cmd(c, "USER bench\r\n", line, sizeof(line)) != 331 ||
	    ctl_cmd(c, "PASS bench\r\n", line, sizeof(line)) != 230) {
		fprintf(stderr, "bench_ftpload: login failed: %s", line);
		exit(1);
	}
}

/* "227 ... (h1,h2,h3,h4,p1,p2)" -> address */
static bool parse_227(const char *line, struct sockaddr_in *a)
{
	const char *p = strchr(line, '(');
	unsigned h[6];

	if (!p || sscanf(p + 1, "%u,%u,%u,%u,%u,%u", &h[0], &h[1], &h[2],
			 &h[3], &h[4], &h[5]) != 6)
		return false;
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(h[0] << 24 | h[1] << 16 | h[2] << 8 | h[3]);
	a->sin_port = htons((uint16_t)(h[4] << 8 | h[5]));
	return true;
}

static int run_lat(unsigned count, const char *what)
{
	uint64_t *t = calloc(count, sizeof(*t));
	char cmd[128], line[512];
	struct sockaddr_in me;
	socklen_t ml = sizeof(me);
	int want, got;
	struct ctl c;
	unsigned i;
	bool port = false;
	uint32_t a = 0;

	if (!t)
		die("calloc");
	ctl_open(&c);
	if (getsockname(c.fd, (struct sockaddr *)&me, &ml) < 0)
		die("getsockname");
	if (!strcmp(what, "noop")) {
		snprintf(cmd, sizeof(cmd), "NOOP\r\n");
		want = 200;
	} else if (!strcmp(what, "pasv")) {
		snprintf(cmd, sizeof(cmd), "PASV\r\n");
		want = 227;
	} else if (!strcmp(what, "port")) {
		a = ntohl(me.sin_addr.s_addr);
		port = true;
		want = 200;
	} else {
		fprintf(stderr, "bench_ftpload: lat -c noop|pasv|port\n");
		return 2;
	}
	for (i = 0; i < count; i++) {
		uint64_t t0;

		/*
		 * nobody listens there: the 200 is what is timed. A new port
		 * each time, as a client's ephemeral data port would be.
		 */
		if (port) {
			unsigned p = 40000 + i % 20000;

			snprintf(cmd, sizeof(cmd),
				 "PORT %u,%u,%u,%u,%u,%u\r\n", a >> 24,
				 a >> 16 & 255, a >> 8 & 255, a & 255, p >> 8,
				 p & 255);
		}
		t0 = now_ns();
		got = ctl_cmd(&c, cmd, line, sizeof(line));
		t[i] = now_ns() - t0;
		if (got != want) {
			fprintf(stderr, "bench_ftpload: %s: got %s", what,
				line);
			return 1;
		}
	}
	qsort(t, count, sizeof(*t), cmp_u64);
	printf("lat cmd=%s n=%u p50_us=%.1f p99_us=%.1f max_us=%.1f\n", what,
	       count, t[count / 2] / 1e3, t[(size_t)count * 99 / 100] / 1e3,
	       t[count - 1] / 1e3);
	close(c.fd);
	free(t);
	return 0;
}

static int run_xfer(uint64_t bytes, const char *mode)
{
	static char buf[1 << 17];
	char cmd[128], line[512];
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	uint64_t got = 0, t0;
	int lfd = -1, dfd, code;
	struct ctl c;
	double secs;
	ssize_t n;

	ctl_open(&c);
	if (!strcmp(mode, "passive")) {
		if (ctl_cmd(&c, "PASV\r\n", line, sizeof(line)) != 227 ||
		    !parse_227(line, &a)) {
			fprintf(stderr, "bench_ftpload: PASV: %s", line);
			return 1;
		}
		dfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (dfd < 0 || connect(dfd, (struct sockaddr *)&a,
				       sizeof(a)) < 0)
			die("data connect");
	} else if (!strcmp(mode, "active")) {
		uint32_t h;
		uint16_t p;

		if (getsockname(c.fd, (struct sockaddr *)&a, &al) < 0)
			die("getsockname");
		a.sin_port = 0;
		lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, al) < 0 ||
		    listen(lfd, 1) < 0 ||
		    getsockname(lfd, (struct sockaddr *)&a, &al) < 0)
			die("data listen");
		h = ntohl(a.sin_addr.s_addr);
		p = ntohs(a.sin_port);
		snprintf(cmd, sizeof(cmd), "PORT %u,%u,%u,%u,%u,%u\r\n",
			 h >> 24, h >> 16 & 255, h >> 8 & 255, h & 255,
			 p >> 8, p & 255);
		if (ctl_cmd(&c, cmd, line, sizeof(line)) != 200) {
			fprintf(stderr, "bench_ftpload: PORT: %s", line);
			return 1;
		}
		dfd = -1;
	} else {
		fprintf(stderr, "bench_ftpload: xfer -m active|passive\n");
		return 2;
	}
	snprintf(cmd, sizeof(cmd), "RETR %llu\r\n", (unsigned long long)bytes);
	t0 = now_ns();
	if (ctl_cmd(&c, cmd, line, sizeof(line)) != 150) {
		fprintf(stderr, "bench_ftpload: RETR: %s", line);
		return 1;
	}
	if (dfd < 0) {
		dfd = accept(lfd, NULL, NULL);
		if (dfd < 0)
			die("accept");
	}
	while ((n = read(dfd, buf, sizeof(buf))) > 0)
		got += (uint64_t)n;
	secs = (now_ns() - t0) / 1e9;
	close(dfd);
	code = ctl_reply(&c, line, sizeof(line));
	if (got != bytes || code != 226) {
		fprintf(stderr, "bench_ftpload: got %llu of %llu bytes, %s",
			(unsigned long long)got, (unsigned long long)bytes,
			line);
		return 1;
	}
	printf("xfer how=%s bytes=%llu secs=%.3f mbit_s=%.0f\n", mode,
	       (unsigned long long)bytes, secs, bytes * 8 / secs / 1e6);
	if (lfd >= 0)
		close(lfd);
	close(c.fd);
	return 0;
}

/* ---- rate: many sessions in one epoll loop ---- */

enum st { S_GREET, S_USER, S_PASS, S_READY, S_PASV, S_XFER, S_DEAD };

struct lsess;

struct lref {
	struct lsess *s;
	bool data;
};

struct lsess {
	struct lref cref, dref;
	int ctl, data;
	enum st st;
	char in[1024];
	size_t inlen;
	bool got_226, data_eof;
	uint64_t t0;
	uint64_t t227;			/* the 227 came (0: not yet) */
	struct sockaddr_in local;	/* the control connection's address */
	unsigned idx;
};

static int ep;
/* -q: each setup is a whole session (connect, log in, PASV, NLST, close):
 * the daemon sees sessions begin and end as fast as setups */
static bool churn;
static bool started;
static uint64_t *per_sec;
static uint64_t start_ns, end_ns, worst_ns, setups, failures;
/* the worst setup's two halves: to its 227, and from it to the end */
static uint64_t worst_pasv_ns, worst_rest_ns;
static unsigned nready;

static void send_cmd(struct lsess *s, const char *cmd)
{
	size_t n = strlen(cmd);

	if (write(s->ctl, cmd, n) != (ssize_t)n)
		die("control write");
}

static void setup_begin(struct lsess *s)
{
	s->st = S_PASV;
	s->got_226 = s->data_eof = false;
	s->t227 = 0;
	if (!churn || !started)
		s->t0 = now_ns();
	send_cmd(s, "PASV\r\n");
}

static void sess_open(struct lsess *s, unsigned i, bool block);

/* Why a setup failed, for the first few. */
static void setup_why(const char *fmt, const char *arg)
{
	if (failures >= 5)
		return;
	fprintf(stderr, "bench_ftpload: setup failed: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
}

static void setup_end(struct lsess *s, bool ok)
{
	uint64_t t = now_ns();

	if (s->data >= 0)
		close(s->data);
	s->data = -1;
	if (!ok) {
		/* replies may be out of step now: the session ends */
		failures++;
		epoll_ctl(ep, EPOLL_CTL_DEL, s->ctl, NULL);
		s->st = S_DEAD;
		return;
	}
	if (t >= end_ns) {
		s->st = S_READY;	/* done: idle until the end */
		return;
	}
	setups++;
	if ((t - start_ns) / 1000000000u < MAX_SECONDS)
		per_sec[(t - start_ns) / 1000000000u]++;
	if (t - s->t0 > worst_ns) {
		worst_ns = t - s->t0;
		worst_pasv_ns = s->t227 ? s->t227 - s->t0 : worst_ns;
		worst_rest_ns = s->t227 ? t - s->t227 : 0;
	}
	if (churn) {
		/* the session ends; the next setup is a new one */
		close(s->ctl);
		s->inlen = 0;
		s->t0 = t;
		sess_open(s, s->idx, false);
		return;
	}
	setup_begin(s);
}

static void data_open(struct lsess *s, const char *line)
{
	struct sockaddr_in a;
	struct epoll_event e = { .events = EPOLLIN, .data.ptr = &s->dref };

	if (!parse_227(line, &a)) {
		setup_why("no address in %s", line);
		setup_end(s, false);
		return;
	}
	s->data = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			 0);
	if (s->data < 0)
		die("socket");
	/* from the control connection's address, as FTP clients do: the
	 * kernel helper's expectations and the pinholes name it */
	s->local.sin_port = 0;
	if (bind(s->data, (struct sockaddr *)&s->local, sizeof(s->local)) < 0)
		die("bind data");
	if (connect(s->data, (struct sockaddr *)&a, sizeof(a)) < 0 &&
	    errno != EINPROGRESS) {
		setup_why("data connect: %s", strerror(errno));
		setup_why("(after %s)", line);
		{
			char b[64];

			snprintf(b, sizeof(b), "%s:%u",
				 inet_ntoa(s->local.sin_addr),
				 ntohs(s->local.sin_port));
			setup_why("(control connection from %s)", b);
		}
		setup_end(s, false);
		return;
	}
	if (epoll_ctl(ep, EPOLL_CTL_ADD, s->data, &e) < 0)
		die("epoll_ctl");
	s->st = S_XFER;
	send_cmd(s, "NLST\r\n");
}

static void on_reply(struct lsess *s, int code, const char *line)
{
	switch (s->st) {
	case S_GREET:
		if (code != 220)
			goto bad;
		s->st = S_USER;
		send_cmd(s, "USER bench\r\n");
		return;
	case S_USER:
		if (code != 331)
			goto bad;
		s->st = S_PASS;
		send_cmd(s, "PASS bench\r\n");
		return;
	case S_PASS:
		if (code != 230)
			goto bad;
		if (churn && started) {
			setup_begin(s);
			return;
		}
		s->st = S_READY;
		nready++;
		return;
	case S_READY:
	case S_DEAD:
		goto bad;
	case S_PASV:
		if (code != 227) {
			setup_why("PASV: %s", line);
			setup_end(s, false);
			return;
		}
		s->t227 = now_ns();
		data_open(s, line);
		return;
	case S_XFER:
		if (code == 150)
			return;
		if (code != 226) {
			setup_why("NLST: %s", line);
			setup_end(s, false);
			return;
		}
		s->got_226 = true;
		if (s->data_eof)
			setup_end(s, true);
		return;
	}
bad:
	fprintf(stderr, "bench_ftpload: unexpected reply: %s", line);
	exit(1);
}

static void ctl_event(struct lsess *s)
{
	ssize_t n = read(s->ctl, s->in + s->inlen, sizeof(s->in) - s->inlen);
	char *nl;

	if (s->st == S_DEAD || (n < 0 && errno == EAGAIN))
		return;
	if (n <= 0) {
		fprintf(stderr, "bench_ftpload: control connection closed\n");
		exit(1);
	}
	s->inlen += (size_t)n;
	while (s->st != S_DEAD && (nl = memchr(s->in, '\n', s->inlen))) {
		size_t used = (size_t)(nl - s->in) + 1;
		char line[sizeof(s->in) + 1];

		memcpy(line, s->in, used);
		line[used] = '\0';
		memmove(s->in, s->in + used, s->inlen - used);
		s->inlen -= used;
		on_reply(s, atoi(line), line);
	}
}

static void data_event(struct lsess *s)
{
	char buf[4096];
	ssize_t n;

	if (s->data < 0)
		return;
	while ((n = read(s->data, buf, sizeof(buf))) > 0)
		;
	if (n < 0 && errno == EAGAIN)
		return;
	if (n < 0) {
		setup_why("data connection: %s", strerror(errno));
		setup_end(s, false);
		return;
	}
	epoll_ctl(ep, EPOLL_CTL_DEL, s->data, NULL);
	close(s->data);
	s->data = -1;
	s->data_eof = true;
	if (s->got_226)
		setup_end(s, true);
}

static void loop_until(uint64_t until_ns, bool (*done)(void))
{
	struct epoll_event evs[512];
	int i, n;

	while (now_ns() < until_ns && !(done && done())) {
		n = epoll_wait(ep, evs, 512, 100);
		for (i = 0; i < n; i++) {
			struct lref *r = evs[i].data.ptr;

			if (r->data)
				data_event(r->s);
			else
				ctl_event(r->s);
		}
	}
}

static unsigned nsess;

static bool all_ready(void)
{
	return nready == nsess;
}

/* A control connection for s, from source address i % nsrc (-B). */
static void sess_open(struct lsess *s, unsigned i, bool block)
{
	struct epoll_event e = { .events = EPOLLIN, .data.ptr = &s->cref };
	socklen_t ll = sizeof(s->local);

	s->st = S_GREET;
	s->ctl = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC |
			(block ? 0 : SOCK_NONBLOCK), 0);
	if (s->ctl >= 0 && nsrc) {
		struct sockaddr_in b = { .sin_family = AF_INET,
					 .sin_addr = src[i % nsrc] };

		if (bind(s->ctl, (struct sockaddr *)&b, sizeof(b)) < 0)
			die("bind -B");
	}
	/* non-blocking: the greeting's EPOLLIN says it is connected */
	if (s->ctl < 0 ||
	    (connect(s->ctl, (struct sockaddr *)&server, sizeof(server)) < 0 &&
	     (block || errno != EINPROGRESS)))
		die("connect");
	nodelay(s->ctl);
	if (getsockname(s->ctl, (struct sockaddr *)&s->local, &ll) < 0)
		die("getsockname");
	if (epoll_ctl(ep, EPOLL_CTL_ADD, s->ctl, &e) < 0)
		die("epoll_ctl");
}

static int run_rate(unsigned sessions, unsigned seconds, bool print_secs)
{
	struct lsess *ss = calloc(sessions, sizeof(*ss));
	uint64_t sorted[MAX_SECONDS];
	unsigned i, full;

	per_sec = calloc(MAX_SECONDS, sizeof(*per_sec));
	if (!ss || !per_sec)
		die("calloc");
	if (seconds > MAX_SECONDS)
		seconds = MAX_SECONDS;
	nsess = sessions;
	ep = epoll_create1(EPOLL_CLOEXEC);
	for (i = 0; i < sessions; i++) {
		ss[i].cref = (struct lref){ &ss[i], false };
		ss[i].dref = (struct lref){ &ss[i], true };
		ss[i].data = -1;
		ss[i].idx = i;
		/* blocking connect: the handshake is not what is measured */
		sess_open(&ss[i], i, true);
	}
	loop_until(now_ns() + 30000000000u, all_ready);
	if (!all_ready()) {
		fprintf(stderr, "bench_ftpload: %u of %u sessions logged in\n",
			nready, sessions);
		return 1;
	}
	start_ns = now_ns();
	end_ns = start_ns + (uint64_t)seconds * 1000000000u;
	for (i = 0; i < sessions; i++)
		setup_begin(&ss[i]);
	started = true;
	loop_until(end_ns, NULL);
	full = seconds;
	memcpy(sorted, per_sec, full * sizeof(*sorted));
	qsort(sorted, full, sizeof(*sorted), cmp_u64);
	printf("rate%s sessions=%u secs=%u setups=%llu failures=%llu "
	       "per_s=%.0f sec_min=%llu sec_median=%llu worst_ms=%.2f "
	       "worst_to227_ms=%.2f worst_after227_ms=%.2f",
	       churn ? " churn=1" : "", sessions, seconds, (unsigned long long)setups,
	       (unsigned long long)failures, (double)setups / seconds,
	       (unsigned long long)sorted[0],
	       (unsigned long long)sorted[full / 2], worst_ns / 1e6,
	       worst_pasv_ns / 1e6, worst_rest_ns / 1e6);
	if (print_secs) {
		printf(" each=");
		for (i = 0; i < full; i++)
			printf("%s%llu", i ? "," : "",
			       (unsigned long long)per_sec[i]);
	}
	printf("\n");
	for (i = 0; i < sessions; i++) {
		if (ss[i].data >= 0)
			close(ss[i].data);
		close(ss[i].ctl);
	}
	free(ss);
	if (failures)
		fprintf(stderr, "bench_ftpload: %llu setups failed (a 4xx "
			"reply, or the data connection refused)\n",
			(unsigned long long)failures);
	return failures ? 1 : 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench_ftpload lat -s ADDR:PORT -n COUNT -c noop|pasv|port\n"
		"       bench_ftpload rate -s ADDR:PORT -c SESSIONS -t SECONDS [-p]\n"
		"                [-B ADDR,ADDR...] [-q]\n"
		"       bench_ftpload xfer -s ADDR:PORT -b BYTES -m active|passive\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *mode, *cmd = NULL, *spec = NULL;
	unsigned long long bytes = 0;
	unsigned long n = 0, t = 0;
	bool secs = false;
	char host[64], *tok;
	unsigned port;
	int opt;

	if (argc < 2)
		usage();
	mode = argv[1];
	optind = 2;
	while ((opt = getopt(argc, argv, "s:n:c:t:b:m:pqB:")) != -1) {
		switch (opt) {
		case 'B':
			for (tok = strtok(optarg, ","); tok && nsrc < MAX_SRC;
			     tok = strtok(NULL, ","))
				if (inet_pton(AF_INET, tok, &src[nsrc++]) != 1)
					usage();
			break;
		case 's':
			spec = optarg;
			break;
		case 'n':
			n = strtoul(optarg, NULL, 10);
			break;
		case 'c':
		case 'm':
			cmd = optarg;
			break;
		case 't':
			t = strtoul(optarg, NULL, 10);
			break;
		case 'b':
			bytes = strtoull(optarg, NULL, 10);
			break;
		case 'q':
			churn = true;
			break;
		case 'p':
			secs = true;
			break;
		default:
			usage();
		}
	}
	if (!spec || sscanf(spec, "%63[^:]:%u", host, &port) != 2 ||
	    port > 65535 || inet_pton(AF_INET, host, &server.sin_addr) != 1)
		usage();
	server.sin_family = AF_INET;
	server.sin_port = htons((uint16_t)port);
	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(mode, "lat") && n && cmd)
		return run_lat((unsigned)n, cmd);
	if (!strcmp(mode, "rate") && cmd && t) {
		unsigned long c = strtoul(cmd, NULL, 10);

		if (!c)
			usage();
		return run_rate((unsigned)c, (unsigned)t, secs);
	}
	if (!strcmp(mode, "xfer") && bytes && cmd)
		return run_xfer(bytes, cmd);
	usage();
	return 2;
}
