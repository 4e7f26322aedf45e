// SPDX-License-Identifier: GPL-2.0-or-later
/* Verdict messages gathered for one send; see verdict_batch.h. */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "verdict_batch.h"

int verdict_batch_add(struct verdict_batch *b, uint16_t num, uint32_t id,
		      int verdict, const uint8_t *data, size_t len)
{
	size_t need = VERDICT_MSG_MAX(data ? len : 0);
	struct nlmsghdr *nlh;

	if (need > sizeof(b->buf) || len > UINT16_MAX)
		return -EMSGSIZE;
	if (b->len + need > sizeof(b->buf))
		return -ENOSPC;
	/* b->len is a sum of NLMSG_ALIGN()ed lengths: aligned */
	nlh = nfq_nlmsg_put(b->buf + b->len, NFQNL_MSG_VERDICT, num);
	nfq_nlmsg_verdict_put(nlh, (int)id, verdict);
	if (data)
		nfq_nlmsg_verdict_put_pkt(nlh, data, (uint32_t)len);
	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
	b->n++;
	return 0;
}
