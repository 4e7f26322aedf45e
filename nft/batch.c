/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The netlink socket to nf_tables, and what travels over it: batches (one
 * transaction: an answer for each failing message and one for the last)
 * and single requests. pin.c and ruleset.c build the messages; nothing
 * here knows what they say.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <linux/netfilter/nfnetlink.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>

#include "batch.h"

/* A kernel that never answers must not hang the daemon forever. */
#define FW_REPLY_TIMEOUT_S	5
/* Replies and dump parts: the kernel sizes a dump skb up to 32 KiB. */
#define FW_RX_LEN		32768
/*
 * Receive-buffer cost of one ack (skb truesize, rounded up): a batch of n
 * messages needs n of them queued at once before we read any.
 */
#define BATCH_ACK_COST		1024
/* err[] of a message the kernel has not answered (yet). */
#define BATCH_NO_ANSWER		1

struct fw_sock {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	int sndbuf;		/* what SO_SNDBUF / SO_RCVBUF give us now */
	int rcvbuf;
	bool stale;		/* a reply may still sit in the socket */
	union {
		struct nlmsghdr h;
		char b[FW_RX_LEN];
	} rx;
};

/* ---- socket ---------------------------------------------------------- */

static int fw_sockopt_get(struct fw_sock *fw, int opt, int *val)
{
	socklen_t sl = sizeof(*val);

	if (getsockopt(mnl_socket_get_fd(fw->nl), SOL_SOCKET, opt, val,
		       &sl) < 0)
		return -errno;
	return 0;
}

struct fw_sock *fw_open(void)
{
	struct timeval tv = { .tv_sec = FW_REPLY_TIMEOUT_S };
	struct fw_sock *fw;
	int one = 1, err;

