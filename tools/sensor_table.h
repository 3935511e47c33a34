/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The tables 'hamstride sensors' prints: what a scan heard, one row per
 * advertiser, and the name cells both tables share. Columns start where
 * their header starts, so scripts can cut them by the header.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "decode/adv.h"
#include "ble/hci_scan.h"

/* One advertiser, with everything its reports said merged. */
struct sensor_seen {
	uint8_t addr[HCI_SCAN_ADDR_LEN];
	uint8_t addr_type;
	bool rssi_known;
	int8_t rssi_dbm; /* the latest */
	struct adv_data adv;
	const char *malformed; /* why its last bad advertisement was refused */
};

struct sensor_scan_table {
	struct sensor_seen *seen;
	size_t count, capacity;
};

/* Adds one report: a new row, or more about a known advertiser. */
void sensor_scan_table_add(struct sensor_scan_table *t, const struct hci_scan_report *report);
/* Sorts (strongest signal first, then by address) and prints the table. */
void sensor_scan_table_print(struct sensor_scan_table *t, FILE *out);
void sensor_scan_table_free(struct sensor_scan_table *t);

/* A name cell: control characters become '?', "" becomes "-". */
struct sensor_name_cell {
	char text[ADV_NAME_MAX + 1];
	size_t chars; /* UTF-8 characters, for padding */
};
void sensor_name_cell(const char *raw, struct sensor_name_cell *cell);
/* Prints text left-aligned in a column `width` characters wide. */
void sensor_print_padded(FILE *out, const char *text, size_t chars, size_t width);
const char *sensor_addr_type_name(uint8_t type); /* "public" or "random" */
