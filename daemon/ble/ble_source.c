// SPDX-License-Identifier: GPL-2.0-or-later
#include "ble/ble_source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ble/att.h"
#include "ble/gatt_client.h"
#include "decode/imu.h"
#include "log.h"
#include "util/xalloc.h"

#define BLE_WARNINGS_PER_LINK 5

struct link {
	struct ble_source *src;
	struct ble_sensor sensor;
	char label[100]; /* "sensor C4:..:2E (footpod)" for messages */
	enum ble_sensor_state state;
	int fd;
	unsigned watching; /* BLE_EV_* asked of the loop */
	struct att *att;
	struct gatt_client *gatt;
	int64_t deadline_us;     /* connecting: give up then */
	int64_t next_attempt_us; /* waiting: try then */
	int64_t lost_us;         /* monotonic time of the last loss, 0 if none */
	int64_t rx_utc_us;       /* UTC of the read being handled */
	uint16_t hci_handle;
	bool has_hci_handle;
	bool complained;            /* a failure was logged since the last success */
	bool movesense;             /* an IMU streaming through Movesense's protocol */
	unsigned ms_rate_hz;        /* the IMU6 rate it was asked for */
	uint16_t ms_command_handle; /* its command characteristic */
	unsigned warnings;          /* protocol warnings logged on this link */
	struct ble_sensor_status status;
};

struct ble_source {
	struct ingest *ingest;
	struct ble_io io;
	struct gatt_uuid ms_notify; /* Movesense's response characteristic */
	struct link *links[BLE_MAX_SENSORS];
	size_t n_links;
};

static const char *const role_names[] = {
	[BLE_ROLE_FOOTPOD] = "footpod",     [BLE_ROLE_IMU_LEFT] = "imu-left",
	[BLE_ROLE_IMU_RIGHT] = "imu-right", [BLE_ROLE_HRM] = "hrm",
	[BLE_ROLE_BARO] = "baro",           [BLE_ROLE_TREADMILL] = "treadmill",
};

bool ble_role_parse(const char *text, enum ble_role *out)
{
	for (size_t i = 0; i < sizeof(role_names) / sizeof(role_names[0]); i++) {
		if (strcmp(text, role_names[i]) == 0) {
			*out = (enum ble_role)i;
			return true;
		}
	}
	return false;
}

const char *ble_role_name(enum ble_role role)
{
	return (size_t)role < sizeof(role_names) / sizeof(role_names[0]) ? role_names[role] : "?";
}

const char *ble_sensor_state_name(enum ble_sensor_state state)
{
	static const char *const names[] = {
		[BLE_SENSOR_WAITING] = "waiting",         [BLE_SENSOR_CONNECTING] = "connecting",
		[BLE_SENSOR_DISCOVERING] = "discovering", [BLE_SENSOR_CONFIGURING] = "configuring",
		[BLE_SENSOR_STREAMING] = "streaming",
	};
	return (size_t)state < sizeof(names) / sizeof(names[0]) ? names[state] : "?";
}

static bool is_imu(enum ble_role role)
{
	return role == BLE_ROLE_IMU_LEFT || role == BLE_ROLE_IMU_RIGHT;
}

static int64_t now_mono(const struct ble_source *src)
{
	return src->io.monotonic_us(src->io.ctx);
}

/* --- closing and retrying --------------------------------------------- */

static void set_watch(struct link *l, unsigned events)
{
	if (l->fd < 0 || l->watching == events)
		return;
	struct ble_source *src = l->src;
	if (src->io.watch(src->io.ctx, l->fd, events) < 0 && events)
		log_warning("%s: cannot watch its socket", l->label);
	l->watching = events;
}

/* What the link wants from the loop after its bearer has run. */
static void update_watch(struct link *l)
{
	if (l->state == BLE_SENSOR_CONNECTING)
		set_watch(l, BLE_EV_WRITE);
	else if (l->att)
		set_watch(l, BLE_EV_READ | (att_wants_write(l->att) ? BLE_EV_WRITE : 0));
}

