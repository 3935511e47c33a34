// SPDX-License-Identifier: GPL-2.0-or-later
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
#include "decode/hrm.h"
#include "decode/rsc.h"
#include "sim/sim.h"

#define MAX_RUNS 64

/* Everything the tests look at, gathered from one simulated block. */
struct collect {
	uint64_t hash;
	uint64_t total;
	int64_t last_host_us;
	bool out_of_order;
	unsigned n_runs;
	struct sim_run_truth truth[MAX_RUNS];
	uint64_t emitted[MAX_RUNS]; /* counted here, per run */
	/* the foot pod, per run */
	unsigned pod_total[MAX_RUNS];
	bool pod_first_running[MAX_RUNS];
	uint32_t pod_first_dm[MAX_RUNS], pod_last_dm[MAX_RUNS];
	int64_t pod_last_running_us[MAX_RUNS], pod_last_us[MAX_RUNS];
	unsigned pod_bad[MAX_RUNS];      /* running samples out of the plausible ranges */
	unsigned pod_tail_bad[MAX_RUNS]; /* not-running samples running fast */
	bool pod_last_still[MAX_RUNS];
	unsigned bad_uuid, bad_addr, undecodable, hr_notifications;
	uint64_t pod_hash; /* the pod's notifications only */
};

static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
	const uint8_t *p = data;
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * UINT64_C(0x100000001b3);
	return h;
}

static uint64_t hash_notification(uint64_t h, const struct notification *n)
{
	h = fnv1a(h, &n->host_time_us, sizeof(n->host_time_us));
	h = fnv1a(h, n->addr, sizeof(n->addr));
	h = fnv1a(h, &n->handle, sizeof(n->handle));
	h = fnv1a(h, &n->len, sizeof(n->len));
	return fnv1a(h, n->value, n->len);
}

static void check_pod(struct collect *c, unsigned r, const struct notification *n)
{
	struct rsc_measurement m;
	if (!rsc_parse_measurement(n->value, n->len, &m) || !m.has_total_distance) {
		c->undecodable++;
		return;
	}
	uint32_t dm = (uint32_t)llround(m.total_distance_m * 10);
	c->pod_hash = hash_notification(c->pod_hash, n);
	if (c->pod_total[r]++ == 0) {
		c->pod_first_running[r] = m.running;
		c->pod_first_dm[r] = dm;
	}
	c->pod_last_dm[r] = dm;
	c->pod_last_us[r] = n->host_time_us;
	if (!m.running) {
		/* slowing to a walk or a standstill after the run */
		if (m.speed_mps > 3.2 || (m.speed_mps > 0) != (m.cadence_raw_per_min > 0)) {
			if (c->pod_tail_bad[r]++ < 5)
				print_message(
					"implausible sample after running: %.2f m/s, %u/min\n",
					m.speed_mps, m.cadence_raw_per_min);
		}
		c->pod_last_still[r] = m.speed_mps == 0 && m.cadence_raw_per_min == 0;
		return;
	}
	c->pod_last_running_us[r] = n->host_time_us;
	/* Whatever the convention, speed = cadence x length per minute. */
	double implied_mps = m.has_stride_length
				     ? m.cadence_raw_per_min * m.stride_length_raw_m / 60
				     : m.speed_mps;
	bool strides = m.cadence_raw_per_min < 120;
	if (m.speed_mps < 2.0 || m.speed_mps > 6.0 || fabs(implied_mps / m.speed_mps - 1) > 0.1 ||
	    (strides ? m.cadence_raw_per_min < 76 || m.cadence_raw_per_min > 94
		     : m.cadence_raw_per_min < 154 || m.cadence_raw_per_min > 186)) {
		if (c->pod_bad[r]++ < 5)
			print_message("implausible running sample: %.2f m/s, %u/min, %.2f m\n",
				      m.speed_mps, m.cadence_raw_per_min, m.stride_length_raw_m);
	}
}

