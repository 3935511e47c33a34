/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The simulator's parts, shared between its files: the course (course.c),
 * the pace plan and the runner's trajectory (runner.c), the sensors and
 * their encoders (sensors.c, imu_sensor.c) and the block that ties them
 * together (sim.c). Not part of the simulator's API: include sim/sim.h.
 */
#pragma once

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode/imu.h"
#include "decode/rsc.h"
#include "sim/imu_sim.h"
#include "sim/sim.h"
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
	STREAM_WEATHER = 5,
	STREAM_SENSOR = 16, /* + enum sensor_id */
	STREAM_ROUTE = 32,  /* + enum sim_course */
};

static inline gsl_rng *rng_new(void)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	if (!r)
		xalloc_die();
	return r;
}

static inline uint64_t splitmix64(uint64_t x)
{
	x += UINT64_C(0x9E3779B97F4A7C15);
	x = (x ^ (x >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94D049BB133111EB);
	return x ^ (x >> 31);
}

/* mt19937 takes a 32-bit seed: mix all 64 bits of the user's seed in. */
static inline unsigned long derive_seed(uint64_t seed, unsigned run, unsigned stream)
{
	uint64_t h = splitmix64(seed ^ splitmix64((uint64_t)run << 16 | stream));
	return (unsigned long)((h ^ h >> 32) & 0xffffffffu);
}

static inline double uniform(gsl_rng *r, double lo, double hi)
{
	return lo + (hi - lo) * gsl_rng_uniform(r);
}

static inline bool chance(gsl_rng *r, double p)
{
	return gsl_rng_uniform(r) < p;
}

static inline double clamp(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* An Ornstein-Uhlenbeck step: slow random wander with stationary SD sd. */
static inline double ou_step(gsl_rng *r, double v, double sd, double tau_s, double dt_s)
{
	double a = exp(-dt_s / tau_s);
	return v * a + gsl_ran_gaussian_ziggurat(r, sd * sqrt(1 - a * a));
}

/* ---- the course: elevation and grade along the distance run ---- */

/* A bump goes up and back down (raised cosine), a step up or down to a
 * new level (half cosine), a ramp up or down to a new level at a constant
 * grade, eased in and out over ease_m at either end. */
enum feature_shape { FEATURE_BUMP, FEATURE_STEP, FEATURE_RAMP };

struct course_feature {
	double start_m, length_m, rise_m, level_m; /* level_m: height before it */
	enum feature_shape shape;
	double ease_m; /* a ramp's */
};

struct course {
	double loop_m;
	double ripple_m, ripple_wavelength_m; /* no ripple when ripple_m is 0 */
	/* Each loop ends this much higher than it started: a treadmill's
	 * incline program climbs without coming down. */
	double loop_rise_m;
	bool treadmill; /* the runner stays put; the incline is the belt's */
	unsigned n;
	struct course_feature f[COURSE_MAX_FEATURES];
};

/* The course of run index (1-based) of a block seeded with seed; r is
 * re-seeded for it. */
void sim_course_for_run(struct course *c, gsl_rng *r, uint64_t seed, unsigned index,
			enum sim_course kind);
/* Elevation (m, from the course's start) and grade (rise over run) at
 * distance x_m along it. */
void sim_course_at(const struct course *c, double x_m, double *elevation_m, double *grade);

/* ---- the pace plan and the runner's trajectory ---- */

struct sim_run;

enum plan_kind { PLAN_EASY, PLAN_LONG, PLAN_TEMPO, PLAN_INTERVALS };

struct plan_segment {
	double end_s, speed_mps;
};

struct plan {
	unsigned n;
	struct plan_segment seg[PLAN_MAX_SEGMENTS];
};

struct runner {
	double easy_mps;
	double cadence_offset_spm;
	double hr_rest_bpm, hr_offset_bpm;
};

struct traj_point {
	double x_m, speed_mps, cadence_spm, heart_rate_bpm, elevation_m;
	double weather_pa; /* sea-level pressure's wander, with --weather */
};

struct sim_run {
	unsigned index;
	enum plan_kind kind;
	int64_t start_us;
	double running_s, walk_end_s, end_s;
	struct traj_point *traj;
	size_t n_traj;
	double p0_pa, p0_drift_pa_per_s, ambient_c;
	struct course course;
	/* gathered while emitting */
	struct sim_run_truth truth;
	bool pod_running_seen;
	double pod_first_s, pod_last_s;
	uint32_t pod_first_dm, pod_last_dm;
	struct imu_pair *imu; /* NULL when no IMU is worn on this run */
};

/* "easy", "long", "tempo" or "intervals". */
const char *sim_plan_name(enum plan_kind kind);
void sim_plan_build(struct plan *p, enum plan_kind kind, double run_s, double easy_mps, gsl_rng *r);
/* Fills run->traj (run->n_traj points, one a second) from the plan. */
void sim_traj_build(struct sim_run *run, const struct course *c, const struct plan *p,
		    const struct runner *rn, gsl_rng *r);
/* The trajectory at time t_s of the run, interpolated on the grid. */
struct traj_point sim_traj_at(const struct sim_run *run, double t_s);
/* Sea-level pressure (Pa) at time t_s of the run: the day's, its fixed
 * drift and the weather's wander. */
double sim_sea_level_pa(const struct sim_run *run, double t_s);
/* Speed and grade of the runner during second k of the run. */
void sim_traj_motion(const struct sim_run *run, int64_t k, double *speed_mps, double *grade);

/* ---- sensors ---- */

enum sensor_id {
	SENSOR_FOOTPOD,
	SENSOR_BAROMETER,
	SENSOR_HEART_RATE,
	SENSOR_IMU_LEFT,
	SENSOR_IMU_RIGHT,
	SENSOR_TREADMILL,
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

/* Every kind of sensor, in the order the block sets them up: the foot pod
 * first. */
extern const struct sensor_kind sim_sensor_kinds[SENSOR_COUNT];

/* The next tick of the sensor's own clock; false past the run's end. */
bool sim_sensor_tick(struct sim_sensor *s, const struct sim_run *run);
/* The pod keeps counting between runs: the walk to and from the start. */
void sim_pod_finish(struct sim_sensor *s, const struct sim_run *run);

/* Shoe IMUs (imu_sensor.c). */
bool sim_imu_enabled(const struct sim_options *o);
void sim_imu_setup(struct sim_sensor *s, const struct sim_options *o);
void sim_imu_start(struct sim_sensor *s, struct sim_run *run);
bool sim_imu_sample(struct sim_sensor *s, struct sim_run *run);
bool sim_imu_worn(const struct sim_options *o, unsigned n_runs, unsigned index);
void sim_imu_pair_begin(struct imu_pair *pair, struct sim_run *run, uint64_t seed);
void sim_imu_pair_end(struct imu_pair *pair, struct sim_run *run);

/* BLE links (sensors.c). */
extern const int64_t sim_connection_intervals_us[4];
bool sim_link_drops(struct sim_sensor *s, double rate);
int64_t sim_link_deliver(struct sim_sensor *s, int64_t sample_us);
