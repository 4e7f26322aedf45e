/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Sequence-number adjustment for one direction of a TCP stream whose
 * payload we rewrite.
 *
 * Every rewrite is a correction {pos, old_len, new_len, replacement}: the
 * original bytes [pos, pos + old_len) leave as the replacement's new_len
 * bytes. Corrections are kept in a sorted list (not the kernel's single
 * one) so that any segment, including a retransmission of an old rewritten
 * segment after newer rewrites, renders to exactly the bytes and sequence
 * number it had the first time.
 *
 * A segment boundary that falls inside a rewritten field at original
 * offset k (0 <= k <= old_len) is placed at output offset
 *	f(k) = k < old_len ? min(k, new_len) : new_len
 * which is monotonic, so any segmentation of the original bytes renders to
 * a segmentation of the same output bytes. ACKs coming back are mapped
 * with the largest k whose output is fully covered (never acknowledging a
 * byte the receiver has not got); SACK left edges with the smallest k.
 *
 * All positions are TCP sequence numbers compared modulo 2^32.
 */
#ifndef FTP_ALG_SEQADJ_H
#define FTP_ALG_SEQADJ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "seq.h"

#define SEQADJ_MAX	64	/* corrections kept per direction */
#define SEQADJ_REPL_MAX	96	/* longest replacement */

struct seqadj_corr {
	uint32_t pos;		/* original seq of the field's first byte */
	uint16_t old_len;	/* SEQADJ_OPEN while the field is arriving */
	uint16_t new_len;
	uint16_t seen;		/* open: original field bytes seen so far */
	uint8_t repl[SEQADJ_REPL_MAX];
};

/*
 * An open correction: its replacement is known but the original field is
 * still arriving, so its length is not. Every boundary k seen so far is
 * inside it (k < old_len), where f(k) = min(k, new_len) needs no old_len:
 * the bytes can be rendered and released before the field ends.
 */
#define SEQADJ_OPEN	0xffffu

struct seqadj {
	/*
	 * Delta of corrections already folded away: they were acknowledged,
	 * so nothing at or before them is ever rendered again. Modulo 2^32,
	 * like the sequence numbers it shifts.
	 */
	uint32_t base;
	unsigned n, cap;
	/*
	 * Keep the last correction even once acknowledged: a split line
	 * still reads its own correction when the line completes.
	 */
	bool keep_last;
	struct seqadj_corr *c;	/* grows on demand up to SEQADJ_MAX */
};

void seqadj_init(struct seqadj *a);
void seqadj_free(struct seqadj *a);
/*
 * Record a correction. pos must not be before the end of the last one.
 * Returns 0, -EINVAL (overlap/out of order, bad lengths) or -ENOSPC when
 * the list is full of unacknowledged corrections, -ENOMEM.
 */
int seqadj_add(struct seqadj *a, uint32_t pos, uint16_t old_len,
	       const uint8_t *repl, uint16_t new_len);
/* Start an open correction at pos (must be after every other one). */
int seqadj_open(struct seqadj *a, uint32_t pos, const uint8_t *repl,
		uint16_t new_len);
/* The open correction has seen this many original bytes. */
void seqadj_open_seen(struct seqadj *a, uint16_t seen);
/*
 * The field ended after old_len original bytes old[0..old_len): the
 * correction becomes an ordinary one (returns true), or disappears when
 * it changed nothing (false).
 *
 * If the field ends exactly where the last released piece ended (old_len
 * == seen) while less than the whole replacement went out (seen <
 * new_len), the rest must ride on the next original byte: term (0..255)
 * is that byte, and the field grows by it (the replacement gets it too,
 * so it is not lost). With no next byte (term < 0: the stream stops
 * there) the replacement is cut to what already went out instead. Either
 * way every piece already released keeps its place.
 */
bool seqadj_close(struct seqadj *a, const uint8_t *old, uint16_t old_len,
		  int term);
/* Is the last correction open? */
bool seqadj_is_open(const struct seqadj *a);

/* Original seq -> seq on the wire after rewriting. */
uint32_t seqadj_map(const struct seqadj *a, uint32_t seq);
/* Acknowledgment in output space -> original space (floor). */
uint32_t seqadj_unmap_ack(const struct seqadj *a, uint32_t ack);
/* SACK left edge in output space -> original space (ceiling). */
uint32_t seqadj_unmap_left(const struct seqadj *a, uint32_t left);
/* Net length change over original bytes [seq, seq + len). */
int32_t seqadj_delta(const struct seqadj *a, uint32_t seq, uint32_t len);
/*
 * Render original payload in[0..len) that starts at seq into out (room
 * for len + seqadj_delta(...) bytes); returns the output length.
 */
size_t seqadj_render(const struct seqadj *a, uint32_t seq, const uint8_t *in,
		     size_t len, uint8_t *out);
/*
 * The peer acknowledged everything before orig_ack: fold old entries
 * (never the last one while keep_last is set).
 */
void seqadj_acked(struct seqadj *a, uint32_t orig_ack);

#endif
