// SPDX-License-Identifier: GPL-2.0-or-later
/* Log lines to stderr or syslog; see log.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

#define LOG_LINE_MAX	1024

static bool log_to_stderr = true;
static int log_level = LOG_INFO;
static const char *log_ident = "ftp-algd";

void log_init(const char *ident, bool to_stderr)
{
	log_ident = ident;
	log_to_stderr = to_stderr;
	if (!to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_set_level(int prio)
{
	log_level = prio;
	if (!log_to_stderr)
		setlogmask(LOG_UPTO(prio));
}

int log_get_level(void)
{
	return log_level;
}

bool log_enabled(int prio)
{
	return prio <= log_level;
}

static const char *log_prefix(int prio)
{
	switch (prio) {
	case LOG_EMERG:
	case LOG_ALERT:
	case LOG_CRIT:
	case LOG_ERR:
		return "error: ";
	case LOG_WARNING:
		return "warning: ";
	default:
		return "";
	}
}

static void log_out(int prio, const char *line)
{
	if (log_to_stderr)
		fprintf(stderr, "%s%s\n", log_prefix(prio), line);
	else
		syslog(prio, "%s", line);
}

/*
 * Deferred lines: [prio][text]\0 records, in order. On stderr they leave
 * in one write; syslog takes them one by one.
 */
static bool log_deferring;
static char log_defer_buf[LOG_DEFER_LEN];
static size_t log_defer_len;
static unsigned log_defer_lines;

void log_flush(void)
{
	char out[LOG_DEFER_LEN + LOG_DEFER_LEN / 8];
	size_t off = 0, o = 0, n;
	int prio;

	if (!log_defer_len)
		return;
	while (off < log_defer_len) {
		prio = (unsigned char)log_defer_buf[off++];
		n = strlen(log_defer_buf + off);
		if (!log_to_stderr) {
			syslog(prio, "%s", log_defer_buf + off);
		} else {
			/* prefix (<= 9) + text + newline fits: see out */
			o += (size_t)snprintf(out + o, sizeof(out) - o,
					      "%s%s\n", log_prefix(prio),
					      log_defer_buf + off);
		}
		off += n + 1;
	}
	if (o)
		fwrite(out, 1, o, stderr);
	log_defer_len = 0;
	log_defer_lines = 0;
}

void log_defer(bool on)
{
	if (!on)
		log_flush();
	log_deferring = on;
}

static void log_line(int prio, const char *line)
{
	size_t n = strlen(line) + 2;

	if (!log_deferring) {
		log_out(prio, line);
		return;
	}
	/* full: what is gathered leaves now, in order, then this one */
	if (log_defer_len + n > sizeof(log_defer_buf) ||
	    log_defer_lines >= LOG_DEFER_LINES)
		log_flush();
	if (n > sizeof(log_defer_buf)) {
		log_out(prio, line);
		return;
	}
	log_defer_buf[log_defer_len] = (char)prio;
	memcpy(log_defer_buf + log_defer_len + 1, line, n - 1);
	log_defer_len += n;
	log_defer_lines++;
}

void log_msg(int prio, const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	va_list ap;

	if (!log_enabled(prio))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_line(prio, line);
}

void log_sess(int prio, uint64_t sid, const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	va_list ap;
	int n;

	if (!log_enabled(prio))
		return;
	n = snprintf(line, sizeof(line), "#%llu ", (unsigned long long)sid);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	log_line(prio, line);
}

void log_fatal(const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	va_list ap;

	log_flush();	/* what came before, first */
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* a reason is one line: fold any newline a strerror() might bring */
	for (char *c = line; *c; c++)
		if (*c == '\n')
			*c = ' ';
	fprintf(stderr, "%s: %s\n", log_ident, line);
	if (!log_to_stderr)
		syslog(LOG_ERR, "%s", line);
}

bool log_rl_ok(struct log_rl *rl, uint64_t now_ms, unsigned *missed)
{
	*missed = 0;
	if (!rl->start_ms || now_ms - rl->start_ms >= rl->interval_ms) {
		rl->start_ms = now_ms ? now_ms : 1;
		rl->n = 0;
	}
	if (rl->n >= rl->burst) {
		rl->missed++;
		return false;
	}
	rl->n++;
	*missed = rl->missed;
	rl->missed = 0;
	return true;
}
