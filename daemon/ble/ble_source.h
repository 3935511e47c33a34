/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Live Bluetooth source: keeps a link to each of the runner's sensors and
 * hands every notification to the ingest pipeline with the host's receive
 * time (UTC µs) and the sensor's address, as replays and the simulator do.
 *
 * Per sensor, a state machine driven by the owner's event loop:
 *
 *   waiting --(due)--> connecting --(writable, connected)--> discovering
 *   discovering --(subscribed)--> [configuring: IMU only] --> streaming
 *   any failure or link loss --> waiting, with backoff
 *
 * Discovery is limited to the services hamstride decodes (RSC 0x1814,
 * Heart Rate 0x180D, Environmental Sensing 0x181A, Fitness Machine 0x1826,
 * the hamstride IMU), and
 * every data characteristic found among them is subscribed to, so a device
 * that is a foot pod and a heart-rate strap at once has both recorded. The
 * role says what the sensor must offer: footpod RSC Measurement 0x2A53
 * (RSC Feature 0x2A54 and Sensor Location 0x2A5D are read and ingested
 * too), hrm 0x2A37, baro Pressure 0x2A6D or Temperature 0x2A6E, treadmill
 * Treadmill Data 0x2ACD,
 * imu-left/imu-right the hamstride IMU data characteristic, whose
 * configuration is written first (400 Hz, ±16 g, ±2000 °/s, the foot,
 * streaming on), or Movesense's sensor data service, which is asked for
 * /Meas/IMU6/416 (208 Hz if it refuses) and is streaming from its first
 * data; both with a short connection interval asked for. A Movesense
 * subscription is ended when the sensor is removed or the source freed,
 * and made anew on every connection. A link that drops while streaming is
 * recorded as a gap of the run.
 *
 * Connection attempts go one at a time, each given BLE_CONNECT_TIMEOUT_US:
 * some kernels refuse a second pending LE connection (EBUSY), and on
 * Linux 6.x with emulated controllers two pending at once connected one
 * sensor's socket to the other sensor's controller (seen in the VM test).
 * Of the sensors due, the one with the fewest failures goes first, so a
 * link just lost is not kept waiting behind a sensor left at home. The
 * first retry after a loss comes after BLE_RETRY_FIRST_US, then the delay
 * doubles up to BLE_RETRY_MAX_US, so a sensor that comes back is
 * connected again within a few seconds. EBUSY (another program connecting)
 * is retried after BLE_BUSY_RETRY_US without counting as a failure.
 * Problems are logged once per change of state, not per retry.
 *
 * Everything outside the protocol goes through struct ble_io: opening and
 * closing links, the socket watch, the clocks. The daemon passes the
 * kernel's (ble_link.h, epoll, clock_gettime); tests pass socketpairs and a
 * fake clock. The source never blocks.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ble/ble_link.h"
#include "ingest.h"
#include "util/notification.h"

#define BLE_RETRY_FIRST_US INT64_C(250000)
#define BLE_RETRY_MAX_US INT64_C(2000000)
/* The kernel waits for the sensor to advertise (most do every 0.1-1 s);
 * one that is away gives way to the others after this, and is tried
 * again. */
#define BLE_CONNECT_TIMEOUT_US INT64_C(4000000)
/* After EBUSY: someone else's connection attempt is under way. */
#define BLE_BUSY_RETRY_US INT64_C(500000)
/* Shorter than ATT's 30 s: a sensor that does not answer discovery is
 * dropped and tried again rather than waited for. */
#define BLE_ATT_TIMEOUT_US INT64_C(10000000)
#define BLE_MTU_REQUEST 247
/* Shoe IMUs stream 4.8 kB/s: a 7.5-15 ms connection interval, and a 1-s
 * supervision timeout so a lost link is noticed quickly. */
#define BLE_IMU_INTERVAL_MIN_US 7500
#define BLE_IMU_INTERVAL_MAX_US 15000
#define BLE_IMU_SUPERVISION_MS 1000
/* Movesense IMU6 (analysis/decode/imu.h): the rate asked for, the one asked for
 * instead if the sensor refuses it, the client reference of hamstride's
 * subscription, and how long after subscribing the first data may take. */
#define BLE_MS_RATE_HZ 416
#define BLE_MS_FALLBACK_RATE_HZ 208
#define BLE_MS_REFERENCE 0x68
#define BLE_MS_START_TIMEOUT_US INT64_C(5000000)
#define BLE_MAX_SENSORS 16

