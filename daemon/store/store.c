// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The SQLite store. Writes go into one open transaction that store_flush()
 * commits, so the daemon pays for a commit (and an fsync of the WAL) once per
 * batch rather than once per notification. Prepared statements for the hot
 * paths are kept for the life of the connection.
 */
#include "store/store.h"

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "paths.h"
#include "schema.h"
#include "util/xalloc.h"

/* Marks the file as hamstride's, so another program's SQLite file is never
 * migrated by mistake. "HMST"; set by 001_initial.sql. */
#define STORE_APPLICATION_ID 0x484D5354

/* Long enough for a CLI read to wait out a daemon commit. */
#define STORE_BUSY_TIMEOUT_MS 5000

enum store_stmt {
	STMT_NOTIFICATION,
	STMT_SAMPLE,
	STMT_SAMPLE_NEW,
	STMT_SENSOR,
	STMT_SENSOR_SEEN,
	STMT_SENSOR_CONVENTION,
	STMT_SENSOR_ADD,
	STMT_SENSOR_REMOVE,
	STMT_RUN_BEGIN,
	STMT_RUN_CAPTURE,
	STMT_RUN_END,
	STMT_GAP,
	STMT_GAP_WIDEN,
	STMT_STRIDE,
	STMT_STRIDE_NEW,
	STMT_GET_RUN,
	STMT_LAST_RUN,
	STMT_COUNT,
};

#define RUN_COLUMNS                                                                          \
	"id, start_us, end_us, duration_s, distance_m, elevation_gain_m, elevation_loss_m, " \
	"speed_mps, cadence_spm, stride_length_m, heart_rate_bpm, heart_rate_max_bpm, "      \
	"notifications, gaps, gap_s, end_reason, source, capture_path"

#define STRIDE_COLUMNS                                                                 \
	"run_id, sensor_id, foot, start_us, end_us, length_m, duration_s, speed_mps, " \
	"height_change_m, stance_s, clearance_m, flags"

#define SAMPLE_COLUMNS                                                                     \
	"run_id, t_us, speed_mps, cadence_spm, stride_length_m, distance_m, pressure_pa, " \
	"temperature_c, elevation_m, heart_rate_bpm"

/* A sensor added (first and last seen set to the time it was added) and
 * not heard since: its first data set both. */
#define NEVER_HEARD "(first_seen_us = added_us AND last_seen_us = added_us)"

static const char *const stmt_sql[STMT_COUNT] = {
	[STMT_NOTIFICATION] =
		"INSERT INTO notifications (run_id, sensor_id, t_us, handle, uuid, value) "
		"VALUES (?, ?, ?, ?, ?, ?)",
	[STMT_SAMPLE] = "INSERT OR REPLACE INTO samples (" SAMPLE_COLUMNS ") "
			"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	/* The same without OR REPLACE, tried first (see insert_new). */
	[STMT_SAMPLE_NEW] = "INSERT INTO samples (" SAMPLE_COLUMNS ") "
			    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	[STMT_SENSOR] = "INSERT INTO sensors (address, address_type, first_seen_us, last_seen_us) "
			"VALUES (?1, ?2, ?3, ?3) ON CONFLICT (address) DO UPDATE SET "
			"address_type = excluded.address_type, "
			"first_seen_us = CASE WHEN " NEVER_HEARD " THEN excluded.first_seen_us "
			"ELSE min(first_seen_us, excluded.first_seen_us) END, "
			"last_seen_us = CASE WHEN " NEVER_HEARD " THEN excluded.last_seen_us "
			"ELSE max(last_seen_us, excluded.last_seen_us) END RETURNING id",
	[STMT_SENSOR_SEEN] =
		"UPDATE sensors SET first_seen_us = CASE WHEN " NEVER_HEARD " THEN ?2 "
		"ELSE min(first_seen_us, ?2) END, last_seen_us = CASE WHEN " NEVER_HEARD
		" THEN ?2 ELSE max(last_seen_us, ?2) END WHERE id = ?1",
	[STMT_SENSOR_CONVENTION] = "UPDATE sensors SET cadence_convention = ? WHERE id = ?",
	[STMT_SENSOR_ADD] =
		"INSERT INTO sensors (address, address_type, role, name, first_seen_us, "
		"last_seen_us, added_us) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?5) "
		"ON CONFLICT (address) DO UPDATE SET address_type = excluded.address_type, "
		"role = excluded.role, name = coalesce(excluded.name, name), "
		"added_us = coalesce(added_us, excluded.added_us) RETURNING id",
	[STMT_SENSOR_REMOVE] = "UPDATE sensors SET added_us = NULL, role = NULL "
			       "WHERE address = ? AND added_us IS NOT NULL",
	[STMT_RUN_BEGIN] = "INSERT INTO runs (start_us, source) VALUES (?, ?)",
	[STMT_RUN_CAPTURE] = "UPDATE runs SET capture_path = ? WHERE id = ?",
	[STMT_RUN_END] = "UPDATE runs SET start_us = ?2, end_us = ?3, duration_s = ?4, "
			 "distance_m = ?5, elevation_gain_m = ?6, elevation_loss_m = ?7, "
			 "speed_mps = ?8, cadence_spm = ?9, stride_length_m = ?10, "
			 "heart_rate_bpm = ?11, heart_rate_max_bpm = ?12, notifications = ?13, "
			 "gaps = ?14, gap_s = ?15, end_reason = ?16, source = ?17, "
			 "capture_path = ?18, first_notification_id = ?19, "
			 "last_notification_id = ?20 WHERE id = ?1",
	[STMT_GAP] = "INSERT INTO gaps (run_id, sensor_id, start_us, end_us) VALUES (?, ?, ?, ?)",
	[STMT_GAP_WIDEN] = "UPDATE gaps SET start_us = ?2, end_us = ?3 WHERE id = ?1",
	[STMT_STRIDE] = "INSERT OR REPLACE INTO strides (" STRIDE_COLUMNS ") "
			"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	[STMT_STRIDE_NEW] = "INSERT INTO strides (" STRIDE_COLUMNS ") "
			    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	[STMT_GET_RUN] = "SELECT " RUN_COLUMNS " FROM runs WHERE id = ?",
	[STMT_LAST_RUN] =
		"SELECT " RUN_COLUMNS " FROM runs ORDER BY start_us DESC, id DESC LIMIT 1",
};

