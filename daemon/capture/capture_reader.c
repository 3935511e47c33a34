// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The btsnoop reader: what btmon -w (datalink 2001), Android's HCI snoop
 * log (1002) and older tools (1001) write.
 *
 * The reader walks HCI -> ACL -> L2CAP -> ATT one record at a time with
 * fixed tables, so memory does not grow with the file. Limits, and what
 * happens beyond them:
 * - CAPTURE_MAX_CONNS connections at once: a new connection then replaces
 *   the one that has been quiet the longest (its discovered handles are
 *   forgotten, so its later notifications come out unmapped).
 * - CAPTURE_MAX_CHARS discovered characteristics per connection: later
 *   declarations are ignored (their notifications come out unmapped).
 * - CAPTURE_VALUE_MAX bytes of ATT value: longer L2CAP PDUs are skipped and
 *   counted (ATT itself never carries more than 512).
 * - Records longer than any HCI packet are damage (capture_frames.h):
 *   resynchronised past and counted.
 * The --map overrides are the one table that grows, but only on request.
 */
#include "capture/capture.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/bytes.h"
#include "util/cursor.h"
#include "capture/capture_format.h"
#include "capture/capture_frames.h"
#include "util/xalloc.h"

enum packet_kind { PKT_OTHER, PKT_EVENT, PKT_ACL_TX, PKT_ACL_RX };

struct char_map {
	uint16_t handle;
	struct gatt_uuid uuid;
};

/* Which Read By Type request the peer is answering. */
enum pending_req { REQ_UNSEEN, REQ_CHARACTERISTICS, REQ_OTHER };

struct conn {
	bool used;
	uint16_t index;
	uint16_t handle;
	uint64_t last_active;
	uint8_t addr[NOTIFICATION_ADDR_LEN];
	uint8_t addr_type;
	enum pending_req req;
	/* L2CAP reassembly of controller -> host ACL fragments. */
	bool assembling;
	uint16_t pdu_have;
	unsigned n_chars;
	struct char_map chars[CAPTURE_MAX_CHARS];
	uint8_t pdu[PDU_MAX];
};

/* ATT notification PDU(s) waiting to be handed out, one per call. */
struct pending {
	bool active;
	bool multiple;
	struct cursor cur;
	const struct conn *conn;
	int64_t time_us;
};

struct capture_reader {
	char *name;
	uint64_t tick; /* records read, for least-recently-active eviction */
	struct capture_frames frames;
	struct capture_reader_stats stats;
	struct char_map *overrides;
	size_t n_overrides, cap_overrides;
	struct pending pending;
	const uint8_t *rec; /* the record being decoded */
	uint32_t rec_len;
	int64_t rec_time_us;
	struct conn conns[CAPTURE_MAX_CONNS];
};

/* ---- reader: opening ----------------------------------------------------- */

int capture_reader_open_stream(FILE *f, const char *name, struct capture_reader **out, char *why,
			       size_t why_len)
{
	struct capture_reader *r = xcalloc(1, sizeof(*r));
	int ret;

	r->name = xstrdup(name);
	ret = capture_frames_open(&r->frames, f, r->name);
	if (ret < 0) {
		if (why && why_len)
			snprintf(why, why_len, "%s", r->frames.error_text);
		capture_reader_close(r);
		*out = NULL;
		return ret;
	}
	*out = r;
	return 0;
}

int capture_reader_open(const char *path, struct capture_reader **out, char *why, size_t why_len)
{
	FILE *f = fopen(path, "rbe");
	int err;

	if (!f) {
		err = errno;
		if (why && why_len)
			snprintf(why, why_len, "cannot open capture file %s: %s", path,
				 strerror(err));
		*out = NULL;
		return -err;
	}
	return capture_reader_open_stream(f, path, out, why, why_len);
}

void capture_reader_map(struct capture_reader *r, uint16_t handle, const struct gatt_uuid *uuid)
{
	for (size_t i = 0; i < r->n_overrides; i++) {
		if (r->overrides[i].handle == handle) {
			r->overrides[i].uuid = *uuid;
			return;
		}
	}
	if (r->n_overrides == r->cap_overrides) {
		r->cap_overrides = r->cap_overrides ? 2 * r->cap_overrides : 8;
		r->overrides = xreallocarray(r->overrides, r->cap_overrides, sizeof(*r->overrides));
	}
	r->overrides[r->n_overrides++] = (struct char_map){ .handle = handle, .uuid = *uuid };
}

