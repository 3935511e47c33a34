/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hamstrided's configuration: an INI file, every key optional.
 *
 *   [daemon]
 *   database = /var/lib/hamstride/hamstride.db
 *   capture_dir = /var/lib/hamstride/captures   ; empty: no captures
 *   log_level = info          ; error, warning, notice, info, debug
 *   adapter = hci0            ; the Bluetooth adapter for live sensors
 *   [session]
 *   idle_timeout_s = 120      ; a run ends this long after the last running report
 *   sensor_timeout_s = 60     ; ...or when every sensor has been silent this long
 *   gap_s = 5                 ; a sensor silent longer than this leaves a gap
 *   start_speed_mps = 1.8     ; running from this speed, for pods without the running bit
 *   [replay]
 *   realtime = false          ; replay at recorded speed instead of as fast as possible
 *   speed = 10                ; replay and simulate at 10 times recorded speed
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "build-config.h"
#include "ingest.h"
#include "log.h"

#define CONFIG_DEFAULT_PATH HAMSTRIDE_SYSCONFDIR "/hamstride/hamstrided.conf"

struct daemon_config {
	char database[4096]; /* empty: paths_default_database() */
	char capture_dir[200];
	enum log_level log_level;
	char adapter[16];            /* "hci0" */
	struct ingest_config ingest; /* capture_dir points into this struct */
	bool realtime;
	double speed; /* [replay] speed: 0 when not given */
};

/* The pacing factors a speed may take: slower than 1/100 is a stalled
 * run, faster than 1000 is no longer paced on a 1-ms timer. */
#define CONFIG_SPEED_MIN 0.01
#define CONFIG_SPEED_MAX 1000.0

/* A speed factor as the config and --speed write it: plain decimal
 * within the bounds above. */
bool config_parse_speed(const char *text, double *out);

void config_default(struct daemon_config *c);

/* Loads path over the values in c. 0; -ENOENT if the file does not exist;
 * -EINVAL with why = "FILE line N: ..." for the first bad line (c is then
 * left as it was). */
int config_load(const char *path, struct daemon_config *c, char *why, size_t why_len);
