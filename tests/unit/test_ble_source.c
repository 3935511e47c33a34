// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The live source against fake sensors over socketpair(): the fake GATT
 * server of tests/fake_sensor plays each sensor, a fake clock drives the
 * timeouts and backoff, and a real ingest pipeline stores into SQLite in a
 * temporary folder, so runs and gaps are checked where they end up.
 */
#include "att_script.h"
#include "ble/ble_source.h"
#include "ble/gatt_client.h"
#include "log.h"
#include "feed.h"
#include "gatt_server.h"
#include "profiles.h"
#include "store/pods.h"
#include "sim/imu_sim.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>

#define MAX_PEERS 4
#define MAX_FDS 1024
#define UTC_OFFSET_US INT64_C(1790000000000000) /* UTC minus monotonic */
#define MS INT64_C(1000)
#define SEC INT64_C(1000000)

struct peer {
	struct ble_sensor sensor;
	struct gatt_server *server;
	struct fake_db db;
	int fd;           /* the sensor's end of the link, -1 if none */
	int client_fd;    /* the daemon's end */
	bool pending;     /* connect started, result not yet taken */
	bool unreachable; /* connects never complete */
	int open_error;   /* open fails with this (negative) */
	bool silent;      /* connected but never answers */
	unsigned opens;
	int64_t open_times[64];
	bool asked_params;
	struct ble_link_conn_params params;
};

struct fixture {
	char dir[64];
	char db_path[96];
	struct store *store;
	struct ingest *ingest;
	struct ble_source *src;
	struct peer peers[MAX_PEERS];
	size_t n_peers;
	int64_t now_us; /* monotonic */
	unsigned watched[MAX_FDS];
	bool one_pending; /* the fake kernel: one connect at a time */
	unsigned max_pending;
	unsigned closes;
};

/* --- the fake kernel and clock ----------------------------------------- */

static struct peer *peer_by_addr(struct fixture *f, const uint8_t *addr)
{
	for (size_t i = 0; i < f->n_peers; i++)
		if (memcmp(f->peers[i].sensor.addr, addr, NOTIFICATION_ADDR_LEN) == 0)
			return &f->peers[i];
	return NULL;
}

static struct peer *peer_by_client(struct fixture *f, int fd)
{
	for (size_t i = 0; i < f->n_peers; i++)
		if (f->peers[i].client_fd == fd)
			return &f->peers[i];
	return NULL;
}

static unsigned pending_count(const struct fixture *f)
{
	unsigned n = 0;
	for (size_t i = 0; i < f->n_peers; i++)
		n += f->peers[i].pending;
	return n;
}

static int fake_open(void *ctx, const struct ble_sensor *sensor)
{
	struct fixture *f = ctx;
	struct peer *p = peer_by_addr(f, sensor->addr);
	assert_non_null(p);
	assert_true(p->opens < 64);
	p->open_times[p->opens++] = f->now_us;
	if (p->open_error)
		return p->open_error;
	if (f->one_pending && pending_count(f) > 0)
		return -EBUSY;
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv),
			 0);
	assert_true(sv[0] < MAX_FDS);
	p->client_fd = sv[0];
	p->fd = sv[1];
	p->pending = true;
	if (pending_count(f) > f->max_pending)
		f->max_pending = pending_count(f);
	return sv[0];
}

static int fake_connect_result(void *ctx, int fd)
{
	struct peer *p = peer_by_client(ctx, fd);
	assert_non_null(p);
	assert_true(p->pending);
	p->pending = false;
	if (!p->silent)
		gatt_server_attach(p->server, p->fd);
	return 0;
}

static int fake_rx_mtu(void *ctx, int fd)
{
	(void)ctx;
	(void)fd;
	return 672;
}

static int fake_conn_params(void *ctx, int fd, const struct ble_link_conn_params *params,
			    uint16_t *handle)
{
	struct peer *p = peer_by_client(ctx, fd);
	assert_non_null(p);
	p->asked_params = true;
	p->params = *params;
	*handle = 0x0040;
	return 0;
}

static void fake_close(void *ctx, int fd)
{
	struct fixture *f = ctx;
	struct peer *p = peer_by_client(f, fd);
	assert_int_equal(f->watched[fd], 0);
	if (p) {
		p->client_fd = -1;
		p->pending = false;
	}
	f->closes++;
	close(fd);
}

static int fake_watch(void *ctx, int fd, unsigned events)
{
	struct fixture *f = ctx;
	assert_true(fd >= 0 && fd < MAX_FDS);
	f->watched[fd] = events;
	return 0;
}

static int64_t fake_mono(void *ctx)
{
	return ((struct fixture *)ctx)->now_us;
}

static int64_t fake_utc(void *ctx)
{
	return ((struct fixture *)ctx)->now_us + UTC_OFFSET_US;
}

/* --- set-up ----------------------------------------------------------- */

static struct peer *add_peer(struct fixture *f, uint8_t last_byte, enum ble_role role,
			     unsigned profiles)
{
	struct peer *p = &f->peers[f->n_peers++];
	*p = (struct peer){ .fd = -1, .client_fd = -1 };
	const uint8_t addr[NOTIFICATION_ADDR_LEN] = { last_byte, 0x1B, 0x6A, 0x8D, 0x7C, 0xC4 };
	memcpy(p->sensor.addr, addr, sizeof(addr));
	p->sensor.addr_type = NOTIFICATION_ADDR_RANDOM;
	p->sensor.role = role;
	p->server = gatt_server_new(247);
	fake_db_build(p->server, profiles, "fake", &p->db);
	return p;
}

static void set_all_sensors(struct fixture *f)
{
	struct ble_sensor list[MAX_PEERS];
	for (size_t i = 0; i < f->n_peers; i++)
		list[i] = f->peers[i].sensor;
	assert_true(ble_source_set_sensors(f->src, list, f->n_peers));
}

