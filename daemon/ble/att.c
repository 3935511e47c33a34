// SPDX-License-Identifier: GPL-2.0-or-later
#include "ble/att.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "util/cursor.h"
#include "log.h"
#include "ble/reentry.h"
#include "util/xalloc.h"

struct att_req {
	struct att_req *next;
	int id;
	att_response_func cb;
	void *user_data;
	att_destroy_func destroy;
	size_t len;
	uint8_t pdu[];
};

/* A PDU the socket could not take yet (EAGAIN), sent when it is writable. */
struct att_tx {
	struct att_tx *next;
	size_t len;
	uint8_t pdu[];
};

struct att_slot {
	void *cb;
	void *user_data;
	att_destroy_func destroy;
};

struct att {
	int fd;
	uint16_t mtu;
	uint16_t requested_mtu;
	int64_t timeout_us;
	struct att_req *inflight;
	int64_t deadline_us;
	struct att_req *queue_head;
	struct att_req *queue_tail;
	struct att_tx *tx_head;
	struct att_tx *tx_tail;
	size_t tx_count;
	int next_id;
	bool failed;
	/* Callbacks may free the bearer; the free waits until the outermost
	 * entry point is done with it. */
	struct reentry guard;
	struct att_slot notify;
	struct att_slot failure;
	struct att_slot log;
	char why[200];
	/* One byte more than any valid PDU, so an oversized one is seen. */
	uint8_t rx[ATT_MTU_MAX + 1];
};

static uint16_t clamp_mtu(uint16_t mtu)
{
	if (mtu < ATT_MTU_MIN)
		return ATT_MTU_MIN;
	if (mtu > ATT_MTU_MAX)
		return ATT_MTU_MAX;
	return mtu;
}

struct att *att_new(int fd, uint16_t mtu)
{
	struct att *att = xcalloc(1, sizeof(*att));
	att->fd = fd;
	att->mtu = ATT_MTU_MIN;
	att->requested_mtu = clamp_mtu(mtu);
	att->timeout_us = ATT_TIMEOUT_DEFAULT_US;
	att->deadline_us = INT64_MAX;
	att->next_id = 1;
	return att;
}

static void slot_clear(struct att_slot *slot)
{
	att_destroy_func destroy = slot->destroy;
	void *user_data = slot->user_data;
	*slot = (struct att_slot){ 0 };
	if (destroy)
		destroy(user_data);
}

static void slot_set(struct att_slot *slot, void *cb, void *user_data, att_destroy_func destroy)
{
	slot_clear(slot);
	*slot = (struct att_slot){ .cb = cb, .user_data = user_data, .destroy = destroy };
}

static void req_free(struct att_req *req)
{
	if (req->destroy)
		req->destroy(req->user_data);
	free(req);
}

static void tx_clear(struct att *att)
{
	struct att_tx *tx = att->tx_head;
	while (tx) {
		struct att_tx *next = tx->next;
		free(tx);
		tx = next;
	}
	att->tx_head = att->tx_tail = NULL;
	att->tx_count = 0;
}

static void destroy_now(struct att *att)
{
	tx_clear(att);
	struct att_req *req = att->queue_head;
	while (req) {
		struct att_req *next = req->next;
		req_free(req);
		req = next;
	}
	if (att->inflight)
		req_free(att->inflight);
	slot_clear(&att->notify);
	slot_clear(&att->failure);
	slot_clear(&att->log);
	free(att);
}

void att_free(struct att *att)
{
	if (!att)
		return;
	if (reentry_free(&att->guard))
		destroy_now(att);
}

static void enter(struct att *att)
{
	reentry_enter(&att->guard);
}

/* After leave() the bearer may be gone. */
static void leave(struct att *att)
{
	if (reentry_leave(&att->guard))
		destroy_now(att);
}

/* True when callbacks must stop: the owner freed the bearer or it failed. */
static bool stopped(const struct att *att)
{
	return att->guard.free_pending || att->failed;
}

void att_set_timeout_us(struct att *att, int64_t timeout_us)
{
	att->timeout_us = timeout_us > 0 ? timeout_us : ATT_TIMEOUT_DEFAULT_US;
}

uint16_t att_get_mtu(const struct att *att)
{
	return att->mtu;
}

uint16_t att_get_requested_mtu(const struct att *att)
{
	return att->requested_mtu;
}

bool att_has_failed(const struct att *att)
{
	return att->failed;
}

