// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Trace lines, text and JSON, from the events that make the log lines
 * (evlog.c writes the sentences; this adds the raw lines and the
 * structure). Text:
 *
 *   #3 open 10.0.1.2:40000 -> 198.51.100.2:21 ...
 *   #3 > PORT 10,0,1,2,156,65          a line from the client
 *   #3 < 227 Entering Passive Mode ... a line from the server
 *   #3 rewrite PORT ... -> ...
 *   #3 pinhole added 198.51.100.2 -> 203.0.113.1:40001 => ...
 *
 * JSON: one object per line, {"sid":3,"event":"line","dir":"orig",
 * "line":"PORT ..."}; every event has sid and event.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "evlog.h"
#include "trace.h"
#include "workers.h"

static const char *dir_name(enum alg_dir d)
{
	return d == ALG_DIR_ORIG ? "orig" : "reply";
}

/* A line as text: its end of line off, anything unprintable as \xNN. */
static void put_line(struct ctl_buf *o, const struct alg_ev_line *l)
{
	size_t n = l->len, i;
	unsigned char c;

	while (n && (l->b[n - 1] == '\n' || l->b[n - 1] == '\r'))
		n--;
	for (i = 0; i < n; i++) {
		c = (unsigned char)l->b[i];
		if (c < 0x20 || c >= 0x7f || c == '\\')
			ctl_printf(o, "\\x%02x", c);
		else
			ctl_printf(o, "%c", c);
	}
	if (l->cut)
		ctl_printf(o, "...");
}

/* The same as a JSON string value (valid whatever the peer sent). */
static void put_json_line(struct ctl_buf *o, const char *key,
			  const struct alg_ev_line *l)
{
	struct ctl_buf t = { 0 };

	put_line(&t, l);
	ctl_printf(o, ",\"%s\":", key);
	ctl_json_str(o, t.p ? t.p : "");
	free(t.p);
}

void trace_format_event(const struct alg_event *ev, struct ctl_buf *text,
			struct ctl_buf *json)
{
	char buf[EVLOG_LEN];

	ctl_printf(json, "{\"sid\":%llu,\"event\":\"%s\"",
		   (unsigned long long)ev->sid, alg_ev_name(ev->type));
	if (ev->type == ALG_EV_SEEN) {
		ctl_printf(text, "#%llu %c ", (unsigned long long)ev->sid,
			   ev->dir == ALG_DIR_ORIG ? '>' : '<');
		put_line(text, &ev->line);
		ctl_printf(text, "\n");
		ctl_printf(json, ",\"dir\":\"%s\"", dir_name(ev->dir));
		put_json_line(json, "line", &ev->line);
		ctl_printf(json, "}\n");
		return;
	}
	evlog_format(ev, buf, sizeof(buf));
	/* the log's sentence; an event without one by its name */
	ctl_printf(text, "#%llu %s\n", (unsigned long long)ev->sid,
		   buf[0] ? buf : alg_ev_name(ev->type));
	ctl_printf(json, ",\"reason\":\"%s\",\"dir\":\"%s\"",
		   alg_reason_name(ev->reason), dir_name(ev->dir));
	if (ev->kind)
		ctl_printf(json, ",\"kind\":\"%s\"", ftp_kind_name(ev->kind));
	if (ev->line.len)
		put_json_line(json, "line", &ev->line);
	if (ev->type == ALG_EV_REWRITE)
		put_json_line(json, "line_new", &ev->line_new);
	ctl_printf(json, ",\"text\":");
	ctl_json_str(json, buf);
	ctl_printf(json, "}\n");
}

void trace_format_pin(uint64_t sid, const char *outcome,
		      const struct pin_entry *e, struct ctl_buf *text,
		      struct ctl_buf *json)
{
	char peer[EVLOG_EP_LEN], wire[EVLOG_EP_LEN], target[EVLOG_EP_LEN];

