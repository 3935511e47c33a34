/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the fake sensor is: the profiles it serves (foot pod, heart-rate
 * strap, barometer, hamstride IMU on the left or right shoe, a Movesense
 * streaming IMU6 over its GATT SensorData protocol, a treadmill's Fitness
 * Machine Service), its GATT database and
 * its advertising data. No I/O besides the notifications that answer a
 * Movesense command.
 */
#pragma once

#include "gatt_server.h"
#include "decode/imu.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum fake_profile {
	FAKE_FOOTPOD = 1 << 0,
	FAKE_HRM = 1 << 1,
	FAKE_BARO = 1 << 2,
	FAKE_IMU_LEFT = 1 << 3,
	FAKE_IMU_RIGHT = 1 << 4,
	FAKE_MOVESENSE = 1 << 5,
	FAKE_TREADMILL = 1 << 6,
};
#define FAKE_IMU (FAKE_IMU_LEFT | FAKE_IMU_RIGHT)

/* "footpod,hrm,baro", "imu-left", "movesense" ...: false with why set for an
 * unknown or repeated name, or two IMUs (one device wears one shoe). */
bool fake_profiles_parse(const char *text, unsigned *profiles, char *why, size_t why_len);

/* The value handles of what the profiles serve (0 when not served) and the
 * IMU configuration in force, which the client may rewrite. */
struct fake_db {
	unsigned profiles;
	uint16_t device_name;
	uint16_t rsc_measurement, rsc_feature, sensor_location;
	uint16_t heart_rate_measurement, body_sensor_location;
	uint16_t pressure, temperature;
	uint16_t treadmill_data;
	uint16_t imu_config, imu_data;
	struct imu_hs_config imu;   /* hamstride profile; for Movesense the rate it streams */
	unsigned imu_config_writes; /* accepted since the start */
	/* Movesense: its command and response characteristics, the one IMU6
	 * subscription it keeps (the real sensor keeps up to four) and what
	 * it was sent. For tests: ms_max_rate_hz, if set, makes it refuse
	 * faster rates; ms_quiet makes it answer failures only, as the
	 * device library's sample firmware does. */
	struct gatt_server *server;
	uint16_t ms_command, ms_data;
	uint8_t ms_reference; /* of the subscription, 0 if none */
	unsigned ms_rate_hz;
	unsigned ms_max_rate_hz;
	bool ms_quiet;
	unsigned ms_commands, ms_refused;
	uint16_t ms_last_status; /* of the last command result sent */
};

/* Whether the Movesense streams: subscribed by command and by CCCD. */
bool fake_db_movesense_streaming(const struct fake_db *db);
/* The link dropped: the Movesense ends its subscription, as the sensor
 * does. */
void fake_db_link_closed(struct fake_db *db);

/* Builds GAP (device name, appearance) then one service per profile, in the
 * order foot pod, heart rate, environmental sensing, fitness machine, IMU.
 * The IMU starts at
 * 400 Hz, ±16 g, ±2000 °/s, streaming on, foot from the profile; the
 * Movesense streams nothing until subscribed. db must stay where it is
 * while s serves (it receives the IMU configuration and the commands). */
void fake_db_build(struct gatt_server *s, unsigned profiles, const char *name, struct fake_db *db);

/* The value handle that carries notifications of this characteristic. */
uint16_t fake_db_handle_for(const struct fake_db *db, const struct gatt_uuid *uuid);

/* The characteristic UUIDs whose notifications a profile set streams from a
 * recording (foot pod, heart rate, pressure, temperature, treadmill data);
 * returns how many. */
#define FAKE_MAX_RECORDED 5
size_t fake_profiles_recorded_uuids(unsigned profiles, struct gatt_uuid out[FAKE_MAX_RECORDED]);

/* Legacy advertising data (at most 31 bytes): flags (LE General
 * Discoverable, no BR/EDR), the complete lists of 16-bit and 128-bit service
 * UUIDs, and the name, shortened if it does not fit. Returns the length. */
size_t fake_adv_data(unsigned profiles, const char *name, uint8_t out[31]);
/* Scan response: the complete name (shortened past 29 bytes). */
size_t fake_scan_rsp_data(const char *name, uint8_t out[31]);