void att_set_notify_handler(struct att *att, att_notify_func cb, void *user_data,
			    att_destroy_func destroy)
{
	slot_set(&att->notify, (void *)cb, user_data, destroy);
}

void att_set_failure_handler(struct att *att, att_failure_func cb, void *user_data,
			     att_destroy_func destroy)
{
	slot_set(&att->failure, (void *)cb, user_data, destroy);
}

void att_set_log_handler(struct att *att, att_log_func cb, void *user_data,
			 att_destroy_func destroy)
{
	slot_set(&att->log, (void *)cb, user_data, destroy);
}

void att_log(struct att *att, int level, const char *fmt, ...)
{
	if (!att->log.cb)
		return;
	char message[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	((att_log_func)att->log.cb)(level, message, att->log.user_data);
}

/* --- names ------------------------------------------------------------ */

static const char *const error_names[] = {
	[ATT_ERR_INVALID_HANDLE] = "Invalid Handle",
	[ATT_ERR_READ_NOT_PERMITTED] = "Read Not Permitted",
	[ATT_ERR_WRITE_NOT_PERMITTED] = "Write Not Permitted",
	[ATT_ERR_INVALID_PDU] = "Invalid PDU",
	[ATT_ERR_INSUFFICIENT_AUTHENTICATION] = "Insufficient Authentication",
	[ATT_ERR_REQUEST_NOT_SUPPORTED] = "Request Not Supported",
	[ATT_ERR_INVALID_OFFSET] = "Invalid Offset",
	[ATT_ERR_INSUFFICIENT_AUTHORIZATION] = "Insufficient Authorization",
	[ATT_ERR_PREPARE_QUEUE_FULL] = "Prepare Queue Full",
	[ATT_ERR_ATTRIBUTE_NOT_FOUND] = "Attribute Not Found",
	[ATT_ERR_ATTRIBUTE_NOT_LONG] = "Attribute Not Long",
	[ATT_ERR_INSUFFICIENT_KEY_SIZE] = "Insufficient Encryption Key Size",
	[ATT_ERR_INVALID_VALUE_LENGTH] = "Invalid Attribute Value Length",
	[ATT_ERR_UNLIKELY] = "Unlikely Error",
	[ATT_ERR_INSUFFICIENT_ENCRYPTION] = "Insufficient Encryption",
	[ATT_ERR_UNSUPPORTED_GROUP_TYPE] = "Unsupported Group Type",
	[ATT_ERR_INSUFFICIENT_RESOURCES] = "Insufficient Resources",
	[ATT_ERR_DB_OUT_OF_SYNC] = "Database Out Of Sync",
	[ATT_ERR_VALUE_NOT_ALLOWED] = "Value Not Allowed",
};

const char *att_error_name(uint8_t code)
{
	if (code < sizeof(error_names) / sizeof(error_names[0]) && error_names[code])
		return error_names[code];
	/* Core Specification Supplement Part B: common profile errors. */
	switch (code) {
	case 0xFC:
		return "Write Request Rejected";
	case 0xFD:
		return "Client Characteristic Configuration Descriptor Improperly Configured";
	case 0xFE:
		return "Procedure Already in Progress";
	case 0xFF:
		return "Out of Range";
	}
	if (code >= 0x80 && code <= 0x9F)
		return "Application Error";
	if (code >= 0xE0)
		return "Common Profile Error";
	return "Reserved Error";
}

static const char *const opcode_names[] = {
	[ATT_OP_ERROR_RSP] = "Error Response",
	[ATT_OP_MTU_REQ] = "Exchange MTU Request",
	[ATT_OP_MTU_RSP] = "Exchange MTU Response",
	[ATT_OP_FIND_INFO_REQ] = "Find Information Request",
	[ATT_OP_FIND_INFO_RSP] = "Find Information Response",
	[ATT_OP_FIND_BY_TYPE_REQ] = "Find By Type Value Request",
	[ATT_OP_FIND_BY_TYPE_RSP] = "Find By Type Value Response",
	[ATT_OP_READ_BY_TYPE_REQ] = "Read By Type Request",
	[ATT_OP_READ_BY_TYPE_RSP] = "Read By Type Response",
	[ATT_OP_READ_REQ] = "Read Request",
	[ATT_OP_READ_RSP] = "Read Response",
	[ATT_OP_READ_BLOB_REQ] = "Read Blob Request",
	[ATT_OP_READ_BLOB_RSP] = "Read Blob Response",
	[ATT_OP_READ_MULT_REQ] = "Read Multiple Request",
	[ATT_OP_READ_MULT_RSP] = "Read Multiple Response",
	[ATT_OP_READ_BY_GROUP_REQ] = "Read By Group Type Request",
	[ATT_OP_READ_BY_GROUP_RSP] = "Read By Group Type Response",
	[ATT_OP_WRITE_REQ] = "Write Request",
	[ATT_OP_WRITE_RSP] = "Write Response",
	[ATT_OP_PREP_WRITE_REQ] = "Prepare Write Request",
	[ATT_OP_PREP_WRITE_RSP] = "Prepare Write Response",
	[ATT_OP_EXEC_WRITE_REQ] = "Execute Write Request",
	[ATT_OP_EXEC_WRITE_RSP] = "Execute Write Response",
	[ATT_OP_NOTIFY] = "Handle Value Notification",
	[ATT_OP_INDICATE] = "Handle Value Indication",
	[ATT_OP_CONFIRM] = "Handle Value Confirmation",
};

const char *att_opcode_name(uint8_t opcode)
{
	if (opcode == ATT_OP_WRITE_CMD)
		return "Write Command";
	if (opcode < sizeof(opcode_names) / sizeof(opcode_names[0]) && opcode_names[opcode])
		return opcode_names[opcode];
	return "unknown opcode";
}

/* The requests this client sends; each is answered by opcode + 1. */
static bool is_client_request(uint8_t opcode)
{
	switch (opcode) {
	case ATT_OP_MTU_REQ:
	case ATT_OP_FIND_INFO_REQ:
	case ATT_OP_FIND_BY_TYPE_REQ:
	case ATT_OP_READ_BY_TYPE_REQ:
	case ATT_OP_READ_REQ:
	case ATT_OP_READ_BLOB_REQ:
	case ATT_OP_READ_MULT_REQ:
	case ATT_OP_READ_BY_GROUP_REQ:
	case ATT_OP_WRITE_REQ:
	case ATT_OP_PREP_WRITE_REQ:
	case ATT_OP_EXEC_WRITE_REQ:
		return true;
	}
	return false;
}

static bool is_response(uint8_t opcode)
{
	return opcode != ATT_OP_ERROR_RSP && is_client_request((uint8_t)(opcode - 1));
}

/* Bit 6 marks a command: the peer expects no answer, so unknown ones are
 * ignored rather than refused (Core Vol 3 Part F 3.3.1). */
static bool is_command(uint8_t opcode)
{
	return opcode & 0x40;
}

/* --- sending ---------------------------------------------------------- */

static void fail_bearer(struct att *att, enum att_status status, const char *why);

static void fail_sending(struct att *att, uint8_t opcode, int err)
{
	char why[160];
	snprintf(why, sizeof(why), "sending %s on the ATT socket failed: %s",
		 att_opcode_name(opcode), strerror(err));
	fail_bearer(att, ATT_STATUS_CLOSED, why);
}

/* 1 sent, 0 the socket is full (EAGAIN), or a negative errno. */
static int send_now(struct att *att, const uint8_t *pdu, size_t len)
{
	ssize_t n;
	do
		n = send(att->fd, pdu, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)len)
		return 1;
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	return n < 0 ? -errno : -EMSGSIZE;
}

