// SPDX-License-Identifier: GPL-2.0-or-later
/* The ATT bearer against a scripted peer over a SOCK_SEQPACKET socketpair. */
#include "att_script.h"

#include <errno.h>
#include <stdlib.h>

/* What a request's callback saw. */
struct outcome {
	int calls;
	int destroyed;
	enum att_status status;
	uint8_t opcode;
	uint8_t error_code;
	uint16_t error_handle;
	uint8_t params[64];
	size_t len;
	char why[256];
};

static void record(const struct att_response *rsp, void *user_data)
{
	struct outcome *o = user_data;
	o->calls++;
	o->status = rsp->status;
	o->opcode = rsp->opcode;
	o->error_code = rsp->error_code;
	o->error_handle = rsp->error_handle;
	o->len = rsp->len < sizeof(o->params) ? rsp->len : sizeof(o->params);
	if (o->len)
		memcpy(o->params, rsp->params, o->len);
	snprintf(o->why, sizeof(o->why), "%s", rsp->why ? rsp->why : "");
}

static void count_destroy(void *user_data)
{
	((struct outcome *)user_data)->destroyed++;
}

static int send_req(struct script *s, struct outcome *o, const uint8_t *pdu, size_t len)
{
	return att_send_request(s->att, pdu, len, record, o, count_destroy, s->now_us);
}

#define SEND_REQ(s, o, ...) send_req((s), (o), SCRIPT_BYTES(__VA_ARGS__))

static void mtu_exchange_settles_on_the_smaller_mtu(void **state)
{
	(void)state;
	struct script s;
	struct outcome o = { 0 };
	script_open(&s, 247);
	assert_int_equal(att_get_mtu(s.att), 23);
	assert_true(SEND_REQ(&s, &o, 0x02, LE16(247)) > 0);
	SCRIPT_PLAY(&s, EXPECT(0x02, LE16(247)), SEND(0x03, LE16(64)));
	assert_int_equal(o.calls, 1);
	assert_int_equal(o.destroyed, 1);
	assert_int_equal(o.status, ATT_STATUS_OK);
	assert_int_equal(att_get_mtu(s.att), 64);
	script_expect_silence(&s);
	script_close(&s);
}

static void mtu_below_23_from_peer_keeps_23(void **state)
{
	(void)state;
	struct script s;
	struct outcome o = { 0 };
	script_open(&s, 247);
	SEND_REQ(&s, &o, 0x02, LE16(247));
	SCRIPT_PLAY(&s, EXPECT(0x02, LE16(247)), SEND(0x03, LE16(5)));
	assert_int_equal(o.status, ATT_STATUS_OK);
	assert_int_equal(att_get_mtu(s.att), 23);
	script_assert_logged(&s, "peer offered ATT MTU 5, below the minimum of 23");
	script_close(&s);
}

static void mtu_response_of_wrong_length_fails_the_request(void **state)
{
	(void)state;
	struct script s;
	struct outcome o = { 0 };
	script_open(&s, 247);
	SEND_REQ(&s, &o, 0x02, LE16(247));
	SCRIPT_PLAY(&s, EXPECT(0x02, LE16(247)), SEND(0x03, 0x40));
	assert_int_equal(o.status, ATT_STATUS_BAD_RSP);
	assert_non_null(strstr(o.why, "2-byte Exchange MTU Response; it must be 3 bytes"));
	assert_int_equal(att_get_mtu(s.att), 23);
	assert_false(att_has_failed(s.att));
	script_close(&s);
}

static void mtu_request_from_peer_is_answered(void **state)
{
	(void)state;
	struct script s;
	script_open(&s, 185);
	SCRIPT_PLAY(&s, SEND(0x02, LE16(517)), EXPECT(0x03, LE16(185)));
	assert_int_equal(att_get_mtu(s.att), 185);
	SCRIPT_PLAY(&s, SEND(0x02, 0x17), EXPECT(0x01, 0x02, LE16(0), 0x04));
	script_assert_logged(&s, "2-byte Exchange MTU Request");
	script_close(&s);
}

