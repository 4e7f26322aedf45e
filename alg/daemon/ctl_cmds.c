// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ftp-algctl's requests: "status", "sessions", "pinholes", each optionally
 * followed by "json", answered from the daemon's state.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "conntrack.h"
#include "ctl.h"
#include "ctl_cmds.h"
#include "daemon.h"
#include "evlog.h"
#include "queue.h"

static const char *state_name(enum alg_sess_state st)
{
	switch (st) {
	case ALG_S_SYN:
		return "syn";
	case ALG_S_OPEN:
		return "open";
	case ALG_S_CLOSED:
		return "closed";
	}
	return "?";
}

static const char *queue_kind(const struct daemon *d)
{
	return d->native_queue ? "native" : "xt";
}

static void status_text(struct daemon *d, struct ctl_buf *o, uint64_t now)
{
	const struct queue_stats *qs = queue_stats(d->q);

	ctl_printf(o, "ftp-algd %s running\n", FTP_ALG_VERSION);
	ctl_printf(o, "uptime:        %" PRIu64 "s\n",
		   (now - d->start_ms) / 1000);
	ctl_printf(o, "queue:         %u (%s)\n", d->cfg.queue,
		   d->native_queue ? "native nft queue"
				   : "xt NFQUEUE via nft_compat");
	ctl_printf(o, "packets:       %" PRIu64 " (last %" PRIu64
		   "s ago)\n", qs->packets,
		   d->last_pkt_ms ? (now - d->last_pkt_ms) / 1000 : 0);
	ctl_printf(o, "sessions:      %u (max %u)\n", alg_table_count(d->tab),
		   d->cfg.pol.max_sessions);
	ctl_printf(o, "pinholes:      %u (added %" PRIu64 ", used %" PRIu64
		   ", expired %" PRIu64 ", removed %" PRIu64 ", failed %"
		   PRIu64 ")\n", d->pins.n, d->st.pin_added, d->st.pin_used,
		   d->st.pin_expired, d->st.pin_removed, d->st.pin_fail);
	ctl_printf(o, "enobufs:       %" PRIu64 " queue, %" PRIu64
		   " conntrack events\n", qs->enobufs,
		   ct_events_enobufs(d->ct));
	ctl_printf(o, "malformed:     %" PRIu64 "\n", d->st.malformed);
	ctl_printf(o, "untracked:     %" PRIu64 "\n", d->st.untracked);
	ctl_printf(o, "verdict errors: %" PRIu64 "\n",
		   qs->verdict_err + d->st.verdict_fail);
	ctl_printf(o, "nat queries:   %" PRIu64 " (%" PRIu64 " failed)\n",
		   d->st.nat_queries, d->st.nat_fail);
	ctl_printf(o, "be-liberal:    %" PRIu64 " (%" PRIu64 " failed)\n",
		   d->st.liberal, d->st.liberal_fail);
	ctl_printf(o, "events lost:   %" PRIu64 "\n", d->st.ev_lost);
}

static void status_json(struct daemon *d, struct ctl_buf *o, uint64_t now)
{
	const struct queue_stats *qs = queue_stats(d->q);

	ctl_printf(o, "{\"running\":true,\"version\":");
	ctl_json_str(o, FTP_ALG_VERSION);
	ctl_printf(o, ",\"uptime_s\":%" PRIu64 ",\"queue\":%u,"
		   "\"queue_kind\":\"%s\",\"packets\":%" PRIu64
		   ",\"sessions\":%u,\"max_sessions\":%u,\"pinholes\":%u,"
		   "\"enobufs\":%" PRIu64 ",\"ct_enobufs\":%" PRIu64
		   ",\"malformed\":%" PRIu64 ",\"untracked\":%" PRIu64
		   ",\"verdict_errors\":%" PRIu64,
		   (now - d->start_ms) / 1000, d->cfg.queue, queue_kind(d),
		   qs->packets, alg_table_count(d->tab),
		   d->cfg.pol.max_sessions, d->pins.n, qs->enobufs,
		   ct_events_enobufs(d->ct), d->st.malformed, d->st.untracked,
		   qs->verdict_err + d->st.verdict_fail);
	ctl_printf(o, ",\"pinholes_added\":%" PRIu64 ",\"pinholes_used\":%"
		   PRIu64 ",\"pinholes_expired\":%" PRIu64
		   ",\"pinholes_removed\":%" PRIu64 ",\"pinholes_failed\":%"
		   PRIu64 ",\"nat_queries\":%" PRIu64 ",\"nat_failed\":%"
		   PRIu64 ",\"liberal\":%" PRIu64 ",\"liberal_failed\":%"
		   PRIu64 ",\"events_lost\":%" PRIu64 "}\n",
		   d->st.pin_added, d->st.pin_used, d->st.pin_expired,
		   d->st.pin_removed, d->st.pin_fail, d->st.nat_queries,
		   d->st.nat_fail, d->st.liberal, d->st.liberal_fail,
		   d->st.ev_lost);
}

