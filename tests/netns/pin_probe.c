/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pin_probe: drives nft/pin.c and nft/ruleset.c against the kernel, one
 * step per invocation, for tests/netns/test_pin_kernel.sh (which looks at
 * the result with nft between steps). Prints "ok: ..." or "FAIL: ..." for
 * each check; exits 1 on any failure, 2 on a usage error.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "ftp-alg/fw.h"
#include "ftp-alg/pin.h"
#include "ftp-alg/ruleset.h"

static int failures;

static void check(bool ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", ok ? "ok" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!ok)
		failures++;
}

static void addr(int family, const char *s, union alg_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(family, s, a) != 1) {
		fprintf(stderr, "bad address %s\n", s);
		exit(2);
	}
}

static void endpoint(struct alg_endpoint *ep, int family, const char *s,
		     uint16_t port)
{
	ep->family = family;
	addr(family, s, &ep->addr);
	ep->port = port;
}

/*
 * The two entries every step works with:
 *   pin4  192.0.2.10 . 10.0.0.5 . 50001
 *   dnat4 192.0.2.10 . 198.51.100.1 . 40001 : 10.0.0.5 . 50001
 *   pin6  2001:db8::10 . 2001:db8:1::5 . 50002
 */
static void entries(struct pin_entry e[2])
{
	memset(e, 0, 2 * sizeof(*e));
	e[0].family = AF_INET;
	addr(AF_INET, "192.0.2.10", &e[0].peer);
	endpoint(&e[0].wire, AF_INET, "198.51.100.1", 40001);
	endpoint(&e[0].target, AF_INET, "10.0.0.5", 50001);
	e[0].timeout_ms = 60000;
	e[1].family = AF_INET6;
	addr(AF_INET6, "2001:db8::10", &e[1].peer);
	endpoint(&e[1].wire, AF_INET6, "2001:db8:1::5", 50002);
	e[1].target = e[1].wire;
	e[1].timeout_ms = 90000;
}

/*
 * A DMZ server's active-mode data connection:
 *   pin4  10.0.0.5 . 192.0.2.10 . 50003
 *   snat4 10.0.0.5 . 192.0.2.10 . 50003 : 203.0.113.5
 */
static void entry_snat(struct pin_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->family = AF_INET;
	addr(AF_INET, "10.0.0.5", &e->peer);
	addr(AF_INET, "203.0.113.5", &e->peer_pub);
	endpoint(&e->target, AF_INET, "192.0.2.10", 50003);
	e->wire = e->target;
	e->timeout_ms = 60000;
}

static const char *str(int family, const union alg_addr *a, char *buf)
{
	return inet_ntop(family, a, buf, INET6_ADDRSTRLEN);
}

struct seen {
	const struct pin_entry *want;
	unsigned n, match;
};

static bool same_entry(const struct pin_entry *a, const struct pin_entry *b)
{
	return a->family == b->family &&
	       alg_addr_eq(a->family, &a->peer, &b->peer) &&
	       alg_addr_eq(a->family, &a->wire.addr, &b->wire.addr) &&
	       a->wire.port == b->wire.port &&
	       alg_addr_eq(a->family, &a->target.addr, &b->target.addr) &&
	       a->target.port == b->target.port &&
	       a->timeout_ms == b->timeout_ms &&
	       /* only snat4 gives peer_pub back */
	       (!pin_needs_snat(a) ||
		alg_addr_eq(a->family, &a->peer_pub, &b->peer_pub));
}

static int count_cb(const struct pin_entry *e, uint32_t expires_ms, void *arg)
{
	struct seen *s = arg;
	char p[INET6_ADDRSTRLEN], w[INET6_ADDRSTRLEN], t[INET6_ADDRSTRLEN];

	s->n++;
	if (s->want && same_entry(e, s->want) && expires_ms > 0 &&
	    expires_ms <= e->timeout_ms)
		s->match++;
	if (s->want)
		printf("   dump: %s . %s . %u -> %s . %u timeout %ums "
		       "expires %ums\n", str(e->family, &e->peer, p),
		       str(e->family, &e->wire.addr, w), e->wire.port,
		       str(e->family, &e->target.addr, t), e->target.port,
		       e->timeout_ms, expires_ms);
	return 0;
}