static void fixture_open(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_ble_source-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db_path, sizeof(f->db_path), "%s/h.db", f->dir);
	char why[256];
	assert_int_equal(store_open(f->db_path, STORE_READ_WRITE, &f->store, why, sizeof(why)), 0);
	struct ingest_config config;
	ingest_config_default(&config);
	config.source = "ble test";
	config.session.gap_us = 5 * SEC;
	f->ingest = ingest_new(f->store, &config);
	f->now_us = 1000 * SEC;
	const struct ble_io io = {
		.open = fake_open,
		.connect_result = fake_connect_result,
		.rx_mtu = fake_rx_mtu,
		.request_conn_params = fake_conn_params,
		.close = fake_close,
		.watch = fake_watch,
		.monotonic_us = fake_mono,
		.utc_us = fake_utc,
		.ctx = f,
	};
	f->src = ble_source_new(f->ingest, &io);
	log_set_level(LOG_LEVEL_INFO);
}

static void peer_disconnect(struct peer *p)
{
	if (p->fd < 0)
		return;
	gatt_server_detach(p->server);
	fake_db_link_closed(&p->db);
	close(p->fd);
	p->fd = -1;
}

static void fixture_close(struct fixture *f)
{
	ble_source_free(f->src);
	for (size_t i = 0; i < f->n_peers; i++) {
		peer_disconnect(&f->peers[i]);
		gatt_server_free(f->peers[i].server);
	}
	ingest_free(f->ingest);
	store_close(f->store);
	char path[128];
	const char *files[] = { "h.db", "h.db-wal", "h.db-shm" };
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", f->dir, files[i]);
		unlink(path);
	}
	rmdir(f->dir);
}

/* --- driving it, as the daemon's loop does ----------------------------- */

static unsigned ready_events(int fd, unsigned want)
{
	struct pollfd pfd = { .fd = fd,
			      .events = (short)((want & BLE_EV_READ ? POLLIN : 0) |
						(want & BLE_EV_WRITE ? POLLOUT : 0)) };
	if (poll(&pfd, 1, 0) <= 0)
		return 0;
	return (pfd.revents & POLLIN ? BLE_EV_READ : 0) |
	       (pfd.revents & POLLOUT ? BLE_EV_WRITE : 0) |
	       (pfd.revents & (POLLERR | POLLHUP) ? BLE_EV_ERROR : 0);
}

/* The sensors answer what is waiting; a sensor whose link closed lets go. */
static bool serve_peers(struct fixture *f)
{
	bool moved = false;
	for (size_t i = 0; i < f->n_peers; i++) {
		struct peer *p = &f->peers[i];
		if (p->fd < 0 || p->pending)
			continue;
		if (p->silent) {
			if (p->client_fd < 0)
				peer_disconnect(p);
			continue;
		}
		if (!(ready_events(p->fd, BLE_EV_READ) & (BLE_EV_READ | BLE_EV_ERROR)))
			continue;
		moved = true;
		if (gatt_server_process_readable(p->server) < 0)
			peer_disconnect(p);
	}
	return moved;
}

static bool serve_source(struct fixture *f)
{
	bool moved = false;
	for (int fd = 0; fd < MAX_FDS; fd++) {
		unsigned want = f->watched[fd];
		if (!want)
			continue;
		struct peer *p = peer_by_client(f, fd);
		if (p && p->pending && p->unreachable)
			continue;
		unsigned ev = ready_events(fd, want);
		if (!ev)
			continue;
		moved = true;
		ble_source_handle(f->src, fd, ev);
	}
	if (ble_source_next_deadline_us(f->src) <= f->now_us) {
		ble_source_process_timeouts(f->src);
		moved = true;
	}
	return moved;
}

static void pump(struct fixture *f)
{
	for (int round = 0; round < 10000; round++)
		if (!serve_source(f) && !serve_peers(f))
			return;
	fail_msg("the source and the sensors did not settle");
}

/* Lets time pass to t, stopping at every deadline on the way. */
static void run_until(struct fixture *f, int64_t t_us)
{
	pump(f);
	int64_t due;
	while ((due = ble_source_next_deadline_us(f->src)) <= t_us) {
		if (due > f->now_us)
			f->now_us = due;
		pump(f);
	}
	f->now_us = t_us;
	pump(f);
}

static struct ble_sensor_status status_of(struct fixture *f, const struct peer *p)
{
	struct ble_sensor_status st;
	assert_true(ble_source_sensor_status(f->src, p->sensor.addr, &st));
	return st;
}

#define assert_state(f, p, want)                                                                  \
	do {                                                                                      \
		struct ble_sensor_status st_ = status_of((f), (p));                               \
		if (st_.state != (want))                                                          \
			fail_msg("sensor in state %s, want %s", ble_sensor_state_name(st_.state), \
				 ble_sensor_state_name(want));                                    \
	} while (0)

/* A running foot pod at 3 m/s, 80 strides/min. */
static void pod_step(struct fixture *f, struct peer *p)
{
	const uint8_t rsc[] = { 0x04, 0x00, 0x03, 80 };
	assert_int_equal(gatt_server_notify(p->server, p->db.rsc_measurement, rsc, sizeof(rsc)), 0);
	pump(f);
}

/* One notification a second for n seconds. */
static void pod_run(struct fixture *f, struct peer *p, int n)
{
	for (int i = 0; i < n; i++) {
		pod_step(f, p);
		run_until(f, f->now_us + SEC);
	}
}

static struct store_run finish_run(struct fixture *f)
{
	struct store_run run;
	assert_int_equal(ingest_finish(f->ingest, "shutdown"), 0);
	assert_int_equal(store_get_last_run(f->store, &run), 0);
	return run;
}

/* Counts the lines stderr received while fn ran. */
struct stderr_capture {
	int saved;
	char path[128];
};

