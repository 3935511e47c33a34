// SPDX-License-Identifier: GPL-2.0-or-later
#include "ble/ble_link.h"

#include "util/cursor.h"
#include "util/notification.h"

#include <bluetooth/bluetooth.h>
#include <bluetooth/hci.h>
#include <bluetooth/hci_lib.h>
#include <bluetooth/l2cap.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define ATT_CID 4
/* The kernel drops an LE notification silently when the socket's receive
 * queue is full (basic L2CAP mode has no flow control). The default
 * (net.core.rmem_default, ~208 KiB of socket buffers) holds about 200
 * notifications, a few seconds of two 400 Hz IMUs: a slow disk commit on
 * an SD card could outlast it. */
#define RECEIVE_BUFFER_BYTES (2 * 1024 * 1024)

/* SO_RCVBUFFORCE passes net.core.rmem_max with CAP_NET_ADMIN, which the
 * service has; without it, SO_RCVBUF gets as much as the limit allows. */
static void enlarge_receive_buffer(int fd)
{
	int bytes = RECEIVE_BUFFER_BYTES;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
}

int ble_link_open(const uint8_t adapter[BLE_LINK_ADDR_LEN], const uint8_t peer[BLE_LINK_ADDR_LEN],
		  uint8_t addr_type)
{
	if (addr_type != NOTIFICATION_ADDR_PUBLIC && addr_type != NOTIFICATION_ADDR_RANDOM)
		return -EINVAL;
	int fd = socket(AF_BLUETOOTH, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, BTPROTO_L2CAP);
	if (fd < 0)
		return -errno;
	enlarge_receive_buffer(fd);
	struct sockaddr_l2 local = {
		.l2_family = AF_BLUETOOTH,
		.l2_cid = htobs(ATT_CID),
		.l2_bdaddr_type = BDADDR_LE_PUBLIC,
	};
	memcpy(&local.l2_bdaddr, adapter, BLE_LINK_ADDR_LEN);
	if (bind(fd, (struct sockaddr *)&local, sizeof(local)) < 0)
		goto fail;
	struct sockaddr_l2 remote = {
		.l2_family = AF_BLUETOOTH,
		.l2_cid = htobs(ATT_CID),
		.l2_bdaddr_type =
			addr_type == NOTIFICATION_ADDR_RANDOM ? BDADDR_LE_RANDOM : BDADDR_LE_PUBLIC,
	};
	memcpy(&remote.l2_bdaddr, peer, BLE_LINK_ADDR_LEN);
	if (connect(fd, (struct sockaddr *)&remote, sizeof(remote)) < 0 && errno != EINPROGRESS)
		goto fail;
	return fd;
fail:;
	int err = errno;
	close(fd);
	return -err;
}

int ble_link_connect_result(int fd)
{
	int err = 0;
	socklen_t len = sizeof(err);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return -errno;
	return -err;
}

int ble_link_rx_mtu(int fd)
{
	struct l2cap_options opts = { 0 };
	socklen_t len = sizeof(opts);
	if (getsockopt(fd, SOL_L2CAP, L2CAP_OPTIONS, &opts, &len) < 0)
		return -errno;
	return opts.imtu;
}

int ble_link_hci_handle(int fd, uint16_t *handle)
{
	struct l2cap_conninfo info = { 0 };
	socklen_t len = sizeof(info);
	if (getsockopt(fd, SOL_L2CAP, L2CAP_CONNINFO, &info, &len) < 0)
		return -errno;
	*handle = info.hci_handle;
	return 0;
}

bool ble_link_conn_params_valid(const struct ble_link_conn_params *p, const char **why)
{
	if (p->interval_min < 6 || p->interval_max > 3200 || p->interval_min > p->interval_max) {
		*why = "connection interval must be 7.5 ms to 4 s, minimum no more than maximum";
		return false;
	}
	if (p->latency > 499) {
		*why = "peripheral latency must be at most 499 connection events";
		return false;
	}
	if (p->supervision_timeout < 10 || p->supervision_timeout > 3200) {
		*why = "supervision timeout must be 100 ms to 32 s";
		return false;
	}
	/* Core Vol 6 Part B 4.5.2: the link must survive the longest gap the
	 * latency allows, twice over. In 10 ms units against 1.25 ms units. */
	uint32_t needed_x8 = (1u + p->latency) * p->interval_max * 2u;
	if ((uint32_t)p->supervision_timeout * 8u <= needed_x8) {
		*why = "supervision timeout must exceed (1 + latency) * maximum interval * 2";
		return false;
	}
	*why = NULL;
	return true;
}

bool ble_link_conn_params_from_us(uint32_t interval_min_us, uint32_t interval_max_us,
				  uint16_t latency, uint32_t timeout_ms,
				  struct ble_link_conn_params *out, const char **why)
{
	/* Out-of-range inputs saturate so that validation, not wrap-around,
	 * rejects them. */
	uint32_t min = interval_min_us / 1250, max = interval_max_us / 1250;
	uint32_t timeout = timeout_ms / 10;
	struct ble_link_conn_params p = {
		.interval_min = (uint16_t)(min > UINT16_MAX ? UINT16_MAX : min),
		.interval_max = (uint16_t)(max > UINT16_MAX ? UINT16_MAX : max),
		.latency = latency,
		.supervision_timeout = (uint16_t)(timeout > UINT16_MAX ? UINT16_MAX : timeout),
	};
	if (!ble_link_conn_params_valid(&p, why))
		return false;
	*out = p;
	return true;
}

