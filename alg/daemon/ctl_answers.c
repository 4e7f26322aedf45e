// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What ftp-algctl's answers show, field by field: "status" from a
 * snapshot of the daemon's counters, "sessions" from the engine's session
 * snapshots, "pinholes" from the daemon's pinhole table.
 */
#include <string.h>
#include <arpa/inet.h>

#include "ctl_answers.h"
#include "ctl_render.h"
#include "evlog.h"

/* ---- status ---- */

static void get_version(const void *rec, struct ctl_value *v)
{
	v->s[0] = ((const struct ctl_status *)rec)->version;
}

static void get_queue_kind(const void *rec, struct ctl_value *v)
{
	v->s[0] = ((const struct ctl_status *)rec)->native_queue ? "native"
								  : "xt";
}

static void get_queue_text(const void *rec, struct ctl_value *v)
{
	v->s[0] = ((const struct ctl_status *)rec)->native_queue ?
		  "native nft queue" : "xt NFQUEUE via nft_compat";
}

#define ST(m)	.type = FT_UINT, MEMBER(struct ctl_status, m)

static const struct ctl_field status_fields[] = {
	{ .key = "running", .line = NO_TEXT, .type = FT_BOOL,
	  MEMBER(struct ctl_status, running) },
	{ .key = "version", .line = 0, .pre = "ftp-algd ", .post = " running",
	  .type = FT_STR, .get = get_version },
	{ .key = "uptime_s", .line = 1, .label = "uptime:", .post = "s",
	  ST(uptime_s) },
	{ .key = "queue", .line = 2, .label = "queue:", ST(queue) },
	{ .line = 2, .pre = " (", .post = ")", .type = FT_STR,
	  .get = get_queue_text },
	{ .key = "queue_kind", .line = NO_TEXT, .type = FT_STR,
	  .get = get_queue_kind },
	{ .key = "packets", .line = 3, .label = "packets:", ST(packets) },
	{ .line = 3, .pre = " (last ", .post = "s ago)", ST(last_pkt_s) },
	{ .key = "sessions", .line = 4, .label = "sessions:", ST(sessions) },
	{ .key = "max_sessions", .line = 4, .pre = " (max ", .post = ")",
	  ST(max_sessions) },
	{ .key = "pinholes", .line = 5, .label = "pinholes:", ST(pinholes) },
	{ .key = "enobufs", .line = 6, .label = "enobufs:", .post = " queue",
	  ST(enobufs) },
	{ .key = "ct_enobufs", .line = 6, .pre = ", ",
	  .post = " conntrack events", ST(ct_enobufs) },
	{ .key = "malformed", .line = 7, .label = "malformed:",
	  ST(malformed) },
	{ .key = "untracked", .line = 8, .label = "untracked:",
	  ST(untracked) },
	{ .key = "verdict_errors", .line = 9, .label = "verdict errors:",
	  ST(verdict_errors) },
	{ .key = "pinholes_added", .line = 5, .pre = " (added ",
	  ST(pin_added) },
	{ .key = "pinholes_used", .line = 5, .pre = ", used ",
	  ST(pin_used) },
	{ .key = "pinholes_not_established", .line = 5,
	  .pre = ", not established ", ST(pin_unestablished) },
	{ .key = "pinholes_expired", .line = 5, .pre = ", expired ",
	  ST(pin_expired) },
	{ .key = "pinholes_removed", .line = 5, .pre = ", removed ",
	  ST(pin_removed) },
	{ .key = "pinholes_failed", .line = 5, .pre = ", failed ",
	  .post = ")", ST(pin_failed) },
	{ .key = "nat_queries", .line = 10, .label = "nat queries:",
	  ST(nat_queries) },
	{ .key = "nat_failed", .line = 10, .pre = " (", .post = " failed)",
	  ST(nat_failed) },
	{ .key = "liberal", .line = 11, .label = "be-liberal:",
	  ST(liberal) },
	{ .key = "liberal_failed", .line = 11, .pre = " (",
	  .post = " failed)", ST(liberal_failed) },
	{ .key = "events_lost", .line = 12, .label = "events lost:",
	  ST(events_lost) },
	{ .key = "ruleset_restores", .line = 13, .label = "ruleset:",
	  .post = " restores", ST(ruleset_restores) },
	{ .key = "ruleset_restore_failed", .line = 13, .pre = " (",
	  .post = " failed)", ST(ruleset_restore_failed) },
	{ .key = "admin_rule_missing", .line = 14, .label = "admin rule:",
	  .post = " chains without it", ST(admin_rule_missing) },
	{ .key = "admin_rule_warnings", .line = 14, .pre = " (",
	  .post = " warnings)", ST(admin_rule_warnings) },
	{ .key = "journal_records", .line = 15, .label = "journal:",
	  .post = " records", ST(journal_records) },
	{ .key = "journal_failed", .line = 15, .pre = " (",
	  .post = " failed)", ST(journal_failed) },
	{ .key = "restored_sessions", .line = 16, .label = "taken over:",
	  .post = " sessions", ST(restored_sessions) },
	{ .key = "adopted_pinholes", .line = 16, .pre = ", ",
	  .post = " pinholes at start", ST(adopted_pinholes) },
};

