// SPDX-License-Identifier: GPL-2.0-or-later
#include "test_files.h"

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

void test_remove_database(const char *path)
{
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		char file[4096 + 8];
		snprintf(file, sizeof(file), "%s%s", path, suffixes[i]);
		unlink(file);
	}
}

int test_file_mode(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0 ? (int)(st.st_mode & 0777) : -1;
}
