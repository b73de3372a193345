/* Monotonic time in nanoseconds. */
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

#endif
