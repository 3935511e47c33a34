/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The activity files inside what the runner names: a plain file, a
 * gzip-compressed one (Strava's .fit.gz, .gpx.gz, .tcx.gz), or each file
 * of a zip archive (a Garmin Connect export), including .gz files and
 * zips inside a zip, read with libarchive as streams. A member's name is
 * only ever shown, never used as a path. Each member is cut off at
 * IMPORT_MEMBER_MAX_BYTES, or when it inflates more than
 * IMPORT_RATIO_MAX times its compressed size past its first megabyte:
 * activity files compress 3 to 20 times, a zip bomb thousands.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define IMPORT_MEMBER_MAX_BYTES (64u << 20)
#define IMPORT_RATIO_MAX 100
#define IMPORT_RATIO_AFTER_BYTES (1u << 20)
#define IMPORT_ARCHIVE_MEMBERS_MAX 100000u
#define IMPORT_NESTING_MAX 2 /* a .gz in a zip in a zip, no deeper */

struct import_member;

/* Where a member is, to read it again (import_input_again()): the file (or
 * the memory) it came from and its index in each archive on the way. */
struct import_where {
	char path[4096];
	const uint8_t *mem; /* import_input_each_memory()'s bytes, else NULL */
	size_t mem_len;
	unsigned index[IMPORT_NESTING_MAX + 1];
	int depth;
};
const struct import_where *import_member_where(const struct import_member *m);
/* For messages and the run's source: "export.zip:activities/1.fit.gz". */
const char *import_member_name(const struct import_member *m);
/* Up to size bytes: how many, 0 at the end, or a negative errno (-EFBIG
 * past the limits) with import_member_why() saying why. */
ssize_t import_member_read(struct import_member *m, uint8_t *buf, size_t size);
const char *import_member_why(const struct import_member *m);

/* Return 0 to go on; non-zero stops and is returned. */
typedef int (*import_member_fn)(void *user, struct import_member *m);
/*
 * Calls fn for each activity file in the file at path, in the archive's
 * order. Returns 0, fn's non-zero value, or a negative errno when the
 * file or an archive in it cannot be read (why says so; the members
 * before it were delivered).
 */
int import_input_each(const char *path, import_member_fn fn, void *user, char *why,
		      size_t why_size);
/* The same for len bytes in memory named name (the fuzz target's way);
 * the bytes must outlive the call and any import_input_again() of it. */
int import_input_each_memory(const uint8_t *buf, size_t len, const char *name, import_member_fn fn,
			     void *user, char *why, size_t why_size);
/*
 * Calls fn once, for the member at where, read again from its start (a
 * member's bytes cannot be rewound; the file is opened anew). Returns as
 * import_input_each() does; -ENOENT (why says so) if the member is no
 * longer there.
 */
int import_input_again(const struct import_where *where, import_member_fn fn, void *user, char *why,
		       size_t why_size);
