// SPDX-License-Identifier: GPL-2.0-or-later
#include "import/activity.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

/* Profile field numbers and scales (value = raw / scale - offset). */
enum {
	FILE_ID_TYPE = 0,
	FILE_ID_MANUFACTURER = 1,
	FILE_ID_PRODUCT = 2,
	FILE_ID_SERIAL = 3,
	FILE_ID_TIME_CREATED = 4,
	REC_LAT = 0,
	REC_LONG = 1,
	REC_ALTITUDE = 2,
	REC_HEART_RATE = 3,
	REC_CADENCE = 4,
	REC_DISTANCE = 5,
	REC_SPEED = 6,
	REC_POWER = 7,
	REC_GRADE = 9,
	REC_TEMPERATURE = 13,
	REC_VERTICAL_OSCILLATION = 39,
	REC_STANCE_TIME = 41,
	REC_FRACTIONAL_CADENCE = 53,
	REC_ENHANCED_SPEED = 73,
	REC_ENHANCED_ALTITUDE = 78,
	REC_STEP_LENGTH = 85,
	SESSION_SPORT = 5,
	SESSION_SUB_SPORT = 6,
	SESSION_ELAPSED = 7,
	SESSION_TIMER = 8,
	SESSION_DISTANCE = 9,
	SESSION_AVG_HR = 16,
	SESSION_MAX_HR = 17,
	SESSION_ASCENT = 22,
	SESSION_DESCENT = 23,
	SPORT_SPORT = 0,
	SPORT_SUB_SPORT = 1,
	EVENT_EVENT = 0,
	EVENT_TYPE = 1,
	DEVICE_TYPE = 1,
	DEVICE_SOURCE_TYPE = 25,
	SOURCE_TYPE_LOCAL = 5,
	LOCAL_DEVICE_BAROMETER = 4,
	DEVICE_ANTPLUS_TYPE_HEART_RATE = 120,
	DEVICE_ANTPLUS_TYPE_STRIDE = 124,
	EVENT_TIMER = 0,
	EVENT_TYPE_STOP = 1,
	EVENT_TYPE_STOP_ALL = 4,
};

#define SEMICIRCLE_DEG (180.0 / 2147483648.0)

static int64_t fit_time_us(uint32_t fit_s)
{
	return ((int64_t)fit_s + FIT_EPOCH_UNIX_S) * 1000000;
}

static double field_or_nan(const struct fit_message *m, uint8_t number, double scale, double offset)
{
	double v;
	return fit_field_scaled(m, number, scale, offset, &v) ? v : NAN;
}

static const char *manufacturer_name(int id)
{
	switch (id) {
	case 1:
		return "Garmin";
	case 23:
		return "Suunto";
	case 32:
		return "Wahoo";
	case 95:
		return "Stryd";
	case 123:
		return "Polar";
	case 294:
		return "COROS";
	default:
		return NULL;
	}
}

static void read_file_id(struct activity *a, const struct fit_message *m)
{
	uint32_t v, maker, product;
	if (fit_field_uint(fit_field_find(m, FILE_ID_TYPE), INT_MAX, &v))
		a->file_type = (int)v;
	bool has_maker =
		fit_field_uint(fit_field_find(m, FILE_ID_MANUFACTURER), UINT16_MAX, &maker);
	bool has_product = fit_field_uint(fit_field_find(m, FILE_ID_PRODUCT), UINT16_MAX, &product);
	if (fit_field_uint(fit_field_find(m, FILE_ID_SERIAL), UINT32_MAX, &v))
		a->serial = v;
	if (fit_field_uint(fit_field_find(m, FILE_ID_TIME_CREATED), UINT32_MAX, &v))
		a->created_us = fit_time_us(v);
	if (has_maker) {
		const char *name = manufacturer_name((int)maker);
		if (name)
			snprintf(a->device, sizeof(a->device), "%s", name);
		else
			snprintf(a->device, sizeof(a->device), "manufacturer %u", (unsigned)maker);
		if (has_product) {
			size_t len = strlen(a->device);
			snprintf(a->device + len, sizeof(a->device) - len, " %u",
				 (unsigned)product);
		}
	}
}

