// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * deploy/ftp-algd.conf (the packaged /etc/ftp-alg/ftp-algd.conf) cannot
 * drift from config.c: every key of the key table is in it exactly once
 * as a commented "#key = value" line, that value is config_default()'s,
 * and the file with every such line uncommented parses without error
 * into the defaults. A key added to config.c fails here until it is in
 * the file. Links alg_daemon (config.c).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#pragma GCC diagnostic ignored "-Wunused-parameter"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#ifndef CONFFILE
#error "CONFFILE: the path of deploy/ftp-algd.conf"
#endif

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* The value of "#key = value" for k, or NULL; counts occurrences. */
static const char *commented_value(char *text, const char *key,
				   unsigned *count, char *val, size_t vlen)
{
	size_t kl = strlen(key);
	const char *found = NULL;
	char *line, *save = NULL, *copy = strdup(text);

	assert_non_null(copy);
	*count = 0;
	for (line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (line[0] != '#' || strncmp(line + 1, key, kl) ||
		    strncmp(line + 1 + kl, " = ", 3))
			continue;
		(*count)++;
		snprintf(val, vlen, "%s", line + 1 + kl + 3);
		found = val;
	}
	free(copy);
	return found;
}

static void test_every_key_is_listed_once_with_its_default(void **state)
{
	struct alg_config def;
	size_t len;
	char *text = slurp(CONFFILE, &len);
	unsigned k;

	config_default(&def);
	for (k = 0; k < CONFIG_NKEYS; k++) {
		char want[CONFIG_VALUE_LEN * 4], got[CONFIG_VALUE_LEN * 4];
		const char *name = config_key_name(k);
		unsigned n;

		config_value(&def, k, want, sizeof(want));
		if (!commented_value(text, name, &n, got, sizeof(got)))
			fail_msg("%s: no '#%s = %s' line: add it", CONFFILE,
				 name, want);
		if (n != 1)
			fail_msg("%s: '#%s =' appears %u times", CONFFILE,
				 name, n);
		if (strcmp(got, want))
			fail_msg("%s: #%s = %s, but the default is %s",
				 CONFFILE, name, got, want);
	}
	free(text);
}

static void record_error(void *arg, const char *msg)
{
	fail_msg("uncommented %s: %s", CONFFILE, msg);
}

static void test_uncommented_it_parses_into_the_defaults(void **state)
{
	struct alg_config def, got;
	char diff[CONFIG_DIFF_LEN];
	size_t len, i, o = 0;
	char *text = slurp(CONFFILE, &len), *out;
	FILE *f;

	/* "#key = value" -> "key = value"; prose comments stay comments */
	out = malloc(len + 1);
	assert_non_null(out);
	for (i = 0; i < len; i++) {
		bool bol = i == 0 || text[i - 1] == '\n';

		if (bol && text[i] == '#' && i + 1 < len &&
		    text[i + 1] >= 'a' && text[i + 1] <= 'z' &&
		    strchr(text + i, '=') &&
		    strchr(text + i, '=') < strchr(text + i, '\n'))
			continue;
		out[o++] = text[i];
	}
	out[o] = '\0';
	f = fmemopen(out, o, "r");
	assert_non_null(f);
	config_default(&def);
	memset(&got, 0xa5, sizeof(got));
	config_default(&got);
	/* start from other values: the file itself must set the defaults */
	got.queue = 7;
	got.pinhole_timeout_s = 1;
	assert_int_equal(config_parse_all(&got, f, CONFFILE, record_error,
					  NULL), 0);
	fclose(f);
	if (config_diff(&def, &got, CONFIG_ALL_KEYS, diff, sizeof(diff)))
		fail_msg("uncommented %s differs from the defaults: %s",
			 CONFFILE, diff);
	free(out);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_key_is_listed_once_with_its_default),
		cmocka_unit_test(test_uncommented_it_parses_into_the_defaults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
