// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The grade estimator (analysis/nav/grade.c) on seeded synthetic runs of
 * known profile: a barometer alone (noise, weather drift, warm-up), shoe
 * IMUs alone (per-stride height noise and a drift), both, a treadmill's
 * incline; bad barometers (0 Pa, a 5 kPa jump); no altitude source. And
 * grade-adjusted pace (analysis/run/gap.c) and the segmenter on the same
 * profiles. Tolerances are stated; the seed is printed on failure.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "nav/baro.h"
#include "nav/grade.h"
#include "run/gap.h"
#include "run/segments.h"

#define N 1800 /* 30 minutes */
#define SPEED_MPS 3.0
#define T0_US 1795000000000000LL
#define STRIDE_S 0.7
#define MAX_STRIDES 6000

/* A course: flat 600 m, an 8 % climb of 900 m, flat 600 m, a -4 % descent
 * of 1350 m, flat to the end. */
static double course_elevation_m(double x)
{
	const double seg[][2] = { { 600, 0 }, { 900, 0.08 }, { 600, 0 }, { 1350, -0.04 } };
	double h = 0, at = 0;
	for (size_t i = 0; i < sizeof(seg) / sizeof(seg[0]); i++) {
		double len = fmin(fmax(x - at, 0), seg[i][0]);
		h += len * seg[i][1];
		at += seg[i][0];
	}
	return h;
}

struct run {
	int64_t t[N];
	double d[N], p[N], temp[N], incline[N], truth_h[N];
	struct grade_stride strides[MAX_STRIDES];
	size_t n_strides;
};

static unsigned long seed_of(void)
{
	const char *s = getenv("TEST_SEED");
	return s ? strtoul(s, NULL, 10) : 20261207ul;
}

/* flags: which sources the run has */
enum { BARO = 1, IMU = 2 };
static void make_run(struct run *r, unsigned sources, unsigned long seed)
{
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, seed);
	double coeff_pa_k = gsl_ran_flat(rng, 1.0, 2.0) * (gsl_rng_uniform(rng) < 0.5 ? -1 : 1);
	double drift_pa_s = gsl_ran_flat(rng, -30, 30) / 3600;
	for (size_t k = 0; k < N; k++) {
		r->t[k] = T0_US + (int64_t)k * 1000000;
		r->d[k] = SPEED_MPS * (double)k;
		r->truth_h[k] = course_elevation_m(r->d[k]);
		r->temp[k] = 12 + 8 * (1 - exp(-(double)k / 180));
		double p0 = 101325 + drift_pa_s * (double)k;
		r->p[k] = (sources & BARO) ? p0 * pow(1 - (300 + r->truth_h[k]) / 44330.0, 5.255) +
						     coeff_pa_k * (r->temp[k] - 12) +
						     gsl_ran_gaussian(rng, 2.5)
					   : NAN;
		r->incline[k] = NAN;
	}
	r->n_strides = 0;
	double ins_drift_mps = gsl_ran_flat(rng, -0.002, 0.002);
	/* both feet: a stride every half stride time */
	for (size_t i = 0; (sources & IMU) && r->n_strides < MAX_STRIDES; i++) {
		double t = (double)i * STRIDE_S / 2;
		if (t + STRIDE_S >= N - 1)
			break;
		double dh = course_elevation_m(SPEED_MPS * (t + STRIDE_S)) -
			    course_elevation_m(SPEED_MPS * t);
		r->strides[r->n_strides++] = (struct grade_stride){
			T0_US + (int64_t)(t * 1e6), T0_US + (int64_t)((t + STRIDE_S) * 1e6),
			dh + gsl_ran_gaussian(rng, 0.03) + ins_drift_mps * STRIDE_S
		};
	}
	gsl_rng_free(rng);
}

static struct grade_input input_of(const struct run *r)
{
	return (struct grade_input){ .n = N,
				     .t_us = r->t,
				     .distance_m = r->d,
				     .pressure_pa = r->p,
				     .temperature_c = r->temp,
				     .incline_pct = r->incline,
				     .strides = r->strides,
				     .n_strides = r->n_strides };
}

