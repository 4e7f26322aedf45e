/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The once-a-second check matches our pinholes against one dump of their
 * sets (pinholes_seen.c): what it finds, what it does not, and what it
 * cannot know. Links alg_daemon.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#pragma GCC diagnostic ignored "-Wunused-parameter"

#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <linux/netfilter/nf_conntrack_common.h>

#include "conntrack.h"
#include "pinholes.h"

static struct pin_entry pin(int family, const char *peer, const char *addr,
			    uint16_t port)
{
	struct pin_entry e;

	memset(&e, 0, sizeof(e));
	e.family = family;
	assert_int_equal(inet_pton(family, peer, &e.peer), 1);
	e.target.family = family;
	assert_int_equal(inet_pton(family, addr, &e.target.addr), 1);
	e.target.port = port;
	e.wire = e.target;
	return e;
}

static void seen_of(struct pinhole_seen *s, const struct pin_entry *v,
		    unsigned n)
{
	unsigned i;

	*s = (struct pinhole_seen){ .v = NULL };
	for (i = 0; i < n; i++)
		assert_int_equal(pinholes_seen_add(s, &v[i]), 0);
	pinholes_seen_sort(s);
}

static void test_dumped_pinhole_is_found_exactly(void **state)
{
	struct pin_entry dumped[] = {
		pin(AF_INET, "192.0.2.10", "10.0.0.5", 50001),
		pin(AF_INET, "192.0.2.11", "10.0.0.5", 50001),
	};
	struct pin_entry e;
	struct pinhole_seen s;

	seen_of(&s, dumped, 2);
	assert_int_equal(pinholes_seen_has(&s, &dumped[0]), 1);
	assert_int_equal(pinholes_seen_has(&s, &dumped[1]), 1);
	/* one field off: another pinhole */
	e = pin(AF_INET, "192.0.2.10", "10.0.0.5", 50002);
	assert_int_equal(pinholes_seen_has(&s, &e), 0);
	e = pin(AF_INET, "192.0.2.12", "10.0.0.5", 50001);
	assert_int_equal(pinholes_seen_has(&s, &e), 0);
	e = pin(AF_INET, "192.0.2.10", "10.0.0.6", 50001);
	assert_int_equal(pinholes_seen_has(&s, &e), 0);
	pinholes_seen_free(&s);
}

/* The wire side (before DNAT) is not in a pinhole's key. */
static void test_match_is_on_the_target_not_the_wire(void **state)
{
	struct pin_entry dumped = pin(AF_INET, "192.0.2.10", "10.0.0.5", 50001);
	struct pin_entry ours = dumped;
	struct pinhole_seen s;

	ours.wire.port = 40001;
	assert_int_equal(inet_pton(AF_INET, "198.51.100.1", &ours.wire.addr),
			 1);
	seen_of(&s, &dumped, 1);
	assert_int_equal(pinholes_seen_has(&s, &ours), 1);
	pinholes_seen_free(&s);
}

/* An IPv6 key whose first bytes equal an IPv4 one is another pinhole. */
static void test_families_never_match_each_other(void **state)
{
	struct pin_entry v4 = pin(AF_INET, "0.0.0.0", "0.0.0.0", 21);
	struct pin_entry v6 = pin(AF_INET6, "::", "::", 21);
	struct pinhole_seen s;

	seen_of(&s, &v4, 1);
	assert_int_equal(pinholes_seen_has(&s, &v4), 1);
	assert_int_equal(pinholes_seen_has(&s, &v6), 0);
	pinholes_seen_free(&s);
}

/* A failed dump makes its own family unknown, the other stays known. */
static void test_failed_dump_is_unknown_for_its_family_only(void **state)
{
	struct pin_entry v4 = pin(AF_INET, "192.0.2.10", "10.0.0.5", 50001);
	struct pin_entry v6 = pin(AF_INET6, "2001:db8::10", "2001:db8:1::5",
				  50002);
	struct pinhole_seen s;

	seen_of(&s, &v4, 1);
	s.err[1] = -EIO;
	assert_int_equal(pinholes_seen_has(&s, &v4), 1);
	assert_int_equal(pinholes_seen_has(&s, &v6), -EIO);
	/* and unknown is what pinhole_fate() keeps rather than removes */
	assert_int_equal(pinhole_fate(pinholes_seen_has(&s, &v6), 0, 60000,
				      false), PINHOLE_KEEP);
	pinholes_seen_free(&s);
}

static void test_empty_dump_finds_nothing(void **state)
{
	struct pin_entry e = pin(AF_INET, "192.0.2.10", "10.0.0.5", 50001);
	struct pinhole_seen s;

	seen_of(&s, NULL, 0);
	assert_int_equal(pinholes_seen_has(&s, &e), 0);
	pinholes_seen_free(&s);
}

static void test_lookup_before_sort_is_refused(void **state)
{
	struct pin_entry e = pin(AF_INET, "192.0.2.10", "10.0.0.5", 50001);
	struct pinhole_seen s = { .v = NULL };

	assert_int_equal(pinholes_seen_add(&s, &e), 0);
	assert_int_equal(pinholes_seen_has(&s, &e), -EINVAL);
	pinholes_seen_free(&s);
}

