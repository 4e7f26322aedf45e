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
 * pin_fwd also notes each consuming connection, source port included, in
 * used4/used6: one dump of that small set per pass, then one GET by tuple
 * per consumed pinhole. A table without those sets (loaded from an older
 * deploy/ftp-alg.nft) is answered by one dump of the marked entries per
 * pass (filtered by the kernel, but a walk over its whole conntrack hash).
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

/* A used4/used6 element: the pinhole's key, then the source port. */
struct pinhole_used {
	struct pinhole_ct_conn k;	/* key only; rsport = target port */
	uint16_t sport;
	bool noted;			/* false: asked, none noted (v->g) */
	bool fetched;			/* conn is conntrack's answer */
	enum pinhole_conn conn;
};

static int used_cmp(const void *a, const void *b)
{
	const struct pinhole_used *x = a, *y = b;
	int c = ct_conn_cmp(&x->k, &y->k);

	return c ? c : (int)x->sport - (int)y->sport;
}

int pinhole_used_add(struct pinhole_ct_view *v, const struct pin_entry *e,
		     uint16_t sport)
{
	struct pinhole_used *u;
	unsigned cap;

	if (v->un == v->ucap) {
		cap = v->ucap ? 2 * v->ucap : 32;
		u = realloc(v->u, cap * sizeof(*u));
		if (!u)
			return -ENOMEM;
		v->u = u;
		v->ucap = cap;
	}
	u = &v->u[v->un++];
	ct_conn_key(&u->k, e->family, &e->peer, &e->target.addr,
		    e->target.port);
	u->sport = sport;
	u->noted = true;
	u->fetched = false;
	v->used_sorted = false;
	return 0;
}

void pinhole_used_sort(struct pinhole_ct_view *v)
{
	if (v->un > 1)
		qsort(v->u, v->un, sizeof(*v->u), used_cmp);
	v->used_sorted = true;
}

/* The used entries of e: the first's index in *first, how many. */
static unsigned used_range(const struct pinhole_ct_view *v,
			   const struct pin_entry *e, unsigned *first)
{
	struct pinhole_ct_conn k;
	unsigned lo = 0, hi = v->un, mid, end;

	ct_conn_key(&k, e->family, &e->peer, &e->target.addr,
		    e->target.port);
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ct_conn_cmp(&v->u[mid].k, &k) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (end = lo; end < v->un && !ct_conn_cmp(&v->u[end].k, &k); end++)
		;
	*first = lo;
	return end - lo;
}

int pinhole_used_find(const struct pinhole_ct_view *v,
		      const struct pin_entry *e, uint16_t *sports,
		      unsigned max)
{
	unsigned first, n, i;

	if (!v->used_sorted)
		return -EINVAL;
	n = used_range(v, e, &first);
	for (i = 0; i < n && i < max; i++)
		sports[i] = v->u[first + i].sport;
	return (int)(n < max ? n : max);
}

static int used_keep(const struct pin_entry *e, uint16_t sport, void *arg)
{
	return pinhole_used_add(arg, e, sport);
}

/* Dump used4 or used6 into v, once per pass. */
static void used_load(struct daemon *d, struct pinhole_ct_view *v, int fam)
{
	int i = fam == AF_INET6;

	if (v->used_loaded[i])
		return;
	v->used_loaded[i] = true;
	/* list set inet ftp_alg used4 (used6) */
	v->used_err[i] = STATS_NL(&d->ws, STATS_NL_NFT_QUERY,
				  pin_dump_used(d->fw, fam, used_keep, v));
	pinhole_used_sort(v);
}

/* The original tuple of u, a connection that consumed e. */
static void used_tuple(const struct pin_entry *e,
		       const struct pinhole_used *u, struct ct_tuple *t)
{
	/* peer:sport -> the address and port on the wire (before DNAT) */
	*t = (struct ct_tuple){
		.family = e->family, .proto = IPPROTO_TCP,
		.src = e->peer, .dst = e->wire.addr,
		.sport = u->sport, .dport = e->wire.port,
	};
}

