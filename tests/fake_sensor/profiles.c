// SPDX-License-Identifier: GPL-2.0-or-later
#include "profiles.h"

#include "ble/att.h"
#include "util/bytes.h"
#include "ble/gatt_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Services, characteristics and values of the Bluetooth SIG's assigned
 * numbers that the profiles need. */
enum {
	UUID_GAP_SERVICE = 0x1800,
	UUID_DEVICE_NAME = 0x2A00,
	UUID_APPEARANCE = 0x2A01,
	UUID_RSC_SERVICE = 0x1814,
	UUID_HEART_RATE_SERVICE = 0x180D,
	UUID_BODY_SENSOR_LOCATION = 0x2A38,
	UUID_ESS_SERVICE = 0x181A,
	UUID_FITNESS_MACHINE_SERVICE = 0x1826,
	APPEARANCE_IN_SHOE_SENSOR = 0x0441,
	APPEARANCE_HEART_RATE_BELT = 0x0341,
	SENSOR_LOCATION_IN_SHOE = 2,
	BODY_LOCATION_CHEST = 1,
	/* RSC Feature: stride length and total distance, as the simulated pod. */
	RSC_FEATURES = 0x0003,
	AD_FLAGS = 0x01,
	AD_UUID16_COMPLETE = 0x03,
	AD_UUID128_COMPLETE = 0x07,
	AD_NAME_SHORT = 0x08,
	AD_NAME_COMPLETE = 0x09,
	AD_FLAG_GENERAL_DISCOVERABLE = 0x02,
	AD_FLAG_NO_BREDR = 0x04,
};

static const struct {
	const char *name;
	unsigned bit;
} profile_names[] = {
	{ "footpod", FAKE_FOOTPOD },     { "hrm", FAKE_HRM },
	{ "baro", FAKE_BARO },           { "imu-left", FAKE_IMU_LEFT },
	{ "imu-right", FAKE_IMU_RIGHT }, { "movesense", FAKE_MOVESENSE },
	{ "treadmill", FAKE_TREADMILL },
};

static unsigned profile_bit(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(profile_names) / sizeof(profile_names[0]); i++)
		if (strlen(profile_names[i].name) == len &&
		    strncmp(profile_names[i].name, name, len) == 0)
			return profile_names[i].bit;
	return 0;
}

bool fake_profiles_parse(const char *text, unsigned *profiles, char *why, size_t why_len)
{
	unsigned set = 0;
	const char *p = text;
	for (;;) {
		size_t len = strcspn(p, ",");
		unsigned bit = profile_bit(p, len);
		if (!bit) {
			snprintf(why, why_len,
				 "unknown profile \"%.*s\": use footpod, hrm, baro, imu-left, "
				 "imu-right, movesense or treadmill, separated by commas",
				 (int)len, p);
			return false;
		}
		if (set & bit) {
			snprintf(why, why_len, "profile \"%.*s\" is given twice", (int)len, p);
			return false;
		}
		set |= bit;
		if (!p[len])
			break;
		p += len + 1;
	}
	unsigned imus = set & (FAKE_IMU | FAKE_MOVESENSE);
	if (imus & (imus - 1)) {
		snprintf(why, why_len,
			 "imu-left, imu-right and movesense are one device each: run one "
			 "fake-sensor per shoe");
		return false;
	}
	*profiles = set;
	return true;
}

static struct gatt_uuid uuid128(const char *text)
{
	struct gatt_uuid u;
	bool ok = gatt_uuid_parse(text, &u);
	(void)ok; /* the profile's own constants always parse */
	return u;
}

static uint16_t add16(struct gatt_server *s, uint16_t uuid16, uint8_t props, const uint8_t *value,
		      size_t len)
{
	struct gatt_uuid u = gatt_uuid_from16(uuid16);
	return gatt_server_add_characteristic(s, &u, props, value, len);
}

static void add_service16(struct gatt_server *s, uint16_t uuid16)
{
	struct gatt_uuid u = gatt_uuid_from16(uuid16);
	gatt_server_add_service(s, &u);
}

/* Writes to the IMU configuration: version 1 and defined codes only, as
 * docs/imu-profile.md asks of firmware. */
static uint8_t imu_config_write(uint16_t handle, const uint8_t *value, size_t len, void *user_data)
{
	(void)handle;
	struct fake_db *db = user_data;
	if (len != IMU_HS_CONFIG_LEN)
		return ATT_ERR_INVALID_VALUE_LENGTH;
	struct imu_hs_config cfg;
	if (!imu_hs_parse_config(value, len, &cfg))
		return ATT_ERR_VALUE_NOT_ALLOWED;
	db->imu = cfg;
	db->imu_config_writes++;
	return 0;
}

