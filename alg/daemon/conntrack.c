// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctnetlink with libmnl: read the NAT mapping of a control connection,
 * make one entry's TCP window tracking liberal, follow destroy events.
 *
 * Why we ask instead of being told: this kernel has no
 * CONFIG_NETFILTER_NETLINK_GLUE_CT, so queued packets come without their
 * conntrack (NFQA_CT). One query per control connection, made at its first
 * payload packet: by then the SYN has left POSTROUTING and the entry is
 * confirmed with its final NAT tuples.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/filter.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nf_conntrack_tcp.h>

#include "conntrack.h"
#include "ftp-alg/pin.h"

/*
 * The query socket blocks (the data path waits for the answer, which the
 * kernel gives at once); the timeout only bounds the damage if it does
 * not.
 */
#define CT_QUERY_TIMEOUT_MS	500
/*
 * Destroy events for every connection of the router arrive here, not only
 * FTP ones: a deep buffer rides out a burst (a conntrack flush, a port
 * scan timing out) while we are busy with a queue burst.
 */
#define CT_EVENT_RCVBUF		(4 << 20)
#define CT_EVENT_BATCH		256	/* datagrams per read call */
#define CT_RBUF_LEN		32768

struct ct_ctx {
	struct mnl_socket *q;	/* queries, blocking with a timeout */
	struct mnl_socket *ev;	/* destroy events, non-blocking */
	uint32_t qport;
	uint32_t seq;
	uint64_t enobufs;
	uint64_t events;	/* destroy events read */
	uint16_t first;		/* the tuple that answered last: ask it first */
	char rbuf[CT_RBUF_LEN] __attribute__((aligned(8)));
};

void ct_tuple_reverse(const struct ct_tuple *t, struct ct_tuple *r)
{
	*r = *t;
	r->src = t->dst;
	r->dst = t->src;
	r->sport = t->dport;
	r->dport = t->sport;
}

static struct nlmsghdr *ct_msg_start(char *buf, size_t len, uint16_t type,
				     uint16_t flags, uint32_t seq, int family)
{
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;

	if (len < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*nfg)))
		return NULL;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = (uint8_t)family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	return nlh;
}

/*
 * CTA_TUPLE_xxx { CTA_TUPLE_IP { SRC, DST },
 *                 CTA_TUPLE_PROTO { NUM, SRC_PORT, DST_PORT } }
 */
static bool ct_put_tuple(struct nlmsghdr *nlh, size_t len, uint16_t which,
			 const struct ct_tuple *t)
{
	struct nlattr *tup, *ip, *proto;

	tup = mnl_attr_nest_start_check(nlh, len, which);
	if (!tup)
		return false;
	ip = mnl_attr_nest_start_check(nlh, len, CTA_TUPLE_IP);
	if (!ip)
		return false;
	if (t->family == AF_INET) {
		/* addresses stay in network order, as the kernel wants */
		if (!mnl_attr_put_u32_check(nlh, len, CTA_IP_V4_SRC,
					    t->src.v4.s_addr) ||
		    !mnl_attr_put_u32_check(nlh, len, CTA_IP_V4_DST,
					    t->dst.v4.s_addr))
			return false;
	} else {
		if (!mnl_attr_put_check(nlh, len, CTA_IP_V6_SRC, 16,
					&t->src.v6) ||
		    !mnl_attr_put_check(nlh, len, CTA_IP_V6_DST, 16,
					&t->dst.v6))
			return false;
	}
	mnl_attr_nest_end(nlh, ip);
	proto = mnl_attr_nest_start_check(nlh, len, CTA_TUPLE_PROTO);
	if (!proto)
		return false;
	if (!mnl_attr_put_u8_check(nlh, len, CTA_PROTO_NUM, t->proto) ||
	    !mnl_attr_put_u16_check(nlh, len, CTA_PROTO_SRC_PORT,
				    htons(t->sport)) ||
	    !mnl_attr_put_u16_check(nlh, len, CTA_PROTO_DST_PORT,
				    htons(t->dport)))
		return false;
	mnl_attr_nest_end(nlh, proto);
	mnl_attr_nest_end(nlh, tup);
	return true;
}

