/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * queue_probe FIRST COUNT SECONDS: bind NFQUEUE queues FIRST ..
 * FIRST+COUNT-1 (alg/daemon/queue.c), accept every packet, and print one
 * line per TCP packet: "QUEUE SRC SPORT DST DPORT" (IPv4). Stops after
 * SECONDS. For tests/netns/test_queue_hash.sh, which asks which queue
 * each direction of each flow lands on under --queue-balance.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>

#include "queue.h"

#define PROBE_MAX	16

struct probe_q {
	struct queue *q;
	unsigned num;
};

static void on_packet(uint32_t id, uint8_t hook, const uint8_t *p,
		      size_t len, bool truncated, void *arg)
{
	struct probe_q *pq = arg;
	char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN];
	size_t ihl;

	(void)truncated;
	(void)hook;
	if (p && len >= 20 && (p[0] >> 4) == 4 && p[9] == 6) {
		ihl = (size_t)(p[0] & 15) * 4;
		if (len >= ihl + 4) {
			inet_ntop(AF_INET, p + 12, src, sizeof(src));
			inet_ntop(AF_INET, p + 16, dst, sizeof(dst));
			printf("%u %s %u %s %u\n", pq->num, src,
			       (unsigned)(p[ihl] << 8 | p[ihl + 1]), dst,
			       (unsigned)(p[ihl + 2] << 8 | p[ihl + 3]));
		}
	}
	queue_verdict(pq->q, id, NF_ACCEPT, NULL, 0);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int main(int argc, char **argv)
{
	struct probe_q pq[PROBE_MAX];
	struct pollfd pfd[PROBE_MAX];
	unsigned first, count, i;
	long end;

	if (argc != 4) {
		fprintf(stderr, "usage: queue_probe FIRST COUNT SECONDS\n");
		return 2;
	}
	first = (unsigned)atoi(argv[1]);
	count = (unsigned)atoi(argv[2]);
	end = now_ms() + 1000L * atol(argv[3]);
	if (!count || count > PROBE_MAX)
		return 2;
	for (i = 0; i < count; i++) {
		pq[i].num = first + i;
		pq[i].q = queue_open((uint16_t)(first + i));
		if (!pq[i].q) {
			fprintf(stderr, "queue %u: %s\n", first + i,
				strerror(errno));
			return 1;
		}
		pfd[i].fd = queue_fd(pq[i].q);
		pfd[i].events = POLLIN;
	}
	fprintf(stderr, "bound %u queues from %u\n", count, first);
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (now_ms() < end) {
		if (poll(pfd, count, 100) < 0 && errno != EINTR)
			return 1;
		for (i = 0; i < count; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			if (queue_read(pq[i].q, 64, on_packet, &pq[i]) < 0)
				return 1;
			queue_flush(pq[i].q);
		}
	}
	for (i = 0; i < count; i++)
		queue_close(pq[i].q);
	return 0;
}
