// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * btsnoop capture reader and writer. Captures are built byte by byte here,
 * laid out as btmon -w (datalink 2001) and Android's snoop log (1002) lay
 * them out, so the reader is checked against the formats and not only
 * against our own writer.
 *
 * HAMSTRIDE_WRITE_TEST_DATA=DIR makes the tests also save the captures they
 * build as DIR/capture-*.btsnoop with the notifications read from each in
 * DIR/capture-*.expected; test_data_files then checks the files in
 * tests/data against those expectations.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "capture/capture.h"

/* 1970-01-01 on the btsnoop time scale, derived here from BlueZ's constant
 * for 2000-01-01 (src/shared/btsnoop.c) rather than the reader's, which
 * follows Wireshark and Android: the test checks they agree. */
#define EPOCH_US (INT64_C(0x00E03AB44A676000) - INT64_C(946684800) * 1000000)
#define T0 INT64_C(1700000000123456) /* 2023-11-14T22:13:20.123456Z */

enum { DL_HCI = 1001, DL_H4 = 1002, DL_MONITOR = 2001 };
enum {
	MON_NEW_INDEX = 0,
	MON_DEL_INDEX = 1,
	MON_COMMAND = 2,
	MON_EVENT = 3,
	MON_ACL_TX = 4,
	MON_ACL_RX = 5,
	MON_OPEN_INDEX = 8,
	MON_INDEX_INFO = 10,
	MON_SYSTEM_NOTE = 12,
	MON_USER_LOGGING = 13
};

/* ---- building captures ---------------------------------------------------- */

struct bytes {
	size_t len;
	uint8_t d[1 << 17];
};

static struct bytes *bytes_new(void)
{
	struct bytes *b = calloc(1, sizeof(*b));
	assert_non_null(b);
	return b;
}

static void put(struct bytes *b, const void *p, size_t len)
{
	assert_true(b->len + len <= sizeof(b->d));
	if (len)
		memcpy(b->d + b->len, p, len);
	b->len += len;
}

