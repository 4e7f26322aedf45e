// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The counters as "ftp-algctl stats" (text, JSON) and "metrics"
 * (Prometheus text exposition format 0.0.4). Every form walks the one
 * table of metric families below: a family has its name, help text,
 * type, at most one label of its own and where its values come from.
 *
 * Prometheus: counters are NAME_total, histograms NAME_bucket{le=...}
 * (cumulative, seconds), NAME_sum, NAME_count; each worker's values carry
 * worker="N". Text and JSON show the sum over the workers.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "stats.h"

#define PROM_PREFIX	"ftp_alg_"

enum fam_type { FAM_COUNTER, FAM_GAUGE, FAM_HIST };

struct fam {
	const char *name;	/* without prefix and _total */
	const char *help;
	enum fam_type type;
	const char *label;	/* NULL: no label of its own */
	unsigned n;		/* label values (1 without a label) */
	const char *(*lval)(unsigned i);	/* NULL: value i skipped */
	/* a worker's value (per-worker families) */
	uint64_t (*get)(const struct alg_stats *s, unsigned i);
	const struct stats_hist *(*hist)(const struct alg_stats *s,
					 unsigned i);
	/* a value of the whole daemon (no worker label) */
	uint64_t (*vget)(const struct stats_view *v, unsigned i);
};

/* ---- label values ---- */

static const char *dir_name(unsigned i)
{
	static const char *const n[STATS_NDIR] = { "orig", "reply", "other" };

	return n[i];
}

static const char *verdict_name(unsigned i)
{
	static const char *const n[STATS_NVERDICT] = {
		"accept", "modified", "drop",
	};

	return n[i];
}

/* the kinds a rewrite can be of */
static const char *rewrite_kind(unsigned i)
{
	switch (i) {
	case FTP_CMD_PORT:
	case FTP_CMD_EPRT:
	case FTP_CMD_LPRT:
	case FTP_REPLY_227:
	case FTP_REPLY_228:
	case FTP_REPLY_229:
		return ftp_kind_name((enum ftp_kind)i);
	}
	return NULL;
}

static const char *idle_outcome(unsigned i)
{
	static const char *const n[STATS_NIDLE] = { "kept", "gone",
						    "unasked" };

	return n[i];
}

static const char *pin_outcome(unsigned i)
{
	static const char *const n[STATS_NPIN] = {
		"added", "used", "not_established", "expired", "removed",
		"failed", "adopted", "replaced", "early", "caught",
		"catch_passed", "catch_loop", "pair_elsewhere",
	};

	return n[i];
}

static const char *refusal_reason(unsigned i)
{
	return stats_reason_is_refusal((enum alg_reason)i) ?
	       alg_reason_name((enum alg_reason)i) : NULL;
}

static const char *nl_op(unsigned i)
{
	static const char *const n[STATS_NNL] = {
		"nft_batch", "nft_query", "ctnetlink",
	};

	return n[i];
}

/* ---- values ---- */

#define GET(fn, expr) \
	static uint64_t fn(const struct alg_stats *s, unsigned i) \
	{ (void)i; return (expr); }
#define VGET(fn, expr) \
	static uint64_t fn(const struct stats_view *v, unsigned i) \
	{ (void)i; return (expr); }

GET(get_packets, s->packets[i])
GET(get_bytes, s->bytes[i])
GET(get_verdicts, s->verdicts[i])
GET(get_rewrites, s->rewrites[i])
GET(get_pinholes, s->pinholes[i])
GET(get_refusals, s->refusals[i])
GET(get_malformed, s->malformed)
GET(get_midstream, s->midstream)
GET(get_ct_stale, s->ct_stale)
GET(get_ct_events, s->ct_events)
GET(get_idle, s->idle[i])
GET(get_id_gaps, s->id_gaps)
GET(get_enobufs, s->enobufs)
VGET(get_kq_dropped, v->kq.queue_dropped)
VGET(get_kq_user_dropped, v->kq.user_dropped)
VGET(get_kq_waiting, v->kq.queue_total)
VGET(get_kq_bound, v->kq.found)
VGET(get_sessions, v->g.sessions)
VGET(get_pins_open, v->g.pinholes)
VGET(get_uptime, v->g.uptime_s)

