// SPDX-License-Identifier: GPL-2.0-or-later
#include "csv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void csv_init(struct csv *c, FILE *out)
{
	c->out = out;
	c->mid_row = false;
}

static void separator(struct csv *c)
{
	if (c->mid_row)
		fputc(',', c->out);
	c->mid_row = true;
}

/* Length of the valid UTF-8 sequence at s (1 to 4), or 0 if invalid.
 * Rejects overlong forms, surrogates and code points past U+10FFFF. */
static size_t utf8_length(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	size_t n = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
	if (n == 0 || s[0] > 0xF4)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0) ||
	    (s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] >= 0x90))
		return 0;
	return n;
}

static bool needs_quotes(const char *text)
{
	return strpbrk(text, ",\"\r\n") != NULL;
}

/* A spreadsheet runs a cell that starts like this as a formula. */
static bool looks_like_formula(const char *text)
{
	return text[0] && strchr("=+-@\t\r", text[0]) != NULL;
}

void csv_text(struct csv *c, const char *text)
{
	separator(c);
	if (!text)
		text = "";
	bool quoted = needs_quotes(text);
	if (quoted)
		fputc('"', c->out);
	if (looks_like_formula(text))
		fputc('\'', c->out);
	for (const unsigned char *p = (const unsigned char *)text; *p;) {
		size_t n = utf8_length(p);
		if (n == 0) {
			fputs("\xEF\xBF\xBD", c->out); /* U+FFFD replacement character */
			p++;
			continue;
		}
		if (*p == '"')
			fputc('"', c->out);
		fwrite(p, 1, n, c->out);
		p += n;
	}
	if (quoted)
		fputc('"', c->out);
}

void csv_number(struct csv *c, double value, int decimals)
{
	separator(c);
	if (isfinite(value))
		fprintf(c->out, "%.*f", decimals, value);
}

void csv_integer(struct csv *c, int64_t value)
{
	separator(c);
	fprintf(c->out, "%lld", (long long)value);
}

void csv_end_row(struct csv *c)
{
	fputs("\r\n", c->out);
	c->mid_row = false;
}

void csv_header(struct csv *c, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		csv_text(c, names[i]);
	csv_end_row(c);
}
