// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nftables events: a second netlink socket, subscribed to
 * NFNLGRP_NFTABLES, and the sorting of what arrives there.
 *
 * Every committed transaction is announced message by message (one per
 * table, chain, rule, set or element it added or deleted), then closed by
 * NFT_MSG_NEWGEN. Each message carries the portid of the socket that
 * asked for the change: ours are ignored here, so the daemon's own
 * pinholes and queue rules never wake it up. A reload of a big ruleset is
 * hundreds of messages; the receive buffer is deep, and when it overflows
 * anyway the caller hears one OVERRUN and looks at everything.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/filter.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <libmnl/libmnl.h>

#include "ftp-alg/nftwatch.h"
#include "ftp-alg/pin.h"
#include "batch.h"

#define NFTW_RCVBUF	(8 << 20)
#define NFTW_BATCH	256	/* datagrams per nftw_read() */
#define NFTW_RX_LEN	65536

struct nftw_sock {
	struct mnl_socket *nl;
	uint32_t ignore_portid;
	/* more sockets of ours (one per worker): their changes are ours too */
	uint32_t also[NFTW_IGNORE_MAX];
	unsigned nalso;
	union {
		struct nlmsghdr h;
		char b[NFTW_RX_LEN];
	} rx;
};

/*
 * What a message type is about. The name of the table is attribute 1 in
 * all of them (NFTA_TABLE_NAME, NFTA_CHAIN_TABLE, NFTA_RULE_TABLE,
 * NFTA_SET_TABLE, NFTA_SET_ELEM_LIST_TABLE).
 */
enum nftw_obj { OBJ_NONE, OBJ_RULESET, OBJ_ELEMS };

static enum nftw_obj nftw_obj_of(uint16_t msg)
{
	switch (msg) {
	case NFT_MSG_NEWTABLE:
	case NFT_MSG_DELTABLE:
	case NFT_MSG_NEWCHAIN:
	case NFT_MSG_DELCHAIN:
	case NFT_MSG_NEWRULE:
	case NFT_MSG_DELRULE:
		return OBJ_RULESET;
	case NFT_MSG_NEWSET:
	case NFT_MSG_DELSET:
	case NFT_MSG_NEWSETELEM:
	case NFT_MSG_DELSETELEM:
		return OBJ_ELEMS;
	default:
		return OBJ_NONE;
	}
}

static int nftw_table_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **table = data;

	/* NFTA_TABLE_NAME == NFTA_CHAIN_TABLE == ... == 1 */
	if (mnl_attr_get_type(a) == NFTA_TABLE_NAME &&
	    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
		*table = a;
	return MNL_CB_OK;
}

int nftw_classify(const struct nlmsghdr *nlh, uint32_t ignore_portid,
		  struct nftw_event *ev)
{
	const struct nlattr *table = NULL;
	const struct nfgenmsg *nfg;
	enum nftw_obj obj;
	bool ours;

	memset(ev, 0, sizeof(*ev));
	ev->kind = NFTW_IGNORE;
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*nfg)))
		return -EINVAL;
	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES)
		return 0;
	nfg = mnl_nlmsg_get_payload(nlh);
	ev->msg = NFNL_MSG_TYPE(nlh->nlmsg_type);
	ev->family = nfg->nfgen_family;
	if (ignore_portid && nlh->nlmsg_pid == ignore_portid)
		return 0;
	if (ev->msg == NFT_MSG_NEWGEN) {
		ev->kind = NFTW_TXN_END;
		return 0;
	}
	obj = nftw_obj_of(ev->msg);
	if (obj == OBJ_NONE)
		return 0;
	if (mnl_attr_parse(nlh, sizeof(*nfg), nftw_table_cb, &table) < 0 ||
	    !table)
		return -EINVAL;
	snprintf(ev->table, sizeof(ev->table), "%s", mnl_attr_get_str(table));
	ours = ev->family == NFPROTO_INET && !strcmp(ev->table, PIN_TABLE);
	if (ours)
		ev->kind = NFTW_OURS;
	else if (obj == OBJ_RULESET &&
		 (ev->family == NFPROTO_IPV4 || ev->family == NFPROTO_IPV6 ||
		  ev->family == NFPROTO_INET))
		/* sets and elements of other tables: not the admin rule */
		ev->kind = NFTW_FORWARD;
	return 0;
}

/*
 * What we ignore never reaches us: a socket filter drops each message
 * whose nlmsg_pid is one of our sockets' in the kernel, so a pinhole
 * transaction (its element events and NEWGEN) does not wake the thread
 * that watches. One skb of the group holds the messages of one
 * transaction, all with its sender's portid: the first one's decides.
 * Without the filter (it could not be attached) nftw_read() still skips
 * them; it is only work saved.
 */
