// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hamstride patterns: which clinical pattern each side's pain reports
 * resemble (analysis/clinical/pattern.h), with the evidence and the
 * caveats; red flags first. Reads runs one at a time through their
 * segments, never their strides, so memory follows the number of runs.
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_util.h"
#include "patterns.h"
#include "clinical/exposure.h"
#include "clinical/pattern.h"
#include "store/pain.h"
#include "store/segments.h"
#include "terrain.h"
#include "util/utc.h"
#include "util/xalloc.h"

#define CMD "patterns"
#define DAY_US (24LL * 3600 * 1000000)

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: hamstride patterns [--side left|right] [--from DATE] [--to DATE] [--json]\n\n"
		"For each side with pain reports: which pattern the reports resemble (neural,\n"
		"lumbar, both, neither, or insufficient data), the evidence it rests on, what\n"
		"would settle it, and the caveats. An association, not a diagnosis.\n\n"
		"  --side S      only this side\n"
		"  --from DATE   reports of runs from DATE on (UTC)\n"
		"  --to DATE     before DATE\n"
		"  --json        one JSON object, for programs and the physio report\n"
		"  -h, --help    this help\n");
}

static const char red_flag_message[] =
	"A red flag has been logged: see a doctor promptly. Pain with night pain, numbness or "
	"weakness, changes in bowel or bladder control, fever or a sudden unexplained onset "
	"needs a clinician, not a pattern; avoid massage and exercise until one has seen it.";

struct patterns_args {
	const char *side; /* NULL: both */
	int64_t from_us, to_us;
	bool json;
	/* for runs whose terrain is computed here; NULL: the defaults */
	const struct seg_thresholds *segments;
};

/* One current pain entry of a run, with its run's index once known. */
struct entry {
	struct store_pain p;
	size_t run;                   /* index into runs; SIZE_MAX until found */
	struct exp_span_split *split; /* only for entries with spans: it is large */
};

struct gather {
	struct store *s;
	const struct seg_thresholds *segments; /* NULL: the defaults */
	struct entry *entries;
	size_t n_entries, cap_entries;
	struct exp_run *runs;
	int64_t *run_ids;
	size_t n_runs, cap_runs;
	struct seg_segment *segs;
	size_t n_segs, cap_segs;
	size_t without_segments;
	struct store_day *days; /* by day */
	size_t n_days;
	struct store_pain *rest; /* entries of days without a run */
	size_t n_rest;
};

/*
 * A run stored before the terrain code existed gets its terrain computed
 * from its stored samples now (daemon/terrain.h), and kept; on a database
 * that cannot be written it is computed and used without being kept. A
 * run whose terrain cannot be computed is left out and the output says
 * how many were.
 */
static void terrain_for_old_run(struct store *s, int64_t run_id,
				const struct seg_thresholds *segments)
{
	const struct seg_thresholds defaults = SEG_THRESHOLDS_DEFAULT;
	terrain_ensure_run(s, run_id, segments ? segments : &defaults);
}

static int keep_entry(void *user, const struct store_pain *p)
{
	struct gather *g = user;
	if (!p->run_id) {
		/* No exposures: context beside the verdict, never part of it. */
		g->rest = xreallocarray(g->rest, g->n_rest + 1, sizeof(*g->rest));
		g->rest[g->n_rest++] = *p;
		return 0;
	}
	if (g->n_entries == g->cap_entries) {
		g->cap_entries = g->cap_entries ? 2 * g->cap_entries : 64;
		g->entries = xreallocarray(g->entries, g->cap_entries, sizeof(*g->entries));
	}
	struct entry *e = &g->entries[g->n_entries++];
	memset(e, 0, sizeof(*e));
	e->p = *p;
	e->run = SIZE_MAX;
	return 0;
}

static int keep_segment(void *user, int64_t run_id, const struct seg_segment *seg)
{
	struct gather *g = user;
	(void)run_id;
	if (g->n_segs == g->cap_segs) {
		g->cap_segs = g->cap_segs ? 2 * g->cap_segs : 64;
		g->segs = xreallocarray(g->segs, g->cap_segs, sizeof(*g->segs));
	}
	g->segs[g->n_segs++] = *seg;
	return 0;
}

