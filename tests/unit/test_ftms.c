// SPDX-License-Identifier: GPL-2.0-or-later
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "decode/ftms.h"

/* Flags 0x1FFF: every field but instantaneous speed (bit 0 set: "more data"). */
static const uint8_t every_flag_but_speed[] = {
	0xFF, 0x1F,       /* flags */
	0xD0, 0x02,       /* average speed 720 = 7.20 km/h */
	0x10, 0x27, 0x00, /* total distance 10000 m */
	0x32, 0x00,       /* inclination 50 = 5.0 % */
	0x1D, 0x00,       /* ramp angle 29 = 2.9 degrees */
	0xF4, 0x01,       /* positive elevation gain 500 = 50.0 m */
	0x0A, 0x00,       /* negative elevation gain 10 = 1.0 m */
	0x05,             /* instantaneous pace 5 = 0.5 km/min */
	0x04,             /* average pace 4 = 0.4 km/min */
	0x2C, 0x01,       /* total energy 300 kcal */
	0x84, 0x03,       /* energy per hour 900 kcal */
	0x0F,             /* energy per minute 15 kcal */
	0x96,             /* heart rate 150 bpm */
	0x5A,             /* MET 90 = 9.0 */
	0x10, 0x0E,       /* elapsed 3600 s */
	0x2C, 0x01,       /* remaining 300 s */
	0x9C, 0xFF,       /* force on belt -100 N */
	0xFA, 0x00,       /* power 250 W */
};

static void check_every_field(const struct ftms_treadmill_data *d)
{
	assert_true(d->has_average_speed);
	assert_float_equal(d->average_speed_mps, 2.0, 1e-9);
	assert_true(d->has_total_distance);
	assert_float_equal(d->total_distance_m, 10000, 1e-9);
	assert_true(d->has_incline);
	assert_float_equal(d->incline_pct, 5.0, 1e-9);
	assert_true(d->has_ramp_angle);
	assert_float_equal(d->ramp_angle_deg, 2.9, 1e-9);
	assert_true(d->has_elevation_gain);
	assert_float_equal(d->positive_elevation_gain_m, 50.0, 1e-9);
	assert_float_equal(d->negative_elevation_gain_m, 1.0, 1e-9);
	assert_true(d->has_pace);
	assert_float_equal(d->pace_km_per_min, 0.5, 1e-9);
	assert_true(d->has_average_pace);
	assert_float_equal(d->average_pace_km_per_min, 0.4, 1e-9);
	assert_true(d->has_total_energy);
	assert_int_equal(d->total_energy_kcal, 300);
	assert_int_equal(d->energy_per_hour_kcal, 900);
	assert_int_equal(d->energy_per_minute_kcal, 15);
	assert_true(d->has_heart_rate);
	assert_int_equal(d->heart_rate_bpm, 150);
	assert_true(d->has_met);
	assert_float_equal(d->met, 9.0, 1e-9);
	assert_true(d->has_elapsed_time);
	assert_int_equal(d->elapsed_time_s, 3600);
	assert_true(d->has_remaining_time);
	assert_int_equal(d->remaining_time_s, 300);
	assert_true(d->has_force_and_power);
	assert_int_equal(d->force_on_belt_n, -100);
	assert_int_equal(d->power_w, 250);
}

static void test_every_flag_set(void **state)
{
	(void)state;
	/* All 16 bits: bit 0 set means no instantaneous speed; bits 13-15 are
	 * reserved and ignored. */
	uint8_t buf[sizeof(every_flag_but_speed)];
	memcpy(buf, every_flag_but_speed, sizeof(buf));
	buf[1] = 0xFF;
	struct ftms_treadmill_data d;
	assert_true(ftms_parse_treadmill_data(buf, sizeof(buf), &d));
	assert_int_equal(d.flags, 0xFFFF);
	assert_false(d.has_speed);
	check_every_field(&d);
}

static void test_every_field_with_speed(void **state)
{
	(void)state;
	/* Flags 0x1FFE: bit 0 clear, so instantaneous speed comes first. */
	uint8_t buf[sizeof(every_flag_but_speed) + 2];
	buf[0] = 0xFE;
	buf[1] = 0x1F;
	buf[2] = 0x10; /* instantaneous speed 0x0E10 = 3600 = 36.00 km/h = 10 m/s */
	buf[3] = 0x0E;
	memcpy(buf + 4, every_flag_but_speed + 2, sizeof(every_flag_but_speed) - 2);
	struct ftms_treadmill_data d;
	assert_true(ftms_parse_treadmill_data(buf, sizeof(buf), &d));
	assert_true(d.has_speed);
	assert_float_equal(d.speed_mps, 10.0, 1e-9);
	check_every_field(&d);
}