struct list_arg {
	struct ctl_buf *o;
	uint64_t now;
	bool json;
	unsigned n;
};

static const char *inspect_str(const struct alg_session_info *si)
{
	switch (si->inspect) {
	case ALG_INSPECT_TLS:
		return "tls";
	case ALG_INSPECT_STOPPED:
		return "stopped";
	default:
		return "inspecting";
	}
}

static const char *stop_str(const struct alg_session_info *si)
{
	return si->stop_reason ? evlog_reason_text(si->stop_reason) : "";
}

static int session_cb(const struct alg_session *sess, void *arg)
{
	char c[EVLOG_EP_LEN], sv[EVLOG_EP_LEN];
	char cp[INET6_ADDRSTRLEN], sp[INET6_ADDRSTRLEN];
	struct list_arg *a = arg;
	struct ctl_buf *o = a->o;
	struct alg_session_info si;
	const struct alg_tuple *t = &si.tuple;
	uint64_t age;

	alg_session_info(sess, &si);
	age = (a->now - si.created_ms) / 1000;
	alg_addr_str(t->family, &si.nat.client_pub, cp, sizeof(cp));
	alg_addr_str(t->family, &si.nat.server_pub, sp, sizeof(sp));
	if (!a->json) {
		ctl_printf(o, "#%" PRIu64 " %s -> %s", si.id,
			   evlog_ep(t->family, &t->caddr, t->cport, c,
				    sizeof(c)),
			   evlog_ep(t->family, &t->saddr, t->sport, sv,
				    sizeof(sv)));
		if (si.nat.known)
			ctl_printf(o, " nat %s -> %s", cp, sp);
		else
			ctl_printf(o, " nat ?");
		ctl_printf(o, " %s %s%s", state_name(si.state),
			   inspect_str(&si), si.midstream ? " mid-stream" : "");
		if (si.stop_reason)
			ctl_printf(o, " (%s)", stop_str(&si));
		ctl_printf(o, " pkts %" PRIu64 "/%" PRIu64 " rewrites %"
			   PRIu64 " expects %" PRIu64 " refused %" PRIu64
			   " age %" PRIu64 "s\n", si.cnt.pkts[ALG_DIR_ORIG],
			   si.cnt.pkts[ALG_DIR_REPLY], si.cnt.rewrites,
			   si.cnt.expects, si.cnt.refused, age);
		return 0;
	}
	alg_addr_str(t->family, &t->caddr, c, sizeof(c));
	alg_addr_str(t->family, &t->saddr, sv, sizeof(sv));
	ctl_printf(o, "%s{\"id\":%" PRIu64 ",\"family\":\"%s\","
		   "\"client\":\"%s\",\"client_port\":%u,"
		   "\"server\":\"%s\",\"server_port\":%u,",
		   a->n++ ? "," : "", si.id,
		   t->family == AF_INET6 ? "ipv6" : "ipv4", c, t->cport, sv,
		   t->sport);
	if (si.nat.known)
		ctl_printf(o, "\"nat\":{\"client_public\":\"%s\","
			   "\"server_public\":\"%s\"},", cp, sp);
	else
		ctl_printf(o, "\"nat\":null,");
	ctl_printf(o, "\"state\":\"%s\",\"inspect\":%s,\"tls\":%s,"
		   "\"midstream\":%s,\"stop_reason\":", state_name(si.state),
		   si.inspect == ALG_INSPECTING ? "true" : "false",
		   si.inspect == ALG_INSPECT_TLS ? "true" : "false",
		   si.midstream ? "true" : "false");
	ctl_json_str(o, stop_str(&si));
	ctl_printf(o, ",\"packets\":[%" PRIu64 ",%" PRIu64 "],\"bytes\":[%"
		   PRIu64 ",%" PRIu64 "],\"rewrites\":%" PRIu64
		   ",\"expects\":%" PRIu64 ",\"refused\":%" PRIu64
		   ",\"age_s\":%" PRIu64 "}",
		   si.cnt.pkts[0], si.cnt.pkts[1], si.cnt.bytes[0],
		   si.cnt.bytes[1], si.cnt.rewrites, si.cnt.expects,
		   si.cnt.refused, age);
	return 0;
}

