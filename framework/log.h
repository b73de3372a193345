/* Messages to stderr with a level; the threshold is set once by the CLI. */
#ifndef PG_LOG_H
#define PG_LOG_H

#include "perfgate/common.h"

/* Messages above this level are dropped (default PG_LOG_WARN). */
void pg_log_set_level(pg_log_level level);
void pg_log(pg_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
