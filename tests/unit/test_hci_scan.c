// SPDX-License-Identifier: GPL-2.0-or-later
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sensor_table.h"
#include "ble/hci_scan.h"
#include "util/notification.h"
#include "decode/imu.h"

/* Three legacy reports in one LE Meta event, as read from an HCI socket:
 * a foot pod's ADV_IND (static random address C4:7C:8D:6A:1B:2E, RSSI -61),
 * its SCAN_RSP with the name, and a non-connectable beacon (public
 * address, RSSI not available). */
static const uint8_t three_reports[] = {
	0x04,         0x3E, 0x30, 0x02, 0x03,
	/* 1 */ 0x00, 0x01, 0x2E, 0x1B, 0x6A, 0x8D, 0x7C, 0xC4, 0x07, 0x02, 0x01, 0x06, 0x03,
	0x03,         0x14, 0x18, 0xC3,
	/* 2 */ 0x04, 0x01, 0x2E, 0x1B, 0x6A, 0x8D, 0x7C, 0xC4, 0x06, 0x05, 0x09, 'P',  'o',
	'd',          '1',  0xC4,
	/* 3 */ 0x03, 0x00, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x03, 0x02, 0x01, 0x04, 0x7F,
};

static void test_legacy_reports(void **state)
{
	(void)state;
	struct hci_scan_report r[HCI_SCAN_MAX_REPORTS];
	assert_int_equal(hci_scan_parse_event(three_reports, sizeof(three_reports), r), 3);
	char addr[18];
	assert_string_equal(notification_addr_to_str(r[0].addr, addr, sizeof(addr)),
			    "C4:7C:8D:6A:1B:2E");
	assert_int_equal(r[0].addr_type, NOTIFICATION_ADDR_RANDOM);
	assert_true(r[0].connectable);
	assert_false(r[0].scan_response);
	assert_true(r[0].rssi_known);
	assert_int_equal(r[0].rssi_dbm, -61);
	assert_int_equal(r[0].data_len, 7);
	assert_ptr_equal(r[0].data, three_reports + 14);
	assert_false(r[0].extended);

	assert_true(r[1].scan_response);
	assert_false(r[1].connectable);
	assert_int_equal(r[1].rssi_dbm, -60);
	assert_memory_equal(r[1].data, "\x05\x09Pod1", 6);

	assert_string_equal(notification_addr_to_str(r[2].addr, addr, sizeof(addr)),
			    "11:22:33:44:55:66");
	assert_int_equal(r[2].addr_type, NOTIFICATION_ADDR_PUBLIC);
	assert_false(r[2].connectable);
	assert_false(r[2].rssi_known);
}

static void fill(struct hci_scan_report r[HCI_SCAN_MAX_REPORTS])
{
	memset(r, 0x5A, HCI_SCAN_MAX_REPORTS * sizeof(r[0]));
}

static void assert_unchanged(const struct hci_scan_report r[HCI_SCAN_MAX_REPORTS])
{
	struct hci_scan_report s[HCI_SCAN_MAX_REPORTS];
	fill(s);
	assert_memory_equal(r, s, sizeof(s));
}

