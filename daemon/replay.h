/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Replaying a capture through the pipeline, for hamstrided --replay and
 * --simulate and for hamstride replay: one source, fed in batches so an
 * event loop stays responsive, with the next notification held back so a
 * loop can pace it at recorded speed.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ingest.h"
#include "util/notification.h"
#include "sim/sim.h"

struct replay;

/* A --map HANDLE=UUID option: "0x000e=2A53". false if it is not one. */
bool replay_parse_map(const char *text, uint16_t *handle, struct gatt_uuid *uuid);

int replay_open(const char *path, struct replay **out, char *why, size_t why_len);
void replay_map(struct replay *r, uint16_t handle, const struct gatt_uuid *uuid);
void replay_free(struct replay *r);

/* Host time of the next notification; false at the end or after an error. */
bool replay_peek_time(struct replay *r, int64_t *t_us);

/*
 * Feeds up to max notifications to the pipeline. Returns how many, 0 at the
 * end of the capture, or a negative errno: -EBADMSG for a damaged capture
 * (replay_error() says where; what came before it is stored), or the
 * store's error.
 */
int replay_feed(struct replay *r, struct ingest *in, size_t max);
/* Feeds the whole capture; 0 at its end, or replay_feed()'s error. */
int replay_feed_all(struct replay *r, struct ingest *in);
const char *replay_error(const struct replay *r);
/* How a replayed run names its source: "replay FILE" (the base name). */
const char *replay_source_name(const char *path, char *buf, size_t size);
/* Whether reading the capture failed (rather than storing what it held). */
bool replay_damaged(const struct replay *r);
/* Damage the reader survived (records skipped for their time, bytes skipped
 * to the next readable record; each place is logged as a warning when
 * found): true with a sentence in buf, false if there was none. */
bool replay_damage_summary(const struct replay *r, char *buf, size_t size);

/* What a capture holds, read ahead of a replay to recognise one already
 * stored: its notifications, their first and last times and the sensors
 * (complete is false when there were more than REPLAY_SURVEY_SENSORS, or
 * the capture could not be read to its end). */
#define REPLAY_SURVEY_SENSORS 16
struct replay_survey {
	uint64_t notifications;
	int64_t first_us, last_us;
	unsigned n_sensors;
	uint8_t addr[REPLAY_SURVEY_SENSORS][NOTIFICATION_ADDR_LEN];
	bool complete;
};
int replay_survey_file(const char *path, struct replay_survey *out, char *why, size_t why_len);

/*
 * Whether a capture was replayed before, for hamstride replay and
 * hamstrided --replay alike. True, with a sentence in msg, when every one
 * of its notifications is stored, from the same sensors over the same
 * times (a copy under another name too): nothing is to be replayed. False
 * otherwise, and for what is not a regular file (a pipe cannot be read
 * twice); then each run is still checked as it starts (skip_stored_runs in
 * ingest.h), so the runs a replay cut short had stored are skipped and the
 * rest stored; so are the notifications outside runs stored over the
 * capture's times, read here (store_outside_load).
 */
bool replay_stored_before(struct store *store, const char *path, char *msg, size_t size);

/*
 * Simulates into a capture with no name, in $TMPDIR (else /tmp), opened
 * for the replay: the file is gone with its last descriptor, so a process
 * killed while it simulates or replays leaves nothing behind.
 */
int replay_simulate(const struct sim_options *options, struct replay **out, char *why,
		    size_t why_len);
/* Simulates into a capture file (the simulator's seam to the outside). */
int replay_simulate_to_file(const struct sim_options *options, const char *path, sim_truth_fn truth,
			    void *user, char *why, size_t why_len);