static void requests_wait_for_the_outstanding_one(void **state)
{
	(void)state;
	struct script s;
	struct outcome a = { 0 }, b = { 0 };
	script_open(&s, 23);
	int id_a = SEND_REQ(&s, &a, 0x0A, LE16(0x0003));
	int id_b = SEND_REQ(&s, &b, 0x0A, LE16(0x0005));
	assert_true(id_a > 0 && id_b > id_a);
	SCRIPT_PLAY(&s, EXPECT(0x0A, LE16(0x0003)));
	script_expect_silence(&s);
	SCRIPT_PLAY(&s, SEND(0x0B, 'h', 'i'), EXPECT(0x0A, LE16(0x0005)));
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.len, 2);
	assert_memory_equal(a.params, "hi", 2);
	assert_int_equal(b.calls, 0);
	SCRIPT_PLAY(&s, SEND(0x0B));
	assert_int_equal(b.calls, 1);
	assert_int_equal(b.len, 0);
	script_expect_silence(&s);
	script_close(&s);
}

static void every_request_opcode_is_matched_to_its_response(void **state)
{
	(void)state;
	struct script s;
	struct outcome o = { 0 };
	script_open(&s, 23);
	SEND_REQ(&s, &o, 0x04, LE16(1), LE16(0xFFFF));
	SCRIPT_PLAY(&s, EXPECT(0x04, LE16(1), LE16(0xFFFF)),
		    SEND(0x05, 0x01, LE16(1), LE16(0x2800)));
	assert_int_equal(o.opcode, 0x05);
	SEND_REQ(&s, &o, 0x06, LE16(1), LE16(0xFFFF), LE16(0x2800), LE16(0x1814));
	SCRIPT_PLAY(&s, EXPECT(0x06, LE16(1), LE16(0xFFFF), LE16(0x2800), LE16(0x1814)),
		    SEND(0x07, LE16(0x10), LE16(0x1F)));
	assert_int_equal(o.opcode, 0x07);
	SEND_REQ(&s, &o, 0x08, LE16(1), LE16(0xFFFF), LE16(0x2803));
	SCRIPT_PLAY(&s, EXPECT(0x08, LE16(1), LE16(0xFFFF), LE16(0x2803)),
		    SEND(0x09, 7, LE16(2), 0x02, LE16(3), LE16(0x2A00)));
	assert_int_equal(o.opcode, 0x09);
	SEND_REQ(&s, &o, 0x0C, LE16(3), LE16(22));
	SCRIPT_PLAY(&s, EXPECT(0x0C, LE16(3), LE16(22)), SEND(0x0D, 'x'));
	assert_int_equal(o.opcode, 0x0D);
	SEND_REQ(&s, &o, 0x10, LE16(1), LE16(0xFFFF), LE16(0x2800));
	SCRIPT_PLAY(&s, EXPECT(0x10, LE16(1), LE16(0xFFFF), LE16(0x2800)),
		    SEND(0x11, 6, LE16(1), LE16(5), LE16(0x1800)));
	assert_int_equal(o.opcode, 0x11);
	SEND_REQ(&s, &o, 0x12, LE16(0x0010), LE16(0x0001));
	SCRIPT_PLAY(&s, EXPECT(0x12, LE16(0x0010), LE16(0x0001)), SEND(0x13));
	assert_int_equal(o.opcode, 0x13);
	assert_int_equal(o.calls, 6);
	assert_int_equal(o.status, ATT_STATUS_OK);
	script_expect_silence(&s);
	script_close(&s);
}

static void error_response_names_the_error(void **state)
{
	(void)state;
	struct script s;
	struct outcome o = { 0 };
	script_open(&s, 23);
	SEND_REQ(&s, &o, 0x0A, LE16(0x0007));
	SCRIPT_PLAY(&s, EXPECT(0x0A, LE16(0x0007)), SEND(0x01, 0x0A, LE16(0x0007), 0x05));
	assert_int_equal(o.status, ATT_STATUS_ERROR_RSP);
	assert_int_equal(o.error_code, 0x05);
	assert_int_equal(o.error_handle, 0x0007);
	assert_string_equal(o.why, "peer answered Read Request for handle 0x0007 with 0x05 "
				   "Insufficient Authentication");
	assert_false(att_has_failed(s.att));
	script_close(&s);
}

