/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Ruleset reloads: "nft -f /etc/nftables.conf" with its "flush ruleset"
 * takes table inet ftp_alg with it, and the include brings back a table
 * without our queue rules and pinholes. rulewatch.c follows nftables
 * events, and after a change looks at what we depend on and puts back
 * what is missing: the table (from deploy/ftp-alg.nft, built in), the
 * queue rules, set ctl_ports, and the pinholes and NAT mappings still
 * open. It also checks, at start and after every change of another
 * table, that drop-policy forward chains carry the admin rule.
 *
 * The decisions are pure functions here, for tests; rulewatch.c does
 * the asking and the mending.
 */
#ifndef FTP_ALG_RULEWATCH_H
#define FTP_ALG_RULEWATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pinholes.h"

#define RW_NEVER	UINT64_MAX

/*
 * When to look. A change is one transaction, closed by NEWGEN: a reload
 * is hundreds of messages and one NEWGEN, read in one go, so one look
 * follows it at once (while a change is missing, control packets pass
 * unqueued: every millisecond counts). Without a NEWGEN (events lost)
 * the burst must be quiet for RW_QUIET_MS. No burst delays a look past
 * RW_MAX_MS, and looks come at most every RW_MIN_GAP_MS, so a script of
 * many nft commands, or someone fighting us, costs a look per gap.
 */
#define RW_QUIET_MS	100
#define RW_MAX_MS	500
#define RW_MIN_GAP_MS	250

struct rw_debounce {
	bool pending;		/* changes wait for a look */
	bool ended;		/* the last of them closed a transaction */
	uint64_t first_ms, last_ms;
	uint64_t last_look_ms;	/* 0: never looked */
};

void rw_debounce_change(struct rw_debounce *b, uint64_t now);
void rw_debounce_txn_end(struct rw_debounce *b, uint64_t now);
/* When the next look is due; RW_NEVER if nothing waits. */
uint64_t rw_debounce_due(const struct rw_debounce *b);
void rw_debounce_looked(struct rw_debounce *b, uint64_t now);

/* What one look found and did; the log line is made from it. */
struct rw_report {
	/* found missing */
	bool table_gone;
	const char *incomplete;	/* the object missing or wrong */
	bool pin_rules_gone;	/* a pin_* chain without its rules */
	bool queue_lost;
	unsigned queue_found;	/* rules in ctl_queue when looked at */
	unsigned pins_lost, maps_lost;
	bool ports_lost;
	bool catch_lost;	/* catch_queue without its rule (pin_async.h) */
	/* put back */
	bool table_done;
	unsigned queue_done;	/* queue rules ... */
	unsigned acks_done;	/* ... and pure-ACK rules put back */
	unsigned pins_done, maps_done;
	const char *ports_done;	/* "21,2121" */
	bool catch_done;
	char failed[192];	/* "queue rules: Operation not permitted" */
};

/* Did the look find anything missing? */
bool rw_report_lost(const struct rw_report *r);
/*
 * "ruleset changed: queue rules gone, 2 pinholes gone: restored 2 queue
 * rules, 2 pinholes, 1 mapping" (+ "; failed: ...") into buf. 0 and an
 * empty buf when nothing was missing (our own changes, a harmless one).
 */
size_t rw_describe(const struct rw_report *r, char *buf, size_t len);

/* A look at one open pinhole. */
struct rw_pin_seen {
	int present;		/* pin_present(): 1, 0, <0 unknown */
	int map_present;	/* pin_map_present(); ignored without NAT */
	bool needs_nat;		/* it has mappings: dnat4, snat4 */
	uint64_t age_ms, timeout_ms;
	bool consumed;		/* pinholes.c already saw it consumed */
	/* asked only when present == 0: did a connection take it? */
	enum pinhole_conn conn;
};

/*
 * Put this pinhole back? Only one that is missing while no data
 * connection took it (conntrack has no entry with the mark for it), that
 * is not about to expire, and whose state we know; a consumed one stays
 * consumed (single use). A present pinhole whose mapping is missing gets
 * both again. *pin_lost and *map_lost say what was missing.
 */
bool rw_pin_restore(const struct rw_pin_seen *s, bool *pin_lost,
		    bool *map_lost);

/* Same ports, in any order? */
bool rw_ports_equal(const uint16_t *a, unsigned na, const uint16_t *b,
		    unsigned nb);

struct daemon;

/* The watch socket (and the start-up admin rule check); loop.c. */
int rulewatch_open(struct daemon *d);
void rulewatch_close(struct daemon *d);
int rulewatch_fd(const struct daemon *d);
/* Read the pending events. */
void rulewatch_read(struct daemon *d, uint64_t now);
uint64_t rulewatch_due(const struct daemon *d);
/* If a look is due: look, restore, log. */
void rulewatch_tick(struct daemon *d, uint64_t now);
/* Make set ctl_ports hold control_ports (at start, and on a change). */
int rulewatch_push_ports(struct daemon *d);

#endif
