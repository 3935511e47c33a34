// SPDX-License-Identifier: GPL-2.0-or-later
/* The stride pipeline: the merge's order, the rule that stops waiting for
 * a foot fallen behind, the clipped flag against the samples themselves,
 * and one impact's clipping as one stretch at any rate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nav/strides.h"
#include "sim/imu_sim.h"

#define MAX_SAMPLES (41 * 1000)
#define MAX_STRIDES 256

static void test_merge_order(void **state)
{
	(void)state;
	struct strides_join j;
	strides_join_init(&j);
	struct ins_stride s = { .foot = IMU_FOOT_LEFT }, out;
	s.end_us = 100;
	strides_join_push(&j, 0, &s);
	assert_false(strides_join_pop(&j, false, &out)); /* right may still report earlier */
	s.foot = IMU_FOOT_RIGHT;
	s.end_us = 50;
	strides_join_push(&j, 1, &s);
	s.end_us = 150;
	strides_join_push(&j, 1, &s);
	assert_true(strides_join_pop(&j, false, &out));
	assert_int_equal(out.end_us, 50);
	assert_true(strides_join_pop(&j, false, &out));
	assert_int_equal(out.end_us, 100);
	assert_false(strides_join_pop(&j, false, &out));
	assert_true(strides_join_pop(&j, true, &out));
	assert_int_equal(out.end_us, 150);
	assert_false(strides_join_pop(&j, true, &out));
}

/* A foot whose sensor went quiet: the other's strides wait until it holds
 * STRIDES_LAG of them, then leave one at a time, oldest first, and none
 * is dropped however long the silence. */
static void test_lagging_foot_released_at_half_queue(void **state)
{
	(void)state;
	struct strides_join j;
	strides_join_init(&j);
	struct ins_stride s = { .foot = IMU_FOOT_LEFT, .valid = true }, out;
	s.end_us = 10;
	strides_join_push(&j, 1, &s); /* the right foot, then silence */
	assert_true(strides_join_pop(&j, true, &out));
	int64_t next_out = 1000;
	for (int i = 1; i <= 100; i++) {
		s.end_us = 1000 * i;
		strides_join_push(&j, 0, &s);
		bool popped = strides_join_pop(&j, false, &out);
		assert_int_equal(popped, i >= STRIDES_LAG);
		if (popped) {
			assert_int_equal(out.end_us, next_out);
			next_out += 1000;
		}
		assert_false(strides_join_pop(&j, false, &out));
	}
	assert_int_equal(j.dropped, 0);
	assert_int_equal(j.len[0], STRIDES_LAG - 1);
}

/* Simulated left foot, with the samples marked clipped where the test
 * wants them; strides and every sample's time and mark kept. */
struct clip_run {
	struct imu_sample samples[MAX_SAMPLES];
	size_t n_samples;
	struct ins_stride strides[MAX_STRIDES];
	size_t n_strides;
	struct strides_foot_stats stats;
};

typedef bool (*clip_rule)(int64_t t_us);

/* The sample period of the run being made, for the clip rule. */
static int64_t period_us;

static void run_clipped(struct clip_run *r, double rate_hz, double seconds, uint64_t seed,
			clip_rule clip)
{
	struct imu_sim_config c;
	imu_sim_config_default(&c);
	c.seed = seed;
	c.rate_hz = rate_hz;
	c.feet = IMU_SIM_LEFT;
	c.speed_mps = 4.0;
	c.t0_us = 0;
	c.acc_range_g = 1000; /* no clipping but the test's own */
	period_us = (int64_t)(1e6 / rate_hz);
	struct imu_sim *sim = imu_sim_new(&c);
	struct strides_foot *f = strides_foot_new(rate_hz, IMU_FOOT_LEFT);
	assert_non_null(sim);
	assert_non_null(f);
	r->n_samples = r->n_strides = 0;
	struct imu_sample buf[64];
	struct ins_stride x;
	while (imu_sim_time_us(sim) < (int64_t)(seconds * 1e6)) {
		size_t n = imu_sim_generate(sim, buf, 64);
		for (size_t i = 0; i < n && r->n_samples < MAX_SAMPLES; i++) {
			buf[i].clipped = clip(buf[i].t_us) ? IMU_CLIP_ACC_Z : 0;
			r->samples[r->n_samples++] = buf[i];
			if (strides_foot_push(f, &buf[i], &x) && r->n_strides < MAX_STRIDES)
				r->strides[r->n_strides++] = x;
		}
	}
	while (strides_foot_flush(f, &x))
		if (r->n_strides < MAX_STRIDES)
			r->strides[r->n_strides++] = x;
	strides_foot_stats(f, &r->stats);
	strides_foot_free(f);
	imu_sim_free(sim);
}

