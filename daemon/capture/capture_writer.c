// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The btsnoop writer: lays out a file the way btmon -w does (datalink 2001,
 * the Linux monitor format), so btmon -r, Wireshark and the reader open it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture/capture.h"
#include "capture/capture_format.h"
#include "paths.h"
#include "util/bytes.h"
#include "util/xalloc.h"

/* LE controllers with data length extension carry 251 bytes per ACL packet;
 * longer PDUs are fragmented as a real controller would. */
#define WRITER_ACL_MTU 251
#define WRITER_CONN_HANDLE_FIRST 0x0040
#define WRITER_CONN_HANDLE_LAST 0x0eff

struct writer_sensor {
	uint8_t addr[NOTIFICATION_ADDR_LEN];
	uint8_t addr_type;
	uint16_t conn_handle;
};

struct writer_char {
	uint16_t conn_handle;
	uint16_t handle;
};

struct capture_writer {
	FILE *f;
	int error;
	bool started;
	struct writer_sensor *sensors;
	size_t n_sensors, cap_sensors;
	struct writer_char *chars;
	size_t n_chars, cap_chars;
	uint8_t buf[PDU_MAX];
};

static int writer_failed(struct capture_writer *w)
{
	if (!w->error)
		w->error = errno ? -errno : -EIO;
	return w->error;
}

static int write_record(struct capture_writer *w, uint16_t index, uint16_t opcode, int64_t time_us,
			const uint8_t *data, size_t len)
{
	uint8_t hdr[BTSNOOP_REC_HDR_LEN];

	if (w->error)
		return w->error;
	bytes_put_be32(hdr, (uint32_t)len);
	bytes_put_be32(hdr + 4, (uint32_t)len);
	bytes_put_be32(hdr + 8, (uint32_t)index << 16 | opcode);
	bytes_put_be32(hdr + 12, 0);
	bytes_put_be64(hdr + 16, (uint64_t)time_us + (uint64_t)BTSNOOP_UNIX_EPOCH_US);
	errno = 0;
	if (fwrite(hdr, 1, sizeof(hdr), w->f) != sizeof(hdr) ||
	    (len && fwrite(data, 1, len, w->f) != len))
		return writer_failed(w);
	return 0;
}

static int open_with(const char *path, int create_flag, struct capture_writer **out, char *why,
		     size_t why_len)
{
	/* Never through a symbolic link: one planted at a predictable name
	 * (a run's capture, a --output) would have its target overwritten.
	 * Private like the database: it holds the same run. */
	int fd = paths_create_file(path, create_flag);
	if (fd < 0)
		errno = -fd;
	FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
	int err;

	*out = NULL;
	if (fd >= 0 && !f)
		close(fd);
	if (!f && errno == EEXIST) {
		if (why && why_len)
			snprintf(why, why_len, "capture file %s already exists", path);
		return -EEXIST;
	}
	if (!f && errno == ELOOP) {
		if (why && why_len)
			snprintf(why, why_len,
				 "capture file %s is a symbolic link: refused, so its target is "
				 "not overwritten; remove the link or give another path",
				 path);
		return -ELOOP;
	}
	if (!f) {
		err = errno ? errno : EIO;
		if (why && why_len)
			snprintf(why, why_len, "cannot write capture file %s: %s", path,
				 strerror(err));
		return -err;
	}
	return capture_writer_open_stream(f, path, out, why, why_len);
}

int capture_writer_open_stream(FILE *f, const char *name, struct capture_writer **out, char *why,
			       size_t why_len)
{
	uint8_t hdr[BTSNOOP_HDR_LEN];
	struct capture_writer *w;

	*out = NULL;
	memcpy(hdr, btsnoop_magic, sizeof(btsnoop_magic));
	bytes_put_be32(hdr + 8, BTSNOOP_VERSION);
	bytes_put_be32(hdr + 12, DATALINK_MONITOR);
	errno = 0;
	if (fwrite(hdr, 1, sizeof(hdr), f) != sizeof(hdr)) {
		int err = errno ? errno : EIO;
		fclose(f);
		if (why && why_len)
			snprintf(why, why_len, "cannot write capture file %s: %s", name,
				 strerror(err));
		return -err;
	}
	w = xcalloc(1, sizeof(*w));
	w->f = f;
	*out = w;
	return 0;
}

/* The controller, as btmon sees it appear: New Index, then Open Index. */
static int writer_start(struct capture_writer *w, int64_t time_us)
{
	uint8_t ni[16] = { 0 }; /* type primary, bus virtual, no address */
	int ret;

	if (w->started)
		return 0;
	w->started = true;
	memcpy(ni + 8, "hci0", 4);
	ret = write_record(w, 0, MON_NEW_INDEX, time_us, ni, sizeof(ni));
	if (ret == 0)
		ret = write_record(w, 0, MON_OPEN_INDEX, time_us, NULL, 0);
	return ret;
}

