/* Atomic file writes and mkdir -p. */
#include "fileio.h"

#include <errno.h>
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
	char tmp[4096];
	size_t off = 0;
	int fd, n, rc = PG_EIO;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		pg_error_set("path too long: '%s'", path);
		return PG_EINVAL;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		pg_error_set("cannot create a temporary file for '%s': %s", path, strerror(errno));
		return PG_EIO;
	}
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			pg_error_set("cannot write '%s': %s", tmp, strerror(errno));
			goto done;
		}
		off += (size_t)w;
	}
	if (fchmod(fd, 0644) != 0 || fsync(fd) != 0) {
		pg_error_set("cannot write '%s': %s", tmp, strerror(errno));
		goto done;
	}
	if (close(fd) != 0) {
		fd = -1;
		pg_error_set("cannot write '%s': %s", tmp, strerror(errno));
		goto done;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		pg_error_set("cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
		goto done;
	}
	rc = 0;
done:
	if (fd >= 0)
		close(fd);
	if (rc != 0)
		unlink(tmp);
	return rc;
}
