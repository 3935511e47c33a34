// SPDX-License-Identifier: GPL-2.0-or-later
#include "import_input.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/xalloc.h"

#define BLOCK_BYTES (64u << 10)
#define PEEK_BYTES 4096

struct import_member {
	struct archive *ar;
	char name[512];
	struct import_where where;
	int depth;
	uint64_t out_bytes;
	int64_t raw_start; /* the archive's compressed bytes read when the member began */
	uint8_t peek[PEEK_BYTES];
	size_t peek_len, peek_pos;
	char why[160];
	/* A nested archive reads its bytes from here. */
	uint8_t block[BLOCK_BYTES];
};

const char *import_member_name(const struct import_member *m)
{
	return m->name;
}

const char *import_member_why(const struct import_member *m)
{
	return m->why;
}

const struct import_where *import_member_where(const struct import_member *m)
{
	return &m->where;
}

static ssize_t fail(struct import_member *m, int err, const char *what)
{
	snprintf(m->why, sizeof(m->why), "%s", what);
	return -err;
}

/* Straight from the archive, with the limits. */
static ssize_t read_archive(struct import_member *m, uint8_t *buf, size_t size)
{
	if (!m->ar)
		return 0; /* an empty file */
	la_ssize_t n = archive_read_data(m->ar, buf, size);
	if (n < 0)
		return fail(m, EIO,
			    archive_error_string(m->ar) ? archive_error_string(m->ar)
							: "the archive is damaged");
	m->out_bytes += (uint64_t)n;
	if (m->out_bytes > IMPORT_MEMBER_MAX_BYTES)
		return fail(m, EFBIG, "inflates past 64 MB, more than any activity file");
	int64_t raw = archive_filter_bytes(m->ar, -1) - m->raw_start;
	if (m->out_bytes > IMPORT_RATIO_AFTER_BYTES &&
	    m->out_bytes > (uint64_t)(raw > 0 ? raw : 1) * IMPORT_RATIO_MAX)
		return fail(m, EFBIG, "inflates more than 100 times its size: a zip bomb?");
	return n;
}

ssize_t import_member_read(struct import_member *m, uint8_t *buf, size_t size)
{
	if (m->peek_pos < m->peek_len) {
		size_t n = m->peek_len - m->peek_pos;
		if (n > size)
			n = size;
		memcpy(buf, m->peek + m->peek_pos, n);
		m->peek_pos += n;
		return (ssize_t)n;
	}
	return read_archive(m, buf, size);
}

/* The first bytes, to tell what the member is. */
static int peek(struct import_member *m)
{
	while (m->peek_len < PEEK_BYTES) {
		ssize_t n = read_archive(m, m->peek + m->peek_len, PEEK_BYTES - m->peek_len);
		if (n < 0)
			return (int)n;
		if (n == 0)
			break;
		m->peek_len += (size_t)n;
	}
	return 0;
}

static bool compressed(const struct import_member *m)
{
	const uint8_t *p = m->peek;
	return (m->peek_len >= 2 && p[0] == 0x1F && p[1] == 0x8B) ||
	       (m->peek_len >= 4 && memcmp(p, "PK\3\4", 4) == 0);
}

static la_ssize_t nested_read(struct archive *ar, void *user, const void **buf)
{
	struct import_member *outer = user;
	ssize_t n = import_member_read(outer, outer->block, sizeof(outer->block));
	if (n < 0) {
		archive_set_error(ar, (int)-n, "%s", outer->why);
		return -1;
	}
	*buf = outer->block;
	return n;
}

static struct archive *new_reader(void)
{
	struct archive *ar = archive_read_new();
	if (!ar)
		return NULL;
	archive_read_support_filter_gzip(ar);
	archive_read_support_format_zip(ar);
	archive_read_support_format_raw(ar);
	return ar;
}

struct walk {
	import_member_fn fn;
	void *user;
	char *why;
	size_t why_size;
	struct import_where base; /* the file's, at depth -1 */
	/* import_input_again(): only the member there, then stop. */
	const struct import_where *target;
	bool found;
};

static int each_in(struct walk *w, struct archive *ar, const char *name,
		   const struct import_where *outer);

/* A member that is itself compressed is opened in turn. */
static int open_nested(struct walk *w, struct import_member *m)
{
	struct archive *inner = new_reader();
	if (!inner || archive_read_open(inner, m, NULL, nested_read, NULL) != ARCHIVE_OK) {
		snprintf(w->why, w->why_size, "%s: %s", m->name,
			 inner && archive_error_string(inner) ? archive_error_string(inner)
							      : "cannot be opened");
		archive_read_free(inner);
		return -EBADMSG;
	}
	int rc = each_in(w, inner, m->name, &m->where);
	archive_read_free(inner);
	return rc;
}

static int one_member(struct walk *w, struct archive *ar, struct archive_entry *e, const char *name,
		      const struct import_where *where)
{
	struct import_member *m = xcalloc(1, sizeof(*m));
	bool raw = archive_format(ar) == ARCHIVE_FORMAT_RAW;
	*m = (struct import_member){ .ar = ar,
				     .where = *where,
				     .depth = where->depth,
				     .raw_start = archive_filter_bytes(ar, -1) };
	if (raw)
		snprintf(m->name, sizeof(m->name), "%s", name);
	else
		snprintf(m->name, sizeof(m->name), "%s:%s", name,
			 archive_entry_pathname(e) ? archive_entry_pathname(e) : "?");
	int rc = peek(m);
	if (rc < 0)
		snprintf(w->why, w->why_size, "%s: %s", m->name, m->why);
	else if (compressed(m) && m->depth < IMPORT_NESTING_MAX)
		rc = open_nested(w, m);
	else if (!w->target || m->depth == w->target->depth) {
		w->found = true;
		rc = w->fn(w->user, m);
	}
	free(m);
	return rc;
}

