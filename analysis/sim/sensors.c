// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The simulated sensors: a foot pod (RSC), a barometer (ESS pressure and
 * temperature) and a heart-rate strap, each a kind with its own traits and
 * encoder, and the BLE link that loses and delays their notifications.
 */
#include "sim/sim_internal.h"

#include <string.h>

#include "decode/rsc.h"
#include "util/bytes.h"

static uint16_t to_u16(double v)
{
	return (uint16_t)clamp(lround(v), 0, UINT16_MAX);
}

/* The next tick of the sensor's own clock; false past the run's end. */
bool sim_sensor_tick(struct sim_sensor *s, const struct sim_run *run)
{
	s->sample_s = s->phase_s + (double)s->tick * s->period_s;
	s->tick++;
	return s->sample_s <= run->end_s;
}

/* Foot pod */

static bool pod_enabled(const struct sim_options *o)
{
	(void)o;
	return true;
}

static void pod_setup(struct sim_sensor *s, const struct sim_options *o)
{
	struct pod_state *p = &s->u.pod;
	p->scale_error = isnan(o->footpod_scale_error) ? uniform(s->rng, -0.04, 0.04)
						       : o->footpod_scale_error;
	p->convention = o->cadence_convention ? (enum rsc_convention)o->cadence_convention
			: chance(s->rng, 0.5) ? RSC_CONVENTION_STEPS
					      : RSC_CONVENTION_STRIDES;
	p->speed_noise = uniform(s->rng, 0.01, 0.02);
	p->send_stride_length = o->footpod_stride_length;
	p->send_total_distance = o->footpod_total_distance;
	p->trailing_bytes = chance(s->rng, 0.3) ? 1 + (unsigned)gsl_rng_uniform_int(s->rng, 3) : 0;
	/* The pod counts from power-on, not from the run. */
	p->odometer_m = uniform(s->rng, 0, 2e6);
}

static void pod_start(struct sim_sensor *s, struct sim_run *run)
{
	s->handle = SIM_HANDLE_RSC_MEASUREMENT;
	s->uuid = gatt_uuid_from16(UUID_RSC_MEASUREMENT);
	run->truth.cadence_convention = s->u.pod.convention;
	run->truth.footpod_scale_error = s->u.pod.scale_error;
	memcpy(run->truth.footpod_addr, s->addr, NOTIFICATION_ADDR_LEN);
}

static void pod_note_running(struct sim_run *run, double t_s, uint32_t total_dm)
{
	if (!run->pod_running_seen) {
		run->pod_running_seen = true;
		run->pod_first_s = t_s;
		run->pod_first_dm = total_dm;
	}
	run->pod_last_s = t_s;
	run->pod_last_dm = total_dm;
}

static size_t pod_encode(struct sim_sensor *s, double speed_mps, long cadence, double length_m,
			 uint32_t total_dm)
{
	const struct pod_state *p = &s->u.pod;
	uint8_t *v = s->value;
	size_t len = 4;

	v[0] = s->running_sample ? RSC_FLAG_RUNNING : 0;
	bytes_put_le16(v + 1, to_u16(speed_mps * 256));
	v[3] = (uint8_t)clamp((double)cadence, 0, UINT8_MAX);
	if (p->send_stride_length) {
		v[0] |= RSC_FLAG_STRIDE_PRESENT;
		bytes_put_le16(v + len, to_u16(length_m * 100));
		len += 2;
	}
	if (p->send_total_distance) {
		v[0] |= RSC_FLAG_DISTANCE_PRESENT;
		bytes_put_le32(v + len, total_dm);
		len += 4;
	}
	for (unsigned i = 0; i < p->trailing_bytes; i++)
		v[len++] = (uint8_t)(s->tick + i);
	return len;
}