enum ble_role {
	BLE_ROLE_FOOTPOD,
	BLE_ROLE_IMU_LEFT,
	BLE_ROLE_IMU_RIGHT,
	BLE_ROLE_HRM,
	BLE_ROLE_BARO,
	BLE_ROLE_TREADMILL,
};

/* "footpod", "imu-left", "imu-right", "hrm", "baro", "treadmill" as the store
 * keeps them. */
bool ble_role_parse(const char *text, enum ble_role *out);
const char *ble_role_name(enum ble_role role);

struct ble_sensor {
	uint8_t addr[NOTIFICATION_ADDR_LEN]; /* little-endian, as bdaddr_t */
	uint8_t addr_type;                   /* NOTIFICATION_ADDR_PUBLIC or _RANDOM */
	enum ble_role role;
	char name[64]; /* "" if unknown */
};

enum ble_sensor_state {
	BLE_SENSOR_WAITING,
	BLE_SENSOR_CONNECTING,
	BLE_SENSOR_DISCOVERING,
	BLE_SENSOR_CONFIGURING,
	BLE_SENSOR_STREAMING,
};

/* What the owner's event loop reports for a descriptor, and what the
 * source asks it to watch for. */
enum {
	BLE_EV_READ = 1,
	BLE_EV_WRITE = 2,
	BLE_EV_ERROR = 4, /* EPOLLERR/EPOLLHUP: always reported, never asked */
};

struct ble_io {
	/* Starts a non-blocking connect: the descriptor, or a negative errno;
	 * -EBUSY when the adapter has another connection attempt pending. */
	int (*open)(void *ctx, const struct ble_sensor *sensor);
	/* Once writable: 0 connected, else the connect error (negative). */
	int (*connect_result)(void *ctx, int fd);
	/* The largest PDU the link accepts, or a negative errno. */
	int (*rx_mtu)(void *ctx, int fd);
	/* Asks for other connection parameters without waiting for the answer;
	 * sets *hci_handle for matching the controller's report. 0 or a
	 * negative errno. May be NULL. */
	int (*request_conn_params)(void *ctx, int fd, const struct ble_link_conn_params *p,
				   uint16_t *hci_handle);
	void (*close)(void *ctx, int fd);
	/* Watch fd for BLE_EV_* events; 0 stops watching (called before close). */
	int (*watch)(void *ctx, int fd, unsigned events);
	/* Scheduling clock, and the UTC clock notifications are stamped with. */
	int64_t (*monotonic_us)(void *ctx);
	int64_t (*utc_us)(void *ctx);
	void *ctx;
};

struct ble_source;

/* io is copied; in must outlive the source. */
struct ble_source *ble_source_new(struct ingest *in, const struct ble_io *io);
/* Closes every link. */
void ble_source_free(struct ble_source *src);

/* The sensors to keep connected: new ones are tried at once, removed ones
 * disconnected, one whose role or address type changed reconnected. At
 * most BLE_MAX_SENSORS; false (nothing changed) if more. */
bool ble_source_set_sensors(struct ble_source *src, const struct ble_sensor *sensors, size_t n);
size_t ble_source_sensor_count(const struct ble_source *src);

/* The loop saw events (BLE_EV_*) on fd; unknown descriptors are ignored. */
void ble_source_handle(struct ble_source *src, int fd, unsigned events);
/* Connects what is due and times out what is late: call at the deadline. */
void ble_source_process_timeouts(struct ble_source *src);
/* Monotonic µs of the next thing due, INT64_MAX if none. */
int64_t ble_source_next_deadline_us(const struct ble_source *src);

/* The controller reported an LE Connection Update Complete (ble_link.h). */
void ble_source_conn_update_done(struct ble_source *src, uint16_t hci_handle, uint8_t status,
				 uint16_t interval);

/* A sensor's link, for tests and status messages; false if not a sensor
 * of the source. */
struct ble_sensor_status {
	enum ble_sensor_state state;
	int fd;                 /* -1 unless connecting or connected */
	unsigned failures;      /* attempts failed since the last success */
	uint64_t connects;      /* links that reached streaming */
	uint64_t losses;        /* streaming links that dropped */
	uint64_t notifications; /* handed to ingest */
	int64_t next_attempt_us;
	uint16_t mtu;
};
bool ble_source_sensor_status(const struct ble_source *src,
			      const uint8_t addr[NOTIFICATION_ADDR_LEN],
			      struct ble_sensor_status *out);
const char *ble_sensor_state_name(enum ble_sensor_state state);