static void capture_stderr(struct fixture *f, struct stderr_capture *c)
{
	snprintf(c->path, sizeof(c->path), "%s/stderr", f->dir);
	fflush(stderr);
	c->saved = dup(2);
	int fd = open(c->path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	dup2(fd, 2);
	close(fd);
}

static unsigned captured_lines(struct stderr_capture *c, const char *needle, char *all, size_t size)
{
	fflush(stderr);
	dup2(c->saved, 2);
	close(c->saved);
	FILE *in = fopen(c->path, "r");
	assert_non_null(in);
	size_t n = fread(all, 1, size - 1, in);
	all[n] = '\0';
	fclose(in);
	unlink(c->path);
	unsigned count = 0;
	for (const char *at = all; (at = strstr(at, needle)); at++)
		count++;
	return count;
}

/* --- tests ------------------------------------------------------------ */

static void foot_pod_streams_into_a_run(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f);
	struct peer *pod = add_peer(&f, 0x2E, BLE_ROLE_FOOTPOD, FAKE_FOOTPOD);
	set_all_sensors(&f);
	run_until(&f, f.now_us + 10 * MS);
	assert_state(&f, pod, BLE_SENSOR_STREAMING);
	assert_int_equal(gatt_server_cccd(pod->server, pod->db.rsc_measurement), GATT_CCCD_NOTIFY);
	assert_int_equal(status_of(&f, pod).mtu, 247);
	int64_t first_utc = f.now_us + UTC_OFFSET_US;
	pod_run(&f, pod, 30);
	struct ble_sensor_status st = status_of(&f, pod);
	/* RSC Feature and Sensor Location, read and passed on, then 30. */
	assert_int_equal(st.notifications, 2 + 30);
	assert_int_equal(st.connects, 1);
	struct store_run run = finish_run(&f);
	assert_true(run.start_us == first_utc);
	assert_int_equal(run.notifications, 30);
	assert_int_equal(run.gaps, 0);
	assert_string_equal(run.source, "ble test");
	assert_true(pod->opens == 1 && !pod->asked_params);
	fixture_close(&f);
}

/* The acceptance case in small: the pod drops mid-run, comes back, and the
 * run has a gap that brackets the outage. */
static void lost_link_reconnects_fast_and_leaves_a_gap(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f);
	struct peer *pod = add_peer(&f, 0x2E, BLE_ROLE_FOOTPOD, FAKE_FOOTPOD);
	set_all_sensors(&f);
	run_until(&f, f.now_us + 10 * MS);
	pod_run(&f, pod, 20);
	int64_t last_before = f.now_us - SEC + UTC_OFFSET_US;
	/* Away for 2 s, less than the 5-s gap threshold. */
	pod->unreachable = true;
	peer_disconnect(pod);
	pump(&f);
	int64_t lost_at = f.now_us;
	assert_state(&f, pod, BLE_SENSOR_WAITING);
	assert_int_equal(status_of(&f, pod).losses, 1);
	assert_true(status_of(&f, pod).next_attempt_us == lost_at + BLE_RETRY_FIRST_US);
	run_until(&f, lost_at + 2 * SEC);
	assert_state(&f, pod, BLE_SENSOR_CONNECTING);
	pod->unreachable = false;
	pump(&f);
	assert_state(&f, pod, BLE_SENSOR_STREAMING);
	int64_t first_after = f.now_us + UTC_OFFSET_US;
	pod_run(&f, pod, 10);
	struct store_run run = finish_run(&f);
	assert_int_equal(run.gaps, 1);
	double want_s = (first_after - last_before) / 1e6;
	if (run.gap_s < want_s - 1e-6 || run.gap_s > want_s + 1e-6)
		fail_msg("gap %.6f s, want %.6f s (last before the loss to first after)", run.gap_s,
			 want_s);
	assert_true(first_after - UTC_OFFSET_US - lost_at <= 5 * SEC);
	/* 30 measurements and the two values read again on reconnecting. */
	assert_int_equal(run.notifications, 32);
	fixture_close(&f);
}

/* 250 ms, then doubling to 2 s; one warning however many attempts. */
static void backoff_doubles_to_its_cap_and_logs_once(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f);
	struct peer *pod = add_peer(&f, 0x2E, BLE_ROLE_FOOTPOD, FAKE_FOOTPOD);
	pod->open_error = -EHOSTUNREACH;
	struct stderr_capture cap;
	capture_stderr(&f, &cap);
	set_all_sensors(&f);
	int64_t start = f.now_us;
	run_until(&f, start + 12 * SEC);
	char log[8192];
	unsigned warnings = captured_lines(&cap, "cannot connect", log, sizeof(log));
	const int64_t want[] = { 0,         250 * MS,  750 * MS,  1750 * MS, 3750 * MS,
				 5750 * MS, 7750 * MS, 9750 * MS, 11750 * MS };
	assert_int_equal(pod->opens, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < pod->opens; i++)
		if (pod->open_times[i] - start != want[i])
			fail_msg("attempt %zu at +%lld ms, want +%lld ms", i,
				 (long long)((pod->open_times[i] - start) / MS),
				 (long long)(want[i] / MS));
	if (warnings != 1)
		fail_msg("%u warnings for one problem, want 1:\n%s", warnings, log);
	/* Back: connected at the next attempt, and the counter is reset. */
	pod->open_error = 0;
	run_until(&f, start + 14 * SEC);
	assert_state(&f, pod, BLE_SENSOR_STREAMING);
	assert_int_equal(status_of(&f, pod).failures, 0);
	fixture_close(&f);
}

static void connect_that_never_completes_times_out(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f);
	struct peer *pod = add_peer(&f, 0x2E, BLE_ROLE_FOOTPOD, FAKE_FOOTPOD);
	pod->unreachable = true;
	set_all_sensors(&f);
	int64_t start = f.now_us;
	run_until(&f, start + BLE_CONNECT_TIMEOUT_US - 1);
	assert_state(&f, pod, BLE_SENSOR_CONNECTING);
	assert_int_equal(f.closes, 0);
	run_until(&f, start + BLE_CONNECT_TIMEOUT_US);
	assert_state(&f, pod, BLE_SENSOR_WAITING);
	assert_int_equal(f.closes, 1);
	assert_int_equal(status_of(&f, pod).failures, 1);
	pod->unreachable = false;
	run_until(&f, start + BLE_CONNECT_TIMEOUT_US + BLE_RETRY_FIRST_US);
	assert_state(&f, pod, BLE_SENSOR_STREAMING);
	fixture_close(&f);
}

static void peer_that_never_answers_is_dropped_and_retried(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f);
	struct peer *pod = add_peer(&f, 0x2E, BLE_ROLE_FOOTPOD, FAKE_FOOTPOD);
	pod->silent = true;
	set_all_sensors(&f);
	int64_t start = f.now_us;
	run_until(&f, start + BLE_ATT_TIMEOUT_US - 1);
	assert_state(&f, pod, BLE_SENSOR_DISCOVERING);
	run_until(&f, start + BLE_ATT_TIMEOUT_US);
	assert_state(&f, pod, BLE_SENSOR_WAITING);
	assert_int_equal(status_of(&f, pod).failures, 1);
	assert_int_equal(status_of(&f, pod).losses, 0);
	pod->silent = false;
	run_until(&f, start + BLE_ATT_TIMEOUT_US + BLE_RETRY_FIRST_US);
	assert_state(&f, pod, BLE_SENSOR_STREAMING);
	assert_int_equal(pod->opens, 2);
	fixture_close(&f);
}