/* RMS error of grade over 100 m (every 10 s), and the net climb error. */
static void errors(const struct run *r, const struct grade_result *g, double *rms_pp,
		   double *gain_err_m)
{
	double se = 0;
	size_t m = 0, step = (size_t)(100 / SPEED_MPS);
	for (size_t k = 0; k + step < N; k += 10) {
		double est = 100 * (g->altitude_m[k + step] - g->altitude_m[k]) / 100;
		double tru = 100 * (r->truth_h[k + step] - r->truth_h[k]) / 100;
		se += (est - tru) * (est - tru);
		m++;
	}
	*rms_pp = sqrt(se / (double)m);
	double true_gain, true_loss;
	grade_gain_loss(r->truth_h, N, 0, &true_gain, &true_loss);
	*gain_err_m = g->gain_m - true_gain;
}

static void check_sources(unsigned sources, double rms_max_pp, double gain_max_m,
			  unsigned expect_bits)
{
	static struct run r;
	for (unsigned long i = 0; i < 3; i++) {
		unsigned long seed = seed_of() + i;
		make_run(&r, sources, seed);
		struct grade_input in = input_of(&r);
		struct grade_result g;
		assert_true(grade_estimate(&in, &g));
		double rms, gain_err;
		errors(&r, &g, &rms, &gain_err);
		if (g.sources != expect_bits || !(rms <= rms_max_pp) ||
		    !(fabs(gain_err) <= gain_max_m))
			fail_msg("seed %lu sources %u: grade over 100 m RMS %.2f pp (max %.2f), "
				 "gain off by %.2f m (max %.2f), sources used %u",
				 seed, sources, rms, rms_max_pp, gain_err, gain_max_m, g.sources);
		grade_result_free(&g);
	}
}

/* True gain is 72 m. Weather moves a barometer's reading by up to 1.3 m
 * over the run, counted as climb where the road is flat: 3.5 m (5 %). The
 * INS alone drifts (here up to 2 mm/s), which nothing can correct, and its
 * per-stride noise wanders past the gain's hysteresis: 10 m. */
static void test_barometer_alone(void **state)
{
	(void)state;
	check_sources(BARO, 0.6, 3.5, GRADE_SOURCE_BARO);
}

static void test_imu_alone(void **state)
{
	(void)state;
	check_sources(IMU, 0.8, 10.0, GRADE_SOURCE_IMU);
}

static void test_barometer_and_imu(void **state)
{
	(void)state;
	check_sources(BARO | IMU, 0.3, 3.0, GRADE_SOURCE_BARO | GRADE_SOURCE_IMU);
}

/* A treadmill's incline is the grade, whatever the barometer says. */
static void test_treadmill_incline(void **state)
{
	(void)state;
	static struct run r;
	make_run(&r, BARO, seed_of());
	for (size_t k = 0; k < N; k++)
		r.incline[k] = k < N / 2 ? 1.0 : 5.0;
	struct grade_input in = input_of(&r);
	struct grade_result g;
	assert_true(grade_estimate(&in, &g));
	assert_int_equal(g.sources, GRADE_SOURCE_TREADMILL);
	assert_float_equal(g.grade_pct[N / 4], 1.0, 0.05);
	assert_float_equal(g.grade_pct[3 * N / 4], 5.0, 0.05);
	grade_result_free(&g);
}

/* 0 Pa for a minute and a 5 kPa jump that stays: neither is the runner. */
static void test_bad_barometer(void **state)
{
	(void)state;
	static struct run r;
	make_run(&r, BARO, seed_of());
	for (size_t k = 300; k < 360; k++)
		r.p[k] = 0;
	for (size_t k = 1200; k < N; k++)
		r.p[k] -= 5000;
	r.p[700] += 5000; /* and one spike */
	struct grade_input in = input_of(&r);
	struct grade_result g;
	assert_true(grade_estimate(&in, &g));
	double rms, gain_err;
	errors(&r, &g, &rms, &gain_err);
	if (!(rms <= 0.8) || !(fabs(gain_err) <= 4.0))
		fail_msg("seed %lu: bad barometer: grade RMS %.2f pp, gain off by %.2f m",
			 seed_of(), rms, gain_err);
	for (size_t k = 0; k < N; k++)
		assert_true(fabs(g.grade_pct[k]) < 15);
	grade_result_free(&g);
}