static enum pinhole_conn used_answer(int ret, const struct ct_entry *ct)
{
	if (ret == -ENOENT)
		return PINHOLE_CONN_NONE;
	if (ret)
		return PINHOLE_CONN_UNKNOWN;
	return ct->status & IPS_SEEN_REPLY ? PINHOLE_CONN_REPLIED
					   : PINHOLE_CONN_NO_REPLY;
}

/* u's connection (of pinhole e) asked of conntrack, unless it was. */
static void used_fetch(struct daemon *d, const struct pin_entry *e,
		       struct pinhole_used *u)
{
	struct ct_entry ct;
	struct ct_tuple t;

	if (u->fetched)
		return;
	used_tuple(e, u, &t);
	u->conn = used_answer(STATS_NL(&d->ws, STATS_NL_CT,
				       ct_get_orig(d->ct, &t, &ct)), &ct);
	u->fetched = true;
}

/* ---- a pass's IPv4 questions, by GETs on usedp4 ------------------------ */

/* What got_prefetch() learnt of e: NULL, not asked. */
static struct pinhole_used *got_find(const struct pinhole_ct_view *v,
				     const struct pin_entry *e)
{
	struct pinhole_ct_conn k;
	unsigned i;

	if (!v->gn)
		return NULL;
	ct_conn_key(&k, e->family, &e->peer, &e->target.addr,
		    e->target.port);
	for (i = 0; i < v->gn; i++)
		if (!ct_conn_cmp(&v->g[i].k, &k))
			return &v->g[i];
	return NULL;
}

/* One send of q[0..nq): the answers into v->g, then conntrack's. */
static void got_ask(struct daemon *d, struct pinhole_ct_view *v,
		    const struct pin_entry *q, unsigned nq)
{
	struct ct_tuple t[PIN_USED_MANY];
	struct ct_entry ct[PIN_USED_MANY];
	uint16_t sport[PIN_USED_MANY];
	unsigned idx[PIN_USED_MANY];
	int res[PIN_USED_MANY], cres[PIN_USED_MANY];
	struct pinhole_used *u;
	unsigned k, nt = 0;

	_Static_assert(PIN_USED_MANY <= CT_MANY_CHUNK, "one ct send");
	if (STATS_NL(&d->ws, STATS_NL_NFT_QUERY,
		     pin_used_sport_many(d->fw, q, nq, sport, res)))
		return;		/* not asked: each question alone, later */
	for (k = 0; k < nq; k++) {
		if (res[k] < 0)
			continue;
		u = &v->g[v->gn++];
		ct_conn_key(&u->k, AF_INET, &q[k].peer, &q[k].target.addr,
			    q[k].target.port);
		u->noted = res[k] == 1;
		u->sport = u->noted ? sport[k] : 0;
		u->fetched = !u->noted;
		u->conn = PINHOLE_CONN_NONE;
		if (u->noted) {
			used_tuple(&q[k], u, &t[nt]);
			idx[nt++] = v->gn - 1;
		}
	}
	/* up to 64 GETs in one send */
	if (nt && !STATS_NL(&d->ws, STATS_NL_CT,
			    ct_get_orig_many(d->ct, t, nt, ct, cres)))
		for (k = 0; k < nt; k++) {
			v->g[idx[k]].conn = used_answer(cres[k], &ct[k]);
			v->g[idx[k]].fetched = true;
		}
}

/*
 * The IPv4 pinholes of a pass's step: their usedp4 elements asked
 * PIN_USED_MANY in one send, then the connections noted there, where the
 * pass once dumped used4 whole (every data connection of its last 10 s:
 * ~50 ms at 4,000 setups/s, the worker stopped all that time). The last
 * step's answers are forgotten: each pinhole is judged in its own.
 */
static void got_prefetch(struct daemon *d, struct pinhole_ct_view *v,
			 const struct pin_entry *e, unsigned n)
{
	struct pin_entry q[PIN_USED_MANY];
	struct pinhole_used *g;
	unsigned i = 0, nq;

	v->gn = 0;
	if (n > v->gcap) {
		g = realloc(v->g, n * sizeof(*g));
		if (!g)
			return;
		v->g = g;
		v->gcap = n;
	}
	while (i < n) {
		for (nq = 0; i < n && nq < PIN_USED_MANY; i++)
			if (e[i].family == AF_INET && !got_find(v, &e[i]))
				q[nq++] = e[i];
		if (nq)
			got_ask(d, v, q, nq);
	}
}

