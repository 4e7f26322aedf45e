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

/*
 * What a pinhole is matched on (pinhole_conn_matches()), zero-padded so
 * memcmp() orders it, and whether the entry saw a reply.
 */
struct pinhole_ct_conn {
	struct {
		uint8_t family;
		uint8_t pad;
		uint16_t rsport;	/* reply source port: the target's */
		uint8_t src[16];	/* original source: the peer */
		uint8_t rsrc[16];	/* reply source: the target */
	} key;
	bool replied;
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

static void ct_conn_key(struct pinhole_ct_conn *c, int family,
			const union alg_addr *src, const union alg_addr *rsrc,
			uint16_t rsport)
{
	size_t alen = family == AF_INET ? 4 : 16;

	memset(c, 0, sizeof(*c));
	c->key.family = (uint8_t)family;
	c->key.rsport = rsport;
	memcpy(c->key.src, src->b, alen);
	memcpy(c->key.rsrc, rsrc->b, alen);
}

static int ct_conn_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct pinhole_ct_conn *)a)->key,
		      &((const struct pinhole_ct_conn *)b)->key,
		      sizeof(((const struct pinhole_ct_conn *)a)->key));
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

int pinhole_ct_view_add(struct pinhole_ct_view *v, const struct ct_entry *e)
{
	struct pinhole_ct_conn *p;
	unsigned cap;

	if (e->orig.proto != IPPROTO_TCP ||
	    (e->orig.family != AF_INET && e->orig.family != AF_INET6))
		return 0;	/* no pinhole can match it */
	if (v->n == v->cap) {
		cap = v->cap ? 2 * v->cap : 32;
		p = realloc(v->v, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		v->v = p;
		v->cap = cap;
	}
	p = &v->v[v->n++];
	ct_conn_key(p, e->orig.family, &e->orig.src, &e->reply.src,
		    e->reply.sport);
	p->replied = e->status & IPS_SEEN_REPLY;
	v->sorted = false;
	return 0;
}

void pinhole_ct_view_sort(struct pinhole_ct_view *v)
{
	if (v->n > 1)
		qsort(v->v, v->n, sizeof(*v->v), ct_conn_cmp);
	v->sorted = true;
}

enum pinhole_conn pinhole_ct_view_find(const struct pinhole_ct_view *v,
				       const struct pin_entry *e)
{
	enum pinhole_conn best = PINHOLE_CONN_NONE;
	struct pinhole_ct_conn k;
	unsigned lo = 0, hi = v->n, mid;

	if (v->err || !v->sorted)
		return PINHOLE_CONN_UNKNOWN;
	ct_conn_key(&k, e->family, &e->peer, &e->target.addr,
		    e->target.port);
	/* the first entry not below k */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ct_conn_cmp(&v->v[mid], &k) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* a peer may have used the same target port before: the best wins */
	for (; lo < v->n && !ct_conn_cmp(&v->v[lo], &k); lo++) {
		best = PINHOLE_CONN_NO_REPLY;
		if (v->v[lo].replied)
			return PINHOLE_CONN_REPLIED;
	}
	return best;
}

static void pinholes_ct_keep(const struct ct_entry *e, void *arg)
{
	struct pinhole_ct_view *v = arg;

	if (!v->err)
		v->err = pinhole_ct_view_add(v, e);
}

/*
 * One dump per pass, sorted once: each consumed pinhole is then one
 * binary search, not a walk over every marked entry (thousands, while
 * finished data connections linger in TIME_WAIT).
 */
enum pinhole_conn pinholes_conn(struct daemon *d, struct pinhole_ct_view *v,
				const struct pin_entry *e)
{
	if (!v->loaded) {
		v->loaded = true;
		/* conntrack -L --mark 0x00f70000/0x00f70000 */
		v->err = ct_dump_marked(d->ct, PIN_CT_MARK, PIN_CT_MARK,
					pinholes_ct_keep, v);
		pinhole_ct_view_sort(v);
	}
	return pinhole_ct_view_find(v, e);
}

void pinholes_ct_view_free(struct pinhole_ct_view *v)
{
	free(v->v);
	*v = (struct pinhole_ct_view){ 0 };
}
