// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The workers: one thread per queue, each an epoll loop over
 *   its NFQUEUE socket   control-connection packets -> inspect.c
 *   its ctnetlink events conntrack destroy -> alg_session_close()
 *   a stop eventfd       the main thread says stop (SIGTERM)
 * and its own timers: alg_tick() at the engine's deadlines, pinhole
 * bookkeeping and journal compaction once a second. Both directions of
 * a flow hash to one queue (docs/kernel-facts.md 12a), so a worker never
 * needs another's sessions. The worker holds its mutex from the end of
 * one epoll_wait() to the start of the next; the main thread takes it
 * for ctl reads, reloads, the ruleset watcher and trace switches.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "conntrack.h"
#include "ctl.h"
#include "daemon.h"
#include "queue.h"
#include "workers.h"
#include "ftp-alg/fw.h"

#define WORKER_BATCH	64	/* packets per wakeup before other fds */
#define WORKER_EVENTS	4

enum { WTAG_QUEUE, WTAG_CT, WTAG_STOP };

struct trace_rec {
	uint64_t sid;
	char *text, *json;
};

struct worker {
	pthread_t th;
	pthread_mutex_t lock;
	bool thread;			/* th runs */
	int ep, stop_fd;
	_Atomic uint64_t alive_ms;	/* the loop's last turn */
	char jpath[PATH_MAX];		/* its journal */
	/* trace lines for the main thread (the boss's wk: wake_fd) */
	pthread_mutex_t tlock;
	struct trace_rec *tq;
	unsigned tn, tcap;
	int wake_fd;			/* the boss's: an eventfd */
};

void worker_lock(struct daemon *w)
{
	pthread_mutex_lock(&w->wk->lock);
}

void worker_unlock(struct daemon *w)
{
	pthread_mutex_unlock(&w->wk->lock);
}