/* Notifications' UUIDs as text, made once per characteristic: a sensor
 * streams on one or two, and formatting a 128-bit UUID costs more than
 * inserting the row. */
#define UUID_TEXT_CACHE 8

struct uuid_text {
	struct gatt_uuid uuid;
	int len;
	char text[40];
};

struct store {
	sqlite3 *db;
	char *path;
	bool read_only;
	bool in_batch; /* a transaction is open, waiting for store_flush() */
	sqlite3_stmt *stmt[STMT_COUNT];
	char error[512];
	/* The rowid range of the open run's notifications (see the schema). */
	int64_t range_run_id, range_first_id, range_last_id;
	struct uuid_text uuid_text[UUID_TEXT_CACHE];
	unsigned uuid_text_n, uuid_text_next;
};

/* ---- errors ---------------------------------------------------------- */

static int errno_from_sqlite(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
		return 0;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	case SQLITE_NOTADB:
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH:
	case SQLITE_RANGE:
	case SQLITE_TOOBIG:
		return -EINVAL;
	default: /* IOERR, CORRUPT, PROTOCOL, ... */
		return -EIO;
	}
}

/* What the user can do about it, where there is something. */
static const char *sqlite_hint(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_FULL:
		return "; free some disk space (data flushed before this is kept)";
	case SQLITE_READONLY:
	case SQLITE_PERM:
		return "; check the permissions of the file and its folder";
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return "; another program holds the database locked, try again";
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return "; the file is damaged: keep a copy and restore a backup";
	case SQLITE_IOERR:
		return "; check the disk (dmesg) and free space";
	default:
		return "";
	}
}

static int set_error(struct store *s, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int set_error(struct store *s, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->error, sizeof(s->error), fmt, ap);
	va_end(ap);
	return err;
}

static int sqlite_failure(struct store *s, int rc, const char *doing)
{
	return set_error(s, errno_from_sqlite(rc), "database %s: %s failed: %s%s", s->path, doing,
			 sqlite3_errmsg(s->db), sqlite_hint(rc));
}

const char *store_error(const struct store *s)
{
	return s && s->error[0] ? s->error : "no error";
}

/* ---- small helpers ----------------------------------------------------- */

static int exec(struct store *s, const char *sql, const char *doing)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : sqlite_failure(s, rc, doing);
}

