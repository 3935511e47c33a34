-- SPDX-License-Identifier: GPL-2.0-or-later
-- Treadmills (FTMS) and foot pods calibrated by the shoes.

-- The treadmill's reported incline, per second (FTMS Inclination, percent);
-- NULL off a treadmill. A grade estimator takes it as the grade there.
ALTER TABLE samples ADD COLUMN incline_pct REAL;

-- NULL: over ground; 'treadmill': distance and speed came from the belt,
-- or (without treadmill data) the shoe IMUs found the runner on one.
ALTER TABLE runs ADD COLUMN surface TEXT CHECK (surface IS NULL OR surface IN ('treadmill'));
-- What hamstride doubts about the run's distance, in words, or NULL.
ALTER TABLE runs ADD COLUMN distance_note TEXT;
-- The foot pod's own distance before calibration, and the factor applied
-- (pod / true distance); NULL without a pod or without a factor.
ALTER TABLE runs ADD COLUMN pod_distance_raw_m REAL;
ALTER TABLE runs ADD COLUMN pod_scale REAL;

-- Each run that calibrated a foot pod against the shoe IMUs, and the pod's
-- current factor after it.
CREATE TABLE pod_calibrations (
	sensor_id INTEGER NOT NULL REFERENCES sensors (id),
	run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	t_us INTEGER NOT NULL,                 -- the run's end, UTC µs
	run_scale REAL NOT NULL,               -- pod / IMU distance on this run
	run_scale_sd REAL NOT NULL,            -- its standard uncertainty
	windows INTEGER NOT NULL,              -- distance windows it rests on
	pod_m REAL NOT NULL,
	imu_m REAL NOT NULL,
	scale REAL NOT NULL,                   -- the pod's factor from then on
	scale_sd REAL NOT NULL,
	PRIMARY KEY (sensor_id, run_id)
);
CREATE INDEX pod_calibrations_time ON pod_calibrations (sensor_id, t_us);
