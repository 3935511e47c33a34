// SPDX-License-Identifier: GPL-2.0-or-later
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "decode/drivers.h"
#include "decode/hrm.h"

static void test_uint8_with_contact_and_rr(void **state)
{
	(void)state;
	/* flags 0x16: contact supported+detected, RR present; 142 bpm; RR 0.5 s, 0.25 s */
	const uint8_t buf[] = { 0x16, 142, 0x00, 0x02, 0x00, 0x01 };
	struct hrm_measurement m;
	assert_true(hrm_parse_measurement(buf, sizeof(buf), &m));
	assert_int_equal(m.heart_rate_bpm, 142);
	assert_true(m.contact_supported);
	assert_true(m.contact_detected);
	assert_false(m.has_energy);
	assert_int_equal(m.n_rr, 2);
	assert_float_equal(m.rr_s[0], 0.5, 1e-12);
	assert_float_equal(m.rr_s[1], 0.25, 1e-12);
}

static void test_uint16_with_energy(void **state)
{
	(void)state;
	const uint8_t buf[] = { 0x09, 0x2c, 0x01, 0x10, 0x00, 0xff /* odd trailing byte */ };
	struct hrm_measurement m;
	assert_true(hrm_parse_measurement(buf, sizeof(buf), &m));
	assert_int_equal(m.heart_rate_bpm, 300);
	assert_true(m.has_energy);
	assert_int_equal(m.energy_kj, 16);
	assert_false(m.contact_supported);
	assert_int_equal(m.n_rr, 0);
}

static void test_truncated_left_untouched(void **state)
{
	(void)state;
	const uint8_t buf[] = { 0x09, 0x2c, 0x01, 0x10, 0x00 };
	struct hrm_measurement m, before;
	memset(&m, 0xa5, sizeof(m));
	before = m;
	for (size_t len = 0; len < sizeof(buf); len++) {
		assert_false(hrm_parse_measurement(buf, len, &m));
		assert_memory_equal(&m, &before, sizeof(m));
	}
}

static void test_rr_capped(void **state)
{
	(void)state;
	uint8_t buf[2 + 2 * (HRM_MAX_RR + 4)] = { 0x10, 60 };
	for (size_t i = 2; i < sizeof(buf); i += 2)
		buf[i + 1] = 0x04; /* 1 s */
	struct hrm_measurement m;
	assert_true(hrm_parse_measurement(buf, sizeof(buf), &m));
	assert_int_equal(m.n_rr, HRM_MAX_RR);
	assert_float_equal(m.rr_s[HRM_MAX_RR - 1], 1.0, 1e-12);
}

/* A strap that supports contact detection but has none, or reads 0 bpm,
 * sends well-formed nonsense: decoded, without a heart rate. */
static void test_no_contact_no_heart_rate(void **state)
{
	(void)state;
	struct decode_value v;
	const uint8_t touching[] = { 0x06, 142 }, loose[] = { 0x04, 142 }, zero[] = { 0x00, 0 },
		      no_sensor[] = { 0x00, 142 };
	assert_true(hrm_decode_measurement(touching, sizeof(touching), &v));
	assert_true(v.has_value);
	assert_true(v.heart_rate_bpm == 142);
	assert_true(hrm_decode_measurement(loose, sizeof(loose), &v));
	assert_false(v.has_value);
	assert_true(hrm_decode_measurement(zero, sizeof(zero), &v));
	assert_false(v.has_value);
	assert_true(hrm_decode_measurement(no_sensor, sizeof(no_sensor), &v));
	assert_true(v.has_value); /* no contact detection at all: believed */
	v.has_value = true;
	assert_false(hrm_decode_measurement(touching, 1, &v));
	assert_true(v.has_value); /* malformed: left untouched */
}

/* Every profile ingest reads is in the one table, and nothing else. */
static void test_driver_table(void **state)
{
	(void)state;
	struct drivers d;
	struct gatt_uuid u;
	drivers_init(&d);
	const char *known[] = { "2A53",
				"2A54",
				"2A5D",
				"2A37",
				"2A6D",
				"2A6E",
				"494d5502-6861-6d73-7472-696465000000",
				"494d5501-6861-6d73-7472-696465000000",
				"34800002-7185-4d5d-b431-630e7050e8f0",
				"00002a37-0000-1000-8000-00805f9b34fb" };
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		assert_true(gatt_uuid_parse(known[i], &u));
		if (!drivers_find(&d, &u))
			fail_msg("%s has no driver", known[i]);
	}
	assert_true(gatt_uuid_parse("2A37", &u));
	assert_int_equal(drivers_find(&d, &u)->kind, DECODE_HEART_RATE);
	assert_true(gatt_uuid_parse("2A19", &u)); /* battery level */
	assert_null(drivers_find(&d, &u));
	assert_true(gatt_uuid_parse("494d5503-6861-6d73-7472-696465000000", &u));
	assert_null(drivers_find(&d, &u));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uint8_with_contact_and_rr),
		cmocka_unit_test(test_uint16_with_energy),
		cmocka_unit_test(test_truncated_left_untouched),
		cmocka_unit_test(test_rr_capped),
		cmocka_unit_test(test_no_contact_no_heart_rate),
		cmocka_unit_test(test_driver_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
