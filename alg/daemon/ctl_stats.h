/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ftp-algctl's "stats", "metrics" and "log-level" (ctl_stats.c).
 */
#ifndef FTP_ALG_CTL_STATS_H
#define FTP_ALG_CTL_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "ctl.h"

struct daemon;

void cmd_stats(struct daemon *d, struct ctl_buf *o, uint64_t now, bool json);
void cmd_metrics(struct daemon *d, struct ctl_buf *o, uint64_t now,
		 bool json);
/* Writes its own "ok\n" or "error: ..." (arg NULL: the level now). */
void cmd_log_level(struct daemon *d, struct ctl_buf *o, const char *arg,
		   bool json);

/* metrics_listen: the HTTP listener (metrics_http.c), when configured. */
void metrics_render(struct ctl_buf *o, void *arg);
int metrics_listen_open(struct daemon *d);

#endif
