// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The SQLite store. Writes go into one open transaction that store_flush()
 * commits, so the daemon pays for a commit (and an fsync of the WAL) once per
 * batch rather than once per notification. Prepared statements for the hot
 * paths are kept for the life of the connection.
 */
#include "store/store.h"
#include "store/store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "paths.h"
#include "schema.h"
#include "util/xalloc.h"

/* Marks the file as hamstride's, so another program's SQLite file is never
 * migrated by mistake. "HMST"; set by 001_initial.sql. */
#define STORE_APPLICATION_ID 0x484D5354

/* How long a reader checks the file for damage before it reads: a
 * small database is checked whole, a big one as far as this goes. */
#define STORE_READER_CHECK_MS 300

/* Long enough for a CLI read to wait out a daemon commit. */
#define STORE_BUSY_TIMEOUT_MS 5000

static const char *const stmt_sql[STMT_COUNT] = {
	[STMT_NOTIFICATION] =
		"INSERT INTO notifications (run_id, sensor_id, t_us, handle, uuid, value) "
		"VALUES (?, ?, ?, ?, ?, ?)",
	/* The same with the id given (store_held_id): a full disk. */
	[STMT_NOTIFICATION_ID] =
		"INSERT INTO notifications (run_id, sensor_id, t_us, handle, uuid, value, id) "
		"VALUES (?, ?, ?, ?, ?, ?, ?)",
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
	/* A new sensor while the disk is full, with the id given (store_held_id). */
	[STMT_SENSOR_NEW_ID] = "INSERT INTO sensors (address, address_type, first_seen_us, "
			       "last_seen_us, id) VALUES (?1, ?2, ?3, ?3, ?4)",
	[STMT_SENSOR_REMOVE] = "UPDATE sensors SET added_us = NULL, role = NULL "
			       "WHERE address = ? AND added_us IS NOT NULL",
	[STMT_RUN_BEGIN] = "INSERT INTO runs (start_us, source) VALUES (?, ?)",
	[STMT_RUN_BEGIN_ID] = "INSERT INTO runs (start_us, source, id) VALUES (?, ?, ?)",
	[STMT_RUN_CAPTURE] = "UPDATE runs SET capture_path = ? WHERE id = ?",
	[STMT_RUN_END] = "UPDATE runs SET start_us = ?2, end_us = ?3, duration_s = ?4, "
			 "distance_m = ?5, elevation_gain_m = ?6, elevation_loss_m = ?7, "
			 "speed_mps = ?8, cadence_spm = ?9, stride_length_m = ?10, "
			 "heart_rate_bpm = ?11, heart_rate_max_bpm = ?12, notifications = ?13, "
			 "gaps = ?14, gap_s = ?15, end_reason = ?16, source = ?17, "
			 "capture_path = ?18, first_notification_id = ?19, "
			 "last_notification_id = ?20 WHERE id = ?1",
	[STMT_GAP] = "INSERT INTO gaps (run_id, sensor_id, start_us, end_us) VALUES (?, ?, ?, ?)",
	[STMT_GAP_ID] = "INSERT INTO gaps (run_id, sensor_id, start_us, end_us, id) "
			"VALUES (?, ?, ?, ?, ?)",
	[STMT_GAP_WIDEN] = "UPDATE gaps SET start_us = ?2, end_us = ?3 WHERE id = ?1",
	[STMT_STRIDE] = "INSERT OR REPLACE INTO strides (" STRIDE_COLUMNS ") "
			"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	[STMT_STRIDE_NEW] = "INSERT INTO strides (" STRIDE_COLUMNS ") "
			    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	[STMT_GET_RUN] = "SELECT " RUN_READ_COLUMNS " FROM runs WHERE id = ?",
	[STMT_LAST_RUN] =
		"SELECT " RUN_READ_COLUMNS " FROM runs ORDER BY start_us DESC, id DESC LIMIT 1",
};

/* ---- errors ---------------------------------------------------------- */

/* An I/O error SQLite names more closely: a full disk may show as a
 * failed write or fsync rather than SQLITE_FULL. */
static int io_errno(int rc)
{
	switch (rc) {
	case SQLITE_IOERR_NOMEM:
		return -ENOMEM;
	case SQLITE_IOERR_ACCESS:
		return -EACCES;
	default:
		return -EIO;
	}
}

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
	case SQLITE_CORRUPT:
		return -EUCLEAN; /* "structure needs cleaning": damaged, not unreadable */
	case SQLITE_IOERR:
		return io_errno(rc);
	default: /* PROTOCOL, ... */
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

