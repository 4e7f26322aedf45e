// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ftp-algd: the FTP application-layer gateway daemon.
 *
 * One thread, one epoll loop over:
 *   the NFQUEUE socket   control-connection packets -> engine -> verdicts
 *   ctnetlink events     conntrack destroy -> alg_session_close()
 *   the control socket   ftp-algctl requests
 *   a signalfd           SIGTERM/SIGINT: clean up and exit
 * and a timer: alg_tick() at the engine's deadlines, pinhole bookkeeping
 * once a second.
 *
 * Per packet: pkt_parse -> alg_lookup -> (NAT from conntrack, once) ->
 * alg_process -> events (pinholes first, be-liberal on a rewrite, logs)
 * -> verdicts. Nothing leaves before its pinholes exist: the peer must
 * never race the hole.
 *
 * Without --foreground the daemon still runs in the foreground (fine for
 * systemd Type=simple) but logs to syslog instead of stderr; startup
 * refusals always go to stderr as one line, exit status 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/netfilter.h>

#include "config.h"
#include "conntrack.h"
#include "ctl.h"
#include "ftp-alg/engine.h"
#include "ftp-alg/fw.h"
#include "log.h"
#include "queue.h"
#include "ftp-alg/packet.h"
#include "ftp-alg/pin.h"
#include "ftp-alg/ruleset.h"
#include "evlog.h"

#ifndef FTP_ALG_VERSION
#define FTP_ALG_VERSION	"0.1.0"
#endif

/* the largest IP packet and room for the engine to grow it in place */
#define PKT_BUF_LEN	(65535 + 4096)
#define NFQ_BATCH	64	/* packets per wakeup before other fds */
#define PIN_CHECK_MS	1000
#define PIN_MAX		65535	/* the size of sets pin4/pin6 */
/*
 * A pinhole that vanished this close to its timeout is reported as
 * expired, not used: we look once a second and the kernel's garbage
 * collection runs on its own schedule.
 */
#define PIN_SLACK_MS	1000
#define PIN_GC_GRACE_MS	5000	/* may outlive its timeout by this */
#define LIB_BUCKETS	256
#define EP_STR_LEN	EVLOG_EP_LEN

enum { TAG_NFQ, TAG_CT, TAG_CTL, TAG_SIG };

struct pinhole {
	uint64_t sid;
	struct pin_entry e;
	uint64_t added_ms;
};

/* Sessions whose conntrack entry we already made liberal. */
struct lib_node {
	uint64_t sid;
	struct lib_node *next;
};

struct daemon_stats {
	uint64_t malformed;
	uint64_t untracked;	/* not a control connection: passed */
	uint64_t nat_queries, nat_fail;
	uint64_t liberal, liberal_fail;
	uint64_t pin_added, pin_used, pin_expired, pin_removed, pin_fail;
	uint64_t ev_lost;
	uint64_t verdict_fail;
	uint64_t ct_destroyed;	/* destroy events that closed a session */
};

struct daemon {
	struct alg_config cfg;
	const char *ctl_path;
	struct alg_table *tab;
	struct queue *q;
	struct ct_ctx *ct;
	struct fw_sock *pin;
	struct ctl_server *ctl;
	bool native_queue;
	uint64_t start_ms;
	uint64_t last_pkt_ms;
	uint64_t next_tick_ms;
	uint64_t next_pin_ms;
	struct pinhole *pins;
	unsigned npins, pins_cap;
	struct lib_node *lib[LIB_BUCKETS];
	struct daemon_stats st;
	struct log_rl rl_malformed;
	struct log_rl rl_verdict;
	struct alg_result res;
	uint8_t buf[PKT_BUF_LEN] __attribute__((aligned(8)));
};

