// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The simulated shoe IMUs as sensors: one imu_sim for both feet, fed with
 * the run's speed and grade, its samples sent as the hamstride IMU
 * profile's notifications.
 */
#include "sim/sim_internal.h"

#include <string.h>

#include "util/bytes.h"

#define IMU_STILL_S 2.0       /* standing before the first step, to level the INS */
#define IMU_RATE_CODE 3       /* 400 Hz */
#define IMU_ACC_RANGE_CODE 3  /* ±16 g */
#define IMU_GYRO_RANGE_CODE 4 /* ±2000 °/s */

bool sim_imu_enabled(const struct sim_options *o)
{
	return o->imu;
}

void sim_imu_setup(struct sim_sensor *s, const struct sim_options *o)
{
	(void)o;
	s->u.imu.side = s->kind->id == SENSOR_IMU_RIGHT;
	s->ci_us = SIM_IMU_CONNECTION_INTERVAL_US;
}

void sim_imu_start(struct sim_sensor *s, struct sim_run *run)
{
	struct imu_state *st = &s->u.imu;
	/* A free-running clock and counter: anywhere, wrapping. */
	st->clock_start_us = (uint32_t)gsl_rng_get(s->rng);
	st->seq = (uint16_t)gsl_rng_uniform_int(s->rng, 65536);
	st->config_sent = false;
	/* The link is up before the runner stands still to start. */
	s->anchor_us -= s->ci_us * (int64_t)ceil((IMU_STILL_S + 1) * US_PER_S / (double)s->ci_us);
	if (run->imu)
		memcpy(run->truth.imu_addr[st->side], s->addr, NOTIFICATION_ADDR_LEN);
}

static int64_t imu_utc_us(const struct sim_run *run, int64_t imu_us)
{
	return run->start_us + imu_us - (int64_t)(IMU_STILL_S * US_PER_S);
}

static void imu_fifo_push(struct imu_fifo *f, const struct imu_sample *s)
{
	if (f->len == IMU_FIFO_LEN) { /* cannot happen: both feet send in step */
		f->head = (f->head + 1) % IMU_FIFO_LEN;
		f->len--;
	}
	f->s[(f->head + f->len++) % IMU_FIFO_LEN] = *s;
}

static void imu_pair_truth(struct imu_pair *pair, const struct sim_run *run)
{
	struct imu_sim_stride t;
	while (imu_sim_pop_truth(pair->sim, &t)) {
		int side = t.foot == IMU_FOOT_RIGHT;
		pair->strides[side]++;
		pair->length_sum_m[side] += t.length_m;
		if (!pair->stride || pair->stride_rc)
			continue;
		struct sim_stride_truth st = {
			.run_index = run->index,
			.foot = t.foot,
			.start_us = imu_utc_us(run, t.start_us),
			.end_us = imu_utc_us(run, t.end_us),
			.length_m = t.length_m,
			.height_change_m = t.height_change_m,
			.speed_mps = t.speed_mps,
			.grade = t.grade,
			.treadmill = run->course.treadmill,
		};
		pair->stride_rc = pair->stride(pair->user, &st);
	}
}

/* Generates both feet until this one has n samples waiting, or until the
 * runner stands still at the end (the sensors then stop streaming). */
static void imu_pair_fill(struct imu_pair *pair, struct sim_run *run, int side, unsigned n)
{
	struct imu_sample buf[32];
	while (pair->streaming && pair->fifo[side].len < n) {
		double t_run_s = (double)imu_sim_time_us(pair->sim) / US_PER_S - IMU_STILL_S;
		int64_t second = (int64_t)floor(t_run_s);
		if (second != pair->motion_second && second >= 0) {
			double speed_mps, grade;
			pair->motion_second = second;
			sim_traj_motion(run, second, &speed_mps, &grade);
			if (t_run_s > run->running_s && speed_mps < 0.5) {
				pair->streaming = false;
				break;
			}
			imu_sim_set_motion(pair->sim, speed_mps, grade);
		}
		size_t got = imu_sim_generate(pair->sim, buf, 32);
		for (size_t i = 0; i < got; i++)
			imu_fifo_push(&pair->fifo[buf[i].foot == IMU_FOOT_RIGHT], &buf[i]);
		imu_pair_truth(pair, run);
	}
}

static int16_t imu_raw(double v, double lsb)
{
	return (int16_t)clamp(nearbyint(v / lsb), INT16_MIN, INT16_MAX);
}