static void put_be32(struct bytes *b, uint32_t v)
{
	uint8_t p[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	put(b, p, 4);
}

static void btsnoop_header(struct bytes *b, uint32_t datalink)
{
	put(b, "btsnoop", 8);
	put_be32(b, 1);
	put_be32(b, datalink);
}

static void record(struct bytes *b, uint32_t flags, int64_t time_us, const void *p, size_t len)
{
	uint64_t ts = (uint64_t)(time_us + EPOCH_US);

	put_be32(b, (uint32_t)len);
	put_be32(b, (uint32_t)len);
	put_be32(b, flags);
	put_be32(b, 0);
	put_be32(b, (uint32_t)(ts >> 32));
	put_be32(b, (uint32_t)ts);
	put(b, p, len);
}

static void mon(struct bytes *b, uint16_t index, uint16_t opcode, int64_t t, const void *p,
		size_t len)
{
	record(b, (uint32_t)index << 16 | opcode, t, p, len);
}

/* Android snoop log: H4 type byte first; flags bit 0 = received, bit 1 =
 * command or event. */
static void h4(struct bytes *b, uint8_t type, int64_t t, const void *p, size_t len)
{
	uint8_t pkt[2048];
	uint32_t flags = type == 0x01 ? 0x2 : type == 0x04 ? 0x3 : 0x0;

	pkt[0] = type;
	memcpy(pkt + 1, p, len);
	record(b, flags, t, pkt, len + 1);
}

static void h4_acl(struct bytes *b, bool rx, int64_t t, const void *p, size_t len)
{
	uint8_t pkt[2048];

	pkt[0] = 0x02;
	memcpy(pkt + 1, p, len);
	record(b, rx ? 0x1 : 0x0, t, pkt, len + 1);
}

static size_t acl(uint8_t *out, uint16_t handle, uint8_t pb, const void *data, size_t len)
{
	out[0] = (uint8_t)handle;
	out[1] = (uint8_t)((handle >> 8) | pb << 4);
	out[2] = (uint8_t)len;
	out[3] = (uint8_t)(len >> 8);
	memcpy(out + 4, data, len);
	return 4 + len;
}

/* A whole ATT PDU in one ACL packet. */
static size_t acl_att(uint8_t *out, uint16_t handle, bool rx, const void *att, size_t len)
{
	uint8_t l2[1100] = { (uint8_t)len, (uint8_t)(len >> 8), 0x04, 0x00 };

	memcpy(l2 + 4, att, len);
	return acl(out, handle, rx ? 0x2 : 0x0, l2, len + 4);
}

static void mon_att(struct bytes *b, uint16_t index, bool rx, int64_t t, uint16_t handle,
		    const void *att, size_t len)
{
	uint8_t pkt[1200];
	size_t n = acl_att(pkt, handle, rx, att, len);
	mon(b, index, rx ? MON_ACL_RX : MON_ACL_TX, t, pkt, n);
}

/* LE Connection Complete (0x01), Enhanced (0x0a) or Enhanced v2 (0x29). */
static size_t le_conn_event(uint8_t *out, uint8_t sub, uint16_t handle, uint8_t peer_type,
			    const uint8_t addr[6])
{
	size_t n = 0;

	out[n++] = 0x3e;
	out[n++] = 0; /* length, below */
	out[n++] = sub;
	out[n++] = 0x00; /* status */
	out[n++] = (uint8_t)handle;
	out[n++] = (uint8_t)(handle >> 8);
	out[n++] = 0x00; /* central */
	out[n++] = peer_type;
	memcpy(out + n, addr, 6);
	n += 6;
	if (sub != 0x01) {
		memset(out + n, 0, 12); /* local and peer resolvable private addresses */
		n += 12;
	}
	memcpy(out + n, "\x18\x00\x00\x00\xf4\x01\x00", 7); /* interval, latency, timeout, sca */
	n += 7;
	if (sub == 0x29) {
		memcpy(out + n, "\xff\xff\xff", 3); /* advertising and sync handles */
		n += 3;
	}
	out[1] = (uint8_t)(n - 2);
	return n;
}

static size_t disconn_event(uint8_t *out, uint16_t handle)
{
	uint8_t ev[6] = { 0x05, 4, 0x00, (uint8_t)handle, (uint8_t)(handle >> 8), 0x13 };
	memcpy(out, ev, sizeof(ev));
	return sizeof(ev);
}

/* ---- reading ---------------------------------------------------------------- */

struct got {
	struct notification n;
	uint8_t value[CAPTURE_VALUE_MAX];
};

#define MAX_GOT 64

struct read_result {
	int ret; /* the last capture_reader_next */
	size_t count;
	struct got got[MAX_GOT];
	struct capture_reader_stats stats;
	char error[512];
};

static void read_all(struct capture_reader *r, struct read_result *res)
{
	struct notification n;

	res->count = 0;
	while ((res->ret = capture_reader_next(r, &n)) == 1) {
		if (res->count < MAX_GOT) {
			struct got *g = &res->got[res->count];
			g->n = n;
			memcpy(g->value, n.value, n.len);
			g->n.value = g->value;
		}
		res->count++;
	}
	capture_reader_stats(r, &res->stats);
	snprintf(res->error, sizeof(res->error), "%s", capture_reader_error(r));
}

static int open_mem(const struct bytes *b, size_t len, struct capture_reader **r, char *why,
		    size_t why_len)
{
	FILE *f = fmemopen((void *)b->d, len ? len : 1, "rb");

	assert_non_null(f);
	if (len == 0)
		fgetc(f); /* fmemopen refuses size 0: an empty stream instead */
	return capture_reader_open_stream(f, "test.btsnoop", r, why, why_len);
}

/* Reads a whole in-memory capture, which must open. */
static void read_mem(const struct bytes *b, struct read_result *res,
		     void (*setup)(struct capture_reader *))
{
	struct capture_reader *r;
	char why[256];
	int ret = open_mem(b, b->len, &r, why, sizeof(why));

	if (ret != 0)
		fail_msg("open: %s", why);
	if (setup)
		setup(r);
	read_all(r, res);
	capture_reader_close(r);
}

/* ---- test data files ---------------------------------------------------------- */

static void format_notification(const struct notification *n, char *line, size_t size)
{
	char addr[18], uuid[37];
	int k = snprintf(line, size, "%lld %s %s %04x %s ", (long long)n->host_time_us,
			 notification_addr_to_str(n->addr, addr, sizeof(addr)),
			 n->addr_type ? "random" : "public", n->handle,
			 gatt_uuid_to_str(&n->uuid, uuid, sizeof(uuid)));

	if (n->len == 0)
		snprintf(line + k, size - (size_t)k, "-");
	for (unsigned i = 0; i < n->len && (size_t)k + 3 < size; i++)
		k += snprintf(line + k, size - (size_t)k, "%02x", n->value[i]);
}

static void save_data(const char *name, const struct bytes *b, const struct read_result *res)
{
	const char *dir = getenv("HAMSTRIDE_WRITE_TEST_DATA");
	char path[512], line[4096];
	FILE *f;

	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/capture-%s.btsnoop", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(b->d, 1, b->len, f), b->len);
	assert_int_equal(fclose(f), 0);
	snprintf(path, sizeof(path), "%s/capture-%s.expected", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "# time_us address type handle uuid value (hamstride capture reader)\n");
	for (size_t i = 0; i < res->count && i < MAX_GOT; i++) {
		format_notification(&res->got[i].n, line, sizeof(line));
		fprintf(f, "%s\n", line);
	}
	fprintf(f, "# records %llu notifications %llu skipped %llu unmapped %llu\n",
		(unsigned long long)res->stats.records,
		(unsigned long long)res->stats.notifications,
		(unsigned long long)res->stats.skipped_packets,
		(unsigned long long)res->stats.unmapped);
	assert_int_equal(fclose(f), 0);
}

/* ---- writer -> reader ----------------------------------------------------------- */

static const uint8_t addr_pod[6] = { 0x2e, 0x1b, 0x6a, 0x8d, 0x7c, 0xc4 };
static const uint8_t addr_strap[6] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x00 };
static const uint8_t addr_imu[6] = { 0x10, 0x20, 0x30, 0x40, 0x50, 0xd0 };
/* 6e400003-b5a3-f393-e0a9-e50e24dcca9e (Nordic UART TX), wire order */
static const uint8_t uuid_vendor[16] = { 0x9e, 0xca, 0xdc, 0x24, 0x0e, 0xe5, 0xa9, 0xe0,
					 0x93, 0xf3, 0xa3, 0xb5, 0x03, 0x00, 0x40, 0x6e };

static struct notification make(int64_t t, const uint8_t *addr, uint8_t type, uint16_t handle,
				const struct gatt_uuid *uuid, const uint8_t *value, uint16_t len)
{
	struct notification n = {
		.host_time_us = t, .addr_type = type, .handle = handle, .len = len, .value = value
	};
	memcpy(n.addr, addr, 6);
	if (uuid)
		n.uuid = *uuid;
	return n;
}

static void assert_notification_equal(const struct notification *want,
				      const struct notification *have)
{
	assert_int_equal(have->host_time_us, want->host_time_us);
	assert_memory_equal(have->addr, want->addr, 6);
	assert_int_equal(have->addr_type, want->addr_type);
	assert_int_equal(have->handle, want->handle);
	assert_int_equal(have->uuid.len, want->uuid.len);
	if (want->uuid.len)
		assert_true(gatt_uuid_equal(&have->uuid, &want->uuid));
	assert_int_equal(have->len, want->len);
	if (want->len)
		assert_memory_equal(have->value, want->value, want->len);
}