static struct daemon D = {
	.ctl_path = CTL_SOCKET_DEFAULT,
	.rl_malformed = LOG_RL_INIT(10000, 10),
	.rl_verdict = LOG_RL_INIT(10000, 10),
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* "203.0.113.10 -> 203.0.113.1:40001 => 10.0.1.2:40001" */
static const char *pin_str(const struct pin_entry *e, char *buf, size_t len)
{
	char peer[INET6_ADDRSTRLEN], wire[EP_STR_LEN], target[EP_STR_LEN];

	alg_addr_str(e->family, &e->peer, peer, sizeof(peer));
	evlog_ep(e->wire.family, &e->wire.addr, e->wire.port, wire,
	       sizeof(wire));
	evlog_ep(e->target.family, &e->target.addr, e->target.port, target,
	       sizeof(target));
	snprintf(buf, len, "%s -> %s => %s", peer, wire, target);
	return buf;
}

static void session_tuple(const struct alg_session *s, struct ct_tuple *t)
{
	const struct alg_tuple *tu = alg_session_tuple(s);

	memset(t, 0, sizeof(*t));
	t->family = tu->family;
	t->proto = IPPROTO_TCP;
	t->src = tu->caddr;
	t->dst = tu->saddr;
	t->sport = tu->cport;
	t->dport = tu->sport;
}

/* ---- NAT and be-liberal through conntrack ---- */

/*
 * Once per session, at its first payload packet. Any failure leaves the
 * session with "no NAT" (identity), which is right for a router that
 * does not translate this connection, and logged.
 */
static void learn_nat(struct daemon *d, struct alg_session *s)
{
	char cb[INET6_ADDRSTRLEN], sb[INET6_ADDRSTRLEN];
	struct alg_nat nat = { .known = true };
	struct ct_tuple t;
	struct ct_entry e;
	uint64_t sid;
	int ret;

	session_tuple(s, &t);
	d->st.nat_queries++;
	ret = ct_query(d->ct, &t, &e);
	sid = alg_session_id(s);
	if (ret == 0) {
		/* the client as the server sees it: where replies go */
		nat.client_pub = e.reply.dst;
		/* the server as the client sees it: where it connected */
		nat.server_pub = e.orig.dst;
	} else {
		d->st.nat_fail++;
		nat.client_pub = t.src;
		nat.server_pub = t.dst;
		log_sess(LOG_WARNING, sid,
			 "nat: no conntrack entry found (%s); assuming none",
			 strerror(-ret));
	}
	alg_session_set_nat(s, &nat);
	log_sess(LOG_INFO, sid, "nat client %s server %s",
		 alg_addr_str(t.family, &nat.client_pub, cb, sizeof(cb)),
		 alg_addr_str(t.family, &nat.server_pub, sb, sizeof(sb)));
}

static unsigned lib_hash(uint64_t sid)
{
	return (unsigned)((sid * 0x9e3779b97f4a7c15ull) >> 56) % LIB_BUCKETS;
}

static struct lib_node **lib_find(struct daemon *d, uint64_t sid)
{
	struct lib_node **n;

	for (n = &d->lib[lib_hash(sid)]; *n; n = &(*n)->next)
		if ((*n)->sid == sid)
			break;
	return n;
}

static void lib_forget(struct daemon *d, uint64_t sid)
{
	struct lib_node **n = lib_find(d, sid), *dead = *n;

	if (dead) {
		*n = dead->next;
		free(dead);
	}
}

/*
 * After a rewrite changes a line's length, the peers acknowledge bytes
 * conntrack's window tracking never saw: their packets would turn
 * "invalid" (dropped by the usual rule, and not de-NATed). Be-liberal on
 * this one entry switches the window check off for it; the global sysctl
 * stays as the administrator set it.
 */
static void make_liberal(struct daemon *d, uint64_t sid,
			 struct alg_session *s)
{
	struct lib_node *n;
	struct ct_tuple t;
	int ret;

