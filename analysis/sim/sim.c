// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The simulator. A block is planned first (days, lengths, kinds of run);
 * each run then gets a course and a pace plan, from which the runner's
 * trajectory (distance, speed, cadence, heart rate, elevation) is computed
 * on a 1 s grid. The sensors sample that trajectory on their own clocks,
 * add their own errors, lose some notifications and deliver the rest over
 * their own BLE link; the run's notifications are merged in host time.
 *
 * Randomness: gsl's mt19937, one generator per concern, each seeded from
 * options.seed, the run's index and a fixed stream number, so that a
 * sensor's bytes do not change when another sensor is switched off or a
 * new kind of sensor is added.
 */
#include "sim/sim.h"

#include <errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/bytes.h"
#include "decode/imu.h"
#include "sim/imu_sim.h"
#include "decode/rsc.h"
#include "util/xalloc.h"

#define US_PER_S 1000000.0
#define DAY_US (INT64_C(86400) * INT64_C(1000000))

#define SPEED_MIN_MPS 2.5
#define SPEED_MAX_MPS 5.0
#define CADENCE_MIN_SPM 155.0
#define CADENCE_MAX_SPM 185.0
#define GRADE_MAX 0.10
#define WALK_MPS 1.4
#define HR_MAX_BPM 195.0

#define COURSE_MAX_FEATURES 96
#define COURSE_LEVEL_MAX_M 100.0
#define PLAN_MAX_SEGMENTS 64
#define SIM_VALUE_MAX (IMU_HS_HEADER_LEN + IMU_HS_SAMPLE_LEN * SIM_IMU_SAMPLES_PER_PACKET)
#define HRM_RR_PER_NOTIFICATION 4

/* Random streams: each concern draws from its own generator. */
enum stream {
	STREAM_BLOCK = 1,
	STREAM_COURSE = 2,
	STREAM_RUN = 3,
	STREAM_IMU_GAIT = 4,
	STREAM_SENSOR = 16, /* + enum sensor_id */
};

static gsl_rng *rng_new(void)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	if (!r)
		xalloc_die();
	return r;
}

