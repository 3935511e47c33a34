/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hamstride report --pdf: the physiotherapist's report as a file. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "cli.h"

struct report_pdf_args {
	const char *path;
	int64_t from_us, to_us;
	bool from_given;
	const char *side;   /* "left", "right" or NULL */
	const char *runner; /* or NULL */
};

/* Writes the report (to a temporary file beside path, renamed over it only
 * once complete); returns an exit code. */
int report_pdf(const struct cli_globals *g, const struct report_pdf_args *a);
