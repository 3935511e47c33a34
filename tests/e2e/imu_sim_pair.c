// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One simulated two-foot shoe-IMU run (analysis/sim/imu_sim.h) written two
 * ways from the same samples, for e2e_same_strides.py:
 *   imu_sim_pair OUT.btsnoop OUT.csv [--seed N] [--seconds S] [--speed MPS]
 * - OUT.btsnoop: the hamstride IMU profile's notifications of two sensors
 *   (their configuration first, with the foot), each sent the moment its
 *   last sample is taken, from 2026-11-01T07:00:00Z on the host's clock,
 *   and a foot pod reporting "running" every second from the start, so
 *   the daemon's run holds every stride, as an imported file's does;
 * - OUT.csv: the samples those notifications decode to, stamped as the
 *   daemon stamps them (imu_stream), one row per instant: time_s, then
 *   left_ and right_ acc_x/y/z [m/s²] and gyr_x/y/z [rad/s], every value
 *   to 17 digits so the importer reads back the very same doubles.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/capture.h"
#include "decode/imu.h"
#include "sim/imu_sim.h"

#define PACKET 10 /* samples per notification: 25 ms at 400 Hz */
#define RATE_CODE 3
#define ACC_RANGE_CODE 3
#define GYRO_RANGE_CODE 4
#define HOST_T0_US INT64_C(1793516400000000) /* 2026-11-01T07:00:00Z */

struct foot {
	uint8_t addr[NOTIFICATION_ADDR_LEN];
	uint8_t foot;
	uint16_t seq;
	struct imu_stream stream;
	struct imu_sample pending[PACKET];
	size_t n_pending;
	struct imu_sample decoded[PACKET]; /* the last packet, as decoded */
	size_t n_decoded;
};

static int16_t to_count(double v, double range)
{
	double count = nearbyint(v / (range / 32768.0));
	return (int16_t)(count > 32767 ? 32767 : count < -32768 ? -32768 : count);
}

static int send(struct capture_writer *w, const struct foot *f, const char *uuid, uint16_t handle,
		const uint8_t *value, size_t len, int64_t host_us)
{
	struct notification n = { .host_time_us = host_us,
				  .addr_type = NOTIFICATION_ADDR_RANDOM,
				  .handle = handle,
				  .len = (uint16_t)len,
				  .value = value };
	memcpy(n.addr, f->addr, sizeof(n.addr));
	gatt_uuid_parse(uuid, &n.uuid);
	return capture_writer_notification(w, &n);
}

/* RSC measurement: running, 3.5 m/s, 85 strides/min. */
static int send_pod(struct capture_writer *w, const struct foot *pod, int64_t host_us)
{
	const uint8_t value[4] = { 0x04, 0x80, 0x03, 85 };
	return send(w, pod, "2A53", 0x000e, value, sizeof(value), host_us);
}

static int send_config(struct capture_writer *w, const struct foot *f)
{
	struct imu_hs_config cfg = { .version = IMU_HS_VERSION,
				     .rate_code = RATE_CODE,
				     .acc_range_code = ACC_RANGE_CODE,
				     .gyro_range_code = GYRO_RANGE_CODE,
				     .foot = f->foot,
				     .flags = 1 };
	uint8_t value[IMU_HS_CONFIG_LEN];
	imu_hs_encode_config(&cfg, value);
	return send(w, f, IMU_HS_CONFIG_UUID, 0x0012, value, sizeof(value), HOST_T0_US);
}

/* Encodes the pending samples, decodes and stamps them back and sends
 * the notification at the host time of its last sample. */
static int send_packet(struct capture_writer *w, struct foot *f)
{
	double acc = imu_hs_acc_range_mps2(ACC_RANGE_CODE);
	double gyro = imu_hs_gyro_range_radps(GYRO_RANGE_CODE);
	int16_t raw[PACKET][6];
	uint8_t value[IMU_HS_HEADER_LEN + PACKET * IMU_HS_SAMPLE_LEN];
	for (size_t i = 0; i < f->n_pending; i++)
		for (int k = 0; k < 3; k++) {
			raw[i][k] = to_count(f->pending[i].acc_mps2[k], acc);
			raw[i][3 + k] = to_count(f->pending[i].gyro_radps[k], gyro);
		}
	size_t len = imu_hs_encode_data(f->seq++, (uint32_t)f->pending[0].t_us, RATE_CODE,
					ACC_RANGE_CODE, GYRO_RANGE_CODE, raw, f->n_pending, value,
					sizeof(value));
	struct imu_packet pkt;
	struct imu_gap gap;
	if (!len || !imu_hs_parse_data(value, len, f->foot, &pkt, f->decoded, PACKET))
		return -1;
	imu_stream_stamp(&f->stream, &pkt, f->decoded, &gap);
	f->n_decoded = pkt.count;
	f->n_pending = 0;
	return send(w, f, IMU_HS_DATA_UUID, 0x0010, value, len,
		    HOST_T0_US + f->decoded[pkt.count - 1].t_us);
}

