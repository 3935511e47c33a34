// SPDX-License-Identifier: GPL-2.0-or-later
#include "gatt_server.h"

#include "ble/att.h"
#include "util/bytes.h"
#include "util/cursor.h"
#include "ble/gatt_client.h"
#include "util/xalloc.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A PDU at most this long is read whole; longer ones are cut and then
 * refused like any other malformed request. */
#define PDU_BUF (GATT_SERVER_MTU_MAX + 16)
/* Requests handled per call, so a flooding client cannot starve the loop. */
#define PDUS_PER_CALL 64
/* How long a response may wait for room in the socket's queue. */
#define RESPONSE_SEND_TIMEOUT_MS 1000

enum attr_kind { ATTR_SERVICE, ATTR_CHAR_DECL, ATTR_VALUE, ATTR_CCCD };

struct attribute {
	enum attr_kind kind;
	struct gatt_uuid type;
	uint8_t properties;    /* of the characteristic, for its value and CCCD */
	uint16_t value_handle; /* for a declaration and a CCCD: their characteristic's */
	uint16_t len;
	uint8_t value[GATT_SERVER_VALUE_MAX];
	gatt_server_write_func write_cb;
	void *write_user;
};

struct gatt_server {
	struct attribute *attrs; /* handle h is attrs[h - 1] */
	uint16_t n_attrs;
	uint16_t max_mtu;
	uint16_t mtu;
	int fd;
	bool indication_pending;
	gatt_server_subscribe_func subscribe_cb;
	void *subscribe_user;
};

struct gatt_server *gatt_server_new(uint16_t max_mtu)
{
	struct gatt_server *s = xcalloc(1, sizeof(*s));
	s->attrs = xcalloc(GATT_SERVER_MAX_ATTRIBUTES, sizeof(*s->attrs));
	if (max_mtu < GATT_SERVER_MTU_MIN)
		max_mtu = GATT_SERVER_MTU_MIN;
	if (max_mtu > GATT_SERVER_MTU_MAX)
		max_mtu = GATT_SERVER_MTU_MAX;
	s->max_mtu = max_mtu;
	s->mtu = GATT_SERVER_MTU_MIN;
	s->fd = -1;
	return s;
}

void gatt_server_free(struct gatt_server *s)
{
	if (!s)
		return;
	free(s->attrs);
	free(s);
}

/* ---- the database ---- */

static struct attribute *attr_at(const struct gatt_server *s, uint16_t handle)
{
	if (handle == 0 || handle > s->n_attrs)
		return NULL;
	return &s->attrs[handle - 1];
}

static uint16_t add_attr(struct gatt_server *s, enum attr_kind kind, uint16_t type16,
			 const uint8_t *value, size_t len)
{
	if (s->n_attrs >= GATT_SERVER_MAX_ATTRIBUTES || len > GATT_SERVER_VALUE_MAX) {
		fprintf(stderr, "gatt_server: database full or value too long\n");
		abort();
	}
	struct attribute *a = &s->attrs[s->n_attrs++];
	a->kind = kind;
	a->type = gatt_uuid_from16(type16);
	a->len = (uint16_t)len;
	if (len)
		memcpy(a->value, value, len);
	return s->n_attrs;
}

uint16_t gatt_server_add_service(struct gatt_server *s, const struct gatt_uuid *uuid)
{
	return add_attr(s, ATTR_SERVICE, GATT_UUID_PRIMARY_SERVICE, uuid->bytes, uuid->len);
}

uint16_t gatt_server_add_characteristic(struct gatt_server *s, const struct gatt_uuid *uuid,
					uint8_t properties, const uint8_t *value, size_t len)
{
	uint16_t value_handle = (uint16_t)(s->n_attrs + 2);
	uint8_t decl[3 + 16] = { properties };
	bytes_put_le16(decl + 1, value_handle);
	memcpy(decl + 3, uuid->bytes, uuid->len);
	uint16_t decl_handle =
		add_attr(s, ATTR_CHAR_DECL, GATT_UUID_CHARACTERISTIC, decl, 3u + uuid->len);
	s->attrs[decl_handle - 1].value_handle = value_handle;

	add_attr(s, ATTR_VALUE, 0, value, len);
	struct attribute *v = attr_at(s, value_handle);
	v->type = *uuid;
	v->properties = properties;
	v->value_handle = value_handle;

	if (properties & (GATT_PROP_NOTIFY | GATT_PROP_INDICATE)) {
		const uint8_t off[2] = { 0, 0 };
		uint16_t cccd = add_attr(s, ATTR_CCCD, GATT_UUID_CCCD, off, 2);
		s->attrs[cccd - 1].properties = properties;
		s->attrs[cccd - 1].value_handle = value_handle;
	}
	return value_handle;
}