static void read_sport(struct activity *a, const struct fit_message *m, uint8_t sport_field,
		       uint8_t sub_field)
{
	uint32_t v;
	if (a->sport < 0 && fit_field_uint(fit_field_find(m, sport_field), INT_MAX, &v))
		a->sport = (int)v;
	if (a->sub_sport < 0 && fit_field_uint(fit_field_find(m, sub_field), INT_MAX, &v))
		a->sub_sport = (int)v;
}

static void read_session(struct activity *a, const struct fit_message *m)
{
	a->sessions++;
	read_sport(a, m, SESSION_SPORT, SESSION_SUB_SPORT);
	if (a->sessions > 1)
		return; /* the first session's totals: a multisport file's run is its first */
	a->total_elapsed_s = field_or_nan(m, SESSION_ELAPSED, 1000, 0);
	a->total_timer_s = field_or_nan(m, SESSION_TIMER, 1000, 0);
	a->total_distance_m = field_or_nan(m, SESSION_DISTANCE, 100, 0);
	a->avg_heart_rate_bpm = field_or_nan(m, SESSION_AVG_HR, 1, 0);
	a->max_heart_rate_bpm = field_or_nan(m, SESSION_MAX_HR, 1, 0);
	a->total_ascent_m = field_or_nan(m, SESSION_ASCENT, 1, 0);
	a->total_descent_m = field_or_nan(m, SESSION_DESCENT, 1, 0);
}

static double preferred(const struct fit_message *m, uint8_t enhanced, uint8_t plain, double scale,
			double offset)
{
	double v = field_or_nan(m, enhanced, scale, offset);
	return isnan(v) ? field_or_nan(m, plain, scale, offset) : v;
}

static int read_record(struct activity *a, const struct fit_message *m)
{
	if (!m->has_timestamp)
		return 0;
	double cadence = field_or_nan(m, REC_CADENCE, 1, 0);
	double fraction = field_or_nan(m, REC_FRACTIONAL_CADENCE, 128, 0);
	struct activity_record r = {
		.t_us = fit_time_us(m->timestamp),
		.distance_m = field_or_nan(m, REC_DISTANCE, 100, 0),
		.speed_mps = preferred(m, REC_ENHANCED_SPEED, REC_SPEED, 1000, 0),
		.altitude_m = preferred(m, REC_ENHANCED_ALTITUDE, REC_ALTITUDE, 5, 500),
		.heart_rate_bpm = field_or_nan(m, REC_HEART_RATE, 1, 0),
		.cadence_spm =
			isnan(cadence) ? NAN : 2 * (cadence + (isnan(fraction) ? 0 : fraction)),
		.power_w = field_or_nan(m, REC_POWER, 1, 0),
		.step_length_m = field_or_nan(m, REC_STEP_LENGTH, 10000, 0),
		.vertical_oscillation_mm = field_or_nan(m, REC_VERTICAL_OSCILLATION, 10, 0),
		.stance_time_ms = field_or_nan(m, REC_STANCE_TIME, 10, 0),
		.latitude_deg = field_or_nan(m, REC_LAT, 1 / SEMICIRCLE_DEG, 0),
		.longitude_deg = field_or_nan(m, REC_LONG, 1 / SEMICIRCLE_DEG, 0),
		.temperature_c = field_or_nan(m, REC_TEMPERATURE, 1, 0),
		.incline_pct = field_or_nan(m, REC_GRADE, 100, 0),
	};
	return activity_emit(a, &r);
}

static void read_event(struct activity *a, const struct fit_message *m)
{
	double event, type;
	if (fit_field_double(fit_field_find(m, EVENT_EVENT), &event) && event == EVENT_TIMER &&
	    fit_field_double(fit_field_find(m, EVENT_TYPE), &type) &&
	    (type == EVENT_TYPE_STOP || type == EVENT_TYPE_STOP_ALL))
		a->pauses++;
}

