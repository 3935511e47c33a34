-- SPDX-License-Identifier: GPL-2.0-or-later
-- The pain log. Nothing is overwritten: an edit is a new version of the
-- entry and a removal a version marked removed, so a physiotherapist reading
-- the history sees what was reported when.

CREATE TABLE pain_versions (
	id INTEGER PRIMARY KEY,
	entry_id INTEGER NOT NULL,             -- the entry across its versions
	version INTEGER NOT NULL CHECK (version >= 1),
	recorded_us INTEGER NOT NULL,          -- when this version was written
	removed INTEGER NOT NULL DEFAULT 0 CHECK (removed IN (0, 1)),
	run_id INTEGER REFERENCES runs (id),   -- NULL: a day without a run
	day TEXT NOT NULL,                     -- YYYY-MM-DD (UTC)
	side TEXT NOT NULL CHECK (side IN ('left', 'right', 'both')),
	during INTEGER CHECK (during BETWEEN 0 AND 10),
	after INTEGER CHECK (after BETWEEN 0 AND 10),
	next_morning INTEGER CHECK (next_morning BETWEEN 0 AND 10),
	location TEXT,
	note TEXT,
	UNIQUE (entry_id, version)
);
CREATE INDEX pain_versions_run ON pain_versions (run_id);

-- When it hurt during the run: elapsed seconds from the run's start.
CREATE TABLE pain_spans (
	version_id INTEGER NOT NULL REFERENCES pain_versions (id),
	from_s REAL NOT NULL CHECK (from_s >= 0),
	to_s REAL NOT NULL,
	CHECK (to_s > from_s)
);
CREATE INDEX pain_spans_version ON pain_spans (version_id);

CREATE TABLE pain_red_flags (
	version_id INTEGER NOT NULL REFERENCES pain_versions (id),
	flag TEXT NOT NULL CHECK (flag IN ('night-pain', 'numbness', 'weakness',
		'saddle-numbness', 'bowel-bladder', 'fever', 'sudden-onset'))
);

-- Daily context; the latest row for a day is the one that counts.
CREATE TABLE day_context (
	id INTEGER PRIMARY KEY,
	day TEXT NOT NULL,
	recorded_us INTEGER NOT NULL,
	sitting_hours REAL CHECK (sitting_hours BETWEEN 0 AND 24),
	back_stiffness INTEGER CHECK (back_stiffness BETWEEN 0 AND 10)
);
CREATE INDEX day_context_day ON day_context (day);
