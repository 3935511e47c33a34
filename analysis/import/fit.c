// SPDX-License-Identifier: GPL-2.0-or-later
#include "import/fit.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cursor.h"
#include "util/xalloc.h"

#define FIT_LOCAL_TYPES 16
#define FIT_DESCRIPTIONS_MAX 64
#define FIT_TIMESTAMP_FIELD 253

struct field_def {
	uint8_t number, size, base_type, developer_index;
};

struct definition {
	bool defined;
	bool big_endian;
	uint16_t global;
	uint8_t n_fields, n_dev_fields;
	struct field_def fields[FIT_FIELDS_MAX];
	struct field_def dev_fields[FIT_FIELDS_MAX];
};

struct description {
	uint8_t developer_index, number, base_type;
	char name[64], units[16];
	double scale, offset;
};

/* Room for the longest record a definition allows (255 fields of 255
 * bytes and as many developer fields: 130,051 bytes) and a feed's block. */
#define FIT_WINDOW_BYTES (256u << 10)

enum phase {
	PHASE_HEADER,  /* a file header, the first or a chained one */
	PHASE_RECORDS, /* definitions and data messages */
	PHASE_CRC,     /* the file's two CRC bytes */
	PHASE_STOPPED,
};

struct fit_decoder {
	struct definition local[FIT_LOCAL_TYPES];
	struct description desc[FIT_DESCRIPTIONS_MAX];
	size_t n_desc;
	uint32_t last_timestamp;
	bool have_timestamp;
	struct fit_field fields[FIT_FIELDS_MAX];
	struct fit_dev_field dev_fields[FIT_FIELDS_MAX];
	struct fit_status *status;
	fit_message_fn fn;
	void *user;
	enum phase phase;
	int rc; /* what stopped it: 0, -EBADMSG or the callback's value */
	/* The bytes fed and not yet decoded: window[head..len), window[0]
	 * being byte base of the input. */
	uint8_t *window;
	size_t head, len, base;
	size_t data_end;     /* where the current file's records end */
	bool data_unbounded; /* its header gave no data size: to the end */
	uint16_t crc;        /* of the current file so far */
};

uint16_t fit_crc16(uint16_t crc, const uint8_t *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		crc ^= data[i];
		for (int bit = 0; bit < 8; bit++)
			crc = (uint16_t)(crc & 1 ? (crc >> 1) ^ 0xA001 : crc >> 1);
	}
	return crc;
}

size_t fit_base_type_size(uint8_t base_type)
{
	static const uint8_t size[FIT_BASE_TYPE_COUNT] = {
		[FIT_ENUM] = 1,    [FIT_SINT8] = 1,   [FIT_UINT8] = 1,  [FIT_SINT16] = 2,
		[FIT_UINT16] = 2,  [FIT_SINT32] = 4,  [FIT_UINT32] = 4, [FIT_STRING] = 1,
		[FIT_FLOAT32] = 4, [FIT_FLOAT64] = 8, [FIT_UINT8Z] = 1, [FIT_UINT16Z] = 2,
		[FIT_UINT32Z] = 4, [FIT_BYTE] = 1,    [FIT_SINT64] = 8, [FIT_UINT64] = 8,
		[FIT_UINT64Z] = 8,
	};
	return base_type < FIT_BASE_TYPE_COUNT ? size[base_type] : 1;
}

bool fit_looks_like(const uint8_t *buf, size_t len)
{
	return len >= 12 && buf[0] >= 12 && memcmp(buf + 8, ".FIT", 4) == 0;
}

/* Stops the decoding: a cut-short file (truncated: what came before is
 * kept, 0) or damage past reading (-EBADMSG), with why. */
static bool stop(struct fit_decoder *d, size_t at, bool truncated, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static bool stop(struct fit_decoder *d, size_t at, bool truncated, const char *fmt, ...)
{
	struct fit_status *st = d->status;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(st->why, sizeof(st->why), fmt, ap);
	va_end(ap);
	st->stopped_at = at;
	st->truncated = st->truncated || truncated;
	d->rc = truncated ? 0 : -EBADMSG;
	d->phase = PHASE_STOPPED;
	return false;
}

/* ---- values -------------------------------------------------------------- */

static uint64_t read_uint(const uint8_t *p, size_t n, bool big_endian)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)p[big_endian ? n - 1 - i : i] << (8 * i);
	return v;
}

