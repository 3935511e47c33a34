/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Scripted ATT exchanges for the att and gatt_client tests: the code under
 * test owns one end of socketpair(AF_UNIX, SOCK_SEQPACKET), which keeps PDU
 * boundaries as L2CAP does, and the script plays the sensor on the other
 * end: each step either expects the exact bytes the client must send next
 * or sends canned bytes and lets the bearer process them.
 */
#pragma once

#include "ble/att.h"

#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

/* A 16-bit value as ATT puts it on the wire. */
#define LE16(x) (uint8_t)((x)&0xFF), (uint8_t)(((x) >> 8) & 0xFF)

enum script_kind { SCRIPT_EXPECT, SCRIPT_SEND };

struct script_step {
	enum script_kind kind;
	const uint8_t *data;
	size_t len;
};

#define SCRIPT_BYTES(...) (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })
/* What the client must send next, byte for byte. */
#define EXPECT(...)                                      \
	{                                                \
		SCRIPT_EXPECT, SCRIPT_BYTES(__VA_ARGS__) \
	}
/* What the sensor sends; the bearer then processes it. */
#define SEND(...)                                      \
	{                                              \
		SCRIPT_SEND, SCRIPT_BYTES(__VA_ARGS__) \
	}

struct script {
	int fds[2]; /* [0] for the code under test, [1] the sensor */
	struct att *att;
	int64_t now_us;
	char log[4096]; /* every logged line, newline-separated */
};

static inline void script_log(int level, const char *message, void *user_data)
{
	(void)level;
	struct script *s = user_data;
	size_t used = strlen(s->log);
	snprintf(s->log + used, sizeof(s->log) - used, "%s\n", message);
}

static inline void script_open(struct script *s, uint16_t mtu)
{
	memset(s, 0, sizeof(*s));
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, s->fds), 0);
	s->att = att_new(s->fds[0], mtu);
	s->now_us = 1700000000000000LL;
	att_set_log_handler(s->att, script_log, s, NULL);
}

static inline void script_close(struct script *s)
{
	att_free(s->att);
	close(s->fds[0]);
	if (s->fds[1] >= 0)
		close(s->fds[1]);
}

static inline void script_hex(const char *label, const uint8_t *data, size_t len)
{
	fprintf(stderr, "%s (%zu bytes):", label, len);
	for (size_t i = 0; i < len; i++)
		fprintf(stderr, " %02x", data[i]);
	fprintf(stderr, "\n");
}

/* The sensor's side sends one PDU and the bearer reads it. */
static inline void script_send(struct script *s, const uint8_t *data, size_t len)
{
	assert_int_equal(send(s->fds[1], data, len, 0), (ssize_t)len);
	att_process_readable(s->att, s->now_us);
}

static inline void script_expect(const uint8_t *data, size_t len, int fd, size_t step)
{
	uint8_t buf[1024];
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n == (ssize_t)len && memcmp(buf, data, len) == 0)
		return;
	fprintf(stderr, "script step %zu:\n", step);
	script_hex("  expected", data, len);
	if (n < 0)
		fprintf(stderr, "  got nothing\n");
	else
		script_hex("  got", buf, (size_t)n);
	fail_msg("the client did not send what the script expects at step %zu", step);
}

/* Plays the steps, then checks the client sent nothing more. */
static inline void script_play(struct script *s, const struct script_step *steps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (steps[i].kind == SCRIPT_EXPECT)
			script_expect(steps[i].data, steps[i].len, s->fds[1], i);
		else
			script_send(s, steps[i].data, steps[i].len);
	}
}

#define SCRIPT_PLAY(s, ...)                                                   \
	do {                                                                  \
		const struct script_step steps_[] = { __VA_ARGS__ };          \
		script_play((s), steps_, sizeof(steps_) / sizeof(steps_[0])); \
	} while (0)

static inline void script_expect_silence(struct script *s)
{
	uint8_t buf[1024];
	ssize_t n = recv(s->fds[1], buf, sizeof(buf), MSG_DONTWAIT);
	if (n >= 0)
		script_hex("unexpected PDU from the client", buf, (size_t)n);
	assert_true(n < 0);
}

static inline void script_assert_logged(const struct script *s, const char *needle)
{
	if (!strstr(s->log, needle))
		fail_msg("log lacks \"%s\"; it holds:\n%s", needle, s->log);
}
