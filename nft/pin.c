/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Pinholes and NAT mappings: elements of pin4, pin6 and dnat4 in table
 * inet ftp_alg, and the netlink plumbing (socket, batches, requests) that
 * ruleset.c shares.
 *
 * A concatenated key is laid out like the registers the rules load it
 * into: every field starts on a 4-byte boundary, a port takes the first
 * two bytes of its slot in network order and the other two are zero.
 *   pin4   peer(4) . addr(4) . port(2+2)	= 12 bytes
 *   pin6   peer(16) . addr(16) . port(2+2)	= 36 bytes
 *   dnat4  key as pin4, data addr(4) . port(2+2) = 8 bytes
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/set.h>

#include "ftp-alg/pin.h"
#include "pin_int.h"

/* A kernel that never answers must not hang the daemon forever. */
#define PIN_REPLY_TIMEOUT_S	5
/*
 * Receive-buffer cost of one ack (skb truesize, rounded up): a batch of n
 * messages needs n of them queued at once before we read any.
 */
#define PIN_ACK_COST		1024
/* err[] of a message the kernel has not answered (yet). */
#define PIN_NO_ANSWER		1
/* Largest concatenation: peer(16) . addr(16) . port(4). */
#define PIN_KEY_MAX		36

/* ---- socket ---------------------------------------------------------- */

static int pin_sock_get(struct pin_ctx *c, int opt, int *val)
{
	socklen_t sl = sizeof(*val);

	if (getsockopt(mnl_socket_get_fd(c->nl), SOL_SOCKET, opt, val,
		       &sl) < 0)
		return -errno;
	return 0;
}