const char *capture_reader_error(const struct capture_reader *r)
{
	return r->frames.error ? r->frames.error_text : "";
}

const char *capture_reader_damage(struct capture_reader *r)
{
	return capture_frames_damage(&r->frames);
}

void capture_reader_stats(const struct capture_reader *r, struct capture_reader_stats *out)
{
	const struct capture_reader_stats *fs = &r->frames.stats;

	*out = r->stats;
	out->records = fs->records;
	out->bad_times = fs->bad_times;
	out->damaged = fs->damaged;
	out->skipped_bytes = fs->skipped_bytes;
	out->first_damage_byte = fs->first_damage_byte;
}

void capture_reader_close(struct capture_reader *r)
{
	if (!r)
		return;
	capture_frames_close(&r->frames);
	free(r->overrides);
	free(r->name);
	free(r);
}

/* ---- reader: connections --------------------------------------------------- */

static struct conn *conn_find(struct capture_reader *r, uint16_t index, uint16_t handle)
{
	for (unsigned i = 0; i < CAPTURE_MAX_CONNS; i++) {
		struct conn *c = &r->conns[i];
		if (c->used && c->index == index && c->handle == handle)
			return c;
	}
	return NULL;
}

static void conn_reset(const struct capture_reader *r, struct conn *c, uint16_t index,
		       uint16_t handle)
{
	memset(c, 0, offsetof(struct conn, pdu));
	c->used = true;
	c->index = index;
	c->handle = handle;
	c->last_active = r->tick;
}

/* A fresh slot: a free one, else the one quiet for longest. */
static struct conn *conn_new(struct capture_reader *r, uint16_t index, uint16_t handle)
{
	struct conn *c = &r->conns[0];

	for (unsigned i = 0; i < CAPTURE_MAX_CONNS; i++) {
		if (!r->conns[i].used) {
			c = &r->conns[i];
			break;
		}
		if (r->conns[i].last_active < c->last_active)
			c = &r->conns[i];
	}
	conn_reset(r, c, index, handle);
	return c;
}

/* Traffic on a connection whose setup the capture did not see (it started
 * mid-connection) still counts: the peer's address is then all zeros. */
static struct conn *conn_get(struct capture_reader *r, uint16_t index, uint16_t handle)
{
	struct conn *c = conn_find(r, index, handle);

	if (!c)
		c = conn_new(r, index, handle);
	c->last_active = r->tick;
	return c;
}

static void conn_forget_index(struct capture_reader *r, uint16_t index)
{
	for (unsigned i = 0; i < CAPTURE_MAX_CONNS; i++)
		if (r->conns[i].index == index)
			r->conns[i].used = false;
}

static const struct gatt_uuid *uuid_lookup(const struct capture_reader *r, const struct conn *c,
					   uint16_t handle)
{
	for (size_t i = 0; i < r->n_overrides; i++)
		if (r->overrides[i].handle == handle)
			return &r->overrides[i].uuid;
	for (unsigned i = 0; i < c->n_chars; i++)
		if (c->chars[i].handle == handle)
			return &c->chars[i].uuid;
	return NULL;
}

static void conn_add_char(struct conn *c, uint16_t handle, const struct gatt_uuid *uuid)
{
	for (unsigned i = 0; i < c->n_chars; i++) {
		if (c->chars[i].handle == handle) {
			c->chars[i].uuid = *uuid;
			return;
		}
	}
	if (c->n_chars < CAPTURE_MAX_CHARS)
		c->chars[c->n_chars++] = (struct char_map){ .handle = handle, .uuid = *uuid };
}

/* ---- reader: HCI events ---------------------------------------------------- */

static uint8_t addr_type_from_hci(uint8_t hci_type)
{
	/* 0x02/0x03 are resolved identity addresses: public and random static. */
	return (hci_type & 1) ? NOTIFICATION_ADDR_RANDOM : NOTIFICATION_ADDR_PUBLIC;
}

