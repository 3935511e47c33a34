// SPDX-License-Identifier: GPL-2.0-or-later
#include "cohort.h"

#include <gsl/gsl_randist.h>
#include <math.h>
#include <string.h>

#define DAY_US (24LL * 3600 * 1000000)
#define T0 1788000000000000LL /* 2026-08-29 */

enum route { FLAT, ROLLING, LONG_DESCENT, CLIMB_REPEATS, TRACK, ROUTES };

const char *cohort_mechanism_name(enum cohort_mechanism m)
{
	static const char *const names[] = { "neural", "lumbar", "load", "none" };
	return (unsigned)m < COHORT_MECHANISMS ? names[m] : "?";
}

enum pattern_verdict cohort_expected(enum cohort_mechanism m)
{
	return m == COHORT_NEURAL   ? PATTERN_NEURAL
	       : m == COHORT_LUMBAR ? PATTERN_LUMBAR
				    : PATTERN_NEITHER;
}

static bool load_is_step(const struct cohort_variant *v)
{
	return v->load_by_distance && v->load_step_ratio > 1;
}

double cohort_truth(const struct cohort_runner *r, enum pattern_outcome o, enum pattern_exposure x)
{
	/* A variant whose load pain follows the run's length: the load's
	 * effect is the length's, and the jump has none. */
	if (r->variant->load_by_distance && (x == PATTERN_LOAD || x == PATTERN_LENGTH)) {
		if (x == PATTERN_LOAD)
			return 0;
		if (load_is_step(r->variant))
			return NAN; /* no linear effect to cover */
		x = PATTERN_LOAD;
	}
	if (o == PATTERN_COMBINED)
		return (r->beta[PATTERN_DURING][x] + r->beta[PATTERN_AFTER][x]) / 2;
	return r->beta[o][x];
}

/* A route piece: length and grade. */
struct piece {
	double length_m, grade_pct;
};

/* How many pieces of step_m it takes to cover length_m. */
static unsigned pieces(double length_m, double step_m)
{
	return (unsigned)ceil(length_m / step_m);
}

static size_t route_pieces(enum route r, double km, struct piece *p, gsl_rng *rng)
{
	size_t n = 0;
	switch (r) {
	case FLAT:
	case TRACK:
		for (unsigned k = 0; k < pieces(km * 1000, 1000) && n < COHORT_MAX_SEGS; k++)
			p[n++] = (struct piece){ 1000, gsl_ran_gaussian(rng, 0.5) };
		break;
	case ROLLING:
		for (unsigned k = 0; k < pieces(km * 1000, 400) && n < COHORT_MAX_SEGS; k++)
			p[n++] = (struct piece){ 400, (n % 3 == 0   ? 3.5
						       : n % 3 == 1 ? -3.5
								    : 0.5) +
							      gsl_ran_gaussian(rng, 0.5) };
		break;
	case LONG_DESCENT: {
		/* Driven up: flat, a long steady descent, flat home. */
		double descent_km = km * gsl_ran_flat(rng, 0.4, 0.6);
		double flat_km = (km - descent_km) / 2;
		p[n++] = (struct piece){ flat_km * 1000, 0.5 };
		for (unsigned k = 0; k < pieces(descent_km * 1000, 500) && n < COHORT_MAX_SEGS - 1;
		     k++)
			p[n++] = (struct piece){ 500, -gsl_ran_flat(rng, 4, 8) };
		p[n++] = (struct piece){ flat_km * 1000, -0.5 };
		break;
	}
	case CLIMB_REPEATS: {
		/* On a hill, jogging back down; or on a treadmill's incline,
		 * recovering on the flat. */
		bool treadmill = gsl_rng_uniform(rng) < 0.5;
		p[n++] = (struct piece){ 2000, 0.3 };
		unsigned reps = (unsigned)(km - 3) > 12 ? 12 : (unsigned)(km - 3);
		for (unsigned i = 0; i < reps && n + 3 < COHORT_MAX_SEGS; i++) {
			p[n++] = (struct piece){ 500, gsl_ran_flat(rng, 5, 9) };
			p[n++] = (struct piece){ 500, treadmill ? 0 : -gsl_ran_flat(rng, 2, 3) };
		}
		p[n++] = (struct piece){ 1000, -0.3 };
		break;
	}
	case ROUTES:
		break;
	}
	return n;
}