/* A full send buffer is normal on a radio link (the controller has a few
 * buffers and a connection event every few ms): PDUs wait in order until
 * the socket is writable. Only a queue that keeps growing means the link
 * has stalled for good. */
static int transmit(struct att *att, const uint8_t *pdu, size_t len)
{
	if (att->failed)
		return -ENOTCONN;
	int sent = att->tx_head ? 0 : send_now(att, pdu, len);
	if (sent > 0)
		return 0;
	if (sent < 0) {
		fail_sending(att, pdu[0], -sent);
		return sent;
	}
	if (att->tx_count >= ATT_TX_QUEUE_MAX) {
		char why[160];
		snprintf(why, sizeof(why), "the ATT link stalled: %zu PDUs could not be sent",
			 att->tx_count);
		fail_bearer(att, ATT_STATUS_CLOSED, why);
		return -ENOBUFS;
	}
	struct att_tx *tx = xcalloc(1, sizeof(*tx) + len);
	tx->len = len;
	memcpy(tx->pdu, pdu, len);
	if (att->tx_tail)
		att->tx_tail->next = tx;
	else
		att->tx_head = tx;
	att->tx_tail = tx;
	att->tx_count++;
	return 0;
}

bool att_wants_write(const struct att *att)
{
	return att->tx_head && !att->failed;
}

