/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The simulator: a run, or a training block of several weeks of runs, over
 * a course with hills, at a planned pace, as the notifications a foot pod
 * (with its own calibration error, cadence convention, noise and dropouts),
 * a barometer (noise, temperature drift) and optionally a heart-rate strap
 * would send. Seeded: the same options give the same notifications, byte
 * for byte. Pure: it hands notifications to a callback and does no I/O.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "notification.h"

struct sim_options {
	uint64_t seed;
	int64_t start_us;        /* UTC µs of the first run's start */
	unsigned weeks;          /* 0: a single run */
	unsigned runs_per_week;
	double run_minutes;      /* the single run's length; a block varies it */
	bool heart_rate;
	bool barometer;
	bool footpod_stride_length;  /* the pod sends stride length */
	bool footpod_total_distance; /* the pod sends total distance */
	int cadence_convention;      /* enum rsc_convention; 0 = chosen by seed */
	double footpod_scale_error;  /* e.g. 0.03: pod reads 3% long; NAN = from seed */
	double dropout_rate;         /* probability a notification is lost */
};

void sim_options_default(struct sim_options *o);

/* What really happened in one simulated run. */
struct sim_run_truth {
	unsigned index;          /* 1-based within the block */
	int64_t start_us;        /* first running notification */
	int64_t end_us;          /* last running notification */
	double duration_s;
	double course_distance_m;   /* what the runner covered */
	double footpod_distance_m;  /* what the pod measured (its scale error) */
	double elevation_gain_m;    /* of the course */
	double elevation_loss_m;
	double mean_speed_mps;
	double mean_cadence_spm;
	double mean_stride_length_m; /* full stride */
	double mean_heart_rate_bpm;  /* NAN without a strap */
	int cadence_convention;      /* what the pod sends */
	double footpod_scale_error;
	uint64_t notifications;      /* emitted (after dropouts) */
	uint64_t dropped;
	uint8_t footpod_addr[NOTIFICATION_ADDR_LEN];
};

/* Return 0 to go on; non-zero stops the simulation and is returned. */
typedef int (*sim_emit_fn)(void *user, const struct notification *n);
typedef int (*sim_truth_fn)(void *user, const struct sim_run_truth *truth);

/* Emits every notification of the block in time order across sensors,
 * then (per run, after its last notification) its truth. 0, a callback's
 * non-zero value, or -EINVAL for options out of range. truth may be NULL. */
int sim_run_block(const struct sim_options *o, sim_emit_fn emit, sim_truth_fn truth, void *user);