/* LE Connection Complete and both Enhanced versions share this prefix. */
static bool le_conn_complete(struct capture_reader *r, uint16_t index, struct cursor *cur)
{
	uint8_t status, role, peer_type;
	uint16_t handle;
	const uint8_t *peer;
	struct conn *c;

	if (!cursor_u8(cur, &status) || !cursor_le16(cur, &handle) || !cursor_u8(cur, &role) ||
	    !cursor_u8(cur, &peer_type) || !cursor_bytes(cur, NOTIFICATION_ADDR_LEN, &peer))
		return false;
	if (status != 0)
		return true;
	handle &= ACL_HANDLE_MASK;
	c = conn_find(r, index, handle);
	if (c)
		conn_reset(r, c, index, handle);
	else
		c = conn_new(r, index, handle);
	memcpy(c->addr, peer, NOTIFICATION_ADDR_LEN);
	c->addr_type = addr_type_from_hci(peer_type);
	return true;
}

static bool disconn_complete(struct capture_reader *r, uint16_t index, struct cursor *cur)
{
	uint8_t status;
	uint16_t handle;
	struct conn *c;

	if (!cursor_u8(cur, &status) || !cursor_le16(cur, &handle))
		return false;
	c = conn_find(r, index, handle & ACL_HANDLE_MASK);
	if (status == 0 && c)
		c->used = false;
	return true;
}

static void handle_event(struct capture_reader *r, uint16_t index, const uint8_t *p, size_t len)
{
	struct cursor cur = cursor_init(p, len);
	uint8_t code, plen, sub;
	const uint8_t *params;
	bool ok = true;

	if (!cursor_u8(&cur, &code) || !cursor_u8(&cur, &plen) ||
	    !cursor_bytes(&cur, plen, &params)) {
		r->stats.skipped_packets++;
		return;
	}
	cur = cursor_init(params, plen);
	if (code == EVT_DISCONN_COMPLETE) {
		ok = disconn_complete(r, index, &cur);
	} else if (code == EVT_LE_META) {
		ok = cursor_u8(&cur, &sub);
		if (ok && (sub == LE_CONN_COMPLETE || sub == LE_ENH_CONN_COMPLETE ||
			   sub == LE_ENH_CONN_COMPLETE_V2))
			ok = le_conn_complete(r, index, &cur);
	}
	if (!ok)
		r->stats.skipped_packets++;
}

/* ---- reader: ATT ------------------------------------------------------------- */

static bool is_characteristic_type(struct cursor *cur)
{
	struct gatt_uuid type = { .len = (uint8_t)cursor_remaining(cur) };
	const uint8_t *bytes;

	if ((type.len != 2 && type.len != 16) || !cursor_bytes(cur, type.len, &bytes))
		return false;
	memcpy(type.bytes, bytes, type.len);
	return gatt_uuid_to16(&type) == GATT_CHARACTERISTIC_UUID;
}

/* Host -> peer: only which Read By Type request is outstanding matters. */
static void att_from_host(struct conn *c, const uint8_t *p, size_t len)
{
	struct cursor cur = cursor_init(p, len);
	uint8_t opcode;

	if (!cursor_u8(&cur, &opcode) || opcode != ATT_READ_BY_TYPE_REQ || !cursor_skip(&cur, 4))
		return;
	c->req = is_characteristic_type(&cur) ? REQ_CHARACTERISTICS : REQ_OTHER;
}

/*
 * Characteristic declarations: handle, properties, value handle, UUID. The
 * value always directly follows its declaration (Core Vol 3 Part G 3.3),
 * which also tells declarations from other 7- or 21-byte items when the
 * request was not captured.
 */
static bool read_by_type_rsp(struct conn *c, struct cursor *cur)
{
	uint8_t item_len;
	const uint8_t *item;
	struct gatt_uuid uuid;
	uint16_t decl, value;

	if (!cursor_u8(cur, &item_len))
		return false;
	if (item_len != 7 && item_len != 21)
		return c->req != REQ_CHARACTERISTICS;
	uuid.len = (uint8_t)(item_len - 5);
	while (cursor_bytes(cur, item_len, &item)) {
		/* handle (2), properties (1), value handle (2), UUID */
		decl = (uint16_t)(item[0] | item[1] << 8);
		value = (uint16_t)(item[3] | item[4] << 8);
		if (value != (uint16_t)(decl + 1) || value == 0)
			continue;
		memcpy(uuid.bytes, item + 5, uuid.len);
		conn_add_char(c, value, &uuid);
	}
	return cursor_remaining(cur) == 0;
}

