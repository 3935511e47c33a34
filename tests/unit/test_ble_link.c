// SPDX-License-Identifier: GPL-2.0-or-later
/* Argument checks of the live-link helpers; the rest needs a radio. */
#include "ble_link.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

static void imu_interval_of_15_ms_converts_to_hci_units(void **state)
{
	(void)state;
	struct ble_link_conn_params p;
	const char *why = "unset";
	assert_true(ble_link_conn_params_from_us(7500, 15000, 0, 2000, &p, &why));
	assert_null(why);
	assert_int_equal(p.interval_min, 6);
	assert_int_equal(p.interval_max, 12);
	assert_int_equal(p.latency, 0);
	assert_int_equal(p.supervision_timeout, 200);
}

static void interval_is_rounded_down_never_above_the_maximum(void **state)
{
	(void)state;
	struct ble_link_conn_params p;
	const char *why;
	assert_true(ble_link_conn_params_from_us(10000, 14999, 0, 1000, &p, &why));
	assert_int_equal(p.interval_max, 11);
}

static void out_of_range_parameters_are_refused_with_a_reason(void **state)
{
	(void)state;
	struct ble_link_conn_params p = { 0 };
	const char *why = NULL;
	assert_false(ble_link_conn_params_from_us(5000, 15000, 0, 2000, &p, &why));
	assert_non_null(strstr(why, "7.5 ms to 4 s"));
	assert_false(ble_link_conn_params_from_us(20000, 15000, 0, 2000, &p, &why));
	assert_false(ble_link_conn_params_from_us(7500, 4000000 + 1250, 0, 32000, &p, &why));
	assert_false(ble_link_conn_params_from_us(UINT32_MAX, UINT32_MAX, 0, 2000, &p, &why));
	assert_false(ble_link_conn_params_from_us(7500, 15000, 500, 32000, &p, &why));
	assert_non_null(strstr(why, "latency"));
	assert_false(ble_link_conn_params_from_us(7500, 15000, 0, 90, &p, &why));
	assert_non_null(strstr(why, "100 ms to 32 s"));
	assert_false(ble_link_conn_params_from_us(7500, 15000, 0, 40000, &p, &why));
	assert_int_equal(p.interval_min, 0); /* untouched on failure */
}

static void supervision_timeout_must_cover_latency_gaps(void **state)
{
	(void)state;
	struct ble_link_conn_params p;
	const char *why;
	/* 15 ms interval, 4 skipped events: 150 ms is the limit, exclusive. */
	assert_false(ble_link_conn_params_from_us(15000, 15000, 4, 150, &p, &why));
	assert_non_null(strstr(why, "(1 + latency)"));
	assert_true(ble_link_conn_params_from_us(15000, 15000, 4, 160, &p, &why));
}

static void bad_arguments_fail_before_touching_the_system(void **state)
{
	(void)state;
	const uint8_t addr[BLE_LINK_ADDR_LEN] = { 0 };
	assert_int_equal(ble_link_open(addr, addr, 7), -EINVAL);
	struct ble_link_conn_params good = { 6, 12, 0, 200 }, bad = { 2, 12, 0, 200 };
	assert_int_equal(ble_link_request_conn_update(0, 0x0040, &bad, 1000), -EINVAL);
	assert_int_equal(ble_link_request_conn_update(-1, 0x0040, &good, 1000), -EINVAL);
	assert_int_equal(ble_link_request_conn_update(0, 0x0F00, &good, 1000), -EINVAL);
	assert_int_equal(ble_link_request_conn_update(0, 0x0040, &good, 0), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(imu_interval_of_15_ms_converts_to_hci_units),
		cmocka_unit_test(interval_is_rounded_down_never_above_the_maximum),
		cmocka_unit_test(out_of_range_parameters_are_refused_with_a_reason),
		cmocka_unit_test(supervision_timeout_must_cover_latency_gaps),
		cmocka_unit_test(bad_arguments_fail_before_touching_the_system),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
