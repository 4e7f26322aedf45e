// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * An engine result applied, in the order the kernel must see it: the
 * pinholes first (one batch), then the events (be-liberal, pinhole
 * removal, log lines), then the verdicts. So no packet announcing a data
 * port leaves before its pinhole exists, and no rewritten line leaves
 * before its conntrack entry tolerates the shifted sequence numbers.
 *
 * Verdicts are gathered and leave together (verdicts_flush()): after the
 * packets of one wakeup, or before anything that blocks, so no verdict
 * waits on another packet's round trip to the kernel. The journal
 * records gathered for them are written first (queue.c's pre-send hook,
 * journal_flush()).
 *
 * Also the verdict for a packet the engine never saw: one the packet
 * parser refused.
 */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/netfilter.h>

#include "daemon.h"
#include "evlog.h"
#include "queue.h"
#include "trace.h"

static void event_apply(struct daemon *d, const struct alg_event *ev,
			struct alg_session *s)
{
	char text[EVLOG_LEN];
	unsigned missed = 0;
	int prio;

	stats_event(&d->ws, ev);
	trace_event(d, ev);
	prio = evlog_format(ev, text, sizeof(text));
	/* a limit a peer can hit with every packet: a few lines, counted */
	if (prio >= 0 && evlog_rate_limited(ev->reason) &&
	    !log_rl_key_ok(d->rl_limit, ALG_R_MAX, (unsigned)ev->reason,
			   10000, 5, now_ms(), &missed))
		prio = -1;
	if (prio >= 0 && missed)
		log_sess(prio, ev->sid, "%s (%u more suppressed)", text,
			 missed);
	else if (prio >= 0)
		log_sess(prio, ev->sid, "%s", text);
	switch (ev->type) {
	case ALG_EV_CLOSE:
		pinholes_remove(d, ev->sid, false, now_ms());
		liberal_forget(d, ev->sid);
		journal_end(d, ev->sid);
		break;
	case ALG_EV_REWRITE:
	case ALG_EV_ADJUST:
		/* before any packet of changed length leaves */
		liberal_mark(d, ev->sid, s);
		break;
	case ALG_EV_NOTE:
		if (ev->reason == ALG_R_IDLE_CHECK)
			idle_note(d, ev->sid);	/* after this result */
		break;
	default:
		break;	/* EXPECT: done by pinholes_add(), logged there */
	}
}

void verdict_send(struct daemon *d, uint32_t id, int verdict,
		  const uint8_t *data, size_t len)
{
	unsigned missed;
	int ret;

	ret = queue_verdict(d->q, id, verdict, data, len);
	if (!ret) {
		/* NF_REPEAT (a held SYN, pin_async.c) counts as an accept */
		d->ws.verdicts[verdict == NF_DROP ? STATS_V_DROP :
			       data ? STATS_V_MODIFIED : STATS_V_ACCEPT]++;
		return;
	}
	d->st.verdict_fail++;
	if (log_rl_ok(&d->rl_verdict, now_ms(), &missed))
		log_err("verdict for packet %u failed: %s (%u more "
			"suppressed)", id, strerror(-ret), missed);
}

void verdicts_flush(struct daemon *d)
{
	unsigned missed;
	int ret;

	journal_flush(d);	/* also with no verdict: an END, a pinhole */
	ret = queue_flush(d->q);
	if (!ret)
		return;
	d->st.verdict_fail++;
	if (log_rl_ok(&d->rl_verdict, now_ms(), &missed))
		log_err("sending verdicts failed: %s (%u more suppressed)",
			strerror(-ret), missed);
}

/* s: the session r is about, when there is one (saves a lookup). */
void results_apply(struct daemon *d, struct alg_result *r,
		   struct alg_session *s)
{
	const struct alg_out *o;
	unsigned i;

	pinholes_add(d, r, now_ms());
	for (i = 0; i < r->nev; i++)
		event_apply(d, &r->ev[i], s);
	if (r->ev_lost) {
		d->st.ev_lost += r->ev_lost;
		log_warn("%u engine events lost (result full)", r->ev_lost);
	}
	for (i = 0; i < r->nout; i++) {
		o = &r->out[i];
		verdict_send(d, o->id,
			     o->verdict == ALG_V_ACCEPT ? NF_ACCEPT : NF_DROP,
			     o->data, o->len);
	}
}

bool result_has_verdict(const struct alg_result *r, uint32_t id)
{
	unsigned i;

	for (i = 0; i < r->nout; i++)
		if (r->out[i].id == id)
			return true;
	return false;
}

/* The tracked session a refused packet belongs to, in either direction. */
static struct alg_session *malformed_session(struct daemon *d,
					     const struct pkt *p)
{
	struct alg_tuple tu = {
		.family = p->family, .caddr = p->saddr, .cport = p->sport,
		.saddr = p->daddr, .sport = p->dport,
	};
	struct alg_tuple rtu = {
		.family = p->family, .caddr = p->daddr, .cport = p->dport,
		.saddr = p->saddr, .sport = p->sport,
	};
	struct alg_session *s = alg_find(d->tab, &tu);

	return s ? s : alg_find(d->tab, &rtu);
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
void verdict_malformed(struct daemon *d, uint32_t id, const uint8_t *data,
		       size_t len, int err, uint64_t now)
{
	char src[EVLOG_EP_LEN] = "?", dst[EVLOG_EP_LEN] = "?";
	char more[48] = "";
	struct alg_session *s = NULL;
	unsigned missed;
	struct pkt p;

	d->st.malformed++;
	/* where the addresses and ports are there, whose packet it is */
	if (pkt_parse_ports(&p, data, len) == PKT_OK) {
		s = malformed_session(d, &p);
		evlog_ep(p.family, &p.saddr, p.sport, src, sizeof(src));
		evlog_ep(p.family, &p.daddr, p.dport, dst, sizeof(dst));
	}
	if (log_rl_ok(&d->rl_malformed, now, &missed)) {
		if (missed)
			snprintf(more, sizeof(more), " (%u more suppressed)",
				 missed);
		if (s)
			log_sess(LOG_WARNING, alg_session_id(s),
				 "malformed packet %s -> %s dropped: %s%s",
				 src, dst, pkt_strerror(err), more);
		else
			log_warn("malformed packet %s -> %s passed: %s%s", src,
				 dst, pkt_strerror(err), more);
	}
	verdict_send(d, id, s ? NF_DROP : NF_ACCEPT, NULL, 0);
}
