// SPDX-License-Identifier: GPL-2.0-or-later
#include "ble/gatt_client.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cursor.h"
#include "log.h"
#include "ble/reentry.h"
#include "util/xalloc.h"

enum phase {
	PHASE_IDLE,
	PHASE_MTU,
	PHASE_SERVICES,
	PHASE_INCLUDES,
	PHASE_CHARACTERISTICS,
	PHASE_DESCRIPTORS,
	PHASE_READS,
	PHASE_SUBSCRIBE,
	PHASE_READY,
	PHASE_FAILED,
};

/* What a phase step did. */
enum step {
	STEP_SENT,   /* a request is out; its answer continues the phase */
	STEP_DONE,   /* the phase has nothing more to do */
	STEP_FAILED, /* client->why says why */
};

struct uuid_list {
	struct gatt_uuid uuids[GATT_CLIENT_MAX_WANTED];
	size_t n;
};

struct handler {
	void *cb;
	void *user_data;
	att_destroy_func destroy;
};

struct gatt_client {
	struct att *att;
	uint8_t addr[NOTIFICATION_ADDR_LEN];
	uint8_t addr_type;
	enum phase phase;
	/* Where the current phase is: an index into the list it walks and the
	 * next handle to ask from, which every answer must move forward. */
	size_t index;
	uint32_t next_handle;
	int req_id;
	struct uuid_list subscribe;
	struct uuid_list reads;
	struct uuid_list services_wanted;
	struct gatt_db db;
	size_t cap_services, cap_includes, cap_characteristics, cap_descriptors;
	struct handler ready;
	struct handler notify;
	struct reentry guard;
	char why[256];
};

/* Makes room for one more element below max; false when full. */
static bool grow(void **array, size_t n, size_t *cap, size_t max, size_t size)
{
	if (n >= max)
		return false;
	if (n == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		if (*cap > max)
			*cap = max;
		*array = xreallocarray(*array, *cap, size);
	}
	return true;
}

static void handler_set(struct handler *h, void *cb, void *user_data, att_destroy_func destroy)
{
	if (h->destroy)
		h->destroy(h->user_data);
	*h = (struct handler){ .cb = cb, .user_data = user_data, .destroy = destroy };
}

static bool uuid_list_add(struct uuid_list *list, const struct gatt_uuid *uuid)
{
	if (list->n >= GATT_CLIENT_MAX_WANTED || (uuid->len != 2 && uuid->len != 16))
		return false;
	list->uuids[list->n++] = *uuid;
	return true;
}

static bool uuid_list_has(const struct uuid_list *list, const struct gatt_uuid *uuid)
{
	for (size_t i = 0; i < list->n; i++)
		if (gatt_uuid_equal(&list->uuids[i], uuid))
			return true;
	return false;
}

/* A UUID of 2 or 16 bytes as ATT carries it. */
static bool read_uuid(struct cursor *c, size_t len, struct gatt_uuid *out)
{
	const uint8_t *bytes;
	if ((len != 2 && len != 16) || !cursor_bytes(c, len, &bytes))
		return false;
	out->len = (uint8_t)len;
	memcpy(out->bytes, bytes, len);
	return true;
}

static const char *uuid_str(const struct gatt_uuid *uuid, char buf[37])
{
	return gatt_uuid_to_str(uuid, buf, 37);
}

/* --- lifetime --------------------------------------------------------- */

static void on_notify(uint16_t handle, const uint8_t *value, size_t len, bool indication,
		      int64_t now_us, void *user_data);

struct gatt_client *gatt_client_new(struct att *att, const uint8_t addr[NOTIFICATION_ADDR_LEN],
				    uint8_t addr_type)
{
	struct gatt_client *client = xcalloc(1, sizeof(*client));
	client->att = att;
	memcpy(client->addr, addr, NOTIFICATION_ADDR_LEN);
	client->addr_type = addr_type;
	/* What every foot pod is asked on connect. */
	struct gatt_uuid feature = gatt_uuid_from16(UUID_RSC_FEATURE);
	struct gatt_uuid location = gatt_uuid_from16(UUID_SENSOR_LOCATION);
	uuid_list_add(&client->reads, &feature);
	uuid_list_add(&client->reads, &location);
	att_set_notify_handler(att, on_notify, client, NULL);
	return client;
}

