/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's counters and histograms: one struct alg_stats per worker
 * (one queue, one thread), written only by that worker and never locked.
 * "ftp-algctl stats" and "metrics" read them by summing the workers'
 * copies (stats_sum) or label each with its worker. Times come from
 * CLOCK_MONOTONIC in the daemon (stats_now_us); the engine never sees a
 * clock.
 *
 * Rendering (text, JSON, Prometheus text format 0.0.4) is pure: it walks
 * one list of metric families (stats_render.c), so the three forms never
 * disagree about what is counted.
 */
#ifndef FTP_ALG_STATS_H
#define FTP_ALG_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "ftp-alg/engine.h"
#include "ctl.h"

/* Histogram bucket upper bounds in microseconds; a last bucket is +Inf. */
#define STATS_HIST_BOUNDS \
	5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, \
	50000, 100000, 250000, 1000000
#define STATS_HIST_NB	16

struct stats_hist {
	uint64_t count;
	uint64_t sum_us, max_us;
	uint64_t bucket[STATS_HIST_NB + 1];	/* not cumulative; last +Inf */
};

extern const uint64_t stats_hist_bound_us[STATS_HIST_NB];

void stats_hist_add(struct stats_hist *h, uint64_t us);

enum stats_dir {
	STATS_DIR_ORIG,		/* client -> server */
	STATS_DIR_REPLY,	/* server -> client */
	STATS_DIR_OTHER,	/* no session: untracked or malformed */
	STATS_NDIR
};

enum stats_verdict {
	STATS_V_ACCEPT,		/* unmodified */
	STATS_V_MODIFIED,	/* accepted with a replacement packet */
	STATS_V_DROP,
	STATS_NVERDICT
};

/* What became of a pinhole (pinholes.c counts each once). */
enum stats_pin {
	STATS_PIN_ADDED,
	STATS_PIN_USED,		/* consumed, its connection established */
	STATS_PIN_UNESTABLISHED,/* consumed, no connection came of it */
	STATS_PIN_EXPIRED,
	STATS_PIN_REMOVED,	/* its session ended first */
	STATS_PIN_FAILED,	/* could not be added */
	STATS_PIN_ADOPTED,	/* taken over from the previous run */
	STATS_PIN_REPLACED,	/* a newer one of its session took its place
				 * (max_pinholes_per_session) */
	/* pin_async.h: added after the verdict that announced it */
	STATS_PIN_EARLY,
	STATS_PIN_CAUGHT,	/* its data connection came first, was held */
	STATS_PIN_CATCH_PASSED,	/* a held SYN that was none of ours */
	STATS_PIN_CATCH_LOOP,	/* held again: let go untouched */
	STATS_PIN_PAIR_ELSEWHERE,/* waited: another worker owns its pair */
	STATS_NPIN
};

enum stats_nl {
	STATS_NL_NFT_BATCH,	/* pinhole add/remove batches */
	STATS_NL_NFT_QUERY,	/* is a pinhole still in its set */
	STATS_NL_CT,		/* ctnetlink requests: NAT, be-liberal, dump */
	STATS_NNL
};

/* What an idle check (idle.c) found. */
enum {
	STATS_IDLE_KEPT,	/* the connection is there: session kept */
	STATS_IDLE_GONE,	/* gone: the session closed */
	STATS_IDLE_UNASKED,	/* more at once than IDLE_ASK_MAX */
	STATS_NIDLE
};

struct alg_stats {
	uint64_t packets[STATS_NDIR], bytes[STATS_NDIR];
	uint64_t verdicts[STATS_NVERDICT];
	uint64_t rewrites[FTP_KIND_MAX];	/* by the line's kind */
	uint64_t pinholes[STATS_NPIN];
	uint64_t refusals[ALG_R_MAX];	/* REFUSE and STOP events */
	uint64_t malformed;		/* packets the parser refused */
	uint64_t midstream;		/* sessions picked up mid-stream */
	uint64_t ct_stale;		/* destroy events of an earlier
					 * connection on a session's tuple */
	uint64_t ct_events;		/* destroy events read (filtered) */
	uint64_t idle[STATS_NIDLE];	/* idle checks (idle.c), by outcome */
	uint64_t id_gaps;		/* packet ids never delivered */
	uint32_t last_id;		/* the last packet id seen */
	uint64_t enobufs;		/* recv ENOBUFS: filled at snapshot */
	struct stats_hist netlink[STATS_NNL];
	struct stats_hist proc;		/* recv to verdict, per packet */
};

/* The kernel's view of one queue (/proc/net/netfilter/nfnetlink_queue). */
struct stats_kqueue {
	bool found;
	unsigned num;
	uint64_t queue_total;		/* waiting for a verdict now */
	uint64_t queue_dropped;		/* queue full */
	uint64_t user_dropped;		/* could not be sent to us */
	uint64_t id_sequence;
};

/* Gauges that belong to no worker. */
struct stats_gauges {
	unsigned sessions, pinholes;
	uint64_t uptime_s;
};

/* A snapshot: n workers' copies and what the kernel says. */
struct stats_view {
	const struct alg_stats *w;
	unsigned n;
	struct stats_kqueue kq;
	struct stats_gauges g;
};

uint64_t stats_now_us(void);

/* The value of call, its time added to s's netlink histogram op. */
#define STATS_NL(s, op, call) ({					\
	uint64_t t0_ = stats_now_us();					\
	__typeof__(call) r_ = (call);					\
	stats_hist_add(&(s)->netlink[op], stats_now_us() - t0_);	\
	r_;								\
})

/* Per packet: direction, bytes; the packet id's gap from the last one. */
void stats_packet(struct alg_stats *s, enum stats_dir dir, uint64_t len,
		  uint32_t id);
/* Every engine event (rewrites, refusals, mid-stream pick-ups). */
void stats_event(struct alg_stats *s, const struct alg_event *ev);
/* true for the reasons a REFUSE or STOP event carries */
bool stats_reason_is_refusal(enum alg_reason r);

/* total = the sum of w[0..n) (histogram maxima: the largest). */
void stats_sum(struct alg_stats *total, const struct alg_stats *w,
	       unsigned n);

/*
 * The line of /proc/net/netfilter/nfnetlink_queue for queue num, from
 * the file's text: false when it has none (no listener bound).
 */
bool stats_parse_kqueue(const char *text, unsigned num,
			struct stats_kqueue *kq);
/* The same from the file itself. */
void stats_read_kqueue(unsigned num, struct stats_kqueue *kq);

/* stats_render.c */
void stats_render_text(struct ctl_buf *o, const struct stats_view *v);
void stats_render_json(struct ctl_buf *o, const struct stats_view *v);
void stats_render_prom(struct ctl_buf *o, const struct stats_view *v);

#endif