static int collect_emit(void *user, const struct notification *n)
{
	struct collect *c = user;
	unsigned r = c->n_runs;

	c->hash = hash_notification(c->hash, n);
	c->total++;
	if (r < MAX_RUNS)
		c->emitted[r]++;
	if (n->host_time_us < c->last_host_us)
		c->out_of_order = true;
	c->last_host_us = n->host_time_us;
	if (n->addr_type != 1 || (n->addr[5] & 0xC0) != 0xC0)
		c->bad_addr++;
	uint16_t uuid16 = gatt_uuid_to16(&n->uuid);
	switch (n->handle) {
	case SIM_HANDLE_RSC_MEASUREMENT:
		c->bad_uuid += uuid16 != UUID_RSC_MEASUREMENT;
		if (r < MAX_RUNS)
			check_pod(c, r, n);
		break;
	case SIM_HANDLE_PRESSURE: {
		double p_pa;
		c->bad_uuid += uuid16 != UUID_PRESSURE;
		c->undecodable += !ess_parse_pressure(n->value, n->len, &p_pa) || p_pa < 85000 ||
				  p_pa > 104000;
		break;
	}
	case SIM_HANDLE_TEMPERATURE: {
		double t_c;
		c->bad_uuid += uuid16 != UUID_TEMPERATURE;
		c->undecodable +=
			!ess_parse_temperature(n->value, n->len, &t_c) || t_c < -10 || t_c > 45;
		break;
	}
	case SIM_HANDLE_HEART_RATE_MEASUREMENT: {
		struct hrm_measurement hr;
		c->bad_uuid += uuid16 != UUID_HEART_RATE_MEASUREMENT;
		c->hr_notifications++;
		c->undecodable += !hrm_parse_measurement(n->value, n->len, &hr) ||
				  !hr.contact_detected || hr.heart_rate_bpm < 40 ||
				  hr.heart_rate_bpm > 200;
		break;
	}
	default:
		c->bad_uuid++;
	}
	return 0;
}

static int collect_truth(void *user, const struct sim_run_truth *t)
{
	struct collect *c = user;
	if (c->n_runs < MAX_RUNS)
		c->truth[c->n_runs] = *t;
	c->n_runs++;
	return 0;
}

static void simulate(const struct sim_options *o, struct collect *c)
{
	memset(c, 0, sizeof(*c));
	c->hash = c->pod_hash = UINT64_C(0xcbf29ce484222325);
	c->last_host_us = INT64_MIN;
	assert_int_equal(sim_run_block(o, collect_emit, collect_truth, c), 0);
	assert_false(c->out_of_order);
	assert_int_equal(c->bad_addr, 0);
	assert_int_equal(c->bad_uuid, 0);
	assert_int_equal(c->undecodable, 0);
}

static void options_seeded(struct sim_options *o, uint64_t seed)
{
	sim_options_default(o);
	o->seed = seed;
}

static void test_same_seed_same_bytes(void **state)
{
	struct sim_options o;
	struct collect *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	(void)state;

	options_seeded(&o, 42);
	simulate(&o, a);
	simulate(&o, b);
	assert_true(a->hash == b->hash);
	assert_true(a->total == b->total);
	o.seed = 43;
	simulate(&o, b);
	assert_true(a->hash != b->hash);
	free(a);
	free(b);
}

/* Switching the other sensors off leaves the pod's bytes as they were. */
static void test_sensors_independent(void **state)
{
	struct sim_options o;
	struct collect *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	(void)state;

	options_seeded(&o, 5);
	simulate(&o, a);
	o.heart_rate = o.barometer = false;
	simulate(&o, b);
	assert_true(a->pod_hash == b->pod_hash);
	assert_int_equal(b->hr_notifications, 0);
	assert_true(isnan(b->truth[0].mean_heart_rate_bpm));
	assert_false(isnan(a->truth[0].mean_heart_rate_bpm));
	assert_true(b->total == b->pod_total[0]);
	free(a);
	free(b);
}

static double course_gain_m(const struct sim_options *o, unsigned index, double from_m, double to_m,
			    double *loss_m)
{
	size_t n = (size_t)((to_m - from_m) / 0.25) + 2;
	double *x = calloc(n, sizeof(*x)), *h = calloc(n, sizeof(*h)), gain = 0;

	assert_non_null(x);
	assert_non_null(h);
	for (size_t i = 0; i < n; i++)
		x[i] = i + 1 == n ? to_m : from_m + 0.25 * (double)i;
	assert_int_equal(sim_course_elevation(o, index, x, h, n), 0);
	*loss_m = 0;
	for (size_t i = 1; i < n; i++) {
		if (h[i] > h[i - 1])
			gain += h[i] - h[i - 1];
		else
			*loss_m += h[i - 1] - h[i];
	}
	free(x);
	free(h);
	return gain;
}

