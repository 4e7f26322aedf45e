// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench_pins: pinhole installs and removals per second through nft/pin.c
 * (libnftnl), against the kernel. Run it in a network namespace of its
 * own with deploy/ftp-alg.nft loaded (tests/bench/run.sh does).
 *
 *   bench_pins [-n COUNT] [-b BATCH]
 *
 * Each entry is what a PASV through a port forward installs: a pin4
 * element and its dnat4 mapping. Figures: one entry per batch (the
 * packet path: the pinhole must exist before the 227 leaves), then
 * BATCH entries per batch (the timer's removals, batched).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ftp-alg/pin.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The k-th announced data port of an outside client 203.0.113.20 through
 * a forward 203.0.113.1 -> 10.0.2.2. */
static void entry(struct pin_entry *e, unsigned k)
{
	memset(e, 0, sizeof(*e));
	e->family = AF_INET;
	e->peer.v4.s_addr = inet_addr("203.0.113.20");
	e->wire.family = e->target.family = AF_INET;
	e->wire.addr.v4.s_addr = inet_addr("203.0.113.1");
	e->target.addr.v4.s_addr = inet_addr("10.0.2.2");
	e->wire.port = e->target.port = (uint16_t)(1024 + k % 60000);
	e->target.addr.v4.s_addr += htonl(k / 60000);
	e->timeout_ms = 60000;
}

/* n entries, batch at a time: add all, then remove all. Returns
 * operations (adds + removals) per second, or -1. */
static double run(struct fw_sock *fw, unsigned n, unsigned batch)
{
	struct pin_entry *e = calloc(batch, sizeof(*e));
	unsigned i, j, m;
	double t0, dt;
	int err;

	if (!e)
		return -1;
	t0 = now_s();
	for (i = 0; i < n; i += batch) {
		m = n - i < batch ? n - i : batch;
		for (j = 0; j < m; j++)
			entry(&e[j], i + j);
		err = pin_add(fw, e, m);
		if (err) {
			fprintf(stderr, "bench_pins: pin_add: %s\n",
				strerror(-err));
			free(e);
			return -1;
		}
	}
	for (i = 0; i < n; i += batch) {
		m = n - i < batch ? n - i : batch;
		for (j = 0; j < m; j++)
			entry(&e[j], i + j);
		err = pin_del(fw, e, m);
		if (err) {
			fprintf(stderr, "bench_pins: pin_del: %s\n",
				strerror(-err));
			free(e);
			return -1;
		}
	}
	dt = now_s() - t0;
	free(e);
	return 2.0 * n / dt;
}

int main(int argc, char **argv)
{
	unsigned n = 20000, batch = 64;
	struct fw_sock *fw;
	double one, many;
	int opt, err;

	while ((opt = getopt(argc, argv, "n:b:")) != -1) {
		switch (opt) {
		case 'n':
			n = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'b':
			batch = (unsigned)strtoul(optarg, NULL, 10);
			break;
		default:
			fprintf(stderr, "usage: bench_pins [-n COUNT] "
				"[-b BATCH]\n");
			return 2;
		}
	}
	if (!n || !batch)
		return 2;
	fw = fw_open();
	if (!fw) {
		perror("bench_pins: fw_open");
		return 1;
	}
	err = pin_sweep(fw);
	if (err) {
		fprintf(stderr, "bench_pins: no table inet ftp_alg? (%s)\n",
			strerror(-err));
		return 1;
	}
	one = run(fw, n, 1);
	many = run(fw, n, batch);
	fw_close(fw);
	if (one < 0 || many < 0)
		return 1;
	printf("pins n=%u single_ops_s=%.0f batch=%u batched_ops_s=%.0f\n",
	       n, one, batch, many);
	return 0;
}
