// SPDX-License-Identifier: GPL-2.0-or-later
#include "replay.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture/capture.h"
#include "log.h"
#include "util/xalloc.h"

/*
 * A replay commits every second of capture time, as live sensors are
 * committed every second, so a crash loses at most that much of a run.
 *
 * How the bound comes about: every write goes into the store's one open
 * transaction (store.c's batch), committed here before the first
 * notification 1 s of capture time or more past the last commit, and by
 * the loop's 1-s timer. So at any moment what is not committed is the
 * notifications of less than 1 s of capture time, with the samples and
 * strides made from them. A process killed (SIGKILL, a crash of the
 * program) loses only that: in WAL mode COMMIT returns once the pages are
 * written to the -wal file, in the kernel's cache, and the next open plays
 * the WAL back. synchronous=NORMAL does not fsync at each commit, only at
 * checkpoints (about every 4 MB of WAL), so a power cut or a kernel crash
 * can also lose the commits since the last checkpoint; it never corrupts
 * the file. tests/e2e/torture.py measures the kill, not the power cut.
 */
#define COMMIT_EVERY_US 1000000
/* Damage past this many places in one capture is counted, not logged. */
#define DAMAGE_LOGGED_MAX 10

struct replay {
	struct capture_reader *reader;
	bool have_pending;
	bool at_end;
	int error;
	uint64_t damage_seen; /* damaged places already logged or counted */
	bool committed_once;
	int64_t committed_us; /* capture time of the last commit */
	struct notification pending;
	uint8_t pending_value[CAPTURE_VALUE_MAX];
	char why[512];
};

bool replay_parse_map(const char *text, uint16_t *handle, struct gatt_uuid *uuid)
{
	char *end;
	const char *eq = strchr(text, '=');
	if (!eq || eq == text)
		return false;
	errno = 0;
	unsigned long h = strtoul(text, &end, 0);
	if (errno || end != eq || h == 0 || h > 0xffff)
		return false;
	if (!gatt_uuid_parse(eq + 1, uuid))
		return false;
	*handle = (uint16_t)h;
	return true;
}

int replay_open(const char *path, struct replay **out, char *why, size_t why_len)
{
	struct replay *r = xcalloc(1, sizeof(*r));
	int err = capture_reader_open(path, &r->reader, why, why_len);
	if (err < 0) {
		free(r);
		return err;
	}
	*out = r;
	return 0;
}

void replay_map(struct replay *r, uint16_t handle, const struct gatt_uuid *uuid)
{
	capture_reader_map(r->reader, handle, uuid);
}

void replay_free(struct replay *r)
{
	if (!r)
		return;
	capture_reader_close(r->reader);
	free(r);
}

static uint64_t damage_count(const struct capture_reader_stats *st)
{
	return st->bad_times + st->damaged;
}

/* Logs damage the reader has just survived (the first few places). */
static void log_new_damage(struct replay *r)
{
	struct capture_reader_stats st;

	capture_reader_stats(r->reader, &st);
	if (damage_count(&st) == r->damage_seen)
		return;
	if (r->damage_seen < DAMAGE_LOGGED_MAX)
		log_warning("%s", capture_reader_damage(r->reader));
	if (r->damage_seen < DAMAGE_LOGGED_MAX && damage_count(&st) >= DAMAGE_LOGGED_MAX)
		log_warning("further damage in this capture is counted, not logged");
	r->damage_seen = damage_count(&st);
}

/* Reads ahead one notification, copying its value out of the reader. */
static bool fill_pending(struct replay *r)
{
	struct notification n;
	if (r->have_pending)
		return true;
	if (r->at_end || r->error)
		return false;
	int ret = capture_reader_next(r->reader, &n);
	log_new_damage(r);
	if (ret <= 0) {
		r->at_end = true;
		if (ret < 0) {
			r->error = ret;
			snprintf(r->why, sizeof(r->why), "%s", capture_reader_error(r->reader));
		}
		return false;
	}
	memcpy(r->pending_value, n.value, n.len);
	r->pending = n;
	r->pending.value = r->pending_value;
	r->have_pending = true;
	return true;
}

bool replay_peek_time(struct replay *r, int64_t *t_us)
{
	if (!fill_pending(r))
		return false;
	*t_us = r->pending.host_time_us;
	return true;
}

/* Commits once a second of capture time has passed since the last commit
 * (or time went back). */
