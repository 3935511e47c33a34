// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The fake sensor's GATT server against the project's own client
 * (daemon/ble/att.c, daemon/ble/gatt_client.c) over socketpair(), and against raw
 * hostile PDUs.
 */
#include "att_script.h"
#include "ble/gatt_client.h"
#include "gatt_server.h"
#include "profiles.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>

static const uint8_t central_addr[NOTIFICATION_ADDR_LEN] = { 0x00, 0x00, 0x00, 0x01, 0xAA, 0x00 };

struct fixture {
	int fds[2]; /* [0] the client's end, [1] the server's */
	struct gatt_server *server;
	struct fake_db db;
	struct att *att;
	struct gatt_client *client;
	int64_t now_us;
	bool ready, ok;
	char why[256];
	int notes;
	struct notification last;
	uint8_t last_value[600];
	int subscribe_calls;
};

static void on_ready(bool ok, const char *why, const struct gatt_db *db, void *user_data)
{
	(void)db;
	struct fixture *f = user_data;
	f->ready = true;
	f->ok = ok;
	snprintf(f->why, sizeof(f->why), "%s", why ? why : "");
}

static void on_note(const struct notification *n, void *user_data)
{
	struct fixture *f = user_data;
	f->notes++;
	f->last = *n;
	memcpy(f->last_value, n->value, n->len);
	f->last.value = f->last_value;
}

static void on_subscribe(uint16_t handle, uint16_t cccd, void *user_data)
{
	(void)handle;
	(void)cccd;
	struct fixture *f = user_data;
	f->subscribe_calls++;
}

static void fixture_open(struct fixture *f, unsigned profiles, const char *name, uint16_t mtu)
{
	memset(f, 0, sizeof(*f));
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, f->fds), 0);
	f->server = gatt_server_new(GATT_SERVER_MTU_MAX);
	fake_db_build(f->server, profiles, name, &f->db);
	gatt_server_set_subscribe_handler(f->server, on_subscribe, f);
	gatt_server_attach(f->server, f->fds[1]);
	f->att = att_new(f->fds[0], mtu);
	f->now_us = 1700000000000000LL;
	f->client = gatt_client_new(f->att, central_addr, NOTIFICATION_ADDR_PUBLIC);
	gatt_client_set_ready_handler(f->client, on_ready, f, NULL);
	gatt_client_set_notify_handler(f->client, on_note, f, NULL);
}

static void fixture_close(struct fixture *f)
{
	gatt_client_free(f->client);
	att_free(f->att);
	gatt_server_free(f->server);
	close(f->fds[0]);
	close(f->fds[1]);
}

/* Lets both sides handle what the other sent until neither has more. */
static void pump(struct fixture *f)
{
	for (int i = 0; i < 10000; i++) {
		struct pollfd p[2] = { { .fd = f->fds[1], .events = POLLIN },
				       { .fd = f->fds[0], .events = POLLIN } };
		assert_true(poll(p, 2, 0) >= 0);
		if (!p[0].revents && !p[1].revents)
			return;
		if (p[0].revents)
			assert_int_equal(gatt_server_process_readable(f->server), 0);
		if (p[1].revents)
			att_process_readable(f->att, f->now_us);
	}
	fail_msg("the two sides never went quiet");
}

static void subscribe(struct fixture *f, struct gatt_uuid uuid)
{
	assert_true(gatt_client_subscribe(f->client, &uuid));
}

static struct gatt_uuid uuid128(const char *text)
{
	struct gatt_uuid u;
	assert_true(gatt_uuid_parse(text, &u));
	return u;
}

static void discover(struct fixture *f)
{
	assert_int_equal(gatt_client_start(f->client, f->now_us), 0);
	pump(f);
	if (!f->ready || !f->ok)
		fail_msg("discovery did not succeed: %s", f->why);
}

static const struct gatt_characteristic *find(struct fixture *f, struct gatt_uuid uuid)
{
	const struct gatt_characteristic *ch = gatt_client_find_by_uuid(f->client, &uuid);
	assert_non_null(ch);
	return ch;
}

