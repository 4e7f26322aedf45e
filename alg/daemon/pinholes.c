// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The pinholes we opened, and what became of each: added in one batch per
 * engine result, before its verdicts; checked once a second; removed with
 * their session. Every change is logged with the session id and counted.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "daemon.h"
#include "trace.h"

#define PINHOLE_BATCH	64	/* elements per removal batch */

const char *pinhole_str(const struct pin_entry *e, char *buf, size_t len)
{
	char peer[INET6_ADDRSTRLEN], wire[EVLOG_EP_LEN];
	char target[EVLOG_EP_LEN], from[INET6_ADDRSTRLEN] = "";

	alg_addr_str(e->family, &e->peer, peer, sizeof(peer));
	evlog_ep(e->wire.family, &e->wire.addr, e->wire.port, wire,
		 sizeof(wire));
	evlog_ep(e->target.family, &e->target.addr, e->target.port, target,
		 sizeof(target));
	if (pin_needs_snat(e))
		alg_addr_str(e->family, &e->peer_pub, from, sizeof(from));
	snprintf(buf, len, "%s -> %s => %s%s%s", peer, wire, target,
		 from[0] ? " from " : "", from);
	return buf;
}

/* ---- the port counts (struct pinholes.port_n) ---------------------- */

void pinholes_port_count(struct pinholes *ps, const struct pin_entry *e,
			 int delta)
{
	uint16_t ports[2] = { e->wire.port, e->target.port };
	unsigned k, np = ports[0] == ports[1] ? 1 : 2;

	if (!ps->port_n)
		return;
	for (k = 0; k < np; k++) {
		uint16_t *c = &ps->port_n[ports[k]];

		if (delta > 0 && *c == UINT16_MAX)
			ps->port_sat = true;
		else if (delta > 0)
			(*c)++;
		else if (*c)
			(*c)--;
	}
}

bool pinholes_port_maybe(const struct pinholes *ps, uint16_t wport,
			 uint16_t tport)
{
	if (!ps->port_n || ps->port_sat)
		return ps->n > 0;
	return ps->port_n[wport] || ps->port_n[tport];
}

/* Might a pinhole of ours have the key of one of batch[0..n)? */
static bool pinholes_maybe_near(const struct pinholes *ps,
				const struct pin_entry *batch, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (pinholes_port_maybe(ps, batch[i].wire.port,
					batch[i].target.port))
			return true;
	return false;
}

/* p into the table (room reserved). */
static void pinholes_put(struct pinholes *ps, const struct pinhole *p)
{
	ps->v[ps->n++] = *p;
	pinholes_port_count(ps, &p->e, 1);
}

/* It leaves the table, and the journal hears so. */
void pinholes_forget(struct daemon *d, unsigned i)
{
	struct pinholes *ps = &d->pins;
	const struct pinhole *p = &ps->v[i];

	journal_unpin(d, &(struct journal_pin){
		.sid = p->sid, .e = p->e, .added_ms = p->added_ms,
	});
	pinholes_port_count(ps, &p->e, -1);
	ps->v[i] = ps->v[--ps->n];
	if (!ps->n)
		ps->port_sat = false;	/* every count is 0 again */
}

bool pinholes_reserve(struct pinholes *ps, unsigned n)
{
	struct pinhole *p;
	unsigned cap;

	if (!ps->port_n && !ps->n)
		ps->port_n = calloc(65536, sizeof(*ps->port_n));
	if (ps->n + n <= ps->cap)
		return true;
	cap = ps->cap ? ps->cap * 2 : 64;
	while (cap < ps->n + n)
		cap *= 2;
	p = realloc(ps->v, cap * sizeof(*p));
	if (!p)
		return false;
	ps->v = p;
	ps->cap = cap;
	return true;
}

