// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The engine's entry points (include/ftp-alg/engine.h): a packet in
 * (alg_process), timers (alg_tick), a connection gone
 * (alg_session_close), shutdown (alg_table_flush). The steps between
 * live in the files engine_int.h lists, in data-path order.
 */
#include "engine_int.h"

/*
 * Inspection of s ends (why: a stop reason): sequence mapping goes on,
 * everything held can go now.
 */
void engine_stop(struct alg_table *t, struct alg_session *s,
		 enum alg_dir dir, enum alg_reason why,
		 struct alg_result *r)
{
	if (!s->inspect)
		return;
	s->inspect = false;
	s->stop_reason = why;
	/* an address still arriving ends where inspection ends */
	rewrite_split_finish(s, ALG_DIR_ORIG, s->st[0].line, s->st[0].llen,
			     -1);
	rewrite_split_finish(s, ALG_DIR_REPLY, s->st[1].line, s->st[1].llen,
			     -1);
	ev_new(r, s, ALG_EV_STOP, why, dir);
	hold_drain(t, s, ALG_DIR_ORIG, 0, r);
	hold_drain(t, s, ALG_DIR_REPLY, 0, r);
}

static void close_session(struct alg_table *t, struct alg_session *s,
			  enum alg_reason why, uint64_t now,
			  struct alg_result *r)
{
	struct alg_held *h, *next;
	int d;

	if (s->state != ALG_S_CLOSED) {
		s->state = ALG_S_CLOSED;
		s->closed_ms = now;
		client_closed(s->client);
	}
	for (d = 0; d < 2; d++)
		rewrite_split_finish(s, d, s->st[d].line, s->st[d].llen, -1);
	if (!s->close_reported) {
		s->close_reported = true;
		ev_new(r, s, ALG_EV_CLOSE, why, ALG_DIR_ORIG);
	}
	/* nothing more to wait for: release in order, drop what has a gap */
	for (d = 0; d < 2; d++) {
		struct alg_stream *st = &s->st[d];

		st->pending = false;
		for (h = st->held; h; h = next) {
			next = h->next;
			stream_unhold(st, h);
			if (seq_after(h->seq, st->nxt) && s->inspect)
				render_drop(t, s, h, r);
			else
				render_release(t, s, d, h, r);
		}
	}
}

void alg_session_close(struct alg_table *t, struct alg_session *s,
		       enum alg_reason why, uint64_t now_ms,
		       struct alg_result *r)
{
	table_gc(t);
	close_session(t, s, why, now_ms, r);
}

/* A SYN or SYN-ACK: the stream starts after it, at a line start. */
static void on_syn(struct alg_session *s, enum alg_dir dir,
		   const struct pkt *p)
{
	struct alg_stream *st = &s->st[dir];

	if (dir == ALG_DIR_ORIG && !(p->flags & TCPF_ACK) &&
	    s->state == ALG_S_SYN)
		stream_sync(st, p->seq + 1, true);
	else if (dir == ALG_DIR_REPLY && (p->flags & TCPF_ACK) &&
		 s->state != ALG_S_CLOSED && !st->synced)
		stream_sync(st, p->seq + 1, true);
}

/* A packet with payload to inspect: hold it, scan, release. */
static void inspect(struct alg_table *t, struct alg_session *s,
		    enum alg_dir dir, struct alg_held *h, uint64_t now,
		    struct alg_result *r)
{
	const struct alg_policy *pol = &t->pol;
	struct alg_stream *st = &s->st[dir];

	if (st->nheld >= pol->max_hold_pkts ||
	    st->held_bytes + h->paylen > pol->max_hold_bytes) {
		if (seq_after(h->seq, st->nxt)) {
			/* out of order beyond our budget: resend */
			render_drop(t, s, h, r);
			return;
		}
		hold_give_up(t, s, dir, ALG_R_HOLD_SEGMENTS, now, r);
	}
	if (!seq_before(h->seq, st->nxt) &&
	    !seq_after(h->seq + h->paylen, st->nxt))
		s->cnt.retrans++;
	stream_hold(st, h);
	hold_drain(t, s, dir, now, r);
	/* still held: the caller's buffer is gone after this call */
	if (h->on_list) {
		if (held_own(h, h->len)) {
			stream_unhold(st, h);
			render_drop(t, s, h, r);
		} else {
			s->cnt.held++;
		}
	}
}

