// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Configuration file parser; see config.h for the keys. Every setter says
 * what was wrong in words a person fixing the file can act on; the caller
 * adds "FILE:LINE: ".
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "config.h"
#include "metrics_http.h"
#include "queue_range.h"


static const char *const level_names[] = {
	[LOG_ERR] = "error",
	[LOG_WARNING] = "warning",
	[LOG_NOTICE] = "notice",
	[LOG_INFO] = "info",
	[LOG_DEBUG] = "debug",
};

int config_log_level(const char *name)
{
	unsigned i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (level_names[i] && !strcasecmp(name, level_names[i]))
			return (int)i;
	return -1;
}

const char *config_log_level_name(int prio)
{
	if (prio < 0 || prio >= (int)(sizeof(level_names) /
				      sizeof(level_names[0])) ||
	    !level_names[prio])
		return "?";
	return level_names[prio];
}

void config_default(struct alg_config *c)
{
	memset(c, 0, sizeof(*c));
	c->queue = 0;
	c->queues = 1;
	c->pinhole_timeout_s = CONFIG_PINHOLE_TIMEOUT;
	c->log_level = LOG_INFO;
	c->fail_open = true;
	c->async_pinholes = true;
	c->pure_ack_bypass = true;
	snprintf(c->state_file, sizeof(c->state_file), "%s",
		 CONFIG_STATE_FILE);
	snprintf(c->ctl_group, sizeof(c->ctl_group), "%s", CONFIG_CTL_GROUP);
	/* the engine's defaults, control port ALG_CTL_PORT_DEFAULT too */
	alg_policy_default(&c->pol);
}

#define POLICY_VALUE(m)	{ #m, offsetof(struct alg_policy, m) }

/* The policy's limits, which the engine may clamp (alg_table_new()). */
static const struct {
	const char *name;
	size_t off;
} policy_values[] = {
	POLICY_VALUE(max_line),
	POLICY_VALUE(hold_ms),
	POLICY_VALUE(max_hold_pkts),
	POLICY_VALUE(max_hold_bytes),
	POLICY_VALUE(idle_timeout_ms),
	POLICY_VALUE(linger_ms),
	POLICY_VALUE(max_sessions),
};

static unsigned policy_value(const struct alg_policy *pol, size_t off)
{
	unsigned v;

	memcpy(&v, (const char *)pol + off, sizeof(v));
	return v;
}

unsigned config_clamped(const struct alg_policy *asked,
			const struct alg_policy *used,
			struct config_clamp *out, unsigned max)
{
	unsigned i, n = 0;

	for (i = 0; i < sizeof(policy_values) / sizeof(policy_values[0]);
	     i++) {
		size_t off = policy_values[i].off;

		if (policy_value(asked, off) == policy_value(used, off))
			continue;
		if (n < max)
			out[n] = (struct config_clamp){
				.name = policy_values[i].name,
				.asked = policy_value(asked, off),
				.used = policy_value(used, off),
			};
		n++;
	}
	return n;
}

static void why_set(char *why, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void why_set(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

/* Decimal digits only: no sign, no spaces, no "0x", no overflow. */
bool cfg_parse_uint(const char *s, unsigned long min, unsigned long max,
		    unsigned long *out)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static bool parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	unsigned i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return true;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return true;
		}
	}
	return false;
}

#define SETTER(name) \
	static bool set_##name(struct alg_config *c, const char *v, \
			       char *why, size_t wl)

/* A yes/no value into *field; YES_NO_SETTER(key, member of c) */
static bool set_yes_no(bool *field, const char *v, char *why, size_t wl)
{
	if (!parse_bool(v, field)) {
		why_set(why, wl, "expected yes or no, not '%s'", v);
		return false;
	}
	return true;
}

#define YES_NO_SETTER(name, field) \
	SETTER(name) \
	{ \
		return set_yes_no(&c->field, v, why, wl); \
	}

#define NUMBER(v, min, max, what, out) do { \
	unsigned long n_; \
	if (!cfg_parse_uint(v, min, max, &n_)) { \
		why_set(why, wl, "expected %s from %lu to %lu, not '%s'", \
			what, (unsigned long)(min), (unsigned long)(max), v); \
		return false; \
	} \
	out = n_; \
} while (0)

