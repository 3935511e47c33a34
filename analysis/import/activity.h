/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An activity from a watch's file, whatever the format: what it recorded
 * each time, what it was, which devices fed it. The FIT reader
 * (fit_activity.c: file_id, sport, session, record, event, device_info,
 * with the FIT profile's field numbers and scales) and the TCX and GPX
 * reader (activity_xml.c) fill the same struct, with FIT's sport numbers,
 * so the importer has one path. Pure: they read bytes they are fed.
 *
 * Records either collect in a->records (fit_activity_read() and
 * activity_xml_read() on a whole buffer) or stream to a callback as they
 * are read (activity_reader_new() with a record function), so a file of
 * any length is imported in fixed memory.
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
	double incline_pct; /* a treadmill's incline (FIT record.grade) */
};

/* Returns 0 to go on; non-zero stops the reading and is returned. */
typedef int (*activity_record_fn)(void *user, const struct activity_record *r);

/* Where the altitude came from, so the terrain estimator weighs it. */
enum activity_altitude {
	ACTIVITY_ALTITUDE_NONE,
	ACTIVITY_ALTITUDE_BAROMETER,
	ACTIVITY_ALTITUDE_GPS,
};

/* Second differences of the altitude in 1 s steps, binned by ALT_BIN_M:
 * a barometer's stay within a step of its resolution (FIT's 0.2 m, some
 * watches' whole metre) even on a climb, GPS elevation's jitter by metres
 * (activity_altitude_source()). */
#define ACTIVITY_ALT_BINS 32
#define ACTIVITY_ALT_BIN_M 0.05

struct activity {
	int file_type;        /* file_id.type, -1 if the file had none */
	int sport, sub_sport; /* of the first session (or sport message); -1 unknown */
	char device[64];      /* "Garmin 1036", or "" */
	uint32_t serial;      /* the creator's serial number, 0 unknown */
	int64_t created_us;   /* file_id.time_created, 0 unknown */
	bool footpod;         /* a stride-speed-distance sensor was connected */
	bool heart_rate_strap;
	bool barometer;            /* device_info lists the watch's own barometer */
	bool local_sensors;        /* device_info lists the watch's own sensors at all */
	int64_t first_us, last_us; /* of the records, 0 without any */
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
	/* The altitude's noise, counted as records come (see above). */
	unsigned alt_bins[ACTIVITY_ALT_BINS];
	size_t alt_n;
	double alt_step_m; /* the smallest change between records: the resolution */
	double alt_prev[2];
	int64_t alt_prev_us[2];
	/* Where records go: NULL keeps them in records[]. */
	activity_record_fn on_record;
	void *on_record_user;
	int on_record_rc;
};

/* An empty activity: nothing known, NAN totals. */
void activity_init(struct activity *a);
void activity_free(struct activity *a);
/* A record with every value NAN. */
struct activity_record activity_record_empty(int64_t t_us);
/* A record read: counted, its altitude's noise noted, then kept or
 * passed on; returns the record function's value (0 to go on). */
int activity_emit(struct activity *a, const struct activity_record *r);
/* What the altitude was: the file's word (a FIT device_info naming the
 * watch's barometer, or listing its sensors without one), else its noise:
 * second differences of more than two steps of its resolution in a tenth
 * of the seconds is GPS elevation. */
enum activity_altitude activity_altitude_source(const struct activity *a);
const char *activity_altitude_name(enum activity_altitude source);
/* In an imported run's source ("import a.fit, GPS altitude (Garmin 4024)"):
 * the altitude stored is GPS elevation, to be graded as such. */
#define ACTIVITY_GPS_ALTITUDE_MARK ", GPS altitude ("

/* Reads a FIT file; returns 0 (check a->status for a bad CRC or a
 * cut-short file) or -EBADMSG with a->status.why saying why.
 * activity_free() either way. */
int fit_activity_read(const uint8_t *buf, size_t len, struct activity *a);
/* Whether buf looks like TCX or GPX (XML with their root element). */
bool activity_xml_looks_like(const uint8_t *buf, size_t len);
/* Reads a TCX or GPX file, the same way; a GPX that does not say what
 * activity it was is classed by its speed (activity_xml.c). */
int activity_xml_read(const uint8_t *buf, size_t len, struct activity *a);
/*
 * The TCX and GPX reader as a stream (libxml2's push parser), for the
 * activity reader and a fuzz target: into an activity already set up,
 * fed in blocks; the same returns as the activity reader's.
 */
struct activity_xml;
struct activity_xml *activity_xml_new(struct activity *a);
int activity_xml_feed(struct activity_xml *x, const uint8_t *buf, size_t len);
bool activity_xml_stopped(const struct activity_xml *x);
int activity_xml_finish(struct activity_xml *x);
void activity_xml_free(struct activity_xml *x);
/* The FIT reader's message function, for a decoder the caller feeds
 * (user is the activity). */
int fit_activity_message(void *user, const struct fit_message *m);

/*
 * A file read as a stream: fed in blocks, records passed to fn as they
 * are read (NULL: kept in a->records), the activity's other facts filled
 * as they come. _finish returns what fit_activity_read() does.
 */
enum activity_format { ACTIVITY_FIT, ACTIVITY_XML };
/* Which format a file's first bytes (at least 12, up to 4 kB) are. */
bool activity_format_of(const uint8_t *buf, size_t len, enum activity_format *format);
struct activity_reader;
struct activity_reader *activity_reader_new(enum activity_format format, struct activity *a,
					    activity_record_fn fn, void *user);
/* 0 to go on, or what stopped the reading (-EBADMSG, fn's value). */
int activity_reader_feed(struct activity_reader *r, const uint8_t *buf, size_t len);
/* Whether more input would be ignored. */
bool activity_reader_stopped(const struct activity_reader *r);
int activity_reader_finish(struct activity_reader *r);
void activity_reader_free(struct activity_reader *r);

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
