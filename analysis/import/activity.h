/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An activity from a watch's file, whatever the format: what it recorded
 * each time, what it was, which devices fed it. The FIT reader
 * (fit_activity.c: file_id, sport, session, record, event, device_info,
 * with the FIT profile's field numbers and scales) and the TCX and GPX
 * reader (activity_xml.c) fill the same struct, with FIT's sport numbers,
 * so the importer has one path. Pure: they read a buffer.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "import/fit.h"

/* file_id.type */
#define FIT_FILE_ACTIVITY 4

/* One record; NAN where the watch did not say. */
struct activity_record {
	int64_t t_us; /* UTC µs */
	double distance_m;
	double speed_mps;  /* enhanced_speed where present */
	double altitude_m; /* enhanced_altitude where present */
	double heart_rate_bpm;
	/* FIT's running cadence counts one foot's strides a minute (with
	 * fractional_cadence in 1/128ths): steps a minute are twice that. */
	double cadence_spm;
	double power_w;
	double step_length_m;
	double vertical_oscillation_mm;
	double stance_time_ms;
	double latitude_deg, longitude_deg;
	double temperature_c;
};

struct activity {
	int file_type;        /* file_id.type, -1 if the file had none */
	int sport, sub_sport; /* of the first session (or sport message); -1 unknown */
	char device[64];      /* "Garmin 1036", or "" */
	uint32_t serial;      /* the creator's serial number, 0 unknown */
	int64_t created_us;   /* file_id.time_created, 0 unknown */
	bool footpod;         /* a stride-speed-distance sensor was connected */
	bool heart_rate_strap;
	/* The session's own totals; NAN where absent. */
	double total_distance_m, total_elapsed_s, total_timer_s;
	double total_ascent_m, total_descent_m, avg_heart_rate_bpm, max_heart_rate_bpm;
	struct activity_record *records;
	size_t n_records;
	/* Developer fields seen, by name ("core_temperature (°C)"). */
	char developer_fields[8][48];
	size_t n_developer_fields;
	unsigned sessions, pauses; /* timer stop events */
	size_t cap_records;
	struct fit_status status; /* for TCX and GPX: why[] and truncated */
	char format[8];           /* "FIT", "TCX", "GPX" */
};

/* An empty activity: nothing known, NAN totals. */
void activity_init(struct activity *a);
void activity_free(struct activity *a);
/* Appends a record at t_us with every value NAN; returns it. */
struct activity_record *activity_add_record(struct activity *a, int64_t t_us);

/* Reads a FIT file; returns 0 (check a->status for a bad CRC or a
 * cut-short file) or -EBADMSG with a->status.why saying why.
 * activity_free() either way. */
int fit_activity_read(const uint8_t *buf, size_t len, struct activity *a);
/* Whether buf looks like TCX or GPX (XML with their root element). */
bool activity_xml_looks_like(const uint8_t *buf, size_t len);
/* Reads a TCX or GPX file, the same way; a GPX that does not say what
 * activity it was is classed by its speed (activity_xml.c). */
int activity_xml_read(const uint8_t *buf, size_t len, struct activity *a);

/* "running", "walking", ... or "sport N". */
const char *activity_sport_name(int sport, char *buf, size_t size);
/* What a non-activity file is ("a settings file"), for the refusal. */
const char *fit_file_type_name(int file_type, char *buf, size_t size);
/* FIT's sport enum: the running sports hamstride imports by default. */
#define FIT_SPORT_RUNNING 1
#define FIT_SPORT_WALKING 11
#define FIT_SPORT_HIKING 17
#define FIT_SUB_SPORT_TREADMILL 1
#define FIT_SUB_SPORT_TRAIL 3
#define FIT_SUB_SPORT_TRACK 4
