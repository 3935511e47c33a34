// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A watch's file read as a stream, whatever its format: FIT through the
 * streaming decoder, TCX and GPX through libxml2's push parser; both in
 * fixed memory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import/activity.h"
#include "util/xalloc.h"

struct activity_reader {
	enum activity_format format;
	struct activity *a;
	struct fit_decoder *fit;
	struct activity_xml *xml;
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
	} else {
		r->xml = activity_xml_new(a);
	}
	return r;
}

int activity_reader_feed(struct activity_reader *r, const uint8_t *buf, size_t len)
{
	if (r->fit)
		return fit_decoder_feed(r->fit, buf, len);
	return activity_xml_feed(r->xml, buf, len);
}

bool activity_reader_stopped(const struct activity_reader *r)
{
	return r->fit ? fit_decoder_stopped(r->fit) : activity_xml_stopped(r->xml);
}

int activity_reader_finish(struct activity_reader *r)
{
	return r->fit ? fit_decoder_finish(r->fit) : activity_xml_finish(r->xml);
}

void activity_reader_free(struct activity_reader *r)
{
	if (!r)
		return;
	fit_decoder_free(r->fit);
	activity_xml_free(r->xml);
	free(r);
}
