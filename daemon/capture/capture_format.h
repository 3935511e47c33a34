/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The btsnoop layout and the HCI, L2CAP and ATT numbers that the capture
 * reader and writer share (BlueZ src/shared/btsnoop.h, Bluetooth Core
 * Vol 4 Part E, Vol 3 Parts A and F). Internal to daemon/capture/.
 */
#pragma once

#include <stdint.h>

#include "capture/capture.h"

/*
 * btsnoop timestamps count microseconds "since year 0"; this is 1970-01-01
 * on that scale as every tool writes and reads it: Wireshark's KUnixTimeBase,
 * Android's BTSNOOP_EPOCH_DELTA, and BlueZ's 0x00E03AB44A676000 for
 * 2000-01-01 minus 946684800 s. It is 719540 days, 12 more than the
 * proleptic Gregorian calendar gives, so it is a convention to match, not a
 * date to compute: a "correct" value would shift every time by 12 days
 * against btmon and Wireshark.
 */
#define BTSNOOP_UNIX_EPOCH_US INT64_C(0x00dcddb30f2f8000)

enum {
	BTSNOOP_HDR_LEN = 16,
	BTSNOOP_REC_HDR_LEN = 24,
	BTSNOOP_VERSION = 1,
	DATALINK_HCI = 1001,
	DATALINK_H4 = 1002,
	DATALINK_MONITOR = 2001,
};

static const uint8_t btsnoop_magic[8] = { 'b', 't', 's', 'n', 'o', 'o', 'p', 0 };

/* Opcodes of the Linux monitor format (BlueZ src/shared/btsnoop.h). */
enum {
	MON_NEW_INDEX = 0,
	MON_DEL_INDEX = 1,
	MON_COMMAND = 2,
	MON_EVENT = 3,
	MON_ACL_TX = 4,
	MON_ACL_RX = 5,
	MON_OPEN_INDEX = 8,
	MON_SYSTEM_NOTE = 12,
};
#define MON_INDEX_NONE 0xffff

enum { H4_COMMAND = 0x01, H4_ACL = 0x02, H4_EVENT = 0x04 };

enum {
	EVT_DISCONN_COMPLETE = 0x05,
	EVT_LE_META = 0x3e,
	LE_CONN_COMPLETE = 0x01,
	LE_ENH_CONN_COMPLETE = 0x0a,
	LE_ENH_CONN_COMPLETE_V2 = 0x29,
};

enum {
	ACL_PB_START_NO_FLUSH = 0x0,
	ACL_PB_CONTINUATION = 0x1,
	ACL_PB_START = 0x2,
	ACL_HANDLE_MASK = 0x0fff,
	L2CAP_HDR_LEN = 4,
	L2CAP_CID_ATT = 0x0004,
};

enum {
	ATT_ERROR_RSP = 0x01,
	ATT_READ_BY_TYPE_REQ = 0x08,
	ATT_READ_BY_TYPE_RSP = 0x09,
	ATT_HANDLE_VALUE_NTF = 0x1b,
	ATT_HANDLE_VALUE_IND = 0x1d,
	ATT_MULTIPLE_HANDLE_VALUE_NTF = 0x23,
	GATT_CHARACTERISTIC_UUID = 0x2803,
	GATT_CHAR_PROP_NOTIFY = 0x10,
};

/* An HCI ACL packet (4-byte header, 16-bit length) plus the H4 type byte. */
#define RECORD_MAX (1 + 4 + 65535)
#define PDU_MAX (L2CAP_HDR_LEN + 3 + CAPTURE_VALUE_MAX)
