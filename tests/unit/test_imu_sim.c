/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The shoe-IMU simulator: its truth must agree with itself and its
 * samples with physics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <cmocka.h>

#include "sim/imu_sim.h"

#define BUF 512

static void ideal(struct imu_sim_config *c)
{
	c->acc_noise_ug_rthz = c->gyro_noise_mdps_rthz = 0;
	c->acc_bias_mg = c->gyro_bias_dps = 0;
	c->acc_bias_rw_ug_rts = c->gyro_bias_rw_mdps_rts = 0;
	c->scale_sd = c->misalign_sd_rad = 0;
}

/* Standing still, an ideal sensor reads gravity and no rotation. */
static void test_still_reads_gravity(void **state)
{
	(void)state;
	struct imu_sim_config c;
	imu_sim_config_default(&c);
	ideal(&c);
	c.feet = IMU_SIM_LEFT;
	struct imu_sim *sim = imu_sim_new(&c);
	assert_non_null(sim);
	struct imu_sample s[BUF];
	size_t n = imu_sim_generate(sim, s, 400); /* first second */
	assert_int_equal(n, 400);
	for (size_t i = 0; i < n; i++) {
		double g = sqrt(s[i].acc_mps2[0] * s[i].acc_mps2[0] +
				s[i].acc_mps2[1] * s[i].acc_mps2[1] +
				s[i].acc_mps2[2] * s[i].acc_mps2[2]);
		assert_true(fabs(g - 9.80665) < 0.01);
		for (int k = 0; k < 3; k++)
			assert_true(fabs(s[i].gyro_radps[k]) < 2e-3);
		assert_int_equal(s[i].t_us, (int64_t)i * 2500);
	}
	imu_sim_free(sim);
}

/* Strides chain: each ends where the next starts, lengths add up to the
 * distance, the runner gets to pace within a few strides of standing, and
 * the feet alternate half a stride apart. */
static void test_truth_consistency(void **state)
{
	(void)state;
	const uint64_t seeds[] = { 1, 7, 12345 };
	for (size_t si = 0; si < 3; si++) {
		struct imu_sim_config c;
		imu_sim_config_default(&c);
		c.seed = seeds[si];
		c.speed_mps = 4.0;
		c.grade = 0.05;
		struct imu_sim *sim = imu_sim_new(&c);
		struct imu_sample s[BUF];
		struct imu_sim_stride t, last[3] = { { 0 } };
		unsigned count[3] = { 0 };
		while (imu_sim_time_us(sim) < 30000000) {
			imu_sim_generate(sim, s, BUF);
			while (imu_sim_pop_truth(sim, &t)) {
				if (count[t.foot] > 0 && last[t.foot].end_us != t.start_us)
					fail_msg("seed %lu: stride gap", (unsigned long)c.seed);
				/* the first strides ramp up from standing */
				if (count[t.foot] == 1 && t.foot == IMU_FOOT_LEFT &&
				    t.speed_mps > 0.75 * 4.0)
					fail_msg("seed %lu: no ramp from standing, %.2f m/s",
						 (unsigned long)c.seed, t.speed_mps);
				if (count[t.foot] > 3) {
					if (fabs(t.length_m / (4.0 / (1.25 + 0.24)) - 1) > 0.15)
						fail_msg("seed %lu: length %.3f",
							 (unsigned long)c.seed, t.length_m);
					assert_true(fabs(t.height_change_m - 0.05 * t.length_m) <
						    1e-9);
					assert_true(fabs(t.speed_mps - 4.0) < 0.4);
					assert_true(t.clearance_m > 0.1 && t.clearance_m < 0.6);
					assert_true(t.stance_us > 40000 && t.stance_us < 200000);
				}
				last[t.foot] = t;
				count[t.foot]++;
			}
		}
		assert_true(count[IMU_FOOT_LEFT] > 35);
		assert_true(abs((int)count[IMU_FOOT_LEFT] - (int)count[IMU_FOOT_RIGHT]) <= 1);
		/* right lands about half a stride after left */
		int64_t off = last[IMU_FOOT_RIGHT].end_us - last[IMU_FOOT_LEFT].end_us;
		int64_t stride = last[IMU_FOOT_LEFT].end_us - last[IMU_FOOT_LEFT].start_us;
		assert_true(stride > 0);
		int64_t half = stride > 0 ? llabs(off) % stride : 0;
		assert_true(llabs(half - stride / 2) < stride / 8);
		imu_sim_free(sim);
	}
}