static struct attribute *value_attr(const struct gatt_server *s, uint16_t value_handle)
{
	struct attribute *a = attr_at(s, value_handle);
	return a && a->kind == ATTR_VALUE ? a : NULL;
}

void gatt_server_set_write_handler(struct gatt_server *s, uint16_t value_handle,
				   gatt_server_write_func cb, void *user_data)
{
	struct attribute *a = value_attr(s, value_handle);
	if (a) {
		a->write_cb = cb;
		a->write_user = user_data;
	}
}

void gatt_server_set_subscribe_handler(struct gatt_server *s, gatt_server_subscribe_func cb,
				       void *user_data)
{
	s->subscribe_cb = cb;
	s->subscribe_user = user_data;
}

bool gatt_server_set_value(struct gatt_server *s, uint16_t value_handle, const uint8_t *value,
			   size_t len)
{
	struct attribute *a = value_attr(s, value_handle);
	if (!a || len > GATT_SERVER_VALUE_MAX)
		return false;
	if (len)
		memcpy(a->value, value, len);
	a->len = (uint16_t)len;
	return true;
}

uint16_t gatt_server_find_value_handle(const struct gatt_server *s, const struct gatt_uuid *uuid)
{
	for (uint16_t h = 1; h <= s->n_attrs; h++) {
		const struct attribute *a = attr_at(s, h);
		if (a->kind == ATTR_VALUE && gatt_uuid_equal(&a->type, uuid))
			return h;
	}
	return 0;
}

uint16_t gatt_server_last_handle(const struct gatt_server *s)
{
	return s->n_attrs;
}

static struct attribute *cccd_of(const struct gatt_server *s, uint16_t value_handle)
{
	struct attribute *cccd = attr_at(s, (uint16_t)(value_handle + 1));
	return value_attr(s, value_handle) && cccd && cccd->kind == ATTR_CCCD ? cccd : NULL;
}

uint16_t gatt_server_cccd(const struct gatt_server *s, uint16_t value_handle)
{
	const struct attribute *cccd = cccd_of(s, value_handle);
	return cccd ? bytes_le16(cccd->value) : 0;
}

/* The last handle of the service that starts at handle. */
static uint16_t group_end(const struct gatt_server *s, uint16_t handle)
{
	uint16_t h = handle;
	while (h < s->n_attrs && s->attrs[h].kind != ATTR_SERVICE)
		h++;
	return h;
}

/* ---- the connection ---- */

void gatt_server_attach(struct gatt_server *s, int fd)
{
	s->fd = fd;
	s->mtu = GATT_SERVER_MTU_MIN;
	s->indication_pending = false;
	for (uint16_t h = 1; h <= s->n_attrs; h++) {
		struct attribute *a = attr_at(s, h);
		if (a->kind == ATTR_CCCD)
			memset(a->value, 0, 2);
	}
}

void gatt_server_detach(struct gatt_server *s)
{
	gatt_server_attach(s, -1);
}

uint16_t gatt_server_mtu(const struct gatt_server *s)
{
	return s->mtu;
}

bool gatt_server_indication_pending(const struct gatt_server *s)
{
	return s->indication_pending;
}

static int send_pdu(struct gatt_server *s, const uint8_t *pdu, size_t len)
{
	if (s->fd < 0)
		return -ENOTCONN;
	if (send(s->fd, pdu, len, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)len)
		return 0;
	return errno ? -errno : -EIO;
}

/* A response must not be lost to a momentarily full queue, or the client
 * times out and has to drop the link. */
