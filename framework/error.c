/* Thread-local last error message. */
#include "error.h"

#include <stdio.h>
#include <string.h>

#include "redact.h"

/* Weak, so a program or test that links error.c without redact.c still
 * builds (and has no secrets to hide); wherever redact.o is linked, as in
 * perfgate itself, every message is scrubbed of registered secrets. */
extern void pg_redact_text(char *text, int cut) __attribute__((weak));

static _Thread_local char last_error[1024];

/* Formats into a larger buffer first, so a secret is masked whole before
 * the message is cut to size. */
void pg_error_vset(const char *fmt, va_list ap)
{
	char full[4 * sizeof(last_error)];
	int n = vsnprintf(full, sizeof(full), fmt, ap);
	size_t len;

	if (n < 0)
		full[0] = '\0';
	if (pg_redact_text != NULL)
		pg_redact_text(full, n < 0 || (size_t)n >= sizeof(full));
	len = strlen(full);
	if (len >= sizeof(last_error))
		len = sizeof(last_error) - 1;
	memcpy(last_error, full, len);
	last_error[len] = '\0';
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
	if (pg_redact_text != NULL)
		pg_redact_text(last_error, 0);
}

const char *pg_error_last(void)
{
	return last_error;
}

void pg_error_clear(void)
{
	last_error[0] = '\0';
}