	if (*lib_find(d, sid))
		return;
	if (!s || alg_session_id(s) != sid)
		s = alg_find_id(d->tab, sid);
	if (!s)
		return;
	session_tuple(s, &t);
	ret = ct_set_liberal(d->ct, &t);
	if (ret) {
		d->st.liberal_fail++;
		log_sess(LOG_WARNING, sid,
			 "cannot make conntrack entry liberal (%s): peers' "
			 "ACKs may be seen as invalid", strerror(-ret));
		/* no retry at every rewrite: one warning per session */
	} else {
		d->st.liberal++;
		log_sess(LOG_DEBUG, sid, "conntrack entry set be-liberal");
	}
	n = malloc(sizeof(*n));
	if (!n)
		return;
	n->sid = sid;
	n->next = d->lib[lib_hash(sid)];
	d->lib[lib_hash(sid)] = n;
}

/* ---- pinhole bookkeeping ---- */

static void pins_forget(struct daemon *d, unsigned i)
{
	d->pins[i] = d->pins[--d->npins];
}

static bool pins_reserve(struct daemon *d, unsigned n)
{
	struct pinhole *p;
	unsigned cap;

	if (d->npins + n <= d->pins_cap)
		return true;
	cap = d->pins_cap ? d->pins_cap * 2 : 64;
	while (cap < d->npins + n)
		cap *= 2;
	p = realloc(d->pins, cap * sizeof(*p));
	if (!p)
		return false;
	d->pins = p;
	d->pins_cap = cap;
	return true;
}

/* All EXPECT events of one result: one batch, before any verdict. */
static void pins_add(struct daemon *d, const struct alg_result *r,
		     uint64_t now)
{
	struct pin_entry batch[ALG_MAX_EV];
	uint64_t sids[ALG_MAX_EV];
	char buf[3 * EP_STR_LEN];
	unsigned i, n = 0;
	int ret;

	for (i = 0; i < r->nev; i++) {
		const struct alg_event *ev = &r->ev[i];
		struct pin_entry *e = &batch[n];

		if (ev->type != ALG_EV_EXPECT)
			continue;
		memset(e, 0, sizeof(*e));
		e->family = ev->exp.family;
		e->peer = ev->exp.peer;
		e->wire = ev->exp.wire;
		e->target = ev->exp.target;
		e->timeout_ms = d->cfg.pinhole_timeout_s * 1000u;
		if (d->npins + n >= PIN_MAX) {
			d->st.pin_fail++;
			log_sess(LOG_WARNING, ev->sid,
				 "pinhole refused %s: %u pinholes open",
				 pin_str(e, buf, sizeof(buf)), d->npins + n);
			continue;
		}
		sids[n++] = ev->sid;
	}
	if (!n)
		return;
	ret = pins_reserve(d, n) ? pin_add(d->pin, batch, n) : -ENOMEM;
	for (i = 0; i < n; i++) {
		if (ret) {
			d->st.pin_fail++;
			log_sess(LOG_ERR, sids[i], "pinhole failed %s: %s",
				 pin_str(&batch[i], buf, sizeof(buf)),
				 strerror(-ret));
			continue;
		}
		d->pins[d->npins++] = (struct pinhole){
			.sid = sids[i], .e = batch[i], .added_ms = now,
		};
		d->st.pin_added++;
		log_sess(LOG_INFO, sids[i], "pinhole added %s (%us)",
			 pin_str(&batch[i], buf, sizeof(buf)),
			 d->cfg.pinhole_timeout_s);
	}
}

/*
 * Was the pinhole used? Its element leaves the set when a data connection
 * consumes it, or when it times out.
 */
static const char *pin_fate(struct daemon *d, const struct pinhole *p,
			    uint64_t now, bool *gone)
{
	int ret = pin_present(d->pin, &p->e);

	*gone = ret == 0;
	if (ret)
		return ret > 0 ? "removed" : "removed (state unknown)";
	return now - p->added_ms + PIN_SLACK_MS < p->e.timeout_ms ?
	       "used" : "expired";
}

/*
 * Remove the pinholes of session sid (or all of them), in batches. One
 * already consumed by its data connection is reported "used": a transfer
 * often ends with its session, before the once-a-second check saw it.
 */
static int pins_remove(struct daemon *d, uint64_t sid, bool all,
		       uint64_t now)
{
	struct pin_entry batch[64];
	const char *fate[64];
	uint64_t sids[64];
	char buf[3 * EP_STR_LEN];
	unsigned i = 0, n, k;
	int ret, fail = 0;
	bool gone;

	while (i < d->npins) {
		n = 0;
		/* swap-remove: index i is refilled, so do not advance */
		while (i < d->npins && n < 64) {
			if (!all && d->pins[i].sid != sid) {
				i++;
				continue;
			}
			fate[n] = pin_fate(d, &d->pins[i], now, &gone);
			if (gone && !strcmp(fate[n], "used"))
				d->st.pin_used++;
			else if (gone)
				d->st.pin_expired++;
			else
				d->st.pin_removed++;
			sids[n] = d->pins[i].sid;
			batch[n++] = d->pins[i].e;
			pins_forget(d, i);
		}
		if (!n)
			break;
		/* also deletes the dnat4 mappings of used pinholes */
		ret = pin_del(d->pin, batch, n);
		for (k = 0; k < n; k++) {
			if (ret) {
				fail = ret;
				log_sess(LOG_ERR, sids[k],
					 "pinhole removal failed %s: %s",
					 pin_str(&batch[k], buf, sizeof(buf)),
					 strerror(-ret));
				continue;
			}
			log_sess(LOG_INFO, sids[k], "pinhole %s %s", fate[k],
				 pin_str(&batch[k], buf, sizeof(buf)));
		}
	}
	return fail;
}

/*
 * Once a second: a pinhole element that left its set before its timeout
 * was consumed by its data connection (pin_fwd deletes it): "used". We
 * then delete its dnat4 mapping too, no longer needed once conntrack has
 * the connection. One that outlived its timeout: "expired".
 */
static void pins_check(struct daemon *d, uint64_t now)
{
	char buf[3 * EP_STR_LEN];
	struct pinhole *p;
	uint64_t age;
	unsigned i = 0;
	bool used;
	int ret;

	while (i < d->npins) {
		p = &d->pins[i];
		age = now - p->added_ms;
		ret = pin_present(d->pin, &p->e);
		if (ret < 0 || (ret > 0 && age < p->e.timeout_ms +
						  PIN_GC_GRACE_MS)) {
			i++;
			continue;
		}
		used = !ret && age + PIN_SLACK_MS < p->e.timeout_ms;
		pin_del(d->pin, &p->e, 1);
		if (used)
			d->st.pin_used++;
		else
			d->st.pin_expired++;
		log_sess(LOG_INFO, p->sid, "pinhole %s %s",
			 used ? "used" : "expired",
			 pin_str(&p->e, buf, sizeof(buf)));
		pins_forget(d, i);
	}
}

/* ---- events and verdicts ---- */

static void handle_event(struct daemon *d, const struct alg_event *ev,
			 struct alg_session *s)
{
	char text[EVLOG_LEN];
	int prio;