/* A barometer alone on level ground with a weather trend of 150 Pa/h
 * (12.5 m/h to the barometer) and the runner standing still for the
 * first and last stand_s seconds; n seconds in all. The truth is level:
 * every metre the estimate climbs is weather taken for terrain. */
static void make_level_weather_run(struct run *r, size_t n, size_t stand_s, unsigned long seed)
{
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, seed);
	double d = 0;
	for (size_t k = 0; k < n; k++) {
		bool still = k < stand_s || k >= n - stand_s;
		if (k && !still) /* a standing start: 1, 2, then 3 m a second */
			d += fmin(SPEED_MPS, (double)(k + 1 - stand_s));
		r->t[k] = T0_US + (int64_t)k * 1000000;
		r->d[k] = d;
		r->truth_h[k] = 0;
		r->temp[k] = 20;
		double p0 = 101325 - 150.0 / 3600 * (double)k;
		r->p[k] = p0 * pow(1 - 300 / 44330.0, 5.255) + gsl_ran_gaussian(rng, 2.5);
		r->incline[k] = NAN;
	}
	r->n_strides = 0;
	gsl_rng_free(rng);
}

/* The estimate's rise from the first to the last second (the truth: 0). */
static double level_rise_m(struct run *r, size_t n)
{
	struct grade_input in = input_of(r);
	in.n = n;
	struct grade_result g;
	assert_true(grade_estimate(&in, &g));
	double rise = g.altitude_m[n - 1] - g.altitude_m[0];
	grade_result_free(&g);
	return rise;
}

/* Standing still, the runner does not climb: two minutes' stand at each
 * end of a 30-minute run show the barometer the weather alone. Of the
 * 6.3 m the trend moves it over the run, 5.8-6.4 m are taken for a climb
 * when the runner moves all the time (seeds 1-5) and 1.4-2.3 m with the
 * stands: the trend may change between them, and what it does there is
 * still ambiguous. Here: at most 3 m, and at most half of the other. */
static void test_standing_shows_weather(void **state)
{
	(void)state;
	static struct run r;
	for (unsigned long i = 0; i < 3; i++) {
		unsigned long seed = seed_of() + i;
		make_level_weather_run(&r, N, 120, seed);
		double standing = level_rise_m(&r, N);
		make_level_weather_run(&r, N, 0, seed);
		double moving = level_rise_m(&r, N);
		if (!(fabs(standing) <= 3.0) || !(fabs(moving) >= 2 * fabs(standing)))
			fail_msg("seed %lu: level run in 150 Pa/h weather rose %.2f m with stands "
				 "(max 3.0, and half of without), %.2f m without",
				 seed, standing, moving);
	}
}

/* A distance held while a pod drops out resumes with a jump: that is no
 * stand, and the barometer's climb over it stays a climb. */
static void test_dropout_is_no_stand(void **state)
{
	(void)state;
	static struct run r;
	unsigned long seed = seed_of();
	make_run(&r, BARO, seed);
	/* 60 s on the 8 % climb (600 m to 1500 m: seconds 200 to 500) */
	for (size_t k = 300; k < 360; k++)
		r.d[k] = r.d[299];
	struct grade_input in = input_of(&r);
	struct grade_result g;
	assert_true(grade_estimate(&in, &g));
	double est = g.altitude_m[360] - g.altitude_m[299];
	double truth = r.truth_h[360] - r.truth_h[299];
	if (!(fabs(est - truth) <= 1.0))
		fail_msg("seed %lu: over a 60 s dropout on the climb the estimate rose %.2f m, "
			 "the truth %.2f m",
			 seed, est, truth);
	grade_result_free(&g);
}

