/*
 * Arrival traces: a text file with one arrival offset (from the start of
 * the run) per line, written as a duration with a unit ("125ms", "1.5s") or
 * bare seconds ("0.125"). Blank lines and lines starting with '#' are
 * skipped; offsets must not decrease.
 */
#ifndef PG_TRACE_H
#define PG_TRACE_H

#include <stddef.h>

#include "perfgate/common.h"

/* Most arrivals in one trace, and the longest line read (longer comment
 * lines are skipped, longer offsets refused). */
#define PG_TRACE_MAX_ARRIVALS 10000000
#define PG_TRACE_LINE_MAX 256

/* Reads the trace at path into a new array of *n offsets in ns (*out, the
 * caller frees it; NULL when the file holds no arrivals). PG_EIO when the
 * file cannot be read ("cannot read trace 'path': ..."), PG_EINVAL with a
 * "path:line: ..." message for a bad line. */
int pg_trace_read(pg_ns **out, size_t *n, const char *path);

#endif
