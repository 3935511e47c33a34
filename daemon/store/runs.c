// SPDX-License-Identifier: GPL-2.0-or-later
/* Runs and what they hold: raw notifications, one sample a second, gaps. */
#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "store/store.h"
#include "store/store_internal.h"

int store_run_begin(struct store *s, int64_t start_us, const char *source, int64_t *run_id)
{
	int64_t held_id;
	int err = store_held_id(s, STORE_ID_RUN, &held_id);
	sqlite3_stmt *st =
		err ? NULL
		    : store_write_stmt(s, held_id ? STMT_RUN_BEGIN_ID : STMT_RUN_BEGIN, &err);
	if (!st)
		return err;
	sqlite3_bind_int64(st, 1, start_us);
	sqlite3_bind_text(st, 2, source ? source : "", -1, SQLITE_STATIC);
	if (held_id)
		sqlite3_bind_int64(st, 3, held_id);
	err = store_step_write(s, st, "starting a run");
	if (err == 0)
		*run_id = held_id ? held_id : sqlite3_last_insert_rowid(s->db);
	return err;
}

int store_run_set_capture(struct store *s, int64_t run_id, const char *capture_path)
{
	int err;
	sqlite3_stmt *st = store_write_stmt(s, STMT_RUN_CAPTURE, &err);
	if (!st)
		return err;
	store_bind_text(st, 1, capture_path);
	sqlite3_bind_int64(st, 2, run_id);
	err = store_step_write(s, st, "recording a run's capture file");
	/* Held for a full disk, it has changed nothing yet. */
	if (err == 0 && !store_holding(s) && sqlite3_changes(s->db) == 0)
		return store_set_error(s, -ENOENT, "database %s: no run %lld", s->path,
				       (long long)run_id);
	return err;
}

static bool same_uuid(const struct gatt_uuid *a, const struct gatt_uuid *b)
{
	return a->len == b->len && a->len <= sizeof(a->bytes) &&
	       memcmp(a->bytes, b->bytes, a->len) == 0;
}

/* The UUID as gatt_uuid_to_str writes it, from the cache; the text stays
 * put until UUID_TEXT_CACHE other UUIDs have been seen. */
static const struct uuid_text *uuid_text(struct store *s, const struct gatt_uuid *uuid)
{
	for (unsigned i = 0; i < s->uuid_text_n; i++)
		if (same_uuid(&s->uuid_text[i].uuid, uuid))
			return &s->uuid_text[i];
	struct uuid_text *t = &s->uuid_text[s->uuid_text_next];
	s->uuid_text_next = (s->uuid_text_next + 1) % UUID_TEXT_CACHE;
	if (s->uuid_text_n < UUID_TEXT_CACHE)
		s->uuid_text_n++;
	t->uuid = *uuid;
	t->len = (int)strlen(gatt_uuid_to_str(uuid, t->text, sizeof(t->text)));
	return t;
}

int store_notification(struct store *s, int64_t run_id, int64_t sensor_id,
		       const struct notification *n)
{
	int64_t held_id;
	int err = store_held_id(s, STORE_ID_NOTIFICATION, &held_id);
	sqlite3_stmt *st =
		err ? NULL
		    : store_write_stmt(s, held_id ? STMT_NOTIFICATION_ID : STMT_NOTIFICATION, &err);
	if (!st)
		return err;
	if (run_id > 0)
		sqlite3_bind_int64(st, 1, run_id);
	else
		sqlite3_bind_null(st, 1);
	sqlite3_bind_int64(st, 2, sensor_id);
	sqlite3_bind_int64(st, 3, n->host_time_us);
	sqlite3_bind_int(st, 4, n->handle);
	if (n->uuid.len) {
		const struct uuid_text *uuid = uuid_text(s, &n->uuid);
		sqlite3_bind_text(st, 5, uuid->text, uuid->len, SQLITE_STATIC);
	} else {
		sqlite3_bind_null(st, 5);
	}
	/* STATIC, here and above: the bytes are only read by the step below. */
	sqlite3_bind_blob(st, 6, n->len ? (const void *)n->value : "", n->len, SQLITE_STATIC);
	if (held_id)
		sqlite3_bind_int64(st, 7, held_id);
	err = store_step_write(s, st, "storing a notification");
	bool dropped = err == 0 && store_held_dropped(s, STORE_ID_NOTIFICATION, held_id);
	if (err == 0 && run_id > 0 && !dropped) {
		int64_t id = held_id ? held_id : sqlite3_last_insert_rowid(s->db);
		if (run_id != s->range_run_id) {
			s->range_run_id = run_id;
			s->range_first_id = id;
		}
		s->range_last_id = id;
	}
	return err;
}