static int write_le_conn_complete(struct capture_writer *w, const struct writer_sensor *s,
				  int64_t time_us)
{
	uint8_t ev[2 + 19] = { EVT_LE_META, 19, LE_CONN_COMPLETE, 0x00 };

	bytes_put_le16(ev + 4, s->conn_handle);
	ev[6] = 0x00; /* role: central */
	ev[7] = s->addr_type;
	memcpy(ev + 8, s->addr, NOTIFICATION_ADDR_LEN);
	bytes_put_le16(ev + 14, 0x0018); /* interval 30 ms */
	bytes_put_le16(ev + 16, 0);      /* latency */
	bytes_put_le16(ev + 18, 0x01f4); /* supervision timeout 5 s */
	ev[20] = 0;                      /* central clock accuracy */
	return write_record(w, 0, MON_EVENT, time_us, ev, sizeof(ev));
}

static int writer_sensor_get(struct capture_writer *w, const uint8_t *addr, uint8_t addr_type,
			     int64_t time_us, uint16_t *conn_handle)
{
	struct writer_sensor *s;
	int ret;

	addr_type &= 1;
	for (size_t i = 0; i < w->n_sensors; i++) {
		s = &w->sensors[i];
		if (s->addr_type == addr_type && !memcmp(s->addr, addr, NOTIFICATION_ADDR_LEN)) {
			*conn_handle = s->conn_handle;
			return 0;
		}
	}
	if (w->n_sensors > WRITER_CONN_HANDLE_LAST - WRITER_CONN_HANDLE_FIRST)
		return -ENOSPC;
	if (w->n_sensors == w->cap_sensors) {
		w->cap_sensors = w->cap_sensors ? 2 * w->cap_sensors : 4;
		w->sensors = xreallocarray(w->sensors, w->cap_sensors, sizeof(*w->sensors));
	}
	s = &w->sensors[w->n_sensors];
	memcpy(s->addr, addr, NOTIFICATION_ADDR_LEN);
	s->addr_type = addr_type;
	s->conn_handle = (uint16_t)(WRITER_CONN_HANDLE_FIRST + w->n_sensors);
	ret = writer_start(w, time_us);
	if (ret == 0)
		ret = write_le_conn_complete(w, s, time_us);
	if (ret < 0)
		return ret;
	w->n_sensors++;
	*conn_handle = s->conn_handle;
	return 0;
}

/* An L2CAP PDU on the ATT channel, split into ACL packets. */
static int write_att(struct capture_writer *w, uint16_t opcode, uint16_t conn_handle,
		     int64_t time_us, const uint8_t *att, size_t att_len)
{
	uint8_t pkt[4 + WRITER_ACL_MTU];
	uint8_t *pdu = w->buf;
	size_t len = L2CAP_HDR_LEN + att_len, done = 0;
	uint8_t start = opcode == MON_ACL_TX ? ACL_PB_START_NO_FLUSH : ACL_PB_START;
	int ret = 0;

	bytes_put_le16(pdu, (uint16_t)att_len);
	bytes_put_le16(pdu + 2, L2CAP_CID_ATT);
	if (att != pdu + L2CAP_HDR_LEN)
		memmove(pdu + L2CAP_HDR_LEN, att, att_len);
	while (ret == 0 && done < len) {
		size_t n = len - done < WRITER_ACL_MTU ? len - done : WRITER_ACL_MTU;
		uint8_t pb = done == 0 ? start : ACL_PB_CONTINUATION;

		bytes_put_le16(pkt, (uint16_t)(conn_handle | pb << 12));
		bytes_put_le16(pkt + 2, (uint16_t)n);
		memcpy(pkt + 4, pdu + done, n);
		ret = write_record(w, 0, opcode, time_us, pkt, 4 + n);
		done += n;
	}
	return ret;
}

/* The discovery of one characteristic: Read By Type for 0x2803 over just
 * its declaration, and the answer. */