/* A kernel that takes one LE connection attempt at a time: the source
 * switches to connecting in turn and every sensor gets connected. */
static void busy_adapter_gets_connects_in_turn(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f);
	f.one_pending = true;
	struct peer *pod = add_peer(&f, 0x01, BLE_ROLE_FOOTPOD, FAKE_FOOTPOD);
	struct peer *hrm = add_peer(&f, 0x02, BLE_ROLE_HRM, FAKE_HRM);
	struct peer *baro = add_peer(&f, 0x03, BLE_ROLE_BARO, FAKE_BARO);
	struct peer *imu = add_peer(&f, 0x04, BLE_ROLE_IMU_RIGHT, FAKE_IMU_RIGHT);
	set_all_sensors(&f);
	run_until(&f, f.now_us + 3 * SEC);
	assert_state(&f, pod, BLE_SENSOR_STREAMING);
	assert_state(&f, hrm, BLE_SENSOR_STREAMING);
	assert_state(&f, baro, BLE_SENSOR_STREAMING);
	assert_state(&f, imu, BLE_SENSOR_STREAMING);
	assert_int_equal(f.max_pending, 1);
	assert_int_equal(gatt_server_cccd(hrm->server, hrm->db.heart_rate_measurement),
			 GATT_CCCD_NOTIFY);
	assert_int_equal(gatt_server_cccd(baro->server, baro->db.pressure), GATT_CCCD_NOTIFY);
	assert_int_equal(gatt_server_cccd(baro->server, baro->db.temperature), GATT_CCCD_NOTIFY);
	fixture_close(&f);
}

/* EBUSY: someone else is connecting; not a failure of the sensor. */
static void busy_adapter_is_retried_without_backoff(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f);
	struct peer *pod = add_peer(&f, 0x01, BLE_ROLE_FOOTPOD, FAKE_FOOTPOD);
	pod->open_error = -EBUSY;
	set_all_sensors(&f);
	int64_t start = f.now_us;
	run_until(&f, start + 2 * BLE_BUSY_RETRY_US - 1);
	assert_int_equal(pod->opens, 2);
	assert_true(pod->open_times[1] - start == BLE_BUSY_RETRY_US);
	assert_int_equal(status_of(&f, pod).failures, 0);
	pod->open_error = 0;
	run_until(&f, start + 2 * BLE_BUSY_RETRY_US);
	assert_state(&f, pod, BLE_SENSOR_STREAMING);
	fixture_close(&f);
}

/* A pod that counts distance counted on while the link was down: the run
 * has all of it, however far it went. */
static void pod_counter_across_a_dropout_is_trusted(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f);
	struct peer *pod = add_peer(&f, 0x2E, BLE_ROLE_FOOTPOD, FAKE_FOOTPOD);
	set_all_sensors(&f);
	run_until(&f, f.now_us + 10 * MS);
	uint32_t dm = 1000; /* 100.0 m in 0.1 m */
	for (int i = 0; i < 60; i++) {
		if (i == 30) { /* 2 s away, 300 m on (a fast-forwarded test run) */
			peer_disconnect(pod);
			run_until(&f, f.now_us + 2 * SEC);
			dm += 3000;
		}
		const uint8_t rsc[] = { 0x06,
					0x00,
					0x03,
					80,
					(uint8_t)dm,
					(uint8_t)(dm >> 8),
					(uint8_t)(dm >> 16),
					(uint8_t)(dm >> 24) };
		assert_int_equal(
			gatt_server_notify(pod->server, pod->db.rsc_measurement, rsc, sizeof(rsc)),
			0);
		pump(&f);
		run_until(&f, f.now_us + SEC);
		dm += 30;
	}
	struct store_run run = finish_run(&f);
	if (run.distance_m < 477.0 - 1e-6 || run.distance_m > 477.0 + 1e-6)
		fail_msg("run distance %.1f m, want 477.0 (59 steps of 3 m and 300 m away)",
			 run.distance_m);
	assert_int_equal(run.gaps, 1);
	fixture_close(&f);
}

/* A treadmill (FTMS Treadmill Data, 0x2ACD) beside a foot pod: the run's
 * distance, speed and incline are the belt's, its cadence the pod's, its
 * stride length distance over strides. */
static void treadmill_streams_distance_and_incline(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f);
	struct peer *belt = add_peer(&f, 0x07, BLE_ROLE_TREADMILL, FAKE_TREADMILL);
	struct peer *pod = add_peer(&f, 0x08, BLE_ROLE_FOOTPOD, FAKE_FOOTPOD);
	set_all_sensors(&f);
	run_until(&f, f.now_us + 10 * MS);
	assert_state(&f, belt, BLE_SENSOR_STREAMING);
	assert_int_equal(gatt_server_cccd(belt->server, belt->db.treadmill_data), GATT_CCCD_NOTIFY);
	for (int i = 0; i < 60; i++) {
		/* flags 0x000C: speed, total distance, inclination and ramp angle;
		 * 10.80 km/h (3 m/s), i × 3 m, 2.5 %, 1.4 degrees */
		uint32_t m = 3u * (uint32_t)i;
		const uint8_t ftms[] = { 0x0C, 0x00, 0x38, 0x04, (uint8_t)m, (uint8_t)(m >> 8),
					 0x00, 0x19, 0x00, 0x0E, 0x00 };
		assert_int_equal(gatt_server_notify(belt->server, belt->db.treadmill_data, ftms,
						    sizeof(ftms)),
				 0);
		/* the pod says 3.5 m/s at 170 steps/min: its speed is not the belt's */
		const uint8_t rsc[] = { 0x04, 0x80, 0x03, 170 };
		assert_int_equal(
			gatt_server_notify(pod->server, pod->db.rsc_measurement, rsc, sizeof(rsc)),
			0);
		pump(&f);
		run_until(&f, f.now_us + SEC);
	}
	struct store_run run = finish_run(&f);
	struct store_run_surface surface;
	assert_int_equal(store_get_run_surface(f.store, run.id, &surface), 0);
	assert_string_equal(surface.surface, "treadmill");
	if (fabs(run.distance_m - 177.0) > 1e-6)
		fail_msg("run distance %.1f m, want the belt's 177 m", run.distance_m);
	/* 177 m in 59 s at 170 steps/min: 83.6 strides of 2.12 m */
	if (fabs(run.stride_length_m - 3.0 * 120 / 170) > 0.01)
		fail_msg("stride %.3f m, want %.3f", run.stride_length_m, 3.0 * 120 / 170);
	int64_t seconds;
	double incline;
	assert_int_equal(store_run_incline(f.store, run.id, &seconds, &incline), 0);
	assert_true(seconds >= 58);
	assert_float_equal(incline, 2.5, 1e-9);
	fixture_close(&f);
}

