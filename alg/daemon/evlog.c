// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Engine events into log text. Each reason has one sentence; the fields
 * it uses are those engine.h names for it.
 */
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <arpa/inet.h>

#include "evlog.h"

const char *evlog_reason_text(enum alg_reason r)
{
	switch (r) {
	case ALG_R_LINE_NUL:
		return "NUL byte in a control line";
	case ALG_R_LINE_LONG:
		return "control line longer than the limit";
	case ALG_R_AUTH_TLS:
		return "TLS";
	case ALG_R_CLOSE_RST:
		return "reset";
	case ALG_R_CLOSE_FIN:
		return "FIN both ways";
	case ALG_R_CLOSE_IDLE:
		return "idle timeout";
	case ALG_R_CLOSE_CONNTRACK:
		return "conntrack entry destroyed";
	case ALG_R_CLOSE_SHUTDOWN:
		return "shutdown";
	case ALG_R_HOLD_SEGMENTS:
		return "line split into too many segments";
	case ALG_R_CLOSE_HALF_OPEN:
		return "half-open: no handshake or nothing exchanged in time";
	case ALG_R_TLS_UNFOLLOWED:
		return "the client sent more than its AUTH line before the 234: "
		       "its TLS records cannot be followed";
	case ALG_R_TLS_GARBAGE:
		return "bytes neither a TLS record nor FTP text on an encrypted "
		       "control connection";
	default:
		return alg_reason_name(r);
	}
}

bool evlog_rate_limited(enum alg_reason r)
{
	switch (r) {
	case ALG_R_TABLE_FULL:
	case ALG_R_CLIENT_LIMIT:
	case ALG_R_TABLE_RESERVE:
	case ALG_R_RST_WINDOW:
	case ALG_R_RETRANS_MISMATCH:
	case ALG_R_CLOSE_HALF_OPEN:
		return true;
	default:
		return false;
	}
}

const char *evlog_ep(int family, const union alg_addr *a, uint16_t port,
		     char *buf, size_t len)
{
	char ab[INET6_ADDRSTRLEN];

	alg_addr_str(family, a, ab, sizeof(ab));
	snprintf(buf, len, family == AF_INET6 ? "[%s]:%u" : "%s:%u", ab,
		 port);
	return buf;
}

