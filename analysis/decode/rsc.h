/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Running Speed and Cadence service (0x1814) decoders. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	RSC_FLAG_STRIDE_PRESENT = 1 << 0,
	RSC_FLAG_DISTANCE_PRESENT = 1 << 1,
	RSC_FLAG_RUNNING = 1 << 2,
};

/* One RSC Measurement (0x2A53) as sent; the cadence convention is the
 * sensor's own (steps or strides per minute, see rsc_cadence). */
struct rsc_measurement {
	double speed_mps;
	unsigned cadence_raw_per_min;
	bool running;
	bool has_stride_length;
	double stride_length_raw_m; /* the sensor's own unit: a step or a stride */
	bool has_total_distance;
	double total_distance_m;
};

/* Parses an RSC Measurement. Reserved flag bits are ignored and trailing
 * bytes tolerated; false (output untouched) if a flagged field is cut off. */
bool rsc_parse_measurement(const uint8_t *buf, size_t len, struct rsc_measurement *out);

enum {
	RSC_FEATURE_STRIDE_LENGTH = 1 << 0,
	RSC_FEATURE_TOTAL_DISTANCE = 1 << 1,
	RSC_FEATURE_RUNNING_STATUS = 1 << 2,
	RSC_FEATURE_CALIBRATION = 1 << 3,
	RSC_FEATURE_MULTIPLE_LOCATIONS = 1 << 4,
};

/* RSC Feature (0x2A54): a uint16 bit field. */
bool rsc_parse_feature(const uint8_t *buf, size_t len, uint16_t *features);

/* Sensor Location (0x2A5D): a uint8 enumeration. */
bool rsc_parse_sensor_location(const uint8_t *buf, size_t len, uint8_t *location);
/* "top of shoe", "in shoe", ...; "reserved" for values the spec does not name. */
const char *rsc_sensor_location_name(uint8_t location);

/*
 * Cadence convention. Devices disagree whether cadence counts steps (~170
 * per minute running) or strides (~85), and whether stride length is one
 * step or a full two-step stride. The resolver watches a sensor's running
 * samples and decides from speed ≈ cadence × length and from the plausible
 * ranges of human running, never by assumption.
 */
enum rsc_convention {
	RSC_CONVENTION_UNKNOWN = 0,
	RSC_CONVENTION_STEPS = 1,   /* cadence in steps/min */
	RSC_CONVENTION_STRIDES = 2, /* cadence in strides/min */
};

struct rsc_cadence {
	unsigned votes_steps;
	unsigned votes_strides;
	/* How the sensor's length field relates to its cadence unit, from
	 * speed / (cadence × length): 1 when they agree, 2 when length is a
	 * step but cadence counts strides, 0.5 the other way round. */
	unsigned votes_length_ratio[3]; /* index 0: 0.5, 1: 1, 2: 2 */
};

void rsc_cadence_init(struct rsc_cadence *c);
void rsc_cadence_observe(struct rsc_cadence *c, const struct rsc_measurement *m);
/* UNKNOWN until enough running samples agree. */
enum rsc_convention rsc_cadence_convention(const struct rsc_cadence *c);
const char *rsc_convention_name(enum rsc_convention conv);

/* The measurement in hamstride's units: steps per minute and the length of
 * a full stride (two steps). Returns false while the convention is unknown
 * or the measurement has no cadence. */
bool rsc_cadence_normalise(const struct rsc_cadence *c, const struct rsc_measurement *m,
			   double *cadence_spm, double *stride_length_m);

struct decode_value;
/* The drivers' entries (drivers.h). */
bool rsc_decode_measurement(const uint8_t *buf, size_t len, struct decode_value *out);
bool rsc_decode_feature(const uint8_t *buf, size_t len, struct decode_value *out);
bool rsc_decode_sensor_location(const uint8_t *buf, size_t len, struct decode_value *out);