	fw = calloc(1, sizeof(*fw));
	if (!fw)
		return NULL;
	fw->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!fw->nl)
		goto err_free;
	if (mnl_socket_bind(fw->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto err_close;
	/*
	 * An error ack then quotes the failed message's header only: one
	 * answer per message of a big batch stays small.
	 */
	mnl_socket_setsockopt(fw->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	if (setsockopt(mnl_socket_get_fd(fw->nl), SOL_SOCKET, SO_RCVTIMEO,
		       &tv, sizeof(tv)) < 0)
		goto err_close;
	err = fw_sockopt_get(fw, SO_SNDBUF, &fw->sndbuf);
	if (!err)
		err = fw_sockopt_get(fw, SO_RCVBUF, &fw->rcvbuf);
	if (err) {
		errno = -err;
		goto err_close;
	}
	fw->portid = mnl_socket_get_portid(fw->nl);
	fw->seq = (uint32_t)time(NULL);
	return fw;

err_close:
	err = errno;
	mnl_socket_close(fw->nl);
	errno = err;
err_free:
	err = errno;
	free(fw);
	errno = err;
	return NULL;
}

void fw_close(struct fw_sock *fw)
{
	if (!fw)
		return;
	mnl_socket_close(fw->nl);
	free(fw);
}

uint32_t fw_portid(const struct fw_sock *fw)
{
	return fw->portid;
}

/* Sequence numbers of requests; 0 would turn off mnl_cb_run's check. */
uint32_t fw_next_seq(struct fw_sock *fw)
{
	if (++fw->seq == 0)
		fw->seq = 1;
	return fw->seq;
}

/* Throw away whatever an interrupted exchange left in the socket. */
static void fw_drain(struct fw_sock *fw)
{
	while (recv(mnl_socket_get_fd(fw->nl), fw->rx.b, sizeof(fw->rx.b),
		    MSG_DONTWAIT) >= 0 ||
	       errno == EINTR || errno == ENOBUFS)
		;
	fw->stale = false;
}

/*
 * Make *cur (SO_SNDBUF or SO_RCVBUF) at least need. The FORCE variant
 * passes the rmem_max/wmem_max caps; it needs CAP_NET_ADMIN, which a
 * process that edits nftables has.
 */
static int fw_sockbuf_grow(struct fw_sock *fw, int force, int opt, int *cur,
			   size_t need)
{
	int fd = mnl_socket_get_fd(fw->nl);
	int val, err;

	if (need <= (size_t)*cur)
		return 0;
	if (need > INT_MAX / 2)
		return -EMSGSIZE;
	val = (int)need;
	if (setsockopt(fd, SOL_SOCKET, force, &val, sizeof(val)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, opt, &val, sizeof(val)) < 0)
		return -errno;
	err = fw_sockopt_get(fw, opt, cur);
	if (err)
		return err;
	return need <= (size_t)*cur ? 0 : -EMSGSIZE;
}

/*
 * The whole batch goes in one sendmsg (netlink refuses more than the send
 * buffer) and all its acks are queued before we read one (else the kernel
 * drops some, and the outcome of the batch is unknown).
 */
static int fw_sockbuf_fit(struct fw_sock *fw, size_t len, unsigned nacks)
{
	int err;

	err = fw_sockbuf_grow(fw, SO_SNDBUFFORCE, SO_SNDBUF, &fw->sndbuf,
			      len + 64);
	if (err)
		return err;
	return fw_sockbuf_grow(fw, SO_RCVBUFFORCE, SO_RCVBUF, &fw->rcvbuf,
			       ((size_t)nacks + 1) * BATCH_ACK_COST);
}

/* ---- batches --------------------------------------------------------- */

static int batch_grow(struct batch *b, size_t need)
{
	size_t cap = b->cap;
	char *p;

	while (cap - b->len < need)
		cap *= 2;
	if (cap == b->cap)
		return 0;
	p = realloc(b->buf, cap);
	if (!p)
		return -ENOMEM;
	b->buf = p;
	b->cap = cap;
	return 0;
}

int batch_begin(struct fw_sock *fw, struct batch *b)
{
	struct nlmsghdr *nlh;

	memset(b, 0, sizeof(*b));
	b->fw = fw;
	b->cap = 4 * BATCH_MSG_MAX;
	b->buf = malloc(b->cap);
	if (!b->buf)
		return -ENOMEM;
	b->seq0 = fw_next_seq(fw);
	nlh = nftnl_batch_begin(b->buf, b->seq0);
	b->len = nlh->nlmsg_len;
	return 0;
}

uint32_t batch_seq(const struct batch *b)
{
	return b->seq0 + 1 + b->n;
}

/*
 * Only the last message asks for an ack (see batch.h): the one before
 * loses its NLM_F_ACK when another follows. The kernel reports a failing
 * message whether it asked or not.
 */
int batch_append(struct batch *b, const struct nlmsghdr *nlh)
{
	struct nlmsghdr *m;

	if (batch_grow(b, nlh->nlmsg_len))
		return -ENOMEM;
	if (b->n) {
		m = (struct nlmsghdr *)(b->buf + b->last);
		m->nlmsg_flags &= (uint16_t)~NLM_F_ACK;
	}
	b->last = b->len;
	m = (struct nlmsghdr *)(b->buf + b->len);
	memcpy(m, nlh, nlh->nlmsg_len);
	m->nlmsg_flags |= NLM_F_ACK;
	b->len += nlh->nlmsg_len;
	b->n++;
	return 0;
}

void batch_free(struct batch *b)
{
	free(b->buf);
	free(b->err);
	b->buf = NULL;
	b->err = NULL;
}

/* Append the batch end and make room for every answer. */
static int batch_end(struct batch *b)
{
	struct nlmsghdr *nlh;
	unsigned i;

	if (batch_grow(b, BATCH_MSG_MAX))
		return -ENOMEM;
	nlh = nftnl_batch_end(b->buf + b->len, batch_seq(b));
	b->len += nlh->nlmsg_len;
	b->fw->seq = batch_seq(b);

	b->err = malloc(((size_t)b->n + 1) * sizeof(*b->err));
	if (!b->err)
		return -ENOMEM;
	for (i = 0; i < b->n; i++)
		b->err[i] = BATCH_NO_ANSWER;
	b->batch_err = 0;
	return 0;
}

/* Record one answer: to message i of the batch, or to the batch begin. */
static void batch_note(struct batch *b, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	uint32_t i;

	if (nlh->nlmsg_type != NLMSG_ERROR ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
		return;
	/* unsigned: correct across a wrap of the sequence numbers */
	i = nlh->nlmsg_seq - b->seq0;
	if (i == 0) {
		/* commit failed, or the batch as a whole was refused */
		if (!b->batch_err)
			b->batch_err = e->error;
	} else if (i <= b->n) {
		b->err[i - 1] = e->error;
	}
}

/*
 * nfnetlink handles a batch within our sendmsg(): when it returns, every
 * answer is queued, so read until the socket is empty.
 */
static int batch_read_acks(struct batch *b)
{
	int fd = mnl_socket_get_fd(b->fw->nl);
	const struct nlmsghdr *nlh;
	char *buf = b->fw->rx.b;
	ssize_t n;
	int left;

	for (;;) {
		n = recv(fd, buf, sizeof(b->fw->rx.b), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			/* ENOBUFS: answers were lost */
			return -errno;
		}
		left = (int)n;
		nlh = (const struct nlmsghdr *)buf;
		while (mnl_nlmsg_ok(nlh, left)) {
			batch_note(b, nlh);
			nlh = mnl_nlmsg_next(nlh, &left);
		}
	}
}

/*
 * What the answers add up to (see batch_commit()). The kernel handles
 * the messages in order and answers all of them or none (its list of
 * answers is dropped when it stops early): with the last one answered,
 * a message without an answer was one that did not fail.
 */
static int batch_outcome(struct batch *b)
{
	unsigned i;

	if (b->n && b->err[b->n - 1] != BATCH_NO_ANSWER)
		for (i = 0; i + 1 < b->n; i++)
			if (b->err[i] == BATCH_NO_ANSWER)
				b->err[i] = 0;

	for (i = 0; i < b->n; i++)
		if (b->err[i] < 0)
			return b->err[i];
	if (b->batch_err < 0)
		return b->batch_err;
	for (i = 0; i < b->n; i++)
		if (b->err[i] == BATCH_NO_ANSWER)
			return -EPROTO;
	return 0;
}

int batch_commit(struct batch *b)
{
	struct fw_sock *fw = b->fw;
	int err;

	err = batch_end(b);
	if (!err)
		err = fw_sockbuf_fit(fw, b->len, b->n);
	if (err)
		return err;
	if (fw->stale)
		fw_drain(fw);
	if (mnl_socket_sendto(fw->nl, b->buf, b->len) < 0)
		return -errno;
	err = batch_read_acks(b);
	if (err) {
		/* some answers may still come: drop them before the next */
		fw->stale = true;
		return err;
	}
	return batch_outcome(b);
}

/* ---- single requests ------------------------------------------------- */

int fw_request(struct fw_sock *fw, struct nlmsghdr *nlh, mnl_cb_t cb,
	       void *data)
{
	uint32_t seq = nlh->nlmsg_seq;
	int ret = MNL_CB_OK;
	ssize_t n;

	if (fw->stale)
		fw_drain(fw);
	if (mnl_socket_sendto(fw->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	/* until the final answer is read */
	fw->stale = true;
	while (ret > MNL_CB_STOP) {
		n = mnl_socket_recvfrom(fw->nl, fw->rx.b, sizeof(fw->rx.b));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		}
		ret = mnl_cb_run(fw->rx.b, (size_t)n, seq, fw->portid, cb,
				 data);
	}
	if (ret < 0)
		return errno ? -errno : -EPROTO;
	fw->stale = false;
	return 0;
}

int fw_request_many(struct fw_sock *fw, const char *buf, size_t len,
		    uint32_t seq0, unsigned n, fw_many_cb cb, void *data,
		    int *res)
{
	const struct nlmsghdr *nlh;
	unsigned pending = n, i;
	uint32_t idx;
	ssize_t got;
	int left;

	for (i = 0; i < n; i++)
		res[i] = -EINPROGRESS;
	if (fw->stale)
		fw_drain(fw);
	/* all the answers wait in the socket before the first is read:
	 * two skbs each (the reply and the ack), ~1 KiB of truesize each */
	fw_sockbuf_grow(fw, SO_RCVBUFFORCE, SO_RCVBUF, &fw->rcvbuf,
			(size_t)n * 2048 + FW_RX_LEN);
	if (mnl_socket_sendto(fw->nl, buf, len) < 0)
		return -errno;
	fw->stale = true;
	while (pending) {
		got = mnl_socket_recvfrom(fw->nl, fw->rx.b, sizeof(fw->rx.b));
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		}
		left = (int)got;
		for (nlh = &fw->rx.h; mnl_nlmsg_ok(nlh, left);
		     nlh = mnl_nlmsg_next(nlh, &left)) {
			idx = nlh->nlmsg_seq - seq0;
			if (nlh->nlmsg_pid != fw->portid || idx >= n ||
			    res[idx] != -EINPROGRESS)
				continue;	/* not one of these */
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e =
					mnl_nlmsg_get_payload(nlh);

				/* the ack (0) or the request's error */
				res[idx] = e->error;
				pending--;
			} else if (cb(nlh, idx, data) < 0) {
				res[idx] = -EPROTO;
				pending--;
			}
		}
	}
	fw->stale = false;
	return 0;
}

int batch_msg_copy(char *buf, size_t len, const struct nlmsghdr *nlh)
{
	if (nlh->nlmsg_len > BATCH_MSG_MAX)
		abort();	/* BATCH_MSG_MAX is too small: a bug here */
	if (nlh->nlmsg_len > len)
		return -ENOSPC;
	memcpy(buf, nlh, nlh->nlmsg_len);
	return (int)nlh->nlmsg_len;
}
