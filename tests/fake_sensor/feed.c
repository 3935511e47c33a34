// SPDX-License-Identifier: GPL-2.0-or-later
#include "feed.h"

#include "capture/capture.h"
#include "sim/imu_sim.h"
#include "profiles.h"
#include "sim/sim.h"
#include "util/xalloc.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MINUTES 10.0
#define IMU_MAX_SAMPLES 255u
/* Samples in one Movesense IMU6 notification: 8, 198 bytes (fewer if the
 * MTU is smaller), within the 247-byte ATT MTU hamstride asks for. */
#define MS_SAMPLES_PER_PACKET 8u
#define MS_HEADER_LEN 6u
#define MS_SAMPLE_LEN 24u

/* A recorded notification; the values live in one growing byte array. */
struct recorded {
	int64_t t_us;
	struct gatt_uuid uuid;
	uint16_t len;
	size_t offset;
};

struct imu_feed {
	struct imu_sim *sim;
	struct imu_hs_config cfg; /* what the generator was built for */
	int64_t t0_us;            /* sensor time at run time 0 */
	uint16_t seq;
	unsigned rebuilds;
};

struct feed {
	struct recorded *rec;
	size_t n_rec, cap_rec, next_rec;
	uint8_t *bytes;
	size_t n_bytes, cap_bytes;
	int64_t end_us;
	uint64_t seed;
	bool has_imu;
	bool movesense; /* IMU6 data of Movesense's protocol */
	struct imu_feed imu;
	struct feed_item imu_item;           /* the next IMU packet, once generated */
	struct imu_hs_config imu_item_asked; /* the configuration it was made for */
	bool imu_ready;
	struct feed_item rec_item;
	const struct feed_item *current; /* what feed_peek returned */
};

/* ---- recordings ---- */

struct wanted {
	struct gatt_uuid uuids[FAKE_MAX_RECORDED];
	size_t n;
};

static bool is_wanted(const struct wanted *w, const struct gatt_uuid *uuid)
{
	for (size_t i = 0; i < w->n; i++)
		if (gatt_uuid_equal(&w->uuids[i], uuid))
			return true;
	return false;
}

static void add_recorded(struct feed *f, int64_t t_us, const struct notification *n)
{
	if (f->n_rec == f->cap_rec) {
		f->cap_rec = f->cap_rec ? 2 * f->cap_rec : 1024;
		f->rec = xreallocarray(f->rec, f->cap_rec, sizeof(*f->rec));
	}
	size_t len = n->len < FEED_VALUE_MAX ? n->len : FEED_VALUE_MAX;
	while (f->n_bytes + len > f->cap_bytes) {
		f->cap_bytes = f->cap_bytes ? 2 * f->cap_bytes : 65536;
		f->bytes = xreallocarray(f->bytes, f->cap_bytes, 1);
	}
	memcpy(f->bytes + f->n_bytes, n->value, len);
	f->rec[f->n_rec++] = (struct recorded){
		.t_us = t_us, .uuid = n->uuid, .len = (uint16_t)len, .offset = f->n_bytes
	};
	f->n_bytes += len;
}

/* Collects what the feed plays: notifications of the wanted characteristics,
 * timed from the first of them, up to the end of the run (if known). */
struct collector {
	struct feed *f;
	struct wanted wanted;
	bool started;
	int64_t first_us;
	int64_t limit_us; /* INT64_MAX: everything */
};

static int collect(void *user, const struct notification *n)
{
	struct collector *c = user;
	if (!is_wanted(&c->wanted, &n->uuid))
		return 0;
	if (!c->started) {
		c->started = true;
		c->first_us = n->host_time_us;
	}
	int64_t t_us = n->host_time_us - c->first_us;
	if (t_us < 0) /* a capture's clock that steps back: keep the order */
		t_us = c->f->n_rec ? c->f->rec[c->f->n_rec - 1].t_us : 0;
	if (t_us >= c->limit_us)
		return 1; /* the run is over */
	add_recorded(c->f, t_us, n);
	return 0;
}

static int load_capture(struct collector *c, const char *path, char *why, size_t why_len)
{
	struct capture_reader *r;
	int rc = capture_reader_open(path, &r, why, why_len);
	if (rc < 0)
		return rc;
	struct notification n;
	while ((rc = capture_reader_next(r, &n)) == 1)
		if (collect(c, &n))
			break;
	if (rc < 0)
		snprintf(why, why_len, "%s", capture_reader_error(r));
	capture_reader_close(r);
	return rc < 0 ? rc : 0;
}

