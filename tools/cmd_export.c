// SPDX-License-Identifier: GPL-2.0-or-later
/* hamstride export csv runs|samples: spreadsheet-safe CSV for a physiotherapist. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cli_util.h"
#include "csv.h"
#include "export_pain.h"
#include "paths.h"
#include "store/segments.h"
#include "terrain_cli.h"
#include "util/xalloc.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: hamstride export csv runs|samples|segments|pain [--from TIME] [--to TIME]\n"
		"                                       [--run ID] [--output FILE]\n\n"
		"CSV (RFC 4180, UTF-8, UTC times) of the runs (with their pain scores), of\n"
		"their per-second samples, of their uphill, flat and downhill segments, or of\n"
		"the pain log with every version of each entry.\n"
		"Unknown values are empty cells; text cells that a spreadsheet would run as a\n"
		"formula start with a single quote.\n\n"
		"  --from TIME     runs (or samples) from TIME on (UTC, 2026-11-21[T07:30[:15]])\n"
		"  --to TIME       before TIME\n"
		"  --run ID        only this run\n"
		"  --output FILE   write FILE instead of standard output\n"
		"  -h, --help      this help\n");
}

/* What a row writer returns when the output fails, to stop the store's
 * scan; positive, so never mistaken for the store's negative errno. */
#define OUTPUT_FAILED 1

enum export_kind { EXPORT_RUNS, EXPORT_SAMPLES, EXPORT_SEGMENTS, EXPORT_PAIN };

struct export_args {
	const struct cli_globals *g;
	enum export_kind kind;
	int64_t from_us, to_us, run_id;
	const char *output;
};

static double pace_s_per_km(double speed_mps)
{
	return isfinite(speed_mps) && speed_mps >= 0.1 ? 1000 / speed_mps : NAN;
}

static void csv_time(struct csv *c, int64_t us)
{
	char buf[32];
	csv_text(c, us ? cli_format_time(us, buf, sizeof(buf)) : "");
}

static const char *const run_columns[] = {
	"run_id",           "start_utc",      "end_utc",
	"duration_s",       "distance_m",     "elevation_gain_m",
	"elevation_loss_m", "speed_mps",      "pace_s_per_km",
	"grade_pct",        "gap_s_per_km",   "cadence_spm",
	"stride_length_m",  "heart_rate_bpm", "heart_rate_max_bpm",
	"notifications",    "gaps",           "gap_s",
	"end_reason",       "source",         "capture_path",
};

/* A run's row: the run, then its pain cells. */
struct run_writer {
	struct csv *c;
	const struct export_pain_index *pain;
};

static int write_run(void *user, const struct store_run *r)
{
	struct run_writer *w = user;
	struct csv *c = w->c;
	csv_integer(c, r->id);
	csv_time(c, r->start_us);
	csv_time(c, r->end_us);
	csv_number(c, r->duration_s, 1);
	csv_number(c, r->distance_m, 1);
	csv_number(c, r->elevation_gain_m, 1);
	csv_number(c, r->elevation_loss_m, 1);
	csv_number(c, r->speed_mps, 3);
	csv_number(c, pace_s_per_km(r->speed_mps), 1);
	/* the mean grade: net climb over distance */
	csv_number(c, 100 * (r->elevation_gain_m - r->elevation_loss_m) / r->distance_m, 2);
	csv_number(c, r->gap_s_per_km, 1);
	csv_number(c, r->cadence_spm, 1);
	csv_number(c, r->stride_length_m, 3);
	csv_number(c, r->heart_rate_bpm, 0);
	csv_number(c, r->heart_rate_max_bpm, 0);
	csv_integer(c, r->notifications);
	csv_integer(c, r->gaps);
	csv_number(c, r->gap_s, 1);
	csv_text(c, r->end_reason);
	csv_text(c, r->source);
	csv_text(c, r->capture_path);
	export_pain_run_cells(c, w->pain, r->id);
	csv_end_row(c);
	return ferror(c->out) ? OUTPUT_FAILED : 0;
}

static const char *const sample_columns[] = {
	"run_id",       "time_utc",      "speed_mps",       "pace_s_per_km", "grade_pct",
	"gap_s_per_km", "cadence_spm",   "stride_length_m", "distance_m",    "elevation_m",
	"pressure_pa",  "temperature_c", "heart_rate_bpm",
};

