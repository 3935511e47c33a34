/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shoe-mounted 6-axis IMU samples and the decoders that produce them:
 * the open "hamstride IMU" GATT profile (docs/imu-profile.md) and
 * Movesense's GATT SensorData protocol streaming /Meas/IMU6.
 *
 * Decoding is split in two steps so that each stays testable: a parser
 * turns one notification into samples with times relative to the packet's
 * first sample, and an imu_stream (one per sensor) unwraps the sensor's
 * clock, stamps every sample and reports packets lost in between.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum imu_foot {
	IMU_FOOT_UNKNOWN = 0,
	IMU_FOOT_LEFT = 1,
	IMU_FOOT_RIGHT = 2,
};

/* Bits of imu_sample.clipped: the sensor's full-scale range was reached on
 * that axis, so the value is a lower bound of the true magnitude. */
enum {
	IMU_CLIP_ACC_X = 1 << 0,
	IMU_CLIP_ACC_Y = 1 << 1,
	IMU_CLIP_ACC_Z = 1 << 2,
	IMU_CLIP_GYRO_X = 1 << 3,
	IMU_CLIP_GYRO_Y = 1 << 4,
	IMU_CLIP_GYRO_Z = 1 << 5,
};

struct imu_sample {
	int64_t t_us;         /* sensor clock, unwrapped, microseconds */
	double acc_mps2[3];   /* specific force in the sensor frame */
	double gyro_radps[3]; /* angular rate in the sensor frame */
	uint8_t clipped;      /* IMU_CLIP_* bits */
	uint8_t foot;         /* enum imu_foot */
};

/* What a parser learnt from one notification's header. */
struct imu_packet {
	bool has_seq;
	uint16_t seq;         /* hamstride profile only */
	uint32_t t_first_raw; /* first sample's time in the sensor's units */
	uint32_t t_unit_us;   /* µs per raw time unit: 1 (hamstride), 1000 (Movesense) */
	double rate_hz;       /* nominal sample rate */
	size_t count;         /* samples decoded */
};

/* Samples lost between two packets, in sensor time. */
struct imu_gap {
	int64_t from_us;       /* expected time of the first missing sample */
	int64_t to_us;         /* time of the first sample after the gap */
	unsigned lost_packets; /* from sequence numbers; 0 when the profile has none */
	unsigned lost_samples; /* from timestamps and the nominal rate */
};

/* ---- hamstride IMU profile (docs/imu-profile.md) ---- */

/* 128-bit UUIDs, written the usual way (most significant byte first). */
#define IMU_HS_SERVICE_UUID "494d5500-6861-6d73-7472-696465000000"
#define IMU_HS_CONFIG_UUID "494d5501-6861-6d73-7472-696465000000"
#define IMU_HS_DATA_UUID "494d5502-6861-6d73-7472-696465000000"

#define IMU_HS_HEADER_LEN 9u
#define IMU_HS_SAMPLE_LEN 12u
#define IMU_HS_CONFIG_LEN 6u
#define IMU_HS_VERSION 1u

struct imu_hs_config {
	uint8_t version; /* IMU_HS_VERSION */
	uint8_t rate_code;
	uint8_t acc_range_code;
	uint8_t gyro_range_code;
	uint8_t foot;  /* enum imu_foot as the wearer configured it */
	uint8_t flags; /* bit 0: streaming enabled */
};

/* Code tables; 0 when a code is not defined. */
double imu_hs_rate_hz(uint8_t rate_code);
double imu_hs_acc_range_mps2(uint8_t acc_range_code);
double imu_hs_gyro_range_radps(uint8_t gyro_range_code);

/* Configuration characteristic: false (output untouched) if short, of an
 * unknown version or with an undefined code. */
bool imu_hs_parse_config(const uint8_t *buf, size_t len, struct imu_hs_config *out);
/* Writes IMU_HS_CONFIG_LEN bytes. */
void imu_hs_encode_config(const struct imu_hs_config *cfg, uint8_t out[IMU_HS_CONFIG_LEN]);

/*
 * Data notification. Decodes up to cap samples into out (t_us relative to
 * the packet's first sample, foot copied from the argument). False, with
 * *pkt and out untouched, if the header is short, a code is undefined, the
 * count is 0, the samples are cut off or there are more than cap. Trailing
 * bytes after the samples are reserved for later versions and ignored.
 */
bool imu_hs_parse_data(const uint8_t *buf, size_t len, uint8_t foot, struct imu_packet *pkt,
		       struct imu_sample *out, size_t cap);

/* Builds a data notification from raw counts (what firmware sends);
 * returns its length, 0 if it does not fit in out_cap. */
size_t imu_hs_encode_data(uint16_t seq, uint32_t t_first_us, uint8_t rate_code,
			  uint8_t acc_range_code, uint8_t gyro_range_code, const int16_t (*raw)[6],
			  size_t count, uint8_t *out, size_t out_cap);

/* ---- Movesense GATT SensorData protocol ---- */