static void bind_real(sqlite3_stmt *st, int i, double v)
{
	if (isnan(v))
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_double(st, i, v);
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *text)
{
	if (text && *text)
		sqlite3_bind_text(st, i, text, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static double column_real(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

static void column_text(sqlite3_stmt *st, int i, char *buf, size_t size)
{
	const unsigned char *text = sqlite3_column_text(st, i);
	snprintf(buf, size, "%s", text ? (const char *)text : "");
}

static sqlite3_stmt *cached(struct store *s, enum store_stmt id, int *rc)
{
	if (!s->stmt[id])
		*rc = sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
					 &s->stmt[id], NULL);
	else
		*rc = SQLITE_OK;
	return s->stmt[id];
}

/* ---- writing ------------------------------------------------------------ */

/* Opens the batch transaction if none is open. */
static int batch(struct store *s)
{
	if (s->read_only)
		return set_error(s, -EROFS, "database %s was opened read-only", s->path);
	if (s->in_batch)
		return 0;
	int err = exec(s, "BEGIN IMMEDIATE", "starting a transaction");
	if (err == 0)
		s->in_batch = true;
	return err;
}

/*
 * A statement failed. A constraint error (say, an unknown run id) only undoes
 * that statement, so the batch goes on; anything else (disk full, I/O) may
 * have rolled the whole transaction back, so make sure it is and say the
 * unflushed rows are gone. Flushed rows are in the database either way.
 */
static int write_failure(struct store *s, int rc, const char *doing)
{
	int err = sqlite_failure(s, rc, doing);
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return err;
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->in_batch = false;
	size_t len = strlen(s->error);
	snprintf(s->error + len, sizeof(s->error) - len,
		 " (rows since the last flush were not saved)");
	return err;
}

/* Runs a write statement whose parameters are bound; resets it. */
static int step_write(struct store *s, sqlite3_stmt *st, const char *doing)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : write_failure(s, rc, doing);
}

/*
 * INSERT OR REPLACE into a table with an index (or a foreign key) makes
 * SQLite keep a statement journal, a copy of every page the statement
 * touches in case it has to undo the replacement: for a per-second sample
 * that was most of the cost of storing it. Nearly every row is new, so a
 * plain INSERT, which checks the key before it writes anything, goes
 * first, and *taken says whether a constraint refused it: the row then
 * goes through the OR REPLACE statement, which replaces the row with its
 * key or reports the error as before.
 */
static int insert_new(struct store *s, sqlite3_stmt *st, const char *doing, bool *taken)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	*taken = (rc & 0xff) == SQLITE_CONSTRAINT;
	return rc == SQLITE_DONE || *taken ? 0 : write_failure(s, rc, doing);
}

/* Prepares (once) and opens the batch: the start of every write. */
static sqlite3_stmt *write_stmt(struct store *s, enum store_stmt id, int *err)
{
	int rc;
	*err = batch(s);
	if (*err)
		return NULL;
	sqlite3_stmt *st = cached(s, id, &rc);
	if (rc != SQLITE_OK)
		*err = sqlite_failure(s, rc, "preparing a statement");
	return st;
}

void store_discard(struct store *s)
{
	if (s->in_batch && !sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->in_batch = false;
	s->range_run_id = 0;
}

int store_flush(struct store *s)
{
	if (!s->in_batch)
		return 0;
	int rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	if (rc == SQLITE_OK) {
		s->in_batch = false;
		return 0;
	}
	return write_failure(s, rc, "committing");
}

int store_sensor(struct store *s, const char *addr, uint8_t addr_type, int64_t seen_us,
		 int64_t *sensor_id)
{
	int err;
	sqlite3_stmt *st = write_stmt(s, STMT_SENSOR, &err);
	if (!st)
		return err;
	sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, addr_type);
	sqlite3_bind_int64(st, 3, seen_us);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*sensor_id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : write_failure(s, rc, "recording a sensor");
}

int store_sensor_seen(struct store *s, int64_t sensor_id, int64_t seen_us)
{
	int err;
	sqlite3_stmt *st = write_stmt(s, STMT_SENSOR_SEEN, &err);
	if (!st)
		return err;
	sqlite3_bind_int64(st, 1, sensor_id);
	sqlite3_bind_int64(st, 2, seen_us);
	err = step_write(s, st, "recording when a sensor was seen");
	if (err == 0 && sqlite3_changes(s->db) == 0)
		return set_error(s, -ENOENT, "database %s: no sensor %lld", s->path,
				 (long long)sensor_id);
	return err;
}

int store_sensor_set_convention(struct store *s, int64_t sensor_id, const char *convention)
{
	int err;
	sqlite3_stmt *st = write_stmt(s, STMT_SENSOR_CONVENTION, &err);
	if (!st)
		return err;
	bind_text_or_null(st, 1, convention);
	sqlite3_bind_int64(st, 2, sensor_id);
	err = step_write(s, st, "setting a sensor's cadence convention");
	if (err == 0 && sqlite3_changes(s->db) == 0)
		return set_error(s, -ENOENT, "database %s: no sensor %lld", s->path,
				 (long long)sensor_id);
	return err;
}