static int send_response(struct gatt_server *s, const uint8_t *pdu, size_t len)
{
	int rc = send_pdu(s, pdu, len);
	if (rc == -EAGAIN) {
		struct pollfd p = { .fd = s->fd, .events = POLLOUT };
		if (poll(&p, 1, RESPONSE_SEND_TIMEOUT_MS) == 1)
			rc = send_pdu(s, pdu, len);
	}
	return rc;
}

static int send_error(struct gatt_server *s, uint8_t request, uint16_t handle, uint8_t code)
{
	uint8_t pdu[5] = { ATT_OP_ERROR_RSP, request };
	bytes_put_le16(pdu + 2, handle);
	pdu[4] = code;
	return send_response(s, pdu, sizeof(pdu));
}

/* ---- requests ---- */

/* A request's parameters, after its opcode. */
struct request {
	uint8_t opcode;
	const uint8_t *params;
	size_t len;
};

static bool readable(const struct attribute *a)
{
	return a->kind != ATTR_VALUE || (a->properties & GATT_PROP_READ);
}

/* Parses "start end" and checks it (Core Vol 3 Part F 3.4.3.1 and others).
 * False if unusable: the error response has been sent and *rc is what
 * sending it returned. */
static bool parse_range(struct gatt_server *s, const struct request *r, struct cursor *c,
			uint16_t *start, uint16_t *end, int *rc)
{
	if (!cursor_le16(c, start) || !cursor_le16(c, end)) {
		*rc = send_error(s, r->opcode, 0, ATT_ERR_INVALID_PDU);
		return false;
	}
	if (*start == 0 || *start > *end) {
		*rc = send_error(s, r->opcode, *start, ATT_ERR_INVALID_HANDLE);
		return false;
	}
	return true;
}

static bool parse_uuid(struct cursor *c, struct gatt_uuid *uuid)
{
	size_t n = cursor_remaining(c);
	const uint8_t *bytes;
	if ((n != 2 && n != 16) || !cursor_bytes(c, n, &bytes))
		return false;
	uuid->len = (uint8_t)n;
	memcpy(uuid->bytes, bytes, n);
	return true;
}

static int handle_mtu(struct gatt_server *s, const struct request *r)
{
	struct cursor c = cursor_init(r->params, r->len);
	uint16_t client_mtu;
	if (!cursor_le16(&c, &client_mtu) || cursor_remaining(&c))
		return send_error(s, r->opcode, 0, ATT_ERR_INVALID_PDU);
	if (client_mtu < GATT_SERVER_MTU_MIN)
		client_mtu = GATT_SERVER_MTU_MIN;
	uint8_t pdu[3] = { ATT_OP_MTU_RSP };
	bytes_put_le16(pdu + 1, s->max_mtu);
	int rc = send_response(s, pdu, sizeof(pdu));
	s->mtu = client_mtu < s->max_mtu ? client_mtu : s->max_mtu;
	return rc;
}

static int handle_find_info(struct gatt_server *s, const struct request *r)
{
	struct cursor c = cursor_init(r->params, r->len);
	uint16_t start, end;
	int rc;
	if (!parse_range(s, r, &c, &start, &end, &rc))
		return rc;
	if (cursor_remaining(&c))
		return send_error(s, r->opcode, 0, ATT_ERR_INVALID_PDU);

	uint8_t pdu[GATT_SERVER_MTU_MAX] = { ATT_OP_FIND_INFO_RSP };
	size_t len = 2;
	uint8_t uuid_len = 0;
	for (uint32_t h = start; h <= end && h <= s->n_attrs; h++) {
		const struct attribute *a = attr_at(s, (uint16_t)h);
		if (uuid_len && a->type.len != uuid_len)
			break;
		if (len + 2 + a->type.len > s->mtu)
			break;
		uuid_len = a->type.len;
		bytes_put_le16(pdu + len, (uint16_t)h);
		memcpy(pdu + len + 2, a->type.bytes, a->type.len);
		len += 2u + a->type.len;
	}
	if (!uuid_len)
		return send_error(s, r->opcode, start, ATT_ERR_ATTRIBUTE_NOT_FOUND);
	pdu[1] = uuid_len == 2 ? 0x01 : 0x02;
	return send_response(s, pdu, len);
}