static void bind_sample(sqlite3_stmt *st, int64_t run_id, const struct store_sample *sample)
{
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int64(st, 2, sample->t_us);
	store_bind_real(st, 3, sample->speed_mps);
	store_bind_real(st, 4, sample->cadence_spm);
	store_bind_real(st, 5, sample->stride_length_m);
	store_bind_real(st, 6, sample->distance_m);
	store_bind_real(st, 7, sample->pressure_pa);
	store_bind_real(st, 8, sample->temperature_c);
	store_bind_real(st, 9, sample->elevation_m);
	store_bind_real(st, 10, sample->heart_rate_bpm);
}

int store_sample(struct store *s, int64_t run_id, const struct store_sample *sample)
{
	int err;
	sqlite3_stmt *st = store_write_stmt(s, STMT_SAMPLE_NEW, &err);
	if (!st)
		return err;
	bind_sample(st, run_id, sample);
	bool taken;
	err = store_insert_new(s, st, "storing a sample", &taken);
	if (err || !taken)
		return err;
	st = store_write_stmt(s, STMT_SAMPLE, &err);
	if (!st)
		return err;
	bind_sample(st, run_id, sample);
	return store_step_write(s, st, "storing a sample");
}

int store_gap(struct store *s, int64_t run_id, int64_t sensor_id, int64_t start_us, int64_t end_us,
	      int64_t *gap_id)
{
	int64_t held_id;
	int err = store_held_id(s, STORE_ID_GAP, &held_id);
	sqlite3_stmt *st = err ? NULL : store_write_stmt(s, held_id ? STMT_GAP_ID : STMT_GAP, &err);
	if (!st)
		return err;
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int64(st, 2, sensor_id);
	sqlite3_bind_int64(st, 3, start_us);
	sqlite3_bind_int64(st, 4, end_us);
	if (held_id)
		sqlite3_bind_int64(st, 5, held_id);
	err = store_step_write(s, st, "storing a gap");
	if (err == 0 && gap_id)
		*gap_id = held_id ? held_id : sqlite3_last_insert_rowid(s->db);
	return err;
}

int store_gap_widen(struct store *s, int64_t gap_id, int64_t start_us, int64_t end_us)
{
	int err;
	sqlite3_stmt *st = store_write_stmt(s, STMT_GAP_WIDEN, &err);
	if (!st)
		return err;
	sqlite3_bind_int64(st, 1, gap_id);
	sqlite3_bind_int64(st, 2, start_us);
	sqlite3_bind_int64(st, 3, end_us);
	err = store_step_write(s, st, "widening a gap");
	if (err == 0 && !store_holding(s) && sqlite3_changes(s->db) == 0)
		return store_set_error(s, -ENOENT, "database %s: no gap %lld", s->path,
				       (long long)gap_id);
	return err;
}