static void split_entries_of_run(struct gather *g, size_t run, int64_t run_id, int64_t start_us)
{
	for (size_t i = 0; i < g->n_entries; i++) {
		struct entry *e = &g->entries[i];
		if (e->p.run_id != run_id)
			continue;
		e->run = run;
		if (!e->p.n_spans)
			continue;
		struct exp_span spans[PAIN_MAX_SPANS];
		for (size_t k = 0; k < e->p.n_spans; k++)
			spans[k] = (struct exp_span){ e->p.spans[k].from_s, e->p.spans[k].to_s };
		if (!e->split)
			e->split = xcalloc(1, sizeof(*e->split));
		exp_split_spans(g->segs, g->n_segs, start_us, spans, e->p.n_spans, e->split);
	}
}

static int keep_run(void *user, const struct store_run *run)
{
	struct gather *g = user;
	g->n_segs = 0;
	size_t count = 0;
	int err = store_foreach_segment(g->s, run->id, keep_segment, g, &count);
	if (err)
		return err;
	if (count == 0) {
		terrain_for_old_run(g->s, run->id, g->segments);
		err = store_foreach_segment(g->s, run->id, keep_segment, g, &count);
		if (err)
			return err;
		if (g->n_segs == 0)
			g->without_segments++;
	}
	if (g->n_runs == g->cap_runs) {
		g->cap_runs = g->cap_runs ? 2 * g->cap_runs : 64;
		g->runs = xreallocarray(g->runs, g->cap_runs, sizeof(*g->runs));
		g->run_ids = xreallocarray(g->run_ids, g->cap_runs, sizeof(*g->run_ids));
	}
	size_t i = g->n_runs++;
	exp_summarise_run(g->segs, g->n_segs, run->start_us, &g->runs[i]);
	g->run_ids[i] = run->id;
	split_entries_of_run(g, i, run->id, run->start_us);
	return 0;
}

static int keep_day(void *user, const struct store_day *d)
{
	struct gather *g = user;
	g->days = xreallocarray(g->days, g->n_days + 1, sizeof(*g->days));
	g->days[g->n_days++] = *d;
	return 0;
}

static const struct store_day *find_day(const struct gather *g, const char *day)
{
	for (size_t i = 0; i < g->n_days; i++)
		if (strcmp(g->days[i].day, day) == 0)
			return &g->days[i];
	return NULL;
}

/* The context of a run's day, else of the day before (sitting at work the
 * day before a morning run counts for it). */
static const struct store_day *context_of(const struct gather *g, int64_t start_us)
{
	char day[11];
	for (int back = 0; back < 2; back++) {
		utc_text(start_us - back * DAY_US, UTC_DAY, "", day, sizeof(day));
		const struct store_day *d = find_day(g, day);
		if (d)
			return d;
	}
	return NULL;
}

static bool side_matches(const char *entry_side, const char *side)
{
	return strcmp(entry_side, side) == 0 || strcmp(entry_side, "both") == 0;
}

static double score_value(int v)
{
	return v == PAIN_UNKNOWN ? NAN : v;
}

/* The side's reports in the window; one per run (the highest scores when a
 * run has several entries for the side). */
static size_t side_reports(const struct gather *g, const char *side, const struct patterns_args *a,
			   struct pattern_report *out)
{
	size_t n = 0;
	for (size_t i = 0; i < g->n_entries; i++) {
		const struct entry *e = &g->entries[i];
		if (e->run == SIZE_MAX || !side_matches(e->p.side, side))
			continue;
		const struct exp_run *run = &g->runs[e->run];
		if (run->start_us < a->from_us || run->start_us >= a->to_us)
			continue;
		size_t k = 0;
		while (k < n && out[k].run != run)
			k++;
		double during = score_value(e->p.during), after = score_value(e->p.after);
		double morning = score_value(e->p.next_morning);
		if (k == n) {
			const struct store_day *day = context_of(g, run->start_us);
			out[n++] = (struct pattern_report){
				run,
				during,
				after,
				e->split,
				morning,
				day ? day->sitting_hours : NAN,
				day && day->back_stiffness != PAIN_UNKNOWN ? day->back_stiffness
									   : NAN,
			};
			continue;
		}
		out[k].during = fmax(out[k].during, during);
		out[k].after = fmax(out[k].after, after);
		out[k].next_morning = fmax(out[k].next_morning, morning);
		if (e->split)
			out[k].spans = e->split;
	}
	return n;
}

