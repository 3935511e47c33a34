// SPDX-License-Identifier: GPL-2.0-or-later
/* GATT discovery and subscription against scripted sensors. */
#include "att_script.h"
#include "ble/gatt_client.h"

#include <errno.h>
#include <stdlib.h>

static const uint8_t pod_addr[NOTIFICATION_ADDR_LEN] = { 0x2E, 0x1B, 0x6A, 0x8D, 0x7C, 0xC4 };

struct fixture {
	struct script s;
	struct gatt_client *client;
	int ready_calls;
	bool ok;
	char why[256];
	const struct gatt_db *db;
	int notes;
	struct notification last;
	uint8_t last_value[64];
	bool free_in_ready;
};

static void on_ready(bool ok, const char *why, const struct gatt_db *db, void *user_data)
{
	struct fixture *f = user_data;
	f->ready_calls++;
	f->ok = ok;
	snprintf(f->why, sizeof(f->why), "%s", why ? why : "");
	f->db = db;
	if (f->free_in_ready) {
		gatt_client_free(f->client);
		f->client = NULL;
	}
}

static void on_note(const struct notification *n, void *user_data)
{
	struct fixture *f = user_data;
	f->notes++;
	f->last = *n;
	size_t len = n->len < sizeof(f->last_value) ? n->len : sizeof(f->last_value);
	memcpy(f->last_value, n->value, len);
	f->last.value = f->last_value;
}

/* mtu 23 skips the MTU exchange, which most scripts do not care about. */
static void fixture_open(struct fixture *f, uint16_t mtu)
{
	memset(f, 0, sizeof(*f));
	script_open(&f->s, mtu);
	f->client = gatt_client_new(f->s.att, pod_addr, NOTIFICATION_ADDR_RANDOM);
	gatt_client_set_ready_handler(f->client, on_ready, f, NULL);
	gatt_client_set_notify_handler(f->client, on_note, f, NULL);
}

static void fixture_close(struct fixture *f)
{
	gatt_client_free(f->client);
	script_close(&f->s);
}

static void subscribe16(struct fixture *f, uint16_t uuid16)
{
	struct gatt_uuid uuid = gatt_uuid_from16(uuid16);
	assert_true(gatt_client_subscribe(f->client, &uuid));
}

static void start(struct fixture *f)
{
	assert_int_equal(gatt_client_start(f->client, f->s.now_us), 0);
}

static void assert_failed_with(struct fixture *f, const char *needle)
{
	assert_int_equal(f->ready_calls, 1);
	assert_false(f->ok);
	if (!strstr(f->why, needle))
		fail_msg("why is \"%s\", expected it to contain \"%s\"", f->why, needle);
	script_assert_logged(&f->s, "GATT discovery failed");
	script_expect_silence(&f->s);
}

/* Discovery of a foot pod: GAP 0x0001-0x0005 and Running Speed and Cadence
 * 0x0010-0x001A with RSC Measurement (notify), RSC Feature, Sensor Location
 * and SC Control Point (write, indicate). */
#define FOOT_POD_SERVICES                                                             \
	EXPECT(0x10, LE16(0x0001), LE16(0xFFFF), LE16(0x2800)),                       \
		SEND(0x11, 6, LE16(0x0001), LE16(0x0005), LE16(0x1800), LE16(0x0010), \
		     LE16(0x001A), LE16(0x1814)),                                     \
		EXPECT(0x10, LE16(0x001B), LE16(0xFFFF), LE16(0x2800)),               \
		SEND(0x01, 0x10, LE16(0x001B), 0x0A),                                 \
		EXPECT(0x08, LE16(0x0001), LE16(0x0005), LE16(0x2802)),               \
		SEND(0x01, 0x08, LE16(0x0001), 0x0A),                                 \
		EXPECT(0x08, LE16(0x0010), LE16(0x001A), LE16(0x2802)),               \
		SEND(0x01, 0x08, LE16(0x0010), 0x0A)

#define FOOT_POD_CHARACTERISTICS                                                                  \
	EXPECT(0x08, LE16(0x0001), LE16(0x0005), LE16(0x2803)),                                   \
		SEND(0x09, 7, LE16(0x0002), 0x02, LE16(0x0003), LE16(0x2A00), LE16(0x0004), 0x02, \
		     LE16(0x0005), LE16(0x2A01)),                                                 \
		EXPECT(0x08, LE16(0x0010), LE16(0x001A), LE16(0x2803)),                           \
		SEND(0x09, 7, LE16(0x0011), 0x10, LE16(0x0012), LE16(0x2A53), LE16(0x0014), 0x02, \
		     LE16(0x0015), LE16(0x2A54), LE16(0x0016), 0x02, LE16(0x0017), LE16(0x2A5D)), \
		EXPECT(0x08, LE16(0x0018), LE16(0x001A), LE16(0x2803)),                           \
		SEND(0x09, 7, LE16(0x0018), 0x28, LE16(0x0019), LE16(0x2A55)),                    \
		EXPECT(0x08, LE16(0x001A), LE16(0x001A), LE16(0x2803)),                           \
		SEND(0x01, 0x08, LE16(0x001A), 0x0A)

