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
/* The standard atmosphere's pressure at sea level. */
#define ISA_SEA_LEVEL_PA 101325.0

double baro_altitude_m(double pressure_pa, double reference_pa);
/* Its inverse: the pressure at altitude_m above the reference's level. */
double baro_pressure_pa(double altitude_m, double reference_pa);

#define BARO_SMOOTH_MAX 64

struct baro_climb {
	/* moving average over the last window samples */
	double window[BARO_SMOOTH_MAX];
	size_t window_len;
	size_t count;
	size_t next;
	double sum;
	/* hysteresis: the last turning point and the direction since it */
	double hysteresis_m; /* the floor of the threshold */
	double threshold_m;  /* what is in force: the floor or the noise */
	/* noise: mean |second difference| of the raw altitude, which a smooth
	 * profile hardly moves but white noise does */
	double raw_prev_m[2];
	size_t n_raw;
	/* resolution: the smallest change the sensor has reported */
	double quantum_m;
	double abs_d2_mean_m;
	double anchor_m;
	int direction; /* +1 climbing, -1 descending, 0 not yet known */
	double gain_m;
	double loss_m;
	double last_smoothed_m;
};

/* window: samples in the moving average (1..BARO_SMOOTH_MAX). The
 * threshold is hysteresis_m or BARO_NOISE_SIGMAS times the noise left
 * after smoothing, whichever is larger, so a quiet sensor resolves small
 * undulations and a noisy one does not count its noise as climb. */
#define BARO_NOISE_SIGMAS 5.0
/* ...and never below this many steps of the sensor's resolution: a watch
 * that logs whole 10 Pa (0.8 m) sits on one value, then the next, for
 * minutes, which is neither noise nor climb. */
#define BARO_QUANTA 2.0
void baro_climb_init(struct baro_climb *c, size_t window, double hysteresis_m);
/* Adds one evenly spaced altitude sample; returns the smoothed altitude. */
double baro_climb_add(struct baro_climb *c, double altitude_m);