static void imu_is_configured_with_short_interval_and_large_mtu(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f);
	struct peer *imu = add_peer(&f, 0x05, BLE_ROLE_IMU_LEFT, FAKE_IMU_LEFT);
	/* Start the fake from another setting, so the write is seen. */
	imu->db.imu = (struct imu_hs_config){ IMU_HS_VERSION, 0, 0, 0, 0, 0 };
	uint8_t off[IMU_HS_CONFIG_LEN];
	imu_hs_encode_config(&imu->db.imu, off);
	gatt_server_set_value(imu->server, imu->db.imu_config, off, sizeof(off));
	set_all_sensors(&f);
	run_until(&f, f.now_us + 10 * MS);
	assert_state(&f, imu, BLE_SENSOR_STREAMING);
	assert_int_equal(imu->db.imu_config_writes, 1);
	assert_int_equal(imu->db.imu.rate_code, 3);
	assert_int_equal(imu->db.imu.acc_range_code, 3);
	assert_int_equal(imu->db.imu.gyro_range_code, 4);
	assert_int_equal(imu->db.imu.foot, IMU_FOOT_LEFT);
	assert_int_equal(imu->db.imu.flags & 1, 1);
	assert_true(imu->asked_params);
	assert_true(imu->params.interval_max * 1250 <= 15000);
	assert_int_equal(imu->params.latency, 0);
	assert_int_equal(status_of(&f, imu).mtu, 247);
	assert_int_equal(gatt_server_cccd(imu->server, imu->db.imu_data), GATT_CCCD_NOTIFY);
	/* A full 19-sample notification fits the MTU and reaches ingest. */
	int16_t raw[19][6] = { { 0 } };
	uint8_t pkt[244];
	size_t len = imu_hs_encode_data(7, 123456, 3, 3, 4, raw, 19, pkt, sizeof(pkt));
	assert_int_equal(len, 9 + 19 * 12);
	assert_int_equal(gatt_server_notify(imu->server, imu->db.imu_data, pkt, len), 0);
	pump(&f);
	struct ingest_stats st;
	ingest_stats(f.ingest, &st);
	assert_int_equal(st.notifications, 1);
	assert_int_equal(st.malformed, 0);
	fixture_close(&f);
}

/* One device serving a foot pod, a heart rate and a barometer, added as a
 * foot pod: all three are recorded. */
static void everything_a_sensor_offers_is_subscribed(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f);
	struct peer *p = add_peer(&f, 0x06, BLE_ROLE_FOOTPOD, FAKE_FOOTPOD | FAKE_HRM | FAKE_BARO);
	set_all_sensors(&f);
	run_until(&f, f.now_us + 10 * MS);
	assert_state(&f, p, BLE_SENSOR_STREAMING);
	assert_int_equal(gatt_server_cccd(p->server, p->db.rsc_measurement), GATT_CCCD_NOTIFY);
	assert_int_equal(gatt_server_cccd(p->server, p->db.heart_rate_measurement),
			 GATT_CCCD_NOTIFY);
	assert_int_equal(gatt_server_cccd(p->server, p->db.pressure), GATT_CCCD_NOTIFY);
	fixture_close(&f);
}

static void sensor_without_its_role_is_refused_and_retried(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f);
	struct peer *p = add_peer(&f, 0x07, BLE_ROLE_HRM, FAKE_FOOTPOD);
	struct stderr_capture cap;
	capture_stderr(&f, &cap);
	set_all_sensors(&f);
	run_until(&f, f.now_us + 10 * MS);
	char log[4096];
	unsigned n = captured_lines(&cap, "is it a hrm?", log, sizeof(log));
	if (n != 1)
		fail_msg("want one message naming the role:\n%s", log);
	assert_state(&f, p, BLE_SENSOR_WAITING);
	assert_int_equal(status_of(&f, p).failures, 1);
	fixture_close(&f);
}

static void removed_sensor_is_disconnected_and_added_one_connects(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f);
	struct peer *pod = add_peer(&f, 0x01, BLE_ROLE_FOOTPOD, FAKE_FOOTPOD);
	struct peer *hrm = add_peer(&f, 0x02, BLE_ROLE_HRM, FAKE_HRM);
	assert_true(ble_source_set_sensors(f.src, &pod->sensor, 1));
	run_until(&f, f.now_us + 10 * MS);
	assert_state(&f, pod, BLE_SENSOR_STREAMING);
	assert_false(ble_source_sensor_status(f.src, hrm->sensor.addr,
					      &(struct ble_sensor_status){ 0 }));
	/* SIGHUP with the pod removed and the strap added. */
	assert_true(ble_source_set_sensors(f.src, &hrm->sensor, 1));
	assert_int_equal(f.closes, 1);
	run_until(&f, f.now_us + 10 * MS);
	assert_int_equal(pod->fd, -1); /* the pod saw its link close */
	assert_state(&f, hrm, BLE_SENSOR_STREAMING);
	assert_int_equal(ble_source_sensor_count(f.src), 1);
	/* A changed role is a new link. */
	hrm->sensor.role = BLE_ROLE_FOOTPOD;
	assert_true(ble_source_set_sensors(f.src, &hrm->sensor, 1));
	run_until(&f, f.now_us + 10 * MS);
	assert_int_equal(hrm->opens, 2);
	struct ble_sensor too_many[BLE_MAX_SENSORS + 1] = { { { 0 } } };
	assert_false(ble_source_set_sensors(f.src, too_many, BLE_MAX_SENSORS + 1));
	fixture_close(&f);
}