static void error_names_cover_spec_application_and_profile_codes(void **state)
{
	(void)state;
	assert_string_equal(att_error_name(0x01), "Invalid Handle");
	assert_string_equal(att_error_name(0x0A), "Attribute Not Found");
	assert_string_equal(att_error_name(0x13), "Value Not Allowed");
	assert_string_equal(att_error_name(0x14), "Reserved Error");
	assert_string_equal(att_error_name(0x00), "Reserved Error");
	assert_string_equal(att_error_name(0x80), "Application Error");
	assert_string_equal(att_error_name(0xE0), "Common Profile Error");
	assert_string_equal(att_error_name(0xFD), "Client Characteristic Configuration "
						  "Descriptor Improperly Configured");
	assert_string_equal(att_opcode_name(0x10), "Read By Group Type Request");
	assert_string_equal(att_opcode_name(0x52), "Write Command");
	assert_string_equal(att_opcode_name(0xFF), "unknown opcode");
}

struct heard {
	int count;
	uint16_t handle;
	uint8_t value[32];
	size_t len;
	bool indication;
	int64_t time_us;
	struct att *free_att; /* freed from inside the callback when set */
};

static void on_value(uint16_t handle, const uint8_t *value, size_t len, bool indication,
		     int64_t now_us, void *user_data)
{
	struct heard *h = user_data;
	h->count++;
	h->handle = handle;
	h->len = len < sizeof(h->value) ? len : sizeof(h->value);
	memcpy(h->value, value, h->len);
	h->indication = indication;
	h->time_us = now_us;
	if (h->free_att) {
		att_free(h->free_att);
		h->free_att = NULL;
	}
}

static void notification_reaches_the_handler_with_receive_time(void **state)
{
	(void)state;
	struct script s;
	struct heard h = { 0 };
	script_open(&s, 23);
	att_set_notify_handler(s.att, on_value, &h, NULL);
	s.now_us = 1700000000123456LL;
	SCRIPT_PLAY(&s, SEND(0x1B, LE16(0x000E), 0x02, 0x9A, 0x01, 0x55));
	assert_int_equal(h.count, 1);
	assert_int_equal(h.handle, 0x000E);
	assert_int_equal(h.len, 4);
	assert_memory_equal(h.value, ((uint8_t[]){ 0x02, 0x9A, 0x01, 0x55 }), 4);
	assert_false(h.indication);
	assert_int_equal(h.time_us, 1700000000123456LL);
	script_expect_silence(&s);
	script_close(&s);
}

static void indication_is_confirmed(void **state)
{
	(void)state;
	struct script s;
	struct heard h = { 0 };
	script_open(&s, 23);
	att_set_notify_handler(s.att, on_value, &h, NULL);
	SCRIPT_PLAY(&s, SEND(0x1D, LE16(0x0020), 0x01), EXPECT(0x1E));
	assert_int_equal(h.count, 1);
	assert_true(h.indication);
	script_close(&s);
}

static void short_notification_is_dropped_and_logged(void **state)
{
	(void)state;
	struct script s;
	struct heard h = { 0 };
	script_open(&s, 23);
	att_set_notify_handler(s.att, on_value, &h, NULL);
	SCRIPT_PLAY(&s, SEND(0x1B, 0x0E), SEND(0x1B, LE16(0)), SEND(0x1D, 0x01), EXPECT(0x1E));
	assert_int_equal(h.count, 0);
	script_assert_logged(&s, "Handle Value Notification shorter than its 3-byte header");
	script_assert_logged(&s, "Handle Value Notification for invalid handle 0x0000");
	script_assert_logged(&s, "Handle Value Indication shorter than its 3-byte header");
	assert_false(att_has_failed(s.att));
	script_close(&s);
}

static void response_without_request_is_dropped_and_logged(void **state)
{
	(void)state;
	struct script s;
	struct outcome o = { 0 };
	script_open(&s, 23);
	SCRIPT_PLAY(&s, SEND(0x0B, 0x01), SEND(0x01, 0x0A, LE16(3), 0x0A));
	script_assert_logged(&s, "peer sent Read Response (0x0b) without a request; dropped");
	script_assert_logged(&s, "peer sent Error Response without a request; dropped");
	assert_false(att_has_failed(s.att));
	/* The bearer still works. */
	SEND_REQ(&s, &o, 0x0A, LE16(3));
	SCRIPT_PLAY(&s, EXPECT(0x0A, LE16(3)), SEND(0x0B, 0x07));
	assert_int_equal(o.status, ATT_STATUS_OK);
	script_close(&s);
}