/* Same seed, same samples; packet loss removes whole packets. */
static void test_seeded_and_loss(void **state)
{
	(void)state;
	struct imu_sim_config c;
	imu_sim_config_default(&c);
	c.feet = IMU_SIM_RIGHT;
	c.seed = 99;
	struct imu_sim *a = imu_sim_new(&c), *b = imu_sim_new(&c);
	static struct imu_sample sa[BUF], sb[BUF];
	imu_sim_generate(a, sa, BUF);
	imu_sim_generate(b, sb, BUF);
	assert_memory_equal(sa, sb, sizeof(sa));
	imu_sim_free(a);
	imu_sim_free(b);

	c.packet_loss = 0.2;
	c.samples_per_packet = 8;
	a = imu_sim_new(&c);
	size_t lost = 0, n;
	int64_t prev = -2500;
	for (int rep = 0; rep < 20; rep++) {
		n = imu_sim_generate(a, sa, BUF);
		for (size_t i = 0; i < n; i++) {
			int64_t d = sa[i].t_us - prev;
			assert_true(d % 2500 == 0);
			lost += (size_t)(d / 2500 - 1);
			prev = sa[i].t_us;
		}
	}
	double frac = (double)lost / (double)(lost + 20 * BUF);
	assert_true(frac > 0.12 && frac < 0.28);
	imu_sim_free(a);
}

/* Sprinting clips the ±16 g accelerometer at heel strike, and says so. */
static void test_clipping(void **state)
{
	(void)state;
	struct imu_sim_config c;
	imu_sim_config_default(&c);
	c.speed_mps = 6.5;
	c.feet = IMU_SIM_LEFT;
	struct imu_sim *sim = imu_sim_new(&c);
	struct imu_sample s[BUF];
	unsigned clipped = 0;
	const double lim = 16 * 9.80665 * 32767 / 32768;
	while (imu_sim_time_us(sim) < 20000000) {
		size_t n = imu_sim_generate(sim, s, BUF);
		for (size_t i = 0; i < n; i++) {
			for (int k = 0; k < 3; k++)
				assert_true(fabs(s[i].acc_mps2[k]) <= 16 * 9.80665 + 1e-9);
			if (s[i].clipped) {
				clipped++;
				int k = s[i].clipped & IMU_CLIP_ACC_X   ? 0
					: s[i].clipped & IMU_CLIP_ACC_Y ? 1
									: 2;
				assert_true(fabs(s[i].acc_mps2[k]) >= lim - 1e-9);
			}
		}
	}
	assert_true(clipped > 10);
	imu_sim_free(sim);
}

/* Sample n of a sensor whose accelerometer lags by k sample periods reads
 * the accelerometer of sample n + k of a simultaneous one (an ideal
 * sensor, so only the quantisation may differ, by one step), and the same
 * gyroscope; k < 0 leads. Lags across landings, where the accelerometer's
 * stride is not the gyroscope's. */
