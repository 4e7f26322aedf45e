// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * violation_action = reset. By default a line that breaks the policy
 * passes unmodified and opens nothing (one REFUSE event). In reset mode
 * the control connection ends instead:
 *
 *   - the first packet of the offending direction released after the
 *     refusal (the one carrying the offending line, or its first piece)
 *     leaves as an RST toward its receiver: its payload removed, RST|ACK
 *     at its (mapped) sequence number, which is exactly the receiver's
 *     next expected byte, since everything before it has been released;
 *   - from then on every packet of the session carrying payload, either
 *     way, is dropped; bare ACK/FIN/RST pass so both ends can finish;
 *   - the session is closed (its pinholes go) with reason CLOSE_RST.
 *
 * The offending bytes therefore never reach the receiver. The sender is
 * not told by us (a verdict can only replace the packet it judges); it
 * learns when its peer, reset, answers its next segment, or times out.
 *
 * Violations are refusals a peer chose: a bounce, a low port, a wrong
 * family, an unpaired or unsynchronised reply, a bare-LF line, a
 * malformed address line. Our own limits (hold, rewrite room, memory)
 * and line-level stops (NUL, long lines) are not.
 */
#include <errno.h>
#include <string.h>

#include "engine_int.h"

static bool addr_kind(enum ftp_kind k)
{
	return k == FTP_CMD_PORT || k == FTP_CMD_EPRT || k == FTP_CMD_LPRT ||
	       k == FTP_REPLY_227 || k == FTP_REPLY_228 ||
	       k == FTP_REPLY_229;
}

static bool is_violation(const struct alg_event *ev)
{
	if (ev->type != ALG_EV_REFUSE)
		return false;
	switch (ev->reason) {
	case ALG_R_BOUNCE:
	case ALG_R_LOW_PORT:
	case ALG_R_FAMILY:
	case ALG_R_UNPAIRED:
	case ALG_R_UNSYNCED:
	case ALG_R_BARE_LF:
		return true;
	case ALG_R_MALFORMED:
		return addr_kind(ev->kind);
	default:
		return false;
	}
}

void violation_scan(struct alg_session *s, const struct alg_result *r,
		    unsigned ev0)
{
	unsigned i;

	for (i = ev0; i < r->nev && !s->violation; i++)
		if (r->ev[i].sid == s->id && is_violation(&r->ev[i])) {
			s->violation = r->ev[i].reason;
			s->violation_dir = r->ev[i].dir;
		}
}

/* h's rendered packet, in place, as a bare RST|ACK. 0 or -errno. */
static int make_rst(struct alg_held *h)
{
	static const uint8_t none[1];
	struct pkt p;
	uint8_t *fl;
	uint16_t c;
	int ret;

	ret = held_own(h, h->len);
	if (ret)
		return ret;
	if (pkt_parse(&p, h->data, h->len) != PKT_OK)
		return -EINVAL;
	ret = pkt_set_payload(&p, h->cap, none, 0);
	if (ret)
		return ret;
	fl = h->data + p.l4off + 13;
	*fl = (uint8_t)(TCPF_RST | (*fl & TCPF_ACK));
	c = pkt_tcp_csum_full(&p);
	memcpy(h->data + p.l4off + 16, &c, sizeof(c));
	h->len = p.len;
	return 0;
}

void violation_render(struct alg_table *t, struct alg_session *s,
		      enum alg_dir dir, struct alg_held *h,
		      struct alg_out *o, struct alg_result *r)
{
	struct alg_event *ev;

	if (!t->pol.violation_reset || !s->violation ||
	    o->verdict == ALG_V_DROP)
		return;
	if (!s->reset_sent && dir == s->violation_dir && h->paylen) {
		if (make_rst(h)) {
			o->verdict = ALG_V_DROP;
			s->cnt.dropped++;
			return;
		}
		o->data = h->data;
		o->len = h->len;
		s->reset_sent = true;
		ev = ev_new(r, s, ALG_EV_NOTE, ALG_R_RESET_SENT, dir);
		if (ev)
			ev->value = s->violation;
		return;
	}
	if (s->reset_sent && h->paylen) {
		o->verdict = ALG_V_DROP;
		o->data = NULL;
		s->cnt.dropped++;
	}
}

bool violation_after(struct alg_table *t, struct alg_session *s,
		     enum alg_dir dir, struct pkt *p, uint32_t id,
		     uint64_t now, struct alg_result *r)
{
	struct alg_held *h;

	if (!t->pol.violation_reset || !s->reset_sent)
		return false;
	if (p->paylen) {
		out_add(r, id)->verdict = ALG_V_DROP;
		s->cnt.dropped++;
	} else {
		h = held_new(id, p, now);
		if (!h) {
			out_add(r, id)->verdict = ALG_V_DROP;
			return true;
		}
		render_release(t, s, dir, h, r);
	}
	return true;
}
