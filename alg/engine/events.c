// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Events as data: a type, a reason and the fields the reason names
 * (engine.h). Nothing here writes a sentence; the daemon formats each
 * event once, into a log line and counters.
 */
#include <string.h>

#include "engine_int.h"

static const char *const ev_names[] = {
	[ALG_EV_OPEN] = "open",
	[ALG_EV_CLOSE] = "close",
	[ALG_EV_REWRITE] = "rewrite",
	[ALG_EV_EXPECT] = "expect",
	[ALG_EV_REFUSE] = "refused",
	[ALG_EV_TLS] = "tls",
	[ALG_EV_STOP] = "stop",
	[ALG_EV_NOTE] = "note",
	[ALG_EV_ADJUST] = "adjust",
	[ALG_EV_SEEN] = "line",
};

const char *alg_ev_name(enum alg_ev_type t)
{
	if ((unsigned)t < sizeof(ev_names) / sizeof(ev_names[0]))
		return ev_names[t];
	return "?";
}

/* Stable tokens: counters, metrics and JSON are keyed by them. */
static const char *const reason_names[ALG_R_MAX] = {
	[ALG_R_NONE] = "none",
	[ALG_R_OPEN_SYN] = "syn",
	[ALG_R_OPEN_MIDSTREAM] = "midstream",
	[ALG_R_MALFORMED] = "malformed",
	[ALG_R_BOUNCE] = "bounce",
	[ALG_R_LOW_PORT] = "low_port",
	[ALG_R_FAMILY] = "family",
	[ALG_R_UNPAIRED] = "unpaired",
	[ALG_R_FORMAT] = "format",
	[ALG_R_SPLIT_UNUSUAL] = "split_unusual",
	[ALG_R_SPLIT_NOROOM] = "split_noroom",
	[ALG_R_TOO_MANY_REWRITES] = "too_many_rewrites",
	[ALG_R_NOMEM] = "nomem",
	[ALG_R_OVERLAP] = "overlap",
	[ALG_R_HOLD_SEGMENTS] = "hold_segments",
	[ALG_R_HOLD_TIMEOUT] = "hold_timeout",
	[ALG_R_TABLE_FULL] = "table_full",
	[ALG_R_CLIENT_LIMIT] = "client_limit",
	[ALG_R_TABLE_RESERVE] = "table_reserve",
	[ALG_R_UNSYNCED] = "unsynced",
	[ALG_R_BARE_LF] = "bare_lf",
	[ALG_R_PORT_REJECTED] = "port_rejected",
	[ALG_R_RETRANS_MISMATCH] = "retrans_mismatch",
	[ALG_R_RESET_SENT] = "reset_sent",
	[ALG_R_LINE_NUL] = "line_nul",
	[ALG_R_LINE_LONG] = "line_long",
	[ALG_R_AUTH_TLS] = "auth_tls",
	[ALG_R_FOREIGN_ADDR] = "foreign_addr",
	[ALG_R_PIN_REPLACED] = "pin_replaced",
	[ALG_R_RST_WINDOW] = "rst_window",
	[ALG_R_REWRITE_LINE] = "line",
	[ALG_R_REWRITE_SPLIT] = "split",
	[ALG_R_DATA_PORT] = "data_port",
	[ALG_R_SEQ_SHIFT] = "seq_shift",
	[ALG_R_CLOSE_RST] = "reset",
	[ALG_R_CLOSE_FIN] = "fin",
	[ALG_R_CLOSE_IDLE] = "idle",
	[ALG_R_CLOSE_CONNTRACK] = "conntrack",
	[ALG_R_CLOSE_SHUTDOWN] = "shutdown",
	[ALG_R_CLOSE_HALF_OPEN] = "half_open",
	[ALG_R_LINE_SEEN] = "line_seen",
	[ALG_R_TLS_CLEAR] = "tls_clear",
	[ALG_R_TLS_GARBAGE] = "tls_garbage",
	[ALG_R_TLS_UNFOLLOWED] = "tls_unfollowed",
	[ALG_R_IDLE_CHECK] = "idle_check",
};

const char *alg_reason_name(enum alg_reason r)
{
	if ((unsigned)r < ALG_R_MAX && reason_names[r])
		return reason_names[r];
	return "?";
}

/*
 * A new event of session s (NULL: of no session, such as a full table),
 * zeroed but for what every event has; NULL when r is full (counted).
 */
struct alg_event *ev_new(struct alg_result *r, struct alg_session *s,
			 enum alg_ev_type type, enum alg_reason why,
			 enum alg_dir dir)
{
	struct alg_event *ev;

	if (r->nev >= ALG_MAX_EV) {
		r->ev_lost++;
		return NULL;
	}
	ev = &r->ev[r->nev++];
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->reason = why;
	ev->dir = dir;
	if (s) {
		ev->sid = s->id;
		ev->family = s->tu.family;
		if (type == ALG_EV_REFUSE)
			s->cnt.refused++;
	}
	return ev;
}

/* Copy up to ALG_EV_LINE bytes of a line; cut says there were more. */
void ev_line(struct alg_ev_line *l, const char *b, size_t n)
{
	l->cut = n > sizeof(l->b);
	l->len = (uint16_t)(l->cut ? sizeof(l->b) : n);
	memcpy(l->b, b, l->len);
}

void ev_adjust(struct alg_result *r, struct alg_session *s,
	       enum alg_dir dir)
{
	if (s->adjust_reported)
		return;
	if (ev_new(r, s, ALG_EV_ADJUST, ALG_R_SEQ_SHIFT, dir))
		s->adjust_reported = true;
}