	prio = evlog_format(ev, text, sizeof(text));
	if (prio >= 0)
		log_sess(prio, ev->sid, "%s", text);
	switch (ev->type) {
	case ALG_EV_CLOSE:
		pins_remove(d, ev->sid, false, now_ms());
		lib_forget(d, ev->sid);
		break;
	case ALG_EV_REWRITE:
	case ALG_EV_ADJUST:
		/* before any packet of changed length leaves */
		make_liberal(d, ev->sid, s);
		break;
	default:
		break;		/* EXPECT: done by pins_add(), logged there */
	}
}

static void send_verdict(struct daemon *d, uint32_t id, int verdict,
			 const uint8_t *data, size_t len)
{
	unsigned missed;
	int ret;

	ret = queue_verdict(d->q, id, verdict, data, len);
	if (!ret)
		return;
	d->st.verdict_fail++;
	if (log_rl_ok(&d->rl_verdict, now_ms(), &missed))
		log_err("verdict for packet %u failed: %s (%u more "
			"suppressed)", id, strerror(-ret), missed);
}

/*
 * Events first: pinholes (one batch), then in order be-liberal, pinhole
 * removal, logging. Verdicts last, so no packet announcing a data port
 * leaves before its pinhole exists and no rewritten line leaves before
 * its conntrack entry tolerates the shifted sequence numbers.
 */
static void finish(struct daemon *d, struct alg_result *r,
		   struct alg_session *s)
{
	const struct alg_out *o;
	unsigned i;