static char tmp_path[64];

static void make_tmp_path(void)
{
	int fd;

	snprintf(tmp_path, sizeof(tmp_path), "/tmp/test_capture_XXXXXX");
	fd = mkstemp(tmp_path);
	assert_true(fd >= 0);
	close(fd);
}

static size_t load_file(const char *path, struct bytes *b)
{
	FILE *f = fopen(path, "rb");

	assert_non_null(f);
	b->len = fread(b->d, 1, sizeof(b->d), f);
	assert_int_equal(ferror(f), 0);
	fclose(f);
	return b->len;
}

/* The notifications the round trip writes. */
static size_t round_trip_input(struct notification *out, uint8_t *long_value, uint8_t *big_value)
{
	/* RSC: stride present, 3 m/s, 170/min, 1.08 m; then also running */
	static const uint8_t rsc[] = { 0x01, 0x00, 0x03, 0xaa, 0x6c, 0x00 };
	static const uint8_t hr[] = { 0x00, 0x8c };
	static const uint8_t rsc2[] = { 0x05, 0x12, 0x03, 0xab, 0x70, 0x00 };
	struct gatt_uuid u_rsc = gatt_uuid_from16(0x2a53), u_hr = gatt_uuid_from16(0x2a37);
	struct gatt_uuid u_vendor = { .len = 16 };
	size_t n = 0;

	memcpy(u_vendor.bytes, uuid_vendor, 16);
	for (unsigned i = 0; i < 40; i++)
		long_value[i] = (uint8_t)(i * 7 + 1);
	for (unsigned i = 0; i < 600; i++)
		big_value[i] = (uint8_t)(i ^ 0x5a);
	out[n++] = make(T0, addr_pod, 1, 0x000e, &u_rsc, rsc, sizeof(rsc));
	out[n++] = make(T0 + 120, addr_strap, 0, 0x0010, &u_hr, hr, sizeof(hr));
	out[n++] = make(T0 + 250000, addr_imu, 1, 0x0025, &u_vendor, long_value, 40);
	out[n++] = make(T0 + 500000, addr_pod, 1, 0x000e, &u_rsc, rsc2, sizeof(rsc2));
	out[n++] = make(T0 + 750000, addr_imu, 1, 0x0025, &u_vendor, big_value, 600);
	out[n++] = make(T0 + 800000, addr_pod, 1, 0x0031, NULL, hr, sizeof(hr)); /* unknown */
	out[n++] = make(T0 + 900000, addr_strap, 0, 0x0010, &u_hr, hr, 0);
	return n;
}