/* No barometer, no strides, no incline: unknown, and unknown segments. */
static void test_no_source(void **state)
{
	(void)state;
	static struct run r;
	make_run(&r, 0, seed_of());
	struct grade_input in = input_of(&r);
	struct grade_result g;
	assert_true(grade_estimate(&in, &g));
	assert_int_equal(g.sources, GRADE_SOURCE_NONE);
	assert_true(isnan(g.gain_m));
	struct seg_second *sec = calloc(N, sizeof(*sec));
	for (size_t k = 0; k < N; k++) {
		assert_true(isnan(g.grade_pct[k]));
		sec[k] = (struct seg_second){ r.t[k], r.d[k], g.altitude_m[k], g.grade_pct[k], NAN,
					      NAN,    NAN };
	}
	const struct seg_thresholds t = SEG_THRESHOLDS_DEFAULT;
	struct seg_segment *segs;
	size_t n = seg_cut(sec, N, &t, NULL, &segs);
	assert_int_equal(n, 1);
	assert_int_equal(segs[0].cls, SEG_UNKNOWN);
	assert_true(isnan(segs[0].gap_s_per_km));
	free(segs);
	free(sec);
	grade_result_free(&g);
}

static void test_malformed_input(void **state)
{
	(void)state;
	int64_t t[3] = { 2, 1, 3 };
	double d[3] = { 0, 1, 2 };
	struct grade_input in = { .n = 3, .t_us = t, .distance_m = d };
	struct grade_result g = { .gain_m = 42 };
	assert_false(grade_estimate(&in, &g)); /* time goes back */
	assert_float_equal(g.gain_m, 42, 0);
	in.n = 0;
	assert_false(grade_estimate(&in, &g));
	assert_false(grade_estimate(NULL, &g));
}

/* ---- segments of the synthetic course ---- */

static void test_segments_of_course(void **state)
{
	(void)state;
	static struct run r;
	unsigned long seed = seed_of();
	make_run(&r, BARO | IMU, seed);
	struct grade_input in = input_of(&r);
	struct grade_result g;
	assert_true(grade_estimate(&in, &g));
	struct seg_second *sec = calloc(N, sizeof(*sec));
	for (size_t k = 0; k < N; k++)
		sec[k] = (struct seg_second){ r.t[k], r.d[k], g.altitude_m[k], g.grade_pct[k], 170,
					      2.1,    NAN };
	const struct seg_thresholds t = SEG_THRESHOLDS_DEFAULT;
	struct seg_segment *segs;
	size_t n = seg_cut(sec, N, &t, NULL, &segs);
	/* flat, steep-up, flat, down, flat */
	static const enum seg_class want[] = { SEG_FLAT, SEG_STEEP_UP, SEG_FLAT, SEG_DOWN,
					       SEG_FLAT };
	if (n != 5)
		fail_msg("seed %lu: %zu segments, expected 5", seed, n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(segs[i].cls, want[i]);
		assert_true(isnan(segs[i].stride_ratio)); /* no history */
		assert_float_equal(segs[i].stride_m, 2.1, 1e-9);
	}
	/* each within 30 m of where the grade changes */
	assert_float_equal(segs[1].start_us, T0_US + 200 * 1000000LL, 10 * 1000000.0);
	assert_float_equal(segs[1].grade_pct, 8.0, 0.3);
	assert_float_equal(segs[3].grade_pct, -4.0, 0.3);
	/* GAP: flat equals pace within 2 % (its last seconds see the climb's
	 * start through the grade's 30 s average), the climb slower than pace */
	double pace = 1000 / SPEED_MPS;
	assert_float_equal(segs[0].gap_s_per_km / pace, 1.0, 0.02);
	assert_true(segs[1].gap_s_per_km < pace / 1.2);
	assert_true(segs[3].gap_s_per_km > pace);
	free(segs);
	free(sec);
	grade_result_free(&g);
}

/* The segments of a profile of m seconds, one every 3 m of path from
 * T0_US, its grade over the grade's own window; m at most PROFILE_MAX. */
#define PROFILE_MAX 600
static size_t segments_of_profile(const double *h, size_t m, struct seg_segment **segs)
{
	static struct seg_second sec[PROFILE_MAX];
	static double d[PROFILE_MAX], g[PROFILE_MAX];
	assert_true(m <= PROFILE_MAX);
	for (size_t k = 0; k < m; k++)
		d[k] = 3.0 * (double)k;
	grade_over_window(d, h, m, GRADE_WINDOW_M, g);
	for (size_t k = 0; k < m; k++)
		sec[k] = (struct seg_second){
			T0_US + (int64_t)k * 1000000, d[k], h[k], g[k], NAN, NAN, NAN
		};
	const struct seg_thresholds t = SEG_THRESHOLDS_DEFAULT;
	return seg_cut(sec, m, &t, NULL, segs);
}

