// SPDX-License-Identifier: GPL-2.0-or-later
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "nav/baro.h"

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

/* Reads the Suunto Ambit3's flat 7.1-km run (shared/data/real/baro): each
 * <Sample> with <Time> [s] and <AbsPressure> [Pa]; the last pressure of
 * each whole second, carried over seconds without one. */
static size_t read_suunto_flat_run(double *pressure_pa, size_t max)
{
	const char *dir = getenv("HAMSTRIDE_REAL_DATA");
	char path[4096], line[512];
	if (!dir)
		return 0;
	snprintf(
		path, sizeof(path),
		"%s/baro/gc_suunto_ambit3_flatrun_abspressure_C6CF0C5100001000-2015-09-19T09_09_20-0.sml",
		dir);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = 0;
	double p = NAN, t;
	while (fgets(line, sizeof(line), f)) {
		const char *tag;
		if ((tag = strstr(line, "<AbsPressure>")))
			p = strtod(tag + strlen("<AbsPressure>"), NULL);
		else if ((tag = strstr(line, "<Time>")) && !isnan(p)) {
			t = strtod(tag + strlen("<Time>"), NULL);
			while (n < max && n <= (size_t)t)
				pressure_pa[n++] = p;
		}
	}
	fclose(f);
	return n;
}

/* A real barometer on a flat run (the watch's own altitude stays within
 * 75–78 m; its pressure is quantised to 10 Pa, ~0.8 m): the climb counted
 * must stay near zero. */
static void test_real_flat_run(void **state)
{
	(void)state;
	static double pressure_pa[4000];
	size_t n = read_suunto_flat_run(pressure_pa, 4000);
	if (n == 0) {
		print_message("real barometer data not found: skipped\n");
		skip();
	}
	struct baro_climb c;
	baro_climb_init(&c, 12, 0.3);
	for (size_t i = 0; i < n; i++)
		baro_climb_add(&c, baro_altitude_m(pressure_pa[i], pressure_pa[0]));
	print_message("flat run: %zu s, climb counted %.2f m up, %.2f m down\n", n, c.gain_m,
		      c.loss_m);
	assert_true(n > 2000);
	assert_true(c.gain_m < 6.0);
	assert_true(c.loss_m < 6.0);
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
		cmocka_unit_test(test_real_flat_run),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