/* Running faster downhill and slower uphill, at the day's effort. */
static double segment_speed(double flat_mps, double grade_pct)
{
	double g = fmax(fmin(grade_pct, 10), -10);
	return flat_mps * (g < 0 ? 1 - 0.02 * g : 1 - 0.04 * g);
}

static void make_run(gsl_rng *rng, enum route route, double km, double effort,
		     double overstride_tendency, int64_t start_us, struct cohort_run *run)
{
	struct piece p[COHORT_MAX_SEGS];
	size_t n = route_pieces(route, km, p, rng);
	int64_t t = start_us;
	double day_stride = gsl_ran_gaussian(rng, 0.02);
	for (size_t i = 0; i < n; i++) {
		struct seg_segment *s = &run->segs[i];
		memset(s, 0, sizeof(*s));
		double flat_mps = 3.2 * effort * (1 + gsl_ran_gaussian(rng, 0.01));
		double v = segment_speed(flat_mps, p[i].grade_pct);
		s->cls = seg_classify(p[i].grade_pct,
				      &(struct seg_thresholds)SEG_THRESHOLDS_DEFAULT);
		s->length_m = p[i].length_m;
		s->duration_s = p[i].length_m / v;
		s->start_us = t;
		t += (int64_t)(s->duration_s * 1e6);
		s->end_us = t;
		s->grade_pct = p[i].grade_pct;
		s->elevation_change_m = p[i].length_m * p[i].grade_pct / 100;
		s->speed_mps = v;
		s->gap_s_per_km = 1000 / flat_mps;
		s->cadence_spm = 172 + 6 * (effort - 1) / 0.1 + gsl_ran_gaussian(rng, 1.5);
		double descent = p[i].grade_pct < -2 ? -p[i].grade_pct : 0;
		s->stride_ratio = 1 + day_stride + overstride_tendency * descent / 100 +
				  gsl_ran_gaussian(rng, 0.01);
		s->stride_m = 2 * v * 60 / s->cadence_spm;
		s->heart_rate_bpm = NAN;
	}
	run->n_segs = n;
	run->route = route;
	exp_summarise_run(run->segs, n, start_us, &run->exp);
}

/* The week's plan: days and routes; the long run sometimes jumps. */
static void plan_week(gsl_rng *rng, unsigned week, const struct cohort_variant *v,
		      struct cohort_runner *r, int64_t *when)
{
	static const enum route midweek[] = { ROLLING, CLIMB_REPEATS, TRACK, FLAT };
	static const unsigned days[] = { 0, 2, 3, 5 };
	for (unsigned k = 0; k < 4 && r->n_runs < COHORT_MAX_RUNS; k++) {
		enum route route;
		double km, effort = 1 + gsl_ran_gaussian(rng, 0.04);
		if (k == 3) {
			route = gsl_rng_uniform(rng) < v->long_descent_rate ? LONG_DESCENT : FLAT;
			km = 14 * (gsl_rng_uniform(rng) < 0.3 ? gsl_ran_flat(rng, 1.2, 1.7)
							      : gsl_ran_flat(rng, 0.8, 1.05));
			effort -= 0.05;
		} else {
			route = k == 0 ? FLAT : midweek[gsl_rng_uniform_int(rng, 4)];
			km = gsl_ran_flat(rng, 6, 10);
			if (route == TRACK)
				effort += gsl_ran_flat(rng, 0.05, 0.2);
		}
		int64_t start = T0 + (int64_t)(week * 7 + days[k]) * DAY_US +
				(int64_t)(gsl_ran_flat(rng, 6, 19) * 3600e6);
		make_run(rng, route, km, effort, 1.0 + gsl_ran_flat(rng, -0.5, 0.5), start,
			 &r->runs[r->n_runs++]);
		*when = start;
	}
}

