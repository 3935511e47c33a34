// SPDX-License-Identifier: GPL-2.0-or-later
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>

#include <cmocka.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "run/pod_cal.h"

#define SEED 20261207u

/* One simulated run, a second at a time: true speed 2.5-3.5 m/s, the pod
 * reading scale × truth with 2 % noise per second, the IMUs' strides
 * arriving one at a time (2.4 m each, 1 cm noise). */
static void simulate_run(gsl_rng *rng, double scale, int seconds, struct pod_cal_run *r)
{
	double true_m = 0, pod_m = 0, imu_m = 0, next_stride_m = 2.4;
	pod_cal_run_init(r);
	for (int s = 0; s < seconds; s++) {
		double v = 3.0 + 0.5 * sin(s / 300.0);
		true_m += v;
		pod_m += scale * v * (1 + gsl_ran_gaussian(rng, 0.02));
		while (true_m >= next_stride_m) {
			imu_m = next_stride_m + gsl_ran_gaussian(rng, 0.01);
			next_stride_m += 2.4;
		}
		pod_cal_run_observe(r, pod_m, imu_m);
	}
}

static void test_recovers_scale_within_its_uncertainty(void **state)
{
	(void)state;
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, SEED);
	static struct pod_cal_run r;
	const double scales[] = { 0.96, 0.985, 1.0, 1.03, 1.04 };
	for (size_t i = 0; i < sizeof(scales) / sizeof(scales[0]); i++) {
		struct pod_cal_estimate e;
		simulate_run(rng, scales[i], 1800, &r);
		assert_true(pod_cal_run_estimate(&r, &e));
		if (fabs(e.scale - scales[i]) > 0.003 || e.scale_sd < 0.005 || e.scale_sd > 0.01) {
			fprintf(stderr, "seed %u: scale %.4f estimated %.4f ± %.4f\n", SEED,
				scales[i], e.scale, e.scale_sd);
			fail();
		}
		assert_true(e.windows >= 10);
	}
	gsl_rng_free(rng);
}

static void test_too_short_or_absurd_is_refused(void **state)
{
	(void)state;
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, SEED);
	static struct pod_cal_run r;
	struct pod_cal_estimate e = { .scale = 42 };
	simulate_run(rng, 1.02, 240, &r); /* 720 m: 3 windows */
	assert_false(pod_cal_run_estimate(&r, &e));
	simulate_run(rng, 1.609, 1800, &r); /* a pod in miles */
	assert_false(pod_cal_run_estimate(&r, &e));
	assert_float_equal(e.scale, 42, 0);
	gsl_rng_free(rng);
}

static void test_long_run_merges_windows(void **state)
{
	(void)state;
	static struct pod_cal_run r;
	pod_cal_run_init(&r);
	/* 200 km at exactly 1.02: the table fills and windows double */
	for (int s = 0; s <= 200000; s += 10)
		pod_cal_run_observe(&r, 1.02 * s, s);
	assert_true(r.n <= POD_CAL_MAX_WINDOWS);
	assert_true(r.window_m > POD_CAL_WINDOW_M);
	struct pod_cal_estimate e;
	assert_true(pod_cal_run_estimate(&r, &e));
	assert_float_equal(e.scale, 1.02, 1e-9);
	assert_float_equal(e.scale_sd, POD_CAL_IMU_BIAS_SD, 1e-9);
}

static void test_counter_reset_starts_a_new_window(void **state)
{
	(void)state;
	static struct pod_cal_run r;
	pod_cal_run_init(&r);
	for (int s = 0; s <= 1000; s += 10)
		pod_cal_run_observe(&r, 1.03 * s, s);
	size_t n = r.n;
	pod_cal_run_observe(&r, 5, 1010); /* the pod's counter went back */
	for (int s = 1020; s <= 3000; s += 10)
		pod_cal_run_observe(&r, 5 + 1.03 * (s - 1010), s);
	assert_true(r.n > n);
	struct pod_cal_estimate e;
	assert_true(pod_cal_run_estimate(&r, &e));
	assert_float_equal(e.scale, 1.03, 1e-9);
}

static void test_combine_weights_and_keeps_imu_bias(void **state)
{
	(void)state;
	struct pod_cal_estimate runs[7] = { 0 }, c;
	assert_false(pod_cal_combine(runs, 0, &c));
	/* two old runs at 1.10 are beyond the history and do not count */
	for (int i = 0; i < 7; i++)
		runs[i] = (struct pod_cal_estimate){ .scale = i < 2 ? 1.10 : 1.02,
						     .scale_sd = 0.008,
						     .windows = 10 };
	runs[6].scale = 1.04;
	runs[6].scale_sd = 0.05; /* a noisy run weighs little */
	assert_true(pod_cal_combine(runs, 7, &c));
	assert_true(fabs(c.scale - 1.02) < 0.001);
	assert_int_equal(c.windows, 50);
	/* more runs shrink the random part, never the IMUs' bias */
	assert_true(c.scale_sd < 0.008);
	assert_true(c.scale_sd >= POD_CAL_IMU_BIAS_SD);
}

static void test_apply(void **state)
{
	(void)state;
	assert_float_equal(pod_cal_apply(10300, 1.03), 10000, 1e-9);
	assert_float_equal(pod_cal_apply(10300, NAN), 10300, 0);
	assert_float_equal(pod_cal_apply(10300, 2.0), 10300, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recovers_scale_within_its_uncertainty),
		cmocka_unit_test(test_too_short_or_absurd_is_refused),
		cmocka_unit_test(test_long_run_merges_windows),
		cmocka_unit_test(test_counter_reset_starts_a_new_window),
		cmocka_unit_test(test_combine_weights_and_keeps_imu_bias),
		cmocka_unit_test(test_apply),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