static void att_from_peer(struct capture_reader *r, struct conn *c, const uint8_t *p, size_t len)
{
	struct cursor cur = cursor_init(p, len);
	uint8_t opcode;
	enum pending_req req = c->req;

	if (!cursor_u8(&cur, &opcode)) {
		r->stats.skipped_packets++;
		return;
	}
	switch (opcode) {
	case ATT_HANDLE_VALUE_NTF:
	case ATT_HANDLE_VALUE_IND:
	case ATT_MULTIPLE_HANDLE_VALUE_NTF:
		r->pending = (struct pending){
			.active = true,
			.multiple = opcode == ATT_MULTIPLE_HANDLE_VALUE_NTF,
			.cur = cur,
			.conn = c,
			.time_us = r->rec_time_us,
		};
		break;
	case ATT_READ_BY_TYPE_RSP:
		c->req = REQ_UNSEEN;
		if (req != REQ_OTHER && !read_by_type_rsp(c, &cur))
			r->stats.skipped_packets++;
		break;
	case ATT_ERROR_RSP:
		c->req = REQ_UNSEEN;
		break;
	}
}

/* ---- reader: ACL and L2CAP --------------------------------------------------- */

/* A whole L2CAP PDU from the peer. Other channels (signalling, SMP) are
 * legitimate traffic and simply not ours. */
static void l2cap_from_peer(struct capture_reader *r, struct conn *c, const uint8_t *p, size_t len)
{
	struct cursor cur = cursor_init(p, len);
	uint16_t pdu_len, cid;

	cursor_le16(&cur, &pdu_len);
	cursor_le16(&cur, &cid);
	if (cid == L2CAP_CID_ATT)
		att_from_peer(r, c, p + L2CAP_HDR_LEN, len - L2CAP_HDR_LEN);
}

/* Expected length of the PDU being assembled, 0 while its header is short. */
static size_t pdu_expected(const struct conn *c)
{
	if (c->pdu_have < 2)
		return 0;
	return L2CAP_HDR_LEN + (size_t)(c->pdu[0] | c->pdu[1] << 8);
}

static void acl_from_peer(struct capture_reader *r, struct conn *c, uint8_t pb, const uint8_t *frag,
			  size_t len)
{
	size_t want;

	if (pb != ACL_PB_CONTINUATION) {
		if (c->assembling)
			r->stats.skipped_packets++; /* the previous PDU never completed */
		c->assembling = true;
		c->pdu_have = 0;
	} else if (!c->assembling) {
		return; /* the rest of a PDU already dropped (or begun before the capture) */
	}
	if (len > (size_t)PDU_MAX - c->pdu_have) {
		r->stats.skipped_packets++;
		c->assembling = false;
		return;
	}
	memcpy(c->pdu + c->pdu_have, frag, len);
	c->pdu_have = (uint16_t)(c->pdu_have + len);
	want = pdu_expected(c);
	if (c->pdu_have < L2CAP_HDR_LEN || c->pdu_have < want)
		return;
	c->assembling = false;
	if (c->pdu_have > want) {
		r->stats.skipped_packets++;
		return;
	}
	l2cap_from_peer(r, c, c->pdu, c->pdu_have);
}

/* Host requests fit in one fragment; only whole ones are looked at. */
static void acl_from_host(struct conn *c, uint8_t pb, const uint8_t *frag, size_t len)
{
	struct cursor cur = cursor_init(frag, len);
	uint16_t pdu_len, cid;

	if (pb == ACL_PB_CONTINUATION || !cursor_le16(&cur, &pdu_len) || !cursor_le16(&cur, &cid) ||
	    cid != L2CAP_CID_ATT || pdu_len != cursor_remaining(&cur))
		return;
	att_from_host(c, frag + L2CAP_HDR_LEN, pdu_len);
}

static void handle_acl(struct capture_reader *r, uint16_t index, bool from_peer, const uint8_t *p,
		       size_t len)
{
	struct cursor cur = cursor_init(p, len);
	uint16_t hdr, dlen;
	const uint8_t *data;
	struct conn *c;
	uint8_t pb;

	if (!cursor_le16(&cur, &hdr) || !cursor_le16(&cur, &dlen) ||
	    !cursor_bytes(&cur, dlen, &data)) {
		r->stats.skipped_packets++;
		return;
	}
	pb = (uint8_t)((hdr >> 12) & 0x3);
	c = conn_get(r, index, hdr & ACL_HANDLE_MASK);
	if (from_peer)
		acl_from_peer(r, c, pb, data, dlen);
	else
		acl_from_host(c, pb, data, dlen);
}

/* ---- reader: records ----------------------------------------------------------- */

