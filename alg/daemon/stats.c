// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Counting: a few additions per packet into the worker's own struct, no
 * lock, no system call but the clock. Summing and the kernel's queue
 * counters are for the moment somebody asks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stats.h"

#define KQUEUE_PATH	"/proc/net/netfilter/nfnetlink_queue"

const uint64_t stats_hist_bound_us[STATS_HIST_NB] = { STATS_HIST_BOUNDS };

uint64_t stats_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void stats_hist_add(struct stats_hist *h, uint64_t us)
{
	unsigned i;

	for (i = 0; i < STATS_HIST_NB && us > stats_hist_bound_us[i]; i++)
		;
	h->bucket[i]++;
	h->count++;
	h->sum_us += us;
	if (us > h->max_us)
		h->max_us = us;
}

/*
 * The kernel numbers a queue's packets one by one (id_sequence); a
 * number we never saw is a packet it queued but could not hand to us
 * (the queue was full, or our socket's buffer). The first packet only
 * sets the start: a restart begins wherever the sequence is.
 */
void stats_packet(struct alg_stats *s, enum stats_dir dir, uint64_t len,
		  uint32_t id)
{
	s->packets[dir]++;
	s->bytes[dir] += len;
	if (s->last_id && id > s->last_id + 1)
		s->id_gaps += id - s->last_id - 1;
	if (id > s->last_id)
		s->last_id = id;
}

bool stats_reason_is_refusal(enum alg_reason r)
{
	return r >= ALG_R_MALFORMED && r <= ALG_R_LINE_LONG;
}

void stats_event(struct alg_stats *s, const struct alg_event *ev)
{
	switch (ev->type) {
	case ALG_EV_REWRITE:
		if ((unsigned)ev->kind < FTP_KIND_MAX)
			s->rewrites[ev->kind]++;
		break;
	case ALG_EV_REFUSE:
	case ALG_EV_STOP:
		if ((unsigned)ev->reason < ALG_R_MAX)
			s->refusals[ev->reason]++;
		break;
	case ALG_EV_OPEN:
		if (ev->reason == ALG_R_OPEN_MIDSTREAM)
			s->midstream++;
		break;
	default:
		break;
	}
}

static void hist_sum(struct stats_hist *t, const struct stats_hist *h)
{
	unsigned i;

	t->count += h->count;
	t->sum_us += h->sum_us;
	if (h->max_us > t->max_us)
		t->max_us = h->max_us;
	for (i = 0; i <= STATS_HIST_NB; i++)
		t->bucket[i] += h->bucket[i];
}

static void add_array(uint64_t *t, const uint64_t *a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		t[i] += a[i];
}

#define ADD(m)	add_array(total->m, w[k].m, \
			  sizeof(total->m) / sizeof(total->m[0]))

void stats_sum(struct alg_stats *total, const struct alg_stats *w,
	       unsigned n)
{
	unsigned k, i;

	memset(total, 0, sizeof(*total));
	for (k = 0; k < n; k++) {
		ADD(packets);
		ADD(bytes);
		ADD(verdicts);
		ADD(rewrites);
		ADD(pinholes);
		ADD(refusals);
		total->malformed += w[k].malformed;
		total->midstream += w[k].midstream;
		total->ct_stale += w[k].ct_stale;
		total->ct_events += w[k].ct_events;
		ADD(idle);
		total->id_gaps += w[k].id_gaps;
		total->enobufs += w[k].enobufs;
		for (i = 0; i < STATS_NNL; i++)
			hist_sum(&total->netlink[i], &w[k].netlink[i]);
		hist_sum(&total->proc, &w[k].proc);
	}
}

/*
 * One line per bound queue:
 *   queue_num peer_portid queue_total copy_mode copy_range
 *   queue_dropped user_dropped id_sequence 1
 */
bool stats_parse_kqueue(const char *text, unsigned num,
			struct stats_kqueue *kq)
{
	unsigned long long v[8];
	const char *l = text;

	memset(kq, 0, sizeof(*kq));
	kq->num = num;
	while (l && *l) {
		if (sscanf(l, "%llu %llu %llu %llu %llu %llu %llu %llu",
			   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
			   &v[7]) == 8 && v[0] == num) {
			kq->found = true;
			kq->queue_total = v[2];
			kq->queue_dropped = v[5];
			kq->user_dropped = v[6];
			kq->id_sequence = v[7];
			return true;
		}
		l = strchr(l, '\n');
		if (l)
			l++;
	}
	return false;
}

void stats_read_kqueue(unsigned num, struct stats_kqueue *kq)
{
	char text[4096];
	size_t n = 0;
	FILE *f;

	f = fopen(KQUEUE_PATH, "re");
	if (f) {
		n = fread(text, 1, sizeof(text) - 1, f);
		fclose(f);
	}
	text[n] = '\0';
	stats_parse_kqueue(text, num, kq);
}
