// SPDX-License-Identifier: GPL-2.0-or-later
#include "clinical/pattern.h"

#include <gsl/gsl_blas.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_vector.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

/* Intercept and the exposures. */
#define COLUMNS (1 + PATTERN_EXPOSURES)
/* A verdict rests on two one-sided tests on the combined score: worse with
 * descents, worse with climbs. Each at 2.5 % (the 95 % interval lying above
 * zero) keeps the chance of either by luck at 5 % (Bonferroni). */
#define TERRAIN_TESTS 2
#define DECISION_ALPHA (0.05 / TERRAIN_TESTS) /* one-sided, per test */

static const char *const verdict_names[] = { "insufficient", "neither", "neural", "lumbar",
					     "both" };
static const char *const exposure_names[] = { "downhill",   "uphill", "speed",
					      "overstride", "load",   "length" };
static const char *const exposure_units[] = {
	"points per quarter of the run on descents",
	"points per quarter of the run on climbs",
	"points per 10 % faster than usual (grade-adjusted)",
	"points per 5 % longer stride on descents than usual",
	"points per 25 % longer than the longest run of the previous 30 days",
	"points per 25 % longer than the runner's median run",
};

const char *pattern_verdict_name(enum pattern_verdict v)
{
	return (unsigned)v < sizeof(verdict_names) / sizeof(verdict_names[0]) ? verdict_names[v]
									      : "insufficient";
}

bool pattern_verdict_from_name(const char *name, enum pattern_verdict *v)
{
	for (size_t i = 0; i < sizeof(verdict_names) / sizeof(verdict_names[0]); i++) {
		if (strcmp(name, verdict_names[i]) == 0) {
			*v = (enum pattern_verdict)i;
			return true;
		}
	}
	return false;
}

const char *pattern_verdict_words(enum pattern_verdict v)
{
	switch (v) {
	case PATTERN_NEURAL:
		return "resembles the neural pattern clinicians describe: worse with descents "
		       "(often with a longer stride or faster, and worse after the run than "
		       "during it)";
	case PATTERN_LUMBAR:
		return "resembles pain referred from the lower back: worse on climbs than on the "
		       "flat";
	case PATTERN_BOTH:
		return "shows features of both the neural and the lower-back pattern: worse "
		       "with descents and on climbs";
	case PATTERN_NEITHER:
		return "follows neither the neural nor the lower-back pattern: the runs rule out "
		       "a meaningful effect of descents or climbs";
	case PATTERN_INSUFFICIENT:
		break;
	}
	return "cannot be placed yet: the reports so far neither show a pattern nor rule "
	       "one out";
}

const char *pattern_exposure_name(enum pattern_exposure x)
{
	return (unsigned)x < PATTERN_EXPOSURES ? exposure_names[x] : "?";
}

const char *pattern_exposure_unit(enum pattern_exposure x)
{
	return (unsigned)x < PATTERN_EXPOSURES ? exposure_units[x] : "?";
}

const char *pattern_outcome_name(enum pattern_outcome o)
{
	return o == PATTERN_AFTER ? "after" : o == PATTERN_COMBINED ? "combined" : "during";
}

static const char *const caveats[] = {
	"This is an association to discuss with a physiotherapist or doctor, not a diagnosis.",
	"Hills and speed also provoke high hamstring tendinopathy, so worse uphill or faster "
	"does not by itself separate a lumbar or neural source from the tendon.",
	"Grade and speed are confounded (runners go faster downhill); the analysis holds "
	"them apart with grade-adjusted speed, which only partly removes the overlap.",
};

const char *const *pattern_caveats(size_t *n)
{
	*n = sizeof(caveats) / sizeof(caveats[0]);
	return caveats;
}

const char *pattern_need_text(enum pattern_need need, unsigned runs, char *buf, size_t size)
{
	static const char *const what[] = {
		"",
		"reported runs",
		"reported runs with a long descent or climbs",
		"reported runs with a long descent",
		"reported runs with climbs",
	};
	if (need == PATTERN_NEED_NOTHING || (unsigned)need >= sizeof(what) / sizeof(what[0]))
		snprintf(buf, size, "nothing");
	else
		snprintf(buf, size, "%u more %s", runs, what[need]);
	return buf;
}

