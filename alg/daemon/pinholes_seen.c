// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Which of our pinholes are still in their sets: one dump of pin4 (and of
 * pin6 when we have IPv6 pinholes) per check, sorted once, each pinhole
 * looked up in it. Before, every open pinhole cost one blocking GET a
 * second; now a check costs one or two dumps whatever the count.
 *
 * The matching is pure (pinholes_seen_add/_sort/_has); only
 * pinholes_seen_load() talks to the kernel.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "daemon.h"

/* A pinhole element's key, zero-padded so memcmp() orders it. */
struct pinhole_seen_key {
	uint8_t family;
	uint8_t pad;
	uint16_t port;
	uint8_t peer[16];
	uint8_t addr[16];
};

static void seen_key(const struct pin_entry *e, struct pinhole_seen_key *k)
{
	size_t alen = e->family == AF_INET ? 4 : 16;

	memset(k, 0, sizeof(*k));
	k->family = (uint8_t)e->family;
	k->port = e->target.port;
	memcpy(k->peer, e->peer.b, alen);
	memcpy(k->addr, e->target.addr.b, alen);
}

static int seen_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct pinhole_seen_key));
}

int pinholes_seen_add(struct pinhole_seen *s, const struct pin_entry *e)
{
	struct pinhole_seen_key *v;
	unsigned cap;

	if (s->n == s->cap) {
		cap = s->cap ? s->cap * 2 : 64;
		v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	seen_key(e, &s->v[s->n++]);
	s->sorted = false;
	return 0;
}

void pinholes_seen_sort(struct pinhole_seen *s)
{
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), seen_cmp);
	s->sorted = true;
}

int pinholes_seen_has(const struct pinhole_seen *s, const struct pin_entry *e)
{
	struct pinhole_seen_key k;
	unsigned lo = 0, hi, mid;
	int c;

	if (e->family != AF_INET && e->family != AF_INET6)
		return -EAFNOSUPPORT;
	if (s->err[e->family == AF_INET6])
		return s->err[e->family == AF_INET6];
	if (!s->sorted)
		return -EINVAL;
	seen_key(e, &k);
	hi = s->n;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = seen_cmp(&k, &s->v[mid]);
		if (!c)
			return 1;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

void pinholes_seen_free(struct pinhole_seen *s)
{
	free(s->v);
	*s = (struct pinhole_seen){ .v = NULL };
}

static int seen_dump_cb(const struct pin_entry *e, uint32_t expires_ms,
			void *arg)
{
	(void)expires_ms;
	return pinholes_seen_add(arg, e);
}

/*
 * list set inet ftp_alg pin4 (and pin6): a set we hold no pinhole of is
 * not asked for; a dump that failed makes its family's answers unknown.
 */
void pinholes_seen_load(struct daemon *d, struct pinhole_seen *s)
{
	bool want[2] = { false, false };
	unsigned i;

	for (i = 0; i < d->pins.n; i++)
		want[d->pins.v[i].e.family == AF_INET6] = true;
	if (want[0])
		s->err[0] = STATS_NL(&d->ws, STATS_NL_NFT_QUERY,
				     pin_dump(d->fw, PIN_SET4, seen_dump_cb, s));
	if (want[1])
		s->err[1] = STATS_NL(&d->ws, STATS_NL_NFT_QUERY,
				     pin_dump(d->fw, PIN_SET6, seen_dump_cb, s));
	pinholes_seen_sort(s);
}