static void write_round_trip(const char *path, const struct notification *in, size_t n)
{
	struct capture_writer *w;
	char why[256];

	if (capture_writer_open(path, &w, why, sizeof(why)) != 0)
		fail_msg("writer: %s", why);
	assert_int_equal(capture_writer_sensor(w, addr_pod, 1, "Stryd\n pod", T0 - 1000), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(capture_writer_notification(w, &in[i]), 0);
	assert_int_equal(capture_writer_close(w), 0);
}

static void test_round_trip(void **state)
{
	(void)state;
	static uint8_t long_value[40], big_value[600];
	struct notification in[16];
	size_t n = round_trip_input(in, long_value, big_value);
	struct read_result *res = calloc(1, sizeof(*res));
	struct capture_reader *r;
	char why[256];

	make_tmp_path();
	write_round_trip(tmp_path, in, n);
	if (capture_reader_open(tmp_path, &r, why, sizeof(why)) != 0)
		fail_msg("reader: %s", why);
	read_all(r, res);
	capture_reader_close(r);
	assert_int_equal(res->ret, 0);
	assert_int_equal(res->count, n);
	for (size_t i = 0; i < n; i++)
		assert_notification_equal(&in[i], &res->got[i].n);
	assert_int_equal(res->stats.notifications, n);
	assert_int_equal(res->stats.unmapped, 1);
	assert_int_equal(res->stats.skipped_packets, 0);

	struct bytes *b = bytes_new();
	load_file(tmp_path, b);
	save_data("writer", b, res);
	unlink(tmp_path);
	free(b);
	free(res);
}

/* Every prefix of a capture either opens and reads cleanly up to a record
 * boundary or fails with -EBADMSG naming the byte where the file ends. */
static void test_truncated_everywhere(void **state)
{
	(void)state;
	static uint8_t long_value[40], big_value[600];
	struct notification in[16];
	size_t n = round_trip_input(in, long_value, big_value);
	struct read_result *res = calloc(1, sizeof(*res));
	struct bytes *b = bytes_new();
	unsigned clean = 0, truncated = 0;

	make_tmp_path();
	write_round_trip(tmp_path, in, n);
	load_file(tmp_path, b);
	unlink(tmp_path);
	for (size_t len = 0; len < b->len; len++) {
		struct capture_reader *r;
		char why[256], want[64];
		int ret = open_mem(b, len, &r, why, sizeof(why));

		snprintf(want, sizeof(want), "truncated at byte %zu ", len);
		if (ret != 0) {
			assert_int_equal(ret, -EBADMSG);
			assert_null(r);
			assert_true(len == 0 || strstr(why, want));
			continue;
		}
		read_all(r, res);
		capture_reader_close(r);
		assert_true(res->count <= n);
		for (size_t i = 0; i < res->count && i < MAX_GOT; i++)
			assert_notification_equal(&in[i], &res->got[i].n);
		if (res->ret == 0) {
			clean++;
		} else {
			assert_int_equal(res->ret, -EBADMSG);
			if (!strstr(res->error, want))
				fail_msg("len %zu: %s", len, res->error);
			assert_non_null(strstr(res->error, "(record "));
			truncated++;
		}
	}
	/* Prefixes 16.. open; those ending on a record boundary read cleanly. */
	assert_true(clean > 10);
	assert_int_equal(clean + truncated, b->len - 16);
	free(b);
	free(res);
}

static void test_write_error(void **state)
{
	(void)state;
	static const uint8_t v[2] = { 0, 80 };
	struct gatt_uuid u = gatt_uuid_from16(0x2a37);
	struct notification n = make(T0, addr_strap, 0, 0x10, &u, v, 2);
	struct capture_writer *w;
	char why[256];
	int ret = 0;

	if (access("/dev/full", W_OK) != 0)
		skip();
	assert_int_equal(capture_writer_open("/dev/full", &w, why, sizeof(why)), 0);
	/* Buffered: the failure may show at any call, and at close at the latest. */
	for (int i = 0; i < 2000 && ret == 0; i++)
		ret = capture_writer_notification(w, &n);
	assert_true(ret == 0 || ret == -ENOSPC);
	assert_int_equal(capture_writer_close(w), -ENOSPC);

	assert_int_equal(capture_writer_open("/nonexistent/x.btsnoop", &w, why, sizeof(why)),
			 -ENOENT);
	assert_null(w);
	assert_non_null(strstr(why, "/nonexistent/x.btsnoop"));
}

/* ---- hand-built captures ------------------------------------------------------- */

/* Android snoop log (1002): connection, discovery, and a notification whose
 * L2CAP PDU is split over two ACL packets, as a controller with a 27-byte
 * LE buffer sends a 30-byte value. */
static void build_h4_fragments(struct bytes *b)
{
	static const uint8_t req[] = { 0x08, 0x01, 0x00, 0xff, 0xff, 0x03, 0x28 };
	static const uint8_t rsp[] = { 0x09, 0x07, 0x0d, 0x00, 0x10, 0x0e, 0x00, 0x53, 0x2a };
	uint8_t pkt[1200], ev[64], l2[64], value[30];
	size_t n;

	btsnoop_header(b, DL_H4);
	h4(b, 0x01, T0, "\x0d\x20\x00", 3); /* LE Create Connection, no parameters: ignored */
	n = le_conn_event(ev, 0x01, 0x0041, 0x01, addr_pod);
	h4(b, 0x04, T0 + 10, ev, n);
	n = acl_att(pkt, 0x0041, false, req, sizeof(req));
	h4_acl(b, false, T0 + 20, pkt, n);
	n = acl_att(pkt, 0x0041, true, rsp, sizeof(rsp));
	h4_acl(b, true, T0 + 30, pkt, n);

	for (unsigned i = 0; i < sizeof(value); i++)
		value[i] = (uint8_t)(0xa0 + i);
	l2[0] = 3 + sizeof(value);
	l2[1] = 0;
	l2[2] = 0x04;
	l2[3] = 0x00;
	l2[4] = 0x1b;
	l2[5] = 0x0e;
	l2[6] = 0x00;
	memcpy(l2 + 7, value, sizeof(value));
	n = acl(pkt, 0x0041, 0x2, l2, 27);
	h4_acl(b, true, T0 + 40, pkt, n);
	n = acl(pkt, 0x0041, 0x1, l2 + 27, 7 + sizeof(value) - 27);
	h4_acl(b, true, T0 + 41, pkt, n);
}

static void test_h4_fragments(void **state)
{
	(void)state;
	struct bytes *b = bytes_new();
	struct read_result *res = calloc(1, sizeof(*res));
	struct gatt_uuid u = gatt_uuid_from16(0x2a53);

	build_h4_fragments(b);
	read_mem(b, res, NULL);
	assert_int_equal(res->ret, 0);
	assert_int_equal(res->count, 1);
	const struct notification *n = &res->got[0].n;
	assert_int_equal(n->host_time_us, T0 + 41);
	assert_memory_equal(n->addr, addr_pod, 6);
	assert_int_equal(n->addr_type, NOTIFICATION_ADDR_RANDOM);
	assert_int_equal(n->handle, 0x000e);
	assert_true(gatt_uuid_equal(&n->uuid, &u));
	assert_int_equal(n->len, 30);
	for (unsigned i = 0; i < 30; i++)
		assert_int_equal(n->value[i], 0xa0 + i);
	assert_int_equal(res->stats.records, 6);
	assert_int_equal(res->stats.skipped_packets, 0);
	assert_int_equal(res->stats.unmapped, 0);
	save_data("h4-fragments", b, res);
	free(b);
	free(res);
}

/* The same exchange in the older 1001 format (flags carry the type). */
static void test_hci_1001(void **state)
{
	(void)state;
	static const uint8_t ntf[] = { 0x1b, 0x0e, 0x00, 0x02, 0x00, 0x01 };
	struct bytes *b = bytes_new();
	struct read_result *res = calloc(1, sizeof(*res));
	uint8_t pkt[64], ev[64];
	size_t n;

	btsnoop_header(b, DL_HCI);
	n = le_conn_event(ev, 0x0a, 0x0002, 0x02, addr_strap); /* public identity */
	record(b, 0x3, T0, ev, n);
	n = acl_att(pkt, 0x0002, true, ntf, sizeof(ntf));
	record(b, 0x0, T0 + 1, pkt, n); /* host -> controller: not a notification */
	record(b, 0x1, T0 + 2, pkt, n);
	record(b, 0x2, T0 + 3, "\x03\x0c\x00", 3); /* HCI Reset command */
	read_mem(b, res, NULL);
	assert_int_equal(res->ret, 0);
	assert_int_equal(res->count, 1);
	assert_int_equal(res->got[0].n.host_time_us, T0 + 2);
	assert_memory_equal(res->got[0].n.addr, addr_strap, 6);
	assert_int_equal(res->got[0].n.addr_type, NOTIFICATION_ADDR_PUBLIC);
	assert_int_equal(res->got[0].n.uuid.len, 0);
	assert_int_equal(res->stats.unmapped, 1);
	free(b);
	free(res);
}

static void map_overrides(struct capture_reader *r)
{
	struct gatt_uuid hr = gatt_uuid_from16(0x2a37), vendor = { .len = 16 };

	memcpy(vendor.bytes, uuid_vendor, 16);
	capture_reader_map(r, 0x000e, &vendor);
	capture_reader_map(r, 0x000e, &hr); /* the last word counts */
	capture_reader_map(r, 0x0020, &vendor);
}

/* --map wins over the discovery in the capture and names undiscovered ones. */
static void test_map_override(void **state)
{
	(void)state;
	static const uint8_t ntf_e[] = { 0x1b, 0x0e, 0x00, 0x00, 0x60 };
	static const uint8_t ntf_20[] = { 0x1b, 0x20, 0x00, 0x42 };
	static const uint8_t ntf_30[] = { 0x1b, 0x30, 0x00, 0x43 };
	struct bytes *b = bytes_new();
	struct read_result *res = calloc(1, sizeof(*res));
	struct gatt_uuid hr = gatt_uuid_from16(0x2a37), vendor = { .len = 16 };
	uint8_t pkt[64];
	size_t n;

	memcpy(vendor.bytes, uuid_vendor, 16);
	build_h4_fragments(b); /* discovers 0x000e as 0x2a53 */
	n = acl_att(pkt, 0x0041, true, ntf_e, sizeof(ntf_e));
	h4_acl(b, true, T0 + 100, pkt, n);
	n = acl_att(pkt, 0x0041, true, ntf_20, sizeof(ntf_20));
	h4_acl(b, true, T0 + 101, pkt, n);
	n = acl_att(pkt, 0x0041, true, ntf_30, sizeof(ntf_30));
	h4_acl(b, true, T0 + 102, pkt, n);
	read_mem(b, res, map_overrides);
	assert_int_equal(res->ret, 0);
	assert_int_equal(res->count, 4);
	assert_true(gatt_uuid_equal(&res->got[0].n.uuid, &hr));
	assert_true(gatt_uuid_equal(&res->got[1].n.uuid, &hr));
	assert_true(gatt_uuid_equal(&res->got[2].n.uuid, &vendor));
	assert_int_equal(res->got[3].n.uuid.len, 0);
	assert_int_equal(res->stats.unmapped, 1);
	free(b);
	free(res);
}

/*
 * A capture laid out as btmon -w writes it (BlueZ monitor/control.c passes
 * each monitor-socket packet to btsnoop_write_hci): New Index, Open Index,
 * Index Info, system note and bluetoothd's user logging on index 0xffff,
 * then HCI traffic. Two controllers reuse connection handle 0x0040, which
 * only the controller index tells apart.
 */
static void build_btmon_layout(struct bytes *b)
{
	static const uint8_t ctrl0[6] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66 };
	static const uint8_t mtu_req[] = { 0x02, 0x00, 0x02 };
	static const uint8_t mtu_rsp[] = { 0x03, 0xf7, 0x00 };
	/* Read By Type 0x2a00 (device name): a 7-byte item that looks like a
	 * declaration (handle 3, value handle 4) but is not one. */
	static const uint8_t name_req[] = { 0x08, 0x01, 0x00, 0xff, 0xff, 0x00, 0x2a };
	static const uint8_t name_rsp[] = { 0x09, 0x07, 0x03, 0x00, 'x', 0x04, 0x00, 'y', 'z' };
	static const uint8_t chr_req[] = { 0x08, 0x01, 0x00, 0xff, 0xff, 0x03, 0x28 };
	static const uint8_t chr_rsp[] = { 0x09, 0x07, 0x0d, 0x00, 0x10, 0x0e, 0x00, 0x53,
					   0x2a, 0x0f, 0x00, 0x02, 0x10, 0x00, 0x54, 0x2a,
					   0x11, 0x00, 0x02, 0x12, 0x00, 0x5d, 0x2a };
	static const uint8_t chr128_rsp[] = { 0x09, 0x15, 0x24, 0x00, 0x10, 0x25, 0x00, 0x9e,
					      0xca, 0xdc, 0x24, 0x0e, 0xe5, 0xa9, 0xe0, 0x93,
					      0xf3, 0xa3, 0xb5, 0x03, 0x00, 0x40, 0x6e };
	static const uint8_t ntf[] = { 0x1b, 0x0e, 0x00, 0x01, 0x00, 0x03, 0xaa, 0x6c, 0x00 };
	static const uint8_t ind[] = { 0x1d, 0x04, 0x00, 0x55 };
	static const uint8_t multi[] = { 0x23, 0x0e, 0x00, 0x04, 0x00, 0x00, 0x00,
					 0x03, 0xa8, 0x25, 0x00, 0x01, 0x00, 0x77 };
	uint8_t ni[16] = { 0x00, 0x01 }, info[8], ev[64];
	size_t n;

	memcpy(ni + 2, ctrl0, 6);
	memcpy(ni + 8, "hci0\0\0\0\0", 8);
	memcpy(info, ctrl0, 6);
	info[6] = 0x02; /* manufacturer: Intel */
	info[7] = 0x00;
	btsnoop_header(b, DL_MONITOR);
	mon(b, 0, MON_NEW_INDEX, T0, ni, sizeof(ni));
	mon(b, 0, MON_OPEN_INDEX, T0, NULL, 0);
	mon(b, 0, MON_INDEX_INFO, T0, info, sizeof(info));
	ni[8 + 3] = '1';
	mon(b, 1, MON_NEW_INDEX, T0, ni, sizeof(ni));
	mon(b, 0xffff, MON_SYSTEM_NOTE, T0, "Bluetooth subsystem version 2.22", 33);
	mon(b, 0xffff, MON_USER_LOGGING, T0 + 1,
	    "\x06\x0b"
	    "bluetoothd\0"
	    "Bluetooth daemon 5.66",
	    2 + 11 + 22);
	mon(b, 0, MON_COMMAND, T0 + 5, "\x43\x20\x00", 3); /* LE Extended Create Connection */
	mon(b, 0, MON_EVENT, T0 + 6, "\x0f\x04\x00\x01\x43\x20", 6); /* Command Status */
	n = le_conn_event(ev, 0x0a, 0x0040, 0x01, addr_pod);
	mon(b, 0, MON_EVENT, T0 + 10, ev, n);
	n = le_conn_event(ev, 0x01, 0x0040, 0x00, addr_strap);
	mon(b, 1, MON_EVENT, T0 + 11, ev, n);
	mon_att(b, 0, false, T0 + 20, 0x0040, mtu_req, sizeof(mtu_req));
	mon_att(b, 0, true, T0 + 21, 0x0040, mtu_rsp, sizeof(mtu_rsp));
	mon(b, 0, 0x0011, T0 + 21, "\x00", 1); /* an opcode we do not know */
	mon_att(b, 0, false, T0 + 22, 0x0040, name_req, sizeof(name_req));
	mon_att(b, 0, true, T0 + 23, 0x0040, name_rsp, sizeof(name_rsp));
	mon_att(b, 0, false, T0 + 24, 0x0040, chr_req, sizeof(chr_req));
	mon_att(b, 0, true, T0 + 25, 0x0040, chr_rsp, sizeof(chr_rsp));
	mon_att(b, 0, false, T0 + 26, 0x0040, chr_req, sizeof(chr_req));
	mon_att(b, 0, true, T0 + 27, 0x0040, chr128_rsp, sizeof(chr128_rsp));
	/* Number of Completed Packets, as controllers send after TX */
	mon(b, 0, MON_EVENT, T0 + 28, "\x13\x05\x01\x40\x00\x01\x00", 7);
	mon_att(b, 0, true, T0 + 1000, 0x0040, ntf, sizeof(ntf));     /* 1: 2a53 */
	mon_att(b, 1, true, T0 + 1001, 0x0040, ntf, sizeof(ntf));     /* 2: other index */
	mon_att(b, 0, true, T0 + 1002, 0x0040, ind, sizeof(ind));     /* 3: 0x0004 unmapped */
	mon_att(b, 0, true, T0 + 1003, 0x0040, multi, sizeof(multi)); /* 4, 5 */
	n = disconn_event(ev, 0x0040);
	mon(b, 0, MON_EVENT, T0 + 2000, ev, n);
	n = le_conn_event(ev, 0x29, 0x0040, 0x00, addr_imu);
	mon(b, 0, MON_EVENT, T0 + 3000, ev, n);
	mon_att(b, 0, true, T0 + 3001, 0x0040, ntf, sizeof(ntf)); /* 6: new peer */
	mon(b, 1, MON_DEL_INDEX, T0 + 4000, NULL, 0);
	mon_att(b, 1, true, T0 + 4001, 0x0040, ntf, sizeof(ntf)); /* 7: unknown peer */
}

