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
	/* The activity's device as known at the first record ("" not yet: a
	 * TCX names it after its laps). */
	const char *device;
	bool no_probe; /* the member read again: written whatever is stored */
	bool started;  /* the first record came */
	/* A stored run starts at the same microsecond from the same device:
	 * the records are not written, and the end says (keep_run()) whether
	 * this is that run, or another to be read again and written. */
	bool probing;
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

static void writer_init(struct run_writer *w, struct store *s, const char *device)
{
	*w = (struct run_writer){
		.s = s, .device = device, .distance0 = NAN, .altitude0 = NAN, .last_distance = NAN
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

/* "(Garmin 1036)": how an imported run's source ends, naming its device. */
static void device_mark(const char *device, char *mark, size_t size)
{
	snprintf(mark, size, "(%.36s)", device[0] ? device : "unknown device");
}

struct start_probe {
	const char *device_mark;
	bool any_device; /* the device is not known yet */
	bool found;
};

static int same_start(void *user, const struct store_run *run)
{
	struct start_probe *p = user;
	const char *device = strrchr(run->source, '(');
	if (p->any_device || (device && strcmp(device, p->device_mark) == 0))
		p->found = true;
	return 0;
}

/* At the first record: a new run, or the probe if a stored run starts
 * there from the same device (a re-import then writes nothing). */
static int begin_run(struct run_writer *w, int64_t t_us)
{
	w->started = true;
	if (!w->no_probe) {
		char mark[40];
		device_mark(w->device, mark, sizeof(mark));
		struct start_probe p = { mark, w->device[0] == '\0', false };
		int err = store_foreach_run(w->s, t_us, t_us + 1, same_start, &p);
		if (err || p.found) {
			w->probing = p.found;
			return err;
		}
	}
	return store_run_begin(w->s, t_us, "import", &w->run_id);
}

static int write_record(void *user, const struct activity_record *r)
{
	struct run_writer *w = user;
	if (!w->started && (w->err = begin_run(w, r->t_us)))
		return w->err;
	if (w->probing)
		return 0;
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
		    struct run_writer *w, bool *again)
{
	char source[64], device[40];
	device_mark(a->device, device, sizeof(device));
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
	if (err == 0 && w->probing) {
		/* Not the run stored there after all (another duration):
		 * nothing of it was written, so it is read again. */
		*again = true;
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
		    struct run_writer *w, bool *again)
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
	} else if ((err = keep_run(im, name, a, w, again))) {
		cli_error("%s: %s", name, store_error(im->s));
	} else {
		kept = !*again;
	}
	if (!kept)
		store_discard(im->s); /* nothing of a file not kept stays */
	free(w->inclines);
	progress(&im->t, false);
	return err;
}

/* ---- what becomes of a file that is no activity ---------------------------- */

enum note_kind { NOTE_NOT_ACTIVITY, NOTE_UNREADABLE };

/* A file (or folder) that gives no activity: counted and said. */
static void apply_note(struct importer *im, enum note_kind kind, bool counts_file, const char *name,
		       const char *text)
{
	if (counts_file)
		im->t.files++;
	if (kind == NOTE_NOT_ACTIVITY) {
		im->t.not_activities++;
		say(im, name, "not an activity file hamstride knows (not FIT, TCX or GPX)",
		    ", skipped");
		progress(&im->t, false);
		return;
	}
	im->t.failed++;
	if (im->t.progress)
		fputc('\n', stderr);
	cli_error("%s", text);
}

static int queue_note(struct importer *im, enum note_kind kind, bool counts_file, const char *name,
		      const char *text);

/* With --jobs above 1 the note waits its turn, after the files before it. */
static int note(struct importer *im, enum note_kind kind, bool counts_file, const char *name,
		const char *text)
{
	if (im->pool)
		return queue_note(im, kind, counts_file, name, text);
	apply_note(im, kind, counts_file, name, text);
	return 0;
}

/* ---- one member decoded straight into the store --------------------------- */

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

/* The first block, to tell the format; false (counted and said) if it is
 * none. first_read: the member is read for the first time (else it was
 * counted then). */
static bool member_format(struct importer *im, struct import_member *m, uint8_t *block, size_t *len,
			  enum activity_format *format, bool first_read)
{
	ssize_t n = import_member_read(m, block, READ_BLOCK_BYTES);
	if (n < 0) {
		char text[700];
		snprintf(text, sizeof(text), "%s: %s", import_member_name(m), import_member_why(m));
		apply_note(im, NOTE_UNREADABLE, first_read, import_member_name(m), text);
		return false;
	}
	*len = (size_t)n;
	if (!activity_format_of(block, *len, format)) {
		apply_note(im, NOTE_NOT_ACTIVITY, first_read, import_member_name(m), NULL);
		return false;
	}
	if (first_read)
		im->t.files++;
	return true;
}

/* One member decoded into the store as it is read. probe: a stored run
 * starting there is probed (*again: the member must be read again, with
 * no probe, to be written). */
static int stream_member(struct importer *im, struct import_member *m, bool probe, bool *again)
{
	uint8_t *block = xmalloc(READ_BLOCK_BYTES);
	size_t len;
	enum activity_format format;
	int err = 0;
	if (member_format(im, m, block, &len, &format, probe)) {
		/* The block is fed before the next read reuses it. */
		uint8_t *first = xmalloc(len ? len : 1);
		memcpy(first, block, len);
		struct activity a;
		struct run_writer w;
		writer_init(&w, im->s, a.device);
		w.no_probe = !probe;
		struct activity_reader *r = activity_reader_new(format, &a, write_record, &w);
		int rc = feed_member(m, first, len, r, block, &a);
		activity_reader_free(r);
		free(first);
		err = conclude(im, import_member_name(m), &a, rc, &w, again);
		activity_free(&a);
	}
	free(block);
	return err;
}

static int again_member(void *user, struct import_member *m)
{
	bool again = false;
	return stream_member(user, m, false, &again);
}

/* A probed member that is not the run stored: read again and written. */
static int read_again(struct importer *im, const struct import_where *where)
{
	char why[640];
	why[0] = '\0';
	int err = import_input_again(where, again_member, im, why, sizeof(why));
	if (err < 0 && why[0]) {
		apply_note(im, NOTE_UNREADABLE, false, where->path, why);
		return 0;
	}
	return err;
}

/* One member with --jobs 1. */
static int import_streamed(struct importer *im, struct import_member *m)
{
	bool again = false;
	int err = stream_member(im, m, true, &again);
	return err == 0 && again ? read_again(im, import_member_where(m)) : err;
}

/*
 * --jobs N: this thread reads the members (a zip's can only be read in
 * turn) and hands their bytes, a block at a time, to N threads that
 * decode them; a writer thread stores each one's records in the order the
 * files were found, through the same run writer as --jobs 1: the runs,
 * their ids, the duplicates found and the lines said are those of --jobs 1.
 *
 * Memory is bounded whatever the files' sizes: at most 2N files in flight
 * (RING), each holding at most IN_BLOCKS_MAX blocks read and not yet
 * decoded and OUT_CHUNKS_MAX chunks of records decoded and not yet stored.
 * Decoders take files in order, so the oldest file, which the writer
 * waits for, always has one: no wait goes round in a circle.
 */
#define IN_BLOCKS_MAX 4
#define OUT_CHUNKS_MAX 4
#define CHUNK_RECORDS 512
#define RING_MAX (2 * JOBS_MAX)

struct block {
	struct block *next;
	size_t len;
	uint8_t bytes[READ_BLOCK_BYTES];
};

struct chunk {
	struct chunk *next;
	size_t n;
	struct activity_record r[CHUNK_RECORDS];
};

struct job {
	bool is_note;
	enum note_kind note;
	bool counts_file;
	char text[700];
	char name[512];
	struct import_where where;
	enum activity_format format;
	/* From the reading thread to the decoder. */
	struct block *in, *in_last;
	unsigned n_in;
	bool in_end; /* the reading thread is done with the job */
	int in_err;  /* the member's read error at the end, 0 none */
	char in_why[160];
	bool stopped; /* the decoder wants no more input */
	/* From the decoder to the writer. */
	struct chunk *out, *out_last;
	unsigned n_out;
	char device[64]; /* the activity's device at its first record */
	bool done;
	int rc;
	struct activity a; /* the decoder's until done */
};

struct pool {
	pthread_mutex_t mu;
	pthread_cond_t work;  /* decoders: a job found, or input */
	pthread_cond_t room;  /* room in the ring or in a job's queue */
	pthread_cond_t ready; /* the writer: records, a job done or found */
	struct job *ring[RING_MAX];
	size_t ring_size;
	size_t head, next, tail; /* being stored, next to decode, found */
	bool closing;            /* every file found */
	bool stop;               /* the writer failed: the rest is dropped */
	int err;                 /* the writer's */
	struct importer *im;
	unsigned n_threads;
	pthread_t threads[JOBS_MAX], writer;
};

static struct job *job_new(const char *name)
{
	struct job *j = xcalloc(1, sizeof(*j));
	snprintf(j->name, sizeof(j->name), "%s", name);
	return j;
}

static void job_free(struct job *j)
{
	while (j->in) {
		struct block *b = j->in;
		j->in = b->next;
		free(b);
	}
	while (j->out) {
		struct chunk *c = j->out;
		j->out = c->next;
		free(c);
	}
	free(j);
}

/* Into the ring once there is room; -ECANCELED once the writer failed. */
static int enqueue(struct pool *p, struct job *j)
{
	pthread_mutex_lock(&p->mu);
	while (p->tail - p->head >= p->ring_size && !p->stop)
		pthread_cond_wait(&p->room, &p->mu);
	bool stop = p->stop;
	if (!stop) {
		p->ring[p->tail++ % p->ring_size] = j;
		pthread_cond_broadcast(&p->work);
		pthread_cond_signal(&p->ready);
	}
	pthread_mutex_unlock(&p->mu);
	if (stop)
		job_free(j);
	return stop ? -ECANCELED : 0;
}

static int queue_note(struct importer *im, enum note_kind kind, bool counts_file, const char *name,
		      const char *text)
{
	struct job *j = job_new(name);
	j->is_note = true;
	j->note = kind;
	j->counts_file = counts_file;
	snprintf(j->text, sizeof(j->text), "%s", text ? text : "");
	j->in_end = j->done = true;
	return enqueue(im->pool, j);
}

/* ---- the decoders ---- */

struct decoding {
	struct pool *p;
	struct job *j;
	struct chunk *chunk; /* being filled */
};

/* The chunk filled to the writer, once its queue has room. */
static int hand_over(struct decoding *d)
{
	struct pool *p = d->p;
	struct job *j = d->j;
	pthread_mutex_lock(&p->mu);
	while (j->n_out >= OUT_CHUNKS_MAX && !p->stop)
		pthread_cond_wait(&p->room, &p->mu);
	bool stop = p->stop;
	if (!stop) {
		if (j->out_last)
			j->out_last->next = d->chunk;
		else
			j->out = d->chunk;
		j->out_last = d->chunk;
		j->n_out++;
		pthread_cond_signal(&p->ready);
	}
	pthread_mutex_unlock(&p->mu);
	if (stop)
		free(d->chunk);
	d->chunk = NULL;
	return stop ? -ECANCELED : 0;
}

static int queue_record(void *user, const struct activity_record *r)
{
	struct decoding *d = user;
	if (d->j->a.n_records == 1)
		memcpy(d->j->device, d->j->a.device, sizeof(d->j->device));
	if (!d->chunk) {
		d->chunk = xmalloc(sizeof(*d->chunk));
		d->chunk->next = NULL;
		d->chunk->n = 0;
	}
	d->chunk->r[d->chunk->n++] = *r;
	return d->chunk->n == CHUNK_RECORDS ? hand_over(d) : 0;
}

/* The job's next block, NULL at the end of its input. */
static struct block *next_input(struct pool *p, struct job *j)
{
	pthread_mutex_lock(&p->mu);
	while (!j->in && !j->in_end)
		pthread_cond_wait(&p->work, &p->mu);
	struct block *b = j->in;
	if (b) {
		j->in = b->next;
		if (!j->in)
			j->in_last = NULL;
		j->n_in--;
		pthread_cond_broadcast(&p->room);
	}
	pthread_mutex_unlock(&p->mu);
	return b;
}

/* What feed_member() does, from the queue. */
static int decode_input(struct pool *p, struct job *j, struct activity_reader *r)
{
	int rc = 0;
	while (rc == 0 && !activity_reader_stopped(r)) {
		struct block *b = next_input(p, j);
		if (!b) {
			pthread_mutex_lock(&p->mu);
			int err = j->in_err;
			pthread_mutex_unlock(&p->mu);
			if (err) {
				activity_reader_finish(r);
				snprintf(j->a.status.why, sizeof(j->a.status.why), "%s", j->in_why);
				return err;
			}
			break;
		}
		rc = activity_reader_feed(r, b->bytes, b->len);
		free(b);
	}
	int end = activity_reader_finish(r);
	return rc ? rc : end;
}

static void decode_job(struct pool *p, struct job *j)
{
	struct decoding d = { p, j, NULL };
	struct activity_reader *r = activity_reader_new(j->format, &j->a, queue_record, &d);
	int rc = decode_input(p, j, r);
	activity_reader_free(r);
	pthread_mutex_lock(&p->mu);
	j->stopped = true; /* the reading thread may be waiting for room */
	pthread_cond_broadcast(&p->room);
	pthread_mutex_unlock(&p->mu);
	if (d.chunk) {
		int e = hand_over(&d);
		rc = rc ? rc : e;
	}
	pthread_mutex_lock(&p->mu);
	j->rc = rc;
	j->done = true;
	pthread_cond_signal(&p->ready);
	pthread_mutex_unlock(&p->mu);
}

static void *decoder_thread(void *user)
{
	struct pool *p = user;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		/* Notes the writer has freed are behind head. */
		if (p->next < p->head)
			p->next = p->head;
		while (p->next < p->tail && p->ring[p->next % p->ring_size]->is_note)
			p->next++;
		if (p->next < p->tail) {
			struct job *j = p->ring[p->next++ % p->ring_size];
			pthread_mutex_unlock(&p->mu);
			decode_job(p, j);
			pthread_mutex_lock(&p->mu);
			continue;
		}
		if (p->closing)
			break;
		pthread_cond_wait(&p->work, &p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* ---- the writer ---- */

/* The next chunk of the job's records, NULL once it is decoded and read. */
static struct chunk *next_output(struct pool *p, struct job *j)
{
	pthread_mutex_lock(&p->mu);
	while (!j->out && !(j->done && j->in_end))
		pthread_cond_wait(&p->ready, &p->mu);
	struct chunk *c = j->out;
	if (c) {
		j->out = c->next;
		if (!j->out)
			j->out_last = NULL;
		j->n_out--;
		pthread_cond_broadcast(&p->room);
	}
	pthread_mutex_unlock(&p->mu);
	return c;
}

static int store_job(struct importer *im, struct job *j)
{
	struct pool *p = im->pool;
	if (j->is_note) {
		apply_note(im, j->note, j->counts_file, j->name, j->text);
		return 0;
	}
	im->t.files++;
	struct run_writer w;
	writer_init(&w, im->s, j->device);
	struct chunk *c;
	while ((c = next_output(p, j))) {
		for (size_t i = 0; i < c->n && !w.err; i++)
			write_record(&w, &c->r[i]);
		free(c);
	}
	bool again = false;
	int err = conclude(im, j->name, &j->a, j->rc, &w, &again);
	activity_free(&j->a);
	return err == 0 && again ? read_again(im, &j->where) : err;
}

/* After a failure: the job waited for, and nothing of it stored. */
static void drop_job(struct pool *p, struct job *j)
{
	struct chunk *c;
	while ((c = next_output(p, j)))
		free(c);
	if (!j->is_note)
		activity_free(&j->a);
}

static void *writer_thread(void *user)
{
	struct pool *p = user;
	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (p->head == p->tail && !p->closing)
			pthread_cond_wait(&p->ready, &p->mu);
		bool end = p->head == p->tail;
		struct job *j = end ? NULL : p->ring[p->head % p->ring_size];
		bool stop = p->stop;
		pthread_mutex_unlock(&p->mu);
		if (end)
			break;
		int err = 0;
		if (stop)
			drop_job(p, j);
		else
			err = store_job(p->im, j);
		pthread_mutex_lock(&p->mu);
		if (err && !p->stop) {
			p->stop = true;
			p->err = err;
			pthread_cond_broadcast(&p->work);
		}
		p->head++;
		pthread_cond_broadcast(&p->room);
		pthread_mutex_unlock(&p->mu);
		job_free(j);
	}
	return NULL;
}

static void start_thread(pthread_t *t, void *(*fn)(void *), void *arg)
{
	if (pthread_create(t, NULL, fn, arg) != 0) {
		fprintf(stderr, "hamstride: cannot start a thread\n");
		abort();
	}
}

static void pool_start(struct pool *p, struct importer *im, unsigned n)
{
	*p = (struct pool){ .n_threads = n, .ring_size = 2 * n, .im = im };
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->room, NULL);
	pthread_cond_init(&p->ready, NULL);
	im->pool = p;
	for (unsigned i = 0; i < n; i++)
		start_thread(&p->threads[i], decoder_thread, p);
	start_thread(&p->writer, writer_thread, p);
}

/* Every file found stored (or dropped after a failure); the writer's
 * error. */
static int pool_stop(struct importer *im)
{
	struct pool *p = im->pool;
	pthread_mutex_lock(&p->mu);
	p->closing = true;
	pthread_cond_broadcast(&p->work);
	pthread_cond_signal(&p->ready);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->writer, NULL);
	for (unsigned i = 0; i < p->n_threads; i++)
		pthread_join(p->threads[i], NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->room);
	pthread_cond_destroy(&p->ready);
	im->pool = NULL;
	return p->err;
}