/* Safe from inside the bearer's callbacks: both defer their own free. */
static void close_link(struct link *l)
{
	gatt_client_free(l->gatt);
	l->gatt = NULL;
	att_free(l->att);
	l->att = NULL;
	if (l->fd >= 0) {
		set_watch(l, 0);
		l->src->io.close(l->src->io.ctx, l->fd);
	}
	l->fd = -1;
	l->watching = 0;
	l->has_hci_handle = false;
	l->warnings = 0;
	l->movesense = false;
	l->state = BLE_SENSOR_WAITING;
	l->status.mtu = 0;
}

static int64_t retry_delay_us(unsigned failures)
{
	int64_t delay = BLE_RETRY_FIRST_US;
	for (unsigned i = 1; i < failures && delay < BLE_RETRY_MAX_US; i++)
		delay *= 2;
	return delay < BLE_RETRY_MAX_US ? delay : BLE_RETRY_MAX_US;
}

/* An attempt failed before streaming: retry with backoff; only the first
 * failure since the last success is worth a warning. */
static void attempt_failed(struct link *l, const char *why)
{
	close_link(l);
	l->status.failures++;
	l->next_attempt_us = now_mono(l->src) + retry_delay_us(l->status.failures);
	if (!l->complained) {
		log_warning("%s: %s; retrying every %.1f s at most", l->label, why,
			    BLE_RETRY_MAX_US / 1e6);
		l->complained = true;
	} else {
		log_debug("%s: %s (attempt %u)", l->label, why, l->status.failures);
	}
}

/* A streaming link dropped: the run records the gap, the first retry is
 * quick. */
static void link_lost(struct link *l, const char *why)
{
	close_link(l);
	l->status.losses++;
	l->status.failures = 0;
	l->complained = true;
	l->lost_us = now_mono(l->src);
	l->next_attempt_us = l->lost_us + BLE_RETRY_FIRST_US;
	ingest_link_lost(l->src->ingest, l->sensor.addr);
	log_warning("%s: link lost (%s); reconnecting", l->label, why);
}

static void link_failed(struct link *l, const char *why)
{
	if (l->state == BLE_SENSOR_STREAMING)
		link_lost(l, why);
	else
		attempt_failed(l, why);
}

/* --- streaming -------------------------------------------------------- */

static void to_ingest(struct link *l, const struct notification *n)
{
	struct notification copy = *n;
	copy.host_time_us = l->rx_utc_us;
	l->status.notifications++;
	ingest_notification(l->src->ingest, &copy);
}

static void ask_for_short_interval(struct link *l);
static void movesense_response(struct link *l, const struct notification *n);

/* Everything is stored as it came, Movesense's command results too. */
static void on_notification(const struct notification *n, void *user_data)
{
	struct link *l = user_data;
	if (l->movesense && gatt_uuid_equal(&n->uuid, &l->src->ms_notify))
		movesense_response(l, n);
	if (l->att) /* the response may have failed the link */
		to_ingest(l, n);
}

static void start_streaming(struct link *l)
{
	/* Once set up: a parameter change in the middle of discovery is one
	 * more thing for a small sensor's stack to get wrong. */
	if (is_imu(l->sensor.role))
		ask_for_short_interval(l);
	l->state = BLE_SENSOR_STREAMING;
	l->status.connects++;
	l->status.failures = 0;
	if (l->lost_us)
		log_notice("%s: streaming again after %.1f s", l->label,
			   (now_mono(l->src) - l->lost_us) / 1e6);
	else
		log_notice("%s: streaming (ATT MTU %u)", l->label, l->status.mtu);
	l->complained = false;
	l->lost_us = 0;
}

/* Read values the pipeline decodes too (RSC Feature tells whether the pod
 * reports running), passed on as if notified. */
static void ingest_read_values(struct link *l, const struct gatt_db *db)
{
	for (size_t i = 0; i < db->n_characteristics; i++) {
		const struct gatt_characteristic *ch = &db->characteristics[i];
		if (!ch->value_read || !ch->value)
			continue;
		struct notification n = {
			.addr_type = l->sensor.addr_type,
			.handle = ch->value_handle,
			.uuid = ch->uuid,
			.len = ch->value_len,
			.value = ch->value,
		};
		memcpy(n.addr, l->sensor.addr, NOTIFICATION_ADDR_LEN);
		to_ingest(l, &n);
	}
}

