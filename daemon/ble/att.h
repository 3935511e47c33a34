/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ATT bearer, client side: sends requests one at a time, matches responses,
 * confirms indications, hands notifications on, and times transactions out.
 *
 * It works on a connected file descriptor that carries one ATT PDU per
 * message: an LE L2CAP socket on the ATT fixed channel (CID 4) or, in tests,
 * one end of socketpair(AF_UNIX, SOCK_SEQPACKET). It never polls, never
 * reads a clock and never closes the descriptor: the owner's event loop
 * calls att_process_readable() when the descriptor is readable and
 * att_process_timeout() at att_next_deadline_us(), passing the time in.
 * Every now_us must come from one clock; gatt_client stamps notifications
 * with it, so the daemon passes UTC microseconds.
 *
 * Sending never blocks: a PDU the socket cannot take yet (EAGAIN, a busy
 * radio) waits in order in a short queue; while att_wants_write() is true
 * the owner polls for writability too and calls att_process_writable().
 *
 * Failure model. A transaction timeout, a read or write error, a send queue
 * that overflows (ATT_TX_QUEUE_MAX PDUs: the link has stalled), or the peer
 * closing the link makes the bearer unusable (the ATT specification forbids
 * further requests after a timeout): every pending request completes with
 * ATT_STATUS_CLOSED or ATT_STATUS_TIMEOUT, the failure callback runs once
 * with the reason, and the owner should close the descriptor. Malformed or
 * unexpected PDUs only fail the request they answer (or are dropped and
 * logged), so a glitchy sensor keeps streaming.
 *
 * What the daemon must do on the real socket (ble_link.h has the calls):
 * - Connect: socket(AF_BLUETOOTH, SOCK_SEQPACKET, BTPROTO_L2CAP), bind to
 *   the adapter's address with l2_cid 4 and BDADDR_LE_PUBLIC, then a
 *   non-blocking connect to the sensor with its own address type.
 * - Larger MTU: read the socket's receive MTU (L2CAP_OPTIONS.imtu; the
 *   kernel's L2CAP default is 672, not verified for the LE ATT channel, so
 *   read it, never assume it) and give att_new() no more than that, so
 *   the peer is never invited to send PDUs the kernel would refuse. The
 *   ATT MTU itself is then negotiated here with Exchange MTU; the LE Data
 *   Length Extension that makes big PDUs efficient is the controller's.
 * - Short connection interval (<= 15 ms, which shoe IMUs need to stream
 *   without buffering): once connected, take the HCI handle from
 *   L2CAP_CONNINFO and send HCI LE Connection Update with libbluetooth's
 *   hci_le_conn_update() on the adapter (needs CAP_NET_RAW): interval in
 *   1.25 ms units, latency 0, supervision timeout above
 *   (1 + latency) * interval * 2. The sensor may refuse or later ask for
 *   its own parameters, which the kernel answers.
 * - Security: if a sensor answers Insufficient Authentication or
 *   Encryption, raise BT_SECURITY to BT_SECURITY_MEDIUM on the socket and
 *   retry the request; this module only reports the error.
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The minimum (and default) ATT MTU on LE, and the largest we ask for. */
#define ATT_MTU_MIN 23
#define ATT_MTU_MAX 517
#define ATT_MTU_DEFAULT_REQUEST 247
/* Core Specification Vol 3 Part F 3.3.3: a transaction not completed within
 * 30 seconds has failed and the bearer must not be used again. */
#define ATT_TIMEOUT_DEFAULT_US (30 * 1000000LL)
#define ATT_PDUS_PER_CALL 32
/* PDUs waiting for a full socket: a request, confirmations and answers to
 * the peer's own requests are a handful; more means the link is stuck. */
#define ATT_TX_QUEUE_MAX 32

enum att_opcode {
	ATT_OP_ERROR_RSP = 0x01,
	ATT_OP_MTU_REQ = 0x02,
	ATT_OP_MTU_RSP = 0x03,
	ATT_OP_FIND_INFO_REQ = 0x04,
	ATT_OP_FIND_INFO_RSP = 0x05,
	ATT_OP_FIND_BY_TYPE_REQ = 0x06,
	ATT_OP_FIND_BY_TYPE_RSP = 0x07,
	ATT_OP_READ_BY_TYPE_REQ = 0x08,
	ATT_OP_READ_BY_TYPE_RSP = 0x09,
	ATT_OP_READ_REQ = 0x0A,
	ATT_OP_READ_RSP = 0x0B,
	ATT_OP_READ_BLOB_REQ = 0x0C,
	ATT_OP_READ_BLOB_RSP = 0x0D,
	ATT_OP_READ_MULT_REQ = 0x0E,
	ATT_OP_READ_MULT_RSP = 0x0F,
	ATT_OP_READ_BY_GROUP_REQ = 0x10,
	ATT_OP_READ_BY_GROUP_RSP = 0x11,
	ATT_OP_WRITE_REQ = 0x12,
	ATT_OP_WRITE_RSP = 0x13,
	ATT_OP_PREP_WRITE_REQ = 0x16,
	ATT_OP_PREP_WRITE_RSP = 0x17,
	ATT_OP_EXEC_WRITE_REQ = 0x18,
	ATT_OP_EXEC_WRITE_RSP = 0x19,
	ATT_OP_NOTIFY = 0x1B,
	ATT_OP_INDICATE = 0x1D,
	ATT_OP_CONFIRM = 0x1E,
	ATT_OP_WRITE_CMD = 0x52,
};