/* A day entry's pain: the morning score, else the day's highest. */
static double rest_day_pain(const struct store_pain *p)
{
	if (p->next_morning != PAIN_UNKNOWN)
		return p->next_morning;
	return fmax(score_value(p->during), score_value(p->after));
}

/* The side's days without a run in the window, with their context (the
 * day's, else the day before's, as for a run). */
static void side_rest_days(const struct gather *g, const char *side, const struct patterns_args *a,
			   struct pattern_rest *out)
{
	struct pattern_day *days = xcalloc(g->n_rest + 1, sizeof(*days));
	size_t n = 0;
	for (size_t i = 0; i < g->n_rest; i++) {
		const struct store_pain *p = &g->rest[i];
		int64_t day_us;
		if (!side_matches(p->side, side) || !cli_parse_time(p->day, &day_us) ||
		    day_us < a->from_us || day_us >= a->to_us)
			continue;
		const struct store_day *d = context_of(g, day_us);
		days[n++] = (struct pattern_day){
			rest_day_pain(p),
			d ? d->sitting_hours : NAN,
			d && d->back_stiffness != PAIN_UNKNOWN ? d->back_stiffness : NAN,
		};
	}
	pattern_rest_days(days, n, out);
	free(days);
}

struct red_flags {
	size_t count;
	char first_day[11];
	char names[8][24];
	size_t n_names;
};

static int collect_flag_names(void *user, const struct store_pain *p)
{
	struct red_flags *r = user;
	for (size_t i = 0; i < p->n_flags; i++) {
		size_t k = 0;
		while (k < r->n_names && strcmp(r->names[k], p->flags[i]) != 0)
			k++;
		if (k == r->n_names && k < 8)
			snprintf(r->names[r->n_names++], sizeof(r->names[0]), "%s", p->flags[i]);
	}
	return 0;
}

static int read_red_flags(struct store *s, struct red_flags *r)
{
	memset(r, 0, sizeof(*r));
	int err = store_pain_red_flag_count(s, &r->count, r->first_day);
	if (!err && r->count)
		err = store_foreach_pain(s, true, collect_flag_names, r);
	return err;
}

/* ---- text ---- */

/* One interval over n runs (or days: noun). */
static void print_interval_over(const char *label, const struct pattern_interval *iv,
				const char *unit, const char *noun)
{
	if (!isfinite(iv->effect))
		return;
	printf("    %-24s %+5.2f %s (95 %% CI %+.2f to %+.2f), %zu %s%s\n", label, iv->effect, unit,
	       iv->low, iv->high, iv->n, noun, iv->shown ? " *" : "");
}

static void print_interval(const char *label, const struct pattern_interval *iv, const char *unit)
{
	print_interval_over(label, iv, unit, "runs");
}

static const char *const direction_names[] = { "descents", "climbs" };

/* The two tests the verdict rests on, across and within runs. */
static void print_tests(const struct pattern_result *r)
{
	for (int d = 0; d < PATTERN_DIRECTIONS; d++) {
		const struct pattern_test *t = &r->test[d];
		if (!isfinite(t->z))
			continue;
		char p[16];
		if (t->p < 0.001)
			snprintf(p, sizeof(p), "< 0.001");
		else
			snprintf(p, sizeof(p), "= %.3f", t->p);
		printf("    worse on %-8s z %+.2f across runs", direction_names[d], t->z_across);
		if (isfinite(t->z_within))
			printf(", %+.2f in the painful spans of %zu run%s", t->z_within,
			       r->n_span_runs[d], r->n_span_runs[d] == 1 ? "" : "s");
		printf("; together p %s (decides below 0.025)%s\n", p, t->shown ? " *" : "");
	}
}

