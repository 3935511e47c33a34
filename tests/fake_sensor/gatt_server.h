/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small ATT/GATT server for the fake sensor: enough of the server role of
 * Core Specification Vol 3 Parts F and G for hamstride's client to discover,
 * read, write, subscribe and receive notifications and indications.
 *
 * Like daemon/ble/att.c it works on any connected descriptor that carries one
 * ATT PDU per message (an LE L2CAP socket on CID 4, or one end of
 * socketpair(AF_UNIX, SOCK_SEQPACKET) in tests) and never polls, sleeps or
 * reads a clock: the owner calls gatt_server_process_readable() when the
 * descriptor is readable. The database is built once and outlives
 * connections; attach a new descriptor after each reconnection, which
 * starts again at the default MTU with every CCCD cleared (an unbonded
 * client subscribes again, Core Vol 3 Part G 3.3.3.3).
 *
 * Supported requests: Exchange MTU, Find Information, Find By Type Value,
 * Read By Type, Read, Read Blob, Read By Group Type, Write Request, Write
 * Command and Handle Value Confirmation. Other requests get Request Not
 * Supported; malformed ones Invalid PDU; bad ranges Invalid Handle.
 */
#pragma once

#include "util/notification.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The default ATT MTU on LE and the largest value an attribute may have. */
#define GATT_SERVER_MTU_MIN 23
#define GATT_SERVER_MTU_MAX 517
#define GATT_SERVER_VALUE_MAX 512
/* Enough for a sensor with a few services; gatt_server_add_* abort beyond. */
#define GATT_SERVER_MAX_ATTRIBUTES 128

struct gatt_server;

/* Checks or applies a write to a characteristic value; returns 0 to accept
 * (the server then stores the value) or an ATT error code to refuse it. */
typedef uint8_t (*gatt_server_write_func)(uint16_t value_handle, const uint8_t *value, size_t len,
					  void *user_data);
/* A client wrote a CCCD: value is 0 or GATT_CCCD_NOTIFY | GATT_CCCD_INDICATE. */
typedef void (*gatt_server_subscribe_func)(uint16_t value_handle, uint16_t cccd_value,
					   void *user_data);

/* max_mtu is the largest ATT MTU this side accepts (clamped 23..517). */
struct gatt_server *gatt_server_new(uint16_t max_mtu);
void gatt_server_free(struct gatt_server *s);

/* ---- building the database (before attaching) ---- */

/* A primary service; its handle. Services end where the next one starts. */
uint16_t gatt_server_add_service(struct gatt_server *s, const struct gatt_uuid *uuid);
/* A characteristic in the last service: its declaration, its value (the
 * returned value handle) and, if it notifies or indicates, a CCCD right
 * after. properties are GATT_PROP_* bits. */
uint16_t gatt_server_add_characteristic(struct gatt_server *s, const struct gatt_uuid *uuid,
					uint8_t properties, const uint8_t *value, size_t len);
/* Consulted before a write to this value is stored; without one, writes to
 * a writable characteristic are stored as they come. */
void gatt_server_set_write_handler(struct gatt_server *s, uint16_t value_handle,
				   gatt_server_write_func cb, void *user_data);
void gatt_server_set_subscribe_handler(struct gatt_server *s, gatt_server_subscribe_func cb,
				       void *user_data);
/* Replaces a value; false for an unknown handle or a value over 512 bytes. */
bool gatt_server_set_value(struct gatt_server *s, uint16_t value_handle, const uint8_t *value,
			   size_t len);
/* The value handle of the first characteristic of this type, or 0. */
uint16_t gatt_server_find_value_handle(const struct gatt_server *s, const struct gatt_uuid *uuid);
/* The last handle in use. */
uint16_t gatt_server_last_handle(const struct gatt_server *s);

/* ---- a connection ---- */

/* Serves fd (the caller's to close) from now on; resets MTU and CCCDs. */
void gatt_server_attach(struct gatt_server *s, int fd);
/* Forgets the descriptor: the link is gone. */
void gatt_server_detach(struct gatt_server *s);
uint16_t gatt_server_mtu(const struct gatt_server *s);
/* The CCCD value the client wrote for this characteristic (0 if none). */
uint16_t gatt_server_cccd(const struct gatt_server *s, uint16_t value_handle);

/* Handles every PDU waiting (non-blocking reads). 0, -ECONNRESET when the
 * peer closed the link, or another negative errno from the socket. */
int gatt_server_process_readable(struct gatt_server *s);

/*
 * Handle Value Notification / Indication. 0 once sent; -ENOTCONN without a
 * descriptor; -EPERM if the client has not enabled it in the CCCD; -EMSGSIZE
 * if the value does not fit the MTU (len > MTU - 3); -EBUSY for an
 * indication while the previous one awaits its confirmation; -EAGAIN if the
 * socket's queue is full (try again when writable); other negative errnos
 * from send().
 */
int gatt_server_notify(struct gatt_server *s, uint16_t value_handle, const uint8_t *value,
		       size_t len);
int gatt_server_indicate(struct gatt_server *s, uint16_t value_handle, const uint8_t *value,
			 size_t len);
/* An indication was sent and not yet confirmed. */
bool gatt_server_indication_pending(const struct gatt_server *s);