/* A log-safe excerpt of a line: printable ASCII, at most cap - 4 bytes. */
static const char *excerpt(char *buf, size_t cap, const struct alg_ev_line *l)
{
	size_t i, o = 0, max = cap - 4;

	for (i = 0; i < l->len && o < max; i++)
		buf[o++] = (l->b[i] >= 0x20 && l->b[i] < 0x7f) ? l->b[i] : '.';
	if (i < l->len || l->cut) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

static int fmt_open(const struct alg_event *ev, char *buf, size_t len)
{
	const struct alg_tuple *t = &ev->tuple;
	char c[EVLOG_EP_LEN], s[EVLOG_EP_LEN];

	snprintf(buf, len, "open %s -> %s%s",
		 evlog_ep(t->family, &t->caddr, t->cport, c, sizeof(c)),
		 evlog_ep(t->family, &t->saddr, t->sport, s, sizeof(s)),
		 ev->reason == ALG_R_OPEN_MIDSTREAM ?
		 " (picked up mid-stream)" : "");
	return LOG_INFO;
}

static int fmt_rewrite(const struct alg_event *ev, char *buf, size_t len)
{
	char before[160], after[160];

	snprintf(buf, len, "rewrite %s -> %s%s",
		 excerpt(before, sizeof(before), &ev->line),
		 excerpt(after, sizeof(after), &ev->line_new),
		 ev->reason == ALG_R_REWRITE_SPLIT ? " (split line)" : "");
	return LOG_INFO;
}

/* Refused for the endpoint a line announced. */
static void fmt_refused_endpoint(const struct alg_event *ev, char *buf,
				 size_t len)
{
	const char *k = ftp_kind_name(ev->kind);
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	if (ev->reason == ALG_R_BOUNCE)
		snprintf(buf, len, "%s to %s, not the client's address %s: "
			 "third-party data connection refused", k,
			 alg_addr_str(ev->family, &ev->ep.addr, a, sizeof(a)),
			 alg_addr_str(ev->family, &ev->addr, b, sizeof(b)));
	else if (ev->reason == ALG_R_LOW_PORT)
		snprintf(buf, len, "%s data port %u is below 1024 (bounce "
			 "defence)", k, ev->ep.port);
	else
		snprintf(buf, len, "%s announces an IPv%d address on an IPv%d "
			 "control connection", k,
			 ev->ep.family == AF_INET ? 4 : 6,
			 ev->family == AF_INET ? 4 : 6);
}

/* Refused because the rewrite could not be done. */
static void fmt_refused_rewrite(const struct alg_event *ev, char *buf,
				size_t len)
{
	const char *k = ftp_kind_name(ev->kind);

	switch (ev->reason) {
	case ALG_R_SPLIT_UNUSUAL:
		snprintf(buf, len, "%s split across segments in an unusual "
			 "form: passed unrewritten, no data port opened", k);
		break;
	case ALG_R_SPLIT_NOROOM:
		snprintf(buf, len, "%s split across segments: too many "
			 "unacknowledged rewrites; passed unrewritten", k);
		break;
	default:
		snprintf(buf, len, "%s: %s; line passed unrewritten", k,
			 ev->reason == ALG_R_TOO_MANY_REWRITES ?
			 "too many unacknowledged rewrites" :
			 ev->reason == ALG_R_NOMEM ? "out of memory" :
			 "rewrite overlaps an earlier one");
		break;
	}
}

/* Refused for what the peer did to the session or the stream. */
static void fmt_refused_peer(const struct alg_event *ev, char *buf,
			     size_t len)
{
	const char *k = ftp_kind_name(ev->kind);
	char a[INET6_ADDRSTRLEN], ex[160];

	switch (ev->reason) {
	case ALG_R_CLIENT_LIMIT:
		snprintf(buf, len, "client %s already has %u sessions "
			 "(max_sessions_per_client): connection not tracked",
			 alg_addr_str(ev->family, &ev->addr, a, sizeof(a)),
			 ev->value);
		break;
	case ALG_R_TABLE_RESERVE:
		snprintf(buf, len, "session table nearly full and client %s "
			 "already has %u sessions: the rest is kept for "
			 "others; connection not tracked",
			 alg_addr_str(ev->family, &ev->addr, a, sizeof(a)),
			 ev->value);
		break;
	case ALG_R_UNSYNCED:
		snprintf(buf, len, "%s before a complete command/reply "
			 "exchange (session picked up mid-stream): nothing "
			 "opened: \"%s\"", k, excerpt(ex, sizeof(ex), &ev->line));
		break;
	case ALG_R_BARE_LF:
		snprintf(buf, len, "%s after or ended by a bare LF, which the "
			 "peer has not shown it accepts: nothing opened: "
			 "\"%s\"", k, excerpt(ex, sizeof(ex), &ev->line));
		break;
	default:
		snprintf(buf, len, "retransmission disagrees with the bytes "
			 "already seen: dropped: \"%s\"",
			 excerpt(ex, sizeof(ex), &ev->line));
		break;
	}
}

/* The refusals: what was refused and why, one sentence each. */
static void fmt_refusal(const struct alg_event *ev, char *buf, size_t len)
{
	const char *k = ftp_kind_name(ev->kind);
	char a[INET6_ADDRSTRLEN], ex[160];

	switch (ev->reason) {
	case ALG_R_MALFORMED:
		snprintf(buf, len, "%s: \"%s\"", ev->detail ? ev->detail :
			 "malformed", excerpt(ex, sizeof(ex), &ev->line));
		break;
	case ALG_R_BOUNCE:
	case ALG_R_LOW_PORT:
	case ALG_R_FAMILY:
		fmt_refused_endpoint(ev, buf, len);
		break;
	case ALG_R_UNPAIRED:
		snprintf(buf, len, "%u reply does not answer a %s command "
			 "(awaiting %s): \"%s\"", ev->value,
			 ftp_kind_name(ftp_reply_answers(ev->kind)),
			 ftp_kind_name(ev->awaited),
			 excerpt(ex, sizeof(ex), &ev->line));
		break;
	case ALG_R_FORMAT:
		snprintf(buf, len, "%s: cannot write the new address (%s)", k,
			 strerror((int)ev->value));
		break;
	case ALG_R_SPLIT_UNUSUAL:
	case ALG_R_SPLIT_NOROOM:
	case ALG_R_TOO_MANY_REWRITES:
	case ALG_R_NOMEM:
	case ALG_R_OVERLAP:
		fmt_refused_rewrite(ev, buf, len);
		break;
	case ALG_R_HOLD_SEGMENTS:
	case ALG_R_HOLD_TIMEOUT:
		if (ev->reason == ALG_R_HOLD_TIMEOUT)
			snprintf(a, sizeof(a), "line not completed within %u "
				 "ms", ev->value);
		snprintf(buf, len, "%s: \"%s\" passed unrewritten, no data "
			 "port opened", ev->reason == ALG_R_HOLD_TIMEOUT ? a :
			 evlog_reason_text(ev->reason),
			 excerpt(ex, 96, &ev->line));
		break;
	case ALG_R_TABLE_FULL:
		snprintf(buf, len, "session table full (%u): connection not "
			 "tracked", ev->value);
		break;
	case ALG_R_CLIENT_LIMIT:
	case ALG_R_TABLE_RESERVE:
	case ALG_R_UNSYNCED:
	case ALG_R_BARE_LF:
	case ALG_R_RETRANS_MISMATCH:
		fmt_refused_peer(ev, buf, len);
		break;
	default:
		snprintf(buf, len, "%s", alg_reason_name(ev->reason));
		break;
	}
}

static int fmt_note(const struct alg_event *ev, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	switch (ev->reason) {
	case ALG_R_FOREIGN_ADDR:
		break;
	case ALG_R_PIN_REPLACED:
		snprintf(buf, len, "%s replaces the session's oldest pinhole "
			 "(to %s port %u; max_pinholes_per_session)",
			 ftp_kind_name(ev->kind),
			 alg_addr_str(ev->family, &ev->exp.target.addr, a,
				      sizeof(a)), ev->exp.target.port);
		return LOG_INFO;
	case ALG_R_RST_WINDOW:
		snprintf(buf, len, "RST or FIN with sequence number %u outside "
			 "the window: ignored, session unchanged", ev->value);
		return LOG_NOTICE;
	case ALG_R_PORT_REJECTED:
		snprintf(buf, len, "%s answered %u by the server: its data port "
			 "is not opened", ftp_kind_name(ev->kind), ev->value);
		return LOG_INFO;
	case ALG_R_RESET_SENT:
		snprintf(buf, len, "violation (%s): control connection reset "
			 "(violation_action = reset)",
			 alg_reason_name((enum alg_reason)ev->value));
		return LOG_NOTICE;
	case ALG_R_IDLE_CHECK:
		snprintf(buf, len, "idle_timeout passed without a packet we "
			 "see (its pure ACKs are not queued): asking conntrack");
		return LOG_DEBUG;
	default:
		snprintf(buf, len, "%s", alg_reason_name(ev->reason));
		return LOG_INFO;
	}
	snprintf(buf, len, "%s announced %s, which is not the server (%s): "
		 "client sent to the server instead", ftp_kind_name(ev->kind),
		 alg_addr_str(ev->family, &ev->ep.addr, a, sizeof(a)),
		 alg_addr_str(ev->family, &ev->addr, b, sizeof(b)));
	return LOG_INFO;
}

/*
 * FTPS: what the encrypted part breaks, and the ways out, in one line
 * (an administrator reads it once, when a transfer has just failed).
 */
static int fmt_tls(const struct alg_event *ev, char *buf, size_t len)
{
	if (ev->reason == ALG_R_TLS_CLEAR) {
		snprintf(buf, len, "tls: %s clear again after %u TLS records "
			 "(CCC): inspection resumes at this line start, "
			 "nothing pending", ev->dir == ALG_DIR_ORIG ?
			 "client" : "server", ev->value);
		return LOG_INFO;
	}
	snprintf(buf, len, "tls: AUTH accepted: control connection encrypted "
		 "(FTPS): its PORT/EPRT/227/229 cannot be seen, so active "
		 "mode through NAT, passive mode through DNAT or to an "
		 "unroutable address, and any data connection under a "
		 "default-drop forward policy will fail; fix: a fixed "
		 "passive port range on the server plus a static forward "
		 "rule, or CCC after login (inspection resumes once clear)");
	return LOG_NOTICE;
}

int evlog_format(const struct alg_event *ev, char *buf, size_t len)
{
	char why[EVLOG_LEN];

	switch (ev->type) {
	case ALG_EV_OPEN:
		return fmt_open(ev, buf, len);
	case ALG_EV_CLOSE:
		snprintf(buf, len, "close (%s)", evlog_reason_text(ev->reason));
		return LOG_INFO;
	case ALG_EV_REWRITE:
		return fmt_rewrite(ev, buf, len);
	case ALG_EV_REFUSE:
		fmt_refusal(ev, why, sizeof(why));
		snprintf(buf, len, "refused: %s", why);
		return LOG_NOTICE;
	case ALG_EV_TLS:
		return fmt_tls(ev, buf, len);
	case ALG_EV_STOP:
		snprintf(buf, len, "inspection stopped: %s: inspection of this "
			 "session stops (nothing more is rewritten or opened)",
			 evlog_reason_text(ev->reason));
		return LOG_NOTICE;
	case ALG_EV_NOTE:
		return fmt_note(ev, buf, len);
	case ALG_EV_EXPECT:
	case ALG_EV_ADJUST:
	case ALG_EV_SEEN:	/* for a trace only (trace.c) */
		break;
	}
	buf[0] = '\0';
	return -1;
}
