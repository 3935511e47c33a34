/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Run sessions: when a run starts and ends, and where a sensor fell silent
 * during one. Pure logic on explicit times, so live data, replays and the
 * simulator all cut runs the same way.
 *
 * A run starts with the first notification that reports running. It ends
 * when nothing has reported running for idle_timeout, or when every sensor
 * has been silent for sensor_timeout; its end is the last running report.
 * A sensor silent for longer than gap inside a run leaves a recorded gap.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SESSION_MAX_SENSORS 32

struct session_config {
	int64_t idle_timeout_us;
	int64_t sensor_timeout_us;
	int64_t gap_us;
};

void session_config_default(struct session_config *c);

enum session_event_type {
	SESSION_RUN_STARTED,
	SESSION_RUN_ENDED,
	SESSION_GAP,
};

struct session_event {
	enum session_event_type type;
	int sensor;         /* SESSION_GAP: which sensor */
	int64_t start_us;   /* run start, or gap start */
	int64_t end_us;     /* run end (last running report), or gap end */
	const char *reason; /* SESSION_RUN_ENDED: "idle", "sensors gone", ... */
};

struct session_sensor {
	bool seen;
	bool lost; /* its link dropped: the next gap is recorded however short */
	int64_t last_seen_us;
};

struct session {
	struct session_config config;
	bool in_run;
	int64_t run_start_us;
	int64_t last_active_us;
	struct session_sensor sensors[SESSION_MAX_SENSORS];
};

/* Up to this many events come out of one call. */
#define SESSION_MAX_EVENTS (SESSION_MAX_SENSORS + 2)

void session_init(struct session *s, const struct session_config *config);
void session_set_config(struct session *s, const struct session_config *config);

/* A notification from sensor (0..SESSION_MAX_SENSORS-1) at t_us; active if
 * it reports running. Time passing first ends a run that has timed out.
 * Returns the number of events written to ev. */
size_t session_observe(struct session *s, int sensor, int64_t t_us, bool active,
		       struct session_event ev[SESSION_MAX_EVENTS]);

/* The sensor's link dropped (live Bluetooth): the outage is a gap even if
 * it is shorter than gap_us, from its last notification before the loss to
 * its first after, or to the end of the run if it never comes back. */
void session_sensor_lost(struct session *s, int sensor);

/* Time passes without data: ends a run that has timed out. */
size_t session_tick(struct session *s, int64_t now_us, struct session_event ev[SESSION_MAX_EVENTS]);

/* Ends an open run now (shutdown, end of a replay). */
size_t session_finish(struct session *s, const char *reason,
		      struct session_event ev[SESSION_MAX_EVENTS]);