/* The pinhole entry as pin4/pin6 gives it back: no wire side. */
static struct pin_entry as_pinhole(const struct pin_entry *e)
{
	struct pin_entry p = *e;

	p.wire = p.target;
	return p;
}

static void expect_dump(struct fw_sock *c, const char *set,
			const struct pin_entry *want, unsigned n)
{
	struct seen s = { .want = want };
	int err;

	err = pin_dump(c, set, count_cb, &s);
	check(!err && s.n == n && s.match == (want ? n : 0),
	      "pin_dump(%s): %u element(s), %u as added (want %u) (%s)",
	      set, s.n, s.match, n, strerror(-err));
}

static int present(struct fw_sock *c, const struct pin_entry *e, int want)
{
	int ret = pin_present(c, e);

	check(ret == want, "pin_present(%s entry) = %d, want %d",
	      e->family == AF_INET ? "IPv4" : "IPv6", ret, want);
	return ret;
}

static void step_check(struct fw_sock *c)
{
	const char *what = "unset";
	int err = ruleset_check_table(c, &what);

	check(err == 0, "ruleset_check_table = %d (%s), what = %s", err,
	      strerror(-err), what ? what : "NULL");
}

/* ruleset_check_table must fail with want_err, naming want. */
static void step_check_fails(struct fw_sock *c, int want_err,
			     const char *want)
{
	const char *what = NULL;
	int err = ruleset_check_table(c, &what);

	check(err == want_err && what && !strcmp(what, want),
	      "ruleset_check_table = %d (%s), what = \"%s\"; want %d and "
	      "\"%s\"", err, strerror(-err), what ? what : "NULL",
	      want_err, want);
}

static void step_add(struct fw_sock *c)
{
	struct pin_entry e[2], p4, p6;
	int err;

	entries(e);
	err = pin_add(c, e, 2);
	check(err == 0, "pin_add(IPv4 with NAT, IPv6) = %d (%s)", err,
	      strerror(-err));
	present(c, &e[0], 1);
	present(c, &e[1], 1);
	p4 = as_pinhole(&e[0]);
	p6 = as_pinhole(&e[1]);
	expect_dump(c, PIN_SET4, &p4, 1);
	expect_dump(c, PIN_MAP4, &e[0], 1);
	expect_dump(c, PIN_SET6, &p6, 1);
	/* the same entries again: no error, still one copy */
	err = pin_add(c, e, 2);
	check(err == 0, "pin_add of the same entries again = %d (%s)", err,
	      strerror(-err));
	expect_dump(c, PIN_SET4, &p4, 1);
}

static void step_del(struct fw_sock *c)
{
	struct pin_entry e[2];
	int err;

	entries(e);
	err = pin_del(c, e, 2);
	check(err == 0, "pin_del(both) = %d (%s)", err, strerror(-err));
	present(c, &e[0], 0);
	present(c, &e[1], 0);
	expect_dump(c, PIN_SET4, NULL, 0);
	expect_dump(c, PIN_MAP4, NULL, 0);
	expect_dump(c, PIN_SET6, NULL, 0);
	err = pin_del(c, e, 2);
	check(err == 0, "pin_del of gone entries = %d (%s)", err,
	      strerror(-err));
}

/*
 * Destroy semantics: the kernel takes the message type, and a batch that
 * names gone elements (the pin4 one the test deleted behind our back, then
 * all of them again) is no error.
 */
static void step_destroy(struct fw_sock *c)
{
	struct pin_entry e[2];
	int err;

	entries(e);
	err = pin_destroy_probe(c);
	check(err == 1, "pin_destroy_probe = %d, want 1 (kernel >= 6.3)", err);
	err = pin_destroy(c, e, 2);
	check(err == 0, "pin_destroy(both, pin4 already gone) = %d (%s)", err,
	      strerror(-err));
	present(c, &e[0], 0);
	present(c, &e[1], 0);
	expect_dump(c, PIN_SET4, NULL, 0);
	expect_dump(c, PIN_MAP4, NULL, 0);
	expect_dump(c, PIN_SET6, NULL, 0);
	err = pin_destroy(c, e, 2);
	check(err == 0, "pin_destroy of gone entries = %d (%s)", err,
	      strerror(-err));
}