/* With a target, whether the member at index is on its way: -1 before
 * it, 0 it, 1 past it. */
static int toward_target(const struct walk *w, int depth, unsigned index)
{
	if (!w->target || depth > w->target->depth)
		return 0;
	unsigned want = w->target->index[depth];
	return index < want ? -1 : index > want ? 1 : 0;
}

static int each_in(struct walk *w, struct archive *ar, const char *name,
		   const struct import_where *outer)
{
	struct archive_entry *e;
	struct import_where where = *outer;
	where.depth = outer->depth + 1;
	unsigned members = 0;
	int r, rc = 0;
	while (rc == 0 && (r = archive_read_next_header(ar, &e)) == ARCHIVE_OK) {
		if (++members > IMPORT_ARCHIVE_MEMBERS_MAX) {
			snprintf(w->why, w->why_size, "%s: more than %u files in one archive", name,
				 IMPORT_ARCHIVE_MEMBERS_MAX);
			return -EFBIG;
		}
		where.index[where.depth] = members - 1;
		int way = toward_target(w, where.depth, members - 1);
		if (way > 0)
			return 0;
		if (way == 0 && (archive_entry_filetype(e) == AE_IFREG ||
				 archive_format(ar) == ARCHIVE_FORMAT_RAW))
			rc = one_member(w, ar, e, name, &where);
		if (w->target && way == 0)
			return rc;
	}
	if (rc == 0 && r != ARCHIVE_EOF) {
		snprintf(w->why, w->why_size, "%s: %s", name,
			 archive_error_string(ar) ? archive_error_string(ar) : "a damaged archive");
		return -EBADMSG;
	}
	return rc;
}

static struct archive *open_source(struct walk *w, int *err)
{
	struct archive *ar = new_reader();
	*err = 0;
	if (!ar) {
		snprintf(w->why, w->why_size, "%s: out of memory", w->base.path);
		*err = -ENOMEM;
		return NULL;
	}
	int r = w->base.mem ? archive_read_open_memory(ar, w->base.mem, w->base.mem_len)
			    : archive_read_open_filename(ar, w->base.path, BLOCK_BYTES);
	if (r != ARCHIVE_OK) {
		int e = archive_errno(ar);
		snprintf(w->why, w->why_size, "%s: %s", w->base.path,
			 archive_error_string(ar) ? archive_error_string(ar) : "cannot be read");
		*err = e > 0 ? -e : -EBADMSG;
		archive_read_free(ar);
		return NULL;
	}
	return ar;
}

/* libarchive opens no empty file: it is a member with no bytes. */
static bool empty_source(const struct walk *w)
{
	struct stat st;
	if (w->base.mem)
		return w->base.mem_len == 0;
	return stat(w->base.path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0;
}

static int walk_source(struct walk *w)
{
	if (empty_source(w)) {
		if (w->target && (w->target->depth != 0 || w->target->index[0] != 0))
			return 0;
		struct import_member *m = xcalloc(1, sizeof(*m));
		snprintf(m->name, sizeof(m->name), "%.*s", (int)sizeof(m->name) - 1, w->base.path);
		m->where = w->base;
		m->where.depth = 0;
		w->found = true;
		int rc = w->fn(w->user, m);
		free(m);
		return rc;
	}
	int rc;
	struct archive *ar = open_source(w, &rc);
	if (!ar)
		return rc;
	rc = each_in(w, ar, w->base.path, &w->base);
	archive_read_free(ar);
	return rc;
}

static void set_base(struct walk *w, const char *path, const uint8_t *mem, size_t mem_len)
{
	snprintf(w->base.path, sizeof(w->base.path), "%s", path);
	w->base.mem = mem;
	w->base.mem_len = mem_len;
	w->base.depth = -1;
}

int import_input_each(const char *path, import_member_fn fn, void *user, char *why, size_t why_size)
{
	struct walk w = { .fn = fn, .user = user, .why = why, .why_size = why_size };
	set_base(&w, path, NULL, 0);
	return walk_source(&w);
}

int import_input_each_memory(const uint8_t *buf, size_t len, const char *name, import_member_fn fn,
			     void *user, char *why, size_t why_size)
{
	struct walk w = { .fn = fn, .user = user, .why = why, .why_size = why_size };
	set_base(&w, name, buf ? buf : (const uint8_t *)"", len);
	return walk_source(&w);
}

int import_input_again(const struct import_where *where, import_member_fn fn, void *user, char *why,
		       size_t why_size)
{
	struct walk w = {
		.fn = fn, .user = user, .why = why, .why_size = why_size, .target = where
	};
	set_base(&w, where->path, where->mem, where->mem_len);
	int rc = walk_source(&w);
	if (rc == 0 && !w.found) {
		snprintf(why, why_size, "%s: changed since it was first read", where->path);
		return -ENOENT;
	}
	return rc;
}
