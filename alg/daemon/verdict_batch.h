/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Verdicts gathered into one buffer and sent in one sendmsg(): each is its
 * own NFQNL_MSG_VERDICT for one packet id, in the order they were given.
 *
 *   +--------------------+--------------------+-----+
 *   | VERDICT id a (+pkt)| VERDICT id b (+pkt)| ... |   one send
 *   +--------------------+--------------------+-----+
 *
 * Never NFQNL_MSG_VERDICT_BATCH: it applies to every queued id <= its id,
 * the packets the engine is holding too. The kernel handles the messages
 * of one send one after another, as if sent apart; one it refuses is
 * answered with an NLMSG_ERROR and the rest still apply.
 *
 * Building is pure (no socket): queue.c sends what verdict_batch_add()
 * gathered.
 */
#ifndef FTP_ALG_VERDICT_BATCH_H
#define FTP_ALG_VERDICT_BATCH_H

#include <stddef.h>
#include <stdint.h>

/* the largest replacement packet, its headers, and room for many more */
#define VERDICT_BATCH_LEN	(2 * 65536 + 16384)
/* an accept or drop without a packet: header, nfgenmsg, one attribute */
#define VERDICT_MSG_MIN		32
/* what a verdict with a len-byte replacement packet may take, at most */
#define VERDICT_MSG_MAX(len)	(64 + (len))

struct verdict_batch {
	size_t len;		/* bytes gathered */
	unsigned n;		/* verdicts gathered */
	char buf[VERDICT_BATCH_LEN] __attribute__((aligned(8)));
};

static inline void verdict_batch_reset(struct verdict_batch *b)
{
	b->len = 0;
	b->n = 0;
}

/*
 * Append the verdict for packet id of queue num (data/len not NULL: the
 * packet replaced). 0; -ENOSPC when it does not fit now (send, reset,
 * add again); -EMSGSIZE when it could never fit.
 */
int verdict_batch_add(struct verdict_batch *b, uint16_t num, uint32_t id,
		      int verdict, const uint8_t *data, size_t len);

#endif