static void test_truncated_events(void **state)
{
	(void)state;
	struct hci_scan_report r[HCI_SCAN_MAX_REPORTS];
	/* Every cut short of the whole event is refused, leaving the output
	 * alone (a lone packet-type byte too; nothing at all is no event). */
	for (size_t cut = 1; cut < sizeof(three_reports); cut++) {
		fill(r);
		if (hci_scan_parse_event(three_reports, cut, r) != -EBADMSG)
			fail_msg("an event cut to %zu bytes was not refused", cut);
		assert_unchanged(r);
	}
	assert_int_equal(hci_scan_parse_event(three_reports, 0, r), 0);

	/* The parameter length is right but the last report's data length
	 * leaves no room for its RSSI. */
	uint8_t bad[sizeof(three_reports)];
	memcpy(bad, three_reports, sizeof(bad));
	bad[46] = 4;
	fill(r);
	assert_int_equal(hci_scan_parse_event(bad, sizeof(bad), r), -EBADMSG);
	assert_unchanged(r);
	/* Legacy data longer than 31 bytes cannot be. */
	uint8_t too_long[5 + 10 + 32] = { 0x04, 0x3E, 2 + 10 + 32, 0x02, 0x01, 0x00, 0x00 };
	too_long[5 + 8] = 32;
	assert_int_equal(hci_scan_parse_event(too_long, sizeof(too_long), r), -EBADMSG);
	/* More reports promised than there are. */
	memcpy(bad, three_reports, sizeof(bad));
	bad[4] = 4;
	assert_int_equal(hci_scan_parse_event(bad, sizeof(bad), r), -EBADMSG);
	bad[4] = 26;
	assert_int_equal(hci_scan_parse_event(bad, sizeof(bad), r), -EBADMSG);
	/* An LE Meta event without its subevent code. */
	const uint8_t no_subevent[] = { 0x04, 0x3E, 0x00 };
	assert_int_equal(hci_scan_parse_event(no_subevent, sizeof(no_subevent), r), -EBADMSG);
}

static void test_other_packets(void **state)
{
	(void)state;
	struct hci_scan_report r[HCI_SCAN_MAX_REPORTS];
	/* Command Complete for LE Set Scan Enable. */
	const uint8_t complete[] = { 0x04, 0x0E, 0x04, 0x01, 0x0C, 0x20, 0x00 };
	assert_int_equal(hci_scan_parse_event(complete, sizeof(complete), r), 0);
	/* LE Connection Complete: an LE Meta event, not a report. */
	const uint8_t conn[] = { 0x04, 0x3E, 0x13, 0x01, 0x00, 0x40, 0x00, 0x00, 0x01, 1,    2,
				 3,    4,    5,    6,    0x18, 0x00, 0x00, 0x00, 0xC8, 0x00, 0x00 };
	assert_int_equal(hci_scan_parse_event(conn, sizeof(conn), r), 0);
	/* An ACL data packet. */
	const uint8_t acl[] = { 0x02, 0x40, 0x20, 0x05, 0x00, 0x01, 0x00, 0x04, 0x00, 0x1B };
	assert_int_equal(hci_scan_parse_event(acl, sizeof(acl), r), 0);
	/* No reports at all. */
	const uint8_t none[] = { 0x04, 0x3E, 0x02, 0x02, 0x00 };
	assert_int_equal(hci_scan_parse_event(none, sizeof(none), r), 0);
}

/* One extended report: 24 fixed bytes, then the data. */
static size_t put_ext_report(uint8_t *p, uint16_t type, uint8_t addr_type, uint8_t last_addr_byte,
			     int8_t rssi, const uint8_t *data, uint8_t len)
{
	memset(p, 0, 24);
	p[0] = (uint8_t)type;
	p[1] = (uint8_t)(type >> 8);
	p[2] = addr_type;
	p[3] = last_addr_byte;
	p[9] = 0x01;  /* primary PHY: LE 1M */
	p[11] = 0xFF; /* no SID */
	p[12] = 0x7F; /* TX power not available */
	p[13] = (uint8_t)rssi;
	p[23] = len;
	memcpy(p + 24, data, len);
	return 24u + len;
}

