// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A watch's GPS elevation graded as the imported altitude it is: with the
 * GPS noise floor (grade_input.pressure_noise_min_m), the grade of a run
 * over hills is closer to the truth than when the same elevation is
 * weighed as a barometer's. Seeded GPS-like noise (white, and a slow
 * wander of the fix), the seed printed on failure.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "nav/baro.h"
#include "nav/grade.h"

#define SECONDS 2400
#define SPEED_MPS 3.0

static double uniform(uint64_t *state)
{
	*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(*state >> 11) / 9007199254740992.0;
}

static double gaussian(uint64_t *state)
{
	double u = uniform(state) + 1e-12, v = uniform(state);
	return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

/* True grade: +-4 % in 400 m stretches (about two minutes each). */
static double true_grade_pct(size_t k)
{
	return (k / 133) % 2 ? -4.0 : 4.0;
}

/* The RMS error of the estimated grade, with the given noise floor. */
static double rms_error(uint64_t seed, double floor_m)
{
	static int64_t t[SECONDS];
	static double dist[SECONDS], pressure[SECONDS];
	uint64_t state = seed;
	double alt = 0, wander = 0;
	for (size_t k = 0; k < SECONDS; k++) {
		t[k] = (int64_t)k * 1000000;
		dist[k] = (double)k * SPEED_MPS;
		if (k > 0)
			alt += true_grade_pct(k) / 100 * SPEED_MPS;
		/* GPS elevation: a metre of jitter a second on a fix that
		 * wanders a few metres over a minute. */
		wander = 0.98 * wander + 0.5 * gaussian(&state);
		double shown = round((alt + wander + 1.0 * gaussian(&state)) * 5) / 5;
		pressure[k] = baro_pressure_pa(shown, ISA_SEA_LEVEL_PA);
	}
	struct grade_input in = { .n = SECONDS,
				  .t_us = t,
				  .distance_m = dist,
				  .pressure_pa = pressure,
				  .pressure_noise_min_m = floor_m };
	struct grade_result r;
	assert_true(grade_estimate(&in, &r));
	double sum = 0;
	size_t n = 0;
	for (size_t k = 100; k + 100 < SECONDS; k++) {
		/* away from the changes of grade, which any window blurs */
		if (k % 133 < 20 || k % 133 > 113)
			continue;
		double e = r.grade_pct[k] - true_grade_pct(k);
		sum += e * e;
		n++;
	}
	grade_result_free(&r);
	return sqrt(sum / (double)n);
}

static void test_gps_floor_helps(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 5; seed++) {
		double as_baro = rms_error(seed, 0),
		       as_gps = rms_error(seed, GRADE_GPS_ALTITUDE_NOISE_M);
		printf("seed %llu: grade RMS error %.2f %% as a barometer, %.2f %% as GPS\n",
		       (unsigned long long)seed, as_baro, as_gps);
		if (!(as_gps < as_baro) || as_gps > 2.5)
			fail_msg(
				"seed %llu: GPS floor %.2f %%, barometer %.2f %% (want < it, <= 2.5)",
				(unsigned long long)seed, as_gps, as_baro);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gps_floor_helps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