static void test_no_flag_means_speed_only(void **state)
{
	(void)state;
	/* Flags 0: bit 0 clear, so instantaneous speed, nothing else. 10.80 km/h = 3 m/s. */
	const uint8_t buf[] = { 0x00, 0x00, 0x38, 0x04 };
	struct ftms_treadmill_data d;
	assert_true(ftms_parse_treadmill_data(buf, sizeof(buf), &d));
	assert_true(d.has_speed);
	assert_float_equal(d.speed_mps, 3.0, 1e-9);
	assert_false(d.has_total_distance);
	assert_false(d.has_incline);
	assert_false(d.has_heart_rate);
}

static void test_more_data_alone_is_empty(void **state)
{
	(void)state;
	const uint8_t buf[] = { 0x01, 0x00 };
	struct ftms_treadmill_data d;
	assert_true(ftms_parse_treadmill_data(buf, sizeof(buf), &d));
	assert_false(d.has_speed);
	assert_false(d.has_total_distance);
}

static void test_truncated_leaves_output_untouched(void **state)
{
	(void)state;
	struct ftms_treadmill_data d, before;
	memset(&d, 0xA5, sizeof(d));
	before = d;
	/* every cut of the full packet short of its end fails */
	for (size_t len = 0; len < sizeof(every_flag_but_speed); len++) {
		assert_false(ftms_parse_treadmill_data(every_flag_but_speed, len, &d));
		assert_memory_equal(&d, &before, sizeof(d));
	}
	/* a speed flagged by the clear bit 0 but cut */
	const uint8_t short_speed[] = { 0x00, 0x00, 0x38 };
	assert_false(ftms_parse_treadmill_data(short_speed, sizeof(short_speed), &d));
	assert_false(ftms_parse_treadmill_data(NULL, 0, &d));
	assert_memory_equal(&d, &before, sizeof(d));
}

static void test_trailing_bytes_tolerated(void **state)
{
	(void)state;
	/* speed + total distance, then 3 extra bytes (a vendor's step count) */
	const uint8_t buf[] = { 0x04, 0x00, 0x38, 0x04, 0xE8, 0x03, 0x00, 0x01, 0x02, 0x03 };
	struct ftms_treadmill_data d;
	assert_true(ftms_parse_treadmill_data(buf, sizeof(buf), &d));
	assert_float_equal(d.speed_mps, 3.0, 1e-9);
	assert_float_equal(d.total_distance_m, 1000, 1e-9);
}

static void test_signed_and_large_fields(void **state)
{
	(void)state;
	/* incline -3.5 % (0xFFDD), ramp -2.0 degrees (0xFFEC), distance 0xFFFFFF m */
	const uint8_t buf[] = { 0x0D, 0x00, 0xFF, 0xFF, 0xFF, 0xDD, 0xFF, 0xEC, 0xFF };
	struct ftms_treadmill_data d;
	assert_true(ftms_parse_treadmill_data(buf, sizeof(buf), &d));
	assert_float_equal(d.total_distance_m, 16777215, 1e-9);
	assert_float_equal(d.incline_pct, -3.5, 1e-9);
	assert_float_equal(d.ramp_angle_deg, -2.0, 1e-9);
}

