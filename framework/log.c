/* stderr logging with a level threshold. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

static pg_log_level threshold = PG_LOG_WARN;

void pg_log_set_level(pg_log_level level)
{
	threshold = level;
}

void pg_log(pg_log_level level, const char *fmt, ...)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	va_list ap;

	if (level > threshold)
		return;
	fprintf(stderr, "perfgate: %s: ", names[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
