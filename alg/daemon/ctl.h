/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The server side of the control socket (protocol: ftp-alg/ctl_proto.h).
 * Everything is non-blocking and every client has a deadline, so a stuck
 * ftp-algctl never stalls the data path.
 */
#ifndef FTP_ALG_CTL_H
#define FTP_ALG_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ftp-alg/ctl_proto.h"

#define CTL_MAX_CLIENTS		8
#define CTL_TIMEOUT_MS		2000	/* request + response */
/* what a subscriber may have unsent before it loses events */
#define CTL_SUB_MAX		(256u << 10)

/*
 * A client that stays connected for a stream of lines (ftp-algctl
 * trace), of session sid (0: all), as JSON lines or text.
 */
struct ctl_sub {
	bool on, json;
	uint64_t sid;
};

/* A growing response buffer; full is set when CTL_RESP_MAX was hit. */
struct ctl_buf {
	char *p;
	size_t len, cap;
	bool full;
	/* a handler sets sub.on to keep the client after its answer */
	struct ctl_sub sub;
};

void ctl_printf(struct ctl_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* s as a JSON string, quotes included. */
void ctl_json_str(struct ctl_buf *b, const char *s);
void ctl_buf_reset(struct ctl_buf *b);

/* Build the response to req (no newline) into out. */
typedef void (*ctl_handler)(const char *req, struct ctl_buf *out,
			    void *arg);

struct ctl_server;

/*
 * Listen on path (creating its directory; refusing with EADDRINUSE if
 * a live server answers there). NULL with errno.
 */
struct ctl_server *ctl_open(const char *path, ctl_handler fn, void *arg);
/* Stop listening, drop clients, remove the socket file. */
void ctl_close(struct ctl_server *s);
/* An fd (epoll) that becomes readable when ctl_run() has work. */
int ctl_fd(const struct ctl_server *s);
/* Accept, read, answer, write; drop clients past their deadline. */
void ctl_run(struct ctl_server *s, uint64_t now_ms);

/* Subscribers connected now. */
unsigned ctl_subscribers(const struct ctl_server *s);
/*
 * One line (newline included) to every subscriber of session sid or of
 * all: text or json as each asked. Never blocks: a subscriber whose
 * buffer is full loses the line, and is told how many it lost ("#
 * N events lost", {"lost":N}) once there is room again.
 */
void ctl_publish(struct ctl_server *s, uint64_t sid, const char *text,
		 const char *json);

#endif