static int simulate(struct collector *c, unsigned profiles, uint64_t seed, double minutes,
		    char *why, size_t why_len)
{
	struct sim_options o;
	sim_options_default(&o);
	o.seed = seed;
	o.run_minutes = minutes < SIM_RUN_MINUTES_MIN ? SIM_RUN_MINUTES_MIN : minutes;
	o.heart_rate = profiles & FAKE_HRM;
	o.barometer = profiles & FAKE_BARO;
	o.dropout_rate = 0; /* losses are the link's business here */
	int rc = sim_run_block(&o, collect, NULL, c);
	if (rc < 0) {
		snprintf(why, why_len, "the simulator refused %.1f minutes", minutes);
		return rc;
	}
	return 0;
}

static int load_recording(struct feed *f, const struct feed_options *o, double minutes, char *why,
			  size_t why_len)
{
	struct collector c = { .f = f, .limit_us = INT64_MAX };
	c.wanted.n = fake_profiles_recorded_uuids(o->profiles, c.wanted.uuids);
	if (c.wanted.n == 0)
		return 0;
	if (minutes > 0)
		c.limit_us = llround(minutes * 60e6);
	int rc = o->capture ? load_capture(&c, o->capture, why, why_len)
			    : simulate(&c, o->profiles, o->seed, minutes, why, why_len);
	if (rc < 0)
		return rc;
	if (f->n_rec == 0) {
		snprintf(why, why_len, "%s holds no notification of the profiles asked for",
			 o->capture ? o->capture : "the simulation");
		return -ENODATA;
	}
	return 0;
}

/* ---- IMU ---- */

static int imu_build(struct imu_feed *imu, const struct imu_hs_config *cfg, uint64_t seed,
		     int64_t t0_us)
{
	struct imu_sim_config c;
	imu_sim_config_default(&c);
	c.seed = seed + imu->rebuilds;
	c.rate_hz = imu_hs_rate_hz(cfg->rate_code);
	c.acc_range_g = imu_hs_acc_range_mps2(cfg->acc_range_code) / 9.80665;
	c.gyro_range_dps = imu_hs_gyro_range_radps(cfg->gyro_range_code) * 180.0 / M_PI;
	c.feet = cfg->foot == IMU_FOOT_RIGHT ? IMU_SIM_RIGHT : IMU_SIM_LEFT;
	c.t0_us = t0_us;
	c.packet_loss = 0; /* losses are the link's business here */
	c.samples_per_packet = 1;
	struct imu_sim *sim = imu_sim_new(&c);
	if (!sim)
		return -EINVAL;
	imu_sim_free(imu->sim);
	imu->sim = sim;
	imu->cfg = *cfg;
	imu->rebuilds++;
	return 0;
}

static bool same_stream_config(const struct imu_hs_config *a, const struct imu_hs_config *b)
{
	return a->rate_code == b->rate_code && a->acc_range_code == b->acc_range_code &&
	       a->gyro_range_code == b->gyro_range_code;
}

static int16_t to_count(double v, double range)
{
	double count = nearbyint(v / (range / 32768.0));
	if (count > 32767)
		return 32767;
	if (count < -32768)
		return -32768;
	return (int16_t)count;
}

static void imu_packet(struct feed *f, size_t value_cap, const struct imu_hs_config *cfg)
{
	struct imu_feed *imu = &f->imu;
	/* Codes the generator cannot do leave it as it was (imu->cfg). */
	if (!same_stream_config(&imu->cfg, cfg))
		(void)imu_build(imu, cfg, f->seed, imu_sim_time_us(imu->sim));

	size_t header = f->movesense ? MS_HEADER_LEN : IMU_HS_HEADER_LEN;
	size_t per_sample = f->movesense ? MS_SAMPLE_LEN : IMU_HS_SAMPLE_LEN;
	size_t n = value_cap > header ? (value_cap - header) / per_sample : 0;
	if (f->movesense && n > MS_SAMPLES_PER_PACKET)
		n = MS_SAMPLES_PER_PACKET;
	if (n == 0)
		n = 1; /* it will not fit; the sender says so */
	if (n > IMU_MAX_SAMPLES)
		n = IMU_MAX_SAMPLES;
	struct imu_sample samples[IMU_MAX_SAMPLES];
	int16_t raw[IMU_MAX_SAMPLES][6];
	n = imu_sim_generate(imu->sim, samples, n);
	struct feed_item *it = &f->imu_item;
	/* Sent once its last sample has been taken. */
	it->t_us = samples[n - 1].t_us - imu->t0_us;
	if (f->movesense) {
		gatt_uuid_parse(IMU_MS_NOTIFY_UUID, &it->uuid);
		/* The reference is the subscriber's: the sender fills it in. */
		it->len = (uint16_t)imu_ms_encode_imu6(0, (uint32_t)(samples[0].t_us / 1000),
						       samples, n, it->value, sizeof(it->value));
		return;
	}
	double acc = imu_hs_acc_range_mps2(imu->cfg.acc_range_code);
	double gyro = imu_hs_gyro_range_radps(imu->cfg.gyro_range_code);
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < 3; k++) {
			raw[i][k] = to_count(samples[i].acc_mps2[k], acc);
			raw[i][3 + k] = to_count(samples[i].gyro_radps[k], gyro);
		}
	gatt_uuid_parse(IMU_HS_DATA_UUID, &it->uuid);
	it->len = (uint16_t)imu_hs_encode_data(
		imu->seq++, (uint32_t)samples[0].t_us, imu->cfg.rate_code, imu->cfg.acc_range_code,
		imu->cfg.gyro_range_code, raw, n, it->value, sizeof(it->value));
}

