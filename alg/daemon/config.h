/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's configuration file: "key = value" lines, '#' starts a
 * comment, blank lines ignored. Any unknown key, bad value or repeated key
 * is an error reported as "FILE:LINE: what is wrong"; the daemon refuses
 * to start rather than run with a setting it did not understand.
 *
 *   queue               NFQUEUE number (0..65535), default 0
 *   pinhole_timeout     seconds a pinhole waits for its data connection
 *                       (1..3600), default 60
 *   max_sessions        tracked control connections (1..1000000)
 *   hold_ms             how long a split line may be held (1..60000)
 *   max_line            longest control line inspected (64..65535; the
 *                       engine inspects at most ALG_MAX_LINE_LIMIT and
 *                       says so at start)
 *   idle_timeout        seconds without a packet before a session is
 *                       forgotten (1..864000)
 *   control_ports       comma list of server ports (at most 8), default 21;
 *                       ftp-algd makes set inet ftp_alg ctl_ports hold them
 *   allow_low_data_port yes/no: allow data ports below 1024
 *   strict_pairing      yes/no: a 227/228/229 only answers PASV...
 *   log_level           error, warning, info or debug
 */
#ifndef FTP_ALG_CONFIG_H
#define FTP_ALG_CONFIG_H

#include <stdint.h>
#include <stdio.h>
#include "ftp-alg/engine.h"

#define CONFIG_LINE_MAX		1024
#define CONFIG_ERR_LEN		(CONFIG_LINE_MAX + 256)
#define CONFIG_PINHOLE_TIMEOUT	60

struct alg_config {
	uint16_t queue;
	unsigned pinhole_timeout_s;
	int log_level;			/* syslog priority */
	struct alg_policy pol;
};

void config_default(struct alg_config *c);
/* Read path over c's current values. 0, or -errno with err filled in. */
int config_load(struct alg_config *c, const char *path, char *err,
		size_t errlen);
/* The same from an open stream; name is used in error messages. */
int config_parse(struct alg_config *c, FILE *f, const char *name,
		 char *err, size_t errlen);

/*
 * The policy values the engine would not take as they are (max_line
 * beyond ALG_MAX_LINE_LIMIT, ...): asked is what the configuration says,
 * used what alg_table_policy() reports. Returns how many differ; the
 * first max of them are written to out.
 */
struct config_clamp {
	const char *name;	/* the struct alg_policy member */
	unsigned asked, used;
};

unsigned config_clamped(const struct alg_policy *asked,
			const struct alg_policy *used,
			struct config_clamp *out, unsigned max);

/* "error" ... "debug" <-> LOG_ERR ... LOG_DEBUG; -1 if unknown. */
int config_log_level(const char *name);
const char *config_log_level_name(int prio);

/* A decimal number in [min, max]: digits only, no sign, no overflow. */
bool cfg_parse_uint(const char *s, unsigned long min, unsigned long max,
		    unsigned long *out);

#endif