int store_sensor_add(struct store *s, const char *addr, uint8_t addr_type, const char *role,
		     const char *name, int64_t now_us, int64_t *sensor_id)
{
	int err;
	sqlite3_stmt *st = write_stmt(s, STMT_SENSOR_ADD, &err);
	if (!st)
		return err;
	sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, addr_type);
	bind_text_or_null(st, 3, role);
	bind_text_or_null(st, 4, name);
	sqlite3_bind_int64(st, 5, now_us);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sensor_id)
		*sensor_id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : write_failure(s, rc, "adding a sensor");
}

int store_sensor_remove(struct store *s, const char *addr)
{
	int err;
	sqlite3_stmt *st = write_stmt(s, STMT_SENSOR_REMOVE, &err);
	if (!st)
		return err;
	sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
	err = step_write(s, st, "removing a sensor");
	if (err == 0 && sqlite3_changes(s->db) == 0)
		return set_error(s, -ENOENT, "no sensor %s was added", addr);
	return err;
}

int store_run_begin(struct store *s, int64_t start_us, const char *source, int64_t *run_id)
{
	int err;
	sqlite3_stmt *st = write_stmt(s, STMT_RUN_BEGIN, &err);
	if (!st)
		return err;
	sqlite3_bind_int64(st, 1, start_us);
	sqlite3_bind_text(st, 2, source ? source : "", -1, SQLITE_STATIC);
	err = step_write(s, st, "starting a run");
	if (err == 0)
		*run_id = sqlite3_last_insert_rowid(s->db);
	return err;
}

int store_run_set_capture(struct store *s, int64_t run_id, const char *capture_path)
{
	int err;
	sqlite3_stmt *st = write_stmt(s, STMT_RUN_CAPTURE, &err);
	if (!st)
		return err;
	bind_text_or_null(st, 1, capture_path);
	sqlite3_bind_int64(st, 2, run_id);
	err = step_write(s, st, "recording a run's capture file");
	if (err == 0 && sqlite3_changes(s->db) == 0)
		return set_error(s, -ENOENT, "database %s: no run %lld", s->path,
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
	int err;
	sqlite3_stmt *st = write_stmt(s, STMT_NOTIFICATION, &err);
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
	err = step_write(s, st, "storing a notification");
	if (err == 0 && run_id > 0) {
		int64_t id = sqlite3_last_insert_rowid(s->db);
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
	bind_real(st, 3, sample->speed_mps);
	bind_real(st, 4, sample->cadence_spm);
	bind_real(st, 5, sample->stride_length_m);
	bind_real(st, 6, sample->distance_m);
	bind_real(st, 7, sample->pressure_pa);
	bind_real(st, 8, sample->temperature_c);
	bind_real(st, 9, sample->elevation_m);
	bind_real(st, 10, sample->heart_rate_bpm);
}

int store_sample(struct store *s, int64_t run_id, const struct store_sample *sample)
{
	int err;
	sqlite3_stmt *st = write_stmt(s, STMT_SAMPLE_NEW, &err);
	if (!st)
		return err;
	bind_sample(st, run_id, sample);
	bool taken;
	err = insert_new(s, st, "storing a sample", &taken);
	if (err || !taken)
		return err;
	st = write_stmt(s, STMT_SAMPLE, &err);
	if (!st)
		return err;
	bind_sample(st, run_id, sample);
	return step_write(s, st, "storing a sample");
}

int store_gap(struct store *s, int64_t run_id, int64_t sensor_id, int64_t start_us, int64_t end_us,
	      int64_t *gap_id)
{
	int err;
	sqlite3_stmt *st = write_stmt(s, STMT_GAP, &err);
	if (!st)
		return err;
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int64(st, 2, sensor_id);
	sqlite3_bind_int64(st, 3, start_us);
	sqlite3_bind_int64(st, 4, end_us);
	err = step_write(s, st, "storing a gap");
	if (err == 0 && gap_id)
		*gap_id = sqlite3_last_insert_rowid(s->db);
	return err;
}

int store_gap_widen(struct store *s, int64_t gap_id, int64_t start_us, int64_t end_us)
{
	int err;
	sqlite3_stmt *st = write_stmt(s, STMT_GAP_WIDEN, &err);
	if (!st)
		return err;
	sqlite3_bind_int64(st, 1, gap_id);
	sqlite3_bind_int64(st, 2, start_us);
	sqlite3_bind_int64(st, 3, end_us);
	err = step_write(s, st, "widening a gap");
	if (err == 0 && sqlite3_changes(s->db) == 0)
		return set_error(s, -ENOENT, "database %s: no gap %lld", s->path,
				 (long long)gap_id);
	return err;
}

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
		bind_real(st, 6 + i, reals[i]);
	bind_text_or_null(st, 12, x->flags);
}

int store_stride(struct store *s, int64_t run_id, const struct store_stride *x)
{
	int err;
	sqlite3_stmt *st = write_stmt(s, STMT_STRIDE_NEW, &err);
	if (!st)
		return err;
	bind_stride(st, run_id, x);
	bool taken;
	err = insert_new(s, st, "storing a stride", &taken);
	if (err || !taken)
		return err;
	st = write_stmt(s, STMT_STRIDE, &err);
	if (!st)
		return err;
	bind_stride(st, run_id, x);
	return step_write(s, st, "storing a stride");
}

int store_run_end(struct store *s, const struct store_run *run)
{
	int err;
	sqlite3_stmt *st = write_stmt(s, STMT_RUN_END, &err);
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
		bind_real(st, 4 + i, reals[i]);
	sqlite3_bind_int64(st, 13, run->notifications);
	sqlite3_bind_int64(st, 14, run->gaps);
	sqlite3_bind_double(st, 15, isnan(run->gap_s) ? 0 : run->gap_s);
	bind_text_or_null(st, 16, run->end_reason);
	sqlite3_bind_text(st, 17, run->source, -1, SQLITE_TRANSIENT);
	bind_text_or_null(st, 18, run->capture_path);
	if (s->range_run_id == run->id) {
		sqlite3_bind_int64(st, 19, s->range_first_id);
		sqlite3_bind_int64(st, 20, s->range_last_id);
	} else {
		sqlite3_bind_null(st, 19);
		sqlite3_bind_null(st, 20);
	}
	err = step_write(s, st, "finishing a run");
	if (err == 0 && sqlite3_changes(s->db) == 0)
		return set_error(s, -ENOENT, "database %s: no run %lld to finish", s->path,
				 (long long)run->id);
	return err;
}

/* ---- reading ------------------------------------------------------------ */

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
		*reals[i] = column_real(st, 3 + i);
	r->notifications = sqlite3_column_int64(st, 12);
	r->gaps = sqlite3_column_int64(st, 13);
	r->gap_s = column_real(st, 14);
	column_text(st, 15, r->end_reason, sizeof(r->end_reason));
	column_text(st, 16, r->source, sizeof(r->source));
	column_text(st, 17, r->capture_path, sizeof(r->capture_path));
}