static void assert_characteristic(struct fixture *f, struct gatt_uuid uuid, uint16_t value_handle,
				  uint8_t properties, bool cccd)
{
	const struct gatt_characteristic *ch = find(f, uuid);
	assert_int_equal(ch->value_handle, value_handle);
	assert_int_equal(ch->decl_handle, value_handle - 1);
	assert_int_equal(ch->properties, properties);
	assert_int_equal(ch->cccd_handle, cccd ? value_handle + 1 : 0);
}

#define ALL_BUT_RIGHT (FAKE_FOOTPOD | FAKE_HRM | FAKE_BARO | FAKE_IMU_LEFT)

static void discovery_finds_every_profile_with_its_handles(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f, ALL_BUT_RIGHT, "fake pod", 247);
	struct gatt_uuid imu_data = uuid128(IMU_HS_DATA_UUID);
	struct gatt_uuid imu_config = uuid128(IMU_HS_CONFIG_UUID);
	subscribe(&f, gatt_uuid_from16(UUID_RSC_MEASUREMENT));
	subscribe(&f, gatt_uuid_from16(UUID_HEART_RATE_MEASUREMENT));
	subscribe(&f, gatt_uuid_from16(UUID_PRESSURE));
	subscribe(&f, gatt_uuid_from16(UUID_TEMPERATURE));
	subscribe(&f, imu_data);
	struct gatt_uuid name = gatt_uuid_from16(0x2A00);
	assert_true(gatt_client_read_on_ready(f.client, &name));
	assert_true(gatt_client_read_on_ready(f.client, &imu_config));
	discover(&f);

	assert_int_equal(att_get_mtu(f.att), 247);
	assert_int_equal(gatt_server_mtu(f.server), 247);
	const struct gatt_db *db = gatt_client_db(f.client);
	assert_int_equal(db->n_services, 5);
	const uint16_t services[5] = { 0x1800, 0x1814, 0x180D, 0x181A, 0 };
	const uint16_t ranges[5][2] = { { 1, 5 }, { 6, 13 }, { 14, 19 }, { 20, 26 }, { 27, 32 } };
	for (int i = 0; i < 5; i++) {
		assert_int_equal(gatt_uuid_to16(&db->services[i].uuid), services[i]);
		assert_int_equal(db->services[i].start_handle, ranges[i][0]);
		assert_int_equal(db->services[i].end_handle, ranges[i][1]);
	}
	struct gatt_uuid imu_service = uuid128(IMU_HS_SERVICE_UUID);
	assert_true(gatt_uuid_equal(&db->services[4].uuid, &imu_service));
	assert_int_equal(db->n_characteristics, 11);
	assert_int_equal(db->n_descriptors, 5);
	assert_int_equal(db->n_includes, 0);

	assert_characteristic(&f, gatt_uuid_from16(UUID_RSC_MEASUREMENT), 8, GATT_PROP_NOTIFY,
			      true);
	assert_characteristic(&f, gatt_uuid_from16(UUID_RSC_FEATURE), 11, GATT_PROP_READ, false);
	assert_characteristic(&f, gatt_uuid_from16(UUID_SENSOR_LOCATION), 13, GATT_PROP_READ,
			      false);
	assert_characteristic(&f, gatt_uuid_from16(UUID_HEART_RATE_MEASUREMENT), 16,
			      GATT_PROP_NOTIFY, true);
	assert_characteristic(&f, gatt_uuid_from16(UUID_PRESSURE), 22,
			      GATT_PROP_READ | GATT_PROP_NOTIFY, true);
	assert_characteristic(&f, gatt_uuid_from16(UUID_TEMPERATURE), 25,
			      GATT_PROP_READ | GATT_PROP_NOTIFY, true);
	assert_characteristic(&f, imu_config, 29, GATT_PROP_READ | GATT_PROP_WRITE, false);
	assert_characteristic(&f, imu_data, 31, GATT_PROP_NOTIFY, true);
	assert_int_equal(f.db.rsc_measurement, 8);
	assert_int_equal(f.db.imu_data, 31);

	/* Read on ready: RSC Feature and Sensor Location by default, plus ours. */
	const struct gatt_characteristic *feature = find(&f, gatt_uuid_from16(UUID_RSC_FEATURE));
	assert_true(feature->value_read);
	assert_memory_equal(feature->value, ((uint8_t[]){ 0x03, 0x00 }), 2);
	assert_int_equal(find(&f, gatt_uuid_from16(UUID_SENSOR_LOCATION))->value[0], 2);
	const struct gatt_characteristic *n = find(&f, name);
	assert_int_equal(n->value_len, 8);
	assert_memory_equal(n->value, "fake pod", 8);
	const struct gatt_characteristic *cfg = find(&f, imu_config);
	assert_memory_equal(cfg->value, ((uint8_t[]){ 1, 3, 3, 4, IMU_FOOT_LEFT, 1 }), 6);

	/* Every subscription reached the server. */
	const uint16_t streamed[] = { 8, 16, 22, 25, 31 };
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(gatt_server_cccd(f.server, streamed[i]), GATT_CCCD_NOTIFY);
		assert_int_equal(gatt_client_find_by_handle(f.client, streamed[i])->subscribed,
				 GATT_CCCD_NOTIFY);
	}
	assert_int_equal(f.subscribe_calls, 5);
	fixture_close(&f);
}

