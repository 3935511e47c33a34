/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * GATT client over an ATT bearer: discovers a sensor's database (primary
 * services, their includes, characteristics with end handles, descriptors),
 * reads the characteristics the caller wants read (RSC Feature and Sensor
 * Location by default), enables notifications or indications on the ones
 * it wants to hear, reports ready with the database, and then hands every
 * notification on as a struct notification with its characteristic type.
 *
 * The sequence: Exchange MTU; Read By Group Type for primary services (or
 * Find By Type Value per service UUID when the caller limits discovery);
 * Read By Type for includes and characteristics in each service; Find
 * Information between each characteristic value and its end handle; Read
 * (and Read Blob for long values); Write Request to each CCCD.
 *
 * A peer cannot keep discovery going forever: every step must move the
 * start handle forward, and the database is capped. Failures (timeout, a
 * malformed or out-of-range answer, a refused discovery) end with the ready
 * callback reporting ok = false and a message naming the problem; the owner
 * should then disconnect. A refused read or subscription is not fatal: it
 * is logged and recorded in the characteristic.
 */
#pragma once

#include "ble/att.h"
#include "util/notification.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Real sensors have a handful of services and a few dozen characteristics;
 * the caps only stop a hostile or broken peer from exhausting memory. */
#define GATT_CLIENT_MAX_SERVICES 64
#define GATT_CLIENT_MAX_INCLUDES 64
#define GATT_CLIENT_MAX_CHARACTERISTICS 256
#define GATT_CLIENT_MAX_DESCRIPTORS 512
/* How many UUIDs each of the subscribe, read and service lists holds. */
#define GATT_CLIENT_MAX_WANTED 16
/* The longest attribute value ATT allows (Core Vol 3 Part F 3.2.9). */
#define GATT_CLIENT_MAX_VALUE 512

enum {
	GATT_UUID_PRIMARY_SERVICE = 0x2800,
	GATT_UUID_SECONDARY_SERVICE = 0x2801,
	GATT_UUID_INCLUDE = 0x2802,
	GATT_UUID_CHARACTERISTIC = 0x2803,
	GATT_UUID_CCCD = 0x2902,
};

enum {
	GATT_PROP_READ = 0x02,
	GATT_PROP_WRITE_WITHOUT_RESPONSE = 0x04,
	GATT_PROP_WRITE = 0x08,
	GATT_PROP_NOTIFY = 0x10,
	GATT_PROP_INDICATE = 0x20,
};

/* CCCD values */
enum {
	GATT_CCCD_NOTIFY = 0x0001,
	GATT_CCCD_INDICATE = 0x0002,
};

struct gatt_service {
	uint16_t start_handle;
	uint16_t end_handle;
	struct gatt_uuid uuid;
	size_t first_characteristic; /* index into gatt_db.characteristics */
	size_t n_characteristics;
};

struct gatt_include {
	size_t service;        /* index of the including service */
	uint16_t handle;       /* of the include declaration */
	uint16_t start_handle; /* of the included service */
	uint16_t end_handle;
	struct gatt_uuid uuid; /* len 0 for 128-bit ones, which ATT omits here */
};

struct gatt_characteristic {
	size_t service;
	uint16_t decl_handle;
	uint16_t value_handle;
	uint16_t end_handle; /* last handle of its descriptors */
	uint8_t properties;  /* GATT_PROP_* */
	struct gatt_uuid uuid;
	uint16_t cccd_handle;    /* 0 if it has no CCCD */
	size_t first_descriptor; /* index into gatt_db.descriptors */
	size_t n_descriptors;
	uint16_t subscribed; /* the CCCD value written: 0 or GATT_CCCD_* */
	uint8_t att_error;   /* why a read or subscription was refused, or 0 */
	bool value_read;
	uint16_t value_len;
	uint8_t *value; /* what was read, NULL if nothing */
};

struct gatt_descriptor {
	size_t characteristic;
	uint16_t handle;
	struct gatt_uuid uuid;
};

/* Sorted by handle throughout. */
struct gatt_db {
	struct gatt_service *services;
	size_t n_services;
	struct gatt_include *includes;
	size_t n_includes;
	struct gatt_characteristic *characteristics;
	size_t n_characteristics;
	struct gatt_descriptor *descriptors;
	size_t n_descriptors;
};

struct gatt_client;

/* ok false: why names the problem and the owner should disconnect. */
typedef void (*gatt_client_ready_func)(bool ok, const char *why, const struct gatt_db *db,
				       void *user_data);
/* n->value is valid during the call only. */
typedef void (*gatt_client_notify_func)(const struct notification *n, void *user_data);

/* Borrows att, whose notification handler it takes over; free the client
 * before the bearer. addr is little-endian as in bdaddr_t. */
struct gatt_client *gatt_client_new(struct att *att, const uint8_t addr[NOTIFICATION_ADDR_LEN],
				    uint8_t addr_type);
/* Safe to call from inside the client's own callbacks. */
void gatt_client_free(struct gatt_client *client);

/* Before gatt_client_start(); false when the list is full. */
bool gatt_client_subscribe(struct gatt_client *client, const struct gatt_uuid *uuid);
bool gatt_client_read_on_ready(struct gatt_client *client, const struct gatt_uuid *uuid);
/* Discover only these primary services (Find By Type Value), not all. */
bool gatt_client_limit_to_service(struct gatt_client *client, const struct gatt_uuid *uuid);

void gatt_client_set_ready_handler(struct gatt_client *client, gatt_client_ready_func cb,
				   void *user_data, att_destroy_func destroy);
void gatt_client_set_notify_handler(struct gatt_client *client, gatt_client_notify_func cb,
				    void *user_data, att_destroy_func destroy);

/* Starts discovery; 0, -EALREADY, or the bearer's error. now_us is the
 * host's UTC time in microseconds, which notifications carry. */
int gatt_client_start(struct gatt_client *client, int64_t now_us);
bool gatt_client_is_ready(const struct gatt_client *client);
const struct gatt_db *gatt_client_db(const struct gatt_client *client);
/* The characteristic whose value has this handle, or NULL. */
const struct gatt_characteristic *gatt_client_find_by_handle(const struct gatt_client *client,
							     uint16_t value_handle);
/* The first characteristic of this type, or NULL. */
const struct gatt_characteristic *gatt_client_find_by_uuid(const struct gatt_client *client,
							   const struct gatt_uuid *uuid);
