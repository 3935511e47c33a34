/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An LE scan on a raw HCI socket through libbluetooth, for finding the
 * runner's sensors: the adapter lookup, the scan itself and the parser of
 * the LE Advertising Report events it yields.
 *
 * The parser and the messages are pure and unit-tested; the scan needs a
 * kernel with AF_BLUETOOTH and a controller (see the BLE-TESTING notes).
 */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HCI_SCAN_ADDR_LEN 6
/* An event has at most 255 parameter bytes and a legacy report at least
 * 10, so no event holds more than 25 reports. */
#define HCI_SCAN_MAX_REPORTS 25

/* One advertisement or scan response as the controller reported it. */
struct hci_scan_report {
	uint8_t addr[HCI_SCAN_ADDR_LEN]; /* little-endian, as bdaddr_t */
	uint8_t addr_type;               /* NOTIFICATION_ADDR_PUBLIC or _RANDOM */
	bool connectable;
	bool scan_response;
	bool extended;        /* from an LE Extended Advertising Report */
	bool data_incomplete; /* extended: the rest follows or was cut */
	bool rssi_known;
	int8_t rssi_dbm;
	uint8_t data_len;
	const uint8_t *data; /* AD structures; points into the event */
};

/* Parses one packet as read from a raw HCI socket (packet type byte
 * first). Returns how many advertising reports it held (0 for any other
 * packet or event), with out[] filled and pointing into buf, or -EBADMSG
 * when the event is truncated or its lengths disagree; then out[] is left
 * as it was. Reports with an anonymous address are skipped. */
int hci_scan_parse_event(const uint8_t *buf, size_t len,
			 struct hci_scan_report out[HCI_SCAN_MAX_REPORTS]);

/* The adapter to scan on: "hciN", or NULL for the first one that is up
 * (hci0 if none is). Returns its device number, or -EINVAL (not an
 * adapter name), -EAFNOSUPPORT (this kernel has no Bluetooth), -ENODEV (no
 * such adapter), -ENETDOWN (the adapter is down). */
int hci_scan_adapter(const char *name);

/* Which command the controller refused, and how (a Core Vol 1 Part F error
 * code). */
struct hci_scan_failure {
	const char *command; /* "LE Set Scan Parameters", ...; NULL if none */
	uint8_t status;      /* 0: no answer or a socket error */
};

typedef void (*hci_scan_report_fn)(void *user, const struct hci_scan_report *report);

/* Scans actively for `seconds` on adapter dev_id, calling fn for every
 * report, and stops early once *stop is non-zero (set it from a signal
 * handler installed without SA_RESTART). Scanning is re-enabled about once a
 * second: an emulated controller (btvirt) reports each advertiser once per
 * enable, and a radio's duplicate filter starts afresh. On the way out,
 * also after a failure, it disables the scan it enabled and puts back the
 * socket's event filter; a controller that was already scanning refuses
 * the scan parameters (-EBUSY) and is left alone. Returns 0 or a negative
 * errno: -EBUSY (Command Disallowed), -EIO (another refusal), -ETIMEDOUT,
 * -EPERM / -EACCES (no CAP_NET_RAW); *failure says which command. */
int hci_scan_run(int dev_id, unsigned seconds, hci_scan_report_fn fn, void *user,
		 const volatile sig_atomic_t *stop, struct hci_scan_failure *failure);

/* The Core spec's name of an HCI error code: "Command Disallowed". */
const char *hci_scan_status_name(uint8_t status);

/* What went wrong and what to do, for the errors above: adapter names the
 * adapter ("hci1"). */
const char *hci_scan_strerror(int err, const char *adapter, const struct hci_scan_failure *failure,
			      char *buf, size_t size);