static void notifications_arrive_unchanged(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f, FAKE_FOOTPOD | FAKE_IMU_RIGHT, "pod", 247);
	const uint8_t rsc[] = { 0x03, 0x9A, 0x01, 0x55, 0x8C, 0x00, 0x10, 0x27, 0x00, 0x00 };
	/* Not subscribed yet: nothing may go out. */
	assert_int_equal(gatt_server_notify(f.server, f.db.rsc_measurement, rsc, sizeof(rsc)),
			 -EPERM);
	subscribe(&f, gatt_uuid_from16(UUID_RSC_MEASUREMENT));
	subscribe(&f, uuid128(IMU_HS_DATA_UUID));
	discover(&f);

	f.now_us += 250000;
	assert_int_equal(gatt_server_notify(f.server, f.db.rsc_measurement, rsc, sizeof(rsc)), 0);
	pump(&f);
	assert_int_equal(f.notes, 1);
	assert_int_equal(f.last.handle, f.db.rsc_measurement);
	assert_int_equal(gatt_uuid_to16(&f.last.uuid), UUID_RSC_MEASUREMENT);
	assert_int_equal(f.last.host_time_us, f.now_us);
	assert_int_equal(f.last.len, sizeof(rsc));
	assert_memory_equal(f.last.value, rsc, sizeof(rsc));

	/* The largest value MTU 247 carries, and one byte more. */
	uint8_t big[245];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + 1);
	assert_int_equal(gatt_server_notify(f.server, f.db.imu_data, big, 245), -EMSGSIZE);
	assert_int_equal(gatt_server_notify(f.server, f.db.imu_data, big, 244), 0);
	pump(&f);
	assert_int_equal(f.notes, 2);
	assert_int_equal(f.last.len, 244);
	assert_memory_equal(f.last.value, big, 244);
	struct gatt_uuid data = uuid128(IMU_HS_DATA_UUID);
	assert_true(gatt_uuid_equal(&f.last.uuid, &data));

	/* A new link starts unsubscribed at the default MTU. */
	gatt_server_detach(f.server);
	assert_int_equal(gatt_server_notify(f.server, f.db.rsc_measurement, rsc, 3), -ENOTCONN);
	gatt_server_attach(f.server, f.fds[1]);
	assert_int_equal(gatt_server_mtu(f.server), 23);
	assert_int_equal(gatt_server_cccd(f.server, f.db.rsc_measurement), 0);
	assert_int_equal(gatt_server_notify(f.server, f.db.rsc_measurement, rsc, 3), -EPERM);
	fixture_close(&f);
}