static void on_config_written(const struct att_response *rsp, void *user_data)
{
	struct link *l = user_data;
	if (rsp->status == ATT_STATUS_ERROR_RSP)
		log_warning("%s refused its configuration (%s); it streams with its own settings",
			    l->label, att_error_name(rsp->error_code));
	else if (rsp->status != ATT_STATUS_OK)
		return; /* the bearer failed: its failure handler deals with it */
	start_streaming(l);
}

/* 400 Hz, ±16 g, ±2000 °/s (docs/imu-profile.md codes 3, 3, 4). */
static bool configure_imu(struct link *l, int64_t now_us)
{
	struct gatt_uuid uuid;
	gatt_uuid_parse(IMU_HS_CONFIG_UUID, &uuid);
	const struct gatt_characteristic *ch = gatt_client_find_by_uuid(l->gatt, &uuid);
	if (!ch) {
		log_warning("%s has no IMU configuration characteristic; it streams with its "
			    "own settings",
			    l->label);
		return false;
	}
	struct imu_hs_config cfg = {
		.version = IMU_HS_VERSION,
		.rate_code = 3,
		.acc_range_code = 3,
		.gyro_range_code = 4,
		.foot = l->sensor.role == BLE_ROLE_IMU_LEFT ? IMU_FOOT_LEFT : IMU_FOOT_RIGHT,
		.flags = 0x01,
	};
	uint8_t pdu[3 + IMU_HS_CONFIG_LEN] = { ATT_OP_WRITE_REQ, (uint8_t)ch->value_handle,
					       (uint8_t)(ch->value_handle >> 8) };
	imu_hs_encode_config(&cfg, pdu + 3);
	if (att_send_request(l->att, pdu, sizeof(pdu), on_config_written, l, NULL, now_us) < 0)
		return false;
	l->state = BLE_SENSOR_CONFIGURING;
	return true;
}

/* --- Movesense (analysis/decode/imu.h has the protocol and its sources) ------ */

static const char *http_status_name(uint16_t status)
{
	switch (status) {
	case 400:
		return " Bad Request";
	case 404:
		return " Not Found";
	case 501:
		return " Not Implemented: rate not supported";
	case 503:
		return " Service Unavailable";
	case 507:
		return " Insufficient Storage: no free subscription";
	default:
		return "";
	}
}

static void on_movesense_command_written(const struct att_response *rsp, void *user_data)
{
	struct link *l = user_data;
	if (rsp->status != ATT_STATUS_ERROR_RSP)
		return; /* written: the sensor answers in a notification, or streams */
	char why[160];
	snprintf(why, sizeof(why), "it refused the command to stream /Meas/IMU6/%u (%s)",
		 l->ms_rate_hz, att_error_name(rsp->error_code));
	link_failed(l, why);
}

/* Writes the subscribe command (Write Request, as the sample firmware's
 * characteristic is WRITE only). The link stays configuring until the
 * first data or an OK: the sample firmware answers only failures, and a
 * path it cannot subscribe to is met with silence, hence the deadline. */
static void movesense_subscribe(struct link *l, unsigned rate_hz, int64_t now_us)
{
	uint8_t pdu[3 + 32] = { ATT_OP_WRITE_REQ, (uint8_t)l->ms_command_handle,
				(uint8_t)(l->ms_command_handle >> 8) };
	size_t n = imu_ms_subscribe_imu6(BLE_MS_REFERENCE, rate_hz, pdu + 3, sizeof(pdu) - 3);
	l->ms_rate_hz = rate_hz;
	l->state = BLE_SENSOR_CONFIGURING;
	l->deadline_us = now_us + BLE_MS_START_TIMEOUT_US;
	if (att_send_request(l->att, pdu, 3 + n, on_movesense_command_written, l, NULL, now_us) < 0)
		attempt_failed(l, "cannot send the Movesense subscribe command");
	else
		log_debug("%s: asking for /Meas/IMU6/%u", l->label, rate_hz);
}

