// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target for the drivers table (decode/drivers.h), the lookup every
 * notification goes through, and for the UUID text the config and the
 * sensors table give it. The first byte says how the characteristic's UUID
 * follows (even: 16-bit, odd: 128-bit; wire order), the rest is the value
 * its decoder reads. Checked: a lookup finds a driver only for its own
 * UUID; a refused value leaves the decoded value untouched; UUID text that
 * parses prints back as the same UUID.
 */
#include "decode/drivers.h"
#include "fuzz.h"

static void check_uuid_text(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size < 64 ? size : 64);
	struct gatt_uuid u, again;
	memset(&u, FUZZ_POISON, sizeof(u));
	if (gatt_uuid_parse(text, &u)) {
		char buf[37];
		FUZZ_CHECK(u.len == 2 || u.len == 16);
		gatt_uuid_to_str(&u, buf, sizeof(buf));
		FUZZ_CHECK(gatt_uuid_parse(buf, &again) && gatt_uuid_equal(&u, &again));
	} else {
		FUZZ_CHECK(fuzz_untouched(&u, sizeof(u)));
	}
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_uuid_text(data, size);
	if (size < 1)
		return 0;
	size_t uuid_len = (data[0] & 1) ? 16 : 2;
	if (size < 1 + uuid_len)
		return 0;
	struct gatt_uuid uuid = { .len = (uint8_t)uuid_len };
	memcpy(uuid.bytes, data + 1, uuid_len);
	const uint8_t *value = data + 1 + uuid_len;
	size_t len = size - 1 - uuid_len;

	struct drivers d;
	drivers_init(&d);
	FUZZ_CHECK(d.n > 0);
	const struct decode_driver *drv = drivers_find(&d, &uuid);
	if (!drv)
		return 0;
	struct gatt_uuid own;
	FUZZ_CHECK(gatt_uuid_parse(drv->uuid, &own));
	FUZZ_CHECK(gatt_uuid_to16(&own) ? gatt_uuid_to16(&own) == gatt_uuid_to16(&uuid)
					: gatt_uuid_equal(&own, &uuid));
	if (!drv->decode)
		return 0;
	struct decode_value dv;
	memset(&dv, FUZZ_POISON, sizeof(dv));
	if (!drv->decode(value, len, &dv))
		FUZZ_CHECK(fuzz_untouched(&dv, sizeof(dv)));
	return 0;
}
