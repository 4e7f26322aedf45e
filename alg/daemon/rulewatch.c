// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Ruleset changes, seen and mended. nftables events (nft/watch.c) tell
 * us that someone changed table inet ftp_alg, or another table's chains;
 * after the transaction (rulewatch_decide.c says when) we look at the
 * state, not at the events, and put back what is missing:
 *
 *   table, its sets and chains   from deploy/ftp-alg.nft (definition.c)
 *   the queue rules              ruleset_queue_reinstall()
 *   set ctl_ports                control_ports, exactly
 *   open pinholes and mappings   from the pinhole table, remaining timeout
 *
 * then log one line saying what was lost and what came back. Our own
 * changes over the nf_tables socket never reach us (watch.c drops them by
 * portid); those libnftables makes are events like anyone's, and the look
 * they cause finds nothing missing: no line, no second restore.
 *
 * And the admin rule: at start, and after any change to another table,
 * every drop-policy forward chain without a rule accepting the pinhole
 * mark gets one warning.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "daemon.h"
#include "rulewatch.h"
#include "workers.h"
#include "ftp-alg/nftwatch.h"
#include "ftp-alg/ruleset.h"

#define RW_PIN_BATCH	64
#define RW_QUEUE_RULES	RULESET_QUEUE_RULES	/* see ruleset.h */

struct rulewatch {
	struct nftw_sock *w;
	struct rw_debounce db;
	bool ours;		/* the pending changes touched our table */
	bool forward;		/* ... or another table's chains */
};

/* control_ports as a list; n of them */
static unsigned rw_config_ports(const struct daemon *d, uint16_t *ports)
{
	unsigned n;

	for (n = 0; n < ALG_MAX_CTL_PORTS && d->cfg.pol.ctl_ports[n]; n++)
		ports[n] = d->cfg.pol.ctl_ports[n];
	return n;
}

static void rw_ports_str(const uint16_t *ports, unsigned n, char *buf,
			 size_t len)
{
	size_t off = 0;
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%u",
					i ? "," : "", ports[i]);
}

static void rw_fail(struct rw_report *r, const char *what, int err,
		    const char *detail)
{
	size_t off = strlen(r->failed);

	snprintf(r->failed + off, sizeof(r->failed) - off, "%s%s: %s",
		 off ? ", " : "", what, detail ? detail : strerror(-err));
}

int rulewatch_push_ports(struct daemon *d)
{
	uint16_t ports[ALG_MAX_CTL_PORTS];
	unsigned n = rw_config_ports(d, ports);
	int ret;

	ret = ruleset_ctl_ports_set(d->fw, ports, n);
	if (ret)
		log_err("cannot fill set inet %s %s with control_ports: %s",
			PIN_TABLE, RULESET_CTL_PORTS, strerror(-ret));
	return ret;
}

/* ---- the admin rule ------------------------------------------------------ */

struct rw_admin {
	struct daemon *d;
	unsigned missing;
};

static void rw_admin_chain(const struct nftw_chain *c, bool accepts,
			   void *arg)
{
	struct rw_admin *a = arg;

	if (accepts)
		return;
	a->missing++;
	a->d->st.admin_warnings++;
	log_warn("chain %s %s %s (forward, policy drop) has no rule "
		 "accepting the pinhole mark: data connections through "
		 "pinholes will be dropped; add \"ct mark & 0x%08x == 0x%08x "
		 "accept\" to it", nftw_family_name(c->family), c->table,
		 c->name, PIN_CT_MARK, PIN_CT_MARK);
}

static void rw_admin_check(struct daemon *d)
{
	struct rw_admin a = { .d = d };
	int ret;

	ret = nftw_forward_check(d->fw, PIN_CT_MARK, rw_admin_chain, &a);
	if (ret < 0) {
		log_err("cannot check the forward chains for the admin rule: "
			"%s", strerror(-ret));
		return;
	}
	d->st.admin_missing = a.missing;
}

/* ---- restoring ----------------------------------------------------------- */

