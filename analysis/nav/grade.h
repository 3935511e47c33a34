/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The runner's altitude and grade over a whole run, from whatever the run
 * has: barometric pressure (with the sensor's temperature), the shoe IMUs'
 * per-stride height change, and a treadmill's incline. One Kalman filter
 * and Rauch-Tung-Striebel smoother on the run's 1 s grid over altitude,
 * vertical rate, barometer bias (weather, warm-up) and the barometer's
 * temperature coefficient: the barometer is right over minutes and wrong
 * over seconds, the INS the other way round, and the smoother lets each
 * correct the other. Each source works alone when it is the only one.
 *
 * Grade is rise over horizontal run over GRADE_WINDOW_M of the runner's
 * path, centred on the second: a 1 m height error over 100 m is 1 % of
 * grade, so a grade over a few metres means nothing. Elevation gain and
 * loss are counted on the same smoothed altitude, so the run summary, the
 * segments and the samples agree. Pure: no I/O; allocates per run, not per
 * sample.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The horizontal window of grade_pct, metres of path, centred. */
#define GRADE_WINDOW_M 50.0
/* Gain and loss: a change counts once it exceeds this (on the smoothed
 * altitude, whose noise is centimetres). */
#define GRADE_GAIN_HYSTERESIS_M 0.5
/* ...and, for a barometer alone, this many steps of its resolution. */
#define GRADE_GAIN_QUANTA 2.0
/* Pressures outside this range are not from a working sensor on a run. */
#define GRADE_PRESSURE_MIN_PA 30000.0
#define GRADE_PRESSURE_MAX_PA 110000.0
/* A barometric altitude that moves more than this in one second is a
 * sensor reset or glitch, not the runner: the step is removed. */
#define GRADE_BARO_STEP_MAX_M 8.0

/* GPS elevation's noise a second, as the estimator is to weigh it. */
#define GRADE_GPS_ALTITUDE_NOISE_M 5.0

/* Which sources the estimate rests on (a bit set). */
enum grade_source {
	GRADE_SOURCE_NONE = 0,
	GRADE_SOURCE_BARO = 1 << 0,
	GRADE_SOURCE_IMU = 1 << 1,
	GRADE_SOURCE_TREADMILL = 1 << 2,
};

/* One stride's vertical information from a shoe IMU. */
struct grade_stride {
	int64_t start_us, end_us; /* landing, next landing (UTC µs) */
	double height_change_m;   /* up is positive; NAN: not to be trusted */
};

/* The run, one entry per stored second; arrays may be NULL, entries NAN
 * where a second lacks the value. */
struct grade_input {
	size_t n;
	const int64_t *t_us;         /* increasing */
	const double *distance_m;    /* horizontal, non-decreasing, required */
	const double *pressure_pa;   /* barometer */
	const double *temperature_c; /* the barometer's own temperature */
	const double *incline_pct;   /* a treadmill's reported incline */
	/* The floor of the pressure's altitude noise (SD, m): 0 for a
	 * barometer's own; GRADE_GPS_ALTITUDE_NOISE_M when the "pressure"
	 * stands for a watch's GPS elevation, which wanders metres over
	 * seconds where a barometer wanders centimetres. */
	double pressure_noise_min_m;
	const struct grade_stride *strides; /* any order, both feet */
	size_t n_strides;
};

struct grade_result {
	unsigned sources;      /* enum grade_source bits actually used */
	double gain_m, loss_m; /* NAN without a source */
	/* per second (n each, owned): altitude relative to the run's start
	 * and grade in percent; NAN everywhere without a source */
	double *altitude_m;
	double *grade_pct;
};

/* Estimates the run's altitude and grade. false (result untouched) when
 * the input is malformed: n == 0, no times or distances, times not
 * increasing. A run without any altitude source succeeds with NAN. */
bool grade_estimate(const struct grade_input *in, struct grade_result *out);
void grade_result_free(struct grade_result *r);

/* The grade at each second over a centred window of window_m of path:
 * rise over run of altitude against distance. Near the run's ends the
 * window slides inwards; NAN everywhere for a run shorter than the window
 * and where the altitude is unknown. */
void grade_over_window(const double *distance_m, const double *altitude_m, size_t n,
		       double window_m, double *grade_pct);
/* Gain and loss of a smoothed altitude with a hysteresis (NANs skipped). */
void grade_gain_loss(const double *altitude_m, size_t n, double hysteresis_m, double *gain_m,
		     double *loss_m);
