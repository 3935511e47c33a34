// SPDX-License-Identifier: GPL-2.0-or-later
#include "capture/capture_frames.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "capture/capture_format.h"
#include "util/bytes.h"
#include "util/utc.h"
#include "util/xalloc.h"

#define FRAME_MAX (BTSNOOP_REC_HDR_LEN + RECORD_MAX)
/* A record, the header after it, and room to read ahead; kept under the
 * 128 KiB from which allocators map memory afresh for each reader. */
#define BUF_CAP (FRAME_MAX + BTSNOOP_REC_HDR_LEN + 4096)
#define US_PER_S INT64_C(1000000)
/* A record stamped further than this from the record before it, while the
 * records on either side of it agree, carries a damaged time. Sensors
 * notify several times a second, so a minute is far beyond any jitter. */
#define SPIKE_US (60 * US_PER_S)
/* The last record has no neighbour after it: only a jump this long counts
 * as damage there. */
#define LONE_JUMP_US (24 * 3600 * US_PER_S)
/* A record found while resynchronising lies within this of the last good one. */
#define RESYNC_WINDOW_US (24 * 3600 * US_PER_S)
/* Monitor opcodes and controller indices that exist (BlueZ defines opcodes
 * up to about 20; a host has a few controllers). */
#define MON_OPCODE_LIMIT 64
#define MON_INDEX_LIMIT 256

struct frame_header {
	uint32_t orig_len, incl_len, flags;
	int64_t time_us;
};

static __attribute__((format(printf, 3, 4))) int fail(struct capture_frames *fr, int err,
						      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fr->error_text, sizeof(fr->error_text), fmt, ap);
	va_end(ap);
	fr->error = err;
	return err;
}

static size_t avail(const struct capture_frames *fr)
{
	return fr->end - fr->start;
}

static uint64_t position(const struct capture_frames *fr)
{
	return fr->buf_offset + fr->start;
}

/* Makes need bytes readable at buf[start] if the file has them; returns
 * how many are. */
static size_t fill(struct capture_frames *fr, size_t need)
{
	while (avail(fr) < need && !fr->eof) {
		if (fr->start > 0) {
			memmove(fr->buf, fr->buf + fr->start, avail(fr));
			fr->buf_offset += fr->start;
			fr->end -= fr->start;
			fr->start = 0;
		}
		size_t got = fread(fr->buf + fr->end, 1, BUF_CAP - fr->end, fr->f);
		fr->end += got;
		if (got == 0)
			fr->eof = true;
	}
	return avail(fr);
}

static int fail_io(struct capture_frames *fr)
{
	return fail(fr, -EIO, "could not read capture file %s: %s", fr->name, strerror(errno));
}

static int fail_truncated(struct capture_frames *fr, uint64_t at, const char *where)
{
	return fail(fr, -EBADMSG, "capture file %s is truncated at byte %llu (%s)", fr->name,
		    (unsigned long long)at, where);
}

/* ---- the file header ---- */

static const char *datalink_name(uint32_t datalink)
{
	switch (datalink) {
	case 1000:
		return "unencapsulated";
	case 1001:
		return "HCI";
	case 1002:
		return "HCI UART (H4)";
	case 1003:
		return "HCI BSCP";
	case 1004:
		return "HCI three-wire UART (H5)";
	case 2001:
		return "Linux monitor";
	case 2002:
		return "BlueZ simulator";
	default:
		return "unknown";
	}
}

/* Says what the file is when it is not btsnoop, for the common mistakes. */
static const char *not_btsnoop_hint(const uint8_t *hdr, size_t got)
{
	static const uint8_t pcap_le[4] = { 0xd4, 0xc3, 0xb2, 0xa1 };
	static const uint8_t pcap_be[4] = { 0xa1, 0xb2, 0xc3, 0xd4 };
	static const uint8_t pcapng[4] = { 0x0a, 0x0d, 0x0d, 0x0a };

	if (got >= 4 &&
	    (!memcmp(hdr, pcap_le, 4) || !memcmp(hdr, pcap_be, 4) || !memcmp(hdr, pcapng, 4)))
		return "it is a pcap file; Wireshark can save it as btsnoop";
	return "it does not start with \"btsnoop\"";
}