SETTER(queue)
{
	return queue_range_parse(v, &c->queue, &c->queues, why, wl);
}

SETTER(pinhole_timeout)
{
	NUMBER(v, 1, 3600, "seconds", c->pinhole_timeout_s);
	return true;
}

SETTER(max_sessions)
{
	NUMBER(v, 1, 1000000, "a number", c->pol.max_sessions);
	return true;
}

SETTER(hold_ms)
{
	NUMBER(v, 1, 60000, "milliseconds", c->pol.hold_ms);
	return true;
}

SETTER(max_line)
{
	NUMBER(v, 64, 65535, "bytes", c->pol.max_line);
	return true;
}

SETTER(idle_timeout)
{
	unsigned s;

	NUMBER(v, 1, 864000, "seconds", s);
	c->pol.idle_timeout_ms = s * 1000u;
	return true;
}

SETTER(control_ports)
{
	uint16_t ports[ALG_MAX_CTL_PORTS] = { 0 };
	char buf[CONFIG_LINE_MAX];
	unsigned n = 0, i;
	char *tok, *save = NULL;

	if (strlen(v) >= sizeof(buf)) {
		why_set(why, wl, "value too long");
		return false;
	}
	strcpy(buf, v);
	/* strtok_r would skip the empty item in "21,,2121": walk by hand */
	for (tok = buf; tok; tok = save) {
		unsigned long port;
		char *e;

		save = strchr(tok, ',');
		if (save)
			*save++ = '\0';
		while (*tok == ' ' || *tok == '\t')
			tok++;
		e = tok + strlen(tok);
		while (e > tok && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (!*tok) {
			why_set(why, wl, "empty item in port list '%s'", v);
			return false;
		}
		if (!cfg_parse_uint(tok, 1, 65535, &port)) {
			why_set(why, wl, "'%s' is not a port from 1 to 65535",
				tok);
			return false;
		}
		for (i = 0; i < n; i++) {
			if (ports[i] == port) {
				why_set(why, wl, "port %lu listed twice", port);
				return false;
			}
		}
		if (n == ALG_MAX_CTL_PORTS) {
			why_set(why, wl, "more than %d ports",
				ALG_MAX_CTL_PORTS);
			return false;
		}
		ports[n++] = (uint16_t)port;
	}
	memcpy(c->pol.ctl_ports, ports, sizeof(ports));
	return true;
}

YES_NO_SETTER(allow_low_data_port, pol.allow_low_data_port)

YES_NO_SETTER(strict_pairing, pol.strict_pairing)

/* The security settings (docs/security.md). */
SETTER(max_pinholes_per_session)
{
	NUMBER(v, 0, ALG_MAX_PIN_PER_SESS, "a number",
	       c->pol.max_pinholes_per_session);
	return true;
}

SETTER(max_sessions_per_client)
{
	NUMBER(v, 0, 1000000, "a number", c->pol.max_sessions_per_client);
	return true;
}

SETTER(session_reserve)
{
	NUMBER(v, 0, 50, "a percentage", c->pol.reserve_pct);
	return true;
}

SETTER(half_open_timeout)
{
	unsigned s;

	NUMBER(v, 1, 3600, "seconds", s);
	c->pol.half_open_ms = s * 1000u;
	return true;
}

YES_NO_SETTER(active_pinhole_on_reply, pol.active_on_reply)

SETTER(violation_action)
{
	if (strcmp(v, "pass") && strcmp(v, "reset")) {
		why_set(why, wl, "expected pass or reset, not '%s'", v);
		return false;
	}
	c->pol.violation_reset = !strcmp(v, "reset");
	return true;
}

SETTER(log_level)
{
	int l = config_log_level(v);

	if (l < 0) {
		why_set(why, wl, "expected error, warning, notice, info or "
			"debug, not '%s'", v);
		return false;
	}
	c->log_level = l;
	return true;
}

YES_NO_SETTER(async_pinholes, async_pinholes)

YES_NO_SETTER(pure_ack_bypass, pure_ack_bypass)

YES_NO_SETTER(fail_open, fail_open)

SETTER(state_file)
{
	if (v[0] != '/' || strlen(v) >= sizeof(c->state_file)) {
		why_set(why, wl, "expected an absolute path shorter than %zu "
			"bytes, not '%s'", sizeof(c->state_file), v);
		return false;
	}
	strcpy(c->state_file, v);
	return true;
}

/*
 * A user or group name as useradd(8) takes it: no path, no spaces, no
 * option look-alike. (An empty value never gets here: "missing value".)
 */
static bool set_name(char *out, const char *v, char *why, size_t wl)
{
	size_t i, n = strlen(v);

	if (!n || n >= CONFIG_NAME_MAX || v[0] == '-')
		goto bad;
	for (i = 0; i < n; i++) {
		char ch = v[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' ||
		      ch == '.'))
			goto bad;
	}
	strcpy(out, v);
	return true;
bad:
	why_set(why, wl, "expected a user or group name of at most %d "
		"letters, digits, '_', '-' or '.', not '%s'",
		CONFIG_NAME_MAX - 1, v);
	return false;
}

