/* File helpers: whole-file writes that never leave a half-written file. */
#ifndef PG_FILEIO_H
#define PG_FILEIO_H

#include <stddef.h>

/* Creates dir and its parents (mode 0755); existing directories are fine. */
int pg_mkdir_p(const char *dir);
/* Writes data to path through a temp file in the same directory, fsync
 * and rename, so readers see the old file or the new one, never a part. */
int pg_file_write_atomic(const char *path, const char *data, size_t len);

#endif
