// SPDX-License-Identifier: GPL-2.0-or-later
/* hamstride segments RUN|last: a run cut into pieces of one grade class. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <string.h>

#include "cli.h"
#include "cli_util.h"
#include "csv.h"
#include "store/segments.h"
#include "terrain.h"
#include "terrain_cli.h"

#define CMD "segments"
#define OUTPUT_FAILED 1

static void usage(FILE *out)
{
	fprintf(out, "Usage: hamstride segments RUN|last [--csv]\n\n"
		     "A run cut into segments of one grade class (steep-down <= -6 %%, down,\n"
		     "flat -2..+2 %%, up, steep-up >= +6 %%; unknown without an altitude\n"
		     "source), with distance, time, climb, grade, pace, grade-adjusted pace,\n"
		     "cadence and stride. A run stored before segments existed gets them\n"
		     "computed now (which needs write access to the database).\n\n"
		     "  --csv       RFC 4180 CSV, the columns of 'export csv segments'\n"
		     "  -h, --help  this help\n");
}

const char *const cli_segment_columns[CLI_SEGMENT_COLUMNS] = {
	"run_id",       "start_utc",          "end_utc",   "class",        "length_m",
	"duration_s",   "elevation_change_m", "grade_pct", "speed_mps",    "pace_s_per_km",
	"gap_s_per_km", "cadence_spm",        "stride_m",  "stride_ratio", "heart_rate_bpm",
};

void cli_segment_csv_row(struct csv *c, int64_t run_id, const struct seg_segment *x)
{
	char t[32];
	csv_integer(c, run_id);
	csv_text(c, cli_format_time(x->start_us, t, sizeof(t)));
	csv_text(c, cli_format_time(x->end_us, t, sizeof(t)));
	csv_text(c, seg_class_name(x->cls));
	csv_number(c, x->length_m, 1);
	csv_number(c, x->duration_s, 1);
	csv_number(c, x->elevation_change_m, 2);
	csv_number(c, x->grade_pct, 2);
	csv_number(c, x->speed_mps, 3);
	csv_number(c, x->speed_mps > 0 ? 1000 / x->speed_mps : NAN, 1);
	csv_number(c, x->gap_s_per_km, 1);
	csv_number(c, x->cadence_spm, 1);
	csv_number(c, x->stride_m, 3);
	csv_number(c, x->stride_ratio, 3);
	csv_number(c, x->heart_rate_bpm, 1);
	csv_end_row(c);
}

const char *cli_format_s_per_km(double s_per_km, char *buf, size_t size)
{
	if (!isfinite(s_per_km) || s_per_km <= 0 || s_per_km > 5999)
		return snprintf(buf, size, "-"), buf;
	long s = lround(s_per_km);
	snprintf(buf, size, "%ld:%02ld", s / 60, s % 60);
	return buf;
}

int cli_ensure_terrain(const struct cli_globals *g, struct store *s, int64_t run_id)
{
	size_t n = 0;
	int err = store_foreach_segment(s, run_id, cli_count_segment, NULL, &n);
	if (err < 0) {
		cli_error("%s", store_error(s));
		return 1;
	}
	if (n)
		return 0;
	/* A run from before: compute its terrain and keep it, or where the
	 * database cannot be written, show it from this connection. */
	char why[1024];
	struct store *rw;
	err = store_open(g->db_path, STORE_READ_WRITE, &rw, why, sizeof(why));
	if (err == -EROFS || err == -EACCES || err == -EPERM) {
		if (terrain_ensure_run(s, run_id, &g->segments) == 0)
			return 0;
		cli_error("cannot compute run %lld's segments: %s", (long long)run_id,
			  store_error(s));
		return 1;
	}
	if (err < 0) {
		cli_error("%s", why);
		return err == -ENOENT ? EX_NOINPUT : 1;
	}
	err = terrain_ensure_run(rw, run_id, &g->segments);
	if (err < 0) {
		cli_error("cannot compute run %lld's segments: %s", (long long)run_id,
			  store_error(rw));
		store_close(rw);
		return 1;
	}
	store_close(rw);
	return 0;
}

int cli_count_segment(void *user, int64_t run_id, const struct seg_segment *x)
{
	(void)user, (void)run_id, (void)x;
	return 0;
}

struct printer {
	bool csv;
	struct csv out;
};

static void print_header(void)
{
	printf("%-20s  %-10s  %8s  %7s  %7s  %6s  %6s  %6s  %7s  %6s  %5s\n", "start (UTC)",
	       "class", "km", "time", "climb m", "grade", "min/km", "GAP", "cadence", "stride",
	       "ratio");
}

