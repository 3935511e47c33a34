// SPDX-License-Identifier: GPL-2.0-or-later
/* The live-link helpers that need no radio: argument checks, parameter
 * conversion, and the HCI command and events as bytes. */
#include "ble/ble_link.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
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
	assert_int_equal(ble_link_hci_send_conn_update(-1, 0x0040, &bad), -EINVAL);
	assert_int_equal(ble_link_hci_send_conn_update(-1, 0x0F00, &good), -EINVAL);
}

static void adapter_names_parse(void **state)
{
	(void)state;
	assert_int_equal(ble_link_adapter_parse("hci0"), 0);
	assert_int_equal(ble_link_adapter_parse("hci12"), 12);
	assert_int_equal(ble_link_adapter_parse("hci"), -EINVAL);
	assert_int_equal(ble_link_adapter_parse("hci-1"), -EINVAL);
	assert_int_equal(ble_link_adapter_parse("hci0x"), -EINVAL);
	assert_int_equal(ble_link_adapter_parse("hci99999999999999999999"), -EINVAL);
	assert_int_equal(ble_link_adapter_parse("00:11:22:33:44:55"), -EINVAL);
}

/* The command goes out as the HCI packet Core Vol 4 Part E 7.8.18 defines,
 * here into a socketpair standing in for the raw HCI socket. */
static void conn_update_command_bytes(void **state)
{
	(void)state;
	int fds[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fds), 0);
	struct ble_link_conn_params p = { 6, 12, 0, 100 };
	assert_int_equal(ble_link_hci_send_conn_update(fds[0], 0x0040, &p), 0);
	uint8_t buf[64];
	const uint8_t want[] = { 0x01, 0x13, 0x20, 14,  0x40, 0x00, 6, 0, 12,
				 0,    0,    0,    100, 0,    0,    0, 0, 0 };
	assert_int_equal(recv(fds[1], buf, sizeof(buf), 0), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	close(fds[1]);
	assert_true(ble_link_hci_send_conn_update(fds[0], 0x0040, &p) < 0);
	close(fds[0]);
}

static void conn_update_events_parse(void **state)
{
	(void)state;
	struct ble_link_hci_event ev;
	const uint8_t complete[] = { 0x04, 0x3E, 10, 0x03, 0x00, 0x40, 0x00, 12, 0, 0, 0, 100, 0 };
	assert_true(ble_link_hci_parse_event(complete, sizeof(complete), &ev));
	assert_int_equal(ev.type, BLE_LINK_HCI_CONN_UPDATE_COMPLETE);
	assert_int_equal(ev.status, 0);
	assert_int_equal(ev.handle, 0x0040);
	assert_int_equal(ev.interval, 12);
	assert_int_equal(ev.supervision_timeout, 100);
	const uint8_t refused[] = { 0x04, 0x0F, 4, 0x0C, 0x01, 0x13, 0x20 };
	assert_true(ble_link_hci_parse_event(refused, sizeof(refused), &ev));
	assert_int_equal(ev.type, BLE_LINK_HCI_CONN_UPDATE_STATUS);
	assert_int_equal(ev.status, 0x0C);
	/* Another command's status, an advertising report, short packets. */
	const uint8_t other_status[] = { 0x04, 0x0F, 4, 0x00, 0x01, 0x0D, 0x20 };
	const uint8_t adv_report[] = { 0x04, 0x3E, 3, 0x02, 0x01, 0x00 };
	assert_false(ble_link_hci_parse_event(other_status, sizeof(other_status), &ev));
	assert_false(ble_link_hci_parse_event(adv_report, sizeof(adv_report), &ev));
	for (size_t len = 0; len < sizeof(complete); len++)
		assert_false(ble_link_hci_parse_event(complete, len, &ev));
	const uint8_t acl[] = { 0x02, 0x40, 0x00, 0x00, 0x00 };
	assert_false(ble_link_hci_parse_event(acl, sizeof(acl), &ev));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(imu_interval_of_15_ms_converts_to_hci_units),
		cmocka_unit_test(interval_is_rounded_down_never_above_the_maximum),
		cmocka_unit_test(out_of_range_parameters_are_refused_with_a_reason),
		cmocka_unit_test(supervision_timeout_must_cover_latency_gaps),
		cmocka_unit_test(bad_arguments_fail_before_touching_the_system),
		cmocka_unit_test(adapter_names_parse),
		cmocka_unit_test(conn_update_command_bytes),
		cmocka_unit_test(conn_update_events_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
