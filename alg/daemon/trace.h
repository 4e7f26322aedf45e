/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ftp-algctl trace: a live stream of session events to the control
 * socket's subscribers (ctl_publish), as text or JSON lines. The events
 * are the engine's (struct alg_event, LINE events included while
 * someone traces), the NAT view learnt and the pinholes' fates. Nothing
 * is formatted while nobody traces (d->tracing).
 */
#ifndef FTP_ALG_TRACE_H
#define FTP_ALG_TRACE_H

#include <stdbool.h>
#include <stdint.h>

#include "ftp-alg/engine.h"
#include "ftp-alg/pin.h"
#include "ctl.h"

struct daemon;

/* Pure: one event as a text line and a JSON line (newline-ended). */
void trace_format_event(const struct alg_event *ev, struct ctl_buf *text,
			struct ctl_buf *json);
void trace_format_pin(uint64_t sid, const char *outcome,
		      const struct pin_entry *e, struct ctl_buf *text,
		      struct ctl_buf *json);
void trace_format_nat(uint64_t sid, int family, const struct alg_nat *nat,
		      struct ctl_buf *text, struct ctl_buf *json);

/* The daemon's hooks: each does nothing unless d->tracing. */
void trace_event(struct daemon *d, const struct alg_event *ev);
void trace_pin(struct daemon *d, uint64_t sid, const char *outcome,
	       const struct pin_entry *e);
void trace_nat(struct daemon *d, uint64_t sid, int family,
	       const struct alg_nat *nat);
/* After the control socket ran: tracing on while a subscriber is there. */
void trace_sync(struct daemon *d);

/* The "trace [SESSION] [json]" request: "ok", then the stream. */
void cmd_trace(struct daemon *d, struct ctl_buf *o, const char *arg,
	       bool json);

#endif