static int handle_find_by_type(struct gatt_server *s, const struct request *r)
{
	struct cursor c = cursor_init(r->params, r->len);
	uint16_t start, end, type16;
	int rc;
	if (!parse_range(s, r, &c, &start, &end, &rc))
		return rc;
	if (!cursor_le16(&c, &type16))
		return send_error(s, r->opcode, 0, ATT_ERR_INVALID_PDU);
	size_t value_len = cursor_remaining(&c);
	const uint8_t *value = r->params + c.pos;

	struct gatt_uuid type = gatt_uuid_from16(type16);
	uint8_t pdu[GATT_SERVER_MTU_MAX] = { ATT_OP_FIND_BY_TYPE_RSP };
	size_t len = 1;
	for (uint32_t h = start; h <= end && h <= s->n_attrs; h++) {
		const struct attribute *a = attr_at(s, (uint16_t)h);
		if (!gatt_uuid_equal(&a->type, &type) || a->len != value_len ||
		    memcmp(a->value, value, value_len) != 0)
			continue;
		if (len + 4 > s->mtu)
			break;
		uint16_t group = a->kind == ATTR_SERVICE ? group_end(s, (uint16_t)h) : (uint16_t)h;
		bytes_put_le16(pdu + len, (uint16_t)h);
		bytes_put_le16(pdu + len + 2, group);
		len += 4;
	}
	if (len == 1)
		return send_error(s, r->opcode, start, ATT_ERR_ATTRIBUTE_NOT_FOUND);
	return send_response(s, pdu, len);
}

/*
 * Read By Type and Read By Group Type answer alike: a list of attributes of
 * the type, all with values as long as the first one's (cut to fit), as many
 * as the MTU holds. grouped adds each service's end handle.
 */
static int read_by_type_list(struct gatt_server *s, const struct request *r, bool grouped)
{
	struct cursor c = cursor_init(r->params, r->len);
	uint16_t start, end;
	struct gatt_uuid type;
	int rc;
	if (!parse_range(s, r, &c, &start, &end, &rc))
		return rc;
	if (!parse_uuid(&c, &type))
		return send_error(s, r->opcode, 0, ATT_ERR_INVALID_PDU);
	if (grouped && gatt_uuid_to16(&type) != GATT_UUID_PRIMARY_SERVICE) {
		uint8_t code = gatt_uuid_to16(&type) == GATT_UUID_SECONDARY_SERVICE
				       ? ATT_ERR_ATTRIBUTE_NOT_FOUND
				       : ATT_ERR_UNSUPPORTED_GROUP_TYPE;
		return send_error(s, r->opcode, start, code);
	}

	uint8_t pdu[GATT_SERVER_MTU_MAX] = { grouped ? ATT_OP_READ_BY_GROUP_RSP
						     : ATT_OP_READ_BY_TYPE_RSP };
	size_t len = 2, head = grouped ? 4 : 2, value_len = 0;
	for (uint32_t h = start; h <= end && h <= s->n_attrs; h++) {
		const struct attribute *a = attr_at(s, (uint16_t)h);
		if (!gatt_uuid_equal(&a->type, &type))
			continue;
		if (!readable(a)) {
			if (len == 2)
				return send_error(s, r->opcode, (uint16_t)h,
						  ATT_ERR_READ_NOT_PERMITTED);
			break;
		}
		if (len == 2) {
			/* The length byte caps an entry at 255 bytes. */
			size_t room = s->mtu - 2u - head;
			value_len = a->len < room ? a->len : room;
			if (value_len > 255 - head)
				value_len = 255 - head;
		} else if (a->len != value_len || len + head + value_len > s->mtu) {
			break;
		}
		bytes_put_le16(pdu + len, (uint16_t)h);
		if (grouped)
			bytes_put_le16(pdu + len + 2, group_end(s, (uint16_t)h));
		memcpy(pdu + len + head, a->value, value_len);
		len += head + value_len;
	}
	if (len == 2)
		return send_error(s, r->opcode, start, ATT_ERR_ATTRIBUTE_NOT_FOUND);
	pdu[1] = (uint8_t)(head + value_len);
	return send_response(s, pdu, len);
}

