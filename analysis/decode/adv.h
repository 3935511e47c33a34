/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * LE advertising data (Core Vol 3 Part C 11, Supplement Part A): the AD
 * structures a sensor broadcasts before anyone connects, as found in an
 * advertising report or scan response. Only what finding a runner's sensors
 * needs is kept: flags, name, appearance, announced services and service
 * data; everything else is skipped.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/notification.h"

/* AD types (Assigned Numbers, "Common Data Types"). */
enum {
	ADV_TYPE_FLAGS = 0x01,
	ADV_TYPE_UUID16_INCOMPLETE = 0x02,
	ADV_TYPE_UUID16_COMPLETE = 0x03,
	ADV_TYPE_UUID32_INCOMPLETE = 0x04,
	ADV_TYPE_UUID32_COMPLETE = 0x05,
	ADV_TYPE_UUID128_INCOMPLETE = 0x06,
	ADV_TYPE_UUID128_COMPLETE = 0x07,
	ADV_TYPE_NAME_SHORT = 0x08,
	ADV_TYPE_NAME_COMPLETE = 0x09,
	ADV_TYPE_SERVICE_DATA16 = 0x16,
	ADV_TYPE_APPEARANCE = 0x19,
	ADV_TYPE_SERVICE_DATA32 = 0x20,
	ADV_TYPE_SERVICE_DATA128 = 0x21,
};

/* Services hamstride knows how to use, as sensors announce them. */
enum {
	ADV_SERVICE_HEART_RATE = 0x180D,
	ADV_SERVICE_RSC = 0x1814,
	ADV_SERVICE_ESS = 0x181A,
	ADV_SERVICE_FITNESS_MACHINE = 0x1826,
	/* Suunto's member UUID, what a Movesense puts in its advertisement
	 * (its data service 34802252-... only appears after connecting). */
	ADV_SERVICE_MOVESENSE = 0xFDF3,
};

/* A legacy advertisement holds at most 14 16-bit UUIDs; an extended one
 * more. Beyond this many the rest are counted, not kept. */
#define ADV_MAX_SERVICES 24
#define ADV_MAX_SERVICE_DATA 4
#define ADV_SERVICE_DATA_MAX_LEN 27
/* An AD structure's length is one byte, so a name is at most 254 bytes. */
#define ADV_NAME_MAX 254

struct adv_service_data {
	struct gatt_uuid uuid;
	uint8_t len; /* bytes kept in data */
	uint8_t data[ADV_SERVICE_DATA_MAX_LEN];
};

struct adv_data {
	bool has_flags;
	uint8_t flags;
	bool has_appearance;
	uint16_t appearance;
	/* As sent, NUL-terminated; "" if none. Not checked for UTF-8. */
	char name[ADV_NAME_MAX + 1];
	bool name_complete; /* false: a shortened name */
	size_t service_count;
	struct gatt_uuid services[ADV_MAX_SERVICES]; /* UUID lists and service data, no repeats */
	size_t services_dropped;                     /* announced beyond ADV_MAX_SERVICES */
	bool services_incomplete;                    /* an "incomplete list" was sent */
	size_t service_data_count;
	struct adv_service_data service_data[ADV_MAX_SERVICE_DATA];
};

void adv_data_init(struct adv_data *adv);

/* Parses the AD structures in data[0..len). A zero length byte ends the
 * significant part (the rest is padding). False, with *out untouched and
 * *why naming the problem, when a structure runs past the end, a UUID list
 * is not a whole number of UUIDs, or a fixed-size field has the wrong size. */
bool adv_parse(const uint8_t *data, size_t len, struct adv_data *out, const char **why);

/* Adds what a later report (a scan response, a re-advertisement) says to
 * what is known: services are added, a complete name replaces a shortened
 * one, newer flags, appearance and service data replace older ones. */
void adv_merge(struct adv_data *into, const struct adv_data *from);

bool adv_has_service(const struct adv_data *adv, const struct gatt_uuid *uuid);
bool adv_has_service16(const struct adv_data *adv, uint16_t uuid16);

/* "running speed and cadence" and the like for the services hamstride
 * uses; NULL for others. */
const char *adv_service_name(const struct gatt_uuid *uuid);

/* The sensors add role this advertiser fits: "footpod", "hrm", "baro",
 * "treadmill", "imu-left|imu-right", or NULL if nothing it announces is a
 * sensor hamstride reads. Shoe IMUs come first (a Movesense also announces
 * heart rate), then foot pods, heart-rate straps, barometers, treadmills. */
const char *adv_suggest_role(const struct adv_data *adv);