static void test_btmon_layout(void **state)
{
	(void)state;
	static const uint8_t zero[6];
	struct bytes *b = bytes_new();
	struct read_result *res = calloc(1, sizeof(*res));
	struct gatt_uuid rsc = gatt_uuid_from16(0x2a53), vendor = { .len = 16 };
	const struct got *g = res->got;

	memcpy(vendor.bytes, uuid_vendor, 16);
	build_btmon_layout(b);
	read_mem(b, res, NULL);
	assert_int_equal(res->ret, 0);
	assert_int_equal(res->count, 7);

	assert_int_equal(g[0].n.host_time_us, T0 + 1000);
	assert_memory_equal(g[0].n.addr, addr_pod, 6);
	assert_int_equal(g[0].n.addr_type, NOTIFICATION_ADDR_RANDOM);
	assert_true(gatt_uuid_equal(&g[0].n.uuid, &rsc));
	assert_int_equal(g[0].n.len, 6);

	assert_memory_equal(g[1].n.addr, addr_strap, 6); /* same handle, controller 1 */
	assert_int_equal(g[1].n.addr_type, NOTIFICATION_ADDR_PUBLIC);
	assert_int_equal(g[1].n.uuid.len, 0); /* nothing discovered there */

	assert_int_equal(g[2].n.handle, 0x0004); /* indication; device name item ignored */
	assert_int_equal(g[2].n.uuid.len, 0);

	assert_int_equal(g[3].n.handle, 0x000e);
	assert_int_equal(g[3].n.len, 4);
	assert_true(gatt_uuid_equal(&g[3].n.uuid, &rsc));
	assert_int_equal(g[4].n.handle, 0x0025);
	assert_int_equal(g[4].n.len, 1);
	assert_int_equal(g[4].n.value[0], 0x77);
	assert_true(gatt_uuid_equal(&g[4].n.uuid, &vendor));

	assert_memory_equal(g[5].n.addr, addr_imu, 6); /* reconnection forgot discovery */
	assert_int_equal(g[5].n.uuid.len, 0);
	assert_memory_equal(g[6].n.addr, zero, 6); /* controller 1 was removed */

	assert_int_equal(res->stats.notifications, 7);
	assert_int_equal(res->stats.unmapped, 4);
	assert_int_equal(res->stats.skipped_packets, 0);
	save_data("btmon-layout", b, res);
	free(b);
	free(res);
}