#define FOOT_POD_DESCRIPTORS                                                                    \
	EXPECT(0x04, LE16(0x0013), LE16(0x0013)), SEND(0x05, 0x01, LE16(0x0013), LE16(0x2902)), \
		EXPECT(0x04, LE16(0x001A), LE16(0x001A)),                                       \
		SEND(0x05, 0x01, LE16(0x001A), LE16(0x2902))

#define FOOT_POD_READS                                                                  \
	EXPECT(0x0A, LE16(0x0015)), SEND(0x0B, 0x03, 0x00), EXPECT(0x0A, LE16(0x0017)), \
		SEND(0x0B, 0x07)

static void foot_pod_is_discovered_read_and_subscribed(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f, 247);
	subscribe16(&f, UUID_RSC_MEASUREMENT);
	start(&f);
	SCRIPT_PLAY(&f.s, EXPECT(0x02, LE16(247)), SEND(0x03, LE16(64)), FOOT_POD_SERVICES,
		    FOOT_POD_CHARACTERISTICS, FOOT_POD_DESCRIPTORS, FOOT_POD_READS,
		    EXPECT(0x12, LE16(0x0013), LE16(0x0001)), SEND(0x13));
	script_expect_silence(&f.s);
	assert_int_equal(f.ready_calls, 1);
	assert_true(f.ok);
	assert_true(gatt_client_is_ready(f.client));
	assert_int_equal(att_get_mtu(f.s.att), 64);

	const struct gatt_db *db = f.db;
	assert_int_equal(db->n_services, 2);
	assert_int_equal(gatt_uuid_to16(&db->services[1].uuid), 0x1814);
	assert_int_equal(db->services[1].first_characteristic, 2);
	assert_int_equal(db->services[1].n_characteristics, 4);
	assert_int_equal(db->n_characteristics, 6);
	assert_int_equal(db->n_descriptors, 2);
	assert_int_equal(db->n_includes, 0);

	const struct gatt_characteristic *rsc = &db->characteristics[2];
	assert_int_equal(gatt_uuid_to16(&rsc->uuid), UUID_RSC_MEASUREMENT);
	assert_int_equal(rsc->decl_handle, 0x0011);
	assert_int_equal(rsc->value_handle, 0x0012);
	assert_int_equal(rsc->end_handle, 0x0013);
	assert_int_equal(rsc->cccd_handle, 0x0013);
	assert_int_equal(rsc->subscribed, GATT_CCCD_NOTIFY);
	assert_int_equal(db->characteristics[0].end_handle, 0x0003);
	assert_int_equal(db->characteristics[1].end_handle, 0x0005);
	assert_int_equal(db->characteristics[5].end_handle, 0x001A);
	assert_int_equal(db->characteristics[5].cccd_handle, 0x001A);
	assert_int_equal(db->characteristics[5].subscribed, 0);

	struct gatt_uuid feature_uuid = gatt_uuid_from16(UUID_RSC_FEATURE);
	const struct gatt_characteristic *feature =
		gatt_client_find_by_uuid(f.client, &feature_uuid);
	assert_non_null(feature);
	assert_true(feature->value_read);
	assert_int_equal(feature->value_len, 2);
	assert_memory_equal(feature->value, ((uint8_t[]){ 0x03, 0x00 }), 2);
	const struct gatt_characteristic *location = gatt_client_find_by_handle(f.client, 0x0017);
	assert_non_null(location);
	assert_int_equal(location->value_len, 1);
	assert_int_equal(location->value[0], 0x07);

	f.s.now_us += 1000;
	SCRIPT_PLAY(&f.s, SEND(0x1B, LE16(0x0012), 0x02, 0x9A, 0x01, 0x55, 0x00, 0x00));
	assert_int_equal(f.notes, 1);
	assert_int_equal(f.last.handle, 0x0012);
	assert_int_equal(gatt_uuid_to16(&f.last.uuid), UUID_RSC_MEASUREMENT);
	assert_int_equal(f.last.host_time_us, f.s.now_us);
	assert_memory_equal(f.last.addr, pod_addr, NOTIFICATION_ADDR_LEN);
	assert_int_equal(f.last.addr_type, NOTIFICATION_ADDR_RANDOM);
	assert_int_equal(f.last.len, 6);
	assert_int_equal(f.last.value[1], 0x9A);
	fixture_close(&f);
}

static void indicate_only_characteristic_gets_indications(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f, 23);
	subscribe16(&f, 0x2A55);
	start(&f);
	SCRIPT_PLAY(&f.s, FOOT_POD_SERVICES, FOOT_POD_CHARACTERISTICS, FOOT_POD_DESCRIPTORS,
		    FOOT_POD_READS, EXPECT(0x12, LE16(0x001A), LE16(0x0002)), SEND(0x13),
		    SEND(0x1D, LE16(0x0019), 0x20, 0x01, 0x01), EXPECT(0x1E));
	assert_true(f.ok);
	assert_int_equal(f.db->characteristics[5].subscribed, GATT_CCCD_INDICATE);
	assert_int_equal(f.notes, 1);
	assert_int_equal(gatt_uuid_to16(&f.last.uuid), 0x2A55);
	fixture_close(&f);
}