/*
 * Every key with its value in force; text adds what the file asked for
 * where that differs. JSON: "config":{"key":"value",...} (values as the
 * file would write them).
 */
static void render_config(struct ctl_buf *o, const struct alg_config *c,
			  const struct alg_config *asked, bool json)
{
	char v[CONFIG_VALUE_LEN], a[CONFIG_VALUE_LEN];
	unsigned k;

	ctl_printf(o, json ? ",\"config\":{" : "config:\n");
	for (k = 0; k < CONFIG_NKEYS; k++) {
		config_value(c, (enum config_key)k, v, sizeof(v));
		if (json) {
			ctl_printf(o, "%s\"%s\":", k ? "," : "",
				   config_key_name((enum config_key)k));
			ctl_json_str(o, v);
			continue;
		}
		ctl_printf(o, "  %-20s %s", config_key_name((enum config_key)k),
			   v);
		config_value(asked, (enum config_key)k, a, sizeof(a));
		if (strcmp(a, v))
			ctl_printf(o, " (configured %s)", a);
		ctl_printf(o, "\n");
	}
	if (json)
		ctl_printf(o, "}");
}

void ctl_render_status(struct ctl_buf *o, const struct ctl_status *st,
		       bool json)
{
	if (!json) {
		ctl_fields_text(o, status_fields, NFIELDS(status_fields), st);
		if (st->cfg)
			render_config(o, st->cfg, st->cfg_asked, false);
		return;
	}
	ctl_printf(o, "{");
	ctl_fields_json_members(o, status_fields, NFIELDS(status_fields), st);
	if (st->cfg)
		render_config(o, st->cfg, st->cfg_asked, true);
	ctl_printf(o, "}\n");
}

/* ---- sessions ---- */

struct session_rec {
	struct alg_session_info si;
	uint64_t age_s;
};

static const struct alg_tuple *rec_tuple(const void *rec)
{
	return &((const struct session_rec *)rec)->si.tuple;
}

static void get_client_ep(const void *rec, struct ctl_value *v)
{
	const struct alg_tuple *t = rec_tuple(rec);

	v->s[0] = evlog_ep(t->family, &t->caddr, t->cport, v->buf[0],
			   sizeof(v->buf[0]));
}

static void get_server_ep(const void *rec, struct ctl_value *v)
{
	const struct alg_tuple *t = rec_tuple(rec);

	v->s[0] = evlog_ep(t->family, &t->saddr, t->sport, v->buf[0],
			   sizeof(v->buf[0]));
}

static void get_family(const void *rec, struct ctl_value *v)
{
	v->s[0] = rec_tuple(rec)->family == AF_INET6 ? "ipv6" : "ipv4";
}

static void get_client(const void *rec, struct ctl_value *v)
{
	const struct alg_tuple *t = rec_tuple(rec);

	v->s[0] = alg_addr_str(t->family, &t->caddr, v->buf[0],
			       sizeof(v->buf[0]));
}

static void get_server(const void *rec, struct ctl_value *v)
{
	const struct alg_tuple *t = rec_tuple(rec);

	v->s[0] = alg_addr_str(t->family, &t->saddr, v->buf[0],
			       sizeof(v->buf[0]));
}

