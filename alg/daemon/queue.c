// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * NFQUEUE with libnetfilter_queue's libmnl-based helpers: one netlink
 * socket per queue, packets in, verdicts out.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "queue.h"
#include "verdict_batch.h"

#define QUEUE_COPY	0xffff
/* a whole packet plus the netlink and nfqueue headers around it */
#define QUEUE_BUF_LEN	(QUEUE_COPY + 8192)
/*
 * Receive buffer: when the kernel cannot append a packet message to it,
 * that packet is dropped (we are not fail-open), so it must hold a burst:
 * up to QUEUE_MAXLEN queued packets while we wait on an nftables
 * round-trip for a pinhole. Netlink charges each message its skb
 * truesize, ~2 KiB even for a 60-byte ACK, so the default (~200 KiB,
 * about a hundred packets) is far too small. SO_RCVBUFFORCE because the
 * default rmem_max would cap SO_RCVBUF.
 */
#define QUEUE_RCVBUF	(QUEUE_MAXLEN * 2048)

struct queue {
	struct mnl_socket *nl;
	uint32_t portid;
	uint16_t num;
	struct queue_stats st;
	/* netlink headers are read in place: keep them aligned */
	char rbuf[QUEUE_BUF_LEN] __attribute__((aligned(8)));
	char sbuf[QUEUE_BUF_LEN] __attribute__((aligned(8)));
	struct verdict_batch vb;	/* verdicts not sent yet */
	queue_presend_fn presend;	/* before any verdict leaves */
	void *presend_arg;
};

/* Whatever the verdicts about to leave depend on goes first. */
static void queue_presend(struct queue *q)
{
	if (q->presend)
		q->presend(q->presend_arg);
}

static void queue_pass(struct queue *q, const struct nlmsghdr *nlh);

/*
 * Send one config message and wait for the kernel's ACK. Rules left by
 * an earlier run may queue packets to us as soon as we are bound, before
 * the ACK arrives: those are passed unmodified (no session exists yet,
 * so there is nothing to adjust; "bypass" let them through a moment
 * ago), never left waiting for a verdict that would not come.
 */
static int queue_config(struct queue *q, struct nlmsghdr *nlh)
{
	const struct nlmsghdr *m;
	ssize_t n;
	int left;

	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = 1;
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(q->nl, q->rbuf, sizeof(q->rbuf));
		if (n < 0)
			return -errno;
		left = (int)n;
		for (m = (const struct nlmsghdr *)q->rbuf;
		     mnl_nlmsg_ok(m, left); m = mnl_nlmsg_next(m, &left)) {
			const struct nlmsgerr *e;

			if (m->nlmsg_type != NLMSG_ERROR) {
				queue_pass(q, m);
				continue;
			}
			if (m->nlmsg_seq != 1)
				continue;
			e = mnl_nlmsg_get_payload(m);
			return e->error;	/* 0: the ACK */
		}
	}
}

static int queue_bind(struct queue *q)
{
	struct nlmsghdr *nlh;

	/*
	 * Bind, whole packets, a bounded queue and fail-closed, in one
	 * message so the queue never exists with other settings:
	 *  - copy range 0xffff: the engine rewrites payload, it needs it all;
	 *  - maxlen bounds kernel memory if we stall;
	 *  - FAIL_OPEN off: a packet accepted unmodified behind our back
	 *    would carry unadjusted seq/ack numbers into a stream whose
	 *    offsets we shifted, corrupting it; dropped, TCP resends it;
	 *  - GSO off: the kernel segments and completes checksums
	 *    (CHECKSUM_PARTIAL) before queueing, so what we see is what
	 *    goes on the wire and the incremental checksum updates hold.
	 */
	nlh = nfq_nlmsg_put(q->sbuf, NFQNL_MSG_CONFIG, q->num);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_BIND);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, QUEUE_COPY);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, QUEUE_MAXLEN);
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(0));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK,
			 htonl(NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO));
	return queue_config(q, nlh);
}

struct queue *queue_open(uint16_t num)
{
	int rcvbuf = QUEUE_RCVBUF;
	struct nlmsghdr *nlh;
	struct queue *q;
	int err, fd;

	q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->num = num;
	q->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!q->nl) {
		err = errno;
		goto err_free;
	}
	if (mnl_socket_bind(q->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = errno;
		goto err_close;
	}
	q->portid = mnl_socket_get_portid(q->nl);
	fd = mnl_socket_get_fd(q->nl);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));

	err = -queue_bind(q);
	if (err)
		goto err_close;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		err = errno;
		goto err_unbind;
	}
	return q;

err_unbind:
	nlh = nfq_nlmsg_put(q->sbuf, NFQNL_MSG_CONFIG, num);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_UNBIND);
	mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len);
err_close:
	mnl_socket_close(q->nl);
err_free:
	free(q);
	errno = err;
	return NULL;
}

void queue_close(struct queue *q)
{
	struct nlmsghdr *nlh;

	if (!q)
		return;
	queue_flush(q);
	/*
	 * Packets still queued are dropped by the kernel when the queue
	 * goes (closing the socket would do the same); the caller has
	 * already removed the rules that queue new ones.
	 */
	nlh = nfq_nlmsg_put(q->sbuf, NFQNL_MSG_CONFIG, q->num);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_UNBIND);
	mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len);
	mnl_socket_close(q->nl);
	free(q);
}

