// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The report's pain: each run's scores and painful spans from the pain
 * log, the red flags, and the pattern verdicts as 'hamstride patterns
 * --json' gives them (one analysis, whoever shows it).
 */
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "patterns.h"
#include "physio/physio.h"
#include "store/pain.h"
#include "util/xalloc.h"

struct pain_loader {
	struct physio_data *d;
	size_t cap_spans;
};

static bool side_counts(const struct physio_data *d, const char *side)
{
	return !d->options.side || strcmp(side, d->options.side) == 0 || strcmp(side, "both") == 0;
}

static struct physio_run *run_of(struct physio_data *d, int64_t run_id)
{
	for (size_t i = 0; i < d->n_runs; i++)
		if (d->runs[i].id == run_id)
			return &d->runs[i];
	return NULL;
}

/* The worse report where a run has several (both sides, two entries). */
static void keep_worse(double *slot, int score)
{
	if (score != PAIN_UNKNOWN && (isnan(*slot) || score > *slot))
		*slot = score;
}

static int each_entry(void *user, const struct store_pain *p)
{
	struct pain_loader *l = user;
	struct physio_data *d = l->d;
	struct physio_run *r = p->run_id ? run_of(d, p->run_id) : NULL;
	if (!r || !side_counts(d, p->side))
		return 0;
	d->n_pain_reports++;
	keep_worse(&r->pain_during, p->during);
	keep_worse(&r->pain_after, p->after);
	keep_worse(&r->pain_morning, p->next_morning);
	for (size_t k = 0; k < p->n_spans; k++) {
		if (d->n_spans == l->cap_spans) {
			l->cap_spans = l->cap_spans ? 2 * l->cap_spans : 16;
			d->spans = xreallocarray(d->spans, l->cap_spans, sizeof(*d->spans));
		}
		d->spans[d->n_spans++] =
			(struct physio_span){ r->id, p->spans[k].from_s, p->spans[k].to_s };
	}
	return 0;
}

/* Every red flag ever logged, also in entries edited or removed since:
 * a symptom that needed a doctor stays the first thing the physio reads. */
static int each_flag(void *user, const struct store_pain *p)
{
	struct physio_data *d = user;
	for (size_t i = 0; i < p->n_flags; i++) {
		bool known = false;
		for (size_t k = 0; k < d->n_red_flags && !known; k++)
			known = strcmp(d->red_flags[k], p->flags[i]) == 0;
		if (!known && d->n_red_flags < sizeof(d->red_flags) / sizeof(d->red_flags[0]))
			snprintf(d->red_flags[d->n_red_flags++], sizeof(d->red_flags[0]), "%s (%s)",
				 p->flags[i], p->day);
	}
	return 0;
}

static const char *string_of(json_object *o, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

static double number_of(json_object *o, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) && v ? json_object_get_double(v) : NAN;
}

/* "downhill: +0.85 points per km (95 % CI +0.30 to +1.40), 14 runs". */
static void evidence_line(json_object *e, char *buf, size_t size)
{
	json_object *ci;
	double lo = NAN, hi = NAN;
	if (json_object_object_get_ex(e, "ci95", &ci) && json_object_array_length(ci) == 2) {
		json_object *a = json_object_array_get_idx(ci, 0),
			    *b = json_object_array_get_idx(ci, 1);
		lo = a ? json_object_get_double(a) : NAN;
		hi = b ? json_object_get_double(b) : NAN;
	}
	bool days = strcmp(string_of(e, "outcome"), "rest-day") == 0;
	snprintf(buf, size, "%s (%s): %+.2f %s (95 %% CI %+.2f to %+.2f), %.0f %s%s",
		 string_of(e, "exposure"), string_of(e, "outcome"), number_of(e, "effect"),
		 string_of(e, "unit"), lo, hi, number_of(e, "n_runs"), days ? "days" : "runs",
		 json_object_get_boolean(json_object_object_get(e, "decisive"))
			 ? "; decides the verdict"
			 : "");
}

/* "Worse on descents: z +2.10 across runs, +1.50 within 4 runs' spans;
 * together p = 0.004, decides the verdict." */
static void read_tests(struct physio_verdict *v, json_object *side)
{
	json_object *list;
	if (!json_object_object_get_ex(side, "tests", &list))
		return;
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *t = json_object_array_get_idx(list, i);
		if (!isfinite(number_of(t, "z")) ||
		    v->n_evidence >= sizeof(v->evidence) / sizeof(v->evidence[0]))
			continue;
		char within[96] = "", p[16];
		double spans = number_of(t, "n_span_runs");
		if (isfinite(number_of(t, "z_within_runs")))
			snprintf(within, sizeof(within),
				 ", %+.2f in the painful spans of %.0f run%s",
				 number_of(t, "z_within_runs"), spans, spans == 1 ? "" : "s");
		if (number_of(t, "p") < 0.001)
			snprintf(p, sizeof(p), "< 0.001");
		else
			snprintf(p, sizeof(p), "= %.3f", number_of(t, "p"));
		snprintf(v->evidence[v->n_evidence++], sizeof(v->evidence[0]),
			 "Worse on %s: z %+.2f across runs%s; together p %s%s",
			 string_of(t, "direction"), number_of(t, "z_across_runs"), within, p,
			 json_object_get_boolean(json_object_object_get(t, "decisive"))
				 ? ", decides the verdict"
				 : "");
	}
}

