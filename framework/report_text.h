/*
 * Text helpers for the report builders: a capped growable buffer (as
 * curl's dynbuf) with a sticky error, UTF-8 walking that repairs invalid
 * input, and number formats.
 */
#ifndef PG_REPORT_TEXT_H
#define PG_REPORT_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "perfgate/common.h"

/* Growable text capped at PG_REPORT_TEXT_MAX bytes. The first failure
 * (PG_ENOMEM, PG_ELIMIT) sticks in err and later appends do nothing, so
 * builders append freely and check once in pg_rtext_finish. */
typedef struct pg_rtext {
	char *data;
	size_t len;
	size_t cap;
	int err;
} pg_rtext;

#define PG_RTEXT_INIT                                                                              \
	{                                                                                          \
		NULL, 0, 0, 0                                                                      \
	}

/* Append n bytes, a string, a byte, or printf-formatted text. */
void pg_rtext_putn(pg_rtext *t, const char *s, size_t n);
void pg_rtext_puts(pg_rtext *t, const char *s);
void pg_rtext_putc(pg_rtext *t, char c);
void pg_rtext_printf(pg_rtext *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s with invalid UTF-8 sequences replaced by U+FFFD. */
void pg_rtext_put_utf8(pg_rtext *t, const char *s);
/* Appends code point cp as UTF-8. */
void pg_rtext_put_cp(pg_rtext *t, uint32_t cp);
/* Moves the text (NUL-terminated, "" when nothing was appended) to *out,
 * which the caller frees, and resets t; or frees it, sets the message and
 * returns the sticky error. */
int pg_rtext_finish(char **out, pg_rtext *t);
/* Frees the text (no-op on an empty buffer). */
void pg_rtext_free(pg_rtext *t);

/* Decodes the code point at *p (before end) and advances *p past it. An
 * invalid, overlong, surrogate or truncated sequence yields U+FFFD and
 * advances one byte. */
uint32_t pg_utf8_next(const char **p, const char *end);

/* Shortest "%.Ng" that reads back as exactly v ("NaN", "+Inf", "-Inf" for
 * non-finite values). */
void pg_num_exact(char *buf, size_t size, double v);
/* About four significant digits for people: 412, 22.21, 0.001, 3000,
 * 123457; no exponent between 1e-4 and 1e15. */
void pg_num_human(char *buf, size_t size, double v);

#endif