static uint64_t splitmix64(uint64_t x)
{
	x += UINT64_C(0x9E3779B97F4A7C15);
	x = (x ^ (x >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94D049BB133111EB);
	return x ^ (x >> 31);
}

/* mt19937 takes a 32-bit seed: mix all 64 bits of the user's seed in. */
static unsigned long derive_seed(uint64_t seed, unsigned run, unsigned stream)
{
	uint64_t h = splitmix64(seed ^ splitmix64((uint64_t)run << 16 | stream));
	return (unsigned long)((h ^ h >> 32) & 0xffffffffu);
}

static double uniform(gsl_rng *r, double lo, double hi)
{
	return lo + (hi - lo) * gsl_rng_uniform(r);
}

static bool chance(gsl_rng *r, double p)
{
	return gsl_rng_uniform(r) < p;
}

static double clamp(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* An Ornstein-Uhlenbeck step: slow random wander with stationary SD sd. */
static double ou_step(gsl_rng *r, double v, double sd, double tau_s, double dt_s)
{
	double a = exp(-dt_s / tau_s);
	return v * a + gsl_ran_gaussian_ziggurat(r, sd * sqrt(1 - a * a));
}

/* ---- course: a loop of hills, valleys and climbs to plateaus ---- */

enum feature_shape { FEATURE_BUMP, FEATURE_STEP };

struct course_feature {
	double start_m, length_m, rise_m, level_m; /* level_m: height before it */
	enum feature_shape shape;
};

struct course {
	double loop_m;
	double ripple_m, ripple_wavelength_m;
	unsigned n;
	struct course_feature f[COURSE_MAX_FEATURES];
};

static void course_add(struct course *c, double *pos_m, double *level_m, enum feature_shape shape,
		       double length_m, double rise_m)
{
	c->f[c->n++] = (struct course_feature){ .start_m = *pos_m,
						.length_m = length_m,
						.rise_m = rise_m,
						.level_m = *level_m,
						.shape = shape };
	*pos_m += length_m;
	if (shape == FEATURE_STEP)
		*level_m += rise_m;
}

/* A raised-cosine bump of length L and height A is steepest (A*pi/L) in
 * its middle, a half-cosine step half that: lengths follow from grades. */
static void course_feature_draw(struct course *c, gsl_rng *r, double grade_max, double *pos_m,
				double *level_m)
{
	double grade = uniform(r, 0.015, grade_max);
	double length_m = uniform(r, 200, 1500);
	double sign = chance(r, 0.5) ? 1 : -1;

	if (chance(r, 0.55)) {
		course_add(c, pos_m, level_m, FEATURE_BUMP, length_m,
			   sign * grade * length_m / M_PI);
		return;
	}
	double rise_m = sign * 2 * grade * length_m / M_PI;
	/* Come back down (or up) sometimes, and never wander too far. */
	if (*level_m != 0 && chance(r, 0.4))
		rise_m = -*level_m * uniform(r, 0.5, 1.0);
	if (fabs(*level_m + rise_m) > COURSE_LEVEL_MAX_M)
		rise_m = -rise_m;
	length_m = fmax(length_m, fabs(rise_m) * M_PI / (2 * grade_max));
	course_add(c, pos_m, level_m, FEATURE_STEP, length_m, rise_m);
}

static void course_build(struct course *c, gsl_rng *r)
{
	double target_m = uniform(r, 4000, 15000);
	double pos_m = uniform(r, 100, 600), level_m = 0;

	memset(c, 0, sizeof(*c));
	c->ripple_m = uniform(r, 0.1, 0.5);
	double wavelength_m = uniform(r, 150, 400);
	/* The ripple's grade adds to the features': keep the sum within 10%. */
	double grade_max = GRADE_MAX - 2 * M_PI * c->ripple_m / wavelength_m * 1.05;

	while (pos_m < target_m && c->n < COURSE_MAX_FEATURES - 1) {
		course_feature_draw(c, r, grade_max, &pos_m, &level_m);
		pos_m += uniform(r, 50, 800);
	}
	if (level_m != 0) {
		double grade = uniform(r, 0.03, grade_max);
		course_add(c, &pos_m, &level_m, FEATURE_STEP, fabs(level_m) * M_PI / (2 * grade),
			   -level_m);
		pos_m += uniform(r, 50, 400);
	}
	c->loop_m = pos_m;
	/* A whole number of ripples per loop keeps the loop seamless; the
	 * wavelength only gets longer, so the grade bound holds. */
	c->ripple_wavelength_m = c->loop_m / floor(c->loop_m / wavelength_m);
}

static const struct course_feature *course_find(const struct course *c, double x_m)
{
	unsigned lo = 0, hi = c->n;

	/* The last feature starting at or before x_m, or NULL before the first. */
	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		if (c->f[mid].start_m <= x_m)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? &c->f[lo - 1] : NULL;
}

static void course_at(const struct course *c, double x_m, double *elevation_m, double *grade)
{
	double xm = fmod(x_m, c->loop_m);
	if (xm < 0)
		xm += c->loop_m;
	double k = 2 * M_PI / c->ripple_wavelength_m;
	double h = c->ripple_m * sin(k * xm), slope = c->ripple_m * k * cos(k * xm);
	const struct course_feature *f = course_find(c, xm);

	if (f) {
		double u = (xm - f->start_m) / f->length_m;
		double w = f->shape == FEATURE_BUMP ? 2 * M_PI : M_PI;
		h += f->level_m;
		if (u >= 1) {
			h += f->shape == FEATURE_STEP ? f->rise_m : 0;
		} else {
			h += f->rise_m * (1 - cos(w * u)) / 2;
			slope += f->rise_m * w / (2 * f->length_m) * sin(w * u);
		}
	}
	*elevation_m = h;
	*grade = slope;
}

/* ---- pace plan ---- */

enum plan_kind { PLAN_EASY, PLAN_LONG, PLAN_TEMPO, PLAN_INTERVALS };

static const char *const plan_names[] = { "easy", "long", "tempo", "intervals" };

struct plan_segment {
	double end_s, speed_mps;
};

struct plan {
	unsigned n;
	struct plan_segment seg[PLAN_MAX_SEGMENTS];
};

static void plan_add(struct plan *p, double duration_s, double speed_mps)
{
	double start_s = p->n ? p->seg[p->n - 1].end_s : 0;
	if (p->n == PLAN_MAX_SEGMENTS)
		p->n--; /* cannot happen with the reps bounded below; stay in bounds */
	p->seg[p->n++] = (struct plan_segment){ start_s + fmax(duration_s, 0), speed_mps };
}

static void plan_main(struct plan *p, enum plan_kind kind, double main_s, double easy_mps,
		      gsl_rng *r)
{
	switch (kind) {
	case PLAN_EASY:
		plan_add(p, main_s, easy_mps);
		break;
	case PLAN_LONG:
		if (main_s > 2400 && chance(r, 0.3)) { /* a fast finish */
			plan_add(p, main_s - 900, easy_mps);
			plan_add(p, 900, easy_mps + 0.3);
		} else {
			plan_add(p, main_s, easy_mps);
		}
		break;
	case PLAN_TEMPO: {
		double tempo_s = fmin(main_s * 0.6, uniform(r, 900, 1500));
		double before_s = (main_s - tempo_s) / 2;
		plan_add(p, before_s, easy_mps);
		plan_add(p, tempo_s, uniform(r, 3.9, 4.4));
		plan_add(p, main_s - before_s - tempo_s, easy_mps);
		break;
	}
	case PLAN_INTERVALS: {
		double rep_s = uniform(r, 120, 240), rest_s = uniform(r, 90, 180);
		double fast_mps = uniform(r, 4.3, 5.0), left_s = main_s;
		while (left_s >= rep_s + rest_s && p->n < PLAN_MAX_SEGMENTS - 4) {
			plan_add(p, rep_s, fast_mps);
			plan_add(p, rest_s, fmax(SPEED_MIN_MPS + 0.1, easy_mps - 0.2));
			left_s -= rep_s + rest_s;
		}
		plan_add(p, left_s, easy_mps);
		break;
	}
	}
}

static void plan_build(struct plan *p, enum plan_kind kind, double run_s, double easy_mps,
		       gsl_rng *r)
{
	double slow_mps = fmax(SPEED_MIN_MPS + 0.05, easy_mps - 0.3);
	double warm_s = fmin(run_s * 0.15, uniform(r, 300, 600));
	double cool_s = fmin(run_s * 0.1, uniform(r, 180, 480));

	p->n = 0;
	plan_add(p, warm_s, slow_mps);
	plan_main(p, kind, run_s - warm_s - cool_s, easy_mps, r);
	plan_add(p, cool_s, slow_mps);
}

static double plan_speed(const struct plan *p, double t_s, unsigned *cursor)
{
	while (*cursor + 1 < p->n && t_s >= p->seg[*cursor].end_s)
		(*cursor)++;
	return p->seg[*cursor].speed_mps;
}

/* ---- the runner's trajectory on a 1 s grid ---- */

struct runner {
	double easy_mps;
	double cadence_offset_spm;
	double hr_rest_bpm, hr_offset_bpm;
};

struct traj_point {
	double x_m, speed_mps, cadence_spm, heart_rate_bpm, elevation_m;
};

/* Runners slow down a lot uphill and speed up a little downhill. */
static double grade_speed_factor(double grade)
{
	return grade > 0 ? 1 - 3.0 * grade : 1 - 1.2 * fmax(grade, -GRADE_MAX);
}

/* Metabolic cost relative to the flat (after Minetti 2002, simplified). */
static double grade_cost_factor(double grade)
{
	return grade > 0 ? 1 + 5 * grade : fmax(0.75, 1 + 2 * grade);
}

static double running_cadence_spm(const struct runner *rn, double speed_mps, double grade,
				  double wander_spm)
{
	double spm = CADENCE_MIN_SPM + 30 * (speed_mps - SPEED_MIN_MPS) / 2.5 +
		     rn->cadence_offset_spm + 25 * fmax(grade, 0) + wander_spm;
	return clamp(spm, CADENCE_MIN_SPM, CADENCE_MAX_SPM);
}

struct sim_run {
	unsigned index;
	enum plan_kind kind;
	int64_t start_us;
	double running_s, walk_end_s, end_s;
	struct traj_point *traj;
	size_t n_traj;
	double p0_pa, p0_drift_pa_per_s, ambient_c;
	/* gathered while emitting */
	struct sim_run_truth truth;
	bool pod_running_seen;
	double pod_first_s, pod_last_s;
	uint32_t pod_first_dm, pod_last_dm;
	struct imu_pair *imu; /* NULL when no IMU is worn on this run */
};

static void traj_build(struct sim_run *run, const struct course *c, const struct plan *p,
		       const struct runner *rn, gsl_rng *r)
{
	double speed_wander = 0, cadence_wander = 0, elevation_m, grade, x_m = 0;
	double hr_bpm = uniform(r, 80, 95);
	unsigned cursor = 0;

	course_at(c, 0, &elevation_m, &grade);
	double v = clamp(plan_speed(p, 0, &cursor) * grade_speed_factor(grade), SPEED_MIN_MPS,
			 SPEED_MAX_MPS);
	for (size_t k = 0; k < run->n_traj; k++) {
		double t_s = (double)k, target_mps, tau_s;
		if (k > 0) {
			speed_wander = ou_step(r, speed_wander, 0.025, 45, 1);
			cadence_wander = ou_step(r, cadence_wander, 1.5, 30, 1);
			if (t_s <= run->running_s) {
				target_mps = clamp(plan_speed(p, t_s, &cursor) *
							   grade_speed_factor(grade) *
							   (1 + speed_wander),
						   SPEED_MIN_MPS, SPEED_MAX_MPS);
				tau_s = 4;
			} else {
				target_mps = t_s <= run->walk_end_s ? WALK_MPS : 0;
				tau_s = 1.5;
			}
			double v_new = target_mps + (v - target_mps) * exp(-1 / tau_s);
			x_m += (v + v_new) / 2;
			v = v_new < 0.05 ? 0 : v_new;
			course_at(c, x_m, &elevation_m, &grade);
		}
		double cadence_spm = t_s <= run->running_s
					     ? running_cadence_spm(rn, v, grade, cadence_wander)
				     : v > 0.3 ? 100 + 10 * v
					       : 0;
		double hr_target = rn->hr_rest_bpm + rn->hr_offset_bpm +
				   28 * v * grade_cost_factor(grade) +
				   (v > 0 ? 0.08 * t_s / 60 : 0);
		hr_target = clamp(hr_target, rn->hr_rest_bpm, HR_MAX_BPM);
		/* The heart follows effort with a lag, faster up than down. */
		hr_bpm = hr_target +
			 (hr_bpm - hr_target) * exp(-1 / (hr_target > hr_bpm ? 25.0 : 40.0));
		run->traj[k] = (struct traj_point){ x_m, v, cadence_spm, hr_bpm, elevation_m };
	}
}

static struct traj_point traj_at(const struct sim_run *run, double t_s)
{
	double tc = clamp(t_s, 0, (double)(run->n_traj - 1));
	size_t k = (size_t)tc;
	if (k + 1 >= run->n_traj)
		return run->traj[run->n_traj - 1];
	const struct traj_point *a = &run->traj[k], *b = &run->traj[k + 1];
	double u = tc - (double)k;
	return (struct traj_point){
		a->x_m + u * (b->x_m - a->x_m),
		a->speed_mps + u * (b->speed_mps - a->speed_mps),
		a->cadence_spm + u * (b->cadence_spm - a->cadence_spm),
		a->heart_rate_bpm + u * (b->heart_rate_bpm - a->heart_rate_bpm),
		a->elevation_m + u * (b->elevation_m - a->elevation_m),
	};
}

/* ---- sensors ---- */

enum sensor_id {
	SENSOR_FOOTPOD,
	SENSOR_BAROMETER,
	SENSOR_HEART_RATE,
	SENSOR_IMU_LEFT,
	SENSOR_IMU_RIGHT,
	SENSOR_COUNT
};

struct pod_state {
	double scale_error;
	enum rsc_convention convention;
	double speed_noise;
	unsigned trailing_bytes; /* some pods append vendor bytes */
	bool send_stride_length, send_total_distance;
	double odometer_m; /* at the start of the current run */
};

struct baro_state {
	double site_altitude_m, noise_pa, temp_coeff_pa_per_k;
	unsigned temp_every;
	double warmup_k, warmup_tau_s;
	bool temp_due;
};

struct hrm_state {
	double last_beat_s, next_beat_s;
};

struct imu_state {
	int side;                /* 0 left, 1 right */
	uint32_t clock_start_us; /* the sensor clock when the run's IMU time is 0 */
	uint16_t seq;
	bool config_sent;
};

/* One foot's samples, generated for both feet at once and waiting for
 * that foot's sensor to send them. */
#define IMU_FIFO_LEN 2048u
struct imu_fifo {
	struct imu_sample s[IMU_FIFO_LEN];
	unsigned head, len;
};

/* The runner's two shoe IMUs during one run: one imu_sim for both feet, so
 * that the feet alternate as they do, fed with the run's speed and grade
 * second by second. IMU time 0 is IMU_STILL_S before the run's start. */
struct imu_pair {
	struct imu_sim *sim;
	bool streaming;
	int64_t motion_second; /* the run's second whose speed and grade are set */
	struct imu_fifo fifo[2];
	sim_stride_fn stride;
	void *user;
	int stride_rc;
	unsigned strides[2];
	double length_sum_m[2];
};

struct sim_sensor {
	const struct sensor_kind *kind;
	gsl_rng *rng;
	uint8_t addr[NOTIFICATION_ADDR_LEN];
	/* the sensor's clock */
	double phase_s, period_s;
	uint64_t tick;
	/* its BLE link */
	int64_t ci_us, anchor_us, stall_until_us, last_host_us;
	unsigned burst_left;
	/* the sample being made */
	double sample_s;
	bool running_sample;
	bool reliable; /* not subject to the link's losses */
	uint16_t handle, len;
	struct gatt_uuid uuid;
	uint8_t value[SIM_VALUE_MAX];
	/* the notification waiting to be merged */
	bool pending;
	struct notification n;
	union {
		struct pod_state pod;
		struct baro_state baro;
		struct hrm_state hrm;
		struct imu_state imu;
	} u;
};

/*
 * One entry per kind of sensor. A kind draws its device's fixed traits
 * once per block (setup), its per-run state (start), and then makes one
 * sample at a time (sample: false once the sensor has gone away). The
 * shoe IMUs are two kinds, one per foot, sharing one gait (struct imu_pair).
 */
struct sensor_kind {
	enum sensor_id id;
	bool (*enabled)(const struct sim_options *o);
	void (*setup)(struct sim_sensor *s, const struct sim_options *o);
	void (*start)(struct sim_sensor *s, struct sim_run *run);
	bool (*sample)(struct sim_sensor *s, struct sim_run *run);
};

static uint16_t to_u16(double v)
{
	return (uint16_t)clamp(lround(v), 0, UINT16_MAX);
}

/* The next tick of the sensor's own clock; false past the run's end. */
static bool sensor_tick(struct sim_sensor *s, const struct sim_run *run)
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

	if (!sensor_tick(s, run))
		return false;
	struct traj_point tp = traj_at(run, s->sample_s);
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
static void pod_finish(struct sim_sensor *s, const struct sim_run *run)
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
	if (!sensor_tick(s, run))
		return false;
	double t_s = s->sample_s;
	struct traj_point tp = traj_at(run, t_s);
	double p0_pa = run->p0_pa + run->p0_drift_pa_per_s * t_s;
	double p_pa = p0_pa * pow(1 - (b->site_altitude_m + tp.elevation_m) / 44330.0, 5.255) +
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
	double bpm = traj_at(run, t_s).heart_rate_bpm;
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
	if (!sensor_tick(s, run))
		return false;
	double bpm = traj_at(run, s->sample_s).heart_rate_bpm;
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

#define IMU_STILL_S 2.0       /* standing before the first step, to level the INS */
#define IMU_RATE_CODE 3       /* 400 Hz */
#define IMU_ACC_RANGE_CODE 3  /* ±16 g */
#define IMU_GYRO_RANGE_CODE 4 /* ±2000 °/s */

static bool imu_enabled(const struct sim_options *o)
{
	return o->imu;
}

static void imu_setup(struct sim_sensor *s, const struct sim_options *o)
{
	(void)o;
	s->u.imu.side = s->kind->id == SENSOR_IMU_RIGHT;
	s->ci_us = SIM_IMU_CONNECTION_INTERVAL_US;
}

static void imu_start(struct sim_sensor *s, struct sim_run *run)
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

/* Speed and grade of the runner during second k of the run. */
static void traj_motion(const struct sim_run *run, int64_t k, double *speed_mps, double *grade)
{
	size_t a = (size_t)clamp((double)k, 0, (double)run->n_traj - 2);
	const struct traj_point *p = &run->traj[a], *q = &run->traj[a + 1];
	double dx_m = q->x_m - p->x_m;
	*speed_mps = p->speed_mps;
	*grade = dx_m > 0.1 ? (q->elevation_m - p->elevation_m) / dx_m : 0;
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
			traj_motion(run, second, &speed_mps, &grade);
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

static bool imu_sample(struct sim_sensor *s, struct sim_run *run)
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

static bool imu_worn(const struct sim_options *o, unsigned n_runs, unsigned index)
{
	return o->imu && (o->imu_last_runs == 0 || index + o->imu_last_runs > n_runs);
}

/* Puts the IMUs on for this run: a fresh gait, from the run's first speed. */
static void imu_pair_begin(struct imu_pair *pair, struct sim_run *run, uint64_t seed)
{
	struct imu_sim_config c;
	double speed_mps, grade;

	imu_sim_config_default(&c);
	traj_motion(run, 0, &speed_mps, &grade);
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

static void imu_pair_end(struct imu_pair *pair, struct sim_run *run)
{
	run->truth.imu_strides = pair->strides[0] + pair->strides[1];
	run->truth.imu_distance_m = (pair->length_sum_m[0] + pair->length_sum_m[1]) / 2;
	imu_sim_free(pair->sim);
	pair->sim = NULL;
	run->imu = NULL;
}

static const struct sensor_kind sensor_kinds[SENSOR_COUNT] = {
	{ SENSOR_FOOTPOD, pod_enabled, pod_setup, pod_start, pod_sample },
	{ SENSOR_BAROMETER, baro_enabled, baro_setup, baro_start, baro_sample },
	{ SENSOR_HEART_RATE, hrm_enabled, hrm_setup, hrm_start, hrm_sample },
	{ SENSOR_IMU_LEFT, imu_enabled, imu_setup, imu_start, imu_sample },
	{ SENSOR_IMU_RIGHT, imu_enabled, imu_setup, imu_start, imu_sample },
};

/* ---- BLE links: losses, connection events, interference ---- */

static const int64_t connection_intervals_us[] = { 30000, 37500, 45000, 50000 };

/* Lost notifications: mostly single, a share in bursts of 3-8, so that the
 * overall loss rate is the option's. */
static bool link_drops(struct sim_sensor *s, double rate)
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
static int64_t link_deliver(struct sim_sensor *s, int64_t sample_us)
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

/* ---- the block ---- */

struct run_spec {
	int64_t start_us;
	double minutes;
	enum plan_kind kind;
};

struct sim {
	const struct sim_options *o;
	gsl_rng *rng; /* the block's plan, then each run's course and trajectory */
	struct runner runner;
	struct run_spec *runs;
	unsigned n_runs;
	struct sim_sensor sensors[SENSOR_COUNT];
	unsigned n_sensors;
	struct traj_point *traj;
	size_t traj_cap;
	struct imu_pair *imu; /* NULL without shoe IMUs */
};

static bool options_valid(const struct sim_options *o)
{
	if (o->start_us < 0 || o->start_us >= SIM_START_US_MAX || o->weeks > SIM_WEEKS_MAX)
		return false;
	if (o->weeks > 0 && (o->runs_per_week < 1 || o->runs_per_week > SIM_RUNS_PER_WEEK_MAX))
		return false;
	if (o->weeks == 0 &&
	    !(o->run_minutes >= SIM_RUN_MINUTES_MIN && o->run_minutes <= SIM_RUN_MINUTES_MAX))
		return false;
	if (o->cadence_convention < RSC_CONVENTION_UNKNOWN ||
	    o->cadence_convention > RSC_CONVENTION_STRIDES)
		return false;
	if (!isnan(o->footpod_scale_error) &&
	    !(fabs(o->footpod_scale_error) <= SIM_SCALE_ERROR_MAX))
		return false;
	return o->dropout_rate >= 0 && o->dropout_rate <= SIM_DROPOUT_MAX;
}

static unsigned block_run_count(const struct sim_options *o)
{
	return o->weeks ? o->weeks * o->runs_per_week : 1;
}

void sim_options_default(struct sim_options *o)
{
	*o = (struct sim_options){
		.seed = 1,
		.start_us = INT64_C(1793602800000000), /* 2026-11-02T07:00:00Z */
		.weeks = 0,
		.runs_per_week = 4,
		.run_minutes = 60,
		.heart_rate = true,
		.barometer = true,
		.footpod_stride_length = true,
		.footpod_total_distance = true,
		.cadence_convention = RSC_CONVENTION_UNKNOWN,
		.footpod_scale_error = NAN,
		.dropout_rate = 0.002,
	};
}

/* The weekly pattern: the start's weekday and runs_per_week - 1 others. */
static void pick_days(gsl_rng *r, unsigned n, unsigned days[7])
{
	unsigned pool[6] = { 1, 2, 3, 4, 5, 6 };
	gsl_ran_shuffle(r, pool, 6, sizeof(pool[0]));
	days[0] = 0;
	for (unsigned i = 1; i < n; i++)
		days[i] = pool[i - 1];
	for (unsigned i = 1; i < n; i++) /* insertion sort: the week in order */
		for (unsigned j = i; j > 1 && days[j] < days[j - 1]; j--) {
			unsigned t = days[j];
			days[j] = days[j - 1];
			days[j - 1] = t;
		}
}

/* Long runs grow; some weeks jump past 110% of the longest run of the
 * previous 30 days (a load warning to find), the odd week cuts back. */
static double long_run_minutes(gsl_rng *r, const double *long_min, unsigned w)
{
	if (w == 0)
		return uniform(r, 42, 52);
	double recent = 0;
	for (unsigned i = w >= 4 ? w - 4 : 0; i < w; i++)
		recent = fmax(recent, long_min[i]);
	/* 1.2x the minutes keeps the distance above 110% whatever the hills. */
	if (recent <= 90 / 1.2 && (w % 3 == 2 || chance(r, 0.2)))
		return fmin(90, recent * uniform(r, 1.2, 1.35));
	if (recent > 80 && chance(r, 0.5))
		return recent * uniform(r, 0.6, 0.75);
	return clamp(recent * uniform(r, 0.85, 1.02), 45, 90);
}

static void schedule_week(struct sim *sim, unsigned w, const unsigned *days, double long_min)
{
	const struct sim_options *o = sim->o;
	unsigned n = o->runs_per_week;

	for (unsigned i = 0; i < n; i++) {
		struct run_spec *rs = &sim->runs[w * n + i];
		bool quality = n >= 3 && i == n / 2;
		double jitter_s = w == 0 && i == 0 ? 0 : round(uniform(sim->rng, -40, 50) * 60);

		rs->start_us = o->start_us + (int64_t)(7 * w + days[i]) * DAY_US +
			       (int64_t)jitter_s * INT64_C(1000000);
		if (i == n - 1) {
			rs->kind = PLAN_LONG;
			rs->minutes = long_min;
		} else if (quality) {
			rs->kind = w % 2 ? PLAN_TEMPO : PLAN_INTERVALS;
			rs->minutes = uniform(sim->rng, 35, fmax(35, 0.7 * long_min));
		} else {
			rs->kind = PLAN_EASY;
			rs->minutes = uniform(sim->rng, 30, fmin(55, 0.8 * long_min));
		}
	}
}

static void schedule_build(struct sim *sim)
{
	const struct sim_options *o = sim->o;
	unsigned days[7];

	sim->n_runs = block_run_count(o);
	sim->runs = xcalloc(sim->n_runs, sizeof(*sim->runs));
	if (o->weeks == 0) {
		static const enum plan_kind kinds[] = { PLAN_EASY, PLAN_EASY, PLAN_TEMPO,
							PLAN_INTERVALS };
		sim->runs[0] = (struct run_spec){ o->start_us, o->run_minutes,
						  o->run_minutes >= 30
							  ? kinds[gsl_rng_uniform_int(sim->rng, 4)]
							  : PLAN_EASY };
		return;
	}
	double *long_min = xcalloc(o->weeks, sizeof(*long_min));
	pick_days(sim->rng, o->runs_per_week, days);
	for (unsigned w = 0; w < o->weeks; w++) {
		long_min[w] = long_run_minutes(sim->rng, long_min, w);
		schedule_week(sim, w, days, long_min[w]);
	}
	free(long_min);
}

/* A sensor's fixed traits: address, clock, link, and its kind's own. */
static void sensor_setup(struct sim_sensor *s, const struct sensor_kind *kind,
			 const struct sim_options *o)
{
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->rng = rng_new();
	gsl_rng_set(s->rng, derive_seed(o->seed, 0, STREAM_SENSOR + kind->id));
	for (unsigned i = 0; i < NOTIFICATION_ADDR_LEN; i++)
		s->addr[i] = (uint8_t)gsl_rng_uniform_int(s->rng, 256);
	s->addr[NOTIFICATION_ADDR_LEN - 1] |= 0xC0;       /* random static address */
	s->period_s = 1 + uniform(s->rng, -40e-6, 40e-6); /* its crystal's error */
	s->ci_us = connection_intervals_us[gsl_rng_uniform_int(s->rng, 4)];
	kind->setup(s, o);
}

static void sim_setup(struct sim *sim, const struct sim_options *o)
{
	memset(sim, 0, sizeof(*sim));
	sim->o = o;
	sim->rng = rng_new();
	gsl_rng_set(sim->rng, derive_seed(o->seed, 0, STREAM_BLOCK));
	sim->runner = (struct runner){
		.easy_mps = uniform(sim->rng, 2.8, 3.3),
		.cadence_offset_spm = uniform(sim->rng, -4, 4),
		.hr_rest_bpm = uniform(sim->rng, 48, 62),
		.hr_offset_bpm = uniform(sim->rng, -8, 8),
	};
	schedule_build(sim);
	double max_minutes = 0;
	for (unsigned i = 0; i < sim->n_runs; i++)
		max_minutes = fmax(max_minutes, sim->runs[i].minutes);
	/* running, up to 90 s walking and 35 s standing, and the grid's ends */
	sim->traj_cap = (size_t)ceil(max_minutes * 60) + 130;
	sim->traj = xcalloc(sim->traj_cap, sizeof(*sim->traj));
	for (unsigned k = 0; k < SENSOR_COUNT; k++)
		if (sensor_kinds[k].enabled(o))
			sensor_setup(&sim->sensors[sim->n_sensors++], &sensor_kinds[k], o);
	if (o->imu)
		sim->imu = xcalloc(1, sizeof(*sim->imu));
}

static void sim_teardown(struct sim *sim)
{
	for (unsigned i = 0; i < sim->n_sensors; i++)
		gsl_rng_free(sim->sensors[i].rng);
	gsl_rng_free(sim->rng);
	free(sim->runs);
	free(sim->traj);
	free(sim->imu);
}

static void course_for_run(struct course *c, gsl_rng *r, uint64_t seed, unsigned index)
{
	gsl_rng_set(r, derive_seed(seed, index, STREAM_COURSE));
	course_build(c, r);
}

static void run_prepare(struct sim *sim, unsigned index, struct sim_run *run)
{
	const struct run_spec *rs = &sim->runs[index - 1];
	struct course course;
	struct plan plan;
	gsl_rng *r = sim->rng;

	course_for_run(&course, r, sim->o->seed, index);
	gsl_rng_set(r, derive_seed(sim->o->seed, index, STREAM_RUN));
	memset(run, 0, sizeof(*run));
	run->index = index;
	run->kind = rs->kind;
	run->start_us = rs->start_us;
	/* Whole seconds: interpolating on the 1 s grid then never blends a
	 * running sample with a walking one. */
	run->running_s = round(rs->minutes * 60);
	run->walk_end_s = run->running_s + (chance(r, 0.5) ? uniform(r, 20, 90) : 0);
	run->end_s = run->walk_end_s + uniform(r, 25, 35); /* standing, then the pod sleeps */
	run->n_traj = (size_t)ceil(run->end_s) + 2;
	run->traj = sim->traj;
	/* Weather: today's sea-level pressure, drifting slowly. */
	run->p0_pa = 101325 + clamp(gsl_ran_gaussian_ziggurat(r, 600), -1500, 1500);
	run->p0_drift_pa_per_s = uniform(r, -30, 30) / 3600;
	run->ambient_c = uniform(r, 2, 25);
	plan_build(&plan, rs->kind, run->running_s, sim->runner.easy_mps, r);
	traj_build(run, &course, &plan, &sim->runner, r);
}

static void sensor_start(struct sim_sensor *s, struct sim_run *run, uint64_t seed)
{
	gsl_rng_set(s->rng, derive_seed(seed, run->index, STREAM_SENSOR + s->kind->id));
	s->phase_s = uniform(s->rng, 0, 1);
	s->tick = 0;
	s->anchor_us = run->start_us - (int64_t)uniform(s->rng, 0, (double)s->ci_us);
	s->stall_until_us = INT64_MIN;
	s->last_host_us = INT64_MIN;
	s->burst_left = 0;
	s->running_sample = false;
	s->pending = false;
	s->kind->start(s, run);
}

/* Makes the sensor's next notification that survives the link, if any. */
static void sensor_refill(struct sim_sensor *s, struct sim_run *run, double dropout_rate)
{
	s->pending = false;
	while (s->kind->sample(s, run)) {
		if (!s->reliable && link_drops(s, dropout_rate)) {
			run->truth.dropped++;
			continue;
		}
		int64_t sample_us = run->start_us + llround(s->sample_s * US_PER_S);
		s->n = (struct notification){
			.host_time_us = link_deliver(s, sample_us),
			.addr_type = NOTIFICATION_ADDR_RANDOM,
			.handle = s->handle,
			.uuid = s->uuid,
			.len = s->len,
			.value = s->value,
		};
		memcpy(s->n.addr, s->addr, NOTIFICATION_ADDR_LEN);
		s->pending = true;
		return;
	}
}

static struct sim_sensor *next_sensor(struct sim *sim)
{
	struct sim_sensor *next = NULL;
	for (unsigned i = 0; i < sim->n_sensors; i++) {
		struct sim_sensor *s = &sim->sensors[i];
		if (s->pending && (!next || s->n.host_time_us < next->n.host_time_us))
			next = s;
	}
	return next;
}

static int run_emit(struct sim *sim, struct sim_run *run, sim_emit_fn emit, void *user)
{
	bool pod_emitted = false;
	struct sim_sensor *s;

	for (unsigned i = 0; i < sim->n_sensors; i++) {
		sensor_start(&sim->sensors[i], run, sim->o->seed);
		sensor_refill(&sim->sensors[i], run, sim->o->dropout_rate);
	}
	while ((s = next_sensor(sim))) {
		if (s->running_sample) {
			if (!pod_emitted)
				run->truth.start_us = s->n.host_time_us;
			pod_emitted = true;
			run->truth.end_us = s->n.host_time_us;
		}
		run->truth.notifications++;
		int rc = emit(user, &s->n);
		if (rc)
			return rc;
		sensor_refill(s, run, sim->o->dropout_rate);
	}
	return 0;
}

/* Running totals over [ta, tb] of the trajectory, trapezoid on its grid. */
struct run_sums {
	double gain_m, loss_m, steps, heartbeats;
};

static void sums_add(struct run_sums *sum, const struct traj_point *a, const struct traj_point *b,
		     double dt_s)
{
	double dh = b->elevation_m - a->elevation_m;
	if (dh > 0)
		sum->gain_m += dh;
	else
		sum->loss_m -= dh;
	sum->steps += (a->cadence_spm + b->cadence_spm) / 2 * dt_s / 60;
	sum->heartbeats += (a->heart_rate_bpm + b->heart_rate_bpm) / 2 * dt_s / 60;
}

static struct run_sums run_sums(const struct sim_run *run, double ta_s, double tb_s)
{
	struct run_sums sum = { 0 };
	struct traj_point prev = traj_at(run, ta_s), next;
	double t_prev = ta_s;

	for (size_t i = (size_t)floor(ta_s) + 1; (double)i < tb_s; i++) {
		double t = (double)i;
		next = run->traj[i];
		sums_add(&sum, &prev, &next, t - t_prev);
		prev = next;
		t_prev = t;
	}
	next = traj_at(run, tb_s);
	sums_add(&sum, &prev, &next, tb_s - t_prev);
	return sum;
}

static void truth_finish(struct sim_run *run, bool heart_rate)
{
	struct sim_run_truth *t = &run->truth;
	double ta_s = run->pod_first_s, tb_s = run->pod_last_s;
	struct traj_point a = traj_at(run, ta_s), b = traj_at(run, tb_s);
	struct run_sums sum = run_sums(run, ta_s, tb_s);

	t->index = run->index;
	t->plan = plan_names[run->kind];
	t->duration_s = tb_s - ta_s;
	t->course_start_m = a.x_m;
	t->course_distance_m = b.x_m - a.x_m;
	t->footpod_distance_m = (uint32_t)(run->pod_last_dm - run->pod_first_dm) / 10.0;
	t->elevation_gain_m = sum.gain_m;
	t->elevation_loss_m = sum.loss_m;
	t->mean_speed_mps = t->duration_s > 0 ? t->course_distance_m / t->duration_s : 0;
	t->mean_cadence_spm = t->duration_s > 0 ? sum.steps / (t->duration_s / 60) : 0;
	t->mean_stride_length_m = sum.steps > 0 ? t->course_distance_m / (sum.steps / 2) : 0;
	t->mean_heart_rate_bpm = !heart_rate         ? NAN
				 : t->duration_s > 0 ? sum.heartbeats / (t->duration_s / 60)
						     : a.heart_rate_bpm;
}

static int sim_one_run(struct sim *sim, unsigned index, sim_emit_fn emit, sim_truth_fn truth,
		       sim_stride_fn stride, void *user)
{
	struct sim_run run;

	run_prepare(sim, index, &run);
	if (sim->imu && imu_worn(sim->o, sim->n_runs, index)) {
		imu_pair_begin(sim->imu, &run, sim->o->seed);
		sim->imu->stride = stride;
		sim->imu->user = user;
	}
	int rc = run_emit(sim, &run, emit, user);
	if (run.imu) {
		if (rc == 0)
			rc = run.imu->stride_rc;
		imu_pair_end(sim->imu, &run);
	}
	if (rc)
		return rc;
	pod_finish(&sim->sensors[0], &run); /* the pod is always the first sensor */
	truth_finish(&run, sim->o->heart_rate);
	return truth ? truth(user, &run.truth) : 0;
}

int sim_run_block_strides(const struct sim_options *o, sim_emit_fn emit, sim_truth_fn truth,
			  sim_stride_fn stride, void *user)
{
	struct sim sim;
	int rc = 0;

	if (!o || !emit || !options_valid(o))
		return -EINVAL;
	sim_setup(&sim, o);
	for (unsigned i = 1; i <= sim.n_runs && rc == 0; i++)
		rc = sim_one_run(&sim, i, emit, truth, stride, user);
	sim_teardown(&sim);
	return rc;
}

int sim_run_block(const struct sim_options *o, sim_emit_fn emit, sim_truth_fn truth, void *user)
{
	return sim_run_block_strides(o, emit, truth, NULL, user);
}

int sim_course_elevation(const struct sim_options *o, unsigned run_index, const double *distance_m,
			 double *elevation_m, size_t n)
{
	struct course course;
	double grade;

	if (!o || !options_valid(o) || run_index < 1 || run_index > block_run_count(o) ||
	    (n && (!distance_m || !elevation_m)))
		return -EINVAL;
	gsl_rng *r = rng_new();
	course_for_run(&course, r, o->seed, run_index);
	gsl_rng_free(r);
	for (size_t i = 0; i < n; i++)
		course_at(&course, distance_m[i], &elevation_m[i], &grade);
	return 0;
}
