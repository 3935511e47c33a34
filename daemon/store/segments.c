// SPDX-License-Identifier: GPL-2.0-or-later
/* Segments: a run cut into pieces of one grade class (schema 004). */
#include "store/segments.h"

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_internal.h"
#include "util/xalloc.h"

#define SEGMENT_COLUMNS                                                                    \
	"run_id, seq, start_us, end_us, class, length_m, duration_s, elevation_change_m, " \
	"grade_pct, speed_mps, gap_s_per_km, cadence_spm, stride_m, stride_ratio, "        \
	"heart_rate_bpm"

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
	sqlite3_stmt *st = NULL;
	int err = store_prepare_write(s, "DELETE FROM segments WHERE run_id = ?", &st,
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
	err = store_prepare_write(s,
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

void store_segments_show(struct store *s, int64_t run_id, const struct seg_segment *segs, size_t n)
{
	s->shown = xreallocarray(s->shown, s->n_shown + 1, sizeof(*s->shown));
	struct store_shown_segments *x = &s->shown[s->n_shown++];
	x->run_id = run_id;
	x->n = n;
	x->segs = xcalloc(n ? n : 1, sizeof(*segs));
	if (n)
		memcpy(x->segs, segs, n * sizeof(*segs));
}

void store_free_shown(struct store *s)
{
	for (size_t i = 0; i < s->n_shown; i++)
		free(s->shown[i].segs);
	free(s->shown);
	s->shown = NULL;
	s->n_shown = 0;
}

static const struct store_shown_segments *shown_of_run(const struct store *s, int64_t run_id)
{
	for (size_t i = 0; i < s->n_shown; i++)
		if (s->shown[i].run_id == run_id)
			return &s->shown[i];
	return NULL;
}

int store_foreach_segment(struct store *s, int64_t run_id, store_segment_fn fn, void *user,
			  size_t *count)
{
	const struct store_shown_segments *shown = shown_of_run(s, run_id);
	if (shown) {
		int err = 0;
		size_t i;
		for (i = 0; i < shown->n && !err; i++)
			err = fn(user, run_id, &shown->segs[i]);
		if (count)
			*count = i;
		return err;
	}
	sqlite3_stmt *st = NULL;
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

int store_samples_set_terrain(struct store *s, int64_t run_id, size_t n, const int64_t *t_us,
			      const double *elevation_m, const double *grade_pct,
			      const double *gap_s_per_km)
{
	sqlite3_stmt *st = NULL;
	int err = store_prepare_write(
		s,
		"UPDATE samples SET elevation_m = ?, grade_pct = ?, gap_s_per_km = ? "
		"WHERE run_id = ? AND t_us = ?",
		&st, "preparing to store the samples' grade");
	for (size_t i = 0; i < n && !err; i++) {
		store_bind_real(st, 1, elevation_m[i]);
		store_bind_real(st, 2, grade_pct[i]);
		store_bind_real(st, 3, gap_s_per_km[i]);
		sqlite3_bind_int64(st, 4, run_id);
		sqlite3_bind_int64(st, 5, t_us[i]);
		err = store_step_write(s, st, "storing a sample's grade");
	}
	sqlite3_finalize(st);
	return err;
}

int store_run_set_terrain(struct store *s, int64_t run_id, double gain_m, double loss_m,
			  double gap_s_per_km)
{
	sqlite3_stmt *st = NULL;
	int err = store_prepare_write(s,
				      "UPDATE runs SET elevation_gain_m = ?, elevation_loss_m = ?, "
				      "gap_s_per_km = ? WHERE id = ?",
				      &st, "storing a run's terrain");
	if (err)
		return err;
	store_bind_real(st, 1, gain_m);
	store_bind_real(st, 2, loss_m);
	store_bind_real(st, 3, gap_s_per_km);
	sqlite3_bind_int64(st, 4, run_id);
	err = store_step_write(s, st, "storing a run's terrain");
	sqlite3_finalize(st);
	if (err == 0 && sqlite3_changes(s->db) == 0)
		return store_set_error(s, -ENOENT, "database %s: no run %lld", s->path,
				       (long long)run_id);
	return err;
}
