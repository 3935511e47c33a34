// SPDX-License-Identifier: GPL-2.0-or-later
#include "baro.h"

#include <math.h>

/* ISA troposphere: T0 = 288.15 K, lapse 0.0065 K/m, exponent R·L/(g·M). */
#define ISA_SCALE_HEIGHT_M 44330.0
#define ISA_EXPONENT 0.190263

double baro_altitude_m(double pressure_pa, double reference_pa)
{
	return ISA_SCALE_HEIGHT_M * (1.0 - pow(pressure_pa / reference_pa, ISA_EXPONENT));
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
		if (c->direction > 0 || delta >= c->hysteresis_m) {
			c->gain_m += delta;
			c->anchor_m = h;
			c->direction = 1;
		}
	} else if (c->direction <= 0 && delta < 0) {
		if (c->direction < 0 || -delta >= c->hysteresis_m) {
			c->loss_m += -delta;
			c->anchor_m = h;
			c->direction = -1;
		}
	} else if (fabs(delta) >= c->hysteresis_m) {
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
	double h = smooth(c, altitude_m);
	if (c->count == 1)
		c->anchor_m = h;
	else
		track_climb(c, h);
	c->last_smoothed_m = h;
	return h;
}