int store_set_error(struct store *s, int err, const char *fmt, ...)
{
	va_list ap;
	s->last_err = err;
	va_start(ap, fmt);
	vsnprintf(s->error, sizeof(s->error), fmt, ap);
	va_end(ap);
	return err;
}

/* SQLite's rc as the errno it means, named in words the user knows
 * ("database full: no space left on device"), then SQLite's own words. */
int store_sqlite_failure(struct store *s, int rc, const char *doing)
{
	int err = errno_from_sqlite(rc);
	/* A full disk met while growing the -shm or writing the -wal is an
	 * I/O error to SQLite; the system's errno says what it was. */
	if ((rc & 0xff) == SQLITE_IOERR && s->db && sqlite3_system_errno(s->db) == ENOSPC) {
		err = -ENOSPC;
		rc = SQLITE_FULL;
	}
	char words[64];
	snprintf(words, sizeof(words), "%s", strerror(-err));
	if (words[0] >= 'A' && words[0] <= 'Z')
		words[0] = (char)(words[0] - 'A' + 'a');
	return store_set_error(s, err, "database %s%s: %s: %s failed (%s)%s",
			       err == -ENOSPC ? "full, " : "", s->path, words, doing,
			       s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc), sqlite_hint(rc));
}

const char *store_error(const struct store *s)
{
	return s && s->error[0] ? s->error : "no error";
}

int store_errno(const struct store *s)
{
	return s && s->last_err ? s->last_err : -EIO;
}

/* ---- small helpers ----------------------------------------------------- */

static int exec(struct store *s, const char *sql, const char *doing)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : store_sqlite_failure(s, rc, doing);
}

void store_bind_real(sqlite3_stmt *st, int i, double v)
{
	if (isnan(v))
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_double(st, i, v);
}