static void write_values(FILE *out, const struct imu_sample *s)
{
	for (int k = 0; k < 3; k++)
		fprintf(out, ",%.17g", s->acc_mps2[k]);
	for (int k = 0; k < 3; k++)
		fprintf(out, ",%.17g", s->gyro_radps[k]);
}

/* Both feet's last packets, one row per instant. */
static int write_rows(FILE *out, const struct foot *l, const struct foot *r)
{
	for (size_t i = 0; i < l->n_decoded; i++) {
		if (l->decoded[i].t_us != r->decoded[i].t_us)
			return -1;
		fprintf(out, "%.6f", l->decoded[i].t_us * 1e-6);
		write_values(out, &l->decoded[i]);
		write_values(out, &r->decoded[i]);
		fprintf(out, "\n");
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct imu_sim_config c;
	double seconds = 60;
	imu_sim_config_default(&c);
	c.t0_us = 0;
	c.packet_loss = 0;
	c.rate_hz = imu_hs_rate_hz(RATE_CODE);
	c.feet = IMU_SIM_LEFT | IMU_SIM_RIGHT;
	for (int i = 3; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--seed") == 0)
			c.seed = strtoull(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--seconds") == 0)
			seconds = atof(argv[i + 1]);
		else if (strcmp(argv[i], "--speed") == 0)
			c.speed_mps = atof(argv[i + 1]);
		else
			argc = 0;
	}
	if (argc < 3) {
		fprintf(stderr, "usage: imu_sim_pair OUT.btsnoop OUT.csv [--seed N] [--seconds S] "
				"[--speed MPS]\n");
		return 64;
	}
	char why[256];
	struct capture_writer *w;
	struct imu_sim *sim = imu_sim_new(&c);
	FILE *csv = fopen(argv[2], "w");
	if (!sim || !csv || capture_writer_open(argv[1], &w, why, sizeof(why)) < 0) {
		fprintf(stderr, "imu_sim_pair: cannot start (configuration or output)\n");
		return 1;
	}
	struct foot feet[2] = { { .addr = { 1, 0, 0, 0, 0xaa, 0xc0 }, .foot = IMU_FOOT_LEFT },
				{ .addr = { 2, 0, 0, 0, 0xaa, 0xc0 }, .foot = IMU_FOOT_RIGHT } };
	fprintf(csv, "time_s,left_acc_x,left_acc_y,left_acc_z,left_gyr_x,left_gyr_y,left_gyr_z,"
		     "right_acc_x,right_acc_y,right_acc_z,right_gyr_x,right_gyr_y,right_gyr_z\n");
	int err = 0;
	for (int f = 0; f < 2; f++) {
		imu_stream_init(&feet[f].stream);
		err |= send_config(w, &feet[f]);
	}
	const struct foot pod = { .addr = { 3, 0, 0, 0, 0xaa, 0xc0 } };
	int64_t next_pod_us = 0;
	struct imu_sample s[64];
	struct imu_sim_stride truth;
	while (err == 0 && imu_sim_time_us(sim) < (int64_t)(seconds * 1e6)) {
		size_t n = imu_sim_generate(sim, s, 64);
		for (size_t i = 0; i < n && err == 0; i++) {
			if (s[i].t_us >= next_pod_us) {
				err |= send_pod(w, &pod, HOST_T0_US + s[i].t_us);
				next_pod_us += 1000000;
			}
			struct foot *f = &feet[s[i].foot == IMU_FOOT_RIGHT];
			f->pending[f->n_pending++] = s[i];
			/* both feet sample together: a packet of each, then their rows */
			if (feet[0].n_pending < PACKET || feet[1].n_pending < PACKET)
				continue;
			err |= send_packet(w, &feet[0]);
			err |= send_packet(w, &feet[1]);
			err |= write_rows(csv, &feet[0], &feet[1]);
		}
		while (imu_sim_pop_truth(sim, &truth))
			;
	}
	imu_sim_free(sim);
	err |= capture_writer_close(w);
	err |= ferror(csv) | fclose(csv);
	if (err)
		fprintf(stderr, "imu_sim_pair: could not write the run\n");
	return err ? 1 : 0;
}