static void read_sample(sqlite3_stmt *st, struct store_sample *x)
{
	x->t_us = sqlite3_column_int64(st, 1);
	x->speed_mps = column_real(st, 2);
	x->cadence_spm = column_real(st, 3);
	x->stride_length_m = column_real(st, 4);
	x->distance_m = column_real(st, 5);
	x->pressure_pa = column_real(st, 6);
	x->temperature_c = column_real(st, 7);
	x->elevation_m = column_real(st, 8);
	x->heart_rate_bpm = column_real(st, 9);
}

/* One run from a cached query; run_id is bound when it is not 0. */
static int get_one_run(struct store *s, int which, int64_t run_id, struct store_run *out)
{
	int rc;
	sqlite3_stmt *st = cached(s, which, &rc);
	if (rc != SQLITE_OK)
		return sqlite_failure(s, rc, "preparing a statement");
	if (run_id)
		sqlite3_bind_int64(st, 1, run_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		read_run(st, out);
	sqlite3_reset(st);
	if (rc == SQLITE_DONE && run_id)
		return set_error(s, -ENOENT, "database %s: no run %lld", s->path,
				 (long long)run_id);
	if (rc == SQLITE_DONE)
		return set_error(s, -ENOENT, "database %s holds no runs yet", s->path);
	return rc == SQLITE_ROW ? 0 : sqlite_failure(s, rc, "reading a run");
}

int store_get_run(struct store *s, int64_t run_id, struct store_run *out)
{
	return get_one_run(s, STMT_GET_RUN, run_id, out);
}

int store_get_last_run(struct store *s, struct store_run *out)
{
	return get_one_run(s, STMT_LAST_RUN, 0, out);
}

/*
 * The foreach functions prepare their statement afresh (cheap next to the
 * scan) so a callback may itself call into the store, even another foreach.
 */
static int prepare_fresh(struct store *s, const char *sql, sqlite3_stmt **st)
{
	int rc = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);
	return rc == SQLITE_OK ? 0 : sqlite_failure(s, rc, "preparing a query");
}

