// SPDX-License-Identifier: GPL-2.0-or-later
#include "export_pain.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util/xalloc.h"

#define OUTPUT_FAILED 1

const char *const export_pain_run_columns[] = {
	"pain_left_during",  "pain_left_after",  "pain_left_next_morning",
	"pain_right_during", "pain_right_after", "pain_right_next_morning",
	"pain_spans",        "pain_red_flags",
};
const size_t export_pain_run_column_count =
	sizeof(export_pain_run_columns) / sizeof(export_pain_run_columns[0]);

static int keep(void *user, const struct store_pain *p)
{
	struct export_pain_index *idx = user;
	if (!p->run_id)
		return 0;
	idx->entries = xreallocarray(idx->entries, idx->n + 1, sizeof(*idx->entries));
	idx->entries[idx->n++] = *p;
	return 0;
}

int export_pain_load(struct store *s, struct export_pain_index *idx)
{
	memset(idx, 0, sizeof(*idx));
	return store_foreach_pain(s, false, keep, idx);
}

void export_pain_free(struct export_pain_index *idx)
{
	free(idx->entries);
	memset(idx, 0, sizeof(*idx));
}

static double higher(double a, int score)
{
	if (score == PAIN_UNKNOWN)
		return a;
	return isnan(a) ? score : fmax(a, score);
}

/* "0:05:00-0:08:00 0:20:00-0:21:30" */
static void append_spans(char *buf, size_t size, const struct store_pain *p)
{
	for (size_t i = 0; i < p->n_spans; i++) {
		char a[16], b[16];
		size_t len = strlen(buf);
		snprintf(buf + len, size - len, "%s%s-%s", len ? " " : "",
			 cli_format_duration(p->spans[i].from_s, a, sizeof(a)),
			 cli_format_duration(p->spans[i].to_s, b, sizeof(b)));
	}
}

static void append_flags(char *buf, size_t size, const struct store_pain *p)
{
	for (size_t i = 0; i < p->n_flags; i++) {
		size_t len = strlen(buf);
		snprintf(buf + len, size - len, "%s%s", len ? " " : "", p->flags[i]);
	}
}

void export_pain_run_cells(struct csv *c, const struct export_pain_index *idx, int64_t run_id)
{
	/* left during, after, morning, right ...: a "both" entry counts on
	 * each side; several entries, the highest score. */
	double v[6] = { NAN, NAN, NAN, NAN, NAN, NAN };
	char spans[512] = "", flags[256] = "";
	for (size_t i = 0; i < idx->n; i++) {
		const struct store_pain *p = &idx->entries[i];
		if (p->run_id != run_id)
			continue;
		for (int side = 0; side < 2; side++) {
			if (strcmp(p->side, side ? "right" : "left") != 0 &&
			    strcmp(p->side, "both") != 0)
				continue;
			v[3 * side] = higher(v[3 * side], p->during);
			v[3 * side + 1] = higher(v[3 * side + 1], p->after);
			v[3 * side + 2] = higher(v[3 * side + 2], p->next_morning);
		}
		append_spans(spans, sizeof(spans), p);
		append_flags(flags, sizeof(flags), p);
	}
	for (int k = 0; k < 6; k++)
		csv_number(c, v[k], 0);
	csv_text(c, spans);
	csv_text(c, flags);
}

static const char *const pain_columns[] = {
	"entry",  "version", "recorded_utc", "removed", "day",   "run_id",    "side",
	"during", "after",   "next_morning", "spans",   "where", "red_flags", "note",
};

struct pain_writer {
	struct csv *c;
	char from_day[11], to_day[11];
};

static int write_entry(void *user, const struct store_pain *p)
{
	struct pain_writer *w = user;
	if (strcmp(p->day, w->from_day) < 0 || (w->to_day[0] && strcmp(p->day, w->to_day) >= 0))
		return 0;
	struct csv *c = w->c;
	char t[32], spans[512] = "", flags[256] = "";
	csv_integer(c, p->entry_id);
	csv_integer(c, p->version);
	csv_text(c, cli_format_time(p->recorded_us, t, sizeof(t)));
	csv_integer(c, p->removed);
	csv_text(c, p->day);
	if (p->run_id)
		csv_integer(c, p->run_id);
	else
		csv_text(c, "");
	csv_text(c, p->side);
	csv_number(c, p->during == PAIN_UNKNOWN ? NAN : p->during, 0);
	csv_number(c, p->after == PAIN_UNKNOWN ? NAN : p->after, 0);
	csv_number(c, p->next_morning == PAIN_UNKNOWN ? NAN : p->next_morning, 0);
	append_spans(spans, sizeof(spans), p);
	append_flags(flags, sizeof(flags), p);
	csv_text(c, spans);
	csv_text(c, p->location);
	csv_text(c, flags);
	csv_text(c, p->note);
	csv_end_row(c);
	return ferror(c->out) ? OUTPUT_FAILED : 0;
}

static void day_of(int64_t us, char day[11])
{
	char t[32];
	cli_format_time(us, t, sizeof(t));
	snprintf(day, 11, "%.10s", t);
}

int export_pain_csv(struct store *s, struct csv *c, int64_t from_us, int64_t to_us)
{
	struct pain_writer w = { .c = c };
	if (from_us != INT64_MIN)
		day_of(from_us, w.from_day);
	if (to_us != INT64_MAX)
		day_of(to_us, w.to_day);
	csv_header(c, pain_columns, sizeof(pain_columns) / sizeof(pain_columns[0]));
	return store_foreach_pain(s, true, write_entry, &w);
}
