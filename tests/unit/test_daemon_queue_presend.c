// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * No verdict leaves before the journal holds what it depends on: the
 * queue's pre-send hook runs before every send of verdicts, the one
 * queue_verdict() does itself when its buffer fills too, and with the
 * daemon's hook (journal_flush_hook) the file holds every record
 * gathered so far at each verdict send.
 *
 * The netlink sends and receives are wrapped (-Wl,--wrap, see
 * tests/CMakeLists.txt): no NFQUEUE is bound, the config ack is made up
 * here, and each send is recorded with the journal as it was then.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#pragma GCC diagnostic ignored "-Wunused-parameter"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libmnl/libmnl.h>

#include "daemon.h"
#include "engine_world.h"
#include "journal.h"
#include "queue.h"

#define MAX_SENDS	64

struct send_rec {
	uint16_t type;		/* the first message's */
	off_t file;		/* the journal's size at the send */
	size_t pending;		/* gathered, not written, at the send */
};

static struct {
	const char *path;
	struct daemon *d;
	struct send_rec v[MAX_SENDS];
	unsigned n;
	unsigned hooks;		/* presend calls */
	unsigned acks_due;	/* config messages to answer */
	uint32_t ack_seq;
} rec;

static off_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : st.st_size;
}

ssize_t __real_mnl_socket_sendto(const struct mnl_socket *nl,
				 const void *buf, size_t len);
ssize_t __wrap_mnl_socket_sendto(const struct mnl_socket *nl,
				 const void *buf, size_t len);
ssize_t __wrap_mnl_socket_recvfrom(const struct mnl_socket *nl, void *buf,
				   size_t len);

ssize_t __wrap_mnl_socket_sendto(const struct mnl_socket *nl,
				 const void *buf, size_t len)
{
	const struct nlmsghdr *h = buf;

	if (h->nlmsg_type == ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_CONFIG)) {
		if (h->nlmsg_flags & NLM_F_ACK) {
			rec.acks_due++;
			rec.ack_seq = h->nlmsg_seq;
		}
		return (ssize_t)len;
	}
	assert_true(rec.n < MAX_SENDS);
	rec.v[rec.n++] = (struct send_rec){
		.type = h->nlmsg_type,
		.file = rec.path ? file_size(rec.path) : -1,
		.pending = rec.d ? rec.d->jr.pending : 0,
	};
	return (ssize_t)len;
}

/* The ack of a config message; nothing else ever arrives. */
ssize_t __wrap_mnl_socket_recvfrom(const struct mnl_socket *nl, void *buf,
				   size_t len)
{
	struct nlmsghdr *h = buf;
	struct nlmsgerr *e;

	if (!rec.acks_due) {
		errno = EAGAIN;
		return -1;
	}
	rec.acks_due--;
	memset(buf, 0, NLMSG_SPACE(sizeof(*e)));
	h->nlmsg_len = NLMSG_LENGTH(sizeof(*e));
	h->nlmsg_type = NLMSG_ERROR;
	h->nlmsg_seq = rec.ack_seq;
	e = NLMSG_DATA(h);
	e->error = 0;
	return (ssize_t)h->nlmsg_len;
}

static void count_hook(void *arg)
{
	rec.hooks++;
}

static void test_hook_runs_before_every_verdict_send(void **state)
{
	static uint8_t pkt[30000];
	struct queue *q;
	unsigned i, sends;

	memset(&rec, 0, sizeof(rec));
	q = queue_open(7);
	assert_non_null(q);
	queue_set_presend(q, count_hook, NULL);
	/* nothing gathered: no send, no hook */
	assert_int_equal(queue_flush(q), 0);
	assert_int_equal(rec.hooks, 0);
	assert_int_equal(rec.n, 0);

	assert_int_equal(queue_verdict(q, 1, NF_ACCEPT, NULL, 0), 0);
	assert_int_equal(rec.n, 0);
	assert_int_equal(queue_flush(q), 0);
	assert_int_equal(rec.n, 1);
	assert_int_equal(rec.hooks, 1);

	/* big replacement packets: queue_verdict() sends on its own */
	for (i = 0; i < 20; i++)
		assert_int_equal(queue_verdict(q, 10 + i, NF_ACCEPT, pkt,
					       sizeof(pkt)), 0);
	sends = rec.n - 1;
	assert_true(sends >= 2);
	assert_int_equal(rec.hooks, rec.n);
	assert_int_equal(queue_flush(q), 0);
	assert_int_equal(rec.hooks, rec.n);
	queue_close(q);
}