static void check_run_truth(const struct sim_options *o, const struct collect *c, unsigned r)
{
	const struct sim_run_truth *t = &c->truth[r];
	double loss_m, gain_m;
	char why[160];

	snprintf(why, sizeof(why), "seed %llu run %u", (unsigned long long)o->seed, r + 1);
	print_message("%s: %.0f m, pod error %+.3f, gain %.1f m, %s, %s\n", why,
		      t->course_distance_m, t->footpod_scale_error, t->elevation_gain_m, t->plan,
		      rsc_convention_name(t->cadence_convention));
	assert_int_equal(t->index, r + 1);
	assert_true(c->emitted[r] == t->notifications);
	/* the pod measures the course with its scale error, to 0.1% */
	assert_true(
		fabs(t->footpod_distance_m / (t->course_distance_m * (1 + t->footpod_scale_error)) -
		     1) < 0.001);
	/* and reports it in its total-distance field */
	double field_m = (uint32_t)(c->pod_last_dm[r] - c->pod_first_dm[r]) / 10.0;
	assert_true(field_m >= t->footpod_distance_m - 0.2);
	gain_m = course_gain_m(o, r + 1, t->course_start_m,
			       t->course_start_m + t->course_distance_m, &loss_m);
	assert_true(fabs(gain_m - t->elevation_gain_m) < 0.5 + 0.01 * gain_m);
	assert_true(fabs(loss_m - t->elevation_loss_m) < 0.5 + 0.01 * loss_m);
	assert_true(t->mean_speed_mps >= 2.5 && t->mean_speed_mps <= 5.0);
	assert_true(t->mean_cadence_spm >= 155 && t->mean_cadence_spm <= 185);
	assert_true(fabs(t->mean_stride_length_m - t->mean_speed_mps * 120 / t->mean_cadence_spm) <
		    0.01);
	/* start_us and end_us come from emitted notifications, duration from
	 * the generated ones: they differ by dropouts at the ends only */
	assert_true(t->end_us > t->start_us);
	assert_true(fabs((t->end_us - t->start_us) / 1e6 - t->duration_s) < 15);
	assert_true(c->pod_last_running_us[r] == t->end_us);
	assert_true(c->pod_first_running[r]);
	assert_int_equal(c->pod_bad[r], 0);
	assert_int_equal(c->pod_tail_bad[r], 0);
	assert_true(c->pod_last_still[r]);
	/* after running, ~30 s of standing still before the pod goes away */
	double tail_s = (c->pod_last_us[r] - c->pod_last_running_us[r]) / 1e6;
	assert_true(tail_s >= 24 && tail_s <= 130);
}

static void test_truth_consistent(void **state)
{
	struct sim_options o;
	struct collect *c = calloc(1, sizeof(*c));
	(void)state;

	for (uint64_t seed = 1; seed <= 12; seed++) {
		options_seeded(&o, seed);
		o.run_minutes = 20 + 10 * (double)(seed % 5);
		o.cadence_convention = seed % 3; /* steps, strides, and by seed */
		simulate(&o, c);
		assert_int_equal(c->n_runs, 1);
		assert_true(fabs(c->truth[0].duration_s - o.run_minutes * 60) < 1.5);
		assert_true(c->truth[0].start_us >= o.start_us &&
			    c->truth[0].start_us < o.start_us + 1100000);
		if (o.cadence_convention)
			assert_int_equal(c->truth[0].cadence_convention, o.cadence_convention);
		check_run_truth(&o, c, 0);
	}
	free(c);
}

static void test_fixed_pod_error(void **state)
{
	struct sim_options o;
	struct collect *c = calloc(1, sizeof(*c));
	(void)state;

	options_seeded(&o, 9);
	o.footpod_scale_error = -0.031;
	o.footpod_stride_length = false;
	simulate(&o, c);
	assert_true(c->truth[0].footpod_scale_error == -0.031);
	assert_true(fabs(c->truth[0].footpod_distance_m / c->truth[0].course_distance_m - 0.969) <
		    0.001);
	free(c);
}