int store_run_end(struct store *s, const struct store_run *run)
{
	int err;
	sqlite3_stmt *st = store_write_stmt(s, STMT_RUN_END, &err);
	if (!st)
		return err;
	sqlite3_bind_int64(st, 1, run->id);
	sqlite3_bind_int64(st, 2, run->start_us);
	sqlite3_bind_int64(st, 3, run->end_us);
	const double reals[] = {
		run->duration_s,       run->distance_m,     run->elevation_gain_m,
		run->elevation_loss_m, run->speed_mps,      run->cadence_spm,
		run->stride_length_m,  run->heart_rate_bpm, run->heart_rate_max_bpm
	};
	for (int i = 0; i < (int)(sizeof(reals) / sizeof(reals[0])); i++)
		store_bind_real(st, 4 + i, reals[i]);
	sqlite3_bind_int64(st, 13, run->notifications);
	sqlite3_bind_int64(st, 14, run->gaps);
	sqlite3_bind_double(st, 15, isnan(run->gap_s) ? 0 : run->gap_s);
	store_bind_text(st, 16, run->end_reason);
	sqlite3_bind_text(st, 17, run->source, -1, SQLITE_TRANSIENT);
	store_bind_text(st, 18, run->capture_path);
	if (s->range_run_id == run->id) {
		sqlite3_bind_int64(st, 19, s->range_first_id);
		sqlite3_bind_int64(st, 20, s->range_last_id);
	} else {
		sqlite3_bind_null(st, 19);
		sqlite3_bind_null(st, 20);
	}
	err = store_step_write(s, st, "finishing a run");
	/* Held for a full disk, it has changed nothing yet. */
	if (err == 0 && !store_holding(s) && sqlite3_changes(s->db) == 0)
		return store_set_error(s, -ENOENT, "database %s: no run %lld to finish", s->path,
				       (long long)run->id);
	return err;
}

static void read_run(sqlite3_stmt *st, struct store_run *r)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(st, 0);
	r->start_us = sqlite3_column_int64(st, 1);
	r->end_us = sqlite3_column_int64(st, 2); /* 0 while the run goes on */
	double *reals[] = { &r->duration_s,       &r->distance_m,     &r->elevation_gain_m,
			    &r->elevation_loss_m, &r->speed_mps,      &r->cadence_spm,
			    &r->stride_length_m,  &r->heart_rate_bpm, &r->heart_rate_max_bpm };
	for (int i = 0; i < (int)(sizeof(reals) / sizeof(reals[0])); i++)
		*reals[i] = store_column_real(st, 3 + i);
	r->notifications = sqlite3_column_int64(st, 12);
	r->gaps = sqlite3_column_int64(st, 13);
	r->gap_s = store_column_real(st, 14);
	store_column_text(st, 15, r->end_reason, sizeof(r->end_reason));
	store_column_text(st, 16, r->source, sizeof(r->source));
	store_column_text(st, 17, r->capture_path, sizeof(r->capture_path));
	r->gap_s_per_km = store_column_real(st, 18);
}

static void read_sample(sqlite3_stmt *st, struct store_sample *x)
{
	x->t_us = sqlite3_column_int64(st, 1);
	x->speed_mps = store_column_real(st, 2);
	x->cadence_spm = store_column_real(st, 3);
	x->stride_length_m = store_column_real(st, 4);
	x->distance_m = store_column_real(st, 5);
	x->pressure_pa = store_column_real(st, 6);
	x->temperature_c = store_column_real(st, 7);
	x->elevation_m = store_column_real(st, 8);
	x->heart_rate_bpm = store_column_real(st, 9);
	x->grade_pct = store_column_real(st, 10);
	x->gap_s_per_km = store_column_real(st, 11);
}

/* One run from a cached query; run_id is bound when it is not 0. */
static int get_one_run(struct store *s, int which, int64_t run_id, struct store_run *out)
{
	int rc;
	sqlite3_stmt *st = store_cached(s, which, &rc);
	if (rc != SQLITE_OK)
		return store_sqlite_failure(s, rc, "preparing a statement");
	if (run_id)
		sqlite3_bind_int64(st, 1, run_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		read_run(st, out);
	sqlite3_reset(st);
	if (rc == SQLITE_DONE && run_id)
		return store_set_error(s, -ENOENT, "database %s: no run %lld", s->path,
				       (long long)run_id);
	if (rc == SQLITE_DONE)
		return store_set_error(s, -ENOENT, "database %s holds no runs yet", s->path);
	return rc == SQLITE_ROW ? 0 : store_sqlite_failure(s, rc, "reading a run");
}

int store_get_run(struct store *s, int64_t run_id, struct store_run *out)
{
	return get_one_run(s, STMT_GET_RUN, run_id, out);
}

int store_get_last_run(struct store *s, struct store_run *out)
{
	return get_one_run(s, STMT_LAST_RUN, 0, out);
}

int store_foreach_run(struct store *s, int64_t from_us, int64_t to_us, store_run_fn fn, void *user)
{
	sqlite3_stmt *st;
	int err =
		store_prepare_fresh(s,
				    "SELECT " RUN_READ_COLUMNS " FROM runs WHERE start_us >= ? AND "
				    "start_us < ? ORDER BY start_us, id",
				    &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, from_us);
	sqlite3_bind_int64(st, 2, to_us);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_run run;
		read_run(st, &run);
		err = fn(user, &run);
		if (err)
			break;
	}
	if (!err && rc != SQLITE_DONE)
		err = store_sqlite_failure(s, rc, "reading runs");
	sqlite3_finalize(st);
	return err;
}

