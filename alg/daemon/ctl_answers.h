/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ftp-algctl's answers, rendered from plain snapshots so they are tested
 * without a daemon: the text and JSON formats here are a contract with
 * scripts that read them.
 */
#ifndef FTP_ALG_CTL_ANSWERS_H
#define FTP_ALG_CTL_ANSWERS_H

#include <stdbool.h>
#include <stdint.h>

#include "ftp-alg/engine.h"
#include "config.h"
#include "ctl.h"
#include "ctl_render.h"
#include "pinholes.h"

/* What "status" shows. */
struct ctl_status {
	bool running;
	const char *version;
	uint64_t uptime_s;
	unsigned queue;
	bool native_queue;
	uint64_t packets;
	uint64_t last_pkt_s;		/* seconds since, 0 if none yet */
	unsigned sessions, max_sessions;
	unsigned pinholes;
	uint64_t enobufs, ct_enobufs;
	uint64_t malformed, untracked, verdict_errors;
	uint64_t pin_added, pin_used, pin_expired, pin_removed, pin_failed;
	uint64_t pin_unestablished;	/* consumed, no connection came of it */
	uint64_t nat_queries, nat_failed;
	uint64_t liberal, liberal_failed;
	uint64_t events_lost;
	uint64_t ruleset_restores, ruleset_restore_failed;
	unsigned admin_rule_missing;	/* chains without it, last check */
	uint64_t admin_rule_warnings;
	uint64_t journal_records, journal_failed;
	uint64_t restored_sessions, adopted_pinholes;	/* at start-up */
	/*
	 * The configuration in force (limits as the engine clamped them,
	 * the log level as it is now) and as the file asked for it; NULL:
	 * not shown.
	 */
	const struct alg_config *cfg, *cfg_asked;
};

void ctl_render_status(struct ctl_buf *o, const struct ctl_status *st,
		       bool json);

/* "sessions" and "pinholes": one record each, inside ctl_list_begin/end */
void ctl_list_session(struct ctl_list *l, const struct alg_session_info *si,
		      uint64_t now);
void ctl_list_pinhole(struct ctl_list *l, const struct pinhole *p,
		      uint64_t now);

#endif