static void destroy_now(struct gatt_client *client)
{
	if (client->req_id)
		att_cancel(client->att, client->req_id);
	att_set_notify_handler(client->att, NULL, NULL, NULL);
	handler_set(&client->ready, NULL, NULL, NULL);
	handler_set(&client->notify, NULL, NULL, NULL);
	for (size_t i = 0; i < client->db.n_characteristics; i++)
		free(client->db.characteristics[i].value);
	free(client->db.services);
	free(client->db.includes);
	free(client->db.characteristics);
	free(client->db.descriptors);
	free(client);
}

void gatt_client_free(struct gatt_client *client)
{
	if (!client)
		return;
	if (reentry_free(&client->guard))
		destroy_now(client);
}

static void enter(struct gatt_client *client)
{
	reentry_enter(&client->guard);
}

/* After leave() the client may be gone. */
static void leave(struct gatt_client *client)
{
	if (reentry_leave(&client->guard))
		destroy_now(client);
}

bool gatt_client_subscribe(struct gatt_client *client, const struct gatt_uuid *uuid)
{
	return client->phase == PHASE_IDLE && uuid_list_add(&client->subscribe, uuid);
}

bool gatt_client_read_on_ready(struct gatt_client *client, const struct gatt_uuid *uuid)
{
	return client->phase == PHASE_IDLE && uuid_list_add(&client->reads, uuid);
}

bool gatt_client_limit_to_service(struct gatt_client *client, const struct gatt_uuid *uuid)
{
	return client->phase == PHASE_IDLE && uuid_list_add(&client->services_wanted, uuid);
}

void gatt_client_set_ready_handler(struct gatt_client *client, gatt_client_ready_func cb,
				   void *user_data, att_destroy_func destroy)
{
	handler_set(&client->ready, (void *)cb, user_data, destroy);
}

void gatt_client_set_notify_handler(struct gatt_client *client, gatt_client_notify_func cb,
				    void *user_data, att_destroy_func destroy)
{
	handler_set(&client->notify, (void *)cb, user_data, destroy);
}

bool gatt_client_is_ready(const struct gatt_client *client)
{
	return client->phase == PHASE_READY;
}

const struct gatt_db *gatt_client_db(const struct gatt_client *client)
{
	return &client->db;
}

/* --- lookups ---------------------------------------------------------- */

