// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nft/batch.c against made-up kernel answers: only a batch's last
 * message asks for an ack; the answers add up to the outcome the
 * callers read (err[] per message, the first error in order, the
 * batch's own error, -EPROTO when nothing says every answer is in).
 *
 * mnl_socket_sendto() and recv() are wrapped (-Wl,--wrap, see
 * tests/CMakeLists.txt): the batch sent is kept, the answers queued by
 * each test are what the socket gives.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#pragma GCC diagnostic ignored "-Wunused-parameter"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <libmnl/libmnl.h>

#include "batch.h"

#define MAX_ANSWERS	8

static struct {
	char sent[4096];
	size_t sent_len;
	struct { int idx, err; } a[MAX_ANSWERS];	/* idx -1: the begin */
	unsigned na;
	bool given;
} k;

ssize_t __wrap_mnl_socket_sendto(const struct mnl_socket *nl,
				 const void *buf, size_t len);
ssize_t __wrap_recv(int fd, void *buf, size_t len, int flags);

ssize_t __wrap_mnl_socket_sendto(const struct mnl_socket *nl,
				 const void *buf, size_t len)
{
	assert_true(len <= sizeof(k.sent));
	memcpy(k.sent, buf, len);
	k.sent_len = len;
	k.given = false;
	return (ssize_t)len;
}

/* The answers of the test, all in one datagram, then EAGAIN. */
ssize_t __wrap_recv(int fd, void *buf, size_t len, int flags)
{
	const struct nlmsghdr *begin = (const struct nlmsghdr *)k.sent;
	char *p = buf;
	unsigned i;

	if (k.given || !k.na) {
		errno = EAGAIN;
		return -1;
	}
	k.given = true;
	for (i = 0; i < k.na; i++) {
		struct nlmsghdr *h = (struct nlmsghdr *)p;
		struct nlmsgerr *e;

		memset(h, 0, NLMSG_SPACE(sizeof(*e)));
		h->nlmsg_len = NLMSG_LENGTH(sizeof(*e));
		h->nlmsg_type = NLMSG_ERROR;
		h->nlmsg_seq = begin->nlmsg_seq + 1 + (uint32_t)k.a[i].idx;
		e = NLMSG_DATA(h);
		e->error = k.a[i].err;
		p += NLMSG_SPACE(sizeof(*e));
	}
	return p - (char *)buf;
}

static void answer(int idx, int err)
{
	assert_true(k.na < MAX_ANSWERS);
	k.a[k.na].idx = idx;
	k.a[k.na++].err = err;
}

/* A batch of n element messages, all built with NLM_F_ACK, sent. */
static int commit_n(struct fw_sock *fw, struct batch *b, unsigned n)
{
	union batch_msg m;
	unsigned i;

	assert_int_equal(batch_begin(fw, b), 0);
	for (i = 0; i < n; i++) {
		mnl_nlmsg_put_header(m.b);
		m.h.nlmsg_type = NFNL_SUBSYS_NFTABLES << 8 |
				 NFT_MSG_NEWSETELEM;
		m.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_ACK;
		m.h.nlmsg_seq = batch_seq(b);
		mnl_nlmsg_put_extra_header(&m.h, 4);
		assert_int_equal(batch_append(b, &m.h), 0);
	}
	return batch_commit(b);
}

static struct fw_sock *fw;

static int setup(void **state)
{
	memset(&k, 0, sizeof(k));
	fw = fw_open();
	assert_non_null(fw);
	return 0;
}

static int teardown(void **state)
{
	fw_close(fw);
	return 0;
}

static void test_only_the_last_message_asks_for_an_ack(void **state)
{
	const struct nlmsghdr *h = (const struct nlmsghdr *)k.sent;
	struct batch b;
	int left, i = 0;

	answer(2, 0);
	assert_int_equal(commit_n(fw, &b, 3), 0);
	left = (int)k.sent_len;
	for (; mnl_nlmsg_ok(h, left); h = mnl_nlmsg_next(h, &left), i++) {
		bool msg = i >= 1 && i <= 3;	/* begin, 3 messages, end */

		if (msg && i < 3 && (h->nlmsg_flags & NLM_F_ACK))
			fail_msg("message %d of 3 asks for an ack", i);
		if (msg && i == 3 && !(h->nlmsg_flags & NLM_F_ACK))
			fail_msg("the last message asks for no ack");
		if (!msg && (h->nlmsg_flags & NLM_F_ACK))
			fail_msg("batch %s asks for an ack",
				 i ? "end" : "begin");
	}
	assert_int_equal(i, 5);
	assert_int_equal(b.err[0], 0);
	assert_int_equal(b.err[1], 0);
	assert_int_equal(b.err[2], 0);
	batch_free(&b);
}

/* pin_del_gone() reads which messages failed: the rest are 0. */
static void test_failing_messages_are_named_the_rest_did_not_fail(void **st)
{
	struct batch b;

	answer(0, -ENOENT);
	answer(2, -ENOENT);
	answer(3, 0);
	assert_int_equal(commit_n(fw, &b, 4), -ENOENT);
	assert_int_equal(b.err[0], -ENOENT);
	assert_int_equal(b.err[1], 0);
	assert_int_equal(b.err[2], -ENOENT);
	assert_int_equal(b.err[3], 0);
	batch_free(&b);
}

/* ruleset.c's fallback: message 0 fine, a later one refused. */
static void test_a_refused_last_message_is_the_outcome(void **state)
{
	struct batch b;

	answer(1, -EOPNOTSUPP);
	assert_int_equal(commit_n(fw, &b, 2), -EOPNOTSUPP);
	assert_int_equal(b.err[0], 0);
	assert_int_equal(b.err[1], -EOPNOTSUPP);
	batch_free(&b);
}

/* A commit that fails: the begin's answer, the last one's 0 as well. */
static void test_a_failed_commit_is_the_batch_error(void **state)
{
	struct batch b;

	answer(-1, -ENOMEM);
	answer(1, 0);
	assert_int_equal(commit_n(fw, &b, 2), -ENOMEM);
	assert_int_equal(b.batch_err, -ENOMEM);
	batch_free(&b);
}

/* The kernel stopped early (answers none): not taken for a commit. */
static void test_no_answer_at_all_is_eproto(void **state)
{
	struct batch b;

	assert_int_equal(commit_n(fw, &b, 3), -EPROTO);
	batch_free(&b);
}

/* An error without the last answer: the error, the rest unknown. */
static void test_without_the_last_answer_nothing_is_assumed(void **state)
{
	struct batch b;

	answer(0, -EEXIST);
	assert_int_equal(commit_n(fw, &b, 3), -EEXIST);
	/* unanswered: neither 0 nor an error */
	assert_true(b.err[1] > 0);
	assert_true(b.err[2] > 0);

	batch_free(&b);
	memset(&k, 0, sizeof(k));
	answer(1, 0);	/* a middle one: not the last */
	assert_int_equal(commit_n(fw, &b, 3), -EPROTO);
	batch_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_only_the_last_message_asks_for_an_ack, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_failing_messages_are_named_the_rest_did_not_fail,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_a_refused_last_message_is_the_outcome, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_a_failed_commit_is_the_batch_error, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_no_answer_at_all_is_eproto,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_without_the_last_answer_nothing_is_assumed, setup,
			teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