/* device_info's device_type means what source_type says: an ANT+ device
 * type for a sensor paired over ANT+ (or unsaid, in older files), a
 * local_device_type for the watch's own sensors (GPS, barometer...). */
static void read_device(struct activity *a, const struct fit_message *m)
{
	double type, source = -1;
	if (!fit_field_double(fit_field_find(m, DEVICE_TYPE), &type))
		return;
	fit_field_double(fit_field_find(m, DEVICE_SOURCE_TYPE), &source);
	if (source == SOURCE_TYPE_LOCAL) {
		a->local_sensors = true;
		a->barometer = a->barometer || type == LOCAL_DEVICE_BAROMETER;
		return;
	}
	a->footpod = a->footpod || type == DEVICE_ANTPLUS_TYPE_STRIDE;
	a->heart_rate_strap = a->heart_rate_strap || type == DEVICE_ANTPLUS_TYPE_HEART_RATE;
}

/* Developer fields are kept by name, so a runner sees that the file held
 * a Stryd's power or a core-temperature sensor even where hamstride has
 * no column for it. */
static void note_developer_fields(struct activity *a, const struct fit_message *m)
{
	for (size_t i = 0; i < m->n_dev_fields; i++) {
		const struct fit_dev_field *f = &m->dev_fields[i];
		char label[48];
		if (f->name[0])
			snprintf(label, sizeof(label), "%s%s%s%s", f->name, f->units[0] ? " (" : "",
				 f->units, f->units[0] ? ")" : "");
		else
			snprintf(label, sizeof(label), "developer %u field %u", f->developer_index,
				 f->field.number);
		bool known = false;
		for (size_t k = 0; k < a->n_developer_fields && !known; k++)
			known = strcmp(a->developer_fields[k], label) == 0;
		if (!known && a->n_developer_fields < 8)
			snprintf(a->developer_fields[a->n_developer_fields++],
				 sizeof(a->developer_fields[0]), "%s", label);
	}
}

int fit_activity_message(void *user, const struct fit_message *m)
{
	struct activity *a = user;
	int rc = 0;
	switch (m->global) {
	case FIT_MESG_FILE_ID:
		if (a->file_type < 0)
			read_file_id(a, m);
		break;
	case FIT_MESG_SPORT:
		read_sport(a, m, SPORT_SPORT, SPORT_SUB_SPORT);
		break;
	case FIT_MESG_SESSION:
		read_session(a, m);
		break;
	case FIT_MESG_RECORD:
		rc = read_record(a, m);
		break;
	case FIT_MESG_EVENT:
		read_event(a, m);
		break;
	case FIT_MESG_DEVICE_INFO:
		read_device(a, m);
		break;
	default:
		break;
	}
	if (m->n_dev_fields)
		note_developer_fields(a, m);
	return rc;
}

int fit_activity_read(const uint8_t *buf, size_t len, struct activity *a)
{
	activity_init(a);
	snprintf(a->format, sizeof(a->format), "FIT");
	return fit_decode(buf, len, fit_activity_message, a, &a->status);
}

const char *fit_file_type_name(int file_type, char *buf, size_t size)
{
	static const struct {
		int type;
		const char *name;
	} names[] = {
		{ 1, "a device description" },
		{ 2, "a settings file" },
		{ 3, "a sport settings file" },
		{ 4, "an activity" },
		{ 5, "a workout plan" },
		{ 6, "a course" },
		{ 7, "a schedule" },
		{ 9, "a weight record" },
		{ 10, "a totals file" },
		{ 11, "a goals file" },
		{ 15, "an all-day monitoring file" },
		{ 20, "an activity summary" },
		{ 28, "a daily monitoring file" },
		{ 32, "an all-day monitoring file" },
		{ 34, "a segment" },
		{ 35, "a segment list" },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].type == file_type) {
			snprintf(buf, size, "%s", names[i].name);
			return buf;
		}
	if (file_type < 0)
		snprintf(buf, size, "a FIT file without a file_id message");
	else
		snprintf(buf, size, "a FIT file of type %d", file_type);
	return buf;
}