/* The EXPECT events of r as entries; refused ones are logged. */
static unsigned pinholes_collect(struct daemon *d, const struct alg_result *r,
				 const bool *skip, struct pin_entry *batch,
				 uint64_t *sids)
{
	char buf[PINHOLE_STR_LEN];
	unsigned i, n = 0;

	for (i = 0; i < r->nev; i++) {
		const struct alg_event *ev = &r->ev[i];
		struct pin_entry *e = &batch[n];

		if (ev->type != ALG_EV_EXPECT || skip[i])
			continue;
		memset(e, 0, sizeof(*e));
		e->family = ev->exp.family;
		e->peer = ev->exp.peer;
		e->peer_pub = ev->exp.peer_pub;
		e->wire = ev->exp.wire;
		e->target = ev->exp.target;
		e->timeout_ms = d->cfg.pinhole_timeout_s * 1000u;
		if (d->pins.n + n >= PINHOLE_MAX) {
			d->st.pin_fail++;
			log_sess(LOG_WARNING, ev->sid,
				 "pinhole refused %s: %u pinholes open",
				 pinhole_str(e, buf, sizeof(buf)),
				 d->pins.n + n);
			continue;
		}
		sids[n++] = ev->sid;
	}
	return n;
}

static bool expect_eq(const struct alg_expect *a, const struct alg_expect *b)
{
	return a->family == b->family &&
	       alg_addr_eq(a->family, &a->peer, &b->peer) &&
	       alg_addr_eq(a->family, &a->wire.addr, &b->wire.addr) &&
	       a->wire.port == b->wire.port &&
	       alg_addr_eq(a->family, &a->target.addr, &b->target.addr) &&
	       a->target.port == b->target.port;
}

static bool pinhole_is(const struct pinhole *p, uint64_t sid,
		       const struct alg_expect *x)
{
	const struct pin_entry *e = &p->e;

	if (p->sid != sid)	/* the common answer in a walk of them all */
		return false;
	return expect_eq(&(const struct alg_expect){
				.family = e->family, .peer = e->peer,
				.wire = e->wire, .target = e->target,
			 }, x);
}

/*
 * A new pinhole of the session replaces its oldest (the engine's NOTE
 * PIN_REPLACED, max_pinholes_per_session): that one goes first, in its
 * own batch, before the new one is added and before any verdict. One
 * its data connection already consumed only loses its mapping; one we
 * no longer hold (used and forgotten) needs nothing.
 */
static void pinholes_replace(struct daemon *d, const struct alg_event *ev,
			     uint64_t now)
{
	struct pinhole_ct_view view = { .loaded = false };
	struct pinholes *ps = &d->pins;
	enum pinhole_fate fate;
	enum pinhole_conn conn;
	struct pin_entry e;
	uint64_t sid = ev->sid;
	unsigned i;
	bool unknown, gone;

	for (i = 0; i < ps->n && !pinhole_is(&ps->v[i], sid, &ev->exp); i++)
		;
	if (i == ps->n)
		return;
	verdicts_flush(d);	/* round trips follow: earlier packets go first */
	fate = pinholes_judge(d, &ps->v[i],
			      STATS_NL(&d->ws, STATS_NL_NFT_QUERY,
				       pin_present(d->fw, &ps->v[i].e)),
			      now, true, &view, &unknown, &conn);
	if (fate == PINHOLE_REMOVED) {
		/* unused: its outcome is the replacement, not a session end */
		d->st.pin_removed--;
		d->st.pin_replaced++;
		fate = PINHOLE_REPLACED;
	}
	gone = ps->v[i].gone;
	e = ps->v[i].e;
	pinholes_forget(d, i);
	pinholes_delete(d, &e, &gone, &sid, &fate, &unknown, &conn, 1);
	pinholes_ct_view_free(&view);
}

bool pinhole_key_near(const struct pin_entry *e,
		      const struct pin_entry *batch, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (e->family == batch[i].family &&
		    alg_addr_eq(e->family, &e->peer, &batch[i].peer) &&
		    ((alg_addr_eq(e->family, &e->wire.addr,
				  &batch[i].wire.addr) &&
		      e->wire.port == batch[i].wire.port) ||
		     (alg_addr_eq(e->family, &e->target.addr,
				  &batch[i].target.addr) &&
		      e->target.port == batch[i].target.port)))
			return true;
	return false;
}

