// SPDX-License-Identifier: GPL-2.0-or-later
/* Log lines to stderr or syslog; see log.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#include "log.h"

#define LOG_LINE_MAX	1024

static bool log_to_stderr = true;
static int log_level = LOG_INFO;
static bool log_stamps;
static const char *log_ident = "ftp-algd";

/*
 * systemd sets JOURNAL_STREAM to "DEV:INODE" of the stream it gave us as
 * stdout/stderr; stderr is the journal only when it is still that file
 * (a shell under the unit may have redirected it).
 */
bool log_stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char tail;

	if (!js || sscanf(js, "%llu:%llu%c", &dev, &ino, &tail) != 2)
		return false;
	if (fstat(2, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

void log_init(const char *ident, bool to_stderr)
{
	log_ident = ident;
	log_to_stderr = to_stderr;
	/* the journal stamps each line itself */
	log_stamps = to_stderr && !log_stderr_is_journal();
	if (!to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

/* "2026-12-01T12:05:38.123+0000 ": local time, milliseconds, offset. */
static void log_stamp(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char date[24], zone[8];

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(zone, sizeof(zone), "%z", &tm);
	snprintf(buf, len, "%s.%03ld%s ", date, ts.tv_nsec / 1000000, zone);
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
	char stamp[64] = "";

	if (log_stamps)
		log_stamp(stamp, sizeof(stamp));
	if (log_to_stderr)
		fprintf(stderr, "%s%s%s\n", stamp, log_prefix(prio), line);
	else
		syslog(prio, "%s", line);
}

/*
 * Deferred lines: [prio][text]\0 records, in order. For stderr the text is
 * the whole line as log_out() would write it (stamped when it was
 * logged) and they leave in one write; syslog takes them one by one.
 */
static _Thread_local bool log_deferring;
static _Thread_local char log_defer_buf[LOG_DEFER_LEN];
static _Thread_local size_t log_defer_len;
static _Thread_local unsigned log_defer_lines;

void log_flush(void)
{
	char out[LOG_DEFER_LEN + LOG_DEFER_LINES];
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
			/* text + newline fits: see out */
			memcpy(out + o, log_defer_buf + off, n);
			out[o + n] = '\n';
			o += n + 1;
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
	char full[LOG_LINE_MAX + 96], stamp[64] = "";
	size_t n;

	if (!log_deferring) {
		log_out(prio, line);
		return;
	}
	if (log_to_stderr) {
		/* as log_out() writes it, stamped now rather than at flush */
		if (log_stamps)
			log_stamp(stamp, sizeof(stamp));
		snprintf(full, sizeof(full), "%s%s%s", stamp,
			 log_prefix(prio), line);
		line = full;
	}
	n = strlen(line) + 2;
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
	if (log_stamps) {
		char stamp[64];

		log_stamp(stamp, sizeof(stamp));
		fprintf(stderr, "%s%s: %s\n", stamp, log_ident, line);
	} else {
		fprintf(stderr, "%s: %s\n", log_ident, line);
	}
	if (!log_to_stderr)
		syslog(LOG_ERR, "%s", line);
}

bool log_rl_key_ok(struct log_rl *rl, unsigned n, unsigned key,
		   unsigned interval_ms, unsigned burst, uint64_t now_ms,
		   unsigned *missed)
{
	struct log_rl *k = &rl[key < n ? key : n - 1];

	if (!k->burst) {
		k->interval_ms = interval_ms;
		k->burst = burst ? burst : 1;
	}
	return log_rl_ok(k, now_ms, missed);
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
