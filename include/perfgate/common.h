/*
 * perfgate public common definitions: error codes, log levels and the
 * integer time unit shared by the host and every plugin.
 */
#ifndef PERFGATE_COMMON_H
#define PERFGATE_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Return codes: 0 success, negative failure. A human message for the last
 * failure on this thread is available from the host (pg_error_last()). */
enum {
	PG_OK = 0,
	PG_ERROR = -1,     /* generic failure */
	PG_ENOMEM = -2,    /* allocation failed */
	PG_EINVAL = -3,    /* invalid argument or input */
	PG_ENOTFOUND = -4, /* named thing does not exist */
	PG_EIO = -5,       /* file or socket I/O failed */
	PG_EABI = -6,      /* plugin ABI mismatch */
	PG_EPARSE = -7,    /* malformed data (YAML, JSON, SSE, ...) */
	PG_ERANGE = -8,    /* value outside its allowed bounds */
	PG_ELIMIT = -9     /* a capped buffer or table would overflow */
};

/* Nanoseconds on CLOCK_MONOTONIC (or a duration in nanoseconds). */
typedef int64_t pg_ns;

#define PG_NS_PER_US INT64_C(1000)
#define PG_NS_PER_MS INT64_C(1000000)
#define PG_NS_PER_S INT64_C(1000000000)

typedef enum pg_log_level {
	PG_LOG_ERROR = 0,
	PG_LOG_WARN = 1,
	PG_LOG_INFO = 2,
	PG_LOG_DEBUG = 3
} pg_log_level;

#ifdef __cplusplus
}
#endif

#endif