static double finite_or(double v, double fallback)
{
	return isfinite(v) ? v : fallback;
}

double pattern_covariate(const struct exp_run *run, enum pattern_exposure x)
{
	switch (x) {
	case PATTERN_DOWNHILL:
		return run->down_share / 0.25;
	case PATTERN_UPHILL:
		return run->up_share / 0.25;
	case PATTERN_SPEED:
		return finite_or(run->speed_ratio - 1, 0) / 0.10;
	case PATTERN_OVERSTRIDE:
		return finite_or(run->overstride_pct, 0) / 5;
	case PATTERN_LOAD: {
		/* Only the part beyond the longest run of the previous 30 days: the
		 * jump that RUNSAFE relates to injury (shorter runs are not a
		 * lighter load in that sense). No reference counts as no jump; a
		 * run three times the longest is capped so it cannot lever the fit. */
		double r = finite_or(run->load_ratio - 1, 0);
		return fmin(fmax(r, 0), 2) / 0.25;
	}
	case PATTERN_LENGTH:
		/* Capped as load is, for the same reason. */
		return fmin(finite_or(run->length_ratio - 1, 0), 2) / 0.25;
	case PATTERN_EXPOSURES:
		break;
	}
	return NAN;
}

static double outcome_of(const struct pattern_report *r, enum pattern_outcome o)
{
	if (o == PATTERN_DURING)
		return r->during;
	if (o == PATTERN_AFTER)
		return r->after;
	if (isfinite(r->during) && isfinite(r->after))
		return (r->during + r->after) / 2;
	return isfinite(r->during) ? r->during : r->after;
}

static bool usable_report(const struct pattern_report *r)
{
	return r->run && isfinite(r->run->down_share) && isfinite(r->run->up_share);
}

static bool is_hilly(const struct exp_run *run)
{
	return run->down_share >= PATTERN_HILLY_SHARE || run->up_share >= PATTERN_HILLY_SHARE;
}

static void interval_unknown(struct pattern_interval *iv)
{
	*iv = (struct pattern_interval){ NAN, NAN, NAN, 0, NAN, false };
}

/* The standard normal deviate with the same upper-tail p-value as t on dof
 * degrees of freedom; the tails are clamped so that one extreme run cannot
 * make an infinite z. */
static double t_as_z(double t, double dof)
{
	if (!isfinite(t) || dof < 1)
		return NAN;
	double p = fmin(fmax(gsl_cdf_tdist_Q(t, dof), 1e-9), 1 - 1e-9);
	return gsl_cdf_ugaussian_Qinv(p);
}

/* Mean of d[0..n) with its Student t 95 % interval. */
static void mean_interval(const double *d, size_t n, struct pattern_interval *iv)
{
	interval_unknown(iv);
	iv->n = n;
	if (n < 3)
		return;
	double mean = 0, ss = 0;
	for (size_t i = 0; i < n; i++)
		mean += d[i] / (double)n;
	for (size_t i = 0; i < n; i++)
		ss += (d[i] - mean) * (d[i] - mean);
	double se = sqrt(ss / (double)(n - 1) / (double)n);
	double t = gsl_cdf_tdist_Qinv(0.025, (double)(n - 1));
	iv->effect = mean;
	iv->low = mean - t * se;
	iv->high = mean + t * se;
	/* All differences equal: no spread to judge by, so no test. */
	iv->z = se > 0 ? t_as_z(mean / se, (double)(n - 1)) : NAN;
}

/* The design: rows of usable reports with this outcome, columns kept. */
struct design {
	size_t n, p;
	int column[COLUMNS]; /* -1 intercept, else the exposure */
	gsl_matrix *x;
	gsl_vector *y;
};

/* An exposure that does not vary over the runs cannot be estimated, nor
 * one that only two or fewer runs had (a single long run would lever it). */
static bool varies(const struct pattern_report *r, size_t n, enum pattern_outcome o,
		   enum pattern_exposure x)
{
	double lo = INFINITY, hi = -INFINITY;
	size_t exposed = 0;
	for (size_t i = 0; i < n; i++) {
		if (!usable_report(&r[i]) || !isfinite(outcome_of(&r[i], o)))
			continue;
		double v = pattern_covariate(r[i].run, x);
		lo = fmin(lo, v);
		hi = fmax(hi, v);
		exposed += fabs(v) >= 0.4;
	}
	return hi - lo > 0.2 && exposed >= 3;
}

