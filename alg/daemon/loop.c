// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The main thread's epoll loop (the queues are the workers', workers.c):
 *   nftables events      ruleset changes -> rulewatch.c
 *   the control socket   ftp-algctl requests
 *   a signalfd           SIGHUP: reload; SIGUSR1: state to the log;
 *                        SIGTERM and the rest that would kill us: stop
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
#include "signals.h"
#include "rulewatch.h"
#include "metrics_http.h"
#include "trace.h"
#include "park.h"
#include "workers.h"
#include "ftp-alg/ruleset.h"

#define LOOP_EVENTS	8
/* a worker whose loop has not turned for this long is stuck */
#define WORKER_STUCK_MS	(3 * PINHOLE_CHECK_MS)

enum { TAG_CTL, TAG_SIG, TAG_RULES, TAG_METRICS, TAG_TRACE };

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

/* The epoll set over ruleset events, ctl, signals and trace lines. */
int loop_open(struct daemon *d)
{
	if (rulewatch_open(d))
		return -1;
	d->sfd = signals_open();
	d->ep = epoll_create1(EPOLL_CLOEXEC);
	if (d->sfd < 0 || d->ep < 0 ||
	    epoll_add(d->ep, rulewatch_fd(d), TAG_RULES) < 0 ||
	    epoll_add(d->ep, workers_trace_fd(d), TAG_TRACE) < 0 ||
	    epoll_add(d->ep, ctl_fd(d->ctl), TAG_CTL) < 0 ||
	    epoll_add(d->ep, d->sfd, TAG_SIG) < 0 ||
	    (d->mh && epoll_add(d->ep, metrics_http_fd(d->mh),
				TAG_METRICS) < 0)) {
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

/* true: stop (signals.c says which signal does what) */
static bool on_signal(struct daemon *d)
{
	struct signalfd_siginfo si;
	char name[SIG_NAME_LEN];
	bool stop = false;

	while (read(d->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		signal_name((int)si.ssi_signo, name, sizeof(name));
		switch (signal_action((int)si.ssi_signo)) {
		case SIG_ACT_RELOAD:
			log_info("%s: reloading %s", name, d->config_path ?
				 d->config_path : "(no --config)");
			reload_run(d);
			break;
		case SIG_ACT_STATE:
			report_state(d, now_ms());
			break;
		case SIG_ACT_STOP:
			log_info("%s: shutting down", name);
			stop = true;
			break;
		case SIG_ACT_DEFAULT:
			break;
		}
	}
	return stop;
}

/* One ready fd; true: stop (a signal), with *status. */
static bool on_ready(struct daemon *d, uint32_t tag, int *status)
{
	switch (tag) {
	case TAG_TRACE:
		workers_trace_drain(d);
		break;
	case TAG_CTL:
		ctl_run(d->ctl, now_ms());
		trace_sync(d);
		break;
	case TAG_RULES:
		rulewatch_read(d, now_ms());
		break;
	case TAG_METRICS:
		metrics_http_run(d->mh, now_ms());
		break;
	case TAG_SIG:
		*status = 0;
		return on_signal(d);
	}
	return false;
}

static void on_timers(struct daemon *d)
{
	uint64_t now = now_ms();

	rulewatch_tick(d, now);
	/* the watchdog hears from this loop and every worker's: a hang of
	 * any stops it */
	if (workers_alive(d, now, WORKER_STUCK_MS))
		sdnotify_watchdog(&d->sd, now);
	if (now >= d->next_pin_ms) {
		park_sweep(d, now);
		ctl_run(d->ctl, now);	/* client deadlines */
		trace_sync(d);
		if (d->mh)
			metrics_http_run(d->mh, now);	/* deadlines */
		d->next_pin_ms = now + PINHOLE_CHECK_MS;
	}
}

/* What one wakeup logged leaves (the workers flush their own). */
static void loop_flush(struct daemon *d)
{
	(void)d;
	log_flush();
}

static int loop_wait(struct daemon *d);

/* Until a signal says stop (0) or a socket fails (1). */
int loop_run(struct daemon *d)
{
	int status;

	log_defer(true);
	status = loop_wait(d);
	log_defer(false);
	return status;
}

static int loop_wait(struct daemon *d)
{
	struct epoll_event evs[LOOP_EVENTS];
	int n, i, timeout, status = 0;
	uint64_t now, next;

	d->started = true;
	d->next_pin_ms = now_ms();
	for (;;) {
		now = now_ms();
		next = d->next_pin_ms;
		if (rulewatch_due(d) < next)
			next = rulewatch_due(d);
		if (sdnotify_due(&d->sd) < next)
			next = sdnotify_due(&d->sd);
		timeout = next > now ? (int)(next - now) : 0;
		n = epoll_wait(d->ep, evs, LOOP_EVENTS, timeout);
		if (n < 0 && errno != EINTR) {
			log_err("epoll_wait: %s", strerror(errno));
			return 1;
		}
		for (i = 0; i < n; i++) {
			if (on_ready(d, evs[i].data.u32, &status))
				return status;
			loop_flush(d);
		}
		on_timers(d);
		loop_flush(d);
	}
}

/*
 * The loop ended (a signal, or a socket error): hand over to the next
 * run. The state is written afresh to the journal; the queue rules and
 * the pinholes stay. So while no ftp-algd runs, sessions whose stream we
 * shift wait (their packets are queued without bypass) and the rest pass
 * (bypass, with fail_open), and the next start takes it all over.
 * Packets still queued or held die with the queue socket: their senders
 * retransmit them. `ftp-algd --cleanup` takes everything down for good.
 * 0, or 1 if the state could not be written.
 */
int loop_finish(struct daemon *d)
{
	struct daemon *w;
	unsigned i, n;
	int status = 0;

	if (!d->started)
		return 0;	/* a failed start leaves what it found */
	/* the workers have stopped: their state is ours to write */
	for (i = 0; i <= d->nw; i++) {
		w = i < d->nw ? d->w[i] : d->parked;
		if (!w)
			continue;
		if (journal_compact(w)) {
			status = 1;
			continue;
		}
		n = alg_table_count(w->tab);
		if (w == d->parked && !n && !w->pins.n) {
			unlink(w->jr.path);	/* none left waiting */
			continue;
		}
		log_info("state saved for the next start: %u sessions, %u "
			 "pinholes in %s; queue rules and pinholes stay "
			 "(ftp-algd --cleanup removes them)", n, w->pins.n,
			 w->jr.path);
	}
	return status;
}
