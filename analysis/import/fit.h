/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * FIT (Flexible and Interoperable Data Transfer), the binary activity format
 * of Garmin, COROS, Suunto, Polar and Wahoo watches, decoded from a buffer.
 * Pure and bounds-checked: no I/O, and nothing in a file is trusted. The
 * caller feeds the bytes (fit_decoder_feed), so a file of any size is
 * decoded in fixed memory.
 *
 * From the public FIT protocol (the FIT SDK's "FIT Protocol" document):
 * - a file header of 12 or more bytes (byte 0 its size, 14 in current
 *   files), the data size (uint32 LE at byte 4), ".FIT" at byte 8, and in a
 *   14-byte header a CRC of the first 12 bytes (0 allowed: not computed);
 * - then records, each with a one-byte header: bit 7 clear is a normal
 *   header (bit 6 set: a definition; bit 5 set: the definition carries
 *   developer fields; bits 0-3 the local message type), bit 7 set a
 *   compressed-timestamp data record (bits 5-6 the local type, bits 0-4 a
 *   time offset added to the last full timestamp, rolling over at 32 s);
 * - a definition: a reserved byte, the architecture (0 little-endian,
 *   1 big-endian), the global message number, then 3 bytes per field
 *   (number, size in bytes, base type) and, with developer data, 3 bytes
 *   per developer field (number, size, developer data index);
 * - after the data a CRC-16 (polynomial 0xA001 reflected) of everything
 *   from the header's first byte, and possibly another FIT file chained on.
 * Times are seconds since 1989-12-31T00:00Z (FIT_EPOCH_UNIX_S).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FIT_EPOCH_UNIX_S INT64_C(631065600)
#define FIT_FIELDS_MAX 255

/* Global message numbers used by the importer. */
enum fit_message_number {
	FIT_MESG_FILE_ID = 0,
	FIT_MESG_SPORT = 12,
	FIT_MESG_SESSION = 18,
	FIT_MESG_LAP = 19,
	FIT_MESG_RECORD = 20,
	FIT_MESG_EVENT = 21,
	FIT_MESG_DEVICE_INFO = 23,
	FIT_MESG_ACTIVITY = 34,
	FIT_MESG_FIELD_DESCRIPTION = 206,
	FIT_MESG_DEVELOPER_DATA_ID = 207,
};

/* A field's base type: the low five bits of the base type byte. */
enum fit_base_type {
	FIT_ENUM = 0,
	FIT_SINT8 = 1,
	FIT_UINT8 = 2,
	FIT_SINT16 = 3,
	FIT_UINT16 = 4,
	FIT_SINT32 = 5,
	FIT_UINT32 = 6,
	FIT_STRING = 7,
	FIT_FLOAT32 = 8,
	FIT_FLOAT64 = 9,
	FIT_UINT8Z = 10,
	FIT_UINT16Z = 11,
	FIT_UINT32Z = 12,
	FIT_BYTE = 13,
	FIT_SINT64 = 14,
	FIT_UINT64 = 15,
	FIT_UINT64Z = 16,
	FIT_BASE_TYPE_COUNT,
};

/* One field of a data message, pointing into the caller's buffer. */
struct fit_field {
	uint8_t number;
	uint8_t size;      /* bytes, as the definition declared them */
	uint8_t base_type; /* enum fit_base_type; FIT_BYTE when unknown */
	bool big_endian;
	const uint8_t *data;
};

/* A developer field, with its description when the file gave one. */
struct fit_dev_field {
	struct fit_field field; /* base_type from the description */
	uint8_t developer_index;
	const char *name; /* "" without a description */
	const char *units;
	double scale, offset; /* value = raw / scale - offset */
};

struct fit_message {
	uint16_t global;
	/* The message's time in FIT seconds: field 253, or the compressed
	 * header's offset from the last one; has_timestamp false if neither. */
	bool has_timestamp;
	uint32_t timestamp;
	size_t n_fields, n_dev_fields;
	const struct fit_field *fields;
	const struct fit_dev_field *dev_fields;
};

/* How decoding went; the messages before any damage were delivered. */
struct fit_status {
	unsigned files;    /* chained FIT files read */
	uint64_t messages; /* data messages delivered */
	bool header_crc_bad;
	bool crc_bad;      /* a file's CRC did not match: read, but warn */
	bool truncated;    /* the data ended inside a record or before the CRC */
	size_t stopped_at; /* the byte where reading stopped */
	char why[160];     /* what stopped it, or "" */
};

/* Return 0 to go on; non-zero stops the decoding and is returned. */
typedef int (*fit_message_fn)(void *user, const struct fit_message *m);

/* Whether buf starts like a FIT file (a header with ".FIT" at byte 8). */
bool fit_looks_like(const uint8_t *buf, size_t len);

/*
 * The decoder as a stream: bytes are fed in blocks of any size (a file
 * read piece by piece, a gzip or zip member as it inflates), and each
 * data message is delivered as soon as it is whole, its fields pointing
 * into the decoder's own window (valid during the callback). Memory is
 * fixed (about 300 kB), whatever the file's size. status is cleared by
 * _new and filled as the decoding goes.
 */
struct fit_decoder;
struct fit_decoder *fit_decoder_new(fit_message_fn fn, void *user, struct fit_status *status);
/* Returns 0 to go on (also once a cut-short file has stopped the
 * decoding: see fit_decoder_stopped), -EBADMSG when the input is not
 * FIT or is damaged past reading, or the callback's non-zero value. */
int fit_decoder_feed(struct fit_decoder *d, const uint8_t *buf, size_t len);
/* Whether more input would be ignored (damage, a stop, a file cut
 * short by its own header's size, or trailing bytes that are not FIT). */
bool fit_decoder_stopped(const struct fit_decoder *d);
/* The input has ended: returns what fit_decode() returns. */
int fit_decoder_finish(struct fit_decoder *d);
void fit_decoder_free(struct fit_decoder *d);

/*
 * Decodes every data message of buf (and of any FIT files chained after
 * the first) in order. Returns 0 when the data ran to the end (check
 * status for a bad CRC or a truncation), -EBADMSG when buf is not FIT or
 * is damaged past reading (status->why says where), or the callback's
 * non-zero value. Messages delivered before damage stay delivered.
 */
int fit_decode(const uint8_t *buf, size_t len, fit_message_fn fn, void *user,
	       struct fit_status *status);

/* CRC-16 as FIT computes it, continuing from crc (0 to start). */
uint16_t fit_crc16(uint16_t crc, const uint8_t *data, size_t len);

/* The first field of m with this number, or NULL. */
const struct fit_field *fit_field_find(const struct fit_message *m, uint8_t number);
/*
 * A field's first element as a number; false for the base type's invalid
 * value (all ones, or zero for the "z" types), for a string or a field too
 * short for its type. A field whose size is not a whole number of its base
 * type's size (some COROS watches) is read as an unsigned integer of its
 * own size when that is 1, 2 or 4 bytes.
 */
bool fit_field_double(const struct fit_field *f, double *out);
/* The field as a whole number from 0 to max, what the profile's enum,
 * uint16 and uint32 fields hold; false if absent, invalid or outside
 * (a file may define any field with any base type, float64 included). */
bool fit_field_uint(const struct fit_field *f, uint32_t max, uint32_t *out);
/* The same scaled as the profile says: raw / scale - offset. */
bool fit_field_scaled(const struct fit_message *m, uint8_t number, double scale, double offset,
		      double *out);
/* A string field (NUL-terminated within its size), copied into buf. */
bool fit_field_string(const struct fit_field *f, char *buf, size_t size);
/* The size in bytes of one element of a base type. */
size_t fit_base_type_size(uint8_t base_type);