static void step_present(struct fw_sock *c, int want4, int want6)
{
	struct pin_entry e[2];

	entries(e);
	present(c, &e[0], want4);
	present(c, &e[1], want6);
}

static void step_sweep(struct fw_sock *c)
{
	int err = pin_sweep(c);

	check(err == 0, "pin_sweep = %d (%s)", err, strerror(-err));
	expect_dump(c, PIN_SET4, NULL, 0);
	expect_dump(c, PIN_MAP4, NULL, 0);
	expect_dump(c, PIN_SET6, NULL, 0);
	expect_dump(c, PIN_SNAT4, NULL, 0);
}

/* The pinhole and its source mapping, in one batch. */
static void step_snat_add(struct fw_sock *c)
{
	struct pin_entry e;
	int err;

	entry_snat(&e);
	err = pin_add(c, &e, 1);
	check(err == 0, "pin_add(IPv4 with a source mapping) = %d (%s)", err,
	      strerror(-err));
	present(c, &e, 1);
	err = pin_map_present(c, &e);
	check(err == 1, "pin_map_present(snat4) = %d, want 1", err);
	expect_dump(c, PIN_SET4, &e, 1);
	expect_dump(c, PIN_SNAT4, &e, 1);
	expect_dump(c, PIN_MAP4, NULL, 0);
}

static void step_snat_present(struct fw_sock *c, int want_pin, int want_map)
{
	struct pin_entry e;
	int err;

	entry_snat(&e);
	present(c, &e, want_pin);
	err = pin_map_present(c, &e);
	check(err == want_map, "pin_map_present(snat4) = %d, want %d", err,
	      want_map);
}

/* Its pinhole consumed: the mapping alone goes, the batch succeeds. */
static void step_snat_del(struct fw_sock *c)
{
	struct pin_entry e;
	bool gone = true;
	int err;

	entry_snat(&e);
	err = pin_del_gone(c, &e, 1, &gone);
	check(err == 0, "pin_del_gone(snat entry, pinhole gone) = %d (%s)",
	      err, strerror(-err));
	expect_dump(c, PIN_SNAT4, NULL, 0);
}

/*
 * Destroy semantics for a source-mapped entry: its pinhole consumed, one
 * destroy batch takes its snat4 mapping too (and is no error).
 */
static void step_snat_destroy(struct fw_sock *c)
{
	struct pin_entry e;
	int err;

	entry_snat(&e);
	err = pin_destroy(c, &e, 1);
	check(err == 0, "pin_destroy(snat entry, pinhole gone) = %d (%s)",
	      err, strerror(-err));
	expect_dump(c, PIN_SET4, NULL, 0);
	expect_dump(c, PIN_SNAT4, NULL, 0);
}

/* n IPv4 entries with NAT in one batch: 2n messages, 2n acks. */
static void step_add_many(struct fw_sock *c, unsigned n)
{
	struct pin_entry *e = calloc(n, sizeof(*e));
	struct seen s4 = { 0 }, m4 = { 0 };
	unsigned i;
	int err;

	if (!e)
		exit(2);
	entries(e);
	for (i = 1; i < n; i++)
		e[i] = e[0];
	for (i = 0; i < n; i++) {
		e[i].wire.port = (uint16_t)(20000 + i);
		e[i].target.port = (uint16_t)(30000 + i);
	}
	err = pin_add(c, e, n);
	check(err == 0, "pin_add(%u entries, %u messages) = %d (%s)", n,
	      2 * n, err, strerror(-err));
	pin_dump(c, PIN_SET4, count_cb, &s4);
	pin_dump(c, PIN_MAP4, count_cb, &m4);
	check(s4.n == n && m4.n == n, "pin4 holds %u, dnat4 %u, want %u",
	      s4.n, m4.n, n);
	present(c, &e[n - 1], 1);
	free(e);
}

static void step_queue_install(struct fw_sock *c)
{
	bool native = true;
	int err = ruleset_queue_install(c, 0, &native);

	check(err == 0, "ruleset_queue_install(0) = %d (%s), %s", err,
	      strerror(-err), native ? "native queue expression" :
	      "xtables NFQUEUE target");
	printf("native=%d\n", native);
}

