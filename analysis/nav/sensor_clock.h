/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A sensor's clock against the host's, from what its packets say and when
 * they arrive: the offset between the two clocks (every shoe IMU), and
 * the sample rate of a sensor whose packets do not carry it (Movesense:
 * its rate is the subscribed one, learned from the packets' spacing).
 * Pure: times are arguments.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode/imu.h"

/* A sensor clock and the host's drift apart by less than this (crystals
 * are specified to ±50 ppm). */
#define SENSOR_CLOCK_DRIFT 100e-6
/* A host-minus-sensor offset this far above the current one means the
 * sensor restarted its clock: the estimate starts again. */
#define SENSOR_CLOCK_RESET_US INT64_C(1000000)

/* Host time = sensor time + offset_us. */
struct sensor_clock_offset {
	bool have;
	int64_t offset_us; /* lower envelope of host - sensor */
	int64_t at_us;     /* host time of its last update */
};

/* A packet whose last sample was taken at sensor_us arrived at host_us. */
void sensor_clock_offset_update(struct sensor_clock_offset *c, int64_t host_us, int64_t sensor_us);

/* Movesense IMU6 rates; a packet's rate is inferred from the timestamps. */
#define SENSOR_CLOCK_MS_RATES 8
extern const double sensor_clock_ms_rates_hz[SENSOR_CLOCK_MS_RATES];

struct sensor_clock_rate {
	double rate_hz; /* 0 while it is being learned */
	bool have_prev;
	uint32_t prev_raw; /* previous packet's first sample, ms */
	size_t prev_count;
	unsigned prev_multiple; /* the previous spacing was this many packets: a loss */
};

void sensor_clock_rate_init(struct sensor_clock_rate *r);
/* The rate of a packet whose first sample is stamped t_first_raw (ms)
 * and which holds count samples, from its spacing after the previous
 * one; 0 while it is unknown. */
double sensor_clock_rate_track(struct sensor_clock_rate *r, uint32_t t_first_raw, size_t count);
/* The sensor was subscribed again, perhaps at another rate. */
void sensor_clock_rate_reset(struct sensor_clock_rate *r);
/* The samples' times within the packet at the rate now known, as
 * imu_ms_parse_imu6 makes them. */
void sensor_clock_restamp(struct imu_packet *pkt, struct imu_sample *samples, double rate_hz);
