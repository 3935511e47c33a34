// SPDX-License-Identifier: GPL-2.0-or-later
#include "sensor_table.h"

#include "util/notification.h"
#include "util/xalloc.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void sensor_name_cell(const char *raw, struct sensor_name_cell *cell)
{
	size_t n = 0;
	cell->chars = 0;
	for (; *raw && n + 1 < sizeof(cell->text); raw++) {
		unsigned char c = (unsigned char)*raw;
		cell->text[n++] = c < 0x20 || c == 0x7F ? '?' : (char)c;
		cell->chars += (c & 0xC0) != 0x80;
	}
	cell->text[n] = '\0';
	if (n == 0) {
		snprintf(cell->text, sizeof(cell->text), "-");
		cell->chars = 1;
	}
}

void sensor_print_padded(FILE *out, const char *text, size_t chars, size_t width)
{
	fputs(text, out);
	for (size_t i = chars; i < width; i++)
		fputc(' ', out);
}

const char *sensor_addr_type_name(uint8_t type)
{
	return type == NOTIFICATION_ADDR_RANDOM ? "random" : "public";
}

static struct sensor_seen *find_or_add(struct sensor_scan_table *t, const struct hci_scan_report *r)
{
	for (size_t i = 0; i < t->count; i++)
		if (memcmp(t->seen[i].addr, r->addr, HCI_SCAN_ADDR_LEN) == 0 &&
		    t->seen[i].addr_type == r->addr_type)
			return &t->seen[i];
	if (t->count == t->capacity) {
		t->capacity = t->capacity ? t->capacity * 2 : 16;
		t->seen = xreallocarray(t->seen, t->capacity, sizeof(*t->seen));
	}
	struct sensor_seen *s = &t->seen[t->count++];
	memset(s, 0, sizeof(*s));
	memcpy(s->addr, r->addr, HCI_SCAN_ADDR_LEN);
	s->addr_type = r->addr_type;
	adv_data_init(&s->adv);
	return s;
}

void sensor_scan_table_add(struct sensor_scan_table *t, const struct hci_scan_report *r)
{
	struct sensor_seen *s = find_or_add(t, r);
	if (r->rssi_known) {
		s->rssi_known = true;
		s->rssi_dbm = r->rssi_dbm;
	}
	struct adv_data adv;
	const char *why;
	if (adv_parse(r->data, r->data_len, &adv, &why))
		adv_merge(&s->adv, &adv);
	else if (!r->data_incomplete) /* a fragment may end mid-structure */
		s->malformed = why;
}

/* Strongest signal first: the sensor in your hand is at the top. */
static int by_signal(const void *a, const void *b)
{
	const struct sensor_seen *x = a, *y = b;
	if (x->rssi_known != y->rssi_known)
		return x->rssi_known ? -1 : 1;
	if (x->rssi_known && x->rssi_dbm != y->rssi_dbm)
		return y->rssi_dbm - x->rssi_dbm;
	for (int i = HCI_SCAN_ADDR_LEN - 1; i >= 0; i--)
		if (x->addr[i] != y->addr[i])
			return x->addr[i] - y->addr[i];
	return x->addr_type - y->addr_type;
}

/* Appends to buf[*n..size), never past its end. */
static void append(char *buf, size_t size, size_t *n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t size, size_t *n, const char *fmt, ...)
{
	if (*n >= size)
		return;
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(buf + *n, size - *n, fmt, ap);
	va_end(ap);
	*n = w < 0 ? size : *n + (size_t)w;
}

/* "running speed and cadence (1814), 180A": named when hamstride reads
 * the service, else the UUID alone. */
static void format_services(const struct sensor_seen *s, char *buf, size_t size)
{
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < s->adv.service_count; i++) {
		char uuid[40];
		const char *name = adv_service_name(&s->adv.services[i]);
		gatt_uuid_to_str(&s->adv.services[i], uuid, sizeof(uuid));
		if (name)
			append(buf, size, &n, "%s%s (%s)", n ? ", " : "", name, uuid);
		else
			append(buf, size, &n, "%s%s", n ? ", " : "", uuid);
	}
	if (s->adv.services_dropped)
		append(buf, size, &n, ", %zu more", s->adv.services_dropped);
	if (s->adv.services_incomplete)
		append(buf, size, &n, "%s...", n ? ", " : "");
	if (s->malformed)
		append(buf, size, &n, "%s(malformed advertisement: %s)", n ? " " : "",
		       s->malformed);
	if (n == 0)
		snprintf(buf, size, "-");
}

void sensor_scan_table_print(struct sensor_scan_table *t, FILE *out)
{
	struct sensor_name_cell *names = xcalloc(t->count ? t->count : 1, sizeof(*names));
	size_t width = 4;
	qsort(t->seen, t->count, sizeof(*t->seen), by_signal);
	for (size_t i = 0; i < t->count; i++) {
		sensor_name_cell(t->seen[i].adv.name, &names[i]);
		if (names[i].chars > width)
			width = names[i].chars;
	}
	fprintf(out, "%-17s  %-6s  %4s  %-18s  ", "address", "type", "rssi", "role");
	sensor_print_padded(out, "name", 4, width);
	fprintf(out, "  services\n");
	for (size_t i = 0; i < t->count; i++) {
		const struct sensor_seen *s = &t->seen[i];
		char addr[18], rssi[8], services[1024];
		const char *role = adv_suggest_role(&s->adv);
		if (s->rssi_known)
			snprintf(rssi, sizeof(rssi), "%d", s->rssi_dbm);
		else
			snprintf(rssi, sizeof(rssi), "-");
		format_services(s, services, sizeof(services));
		fprintf(out, "%-17s  %-6s  %4s  %-18s  ",
			notification_addr_to_str(s->addr, addr, sizeof(addr)),
			sensor_addr_type_name(s->addr_type), rssi, role ? role : "-");
		sensor_print_padded(out, names[i].text, names[i].chars, width);
		fprintf(out, "  %s\n", services);
	}
	free(names);
}

void sensor_scan_table_free(struct sensor_scan_table *t)
{
	free(t->seen);
	*t = (struct sensor_scan_table){ 0 };
}