static int handle_read(struct gatt_server *s, const struct request *r, bool blob)
{
	struct cursor c = cursor_init(r->params, r->len);
	uint16_t handle, offset = 0;
	if (!cursor_le16(&c, &handle) || (blob && !cursor_le16(&c, &offset)) ||
	    cursor_remaining(&c))
		return send_error(s, r->opcode, 0, ATT_ERR_INVALID_PDU);
	const struct attribute *a = attr_at(s, handle);
	if (!a)
		return send_error(s, r->opcode, handle, ATT_ERR_INVALID_HANDLE);
	if (!readable(a))
		return send_error(s, r->opcode, handle, ATT_ERR_READ_NOT_PERMITTED);
	if (offset > a->len)
		return send_error(s, r->opcode, handle, ATT_ERR_INVALID_OFFSET);

	uint8_t pdu[GATT_SERVER_MTU_MAX] = { blob ? ATT_OP_READ_BLOB_RSP : ATT_OP_READ_RSP };
	size_t n = a->len - offset;
	if (n > s->mtu - 1u)
		n = s->mtu - 1u;
	memcpy(pdu + 1, a->value + offset, n);
	return send_response(s, pdu, 1 + n);
}

static uint8_t write_cccd(struct gatt_server *s, struct attribute *cccd, const uint8_t *value,
			  size_t len)
{
	if (len != 2)
		return ATT_ERR_INVALID_VALUE_LENGTH;
	uint16_t bits = bytes_le16(value);
	uint16_t allowed = (cccd->properties & GATT_PROP_NOTIFY ? GATT_CCCD_NOTIFY : 0) |
			   (cccd->properties & GATT_PROP_INDICATE ? GATT_CCCD_INDICATE : 0);
	if (bits & ~allowed)
		return ATT_ERR_VALUE_NOT_ALLOWED;
	memcpy(cccd->value, value, 2);
	if (s->subscribe_cb)
		s->subscribe_cb(cccd->value_handle, bits, s->subscribe_user);
	return 0;
}

/* 0 if the write was done, else the ATT error code. */
static uint8_t apply_write(struct gatt_server *s, uint16_t handle, const uint8_t *value, size_t len,
			   bool command)
{
	struct attribute *a = attr_at(s, handle);
	if (!a)
		return ATT_ERR_INVALID_HANDLE;
	if (a->kind == ATTR_CCCD)
		return write_cccd(s, a, value, len);
	uint8_t needed = command ? GATT_PROP_WRITE_WITHOUT_RESPONSE : GATT_PROP_WRITE;
	if (a->kind != ATTR_VALUE || !(a->properties & needed))
		return ATT_ERR_WRITE_NOT_PERMITTED;
	if (len > GATT_SERVER_VALUE_MAX)
		return ATT_ERR_INVALID_VALUE_LENGTH;
	if (a->write_cb) {
		uint8_t code = a->write_cb(handle, value, len, a->write_user);
		if (code)
			return code;
	}
	gatt_server_set_value(s, handle, value, len);
	return 0;
}

static int handle_write(struct gatt_server *s, const struct request *r)
{
	bool command = r->opcode == ATT_OP_WRITE_CMD;
	struct cursor c = cursor_init(r->params, r->len);
	uint16_t handle;
	if (!cursor_le16(&c, &handle))
		return command ? 0 : send_error(s, r->opcode, 0, ATT_ERR_INVALID_PDU);
	uint8_t code = apply_write(s, handle, r->params + c.pos, cursor_remaining(&c), command);
	if (command)
		return 0; /* a command is never answered, not even with an error */
	if (code)
		return send_error(s, r->opcode, handle, code);
	const uint8_t rsp = ATT_OP_WRITE_RSP;
	return send_response(s, &rsp, 1);
}

/* Responses, notifications and indications need no answer from a server;
 * nor do commands (bit 6 of the opcode). Anything else is a request. */
