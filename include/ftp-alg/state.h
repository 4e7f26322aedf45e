/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A session's state as bytes: everything a session needs to go on in
 * another process (a restarted ftp-algd, or a standby router): its
 * tuple and NAT view, stream positions and the partial line, sequence
 * corrections, pending commands, counters. Held packets are not part of
 * it: they die with the queue socket and their senders retransmit them.
 *
 * The format is versioned and documented in docs/state-format.md. Times
 * travel as ages (ms before the export), so a reader with another clock
 * base places them right. Addresses travel with a family each, so a
 * later reader can hold sessions whose two sides differ (NAT64).
 *
 * Import checks every field: a damaged or hostile record is refused with
 * -EINVAL and leaves the table as it was.
 */
#ifndef FTP_ALG_STATE_H
#define FTP_ALG_STATE_H

#include <stddef.h>
#include <stdint.h>
#include "ftp-alg/engine.h"

#define ALG_STATE_VERSION	1
/* the largest record: two full lines and two full correction lists */
#define ALG_STATE_MAX		(512 + 2 * (ALG_MAX_LINE_LIMIT + \
					    64 * (10 + 96)))

/*
 * Write s into buf[0..cap) as of now_ms. Returns the record's length,
 * or -ENOSPC.
 */
int alg_state_export(const struct alg_session *s, uint64_t now_ms,
		     uint8_t *buf, size_t cap);

/*
 * Recreate a session from a record. Returns 0 with *out set, -EINVAL (a
 * malformed record, another version, or state this table cannot carry,
 * such as a line longer than its max_line), -EEXIST (the tuple is
 * tracked already), -ENOSPC (table full) or -ENOMEM. Ids are the
 * caller's business: a journal keeps the last record of each.
 */
int alg_state_import(struct alg_table *t, const uint8_t *buf, size_t len,
		     uint64_t now_ms, struct alg_session **out);

/* The session id a record carries, without importing it; 0 if malformed. */
uint64_t alg_state_id(const uint8_t *buf, size_t len);

/*
 * Reasons as the record carries them: numbers that never change
 * (state_reason.c). from_wire: 0, or -1 for a number no reason has.
 */
unsigned alg_reason_to_wire(enum alg_reason r);
int alg_reason_from_wire(unsigned w, enum alg_reason *r);

#endif
