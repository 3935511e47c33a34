/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Treadmill runs and foot-pod calibration (schema 005): the incline per
 * second, what a run was run on and how its distance was made, and each
 * pod's calibration history against the shoe IMUs.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* The treadmill's incline in the sample of that second (which must be
 * stored already). */
int store_sample_set_incline(struct store *s, int64_t run_id, int64_t t_us, double incline_pct);
/* The run's seconds with an incline: how many and their mean (NAN if none),
 * for a grade estimator's choice of source and for tests. */
int store_run_incline(struct store *s, int64_t run_id, int64_t *seconds, double *mean_pct);
/* Each second of the run that has an incline, in time order; fn returns 0
 * to go on, non-zero to stop (which is returned). */
typedef int (*store_incline_fn)(void *user, int64_t t_us, double incline_pct);
int store_foreach_incline(struct store *s, int64_t run_id, store_incline_fn fn, void *user);

struct store_run_surface {
	char surface[16];          /* "" over ground, "treadmill" */
	char distance_note[160];   /* what hamstride doubts about the distance, or "" */
	double pod_distance_raw_m; /* the pod's reading before calibration; NAN none */
	double pod_scale;          /* factor applied (pod / true); NAN none */
};
int store_run_set_surface(struct store *s, int64_t run_id, const struct store_run_surface *x);
/* -ENOENT if there is no such run. */
int store_get_run_surface(struct store *s, int64_t run_id, struct store_run_surface *out);

/* One run that calibrated a pod, and the pod's factor after it. */
struct store_pod_calibration {
	int64_t run_id;
	int64_t t_us;
	double run_scale, run_scale_sd;
	unsigned windows;
	double pod_m, imu_m;
	double scale, scale_sd;
};
int store_pod_calibration_add(struct store *s, int64_t sensor_id,
			      const struct store_pod_calibration *c);
/* The pod's last (up to) max calibrations, oldest first. */
int store_pod_history(struct store *s, int64_t sensor_id, struct store_pod_calibration *out,
		      size_t max, size_t *n);
/* The pod's latest; -ENOENT if it was never calibrated. */
int store_pod_current(struct store *s, int64_t sensor_id, struct store_pod_calibration *out);
