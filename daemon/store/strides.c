// SPDX-License-Identifier: GPL-2.0-or-later
/* Strides: one row per stride of each foot, from the shoe-IMU estimator. */
#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "store/store.h"
#include "store/store_internal.h"

static void bind_stride(sqlite3_stmt *st, int64_t run_id, const struct store_stride *x)
{
	sqlite3_bind_int64(st, 1, run_id);
	if (x->sensor_id)
		sqlite3_bind_int64(st, 2, x->sensor_id);
	else
		sqlite3_bind_null(st, 2);
	sqlite3_bind_text(st, 3, x->foot, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, x->start_us);
	sqlite3_bind_int64(st, 5, x->end_us);
	const double reals[] = { x->length_m,        x->duration_s, x->speed_mps,
				 x->height_change_m, x->stance_s,   x->clearance_m };
	for (int i = 0; i < (int)(sizeof(reals) / sizeof(reals[0])); i++)
		store_bind_real(st, 6 + i, reals[i]);
	store_bind_text(st, 12, x->flags);
}

int store_stride(struct store *s, int64_t run_id, const struct store_stride *x)
{
	int err;
	sqlite3_stmt *st = store_write_stmt(s, STMT_STRIDE_NEW, &err);
	if (!st)
		return err;
	bind_stride(st, run_id, x);
	bool taken;
	err = store_insert_new(s, st, "storing a stride", &taken);
	if (err || !taken)
		return err;
	st = store_write_stmt(s, STMT_STRIDE, &err);
	if (!st)
		return err;
	bind_stride(st, run_id, x);
	return store_step_write(s, st, "storing a stride");
}

static void read_stride(sqlite3_stmt *st, struct store_stride *x)
{
	memset(x, 0, sizeof(*x));
	x->sensor_id = sqlite3_column_int64(st, 1); /* NULL reads as 0 */
	store_column_text(st, 2, x->foot, sizeof(x->foot));
	x->start_us = sqlite3_column_int64(st, 3);
	x->end_us = sqlite3_column_int64(st, 4);
	double *reals[] = { &x->length_m,        &x->duration_s, &x->speed_mps,
			    &x->height_change_m, &x->stance_s,   &x->clearance_m };
	for (int i = 0; i < (int)(sizeof(reals) / sizeof(reals[0])); i++)
		*reals[i] = store_column_real(st, 5 + i);
	store_column_text(st, 11, x->flags, sizeof(x->flags));
}

int store_foreach_stride(struct store *s, int64_t run_id, store_stride_fn fn, void *user)
{
	sqlite3_stmt *st;
	int err = store_prepare_fresh(s,
				      "SELECT " STRIDE_COLUMNS " FROM strides WHERE run_id = ? "
				      "ORDER BY end_us, foot",
				      &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, run_id);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_stride stride;
		read_stride(st, &stride);
		err = fn(user, run_id, &stride);
		if (err)
			break;
	}
	if (!err && rc != SQLITE_DONE)
		err = store_sqlite_failure(s, rc, "reading strides");
	sqlite3_finalize(st);
	return err;
}

int store_stride_feet(struct store *s, int64_t run_id, struct store_stride_feet *out)
{
	sqlite3_stmt *st;
	int err =
		store_prepare_fresh(s,
				    "SELECT foot, count(*), avg(length_m) FROM strides "
				    "WHERE run_id = ? AND foot IN ('left', 'right') GROUP BY foot",
				    &st);
	if (err)
		return err;
	*out = (struct store_stride_feet){ { 0, 0 }, { NAN, NAN } };
	sqlite3_bind_int64(st, 1, run_id);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char foot[8];
		store_column_text(st, 0, foot, sizeof(foot));
		int i = strcmp(foot, "left") == 0 ? 0 : 1;
		out->n[i] = sqlite3_column_int64(st, 1);
		out->mean_length_m[i] = store_column_real(st, 2);
	}
	if (rc != SQLITE_DONE)
		err = store_sqlite_failure(s, rc, "reading strides");
	sqlite3_finalize(st);
	return err;
}