static bool invalid_raw(uint8_t base, uint64_t raw)
{
	switch (base) {
	case FIT_UINT8Z:
	case FIT_UINT16Z:
	case FIT_UINT32Z:
	case FIT_UINT64Z:
		return raw == 0;
	case FIT_SINT8:
		return raw == 0x7F;
	case FIT_SINT16:
		return raw == 0x7FFF;
	case FIT_SINT32:
		return raw == 0x7FFFFFFF;
	case FIT_SINT64:
		return raw == UINT64_C(0x7FFFFFFFFFFFFFFF);
	default: /* enum, uint*, byte, float: all ones */
		return raw == (fit_base_type_size(base) == 8
				       ? UINT64_MAX
				       : (UINT64_C(1) << (8 * fit_base_type_size(base))) - 1);
	}
}

static double signed_value(uint64_t raw, size_t n)
{
	uint64_t sign = UINT64_C(1) << (8 * n - 1);
	return raw & sign ? -(double)((~raw + 1) & (n == 8 ? UINT64_MAX : (sign << 1) - 1))
			  : (double)raw;
}

bool fit_field_double(const struct fit_field *f, double *out)
{
	if (!f || f->base_type == FIT_STRING)
		return false;
	size_t n = fit_base_type_size(f->base_type);
	uint8_t base = f->base_type;
	if (f->size < n || f->size % n != 0) {
		/* A size that does not fit the type: read what is there. */
		if (f->size != 1 && f->size != 2 && f->size != 4)
			return false;
		n = f->size;
		base = n == 1 ? FIT_UINT8 : n == 2 ? FIT_UINT16 : FIT_UINT32;
	}
	uint64_t raw = read_uint(f->data, n, f->big_endian);
	if (invalid_raw(base, raw))
		return false;
	double v;
	if (base == FIT_FLOAT32) {
		uint32_t bits = (uint32_t)raw;
		float x;
		memcpy(&x, &bits, sizeof(x));
		v = x;
	} else if (base == FIT_FLOAT64) {
		memcpy(&v, &raw, sizeof(v));
	} else if (base == FIT_SINT8 || base == FIT_SINT16 || base == FIT_SINT32 ||
		   base == FIT_SINT64) {
		v = signed_value(raw, n);
	} else {
		v = (double)raw;
	}
	if (!isfinite(v))
		return false;
	*out = v;
	return true;
}

const struct fit_field *fit_field_find(const struct fit_message *m, uint8_t number)
{
	for (size_t i = 0; i < m->n_fields; i++)
		if (m->fields[i].number == number)
			return &m->fields[i];
	return NULL;
}

bool fit_field_uint(const struct fit_field *f, uint32_t max, uint32_t *out)
{
	double v;
	if (!fit_field_double(f, &v) || !(v >= 0 && v <= max))
		return false;
	*out = (uint32_t)v;
	return true;
}

bool fit_field_scaled(const struct fit_message *m, uint8_t number, double scale, double offset,
		      double *out)
{
	double raw;
	if (!fit_field_double(fit_field_find(m, number), &raw))
		return false;
	*out = raw / scale - offset;
	return true;
}

bool fit_field_string(const struct fit_field *f, char *buf, size_t size)
{
	if (!f || f->base_type != FIT_STRING || size == 0)
		return false;
	size_t n = 0;
	while (n < f->size && f->data[n] != '\0')
		n++;
	if (n == 0)
		return false; /* an empty string is FIT's invalid value */
	if (n >= size)
		n = size - 1;
	memcpy(buf, f->data, n);
	buf[n] = '\0';
	return true;
}

/* ---- definitions ------------------------------------------------------------ */

static bool read_field_defs(struct cursor *c, struct field_def *defs, uint8_t n, bool developer)
{
	for (uint8_t i = 0; i < n; i++) {
		uint8_t num, size, third;
		if (!cursor_u8(c, &num) || !cursor_u8(c, &size) || !cursor_u8(c, &third))
			return false;
		defs[i] = (struct field_def){ .number = num, .size = size };
		if (developer)
			defs[i].developer_index = third;
		else
			defs[i].base_type =
				(third & 0x1F) < FIT_BASE_TYPE_COUNT ? third & 0x1F : FIT_BYTE;
	}
	return true;
}

/* The bytes a definition takes, header byte included, once its counts
 * are in view; false while they are not. */
static bool definition_size(const uint8_t *p, size_t avail, uint8_t header, size_t *size)
{
	if (avail < 6)
		return false;
	size_t n = 6 + 3 * (size_t)p[5];
	if (header & 0x20) {
		if (avail < n + 1)
			return false;
		n += 1 + 3 * (size_t)p[n];
	}
	*size = n;
	return true;
}