static const struct stats_hist *hist_netlink(const struct alg_stats *s,
					     unsigned i)
{
	return &s->netlink[i];
}

static const struct stats_hist *hist_proc(const struct alg_stats *s,
					  unsigned i)
{
	(void)i;
	return &s->proc;
}

static const struct fam fams[] = {
	{ "packets", "Packets queued to us, by direction", FAM_COUNTER,
	  "direction", STATS_NDIR, dir_name, .get = get_packets },
	{ "bytes", "Bytes of queued packets (IP header on), by direction",
	  FAM_COUNTER, "direction", STATS_NDIR, dir_name, .get = get_bytes },
	{ "verdicts", "Verdicts sent", FAM_COUNTER, "verdict",
	  STATS_NVERDICT, verdict_name, .get = get_verdicts },
	{ "rewrites", "Lines rewritten, by the kind of line", FAM_COUNTER,
	  "kind", FTP_KIND_MAX, rewrite_kind, .get = get_rewrites },
	{ "pinholes", "Pinholes, by what became of them", FAM_COUNTER,
	  "outcome", STATS_NPIN, pin_outcome, .get = get_pinholes },
	{ "refusals", "Lines refused or inspection stopped, by reason",
	  FAM_COUNTER, "reason", ALG_R_MAX, refusal_reason,
	  .get = get_refusals },
	{ "malformed_packets", "Packets the packet parser refused",
	  FAM_COUNTER, NULL, 1, NULL, .get = get_malformed },
	{ "midstream_sessions", "Control connections picked up mid-stream: "
	  "their start passed without us (fail-open bypass, a restart, or "
	  "a ruleset that queued them late)", FAM_COUNTER, NULL, 1, NULL,
	  .get = get_midstream },
	{ "stale_destroy_events", "Conntrack destroy events about an "
	  "earlier connection on the tuple of a live session (a client "
	  "reusing its port): ignored", FAM_COUNTER, NULL, 1, NULL,
	  .get = get_ct_stale },
	{ "destroy_events", "Conntrack destroy events read: the filter on "
	  "the event socket lets through only those of connections to a "
	  "control port", FAM_COUNTER, NULL, 1, NULL, .get = get_ct_events },
	{ "idle_checks", "Sessions past idle_timeout whose pure ACKs go "
	  "unqueued (pure_ack_bypass): conntrack asked, by what it said",
	  FAM_COUNTER, "outcome", STATS_NIDLE, idle_outcome,
	  .get = get_idle },
	{ "queue_id_gaps", "Packet ids the kernel numbered but never "
	  "delivered to us", FAM_COUNTER, NULL, 1, NULL, .get = get_id_gaps },
	{ "queue_enobufs", "Receive errors ENOBUFS on the queue socket "
	  "(packets lost to a full socket buffer)", FAM_COUNTER, NULL, 1,
	  NULL, .get = get_enobufs },
	{ "kernel_queue_dropped", "The kernel's queue_dropped: packets "
	  "dropped because the queue was full", FAM_COUNTER, NULL, 1, NULL,
	  .vget = get_kq_dropped },
	{ "kernel_queue_user_dropped", "The kernel's user_dropped: packets "
	  "it could not send to our socket", FAM_COUNTER, NULL, 1, NULL,
	  .vget = get_kq_user_dropped },
	{ "kernel_queue_waiting", "Packets in the kernel's queue waiting for "
	  "a verdict", FAM_GAUGE, NULL, 1, NULL, .vget = get_kq_waiting },
	{ "kernel_queue_bound", "1 when the kernel lists our queue as bound",
	  FAM_GAUGE, NULL, 1, NULL, .vget = get_kq_bound },
	{ "sessions", "Control connections tracked now", FAM_GAUGE, NULL, 1,
	  NULL, .vget = get_sessions },
	{ "pinholes_open", "Pinholes open now", FAM_GAUGE, NULL, 1, NULL,
	  .vget = get_pins_open },
	{ "uptime_seconds", "Seconds since the daemon started", FAM_GAUGE,
	  NULL, 1, NULL, .vget = get_uptime },
	{ "netlink_seconds", "Netlink round trips, by operation", FAM_HIST,
	  "op", STATS_NNL, nl_op, .hist = hist_netlink },
	{ "packet_processing_seconds", "From a packet's receipt to its "
	  "verdict (or its hold)", FAM_HIST, NULL, 1, NULL,
	  .hist = hist_proc },
};