/* Days without a run, beside the verdict. */
static void print_rest_days(const struct pattern_rest *rest)
{
	if (!rest->n_days)
		return;
	printf("  Days without a run (%zu; shown, not part of the verdict):\n", rest->n_days);
	print_interval_over("pain on those days", &rest->pain, "points (mean)", "days");
	print_interval_over("  against sitting", &rest->sitting, "points per hour sitting", "days");
	print_interval_over("  against back stiffness", &rest->stiffness,
			    "points per point of stiffness", "days");
}

static void print_side(const char *side, const struct pattern_result *r,
		       const struct pattern_rest *rest, size_t n_entries)
{
	char need[128];
	printf("%s side: %s — the pain %s.\n", side, pattern_verdict_name(r->verdict),
	       pattern_verdict_words(r->verdict));
	printf("  %zu reported runs (%zu with descents or climbs), %zu reports.\n", r->n_reports,
	       r->n_hilly, n_entries);
	if (r->load)
		printf("  Separately: the pain tracks training load (runs longer than the longest "
		       "of the previous 30 days); that is not a neural or lumbar sign.\n");
	if (r->verdict == PATTERN_INSUFFICIENT)
		printf("  What would settle it: %s (no verdict on fewer than %d reported runs, %d "
		       "of them with descents or climbs).\n",
		       pattern_need_text(r->need, r->needed_runs, need, sizeof(need)),
		       PATTERN_MIN_REPORTS, PATTERN_MIN_HILLY);
	if (r->fitted[PATTERN_COMBINED]) {
		printf("  Pain during and after together, per exposure (the exposures in one "
		       "regression, stride on descents in the during and after fits; * decides "
		       "the verdict):\n");
		for (int x = 0; x < PATTERN_EXPOSURES; x++)
			print_interval(pattern_exposure_name((enum pattern_exposure)x),
				       &r->effect[PATTERN_COMBINED][x],
				       pattern_exposure_unit((enum pattern_exposure)x));
	}
	print_tests(r);
	print_interval("after minus during", &r->after_minus_during, "points");
	print_interval("next morning - during", &r->morning_minus_during, "points");
	if (r->n_morning)
		printf("    next morning worse than during the run: %zu of %zu runs\n",
		       r->n_morning_worse, r->n_morning);
	print_interval("painful spans: descents", &r->span_descent,
		       "share of the spans' time on descents beyond the rest of the run");
	print_interval("painful spans: climbs", &r->span_climb,
		       "share of the spans' time on climbs beyond the rest of the run");
	if (isfinite(r->sitting.effect) || isfinite(r->stiffness.effect))
		printf("  The day's context (sitting and back stiffness go with pain referred from "
		       "the lower back; shown, not part of the verdict):\n");
	print_interval("sitting", &r->sitting, "points per hour sitting");
	print_interval("back stiffness", &r->stiffness, "points per point of stiffness");
	print_rest_days(rest);
	size_t nc;
	const char *const *c = pattern_caveats(&nc);
	for (size_t i = 0; i < nc; i++)
		printf("  - %s\n", c[i]);
}

/* ---- JSON ---- */

/* Three decimals (or, significant, three digits), written as such (not as
 * the nearest binary double). */
static json_object *json_number_as(double v, bool significant)
{
	if (!isfinite(v))
		return NULL;
	char text[32];
	if (significant)
		snprintf(text, sizeof(text), "%.3g", v);
	else
		snprintf(text, sizeof(text), "%.3f", v);
	return json_object_new_double_s(strtod(text, NULL), text);
}

static json_object *json_number(double v)
{
	return json_number_as(v, false);
}

static json_object *json_interval(const char *exposure, const char *outcome, const char *unit,
				  const struct pattern_interval *iv)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "exposure", json_object_new_string(exposure));
	json_object_object_add(o, "outcome", json_object_new_string(outcome));
	json_object_object_add(o, "effect", json_number(iv->effect));
	json_object *ci = json_object_new_array();
	json_object_array_add(ci, json_number(iv->low));
	json_object_array_add(ci, json_number(iv->high));
	json_object_object_add(o, "ci95", ci);
	json_object_object_add(o, "n_runs", json_object_new_int64((int64_t)iv->n));
	json_object_object_add(o, "unit", json_object_new_string(unit));
	json_object_object_add(o, "decisive", json_object_new_boolean(iv->shown));
	return o;
}