/* A control point that indicates, added after the profiles. */
static void indications_wait_for_confirmation(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f, FAKE_FOOTPOD, "pod", 23);
	struct gatt_uuid control = gatt_uuid_from16(0x2A55);
	uint16_t handle = gatt_server_add_characteristic(
		f.server, &control, GATT_PROP_WRITE | GATT_PROP_INDICATE, NULL, 0);
	const uint8_t value[] = { 0x20, 0x01, 0x01 };
	assert_int_equal(gatt_server_indicate(f.server, handle, value, 3), -EPERM);
	subscribe(&f, control);
	discover(&f);
	assert_int_equal(gatt_server_cccd(f.server, handle), GATT_CCCD_INDICATE);
	/* Notifications were not enabled, only indications. */
	assert_int_equal(gatt_server_notify(f.server, handle, value, 3), -EPERM);

	assert_int_equal(gatt_server_indicate(f.server, handle, value, 3), 0);
	assert_true(gatt_server_indication_pending(f.server));
	assert_int_equal(gatt_server_indicate(f.server, handle, value, 3), -EBUSY);
	pump(&f); /* the client confirms */
	assert_false(gatt_server_indication_pending(f.server));
	assert_int_equal(f.notes, 1);
	assert_memory_equal(f.last.value, value, 3);
	assert_int_equal(gatt_server_indicate(f.server, handle, value, 3), 0);
	fixture_close(&f);
}

/* ---- raw PDUs ---- */

static void raw_send(struct fixture *f, const uint8_t *pdu, size_t len)
{
	assert_int_equal(send(f->fds[0], pdu, len, 0), (ssize_t)len);
	assert_int_equal(gatt_server_process_readable(f->server), 0);
}

static void raw_expect(struct fixture *f, const uint8_t *pdu, size_t len, const char *what)
{
	uint8_t buf[600];
	ssize_t n = recv(f->fds[0], buf, sizeof(buf), MSG_DONTWAIT);
	if (n == (ssize_t)len && memcmp(buf, pdu, len) == 0)
		return;
	script_hex("expected", pdu, len);
	if (n < 0)
		fprintf(stderr, "got nothing\n");
	else
		script_hex("got", buf, (size_t)n);
	fail_msg("wrong answer to %s", what);
}

static void raw_expect_silence(struct fixture *f, const char *what)
{
	uint8_t buf[600];
	ssize_t n = recv(f->fds[0], buf, sizeof(buf), MSG_DONTWAIT);
	if (n >= 0) {
		script_hex("unexpected", buf, (size_t)n);
		fail_msg("%s must not be answered", what);
	}
}

/* A request and the exact answer. */
#define EXCHANGE(f, what, request, ...)                      \
	do {                                                 \
		const uint8_t req_[] = { request };          \
		const uint8_t rsp_[] = { __VA_ARGS__ };      \
		raw_send((f), req_, sizeof(req_));           \
		raw_expect((f), rsp_, sizeof(rsp_), (what)); \
	} while (0)
#define UNANSWERED(f, what, ...)                        \
	do {                                            \
		const uint8_t req_[] = { __VA_ARGS__ }; \
		raw_send((f), req_, sizeof(req_));      \
		raw_expect_silence((f), (what));        \
	} while (0)
#define ERR(op, handle, code) 0x01, op, LE16(handle), code
#define COMMA ,