static void check_lag(int k)
{
	struct imu_sim_config c;
	imu_sim_config_default(&c);
	ideal(&c);
	c.feet = IMU_SIM_LEFT;
	c.speed_mps = 4.0;
	struct imu_sim *ref = imu_sim_new(&c);
	c.acc_delay_s = k / c.rate_hz;
	struct imu_sim *lag = imu_sim_new(&c);
	assert_non_null(lag);
	assert_true(fabs(imu_sim_acc_delay_s(lag, IMU_FOOT_LEFT) - k / c.rate_hz) < 1e-12);
	enum { N = 4000 }; /* 10 s: a dozen strides */
	static struct imu_sample a[N], b[N];
	assert_int_equal(imu_sim_generate(ref, a, N), N);
	assert_int_equal(imu_sim_generate(lag, b, N), N);
	const double acc_lsb = 16 * 9.80665 / 32768, gyro_lsb = 2000 * M_PI / 180 / 32768;
	for (int n = 8; n + 8 < N; n++)
		for (int i = 0; i < 3; i++) {
			if (fabs(b[n].acc_mps2[i] - a[n + k].acc_mps2[i]) > 1.01 * acc_lsb)
				fail_msg(
					"lag %d samples: sample %d axis %d reads %.4f, expected %.4f",
					k, n, i, b[n].acc_mps2[i], a[n + k].acc_mps2[i]);
			assert_true(fabs(b[n].gyro_radps[i] - a[n].gyro_radps[i]) <= gyro_lsb);
		}
	imu_sim_free(ref);
	imu_sim_free(lag);
}

static void test_acc_delay(void **state)
{
	(void)state;
	check_lag(2);
	check_lag(-3);
}

/* Each sensor draws its own delay around the configured one; by default
 * there is none. */
static void test_acc_delay_per_sensor(void **state)
{
	(void)state;
	struct imu_sim_config c;
	imu_sim_config_default(&c);
	struct imu_sim *sim = imu_sim_new(&c);
	assert_true(imu_sim_acc_delay_s(sim, IMU_FOOT_LEFT) == 0);
	assert_true(imu_sim_acc_delay_s(sim, IMU_FOOT_RIGHT) == 0);
	imu_sim_free(sim);
	c.acc_delay_s = -0.002;
	c.acc_delay_sd_s = 0.002;
	double sum = 0, sum2 = 0;
	const int runs = 200;
	for (int seed = 1; seed <= runs; seed++) {
		c.seed = (uint64_t)seed;
		sim = imu_sim_new(&c);
		double l = imu_sim_acc_delay_s(sim, IMU_FOOT_LEFT);
		double r = imu_sim_acc_delay_s(sim, IMU_FOOT_RIGHT);
		assert_true(l != r);
		assert_true(fabs(l) <= IMU_SIM_MAX_ACC_DELAY_S);
		sum += l + r;
		sum2 += (l + 0.002) * (l + 0.002) + (r + 0.002) * (r + 0.002);
		imu_sim_free(sim);
	}
	/* 400 draws: the mean within 4 SE (0.4 ms), the SD within 15 % */
	assert_true(fabs(sum / (2 * runs) + 0.002) < 0.0004);
	assert_true(fabs(sqrt(sum2 / (2 * runs)) / 0.002 - 1) < 0.15);
	imu_sim_config_default(&c);
	c.acc_delay_s = 0.06;
	assert_null(imu_sim_new(&c));
}

static void test_rejects_bad_config(void **state)
{
	(void)state;
	struct imu_sim_config c;
	imu_sim_config_default(&c);
	c.rate_hz = 10;
	assert_null(imu_sim_new(&c));
	imu_sim_config_default(&c);
	c.feet = 0;
	assert_null(imu_sim_new(&c));
	imu_sim_config_default(&c);
	c.packet_loss = 1;
	assert_null(imu_sim_new(&c));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_still_reads_gravity),
		cmocka_unit_test(test_truth_consistency),
		cmocka_unit_test(test_seeded_and_loss),
		cmocka_unit_test(test_clipping),
		cmocka_unit_test(test_acc_delay),
		cmocka_unit_test(test_acc_delay_per_sensor),
		cmocka_unit_test(test_rejects_bad_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
