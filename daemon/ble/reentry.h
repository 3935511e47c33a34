/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guard that lets a callback free the object that called it: the
 * bearer or client counts how deep its entry points are nested, and a free
 * asked for inside one waits until the outermost returns. One guard for
 * att.c and gatt_client.c, which both hand control to their users' callbacks.
 */
#pragma once

#include <stdbool.h>

struct reentry {
	int depth;
	bool free_pending; /* freed inside a callback: callbacks must stop */
};

static inline void reentry_enter(struct reentry *r)
{
	r->depth++;
}

/* True when the caller must destroy the object now: the outermost entry
 * point is done and a free was asked for inside it. */
static inline bool reentry_leave(struct reentry *r)
{
	return --r->depth == 0 && r->free_pending;
}

/* True when the object may be destroyed at once; otherwise it is marked,
 * and the outermost reentry_leave() says when. */
static inline bool reentry_free(struct reentry *r)
{
	if (r->depth == 0)
		return true;
	r->free_pending = true;
	return false;
}
