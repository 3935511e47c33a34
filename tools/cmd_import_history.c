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
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cli_util.h"
#include "import/activity.h"
#include "import_input.h"
#include "nav/baro.h"
#include "store/pods.h"
#include "util/xalloc.h"

#define READ_BLOCK_BYTES (64u << 10)
#define JOBS_MAX 16
#define DIR_DEPTH_MAX 8
/* The same smoothing as a live run's barometer (daemon/ingest.c). */
#define CLIMB_WINDOW 5
#define CLIMB_HYSTERESIS_M 3.0
/* Shorter than this is a test of the watch's buttons, not a run. */
#define RUN_MIN_S 60

struct history_args {
	bool include_walks;
	bool verbose;
	unsigned jobs;
};

struct tally {
	unsigned files, runs, duplicates, other_sports, not_activities, too_short, failed;
	bool progress; /* a terminal: one progress line, redrawn */
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: hamstride import FILE|DIR... [--include walk] [--jobs N] [-v]\n"
		"       hamstride import imu FILE [OPTIONS]   (see 'hamstride import imu --help')\n\n"
		"Imports the runner's history from a watch's activity files: FIT files\n"
		"(Garmin, COROS, Suunto, Polar, Wahoo, Stryd), recognised by their content,\n"
		"whatever their names. Folders are searched (a Garmin export's). One run per\n"
		"running activity (road, trail, track, treadmill), with a sample a second;\n"
		"an activity already stored is skipped. TCX and GPX files too; gzip files\n"
		"(.fit.gz, .gpx.gz, .tcx.gz) and zip archives (a Garmin Connect or Strava\n"
		"export) are read as they are, each file in them in turn.\n\n"
		"  --include walk   also import walks and hikes\n"
		"  -j, --jobs N     decode N files at once (1-16; default 1): the same runs\n"
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

/* ---- one activity into the store, record by record ----------------------- */

static double stride_of(const struct activity_record *r)
{
	if (isfinite(r->step_length_m))
		return 2 * r->step_length_m;
	if (isfinite(r->speed_mps) && r->cadence_spm > 0)
		return 2 * r->speed_mps * 60 / r->cadence_spm;
	return NAN;
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

struct incline {
	int64_t t_us;
	double pct;
};

/* Streams an activity's records into a run as they are read; the run is
 * kept or dropped (store_discard) once the whole file is known. */
struct run_writer {
	struct store *s;
	int64_t run_id; /* 0 until the first record */
	int err;        /* the store's, which stops the reading */
	double distance0, altitude0, last_distance;
	struct baro_climb climb;
	struct means m;
	/* A treadmill's incline, stored at the end if the file turns out to be
	 * a treadmill run (FIT says so in its session, after the records). */
	struct incline *inclines;
	size_t n_inclines, cap_inclines;
};

static void writer_init(struct run_writer *w, struct store *s)
{
	*w = (struct run_writer){
		.s = s, .distance0 = NAN, .altitude0 = NAN, .last_distance = NAN
	};
	baro_climb_init(&w->climb, CLIMB_WINDOW, CLIMB_HYSTERESIS_M);
}

static void keep_incline(struct run_writer *w, const struct activity_record *r)
{
	if (w->n_inclines == w->cap_inclines) {
		w->cap_inclines = w->cap_inclines ? 2 * w->cap_inclines : 256;
		w->inclines = xreallocarray(w->inclines, w->cap_inclines, sizeof(*w->inclines));
	}
	w->inclines[w->n_inclines++] = (struct incline){ r->t_us, r->incline_pct };
}

static int write_record(void *user, const struct activity_record *r)
{
	struct run_writer *w = user;
	if (!w->run_id && (w->err = store_run_begin(w->s, r->t_us, "import", &w->run_id)))
		return w->err;
	if (isnan(w->distance0) && isfinite(r->distance_m))
		w->distance0 = r->distance_m;
	if (isnan(w->altitude0) && isfinite(r->altitude_m))
		w->altitude0 = r->altitude_m;
	w->last_distance = r->distance_m;
	double elevation = NAN;
	if (isfinite(r->altitude_m))
		elevation = baro_climb_add(&w->climb, r->altitude_m - w->altitude0);
	add_means(&w->m, r);
	if (isfinite(r->incline_pct))
		keep_incline(w, r);
	struct store_sample x = {
		.t_us = r->t_us,
		.speed_mps = r->speed_mps,
		.cadence_spm = r->cadence_spm,
		.stride_length_m = stride_of(r),
		.distance_m = r->distance_m - (isfinite(w->distance0) ? w->distance0 : 0),
		.pressure_pa = NAN,
		.temperature_c = r->temperature_c,
		.elevation_m = elevation,
		.heart_rate_bpm = r->heart_rate_bpm,
	};
	w->err = store_sample(w->s, w->run_id, &x);
	return w->err;
}

/* The watch's own session totals where it wrote them, else from the
 * records; elevation from the same hysteresis a live run uses. */
static void summarise(const struct activity *a, const struct run_writer *w, struct store_run *run)
{
	const struct means *m = &w->m;
	bool have_altitude = isfinite(w->altitude0);
	double span_s = (double)(a->last_us - a->first_us) / 1e6;
	run->start_us = a->first_us;
	run->end_us = a->last_us;
	run->duration_s = isfinite(a->total_timer_s) ? a->total_timer_s : span_s;
	run->distance_m = isfinite(a->total_distance_m) ? a->total_distance_m
							: w->last_distance - w->distance0;
	run->elevation_gain_m = isfinite(a->total_ascent_m) ? a->total_ascent_m
				: have_altitude             ? w->climb.gain_m
							    : NAN;
	run->elevation_loss_m = isfinite(a->total_descent_m) ? a->total_descent_m
				: have_altitude              ? w->climb.loss_m
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

static int finish_run(struct run_writer *w, const struct activity *a, const char *source)
{
	struct store_run run = { 0 };
	summarise(a, w, &run);
	run.id = w->run_id;
	snprintf(run.source, sizeof(run.source), "%s", source);
	int err = 0;
	if (a->sub_sport == FIT_SUB_SPORT_TREADMILL)
		for (size_t i = 0; i < w->n_inclines && !err; i++)
			err = store_sample_set_incline(w->s, w->run_id, w->inclines[i].t_us,
						       w->inclines[i].pct);
	return err ? err : store_run_end(w->s, &run);
}

/* ---- recognising an activity ---------------------------------------------------- */

struct duplicate_probe {
	const char *source_device; /* the part of source after the file name */
	double duration_s;
	int64_t self_id; /* the run being written, which starts there too */
	int64_t found_id;
};

/* The same activity: it starts at the same microsecond, from the same
 * device, and lasts as long (a renamed file is still the same run). */
static int match_run(void *user, const struct store_run *run)
{
	struct duplicate_probe *p = user;
	const char *device = strrchr(run->source, '(');
	if (run->id != p->self_id && device && strcmp(device, p->source_device) == 0 &&
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

struct job;

struct importer {
	struct store *s;
	const struct history_args *args;
	struct tally t;
	struct pool *pool; /* with --jobs above 1 */
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

static void failed(struct importer *im, const char *name, const char *why)
{
	im->t.failed++;
	if (im->t.progress)
		fputc('\n', stderr);
	cli_error("%s: %s", name, why);
}

/* The run written is kept, or the activity is already stored (then the
 * run is dropped); returns the store's error. */
static int keep_run(struct importer *im, const char *name, const struct activity *a,
		    struct run_writer *w)
{
	char source[64], device[40];
	snprintf(device, sizeof(device), "(%.36s)", a->device[0] ? a->device : "unknown device");
	/* ", GPS altitude" before the device: the device stays the last
	 * parenthesis, which the duplicate check compares. */
	const char *gps =
		activity_altitude_source(a) == ACTIVITY_ALTITUDE_GPS ? ", GPS altitude" : "";
	snprintf(source, sizeof(source), "import %.*s%s %s",
		 (int)(sizeof(source) - strlen(device) - strlen(gps) - 9), base_name(name), gps,
		 device);
	struct duplicate_probe probe = { device,
					 isfinite(a->total_timer_s)
						 ? a->total_timer_s
						 : (double)(a->last_us - a->first_us) / 1e6,
					 w->run_id, 0 };
	int err = store_foreach_run(im->s, a->first_us, a->first_us + 1, match_run, &probe);
	if (err == 0 && probe.found_id) {
		store_discard(im->s);
		im->t.duplicates++;
		char id[48];
		snprintf(id, sizeof(id), "already stored as run %lld", (long long)probe.found_id);
		say(im, name, id, ", skipped");
		return 0;
	}
	if (err == 0)
		err = finish_run(w, a, source);
	if (err == 0)
		err = store_flush(im->s);
	if (err) {
		store_discard(im->s);
		return err;
	}
	im->t.runs++;
	char line[512];
	size_t len = (size_t)snprintf(
		line, sizeof(line), "run %lld, %zu records, %s altitude%s%s", (long long)w->run_id,
		a->n_records, activity_altitude_name(activity_altitude_source(a)),
		a->status.crc_bad ? ", its CRC is wrong (read all the same)" : "",
		a->status.truncated ? ", cut short (what was whole is kept)" : "");
	for (size_t i = 0; i < a->n_developer_fields && len < sizeof(line); i++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%s",
					i ? ", " : "; developer fields: ", a->developer_fields[i]);
	say(im, name, line, "");
	return 0;
}

/* What becomes of an activity read (rc its reader's result) whose records
 * went through w: kept as a run, or dropped with the reason counted.
 * Returns the store's error, which stops the import. */
static int conclude(struct importer *im, const char *name, const struct activity *a, int rc,
		    struct run_writer *w)
{
	char what[64];
	int err = 0;
	bool kept = false;
	if (w->err) {
		err = w->err;
		cli_error("%s: %s", name, store_error(im->s));
	} else if (rc) {
		failed(im, name, a->status.why[0] ? a->status.why : strerror(-rc));
	} else if (a->file_type != FIT_FILE_ACTIVITY) {
		im->t.not_activities++;
		say(im, name, fit_file_type_name(a->file_type, what, sizeof(what)),
		    ", not an activity: skipped");
	} else if (!is_running(a, im->args) || a->n_records == 0) {
		im->t.other_sports++;
		say(im, name,
		    a->n_records ? activity_sport_name(a->sport, what, sizeof(what))
				 : "an activity with no records",
		    ", skipped");
	} else if (a->last_us - a->first_us < RUN_MIN_S * 1000000LL) {
		im->t.too_short++;
		say(im, name, "shorter than a minute", ", skipped");
	} else if ((err = keep_run(im, name, a, w))) {
		cli_error("%s: %s", name, store_error(im->s));
	} else {
		kept = true;
	}
	if (!kept)
		store_discard(im->s); /* nothing of a file not kept stays */
	free(w->inclines);
	progress(&im->t, false);
	return err;
}

/* ---- reading a file: one stream, or many files at once ------------------------- */

/* The member's bytes into a reader; returns the reader's result, or the
 * member's read error (then why says it). */
static int feed_member(struct import_member *m, const uint8_t *first, size_t first_len,
		       struct activity_reader *r, uint8_t *block, struct activity *a)
{
	int rc = activity_reader_feed(r, first, first_len);
	while (rc == 0 && !activity_reader_stopped(r)) {
		ssize_t n = import_member_read(m, block, READ_BLOCK_BYTES);
		if (n < 0) {
			activity_reader_finish(r);
			snprintf(a->status.why, sizeof(a->status.why), "%s", import_member_why(m));
			return (int)n;
		}
		if (n == 0)
			break;
		rc = activity_reader_feed(r, block, (size_t)n);
	}
	int end = activity_reader_finish(r);
	return rc ? rc : end;
}

static int drain(struct importer *im);

/* The first block, to tell the format; false (counted, and said after
 * the files before it) if it is none. *err: the store's error. */
static bool member_format(struct importer *im, struct import_member *m, uint8_t *block, size_t *len,
			  enum activity_format *format, int *err)
{
	ssize_t n = import_member_read(m, block, READ_BLOCK_BYTES);
	im->t.files++;
	*err = 0;
	if (n < 0) {
		*err = drain(im);
		failed(im, import_member_name(m), import_member_why(m));
		return false;
	}
	*len = (size_t)n;
	if (!activity_format_of(block, *len, format)) {
		*err = drain(im);
		im->t.not_activities++;
		say(im, import_member_name(m),
		    "not an activity file hamstride knows (not FIT, TCX or GPX)", ", skipped");
		progress(&im->t, false);
		return false;
	}
	return true;
}

/* One member with --jobs 1: decoded straight into the store. */
static int import_streamed(struct importer *im, struct import_member *m)
{
	uint8_t *block = xmalloc(READ_BLOCK_BYTES);
	size_t len;
	enum activity_format format;
	int err = 0;
	if (member_format(im, m, block, &len, &format, &err)) {
		/* The block is fed before the next read reuses it. */
		uint8_t *first = xmalloc(len ? len : 1);
		memcpy(first, block, len);
		struct activity a;
		struct run_writer w;
		writer_init(&w, im->s);
		struct activity_reader *r = activity_reader_new(format, &a, write_record, &w);
		int rc = feed_member(m, first, len, r, block, &a);
		activity_reader_free(r);
		free(first);
		err = conclude(im, import_member_name(m), &a, rc, &w);
		activity_free(&a);
	}
	free(block);
	return err;
}

/*
 * --jobs N: N threads decode whole files held in memory (at most
 * JOB_RING of them at once), and this thread stores each result in the
 * order the files were found, through the same writer as a streamed file:
 * the runs, their ids and the duplicates found are those of --jobs 1.
 */
struct job {
	char name[512];
	uint8_t *bytes;
	size_t len;
	enum activity_format format;
	int rc;
	bool done;
	struct activity a;
};

#define JOB_RING (2 * JOBS_MAX)

struct pool {
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	struct job *ring[JOB_RING];
	size_t head, next, tail; /* stored, being decoded, found */
	bool closing;
	unsigned n_threads;
	pthread_t threads[JOBS_MAX];
};

static void *decode_jobs(void *user)
{
	struct pool *p = user;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->next == p->tail && !p->closing)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->next == p->tail)
			break;
		struct job *j = p->ring[p->next++ % JOB_RING];
		pthread_mutex_unlock(&p->mu);
		struct activity_reader *r = activity_reader_new(j->format, &j->a, NULL, NULL);
		int rc = activity_reader_feed(r, j->bytes, j->len);
		int end = activity_reader_finish(r);
		activity_reader_free(r);
		free(j->bytes);
		j->bytes = NULL;
		pthread_mutex_lock(&p->mu);
		j->rc = rc ? rc : end;
		j->done = true;
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static void pool_start(struct pool *p, unsigned n)
{
	*p = (struct pool){ .n_threads = n };
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	for (unsigned i = 0; i < n; i++)
		if (pthread_create(&p->threads[i], NULL, decode_jobs, p) != 0) {
			fprintf(stderr, "hamstride: cannot start a thread\n");
			abort();
		}
}

/* The oldest file found, once decoded, into the store. */
static int store_oldest(struct importer *im)
{
	struct pool *p = im->pool;
	pthread_mutex_lock(&p->mu);
	struct job *j = p->ring[p->head % JOB_RING];
	while (!j->done)
		pthread_cond_wait(&p->done, &p->mu);
	p->head++;
	pthread_mutex_unlock(&p->mu);
	struct run_writer w;
	writer_init(&w, im->s);
	for (size_t i = 0; i < j->a.n_records && !w.err; i++)
		write_record(&w, &j->a.records[i]);
	int err = conclude(im, j->name, &j->a, j->rc, &w);
	activity_free(&j->a);
	free(j);
	return err;
}

/* Every file found so far into the store, in order. */
static int drain(struct importer *im)
{
	int err = 0;
	while (im->pool && im->pool->head < im->pool->tail) {
		int e = store_oldest(im);
		err = err ? err : e;
	}
	return err;
}

static int pool_stop(struct importer *im)
{
	struct pool *p = im->pool;
	int err = drain(im);
	pthread_mutex_lock(&p->mu);
	p->closing = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < p->n_threads; i++)
		pthread_join(p->threads[i], NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	return err;
}

/* One member with --jobs above 1: read whole, then queued. */
static int import_queued(struct importer *im, struct import_member *m)
{
	uint8_t *block = xmalloc(READ_BLOCK_BYTES);
	size_t len;
	struct job *j = xcalloc(1, sizeof(*j));
	int err;
	if (!member_format(im, m, block, &len, &j->format, &err)) {
		free(block);
		free(j);
		return err;
	}
	size_t cap = len > READ_BLOCK_BYTES ? len : READ_BLOCK_BYTES;
	j->bytes = xmalloc(cap);
	memcpy(j->bytes, block, len);
	j->len = len;
	free(block);
	for (;;) {
		if (j->len == cap)
			j->bytes = xreallocarray(j->bytes, cap *= 2, 1);
		ssize_t n = import_member_read(m, j->bytes + j->len, cap - j->len);
		if (n < 0) {
			err = drain(im);
			failed(im, import_member_name(m), import_member_why(m));
			free(j->bytes);
			free(j);
			return err;
		}
		if (n == 0)
			break;
		j->len += (size_t)n;
	}
	snprintf(j->name, sizeof(j->name), "%s", import_member_name(m));
	struct pool *p = im->pool;
	if (p->tail - p->head == JOB_RING)
		err = store_oldest(im);
	pthread_mutex_lock(&p->mu);
	p->ring[p->tail++ % JOB_RING] = j;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->mu);
	return err;
}

static int import_member(void *user, struct import_member *m)
{
	struct importer *im = user;
	return im->pool ? import_queued(im, m) : import_streamed(im, m);
}

static int import_file(struct importer *im, const char *path)
{
	char why[640];
	why[0] = '\0';
	int err = import_input_each(path, import_member, im, why, sizeof(why));
	if (err < 0 && why[0]) {
		/* The file (or an archive in it) could not be read: counted
		 * after the files before it, and the next file goes on. */
		int e = drain(im);
		if (e)
			return e;
		im->t.files++;
		im->t.failed++;
		if (im->t.progress)
			fputc('\n', stderr);
		cli_error("%s", why);
		return 0;
	}
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
		{ "jobs", required_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct history_args args = { .jobs = 1 };
	int opt;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":j:vh", options, NULL)) != -1) {
		switch (opt) {
		case 'i':
			if (strcmp(optarg, "walk") != 0)
				return cli_usage_error("import", "--include takes walk, not '%s'",
						       optarg);
			args.include_walks = true;
			break;
		case 'j': {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (*end || end == optarg || n < 1 || n > JOBS_MAX)
				return cli_usage_error("import", "--jobs takes 1 to %d, not '%s'",
						       JOBS_MAX, optarg);
			args.jobs = (unsigned)n;
			break;
		}
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
	struct pool pool;
	if (args.jobs > 1) {
		pool_start(&pool, args.jobs);
		im.pool = &pool;
	}
	int err = 0;
	for (int i = optind; i < argc && err == 0; i++)
		err = import_path(&im, argv[i], 0);
	if (im.pool) {
		int e = pool_stop(&im);
		err = err ? err : e;
	}
	int rc_write = err ? cli_write_exit(im.s) : 0;
	store_close(im.s);
	progress(&im.t, true);
	return err ? rc_write : im.t.failed ? EX_DATAERR : 0;
}
