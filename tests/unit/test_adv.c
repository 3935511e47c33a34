// SPDX-License-Identifier: GPL-2.0-or-later
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decode/adv.h"
#include "decode/imu.h"

/* A foot pod's advertisement as sensors send it: flags (LE general
 * discoverable, no BR/EDR), the complete list of its 16-bit services (RSC,
 * Device Information) and its complete name. */
static const uint8_t footpod_adv[] = {
	0x02, 0x01, 0x06, 0x05, 0x03, 0x14, 0x18, 0x0A, 0x18, 0x06, 0x09, 'S', 't', 'r', 'y', 'd',
};

static struct adv_data parse_ok(const uint8_t *data, size_t len)
{
	struct adv_data adv;
	const char *why = NULL;
	if (!adv_parse(data, len, &adv, &why))
		fail_msg("adv_parse refused good data: %s", why);
	return adv;
}

/* Fills with a pattern that a parser writing the output would change. */
static void sentinel(struct adv_data *adv)
{
	memset(adv, 0xA5, sizeof(*adv));
}

static void assert_untouched(const struct adv_data *adv)
{
	struct adv_data s;
	sentinel(&s);
	assert_memory_equal(adv, &s, sizeof(s));
}

static void test_footpod(void **state)
{
	(void)state;
	struct adv_data adv = parse_ok(footpod_adv, sizeof(footpod_adv));
	assert_true(adv.has_flags);
	assert_int_equal(adv.flags, 0x06);
	assert_string_equal(adv.name, "Stryd");
	assert_true(adv.name_complete);
	assert_int_equal(adv.service_count, 2);
	assert_true(adv_has_service16(&adv, 0x1814));
	assert_true(adv_has_service16(&adv, 0x180A));
	assert_false(adv.services_incomplete);
	assert_string_equal(adv_suggest_role(&adv), "footpod");
	assert_string_equal(adv_service_name(&adv.services[0]), "running speed and cadence");
	assert_null(adv_service_name(&adv.services[1])); /* Device Information: not ours */
}

static void test_empty_and_padding(void **state)
{
	(void)state;
	struct adv_data adv = parse_ok(NULL, 0);
	assert_int_equal(adv.service_count, 0);
	assert_string_equal(adv.name, "");
	assert_null(adv_suggest_role(&adv));

	/* A zero length ends the significant part: what follows is padding,
	 * even if it is not zeros. */
	const uint8_t padded[] = { 0x02, 0x01, 0x06, 0x00, 0x05, 0x03, 0x14 };
	adv = parse_ok(padded, sizeof(padded));
	assert_true(adv.has_flags);
	assert_int_equal(adv.service_count, 0);
	const uint8_t zeros[31] = { 0 };
	adv = parse_ok(zeros, sizeof(zeros));
	assert_false(adv.has_flags);

	/* A structure of length 1 has a type and no data: an empty name. */
	const uint8_t empty_name[] = { 0x01, 0x09 };
	adv = parse_ok(empty_name, sizeof(empty_name));
	assert_string_equal(adv.name, "");
}

static void expect_refused(const uint8_t *data, size_t len, const char *why_part)
{
	struct adv_data adv;
	const char *why = NULL;
	sentinel(&adv);
	assert_false(adv_parse(data, len, &adv, &why));
	assert_untouched(&adv);
	assert_non_null(why);
	if (!strstr(why, why_part))
		fail_msg("reason '%s' does not say '%s'", why, why_part);
}

static void test_hostile_lengths(void **state)
{
	(void)state;
	/* The length byte promises more than there is. */
	const uint8_t past_end[] = { 0x02, 0x01, 0x06, 0x09, 0x09, 'S', 't' };
	expect_refused(past_end, sizeof(past_end), "past the end");
	/* A length byte with nothing after it. */
	const uint8_t lone_length[] = { 0x02, 0x01, 0x06, 0x03 };
	expect_refused(lone_length, sizeof(lone_length), "past the end");
	const uint8_t max_length[] = { 0xFF, 0x09, 'x' };
	expect_refused(max_length, sizeof(max_length), "past the end");
	/* Fixed-size fields of the wrong size. */
	const uint8_t empty_flags[] = { 0x01, 0x01 };
	expect_refused(empty_flags, sizeof(empty_flags), "flags");
	const uint8_t short_appearance[] = { 0x02, 0x19, 0x40 };
	expect_refused(short_appearance, sizeof(short_appearance), "appearance");
	const uint8_t short_service_data[] = { 0x02, 0x16, 0x1A };
	expect_refused(short_service_data, sizeof(short_service_data), "service data");

	/* Every cut of a good advertisement either ends between structures
	 * (and parses) or inside one (and is refused). */
	for (size_t cut = 0; cut < sizeof(footpod_adv); cut++) {
		struct adv_data adv;
		bool between = cut == 0 || cut == 3 || cut == 9;
		assert_int_equal(adv_parse(footpod_adv, cut, &adv, NULL), between);
	}
}