static int commit_by_data_time(struct replay *r, struct ingest *in, int64_t t_us)
{
	if (!r->committed_once) {
		r->committed_once = true;
		r->committed_us = t_us;
		return 0;
	}
	if (t_us - r->committed_us < COMMIT_EVERY_US && t_us >= r->committed_us)
		return 0;
	r->committed_us = t_us;
	return ingest_commit(in);
}

int replay_feed(struct replay *r, struct ingest *in, size_t max)
{
	size_t fed = 0;
	while (fed < max && fill_pending(r)) {
		r->have_pending = false;
		fed++;
		/* A commit that failed (a full disk) does not lose the
		 * notification: it is ingested, and held or counted, too. */
		int err = commit_by_data_time(r, in, r->pending.host_time_us);
		int ingested = ingest_notification(in, &r->pending);
		if (err == 0)
			err = ingested;
		if (err < 0)
			return err;
	}
	if (fed == 0 && r->error)
		return r->error;
	return (int)fed;
}

int replay_feed_all(struct replay *r, struct ingest *in)
{
	int n;
	while ((n = replay_feed(r, in, 4096)) > 0)
		;
	return n;
}

const char *replay_source_name(const char *path, char *buf, size_t size)
{
	const char *base = strrchr(path, '/');
	snprintf(buf, size, "replay %s", base ? base + 1 : path);
	return buf;
}

const char *replay_error(const struct replay *r)
{
	return r->why;
}

bool replay_damaged(const struct replay *r)
{
	return r->error != 0;
}

bool replay_damage_summary(const struct replay *r, char *buf, size_t size)
{
	struct capture_reader_stats st;

	capture_reader_stats(r->reader, &st);
	if (damage_count(&st) == 0)
		return false;
	snprintf(buf, size,
		 "the capture is damaged, first at byte %llu: %llu record%s skipped for a "
		 "damaged time, %llu byte%s skipped at %llu damaged place%s; the readable "
		 "records around the damage are stored",
		 (unsigned long long)st.first_damage_byte, (unsigned long long)st.bad_times,
		 st.bad_times == 1 ? "" : "s", (unsigned long long)st.skipped_bytes,
		 st.skipped_bytes == 1 ? "" : "s", (unsigned long long)st.damaged,
		 st.damaged == 1 ? "" : "s");
	return true;
}

static bool survey_sensor(struct replay_survey *s, const uint8_t *addr)
{
	for (unsigned i = 0; i < s->n_sensors; i++)
		if (memcmp(s->addr[i], addr, NOTIFICATION_ADDR_LEN) == 0)
			return true;
	if (s->n_sensors == REPLAY_SURVEY_SENSORS)
		return false;
	memcpy(s->addr[s->n_sensors++], addr, NOTIFICATION_ADDR_LEN);
	return true;
}

int replay_survey_file(const char *path, struct replay_survey *out, char *why, size_t why_len)
{
	struct capture_reader *reader;
	struct notification n;
	int ret = capture_reader_open(path, &reader, why, why_len);

	memset(out, 0, sizeof(*out));
	if (ret < 0)
		return ret;
	out->complete = true;
	while ((ret = capture_reader_next(reader, &n)) == 1) {
		if (out->notifications == 0 || n.host_time_us < out->first_us)
			out->first_us = n.host_time_us;
		if (out->notifications == 0 || n.host_time_us > out->last_us)
			out->last_us = n.host_time_us;
		out->notifications++;
		out->complete = survey_sensor(out, n.addr) && out->complete;
	}
	if (ret < 0)
		out->complete = false;
	capture_reader_close(reader);
	return 0;
}

static bool regular_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

bool replay_stored_before(struct store *store, const char *path, char *msg, size_t size)
{
	struct replay_survey sv;
	struct store_stored_span span;
	uint64_t stored = 0;
	int64_t first = 0, last = 0;
	char why[512], addr[18];

	if (!regular_file(path) || replay_survey_file(path, &sv, why, sizeof(why)) < 0 ||
	    !sv.complete || sv.notifications == 0)
		return false;
	for (unsigned i = 0; i < sv.n_sensors; i++) {
		notification_addr_to_str(sv.addr[i], addr, sizeof(addr));
		if (store_count_notifications(store, addr, sv.first_us, sv.last_us, &span) < 0)
			return false;
		stored += span.notifications;
		if (span.first_run && (!first || span.first_run < first))
			first = span.first_run;
		if (span.last_run > last)
			last = span.last_run;
	}
	/* What the replay may meet again outside runs: those stored over the
	 * capture's times, if any of its sensors' are (else, at the first,
	 * all of them are read). */
	if (stored < sv.notifications) {
		if (stored)
			store_outside_load(store, sv.first_us, sv.last_us);
		else
			store_outside_load(store, 1, 0);
		return false;
	}
	char runs[64];
	if (first == last)
		snprintf(runs, sizeof(runs), "run %lld", (long long)first);
	else
		snprintf(runs, sizeof(runs), "runs %lld to %lld", (long long)first,
			 (long long)last);
	snprintf(msg, size,
		 "%s: already stored: its %llu notifications, from the same %u sensor%s over the "
		 "same times, are in the database (%s); not replayed again",
		 path, (unsigned long long)sv.notifications, sv.n_sensors,
		 sv.n_sensors == 1 ? "" : "s", runs);
	return true;
}