void att_process_writable(struct att *att)
{
	enter(att);
	while (att->tx_head && !stopped(att)) {
		struct att_tx *tx = att->tx_head;
		int sent = send_now(att, tx->pdu, tx->len);
		if (sent == 0)
			break;
		if (sent < 0) {
			fail_sending(att, tx->pdu[0], -sent);
			break;
		}
		att->tx_head = tx->next;
		if (!att->tx_head)
			att->tx_tail = NULL;
		att->tx_count--;
		free(tx);
	}
	leave(att);
}

/* Sends the next queued request if none is outstanding. */
static void send_next(struct att *att, int64_t now_us)
{
	if (att->inflight || !att->queue_head || stopped(att))
		return;
	struct att_req *req = att->queue_head;
	att->queue_head = req->next;
	if (!att->queue_head)
		att->queue_tail = NULL;
	req->next = NULL;
	att->inflight = req;
	att->deadline_us = now_us + att->timeout_us;
	transmit(att, req->pdu, req->len);
}

int att_send_request(struct att *att, const uint8_t *pdu, size_t len, att_response_func cb,
		     void *user_data, att_destroy_func destroy, int64_t now_us)
{
	if (att->failed || att->guard.free_pending)
		return -ENOTCONN;
	if (len < 1 || len > att->mtu || !is_client_request(pdu[0]))
		return -EINVAL;
	struct att_req *req = xcalloc(1, sizeof(*req) + len);
	req->id = att->next_id;
	att->next_id = att->next_id == INT32_MAX ? 1 : att->next_id + 1;
	req->len = len;
	memcpy(req->pdu, pdu, len);
	if (att->inflight) {
		if (att->queue_tail)
			att->queue_tail->next = req;
		else
			att->queue_head = req;
		att->queue_tail = req;
	} else {
		/* Sent before it becomes pending, so that a failed send leaves
		 * the caller to clean up and runs no callback of its own. */
		enter(att);
		int err = transmit(att, req->pdu, len);
		leave(att);
		if (err < 0) {
			free(req);
			return err;
		}
		att->inflight = req;
		att->deadline_us = now_us + att->timeout_us;
	}
	req->cb = cb;
	req->user_data = user_data;
	req->destroy = destroy;
	return req->id;
}

int att_send_write_cmd(struct att *att, uint16_t handle, const uint8_t *value, size_t len)
{
	if (att->failed || att->guard.free_pending)
		return -ENOTCONN;
	if (len + 3 > att->mtu)
		return -EINVAL;
	uint8_t pdu[ATT_MTU_MAX];
	pdu[0] = ATT_OP_WRITE_CMD;
	pdu[1] = (uint8_t)handle;
	pdu[2] = (uint8_t)(handle >> 8);
	if (len)
		memcpy(pdu + 3, value, len);
	enter(att);
	int ret = transmit(att, pdu, len + 3);
	leave(att);
	return ret;
}

bool att_cancel(struct att *att, int id)
{
	if (att->inflight && att->inflight->id == id) {
		struct att_req *req = att->inflight;
		att_destroy_func destroy = req->destroy;
		void *user_data = req->user_data;
		req->cb = NULL;
		req->destroy = NULL;
		req->user_data = NULL;
		if (destroy)
			destroy(user_data);
		return true;
	}
	for (struct att_req **link = &att->queue_head; *link; link = &(*link)->next) {
		struct att_req *req = *link;
		if (req->id != id)
			continue;
		*link = req->next;
		if (att->queue_tail == req) {
			att->queue_tail = NULL;
			for (struct att_req *r = att->queue_head; r; r = r->next)
				att->queue_tail = r;
		}
		req_free(req);
		return true;
	}
	return false;
}

/* --- completing requests ---------------------------------------------- */