static void test_extended_reports(void **state)
{
	(void)state;
	const uint8_t name[] = { 0x05, 0x09, 'B', 'a', 'r', 'o' };
	uint8_t ev[3 + 2 + 3 * 24 + 3 * sizeof(name)] = { 0x04, 0x3E, 0, 0x0D, 3 };
	size_t n = 5;
	/* Connectable, scannable, legacy-PDU scan response of a public
	 * identity address; an anonymous one; a truncated extended one. */
	n += put_ext_report(ev + n, 0x0001 | 0x0002 | 0x0008 | 0x0010, 0x02, 0x01, -70, name,
			    sizeof(name));
	n += put_ext_report(ev + n, 0x0000, 0xFF, 0x02, -80, name, sizeof(name));
	n += put_ext_report(ev + n, 0x0001 | 2 << 5, 0x01, 0x03, -90, name, sizeof(name));
	ev[2] = (uint8_t)(n - 3);
	struct hci_scan_report r[HCI_SCAN_MAX_REPORTS];
	assert_int_equal(hci_scan_parse_event(ev, n, r), 2);
	assert_true(r[0].extended);
	assert_true(r[0].connectable);
	assert_true(r[0].scan_response);
	assert_false(r[0].data_incomplete);
	assert_int_equal(r[0].addr_type, NOTIFICATION_ADDR_PUBLIC);
	assert_int_equal(r[0].addr[0], 0x01);
	assert_int_equal(r[0].rssi_dbm, -70);
	assert_memory_equal(r[0].data, name, sizeof(name));
	assert_int_equal(r[1].addr[0], 0x03);
	assert_int_equal(r[1].addr_type, NOTIFICATION_ADDR_RANDOM);
	assert_true(r[1].data_incomplete);
	assert_false(r[1].scan_response);

	for (size_t cut = 4; cut < n; cut++) {
		ev[2] = (uint8_t)(cut - 3);
		assert_int_equal(hci_scan_parse_event(ev, cut, r), -EBADMSG);
	}
}

static void assert_says(int err, const struct hci_scan_failure *f, const char *part)
{
	char buf[512];
	const char *msg = hci_scan_strerror(err, "hci1", f, buf, sizeof(buf));
	if (!strstr(msg, part))
		fail_msg("message for %d, '%s', does not say '%s'", err, msg, part);
}

static void test_messages(void **state)
{
	(void)state;
	assert_says(-EAFNOSUPPORT, NULL, "this kernel has no Bluetooth support");
	assert_says(-ENODEV, NULL, "no Bluetooth adapter hci1");
	assert_says(-ENETDOWN, NULL, "hci1 is down");
	assert_says(-EPERM, NULL, "CAP_NET_RAW");
	assert_says(-EACCES, NULL, "CAP_NET_ADMIN");
	struct hci_scan_failure busy = { "LE Set Scan Parameters", 0x0C };
	assert_says(-EBUSY, &busy, "hci1 refused LE Set Scan Parameters: Command Disallowed");
	assert_says(-EBUSY, &busy, "bluetoothctl scan off");
	struct hci_scan_failure bad = { "LE Set Scan Enable", 0x12 };
	assert_says(-EIO, &bad,
		    "refused LE Set Scan Enable: Invalid HCI Command Parameters (0x12)");
	struct hci_scan_failure silent = { "LE Set Scan Enable", 0 };
	assert_says(-ETIMEDOUT, &silent, "did not answer LE Set Scan Enable");
	assert_says(-EIO, &silent, "Input/output error");
	assert_string_equal(hci_scan_status_name(0x0C), "Command Disallowed");
	assert_string_equal(hci_scan_status_name(0x99), "an unknown error");
}

static void test_adapter_names(void **state)
{
	(void)state;
	assert_int_equal(hci_scan_adapter("wlan0"), -EINVAL);
	assert_int_equal(hci_scan_adapter("hci"), -EINVAL);
	assert_int_equal(hci_scan_adapter("hci1x"), -EINVAL);
	assert_int_equal(hci_scan_adapter("hci12345"), -EINVAL);
	/* Without Bluetooth in the kernel, the lookup says so rather than
	 * "no such adapter". */
	int probe = socket(AF_BLUETOOTH, SOCK_RAW, 1 /* BTPROTO_HCI */);
	if (probe >= 0) {
		close(probe);
		int id = hci_scan_adapter("hci250");
		assert_true(id == -ENODEV || id >= 0);
	} else if (errno == EAFNOSUPPORT) {
		assert_int_equal(hci_scan_adapter("hci0"), -EAFNOSUPPORT);
		assert_int_equal(hci_scan_adapter(NULL), -EAFNOSUPPORT);
	}
}