static bool has_clipped_sample(const struct clip_run *r, const struct ins_stride *x)
{
	for (size_t i = 0; i < r->n_samples; i++)
		if (r->samples[i].clipped && r->samples[i].t_us >= x->start_us &&
		    r->samples[i].t_us < x->end_us)
			return true;
	return false;
}

/* Bursts of clipping 0.9 s apart, each 30 ms long with a clipped sample
 * every 10 ms: out of step with the strides, so bursts fall on landings,
 * in stances and in swings. */
static bool bursts(int64_t t_us)
{
	int64_t in_burst_us = t_us % 900000;
	return in_burst_us < 30000 && in_burst_us % 10000 < period_us;
}

/* Ground truth: each stride's own samples. Flagged if and only if one of
 * them is clipped: the end is the next stride's (half open). */
static void test_clipped_flag_is_the_strides_own(void **state)
{
	(void)state;
	static struct clip_run r;
	const uint64_t seed = 5;
	run_clipped(&r, 1000, 40, seed, bursts);
	assert_true(r.n_strides > 40);
	unsigned flagged = 0;
	for (size_t i = 0; i < r.n_strides; i++) {
		bool truth = has_clipped_sample(&r, &r.strides[i]);
		if (r.strides[i].clipped != truth)
			fail_msg(
				"seed %llu: stride %zu [%lld, %lld) flagged %d, own samples say %d",
				(unsigned long long)seed, i, (long long)r.strides[i].start_us,
				(long long)r.strides[i].end_us, r.strides[i].clipped, truth);
		flagged += truth;
	}
	/* Not every stride: the test has both kinds. */
	assert_true(flagged > 0 && flagged < r.n_strides);
}

/* The landings of a first run without clipping, marked clipped in a
 * second run of the same seed: the sample at a stride's end is its
 * successor's. */
static int64_t landings_us[MAX_STRIDES];
static size_t n_landings;

static bool none(int64_t t_us)
{
	(void)t_us;
	return false;
}

static bool at_landings(int64_t t_us)
{
	for (size_t i = 0; i < n_landings; i++)
		if (landings_us[i] == t_us)
			return true;
	return false;
}

static void test_landing_sample_belongs_to_the_next_stride(void **state)
{
	(void)state;
	static struct clip_run r;
	const uint64_t seed = 3;
	run_clipped(&r, 400, 20, seed, none);
	n_landings = 0;
	for (size_t i = 2; i < r.n_strides; i += 3) /* every third: unflagged ones between */
		landings_us[n_landings++] = r.strides[i].end_us;
	run_clipped(&r, 400, 20, seed, at_landings);
	unsigned ends_on_mark = 0, flagged = 0;
	for (size_t i = 0; i < r.n_strides; i++) {
		const struct ins_stride *x = &r.strides[i];
		bool truth = has_clipped_sample(&r, x);
		if (x->clipped != truth)
			fail_msg(
				"seed %llu: stride %zu [%lld, %lld) flagged %d, own samples say %d",
				(unsigned long long)seed, i, (long long)x->start_us,
				(long long)x->end_us, x->clipped, truth);
		ends_on_mark += at_landings(x->end_us) && !truth;
		flagged += x->clipped;
	}
	/* The marks still fall on landings, and the stride ending on one is
	 * left unflagged. */
	if (ends_on_mark < n_landings / 2 || flagged < n_landings / 2)
		fail_msg("seed %llu: %u of %zu marked landings end an unflagged stride, %u flagged",
			 (unsigned long long)seed, ends_on_mark, n_landings, flagged);
}