/* Configuring from here on, or failed and said so. */
static void start_movesense(struct link *l, int64_t now_us)
{
	struct gatt_uuid uuid;
	gatt_uuid_parse(IMU_MS_WRITE_UUID, &uuid);
	const struct gatt_characteristic *ch = gatt_client_find_by_uuid(l->gatt, &uuid);
	if (!ch) {
		attempt_failed(
			l,
			"its Movesense service has no command characteristic " IMU_MS_WRITE_UUID);
		return;
	}
	l->movesense = true;
	l->ms_command_handle = ch->value_handle;
	movesense_subscribe(l, BLE_MS_RATE_HZ, now_us);
}

/* Refused at the preferred rate: the lower one, which the link carries more
 * easily; refused at that too: the sensor cannot serve. */
static void movesense_refused(struct link *l, uint16_t status)
{
	char why[200];
	snprintf(why, sizeof(why), "the sensor refused /Meas/IMU6/%u (status %u%s)", l->ms_rate_hz,
		 status, http_status_name(status));
	if (l->state == BLE_SENSOR_CONFIGURING && l->ms_rate_hz != BLE_MS_FALLBACK_RATE_HZ) {
		log_warning("%s: %s; asking for %u Hz", l->label, why, BLE_MS_FALLBACK_RATE_HZ);
		movesense_subscribe(l, BLE_MS_FALLBACK_RATE_HZ, now_mono(l->src));
		return;
	}
	link_failed(l, why);
}

static void movesense_response(struct link *l, const struct notification *n)
{
	struct imu_ms_result r;
	if (n->len < 2 || n->value[1] != BLE_MS_REFERENCE)
		return; /* another client's subscription, or noise: ingest judges */
	if (imu_ms_parse_result(n->value, n->len, &r)) {
		if (r.has_status && r.status >= 300) {
			movesense_refused(l, r.status);
			return;
		}
		if (!r.has_status)
			return;
	} else if (n->value[0] != IMU_MS_RESP_DATA) {
		return;
	}
	if (l->state == BLE_SENSOR_CONFIGURING) {
		log_info("%s: Movesense streams /Meas/IMU6/%u", l->label, l->ms_rate_hz);
		start_streaming(l);
	}
}

/* Politely, when hamstride lets go of a streaming sensor: the request is
 * sent as the link closes, so it is not waited for (the sample firmware
 * also ends its subscriptions when the link drops). */
static void ignore_response(const struct att_response *rsp, void *user_data)
{
	(void)rsp;
	(void)user_data;
}

static void movesense_unsubscribe(struct link *l)
{
	if (!l->movesense || !l->att || att_has_failed(l->att) || l->state != BLE_SENSOR_STREAMING)
		return;
	uint8_t pdu[3 + 2] = { ATT_OP_WRITE_REQ, (uint8_t)l->ms_command_handle,
			       (uint8_t)(l->ms_command_handle >> 8) };
	imu_ms_unsubscribe(BLE_MS_REFERENCE, pdu + 3, 2);
	if (att_send_request(l->att, pdu, sizeof(pdu), ignore_response, NULL, NULL,
			     now_mono(l->src)) > 0)
		log_debug("%s: unsubscribed from /Meas/IMU6/%u", l->label, l->ms_rate_hz);
}

/* The characteristics a sensor must stream from to serve in its role. */
static size_t role_streams(enum ble_role role, struct gatt_uuid out[2])
{
	switch (role) {
	case BLE_ROLE_FOOTPOD:
		out[0] = gatt_uuid_from16(UUID_RSC_MEASUREMENT);
		return 1;
	case BLE_ROLE_HRM:
		out[0] = gatt_uuid_from16(UUID_HEART_RATE_MEASUREMENT);
		return 1;
	case BLE_ROLE_BARO:
		out[0] = gatt_uuid_from16(UUID_PRESSURE);
		out[1] = gatt_uuid_from16(UUID_TEMPERATURE);
		return 2;
	case BLE_ROLE_TREADMILL:
		out[0] = gatt_uuid_from16(UUID_TREADMILL_DATA);
		return 1;
	case BLE_ROLE_IMU_LEFT:
	case BLE_ROLE_IMU_RIGHT:
		gatt_uuid_parse(IMU_HS_DATA_UUID, &out[0]);
		gatt_uuid_parse(IMU_MS_NOTIFY_UUID, &out[1]);
		return 2;
	}
	return 0;
}

