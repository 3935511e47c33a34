// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hamstride import FILE|DIR...: the runner's history from a watch's
 * activity files. Files are recognised by their content, not their name;
 * a run per running activity, samples a second like a live run's, one
 * transaction per file, an activity already stored skipped.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cli_util.h"
#include "import/activity.h"
#include "nav/baro.h"
#include "util/xalloc.h"

#define FILE_MAX_BYTES (64u << 20) /* far above any activity file */
#define DIR_DEPTH_MAX 8
/* The same smoothing as a live run's barometer (daemon/ingest.c). */
#define CLIMB_WINDOW 5
#define CLIMB_HYSTERESIS_M 3.0
/* Shorter than this is a test of the watch's buttons, not a run. */
#define RUN_MIN_S 60

struct history_args {
	bool include_walks;
	bool verbose;
};

struct tally {
	unsigned files, runs, duplicates, other_sports, not_activities, too_short, failed;
	bool progress; /* a terminal: one progress line, redrawn */
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: hamstride import FILE|DIR... [--include walk] [-v]\n"
		"       hamstride import imu FILE [OPTIONS]   (see 'hamstride import imu --help')\n\n"
		"Imports the runner's history from a watch's activity files: FIT files\n"
		"(Garmin, COROS, Suunto, Polar, Wahoo, Stryd), recognised by their content,\n"
		"whatever their names. Folders are searched (a Garmin export's). One run per\n"
		"running activity (road, trail, track, treadmill), with a sample a second;\n"
		"an activity already stored is skipped. Compressed files (.gz, .zip) are\n"
		"not read: unpack them first.\n\n"
		"  --include walk   also import walks and hikes\n"
		"  -v, --verbose    a line for every file\n"
		"  -h, --help       this help\n\n"
		"Exit codes: 0 every file read (runs imported, or skipped with a reason),\n"
		"65 a file could not be read, 64 bad arguments, 1 the database failed.\n");
}

static void progress(struct tally *t, bool final)
{
	if (!t->progress && !final)
		return;
	fprintf(stderr,
		"%s%u files: %u runs imported, %u already stored, %u other sports, "
		"%u not activities, %u too short, %u unreadable%s",
		t->progress ? "\r" : "", t->files, t->runs, t->duplicates, t->other_sports,
		t->not_activities, t->too_short, t->failed, final ? "\n" : "");
}

/* ---- one activity into the store ------------------------------------------ */

static double first_finite(const struct activity *a, size_t offset)
{
	for (size_t i = 0; i < a->n_records; i++) {
		double v = *(const double *)((const char *)&a->records[i] + offset);
		if (isfinite(v))
			return v;
	}
	return NAN;
}

static double stride_of(const struct activity_record *r)
{
	if (isfinite(r->step_length_m))
		return 2 * r->step_length_m;
	if (isfinite(r->speed_mps) && r->cadence_spm > 0)
		return 2 * r->speed_mps * 60 / r->cadence_spm;
	return NAN;
}

static struct store_sample sample_of(const struct activity_record *r, double distance0,
				     double elevation_m)
{
	return (struct store_sample){
		.t_us = r->t_us,
		.speed_mps = r->speed_mps,
		.cadence_spm = r->cadence_spm,
		.stride_length_m = stride_of(r),
		.distance_m = r->distance_m - distance0,
		.pressure_pa = NAN,
		.temperature_c = r->temperature_c,
		.elevation_m = elevation_m,
		.heart_rate_bpm = r->heart_rate_bpm,
	};
}

struct means {
	double hr_sum, hr_n, hr_max, cadence_sum, cadence_n, stride_sum, stride_n;
};

