// SPDX-License-Identifier: GPL-2.0-or-later
#include "decode/rsc.h"

#include <math.h>

#include "decode/drivers.h"
#include "util/cursor.h"

bool rsc_parse_measurement(const uint8_t *buf, size_t len, struct rsc_measurement *out)
{
	struct cursor c = cursor_init(buf, len);
	struct rsc_measurement m = { 0 };
	uint8_t flags, cadence;
	uint16_t speed, stride;
	uint32_t distance;

	if (!cursor_u8(&c, &flags) || !cursor_le16(&c, &speed) || !cursor_u8(&c, &cadence))
		return false;
	m.speed_mps = speed / 256.0;
	m.cadence_raw_per_min = cadence;
	m.running = flags & RSC_FLAG_RUNNING;
	if (flags & RSC_FLAG_STRIDE_PRESENT) {
		if (!cursor_le16(&c, &stride))
			return false;
		m.has_stride_length = true;
		m.stride_length_raw_m = stride / 100.0;
	}
	if (flags & RSC_FLAG_DISTANCE_PRESENT) {
		if (!cursor_le32(&c, &distance))
			return false;
		m.has_total_distance = true;
		m.total_distance_m = distance / 10.0;
	}
	/* Reserved flag bits and trailing bytes are tolerated: devices send both. */
	*out = m;
	return true;
}

bool rsc_parse_feature(const uint8_t *buf, size_t len, uint16_t *features)
{
	struct cursor c = cursor_init(buf, len);
	return cursor_le16(&c, features);
}

bool rsc_parse_sensor_location(const uint8_t *buf, size_t len, uint8_t *location)
{
	struct cursor c = cursor_init(buf, len);
	return cursor_u8(&c, location);
}

const char *rsc_sensor_location_name(uint8_t location)
{
	static const char *const names[] = {
		"other",        "top of shoe", "in shoe",    "hip",         "front wheel",
		"left crank",   "right crank", "left pedal", "right pedal", "front hub",
		"rear dropout", "chainstay",   "rear wheel", "rear hub",    "chest",
		"spider",       "chain ring",
	};
	return location < sizeof(names) / sizeof(names[0]) ? names[location] : "reserved";
}

/*
 * Human running: 140–230 steps/min, i.e. 70–115 strides/min. Between the
 * two ranges a value says nothing. Below ~1.5 m/s people may be walking,
 * where step cadence (100–130) overlaps running stride cadence.
 */
#define RUNNING_MIN_SPEED_MPS 1.5
#define STEPS_MIN 135u
#define STEPS_MAX 240u
#define STRIDES_MIN 65u
#define STRIDES_MAX 118u
#define VOTES_NEEDED 5u

void rsc_cadence_init(struct rsc_cadence *c)
{
	*c = (struct rsc_cadence){ 0 };
}

/* Index into votes_length_ratio for speed / (cadence × length), or -1. */
static int length_ratio_class(const struct rsc_measurement *m)
{
	double ratio = m->speed_mps * 60.0 / (m->cadence_raw_per_min * m->stride_length_raw_m);
	if (ratio > 0.35 && ratio < 0.7)
		return 0;
	if (ratio > 0.75 && ratio < 1.35)
		return 1;
	if (ratio > 1.5 && ratio < 2.7)
		return 2;
	return -1;
}

void rsc_cadence_observe(struct rsc_cadence *c, const struct rsc_measurement *m)
{
	unsigned cadence = m->cadence_raw_per_min;

	if (m->speed_mps < RUNNING_MIN_SPEED_MPS || cadence == 0)
		return;
	if (cadence >= STEPS_MIN && cadence <= STEPS_MAX)
		c->votes_steps++;
	else if (cadence >= STRIDES_MIN && cadence <= STRIDES_MAX)
		c->votes_strides++;
	if (m->has_stride_length && m->stride_length_raw_m > 0) {
		int k = length_ratio_class(m);
		if (k >= 0)
			c->votes_length_ratio[k]++;
	}
}

/* The winner of votes when it has enough and at least 80% of them. */
static bool clear_majority(unsigned winner, unsigned total)
{
	return winner >= VOTES_NEEDED && winner * 5 >= total * 4;
}

enum rsc_convention rsc_cadence_convention(const struct rsc_cadence *c)
{
	unsigned total = c->votes_steps + c->votes_strides;
	if (clear_majority(c->votes_steps, total))
		return RSC_CONVENTION_STEPS;
	if (clear_majority(c->votes_strides, total))
		return RSC_CONVENTION_STRIDES;
	return RSC_CONVENTION_UNKNOWN;
}

const char *rsc_convention_name(enum rsc_convention conv)
{
	switch (conv) {
	case RSC_CONVENTION_STEPS:
		return "steps";
	case RSC_CONVENTION_STRIDES:
		return "strides";
	default:
		return "unknown";
	}
}

/* How many cadence units the length field spans: 1 unless the votes say
 * the length is half or twice the unit the cadence counts. */
static double length_field_scale(const struct rsc_cadence *c)
{
	static const double scale[3] = { 0.5, 1.0, 2.0 };
	const unsigned *v = c->votes_length_ratio;
	unsigned total = v[0] + v[1] + v[2];
	for (int k = 0; k < 3; k++)
		if (clear_majority(v[k], total))
			return scale[k];
	return 1.0;
}

bool rsc_cadence_normalise(const struct rsc_cadence *c, const struct rsc_measurement *m,
			   double *cadence_spm, double *stride_length_m)
{
	enum rsc_convention conv = rsc_cadence_convention(c);
	double steps_per_unit = conv == RSC_CONVENTION_STRIDES ? 2.0 : 1.0;
	double unit_length_m;

	if (conv == RSC_CONVENTION_UNKNOWN || m->cadence_raw_per_min == 0)
		return false;
	if (m->has_stride_length && m->stride_length_raw_m > 0)
		unit_length_m = m->stride_length_raw_m * length_field_scale(c);
	else
		unit_length_m = m->speed_mps * 60.0 / m->cadence_raw_per_min;
	*cadence_spm = m->cadence_raw_per_min * steps_per_unit;
	*stride_length_m = unit_length_m * 2.0 / steps_per_unit;
	return true;
}

bool rsc_decode_measurement(const uint8_t *buf, size_t len, struct decode_value *out)
{
	struct rsc_measurement m;
	if (!rsc_parse_measurement(buf, len, &m))
		return false;
	*out = (struct decode_value){ .has_value = true, .rsc = m };
	return true;
}

bool rsc_decode_feature(const uint8_t *buf, size_t len, struct decode_value *out)
{
	uint16_t features;
	if (!rsc_parse_feature(buf, len, &features))
		return false;
	*out = (struct decode_value){ .has_value = true, .rsc_features = features };
	return true;
}

bool rsc_decode_sensor_location(const uint8_t *buf, size_t len, struct decode_value *out)
{
	uint8_t location;
	if (!rsc_parse_sensor_location(buf, len, &location))
		return false;
	*out = (struct decode_value){ .has_value = true, .location = location };
	return true;
}
