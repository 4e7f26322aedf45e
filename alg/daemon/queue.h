/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One NFQUEUE queue through libnetfilter_queue's libmnl-based API: bind,
 * receive packets, send verdicts (with a replacement packet when the
 * engine rewrote one), unbind.
 */
#ifndef FTP_ALG_QUEUE_H
#define FTP_ALG_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QUEUE_MAXLEN	4096	/* packets the kernel queues for us */

struct queue;

struct queue_stats {
	uint64_t packets;	/* packet messages received */
	uint64_t enobufs;	/* times the kernel could not deliver one */
	uint64_t verdicts;
	uint64_t verdict_sends;	/* sendmsg()s that carried them */
	uint64_t verdict_err;	/* sends that failed or were refused */
	uint64_t truncated;	/* packets bigger than what we were given */
};

/* Bind queue num. NULL with errno (EBUSY: someone else has it). */
struct queue *queue_open(uint16_t num);
/* Unbind and close. */
void queue_close(struct queue *q);
int queue_fd(const struct queue *q);
const struct queue_stats *queue_stats(const struct queue *q);

/*
 * Called before every send of verdicts (queue_flush(), and a flush
 * queue_verdict() does itself when its buffer is full): what the
 * verdicts depend on goes first. NULL: none.
 */
typedef void (*queue_presend_fn)(void *arg);
void queue_set_presend(struct queue *q, queue_presend_fn fn, void *arg);

/*
 * A queued packet: data[0..len) starts at the IP header and points into
 * the receive buffer (valid during the callback only). truncated: the
 * kernel gave us less than the whole packet; it must not be rewritten.
 * hook: the netfilter hook that queued it (NF_INET_FORWARD for control
 * connections, NF_INET_PRE_ROUTING for chain pin_catch's SYNs).
 */
typedef void (*queue_cb)(uint32_t id, uint8_t hook, const uint8_t *data,
			 size_t len, bool truncated, void *arg);

/*
 * Receive up to max packets without blocking, calling cb for each.
 * Returns how many were handled, or -errno on a socket error (ENOBUFS is
 * counted, not returned).
 */
int queue_read(struct queue *q, unsigned max, queue_cb cb, void *arg);

/*
 * Verdict NF_ACCEPT or NF_DROP for packet id; data/len (not NULL) replaces
 * the packet (copied: the caller's buffer may change at once). Gathered,
 * sent by queue_flush() (or sooner, when the gathered ones fill the
 * buffer), in the order given. 0 or -errno.
 */
int queue_verdict(struct queue *q, uint32_t id, int verdict,
		  const uint8_t *data, size_t len);
/*
 * Send the gathered verdicts in one sendmsg(): after each batch of
 * packets, and before anything that may block (an nftables batch, a
 * conntrack query), so no verdict waits on another packet's round trip.
 * 0 or -errno.
 */
int queue_flush(struct queue *q);

#endif