/* A hostile sensor sends random PDUs: during discovery (which fails and is
 * retried with backoff) and while streaming (which goes on). The other
 * sensor is not disturbed. */
static void hostile_peer_cannot_hurt_the_daemon(void **state)
{
	(void)state;
	unsigned seed = (unsigned)getpid();
	struct fixture f;
	fixture_open(&f);
	struct peer *good = add_peer(&f, 0x01, BLE_ROLE_FOOTPOD, FAKE_FOOTPOD);
	struct peer *bad = add_peer(&f, 0x02, BLE_ROLE_FOOTPOD, FAKE_FOOTPOD);
	bad->silent = true; /* its answers come from here */
	set_all_sensors(&f);
	srand(seed);
	uint8_t pdu[600];
	for (int attempt = 0; attempt < 5; attempt++) {
		run_until(&f, f.now_us + 3 * SEC);
		if (bad->fd < 0 || bad->pending)
			continue;
		for (int i = 0; i < 200; i++) {
			size_t len = 1 + (size_t)rand() % (i % 50 == 0 ? sizeof(pdu) - 1 : 30);
			for (size_t k = 0; k < len; k++)
				pdu[k] = (uint8_t)rand();
			if (send(bad->fd, pdu, len, MSG_DONTWAIT) < 0)
				break;
			pump(&f);
		}
		pod_step(&f, good);
	}
	struct ble_sensor_status st = status_of(&f, good);
	if (st.state != BLE_SENSOR_STREAMING || st.losses != 0)
		fail_msg("seed %u: the good sensor was disturbed (%s, %llu losses)", seed,
			 ble_sensor_state_name(st.state), (unsigned long long)st.losses);
	/* Streaming, then garbage on the measurement's handle: counted as
	 * malformed, the link stays. */
	bad->silent = false;
	peer_disconnect(bad);
	run_until(&f, f.now_us + 3 * SEC);
	assert_state(&f, bad, BLE_SENSOR_STREAMING);
	for (int i = 0; i < 100; i++) {
		uint8_t value[20];
		size_t len = (size_t)rand() % sizeof(value);
		for (size_t k = 0; k < len; k++)
			value[k] = (uint8_t)rand();
		gatt_server_notify(bad->server, bad->db.rsc_measurement, value, len);
		pump(&f);
	}
	st = status_of(&f, bad);
	if (st.state != BLE_SENSOR_STREAMING)
		fail_msg("seed %u: garbage values dropped the link", seed);
	fixture_close(&f);
}

/* A barometer whose pressure only indicates: subscribed for indications,
 * each one reaches ingest and is confirmed. */
static void indications_are_confirmed(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f);
	struct peer *p = add_peer(&f, 0x08, BLE_ROLE_BARO, 0);
	gatt_server_free(p->server);
	p->server = gatt_server_new(247);
	struct gatt_uuid ess = gatt_uuid_from16(0x181A), pressure = gatt_uuid_from16(UUID_PRESSURE);
	gatt_server_add_service(p->server, &ess);
	const uint8_t pa[] = { 0x10, 0x27, 0x0F, 0x00 };
	uint16_t handle = gatt_server_add_characteristic(
		p->server, &pressure, GATT_PROP_READ | GATT_PROP_INDICATE, pa, sizeof(pa));
	set_all_sensors(&f);
	run_until(&f, f.now_us + 10 * MS);
	assert_state(&f, p, BLE_SENSOR_STREAMING);
	assert_int_equal(gatt_server_cccd(p->server, handle), GATT_CCCD_INDICATE);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(gatt_server_indicate(p->server, handle, pa, sizeof(pa)), 0);
		assert_true(gatt_server_indication_pending(p->server));
		pump(&f);
		assert_false(gatt_server_indication_pending(p->server));
	}
	struct ingest_stats st;
	ingest_stats(f.ingest, &st);
	assert_int_equal(st.notifications, 3);
	assert_int_equal(st.malformed, 0);
	fixture_close(&f);
}

/* --- Movesense ---------------------------------------------------------- */

static struct peer *add_movesense(struct fixture *f, uint8_t last_byte, enum ble_role role)
{
	return add_peer(f, last_byte, role, FAKE_MOVESENSE);
}

/* A notification of the Movesense's response characteristic. */
static void ms_notify(struct fixture *f, struct peer *p, const uint8_t *value, size_t len)
{
	assert_int_equal(gatt_server_notify(p->server, p->db.ms_data, value, len), 0);
	pump(f);
}

/* Every raw notification stored, in order (the database has one sensor). */
struct stored {
	size_t n;
	uint8_t (*value)[FEED_VALUE_MAX];
	size_t *len;
};

static void read_stored(struct fixture *f, struct stored *out)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open_v2(f->db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT value FROM notifications ORDER BY id", -1,
					    &st, NULL),
			 SQLITE_OK);
	size_t cap = 4096;
	*out = (struct stored){ 0, calloc(cap, FEED_VALUE_MAX), calloc(cap, sizeof(size_t)) };
	while (sqlite3_step(st) == SQLITE_ROW) {
		assert_true(out->n < cap);
		size_t len = (size_t)sqlite3_column_bytes(st, 0);
		assert_true(len <= FEED_VALUE_MAX);
		memcpy(out->value[out->n], sqlite3_column_blob(st, 0), len);
		out->len[out->n++] = len;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
}

struct stride_count {
	unsigned n;
	double speed_sum_mps;
	bool wrong_foot;
};

static int count_stride(void *user, int64_t run_id, const struct store_stride *x)
{
	(void)run_id;
	struct stride_count *c = user;
	c->wrong_foot |= strcmp(x->foot, "left") != 0;
	if (!x->flags[0]) {
		c->n++;
		c->speed_sum_mps += x->speed_mps;
	}
	return 0;
}

/* The whole way: discovery, the subscribe command with hamstride's
 * reference, 30 s of simulated running at 416 Hz from the fake Movesense,
 * every notification stored byte for byte and strides at the gait's
 * speed. */
