// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The simulator's courses of known profile, the truth it gives about them
 * (per second, per grade class), its barometer's weather and its treadmill.
 * Every check prints the seed it failed on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/ess.h"
#include "sim/sim.h"
#include "util/bytes.h"

#define MAX_SECONDS 16000

static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
	const uint8_t *p = data;
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * UINT64_C(0x100000001b3);
	return h;
}

/* One run of a simulation, as the tests see it. */
struct run_capture {
	uint64_t hash, pod_hash, baro_hash;
	unsigned n_seconds;
	struct sim_second_truth *seconds;
	struct sim_run_truth truth;
	/* barometer pressures and their host times */
	unsigned n_pressure;
	double *pressure_pa;
	int64_t *pressure_us;
	/* the treadmill's notifications */
	unsigned n_ftms, ftms_bad;
	int64_t ftms_us[MAX_SECONDS];
	uint8_t ftms[MAX_SECONDS][SIM_FTMS_TREADMILL_DATA_LEN];
	uint8_t ftms_addr[NOTIFICATION_ADDR_LEN];
};

static int cap_emit(void *user, const struct notification *n)
{
	struct run_capture *c = user;
	uint64_t h = fnv1a(UINT64_C(0xcbf29ce484222325), &n->host_time_us, sizeof(n->host_time_us));
	h = fnv1a(h, n->addr, sizeof(n->addr));
	h = fnv1a(h, &n->handle, sizeof(n->handle));
	h = fnv1a(h, n->value, n->len);
	c->hash = fnv1a(c->hash, &h, sizeof(h));
	if (n->handle == SIM_HANDLE_RSC_MEASUREMENT)
		c->pod_hash = fnv1a(c->pod_hash, &h, sizeof(h));
	if (n->handle == SIM_HANDLE_PRESSURE || n->handle == SIM_HANDLE_TEMPERATURE)
		c->baro_hash = fnv1a(c->baro_hash, &h, sizeof(h));
	if (n->handle == SIM_HANDLE_PRESSURE && c->n_pressure < MAX_SECONDS) {
		assert_true(ess_parse_pressure(n->value, n->len, &c->pressure_pa[c->n_pressure]));
		c->pressure_us[c->n_pressure++] = n->host_time_us;
	}
	if (n->handle == SIM_HANDLE_TREADMILL_DATA) {
		c->ftms_bad += gatt_uuid_to16(&n->uuid) != SIM_FTMS_TREADMILL_DATA_UUID ||
			       n->len != SIM_FTMS_TREADMILL_DATA_LEN;
		if (c->n_ftms < MAX_SECONDS && n->len == SIM_FTMS_TREADMILL_DATA_LEN) {
			memcpy(c->ftms[c->n_ftms], n->value, n->len);
			c->ftms_us[c->n_ftms++] = n->host_time_us;
			memcpy(c->ftms_addr, n->addr, NOTIFICATION_ADDR_LEN);
		}
	}
	return 0;
}

static int cap_second(void *user, const struct sim_second_truth *s)
{
	struct run_capture *c = user;
	if (c->n_seconds < MAX_SECONDS)
		c->seconds[c->n_seconds++] = *s;
	return 0;
}

static int cap_truth(void *user, const struct sim_run_truth *t)
{
	struct run_capture *c = user;
	c->truth = *t;
	return 0;
}

static struct run_capture *capture_new(void)
{
	struct run_capture *c = calloc(1, sizeof(*c));
	assert_non_null(c);
	c->seconds = calloc(MAX_SECONDS, sizeof(*c->seconds));
	c->pressure_pa = calloc(MAX_SECONDS, sizeof(*c->pressure_pa));
	c->pressure_us = calloc(MAX_SECONDS, sizeof(*c->pressure_us));
	assert_non_null(c->seconds);
	assert_non_null(c->pressure_pa);
	assert_non_null(c->pressure_us);
	return c;
}

static void capture_free(struct run_capture *c)
{
	free(c->seconds);
	free(c->pressure_pa);
	free(c->pressure_us);
	free(c);
}

