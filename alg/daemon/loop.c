// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One thread, one epoll loop over:
 *   the NFQUEUE socket   control-connection packets -> inspect.c
 *   ctnetlink events     conntrack destroy -> alg_session_close()
 *   nftables events      ruleset changes -> rulewatch.c
 *   the control socket   ftp-algctl requests
 *   a signalfd           SIGTERM/SIGINT: stop; SIGHUP: say why not
 * and two timers: alg_tick() at the engine's deadlines, pinhole
 * bookkeeping once a second.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>

#include "conntrack.h"
#include "ctl.h"
#include "daemon.h"
#include "queue.h"
#include "rulewatch.h"
#include "ftp-alg/ruleset.h"

#define QUEUE_BATCH	64	/* packets per wakeup before other fds */
#define LOOP_EVENTS	8

enum { TAG_QUEUE, TAG_CT, TAG_CTL, TAG_SIG, TAG_RULES };

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int epoll_add(int ep, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static int signals_open(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

/* The epoll set over the queue, conntrack events, ctl and signals. */
int loop_open(struct daemon *d)
{
	if (rulewatch_open(d))
		return -1;
	d->sfd = signals_open();
	d->ep = epoll_create1(EPOLL_CLOEXEC);
	if (d->sfd < 0 || d->ep < 0 ||
	    epoll_add(d->ep, rulewatch_fd(d), TAG_RULES) < 0 ||
	    epoll_add(d->ep, queue_fd(d->q), TAG_QUEUE) < 0 ||
	    epoll_add(d->ep, ct_events_fd(d->ct), TAG_CT) < 0 ||
	    epoll_add(d->ep, ctl_fd(d->ctl), TAG_CTL) < 0 ||
	    epoll_add(d->ep, d->sfd, TAG_SIG) < 0) {
		log_fatal("cannot set up the event loop: %s", strerror(errno));
		loop_close(d);
		return -1;
	}
	return 0;
}

void loop_close(struct daemon *d)
{
	if (d->ep >= 0)
		close(d->ep);
	if (d->sfd >= 0)
		close(d->sfd);
	d->ep = d->sfd = -1;
	rulewatch_close(d);
}

/* true: stop */
static bool on_signal(int sfd)
{
	struct signalfd_siginfo si;
	bool stop = false;

	while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			log_info("SIGHUP: no reload; restart to apply a new "
				 "configuration");
			continue;
		}
		log_info("%s: shutting down", strsignal((int)si.ssi_signo));
		stop = true;
	}
	return stop;
}

static void on_ct_destroy(const struct ct_entry *e, void *arg)
{
	struct daemon *d = arg;
	struct alg_session *s;

	/* our sessions are keyed as seen at forward: pre-SNAT, post-DNAT */
	struct alg_tuple tu = {
		.family = e->orig.family,
		.caddr = e->orig.src, .cport = e->orig.sport,
		.saddr = e->reply.src, .sport = e->reply.sport,
	};

	s = alg_find(d->tab, &tu);
	if (!s)
		return;
	d->st.ct_destroyed++;
	alg_result_reset(&d->res);
	alg_session_close(d->tab, s, ALG_R_CLOSE_CONNTRACK, now_ms(),
			  &d->res);
	results_apply(d, &d->res, s);
}

static void on_tick(struct daemon *d, uint64_t now)
{
	unsigned ms;

	alg_result_reset(&d->res);
	ms = alg_tick(d->tab, now, &d->res);
	results_apply(d, &d->res, NULL);
	d->next_tick_ms = now + (ms ? ms : 1);
}

/* One ready fd; true: stop (a signal), with *status. */
static bool on_ready(struct daemon *d, uint32_t tag, int *status)
{
	int ret;

	switch (tag) {
	case TAG_QUEUE:
		ret = queue_read(d->q, QUEUE_BATCH, inspect_packet, d);
		if (ret < 0) {
			log_err("queue socket: %s", strerror(-ret));
			*status = 1;
			return true;
		}
		break;
	case TAG_CT:
		ret = ct_events_read(d->ct, on_ct_destroy, d);
		if (ret < 0)
			log_err("conntrack events: %s", strerror(-ret));
		break;
	case TAG_CTL:
		ctl_run(d->ctl, now_ms());
		break;
	case TAG_RULES:
		rulewatch_read(d, now_ms());
		break;
	case TAG_SIG:
		*status = 0;
		return on_signal(d->sfd);
	}
	return false;
}

static void on_timers(struct daemon *d)
{
	uint64_t now = now_ms();

	if (now >= d->next_tick_ms)
		on_tick(d, now);
	rulewatch_tick(d, now);
	if (now >= d->next_pin_ms) {
		pinholes_check(d, now);
		ctl_run(d->ctl, now);	/* client deadlines */
		d->next_pin_ms = now + PINHOLE_CHECK_MS;
	}
}

/* Until a signal says stop (0) or a socket fails (1). */
int loop_run(struct daemon *d)
{
	struct epoll_event evs[LOOP_EVENTS];
	int n, i, timeout, status = 0;
	uint64_t now, next;

	d->started = true;
	d->next_tick_ms = d->next_pin_ms = now_ms();
	for (;;) {
		now = now_ms();
		next = d->next_tick_ms < d->next_pin_ms ? d->next_tick_ms
							: d->next_pin_ms;
		if (rulewatch_due(d) < next)
			next = rulewatch_due(d);
		timeout = next > now ? (int)(next - now) : 0;
		n = epoll_wait(d->ep, evs, LOOP_EVENTS, timeout);
		if (n < 0 && errno != EINTR) {
			log_err("epoll_wait: %s", strerror(errno));
			return 1;
		}
		for (i = 0; i < n; i++)
			if (on_ready(d, evs[i].data.u32, &status))
				return status;
		on_timers(d);
	}
}

/*
 * Stop queueing first, then finish what is queued, then let the engine
 * release what it holds, then close every pinhole we opened. 0, or 1 if
 * a rule or a pinhole could not be removed.
 */
int loop_finish(struct daemon *d)
{
	int ret, fail = 0, i;
	unsigned left;

	ret = ruleset_queue_remove(d->fw);
	if (ret) {
		log_err("cannot remove queue rules: %s", strerror(-ret));
		fail = 1;
	}
	for (i = 0; i < 16; i++)
		if (queue_read(d->q, QUEUE_BATCH, inspect_packet, d) <= 0)
			break;
	/* every held packet gets its verdict; the result may fill up */
	do {
		alg_result_reset(&d->res);
		left = alg_table_flush(d->tab, now_ms(), &d->res);
		results_apply(d, &d->res, NULL);
	} while (left);
	if (pinholes_remove(d, 0, true, now_ms()))
		fail = 1;
	return fail;
}