/* Announcements go before their pinholes (set once, at start). */
static bool rw_async(const struct daemon *d)
{
	return d->nw >= 1 && d->w[0]->as.on;
}

/* The table, its sets and chains, and the rules of ctl_hook and pin_*. */
static void rw_fix_table(struct daemon *d, struct rw_report *r)
{
	char err[160];
	const char *what = NULL;
	/* pin_catch: two rules for peer4/peer6, two for peerq4/peerq6 */
	unsigned want_catch = d->nw > 1 ? 4 : 2;
	unsigned nat = 0, fwd = 0, hook = 0, snat = 0, catch = want_catch;
	int ret;

	ret = ruleset_check_table(d->fw, &what);
	if (ret) {
		if (!what || !strncmp(what, "table", 5))
			r->table_gone = true;
		else
			r->incomplete = what;
	} else if (ruleset_chain_rules(d->fw, "pin_nat", &nat) ||
		   ruleset_chain_rules(d->fw, "pin_fwd", &fwd) ||
		   ruleset_chain_rules(d->fw, RULESET_HOOK_CHAIN, &hook) ||
		   ruleset_chain_rules(d->fw, "pin_snat", &snat) ||
		   (rw_async(d) && ruleset_chain_rules(d->fw,
						       RULESET_CATCH_HOOK,
						       &catch)) ||
		   nat < 1 || fwd < 2 || hook < 2 || snat < 1 ||
		   catch < want_catch) {
		r->pin_rules_gone = true;
	}
	if (!r->table_gone && !r->incomplete && !r->pin_rules_gone)
		return;
	/* nft -f deploy/ftp-alg.nft: creates what is missing, keeps the
	 * rest, and replaces the rules of ctl_hook and pin_* */
	ret = ruleset_load_definition(err, sizeof(err));
	if (ret)
		rw_fail(r, "table", ret, err[0] ? err : NULL);
	else
		r->table_done = true;
}

static void rw_fix_queue(struct daemon *d, struct rw_report *r)
{
	unsigned want = RW_QUEUE_RULES +
			(d->pure_acks ? RULESET_PURE_ACK_RULES : 0), n = 0;
	int ret;

	ret = ruleset_chain_rules(d->fw, RULESET_QUEUE_CHAIN, &n);
	if (!ret && n == want)
		return;
	r->queue_lost = true;
	r->queue_found = n;
	ret = ruleset_queue_reinstall(d->fw, d->cfg.queue, d->cfg.queues,
					   d->cfg.fail_open, d->native_queue,
					   d->pure_acks);
	if (ret && d->pure_acks) {
		/* a table loaded from a file without sets pure_ack4/6:
		 * queue everything rather than nothing (idle checks stay:
		 * they only ask conntrack) */
		log_msg(LOG_NOTICE, "pure-ACK rules refused (%s): every packet "
			"of a control connection is queued from now on",
			strerror(-ret));
		d->pure_acks = false;
		want = RW_QUEUE_RULES;
		ret = ruleset_queue_reinstall(d->fw, d->cfg.queue,
					      d->cfg.queues, d->cfg.fail_open,
					      d->native_queue, false);
	}
	if (ret) {
		rw_fail(r, "queue rules", ret, NULL);
	} else {
		r->queue_done = RW_QUEUE_RULES;
		r->acks_done = want - RW_QUEUE_RULES;
	}
}

/* Several queues: each worker's chain catch_q<i> and its one rule. */
static int rw_fix_catch_workers(struct daemon *d, struct rw_report *r)
{
	char name[RULESET_CATCH_NAME_LEN];
	unsigned i, n;
	int ret, err = 0;

	for (i = 0; i < d->nw; i++) {
		ruleset_catch_name(i, name, sizeof(name));
		n = 0;
		ret = ruleset_chain_rules(d->fw, name, &n);
		if (!ret && n == 1)
			continue;
		r->catch_lost = true;
		ret = ruleset_catch_worker(d->fw, i,
					   (uint16_t)(d->cfg.queue + i),
					   d->native_queue, true);
		if (ret && !err)
			err = ret;
	}
	return err;
}

