// SPDX-License-Identifier: GPL-2.0-or-later
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "decode/drivers.h"
#include "decode/ess.h"

static void test_pressure(void **state)
{
	(void)state;
	/* 1010305 (0.1 Pa) = 101030.5 Pa, as the Suunto's flat run reads */
	const uint8_t buf[] = { 0x81, 0x6a, 0x0f, 0x00, 0xee };
	double p = -1;
	assert_true(ess_parse_pressure(buf, sizeof(buf), &p));
	assert_float_equal(p, 101030.5, 1e-9);
	for (size_t len = 0; len < 4; len++) {
		double untouched = -1;
		assert_false(ess_parse_pressure(buf, len, &untouched));
		assert_float_equal(untouched, -1, 0);
	}
}

static void test_temperature(void **state)
{
	(void)state;
	const uint8_t warm[] = { 0x1d, 0x09 }; /* 2333 → 23.33 °C */
	const uint8_t cold[] = { 0x0c, 0xfe }; /* -500 → -5.00 °C */
	const uint8_t unknown[] = { 0x00, 0x80 };
	double t = 99;
	assert_true(ess_parse_temperature(warm, 2, &t));
	assert_float_equal(t, 23.33, 1e-9);
	assert_true(ess_parse_temperature(cold, 2, &t));
	assert_float_equal(t, -5.0, 1e-9);
	t = 99;
	assert_false(ess_parse_temperature(unknown, 2, &t));
	assert_false(ess_parse_temperature(warm, 1, &t));
	assert_float_equal(t, 99, 0);
}

/* ESS's "value is not known" is a well-formed temperature without a value;
 * only a short one is malformed. */
static void test_unknown_temperature_is_well_formed(void **state)
{
	(void)state;
	struct decode_value v;
	const uint8_t unknown[] = { 0x00, 0x80 }, cold[] = { 0x0c, 0xfe };
	assert_true(ess_decode_temperature(unknown, 2, &v));
	assert_false(v.has_value);
	assert_true(ess_decode_temperature(cold, 2, &v));
	assert_true(v.has_value);
	assert_true(v.temperature_c == -5.0);
	v.has_value = true;
	assert_false(ess_decode_temperature(cold, 1, &v));
	assert_true(v.has_value);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pressure),
		cmocka_unit_test(test_temperature),
		cmocka_unit_test(test_unknown_temperature_is_well_formed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