static void test_dropouts(void **state)
{
	struct sim_options o;
	struct collect *c = calloc(1, sizeof(*c));
	(void)state;

	options_seeded(&o, 3);
	o.dropout_rate = 0;
	simulate(&o, c);
	assert_true(c->truth[0].dropped == 0);
	for (uint64_t seed = 1; seed <= 3; seed++) {
		options_seeded(&o, seed);
		o.dropout_rate = 0.05;
		simulate(&o, c);
		const struct sim_run_truth *t = &c->truth[0];
		double rate = (double)t->dropped / (double)(t->dropped + t->notifications);
		print_message("seed %llu: %llu of %llu lost (%.4f)\n", (unsigned long long)seed,
			      (unsigned long long)t->dropped,
			      (unsigned long long)t->dropped + t->notifications, rate);
		assert_true(rate > 0.04 && rate < 0.06);
	}
	free(c);
}

/* The longest course distance of the runs in the 30 days before run i. */
static double longest_before_m(const struct collect *c, unsigned i)
{
	double longest = 0;
	for (unsigned j = 0; j < i; j++)
		if (c->truth[i].start_us - c->truth[j].start_us <= INT64_C(30) * 86400 * 1000000)
			longest = fmax(longest, c->truth[j].course_distance_m);
	return longest;
}

static void test_block(void **state)
{
	struct sim_options o;
	struct collect *c = calloc(1, sizeof(*c));
	(void)state;

	options_seeded(&o, 11);
	o.weeks = 8;
	o.runs_per_week = 4;
	simulate(&o, c);
	assert_int_equal(c->n_runs, 32);
	assert_true(c->truth[0].start_us - o.start_us < 1100000);
	unsigned jumps = 0;
	for (unsigned i = 0; i < c->n_runs; i++) {
		const struct sim_run_truth *t = &c->truth[i];
		check_run_truth(&o, c, i);
		assert_true(t->duration_s >= 30 * 60 - 2 && t->duration_s <= 90 * 60 + 2);
		int hour = (int)((t->start_us / 1000000) % 86400 / 3600);
		assert_true(hour >= 6 && hour <= 7); /* mornings around 07:00 */
		assert_memory_equal(t->footpod_addr, c->truth[0].footpod_addr,
				    NOTIFICATION_ADDR_LEN);
		if (i > 0) {
			assert_true(t->start_us - c->truth[i - 1].start_us >
				    INT64_C(20) * 3600 * 1000000);
			/* the pod's total distance carries on from the last run */
			assert_true((uint32_t)(c->pod_first_dm[i] - c->pod_last_dm[i - 1]) < 20000);
			assert_true(c->pod_first_dm[i] != c->pod_last_dm[i - 1]);
			jumps += t->course_distance_m > 1.1 * longest_before_m(c, i);
		}
		unsigned long_runs = 0;
		if (i % 4 == 3) {
			for (unsigned j = i - 3; j <= i; j++)
				long_runs += strcmp(c->truth[j].plan, "long") == 0;
			assert_int_equal(long_runs, 1);
		}
	}
	assert_true(jumps >= 1);
	free(c);
}

static int stop_after_100(void *user, const struct notification *n)
{
	unsigned *count = user;
	(void)n;
	return ++*count == 100 ? 7 : 0;
}

static void test_callback_stops(void **state)
{
	struct sim_options o;
	unsigned count = 0;
	(void)state;

	sim_options_default(&o);
	assert_int_equal(sim_run_block(&o, stop_after_100, NULL, &count), 7);
	assert_int_equal(count, 100);
}

