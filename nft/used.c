/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Map usedp4: the data connection that consumed an IPv4 pinhole, keyed
 * as the pinhole (peer . target address . port), its source port as
 * data. One GET answers for one pinhole, where set used4 must be dumped
 * whole (its key holds the source port).
 */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/set.h>

#include "ftp-alg/pin.h"
#include "batch.h"
#include "sets.h"

struct used_answer {
	bool got;
	uint16_t sport;
};

static int used_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct used_answer *a = arg;
	struct nftnl_set_elems_iter *it;
	struct nftnl_set_elem *el;
	struct nftnl_set *s;
	const uint8_t *d;
	uint32_t len = 0;

	s = nftnl_set_alloc();
	if (!s)
		return MNL_CB_ERROR;
	if (nftnl_set_elems_nlmsg_parse(nlh, s) < 0) {
		nftnl_set_free(s);
		return MNL_CB_ERROR;
	}
	it = nftnl_set_elems_iter_create(s);
	el = it ? nftnl_set_elems_iter_next(it) : NULL;
	if (el && nftnl_set_elem_is_set(el, NFTNL_SET_ELEM_DATA)) {
		d = nftnl_set_elem_get(el, NFTNL_SET_ELEM_DATA, &len);
		if (d && len >= 2) {
			/* inet_service: network order, first half of 4 */
			a->sport = (uint16_t)(d[0] << 8 | d[1]);
			a->got = true;
		}
	}
	if (it)
		nftnl_set_elems_iter_destroy(it);
	nftnl_set_free(s);
	return MNL_CB_OK;
}

/* get element inet ftp_alg usedp4 { peer . target . port } into buf */
static int used_build_get(char *buf, size_t len, uint32_t seq,
			  const struct pin_entry *e)
{
	uint8_t key[12] = { 0 };
	uint16_t port = htons(e->target.port);

	if (e->family != AF_INET)
		return -EAFNOSUPPORT;
	memcpy(key, e->peer.b, 4);
	memcpy(key + 4, e->target.addr.b, 4);
	memcpy(key + 8, &port, 2);
	return sets_build_elem(buf, len, NFT_MSG_GETSETELEM, NLM_F_ACK, seq,
			       PIN_USEDP4,
			       &(struct sets_elem){ .key = key,
						    .klen = sizeof(key) });
}

int pin_used_sport(struct fw_sock *fw, const struct pin_entry *e,
		   uint16_t *sport)
{
	struct used_answer a = { .got = false };
	union batch_msg m;
	int err;

	err = used_build_get(m.b, sizeof(m), fw_next_seq(fw), e);
	if (err < 0)
		return err;
	err = fw_request(fw, &m.h, used_cb, &a);
	if (err == -ENOENT)
		return 0;	/* missing or expired: not noted */
	if (err)
		return err;
	if (!a.got)
		return 0;
	*sport = a.sport;
	return 1;
}

static int used_many_cb(const struct nlmsghdr *nlh, unsigned idx, void *arg)
{
	return used_cb(nlh, &((struct used_answer *)arg)[idx]) == MNL_CB_OK
	       ? 0 : -1;
}

int pin_used_sport_many(struct fw_sock *fw, const struct pin_entry *e,
			unsigned n, uint16_t *sport, int *res)
{
	struct used_answer a[PIN_USED_MANY];
	int err[PIN_USED_MANY];
	/* a GET is ~70 bytes; aligned for nlmsghdr */
	char buf[PIN_USED_MANY * 128] __attribute__((aligned(8)));
	uint32_t seq0 = 0, seq;
	size_t off = 0;
	unsigned i;
	int len, ret;

	if (n > PIN_USED_MANY)
		return -E2BIG;
	for (i = 0; i < n; i++) {
		seq = fw_next_seq(fw);
		if (!i)
			seq0 = seq;
		else if (seq != seq0 + i)
			return -EAGAIN;	/* the seq wrapped past 0: ask again */
		len = used_build_get(buf + off, sizeof(buf) - off, seq, &e[i]);
		if (len < 0)
			return len;
		off += NLMSG_ALIGN((size_t)len);
		a[i] = (struct used_answer){ .got = false };
	}
	if (!n)
		return 0;
	ret = fw_request_many(fw, buf, off, seq0, n, used_many_cb, a, err);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		if (err[i] == -ENOENT || (!err[i] && !a[i].got)) {
			res[i] = 0;	/* missing or expired: not noted */
		} else if (err[i]) {
			res[i] = err[i];
		} else {
			sport[i] = a[i].sport;
			res[i] = 1;
		}
	}
	return 0;
}