/*
 * Movesense's GATT SensorData Protocol ("GSP"). Where each fact comes from:
 *
 * - Movesense's protocol specification (movesense.com, docs/esw/
 *   gatt_sensordata_protocol): the service and its two characteristics,
 *   the client writing commands to one and the sensor answering and
 *   streaming in notifications of the other, a client-chosen 8-bit
 *   reference tying answers to commands; firmware 2.3 and later carry it.
 * - The device library's gatt_sensordata_app sample (GATTSensorDataClient
 *   .cpp): the command characteristic is WRITE only (so a Write Request);
 *   a command is [command, reference (not 0), data], HELLO 0, SUBSCRIBE 1
 *   with the resource path, UNSUBSCRIBE 2 with the subscription's
 *   reference; a notification is [response code, reference, data], 1 a
 *   command result with a 2-byte HTTP status (its one error, 507 for no
 *   free subscription of four, written high byte first; HELLO answered
 *   "Hello"; no answer to a successful subscribe), 2 DATA; subscriptions
 *   end when the link drops.
 * - Its Python client: DATA_PART2 (3) continues a DATA notification too
 *   long for one packet, and IMU data is the uint32 timestamp then the
 *   acceleration block then the gyroscope block of float32 x, y, z.
 * - A newer description of the protocol (a public client's reference
 *   notes, made against hardware): the status little-endian, the path
 *   NUL-terminated, a result for every command.
 * - The library's API definitions (movesense-api/meas/imu.yaml, acc.yaml,
 *   gyro.yaml): /Meas/IMU6/{SampleRate}, timestamp in ms of the first
 *   sample, acceleration in m/s², angular rate in °/s, 501 for an
 *   unsupported rate; ranges set by PUT /Meas/Acc/Config (GRange, g) and
 *   /Meas/Gyro/Config (DPSRange), refused (503) while subscribed. GSP has
 *   no PUT for them, and none of these sources gives a default range, so
 *   hamstride assumes none and flags no clipping.
 * - IMU6 rates 13, 26, 52, 104, 208, 416, 833, 1666 Hz: the device
 *   library's /Meas/Acc/Info as clients report it.
 */
#define IMU_MS_SERVICE_UUID "34802252-7185-4d5d-b431-630e7050e8f0"
#define IMU_MS_WRITE_UUID "34800001-7185-4d5d-b431-630e7050e8f0"
#define IMU_MS_NOTIFY_UUID "34800002-7185-4d5d-b431-630e7050e8f0"

enum {
	IMU_MS_CMD_HELLO = 0,
	IMU_MS_CMD_SUBSCRIBE = 1,
	IMU_MS_CMD_UNSUBSCRIBE = 2,
	IMU_MS_RESP_COMMAND = 1,
	IMU_MS_RESP_DATA = 2,
	/* Newer firmware's continuation of a DATA notification too long for
	 * one packet (the sample's DATA_PART2). */
	IMU_MS_RESP_DATA_PART2 = 3,
};

/* The IMU6 rates the sensor offers; false for any other. */
bool imu_ms_rate_valid(unsigned rate_hz);

/* The subscribe command for /Meas/IMU6/<rate_hz> with the client's
 * reference byte; returns its length, 0 if it does not fit or the
 * reference is 0. The path ends with a NUL: the sample firmware copies
 * the bytes after the reference as the path, newer firmware documents a
 * NUL-terminated one, and the NUL suits both. */
size_t imu_ms_subscribe_imu6(uint8_t reference, unsigned rate_hz, uint8_t *out, size_t out_cap);
/* The unsubscribe command: 2 bytes, 0 if out_cap is short or reference 0. */
size_t imu_ms_unsubscribe(uint8_t reference, uint8_t *out, size_t out_cap);

/* A command result notification. */
struct imu_ms_result {
	uint8_t reference;
	bool has_status; /* false: HELLO's greeting, or no status sent */
	uint16_t status; /* HTTP status: 200 OK, 404, 501 rate not supported, 507 no slot */
};

/*
 * Parses a command result: false (out untouched) if it is not one. The
 * status is a 16-bit HTTP code; the sample firmware writes its one error
 * (507) most significant byte first, the newer protocol description
 * little-endian, so whichever order gives a code from 100 to 599 is taken
 * (little-endian when both do). Anything else is has_status false.
 */
bool imu_ms_parse_result(const uint8_t *buf, size_t len, struct imu_ms_result *out);

/*
 * A DATA notification of an IMU6 subscription: response code, the
 * client's reference, uint32 timestamp [ms] of the first sample, N x 3
 * float32 acceleration [m/s²] then N x 3 float32 angular rate [°/s].
 * rate_hz is the subscribed rate; acc/gyro ranges (0 if unknown) flag
 * clipped samples. False if the code or reference differs, the length is
 * not 6 + 24·N, a value is not finite or there are more than cap samples.
 */
bool imu_ms_parse_imu6(const uint8_t *buf, size_t len, uint8_t reference, double rate_hz,
		       double acc_range_mps2, double gyro_range_radps, uint8_t foot,
		       struct imu_packet *pkt, struct imu_sample *out, size_t cap);

/* Builds a DATA notification of IMU6 (what the sensor sends): samples'
 * acceleration and rate (converted to °/s) as float32; returns its
 * length, 0 if it does not fit in out_cap or count is 0. */
size_t imu_ms_encode_imu6(uint8_t reference, uint32_t t_first_ms, const struct imu_sample *samples,
			  size_t count, uint8_t *out, size_t out_cap);

/* ---- per-sensor clock unwrapping and loss detection ---- */

struct imu_stream {
	bool started;
	bool has_seq;
	uint16_t last_seq;
	uint32_t last_raw;
	int64_t last_first_us; /* unwrapped time of the previous packet's first sample */
	int64_t next_expected_us;
	uint64_t packets;
	uint64_t lost_packets;
	uint64_t lost_samples;
};

void imu_stream_init(struct imu_stream *s);

/*
 * Stamps the n samples of one parsed packet with unwrapped sensor time
 * (first sample at the packet's timestamp, then 1/rate apart) and reports
 * whether packets were lost before it (gap filled in). A timestamp that
 * goes backwards starts a new epoch rather than producing negative gaps.
 */
bool imu_stream_stamp(struct imu_stream *s, const struct imu_packet *pkt,
		      struct imu_sample *samples, struct imu_gap *gap);