/*
 * The combined score, on which the terrain is decided, leaves the stride on
 * descents out. It is measured only inside the time on descents (zero on a
 * run without any), so it adds no information about climbing and is not a
 * confounder of it; but it stands apart from zero exactly on the runs that
 * set climbing apart from descending (a hill's repeats against a
 * treadmill's, a long descent against rolling ground), and in the model it
 * takes their contrast away from the grade shares: on the cohort it
 * widened the climbs' interval most of all the exposures. The during and
 * after fits keep it, so its effect is still estimated and shown.
 */
static bool in_model(enum pattern_outcome o, enum pattern_exposure x)
{
	return !(o == PATTERN_COMBINED && x == PATTERN_OVERSTRIDE);
}

static bool build_design(const struct pattern_report *r, size_t n, enum pattern_outcome o,
			 struct design *d)
{
	d->n = 0;
	d->p = 0;
	d->column[d->p++] = -1;
	for (int x = 0; x < PATTERN_EXPOSURES; x++)
		if (in_model(o, (enum pattern_exposure)x) &&
		    varies(r, n, o, (enum pattern_exposure)x))
			d->column[d->p++] = x;
	for (size_t i = 0; i < n; i++)
		if (usable_report(&r[i]) && isfinite(outcome_of(&r[i], o)))
			d->n++;
	if (d->n < d->p + 3)
		return false;
	d->x = gsl_matrix_alloc(d->n, d->p);
	d->y = gsl_vector_alloc(d->n);
	size_t row = 0;
	for (size_t i = 0; i < n; i++) {
		if (!usable_report(&r[i]) || !isfinite(outcome_of(&r[i], o)))
			continue;
		for (size_t j = 0; j < d->p; j++)
			gsl_matrix_set(
				d->x, row, j,
				d->column[j] < 0
					? 1.0
					: pattern_covariate(r[i].run,
							    (enum pattern_exposure)d->column[j]));
		gsl_vector_set(d->y, row, outcome_of(&r[i], o));
		row++;
	}
	return true;
}

static void free_design(struct design *d)
{
	gsl_matrix_free(d->x);
	gsl_vector_free(d->y);
}

/* (X'X)^-1 through Cholesky; false if the exposures are collinear. */
static bool inverse_gram(const gsl_matrix *x, gsl_matrix *inv)
{
	gsl_blas_dgemm(CblasTrans, CblasNoTrans, 1.0, x, x, 0.0, inv);
	gsl_set_error_handler_off();
	if (gsl_linalg_cholesky_decomp1(inv) != 0)
		return false;
	return gsl_linalg_cholesky_invert(inv) == 0;
}

/* The scores psi_i x_i / (1 - h_i), h_i = dpsi_i x_i' B^-1 x_i the leverage
 * (HC3's correction, for the M-estimator), with the lag-1 Newey-West cross
 * term: the meat of the sandwich, p x p. psi is the residual (least
 * squares) or its Huber-clipped value, dpsi its slope (1 or 0). */
static void sandwich_meat(const struct design *d, const double *psi, const double *dpsi,
			  const gsl_matrix *inv, gsl_matrix *meat)
{
	size_t n = d->n, p = d->p;
	gsl_matrix *score = gsl_matrix_calloc(n, p);
	gsl_vector *xi = gsl_vector_alloc(p), *tmp = gsl_vector_alloc(p);
	for (size_t i = 0; i < n; i++) {
		gsl_matrix_get_row(xi, d->x, i);
		gsl_blas_dsymv(CblasUpper, 1.0, inv, xi, 0.0, tmp);
		double h;
		gsl_blas_ddot(xi, tmp, &h);
		double scale = psi[i] / fmax(1 - dpsi[i] * h, 0.05);
		for (size_t j = 0; j < p; j++)
			gsl_matrix_set(score, i, j, scale * gsl_vector_get(xi, j));
	}
	gsl_matrix_set_zero(meat);
	for (size_t a = 0; a < p; a++) {
		for (size_t b = 0; b < p; b++) {
			double m = 0;
			for (size_t i = 0; i < n; i++) {
				m += gsl_matrix_get(score, i, a) * gsl_matrix_get(score, i, b);
				if (i > 0)
					m += 0.5 * (gsl_matrix_get(score, i, a) *
							    gsl_matrix_get(score, i - 1, b) +
						    gsl_matrix_get(score, i - 1, a) *
							    gsl_matrix_get(score, i, b));
			}
			gsl_matrix_set(meat, a, b, m);
		}
	}
	gsl_vector_free(xi);
	gsl_vector_free(tmp);
	gsl_matrix_free(score);
}

