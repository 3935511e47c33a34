// SPDX-License-Identifier: GPL-2.0-or-later
#include "ble/hci_scan.h"

#include "util/cursor.h"
#include "util/notification.h"

#include <bluetooth/bluetooth.h>
#include <bluetooth/hci.h>
#include <bluetooth/hci_lib.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ---- LE Advertising Report events (Core Vol 4 Part E 7.7.65.2, .13) ---- */

#define PACKET_EVENT 0x04
#define EVENT_LE_META 0x3E
#define SUBEVENT_ADVERTISING_REPORT 0x02
#define SUBEVENT_EXT_ADVERTISING_REPORT 0x0D
#define LEGACY_MAX_DATA 31
#define RSSI_NOT_AVAILABLE 127
#define ADDR_TYPE_ANONYMOUS 0xFF

enum {
	LEGACY_ADV_IND = 0x00,
	LEGACY_ADV_DIRECT_IND = 0x01,
	LEGACY_SCAN_RSP = 0x04,
};

enum {
	EXT_CONNECTABLE = 1 << 0,
	EXT_SCAN_RESPONSE = 1 << 3,
	EXT_DATA_STATUS_SHIFT = 5,
	EXT_DATA_STATUS_MASK = 3,
};

/* Address types 0x02 and 0x03 are identities the controller resolved:
 * public and static random, like 0x00 and 0x01. */
static uint8_t addr_type_from_hci(uint8_t type)
{
	return type & 1 ? NOTIFICATION_ADDR_RANDOM : NOTIFICATION_ADDR_PUBLIC;
}

static void set_rssi(struct hci_scan_report *r, uint8_t raw)
{
	r->rssi_known = raw != RSSI_NOT_AVAILABLE;
	r->rssi_dbm = (int8_t)raw;
}

/* Reports follow one another whole (type, address, data, RSSI), as every
 * controller sends them and the kernel reads them, although the spec's
 * tables draw each field as an array. */
static bool parse_legacy_report(struct cursor *c, struct hci_scan_report *r)
{
	uint8_t type, addr_type, rssi;
	const uint8_t *addr;
	if (!cursor_u8(c, &type) || !cursor_u8(c, &addr_type) ||
	    !cursor_bytes(c, HCI_SCAN_ADDR_LEN, &addr) || !cursor_u8(c, &r->data_len) ||
	    r->data_len > LEGACY_MAX_DATA || !cursor_bytes(c, r->data_len, &r->data) ||
	    !cursor_u8(c, &rssi))
		return false;
	memcpy(r->addr, addr, HCI_SCAN_ADDR_LEN);
	r->addr_type = addr_type_from_hci(addr_type);
	r->connectable = type == LEGACY_ADV_IND || type == LEGACY_ADV_DIRECT_IND;
	r->scan_response = type == LEGACY_SCAN_RSP;
	set_rssi(r, rssi);
	return true;
}

/* Returns false if the event is cut off; *keep false for a report
 * without an address. */
static bool parse_ext_report(struct cursor *c, struct hci_scan_report *r, bool *keep)
{
	uint16_t type;
	uint8_t addr_type, rssi;
	const uint8_t *addr;
	/* Primary and secondary PHY, SID, TX power, then after the RSSI the
	 * periodic interval and the direct address with its type. */
	if (!cursor_le16(c, &type) || !cursor_u8(c, &addr_type) ||
	    !cursor_bytes(c, HCI_SCAN_ADDR_LEN, &addr) || !cursor_skip(c, 4) ||
	    !cursor_u8(c, &rssi) || !cursor_skip(c, 2 + 1 + HCI_SCAN_ADDR_LEN) ||
	    !cursor_u8(c, &r->data_len) || !cursor_bytes(c, r->data_len, &r->data))
		return false;
	memcpy(r->addr, addr, HCI_SCAN_ADDR_LEN);
	r->addr_type = addr_type_from_hci(addr_type);
	r->connectable = type & EXT_CONNECTABLE;
	r->scan_response = type & EXT_SCAN_RESPONSE;
	r->extended = true;
	r->data_incomplete = (type >> EXT_DATA_STATUS_SHIFT & EXT_DATA_STATUS_MASK) != 0;
	set_rssi(r, rssi);
	*keep = addr_type != ADDR_TYPE_ANONYMOUS;
	return true;
}