/* A 3 m bump in a flat road, 60 m long, is not a hill. */
static void test_short_bump_merged(void **state)
{
	(void)state;
	double h[600];
	for (size_t k = 0; k < 600; k++) {
		double x = 3.0 * (double)k;
		h[k] = x > 900 && x < 960 ? 3 * sin(M_PI * (x - 900) / 60) : 0;
	}
	struct seg_segment *segs;
	size_t n = segments_of_profile(h, 600, &segs);
	assert_int_equal(n, 1);
	assert_int_equal(segs[0].cls, SEG_FLAT);
	assert_float_equal(segs[0].length_m, 1797, 1e-9);
	free(segs);
}

/* A hill repeat as the simulator's: 300 m up at 8 %, 30 m across the top,
 * down at 7 % to the foot, up again. The climb ends at the top and the
 * descent at the foot, within a few metres. Merged whole into one side,
 * the 30 m top went to the longer slope, the descent, which then began
 * at the top's start. */
static void test_turns_at_top_and_foot(void **state)
{
	(void)state;
	enum { M = 500 };
	const double top = 600, across = 30, foot = top + across + 24 / 0.07;
	double h[M];
	for (size_t k = 0; k < M; k++) {
		/* up, across the top, down, up again: 24 m a climb */
		double x = 3.0 * (double)k;
		double up = fmin(fmax(0.08 * (x - 300), 0), 24);
		double down = fmin(fmax(0.07 * (x - top - across), 0), 24);
		double again = fmin(fmax(0.08 * (x - foot), 0), 24);
		h[k] = up - down + again;
	}
	struct seg_segment *segs;
	size_t n = segments_of_profile(h, M, &segs);
	/* flat, steep-up, steep-down, steep-up, flat */
	static const enum seg_class want[] = { SEG_FLAT, SEG_STEEP_UP, SEG_STEEP_DOWN, SEG_STEEP_UP,
					       SEG_FLAT };
	assert_int_equal(n, 5);
	double x = 0;
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(segs[i].cls, want[i]);
		x += segs[i].length_m;
		if (i == 1 && !(x >= top - 3 && x <= top + across + 3))
			fail_msg("the climb ends at %.0f m, the top is %.0f-%.0f m", x, top,
				 top + across);
		if (i == 2 && fabs(x - foot) > 3)
			fail_msg("the descent ends at %.0f m, the foot is at %.0f m", x, foot);
	}
	/* the descent, from the top to the foot, is all of it */
	assert_float_equal(segs[2].elevation_change_m, -24, 0.5);
	free(segs);
}

/* A hill repeat's foot: down at 8 %, 60 m of flat, up at 8 %, the
 * altitude with 5 cm of noise, as if smoothed. The 60 m are too short to
 * be a segment; the descent and the climb meet in their middle, give or
 * take the noise, over 20 seeds. Cut at the lowest second, the noise put
 * the foot anywhere along them (seed 20261208: 15 m off). */
static void test_flat_bottom_cut_in_middle(void **state)
{
	(void)state;
	enum { M = 300 };
	const double bottom = 300, flat_m = 60, middle = bottom + flat_m / 2;
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	for (unsigned i = 0; i < 20; i++) {
		unsigned long seed = seed_of() + i;
		gsl_rng_set(rng, seed);
		double h[M];
		for (size_t k = 0; k < M; k++) {
			double x = 3.0 * (double)k;
			h[k] = x < bottom            ? 0.08 * (bottom - x)
			       : x < bottom + flat_m ? 0
						     : 0.08 * (x - bottom - flat_m);
			h[k] += gsl_ran_gaussian(rng, 0.05);
		}
		struct seg_segment *segs;
		size_t n = segments_of_profile(h, M, &segs);
		if (n != 2 || segs[0].cls != SEG_STEEP_DOWN || segs[1].cls != SEG_STEEP_UP)
			fail_msg("seed %lu: %zu segments, not a descent and a climb", seed, n);
		if (fabs(segs[0].length_m - middle) > 12)
			fail_msg("seed %lu: the descent ends at %.0f m, the flat's middle is at "
				 "%.0f m",
				 seed, segs[0].length_m, middle);
		free(segs);
	}
	gsl_rng_free(rng);
}

