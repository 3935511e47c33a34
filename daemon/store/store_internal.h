/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the store's files share: the connection, its cached statements and
 * the helpers every table family's file writes and reads with. Only
 * daemon/store/ includes this.
 */
#pragma once

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "run/segments.h"
#include "store/store.h"

enum store_stmt {
	STMT_NOTIFICATION,
	STMT_NOTIFICATION_ID,
	STMT_SAMPLE,
	STMT_SAMPLE_NEW,
	STMT_SENSOR,
	STMT_SENSOR_SEEN,
	STMT_SENSOR_CONVENTION,
	STMT_SENSOR_ADD,
	STMT_SENSOR_NEW_ID,
	STMT_SENSOR_REMOVE,
	STMT_RUN_BEGIN,
	STMT_RUN_BEGIN_ID,
	STMT_RUN_CAPTURE,
	STMT_RUN_END,
	STMT_GAP,
	STMT_GAP_ID,
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
/* What is read back also has the terrain's results (schema 004), which
 * daemon/terrain.c writes after the run. */
#define SAMPLE_READ_COLUMNS SAMPLE_COLUMNS ", grade_pct, gap_s_per_km"
#define RUN_READ_COLUMNS RUN_COLUMNS ", gap_s_per_km"

/* A sensor added (first and last seen set to the time it was added) and
 * not heard since: its first data set both. */
#define NEVER_HEARD "(first_seen_us = added_us AND last_seen_us = added_us)"

/* Notifications' UUIDs as text, made once per characteristic: a sensor
 * streams on one or two, and formatting a 128-bit UUID costs more than
 * inserting the row. */
#define UUID_TEXT_CACHE 8

struct uuid_text {
	struct gatt_uuid uuid;
	int len;
	char text[40];
};

/* The tables whose new rows' ids a writer needs back (a run's or a
 * sensor's, for their rows; a notification's, for the run's range; a
 * gap's, to widen it):
 * while the disk is full the store hands them out itself (store_held_id). */
enum store_id_table {
	STORE_ID_RUN,
	STORE_ID_NOTIFICATION,
	STORE_ID_GAP,
	STORE_ID_SENSOR,
	STORE_ID_TABLES,
};

/* Where the hold was at the last store_flush(), for store_discard(). */
struct store_hold_mark {
	size_t n, bytes;
	uint64_t notifications, dropped, dropped_notifications;
	int64_t next_id[STORE_ID_TABLES];
};

/* While the disk is full: the data writes, as SQL with their values, in
 * order, to run once there is room (store_hold_when_full). */
struct store_hold {
	size_t max_bytes; /* 0: a full disk fails the writes */
	bool active;
	char **sql;
	size_t n, cap, bytes;
	uint64_t notifications;                  /* held */
	uint64_t dropped, dropped_notifications; /* beyond max_bytes */
	uint64_t refused;                        /* writes that cannot be held */
	int64_t since_us;                        /* CLOCK_MONOTONIC, when it filled */
	bool last_held;                          /* the last write was held, not dropped */
	/* The ids handed out to held rows: from first_id (the next the table
	 * would have given when the first was asked for; 0 until then) to
	 * next_id, excluded. */
	int64_t first_id[STORE_ID_TABLES], next_id[STORE_ID_TABLES];
	struct store_hold_mark flushed;
};

struct store_outside; /* outside.c */

struct store_shown_segments {
	int64_t run_id;
	struct seg_segment *segs;
	size_t n;
};
struct store {
	sqlite3 *db;
	char *path;
	bool read_only;
	bool in_batch;           /* a transaction is open, waiting for store_flush() */
	int64_t commit_pause_us; /* store_set_commit_pause(); 0: none */
	int64_t committed_at_us; /* CLOCK_MONOTONIC of the last commit */
	sqlite3_stmt *stmt[STMT_COUNT];
	char error[512];
	int last_err; /* the negative errno of that error */
	/* The rowid range of the open run's notifications (see the schema). */
	int64_t range_run_id, range_first_id, range_last_id;
	struct uuid_text uuid_text[UUID_TEXT_CACHE];
	unsigned uuid_text_n, uuid_text_next;
	/* Segments computed for runs that have none stored, on a database
	 * that cannot be written (store_segments_show). */
	struct store_shown_segments *shown;
	size_t n_shown;
	struct store_hold hold;        /* a full disk: writes kept in memory */
	struct store_outside *outside; /* store_outside_load; NULL until then */
};

/* While the disk is full, the id the next row of table will have once
 * what is held is stored (*id 0 otherwise), handed out now; a row held
 * with it names it explicitly. */
int store_held_id(struct store *s, enum store_id_table table, int64_t *id);
/* Whether the write just made with an id from store_held_id was dropped,
 * beyond the hold's bound; the id is then given back. */
bool store_held_dropped(struct store *s, enum store_id_table table, int64_t id);

/* Frees what store_outside_load read. */
void store_outside_free(struct store *s);
/* Frees what store_segments_show kept. */
void store_free_shown(struct store *s);

/* The message store_error() returns; returns err. */
int store_set_error(struct store *s, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* SQLite's rc as a negative errno, with the message naming the file, what
 * failed and what the user can do. */
int store_sqlite_failure(struct store *s, int rc, const char *doing);
/* A write failed: as store_sqlite_failure, and unless it was only a
 * constraint, the batch is rolled back and the message says so. */
int store_write_failure(struct store *s, int rc, const char *doing);
/* Statement id, prepared once for the connection's life. */
sqlite3_stmt *store_cached(struct store *s, enum store_stmt id, int *rc);
/* Prepares (once) statement id and opens the batch: the start of every
 * write. NULL and *err set on failure. */
sqlite3_stmt *store_write_stmt(struct store *s, enum store_stmt id, int *err);
/* Opens the batch transaction if none is open: for writes whose statement
 * is prepared by store_prepare_fresh. */
int store_begin_write(struct store *s);
/* Opens the batch and prepares sql for one use (*st NULL on failure), for
 * the writes of a table family that are too rare to keep prepared. */
int store_prepare_write(struct store *s, const char *sql, sqlite3_stmt **st, const char *doing);
/* Runs a write statement whose parameters are bound; resets it. */
int store_step_write(struct store *s, sqlite3_stmt *st, const char *doing);
/* A plain INSERT of a row that is nearly always new; *taken says a key
 * constraint refused it (see store.c). */
int store_insert_new(struct store *s, sqlite3_stmt *st, const char *doing, bool *taken);
/* A statement prepared for one use, so a callback may itself query. */
int store_prepare_fresh(struct store *s, const char *sql, sqlite3_stmt **st);

/* NULL for NAN, or for "" */
void store_bind_real(sqlite3_stmt *st, int i, double v);
void store_bind_text(sqlite3_stmt *st, int i, const char *text);
/* NAN for NULL, or "" */
double store_column_real(sqlite3_stmt *st, int i);
void store_column_text(sqlite3_stmt *st, int i, char *buf, size_t size);
