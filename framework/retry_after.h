/*
 * Retry-After (RFC 9110, section 10.2.3): the wait a 429 or 503 response
 * asks for, as delta-seconds or an HTTP-date.
 */
#ifndef PG_RETRY_AFTER_H
#define PG_RETRY_AFTER_H

#include <stdint.h>

#include "perfgate/common.h"

/* Longest wait a Retry-After value yields (one year); larger values are
 * cut to it, which the caller caps further anyway. */
#define PG_RETRY_AFTER_MAX_NS ((pg_ns)365 * 24 * 3600 * PG_NS_PER_S)

/* Parses a Retry-After value (surrounding blanks allowed): delta-seconds
 * ("120") or an HTTP-date in any of the three forms recipients must accept
 * (IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", obsolete RFC 850
 * "Sunday, 06-Nov-94 08:49:37 GMT", asctime "Sun Nov  6 08:49:37 1994").
 * now_unix_ns is the current wall-clock time (CLOCK_REALTIME) in ns since
 * the epoch; a date is turned into the wait from it, 0 when it is past.
 * Sets *out_wait (ns, 0..PG_RETRY_AFTER_MAX_NS) and returns 0, or returns
 * PG_EPARSE with a message set through pg_error_set(). */
int pg_retry_after_parse(pg_ns *out_wait, const char *value, int64_t now_unix_ns);

/* Parses an HTTP-date (the three forms above) into *out_unix_s, seconds
 * since the epoch (UTC). Returns 0 or PG_EPARSE with a message set. */
int pg_retry_after_parse_date(int64_t *out_unix_s, const char *text);

#endif