	pins_add(d, r, now_ms());
	for (i = 0; i < r->nev; i++)
		handle_event(d, &r->ev[i], s);
	if (r->ev_lost) {
		d->st.ev_lost += r->ev_lost;
		log_warn("%u engine events lost (result full)", r->ev_lost);
	}
	for (i = 0; i < r->nout; i++) {
		o = &r->out[i];
		send_verdict(d, o->id,
			     o->verdict == ALG_V_ACCEPT ? NF_ACCEPT : NF_DROP,
			     o->data, o->len);
	}
}

static bool has_verdict(const struct alg_result *r, uint32_t id)
{
	unsigned i;

	for (i = 0; i < r->nout; i++)
		if (r->out[i].id == id)
			return true;
	return false;
}

/*
 * Addresses and ports of a packet pkt_parse() refused, when the headers
 * we need are there (IPv6: only without extension headers).
 */
static bool raw_tuple(const uint8_t *b, size_t len, struct ct_tuple *t)
{
	size_t l4;

	memset(t, 0, sizeof(*t));
	if (len < 20)
		return false;
	if (b[0] >> 4 == 4) {
		l4 = (size_t)(b[0] & 15) * 4;
		if (l4 < 20 || b[9] != IPPROTO_TCP || len < l4 + 4)
			return false;
		t->family = AF_INET;
		memcpy(&t->src, b + 12, 4);
		memcpy(&t->dst, b + 16, 4);
	} else if (b[0] >> 4 == 6) {
		l4 = 40;
		if (b[6] != IPPROTO_TCP || len < l4 + 4)
			return false;
		t->family = AF_INET6;
		memcpy(&t->src, b + 8, 16);
		memcpy(&t->dst, b + 24, 16);
	} else {
		return false;
	}
	t->sport = (uint16_t)(b[l4] << 8 | b[l4 + 1]);
	t->dport = (uint16_t)(b[l4 + 2] << 8 | b[l4 + 3]);
	return true;
}

/*
 * A packet pkt_parse() rejects cannot be inspected, nor can its seq/ack
 * be adjusted. If it belongs to a session we track, letting it through
 * unmodified could carry unadjusted numbers into a stream whose offsets
 * we shifted, so it is dropped (the sender retransmits; a malformed
 * packet that keeps coming stalls only its own connection). If it
 * belongs to no tracked session it is none of our business: accepted
 * unmodified, as if we were not there. Logged either way, rate-limited:
 * a peer can send these at will.
 */
static void malformed(struct daemon *d, uint32_t id, const uint8_t *data,
		      size_t len, int err, uint64_t now)
{
	char src[EP_STR_LEN] = "?", dst[EP_STR_LEN] = "?";
	struct alg_session *s = NULL;
	struct ct_tuple t;
	unsigned missed;

	d->st.malformed++;
	if (raw_tuple(data, len, &t)) {
		struct alg_tuple tu = {
			.family = t.family, .caddr = t.src, .cport = t.sport,
			.saddr = t.dst, .sport = t.dport,
		};
		struct alg_tuple rtu = {
			.family = t.family, .caddr = t.dst, .cport = t.dport,
			.saddr = t.src, .sport = t.sport,
		};

		s = alg_find(d->tab, &tu);
		if (!s)
			s = alg_find(d->tab, &rtu);
		evlog_ep(t.family, &t.src, t.sport, src, sizeof(src));
		evlog_ep(t.family, &t.dst, t.dport, dst, sizeof(dst));
	}
	if (log_rl_ok(&d->rl_malformed, now, &missed)) {
		char more[48] = "";

		if (missed)
			snprintf(more, sizeof(more), " (%u more suppressed)",
				 missed);
		if (s)
			log_sess(LOG_WARNING, alg_session_id(s),
				 "malformed packet %s -> "
				 "%s dropped: %s%s", src, dst,
				 pkt_strerror(err), more);
		else
			log_warn("malformed packet %s -> %s passed: %s%s", src,
				 dst, pkt_strerror(err), more);
	}
	send_verdict(d, id, s ? NF_DROP : NF_ACCEPT, NULL, 0);
}

static void on_packet(uint32_t id, const uint8_t *data, size_t len,
		      bool truncated, void *arg)
{
	struct daemon *d = arg;
	struct alg_session *s = NULL;
	uint64_t now = now_ms();
	enum alg_dir dir;
	struct pkt p;
	int ret;

	d->last_pkt_ms = now;
	if (!data || truncated || len > 65535) {
		/* cannot happen with copy range 0xffff; never rewrite it */
		malformed(d, id, data ? data : d->buf, data ? len : 0,
			  PKT_ERR_IP_LEN, now);
		return;
	}
	/* our copy: the engine may rewrite it in place and grow it */
	memcpy(d->buf, data, len);
	ret = pkt_parse(&p, d->buf, len);
	if (ret != PKT_OK) {
		malformed(d, id, d->buf, len, ret, now);
		return;
	}

	alg_result_reset(&d->res);
	ret = alg_track(d->tab, &p, now, &s, &dir, &d->res);
	finish(d, &d->res, ret ? NULL : s);
	if (ret) {
		/* not a control connection, or the table is full */
		d->st.untracked++;
		if (!has_verdict(&d->res, id))
			send_verdict(d, id, NF_ACCEPT, NULL, 0);
		return;
	}
	if (!alg_session_nat_known(s) && p.paylen)
		learn_nat(d, s);

	alg_result_reset(&d->res);
	alg_process(d->tab, s, dir, &p, id, now, &d->res);
	finish(d, &d->res, s);
	/* held: the engine's timer must run by the time the hold expires */
	if (!has_verdict(&d->res, id) &&
	    d->next_tick_ms > now + d->cfg.pol.hold_ms)
		d->next_tick_ms = now + d->cfg.pol.hold_ms;
}

static void on_ct_destroy(const struct ct_entry *e, void *arg)
{
	struct daemon *d = arg;
	struct alg_session *s;

	/* our sessions are keyed as seen at forward: pre-SNAT, post-DNAT */
	struct alg_tuple tu = {
		.family = e->orig.family,
		.caddr = e->orig.src, .cport = e->orig.sport,
		.saddr = e->reply.src, .sport = e->reply.sport,
	};

	s = alg_find(d->tab, &tu);
	if (!s)
		return;
	d->st.ct_destroyed++;
	alg_result_reset(&d->res);
	alg_session_close(d->tab, s, ALG_R_CLOSE_CONNTRACK, now_ms(),
			  &d->res);
	finish(d, &d->res, s);
}

static void run_tick(struct daemon *d, uint64_t now)
{
	unsigned ms;

	alg_result_reset(&d->res);
	ms = alg_tick(d->tab, now, &d->res);
	finish(d, &d->res, NULL);
	d->next_tick_ms = now + (ms ? ms : 1);
}

/* ---- ftp-algctl requests ---- */

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
		   PRIu64 ")\n", d->npins, d->st.pin_added, d->st.pin_used,
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
		   d->cfg.pol.max_sessions, d->npins, qs->enobufs,
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
	char c[EP_STR_LEN], sv[EP_STR_LEN];
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
	char target[INET6_ADDRSTRLEN], buf[3 * EP_STR_LEN];
	const struct pinhole *p;
	uint64_t age, left;
	unsigned i;

