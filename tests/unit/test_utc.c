// SPDX-License-Identifier: GPL-2.0-or-later
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/utc.h"

/* 2026-12-07 09:15:00.75 UTC, in microseconds since 1970. */
#define MORNING_US (INT64_C(1796634900) * 1000000 + 750000)

static void test_three_forms(void **state)
{
	(void)state;
	char buf[40];
	assert_string_equal(utc_text(MORNING_US, UTC_STAMP, "-", buf, sizeof(buf)),
			    "20261207T091500Z");
	assert_string_equal(utc_text(MORNING_US, UTC_LOG, "-", buf, sizeof(buf)),
			    "2026-12-07 09:15:00 UTC");
	assert_string_equal(utc_text(MORNING_US, UTC_ISO, "-", buf, sizeof(buf)),
			    "2026-12-07T09:15:00Z");
	assert_string_equal(utc_text(MORNING_US, UTC_DAY, "-", buf, sizeof(buf)), "2026-12-07");
}

/* Half a second before 1970 is in 1969's last second, not 1970's first. */
static void test_before_1970_floored(void **state)
{
	(void)state;
	char buf[40];
	assert_string_equal(utc_text(-500000, UTC_ISO, "-", buf, sizeof(buf)),
			    "1969-12-31T23:59:59Z");
	assert_string_equal(utc_text(0, UTC_ISO, "-", buf, sizeof(buf)), "1970-01-01T00:00:00Z");
}

/* A buffer too small for the text gets the fallback, never a cut time. */
static void test_fallback(void **state)
{
	(void)state;
	char small[12];
	assert_string_equal(utc_text(MORNING_US, UTC_LOG, "?", small, sizeof(small)), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_three_forms),
		cmocka_unit_test(test_before_1970_floored),
		cmocka_unit_test(test_fallback),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