static void movesense_streams_imu6_into_strides(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f);
	struct peer *ms = add_movesense(&f, 0x10, BLE_ROLE_IMU_LEFT);
	/* Registered as the daemon's sensors are, so ingest knows its foot. */
	char addr[18];
	notification_addr_to_str(ms->sensor.addr, addr, sizeof(addr));
	assert_int_equal(store_sensor_add(f.store, addr, ms->sensor.addr_type, "imu-left", NULL,
					  UTC_OFFSET_US + f.now_us, NULL),
			 0);
	set_all_sensors(&f);
	run_until(&f, f.now_us + 10 * MS);
	assert_state(&f, ms, BLE_SENSOR_STREAMING);
	assert_int_equal(ms->db.ms_commands, 1);
	assert_int_equal(ms->db.ms_reference, BLE_MS_REFERENCE);
	assert_int_equal(ms->db.ms_rate_hz, BLE_MS_RATE_HZ);
	assert_true(fake_db_movesense_streaming(&ms->db));
	assert_true(ms->asked_params);
	assert_true(ms->params.interval_max * 1250 <= 15000);
	assert_int_equal(status_of(&f, ms).mtu, 247);

	struct feed *feed;
	char why[256] = "";
	const uint64_t seed = 21;
	struct feed_options o = { .profiles = FAKE_MOVESENSE, .seed = seed, .minutes = 0.5 };
	assert_int_equal(feed_new(&o, &feed, why, sizeof(why)), 0);
	static uint8_t sent[2048][FEED_VALUE_MAX];
	static size_t sent_len[2048];
	size_t n_sent = 0;
	int64_t t0 = f.now_us;
	const struct feed_item *it;
	while ((it = feed_peek(feed, status_of(&f, ms).mtu - 3u, &ms->db.imu))) {
		run_until(&f, t0 + it->t_us);
		assert_true(n_sent < 2048);
		memcpy(sent[n_sent], it->value, it->len);
		sent[n_sent][1] = ms->db.ms_reference;
		sent_len[n_sent] = it->len;
		ms_notify(&f, ms, sent[n_sent], it->len);
		n_sent++;
		feed_pop(feed);
	}
	feed_free(feed);
	assert_true(n_sent > 1500); /* 52 packets a second */
	struct store_run run = finish_run(&f);

	/* The subscription's OK, then every packet as sent. */
	struct stored st;
	read_stored(&f, &st);
	assert_int_equal(st.n, n_sent + 1);
	assert_int_equal(st.len[0], 4);
	assert_memory_equal(st.value[0], ((const uint8_t[]){ 1, BLE_MS_REFERENCE, 200, 0 }), 4);
	for (size_t i = 0; i < n_sent; i++)
		if (st.len[i + 1] != sent_len[i] ||
		    memcmp(st.value[i + 1], sent[i], sent_len[i]) != 0)
			fail_msg("seed %llu: notification %zu stored differs from what was sent",
				 (unsigned long long)seed, i);
	free(st.value);
	free(st.len);

	struct stride_count c = { 0 };
	assert_int_equal(store_foreach_stride(f.store, run.id, count_stride, &c), 0);
	struct imu_sim_config gait;
	imu_sim_config_default(&gait);
	double speed = c.n ? c.speed_sum_mps / c.n : 0;
	/* 28 s of running after 2 s standing, a stride every 0.7 s or so. */
	if (c.n < 30 || c.wrong_foot || fabs(speed - gait.speed_mps) > 0.05 * gait.speed_mps)
		fail_msg("seed %llu: %u unflagged strides at %.2f m/s (gait %.2f m/s, want >= 30 "
			 "within 5%%)%s",
			 (unsigned long long)seed, c.n, speed, gait.speed_mps,
			 c.wrong_foot ? ", some not on the left foot" : "");
	struct ingest_stats is;
	ingest_stats(f.ingest, &is);
	assert_int_equal(is.malformed, 0);
	fixture_close(&f);
}

/* A sensor that refuses 416 Hz (status 501) is asked for 208 Hz, and says
 * so once; one that refuses that too is retried with backoff. */
static void movesense_refusing_the_rate_falls_back_then_fails_clearly(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f);
	struct peer *ms = add_movesense(&f, 0x11, BLE_ROLE_IMU_RIGHT);
	ms->db.ms_max_rate_hz = 208;
	struct stderr_capture cap;
	capture_stderr(&f, &cap);
	set_all_sensors(&f);
	run_until(&f, f.now_us + 10 * MS);
	char log[8192];
	unsigned n = captured_lines(&cap,
				    "refused /Meas/IMU6/416 (status 501 Not Implemented: rate "
				    "not supported); asking for 208 Hz",
				    log, sizeof(log));
	if (n != 1)
		fail_msg("want one line saying 416 Hz was refused:\n%s", log);
	assert_state(&f, ms, BLE_SENSOR_STREAMING);
	assert_int_equal(ms->db.ms_rate_hz, 208);
	assert_int_equal(ms->db.ms_commands, 2);
	fixture_close(&f);

	fixture_open(&f);
	ms = add_movesense(&f, 0x12, BLE_ROLE_IMU_RIGHT);
	ms->db.ms_max_rate_hz = 104;
	capture_stderr(&f, &cap);
	set_all_sensors(&f);
	run_until(&f, f.now_us + 10 * MS);
	n = captured_lines(&cap, "refused /Meas/IMU6/208 (status 501", log, sizeof(log));
	if (n != 1)
		fail_msg("want one line saying 208 Hz was refused too:\n%s", log);
	assert_state(&f, ms, BLE_SENSOR_WAITING);
	assert_int_equal(status_of(&f, ms).failures, 1);
	assert_int_equal(status_of(&f, ms).connects, 0);
	fixture_close(&f);
}

/* The device library's sample firmware answers only failures: streaming
 * starts with the first data; a sensor that then sends none is dropped
 * after BLE_MS_START_TIMEOUT_US with a line that says so. */