static json_object *json_evidence(const struct pattern_result *r)
{
	json_object *list = json_object_new_array();
	for (int o = 0; o < PATTERN_OUTCOMES; o++) {
		if (!r->fitted[o])
			continue;
		for (int x = 0; x < PATTERN_EXPOSURES; x++)
			if (isfinite(r->effect[o][x].effect))
				json_object_array_add(
					list,
					json_interval(
						pattern_exposure_name((enum pattern_exposure)x),
						pattern_outcome_name((enum pattern_outcome)o),
						pattern_exposure_unit((enum pattern_exposure)x),
						&r->effect[o][x]));
	}
	const struct {
		const char *name, *outcome, *unit;
		const struct pattern_interval *iv;
	} extra[] = {
		{ "after-minus-during", "after", "points", &r->after_minus_during },
		{ "morning-minus-during", "next-morning", "points", &r->morning_minus_during },
		{ "sitting", "context", "points per hour sitting", &r->sitting },
		{ "back-stiffness", "context", "points per point of back stiffness",
		  &r->stiffness },
		{ "span-descent", "span", "share of span time on descents minus the rest's",
		  &r->span_descent },
		{ "span-climb", "span", "share of span time on climbs minus the rest's",
		  &r->span_climb },
	};
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		if (isfinite(extra[i].iv->effect))
			json_object_array_add(list, json_interval(extra[i].name, extra[i].outcome,
								  extra[i].unit, extra[i].iv));
	return list;
}

static json_object *json_tests(const struct pattern_result *r)
{
	json_object *list = json_object_new_array();
	for (int d = 0; d < PATTERN_DIRECTIONS; d++) {
		const struct pattern_test *t = &r->test[d];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "direction", json_object_new_string(direction_names[d]));
		json_object_object_add(o, "z_across_runs", json_number(t->z_across));
		json_object_object_add(o, "z_within_runs", json_number(t->z_within));
		json_object_object_add(o, "n_span_runs",
				       json_object_new_int64((int64_t)r->n_span_runs[d]));
		json_object_object_add(o, "z", json_number(t->z));
		/* Three significant digits: a small p is the point. */
		json_object_object_add(o, "p", json_number_as(t->p, true));
		json_object_object_add(o, "decisive", json_object_new_boolean(t->shown));
		json_object_array_add(list, o);
	}
	return list;
}

/* Days without a run: a summary beside the verdict (never decisive). */
static json_object *json_rest_days(const struct pattern_rest *rest)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "n_days", json_object_new_int64((int64_t)rest->n_days));
	json_object_object_add(
		o, "pain",
		json_interval("rest-day-pain", "rest-day", "points (mean)", &rest->pain));
	json_object_object_add(
		o, "sitting",
		json_interval("sitting", "rest-day", "points per hour sitting", &rest->sitting));
	json_object_object_add(o, "back_stiffness",
			       json_interval("back-stiffness", "rest-day",
					     "points per point of back stiffness",
					     &rest->stiffness));
	return o;
}