static int read_file_header(struct capture_frames *fr)
{
	size_t got = fill(fr, BTSNOOP_HDR_LEN);
	const uint8_t *hdr = fr->buf;
	size_t magic_len = got < sizeof(btsnoop_magic) ? got : sizeof(btsnoop_magic);

	if (ferror(fr->f))
		return fail_io(fr);
	if (got == 0)
		return fail(fr, -EBADMSG, "%s is empty, not a btsnoop capture", fr->name);
	if (memcmp(hdr, btsnoop_magic, magic_len) != 0)
		return fail(fr, -EBADMSG, "%s is not a btsnoop capture (%s)", fr->name,
			    not_btsnoop_hint(hdr, got));
	if (got < BTSNOOP_HDR_LEN)
		return fail_truncated(fr, got, "file header");
	uint32_t version = bytes_be32(hdr + 8);
	fr->datalink = bytes_be32(hdr + 12);
	fr->start = BTSNOOP_HDR_LEN;
	if (version != BTSNOOP_VERSION)
		return fail(fr, -EBADMSG,
			    "capture file %s is btsnoop version %u; only version 1 exists",
			    fr->name, version);
	if (fr->datalink != DATALINK_HCI && fr->datalink != DATALINK_H4 &&
	    fr->datalink != DATALINK_MONITOR)
		return fail(fr, -ENOTSUP,
			    "capture file %s has datalink %u (%s); hamstride reads 1001 (HCI), "
			    "1002 (HCI UART, Android) and 2001 (Linux monitor, btmon -w)",
			    fr->name, fr->datalink, datalink_name(fr->datalink));
	return 0;
}

int capture_frames_open(struct capture_frames *fr, FILE *f, const char *name)
{
	memset(fr, 0, sizeof(*fr));
	fr->f = f;
	fr->name = name;
	fr->buf = xmalloc(BUF_CAP);
	return read_file_header(fr);
}

void capture_frames_close(struct capture_frames *fr)
{
	if (fr->f)
		fclose(fr->f);
	fr->f = NULL;
	free(fr->buf);
	fr->buf = NULL;
}

/* ---- plausibility ---- */

static void parse_header(const uint8_t *p, struct frame_header *h)
{
	h->orig_len = bytes_be32(p);
	h->incl_len = bytes_be32(p + 4);
	h->flags = bytes_be32(p + 8);
	/* Before 1970 or past 2262 is garbage; wrapping keeps it defined. */
	h->time_us = (int64_t)(bytes_be64(p + 16) - (uint64_t)BTSNOOP_UNIX_EPOCH_US);
}

static uint64_t time_distance_us(int64_t a, int64_t b)
{
	return a > b ? (uint64_t)a - (uint64_t)b : (uint64_t)b - (uint64_t)a;
}

static bool flags_plausible(uint32_t datalink, uint32_t flags)
{
	if (datalink != DATALINK_MONITOR)
		return flags <= 3; /* direction and command/event bits */
	uint16_t index = (uint16_t)(flags >> 16), opcode = (uint16_t)flags;
	return opcode < MON_OPCODE_LIMIT && (index < MON_INDEX_LIMIT || index == MON_INDEX_NONE);
}

/* What every btsnoop writer produces: an included length no longer than
 * the original one nor than any HCI packet, and flags that exist. */
static bool header_plausible(const struct capture_frames *fr, const struct frame_header *h)
{
	return h->incl_len <= h->orig_len && h->incl_len <= RECORD_MAX &&
	       flags_plausible(fr->datalink, h->flags);
}

/* A header at buf[start] to resume at after damage: plausible, near the
 * last good time, all its data there, and followed by the end of the file
 * or by another plausible header near its time. */
