// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ftp-algctl's requests: "status", "sessions", "pinholes", "stats",
 * "metrics", each optionally followed by "json"; "log-level [LEVEL]".
 * The answer is "ok\n" and the text or JSON document (ctl_answers.c,
 * ctl_stats.c), or a single line "error: ...".
 */
#include <stdio.h>
#include <string.h>

#include "conntrack.h"
#include "ctl_answers.h"
#include "ctl_cmds.h"
#include "ctl_stats.h"
#include "trace.h"
#include "daemon.h"
#include "queue.h"
#include "park.h"
#include "workers.h"

/* What the main daemon counts (the ruleset watcher's) and knows. */
static void status_snapshot(const struct daemon *d, uint64_t now,
			    struct ctl_status *st)
{
	*st = (struct ctl_status){
		.running = true,
		.version = FTP_ALG_VERSION,
		.uptime_s = (now - d->start_ms) / 1000,
		.queue = d->cfg.queue,
		.native_queue = d->native_queue,
		.max_sessions = d->cfg.pol.max_sessions,
		.ruleset_restores = d->st.rs_restores,
		.ruleset_restore_failed = d->st.rs_restore_fail,
		.admin_rule_missing = d->st.admin_missing,
		.admin_rule_warnings = d->st.admin_warnings,
	};
}

/* One worker's part, added (under its lock). */
static void status_add(struct ctl_status *st, const struct daemon *w,
		       uint64_t now)
{
	const struct queue_stats *qs = queue_stats(w->q);
	uint64_t last = w->last_pkt_ms ? (now - w->last_pkt_ms) / 1000 : 0;

	st->packets += qs->packets;
	if (w->last_pkt_ms && (!st->last_pkt_s || last < st->last_pkt_s))
		st->last_pkt_s = last;
	st->sessions += alg_table_count(w->tab);
	st->pinholes += w->pins.n;
	st->enobufs += qs->enobufs;
	st->ct_enobufs += ct_events_enobufs(w->ct);
	st->malformed += w->st.malformed;
	st->untracked += w->st.untracked;
	st->verdict_errors += qs->verdict_err + w->st.verdict_fail;
	st->pin_added += w->st.pin_added;
	st->pin_used += w->st.pin_used;
	st->pin_unestablished += w->st.pin_unestablished;
	st->pin_expired += w->st.pin_expired;
	st->pin_removed += w->st.pin_removed;
	st->pin_failed += w->st.pin_fail;
	st->nat_queries += w->st.nat_queries;
	st->nat_failed += w->st.nat_fail;
	st->liberal += w->st.liberal;
	st->liberal_failed += w->st.liberal_fail;
	st->events_lost += w->st.ev_lost;
	st->journal_records += w->st.journal_records;
	st->journal_failed += w->st.journal_fail;
	st->restored_sessions += w->st.journal_restored;
	st->adopted_pinholes += w->st.pin_adopted;
}

static void cmd_status(struct daemon *d, struct ctl_buf *o, uint64_t now,
		       bool json)
{
	struct alg_config eff = d->cfg;
	struct ctl_status st;

	/* in force: the engine's clamped limits, the level as it is now */
	unsigned i;

	eff.log_level = log_get_level();
	status_snapshot(d, now, &st);
	for (i = 0; i < d->nw; i++) {
		worker_lock(d->w[i]);
		if (!i)
			eff.pol = *alg_table_policy(d->w[i]->tab);
		status_add(&st, d->w[i], now);
		worker_unlock(d->w[i]);
	}
	/* sessions of an earlier run waiting for a worker (park.c) */
	st.sessions += park_count(d);
	st.cfg = &eff;
	st.cfg_asked = &d->cfg;
	ctl_render_status(o, &st, json);
}

struct session_walk {
	struct ctl_list list;
	uint64_t now;
};

static int session_cb(const struct alg_session *s, void *arg)
{
	struct session_walk *w = arg;
	struct alg_session_info si;

	alg_session_info(s, &si);
	ctl_list_session(&w->list, &si, w->now);
	return 0;
}