/*
 * batch[0..n) was added: a pinhole of our table (not one of those) with
 * the key of one of them is forgotten, never removed. Its elements are
 * the new pinhole's now: a later removal of the old one (its session's
 * next PASV, the check, its session's end) would take the new pinhole
 * and its mapping down, and the new data connection would be refused.
 * This happens when a server gives the same port to two sessions of one
 * client address in turn.
 */
static void pinholes_supersede(struct daemon *d, unsigned first,
			       const struct pin_entry *batch,
			       const uint64_t *sids, unsigned n)
{
	struct pinholes *ps = &d->pins;
	char buf[PINHOLE_STR_LEN];
	unsigned i, k;

	for (i = first; i-- > 0;) {
		struct pinhole *p = &ps->v[i];

		if (!pinhole_key_near(&p->e, batch, n))
			continue;
		for (k = 0; k + 1 < n &&
			    !pinhole_key_near(&p->e, &batch[k], 1); k++)
			;
		d->st.pin_removed++;
		log_sess(LOG_INFO, p->sid, "pinhole handed over %s: announced "
			 "again (#%llu)", pinhole_str(&p->e, buf, sizeof(buf)),
			 (unsigned long long)sids[k]);
		trace_pin(d, p->sid, "removed", &p->e);
		pinholes_forget(d, i);	/* refills i from the end: looked at */
	}
}

/* Has a pinhole of our table the key of one of batch[0..n)? */
static bool pinholes_near_any(const struct daemon *d,
			      const struct pin_entry *batch, unsigned n)
{
	unsigned i;

	if (!pinholes_maybe_near(&d->pins, batch, n))
		return false;
	for (i = 0; i < d->pins.n; i++)
		if (pinhole_key_near(&d->pins.v[i].e, batch, n))
			return true;
	return false;
}

/*
 * With destroy semantics the replaced pinhole goes in the batch that adds
 * its successor (one round trip before the verdict, where it was three:
 * a GET, a destroy batch, the add). It stays in our table, retired, and
 * the next pass says what became of it (used4/used6 tell whether a data
 * connection consumed it first). One with the key of a pinhole the same
 * batch adds is only forgotten: destroying it later would take the new
 * one down too.
 */
static unsigned pinholes_retire(struct daemon *d, const struct alg_event *ev,
				const struct pin_entry *batch, unsigned n,
				uint64_t now, struct pin_entry *old)
{
	struct pinholes *ps = &d->pins;
	char buf[PINHOLE_STR_LEN];
	struct pinhole *p;
	unsigned i;

	d->st.pin_replaced++;
	/* newest first: the one replaced is mostly among the last added */
	for (i = ps->n; i-- > 0;)
		if (!ps->v[i].retired && pinhole_is(&ps->v[i], ev->sid, &ev->exp))
			break;
	if (i == UINT_MAX)
		return 0;
	p = &ps->v[i];
	*old = p->e;
	if (pinhole_key_near(&p->e, batch, n)) {
		d->st.pin_removed++;
		log_sess(LOG_INFO, p->sid, "pinhole removed %s",
			 pinhole_str(&p->e, buf, sizeof(buf)));
		trace_pin(d, p->sid, "removed", &p->e);
		pinholes_forget(d, i);
		return 0;
	}
	p->retired = true;
	if (!p->consumed_ms)
		p->consumed_ms = now;
	return 1;
}

/*
 * The pinhole note j replaces was announced earlier in r (two passive
 * replies in one result): that EXPECT is skipped, never added. True then.
 */
static bool replaced_here(const struct alg_result *r, unsigned j, bool *skip)
{
	const struct alg_event *note = &r->ev[j];
	unsigned i;

	for (i = 0; i < j; i++)
		if (r->ev[i].type == ALG_EV_EXPECT && !skip[i] &&
		    r->ev[i].sid == note->sid &&
		    expect_eq(&r->ev[i].exp, &note->exp)) {
			skip[i] = true;
			return true;
		}
	return false;
}