int hci_scan_parse_event(const uint8_t *buf, size_t len,
			 struct hci_scan_report out[HCI_SCAN_MAX_REPORTS])
{
	struct hci_scan_report reports[HCI_SCAN_MAX_REPORTS];
	uint8_t packet, event, plen, subevent, count;
	const uint8_t *params;
	struct cursor whole = cursor_init(buf, len);

	if (!cursor_u8(&whole, &packet) || packet != PACKET_EVENT)
		return 0;
	if (!cursor_u8(&whole, &event) || !cursor_u8(&whole, &plen) ||
	    !cursor_bytes(&whole, plen, &params))
		return -EBADMSG;
	struct cursor c = cursor_init(params, plen);
	if (event != EVENT_LE_META)
		return 0;
	if (!cursor_u8(&c, &subevent))
		return -EBADMSG;
	if (subevent != SUBEVENT_ADVERTISING_REPORT && subevent != SUBEVENT_EXT_ADVERTISING_REPORT)
		return 0;
	if (!cursor_u8(&c, &count) || count > HCI_SCAN_MAX_REPORTS)
		return -EBADMSG;
	size_t kept = 0;
	for (unsigned i = 0; i < count; i++) {
		struct hci_scan_report r = { 0 };
		bool keep = true;
		bool ok = subevent == SUBEVENT_ADVERTISING_REPORT ? parse_legacy_report(&c, &r)
								  : parse_ext_report(&c, &r, &keep);
		if (!ok)
			return -EBADMSG;
		if (keep)
			reports[kept++] = r;
	}
	memcpy(out, reports, kept * sizeof(reports[0]));
	return (int)kept;
}

/* ---- The adapter ---- */

/* "hci" and a device number of at most 4 digits. */
static bool valid_adapter_name(const char *name)
{
	size_t digits = strspn(name + 3, "0123456789");
	return strncmp(name, "hci", 3) == 0 && digits >= 1 && digits <= 4 &&
	       name[3 + digits] == '\0';
}

int hci_scan_adapter(const char *name)
{
	if (name && !valid_adapter_name(name))
		return -EINVAL;
	/* Ask the kernel directly first: libbluetooth's lookups turn a
	 * missing address family into a vaguer error. */
	int probe = socket(AF_BLUETOOTH, SOCK_RAW | SOCK_CLOEXEC, BTPROTO_HCI);
	if (probe < 0)
		return -errno;
	close(probe);
	if (!name) {
		int id = hci_get_route(NULL);
		if (id >= 0)
			return id;
		name = "hci0";
	}
	int id = hci_devid(name);
	if (id < 0)
		return errno ? -errno : -ENODEV;
	return id;
}

/* ---- The scan ---- */

#define COMMAND_TIMEOUT_MS 1000
#define REENABLE_INTERVAL_MS 1000
/* At most this long between looks at *stop, should a signal land just
 * before poll(). */
#define STOP_CHECK_MS 250
/* 30 ms windows every 30 ms: listen all the time, in 0.625 ms units. */
#define SCAN_INTERVAL 0x0030
#define SCAN_WINDOW 0x0030

static int le_command(int dd, uint16_t ocf, const char *name, void *params, int len,
		      struct hci_scan_failure *failure)
{
	uint8_t status = 0;
	struct hci_request rq = {
		.ogf = OGF_LE_CTL,
		.ocf = ocf,
		.cparam = params,
		.clen = len,
		.rparam = &status,
		.rlen = 1,
	};
	failure->command = name;
	failure->status = 0;
	errno = 0;
	if (hci_send_req(dd, &rq, COMMAND_TIMEOUT_MS) < 0)
		return errno ? -errno : -EIO;
	failure->status = status;
	if (status == HCI_COMMAND_DISALLOWED)
		return -EBUSY;
	if (status)
		return -EIO;
	failure->command = NULL;
	return 0;
}