static void dispatch(struct capture_reader *r, enum packet_kind kind, uint16_t index,
		     const uint8_t *p, size_t len)
{
	if (kind == PKT_EVENT)
		handle_event(r, index, p, len);
	else if (kind == PKT_ACL_RX || kind == PKT_ACL_TX)
		handle_acl(r, index, kind == PKT_ACL_RX, p, len);
}

/* 1001: flags bit 0 is the direction (1 = controller to host), bit 1 says
 * command/event rather than ACL data. */
static void record_hci(struct capture_reader *r, uint32_t flags)
{
	enum packet_kind kind;

	if (flags & 0x2)
		kind = (flags & 0x1) ? PKT_EVENT : PKT_OTHER;
	else
		kind = (flags & 0x1) ? PKT_ACL_RX : PKT_ACL_TX;
	dispatch(r, kind, 0, r->rec, r->rec_len);
}

/* 1002: an H4 packet type byte, then the HCI packet. */
static void record_h4(struct capture_reader *r, uint32_t flags)
{
	enum packet_kind kind = PKT_OTHER;

	if (r->rec_len < 1) {
		r->stats.skipped_packets++;
		return;
	}
	if (r->rec[0] == H4_EVENT)
		kind = PKT_EVENT;
	else if (r->rec[0] == H4_ACL)
		kind = (flags & 0x1) ? PKT_ACL_RX : PKT_ACL_TX;
	dispatch(r, kind, 0, r->rec + 1, r->rec_len - 1);
}

/* 2001: flags = controller index << 16 | opcode. */
static void record_monitor(struct capture_reader *r, uint32_t flags)
{
	uint16_t index = (uint16_t)(flags >> 16);
	uint16_t opcode = (uint16_t)flags;
	enum packet_kind kind = PKT_OTHER;

	switch (opcode) {
	case MON_NEW_INDEX:
	case MON_DEL_INDEX:
		conn_forget_index(r, index);
		return;
	case MON_EVENT:
		kind = PKT_EVENT;
		break;
	case MON_ACL_TX:
		kind = PKT_ACL_TX;
		break;
	case MON_ACL_RX:
		kind = PKT_ACL_RX;
		break;
	}
	dispatch(r, kind, index, r->rec, r->rec_len);
}

static void process_record(struct capture_reader *r, uint32_t flags)
{
	switch (r->frames.datalink) {
	case DATALINK_HCI:
		record_hci(r, flags);
		break;
	case DATALINK_H4:
		record_h4(r, flags);
		break;
	case DATALINK_MONITOR:
		record_monitor(r, flags);
		break;
	}
}

/* Hands out the next value of the pending notification PDU, if any. */
static bool emit(struct capture_reader *r, struct notification *n)
{
	struct pending *p = &r->pending;
	uint16_t handle = 0, len = 0;
	const uint8_t *value = NULL;
	const struct gatt_uuid *uuid;

	if (!p->active)
		return false;
	if (!p->multiple) {
		p->active = false;
		if (!cursor_le16(&p->cur, &handle)) {
			r->stats.skipped_packets++;
			return false;
		}
		len = (uint16_t)cursor_remaining(&p->cur);
		cursor_bytes(&p->cur, len, &value);
	} else if (cursor_remaining(&p->cur) == 0) {
		p->active = false;
		return false;
	} else if (!cursor_le16(&p->cur, &handle) || !cursor_le16(&p->cur, &len) ||
		   !cursor_bytes(&p->cur, len, &value)) {
		p->active = false;
		r->stats.skipped_packets++;
		return false;
	}
	uuid = uuid_lookup(r, p->conn, handle);
	*n = (struct notification){
		.host_time_us = p->time_us,
		.addr_type = p->conn->addr_type,
		.handle = handle,
		.len = len,
		.value = value,
	};
	memcpy(n->addr, p->conn->addr, NOTIFICATION_ADDR_LEN);
	if (uuid)
		n->uuid = *uuid;
	else
		r->stats.unmapped++;
	r->stats.notifications++;
	return true;
}

int capture_reader_next(struct capture_reader *r, struct notification *n)
{
	struct capture_frame frame;
	int ret;

	for (;;) {
		if (emit(r, n))
			return 1;
		ret = capture_frames_next(&r->frames, &frame);
		if (ret <= 0)
			return ret;
		r->tick++;
		r->rec = frame.data;
		r->rec_len = frame.len;
		r->rec_time_us = frame.time_us;
		process_record(r, frame.flags);
	}
}
