// SPDX-License-Identifier: GPL-2.0-or-later
/* hamstride report: weekly training table, distance by grade class, stride
 * by class at matched pace, and training-load warnings. */
#include <getopt.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli_util.h"
#include "run/load.h"
#include "physio/report_pdf.h"
#include "report.h"
#include "store/segments.h"
#include "terrain_cli.h"
#include "util/xalloc.h"

#define REPORT_WEEKS_DEFAULT 8
#define REPORT_WEEKS_MAX 520

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: hamstride report [--weeks N] [--to TIME]\n"
		"       hamstride report --pdf FILE [--from TIME] [--to TIME] [--side S]\n"
		"                        [--runner NAME]\n\n"
		"Weekly totals (ISO weeks, Monday to Sunday, UTC), weekly distance by grade\n"
		"class, stride length by class at matched pace, and training-load warnings:\n"
		"runs longer than %d%% of the longest run of the previous 30 days.\n"
		"With --pdf, the physiotherapist's report instead: the pattern verdicts\n"
		"and their evidence, training and pain over time, terrain and pain,\n"
		"stride, and the run list, as a PDF.\n\n"
		"  --weeks N       how many weeks (default %d)\n"
		"  --to TIME       runs starting before TIME (UTC; default now); the last\n"
		"                  week shown is the one holding TIME\n"
		"  --pdf FILE      write the physiotherapist's report to FILE\n"
		"  --from TIME     with --pdf: runs from TIME on (default: --weeks before --to)\n"
		"  --side S        with --pdf: left or right (default: both)\n"
		"  --runner NAME   with --pdf: the name on the first page\n"
		"  -h, --help      this help\n",
		LOAD_THRESHOLD_PCT, REPORT_WEEKS_DEFAULT);
}

struct run_array {
	struct store_run *runs;
	size_t count, capacity;
};

static int append_run(void *user, const struct store_run *run)
{
	struct run_array *a = user;
	if (a->count == a->capacity) {
		a->capacity = a->capacity ? a->capacity * 2 : 64;
		a->runs = xreallocarray(a->runs, a->capacity, sizeof(*a->runs));
	}
	a->runs[a->count++] = *run;
	return 0;
}

static void print_weeks(const struct report_week *weeks, size_t n)
{
	printf("%-8s  %4s  %8s  %8s  %7s  %7s  %6s\n", "week", "runs", "km", "time", "min/km",
	       "cadence", "stride");
	for (size_t i = 0; i < n; i++) {
		const struct report_week *w = &weeks[i];
		char label[16], km[16], time[16], pace[16], cadence[16], stride[16];
		printf("%-8s  %4d  %8s  %8s  %7s  %7s  %6s\n",
		       report_week_label(w->start_us, label, sizeof(label)), w->runs,
		       cli_format_number(w->distance_m / 1000, 1, km, sizeof(km)),
		       cli_format_duration(w->duration_s, time, sizeof(time)),
		       cli_format_pace(w->speed_mps, pace, sizeof(pace)),
		       cli_format_number(w->cadence_spm, 0, cadence, sizeof(cadence)),
		       cli_format_number(w->stride_length_m, 2, stride, sizeof(stride)));
	}
}

/* ---- terrain: distance by class per week, stride by class at matched pace ---- */

struct terrain_totals {
	struct report_week *weeks;
	size_t n_weeks;
	int64_t run_start_us;
	struct report_pace_bands bands;
	size_t runs_without_segments;
};

static int add_segment(void *user, int64_t run_id, const struct seg_segment *seg)
{
	(void)run_id;
	struct terrain_totals *t = user;
	report_weeks_add_segment(t->weeks, t->n_weeks, t->run_start_us, seg);
	report_pace_bands_add(&t->bands, seg);
	return 0;
}

/* The segments of the runs within the weeks; a run from before the
 * terrain gets it computed first, as 'run show' does. */
