// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target for the btsnoop capture reader: any bytes must open or fail
 * with a message, and read to a clean end or an error, without a crash, a
 * leak or a read out of bounds.
 *
 * libFuzzer build (clang), with the seeds in tests/data:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -DHAMSTRIDE_LIBFUZZER \
 *     -D_GNU_SOURCE -Ianalysis -Idaemon tests/fuzz/fuzz_capture.c \
 *     daemon/capture/capture_frames.c daemon/capture/capture_reader.c \
 *     analysis/util/notification.c analysis/util/xalloc.c -o fuzz_capture
 *   mkdir -p corpus && ./fuzz_capture corpus tests/data/capture-*.btsnoop
 *
 * Without HAMSTRIDE_LIBFUZZER it is a plain program that runs the target
 * over each file named on the command line and over a few built-in inputs,
 * so the meson 'fuzz' suite replays the seeds (and any crash a fuzzer
 * found, once saved in tests/data) on every build.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/capture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void read_capture(struct capture_reader *r)
{
	struct gatt_uuid hr = gatt_uuid_from16(UUID_HEART_RATE_MEASUREMENT);
	struct capture_reader_stats stats;
	struct notification n;
	volatile uint8_t sink = 0;
	int ret;

	capture_reader_map(r, 0x0010, &hr);
	while ((ret = capture_reader_next(r, &n)) == 1) {
		/* Touch every byte handed out, so ASan sees a bad length. */
		for (size_t i = 0; i < n.len; i++)
			sink ^= n.value[i];
	}
	if (ret < 0 && capture_reader_error(r)[0] == '\0')
		abort(); /* every failure must say why */
	capture_reader_stats(r, &stats);
	if (stats.unmapped > stats.notifications)
		abort();
	(void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct capture_reader *r;
	char why[256] = "";
	FILE *f;

	/* fmemopen refuses an empty buffer; the empty file is a built-in case. */
	if (size == 0)
		return 0;
	f = fmemopen((void *)data, size, "rb");
	if (!f)
		return 0;
	if (capture_reader_open_stream(f, "fuzz.btsnoop", &r, why, sizeof(why)) < 0) {
		if (why[0] == '\0' || r)
			abort();
		return 0;
	}
	read_capture(r);
	capture_reader_close(r);
	return 0;
}

#ifndef HAMSTRIDE_LIBFUZZER
static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long len;

	if (!f || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "fuzz_capture: cannot read %s\n", path);
		if (f)
			fclose(f);
		return 1;
	}
	buf = malloc(len ? (size_t)len : 1);
	if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len) {
		fprintf(stderr, "fuzz_capture: cannot read %s\n", path);
		free(buf);
		fclose(f);
		return 1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	/* Every prefix too: truncation is the commonest damage. */
	for (long cut = 0; cut < len && len < 65536; cut++)
		LLVMFuzzerTestOneInput(buf, (size_t)cut);
	free(buf);
	return 0;
}

/* Headers only, odd datalinks, and a monitor record claiming 4 GiB. */
static const struct {
	const char *bytes;
	size_t len;
} seeds[] = {
	{ "btsnoop\0\0\0\0\1\0\0\x07\xd1", 16 },
	{ "btsnoop\0\0\0\0\1\0\0\x03\xe9", 16 },
	{ "btsnoop\0\0\0\0\1\0\0\x03\xea", 16 },
	{ "btsnoop\0\0\0\0\1\0\0\x03\xeb", 16 },
	{ "btsnoop\0\0\0\0\2\0\0\x07\xd1", 16 },
	{ "btsnoop\0\0\0\0\1\0\0\x07\xd1"
	  "\xff\xff\xff\xff\xff\xff\xff\xff\0\0\0\5\0\0\0\0\0\0\0\0\0\0\0\0",
	  40 },
	{ "\xd4\xc3\xb2\xa1\2\0\4\0", 8 },
};

int main(int argc, char **argv)
{
	int failed = 0;

	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
		LLVMFuzzerTestOneInput((const uint8_t *)seeds[i].bytes, seeds[i].len);
	for (int i = 1; i < argc; i++)
		failed |= run_file(argv[i]);
	printf("fuzz_capture: %zu built-in inputs and %d files (with every prefix) passed\n",
	       sizeof(seeds) / sizeof(seeds[0]), argc - 1 - failed);
	return failed;
}
#endif