/* A shoe IMU with a vendor service and 128-bit characteristics, a heart
 * rate service, and a CCCD found in 128-bit Find Information format. */
#define IMU_SERVICE_UUID                                                                          \
	0x9E, 0xCA, 0xDC, 0x24, 0x0E, 0xE5, 0xA9, 0xE0, 0x93, 0xF3, 0xA3, 0xB5, 0x01, 0x00, 0x40, \
		0x6E
#define IMU_DATA_UUID                                                                             \
	0x9E, 0xCA, 0xDC, 0x24, 0x0E, 0xE5, 0xA9, 0xE0, 0x93, 0xF3, 0xA3, 0xB5, 0x03, 0x00, 0x40, \
		0x6E
#define CCCD_128                                                                                  \
	0xFB, 0x34, 0x9B, 0x5F, 0x80, 0x00, 0x00, 0x80, 0x00, 0x10, 0x00, 0x00, 0x02, 0x29, 0x00, \
		0x00

static void imu_with_128_bit_uuids_is_subscribed(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f, 23);
	struct gatt_uuid imu = { .len = 16, .bytes = { IMU_DATA_UUID } };
	assert_true(gatt_client_subscribe(f.client, &imu));
	subscribe16(&f, UUID_HEART_RATE_MEASUREMENT);
	start(&f);
	SCRIPT_PLAY(&f.s, EXPECT(0x10, LE16(0x0001), LE16(0xFFFF), LE16(0x2800)),
		    SEND(0x11, 20, LE16(0x0020), LE16(0x0024), IMU_SERVICE_UUID),
		    EXPECT(0x10, LE16(0x0025), LE16(0xFFFF), LE16(0x2800)),
		    SEND(0x11, 6, LE16(0x0030), LE16(0xFFFF), LE16(0x180D)),
		    EXPECT(0x08, LE16(0x0020), LE16(0x0024), LE16(0x2802)),
		    SEND(0x01, 0x08, LE16(0x0020), 0x0A),
		    EXPECT(0x08, LE16(0x0030), LE16(0xFFFF), LE16(0x2802)),
		    SEND(0x01, 0x08, LE16(0x0030), 0x0A),
		    EXPECT(0x08, LE16(0x0020), LE16(0x0024), LE16(0x2803)),
		    SEND(0x09, 21, LE16(0x0021), 0x10, LE16(0x0022), IMU_DATA_UUID),
		    EXPECT(0x08, LE16(0x0023), LE16(0x0024), LE16(0x2803)),
		    SEND(0x01, 0x08, LE16(0x0023), 0x0A),
		    EXPECT(0x08, LE16(0x0030), LE16(0xFFFF), LE16(0x2803)),
		    SEND(0x09, 7, LE16(0x0031), 0x10, LE16(0x0032), LE16(0x2A37)),
		    EXPECT(0x08, LE16(0x0033), LE16(0xFFFF), LE16(0x2803)),
		    SEND(0x01, 0x08, LE16(0x0033), 0x0A), EXPECT(0x04, LE16(0x0023), LE16(0x0024)),
		    SEND(0x05, 0x02, LE16(0x0023), CCCD_128),
		    EXPECT(0x04, LE16(0x0024), LE16(0x0024)),
		    SEND(0x05, 0x01, LE16(0x0024), LE16(0x2901)),
		    EXPECT(0x04, LE16(0x0033), LE16(0xFFFF)),
		    SEND(0x05, 0x01, LE16(0x0033), LE16(0x2902)),
		    EXPECT(0x04, LE16(0x0034), LE16(0xFFFF)), SEND(0x01, 0x04, LE16(0x0034), 0x0A),
		    EXPECT(0x12, LE16(0x0023), LE16(0x0001)), SEND(0x13),
		    EXPECT(0x12, LE16(0x0033), LE16(0x0001)), SEND(0x13));
	script_expect_silence(&f.s);
	assert_true(f.ok);
	assert_int_equal(f.db->n_descriptors, 3);
	assert_int_equal(f.db->characteristics[0].n_descriptors, 2);
	assert_int_equal(f.db->characteristics[0].cccd_handle, 0x0023);
	assert_int_equal(f.db->characteristics[1].subscribed, GATT_CCCD_NOTIFY);
	SCRIPT_PLAY(&f.s, SEND(0x1B, LE16(0x0022), 0x01, 0x02, 0x03));
	assert_int_equal(f.last.uuid.len, 16);
	assert_true(gatt_uuid_equal(&f.last.uuid, &imu));
	fixture_close(&f);
}

