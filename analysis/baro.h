/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Barometric altitude and climb. Consumer barometers (BMP280/BMP388/MS5611
 * class) are noisy to ~0.1–1 m and drift with temperature, so climb is
 * counted on a smoothed altitude with a hysteresis: a change counts only
 * once it exceeds the threshold, which noise alone does not reach.
 */
#pragma once

#include <stddef.h>

/* Height above the level where the pressure is reference_pa, by the
 * international standard atmosphere. */
double baro_altitude_m(double pressure_pa, double reference_pa);

#define BARO_SMOOTH_MAX 64

struct baro_climb {
	/* moving average over the last window samples */
	double window[BARO_SMOOTH_MAX];
	size_t window_len;
	size_t count;
	size_t next;
	double sum;
	/* hysteresis: the last turning point and the direction since it */
	double hysteresis_m;
	double anchor_m;
	int direction; /* +1 climbing, -1 descending, 0 not yet known */
	double gain_m;
	double loss_m;
	double last_smoothed_m;
};

/* window: samples in the moving average (1..BARO_SMOOTH_MAX); a typical
 * choice at 1 Hz is 10 s and 1 m. */
void baro_climb_init(struct baro_climb *c, size_t window, double hysteresis_m);
/* Adds one evenly spaced altitude sample; returns the smoothed altitude. */
double baro_climb_add(struct baro_climb *c, double altitude_m);