int store_foreach_sample(struct store *s, int64_t run_id, int64_t from_us, int64_t to_us,
			 store_sample_fn fn, void *user)
{
	static const char *const sql[2] = {
		"SELECT " SAMPLE_READ_COLUMNS " FROM samples WHERE t_us >= ?2 AND t_us < ?3 "
		"ORDER BY t_us, run_id",
		"SELECT " SAMPLE_READ_COLUMNS " FROM samples WHERE run_id = ?1 AND t_us >= ?2 AND "
		"t_us < ?3 ORDER BY t_us",
	};
	sqlite3_stmt *st;
	int err = store_prepare_fresh(s, sql[run_id != 0], &st);
	if (err)
		return err;
	if (run_id != 0)
		sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int64(st, 2, from_us);
	sqlite3_bind_int64(st, 3, to_us);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_sample sample;
		read_sample(st, &sample);
		err = fn(user, sqlite3_column_int64(st, 0), &sample);
		if (err)
			break;
	}
	if (!err && rc != SQLITE_DONE)
		err = store_sqlite_failure(s, rc, "reading samples");
	sqlite3_finalize(st);
	return err;
}

/* ---- closing the runs a crash left open --------------------------------- */

/* What is stored of a run that never ended. */
struct open_run {
	int64_t id, start_us, end_us;
	char source[64], capture_path[256];
	int64_t notifications, first_id, last_id;
	double distance_m, gain_m, loss_m, cadence_spm, stride_length_m, hr_bpm, hr_max_bpm;
	int64_t gaps;
	double gap_s;
};

/* One row of a query that takes the run's id as ?1 (and ?2 where it is
 * bound); the columns are read by the caller. */
static int query_run_row(struct store *s, const char *sql, int64_t run_id, int64_t floor_id,
			 sqlite3_stmt **st)
{
	int err = store_prepare_fresh(s, sql, st);
	if (err)
		return err;
	sqlite3_bind_int64(*st, 1, run_id);
	if (sqlite3_bind_parameter_count(*st) >= 2)
		sqlite3_bind_int64(*st, 2, floor_id);
	int rc = sqlite3_step(*st);
	if (rc == SQLITE_ROW)
		return 0;
	err = store_sqlite_failure(s, rc, "reading a run left open");
	sqlite3_finalize(*st);
	*st = NULL;
	return err;
}

/* Its notifications all come after those of every finished run begun
 * before it (floor_id), so only the table's tail is read: a run with a
 * lower id was either finished before this one began, or is itself
 * closed here first. A CLI replay or import that finished while this run
 * was open has a higher id and is not taken as the floor, although its
 * notifications lie among this run's. */
static int open_run_notifications(struct store *s, struct open_run *r, int64_t floor_id)
{
	sqlite3_stmt *st;
	int err = query_run_row(s,
				"SELECT count(*), min(id), max(id), max(t_us) FROM notifications "
				"WHERE run_id = ?1 AND id > ?2",
				r->id, floor_id, &st);
	if (err)
		return err;
	r->notifications = sqlite3_column_int64(st, 0);
	r->first_id = sqlite3_column_int64(st, 1);
	r->last_id = sqlite3_column_int64(st, 2);
	if (sqlite3_column_type(st, 3) != SQLITE_NULL)
		r->end_us = sqlite3_column_int64(st, 3);
	sqlite3_finalize(st);
	return 0;
}