static void limited_discovery_uses_find_by_type_value(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f, 23);
	struct gatt_uuid rscs = gatt_uuid_from16(0x1814), hrs = gatt_uuid_from16(0x180D);
	assert_true(gatt_client_limit_to_service(f.client, &hrs));
	assert_true(gatt_client_limit_to_service(f.client, &rscs));
	start(&f);
	/* Found out of handle order, so the database is sorted afterwards. */
	SCRIPT_PLAY(&f.s, EXPECT(0x06, LE16(0x0001), LE16(0xFFFF), LE16(0x2800), LE16(0x180D)),
		    SEND(0x07, LE16(0x0030), LE16(0x0033)),
		    EXPECT(0x06, LE16(0x0034), LE16(0xFFFF), LE16(0x2800), LE16(0x180D)),
		    SEND(0x01, 0x06, LE16(0x0034), 0x0A),
		    EXPECT(0x06, LE16(0x0001), LE16(0xFFFF), LE16(0x2800), LE16(0x1814)),
		    SEND(0x07, LE16(0x0010), LE16(0x0012)),
		    EXPECT(0x06, LE16(0x0013), LE16(0xFFFF), LE16(0x2800), LE16(0x1814)),
		    SEND(0x01, 0x06, LE16(0x0013), 0x0A),
		    EXPECT(0x08, LE16(0x0010), LE16(0x0012), LE16(0x2802)),
		    SEND(0x01, 0x08, LE16(0x0010), 0x0A),
		    EXPECT(0x08, LE16(0x0030), LE16(0x0033), LE16(0x2802)),
		    SEND(0x01, 0x08, LE16(0x0030), 0x0A),
		    EXPECT(0x08, LE16(0x0010), LE16(0x0012), LE16(0x2803)),
		    SEND(0x01, 0x08, LE16(0x0010), 0x0A),
		    EXPECT(0x08, LE16(0x0030), LE16(0x0033), LE16(0x2803)),
		    SEND(0x01, 0x08, LE16(0x0030), 0x0A));
	assert_true(f.ok);
	assert_int_equal(f.db->n_services, 2);
	assert_int_equal(f.db->services[0].start_handle, 0x0010);
	assert_int_equal(gatt_uuid_to16(&f.db->services[1].uuid), 0x180D);
	fixture_close(&f);
}

static void long_value_is_read_with_read_blob(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f, 23);
	struct gatt_uuid name = gatt_uuid_from16(0x2A00);
	assert_true(gatt_client_read_on_ready(f.client, &name));
	start(&f);
	/* 22 bytes fill an MTU-23 Read Response, so more may follow. */
	SCRIPT_PLAY(&f.s, FOOT_POD_SERVICES, FOOT_POD_CHARACTERISTICS, FOOT_POD_DESCRIPTORS,
		    EXPECT(0x0A, LE16(0x0003)),
		    SEND(0x0B, 'S', 't', 'r', 'i', 'd', 'e', ' ', 'S', 'e', 'n', 's', 'o', 'r', ' ',
			 'F', 'o', 'o', 't', ' ', 'P', 'o', 'd'),
		    EXPECT(0x0C, LE16(0x0003), LE16(22)), SEND(0x0D, ' ', '2'), FOOT_POD_READS);
	assert_true(f.ok);
	const struct gatt_characteristic *ch = gatt_client_find_by_uuid(f.client, &name);
	assert_int_equal(ch->value_len, 24);
	assert_memory_equal(ch->value, "Stride Sensor Foot Pod 2", 24);
	fixture_close(&f);
}

static void value_of_exactly_mtu_length_ends_on_attribute_not_long(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f, 23);
	struct gatt_uuid name = gatt_uuid_from16(0x2A00);
	gatt_client_read_on_ready(f.client, &name);
	start(&f);
	SCRIPT_PLAY(&f.s, FOOT_POD_SERVICES, FOOT_POD_CHARACTERISTICS, FOOT_POD_DESCRIPTORS,
		    EXPECT(0x0A, LE16(0x0003)),
		    SEND(0x0B, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
			 20, 21, 22),
		    EXPECT(0x0C, LE16(0x0003), LE16(22)), SEND(0x01, 0x0C, LE16(0x0003), 0x0B),
		    FOOT_POD_READS);
	assert_true(f.ok);
	const struct gatt_characteristic *ch = gatt_client_find_by_uuid(f.client, &name);
	assert_true(ch->value_read);
	assert_int_equal(ch->value_len, 22);
	assert_int_equal(ch->att_error, 0);
	fixture_close(&f);
}

static void mtu_exchange_refused_keeps_23_and_continues(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f, 247);
	start(&f);
	SCRIPT_PLAY(&f.s, EXPECT(0x02, LE16(247)), SEND(0x01, 0x02, LE16(0), 0x06),
		    FOOT_POD_SERVICES, FOOT_POD_CHARACTERISTICS, FOOT_POD_DESCRIPTORS,
		    FOOT_POD_READS);
	assert_true(f.ok);
	assert_int_equal(att_get_mtu(f.s.att), 23);
	script_assert_logged(&f.s, "staying at ATT MTU 23");
	fixture_close(&f);
}