static void draw_effects(gsl_rng *rng, enum cohort_mechanism m, const struct cohort_variant *v,
			 struct cohort_runner *r)
{
	memset(r->beta, 0, sizeof(r->beta));
	double(*b)[PATTERN_EXPOSURES] = r->beta;
	switch (m) {
	case COHORT_NEURAL:
		/* Smallest: 2 points for half the run downhill (Farrar's meaningful
		 * change), worse after than during. */
		b[PATTERN_DURING][PATTERN_DOWNHILL] = gsl_ran_flat(rng, 1.0, 2.0);
		b[PATTERN_DURING][PATTERN_SPEED] = gsl_ran_flat(rng, 0.3, 0.8);
		b[PATTERN_DURING][PATTERN_OVERSTRIDE] = gsl_ran_flat(rng, 0.1, 0.4);
		b[PATTERN_AFTER][PATTERN_DOWNHILL] = 1.3 * b[PATTERN_DURING][PATTERN_DOWNHILL];
		b[PATTERN_AFTER][PATTERN_SPEED] = b[PATTERN_DURING][PATTERN_SPEED];
		b[PATTERN_AFTER][PATTERN_OVERSTRIDE] = b[PATTERN_DURING][PATTERN_OVERSTRIDE];
		break;
	case COHORT_LUMBAR:
		b[PATTERN_DURING][PATTERN_UPHILL] = gsl_ran_flat(rng, 1.0, 2.0);
		b[PATTERN_AFTER][PATTERN_UPHILL] = 0.8 * b[PATTERN_DURING][PATTERN_UPHILL];
		break;
	case COHORT_LOAD:
		b[PATTERN_DURING][PATTERN_LOAD] = gsl_ran_flat(rng, 0.8, 1.5);
		b[PATTERN_AFTER][PATTERN_LOAD] = 1.2 * b[PATTERN_DURING][PATTERN_LOAD];
		break;
	case COHORT_NONE:
	case COHORT_MECHANISMS:
		break;
	}
	for (int o = 0; o < PATTERN_OUTCOMES; o++)
		for (int x = 0; x < PATTERN_EXPOSURES; x++)
			b[o][x] *= v->effect_scale;
}

static double score(double latent)
{
	return fmin(fmax(round(latent), 0), 10);
}

/* A stretch of a few minutes around a moment drawn uniformly over the
 * run's time: pain that comes and goes whatever the terrain. */
static struct exp_span span_anywhere(gsl_rng *rng, const struct cohort_run *run)
{
	const struct seg_segment *last = &run->segs[run->n_segs - 1];
	double total = (double)(last->end_us - run->exp.start_us) / 1e6;
	double mid = gsl_ran_flat(rng, 0, total), half = gsl_ran_flat(rng, 60, 240);
	return (struct exp_span){ fmax(mid - half, 0), fmin(mid + half, total) };
}

/* A span when it hurt: for a terrain mechanism, usually the run's first
 * stretch of the provoking grade (the runner notices it there); otherwise,
 * and for the other mechanisms, anywhere in the run's time. */
static void report_span(gsl_rng *rng, const struct cohort_runner *r, size_t i,
			const struct cohort_variant *v, struct exp_span_split *out)
{
	const struct cohort_run *run = &r->runs[i];
	bool down = r->mechanism == COHORT_NEURAL, up = r->mechanism == COHORT_LUMBAR;
	struct exp_span span = span_anywhere(rng, run);
	if ((down || up) && gsl_rng_uniform(rng) < v->span_on_grade) {
		for (size_t k = 0; k < run->n_segs; k++) {
			enum seg_class c = run->segs[k].cls;
			bool hit = down ? (c == SEG_DOWN || c == SEG_STEEP_DOWN)
					: (c == SEG_UP || c == SEG_STEEP_UP);
			if (!hit)
				continue;
			const struct seg_segment *s = &run->segs[k];
			double from = (double)(s->start_us - run->exp.start_us) / 1e6;
			double to = (double)(s->end_us - run->exp.start_us) / 1e6;
			span = (struct exp_span){ fmax(from + gsl_ran_flat(rng, -30, 30), 0),
						  to + gsl_ran_flat(rng, -30, 30) };
			break;
		}
	}
	exp_split_spans(run->segs, run->n_segs, run->exp.start_us, &span, 1, out);
}

