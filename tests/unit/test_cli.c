// SPDX-License-Identifier: GPL-2.0-or-later
/* The CLI's argument parsers (cli.h): run references, pain spans and
 * times, each accepting what it documents and leaving its output
 * untouched when it refuses, as the fuzz targets check on any text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cli.h"

#define UNTOUCHED_ID INT64_C(-77)

static void test_run_ref(void **state)
{
	(void)state;
	int64_t id = UNTOUCHED_ID;
	assert_true(cli_parse_run_ref("last", &id));
	assert_int_equal(id, 0);
	assert_true(cli_parse_run_ref("12", &id));
	assert_int_equal(id, 12);

	/* Refused: the ID keeps its value (it was set to 0 or to the
	 * parsed number before). */
	static const char *const refused[] = { "0", "00",   "-3", "1x",
					       "",  "Last", " 5", "9223372036854775808" };
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		id = UNTOUCHED_ID;
		assert_false(cli_parse_run_ref(refused[i], &id));
		assert_int_equal(id, UNTOUCHED_ID);
	}
}

static void test_elapsed(void **state)
{
	(void)state;
	double s = -1;
	assert_true(cli_parse_elapsed("0:42:10", &s));
	assert_float_equal(s, 2530, 0);
	assert_true(cli_parse_elapsed("42:10", &s));
	assert_float_equal(s, 2530, 0);
	assert_true(cli_parse_elapsed("95", &s));
	assert_float_equal(s, 95, 0);

	static const char *const refused[] = { "",   ":", "1:60", "1:02:03:04", "-1", "1:-1",
					       "1:", "a", "1.5",  "+5",         " 5", "1::2" };
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		s = -1;
		assert_false(cli_parse_elapsed(refused[i], &s));
		assert_float_equal(s, -1, 0);
	}
}

static void test_time(void **state)
{
	(void)state;
	int64_t us = UNTOUCHED_ID;
	assert_true(cli_parse_time("2026-11-21T07:30", &us));
	assert_int_equal(us, INT64_C(1795246200) * 1000000);
	assert_true(cli_parse_time("2024-02-29", &us));

	static const char *const refused[] = { "2025-02-29", "2026-11-21T24:00", "2026-11-21T07",
					       "1969-12-31", "2026-11-21Z ",     "2026-1-21" };
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		us = UNTOUCHED_ID;
		assert_false(cli_parse_time(refused[i], &us));
		assert_int_equal(us, UNTOUCHED_ID);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_ref),
		cmocka_unit_test(test_elapsed),
		cmocka_unit_test(test_time),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