/* The catch queue rule(s), where announcements go before their pinholes. */
static void rw_fix_catch(struct daemon *d, struct rw_report *r)
{
	unsigned n = 0;
	int ret;

	if (!rw_async(d))
		return;
	if (d->nw > 1) {
		ret = rw_fix_catch_workers(d, r);
	} else {
		ret = ruleset_chain_rules(d->fw, RULESET_CATCH_CHAIN, &n);
		if (!ret && n == 1)
			return;
		r->catch_lost = true;
		ret = ruleset_catch_install(d->fw, d->cfg.queue,
					    d->native_queue, true);
	}
	if (!r->catch_lost)
		return;
	if (ret)
		rw_fail(r, "catch queue rule", ret, NULL);
	else
		r->catch_done = true;
}

static void rw_fix_ports(struct daemon *d, struct rw_report *r,
			 char *str, size_t len)
{
	uint16_t want[ALG_MAX_CTL_PORTS], have[64];
	unsigned nw = rw_config_ports(d, want), nh = 0;
	int ret;

	ret = ruleset_ctl_ports_get(d->fw, have, 64, &nh);
	if (!ret && nh <= 64 && rw_ports_equal(want, nw, have, nh))
		return;
	r->ports_lost = true;
	ret = ruleset_ctl_ports_set(d->fw, want, nw);
	if (ret) {
		rw_fail(r, "ctl_ports", ret, NULL);
		return;
	}
	rw_ports_str(want, nw, str, len);
	r->ports_done = str;
}

/* Look at one pinhole: put it in batch if it must come back. */
static bool rw_pin_look(struct daemon *d, const struct pinhole *p,
			uint64_t now, struct pinhole_ct_view *view,
			struct rw_report *r, struct pin_entry *out)
{
	struct rw_pin_seen s = {
		.needs_nat = pin_has_maps(&p->e),
		.age_ms = now - p->added_ms,
		.timeout_ms = p->e.timeout_ms,
		.consumed = p->consumed_ms != 0,
		.conn = PINHOLE_CONN_UNKNOWN,
	};
	bool pin_lost, map_lost;

	if (s.consumed)
		return false;
	s.present = pin_present(d->fw, &p->e);
	s.map_present = s.needs_nat ? pin_map_present(d->fw, &p->e) : 1;
	if (s.present == 0)
		s.conn = pinholes_conn(d, view, &p->e);
	if (!rw_pin_restore(&s, &pin_lost, &map_lost))
		return false;
	r->pins_lost += pin_lost;
	r->maps_lost += map_lost;
	*out = p->e;
	/* what it had left, not a fresh timeout */
	out->timeout_ms = (uint32_t)(p->e.timeout_ms - s.age_ms);
	return true;
}

/* One worker's pinholes (under its lock, through its sockets). */
static void rw_fix_pins_one(struct daemon *d, struct rw_report *r,
			    uint64_t now)
{
	struct pinhole_ct_view view = { .loaded = false };
	struct pin_entry batch[RW_PIN_BATCH];
	unsigned i = 0, n, k, maps;
	int ret, fail = 0;

	while (i < d->pins.n) {
		for (n = 0; i < d->pins.n && n < RW_PIN_BATCH; i++)
			n += rw_pin_look(d, &d->pins.v[i], now, &view, r,
					 &batch[n]);
		if (!n)
			continue;
		/* add element inet ftp_alg pin4 { ... } (+ dnat4, snat4) */
		ret = pin_add(d->fw, batch, n);
		if (ret) {
			fail = ret;
			continue;
		}
		for (k = 0, maps = 0; k < n; k++)
			maps += pin_needs_nat(&batch[k]) +
				pin_needs_snat(&batch[k]);
		r->pins_done += n;
		r->maps_done += maps;
	}
	pinholes_ct_view_free(&view);
	if (fail)
		rw_fail(r, "pinholes", fail, NULL);
}