static void build_imu(struct gatt_server *s, struct fake_db *db, uint8_t foot)
{
	struct gatt_uuid service = uuid128(IMU_HS_SERVICE_UUID);
	struct gatt_uuid config = uuid128(IMU_HS_CONFIG_UUID);
	struct gatt_uuid data = uuid128(IMU_HS_DATA_UUID);
	db->imu = (struct imu_hs_config){ .version = IMU_HS_VERSION,
					  .rate_code = 3,
					  .acc_range_code = 3,
					  .gyro_range_code = 4,
					  .foot = foot,
					  .flags = 1 };
	uint8_t value[IMU_HS_CONFIG_LEN];
	imu_hs_encode_config(&db->imu, value);
	gatt_server_add_service(s, &service);
	db->imu_config = gatt_server_add_characteristic(
		s, &config, GATT_PROP_READ | GATT_PROP_WRITE, value, sizeof(value));
	gatt_server_set_write_handler(s, db->imu_config, imu_config_write, db);
	db->imu_data = gatt_server_add_characteristic(s, &data, GATT_PROP_NOTIFY, NULL, 0);
}

/* ---- Movesense's GATT SensorData protocol (analysis/decode/imu.h) ---- */

enum {
	HTTP_OK = 200,
	HTTP_BAD_REQUEST = 400,
	HTTP_NOT_FOUND = 404,
	HTTP_NOT_IMPLEMENTED = 501,      /* the API's answer to an unsupported rate */
	HTTP_INSUFFICIENT_STORAGE = 507, /* no free subscription */
};

bool fake_db_movesense_streaming(const struct fake_db *db)
{
	return db->ms_reference && db->server &&
	       (gatt_server_cccd(db->server, db->ms_data) & GATT_CCCD_NOTIFY);
}

void fake_db_link_closed(struct fake_db *db)
{
	db->ms_reference = 0;
}

/* A command result: response code, reference, status little-endian (as the
 * newer firmware; the sample's own error is the other way round). */
static void ms_result(struct fake_db *db, uint8_t reference, uint16_t status)
{
	uint8_t msg[4] = { IMU_MS_RESP_COMMAND, reference };
	bytes_put_le16(msg + 2, status);
	db->ms_last_status = status;
	if (status >= 300)
		db->ms_refused++;
	else if (db->ms_quiet)
		return;
	gatt_server_notify(db->server, db->ms_data, msg, sizeof(msg));
}

/* The rate of "/Meas/IMU6/<rate>" (a leading slash optional, a trailing
 * NUL allowed); 0 for another resource. */
static unsigned ms_imu6_rate(const uint8_t *path, size_t len)
{
	char text[64];
	if (len && path[len - 1] == 0)
		len--;
	if (len == 0 || len >= sizeof(text) || memchr(path, 0, len))
		return 0;
	memcpy(text, path, len);
	text[len] = '\0';
	const char *p = text[0] == '/' ? text + 1 : text;
	if (strncmp(p, "Meas/IMU6/", 10) != 0 || !p[10] ||
	    strspn(p + 10, "0123456789") != strlen(p + 10) || strlen(p + 10) > 5)
		return 0;
	return (unsigned)atoi(p + 10);
}

/* The generator makes 100 to 1000 Hz, so the fake offers the IMU6 rates in
 * that span and answers the others as unsupported. */
static uint8_t ms_rate_code(unsigned rate_hz)
{
	for (uint8_t code = 0; imu_hs_rate_hz(code) > 0; code++)
		if (imu_hs_rate_hz(code) == (double)rate_hz && imu_ms_rate_valid(rate_hz))
			return code;
	return 0xff;
}

static void ms_subscribe(struct fake_db *db, uint8_t reference, const uint8_t *path, size_t len)
{
	unsigned rate = ms_imu6_rate(path, len);
	if (reference == 0) {
		ms_result(db, reference, HTTP_BAD_REQUEST);
	} else if (!rate) {
		ms_result(db, reference, HTTP_NOT_FOUND);
	} else if (ms_rate_code(rate) == 0xff ||
		   (db->ms_max_rate_hz && rate > db->ms_max_rate_hz)) {
		ms_result(db, reference, HTTP_NOT_IMPLEMENTED);
	} else if (db->ms_reference && db->ms_reference != reference) {
		ms_result(db, reference, HTTP_INSUFFICIENT_STORAGE);
	} else {
		db->ms_reference = reference;
		db->ms_rate_hz = rate;
		db->imu.rate_code = ms_rate_code(rate);
		ms_result(db, reference, HTTP_OK);
	}
}