static void add_means(struct means *m, const struct activity_record *r)
{
	if (isfinite(r->heart_rate_bpm)) {
		m->hr_sum += r->heart_rate_bpm, m->hr_n++;
		m->hr_max = fmax(m->hr_max, r->heart_rate_bpm);
	}
	if (r->cadence_spm > 0)
		m->cadence_sum += r->cadence_spm, m->cadence_n++;
	double stride = stride_of(r);
	if (stride > 0)
		m->stride_sum += stride, m->stride_n++;
}

static double or_nan(double sum, double n)
{
	return n > 0 ? sum / n : NAN;
}

/* The watch's own session totals where it wrote them, else from the
 * records; elevation from the same hysteresis a live run uses. */
static void summarise(const struct activity *a, const struct means *m,
		      const struct baro_climb *climb, bool have_altitude, struct store_run *run)
{
	const struct activity_record *first = &a->records[0], *last = &a->records[a->n_records - 1];
	double span_s = (double)(last->t_us - first->t_us) / 1e6;
	double record_distance =
		last->distance_m - first_finite(a, offsetof(struct activity_record, distance_m));
	run->start_us = first->t_us;
	run->end_us = last->t_us;
	run->duration_s = isfinite(a->total_timer_s) ? a->total_timer_s : span_s;
	run->distance_m = isfinite(a->total_distance_m) ? a->total_distance_m : record_distance;
	run->elevation_gain_m = isfinite(a->total_ascent_m) ? a->total_ascent_m
				: have_altitude             ? climb->gain_m
							    : NAN;
	run->elevation_loss_m = isfinite(a->total_descent_m) ? a->total_descent_m
				: have_altitude              ? climb->loss_m
							     : NAN;
	run->speed_mps = run->duration_s > 0 ? run->distance_m / run->duration_s : NAN;
	run->cadence_spm = or_nan(m->cadence_sum, m->cadence_n);
	run->stride_length_m = or_nan(m->stride_sum, m->stride_n);
	run->heart_rate_bpm = isfinite(a->avg_heart_rate_bpm) ? a->avg_heart_rate_bpm
							      : or_nan(m->hr_sum, m->hr_n);
	run->heart_rate_max_bpm = isfinite(a->max_heart_rate_bpm) ? a->max_heart_rate_bpm
				  : m->hr_n > 0                   ? m->hr_max
								  : NAN;
	snprintf(run->end_reason, sizeof(run->end_reason), "imported");
}

static int store_activity(struct store *s, const struct activity *a, const char *source,
			  int64_t *run_id)
{
	struct store_run run = { 0 };
	int err = store_run_begin(s, a->records[0].t_us, source, run_id);
	double distance0 = first_finite(a, offsetof(struct activity_record, distance_m));
	double altitude0 = first_finite(a, offsetof(struct activity_record, altitude_m));
	struct baro_climb climb;
	baro_climb_init(&climb, CLIMB_WINDOW, CLIMB_HYSTERESIS_M);
	struct means m = { 0 };
	for (size_t i = 0; i < a->n_records && err == 0; i++) {
		const struct activity_record *r = &a->records[i];
		double elevation = NAN;
		if (isfinite(r->altitude_m))
			elevation = baro_climb_add(&climb, r->altitude_m - altitude0);
		add_means(&m, r);
		struct store_sample x =
			sample_of(r, isfinite(distance0) ? distance0 : 0, elevation);
		err = store_sample(s, *run_id, &x);
	}
	if (err)
		return err;
	summarise(a, &m, &climb, isfinite(altitude0), &run);
	run.id = *run_id;
	snprintf(run.source, sizeof(run.source), "%s", source);
	return store_run_end(s, &run);
}

/* ---- recognising a file -------------------------------------------------------- */

struct duplicate_probe {
	const char *source_device; /* the part of source after the file name */
	double duration_s;
	int64_t found_id;
};

/* The same activity: it starts at the same microsecond, from the same
 * device, and lasts as long (a renamed file is still the same run). */