static bool resume_point(struct capture_frames *fr)
{
	struct frame_header h, next;

	parse_header(fr->buf + fr->start, &h);
	if (!header_plausible(fr, &h) ||
	    (fr->have_last && time_distance_us(h.time_us, fr->last_time_us) > RESYNC_WINDOW_US))
		return false;
	size_t len = BTSNOOP_REC_HDR_LEN + h.incl_len;
	size_t have = fill(fr, len + BTSNOOP_REC_HDR_LEN);
	if (have < len)
		return false;
	if (have < len + BTSNOOP_REC_HDR_LEN)
		return true; /* the file ends there (perhaps in a cut record) */
	parse_header(fr->buf + fr->start + len, &next);
	return header_plausible(fr, &next) &&
	       time_distance_us(next.time_us, h.time_us) <= RESYNC_WINDOW_US;
}

/* Scans forward from the damaged record at buf[start] to the next place
 * to resume; false (at the end of the file) if there is none. */
static bool resync(struct capture_frames *fr)
{
	fr->start++;
	while (fill(fr, BTSNOOP_REC_HDR_LEN) >= BTSNOOP_REC_HDR_LEN) {
		if (resume_point(fr))
			return true;
		fr->start++;
	}
	return false;
}

static void note_damage(struct capture_frames *fr, uint64_t at, const struct frame_header *h,
			bool plausible)
{
	if (fr->stats.damaged + fr->stats.bad_times == 0)
		fr->stats.first_damage_byte = at;
	fr->stats.damaged++;
	fr->stats.skipped_bytes += position(fr) - at;
	fr->damage = (struct capture_damage){ .kind = plausible ? DAMAGE_LENGTH : DAMAGE_HEADER,
					      .at = at,
					      .record = fr->stats.records + 1,
					      .resume = position(fr),
					      .orig_len = h->orig_len,
					      .incl_len = h->incl_len,
					      .flags = h->flags };
}

/* A record cut shorter than it was (included length below the original)
 * whose end is followed by no plausible header: its included length is
 * the damage, not the header after it. */
static bool length_damaged(const struct capture_frames *fr, const struct frame_header *h)
{
	size_t len = BTSNOOP_REC_HDR_LEN + h->incl_len;
	struct frame_header next;

	if (h->incl_len == h->orig_len || avail(fr) < len + BTSNOOP_REC_HDR_LEN)
		return false;
	parse_header(fr->buf + fr->start + len, &next);
	return !header_plausible(fr, &next);
}

/* ---- times ---- */

/* Whether a record's time is damage: far from the record before it while
 * the one after it agrees with that one (a lone spike), or, for the last
 * record or the first, beyond any pause a capture could hold. */
static bool time_is_damaged(const struct capture_frames *fr, int64_t t_us, bool have_next,
			    int64_t next_us)
{
	if (!fr->have_last)
		return have_next && time_distance_us(t_us, next_us) > LONE_JUMP_US;
	uint64_t jump = time_distance_us(t_us, fr->last_time_us);
	if (jump <= SPIKE_US)
		return false;
	if (!have_next)
		return jump > LONE_JUMP_US;
	return time_distance_us(next_us, fr->last_time_us) <= SPIKE_US &&
	       time_distance_us(t_us, next_us) > SPIKE_US;
}

static void note_bad_time(struct capture_frames *fr, int64_t t_us)
{
	uint64_t at = position(fr);

	if (fr->stats.damaged + fr->stats.bad_times == 0)
		fr->stats.first_damage_byte = at;
	fr->stats.bad_times++;
	fr->damage = (struct capture_damage){ .kind = DAMAGE_TIME,
					      .at = at,
					      .record = fr->stats.records,
					      .time_us = t_us,
					      .had_last = fr->have_last,
					      .last_time_us = fr->last_time_us };
}

static void describe_bad_time(struct capture_frames *fr, const struct capture_damage *d)
{
	char when[64];
	double jump_s =
		d->had_last ? (double)time_distance_us(d->time_us, d->last_time_us) / 1e6 : 0;

	utc_text(d->time_us, UTC_LOG, "an impossible time", when, sizeof(when));
	snprintf(fr->damage_text, sizeof(fr->damage_text),
		 "capture file %s: record %llu at byte %llu is stamped %s, %.0f s %s the "
		 "record before it while the records around it agree; its time is damaged, "
		 "the record is skipped",
		 fr->name, (unsigned long long)d->record, (unsigned long long)d->at, when, jump_s,
		 d->had_last && d->time_us < d->last_time_us ? "before" : "after");
}