SETTER(user)
{
	/* "root" is the same as none: stay root */
	if (!strcmp(v, "root")) {
		c->user[0] = '\0';
		return true;
	}
	return set_name(c->user, v, why, wl);
}

SETTER(ctl_group)
{
	return set_name(c->ctl_group, v, why, wl);
}

SETTER(metrics_listen)
{
	struct sockaddr_storage ss;
	socklen_t sl;

	if (!strcmp(v, "off")) {
		c->metrics_listen[0] = '\0';
		return true;
	}
	if (strlen(v) >= sizeof(c->metrics_listen) ||
	    !metrics_parse_listen(v, &ss, &sl, why, wl))
		return false;
	strcpy(c->metrics_listen, v);
	return true;
}

/* Each key's value as the file would say it: what a reload reports. */
#define SHOWER(name) \
	static void show_##name(const struct alg_config *c, char *buf, \
				size_t len)

#define YES_NO_SHOWER(name, field) \
	SHOWER(name) \
	{ \
		snprintf(buf, len, "%s", c->field ? "yes" : "no"); \
	}

SHOWER(queue)
{
	queue_range_str(c->queue, c->queues, buf, len);
}

SHOWER(pinhole_timeout)
{
	snprintf(buf, len, "%u", c->pinhole_timeout_s);
}

SHOWER(max_sessions)
{
	snprintf(buf, len, "%u", c->pol.max_sessions);
}

SHOWER(hold_ms)
{
	snprintf(buf, len, "%u", c->pol.hold_ms);
}

SHOWER(max_line)
{
	snprintf(buf, len, "%u", c->pol.max_line);
}

SHOWER(idle_timeout)
{
	snprintf(buf, len, "%u", c->pol.idle_timeout_ms / 1000u);
}

SHOWER(control_ports)
{
	size_t off = 0;
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < ALG_MAX_CTL_PORTS && c->pol.ctl_ports[i] &&
		    off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%u",
					i ? "," : "", c->pol.ctl_ports[i]);
}

YES_NO_SHOWER(allow_low_data_port, pol.allow_low_data_port)

YES_NO_SHOWER(strict_pairing, pol.strict_pairing)

SHOWER(max_pinholes_per_session)
{
	snprintf(buf, len, "%u", c->pol.max_pinholes_per_session);
}

SHOWER(max_sessions_per_client)
{
	snprintf(buf, len, "%u", c->pol.max_sessions_per_client);
}

SHOWER(session_reserve)
{
	snprintf(buf, len, "%u", c->pol.reserve_pct);
}

SHOWER(half_open_timeout)
{
	snprintf(buf, len, "%u", c->pol.half_open_ms / 1000u);
}

YES_NO_SHOWER(active_pinhole_on_reply, pol.active_on_reply)

SHOWER(violation_action)
{
	snprintf(buf, len, "%s", c->pol.violation_reset ? "reset" : "pass");
}

SHOWER(log_level)
{
	snprintf(buf, len, "%s", config_log_level_name(c->log_level));
}

YES_NO_SHOWER(async_pinholes, async_pinholes)