struct sim_to_file {
	struct capture_writer *writer;
	sim_truth_fn truth;
	void *user;
};

static int emit_to_capture(void *user, const struct notification *n)
{
	struct sim_to_file *ctx = user;
	return capture_writer_notification(ctx->writer, n);
}

static int pass_truth(void *user, const struct sim_run_truth *truth)
{
	struct sim_to_file *ctx = user;
	return ctx->truth ? ctx->truth(ctx->user, truth) : 0;
}

/* Runs the simulation into ctx's open writer and closes it; name is the
 * capture as messages call it. */
static int simulate_into(const struct sim_options *options, struct sim_to_file *ctx,
			 const char *name, char *why, size_t why_len)
{
	int err = sim_run_block(options, emit_to_capture, pass_truth, ctx);
	int close_err = capture_writer_close(ctx->writer);
	if (err == -EINVAL)
		snprintf(why, why_len, "simulator options out of range");
	else if (err < 0 || close_err < 0)
		snprintf(why, why_len, "cannot write %s: %s", name,
			 strerror(-(err < 0 ? err : close_err)));
	return err < 0 ? err : close_err;
}

int replay_simulate_to_file(const struct sim_options *options, const char *path, sim_truth_fn truth,
			    void *user, char *why, size_t why_len)
{
	struct sim_to_file ctx = { .truth = truth, .user = user };
	int err = capture_writer_open(path, &ctx.writer, why, why_len);
	if (err < 0)
		return err;
	return simulate_into(options, &ctx, path, why, why_len);
}

/* A file with no name in dir: O_TMPFILE, or where the file system lacks
 * it, a name unlinked at once. The descriptor or a negative errno. */
static int anonymous_file(const char *dir)
{
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd >= 0 ? fd : -errno;
	char path[4200];
	if (snprintf(path, sizeof(path), "%s/hamstrided-sim-XXXXXX", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	unlink(path);
	return fd;
}

int replay_simulate(const struct sim_options *options, struct replay **out, char *why,
		    size_t why_len)
{
	const char *tmpdir = getenv("TMPDIR");
	const char *dir = tmpdir && *tmpdir ? tmpdir : "/tmp";
	int fd = anonymous_file(dir);
	if (fd < 0) {
		snprintf(why, why_len, "cannot create a temporary file in %s: %s", dir,
			 strerror(-fd));
		return fd;
	}
	/* The writer and the reader each own a descriptor of the one file. */
	int wfd = dup(fd);
	FILE *wf = wfd >= 0 ? fdopen(wfd, "wb") : NULL;
	if (!wf) {
		int err = -errno;
		if (wfd >= 0)
			close(wfd);
		close(fd);
		snprintf(why, why_len, "cannot write the simulation's capture: %s", strerror(-err));
		return err;
	}
	struct sim_to_file ctx = { 0 };
	char name[4200];
	snprintf(name, sizeof(name), "the simulation's capture in %s", dir);
	int err = capture_writer_open_stream(wf, "the simulation's capture", &ctx.writer, why,
					     why_len);
	if (err == 0)
		err = simulate_into(options, &ctx, name, why, why_len);
	FILE *rf = NULL;
	if (err == 0 && (lseek(fd, 0, SEEK_SET) < 0 || !(rf = fdopen(fd, "rb")))) {
		err = -errno;
		snprintf(why, why_len, "cannot read the simulation's capture back: %s",
			 strerror(-err));
	}
	if (err < 0) {
		close(fd);
		return err;
	}
	struct replay *r = xcalloc(1, sizeof(*r));
	err = capture_reader_open_stream(rf, "the simulation's capture", &r->reader, why, why_len);
	if (err < 0) {
		free(r);
		return err;
	}
	*out = r;
	return 0;
}