/* Malformed packets inside well-formed records are skipped and counted;
 * the notification after them still arrives. */
static void test_garbage_inside_records(void **state)
{
	(void)state;
	static const uint8_t ntf[] = { 0x1b, 0x0e, 0x00, 0x01 };
	static uint8_t huge[70000];
	struct bytes *b = bytes_new();
	struct read_result *res = calloc(1, sizeof(*res));
	uint8_t pkt[64], l2[16] = { 0x09, 0x00, 0x04, 0x00, 0x1b, 0x0e };
	size_t n;

	btsnoop_header(b, DL_MONITOR);
	mon(b, 0, MON_EVENT, T0, "\x3e\x13\x01", 3);          /* 1: plen beyond the record */
	mon(b, 0, MON_EVENT, T0, "\x3e\x02\x01\x00", 4);      /* 2: connection event cut */
	mon(b, 0, MON_ACL_RX, T0, "\x40\x20\x10\x00\x01", 5); /* 3: ACL length beyond */
	mon_att(b, 0, true, T0, 0x0040, "\x1b\x0e", 2);       /* 4: handle cut */
	mon_att(b, 0, true, T0, 0x0040, "", 0);               /* 5: no ATT opcode */
	n = acl(pkt, 0x0040, 0x2, l2, 6);                     /* L2CAP says 9 bytes... */
	mon(b, 0, MON_ACL_RX, T0, pkt, n);
	mon(b, 0, MON_ACL_RX, T0, pkt, n); /* 6: ...but a new PDU starts */
	/* 7: that one never completes either; 8: a value longer than its PDU */
	mon_att(b, 0, true, T0, 0x0040, "\x23\x0e\x00\x09\x00\x01", 6);
	mon_att(b, 0, true, T0, 0x0040, "\x09\x07\x0d\x00", 4); /* 9: Read By Type cut */
	n = acl(pkt, 0x0040, 0x1, l2, 6);                       /* stray continuation: ignored */
	mon(b, 0, MON_ACL_RX, T0, pkt, n);
	mon(b, 0, MON_ACL_RX, T0, huge, sizeof(huge)); /* 10: longer than any HCI packet */
	mon_att(b, 0, true, T0 + 5, 0x0040, ntf, sizeof(ntf));
	read_mem(b, res, NULL);
	assert_int_equal(res->ret, 0);
	assert_int_equal(res->count, 1);
	assert_int_equal(res->got[0].n.host_time_us, T0 + 5);
	assert_int_equal(res->got[0].n.value[0], 0x01);
	/* The record longer than any HCI packet is damage: skipped past whole. */
	assert_int_equal(res->stats.records, 11);
	assert_int_equal(res->stats.skipped_packets, 9);
	assert_int_equal(res->stats.damaged, 1);
	assert_int_equal(res->stats.skipped_bytes, 24 + sizeof(huge));
	free(b);
	free(res);
}

