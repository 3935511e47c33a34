// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The notifications stored outside any run (a sensor connected while the
 * runner stands, before and between runs), read once for a replay run
 * again, so that it stores none of them twice. The table has no index but
 * its rowid (notifications are the hot path), so they are read in one scan
 * and kept sorted in memory: a replay then looks each one up without SQL.
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/store_internal.h"
#include "util/xalloc.h"

struct outside_row {
	int64_t sensor_id;
	int64_t t_us;
	uint16_t handle;
	uint16_t len;
	bool matched;  /* by a notification of this replay */
	size_t offset; /* of the value in the arena, while it grows */
	const uint8_t *value;
};

struct store_outside {
	struct outside_row *rows;
	size_t n, cap;
	uint8_t *arena;
	size_t arena_n, arena_cap;
};

void store_outside_free(struct store *s)
{
	if (!s->outside)
		return;
	free(s->outside->rows);
	free(s->outside->arena);
	free(s->outside);
	s->outside = NULL;
}

/* Sensor, time, handle, then the value's length and bytes. */
static int compare(const struct outside_row *a, const struct outside_row *b)
{
	if (a->sensor_id != b->sensor_id)
		return a->sensor_id < b->sensor_id ? -1 : 1;
	if (a->t_us != b->t_us)
		return a->t_us < b->t_us ? -1 : 1;
	if (a->handle != b->handle)
		return a->handle < b->handle ? -1 : 1;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return a->len ? memcmp(a->value, b->value, a->len) : 0;
}

static int compare_rows(const void *a, const void *b)
{
	return compare(a, b);
}

static void add_row(struct store_outside *o, sqlite3_stmt *st)
{
	const void *value = sqlite3_column_blob(st, 3);
	int len = sqlite3_column_bytes(st, 3);
	if (len < 0 || len > UINT16_MAX)
		return; /* never stored from a notification */
	if (o->n == o->cap) {
		o->cap = o->cap ? 2 * o->cap : 256;
		o->rows = xreallocarray(o->rows, o->cap, sizeof(*o->rows));
	}
	while (o->arena_n + (size_t)len > o->arena_cap) {
		o->arena_cap = o->arena_cap ? 2 * o->arena_cap : 4096;
		o->arena = xreallocarray(o->arena, o->arena_cap, 1);
	}
	if (len)
		memcpy(o->arena + o->arena_n, value, (size_t)len);
	o->rows[o->n++] = (struct outside_row){ .sensor_id = sqlite3_column_int64(st, 0),
						.t_us = sqlite3_column_int64(st, 1),
						.handle = (uint16_t)sqlite3_column_int(st, 2),
						.len = (uint16_t)len,
						.offset = o->arena_n };
	o->arena_n += (size_t)len;
}

int store_outside_load(struct store *s, int64_t from_us, int64_t to_us)
{
	sqlite3_stmt *st;
	store_outside_free(s);
	if (from_us > to_us) {
		s->outside = xcalloc(1, sizeof(*s->outside));
		return 0;
	}
	int err = store_prepare_fresh(s,
				      "SELECT sensor_id, t_us, handle, value FROM notifications "
				      "WHERE run_id IS NULL AND t_us BETWEEN ? AND ?",
				      &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, from_us);
	sqlite3_bind_int64(st, 2, to_us);
	struct store_outside *o = xcalloc(1, sizeof(*o));
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		add_row(o, st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(o->rows);
		free(o->arena);
		free(o);
		return store_sqlite_failure(s, rc, "reading the notifications stored outside runs");
	}
	for (size_t i = 0; i < o->n; i++)
		o->rows[i].value = o->arena + o->rows[i].offset;
	if (o->n)
		qsort(o->rows, o->n, sizeof(*o->rows), compare_rows);
	s->outside = o;
	return 0;
}

int store_outside_stored(struct store *s, int64_t sensor_id, const struct notification *n,
			 bool *stored)
{
	*stored = false;
	if (!s->outside) {
		int err = store_outside_load(s, INT64_MIN, INT64_MAX);
		if (err)
			return err;
	}
	const struct store_outside *o = s->outside;
	const struct outside_row key = { .sensor_id = sensor_id,
					 .t_us = n->host_time_us,
					 .handle = n->handle,
					 .len = n->len,
					 .value = n->value };
	/* The first row not below the key; the ones equal to it follow. */
	size_t lo = 0, hi = o->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (compare(&key, &o->rows[mid]) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Each stored row stands for one notification: a capture that holds
	 * one twice, stored once by a replay cut short, has the other stored. */
	for (; lo < o->n && compare(&key, &o->rows[lo]) == 0; lo++)
		if (!o->rows[lo].matched) {
			o->rows[lo].matched = true;
			*stored = true;
			break;
		}
	return 0;
}
