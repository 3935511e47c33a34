/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Allocation that cannot fail: out of memory, hamstride prints a message
 * and aborts (there is nothing sensible to go on with). Every module
 * allocates through these so the policy lives in one place.
 */
#pragma once

#include <stddef.h>

_Noreturn void xalloc_die(void);
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