static bool needs_no_answer(uint8_t opcode)
{
	if (opcode & 0x40)
		return true;
	switch (opcode) {
	case ATT_OP_ERROR_RSP:
	case ATT_OP_MTU_RSP:
	case ATT_OP_FIND_INFO_RSP:
	case ATT_OP_FIND_BY_TYPE_RSP:
	case ATT_OP_READ_BY_TYPE_RSP:
	case ATT_OP_READ_RSP:
	case ATT_OP_READ_BLOB_RSP:
	case ATT_OP_READ_MULT_RSP:
	case ATT_OP_READ_BY_GROUP_RSP:
	case ATT_OP_WRITE_RSP:
	case ATT_OP_PREP_WRITE_RSP:
	case ATT_OP_EXEC_WRITE_RSP:
	case ATT_OP_NOTIFY:
	case ATT_OP_INDICATE:
		return true;
	default:
		return false;
	}
}

static int handle_pdu(struct gatt_server *s, const uint8_t *pdu, size_t len)
{
	if (len == 0)
		return send_error(s, 0, 0, ATT_ERR_INVALID_PDU);
	struct request r = { .opcode = pdu[0], .params = pdu + 1, .len = len - 1 };
	switch (r.opcode) {
	case ATT_OP_MTU_REQ:
		return handle_mtu(s, &r);
	case ATT_OP_FIND_INFO_REQ:
		return handle_find_info(s, &r);
	case ATT_OP_FIND_BY_TYPE_REQ:
		return handle_find_by_type(s, &r);
	case ATT_OP_READ_BY_TYPE_REQ:
		return read_by_type_list(s, &r, false);
	case ATT_OP_READ_BY_GROUP_REQ:
		return read_by_type_list(s, &r, true);
	case ATT_OP_READ_REQ:
		return handle_read(s, &r, false);
	case ATT_OP_READ_BLOB_REQ:
		return handle_read(s, &r, true);
	case ATT_OP_WRITE_REQ:
	case ATT_OP_WRITE_CMD:
		return handle_write(s, &r);
	case ATT_OP_CONFIRM:
		s->indication_pending = false;
		return 0;
	default:
		if (needs_no_answer(r.opcode))
			return 0;
		return send_error(s, r.opcode, 0, ATT_ERR_REQUEST_NOT_SUPPORTED);
	}
}

/* A SOCK_SEQPACKET read of 0 bytes is either an empty PDU (hostile, but
 * possible) or the end of the link; only the latter hangs the socket up. */
static bool peer_closed(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLRDHUP };
	return poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLRDHUP | POLLERR));
}

int gatt_server_process_readable(struct gatt_server *s)
{
	if (s->fd < 0)
		return -ENOTCONN;
	uint8_t buf[PDU_BUF];
	for (int i = 0; i < PDUS_PER_CALL; i++) {
		ssize_t n = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
		if (n == 0 && peer_closed(s->fd))
			return -ECONNRESET;
		int rc = handle_pdu(s, buf, (size_t)n);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- server-initiated PDUs ---- */

static int send_value(struct gatt_server *s, uint8_t opcode, uint16_t cccd_bit,
		      uint16_t value_handle, const uint8_t *value, size_t len)
{
	if (s->fd < 0)
		return -ENOTCONN;
	if (!(gatt_server_cccd(s, value_handle) & cccd_bit))
		return -EPERM;
	if (len > s->mtu - 3u)
		return -EMSGSIZE;
	uint8_t pdu[GATT_SERVER_MTU_MAX] = { opcode };
	bytes_put_le16(pdu + 1, value_handle);
	if (len)
		memcpy(pdu + 3, value, len);
	return send_pdu(s, pdu, 3 + len);
}

int gatt_server_notify(struct gatt_server *s, uint16_t value_handle, const uint8_t *value,
		       size_t len)
{
	return send_value(s, ATT_OP_NOTIFY, GATT_CCCD_NOTIFY, value_handle, value, len);
}

int gatt_server_indicate(struct gatt_server *s, uint16_t value_handle, const uint8_t *value,
			 size_t len)
{
	if (s->indication_pending)
		return -EBUSY;
	int rc = send_value(s, ATT_OP_INDICATE, GATT_CCCD_INDICATE, value_handle, value, len);
	if (rc == 0)
		s->indication_pending = true;
	return rc;
}