static void test_truncated_uuid_lists(void **state)
{
	(void)state;
	const uint8_t odd16[] = { 0x04, 0x03, 0x14, 0x18, 0x0D };
	expect_refused(odd16, sizeof(odd16), "16-bit service UUID list is cut off");
	const uint8_t short32[] = { 0x03, 0x05, 0x0D, 0x18 };
	expect_refused(short32, sizeof(short32), "32-bit service UUID list is cut off");
	uint8_t short128[17] = { 0x10, 0x07 };
	expect_refused(short128, sizeof(short128), "128-bit service UUID list is cut off");
	/* An empty list is a list of none. */
	const uint8_t none[] = { 0x01, 0x03 };
	assert_int_equal(parse_ok(none, sizeof(none)).service_count, 0);
}

/* The 128-bit UUID as it goes on air (least significant byte first). */
static void put_uuid128(uint8_t *p, const char *text)
{
	struct gatt_uuid u;
	assert_true(gatt_uuid_parse(text, &u));
	assert_int_equal(u.len, 16);
	memcpy(p, u.bytes, 16);
}

static void test_shoe_imus(void **state)
{
	(void)state;
	/* hamstride's own IMU profile, in an incomplete 128-bit list. */
	uint8_t hs[2 + 16 + 5] = { 0x11, 0x06 };
	put_uuid128(hs + 2, IMU_HS_SERVICE_UUID);
	memcpy(hs + 18, (const uint8_t[]){ 0x04, 0x08, 'L', 'e', 'f' }, 5); /* shortened name */
	struct adv_data adv = parse_ok(hs, sizeof(hs));
	assert_true(adv.services_incomplete);
	assert_int_equal(adv.service_count, 1);
	assert_string_equal(adv_service_name(&adv.services[0]), "hamstride imu");
	assert_string_equal(adv_suggest_role(&adv), "imu-left|imu-right");
	assert_string_equal(adv.name, "Lef");
	assert_false(adv.name_complete);

	/* A Movesense announces Suunto's 0xFDF3 and heart rate: an IMU first. */
	const uint8_t movesense[] = { 0x02, 0x01, 0x06, 0x05, 0x03, 0xF3, 0xFD,
				      0x0D, 0x18, 0x0B, 0x09, 'M',  'o',  'v',
				      'e',  's',  'e',  'n',  's',  'e',  ' ' };
	adv = parse_ok(movesense, sizeof(movesense));
	assert_true(adv_has_service16(&adv, ADV_SERVICE_HEART_RATE));
	assert_string_equal(adv_suggest_role(&adv), "imu-left|imu-right");
	assert_string_equal(adv_service_name(&adv.services[0]), "movesense");
}

static void test_other_roles(void **state)
{
	(void)state;
	/* Heart rate in a 32-bit list, written out on the base UUID. */
	const uint8_t hr32[] = { 0x05, 0x05, 0x0D, 0x18, 0x00, 0x00 };
	struct adv_data adv = parse_ok(hr32, sizeof(hr32));
	assert_int_equal(adv.services[0].len, 16);
	assert_int_equal(gatt_uuid_to16(&adv.services[0]), 0x180D);
	assert_string_equal(adv_suggest_role(&adv), "hrm");

	/* A barometer broadcasting ESS service data (pressure, 0.1 Pa). */
	const uint8_t ess[] = { 0x07, 0x16, 0x1A, 0x18, 0x6C, 0x97, 0x0E, 0x00 };
	adv = parse_ok(ess, sizeof(ess));
	assert_true(adv_has_service16(&adv, ADV_SERVICE_ESS));
	assert_int_equal(adv.service_data_count, 1);
	assert_int_equal(adv.service_data[0].len, 4);
	assert_memory_equal(adv.service_data[0].data, ess + 4, 4);
	assert_string_equal(adv_suggest_role(&adv), "baro");

	/* A treadmill (Fitness Machine Service). */
	const uint8_t ftms[] = { 0x03, 0x03, 0x26, 0x18 };
	adv = parse_ok(ftms, sizeof(ftms));
	assert_string_equal(adv_service_name(&adv.services[0]), "fitness machine");
	assert_string_equal(adv_suggest_role(&adv), "treadmill");

	/* No service list, but the appearance of a running sensor (0x0443,
	 * on-hip) or a heart-rate belt (0x0341). */
	const uint8_t pod_look[] = { 0x03, 0x19, 0x43, 0x04 };
	assert_string_equal(adv_suggest_role((adv = parse_ok(pod_look, 4), &adv)), "footpod");
	const uint8_t belt_look[] = { 0x03, 0x19, 0x41, 0x03 };
	assert_string_equal(adv_suggest_role((adv = parse_ok(belt_look, 4), &adv)), "hrm");
}