/* ---- the feed ---- */

int feed_new(const struct feed_options *o, struct feed **out, char *why, size_t why_len)
{
	struct feed *f = xcalloc(1, sizeof(*f));
	f->seed = o->seed;
	double minutes = o->minutes > 0 ? o->minutes : o->capture ? 0 : DEFAULT_MINUTES;
	int rc = load_recording(f, o, minutes, why, why_len);
	if (rc == 0 && (o->profiles & (FAKE_IMU | FAKE_MOVESENSE))) {
		/* Movesense's default here is 416 Hz (code 9); the subscription
		 * sets the rate it streams at. */
		struct imu_hs_config cfg = { .version = IMU_HS_VERSION,
					     .rate_code = o->profiles & FAKE_MOVESENSE ? 9 : 3,
					     .acc_range_code = 3,
					     .gyro_range_code = 4,
					     .foot = o->profiles & FAKE_IMU_LEFT ? IMU_FOOT_LEFT
										 : IMU_FOOT_RIGHT };
		f->has_imu = true;
		f->movesense = o->profiles & FAKE_MOVESENSE;
		f->imu.t0_us = (INT64_C(1) << 32) - FEED_IMU_CLOCK_WRAP_AFTER_US;
		rc = imu_build(&f->imu, &cfg, o->seed, f->imu.t0_us);
		if (rc < 0)
			snprintf(why, why_len, "the IMU simulator refused its configuration");
	}
	if (rc < 0) {
		feed_free(f);
		return rc;
	}
	if (minutes > 0)
		f->end_us = llround(minutes * 60e6);
	else /* the whole capture, up to its last notification */
		f->end_us = f->n_rec ? f->rec[f->n_rec - 1].t_us + 1 : 0;
	*out = f;
	return 0;
}

void feed_free(struct feed *f)
{
	if (!f)
		return;
	imu_sim_free(f->imu.sim);
	free(f->rec);
	free(f->bytes);
	free(f);
}

/* A Movesense streams at the rate of the subscription from its first
 * notification on: a packet made before a (re)subscription changed the
 * rate is not sent but made again. */
static void drop_stale_movesense_packet(struct feed *f, const struct imu_hs_config *imu)
{
	if (!f->movesense || !f->imu_ready || same_stream_config(&f->imu_item_asked, imu))
		return;
	if (f->current == &f->imu_item)
		f->current = NULL;
	f->imu_ready = false;
}

const struct feed_item *feed_peek(struct feed *f, size_t value_cap, const struct imu_hs_config *imu)
{
	if (f->has_imu)
		drop_stale_movesense_packet(f, imu);
	if (!f->current) {
		if (f->has_imu && !f->imu_ready) {
			imu_packet(f, value_cap, imu);
			f->imu_item_asked = *imu;
			f->imu_ready = true;
		}
		const struct recorded *r = f->next_rec < f->n_rec ? &f->rec[f->next_rec] : NULL;
		if (f->imu_ready && (!r || f->imu_item.t_us < r->t_us)) {
			f->current = &f->imu_item;
		} else if (r) {
			f->rec_item.t_us = r->t_us;
			f->rec_item.uuid = r->uuid;
			f->rec_item.len = r->len;
			memcpy(f->rec_item.value, f->bytes + r->offset, r->len);
			f->current = &f->rec_item;
		} else {
			return NULL;
		}
	}
	return f->current->t_us < f->end_us ? f->current : NULL;
}

void feed_pop(struct feed *f)
{
	if (f->current == &f->imu_item)
		f->imu_ready = false;
	else if (f->current)
		f->next_rec++;
	f->current = NULL;
}

int64_t feed_end_us(const struct feed *f)
{
	return f->end_us;
}

size_t feed_recorded_count(const struct feed *f)
{
	return f->n_rec;
}

void feed_log_sent(FILE *log, int64_t run_us, int64_t utc_us, uint16_t handle,
		   const struct gatt_uuid *uuid, const uint8_t *value, size_t len)
{
	char name[37];
	fprintf(log, "%" PRId64 ".%06" PRId64 " %" PRId64 " 0x%04x %s %zu ", run_us / 1000000,
		run_us % 1000000, utc_us, handle, gatt_uuid_to_str(uuid, name, sizeof(name)), len);
	for (size_t i = 0; i < len; i++)
		fprintf(log, "%02x", value[i]);
	fputc('\n', log);
}