/* ---- the reading thread with --jobs above 1 ---- */

/* The job's input is all read (read_err: the member's error, or 0). */
static int end_input(struct pool *p, struct job *j, ssize_t read_err, const char *why)
{
	pthread_mutex_lock(&p->mu);
	j->in_err = (int)read_err;
	if (why)
		snprintf(j->in_why, sizeof(j->in_why), "%s", why);
	j->in_end = true;
	pthread_cond_broadcast(&p->work);
	pthread_cond_signal(&p->ready);
	bool stop = p->stop;
	pthread_mutex_unlock(&p->mu);
	return stop ? -ECANCELED : 0;
}

/* A block read into the job's queue once it has room; false once the
 * decoder wants no more (or the writer failed): the block is dropped. */
static bool add_input(struct pool *p, struct job *j, struct block *b)
{
	pthread_mutex_lock(&p->mu);
	while (j->n_in >= IN_BLOCKS_MAX && !j->stopped && !p->stop)
		pthread_cond_wait(&p->room, &p->mu);
	bool take = !j->stopped && !p->stop;
	if (take) {
		if (j->in_last)
			j->in_last->next = b;
		else
			j->in = b;
		j->in_last = b;
		j->n_in++;
		pthread_cond_broadcast(&p->work);
	}
	pthread_mutex_unlock(&p->mu);
	if (!take)
		free(b);
	return take;
}

