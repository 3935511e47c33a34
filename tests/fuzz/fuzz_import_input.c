// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target for the import's input layer (tools/import_input.h): any
 * bytes, as a plain file, a gzip file, a zip (with .gz files and zips in
 * it) must give their members or fail with a message, without a crash, a
 * leak, a read out of bounds or more than the limits let through.
 * Checked: every read returns at most what was asked and a failure says
 * why; no member gives more than IMPORT_MEMBER_MAX_BYTES nor sits deeper
 * than IMPORT_NESTING_MAX; each member read again from its place
 * (import_input_again(), how a probed activity is re-read) gives the same
 * name, the same length and the same first SUM_BYTES bytes.
 */
#include "fuzz.h"
#include "import/activity.h"
#include "import_input.h"

#define BUF_BYTES (64u << 10)
/* The bytes compared when read again: the first, and the length of all
 * (a zip bomb's megabytes summed byte by byte would slow the replay). */
#define SUM_BYTES (64u << 10)

/* What a member gave: its length and a checksum of its bytes. */
struct reading {
	uint64_t bytes, sum;
	bool failed;
	char name[512];
};

static void read_member(struct import_member *m, struct reading *out)
{
	static uint8_t buf[BUF_BYTES];
	*out = (struct reading){ 0 };
	const char *name = import_member_name(m);
	FUZZ_CHECK(name && memchr(name, '\0', sizeof(out->name)));
	snprintf(out->name, sizeof(out->name), "%s", name);
	FUZZ_CHECK(import_member_where(m)->depth >= 0 &&
		   import_member_where(m)->depth <= IMPORT_NESTING_MAX);
	for (;;) {
		ssize_t n = import_member_read(m, buf, sizeof(buf));
		if (n < 0) {
			FUZZ_CHECK(import_member_why(m)[0] != '\0');
			out->failed = true;
			return;
		}
		FUZZ_CHECK((size_t)n <= sizeof(buf));
		if (n == 0)
			return;
		if (out->bytes == 0) {
			enum activity_format format;
			(void)activity_format_of(buf, (size_t)n, &format);
		}
		for (ssize_t i = 0; i < n && out->bytes + (uint64_t)i < SUM_BYTES; i++)
			out->sum = out->sum * 1099511628211u + buf[i];
		out->bytes += (uint64_t)n;
		FUZZ_CHECK(out->bytes <= IMPORT_MEMBER_MAX_BYTES);
	}
}

static int read_again(void *user, struct import_member *m)
{
	struct reading *again = user;
	read_member(m, again);
	return 0;
}

static int each_member(void *user, struct import_member *m)
{
	(void)user;
	struct reading first, again;
	read_member(m, &first);
	struct import_where where = *import_member_where(m);
	char why[640] = "";
	int rc = import_input_again(&where, read_again, &again, why, sizeof(why));
	FUZZ_CHECK(rc == 0);
	FUZZ_CHECK(strcmp(first.name, again.name) == 0);
	FUZZ_CHECK(first.failed == again.failed);
	if (!first.failed)
		FUZZ_CHECK(first.bytes == again.bytes && first.sum == again.sum);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[640] = "";
	int rc = import_input_each_memory(data, size, "fuzz", each_member, NULL, why, sizeof(why));
	FUZZ_CHECK(rc <= 0);
	if (rc < 0)
		FUZZ_CHECK(why[0] != '\0');
	return 0;
}