static void hostile_requests_get_the_right_errors(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f, FAKE_FOOTPOD | FAKE_IMU_LEFT, "pod", 23);

	raw_send(&f, (const uint8_t[]){ 0 }, 0);
	raw_expect(&f, (const uint8_t[]){ ERR(0x00, 0, 0x04) }, 5, "an empty PDU");
	EXCHANGE(&f, "a short MTU request", 0x02 COMMA 0x17, ERR(0x02, 0, 0x04));
	EXCHANGE(&f, "an unknown opcode", 0x3F, ERR(0x3F, 0, 0x06));
	EXCHANGE(&f, "Read Multiple", 0x0E COMMA LE16(3) COMMA LE16(5), ERR(0x0E, 0, 0x06));
	EXCHANGE(&f, "Prepare Write", 0x16 COMMA LE16(3) COMMA LE16(0) COMMA 1, ERR(0x16, 0, 0x06));
	UNANSWERED(&f, "a command of unknown opcode", 0x7F, 1, 2);
	UNANSWERED(&f, "a Write Command to no attribute", 0x52, LE16(0x0FFF), 1);
	UNANSWERED(&f, "a stray response", 0x0B, 1, 2);
	UNANSWERED(&f, "an unsolicited confirmation", 0x1E);

	EXCHANGE(&f, "Read of handle 0", 0x0A COMMA LE16(0), ERR(0x0A, 0, 0x01));
	EXCHANGE(&f, "Read past the last handle", 0x0A COMMA LE16(0x1234), ERR(0x0A, 0x1234, 0x01));
	EXCHANGE(&f, "a Read of 3 bytes", 0x0A COMMA LE16(3) COMMA 0, ERR(0x0A, 0, 0x04));
	EXCHANGE(&f, "Read of a notify-only value", 0x0A COMMA LE16(f.db.rsc_measurement),
		 ERR(0x0A, f.db.rsc_measurement, 0x02));
	EXCHANGE(&f, "Read Blob past the end", 0x0C COMMA LE16(3) COMMA LE16(4),
		 ERR(0x0C, 3, 0x07));
	EXCHANGE(&f, "Read Blob at the end", 0x0C COMMA LE16(3) COMMA LE16(3), 0x0D);

	EXCHANGE(&f, "Read By Type with start > end",
		 0x08 COMMA LE16(5) COMMA LE16(4) COMMA LE16(0x2803), ERR(0x08, 5, 0x01));
	EXCHANGE(&f, "Read By Type from handle 0",
		 0x08 COMMA LE16(0) COMMA LE16(4) COMMA LE16(0x2803), ERR(0x08, 0, 0x01));
	EXCHANGE(&f, "Read By Type with a 3-byte type",
		 0x08 COMMA LE16(1) COMMA LE16(4) COMMA 1 COMMA 2 COMMA 3, ERR(0x08, 0, 0x04));
	EXCHANGE(&f, "Read By Type for includes",
		 0x08 COMMA LE16(1) COMMA LE16(0xFFFF) COMMA LE16(0x2802), ERR(0x08, 1, 0x0A));
	EXCHANGE(&f, "Read By Group Type of characteristics",
		 0x10 COMMA LE16(1) COMMA LE16(0xFFFF) COMMA LE16(0x2803), ERR(0x10, 1, 0x10));
	EXCHANGE(&f, "Read By Group Type of secondary services",
		 0x10 COMMA LE16(1) COMMA LE16(0xFFFF) COMMA LE16(0x2801), ERR(0x10, 1, 0x0A));
	EXCHANGE(&f, "Read By Group Type past the last service",
		 0x10 COMMA LE16(0x0100) COMMA LE16(0xFFFF) COMMA LE16(0x2800),
		 ERR(0x10, 0x0100, 0x0A));
	EXCHANGE(&f, "Find Information with start > end", 0x04 COMMA LE16(9) COMMA LE16(8),
		 ERR(0x04, 9, 0x01));
	EXCHANGE(&f, "Find Information past the end", 0x04 COMMA LE16(0x0100) COMMA LE16(0xFFFF),
		 ERR(0x04, 0x0100, 0x0A));
	EXCHANGE(&f, "a short Find Information", 0x04 COMMA LE16(1), ERR(0x04, 0, 0x04));
	EXCHANGE(&f, "Find By Type Value without a type", 0x06 COMMA LE16(1) COMMA LE16(9),
		 ERR(0x06, 0, 0x04));
	EXCHANGE(&f, "Find By Type Value of a missing service",
		 0x06 COMMA LE16(1) COMMA LE16(0xFFFF) COMMA LE16(0x2800) COMMA LE16(0x180D),
		 ERR(0x06, 1, 0x0A));

	EXCHANGE(&f, "a Write Request without a handle", 0x12 COMMA 1, ERR(0x12, 0, 0x04));
	EXCHANGE(&f, "a Write Request to handle 0", 0x12 COMMA LE16(0) COMMA 1, ERR(0x12, 0, 0x01));
	EXCHANGE(&f, "a write to a read-only value", 0x12 COMMA LE16(f.db.rsc_feature) COMMA 1,
		 ERR(0x12, f.db.rsc_feature, 0x03));
	EXCHANGE(&f, "a 3-byte CCCD write", 0x12 COMMA LE16(9) COMMA 1 COMMA 0 COMMA 0,
		 ERR(0x12, 9, 0x0D));
	EXCHANGE(&f, "indications on a notify-only characteristic",
		 0x12 COMMA LE16(9) COMMA LE16(2), ERR(0x12, 9, 0x13));
	assert_int_equal(gatt_server_cccd(f.server, f.db.rsc_measurement), 0);

	/* Still serving: the MTU exchange (a tiny client MTU counts as 23). */
	EXCHANGE(&f, "Exchange MTU", 0x02 COMMA LE16(5), 0x03, LE16(GATT_SERVER_MTU_MAX));
	assert_int_equal(gatt_server_mtu(f.server), 23);
	EXCHANGE(&f, "Exchange MTU", 0x02 COMMA LE16(100), 0x03, LE16(GATT_SERVER_MTU_MAX));
	assert_int_equal(gatt_server_mtu(f.server), 100);
	EXCHANGE(&f, "Find By Type Value of the RSC service",
		 0x06 COMMA LE16(1) COMMA LE16(0xFFFF) COMMA LE16(0x2800) COMMA LE16(0x1814), 0x07,
		 LE16(6), LE16(13));
	/* Find Information switches format at the first 128-bit type. */
	EXCHANGE(&f, "Find Information across formats", 0x04 COMMA LE16(14) COMMA LE16(0xFFFF),
		 0x05, 0x01, LE16(14), LE16(0x2800), LE16(15), LE16(0x2803));
	fixture_close(&f);
}

