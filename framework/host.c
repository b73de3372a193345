/* The host API table handed to plugins (pg_host_api_get). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "error.h"
#include "judge_client.h"
#include "log.h"
#include "options.h"
#include "plugin_loader.h"

static void host_log(pg_log_level level, const char *plugin, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pg_log(level, "%s: %s", plugin ? plugin : "plugin", msg);
}

static void *host_alloc(size_t size)
{
	return malloc(size);
}

static void *host_calloc(size_t n, size_t size)
{
	return calloc(n, size);
}

static void *host_realloc(void *p, size_t size)
{
	return realloc(p, size);
}

static void host_free(void *p)
{
	free(p);
}

static char *host_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

static pg_ns host_now(void)
{
	return pg_now_ns();
}

static void host_set_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pg_error_vset(fmt, ap);
	va_end(ap);
}

static const pg_host_api host_api = {
	.version = PG_HOST_API_VERSION,
	.size = sizeof(pg_host_api),
	.log = host_log,
	.alloc = host_alloc,
	.calloc = host_calloc,
	.realloc = host_realloc,
	.free = host_free,
	.strdup = host_strdup,
	.now_ns = host_now,
	.opt_string = pg_options_string,
	.opt_int = pg_options_int,
	.opt_double = pg_options_double,
	.opt_bool = pg_options_bool,
	.opt_duration = pg_options_duration,
	.set_error = host_set_error,
	.complete = pg_judge_complete,
};

const pg_host_api *pg_host_api_get(void)
{
	return &host_api;
}
