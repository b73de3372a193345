/*
 * Plugin registry: the built-in plugins plus shared objects found through
 * dlopen in the plugin search path (--plugin-path, PERFGATE_PLUGIN_PATH,
 * then the install directory). Descriptors are checked for ABI major,
 * size, kind and required operations before use.
 */
#ifndef PG_PLUGIN_LOADER_H
#define PG_PLUGIN_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "perfgate/plugin.h"

typedef struct pg_plugin_registry pg_plugin_registry;

/* Where a registered plugin came from. */
typedef struct pg_plugin_entry {
	const pg_plugin_desc *desc;
	const char *path; /* NULL for built-ins; owned by the registry */
} pg_plugin_entry;

/* Creates a registry holding the built-ins. extra_path is a ':'-separated
 * list searched before PERFGATE_PLUGIN_PATH and the install dir (may be
 * NULL). Free with pg_plugins_free (which dlcloses loaded objects). */
int pg_plugins_new(pg_plugin_registry **out, const char *extra_path);
void pg_plugins_free(pg_plugin_registry *r);

/* Loads one shared object by path and registers its plugin; *out (may be
 * NULL) points at the registered descriptor. Errors name the path and
 * dlerror()'s text, or the ABI versions on a mismatch. */
int pg_plugins_load_file(pg_plugin_registry *r, const char *path, const pg_plugin_desc **out);
/* Finds a plugin of a kind by name: registered ones first, then
 * <dir>/<name>.so in the search path. NULL with a message (listing the
 * directories searched) if there is none. */
const pg_plugin_desc *pg_plugins_find(pg_plugin_registry *r, pg_plugin_kind kind,
				      const char *name);
/* Loads every *.so in the search path (for `perfgate plugins`); load
 * failures are reported on stderr and skipped. */
void pg_plugins_scan(pg_plugin_registry *r);
size_t pg_plugins_count(const pg_plugin_registry *r);
const pg_plugin_entry *pg_plugins_at(const pg_plugin_registry *r, size_t i);
/* Checks a descriptor as the loader does; 0 or PG_EABI/PG_EINVAL. */
int pg_plugin_desc_check(const pg_plugin_desc *d, const char *origin);
/* The descriptor's flags (PG_SCORER_AFTER_RUN, ...): 0 for a plugin built
 * for ABI 1.0, whose descriptor ends before the field. */
uint32_t pg_plugin_flags(const pg_plugin_desc *d);
const char *pg_plugin_kind_name(pg_plugin_kind kind);

/* The host API table handed to every plugin; static, never freed. */
const pg_host_api *pg_host_api_get(void);

#endif
