/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The simulator: a run, or a training block of several weeks of runs, over
 * a course with hills, at a planned pace, as the notifications a foot pod
 * (with its own calibration error, cadence convention, noise and dropouts),
 * a barometer (noise, temperature drift), optionally a heart-rate strap and
 * a pair of shoe IMUs (analysis/sim/imu_sim.h, driven by the run's speed and
 * grade) would send. Seeded: the same options give the same notifications, byte
 * for byte. Pure: it hands notifications to a callback and does no I/O.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/notification.h"

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
};

/* The accepted ranges; sim_run_block returns -EINVAL outside them. */
#define SIM_RUN_MINUTES_MIN 1.0
#define SIM_RUN_MINUTES_MAX 240.0
#define SIM_WEEKS_MAX 52u
#define SIM_RUNS_PER_WEEK_MAX 7u
#define SIM_SCALE_ERROR_MAX 0.2 /* |footpod_scale_error| */
#define SIM_DROPOUT_MAX 0.5
#define SIM_START_US_MAX INT64_C(4102444800000000) /* 2100-01-01 */

/* The simulated sensors' attribute value handles (fixed, like a real
 * device's GATT database). */
enum {
	SIM_HANDLE_RSC_MEASUREMENT = 0x000E,
	SIM_HANDLE_HEART_RATE_MEASUREMENT = 0x0010,
	SIM_HANDLE_PRESSURE = 0x0012,
	SIM_HANDLE_TEMPERATURE = 0x0016,
	SIM_HANDLE_IMU_DATA = 0x001A,   /* IMU_HS_DATA_UUID */
	SIM_HANDLE_IMU_CONFIG = 0x001D, /* IMU_HS_CONFIG_UUID */
};

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
};

/* Return 0 to go on; non-zero stops the simulation and is returned. */
typedef int (*sim_emit_fn)(void *user, const struct notification *n);
typedef int (*sim_truth_fn)(void *user, const struct sim_run_truth *truth);
typedef int (*sim_stride_fn)(void *user, const struct sim_stride_truth *stride);

/* Emits every notification of the block in time order across sensors,
 * then (per run, after its last notification) its truth. 0, a callback's
 * non-zero value, or -EINVAL for options out of range. truth may be NULL. */
int sim_run_block(const struct sim_options *o, sim_emit_fn emit, sim_truth_fn truth, void *user);
/* The same, also handing each shoe-IMU stride's truth to stride (may be
 * NULL) as soon as the stride is complete. */
int sim_run_block_strides(const struct sim_options *o, sim_emit_fn emit, sim_truth_fn truth,
			  sim_stride_fn stride, void *user);

/* The elevation (m, relative to the course's start) of run run_index's
 * course at each of n distances along it, for tests and plots. The course
 * depends only on the seed and the run's index. 0 or -EINVAL. */
int sim_course_elevation(const struct sim_options *o, unsigned run_index, const double *distance_m,
			 double *elevation_m, size_t n);
