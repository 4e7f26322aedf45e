// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * "stats", "metrics" and "log-level": the counters of every worker with what the kernel says about our queue, rendered by
 * stats_render.c; the log level changed until the next reload.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conntrack.h"
#include "ctl_stats.h"
#include "daemon.h"
#include "metrics_http.h"
#include "queue.h"
#include "park.h"
#include "workers.h"

/*
 * The worker's counters with what is counted elsewhere: the queue's
 * ENOBUFS (queue.c) and the pinholes' fates (pinholes.c), which the
 * daemon counts once for status and the journal.
 */
static void worker_snapshot(const struct daemon *d, struct alg_stats *w)
{
	const struct daemon_stats *st = &d->st;

	*w = d->ws;
	w->enobufs = queue_stats(d->q)->enobufs;
	w->malformed = st->malformed;
	w->ct_stale = st->ct_destroy_stale;
	w->ct_events = ct_events_count(d->ct);
	w->idle[STATS_IDLE_KEPT] = st->idle_kept;
	w->idle[STATS_IDLE_GONE] = st->idle_gone;
	w->idle[STATS_IDLE_UNASKED] = st->idle_unasked;
	w->pinholes[STATS_PIN_ADDED] = st->pin_added;
	w->pinholes[STATS_PIN_USED] = st->pin_used;
	w->pinholes[STATS_PIN_UNESTABLISHED] = st->pin_unestablished;
	w->pinholes[STATS_PIN_EXPIRED] = st->pin_expired;
	w->pinholes[STATS_PIN_REMOVED] = st->pin_removed;
	w->pinholes[STATS_PIN_FAILED] = st->pin_fail;
	w->pinholes[STATS_PIN_ADOPTED] = st->pin_adopted;
	w->pinholes[STATS_PIN_REPLACED] = st->pin_replaced;
	w->pinholes[STATS_PIN_EARLY] = st->pin_async;
	w->pinholes[STATS_PIN_CAUGHT] = st->catch_repeat;
	w->pinholes[STATS_PIN_CATCH_PASSED] = st->catch_pass;
	w->pinholes[STATS_PIN_CATCH_LOOP] = st->catch_loop;
	w->pinholes[STATS_PIN_PAIR_ELSEWHERE] = st->pair_elsewhere;
}

/*
 * Every worker's counters (each under its lock), the gauges summed; the
 * kernel's queue figures added up over the queues (bound: all of them).
 * w has room for d->nw.
 */
static void view_snapshot(struct daemon *d, struct alg_stats *w,
			  struct stats_view *v, uint64_t now)
{
	struct stats_kqueue kq;
	unsigned i;

	*v = (struct stats_view){
		.w = w, .n = d->nw,
		.g.uptime_s = (now - d->start_ms) / 1000,
		.g.sessions = park_count(d),
	};
	for (i = 0; i < d->nw; i++) {
		worker_lock(d->w[i]);
		worker_snapshot(d->w[i], &w[i]);
		v->g.sessions += alg_table_count(d->w[i]->tab);
		v->g.pinholes += d->w[i]->pins.n;
		worker_unlock(d->w[i]);
		stats_read_kqueue(d->w[i]->cfg.queue, &kq);
		if (!i) {
			v->kq = kq;
			continue;
		}
		v->kq.found = v->kq.found && kq.found;
		v->kq.queue_total += kq.queue_total;
		v->kq.queue_dropped += kq.queue_dropped;
		v->kq.user_dropped += kq.user_dropped;
	}
}

void cmd_stats(struct daemon *d, struct ctl_buf *o, uint64_t now, bool json)
{
	struct alg_stats *w = calloc(d->nw ? d->nw : 1, sizeof(*w));
	struct stats_view v;

	if (!w) {
		ctl_printf(o, "error: out of memory\n");
		return;
	}
	view_snapshot(d, w, &v, now);
	if (json)
		stats_render_json(o, &v);
	else
		stats_render_text(o, &v);
	free(w);
}

/* Prometheus text whatever "json" says: it has one form. */
void cmd_metrics(struct daemon *d, struct ctl_buf *o, uint64_t now,
		 bool json)
{
	struct alg_stats *w = calloc(d->nw ? d->nw : 1, sizeof(*w));
	struct stats_view v;

	(void)json;
	if (!w) {
		ctl_printf(o, "error: out of memory\n");
		return;
	}
	view_snapshot(d, w, &v, now);
	stats_render_prom(o, &v);
	free(w);
}

/* metrics_listen's body: the same text as "ftp-algctl metrics". */
void metrics_render(struct ctl_buf *o, void *arg)
{
	cmd_metrics(arg, o, now_ms(), false);
}

int metrics_listen_open(struct daemon *d)
{
	if (!d->cfg.metrics_listen[0])
		return 0;
	d->mh = metrics_http_open(d->cfg.metrics_listen, metrics_render, d);
	if (!d->mh) {
		log_fatal("cannot listen on %s (metrics_listen): %s",
			  d->cfg.metrics_listen, strerror(errno));
		return -1;
	}
	log_info("metrics: GET /metrics on %s", d->cfg.metrics_listen);
	return 0;
}

/*
 * Until the next SIGHUP: a reload applies the file's log_level again
 * (the file is the configuration; this is a look for now).
 */
void cmd_log_level(struct daemon *d, struct ctl_buf *o, const char *arg,
		   bool json)
{
	int old = log_get_level(), prio;

	(void)json;
	if (!arg || !*arg) {
		ctl_printf(o, "ok\n%s\n", config_log_level_name(old));
		return;
	}
	prio = config_log_level(strcasecmp(arg, "err") ? arg : "error");
	if (prio < 0) {
		ctl_printf(o, "error: unknown log level '%s' (want: debug, "
			   "info, notice, warning or error)\n", arg);
		return;
	}
	log_set_level(prio > old ? prio : old);
	log_info("log level %s -> %s (ftp-algctl; a reload applies "
		 "log_level %s from the configuration)",
		 config_log_level_name(old), config_log_level_name(prio),
		 config_log_level_name(d->cfg.log_level));
	log_set_level(prio);
	ctl_printf(o, "ok\n%s\n", config_log_level_name(prio));
}