	alg_addr_str(e->family, &e->peer, peer, sizeof(peer));
	evlog_ep(e->wire.family, &e->wire.addr, e->wire.port, wire,
		 sizeof(wire));
	evlog_ep(e->target.family, &e->target.addr, e->target.port, target,
		 sizeof(target));
	ctl_printf(text, "#%llu pinhole %s %s -> %s => %s\n",
		   (unsigned long long)sid, outcome, peer, wire, target);
	ctl_printf(json, "{\"sid\":%llu,\"event\":\"pinhole\",\"outcome\":",
		   (unsigned long long)sid);
	ctl_json_str(json, outcome);
	ctl_printf(json, ",\"peer\":\"%s\",\"wire\":\"%s\",\"target\":"
		   "\"%s\"}\n", peer, wire, target);
}

void trace_format_nat(uint64_t sid, int family, const struct alg_nat *nat,
		      struct ctl_buf *text, struct ctl_buf *json)
{
	char c[EVLOG_EP_LEN], s[EVLOG_EP_LEN];

	alg_addr_str(family, &nat->client_pub, c, sizeof(c));
	alg_addr_str(family, &nat->server_pub, s, sizeof(s));
	ctl_printf(text, "#%llu nat client %s server %s\n",
		   (unsigned long long)sid, c, s);
	ctl_printf(json, "{\"sid\":%llu,\"event\":\"nat\",\"client_public\":"
		   "\"%s\",\"server_public\":\"%s\"}\n",
		   (unsigned long long)sid, c, s);
}

/* ---- the daemon's side ---- */

static void trace_send(struct daemon *d, uint64_t sid, struct ctl_buf *text,
		       struct ctl_buf *json)
{
	if (d->boss && text->p && json->p && !text->full && !json->full) {
		/* a worker: the main thread owns the subscribers */
		workers_trace_push(d, sid, text->p, json->p);
		return;
	}
	if (text->p && json->p && !text->full && !json->full)
		ctl_publish(d->ctl, sid, text->p, json->p);
	free(text->p);
	free(json->p);
}

void trace_event(struct daemon *d, const struct alg_event *ev)
{
	struct ctl_buf text = { 0 }, json = { 0 };

	if (!d->tracing || ev->type == ALG_EV_EXPECT ||
	    ev->type == ALG_EV_ADJUST)
		return;		/* EXPECT: the pinhole's own line says it */
	trace_format_event(ev, &text, &json);
	trace_send(d, ev->sid, &text, &json);
}

void trace_pin(struct daemon *d, uint64_t sid, const char *outcome,
	       const struct pin_entry *e)
{
	struct ctl_buf text = { 0 }, json = { 0 };

	if (!d->tracing)
		return;
	trace_format_pin(sid, outcome, e, &text, &json);
	trace_send(d, sid, &text, &json);
}

void trace_nat(struct daemon *d, uint64_t sid, int family,
	       const struct alg_nat *nat)
{
	struct ctl_buf text = { 0 }, json = { 0 };

	if (!d->tracing)
		return;
	trace_format_nat(sid, family, nat, &text, &json);
	trace_send(d, sid, &text, &json);
}

void trace_sync(struct daemon *d)
{
	bool on = ctl_subscribers(d->ctl) > 0;
	unsigned i;

	if (on == d->tracing)
		return;
	d->tracing = on;
	for (i = 0; i < d->nw; i++) {
		worker_lock(d->w[i]);
		d->w[i]->tracing = on;
		alg_table_set_trace_lines(d->w[i]->tab, on);
		worker_unlock(d->w[i]);
	}
	log_debug("trace: %s", on ? "a subscriber is watching" :
		  "no subscriber left");
}

/* "12" or "#12": a session id; NULL: every session. */
void cmd_trace(struct daemon *d, struct ctl_buf *o, const char *arg,
	       bool json)
{
	unsigned long long sid = 0;
	char *end;

	(void)d;
	if (arg) {
		if (*arg == '#')
			arg++;
		errno = 0;
		sid = strtoull(arg, &end, 10);
		if (!*arg || *end || errno || !sid) {
			ctl_printf(o, "error: bad session id '%s'\n", arg);
			return;
		}
	}
	ctl_printf(o, "ok\n");
	o->sub = (struct ctl_sub){ .on = true, .json = json, .sid = sid };
}
