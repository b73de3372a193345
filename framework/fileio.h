/* File helpers: whole-file writes that never leave a half-written file. */
#ifndef PG_FILEIO_H
#define PG_FILEIO_H

#include <stddef.h>
#include <stdio.h>

/* The directory part of path ("." for a bare file name), malloc'd (the
 * caller frees); NULL when out of memory. */
char *pg_path_dir(const char *path);
/* Creates dir and its parents (mode 0755); existing directories are fine. */
int pg_mkdir_p(const char *dir);
/* Writes data to path through a temp file in the same directory, fsync
 * and rename, so readers see the old file or the new one, never a part. */
int pg_file_write_atomic(const char *path, const char *data, size_t len);
/* Reads the whole file at path, at most max_bytes long, into *out with a
 * NUL after the last byte; *len is the length without the NUL. The caller
 * frees *out. `what` names the file in messages ("cannot read dataset 'x':
 * ..."); NULL leaves the noun out ("cannot read 'x': ..."). */
int pg_file_read_all(char **out, size_t *len, const char *path, size_t max_bytes, const char *what);

/* A file written through a stream and published only when complete. */
typedef struct pg_atomic_file {
	FILE *f;
	char path[4096]; /* final name */
	char tmp[4096];	 /* temp name in the same directory */
} pg_atomic_file;

/* Opens a temp file beside path for writing. */
int pg_file_open_atomic(pg_atomic_file *af, const char *path);
/* Flushes, fsyncs, closes and renames the temp file to its final name. */
int pg_file_commit_atomic(pg_atomic_file *af);
/* Closes and removes the temp file if it is still open (no-op otherwise). */
void pg_file_abort_atomic(pg_atomic_file *af);

#endif
