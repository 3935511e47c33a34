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
#include <stddef.h>
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
/* The largest PDU the socket accepts (L2CAP_OPTIONS imtu): ask for no
 * more than this in att_new(). A negative errno on failure. */
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

/* "hci0" -> 0; -EINVAL unless "hci" and a number 0..1023. */
int ble_link_adapter_parse(const char *name);
/* The adapter's own address (little-endian, as bdaddr_t): 0, -ENODEV if
 * there is no such adapter, or another negative errno. */
int ble_link_adapter_address(int dev_id, uint8_t out[BLE_LINK_ADDR_LEN]);

/*
 * Connection parameters without blocking the event loop: libbluetooth's
 * hci_le_conn_update() waits for the controller's answer, so instead a
 * non-blocking raw HCI socket on the adapter sends the command and the loop
 * reads the answer when it comes (Command Status, then LE Connection Update
 * Complete). Sending the command needs CAP_NET_RAW (-EPERM without); the
 * adapter itself is neither powered nor reconfigured.
 */
/* The socket, filtered to the events below; a negative errno. */
int ble_link_hci_open(int dev_id);
/* Queues HCI LE Connection Update for the connection; does not wait.
 * 0, -EINVAL for bad parameters or handle, or the write's errno. */
int ble_link_hci_send_conn_update(int hci_fd, uint16_t handle,
				  const struct ble_link_conn_params *p);

enum ble_link_hci_event_type {
	BLE_LINK_HCI_CONN_UPDATE_STATUS,   /* Command Status for the request */
	BLE_LINK_HCI_CONN_UPDATE_COMPLETE, /* LE Connection Update Complete */
};
struct ble_link_hci_event {
	enum ble_link_hci_event_type type;
	uint8_t status;    /* 0 success, else an HCI error code */
	uint16_t handle;   /* COMPLETE only */
	uint16_t interval; /* COMPLETE only, 1.25 ms units */
	uint16_t latency;
	uint16_t supervision_timeout; /* 10 ms units */
};
/* One packet as read from the HCI socket (packet type byte first); false
 * if it is not one of these events or is malformed. */
bool ble_link_hci_parse_event(const uint8_t *buf, size_t len, struct ble_link_hci_event *out);
