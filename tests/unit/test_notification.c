// SPDX-License-Identifier: GPL-2.0-or-later
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "util/notification.h"

static void test_uuid16_round_trip(void **state)
{
	(void)state;
	struct gatt_uuid u;
	char buf[40];
	assert_true(gatt_uuid_parse("0x2a53", &u));
	assert_int_equal(u.len, 2);
	assert_int_equal(gatt_uuid_to16(&u), 0x2A53);
	assert_string_equal(gatt_uuid_to_str(&u, buf, sizeof(buf)), "2A53");
	assert_true(gatt_uuid_parse("2A37", &u));
	assert_int_equal(gatt_uuid_to16(&u), UUID_HEART_RATE_MEASUREMENT);
	/* 0000 is no SIG UUID: it would print as "unknown" (the fuzzer's
	 * round trip found it), so it is refused and u keeps its value. */
	assert_false(gatt_uuid_parse("0000", &u));
	assert_false(gatt_uuid_parse("0x0000", &u));
	assert_int_equal(gatt_uuid_to16(&u), UUID_HEART_RATE_MEASUREMENT);
}

/* A SIG UUID spelled out on the base UUID equals its 16-bit form. */
static void test_uuid_on_base_equals_short(void **state)
{
	(void)state;
	struct gatt_uuid long_form, short_form = gatt_uuid_from16(0x2A53);
	char buf[40];
	assert_true(gatt_uuid_parse("00002a53-0000-1000-8000-00805f9b34fb", &long_form));
	assert_int_equal(long_form.len, 16);
	assert_true(gatt_uuid_equal(&long_form, &short_form));
	assert_string_equal(gatt_uuid_to_str(&long_form, buf, sizeof(buf)), "2A53");
}

static void test_uuid128(void **state)
{
	(void)state;
	struct gatt_uuid a, b;
	char buf[40];
	assert_true(gatt_uuid_parse("6e400001-b5a3-f393-e0a9-e50e24dcca9e", &a));
	assert_int_equal(a.bytes[0], 0x9e); /* wire order is little-endian */
	assert_int_equal(a.bytes[15], 0x6e);
	assert_int_equal(gatt_uuid_to16(&a), 0);
	assert_string_equal(gatt_uuid_to_str(&a, buf, sizeof(buf)),
			    "6e400001-b5a3-f393-e0a9-e50e24dcca9e");
	assert_true(gatt_uuid_parse("6e400002-b5a3-f393-e0a9-e50e24dcca9e", &b));
	assert_false(gatt_uuid_equal(&a, &b));
}

static void test_uuid_rejects(void **state)
{
	(void)state;
	struct gatt_uuid u = gatt_uuid_from16(0x1234);
	assert_false(gatt_uuid_parse("", &u));
	assert_false(gatt_uuid_parse("2A5", &u));
	assert_false(gatt_uuid_parse("2A5G", &u));
	assert_false(gatt_uuid_parse("6e400001b5a3-f393-e0a9-e50e24dcca9e0", &u));
	assert_false(gatt_uuid_parse("6e400001-b5a3-f393-e0a9-e50e24dcca9g", &u));
	assert_int_equal(gatt_uuid_to16(&u), 0x1234);
}

static void test_address(void **state)
{
	(void)state;
	uint8_t addr[6];
	char buf[18];
	assert_true(notification_addr_parse("C4:7C:8D:6A:1B:2E", addr));
	assert_int_equal(addr[0], 0x2E);
	assert_int_equal(addr[5], 0xC4);
	assert_string_equal(notification_addr_to_str(addr, buf, sizeof(buf)), "C4:7C:8D:6A:1B:2E");
	assert_false(notification_addr_parse("C4:7C:8D:6A:1B", addr));
	assert_false(notification_addr_parse("C4-7C:8D:6A:1B:2E", addr));
	assert_false(notification_addr_parse("C4:7C:8D:6A:1B:2X", addr));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uuid16_round_trip),
		cmocka_unit_test(test_uuid_on_base_equals_short),
		cmocka_unit_test(test_uuid128),
		cmocka_unit_test(test_uuid_rejects),
		cmocka_unit_test(test_address),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