/* The summary from its per-second samples, as the pipeline made them. */
static int open_run_samples(struct store *s, struct open_run *r)
{
	sqlite3_stmt *st;
	int err = query_run_row(s,
				"SELECT max(t_us), max(distance_m), avg(cadence_spm), "
				"avg(stride_length_m), avg(heart_rate_bpm), max(heart_rate_bpm) "
				"FROM samples WHERE run_id = ?1",
				r->id, 0, &st);
	if (err)
		return err;
	/* A sample stands for the second that starts at its time. */
	if (sqlite3_column_type(st, 0) != SQLITE_NULL &&
	    sqlite3_column_int64(st, 0) + 1000000 > r->end_us && r->notifications == 0)
		r->end_us = sqlite3_column_int64(st, 0) + 1000000;
	r->distance_m = store_column_real(st, 1);
	r->cadence_spm = store_column_real(st, 2);
	r->stride_length_m = store_column_real(st, 3);
	r->hr_bpm = store_column_real(st, 4);
	r->hr_max_bpm = store_column_real(st, 5);
	sqlite3_finalize(st);
	return 0;
}

/* Climb and descent: the samples' elevations are already smoothed by the
 * pipeline, so their rises and falls add up to its gain and loss. */
static int open_run_elevation(struct store *s, struct open_run *r)
{
	sqlite3_stmt *st;
	int err = store_prepare_fresh(s,
				      "SELECT elevation_m FROM samples WHERE run_id = ? AND "
				      "elevation_m IS NOT NULL ORDER BY t_us",
				      &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, r->id);
	double prev = NAN, gain = 0, loss = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		double e = sqlite3_column_double(st, 0);
		if (!isnan(prev) && e > prev)
			gain += e - prev;
		else if (!isnan(prev))
			loss += prev - e;
		prev = e;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_sqlite_failure(s, rc, "reading a run left open");
	r->gain_m = isnan(prev) ? NAN : gain;
	r->loss_m = isnan(prev) ? NAN : loss;
	return 0;
}

/* A run with shoe IMUs and no pod: distance, stride and cadence from its
 * strides, each foot's distance averaged as the pipeline does. */
static int open_run_strides(struct store *s, struct open_run *r)
{
	sqlite3_stmt *st;
	int err = query_run_row(s,
				"SELECT avg(foot_m), sum(n), sum(sum_m) / sum(n), "
				"sum(sum_s) / sum(n) FROM (SELECT sum(length_m) AS foot_m, "
				"count(length_m) AS n, sum(length_m) AS sum_m, "
				"sum(duration_s) AS sum_s FROM strides WHERE run_id = ?1 "
				"GROUP BY foot)",
				r->id, 0, &st);
	if (err)
		return err;
	if (sqlite3_column_int64(st, 1) > 0) {
		if (isnan(r->distance_m))
			r->distance_m = store_column_real(st, 0);
		r->stride_length_m = store_column_real(st, 2);
		if (isnan(r->cadence_spm))
			r->cadence_spm = 120.0 / store_column_real(st, 3);
	}
	sqlite3_finalize(st);
	return 0;
}

static int open_run_gaps(struct store *s, struct open_run *r)
{
	sqlite3_stmt *st;
	int err = query_run_row(s,
				"SELECT count(*), coalesce(sum(end_us - start_us), 0) / 1e6 FROM "
				"gaps WHERE run_id = ?1",
				r->id, 0, &st);
	if (err)
		return err;
	r->gaps = sqlite3_column_int64(st, 0);
	r->gap_s = sqlite3_column_double(st, 1);
	sqlite3_finalize(st);
	return 0;
}