static json_object *json_side(const char *side, const struct pattern_result *r,
			      const struct pattern_rest *rest, size_t n_entries,
			      const struct red_flags *flags)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "side", json_object_new_string(side));
	json_object_object_add(o, "verdict",
			       json_object_new_string(pattern_verdict_name(r->verdict)));
	json_object_object_add(o, "n_reported_runs", json_object_new_int64((int64_t)r->n_reports));
	json_object_object_add(o, "n_hilly_runs", json_object_new_int64((int64_t)r->n_hilly));
	json_object_object_add(o, "n_reports", json_object_new_int64((int64_t)n_entries));
	json_object_object_add(o, "verdict_text",
			       json_object_new_string(pattern_verdict_words(r->verdict)));
	json_object_object_add(o, "evidence", json_evidence(r));
	json_object_object_add(o, "tests", json_tests(r));
	json_object *morning = json_object_new_object();
	json_object_object_add(morning, "n_runs", json_object_new_int64((int64_t)r->n_morning));
	json_object_object_add(morning, "worse_than_during",
			       json_object_new_int64((int64_t)r->n_morning_worse));
	json_object_object_add(o, "next_morning", morning);
	json_object_object_add(o, "rest_days", json_rest_days(rest));
	json_object *load = json_object_new_object();
	json_object_object_add(load, "tracks_load", json_object_new_boolean(r->load));
	if (r->fitted[PATTERN_COMBINED])
		json_object_object_add(load, "effect",
				       json_interval("load", "combined",
						     pattern_exposure_unit(PATTERN_LOAD),
						     &r->effect[PATTERN_COMBINED][PATTERN_LOAD]));
	json_object_object_add(o, "load", load);
	json_object *need = json_object_new_object();
	char text[128];
	json_object_object_add(need, "runs", json_object_new_int64(r->needed_runs));
	json_object_object_add(need, "text",
			       json_object_new_string(pattern_need_text(r->need, r->needed_runs,
									text, sizeof(text))));
	json_object_object_add(need, "min_reported_runs", json_object_new_int(PATTERN_MIN_REPORTS));
	json_object_object_add(need, "min_hilly_runs", json_object_new_int(PATTERN_MIN_HILLY));
	json_object_object_add(o, "needed", need);
	json_object *caveats = json_object_new_array();
	size_t nc;
	const char *const *c = pattern_caveats(&nc);
	for (size_t i = 0; i < nc; i++)
		json_object_array_add(caveats, json_object_new_string(c[i]));
	json_object_object_add(o, "caveats", caveats);
	json_object *rf = json_object_new_array();
	for (size_t i = 0; i < flags->n_names; i++)
		json_object_array_add(rf, json_object_new_string(flags->names[i]));
	json_object_object_add(o, "red_flags", rf);
	return o;
}

static int parse_options(int argc, char **argv, struct patterns_args *a)
{
	static const struct option options[] = {
		{ "side", required_argument, NULL, 's' }, { "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },   { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },       { 0 },
	};
	int opt, rc;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		if (opt == 's') {
			if (strcmp(optarg, "left") != 0 && strcmp(optarg, "right") != 0)
				return cli_usage_error(CMD, "--side wants left or right, not '%s'",
						       optarg);
			a->side = optarg;
		}
		if (opt == 'f' && (rc = cli_time_option(CMD, "--from", optarg, &a->from_us)))
			return rc;
		if (opt == 't' && (rc = cli_time_option(CMD, "--to", optarg, &a->to_us)))
			return rc;
		if (opt == 'j')
			a->json = true;
		if (opt == 'h') {
			usage(stdout);
			return -1;
		}
		if (opt == '?' || opt == ':')
			return cli_bad_option(CMD, opt, argv);
	}
	if (optind < argc)
		return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
	return 0;
}

static size_t count_entries(const struct gather *g, const char *side, const struct patterns_args *a)
{
	size_t n = 0;
	for (size_t i = 0; i < g->n_entries; i++) {
		const struct entry *e = &g->entries[i];
		if (e->run != SIZE_MAX && side_matches(e->p.side, side) &&
		    g->runs[e->run].start_us >= a->from_us && g->runs[e->run].start_us < a->to_us)
			n++;
	}
	return n;
}

/* Analyses each side with reports in the window, handing its result to fn;
 * returns how many sides had reports. */
typedef void (*side_fn)(void *user, const char *side, const struct pattern_result *r,
			const struct pattern_rest *rest, size_t n_entries);

static size_t for_each_side(const struct gather *g, const struct patterns_args *a, side_fn fn,
			    void *user)
{
	static const char *const sides[] = { "left", "right" };
	struct pattern_report *reports = xcalloc(g->n_entries + 1, sizeof(*reports));
	size_t analysed = 0;
	for (size_t k = 0; k < 2; k++) {
		if (a->side && strcmp(a->side, sides[k]) != 0)
			continue;
		size_t n = side_reports(g, sides[k], a, reports);
		if (n == 0)
			continue;
		struct pattern_result r;
		pattern_analyse(reports, n, &r);
		struct pattern_rest rest;
		side_rest_days(g, sides[k], a, &rest);
		fn(user, sides[k], &r, &rest, count_entries(g, sides[k], a));
		analysed++;
	}
	free(reports);
	return analysed;
}