static void includes_are_recorded(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f, 23);
	start(&f);
	SCRIPT_PLAY(&f.s, EXPECT(0x10, LE16(0x0001), LE16(0xFFFF), LE16(0x2800)),
		    SEND(0x11, 6, LE16(0x0010), LE16(0x0015), LE16(0x1814)),
		    EXPECT(0x10, LE16(0x0016), LE16(0xFFFF), LE16(0x2800)),
		    SEND(0x01, 0x10, LE16(0x0016), 0x0A),
		    EXPECT(0x08, LE16(0x0010), LE16(0x0015), LE16(0x2802)),
		    SEND(0x09, 8, LE16(0x0011), LE16(0x0040), LE16(0x0045), LE16(0x180F)),
		    EXPECT(0x08, LE16(0x0012), LE16(0x0015), LE16(0x2802)),
		    SEND(0x09, 6, LE16(0x0012), LE16(0x0050), LE16(0x0055)),
		    EXPECT(0x08, LE16(0x0013), LE16(0x0015), LE16(0x2802)),
		    SEND(0x01, 0x08, LE16(0x0013), 0x0A),
		    EXPECT(0x08, LE16(0x0010), LE16(0x0015), LE16(0x2803)),
		    SEND(0x01, 0x08, LE16(0x0010), 0x0A));
	assert_true(f.ok);
	assert_int_equal(f.db->n_includes, 2);
	assert_int_equal(f.db->includes[0].start_handle, 0x0040);
	assert_int_equal(gatt_uuid_to16(&f.db->includes[0].uuid), 0x180F);
	assert_int_equal(f.db->includes[1].uuid.len, 0);
	fixture_close(&f);
}

static void refused_read_and_subscription_are_recorded_not_fatal(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f, 23);
	subscribe16(&f, UUID_RSC_MEASUREMENT);
	start(&f);
	SCRIPT_PLAY(&f.s, FOOT_POD_SERVICES, FOOT_POD_CHARACTERISTICS, FOOT_POD_DESCRIPTORS,
		    EXPECT(0x0A, LE16(0x0015)), SEND(0x01, 0x0A, LE16(0x0015), 0x02),
		    EXPECT(0x0A, LE16(0x0017)), SEND(0x0B, 0x07),
		    EXPECT(0x12, LE16(0x0013), LE16(0x0001)), SEND(0x01, 0x12, LE16(0x0013), 0x05));
	assert_true(f.ok);
	assert_int_equal(f.db->characteristics[3].att_error, 0x02);
	assert_false(f.db->characteristics[3].value_read);
	assert_int_equal(f.db->characteristics[2].att_error, 0x05);
	assert_int_equal(f.db->characteristics[2].subscribed, 0);
	script_assert_logged(&f.s, "sensor refused to read 2A54 at 0x0015: peer answered Read "
				   "Request for handle 0x0015 with 0x02 Read Not Permitted");
	script_assert_logged(&f.s,
			     "sensor refused to enable notifications on 2A53 at 0x0012: "
			     "peer answered Write Request for handle 0x0013 with 0x05 Insufficient "
			     "Authentication");
	fixture_close(&f);
}

static void characteristic_without_cccd_is_not_written(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f, 23);
	subscribe16(&f, UUID_RSC_FEATURE);
	start(&f);
	SCRIPT_PLAY(&f.s, FOOT_POD_SERVICES, FOOT_POD_CHARACTERISTICS, FOOT_POD_DESCRIPTORS,
		    FOOT_POD_READS);
	script_expect_silence(&f.s);
	assert_true(f.ok);
	script_assert_logged(&f.s, "characteristic 2A54 at 0x0015 has no CCCD; cannot subscribe");
	fixture_close(&f);
}

static void notification_for_unknown_handle_has_no_uuid(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f, 23);
	SCRIPT_PLAY(&f.s, SEND(0x1B, LE16(0x0099), 0x01));
	assert_int_equal(f.notes, 1);
	assert_int_equal(f.last.handle, 0x0099);
	assert_int_equal(f.last.uuid.len, 0);
	fixture_close(&f);
}

static void freeing_the_client_from_its_ready_callback_is_safe(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f, 23);
	f.free_in_ready = true;
	start(&f);
	SCRIPT_PLAY(&f.s, EXPECT(0x10, LE16(0x0001), LE16(0xFFFF), LE16(0x2800)),
		    SEND(0x01, 0x10, LE16(0x0001), 0x05));
	assert_int_equal(f.ready_calls, 1);
	assert_null(f.client);
	/* The bearer no longer hands notifications to the freed client. */
	SCRIPT_PLAY(&f.s, SEND(0x1B, LE16(0x0012), 0x01));
	assert_int_equal(f.notes, 0);
	fixture_close(&f);
}

static void starting_twice_is_refused(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f, 23);
	start(&f);
	assert_int_equal(gatt_client_start(f.client, f.s.now_us), -EALREADY);
	struct gatt_uuid uuid = gatt_uuid_from16(0x2A53);
	assert_false(gatt_client_subscribe(f.client, &uuid));
	fixture_close(&f);
}

/* --- hostile peers ---------------------------------------------------- */

static void service_discovery_refused_fails_naming_the_error(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f, 23);
	start(&f);
	SCRIPT_PLAY(&f.s, EXPECT(0x10, LE16(0x0001), LE16(0xFFFF), LE16(0x2800)),
		    SEND(0x01, 0x10, LE16(0x0001), 0x05));
	assert_failed_with(&f,
			   "primary service discovery failed: peer answered Read By Group "
			   "Type Request for handle 0x0001 with 0x05 Insufficient Authentication");
	fixture_close(&f);
}