static int write_sample(void *user, int64_t run_id, const struct store_sample *x)
{
	struct csv *c = user;
	csv_integer(c, run_id);
	csv_time(c, x->t_us);
	csv_number(c, x->speed_mps, 3);
	csv_number(c, pace_s_per_km(x->speed_mps), 1);
	csv_number(c, x->grade_pct, 2);
	csv_number(c, x->gap_s_per_km, 1);
	csv_number(c, x->cadence_spm, 1);
	csv_number(c, x->stride_length_m, 3);
	csv_number(c, x->distance_m, 1);
	csv_number(c, x->elevation_m, 2);
	csv_number(c, x->pressure_pa, 1);
	csv_number(c, x->temperature_c, 2);
	csv_number(c, x->heart_rate_bpm, 0);
	csv_end_row(c);
	return ferror(c->out) ? OUTPUT_FAILED : 0;
}

/* Returns 0 to go on, -1 after --help, or an exit code. */
static int parse_options(int argc, char **argv, struct export_args *a)
{
	static const struct option options[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "run", required_argument, NULL, 'r' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int opt, rc;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":ho:", options, NULL)) != -1) {
		if (opt == 'f' && (rc = cli_time_option("export", "--from", optarg, &a->from_us)))
			return rc;
		if (opt == 't' && (rc = cli_time_option("export", "--to", optarg, &a->to_us)))
			return rc;
		if (opt == 'r' && (!cli_parse_int64(optarg, &a->run_id) || a->run_id < 1))
			return cli_usage_error("export",
					       "--run wants a run ID (a whole number from "
					       "'hamstride runs'), not '%s'",
					       optarg);
		if (opt == 'o')
			a->output = optarg;
		if (opt == 'h') {
			usage(stdout);
			return -1;
		}
		if (opt == '?' || opt == ':')
			return cli_bad_option("export", opt, argv);
	}
	if (optind >= argc || strcmp(argv[optind], "csv") != 0)
		return cli_usage_error("export", "expected the format 'csv'%s%s%s",
				       optind < argc ? ", not '" : "",
				       optind < argc ? argv[optind] : "", optind < argc ? "'" : "");
	const char *what = optind + 1 < argc ? argv[optind + 1] : "";
	if (strcmp(what, "runs") == 0)
		a->kind = EXPORT_RUNS;
	else if (strcmp(what, "samples") == 0)
		a->kind = EXPORT_SAMPLES;
	else if (strcmp(what, "segments") == 0)
		a->kind = EXPORT_SEGMENTS;
	else if (strcmp(what, "pain") == 0)
		a->kind = EXPORT_PAIN;
	else
		return cli_usage_error(
			"export", "csv wants 'runs', 'samples', 'segments' or 'pain', not '%s'",
			what);
	if (optind + 2 < argc)
		return cli_usage_error("export", "unexpected argument '%s'", argv[optind + 2]);
	return cli_period_check("export", a->from_us, a->to_us);
}

static void write_run_header(struct csv *c)
{
	for (size_t i = 0; i < sizeof(run_columns) / sizeof(run_columns[0]); i++)
		csv_text(c, run_columns[i]);
	for (size_t i = 0; i < export_pain_run_column_count; i++)
		csv_text(c, export_pain_run_columns[i]);
	csv_end_row(c);
}

/* ---- segments: each run's, computed first for a run from before ---- */

struct run_ids {
	size_t n, cap;
	int64_t *id;
};

static int note_run_id(void *user, const struct store_run *r)
{
	struct run_ids *ids = user;
	if (ids->n == ids->cap) {
		ids->cap = ids->cap ? 2 * ids->cap : 64;
		ids->id = xreallocarray(ids->id, ids->cap, sizeof(*ids->id));
	}
	ids->id[ids->n++] = r->id;
	return 0;
}

static int write_segment(void *user, int64_t run_id, const struct seg_segment *x)
{
	struct csv *c = user;
	cli_segment_csv_row(c, run_id, x);
	return ferror(c->out) ? OUTPUT_FAILED : 0;
}