int ct_build_get(char *buf, size_t len, uint32_t seq, uint16_t which,
		 const struct ct_tuple *t)
{
	struct nlmsghdr *nlh;

	/* conntrack -G: look one entry up by a tuple of either direction */
	nlh = ct_msg_start(buf, len, IPCTNL_MSG_CT_GET, NLM_F_ACK, seq,
			   t->family);
	if (!nlh || !ct_put_tuple(nlh, len, which, t))
		return -ENOSPC;
	return (int)nlh->nlmsg_len;
}

int ct_build_liberal(char *buf, size_t len, uint32_t seq, uint16_t which,
		     const struct ct_tuple *t)
{
	/* seen[dir].flags = (flags & ~mask) | (BE_LIBERAL & mask) */
	const struct nf_ct_tcp_flags lib = {
		.flags = IP_CT_TCP_FLAG_BE_LIBERAL,
		.mask = IP_CT_TCP_FLAG_BE_LIBERAL,
	};
	struct nlattr *pi, *tcp;
	struct nlmsghdr *nlh;

	/*
	 * CT_NEW without NLM_F_CREATE updates an existing entry and fails
	 * with ENOENT otherwise: we never create a conntrack entry.
	 */
	nlh = ct_msg_start(buf, len, IPCTNL_MSG_CT_NEW, NLM_F_ACK, seq,
			   t->family);
	if (!nlh || !ct_put_tuple(nlh, len, which, t))
		return -ENOSPC;
	pi = mnl_attr_nest_start_check(nlh, len, CTA_PROTOINFO);
	if (!pi)
		return -ENOSPC;
	tcp = mnl_attr_nest_start_check(nlh, len, CTA_PROTOINFO_TCP);
	if (!tcp)
		return -ENOSPC;
	/*
	 * Both directions: the window check looks at the sender's flags,
	 * and after a rewrite both peers acknowledge bytes conntrack never
	 * saw.
	 */
	if (!mnl_attr_put_check(nlh, len, CTA_PROTOINFO_TCP_FLAGS_ORIGINAL,
				sizeof(lib), &lib) ||
	    !mnl_attr_put_check(nlh, len, CTA_PROTOINFO_TCP_FLAGS_REPLY,
				sizeof(lib), &lib))
		return -ENOSPC;
	mnl_attr_nest_end(nlh, tcp);
	mnl_attr_nest_end(nlh, pi);
	/*
	 * The same message marks the entry adjusted: mark = (mark & ~m) ^ v
	 * with m = v = the bit, i.e. mark |= the bit, other bits untouched.
	 */
	if (!mnl_attr_put_u32_check(nlh, len, CTA_MARK,
				    htonl(PIN_CT_MARK_ADJUSTED)) ||
	    !mnl_attr_put_u32_check(nlh, len, CTA_MARK_MASK,
				    htonl(PIN_CT_MARK_ADJUSTED)))
		return -ENOSPC;
	return (int)nlh->nlmsg_len;
}

/* Collect the attributes of one nest level by type, checking payloads. */
struct ct_attrs {
	const struct nlattr *tb[CTA_MAX + 1];
	uint16_t max;
	/* expected payload lengths, 0 = nested, unlisted = any */
	const int *lens;
};

static int ct_attr_cb(const struct nlattr *a, void *data)
{
	struct ct_attrs *as = data;
	uint16_t type = mnl_attr_get_type(a);
	int want;

	if (mnl_attr_type_valid(a, as->max) < 0)
		return MNL_CB_OK;	/* newer kernel, unknown attribute */
	want = as->lens ? as->lens[type] : -1;
	if (want == 0 && mnl_attr_validate(a, MNL_TYPE_NESTED) < 0)
		return MNL_CB_ERROR;
	if (want > 0 && mnl_attr_get_payload_len(a) != (uint16_t)want)
		return MNL_CB_ERROR;
	as->tb[type] = a;
	return MNL_CB_OK;
}

