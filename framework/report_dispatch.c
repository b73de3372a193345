/*
 * --report SPEC: "junit,github,gitlab,openmetrics,html", each format
 * optionally "=PATH". Files go to out_dir under their default names unless
 * a PATH is given (relative to the current directory); every file is
 * written atomically.
 *
 * github: the summary is appended to $GITHUB_STEP_SUMMARY when that is set
 * (read, extended and replaced atomically), else written to
 * out_dir/github-summary.md; github=PATH always writes PATH. Annotations
 * (::error / ::warning lines) go to stdout only when GITHUB_ACTIONS=true,
 * with either form: anywhere else they would be noise, and the summary
 * holds the same information.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "fileio.h"
#include "report_ci.h"
#include "report_text.h"

#define SPEC_ITEMS_MAX 32
#define SUMMARY_READ_MAX ((size_t)64 << 20)

typedef enum format { FMT_JUNIT, FMT_GITHUB, FMT_GITLAB, FMT_OPENMETRICS, FMT_HTML } format;

static const struct {
	const char *name;
	const char *file; /* default name in out_dir */
} formats[] = {
    [FMT_JUNIT] = {"junit", "junit.xml"},
    [FMT_GITHUB] = {"github", "github-summary.md"},
    [FMT_GITLAB] = {"gitlab", "gitlab-load-performance.json"},
    [FMT_OPENMETRICS] = {"openmetrics", "metrics.txt"},
    [FMT_HTML] = {"html", "report.html"},
};

#define KNOWN "junit, github, gitlab, openmetrics, html"

typedef struct spec_item {
	format fmt;
	const char *path; /* into the spec copy; NULL: default */
} spec_item;

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	return s;
}

/* Splits copy (a writable copy of the spec) into items. */
static int parse_spec(spec_item *items, size_t *n, char *copy, const char *spec)
{
	char *tok = copy, *next, *eq, *name;
	size_t f;

	*n = 0;
	for (;;) {
		next = strchr(tok, ',');
		if (next != NULL)
			*next = '\0';
		eq = strchr(tok, '=');
		if (eq != NULL)
			*eq = '\0';
		name = trim(tok);
		if (name[0] == '\0') {
			pg_error_set("--report: empty format in '%s' (known: " KNOWN ")", spec);
			return PG_EINVAL;
		}
		for (f = 0; f < sizeof(formats) / sizeof(formats[0]); f++) {
			if (strcmp(name, formats[f].name) == 0)
				break;
		}
		if (f == sizeof(formats) / sizeof(formats[0])) {
			pg_error_set("--report: unknown format '%s' (known: " KNOWN ")", name);
			return PG_EINVAL;
		}
		if (*n == SPEC_ITEMS_MAX) {
			pg_error_set("--report: more than %d formats", SPEC_ITEMS_MAX);
			return PG_ELIMIT;
		}
		items[*n].fmt = (format)f;
		items[*n].path = NULL;
		if (eq != NULL) {
			items[*n].path = trim(eq + 1);
			if (items[*n].path[0] == '\0') {
				pg_error_set("--report: '%s=' needs a path", name);
				return PG_EINVAL;
			}
		}
		(*n)++;
		if (next == NULL)
			return 0;
		tok = next + 1;
	}
}

/* Creates the directory part of path, if it has one. */
static int make_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];

	if (slash == NULL || slash == path)
		return 0;
	if ((size_t)(slash - path) >= sizeof(dir)) {
		pg_error_set("path too long: '%s'", path);
		return PG_EINVAL;
	}
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	return pg_mkdir_p(dir);
}

static int write_text(const char *path, const char *text)
{
	int rc;

	if ((rc = make_parent(path)) < 0)
		return rc;
	return pg_file_write_atomic(path, text, strlen(text));
}

/* Appends text to the file at path (created when missing), atomically. */
static int append_text(const char *path, const char *text)
{
	pg_rtext t = PG_RTEXT_INIT;
	char *old = NULL, *all = NULL;
	size_t len = 0;
	int rc;

	if (access(path, F_OK) == 0) {
		if ((rc = pg_file_read_all(&old, &len, path, SUMMARY_READ_MAX, "job summary")) < 0)
			return rc;
		pg_rtext_putn(&t, old, len);
		if (len > 0 && old[len - 1] != '\n')
			pg_rtext_putc(&t, '\n');
		free(old);
	} else if (errno != ENOENT) {
		pg_error_set("cannot read job summary '%s': %s", path, strerror(errno));
		return PG_EIO;
	}
	pg_rtext_puts(&t, text);
	if ((rc = pg_rtext_finish(&all, &t)) < 0)
		return rc;
	rc = pg_file_write_atomic(path, all, strlen(all));
	free(all);
	return rc;
}

