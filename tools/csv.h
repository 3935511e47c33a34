/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RFC 4180 CSV: CRLF line endings, fields quoted when they hold a comma, a
 * quote, CR or LF, embedded quotes doubled, UTF-8.
 *
 * Text cells that a spreadsheet would run as a formula (starting with = + -
 * @, tab or CR) get a leading single quote. Only text cells: numbers are
 * formatted by hamstride itself, so -3.2 m of elevation stays a number the
 * spreadsheet can add up instead of becoming the text '-3.2. Headers, run
 * sources, end reasons and file names are text, and may come from outside
 * (a capture's file name), so they always go through the check.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct csv {
	FILE *out;
	bool mid_row; /* a field was written on this row: the next needs a comma */
};

void csv_init(struct csv *c, FILE *out);
/* A text cell: neutralised, quoted as needed, invalid UTF-8 replaced by U+FFFD. */
void csv_text(struct csv *c, const char *text);
/* A number with this many decimals; an empty cell for NAN or infinity. */
void csv_number(struct csv *c, double value, int decimals);
void csv_integer(struct csv *c, int64_t value);
/* Ends the row with CRLF. */
void csv_end_row(struct csv *c);
/* Each of names[0..n) as a text cell, then the end of the row. */
void csv_header(struct csv *c, const char *const *names, int n);
