/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Training-load warning: a run longer than 110% of the longest run of the
 * previous 30 days. A sudden jump in long-run distance is associated with
 * overuse injuries (high hamstring tendinopathy among them); this flags the
 * exposure, it diagnoses nothing. Pure: no I/O, no clock.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The window looks back from a run's start: runs that started in
 * [start - 30 days, start) count, so one exactly 30 days earlier does. */
#define LOAD_WINDOW_US (30LL * 24 * 3600 * 1000000)
/* Flagged when longer than this percentage of the reference: exactly 110%
 * is not flagged. */
#define LOAD_THRESHOLD_PCT 110

struct load_run {
	int64_t start_us;
	double distance_m; /* NAN or <= 0: unknown; never flagged, never a reference */
};

struct load_result {
	bool has_reference; /* some run of known distance in the previous 30 days */
	bool flagged;
	double reference_m; /* longest run in the window; NAN without one */
	double ratio;       /* distance / reference; NAN without one */
};

/* runs[] in order of start time (as the store returns them); out[i] for
 * runs[i]. Runs that start at the same microsecond do not see each other. */
void load_assess(const struct load_run *runs, size_t n, struct load_result *out);