void store_bind_text(sqlite3_stmt *st, int i, const char *text)
{
	if (text && *text)
		sqlite3_bind_text(st, i, text, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

double store_column_real(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

void store_column_text(sqlite3_stmt *st, int i, char *buf, size_t size)
{
	const unsigned char *text = sqlite3_column_text(st, i);
	snprintf(buf, size, "%s", text ? (const char *)text : "");
}

sqlite3_stmt *store_cached(struct store *s, enum store_stmt id, int *rc)
{
	if (!s->stmt[id])
		*rc = sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
					 &s->stmt[id], NULL);
	else
		*rc = SQLITE_OK;
	return s->stmt[id];
}

/* ---- a full disk --------------------------------------------------------- */

/*
 * When the disk fills, the batch that was being committed is lost (at most
 * the last second, as with a crash), and from then on the data writes (the
 * statements below) are kept in memory as SQL with their values, in order,
 * and run in one transaction once the disk has room again; the other
 * writes (the terrain, a sensor added by hand, a pain entry) fail
 * meanwhile. A new run, sensor, gap or notification, whose id the writer
 * needs back, is given the id the table would give it next (store_held_id)
 * and held with it; hold_move_foreign keeps those ids its own.
 */
static const enum store_stmt holdable_stmts[] = {
	STMT_NOTIFICATION_ID, STMT_SAMPLE,  STMT_SAMPLE_NEW,  STMT_STRIDE,
	STMT_STRIDE_NEW,      STMT_GAP_ID,  STMT_GAP_WIDEN,   STMT_RUN_BEGIN_ID,
	STMT_RUN_CAPTURE,     STMT_RUN_END, STMT_SENSOR_SEEN, STMT_SENSOR_CONVENTION,
	STMT_SENSOR_NEW_ID,
};
/* What is held whatever the bound, being a few rows a run that the rows
 * kept around them refer to: beyond the bound the data are dropped, never
 * the run, its gaps and its end that the data after the drop belong to. */
static const enum store_stmt held_always[] = {
	STMT_GAP_ID,  STMT_GAP_WIDEN,   STMT_RUN_BEGIN_ID,      STMT_RUN_CAPTURE,
	STMT_RUN_END, STMT_SENSOR_SEEN, STMT_SENSOR_CONVENTION, STMT_SENSOR_NEW_ID,
};

/* Room the held writes need before they are tried: twice their size
 * (the -wal and then the database) and a margin for SQLite's pages. */
#define HOLD_MARGIN_BYTES (256 * 1024)

static bool holdable_id(enum store_stmt id)
{
	for (size_t i = 0; i < sizeof(holdable_stmts) / sizeof(holdable_stmts[0]); i++)
		if (holdable_stmts[i] == id)
			return true;
	return false;
}

static bool holdable(const struct store *s, const sqlite3_stmt *st)
{
	for (size_t i = 0; i < sizeof(holdable_stmts) / sizeof(holdable_stmts[0]); i++)
		if (s->stmt[holdable_stmts[i]] == st)
			return true;
	return false;
}

static bool always_held(const struct store *s, const sqlite3_stmt *st)
{
	for (size_t i = 0; i < sizeof(held_always) / sizeof(held_always[0]); i++)
		if (s->stmt[held_always[i]] == st)
			return true;
	return false;
}

static int64_t monotonic_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static double mib(size_t bytes)
{
	return bytes / (1024.0 * 1024.0);
}

void store_hold_when_full(struct store *s, size_t max_bytes)
{
	s->hold.max_bytes = max_bytes;
}

bool store_holding(const struct store *s)
{
	return s->hold.active;
}

static void hold_begin(struct store *s)
{
	s->hold.active = true;
	s->hold.since_us = monotonic_us();
	log_error("%s; what arrives from now on is kept in memory (up to %.0f MiB) and "
		  "written when space is freed",
		  s->error, mib(s->hold.max_bytes));
}

static void hold_free(struct store_hold *h)
{
	for (size_t i = 0; i < h->n; i++)
		free(h->sql[i]);
	free(h->sql);
	h->sql = NULL;
	h->n = h->cap = h->bytes = 0;
	h->notifications = h->dropped = h->dropped_notifications = h->refused = 0;
	h->active = false;
	memset(h->first_id, 0, sizeof(h->first_id));
	memset(h->next_id, 0, sizeof(h->next_id));
	h->flushed = (struct store_hold_mark){ 0 };
}

/* What store_discard() goes back to: the hold as it is now. */
static void hold_mark(struct store_hold *h)
{
	h->flushed = (struct store_hold_mark){ .n = h->n,
					       .bytes = h->bytes,
					       .notifications = h->notifications,
					       .dropped = h->dropped,
					       .dropped_notifications = h->dropped_notifications };
	memcpy(h->flushed.next_id, h->next_id, sizeof(h->next_id));
}

/* Drops what was held since the last store_flush(). */
static void hold_back_to_mark(struct store_hold *h)
{
	const struct store_hold_mark *m = &h->flushed;
	for (size_t i = m->n; i < h->n; i++)
		free(h->sql[i]);
	h->n = m->n;
	h->bytes = m->bytes;
	h->notifications = m->notifications;
	h->dropped = m->dropped;
	h->dropped_notifications = m->dropped_notifications;
	/* Ids first handed out since then go back to the first. */
	for (int t = 0; t < STORE_ID_TABLES; t++)
		h->next_id[t] = m->next_id[t] ? m->next_id[t] : h->first_id[t];
}

static const char *const id_table_name[STORE_ID_TABLES] = {
	[STORE_ID_RUN] = "runs",
	[STORE_ID_NOTIFICATION] = "notifications",
	[STORE_ID_GAP] = "gaps",
	[STORE_ID_SENSOR] = "sensors",
};

/* The first ids to hand out: read for every table at once, so that what
 * another writer stores after this has ids above each of them (see
 * hold_move_foreign). */
static int hold_read_first_ids(struct store *s)
{
	struct store_hold *h = &s->hold;
	for (int t = 0; t < STORE_ID_TABLES; t++) {
		char sql[64];
		sqlite3_stmt *st;
		snprintf(sql, sizeof(sql), "SELECT coalesce(max(id), 0) + 1 FROM %s",
			 id_table_name[t]);
		int err = store_prepare_fresh(s, sql, &st);
		if (err)
			return err;
		int rc = sqlite3_step(st);
		int64_t first = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		if (rc != SQLITE_ROW)
			return store_sqlite_failure(s, rc, "reading the next ids");
		h->first_id[t] = h->next_id[t] = first;
	}
	return 0;
}

int store_held_id(struct store *s, enum store_id_table table, int64_t *id)
{
	struct store_hold *h = &s->hold;
	*id = 0;
	if (!h->active)
		return 0;
	if (!h->first_id[table]) {
		int err = hold_read_first_ids(s);
		if (err)
			return err;
	}
	*id = h->next_id[table]++;
	return 0;
}

bool store_held_dropped(struct store *s, enum store_id_table table, int64_t id)
{
	struct store_hold *h = &s->hold;
	if (!id || h->last_held)
		return false;
	if (h->next_id[table] == id + 1)
		h->next_id[table] = id;
	return true;
}

/* Runs one statement of the mover, made from fmt; SQLite's rc. */
static int move_exec(struct store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int move_exec(struct store *s, const char *fmt, ...)
{
	char sql[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	return sqlite3_exec(s->db, sql, NULL, NULL, NULL);
}

/* column of table, from floor up, goes up by k: by way of the negative
 * values, which no id has, so that no value meets another on the way. */
static int move_up(struct store *s, const char *table, const char *column, int64_t floor, int64_t k)
{
	int rc = move_exec(s, "UPDATE %s SET %s = -%s WHERE %s >= %lld", table, column, column,
			   column, (long long)floor);
	if (rc == SQLITE_OK)
		rc = move_exec(s, "UPDATE %s SET %s = %lld - %s WHERE %s < 0", table, column,
			       (long long)k, column, column);
	return rc;
}

/* The tables holding a run's rows, and a sensor's, by its id. */
static const char *const run_children[] = {
	"samples", "strides", "gaps", "segments", "pod_calibrations", "pain_versions",
};
static const char *const sensor_children[] = { "gaps", "strides", "pod_calibrations" };

/* Their rows in the other tables follow them; the notifications among
 * those stored since the first held. */
static int move_children(struct store *s, const char *const *tables, size_t n, const char *column,
			 int64_t first, int64_t k)
{
	int rc = SQLITE_OK;
	for (size_t i = 0; rc == SQLITE_OK && i < n; i++)
		rc = move_up(s, tables[i], column, first, k);
	if (rc == SQLITE_OK)
		rc = move_exec(s,
			       "UPDATE notifications SET %s = %s + %lld WHERE id >= %lld AND "
			       "%s >= %lld",
			       column, column, (long long)k,
			       (long long)s->hold.first_id[STORE_ID_NOTIFICATION], column,
			       (long long)first);
	return rc;
}

/* How many rows of the table have ids from first up. */
static int count_from(struct store *s, enum store_id_table t, int64_t first, int64_t *n)
{
	sqlite3_stmt *st;
	char sql[80];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE id >= ?", id_table_name[t]);
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(st, 1, first);
	rc = sqlite3_step(st);
	*n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? SQLITE_OK : rc;
}

/* Another writer's rows, n of them in table t, move up by k. */
static int move_foreign(struct store *s, enum store_id_table t, int64_t k)
{
	const struct store_hold *h = &s->hold;
	int64_t first = h->first_id[t];
	int rc = move_up(s, id_table_name[t], "id", first, k);
	if (t == STORE_ID_RUN && rc == SQLITE_OK)
		rc = move_children(s, run_children, sizeof(run_children) / sizeof(*run_children),
				   "run_id", first, k);
	else if (t == STORE_ID_SENSOR && rc == SQLITE_OK)
		rc = move_children(s, sensor_children,
				   sizeof(sensor_children) / sizeof(*sensor_children), "sensor_id",
				   first, k);
	else if (t == STORE_ID_NOTIFICATION && rc == SQLITE_OK) {
		rc = move_exec(s,
			       "UPDATE runs SET first_notification_id = first_notification_id + "
			       "%lld, last_notification_id = last_notification_id + %lld WHERE "
			       "first_notification_id >= %lld",
			       (long long)k, (long long)k, (long long)first);
	}
	return rc;
}

/*
 * Another writer (hamstride replay, import) may store rows between the
 * disk having room again and the release, under ids handed out to held
 * rows. The held rows keep their ids, which the daemon has logged and goes
 * on writing under; the other writer's rows move above them, with what
 * refers to them, so that nothing is mixed up. Only rows stored since the
 * first ids were read have ids at or above them. SQLite's rc.
 */
static int hold_move_foreign(struct store *s)
{
	const struct store_hold *h = &s->hold;
	int rc = SQLITE_OK;
	bool deferred = false;
	for (int t = 0; t < STORE_ID_TABLES && rc == SQLITE_OK; t++) {
		int64_t k = h->next_id[t] - h->first_id[t], n = 0;
		if (!h->first_id[t] || k == 0)
			continue;
		rc = count_from(s, t, h->first_id[t], &n);
		if (rc != SQLITE_OK || n == 0)
			continue;
		/* A run and its rows refer to each other while they move. */
		if (!deferred)
			rc = sqlite3_exec(s->db, "PRAGMA defer_foreign_keys = ON", NULL, NULL,
					  NULL);
		deferred = true;
		if (rc == SQLITE_OK)
			rc = move_foreign(s, t, k);
		if (rc == SQLITE_OK)
			log_warning("database %s: %lld %s stored by another program while %s were "
				    "held in memory took the ids handed out to them, from %lld: "
				    "moved up by %lld",
				    s->path, (long long)n, id_table_name[t], id_table_name[t],
				    (long long)h->first_id[t], (long long)k);
	}
	return rc;
}

/* The statement as SQL with its values; an insert that may replace. */
static char *held_sql(sqlite3_stmt *st, bool replace)
{
	static const char insert[] = "INSERT INTO ";
	char *expanded = sqlite3_expanded_sql(st);
	if (!expanded)
		return NULL;
	char *sql;
	if (replace && strncmp(expanded, insert, strlen(insert)) == 0) {
		size_t len = strlen(expanded) + sizeof("INSERT OR REPLACE INTO ");
		sql = xmalloc(len);
		snprintf(sql, len, "INSERT OR REPLACE INTO %s", expanded + strlen(insert));
	} else {
		sql = xstrdup(expanded);
	}
	sqlite3_free(expanded);
	return sql;
}

static void hold_statement(struct store *s, sqlite3_stmt *st, bool replace)
{
	struct store_hold *h = &s->hold;
	bool notification = st == s->stmt[STMT_NOTIFICATION_ID];
	char *sql = held_sql(st, replace);
	sqlite3_reset(st);
	size_t cost = sql ? strlen(sql) + 1 + sizeof(char *) : 0;
	/* Once data are dropped, so are all that come after them until
	 * space returns: the newest, never one here and there. */
	h->last_held =
		sql && (always_held(s, st) || (!h->dropped && h->bytes + cost <= h->max_bytes));
	if (!h->last_held) {
		if (!h->dropped)
			log_error(
				"the writes kept in memory for %s reached %.0f MiB: newer data are "
				"dropped, and counted, until space is freed",
				s->path, mib(h->max_bytes));
		h->dropped++;
		h->dropped_notifications += notification;
		free(sql);
		return;
	}
	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 1024;
		h->sql = xreallocarray(h->sql, h->cap, sizeof(*h->sql));
	}
	h->sql[h->n++] = sql;
	h->bytes += cost;
	h->notifications += notification;
}

static bool room_for_held(const struct store *s)
{
	char dir[4096];
	struct statvfs vfs;
	snprintf(dir, sizeof(dir), "%s", s->path);
	char *slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else
		slash[slash == dir] = '\0';
	if (statvfs(dir, &vfs) < 0)
		return true; /* cannot tell: try */
	return (uint64_t)vfs.f_bavail * vfs.f_frsize >=
	       2 * (uint64_t)s->hold.bytes + HOLD_MARGIN_BYTES;
}

static int still_held(struct store *s)
{
	const struct store_hold *h = &s->hold;
	return store_set_error(s, -ENOSPC,
			       "database full, %s: no space left on device; %zu writes "
			       "(%llu notifications, %.1f MiB) wait in memory for space to be "
			       "freed, %llu more were dropped and %llu could not wait",
			       s->path, h->n, (unsigned long long)h->notifications, mib(h->bytes),
			       (unsigned long long)h->dropped, (unsigned long long)h->refused);
}

/* Writes what was held, in one transaction, if the disk has room. */
static int hold_release(struct store *s)
{
	struct store_hold *h = &s->hold;
	if (!room_for_held(s))
		return still_held(s);
	int rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = hold_move_foreign(s);
	for (size_t i = 0; i < h->n && rc == SQLITE_OK; i++) {
		rc = sqlite3_exec(s->db, h->sql[i], NULL, NULL, NULL);
		if ((rc & 0xff) == SQLITE_CONSTRAINT)
			rc = SQLITE_OK; /* that row only, as when it was first written */
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		if (!sqlite3_get_autocommit(s->db))
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return still_held(s);
	}
	log_notice("database %s has room again: the %zu writes kept in memory for %.0f s "
		   "(%llu notifications, %.1f MiB) are stored; %llu were dropped (%llu of them "
		   "notifications) and %llu could not wait",
		   s->path, h->n, (monotonic_us() - h->since_us) / 1e6,
		   (unsigned long long)h->notifications, mib(h->bytes),
		   (unsigned long long)h->dropped, (unsigned long long)h->dropped_notifications,
		   (unsigned long long)h->refused);
	store_set_error(s, -ENOSPC,
			"database %s was full for %.0f s: what was kept in memory is stored, "
			"the batch being committed when it filled was lost",
			s->path, (monotonic_us() - h->since_us) / 1e6);
	hold_free(h);
	return 0;
}

/* ---- writing ------------------------------------------------------------ */

void store_set_commit_pause(struct store *s, int pause_ms)
{
	s->commit_pause_us = (int64_t)pause_ms * 1000;
}

/* The rest of the pause after the last commit (store_set_commit_pause). */
static void pause_after_commit(const struct store *s)
{
	if (!s->commit_pause_us || !s->committed_at_us)
		return;
	int64_t left_us = s->committed_at_us + s->commit_pause_us - monotonic_us();
	if (left_us <= 0)
		return;
	struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)(left_us * 1000) };
	nanosleep(&ts, NULL);
}

/* Opens the batch transaction if none is open. */
int store_begin_write(struct store *s)
{
	if (s->read_only)
		return store_set_error(s, -EROFS, "database %s was opened read-only", s->path);
	if (s->in_batch)
		return 0;
	pause_after_commit(s);
	if (s->hold.active && hold_release(s) < 0) {
		s->hold.refused++;
		return -ENOSPC;
	}
	int err = exec(s, "BEGIN IMMEDIATE", "starting a transaction");
	if (err == 0)
		s->in_batch = true;
	return err;
}

int store_prepare_write(struct store *s, const char *sql, sqlite3_stmt **st, const char *doing)
{
	*st = NULL;
	int err = store_begin_write(s);
	if (err)
		return err;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);
	return rc == SQLITE_OK ? 0 : store_sqlite_failure(s, rc, doing);
}

