// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * SIGUSR1: the daemon's state in three log lines, for whoever has only
 * the log (ftp-algctl status says the same and more):
 *
 *   state: sessions 2 (max 16384): 1 inspecting, 1 tls, 0 stopped, ...
 *   state: pinholes 1 open, timeout 30s (added 9, used 7, ...)
 *   state: counters: packets 1520, malformed 0, ...
 */
#include "conntrack.h"
#include "daemon.h"
#include "queue.h"
#include "workers.h"

struct session_census {
	unsigned inspecting, tls, stopped, closing;
};

static int census_cb(const struct alg_session *s, void *arg)
{
	struct session_census *c = arg;
	struct alg_session_info si;

	alg_session_info(s, &si);
	if (si.state == ALG_S_CLOSED)
		c->closing++;
	else if (si.inspect == ALG_INSPECT_TLS)
		c->tls++;
	else if (si.inspect == ALG_INSPECT_STOPPED)
		c->stopped++;
	else
		c->inspecting++;
	return 0;
}

static void report_worker(struct daemon *d, uint64_t now)
{
	const struct queue_stats *qs = queue_stats(d->q);
	struct session_census c = { 0 };

	alg_table_walk(d->tab, census_cb, &c);
	log_info("state: sessions %u (max %u): %u inspecting, %u tls, "
		 "%u stopped, %u closing; up %llus",
		 alg_table_count(d->tab),
		 alg_table_policy(d->tab)->max_sessions,
		 c.inspecting, c.tls, c.stopped, c.closing,
		 (unsigned long long)(now - d->start_ms) / 1000);
	log_info("state: pinholes %u open, timeout %us (added %llu, used "
		 "%llu, expired %llu, removed %llu, failed %llu)",
		 d->pins.n, d->cfg.pinhole_timeout_s,
		 (unsigned long long)d->st.pin_added,
		 (unsigned long long)d->st.pin_used,
		 (unsigned long long)d->st.pin_expired,
		 (unsigned long long)d->st.pin_removed,
		 (unsigned long long)d->st.pin_fail);
	log_info("state: counters: packets %llu, verdicts %llu in %llu "
		 "sends, malformed %llu, untracked "
		 "%llu, verdict errors %llu, nat queries %llu (%llu failed), "
		 "be-liberal %llu (%llu failed), events lost %llu, enobufs "
		 "%llu queue %llu conntrack",
		 (unsigned long long)qs->packets,
		 (unsigned long long)qs->verdicts,
		 (unsigned long long)qs->verdict_sends,
		 (unsigned long long)d->st.malformed,
		 (unsigned long long)d->st.untracked,
		 (unsigned long long)(qs->verdict_err + d->st.verdict_fail),
		 (unsigned long long)d->st.nat_queries,
		 (unsigned long long)d->st.nat_fail,
		 (unsigned long long)d->st.liberal,
		 (unsigned long long)d->st.liberal_fail,
		 (unsigned long long)d->st.ev_lost,
		 (unsigned long long)qs->enobufs,
		 (unsigned long long)ct_events_enobufs(d->ct));
}

/* Every worker's three lines, each under its lock; a header line with
 * several workers says whose lines follow. */
void report_state(struct daemon *d, uint64_t now)
{
	unsigned i;

	for (i = 0; i < d->nw; i++) {
		worker_lock(d->w[i]);
		if (d->nw > 1)
			log_info("state: worker %u of %u, queue %u:", i, d->nw,
				 d->w[i]->cfg.queue);
		report_worker(d->w[i], now);
		worker_unlock(d->w[i]);
	}
	if (d->parked && alg_table_count(d->parked->tab))
		log_info("state: %u sessions of an earlier run with another "
			 "number of queues wait for their next packet",
			 alg_table_count(d->parked->tab));
}
