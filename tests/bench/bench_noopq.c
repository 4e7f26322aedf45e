// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench_noopq: the floor of any userspace ALG. Binds NFQUEUE queues with
 * ftp-algd's settings (alg/daemon/queue.c: copy range 0xffff, maxlen
 * 4096, FAIL_OPEN and GSO off, the same receive buffer) and accepts every
 * packet unmodified, one verdict per packet.
 *
 *   bench_noopq [-q FIRST] [-n COUNT] [-r]
 *	queues FIRST..FIRST+COUNT-1 (default 0, 1); -r (one queue only):
 *	once bound, install ftp-algd's own queue rules in chain inet
 *	ftp_alg ctl_queue (nft/ruleset.c, the same call the daemon makes),
 *	and remove them on exit
 *
 * One process per queue (forked), as ftp-algd runs one worker per queue.
 * Runs until SIGTERM; prints the packets it saw on exit.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "ftp-alg/ruleset.h"

/* the daemon's values (alg/daemon/queue.c, queue.h) */
#define NOOPQ_COPY	0xffff
#define NOOPQ_MAXLEN	4096
#define NOOPQ_RCVBUF	(NOOPQ_MAXLEN * 2048)
#define NOOPQ_BUF	(NOOPQ_COPY + 8192)

static volatile sig_atomic_t stop;
static char rbuf[NOOPQ_BUF], sbuf[8192];
static unsigned long long packets;
static bool rules;	/* -r */

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static int config(struct mnl_socket *nl, struct nlmsghdr *nlh)
{
	ssize_t n;

	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = 1;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	n = mnl_socket_recvfrom(nl, rbuf, sizeof(rbuf));
	if (n < 0)
		return -errno;
	return mnl_cb_run(rbuf, (size_t)n, 1, mnl_socket_get_portid(nl),
			  NULL, NULL) < 0 ? -errno : 0;
}

static int verdict(struct mnl_socket *nl, uint16_t num, uint32_t id)
{
	struct nlmsghdr *nlh = nfq_nlmsg_put(sbuf, NFQNL_MSG_VERDICT, num);

	nfq_nlmsg_verdict_put(nlh, (int)id, NF_ACCEPT);
	return mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0 ? -errno : 0;
}

static int on_packet(const struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *attr[NFQA_MAX + 1] = { NULL };
	struct nfqnl_msg_packet_hdr *ph;
	struct mnl_socket *nl = arg;
	struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);

	if (nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR])
		return MNL_CB_OK;
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	packets++;
	if (verdict(nl, ntohs(g->res_id), ntohl(ph->packet_id)) < 0)
		return MNL_CB_ERROR;
	return MNL_CB_OK;
}

static int serve(uint16_t num)
{
	int rcvbuf = NOOPQ_RCVBUF, err;
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	ssize_t n;

	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("bench_noopq: netlink");
		return 1;
	}
	if (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE,
		       &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUF,
			   &rcvbuf, sizeof(rcvbuf));
	/* one message, as ftp-algd binds: the queue never has other
	 * settings */
	nlh = nfq_nlmsg_put(sbuf, NFQNL_MSG_CONFIG, num);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_BIND);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, NOOPQ_COPY);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, NOOPQ_MAXLEN);
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(0));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK,
			 htonl(NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO));
	err = config(nl, nlh);
	if (err) {
		fprintf(stderr, "bench_noopq: bind queue %u: %s\n", num,
			strerror(-err));
		return 1;
	}
	fprintf(stderr, "bench_noopq: queue %u bound\n", num);
	if (rules) {
		struct fw_sock *fw = fw_open();
		bool native;

		err = fw ? ruleset_queue_install(fw, num, &native) : -errno;
		if (fw)
			fw_close(fw);
		if (err) {
			fprintf(stderr, "bench_noopq: queue rules: %s\n",
				strerror(-err));
			return 1;
		}
		fprintf(stderr, "bench_noopq: queue rules installed (%s)\n",
			native ? "queue expression" : "xt NFQUEUE");
	}
	while (!stop) {
		n = mnl_socket_recvfrom(nl, rbuf, sizeof(rbuf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				fprintf(stderr, "bench_noopq: ENOBUFS\n");
				continue;
			}
			perror("bench_noopq: recv");
			return 1;
		}
		if (mnl_cb_run(rbuf, (size_t)n, 0, 0, on_packet, nl) < 0) {
			perror("bench_noopq: verdict");
			return 1;
		}
	}
	if (rules) {
		struct fw_sock *fw = fw_open();

		if (!fw || ruleset_queue_remove(fw))
			fprintf(stderr, "bench_noopq: queue rules stay\n");
		if (fw)
			fw_close(fw);
	}
	nlh = nfq_nlmsg_put(sbuf, NFQNL_MSG_CONFIG, num);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_UNBIND);
	mnl_socket_sendto(nl, nlh, nlh->nlmsg_len);
	mnl_socket_close(nl);
	fprintf(stderr, "bench_noopq: queue %u: %llu packets\n", num,
		packets);
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_term };
	unsigned first = 0, count = 1, i;
	int opt, rc = 0, st;
	pid_t *kids;

	while ((opt = getopt(argc, argv, "q:n:r")) != -1) {
		switch (opt) {
		case 'q':
			first = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'n':
			count = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'r':
			rules = true;
			break;
		default:
			fprintf(stderr, "usage: bench_noopq [-q FIRST] "
				"[-n COUNT] [-r]\n");
			return 2;
		}
	}
	if (!count || first + count > 65536 || (rules && count > 1)) {
		fprintf(stderr, "bench_noopq: bad queue range\n");
		return 2;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (count == 1)
		return serve((uint16_t)first);
	kids = calloc(count, sizeof(*kids));
	if (!kids)
		return 1;
	for (i = 0; i < count; i++) {
		kids[i] = fork();
		if (kids[i] == 0)
			return serve((uint16_t)(first + i));
		if (kids[i] < 0)
			rc = 1;
	}
	while (!stop)
		pause();
	for (i = 0; i < count; i++) {
		if (kids[i] <= 0)
			continue;
		kill(kids[i], SIGTERM);
		if (waitpid(kids[i], &st, 0) > 0 &&
		    (!WIFEXITED(st) || WEXITSTATUS(st)))
			rc = 1;
	}
	free(kids);
	return rc;
}
