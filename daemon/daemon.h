/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hamstrided's state, shared by main.c (options, set-up) and loop.c. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "ble/ble_source.h"
#include "config.h"
#include "ingest.h"
#include "replay.h"
#include "store/store.h"

struct daemon {
	struct daemon_config config;
	const char *config_path; /* NULL: none */
	struct store *store;
	struct ingest *ingest;
	struct replay *replay;  /* the source: a capture or the simulator's */
	struct ble_source *ble; /* or live sensors (replay NULL), set up by loop_run */
	int adapter_id;         /* live: hciN */
	double speed; /* a replay's or simulation's pace: N times recorded speed, 0 as fast
		       * as possible */
	int exit_code;
	struct store_tally stored_before; /* to count what this run of it stored */
	int writer_lock;                  /* store/writer_lock.h: held while hamstrided runs */
};

/* Reloads the config file (SIGHUP): log level, session and capture
 * settings apply at once; a bad file keeps the running configuration. */
void daemon_reload(struct daemon *d);

/* Live: (re)reads the runner's sensors from the store into d->ble. */
void daemon_load_sensors(struct daemon *d);

/* Runs the epoll loop until the source ends or a signal stops it; returns
 * the process exit code. */
int loop_run(struct daemon *d);
