// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Was a consumed pinhole's data connection established? pin_fwd deletes
 * the element and marks the connection (ct mark | 0x00f70000) as it
 * accepts its first packet; whether that packet got any further is only
 * known to conntrack:
 *
 *   an entry with the mark that saw a reply   established: "used"
 *   an entry with the mark, never answered     the target did not answer
 *   no entry with the mark                     the packet was dropped after
 *                                              our accept, before conntrack
 *                                              confirmed it: another base
 *                                              chain on the hook dropped it
 *
 * One dump of the marked entries (filtered by the kernel) answers every
 * pinhole of one pass; nothing is asked per pinhole.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter/nf_conntrack_common.h>

#include "conntrack.h"
#include "daemon.h"

struct pinhole_ct_conn {
	struct ct_entry ct;
};

bool pinhole_conn_matches(const struct pin_entry *e,
			  const struct ct_entry *ct)
{
	if (ct->orig.family != e->family || ct->orig.proto != IPPROTO_TCP)
		return false;
	return alg_addr_eq(e->family, &ct->orig.src, &e->peer) &&
	       alg_addr_eq(e->family, &ct->reply.src, &e->target.addr) &&
	       ct->reply.sport == e->target.port;
}

enum pinhole_fate pinhole_conn_fate(enum pinhole_conn c, uint64_t since_ms,
				    bool closing)
{
	switch (c) {
	case PINHOLE_CONN_REPLIED:
	case PINHOLE_CONN_UNKNOWN:
		return PINHOLE_USED;
	case PINHOLE_CONN_NONE:
	case PINHOLE_CONN_NO_REPLY:
		break;
	}
	if (!closing && since_ms < PINHOLE_CONFIRM_MS)
		return PINHOLE_KEEP;
	return PINHOLE_UNESTABLISHED;
}

const char *pinhole_conn_reason(enum pinhole_conn c)
{
	switch (c) {
	case PINHOLE_CONN_NONE:
		return "dropped after our accept; is the admin rule in your "
		       "forward chain (policy drop)?";
	case PINHOLE_CONN_NO_REPLY:
		return "the target never answered";
	case PINHOLE_CONN_UNKNOWN:
		return "conntrack could not be asked";
	case PINHOLE_CONN_REPLIED:
		break;
	}
	return "established";
}

static void pinholes_ct_keep(const struct ct_entry *e, void *arg)
{
	struct pinhole_ct_view *v = arg;
	struct pinhole_ct_conn *p;
	unsigned cap;

	if (v->err)
		return;
	if (v->n == v->cap) {
		cap = v->cap ? 2 * v->cap : 32;
		p = realloc(v->v, cap * sizeof(*p));
		if (!p) {
			v->err = -ENOMEM;
			return;
		}
		v->v = p;
		v->cap = cap;
	}
	v->v[v->n++].ct = *e;
}

enum pinhole_conn pinholes_conn(struct daemon *d, struct pinhole_ct_view *v,
				const struct pin_entry *e)
{
	enum pinhole_conn best = PINHOLE_CONN_NONE;
	unsigned i;

	if (!v->loaded) {
		v->loaded = true;
		/* conntrack -L --mark 0x00f70000/0x00f70000 */
		v->err = STATS_NL(&d->ws, STATS_NL_CT,
				  ct_dump_marked(d->ct, PIN_CT_MARK,
						 PIN_CT_MARK, pinholes_ct_keep,
						 v));
	}
	if (v->err)
		return PINHOLE_CONN_UNKNOWN;
	/* a peer may have used the same target port before: the best wins */
	for (i = 0; i < v->n && best != PINHOLE_CONN_REPLIED; i++) {
		if (!pinhole_conn_matches(e, &v->v[i].ct))
			continue;
		best = v->v[i].ct.status & IPS_SEEN_REPLY ?
		       PINHOLE_CONN_REPLIED : PINHOLE_CONN_NO_REPLY;
	}
	return best;
}

void pinholes_ct_view_free(struct pinhole_ct_view *v)
{
	free(v->v);
	*v = (struct pinhole_ct_view){ 0 };
}