enum att_error {
	ATT_ERR_INVALID_HANDLE = 0x01,
	ATT_ERR_READ_NOT_PERMITTED = 0x02,
	ATT_ERR_WRITE_NOT_PERMITTED = 0x03,
	ATT_ERR_INVALID_PDU = 0x04,
	ATT_ERR_INSUFFICIENT_AUTHENTICATION = 0x05,
	ATT_ERR_REQUEST_NOT_SUPPORTED = 0x06,
	ATT_ERR_INVALID_OFFSET = 0x07,
	ATT_ERR_INSUFFICIENT_AUTHORIZATION = 0x08,
	ATT_ERR_PREPARE_QUEUE_FULL = 0x09,
	ATT_ERR_ATTRIBUTE_NOT_FOUND = 0x0A,
	ATT_ERR_ATTRIBUTE_NOT_LONG = 0x0B,
	ATT_ERR_INSUFFICIENT_KEY_SIZE = 0x0C,
	ATT_ERR_INVALID_VALUE_LENGTH = 0x0D,
	ATT_ERR_UNLIKELY = 0x0E,
	ATT_ERR_INSUFFICIENT_ENCRYPTION = 0x0F,
	ATT_ERR_UNSUPPORTED_GROUP_TYPE = 0x10,
	ATT_ERR_INSUFFICIENT_RESOURCES = 0x11,
	ATT_ERR_DB_OUT_OF_SYNC = 0x12,
	ATT_ERR_VALUE_NOT_ALLOWED = 0x13,
};

enum att_status {
	ATT_STATUS_OK,        /* the matching response arrived */
	ATT_STATUS_ERROR_RSP, /* the peer sent Error Response: error_code says why */
	ATT_STATUS_BAD_RSP,   /* the answer was malformed or of the wrong kind */
	ATT_STATUS_TIMEOUT,   /* no answer in time; the bearer is now failed */
	ATT_STATUS_CLOSED,    /* the bearer failed or closed before an answer */
};

struct att_response {
	enum att_status status;
	uint8_t request_opcode;
	uint8_t opcode;        /* of the response, 0 if none arrived */
	const uint8_t *params; /* the response after its opcode byte */
	size_t len;
	uint8_t error_code;    /* ATT_STATUS_ERROR_RSP only */
	uint16_t error_handle; /* ATT_STATUS_ERROR_RSP only */
	const char *why;       /* every status but OK: for messages */
	int64_t now_us;        /* pass on to requests sent from the callback */
};

struct att;

typedef void (*att_destroy_func)(void *user_data);
typedef void (*att_response_func)(const struct att_response *rsp, void *user_data);
/* A Handle Value Notification or Indication; indications are confirmed
 * after the callback returns. */
typedef void (*att_notify_func)(uint16_t handle, const uint8_t *value, size_t len, bool indication,
				int64_t now_us, void *user_data);
/* The bearer is unusable; why names the cause. Runs at most once. */
typedef void (*att_failure_func)(const char *why, void *user_data);
/* level is a syslog priority (enum log_level in log.h). */
typedef void (*att_log_func)(int level, const char *message, void *user_data);

/* fd must be connected and stays the caller's to close. mtu is the MTU to
 * ask for in Exchange MTU, clamped to ATT_MTU_MIN..ATT_MTU_MAX. */
struct att *att_new(int fd, uint16_t mtu);
/* Pending requests are dropped without their callbacks (destroy still runs).
 * Safe to call from inside any callback of this bearer. */
void att_free(struct att *att);

void att_set_timeout_us(struct att *att, int64_t timeout_us);
/* The MTU in use: ATT_MTU_MIN until an exchange settles on a larger one. */
uint16_t att_get_mtu(const struct att *att);
uint16_t att_get_requested_mtu(const struct att *att);
bool att_has_failed(const struct att *att);

/* One handler per slot; setting a slot again destroys the previous one. */
void att_set_notify_handler(struct att *att, att_notify_func cb, void *user_data,
			    att_destroy_func destroy);
void att_set_failure_handler(struct att *att, att_failure_func cb, void *user_data,
			     att_destroy_func destroy);
/* Without a log handler messages are dropped. */
void att_set_log_handler(struct att *att, att_log_func cb, void *user_data,
			 att_destroy_func destroy);
void att_log(struct att *att, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Queues a request PDU (opcode byte first) and sends it when no other
 * request is outstanding. Returns a request id > 0, or -EINVAL (not a
 * request this client sends, or too long for the MTU), -ENOTCONN (the
 * bearer failed). cb runs exactly once unless the request is cancelled. */
int att_send_request(struct att *att, const uint8_t *pdu, size_t len, att_response_func cb,
		     void *user_data, att_destroy_func destroy, int64_t now_us);
/* Write Command: no response. 0 or a negative errno. */
int att_send_write_cmd(struct att *att, uint16_t handle, const uint8_t *value, size_t len);
/* The callback will not run; destroy runs now. An outstanding request keeps
 * its place until its answer arrives, so that answer is not unexpected. */
bool att_cancel(struct att *att, int id);

/* Reads and handles the PDUs waiting on the descriptor, at most
 * ATT_PDUS_PER_CALL of them so that a flooding peer cannot starve the rest
 * of the event loop: poll the descriptor level-triggered. */
void att_process_readable(struct att *att, int64_t now_us);
void att_process_timeout(struct att *att, int64_t now_us);
/* True while PDUs wait for the socket to become writable. */
bool att_wants_write(const struct att *att);
void att_process_writable(struct att *att);
/* INT64_MAX when no request is outstanding. */
int64_t att_next_deadline_us(const struct att *att);

/* "Attribute Not Found"; application and profile errors are named as such. */
const char *att_error_name(uint8_t code);
/* "Read By Group Type Request", or "unknown opcode". */
const char *att_opcode_name(uint8_t opcode);