static void nftw_filter(struct nftw_sock *w)
{
	struct sock_filter f[NFTW_IGNORE_MAX + 4];
	uint32_t pid[NFTW_IGNORE_MAX + 1];
	unsigned n = 0, np = 0, i;
	struct sock_fprog prog;

	if (w->ignore_portid)
		pid[np++] = w->ignore_portid;
	for (i = 0; i < w->nalso; i++)
		if (w->also[i])
			pid[np++] = w->also[i];
	/* ld [nlmsg_pid]: BPF loads words in network order */
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		offsetof(struct nlmsghdr, nlmsg_pid));
	for (i = 0; i < np; i++)
		/* jeq #pid, drop (the last instruction), else the next */
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ |
			BPF_K, ntohl(pid[i]), (uint8_t)(np - i), 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0xffffffffu);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0);
	prog = (struct sock_fprog){ .len = (unsigned short)n, .filter = f };
	setsockopt(mnl_socket_get_fd(w->nl), SOL_SOCKET, SO_ATTACH_FILTER,
		   &prog, sizeof(prog));
}

int nftw_ignore(struct nftw_sock *w, const struct fw_sock *fw)
{
	if (w->nalso >= NFTW_IGNORE_MAX)
		return -ENOSPC;
	w->also[w->nalso++] = fw_portid(fw);
	nftw_filter(w);
	return 0;
}

static bool nftw_also_ours(const struct nftw_sock *w, uint32_t portid)
{
	unsigned i;

	for (i = 0; portid && i < w->nalso; i++)
		if (w->also[i] == portid)
			return true;
	return false;
}

struct nftw_sock *nftw_open(const struct fw_sock *fw)
{
	int grp = NFNLGRP_NFTABLES, rcvbuf = NFTW_RCVBUF, err;
	struct nftw_sock *w;

	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->ignore_portid = fw_portid(fw);
	w->nl = mnl_socket_open2(NETLINK_NETFILTER,
				 SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!w->nl)
		goto err_free;
	if (mnl_socket_bind(w->nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_setsockopt(w->nl, NETLINK_ADD_MEMBERSHIP, &grp,
				  sizeof(grp)) < 0)
		goto err_close;
	/* FORCE passes rmem_max; we have CAP_NET_ADMIN */
	if (setsockopt(mnl_socket_get_fd(w->nl), SOL_SOCKET, SO_RCVBUFFORCE,
		       &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(mnl_socket_get_fd(w->nl), SOL_SOCKET, SO_RCVBUF,
			   &rcvbuf, sizeof(rcvbuf));
	nftw_filter(w);
	return w;

err_close:
	err = errno;
	mnl_socket_close(w->nl);
	errno = err;
err_free:
	err = errno;
	free(w);
	errno = err;
	return NULL;
}

void nftw_close(struct nftw_sock *w)
{
	if (!w)
		return;
	mnl_socket_close(w->nl);
	free(w);
}

int nftw_fd(const struct nftw_sock *w)
{
	return mnl_socket_get_fd(w->nl);
}

int nftw_read(struct nftw_sock *w,
	      void (*fn)(const struct nftw_event *ev, void *arg), void *arg)
{
	const struct nlmsghdr *nlh;
	struct nftw_event ev;
	int count = 0, left, i;
	ssize_t n;

	for (i = 0; i < NFTW_BATCH; i++) {
		n = recv(mnl_socket_get_fd(w->nl), w->rx.b, sizeof(w->rx.b),
			 MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			if (errno != ENOBUFS)
				return -errno;
			memset(&ev, 0, sizeof(ev));
			ev.kind = NFTW_OVERRUN;
			fn(&ev, arg);
			count++;
			continue;
		}
		left = (int)n;
		for (nlh = &w->rx.h; mnl_nlmsg_ok(nlh, left);
		     nlh = mnl_nlmsg_next(nlh, &left)) {
			if (nftw_also_ours(w, nlh->nlmsg_pid))
				continue;
			if (nftw_classify(nlh, w->ignore_portid, &ev) < 0 ||
			    ev.kind == NFTW_IGNORE)
				continue;
			fn(&ev, arg);
			count++;
		}
	}
	return count;
}

const char *nftw_family_name(uint8_t family)
{
	switch (family) {
	case NFPROTO_IPV4:
		return "ip";
	case NFPROTO_IPV6:
		return "ip6";
	case NFPROTO_INET:
		return "inet";
	case NFPROTO_ARP:
		return "arp";
	case NFPROTO_BRIDGE:
		return "bridge";
	case NFPROTO_NETDEV:
		return "netdev";
	default:
		return "?";
	}
}
