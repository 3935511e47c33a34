/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Linux side of a live sensor link, for the owner of an att bearer:
 * open an LE L2CAP socket on the ATT fixed channel, learn its receive MTU
 * and HCI handle, and ask the controller for a shorter connection interval.
 *
 * Only argument checking is unit-tested; the rest needs a kernel with
 * AF_BLUETOOTH and a controller (see the BLE-TESTING notes for a VM).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define BLE_LINK_ADDR_LEN 6

/* Connection parameters in HCI units (Core Vol 4 Part E 7.8.18). */
struct ble_link_conn_params {
	uint16_t interval_min;        /* 1.25 ms units, 6..3200 */
	uint16_t interval_max;        /* 1.25 ms units, interval_min..3200 */
	uint16_t latency;             /* connection events the peripheral may skip, 0..499 */
	uint16_t supervision_timeout; /* 10 ms units, 10..3200 */
};

/* Opens a non-blocking SOCK_SEQPACKET L2CAP socket bound to the adapter's
 * own public address on CID 4 and starts connecting to the peer, whose
 * addr_type is NOTIFICATION_ADDR_PUBLIC or _RANDOM. Addresses are
 * little-endian as in bdaddr_t. Returns the descriptor (connecting: wait
 * for it to become writable, then call ble_link_connect_result) or a
 * negative errno; -EINVAL for a bad address type. */
int ble_link_open(const uint8_t adapter[BLE_LINK_ADDR_LEN], const uint8_t peer[BLE_LINK_ADDR_LEN],
		  uint8_t addr_type);
/* 0 once connected, else the connect error as a negative errno. */
int ble_link_connect_result(int fd);
/* The largest PDU the socket accepts (672 by default on the ATT channel):
 * ask for no more than this in att_new(). A negative errno on failure. */
int ble_link_rx_mtu(int fd);
/* The HCI connection handle, for ble_link_request_conn_update. */
int ble_link_hci_handle(int fd, uint16_t *handle);

/* Converts intervals in microseconds (rounded down to 1.25 ms steps, so
 * the maximum is never exceeded) and a timeout in milliseconds; false with
 * *why set when the result is out of the ranges the spec allows or the
 * timeout is too short for the interval and latency. */
bool ble_link_conn_params_from_us(uint32_t interval_min_us, uint32_t interval_max_us,
				  uint16_t latency, uint32_t timeout_ms,
				  struct ble_link_conn_params *out, const char **why);
bool ble_link_conn_params_valid(const struct ble_link_conn_params *p, const char **why);

/* Sends HCI LE Connection Update on adapter dev_id (hci0 is 0) through
 * libbluetooth and waits up to timeout_ms for the controller to report it
 * done, blocking the caller meanwhile: keep timeout_ms short, or call it
 * from a worker. Needs CAP_NET_RAW. 0 or a negative errno; -EINVAL for bad
 * parameters. The peripheral may refuse or later ask for other values. */
int ble_link_request_conn_update(int dev_id, uint16_t handle,
				 const struct ble_link_conn_params *p, int timeout_ms);