/* Thousands of elements dumped in any order: each found, no other. */
static void test_many_elements_each_found(void **state)
{
	enum { N = 5000 };
	static struct pin_entry v[N];
	struct pinhole_seen s;
	struct pin_entry e;
	unsigned i;

	for (i = 0; i < N; i++) {
		/* a scrambled order: i * 7919 mod N visits each i once */
		unsigned k = (i * 7919u) % N;

		v[i] = pin(AF_INET, "192.0.2.10", "10.0.0.5", 0);
		v[i].target.port = (uint16_t)(1024 + 2 * k);
		v[i].peer.b[3] = (uint8_t)k;
	}
	seen_of(&s, v, N);
	assert_int_equal(s.n, N);
	for (i = 0; i < N; i++) {
		if (pinholes_seen_has(&s, &v[i]) != 1)
			fail_msg("element %u (port %u) not found", i,
				 v[i].target.port);
		e = v[i];
		e.target.port++;	/* odd ports were never dumped */
		if (pinholes_seen_has(&s, &e) != 0)
			fail_msg("port %u found but never dumped",
				 e.target.port);
	}
	pinholes_seen_free(&s);
}

/* A data connection peer:sport -> target:port (after DNAT), as dumped. */
static struct ct_entry data_conn(const char *peer, uint16_t sport,
				 const char *target, uint16_t port,
				 bool replied)
{
	struct ct_entry c;

	memset(&c, 0, sizeof(c));
	c.has_orig = c.has_reply = true;
	c.orig.family = c.reply.family = AF_INET;
	c.orig.proto = c.reply.proto = IPPROTO_TCP;
	assert_int_equal(inet_pton(AF_INET, peer, &c.orig.src), 1);
	assert_int_equal(inet_pton(AF_INET, target, &c.reply.src), 1);
	c.orig.sport = sport;
	c.reply.sport = port;
	c.reply.dst = c.orig.src;
	c.reply.dport = sport;
	c.status = replied ? IPS_SEEN_REPLY : 0;
	return c;
}

static void view_of(struct pinhole_ct_view *v, const struct ct_entry *c,
		    unsigned n)
{
	unsigned i;

	*v = (struct pinhole_ct_view){ .loaded = true };
	for (i = 0; i < n; i++)
		assert_int_equal(pinhole_ct_view_add(v, &c[i]), 0);
	pinhole_ct_view_sort(v);
}

/* The sorted view answers as pinhole_conn_matches() over every entry. */
static void test_ct_view_finds_data_connection_states(void **state)
{
	struct ct_entry c[] = {
		data_conn("192.0.2.10", 33000, "10.0.0.5", 50001, true),
		data_conn("192.0.2.10", 33001, "10.0.0.5", 50002, false),
		/* the same target port used twice: one answered wins */
		data_conn("192.0.2.11", 33002, "10.0.0.5", 50003, false),
		data_conn("192.0.2.11", 33003, "10.0.0.5", 50003, true),
	};
	struct pinhole_ct_view v;
	struct pin_entry e;
	unsigned i;

	view_of(&v, c, 4);
	e = pin(AF_INET, "192.0.2.10", "10.0.0.5", 50001);
	assert_int_equal(pinhole_ct_view_find(&v, &e), PINHOLE_CONN_REPLIED);
	e = pin(AF_INET, "192.0.2.10", "10.0.0.5", 50002);
	assert_int_equal(pinhole_ct_view_find(&v, &e), PINHOLE_CONN_NO_REPLY);
	e = pin(AF_INET, "192.0.2.11", "10.0.0.5", 50003);
	assert_int_equal(pinhole_ct_view_find(&v, &e), PINHOLE_CONN_REPLIED);
	/* another peer for that port: not its connection */
	e = pin(AF_INET, "192.0.2.12", "10.0.0.5", 50001);
	assert_int_equal(pinhole_ct_view_find(&v, &e), PINHOLE_CONN_NONE);
	for (i = 0; i < 4; i++) {
		e = pin(AF_INET, "192.0.2.10", "10.0.0.5", 0);
		e.peer.v4 = c[i].orig.src.v4;
		e.target.port = c[i].reply.sport;
		assert_true(pinhole_conn_matches(&e, &c[i]));
		assert_int_not_equal(pinhole_ct_view_find(&v, &e),
				     PINHOLE_CONN_NONE);
	}
	pinholes_ct_view_free(&v);
}

static void test_ct_view_failed_or_unsorted_is_unknown(void **state)
{
	struct ct_entry c = data_conn("192.0.2.10", 33000, "10.0.0.5", 50001,
				      true);
	struct pin_entry e = pin(AF_INET, "192.0.2.10", "10.0.0.5", 50001);
	struct pinhole_ct_view v = { .loaded = true };

	assert_int_equal(pinhole_ct_view_add(&v, &c), 0);
	assert_int_equal(pinhole_ct_view_find(&v, &e), PINHOLE_CONN_UNKNOWN);
	pinhole_ct_view_sort(&v);
	assert_int_equal(pinhole_ct_view_find(&v, &e), PINHOLE_CONN_REPLIED);
	v.err = -EIO;
	assert_int_equal(pinhole_ct_view_find(&v, &e), PINHOLE_CONN_UNKNOWN);
	pinholes_ct_view_free(&v);
}