static void peer_repeating_the_same_service_cannot_loop_discovery(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f, 23);
	start(&f);
	SCRIPT_PLAY(&f.s, EXPECT(0x10, LE16(0x0001), LE16(0xFFFF), LE16(0x2800)),
		    SEND(0x11, 6, LE16(0x0001), LE16(0x0005), LE16(0x1800)),
		    EXPECT(0x10, LE16(0x0006), LE16(0xFFFF), LE16(0x2800)),
		    SEND(0x11, 6, LE16(0x0001), LE16(0x0005), LE16(0x1800)));
	assert_failed_with(&f, "peer reported service 1800 at 0x0001-0x0005 when asked from "
			       "0x0006; handles must increase");
	fixture_close(&f);
}

static void service_ending_before_it_starts_fails(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f, 23);
	start(&f);
	SCRIPT_PLAY(&f.s, EXPECT(0x10, LE16(0x0001), LE16(0xFFFF), LE16(0x2800)),
		    SEND(0x11, 6, LE16(0x0010), LE16(0x0008), LE16(0x1814)));
	assert_failed_with(&f, "handles must increase");
	fixture_close(&f);
}

static void group_entries_that_do_not_divide_fail(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f, 23);
	start(&f);
	SCRIPT_PLAY(&f.s, EXPECT(0x10, LE16(0x0001), LE16(0xFFFF), LE16(0x2800)),
		    SEND(0x11, 6, LE16(0x0001), LE16(0x0005), LE16(0x1800), 0xAA));
	assert_failed_with(&f, "peer sent a Read By Group Type Response with 7 bytes of 6-byte "
			       "entries, which do not divide");
	fixture_close(&f);
}

static void group_entry_length_other_than_6_or_20_fails(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f, 23);
	start(&f);
	SCRIPT_PLAY(&f.s, EXPECT(0x10, LE16(0x0001), LE16(0xFFFF), LE16(0x2800)),
		    SEND(0x11, 5, LE16(0x0001), LE16(0x0005), 0x00));
	assert_failed_with(&f, "with 5-byte entries; they must be 6 or 20 bytes");
	fixture_close(&f);
}

static void empty_group_response_fails(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f, 23);
	start(&f);
	SCRIPT_PLAY(&f.s, EXPECT(0x10, LE16(0x0001), LE16(0xFFFF), LE16(0x2800)), SEND(0x11));
	assert_failed_with(&f, "peer sent an empty Read By Group Type Response");
	fixture_close(&f);
}

static void wrong_response_opcode_during_discovery_fails(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f, 23);
	start(&f);
	SCRIPT_PLAY(&f.s, EXPECT(0x10, LE16(0x0001), LE16(0xFFFF), LE16(0x2800)),
		    SEND(0x09, 7, LE16(0x0002), 0x02, LE16(0x0003), LE16(0x2A00)));
	assert_failed_with(&f, "peer answered Read By Group Type Request with Read By Type "
			       "Response (0x09)");
	fixture_close(&f);
}

static void overlapping_services_fail(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f, 23);
	struct gatt_uuid a = gatt_uuid_from16(0x1814), b = gatt_uuid_from16(0x180D);
	gatt_client_limit_to_service(f.client, &a);
	gatt_client_limit_to_service(f.client, &b);
	start(&f);
	SCRIPT_PLAY(&f.s, EXPECT(0x06, LE16(0x0001), LE16(0xFFFF), LE16(0x2800), LE16(0x1814)),
		    SEND(0x07, LE16(0x0010), LE16(0x0020)),
		    EXPECT(0x06, LE16(0x0021), LE16(0xFFFF), LE16(0x2800), LE16(0x1814)),
		    SEND(0x01, 0x06, LE16(0x0021), 0x0A),
		    EXPECT(0x06, LE16(0x0001), LE16(0xFFFF), LE16(0x2800), LE16(0x180D)),
		    SEND(0x07, LE16(0x0018), LE16(0x0030)));
	assert_failed_with(&f, "peer reported service 180D at 0x0018-0x0030 overlapping "
			       "0x0010-0x0020");
	fixture_close(&f);
}

static void find_by_type_value_response_of_odd_length_fails(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f, 23);
	struct gatt_uuid a = gatt_uuid_from16(0x1814);
	gatt_client_limit_to_service(f.client, &a);
	start(&f);
	SCRIPT_PLAY(&f.s, EXPECT(0x06, LE16(0x0001), LE16(0xFFFF), LE16(0x2800), LE16(0x1814)),
		    SEND(0x07, LE16(0x0010), 0x20));
	assert_failed_with(&f, "Find By Type Value Response with 3 bytes");
	fixture_close(&f);
}

#define ONE_SERVICE                                                      \
	EXPECT(0x10, LE16(0x0001), LE16(0xFFFF), LE16(0x2800)),          \
		SEND(0x11, 6, LE16(0x0010), LE16(0x0020), LE16(0x1814)), \
		EXPECT(0x10, LE16(0x0021), LE16(0xFFFF), LE16(0x2800)),  \
		SEND(0x01, 0x10, LE16(0x0021), 0x0A),                    \
		EXPECT(0x08, LE16(0x0010), LE16(0x0020), LE16(0x2802)),  \
		SEND(0x01, 0x08, LE16(0x0010), 0x0A),                    \
		EXPECT(0x08, LE16(0x0010), LE16(0x0020), LE16(0x2803))