/* What hamstride decodes: a sensor is asked for all of it, so a device that
 * is a foot pod and a heart-rate strap at once has both recorded. */
static const uint16_t known_services16[] = { 0x1814, 0x180D, 0x181A, 0x1826 };
static const uint16_t known_streams16[] = { UUID_RSC_MEASUREMENT, UUID_HEART_RATE_MEASUREMENT,
					    UUID_PRESSURE, UUID_TEMPERATURE, UUID_TREADMILL_DATA };

/* Streaming needs at least one of the role's characteristics subscribed. */
static bool subscribed_any(const struct link *l)
{
	struct gatt_uuid wanted[2];
	size_t n = role_streams(l->sensor.role, wanted);
	for (size_t i = 0; i < n; i++) {
		const struct gatt_characteristic *ch =
			gatt_client_find_by_uuid(l->gatt, &wanted[i]);
		if (ch && ch->subscribed)
			return true;
	}
	return false;
}

static void on_ready(bool ok, const char *why, const struct gatt_db *db, void *user_data)
{
	struct link *l = user_data;
	char reason[300];
	if (!ok) {
		snprintf(reason, sizeof(reason), "discovery failed: %s", why);
		attempt_failed(l, reason);
		return;
	}
	if (!subscribed_any(l)) {
		char uuid[40];
		struct gatt_uuid wanted[2];
		role_streams(l->sensor.role, wanted);
		snprintf(reason, sizeof(reason), "it offers no %s%s to subscribe to (is it a %s?)",
			 gatt_uuid_to_str(&wanted[0], uuid, sizeof(uuid)),
			 is_imu(l->sensor.role) ? " (hamstride IMU) nor Movesense's sensor data"
						: "",
			 ble_role_name(l->sensor.role));
		attempt_failed(l, reason);
		return;
	}
	l->status.mtu = att_get_mtu(l->att);
	ingest_read_values(l, db);
	if (is_imu(l->sensor.role)) {
		struct gatt_uuid hs_data;
		gatt_uuid_parse(IMU_HS_DATA_UUID, &hs_data);
		const struct gatt_characteristic *ch = gatt_client_find_by_uuid(l->gatt, &hs_data);
		if (!ch || !ch->subscribed) {
			start_movesense(l, now_mono(l->src));
			return;
		}
		if (configure_imu(l, now_mono(l->src)))
			return;
	}
	start_streaming(l);
}

static void on_att_failure(const char *why, void *user_data)
{
	link_failed(user_data, why);
}

/* The bearer's complaints about a misbehaving sensor, a few per link;
 * failures and discovery errors are debug here, as attempt_failed() and
 * link_lost() report them once. */
static void on_att_log(int level, const char *message, void *user_data)
{
	struct link *l = user_data;
	if (level <= LOG_LEVEL_WARNING &&
	    (l->state != BLE_SENSOR_STREAMING || att_has_failed(l->att) ||
	     ++l->warnings > BLE_WARNINGS_PER_LINK))
		level = LOG_LEVEL_DEBUG;
	log_msg((enum log_level)level, "%s: %s", l->label, message);
	if (l->warnings == BLE_WARNINGS_PER_LINK && level <= LOG_LEVEL_WARNING)
		log_warning("%s: further complaints about this link at debug level", l->label);
}

/* --- connecting ------------------------------------------------------- */