static struct block *read_block(struct import_member *m, ssize_t *n)
{
	struct block *b = xmalloc(sizeof(*b));
	b->next = NULL;
	*n = import_member_read(m, b->bytes, sizeof(b->bytes));
	b->len = *n > 0 ? (size_t)*n : 0;
	return b;
}

/* One member with --jobs above 1: its first block tells the format, then
 * the blocks go to a decoder as they are read. */
static int import_queued(struct importer *im, struct import_member *m)
{
	struct pool *p = im->pool;
	const char *name = import_member_name(m);
	ssize_t n;
	struct block *b = read_block(m, &n);
	enum activity_format format;
	if (n < 0) {
		char text[700];
		snprintf(text, sizeof(text), "%s: %s", name, import_member_why(m));
		free(b);
		return note(im, NOTE_UNREADABLE, true, name, text);
	}
	if (!activity_format_of(b->bytes, b->len, &format)) {
		free(b);
		return note(im, NOTE_NOT_ACTIVITY, true, name, NULL);
	}
	struct job *j = job_new(name);
	j->where = *import_member_where(m);
	j->format = format;
	j->in = j->in_last = b;
	j->n_in = 1;
	int err = enqueue(p, j);
	if (err)
		return err;
	for (;;) {
		b = read_block(m, &n);
		if (n <= 0) {
			free(b);
			return end_input(p, j, n, n < 0 ? import_member_why(m) : NULL);
		}
		if (!add_input(p, j, b))
			return end_input(p, j, 0, NULL);
	}
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
		return note(im, NOTE_UNREADABLE, true, path, why);
	}
	return err;
}

static int import_path(struct importer *im, const char *path, int depth);

static int import_dir(struct importer *im, const char *path, int depth)
{
	struct dirent **names;
	int n = scandir(path, &names, NULL, alphasort); /* sorted: the same order every time */
	if (n < 0) {
		char text[4200];
		snprintf(text, sizeof(text), "%s: %s", path, strerror(errno));
		return note(im, NOTE_UNREADABLE, false, path, text);
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
		char text[4200];
		snprintf(text, sizeof(text), "%s: %s", path, strerror(errno));
		return note(im, NOTE_UNREADABLE, false, path, text);
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
	if (args.jobs > 1)
		pool_start(&pool, &im, args.jobs);
	int err = 0;
	for (int i = optind; i < argc && err == 0; i++)
		err = import_path(&im, argv[i], 0);
	if (im.pool) {
		/* -ECANCELED: the reading stopped for the writer's error. */
		int e = pool_stop(&im);
		err = e ? e : err;
	}
	int rc_write = err ? cli_write_exit(im.s) : 0;
	store_close(im.s);
	progress(&im.t, true);
	return err ? rc_write : im.t.failed ? EX_DATAERR : 0;
}