static int close_open_run(struct store *s, struct open_run *r, const char *reason)
{
	int err;
	sqlite3_stmt *st = store_write_stmt(s, STMT_RUN_END, &err);
	if (!st)
		return err;
	double duration_s = (double)(r->end_us - r->start_us) / 1e6;
	sqlite3_bind_int64(st, 1, r->id);
	sqlite3_bind_int64(st, 2, r->start_us);
	sqlite3_bind_int64(st, 3, r->end_us);
	const double reals[] = { duration_s,
				 r->distance_m,
				 r->gain_m,
				 r->loss_m,
				 duration_s > 0 ? r->distance_m / duration_s : NAN,
				 r->cadence_spm,
				 r->stride_length_m,
				 r->hr_bpm,
				 r->hr_max_bpm };
	for (int i = 0; i < (int)(sizeof(reals) / sizeof(reals[0])); i++)
		store_bind_real(st, 4 + i, reals[i]);
	sqlite3_bind_int64(st, 13, r->notifications);
	sqlite3_bind_int64(st, 14, r->gaps);
	sqlite3_bind_double(st, 15, r->gap_s);
	sqlite3_bind_text(st, 16, reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 17, r->source, -1, SQLITE_STATIC);
	store_bind_text(st, 18, r->capture_path);
	if (r->notifications) {
		sqlite3_bind_int64(st, 19, r->first_id);
		sqlite3_bind_int64(st, 20, r->last_id);
	} else {
		sqlite3_bind_null(st, 19);
		sqlite3_bind_null(st, 20);
	}
	return store_step_write(s, st, "closing a run left open");
}

static int recover_run(struct store *s, struct open_run *r, int64_t floor_id, const char *reason)
{
	r->end_us = r->start_us;
	r->distance_m = r->gain_m = r->loss_m = NAN;
	int err = open_run_notifications(s, r, floor_id);
	if (!err)
		err = open_run_samples(s, r);
	if (!err)
		err = open_run_elevation(s, r);
	if (!err)
		err = open_run_strides(s, r);
	if (!err)
		err = open_run_gaps(s, r);
	if (!err)
		err = close_open_run(s, r, reason);
	return err;
}

int store_close_open_runs(struct store *s, const char *reason, store_run_fn fn, void *user)
{
	sqlite3_stmt *st;
	int err =
		store_prepare_fresh(s,
				    "SELECT o.id, (SELECT coalesce(max(f.last_notification_id), 0) "
				    "FROM runs f WHERE f.end_us IS NOT NULL AND f.id < o.id) "
				    "FROM runs o WHERE o.end_us IS NULL ORDER BY o.id",
				    &st);
	if (err)
		return err;
	int rc = SQLITE_DONE;
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct open_run r = { .id = sqlite3_column_int64(st, 0) };
		struct store_run before = { 0 };
		err = store_get_run(s, r.id, &before);
		if (err)
			break;
		r.start_us = before.start_us;
		snprintf(r.source, sizeof(r.source), "%s", before.source);
		snprintf(r.capture_path, sizeof(r.capture_path), "%s", before.capture_path);
		err = recover_run(s, &r, sqlite3_column_int64(st, 1), reason);
		if (!err)
			err = store_flush(s);
		struct store_run done;
		if (!err && fn && (err = store_get_run(s, r.id, &done)) == 0)
			err = fn(user, &done);
	}
	if (!err && rc != SQLITE_DONE)
		err = store_sqlite_failure(s, rc, "reading the runs left open");
	sqlite3_finalize(st);
	return err;
}

int store_count_notifications(struct store *s, const char *addr, int64_t from_us, int64_t to_us,
			      struct store_stored_span *out)
{
	sqlite3_stmt *st;
	int err = store_prepare_fresh(s,
				      "SELECT count(*), min(n.run_id), max(n.run_id) "
				      "FROM notifications n JOIN sensors x ON x.id = n.sensor_id "
				      "WHERE x.address = ? AND n.t_us BETWEEN ? AND ?",
				      &st);
	if (err)
		return err;
	sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, from_us);
	sqlite3_bind_int64(st, 3, to_us);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->notifications = (uint64_t)sqlite3_column_int64(st, 0);
		out->first_run = sqlite3_column_int64(st, 1); /* NULL reads as 0 */
		out->last_run = sqlite3_column_int64(st, 2);
	} else {
		err = store_sqlite_failure(s, rc, "counting stored notifications");
	}
	sqlite3_finalize(st);
	return err;
}