int queue_fd(const struct queue *q)
{
	return mnl_socket_get_fd(q->nl);
}

const struct queue_stats *queue_stats(const struct queue *q)
{
	return &q->st;
}

void queue_set_presend(struct queue *q, queue_presend_fn fn, void *arg)
{
	q->presend = fn;
	q->presend_arg = arg;
}

static void queue_packet(struct queue *q, const struct nlmsghdr *nlh,
			 queue_cb cb, void *arg)
{
	struct nlattr *attr[NFQA_MAX + 1] = { NULL };
	struct nfqnl_msg_packet_hdr *ph;
	bool truncated = false;
	const uint8_t *data;
	uint16_t len;

	if (nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR] ||
	    mnl_attr_get_payload_len(attr[NFQA_PACKET_HDR]) < sizeof(*ph))
		return;
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	q->st.packets++;
	if (attr[NFQA_PAYLOAD]) {
		data = mnl_attr_get_payload(attr[NFQA_PAYLOAD]);
		len = mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]);
	} else {
		data = NULL;
		len = 0;
	}
	/* CAP_LEN is the real length, sent only when it exceeds ours */
	if (attr[NFQA_CAP_LEN] &&
	    ntohl(mnl_attr_get_u32(attr[NFQA_CAP_LEN])) > len) {
		truncated = true;
		q->st.truncated++;
	}
	cb(ntohl(ph->packet_id), ph->hook, data, len, truncated, arg);
}

static void queue_pass(struct queue *q, const struct nlmsghdr *nlh)
{
	struct nlattr *attr[NFQA_MAX + 1] = { NULL };
	struct nfqnl_msg_packet_hdr *ph;
	char buf[256] __attribute__((aligned(8)));
	struct nlmsghdr *v;

	if (nlh->nlmsg_type != ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET) ||
	    nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR] ||
	    mnl_attr_get_payload_len(attr[NFQA_PACKET_HDR]) < sizeof(*ph))
		return;
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	v = nfq_nlmsg_put(buf, NFQNL_MSG_VERDICT, q->num);
	nfq_nlmsg_verdict_put(v, (int)ntohl(ph->packet_id), NF_ACCEPT);
	queue_presend(q);
	mnl_socket_sendto(q->nl, v, v->nlmsg_len);
}

int queue_read(struct queue *q, unsigned max, queue_cb cb, void *arg)
{
	const struct nlmsghdr *nlh;
	unsigned count = 0;
	ssize_t n;
	int left;

	while (count < max) {
		n = mnl_socket_recvfrom(q->nl, q->rbuf, sizeof(q->rbuf));
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			/*
			 * The kernel could not deliver packets to us and
			 * dropped them (fail-closed): count, go on; TCP
			 * resends.
			 */
			if (errno == ENOBUFS) {
				q->st.enobufs++;
				continue;
			}
			return -errno;
		}
		left = (int)n;
		for (nlh = (const struct nlmsghdr *)q->rbuf;
		     mnl_nlmsg_ok(nlh, left);
		     nlh = mnl_nlmsg_next(nlh, &left)) {
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e =
					mnl_nlmsg_get_payload(nlh);

				/* a verdict the kernel refused (stale id) */
				if (e->error)
					q->st.verdict_err++;
				continue;
			}
			if (nlh->nlmsg_type ==
			    ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET)) {
				queue_packet(q, nlh, cb, arg);
				count++;
			}
		}
	}
	return (int)count;
}

/*
 * One message at a time, after the send of all of them failed (say, no
 * memory for one large buffer): a verdict that never arrives leaves its
 * packet queued until we unbind, so each gets its own chance.
 */
static int queue_send_each(struct queue *q)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)q->vb.buf;
	int left = (int)q->vb.len, ret = 0;

	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0) {
			ret = -errno;
			q->st.verdict_err++;
			continue;
		}
		q->st.verdicts++;
		q->st.verdict_sends++;
	}
	return ret;
}

/* One send for every verdict gathered: 0 or -errno. */
int queue_flush(struct queue *q)
{
	int ret = 0;

	if (!q->vb.n)
		return 0;
	queue_presend(q);
	if (mnl_socket_sendto(q->nl, q->vb.buf, q->vb.len) >= 0) {
		q->st.verdicts += q->vb.n;
		q->st.verdict_sends++;
	} else {
		ret = q->vb.n > 1 ? queue_send_each(q) : -errno;
		if (q->vb.n == 1)
			q->st.verdict_err++;
	}
	verdict_batch_reset(&q->vb);
	return ret;
}

int queue_verdict(struct queue *q, uint32_t id, int verdict,
		  const uint8_t *data, size_t len)
{
	int ret;

	if (data && len > QUEUE_COPY)
		return -EMSGSIZE;
	ret = verdict_batch_add(&q->vb, q->num, id, verdict, data, len);
	if (ret == -ENOSPC) {
		/* the gathered ones first: verdicts leave in their order */
		ret = queue_flush(q);
		if (ret)
			return ret;
		ret = verdict_batch_add(&q->vb, q->num, id, verdict, data,
					len);
	}
	return ret;
}