/*
 * Does an RST or FIN at seq from dir's sender change our state? Only
 * from the next byte we expect of it up to ALG_RST_WINDOW past the
 * highest byte it sent that we saw: conntrack ignores (and the forward
 * chain drops) one far outside, so must we. A direction we never saw
 * has no window to check against: it changes nothing either (the
 * conntrack destroy event still ends the session).
 *
 * Why not RFC 5961's exact match (seq == the next byte): we may not have
 * seen every byte the sender sent (lost before us), and we cannot send
 * the challenge ACK that makes exact matching safe for the endpoints.
 * A blind attacker must still land in 64 KiB of 4 GiB.
 */
static bool in_window(const struct alg_stream *st, uint32_t seq)
{
	uint32_t hi = seq_after(st->seen_max, st->nxt) ? st->seen_max
						       : st->nxt;

	if (!st->synced)
		return false;
	return !seq_before(seq, st->nxt) && !seq_after(seq, hi +
						       ALG_RST_WINDOW);
}

static void note_window(struct alg_result *r, struct alg_session *s,
			enum alg_dir dir, const struct pkt *p)
{
	struct alg_event *ev = ev_new(r, s, ALG_EV_NOTE, ALG_R_RST_WINDOW,
				      dir);

	if (ev)
		ev->value = p->seq;
}

/*
 * A segment overlapping the line being assembled must carry the bytes
 * we parsed: the bytes first seen are authoritative (they are what a
 * receiver keeps, and what we decided on). One that disagrees is
 * dropped, never parsed; the sender retransmits the real bytes.
 */
static bool retrans_disagrees(const struct alg_stream *st,
			      const struct pkt *p)
{
	uint32_t from, to, i;
	const uint8_t *pay = pkt_payload(p);

	if (!st->synced || !st->at_line_start || !p->paylen)
		return false;
	from = seq_after(p->seq, st->line_seq) ? p->seq : st->line_seq;
	to = p->seq + p->paylen;
	if (seq_after(to, st->nxt))
		to = st->nxt;
	/* only what the line holds (a stop may have consumed one more) */
	if (seq_after(to, st->line_seq + st->llen))
		to = st->line_seq + st->llen;
	for (i = from; seq_before(i, to); i++)
		if ((uint8_t)st->line[i - st->line_seq] != pay[i - p->seq])
			return true;
	return false;
}

void alg_process(struct alg_table *t, struct alg_session *s,
		 enum alg_dir dir, struct pkt *p, uint32_t id,
		 uint64_t now_ms, struct alg_result *r)
{
	struct alg_stream *st = &s->st[dir], *os = &s->st[!dir];
	uint32_t end = p->seq + p->paylen;
	struct alg_held *h;
	bool rst_ok, fin_ok;

	table_gc(t);
	s->last_ms = now_ms;
	s->cnt.pkts[dir]++;
	s->cnt.bytes[dir] += p->paylen;

	if (p->flags & TCPF_SYN) {
		on_syn(s, dir, p);
		h = held_new(id, p, now_ms);
		if (!h)
			goto nomem;
		render_release(t, s, dir, h, r);
		return;
	}
	if (violation_after(t, s, dir, p, id, now_ms, r))
		return;
	if (s->state == ALG_S_SYN)
		s->state = ALG_S_OPEN;
	rst_ok = (p->flags & TCPF_RST) && in_window(st, p->seq);
	fin_ok = (p->flags & TCPF_FIN) && in_window(st, end);
	if (!st->synced) {
		/* joined mid-stream: lines count from the next line feed;
		 * pairing counts from the next exchange (pairing.c) */
		stream_sync(st, p->seq, false);
		s->midstream = true;
		s->cmdq_lost = true;
	}
	if ((p->flags & TCPF_RST && !rst_ok) ||
	    (p->flags & TCPF_FIN && !fin_ok))
		note_window(r, s, dir, p);
	/* only a segment in the window moves it: a forged one far ahead
	 * must not drag the window along for the next forged RST */
	if (seq_after(end, st->seen_max) && in_window(st, end))
		st->seen_max = end;
	h = held_new(id, p, now_ms);
	if (!h)
		goto nomem;
	if (s->inspect && s->state != ALG_S_CLOSED &&
	    seq_before(p->seq, st->nxt) && retrans_disagrees(st, p)) {
		struct alg_event *ev = ev_new(r, s, ALG_EV_REFUSE,
					      ALG_R_RETRANS_MISMATCH, dir);

		if (ev)
			ev_line(&ev->line, (const char *)pkt_payload(p),
				p->paylen);
		render_drop(t, s, h, r);
		return;
	}
	/*
	 * Nothing to inspect: no payload, inspection over, or a closed
	 * session lingering for its last packets (it is freed with no
	 * chance to release anything held, so nothing may be held there).
	 * Never move nxt here: a pure ACK's seq is past data we may not
	 * have seen yet (lost before us); that data must still be scanned
	 * when it is retransmitted.
	 */
	if (!p->paylen || s->state == ALG_S_CLOSED ||
	    (!s->inspect && !st->nheld))
		render_release(t, s, dir, h, r);
	else
		inspect(t, s, dir, h, now_ms, r);

	if (fin_ok)
		st->fin = true;
	if (rst_ok || (s->reset_sent && s->state != ALG_S_CLOSED))
		close_session(t, s, ALG_R_CLOSE_RST, now_ms, r);
	else if (st->fin && os->fin)
		close_session(t, s, ALG_R_CLOSE_FIN, now_ms, r);
	return;
nomem:
	/* without memory we cannot hold or render: let TCP resend it */
	out_add(r, id)->verdict = ALG_V_DROP;
	s->cnt.dropped++;
}