void pinholes_plan(const struct alg_result *r, bool *skip, bool *remove)
{
	unsigned i;

	memset(skip, 0, r->nev * sizeof(*skip));
	for (i = 0; i < r->nev; i++)
		remove[i] = r->ev[i].type == ALG_EV_NOTE &&
			    r->ev[i].reason == ALG_R_PIN_REPLACED &&
			    !replaced_here(r, i, skip);
}

/*
 * batch[0..n) (sessions sids, announced at[]) went to the kernel, or
 * failed with ret: into our table and the journal, counted and logged.
 * late: their announcements left before their transaction.
 */
void pinholes_added(struct daemon *d, const struct pin_entry *batch,
		    const uint64_t *sids, const uint64_t *at, unsigned n,
		    int ret, bool late)
{
	char buf[PINHOLE_STR_LEN];
	unsigned i, first = d->pins.n;
	/* before they are in it: might an older one have their key? */
	bool near = !ret && pinholes_maybe_near(&d->pins, batch, n);

	for (i = 0; i < n; i++) {
		if (ret) {
			d->st.pin_fail++;
			trace_pin(d, sids[i], "failed", &batch[i]);
			log_sess(LOG_ERR, sids[i], "pinhole failed %s: %s%s",
				 pinhole_str(&batch[i], buf, sizeof(buf)),
				 strerror(-ret), late ? " (its announcement "
				 "has left: the data connection will be "
				 "refused)" : "");
			continue;
		}
		pinholes_put(&d->pins, &(struct pinhole){
			.sid = sids[i], .e = batch[i], .added_ms = at[i],
		});
		/* in the journal before the verdict that announces it, or
		 * (late) right after the transaction */
		journal_pin(d, &(struct journal_pin){
			.sid = sids[i], .e = batch[i], .added_ms = at[i],
		});
		d->st.pin_added++;
		trace_pin(d, sids[i], "added", &batch[i]);
		log_sess(LOG_INFO, sids[i], "pinhole added %s (%us)",
			 pinhole_str(&batch[i], buf, sizeof(buf)),
			 d->cfg.pinhole_timeout_s);
	}
	if (near)
		pinholes_supersede(d, first, batch, sids, n);
}

/* A pending pinhole of a session r is about: its transaction first. */
static void pinholes_async_order(struct daemon *d, const struct alg_result *r)
{
	unsigned i;

	for (i = 0; i < r->nev && d->as.nadd; i++)
		if ((r->ev[i].type == ALG_EV_EXPECT ||
		     r->ev[i].type == ALG_EV_NOTE ||
		     r->ev[i].type == ALG_EV_CLOSE) &&
		    pin_async_pending_sid(d, r->ev[i].sid))
			pin_async_commit(d);
}

void pinholes_add(struct daemon *d, const struct alg_result *r,
		  uint64_t now)
{
	struct pin_entry batch[ALG_MAX_EV];
	struct pin_entry old[ALG_MAX_EV];
	struct pin_peer peers[ALG_MAX_EV];
	uint64_t sids[ALG_MAX_EV], at[ALG_MAX_EV];
	unsigned i, n, nold = 0, np;
	bool near;
	int ret;

	bool skip[ALG_MAX_EV], remove[ALG_MAX_EV];

	pinholes_async_order(d, r);
	pinholes_plan(r, skip, remove);
	n = pinholes_collect(d, r, skip, batch, sids);
	/* before the retired ones are forgotten: one may have the key */
	near = pinholes_near_any(d, batch, n);
	for (i = 0; i < r->nev; i++) {
		if (!remove[i])
			continue;
		if (d->pin_destroy)
			nold += pinholes_retire(d, &r->ev[i], batch, n, now,
						&old[nold]);
		else
			pinholes_replace(d, &r->ev[i], now);
	}
	if (!n && !nold)
		return;
	/*
	 * The pair known to be in peer4/peer6: the verdicts go first. Not
	 * when a pinhole of our table has a key of a new one: its mapping
	 * may still be there after its data connection consumed it, and a
	 * SYN that comes first would meet that mapping (so chain pin_catch
	 * would not hold it) and no pinhole yet.
	 */
	if (!near && pin_async_take(d, old, nold, batch, sids, n, now))
		return;
	pin_async_commit(d);	/* what was announced before goes first */
	verdicts_flush(d);	/* a round trip: earlier packets go first */
	np = pin_async_peers(d, batch, n, peers, now);
	/* the retired ones' destroys, the pairs and the new ones: one
	 * transaction */
	ret = pinholes_reserve(&d->pins, n) ?
	      STATS_NL(&d->ws, STATS_NL_NFT_BATCH,
		       pin_change(d->fw, &(struct pin_change){
				.old = old, .nold = nold, .peer = peers,
				.npeer = np, .add = batch, .nadd = n,
			})) :
	      -ENOMEM;
	if (!ret)
		pin_async_peers_added(d, peers, np, now);
	for (i = 0; i < n; i++)
		at[i] = now;
	pinholes_added(d, batch, sids, at, n, ret, false);
}