static int write_segments(struct store *s, const struct export_args *a, struct csv *c)
{
	struct run_ids ids = { 0 };
	struct store_run run;
	int err = 0;
	if (a->run_id == 0)
		err = store_foreach_run(s, a->from_us, a->to_us, note_run_id, &ids);
	else if ((err = store_get_run(s, a->run_id, &run)) == 0 && run.start_us >= a->from_us &&
		 run.start_us < a->to_us)
		note_run_id(&ids, &run);
	csv_header(c, cli_segment_columns, CLI_SEGMENT_COLUMNS);
	for (size_t i = 0; i < ids.n && !err; i++) {
		if (cli_ensure_terrain(a->g, s, ids.id[i]))
			err = -EIO;
		else
			err = store_foreach_segment(s, ids.id[i], write_segment, c, NULL);
	}
	free(ids.id);
	return err;
}

static int write_csv(struct store *s, const struct export_args *a, FILE *out)
{
	struct csv c;
	csv_init(&c, out);
	if (a->kind == EXPORT_SEGMENTS)
		return write_segments(s, a, &c);
	if (a->kind == EXPORT_SAMPLES) {
		csv_header(&c, sample_columns, sizeof(sample_columns) / sizeof(sample_columns[0]));
		return store_foreach_sample(s, a->run_id, a->from_us, a->to_us, write_sample, &c);
	}
	if (a->kind == EXPORT_PAIN)
		return export_pain_csv(s, &c, a->from_us, a->to_us);
	write_run_header(&c);
	struct export_pain_index pain;
	int err = export_pain_load(s, &pain);
	struct run_writer w = { &c, &pain };
	if (err == 0 && a->run_id == 0)
		err = store_foreach_run(s, a->from_us, a->to_us, write_run, &w);
	struct store_run run;
	if (err == 0 && a->run_id && (err = store_get_run(s, a->run_id, &run)) == 0 &&
	    run.start_us >= a->from_us && run.start_us < a->to_us)
		err = write_run(&w, &run);
	export_pain_free(&pain);
	return err;
}

/* Writes into a temporary file beside FILE and renames it at the end, so a
 * failed export never leaves half a file where a good one was. */
static int export_to_file(struct store *s, const struct export_args *a)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", a->output) >= (int)sizeof(tmp)) {
		cli_error("output file name %s is too long", a->output);
		return EX_CANTCREAT;
	}
	/* Private, like the database it comes from (paths_file_mode). */
	int fd = paths_create_temp(tmp);
	if (fd < 0)
		errno = -fd;
	FILE *out = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!out) {
		cli_error("cannot create %s: %s", a->output, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		return EX_CANTCREAT;
	}
	int err = write_csv(s, a, out);
	int write_failed = ferror(out) | (fclose(out) != 0);
	int rc = 0;
	if (err == OUTPUT_FAILED || (err == 0 && write_failed)) {
		cli_error("cannot write %s: %s", a->output, strerror(errno));
		rc = EX_IOERR;
	} else if (err < 0) {
		rc = err == -ENOENT ? EX_NOINPUT : 1;
		cli_error("%s", store_error(s));
	} else if (rename(tmp, a->output) < 0) {
		cli_error("cannot create %s: %s", a->output, strerror(errno));
		rc = EX_CANTCREAT;
	}
	if (rc)
		unlink(tmp);
	return rc;
}

static int export_to_stdout(struct store *s, const struct export_args *a)
{
	int err = write_csv(s, a, stdout);
	if (err == OUTPUT_FAILED || (err == 0 && fflush(stdout) != 0)) {
		cli_error("cannot write the CSV: %s", strerror(errno));
		return EX_IOERR;
	}
	if (err < 0)
		cli_error("%s", store_error(s));
	return err == -ENOENT ? EX_NOINPUT : err < 0 ? 1 : 0;
}

int cmd_export(const struct cli_globals *g, int argc, char **argv)
{
	struct export_args a = { .g = g, .from_us = INT64_MIN, .to_us = INT64_MAX };
	int rc = parse_options(argc, argv, &a);
	if (rc)
		return rc < 0 ? 0 : rc;
	struct store *s;
	if ((rc = cli_open_store(g, STORE_READ_ONLY, &s)))
		return rc;
	struct store_run run;
	if (a.run_id && (rc = cli_get_run(g, s, a.run_id, &run))) {
		store_close(s);
		return rc;
	}
	rc = a.output ? export_to_file(s, &a) : export_to_stdout(s, &a);
	store_close(s);
	return rc;
}