/* One run of options o into c (reset first). */
static void run_one(const struct sim_options *o, struct run_capture *c)
{
	const struct sim_callbacks cb = { cap_emit, cap_truth, NULL, cap_second, c };
	struct sim_second_truth *seconds = c->seconds;
	double *p = c->pressure_pa;
	int64_t *pu = c->pressure_us;

	memset(c, 0, sizeof(*c));
	c->seconds = seconds;
	c->pressure_pa = p;
	c->pressure_us = pu;
	assert_int_equal(sim_run(o, &cb), 0);
}

static void options_for(struct sim_options *o, uint64_t seed, enum sim_course course,
			double minutes)
{
	sim_options_default(o);
	o->seed = seed;
	o->course = course;
	o->run_minutes = minutes;
}

/* The course's grade every step_m from 0 to to_m. */
static double *profile(const struct sim_options *o, double to_m, double step_m, size_t *n,
		       double **elevation_m)
{
	*n = (size_t)(to_m / step_m) + 1;
	double *x = calloc(*n, sizeof(double)), *g = calloc(*n, sizeof(double));
	*elevation_m = calloc(*n, sizeof(double));
	assert_non_null(x);
	assert_non_null(g);
	assert_non_null(*elevation_m);
	for (size_t i = 0; i < *n; i++)
		x[i] = step_m * (double)i;
	assert_int_equal(sim_course_profile(o, 1, x, *elevation_m, g, *n), 0);
	free(x);
	return g;
}

static void grade_range(const double *g, size_t n, double *lo, double *hi)
{
	*lo = INFINITY;
	*hi = -INFINITY;
	for (size_t i = 0; i < n; i++) {
		*lo = fmin(*lo, g[i]);
		*hi = fmax(*hi, g[i]);
	}
}

/* Climbs: stretches of grade >= threshold_pct, counted and the longest. */
static unsigned count_climbs(const double *g, size_t n, double step_m, double threshold_pct,
			     double *longest_m)
{
	unsigned climbs = 0;
	double run_m = 0;
	*longest_m = 0;
	for (size_t i = 0; i < n; i++) {
		if (g[i] >= threshold_pct) {
			climbs += run_m == 0;
			run_m += step_m;
			*longest_m = fmax(*longest_m, run_m);
		} else {
			run_m = 0;
		}
	}
	return climbs;
}

