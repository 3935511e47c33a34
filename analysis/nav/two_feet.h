/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Two feet, one ground: the height drift of one shoe IMU against the
 * other's, taken out of each stride's height change.
 *
 * A foot INS turns a small fraction of its forward travel into height
 * (its sensor's scale and misalignment errors; zero-velocity updates
 * barely see them), so each foot's height change per stride carries a
 * bias of its own: H_L(s) = h(s) + b_L s, H_R(s) = h(s) + b_R s. Both
 * feet walk over the same ground h, so their difference D = H_L - H_R
 * grows by (b_L - b_R) per metre whatever the hills. Each landing of one
 * foot is compared with the other foot's height interpolated to the same
 * moment (the other foot landed just before and lands just after, on the
 * ground either side); the increments of D against the distance run are
 * fitted by exponentially weighted least squares (increments, not
 * levels, so no common origin is needed and an old error does not weigh
 * on every later one), and half of the drift difference over a stride's
 * length comes off one foot and goes onto the other. What the feet have
 * in common (b_L + b_R) cannot be seen this way and stays.
 *
 * Aligning by time rather than by each foot's own distance keeps the
 * comparison on the same ground when the two feet's stride lengths differ
 * by a fraction of a percent, which over an hour adds up to several
 * strides.
 *
 * Streaming, constant memory, no allocation: feed both feet's strides in
 * end-time order (strides_join's), each once, before they are stored. One
 * foot alone is left exactly as it is.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "nav/ins.h"

/* A foot's landings not yet passed by the other foot. */
#define TWO_FEET_PENDING 4

struct two_feet_point {
	int64_t t_us;
	double s_m; /* distance along the foot's own track */
	double h_m; /* height along it, as the INS measured */
};

struct two_feet_track {
	bool started;
	struct two_feet_point prev, last;
	struct two_feet_point pending[TWO_FEET_PENDING];
	unsigned n_pending;
};

struct two_feet {
	struct two_feet_track foot[2]; /* 0 left, 1 right */
	/* The last comparison, where the next one's increment starts. */
	bool have_last;
	double last_s_m, last_diff_m;
	/* Weighted sums of the increments: distance² (with the prior),
	 * distance x height. */
	double sxx_m2, sxy_m2;
	uint64_t comparisons;
};

void two_feet_init(struct two_feet *tf);

/* Feeds one stride and corrects its height_change_m in place; nothing
 * else in it changes. A stride of an unknown foot passes untouched. A
 * restart (valid false) forgets what was learnt, as a new sensor or a
 * restarted navigation brings errors of its own; a stride with a gap is
 * corrected but starts its foot's track anew. Returns the correction
 * added (m). */
double two_feet_correct(struct two_feet *tf, struct ins_stride *s);

/* b_L - b_R: height drift of the left foot minus the right's, per metre
 * run; 0 before the feet have been compared. */
double two_feet_drift(const struct two_feet *tf);
