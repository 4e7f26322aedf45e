// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Idle sessions whose segments without payload are not queued
 * (pure_ack_bypass, nft/pure_ack.c): a TCP keepalive never reaches us,
 * so the engine does not close such a session at idle_timeout but
 * reports it (ALG_R_IDLE_CHECK). Its conntrack entry says whether the
 * connection is still there: a destroy event we missed (ENOBUFS) is the
 * only way to still hold a session whose connection is gone. Gone, the
 * session closes as idle; there, it stays, and the engine asks again
 * after another idle_timeout.
 */
#include <errno.h>

#include "conntrack.h"
#include "daemon.h"

void idle_note(struct daemon *d, uint64_t sid)
{
	if (d->nidle < IDLE_ASK_MAX)
		d->idle_ask[d->nidle++] = sid;
	else
		d->st.idle_unasked++;	/* asked again next idle_timeout */
}

static void idle_ask(struct daemon *d, uint64_t sid)
{
	struct alg_session *s = alg_find_id(d->tab, sid);
	struct ct_entry e;
	struct ct_tuple t;
	int ret;

	if (!s || alg_session_state(s) == ALG_S_CLOSED)
		return;
	session_ct_tuple(s, &t);
	ret = STATS_NL(&d->ws, STATS_NL_CT, ct_query(d->ct, &t, &e));
	if (ret != -ENOENT) {
		/* there, or no answer: keep it (asked again later) */
		d->st.idle_kept++;
		return;
	}
	d->st.idle_gone++;
	alg_result_reset(&d->res);
	alg_session_close(d->tab, s, ALG_R_CLOSE_IDLE, now_ms(), &d->res);
	results_apply(d, &d->res, s);
}

void idle_run(struct daemon *d)
{
	unsigned i, n = d->nidle;

	d->nidle = 0;
	for (i = 0; i < n; i++)
		idle_ask(d, d->idle_ask[i]);
}
