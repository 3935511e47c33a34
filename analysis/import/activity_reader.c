// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A watch's file read as a stream, whatever its format: FIT through the
 * streaming decoder, in fixed memory; TCX and GPX gathered and parsed at
 * the end (XML_MAX_BYTES at most).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import/activity.h"
#include "util/xalloc.h"

/* An XML activity is held whole: a 30-hour GPX at one point a second
 * with extensions is about 30 MB. */
#define XML_MAX_BYTES (64u << 20)

struct activity_reader {
	enum activity_format format;
	struct activity *a;
	struct fit_decoder *fit;
	uint8_t *xml;
	size_t xml_len, xml_cap;
	bool xml_too_big;
};

bool activity_format_of(const uint8_t *buf, size_t len, enum activity_format *format)
{
	if (fit_looks_like(buf, len))
		*format = ACTIVITY_FIT;
	else if (activity_xml_looks_like(buf, len))
		*format = ACTIVITY_XML;
	else
		return false;
	return true;
}

struct activity_reader *activity_reader_new(enum activity_format format, struct activity *a,
					    activity_record_fn fn, void *user)
{
	struct activity_reader *r = xcalloc(1, sizeof(*r));
	r->format = format;
	r->a = a;
	activity_init(a);
	a->on_record = fn;
	a->on_record_user = user;
	if (format == ACTIVITY_FIT) {
		snprintf(a->format, sizeof(a->format), "FIT");
		r->fit = fit_decoder_new(fit_activity_message, a, &a->status);
	}
	return r;
}

static void gather_xml(struct activity_reader *r, const uint8_t *buf, size_t len)
{
	if (r->xml_too_big || len > XML_MAX_BYTES - r->xml_len) {
		r->xml_too_big = true;
		return;
	}
	if (r->xml_len + len > r->xml_cap) {
		size_t cap = r->xml_cap ? r->xml_cap : 1u << 16;
		while (cap < r->xml_len + len)
			cap *= 2;
		r->xml = xreallocarray(r->xml, cap, 1);
		r->xml_cap = cap;
	}
	memcpy(r->xml + r->xml_len, buf, len);
	r->xml_len += len;
}

int activity_reader_feed(struct activity_reader *r, const uint8_t *buf, size_t len)
{
	if (r->fit)
		return fit_decoder_feed(r->fit, buf, len);
	gather_xml(r, buf, len);
	return 0;
}

bool activity_reader_stopped(const struct activity_reader *r)
{
	return r->fit ? fit_decoder_stopped(r->fit) : r->xml_too_big;
}

int activity_reader_finish(struct activity_reader *r)
{
	if (r->fit)
		return fit_decoder_finish(r->fit);
	if (r->xml_too_big) {
		snprintf(r->a->status.why, sizeof(r->a->status.why),
			 "an XML activity larger than %u MB, more than any watch writes",
			 XML_MAX_BYTES >> 20);
		return -EFBIG;
	}
	return activity_xml_parse(r->xml, r->xml_len, r->a);
}

void activity_reader_free(struct activity_reader *r)
{
	if (!r)
		return;
	fit_decoder_free(r->fit);
	free(r->xml);
	free(r);
}
