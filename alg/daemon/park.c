// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The parked pool (park.h): a struct daemon with a table and a pinhole
 * list and no sockets, filled at start-up by restore.c and emptied one
 * session at a time by the workers' packets. While none wait (every
 * start with the same number of queues) a packet costs one relaxed
 * atomic load; while some do, every packet takes the pool's mutex for
 * one lookup, until the last is claimed, or closed by park_sweep(): the
 * main thread asks conntrack about each every PARK_SWEEP_MS, and one
 * whose entry is gone (the connection ended without another packet
 * reaching us) is closed with its pinholes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conntrack.h"
#include "daemon.h"
#include "park.h"
#include "ftp-alg/state.h"

/* parked session ids keep the worker id they carry; the table's own: */
#define PARK_WORKER_ID	0xffff
#define PARK_SWEEP_MS	10000

static pthread_mutex_t park_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic unsigned park_waiting;
static char park_path[PATH_MAX];

int park_open(struct daemon *d, const char *state_file)
{
	struct daemon *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	if (snprintf(park_path, sizeof(park_path), "%s.parked", state_file) >=
	    (int)sizeof(park_path)) {
		free(p);
		return -ENAMETOOLONG;
	}
	p->cfg = d->cfg;
	p->boss = d;
	p->ep = p->sfd = -1;
	p->jr.fd = p->jr.lock_fd = -1;
	p->sd.fd = -1;
	p->jr.path = park_path;
	p->rl_journal = d->rl_journal;
	memcpy(p->rl_limit, d->rl_limit, sizeof(p->rl_limit));
	p->tab = alg_table_new(&d->cfg.pol, PARK_WORKER_ID);
	p->ct = ct_open();	/* park_sweep()'s, the main thread's */
	/* its destroy events are never read: none come */
	if (p->ct)
		ct_events_filter(p->ct, NULL, 0);
	if (!p->tab || !p->ct) {
		alg_table_free(p->tab);
		ct_close(p->ct);
		free(p);
		return -ENOMEM;
	}
	d->parked = p;
	return 0;
}

const char *park_journal_path(void)
{
	return park_path;
}

void park_close(struct daemon *d)
{
	struct daemon *p = d->parked;

	if (!p)
		return;
	atomic_store(&park_waiting, 0);
	journal_close(p);
	ct_close(p->ct);
	pinholes_free(p);
	liberal_free(p);
	alg_table_free(p->tab);
	free(p);
	d->parked = NULL;
}

unsigned park_count(struct daemon *d)
{
	unsigned n;

	if (!d->parked)
		return 0;
	pthread_mutex_lock(&park_lock);
	n = alg_table_count(d->parked->tab);
	pthread_mutex_unlock(&park_lock);
	return n;
}

void park_publish(struct daemon *d)
{
	atomic_store(&park_waiting, d->parked ?
		     alg_table_count(d->parked->tab) : 0);
}

static struct alg_session *park_find(struct alg_table *t, const struct pkt *p)
{
	struct alg_tuple tu = { .family = p->family };
	struct alg_session *s;

	/* the packet from the client, then from the server */
	tu.caddr = p->saddr;
	tu.cport = p->sport;
	tu.saddr = p->daddr;
	tu.sport = p->dport;
	s = alg_find(t, &tu);
	if (s)
		return s;
	tu.caddr = p->daddr;
	tu.cport = p->dport;
	tu.saddr = p->saddr;
	tu.sport = p->sport;
	return alg_find(t, &tu);
}

/* The parked session's pinholes move to w with it (the nft elements stay). */
static void park_move_pins(struct daemon *pk, struct daemon *w, uint64_t sid)
{
	unsigned i = pk->pins.n;

	while (i--) {
		const struct pinhole *ph = &pk->pins.v[i];
		struct journal_pin jp = {
			.sid = ph->sid, .e = ph->e, .added_ms = ph->added_ms,
		};

		if (ph->sid != sid)
			continue;
		if (pinholes_adopt(w, sid, &jp.e, jp.added_ms))
			journal_pin(w, &jp);
		pk->pins.v[i] = pk->pins.v[--pk->pins.n];
	}
}

void park_claim(struct daemon *w, const struct pkt *p, uint64_t now)
{
	struct daemon *pk = w->boss ? w->boss->parked : NULL;
	struct alg_session *s, *ns;
	uint8_t *buf;
	uint64_t sid;
	int n, ret;

	if (!pk || !atomic_load_explicit(&park_waiting, memory_order_relaxed))
		return;
	pthread_mutex_lock(&park_lock);
	s = park_find(pk->tab, p);
	if (!s)
		goto out;
	sid = alg_session_id(s);
	buf = malloc(ALG_STATE_MAX);	/* once a session: no hurry */
	n = buf ? alg_state_export(s, now, buf, ALG_STATE_MAX) : -ENOMEM;
	ret = n < 0 ? n : alg_state_import(w->tab, buf, (size_t)n, now, &ns);
	free(buf);
	if (ret) {
		log_sess(LOG_ERR, sid, "cannot take over the session of an "
			 "earlier run in worker %u: %s", w->wid,
			 strerror(-ret));
	} else {
		w->st.journal_restored++;
		log_sess(LOG_INFO, sid, "session of an earlier run taken over "
			 "by worker %u (queue %u), at its first packet",
			 w->wid, w->cfg.queue);
		journal_session(w, ns);
		park_move_pins(pk, w, sid);
	}
	alg_session_forget(pk->tab, s);
	atomic_store(&park_waiting, alg_table_count(pk->tab));
out:
	pthread_mutex_unlock(&park_lock);
}

static int park_first_id(const struct alg_session *s, void *arg)
{
	uint64_t *ids = arg;	/* ids[0]: how many; then the ids */

	if (ids[0] >= 64)
		return 1;
	ids[1 + ids[0]++] = alg_session_id(s);
	return 0;
}

void park_sweep(struct daemon *d, uint64_t now)
{
	struct daemon *pk = d->parked;
	uint64_t ids[65] = { 0 };
	struct alg_session *s;
	struct ct_tuple t;
	struct ct_entry e;
	unsigned i;

	/* next_pin_ms: the pool's sweep deadline (it has no pinhole check) */
	if (!pk || now < pk->next_pin_ms ||
	    !atomic_load_explicit(&park_waiting, memory_order_relaxed))
		return;
	pk->next_pin_ms = now + PARK_SWEEP_MS;
	pthread_mutex_lock(&park_lock);
	/* at most 64 a sweep: the lock is held while conntrack answers */
	alg_table_walk(pk->tab, park_first_id, ids);
	pk->fw = d->fw;
	for (i = 0; i < ids[0]; i++) {
		s = alg_find_id(pk->tab, ids[1 + i]);
		if (!s)
			continue;
		session_ct_tuple(s, &t);
		if (ct_query(pk->ct, &t, &e) != -ENOENT)
			continue;
		log_sess(LOG_INFO, ids[1 + i], "parked session ended while "
			 "waiting for a worker");
		alg_result_reset(&pk->res);
		alg_session_close(pk->tab, s, ALG_R_CLOSE_CONNTRACK, now,
				  &pk->res);
		results_apply(pk, &pk->res, s);
		alg_session_forget(pk->tab, s);
	}
	pk->fw = NULL;
	atomic_store(&park_waiting, alg_table_count(pk->tab));
	pthread_mutex_unlock(&park_lock);
}