static int ct_parse_nest(const struct nlattr *nest, uint16_t max,
			 const int *lens, struct ct_attrs *as)
{
	memset(as, 0, sizeof(*as));
	as->max = max;
	as->lens = lens;
	return mnl_attr_parse_nested(nest, ct_attr_cb, as) < 0 ? -EINVAL : 0;
}

static const int ct_tuple_lens[CTA_MAX + 1] = {
	[CTA_TUPLE_IP] = 0, [CTA_TUPLE_PROTO] = 0,
	[CTA_TUPLE_ZONE] = 2,
};
static const int ct_ip_lens[CTA_MAX + 1] = {
	[CTA_IP_V4_SRC] = 4, [CTA_IP_V4_DST] = 4,
	[CTA_IP_V6_SRC] = 16, [CTA_IP_V6_DST] = 16,
};
static const int ct_proto_lens[CTA_MAX + 1] = {
	[CTA_PROTO_NUM] = 1, [CTA_PROTO_SRC_PORT] = 2,
	[CTA_PROTO_DST_PORT] = 2,
	[CTA_PROTO_ICMP_ID] = 2, [CTA_PROTO_ICMP_TYPE] = 1,
	[CTA_PROTO_ICMP_CODE] = 1,
};

static int ct_parse_tuple(const struct nlattr *nest, int family,
			  struct ct_tuple *t)
{
	struct ct_attrs tup, ip, proto;
	const struct nlattr *sp, *dp;

	memset(t, 0, sizeof(*t));
	t->family = family;
	if (ct_parse_nest(nest, CTA_TUPLE_MAX, ct_tuple_lens, &tup) ||
	    !tup.tb[CTA_TUPLE_IP] || !tup.tb[CTA_TUPLE_PROTO])
		return -EINVAL;
	if (ct_parse_nest(tup.tb[CTA_TUPLE_IP], CTA_IP_MAX, ct_ip_lens, &ip) ||
	    ct_parse_nest(tup.tb[CTA_TUPLE_PROTO], CTA_PROTO_MAX,
			  ct_proto_lens, &proto))
		return -EINVAL;
	if (family == AF_INET) {
		if (!ip.tb[CTA_IP_V4_SRC] || !ip.tb[CTA_IP_V4_DST])
			return -EINVAL;
		memcpy(&t->src.v4, mnl_attr_get_payload(ip.tb[CTA_IP_V4_SRC]),
		       4);
		memcpy(&t->dst.v4, mnl_attr_get_payload(ip.tb[CTA_IP_V4_DST]),
		       4);
	} else if (family == AF_INET6) {
		if (!ip.tb[CTA_IP_V6_SRC] || !ip.tb[CTA_IP_V6_DST])
			return -EINVAL;
		memcpy(&t->src.v6, mnl_attr_get_payload(ip.tb[CTA_IP_V6_SRC]),
		       16);
		memcpy(&t->dst.v6, mnl_attr_get_payload(ip.tb[CTA_IP_V6_DST]),
		       16);
	} else {
		return -EINVAL;
	}
	if (!proto.tb[CTA_PROTO_NUM])
		return -EINVAL;
	sp = proto.tb[CTA_PROTO_SRC_PORT];
	dp = proto.tb[CTA_PROTO_DST_PORT];
	t->proto = mnl_attr_get_u8(proto.tb[CTA_PROTO_NUM]);
	/* a TCP tuple without its ports would match the wrong session */
	if (t->proto == IPPROTO_TCP && (!sp || !dp))
		return -EINVAL;
	t->sport = sp ? ntohs(mnl_attr_get_u16(sp)) : 0;
	t->dport = dp ? ntohs(mnl_attr_get_u16(dp)) : 0;
	return 0;
}