/* Settles the MTU from an Exchange MTU Response; false if it is malformed. */
static bool apply_mtu_rsp(struct att *att, struct att_response *rsp)
{
	struct cursor c = cursor_init(rsp->params, rsp->len);
	uint16_t server_mtu;
	if (!cursor_le16(&c, &server_mtu) || cursor_remaining(&c) != 0) {
		snprintf(att->why, sizeof(att->why),
			 "peer sent a %zu-byte Exchange MTU Response; it must be 3 bytes",
			 rsp->len + 1);
		return false;
	}
	if (server_mtu < ATT_MTU_MIN)
		att_log(att, LOG_LEVEL_WARNING,
			"peer offered ATT MTU %u, below the minimum of %u; using %u", server_mtu,
			ATT_MTU_MIN, ATT_MTU_MIN);
	uint16_t mtu = server_mtu < att->requested_mtu ? server_mtu : att->requested_mtu;
	att->mtu = clamp_mtu(mtu);
	return true;
}

/* Ends the outstanding request; rsp->why may point at att->why. */
static void complete(struct att *att, struct att_response *rsp, int64_t now_us)
{
	struct att_req *req = att->inflight;
	att->inflight = NULL;
	att->deadline_us = INT64_MAX;
	rsp->request_opcode = req->pdu[0];
	rsp->now_us = now_us;
	if (rsp->status == ATT_STATUS_OK && req->pdu[0] == ATT_OP_MTU_REQ &&
	    !apply_mtu_rsp(att, rsp)) {
		rsp->status = ATT_STATUS_BAD_RSP;
		rsp->why = att->why;
	}
	if (rsp->status != ATT_STATUS_OK)
		att_log(att, LOG_LEVEL_DEBUG, "%s", rsp->why);
	if (req->cb && !att->guard.free_pending)
		req->cb(rsp, req->user_data);
	req_free(req);
	send_next(att, now_us);
}

static void complete_bad(struct att *att, uint8_t opcode, int64_t now_us)
{
	struct att_response rsp = {
		.status = ATT_STATUS_BAD_RSP,
		.opcode = opcode,
		.why = att->why,
	};
	complete(att, &rsp, now_us);
}

/* Takes the outstanding request, else the first queued one. */
static struct att_req *take_pending(struct att *att)
{
	struct att_req *req = att->inflight;
	if (req) {
		att->inflight = NULL;
		return req;
	}
	req = att->queue_head;
	if (req) {
		att->queue_head = req->next;
		if (!att->queue_head)
			att->queue_tail = NULL;
	}
	return req;
}

static void fail_bearer(struct att *att, enum att_status status, const char *why)
{
	if (att->failed)
		return;
	att->failed = true;
	att->deadline_us = INT64_MAX;
	char reason[sizeof(att->why)];
	snprintf(reason, sizeof(reason), "%s", why);
	att_log(att, LOG_LEVEL_WARNING, "%s", reason);

	/* One at a time, so that a callback can still cancel the others. */
	enum att_status req_status = att->inflight ? status : ATT_STATUS_CLOSED;
	struct att_req *req;
	while ((req = take_pending(att))) {
		struct att_response rsp = {
			.status = req_status,
			.request_opcode = req->pdu[0],
			.why = reason,
		};
		req_status = ATT_STATUS_CLOSED;
		if (req->cb && !att->guard.free_pending)
			req->cb(&rsp, req->user_data);
		req_free(req);
	}
	if (att->failure.cb && !att->guard.free_pending)
		((att_failure_func)att->failure.cb)(reason, att->failure.user_data);
}

/* --- receiving -------------------------------------------------------- */

static void handle_response(struct att *att, const uint8_t *pdu, size_t len, int64_t now_us)
{
	struct att_req *req = att->inflight;
	if (!req) {
		att_log(att, LOG_LEVEL_WARNING, "peer sent %s (0x%02x) without a request; dropped",
			att_opcode_name(pdu[0]), pdu[0]);
		return;
	}
	if (pdu[0] != req->pdu[0] + 1) {
		snprintf(att->why, sizeof(att->why), "peer answered %s with %s (0x%02x)",
			 att_opcode_name(req->pdu[0]), att_opcode_name(pdu[0]), pdu[0]);
		complete_bad(att, pdu[0], now_us);
		return;
	}
	struct att_response rsp = {
		.status = ATT_STATUS_OK,
		.opcode = pdu[0],
		.params = pdu + 1,
		.len = len - 1,
	};
	complete(att, &rsp, now_us);
}

