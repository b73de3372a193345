/*
 * Thread-local last error, as libgit2's git_error_last(): a function that
 * fails returns a negative PG_E code and leaves a human message here.
 */
#ifndef PG_ERROR_H
#define PG_ERROR_H

#include <stdarg.h>

#include "perfgate/common.h"

/* Replaces this thread's last error message (printf format). */
void pg_error_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pg_error_vset(const char *fmt, va_list ap);
/* Prefixes the current message with "prefix: " (e.g. a file name). */
void pg_error_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The last message on this thread, "" when none; owned by the thread. */
const char *pg_error_last(void);
void pg_error_clear(void);

#endif