static bool pod_sample(struct sim_sensor *s, struct sim_run *run)
{
	const struct pod_state *p = &s->u.pod;

	if (!sim_sensor_tick(s, run))
		return false;
	struct traj_point tp = sim_traj_at(run, s->sample_s);
	double units_per_min =
		p->convention == RSC_CONVENTION_STRIDES ? tp.cadence_spm / 2 : tp.cadence_spm;
	/* A pod measures speed from steps: no steps, no speed. */
	if (units_per_min < 30)
		units_per_min = 0;
	double speed_mps = units_per_min > 0 ? tp.speed_mps * (1 + p->scale_error) : 0;
	/* The length field is one cadence unit: a step, or a whole stride. */
	double length_m = units_per_min > 0 ? speed_mps * 60 / units_per_min : 0;
	double measured_mps =
		speed_mps > 0 ? speed_mps * (1 + gsl_ran_gaussian_ziggurat(s->rng, p->speed_noise))
			      : 0;
	long cadence = units_per_min > 0
			       ? lround(units_per_min) + (long)gsl_rng_uniform_int(s->rng, 3) - 1
			       : 0;
	/* Truncating to uint32 wraps at 2^32 dm as the field does. */
	uint32_t total_dm =
		(uint32_t)(uint64_t)floor((p->odometer_m + (1 + p->scale_error) * tp.x_m) * 10);

	s->running_sample = s->sample_s <= run->running_s;
	if (s->running_sample)
		pod_note_running(run, s->sample_s, total_dm);
	s->len = (uint16_t)pod_encode(s, measured_mps, cadence, length_m, total_dm);
	return true;
}

/* The pod keeps counting between runs: the walk to and from the start. */
void sim_pod_finish(struct sim_sensor *s, const struct sim_run *run)
{
	struct pod_state *p = &s->u.pod;
	p->odometer_m += (1 + p->scale_error) *
			 (run->traj[run->n_traj - 1].x_m + uniform(s->rng, 200, 1500));
}

/* Barometer: ESS pressure every second, temperature every 1 or 10 s. */

static bool baro_enabled(const struct sim_options *o)
{
	return o->barometer;
}

static void baro_setup(struct sim_sensor *s, const struct sim_options *o)
{
	struct baro_state *b = &s->u.baro;
	(void)o;
	b->site_altitude_m = uniform(s->rng, 20, 800);
	b->noise_pa = uniform(s->rng, 1.2, 3.6);
	b->temp_coeff_pa_per_k = uniform(s->rng, 1.0, 2.0) * (chance(s->rng, 0.5) ? 1 : -1);
	b->temp_every = chance(s->rng, 0.5) ? 1 : 10;
}

static void baro_start(struct sim_sensor *s, struct sim_run *run)
{
	struct baro_state *b = &s->u.baro;
	(void)run;
	/* Body heat warms the sensor over the first ten minutes. */
	b->warmup_k = uniform(s->rng, 5, 10);
	b->warmup_tau_s = uniform(s->rng, 150, 220);
	b->temp_due = false;
}

static double baro_temperature_c(const struct baro_state *b, const struct sim_run *run, double t_s)
{
	return run->ambient_c + b->warmup_k * (1 - exp(-t_s / b->warmup_tau_s));
}

static bool baro_sample(struct sim_sensor *s, struct sim_run *run)
{
	struct baro_state *b = &s->u.baro;

	s->running_sample = false;
	if (b->temp_due) { /* the temperature read with the last pressure */
		double t_c = baro_temperature_c(b, run, s->sample_s) +
			     gsl_ran_gaussian_ziggurat(s->rng, 0.05);
		s->handle = SIM_HANDLE_TEMPERATURE;
		s->uuid = gatt_uuid_from16(UUID_TEMPERATURE);
		bytes_put_le16(s->value, (uint16_t)(int16_t)clamp(lround(t_c * 100), INT16_MIN + 1,
								  INT16_MAX));
		s->len = 2;
		b->temp_due = false;
		return true;
	}
	if (!sim_sensor_tick(s, run))
		return false;
	double t_s = s->sample_s;
	struct traj_point tp = sim_traj_at(run, t_s);
	double p0_pa = run->p0_pa + run->p0_drift_pa_per_s * t_s + tp.weather_pa;
	/* On a treadmill the runner, and the barometer, stay at one height. */
	double elevation_m = run->course.treadmill ? 0 : tp.elevation_m;
	double p_pa = p0_pa * pow(1 - (b->site_altitude_m + elevation_m) / 44330.0, 5.255) +
		      b->temp_coeff_pa_per_k * (baro_temperature_c(b, run, t_s) - run->ambient_c) +
		      gsl_ran_gaussian_ziggurat(s->rng, b->noise_pa);
	s->handle = SIM_HANDLE_PRESSURE;
	s->uuid = gatt_uuid_from16(UUID_PRESSURE);
	bytes_put_le32(s->value, (uint32_t)lround(p_pa * 10));
	s->len = 4;
	b->temp_due = (s->tick - 1) % b->temp_every == 0;
	return true;
}