#define NFAMS	(sizeof(fams) / sizeof(fams[0]))

/* us as seconds, exactly: "0.000250" */
static void put_seconds(struct ctl_buf *o, uint64_t us)
{
	ctl_printf(o, "%" PRIu64 ".%06" PRIu64, us / 1000000, us % 1000000);
}

static uint64_t hist_cum(const struct stats_hist *h, unsigned upto)
{
	uint64_t c = 0;
	unsigned i;

	for (i = 0; i <= upto; i++)
		c += h->bucket[i];
	return c;
}

/* ---- text ---- */

static void text_label(struct ctl_buf *o, const struct fam *f,
		       const char *lv)
{
	char name[64];

	snprintf(name, sizeof(name), "%s%s%s:", f->name, lv ? " " : "",
		 lv ? lv : "");
	ctl_printf(o, "%-36s ", name);
}

static void text_hist(struct ctl_buf *o, const struct stats_hist *h)
{
	ctl_printf(o, "count %" PRIu64 " avg %" PRIu64 "us max %" PRIu64
		   "us", h->count, h->count ? h->sum_us / h->count : 0,
		   h->max_us);
}

void stats_render_text(struct ctl_buf *o, const struct stats_view *v)
{
	struct alg_stats t;
	const struct fam *f;
	const char *lv;
	unsigned k, i;

	stats_sum(&t, v->w, v->n);
	for (k = 0; k < NFAMS; k++) {
		f = &fams[k];
		for (i = 0; i < f->n; i++) {
			lv = f->lval ? f->lval(i) : NULL;
			if (f->lval && !lv)
				continue;
			text_label(o, f, lv);
			if (f->type == FAM_HIST)
				text_hist(o, f->hist(&t, i));
			else
				ctl_printf(o, "%" PRIu64, f->vget ?
					   f->vget(v, i) : f->get(&t, i));
			ctl_printf(o, "\n");
		}
	}
	ctl_printf(o, "workers:                             %u\n", v->n);
}

/* ---- JSON ---- */

static void json_hist(struct ctl_buf *o, const struct stats_hist *h)
{
	unsigned i;

	ctl_printf(o, "{\"count\":%" PRIu64 ",\"sum_us\":%" PRIu64
		   ",\"max_us\":%" PRIu64 ",\"buckets\":[", h->count,
		   h->sum_us, h->max_us);
	for (i = 0; i < STATS_HIST_NB; i++)
		ctl_printf(o, "%s{\"le_us\":%" PRIu64 ",\"count\":%" PRIu64
			   "}", i ? "," : "", stats_hist_bound_us[i],
			   hist_cum(h, i));
	ctl_printf(o, "]}");
}

static void json_value(struct ctl_buf *o, const struct fam *f,
		       const struct stats_view *v, const struct alg_stats *t,
		       unsigned i)
{
	if (f->type == FAM_HIST)
		json_hist(o, f->hist(t, i));
	else
		ctl_printf(o, "%" PRIu64, f->vget ? f->vget(v, i)
						  : f->get(t, i));
}