int store_foreach_run(struct store *s, int64_t from_us, int64_t to_us, store_run_fn fn, void *user)
{
	sqlite3_stmt *st;
	int err = prepare_fresh(s,
				"SELECT " RUN_COLUMNS " FROM runs WHERE start_us >= ? AND "
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
		err = sqlite_failure(s, rc, "reading runs");
	sqlite3_finalize(st);
	return err;
}

int store_foreach_sample(struct store *s, int64_t run_id, int64_t from_us, int64_t to_us,
			 store_sample_fn fn, void *user)
{
	static const char *const sql[2] = {
		"SELECT " SAMPLE_COLUMNS " FROM samples WHERE t_us >= ?2 AND t_us < ?3 "
		"ORDER BY t_us, run_id",
		"SELECT " SAMPLE_COLUMNS " FROM samples WHERE run_id = ?1 AND t_us >= ?2 AND "
		"t_us < ?3 ORDER BY t_us",
	};
	sqlite3_stmt *st;
	int err = prepare_fresh(s, sql[run_id != 0], &st);
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
		err = sqlite_failure(s, rc, "reading samples");
	sqlite3_finalize(st);
	return err;
}

#define SENSOR_COLUMNS                                                               \
	"id, address, address_type, role, name, cadence_convention, first_seen_us, " \
	"last_seen_us, added_us"

static void read_sensor(sqlite3_stmt *st, struct store_sensor_info *x)
{
	memset(x, 0, sizeof(*x));
	x->id = sqlite3_column_int64(st, 0);
	column_text(st, 1, x->address, sizeof(x->address));
	x->address_type = (uint8_t)sqlite3_column_int(st, 2);
	column_text(st, 3, x->role, sizeof(x->role));
	column_text(st, 4, x->name, sizeof(x->name));
	column_text(st, 5, x->cadence_convention, sizeof(x->cadence_convention));
	x->first_seen_us = sqlite3_column_int64(st, 6);
	x->last_seen_us = sqlite3_column_int64(st, 7);
	x->added_us = sqlite3_column_int64(st, 8); /* NULL reads as 0 */
	if (x->added_us && x->first_seen_us == x->added_us && x->last_seen_us == x->added_us)
		x->first_seen_us = x->last_seen_us = 0; /* never heard: see NEVER_HEARD */
}

int store_get_sensor(struct store *s, const char *addr, struct store_sensor_info *out)
{
	sqlite3_stmt *st;
	int err = prepare_fresh(s, "SELECT " SENSOR_COLUMNS " FROM sensors WHERE address = ?", &st);
	if (err)
		return err;
	sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		read_sensor(st, out);
	else if (rc == SQLITE_DONE)
		err = set_error(s, -ENOENT, "no sensor %s", addr);
	else
		err = sqlite_failure(s, rc, "reading a sensor");
	sqlite3_finalize(st);
	return err;
}

int store_foreach_sensor(struct store *s, bool added_only, store_sensor_fn fn, void *user)
{
	static const char *const sql[2] = {
		"SELECT " SENSOR_COLUMNS " FROM sensors ORDER BY role IS NULL, role, address",
		"SELECT " SENSOR_COLUMNS " FROM sensors WHERE added_us IS NOT NULL "
		"ORDER BY role, address",
	};
	sqlite3_stmt *st;
	int err = prepare_fresh(s, sql[added_only], &st);
	if (err)
		return err;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_sensor_info sensor;
		read_sensor(st, &sensor);
		err = fn(user, &sensor);
		if (err)
			break;
	}
	if (!err && rc != SQLITE_DONE)
		err = sqlite_failure(s, rc, "reading sensors");
	sqlite3_finalize(st);
	return err;
}

static void read_stride(sqlite3_stmt *st, struct store_stride *x)
{
	memset(x, 0, sizeof(*x));
	x->sensor_id = sqlite3_column_int64(st, 1); /* NULL reads as 0 */
	column_text(st, 2, x->foot, sizeof(x->foot));
	x->start_us = sqlite3_column_int64(st, 3);
	x->end_us = sqlite3_column_int64(st, 4);
	double *reals[] = { &x->length_m,        &x->duration_s, &x->speed_mps,
			    &x->height_change_m, &x->stance_s,   &x->clearance_m };
	for (int i = 0; i < (int)(sizeof(reals) / sizeof(reals[0])); i++)
		*reals[i] = column_real(st, 5 + i);
	column_text(st, 11, x->flags, sizeof(x->flags));
}