static void get_nat(const void *rec, struct ctl_value *v)
{
	const struct alg_session_info *si = &((const struct session_rec *)
					       rec)->si;
	int family = si->tuple.family;

	v->none = !si->nat.known;
	v->s[0] = alg_addr_str(family, &si->nat.client_pub, v->buf[0],
			       sizeof(v->buf[0]));
	v->s[1] = alg_addr_str(family, &si->nat.server_pub, v->buf[1],
			       sizeof(v->buf[1]));
}

static void get_state(const void *rec, struct ctl_value *v)
{
	switch (((const struct session_rec *)rec)->si.state) {
	case ALG_S_SYN:
		v->s[0] = "syn";
		return;
	case ALG_S_OPEN:
		v->s[0] = "open";
		return;
	case ALG_S_CLOSED:
		v->s[0] = "closed";
		return;
	}
	v->s[0] = "?";
}

static enum alg_inspect rec_inspect(const void *rec)
{
	return ((const struct session_rec *)rec)->si.inspect;
}

static void get_inspect_word(const void *rec, struct ctl_value *v)
{
	switch (rec_inspect(rec)) {
	case ALG_INSPECT_TLS:
		v->s[0] = "tls";
		return;
	case ALG_INSPECT_STOPPED:
		v->s[0] = "stopped";
		return;
	default:
		v->s[0] = "inspecting";
		return;
	}
}

static void get_inspecting(const void *rec, struct ctl_value *v)
{
	v->b = rec_inspect(rec) == ALG_INSPECTING;
}

static void get_tls(const void *rec, struct ctl_value *v)
{
	v->b = rec_inspect(rec) == ALG_INSPECT_TLS;
}

static void get_stop_reason(const void *rec, struct ctl_value *v)
{
	enum alg_reason r = ((const struct session_rec *)rec)->si.stop_reason;

	v->s[0] = r ? evlog_reason_text(r) : "";
}

#define SE(m)	MEMBER(struct session_rec, m)

static const struct ctl_field session_fields[] = {
	{ .key = "id", .pre = "#", .type = FT_UINT, SE(si.id) },
	{ .pre = " ", .type = FT_STR, .get = get_client_ep },
	{ .key = "family", .line = NO_TEXT, .type = FT_STR,
	  .get = get_family },
	{ .key = "client", .line = NO_TEXT, .type = FT_STR,
	  .get = get_client },
	{ .key = "client_port", .line = NO_TEXT, .type = FT_UINT,
	  SE(si.tuple.cport) },
	{ .pre = " -> ", .type = FT_STR, .get = get_server_ep },
	{ .key = "server", .line = NO_TEXT, .type = FT_STR,
	  .get = get_server },
	{ .key = "server_port", .line = NO_TEXT, .type = FT_UINT,
	  SE(si.tuple.sport) },
	{ .key = "nat", .pre = " nat ", .type = FT_ENDS, .get = get_nat,
	  .sub = { "client_public", "server_public" } },
	{ .key = "state", .pre = " ", .type = FT_STR, .get = get_state },
	{ .pre = " ", .type = FT_STR, .get = get_inspect_word },
	{ .key = "inspect", .line = NO_TEXT, .type = FT_BOOL,
	  .get = get_inspecting },
	{ .key = "tls", .line = NO_TEXT, .type = FT_BOOL, .get = get_tls },
	{ .key = "midstream", .pre = " mid-stream", .type = FT_BOOL,
	  SE(si.midstream) },
	{ .key = "stop_reason", .pre = " (", .post = ")", .type = FT_OPT_STR,
	  .get = get_stop_reason },
	{ .key = "packets", .pre = " pkts ", .type = FT_PAIR,
	  SE(si.cnt.pkts) },
	{ .key = "bytes", .line = NO_TEXT, .type = FT_PAIR,
	  SE(si.cnt.bytes) },
	{ .key = "rewrites", .pre = " rewrites ", .type = FT_UINT,
	  SE(si.cnt.rewrites) },
	{ .key = "expects", .pre = " expects ", .type = FT_UINT,
	  SE(si.cnt.expects) },
	{ .key = "refused", .pre = " refused ", .type = FT_UINT,
	  SE(si.cnt.refused) },
	{ .key = "age_s", .pre = " age ", .post = "s", .type = FT_UINT,
	  SE(age_s) },
};

