/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The queues ftp-algd reads: "N" (one queue) or "N-M" (one worker per
 * queue, N to M; the queue rules balance over them). Pure: config.c and
 * the --queue/--queues flags parse with it, tests call it directly.
 */
#ifndef FTP_ALG_QUEUE_RANGE_H
#define FTP_ALG_QUEUE_RANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* one worker thread per queue: at most this many */
#define QUEUE_WORKERS_MAX	64

/*
 * "N" or "N-M" (0 <= N <= M <= 65535, M - N < QUEUE_WORKERS_MAX) into
 * *first and *count. false with why[0..wl) saying what was wrong.
 */
bool queue_range_parse(const char *s, uint16_t *first, uint16_t *count,
		       char *why, size_t wl);
/* The same for --queues: 1 to QUEUE_WORKERS_MAX, within 65535 of first. */
bool queue_count_parse(const char *s, uint16_t first, uint16_t *count,
		       char *why, size_t wl);
/* "N" or "N-M" back. */
void queue_range_str(uint16_t first, uint16_t count, char *buf, size_t len);

#endif