static void quiet_movesense_streams_from_its_first_data_or_times_out(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f);
	struct peer *ms = add_movesense(&f, 0x13, BLE_ROLE_IMU_LEFT);
	ms->db.ms_quiet = true;
	set_all_sensors(&f);
	run_until(&f, f.now_us + 10 * MS);
	assert_state(&f, ms, BLE_SENSOR_CONFIGURING);
	assert_true(fake_db_movesense_streaming(&ms->db));
	struct imu_sample samples[8] = { 0 };
	uint8_t pkt[6 + 8 * 24];
	size_t len = imu_ms_encode_imu6(BLE_MS_REFERENCE, 1000, samples, 8, pkt, sizeof(pkt));
	ms_notify(&f, ms, pkt, len);
	assert_state(&f, ms, BLE_SENSOR_STREAMING);
	fixture_close(&f);

	fixture_open(&f);
	ms = add_movesense(&f, 0x14, BLE_ROLE_IMU_LEFT);
	ms->db.ms_quiet = true;
	struct stderr_capture cap;
	capture_stderr(&f, &cap);
	set_all_sensors(&f);
	run_until(&f, f.now_us + BLE_MS_START_TIMEOUT_US - 10 * MS);
	assert_state(&f, ms, BLE_SENSOR_CONFIGURING);
	run_until(&f, f.now_us + 20 * MS);
	char log[4096];
	unsigned n = captured_lines(&cap, "no data within 5 s of subscribing to /Meas/IMU6/416",
				    log, sizeof(log));
	if (n != 1)
		fail_msg("want one line about the missing data:\n%s", log);
	assert_state(&f, ms, BLE_SENSOR_WAITING);
	fixture_close(&f);
}

/* Garbage on the response characteristic is counted and kept, never fatal;
 * a late error result ends the link, and every new link subscribes anew. */
static void movesense_garbage_and_errors_keep_the_daemon_up(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f);
	struct peer *ms = add_movesense(&f, 0x15, BLE_ROLE_IMU_LEFT);
	set_all_sensors(&f);
	run_until(&f, f.now_us + 10 * MS);
	assert_state(&f, ms, BLE_SENSOR_STREAMING);
	const uint8_t ragged[] = { 2, BLE_MS_REFERENCE, 1, 2, 3 };
	const uint8_t unknown[] = { 9 };
	const uint8_t no_status[] = { 1, BLE_MS_REFERENCE, 0xFF, 0xFF };
	const uint8_t other_ref[] = { 1, 0x01, 0xF4, 0x01 };
	ms_notify(&f, ms, ragged, sizeof(ragged));
	ms_notify(&f, ms, unknown, sizeof(unknown));
	ms_notify(&f, ms, no_status, sizeof(no_status));
	ms_notify(&f, ms, other_ref, sizeof(other_ref));
	ms_notify(&f, ms, NULL, 0);
	assert_state(&f, ms, BLE_SENSOR_STREAMING);
	struct ingest_stats is;
	ingest_stats(f.ingest, &is);
	assert_int_equal(is.notifications, 6);
	if (is.malformed < 2)
		fail_msg("%llu of the garbage notifications counted as malformed, want >= 2",
			 (unsigned long long)is.malformed);

	/* 500 for hamstride's subscription while streaming: the link is
	 * given up, and the next one subscribes again. */
	struct stderr_capture cap;
	capture_stderr(&f, &cap);
	const uint8_t error[] = { 1, BLE_MS_REFERENCE, 0xF4, 0x01 };
	ms_notify(&f, ms, error, sizeof(error));
	char log[4096];
	unsigned n =
		captured_lines(&cap, "link lost (the sensor refused /Meas/IMU6/416 (status 500))",
			       log, sizeof(log));
	if (n != 1)
		fail_msg("want one line about the refusal:\n%s", log);
	run_until(&f, f.now_us + 1 * SEC);
	assert_state(&f, ms, BLE_SENSOR_STREAMING);
	assert_int_equal(status_of(&f, ms).connects, 2);
	assert_int_equal(ms->db.ms_commands, 2);
	assert_true(fake_db_movesense_streaming(&ms->db));

	/* A dropped link: the sensor forgets the subscription, the new link
	 * makes it again. */
	peer_disconnect(ms);
	run_until(&f, f.now_us + 1 * SEC);
	assert_state(&f, ms, BLE_SENSOR_STREAMING);
	assert_int_equal(ms->db.ms_commands, 3);
	assert_int_equal(ms->db.ms_reference, BLE_MS_REFERENCE);
	fixture_close(&f);
}

/* Removed from the sensor list, a streaming Movesense is unsubscribed
 * before its link closes. */
static void removed_movesense_is_unsubscribed(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f);
	struct peer *ms = add_movesense(&f, 0x16, BLE_ROLE_IMU_RIGHT);
	set_all_sensors(&f);
	run_until(&f, f.now_us + 10 * MS);
	assert_state(&f, ms, BLE_SENSOR_STREAMING);
	assert_true(ble_source_set_sensors(f.src, NULL, 0));
	pump(&f);
	assert_int_equal(ms->db.ms_commands, 2);
	assert_int_equal(ms->db.ms_reference, 0);
	assert_int_equal(ms->db.ms_last_status, 200);
	fixture_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(foot_pod_streams_into_a_run),
		cmocka_unit_test(lost_link_reconnects_fast_and_leaves_a_gap),
		cmocka_unit_test(backoff_doubles_to_its_cap_and_logs_once),
		cmocka_unit_test(connect_that_never_completes_times_out),
		cmocka_unit_test(peer_that_never_answers_is_dropped_and_retried),
		cmocka_unit_test(busy_adapter_gets_connects_in_turn),
		cmocka_unit_test(busy_adapter_is_retried_without_backoff),
		cmocka_unit_test(pod_counter_across_a_dropout_is_trusted),
		cmocka_unit_test(treadmill_streams_distance_and_incline),
		cmocka_unit_test(imu_is_configured_with_short_interval_and_large_mtu),
		cmocka_unit_test(everything_a_sensor_offers_is_subscribed),
		cmocka_unit_test(sensor_without_its_role_is_refused_and_retried),
		cmocka_unit_test(removed_sensor_is_disconnected_and_added_one_connects),
		cmocka_unit_test(hostile_peer_cannot_hurt_the_daemon),
		cmocka_unit_test(indications_are_confirmed),
		cmocka_unit_test(movesense_streams_imu6_into_strides),
		cmocka_unit_test(movesense_refusing_the_rate_falls_back_then_fails_clearly),
		cmocka_unit_test(quiet_movesense_streams_from_its_first_data_or_times_out),
		cmocka_unit_test(movesense_garbage_and_errors_keep_the_daemon_up),
		cmocka_unit_test(removed_movesense_is_unsubscribed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