/* ---- pinholes ---- */

struct pinhole_rec {
	struct pinhole p;
	uint64_t age_s, expires_s;
};

static const struct pin_entry *rec_entry(const void *rec)
{
	return &((const struct pinhole_rec *)rec)->p.e;
}

static void get_peer(const void *rec, struct ctl_value *v)
{
	const struct pin_entry *e = rec_entry(rec);

	v->s[0] = alg_addr_str(e->family, &e->peer, v->buf[0],
			       sizeof(v->buf[0]));
}

static void get_wire_ep(const void *rec, struct ctl_value *v)
{
	const struct alg_endpoint *ep = &rec_entry(rec)->wire;

	v->s[0] = evlog_ep(ep->family, &ep->addr, ep->port, v->buf[0],
			   sizeof(v->buf[0]));
}

static void get_wire(const void *rec, struct ctl_value *v)
{
	const struct alg_endpoint *ep = &rec_entry(rec)->wire;

	v->s[0] = alg_addr_str(ep->family, &ep->addr, v->buf[0],
			       sizeof(v->buf[0]));
}

static void get_target_ep(const void *rec, struct ctl_value *v)
{
	const struct alg_endpoint *ep = &rec_entry(rec)->target;

	v->s[0] = evlog_ep(ep->family, &ep->addr, ep->port, v->buf[0],
			   sizeof(v->buf[0]));
}

static void get_target(const void *rec, struct ctl_value *v)
{
	const struct alg_endpoint *ep = &rec_entry(rec)->target;

	v->s[0] = alg_addr_str(ep->family, &ep->addr, v->buf[0],
			       sizeof(v->buf[0]));
}

/* Where the data connection leaves from: its snat4 address, or the peer. */
static void get_leaves_from(const void *rec, struct ctl_value *v)
{
	const struct pin_entry *e = rec_entry(rec);

	v->s[0] = alg_addr_str(e->family,
			       pin_needs_snat(e) ? &e->peer_pub : &e->peer,
			       v->buf[0], sizeof(v->buf[0]));
}

#define PH(m)	MEMBER(struct pinhole_rec, m)

static const struct ctl_field pinhole_fields[] = {
	{ .key = "session", .pre = "#", .type = FT_UINT, PH(p.sid) },
	{ .key = "peer", .pre = " ", .type = FT_STR, .get = get_peer },
	{ .pre = " -> ", .type = FT_STR, .get = get_wire_ep },
	{ .key = "wire", .line = NO_TEXT, .type = FT_STR, .get = get_wire },
	{ .key = "wire_port", .line = NO_TEXT, .type = FT_UINT,
	  PH(p.e.wire.port) },
	{ .pre = " => ", .type = FT_STR, .get = get_target_ep },
	{ .key = "target", .line = NO_TEXT, .type = FT_STR,
	  .get = get_target },
	{ .key = "target_port", .line = NO_TEXT, .type = FT_UINT,
	  PH(p.e.target.port) },
	{ .key = "leaves_from", .line = NO_TEXT, .type = FT_STR,
	  .get = get_leaves_from },
	{ .key = "age_s", .pre = " age ", .post = "s", .type = FT_UINT,
	  PH(age_s) },
	{ .key = "expires_in_s", .pre = " expires in ", .post = "s",
	  .type = FT_UINT, PH(expires_s) },
};

/* ---- lists ---- */

void ctl_list_session(struct ctl_list *l, const struct alg_session_info *si,
		      uint64_t now)
{
	struct session_rec rec = {
		.si = *si, .age_s = (now - si->created_ms) / 1000,
	};

	ctl_list_record(l, session_fields, NFIELDS(session_fields), &rec);
}

void ctl_list_pinhole(struct ctl_list *l, const struct pinhole *p,
		      uint64_t now)
{
	uint64_t age = now - p->added_ms;
	uint64_t left = age < p->e.timeout_ms ? p->e.timeout_ms - age : 0;
	struct pinhole_rec rec = {
		.p = *p, .age_s = age / 1000, .expires_s = (left + 999) / 1000,
	};

	ctl_list_record(l, pinhole_fields, NFIELDS(pinhole_fields), &rec);
}