/*
 * An element leaves its set when a data connection consumes it (pin_fwd
 * deletes it) or when the kernel's garbage collection finds it timed out.
 */
enum pinhole_fate pinhole_fate(int present, uint64_t age_ms,
			       uint64_t timeout_ms, bool closing)
{
	if (present == 0)
		return age_ms + PINHOLE_SLACK_MS < timeout_ms ? PINHOLE_USED
							      : PINHOLE_EXPIRED;
	if (present > 0 && age_ms >= timeout_ms + PINHOLE_GC_GRACE_MS)
		return PINHOLE_EXPIRED;
	return closing ? PINHOLE_REMOVED : PINHOLE_KEEP;
}

enum pinhole_fate pinhole_retired_fate(int present, bool noted,
				       enum pinhole_conn c, uint64_t since_ms,
				       bool closing)
{
	if (present != 0 || !noted)
		return PINHOLE_REMOVED;
	return pinhole_conn_fate(c, since_ms, closing);
}

const char *pinhole_fate_name(enum pinhole_fate f)
{
	switch (f) {
	case PINHOLE_USED:
		return "used";
	case PINHOLE_EXPIRED:
		return "expired";
	case PINHOLE_REMOVED:
		return "removed";
	case PINHOLE_UNESTABLISHED:
		return "not established";
	case PINHOLE_REPLACED:
		return "replaced";
	case PINHOLE_KEEP:
		break;
	}
	return "kept";
}

/*
 * Decide from present (as pin_present() answers), count. A pinhole gone
 * before its timeout was consumed; it counts as used only once conntrack has seen its data
 * connection answered (pinholes_ct.c).
 */
enum pinhole_fate pinholes_judge(struct daemon *d, struct pinhole *p,
				 int present, uint64_t now, bool closing,
				 struct pinhole_ct_view *view, bool *unknown,
				 enum pinhole_conn *conn)
{
	enum pinhole_fate f;

	p->gone = present == 0;
	*unknown = present < 0;
	*conn = PINHOLE_CONN_UNKNOWN;
	if (p->retired) {
		/* we destroyed it: gone says nothing, used4/used6 do */
		bool noted = present == 0 &&
			     pinholes_conn_noted(d, view, &p->e, conn);

		*unknown = *unknown || (noted && *conn == PINHOLE_CONN_UNKNOWN);
		f = pinhole_retired_fate(present, noted, *conn,
					 now - p->consumed_ms, closing);
	} else {
		f = pinhole_fate(present, now - p->added_ms, p->e.timeout_ms,
				 closing);
	}
	if (f == PINHOLE_USED && !p->retired) {
		if (!p->consumed_ms)
			p->consumed_ms = now;
		*conn = pinholes_conn(d, view, &p->e);
		*unknown = *unknown || *conn == PINHOLE_CONN_UNKNOWN;
		f = pinhole_conn_fate(*conn, now - p->consumed_ms, closing);
	}
	if (f == PINHOLE_USED)
		d->st.pin_used++;
	else if (f == PINHOLE_UNESTABLISHED)
		d->st.pin_unestablished++;
	else if (f == PINHOLE_EXPIRED)
		d->st.pin_expired++;
	else if (f == PINHOLE_REMOVED)
		d->st.pin_removed++;
	return f;
}

