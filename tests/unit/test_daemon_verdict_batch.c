/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Verdicts gathered for one send (verdict_batch.c): each its own message,
 * in order, the replacement packet carried whole, a full buffer said so
 * before anything is lost. Links alg_daemon; no kernel.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#pragma GCC diagnostic ignored "-Wunused-parameter"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>

#include "verdict_batch.h"

struct seen {
	uint16_t type, queue;
	uint32_t id, verdict;
	const uint8_t *pkt;
	uint16_t pkt_len;
};

static int attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_get_type(a) <= NFQA_MAX)
		tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

/* Walk the batch as the kernel would: every message, in order. */
static unsigned parse(const struct verdict_batch *b, struct seen *out,
		      unsigned max)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)b->buf;
	int left = (int)b->len;
	unsigned n = 0;

	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		const struct nlattr *tb[NFQA_MAX + 1] = { NULL };
		const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);
		const struct nfqnl_msg_verdict_hdr *vh;

		assert_true(n < max);
		assert_int_equal(mnl_attr_parse(nlh, sizeof(*g), attr_cb, tb),
				 MNL_CB_OK);
		assert_non_null(tb[NFQA_VERDICT_HDR]);
		vh = mnl_attr_get_payload(tb[NFQA_VERDICT_HDR]);
		out[n].type = nlh->nlmsg_type;
		out[n].queue = ntohs(g->res_id);
		out[n].id = ntohl(vh->id);
		out[n].verdict = ntohl(vh->verdict);
		out[n].pkt = tb[NFQA_PAYLOAD] ?
			mnl_attr_get_payload(tb[NFQA_PAYLOAD]) : NULL;
		out[n].pkt_len = tb[NFQA_PAYLOAD] ?
			mnl_attr_get_payload_len(tb[NFQA_PAYLOAD]) : 0;
		n++;
	}
	assert_int_equal(left, 0);	/* nothing after the last message */
	return n;
}

static struct verdict_batch *batch_new(void)
{
	struct verdict_batch *b = malloc(sizeof(*b));

	assert_non_null(b);
	verdict_batch_reset(b);
	return b;
}

/* One message per packet, never a VERDICT_BATCH, in the order given. */
static void test_each_verdict_is_its_own_message_in_order(void **state)
{
	static const uint32_t ids[] = { 7, 3, 9, 4 };
	struct verdict_batch *b = batch_new();
	struct seen s[8];
	unsigned i, n;

	for (i = 0; i < 4; i++)
		assert_int_equal(verdict_batch_add(b, 5, ids[i],
						   i == 2 ? NF_DROP : NF_ACCEPT,
						   NULL, 0), 0);
	assert_int_equal(b->n, 4);
	n = parse(b, s, 8);
	assert_int_equal(n, 4);
	for (i = 0; i < n; i++) {
		assert_int_equal(s[i].type, (NFNL_SUBSYS_QUEUE << 8) |
					    NFQNL_MSG_VERDICT);
		assert_int_equal(s[i].queue, 5);
		assert_int_equal(s[i].id, ids[i]);
		assert_int_equal(s[i].verdict, i == 2 ? NF_DROP : NF_ACCEPT);
		assert_null(s[i].pkt);
	}
	free(b);
}

/* A rewritten packet travels whole, between verdicts without one. */
static void test_replacement_packet_is_carried_whole(void **state)
{
	struct verdict_batch *b = batch_new();
	uint8_t pkt[1501];
	struct seen s[4];
	size_t i;

	for (i = 0; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)(i * 31);
	assert_int_equal(verdict_batch_add(b, 0, 1, NF_ACCEPT, NULL, 0), 0);
	assert_int_equal(verdict_batch_add(b, 0, 2, NF_ACCEPT, pkt,
					   sizeof(pkt)), 0);
	assert_int_equal(verdict_batch_add(b, 0, 3, NF_ACCEPT, NULL, 0), 0);
	assert_int_equal(parse(b, s, 4), 3);
	assert_null(s[0].pkt);
	assert_int_equal(s[1].pkt_len, sizeof(pkt));
	assert_memory_equal(s[1].pkt, pkt, sizeof(pkt));
	assert_int_equal(s[2].id, 3);
	assert_null(s[2].pkt);
	free(b);
}

/*
 * A full buffer refuses the next verdict with ENOSPC and keeps what it
 * has intact; after a reset the same verdict goes in. The largest packet
 * always fits in an empty buffer, one that could never fit is EMSGSIZE.
 */
static void test_full_buffer_says_enospc_and_loses_nothing(void **state)
{
	static uint8_t big[65535];
	struct verdict_batch *b = batch_new();
	struct seen *s = calloc(8192, sizeof(*s));
	unsigned n = 0;
	int ret;

	assert_non_null(s);
	while ((ret = verdict_batch_add(b, 0, n + 1, NF_ACCEPT, NULL, 0)) == 0)
		n++;
	assert_int_equal(ret, -ENOSPC);
	assert_true(n > 1000);
	assert_int_equal(b->n, n);
	assert_int_equal(parse(b, s, 8192), n);
	assert_int_equal(s[n - 1].id, n);
	verdict_batch_reset(b);
	assert_int_equal(verdict_batch_add(b, 0, n + 1, NF_ACCEPT, NULL, 0),
			 0);
	/* two largest packets fit, the second after small ones */
	assert_int_equal(verdict_batch_add(b, 0, 1, NF_ACCEPT, big,
					   sizeof(big)), 0);
	assert_int_equal(verdict_batch_add(b, 0, 2, NF_ACCEPT, big,
					   sizeof(big)), 0);
	verdict_batch_reset(b);
	assert_int_equal(verdict_batch_add(b, 0, 3, NF_ACCEPT, big,
					   (size_t)UINT16_MAX + 1), -EMSGSIZE);
	assert_int_equal(b->n, 0);
	free(s);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_verdict_is_its_own_message_in_order),
		cmocka_unit_test(test_replacement_packet_is_carried_whole),
		cmocka_unit_test(
			test_full_buffer_says_enospc_and_loses_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
