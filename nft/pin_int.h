/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by pin.c and ruleset.c: the netlink socket and the batch that
 * carries one transaction to nf_tables.
 */
#ifndef FTP_ALG_PIN_INT_H
#define FTP_ALG_PIN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libmnl/libmnl.h>

/*
 * Upper bound of one message we build (an element is ~130 bytes, a queue
 * rule ~300): builders work in a scratch buffer this big, then copy.
 */
#define PIN_MSG_MAX	1024
/* Replies and dump parts: the kernel sizes a dump skb up to 32 KiB. */
#define PIN_RX_LEN	32768

struct pin_ctx {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	int sndbuf;		/* what SO_SNDBUF / SO_RCVBUF give us now */
	int rcvbuf;
	bool stale;		/* a reply may still sit in the socket */
	union {
		struct nlmsghdr h;
		char b[PIN_RX_LEN];
	} rx;
};

/*
 * One transaction: NFNL_MSG_BATCH_BEGIN, n messages (each with NLM_F_ACK),
 * NFNL_MSG_BATCH_END. After pin_batch_run(), err[i] holds the kernel's
 * answer to message i.
 */
struct pin_batch {
	struct pin_ctx *c;
	char *buf;
	size_t len, cap;
	uint32_t seq0;		/* the batch begin's */
	unsigned n;
	int *err;
	int batch_err;		/* an answer to the batch as a whole */
};

uint32_t pin_next_seq(struct pin_ctx *c);

int pin_batch_start(struct pin_ctx *c, struct pin_batch *b);
/* Room for one message at the tail (at least PIN_MSG_MAX), NULL on ENOMEM. */
char *pin_batch_room(struct pin_batch *b, size_t *room);
/* The seq the next message must carry. */
uint32_t pin_batch_seq(const struct pin_batch *b);
/* Account a message of len bytes just written at the tail. */
void pin_batch_push(struct pin_batch *b, int len);
/* Send, collect every answer; the first error (in message order) or 0. */
int pin_batch_run(struct pin_batch *b);
void pin_batch_free(struct pin_batch *b);

/* Copy a message built in scratch space to buf: its length or -ENOSPC. */
int pin_msg_copy(char *buf, size_t len, const struct nlmsghdr *nlh);

/*
 * Send one request (not batched; it must carry NLM_F_ACK or NLM_F_DUMP)
 * and hand each reply to cb until the final ack or NLMSG_DONE.
 * 0 or -errno (the kernel's error for the request).
 */
int pin_request(struct pin_ctx *c, struct nlmsghdr *nlh, mnl_cb_t cb,
		void *data);

#endif
