// SPDX-License-Identifier: GPL-2.0-or-later
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "decode/rsc.h"

/* Real RSC Measurement notifications from a MilestonePod (disPOD logs,
 * shared/data/real/ble): flags 0x03, cadence per stride, full-stride
 * length, total distance, no running bit although the wearer ran. */
static const uint8_t milestone_1[] = { 0x03, 0x33, 0x02, 0x57, 0x97, 0x00, 0xac, 0x01, 0x00, 0x00 };
static const uint8_t milestone_pods[][10] = {
	{ 0x03, 0x48, 0x02, 0x53, 0xa8, 0x00, 0xbd, 0x01, 0x00, 0x00 },
	{ 0x03, 0x45, 0x02, 0x53, 0x8e, 0x00, 0xe3, 0x01, 0x00, 0x00 },
	{ 0x03, 0x6e, 0x02, 0x5d, 0x9c, 0x00, 0x0f, 0x00, 0x00, 0x00 },
	{ 0x03, 0xae, 0x02, 0x59, 0xc2, 0x00, 0x59, 0x00, 0x00, 0x00 },
	{ 0x03, 0xf1, 0x02, 0x61, 0xb4, 0x00, 0x18, 0x01, 0x00, 0x00 },
	{ 0x03, 0xa9, 0x02, 0x5e, 0xa0, 0x00, 0x61, 0x01, 0x00, 0x00 },
	{ 0x03, 0xb6, 0x02, 0x60, 0xb4, 0x00, 0x81, 0x01, 0x00, 0x00 },
	{ 0x03, 0x8f, 0x02, 0x5b, 0xb0, 0x00, 0xbd, 0x01, 0x00, 0x00 },
};
static const uint8_t milestone_stopped[] = { 0x03, 0x00, 0x00, 0x00, 0x00,
					     0x00, 0xbd, 0x01, 0x00, 0x00 };

static void test_real_milestonepod_fields(void **state)
{
	(void)state;
	struct rsc_measurement m;
	assert_true(rsc_parse_measurement(milestone_1, sizeof(milestone_1), &m));
	/* The log's own decoding: 2.1992 m/s, 87/min, 151 cm, 428 dm. */
	assert_float_equal(m.speed_mps, 2.1992, 1e-4);
	assert_int_equal(m.cadence_raw_per_min, 87);
	assert_true(m.has_stride_length);
	assert_float_equal(m.stride_length_raw_m, 1.51, 1e-9);
	assert_true(m.has_total_distance);
	assert_float_equal(m.total_distance_m, 42.8, 1e-9);
	assert_false(m.running);

	assert_true(rsc_parse_measurement(milestone_stopped, sizeof(milestone_stopped), &m));
	assert_float_equal(m.speed_mps, 0.0, 0);
	assert_float_equal(m.total_distance_m, 44.5, 1e-9);
}

static void test_real_milestonepod_is_strides(void **state)
{
	(void)state;
	struct rsc_cadence c;
	struct rsc_measurement m;
	double spm, stride_m;

	rsc_cadence_init(&c);
	assert_true(rsc_parse_measurement(milestone_1, sizeof(milestone_1), &m));
	assert_false(rsc_cadence_normalise(&c, &m, &spm, &stride_m));
	for (size_t i = 0; i < sizeof(milestone_pods) / sizeof(milestone_pods[0]); i++) {
		assert_true(rsc_parse_measurement(milestone_pods[i], 10, &m));
		rsc_cadence_observe(&c, &m);
	}
	assert_int_equal(rsc_cadence_convention(&c), RSC_CONVENTION_STRIDES);
	assert_true(rsc_parse_measurement(milestone_1, sizeof(milestone_1), &m));
	assert_true(rsc_cadence_normalise(&c, &m, &spm, &stride_m));
	assert_float_equal(spm, 174.0, 1e-9);
	assert_float_equal(stride_m, 1.51, 1e-9);
}

static void test_all_flag_combinations(void **state)
{
	(void)state;
	for (unsigned flags = 0; flags < 8; flags++) {
		uint8_t buf[16] = { (uint8_t)(flags | 0xf8), 0x00, 0x03, 170 };
		size_t len = 4;
		if (flags & RSC_FLAG_STRIDE_PRESENT) {
			buf[len++] = 0x64; /* 100 cm */
			buf[len++] = 0x00;
		}
		if (flags & RSC_FLAG_DISTANCE_PRESENT) {
			buf[len++] = 0x10;
			buf[len++] = 0x27; /* 10000 dm */
			buf[len++] = 0x00;
			buf[len++] = 0x00;
		}
		struct rsc_measurement m;
		/* Reserved bits (0xf8) set: ignored. */
		assert_true(rsc_parse_measurement(buf, len, &m));
		assert_float_equal(m.speed_mps, 3.0, 1e-9);
		assert_int_equal(m.cadence_raw_per_min, 170);
		assert_int_equal(m.running, !!(flags & RSC_FLAG_RUNNING));
		assert_int_equal(m.has_stride_length, !!(flags & RSC_FLAG_STRIDE_PRESENT));
		assert_int_equal(m.has_total_distance, !!(flags & RSC_FLAG_DISTANCE_PRESENT));
		if (m.has_stride_length)
			assert_float_equal(m.stride_length_raw_m, 1.0, 1e-9);
		if (m.has_total_distance)
			assert_float_equal(m.total_distance_m, 1000.0, 1e-9);
		/* Trailing bytes are tolerated... */
		assert_true(rsc_parse_measurement(buf, len + 3, &m));
		/* ...a cut-off flagged field is not, and leaves the output alone. */
		struct rsc_measurement untouched;
		memset(&untouched, 0x5a, sizeof(untouched));
		struct rsc_measurement before = untouched;
		for (size_t cut = 0; cut < len; cut++) {
			assert_false(rsc_parse_measurement(buf, cut, &untouched));
			assert_memory_equal(&untouched, &before, sizeof(before));
		}
	}
}