/* Commands are accepted at the ATT level and answered in a notification, as
 * the sensor does (here before the Write Response, which a client must
 * take too: the sensor answers asynchronously). A write too short to carry
 * a reference has nothing to answer to and is refused instead. */
static uint8_t ms_command_write(uint16_t handle, const uint8_t *value, size_t len, void *user_data)
{
	(void)handle;
	struct fake_db *db = user_data;
	if (len < 2)
		return ATT_ERR_INVALID_VALUE_LENGTH;
	db->ms_commands++;
	uint8_t reference = value[1];
	switch (value[0]) {
	case IMU_MS_CMD_HELLO: {
		const uint8_t hello[] = { IMU_MS_RESP_COMMAND, reference, 'H', 'e', 'l', 'l', 'o' };
		gatt_server_notify(db->server, db->ms_data, hello, sizeof(hello));
		break;
	}
	case IMU_MS_CMD_SUBSCRIBE:
		ms_subscribe(db, reference, value + 2, len - 2);
		break;
	case IMU_MS_CMD_UNSUBSCRIBE:
		if (reference && reference == db->ms_reference) {
			db->ms_reference = 0;
			ms_result(db, reference, HTTP_OK);
		} else {
			ms_result(db, reference, HTTP_NOT_FOUND);
		}
		break;
	default:
		ms_result(db, reference, HTTP_BAD_REQUEST);
		break;
	}
	return 0;
}

/* A new link starts with no subscription: the sensor ends them when its
 * link drops. */
static void build_movesense(struct gatt_server *s, struct fake_db *db)
{
	struct gatt_uuid service = uuid128(IMU_MS_SERVICE_UUID);
	struct gatt_uuid command = uuid128(IMU_MS_WRITE_UUID);
	struct gatt_uuid data = uuid128(IMU_MS_NOTIFY_UUID);
	db->imu = (struct imu_hs_config){ .version = IMU_HS_VERSION,
					  .rate_code = 9,
					  .acc_range_code = 3,
					  .gyro_range_code = 4,
					  .foot = IMU_FOOT_LEFT,
					  .flags = 1 };
	gatt_server_add_service(s, &service);
	db->ms_command = gatt_server_add_characteristic(s, &command, GATT_PROP_WRITE, NULL, 0);
	gatt_server_set_write_handler(s, db->ms_command, ms_command_write, db);
	db->ms_data = gatt_server_add_characteristic(s, &data, GATT_PROP_NOTIFY, NULL, 0);
}

void fake_db_build(struct gatt_server *s, unsigned profiles, const char *name, struct fake_db *db)
{
	memset(db, 0, sizeof(*db));
	db->profiles = profiles;
	db->server = s;
	uint8_t appearance[2];
	bytes_put_le16(appearance, profiles & FAKE_FOOTPOD ? APPEARANCE_IN_SHOE_SENSOR
				   : profiles & FAKE_HRM   ? APPEARANCE_HEART_RATE_BELT
							   : 0);
	add_service16(s, UUID_GAP_SERVICE);
	db->device_name =
		add16(s, UUID_DEVICE_NAME, GATT_PROP_READ, (const uint8_t *)name, strlen(name));
	add16(s, UUID_APPEARANCE, GATT_PROP_READ, appearance, 2);

	if (profiles & FAKE_FOOTPOD) {
		uint8_t feature[2], location = SENSOR_LOCATION_IN_SHOE;
		bytes_put_le16(feature, RSC_FEATURES);
		add_service16(s, UUID_RSC_SERVICE);
		db->rsc_measurement = add16(s, UUID_RSC_MEASUREMENT, GATT_PROP_NOTIFY, NULL, 0);
		db->rsc_feature = add16(s, UUID_RSC_FEATURE, GATT_PROP_READ, feature, 2);
		db->sensor_location = add16(s, UUID_SENSOR_LOCATION, GATT_PROP_READ, &location, 1);
	}
	if (profiles & FAKE_HRM) {
		uint8_t location = BODY_LOCATION_CHEST;
		add_service16(s, UUID_HEART_RATE_SERVICE);
		db->heart_rate_measurement =
			add16(s, UUID_HEART_RATE_MEASUREMENT, GATT_PROP_NOTIFY, NULL, 0);
		db->body_sensor_location =
			add16(s, UUID_BODY_SENSOR_LOCATION, GATT_PROP_READ, &location, 1);
	}
	if (profiles & FAKE_BARO) {
		const uint8_t zeros[4] = { 0 };
		add_service16(s, UUID_ESS_SERVICE);
		db->pressure = add16(s, UUID_PRESSURE, GATT_PROP_READ | GATT_PROP_NOTIFY, zeros, 4);
		db->temperature =
			add16(s, UUID_TEMPERATURE, GATT_PROP_READ | GATT_PROP_NOTIFY, zeros, 2);
	}
	if (profiles & FAKE_TREADMILL) {
		add_service16(s, UUID_FITNESS_MACHINE_SERVICE);
		db->treadmill_data = add16(s, UUID_TREADMILL_DATA, GATT_PROP_NOTIFY, NULL, 0);
	}
	if (profiles & FAKE_IMU)
		build_imu(s, db, profiles & FAKE_IMU_LEFT ? IMU_FOOT_LEFT : IMU_FOOT_RIGHT);
	if (profiles & FAKE_MOVESENSE)
		build_movesense(s, db);
}