/*
 * A session with no handshake (SYN only) or nothing exchanged: a bare
 * SYN costs a table slot only this long.
 */
static bool half_open_expired(const struct alg_table *t,
			      const struct alg_session *s, uint64_t now)
{
	if (s->state != ALG_S_SYN && (s->cnt.bytes[0] || s->cnt.bytes[1]))
		return false;
	return now - s->created_ms >= t->pol.half_open_ms;
}

/* One session's hold timers; true while packets wait. */
static bool tick_holds(struct alg_table *t, struct alg_session *s,
		       uint64_t now, struct alg_result *r)
{
	const struct alg_policy *pol = &t->pol;
	bool waiting = false;
	int d;

	for (d = 0; d < 2; d++) {
		struct alg_stream *st = &s->st[d];
		struct alg_held *h, *hn;

		if (st->pending && now - st->hold_since_ms >= pol->hold_ms)
			hold_give_up(t, s, d, ALG_R_HOLD_TIMEOUT, now, r);
		for (h = st->held; h; h = hn) {
			hn = h->next;
			if (seq_after(h->seq, st->nxt) &&
			    now - h->since_ms >= pol->hold_ms) {
				stream_unhold(st, h);
				render_drop(t, s, h, r);
			}
		}
		if (st->nheld)
			waiting = true;
	}
	return waiting;
}

unsigned alg_tick(struct alg_table *t, uint64_t now_ms, struct alg_result *r)
{
	const struct alg_policy *pol = &t->pol;
	struct alg_session *s, *next;
	unsigned wait = 1000;

	table_gc(t);
	for (s = t->all; s; s = next) {
		next = s->lnext;
		/* room for releasing both directions' held packets */
		if (r->nout + 2 * ALG_MAX_HOLD_PKTS + 1 > ALG_MAX_OUT ||
		    r->nev + 4 > ALG_MAX_EV)
			return 0;	/* call again at once */
		if (s->state == ALG_S_CLOSED) {
			if (now_ms - s->closed_ms >= pol->linger_ms)
				session_free(t, s);
			continue;
		}
		if (half_open_expired(t, s, now_ms)) {
			/* nothing held, nothing to linger for */
			close_session(t, s, ALG_R_CLOSE_HALF_OPEN, now_ms, r);
			session_free(t, s);
			continue;
		}
		if (now_ms - s->last_ms >= pol->idle_timeout_ms) {
			if (!t->idle_check || s->adjust_reported) {
				close_session(t, s, ALG_R_CLOSE_IDLE, now_ms, r);
				continue;
			}
			/* its pure ACKs pass without us: conntrack knows */
			ev_new(r, s, ALG_EV_NOTE, ALG_R_IDLE_CHECK,
			       ALG_DIR_ORIG);
			s->last_ms = now_ms;
		}
		if (tick_holds(t, s, now_ms, r))
			wait = 50;
	}
	return wait;
}

void alg_table_set_idle_check(struct alg_table *t, bool on)
{
	t->idle_check = on;
}

unsigned alg_table_flush(struct alg_table *t, uint64_t now_ms,
			 struct alg_result *r)
{
	table_gc(t);
	while (t->all) {
		if (r->nout + 2 * ALG_MAX_HOLD_PKTS + 1 > ALG_MAX_OUT ||
		    r->nev + 2 > ALG_MAX_EV)
			break;
		close_session(t, t->all, ALG_R_CLOSE_SHUTDOWN, now_ms, r);
		session_free(t, t->all);
	}
	return t->count;
}