static void response_of_the_wrong_kind_fails_the_request(void **state)
{
	(void)state;
	struct script s;
	struct outcome o = { 0 };
	script_open(&s, 23);
	SEND_REQ(&s, &o, 0x0A, LE16(3));
	SCRIPT_PLAY(&s, EXPECT(0x0A, LE16(3)), SEND(0x13));
	assert_int_equal(o.status, ATT_STATUS_BAD_RSP);
	assert_string_equal(o.why, "peer answered Read Request with Write Response (0x13)");
	assert_int_equal(att_next_deadline_us(s.att), INT64_MAX);
	script_close(&s);
}

static void error_response_for_another_request_fails_the_request(void **state)
{
	(void)state;
	struct script s;
	struct outcome o = { 0 };
	script_open(&s, 23);
	SEND_REQ(&s, &o, 0x0A, LE16(3));
	SCRIPT_PLAY(&s, EXPECT(0x0A, LE16(3)), SEND(0x01, 0x12, LE16(3), 0x03));
	assert_int_equal(o.status, ATT_STATUS_BAD_RSP);
	assert_string_equal(o.why, "peer sent Error Response for Write Request (0x12) while "
				   "Read Request was outstanding");
	script_close(&s);
}

static void short_error_response_fails_the_request(void **state)
{
	(void)state;
	struct script s;
	struct outcome o = { 0 };
	script_open(&s, 23);
	SEND_REQ(&s, &o, 0x0A, LE16(3));
	SCRIPT_PLAY(&s, EXPECT(0x0A, LE16(3)), SEND(0x01, 0x0A, LE16(3)));
	assert_int_equal(o.status, ATT_STATUS_BAD_RSP);
	assert_string_equal(o.why, "peer sent a 4-byte Error Response to Read Request; it must "
				   "be 5 bytes");
	script_close(&s);
}

struct failure {
	int count;
	char why[256];
};

static void on_failure(const char *why, void *user_data)
{
	struct failure *f = user_data;
	f->count++;
	snprintf(f->why, sizeof(f->why), "%s", why);
}

static void silent_peer_times_out_and_fails_the_bearer(void **state)
{
	(void)state;
	struct script s;
	struct outcome a = { 0 }, b = { 0 };
	struct failure f = { 0 };
	script_open(&s, 23);
	att_set_timeout_us(s.att, 2000000);
	att_set_failure_handler(s.att, on_failure, &f, NULL);
	assert_int_equal(att_next_deadline_us(s.att), INT64_MAX);
	int64_t start = s.now_us;
	SEND_REQ(&s, &a, 0x10, LE16(1), LE16(0xFFFF), LE16(0x2800));
	SEND_REQ(&s, &b, 0x0A, LE16(3));
	assert_int_equal(att_next_deadline_us(s.att), start + 2000000);
	att_process_timeout(s.att, start + 1999999);
	assert_int_equal(a.calls, 0);
	att_process_timeout(s.att, start + 2000000);
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.status, ATT_STATUS_TIMEOUT);
	assert_string_equal(a.why, "peer did not answer Read By Group Type Request within 2000 ms");
	assert_int_equal(b.calls, 1);
	assert_int_equal(b.status, ATT_STATUS_CLOSED);
	assert_int_equal(a.destroyed + b.destroyed, 2);
	assert_int_equal(f.count, 1);
	assert_string_equal(f.why, a.why);
	assert_true(att_has_failed(s.att));
	assert_int_equal(att_next_deadline_us(s.att), INT64_MAX);
	assert_int_equal(SEND_REQ(&s, &a, 0x0A, LE16(3)), -ENOTCONN);
	/* A late answer changes nothing. */
	SCRIPT_PLAY(&s, EXPECT(0x10, LE16(1), LE16(0xFFFF), LE16(0x2800)), SEND(0x0B));
	assert_int_equal(a.calls, 1);
	assert_int_equal(f.count, 1);
	script_close(&s);
}

