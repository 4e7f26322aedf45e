/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's table of open pinholes: each EXPECT event of a session
 * becomes one element in nftables (nft/pin.c), remembered here with its
 * session and age until its data connection used it, it expired, or its
 * session ended.
 */
#ifndef FTP_ALG_PINHOLES_H
#define FTP_ALG_PINHOLES_H

#include <stdbool.h>
#include <stdint.h>

#include "ftp-alg/engine.h"
#include "ftp-alg/pin.h"
#include "evlog.h"

#define PINHOLE_CHECK_MS	1000	/* pinholes_check() this often */
#define PINHOLE_MAX		65535	/* the size of sets pin4/pin6 */
/*
 * A pinhole that vanished this close to its timeout is reported as
 * expired, not used: we look once a second and the kernel's garbage
 * collection runs on its own schedule.
 */
#define PINHOLE_SLACK_MS	1000
/* One still in its set this long after its timeout has expired too. */
#define PINHOLE_GC_GRACE_MS	5000
/*
 * A consumed pinhole whose data connection conntrack has not seen
 * answered yet is given this long (from when we saw it consumed) before
 * it is reported as not established.
 */
#define PINHOLE_CONFIRM_MS	2000
/* a session end's view of used4/used6 is reused this long, and made
 * afresh for a pinhole it cannot answer for at most this often */
#define PINHOLE_CLOSE_VIEW_MS	200
#define PINHOLE_CLOSE_REFRESH_MS	50
/*
 * "203.0.113.10 -> 203.0.113.1:40001 => 10.0.1.2:40001", and with a
 * source mapping " from 203.0.113.5"
 */
#define PINHOLE_STR_LEN		(4 * EVLOG_EP_LEN)

struct daemon;

struct pinhole {
	uint64_t sid;
	struct pin_entry e;
	uint64_t added_ms;
	uint64_t consumed_ms;	/* seen gone before its timeout; 0: not */
	bool gone;		/* its element was gone at the last look */
	/*
	 * Destroyed by us in the batch that added its session's next one
	 * (max_pinholes_per_session): what became of it is judged by the
	 * next pass, from used4/used6, never before that batch's verdict.
	 */
	bool retired;
	/* its session ended; the next pass judges it (pinholes_remove()) */
	bool closing;
};

struct pinhole_pass;

struct pinholes {
	struct pinhole *v;
	unsigned n, cap;
	/*
	 * How many of v have each port as wire or target port (once when
	 * both are the same), 65536 of them, or NULL (no memory: every look
	 * walks v). A key lookup whose ports no pinhole has ends here:
	 * retired pinholes stay in v until the next pass, thousands of them
	 * at a high rate of PASVs, and most new pinholes match none.
	 */
	uint16_t *port_n;
	bool port_sat;			/* a count overflowed: walk always */
	struct pinhole_pass *pass;	/* a check under way, or NULL */
	/*
	 * Session ends share one look at used4/used6 for a while
	 * (PINHOLE_CLOSE_VIEW_MS): a storm of them does not dump the sets
	 * once each.
	 */
	struct pinhole_ct_view *cview;
	uint64_t cview_ms;
};

const char *pinhole_str(const struct pin_entry *e, char *buf, size_t len);

enum pinhole_fate {
	PINHOLE_KEEP,		/* still waiting for its data connection */
	PINHOLE_USED,		/* its data connection consumed it */
	PINHOLE_EXPIRED,	/* it outlived its timeout */
	PINHOLE_REMOVED,	/* its session ended first: we take it down */
	/* consumed, but no data connection came of it (pinhole_conn_fate) */
	PINHOLE_UNESTABLISHED,
	/* a newer one of its session took its place before it was used */
	PINHOLE_REPLACED,
};

/* What conntrack knows of the data connection that consumed a pinhole. */
enum pinhole_conn {
	PINHOLE_CONN_UNKNOWN,	/* could not ask */
	PINHOLE_CONN_NONE,	/* no entry with the pinhole mark */
	PINHOLE_CONN_NO_REPLY,	/* an entry, never answered */
	PINHOLE_CONN_REPLIED,	/* an entry that saw a reply */
};

/*
 * Could e's elements (pinhole, mapping) be those of one of batch[0..n)?
 * The same family and peer, and the same wire or target address and port.
 * Pure.
 */
bool pinholes_reserve(struct pinholes *ps, unsigned n);
void pinholes_added(struct daemon *d, const struct pin_entry *batch,
		    const uint64_t *sids, const uint64_t *at, unsigned n,
		    int ret, bool late);

bool pinhole_key_near(const struct pin_entry *e,
		      const struct pin_entry *batch, unsigned n);

