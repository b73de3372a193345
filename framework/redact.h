/*
 * Secrets out of every message and file. Two tools, used by every place
 * that prints or stores text a credential could reach:
 *  - pg_redact_url makes a URL safe to show (no user:password@, no query);
 *  - a process-wide registry of secret values (header values from ${ENV}
 *    or under credential-like names, URL passwords and query values, proxy
 *    passwords) that pg_redact_text masks wherever they turn up, e.g. in a
 *    server's error body that echoes the Authorization header back.
 * pg_error_set (error.c) and pg_log (log.c) pass every message through
 * pg_redact_text, so whatever becomes an error or a log line is clean.
 */
#ifndef PG_REDACT_H
#define PG_REDACT_H

#include <stddef.h>

/* What a masked secret reads as. */
#define PG_REDACT_MASK "***"
/* Secrets shorter than this are not registered: masking them would garble
 * ordinary text, and they protect nothing. */
#define PG_REDACT_MIN 4

/* Copies url into buf (always NUL-terminated) for display: without
 * user:password@ and, except for mock:// (whose query configures the
 * simulated server), without the query and fragment. */
void pg_redact_url(char *buf, size_t size, const char *url);

/* Registers a secret value (copied; kept until pg_redact_reset) so that
 * pg_redact_text masks it from now on. Ignores NULL, duplicates and values
 * shorter than PG_REDACT_MIN. Thread-safe. 0 or PG_ENOMEM/PG_ELIMIT. */
int pg_redact_add(const char *secret);

/* Registers the secrets a URL carries: the password of user:password@
 * (raw, percent-decoded, and as the base64 "user:password" of an HTTP
 * Basic header), a user-only userinfo of 8 bytes or more (a token), and
 * the query's values (every value under a credential-like key, others of
 * 8 bytes or more).
 * mock:// URLs carry none. */
int pg_redact_add_url(const char *url);

/* Registers a header's value when it is secret: when from_env (it came
 * from ${ENV}) or its name is credential-like (pg_redact_is_secret_name).
 * For "Scheme credential" values the credential is registered (so messages
 * read "Bearer ***"), for Basic also the decoded user:password. */
int pg_redact_add_header(const char *name, const char *value, int from_env);

/* Whether a header, option or query key names a credential:
 * Authorization, Cookie, *key*, *token*, *secret*, *pass*, ... (ASCII
 * case-insensitive). */
int pg_redact_is_secret_name(const char *name);

/* Masks every registered secret in text (NUL-terminated, edited in place;
 * it only ever shrinks). cut says the text was truncated: a tail that
 * starts a secret is masked too. */
void pg_redact_text(char *text, int cut);

/* Forgets (and wipes) every registered secret. */
void pg_redact_reset(void);

#endif