/* (X' diag(w) X)^-1, whole (both triangles); false if collinear. */
static bool weighted_inverse(const struct design *d, const double *w, gsl_matrix *inv)
{
	gsl_matrix *xw = gsl_matrix_alloc(d->n, d->p);
	for (size_t i = 0; i < d->n; i++)
		for (size_t j = 0; j < d->p; j++)
			gsl_matrix_set(xw, i, j, sqrt(w[i]) * gsl_matrix_get(d->x, i, j));
	bool ok = inverse_gram(xw, inv);
	gsl_matrix_free(xw);
	for (size_t a = 0; ok && a < d->p; a++)
		for (size_t b = 0; b < a; b++)
			gsl_matrix_set(inv, a, b, gsl_matrix_get(inv, b, a));
	return ok;
}

/* Least squares: beta, and the residuals as psi (with dpsi 1) for the
 * sandwich. Robust M-estimation (Huber) was tried and measured: on blocks
 * of about 25 runs its sandwich intervals were both wider and less often
 * right (the cohort's rate of true verdicts fell 2-3 points), so plain
 * least squares with robust errors it is. */
static bool least_squares(const struct design *d, gsl_matrix *inv, gsl_vector *beta, double *psi,
			  double *dpsi)
{
	for (size_t i = 0; i < d->n; i++)
		dpsi[i] = 1;
	if (!weighted_inverse(d, dpsi, inv))
		return false;
	gsl_vector *xty = gsl_vector_alloc(d->p);
	gsl_blas_dgemv(CblasTrans, 1.0, d->x, d->y, 0.0, xty);
	gsl_blas_dgemv(CblasNoTrans, 1.0, inv, xty, 0.0, beta);
	gsl_vector_free(xty);
	for (size_t i = 0; i < d->n; i++) {
		double fit = 0;
		for (size_t j = 0; j < d->p; j++)
			fit += gsl_matrix_get(d->x, i, j) * gsl_vector_get(beta, j);
		psi[i] = gsl_vector_get(d->y, i) - fit;
	}
	return true;
}

/* Fits one outcome; effects of exposures not estimated stay NAN. The
 * covariance is the sandwich (X'X)^-1 M (X'X)^-1, M the scores' (robust to
 * unequal and serially correlated errors). */
static bool fit_outcome(const struct pattern_report *r, size_t n, enum pattern_outcome o,
			struct pattern_interval effect[PATTERN_EXPOSURES])
{
	for (int x = 0; x < PATTERN_EXPOSURES; x++)
		interval_unknown(&effect[x]);
	struct design d;
	if (!build_design(r, n, o, &d))
		return false;
	size_t p = d.p;
	gsl_matrix *inv = gsl_matrix_alloc(p, p);
	gsl_vector *beta = gsl_vector_alloc(p);
	double *psi = xcalloc(d.n, sizeof(*psi)), *dpsi = xcalloc(d.n, sizeof(*dpsi));
	bool ok = least_squares(&d, inv, beta, psi, dpsi);
	if (ok) {
		gsl_matrix *meat = gsl_matrix_alloc(p, p), *half = gsl_matrix_alloc(p, p);
		gsl_matrix *cov = gsl_matrix_alloc(p, p);
		sandwich_meat(&d, psi, dpsi, inv, meat);
		gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, inv, meat, 0.0, half);
		gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, half, inv, 0.0, cov);
		double dof = (double)(d.n - p);
		double t95 = gsl_cdf_tdist_Qinv(0.025, dof);
		double tdec = gsl_cdf_tdist_Qinv(DECISION_ALPHA, dof);
		for (size_t j = 1; j < p; j++) {
			double b = gsl_vector_get(beta, j);
			double se = sqrt(fmax(gsl_matrix_get(cov, j, j), 0));
			/* Only the combined score's load decides (the terrain is
			 * decided by the tests that add the spans); the others
			 * are shown. */
			effect[d.column[j]] = (struct pattern_interval){
				b,
				b - t95 * se,
				b + t95 * se,
				d.n,
				se > 0 ? t_as_z(b / se, dof) : NAN,
				o == PATTERN_COMBINED &&
					(d.column[j] == PATTERN_LOAD ||
					 d.column[j] == PATTERN_LENGTH) &&
					b - tdec * se > 0,
			};
		}
		gsl_matrix_free(meat);
		gsl_matrix_free(half);
		gsl_matrix_free(cov);
	}
	free(psi);
	free(dpsi);
	gsl_vector_free(beta);
	gsl_matrix_free(inv);
	free_design(&d);
	return ok;
}

