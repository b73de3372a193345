/*
 * Small helpers for plugins that hand memory to the host: copies made with
 * host->alloc, so the host can free them (pg_request's url and body).
 */
#ifndef PG_HOST_MEM_H
#define PG_HOST_MEM_H

#include <stddef.h>

#include "perfgate/plugin.h"

/* Copies n bytes of s into a fresh host->alloc allocation with a NUL after
 * them; s may hold NULs. Returns NULL when out of memory (no error is
 * set). The caller owns the copy and frees it with host->free, or hands it
 * to the host. */
char *pg_host_strndup(const pg_host_api *host, const char *s, size_t n);

#endif