/* ---- grade-adjusted pace and the usual stride ---- */

static void test_gap_factor(void **state)
{
	(void)state;
	assert_float_equal(gap_cost_factor(0), 1.0, 1e-12);
	assert_float_equal(gap_cost_factor(-9), 0.88, 1e-12);
	assert_float_equal(gap_cost_factor(-20), 1.08, 1e-12);
	assert_float_equal(gap_cost_factor(10), gap_minetti_factor(10), 1e-12);
	assert_float_equal(gap_minetti_factor(10), 1.66, 0.02); /* DOMAIN.md */
	assert_float_equal(gap_minetti_factor(-10), 0.60, 0.02);
	assert_true(gap_cost_factor(-5) < 1 && gap_cost_factor(-5) > 0.88);
	assert_float_equal(gap_cost_factor(80), gap_cost_factor(45), 1e-12);
	assert_true(isnan(gap_cost_factor(NAN)));
}

/* A grade far noisier than the estimator's (5 % SD second to second) is
 * still ~0.9 % SD after 30 s of smoothing, and a 1 % grade is 3-5 % of
 * pace: GAP stays within 20 % of a 5:27 pace, never near 1:27. */
static void test_gap_noisy_grade(void **state)
{
	(void)state;
	enum { M = 600 };
	int64_t t[M];
	double d[M], g[M], s[M];
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, seed_of());
	double speed = 1000.0 / 327;
	for (size_t k = 0; k < M; k++) {
		t[k] = T0_US + (int64_t)k * 1000000;
		d[k] = speed * (double)k;
		g[k] = gsl_ran_gaussian(rng, 5);
	}
	gsl_rng_free(rng);
	gap_smooth_grade(t, g, M, GAP_SMOOTH_S, s);
	for (size_t k = 30; k + 30 < M; k += 30) {
		double gap = gap_s_per_km(t, d, s, k - 15, k + 15);
		if (!(gap > 327 / 1.2 && gap < 327 / 0.8))
			fail_msg("seed %lu: GAP %.0f s/km at second %zu for a 327 s/km pace",
				 seed_of(), gap, k);
	}
}

static void test_stride_model(void **state)
{
	(void)state;
	double speed[40], stride[40];
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, seed_of());
	for (size_t i = 0; i < 40; i++) {
		speed[i] = 2.5 + 2.0 * (double)i / 40;
		stride[i] = 0.8 + 0.4 * speed[i] + gsl_ran_gaussian(rng, 0.02);
	}
	stride[7] = 4.5; /* an outlier the robust fit ignores */
	gsl_rng_free(rng);
	struct seg_stride_model m;
	assert_true(seg_stride_model_fit(speed, stride, 40, &m));
	assert_float_equal(seg_stride_model_at(&m, 3.0), 2.0, 0.02);
	assert_float_equal(m.slope_s, 0.4, 0.03);
	struct seg_stride_model untouched = { .valid = false, .intercept_m = 7 };
	assert_false(seg_stride_model_fit(speed, stride, 4, &untouched));
	assert_float_equal(untouched.intercept_m, 7, 0);
	assert_true(isnan(seg_stride_model_at(&untouched, 3.0)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_barometer_alone),
		cmocka_unit_test(test_imu_alone),
		cmocka_unit_test(test_barometer_and_imu),
		cmocka_unit_test(test_treadmill_incline),
		cmocka_unit_test(test_bad_barometer),
		cmocka_unit_test(test_no_source),
		cmocka_unit_test(test_malformed_input),
		cmocka_unit_test(test_segments_of_course),
		cmocka_unit_test(test_short_bump_merged),
		cmocka_unit_test(test_turns_at_top_and_foot),
		cmocka_unit_test(test_flat_bottom_cut_in_middle),
		cmocka_unit_test(test_gap_factor),
		cmocka_unit_test(test_gap_noisy_grade),
		cmocka_unit_test(test_stride_model),
		cmocka_unit_test(test_standing_shows_weather),
		cmocka_unit_test(test_dropout_is_no_stand),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