/* The one line a pinhole's end gets. */
static void pinholes_log_fate(uint64_t sid, const struct pin_entry *e,
			      enum pinhole_fate f, bool unknown,
			      enum pinhole_conn conn)
{
	char buf[PINHOLE_STR_LEN];

	if (f == PINHOLE_UNESTABLISHED) {
		log_sess(LOG_WARNING, sid, "pinhole consumed but the data "
			 "connection was not established: %s (%s)",
			 pinhole_conn_reason(conn),
			 pinhole_str(e, buf, sizeof(buf)));
		return;
	}
	log_sess(LOG_INFO, sid, "pinhole %s%s %s", pinhole_fate_name(f),
		 unknown ? " (state unknown)" : "",
		 pinhole_str(e, buf, sizeof(buf)));
}

/*
 * One batch for n elements and their mappings. With destroy semantics a
 * gone element is no error (nothing aborts); without, the elements seen
 * gone are left out and the rest retried on ENOENT (pin_del_gone()).
 */
static int pinholes_del(struct daemon *d, const struct pin_entry *batch,
			unsigned n, const bool *gone)
{
	if (d->pin_destroy)
		return pin_destroy(d->fw, batch, n);
	return pin_del_gone(d->fw, batch, n, gone);
}

/* Delete batch[0..n) and log each with its fate. */
int pinholes_delete(struct daemon *d, const struct pin_entry *batch,
		    const bool *gone, const uint64_t *sids,
		    const enum pinhole_fate *fate, const bool *unknown,
		    const enum pinhole_conn *conn, unsigned n)
{
	char buf[PINHOLE_STR_LEN];
	unsigned k;
	int ret;

	/* also deletes the dnat4/snat4 mappings of used pinholes */
	ret = STATS_NL(&d->ws, STATS_NL_NFT_BATCH,
		       pinholes_del(d, batch, n, gone));
	for (k = 0; k < n; k++) {
		if (ret) {
			log_sess(LOG_ERR, sids[k],
				 "pinhole removal failed %s: %s",
				 pinhole_str(&batch[k], buf, sizeof(buf)),
				 strerror(-ret));
			continue;
		}
		pinholes_log_fate(sids[k], &batch[k], fate[k], unknown[k],
				  conn[k]);
		trace_pin(d, sids[k], pinhole_fate_name(fate[k]), &batch[k]);
	}
	return ret;
}

/*
 * The session ends' shared view of used4/used6: reused for
 * PINHOLE_CLOSE_VIEW_MS; NULL on ENOMEM (each end then looks alone).
 */
static struct pinhole_ct_view *close_view(struct daemon *d, uint64_t now)
{
	struct pinholes *ps = &d->pins;

	if (!ps->cview) {
		ps->cview = calloc(1, sizeof(*ps->cview));
		if (!ps->cview)
			return NULL;
		ps->cview_ms = now;
	}
	ps->cview->by_get = d->used_get;
	if (now - ps->cview_ms >= PINHOLE_CLOSE_VIEW_MS) {
		pinholes_ct_view_free(ps->cview);
		ps->cview_ms = now;
	} else {
		/* the sets' notes keep; what conntrack said may not */
		pinholes_ct_view_refetch(ps->cview);
	}
	return ps->cview;
}

/*
 * p, consumed (gone before its timeout, or retired), and v has no note of
 * its data connection: v may predate the consumption. A view made after
 * it answers; so does a fresh one, made at most every
 * PINHOLE_CLOSE_REFRESH_MS. Otherwise (a storm of session ends) p waits
 * for the next pass, which dumps the sets once for all: true.
 */
