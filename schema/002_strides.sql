-- SPDX-License-Identifier: GPL-2.0-or-later
-- Per-stride results of the shoe-IMU estimator (analysis/ins.h): one row
-- per stride of either foot, from a live IMU, a replayed capture or an
-- imported recording. A stride runs from one landing of a foot to its next.

CREATE TABLE strides (
	run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	sensor_id INTEGER REFERENCES sensors (id), -- NULL for an imported file
	foot TEXT NOT NULL,                    -- "left", "right" or "unknown"
	start_us INTEGER NOT NULL,             -- landing (stance start), UTC µs
	end_us INTEGER NOT NULL,               -- next landing of the same foot
	length_m REAL,                         -- horizontal distance between landings
	duration_s REAL,
	speed_mps REAL,
	height_change_m REAL,                  -- up is positive
	stance_s REAL,
	clearance_m REAL,                      -- highest swing point above the start
	-- Why the stride should not be trusted, comma-separated; NULL when it
	-- can: "gap" (samples lost inside), "restart" (navigation restarted),
	-- "clipped" (the sensor saturated during the stride).
	flags TEXT,
	PRIMARY KEY (run_id, foot, start_us)
) WITHOUT ROWID;
CREATE INDEX strides_time ON strides (run_id, end_us);