/*
 * A statement failed. A constraint error (say, an unknown run id) only undoes
 * that statement, so the batch goes on; anything else (disk full, I/O) may
 * have rolled the whole transaction back, so make sure it is and say the
 * unflushed rows are gone. Flushed rows are in the database either way.
 */
int store_write_failure(struct store *s, int rc, const char *doing)
{
	int err = store_sqlite_failure(s, rc, doing);
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return err;
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->in_batch = false;
	size_t len = strlen(s->error);
	snprintf(s->error + len, sizeof(s->error) - len,
		 " (rows since the last flush were not saved)");
	if (err == -ENOSPC && s->hold.max_bytes && !s->hold.active)
		hold_begin(s);
	return err;
}

/* Runs a write statement whose parameters are bound; resets it. */
int store_step_write(struct store *s, sqlite3_stmt *st, const char *doing)
{
	if (s->hold.active && holdable(s, st)) {
		hold_statement(s, st, false);
		return 0;
	}
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : store_write_failure(s, rc, doing);
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
int store_insert_new(struct store *s, sqlite3_stmt *st, const char *doing, bool *taken)
{
	if (s->hold.active && holdable(s, st)) {
		hold_statement(s, st, true);
		*taken = false;
		return 0;
	}
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	*taken = (rc & 0xff) == SQLITE_CONSTRAINT;
	return rc == SQLITE_DONE || *taken ? 0 : store_write_failure(s, rc, doing);
}

/* Prepares (once) and opens the batch: the start of every write. */
sqlite3_stmt *store_write_stmt(struct store *s, enum store_stmt id, int *err)
{
	int rc;
	*err = s->hold.active && holdable_id(id) ? 0 : store_begin_write(s);
	if (*err)
		return NULL;
	sqlite3_stmt *st = store_cached(s, id, &rc);
	if (rc != SQLITE_OK)
		*err = store_sqlite_failure(s, rc, "preparing a statement");
	return st;
}

void store_discard(struct store *s)
{
	if (s->hold.active)
		hold_back_to_mark(&s->hold);
	if (s->in_batch && !sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->in_batch = false;
	s->range_run_id = 0;
}

int store_flush(struct store *s)
{
	if (s->hold.active) {
		int err = hold_release(s);
		if (err)
			hold_mark(&s->hold);
		return err;
	}
	if (!s->in_batch)
		return 0;
	int rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	if (rc == SQLITE_OK) {
		s->in_batch = false;
		if (s->commit_pause_us)
			s->committed_at_us = monotonic_us();
		return 0;
	}
	return store_write_failure(s, rc, "committing");
}

/* ---- reading ------------------------------------------------------------ */

/*
 * The foreach functions prepare their statement afresh (cheap next to the
 * scan) so a callback may itself call into the store, even another foreach.
 */
int store_prepare_fresh(struct store *s, const char *sql, sqlite3_stmt **st)
{
	int rc = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);
	return rc == SQLITE_OK ? 0 : store_sqlite_failure(s, rc, "preparing a query");
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
 * SQLite would create the file 0644 (less the umask), and its -wal and
 * -shm files take the main file's mode: so the file is made here first,
 * private (paths_file_mode), and SQLite opens it as an empty database.
 */
static int create_private(const char *path, char *why, size_t why_len)
{
	int fd = paths_create_file(path, O_EXCL);
	struct stat st;
	if (fd == -EEXIST && lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		snprintf(why, why_len,
			 "database %s is a symbolic link to nothing: refused, so that nothing is "
			 "created where it points; remove the link or give another path",
			 path);
		return -ELOOP;
	}
	if (fd == -EEXIST)
		return 0; /* another process made it first */
	if (fd < 0) {
		snprintf(why, why_len, "cannot create database %s: %s", path, strerror(-fd));
		return fd;
	}
	close(fd);
	return 0;
}

/* A database (or its -wal, -shm) left readable by others from before is
 * narrowed to what a new one gets; the log says so, once per file. */
static void tighten_files(const char *path)
{
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		char file[4096 + 8];
		mode_t was, now;
		snprintf(file, sizeof(file), "%s%s", path, suffixes[i]);
		int r = paths_tighten(file, &was, &now);
		if (r > 0)
			log_warning("%s was mode %04o: narrowed to %04o, so that only its owner%s "
				    "can read it",
				    file, (unsigned)was, (unsigned)now,
				    now & 040 ? " and its group" : "");
		else if (r < 0)
			log_warning("%s could not be narrowed to a private mode: %s", file,
				    strerror(-r));
	}
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
		err = check_folder_writable(path, why, why_len);
		return err ? err : create_private(path, why, why_len);
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
			 "database %s is not writable (%s): the commands that only read it "
			 "still do; to write, remount its file system read-write or fix the "
			 "file's permissions",
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
		return store_set_error(s, -EINVAL,
				       "%s is not a SQLite database (or is encrypted or damaged); "
				       "it was left untouched: give another --db path",
				       s->path);
	if (rc != SQLITE_OK)
		return store_sqlite_failure(s, rc, "reading the schema version");
	if (app_id != STORE_APPLICATION_ID && (app_id != 0 || tables != 0))
		return store_set_error(s, -EINVAL,
				       "%s is another program's SQLite database, not hamstride's; "
				       "it was left untouched: give another --db path",
				       s->path);
	if (*version > schema_version_known())
		return store_set_error(s, -ENOTSUP,
				       "database %s has schema version %lld, newer than this "
				       "hamstride knows (%d): upgrade hamstride",
				       s->path, (long long)*version, schema_version_known());
	return 0;
}

static int64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* SQLite's progress callback: non-zero interrupts the check. */
static int past_deadline(void *deadline_ms)
{
	return monotonic_ms() > *(const int64_t *)deadline_ms;
}

/*
 * PRAGMA quick_check, for at most budget_ms (0: to the end). A reader
 * cannot wait for it on a big file, so it checks what it can in its time:
 * an interrupted check found nothing wrong in what it read. -EUCLEAN if
 * the file is damaged.
 */
static int quick_check(struct store *s, int64_t budget_ms)
{
	sqlite3_stmt *st;
	int64_t deadline_ms = monotonic_ms() + budget_ms;
	int rc = sqlite3_prepare_v2(s->db, "PRAGMA quick_check(1)", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_sqlite_failure(s, rc, "checking the database");
	if (budget_ms > 0)
		sqlite3_progress_handler(s->db, 1000, past_deadline, &deadline_ms);
	rc = sqlite3_step(st);
	sqlite3_progress_handler(s->db, 0, NULL, NULL);
	const unsigned char *result = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
	int err = 0;
	if ((rc & 0xff) == SQLITE_INTERRUPT)
		err = 0;
	else if (!result || strcmp((const char *)result, "ok") != 0)
		err = store_set_error(s, -EUCLEAN,
				      "database %s is damaged (%s); it was left untouched: keep a "
				      "copy, restore a backup or try 'sqlite3 FILE .recover'",
				      s->path,
				      result ? (const char *)result : sqlite3_errmsg(s->db));
	/* SQLite's report has a line per problem: one line in the log. */
	for (char *c = s->error; *c; c++)
		if (*c == '\n')
			*c = ' ';
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
	int err = quick_check(s, 0);
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

/*
 * Waits out another writer, trying every millisecond for up to
 * STORE_BUSY_TIMEOUT_MS. The daemon holds the write lock nearly all the
 * time (its batch opens at the first write after each commit) and frees
 * it for a few milliseconds after each second's commit; SQLite's own
 * handler, which sleeps up to 100 ms between tries, mostly missed that,
 * and a CLI replay, import or pain entry during a run failed as locked.
 */
static int busy_wait(void *user, int tries)
{
	(void)user;
	if (tries >= STORE_BUSY_TIMEOUT_MS)
		return 0;
	struct timespec ms = { .tv_sec = 0, .tv_nsec = 1000000 };
	nanosleep(&ms, NULL);
	return 1;
}

static int configure(struct store *s, enum store_mode mode)
{
	sqlite3_busy_handler(s->db, busy_wait, NULL);
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
		return store_set_error(s, -ENOTSUP,
				       "database %s has schema version %lld, older than this "
				       "hamstride's (%d): start hamstrided once to upgrade it",
				       s->path, (long long)version, schema_version_known());
	return quick_check(s, STORE_READER_CHECK_MS);
}

static void free_store(struct store *s)
{
	for (int i = 0; i < STMT_COUNT; i++)
		sqlite3_finalize(s->stmt[i]);
	store_free_shown(s);
	store_outside_free(s);
	hold_free(&s->hold);
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
/* Does a -wal file hold commits not yet in the database? (An empty one
 * is what an opening that failed leaves.) */
static bool has_wal(const char *path)
{
	char wal[4096 + 8];
	struct stat st;
	snprintf(wal, sizeof(wal), "%s-wal", path);
	return stat(wal, &st) == 0 && st.st_size > 0;
}

static bool reader_needs_immutable(const char *path)
{
	return check_folder_writable(path, NULL, 0) < 0 && !has_wal(path);
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

static int open_connection(struct store *s, bool immutable)
{
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	char *uri = NULL;
	if (s->read_only) {
		flags = SQLITE_OPEN_READONLY;
		if (immutable || reader_needs_immutable(s->path))
			uri = immutable_uri(s->path);
	}
	int rc = sqlite3_open_v2(uri ? uri : s->path, &s->db,
				 flags | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI, NULL);
	free(uri);
	if (rc == SQLITE_OK)
		return 0;
	return store_set_error(s, errno_from_sqlite(rc), "cannot open database %s: %s", s->path,
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
	tighten_files(path);
	struct store *s = xcalloc(1, sizeof(*s));
	s->path = xstrdup(path);
	s->read_only = mode == STORE_READ_ONLY;
	err = open_connection(s, false);
	if (!err)
		err = configure(s, mode);
	/* A full disk has no room for the -shm file a reader needs; with no
	 * -wal nothing is uncommitted, so it reads the file as it is. */
	if (err == -ENOSPC && s->read_only && !has_wal(path)) {
		sqlite3_close_v2(s->db);
		s->db = NULL;
		err = open_connection(s, true);
		if (!err)
			err = configure(s, mode);
	}
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
	if (store_flush(s) < 0) {
		if (s->hold.active)
			log_error("the disk of %s is still full: the %zu writes kept in memory "
				  "(%llu notifications) are lost",
				  s->path, s->hold.n, (unsigned long long)s->hold.notifications);
		else
			log_error("%s", store_error(s));
	}
	free_store(s);
}
