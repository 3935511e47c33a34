// SPDX-License-Identifier: GPL-2.0-or-later
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "baro.h"

static void test_altitude_standard_atmosphere(void **state)
{
	(void)state;
	/* ISA: 89 875 Pa at 1000 m, 79 495 Pa at 2000 m above 101 325 Pa. */
	assert_float_equal(baro_altitude_m(101325, 101325), 0, 1e-9);
	assert_float_equal(baro_altitude_m(89874.6, 101325), 1000, 1.0);
	assert_float_equal(baro_altitude_m(79495.2, 101325), 2000, 2.0);
	/* Near the ground ~12 Pa per metre. */
	assert_float_equal(baro_altitude_m(101325 - 12.0, 101325), 1.0, 0.02);
}

/* Three hills of 20 m, sampled at 1 Hz with 0.5 m white noise: the climb
 * counts within 5% and noise alone counts almost nothing. */
static void test_climb_of_noisy_hills(void **state)
{
	(void)state;
	const unsigned long seed = 20261121;
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, seed);
	struct baro_climb hills, flat;
	baro_climb_init(&hills, 10, 1.0);
	baro_climb_init(&flat, 10, 1.0);
	double true_gain = 0, prev = 0;
	for (int t = 0; t < 1800; t++) {
		double h = 10.0 * (1.0 - cos(2 * M_PI * 3.0 * t / 1800.0));
		if (h > prev)
			true_gain += h - prev;
		prev = h;
		baro_climb_add(&hills, h + gsl_ran_gaussian(rng, 0.5));
		baro_climb_add(&flat, gsl_ran_gaussian(rng, 0.5));
	}
	if (fabs(hills.gain_m - true_gain) > 0.05 * true_gain)
		printf("seed %lu: gain %.2f vs %.2f\n", seed, hills.gain_m, true_gain);
	assert_true(fabs(hills.gain_m - true_gain) <= 0.05 * true_gain);
	assert_true(fabs(hills.loss_m - true_gain) <= 0.05 * true_gain);
	assert_true(flat.gain_m < 2.0);
	gsl_rng_free(rng);
}

static void test_window_clamped(void **state)
{
	(void)state;
	struct baro_climb c;
	baro_climb_init(&c, 0, 1.0);
	assert_int_equal(c.window_len, 1);
	baro_climb_init(&c, 1000, 1.0);
	assert_int_equal(c.window_len, BARO_SMOOTH_MAX);
	/* A steady climb sampled once a second is followed exactly. */
	baro_climb_init(&c, 5, 1.0);
	for (int t = 0; t <= 100; t++)
		baro_climb_add(&c, 0.5 * t);
	assert_float_equal(c.gain_m, 50.0 - 1.0, 1e-9); /* the 5-s average lags 2 s */
	assert_float_equal(c.loss_m, 0, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_altitude_standard_atmosphere),
		cmocka_unit_test(test_climb_of_noisy_hills),
		cmocka_unit_test(test_window_clamped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
