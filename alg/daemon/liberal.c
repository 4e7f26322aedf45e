// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Be-liberal on the conntrack entry of a session whose stream we change.
 *
 * After a rewrite changes a line's length, the peers acknowledge bytes
 * conntrack's window tracking never saw: their packets would turn
 * "invalid" (dropped by the usual rule, and not de-NATed). Be-liberal on
 * this one entry switches the window check off for it; the global sysctl
 * stays as the administrator set it. Each session is marked once, and
 * remembered here until it closes.
 */
#include <stdlib.h>
#include <string.h>

#include "conntrack.h"
#include "daemon.h"

struct liberal_node {
	uint64_t sid;
	struct liberal_node *next;
};

static unsigned liberal_hash(uint64_t sid)
{
	return (unsigned)((sid * 0x9e3779b97f4a7c15ull) >> 56) %
	       LIBERAL_BUCKETS;
}

static struct liberal_node **liberal_find(struct daemon *d, uint64_t sid)
{
	struct liberal_node **n;

	for (n = &d->liberal[liberal_hash(sid)]; *n; n = &(*n)->next)
		if ((*n)->sid == sid)
			break;
	return n;
}

void liberal_forget(struct daemon *d, uint64_t sid)
{
	struct liberal_node **n = liberal_find(d, sid), *dead = *n;

	if (dead) {
		*n = dead->next;
		free(dead);
	}
}

/* s may be NULL or another session: then sid is looked up. */
void liberal_mark(struct daemon *d, uint64_t sid, struct alg_session *s)
{
	struct liberal_node *n;
	struct ct_tuple t;
	int ret;

	if (*liberal_find(d, sid))
		return;
	if (!s || alg_session_id(s) != sid)
		s = alg_find_id(d->tab, sid);
	if (!s)
		return;
	session_ct_tuple(s, &t);
	verdicts_flush(d);	/* a round trip: earlier packets go first */
	ret = STATS_NL(&d->ws, STATS_NL_CT, ct_set_liberal(d->ct, &t));
	if (ret) {
		d->st.liberal_fail++;
		log_sess(LOG_WARNING, sid,
			 "cannot make conntrack entry liberal (%s): peers' "
			 "ACKs may be seen as invalid%s", strerror(-ret),
			 d->cfg.pure_ack_bypass ? ", and without the mark "
			 "its pure ACKs are not queued to be mapped" : "");
		/* no retry at every rewrite: one warning per session */
	} else {
		d->st.liberal++;
		log_sess(LOG_DEBUG, sid, "conntrack entry set be-liberal");
	}
	n = malloc(sizeof(*n));
	if (!n)
		return;
	n->sid = sid;
	n->next = d->liberal[liberal_hash(sid)];
	d->liberal[liberal_hash(sid)] = n;
}

void liberal_free(struct daemon *d)
{
	struct liberal_node *n, *next;
	unsigned i;

	for (i = 0; i < LIBERAL_BUCKETS; i++) {
		for (n = d->liberal[i]; n; n = next) {
			next = n->next;
			free(n);
		}
		d->liberal[i] = NULL;
	}
}