static int match_run(void *user, const struct store_run *run)
{
	struct duplicate_probe *p = user;
	const char *device = strrchr(run->source, '(');
	if (device && strcmp(device, p->source_device) == 0 &&
	    fabs(run->duration_s - p->duration_s) < 1.0)
		p->found_id = run->id;
	return 0;
}

static bool is_running(const struct activity *a, const struct history_args *args)
{
	if (a->sport == FIT_SPORT_RUNNING)
		return true;
	return args->include_walks &&
	       (a->sport == FIT_SPORT_WALKING || a->sport == FIT_SPORT_HIKING);
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

static const char *what_else(const uint8_t *buf, size_t len)
{
	if (len >= 2 && buf[0] == 0x1F && buf[1] == 0x8B)
		return "a gzip-compressed file: unpack it first (gunzip)";
	if (len >= 4 && memcmp(buf, "PK\3\4", 4) == 0)
		return "a zip archive: unpack it first (unzip)";
	return "not an activity file hamstride knows (not FIT, TCX or GPX)";
}

static int read_whole(const char *path, uint8_t **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -errno;
	struct stat st;
	if (fstat(fileno(f), &st) != 0 || st.st_size > FILE_MAX_BYTES) {
		fclose(f);
		return -EFBIG;
	}
	*buf = xmalloc((size_t)st.st_size + 1);
	*len = fread(*buf, 1, (size_t)st.st_size, f);
	int err = ferror(f) ? -EIO : 0;
	fclose(f);
	if (err)
		free(*buf);
	return err;
}

struct importer {
	struct store *s;
	const struct history_args *args;
	struct tally t;
};

/* With --verbose, what became of a file. */
static void say(const struct importer *im, const char *path, const char *what, const char *after)
{
	if (!im->args->verbose)
		return;
	if (im->t.progress)
		fputc('\n', stderr);
	fprintf(stderr, "%s: %s%s\n", path, what, after);
}

/* Returns 0, or the store's error (then the file's writes are undone). */
static int import_activity(struct importer *im, const char *path, const struct activity *a)
{
	char source[64], device[40];
	snprintf(device, sizeof(device), "(%.36s)", a->device[0] ? a->device : "unknown device");
	snprintf(source, sizeof(source), "import %.*s %s",
		 (int)(sizeof(source) - strlen(device) - 9), base_name(path), device);
	struct duplicate_probe probe = {
		device,
		isfinite(a->total_timer_s)
			? a->total_timer_s
			: (double)(a->records[a->n_records - 1].t_us - a->records[0].t_us) / 1e6,
		0
	};
	int err = store_foreach_run(im->s, a->records[0].t_us, a->records[0].t_us + 1, match_run,
				    &probe);
	if (err == 0 && probe.found_id) {
		im->t.duplicates++;
		char id[48];
		snprintf(id, sizeof(id), "already stored as run %lld", (long long)probe.found_id);
		say(im, path, id, ", skipped");
		return 0;
	}
	int64_t run_id = 0;
	if (err == 0)
		err = store_activity(im->s, a, source, &run_id);
	if (err == 0)
		err = store_flush(im->s);
	if (err) {
		store_discard(im->s);
		return err;
	}
	im->t.runs++;
	char line[512];
	size_t len = (size_t)snprintf(
		line, sizeof(line), "run %lld, %zu records%s%s", (long long)run_id, a->n_records,
		a->status.crc_bad ? ", its CRC is wrong (read all the same)" : "",
		a->status.truncated ? ", cut short (what was whole is kept)" : "");
	for (size_t i = 0; i < a->n_developer_fields && len < sizeof(line); i++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%s",
					i ? ", " : "; developer fields: ", a->developer_fields[i]);
	say(im, path, line, "");
	return 0;
}

static int import_file(struct importer *im, const char *path)
{
	im->t.files++;
	uint8_t *buf = NULL;
	size_t len = 0;
	int err = read_whole(path, &buf, &len);
	if (err) {
		im->t.failed++;
		if (im->t.progress)
			fputc('\n', stderr);
		cli_error("%s: %s", path,
			  err == -EFBIG ? "too large for an activity file" : strerror(-err));
		return 0;
	}
	bool fit = fit_looks_like(buf, len);
	if (!fit && !activity_xml_looks_like(buf, len)) {
		im->t.not_activities++;
		say(im, path, what_else(buf, len), ", skipped");
		free(buf);
		return 0;
	}
	struct activity a;
	err = fit ? fit_activity_read(buf, len, &a) : activity_xml_read(buf, len, &a);
	free(buf);
	char what[64];
	if (err) {
		im->t.failed++;
		cli_error("%s: %s", path, a.status.why);
		err = 0; /* the file's fault: the next file goes on */
	} else if (a.file_type != FIT_FILE_ACTIVITY) {
		im->t.not_activities++;
		say(im, path, fit_file_type_name(a.file_type, what, sizeof(what)),
		    ", not an activity: skipped");
	} else if (!is_running(&a, im->args) || a.n_records == 0) {
		im->t.other_sports++;
		say(im, path,
		    a.n_records ? activity_sport_name(a.sport, what, sizeof(what))
				: "an activity with no records",
		    ", skipped");
	} else if (a.records[a.n_records - 1].t_us - a.records[0].t_us < RUN_MIN_S * 1000000LL) {
		im->t.too_short++;
		say(im, path, "shorter than a minute", ", skipped");
	} else if ((err = import_activity(im, path, &a))) {
		cli_error("%s: %s", path, store_error(im->s));
	}
	activity_free(&a);
	progress(&im->t, false);
	return err;
}

static int import_path(struct importer *im, const char *path, int depth);

static int import_dir(struct importer *im, const char *path, int depth)
{
	struct dirent **names;
	int n = scandir(path, &names, NULL, alphasort); /* sorted: the same order every time */
	if (n < 0) {
		im->t.failed++;
		cli_error("%s: %s", path, strerror(errno));
		return 0;
	}
	int err = 0;
	for (int i = 0; i < n; i++) {
		if (err == 0 && names[i]->d_name[0] != '.') {
			char child[4096];
			snprintf(child, sizeof(child), "%s/%s", path, names[i]->d_name);
			err = import_path(im, child, depth + 1);
		}
		free(names[i]);
	}
	free(names);
	return err;
}

static int import_path(struct importer *im, const char *path, int depth)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		im->t.failed++;
		cli_error("%s: %s", path, strerror(errno));
		return 0;
	}
	if (S_ISDIR(st.st_mode))
		return depth < DIR_DEPTH_MAX ? import_dir(im, path, depth) : 0;
	return S_ISREG(st.st_mode) ? import_file(im, path) : 0;
}

int cmd_import_history(const struct cli_globals *g, int argc, char **argv)
{
	static const struct option options[] = {
		{ "include", required_argument, NULL, 'i' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct history_args args = { 0 };
	int opt;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":vh", options, NULL)) != -1) {
		switch (opt) {
		case 'i':
			if (strcmp(optarg, "walk") != 0)
				return cli_usage_error("import", "--include takes walk, not '%s'",
						       optarg);
			args.include_walks = true;
			break;
		case 'v':
			args.verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return cli_bad_option("import", opt, argv);
		}
	}
	if (optind >= argc)
		return cli_usage_error("import", "name the files or folders to import");
	struct importer im = { .args = &args, .t.progress = isatty(STDERR_FILENO) };
	int rc = cli_open_store(g, STORE_READ_WRITE, &im.s);
	if (rc)
		return rc;
	int err = 0;
	for (int i = optind; i < argc && err == 0; i++)
		err = import_path(&im, argv[i], 0);
	int rc_write = err ? cli_write_exit(im.s) : 0;
	store_close(im.s);
	progress(&im.t, true);
	return err ? rc_write : im.t.failed ? EX_DATAERR : 0;
}