static void sessions_list(struct daemon *d, struct ctl_buf *o, uint64_t now,
			  bool json)
{
	struct list_arg a = { .o = o, .now = now, .json = json };

	if (json)
		ctl_printf(o, "{\"sessions\":[");
	alg_table_walk(d->tab, session_cb, &a);
	if (json)
		ctl_printf(o, "]}\n");
}

static void pinholes_list(struct daemon *d, struct ctl_buf *o, uint64_t now,
			  bool json)
{
	char peer[INET6_ADDRSTRLEN], wire[INET6_ADDRSTRLEN];
	char target[INET6_ADDRSTRLEN], buf[PINHOLE_STR_LEN];
	const struct pinhole *p;
	uint64_t age, left;
	unsigned i;

	if (json)
		ctl_printf(o, "{\"pinholes\":[");
	for (i = 0; i < d->pins.n; i++) {
		p = &d->pins.v[i];
		age = now - p->added_ms;
		left = age < p->e.timeout_ms ? p->e.timeout_ms - age : 0;
		if (!json) {
			ctl_printf(o, "#%" PRIu64 " %s age %" PRIu64
				   "s expires in %" PRIu64 "s\n", p->sid,
				   pinhole_str(&p->e, buf, sizeof(buf)),
				   age / 1000, (left + 999) / 1000);
			continue;
		}
		alg_addr_str(p->e.family, &p->e.peer, peer, sizeof(peer));
		alg_addr_str(p->e.wire.family, &p->e.wire.addr, wire,
			     sizeof(wire));
		alg_addr_str(p->e.target.family, &p->e.target.addr, target,
			     sizeof(target));
		ctl_printf(o, "%s{\"session\":%" PRIu64 ",\"peer\":\"%s\","
			   "\"wire\":\"%s\",\"wire_port\":%u,"
			   "\"target\":\"%s\",\"target_port\":%u,"
			   "\"age_s\":%" PRIu64 ",\"expires_in_s\":%" PRIu64
			   "}", i ? "," : "", p->sid, peer, wire,
			   p->e.wire.port, target, p->e.target.port,
			   age / 1000, (left + 999) / 1000);
	}
	if (json)
		ctl_printf(o, "]}\n");
}

/*
 * Requests: "status", "sessions", "pinholes", each optionally followed by
 * "json". The answer is "ok\n" and the text or JSON document, or a single
 * line "error: ...".
 */
void ctl_request(const char *req, struct ctl_buf *o, void *arg)
{
	struct daemon *d = arg;
	char cmd[16] = "", opt[16] = "", extra[2] = "";
	uint64_t now = now_ms();
	bool json;

	if (sscanf(req, "%15s %15s %1s", cmd, opt, extra) > 2 ||
	    strlen(req) > 32) {
		ctl_printf(o, "error: bad request (want: status|sessions|"
			   "pinholes [json])\n");
		return;
	}
	json = !strcmp(opt, "json");
	if (opt[0] && !json) {
		ctl_printf(o, "error: unknown option '%s'\n", opt);
		return;
	}
	/* "ok" first: an empty list is then an answer, not a lost one */
	ctl_printf(o, "ok\n");
	if (!strcmp(cmd, "status")) {
		if (json)
			status_json(d, o, now);
		else
			status_text(d, o, now);
	} else if (!strcmp(cmd, "sessions")) {
		sessions_list(d, o, now, json);
	} else if (!strcmp(cmd, "pinholes")) {
		pinholes_list(d, o, now, json);
	} else {
		ctl_buf_reset(o);
		ctl_printf(o, "error: unknown request '%s'\n", cmd);
		return;
	}
	if (o->full) {
		/* a cut JSON document is no document: say so instead */
		ctl_buf_reset(o);
		ctl_printf(o, "error: response larger than %u bytes\n",
			   CTL_RESP_MAX);
	}
}