static int gather_terrain(const struct cli_globals *g, struct store *s,
			  const struct run_array *runs, struct terrain_totals *t)
{
	for (size_t i = 0; i < runs->count; i++) {
		const struct store_run *r = &runs->runs[i];
		if (r->start_us < t->weeks[0].start_us)
			continue; /* only there for the load warnings' 30 days */
		size_t n = 0;
		t->run_start_us = r->start_us;
		if (cli_ensure_terrain(g, s, r->id) != 0)
			n = 0;
		int err = store_foreach_segment(s, r->id, add_segment, t, &n);
		if (err < 0)
			return err;
		t->runs_without_segments += n == 0;
	}
	return 0;
}

static const enum seg_class graded[] = { SEG_STEEP_DOWN, SEG_DOWN, SEG_FLAT, SEG_UP, SEG_STEEP_UP };
#define GRADED (sizeof(graded) / sizeof(graded[0]))

static void print_class_distance(const struct terrain_totals *t)
{
	printf("\nDistance by grade class, km:\n%-8s", "week");
	for (unsigned c = 0; c < SEG_CLASS_COUNT; c++)
		printf("  %10s", seg_class_name((enum seg_class)c));
	printf("\n");
	for (size_t i = 0; i < t->n_weeks; i++) {
		char label[16];
		printf("%-8s", report_week_label(t->weeks[i].start_us, label, sizeof(label)));
		for (unsigned c = 0; c < SEG_CLASS_COUNT; c++)
			printf("  %10.1f", t->weeks[i].class_m[c] / 1000);
		printf("\n");
	}
	if (t->runs_without_segments)
		printf("(%zu runs have no segments and are not in this table.)\n",
		       t->runs_without_segments);
}

static void print_stride_by_pace(const struct report_pace_bands *b)
{
	printf("\nStride (m) by grade class at matched pace, km behind each in brackets\n"
	       "(a pace band and class with under %.1f km: -):\n",
	       REPORT_STRIDE_CELL_MIN_M / 1000);
	printf("%-11s", "min/km");
	for (size_t c = 0; c < GRADED; c++)
		printf("  %12s", seg_class_name(graded[c]));
	printf("\n");
	int rows = 0;
	for (size_t k = 0; k < REPORT_PACE_BANDS; k++) {
		bool any = false;
		for (size_t c = 0; c < GRADED; c++)
			any |= b->cell[k][graded[c]].length_m >= REPORT_STRIDE_CELL_MIN_M;
		if (!any)
			continue;
		int lo = report_pace_band_low_s(k), hi = lo + REPORT_PACE_BAND_S;
		char band[48];
		snprintf(band, sizeof(band), "%d:%02d-%d:%02d", lo / 60, lo % 60, hi / 60, hi % 60);
		printf("%-11s", band);
		for (size_t c = 0; c < GRADED; c++) {
			const struct report_stride_cell *x = &b->cell[k][graded[c]];
			char cell[32] = "-";
			if (x->length_m >= REPORT_STRIDE_CELL_MIN_M)
				snprintf(cell, sizeof(cell), "%.2f (%.1f)",
					 x->stride_x_m / x->length_m, x->length_m / 1000);
			printf("  %12s", cell);
		}
		printf("\n");
		rows++;
	}
	if (!rows)
		printf("  not enough segments with a stride length yet\n");
}

/* Warnings for the runs that start at or after from_us; the earlier runs
 * in the array are there as the 30-day reference. */