/* Heart-rate strap: uint8 rate, contact detected, RR intervals. */

static bool hrm_enabled(const struct sim_options *o)
{
	return o->heart_rate;
}

static void hrm_setup(struct sim_sensor *s, const struct sim_options *o)
{
	(void)s;
	(void)o;
}

static double hrm_beat_s(struct sim_sensor *s, const struct sim_run *run, double t_s)
{
	double bpm = sim_traj_at(run, t_s).heart_rate_bpm;
	return 60 / bpm * (1 + gsl_ran_gaussian_ziggurat(s->rng, 0.03));
}

static void hrm_start(struct sim_sensor *s, struct sim_run *run)
{
	struct hrm_state *h = &s->u.hrm;
	s->handle = SIM_HANDLE_HEART_RATE_MEASUREMENT;
	s->uuid = gatt_uuid_from16(UUID_HEART_RATE_MEASUREMENT);
	h->last_beat_s = -uniform(s->rng, 0, 0.6);
	h->next_beat_s = h->last_beat_s + hrm_beat_s(s, run, 0);
}

static bool hrm_sample(struct sim_sensor *s, struct sim_run *run)
{
	struct hrm_state *h = &s->u.hrm;
	uint8_t *v = s->value;
	size_t len = 2;

	s->running_sample = false;
	if (!sim_sensor_tick(s, run))
		return false;
	double bpm = sim_traj_at(run, s->sample_s).heart_rate_bpm;
	v[0] = 0x06; /* uint8 rate, contact supported and detected */
	v[1] = (uint8_t)clamp(lround(bpm + gsl_ran_gaussian_ziggurat(s->rng, 0.6)), 30, 240);
	/* RR intervals of the beats since the last notification. */
	while (h->next_beat_s <= s->sample_s) {
		if (len < 2 + 2 * HRM_RR_PER_NOTIFICATION) {
			bytes_put_le16(v + len, to_u16((h->next_beat_s - h->last_beat_s) * 1024));
			len += 2;
		}
		h->last_beat_s = h->next_beat_s;
		h->next_beat_s += hrm_beat_s(s, run, h->next_beat_s);
	}
	if (len > 2)
		v[0] |= 0x10;
	s->len = (uint16_t)len;
	return true;
}

/* Shoe IMUs: the hamstride profile's configuration once (as a live source
 * passes on the value it read), then data notifications of 16 samples. */

/* Treadmill: FTMS Treadmill Data once a second (the sensor's tick) from
 * the belt's speed and distance and the incline program. */

static bool ftms_enabled(const struct sim_options *o)
{
	bool any = o->course == SIM_COURSE_TREADMILL;
	for (unsigned i = 0; i < o->n_routes && i < SIM_MAX_ROUTES; i++)
		any = any || o->routes[i] == SIM_COURSE_TREADMILL;
	return any;
}

static void ftms_setup(struct sim_sensor *s, const struct sim_options *o)
{
	(void)s;
	(void)o;
}

static void ftms_start(struct sim_sensor *s, struct sim_run *run)
{
	s->handle = SIM_HANDLE_TREADMILL_DATA;
	s->uuid = gatt_uuid_from16(SIM_FTMS_TREADMILL_DATA_UUID);
	if (run->course.treadmill)
		memcpy(run->truth.treadmill_addr, s->addr, NOTIFICATION_ADDR_LEN);
}