int worker_journal_path(const char *state_file, unsigned i, char *buf,
			size_t len)
{
	int n = i ? snprintf(buf, len, "%s.%u", state_file, i)
		  : snprintf(buf, len, "%s", state_file);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Session ids start from the wall clock: a restart repeats none. */
static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct worker *worker_alloc(void)
{
	struct worker *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	pthread_mutex_init(&k->lock, NULL);
	pthread_mutex_init(&k->tlock, NULL);
	k->ep = k->stop_fd = k->wake_fd = -1;
	return k;
}

/* Worker i: a copy of d's settings, then its own table and sockets. */
static int worker_open(struct daemon *d, unsigned i, struct daemon **out)
{
	struct daemon *w = calloc(1, sizeof(*w));
	uint16_t q = (uint16_t)(d->cfg.queue + i);

	*out = w;
	if (!w)
		return -ENOMEM;
	w->cfg = d->cfg;
	w->cfg.queue = q;
	w->cfg.queues = 1;
	w->config_path = d->config_path;
	w->ctl_path = d->ctl_path;
	w->boss = d;
	w->wid = (uint16_t)i;
	w->ep = w->sfd = -1;
	w->jr.fd = w->jr.lock_fd = -1;
	w->sd.fd = -1;
	w->rl_malformed = d->rl_malformed;
	memcpy(w->rl_limit, d->rl_limit, sizeof(w->rl_limit));
	w->rl_verdict = d->rl_verdict;
	w->rl_journal = d->rl_journal;
	w->wk = worker_alloc();
	if (!w->wk)
		return -ENOMEM;
	if (worker_journal_path(d->cfg.state_file, i, w->wk->jpath,
				sizeof(w->wk->jpath))) {
		log_fatal("state_file %s: too long a name", d->cfg.state_file);
		return -ENAMETOOLONG;
	}
	w->jr.path = w->wk->jpath;
	w->tab = alg_table_new(&d->cfg.pol, (uint16_t)i);
	if (!w->tab) {
		log_fatal("cannot create the session table: %s",
			  strerror(errno ? errno : ENOMEM));
		return -ENOMEM;
	}
	alg_table_seed_ids(w->tab, wall_ms());
	w->ct = ct_open();
	if (!w->ct) {
		log_fatal("cannot open ctnetlink: %s", strerror(errno));
		return -errno;
	}
	w->fw = fw_open();
	if (!w->fw) {
		log_fatal("cannot open nftables netlink socket: %s",
			  strerror(errno));
		return -errno;
	}
	w->q = queue_open(q);
	if (!w->q) {
		log_fatal("cannot bind NFQUEUE %u: %s%s", q, strerror(errno),
			  errno == EPERM || errno == EBUSY ?
			  " (is another program bound to it?)" : "");
		return -errno;
	}
	/* the journal holds the state before a verdict of it leaves */
	queue_set_presend(w->q, journal_flush_hook, w);
	return 0;
}

int workers_open(struct daemon *d)
{
	unsigned i, n = d->cfg.queues ? d->cfg.queues : 1;
	int ret;

	d->w = calloc(n, sizeof(*d->w));
	d->wk = worker_alloc();
	if (!d->w || !d->wk)
		return -ENOMEM;
	d->wk->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (d->wk->wake_fd < 0)
		return -errno;
	for (i = 0; i < n; i++) {
		ret = worker_open(d, i, &d->w[i]);
		if (d->w[i])
			d->nw = i + 1;
		if (ret)
			return ret;
	}
	workers_ct_filter(d);
	return 0;
}

/* Is port p among d->ct_ports? */
static bool ct_port_held(const struct daemon *d, uint16_t p)
{
	unsigned k;

	for (k = 0; k < d->nct_ports; k++)
		if (d->ct_ports[k] == p)
			return true;
	return false;
}

void workers_ct_filter(struct daemon *d)
{
	const uint16_t *cur = d->cfg.pol.ctl_ports;
	unsigned i, n, fresh = 0;
	int ret;

	for (n = 0; n < ALG_MAX_CTL_PORTS && cur[n]; n++)
		fresh += !ct_port_held(d, cur[n]);
	if (d->nct_ports + fresh > CT_FILTER_PORTS)
		d->nct_ports = 0;	/* no room: the current ones only */
	for (i = 0; i < n; i++)
		if (!ct_port_held(d, cur[i]))
			d->ct_ports[d->nct_ports++] = cur[i];
	for (i = 0; i < d->nw; i++) {
		ret = ct_events_filter(d->w[i]->ct, d->ct_ports, d->nct_ports);
		if (ret)
			log_warn("queue %u: conntrack destroy events unfiltered "
				 "(every connection's end wakes the worker): %s",
				 d->w[i]->cfg.queue, strerror(-ret));
	}
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
	/*
	 * A new connection on the tuple of an old one (a client reusing its
	 * port): conntrack kills the old entry when the new SYN comes, and
	 * its destroy event may reach us after that SYN made our session.
	 * An entry for the tuple now is the new connection's: the event is
	 * not about our session. (A session that saw FIN both ways is
	 * closed anyway: no question.)
	 */
	if (alg_session_state(s) != ALG_S_CLOSED && e->has_orig) {
		struct ct_entry now;

		if (!STATS_NL(&d->ws, STATS_NL_CT,
			      ct_get_orig(d->ct, &e->orig, &now))) {
			d->st.ct_destroy_stale++;
			return;
		}
	}
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
	idle_run(d);
	d->next_tick_ms = now + (ms ? ms : 1);
}

/* One ready fd; true: stop. */
static bool worker_ready(struct daemon *d, uint32_t tag)
{
	int ret;

	switch (tag) {
	case WTAG_QUEUE:
		ret = queue_read(d->q, WORKER_BATCH, inspect_packet, d);
		if (ret < 0) {
			log_err("queue %u socket: %s", d->cfg.queue,
				strerror(-ret));
			return true;
		}
		break;
	case WTAG_CT:
		ret = ct_events_read(d->ct, on_ct_destroy, d);
		if (ret < 0)
			log_err("conntrack events: %s", strerror(-ret));
		break;
	case WTAG_STOP:
		return true;
	}
	return false;
}

static void worker_timers(struct daemon *d)
{
	uint64_t now = now_ms();

	if (now >= d->next_tick_ms)
		on_tick(d, now);
	pinholes_check_step(d, now);
	if (now >= d->next_pin_ms) {
		pinholes_check(d, now);
		journal_tick(d);
		d->next_pin_ms = now + PINHOLE_CHECK_MS;
	}
	atomic_store(&d->wk->alive_ms, now);
}

static void *worker_main(void *arg)
{
	struct daemon *d = arg;
	struct epoll_event evs[WORKER_EVENTS];
	int n, i, timeout;
	uint64_t now, next;
	bool stop = false;

	log_defer(true);
	worker_lock(d);
	d->started = true;
	d->next_tick_ms = d->next_pin_ms = now_ms();
	while (!stop) {
		now = now_ms();
		next = d->next_tick_ms < d->next_pin_ms ? d->next_tick_ms
							: d->next_pin_ms;
		if (d->pins.pass)
			next = now;
		timeout = next > now ? (int)(next - now) : 0;
		worker_unlock(d);
		n = epoll_wait(d->wk->ep, evs, WORKER_EVENTS, timeout);
		worker_lock(d);
		if (n < 0 && errno != EINTR) {
			log_err("epoll_wait: %s", strerror(errno));
			break;
		}
		for (i = 0; i < n && !stop; i++) {
			stop = worker_ready(d, evs[i].data.u32);
			verdicts_flush(d);
			/* the pinholes those verdicts announced (pin_async.h) */
			pin_async_commit(d);
			log_flush();
		}
		worker_timers(d);
		verdicts_flush(d);
		pin_async_commit(d);
		log_flush();
	}
	verdicts_flush(d);
	pin_async_commit(d);
	worker_unlock(d);
	log_defer(false);
	return NULL;
}

static int epoll_add(int ep, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

int workers_start(struct daemon *d)
{
	struct worker *k;
	unsigned i;
	int ret;

	for (i = 0; i < d->nw; i++) {
		k = d->w[i]->wk;
		k->ep = epoll_create1(EPOLL_CLOEXEC);
		k->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (k->ep < 0 || k->stop_fd < 0 ||
		    epoll_add(k->ep, queue_fd(d->w[i]->q), WTAG_QUEUE) < 0 ||
		    epoll_add(k->ep, ct_events_fd(d->w[i]->ct), WTAG_CT) < 0 ||
		    epoll_add(k->ep, k->stop_fd, WTAG_STOP) < 0) {
			log_fatal("cannot set up worker %u: %s", i,
				  strerror(errno));
			return -errno;
		}
		atomic_store(&k->alive_ms, now_ms());
		ret = pthread_create(&k->th, NULL, worker_main, d->w[i]);
		if (ret) {
			log_fatal("cannot start worker %u: %s", i,
				  strerror(ret));
			return -ret;
		}
		k->thread = true;
	}
	return 0;
}

void workers_stop(struct daemon *d)
{
	uint64_t one = 1;
	unsigned i;

	for (i = 0; i < d->nw; i++)
		if (d->w[i]->wk->thread &&
		    write(d->w[i]->wk->stop_fd, &one, sizeof(one)) < 0)
			log_err("worker %u: cannot say stop: %s", i,
				strerror(errno));
	for (i = 0; i < d->nw; i++) {
		if (!d->w[i]->wk->thread)
			continue;
		pthread_join(d->w[i]->wk->th, NULL);
		d->w[i]->wk->thread = false;
	}
}

static void worker_free_trace(struct worker *k)
{
	unsigned i;

	for (i = 0; i < k->tn; i++) {
		free(k->tq[i].text);
		free(k->tq[i].json);
	}
	free(k->tq);
	k->tq = NULL;
	k->tn = k->tcap = 0;
}

static void worker_close(struct daemon *w)
{
	struct worker *k = w->wk;

	journal_close(w);
	queue_close(w->q);
	ct_close(w->ct);
	fw_close(w->fw);
	liberal_free(w);
	pinholes_free(w);
	pin_async_free(w);
	alg_table_free(w->tab);
	if (k) {
		if (k->ep >= 0)
			close(k->ep);
		if (k->stop_fd >= 0)
			close(k->stop_fd);
		worker_free_trace(k);
		free(k);
	}
	free(w);
}

void workers_close(struct daemon *d)
{
	unsigned i;

	workers_stop(d);
	for (i = 0; i < d->nw; i++)
		worker_close(d->w[i]);
	free(d->w);
	d->w = NULL;
	d->nw = 0;
	if (d->wk) {
		if (d->wk->wake_fd >= 0)
			close(d->wk->wake_fd);
		worker_free_trace(d->wk);
		free(d->wk);
		d->wk = NULL;
	}
}

bool workers_alive(const struct daemon *d, uint64_t now, uint64_t max_ms)
{
	unsigned i;

	for (i = 0; i < d->nw; i++)
		if (now > atomic_load(&d->w[i]->wk->alive_ms) + max_ms)
			return false;
	return true;
}

int workers_trace_fd(const struct daemon *d)
{
	return d->wk ? d->wk->wake_fd : -1;
}

void workers_trace_push(struct daemon *w, uint64_t sid, char *text,
			char *json)
{
	struct worker *k = w->boss->wk;
	struct trace_rec *nq;
	uint64_t one = 1;
	bool wake;

	pthread_mutex_lock(&k->tlock);
	if (k->tn == k->tcap) {
		/* past 4096 waiting lines the main thread is stuck: lost */
		nq = k->tcap < 4096 ? realloc(k->tq, (k->tcap ? 2 * k->tcap
							    : 16) *
					      sizeof(*nq)) : NULL;
		if (!nq) {
			pthread_mutex_unlock(&k->tlock);
			free(text);
			free(json);
			return;
		}
		k->tq = nq;
		k->tcap = k->tcap ? 2 * k->tcap : 16;
	}
	wake = !k->tn;
	k->tq[k->tn++] = (struct trace_rec){ sid, text, json };
	pthread_mutex_unlock(&k->tlock);
	if (wake && write(k->wake_fd, &one, sizeof(one)) < 0)
		return;	/* the counter is full: a wakeup is pending */
}

void workers_trace_drain(struct daemon *d)
{
	struct worker *k = d->wk;
	struct trace_rec *q;
	uint64_t v;
	unsigned n, i;

	if (!k)
		return;
	if (read(k->wake_fd, &v, sizeof(v)) < 0)
		v = 0;	/* nothing was pending: the list says */
	pthread_mutex_lock(&k->tlock);
	q = k->tq;
	n = k->tn;
	k->tq = NULL;
	k->tn = k->tcap = 0;
	pthread_mutex_unlock(&k->tlock);
	for (i = 0; i < n; i++) {
		ctl_publish(d->ctl, q[i].sid, q[i].text, q[i].json);
		free(q[i].text);
		free(q[i].json);
	}
	free(q);
}
