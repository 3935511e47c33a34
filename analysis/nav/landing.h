/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * When a foot lands, from its shoe IMU. The INS (ins.h) cuts strides at
 * stance starts, and its stance starts once the foot is still: after the
 * heel strike has rung out through the shoe, some 40 ms after the landing
 * at running pace. A stride's landing is the onset of the impact before
 * its stance: going back from the largest jerk |a(k) - a(k-1)| / dt in the
 * LANDING_WINDOW_US before the stance start to the last sample before the
 * jerk rose to LANDING_ONSET of it. The impact is the sharpest change of
 * acceleration in a stride, whatever the sensor's orientation; where that
 * window's jerk is not LANDING_IMPACT times the rest of the stride's, the
 * foot came down without one (a gentle walk) and the stance start is the
 * landing.
 *
 * Streaming, constant memory: feed every sample of one foot in order (the
 * same samples as its INS), then move each stride the INS reports.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "decode/imu.h"
#include "nav/ins.h"

/* Samples kept: 2.5 s at 400 Hz, long enough for a walking stance and
 * the INS's delay before it reports the stride. */
#define LANDING_RING 2048u
#define LANDING_WINDOW_US INT64_C(150000)
#define LANDING_ONSET 0.1
#define LANDING_IMPACT 1.5

struct landing {
	int64_t t_us[LANDING_RING];
	float jerk_mps3[LANDING_RING];
	uint64_t n; /* samples pushed */
	double prev_acc_mps2[3];
	int64_t prev_t_us;
	/* The last stride's end: its stance start and the landing found. */
	int64_t stance_us, landing_us;
};

void landing_init(struct landing *l);
/* The next sample, in sensor-time order. */
void landing_push(struct landing *l, const struct imu_sample *s);
/* The landing before a stance starting at stance_us, in the stride from
 * the stance at from_us; false if those samples are no longer kept or
 * show no impact. */
bool landing_before(const struct landing *l, int64_t from_us, int64_t stance_us,
		    int64_t *landing_us);
/* Moves a stride's start and end from its stance starts to the landings
 * before them (each one that is found), and its duration with them. */
void landing_apply(struct landing *l, struct ins_stride *x);