static int write_github(const spec_item *it, const char *dir, const json_t *results)
{
	const char *summary_env = getenv("GITHUB_STEP_SUMMARY");
	const char *actions = getenv("GITHUB_ACTIONS");
	char path[4096], *text = NULL;
	int rc, n;

	if ((rc = pg_report_github_summary(&text, results)) < 0)
		return rc;
	if (it->path != NULL) {
		rc = write_text(it->path, text);
	} else if (summary_env != NULL && summary_env[0] != '\0') {
		rc = append_text(summary_env, text);
	} else {
		n = snprintf(path, sizeof(path), "%s/%s", dir, formats[FMT_GITHUB].file);
		if (n < 0 || (size_t)n >= sizeof(path)) {
			pg_error_set("path too long: '%s'", dir);
			rc = PG_EINVAL;
		} else {
			rc = write_text(path, text);
		}
	}
	free(text);
	text = NULL;
	if (rc < 0 || actions == NULL || strcmp(actions, "true") != 0)
		return rc;
	if ((rc = pg_report_github_annotations(&text, results, PG_REPORT_ANNOTATIONS_DEFAULT)) < 0)
		return rc;
	if (fputs(text, stdout) == EOF || fflush(stdout) != 0) {
		pg_error_set("cannot print annotations: %s", strerror(errno));
		rc = PG_EIO;
	}
	free(text);
	return rc;
}

static int write_one(const spec_item *it, const char *dir, const json_t *results)
{
	char path[4096], *text = NULL;
	int rc, n;

	switch (it->fmt) {
	case FMT_GITHUB:
		return write_github(it, dir, results);
	case FMT_JUNIT:
		rc = pg_report_junit(&text, results);
		break;
	case FMT_GITLAB:
		rc = pg_report_gitlab_load_performance(&text, results);
		break;
	case FMT_OPENMETRICS:
		rc = pg_report_openmetrics(&text, results);
		break;
	case FMT_HTML:
	default:
		rc = pg_report_html(&text, results);
		break;
	}
	if (rc < 0)
		return rc;
	if (it->path == NULL) {
		n = snprintf(path, sizeof(path), "%s/%s", dir, formats[it->fmt].file);
		if (n < 0 || (size_t)n >= sizeof(path)) {
			pg_error_set("path too long: '%s'", dir);
			rc = PG_EINVAL;
			goto done;
		}
	}
	rc = write_text(it->path != NULL ? it->path : path, text);
done:
	free(text);
	return rc;
}

int pg_reports_check(const char *spec)
{
	spec_item items[SPEC_ITEMS_MAX];
	char *copy;
	size_t n = 0;
	int rc;

	if (spec == NULL) {
		pg_error_set("--report: no formats given (known: " KNOWN ")");
		return PG_EINVAL;
	}
	copy = strdup(spec);
	if (copy == NULL) {
		pg_error_set("out of memory");
		return PG_ENOMEM;
	}
	rc = parse_spec(items, &n, copy, spec);
	free(copy);
	return rc;
}

int pg_reports_write(const char *spec, const char *out_dir, const json_t *results)
{
	spec_item items[SPEC_ITEMS_MAX];
	const char *dir = out_dir != NULL && out_dir[0] != '\0' ? out_dir : ".";
	char *copy = NULL;
	size_t n = 0, i;
	int rc;

	if (spec == NULL) {
		pg_error_set("--report: no formats given (known: " KNOWN ")");
		return PG_EINVAL;
	}
	if (!json_is_object(results)) {
		pg_error_set("--report: the results document is not a JSON object");
		return PG_EINVAL;
	}
	copy = strdup(spec);
	if (copy == NULL) {
		pg_error_set("out of memory");
		return PG_ENOMEM;
	}
	if ((rc = parse_spec(items, &n, copy, spec)) < 0)
		goto done;
	for (i = 0; i < n; i++) {
		if ((rc = write_one(&items[i], dir, results)) < 0) {
			pg_error_prefix("--report %s", formats[items[i].fmt].name);
			goto done;
		}
	}
done:
	free(copy);
	return rc;
}