static void cmd_sessions(struct daemon *d, struct ctl_buf *o, uint64_t now,
			 bool json)
{
	struct session_walk w = { .now = now };

	unsigned i;

	ctl_list_begin(&w.list, o, "sessions", json);
	for (i = 0; i < d->nw; i++) {
		worker_lock(d->w[i]);
		alg_table_walk(d->w[i]->tab, session_cb, &w);
		worker_unlock(d->w[i]);
	}
	ctl_list_end(&w.list);
}

static void cmd_pinholes(struct daemon *d, struct ctl_buf *o, uint64_t now,
			 bool json)
{
	struct ctl_list l;
	unsigned i, k;

	ctl_list_begin(&l, o, "pinholes", json);
	for (k = 0; k < d->nw; k++) {
		worker_lock(d->w[k]);
		for (i = 0; i < d->w[k]->pins.n; i++)
			if (!d->w[k]->pins.v[i].retired) /* judged later */
				ctl_list_pinhole(&l, &d->w[k]->pins.v[i],
						 now);
		worker_unlock(d->w[k]);
	}
	ctl_list_end(&l);
}

static const struct ctl_cmd {
	const char *name;
	void (*run)(struct daemon *d, struct ctl_buf *o, uint64_t now,
		    bool json);
	/* or: one word of argument; writes its own "ok" or error */
	void (*run_arg)(struct daemon *d, struct ctl_buf *o, const char *arg,
			bool json);
} ctl_cmds[] = {
	{ "status", .run = cmd_status },
	{ "sessions", .run = cmd_sessions },
	{ "pinholes", .run = cmd_pinholes },
	{ "stats", .run = cmd_stats },
	{ "metrics", .run = cmd_metrics },
	{ "log-level", .run_arg = cmd_log_level },
	{ "trace", .run_arg = cmd_trace },
};

static const struct ctl_cmd *ctl_cmd_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++)
		if (!strcmp(name, ctl_cmds[i].name))
			return &ctl_cmds[i];
	return NULL;
}

/* "json" anywhere after the command; at most one other word, arg. */
static bool ctl_words(const char *req, char *cmd, char *arg, bool *json)
{
	char w[2][24] = { "", "" }, extra[2] = "";
	int n, i;

	n = sscanf(req, "%15s %23s %23s %1s", cmd, w[0], w[1], extra);
	if (n > 3 || strlen(req) > 64)
		return false;
	*json = false;
	arg[0] = '\0';
	for (i = 0; i < 2; i++) {
		if (!strcmp(w[i], "json")) {
			*json = true;
		} else if (w[i][0]) {
			if (arg[0])
				return false;
			strcpy(arg, w[i]);
		}
	}
	return true;
}

void ctl_request(const char *req, struct ctl_buf *o, void *arg)
{
	char cmd[16] = "", word[24];
	const struct ctl_cmd *c;
	bool json;

	if (!ctl_words(req, cmd, word, &json)) {
		ctl_printf(o, "error: bad request (want: status|sessions|"
			   "pinholes|stats|metrics [json], log-level "
			   "[LEVEL], trace [SESSION] [json])\n");
		return;
	}
	c = ctl_cmd_find(cmd);
	if (!c) {
		ctl_printf(o, "error: unknown request '%s'\n", cmd);
		return;
	}
	if (c->run_arg) {
		c->run_arg(arg, o, word[0] ? word : NULL, json);
		return;
	}
	if (word[0]) {
		ctl_printf(o, "error: unknown option '%s'\n", word);
		return;
	}
	/* "ok" first: an empty list is then an answer, not a lost one */
	ctl_printf(o, "ok\n");
	c->run(arg, o, now_ms(), json);
	if (o->full) {
		/* a cut JSON document is no document: say so instead */
		ctl_buf_reset(o);
		ctl_printf(o, "error: response larger than %u bytes\n",
			   CTL_RESP_MAX);
	}
}
