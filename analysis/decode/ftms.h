/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fitness Machine Service (0x1826): Treadmill Data (0x2ACD) decoder and a
 * plausibility check over a treadmill's stream.
 *
 * Where each fact comes from:
 * - Fitness Machine Service 1.0 (Bluetooth SIG, 2017), section 4.9
 *   "Treadmill Data": little-endian, a uint16 Flags field then the fields
 *   in flag order; bit 0 "More Data" is inverted (0: Instantaneous Speed
 *   present); bits 13-15 reserved for future use.
 * - GATT Specification Supplement, org.bluetooth.characteristic.
 *   treadmill_data: sizes and units of every field (speeds uint16 in
 *   0.01 km/h, Total Distance uint24 in m, Inclination sint16 in 0.1 %,
 *   Ramp Angle Setting sint16 in 0.1 degree, elevation gains uint16 in
 *   0.1 m, Total Energy and Energy per Hour uint16 kcal, Energy per Minute
 *   uint8 kcal, Heart Rate uint8 bpm, MET uint8 in 0.1, elapsed and
 *   remaining time uint16 s, Force on Belt sint16 N, Power Output sint16 W).
 * - Instantaneous and Average Pace: FTMS 1.0's field table gives uint8 in
 *   0.1 km/min, and treadmill vendors' published formats (Huawei's Treadmill
 *   Data page) agree; hamstride reads them so. It never uses pace for
 *   distance or speed (speed and distance have their own fields).
 * - "Data not available" values: FTMS 1.0 gives 0xFFFF for Total Energy and
 *   Energy per Hour and 0xFF for Energy per Minute; 0x7FFF is the sint16
 *   "not available" of the same family of characteristics (Inclination,
 *   Ramp Angle). These are decoded as absent, not as numbers.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	FTMS_FLAG_MORE_DATA = 1 << 0, /* CLEAR: Instantaneous Speed present */
	FTMS_FLAG_AVERAGE_SPEED = 1 << 1,
	FTMS_FLAG_TOTAL_DISTANCE = 1 << 2,
	FTMS_FLAG_INCLINATION = 1 << 3, /* inclination and ramp angle */
	FTMS_FLAG_ELEVATION_GAIN = 1 << 4,
	FTMS_FLAG_INSTANTANEOUS_PACE = 1 << 5,
	FTMS_FLAG_AVERAGE_PACE = 1 << 6,
	FTMS_FLAG_EXPENDED_ENERGY = 1 << 7,
	FTMS_FLAG_HEART_RATE = 1 << 8,
	FTMS_FLAG_METABOLIC_EQUIVALENT = 1 << 9,
	FTMS_FLAG_ELAPSED_TIME = 1 << 10,
	FTMS_FLAG_REMAINING_TIME = 1 << 11,
	FTMS_FLAG_FORCE_AND_POWER = 1 << 12,
};

/* One Treadmill Data notification in hamstride's units. A has_ flag says
 * whether the field was sent (and was not "data not available"). */
struct ftms_treadmill_data {
	uint16_t flags; /* as sent, reserved bits included */
	bool has_speed;
	double speed_mps;
	bool has_average_speed;
	double average_speed_mps;
	bool has_total_distance;
	double total_distance_m;
	bool has_incline;
	double incline_pct;
	bool has_ramp_angle;
	double ramp_angle_deg;
	bool has_elevation_gain;
	double positive_elevation_gain_m;
	double negative_elevation_gain_m;
	bool has_pace;
	double pace_km_per_min;
	bool has_average_pace;
	double average_pace_km_per_min;
	bool has_total_energy;
	unsigned total_energy_kcal;
	bool has_energy_per_hour;
	unsigned energy_per_hour_kcal;
	bool has_energy_per_minute;
	unsigned energy_per_minute_kcal;
	bool has_heart_rate;
	unsigned heart_rate_bpm;
	bool has_met;
	double met;
	bool has_elapsed_time;
	unsigned elapsed_time_s;
	bool has_remaining_time;
	unsigned remaining_time_s;
	bool has_force_and_power;
	int force_on_belt_n;
	int power_w;
};

/* Parses a Treadmill Data notification. Reserved flag bits (13-15) are
 * ignored and trailing bytes tolerated, since any field they announce
 * comes after every field hamstride knows; false (output untouched) if a
 * flagged field is cut off. */
bool ftms_parse_treadmill_data(const uint8_t *buf, size_t len, struct ftms_treadmill_data *out);

/*
 * What a treadmill's stream looks wrong about. Treadmills misreport: some
 * keep the incline field at 0 while counting elevation gain, some send the
 * speed of their display in mph. hamstride takes what they send and says
 * what it doubts.
 */
enum ftms_doubt {
	FTMS_DOUBT_INCLINE_STUCK = 1 << 0, /* incline 0 while elevation gain grows */
	FTMS_DOUBT_SPEED_MPH = 1 << 1,     /* speed × time ≈ 0.62 × distance */
	FTMS_DOUBT_SPEED_RANGE = 1 << 2,   /* speed above any treadmill's 30 km/h */
	FTMS_DOUBT_INCLINE_RANGE = 1 << 3, /* incline outside -15 to +40 % */
};

/* Watches one treadmill's notifications in order; t_us is the host's
 * receive time of each. Plain data: initialise with ftms_check_init. */
struct ftms_check {
	bool have_last;
	int64_t last_t_us;
	double last_speed_mps;
	bool first_distance_known;
	double first_distance_m;
	double last_distance_m;
	double integrated_speed_m; /* speed × time while distance was counted */
	bool first_gain_known;
	double first_gain_m;
	double last_gain_m;
	bool incline_ever_nonzero;
	unsigned incline_samples;
	unsigned doubts; /* enum ftms_doubt bits seen so far */
};

void ftms_check_init(struct ftms_check *c);
void ftms_check_observe(struct ftms_check *c, const struct ftms_treadmill_data *d, int64_t t_us);
/* The enum ftms_doubt bits the stream so far supports. */
unsigned ftms_check_doubts(const struct ftms_check *c);
/* "incline stuck at 0 while elevation gain grows", ...: one doubt's words. */
const char *ftms_doubt_text(enum ftms_doubt doubt);