static void test_options_checked(void **state)
{
	struct sim_options o, good;
	unsigned count = 0;
	double x = 0, h;
	(void)state;

	sim_options_default(&good);
	assert_int_equal(sim_run_block(NULL, stop_after_100, NULL, &count), -EINVAL);
	assert_int_equal(sim_run_block(&good, NULL, NULL, &count), -EINVAL);
#define BAD(field, value)                                                                   \
	do {                                                                                \
		o = good;                                                                   \
		o.field = value;                                                            \
		assert_int_equal(sim_run_block(&o, stop_after_100, NULL, &count), -EINVAL); \
		assert_int_equal(sim_course_elevation(&o, 1, &x, &h, 1), -EINVAL);          \
	} while (0)
	BAD(start_us, -1);
	BAD(start_us, SIM_START_US_MAX);
	BAD(run_minutes, 0.5);
	BAD(run_minutes, 241);
	BAD(run_minutes, NAN);
	BAD(weeks, SIM_WEEKS_MAX + 1);
	BAD(cadence_convention, 3);
	BAD(cadence_convention, -1);
	BAD(footpod_scale_error, 0.25);
	BAD(footpod_scale_error, -0.25);
	BAD(footpod_scale_error, INFINITY);
	BAD(dropout_rate, -0.01);
	BAD(dropout_rate, 0.6);
	BAD(dropout_rate, NAN);
	BAD(course, SIM_COURSE_COUNT);
	BAD(weather_pa_per_h, -1);
	BAD(weather_pa_per_h, SIM_WEATHER_MAX_PA_PER_H + 1);
	BAD(weather_pa_per_h, NAN);
	good.weeks = 2;
	BAD(runs_per_week, 0);
	BAD(runs_per_week, 8);
#undef BAD
	assert_int_equal(count, 0);
	assert_int_equal(sim_course_elevation(&good, 0, &x, &h, 1), -EINVAL);
	assert_int_equal(sim_course_elevation(&good, 2 * good.runs_per_week + 1, &x, &h, 1),
			 -EINVAL);
	assert_int_equal(sim_course_elevation(&good, 2 * good.runs_per_week, &x, &h, 1), 0);
	assert_true(h == 0); /* relative to the start */
}

/* Barometric altitude follows the course, within the sensor's drift. */
struct baro_track {
	struct sim_run_truth truth;
	bool have_truth; /* on the second pass */
	double start_pa, end_pa;
	unsigned start_n, end_n;
};

static int baro_emit(void *user, const struct notification *n)
{
	struct baro_track *b = user;
	double p_pa;
	if (n->handle != SIM_HANDLE_PRESSURE || !ess_parse_pressure(n->value, n->len, &p_pa))
		return 0;
	if (b->start_n < 5) {
		b->start_pa += p_pa;
		b->start_n++;
	}
	if (b->have_truth && llabs(n->host_time_us - b->truth.end_us) < 2500000) {
		b->end_pa += p_pa;
		b->end_n++;
	}
	return 0;
}

static int baro_truth(void *user, const struct sim_run_truth *t)
{
	struct baro_track *b = user;
	b->truth = *t;
	return 0;
}

static double altitude_m(double p_pa, double p0_pa)
{
	return 44330 * (1 - pow(p_pa / p0_pa, 1 / 5.255));
}

static void test_barometer(void **state)
{
	struct sim_options o;
	(void)state;

	for (uint64_t seed = 1; seed <= 5; seed++) {
		struct baro_track b = { 0 };
		options_seeded(&o, seed);
		o.run_minutes = 45;
		assert_int_equal(sim_run_block(&o, baro_emit, baro_truth, &b), 0);
		struct sim_run_truth t = b.truth;
		memset(&b, 0, sizeof(b));
		b.truth = t;
		b.have_truth = true;
		assert_int_equal(sim_run_block(&o, baro_emit, NULL, &b), 0);
		assert_true(b.start_n == 5 && b.end_n >= 3);
		double d_m[2] = { 0, t.course_start_m + t.course_distance_m }, h_m[2];
		assert_int_equal(sim_course_elevation(&o, 1, d_m, h_m, 2), 0);
		double baro_m = altitude_m(b.end_pa / b.end_n, 101325) -
				altitude_m(b.start_pa / b.start_n, 101325);
		print_message("seed %llu: course %+.1f m, barometer %+.1f m\n",
			      (unsigned long long)seed, h_m[1] - h_m[0], baro_m);
		/* warm-up (<= 20 Pa), weather (<= 30 Pa/h) and the ends' motion */
		assert_true(fabs(baro_m - (h_m[1] - h_m[0])) < 6);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_seed_same_bytes),
		cmocka_unit_test(test_sensors_independent),
		cmocka_unit_test(test_truth_consistent),
		cmocka_unit_test(test_fixed_pod_error),
		cmocka_unit_test(test_dropouts),
		cmocka_unit_test(test_block),
		cmocka_unit_test(test_callback_stops),
		cmocka_unit_test(test_options_checked),
		cmocka_unit_test(test_barometer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
