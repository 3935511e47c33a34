/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pipeline behind every source: decode each notification, cut runs
 * (session.h), aggregate per-second samples and the run summary, run shoe
 * IMUs through one foot INS each (ins.h) and store their strides, and
 * store everything, raw notifications included. Optionally records each run to
 * its own capture. Bad sensor data is counted and logged, never fatal.
 * Memory is constant per run: nothing here grows with its length.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "run/segments.h"
#include "util/notification.h"
#include "session.h"
#include "store/store.h"

struct ingest_config {
	struct session_config session;
	/* A pod that never sets the running bit (some do not) counts as
	 * running from this speed on. */
	double start_speed_mps;
	/* Folder for one capture per run; NULL or "" for none. */
	const char *capture_dir;
	/* Recorded in each run: "replay FILE", "simulator", "ble". */
	const char *source;
	/* Grade classes of the run's segments ([segments] in the config). */
	struct seg_thresholds segments;
	/* Each run is committed once, at its end, with its segments: a writer
	 * killed mid-run leaves none of it (the CLI's replay). false: the run
	 * is committed as it starts and each second after (the daemon's, so a
	 * crash loses at most the last second). */
	bool whole_runs;
	/* A replay's: a run that ended in the store before, started at the
	 * same time by the same sensor (a capture replayed again, or one cut
	 * short by a kill and replayed again), is skipped, nothing of it is
	 * stored again; on_skipped (or, if NULL, the log) names it. So is a
	 * notification outside any run stored before (same sensor, time,
	 * handle and value: store_outside_stored). */
	bool skip_stored_runs;
	void (*on_skipped)(void *user, int64_t start_us, int64_t stored_as);
	void *skipped_user;
};

void ingest_config_default(struct ingest_config *c);

struct ingest_stats {
	uint64_t notifications;
	uint64_t malformed; /* failed to decode */
	uint64_t unknown;   /* characteristic hamstride does not decode */
	uint64_t runs;
	uint64_t runs_skipped;    /* skip_stored_runs: stored before */
	uint64_t outside_skipped; /* notifications outside runs, likewise */
	uint64_t gaps;
	uint64_t imu_samples; /* shoe-IMU samples through the stride estimator */
	uint64_t strides;     /* shoe-IMU strides stored */
	uint64_t store_errors;
};

struct ingest;

struct ingest *ingest_new(struct store *store, const struct ingest_config *config);
void ingest_free(struct ingest *in); /* does not finish the open run */
/* Applies a re-read configuration; the capture folder from the next run. */
void ingest_set_config(struct ingest *in, const struct ingest_config *config);

/* 0, or a negative errno if the store failed (the data are then lost but
 * nothing already stored is; the caller decides whether to go on). */
int ingest_notification(struct ingest *in, const struct notification *n);
/* A live sensor's link dropped: its outage is recorded as a gap of the
 * open run, however short (session_sensor_lost). */
void ingest_link_lost(struct ingest *in, const uint8_t addr[NOTIFICATION_ADDR_LEN]);
/* Time passes without data: ends timed-out runs. */
int ingest_tick(struct ingest *in, int64_t now_us);
/* Commits what the pipeline has stored so far, as the live loop does each
 * second (with whole_runs, nothing while a run is open); 0 or a negative
 * errno (logged and counted as a store error). */
int ingest_commit(struct ingest *in);
/* A run is open that is committed whole or not at all (whole_runs, or one
 * being skipped): whoever else commits the store must wait for its end. */
bool ingest_holds_run(const struct ingest *in);
/* Ends the open run, if any, with this reason. */
int ingest_finish(struct ingest *in, const char *reason);
/* The last run stored (0 if none yet). */
int64_t ingest_last_run(const struct ingest *in);
void ingest_stats(const struct ingest *in, struct ingest_stats *out);
