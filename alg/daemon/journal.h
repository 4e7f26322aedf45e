/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The restart journal: what a session and its pinholes need to outlive
 * the process (SIGTERM, kill -9, a crash, an upgrade), appended to a
 * file under /run before the verdict that depends on it (gathered, and
 * written in one write() before the verdicts leave: journal.c). The page cache
 * keeps it across a process death; a reboot ends the connections anyway.
 * Compacted once it grows, and replayed at start-up. The format is in
 * docs/state-format.md.
 *
 * The record codec is pure (tests build and parse records without a
 * file); journal_*() do the I/O.
 */
#ifndef FTP_ALG_JOURNAL_H
#define FTP_ALG_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ftp-alg/pin.h"
#include "ftp-alg/state.h"

#define JOURNAL_VERSION		1
#define JOURNAL_HEAD		6	/* 'J', type, length */
#define JOURNAL_HDR		10	/* head + the crc32 after the payload */
#define JOURNAL_REC_MAX		(JOURNAL_HDR + ALG_STATE_MAX)
/* records gathered for one write(): a wakeup's, or 4 of the largest */
#define JOURNAL_BUF_LEN		(128u << 10)
/* compact once the file is this big and 4 times what it was after */
#define JOURNAL_COMPACT_MIN	(256u << 10)
#define JOURNAL_READ_MAX	(256u << 20)	/* a larger file is refused */

enum journal_type {
	JR_HEADER = 1,		/* "ftp-alg journal", version */
	JR_SESSION = 2,		/* an alg_state record */
	JR_END = 3,		/* sid: the session is gone */
	JR_PIN = 4,		/* sid, pinhole, when it was added */
	JR_UNPIN = 5,		/* the same: it left our table */
};

/* One pinhole as the journal carries it. */
struct journal_pin {
	uint64_t sid;
	struct pin_entry e;
	uint64_t added_ms;	/* CLOCK_MONOTONIC, this boot */
};

/* A decoded record; data points into the buffer it was read from. */
struct journal_rec {
	enum journal_type type;
	const uint8_t *data;
	size_t len;
	uint64_t sid;		/* END */
	struct journal_pin pin;	/* PIN */
};

/*
 * Frame payload p[0..n) as one record of type into out: JOURNAL_HDR + n
 * bytes (p may already sit at out + JOURNAL_HEAD).
 */
size_t journal_frame(uint8_t *out, enum journal_type type, const void *p,
		     size_t n);
size_t journal_encode_header(uint8_t *out);
size_t journal_encode_end(uint8_t *out, uint64_t sid);
size_t journal_encode_pin(uint8_t *out, enum journal_type type,
			  const struct journal_pin *p);
/*
 * The record at buf[*off..len): 1 (and *off moves past it), 0 at the end,
 * or -EINVAL for a damaged or torn record (*off stays: the rest is lost).
 */
int journal_decode(const uint8_t *buf, size_t len, size_t *off,
		   struct journal_rec *r);

struct daemon;

/*
 * Replay path into d: sessions imported into d->tab, pinholes returned in
 * *pins (*npins; free() it). A missing file is an empty journal. Every
 * record refused is logged with its reason. 0 or -errno (unreadable).
 */
int journal_replay(struct daemon *d, struct journal_pin **pins,
		   unsigned *npins);
/* Write a fresh journal of d's sessions and pinholes; open it for appends. */
int journal_compact(struct daemon *d);
/*
 * Gather s's state / its end / a pinhole for the next journal_flush();
 * errors are counted and logged.
 */
void journal_session(struct daemon *d, const struct alg_session *s);
void journal_end(struct daemon *d, uint64_t sid);
void journal_pin(struct daemon *d, const struct journal_pin *p);
void journal_unpin(struct daemon *d, const struct journal_pin *p);
/*
 * Write the gathered records in one write(): before any verdict leaves
 * (the queue's pre-send hook, journal_flush_hook(d)) and after every
 * wakeup. Compaction, replay, tick and close do it themselves.
 */
void journal_flush(struct daemon *d);
void journal_flush_hook(void *d);
/* Once a second: write the gathered; compact when the file has grown
 * enough (or a failed write left it torn). */
void journal_tick(struct daemon *d);
void journal_close(struct daemon *d);

#endif
