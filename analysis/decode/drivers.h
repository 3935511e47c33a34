/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which decoder reads a notification: one table of every characteristic
 * hamstride understands, as gpsd's drivers are, each entry naming its
 * UUID and the profile decoder that reads it. A device's quirks live in
 * its decoder (a strap without skin contact, ESS's "unknown"
 * temperature), not in whoever calls it.
 *
 * Adding a profile: its decoder file in analysis/decode/, a kind below,
 * its value in struct decode_value and one line in drivers.c.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode/rsc.h"
#include "util/notification.h"

enum decode_kind {
	DECODE_RSC_MEASUREMENT,
	DECODE_RSC_FEATURE,
	DECODE_SENSOR_LOCATION,
	DECODE_HEART_RATE,
	DECODE_PRESSURE,
	DECODE_TEMPERATURE,
	/* Shoe IMUs: their samples need the sensor's clock and stream, so
	 * the caller decodes them (decode/imu.h). */
	DECODE_IMU_DATA,
	DECODE_IMU_CONFIG,
	DECODE_MOVESENSE,
	/* A treadmill's FTMS Treadmill Data: the caller decodes it too, since
	 * whether the belt runs depends on the configured start speed. */
	DECODE_TREADMILL_DATA,
};

/* What a stateless decoder read. has_value false: well formed, but
 * carrying no measurement to use. */
struct decode_value {
	bool has_value;
	union {
		struct rsc_measurement rsc;
		uint16_t rsc_features;
		uint8_t location;
		double heart_rate_bpm;
		double pressure_pa;
		double temperature_c;
	};
};

struct decode_driver {
	const char *name; /* for messages: "heart rate" */
	const char *uuid; /* "2A37", or the 128-bit form */
	enum decode_kind kind;
	/* False, *out untouched, if malformed; NULL where the caller decodes. */
	bool (*decode)(const uint8_t *value, size_t len, struct decode_value *out);
};

#define DRIVERS_MAX 16

/* The table with its UUIDs parsed once, so a lookup only compares. */
struct drivers {
	size_t n;
	struct gatt_uuid uuid[DRIVERS_MAX];
	uint16_t uuid16[DRIVERS_MAX]; /* a SIG UUID's short form, else 0 */
	const struct decode_driver *driver[DRIVERS_MAX];
};

void drivers_init(struct drivers *d);
/* The driver of this characteristic, NULL if hamstride does not decode it. */
const struct decode_driver *drivers_find(const struct drivers *d, const struct gatt_uuid *uuid);
