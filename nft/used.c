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

int pin_used_sport(struct fw_sock *fw, const struct pin_entry *e,
		   uint16_t *sport)
{
	struct used_answer a = { .got = false };
	uint8_t key[12] = { 0 };
	uint16_t port = htons(e->target.port);
	union batch_msg m;
	int err;

	if (e->family != AF_INET)
		return -EAFNOSUPPORT;
	memcpy(key, e->peer.b, 4);
	memcpy(key + 4, e->target.addr.b, 4);
	memcpy(key + 8, &port, 2);
	/* get element inet ftp_alg usedp4 { peer . target . port } */
	err = sets_build_elem(m.b, sizeof(m), NFT_MSG_GETSETELEM, NLM_F_ACK,
			      fw_next_seq(fw), PIN_USEDP4,
			      &(struct sets_elem){ .key = key,
						   .klen = sizeof(key) });
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