int store_foreach_stride(struct store *s, int64_t run_id, store_stride_fn fn, void *user)
{
	sqlite3_stmt *st;
	int err = prepare_fresh(s,
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
		err = sqlite_failure(s, rc, "reading strides");
	sqlite3_finalize(st);
	return err;
}

/* ---- opening ------------------------------------------------------------ */

/* SQLite's -wal and -shm files live beside the database. */
static int check_folder_writable(const char *path, char *why, size_t why_len)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if (access(dir, W_OK) == 0)
		return 0;
	int err = -errno;
	snprintf(why, why_len,
		 "folder %s of database %s is not writable (%s): SQLite keeps its "
		 "write-ahead log beside the database; fix the folder's permissions",
		 dir, path, strerror(-err));
	return err;
}

/*
 * Checks what SQLite would otherwise report vaguely or late (a read-only
 * file opens "successfully" and fails at the first write), so the message
 * can say which file or folder and what to do.
 */
static int check_access(const char *path, enum store_mode mode, char *why, size_t why_len)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		int err = -errno;
		if (err == -ENOENT && mode == STORE_READ_ONLY)
			snprintf(why, why_len,
				 "no database at %s: record or replay a run first, or give --db",
				 path);
		else if (err != -ENOENT)
			snprintf(why, why_len, "cannot reach database %s: %s", path,
				 strerror(-err));
		if (err != -ENOENT || mode == STORE_READ_ONLY)
			return err;
		err = paths_make_parent(path);
		if (err < 0) {
			snprintf(why, why_len, "cannot create the folder for database %s: %s", path,
				 strerror(-err));
			return err;
		}
		return check_folder_writable(path, why, why_len);
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(why, why_len, "database path %s is a directory: give the path of a file",
			 path);
		return -EISDIR;
	}
	if (mode == STORE_READ_ONLY)
		return 0;
	if (access(path, W_OK) < 0) {
		int err = -errno;
		snprintf(why, why_len,
			 "database %s is not writable (%s): fix its permissions, or only read it",
			 path, strerror(-err));
		return err;
	}
	return check_folder_writable(path, why, why_len);
}

static int pragma_int(struct store *s, const char *sql, int64_t *value)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			*value = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	return rc == SQLITE_ROW ? SQLITE_OK : rc;
}

static int schema_version_known(void)
{
	return schema_migration_count ? schema_migrations[schema_migration_count - 1].version : 0;
}

/* Is this file a hamstride database at all? Refuses before anything writes. */
static int check_identity(struct store *s, int64_t *version)
{
	int64_t app_id = 0, tables = 0;
	int rc = pragma_int(s, "PRAGMA user_version", version);
	if (rc == SQLITE_OK)
		rc = pragma_int(s, "PRAGMA application_id", &app_id);
	if (rc == SQLITE_OK)
		rc = pragma_int(s, "SELECT count(*) FROM sqlite_master", &tables);
	if ((rc & 0xff) == SQLITE_NOTADB)
		return set_error(s, -EINVAL,
				 "%s is not a SQLite database (or is encrypted or damaged); "
				 "it was left untouched: give another --db path",
				 s->path);
	if (rc != SQLITE_OK)
		return sqlite_failure(s, rc, "reading the schema version");
	if (app_id != STORE_APPLICATION_ID && (app_id != 0 || tables != 0))
		return set_error(s, -EINVAL,
				 "%s is another program's SQLite database, not hamstride's; "
				 "it was left untouched: give another --db path",
				 s->path);
	if (*version > schema_version_known())
		return set_error(s, -ENOTSUP,
				 "database %s has schema version %lld, newer than this "
				 "hamstride knows (%d): upgrade hamstride",
				 s->path, (long long)*version, schema_version_known());
	return 0;
}

