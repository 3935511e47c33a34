/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The treadmill and foot-pod parts of a run, kept apart from the ingest
 * pipeline that calls them.
 *
 * On a treadmill the belt moves under the standing foot, so a foot INS
 * measures nothing of the distance: distance, speed and incline come from
 * the treadmill (FTMS Treadmill Data), cadence and stride timing from the
 * pod or the IMUs, stride length from distance over strides. A run with
 * shoe IMUs at running cadence whose strides barely move, and no treadmill
 * data, is a treadmill run too: it is said so, and its distance left
 * unknown rather than stored near zero.
 *
 * A foot pod's current calibration factor (against the shoe IMUs, see
 * run/pod_cal.h) is applied to its readings; a run with a pod and IMUs that
 * the INS did not flag updates the factor.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "decode/ftms.h"
#include "nav/ins.h"
#include "run/pod_cal.h"
#include "store/pods.h"
#include "store/store.h"
#include "util/notification.h"

/* Running cadence is at least 150 steps a minute (a stride of 0.8 s); a
 * runner at that cadence over ground covers more than 1 m a stride, while
 * on a belt the foot INS sees only the swing's catching up with the belt. */
#define TREADMILL_CADENCE_STRIDE_MAX_S 0.8
#define TREADMILL_SHORT_STRIDE_M 1.0
#define TREADMILL_MIN_STRIDES 30u

struct treadmill_run {
	/* the treadmill's data */
	bool has_data;
	struct ftms_check check;
	unsigned doubts_logged;
	bool counter_known;
	double last_counter_m;
	double distance_m;           /* since the run's start */
	double distance_at_active_m; /* at the last report at running speed */
	int64_t last_speed_us;
	double last_speed_mps;
	double sec_speed_sum, sec_incline_sum, sec_incline;
	unsigned sec_speed_n, sec_incline_n;
	/* shoe IMUs' strides */
	unsigned strides, restarts, clipped, at_cadence, short_at_cadence;
	/* the foot pod that keeps the distance */
	int64_t pod_sensor_id; /* 0 until known */
	bool pod_has_scale;
	struct store_pod_calibration pod_current;
	struct pod_cal_run pod_cal;
	struct store_run_surface surface;
	bool surface_known;
};

void treadmill_run_begin(struct treadmill_run *t);

/* Decodes Treadmill Data; *active when the belt runs at start_speed_mps or
 * faster. false if malformed. */
bool treadmill_decode(const struct notification *n, double start_speed_mps,
		      struct ftms_treadmill_data *out, bool *active);
/* One decoded notification of the run's treadmill (sensor names it in the
 * log); the ingest has opened the second of t_us. */
void treadmill_aggregate(struct treadmill_run *t, const char *sensor,
			 const struct ftms_treadmill_data *d, int64_t t_us, bool active);

/* A second of the run is complete. Puts the treadmill's speed, distance and
 * stride length in the sample, or applies the pod's calibration to the pod's
 * speed, distance and stride; feeds the pod's calibration with the pod's
 * (sample->distance_m, raw) and the IMUs' cumulative distances. */
void treadmill_fill_sample(struct treadmill_run *t, struct store *store, int64_t pod_sensor_id,
			   double imu_total_m, struct store_sample *sample);
/* After the sample is stored: its incline, if the treadmill gave one. */
int treadmill_store_sample(struct treadmill_run *t, struct store *store, int64_t run_id,
			   const struct store_sample *sample);

/* A shoe-IMU stride of the run, as stored. */
void treadmill_note_stride(struct treadmill_run *t, const struct ins_stride *x, bool clipped);

/* Whether strides say treadmill: enough of them at running cadence, most of
 * those shorter than running over ground allows. */
bool treadmill_suspected(unsigned strides, unsigned at_cadence, unsigned short_at_cadence);

/* The run ends: the summary's distance, speed and stride length from the
 * treadmill or the calibrated pod, or unknown on a treadmill without data.
 * pod_primary: the summary's distance is the pod's. */
void treadmill_end_run(struct treadmill_run *t, bool pod_primary, unsigned imu_valid_strides,
		       struct store_run *summary);
/* After the summary is stored: the run's surface and, from a run fit for
 * it, the pod's new calibration. Returns 0 or a negative errno. */
int treadmill_store_run(struct treadmill_run *t, struct store *store,
			const struct store_run *summary, double imu_distance_m);