static void step_queue_remove(struct fw_sock *c)
{
	int err = ruleset_queue_remove(c);

	check(err == 0, "ruleset_queue_remove = %d (%s)", err, strerror(-err));
}

/*
 * Map usedp4 holds, from the script, 192.0.2.10 . 10.0.0.5 . 50001 + k :
 * 30000 + k for k < have (nft add element): pin_used_sport_many() over
 * 2 * have pinholes (the second half not noted) in sends of
 * PIN_USED_MANY, each answer checked, and pin_used_sport() agrees.
 */
static void step_used_many(struct fw_sock *c, unsigned have)
{
	struct pin_entry e[2], q[PIN_USED_MANY];
	uint16_t sport[PIN_USED_MANY], one;
	int res[PIN_USED_MANY], ret;
	unsigned k = 0, n, i, noted = 0, none = 0, bad = 0;

	entries(e);
	while (k < 2 * have) {
		for (n = 0; n < PIN_USED_MANY && k + n < 2 * have; n++) {
			q[n] = e[0];
			q[n].target.port = (uint16_t)(50001 + k + n);
		}
		ret = pin_used_sport_many(c, q, n, sport, res);
		check(ret == 0, "pin_used_sport_many of %u: %s", n,
		      ret ? strerror(-ret) : "ok");
		for (i = 0; !ret && i < n; i++, k++) {
			if (k < have && res[i] == 1 &&
			    sport[i] == 30000 + k)
				noted++;
			else if (k >= have && res[i] == 0)
				none++;
			else
				bad++;
		}
		if (ret)
			break;
	}
	check(noted == have && none == have && !bad,
	      "usedp4 by GETs in one send: %u noted with their ports, %u not "
	      "noted, %u wrong", noted, none, bad);
	q[0] = e[0];
	q[0].target.port = 50001;
	ret = pin_used_sport(c, &q[0], &one);
	check(ret == 1 && one == 30000, "pin_used_sport agrees: %d %u", ret,
	      one);
}

static void usage(void)
{
	fprintf(stderr, "usage: pin_probe check | check-missing WHAT | "
		"check-invalid WHAT | add | "
		"present N4 N6 | del | destroy | sweep | add-many N | queue-install | "
		"queue-remove | snat-add | snat-present NPIN NMAP | "
		"snat-del | snat-destroy | used-many N\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct fw_sock *c;
	const char *cmd;

	if (argc < 2)
		usage();
	cmd = argv[1];
	c = fw_open();
	if (!c) {
		perror("fw_open");
		return 1;
	}
	if (!strcmp(cmd, "check"))
		step_check(c);
	else if (!strcmp(cmd, "check-missing") && argc == 3)
		step_check_fails(c, -ENOENT, argv[2]);
	else if (!strcmp(cmd, "check-invalid") && argc == 3)
		step_check_fails(c, -EINVAL, argv[2]);
	else if (!strcmp(cmd, "add"))
		step_add(c);
	else if (!strcmp(cmd, "present") && argc == 4)
		step_present(c, atoi(argv[2]), atoi(argv[3]));
	else if (!strcmp(cmd, "destroy"))
		step_destroy(c);
	else if (!strcmp(cmd, "del"))
		step_del(c);
	else if (!strcmp(cmd, "sweep"))
		step_sweep(c);
	else if (!strcmp(cmd, "used-many") && argc == 3)
		step_used_many(c, (unsigned)atoi(argv[2]));
	else if (!strcmp(cmd, "add-many") && argc == 3)
		step_add_many(c, (unsigned)atoi(argv[2]));
	else if (!strcmp(cmd, "queue-install"))
		step_queue_install(c);
	else if (!strcmp(cmd, "queue-remove"))
		step_queue_remove(c);
	else if (!strcmp(cmd, "snat-add"))
		step_snat_add(c);
	else if (!strcmp(cmd, "snat-present") && argc == 4)
		step_snat_present(c, atoi(argv[2]), atoi(argv[3]));
	else if (!strcmp(cmd, "snat-del"))
		step_snat_del(c);
	else if (!strcmp(cmd, "snat-destroy"))
		step_snat_destroy(c);
	else
		usage();
	fw_close(c);
	return failures ? 1 : 0;
}