YES_NO_SHOWER(pure_ack_bypass, pure_ack_bypass)

YES_NO_SHOWER(fail_open, fail_open)

SHOWER(state_file)
{
	snprintf(buf, len, "%s", c->state_file);
}

SHOWER(user)
{
	snprintf(buf, len, "%s", c->user[0] ? c->user : "root");
}

SHOWER(ctl_group)
{
	snprintf(buf, len, "%s", c->ctl_group);
}

SHOWER(metrics_listen)
{
	snprintf(buf, len, "%s", c->metrics_listen[0] ? c->metrics_listen
						      : "off");
}

#define KEY(id, name)	[id] = { #name, set_##name, show_##name }

static const struct config_keydef {
	const char *name;
	bool (*set)(struct alg_config *c, const char *v, char *why,
		    size_t wl);
	void (*show)(const struct alg_config *c, char *buf, size_t len);
} config_keys[CONFIG_NKEYS] = {
	KEY(CONFIG_K_QUEUE, queue),
	KEY(CONFIG_K_PINHOLE_TIMEOUT, pinhole_timeout),
	KEY(CONFIG_K_MAX_SESSIONS, max_sessions),
	KEY(CONFIG_K_HOLD_MS, hold_ms),
	KEY(CONFIG_K_MAX_LINE, max_line),
	KEY(CONFIG_K_IDLE_TIMEOUT, idle_timeout),
	KEY(CONFIG_K_CONTROL_PORTS, control_ports),
	KEY(CONFIG_K_ALLOW_LOW_DATA_PORT, allow_low_data_port),
	KEY(CONFIG_K_STRICT_PAIRING, strict_pairing),
	KEY(CONFIG_K_LOG_LEVEL, log_level),
	KEY(CONFIG_K_FAIL_OPEN, fail_open),
	KEY(CONFIG_K_STATE_FILE, state_file),
	KEY(CONFIG_K_USER, user),
	KEY(CONFIG_K_CTL_GROUP, ctl_group),
	KEY(CONFIG_K_METRICS_LISTEN, metrics_listen),
	KEY(CONFIG_K_MAX_PINHOLES_PER_SESSION, max_pinholes_per_session),
	KEY(CONFIG_K_MAX_SESSIONS_PER_CLIENT, max_sessions_per_client),
	KEY(CONFIG_K_SESSION_RESERVE, session_reserve),
	KEY(CONFIG_K_HALF_OPEN_TIMEOUT, half_open_timeout),
	KEY(CONFIG_K_ACTIVE_PINHOLE_ON_REPLY, active_pinhole_on_reply),
	KEY(CONFIG_K_VIOLATION_ACTION, violation_action),
	KEY(CONFIG_K_ASYNC_PINHOLES, async_pinholes),
	KEY(CONFIG_K_PURE_ACK_BYPASS, pure_ack_bypass),
};

#define NKEYS	CONFIG_NKEYS

const char *config_key_name(enum config_key k)
{
	return k < NKEYS ? config_keys[k].name : "?";
}

void config_value(const struct alg_config *c, enum config_key k, char *buf,
		  size_t len)
{
	if (k < NKEYS)
		config_keys[k].show(c, buf, len);
	else
		snprintf(buf, len, "?");
}

unsigned config_diff(const struct alg_config *from,
		     const struct alg_config *to, unsigned keys, char *buf,
		     size_t len)
{
	char a[CONFIG_VALUE_LEN], b[CONFIG_VALUE_LEN];
	unsigned k, changed = 0;
	size_t off = 0;

	if (len)
		buf[0] = '\0';
	for (k = 0; k < NKEYS; k++) {
		if (!(keys & CONFIG_BIT(k)))
			continue;
		config_keys[k].show(from, a, sizeof(a));
		config_keys[k].show(to, b, sizeof(b));
		if (!strcmp(a, b))
			continue;
		changed |= CONFIG_BIT(k);
		if (off < len)
			off += (size_t)snprintf(buf + off, len - off,
						"%s%s %s -> %s",
						off ? ", " : "",
						config_keys[k].name, a, b);
	}
	return changed;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
			 e[-1] == '\n'))
		*--e = '\0';
	return s;
}