int ble_link_adapter_parse(const char *name)
{
	char *end;
	if (strncmp(name, "hci", 3) != 0 || name[3] < '0' || name[3] > '9')
		return -EINVAL;
	errno = 0;
	long id = strtol(name + 3, &end, 10);
	if (errno || *end || id > 1023)
		return -EINVAL;
	return (int)id;
}

int ble_link_adapter_address(int dev_id, uint8_t out[BLE_LINK_ADDR_LEN])
{
	int fd = socket(AF_BLUETOOTH, SOCK_RAW | SOCK_CLOEXEC, BTPROTO_HCI);
	if (fd < 0)
		return -errno;
	struct hci_dev_info info = { .dev_id = (uint16_t)dev_id };
	int err = ioctl(fd, HCIGETDEVINFO, &info) < 0 ? -errno : 0;
	close(fd);
	if (err == 0)
		memcpy(out, &info.bdaddr, BLE_LINK_ADDR_LEN);
	return err;
}

#define LE_CONN_UPDATE_OPCODE ((uint16_t)(0x08 << 10 | 0x0013))
#define EVENT_CMD_STATUS 0x0F
#define EVENT_LE_META 0x3E
#define LE_CONN_UPDATE_COMPLETE 0x03

int ble_link_hci_open(int dev_id)
{
	int fd = socket(AF_BLUETOOTH, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, BTPROTO_HCI);
	if (fd < 0)
		return -errno;
	struct sockaddr_hci addr = { .hci_family = AF_BLUETOOTH,
				     .hci_dev = (uint16_t)dev_id,
				     .hci_channel = HCI_CHANNEL_RAW };
	struct hci_filter filter;
	hci_filter_clear(&filter);
	hci_filter_set_ptype(HCI_EVENT_PKT, &filter);
	hci_filter_set_event(EVENT_CMD_STATUS, &filter);
	hci_filter_set_event(EVENT_LE_META, &filter);
	hci_filter_set_opcode(htobs(LE_CONN_UPDATE_OPCODE), &filter);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    setsockopt(fd, SOL_HCI, HCI_FILTER, &filter, sizeof(filter)) < 0) {
		int err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

int ble_link_hci_send_conn_update(int hci_fd, uint16_t handle, const struct ble_link_conn_params *p)
{
	const char *why;
	if (handle > 0x0EFF || !ble_link_conn_params_valid(p, &why))
		return -EINVAL;
	/* Packet type, opcode, length, then Core Vol 4 Part E 7.8.18; the
	 * connection event length is left to the controller (0). */
	uint8_t pkt[4 + 14] = { HCI_COMMAND_PKT, 0, 0, 14 };
	put_le16(pkt + 1, LE_CONN_UPDATE_OPCODE);
	put_le16(pkt + 4, handle);
	put_le16(pkt + 6, p->interval_min);
	put_le16(pkt + 8, p->interval_max);
	put_le16(pkt + 10, p->latency);
	put_le16(pkt + 12, p->supervision_timeout);
	ssize_t n = write(hci_fd, pkt, sizeof(pkt));
	if (n == (ssize_t)sizeof(pkt))
		return 0;
	return n < 0 ? -errno : -EIO;
}

bool ble_link_hci_parse_event(const uint8_t *buf, size_t len, struct ble_link_hci_event *out)
{
	struct cursor c = cursor_init(buf, len);
	uint8_t type, code, plen, status;
	if (!cursor_u8(&c, &type) || type != HCI_EVENT_PKT || !cursor_u8(&c, &code) ||
	    !cursor_u8(&c, &plen) || cursor_remaining(&c) < plen)
		return false;
	struct ble_link_hci_event ev = { 0 };
	if (code == EVENT_CMD_STATUS) {
		uint8_t ncmd;
		uint16_t opcode;
		if (plen < 4 || !cursor_u8(&c, &status) || !cursor_u8(&c, &ncmd) ||
		    !cursor_le16(&c, &opcode) || opcode != LE_CONN_UPDATE_OPCODE)
			return false;
		ev.type = BLE_LINK_HCI_CONN_UPDATE_STATUS;
		ev.status = status;
	} else if (code == EVENT_LE_META) {
		uint8_t sub;
		if (plen < 10 || !cursor_u8(&c, &sub) || sub != LE_CONN_UPDATE_COMPLETE ||
		    !cursor_u8(&c, &status) || !cursor_le16(&c, &ev.handle) ||
		    !cursor_le16(&c, &ev.interval) || !cursor_le16(&c, &ev.latency) ||
		    !cursor_le16(&c, &ev.supervision_timeout))
			return false;
		ev.type = BLE_LINK_HCI_CONN_UPDATE_COMPLETE;
		ev.status = status;
		ev.handle &= 0x0FFF;
	} else {
		return false;
	}
	*out = ev;
	return true;
}
