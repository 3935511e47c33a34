// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The cohort sweep and power analysis: for each mechanism, many simulated
 * runners, their verdicts against the truth at each number of reported
 * runs, and how often the 95 % intervals cover the true effects. Prints
 * the figures; fails if a load-driven or no-mechanism runner gets a neural
 * or lumbar verdict more than 5 % of the time, or the 95 % intervals cover
 * the truth outside 90-97 % of the time; and, over 16 weeks or more (about
 * 50 reported runs), if the neural or lumbar verdict is right less than
 * 90 % of the time. Eight weeks (about 25 reported runs) are too few for
 * that with the smallest meaningful effect: the figures say how far.
 *
 * Usage: cohort_sweep [RUNNERS_PER_MECHANISM [SEED [WEEKS [VARIANT]]]]
 * (WEEKS 8 by default, the brief's block; up to 16 for the power curve).
 * VARIANT changes the cohort so that the verdicts are seen not to hang on
 * this simulator's own constants: base, half-effects, noisy (noise x1.5),
 * no-spans, few-spans (a fifth of painful runs, half on the grade),
 * flat-long (the long run a descent one week in five), load-distance (load
 * pain follows the run's length against the usual, not the 30-day jump:
 * the long runs are often hilly, so this is the trap for a terrain verdict),
 * load-long-only (as load-distance, but only the runs 30 % over the median
 * hurt, by a step: a form the linear length term does not fit, kept out
 * of the suite as the README's limit, not a bar the analysis meets).
 * The 90 % bar on right verdicts is checked (at 8 weeks or more, base
 * cohort only) over the runners the issue counts: those with at least
 * PATTERN_MIN_HILLY reported hilly runs.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cohort.h"

struct tally {
	unsigned runners, right, terrain_verdict, insufficient, load_flag;
	unsigned covered, intervals;
};

static bool covers(const struct pattern_interval *iv, double truth)
{
	return iv->low <= truth && truth <= iv->high;
}

static void score_runner(const struct cohort_runner *r, const struct pattern_result *res,
			 struct tally *t)
{
	t->runners++;
	if (res->verdict == cohort_expected(r->mechanism))
		t->right++;
	if (res->verdict == PATTERN_NEURAL || res->verdict == PATTERN_LUMBAR ||
	    res->verdict == PATTERN_BOTH)
		t->terrain_verdict++;
	if (res->verdict == PATTERN_INSUFFICIENT)
		t->insufficient++;
	if (res->load)
		t->load_flag++;
	for (int o = 0; o < PATTERN_OUTCOMES; o++) {
		if (!res->fitted[o])
			continue;
		for (int x = 0; x < PATTERN_EXPOSURES; x++) {
			const struct pattern_interval *iv = &res->effect[o][x];
			double truth =
				cohort_truth(r, (enum pattern_outcome)o, (enum pattern_exposure)x);
			if (!isfinite(iv->low) || !isfinite(truth))
				continue;
			t->intervals++;
			t->covered += covers(iv, truth);
		}
	}
}

/* The false verdicts of a mechanism with no terrain effect, by kind, and
 * the two tests' z over all its runners (full reports): with a well-set
 * model each z is about standard normal, and a mean that grows with the
 * weeks is a mis-specified exposure leaking into the grade. */
struct false_tally {
	unsigned verdict[PATTERN_BOTH + 1];
	double sum[PATTERN_DIRECTIONS][3], sum2[PATTERN_DIRECTIONS][3];
	unsigned n[PATTERN_DIRECTIONS][3];
};

static void tally_false(const struct pattern_result *res, struct false_tally *f)
{
	f->verdict[res->verdict]++;
	for (int d = 0; d < PATTERN_DIRECTIONS; d++) {
		const struct pattern_test *t = &res->test[d];
		const double z[3] = { t->z_across, t->z_within, t->z };
		for (int k = 0; k < 3; k++) {
			if (!isfinite(z[k]))
				continue;
			f->sum[d][k] += z[k];
			f->sum2[d][k] += z[k] * z[k];
			f->n[d][k]++;
		}
	}
}

static void print_false(const char *mech, const struct false_tally *f)
{
	printf("%-7s false verdicts: neural %u, lumbar %u, both %u; z mean (sd):", mech,
	       f->verdict[PATTERN_NEURAL], f->verdict[PATTERN_LUMBAR], f->verdict[PATTERN_BOTH]);
	static const char *const dir[] = { "descents", "climbs" };
	static const char *const kind[] = { "across", "within", "together" };
	for (int d = 0; d < PATTERN_DIRECTIONS; d++) {
		printf("%s %s", d ? ";" : "", dir[d]);
		for (int k = 0; k < 3; k++) {
			double n = f->n[d][k], mean = n ? f->sum[d][k] / n : NAN;
			double sd = n ? sqrt(fmax(f->sum2[d][k] / n - mean * mean, 0)) : NAN;
			printf(" %s %+.2f (%.2f)", kind[k], mean, sd);
		}
	}
	printf("\n");
}

static size_t hilly_reports(const struct cohort_runner *r)
{
	size_t h = 0;
	for (size_t i = 0; i < r->n_reports; i++)
		h += r->reports[i].run->down_share >= PATTERN_HILLY_SHARE ||
		     r->reports[i].run->up_share >= PATTERN_HILLY_SHARE;
	return h;
}

struct named_variant {
	const char *name;
	struct cohort_variant v;
};

static const struct named_variant variants[] = {
	{ "base", COHORT_BASE },
	{ "half-effects", { 0.5, 1.0, 0.5, 0.8, 0.5, false, 0 } },
	{ "noisy", { 1.0, 1.5, 0.5, 0.8, 0.5, false, 0 } },
	{ "no-spans", { 1.0, 1.0, 0.0, 0.8, 0.5, false, 0 } },
	{ "few-spans", { 1.0, 1.0, 0.2, 0.5, 0.5, false, 0 } },
	{ "flat-long", { 1.0, 1.0, 0.5, 0.8, 0.2, false, 0 } },
	{ "load-distance", { 1.0, 1.0, 0.5, 0.8, 0.5, true, 0 } },
	{ "load-long-only", { 1.0, 1.0, 0.5, 0.8, 0.5, true, 1.3 } },
};

static const struct named_variant *find_variant(const char *name)
{
	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++)
		if (strcmp(variants[i].name, name) == 0)
			return &variants[i];
	return NULL;
}

static const size_t steps[] = { 8, 12, 16, 20, 24, 30, 36, 42, 1000 };
#define STEPS (sizeof(steps) / sizeof(steps[0]))

int main(int argc, char **argv)
{
	unsigned per = argc > 1 ? (unsigned)atoi(argv[1]) : 300;
	unsigned long seed = argc > 2 ? strtoul(argv[2], NULL, 10) : 20261207;
	unsigned weeks = argc > 3 ? (unsigned)atoi(argv[3]) : 8;
	const struct named_variant *variant = find_variant(argc > 4 ? argv[4] : "base");
	if (!variant) {
		fprintf(stderr, "cohort_sweep: no variant '%s'\n", argv[4]);
		return 2;
	}
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, seed);
	static struct tally tally[COHORT_MECHANISMS][STEPS];
	static struct cohort_runner r;
	unsigned qualifying[COHORT_MECHANISMS] = { 0 }, qualifying_right[COHORT_MECHANISMS] = { 0 };
	double reports_sum[COHORT_MECHANISMS] = { 0 };
	static struct false_tally false_tally[COHORT_MECHANISMS];
	for (int m = 0; m < COHORT_MECHANISMS; m++) {
		for (unsigned k = 0; k < per; k++) {
			cohort_runner_make_variant(rng, (enum cohort_mechanism)m, weeks,
						   &variant->v, &r);
			size_t full = r.n_reports;
			reports_sum[m] += (double)full;
			for (size_t s = STEPS; s-- > 0;) {
				cohort_truncate(&r, steps[s]);
				/* Scored only where the runner has reported the
				 * runs: a truncation past them is the full set. */
				if (steps[s] != 1000 && steps[s] > full)
					continue;
				struct pattern_result res;
				pattern_analyse(r.reports, r.n_reports, &res);
				if (steps[s] == 1000 && m >= COHORT_LOAD)
					tally_false(&res, &false_tally[m]);
				if (steps[s] == 1000 && hilly_reports(&r) >= PATTERN_MIN_HILLY) {
					qualifying[m]++;
					qualifying_right[m] +=
						res.verdict == cohort_expected(r.mechanism);
				}
				score_runner(&r, &res, &tally[m][s]);
			}
		}
	}
	printf("cohort sweep: %u runners per mechanism, %u weeks, seed %lu, variant %s\n", per,
	       weeks, seed, variant->name);
	printf("%-7s %8s %7s %7s %9s %8s %6s %8s\n", "mech", "reports", "runners", "right",
	       "neur/lumb", "insuff", "load", "cover95");
	bool ok = true;
	bool base = strcmp(variant->name, "base") == 0;
	for (int m = 0; m < COHORT_MECHANISMS; m++) {
		for (size_t s = 0; s < STEPS; s++) {
			const struct tally *t = &tally[m][s];
			if (!t->runners)
				continue;
			char label[16];
			if (steps[s] == 1000)
				snprintf(label, sizeof(label), "all~%.0f", reports_sum[m] / per);
			else
				snprintf(label, sizeof(label), "%zu", steps[s]);
			printf("%-7s %8s %7u %6.1f%% %8.1f%% %7.1f%% %5.1f%% %7.1f%%\n",
			       cohort_mechanism_name((enum cohort_mechanism)m), label, t->runners,
			       100.0 * t->right / t->runners,
			       100.0 * t->terrain_verdict / t->runners,
			       100.0 * t->insufficient / t->runners,
			       100.0 * t->load_flag / t->runners,
			       t->intervals ? 100.0 * t->covered / t->intervals : NAN);
		}
		printf("%-7s runners with >= %d hilly reported runs: %u of %u, right %.1f%%\n",
		       cohort_mechanism_name((enum cohort_mechanism)m), PATTERN_MIN_HILLY,
		       qualifying[m], per,
		       qualifying[m] ? 100.0 * qualifying_right[m] / qualifying[m] : NAN);
		if (m >= COHORT_LOAD)
			print_false(cohort_mechanism_name((enum cohort_mechanism)m),
				    &false_tally[m]);
		const struct tally *full = &tally[m][STEPS - 1];
		double right = qualifying[m] ? (double)qualifying_right[m] / qualifying[m] : 0;
		double terrain = (double)full->terrain_verdict / full->runners;
		double cover = full->intervals ? (double)full->covered / full->intervals : NAN;
		if (base && weeks >= 16 && m <= COHORT_LUMBAR && right < 0.90)
			ok = false;
		/* The base cohort is held to 5 %; a variant, measured on the
		 * same few hundred runners, to 5 % plus two binomial standard
		 * errors (its figure is reported either way). */
		double slack = base ? 0 : 2 * sqrt(0.05 * 0.95 / full->runners);
		if (m >= COHORT_LOAD && terrain > 0.05 + slack)
			ok = false;
		if (cover < 0.90 || cover > 0.97)
			ok = false;
	}
	gsl_rng_free(rng);
	if (!ok)
		fprintf(stderr, "cohort sweep: a figure is outside its bound (seed %lu)\n", seed);
	return ok ? 0 : 1;
}
