// SPDX-License-Identifier: GPL-2.0-or-later
#include "decode/ftms.h"

#include <math.h>

#include "util/cursor.h"

#define KMH_TO_MPS (1000.0 / 3600.0)
#define SINT16_NOT_AVAILABLE 0x7FFF
#define UINT16_NOT_AVAILABLE 0xFFFFu
#define UINT8_NOT_AVAILABLE 0xFFu

static bool read_le24(struct cursor *c, uint32_t *out)
{
	const uint8_t *p;
	if (!cursor_bytes(c, 3, &p))
		return false;
	*out = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
	return true;
}

static bool read_sle16(struct cursor *c, int16_t *out)
{
	uint16_t u;
	if (!cursor_le16(c, &u))
		return false;
	*out = (int16_t)(u < 0x8000u ? (int)u : (int)u - 0x10000);
	return true;
}

static bool parse_speeds(struct cursor *c, uint16_t flags, struct ftms_treadmill_data *d)
{
	uint16_t raw;
	if (!(flags & FTMS_FLAG_MORE_DATA)) {
		if (!cursor_le16(c, &raw))
			return false;
		d->has_speed = true;
		d->speed_mps = raw / 100.0 * KMH_TO_MPS;
	}
	if (flags & FTMS_FLAG_AVERAGE_SPEED) {
		if (!cursor_le16(c, &raw))
			return false;
		d->has_average_speed = true;
		d->average_speed_mps = raw / 100.0 * KMH_TO_MPS;
	}
	return true;
}

static bool parse_distance_and_slope(struct cursor *c, uint16_t flags,
				     struct ftms_treadmill_data *d)
{
	if (flags & FTMS_FLAG_TOTAL_DISTANCE) {
		uint32_t m;
		if (!read_le24(c, &m))
			return false;
		d->has_total_distance = true;
		d->total_distance_m = m;
	}
	if (flags & FTMS_FLAG_INCLINATION) {
		int16_t incline, ramp;
		if (!read_sle16(c, &incline) || !read_sle16(c, &ramp))
			return false;
		d->has_incline = incline != SINT16_NOT_AVAILABLE;
		d->incline_pct = d->has_incline ? incline / 10.0 : 0;
		d->has_ramp_angle = ramp != SINT16_NOT_AVAILABLE;
		d->ramp_angle_deg = d->has_ramp_angle ? ramp / 10.0 : 0;
	}
	if (flags & FTMS_FLAG_ELEVATION_GAIN) {
		uint16_t up, down;
		if (!cursor_le16(c, &up) || !cursor_le16(c, &down))
			return false;
		d->has_elevation_gain = true;
		d->positive_elevation_gain_m = up / 10.0;
		d->negative_elevation_gain_m = down / 10.0;
	}
	return true;
}

static bool parse_paces(struct cursor *c, uint16_t flags, struct ftms_treadmill_data *d)
{
	uint8_t raw;
	if (flags & FTMS_FLAG_INSTANTANEOUS_PACE) {
		if (!cursor_u8(c, &raw))
			return false;
		d->has_pace = true;
		d->pace_km_per_min = raw / 10.0;
	}
	if (flags & FTMS_FLAG_AVERAGE_PACE) {
		if (!cursor_u8(c, &raw))
			return false;
		d->has_average_pace = true;
		d->average_pace_km_per_min = raw / 10.0;
	}
	return true;
}

static bool parse_energy(struct cursor *c, uint16_t flags, struct ftms_treadmill_data *d)
{
	uint16_t total, per_hour;
	uint8_t per_minute;
	if (!(flags & FTMS_FLAG_EXPENDED_ENERGY))
		return true;
	if (!cursor_le16(c, &total) || !cursor_le16(c, &per_hour) || !cursor_u8(c, &per_minute))
		return false;
	d->has_total_energy = total != UINT16_NOT_AVAILABLE;
	d->total_energy_kcal = d->has_total_energy ? total : 0;
	d->has_energy_per_hour = per_hour != UINT16_NOT_AVAILABLE;
	d->energy_per_hour_kcal = d->has_energy_per_hour ? per_hour : 0;
	d->has_energy_per_minute = per_minute != UINT8_NOT_AVAILABLE;
	d->energy_per_minute_kcal = d->has_energy_per_minute ? per_minute : 0;
	return true;
}

static bool parse_body_and_time(struct cursor *c, uint16_t flags, struct ftms_treadmill_data *d)
{
	uint8_t u8;
	uint16_t u16;
	if (flags & FTMS_FLAG_HEART_RATE) {
		if (!cursor_u8(c, &u8))
			return false;
		d->has_heart_rate = true;
		d->heart_rate_bpm = u8;
	}
	if (flags & FTMS_FLAG_METABOLIC_EQUIVALENT) {
		if (!cursor_u8(c, &u8))
			return false;
		d->has_met = true;
		d->met = u8 / 10.0;
	}
	if (flags & FTMS_FLAG_ELAPSED_TIME) {
		if (!cursor_le16(c, &u16))
			return false;
		d->has_elapsed_time = true;
		d->elapsed_time_s = u16;
	}
	if (flags & FTMS_FLAG_REMAINING_TIME) {
		if (!cursor_le16(c, &u16))
			return false;
		d->has_remaining_time = true;
		d->remaining_time_s = u16;
	}
	return true;
}

