// SPDX-License-Identifier: GPL-2.0-or-later
/* Segments: a run cut into pieces of one grade class (schema 004). */
#include "store/segments.h"

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "store/store_internal.h"

#define SEGMENT_COLUMNS                                                                    \
	"run_id, seq, start_us, end_us, class, length_m, duration_s, elevation_change_m, " \
	"grade_pct, speed_mps, gap_s_per_km, cadence_spm, stride_m, stride_ratio, "        \
	"heart_rate_bpm"

/* Binds and runs one write prepared for this call. */
static int write_once(struct store *s, const char *sql, sqlite3_stmt **st, const char *doing)
{
	int err = store_begin_write(s);
	if (err)
		return err;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);
	return rc == SQLITE_OK ? 0 : store_sqlite_failure(s, rc, doing);
}

static void bind_segment(sqlite3_stmt *st, int64_t run_id, size_t seq, const struct seg_segment *x)
{
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int64(st, 2, (int64_t)seq);
	sqlite3_bind_int64(st, 3, x->start_us);
	sqlite3_bind_int64(st, 4, x->end_us);
	sqlite3_bind_text(st, 5, seg_class_name(x->cls), -1, SQLITE_STATIC);
	store_bind_real(st, 6, x->length_m);
	store_bind_real(st, 7, x->duration_s);
	store_bind_real(st, 8, x->elevation_change_m);
	store_bind_real(st, 9, x->grade_pct);
	store_bind_real(st, 10, x->speed_mps);
	store_bind_real(st, 11, x->gap_s_per_km);
	store_bind_real(st, 12, x->cadence_spm);
	store_bind_real(st, 13, x->stride_m);
	store_bind_real(st, 14, x->stride_ratio);
	store_bind_real(st, 15, x->heart_rate_bpm);
}

int store_segments_replace(struct store *s, int64_t run_id, const struct seg_segment *segs,
			   size_t n)
{
	sqlite3_stmt *st;
	int err = write_once(s, "DELETE FROM segments WHERE run_id = ?", &st,
			     "preparing to replace segments");
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, run_id);
	err = store_step_write(s, st, "removing a run's old segments");
	sqlite3_finalize(st);
	if (err)
		return err;
	if (n == 0)
		return 0;
	err = write_once(s,
			 "INSERT INTO segments (" SEGMENT_COLUMNS ") VALUES "
			 "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			 &st, "preparing to store segments");
	if (err)
		return err;
	for (size_t i = 0; i < n && !err; i++) {
		bind_segment(st, run_id, i, &segs[i]);
		err = store_step_write(s, st, "storing a segment");
	}
	sqlite3_finalize(st);
	return err;
}

static void read_segment(sqlite3_stmt *st, struct seg_segment *x)
{
	memset(x, 0, sizeof(*x));
	x->start_us = sqlite3_column_int64(st, 2);
	x->end_us = sqlite3_column_int64(st, 3);
	char name[16];
	store_column_text(st, 4, name, sizeof(name));
	if (!seg_class_parse(name, &x->cls))
		x->cls = SEG_UNKNOWN;
	x->length_m = store_column_real(st, 5);
	x->duration_s = store_column_real(st, 6);
	x->elevation_change_m = store_column_real(st, 7);
	x->grade_pct = store_column_real(st, 8);
	x->speed_mps = store_column_real(st, 9);
	x->gap_s_per_km = store_column_real(st, 10);
	x->cadence_spm = store_column_real(st, 11);
	x->stride_m = store_column_real(st, 12);
	x->stride_ratio = store_column_real(st, 13);
	x->heart_rate_bpm = store_column_real(st, 14);
}

int store_foreach_segment(struct store *s, int64_t run_id, store_segment_fn fn, void *user,
			  size_t *count)
{
	sqlite3_stmt *st;
	size_t n = 0;
	int err = store_prepare_fresh(
		s, "SELECT " SEGMENT_COLUMNS " FROM segments WHERE run_id = ? ORDER BY seq", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, run_id);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct seg_segment seg;
		read_segment(st, &seg);
		n++;
		err = fn(user, run_id, &seg);
		if (err)
			break;
	}
	if (!err && rc != SQLITE_DONE)
		err = store_sqlite_failure(s, rc, "reading segments");
	sqlite3_finalize(st);
	if (count)
		*count = n;
	return err;
}

/* An UPDATE of one row by key: -ENOENT names what was missing. */
static int update_one(struct store *s, const char *sql, int64_t key1, int64_t key2, bool two_keys,
		      double value, const char *doing, const char *missing)
{
	sqlite3_stmt *st;
	int err = write_once(s, sql, &st, doing);
	if (err)
		return err;
	store_bind_real(st, 1, value);
	sqlite3_bind_int64(st, 2, key1);
	if (two_keys)
		sqlite3_bind_int64(st, 3, key2);
	err = store_step_write(s, st, doing);
	sqlite3_finalize(st);
	if (err == 0 && sqlite3_changes(s->db) == 0)
		return store_set_error(s, -ENOENT, "database %s: %s", s->path, missing);
	return err;
}

int store_sample_set_grade(struct store *s, int64_t run_id, int64_t t_us, double grade_pct)
{
	return update_one(s, "UPDATE samples SET grade_pct = ? WHERE run_id = ? AND t_us = ?",
			  run_id, t_us, true, grade_pct, "storing a sample's grade",
			  "no such sample");
}

int store_run_set_gap(struct store *s, int64_t run_id, double gap_s_per_km)
{
	return update_one(s, "UPDATE runs SET gap_s_per_km = ? WHERE id = ?", run_id, 0, false,
			  gap_s_per_km, "storing a run's grade-adjusted pace", "no such run");
}