/* A later score minus the score during, paired over the runs with both. */
static void paired_minus_during(const struct pattern_report *r, size_t n, bool morning,
				struct pattern_interval *iv)
{
	double *d = xcalloc(n ? n : 1, sizeof(*d));
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		double later = morning ? r[i].next_morning : r[i].after;
		if (isfinite(r[i].during) && isfinite(later))
			d[m++] = later - r[i].during;
	}
	mean_interval(d, m, iv);
	free(d);
}

static void count_morning_worse(const struct pattern_report *r, size_t n,
				struct pattern_result *out)
{
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(r[i].next_morning) || !isfinite(r[i].during))
			continue;
		out->n_morning++;
		out->n_morning_worse += r[i].next_morning > r[i].during;
	}
}

/* The least-squares slope of y on x over the pairs with both, with its
 * 95 % interval (Student t on m - 2); unknown below 4 pairs or without
 * spread in x. */
static void slope_interval(const double *x, const double *y, size_t n, struct pattern_interval *iv)
{
	interval_unknown(iv);
	double sx = 0, sy = 0, sxx = 0, sxy = 0, syy = 0;
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(x[i]) || !isfinite(y[i]))
			continue;
		sx += x[i];
		sy += y[i];
		sxx += x[i] * x[i];
		sxy += x[i] * y[i];
		syy += y[i] * y[i];
		m++;
	}
	iv->n = m;
	double k = (double)m;
	double vx = sxx - sx * sx / k, cxy = sxy - sx * sy / k, vy = syy - sy * sy / k;
	if (m < 4 || vx <= 1e-9)
		return;
	double b = cxy / vx;
	double se = sqrt(fmax(vy - b * cxy, 0) / (k - 2) / vx);
	double t = gsl_cdf_tdist_Qinv(0.025, k - 2);
	iv->effect = b;
	iv->low = b - t * se;
	iv->high = b + t * se;
	iv->z = se > 0 ? t_as_z(b / se, k - 2) : NAN;
}

/* The slope of the combined score on one context value: an association
 * shown beside the verdict, not a part of it. */
static void context_slope(const struct pattern_report *r, size_t n, bool sitting,
			  struct pattern_interval *iv)
{
	double *x = xcalloc(n ? n : 1, sizeof(*x)), *y = xcalloc(n ? n : 1, sizeof(*y));
	for (size_t i = 0; i < n; i++) {
		x[i] = sitting ? r[i].sitting_hours : r[i].back_stiffness;
		y[i] = outcome_of(&r[i], PATTERN_COMBINED);
	}
	slope_interval(x, y, n, iv);
	free(x);
	free(y);
}

void pattern_rest_days(const struct pattern_day *days, size_t n, struct pattern_rest *out)
{
	size_t size = n ? n : 1;
	double *pain = xcalloc(size, sizeof(*pain)), *sit = xcalloc(size, sizeof(*sit));
	double *stiff = xcalloc(size, sizeof(*stiff));
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(days[i].pain))
			continue;
		pain[m] = days[i].pain;
		sit[m] = days[i].sitting_hours;
		stiff[m] = days[i].back_stiffness;
		m++;
	}
	out->n_days = m;
	mean_interval(pain, m, &out->pain);
	slope_interval(sit, pain, m, &out->sitting);
	slope_interval(stiff, pain, m, &out->stiffness);
	free(pain);
	free(sit);
	free(stiff);
}

