/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the fake sensor sends, in run time order: the foot pod, heart-rate
 * and barometer notifications of a recording (a btsnoop capture, or a run
 * simulated on the spot with analysis/sim/sim.h), and hamstride-IMU data
 * generated with analysis/sim/imu_sim.h, packed into notifications as large as
 * the caller's MTU allows. Run time starts at 0 with the first notification.
 * No I/O besides reading the capture, no clock: the caller paces.
 */
#pragma once

#include "decode/imu.h"
#include "util/notification.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define FEED_VALUE_MAX 512
/* The IMU's 32-bit sensor clock starts this long before it wraps, so every
 * run longer than that exercises the client's unwrapping. */
#define FEED_IMU_CLOCK_WRAP_AFTER_US INT64_C(20000000)

struct feed_item {
	int64_t t_us;          /* run time */
	struct gatt_uuid uuid; /* characteristic */
	uint16_t len;
	uint8_t value[FEED_VALUE_MAX];
};

struct feed_options {
	unsigned profiles; /* enum fake_profile bits */
	uint64_t seed;
	double minutes;      /* run length; 0: the whole capture, or 10 simulated */
	const char *capture; /* NULL: simulate */
};

struct feed;

/* 0, or a negative errno with why naming the problem (-ENOENT / -EBADMSG
 * for the capture, -ENODATA if it holds nothing for these profiles). */
int feed_new(const struct feed_options *o, struct feed **out, char *why, size_t why_len);
void feed_free(struct feed *f);

/*
 * The next notification, or NULL at the end of the run. IMU data is packed
 * with as many samples as value_cap bytes hold (at least one), using the
 * rate and ranges of imu; a new configuration takes effect at the next
 * packet. The item stays the same until feed_pop().
 */
const struct feed_item *feed_peek(struct feed *f, size_t value_cap,
				  const struct imu_hs_config *imu);
void feed_pop(struct feed *f);
/* When the run ends (run time). */
int64_t feed_end_us(const struct feed *f);
/* Recorded notifications the feed holds (IMU data not counted). */
size_t feed_recorded_count(const struct feed *f);

/* One line of the sent log: run time in seconds, host UTC microseconds,
 * value handle, characteristic, length and the value in hex. */
void feed_log_sent(FILE *log, int64_t run_us, int64_t utc_us, uint16_t handle,
		   const struct gatt_uuid *uuid, const uint8_t *value, size_t len);
