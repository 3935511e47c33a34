-- SPDX-License-Identifier: GPL-2.0-or-later
-- Terrain: each run cut into segments of one grade class, and the grade
-- and grade-adjusted pace per second and per run.

CREATE TABLE segments (
	run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	seq INTEGER NOT NULL,                  -- 0, 1, ... in time order
	start_us INTEGER NOT NULL,             -- UTC µs
	end_us INTEGER NOT NULL,
	class TEXT NOT NULL CHECK (class IN
		('steep-down', 'down', 'flat', 'up', 'steep-up', 'unknown')),
	length_m REAL,                         -- horizontal
	duration_s REAL,
	elevation_change_m REAL,               -- up is positive
	grade_pct REAL,                        -- elevation change over length
	speed_mps REAL,
	gap_s_per_km REAL,                     -- grade-adjusted pace
	cadence_spm REAL,                      -- steps per minute
	stride_m REAL,                         -- a full stride: two steps
	stride_ratio REAL,                     -- against the runner's usual stride
	heart_rate_bpm REAL,
	PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

-- grade over 50 m of path (analysis/nav/grade.h); grade-adjusted pace of
-- the second, from the grade averaged over 30 s (analysis/run/gap.h)
ALTER TABLE samples ADD COLUMN grade_pct REAL;
ALTER TABLE samples ADD COLUMN gap_s_per_km REAL;
ALTER TABLE runs ADD COLUMN gap_s_per_km REAL;