static void peer_closing_the_link_fails_pending_requests(void **state)
{
	(void)state;
	struct script s;
	struct outcome o = { 0 };
	struct failure f = { 0 };
	script_open(&s, 23);
	att_set_failure_handler(s.att, on_failure, &f, NULL);
	SEND_REQ(&s, &o, 0x0A, LE16(3));
	SCRIPT_PLAY(&s, EXPECT(0x0A, LE16(3)));
	close(s.fds[1]);
	s.fds[1] = -1;
	att_process_readable(s.att, s.now_us);
	assert_int_equal(o.status, ATT_STATUS_CLOSED);
	assert_string_equal(f.why, "peer closed the ATT link");
	script_close(&s);
}

static void peer_requests_are_refused_as_not_supported(void **state)
{
	(void)state;
	struct script s;
	script_open(&s, 23);
	SCRIPT_PLAY(&s, SEND(0x0A, LE16(0x0003)), EXPECT(0x01, 0x0A, LE16(0x0003), 0x06),
		    SEND(0x10, LE16(1), LE16(0xFFFF), LE16(0x2800)),
		    EXPECT(0x01, 0x10, LE16(1), 0x06), SEND(0x3C),
		    EXPECT(0x01, 0x3C, LE16(0), 0x06));
	script_close(&s);
}

static void peer_commands_and_stray_confirmations_are_ignored(void **state)
{
	(void)state;
	struct script s;
	script_open(&s, 23);
	SCRIPT_PLAY(&s, SEND(0x52, LE16(3), 0x01), SEND(0xD2, LE16(3)), SEND(0x1E));
	script_expect_silence(&s);
	script_assert_logged(&s, "Handle Value Confirmation but we sent no indication");
	assert_false(att_has_failed(s.att));
	script_close(&s);
}

static void pdu_longer_than_mtu_is_dropped(void **state)
{
	(void)state;
	struct script s;
	struct heard h = { 0 };
	struct outcome o = { 0 };
	script_open(&s, 23);
	att_set_notify_handler(s.att, on_value, &h, NULL);
	uint8_t big[600] = { 0x1B, LE16(0x000E) };
	script_send(&s, big, 24);
	assert_int_equal(h.count, 0);
	script_assert_logged(&s, "peer sent a 24-byte Handle Value Notification (0x1b), longer "
				 "than the ATT MTU of 23; dropped");
	script_send(&s, big, sizeof(big));
	script_assert_logged(&s, "longer than 517 bytes, the largest ATT MTU");
	/* An oversized answer ends its request. */
	SEND_REQ(&s, &o, 0x0A, LE16(3));
	SCRIPT_PLAY(&s, EXPECT(0x0A, LE16(3)));
	big[0] = 0x0B;
	script_send(&s, big, 30);
	assert_int_equal(o.status, ATT_STATUS_BAD_RSP);
	assert_non_null(strstr(o.why, "30-byte Read Response"));
	assert_false(att_has_failed(s.att));
	script_close(&s);
}

static void requests_that_do_not_fit_are_refused(void **state)
{
	(void)state;
	struct script s;
	struct outcome o = { 0 };
	uint8_t long_write[24] = { 0x12, LE16(3) };
	script_open(&s, 23);
	assert_int_equal(send_req(&s, &o, long_write, sizeof(long_write)), -EINVAL);
	assert_int_equal(SEND_REQ(&s, &o, 0x1B, LE16(3)), -EINVAL);
	assert_int_equal(send_req(&s, &o, long_write, 0), -EINVAL);
	assert_int_equal(o.destroyed, 0);
	uint8_t value[21] = { 0 };
	assert_int_equal(att_send_write_cmd(s.att, 3, value, sizeof(value)), -EINVAL);
	script_expect_silence(&s);
	script_close(&s);
}

static void write_command_goes_out_without_waiting(void **state)
{
	(void)state;
	struct script s;
	struct outcome o = { 0 };
	script_open(&s, 23);
	SEND_REQ(&s, &o, 0x0A, LE16(3));
	assert_int_equal(att_send_write_cmd(s.att, 0x0030, (const uint8_t[]){ 0x01, 0x02 }, 2), 0);
	SCRIPT_PLAY(&s, EXPECT(0x0A, LE16(3)), EXPECT(0x52, LE16(0x0030), 0x01, 0x02));
	script_close(&s);
}

