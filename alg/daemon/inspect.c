// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A queued packet through the engine: our copy of it, parsed; its session
 * found (or created); the session's NAT learnt once; the engine's result
 * applied (verdict.c). Nothing leaves before its pinholes exist: the peer
 * must never race the hole.
 */
#include <string.h>
#include <netinet/in.h>
#include <linux/netfilter.h>

#include "daemon.h"
#include "park.h"

/* Track p; false when it is not ours (passed, unless r already says). */
static bool inspect_track(struct daemon *d, uint32_t id, const struct pkt *p,
			  uint64_t now, struct alg_session **s,
			  enum alg_dir *dir)
{
	int ret;

	alg_result_reset(&d->res);
	ret = alg_track(d->tab, p, now, s, dir, &d->res);
	results_apply(d, &d->res, ret ? NULL : *s);
	if (!ret)
		return true;
	/* not a control connection, or the table is full */
	d->st.untracked++;
	if (!result_has_verdict(&d->res, id))
		verdict_send(d, id, NF_ACCEPT, NULL, 0);
	return false;
}

/* The packet's way through; its direction as stats count it. */
static enum stats_dir inspect_one(struct daemon *d, uint32_t id,
				  const uint8_t *data, size_t len,
				  bool truncated)
{
	struct alg_session *s = NULL;
	uint64_t now = now_ms();
	enum alg_dir dir;
	struct pkt p;
	int ret;

	d->last_pkt_ms = now;
	if (!data || truncated || len > 65535) {
		/* cannot happen with copy range 0xffff; never rewrite it */
		verdict_malformed(d, id, data ? data : d->buf,
				  data ? len : 0, PKT_ERR_IP_LEN, now);
		return STATS_DIR_OTHER;
	}
	/* our copy: the engine may rewrite it in place and grow it */
	memcpy(d->buf, data, len);
	ret = pkt_parse(&p, d->buf, len);
	if (ret != PKT_OK) {
		verdict_malformed(d, id, d->buf, len, ret, now);
		return STATS_DIR_OTHER;
	}
	/* a session of an earlier run may wait for this worker (park.c) */
	park_claim(d, &p, now);
	if (!inspect_track(d, id, &p, now, &s, &dir))
		return STATS_DIR_OTHER;
	if (!alg_session_nat_known(s) && p.paylen)
		nat_learn(d, s);

	alg_result_reset(&d->res);
	alg_process(d->tab, s, dir, &p, id, now, &d->res);
	/*
	 * The session's new state in the journal before any verdict: a
	 * restarted daemon must go on from what has left, never from less.
	 * A pure ACK changes nothing a restart needs.
	 */
	if (p.paylen || (p.flags & (TCPF_SYN | TCPF_FIN | TCPF_RST)))
		journal_session(d, s);
	results_apply(d, &d->res, s);
	/* held: the engine's timer must run by the time the hold expires */
	if (!result_has_verdict(&d->res, id) &&
	    d->next_tick_ms > now + d->cfg.pol.hold_ms)
		d->next_tick_ms = now + d->cfg.pol.hold_ms;
	return dir == ALG_DIR_ORIG ? STATS_DIR_ORIG : STATS_DIR_REPLY;
}

/* A queue_cb: the packet through, counted and timed. */
void inspect_packet(uint32_t id, uint8_t hook, const uint8_t *data,
		    size_t len, bool truncated, void *arg)
{
	struct daemon *d = arg;
	uint64_t t0 = stats_now_us();
	enum stats_dir dir;

	if (hook == NF_INET_PRE_ROUTING) {
		/* a data connection's SYN from chain pin_catch */
		pin_async_catch(d, id, data, len, now_ms());
		dir = STATS_DIR_OTHER;
	} else {
		dir = inspect_one(d, id, data, len, truncated);
	}
	stats_packet(&d->ws, dir, len, id);
	stats_hist_add(&d->ws.proc, stats_now_us() - t0);
}