/*
 * The fate of a retired pinhole (we destroyed its element when its
 * session's next one was added), pure: noted says used4/used6 saw a
 * connection consume it first, c what conntrack says of that one,
 * since_ms since it was retired.
 *
 *   present (the replacing batch failed) or unknown   REMOVED
 *   gone, no connection noted                         REMOVED
 *   gone, noted                                       pinhole_conn_fate()
 */
enum pinhole_fate pinhole_retired_fate(int present, bool noted,
				       enum pinhole_conn c, uint64_t since_ms,
				       bool closing);

/*
 * What became of a pinhole, the one rule for the periodic check and for
 * the removal at its session's end (closing). present is pin_present()'s
 * answer: 1 in its set, 0 gone, <0 unknown. Pure.
 *
 *   gone, age + PINHOLE_SLACK_MS < timeout      USED
 *   gone, later                                 EXPIRED
 *   present, age >= timeout + PINHOLE_GC_GRACE  EXPIRED
 *   otherwise                                   REMOVED if closing,
 *                                               else KEEP
 */
enum pinhole_fate pinhole_fate(int present, uint64_t age_ms,
			       uint64_t timeout_ms, bool closing);
/* "used", "expired", "removed", "not established" as logged; "kept" */
const char *pinhole_fate_name(enum pinhole_fate f);

/*
 * The fate of a consumed pinhole (pinhole_fate() said USED) from what
 * conntrack says, since_ms after we first saw it consumed. Pure.
 *
 *   REPLIED, or UNKNOWN (we cannot tell: as before)   USED
 *   NONE or NO_REPLY, since_ms < PINHOLE_CONFIRM_MS   KEEP (unless closing)
 *   NONE or NO_REPLY, later or closing                UNESTABLISHED
 */
enum pinhole_fate pinhole_conn_fate(enum pinhole_conn c, uint64_t since_ms,
				    bool closing);
/* Why a pinhole was UNESTABLISHED, as logged. */
const char *pinhole_conn_reason(enum pinhole_conn c);

struct ct_entry;
/*
 * Is ct the data connection of e? Its original source is e's peer and its
 * reply comes from e's target (after DNAT). Pure.
 */
bool pinhole_conn_matches(const struct pin_entry *e,
			  const struct ct_entry *ct);

/*
 * The marked conntrack entries, dumped once per pass over the pinholes
 * (pinholes_ct.c), on the first question.
 */
struct pinhole_ct_conn;
struct pinhole_used;
struct pinhole_ct_view {
	/* IPv4 questions by one GET on map usedp4 (d->used_get) */
	bool by_get;
	bool loaded;
	bool sorted;
	int err;
	struct pinhole_ct_conn *v;
	unsigned n, cap;
	/*
	 * used4/used6 (index 0/1), dumped on the first question about a
	 * pinhole of that family: the source port of each data connection
	 * that consumed one, so its conntrack entry is one GET by tuple.
	 * A set that cannot be dumped (an older table) sends the questions
	 * to the dump of marked entries above.
	 */
	bool used_loaded[2];
	int used_err[2];
	bool used_sorted;
	struct pinhole_used *u;
	unsigned un, ucap;
	/* by_get: what a pass's step asked of usedp4 (got_prefetch()) */
	struct pinhole_used *g;
	unsigned gn, gcap;
};

/* A data connection of e from sport, as dumped from used4/6. Pure. */
int pinhole_used_add(struct pinhole_ct_view *v, const struct pin_entry *e,
		     uint16_t sport);
/* After the last add, before the first find. Pure. */
void pinhole_used_sort(struct pinhole_ct_view *v);
/*
 * The source ports of the data connections that consumed e (at most max
 * into sports): how many there were, or -EINVAL before the sort. Pure.
 */
int pinhole_used_find(const struct pinhole_ct_view *v,
		      const struct pin_entry *e, uint16_t *sports,
		      unsigned max);

/* One dumped entry into v (one no pinhole can match is left out). Pure. */
int pinhole_ct_view_add(struct pinhole_ct_view *v, const struct ct_entry *e);
/* After the last add, before the first find. Pure. */
void pinhole_ct_view_sort(struct pinhole_ct_view *v);
/*
 * What v says of e's data connection: REPLIED if any matching entry saw a
 * reply, else NO_REPLY if one matches, else NONE; UNKNOWN if the dump
 * failed (or v is not sorted). Pure.
 */
enum pinhole_conn pinhole_ct_view_find(const struct pinhole_ct_view *v,
				       const struct pin_entry *e);

enum pinhole_conn pinholes_conn(struct daemon *d, struct pinhole_ct_view *v,
				const struct pin_entry *e);
/*
 * As pinholes_conn(), for a pinhole we destroyed ourselves (retired):
 * false when used4/used6 noted no connection for it (it was never used).
 * A table without those sets answers as pinholes_conn() (true).
 */