static void print_row(const struct seg_segment *x)
{
	char t[32], dur[16], pace[16], gap[16], climb[16], grade[16], cad[16], str[16], ratio[16];
	printf("%-20s  %-10s  %8.2f  %7s  %7s  %6s  %6s  %6s  %7s  %6s  %5s\n",
	       cli_format_time(x->start_us, t, sizeof(t)), seg_class_name(x->cls),
	       x->length_m / 1000, cli_format_duration(x->duration_s, dur, sizeof(dur)),
	       cli_format_number(x->elevation_change_m, 1, climb, sizeof(climb)),
	       cli_format_number(x->grade_pct, 1, grade, sizeof(grade)),
	       cli_format_pace(x->speed_mps, pace, sizeof(pace)),
	       cli_format_s_per_km(x->gap_s_per_km, gap, sizeof(gap)),
	       cli_format_number(x->cadence_spm, 0, cad, sizeof(cad)),
	       cli_format_number(x->stride_m, 2, str, sizeof(str)),
	       cli_format_number(x->stride_ratio, 2, ratio, sizeof(ratio)));
}

static int each_segment(void *user, int64_t run_id, const struct seg_segment *x)
{
	struct printer *p = user;
	if (p->csv)
		cli_segment_csv_row(&p->out, run_id, x);
	else
		print_row(x);
	return ferror(stdout) ? OUTPUT_FAILED : 0;
}

/* Returns 0 to go on, -1 after --help, or an exit code. */
static int parse_args(int argc, char **argv, bool *csv, int64_t *run_id)
{
	static const struct option options[] = {
		{ "csv", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int opt;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		if (opt == 'c')
			*csv = true;
		if (opt == 'h') {
			usage(stdout);
			return -1;
		}
		if (opt == '?' || opt == ':')
			return cli_bad_option(CMD, opt, argv);
	}
	return cli_run_argument(CMD, argc, argv, run_id);
}

int cmd_segments(const struct cli_globals *g, int argc, char **argv)
{
	struct printer p = { 0 };
	int64_t run_id = 0;
	int rc = parse_args(argc, argv, &p.csv, &run_id);
	if (rc)
		return rc < 0 ? 0 : rc;
	struct store *s;
	if ((rc = cli_open_store(g, STORE_READ_ONLY, &s)))
		return rc;
	struct store_run run;
	if ((rc = cli_get_run(g, s, run_id, &run)) || (rc = cli_ensure_terrain(g, s, run.id))) {
		store_close(s);
		return rc;
	}
	csv_init(&p.out, stdout);
	if (p.csv)
		csv_header(&p.out, cli_segment_columns, CLI_SEGMENT_COLUMNS);
	else
		print_header();
	int err = store_foreach_segment(s, run.id, each_segment, &p, NULL);
	if (err == OUTPUT_FAILED || (err == 0 && fflush(stdout) != 0)) {
		cli_error("cannot write the segments: %s", strerror(errno));
		rc = EX_IOERR;
	} else if (err < 0) {
		cli_error("%s", store_error(s));
		rc = 1;
	}
	store_close(s);
	return rc;
}

/* ---- by class, for run show ---- */

struct class_total {
	double duration_s, length_m, flat_km, stride_m_x_m, stride_length_m;
};

static int add_to_class(void *user, int64_t run_id, const struct seg_segment *x)
{
	(void)run_id;
	struct class_total *t = &((struct class_total *)user)[x->cls];
	t->duration_s += x->duration_s;
	t->length_m += x->length_m;
	/* GAP over a class: its time over its flat-equivalent distance */
	t->flat_km += x->gap_s_per_km > 0 ? x->duration_s / x->gap_s_per_km : NAN;
	if (isfinite(x->stride_m)) {
		t->stride_m_x_m += x->stride_m * x->length_m;
		t->stride_length_m += x->length_m;
	}
	return 0;
}

int cli_print_terrain_by_class(struct store *s, int64_t run_id)
{
	struct class_total t[SEG_CLASS_COUNT] = { 0 };
	int err = store_foreach_segment(s, run_id, add_to_class, t, NULL);
	if (err < 0) {
		cli_error("%s", store_error(s));
		return 1;
	}
	printf("\n%-10s  %7s  %6s  %6s  %6s  %6s\n", "class", "time", "km", "min/km", "GAP",
	       "stride");
	for (unsigned c = 0; c < SEG_CLASS_COUNT; c++) {
		if (t[c].duration_s <= 0)
			continue;
		char dur[16], pace[16], gap[16], stride[16];
		printf("%-10s  %7s  %6.2f  %6s  %6s  %6s\n", seg_class_name((enum seg_class)c),
		       cli_format_duration(t[c].duration_s, dur, sizeof(dur)), t[c].length_m / 1000,
		       cli_format_pace(t[c].length_m / t[c].duration_s, pace, sizeof(pace)),
		       cli_format_s_per_km(t[c].duration_s / t[c].flat_km, gap, sizeof(gap)),
		       cli_format_number(t[c].stride_length_m > 0
						 ? t[c].stride_m_x_m / t[c].stride_length_m
						 : NAN,
					 2, stride, sizeof(stride)));
	}
	return 0;
}
