// SPDX-License-Identifier: GPL-2.0-or-later
#include "nav/baro.h"

#include <math.h>

/* ISA troposphere: T0 = 288.15 K, lapse 0.0065 K/m, exponent R·L/(g·M). */
#define ISA_SCALE_HEIGHT_M 44330.0
#define ISA_EXPONENT 0.190263

double baro_altitude_m(double pressure_pa, double reference_pa)
{
	return ISA_SCALE_HEIGHT_M * (1.0 - pow(pressure_pa / reference_pa, ISA_EXPONENT));
}

double baro_pressure_pa(double altitude_m, double reference_pa)
{
	return reference_pa * pow(1.0 - altitude_m / ISA_SCALE_HEIGHT_M, 1.0 / ISA_EXPONENT);
}

void baro_climb_init(struct baro_climb *c, size_t window, double hysteresis_m)
{
	*c = (struct baro_climb){ 0 };
	if (window < 1)
		window = 1;
	if (window > BARO_SMOOTH_MAX)
		window = BARO_SMOOTH_MAX;
	c->window_len = window;
	c->hysteresis_m = hysteresis_m;
	c->threshold_m = hysteresis_m;
}

/* For white noise of deviation s, a second difference has deviation
 * s·sqrt(6) and mean absolute value s·sqrt(6)·sqrt(2/π). */
#define ABS_D2_PER_SIGMA 1.954410048
#define NOISE_EWMA_WEIGHT 0.02

static void track_noise(struct baro_climb *c, double altitude_m)
{
	if (c->n_raw >= 1) {
		double step = fabs(altitude_m - c->raw_prev_m[1]);
		if (step > 1e-6 && (c->quantum_m == 0 || step < c->quantum_m))
			c->quantum_m = step;
	}
	if (c->n_raw >= 2) {
		double d2 = altitude_m - 2 * c->raw_prev_m[1] + c->raw_prev_m[0];
		double w = c->n_raw == 2 ? 1.0 : NOISE_EWMA_WEIGHT;
		c->abs_d2_mean_m += w * (fabs(d2) - c->abs_d2_mean_m);
		double sigma_smoothed_m =
			c->abs_d2_mean_m / ABS_D2_PER_SIGMA / sqrt((double)c->window_len);
		c->threshold_m = fmax(fmax(c->hysteresis_m, BARO_QUANTA * c->quantum_m),
				      BARO_NOISE_SIGMAS * sigma_smoothed_m);
	}
	c->raw_prev_m[0] = c->raw_prev_m[1];
	c->raw_prev_m[1] = altitude_m;
	c->n_raw++;
}

static double smooth(struct baro_climb *c, double altitude_m)
{
	if (c->count == c->window_len)
		c->sum -= c->window[c->next];
	else
		c->count++;
	c->window[c->next] = altitude_m;
	c->sum += altitude_m;
	c->next = (c->next + 1) % c->window_len;
	return c->sum / (double)c->count;
}

/* Counts the climb since the anchor once it is beyond the hysteresis, and
 * follows the extreme while the direction holds. */
static void track_climb(struct baro_climb *c, double h)
{
	double delta = h - c->anchor_m;

	if (c->direction >= 0 && delta > 0) {
		if (c->direction > 0 || delta >= c->threshold_m) {
			c->gain_m += delta;
			c->anchor_m = h;
			c->direction = 1;
		}
	} else if (c->direction <= 0 && delta < 0) {
		if (c->direction < 0 || -delta >= c->threshold_m) {
			c->loss_m += -delta;
			c->anchor_m = h;
			c->direction = -1;
		}
	} else if (fabs(delta) >= c->threshold_m) {
		/* A reversal beyond the threshold: count it and turn. */
		if (delta > 0)
			c->gain_m += delta;
		else
			c->loss_m += -delta;
		c->anchor_m = h;
		c->direction = delta > 0 ? 1 : -1;
	}
}

double baro_climb_add(struct baro_climb *c, double altitude_m)
{
	track_noise(c, altitude_m);
	double h = smooth(c, altitude_m);
	if (c->count == 1)
		c->anchor_m = h;
	else
		track_climb(c, h);
	c->last_smoothed_m = h;
	return h;
}