/* One impact ringing in and out of full scale (every 10 ms for 30 ms) is
 * one stretch at 100 Hz and at 1 kHz alike: the join is in time, not in
 * sample periods. */
static void test_one_impact_one_stretch_at_any_rate(void **state)
{
	(void)state;
	static struct clip_run r;
	const double rates[] = { 100, 400, 1000 };
	for (size_t i = 0; i < 3; i++) {
		run_clipped(&r, rates[i], 20, 7, bursts);
		uint64_t expected = (uint64_t)(r.samples[r.n_samples - 1].t_us / 900000 + 1);
		if (r.stats.clip_stretches != expected)
			fail_msg("%.0f Hz (seed 7): %llu stretches for %llu bursts", rates[i],
				 (unsigned long long)r.stats.clip_stretches,
				 (unsigned long long)expected);
	}
}

/*
 * A sprint at 6.5 m/s and 400 Hz, whose heel strikes clip the ±16 g
 * accelerometer all through some stances: the INS misses those, and a
 * stride of two came out (in this seed an 8.01 m stride ending at 10.4 s,
 * truth 4.00 m). Each is now split in two halves flagged split, and no
 * stride is longer than 1.5 times the true one it ends with.
 */
static void test_doubled_strides_split(void **state)
{
	(void)state;
	const uint64_t seed = 20240601u + 400 * 10007u + 65 * 101u + 50;
	struct imu_sim_config c;
	imu_sim_config_default(&c);
	c.rate_hz = 400;
	c.speed_mps = 6.5;
	c.seed = seed;
	c.feet = IMU_SIM_LEFT | IMU_SIM_RIGHT;
	struct imu_sim *sim = imu_sim_new(&c);
	assert_non_null(sim);
	struct strides_foot *foot = strides_foot_new(c.rate_hz, IMU_FOOT_RIGHT);
	static struct ins_stride est[MAX_STRIDES];
	static struct imu_sim_stride truth[MAX_STRIDES];
	size_t n_est = 0, n_truth = 0;
	struct imu_sample buf[512];
	struct imu_sim_stride t;
	while (imu_sim_time_us(sim) < 60 * INT64_C(1000000)) {
		size_t n = imu_sim_generate(sim, buf, 512);
		for (size_t i = 0; i < n; i++)
			if (buf[i].foot == IMU_FOOT_RIGHT && n_est < MAX_STRIDES &&
			    strides_foot_push(foot, &buf[i], &est[n_est]))
				n_est++;
		while (imu_sim_pop_truth(sim, &t))
			if (t.foot == IMU_FOOT_RIGHT && n_truth < MAX_STRIDES)
				truth[n_truth++] = t;
	}
	while (n_est < MAX_STRIDES && strides_foot_flush(foot, &est[n_est]))
		n_est++;
	unsigned split = 0;
	for (size_t i = 0; i < n_est; i++) {
		split += est[i].split;
		size_t best = 0;
		for (size_t j = 1; j < n_truth; j++)
			if (llabs(truth[j].end_us - est[i].end_us) <
			    llabs(truth[best].end_us - est[i].end_us))
				best = j;
		if (truth[best].start_us == 0 || !est[i].valid)
			continue;
		if (est[i].length_m > 1.5 * truth[best].length_m)
			fail_msg("seed %llu: stride %zu ending at %.2f s is %.2f m, truth %.2f m",
				 (unsigned long long)seed, i, est[i].end_us * 1e-6, est[i].length_m,
				 truth[best].length_m);
	}
	if (split == 0 || split % 2)
		fail_msg("seed %llu: %u strides split", (unsigned long long)seed, split);
	strides_foot_free(foot);
	imu_sim_free(sim);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_order),
		cmocka_unit_test(test_lagging_foot_released_at_half_queue),
		cmocka_unit_test(test_clipped_flag_is_the_strides_own),
		cmocka_unit_test(test_landing_sample_belongs_to_the_next_stride),
		cmocka_unit_test(test_one_impact_one_stretch_at_any_rate),
		cmocka_unit_test(test_doubled_strides_split),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
