// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The simulated courses: a loop of hills, valleys and climbs to plateaus,
 * drawn from the seed, with a ripple over it.
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
	double k = 2 * M_PI / c->ripple_wavelength_m;
	double h = c->ripple_m * sin(k * xm), slope = c->ripple_m * k * cos(k * xm);
	const struct course_feature *f = course_find(c, xm);

	if (f) {
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
	*elevation_m = h;
	*grade = slope;
}

void sim_course_for_run(struct course *c, gsl_rng *r, uint64_t seed, unsigned index)
{
	gsl_rng_set(r, derive_seed(seed, index, STREAM_COURSE));
	course_build(c, r);
}