/* Spans against the rest of their own run, so that a run that was all
 * descent does not count as enriched. */
static void span_enrichment(const struct pattern_report *r, size_t n, bool descents,
			    struct pattern_interval *iv)
{
	double *d = xcalloc(n ? n : 1, sizeof(*d));
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (!r[i].spans)
			continue;
		double in = exp_span_share(r[i].spans->span_time_s, descents);
		double out = exp_span_share(r[i].spans->rest_time_s, descents);
		if (isfinite(in) && isfinite(out))
			d[m++] = in - out;
	}
	mean_interval(d, m, iv);
	free(d);
}

static bool shown(const struct pattern_result *res, enum pattern_exposure x)
{
	return res->fitted[PATTERN_COMBINED] && res->effect[PATTERN_COMBINED][x].shown;
}

/*
 * One direction's test. Across runs and within runs are independent under
 * no effect (the first compares whole runs' scores, the second where in a
 * run the pain was, against that run's own time on each grade), so their
 * z add as Stouffer's: (z1 + z2) / sqrt 2, standard normal with no effect.
 * Either alone when the other is missing. The runs' regression is the
 * evidence every runner has; spans only strengthen or weaken it.
 */
/* The randomisation's grid: a run's excess share in steps of 1 %. */
#define EXCESS_STEP 0.01
#define EXCESS_HALF 100 /* bins each side of zero for one run */

/* Beyond this many informative runs the sum's null distribution is normal
 * enough (and the exact one costs runs squared). */
#define EXACT_MAX_RUNS 40

/* The normal approximation: the summed excess over the root of the summed
 * shift variances. */
static double span_normal_z(const struct pattern_report *r, size_t n, int d)
{
	double excess = 0, var = 0;
	for (size_t i = 0; i < n; i++) {
		const struct exp_span_split *sp = r[i].spans;
		if (!sp || !isfinite(sp->share[d]) || !(sp->null_var[d] >= 1e-6))
			continue;
		excess += sp->share[d] - sp->null_mean[d];
		var += sp->null_var[d];
	}
	return var > 0 ? excess / sqrt(var) : NAN;
}

/* One run's null distribution of its excess (share minus the shifts'
 * mean) on the grid, as probabilities; its observed excess in bins. */
static bool run_null(const struct exp_span_split *sp, int d, double *prob, long *observed)
{
	size_t valid = 0;
	for (int k = 0; k < EXP_NULL_SHIFTS; k++)
		valid += isfinite(sp->null_share[d][k]);
	if (!valid || !isfinite(sp->share[d]) || !(sp->null_var[d] >= 1e-6))
		return false;
	memset(prob, 0, (2 * EXCESS_HALF + 1) * sizeof(*prob));
	for (int k = 0; k < EXP_NULL_SHIFTS; k++) {
		if (!isfinite(sp->null_share[d][k]))
			continue;
		long bin = lround((sp->null_share[d][k] - sp->null_mean[d]) / EXCESS_STEP);
		prob[EXCESS_HALF + bin] += 1.0 / (double)valid;
	}
	*observed = lround((sp->share[d] - sp->null_mean[d]) / EXCESS_STEP);
	return true;
}

/*
 * Within runs: were the spans on the grade more than spans of the same
 * lengths at other moments of the same runs would be? Each run's excess
 * (its spans' share of time on the grade minus that share's mean over all
 * shifts of the spans around the run) is summed over runs, and the sum's
 * exact null distribution (the runs' shift distributions convolved) gives
 * the mid-p-value: a randomisation test, calibrated whatever the routes,
 * in which a run without the grade weighs nothing. Needs
 * PATTERN_MIN_SPAN_RUNS runs that could have shown it. Returned as z.
 */