static void handle_error_rsp(struct att *att, const uint8_t *pdu, size_t len, int64_t now_us)
{
	struct att_req *req = att->inflight;
	if (!req) {
		att_log(att, LOG_LEVEL_WARNING,
			"peer sent Error Response without a request; dropped");
		return;
	}
	struct cursor c = cursor_init(pdu + 1, len - 1);
	uint8_t req_opcode, code;
	uint16_t handle;
	if (!cursor_u8(&c, &req_opcode) || !cursor_le16(&c, &handle) || !cursor_u8(&c, &code) ||
	    cursor_remaining(&c) != 0) {
		snprintf(att->why, sizeof(att->why),
			 "peer sent a %zu-byte Error Response to %s; it must be 5 bytes", len,
			 att_opcode_name(req->pdu[0]));
		complete_bad(att, pdu[0], now_us);
		return;
	}
	if (req_opcode != req->pdu[0]) {
		snprintf(att->why, sizeof(att->why),
			 "peer sent Error Response for %s (0x%02x) while %s was outstanding",
			 att_opcode_name(req_opcode), req_opcode, att_opcode_name(req->pdu[0]));
		complete_bad(att, pdu[0], now_us);
		return;
	}
	snprintf(att->why, sizeof(att->why), "peer answered %s for handle 0x%04x with 0x%02x %s",
		 att_opcode_name(req_opcode), handle, code, att_error_name(code));
	struct att_response rsp = {
		.status = ATT_STATUS_ERROR_RSP,
		.opcode = pdu[0],
		.error_code = code,
		.error_handle = handle,
		.why = att->why,
	};
	complete(att, &rsp, now_us);
}

static void handle_value(struct att *att, const uint8_t *pdu, size_t len, int64_t now_us)
{
	bool indication = pdu[0] == ATT_OP_INDICATE;
	struct cursor c = cursor_init(pdu + 1, len - 1);
	uint16_t handle = 0;
	if (!cursor_le16(&c, &handle) || handle == 0)
		att_log(att, LOG_LEVEL_WARNING, "peer sent %s %s; dropped", att_opcode_name(pdu[0]),
			handle == 0 && len >= 3 ? "for invalid handle 0x0000"
						: "shorter than its 3-byte header");
	else if (att->notify.cb)
		((att_notify_func)att->notify.cb)(handle, c.data + c.pos, cursor_remaining(&c),
						  indication, now_us, att->notify.user_data);
	/* Confirm even a malformed indication: the peer sends no more until
	 * it is confirmed. */
	if (indication && !stopped(att)) {
		const uint8_t confirm = ATT_OP_CONFIRM;
		transmit(att, &confirm, 1);
	}
}

static void send_error_rsp(struct att *att, uint8_t req_opcode, uint16_t handle, uint8_t code)
{
	const uint8_t pdu[] = { ATT_OP_ERROR_RSP, req_opcode, (uint8_t)handle,
				(uint8_t)(handle >> 8), code };
	transmit(att, pdu, sizeof(pdu));
}

/* Peripherals (phones especially) often start the exchange themselves. */
static void handle_mtu_req(struct att *att, const uint8_t *pdu, size_t len)
{
	struct cursor c = cursor_init(pdu + 1, len - 1);
	uint16_t client_mtu;
	if (!cursor_le16(&c, &client_mtu) || cursor_remaining(&c) != 0) {
		att_log(att, LOG_LEVEL_WARNING,
			"peer sent a %zu-byte Exchange MTU Request; "
			"it must be 3 bytes",
			len);
		send_error_rsp(att, ATT_OP_MTU_REQ, 0, ATT_ERR_INVALID_PDU);
		return;
	}
	if (client_mtu < ATT_MTU_MIN)
		att_log(att, LOG_LEVEL_WARNING,
			"peer asked for ATT MTU %u, below the minimum of %u; using %u", client_mtu,
			ATT_MTU_MIN, ATT_MTU_MIN);
	const uint8_t rsp[] = { ATT_OP_MTU_RSP, (uint8_t)att->requested_mtu,
				(uint8_t)(att->requested_mtu >> 8) };
	if (transmit(att, rsp, sizeof(rsp)) < 0)
		return;
	/* The new MTU applies once our response is out. */
	uint16_t mtu = client_mtu < att->requested_mtu ? client_mtu : att->requested_mtu;
	att->mtu = clamp_mtu(mtu);
}

