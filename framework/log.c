/* stderr logging with a level threshold. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

#include "redact.h"

/* Weak, as in error.c: builds without redact.c; scrubs wherever it is linked. */
extern void pg_redact_text(char *text, int cut) __attribute__((weak));

static pg_log_level threshold = PG_LOG_WARN;

void pg_log_set_level(pg_log_level level)
{
	threshold = level;
}

void pg_log(pg_log_level level, const char *fmt, ...)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	char line[4096];
	va_list ap;
	int n;

	if (level > threshold)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (pg_redact_text != NULL)
		pg_redact_text(line, n < 0 || (size_t)n >= sizeof(line));
	fprintf(stderr, "perfgate: %s: %s\n", names[level], line);
}
