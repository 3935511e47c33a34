// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target for the TCX and GPX reader (import/activity.h): any bytes
 * must read as an activity or fail with a message, without a crash, a
 * leak or a read out of bounds. Checked: a failure says why; records are
 * no more than the reader holds, and their times never run backwards.
 */
#include <libxml/parser.h>
#include <math.h>

#include "fuzz.h"
#include "import/activity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct activity a;
	(void)activity_xml_looks_like(data, size);
	fuzz_check_activity(activity_xml_read(data, size, &a), &a);
	return 0;
}
