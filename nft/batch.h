/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inside nft/: the netlink socket to nf_tables (struct fw_sock, defined in
 * batch.c alone) and the two ways a message travels over it.
 *
 * A batch is one transaction, sent in one sendmsg():
 *
 *   NFNL_MSG_BATCH_BEGIN	seq0
 *   message 0			seq0 + 1
 *   ...
 *   message n - 1		seq0 + n	(NLM_F_ACK: this one alone)
 *   NFNL_MSG_BATCH_END		seq0 + n + 1
 *
 * The kernel applies all of it or none. It answers each message that
 * fails (with or without NLM_F_ACK), the last one (it asks), and the
 * batch begin's seq when the commit fails; all of them, or none when it
 * stops early (a malformed message). So the last message's answer says
 * every answer is in, and a message without one did not fail; nothing
 * answered is -EPROTO. (The last message's 0 alone is no commit: the
 * batch was aborted if any other answer is an error.) A request (a get
 * or a dump) goes alone, outside any batch.
 */
#ifndef FTP_ALG_NFT_BATCH_H
#define FTP_ALG_NFT_BATCH_H

#include <stddef.h>
#include <stdint.h>
#include <libmnl/libmnl.h>

#include "ftp-alg/fw.h"

/*
 * Upper bound of one message we build (an element is ~130 bytes, a queue
 * rule ~300): builders work in a scratch buffer this big, then copy.
 */
#define BATCH_MSG_MAX	1024

/* The scratch buffer of one message, aligned for its header. */
union batch_msg {
	struct nlmsghdr h;
	char b[BATCH_MSG_MAX];
};

struct batch {
	struct fw_sock *fw;
	char *buf;
	size_t len, cap;
	uint32_t seq0;		/* the batch begin's */
	unsigned n;		/* messages appended */
	size_t last;		/* offset of the last one in buf */
	/*
	 * After batch_commit(): err[i] is the kernel's answer to message i
	 * (0 or -errno); batch_err an answer to the batch as a whole.
	 */
	int *err;
	int batch_err;
};

/* Start an empty batch on fw: 0 or -ENOMEM. */
int batch_begin(struct fw_sock *fw, struct batch *b);
/* The seq the next message appended to b must carry. */
uint32_t batch_seq(const struct batch *b);
/* Append a copy of nlh, built with seq batch_seq(b): 0 or -ENOMEM. */
int batch_append(struct batch *b, const struct nlmsghdr *nlh);
/*
 * Close the batch, send it and read every answer into err[]: 0, or the
 * first error in message order, else the batch's own, else -EPROTO for a
 * message left unanswered.
 */
int batch_commit(struct batch *b);
/* Free what b holds, committed or not. */
void batch_free(struct batch *b);

/*
 * Copy a message built in a union batch_msg to buf: its length, or
 * -ENOSPC when it does not fit in len bytes.
 */
int batch_msg_copy(char *buf, size_t len, const struct nlmsghdr *nlh);

/* The portid the kernel knows fw by (events name it as their cause). */
uint32_t fw_portid(const struct fw_sock *fw);
/* The seq of the next request; never 0. */
uint32_t fw_next_seq(struct fw_sock *fw);
/*
 * Send one request (not batched; it must carry NLM_F_ACK or NLM_F_DUMP)
 * and hand each reply to cb until the final ack or NLMSG_DONE.
 * 0 or -errno (the kernel's error for the request).
 */
int fw_request(struct fw_sock *fw, struct nlmsghdr *nlh, mnl_cb_t cb,
	       void *data);
/*
 * n requests (not batched) in buf, seqs seq0 .. seq0 + n - 1, each with
 * NLM_F_ACK, in one send: cb gets each reply with its request's index
 * (<0: that request failed, -EPROTO), res[i] its outcome (0, or the
 * kernel's -errno). 0, or -errno when the exchange itself failed.
 */
typedef int (*fw_many_cb)(const struct nlmsghdr *nlh, unsigned idx,
			  void *data);
int fw_request_many(struct fw_sock *fw, const char *buf, size_t len,
		    uint32_t seq0, unsigned n, fw_many_cb cb, void *data,
		    int *res);

#endif