struct pin_ctx *pin_open(void)
{
	struct timeval tv = { .tv_sec = PIN_REPLY_TIMEOUT_S };
	struct pin_ctx *c;
	int one = 1, err;

	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!c->nl)
		goto err_free;
	if (mnl_socket_bind(c->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto err_close;
	/*
	 * An error ack then quotes the failed message's header only: one
	 * answer per message of a big batch stays small.
	 */
	mnl_socket_setsockopt(c->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	if (setsockopt(mnl_socket_get_fd(c->nl), SOL_SOCKET, SO_RCVTIMEO,
		       &tv, sizeof(tv)) < 0)
		goto err_close;
	err = pin_sock_get(c, SO_SNDBUF, &c->sndbuf);
	if (!err)
		err = pin_sock_get(c, SO_RCVBUF, &c->rcvbuf);
	if (err) {
		errno = -err;
		goto err_close;
	}
	c->portid = mnl_socket_get_portid(c->nl);
	c->seq = (uint32_t)time(NULL);
	return c;

err_close:
	err = errno;
	mnl_socket_close(c->nl);
	errno = err;
err_free:
	err = errno;
	free(c);
	errno = err;
	return NULL;
}

void pin_close(struct pin_ctx *c)
{
	if (!c)
		return;
	mnl_socket_close(c->nl);
	free(c);
}

/* Sequence numbers of requests; 0 would turn off mnl_cb_run's check. */
uint32_t pin_next_seq(struct pin_ctx *c)
{
	if (++c->seq == 0)
		c->seq = 1;
	return c->seq;
}

/* Throw away whatever an interrupted exchange left in the socket. */
static void pin_drain(struct pin_ctx *c)
{
	while (recv(mnl_socket_get_fd(c->nl), c->rx.b, sizeof(c->rx.b),
		    MSG_DONTWAIT) >= 0 ||
	       errno == EINTR || errno == ENOBUFS)
		;
	c->stale = false;
}

/*
 * Make *cur (SO_SNDBUF or SO_RCVBUF) at least need. The FORCE variant
 * passes the rmem_max/wmem_max caps; it needs CAP_NET_ADMIN, which a
 * process that edits nftables has.
 */
static int pin_sock_grow(struct pin_ctx *c, int force, int opt, int *cur,
			 size_t need)
{
	int fd = mnl_socket_get_fd(c->nl);
	int val, err;

	if (need <= (size_t)*cur)
		return 0;
	if (need > INT_MAX / 2)
		return -EMSGSIZE;
	val = (int)need;
	if (setsockopt(fd, SOL_SOCKET, force, &val, sizeof(val)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, opt, &val, sizeof(val)) < 0)
		return -errno;
	err = pin_sock_get(c, opt, cur);
	if (err)
		return err;
	return need <= (size_t)*cur ? 0 : -EMSGSIZE;
}

/*
 * The whole batch goes in one sendmsg (netlink refuses more than the send
 * buffer) and all its acks are queued before we read one (else the kernel
 * drops some, and the outcome of the batch is unknown).
 */
static int pin_sock_fit(struct pin_ctx *c, size_t len, unsigned nacks)
{
	int err;

	err = pin_sock_grow(c, SO_SNDBUFFORCE, SO_SNDBUF, &c->sndbuf,
			    len + 64);
	if (err)
		return err;
	return pin_sock_grow(c, SO_RCVBUFFORCE, SO_RCVBUF, &c->rcvbuf,
			     ((size_t)nacks + 1) * PIN_ACK_COST);
}

/* ---- batches --------------------------------------------------------- */

static int pin_batch_grow(struct pin_batch *b, size_t need)
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

int pin_batch_start(struct pin_ctx *c, struct pin_batch *b)
{
	struct nlmsghdr *nlh;

	memset(b, 0, sizeof(*b));
	b->c = c;
	b->cap = 4 * PIN_MSG_MAX;
	b->buf = malloc(b->cap);
	if (!b->buf)
		return -ENOMEM;
	b->seq0 = pin_next_seq(c);
	nlh = nftnl_batch_begin(b->buf, b->seq0);
	b->len = nlh->nlmsg_len;
	return 0;
}

char *pin_batch_room(struct pin_batch *b, size_t *room)
{
	if (pin_batch_grow(b, PIN_MSG_MAX))
		return NULL;
	*room = b->cap - b->len;
	return b->buf + b->len;
}

uint32_t pin_batch_seq(const struct pin_batch *b)
{
	return b->seq0 + 1 + b->n;
}

void pin_batch_push(struct pin_batch *b, int len)
{
	b->len += (size_t)len;
	b->n++;
}

void pin_batch_free(struct pin_batch *b)
{
	free(b->buf);
	free(b->err);
	b->buf = NULL;
	b->err = NULL;
}

/* Record one answer: to message i of the batch, or to the batch begin. */
static void pin_batch_note(struct pin_batch *b, const struct nlmsghdr *nlh)
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
static int pin_batch_answers(struct pin_batch *b)
{
	int fd = mnl_socket_get_fd(b->c->nl);
	const struct nlmsghdr *nlh;
	char *buf = b->c->rx.b;
	ssize_t n;
	int left;

	for (;;) {
		n = recv(fd, buf, sizeof(b->c->rx.b), MSG_DONTWAIT);
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
		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left))
			pin_batch_note(b, nlh);
	}
}

int pin_batch_run(struct pin_batch *b)
{
	struct pin_ctx *c = b->c;
	struct nlmsghdr *nlh;
	unsigned i;
	int err;

	if (pin_batch_grow(b, PIN_MSG_MAX))
		return -ENOMEM;
	nlh = nftnl_batch_end(b->buf + b->len, b->seq0 + 1 + b->n);
	b->len += nlh->nlmsg_len;
	c->seq = b->seq0 + 1 + b->n;

	b->err = malloc(((size_t)b->n + 1) * sizeof(*b->err));
	if (!b->err)
		return -ENOMEM;
	for (i = 0; i < b->n; i++)
		b->err[i] = PIN_NO_ANSWER;
	b->batch_err = 0;

	err = pin_sock_fit(c, b->len, b->n);
	if (err)
		return err;
	if (c->stale)
		pin_drain(c);
	if (mnl_socket_sendto(c->nl, b->buf, b->len) < 0)
		return -errno;
	err = pin_batch_answers(b);
	if (err) {
		c->stale = true;
		return err;
	}

	for (i = 0; i < b->n; i++)
		if (b->err[i] < 0)
			return b->err[i];
	if (b->batch_err < 0)
		return b->batch_err;
	for (i = 0; i < b->n; i++)
		if (b->err[i] == PIN_NO_ANSWER)
			return -EPROTO;
	return 0;
}