static int set_scan_enable(int dd, bool enable, struct hci_scan_failure *failure)
{
	le_set_scan_enable_cp cp = { .enable = enable, .filter_dup = 1 };
	return le_command(dd, OCF_LE_SET_SCAN_ENABLE, "LE Set Scan Enable", &cp, sizeof(cp),
			  failure);
}

static int set_scan_parameters(int dd, struct hci_scan_failure *failure)
{
	le_set_scan_parameters_cp cp = {
		.type = 0x01, /* active: ask for scan responses, where names often are */
		.interval = htobs(SCAN_INTERVAL),
		.window = htobs(SCAN_WINDOW),
		.own_bdaddr_type = LE_PUBLIC_ADDRESS,
		.filter = 0x00, /* everyone, not only the accept list */
	};
	return le_command(dd, OCF_LE_SET_SCAN_PARAMETERS, "LE Set Scan Parameters", &cp, sizeof(cp),
			  failure);
}

static int64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for and hands on the reports until the deadline or *stop. */
static int receive_reports(int dd, unsigned seconds, hci_scan_report_fn fn, void *user,
			   const volatile sig_atomic_t *stop, struct hci_scan_failure *failure)
{
	int64_t now = monotonic_ms();
	int64_t deadline = now + (int64_t)seconds * 1000, next_enable = now + REENABLE_INTERVAL_MS;
	uint8_t buf[HCI_MAX_EVENT_SIZE + 1];
	struct hci_scan_report reports[HCI_SCAN_MAX_REPORTS];
	int err;

	while (!(stop && *stop) && (now = monotonic_ms()) < deadline) {
		if (now >= next_enable) {
			if ((err = set_scan_enable(dd, false, failure)) < 0 ||
			    (err = set_scan_enable(dd, true, failure)) < 0)
				return err;
			next_enable += REENABLE_INTERVAL_MS;
		}
		int64_t until = deadline < next_enable ? deadline : next_enable;
		int wait = (int)(until - now < STOP_CHECK_MS ? until - now : STOP_CHECK_MS);
		struct pollfd p = { .fd = dd, .events = POLLIN };
		int ready = poll(&p, 1, wait < 0 ? 0 : wait);
		if (ready < 0 && errno != EINTR)
			return -errno;
		if (ready <= 0)
			continue;
		ssize_t n = read(dd, buf, sizeof(buf));
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			return -errno;
		int count = n > 0 ? hci_scan_parse_event(buf, (size_t)n, reports) : 0;
		for (int i = 0; i < count; i++)
			fn(user, &reports[i]);
	}
	return 0;
}

int hci_scan_run(int dev_id, unsigned seconds, hci_scan_report_fn fn, void *user,
		 const volatile sig_atomic_t *stop, struct hci_scan_failure *failure)
{
	struct hci_scan_failure ignored;
	if (!failure)
		failure = &ignored;
	*failure = (struct hci_scan_failure){ 0 };
	int dd = hci_open_dev(dev_id);
	if (dd < 0)
		return -errno;

	struct hci_filter old, only_le;
	socklen_t old_len = sizeof(old);
	int err = 0;
	if (getsockopt(dd, SOL_HCI, HCI_FILTER, &old, &old_len) < 0) {
		err = -errno;
		hci_close_dev(dd);
		return err;
	}
	hci_filter_clear(&only_le);
	hci_filter_set_ptype(HCI_EVENT_PKT, &only_le);
	hci_filter_set_event(EVT_LE_META_EVENT, &only_le);
	if (setsockopt(dd, SOL_HCI, HCI_FILTER, &only_le, sizeof(only_le)) < 0)
		err = -errno;
	/* A controller already scanning refuses new parameters: someone
	 * else's scan, which is theirs to stop, not ours. */
	bool enabled = false;
	if (!err)
		err = set_scan_parameters(dd, failure);
	if (!err && !(err = set_scan_enable(dd, true, failure)))
		enabled = true;
	if (!err)
		err = receive_reports(dd, seconds, fn, user, stop, failure);
	if (enabled) {
		struct hci_scan_failure off;
		int off_err = set_scan_enable(dd, false, &off);
		if (!err && off_err) {
			err = off_err;
			*failure = off;
		}
	}
	setsockopt(dd, SOL_HCI, HCI_FILTER, &old, sizeof(old));
	hci_close_dev(dd);
	return err;
}

