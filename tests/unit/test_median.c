// SPDX-License-Identifier: GPL-2.0-or-later
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/median.h"

static void test_odd_and_even(void **state)
{
	(void)state;
	const double one[] = { 4.5 };
	const double three[] = { 3, 1, 2 };
	const double four[] = { 0.9, 0.4, 1.3, 0.7 }; /* the upper middle: 0.9 */
	const double five[] = { 1.1, 2.2, 0.55, 1.0, 1.05 };
	assert_true(median_of_few(one, 1) == 4.5);
	assert_true(median_of_few(three, 3) == 2);
	assert_true(median_of_few(four, 4) == 0.9);
	assert_true(median_of_few(five, 5) == 1.05);
}

/* A stride with a stance missed (twice the usual) or cut in two does not
 * move the median of five; the input is left in its order. */
static void test_outliers_and_input_kept(void **state)
{
	(void)state;
	double v[] = { 0.70, 1.41, 0.71, 0.35, 0.72 };
	double copy[5];
	memcpy(copy, v, sizeof(v));
	assert_true(median_of_few(v, 5) == 0.71);
	assert_memory_equal(v, copy, sizeof(v));
}

/* Whole numbers (microseconds of a swing) come back exactly. */
static void test_whole_numbers_exact(void **state)
{
	(void)state;
	const double us[] = { 400123, 399877, 1800001, 401000, 10 };
	assert_true((int64_t)median_of_few(us, 5) == 400123);
}

/* More than MEDIAN_FEW_MAX values: the first MEDIAN_FEW_MAX decide. */
static void test_capped(void **state)
{
	(void)state;
	double v[MEDIAN_FEW_MAX + 4];
	for (size_t i = 0; i < MEDIAN_FEW_MAX + 4; i++)
		v[i] = (double)i;
	assert_true(median_of_few(v, MEDIAN_FEW_MAX + 4) == (double)MEDIAN_FEW_MAX * 0.5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_odd_and_even),
		cmocka_unit_test(test_outliers_and_input_kept),
		cmocka_unit_test(test_whole_numbers_exact),
		cmocka_unit_test(test_capped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