/* ---- single requests ------------------------------------------------- */

int pin_request(struct pin_ctx *c, struct nlmsghdr *nlh, mnl_cb_t cb,
		void *data)
{
	uint32_t seq = nlh->nlmsg_seq;
	int ret = MNL_CB_OK;
	ssize_t n;

	if (c->stale)
		pin_drain(c);
	if (mnl_socket_sendto(c->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	/* until the final answer is read */
	c->stale = true;
	while (ret > MNL_CB_STOP) {
		n = mnl_socket_recvfrom(c->nl, c->rx.b, sizeof(c->rx.b));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		}
		ret = mnl_cb_run(c->rx.b, (size_t)n, seq, c->portid, cb,
				 data);
	}
	if (ret < 0)
		return errno ? -errno : -EPROTO;
	c->stale = false;
	return 0;
}

int pin_msg_copy(char *buf, size_t len, const struct nlmsghdr *nlh)
{
	if (nlh->nlmsg_len > PIN_MSG_MAX)
		abort();	/* PIN_MSG_MAX is too small: a bug here */
	if (nlh->nlmsg_len > len)
		return -ENOSPC;
	memcpy(buf, nlh, nlh->nlmsg_len);
	return (int)nlh->nlmsg_len;
}

/* ---- pinhole elements ------------------------------------------------ */

struct pin_data {
	uint8_t b[PIN_KEY_MAX];
	uint32_t len;
};

static void pin_cat_addr(struct pin_data *d, int family,
			 const union alg_addr *a)
{
	size_t n = family == AF_INET ? 4 : 16;

	memcpy(d->b + d->len, a->b, n);
	d->len += n;
}

/* A port fills the first half of its 4-byte slot; d starts zeroed. */
static void pin_cat_port(struct pin_data *d, uint16_t port)
{
	uint16_t be = htons(port);

	memcpy(d->b + d->len, &be, sizeof(be));
	d->len += 4;
}

static const char *pin_set_of(const struct pin_entry *e)
{
	return e->family == AF_INET ? PIN_SET4 : PIN_SET6;
}

/*
 * IPv6 has no NAT map: such an entry would open a pinhole that no
 * translation leads to.
 */
static int pin_entry_ok(const struct pin_entry *e)
{
	if (e->family != AF_INET && e->family != AF_INET6)
		return -EAFNOSUPPORT;
	if (e->family == AF_INET6 && pin_needs_nat(e))
		return -EAFNOSUPPORT;
	return 0;
}

/* The key (and map data) of e in set; false if set does not hold e. */
static bool pin_elem_fields(const char *set, const struct pin_entry *e,
			    struct pin_data *key, struct pin_data *data)
{
	const struct alg_endpoint *k = &e->target;

	memset(key, 0, sizeof(*key));
	memset(data, 0, sizeof(*data));
	if (!strcmp(set, PIN_MAP4)) {
		if (e->family != AF_INET)
			return false;
		k = &e->wire;
		pin_cat_addr(data, AF_INET, &e->target.addr);
		pin_cat_port(data, e->target.port);
	} else if (strcmp(set, pin_set_of(e)) ||
		   (e->family != AF_INET && e->family != AF_INET6)) {
		return false;
	}
	pin_cat_addr(key, e->family, &e->peer);
	pin_cat_addr(key, e->family, &k->addr);
	pin_cat_port(key, k->port);
	return true;
}

int pin_build_elem(char *buf, size_t len, uint16_t type, uint32_t seq,
		   const char *set, const struct pin_entry *e)
{
	union {
		struct nlmsghdr h;
		char b[PIN_MSG_MAX];
	} m;
	struct pin_data key, data;
	struct nftnl_set_elem *el;
	struct nlmsghdr *nlh;
	struct nftnl_set *s;
	uint16_t flags;
	int ret = -ENOMEM;

	switch (type) {
	case NFT_MSG_NEWSETELEM:
		/* no NLM_F_EXCL: adding an existing pinhole is no error */
		flags = NLM_F_CREATE | NLM_F_ACK;
		break;
	case NFT_MSG_DELSETELEM:
	case NFT_MSG_GETSETELEM:
		flags = NLM_F_ACK;
		break;
	default:
		return -EINVAL;
	}
	if (!pin_elem_fields(set, e, &key, &data))
		return -EINVAL;

	s = nftnl_set_alloc();
	if (!s)
		return -ENOMEM;
	if (nftnl_set_set_str(s, NFTNL_SET_TABLE, PIN_TABLE) < 0 ||
	    nftnl_set_set_str(s, NFTNL_SET_NAME, set) < 0)
		goto err_set;
	el = nftnl_set_elem_alloc();
	if (!el)
		goto err_set;
	nftnl_set_elem_add(s, el);
	/*
	 * add element inet ftp_alg pin4 { peer . addr . port timeout T }
	 * add element inet ftp_alg dnat4 { peer . wire_addr . wire_port
	 *	timeout T : addr . port }
	 * delete element / get element: the key alone
	 */
	if (nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY, key.b, key.len) < 0)
		goto err_set;
	if (type == NFT_MSG_NEWSETELEM) {
		if (data.len && nftnl_set_elem_set(el, NFTNL_SET_ELEM_DATA,
						   data.b, data.len) < 0)
			goto err_set;
		/* no timeout: the element stays until deleted */
		if (e->timeout_ms)
			nftnl_set_elem_set_u64(el, NFTNL_SET_ELEM_TIMEOUT,
					       e->timeout_ms);
	}
	nlh = nftnl_nlmsg_build_hdr(m.b, type, NFPROTO_INET, flags, seq);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	ret = pin_msg_copy(buf, len, nlh);
err_set:
	nftnl_set_free(s);
	return ret;
}

