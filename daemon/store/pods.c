// SPDX-License-Identifier: GPL-2.0-or-later
/* Treadmill runs and foot-pod calibration (schema 005). */
#include "store/pods.h"

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "store/store_internal.h"

static int step_once(struct store *s, sqlite3_stmt *st, const char *doing)
{
	int err = store_step_write(s, st, doing);
	if (!err && sqlite3_changes(s->db) == 0)
		err = store_set_error(s, -ENOENT, "%s: no such row", doing);
	sqlite3_finalize(st);
	return err;
}

int store_sample_set_incline(struct store *s, int64_t run_id, int64_t t_us, double incline_pct)
{
	sqlite3_stmt *st;
	int err = store_prepare_write(
		s, "UPDATE samples SET incline_pct = ? WHERE run_id = ? AND t_us = ?", &st,
		"preparing to store an incline");
	if (err)
		return err;
	store_bind_real(st, 1, incline_pct);
	sqlite3_bind_int64(st, 2, run_id);
	sqlite3_bind_int64(st, 3, t_us);
	return step_once(s, st, "storing a sample's incline");
}

int store_run_incline(struct store *s, int64_t run_id, int64_t *seconds, double *mean_pct)
{
	sqlite3_stmt *st;
	int err = store_prepare_fresh(s,
				      "SELECT count(incline_pct), avg(incline_pct) FROM samples "
				      "WHERE run_id = ?",
				      &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, run_id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*seconds = sqlite3_column_int64(st, 0);
		*mean_pct = store_column_real(st, 1);
	} else {
		err = store_sqlite_failure(s, rc, "reading a run's incline");
	}
	sqlite3_finalize(st);
	return err;
}

int store_foreach_incline(struct store *s, int64_t run_id, store_incline_fn fn, void *user)
{
	sqlite3_stmt *st;
	int err = store_prepare_fresh(s,
				      "SELECT t_us, incline_pct FROM samples WHERE run_id = ? AND "
				      "incline_pct IS NOT NULL ORDER BY t_us",
				      &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, run_id);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		err = fn(user, sqlite3_column_int64(st, 0), sqlite3_column_double(st, 1));
		if (err)
			break;
	}
	if (!err && rc != SQLITE_DONE)
		err = store_sqlite_failure(s, rc, "reading a run's incline");
	sqlite3_finalize(st);
	return err;
}

int store_run_set_surface(struct store *s, int64_t run_id, const struct store_run_surface *x)
{
	sqlite3_stmt *st;
	int err = store_prepare_write(s,
				      "UPDATE runs SET surface = ?, distance_note = ?, "
				      "pod_distance_raw_m = ?, pod_scale = ? WHERE id = ?",
				      &st, "preparing to store a run's surface");
	if (err)
		return err;
	store_bind_text(st, 1, x->surface);
	store_bind_text(st, 2, x->distance_note);
	store_bind_real(st, 3, x->pod_distance_raw_m);
	store_bind_real(st, 4, x->pod_scale);
	sqlite3_bind_int64(st, 5, run_id);
	return step_once(s, st, "storing a run's surface");
}

int store_get_run_surface(struct store *s, int64_t run_id, struct store_run_surface *out)
{
	sqlite3_stmt *st;
	int err =
		store_prepare_fresh(s,
				    "SELECT surface, distance_note, pod_distance_raw_m, pod_scale "
				    "FROM runs WHERE id = ?",
				    &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, run_id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		store_column_text(st, 0, out->surface, sizeof(out->surface));
		store_column_text(st, 1, out->distance_note, sizeof(out->distance_note));
		out->pod_distance_raw_m = store_column_real(st, 2);
		out->pod_scale = store_column_real(st, 3);
	} else if (rc == SQLITE_DONE) {
		err = store_set_error(s, -ENOENT, "no run %lld", (long long)run_id);
	} else {
		err = store_sqlite_failure(s, rc, "reading a run's surface");
	}
	sqlite3_finalize(st);
	return err;
}

int store_pod_calibration_add(struct store *s, int64_t sensor_id,
			      const struct store_pod_calibration *c)
{
	sqlite3_stmt *st;
	int err = store_prepare_write(
		s,
		"INSERT OR REPLACE INTO pod_calibrations (sensor_id, run_id, t_us, "
		"run_scale, run_scale_sd, windows, pod_m, imu_m, scale, scale_sd) "
		"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		&st, "preparing to store a pod calibration");
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, sensor_id);
	sqlite3_bind_int64(st, 2, c->run_id);
	sqlite3_bind_int64(st, 3, c->t_us);
	sqlite3_bind_double(st, 4, c->run_scale);
	sqlite3_bind_double(st, 5, c->run_scale_sd);
	sqlite3_bind_int64(st, 6, c->windows);
	sqlite3_bind_double(st, 7, c->pod_m);
	sqlite3_bind_double(st, 8, c->imu_m);
	sqlite3_bind_double(st, 9, c->scale);
	sqlite3_bind_double(st, 10, c->scale_sd);
	return step_once(s, st, "storing a pod calibration");
}

static void read_calibration(sqlite3_stmt *st, struct store_pod_calibration *c)
{
	c->run_id = sqlite3_column_int64(st, 0);
	c->t_us = sqlite3_column_int64(st, 1);
	c->run_scale = sqlite3_column_double(st, 2);
	c->run_scale_sd = sqlite3_column_double(st, 3);
	c->windows = (unsigned)sqlite3_column_int64(st, 4);
	c->pod_m = sqlite3_column_double(st, 5);
	c->imu_m = sqlite3_column_double(st, 6);
	c->scale = sqlite3_column_double(st, 7);
	c->scale_sd = sqlite3_column_double(st, 8);
}

int store_pod_history(struct store *s, int64_t sensor_id, struct store_pod_calibration *out,
		      size_t max, size_t *n)
{
	sqlite3_stmt *st;
	*n = 0;
	int err = store_prepare_fresh(
		s,
		"SELECT * FROM (SELECT run_id, t_us, run_scale, run_scale_sd, windows, pod_m, "
		"imu_m, scale, scale_sd FROM pod_calibrations WHERE sensor_id = ? "
		"ORDER BY t_us DESC, run_id DESC LIMIT ?) ORDER BY t_us, run_id",
		&st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, sensor_id);
	sqlite3_bind_int64(st, 2, (int64_t)max);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < max)
		read_calibration(st, &out[(*n)++]);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		err = store_sqlite_failure(s, rc, "reading a pod's calibrations");
	sqlite3_finalize(st);
	return err;
}

int store_pod_current(struct store *s, int64_t sensor_id, struct store_pod_calibration *out)
{
	size_t n;
	struct store_pod_calibration c;
	int err = store_pod_history(s, sensor_id, &c, 1, &n);
	if (err)
		return err;
	if (n == 0)
		return -ENOENT;
	*out = c;
	return 0;
}