static int ct_top_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, CTA_MAX) < 0)
		return MNL_CB_OK;
	if ((type == CTA_TUPLE_ORIG || type == CTA_TUPLE_REPLY) &&
	    mnl_attr_validate(a, MNL_TYPE_NESTED) < 0)
		return MNL_CB_ERROR;
	tb[type] = a;
	return MNL_CB_OK;
}

int ct_parse(const struct nlmsghdr *nlh, struct ct_entry *e)
{
	const struct nlattr *tb[CTA_MAX + 1] = { NULL };
	const struct nfgenmsg *nfg;

	memset(e, 0, sizeof(*e));
	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_CTNETLINK ||
	    nlh->nlmsg_len < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*nfg)))
		return -EINVAL;
	e->msg = NFNL_MSG_TYPE(nlh->nlmsg_type);
	nfg = mnl_nlmsg_get_payload(nlh);
	if (mnl_attr_parse(nlh, sizeof(*nfg), ct_top_cb, tb) < 0)
		return -EINVAL;
	if (tb[CTA_TUPLE_ORIG]) {
		if (ct_parse_tuple(tb[CTA_TUPLE_ORIG], nfg->nfgen_family,
				   &e->orig))
			return -EINVAL;
		e->has_orig = true;
	}
	if (tb[CTA_TUPLE_REPLY]) {
		if (ct_parse_tuple(tb[CTA_TUPLE_REPLY], nfg->nfgen_family,
				   &e->reply))
			return -EINVAL;
		e->has_reply = true;
	}
	if (tb[CTA_STATUS]) {
		if (mnl_attr_validate(tb[CTA_STATUS], MNL_TYPE_U32) < 0)
			return -EINVAL;
		e->status = ntohl(mnl_attr_get_u32(tb[CTA_STATUS]));
	}
	if (tb[CTA_MARK]) {
		if (mnl_attr_validate(tb[CTA_MARK], MNL_TYPE_U32) < 0)
			return -EINVAL;
		e->mark = ntohl(mnl_attr_get_u32(tb[CTA_MARK]));
	}
	return 0;
}

