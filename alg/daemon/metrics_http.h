/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The optional scrape listener (config key metrics_listen): a minimal
 * HTTP/1.x server that answers GET /metrics with what "ftp-algctl
 * metrics" prints, and nothing else. Non-blocking, a few clients, each
 * with a deadline, like the control socket: a stuck scraper never stalls
 * the data path.
 */
#ifndef FTP_ALG_METRICS_HTTP_H
#define FTP_ALG_METRICS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ctl.h"

#define METRICS_MAX_CLIENTS	4
#define METRICS_TIMEOUT_MS	2000
#define METRICS_REQ_MAX		2048
#define METRICS_LISTEN_LEN	64	/* "[2001:db8::1]:9101" */

/*
 * "ADDR:PORT" with ADDR an IPv4 literal, or "[ADDR]:PORT" with an IPv6
 * one, port 1..65535: the sockaddr, or false (why says what is wrong).
 */
bool metrics_parse_listen(const char *s, struct sockaddr_storage *ss,
			  socklen_t *len, char *why, size_t wl);

/*
 * The answer to one request (the bytes up to its blank line): a status
 * code, with the body from render() for GET /metrics. Pure.
 */
typedef void (*metrics_render_fn)(struct ctl_buf *o, void *arg);
void metrics_http_answer(const char *req, struct ctl_buf *out,
			 metrics_render_fn render, void *arg);

struct metrics_http;

/* Listen on addr ("ADDR:PORT"); NULL with errno. */
struct metrics_http *metrics_http_open(const char *addr,
				       metrics_render_fn render, void *arg);
void metrics_http_close(struct metrics_http *m);
/* An fd (epoll) that becomes readable when metrics_http_run() has work. */
int metrics_http_fd(const struct metrics_http *m);
void metrics_http_run(struct metrics_http *m, uint64_t now_ms);

#endif