/* 1 noted (*c: conntrack's answer), 0 asked and none noted, -1 not asked. */
static int got_answer(struct daemon *d, const struct pinhole_ct_view *v,
		      const struct pin_entry *e, enum pinhole_conn *c)
{
	struct pinhole_used *u = got_find(v, e);

	if (!u)
		return -1;
	if (!u->noted)
		return 0;
	used_fetch(d, e, u);
	*c = u->conn;
	return 1;
}

void pinholes_conn_prefetch(struct daemon *d, struct pinhole_ct_view *v,
			    const struct pin_entry *e, unsigned n)
{
	struct ct_tuple t[CT_MANY_CHUNK];
	struct ct_entry ct[CT_MANY_CHUNK];
	unsigned idx[CT_MANY_CHUNK];
	int res[CT_MANY_CHUNK];
	unsigned i, j, k = 0, first, cnt;

	if (v->by_get)
		got_prefetch(d, v, e, n);
	for (i = 0; i <= n; i++) {
		if (i < n) {
			if (e[i].family != AF_INET && e[i].family != AF_INET6)
				continue;
			if (v->by_get && e[i].family == AF_INET)
				continue;	/* got_prefetch()'s */
			used_load(d, v, e[i].family);
			if (v->used_err[e[i].family == AF_INET6])
				continue;
			cnt = used_range(v, &e[i], &first);
			for (j = 0; j < cnt && k < CT_MANY_CHUNK; j++) {
				if (v->u[first + j].fetched)
					continue;
				used_tuple(&e[i], &v->u[first + j], &t[k]);
				idx[k++] = first + j;
				v->u[first + j].fetched = true;
				v->u[first + j].conn = PINHOLE_CONN_UNKNOWN;
			}
		}
		if (k && (k == CT_MANY_CHUNK || i == n)) {
			/* up to 64 GETs in one send */
			if (!STATS_NL(&d->ws, STATS_NL_CT,
				      ct_get_orig_many(d->ct, t, k, ct, res)))
				for (j = 0; j < k; j++)
					v->u[idx[j]].conn =
						used_answer(res[j], &ct[j]);
			k = 0;
		}
	}
}

/*
 * The entry of each data connection that consumed e, by its original
 * tuple (prefetched, or asked now): no entry is NONE (the packet died
 * after our accept, before conntrack confirmed it). The best answer wins.
 * false: no connection noted for e; a ruleset reload empties used4/used6
 * while conntrack keeps its entries, so that is no answer.
 */
static bool used_conn(struct daemon *d, struct pinhole_ct_view *v,
		      const struct pin_entry *e, enum pinhole_conn *out)
{
	enum pinhole_conn best = PINHOLE_CONN_NONE, c;
	struct pinhole_used *u;
	unsigned first, n, i;

	n = used_range(v, e, &first);
	if (!n)
		return false;
	*out = PINHOLE_CONN_UNKNOWN;
	for (i = 0; i < n; i++) {
		u = &v->u[first + i];
		used_fetch(d, e, u);
		c = u->conn;
		if (c == PINHOLE_CONN_REPLIED || c == PINHOLE_CONN_UNKNOWN) {
			*out = c;
			return true;
		}
		if (c == PINHOLE_CONN_NO_REPLY)
			best = c;
	}
	*out = best;
	return true;
}

static void pinholes_ct_keep(const struct ct_entry *e, void *arg)
{
	struct pinhole_ct_view *v = arg;

	if (!v->err)
		v->err = pinhole_ct_view_add(v, e);
}

/*
 * Where pin_fwd noted the connection that consumed a pinhole (used4,
 * used6), the question is one GET by tuple. Otherwise (an older table, a
 * ruleset reload since, or a packet dropped right after our accept) one
 * dump of the marked entries per pass, sorted once, a binary search per
 * question.
 * The dump is the slow way: the kernel walks its whole conntrack hash for
 * it (every namespace's entries), ~50 ms here each time.
 */