static void rw_fix_pins(struct daemon *d, struct rw_report *r, uint64_t now)
{
	unsigned i;

	for (i = 0; i < d->nw; i++) {
		worker_lock(d->w[i]);
		rw_fix_pins_one(d->w[i], r, now);
		worker_unlock(d->w[i]);
	}
}

/* One look: what is missing comes back, and one line says so. */
static void rw_restore(struct daemon *d, bool ours, uint64_t now)
{
	char line[512], ports[64];
	struct rw_report r;

	memset(&r, 0, sizeof(r));
	rw_fix_table(d, &r);
	rw_fix_queue(d, &r);
	rw_fix_catch(d, &r);
	rw_fix_ports(d, &r, ports, sizeof(ports));
	/* only our table's changes can take pinholes */
	if (ours)
		rw_fix_pins(d, &r, now);
	if (!rw_describe(&r, line, sizeof(line)))
		return;
	/* sets peer4/peer6 may have lost their elements too */
	pin_async_invalidate();
	d->st.rs_restores++;
	if (r.failed[0]) {
		d->st.rs_restore_fail++;
		log_err("%s", line);
	} else {
		log_warn("%s", line);
	}
}

/* ---- events -------------------------------------------------------------- */

static void rw_event(const struct nftw_event *ev, void *arg)
{
	struct daemon *d = arg;
	struct rulewatch *rw = d->rw;
	uint64_t now = now_ms();

	switch (ev->kind) {
	case NFTW_TXN_END:
		rw_debounce_txn_end(&rw->db, now);
		return;
	case NFTW_OURS:
		rw->ours = true;
		break;
	case NFTW_FORWARD:
		rw->forward = true;
		break;
	case NFTW_OVERRUN:
		rw->ours = rw->forward = true;
		break;
	case NFTW_IGNORE:
		return;
	}
	rw_debounce_change(&rw->db, now);
}

void rulewatch_read(struct daemon *d, uint64_t now)
{
	int ret;

	(void)now;
	ret = nftw_read(d->rw->w, rw_event, d);
	if (ret < 0)
		log_err("nftables events: %s", strerror(-ret));
}

uint64_t rulewatch_due(const struct daemon *d)
{
	return d->rw ? rw_debounce_due(&d->rw->db) : RW_NEVER;
}

void rulewatch_tick(struct daemon *d, uint64_t now)
{
	struct rulewatch *rw = d->rw;
	bool ours, forward;

	if (!rw || now < rw_debounce_due(&rw->db))
		return;
	ours = rw->ours;
	forward = rw->forward;
	rw->ours = rw->forward = false;
	rw_debounce_looked(&rw->db, now);
	/* a change elsewhere may be a flush that took ours too */
	rw_restore(d, ours, now);
	if (forward)
		rw_admin_check(d);
}

int rulewatch_open(struct daemon *d)
{
	struct rulewatch *rw;
	unsigned i;

	rw = calloc(1, sizeof(*rw));
	if (!rw) {
		log_fatal("cannot watch nftables: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	rw->w = nftw_open(d->fw);
	if (!rw->w) {
		log_fatal("cannot subscribe to nftables events: %s",
			  strerror(errno));
		free(rw);
		return -errno;
	}
	/* each worker's pinhole batches are ours, not a ruleset change */
	for (i = 0; i < d->nw; i++)
		if (d->w[i]->fw != d->fw && nftw_ignore(rw->w, d->w[i]->fw)) {
			log_fatal("cannot watch nftables: more than %d workers",
				  NFTW_IGNORE_MAX);
			nftw_close(rw->w);
			free(rw);
			return -ENOSPC;
		}
	d->rw = rw;
	rw_admin_check(d);
	return 0;
}

void rulewatch_close(struct daemon *d)
{
	if (!d->rw)
		return;
	nftw_close(d->rw->w);
	free(d->rw);
	d->rw = NULL;
}

int rulewatch_fd(const struct daemon *d)
{
	return nftw_fd(d->rw->w);
}
