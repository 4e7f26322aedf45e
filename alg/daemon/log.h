/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Logging for the daemon: one line per event, to stderr (the default;
 * stamped with the time unless stderr is systemd's journal) or syslog
 * (--syslog). Priorities are syslog's (LOG_ERR ... LOG_DEBUG). Session events
 * carry the session id as "#12 ...".
 */
#ifndef FTP_ALG_LOG_H
#define FTP_ALG_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>

#define LOG_FMT(a, b)	__attribute__((format(printf, a, b)))

void log_init(const char *ident, bool to_stderr);
/* stderr is the journal systemd gave us ($JOURNAL_STREAM matches it) */
bool log_stderr_is_journal(void);
void log_set_level(int prio);
int log_get_level(void);
bool log_enabled(int prio);

void log_msg(int prio, const char *fmt, ...) LOG_FMT(2, 3);
/* "#<sid> " followed by the message */
void log_sess(int prio, uint64_t sid, const char *fmt, ...) LOG_FMT(3, 4);
/*
 * A startup refusal: one line on stderr whatever the mode (so whoever
 * started us sees it), and in syslog too when that is where logs go.
 */
void log_fatal(const char *fmt, ...) LOG_FMT(1, 2);

#define log_err(...)	log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_DEBUG, __VA_ARGS__)

/*
 * Deferred lines: while on, lines are gathered (up to LOG_DEFER_LINES or
 * LOG_DEFER_LEN bytes; more flushes what was gathered first) and written
 * by log_flush(), so the event loop writes them after the verdicts of the
 * packets that caused them, not between a packet and its verdict. Order
 * is kept; log_fatal() flushes first. log_defer(false) flushes.
 */
#define LOG_DEFER_LEN	16384
#define LOG_DEFER_LINES	128
void log_defer(bool on);
void log_flush(void);

/*
 * Rate limit for messages a peer can trigger at will (malformed packets):
 * at most burst lines per interval; the rest are counted and the count is
 * reported with the next line that gets through.
 */
struct log_rl {
	unsigned interval_ms;
	unsigned burst;
	uint64_t start_ms;
	unsigned n;
	unsigned missed;
};

#define LOG_RL_INIT(ms, b)	{ .interval_ms = (ms), .burst = (b) }

/* true: log now (*missed says how many were suppressed before it). */
bool log_rl_ok(struct log_rl *rl, uint64_t now_ms, unsigned *missed);

/*
 * The same with one limit per key (rl[0..n), zero-initialised, each set to
 * interval_ms/burst on first use): a flood of one kind of message does
 * not silence the others. A key past n shares the last limit.
 */
bool log_rl_key_ok(struct log_rl *rl, unsigned n, unsigned key,
		   unsigned interval_ms, unsigned burst, uint64_t now_ms,
		   unsigned *missed);

#endif
