// SPDX-License-Identifier: GPL-2.0-or-later
#include "util/notification.h"

#include <stdio.h>
#include <string.h>

/* 0000xxxx-0000-1000-8000-00805f9b34fb, little-endian as on the wire. */
static const uint8_t bluetooth_base_uuid[16] = {
	0xfb, 0x34, 0x9b, 0x5f, 0x80, 0x00, 0x00, 0x80,
	0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

struct gatt_uuid gatt_uuid_from16(uint16_t uuid16)
{
	struct gatt_uuid u = { .len = 2 };
	u.bytes[0] = (uint8_t)(uuid16 & 0xff);
	u.bytes[1] = (uint8_t)(uuid16 >> 8);
	return u;
}

uint16_t gatt_uuid_to16(const struct gatt_uuid *uuid)
{
	if (uuid->len == 2)
		return (uint16_t)(uuid->bytes[0] | uuid->bytes[1] << 8);
	if (uuid->len != 16)
		return 0;
	/* Bytes 12..13 carry the 16-bit value; the rest must be the base. */
	if (memcmp(uuid->bytes, bluetooth_base_uuid, 12) != 0 || uuid->bytes[14] || uuid->bytes[15])
		return 0;
	return (uint16_t)(uuid->bytes[12] | uuid->bytes[13] << 8);
}

bool gatt_uuid_equal(const struct gatt_uuid *a, const struct gatt_uuid *b)
{
	uint16_t a16 = gatt_uuid_to16(a);
	uint16_t b16 = gatt_uuid_to16(b);
	if (a16 || b16)
		return a16 == b16;
	return a->len == b->len && memcmp(a->bytes, b->bytes, a->len) == 0;
}

const char *gatt_uuid_to_str(const struct gatt_uuid *uuid, char *buf, size_t size)
{
	uint16_t u16 = gatt_uuid_to16(uuid);
	const uint8_t *b = uuid->bytes;

	if (u16)
		snprintf(buf, size, "%04X", u16);
	else if (uuid->len == 16)
		snprintf(buf, size,
			 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
			 b[15], b[14], b[13], b[12], b[11], b[10], b[9], b[8], b[7], b[6], b[5],
			 b[4], b[3], b[2], b[1], b[0]);
	else
		snprintf(buf, size, "unknown");
	return buf;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reads 2*n hex digits into bytes in big-endian order. */
static bool parse_hex_bytes(const char *text, uint8_t *bytes, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi = hex_value(text[2 * i]);
		int lo = hi < 0 ? -1 : hex_value(text[2 * i + 1]);
		if (lo < 0)
			return false;
		bytes[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

bool gatt_uuid_parse(const char *text, struct gatt_uuid *out)
{
	uint8_t be[16];
	size_t len;

	if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
		text += 2;
	len = strlen(text);
	if (len == 4) {
		/* 0x0000 is no SIG UUID, and 0 is how gatt_uuid_to16 says so:
		 * taken, it would print as "unknown" and match nothing. */
		if (!parse_hex_bytes(text, be, 2) || (be[0] | be[1]) == 0)
			return false;
		*out = gatt_uuid_from16((uint16_t)(be[0] << 8 | be[1]));
		return true;
	}
	if (len != 36 || text[8] != '-' || text[13] != '-' || text[18] != '-' || text[23] != '-')
		return false;
	char digits[33];
	size_t k = 0;
	for (size_t i = 0; i < len; i++)
		if (text[i] != '-')
			digits[k++] = text[i];
	digits[k] = '\0';
	if (k != 32 || !parse_hex_bytes(digits, be, 16))
		return false;
	out->len = 16;
	for (size_t i = 0; i < 16; i++)
		out->bytes[i] = be[15 - i];
	return true;
}

const char *notification_addr_to_str(const uint8_t addr[NOTIFICATION_ADDR_LEN], char *buf,
				     size_t size)
{
	snprintf(buf, size, "%02X:%02X:%02X:%02X:%02X:%02X", addr[5], addr[4], addr[3], addr[2],
		 addr[1], addr[0]);
	return buf;
}

bool notification_addr_parse(const char *text, uint8_t addr[NOTIFICATION_ADDR_LEN])
{
	uint8_t be[NOTIFICATION_ADDR_LEN];
	if (strlen(text) != 17)
		return false;
	for (size_t i = 0; i < NOTIFICATION_ADDR_LEN; i++) {
		if (i < NOTIFICATION_ADDR_LEN - 1 && text[3 * i + 2] != ':')
			return false;
		if (!parse_hex_bytes(text + 3 * i, &be[i], 1))
			return false;
	}
	for (size_t i = 0; i < NOTIFICATION_ADDR_LEN; i++)
		addr[i] = be[NOTIFICATION_ADDR_LEN - 1 - i];
	return true;
}
