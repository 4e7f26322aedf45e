// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rulewatch.c's decisions, without I/O: when to look after nftables
 * events, which pinholes to put back, and the one line a restore logs.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rulewatch.h"

/* ---- when to look -------------------------------------------------------- */

void rw_debounce_change(struct rw_debounce *b, uint64_t now)
{
	if (!b->pending)
		b->first_ms = now;
	b->pending = true;
	b->ended = false;
	b->last_ms = now;
}

void rw_debounce_txn_end(struct rw_debounce *b, uint64_t now)
{
	/* the end of someone else's transaction that changed nothing of
	 * interest is no reason to look */
	if (b->pending) {
		b->ended = true;
		b->last_ms = now;
	}
}

uint64_t rw_debounce_due(const struct rw_debounce *b)
{
	uint64_t due;

	if (!b->pending)
		return RW_NEVER;
	due = b->ended ? b->last_ms : b->last_ms + RW_QUIET_MS;
	if (due > b->first_ms + RW_MAX_MS)
		due = b->first_ms + RW_MAX_MS;
	if (b->last_look_ms && due < b->last_look_ms + RW_MIN_GAP_MS)
		due = b->last_look_ms + RW_MIN_GAP_MS;
	return due;
}

void rw_debounce_looked(struct rw_debounce *b, uint64_t now)
{
	b->pending = false;
	b->ended = false;
	b->last_look_ms = now;
}

/* ---- pinholes ------------------------------------------------------------ */

bool rw_pin_restore(const struct rw_pin_seen *s, bool *pin_lost,
		    bool *map_lost)
{
	*pin_lost = *map_lost = false;
	/* consumed: pinholes_check() reports it; never opened twice */
	if (s->consumed || s->present < 0)
		return false;
	/* about to expire anyway (the check's own slack) */
	if (s->age_ms + PINHOLE_SLACK_MS >= s->timeout_ms)
		return false;
	if (s->present == 0) {
		/* a data connection took it, or we cannot tell */
		if (s->conn != PINHOLE_CONN_NONE)
			return false;
		*pin_lost = true;
		*map_lost = s->needs_nat && s->map_present != 1;
		return true;
	}
	*map_lost = s->needs_nat && s->map_present == 0;
	return *map_lost;
}

bool rw_ports_equal(const uint16_t *a, unsigned na, const uint16_t *b,
		    unsigned nb)
{
	unsigned i, j;

	/* as sets: each of a in b and each of b in a */
	for (i = 0; i < na; i++) {
		for (j = 0; j < nb && b[j] != a[i]; j++)
			;
		if (j == nb)
			return false;
	}
	for (j = 0; j < nb; j++) {
		for (i = 0; i < na && a[i] != b[j]; i++)
			;
		if (i == na)
			return false;
	}
	return true;
}

/* ---- the log line -------------------------------------------------------- */

bool rw_report_lost(const struct rw_report *r)
{
	return r->table_gone || r->incomplete || r->pin_rules_gone ||
	       r->queue_lost || r->pins_lost || r->maps_lost ||
	       r->ports_lost || r->catch_lost;
}

struct rw_line {
	char *buf;
	size_t len, off;
	unsigned items;		/* in the current part */
};

static void rw_add(struct rw_line *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* One item of a comma-separated part. */
static void rw_add(struct rw_line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->off >= l->len)
		return;
	if (l->items++) {
		n = snprintf(l->buf + l->off, l->len - l->off, ", ");
		l->off += n > 0 ? (size_t)n : 0;
		if (l->off >= l->len)
			return;
	}
	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->off, l->len - l->off, fmt, ap);
	va_end(ap);
	l->off += n > 0 ? (size_t)n : 0;
}

static void rw_part(struct rw_line *l, const char *sep)
{
	l->items = 0;
	if (l->off < l->len) {
		int n = snprintf(l->buf + l->off, l->len - l->off, "%s", sep);

		l->off += n > 0 ? (size_t)n : 0;
	}
}

static const char *rw_s(unsigned n)
{
	return n == 1 ? "" : "s";
}

size_t rw_describe(const struct rw_report *r, char *buf, size_t len)
{
	struct rw_line l = { .buf = buf, .len = len };

	if (!len)
		return 0;
	buf[0] = '\0';
	if (!rw_report_lost(r))
		return 0;
	rw_part(&l, "ruleset changed: ");
	if (r->table_gone)
		rw_add(&l, "table inet ftp_alg gone");
	else if (r->incomplete)
		rw_add(&l, "table inet ftp_alg incomplete (%s)",
		       r->incomplete);
	if (r->pin_rules_gone)
		rw_add(&l, "pin_nat/pin_fwd/pin_snat rules gone");
	if (r->queue_lost && !r->queue_found)
		rw_add(&l, "queue rules gone");
	else if (r->queue_lost)
		rw_add(&l, "queue rules changed (%u found)", r->queue_found);
	if (r->pins_lost)
		rw_add(&l, "%u pinhole%s gone", r->pins_lost,
		       rw_s(r->pins_lost));
	if (r->maps_lost)
		rw_add(&l, "%u mapping%s gone", r->maps_lost,
		       rw_s(r->maps_lost));
	if (r->ports_lost)
		rw_add(&l, "ctl_ports changed");
	if (r->catch_lost)
		rw_add(&l, "catch queue rule gone");
	rw_part(&l, ": restored ");
	if (r->table_done)
		rw_add(&l, "table inet ftp_alg from deploy/ftp-alg.nft");
	if (r->queue_done)
		rw_add(&l, "%u queue rule%s", r->queue_done,
		       rw_s(r->queue_done));
	if (r->pins_done)
		rw_add(&l, "%u pinhole%s", r->pins_done, rw_s(r->pins_done));
	if (r->maps_done)
		rw_add(&l, "%u mapping%s", r->maps_done, rw_s(r->maps_done));
	if (r->ports_done)
		rw_add(&l, "ctl_ports %s", r->ports_done);
	if (r->catch_done)
		rw_add(&l, "the catch queue rule");
	if (r->acks_done)
		rw_add(&l, "%u pure-ACK rule%s", r->acks_done,
		       rw_s(r->acks_done));
	if (!l.items)
		rw_add(&l, "nothing");
	if (r->failed[0]) {
		rw_part(&l, "; failed: ");
		rw_add(&l, "%s", r->failed);
	}
	return l.off < len ? l.off : len - 1;
}