static bool parse_force_and_power(struct cursor *c, uint16_t flags, struct ftms_treadmill_data *d)
{
	int16_t force, power;
	if (!(flags & FTMS_FLAG_FORCE_AND_POWER))
		return true;
	if (!read_sle16(c, &force) || !read_sle16(c, &power))
		return false;
	d->has_force_and_power = true;
	d->force_on_belt_n = force;
	d->power_w = power;
	return true;
}

bool ftms_parse_treadmill_data(const uint8_t *buf, size_t len, struct ftms_treadmill_data *out)
{
	struct cursor c = cursor_init(buf, len);
	struct ftms_treadmill_data d = { 0 };
	uint16_t flags;

	if (!cursor_le16(&c, &flags))
		return false;
	d.flags = flags;
	if (!parse_speeds(&c, flags, &d) || !parse_distance_and_slope(&c, flags, &d) ||
	    !parse_paces(&c, flags, &d) || !parse_energy(&c, flags, &d) ||
	    !parse_body_and_time(&c, flags, &d) || !parse_force_and_power(&c, flags, &d))
		return false;
	*out = d;
	return true;
}

/*
 * Plausibility. The mph test compares the belt speed integrated over time
 * with the treadmill's own distance counter: a speed field in 0.01 mph read
 * as 0.01 km/h integrates to 1/1.609 = 0.62 of the distance. It waits for
 * 200 m of counted distance so that the counter's 1 m resolution and a
 * second of latency do not decide it.
 */
#define MPH_TEST_MIN_DISTANCE_M 200.0
#define MPH_RATIO 0.6214
#define MPH_RATIO_TOLERANCE 0.08
#define MAX_INTERVAL_US 5000000 /* a longer silence is a gap, not integrated */
#define MAX_SPEED_MPS (30.0 * KMH_TO_MPS)
#define MIN_INCLINE_PCT (-15.0)
#define MAX_INCLINE_PCT 40.0
/* Elevation gain that a flat belt cannot have: more than 2 m counted
 * over at least 10 notifications, all with incline 0. */
#define STUCK_GAIN_M 2.0
#define STUCK_MIN_SAMPLES 10u

void ftms_check_init(struct ftms_check *c)
{
	*c = (struct ftms_check){ 0 };
}

static void integrate_speed(struct ftms_check *c, const struct ftms_treadmill_data *d, int64_t t_us)
{
	if (c->have_last && d->has_total_distance && c->first_distance_known) {
		int64_t dt_us = t_us - c->last_t_us;
		if (dt_us > 0 && dt_us <= MAX_INTERVAL_US)
			c->integrated_speed_m += c->last_speed_mps * (double)dt_us / 1e6;
	}
	if (d->has_total_distance) {
		if (!c->first_distance_known || d->total_distance_m < c->last_distance_m) {
			/* first counter value, or a counter reset: start again */
			c->first_distance_known = true;
			c->first_distance_m = d->total_distance_m;
			c->integrated_speed_m = 0;
		}
		c->last_distance_m = d->total_distance_m;
	}
	if (d->has_speed) {
		c->have_last = true;
		c->last_t_us = t_us;
		c->last_speed_mps = d->speed_mps;
	}
}

static void check_mph(struct ftms_check *c)
{
	double counted_m = c->last_distance_m - c->first_distance_m;
	if (counted_m < MPH_TEST_MIN_DISTANCE_M)
		return;
	if (fabs(c->integrated_speed_m / counted_m - MPH_RATIO) < MPH_RATIO_TOLERANCE)
		c->doubts |= FTMS_DOUBT_SPEED_MPH;
}

static void check_incline(struct ftms_check *c, const struct ftms_treadmill_data *d)
{
	if (d->has_incline) {
		c->incline_samples++;
		if (d->incline_pct != 0)
			c->incline_ever_nonzero = true;
		if (d->incline_pct < MIN_INCLINE_PCT || d->incline_pct > MAX_INCLINE_PCT)
			c->doubts |= FTMS_DOUBT_INCLINE_RANGE;
	}
	if (d->has_elevation_gain) {
		if (!c->first_gain_known) {
			c->first_gain_known = true;
			c->first_gain_m = d->positive_elevation_gain_m;
		}
		c->last_gain_m = d->positive_elevation_gain_m;
	}
	if (!c->incline_ever_nonzero && c->incline_samples >= STUCK_MIN_SAMPLES &&
	    c->first_gain_known && c->last_gain_m - c->first_gain_m > STUCK_GAIN_M)
		c->doubts |= FTMS_DOUBT_INCLINE_STUCK;
}

void ftms_check_observe(struct ftms_check *c, const struct ftms_treadmill_data *d, int64_t t_us)
{
	if (d->has_speed && d->speed_mps > MAX_SPEED_MPS)
		c->doubts |= FTMS_DOUBT_SPEED_RANGE;
	integrate_speed(c, d, t_us);
	check_mph(c);
	check_incline(c, d);
}

unsigned ftms_check_doubts(const struct ftms_check *c)
{
	return c->doubts;
}

const char *ftms_doubt_text(enum ftms_doubt doubt)
{
	switch (doubt) {
	case FTMS_DOUBT_INCLINE_STUCK:
		return "incline stuck at 0 % while its elevation gain grows";
	case FTMS_DOUBT_SPEED_MPH:
		return "speed looks like mph (speed over time is 0.62 of its distance)";
	case FTMS_DOUBT_SPEED_RANGE:
		return "speed above 30 km/h";
	case FTMS_DOUBT_INCLINE_RANGE:
		return "incline outside -15 to +40 %";
	}
	return "?";
}