/* Conntrack is asked again about every connection v notes. */
void pinholes_ct_view_refetch(struct pinhole_ct_view *v);
/* Does v's used4/used6 (loaded now if it is not) note e's connection? */
bool pinholes_used_noted(struct daemon *d, struct pinhole_ct_view *v,
			 const struct pin_entry *e);
bool pinholes_conn_noted(struct daemon *d, struct pinhole_ct_view *v,
			 const struct pin_entry *e, enum pinhole_conn *c);
/*
 * Ask conntrack about the data connections of e[0..n) in batches (64
 * GETs per send), before pinholes_conn() is asked about each: a pass over
 * hundreds of consumed pinholes costs a few round trips, not hundreds.
 */
void pinholes_conn_prefetch(struct daemon *d, struct pinhole_ct_view *v,
			    const struct pin_entry *e, unsigned n);
void pinholes_ct_view_free(struct pinhole_ct_view *v);

/*
 * The pinhole elements one dump found (pinholes_seen.c). err[0] / err[1]:
 * the IPv4 / IPv6 dump failed with that error (its answers are unknown).
 */
struct pinhole_seen_key;
struct pinhole_seen {
	struct pinhole_seen_key *v;
	unsigned n, cap;
	bool sorted;
	int err[2];
};

/* Record e's key as dumped: 0 or -ENOMEM. Pure. */
int pinholes_seen_add(struct pinhole_seen *s, const struct pin_entry *e);
/* After the last add, before the first lookup. Pure. */
void pinholes_seen_sort(struct pinhole_seen *s);
/*
 * Is e's element in the dump? 1 yes, 0 no, <0 unknown (its family's dump
 * failed; -EINVAL before pinholes_seen_sort()). As pin_present(). Pure.
 */
int pinholes_seen_has(const struct pinhole_seen *s, const struct pin_entry *e);
void pinholes_seen_free(struct pinhole_seen *s);
/* Dump the sets our pinholes are in (one request per family in use). */
void pinholes_seen_load(struct daemon *d, struct pinhole_seen *s);

/*
 * What max_pinholes_per_session asks of r, pure: remove[i] for a NOTE
 * PIN_REPLACED naming a pinhole of our table; skip[i] for an EXPECT that
 * a later note in r replaces already (never added). Arrays of r->nev.
 */
void pinholes_plan(const struct alg_result *r, bool *skip, bool *remove);
/* All EXPECT events of r: one batch, before any verdict of r (after the
 * removals pinholes_plan() names, in a batch of their own). */
void pinholes_add(struct daemon *d, const struct alg_result *r,
		  uint64_t now);
/* The pinholes of session sid (all: every one), at its end. */
int pinholes_remove(struct daemon *d, uint64_t sid, bool all, uint64_t now);
/*
 * Once a second: start a pass that forgets the pinholes that were used or
 * expired (pinholes_pass.c). The pass goes PINHOLE_STEP pinholes per
 * pinholes_check_step(), so hundreds of conntrack questions never stand
 * in one piece between queued packets and their verdicts.
 */
#define PINHOLE_STEP		128
void pinholes_check(struct daemon *d, uint64_t now);
/* The next step of a pass; false when no pass is under way. */
bool pinholes_check_step(struct daemon *d, uint64_t now);
/* A pass under way dropped (at the end: the next start goes on). */
void pinholes_pass_free(struct daemon *d);

/* Inside pinholes*.c: one pinhole judged, a batch removed, one forgotten. */
enum pinhole_fate pinholes_judge(struct daemon *d, struct pinhole *p,
				 int present, uint64_t now, bool closing,
				 struct pinhole_ct_view *view, bool *unknown,
				 enum pinhole_conn *conn);
int pinholes_delete(struct daemon *d, const struct pin_entry *batch,
		    const bool *gone, const uint64_t *sids,
		    const enum pinhole_fate *fate, const bool *unknown,
		    const enum pinhole_conn *conn, unsigned n);
void pinholes_forget(struct daemon *d, unsigned i);
/* One an earlier run added, found still in its set at start-up. */
bool pinholes_adopt(struct daemon *d, uint64_t sid,
		    const struct pin_entry *e, uint64_t added_ms);
void pinholes_free(struct daemon *d);
/* e's ports counted into ps->port_n (delta 1) or out (-1). Pure. */
void pinholes_port_count(struct pinholes *ps, const struct pin_entry *e,
			 int delta);
/* Might a pinhole of ps have wire port wport or target port tport? false:
 * surely none (so none has the key of one with those ports). */
bool pinholes_port_maybe(const struct pinholes *ps, uint16_t wport,
			 uint16_t tport);

#endif