static void test_feature_and_location(void **state)
{
	(void)state;
	const uint8_t feature[] = { 0x1f, 0x00 };
	uint16_t f = 0;
	uint8_t loc = 0;
	assert_true(rsc_parse_feature(feature, 2, &f));
	assert_int_equal(f, 0x1f);
	assert_false(rsc_parse_feature(feature, 1, &f));
	const uint8_t in_shoe[] = { 2 };
	assert_true(rsc_parse_sensor_location(in_shoe, 1, &loc));
	assert_string_equal(rsc_sensor_location_name(loc), "in shoe");
	assert_string_equal(rsc_sensor_location_name(200), "reserved");
	assert_false(rsc_parse_sensor_location(in_shoe, 0, &loc));
}

static struct rsc_measurement running_at(double speed_mps, unsigned cadence, double length_m)
{
	return (struct rsc_measurement){
		.speed_mps = speed_mps,
		.cadence_raw_per_min = cadence,
		.running = true,
		.has_stride_length = length_m > 0,
		.stride_length_raw_m = length_m,
	};
}

/* A pod counting steps whose length field is a step: speed = cadence × step. */
static void test_steps_with_step_length(void **state)
{
	(void)state;
	struct rsc_cadence c;
	double spm, stride_m;
	rsc_cadence_init(&c);
	for (int i = 0; i < 10; i++) {
		struct rsc_measurement m = running_at(3.4, 170, 1.2);
		rsc_cadence_observe(&c, &m);
	}
	assert_int_equal(rsc_cadence_convention(&c), RSC_CONVENTION_STEPS);
	struct rsc_measurement m = running_at(3.4, 170, 1.2);
	assert_true(rsc_cadence_normalise(&c, &m, &spm, &stride_m));
	assert_float_equal(spm, 170, 1e-9);
	assert_float_equal(stride_m, 2.4, 1e-9);
}

/* Steps cadence but the length field a full stride: speed = cadence × L / 2. */
static void test_steps_with_stride_length(void **state)
{
	(void)state;
	struct rsc_cadence c;
	double spm, stride_m;
	rsc_cadence_init(&c);
	for (int i = 0; i < 10; i++) {
		struct rsc_measurement m = running_at(3.4, 170, 2.4);
		rsc_cadence_observe(&c, &m);
	}
	struct rsc_measurement m = running_at(3.4, 170, 2.4);
	assert_true(rsc_cadence_normalise(&c, &m, &spm, &stride_m));
	assert_float_equal(spm, 170, 1e-9);
	assert_float_equal(stride_m, 2.4, 1e-9);
}

/* No length field: the stride follows from speed and cadence. */
static void test_strides_without_length(void **state)
{
	(void)state;
	struct rsc_cadence c;
	double spm, stride_m;
	rsc_cadence_init(&c);
	for (int i = 0; i < 10; i++) {
		struct rsc_measurement m = running_at(3.0, 90, 0);
		rsc_cadence_observe(&c, &m);
	}
	assert_int_equal(rsc_cadence_convention(&c), RSC_CONVENTION_STRIDES);
	struct rsc_measurement m = running_at(3.0, 90, 0);
	assert_true(rsc_cadence_normalise(&c, &m, &spm, &stride_m));
	assert_float_equal(spm, 180, 1e-9);
	assert_float_equal(stride_m, 2.0, 1e-9);
}

/* Walking, standing and contradictory data leave the convention unknown. */
static void test_undecided(void **state)
{
	(void)state;
	struct rsc_cadence c;
	rsc_cadence_init(&c);
	for (int i = 0; i < 20; i++) {
		struct rsc_measurement walk = running_at(1.3, 110, 0);
		rsc_cadence_observe(&c, &walk);
	}
	assert_int_equal(rsc_cadence_convention(&c), RSC_CONVENTION_UNKNOWN);
	for (int i = 0; i < 10; i++) {
		struct rsc_measurement a = running_at(3.0, 170, 0);
		struct rsc_measurement b = running_at(3.0, 85, 0);
		rsc_cadence_observe(&c, &a);
		rsc_cadence_observe(&c, &b);
	}
	assert_int_equal(rsc_cadence_convention(&c), RSC_CONVENTION_UNKNOWN);
	assert_string_equal(rsc_convention_name(RSC_CONVENTION_UNKNOWN), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_milestonepod_fields),
		cmocka_unit_test(test_real_milestonepod_is_strides),
		cmocka_unit_test(test_all_flag_combinations),
		cmocka_unit_test(test_feature_and_location),
		cmocka_unit_test(test_steps_with_step_length),
		cmocka_unit_test(test_steps_with_stride_length),
		cmocka_unit_test(test_strides_without_length),
		cmocka_unit_test(test_undecided),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
