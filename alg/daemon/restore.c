// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Start-up after an earlier run (a restart, a crash, an upgrade): take
 * over what the journal knows and nothing else.
 *
 *   sessions     imported from the journal; one whose conntrack entry is
 *                gone ended while we were away, and is closed
 *   pinholes     elements of pin4/pin6/dnat4/snat4 that a restored session owns
 *                are adopted, with their age; every other element (a
 *                session that ended, a run that kept no journal) is
 *                deleted
 *   queue rules  replaced in one batch afterwards (never absent between)
 *
 * The journal is then written afresh (journal_compact) and kept open for
 * appends.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>
#include <sys/file.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "conntrack.h"
#include "daemon.h"
#include "park.h"
#include "paths.h"
#include "queue_range.h"
#include "workers.h"

#define RESTORE_DEL_BATCH	64

struct ids {
	uint64_t *v;
	unsigned n, cap;
};

static int collect_id(const struct alg_session *s, void *arg)
{
	struct ids *ids = arg;

	if (ids->n < ids->cap)
		ids->v[ids->n++] = alg_session_id(s);
	return 0;
}

/* Sessions whose conntrack entry went away while we were not running. */
static void restore_check_conntrack(struct daemon *d)
{
	struct ids ids = { .cap = alg_table_count(d->tab) };
	struct alg_session *s;
	unsigned i, gone = 0;
	struct ct_tuple t;
	struct ct_entry e;

	if (!ids.cap)
		return;
	ids.v = calloc(ids.cap, sizeof(*ids.v));
	if (!ids.v)
		return;
	alg_table_walk(d->tab, collect_id, &ids);
	for (i = 0; i < ids.n; i++) {
		s = alg_find_id(d->tab, ids.v[i]);
		if (!s)
			continue;
		session_ct_tuple(s, &t);
		if (ct_query(d->ct, &t, &e) != -ENOENT)
			continue;
		gone++;
		alg_result_reset(&d->res);
		alg_session_close(d->tab, s, ALG_R_CLOSE_CONNTRACK, now_ms(),
				  &d->res);
		results_apply(d, &d->res, s);
	}
	if (gone)
		log_info("journal: %u restored sessions had ended meanwhile",
			 gone);
	free(ids.v);
}

/* What the kernel holds in one of our sets. */
struct kernel_elems {
	struct pin_entry *v;
	unsigned n, cap;
};