#define CHECK(cond, seed)                                                             \
	do {                                                                          \
		if (!(cond))                                                          \
			fail_msg("seed %llu: %s", (unsigned long long)(seed), #cond); \
	} while (0)

static void test_level_courses(void **state)
{
	struct sim_options o;
	size_t n;
	double *h, lo, hi;
	(void)state;

	for (uint64_t seed = 1; seed <= 3; seed++) {
		enum sim_course level[] = { SIM_COURSE_FLAT, SIM_COURSE_TRACK };
		for (unsigned k = 0; k < 2; k++) {
			options_for(&o, seed, level[k], 60);
			double *g = profile(&o, 15000, 1, &n, &h);
			grade_range(g, n, &lo, &hi);
			CHECK(lo == 0 && hi == 0, seed);
			grade_range(h, n, &lo, &hi);
			CHECK(lo == 0 && hi == 0, seed);
			free(g);
			free(h);
		}
	}
}

static void test_hilly_courses(void **state)
{
	struct sim_options o;
	size_t n;
	double *h, lo, hi, longest_m;
	(void)state;

	for (uint64_t seed = 1; seed <= 3; seed++) {
		options_for(&o, seed, SIM_COURSE_ROLLING, 60);
		double *g = profile(&o, 8000, 0.5, &n, &h);
		grade_range(g, n, &lo, &hi);
		print_message("seed %llu rolling: grade %.2f..%.2f %%\n", (unsigned long long)seed,
			      lo, hi);
		CHECK(hi >= 3 && hi <= 5 + 1e-9 && lo <= -3 && lo >= -5 - 1e-9, seed);
		CHECK(count_climbs(g, n, 0.5, 2.5, &longest_m) >= 4, seed);
		CHECK(longest_m >= 140 && longest_m <= 500, seed);
		grade_range(h, n, &lo, &hi);
		CHECK(lo > -1e-6 && hi < 26, seed); /* every hill comes back down */
		free(g);
		free(h);

		options_for(&o, seed, SIM_COURSE_CLIMB, 60);
		g = profile(&o, 8300, 0.5, &n, &h); /* the shortest loop is 7.9 km */
		grade_range(g, n, &lo, &hi);
		CHECK(hi >= 4 && hi <= 6 + 1e-9 && lo <= -4 && lo >= -6 - 1e-9, seed);
		CHECK(count_climbs(g, n, 0.5, 2, &longest_m) == 1, seed);
		CHECK(longest_m >= 3950 && longest_m <= 5000, seed);
		grade_range(h, n, &lo, &hi);
		CHECK(hi >= 0.04 * 3980 && hi <= 0.06 * 4980, seed);
		free(g);
		free(h);

		options_for(&o, seed, SIM_COURSE_REPEATS, 60);
		g = profile(&o, 5500, 0.5, &n, &h); /* one loop is 800 + 6 x 730 + 700 m */
		grade_range(g, n, &lo, &hi);
		CHECK(hi >= 7 && hi <= 9 + 1e-9 && lo <= -7 && lo >= -9 - 1e-9, seed);
		CHECK(count_climbs(g, n, 0.5, 6, &longest_m) == 6, seed);
		CHECK(longest_m >= 250 && longest_m <= 300, seed);
		free(g);
		free(h);
	}
}

/* The incline program: 0 %, then whole-percent steps of 2-6 %, and the
 * virtual elevation only climbs. */
static void test_treadmill_program(void **state)
{
	struct sim_options o;
	size_t n;
	double *h;
	(void)state;

	for (uint64_t seed = 1; seed <= 3; seed++) {
		options_for(&o, seed, SIM_COURSE_TREADMILL, 60);
		double *g = profile(&o, 20000, 1, &n, &h);
		unsigned on_step = 0;
		for (size_t i = 0; i < n; i++) {
			double whole = round(g[i]);
			on_step += fabs(g[i] - whole) < 1e-9 &&
				   (whole == 0 || (whole >= 2 && whole <= 6));
			CHECK(g[i] >= 0 && g[i] <= 6 + 1e-9, seed);
			CHECK(i == 0 || h[i] >= h[i - 1] - 1e-9, seed);
		}
		/* eases of 20 m at either end of each step are the rest */
		CHECK(on_step > 0.9 * (double)n, seed);
		for (size_t i = 0; i <= 1000; i++)
			CHECK(g[i] == 0, seed);
		free(g);
		free(h);
	}
}

static const enum sim_course all_courses[] = {
	SIM_COURSE_MIXED,   SIM_COURSE_FLAT,  SIM_COURSE_ROLLING,   SIM_COURSE_CLIMB,
	SIM_COURSE_REPEATS, SIM_COURSE_TRACK, SIM_COURSE_TREADMILL,
};

static unsigned class_of(double grade_pct)
{
	return grade_pct <= -6   ? SEG_STEEP_DOWN
	       : grade_pct <= -2 ? SEG_DOWN
	       : grade_pct < 2   ? SEG_FLAT
	       : grade_pct < 6   ? SEG_UP
				 : SEG_STEEP_UP;
}

/* The truth's distance per class against the course sampled every 0.25 m
 * over the stretch the truth covers: within 0.2 % of the distance. */
static void test_class_distances(void **state)
{
	struct sim_options o;
	struct run_capture *c = capture_new();
	(void)state;

	for (unsigned k = 0; k < sizeof(all_courses) / sizeof(all_courses[0]); k++) {
		uint64_t seed = 10 + k;
		options_for(&o, seed, all_courses[k], 40);
		run_one(&o, c);
		const struct sim_run_truth *t = &c->truth;
		CHECK(t->course == all_courses[k], seed);
		CHECK(t->treadmill == (all_courses[k] == SIM_COURSE_TREADMILL), seed);
		double sum = 0, mine[SEG_CLASS_COUNT] = { 0 };
		for (unsigned cl = 0; cl < SEG_CLASS_COUNT; cl++)
			sum += t->class_distance_m[cl];
		CHECK(fabs(sum - t->course_distance_m) < 1e-6 * t->course_distance_m, seed);
		CHECK(t->class_distance_m[SEG_UNKNOWN] == 0, seed);

		size_t n = (size_t)(t->course_distance_m / 0.25);
		double *x = calloc(n, sizeof(double)), *g = calloc(n, sizeof(double));
		assert_non_null(x);
		assert_non_null(g);
		for (size_t i = 0; i < n; i++)
			x[i] = t->course_start_m + 0.25 * ((double)i + 0.5);
		assert_int_equal(sim_course_profile(&o, 1, x, NULL, g, n), 0);
		for (size_t i = 0; i < n; i++)
			mine[class_of(g[i])] += 0.25;
		print_message("%s (seed %llu): %.0f m: %.0f / %.0f / %.0f / %.0f / %.0f m\n",
			      sim_course_name(all_courses[k]), (unsigned long long)seed,
			      t->course_distance_m, t->class_distance_m[0], t->class_distance_m[1],
			      t->class_distance_m[2], t->class_distance_m[3],
			      t->class_distance_m[4]);
		for (unsigned cl = 0; cl < SEG_CLASS_COUNT; cl++)
			CHECK(fabs(mine[cl] - t->class_distance_m[cl]) <
				      0.002 * t->course_distance_m + 1,
			      seed);
		if (all_courses[k] == SIM_COURSE_FLAT || all_courses[k] == SIM_COURSE_TRACK)
			CHECK(t->class_distance_m[SEG_FLAT] == sum, seed);
		free(x);
		free(g);
	}
	capture_free(c);
}

/* Each second's truth agrees with the course at its distance and with the
 * run's truth; without weather, sea-level pressure drifts in a line. */
static void test_second_truth(void **state)
{
	struct sim_options o;
	struct run_capture *c = capture_new();
	(void)state;

	for (uint64_t seed = 1; seed <= 3; seed++) {
		options_for(&o, seed, seed == 1 ? SIM_COURSE_MIXED : SIM_COURSE_REPEATS, 30);
		run_one(&o, c);
		CHECK(c->n_seconds > 30 * 60 && c->n_seconds < 30 * 60 + 140, seed);
		unsigned running = 0;
		for (unsigned i = 0; i < c->n_seconds; i++) {
			const struct sim_second_truth *s = &c->seconds[i];
			double h, g;
			assert_int_equal(sim_course_profile(&o, 1, &s->distance_m, &h, &g, 1), 0);
			CHECK(s->run_index == 1 && s->t_s == (double)i, seed);
			CHECK(s->utc_us == o.start_us + (int64_t)i * 1000000, seed);
			CHECK(fabs(s->elevation_m - h) < 1e-9 && fabs(s->grade_pct - g) < 1e-9,
			      seed);
			running += s->running;
			if (i == 0)
				continue;
			const struct sim_second_truth *p = &c->seconds[i - 1];
			double dx = s->distance_m - p->distance_m;
			/* trapezoids; a speed under 0.05 m/s is rounded to a standstill */
			CHECK(dx >= 0 && fabs(dx - (s->speed_mps + p->speed_mps) / 2) < 0.03, seed);
			CHECK(!s->running || p->running, seed);
			if (i >= 2) {
				double curve = s->sea_level_pa - 2 * p->sea_level_pa +
					       c->seconds[i - 2].sea_level_pa;
				CHECK(fabs(curve) < 1e-6, seed);
			}
		}
		CHECK(running == 30 * 60 + 1, seed);
		/* the run's truth covers the same ground */
		const struct sim_second_truth *last = &c->seconds[c->n_seconds - 1];
		CHECK(c->truth.course_start_m + c->truth.course_distance_m <= last->distance_m,
		      seed);
	}
	capture_free(c);
}

/* The default output, pinned: splitting or extending the simulator must
 * not change a byte of it (seed 5, 20 minutes, as the replay golden). */
static void test_default_bytes_pinned(void **state)
{
	struct sim_options o;
	struct run_capture *c = capture_new();
	(void)state;

	sim_options_default(&o);
	o.seed = 5;
	o.run_minutes = 20;
	run_one(&o, c);
	print_message("hash %016llx\n", (unsigned long long)c->hash);
	assert_true(c->hash == UINT64_C(0x2dc31058a5fe5af5));
	o.course = SIM_COURSE_MIXED;
	o.weather_pa_per_h = 0;
	uint64_t hash = c->hash;
	run_one(&o, c);
	assert_true(c->hash == hash);
	capture_free(c);
}

/* Mean pressure over the notifications received within 10 s of t_s. */
static double pressure_near(const struct run_capture *c, int64_t start_us, double t_s)
{
	double sum = 0;
	unsigned n = 0;
	for (unsigned i = 0; i < c->n_pressure; i++)
		if (fabs((double)(c->pressure_us[i] - start_us) / 1e6 - t_s) <= 10) {
			sum += c->pressure_pa[i];
			n++;
		}
	assert_true(n >= 15);
	return sum / n;
}

/* Weather moves the barometer only: the pod's bytes stay; sea-level
 * pressure wanders by a few hundred Pa over two hours at 150 Pa/h; on a
 * flat course the barometer follows it within 3 Pa once warm. */
static void test_weather(void **state)
{
	struct sim_options o;
	struct run_capture *c = capture_new();
	double sum_sq = 0;
	(void)state;

	for (uint64_t seed = 1; seed <= 8; seed++) {
		options_for(&o, seed, SIM_COURSE_FLAT, 120);
		run_one(&o, c);
		uint64_t pod = c->pod_hash, baro = c->baro_hash;
		o.weather_pa_per_h = 150;
		run_one(&o, c);
		CHECK(c->pod_hash == pod && c->baro_hash != baro, seed);
		double drift_pa = 0,
		       line_pa = c->seconds[7200].sea_level_pa - c->seconds[0].sea_level_pa;
		/* the wander is what the day's straight-line drift does not explain */
		o.weather_pa_per_h = 0;
		run_one(&o, c);
		drift_pa = line_pa - (c->seconds[7200].sea_level_pa - c->seconds[0].sea_level_pa);
		sum_sq += drift_pa * drift_pa;
		print_message("seed %llu: weather moved sea-level pressure %+.0f Pa in 2 h\n",
			      (unsigned long long)seed, drift_pa);
	}
	double rms = sqrt(sum_sq / 8);
	print_message("RMS over 8 runs: %.0f Pa (expected about 180)\n", rms);
	assert_true(rms > 60 && rms < 400);

	for (uint64_t seed = 1; seed <= 3; seed++) {
		options_for(&o, seed, SIM_COURSE_FLAT, 60);
		o.weather_pa_per_h = 600;
		run_one(&o, c);
		double t1 = 900, t2 = 3300;
		double p1 = pressure_near(c, o.start_us, t1), p2 = pressure_near(c, o.start_us, t2);
		double s1 = c->seconds[(size_t)t1].sea_level_pa,
		       s2 = c->seconds[(size_t)t2].sea_level_pa;
		double expected = (s2 - s1) * p1 / s1;
		print_message("seed %llu: barometer %+.1f Pa, weather %+.1f Pa\n",
			      (unsigned long long)seed, p2 - p1, expected);
		CHECK(fabs((p2 - p1) - expected) < 3, seed);
	}
	capture_free(c);
}

/* The encoder's bytes, written out by hand from the FTMS layout. */
static void test_ftms_bytes(void **state)
{
	uint8_t v[SIM_FTMS_TREADMILL_DATA_LEN + 4];
	(void)state;

	memset(v, 0xEE, sizeof(v));
	/* 3 m/s = 10.80 km/h; 1234.7 m; 4.0 % = atan 2.29 degrees; 61.9 s */
	assert_int_equal(sim_ftms_encode(3.0, 1234.7, 0.04, 61.9, v), 13);
	const uint8_t expect[13] = {
		0x0C, 0x04,       /* flags: distance, incline, elapsed; bit 0 clear: speed */
		0x38, 0x04,       /* 1080 x 0.01 km/h */
		0xD2, 0x04, 0x00, /* 1234 m, uint24 */
		0x28, 0x00,       /* 40 x 0.1 % */
		0x17, 0x00,       /* 23 x 0.1 degree */
		0x3D, 0x00,       /* 61 s */
	};
	assert_memory_equal(v, expect, sizeof(expect));
	assert_int_equal(v[13], 0xEE); /* nothing past the end */

	/* a decline is negative; the distance saturates at 2^24 - 1 m */
	assert_int_equal(sim_ftms_encode(0, 20000000, -0.025, 0, v), 13);
	const uint8_t expect2[13] = { 0x0C, 0x04, 0x00, 0x00, 0xFF, 0xFF, 0xFF,
				      0xE7, 0xFF, 0xF2, 0xFF, 0x00, 0x00 };
	assert_memory_equal(v, expect2, sizeof(expect2));
}

/* A treadmill run: FTMS once a second from its own address, its speed,
 * distance and incline those of the truth; the barometer stays put. */
static void test_treadmill_run(void **state)
{
	struct sim_options o;
	struct run_capture *c = capture_new();
	(void)state;

	for (uint64_t seed = 1; seed <= 2; seed++) {
		options_for(&o, seed, SIM_COURSE_TREADMILL, 45);
		run_one(&o, c);
		const struct sim_run_truth *t = &c->truth;
		CHECK(t->treadmill && c->ftms_bad == 0, seed);
		CHECK(memcmp(c->ftms_addr, t->treadmill_addr, NOTIFICATION_ADDR_LEN) == 0, seed);
		CHECK(memcmp(c->ftms_addr, t->footpod_addr, NOTIFICATION_ADDR_LEN) != 0, seed);
		/* lost ones: about 0.2 % */
		CHECK(c->n_ftms >= (unsigned)(0.98 * c->n_seconds) && c->n_ftms <= c->n_seconds + 1,
		      seed);
		unsigned speed_ok = 0, incline_ok = 0;
		for (unsigned i = 0; i < c->n_ftms; i++) {
			const uint8_t *v = c->ftms[i];
			CHECK(bytes_le16(v) == SIM_FTMS_FLAGS, seed);
			double kmh = bytes_le16(v + 2) / 100.0;
			uint32_t m = v[4] | (uint32_t)v[5] << 8 | (uint32_t)v[6] << 16;
			double incline_pct = (int16_t)bytes_le16(v + 7) / 10.0;
			unsigned elapsed = bytes_le16(v + 11);
			CHECK(elapsed < c->n_seconds, seed);
			const struct sim_second_truth *s = &c->seconds[elapsed];
			const struct sim_second_truth *s1 =
				&c->seconds[elapsed + 1 < c->n_seconds ? elapsed + 1 : elapsed];
			/* sampled between two seconds of truth */
			CHECK(m + 1 >= (uint32_t)s->distance_m && m <= s1->distance_m, seed);
			speed_ok += fabs(kmh - 3.6 * s->speed_mps) < 0.3;
			incline_ok += incline_pct >= fmin(s->grade_pct, s1->grade_pct) - 0.06 &&
				      incline_pct <= fmax(s->grade_pct, s1->grade_pct) + 0.06;
		}
		print_message("seed %llu: %u FTMS, speed ok %u, incline ok %u, gain %.0f m\n",
			      (unsigned long long)seed, c->n_ftms, speed_ok, incline_ok,
			      t->elevation_gain_m);
		CHECK(speed_ok > 0.97 * c->n_ftms && incline_ok > 0.97 * c->n_ftms, seed);
		/* The virtual climb is large, the barometer sees none of it. */
		double lo = INFINITY, hi = -INFINITY;
		for (int k = 0; k < 6; k++) {
			double ts = 900 + 300.0 * k;
			double p = pressure_near(c, o.start_us, ts);
			lo = fmin(lo, p);
			hi = fmax(hi, p);
		}
		CHECK(t->elevation_gain_m > 50 && hi - lo < 20, seed);
	}
	capture_free(c);
}

struct stride_count {
	unsigned n, on_treadmill, long_enough;
};

static int count_stride(void *user, const struct sim_stride_truth *t)
{
	struct stride_count *c = user;
	c->n++;
	c->on_treadmill += t->treadmill;
	c->long_enough += t->length_m > 1.0;
	return 0;
}

static int ignore_emit(void *user, const struct notification *n)
{
	(void)user;
	(void)n;
	return 0;
}

/* Shoe IMUs on a treadmill: strides on the belt, said to be. */
static void test_treadmill_imu(void **state)
{
	struct sim_options o;
	struct stride_count c = { 0 };
	(void)state;

	options_for(&o, 4, SIM_COURSE_TREADMILL, 3);
	o.imu = true;
	const struct sim_callbacks cb = { ignore_emit, NULL, count_stride, NULL, &c };
	assert_int_equal(sim_run(&o, &cb), 0);
	print_message("%u strides, %u on the treadmill, %u over 1 m\n", c.n, c.on_treadmill,
		      c.long_enough);
	assert_true(c.n > 400 && c.on_treadmill == c.n && c.long_enough > 0.9 * c.n);
}

struct route_count {
	unsigned n_runs, ftms[8];
	enum sim_course course[8];
	bool treadmill[8];
};

static int route_emit(void *user, const struct notification *n)
{
	struct route_count *c = user;
	if (n->handle == SIM_HANDLE_TREADMILL_DATA && c->n_runs < 8)
		c->ftms[c->n_runs]++;
	return 0;
}

static int route_truth(void *user, const struct sim_run_truth *t)
{
	struct route_count *c = user;
	if (c->n_runs < 8) {
		c->course[c->n_runs] = t->course;
		c->treadmill[c->n_runs] = t->treadmill;
	}
	c->n_runs++;
	return 0;
}

/* A block on routes: the runs take them in turn, a route is the same
 * course every time (a mixed course is not), and the treadmill sends only
 * on treadmill days. */
static void test_routes(void **state)
{
	struct sim_options o;
	struct route_count c = { 0 };
	double x[200], a[200], b[200];
	(void)state;

	sim_options_default(&o);
	o.seed = 21;
	o.weeks = 1;
	o.runs_per_week = 5;
	o.n_routes = 3;
	o.routes[0] = SIM_COURSE_ROLLING;
	o.routes[1] = SIM_COURSE_TREADMILL;
	o.routes[2] = SIM_COURSE_MIXED;
	assert_int_equal(sim_run_block(&o, route_emit, route_truth, &c), 0);
	assert_int_equal(c.n_runs, 5);
	for (unsigned i = 0; i < 5; i++) {
		assert_int_equal(c.course[i], o.routes[i % 3]);
		assert_int_equal(c.treadmill[i], i % 3 == 1);
		if (i % 3 == 1)
			assert_true(c.ftms[i] > 20 * 60);
		else
			assert_int_equal(c.ftms[i], 0);
	}
	for (unsigned i = 0; i < 200; i++)
		x[i] = 37.0 * i;
	assert_int_equal(sim_course_profile(&o, 1, x, a, NULL, 200), 0);
	assert_int_equal(sim_course_profile(&o, 4, x, b, NULL, 200), 0);
	for (unsigned i = 0; i < 200; i++)
		assert_true(a[i] == b[i]); /* the same rolling route */
	assert_int_equal(sim_course_profile(&o, 3, x, a, NULL, 200), 0);
	assert_int_equal(sim_course_profile(&o, 6, x, b, NULL, 0), -EINVAL); /* 5 runs */
	o.routes[0] = SIM_COURSE_MIXED;
	assert_int_equal(sim_course_profile(&o, 1, x, b, NULL, 200), 0);
	unsigned differ = 0;
	for (unsigned i = 0; i < 200; i++)
		differ += a[i] != b[i];
	assert_true(differ > 100); /* mixed: a new course each run */
	o.routes[0] = SIM_COURSE_COUNT;
	assert_int_equal(sim_run_block(&o, route_emit, NULL, &c), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_level_courses),
		cmocka_unit_test(test_hilly_courses),
		cmocka_unit_test(test_treadmill_program),
		cmocka_unit_test(test_class_distances),
		cmocka_unit_test(test_second_truth),
		cmocka_unit_test(test_default_bytes_pinned),
		cmocka_unit_test(test_weather),
		cmocka_unit_test(test_ftms_bytes),
		cmocka_unit_test(test_treadmill_run),
		cmocka_unit_test(test_treadmill_imu),
		cmocka_unit_test(test_routes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
