// SPDX-License-Identifier: GPL-2.0-or-later
#include "decode/drivers.h"

#include <string.h>

#include "decode/ess.h"
#include "decode/hrm.h"
#include "decode/imu.h"
#include "decode/rsc.h"

static const struct decode_driver table[] = {
	{ "running speed and cadence", "2A53", DECODE_RSC_MEASUREMENT, rsc_decode_measurement },
	{ "RSC feature", "2A54", DECODE_RSC_FEATURE, rsc_decode_feature },
	{ "sensor location", "2A5D", DECODE_SENSOR_LOCATION, rsc_decode_sensor_location },
	{ "heart rate", "2A37", DECODE_HEART_RATE, hrm_decode_measurement },
	{ "pressure", "2A6D", DECODE_PRESSURE, ess_decode_pressure },
	{ "temperature", "2A6E", DECODE_TEMPERATURE, ess_decode_temperature },
	{ "hamstride IMU data", IMU_HS_DATA_UUID, DECODE_IMU_DATA, NULL },
	{ "hamstride IMU configuration", IMU_HS_CONFIG_UUID, DECODE_IMU_CONFIG, NULL },
	{ "Movesense", IMU_MS_NOTIFY_UUID, DECODE_MOVESENSE, NULL },
	{ "treadmill data", "2ACD", DECODE_TREADMILL_DATA, NULL },
};

_Static_assert(sizeof(table) / sizeof(table[0]) <= DRIVERS_MAX, "DRIVERS_MAX too small");

void drivers_init(struct drivers *d)
{
	d->n = 0;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (gatt_uuid_parse(table[i].uuid, &d->uuid[d->n])) {
			d->uuid16[d->n] = gatt_uuid_to16(&d->uuid[d->n]);
			d->driver[d->n++] = &table[i];
		}
}

const struct decode_driver *drivers_find(const struct drivers *d, const struct gatt_uuid *uuid)
{
	/* Every notification is looked up: the short form once, then
	 * integers, or bytes for the vendors' 128-bit UUIDs. */
	uint16_t u16 = gatt_uuid_to16(uuid);
	for (size_t i = 0; i < d->n; i++)
		if (u16 ? d->uuid16[i] == u16
			: !d->uuid16[i] && d->uuid[i].len == uuid->len &&
				    memcmp(d->uuid[i].bytes, uuid->bytes, uuid->len) == 0)
			return d->driver[i];
	return NULL;
}
