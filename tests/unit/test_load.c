// SPDX-License-Identifier: GPL-2.0-or-later
/* Training-load warnings on hand-made run histories. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "run/load.h"

#define DAY_US (24LL * 3600 * 1000000)
#define T0 1795000000000000LL /* 2026-11-18 */

static void test_first_run_has_no_reference(void **state)
{
	(void)state;
	const struct load_run runs[] = { { T0, 42195 } };
	struct load_result r[1];
	load_assess(runs, 1, r);
	assert_false(r[0].has_reference);
	assert_false(r[0].flagged);
	assert_true(isnan(r[0].reference_m));
	assert_true(isnan(r[0].ratio));
}

static void test_jump_flagged_with_reference_and_ratio(void **state)
{
	(void)state;
	const struct load_run runs[] = {
		{ T0, 8000 },
		{ T0 + 3 * DAY_US, 12000 },
		{ T0 + 7 * DAY_US, 10000 },
		{ T0 + 10 * DAY_US, 15000 },
	};
	struct load_result r[4];
	load_assess(runs, 4, r);
	assert_true(r[1].flagged);
	assert_float_equal(r[1].reference_m, 8000, 1e-9);
	assert_float_equal(r[1].ratio, 1.5, 1e-12);
	assert_false(r[2].flagged);
	assert_float_equal(r[2].reference_m, 12000, 1e-9);
	assert_true(r[3].flagged);
	assert_float_equal(r[3].reference_m, 12000, 1e-9);
	assert_float_equal(r[3].ratio, 1.25, 1e-12);
}

static void test_exactly_110_percent_not_flagged(void **state)
{
	(void)state;
	const struct load_run runs[] = {
		{ T0, 10000 },
		{ T0 + DAY_US, 11000 },        /* exactly 110% */
		{ T0 + 2 * DAY_US, 12100.01 }, /* just over 110% of 11000 */
	};
	struct load_result r[3];
	load_assess(runs, 3, r);
	assert_false(r[1].flagged);
	assert_float_equal(r[1].ratio, 1.1, 1e-12);
	assert_true(r[2].flagged);
}

static void test_window_is_thirty_days_inclusive(void **state)
{
	(void)state;
	const struct load_run exactly[] = { { T0, 10000 }, { T0 + 30 * DAY_US, 20000 } };
	const struct load_run beyond[] = { { T0, 10000 }, { T0 + 30 * DAY_US + 1, 20000 } };
	struct load_result r[2];
	load_assess(exactly, 2, r);
	assert_true(r[1].has_reference);
	assert_true(r[1].flagged);
	load_assess(beyond, 2, r);
	assert_false(r[1].has_reference);
	assert_false(r[1].flagged);
}

static void test_old_long_run_drops_out_of_window(void **state)
{
	(void)state;
	const struct load_run runs[] = {
		{ T0, 30000 },
		{ T0 + 20 * DAY_US, 10000 },
		{ T0 + 40 * DAY_US, 12000 }, /* the 30 km run is 40 days back now */
	};
	struct load_result r[3];
	load_assess(runs, 3, r);
	assert_false(r[1].flagged);
	assert_true(r[2].flagged);
	assert_float_equal(r[2].reference_m, 10000, 1e-9);
}

static void test_unknown_distances(void **state)
{
	(void)state;
	const struct load_run runs[] = {
		{ T0, NAN }, /* treadmill without distance */
		{ T0 + DAY_US, 0 },
		{ T0 + 2 * DAY_US, 5000 },
		{ T0 + 3 * DAY_US, NAN },
		{ T0 + 4 * DAY_US, 9000 },
	};
	struct load_result r[5];
	load_assess(runs, 5, r);
	assert_false(r[2].has_reference); /* unknowns are no reference */
	assert_true(r[3].has_reference);
	assert_false(r[3].flagged);
	assert_true(isnan(r[3].ratio));
	assert_true(r[4].flagged);
	assert_float_equal(r[4].reference_m, 5000, 1e-9);
}

static void test_same_start_time_not_its_own_reference(void **state)
{
	(void)state;
	const struct load_run runs[] = { { T0, 5000 }, { T0, 9000 } };
	struct load_result r[2];
	load_assess(runs, 2, r);
	assert_false(r[0].has_reference);
	assert_false(r[1].has_reference);
}

static void test_empty(void **state)
{
	(void)state;
	load_assess(NULL, 0, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_run_has_no_reference),
		cmocka_unit_test(test_jump_flagged_with_reference_and_ratio),
		cmocka_unit_test(test_exactly_110_percent_not_flagged),
		cmocka_unit_test(test_window_is_thirty_days_inclusive),
		cmocka_unit_test(test_old_long_run_drops_out_of_window),
		cmocka_unit_test(test_unknown_distances),
		cmocka_unit_test(test_same_start_time_not_its_own_reference),
		cmocka_unit_test(test_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