/* Days without a run, as evidence lines beside the verdict's. */
static void read_rest_days(struct physio_verdict *v, json_object *side)
{
	static const char *const keys[] = { "pain", "sitting", "back_stiffness" };
	json_object *rest, *e;
	if (!json_object_object_get_ex(side, "rest_days", &rest))
		return;
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		if (json_object_object_get_ex(rest, keys[k], &e) && e &&
		    isfinite(number_of(e, "effect")) &&
		    v->n_evidence < sizeof(v->evidence) / sizeof(v->evidence[0]))
			evidence_line(e, v->evidence[v->n_evidence++], sizeof(v->evidence[0]));
}

static void read_side(struct physio_verdict *v, json_object *side)
{
	memset(v, 0, sizeof(*v));
	snprintf(v->side, sizeof(v->side), "%s", string_of(side, "side"));
	snprintf(v->verdict, sizeof(v->verdict), "%s", string_of(side, "verdict"));
	snprintf(v->summary, sizeof(v->summary),
		 "%.0f reported runs, %.0f of them with descents or climbs; %.0f reports.",
		 number_of(side, "n_reported_runs"), number_of(side, "n_hilly_runs"),
		 number_of(side, "n_reports"));
	read_tests(v, side);
	json_object *list;
	if (json_object_object_get_ex(side, "evidence", &list))
		for (size_t i = 0; i < json_object_array_length(list); i++) {
			json_object *e = json_object_array_get_idx(list, i);
			/* The combined score decides; during and after alone are in
			 * 'hamstride patterns --json'. */
			if (strcmp(string_of(e, "outcome"), "combined") != 0 &&
			    strcmp(string_of(e, "outcome"), "span") != 0 &&
			    strcmp(string_of(e, "outcome"), "next-morning") != 0 &&
			    strcmp(string_of(e, "outcome"), "context") != 0 &&
			    strcmp(string_of(e, "exposure"), "after-minus-during") != 0)
				continue;
			if (v->n_evidence < sizeof(v->evidence) / sizeof(v->evidence[0]))
				evidence_line(e, v->evidence[v->n_evidence++],
					      sizeof(v->evidence[0]));
		}
	read_rest_days(v, side);
	json_object *need, *load;
	if (strcmp(v->verdict, "insufficient") == 0 &&
	    json_object_object_get_ex(side, "needed", &need))
		snprintf(v->needed, sizeof(v->needed), "What would settle it: %s.",
			 string_of(need, "text"));
	if (json_object_object_get_ex(side, "load", &load) &&
	    json_object_get_boolean(json_object_object_get(load, "tracks_load")))
		snprintf(v->load, sizeof(v->load),
			 "Separately, the pain tracks training load (runs longer than the longest "
			 "of the previous 30 days): not a neural or lumbar sign.");
}

/* The analysis's own caveats replace the report's general ones. */
static void read_caveats(struct physio_data *d, json_object *side)
{
	json_object *list;
	if (!json_object_object_get_ex(side, "caveats", &list) ||
	    json_object_array_length(list) == 0)
		return;
	d->n_caveats = 0;
	for (size_t i = 0; i < json_object_array_length(list) &&
			   d->n_caveats < sizeof(d->caveats) / sizeof(d->caveats[0]);
	     i++)
		snprintf(d->caveats[d->n_caveats++], sizeof(d->caveats[0]), "%s",
			 json_object_get_string(json_object_array_get_idx(list, i)));
}

static int read_verdicts(struct store *s, struct physio_data *d)
{
	json_object *root;
	int err = patterns_json(s, d->options.from_us, d->options.to_us, d->options.side, &root);
	if (err)
		return err;
	json_object *sides;
	if (json_object_object_get_ex(root, "sides", &sides))
		for (size_t i = 0; i < json_object_array_length(sides) && d->n_verdicts < 2; i++) {
			json_object *side = json_object_array_get_idx(sides, i);
			read_side(&d->verdicts[d->n_verdicts++], side);
			read_caveats(d, side);
		}
	json_object_put(root);
	return 0;
}

int physio_pain_load(struct store *s, struct physio_data *d)
{
	struct pain_loader l = { .d = d };
	int err = store_foreach_pain(s, false, each_entry, &l);
	if (!err)
		err = store_foreach_pain(s, true, each_flag, d);
	if (!err && d->n_pain_reports > 0)
		err = read_verdicts(s, d);
	return err;
}