static void ask_for_short_interval(struct link *l)
{
	struct ble_source *src = l->src;
	struct ble_link_conn_params p;
	const char *why;
	if (!src->io.request_conn_params ||
	    !ble_link_conn_params_from_us(BLE_IMU_INTERVAL_MIN_US, BLE_IMU_INTERVAL_MAX_US, 0,
					  BLE_IMU_SUPERVISION_MS, &p, &why))
		return;
	int err = src->io.request_conn_params(src->io.ctx, l->fd, &p, &l->hci_handle);
	if (err < 0) {
		log_warning("%s: cannot ask for a %.1f-%.1f ms connection interval: %s%s", l->label,
			    BLE_IMU_INTERVAL_MIN_US / 1e3, BLE_IMU_INTERVAL_MAX_US / 1e3,
			    strerror(-err), err == -EPERM ? " (needs CAP_NET_RAW)" : "");
		return;
	}
	l->has_hci_handle = true;
}

static void setup_gatt(struct link *l)
{
	struct gatt_uuid uuid;
	for (size_t i = 0; i < sizeof(known_services16) / sizeof(known_services16[0]); i++) {
		uuid = gatt_uuid_from16(known_services16[i]);
		gatt_client_limit_to_service(l->gatt, &uuid);
	}
	gatt_uuid_parse(IMU_HS_SERVICE_UUID, &uuid);
	gatt_client_limit_to_service(l->gatt, &uuid);
	gatt_uuid_parse(IMU_MS_SERVICE_UUID, &uuid);
	gatt_client_limit_to_service(l->gatt, &uuid);
	for (size_t i = 0; i < sizeof(known_streams16) / sizeof(known_streams16[0]); i++) {
		uuid = gatt_uuid_from16(known_streams16[i]);
		gatt_client_subscribe(l->gatt, &uuid);
	}
	gatt_uuid_parse(IMU_HS_DATA_UUID, &uuid);
	gatt_client_subscribe(l->gatt, &uuid);
	gatt_client_subscribe(l->gatt, &l->src->ms_notify);
	gatt_client_set_ready_handler(l->gatt, on_ready, l, NULL);
	gatt_client_set_notify_handler(l->gatt, on_notification, l, NULL);
}

static void connected(struct link *l)
{
	struct ble_source *src = l->src;
	int rx_mtu = src->io.rx_mtu(src->io.ctx, l->fd);
	uint16_t mtu = BLE_MTU_REQUEST;
	if (rx_mtu > 0 && rx_mtu < mtu)
		mtu = (uint16_t)rx_mtu;
	log_debug("%s: connected; socket MTU %d, asking for ATT MTU %u", l->label, rx_mtu, mtu);
	l->att = att_new(l->fd, mtu);
	att_set_timeout_us(l->att, BLE_ATT_TIMEOUT_US);
	att_set_log_handler(l->att, on_att_log, l, NULL);
	att_set_failure_handler(l->att, on_att_failure, l, NULL);
	l->gatt = gatt_client_new(l->att, l->sensor.addr, l->sensor.addr_type);
	setup_gatt(l);
	l->state = BLE_SENSOR_DISCOVERING;
	int err = gatt_client_start(l->gatt, now_mono(src));
	if (err < 0 && l->state == BLE_SENSOR_DISCOVERING) {
		char why[100];
		snprintf(why, sizeof(why), "cannot start discovery: %s", strerror(-err));
		attempt_failed(l, why);
	}
}

static bool connecting_elsewhere(const struct ble_source *src)
{
	for (size_t i = 0; i < src->n_links; i++)
		if (src->links[i]->state == BLE_SENSOR_CONNECTING)
			return true;
	return false;
}

/* Another program's connection attempt is under way: not this sensor's
 * failure, so no backoff and no warning. */
static void adapter_busy(struct link *l)
{
	close_link(l);
	l->next_attempt_us = now_mono(l->src) + BLE_BUSY_RETRY_US;
	log_debug("%s: the adapter is busy connecting elsewhere; trying again shortly", l->label);
}

static void try_connect(struct link *l)
{
	struct ble_source *src = l->src;
	int64_t now = now_mono(src);
	int fd = src->io.open(src->io.ctx, &l->sensor);
	if (fd == -EBUSY) {
		adapter_busy(l);
		return;
	}
	if (fd < 0) {
		char why[120];
		snprintf(why, sizeof(why), "cannot connect: %s", strerror(-fd));
		attempt_failed(l, why);
		return;
	}
	l->fd = fd;
	l->state = BLE_SENSOR_CONNECTING;
	l->deadline_us = now + BLE_CONNECT_TIMEOUT_US;
	log_debug("%s: connecting", l->label);
	update_watch(l);
}

