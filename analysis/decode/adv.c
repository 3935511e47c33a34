// SPDX-License-Identifier: GPL-2.0-or-later
#include "decode/adv.h"

#include "util/bytes.h"
#include "util/cursor.h"
#include "decode/imu.h"

#include <string.h>

/* Appearance categories (bits 15..6, Assigned Numbers 2.6). */
#define APPEARANCE_CATEGORY_HEART_RATE 0x00D
#define APPEARANCE_CATEGORY_RUNNING_WALKING 0x011

void adv_data_init(struct adv_data *adv)
{
	memset(adv, 0, sizeof(*adv));
}

static void add_service(struct adv_data *adv, const struct gatt_uuid *uuid)
{
	if (adv_has_service(adv, uuid))
		return;
	if (adv->service_count == ADV_MAX_SERVICES) {
		adv->services_dropped++;
		return;
	}
	adv->services[adv->service_count++] = *uuid;
}

/* A UUID of 2, 4 or 16 bytes in wire order: 16-bit as such, 32-bit written
 * out on the Bluetooth base UUID (Core Vol 3 Part B 2.5.1). */
static struct gatt_uuid uuid_from_wire(const uint8_t *p, size_t size)
{
	static const uint8_t base[12] = { 0xFB, 0x34, 0x9B, 0x5F, 0x80, 0x00,
					  0x00, 0x80, 0x00, 0x10, 0x00, 0x00 };
	if (size == 2)
		return gatt_uuid_from16(bytes_le16(p));
	struct gatt_uuid u = { .len = 16 };
	if (size == 16) {
		memcpy(u.bytes, p, 16);
	} else {
		memcpy(u.bytes, base, sizeof(base));
		memcpy(u.bytes + 12, p, 4);
	}
	return u;
}

static bool parse_uuid_list(struct adv_data *adv, const uint8_t *p, size_t len, size_t size,
			    bool complete, const char **why)
{
	if (len % size) {
		*why = size == 2   ? "a 16-bit service UUID list is cut off"
		       : size == 4 ? "a 32-bit service UUID list is cut off"
				   : "a 128-bit service UUID list is cut off";
		return false;
	}
	for (size_t i = 0; i < len; i += size) {
		struct gatt_uuid u = uuid_from_wire(p + i, size);
		add_service(adv, &u);
	}
	if (!complete)
		adv->services_incomplete = true;
	return true;
}

static void set_service_data(struct adv_data *adv, const struct gatt_uuid *uuid, const uint8_t *p,
			     size_t len)
{
	struct adv_service_data *sd = NULL;
	for (size_t i = 0; i < adv->service_data_count && !sd; i++)
		if (gatt_uuid_equal(&adv->service_data[i].uuid, uuid))
			sd = &adv->service_data[i];
	if (!sd && adv->service_data_count < ADV_MAX_SERVICE_DATA)
		sd = &adv->service_data[adv->service_data_count++];
	if (sd) {
		sd->uuid = *uuid;
		sd->len =
			(uint8_t)(len < ADV_SERVICE_DATA_MAX_LEN ? len : ADV_SERVICE_DATA_MAX_LEN);
		memcpy(sd->data, p, sd->len);
	}
	add_service(adv, uuid);
}

static bool parse_service_data(struct adv_data *adv, const uint8_t *p, size_t len, size_t size,
			       const char **why)
{
	if (len < size) {
		*why = "service data is shorter than its UUID";
		return false;
	}
	struct gatt_uuid u = uuid_from_wire(p, size);
	set_service_data(adv, &u, p + size, len - size);
	return true;
}

static void set_name(struct adv_data *adv, const uint8_t *p, size_t len, bool complete)
{
	/* A complete name is never replaced by a shortened one. */
	if (adv->name_complete && !complete && adv->name[0])
		return;
	memcpy(adv->name, p, len);
	adv->name[len] = '\0';
	adv->name_complete = complete;
}

/* One AD structure's type and data into adv. */
static bool parse_structure(struct adv_data *adv, uint8_t type, const uint8_t *p, size_t len,
			    const char **why)
{
	switch (type) {
	case ADV_TYPE_FLAGS:
		/* Flags may carry more octets in future; the first holds the
		 * bits defined today. */
		if (len < 1) {
			*why = "the flags structure is empty";
			return false;
		}
		adv->has_flags = true;
		adv->flags = p[0];
		return true;
	case ADV_TYPE_UUID16_INCOMPLETE:
	case ADV_TYPE_UUID16_COMPLETE:
		return parse_uuid_list(adv, p, len, 2, type == ADV_TYPE_UUID16_COMPLETE, why);
	case ADV_TYPE_UUID32_INCOMPLETE:
	case ADV_TYPE_UUID32_COMPLETE:
		return parse_uuid_list(adv, p, len, 4, type == ADV_TYPE_UUID32_COMPLETE, why);
	case ADV_TYPE_UUID128_INCOMPLETE:
	case ADV_TYPE_UUID128_COMPLETE:
		return parse_uuid_list(adv, p, len, 16, type == ADV_TYPE_UUID128_COMPLETE, why);
	case ADV_TYPE_NAME_SHORT:
	case ADV_TYPE_NAME_COMPLETE:
		set_name(adv, p, len, type == ADV_TYPE_NAME_COMPLETE);
		return true;
	case ADV_TYPE_APPEARANCE:
		if (len != 2) {
			*why = "the appearance is not 2 bytes";
			return false;
		}
		adv->has_appearance = true;
		adv->appearance = bytes_le16(p);
		return true;
	case ADV_TYPE_SERVICE_DATA16:
		return parse_service_data(adv, p, len, 2, why);
	case ADV_TYPE_SERVICE_DATA32:
		return parse_service_data(adv, p, len, 4, why);
	case ADV_TYPE_SERVICE_DATA128:
		return parse_service_data(adv, p, len, 16, why);
	default:
		return true; /* manufacturer data, TX power, ...: not needed */
	}
}

