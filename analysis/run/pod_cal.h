/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Foot pods calibrated by the shoes. A foot pod reads distance with a scale
 * error of its own (about 3 % uncalibrated, DOMAIN.md), constant enough over
 * weeks to correct; the shoe IMUs measure each stride. On a run with both,
 * the pod's scale factor is its distance over the IMUs', estimated from
 * consecutive windows of the run so that its uncertainty comes from the data;
 * a pod's current factor combines its last few runs. Pure: no I/O, no clock.
 *
 * scale = pod distance / true distance, so a pod reading 3 % long has
 * scale 1.03 and its calibrated distance is its reading / scale.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Windows start at this much IMU distance: long enough that the lag
 * between a pod's counter and the IMUs' last stride (one stride, ~2 m) is
 * about 1 %, which the estimate averages; they double when a long run fills them. */
#define POD_CAL_WINDOW_M 200.0
#define POD_CAL_MAX_WINDOWS 128
/* Fewer windows than this (1 km) say too little about a pod. */
#define POD_CAL_MIN_WINDOWS 5
/* A pod off by more than 25 % is a pod in another unit or broken, not one
 * to calibrate. */
#define POD_CAL_MIN_SCALE 0.75
#define POD_CAL_MAX_SCALE 1.25
/* The shoe IMUs' own distance error that no number of windows averages
 * away (their stride-length bias, about 0.5 % in the project's real
 * recordings), added to every run's uncertainty. */
#define POD_CAL_IMU_BIAS_SD 0.005
/* A pod's current factor: its last runs, because a pod moved to other
 * shoes or another lacing reads differently from then on. */
#define POD_CAL_HISTORY_RUNS 5

/* A window whose pod/IMU ratio is this far from the run's median is not
 * the pod's scale but a stretch one of them did not see (walking after the
 * pod stopped, a lost stretch): left out. */
#define POD_CAL_OUTLIER 0.10

struct pod_cal_run {
	double window_m; /* IMU distance per window now */
	size_t n;
	double pod_m[POD_CAL_MAX_WINDOWS];
	double imu_m[POD_CAL_MAX_WINDOWS];
	bool started;
	double start_pod_m, start_imu_m; /* cumulative at the open window's start */
	bool open_tainted;               /* the open window had a flagged stride */
	unsigned tainted;                /* windows left out for one */
};

struct pod_cal_estimate {
	double scale;        /* pod / IMU distance */
	double scale_sd;     /* its standard uncertainty */
	unsigned windows;    /* used */
	unsigned left_out;   /* windows flagged or outlying */
	double pod_m, imu_m; /* the distances it rests on */
};

void pod_cal_run_init(struct pod_cal_run *r);
/* The pod's and the IMUs' cumulative distances in the run so far, in any
 * rhythm (the daemon gives them once a second). Non-finite values and a
 * counter going back are skipped. */
void pod_cal_run_observe(struct pod_cal_run *r, double pod_total_m, double imu_total_m);
/* The IMUs flagged a stride (a restart, clipping) in the open window: its
 * IMU distance is not a measurement, so the window is left out. */
void pod_cal_run_taint(struct pod_cal_run *r);
/* The run's estimate from its windows, outliers left out (POD_CAL_OUTLIER).
 * false (out untouched) with too few windows or a scale out of range. */
bool pod_cal_run_estimate(const struct pod_cal_run *r, struct pod_cal_estimate *out);

/* The current factor from a pod's run estimates, oldest first: the
 * inverse-variance weighted mean of the last POD_CAL_HISTORY_RUNS. false
 * (out untouched) when n is 0. */
bool pod_cal_combine(const struct pod_cal_estimate *runs, size_t n, struct pod_cal_estimate *out);

/* A pod's reading calibrated by scale (its raw value if scale is not a
 * usable factor). */
double pod_cal_apply(double pod_m, double scale);
