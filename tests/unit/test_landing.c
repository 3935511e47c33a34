// SPDX-License-Identifier: GPL-2.0-or-later
/* Landing times: the INS's strides moved from stance starts to landings,
 * against the simulator's true landings, at walking and running speeds;
 * and the cases with nothing to find. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim/imu_sim.h"
#include "nav/ins.h"
#include "nav/landing.h"

#define MAX_STRIDES 256
#define TRUTH_MAX 512

struct result {
	size_t n;
	double median_stance_ms;  /* the INS's stride start minus the landing */
	double median_landing_ms; /* landing_apply's */
	double median_abs_landing_ms;
	double duration_error_ms; /* median of stride duration minus the truth's */
};

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), compare_double);
	return n ? v[n / 2] : NAN;
}

/* The true stride whose landing is nearest to t_us. */
static const struct imu_sim_stride *nearest(const struct imu_sim_stride *truth, size_t n,
					    int64_t t_us)
{
	const struct imu_sim_stride *best = &truth[0];
	for (size_t i = 1; i < n; i++)
		if (llabs(truth[i].start_us - t_us) < llabs(best->start_us - t_us))
			best = &truth[i];
	return best;
}

/* 60 s of one foot at this speed through the INS and the landing finder. */
static struct result simulate(uint64_t seed, double speed_mps, double rate_hz)
{
	struct imu_sim_config c;
	struct ins_config ic;
	imu_sim_config_default(&c);
	c.seed = seed;
	c.speed_mps = speed_mps;
	c.rate_hz = rate_hz;
	c.feet = IMU_SIM_LEFT;
	struct imu_sim *sim = imu_sim_new(&c);
	ins_config_default(&ic);
	ic.rate_hz = rate_hz;
	struct ins *ins = ins_new(&ic, IMU_FOOT_LEFT);
	static struct landing land;
	landing_init(&land);
	assert_non_null(sim);
	assert_non_null(ins);

	static struct imu_sim_stride truth[TRUTH_MAX];
	static struct ins_stride before[MAX_STRIDES], after[MAX_STRIDES];
	size_t nt = 0, ns = 0;
	struct imu_sample s[64];
	while (imu_sim_time_us(sim) < 60 * INT64_C(1000000)) {
		size_t n = imu_sim_generate(sim, s, 64);
		for (size_t i = 0; i < n; i++) {
			struct ins_stride x;
			landing_push(&land, &s[i]);
			if (!ins_push(ins, &s[i], &x) || ns == MAX_STRIDES)
				continue;
			before[ns] = x;
			landing_apply(&land, &x);
			after[ns++] = x;
		}
		while (nt < TRUTH_MAX && imu_sim_pop_truth(sim, &truth[nt]))
			nt++;
	}
	static double d_stance[MAX_STRIDES], d_land[MAX_STRIDES], d_abs[MAX_STRIDES];
	static double d_duration[MAX_STRIDES];
	size_t m = 0;
	for (size_t i = 1; i < ns; i++) { /* the first starts from standing */
		const struct imu_sim_stride *t = nearest(truth, nt, after[i].start_us);
		d_stance[m] =
			(before[i].start_us - nearest(truth, nt, before[i].start_us)->start_us) *
			1e-3;
		d_land[m] = (after[i].start_us - t->start_us) * 1e-3;
		d_abs[m] = fabs(d_land[m]);
		d_duration[m] = (after[i].duration_us - (t->end_us - t->start_us)) * 1e-3;
		m++;
	}
	struct result r = { .n = m };
	r.median_stance_ms = median(d_stance, m);
	r.median_landing_ms = median(d_land, m);
	r.median_abs_landing_ms = median(d_abs, m);
	r.duration_error_ms = median(d_duration, m);
	printf("seed %llu, %.1f m/s, %.0f Hz: %zu strides; stance start %+.1f ms after the landing, "
	       "landing found %+.1f ms (median |dt| %.1f ms); duration %+.2f ms\n",
	       (unsigned long long)seed, speed_mps, rate_hz, m, r.median_stance_ms,
	       r.median_landing_ms, r.median_abs_landing_ms, r.duration_error_ms);
	ins_free(ins);
	imu_sim_free(sim);
	return r;
}

/* Stated tolerances: the median landing within 2.5 ms (one sample at
 * 400 Hz) of the truth, and so is the median stride duration. When
 * running the stance starts 20 ms or more after the landing (the heel
 * strike rings out first); the simulated walk has almost no impact, so
 * there its stance starts at the landing and stays there. */
static void test_landings_against_truth(void **state)
{
	(void)state;
	static const struct {
		double speed_mps, rate_hz;
	} cases[] = { { 1.4, 400 }, { 2.5, 400 }, { 3.5, 400 }, { 4.5, 400 },
		      { 5.5, 400 }, { 3.5, 200 }, { 3.5, 1000 } };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t seed = 11 + i;
		struct result r = simulate(seed, cases[i].speed_mps, cases[i].rate_hz);
		assert_true(r.n > 40);
		bool running = cases[i].speed_mps >= 2.5;
		if (!((!running || r.median_stance_ms > 20) && r.median_abs_landing_ms <= 2.5 &&
		      fabs(r.duration_error_ms) <= 2.5)) {
			printf("FAILED: seed %llu\n", (unsigned long long)seed);
			fail();
		}
	}
}

static void push(struct landing *l, int64_t t_us, double az)
{
	struct imu_sample s = { .t_us = t_us, .acc_mps2 = { 0, 0, az } };
	landing_push(l, &s);
}

/* A step in the acceleration 30 ms before a stance: the landing is the
 * sample before it. */
static void test_step_is_found(void **state)
{
	(void)state;
	static struct landing l;
	int64_t landing_us;
	landing_init(&l);
	for (int i = 0; i < 400; i++)
		push(&l, i * 2500, i < 200 ? 9.8 : i < 203 ? 9.8 + 30.0 * (i - 199) : 9.8);
	assert_true(landing_before(&l, 0, 212 * 2500, &landing_us));
	assert_int_equal(landing_us, 199 * 2500);
}

/* Nothing to find: a stance not among the samples kept, one older than
 * the ring, a still foot; the stride is left as the INS made it. */
static void test_nothing_to_find(void **state)
{
	(void)state;
	static struct landing l;
	int64_t landing_us = -1;
	landing_init(&l);
	assert_false(landing_before(&l, 0, 1000, &landing_us));
	for (int i = 0; i < 3000; i++)
		push(&l, i * 2500, 9.8);
	assert_false(landing_before(&l, 0, 12345, &landing_us));     /* not a sample's time */
	assert_false(landing_before(&l, 0, 10 * 2500, &landing_us)); /* no longer kept */
	assert_false(landing_before(&l, 2000 * 2500, 2900 * 2500, &landing_us)); /* no impact */
	assert_int_equal(landing_us, -1);
	struct ins_stride x = { .start_us = 2800 * 2500,
				.end_us = 2900 * 2500,
				.duration_us = 250000 };
	landing_apply(&l, &x);
	assert_int_equal(x.start_us, 2800 * 2500);
	assert_int_equal(x.end_us, 2900 * 2500);
	assert_int_equal(x.duration_us, 250000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_landings_against_truth),
		cmocka_unit_test(test_step_is_found),
		cmocka_unit_test(test_nothing_to_find),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
