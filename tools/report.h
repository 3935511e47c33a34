/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Weekly totals for 'hamstride report': ISO weeks, Monday 00:00 UTC. Pure. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "run/segments.h"
#include "store/store.h"

#define REPORT_WEEK_US (7LL * 24 * 3600 * 1000000)

struct report_week {
	int64_t start_us; /* Monday 00:00 UTC */
	int runs;
	double distance_m;      /* sum over runs that measured it */
	double duration_s;      /* sum over runs that measured it */
	double speed_mps;       /* over runs with both distance and duration; NAN if none */
	double cadence_spm;     /* duration-weighted mean; NAN if none measured */
	double stride_length_m; /* duration-weighted mean; NAN if none measured */
	/* Distance on each grade class, from the runs' segments. */
	double class_m[SEG_CLASS_COUNT];
	/* Running sums behind the means, until report_weeks_finish(). */
	double paced_m, paced_s, cadence_sum, cadence_s, stride_sum, stride_s;
};

/* Monday 00:00 UTC of the ISO week holding t_us. */
int64_t report_week_start(int64_t t_us);
/* "2026-W47" (ISO week-numbering year); buf needs 9 bytes. */
const char *report_week_label(int64_t week_start_us, char *buf, size_t size);

/* n weeks ending with the one that starts at last_start_us. */
void report_weeks_init(struct report_week *weeks, size_t n, int64_t last_start_us);
/* Counts the run in its week; false if it starts outside them. */
bool report_weeks_add(struct report_week *weeks, size_t n, const struct store_run *run);
void report_weeks_finish(struct report_week *weeks, size_t n);
/* Adds the segment's length to its class in the week its run started
 * (run_start_us); false if that is outside the weeks. */
bool report_weeks_add_segment(struct report_week *weeks, size_t n, int64_t run_start_us,
			      const struct seg_segment *seg);

/*
 * Stride length by grade class at matched pace: segments binned by their
 * own pace in bands of REPORT_PACE_BAND_S, so that within a band the
 * classes are compared at the same pace (a runner's stride shortens as
 * they slow, and they slow uphill: a plain mean by class would mostly
 * show the pace). Each cell is the distance-weighted mean full stride.
 */
#define REPORT_PACE_BAND_S 30
#define REPORT_PACE_MIN_S 150 /* 2:30 min/km */
#define REPORT_PACE_BANDS 20  /* to 12:30 min/km */
/* A cell over less distance than this is too few strides to compare. */
#define REPORT_STRIDE_CELL_MIN_M 500.0
struct report_stride_cell {
	double stride_x_m; /* sum of stride times length */
	double length_m;   /* of segments with a stride */
};
struct report_pace_bands {
	struct report_stride_cell cell[REPORT_PACE_BANDS][SEG_CLASS_COUNT];
};
/* Counts a segment that has a stride and a pace within the bands; false
 * otherwise. */
bool report_pace_bands_add(struct report_pace_bands *b, const struct seg_segment *seg);
/* The band's lower pace (s/km). */
int report_pace_band_low_s(size_t band);