static void test_not_available_values(void **state)
{
	(void)state;
	/* inclination and ramp 0x7FFF, energy 0xFFFF/0xFFFF/0xFF: not available */
	const uint8_t buf[] = { 0x89, 0x00, 0xFF, 0x7F, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
	struct ftms_treadmill_data d;
	assert_true(ftms_parse_treadmill_data(buf, sizeof(buf), &d));
	assert_false(d.has_incline);
	assert_false(d.has_ramp_angle);
	assert_false(d.has_total_energy);
	assert_false(d.has_energy_per_hour);
	assert_false(d.has_energy_per_minute);
}

/* One notification a second: speed in 0.01 units, distance, incline, gain. */
static struct ftms_treadmill_data sample(double speed_mps, double distance_m, double incline_pct,
					 double gain_m)
{
	return (struct ftms_treadmill_data){
		.has_speed = true,
		.speed_mps = speed_mps,
		.has_total_distance = true,
		.total_distance_m = distance_m,
		.has_incline = true,
		.incline_pct = incline_pct,
		.has_elevation_gain = true,
		.positive_elevation_gain_m = gain_m,
	};
}

static void test_check_honest_treadmill(void **state)
{
	(void)state;
	struct ftms_check c;
	ftms_check_init(&c);
	/* 3 m/s at 4 % for 10 minutes: gain 0.04 × distance */
	for (int s = 0; s <= 600; s++) {
		struct ftms_treadmill_data d = sample(3.0, 3.0 * s, 4.0, 0.12 * s);
		ftms_check_observe(&c, &d, (int64_t)s * 1000000);
	}
	assert_int_equal(ftms_check_doubts(&c), 0);
}

static void test_check_speed_in_mph(void **state)
{
	(void)state;
	struct ftms_check c;
	ftms_check_init(&c);
	/* belt at 3 m/s, counted in metres, speed field holding mph × 100 */
	const double mph_read_as_kmh_mps = 3.0 / 1.609344;
	for (int s = 0; s <= 300; s++) {
		struct ftms_treadmill_data d = sample(mph_read_as_kmh_mps, 3.0 * s, 1.0, 0.03 * s);
		ftms_check_observe(&c, &d, (int64_t)s * 1000000);
	}
	assert_int_equal(ftms_check_doubts(&c), FTMS_DOUBT_SPEED_MPH);
	assert_non_null(strstr(ftms_doubt_text(FTMS_DOUBT_SPEED_MPH), "mph"));
}

static void test_check_incline_stuck(void **state)
{
	(void)state;
	struct ftms_check c;
	ftms_check_init(&c);
	for (int s = 0; s <= 120; s++) {
		struct ftms_treadmill_data d = sample(3.0, 3.0 * s, 0.0, 0.05 * s);
		ftms_check_observe(&c, &d, (int64_t)s * 1000000);
	}
	assert_int_equal(ftms_check_doubts(&c), FTMS_DOUBT_INCLINE_STUCK);
	/* a flat run with no gain is no doubt */
	ftms_check_init(&c);
	for (int s = 0; s <= 120; s++) {
		struct ftms_treadmill_data d = sample(3.0, 3.0 * s, 0.0, 0.0);
		ftms_check_observe(&c, &d, (int64_t)s * 1000000);
	}
	assert_int_equal(ftms_check_doubts(&c), 0);
}

static void test_check_ranges(void **state)
{
	(void)state;
	struct ftms_check c;
	ftms_check_init(&c);
	struct ftms_treadmill_data d = sample(40 / 3.6, 0, 55.0, 0);
	ftms_check_observe(&c, &d, 0);
	assert_int_equal(ftms_check_doubts(&c), FTMS_DOUBT_SPEED_RANGE | FTMS_DOUBT_INCLINE_RANGE);
}

/* The length every flag set asks for: 2 flags + fields in flag order. */
static size_t length_for(uint16_t flags)
{
	static const size_t field_len[13] = { 2, 2, 3, 4, 4, 1, 1, 5, 1, 1, 2, 2, 4 };
	size_t len = 2;
	for (int bit = 0; bit < 13; bit++)
		if (bit == 0 ? !(flags & 1) : (flags >> bit) & 1)
			len += field_len[bit];
	return len;
}

/* Random flags and bytes (a simple LCG, seeded): a packet parses exactly
 * when it is as long as its flags ask, and what it says present matches
 * its flags. */
static void test_random_packets_agree_with_their_flags(void **state)
{
	(void)state;
	const uint32_t seed = 20261207u;
	uint32_t x = seed;
	uint8_t buf[48];
	for (int i = 0; i < 20000; i++) {
		for (size_t k = 0; k < sizeof(buf); k++) {
			x = x * 1664525u + 1013904223u;
			buf[k] = (uint8_t)(x >> 24);
		}
		size_t len = (x >> 8) % sizeof(buf);
		uint16_t flags = (uint16_t)(buf[0] | buf[1] << 8);
		struct ftms_treadmill_data d;
		bool ok = ftms_parse_treadmill_data(buf, len, &d);
		if (ok != (len >= 2 && len >= length_for(flags))) {
			fprintf(stderr, "seed %u, packet %d: flags 0x%04x, %zu bytes, parsed %d\n",
				seed, i, flags, len, ok);
			fail();
		}
		if (!ok)
			continue;
		assert_int_equal(d.has_speed, !(flags & FTMS_FLAG_MORE_DATA));
		assert_int_equal(d.has_total_distance, !!(flags & FTMS_FLAG_TOTAL_DISTANCE));
		assert_int_equal(d.has_elevation_gain, !!(flags & FTMS_FLAG_ELEVATION_GAIN));
		assert_int_equal(d.has_heart_rate, !!(flags & FTMS_FLAG_HEART_RATE));
		assert_int_equal(d.has_force_and_power, !!(flags & FTMS_FLAG_FORCE_AND_POWER));
		assert_true(d.speed_mps >= 0 && d.speed_mps <= 182.05 /* 655.35 km/h */);
		assert_true(d.incline_pct >= -3276.8 && d.incline_pct <= 3276.7);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_flag_set),
		cmocka_unit_test(test_every_field_with_speed),
		cmocka_unit_test(test_no_flag_means_speed_only),
		cmocka_unit_test(test_more_data_alone_is_empty),
		cmocka_unit_test(test_truncated_leaves_output_untouched),
		cmocka_unit_test(test_trailing_bytes_tolerated),
		cmocka_unit_test(test_signed_and_large_fields),
		cmocka_unit_test(test_not_available_values),
		cmocka_unit_test(test_check_honest_treadmill),
		cmocka_unit_test(test_check_speed_in_mph),
		cmocka_unit_test(test_check_incline_stuck),
		cmocka_unit_test(test_check_ranges),
		cmocka_unit_test(test_random_packets_agree_with_their_flags),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