static void write_config(struct fixture *f, const uint8_t *value, size_t len, uint8_t opcode)
{
	uint8_t pdu[32] = { opcode };
	pdu[1] = (uint8_t)f->db.imu_config;
	pdu[2] = (uint8_t)(f->db.imu_config >> 8);
	memcpy(pdu + 3, value, len);
	raw_send(f, pdu, 3 + len);
}

static void bad_imu_config_is_refused_with_0x13(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f, FAKE_IMU_RIGHT, "imu", 23);
	const uint8_t in_force[6] = { 1, 3, 3, 4, IMU_FOOT_RIGHT, 1 };
	const uint8_t refused[][6] = {
		{ 2, 3, 3, 4, 2, 1 },  /* version 2 */
		{ 1, 11, 3, 4, 2, 1 }, /* no rate code 11 */
		{ 1, 3, 4, 4, 2, 1 },  /* no ±32 g */
		{ 1, 3, 3, 5, 2, 1 },  /* no gyro code 5 */
	};
	uint16_t h = f.db.imu_config;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		write_config(&f, refused[i], 6, ATT_OP_WRITE_REQ);
		raw_expect(&f, (const uint8_t[]){ ERR(0x12, h, 0x13) }, 5, "a bad configuration");
	}
	write_config(&f, in_force, 5, ATT_OP_WRITE_REQ);
	raw_expect(&f, (const uint8_t[]){ ERR(0x12, h, 0x0D) }, 5, "a 5-byte configuration");
	write_config(&f, refused[0], 6, ATT_OP_WRITE_CMD);
	raw_expect_silence(&f, "a Write Command");
	EXCHANGE(&f, "reading the configuration", 0x0A COMMA LE16(h), 0x0B, 1, 3, 3, 4,
		 IMU_FOOT_RIGHT, 1);
	assert_int_equal(f.db.imu_config_writes, 0);

	/* 200 Hz, streaming off: accepted, in force and read back. */
	const uint8_t slower[6] = { 1, 1, 3, 4, 2, 0 };
	write_config(&f, slower, 6, ATT_OP_WRITE_REQ);
	raw_expect(&f, (const uint8_t[]){ 0x13 }, 1, "a good configuration");
	assert_int_equal(f.db.imu.rate_code, 1);
	assert_int_equal(f.db.imu.flags, 0);
	assert_int_equal(f.db.imu_config_writes, 1);
	EXCHANGE(&f, "reading the configuration", 0x0A COMMA LE16(h), 0x0B, 1, 1, 3, 4, 2, 0);
	fixture_close(&f);
}