bool adv_parse(const uint8_t *data, size_t len, struct adv_data *out, const char **why)
{
	struct adv_data adv;
	struct cursor c = cursor_init(data, len);
	const char *ignored;
	uint8_t length, type;
	const uint8_t *p;

	if (!why)
		why = &ignored;
	adv_data_init(&adv);
	while (cursor_u8(&c, &length) && length > 0) {
		if (!cursor_u8(&c, &type) || !cursor_bytes(&c, length - 1u, &p)) {
			*why = "an AD structure runs past the end of the data";
			return false;
		}
		if (!parse_structure(&adv, type, p, length - 1u, why))
			return false;
	}
	*out = adv;
	return true;
}

void adv_merge(struct adv_data *into, const struct adv_data *from)
{
	if (from->has_flags) {
		into->has_flags = true;
		into->flags = from->flags;
	}
	if (from->has_appearance) {
		into->has_appearance = true;
		into->appearance = from->appearance;
	}
	if (from->name[0])
		set_name(into, (const uint8_t *)from->name, strlen(from->name),
			 from->name_complete);
	for (size_t i = 0; i < from->service_count; i++)
		add_service(into, &from->services[i]);
	into->services_dropped += from->services_dropped;
	into->services_incomplete |= from->services_incomplete;
	for (size_t i = 0; i < from->service_data_count; i++) {
		const struct adv_service_data *sd = &from->service_data[i];
		set_service_data(into, &sd->uuid, sd->data, sd->len);
	}
}

bool adv_has_service(const struct adv_data *adv, const struct gatt_uuid *uuid)
{
	for (size_t i = 0; i < adv->service_count; i++)
		if (gatt_uuid_equal(&adv->services[i], uuid))
			return true;
	return false;
}

bool adv_has_service16(const struct adv_data *adv, uint16_t uuid16)
{
	struct gatt_uuid u = gatt_uuid_from16(uuid16);
	return adv_has_service(adv, &u);
}

static bool is_uuid128(const struct gatt_uuid *uuid, const char *text)
{
	struct gatt_uuid u;
	return gatt_uuid_parse(text, &u) && gatt_uuid_equal(uuid, &u);
}

const char *adv_service_name(const struct gatt_uuid *uuid)
{
	switch (gatt_uuid_to16(uuid)) {
	case ADV_SERVICE_RSC:
		return "running speed and cadence";
	case ADV_SERVICE_HEART_RATE:
		return "heart rate";
	case ADV_SERVICE_ESS:
		return "environmental sensing";
	case ADV_SERVICE_FITNESS_MACHINE:
		return "fitness machine";
	case ADV_SERVICE_MOVESENSE:
		return "movesense";
	}
	if (is_uuid128(uuid, IMU_HS_SERVICE_UUID))
		return "hamstride imu";
	if (is_uuid128(uuid, IMU_MS_SERVICE_UUID))
		return "movesense sensor data";
	return NULL;
}

static bool is_shoe_imu(const struct adv_data *adv)
{
	struct gatt_uuid hs, ms;
	gatt_uuid_parse(IMU_HS_SERVICE_UUID, &hs);
	gatt_uuid_parse(IMU_MS_SERVICE_UUID, &ms);
	return adv_has_service(adv, &hs) || adv_has_service(adv, &ms) ||
	       adv_has_service16(adv, ADV_SERVICE_MOVESENSE);
}

static bool appearance_is(const struct adv_data *adv, unsigned category)
{
	return adv->has_appearance && adv->appearance >> 6 == category;
}

const char *adv_suggest_role(const struct adv_data *adv)
{
	if (is_shoe_imu(adv))
		return "imu-left|imu-right";
	if (adv_has_service16(adv, ADV_SERVICE_RSC) ||
	    appearance_is(adv, APPEARANCE_CATEGORY_RUNNING_WALKING))
		return "footpod";
	if (adv_has_service16(adv, ADV_SERVICE_HEART_RATE) ||
	    appearance_is(adv, APPEARANCE_CATEGORY_HEART_RATE))
		return "hrm";
	if (adv_has_service16(adv, ADV_SERVICE_ESS))
		return "baro";
	if (adv_has_service16(adv, ADV_SERVICE_FITNESS_MACHINE))
		return "treadmill";
	return NULL;
}
