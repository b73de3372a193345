/* Atomic file writes, whole-file reads and mkdir -p. */
#include "fileio.h"

#include <errno.h>
#include <libgen.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

int pg_mkdir_p(const char *dir)
{
	char path[4096];
	size_t len = strlen(dir), i;
	struct stat st;

	if (len == 0 || len >= sizeof(path)) {
		pg_error_set("invalid directory '%s'", dir);
		return PG_EINVAL;
	}
	memcpy(path, dir, len + 1);
	for (i = 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST) {
			pg_error_set("cannot create directory '%s': %s", path, strerror(errno));
			return PG_EIO;
		}
		if (i < len)
			path[i] = '/';
	}
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		pg_error_set("'%s' is not a directory", dir);
		return PG_EIO;
	}
	return 0;
}

int pg_file_write_atomic(const char *path, const char *data, size_t len)
{
	pg_atomic_file af;
	int rc;

	if ((rc = pg_file_open_atomic(&af, path)) < 0)
		return rc;
	if (len > 0 && fwrite(data, 1, len, af.f) != len) {
		pg_error_set("cannot write '%s': %s", af.tmp, strerror(errno));
		pg_file_abort_atomic(&af);
		return PG_EIO;
	}
	return pg_file_commit_atomic(&af);
}

int pg_file_read_all(char **out, size_t *len, const char *path, size_t max_bytes, const char *what)
{
	const char *noun = what != NULL ? what : "", *sep = what != NULL ? " " : "";
	size_t cap = 64 * 1024, n = 0, got;
	char *buf = NULL, *grown;
	FILE *f;
	int rc = 0;

	*out = NULL;
	*len = 0;
	f = fopen(path, "rb");
	if (f == NULL) {
		pg_error_set("cannot read %s%s'%s': %s", noun, sep, path, strerror(errno));
		return PG_EIO;
	}
	for (;;) {
		if (buf == NULL || n == cap) {
			if (buf != NULL)
				cap *= 2;
			grown = realloc(buf, cap + 1);
			if (grown == NULL) {
				pg_error_set("out of memory");
				rc = PG_ENOMEM;
				goto done;
			}
			buf = grown;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (n > max_bytes) {
			pg_error_set("%s%s'%s' is larger than %zu MiB", noun, sep, path,
				     max_bytes / (1024 * 1024));
			rc = PG_EINVAL;
			goto done;
		}
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		pg_error_set("cannot read %s%s'%s': %s", noun, sep, path, strerror(errno));
		rc = PG_EIO;
		goto done;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	buf = NULL;
done:
	free(buf);
	fclose(f);
	return rc;
}

int pg_file_open_atomic(pg_atomic_file *af, const char *path)
{
	int fd, n;

	af->f = NULL;
	n = snprintf(af->path, sizeof(af->path), "%s", path);
	if (n < 0 || (size_t)n >= sizeof(af->path) ||
	    snprintf(af->tmp, sizeof(af->tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(af->tmp)) {
		pg_error_set("path too long: '%s'", path);
		return PG_EINVAL;
	}
	fd = mkstemp(af->tmp);
	if (fd < 0) {
		pg_error_set("cannot create a temporary file for '%s': %s", path, strerror(errno));
		return PG_EIO;
	}
	if (fchmod(fd, 0644) != 0 || (af->f = fdopen(fd, "w")) == NULL) {
		pg_error_set("cannot write '%s': %s", af->tmp, strerror(errno));
		close(fd);
		unlink(af->tmp);
		return PG_EIO;
	}
	return 0;
}

int pg_file_commit_atomic(pg_atomic_file *af)
{
	FILE *f = af->f;
	int failed;

	af->f = NULL;
	if (f == NULL)
		return 0;
	failed = fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0;
	if (fclose(f) != 0 || failed) {
		pg_error_set("cannot write '%s': %s", af->tmp, strerror(errno));
		unlink(af->tmp);
		return PG_EIO;
	}
	if (rename(af->tmp, af->path) != 0) {
		pg_error_set("cannot rename '%s' to '%s': %s", af->tmp, af->path, strerror(errno));
		unlink(af->tmp);
		return PG_EIO;
	}
	return 0;
}

void pg_file_abort_atomic(pg_atomic_file *af)
{
	if (af->f == NULL)
		return;
	fclose(af->f);
	af->f = NULL;
	unlink(af->tmp);
}

char *pg_path_dir(const char *path)
{
	char *copy = strdup(path), *d;

	if (copy == NULL)
		return NULL;
	d = strdup(dirname(copy));
	free(copy);
	return d;
}