static void report_pain(gsl_rng *rng, const struct cohort_variant *v, struct cohort_runner *r)
{
	double base = gsl_ran_flat(rng, 2.0, 3.5), flare = 0;
	r->n_reports = 0;
	for (size_t i = 0; i < r->n_runs; i++) {
		const struct exp_run *e = &r->runs[i].exp;
		flare = 0.5 * flare + gsl_ran_gaussian(rng, 0.6 * v->noise_scale);
		double bad = gsl_rng_uniform(rng) < 0.05 ? gsl_ran_flat(rng, 2, 4) : 0;
		double latent[PATTERN_OUTCOMES];
		for (int o = 0; o <= PATTERN_AFTER; o++) {
			latent[o] =
				base + flare + bad + gsl_ran_gaussian(rng, 0.7 * v->noise_scale);
			for (int x = 0; x < PATTERN_EXPOSURES; x++) {
				/* A load variant's pain follows the run's length
				 * against the runner's median, not the jump. */
				enum pattern_exposure cx = x == PATTERN_LOAD && v->load_by_distance
								   ? PATTERN_LENGTH
								   : (enum pattern_exposure)x;
				double c = pattern_covariate(e, cx);
				if (x == PATTERN_LOAD && load_is_step(v))
					c = e->length_ratio > v->load_step_ratio ? 2 : 0;
				latent[o] += r->beta[o][x] * c;
			}
		}
		if (gsl_rng_uniform(rng) < 0.2)
			continue; /* forgot to log the run */
		r->during[i] = score(latent[PATTERN_DURING]);
		r->after[i] = gsl_rng_uniform(rng) < 0.1 ? NAN : score(latent[PATTERN_AFTER]);
		r->has_span[i] = r->during[i] >= 3 && gsl_rng_uniform(rng) < v->span_rate;
		if (r->has_span[i])
			report_span(rng, r, i, v, &r->split[i]);
		r->reports[r->n_reports++] = (struct pattern_report){
			e,   r->during[i], r->after[i], r->has_span[i] ? &r->split[i] : NULL,
			NAN, NAN,          NAN
		};
	}
}

const struct cohort_variant cohort_base = COHORT_BASE;

void cohort_runner_make(gsl_rng *rng, enum cohort_mechanism m, unsigned weeks,
			struct cohort_runner *out)
{
	cohort_runner_make_variant(rng, m, weeks, &cohort_base, out);
}

void cohort_runner_make_variant(gsl_rng *rng, enum cohort_mechanism m, unsigned weeks,
				const struct cohort_variant *v, struct cohort_runner *out)
{
	memset(out, 0, sizeof(*out));
	out->mechanism = m;
	out->variant = v;
	draw_effects(rng, m, v, out);
	int64_t when = 0;
	for (unsigned w = 0; w < weeks && w < COHORT_MAX_RUNS / 4; w++)
		plan_week(rng, w, v, out, &when);
	struct exp_run exps[COHORT_MAX_RUNS];
	for (size_t i = 0; i < out->n_runs; i++)
		exps[i] = out->runs[i].exp;
	exp_relate_runs(exps, out->n_runs);
	for (size_t i = 0; i < out->n_runs; i++)
		out->runs[i].exp = exps[i];
	report_pain(rng, v, out);
}

void cohort_truncate(struct cohort_runner *r, size_t n)
{
	if (n < r->n_reports)
		r->n_reports = n;
}