static void connect_finished(struct link *l)
{
	int err = l->src->io.connect_result(l->src->io.ctx, l->fd);
	if (err == -EBUSY) {
		adapter_busy(l);
		return;
	}
	if (err < 0) {
		char why[120];
		snprintf(why, sizeof(why), "cannot connect: %s", strerror(-err));
		attempt_failed(l, why);
		return;
	}
	connected(l);
}

/* --- the loop's entry points ------------------------------------------ */

static struct link *find_fd(const struct ble_source *src, int fd)
{
	for (size_t i = 0; fd >= 0 && i < src->n_links; i++)
		if (src->links[i]->fd == fd)
			return src->links[i];
	return NULL;
}

static struct link *find_addr(const struct ble_source *src,
			      const uint8_t addr[NOTIFICATION_ADDR_LEN])
{
	for (size_t i = 0; i < src->n_links; i++)
		if (memcmp(src->links[i]->sensor.addr, addr, NOTIFICATION_ADDR_LEN) == 0)
			return src->links[i];
	return NULL;
}

void ble_source_handle(struct ble_source *src, int fd, unsigned events)
{
	struct link *l = find_fd(src, fd);
	if (!l)
		return;
	if (l->state == BLE_SENSOR_CONNECTING) {
		if (events & (BLE_EV_WRITE | BLE_EV_ERROR))
			connect_finished(l);
	} else if (l->att) {
		struct att *att = l->att;
		if (events & BLE_EV_WRITE)
			att_process_writable(att);
		/* An error is read (and reported) as the socket's error. */
		if (l->att == att && (events & (BLE_EV_READ | BLE_EV_ERROR))) {
			l->rx_utc_us = src->io.utc_us(src->io.ctx);
			att_process_readable(att, now_mono(src));
		}
	}
	update_watch(l);
}

void ble_source_process_timeouts(struct ble_source *src)
{
	int64_t now = now_mono(src);
	for (size_t i = 0; i < src->n_links; i++) {
		struct link *l = src->links[i];
		if (l->state == BLE_SENSOR_CONNECTING && now >= l->deadline_us) {
			char why[80];
			snprintf(why, sizeof(why),
				 "no connection within %.0f s (out of range or off?)",
				 BLE_CONNECT_TIMEOUT_US / 1e6);
			attempt_failed(l, why);
		} else if (l->state == BLE_SENSOR_CONFIGURING && l->movesense &&
			   now >= l->deadline_us) {
			char why[120];
			snprintf(why, sizeof(why),
				 "no data within %.0f s of subscribing to /Meas/IMU6/%u",
				 BLE_MS_START_TIMEOUT_US / 1e6, l->ms_rate_hz);
			attempt_failed(l, why);
		} else if (l->att && now >= att_next_deadline_us(l->att)) {
			att_process_timeout(l->att, now);
			update_watch(l);
		}
	}
	/* One attempt at a time; of the sensors due, the one that failed least
	 * (a link just lost before one long away), then the longest waiting. */
	if (connecting_elsewhere(src))
		return;
	struct link *next = NULL;
	for (size_t i = 0; i < src->n_links; i++) {
		struct link *l = src->links[i];
		if (l->state != BLE_SENSOR_WAITING || l->next_attempt_us > now)
			continue;
		if (!next || l->status.failures < next->status.failures ||
		    (l->status.failures == next->status.failures &&
		     l->next_attempt_us < next->next_attempt_us))
			next = l;
	}
	if (next)
		try_connect(next);
}

