// SPDX-License-Identifier: GPL-2.0-or-later
#include "physio/report_pdf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "paths.h"
#include "physio/physio.h"
#include "terrain_cli.h"
#include "util/xalloc.h"

/* A temporary name beside path, so the rename stays on one file system. */
static int temporary_beside(const char *path, char *tmp, size_t size)
{
	if ((size_t)snprintf(tmp, size, "%s.XXXXXX", path) >= size)
		return -ENAMETOOLONG;
	int fd = paths_create_temp(tmp); /* health data stay private */
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

static int write_report(const struct physio_data *d, const char *path)
{
	char tmp[4096], why[512];
	int err = temporary_beside(path, tmp, sizeof(tmp));
	if (err) {
		cli_error("cannot create a file beside %s: %s", path, strerror(-err));
		return EX_CANTCREAT;
	}
	err = physio_render_pdf(d, tmp, why, sizeof(why));
	if (err == 0 && rename(tmp, path) != 0) {
		err = -errno;
		snprintf(why, sizeof(why), "cannot rename the report to %s: %s", path,
			 strerror(errno));
	}
	if (err) {
		unlink(tmp);
		cli_error("%s (nothing was written to %s)", why, path);
		return EX_IOERR;
	}
	return 0;
}

struct run_ids {
	int64_t *id;
	size_t n;
};

static int note_run(void *user, const struct store_run *r)
{
	struct run_ids *ids = user;
	ids->id = xreallocarray(ids->id, ids->n + 1, sizeof(*ids->id));
	ids->id[ids->n++] = r->id;
	return 0;
}

/* Runs stored before the terrain code get their segments now, as 'run
 * show' gives them, so the report's grade pages are not empty for them.
 * A database that cannot be written is reported on as it is (the message
 * said why, once). */
static int ensure_terrain(const struct cli_globals *g, struct store *s,
			  const struct report_pdf_args *a)
{
	struct run_ids ids = { 0 };
	int err = store_foreach_run(s, a->from_us, a->to_us, note_run, &ids);
	if (err)
		cli_error("%s", store_error(s));
	for (size_t i = 0; i < ids.n && !err; i++)
		if (cli_ensure_terrain(g, s, ids.id[i]) != 0)
			break;
	free(ids.id);
	return err ? 1 : 0;
}

int report_pdf(const struct cli_globals *g, const struct report_pdf_args *a)
{
	struct store *s;
	int rc = cli_open_store(g, STORE_READ_ONLY, &s);
	if (rc)
		return rc;
	if ((rc = ensure_terrain(g, s, a))) {
		store_close(s);
		return rc;
	}
	const struct physio_options o = {
		.from_us = a->from_us,
		.to_us = a->to_us,
		.side = a->side,
		.runner = a->runner,
		.db_path = g->db_path,
	};
	struct physio_data d;
	int err = physio_data_load(s, &o, &d);
	if (err)
		cli_error("%s", store_error(s));
	store_close(s);
	if (err == 0) {
		rc = write_report(&d, a->path);
		if (rc == 0)
			printf("%s: %u pages, %zu runs, %zu pain reports\n", a->path,
			       physio_page_count(&d), d.n_runs, d.n_pain_reports);
	}
	physio_data_free(&d);
	return err ? 1 : rc;
}
