// SPDX-License-Identifier: GPL-2.0-or-later
/* The queue range of the key queue and the flags --queue/--queues. */
#include <stdio.h>
#include <string.h>

#include "queue_range.h"

/* A decimal number up to 65535 at *s; moves *s past it. */
static bool num16(const char **s, unsigned long *v)
{
	const char *p = *s;

	*v = 0;
	if (*p < '0' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9') {
		*v = *v * 10 + (unsigned long)(*p++ - '0');
		if (*v > 65535)
			return false;
	}
	*s = p;
	return true;
}

bool queue_range_parse(const char *s, uint16_t *first, uint16_t *count,
		       char *why, size_t wl)
{
	const char *p = s;
	unsigned long a, b;

	if (!num16(&p, &a))
		goto bad;
	b = a;
	if (*p == '-') {
		p++;
		if (!num16(&p, &b))
			goto bad;
	}
	if (*p)
		goto bad;
	if (b < a) {
		snprintf(why, wl, "queue range '%s' ends before it starts", s);
		return false;
	}
	if (b - a >= QUEUE_WORKERS_MAX) {
		snprintf(why, wl, "queue range '%s' has %lu queues: at most %u "
			 "(one worker thread each)", s, b - a + 1,
			 QUEUE_WORKERS_MAX);
		return false;
	}
	*first = (uint16_t)a;
	*count = (uint16_t)(b - a + 1);
	return true;
bad:
	if (strchr(s, '-') && *s != '-')
		snprintf(why, wl, "expected a queue range N-M, N and M from 0 "
			 "to 65535, not '%s'", s);
	else
		snprintf(why, wl, "expected a queue number from 0 to 65535, "
			 "not '%s'", s);
	return false;
}

bool queue_count_parse(const char *s, uint16_t first, uint16_t *count,
		       char *why, size_t wl)
{
	const char *p = s;
	unsigned long n;

	if (!num16(&p, &n) || *p || n < 1 || n > QUEUE_WORKERS_MAX) {
		snprintf(why, wl, "expected a number of queues from 1 to %u, "
			 "not '%s'", QUEUE_WORKERS_MAX, s);
		return false;
	}
	if (first + n - 1 > 65535) {
		snprintf(why, wl, "%lu queues from queue %u pass 65535", n,
			 first);
		return false;
	}
	*count = (uint16_t)n;
	return true;
}

void queue_range_str(uint16_t first, uint16_t count, char *buf, size_t len)
{
	if (count > 1)
		snprintf(buf, len, "%u-%u", first, first + count - 1);
	else
		snprintf(buf, len, "%u", first);
}