/* flush set inet ftp_alg $set */
static int pin_build_flush(char *buf, size_t len, uint32_t seq,
			   const char *set)
{
	union {
		struct nlmsghdr h;
		char b[PIN_MSG_MAX];
	} m;
	struct nlmsghdr *nlh;
	struct nftnl_set *s;
	int ret = -ENOMEM;

	s = nftnl_set_alloc();
	if (!s)
		return -ENOMEM;
	if (nftnl_set_set_str(s, NFTNL_SET_TABLE, PIN_TABLE) < 0 ||
	    nftnl_set_set_str(s, NFTNL_SET_NAME, set) < 0)
		goto err_set;
	/* DELSETELEM without a list of elements flushes the set */
	nlh = nftnl_nlmsg_build_hdr(m.b, NFT_MSG_DELSETELEM, NFPROTO_INET,
				    NLM_F_ACK, seq);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	ret = pin_msg_copy(buf, len, nlh);
err_set:
	nftnl_set_free(s);
	return ret;
}

static int pin_batch_elem(struct pin_batch *b, uint16_t type,
			  const char *set, const struct pin_entry *e)
{
	size_t room;
	char *p;
	int len;

	p = pin_batch_room(b, &room);
	if (!p)
		return -ENOMEM;
	len = pin_build_elem(p, room, type, pin_batch_seq(b), set, e);
	if (len < 0)
		return len;
	pin_batch_push(b, len);
	return 0;
}

/* Every entry valid, before anything is sent: 0 or the first error. */
static int pin_entries_ok(const struct pin_entry *e, unsigned n)
{
	unsigned i;
	int err;

	for (i = 0; i < n; i++) {
		err = pin_entry_ok(&e[i]);
		if (err)
			return err;
	}
	return 0;
}

int pin_add(struct pin_ctx *c, const struct pin_entry *e, unsigned n)
{
	struct pin_batch b;
	unsigned i;
	int err;

	err = pin_entries_ok(e, n);
	if (err || !n)
		return err;
	err = pin_batch_start(c, &b);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		/* add element inet ftp_alg pin4 { peer . addr . port } */
		err = pin_batch_elem(&b, NFT_MSG_NEWSETELEM,
				     pin_set_of(&e[i]), &e[i]);
		/* add element inet ftp_alg dnat4 { peer . wire : target } */
		if (!err && pin_needs_nat(&e[i]))
			err = pin_batch_elem(&b, NFT_MSG_NEWSETELEM,
					     PIN_MAP4, &e[i]);
		if (err)
			goto err_free;
	}
	err = pin_batch_run(&b);
