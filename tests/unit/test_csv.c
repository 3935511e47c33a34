// SPDX-License-Identifier: GPL-2.0-or-later
/* CSV: RFC 4180 quoting, formula neutralising, UTF-8, and a round trip. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "csv.h"

struct buffer {
	char *data;
	size_t len;
	FILE *fp;
	struct csv csv;
};

static struct buffer *open_buffer(void)
{
	struct buffer *b = calloc(1, sizeof(*b));
	assert_non_null(b);
	b->fp = open_memstream(&b->data, &b->len);
	assert_non_null(b->fp);
	csv_init(&b->csv, b->fp);
	return b;
}

static void close_buffer(struct buffer *b)
{
	fclose(b->fp);
	free(b->data);
	free(b);
}

static const char *contents(struct buffer *b)
{
	fflush(b->fp);
	return b->data;
}

/* One text cell as written, with its row end. */
static void assert_cell(const char *text, const char *expected)
{
	struct buffer *b = open_buffer();
	csv_text(&b->csv, text);
	csv_end_row(&b->csv);
	char want[256];
	snprintf(want, sizeof(want), "%s\r\n", expected);
	assert_string_equal(contents(b), want);
	close_buffer(b);
}

static void test_plain_and_quoted(void **state)
{
	(void)state;
	assert_cell("idle", "idle");
	assert_cell("", "");
	assert_cell("a,b", "\"a,b\"");
	assert_cell("say \"hi\"", "\"say \"\"hi\"\"\"");
	assert_cell("two\nlines", "\"two\nlines\"");
	assert_cell("cr\rhere", "\"cr\rhere\"");
}

static void test_formulas_neutralised(void **state)
{
	(void)state;
	assert_cell("=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\"");
	assert_cell("+1", "'+1");
	assert_cell("-1+2", "'-1+2");
	assert_cell("@SUM(A1)", "'@SUM(A1)");
	assert_cell("\tcmd", "'\tcmd");
	assert_cell("\rcmd", "\"'\rcmd\"");
	assert_cell("a=b", "a=b"); /* only the first character matters */
}

static void test_utf8(void **state)
{
	(void)state;
	assert_cell("Zürich – 5 km", "Zürich – 5 km");
	assert_cell("bad \xff byte", "bad \xEF\xBF\xBD byte");
	assert_cell("cut \xE2\x82", "cut \xEF\xBF\xBD\xEF\xBF\xBD");
	assert_cell("overlong \xC0\xAF", "overlong \xEF\xBF\xBD\xEF\xBF\xBD");
	assert_cell("surrogate \xED\xA0\x80", "surrogate \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
	assert_cell("emoji \xF0\x9F\x8F\x83", "emoji \xF0\x9F\x8F\x83");
}

static void test_numbers_are_not_neutralised(void **state)
{
	(void)state;
	struct buffer *b = open_buffer();
	csv_number(&b->csv, -3.25, 1);
	csv_number(&b->csv, NAN, 2);
	csv_integer(&b->csv, -42);
	csv_number(&b->csv, INFINITY, 0);
	csv_number(&b->csv, 1234.5678, 2);
	csv_end_row(&b->csv);
	assert_string_equal(contents(b), "-3.2,,-42,,1234.57\r\n");
	close_buffer(b);
}

/* A minimal RFC 4180 reader for the round trip: next field into out;
 * returns 1 at the end of a field, 2 at the end of a row, 0 at the end. */
static int read_field(const char **p, char *out, size_t size)
{
	size_t n = 0;
	if (!**p)
		return 0;
	if (**p == '"') {
		for ((*p)++; **p && !(**p == '"' && (*p)[1] != '"'); (*p)++) {
			if (**p == '"')
				(*p)++;
			if (n + 1 < size)
				out[n++] = **p;
		}
		assert_int_equal(**p, '"');
		(*p)++;
	} else {
		for (; **p && **p != ',' && **p != '\r'; (*p)++)
			if (n + 1 < size)
				out[n++] = **p;
	}
	out[n] = '\0';
	if (**p == ',') {
		(*p)++;
		return 1;
	}
	assert_int_equal(**p, '\r');
	assert_int_equal((*p)[1], '\n');
	*p += 2;
	return 2;
}

static void test_round_trip(void **state)
{
	(void)state;
	static const char *const header[] = { "run_id", "distance_m", "source", "capture_path" };
	static const char *const sources[] = { "replay /tmp/a,b \"x\".btsnoop", "simulator",
					       "multi\r\nline" };
	struct buffer *b = open_buffer();
	csv_header(&b->csv, header, 4);
	for (int i = 0; i < 3; i++) {
		csv_integer(&b->csv, i + 1);
		csv_number(&b->csv, i == 1 ? NAN : 1000.5 * (i + 1), 1);
		csv_text(&b->csv, sources[i]);
		csv_text(&b->csv, "/var/lib/hamstride/captures/ü.btsnoop");
		csv_end_row(&b->csv);
	}
	const char *p = contents(b);
	char field[256];
	for (int i = 0; i < 4; i++) {
		assert_int_equal(read_field(&p, field, sizeof(field)), i < 3 ? 1 : 2);
		assert_string_equal(field, header[i]);
	}
	for (int i = 0; i < 3; i++) {
		assert_int_equal(read_field(&p, field, sizeof(field)), 1);
		assert_int_equal(atoi(field), i + 1);
		assert_int_equal(read_field(&p, field, sizeof(field)), 1);
		if (i == 1)
			assert_string_equal(field, "");
		else
			assert_float_equal(strtod(field, NULL), 1000.5 * (i + 1), 0.05);
		assert_int_equal(read_field(&p, field, sizeof(field)), 1);
		assert_string_equal(field, sources[i]);
		assert_int_equal(read_field(&p, field, sizeof(field)), 2);
		assert_string_equal(field, "/var/lib/hamstride/captures/ü.btsnoop");
	}
	assert_int_equal(read_field(&p, field, sizeof(field)), 0);
	close_buffer(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_and_quoted),
		cmocka_unit_test(test_formulas_neutralised),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_numbers_are_not_neutralised),
		cmocka_unit_test(test_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