	if (json)
		ctl_printf(o, "{\"pinholes\":[");
	for (i = 0; i < d->npins; i++) {
		p = &d->pins[i];
		age = now - p->added_ms;
		left = age < p->e.timeout_ms ? p->e.timeout_ms - age : 0;
		if (!json) {
			ctl_printf(o, "#%" PRIu64 " %s age %" PRIu64
				   "s expires in %" PRIu64 "s\n", p->sid,
				   pin_str(&p->e, buf, sizeof(buf)),
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
static void ctl_request(const char *req, struct ctl_buf *o, void *arg)
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

/* ---- startup and shutdown ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ftp-algd [--foreground] [--config FILE] [--queue N]\n"
		"                [--ctl-socket PATH]\n"
		"  --foreground      log to stderr (default: syslog)\n"
		"  --config FILE     key = value settings (default: none)\n"
		"  --queue N         NFQUEUE number (overrides the config)\n"
		"  --ctl-socket PATH control socket (default %s)\n",
		CTL_SOCKET_DEFAULT);
}

static bool parse_queue(const char *s, uint16_t *q)
{
	unsigned long v;

	if (!cfg_parse_uint(s, 0, 65535, &v))
		return false;
	*q = (uint16_t)v;
	return true;
}

static int epoll_add(int ep, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static int signals_open(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

/* true: stop */
static bool on_signal(int sfd)
{
	struct signalfd_siginfo si;
	bool stop = false;

	while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			log_info("SIGHUP: no reload; restart to apply a new "
				 "configuration");
			continue;
		}
		log_info("%s: shutting down", strsignal((int)si.ssi_signo));
		stop = true;
	}
	return stop;
}

static int run(struct daemon *d, int ep, int sfd)
{
	struct epoll_event evs[8];
	uint64_t now, next;
	int n, i, ret, timeout;

	d->next_tick_ms = d->next_pin_ms = now_ms();
	for (;;) {
		now = now_ms();
		next = d->next_tick_ms < d->next_pin_ms ? d->next_tick_ms
							: d->next_pin_ms;
		timeout = next > now ? (int)(next - now) : 0;
		n = epoll_wait(ep, evs, 8, timeout);
		if (n < 0 && errno != EINTR) {
			log_err("epoll_wait: %s", strerror(errno));
			return 1;
		}
		for (i = 0; i < n; i++) {
			switch (evs[i].data.u32) {
			case TAG_NFQ:
				ret = queue_read(d->q, NFQ_BATCH, on_packet,
						  d);
				if (ret < 0) {
					log_err("queue socket: %s",
						strerror(-ret));
					return 1;
				}
				break;
			case TAG_CT:
				ret = ct_events_read(d->ct, on_ct_destroy, d);
				if (ret < 0)
					log_err("conntrack events: %s",
						strerror(-ret));
				break;
			case TAG_CTL:
				ctl_run(d->ctl, now_ms());
				break;
			case TAG_SIG:
				if (on_signal(sfd))
					return 0;
				break;
			}
		}
		now = now_ms();
		if (now >= d->next_tick_ms)
			run_tick(d, now);
		if (now >= d->next_pin_ms) {
			pins_check(d, now);
			ctl_run(d->ctl, now);	/* client deadlines */
			d->next_pin_ms = now + PIN_CHECK_MS;
		}
	}
}

/*
 * Stop queueing first, then finish what is queued, then let the engine
 * release what it holds, then close every pinhole we opened.
 */
static int shutdown_all(struct daemon *d)
{
	int ret, fail = 0, i;
	unsigned left;

	ret = ruleset_queue_remove(d->pin);
	if (ret) {
		log_err("cannot remove queue rules: %s", strerror(-ret));
		fail = 1;
	}
	for (i = 0; i < 16; i++)
		if (queue_read(d->q, NFQ_BATCH, on_packet, d) <= 0)
			break;
	/* every held packet gets its verdict; the result may fill up */
	do {
		alg_result_reset(&d->res);
		left = alg_table_flush(d->tab, now_ms(), &d->res);
		finish(d, &d->res, NULL);
	} while (left);
	if (pins_remove(d, 0, true, now_ms()))
		fail = 1;
	return fail;
}

static void lib_free_all(struct daemon *d)
{
	struct lib_node *n, *next;
	unsigned i;

	for (i = 0; i < LIB_BUCKETS; i++) {
		for (n = d->lib[i]; n; n = next) {
			next = n->next;
			free(n);
		}
		d->lib[i] = NULL;
	}
}

static void ports_str(const struct alg_policy *pol, char *buf, size_t len)
{
	size_t off = 0;
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < ALG_MAX_CTL_PORTS && pol->ctl_ports[i]; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%u",
					i ? "," : "", pol->ctl_ports[i]);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "foreground", no_argument, NULL, 'f' },
		{ "config", required_argument, NULL, 'c' },
		{ "queue", required_argument, NULL, 'q' },
		{ "ctl-socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon *d = &D;
	const char *config = NULL, *what = NULL;
	char err[CONFIG_ERR_LEN], ports[64];
	bool foreground = false, have_queue = false;
	uint16_t queue = 0;
	int ret, c, ep = -1, sfd = -1, status = 1;

	while ((c = getopt_long(argc, argv, "fc:q:s:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			foreground = true;
			break;
		case 'c':
			config = optarg;
			break;
		case 'q':
			if (!parse_queue(optarg, &queue)) {
				fprintf(stderr, "ftp-algd: bad --queue '%s': "
					"expected 0 to 65535\n", optarg);
				return 1;
			}
			have_queue = true;
			break;
		case 's':
			d->ctl_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("ftp-algd %s\n", FTP_ALG_VERSION);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ftp-algd: unexpected argument '%s'\n",
			argv[optind]);
		return 1;
	}

	log_init("ftp-algd", foreground);
	config_default(&d->cfg);
	if (config && config_load(&d->cfg, config, err, sizeof(err))) {
		log_fatal("%s", err);
		return 1;
	}
	if (have_queue)
		d->cfg.queue = queue;
	log_set_level(d->cfg.log_level);

	d->pin = fw_open();
	if (!d->pin) {
		log_fatal("cannot open nftables netlink socket: %s",
			  strerror(errno));
		return 1;
	}
	ret = ruleset_check_table(d->pin, &what);
	if (ret) {
		if (what && strncmp(what, "table", 5))
			log_fatal("table inet %s is incomplete: %s: %s; load "
				  "deploy/ftp-alg.nft first", PIN_TABLE, what,
				  ret == -ENOENT ? "missing" : strerror(-ret));
		else
			log_fatal("table inet %s is missing (%s); load "
				  "deploy/ftp-alg.nft first", PIN_TABLE,
				  strerror(-ret));
		goto err_pin;
	}
	d->tab = alg_table_new(&d->cfg.pol, 0);
	if (!d->tab) {
		log_fatal("cannot create the session table: %s",
			  strerror(errno ? errno : ENOMEM));
		goto err_pin;
	}
	d->ct = ct_open();
	if (!d->ct) {
		log_fatal("cannot open ctnetlink: %s", strerror(errno));
		goto err_tab;
	}
	/*
	 * Claim the queue and the control socket before touching the
	 * table: a second ftp-algd stops here (EBUSY, EADDRINUSE) without
	 * wiping the first one's rules and pinholes. Packets that rules
	 * left by a crashed run queue meanwhile are passed (see queue.c).
	 */
	d->q = queue_open(d->cfg.queue);
	if (!d->q) {
		log_fatal("cannot bind NFQUEUE %u: %s%s", d->cfg.queue,
			  strerror(errno),
			  errno == EPERM || errno == EBUSY ?
			  " (is another program bound to it?)" : "");
		goto err_ct;
	}
	d->ctl = ctl_open(d->ctl_path, ctl_request, d);
	if (!d->ctl) {
		log_fatal("cannot listen on %s: %s%s", d->ctl_path,
			  strerror(errno), errno == EADDRINUSE ?
			  " (is another ftp-algd running?)" : "");
		goto err_q;
	}
	/* leftovers of an earlier run: its queue rules and pinholes */
	ret = ruleset_queue_remove(d->pin);
	if (!ret)
		ret = pin_sweep(d->pin);
	if (ret) {
		log_fatal("cannot clear old queue rules/pinholes: %s",
			  strerror(-ret));
		goto err_ctl;
	}
	ret = ruleset_queue_install(d->pin, d->cfg.queue, &d->native_queue);
	if (ret) {
		log_fatal("cannot install queue rules in chain %s %s: %s",
			  PIN_TABLE, PIN_QUEUE_CHAIN, strerror(-ret));
		goto err_rules;
	}
	sfd = signals_open();
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || ep < 0 ||
	    epoll_add(ep, queue_fd(d->q), TAG_NFQ) < 0 ||
	    epoll_add(ep, ct_events_fd(d->ct), TAG_CT) < 0 ||
	    epoll_add(ep, ctl_fd(d->ctl), TAG_CTL) < 0 ||
	    epoll_add(ep, sfd, TAG_SIG) < 0) {
		log_fatal("cannot set up the event loop: %s", strerror(errno));
		goto err_loop;
	}

	d->start_ms = now_ms();
	ports_str(&d->cfg.pol, ports, sizeof(ports));
	log_info("ftp-algd %s started: queue %u (%s), control ports %s, "
		 "pinhole timeout %us, max %u sessions, ctl %s",
		 FTP_ALG_VERSION, d->cfg.queue,
		 d->native_queue ? "native nft queue"
				 : "xt NFQUEUE via nft_compat: no nft_queue",
		 ports, d->cfg.pinhole_timeout_s, d->cfg.pol.max_sessions,
		 d->ctl_path);
	if (strcmp(ports, "21"))
		log_info("set inet %s %s must list the same ports (%s)",
			 PIN_TABLE, PIN_CTL_PORTS, ports);

	status = run(d, ep, sfd);
	if (shutdown_all(d))
		status = 1;
	log_info("ftp-algd stopped");
	close(ep);
	close(sfd);
	ctl_close(d->ctl);
	queue_close(d->q);
	ct_close(d->ct);
	lib_free_all(d);
	free(d->pins);
	alg_table_free(d->tab);
	fw_close(d->pin);
	return status;

err_loop:
	if (ep >= 0)
		close(ep);
	if (sfd >= 0)
		close(sfd);
err_rules:
	ruleset_queue_remove(d->pin);
err_ctl:
	ctl_close(d->ctl);
err_q:
	queue_close(d->q);
err_ct:
	ct_close(d->ct);
err_tab:
	alg_table_free(d->tab);
err_pin:
	fw_close(d->pin);
	return 1;
}