static void test_merge_scan_response(void **state)
{
	(void)state;
	const uint8_t ind[] = {
		0x02, 0x01, 0x06, 0x03, 0x03, 0x14, 0x18, 0x04, 0x08, 'M', 'P', 'o'
	};
	const uint8_t rsp[] = { 0x0A, 0x09, 'M', 'i',  'l',  'e',  'P', 'o',
				'd',  ' ',  '2', 0x03, 0x03, 0x0F, 0x18 };
	struct adv_data known = parse_ok(ind, sizeof(ind));
	struct adv_data more = parse_ok(rsp, sizeof(rsp));
	adv_merge(&known, &more);
	assert_string_equal(known.name, "MilePod 2");
	assert_true(known.name_complete);
	assert_int_equal(known.service_count, 2);
	assert_true(adv_has_service16(&known, 0x180F));
	/* The shortened name in the next advertisement keeps the complete one;
	 * services already known are not repeated. */
	struct adv_data again = parse_ok(ind, sizeof(ind));
	adv_merge(&known, &again);
	assert_string_equal(known.name, "MilePod 2");
	assert_int_equal(known.service_count, 2);
	assert_true(known.has_flags);
}

static void test_limits(void **state)
{
	(void)state;
	/* An extended advertisement: a 254-byte name and 40 16-bit services
	 * in one 81-byte structure. */
	uint8_t data[256 + 82];
	data[0] = 0xFF;
	data[1] = ADV_TYPE_NAME_COMPLETE;
	memset(data + 2, 'n', 254);
	data[256] = 81;
	data[257] = ADV_TYPE_UUID16_COMPLETE;
	for (int i = 0; i < 40; i++) {
		data[258 + 2 * i] = (uint8_t)i;
		data[259 + 2 * i] = 0xFE;
	}
	struct adv_data adv = parse_ok(data, sizeof(data));
	assert_int_equal(strlen(adv.name), 254);
	assert_int_equal(adv.service_count, ADV_MAX_SERVICES);
	assert_int_equal(adv.services_dropped, 40 - ADV_MAX_SERVICES);

	/* Service data longer than kept is cut, not refused. */
	uint8_t long_data[2 + 2 + 40] = { 43, ADV_TYPE_SERVICE_DATA16, 0x1A, 0x18 };
	adv = parse_ok(long_data, sizeof(long_data));
	assert_int_equal(adv.service_data[0].len, ADV_SERVICE_DATA_MAX_LEN);
}

/* Random bytes never crash the parser nor leave a name unterminated. */
static void test_random_bytes(void **state)
{
	(void)state;
	unsigned seed = 20261121;
	srand(seed);
	uint8_t buf[64];
	int accepted = 0;
	for (int round = 0; round < 20000; round++) {
		size_t len = (size_t)rand() % sizeof(buf);
		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)rand();
		/* Short lengths make whole structures likely. */
		if (len)
			buf[0] %= 8;
		struct adv_data adv;
		if (adv_parse(buf, len, &adv, NULL)) {
			accepted++;
			if (memchr(adv.name, '\0', sizeof(adv.name)) == NULL)
				fail_msg("unterminated name, seed %u round %d", seed, round);
			if (adv.service_count > ADV_MAX_SERVICES)
				fail_msg("too many services, seed %u round %d", seed, round);
		}
	}
	if (accepted < 100)
		fail_msg("only %d of 20000 random inputs parsed (seed %u): the test is not "
			 "exercising the accepting paths",
			 accepted, seed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_footpod),
		cmocka_unit_test(test_empty_and_padding),
		cmocka_unit_test(test_hostile_lengths),
		cmocka_unit_test(test_truncated_uuid_lists),
		cmocka_unit_test(test_shoe_imus),
		cmocka_unit_test(test_other_roles),
		cmocka_unit_test(test_merge_scan_response),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_random_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