/* ---- what a session stored ----------------------------------------------- */

static int count_query(struct store *s, const char *sql, int64_t bound, int64_t *out)
{
	sqlite3_stmt *st;
	int err = store_prepare_fresh(s, sql, &st);
	if (err)
		return err;
	if (sqlite3_bind_parameter_count(st))
		sqlite3_bind_int64(st, 1, bound);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : store_sqlite_failure(s, rc, "counting what is stored");
}

int store_tally_mark(struct store *s, struct store_tally *mark)
{
	*mark = (struct store_tally){ 0 };
	int err = count_query(s, "SELECT coalesce(max(id), 0) FROM runs", 0, &mark->runs);
	if (!err)
		err = count_query(s, "SELECT coalesce(max(id), 0) FROM notifications", 0,
				  &mark->notifications);
	return err;
}

int store_tally_since(struct store *s, const struct store_tally *mark, struct store_tally *out)
{
	*out = (struct store_tally){ 0 };
	int err = count_query(s, "SELECT count(*) FROM runs WHERE id > ?", mark->runs, &out->runs);
	if (!err)
		err = count_query(s,
				  "SELECT count(*) FROM runs WHERE id > ? AND end_us IS NOT NULL",
				  mark->runs, &out->runs_ended);
	if (!err)
		err = count_query(s, "SELECT count(*) FROM notifications WHERE id > ?",
				  mark->notifications, &out->notifications);
	return err;
}

int store_find_same_run(struct store *s, const struct store_run *like, int64_t *run_id)
{
	sqlite3_stmt *st;
	int err = store_prepare_fresh(
		s,
		"SELECT id FROM runs WHERE id <> ? AND start_us = ? AND end_us = ? "
		"AND notifications = ? "
		"AND ((distance_m IS NULL AND ? IS NULL) OR abs(distance_m - ?) "
		"< 0.001) ORDER BY id LIMIT 1",
		&st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, like->id);
	sqlite3_bind_int64(st, 2, like->start_us);
	sqlite3_bind_int64(st, 3, like->end_us);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)like->notifications);
	store_bind_real(st, 5, like->distance_m);
	store_bind_real(st, 6, like->distance_m);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*run_id = sqlite3_column_int64(st, 0);
	else if (rc == SQLITE_DONE)
		err = -ENOENT;
	else
		err = store_sqlite_failure(s, rc, "looking for the same run");
	sqlite3_finalize(st);
	return err;
}

/* The run's first notification is the one that started it (session.c), at
 * the head of the run's id range: found through the rowid, no scan. */
int store_find_started_run(struct store *s, int64_t start_us, const char *addr, int64_t *run_id,
			   int64_t *crashed_id)
{
	sqlite3_stmt *st;
	int err = store_prepare_fresh(
		s,
		"SELECT r.id, r.end_reason = 'crash' FROM runs r WHERE r.start_us = ? "
		"AND r.end_us IS NOT NULL AND EXISTS (SELECT 1 FROM notifications n "
		"JOIN sensors x ON x.id = n.sensor_id WHERE n.id BETWEEN "
		"r.first_notification_id AND r.last_notification_id AND n.t_us = r.start_us "
		"AND x.address = ?) ORDER BY r.end_reason = 'crash', r.id",
		&st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, start_us);
	sqlite3_bind_text(st, 2, addr, -1, SQLITE_STATIC);
	*crashed_id = 0;
	err = -ENOENT;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && !sqlite3_column_int(st, 1)) {
		*run_id = sqlite3_column_int64(st, 0);
		err = 0;
	} else if (rc == SQLITE_ROW) {
		*crashed_id = sqlite3_column_int64(st, 0);
	} else if (rc != SQLITE_DONE) {
		err = store_sqlite_failure(s, rc, "looking for a run stored before");
	}
	sqlite3_finalize(st);
	return err;
}