/* A whole definition at c (its header byte read): its size was checked. */
static bool read_definition(struct fit_decoder *d, struct cursor *c, uint8_t header, size_t at)
{
	struct definition *def = &d->local[header & 0x0F];
	uint8_t reserved, arch, n_fields, n_dev = 0;
	uint16_t global;
	if (!cursor_u8(c, &reserved) || !cursor_u8(c, &arch) || !cursor_le16(c, &global) ||
	    !cursor_u8(c, &n_fields))
		return stop(d, at, true, "a definition is cut short at byte %zu", at);
	if (arch > 1)
		return stop(
			d, at, false,
			"a definition at byte %zu names architecture %u, which FIT does not have",
			at, arch);
	def->big_endian = arch == 1;
	def->global = def->big_endian ? (uint16_t)(global >> 8 | global << 8) : global;
	def->n_fields = n_fields;
	if (!read_field_defs(c, def->fields, n_fields, false) ||
	    ((header & 0x20) &&
	     (!cursor_u8(c, &n_dev) || !read_field_defs(c, def->dev_fields, n_dev, true))))
		return stop(d, at, true, "a definition is cut short at byte %zu", at);
	def->n_dev_fields = n_dev;
	def->defined = true;
	return true;
}

/* ---- data messages ------------------------------------------------------------- */

static const struct description *find_description(const struct fit_decoder *d, uint8_t index,
						  uint8_t number)
{
	for (size_t i = 0; i < d->n_desc; i++)
		if (d->desc[i].developer_index == index && d->desc[i].number == number)
			return &d->desc[i];
	return NULL;
}

/* A field_description message (206) names a developer field for the
 * data messages after it. */
static void learn_description(struct fit_decoder *d, const struct fit_message *m)
{
	/* Each a byte in the profile, but a file may give any type: one out of
	 * a byte's range names no field. */
	uint32_t index, number, base;
	if (!fit_field_uint(fit_field_find(m, 0), UINT8_MAX, &index) ||
	    !fit_field_uint(fit_field_find(m, 1), UINT8_MAX, &number) ||
	    !fit_field_uint(fit_field_find(m, 2), UINT8_MAX, &base))
		return;
	struct description *x =
		(struct description *)find_description(d, (uint8_t)index, (uint8_t)number);
	if (!x) {
		if (d->n_desc == FIT_DESCRIPTIONS_MAX)
			return;
		x = &d->desc[d->n_desc++];
	}
	*x = (struct description){ .developer_index = (uint8_t)index,
				   .number = (uint8_t)number,
				   .base_type = (uint8_t)base & 0x1F,
				   .scale = 1,
				   .offset = 0 };
	if (x->base_type >= FIT_BASE_TYPE_COUNT)
		x->base_type = FIT_BYTE;
	fit_field_string(fit_field_find(m, 3), x->name, sizeof(x->name));
	fit_field_string(fit_field_find(m, 8), x->units, sizeof(x->units));
	double scale, offset;
	if (fit_field_double(fit_field_find(m, 6), &scale) && scale != 0)
		x->scale = scale;
	if (fit_field_double(fit_field_find(m, 7), &offset))
		x->offset = offset;
}

static void fill_dev_fields(struct fit_decoder *d, const struct definition *def, struct cursor *c,
			    struct fit_message *m)
{
	for (uint8_t i = 0; i < def->n_dev_fields; i++) {
		const struct field_def *fd = &def->dev_fields[i];
		const uint8_t *p = NULL;
		cursor_bytes(c, fd->size, &p); /* the caller checked the length */
		const struct description *desc =
			find_description(d, fd->developer_index, fd->number);
		d->dev_fields[i] = (struct fit_dev_field){
			.field = { fd->number, fd->size, desc ? desc->base_type : FIT_BYTE,
				   def->big_endian, p },
			.developer_index = fd->developer_index,
			.name = desc ? desc->name : "",
			.units = desc ? desc->units : "",
			.scale = desc ? desc->scale : 1,
			.offset = desc ? desc->offset : 0,
		};
	}
	m->n_dev_fields = def->n_dev_fields;
	m->dev_fields = d->dev_fields;
}

static size_t message_size(const struct definition *def)
{
	size_t n = 0;
	for (uint8_t i = 0; i < def->n_fields; i++)
		n += def->fields[i].size;
	for (uint8_t i = 0; i < def->n_dev_fields; i++)
		n += def->dev_fields[i].size;
	return n;
}

