/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * btsnoop framing for the capture reader: the file header, then one record
 * at a time, through a buffer that holds the record being read and the
 * header after it. Damage is survived where it can be: a record whose
 * header is impossible, or whose length runs past the end of the file
 * while a readable record follows, is resynchronised past (on the next
 * plausible header whose lengths, flags and time fit and which is followed
 * by another such header or the end of the file); a record stamped far
 * from both its neighbours is skipped. Both are counted and described.
 * Internal to daemon/capture/.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "capture/capture.h"

/* One record: data valid until the next capture_frames_next. */
struct capture_frame {
	const uint8_t *data;
	uint32_t len;
	uint32_t flags;
	int64_t time_us;
};

/* The latest damage, kept as facts and put into words only when asked
 * for: a damaged capture can hold thousands of damaged places. */
enum capture_damage_kind { DAMAGE_NONE, DAMAGE_TIME, DAMAGE_LENGTH, DAMAGE_HEADER };
struct capture_damage {
	enum capture_damage_kind kind;
	uint64_t at, record, resume;
	uint32_t orig_len, incl_len, flags;
	int64_t time_us;
	bool had_last;
	int64_t last_time_us;
};

struct capture_frames {
	FILE *f;
	const char *name; /* for messages; not owned */
	uint32_t datalink;
	uint8_t *buf;
	size_t start, end;   /* unread bytes are buf[start, end) */
	uint64_t buf_offset; /* file offset of buf[0] */
	bool eof;
	bool have_last;
	int64_t last_time_us;              /* of the last record handed out */
	struct capture_reader_stats stats; /* records and damage counts only */
	int error;
	char error_text[256];
	struct capture_damage damage;
	char damage_text[320];
};

/* Reads the file header; owns f from here on, also on failure (close it
 * with capture_frames_close). Negative errno with error_text set. */
int capture_frames_open(struct capture_frames *fr, FILE *f, const char *name);
/* 1 with *out filled, 0 at the clean end, or a negative errno (error_text
 * says where: truncated, unreadable, or damaged past recovery). */
int capture_frames_next(struct capture_frames *fr, struct capture_frame *out);
void capture_frames_close(struct capture_frames *fr);
/* The latest damage in words, naming the byte; "" if none. */
const char *capture_frames_damage(struct capture_frames *fr);