/* Thousands of lingering entries: each pinhole still finds its own. */
static void test_ct_view_many_entries(void **state)
{
	enum { N = 4000 };
	static struct ct_entry c[N];
	struct pinhole_ct_view v;
	struct pin_entry e;
	unsigned i;

	for (i = 0; i < N; i++) {
		unsigned k = (i * 2654435761u) % N;

		c[i] = data_conn("192.0.2.10", (uint16_t)(30000 + i),
				 "10.0.0.5", (uint16_t)(10000 + k), k % 3 == 0);
	}
	view_of(&v, c, N);
	for (i = 0; i < N; i++) {
		e = pin(AF_INET, "192.0.2.10", "10.0.0.5", c[i].reply.sport);
		if (pinhole_ct_view_find(&v, &e) !=
		    (c[i].status ? PINHOLE_CONN_REPLIED
				 : PINHOLE_CONN_NO_REPLY))
			fail_msg("entry %u (port %u) answered wrongly", i,
				 c[i].reply.sport);
	}
	e = pin(AF_INET, "192.0.2.10", "10.0.0.5", 10000 + N);
	assert_int_equal(pinhole_ct_view_find(&v, &e), PINHOLE_CONN_NONE);
	pinholes_ct_view_free(&v);
}

/* used4: each consumed pinhole finds the source ports of its connections. */
static void test_used_set_gives_each_pinhole_its_source_ports(void **state)
{
	struct pinhole_ct_view v = { .loaded = false };
	struct pin_entry a = pin(AF_INET, "192.0.2.10", "10.0.0.5", 50001);
	struct pin_entry b = pin(AF_INET, "192.0.2.10", "10.0.0.5", 50002);
	struct pin_entry c = pin(AF_INET, "192.0.2.11", "10.0.0.5", 50001);
	struct pin_entry a6 = pin(AF_INET6, "::ffff:192.0.2.10", "::", 50001);
	uint16_t sp[4];

	assert_int_equal(pinhole_used_add(&v, &b, 40002), 0);
	assert_int_equal(pinhole_used_add(&v, &a, 40009), 0);
	assert_int_equal(pinhole_used_add(&v, &a, 40001), 0);
	assert_int_equal(pinhole_used_find(&v, &a, sp, 4), -EINVAL);
	pinhole_used_sort(&v);
	/* the same pinhole key used twice: both ports, in order */
	assert_int_equal(pinhole_used_find(&v, &a, sp, 4), 2);
	assert_int_equal(sp[0], 40001);
	assert_int_equal(sp[1], 40009);
	assert_int_equal(pinhole_used_find(&v, &b, sp, 4), 1);
	assert_int_equal(sp[0], 40002);
	/* another peer, another family: nothing */
	assert_int_equal(pinhole_used_find(&v, &c, sp, 4), 0);
	assert_int_equal(pinhole_used_find(&v, &a6, sp, 4), 0);
	/* at most max ports are given */
	assert_int_equal(pinhole_used_find(&v, &a, sp, 1), 1);
	assert_int_equal(sp[0], 40001);
	pinholes_ct_view_free(&v);
}

/* The wire side is not in a pinhole's used key either (it is after DNAT). */
static void test_used_set_matches_target_not_wire(void **state)
{
	struct pinhole_ct_view v = { .loaded = false };
	struct pin_entry dumped = pin(AF_INET, "192.0.2.10", "10.0.0.5", 50001);
	struct pin_entry ours = dumped;
	uint16_t sp[2];

	ours.wire.port = 40001;
	assert_int_equal(inet_pton(AF_INET, "198.51.100.1", &ours.wire.addr),
			 1);
	assert_int_equal(pinhole_used_add(&v, &dumped, 33333), 0);
	pinhole_used_sort(&v);
	assert_int_equal(pinhole_used_find(&v, &ours, sp, 2), 1);
	assert_int_equal(sp[0], 33333);
	pinholes_ct_view_free(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dumped_pinhole_is_found_exactly),
		cmocka_unit_test(test_match_is_on_the_target_not_the_wire),
		cmocka_unit_test(test_families_never_match_each_other),
		cmocka_unit_test(
			test_failed_dump_is_unknown_for_its_family_only),
		cmocka_unit_test(test_empty_dump_finds_nothing),
		cmocka_unit_test(test_lookup_before_sort_is_refused),
		cmocka_unit_test(test_many_elements_each_found),
		cmocka_unit_test(test_ct_view_finds_data_connection_states),
		cmocka_unit_test(test_ct_view_failed_or_unsorted_is_unknown),
		cmocka_unit_test(test_ct_view_many_entries),
		cmocka_unit_test(
			test_used_set_gives_each_pinhole_its_source_ports),
		cmocka_unit_test(test_used_set_matches_target_not_wire),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