static void timestamp_from_fields(struct fit_decoder *d, struct fit_message *m)
{
	uint32_t t;
	if (fit_field_uint(fit_field_find(m, FIT_TIMESTAMP_FIELD), UINT32_MAX, &t)) {
		m->has_timestamp = true;
		m->timestamp = t;
		d->last_timestamp = m->timestamp;
		d->have_timestamp = true;
	}
}

/* A compressed header's offset counts on from the last full timestamp,
 * rolling over every 32 s. */
static void timestamp_from_offset(struct fit_decoder *d, struct fit_message *m, uint8_t offset)
{
	if (!d->have_timestamp)
		return;
	uint32_t t = (d->last_timestamp & ~UINT32_C(0x1F)) + offset;
	if (offset < (d->last_timestamp & 0x1F))
		t += 0x20;
	m->has_timestamp = true;
	m->timestamp = t;
	d->last_timestamp = t;
}

/* A whole data message at c (its header byte read): its size was checked. */
static bool read_data(struct fit_decoder *d, struct cursor *c, uint8_t header)
{
	bool compressed = header & 0x80;
	const struct definition *def = &d->local[compressed ? (header >> 5) & 0x03 : header & 0x0F];
	struct fit_message m = { .global = def->global, .fields = d->fields };
	for (uint8_t i = 0; i < def->n_fields; i++) {
		const struct field_def *fd = &def->fields[i];
		const uint8_t *p = NULL;
		cursor_bytes(c, fd->size, &p);
		d->fields[i] = (struct fit_field){ fd->number, fd->size, fd->base_type,
						   def->big_endian, p };
	}
	m.n_fields = def->n_fields;
	fill_dev_fields(d, def, c, &m);
	if (compressed)
		timestamp_from_offset(d, &m, header & 0x1F);
	else
		timestamp_from_fields(d, &m);
	if (m.global == FIT_MESG_FIELD_DESCRIPTION)
		learn_description(d, &m);
	d->status->messages++;
	int rc = d->fn(d->user, &m);
	if (rc != 0) {
		d->rc = rc;
		d->phase = PHASE_STOPPED;
		return false;
	}
	return true;
}

/* ---- the stream ----------------------------------------------------------------- */

static size_t in_view(const struct fit_decoder *d)
{
	return d->len - d->head;
}

static size_t position(const struct fit_decoder *d)
{
	return d->base + d->head;
}

/* Past n bytes of the current file: they count in its CRC. */
static void consume(struct fit_decoder *d, size_t n)
{
	d->crc = fit_crc16(d->crc, d->window + d->head, n);
	d->head += n;
}

/* A file header, the first or one chained after a file's CRC: anything
 * else after a file is not FIT and ends the decoding quietly. */
static bool step_header(struct fit_decoder *d, bool final)
{
	const uint8_t *h = d->window + d->head;
	size_t avail = in_view(d), at = position(d);
	bool first = d->status->files == 0;
	if (avail < 12 || !fit_looks_like(h, avail)) {
		if (avail < 12 && !final)
			return false;
		if (first)
			return stop(d, at, false, "not a FIT file (no \".FIT\" header)");
		d->status->stopped_at = at;
		d->phase = PHASE_STOPPED;
		return false;
	}
	size_t size = h[0];
	if (avail < size) {
		if (final)
			return stop(d, at, true, "the file header is cut short");
		return false;
	}
	if (size >= 14 && (h[12] | h[13] << 8) != 0 &&
	    fit_crc16(0, h, 12) != (uint16_t)(h[12] | h[13] << 8))
		d->status->header_crc_bad = true;
	uint32_t data_size =
		(uint32_t)h[4] | (uint32_t)h[5] << 8 | (uint32_t)h[6] << 16 | (uint32_t)h[7] << 24;
	d->data_unbounded = data_size == 0;
	d->data_end = at + size + data_size;
	memset(d->local, 0, sizeof(d->local));
	d->n_desc = 0;
	d->crc = 0;
	consume(d, size);
	d->phase = PHASE_RECORDS;
	return true;
}

/* The input ended (or the header's data size did) inside a record. */
static bool cut_short(struct fit_decoder *d, uint8_t header, size_t size)
{
	size_t at = position(d);
	d->status->files++;
	if (!(header & 0x80) && (header & 0x40))
		return stop(d, at, true, "a definition is cut short at byte %zu", at);
	return stop(d, at, true, "a %zu-byte message is cut short at byte %zu", size - 1, at);
}

