/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A GATT notification as every source yields it: live Bluetooth, a replayed
 * capture and the simulator all produce exactly this, so everything
 * downstream is tested without a radio.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NOTIFICATION_ADDR_LEN 6

/* A characteristic type: 16-bit SIG UUID or 128-bit vendor UUID, bytes in
 * wire (little-endian) order as ATT carries them. len 0 means unknown. */
struct gatt_uuid {
	uint8_t len;
	uint8_t bytes[16];
};

enum notification_addr_type {
	NOTIFICATION_ADDR_PUBLIC = 0,
	NOTIFICATION_ADDR_RANDOM = 1,
};

struct notification {
	int64_t host_time_us;                /* UTC microseconds when the host received it */
	uint8_t addr[NOTIFICATION_ADDR_LEN]; /* little-endian, as bdaddr_t */
	uint8_t addr_type;                   /* enum notification_addr_type */
	uint16_t handle;                     /* ATT attribute value handle */
	struct gatt_uuid uuid;               /* characteristic type, len 0 if unknown */
	uint16_t len;
	const uint8_t *value; /* valid until the source produces the next one */
};

/* The well-known characteristics hamstride decodes. */
enum {
	UUID_RSC_MEASUREMENT = 0x2A53,
	UUID_RSC_FEATURE = 0x2A54,
	UUID_SENSOR_LOCATION = 0x2A5D,
	UUID_HEART_RATE_MEASUREMENT = 0x2A37,
	UUID_PRESSURE = 0x2A6D,
	UUID_TEMPERATURE = 0x2A6E,
	UUID_TREADMILL_DATA = 0x2ACD, /* Fitness Machine Service 0x1826 */
};

struct gatt_uuid gatt_uuid_from16(uint16_t uuid16);
/* The 16-bit value of a SIG UUID (also one written in 128-bit form on the
 * Bluetooth base UUID), or 0 if it is not one. */
uint16_t gatt_uuid_to16(const struct gatt_uuid *uuid);
bool gatt_uuid_equal(const struct gatt_uuid *a, const struct gatt_uuid *b);
/* "2A53" or "6e400001-b5a3-f393-e0a9-e50e24dcca9e"; buf needs 37 bytes. */
const char *gatt_uuid_to_str(const struct gatt_uuid *uuid, char *buf, size_t size);
/* Accepts "2A53", "0x2a53" or the 36-character 128-bit form; not 0000. */
bool gatt_uuid_parse(const char *text, struct gatt_uuid *out);

/* "C4:7C:8D:6A:1B:2E" (most significant byte first); buf needs 18 bytes. */
const char *notification_addr_to_str(const uint8_t addr[NOTIFICATION_ADDR_LEN], char *buf,
				     size_t size);
bool notification_addr_parse(const char *text, uint8_t addr[NOTIFICATION_ADDR_LEN]);
