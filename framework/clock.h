/* Monotonic time in nanoseconds, and the wall-clock time stamps results carry. */
#ifndef PG_CLOCK_H
#define PG_CLOCK_H

#include <time.h>

#include "perfgate/common.h"

/* Now on CLOCK_MONOTONIC, in ns. */
static inline pg_ns pg_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (pg_ns)ts.tv_sec * PG_NS_PER_S + ts.tv_nsec;
}

/* Writes the current UTC time as ISO 8601 ("2026-11-23T15:00:00Z") into
 * buf (at least 21 bytes); an empty string if it cannot be formatted. */
static inline void pg_utc_now_iso8601(char *buf, size_t size)
{
	time_t t = time(NULL);
	struct tm tm;

	if (size == 0)
		return;
	buf[0] = '\0';
	if (gmtime_r(&t, &tm) == NULL || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		buf[0] = '\0';
}

#endif
