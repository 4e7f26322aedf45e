/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ports the workers' destroy-event filters pass (workers_ct_filter()):
 * every control port since the start, the current ones always, never
 * more than CT_FILTER_PORTS however many reloads bring new ones.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#pragma GCC diagnostic ignored "-Wunused-parameter"

#include <stdbool.h>

#include "daemon.h"
#include "workers.h"

static struct daemon d;		/* no workers: no sockets to filter */

static bool held(uint16_t p)
{
	unsigned k;

	for (k = 0; k < d.nct_ports; k++)
		if (d.ct_ports[k] == p)
			return true;
	return false;
}

static void set_ports(uint16_t first, unsigned n)
{
	unsigned i;

	for (i = 0; i < ALG_MAX_CTL_PORTS; i++)
		d.cfg.pol.ctl_ports[i] = i < n ? (uint16_t)(first + i) : 0;
}

static void test_union_of_reloads_stays_bounded(void **state)
{
	unsigned r, i;

	set_ports(21, 1);
	workers_ct_filter(&d);
	assert_int_equal(d.nct_ports, 1);
	/* a reload that drops 21 for 2121: both still pass */
	set_ports(2121, 1);
	workers_ct_filter(&d);
	assert_true(held(21) && held(2121));
	/* the same ports again add nothing */
	workers_ct_filter(&d);
	assert_int_equal(d.nct_ports, 2);
	/* reload after reload with eight new ports each */
	for (r = 0; r < 20; r++) {
		set_ports((uint16_t)(3000 + 8 * r), ALG_MAX_CTL_PORTS);
		workers_ct_filter(&d);
		assert_true(d.nct_ports <= CT_FILTER_PORTS);
		for (i = 0; i < ALG_MAX_CTL_PORTS; i++)
			assert_true(held((uint16_t)(3000 + 8 * r + i)));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_union_of_reloads_stays_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
