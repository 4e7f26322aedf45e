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
#include "ftp-alg/ftp.h"

#define SEQADJ_MAX	64	/* corrections kept per direction */

static inline bool seq_before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline bool seq_after(uint32_t a, uint32_t b)
{
	return seq_before(b, a);
}

struct seqadj_corr {
	uint32_t pos;		/* original seq of the field's first byte */
	uint16_t old_len;
	uint16_t new_len;
	uint8_t repl[FTP_FIELD_MAX];
};

struct seqadj {
	/*
	 * Delta of corrections already folded away: they were acknowledged,
	 * so nothing at or before them is ever rendered again.
	 */
	int32_t base;
	unsigned n, cap;
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
/* The peer acknowledged everything before orig_ack: fold old entries. */
void seqadj_acked(struct seqadj *a, uint32_t orig_ack);

#endif