static double span_randomisation_z(const struct pattern_report *r, size_t n, int d,
				   size_t *informative)
{
	size_t width = 2 * EXCESS_HALF + 1, span = 1;
	double one[2 * EXCESS_HALF + 1];
	*informative = 0;
	for (size_t i = 0; i < n; i++)
		*informative += r[i].spans && run_null(r[i].spans, d, one, &(long){ 0 });
	if (*informative > EXACT_MAX_RUNS)
		return span_normal_z(r, n, d);
	double *sum = xcalloc(width * (*informative + 1), sizeof(*sum));
	double *next = xcalloc(width * (*informative + 1), sizeof(*next));
	long observed = 0;
	sum[0] = 1; /* the sum's distribution, offset by EXCESS_HALF per run */
	size_t used = 0;
	for (size_t i = 0; i < n; i++) {
		long obs;
		if (!r[i].spans || !run_null(r[i].spans, d, one, &obs))
			continue;
		memset(next, 0, (span + width - 1) * sizeof(*next));
		for (size_t a = 0; a < span; a++)
			if (sum[a] > 0)
				for (size_t b = 0; b < width; b++)
					next[a + b] += sum[a] * one[b];
		span += width - 1;
		memcpy(sum, next, span * sizeof(*sum));
		observed += obs;
		used++;
	}
	double z = NAN;
	if (*informative >= PATTERN_MIN_SPAN_RUNS) {
		long at = observed + (long)(used * EXCESS_HALF);
		double above = 0, equal = 0;
		for (size_t k = 0; k < span; k++) {
			if ((long)k > at)
				above += sum[k];
			else if ((long)k == at)
				equal += sum[k];
		}
		double p = fmin(fmax(above + equal / 2, 1e-9), 1 - 1e-9);
		z = gsl_cdf_ugaussian_Qinv(p);
	}
	free(sum);
	free(next);
	return z;
}

static void direction_test(const struct pattern_interval *across, double z_within,
			   struct pattern_test *t)
{
	t->z_across = across->z;
	t->z_within = z_within;
	if (isfinite(t->z_across) && isfinite(t->z_within))
		t->z = (t->z_across + t->z_within) / sqrt(2);
	else
		t->z = isfinite(t->z_across) ? t->z_across : t->z_within;
	t->p = isfinite(t->z) ? gsl_cdf_ugaussian_Q(t->z) : NAN;
	t->shown = isfinite(t->p) && t->p < DECISION_ALPHA;
}

static void terrain_tests(struct pattern_result *res)
{
	struct pattern_interval none;
	interval_unknown(&none);
	const struct pattern_interval *down =
		res->fitted[PATTERN_COMBINED] ? &res->effect[PATTERN_COMBINED][PATTERN_DOWNHILL]
					      : &none;
	const struct pattern_interval *up = res->fitted[PATTERN_COMBINED]
						    ? &res->effect[PATTERN_COMBINED][PATTERN_UPHILL]
						    : &none;
	direction_test(down, res->z_spans[PATTERN_DESCENTS], &res->test[PATTERN_DESCENTS]);
	direction_test(up, res->z_spans[PATTERN_CLIMBS], &res->test[PATTERN_CLIMBS]);
	/* The intervals that decided are marked as such. */
	struct pattern_interval *marks[PATTERN_DIRECTIONS][2] = {
		{ &res->effect[PATTERN_COMBINED][PATTERN_DOWNHILL], &res->span_descent },
		{ &res->effect[PATTERN_COMBINED][PATTERN_UPHILL], &res->span_climb },
	};
	for (int d = 0; d < PATTERN_DIRECTIONS; d++)
		for (int k = 0; k < 2; k++)
			marks[d][k]->shown =
				res->test[d].shown && (k == 0 ? isfinite(res->test[d].z_across)
							      : isfinite(res->test[d].z_within));
}

/* Every fitted terrain interval rules out a meaningful effect. */
static bool terrain_ruled_out(const struct pattern_result *res)
{
	if (!res->fitted[PATTERN_COMBINED])
		return false;
	for (int x = PATTERN_DOWNHILL; x <= PATTERN_UPHILL; x++) {
		const struct pattern_interval *iv = &res->effect[PATTERN_COMBINED][x];
		if (!isfinite(iv->high) || iv->high >= PATTERN_MEANINGFUL_PER_UNIT)
			return false;
	}
	return true;
}

/* How many more runs would bring the most promising inconclusive terrain
 * test to the decision level, if the effect is real: z grows as the square
 * root of the runs. */