int64_t ble_source_next_deadline_us(const struct ble_source *src)
{
	int64_t next = INT64_MAX;
	bool busy = connecting_elsewhere(src);
	for (size_t i = 0; i < src->n_links; i++) {
		const struct link *l = src->links[i];
		int64_t t = INT64_MAX;
		if (l->state == BLE_SENSOR_WAITING && !busy)
			t = l->next_attempt_us;
		else if (l->state == BLE_SENSOR_CONNECTING)
			t = l->deadline_us;
		else if (l->att)
			t = att_next_deadline_us(l->att);
		if (l->state == BLE_SENSOR_CONFIGURING && l->movesense && l->deadline_us < t)
			t = l->deadline_us;
		if (t < next)
			next = t;
	}
	return next;
}

void ble_source_conn_update_done(struct ble_source *src, uint16_t hci_handle, uint8_t status,
				 uint16_t interval)
{
	for (size_t i = 0; i < src->n_links; i++) {
		struct link *l = src->links[i];
		if (!l->has_hci_handle || l->hci_handle != hci_handle || l->fd < 0)
			continue;
		if (status)
			log_warning(
				"%s: the connection interval stays as it was (controller status "
				"0x%02x); IMU data may arrive late or be lost",
				l->label, status);
		else
			log_info("%s: connection interval %.2f ms", l->label, interval * 1.25);
	}
}

/* --- the sensor list -------------------------------------------------- */

static struct link *link_new(struct ble_source *src, const struct ble_sensor *sensor)
{
	struct link *l = xcalloc(1, sizeof(*l));
	char addr[18];
	l->src = src;
	l->sensor = *sensor;
	l->fd = -1;
	l->next_attempt_us = now_mono(src);
	notification_addr_to_str(sensor->addr, addr, sizeof(addr));
	snprintf(l->label, sizeof(l->label), "sensor %s (%s%s%s)", addr,
		 ble_role_name(sensor->role), sensor->name[0] ? " " : "", sensor->name);
	return l;
}

static void link_free(struct link *l)
{
	movesense_unsubscribe(l);
	close_link(l);
	free(l);
}

static const struct ble_sensor *find_sensor(const struct ble_sensor *sensors, size_t n,
					    const uint8_t addr[NOTIFICATION_ADDR_LEN])
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(sensors[i].addr, addr, NOTIFICATION_ADDR_LEN) == 0)
			return &sensors[i];
	return NULL;
}

bool ble_source_set_sensors(struct ble_source *src, const struct ble_sensor *sensors, size_t n)
{
	if (n > BLE_MAX_SENSORS)
		return false;
	/* Removed, or changed so that the link must be set up anew. */
	for (size_t i = 0; i < src->n_links;) {
		struct link *l = src->links[i];
		const struct ble_sensor *s = find_sensor(sensors, n, l->sensor.addr);
		if (s && s->role == l->sensor.role && s->addr_type == l->sensor.addr_type) {
			i++;
			continue;
		}
		log_notice("%s: %s; disconnecting", l->label, s ? "changed" : "removed");
		link_free(l);
		src->links[i] = src->links[--src->n_links];
	}
	for (size_t i = 0; i < n; i++) {
		if (find_addr(src, sensors[i].addr) || find_sensor(sensors, i, sensors[i].addr))
			continue;
		struct link *l = link_new(src, &sensors[i]);
		src->links[src->n_links++] = l;
		log_info("%s: connecting", l->label);
	}
	return true;
}

size_t ble_source_sensor_count(const struct ble_source *src)
{
	return src->n_links;
}

struct ble_source *ble_source_new(struct ingest *in, const struct ble_io *io)
{
	struct ble_source *src = xcalloc(1, sizeof(*src));
	src->ingest = in;
	src->io = *io;
	gatt_uuid_parse(IMU_MS_NOTIFY_UUID, &src->ms_notify);
	return src;
}

void ble_source_free(struct ble_source *src)
{
	if (!src)
		return;
	for (size_t i = 0; i < src->n_links; i++)
		link_free(src->links[i]);
	free(src);
}

bool ble_source_sensor_status(const struct ble_source *src,
			      const uint8_t addr[NOTIFICATION_ADDR_LEN],
			      struct ble_sensor_status *out)
{
	const struct link *l = find_addr(src, addr);
	if (!l)
		return false;
	*out = l->status;
	out->state = l->state;
	out->fd = l->fd;
	out->next_attempt_us = l->next_attempt_us;
	return true;
}