static bool step_record(struct fit_decoder *d, bool final)
{
	size_t at = position(d), avail = in_view(d);
	/* Bytes of this file's records in view, and whether they are all of them. */
	size_t limit = avail;
	bool all_here = final;
	if (!d->data_unbounded) {
		if (at >= d->data_end) {
			d->status->files++;
			d->phase = PHASE_CRC;
			return true;
		}
		if (d->data_end - at <= avail)
			limit = d->data_end - at, all_here = true;
	}
	if (limit == 0) {
		if (!final)
			return false;
		d->status->files++;
		return stop(d, at, true, "the file ends at byte %zu, before its CRC", at);
	}
	const uint8_t *p = d->window + d->head;
	uint8_t header = p[0];
	bool definition = !(header & 0x80) && (header & 0x40);
	size_t size = 0;
	if (definition) {
		if (!definition_size(p, limit, header, &size))
			return all_here ? cut_short(d, header, 0) : false;
	} else {
		bool compressed = header & 0x80;
		unsigned local = compressed ? (header >> 5) & 0x03 : header & 0x0F;
		if (!d->local[local].defined) {
			d->status->files++;
			return stop(d, at, false,
				    "a data record at byte %zu uses local type %u, never defined",
				    at, local);
		}
		size = 1 + message_size(&d->local[local]);
	}
	if (size > limit)
		return all_here ? cut_short(d, header, size) : false;
	struct cursor c = cursor_init(p, size);
	c.pos = 1;
	bool ok = definition ? read_definition(d, &c, header, at) : read_data(d, &c, header);
	if (d->phase != PHASE_STOPPED)
		consume(d, size);
	return ok;
}

static bool step_crc(struct fit_decoder *d, bool final)
{
	if (in_view(d) < 2) {
		if (!final)
			return false;
		size_t end = position(d) + in_view(d);
		return stop(d, position(d), true, "the file ends at byte %zu, before its CRC", end);
	}
	const uint8_t *p = d->window + d->head;
	if (d->crc != (uint16_t)(p[0] | p[1] << 8))
		d->status->crc_bad = true;
	d->head += 2;
	d->phase = PHASE_HEADER;
	return true;
}

/* One unit (a header, a record, a CRC) if it is all in view; false when
 * more input is needed or the decoding stopped. */
static bool step(struct fit_decoder *d, bool final)
{
	switch (d->phase) {
	case PHASE_HEADER:
		return step_header(d, final);
	case PHASE_RECORDS:
		return step_record(d, final);
	case PHASE_CRC:
		return step_crc(d, final);
	default:
		return false;
	}
}

struct fit_decoder *fit_decoder_new(fit_message_fn fn, void *user, struct fit_status *status)
{
	struct fit_decoder *d = xcalloc(1, sizeof(*d));
	memset(status, 0, sizeof(*status));
	d->status = status;
	d->fn = fn;
	d->user = user;
	d->window = xmalloc(FIT_WINDOW_BYTES);
	return d;
}

void fit_decoder_free(struct fit_decoder *d)
{
	if (!d)
		return;
	free(d->window);
	free(d);
}

int fit_decoder_feed(struct fit_decoder *d, const uint8_t *buf, size_t len)
{
	while (len > 0 && d->phase != PHASE_STOPPED) {
		/* Slide what is left of the window to its start, then fill it. */
		memmove(d->window, d->window + d->head, in_view(d));
		d->base += d->head;
		d->len -= d->head;
		d->head = 0;
		size_t take = FIT_WINDOW_BYTES - d->len;
		if (take > len)
			take = len;
		memcpy(d->window + d->len, buf, take);
		d->len += take;
		buf += take;
		len -= take;
		while (step(d, false))
			;
	}
	return d->phase == PHASE_STOPPED ? d->rc : 0;
}

bool fit_decoder_stopped(const struct fit_decoder *d)
{
	return d->phase == PHASE_STOPPED;
}

int fit_decoder_finish(struct fit_decoder *d)
{
	while (step(d, true))
		;
	return d->rc;
}

int fit_decode(const uint8_t *buf, size_t len, fit_message_fn fn, void *user,
	       struct fit_status *status)
{
	struct fit_decoder *d = fit_decoder_new(fn, user, status);
	fit_decoder_feed(d, buf, len);
	int rc = fit_decoder_finish(d);
	fit_decoder_free(d);
	return rc;
}