/* Through the project's client too: its write gets the error code. */
struct write_result {
	enum att_status status;
	uint8_t code;
};

static void on_written(const struct att_response *rsp, void *user_data)
{
	struct write_result *r = user_data;
	r->status = rsp->status;
	r->code = rsp->error_code;
}

static void client_sees_value_not_allowed(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f, FAKE_IMU_LEFT, "imu", 23);
	uint16_t h = f.db.imu_config;
	const uint8_t bad[] = { ATT_OP_WRITE_REQ, LE16(h), 9 /* version */, 3, 3, 4, 1, 1 };
	struct write_result r = { 0 };
	assert_true(att_send_request(f.att, bad, sizeof(bad), on_written, &r, NULL, f.now_us) > 0);
	pump(&f);
	assert_int_equal(r.status, ATT_STATUS_ERROR_RSP);
	assert_int_equal(r.code, ATT_ERR_VALUE_NOT_ALLOWED);
	assert_int_equal(f.db.imu.rate_code, 3);
	fixture_close(&f);
}

/* A name longer than MTU - 1 needs Read Blob, which the client follows. */
static void long_name_is_read_whole(void **state)
{
	(void)state;
	struct fixture f;
	const char *name = "a fake foot pod with a name longer than one PDU";
	fixture_open(&f, FAKE_FOOTPOD, name, 23);
	struct gatt_uuid device_name = gatt_uuid_from16(0x2A00);
	assert_true(gatt_client_read_on_ready(f.client, &device_name));
	struct gatt_uuid rsc = gatt_uuid_from16(0x1814);
	assert_true(gatt_client_limit_to_service(f.client, &rsc));
	discover(&f);
	/* Limited to RSC (Find By Type Value): GAP is not discovered. */
	assert_int_equal(gatt_client_db(f.client)->n_services, 1);
	assert_null(gatt_client_find_by_uuid(f.client, &device_name));
	fixture_close(&f);

	fixture_open(&f, FAKE_FOOTPOD, name, 23);
	assert_true(gatt_client_read_on_ready(f.client, &device_name));
	discover(&f);
	const struct gatt_characteristic *n = find(&f, device_name);
	assert_int_equal(n->value_len, strlen(name));
	assert_memory_equal(n->value, name, strlen(name));
	fixture_close(&f);
}

static void peer_closing_is_reported(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f, FAKE_HRM, "strap", 23);
	close(f.fds[0]);
	f.fds[0] = socket(AF_UNIX, SOCK_SEQPACKET, 0); /* for fixture_close */
	assert_int_equal(gatt_server_process_readable(f.server), -ECONNRESET);
	fixture_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(discovery_finds_every_profile_with_its_handles),
		cmocka_unit_test(notifications_arrive_unchanged),
		cmocka_unit_test(indications_wait_for_confirmation),
		cmocka_unit_test(hostile_requests_get_the_right_errors),
		cmocka_unit_test(bad_imu_config_is_refused_with_0x13),
		cmocka_unit_test(client_sees_value_not_allowed),
		cmocka_unit_test(long_name_is_read_whole),
		cmocka_unit_test(peer_closing_is_reported),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
