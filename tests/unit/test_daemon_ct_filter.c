/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The conntrack event socket's filter (alg/daemon/ct_filter.c): its
 * shape. What it passes in the kernel is netns_churn's "filtered" check.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#pragma GCC diagnostic ignored "-Wunused-parameter"

#include <errno.h>
#include <linux/filter.h>

#include "conntrack.h"

static void test_each_port_jumps_to_accept(void **state)
{
	const uint16_t ports[] = { 21, 2121, 990 };
	struct sock_filter f[64];
	int n = ct_filter_build(f, 64, ports, 3), i, acc, cmp = 0;

	assert_true(n > 3);
	acc = n - 1;
	assert_int_equal(f[acc].code, BPF_RET | BPF_K);
	assert_int_equal(f[acc].k, 0xffffffffu);
	assert_int_equal(f[acc - 1].code, BPF_RET | BPF_K);
	assert_int_equal(f[acc - 1].k, 0);	/* the rest: dropped */
	for (i = 0; i < n; i++) {
		if (f[i].code != (BPF_JMP | BPF_JEQ | BPF_K))
			continue;
		/* every comparison's true branch ends at accept */
		assert_int_equal(i + 1 + f[i].jt, acc);
		assert_int_equal(f[i].jf, 0);
		if (f[i].k)
			assert_int_equal(f[i].k, ports[cmp++]);
	}
	assert_int_equal(cmp, 3);
	/* the port is read 4 bytes into its attribute, as a half-word */
	for (i = 0; i < n && f[i].code != (BPF_LD | BPF_H | BPF_IND); i++)
		;
	assert_true(i < n);
	assert_int_equal(f[i].k, 4);
}

static void test_no_port_drops_everything(void **state)
{
	struct sock_filter f[4];

	assert_int_equal(ct_filter_build(f, 4, NULL, 0), 1);
	assert_int_equal(f[0].code, BPF_RET | BPF_K);
	assert_int_equal(f[0].k, 0);
}

static void test_too_many_ports_refused(void **state)
{
	uint16_t ports[40] = { 0 };
	struct sock_filter f[16];

	assert_int_equal(ct_filter_build(f, 16, ports, 8), -E2BIG);
	assert_int_equal(ct_filter_build(f, 16, ports, 2), 16);
	assert_int_equal(ct_filter_build(f, 16, ports, 3), -E2BIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_port_jumps_to_accept),
		cmocka_unit_test(test_no_port_drops_everything),
		cmocka_unit_test(test_too_many_ports_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