/* Feeds whole events through the parser into the scan table. */
static void feed(struct sensor_scan_table *t, const uint8_t *event, size_t len)
{
	struct hci_scan_report r[HCI_SCAN_MAX_REPORTS];
	int n = hci_scan_parse_event(event, len, r);
	assert_true(n >= 0);
	for (int i = 0; i < n; i++)
		sensor_scan_table_add(t, &r[i]);
}

/* One legacy report in an event; data at most 31 bytes. */
static size_t put_event(uint8_t *ev, uint8_t type, uint8_t addr_type, const uint8_t addr_be[6],
			const uint8_t *data, uint8_t len, int8_t rssi)
{
	uint8_t head[] = { 0x04, 0x3E, (uint8_t)(12 + len), 0x02, 0x01, type, addr_type };
	memcpy(ev, head, sizeof(head));
	for (int i = 0; i < 6; i++)
		ev[7 + i] = addr_be[5 - i];
	ev[13] = len;
	memcpy(ev + 14, data, len);
	ev[14 + len] = (uint8_t)rssi;
	return 15u + len;
}

/* What 'hamstride sensors scan' prints, from the bytes a controller sends:
 * reports merged per advertiser (scan response name, repeated
 * advertisements), strongest first, roles suggested, names made safe,
 * a malformed advertisement said so. */
static void test_scan_table(void **state)
{
	(void)state;
	struct sensor_scan_table t = { 0 };
	uint8_t ev[64];
	feed(&t, three_reports, sizeof(three_reports));
	feed(&t, three_reports, sizeof(three_reports)); /* scanning re-enabled: no new rows */

	static const uint8_t imu_addr[6] = { 0xE8, 0x11, 0x2A, 0x40, 0x0C, 0x51 };
	uint8_t imu[2 + 16 + 7] = { 0x11, 0x07 };
	struct gatt_uuid u;
	assert_true(gatt_uuid_parse(IMU_HS_SERVICE_UUID, &u));
	memcpy(imu + 2, u.bytes, 16);
	memcpy(imu + 18,
	       "\x06\x09L\x1b"
	       "eft",
	       7); /* an escape character in the name */
	feed(&t, ev, put_event(ev, 0x00, 0x01, imu_addr, imu, sizeof(imu), -40));

	static const uint8_t bad_addr[6] = { 0x00, 0x1A, 0x7D, 0xDA, 0x71, 0x13 };
	const uint8_t bad[] = { 0x02, 0x01, 0x06, 0x04, 0x03, 0x0D, 0x18, 0x0F };
	feed(&t, ev, put_event(ev, 0x00, 0x00, bad_addr, bad, sizeof(bad), -75));

	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	sensor_scan_table_print(&t, out);
	fclose(out);
	const char *want =
		"address            type    rssi  role                name   services\n"
		"E8:11:2A:40:0C:51  random   -40  imu-left|imu-right  L?eft  hamstride imu (494d5500-6861-6d73-7472-696465000000)\n"
		"C4:7C:8D:6A:1B:2E  random   -60  footpod             Pod1   running speed and cadence (1814)\n"
		"00:1A:7D:DA:71:13  public   -75  -                   -      (malformed advertisement: a 16-bit service UUID list is cut off)\n"
		"11:22:33:44:55:66  public     -  -                   -      -\n";
	if (strcmp(text, want) != 0)
		fail_msg("table differs:\n%s\nwanted:\n%s", text, want);
	free(text);
	sensor_scan_table_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_legacy_reports), cmocka_unit_test(test_truncated_events),
		cmocka_unit_test(test_other_packets),  cmocka_unit_test(test_extended_reports),
		cmocka_unit_test(test_messages),       cmocka_unit_test(test_adapter_names),
		cmocka_unit_test(test_scan_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