static int write_discovery(struct capture_writer *w, uint16_t conn_handle,
			   const struct notification *n)
{
	uint8_t req[7] = { ATT_READ_BY_TYPE_REQ };
	uint8_t rsp[2 + 21] = { ATT_READ_BY_TYPE_RSP, (uint8_t)(5 + n->uuid.len) };
	uint16_t decl = (uint16_t)(n->handle - 1);
	int ret;

	bytes_put_le16(req + 1, decl);
	bytes_put_le16(req + 3, decl);
	bytes_put_le16(req + 5, GATT_CHARACTERISTIC_UUID);
	bytes_put_le16(rsp + 2, decl);
	rsp[4] = GATT_CHAR_PROP_NOTIFY;
	bytes_put_le16(rsp + 5, n->handle);
	memcpy(rsp + 7, n->uuid.bytes, n->uuid.len);
	ret = write_att(w, MON_ACL_TX, conn_handle, n->host_time_us, req, sizeof(req));
	if (ret == 0)
		ret = write_att(w, MON_ACL_RX, conn_handle, n->host_time_us, rsp,
				(size_t)(7 + n->uuid.len));
	return ret;
}

static int writer_char_ensure(struct capture_writer *w, uint16_t conn_handle,
			      const struct notification *n)
{
	int ret;

	if ((n->uuid.len != 2 && n->uuid.len != 16) || n->handle < 2)
		return 0;
	for (size_t i = 0; i < w->n_chars; i++)
		if (w->chars[i].conn_handle == conn_handle && w->chars[i].handle == n->handle)
			return 0;
	ret = write_discovery(w, conn_handle, n);
	if (ret < 0)
		return ret;
	if (w->n_chars == w->cap_chars) {
		w->cap_chars = w->cap_chars ? 2 * w->cap_chars : 8;
		w->chars = xreallocarray(w->chars, w->cap_chars, sizeof(*w->chars));
	}
	w->chars[w->n_chars++] = (struct writer_char){ conn_handle, n->handle };
	return 0;
}

/*
 * A system note, which btmon shows as "= Note: ..." and Wireshark as a
 * System Note. (User logging would name us as the sender, but Wireshark 4.0
 * decodes those records as malformed, even bluetoothd's own.)
 */
static int write_note(struct capture_writer *w, int64_t time_us, const char *text)
{
	size_t len = strnlen(text, sizeof(w->buf) - 1);

	memcpy(w->buf, text, len);
	w->buf[len] = '\0';
	return write_record(w, MON_INDEX_NONE, MON_SYSTEM_NOTE, time_us, w->buf, len + 1);
}

int capture_writer_sensor(struct capture_writer *w, const uint8_t addr[NOTIFICATION_ADDR_LEN],
			  uint8_t addr_type, const char *name, int64_t time_us)
{
	char text[320], addr_str[18];
	uint16_t conn_handle;
	int ret;

	if (w->error)
		return w->error;
	ret = writer_sensor_get(w, addr, addr_type, time_us, &conn_handle);
	if (ret < 0 || !name)
		return ret;
	snprintf(text, sizeof(text), "hamstride: sensor %s (%s): %.248s",
		 notification_addr_to_str(addr, addr_str, sizeof(addr_str)),
		 (addr_type & 1) ? "random" : "public", name);
	for (char *c = text; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return write_note(w, time_us, text);
}

int capture_writer_notification(struct capture_writer *w, const struct notification *n)
{
	uint16_t conn_handle;
	int ret;

	if (w->error)
		return w->error;
	if (n->len > CAPTURE_VALUE_MAX || (n->len && !n->value))
		return -EMSGSIZE;
	ret = writer_sensor_get(w, n->addr, n->addr_type, n->host_time_us, &conn_handle);
	if (ret == 0)
		ret = writer_char_ensure(w, conn_handle, n);
	if (ret < 0)
		return ret;
	w->buf[L2CAP_HDR_LEN] = ATT_HANDLE_VALUE_NTF;
	bytes_put_le16(w->buf + L2CAP_HDR_LEN + 1, n->handle);
	if (n->len)
		memcpy(w->buf + L2CAP_HDR_LEN + 3, n->value, n->len);
	return write_att(w, MON_ACL_RX, conn_handle, n->host_time_us, w->buf + L2CAP_HDR_LEN,
			 3 + (size_t)n->len);
}

int capture_writer_close(struct capture_writer *w)
{
	int ret;

	if (!w)
		return 0;
	ret = w->error;
	errno = 0;
	if (fflush(w->f) != 0 && ret == 0)
		ret = errno ? -errno : -EIO;
	if (fclose(w->f) != 0 && ret == 0)
		ret = errno ? -errno : -EIO;
	free(w->sensors);
	free(w->chars);
	free(w);
	return ret;
}

int capture_writer_open(const char *path, struct capture_writer **out, char *why, size_t why_len)
{
	return open_with(path, O_TRUNC, out, why, why_len);
}

int capture_writer_create(const char *path, struct capture_writer **out, char *why, size_t why_len)
{
	return open_with(path, O_EXCL, out, why, why_len);
}
