/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The migrations of schema/, embedded at build time (embed.py). */
#pragma once

struct schema_migration {
	int version; /* PRAGMA user_version after applying it */
	const char *name;
	const char *sql;
};

extern const struct schema_migration schema_migrations[];
extern const unsigned schema_migration_count;
