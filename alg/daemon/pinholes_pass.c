// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The once-a-second check of our pinholes, in steps: a pass starts with
 * one dump of the sets (pinholes_seen.c); then each step judges the next
 * PINHOLE_STEP pinholes, asks conntrack about the consumed ones among them
 * in batches (pinholes_ct.c), and removes what goes in one destroy batch.
 * The event loop runs a step per turn while a pass is under way, so the
 * queue is read between steps.
 *
 * A pinhole added after the pass's dump is left for the next pass (the
 * dump cannot have seen it). Removals elsewhere (a session's end) move
 * the last pinhole into the gap: one moved behind the cursor waits for the
 * next pass too.
 */
#include <stdlib.h>

#include "daemon.h"

struct pinhole_pass {
	uint64_t started_ms;	/* the dump's time */
	unsigned cursor;	/* the next pinhole to judge */
	struct pinhole_seen seen;
	struct pinhole_ct_view view;
};

static void pass_end(struct daemon *d)
{
	struct pinhole_pass *pp = d->pins.pass;

	if (!pp)
		return;
	pinholes_seen_free(&pp->seen);
	pinholes_ct_view_free(&pp->view);
	free(pp);
	d->pins.pass = NULL;
}

void pinholes_pass_free(struct daemon *d)
{
	pass_end(d);
}

void pinholes_check(struct daemon *d, uint64_t now)
{
	struct pinhole_pass *pp;

	if (d->pins.pass || !d->pins.n)
		return;		/* the last pass is still going */
	pp = calloc(1, sizeof(*pp));
	if (!pp)
		return;		/* the next second tries again */
	pp->started_ms = now;
	/* IPv4 by GETs on usedp4, not a dump of used4 */
	pp->view.by_get = d->used_get;
	d->pins.pass = pp;
	pinholes_seen_load(d, &pp->seen);
	pinholes_check_step(d, now);
}

/* Whether the pass looks at p (the dump saw its set after it was added). */
static bool pass_covers(const struct pinhole_pass *pp, const struct pinhole *p)
{
	return p->added_ms < pp->started_ms;
}

/* Might the pass want a conntrack answer for p? */
static bool step_wants(const struct pinhole_pass *pp, const struct pinhole *p,
		       uint64_t now)
{
	return pass_covers(pp, p) &&
	       pinholes_seen_has(&pp->seen, &p->e) == 0 &&
	       pinhole_fate(0, now - p->added_ms, p->e.timeout_ms,
			    false) == PINHOLE_USED;
}

/*
 * The consumed ones of the next step, asked about in batches: those from
 * the cursor on, and as many at the end of the table, which refill the
 * places of the ones the step forgets (pinholes_forget()): a consumed
 * one is forgotten, so about that many move in.
 */
static void step_prefetch(struct daemon *d, struct pinhole_pass *pp,
			  uint64_t now)
{
	struct pin_entry e[2 * PINHOLE_STEP];
	struct pinholes *ps = &d->pins;
	unsigned i, n = 0, end = pp->cursor + PINHOLE_STEP, tail;

	for (i = pp->cursor; i < end && i < ps->n; i++)
		if (step_wants(pp, &ps->v[i], now))
			e[n++] = ps->v[i].e;
	tail = ps->n > n ? ps->n - n : 0;
	for (i = tail > end ? tail : end; i < ps->n; i++)
		if (step_wants(pp, &ps->v[i], now))
			e[n++] = ps->v[i].e;
	if (n)
		pinholes_conn_prefetch(d, &pp->view, e, n);
}

bool pinholes_check_step(struct daemon *d, uint64_t now)
{
	struct pin_entry batch[PINHOLE_STEP];
	enum pinhole_fate fate[PINHOLE_STEP];
	enum pinhole_conn conn[PINHOLE_STEP];
	bool unknown[PINHOLE_STEP], gone[PINHOLE_STEP];
	uint64_t sids[PINHOLE_STEP];
	struct pinhole_pass *pp = d->pins.pass;
	struct pinholes *ps = &d->pins;
	unsigned looked = 0, n = 0, i;
	struct pinhole *p;

	if (!pp)
		return false;
	step_prefetch(d, pp, now);
	i = pp->cursor;
	while (i < ps->n && looked < PINHOLE_STEP) {
		p = &ps->v[i];
		looked++;
		if (!pass_covers(pp, p)) {
			i++;
			continue;
		}
		/* closing: its session ended (pinholes_remove()) */
		fate[n] = pinholes_judge(d, p,
					 pinholes_seen_has(&pp->seen, &p->e),
					 now, p->closing, &pp->view, &unknown[n],
					 &conn[n]);
		if (fate[n] == PINHOLE_KEEP) {
			i++;
			continue;
		}
		sids[n] = p->sid;
		gone[n] = p->gone;
		batch[n++] = p->e;
		pinholes_forget(d, i);	/* refills index i */
	}
	pp->cursor = i;
	if (n)
		pinholes_delete(d, batch, gone, sids, fate, unknown, conn, n);
	if (pp->cursor >= ps->n)
		pass_end(d);
	return d->pins.pass != NULL;
}
