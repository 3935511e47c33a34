/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The SQLite store: the only code that talks SQL. Opening applies the
 * numbered migrations in schema/ in order (PRAGMA user_version), in WAL
 * mode so the daemon can write while the CLI reads. Writes are batched in a
 * transaction that store_flush() commits; what was flushed survives a crash.
 * Functions return 0 or a negative errno; store_error() then says why.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/notification.h"

struct store;

enum store_mode {
	STORE_READ_ONLY,
	STORE_READ_WRITE, /* creates the file and applies migrations */
};

int store_open(const char *path, enum store_mode mode, struct store **out, char *why,
	       size_t why_len);
void store_close(struct store *s); /* flushes */
const char *store_error(const struct store *s);
/* The negative errno of the last error (-ENOSPC: disk full, -EROFS,
 * -EUCLEAN: the file is damaged), -EIO if none was recorded. */
int store_errno(const struct store *s);
int store_flush(struct store *s);
/*
 * The daemon's way with a full disk: the batch being committed is lost (at
 * most the last second) and, from then on, the notifications, samples,
 * strides and run ends written are kept in memory, up to max_bytes, and
 * stored by the first store_flush() that finds room; beyond max_bytes the
 * newest are dropped and counted (never a run's or a gap's row, or a run's
 * end, which the rows kept refer to). A new run, sensor, gap or
 * notification is given the id it will have, and held with it; the other
 * writes (the terrain, a sensor added, a pain entry) fail with -ENOSPC
 * meanwhile. The log says when it starts and when it ends. Without this
 * call a full disk fails the writes.
 */
void store_hold_when_full(struct store *s, size_t max_bytes);
/* Writes are being kept in memory for want of space. */
bool store_holding(const struct store *s);
/* Drops every write since the last flush (an all-or-nothing import that
 * failed half-way); what was flushed stays. */
void store_discard(struct store *s);
/* A writer whose batch holds the write lock nearly all the time (the
 * daemon, committing each second) leaves it free for pause_ms after each
 * commit before it writes again, so that another writer waiting for the
 * lock (the CLI, which tries every millisecond) gets it. */
void store_set_commit_pause(struct store *s, int pause_ms);

/* The sensor with this address, created if new; *sensor_id set. Its first
 * and last seen times widen to seen_us, as with store_sensor_seen. */
int store_sensor(struct store *s, const char *addr, uint8_t addr_type, int64_t seen_us,
		 int64_t *sensor_id);
/* Data from the sensor arrived at seen_us: its first and last seen times
 * widen to it (a sensor added and never heard takes it as both). */
int store_sensor_seen(struct store *s, int64_t sensor_id, int64_t seen_us);
int store_sensor_set_convention(struct store *s, int64_t sensor_id, const char *convention);

/* The runner's sensors, which the daemon connects to (schema 003). */
struct store_sensor_info {
	int64_t id;
	char address[18];            /* "C4:7C:8D:6A:1B:2E" */
	uint8_t address_type;        /* 0 public, 1 random */
	char role[16];               /* "footpod", "imu-left", ...; "" if not added */
	char name[64];               /* "" if unknown */
	char cadence_convention[16]; /* "steps", "strides" or "" */
	int64_t first_seen_us;       /* when its data were first and last */
	int64_t last_seen_us;        /* received; 0 if added and never heard */
	int64_t added_us;            /* 0: only seen in data, never added */
};
/* Adds the sensor (or updates its role, name and address type); name may
 * be NULL or "" to keep the one known. The store accepts any role text:
 * callers check it. A new one reads as never heard until store_sensor()
 * says it was. */
int store_sensor_add(struct store *s, const char *addr, uint8_t addr_type, const char *role,
		     const char *name, int64_t now_us, int64_t *sensor_id);
/* The daemon stops connecting to it; its data stay. -ENOENT if it was
 * not added. */
int store_sensor_remove(struct store *s, const char *addr);
/* -ENOENT if the address is unknown. */
int store_get_sensor(struct store *s, const char *addr, struct store_sensor_info *out);
typedef int (*store_sensor_fn)(void *user, const struct store_sensor_info *sensor);
/* Ordered by role, then address; added_only skips sensors only seen. */
int store_foreach_sensor(struct store *s, bool added_only, store_sensor_fn fn, void *user);
/* Copies the runner's sensors (those added) from the database at
 * other_path, which may be damaged: what it can read of them. */
int store_copy_sensors(struct store *s, const char *other_path);

int store_run_begin(struct store *s, int64_t start_us, const char *source, int64_t *run_id);
int store_run_set_capture(struct store *s, int64_t run_id, const char *capture_path);

/* run_id 0: received outside a run. */
int store_notification(struct store *s, int64_t run_id, int64_t sensor_id,
		       const struct notification *n);

/* One second of a run; NAN where the value is not known. */
struct store_sample {
	int64_t t_us; /* start of the second, UTC µs */
	double speed_mps;
	double cadence_spm;     /* steps per minute */
	double stride_length_m; /* a full stride: two steps */
	double distance_m;      /* from the start of the run */
	double pressure_pa;
	double temperature_c;
	double elevation_m; /* relative to the start of the run */
	double heart_rate_bpm;
	/* read back only (schema 004, written by the terrain after the run) */
	double grade_pct;
	double gap_s_per_km;
};
int store_sample(struct store *s, int64_t run_id, const struct store_sample *sample);

/* *gap_id (if not NULL) is set to the new gap's id, for store_gap_widen. */
int store_gap(struct store *s, int64_t run_id, int64_t sensor_id, int64_t start_us, int64_t end_us,
	      int64_t *gap_id);