static void peer_repeating_the_same_characteristic_cannot_loop(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f, 23);
	start(&f);
	SCRIPT_PLAY(&f.s, ONE_SERVICE,
		    SEND(0x09, 7, LE16(0x0011), 0x10, LE16(0x0012), LE16(0x2A53)),
		    EXPECT(0x08, LE16(0x0013), LE16(0x0020), LE16(0x2803)),
		    SEND(0x09, 7, LE16(0x0011), 0x10, LE16(0x0012), LE16(0x2A53)));
	assert_failed_with(&f, "peer reported characteristic 2A53 declared at 0x0011 with value "
			       "0x0012 when asked for 0x0013-0x0020");
	fixture_close(&f);
}

static void characteristic_value_outside_its_service_fails(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f, 23);
	start(&f);
	SCRIPT_PLAY(&f.s, ONE_SERVICE,
		    SEND(0x09, 7, LE16(0x0011), 0x10, LE16(0x0040), LE16(0x2A53)));
	assert_failed_with(&f, "declared at 0x0011 with value 0x0040");
	fixture_close(&f);
}

static void characteristic_entries_that_do_not_divide_fail(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f, 23);
	start(&f);
	SCRIPT_PLAY(&f.s, ONE_SERVICE,
		    SEND(0x09, 7, LE16(0x0011), 0x10, LE16(0x0012), LE16(0x2A53), LE16(0x0013)));
	assert_failed_with(&f, "Read By Type Response for characteristics with 9 bytes of "
			       "7-byte entries");
	fixture_close(&f);
}

static void descriptor_outside_its_characteristic_fails(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f, 23);
	start(&f);
	SCRIPT_PLAY(&f.s, ONE_SERVICE,
		    SEND(0x09, 7, LE16(0x0011), 0x10, LE16(0x0012), LE16(0x2A53)),
		    EXPECT(0x08, LE16(0x0013), LE16(0x0020), LE16(0x2803)),
		    SEND(0x01, 0x08, LE16(0x0013), 0x0A), EXPECT(0x04, LE16(0x0013), LE16(0x0020)),
		    SEND(0x05, 0x01, LE16(0x0013), LE16(0x2902)),
		    EXPECT(0x04, LE16(0x0014), LE16(0x0020)),
		    SEND(0x05, 0x01, LE16(0x0013), LE16(0x2902)));
	assert_failed_with(&f, "peer reported descriptor 0x0013 when asked for 0x0014-0x0020");
	fixture_close(&f);
}

static void find_information_with_bad_format_fails(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f, 23);
	start(&f);
	SCRIPT_PLAY(&f.s, ONE_SERVICE,
		    SEND(0x09, 7, LE16(0x0011), 0x10, LE16(0x0012), LE16(0x2A53)),
		    EXPECT(0x08, LE16(0x0013), LE16(0x0020), LE16(0x2803)),
		    SEND(0x01, 0x08, LE16(0x0013), 0x0A), EXPECT(0x04, LE16(0x0013), LE16(0x0020)),
		    SEND(0x05, 0x03, LE16(0x0013), LE16(0x2902)));
	assert_failed_with(&f, "Find Information Response with format 3");
	fixture_close(&f);
}

static void find_information_entries_that_do_not_divide_fail(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f, 23);
	start(&f);
	SCRIPT_PLAY(&f.s, ONE_SERVICE,
		    SEND(0x09, 7, LE16(0x0011), 0x10, LE16(0x0012), LE16(0x2A53)),
		    EXPECT(0x08, LE16(0x0013), LE16(0x0020), LE16(0x2803)),
		    SEND(0x01, 0x08, LE16(0x0013), 0x0A), EXPECT(0x04, LE16(0x0013), LE16(0x0020)),
		    SEND(0x05, 0x02, LE16(0x0013), LE16(0x2902)));
	assert_failed_with(&f, "4 bytes of 18-byte entries, which do not divide");
	fixture_close(&f);
}

static void silent_peer_times_out_discovery(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f, 23);
	att_set_timeout_us(f.s.att, 500000);
	start(&f);
	SCRIPT_PLAY(&f.s, EXPECT(0x10, LE16(0x0001), LE16(0xFFFF), LE16(0x2800)));
	int64_t deadline = att_next_deadline_us(f.s.att);
	assert_int_equal(deadline, f.s.now_us + 500000);
	att_process_timeout(f.s.att, deadline);
	assert_failed_with(&f, "primary service discovery failed: peer did not answer Read By "
			       "Group Type Request within 500 ms");
	assert_true(att_has_failed(f.s.att));
	fixture_close(&f);
}

static void too_many_services_are_capped(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f, 23);
	start(&f);
	for (uint16_t i = 0; i <= GATT_CLIENT_MAX_SERVICES; i++) {
		uint16_t first = (uint16_t)(1 + 2 * i);
		const uint8_t expect[] = { 0x10, LE16(first), LE16(0xFFFF), LE16(0x2800) };
		const uint8_t rsp[] = { 0x11, 6, LE16(first), LE16(first + 1), LE16(0x1800) };
		script_expect(expect, sizeof(expect), f.s.fds[1], i);
		script_send(&f.s, rsp, sizeof(rsp));
	}
	assert_failed_with(&f, "peer reports more than 64 services; giving up");
	assert_int_equal(f.db->n_services, GATT_CLIENT_MAX_SERVICES);
	fixture_close(&f);
}