err_free:
	pin_batch_free(&b);
	return err;
}

/*
 * One missing element fails (and so aborts) the whole batch: a pinhole
 * is usually gone, consumed by its data connection, while its mapping
 * stays. So drop what the kernel reports as missing and send the rest
 * again; every round drops at least one message.
 */
int pin_del(struct pin_ctx *c, const struct pin_entry *e, unsigned n)
{
	struct pin_batch b = { .buf = NULL };
	unsigned k, i, *idx;
	bool *gone, progress;
	int err;

	err = pin_entries_ok(e, n);
	if (err || !n)
		return err;
	/* message k: the pinhole of e[k / 2], or (k odd) its mapping */
	gone = calloc(2 * (size_t)n, sizeof(*gone));
	idx = calloc(2 * (size_t)n, sizeof(*idx));
	err = -ENOMEM;
	if (!gone || !idx)
		goto err_free;
	for (k = 1; k < 2 * n; k += 2)
		gone[k] = !pin_needs_nat(&e[k / 2]);

	for (;;) {
		err = pin_batch_start(c, &b);
		if (err)
			goto err_free;
		for (k = 0; k < 2 * n && !err; k++) {
			if (gone[k])
				continue;
			idx[b.n] = k;
			/* delete element inet ftp_alg pin4|dnat4 { key } */
			err = pin_batch_elem(&b, NFT_MSG_DELSETELEM,
					     k & 1 ? PIN_MAP4 :
						     pin_set_of(&e[k / 2]),
					     &e[k / 2]);
		}
		if (err || !b.n)
			break;
		err = pin_batch_run(&b);
		if (err != -ENOENT)
			break;
		progress = false;
		for (i = 0; i < b.n; i++) {
			if (b.err[i] == -ENOENT) {
				gone[idx[i]] = true;
				progress = true;
			} else if (b.err[i] < 0) {
				err = b.err[i];
				goto err_free;
			}
		}
		if (!progress)
			break;
		pin_batch_free(&b);
	}
err_free:
	pin_batch_free(&b);
	free(idx);
	free(gone);
	return err;
}

int pin_present(struct pin_ctx *c, const struct pin_entry *e)
{
	union {
		struct nlmsghdr h;
		char b[PIN_MSG_MAX];
	} m;
	int err;

	err = pin_entry_ok(e);
	if (err)
		return err;
	/* get element inet ftp_alg pin4 { $peer . $addr . $port } */
	err = pin_build_elem(m.b, sizeof(m), NFT_MSG_GETSETELEM,
			     pin_next_seq(c), pin_set_of(e), e);
	if (err < 0)
		return err;
	/* the kernel answers ENOENT for a missing or expired element */
	err = pin_request(c, &m.h, NULL, NULL);
	if (err == -ENOENT)
		return 0;
	return err < 0 ? err : 1;
}

int pin_sweep(struct pin_ctx *c)
{
	static const char *const sets[] = { PIN_SET4, PIN_SET6, PIN_MAP4 };
	struct pin_batch b;
	size_t room, i;
	char *p;
	int err;

	err = pin_batch_start(c, &b);
	if (err)
		return err;
	for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		/* flush set inet ftp_alg pin4 (pin6, dnat4) */
		err = -ENOMEM;
		p = pin_batch_room(&b, &room);
		if (!p)
			goto err_free;
		err = pin_build_flush(p, room, pin_batch_seq(&b), sets[i]);
		if (err < 0)
			goto err_free;
		pin_batch_push(&b, err);
	}
	err = pin_batch_run(&b);
err_free:
	pin_batch_free(&b);
	return err;
}

/* ---- dump ------------------------------------------------------------ */

struct pin_dump_state {
	const char *set;
	int family;
	bool map;
	pin_dump_fn fn;
	void *arg;
	int err;
};