static void expect_open_error(const struct bytes *b, int err, const char *text)
{
	struct capture_reader *r = (void *)1;
	char why[512];

	assert_int_equal(open_mem(b, b->len, &r, why, sizeof(why)), err);
	assert_null(r);
	if (!strstr(why, text))
		fail_msg("\"%s\" does not say \"%s\"", why, text);
}

static void test_bad_files(void **state)
{
	(void)state;
	struct bytes *b = bytes_new();
	struct capture_reader *r;
	char why[512];

	put(b, "\xd4\xc3\xb2\xa1\x02\x00\x04\x00 pcap, not btsnoop", 26);
	expect_open_error(b, -EBADMSG, "test.btsnoop is not a btsnoop capture (it is a pcap");
	b->len = 0;
	put(b, "hello", 5);
	expect_open_error(b, -EBADMSG, "not a btsnoop capture");
	b->len = 0;
	expect_open_error(b, -EBADMSG, "empty");
	put(b, "btsno", 5);
	expect_open_error(b, -EBADMSG, "truncated at byte 5 (file header)");
	b->len = 0;
	btsnoop_header(b, 1003);
	expect_open_error(b, -ENOTSUP, "datalink 1003 (HCI BSCP)");
	b->len = 0;
	put(b, "btsnoop", 8);
	put_be32(b, 2);
	put_be32(b, DL_MONITOR);
	expect_open_error(b, -EBADMSG, "version 2");
	assert_int_equal(capture_reader_open("/nonexistent.btsnoop", &r, why, sizeof(why)),
			 -ENOENT);
	assert_non_null(strstr(why, "/nonexistent.btsnoop"));

	/* A record cut short after a good one: the good one first, then the error. */
	b->len = 0;
	build_h4_fragments(b);
	b->len -= 3;
	struct read_result *res = calloc(1, sizeof(*res));
	read_mem(b, res, NULL);
	assert_int_equal(res->ret, -EBADMSG);
	assert_int_equal(res->count, 0);
	snprintf(why, sizeof(why), "capture file test.btsnoop is truncated at byte %zu (record 6)",
		 b->len);
	assert_string_equal(res->error, why);
	free(res);
	free(b);
}

/* A capture of n notifications 100 ms apart on one connection; *at[i] is
 * the byte where record i (0: the connection event) starts. */
static void build_ticks(struct bytes *b, unsigned n, size_t *at)
{
	uint8_t ev[32], ntf[4] = { 0x1b, 0x0e, 0x00, 0x00 };
	size_t len = le_conn_event(ev, 0x01, 0x0040, 1, addr_pod);

	btsnoop_header(b, DL_MONITOR);
	at[0] = b->len;
	mon(b, 0, MON_EVENT, T0, ev, len);
	for (unsigned i = 0; i < n; i++) {
		ntf[3] = (uint8_t)i;
		at[i + 1] = b->len;
		mon_att(b, 0, true, T0 + 100000 * (int64_t)(i + 1), 0x0040, ntf, sizeof(ntf));
	}
}