uint16_t fake_db_handle_for(const struct fake_db *db, const struct gatt_uuid *uuid)
{
	switch (gatt_uuid_to16(uuid)) {
	case UUID_RSC_MEASUREMENT:
		return db->rsc_measurement;
	case UUID_HEART_RATE_MEASUREMENT:
		return db->heart_rate_measurement;
	case UUID_PRESSURE:
		return db->pressure;
	case UUID_TEMPERATURE:
		return db->temperature;
	case UUID_TREADMILL_DATA:
		return db->treadmill_data;
	case 0: {
		struct gatt_uuid data = uuid128(IMU_HS_DATA_UUID);
		struct gatt_uuid ms = uuid128(IMU_MS_NOTIFY_UUID);
		return gatt_uuid_equal(uuid, &data) ? db->imu_data
		       : gatt_uuid_equal(uuid, &ms) ? db->ms_data
						    : 0;
	}
	default:
		return 0;
	}
}

size_t fake_profiles_recorded_uuids(unsigned profiles, struct gatt_uuid out[FAKE_MAX_RECORDED])
{
	size_t n = 0;
	if (profiles & FAKE_FOOTPOD)
		out[n++] = gatt_uuid_from16(UUID_RSC_MEASUREMENT);
	if (profiles & FAKE_HRM)
		out[n++] = gatt_uuid_from16(UUID_HEART_RATE_MEASUREMENT);
	if (profiles & FAKE_BARO) {
		out[n++] = gatt_uuid_from16(UUID_PRESSURE);
		out[n++] = gatt_uuid_from16(UUID_TEMPERATURE);
	}
	if (profiles & FAKE_TREADMILL)
		out[n++] = gatt_uuid_from16(UUID_TREADMILL_DATA);
	return n;
}

/* Appends the name as the complete name if it fits in room, else as much
 * of it as fits as the shortened name. */
static size_t put_name(const char *name, uint8_t *out, size_t room)
{
	size_t len = strlen(name);
	if (room < 3 || len == 0)
		return 0;
	uint8_t type = AD_NAME_COMPLETE;
	if (len > room - 2) {
		len = room - 2;
		type = AD_NAME_SHORT;
	}
	out[0] = (uint8_t)(len + 1);
	out[1] = type;
	memcpy(out + 2, name, len);
	return len + 2;
}

size_t fake_adv_data(unsigned profiles, const char *name, uint8_t out[31])
{
	size_t n = 0;
	out[n++] = 2;
	out[n++] = AD_FLAGS;
	out[n++] = AD_FLAG_GENERAL_DISCOVERABLE | AD_FLAG_NO_BREDR;

	const uint16_t services[] = { profiles & FAKE_FOOTPOD ? UUID_RSC_SERVICE : 0,
				      profiles & FAKE_HRM ? UUID_HEART_RATE_SERVICE : 0,
				      profiles & FAKE_BARO ? UUID_ESS_SERVICE : 0,
				      profiles & FAKE_TREADMILL ? UUID_FITNESS_MACHINE_SERVICE
								: 0 };
	size_t head = n;
	n += 2;
	for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++)
		if (services[i]) {
			bytes_put_le16(out + n, services[i]);
			n += 2;
		}
	if (n == head + 2) {
		n = head;
	} else {
		out[head] = (uint8_t)(n - head - 1);
		out[head + 1] = AD_UUID16_COMPLETE;
	}
	if (profiles & (FAKE_IMU | FAKE_MOVESENSE)) {
		struct gatt_uuid service =
			uuid128(profiles & FAKE_IMU ? IMU_HS_SERVICE_UUID : IMU_MS_SERVICE_UUID);
		out[n++] = 17;
		out[n++] = AD_UUID128_COMPLETE;
		memcpy(out + n, service.bytes, 16);
		n += 16;
	}
	return n + put_name(name, out + n, 31 - n);
}

size_t fake_scan_rsp_data(const char *name, uint8_t out[31])
{
	return put_name(name, out, 31);
}