/* Inverse of pin_elem_fields(); -EBADMSG if the lengths do not fit. */
static int pin_decode(const struct pin_dump_state *st,
		      struct nftnl_set_elem *el, struct pin_entry *e,
		      uint32_t *expires_ms)
{
	size_t alen = st->family == AF_INET ? 4 : 16;
	struct alg_endpoint *k;
	const uint8_t *key, *data;
	uint32_t klen, dlen;
	uint16_t port;

	memset(e, 0, sizeof(*e));
	e->family = st->family;
	e->wire.family = e->target.family = st->family;
	key = nftnl_set_elem_get(el, NFTNL_SET_ELEM_KEY, &klen);
	if (!key || klen != 2 * alen + 4)
		return -EBADMSG;
	k = st->map ? &e->wire : &e->target;
	memcpy(e->peer.b, key, alen);
	memcpy(k->addr.b, key + alen, alen);
	memcpy(&port, key + 2 * alen, sizeof(port));
	k->port = ntohs(port);
	if (st->map) {
		if (!nftnl_set_elem_is_set(el, NFTNL_SET_ELEM_DATA))
			return -EBADMSG;
		data = nftnl_set_elem_get(el, NFTNL_SET_ELEM_DATA, &dlen);
		if (!data || dlen != alen + 4)
			return -EBADMSG;
		memcpy(e->target.addr.b, data, alen);
		memcpy(&port, data + alen, sizeof(port));
		e->target.port = ntohs(port);
	} else {
		e->wire = e->target;
	}
	if (nftnl_set_elem_is_set(el, NFTNL_SET_ELEM_TIMEOUT))
		e->timeout_ms = (uint32_t)nftnl_set_elem_get_u64(el,
						NFTNL_SET_ELEM_TIMEOUT);
	*expires_ms = 0;
	if (nftnl_set_elem_is_set(el, NFTNL_SET_ELEM_EXPIRATION))
		*expires_ms = (uint32_t)nftnl_set_elem_get_u64(el,
						NFTNL_SET_ELEM_EXPIRATION);
	return 0;
}

static int pin_dump_elem(struct nftnl_set_elem *el, void *arg)
{
	struct pin_dump_state *st = arg;
	struct pin_entry e;
	uint32_t expires;
	int err;

	err = pin_decode(st, el, &e, &expires);
	if (!err)
		err = st->fn(&e, expires, st->arg);
	if (err < 0) {
		st->err = err;
		return err;
	}
	return 0;
}

static int pin_dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct pin_dump_state *st = arg;
	struct nftnl_set *s;
	int ret = MNL_CB_ERROR;

	s = nftnl_set_alloc();
	if (!s) {
		st->err = -ENOMEM;
		goto out;
	}
	if (nftnl_set_elems_nlmsg_parse(nlh, s) < 0) {
		st->err = -EBADMSG;
		goto err_set;
	}
	if (nftnl_set_elem_foreach(s, pin_dump_elem, st) < 0)
		goto err_set;
	ret = MNL_CB_OK;
err_set:
	nftnl_set_free(s);
out:
	errno = -st->err;
	return ret;
}

int pin_dump(struct pin_ctx *c, const char *set, pin_dump_fn fn, void *arg)
{
	union {
		struct nlmsghdr h;
		char b[PIN_MSG_MAX];
	} m;
	struct pin_dump_state st = { .set = set, .fn = fn, .arg = arg };
	struct nlmsghdr *nlh;
	struct nftnl_set *s;
	int err;

	if (!strcmp(set, PIN_SET4) || !strcmp(set, PIN_MAP4))
		st.family = AF_INET;
	else if (!strcmp(set, PIN_SET6))
		st.family = AF_INET6;
	else
		return -EINVAL;
	st.map = !strcmp(set, PIN_MAP4);

	s = nftnl_set_alloc();
	if (!s)
		return -ENOMEM;
	err = -ENOMEM;
	if (nftnl_set_set_str(s, NFTNL_SET_TABLE, PIN_TABLE) < 0 ||
	    nftnl_set_set_str(s, NFTNL_SET_NAME, set) < 0)
		goto err_set;
	/* list set inet ftp_alg $set */
	nlh = nftnl_nlmsg_build_hdr(m.b, NFT_MSG_GETSETELEM, NFPROTO_INET,
				    NLM_F_DUMP, pin_next_seq(c));
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	err = pin_request(c, nlh, pin_dump_cb, &st);
	if (st.err)
		err = st.err;
err_set:
	nftnl_set_free(s);
	return err;
}