static void print_load_warnings(const struct run_array *a, int64_t from_us)
{
	struct load_run *runs = xcalloc(a->count, sizeof(*runs));
	struct load_result *results = xcalloc(a->count, sizeof(*results));
	for (size_t i = 0; i < a->count; i++)
		runs[i] = (struct load_run){ a->runs[i].start_us, a->runs[i].distance_m };
	load_assess(runs, a->count, results);
	printf("\nLoad warnings:\n");
	int shown = 0;
	for (size_t i = 0; i < a->count; i++) {
		if (!results[i].flagged || a->runs[i].start_us < from_us)
			continue;
		char date[32];
		printf("  %.10s  run %lld  %.1f km, longest of the previous 30 days %.1f km: +%.0f%%\n",
		       cli_format_time(a->runs[i].start_us, date, sizeof(date)),
		       (long long)a->runs[i].id, a->runs[i].distance_m / 1000,
		       results[i].reference_m / 1000, (results[i].ratio - 1) * 100);
		shown++;
	}
	if (shown)
		printf("  A sudden jump in long-run distance is associated with running injuries,\n"
		       "  high hamstring tendinopathy among them: an association to discuss with a\n"
		       "  physiotherapist, not a diagnosis.\n");
	else
		printf("  none\n");
	free(runs);
	free(results);
}

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int parse_options(int argc, char **argv, int64_t *weeks, int64_t *to_us,
			 struct report_pdf_args *pdf)
{
	static const struct option options[] = {
		{ "weeks", required_argument, NULL, 'w' },
		{ "to", required_argument, NULL, 't' },
		{ "pdf", required_argument, NULL, 'p' },
		{ "from", required_argument, NULL, 'f' },
		{ "side", required_argument, NULL, 's' },
		{ "runner", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int opt, rc;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (opt) {
		case 'w':
			if (!cli_parse_int64(optarg, weeks) || *weeks < 1 ||
			    *weeks > REPORT_WEEKS_MAX)
				return cli_usage_error("report",
						       "--weeks wants a whole number from 1 to %d, "
						       "not '%s'",
						       REPORT_WEEKS_MAX, optarg);
			break;
		case 't':
			if ((rc = cli_time_option("report", "--to", optarg, to_us)))
				return rc;
			break;
		case 'p':
			pdf->path = optarg;
			break;
		case 'f':
			if ((rc = cli_time_option("report", "--from", optarg, &pdf->from_us)))
				return rc;
			pdf->from_given = true;
			break;
		case 's':
			if (strcmp(optarg, "left") != 0 && strcmp(optarg, "right") != 0)
				return cli_usage_error(
					"report", "--side wants left or right, not '%s'", optarg);
			pdf->side = optarg;
			break;
		case 'r':
			pdf->runner = optarg;
			break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			return cli_bad_option("report", opt, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("report", "unexpected argument '%s'", argv[optind]);
	if (!pdf->path && (pdf->from_given || pdf->side || pdf->runner))
		return cli_usage_error("report", "--from, --side and --runner go with --pdf FILE");
	if (pdf->path && !*pdf->path)
		return cli_usage_error("report", "--pdf wants a file name");
	return 0;
}

int cmd_report(const struct cli_globals *g, int argc, char **argv)
{
	int64_t weeks = REPORT_WEEKS_DEFAULT, to_us = now_us();
	struct report_pdf_args pdf = { 0 };
	int rc = parse_options(argc, argv, &weeks, &to_us, &pdf);
	if (rc)
		return rc < 0 ? 0 : rc;
	struct report_week table[REPORT_WEEKS_MAX];
	report_weeks_init(table, (size_t)weeks, report_week_start(to_us - 1));
	int64_t from_us = table[0].start_us;
	if (pdf.path) {
		pdf.to_us = to_us;
		if (!pdf.from_given)
			pdf.from_us = from_us;
		if (pdf.from_us >= pdf.to_us)
			return cli_usage_error("report", "--from must be before --to");
		return report_pdf(g, &pdf);
	}

	struct store *s;
	if ((rc = cli_open_store(g, STORE_READ_ONLY, &s)))
		return rc;
	struct run_array runs = { 0 };
	struct terrain_totals *terrain = xcalloc(1, sizeof(*terrain));
	terrain->weeks = table;
	terrain->n_weeks = (size_t)weeks;
	int err = store_foreach_run(s, from_us - LOAD_WINDOW_US, to_us, append_run, &runs);
	if (err == 0)
		err = gather_terrain(g, s, &runs, terrain);
	if (err < 0)
		cli_error("%s", store_error(s));
	store_close(s);
	if (err == 0) {
		for (size_t i = 0; i < runs.count; i++)
			report_weeks_add(table, (size_t)weeks, &runs.runs[i]);
		report_weeks_finish(table, (size_t)weeks);
		print_weeks(table, (size_t)weeks);
		print_class_distance(terrain);
		print_stride_by_pace(&terrain->bands);
		print_load_warnings(&runs, from_us);
	}
	free(terrain);
	free(runs.runs);
	return err < 0 ? 1 : 0;
}