/* The gap now covers start_us to end_us (one silence found twice). */
int store_gap_widen(struct store *s, int64_t gap_id, int64_t start_us, int64_t end_us);

/* One stride of one foot from the shoe-IMU estimator; NAN where not known. */
struct store_stride {
	int64_t sensor_id; /* 0: none (an imported recording) */
	char foot[8];      /* "left", "right", "unknown" */
	int64_t start_us;  /* landing */
	int64_t end_us;    /* next landing of the same foot */
	double length_m;
	double duration_s;
	double speed_mps;
	double height_change_m; /* up is positive */
	double stance_s;
	double clearance_m;
	char flags[32]; /* "" or comma-separated: "gap", "restart", "clipped", "split" */
};
/* A stride already stored (same run, foot and start) is replaced. */
int store_stride(struct store *s, int64_t run_id, const struct store_stride *stride);

/* A finished run; NAN where nothing measured it. */
struct store_run {
	int64_t id;
	int64_t start_us;
	int64_t end_us;
	double duration_s;
	double distance_m;
	double elevation_gain_m;
	double elevation_loss_m;
	double speed_mps; /* distance / duration */
	double cadence_spm;
	double stride_length_m;
	double heart_rate_bpm;
	double heart_rate_max_bpm;
	int64_t notifications;
	int64_t gaps;
	double gap_s;
	char end_reason[32]; /* "idle", "sensors gone", "shutdown", "end of replay" */
	char source[64];     /* "replay FILE", "simulator", "ble" */
	char capture_path[256];
	double gap_s_per_km; /* read back only: grade-adjusted pace (schema 004) */
};
int store_run_end(struct store *s, const struct store_run *run);

/* Reading, for the CLI. Callbacks return 0 to go on, non-zero to stop
 * (which is then returned). from_us/to_us bound start times, inclusive
 * from, exclusive to; INT64_MIN/INT64_MAX for no bound. */
typedef int (*store_run_fn)(void *user, const struct store_run *run);
typedef int (*store_sample_fn)(void *user, int64_t run_id, const struct store_sample *sample);
int store_get_run(struct store *s, int64_t run_id, struct store_run *out); /* -ENOENT if none */
/* The run that started last; -ENOENT if there is none. */
int store_get_last_run(struct store *s, struct store_run *out);
int store_foreach_run(struct store *s, int64_t from_us, int64_t to_us, store_run_fn fn, void *user);
/* Notifications stored from the sensor at addr ("C4:7C:8D:6A:1B:2E")
 * between two times (inclusive), and the lowest and highest run holding
 * them (0: none), to recognise a capture already replayed. */
struct store_stored_span {
	uint64_t notifications;
	int64_t first_run, last_run;
};
int store_count_notifications(struct store *s, const char *addr, int64_t from_us, int64_t to_us,
			      struct store_stored_span *out);
/* For a replay run again, which stores no notification twice: the
 * notifications stored outside any run between two times (inclusive;
 * INT64_MIN, INT64_MAX for all; from_us > to_us for none) are read into
 * memory, and
 * store_outside_stored() says whether one with the same sensor, time,
 * handle and value as n is among them (each stands for one: it is then
 * matched). It reads them all on first use if they were not read. */
int store_outside_load(struct store *s, int64_t from_us, int64_t to_us);
int store_outside_stored(struct store *s, int64_t sensor_id, const struct notification *n,
			 bool *stored);
/* A run other than like->id with the same start, end, notification count
 * and distance (to 1 mm): 0 with *run_id set, -ENOENT if there is none. */
int store_find_same_run(struct store *s, const struct store_run *like, int64_t *run_id);
/* A run that ended (by any reason but a crash, which cut it short) and
 * started at start_us with a notification from the sensor at addr: how a
 * replay run again recognises a run it stored before. 0 with *run_id set;
 * -ENOENT if there is none, with *crashed_id the id of such a run closed
 * as crashed (0 if none either). */
int store_find_started_run(struct store *s, int64_t start_us, const char *addr, int64_t *run_id,
			   int64_t *crashed_id);
int store_foreach_sample(struct store *s, int64_t run_id /* 0: all runs */, int64_t from_us,
			 int64_t to_us, store_sample_fn fn, void *user);
/* A run's strides, both feet in one timeline ordered by end time. */
typedef int (*store_stride_fn)(void *user, int64_t run_id, const struct store_stride *stride);
/* What a session stored: store_tally_mark() before it, the highest run
 * and notification ids; store_tally_since() after, the rows stored since
 * (runs_ended: of those runs, the ones with an end). */
struct store_tally {
	int64_t runs;
	int64_t runs_ended;
	int64_t notifications;
};
int store_tally_mark(struct store *s, struct store_tally *mark);
int store_tally_since(struct store *s, const struct store_tally *mark, struct store_tally *out);

/* Ends every run a crash left open (end_us NULL) from what is stored of
 * it: the end is its last notification, the summary is recomputed from its
 * notifications, samples, strides and gaps, end_reason is reason. Each is
 * committed, then passed to fn (may be NULL). Only the daemon calls this,
 * holding the writer lock (store/writer_lock.h), before it starts a run of
 * its own: every run still open then was left by a writer that is gone. */
int store_close_open_runs(struct store *s, const char *reason, store_run_fn fn, void *user);
int store_foreach_stride(struct store *s, int64_t run_id, store_stride_fn fn, void *user);
/* Per foot (left, right): how many strides the run has and their mean
 * length (NAN for none), counted in SQL so a report over years of runs
 * does not read every stride. */
struct store_stride_feet {
	int64_t n[2];
	double mean_length_m[2];
};
int store_stride_feet(struct store *s, int64_t run_id, struct store_stride_feet *out);