static void cancelled_requests_never_call_back(void **state)
{
	(void)state;
	struct script s;
	struct outcome a = { 0 }, b = { 0 }, c = { 0 };
	script_open(&s, 23);
	int id_a = SEND_REQ(&s, &a, 0x0A, LE16(3));
	int id_b = SEND_REQ(&s, &b, 0x0A, LE16(4));
	SEND_REQ(&s, &c, 0x0A, LE16(5));
	assert_true(att_cancel(s.att, id_b));
	assert_int_equal(b.destroyed, 1);
	assert_true(att_cancel(s.att, id_a));
	assert_int_equal(a.destroyed, 1);
	assert_false(att_cancel(s.att, id_a + 100));
	/* The cancelled outstanding request still owns the next answer. */
	SCRIPT_PLAY(&s, EXPECT(0x0A, LE16(3)), SEND(0x0B, 0x01), EXPECT(0x0A, LE16(5)),
		    SEND(0x0B, 0x02));
	assert_int_equal(a.calls + b.calls, 0);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.params[0], 0x02);
	assert_null(strstr(s.log, "without a request"));
	script_close(&s);
}

static void freeing_from_inside_a_callback_is_safe(void **state)
{
	(void)state;
	struct script s;
	struct heard h = { 0 };
	script_open(&s, 23);
	att_set_notify_handler(s.att, on_value, &h, NULL);
	h.free_att = s.att;
	/* Two PDUs are waiting; the second must not be touched after the free. */
	const uint8_t pdu[] = { 0x1D, LE16(0x000E), 0x01 };
	assert_int_equal(send(s.fds[1], pdu, sizeof(pdu), 0), (ssize_t)sizeof(pdu));
	assert_int_equal(send(s.fds[1], pdu, sizeof(pdu), 0), (ssize_t)sizeof(pdu));
	att_process_readable(s.att, s.now_us);
	assert_int_equal(h.count, 1);
	s.att = NULL;
	script_close(&s);
}

static void flooding_peer_is_handled_in_bounded_batches(void **state)
{
	(void)state;
	struct script s;
	struct heard h = { 0 };
	script_open(&s, 23);
	att_set_notify_handler(s.att, on_value, &h, NULL);
	const uint8_t pdu[] = { 0x1B, LE16(0x000E), 0x01 };
	for (int i = 0; i < ATT_PDUS_PER_CALL + 8; i++)
		assert_int_equal(send(s.fds[1], pdu, sizeof(pdu), 0), (ssize_t)sizeof(pdu));
	att_process_readable(s.att, s.now_us);
	assert_int_equal(h.count, ATT_PDUS_PER_CALL);
	att_process_readable(s.att, s.now_us);
	assert_int_equal(h.count, ATT_PDUS_PER_CALL + 8);
	script_close(&s);
}

/* Fills the socket from the client's side until the kernel says EAGAIN, as
 * a busy radio link does; returns how many filler PDUs went in. */
static int fill_socket(struct script *s)
{
	const uint8_t filler[] = { 0x52, LE16(0x0001), 0xEE };
	int n = 0;
	while (send(s->fds[0], filler, sizeof(filler), MSG_DONTWAIT) == (ssize_t)sizeof(filler))
		n++;
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
	return n;
}

static void drain_filler(struct script *s, int n)
{
	uint8_t buf[64];
	for (int i = 0; i < n; i++) {
		assert_int_equal(recv(s->fds[1], buf, sizeof(buf), MSG_DONTWAIT), 4);
		assert_int_equal(buf[3], 0xEE);
	}
}

static void full_socket_queues_pdus_in_order_until_writable(void **state)
{
	(void)state;
	struct script s;
	struct outcome o = { 0 };
	script_open(&s, 23);
	int filler = fill_socket(&s);
	assert_false(att_wants_write(s.att));
	assert_true(SEND_REQ(&s, &o, 0x0A, LE16(3)) > 0);
	assert_int_equal(att_send_write_cmd(s.att, 0x0030, (const uint8_t[]){ 0x01 }, 1), 0);
	assert_true(att_wants_write(s.att));
	assert_false(att_has_failed(s.att));
	drain_filler(&s, filler);
	att_process_writable(s.att);
	assert_false(att_wants_write(s.att));
	SCRIPT_PLAY(&s, EXPECT(0x0A, LE16(3)), EXPECT(0x52, LE16(0x0030), 0x01), SEND(0x0B, 0x07));
	assert_int_equal(o.calls, 1);
	assert_int_equal(o.status, ATT_STATUS_OK);
	script_close(&s);
}

