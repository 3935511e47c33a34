// SPDX-License-Identifier: GPL-2.0-or-later
#include "paths.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SYSTEM_DATABASE "/var/lib/hamstride/hamstride.db"

const char *paths_default_database(char *buf, size_t size)
{
	const char *env = getenv("HAMSTRIDE_DB");
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	int n;

	if (env && *env)
		n = snprintf(buf, size, "%s", env);
	else if (access(SYSTEM_DATABASE, F_OK) == 0)
		n = snprintf(buf, size, "%s", SYSTEM_DATABASE);
	else if (xdg && *xdg == '/')
		n = snprintf(buf, size, "%s/hamstride/hamstride.db", xdg);
	else if (home && *home == '/')
		n = snprintf(buf, size, "%s/.local/share/hamstride/hamstride.db", home);
	else
		return NULL;
	return n > 0 && (size_t)n < size ? buf : NULL;
}

int paths_make_parent(const char *path)
{
	char dir[4096];
	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}