static bool close_defer(struct daemon *d, struct pinhole *p, int present,
			uint64_t now)
{
	struct pinholes *ps = &d->pins;
	struct pinhole_ct_view *v = ps->cview;

	if (present != 0 || !v ||
	    (v->by_get && p->e.family == AF_INET) ||
	    (!p->retired && pinhole_fate(0, now - p->added_ms,
					 p->e.timeout_ms, true) != PINHOLE_USED))
		return false;	/* nothing to ask used4/used6, or one GET */
	if (pinholes_used_noted(d, v, &p->e) ||
	    (p->consumed_ms && p->consumed_ms < ps->cview_ms))
		return false;
	if (now - ps->cview_ms >= PINHOLE_CLOSE_REFRESH_MS) {
		pinholes_ct_view_free(v);
		ps->cview_ms = now;
		return false;
	}
	return true;
}

/*
 * Remove the pinholes of session sid (or all of them), in batches. One
 * already consumed by its data connection is reported "used": a transfer
 * often ends with its session, before the once-a-second check saw it.
 * One whose judgement needs a look at used4/used6 the shared view cannot
 * give now stays, closing, for the next pass (close_defer()).
 */
int pinholes_remove(struct daemon *d, uint64_t sid, bool all, uint64_t now)
{
	struct pin_entry batch[PINHOLE_BATCH];
	enum pinhole_fate fate[PINHOLE_BATCH];
	enum pinhole_conn conn[PINHOLE_BATCH];
	bool unknown[PINHOLE_BATCH], gone[PINHOLE_BATCH];
	uint64_t sids[PINHOLE_BATCH];
	struct pinhole_ct_view local = { .loaded = false }, *view;
	struct pinholes *ps = &d->pins;
	unsigned i = 0, n;
	bool flushed = false;
	int ret, fail = 0, present;

	pin_async_commit(d);	/* pending ones are in the table after it */
	view = all ? NULL : close_view(d, now);
	if (!view)
		view = &local;
	while (i < ps->n) {
		n = 0;
		/* swap-remove: index i is refilled, so do not advance */
		while (i < ps->n && n < PINHOLE_BATCH) {
			if (!all && (ps->v[i].sid != sid ||
				     ps->v[i].closing)) {
				i++;
				continue;
			}
			/* round trips follow: earlier packets go first */
			if (!flushed) {
				verdicts_flush(d);
				flushed = true;
			}
			/* a session's end: its own pinholes, one GET each */
			present = STATS_NL(&d->ws, STATS_NL_NFT_QUERY,
					   pin_present(d->fw, &ps->v[i].e));
			if (view != &local &&
			    close_defer(d, &ps->v[i], present, now)) {
				ps->v[i].closing = true;
				i++;
				continue;
			}
			fate[n] = pinholes_judge(d, &ps->v[i], present, now,
						 true, view, &unknown[n],
						 &conn[n]);
			sids[n] = ps->v[i].sid;
			gone[n] = ps->v[i].gone;
			batch[n++] = ps->v[i].e;
			pinholes_forget(d, i);
		}
		if (!n)
			break;
		ret = pinholes_delete(d, batch, gone, sids, fate, unknown,
				      conn, n);
		if (ret)
			fail = ret;
	}
	pinholes_ct_view_free(&local);
	return fail;
}

bool pinholes_adopt(struct daemon *d, uint64_t sid,
		    const struct pin_entry *e, uint64_t added_ms)
{
	char buf[PINHOLE_STR_LEN];

	if (!pinholes_reserve(&d->pins, 1))
		return false;
	pinholes_put(&d->pins, &(struct pinhole){
		.sid = sid, .e = *e, .added_ms = added_ms,
	});
	d->st.pin_adopted++;
	log_sess(LOG_INFO, sid, "pinhole taken over %s",
		 pinhole_str(e, buf, sizeof(buf)));
	return true;
}

void pinholes_free(struct daemon *d)
{
	pinholes_pass_free(d);	/* the rest waits for the next start */
	if (d->pins.cview) {
		pinholes_ct_view_free(d->pins.cview);
		free(d->pins.cview);
	}
	free(d->pins.v);
	free(d->pins.port_n);
	d->pins = (struct pinholes){ 0 };
}