static void too_many_characteristics_are_capped(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f, 23);
	start(&f);
	SCRIPT_PLAY(&f.s, EXPECT(0x10, LE16(0x0001), LE16(0xFFFF), LE16(0x2800)),
		    SEND(0x11, 6, LE16(0x0001), LE16(0xFFFF), LE16(0x1800)),
		    EXPECT(0x08, LE16(0x0001), LE16(0xFFFF), LE16(0x2802)),
		    SEND(0x01, 0x08, LE16(0x0001), 0x0A));
	for (uint16_t i = 0; i <= GATT_CLIENT_MAX_CHARACTERISTICS; i++) {
		uint16_t decl = (uint16_t)(2 + 2 * i);
		uint16_t from = i == 0 ? 0x0001 : decl;
		const uint8_t expect[] = { 0x08, LE16(from), LE16(0xFFFF), LE16(0x2803) };
		const uint8_t rsp[] = { 0x09, 7, LE16(decl), 0x02, LE16(decl + 1), LE16(0x2A19) };
		script_expect(expect, sizeof(expect), f.s.fds[1], i);
		script_send(&f.s, rsp, sizeof(rsp));
	}
	assert_failed_with(&f, "peer reports more than 256 characteristics; giving up");
	fixture_close(&f);
}

static void timeout_while_subscribing_fails(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f, 23);
	subscribe16(&f, UUID_RSC_MEASUREMENT);
	start(&f);
	SCRIPT_PLAY(&f.s, FOOT_POD_SERVICES, FOOT_POD_CHARACTERISTICS, FOOT_POD_DESCRIPTORS,
		    FOOT_POD_READS, EXPECT(0x12, LE16(0x0013), LE16(0x0001)));
	att_process_timeout(f.s.att, f.s.now_us + ATT_TIMEOUT_DEFAULT_US);
	assert_failed_with(&f, "enabling notifications failed: peer did not answer Write "
			       "Request within 30000 ms");
	fixture_close(&f);
}

static void link_closed_mid_discovery_fails(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f, 23);
	start(&f);
	SCRIPT_PLAY(&f.s, EXPECT(0x10, LE16(0x0001), LE16(0xFFFF), LE16(0x2800)));
	close(f.s.fds[1]);
	f.s.fds[1] = -1;
	att_process_readable(f.s.att, f.s.now_us);
	assert_int_equal(f.ready_calls, 1);
	assert_false(f.ok);
	assert_non_null(strstr(f.why, "peer closed the ATT link"));
	fixture_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(foot_pod_is_discovered_read_and_subscribed),
		cmocka_unit_test(indicate_only_characteristic_gets_indications),
		cmocka_unit_test(imu_with_128_bit_uuids_is_subscribed),
		cmocka_unit_test(limited_discovery_uses_find_by_type_value),
		cmocka_unit_test(long_value_is_read_with_read_blob),
		cmocka_unit_test(value_of_exactly_mtu_length_ends_on_attribute_not_long),
		cmocka_unit_test(mtu_exchange_refused_keeps_23_and_continues),
		cmocka_unit_test(includes_are_recorded),
		cmocka_unit_test(refused_read_and_subscription_are_recorded_not_fatal),
		cmocka_unit_test(characteristic_without_cccd_is_not_written),
		cmocka_unit_test(notification_for_unknown_handle_has_no_uuid),
		cmocka_unit_test(freeing_the_client_from_its_ready_callback_is_safe),
		cmocka_unit_test(starting_twice_is_refused),
		cmocka_unit_test(service_discovery_refused_fails_naming_the_error),
		cmocka_unit_test(peer_repeating_the_same_service_cannot_loop_discovery),
		cmocka_unit_test(service_ending_before_it_starts_fails),
		cmocka_unit_test(group_entries_that_do_not_divide_fail),
		cmocka_unit_test(group_entry_length_other_than_6_or_20_fails),
		cmocka_unit_test(empty_group_response_fails),
		cmocka_unit_test(wrong_response_opcode_during_discovery_fails),
		cmocka_unit_test(overlapping_services_fail),
		cmocka_unit_test(find_by_type_value_response_of_odd_length_fails),
		cmocka_unit_test(peer_repeating_the_same_characteristic_cannot_loop),
		cmocka_unit_test(characteristic_value_outside_its_service_fails),
		cmocka_unit_test(characteristic_entries_that_do_not_divide_fail),
		cmocka_unit_test(descriptor_outside_its_characteristic_fails),
		cmocka_unit_test(find_information_with_bad_format_fails),
		cmocka_unit_test(find_information_entries_that_do_not_divide_fail),
		cmocka_unit_test(silent_peer_times_out_discovery),
		cmocka_unit_test(too_many_services_are_capped),
		cmocka_unit_test(too_many_characteristics_are_capped),
		cmocka_unit_test(timeout_while_subscribing_fails),
		cmocka_unit_test(link_closed_mid_discovery_fails),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
