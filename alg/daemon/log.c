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

static void log_line(int prio, const char *line)
{
	if (log_to_stderr)
		fprintf(stderr, "%s%s\n", log_prefix(prio), line);
	else
		syslog(prio, "%s", line);
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