struct json_sides {
	json_object *list;
	const struct red_flags *flags;
};

static void add_json_side(void *user, const char *side, const struct pattern_result *r,
			  const struct pattern_rest *rest, size_t n_entries)
{
	struct json_sides *j = user;
	json_object_array_add(j->list, json_side(side, r, rest, n_entries, j->flags));
}

static void print_text_side(void *user, const char *side, const struct pattern_result *r,
			    const struct pattern_rest *rest, size_t n_entries)
{
	(void)user;
	print_side(side, r, rest, n_entries);
}

/* The sides' results, as --json prints them and the physio report reads
 * them. */
static json_object *build_json(const struct gather *g, const struct patterns_args *a,
			       const struct red_flags *flags)
{
	json_object *root = json_object_new_object();
	struct json_sides j = { json_object_new_array(), flags };
	if (flags->count)
		json_object_object_add(root, "warning", json_object_new_string(red_flag_message));
	for_each_side(g, a, add_json_side, &j);
	json_object_object_add(root, "sides", j.list);
	json_object_object_add(root, "runs_without_segments",
			       json_object_new_int64((int64_t)g->without_segments));
	return root;
}

static void print_text(const struct gather *g, const struct patterns_args *a,
		       const struct red_flags *flags)
{
	if (flags->count)
		printf("%s\n\n", red_flag_message);
	if (for_each_side(g, a, print_text_side, NULL) == 0)
		printf("No pain reports for a run%s yet: log them with 'hamstride pain add'.\n",
		       a->side ? " on that side" : "");
	if (g->without_segments)
		printf("(%zu runs have no segments yet and were left out.)\n", g->without_segments);
}

/* Everything the analysis reads, for the window of a. */
static int gather_all(struct store *s, const struct patterns_args *a, struct gather *gt,
		      struct red_flags *flags)
{
	*gt = (struct gather){ .s = s, .segments = a->segments };
	/* Runs from 30 days before the window: the load measures look back. */
	int64_t runs_from = a->from_us == INT64_MIN ? INT64_MIN : a->from_us - 30 * DAY_US;
	int err = read_red_flags(s, flags);
	if (!err)
		err = store_foreach_pain(s, false, keep_entry, gt);
	if (!err)
		err = store_foreach_day(s, keep_day, gt);
	if (!err)
		err = store_foreach_run(s, runs_from, a->to_us, keep_run, gt);
	if (!err)
		exp_relate_runs(gt->runs, gt->n_runs);
	return err;
}

static void free_gather(struct gather *gt)
{
	for (size_t i = 0; i < gt->n_entries; i++)
		free(gt->entries[i].split);
	free(gt->entries);
	free(gt->runs);
	free(gt->run_ids);
	free(gt->segs);
	free(gt->days);
	free(gt->rest);
}

int patterns_json(struct store *s, int64_t from_us, int64_t to_us, const char *side,
		  json_object **out)
{
	const struct patterns_args a = { .side = side, .from_us = from_us, .to_us = to_us };
	struct gather gt;
	struct red_flags flags;
	int err = gather_all(s, &a, &gt, &flags);
	*out = err ? NULL : build_json(&gt, &a, &flags);
	free_gather(&gt);
	return err;
}

int cmd_patterns(const struct cli_globals *g, int argc, char **argv)
{
	struct patterns_args a = { .from_us = INT64_MIN,
				   .to_us = INT64_MAX,
				   .segments = &g->segments };
	int rc = parse_options(argc, argv, &a);
	if (rc)
		return rc < 0 ? 0 : rc;
	struct store *s;
	/* Read-write where it can: the migrations apply to an older database. */
	if ((rc = cli_open_store_for_reading(g, &s)))
		return rc;
	struct gather gt;
	struct red_flags flags;
	int err = gather_all(s, &a, &gt, &flags);
	if (err < 0) {
		cli_error("%s", store_error(s));
		rc = 1;
	} else if (a.json) {
		json_object *root = build_json(&gt, &a, &flags);
		printf("%s\n",
		       json_object_to_json_string_ext(
			       root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(root);
	} else {
		print_text(&gt, &a, &flags);
	}
	free_gather(&gt);
	store_close(s);
	return rc;
}