static int quick_check(struct store *s)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(s->db, "PRAGMA quick_check(1)", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return sqlite_failure(s, rc, "checking the database");
	rc = sqlite3_step(st);
	const unsigned char *result = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
	int err = 0;
	if (result && strcmp((const char *)result, "ok") != 0)
		err = set_error(s, -EIO,
				"database %s is damaged (%s); it was left untouched: keep a "
				"copy, restore a backup or try 'sqlite3 FILE .recover'",
				s->path, result);
	else if (!result)
		err = set_error(s, -EIO,
				"database %s is damaged (%s); it was left untouched: keep a "
				"copy, restore a backup or try 'sqlite3 FILE .recover'",
				s->path, sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	return err;
}

static int migrate(struct store *s, int64_t version)
{
	for (unsigned i = 0; i < schema_migration_count; i++) {
		const struct schema_migration *m = &schema_migrations[i];
		if (m->version <= version)
			continue;
		char doing[128], set_version[48];
		snprintf(doing, sizeof(doing), "applying migration %03d_%s", m->version, m->name);
		snprintf(set_version, sizeof(set_version), "PRAGMA user_version = %d", m->version);
		int err = exec(s, "BEGIN IMMEDIATE", doing);
		if (!err)
			err = exec(s, m->sql, doing);
		if (!err)
			err = exec(s, set_version, doing);
		if (!err)
			err = exec(s, "COMMIT", doing);
		if (err) {
			if (!sqlite3_get_autocommit(s->db))
				sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			return err;
		}
	}
	return 0;
}

static int configure_writer(struct store *s, int64_t version)
{
	int err = quick_check(s);
	/* NORMAL in WAL mode: a commit survives a crash of the program; only a
	 * power cut can lose the last few commits, never corrupt the file. */
	if (!err)
		err = exec(s,
			   "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; "
			   "PRAGMA journal_size_limit = 8388608",
			   "switching to write-ahead logging");
	if (!err)
		err = migrate(s, version);
	return err;
}

static int configure(struct store *s, enum store_mode mode)
{
	sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(s->db, 1);
	/* A modest page cache keeps the daemon small on a Raspberry Pi;
	 * inserts append to the B-trees, so they need little of it. */
	int64_t version = 0;
	int err = check_identity(s, &version);
	if (!err)
		err = exec(s,
			   "PRAGMA cache_size = -2000; PRAGMA foreign_keys = ON; "
			   "PRAGMA temp_store = MEMORY",
			   "configuring the connection");
	if (err)
		return err;
	if (mode == STORE_READ_WRITE)
		return configure_writer(s, version);
	if (version < schema_version_known())
		return set_error(s, -ENOTSUP,
				 "database %s has schema version %lld, older than this "
				 "hamstride's (%d): start hamstrided once to upgrade it",
				 s->path, (long long)version, schema_version_known());
	return 0;
}

static void free_store(struct store *s)
{
	for (int i = 0; i < STMT_COUNT; i++)
		sqlite3_finalize(s->stmt[i]);
	sqlite3_close_v2(s->db);
	free(s->path);
	free(s);
}

/*
 * A reader that may not write the folder cannot create the -shm file that WAL
 * mode needs, so the CLI could not read the system daemon's database while
 * the daemon is stopped. With no -wal file there is nothing uncommitted, and
 * SQLite's documented way out is to open the file as immutable.
 */
static bool reader_needs_immutable(const char *path)
{
	char wal[4096 + 8];
	snprintf(wal, sizeof(wal), "%s-wal", path);
	return check_folder_writable(path, NULL, 0) < 0 && access(wal, F_OK) < 0;
}

/* file: URI of path with immutable=1; '?', '#' and '%' escaped. */
static char *immutable_uri(const char *path)
{
	size_t len = strlen(path);
	char *uri = xmalloc(len * 3 + 32);
	char *p = uri + sprintf(uri, "file:");
	for (const char *c = path; *c; c++)
		p += strchr("?#%", *c) ? sprintf(p, "%%%02X", (unsigned char)*c)
				       : sprintf(p, "%c", *c);
	memcpy(p, "?immutable=1", sizeof("?immutable=1"));
	return uri;
}

static int open_connection(struct store *s)
{
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	char *uri = NULL;
	if (s->read_only) {
		flags = SQLITE_OPEN_READONLY;
		if (reader_needs_immutable(s->path))
			uri = immutable_uri(s->path);
	}
	int rc = sqlite3_open_v2(uri ? uri : s->path, &s->db,
				 flags | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI, NULL);
	free(uri);
	if (rc == SQLITE_OK)
		return 0;
	return set_error(s, errno_from_sqlite(rc), "cannot open database %s: %s", s->path,
			 s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
}

int store_open(const char *path, enum store_mode mode, struct store **out, char *why,
	       size_t why_len)
{
	*out = NULL;
	if (why_len)
		why[0] = '\0';
	int err = check_access(path, mode, why, why_len);
	if (err)
		return err;
	struct store *s = xcalloc(1, sizeof(*s));
	s->path = xstrdup(path);
	s->read_only = mode == STORE_READ_ONLY;
	err = open_connection(s);
	if (!err)
		err = configure(s, mode);
	if (err) {
		snprintf(why, why_len, "%s", s->error);
		free_store(s);
		return err;
	}
	*out = s;
	return 0;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	if (store_flush(s) < 0)
		log_error("%s", store_error(s));
	free_store(s);
}