static void indication_confirmation_waits_for_a_full_socket(void **state)
{
	(void)state;
	struct script s;
	script_open(&s, 23);
	int filler = fill_socket(&s);
	SCRIPT_PLAY(&s, SEND(0x1D, LE16(0x000E), 0x01));
	assert_true(att_wants_write(s.att));
	drain_filler(&s, filler);
	att_process_writable(s.att);
	SCRIPT_PLAY(&s, EXPECT(0x1E));
	script_close(&s);
}

static void link_that_never_drains_fails_the_bearer(void **state)
{
	(void)state;
	struct script s;
	struct failure f = { 0 };
	script_open(&s, 23);
	att_set_failure_handler(s.att, on_failure, &f, NULL);
	fill_socket(&s);
	for (int i = 0; i < ATT_TX_QUEUE_MAX; i++)
		assert_int_equal(att_send_write_cmd(s.att, 3, (const uint8_t[]){ 0x01 }, 1), 0);
	assert_int_equal(f.count, 0);
	assert_int_equal(att_send_write_cmd(s.att, 3, (const uint8_t[]){ 0x01 }, 1), -ENOBUFS);
	assert_true(att_has_failed(s.att));
	assert_int_equal(f.count, 1);
	assert_non_null(strstr(f.why, "stalled"));
	assert_false(att_wants_write(s.att));
	script_close(&s);
}

static void requested_mtu_is_clamped_to_the_valid_range(void **state)
{
	(void)state;
	struct att *att = att_new(-1, 5);
	assert_int_equal(att_get_requested_mtu(att), ATT_MTU_MIN);
	att_free(att);
	att = att_new(-1, 9000);
	assert_int_equal(att_get_requested_mtu(att), ATT_MTU_MAX);
	att_free(att);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mtu_exchange_settles_on_the_smaller_mtu),
		cmocka_unit_test(mtu_below_23_from_peer_keeps_23),
		cmocka_unit_test(mtu_response_of_wrong_length_fails_the_request),
		cmocka_unit_test(mtu_request_from_peer_is_answered),
		cmocka_unit_test(requests_wait_for_the_outstanding_one),
		cmocka_unit_test(every_request_opcode_is_matched_to_its_response),
		cmocka_unit_test(error_response_names_the_error),
		cmocka_unit_test(error_names_cover_spec_application_and_profile_codes),
		cmocka_unit_test(notification_reaches_the_handler_with_receive_time),
		cmocka_unit_test(indication_is_confirmed),
		cmocka_unit_test(short_notification_is_dropped_and_logged),
		cmocka_unit_test(response_without_request_is_dropped_and_logged),
		cmocka_unit_test(response_of_the_wrong_kind_fails_the_request),
		cmocka_unit_test(error_response_for_another_request_fails_the_request),
		cmocka_unit_test(short_error_response_fails_the_request),
		cmocka_unit_test(silent_peer_times_out_and_fails_the_bearer),
		cmocka_unit_test(peer_closing_the_link_fails_pending_requests),
		cmocka_unit_test(peer_requests_are_refused_as_not_supported),
		cmocka_unit_test(peer_commands_and_stray_confirmations_are_ignored),
		cmocka_unit_test(pdu_longer_than_mtu_is_dropped),
		cmocka_unit_test(requests_that_do_not_fit_are_refused),
		cmocka_unit_test(write_command_goes_out_without_waiting),
		cmocka_unit_test(cancelled_requests_never_call_back),
		cmocka_unit_test(freeing_from_inside_a_callback_is_safe),
		cmocka_unit_test(flooding_peer_is_handled_in_bounded_batches),
		cmocka_unit_test(full_socket_queues_pdus_in_order_until_writable),
		cmocka_unit_test(indication_confirmation_waits_for_a_full_socket),
		cmocka_unit_test(link_that_never_drains_fails_the_bearer),
		cmocka_unit_test(requested_mtu_is_clamped_to_the_valid_range),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
