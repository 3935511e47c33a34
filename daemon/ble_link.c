// SPDX-License-Identifier: GPL-2.0-or-later
#include "ble_link.h"

#include "notification.h"

#include <bluetooth/bluetooth.h>
#include <bluetooth/hci.h>
#include <bluetooth/hci_lib.h>
#include <bluetooth/l2cap.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define ATT_CID 4

int ble_link_open(const uint8_t adapter[BLE_LINK_ADDR_LEN], const uint8_t peer[BLE_LINK_ADDR_LEN],
		  uint8_t addr_type)
{
	if (addr_type != NOTIFICATION_ADDR_PUBLIC && addr_type != NOTIFICATION_ADDR_RANDOM)
		return -EINVAL;
	int fd = socket(AF_BLUETOOTH, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC,
			BTPROTO_L2CAP);
	if (fd < 0)
		return -errno;
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
		.l2_bdaddr_type = addr_type == NOTIFICATION_ADDR_RANDOM ? BDADDR_LE_RANDOM
									: BDADDR_LE_PUBLIC,
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

int ble_link_request_conn_update(int dev_id, uint16_t handle,
				 const struct ble_link_conn_params *p, int timeout_ms)
{
	const char *why;
	if (dev_id < 0 || handle > 0x0EFF || timeout_ms <= 0 || !ble_link_conn_params_valid(p, &why))
		return -EINVAL;
	int dd = hci_open_dev(dev_id);
	if (dd < 0)
		return -errno;
	int ret = 0;
	if (hci_le_conn_update(dd, handle, p->interval_min, p->interval_max, p->latency,
			       p->supervision_timeout, timeout_ms) < 0)
		ret = errno ? -errno : -EIO;
	hci_close_dev(dd);
	return ret;
}