static bool imu_send_config(struct sim_sensor *s)
{
	struct imu_hs_config cfg = {
		.version = IMU_HS_VERSION,
		.rate_code = IMU_RATE_CODE,
		.acc_range_code = IMU_ACC_RANGE_CODE,
		.gyro_range_code = IMU_GYRO_RANGE_CODE,
		.foot = s->u.imu.side ? IMU_FOOT_RIGHT : IMU_FOOT_LEFT,
		.flags = 1,
	};
	imu_hs_encode_config(&cfg, s->value);
	s->len = IMU_HS_CONFIG_LEN;
	s->handle = SIM_HANDLE_IMU_CONFIG;
	gatt_uuid_parse(IMU_HS_CONFIG_UUID, &s->uuid);
	s->sample_s = -IMU_STILL_S - 0.5;
	s->u.imu.config_sent = true;
	s->reliable = true; /* read with a response, retried: never lost */
	return true;
}

bool sim_imu_sample(struct sim_sensor *s, struct sim_run *run)
{
	struct imu_state *st = &s->u.imu;
	struct imu_pair *pair = run->imu;
	int16_t raw[SIM_IMU_SAMPLES_PER_PACKET][6];
	const double acc_lsb = imu_hs_acc_range_mps2(IMU_ACC_RANGE_CODE) / 32768.0;
	const double gyro_lsb = imu_hs_gyro_range_radps(IMU_GYRO_RANGE_CODE) / 32768.0;

	s->running_sample = false;
	s->reliable = false;
	if (!pair)
		return false;
	if (!st->config_sent)
		return imu_send_config(s);
	imu_pair_fill(pair, run, st->side, SIM_IMU_SAMPLES_PER_PACKET);
	struct imu_fifo *f = &pair->fifo[st->side];
	unsigned n = f->len < SIM_IMU_SAMPLES_PER_PACKET ? f->len : SIM_IMU_SAMPLES_PER_PACKET;
	if (n == 0)
		return false;
	int64_t first_us = f->s[f->head].t_us;
	for (unsigned i = 0; i < n; i++) {
		const struct imu_sample *x = &f->s[f->head];
		for (int k = 0; k < 3; k++) {
			raw[i][k] = imu_raw(x->acc_mps2[k], acc_lsb);
			raw[i][3 + k] = imu_raw(x->gyro_radps[k], gyro_lsb);
		}
		/* The packet is ready once its last sample is taken. */
		s->sample_s = (double)x->t_us / US_PER_S - IMU_STILL_S;
		f->head = (f->head + 1) % IMU_FIFO_LEN;
		f->len--;
	}
	s->len = (uint16_t)imu_hs_encode_data(st->seq++, st->clock_start_us + (uint32_t)first_us,
					      IMU_RATE_CODE, IMU_ACC_RANGE_CODE,
					      IMU_GYRO_RANGE_CODE, (const int16_t(*)[6])raw, n,
					      s->value, sizeof(s->value));
	s->handle = SIM_HANDLE_IMU_DATA;
	gatt_uuid_parse(IMU_HS_DATA_UUID, &s->uuid);
	return true;
}

bool sim_imu_worn(const struct sim_options *o, unsigned n_runs, unsigned index)
{
	return o->imu && (o->imu_last_runs == 0 || index + o->imu_last_runs > n_runs);
}

/* Puts the IMUs on for this run: a fresh gait, from the run's first speed. */
void sim_imu_pair_begin(struct imu_pair *pair, struct sim_run *run, uint64_t seed)
{
	struct imu_sim_config c;
	double speed_mps, grade;

	imu_sim_config_default(&c);
	sim_traj_motion(run, 0, &speed_mps, &grade);
	c.seed = derive_seed(seed, run->index, STREAM_IMU_GAIT);
	c.rate_hz = SIM_IMU_RATE_HZ;
	c.speed_mps = speed_mps;
	c.grade = grade;
	c.still_s = IMU_STILL_S;
	c.samples_per_packet = SIM_IMU_SAMPLES_PER_PACKET;
	pair->sim = imu_sim_new(&c);
	pair->streaming = pair->sim != NULL;
	pair->motion_second = INT64_MIN;
	pair->fifo[0].len = pair->fifo[1].len = 0;
	pair->stride_rc = 0;
	pair->strides[0] = pair->strides[1] = 0;
	pair->length_sum_m[0] = pair->length_sum_m[1] = 0;
	run->imu = pair;
	run->truth.imu = true;
}

void sim_imu_pair_end(struct imu_pair *pair, struct sim_run *run)
{
	run->truth.imu_strides = pair->strides[0] + pair->strides[1];
	run->truth.imu_distance_m = (pair->length_sum_m[0] + pair->length_sum_m[1]) / 2;
	imu_sim_free(pair->sim);
	pair->sim = NULL;
	run->imu = NULL;
}