struct ct_ctx *ct_open(void)
{
	const struct timeval tv = {
		.tv_sec = CT_QUERY_TIMEOUT_MS / 1000,
		.tv_usec = (CT_QUERY_TIMEOUT_MS % 1000) * 1000,
	};
	int grp = NFNLGRP_CONNTRACK_DESTROY;
	int rcvbuf = CT_EVENT_RCVBUF, qbuf = CT_MANY_CHUNK * 16384;
	struct ct_ctx *c;
	int err;

	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->q = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!c->q)
		goto err_free;
	if (mnl_socket_bind(c->q, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    setsockopt(mnl_socket_get_fd(c->q), SOL_SOCKET, SO_RCVTIMEO, &tv,
		       sizeof(tv)) < 0)
		goto err_q;
	c->qport = mnl_socket_get_portid(c->q);
	/*
	 * ct_get_orig_many() sends CT_MANY_CHUNK GETs at once; the kernel
	 * answers them all before we read one, each answer an skb of a few
	 * KiB: room for all of them, or the last ones are dropped.
	 */
	setsockopt(mnl_socket_get_fd(c->q), SOL_SOCKET, SO_RCVBUFFORCE,
		   &qbuf, sizeof(qbuf));

	c->ev = mnl_socket_open2(NETLINK_NETFILTER,
				 SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!c->ev)
		goto err_q;
	if (mnl_socket_bind(c->ev, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_setsockopt(c->ev, NETLINK_ADD_MEMBERSHIP, &grp,
				  sizeof(grp)) < 0)
		goto err_ev;
	/* FORCE needs CAP_NET_ADMIN (we have it) to pass rmem_max */
	if (setsockopt(mnl_socket_get_fd(c->ev), SOL_SOCKET, SO_RCVBUFFORCE,
		       &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(mnl_socket_get_fd(c->ev), SOL_SOCKET, SO_RCVBUF,
			   &rcvbuf, sizeof(rcvbuf));
	c->seq = (uint32_t)time(NULL);
	c->first = CTA_TUPLE_ORIG;
	return c;

err_ev:
	err = errno;
	mnl_socket_close(c->ev);
	errno = err;
err_q:
	err = errno;
	mnl_socket_close(c->q);
	errno = err;
err_free:
	err = errno;
	free(c);
	errno = err;	/* the first failure's, for the caller's message */
	return NULL;
}

void ct_close(struct ct_ctx *c)
{
	if (!c)
		return;
	mnl_socket_close(c->ev);
	mnl_socket_close(c->q);
	free(c);
}

static int ct_data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ct_entry *e = data;

	if (e && ct_parse(nlh, e) < 0)
		return MNL_CB_ERROR;
	return MNL_CB_OK;
}

/*
 * Send a request built in buf and run cb over its answers until the ACK
 * (or the end of a dump).
 */
static int ct_request(struct ct_ctx *c, char *buf, int len, uint32_t seq,
		      mnl_cb_t cb, void *arg)
{
	ssize_t n;
	int ret;

	if (mnl_socket_sendto(c->q, buf, (size_t)len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(c->q, c->rbuf, sizeof(c->rbuf));
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		ret = mnl_cb_run(c->rbuf, (size_t)n, seq, c->qport, cb, arg);
		if (ret == MNL_CB_STOP)
			return 0;
		/* a late answer to a query that timed out: skip it */
		if (ret < 0 && errno == ESRCH)
			continue;
		if (ret < 0)
			return errno ? -errno : -EINVAL;
	}
}

static int ct_talk(struct ct_ctx *c, char *buf, int len, uint32_t seq,
		   struct ct_entry *e)
{
	return ct_request(c, buf, len, seq, ct_data_cb, e);
}

typedef int (*ct_builder)(char *buf, size_t len, uint32_t seq,
			  uint16_t which, const struct ct_tuple *t);

/*
 * At the forward hook the packet carries the tuple after DNAT and before
 * SNAT. Masquerade/SNAT: that is the entry's original tuple. DNAT: the
 * original tuple has the public address we never see, but the reply
 * tuple is exactly our packet reversed. Which one fits is a property of
 * the router's NAT, the same for most sessions: the one that answered
 * last is asked first, so a DNAT router pays one failed query once, not
 * two round trips per session (and the be-liberal message that follows
 * its session's NAT query hits at once).
 */
static int ct_lookup_one(struct ct_ctx *c, ct_builder build, uint16_t which,
			 const struct ct_tuple *t, struct ct_entry *e)
{
	/* a tuple and two flags need ~150 bytes; aligned for nlmsghdr */
	char buf[1024] __attribute__((aligned(8)));
	struct ct_tuple r;
	uint32_t seq;
	int len;

	if (which == CTA_TUPLE_REPLY) {
		ct_tuple_reverse(t, &r);
		t = &r;
	}
	seq = ++c->seq;
	len = build(buf, sizeof(buf), seq, which, t);
	if (len < 0)
		return len;
	return ct_talk(c, buf, len, seq, e);
}

static int ct_lookup_both(struct ct_ctx *c, ct_builder build,
			  const struct ct_tuple *t, struct ct_entry *e)
{
	uint16_t other = c->first == CTA_TUPLE_ORIG ? CTA_TUPLE_REPLY
						    : CTA_TUPLE_ORIG;
	int ret;

	ret = ct_lookup_one(c, build, c->first, t, e);
	if (ret != -ENOENT)
		return ret;
	if (e)
		memset(e, 0, sizeof(*e));
	ret = ct_lookup_one(c, build, other, t, e);
	if (!ret)
		c->first = other;
	return ret;
}

int ct_get_orig(struct ct_ctx *c, const struct ct_tuple *t,
		struct ct_entry *e)
{
	int ret;

	memset(e, 0, sizeof(*e));
	ret = ct_lookup_one(c, ct_build_get, CTA_TUPLE_ORIG, t, e);
	if (ret)
		return ret;
	return e->has_orig && e->has_reply ? 0 : -ENOENT;
}

/* One chunk of ct_get_orig_many(): its requests in one send. */
static int ct_get_chunk(struct ct_ctx *c, const struct ct_tuple *t,
			unsigned n, struct ct_entry *e, int *res)
{
	/* a GET by an IPv6 tuple is ~110 bytes; aligned for nlmsghdr */
	char buf[CT_MANY_CHUNK * 256] __attribute__((aligned(8)));
	const struct nlmsghdr *nlh;
	uint32_t seq0 = c->seq + 1, idx;
	unsigned i, pending = n;
	size_t off = 0;
	ssize_t got;
	int len, left;

	for (i = 0; i < n; i++) {
		memset(&e[i], 0, sizeof(e[i]));
		res[i] = -EINPROGRESS;
		/* conntrack -G by the original tuple */
		len = ct_build_get(buf + off, sizeof(buf) - off, ++c->seq,
				   CTA_TUPLE_ORIG, &t[i]);
		if (len < 0)
			return len;
		off += NLMSG_ALIGN((size_t)len);
	}
	if (mnl_socket_sendto(c->q, buf, off) < 0)
		return -errno;
	while (pending) {
		got = mnl_socket_recvfrom(c->q, c->rbuf, sizeof(c->rbuf));
		if (got < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		left = (int)got;
		for (nlh = (const struct nlmsghdr *)c->rbuf;
		     mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			idx = nlh->nlmsg_seq - seq0;
			/* a late answer to an earlier request: skip it */
			if (nlh->nlmsg_seq < seq0 || idx >= n ||
			    res[idx] != -EINPROGRESS)
				continue;
			if (nlh->nlmsg_type != NLMSG_ERROR) {
				if (ct_parse(nlh, &e[idx]) < 0)
					memset(&e[idx], 0, sizeof(e[idx]));
				continue;
			}
			/* the ACK ends each request: 0 after its entry */
			res[idx] = ((const struct nlmsgerr *)
				    mnl_nlmsg_get_payload(nlh))->error;
			if (!res[idx] && !(e[idx].has_orig && e[idx].has_reply))
				res[idx] = -ENOENT;
			pending--;
		}
	}
	return 0;
}

int ct_get_orig_many(struct ct_ctx *c, const struct ct_tuple *t, unsigned n,
		     struct ct_entry *e, int *res)
{
	unsigned i, k;
	int ret;

	for (i = 0; i < n; i += k) {
		k = n - i < CT_MANY_CHUNK ? n - i : CT_MANY_CHUNK;
		ret = ct_get_chunk(c, t + i, k, e + i, res + i);
		if (ret)
			return ret;
	}
	return 0;
}

int ct_query(struct ct_ctx *c, const struct ct_tuple *t, struct ct_entry *e)
{
	int ret;

	memset(e, 0, sizeof(*e));
	ret = ct_lookup_both(c, ct_build_get, t, e);
	if (ret)
		return ret;
	return e->has_orig && e->has_reply ? 0 : -ENOENT;
}

int ct_set_liberal(struct ct_ctx *c, const struct ct_tuple *t)
{
	return ct_lookup_both(c, ct_build_liberal, t, NULL);
}

int ct_build_dump_marked(char *buf, size_t len, uint32_t seq, uint32_t mark,
			 uint32_t mask)
{
	struct nlmsghdr *nlh;

	/* conntrack -L --mark MARK/MASK, both families */
	nlh = ct_msg_start(buf, len, IPCTNL_MSG_CT_GET, NLM_F_DUMP, seq,
			   AF_UNSPEC);
	if (!nlh ||
	    !mnl_attr_put_u32_check(nlh, len, CTA_MARK, htonl(mark)) ||
	    !mnl_attr_put_u32_check(nlh, len, CTA_MARK_MASK, htonl(mask)))
		return -ENOSPC;
	return (int)nlh->nlmsg_len;
}

struct ct_dump_state {
	void (*fn)(const struct ct_entry *e, void *arg);
	void *arg;
};

static int ct_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ct_dump_state *st = data;
	struct ct_entry e;

	/* an entry we cannot read is skipped, not the whole dump */
	if (ct_parse(nlh, &e) == 0 && e.has_orig && e.has_reply &&
	    e.orig.proto == IPPROTO_TCP)
		st->fn(&e, st->arg);
	return MNL_CB_OK;
}

int ct_dump_marked(struct ct_ctx *c, uint32_t mark, uint32_t mask,
		   void (*fn)(const struct ct_entry *e, void *arg), void *arg)
{
	char buf[256] __attribute__((aligned(8)));
	struct ct_dump_state st = { .fn = fn, .arg = arg };
	uint32_t seq = ++c->seq;
	int len;

	len = ct_build_dump_marked(buf, sizeof(buf), seq, mark, mask);
	if (len < 0)
		return len;
	return ct_request(c, buf, len, seq, ct_dump_cb, &st);
}

int ct_events_fd(const struct ct_ctx *c)
{
	return mnl_socket_get_fd(c->ev);
}

uint64_t ct_events_enobufs(const struct ct_ctx *c)
{
	return c->enobufs;
}

uint64_t ct_events_count(const struct ct_ctx *c)
{
	return c->events;
}

int ct_events_filter(struct ct_ctx *c, const uint16_t *ports, unsigned n)
{
	struct sock_filter f[64];
	struct sock_fprog prog;
	int len = ct_filter_build(f, 64, ports, n);

	if (len < 0)
		return len;
	prog = (struct sock_fprog){ .len = (unsigned short)len, .filter = f };
	if (setsockopt(mnl_socket_get_fd(c->ev), SOL_SOCKET, SO_ATTACH_FILTER,
		       &prog, sizeof(prog)) < 0)
		return -errno;
	return 0;
}

int ct_events_dispatch(const void *buf, size_t len,
		       void (*fn)(const struct ct_entry *e, void *arg),
		       void *arg)
{
	const struct nlmsghdr *nlh;
	int left = (int)len, count = 0;
	struct ct_entry e;

	for (nlh = buf; mnl_nlmsg_ok(nlh, left);
	     nlh = mnl_nlmsg_next(nlh, &left)) {
		if (ct_parse(nlh, &e) < 0 || e.msg != IPCTNL_MSG_CT_DELETE ||
		    !e.has_orig || !e.has_reply ||
		    e.orig.proto != IPPROTO_TCP)
			continue;
		fn(&e, arg);
		count++;
	}
	return count;
}

int ct_events_read(struct ct_ctx *c,
		   void (*fn)(const struct ct_entry *e, void *arg), void *arg)
{
	int count = 0, i;
	ssize_t n;

	for (i = 0; i < CT_EVENT_BATCH; i++) {
		n = mnl_socket_recvfrom(c->ev, c->rbuf, sizeof(c->rbuf));
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			/*
			 * The kernel dropped events: a session whose destroy
			 * we missed ends by the engine's idle timer instead.
			 */
			if (errno == ENOBUFS) {
				c->enobufs++;
				continue;
			}
			return -errno;
		}
		c->events++;
		count += ct_events_dispatch(c->rbuf, (size_t)n, fn, arg);
	}
	return count;
}
