/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The scrape listener's pure parts (metrics_http.c): the metrics_listen
 * address, the config key, and the answer to each kind of request.
 * Links alg_daemon.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#pragma GCC diagnostic ignored "-Wunused-parameter"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "config.h"
#include "metrics_http.h"

static void test_listen_v4_and_v6_literals(void **state)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	char why[160], a[INET6_ADDRSTRLEN];
	socklen_t sl;

	assert_true(metrics_parse_listen("127.0.0.1:9101", &ss, &sl, why,
					 sizeof(why)));
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(sl, sizeof(*s4));
	assert_int_equal(ntohs(s4->sin_port), 9101);
	assert_int_equal(s4->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	assert_true(metrics_parse_listen("[2001:db8::1]:80", &ss, &sl, why,
					 sizeof(why)));
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(ntohs(s6->sin6_port), 80);
	inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
	assert_string_equal(a, "2001:db8::1");
}

static void test_listen_refuses_names_ports_and_bare_v6(void **state)
{
	static const char *const bad[] = {
		"localhost:9101", "127.0.0.1", "127.0.0.1:0",
		"127.0.0.1:65536", "127.0.0.1:+80", "127.0.0.1:80x",
		"::1:9101", "[::1]", "[::1:9101", ":9101", "", "[]:80",
	};
	struct sockaddr_storage ss;
	char why[160];
	socklen_t sl;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		if (metrics_parse_listen(bad[i], &ss, &sl, why, sizeof(why)))
			fail_msg("'%s' taken", bad[i]);
		assert_non_null(strstr(why, bad[i]));
	}
}

static int parse_conf(struct alg_config *c, const char *text, char *err,
		      size_t el)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int ret;

	assert_non_null(f);
	config_default(c);
	ret = config_parse(c, f, "t.conf", err, el);
	fclose(f);
	return ret;
}

static void test_config_key_default_off_value_error(void **state)
{
	char err[CONFIG_ERR_LEN], v[CONFIG_VALUE_LEN];
	struct alg_config c;

	assert_int_equal(parse_conf(&c, "", err, sizeof(err)), 0);
	assert_string_equal(c.metrics_listen, "");
	config_value(&c, CONFIG_K_METRICS_LISTEN, v, sizeof(v));
	assert_string_equal(v, "off");
	assert_string_equal(config_key_name(CONFIG_K_METRICS_LISTEN),
			    "metrics_listen");
	assert_int_equal(parse_conf(&c, "metrics_listen = 127.0.0.1:9101\n",
				    err, sizeof(err)), 0);
	assert_string_equal(c.metrics_listen, "127.0.0.1:9101");
	assert_int_equal(parse_conf(&c, "metrics_listen = off\n", err,
				    sizeof(err)), 0);
	assert_string_equal(c.metrics_listen, "");
	assert_int_not_equal(parse_conf(&c, "\nmetrics_listen = any:1\n",
					err, sizeof(err)), 0);
	assert_int_equal(strncmp(err, "t.conf:2: ", 10), 0);
	assert_string_equal(c.metrics_listen, "");
}

static void render(struct ctl_buf *o, void *arg)
{
	ctl_printf(o, "# TYPE x gauge\nx 1\n");
}

static void answer(const char *req, struct ctl_buf *o)
{
	*o = (struct ctl_buf){ 0 };
	metrics_http_answer(req, o, render, NULL);
}

static void test_get_metrics_is_prometheus_text(void **state)
{
	struct ctl_buf o;

	answer("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", &o);
	assert_string_equal(o.p, "HTTP/1.0 200 OK\r\nContent-Type: text/plain;"
			    " version=0.0.4; charset=utf-8\r\n"
			    "Content-Length: 19\r\nConnection: close\r\n\r\n"
			    "# TYPE x gauge\nx 1\n");
	free(o.p);
	answer("GET /metrics?x=1 HTTP/1.0\r\n\r\n", &o);
	assert_int_equal(strncmp(o.p, "HTTP/1.0 200 ", 13), 0);
	free(o.p);
	/* HEAD: the same head, no body */
	answer("HEAD /metrics HTTP/1.1\r\n\r\n", &o);
	assert_int_equal(strncmp(o.p, "HTTP/1.0 200 ", 13), 0);
	assert_non_null(strstr(o.p, "Content-Length: 19\r\n"));
	assert_null(strstr(o.p, "x 1"));
	free(o.p);
}

static void test_other_paths_and_methods_are_refused(void **state)
{
	struct ctl_buf o;

	answer("GET / HTTP/1.1\r\n\r\n", &o);
	assert_int_equal(strncmp(o.p, "HTTP/1.0 404 ", 13), 0);
	free(o.p);
	answer("GET /metricsfoo HTTP/1.1\r\n\r\n", &o);
	assert_int_equal(strncmp(o.p, "HTTP/1.0 404 ", 13), 0);
	free(o.p);
	answer("POST /metrics HTTP/1.1\r\n\r\n", &o);
	assert_int_equal(strncmp(o.p, "HTTP/1.0 405 ", 13), 0);
	free(o.p);
	answer("", &o);
	assert_int_equal(strncmp(o.p, "HTTP/1.0 405 ", 13), 0);
	free(o.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listen_v4_and_v6_literals),
		cmocka_unit_test(test_listen_refuses_names_ports_and_bare_v6),
		cmocka_unit_test(test_config_key_default_off_value_error),
		cmocka_unit_test(test_get_metrics_is_prometheus_text),
		cmocka_unit_test(test_other_paths_and_methods_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