static void estimate_need(const struct pattern_result *res, struct pattern_result *out)
{
	double best_z = 0;
	int best = PATTERN_DESCENTS;
	size_t n = res->n_reports;
	for (int d = 0; d < PATTERN_DIRECTIONS; d++) {
		if (isfinite(res->test[d].z) && res->test[d].z > best_z) {
			best_z = res->test[d].z;
			best = d;
		}
	}
	double crit = gsl_cdf_ugaussian_Qinv(DECISION_ALPHA);
	out->need = best == PATTERN_DESCENTS ? PATTERN_NEED_DESCENTS : PATTERN_NEED_CLIMBS;
	if (best_z <= 0.5) {
		/* Nothing leans either way: enough runs to rule a meaningful
		 * effect out, on any hilly routes. */
		out->need = PATTERN_NEED_HILLY;
		out->needed_runs = (unsigned)(n / 2 + 2);
		return;
	}
	double more = (double)n * (crit / best_z) * (crit / best_z) - (double)n;
	out->needed_runs = (unsigned)fmin(fmax(ceil(more), 2), 60);
}

static size_t count_usable(const struct pattern_report *r, size_t n, size_t *hilly)
{
	size_t m = 0;
	*hilly = 0;
	for (size_t i = 0; i < n; i++) {
		if (!usable_report(&r[i]) || (!isfinite(r[i].during) && !isfinite(r[i].after)))
			continue;
		m++;
		if (is_hilly(r[i].run))
			(*hilly)++;
	}
	return m;
}

static void decide(struct pattern_result *res)
{
	res->need = PATTERN_NEED_NOTHING;
	res->needed_runs = 0;
	if (res->n_reports < PATTERN_MIN_REPORTS) {
		res->verdict = PATTERN_INSUFFICIENT;
		res->need = PATTERN_NEED_RUNS;
		res->needed_runs = (unsigned)(PATTERN_MIN_REPORTS - res->n_reports);
		if (res->n_hilly + res->needed_runs < PATTERN_MIN_HILLY)
			res->need = PATTERN_NEED_HILLY;
		size_t hilly_short =
			res->n_hilly < PATTERN_MIN_HILLY ? PATTERN_MIN_HILLY - res->n_hilly : 0;
		if (hilly_short > res->needed_runs)
			res->needed_runs = (unsigned)hilly_short;
		return;
	}
	if (res->n_hilly < PATTERN_MIN_HILLY) {
		res->verdict = PATTERN_INSUFFICIENT;
		res->need = PATTERN_NEED_HILLY;
		res->needed_runs = (unsigned)(PATTERN_MIN_HILLY - res->n_hilly);
		return;
	}
	bool neural = res->test[PATTERN_DESCENTS].shown;
	bool lumbar = res->test[PATTERN_CLIMBS].shown;
	if (neural && lumbar)
		res->verdict = PATTERN_BOTH;
	else if (neural)
		res->verdict = PATTERN_NEURAL;
	else if (lumbar)
		res->verdict = PATTERN_LUMBAR;
	else if (terrain_ruled_out(res))
		res->verdict = PATTERN_NEITHER;
	else {
		res->verdict = PATTERN_INSUFFICIENT;
		estimate_need(res, res);
	}
}

void pattern_analyse(const struct pattern_report *reports, size_t n, struct pattern_result *out)
{
	memset(out, 0, sizeof(*out));
	out->n_reports = count_usable(reports, n, &out->n_hilly);
	for (int o = 0; o < PATTERN_OUTCOMES; o++)
		out->fitted[o] = fit_outcome(reports, n, (enum pattern_outcome)o, out->effect[o]);
	paired_minus_during(reports, n, false, &out->after_minus_during);
	paired_minus_during(reports, n, true, &out->morning_minus_during);
	count_morning_worse(reports, n, out);
	context_slope(reports, n, true, &out->sitting);
	context_slope(reports, n, false, &out->stiffness);
	span_enrichment(reports, n, true, &out->span_descent);
	span_enrichment(reports, n, false, &out->span_climb);
	out->load = shown(out, PATTERN_LOAD) || shown(out, PATTERN_LENGTH);
	for (int d = 0; d < PATTERN_DIRECTIONS; d++)
		out->z_spans[d] = span_randomisation_z(reports, n, d, &out->n_span_runs[d]);
	terrain_tests(out);
	decide(out);
}