/*
 * One line (modified in place). seen[] holds the line each key was named
 * on, to refuse a second setting: with two values for one key, which one
 * the author meant is a guess. A key whose value was refused counts as
 * named too, so its second line is reported as well.
 */
static bool config_line(struct alg_config *c, char *line, unsigned lineno,
			unsigned *seen, char *why, size_t wl)
{
	char *hash, *eq, *key, *val;
	unsigned i;
	size_t n;

	hash = strchr(line, '#');
	if (hash)
		*hash = '\0';
	line = trim(line);
	if (!*line)
		return true;
	eq = strchr(line, '=');
	if (!eq) {
		why_set(why, wl, "expected 'key = value', not '%s'", line);
		return false;
	}
	*eq = '\0';
	key = trim(line);
	val = trim(eq + 1);
	if (!*key) {
		why_set(why, wl, "missing key before '='");
		return false;
	}
	for (i = 0; i < NKEYS; i++)
		if (!strcmp(key, config_keys[i].name))
			break;
	if (i == NKEYS) {
		why_set(why, wl, "unknown key '%s'", key);
		return false;
	}
	if (seen[i]) {
		why_set(why, wl, "%s already set on line %u", key, seen[i]);
		return false;
	}
	seen[i] = lineno;
	if (!*val) {
		why_set(why, wl, "%s: missing value", key);
		return false;
	}
	/* the setter's reason follows the key: "max_line: expected ..." */
	n = (size_t)snprintf(why, wl, "%s: ", key);
	if (n >= wl)
		n = wl - 1;
	return config_keys[i].set(c, val, why + n, wl - n);
}

static void config_error(config_err_fn fn, void *arg, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void config_error(config_err_fn fn, void *arg, const char *fmt, ...)
{
	char msg[CONFIG_ERR_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fn(arg, msg);
}

int config_parse_all(struct alg_config *c, FILE *f, const char *name,
		     config_err_fn fn, void *arg)
{
	unsigned seen[NKEYS] = { 0 };
	char why[CONFIG_ERR_LEN];
	struct alg_config tmp = *c;
	unsigned lineno = 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int ret = 0;

	while ((n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (n > CONFIG_LINE_MAX) {
			config_error(fn, arg, "%s:%u: line longer than %d "
				     "bytes", name, lineno, CONFIG_LINE_MAX);
			ret = -EINVAL;
		} else if (strlen(line) != (size_t)n) {
			config_error(fn, arg, "%s:%u: NUL byte in line", name,
				     lineno);
			ret = -EINVAL;
		} else if (!config_line(&tmp, line, lineno, seen, why,
					sizeof(why))) {
			config_error(fn, arg, "%s:%u: %s", name, lineno, why);
			ret = -EINVAL;
		}
	}
	if (ferror(f)) {
		config_error(fn, arg, "%s:%u: read error", name, lineno);
		ret = -EIO;
	}
	/* all or nothing: a half-applied file is worse than none */
	if (!ret)
		*c = tmp;
	free(line);
	return ret;
}

/* The old interface: the first error only. */
struct first_err {
	char *err;
	size_t len;
	bool have;
};

static void keep_first(void *arg, const char *msg)
{
	struct first_err *fe = arg;

	if (fe->have)
		return;
	fe->have = true;
	snprintf(fe->err, fe->len, "%s", msg);
}

int config_parse(struct alg_config *c, FILE *f, const char *name,
		 char *err, size_t errlen)
{
	struct first_err fe = { .err = err, .len = errlen };

	return config_parse_all(c, f, name, keep_first, &fe);
}

int config_load_all(struct alg_config *c, const char *path,
		    config_err_fn fn, void *arg)
{
	FILE *f;
	int ret;

	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		config_error(fn, arg, "%s: cannot open: %s", path,
			     strerror(errno));
		return ret;
	}
	ret = config_parse_all(c, f, path, fn, arg);
	fclose(f);
	return ret;
}

int config_load(struct alg_config *c, const char *path, char *err,
		size_t errlen)
{
	struct first_err fe = { .err = err, .len = errlen };

	return config_load_all(c, path, keep_first, &fe);
}