static void test_journal_is_written_before_verdicts_leave(void **state)
{
	static uint8_t pkt[30000];
	char dir[] = "/tmp/test_queue_presend.XXXXXX", path[64];
	struct world *w = w_masq();
	struct daemon *d = calloc(1, sizeof(*d));
	unsigned i, sends;
	off_t gathered;
	struct queue *q;

	assert_non_null(d);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/journal", dir);
	d->jr.fd = d->jr.lock_fd = -1;
	d->jr.path = path;
	d->tab = w->t;
	d->cfg.pol = w->pol;
	assert_int_equal(journal_compact(d), 0);

	memset(&rec, 0, sizeof(rec));
	q = queue_open(7);
	assert_non_null(q);
	d->q = q;
	queue_set_presend(q, journal_flush_hook, d);
	rec.path = path;
	rec.d = d;
	gathered = file_size(path);

	/* a packet's state, then its verdict: gathered until it leaves */
	w_line(w, 0, "NOOP\r\n");
	journal_session(d, w->s);
	gathered += (off_t)d->jr.pending;
	assert_int_equal(queue_verdict(q, 1, NF_ACCEPT, NULL, 0), 0);
	assert_true(file_size(path) < gathered);
	verdicts_flush(d);
	assert_int_equal(rec.n, 1);
	assert_int_equal(rec.v[0].file, gathered);
	assert_int_equal(rec.v[0].pending, 0);

	/* a wakeup's worth, the verdict buffer filling up on the way */
	for (i = 0; i < 20; i++) {
		w_line(w, i & 1, i & 1 ? "200 ok\r\n" : "NOOP\r\n");
		journal_session(d, w->s);
		journal_end(d, 1000 + i);
		gathered = (off_t)d->jr.size + (off_t)d->jr.pending;
		sends = rec.n;
		assert_int_equal(queue_verdict(q, 2 + i, NF_ACCEPT, pkt,
					       sizeof(pkt)), 0);
		/* a send in there had everything gathered before it */
		if (rec.n > sends) {
			assert_int_equal(rec.v[rec.n - 1].pending, 0);
			assert_int_equal(rec.v[rec.n - 1].file, gathered);
		}
	}
	assert_true(rec.n >= 3);
	for (i = 1; i < rec.n; i++)
		assert_int_equal(rec.v[i].pending, 0);
	/* the rest, and an END: the records go first, then the verdicts */
	journal_end(d, 5000);
	gathered = (off_t)d->jr.size + (off_t)d->jr.pending;
	i = rec.n;
	verdicts_flush(d);
	assert_int_equal(rec.n, i + 1);
	assert_int_equal(rec.v[i].file, gathered);
	assert_int_equal(rec.v[i].pending, 0);
	/* an END with no verdict after it: written at the wakeup's end */
	journal_end(d, 5001);
	verdicts_flush(d);
	assert_int_equal(rec.n, i + 1);
	assert_int_equal(file_size(path), gathered + JOURNAL_HDR + 8);

	rec.d = NULL;
	queue_close(q);
	journal_close(d);
	unlink(path);
	rmdir(dir);
	free(d);
	w_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hook_runs_before_every_verdict_send),
		cmocka_unit_test(test_journal_is_written_before_verdicts_leave),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
