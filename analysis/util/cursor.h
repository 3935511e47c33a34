/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Bounds-checked little-endian reads from a byte buffer. Every read returns
 * false when the buffer is too short and then leaves the output and the
 * cursor untouched, so a parser never trusts a length it was sent.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cursor {
	const uint8_t *data;
	size_t len;
	size_t pos;
};

static inline struct cursor cursor_init(const uint8_t *data, size_t len)
{
	return (struct cursor){ .data = data, .len = len, .pos = 0 };
}

static inline size_t cursor_remaining(const struct cursor *c)
{
	return c->len - c->pos;
}

static inline bool cursor_u8(struct cursor *c, uint8_t *out)
{
	if (cursor_remaining(c) < 1)
		return false;
	*out = c->data[c->pos++];
	return true;
}

static inline bool cursor_le16(struct cursor *c, uint16_t *out)
{
	if (cursor_remaining(c) < 2)
		return false;
	const uint8_t *p = c->data + c->pos;
	*out = (uint16_t)(p[0] | p[1] << 8);
	c->pos += 2;
	return true;
}

static inline bool cursor_le32(struct cursor *c, uint32_t *out)
{
	if (cursor_remaining(c) < 4)
		return false;
	const uint8_t *p = c->data + c->pos;
	*out = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	c->pos += 4;
	return true;
}

static inline bool cursor_le64(struct cursor *c, uint64_t *out)
{
	uint32_t lo, hi;
	if (cursor_remaining(c) < 8)
		return false;
	cursor_le32(c, &lo);
	cursor_le32(c, &hi);
	*out = (uint64_t)hi << 32 | lo;
	return true;
}

/* Points *out at the next n bytes without copying. */
static inline bool cursor_bytes(struct cursor *c, size_t n, const uint8_t **out)
{
	if (cursor_remaining(c) < n)
		return false;
	*out = c->data + c->pos;
	c->pos += n;
	return true;
}

static inline bool cursor_skip(struct cursor *c, size_t n)
{
	const uint8_t *ignored;
	return cursor_bytes(c, n, &ignored);
}
