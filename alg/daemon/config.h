/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's configuration file: "key = value" lines, '#' starts a
 * comment, blank lines ignored. Any unknown key, bad value or repeated key
 * is an error reported as "FILE:LINE: what is wrong"; the daemon refuses
 * to start (or a reload keeps the running configuration) rather than run
 * with a setting it did not understand. The whole file is read and every
 * error reported, so one pass fixes them all.
 *
 *   queue               NFQUEUE number (0..65535), default 0, or a range
 *                       N-M: one worker thread per queue (queue_range.h)
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
 *   fail_open           yes/no (default yes): while no ftp-algd runs,
 *                       control connections whose stream we have not
 *                       shifted pass (yes) or wait (no); shifted ones
 *                       always wait
 *   state_file          the restart journal, default CONFIG_STATE_FILE
 *   user                run as this user after set-up (privdrop.c),
 *                       default none: stay root, CAP_NET_ADMIN only
 *   ctl_group           group of the control socket (mode 0660),
 *                       default CONFIG_CTL_GROUP when that group exists
 *   metrics_listen      ADDR:PORT or [ADDR6]:PORT: serve GET /metrics
 *                       there (HTTP); off (the default) or "off": no
 *                       listener. Read at start only
 *   max_pinholes_per_session  live pinholes one session may have (0..16,
 *                       0: no limit), default 1: a new one replaces the
 *                       oldest, as the kernel helper does
 *   max_sessions_per_client   sessions of one client address (0..1000000,
 *                       0: no limit), default 256
 *   session_reserve     percent of max_sessions (0..50) kept for clients
 *                       holding fewer than ALG_RESERVE_SHARE sessions,
 *                       default 10
 *   half_open_timeout   seconds a session with no handshake or nothing
 *                       exchanged is kept (1..3600), default 30
 *   active_pinhole_on_reply   yes/no (default no): a PORT/EPRT pinhole
 *                       opens on the server's 2xx to it, not on the PORT
 *                       (breaks servers that connect before they answer,
 *                       such as pyftpdlib: docs/security.md)
 *   violation_action    pass (default: the line passes, nothing opens) or
 *                       reset (the control connection is reset)
 *   async_pinholes      yes/no (default yes): with one queue and the
 *                       catch objects of deploy/ftp-alg.nft, an
 *                       announcement leaves before its pinhole's
 *                       transaction (pin_async.h). Read at start only
 *   pure_ack_bypass     yes/no (default yes): with sets pure_ack4/
 *                       pure_ack6 in the table, a segment without payload
 *                       (flags ACK only) of a session whose stream we do
 *                       not shift is not queued (nft/pure_ack.c); such a
 *                       session's idle timeout then asks conntrack
 *                       before it ends the session. Read at start only
 */
#ifndef FTP_ALG_CONFIG_H
#define FTP_ALG_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "ftp-alg/engine.h"

#define CONFIG_LINE_MAX		1024
#define CONFIG_ERR_LEN		(CONFIG_LINE_MAX + 256)
#define CONFIG_PINHOLE_TIMEOUT	60
#define CONFIG_STATE_FILE	"/run/ftp-alg/state"
#define CONFIG_PATH_MAX		256
#define CONFIG_NAME_MAX		33	/* a user or group name, NUL included */
#define CONFIG_CTL_GROUP	"ftp-alg"
#define CONFIG_LISTEN_MAX	64

struct alg_config {
	uint16_t queue;			/* the first queue */
	uint16_t queues;		/* how many: one worker each */
	unsigned pinhole_timeout_s;
	int log_level;			/* syslog priority */
	bool fail_open;
	bool async_pinholes;		/* pin_async.h */
	bool pure_ack_bypass;		/* nft/pure_ack.c */
	char state_file[CONFIG_PATH_MAX];
	char user[CONFIG_NAME_MAX];	/* "": stay root */
	char ctl_group[CONFIG_NAME_MAX];
	char metrics_listen[CONFIG_LISTEN_MAX];	/* "": off */
	struct alg_policy pol;
};

/* The keys, in the order a change summary lists them. */
enum config_key {
	CONFIG_K_QUEUE,
	CONFIG_K_PINHOLE_TIMEOUT,
	CONFIG_K_MAX_SESSIONS,
	CONFIG_K_HOLD_MS,
	CONFIG_K_MAX_LINE,
	CONFIG_K_IDLE_TIMEOUT,
	CONFIG_K_CONTROL_PORTS,
	CONFIG_K_ALLOW_LOW_DATA_PORT,
	CONFIG_K_STRICT_PAIRING,
	CONFIG_K_LOG_LEVEL,
	CONFIG_K_FAIL_OPEN,
	CONFIG_K_STATE_FILE,
	CONFIG_K_USER,
	CONFIG_K_CTL_GROUP,
	CONFIG_K_METRICS_LISTEN,
	/* docs/security.md */
	CONFIG_K_MAX_PINHOLES_PER_SESSION,
	CONFIG_K_MAX_SESSIONS_PER_CLIENT,
	CONFIG_K_SESSION_RESERVE,
	CONFIG_K_HALF_OPEN_TIMEOUT,
	CONFIG_K_ACTIVE_PINHOLE_ON_REPLY,
	CONFIG_K_VIOLATION_ACTION,
	/* docs/performance.md */
	CONFIG_K_ASYNC_PINHOLES,
	CONFIG_K_PURE_ACK_BYPASS,
	CONFIG_NKEYS
};

#define CONFIG_BIT(k)		(1u << (k))
#define CONFIG_ALL_KEYS		(CONFIG_BIT(CONFIG_NKEYS) - 1)
/* a value as config_value() says it */
#define CONFIG_VALUE_LEN	64
/* "a -> b" for every key: a summary never needs more */
#define CONFIG_DIFF_LEN	\
	(CONFIG_NKEYS * (24 + 2 * CONFIG_VALUE_LEN))

void config_default(struct alg_config *c);

/* One error, as "FILE:LINE: what is wrong" (or "FILE: cannot open: ..."). */
typedef void (*config_err_fn)(void *arg, const char *msg);

/*
 * Read the whole stream over c's current values, every error to fn; c
 * changes only when there is none. name is used in error messages.
 * 0, -EINVAL (the file has errors) or -EIO.
 */
int config_parse_all(struct alg_config *c, FILE *f, const char *name,
		     config_err_fn fn, void *arg);
/* The same for a path; -errno when it cannot be opened. */
int config_load_all(struct alg_config *c, const char *path,
		    config_err_fn fn, void *arg);
/* As the _all versions, with the first error only, in err. */
int config_load(struct alg_config *c, const char *path, char *err,
		size_t errlen);
int config_parse(struct alg_config *c, FILE *f, const char *name,
		 char *err, size_t errlen);

/* "queue", "pinhole_timeout", ...; "?" if k is none. */
const char *config_key_name(enum config_key k);
/* Key k's value in c as the file would say it: "21,2121", "yes". */
void config_value(const struct alg_config *c, enum config_key k, char *buf,
		  size_t len);
/*
 * Which of the keys (a CONFIG_BIT() mask) differ from "from" to "to",
 * as a mask; buf gets them in key order, "pinhole_timeout 60 -> 30,
 * log_level info -> debug" (empty when none).
 */
unsigned config_diff(const struct alg_config *from,
		     const struct alg_config *to, unsigned keys, char *buf,
		     size_t len);

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
