// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target for the GATT client and the ATT bearer under it
 * (ble/gatt_client.h, ble/att.h): the fuzzer plays a peripheral the daemon
 * has connected to, answering discovery and notifying with whatever it
 * likes. The input is a run of PDUs, each a length byte and its bytes,
 * sent one at a time over a socketpair that keeps PDU boundaries as L2CAP
 * does; what the client sends back is read and dropped. Checked: ready is
 * reported at most once; a notification handed on fits the MTU and has
 * the type of the characteristic discovered at its handle, or none.
 */
#include <sys/socket.h>
#include <unistd.h>

#include "ble/att.h"
#include "ble/gatt_client.h"
#include "fuzz.h"

struct peer {
	struct gatt_client *client;
	struct att *att;
	unsigned ready_calls;
	unsigned notes;
};

static void on_ready(bool ok, const char *why, const struct gatt_db *db, void *user)
{
	struct peer *p = user;
	p->ready_calls++;
	FUZZ_CHECK(p->ready_calls == 1);
	FUZZ_CHECK(ok ? db != NULL : why != NULL && why[0] != '\0');
}

static void on_note(const struct notification *n, void *user)
{
	struct peer *p = user;
	p->notes++;
	FUZZ_CHECK(n->len + 3u <= att_get_mtu(p->att));
	/* Typed by the characteristic discovered at its handle, else unknown. */
	const struct gatt_characteristic *ch = gatt_client_find_by_handle(p->client, n->handle);
	FUZZ_CHECK(ch ? gatt_uuid_equal(&n->uuid, &ch->uuid) : n->uuid.len == 0);
	volatile uint8_t sink = 0;
	for (size_t i = 0; i < n->len; i++)
		sink ^= n->value[i];
	(void)sink;
}

static void quiet(int level, const char *message, void *user)
{
	(void)level, (void)message, (void)user;
}

/* What the client sent: read and dropped, so the socket never fills. */
static void drain(int fd)
{
	uint8_t buf[600];
	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t addr[NOTIFICATION_ADDR_LEN] = { 1, 2, 3, 4, 5, 6 };
	int fds[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0)
		return 0;
	int64_t now_us = 1700000000000000LL;
	struct peer p = { .att = att_new(fds[0], 247) };
	att_set_log_handler(p.att, quiet, NULL, NULL);
	p.client = gatt_client_new(p.att, addr, NOTIFICATION_ADDR_RANDOM);
	gatt_client_set_ready_handler(p.client, on_ready, &p, NULL);
	gatt_client_set_notify_handler(p.client, on_note, &p, NULL);
	struct gatt_uuid rsc = gatt_uuid_from16(UUID_RSC_MEASUREMENT);
	struct gatt_uuid hr = gatt_uuid_from16(UUID_HEART_RATE_MEASUREMENT);
	struct gatt_uuid feature = gatt_uuid_from16(UUID_RSC_FEATURE);
	gatt_client_subscribe(p.client, &rsc);
	gatt_client_subscribe(p.client, &hr);
	gatt_client_read_on_ready(p.client, &feature);
	if (gatt_client_start(p.client, now_us) == 0) {
		size_t at = 0;
		while (at < size && !att_has_failed(p.att)) {
			while (att_wants_write(p.att))
				att_process_writable(p.att);
			drain(fds[1]);
			size_t len = data[at++];
			if (len > size - at)
				len = size - at;
			/* A zero-length PDU: let the request time out instead. */
			if (len == 0) {
				now_us += 31000000;
				att_process_timeout(p.att, now_us);
				continue;
			}
			if (send(fds[1], data + at, len, MSG_DONTWAIT) == (ssize_t)len)
				att_process_readable(p.att, now_us);
			at += len;
			now_us += 1000;
		}
	}
	gatt_client_free(p.client);
	att_free(p.att);
	close(fds[0]);
	close(fds[1]);
	return 0;
}
