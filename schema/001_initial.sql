-- SPDX-License-Identifier: GPL-2.0-or-later
-- The first schema: sensors, runs, per-second samples, every raw
-- notification and the gaps when a sensor dropped out.
-- Times are UTC microseconds since the epoch; units are in the column names.
-- NULL means "not measured" (the C structs say NAN).

-- "HMST": marks the file as hamstride's (store.c checks it).
PRAGMA application_id = 1213027156;

CREATE TABLE sensors (
	id INTEGER PRIMARY KEY,
	address TEXT NOT NULL UNIQUE,          -- "C4:7C:8D:6A:1B:2E"
	address_type INTEGER NOT NULL,         -- 0 public, 1 random
	role TEXT,                             -- "foot pod", "heart rate", ...
	name TEXT,
	cadence_convention TEXT,               -- "steps" or "strides" per minute
	first_seen_us INTEGER NOT NULL,
	last_seen_us INTEGER NOT NULL
);

CREATE TABLE runs (
	id INTEGER PRIMARY KEY,
	start_us INTEGER NOT NULL,
	end_us INTEGER,                        -- NULL while the run goes on
	duration_s REAL,
	distance_m REAL,
	elevation_gain_m REAL,
	elevation_loss_m REAL,
	speed_mps REAL,
	cadence_spm REAL,
	stride_length_m REAL,
	heart_rate_bpm REAL,
	heart_rate_max_bpm REAL,
	notifications INTEGER NOT NULL DEFAULT 0,
	gaps INTEGER NOT NULL DEFAULT 0,
	gap_s REAL NOT NULL DEFAULT 0,
	end_reason TEXT,
	source TEXT NOT NULL,
	capture_path TEXT,
	first_notification_id INTEGER,         -- notifications.id range of the run
	last_notification_id INTEGER
);
CREATE INDEX runs_start ON runs (start_us);

-- One row per second of a run. WITHOUT ROWID: the key is the natural order
-- of every query (a run's seconds in time order), so no second B-tree.
CREATE TABLE samples (
	run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	t_us INTEGER NOT NULL,
	speed_mps REAL,
	cadence_spm REAL,
	stride_length_m REAL,
	distance_m REAL,
	pressure_pa REAL,
	temperature_c REAL,
	elevation_m REAL,
	heart_rate_bpm REAL,
	PRIMARY KEY (run_id, t_us)
) WITHOUT ROWID;
-- Exports across all runs ask for a time range.
CREATE INDEX samples_time ON samples (t_us);

-- Every notification as received, so any run can be decoded again. This
-- is the hot path (hundreds of thousands of rows a second on a replay), so
-- it carries no index and no foreign-key checks: the rowid keeps arrival
-- order, a run's notifications are one contiguous rowid range recorded in
-- runs.first/last_notification_id, and the one writer only uses ids it
-- has just created.
CREATE TABLE notifications (
	id INTEGER PRIMARY KEY,
	run_id INTEGER,                        -- runs.id; NULL outside runs
	sensor_id INTEGER NOT NULL,            -- sensors.id
	t_us INTEGER NOT NULL,
	handle INTEGER NOT NULL,
	uuid TEXT,                             -- "2A53" or 128-bit form; NULL if unknown
	value BLOB NOT NULL
);

CREATE TABLE gaps (
	id INTEGER PRIMARY KEY,
	run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	sensor_id INTEGER NOT NULL REFERENCES sensors (id),
	start_us INTEGER NOT NULL,
	end_us INTEGER NOT NULL
);
CREATE INDEX gaps_run ON gaps (run_id, start_us);
