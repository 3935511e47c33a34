/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The simulator: a run, or a training block of several weeks of runs, over
 * a course (a mixed one with hills, or one of known profile, or a
 * treadmill), at a planned pace, as the notifications a foot pod (with its
 * own calibration error, cadence convention, noise and dropouts), a
 * barometer (noise, temperature drift, optionally weather), optionally a
 * heart-rate strap, a pair of shoe IMUs (analysis/sim/imu_sim.h, driven by
 * the run's speed and grade) and a treadmill (FTMS) would send, with the
 * truth: per run, per second, per stride. Seeded: the same options give the
 * same notifications, byte for byte. Pure: it hands notifications to a
 * callback and does no I/O. The options' names, ranges and parser for the
 * command lines are in sim/options.h.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "run/segments.h"
#include "util/notification.h"

/* The course every run of the block is on. MIXED draws a loop of hills,
 * valleys and plateaus from the seed; the others have a known profile,
 * their sizes drawn from the seed within the ranges given. */
enum sim_course {
	SIM_COURSE_MIXED = 0, /* the default */
	SIM_COURSE_FLAT,      /* a 2 km loop, level */
	SIM_COURSE_ROLLING,   /* hills of 3-5 %, 200-500 m up and down, flat between */
	SIM_COURSE_CLIMB,     /* 4-5 km up at 4-6 %, then down at 4-6 %, flat ends */
	SIM_COURSE_REPEATS,   /* 6 climbs of 300 m at 7-9 %, jogged back down */
	SIM_COURSE_TRACK,     /* a 400 m track, level */
	SIM_COURSE_TREADMILL, /* a treadmill's incline program: 0 %, then steps of 2-6 % */
	SIM_COURSE_COUNT,
};

/* "mixed", "flat", ...; NULL out of range. */
const char *sim_course_name(enum sim_course course);
/* false (and *out untouched) for any other text. */
bool sim_course_parse(const char *name, enum sim_course *out);

#define SIM_MAX_ROUTES 8

struct sim_options {
	uint64_t seed;
	int64_t start_us; /* UTC µs of the first run's start */
	unsigned weeks;   /* 0: a single run */
	unsigned runs_per_week;
	double run_minutes; /* the single run's length; a block varies it */
	bool heart_rate;
	bool barometer;
	bool footpod_stride_length;  /* the pod sends stride length */
	bool footpod_total_distance; /* the pod sends total distance */
	int cadence_convention;      /* enum rsc_convention; 0 = chosen by seed */
	double footpod_scale_error;  /* e.g. 0.03: pod reads 3% long; NAN = from seed */
	double dropout_rate;         /* probability a notification is lost */
	/* Shoe IMUs (hamstride profile, 400 Hz, left and right) on the last
	 * imu_last_runs runs of the block, or on every run when 0. */
	bool imu;
	unsigned imu_last_runs;
	enum sim_course course;
	/* Routes: with n_routes > 0, run i of the block (1-based) is on
	 * routes[(i - 1) % n_routes] instead, as a runner's week takes in a
	 * few regular routes. Every course but mixed is then one route, the
	 * same for every run on it. */
	unsigned n_routes;
	enum sim_course routes[SIM_MAX_ROUTES];
	/* Weather: the SD (Pa/h) of a slowly wandering trend of sea-level
	 * pressure, as fronts pass: 150 moves it by a few hundred Pa over a
	 * long run. 0: only the day's fixed drift of up to 30 Pa/h. */
	double weather_pa_per_h;
};

/* The accepted ranges; sim_run_block returns -EINVAL outside them. */
#define SIM_RUN_MINUTES_MIN 1.0
#define SIM_RUN_MINUTES_MAX 240.0
#define SIM_WEEKS_MAX 52u
#define SIM_RUNS_PER_WEEK_MAX 7u
#define SIM_SCALE_ERROR_MAX 0.2 /* |footpod_scale_error| */
#define SIM_DROPOUT_MAX 0.5
#define SIM_START_US_MAX INT64_C(4102444800000000) /* 2100-01-01 */
#define SIM_WEATHER_MAX_PA_PER_H 1000.0

/* The simulated sensors' attribute value handles (fixed, like a real
 * device's GATT database). */
enum {
	SIM_HANDLE_RSC_MEASUREMENT = 0x000E,
	SIM_HANDLE_HEART_RATE_MEASUREMENT = 0x0010,
	SIM_HANDLE_PRESSURE = 0x0012,
	SIM_HANDLE_TEMPERATURE = 0x0016,
	SIM_HANDLE_IMU_DATA = 0x001A,       /* IMU_HS_DATA_UUID */
	SIM_HANDLE_IMU_CONFIG = 0x001D,     /* IMU_HS_CONFIG_UUID */
	SIM_HANDLE_TREADMILL_DATA = 0x0022, /* FTMS Treadmill Data, 0x2ACD */
};

/* The treadmill (--course treadmill): FTMS, service 0x1826, Treadmill Data
 * 0x2ACD once a second with these flags: instantaneous speed (bit 0 clear),
 * total distance, inclination and ramp angle, elapsed time. 13 bytes. */
#define SIM_FTMS_SERVICE_UUID 0x1826
#define SIM_FTMS_TREADMILL_DATA_UUID 0x2ACD
#define SIM_FTMS_FLAGS 0x040C
#define SIM_FTMS_TREADMILL_DATA_LEN 13

/* The treadmill's encoder: Treadmill Data for a belt at speed_mps that has
 * run distance_m (whole metres, uint24) at an incline of grade (rise over
 * run: 0.1 % and its ramp angle in 0.1 degree) after elapsed_s (whole
 * seconds), into v (SIM_FTMS_TREADMILL_DATA_LEN bytes); returns the length. */
size_t sim_ftms_encode(double speed_mps, double distance_m, double grade, double elapsed_s,
		       uint8_t *v);

/* The simulated shoe IMUs: samples per data notification (40 ms at 400 Hz)
 * and their BLE connection interval (short, as an IMU link needs). */
#define SIM_IMU_RATE_HZ 400.0
#define SIM_IMU_SAMPLES_PER_PACKET 16u
#define SIM_IMU_CONNECTION_INTERVAL_US 15000

/* seed 1, one 60-minute run on 2026-11-02 at 07:00 UTC, barometer and heart
 * rate, stride length and total distance sent, convention and pod error
 * from the seed, 0.2% dropouts. */
void sim_options_default(struct sim_options *o);

/*
 * What really happened in one simulated run.
 *
 * start_us and end_us are the host receive times of the first and last
 * running foot-pod notifications that were emitted (dropouts included).
 * Everything else describes the running period as generated, before
 * dropouts: from the pod's first running sample to its last, in the pod's
 * sample times. Dropouts at either end therefore make end_us - start_us a
 * little shorter than duration_s; a lost burst at the very end by a few
 * seconds at most.
 */
struct sim_run_truth {
	unsigned index;            /* 1-based within the block */
	int64_t start_us;          /* first running notification emitted */
	int64_t end_us;            /* last running notification emitted */
	double duration_s;         /* last running sample - first, as generated */
	double course_start_m;     /* distance along the course at the first sample */
	double course_distance_m;  /* what the runner covered */
	double footpod_distance_m; /* the pod's total distance field, last - first */
	double elevation_gain_m;   /* of the course over the covered stretch */
	double elevation_loss_m;
	double mean_speed_mps;       /* course_distance_m / duration_s */
	double mean_cadence_spm;     /* steps / minutes */
	double mean_stride_length_m; /* full stride: course_distance_m / strides */
	double mean_heart_rate_bpm;  /* time average; NAN without a strap */
	int cadence_convention;      /* what the pod sends */
	double footpod_scale_error;
	const char *plan;       /* "easy", "long", "tempo" or "intervals" */
	uint64_t notifications; /* emitted (after dropouts), all sensors */
	uint64_t dropped;       /* lost, all sensors */
	uint8_t footpod_addr[NOTIFICATION_ADDR_LEN];
	/* Shoe IMUs, when worn on this run: every stride either foot made
	 * while its IMU streamed, as generated (before packet loss). */
	bool imu;
	unsigned imu_strides;                       /* both feet */
	double imu_distance_m;                      /* sum of stride lengths / number of feet */
	uint8_t imu_addr[2][NOTIFICATION_ADDR_LEN]; /* left, right */
	/* The course, and the distance the runner covered on each class of
	 * grade (steep-down <= -6 %, down, flat -2..+2 %, up, steep-up >= +6 %;
	 * SEG_UNKNOWN stays 0), from the course's own grade, over the same
	 * stretch as course_distance_m. On a treadmill: the belt's distance
	 * and incline. */
	enum sim_course course;
	double class_distance_m[SEG_CLASS_COUNT];
	bool treadmill;
	uint8_t treadmill_addr[NOTIFICATION_ADDR_LEN];
};

/*
 * One second of a run as it really was, on the simulator's 1 s grid from
 * the run's start (t_s 0) to the last sensor's end, handed out after the
 * run's notifications and before its sim_run_truth.
 */
struct sim_second_truth {
	unsigned run_index;
	double t_s;         /* since the run's start */
	int64_t utc_us;     /* the run's start + t_s */
	double distance_m;  /* along the course (a treadmill: on the belt) since t_s 0 */
	double elevation_m; /* the course's, relative to its start; a treadmill:
			      * what its incline program climbed, the runner stays put */
	double grade_pct;   /* the course's (a treadmill's incline) at distance_m */
	double speed_mps;
	double cadence_spm;  /* steps per minute */
	double sea_level_pa; /* the weather the barometer sees */
	bool running;        /* within the running part (then walking, then standing) */
};

/* One true stride of a simulated shoe IMU, in UTC (times are when the
 * foot really landed, not when a notification arrived). */
struct sim_stride_truth {
	unsigned run_index;
	uint8_t foot; /* enum imu_foot */
	int64_t start_us, end_us;
	double length_m;
	double height_change_m;
	double speed_mps;
	double grade;
	/* On a treadmill: length and height on the belt (the foot comes back
	 * to where it landed; the belt, an inertial frame, carries it). */
	bool treadmill;
};

/* Return 0 to go on; non-zero stops the simulation and is returned. */
typedef int (*sim_emit_fn)(void *user, const struct notification *n);
typedef int (*sim_truth_fn)(void *user, const struct sim_run_truth *truth);
typedef int (*sim_stride_fn)(void *user, const struct sim_stride_truth *stride);
typedef int (*sim_second_fn)(void *user, const struct sim_second_truth *second);

/* What a simulation hands out; any but emit may be NULL. */
struct sim_callbacks {
	sim_emit_fn emit;
	sim_truth_fn truth;
	sim_stride_fn stride;
	sim_second_fn second;
	void *user;
};

/* Runs the block: every notification in time order, then per run its
 * seconds and its truth. 0, a callback's non-zero value, or -EINVAL. */
int sim_run(const struct sim_options *o, const struct sim_callbacks *cb);

/* Emits every notification of the block in time order across sensors,
 * then (per run, after its last notification) its truth. 0, a callback's
 * non-zero value, or -EINVAL for options out of range. truth may be NULL. */
int sim_run_block(const struct sim_options *o, sim_emit_fn emit, sim_truth_fn truth, void *user);
/* The same, also handing each shoe-IMU stride's truth to stride (may be
 * NULL) as soon as the stride is complete. */
int sim_run_block_strides(const struct sim_options *o, sim_emit_fn emit, sim_truth_fn truth,
			  sim_stride_fn stride, void *user);

/* The course run run_index (1-based) of the block is on. */
enum sim_course sim_run_course(const struct sim_options *o, unsigned run_index);

/* The elevation (m, relative to the course's start) of run run_index's
 * course at each of n distances along it, for tests and plots. A mixed
 * course depends only on the seed and the run's index, the others on the
 * seed and the course. 0 or -EINVAL. */
int sim_course_elevation(const struct sim_options *o, unsigned run_index, const double *distance_m,
			 double *elevation_m, size_t n);
/* The same with the course's grade (percent, rise over run) at each
 * distance; either output may be NULL. */
int sim_course_profile(const struct sim_options *o, unsigned run_index, const double *distance_m,
		       double *elevation_m, double *grade_pct, size_t n);
