// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The simulated courses: the mixed loop of hills, valleys and climbs to
 * plateaus, drawn from the seed, with a ripple over it; and courses of
 * known profile (flat, rolling, a long climb, climb repeats, a track, a
 * treadmill's incline program) made of constant-grade ramps whose sizes
 * the seed draws within fixed ranges.
 */
#include "sim/sim_internal.h"

#include <string.h>

static void course_add(struct course *c, double *pos_m, double *level_m, enum feature_shape shape,
		       double length_m, double rise_m)
{
	c->f[c->n++] = (struct course_feature){ .start_m = *pos_m,
						.length_m = length_m,
						.rise_m = rise_m,
						.level_m = *level_m,
						.shape = shape };
	*pos_m += length_m;
	if (shape == FEATURE_STEP)
		*level_m += rise_m;
}

/* A raised-cosine bump of length L and height A is steepest (A*pi/L) in
 * its middle, a half-cosine step half that: lengths follow from grades. */
static void course_feature_draw(struct course *c, gsl_rng *r, double grade_max, double *pos_m,
				double *level_m)
{
	double grade = uniform(r, 0.015, grade_max);
	double length_m = uniform(r, 200, 1500);
	double sign = chance(r, 0.5) ? 1 : -1;

	if (chance(r, 0.55)) {
		course_add(c, pos_m, level_m, FEATURE_BUMP, length_m,
			   sign * grade * length_m / M_PI);
		return;
	}
	double rise_m = sign * 2 * grade * length_m / M_PI;
	/* Come back down (or up) sometimes, and never wander too far. */
	if (*level_m != 0 && chance(r, 0.4))
		rise_m = -*level_m * uniform(r, 0.5, 1.0);
	if (fabs(*level_m + rise_m) > COURSE_LEVEL_MAX_M)
		rise_m = -rise_m;
	length_m = fmax(length_m, fabs(rise_m) * M_PI / (2 * grade_max));
	course_add(c, pos_m, level_m, FEATURE_STEP, length_m, rise_m);
}

static void course_build(struct course *c, gsl_rng *r)
{
	double target_m = uniform(r, 4000, 15000);
	double pos_m = uniform(r, 100, 600), level_m = 0;

	memset(c, 0, sizeof(*c));
	c->ripple_m = uniform(r, 0.1, 0.5);
	double wavelength_m = uniform(r, 150, 400);
	/* The ripple's grade adds to the features': keep the sum within 10%. */
	double grade_max = GRADE_MAX - 2 * M_PI * c->ripple_m / wavelength_m * 1.05;

	while (pos_m < target_m && c->n < COURSE_MAX_FEATURES - 1) {
		course_feature_draw(c, r, grade_max, &pos_m, &level_m);
		pos_m += uniform(r, 50, 800);
	}
	if (level_m != 0) {
		double grade = uniform(r, 0.03, grade_max);
		course_add(c, &pos_m, &level_m, FEATURE_STEP, fabs(level_m) * M_PI / (2 * grade),
			   -level_m);
		pos_m += uniform(r, 50, 400);
	}
	c->loop_m = pos_m;
	/* A whole number of ripples per loop keeps the loop seamless; the
	 * wavelength only gets longer, so the grade bound holds. */
	c->ripple_wavelength_m = c->loop_m / floor(c->loop_m / wavelength_m);
}

/* ---- courses of known profile, made of ramps ---- */

#define RAMP_EASE_M 20.0 /* grade eases in and out over this (a treadmill's motor) */

/* A ramp at grade whose constant part and eases make length_m. */
static void course_ramp(struct course *c, double *pos_m, double *level_m, double grade,
			double length_m)
{
	if (c->n == COURSE_MAX_FEATURES)
		return;
	double rise_m = grade * (length_m - RAMP_EASE_M);
	c->f[c->n++] = (struct course_feature){ .start_m = *pos_m,
						.length_m = length_m,
						.rise_m = rise_m,
						.level_m = *level_m,
						.shape = FEATURE_RAMP,
						.ease_m = RAMP_EASE_M };
	*pos_m += length_m;
	*level_m += rise_m;
}

/* A ramp at |grade| back to the course's starting level. */
static void course_ramp_home(struct course *c, double *pos_m, double *level_m, double grade)
{
	if (*level_m == 0)
		return;
	double sign = *level_m > 0 ? -1 : 1;
	course_ramp(c, pos_m, level_m, sign * grade, fabs(*level_m) / grade + RAMP_EASE_M);
	*level_m = 0; /* exactly: the loop must close */
}

static void course_level(struct course *c, double loop_m)
{
	memset(c, 0, sizeof(*c));
	c->loop_m = loop_m;
}

/* Hills of 3-5 %, 200-500 m up and back down, 100-300 m of flat between,
 * for about 6 km. */
static void course_rolling(struct course *c, gsl_rng *r)
{
	double pos_m = uniform(r, 200, 500), level_m = 0;

	course_level(c, 0);
	while (pos_m < 6000 && c->n + 2 <= COURSE_MAX_FEATURES) {
		course_ramp(c, &pos_m, &level_m, uniform(r, 0.03, 0.05), uniform(r, 200, 500));
		pos_m += uniform(r, 100, 300);
		course_ramp_home(c, &pos_m, &level_m, uniform(r, 0.03, 0.05));
		pos_m += uniform(r, 100, 300);
	}
	c->loop_m = pos_m;
}

/* 500 m flat, 4-5 km up at 4-6 %, 200 m across the top, down at 4-6 %,
 * 500 m flat. */
static void course_climb(struct course *c, gsl_rng *r)
{
	double pos_m = 500, level_m = 0;

	course_level(c, 0);
	course_ramp(c, &pos_m, &level_m, uniform(r, 0.04, 0.06), uniform(r, 4000, 5000));
	pos_m += 200;
	course_ramp_home(c, &pos_m, &level_m, uniform(r, 0.04, 0.06));
	c->loop_m = pos_m + 500;
}

/* 800 m flat, then 6 repeats of 300 m up at 7-9 % and back down the same
 * slope, 100 m of flat between, then 700 m flat. */
static void course_repeats(struct course *c, gsl_rng *r)
{
	double pos_m = 800, level_m = 0;

	course_level(c, 0);
	for (int i = 0; i < 6; i++) {
		double grade = uniform(r, 0.07, 0.09);
		course_ramp(c, &pos_m, &level_m, grade, 300);
		pos_m += 30; /* turning at the top */
		course_ramp_home(c, &pos_m, &level_m, grade);
		pos_m += 100;
	}
	c->loop_m = pos_m + 700;
}

/* The belt's incline program, by distance on the belt: 1 km at 0 %, then
 * 8 steps of 2-6 % (whole percent), 400-800 m each, with 200-400 m at 0 %
 * after each. The virtual elevation only climbs. */
static void course_treadmill(struct course *c, gsl_rng *r)
{
	double pos_m = 1000, level_m = 0;

	course_level(c, 0);
	c->treadmill = true;
	for (int i = 0; i < 8; i++) {
		double grade = (double)(2 + gsl_rng_uniform_int(r, 5)) / 100;
		course_ramp(c, &pos_m, &level_m, grade, uniform(r, 400, 800));
		pos_m += uniform(r, 200, 400);
	}
	c->loop_m = pos_m;
	c->loop_rise_m = level_m;
}

/* A ramp's height and slope, u metres into it. */
static void ramp_add(const struct course_feature *f, double u, double *h, double *slope)
{
	double len = f->length_m, ease = f->ease_m, grade = f->rise_m / (len - ease);

	if (u >= len) {
		*h += f->rise_m;
	} else if (u < ease) {
		*h += grade * u * u / (2 * ease);
		*slope += grade * u / ease;
	} else if (u < len - ease) {
		*h += grade * ease / 2 + grade * (u - ease);
		*slope += grade;
	} else {
		double v = len - u;
		*h += f->rise_m - grade * v * v / (2 * ease);
		*slope += grade * v / ease;
	}
}

static const struct course_feature *course_find(const struct course *c, double x_m)
{
	unsigned lo = 0, hi = c->n;

	/* The last feature starting at or before x_m, or NULL before the first. */
	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		if (c->f[mid].start_m <= x_m)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? &c->f[lo - 1] : NULL;
}

void sim_course_at(const struct course *c, double x_m, double *elevation_m, double *grade)
{
	double xm = fmod(x_m, c->loop_m);
	if (xm < 0)
		xm += c->loop_m;
	double h = 0, slope = 0;
	if (c->ripple_m > 0) {
		double k = 2 * M_PI / c->ripple_wavelength_m;
		h = c->ripple_m * sin(k * xm);
		slope = c->ripple_m * k * cos(k * xm);
	}
	const struct course_feature *f = course_find(c, xm);

	if (f && f->shape == FEATURE_RAMP) {
		h += f->level_m;
		ramp_add(f, xm - f->start_m, &h, &slope);
	} else if (f) {
		double u = (xm - f->start_m) / f->length_m;
		double w = f->shape == FEATURE_BUMP ? 2 * M_PI : M_PI;
		h += f->level_m;
		if (u >= 1) {
			h += f->shape == FEATURE_STEP ? f->rise_m : 0;
		} else {
			h += f->rise_m * (1 - cos(w * u)) / 2;
			slope += f->rise_m * w / (2 * f->length_m) * sin(w * u);
		}
	}
	if (c->loop_rise_m != 0)
		h += floor(x_m / c->loop_m) * c->loop_rise_m;
	*elevation_m = h;
	*grade = slope;
}

void sim_course_for_run(struct course *c, gsl_rng *r, uint64_t seed, unsigned index,
			enum sim_course kind)
{
	/* A mixed course is new every run; the others are routes, the same
	 * each time. */
	gsl_rng_set(r, kind == SIM_COURSE_MIXED
			       ? derive_seed(seed, index, STREAM_COURSE)
			       : derive_seed(seed, 0, STREAM_ROUTE + (unsigned)kind));
	switch (kind) {
	case SIM_COURSE_FLAT:
		course_level(c, 2000);
		break;
	case SIM_COURSE_TRACK:
		course_level(c, 400);
		break;
	case SIM_COURSE_ROLLING:
		course_rolling(c, r);
		break;
	case SIM_COURSE_CLIMB:
		course_climb(c, r);
		break;
	case SIM_COURSE_REPEATS:
		course_repeats(c, r);
		break;
	case SIM_COURSE_TREADMILL:
		course_treadmill(c, r);
		break;
	case SIM_COURSE_MIXED:
	case SIM_COURSE_COUNT:
		course_build(c, r);
		break;
	}
}