void stats_render_json(struct ctl_buf *o, const struct stats_view *v)
{
	struct alg_stats t;
	const struct fam *f;
	const char *lv;
	unsigned k, i, shown;

	stats_sum(&t, v->w, v->n);
	ctl_printf(o, "{\"workers\":%u", v->n);
	for (k = 0; k < NFAMS; k++) {
		f = &fams[k];
		ctl_printf(o, ",\"%s\":", f->name);
		if (!f->lval) {
			json_value(o, f, v, &t, 0);
			continue;
		}
		ctl_printf(o, "{");
		for (i = shown = 0; i < f->n; i++) {
			lv = f->lval(i);
			if (!lv)
				continue;
			ctl_printf(o, "%s", shown++ ? "," : "");
			ctl_json_str(o, lv);
			ctl_printf(o, ":");
			json_value(o, f, v, &t, i);
		}
		ctl_printf(o, "}");
	}
	ctl_printf(o, "}\n");
}

/* ---- Prometheus ---- */

/* {worker="0",label="v" (no closing brace: le may follow) */
static void prom_labels(struct ctl_buf *o, const struct fam *f, int worker,
			const char *lv)
{
	bool any = false;

	ctl_printf(o, "{");
	if (worker >= 0) {
		ctl_printf(o, "worker=\"%d\"", worker);
		any = true;
	}
	if (lv) {
		ctl_printf(o, "%s%s=\"%s\"", any ? "," : "", f->label, lv);
		any = true;
	}
	(void)any;
}

static void prom_hist(struct ctl_buf *o, const struct fam *f, int worker,
		      const char *lv, const struct stats_hist *h)
{
	bool lab = worker >= 0 || lv;
	unsigned i;

	for (i = 0; i <= STATS_HIST_NB; i++) {
		ctl_printf(o, PROM_PREFIX "%s_bucket", f->name);
		prom_labels(o, f, worker, lv);
		ctl_printf(o, "%sle=\"", lab ? "," : "");
		if (i < STATS_HIST_NB)
			put_seconds(o, stats_hist_bound_us[i]);
		else
			ctl_printf(o, "+Inf");
		ctl_printf(o, "\"} %" PRIu64 "\n", hist_cum(h, i));
	}
	ctl_printf(o, PROM_PREFIX "%s_sum", f->name);
	prom_labels(o, f, worker, lv);
	ctl_printf(o, "} ");
	put_seconds(o, h->sum_us);
	ctl_printf(o, "\n" PROM_PREFIX "%s_count", f->name);
	prom_labels(o, f, worker, lv);
	ctl_printf(o, "} %" PRIu64 "\n", h->count);
}

static void prom_sample(struct ctl_buf *o, const struct fam *f, int worker,
			const char *lv, uint64_t val)
{
	ctl_printf(o, PROM_PREFIX "%s%s", f->name,
		   f->type == FAM_COUNTER ? "_total" : "");
	if (worker >= 0 || lv) {
		prom_labels(o, f, worker, lv);
		ctl_printf(o, "}");
	}
	ctl_printf(o, " %" PRIu64 "\n", val);
}

static void prom_family(struct ctl_buf *o, const struct fam *f,
			const struct stats_view *v)
{
	static const char *const types[] = {
		[FAM_COUNTER] = "counter", [FAM_GAUGE] = "gauge",
		[FAM_HIST] = "histogram",
	};
	const char *suffix = f->type == FAM_COUNTER ? "_total" : "";
	const char *lv;
	unsigned w, i;

	ctl_printf(o, "# HELP " PROM_PREFIX "%s%s %s\n", f->name, suffix,
		   f->help);
	ctl_printf(o, "# TYPE " PROM_PREFIX "%s%s %s\n", f->name, suffix,
		   types[f->type]);
	if (f->vget) {
		prom_sample(o, f, -1, NULL, f->vget(v, 0));
		return;
	}
	for (w = 0; w < v->n; w++) {
		for (i = 0; i < f->n; i++) {
			lv = f->lval ? f->lval(i) : NULL;
			if (f->lval && !lv)
				continue;
			if (f->type == FAM_HIST)
				prom_hist(o, f, (int)w, lv,
					  f->hist(&v->w[w], i));
			else
				prom_sample(o, f, (int)w, lv,
					    f->get(&v->w[w], i));
		}
	}
}

void stats_render_prom(struct ctl_buf *o, const struct stats_view *v)
{
	unsigned k;

	for (k = 0; k < NFAMS; k++)
		prom_family(o, &fams[k], v);
}