const struct gatt_characteristic *gatt_client_find_by_handle(const struct gatt_client *client,
							     uint16_t value_handle)
{
	/* Characteristics are discovered in handle order. */
	size_t lo = 0, hi = client->db.n_characteristics;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct gatt_characteristic *ch = &client->db.characteristics[mid];
		if (ch->value_handle == value_handle)
			return ch;
		if (ch->value_handle < value_handle)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct gatt_characteristic *gatt_client_find_by_uuid(const struct gatt_client *client,
							   const struct gatt_uuid *uuid)
{
	for (size_t i = 0; i < client->db.n_characteristics; i++)
		if (gatt_uuid_equal(&client->db.characteristics[i].uuid, uuid))
			return &client->db.characteristics[i];
	return NULL;
}

static void on_notify(uint16_t handle, const uint8_t *value, size_t len, bool indication,
		      int64_t now_us, void *user_data)
{
	(void)indication;
	struct gatt_client *client = user_data;
	if (!client->notify.cb || client->guard.free_pending)
		return;
	struct notification n = {
		.host_time_us = now_us,
		.addr_type = client->addr_type,
		.handle = handle,
		.len = (uint16_t)len,
		.value = value,
	};
	memcpy(n.addr, client->addr, NOTIFICATION_ADDR_LEN);
	const struct gatt_characteristic *ch = gatt_client_find_by_handle(client, handle);
	if (ch)
		n.uuid = ch->uuid;
	enter(client);
	((gatt_client_notify_func)client->notify.cb)(&n, client->notify.user_data);
	leave(client);
}

/* --- discovery steps -------------------------------------------------- */

static void on_response(const struct att_response *rsp, void *user_data);

/* Records why discovery cannot go on; returns false for the caller to pass up. */
static bool fail(struct gatt_client *client, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static bool fail(struct gatt_client *client, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(client->why, sizeof(client->why), fmt, ap);
	va_end(ap);
	return false;
}

static enum step send_pdu(struct gatt_client *client, const uint8_t *pdu, size_t len,
			  int64_t now_us)
{
	int id = att_send_request(client->att, pdu, len, on_response, client, NULL, now_us);
	if (id < 0) {
		fail(client, "cannot send %s: %s", att_opcode_name(pdu[0]), strerror(-id));
		return STEP_FAILED;
	}
	client->req_id = id;
	return STEP_SENT;
}

/* Read By Type, Read By Group Type, Find Information: opcode, range and a
 * 16-bit type. */
static enum step send_range(struct gatt_client *client, uint8_t opcode, uint16_t start,
			    uint16_t end, uint16_t type, int64_t now_us)
{
	uint8_t pdu[7] = { opcode,
			   (uint8_t)start,
			   (uint8_t)(start >> 8),
			   (uint8_t)end,
			   (uint8_t)(end >> 8),
			   (uint8_t)type,
			   (uint8_t)(type >> 8) };
	size_t len = opcode == ATT_OP_FIND_INFO_REQ ? 5 : 7;
	return send_pdu(client, pdu, len, now_us);
}

static enum step step_mtu(struct gatt_client *client, int64_t now_us)
{
	uint16_t mtu = att_get_requested_mtu(client->att);
	if (client->index > 0 || mtu <= ATT_MTU_MIN)
		return STEP_DONE;
	client->index = 1;
	const uint8_t pdu[] = { ATT_OP_MTU_REQ, (uint8_t)mtu, (uint8_t)(mtu >> 8) };
	return send_pdu(client, pdu, sizeof(pdu), now_us);
}

static int compare_services(const void *a, const void *b)
{
	const struct gatt_service *sa = a, *sb = b;
	return (int)sa->start_handle - (int)sb->start_handle;
}

static enum step step_services(struct gatt_client *client, int64_t now_us)
{
	if (client->next_handle > 0xFFFF) {
		client->index++;
		client->next_handle = 1;
	}
	if (client->services_wanted.n == 0) {
		if (client->index > 0)
			return STEP_DONE;
		return send_range(client, ATT_OP_READ_BY_GROUP_REQ, (uint16_t)client->next_handle,
				  0xFFFF, GATT_UUID_PRIMARY_SERVICE, now_us);
	}
	if (client->index >= client->services_wanted.n) {
		/* Each wanted UUID was found on its own: put them in handle order. */
		qsort(client->db.services, client->db.n_services, sizeof(*client->db.services),
		      compare_services);
		return STEP_DONE;
	}
	const struct gatt_uuid *uuid = &client->services_wanted.uuids[client->index];
	uint8_t pdu[7 + 16] = { ATT_OP_FIND_BY_TYPE_REQ,
				(uint8_t)client->next_handle,
				(uint8_t)(client->next_handle >> 8),
				0xFF,
				0xFF,
				(uint8_t)GATT_UUID_PRIMARY_SERVICE,
				(uint8_t)(GATT_UUID_PRIMARY_SERVICE >> 8) };
	memcpy(pdu + 7, uuid->bytes, uuid->len);
	return send_pdu(client, pdu, 7 + uuid->len, now_us);
}

/* Walks the services (or characteristics), asking for [next_handle, end]
 * of the current one; moves on when it is exhausted. */
static bool next_range(struct gatt_client *client, size_t n, uint16_t *start, uint16_t *end,
		       uint16_t (*range_of)(const struct gatt_client *, size_t, uint16_t *))
{
	while (client->index < n) {
		uint16_t first = range_of(client, client->index, end);
		if (client->next_handle < first)
			client->next_handle = first;
		if (first != 0 && client->next_handle <= *end) {
			*start = (uint16_t)client->next_handle;
			return true;
		}
		client->index++;
		client->next_handle = 0;
	}
	return false;
}

static uint16_t service_range(const struct gatt_client *client, size_t i, uint16_t *end)
{
	*end = client->db.services[i].end_handle;
	return client->db.services[i].start_handle;
}

/* The descriptors of a characteristic follow its value; none when the
 * value is its last handle (first 0 skips it). */
static uint16_t descriptor_range(const struct gatt_client *client, size_t i, uint16_t *end)
{
	const struct gatt_characteristic *ch = &client->db.characteristics[i];
	*end = ch->end_handle;
	return ch->value_handle < ch->end_handle ? (uint16_t)(ch->value_handle + 1) : 0;
}

static enum step step_includes(struct gatt_client *client, int64_t now_us)
{
	uint16_t start, end;
	if (!next_range(client, client->db.n_services, &start, &end, service_range))
		return STEP_DONE;
	return send_range(client, ATT_OP_READ_BY_TYPE_REQ, start, end, GATT_UUID_INCLUDE, now_us);
}

static enum step step_characteristics(struct gatt_client *client, int64_t now_us)
{
	uint16_t start, end;
	if (!next_range(client, client->db.n_services, &start, &end, service_range))
		return STEP_DONE;
	return send_range(client, ATT_OP_READ_BY_TYPE_REQ, start, end, GATT_UUID_CHARACTERISTIC,
			  now_us);
}

static enum step step_descriptors(struct gatt_client *client, int64_t now_us)
{
	uint16_t start, end;
	if (!next_range(client, client->db.n_characteristics, &start, &end, descriptor_range))
		return STEP_DONE;
	return send_range(client, ATT_OP_FIND_INFO_REQ, start, end, 0, now_us);
}

/* A read in progress continues with Read Blob from next_handle, used here
 * as the offset; 0 means the next characteristic is due. */
static enum step step_reads(struct gatt_client *client, int64_t now_us)
{
	struct gatt_db *db = &client->db;
	if (client->next_handle > 0 && client->index < db->n_characteristics) {
		uint16_t handle = db->characteristics[client->index].value_handle;
		const uint8_t pdu[] = { ATT_OP_READ_BLOB_REQ, (uint8_t)handle,
					(uint8_t)(handle >> 8), (uint8_t)client->next_handle,
					(uint8_t)(client->next_handle >> 8) };
		return send_pdu(client, pdu, sizeof(pdu), now_us);
	}
	for (; client->index < db->n_characteristics; client->index++) {
		const struct gatt_characteristic *ch = &db->characteristics[client->index];
		if (!uuid_list_has(&client->reads, &ch->uuid))
			continue;
		const uint8_t pdu[] = { ATT_OP_READ_REQ, (uint8_t)ch->value_handle,
					(uint8_t)(ch->value_handle >> 8) };
		return send_pdu(client, pdu, sizeof(pdu), now_us);
	}
	return STEP_DONE;
}

static uint16_t cccd_value(struct gatt_client *client, const struct gatt_characteristic *ch)
{
	char buf[37];
	if (ch->cccd_handle == 0) {
		att_log(client->att, LOG_LEVEL_WARNING,
			"characteristic %s at 0x%04x has no "
			"CCCD; cannot subscribe",
			uuid_str(&ch->uuid, buf), ch->value_handle);
		return 0;
	}
	if (ch->properties & GATT_PROP_NOTIFY)
		return GATT_CCCD_NOTIFY;
	if (ch->properties & GATT_PROP_INDICATE)
		return GATT_CCCD_INDICATE;
	att_log(client->att, LOG_LEVEL_WARNING,
		"characteristic %s at 0x%04x neither notifies "
		"nor indicates; cannot subscribe",
		uuid_str(&ch->uuid, buf), ch->value_handle);
	return 0;
}

static enum step step_subscribe(struct gatt_client *client, int64_t now_us)
{
	struct gatt_db *db = &client->db;
	for (; client->index < db->n_characteristics; client->index++) {
		const struct gatt_characteristic *ch = &db->characteristics[client->index];
		if (!uuid_list_has(&client->subscribe, &ch->uuid))
			continue;
		uint16_t value = cccd_value(client, ch);
		if (value == 0)
			continue;
		client->next_handle = value;
		const uint8_t pdu[] = { ATT_OP_WRITE_REQ, (uint8_t)ch->cccd_handle,
					(uint8_t)(ch->cccd_handle >> 8), (uint8_t)value,
					(uint8_t)(value >> 8) };
		return send_pdu(client, pdu, sizeof(pdu), now_us);
	}
	return STEP_DONE;
}

typedef enum step (*step_func)(struct gatt_client *client, int64_t now_us);

static const step_func steps[] = {
	[PHASE_MTU] = step_mtu,
	[PHASE_SERVICES] = step_services,
	[PHASE_INCLUDES] = step_includes,
	[PHASE_CHARACTERISTICS] = step_characteristics,
	[PHASE_DESCRIPTORS] = step_descriptors,
	[PHASE_READS] = step_reads,
	[PHASE_SUBSCRIBE] = step_subscribe,
};

static void finish(struct gatt_client *client, bool ok)
{
	client->phase = ok ? PHASE_READY : PHASE_FAILED;
	if (!ok)
		att_log(client->att, LOG_LEVEL_WARNING, "GATT discovery failed: %s", client->why);
	if (client->ready.cb && !client->guard.free_pending)
		((gatt_client_ready_func)client->ready.cb)(ok, ok ? NULL : client->why, &client->db,
							   client->ready.user_data);
}

/* Runs phases until one sends a request, all are done, or one fails. */
static void run(struct gatt_client *client, int64_t now_us)
{
	while (client->phase < PHASE_READY && !client->guard.free_pending) {
		enum step step = steps[client->phase](client, now_us);
		if (step == STEP_SENT)
			return;
		if (step == STEP_FAILED) {
			finish(client, false);
			return;
		}
		client->phase++;
		client->index = 0;
		client->next_handle = client->phase == PHASE_SERVICES ? 1 : 0;
	}
	if (client->phase == PHASE_READY && !client->guard.free_pending)
		finish(client, true);
}

int gatt_client_start(struct gatt_client *client, int64_t now_us)
{
	if (client->phase != PHASE_IDLE)
		return -EALREADY;
	if (att_has_failed(client->att))
		return -ENOTCONN;
	client->phase = PHASE_MTU;
	enter(client);
	run(client, now_us);
	leave(client);
	return 0;
}

/* --- parsing answers -------------------------------------------------- */

static const char *const phase_names[] = {
	[PHASE_MTU] = "MTU exchange",
	[PHASE_SERVICES] = "primary service discovery",
	[PHASE_INCLUDES] = "include discovery",
	[PHASE_CHARACTERISTICS] = "characteristic discovery",
	[PHASE_DESCRIPTORS] = "descriptor discovery",
	[PHASE_READS] = "reading characteristics",
	[PHASE_SUBSCRIBE] = "enabling notifications",
};

/* The first byte of a Read By Type or Read By Group Type Response is the
 * length of each entry; the rest must be whole entries, at least one. */
static bool entries(struct gatt_client *client, struct cursor *c, const char *what, uint8_t len_a,
		    uint8_t len_b, uint8_t *entry_len)
{
	if (!cursor_u8(c, entry_len)) {
		fail(client, "peer sent an empty %s", what);
		return false;
	}
	if (*entry_len != len_a && *entry_len != len_b) {
		fail(client, "peer sent a %s with %u-byte entries; they must be %u or %u bytes",
		     what, *entry_len, len_a, len_b);
		return false;
	}
	size_t rest = cursor_remaining(c);
	if (rest == 0 || rest % *entry_len != 0) {
		fail(client,
		     "peer sent a %s with %zu bytes of %u-byte entries, which do not "
		     "divide",
		     what, rest, *entry_len);
		return false;
	}
	return true;
}

static bool add_service(struct gatt_client *client, uint16_t start, uint16_t end,
			const struct gatt_uuid *uuid)
{
	char buf[37];
	struct gatt_db *db = &client->db;
	if (start == 0 || start < client->next_handle || end < start) {
		fail(client,
		     "peer reported service %s at 0x%04x-0x%04x when asked from 0x%04x; "
		     "handles must increase",
		     uuid_str(uuid, buf), start, end, (unsigned)client->next_handle);
		return false;
	}
	for (size_t i = 0; i < db->n_services; i++) {
		const struct gatt_service *s = &db->services[i];
		if (start <= s->end_handle && s->start_handle <= end) {
			fail(client,
			     "peer reported service %s at 0x%04x-0x%04x overlapping "
			     "0x%04x-0x%04x",
			     uuid_str(uuid, buf), start, end, s->start_handle, s->end_handle);
			return false;
		}
	}
	if (!grow((void **)&db->services, db->n_services, &client->cap_services,
		  GATT_CLIENT_MAX_SERVICES, sizeof(*db->services))) {
		fail(client, "peer reports more than %d services; giving up",
		     GATT_CLIENT_MAX_SERVICES);
		return false;
	}
	db->services[db->n_services++] = (struct gatt_service){
		.start_handle = start,
		.end_handle = end,
		.uuid = *uuid,
	};
	client->next_handle = (uint32_t)end + 1;
	return true;
}

static bool parse_group_rsp(struct gatt_client *client, const struct att_response *rsp)
{
	struct cursor c = cursor_init(rsp->params, rsp->len);
	uint8_t entry_len;
	if (!entries(client, &c, "Read By Group Type Response", 6, 20, &entry_len))
		return false;
	while (cursor_remaining(&c) > 0) {
		uint16_t start = 0, end = 0;
		struct gatt_uuid uuid = { 0 };
		cursor_le16(&c, &start);
		cursor_le16(&c, &end);
		read_uuid(&c, entry_len - 4u, &uuid);
		if (!add_service(client, start, end, &uuid))
			return false;
	}
	return true;
}

static bool parse_find_by_type_rsp(struct gatt_client *client, const struct att_response *rsp)
{
	struct cursor c = cursor_init(rsp->params, rsp->len);
	if (rsp->len == 0 || rsp->len % 4 != 0)
		return fail(client,
			    "peer sent a Find By Type Value Response with %zu bytes; it "
			    "must be a non-empty list of 4-byte handle ranges",
			    rsp->len);
	const struct gatt_uuid *uuid = &client->services_wanted.uuids[client->index];
	while (cursor_remaining(&c) > 0) {
		uint16_t start = 0, end = 0;
		cursor_le16(&c, &start);
		cursor_le16(&c, &end);
		if (!add_service(client, start, end, uuid))
			return false;
	}
	return true;
}

static bool parse_include_rsp(struct gatt_client *client, const struct att_response *rsp)
{
	struct gatt_db *db = &client->db;
	const struct gatt_service *service = &db->services[client->index];
	struct cursor c = cursor_init(rsp->params, rsp->len);
	uint8_t entry_len;
	if (!entries(client, &c, "Read By Type Response for includes", 6, 8, &entry_len))
		return false;
	while (cursor_remaining(&c) > 0) {
		struct gatt_include inc = { .service = client->index };
		cursor_le16(&c, &inc.handle);
		cursor_le16(&c, &inc.start_handle);
		cursor_le16(&c, &inc.end_handle);
		if (entry_len == 8)
			read_uuid(&c, 2, &inc.uuid);
		if (inc.handle < client->next_handle || inc.handle > service->end_handle ||
		    inc.start_handle == 0 || inc.end_handle < inc.start_handle)
			return fail(client,
				    "peer reported an include at 0x%04x (of 0x%04x-0x%04x) "
				    "when asked for 0x%04x-0x%04x",
				    inc.handle, inc.start_handle, inc.end_handle,
				    (unsigned)client->next_handle, service->end_handle);
		if (!grow((void **)&db->includes, db->n_includes, &client->cap_includes,
			  GATT_CLIENT_MAX_INCLUDES, sizeof(*db->includes)))
			return fail(client, "peer reports more than %d includes; giving up",
				    GATT_CLIENT_MAX_INCLUDES);
		db->includes[db->n_includes++] = inc;
		client->next_handle = (uint32_t)inc.handle + 1;
	}
	return true;
}

static bool add_characteristic(struct gatt_client *client, const struct gatt_characteristic *ch)
{
	struct gatt_db *db = &client->db;
	struct gatt_service *service = &db->services[client->index];
	char buf[37];
	if (ch->decl_handle < client->next_handle || ch->decl_handle > service->end_handle ||
	    ch->value_handle <= ch->decl_handle || ch->value_handle > service->end_handle)
		return fail(client,
			    "peer reported characteristic %s declared at 0x%04x with value "
			    "0x%04x when asked for 0x%04x-0x%04x",
			    uuid_str(&ch->uuid, buf), ch->decl_handle, ch->value_handle,
			    (unsigned)client->next_handle, service->end_handle);
	if (!grow((void **)&db->characteristics, db->n_characteristics,
		  &client->cap_characteristics, GATT_CLIENT_MAX_CHARACTERISTICS,
		  sizeof(*db->characteristics)))
		return fail(client, "peer reports more than %d characteristics; giving up",
			    GATT_CLIENT_MAX_CHARACTERISTICS);
	/* The previous characteristic of this service ends where this begins. */
	if (service->n_characteristics > 0)
		db->characteristics[db->n_characteristics - 1].end_handle =
			(uint16_t)(ch->decl_handle - 1);
	else
		service->first_characteristic = db->n_characteristics;
	service->n_characteristics++;
	db->characteristics[db->n_characteristics++] = *ch;
	client->next_handle = (uint32_t)ch->value_handle + 1;
	return true;
}

static bool parse_characteristic_rsp(struct gatt_client *client, const struct att_response *rsp)
{
	struct cursor c = cursor_init(rsp->params, rsp->len);
	uint8_t entry_len;
	if (!entries(client, &c, "Read By Type Response for characteristics", 7, 21, &entry_len))
		return false;
	uint16_t service_end = client->db.services[client->index].end_handle;
	while (cursor_remaining(&c) > 0) {
		struct gatt_characteristic ch = { .service = client->index,
						  .end_handle = service_end };
		cursor_le16(&c, &ch.decl_handle);
		cursor_u8(&c, &ch.properties);
		cursor_le16(&c, &ch.value_handle);
		read_uuid(&c, entry_len - 5u, &ch.uuid);
		if (!add_characteristic(client, &ch))
			return false;
	}
	return true;
}

static bool parse_find_info_rsp(struct gatt_client *client, const struct att_response *rsp)
{
	struct gatt_db *db = &client->db;
	struct gatt_characteristic *ch = &db->characteristics[client->index];
	struct cursor c = cursor_init(rsp->params, rsp->len);
	uint8_t format = 0;
	if (!cursor_u8(&c, &format) || (format != 1 && format != 2))
		return fail(client,
			    "peer sent a Find Information Response with format %u; it "
			    "must be 1 (16-bit UUIDs) or 2 (128-bit)",
			    format);
	size_t entry_len = format == 1 ? 4 : 18;
	size_t rest = cursor_remaining(&c);
	if (rest == 0 || rest % entry_len != 0)
		return fail(client,
			    "peer sent a Find Information Response with %zu bytes of "
			    "%zu-byte entries, which do not divide",
			    rest, entry_len);
	while (cursor_remaining(&c) > 0) {
		struct gatt_descriptor d = { .characteristic = client->index };
		cursor_le16(&c, &d.handle);
		read_uuid(&c, entry_len - 2, &d.uuid);
		if (d.handle < client->next_handle || d.handle > ch->end_handle)
			return fail(client,
				    "peer reported descriptor 0x%04x when asked for "
				    "0x%04x-0x%04x",
				    d.handle, (unsigned)client->next_handle, ch->end_handle);
		if (!grow((void **)&db->descriptors, db->n_descriptors, &client->cap_descriptors,
			  GATT_CLIENT_MAX_DESCRIPTORS, sizeof(*db->descriptors)))
			return fail(client, "peer reports more than %d descriptors; giving up",
				    GATT_CLIENT_MAX_DESCRIPTORS);
		if (ch->n_descriptors++ == 0)
			ch->first_descriptor = db->n_descriptors;
		if (gatt_uuid_to16(&d.uuid) == GATT_UUID_CCCD && ch->cccd_handle == 0)
			ch->cccd_handle = d.handle;
		db->descriptors[db->n_descriptors++] = d;
		client->next_handle = (uint32_t)d.handle + 1;
	}
	return true;
}

/* Appends what a Read or Read Blob returned; a full PDU means there may be
 * more, which Read Blob fetches from the offset kept in next_handle. */
static void take_value(struct gatt_client *client, const struct att_response *rsp)
{
	struct gatt_characteristic *ch = &client->db.characteristics[client->index];
	size_t room = GATT_CLIENT_MAX_VALUE - ch->value_len;
	size_t n = rsp->len < room ? rsp->len : room;
	if (n > 0) {
		ch->value = xreallocarray(ch->value, ch->value_len + n, 1);
		memcpy(ch->value + ch->value_len, rsp->params, n);
		ch->value_len = (uint16_t)(ch->value_len + n);
	}
	bool full = rsp->len > 0 && rsp->len == att_get_mtu(client->att) - 1u;
	if (full && ch->value_len < GATT_CLIENT_MAX_VALUE) {
		client->next_handle = ch->value_len;
		return;
	}
	ch->value_read = true;
	client->next_handle = 0;
	client->index++;
}

static void read_refused(struct gatt_client *client, const struct att_response *rsp)
{
	struct gatt_characteristic *ch = &client->db.characteristics[client->index];
	bool blob = rsp->request_opcode == ATT_OP_READ_BLOB_REQ;
	/* A value exactly a multiple of MTU - 1 long ends this way. */
	if (blob && (rsp->error_code == ATT_ERR_ATTRIBUTE_NOT_LONG ||
		     rsp->error_code == ATT_ERR_INVALID_OFFSET)) {
		ch->value_read = true;
	} else {
		char buf[37];
		ch->att_error = rsp->error_code;
		att_log(client->att, LOG_LEVEL_WARNING, "sensor refused to read %s at 0x%04x: %s",
			uuid_str(&ch->uuid, buf), ch->value_handle, rsp->why);
	}
	client->next_handle = 0;
	client->index++;
}

static void subscribe_answered(struct gatt_client *client, const struct att_response *rsp)
{
	struct gatt_characteristic *ch = &client->db.characteristics[client->index];
	char buf[37];
	if (rsp->status == ATT_STATUS_OK) {
		if (rsp->len != 0)
			att_log(client->att, LOG_LEVEL_DEBUG,
				"peer sent %zu extra bytes in Write "
				"Response; ignored",
				rsp->len);
		ch->subscribed = (uint16_t)client->next_handle;
	} else {
		ch->att_error = rsp->error_code;
		att_log(client->att, LOG_LEVEL_WARNING,
			"sensor refused to enable %s on %s at "
			"0x%04x: %s",
			client->next_handle == GATT_CCCD_NOTIFY ? "notifications" : "indications",
			uuid_str(&ch->uuid, buf), ch->value_handle, rsp->why);
	}
	client->next_handle = 0;
	client->index++;
}

/* Error Response Attribute Not Found ends a ranged discovery normally. */
static bool range_exhausted(const struct att_response *rsp)
{
	return rsp->status == ATT_STATUS_ERROR_RSP &&
	       rsp->error_code == ATT_ERR_ATTRIBUTE_NOT_FOUND;
}

static bool handle_discovery(struct gatt_client *client, const struct att_response *rsp)
{
	if (range_exhausted(rsp)) {
		client->next_handle = 0x10000;
		return true;
	}
	if (rsp->status == ATT_STATUS_ERROR_RSP && client->phase == PHASE_INCLUDES) {
		/* Includes are optional extras: a peer that balks keeps going. */
		att_log(client->att, LOG_LEVEL_INFO, "include discovery skipped: %s", rsp->why);
		client->next_handle = 0x10000;
		return true;
	}
	if (rsp->status != ATT_STATUS_OK)
		return fail(client, "%s failed: %s", phase_names[client->phase], rsp->why);
	switch (client->phase) {
	case PHASE_SERVICES:
		return client->services_wanted.n ? parse_find_by_type_rsp(client, rsp)
						 : parse_group_rsp(client, rsp);
	case PHASE_INCLUDES:
		return parse_include_rsp(client, rsp);
	case PHASE_CHARACTERISTICS:
		return parse_characteristic_rsp(client, rsp);
	default:
		return parse_find_info_rsp(client, rsp);
	}
}

/* False when the answer ends discovery (client->why says why). */
static bool handle_answer(struct gatt_client *client, const struct att_response *rsp)
{
	if (rsp->status == ATT_STATUS_TIMEOUT || rsp->status == ATT_STATUS_CLOSED ||
	    rsp->status == ATT_STATUS_BAD_RSP)
		return fail(client, "%s failed: %s", phase_names[client->phase], rsp->why);
	switch (client->phase) {
	case PHASE_MTU:
		if (rsp->status != ATT_STATUS_OK)
			att_log(client->att, LOG_LEVEL_INFO, "staying at ATT MTU %u: %s",
				att_get_mtu(client->att), rsp->why);
		return true;
	case PHASE_READS:
		if (rsp->status == ATT_STATUS_OK)
			take_value(client, rsp);
		else
			read_refused(client, rsp);
		return true;
	case PHASE_SUBSCRIBE:
		subscribe_answered(client, rsp);
		return true;
	default:
		return handle_discovery(client, rsp);
	}
}

static void on_response(const struct att_response *rsp, void *user_data)
{
	struct gatt_client *client = user_data;
	client->req_id = 0;
	if (client->phase >= PHASE_READY)
		return;
	enter(client);
	if (handle_answer(client, rsp))
		run(client, rsp->now_us);
	else
		finish(client, false);
	leave(client);
}