/* Overwrites the time of the record starting at byte at. */
static void stamp(struct bytes *b, size_t at, int64_t time_us)
{
	uint64_t ts = (uint64_t)(time_us + EPOCH_US);
	for (int i = 0; i < 8; i++)
		b->d[at + 16 + (size_t)i] = (uint8_t)(ts >> (56 - 8 * i));
}

/* Issues 17.2 and 18.4: one record's time damaged (a flipped high byte,
 * an hour, 10^15 µs) is skipped and counted, and the others keep their
 * times, so a replay neither splits the run nor waits for it. */
static void test_damaged_timestamp_is_skipped(void **state)
{
	(void)state;
	static const int64_t damage_us[] = { INT64_C(1) << 56, INT64_C(3600000000),
					     INT64_C(1000000000000000), -INT64_C(3600000000) };
	struct read_result *res = calloc(1, sizeof(*res));

	for (size_t k = 0; k < sizeof(damage_us) / sizeof(damage_us[0]); k++) {
		struct bytes *b = bytes_new();
		size_t at[12];
		char want[64];

		build_ticks(b, 10, at);
		stamp(b, at[5], T0 + 500000 + damage_us[k]);
		read_mem(b, res, NULL);
		assert_int_equal(res->ret, 0);
		assert_int_equal(res->count, 9);
		assert_int_equal(res->stats.bad_times, 1);
		assert_int_equal(res->stats.first_damage_byte, at[5]);
		for (size_t i = 0; i < res->count; i++) {
			int64_t t = res->got[i].n.host_time_us;
			assert_true(t >= T0 && t <= T0 + 1000000);
			assert_int_not_equal(res->got[i].n.value[0], 4); /* the damaged one */
		}
		struct capture_reader *r;
		char why[256];
		assert_int_equal(open_mem(b, b->len, &r, why, sizeof(why)), 0);
		read_all(r, res);
		snprintf(want, sizeof(want), "at byte %zu is stamped", at[5]);
		if (!strstr(capture_reader_damage(r), want))
			fail_msg("\"%s\" does not say \"%s\"", capture_reader_damage(r), want);
		capture_reader_close(r);
		free(b);
	}
	/* A real pause (the times after it agree) is no damage. */
	struct bytes *b = bytes_new();
	size_t at[12];
	build_ticks(b, 10, at);
	for (unsigned i = 5; i <= 10; i++)
		stamp(b, at[i], T0 + 100000 * i + INT64_C(3600000000));
	read_mem(b, res, NULL);
	assert_int_equal(res->count, 10);
	assert_int_equal(res->stats.bad_times, 0);
	free(b);
	free(res);
}

/* Issue 18.3: one damaged record length no longer throws the rest away:
 * the reader resumes at the next readable record, counts the bytes it
 * skipped and names the byte where the damage is. Every length byte of
 * every record is tried, with each of a few damaging values. */
static void test_damaged_length_resyncs(void **state)
{
	(void)state;
	static const uint8_t values[] = { 0x01, 0x7f, 0xff };
	struct read_result *res = calloc(1, sizeof(*res));
	struct bytes *clean = bytes_new(), *b = bytes_new();
	size_t at[42];
	unsigned tried = 0;

	build_ticks(clean, 40, at);
	for (unsigned rec = 1; rec < 40; rec++) {
		for (unsigned byte = 0; byte < 8; byte++) {
			for (size_t v = 0; v < sizeof(values); v++) {
				memcpy(b, clean, sizeof(*b));
				if (b->d[at[rec] + byte] == values[v])
					continue;
				b->d[at[rec] + byte] = values[v];
				read_mem(b, res, NULL);
				tried++;
				if (res->ret != 0)
					fail_msg("record %u byte %u = %02x: %s", rec, byte,
						 values[v], res->error);
				/* At most the damaged record is lost. */
				assert_true(res->count >= 39);
				if (res->count == 40)
					continue; /* only the original length was hit */
				assert_int_equal(res->stats.damaged, 1);
				assert_int_equal(res->stats.first_damage_byte, at[rec]);
				assert_int_equal(res->got[39 - 1].n.value[0], 39);
			}
		}
	}
	assert_true(tried > 500);
	free(clean);
	free(b);
	free(res);
}

/* The checked-in captures still read as their expectations say. */
static void test_data_files(void **state)
{
	(void)state;
	static const char *const names[] = { "writer", "h4-fragments", "btmon-layout" };
	const char *root = getenv("HAMSTRIDE_SOURCE_ROOT");
	struct read_result *res = calloc(1, sizeof(*res));
	char path[512], want[4096], have[4096];

	if (!root)
		skip();
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		struct capture_reader *r;
		FILE *f;
		size_t i = 0;

		snprintf(path, sizeof(path), "%s/tests/data/capture-%s.btsnoop", root, names[k]);
		if (capture_reader_open(path, &r, want, sizeof(want)) != 0)
			fail_msg("%s", want);
		read_all(r, res);
		capture_reader_close(r);
		assert_int_equal(res->ret, 0);
		snprintf(path, sizeof(path), "%s/tests/data/capture-%s.expected", root, names[k]);
		f = fopen(path, "r");
		assert_non_null(f);
		while (fgets(want, sizeof(want), f)) {
			want[strcspn(want, "\n")] = '\0';
			if (want[0] == '#')
				continue;
			assert_true(i < res->count);
			format_notification(&res->got[i++].n, have, sizeof(have));
			assert_string_equal(have, want);
		}
		fclose(f);
		assert_int_equal(i, res->count);
	}
	free(res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_write_error),
		cmocka_unit_test(test_h4_fragments),
		cmocka_unit_test(test_hci_1001),
		cmocka_unit_test(test_map_override),
		cmocka_unit_test(test_btmon_layout),
		cmocka_unit_test(test_garbage_inside_records),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_data_files),
		cmocka_unit_test(test_damaged_timestamp_is_skipped),
		cmocka_unit_test(test_damaged_length_resyncs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