static int collect_elem(const struct pin_entry *e, uint32_t expires_ms,
			void *arg)
{
	struct kernel_elems *k = arg;
	struct pin_entry *nv;

	if (k->n == k->cap) {
		k->cap = k->cap ? 2 * k->cap : 64;
		nv = realloc(k->v, k->cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		k->v = nv;
	}
	k->v[k->n++] = *e;
	return 0;
}

/* The pinhole element of jp in a pinhole set (key: peer . target). */
static bool same_pin(const struct pin_entry *k, const struct pin_entry *j)
{
	return k->family == j->family &&
	       alg_addr_eq(j->family, &k->peer, &j->peer) &&
	       alg_addr_eq(j->family, &k->target.addr, &j->target.addr) &&
	       k->target.port == j->target.port;
}

/* The mapping of jp in dnat4 (key: peer . wire). */
static bool same_map(const struct pin_entry *k, const struct pin_entry *j)
{
	return k->family == j->family && pin_needs_nat(j) &&
	       alg_addr_eq(j->family, &k->peer, &j->peer) &&
	       alg_addr_eq(j->family, &k->wire.addr, &j->wire.addr) &&
	       k->wire.port == j->wire.port;
}

/* The source mapping of jp in snat4 (key: peer . target, as pin4's). */
static bool same_snat(const struct pin_entry *k, const struct pin_entry *j)
{
	return pin_needs_snat(j) && same_pin(k, j);
}

/* Our sets, pinhole sets first: a mapping is kept only with its pinhole. */
static const struct restore_set {
	const char *name;
	bool pinhole;
	bool (*same)(const struct pin_entry *k, const struct pin_entry *j);
} restore_sets[] = {
	{ PIN_SET4, true, same_pin },
	{ PIN_SET6, true, same_pin },
	{ PIN_MAP4, false, same_map },
	{ PIN_SNAT4, false, same_snat },
};

/*
 * Delete elements dumped from our sets. A mapping's entry names its
 * pinhole's key too: maps says to delete only the mapping (the pinhole
 * may be another's, adopted).
 */
static int delete_unknown(struct daemon *d, const struct pin_entry *v,
			  unsigned n, bool maps)
{
	bool all_gone[RESTORE_DEL_BATCH];
	unsigned i;
	int ret;

	for (i = 0; i < RESTORE_DEL_BATCH; i++)
		all_gone[i] = true;
	for (i = 0; i < n; i += RESTORE_DEL_BATCH) {
		ret = pin_del_gone(d->fw, v + i, n - i < RESTORE_DEL_BATCH ?
				   n - i : RESTORE_DEL_BATCH,
				   maps ? all_gone : NULL);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Adopt the elements a restored session owns; delete the rest. A
 * journal pinhole whose element is gone was used or expired meanwhile.
 */
static int restore_pinholes(struct daemon *d, struct journal_pin *jp,
			    struct daemon **owner, unsigned njp)
{
	const size_t nsets = sizeof(restore_sets) / sizeof(restore_sets[0]);
	struct kernel_elems k = { 0 }, del = { 0 }, del_maps = { 0 };
	char buf[PINHOLE_STR_LEN];
	bool *adopted = calloc(njp ? njp : 1, sizeof(*adopted));
	const struct restore_set *rs;
	unsigned i, j;
	size_t s;
	int ret = 0;

	if (!adopted)
		return -ENOMEM;
	for (s = 0; s < nsets && !ret; s++) {
		rs = &restore_sets[s];
		k.n = 0;
		ret = pin_dump(d->fw, rs->name, collect_elem, &k);
		for (i = 0; i < k.n && !ret; i++) {
			for (j = 0; j < njp; j++)
				if (rs->same(&k.v[i], &jp[j].e))
					break;
			if (j < njp && rs->pinhole)
				adopted[j] = true;
			/* a mapping stays only with its adopted pinhole */
			if (j == njp || (!rs->pinhole && !adopted[j]))
				ret = collect_elem(&k.v[i], 0, rs->pinhole ?
						   &del : &del_maps);
		}
	}
	for (j = 0; j < njp && !ret; j++) {
		if (!adopted[j]) {
			log_sess(LOG_INFO, jp[j].sid, "pinhole gone while "
				 "ftp-algd was away (used or expired) %s",
				 pinhole_str(&jp[j].e, buf, sizeof(buf)));
			continue;
		}
		if (!pinholes_adopt(owner[j], jp[j].sid, &jp[j].e,
				    jp[j].added_ms))
			ret = -ENOMEM;
	}
	if (!ret && del.n + del_maps.n) {
		log_info("journal: %u set elements deleted: mappings of "
			 "pinholes used meanwhile, or elements no restored "
			 "session owns", del.n + del_maps.n);
		ret = delete_unknown(d, del.v, del.n, false);
		if (!ret)
			ret = delete_unknown(d, del_maps.v, del_maps.n, true);
	}
	free(adopted);
	free(k.v);
	free(del.v);
	free(del_maps.v);
	return ret;
}

/*
 * One journal per daemon: a lock file beside it, held while we run, so
 * a second ftp-algd given the same path stops here instead of replaying
 * and overwriting the first one's state.
 */
static int restore_lock(struct daemon *d)
{
	char path[PATH_MAX];
	int ret;

	if (snprintf(path, sizeof(path), "%s.lock", d->jr.path) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	ret = path_mkdirs(path, 0750);
	if (ret)
		return ret;
	d->jr.lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (d->jr.lock_fd < 0)
		return -errno;
	if (flock(d->jr.lock_fd, LOCK_EX | LOCK_NB) < 0) {
		ret = -errno;
		close(d->jr.lock_fd);
		d->jr.lock_fd = -1;
		return ret;
	}
	return 0;
}

/* The journals gathered from every file, with whose each pinhole is. */
struct restore_set_all {
	struct journal_pin *jp;
	struct daemon **owner;
	unsigned n;
};

/* Replay w->jr.path into w; its pinholes join all. */
static int restore_replay(struct daemon *w, struct restore_set_all *all)
{
	struct journal_pin *jp = NULL, *nj;
	struct daemon **no;
	unsigned njp = 0, i;
	int ret;

	ret = journal_replay(w, &jp, &njp);
	if (ret)
		log_err("journal %s cannot be read (%s): starting without the "
			"earlier run's sessions", w->jr.path, strerror(-ret));
	if (!njp) {
		free(jp);
		return 0;
	}
	nj = realloc(all->jp, (all->n + njp) * sizeof(*nj));
	if (nj)
		all->jp = nj;
	no = realloc(all->owner, (all->n + njp) * sizeof(*no));
	if (no)
		all->owner = no;
	if (!nj || !no) {
		free(jp);
		return -ENOMEM;
	}
	for (i = 0; i < njp; i++) {
		all->jp[all->n] = jp[i];
		all->owner[all->n++] = w;
	}
	free(jp);
	return 0;
}

static bool file_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/*
 * Did the earlier run have as many queues as we do? Every worker writes
 * its journal at start-up, so the files say: state_file, .1, ... .N-1
 * and no .N. (A missing state_file: no earlier run to take over.)
 */
static bool restore_same_queues(struct daemon *d, bool *any)
{
	char path[PATH_MAX];
	unsigned i;
	bool same = true;

	*any = false;
	for (i = 0; i < QUEUE_WORKERS_MAX; i++) {
		if (worker_journal_path(d->cfg.state_file, i, path,
					sizeof(path)))
			break;
		if (file_exists(path))
			*any = true;
		if (file_exists(path) != (i < d->nw))
			same = false;
	}
	return same || !*any;
}

/*
 * Start-up for every worker together: each journal is locked and
 * replayed into its worker; with another number of queues than the
 * earlier run, every journal goes to the parked pool instead (park.h: a
 * flow's queue changes with the count). Then one pass over our sets
 * adopts each pinhole into whoever owns its session and deletes the
 * rest; then sessions whose conntrack entry ended are closed, and every
 * journal is written afresh. Journals past our worker count go.
 */
int restore_state(struct daemon *d)
{
	struct restore_set_all all = { 0 };
	char path[PATH_MAX];
	bool same, any;
	unsigned i;
	int ret = 0;

	for (i = 0; i < d->nw; i++) {
		ret = restore_lock(d->w[i]);
		if (ret == -EWOULDBLOCK) {
			log_fatal("journal %s is in use by another ftp-algd: "
				  "give each daemon its own --state-file",
				  d->w[i]->jr.path);
			return ret;
		}
		if (ret)
			log_err("journal %s: cannot lock it: %s",
				d->w[i]->jr.path, strerror(-ret));
	}
	same = restore_same_queues(d, &any);
	ret = park_open(d, d->cfg.state_file);
	if (ret) {
		log_fatal("cannot set up the parked sessions: %s",
			  strerror(-ret));
		return ret;
	}
	d->parked->fw = d->fw;		/* for the start-up checks alone */
	for (i = 0; !ret && i < d->nw && same; i++)
		ret = restore_replay(d->w[i], &all);
	if (!same)
		log_warn("journal: the earlier run had another number of "
			 "queues: its sessions wait for their next packet to "
			 "say which worker they now belong to");
	for (i = 0; !ret && !same && i < QUEUE_WORKERS_MAX; i++) {
		if (worker_journal_path(d->cfg.state_file, i, path,
					sizeof(path)) || !file_exists(path))
			continue;
		d->parked->jr.path = path;
		ret = restore_replay(d->parked, &all);
	}
	worker_journal_path(d->cfg.state_file, 0, path, sizeof(path));
	d->parked->jr.path = park_journal_path();
	if (!ret && file_exists(d->parked->jr.path))
		ret = restore_replay(d->parked, &all);
	if (!ret)
		ret = all.n ? restore_pinholes(d, all.jp, all.owner, all.n)
			    : pin_sweep(d->fw);
	free(all.jp);
	free(all.owner);
	if (ret) {
		log_fatal("cannot take over the pinholes of the earlier run: "
			  "%s", strerror(-ret));
		return ret;
	}
	/* after the pinholes: a session closed here takes its own down */
	for (i = 0; i < d->nw; i++)
		restore_check_conntrack(d->w[i]);
	restore_check_conntrack(d->parked);
	for (i = 0; i < d->nw; i++)
		if (journal_compact(d->w[i]))
			log_err("journal %s cannot be written: a restart will "
				"lose the sessions of this run",
				d->w[i]->jr.path);
	if (alg_table_count(d->parked->tab) || d->parked->pins.n) {
		if (journal_compact(d->parked))
			log_err("journal %s cannot be written",
				d->parked->jr.path);
		journal_close(d->parked);	/* written once more at exit */
	} else {
		unlink(d->parked->jr.path);
	}
	for (i = d->nw; i < QUEUE_WORKERS_MAX; i++)
		if (!worker_journal_path(d->cfg.state_file, i, path,
					 sizeof(path)))
			unlink(path);	/* taken over: parked */
	d->parked->fw = NULL;
	park_publish(d);
	return 0;
}