static int16_t to_s16(double v)
{
	return (int16_t)clamp(lround(v), INT16_MIN, INT16_MAX);
}

size_t sim_ftms_encode(double speed_mps, double distance_m, double grade, double elapsed_s,
		       uint8_t *v)
{
	bytes_put_le16(v, SIM_FTMS_FLAGS);
	bytes_put_le16(v + 2, to_u16(speed_mps * 3.6 * 100)); /* 0.01 km/h */
	uint32_t m = (uint32_t)clamp(floor(distance_m), 0, 0xFFFFFF);
	v[4] = (uint8_t)m;
	v[5] = (uint8_t)(m >> 8);
	v[6] = (uint8_t)(m >> 16);
	bytes_put_le16(v + 7, (uint16_t)to_s16(grade * 1000));                  /* 0.1 % */
	bytes_put_le16(v + 9, (uint16_t)to_s16(atan(grade) * 180 / M_PI * 10)); /* 0.1 degree */
	bytes_put_le16(v + 11, to_u16(floor(elapsed_s)));
	return SIM_FTMS_TREADMILL_DATA_LEN;
}

static bool ftms_sample(struct sim_sensor *s, struct sim_run *run)
{
	double elevation_m, grade;

	s->running_sample = false;
	if (!run->course.treadmill || !sim_sensor_tick(s, run)) /* a run outdoors */
		return false;
	struct traj_point tp = sim_traj_at(run, s->sample_s);
	sim_course_at(&run->course, tp.x_m, &elevation_m, &grade);
	s->len = (uint16_t)sim_ftms_encode(tp.speed_mps, tp.x_m, grade, fmax(s->sample_s, 0),
					   s->value);
	return true;
}

const struct sensor_kind sim_sensor_kinds[SENSOR_COUNT] = {
	{ SENSOR_FOOTPOD, pod_enabled, pod_setup, pod_start, pod_sample },
	{ SENSOR_BAROMETER, baro_enabled, baro_setup, baro_start, baro_sample },
	{ SENSOR_HEART_RATE, hrm_enabled, hrm_setup, hrm_start, hrm_sample },
	{ SENSOR_IMU_LEFT, sim_imu_enabled, sim_imu_setup, sim_imu_start, sim_imu_sample },
	{ SENSOR_IMU_RIGHT, sim_imu_enabled, sim_imu_setup, sim_imu_start, sim_imu_sample },
	{ SENSOR_TREADMILL, ftms_enabled, ftms_setup, ftms_start, ftms_sample },
};

/* ---- BLE links: losses, connection events, interference ---- */

const int64_t sim_connection_intervals_us[] = { 30000, 37500, 45000, 50000 };

/* Lost notifications: mostly single, a share in bursts of 3-8, so that the
 * overall loss rate is the option's. */
bool sim_link_drops(struct sim_sensor *s, double rate)
{
	if (s->burst_left) {
		s->burst_left--;
		return true;
	}
	if (chance(s->rng, rate * 0.6))
		return true;
	if (chance(s->rng, rate * 0.4 / 5.5)) {
		s->burst_left = 2 + (unsigned)gsl_rng_uniform_int(s->rng, 6);
		return true;
	}
	return false;
}

/* A notification reaches the host at the next connection event; after
 * interference it waits for retries, up to ~100 ms, and what queued up
 * behind it arrives in the same burst, still in order. */
int64_t sim_link_deliver(struct sim_sensor *s, int64_t sample_us)
{
	int64_t ready_us = sample_us + 1500;

	if (chance(s->rng, 0.03))
		s->stall_until_us =
			ready_us + (int64_t)uniform(s->rng, 20000, 100000 - (double)s->ci_us);
	if (ready_us < s->stall_until_us)
		ready_us = s->stall_until_us;
	int64_t events = (ready_us - s->anchor_us + s->ci_us - 1) / s->ci_us;
	int64_t host_us = s->anchor_us + events * s->ci_us;
	if (host_us < s->last_host_us)
		host_us = s->last_host_us;
	s->last_host_us = host_us;
	return host_us;
}
