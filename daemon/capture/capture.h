/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Captures in the btsnoop format that btmon -w and Android's HCI snoop log
 * write. The reader yields the ATT notifications and indications inside
 * the HCI ACL traffic, mapping each value handle to its characteristic UUID
 * from the GATT discovery found in the capture (or from capture_reader_map),
 * and each connection handle to the peer's address from the LE connection
 * events. The writer produces files that btmon -r, Wireshark and this reader
 * open. The reader works on one record at a time, so memory does not grow
 * with the file.
 */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include "util/notification.h"

struct capture_reader;
struct capture_writer;

/* The reader's fixed tables (see capture_reader.c for what happens beyond them):
 * connections open at once, characteristics discovered per connection,
 * and the longest value read or written (ATT never sends more than 512). */
#define CAPTURE_MAX_CONNS 16
#define CAPTURE_MAX_CHARS 64
#define CAPTURE_VALUE_MAX 1017

/* Negative errno on failure; *out is NULL then and why (if not NULL) holds
 * a sentence naming the file and the problem. */
int capture_reader_open(const char *path, struct capture_reader **out, char *why, size_t why_len);
/* The same on an open stream (a pipe, fmemopen), which the reader then owns
 * and closes, also on failure; name is how messages call it. */
int capture_reader_open_stream(FILE *f, const char *name, struct capture_reader **out, char *why,
			       size_t why_len);

/* Map a value handle to a UUID for every connection, overriding discovery;
 * for captures taken without the discovery (replay --map HANDLE=UUID). */
void capture_reader_map(struct capture_reader *r, uint16_t handle, const struct gatt_uuid *uuid);

/*
 * The next notification: 1 with *n filled (n->value valid until the next
 * call), 0 at the clean end of the file, or a negative errno (-EBADMSG for a
 * truncated file, or one damaged with nothing readable after the damage)
 * with capture_reader_error() saying where. Damage with readable records
 * after it is skipped and counted (capture_reader_stats, _damage).
 * Records that are not ATT notifications are skipped; a malformed HCI or ATT
 * packet inside a well-formed record is skipped and counted, not an error.
 */
int capture_reader_next(struct capture_reader *r, struct notification *n);

/* "capture file run.btsnoop is truncated at byte 4711 (record 12)" */
const char *capture_reader_error(const struct capture_reader *r);
/* The latest damage survived (a record skipped for its time, or bytes
 * skipped to the next readable record), naming the byte; "" if none. */
const char *capture_reader_damage(struct capture_reader *r);

struct capture_reader_stats {
	uint64_t records;
	uint64_t notifications;
	uint64_t skipped_packets; /* malformed HCI/L2CAP/ATT inside records */
	uint64_t unmapped;        /* notifications whose handle had no UUID */
	/* Damage survived: records skipped for a time far from both their
	 * neighbours, damaged places resynchronised past and the bytes skipped
	 * there, and where the first damage of either kind is. */
	uint64_t bad_times;
	uint64_t damaged;
	uint64_t skipped_bytes;
	uint64_t first_damage_byte;
};
void capture_reader_stats(const struct capture_reader *r, struct capture_reader_stats *out);

void capture_reader_close(struct capture_reader *r);

/*
 * Writes a btsnoop file (datalink 2001, the Linux monitor format btmon -w
 * writes). The first notification from a new address writes an LE
 * connection for it; the first from a new (address, handle) with a known
 * UUID writes the GATT discovery of that characteristic, so the file is
 * self-describing.
 */
int capture_writer_open(const char *path, struct capture_writer **out, char *why, size_t why_len);
/* The same for a file that must be new: -EEXIST (and why) when path is
 * taken, which is then left as it was. */
int capture_writer_create(const char *path, struct capture_writer **out, char *why, size_t why_len);
/* The same on an open stream, which the writer then owns and closes,
 * also on failure; name is how messages call it. */
int capture_writer_open_stream(FILE *f, const char *name, struct capture_writer **out, char *why,
			       size_t why_len);
/* Optional: names the sensor (written as a note in the capture). */
int capture_writer_sensor(struct capture_writer *w, const uint8_t addr[NOTIFICATION_ADDR_LEN],
			  uint8_t addr_type, const char *name, int64_t time_us);
int capture_writer_notification(struct capture_writer *w, const struct notification *n);
/* Flushes and closes; negative errno if anything could not be written. */
int capture_writer_close(struct capture_writer *w);