/* ---- Messages ---- */

const char *hci_scan_status_name(uint8_t status)
{
	/* The ones a scan can meet (Core Vol 1 Part F 1.3). */
	switch (status) {
	case 0x00:
		return "Success";
	case 0x01:
		return "Unknown HCI Command";
	case 0x03:
		return "Hardware Failure";
	case 0x07:
		return "Memory Capacity Exceeded";
	case 0x0C:
		return "Command Disallowed";
	case 0x0D:
		return "Connection Rejected due to Limited Resources";
	case 0x11:
		return "Unsupported Feature or Parameter Value";
	case 0x12:
		return "Invalid HCI Command Parameters";
	case 0x1F:
		return "Unspecified Error";
	case 0x3A:
		return "Controller Busy";
	default:
		return "an unknown error";
	}
}

const char *hci_scan_strerror(int err, const char *adapter, const struct hci_scan_failure *failure,
			      char *buf, size_t size)
{
	const char *command = failure && failure->command ? failure->command : "a command";
	switch (err) {
	case -EINVAL:
		snprintf(buf, size, "'%s' is not an adapter name: give hci0, hci1, ...", adapter);
		break;
	case -EAFNOSUPPORT:
		snprintf(buf, size,
			 "this kernel has no Bluetooth support (no AF_BLUETOOTH sockets): "
			 "load the bluetooth module (modprobe bluetooth) or use a kernel "
			 "built with it");
		break;
	case -ENODEV:
		snprintf(buf, size,
			 "no Bluetooth adapter %s ('btmgmt info' or 'hciconfig' lists "
			 "the adapters)",
			 adapter);
		break;
	case -ENETDOWN:
	case -ERFKILL:
		snprintf(buf, size,
			 "Bluetooth adapter %s is down: power it on ('bluetoothctl power "
			 "on', or 'btmgmt --index N power on'; 'rfkill list' shows a "
			 "blocked radio)",
			 adapter);
		break;
	case -EPERM:
	case -EACCES:
		snprintf(buf, size,
			 "not allowed to scan on %s: scanning needs CAP_NET_RAW and "
			 "CAP_NET_ADMIN; run it with sudo, or once: sudo setcap "
			 "cap_net_raw,cap_net_admin+ep $(command -v hamstride)",
			 adapter);
		break;
	case -EBUSY:
		snprintf(buf, size,
			 "%s refused %s: Command Disallowed: it is already scanning, most "
			 "likely for bluetoothd. Stop that scan ('bluetoothctl scan off', "
			 "or stop bluetoothd while you scan: sudo systemctl stop bluetooth), "
			 "or scan on another adapter with --adapter",
			 adapter, command);
		break;
	case -EIO:
		if (failure && failure->status) {
			snprintf(buf, size, "%s refused %s: %s (0x%02X)", adapter, command,
				 hci_scan_status_name(failure->status), failure->status);
			break;
		}
		snprintf(buf, size, "scanning on %s failed: %s", adapter, strerror(-err));
		break;
	case -ETIMEDOUT:
		snprintf(buf, size,
			 "%s did not answer %s within %d ms: is the controller hung? "
			 "('btmgmt --index N power off', then on)",
			 adapter, command, COMMAND_TIMEOUT_MS);
		break;
	default:
		snprintf(buf, size, "scanning on %s failed: %s", adapter, strerror(-err));
		break;
	}
	return buf;
}