/*
 * By map usedp4: 1 and *c (conntrack's answer for the connection noted),
 * 0 none noted, <0 could not ask.
 */
static int used_by_get(struct daemon *d, const struct pin_entry *e,
		       enum pinhole_conn *c)
{
	struct pinhole_used u = { .sport = 0 };
	struct ct_entry ct;
	struct ct_tuple t;
	int ret;

	ret = STATS_NL(&d->ws, STATS_NL_NFT_QUERY,
		       pin_used_sport(d->fw, e, &u.sport));
	if (ret != 1)
		return ret;
	used_tuple(e, &u, &t);
	*c = used_answer(STATS_NL(&d->ws, STATS_NL_CT,
				  ct_get_orig(d->ct, &t, &ct)), &ct);
	return 1;
}

enum pinhole_conn pinholes_conn(struct daemon *d, struct pinhole_ct_view *v,
				const struct pin_entry *e)
{
	enum pinhole_conn c;

	if (e->family != AF_INET && e->family != AF_INET6)
		return PINHOLE_CONN_UNKNOWN;
	/* none noted (a reload emptied the map): not worth a dump here */
	if (v->by_get && e->family == AF_INET) {
		int got = got_answer(d, v, e, &c);

		if (got < 0)
			got = used_by_get(d, e, &c);
		return got == 1 ? c : PINHOLE_CONN_UNKNOWN;
	}
	used_load(d, v, e->family);
	/* nothing noted (a reload emptied the set, or dropped): the dump */
	if (!v->used_err[e->family == AF_INET6] && used_conn(d, v, e, &c))
		return c;
	if (!v->loaded) {
		v->loaded = true;
		/* conntrack -L --mark 0x00f70000/0x00f70000 */
		v->err = STATS_NL(&d->ws, STATS_NL_CT,
				  ct_dump_marked(d->ct, PIN_CT_MARK,
						 PIN_CT_MARK, pinholes_ct_keep,
						 v));
		pinhole_ct_view_sort(v);
	}
	return pinhole_ct_view_find(v, e);
}

bool pinholes_used_noted(struct daemon *d, struct pinhole_ct_view *v,
			 const struct pin_entry *e)
{
	enum pinhole_conn c;
	unsigned first;

	if (e->family != AF_INET && e->family != AF_INET6)
		return false;
	if (v->by_get && e->family == AF_INET) {
		int got = got_answer(d, v, e, &c);

		return (got < 0 ? used_by_get(d, e, &c) : got) == 1;
	}
	used_load(d, v, e->family);
	return !v->used_err[e->family == AF_INET6] &&
	       used_range(v, e, &first) > 0;
}

bool pinholes_conn_noted(struct daemon *d, struct pinhole_ct_view *v,
			 const struct pin_entry *e, enum pinhole_conn *c)
{
	if (e->family != AF_INET && e->family != AF_INET6) {
		*c = PINHOLE_CONN_UNKNOWN;
		return true;
	}
	if (v->by_get && e->family == AF_INET) {
		int ret = got_answer(d, v, e, c);

		if (ret < 0)
			ret = used_by_get(d, e, c);
		if (ret < 0)
			*c = PINHOLE_CONN_UNKNOWN;
		return ret != 0;
	}
	used_load(d, v, e->family);
	if (!v->used_err[e->family == AF_INET6])
		return used_conn(d, v, e, c);
	*c = pinholes_conn(d, v, e);	/* an older table: the dump */
	return true;
}

void pinholes_ct_view_refetch(struct pinhole_ct_view *v)
{
	unsigned i;

	for (i = 0; i < v->un; i++)
		v->u[i].fetched = false;
}

void pinholes_ct_view_free(struct pinhole_ct_view *v)
{
	bool by_get = v->by_get;

	free(v->u);
	free(v->v);
	free(v->g);
	*v = (struct pinhole_ct_view){ .by_get = by_get };
}