static void handle_peer_request(struct att *att, const uint8_t *pdu, size_t len)
{
	if (pdu[0] == ATT_OP_MTU_REQ) {
		handle_mtu_req(att, pdu, len);
		return;
	}
	/* We are a client only: refuse requests as the spec asks a server
	 * without that request to, naming the handle when there is one. */
	uint16_t handle = 0;
	struct cursor c = cursor_init(pdu + 1, len - 1);
	cursor_le16(&c, &handle);
	att_log(att, LOG_LEVEL_DEBUG, "peer sent %s (0x%02x); answered Request Not Supported",
		att_opcode_name(pdu[0]), pdu[0]);
	send_error_rsp(att, pdu[0], handle, ATT_ERR_REQUEST_NOT_SUPPORTED);
}

static void handle_too_long(struct att *att, const uint8_t *pdu, size_t len, int64_t now_us)
{
	if (len > ATT_MTU_MAX)
		snprintf(att->why, sizeof(att->why),
			 "peer sent %s (0x%02x) longer than %u bytes, "
			 "the largest ATT MTU; dropped",
			 att_opcode_name(pdu[0]), pdu[0], ATT_MTU_MAX);
	else
		snprintf(att->why, sizeof(att->why),
			 "peer sent a %zu-byte %s (0x%02x), longer "
			 "than the ATT MTU of %u; dropped",
			 len, att_opcode_name(pdu[0]), pdu[0], att->mtu);
	bool answers = pdu[0] == ATT_OP_ERROR_RSP || is_response(pdu[0]);
	if (answers && att->inflight) {
		complete_bad(att, pdu[0], now_us);
		return;
	}
	att_log(att, LOG_LEVEL_WARNING, "%s", att->why);
	/* An indication still wants its confirmation. */
	if (pdu[0] == ATT_OP_INDICATE) {
		const uint8_t confirm = ATT_OP_CONFIRM;
		transmit(att, &confirm, 1);
	}
}

static void handle_pdu(struct att *att, const uint8_t *pdu, size_t len, int64_t now_us)
{
	uint8_t opcode = pdu[0];
	if (len > att->mtu) {
		handle_too_long(att, pdu, len, now_us);
		return;
	}
	if (opcode == ATT_OP_ERROR_RSP)
		handle_error_rsp(att, pdu, len, now_us);
	else if (opcode == ATT_OP_NOTIFY || opcode == ATT_OP_INDICATE)
		handle_value(att, pdu, len, now_us);
	else if (opcode == ATT_OP_CONFIRM)
		att_log(att, LOG_LEVEL_WARNING,
			"peer sent Handle Value Confirmation but we sent "
			"no indication; ignored");
	else if (is_response(opcode))
		handle_response(att, pdu, len, now_us);
	else if (is_command(opcode))
		att_log(att, LOG_LEVEL_DEBUG, "peer sent command 0x%02x; ignored", opcode);
	else
		handle_peer_request(att, pdu, len);
}

/* Reads one PDU: its length, 0 when nothing is waiting, -1 when the
 * bearer failed. A length above ATT_MTU_MAX means it was truncated. */
static ssize_t read_pdu(struct att *att)
{
	struct iovec iov = { .iov_base = att->rx, .iov_len = sizeof(att->rx) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;
	do
		n = recvmsg(att->fd, &msg, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		return (msg.msg_flags & MSG_TRUNC) ? (ssize_t)sizeof(att->rx) : n;
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	char why[160];
	if (n == 0)
		snprintf(why, sizeof(why), "peer closed the ATT link");
	else
		snprintf(why, sizeof(why), "reading the ATT socket failed: %s", strerror(errno));
	fail_bearer(att, ATT_STATUS_CLOSED, why);
	return -1;
}

void att_process_readable(struct att *att, int64_t now_us)
{
	enter(att);
	for (int i = 0; i < ATT_PDUS_PER_CALL && !stopped(att); i++) {
		ssize_t n = read_pdu(att);
		if (n <= 0)
			break;
		handle_pdu(att, att->rx, (size_t)n, now_us);
	}
	leave(att);
}

void att_process_timeout(struct att *att, int64_t now_us)
{
	if (att->failed || !att->inflight || now_us < att->deadline_us)
		return;
	char why[160];
	snprintf(why, sizeof(why), "peer did not answer %s within %" PRId64 " ms",
		 att_opcode_name(att->inflight->pdu[0]), att->timeout_us / 1000);
	enter(att);
	fail_bearer(att, ATT_STATUS_TIMEOUT, why);
	leave(att);
}

int64_t att_next_deadline_us(const struct att *att)
{
	return att->failed ? INT64_MAX : att->deadline_us;
}
