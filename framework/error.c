/* Thread-local last error message. */
#include "error.h"

#include <stdio.h>
#include <string.h>

static _Thread_local char last_error[1024];

void pg_error_vset(const char *fmt, va_list ap)
{
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
}

void pg_error_set(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pg_error_vset(fmt, ap);
	va_end(ap);
}

void pg_error_prefix(const char *fmt, ...)
{
	char prefix[512], old[sizeof(last_error)];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, last_error, sizeof(old));
	n = strlen(prefix);
	if (n > sizeof(last_error) - 3)
		n = sizeof(last_error) - 3;
	memcpy(last_error, prefix, n);
	memcpy(last_error + n, ": ", 2);
	/* the message is cut at the buffer's end when prefix + old is too long */
	memcpy(last_error + n + 2, old, sizeof(last_error) - n - 3);
	last_error[sizeof(last_error) - 1] = '\0';
}

const char *pg_error_last(void)
{
	return last_error;
}

void pg_error_clear(void)
{
	last_error[0] = '\0';
}