const char *capture_frames_damage(struct capture_frames *fr)
{
	const struct capture_damage *d = &fr->damage;
	unsigned long long at = d->at, rec = d->record, skipped = d->resume - d->at;

	if (d->kind == DAMAGE_NONE)
		fr->damage_text[0] = '\0';
	else if (d->kind == DAMAGE_TIME)
		describe_bad_time(fr, d);
	else if (d->kind == DAMAGE_LENGTH)
		snprintf(fr->damage_text, sizeof(fr->damage_text),
			 "capture file %s is damaged at byte %llu: record %llu claims %u bytes, "
			 "past the record that follows; %llu bytes skipped to the next record "
			 "at byte %llu",
			 fr->name, at, rec, d->incl_len, skipped, (unsigned long long)d->resume);
	else
		snprintf(fr->damage_text, sizeof(fr->damage_text),
			 "capture file %s is damaged at byte %llu: record %llu's header is "
			 "impossible (length %u of %u, flags 0x%08x); %llu bytes skipped to the "
			 "next record at byte %llu",
			 fr->name, at, rec, d->incl_len, d->orig_len, d->flags, skipped,
			 (unsigned long long)d->resume);
	return fr->damage_text;
}

/* ---- records ---- */

/* The record at buf[start], whose data are all there: handed out, or
 * skipped (false) if its time is damaged. */
static bool take(struct capture_frames *fr, const struct frame_header *h, struct capture_frame *out)
{
	size_t len = BTSNOOP_REC_HDR_LEN + h->incl_len;
	struct frame_header next = { 0 };
	bool have_next = avail(fr) >= len + BTSNOOP_REC_HDR_LEN;

	if (have_next) {
		parse_header(fr->buf + fr->start + len, &next);
		have_next = header_plausible(fr, &next);
	}
	fr->stats.records++;
	if (time_is_damaged(fr, h->time_us, have_next, next.time_us)) {
		note_bad_time(fr, h->time_us);
		fr->start += len;
		return false;
	}
	*out = (struct capture_frame){ .data = fr->buf + fr->start + BTSNOOP_REC_HDR_LEN,
				       .len = h->incl_len,
				       .flags = h->flags,
				       .time_us = h->time_us };
	fr->start += len;
	fr->have_last = true;
	fr->last_time_us = h->time_us;
	return true;
}

int capture_frames_next(struct capture_frames *fr, struct capture_frame *out)
{
	struct frame_header h;
	char where[48];

	if (fr->error)
		return fr->error;
	for (;;) {
		size_t have = fill(fr, BTSNOOP_REC_HDR_LEN);
		if (ferror(fr->f))
			return fail_io(fr);
		snprintf(where, sizeof(where), "record %llu",
			 (unsigned long long)fr->stats.records + 1);
		if (have == 0)
			return 0;
		if (have < BTSNOOP_REC_HDR_LEN)
			return fail_truncated(fr, position(fr) + have, where);
		parse_header(fr->buf + fr->start, &h);
		bool plausible = header_plausible(fr, &h);
		if (plausible) {
			have = fill(fr, 2 * BTSNOOP_REC_HDR_LEN + h.incl_len);
			if (ferror(fr->f))
				return fail_io(fr);
			if (have >= BTSNOOP_REC_HDR_LEN + h.incl_len && !length_damaged(fr, &h)) {
				if (take(fr, &h, out))
					return 1;
				continue;
			}
		}
		uint64_t at = position(fr);
		if (resync(fr)) {
			note_damage(fr, at, &h, plausible);
			continue;
		}
		if (ferror(fr->f))
			return fail_io(fr);
		if (plausible)
			return fail_truncated(fr, fr->buf_offset + fr->end, where);
		return fail(fr, -EBADMSG,
			    "capture file %s is damaged at byte %llu (%s): its header is "
			    "impossible (length %u of %u, flags 0x%08x) and no readable record "
			    "follows; the records before it are read",
			    fr->name, (unsigned long long)at, where, h.incl_len, h.orig_len,
			    h.flags);
	}
}
