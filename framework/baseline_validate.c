/*
 * Validation behind framework/baseline.c, internal to it (not part of the
 * public API): each check names the offending field by its JSON path and
 * sets "origin: path: message" through pg_error_set.
 */
#include "baseline_validate.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "baseline.h"
#include "error.h"
#include "hist.h"

static const char *const fp_strings[] = {"cpu_model",	     "kernel", "os",
					 "perfgate_version", "target", "adapter"};
static const char *const fp_hashes[] = {"load_hash", "workload_hash"};

int pg_baseline_fail(const pg_baseline_vctx *c, const char *path, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (path[0] == '\0')
		pg_error_set("%s: %s", c->origin, msg);
	else
		pg_error_set("%s: %s: %s", c->origin, path, msg);
	return c->code;
}

const char *pg_baseline_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

/* "missing" when v is NULL, else "expected <want>, got <what v is>". */
int pg_baseline_wrong(const pg_baseline_vctx *c, const char *path, const json_t *v,
		      const char *want)
{
	if (v == NULL)
		return pg_baseline_fail(c, path, "missing (expected %s)", want);
	return pg_baseline_fail(c, path, "expected %s, got %s", want, pg_baseline_type_name(v));
}

/* A path too long for dst ends in "..."; it only names a field in a message. */
static void mark_cut(char *dst, int n)
{
	if (n < 0 || n >= JPATH_MAX)
		memcpy(dst + JPATH_MAX - 4, "...", 4);
}

void pg_baseline_join(char *dst, const char *parent, const char *key)
{
	int n;

	if (parent[0] == '\0')
		n = snprintf(dst, JPATH_MAX, "%s", key);
	else
		n = snprintf(dst, JPATH_MAX, "%s.%s", parent, key);
	mark_cut(dst, n);
}

void pg_baseline_join_index(char *dst, const char *parent, size_t i)
{
	mark_cut(dst, snprintf(dst, JPATH_MAX, "%s[%zu]", parent, i));
}

enum { NUM_NULL_OK = 1, NUM_NONNEG = 2, NUM_POSITIVE = 4 };

/* Checks that v (at path) is a finite number within the flags' bounds;
 * null gives NaN when NUM_NULL_OK. */
static int check_num(double *out, const pg_baseline_vctx *c, const json_t *v, const char *path,
		     int flags)
{
	double x;

	if (json_is_null(v) && (flags & NUM_NULL_OK)) {
		*out = NAN;
		return 0;
	}
	if (!json_is_number(v))
		return pg_baseline_wrong(c, path, v,
					 (flags & NUM_NULL_OK) ? "a number or null" : "a number");
	x = json_number_value(v);
	if (!isfinite(x))
		return pg_baseline_fail(c, path, "not a finite number");
	if ((flags & NUM_NONNEG) && x < 0)
		return pg_baseline_fail(c, path, "must be >= 0, got %.17g", x);
	if ((flags & NUM_POSITIVE) && !(x > 0))
		return pg_baseline_fail(c, path, "must be > 0, got %.17g", x);
	*out = x;
	return 0;
}

static int get_num(double *out, const pg_baseline_vctx *c, const json_t *obj, const char *path,
		   const char *key, int flags)
{
	char p[JPATH_MAX];

	pg_baseline_join(p, path, key);
	return check_num(out, c, json_object_get(obj, key), p, flags);
}

int pg_baseline_get_str(const char **out, const pg_baseline_vctx *c, const json_t *obj,
			const char *path, const char *key, int nonempty)
{
	const json_t *v = json_object_get(obj, key);
	char p[JPATH_MAX];

	pg_baseline_join(p, path, key);
	if (!json_is_string(v))
		return pg_baseline_wrong(c, p, v, "a string");
	if (nonempty && json_string_length(v) == 0)
		return pg_baseline_fail(c, p, "must not be empty");
	*out = json_string_value(v);
	return 0;
}

static int is_hex(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s), i;

	if (n < min || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* A commit id: 4..64 lowercase hex digits (abbreviated, SHA-1 or SHA-256). */
int pg_baseline_is_commit(const char *s)
{
	return is_hex(s, 4, 64);
}

static int two_digits(const char *s)
{
	return (s[0] - '0') * 10 + (s[1] - '0');
}

/* RFC 3339 date-time: YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM). */
int pg_baseline_is_timestamp(const char *s)
{
	static const char pat[] = "dddd-dd-ddTdd:dd:dd";
	size_t i;

	for (i = 0; pat[i] != '\0'; i++)
		if (pat[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != pat[i])
			return 0;
	if (two_digits(s + 5) < 1 || two_digits(s + 5) > 12 || two_digits(s + 8) < 1 ||
	    two_digits(s + 8) > 31 || two_digits(s + 11) > 23 || two_digits(s + 14) > 59 ||
	    two_digits(s + 17) > 60)
		return 0;
	s += i;
	if (*s == '.') {
		if (!isdigit((unsigned char)*++s))
			return 0;
		while (isdigit((unsigned char)*s))
			s++;
	}
	if (*s == 'Z')
		return s[1] == '\0';
	if (*s != '+' && *s != '-')
		return 0;
	for (i = 1; i <= 5; i++)
		if (i == 3 ? s[i] != ':' : !isdigit((unsigned char)s[i]))
			return 0;
	return s[6] == '\0' && two_digits(s + 1) <= 23 && two_digits(s + 4) <= 59;
}

/* "commit" (null or a commit id) and "recorded_at" of a run. */
static int check_stamp(const pg_baseline_vctx *c, const json_t *obj, const char *path)
{
	const json_t *v = json_object_get(obj, "commit");
	const char *t = NULL;
	char p[JPATH_MAX];
	int rc;

	pg_baseline_join(p, path, "commit");
	if (v == NULL || !(json_is_null(v) || json_is_string(v)))
		return pg_baseline_wrong(c, p, v, "a commit id or null");
	if (json_is_string(v) && !pg_baseline_is_commit(json_string_value(v)))
		return pg_baseline_fail(c, p,
					"'%.80s' is not a commit id (4 to 64 lowercase hex digits)",
					json_string_value(v));
	if ((rc = pg_baseline_get_str(&t, c, obj, path, "recorded_at", 0)) < 0)
		return rc;
	pg_baseline_join(p, path, "recorded_at");
	if (!pg_baseline_is_timestamp(t))
		return pg_baseline_fail(
		    c, p, "'%.80s' is not an RFC 3339 time (2026-11-23T15:00:00Z)", t);
	return 0;
}

int pg_baseline_check_fingerprint(const pg_baseline_vctx *c, const json_t *fp, const char *path)
{
	const char *s = NULL;
	char p[JPATH_MAX];
	size_t i;
	int rc;

	if (!json_is_object(fp))
		return pg_baseline_wrong(c, path, fp, "an object");
	for (i = 0; i < sizeof(fp_strings) / sizeof(fp_strings[0]); i++)
		if ((rc = pg_baseline_get_str(&s, c, fp, path, fp_strings[i], 0)) < 0)
			return rc;
	for (i = 0; i < sizeof(fp_hashes) / sizeof(fp_hashes[0]); i++) {
		if ((rc = pg_baseline_get_str(&s, c, fp, path, fp_hashes[i], 0)) < 0)
			return rc;
		pg_baseline_join(p, path, fp_hashes[i]);
		if (!is_hex(s, 16, 16))
			return pg_baseline_fail(c, p, "'%.80s' is not 16 lowercase hex digits", s);
	}
	/* sysconf's -1 (unknown) is written as it came */
	pg_baseline_join(p, path, "cores");
	if (!json_is_integer(json_object_get(fp, "cores")))
		return pg_baseline_wrong(c, p, json_object_get(fp, "cores"), "an integer");
	return 0;
}

/* Every "<dist>.histogram" of a metrics object must decode. */
int pg_baseline_check_metrics(const pg_baseline_vctx *c, const json_t *m, const char *path)
{
	const char *key;
	json_t *v;
	char d[JPATH_MAX], p[JPATH_MAX], why[256];

	if (!json_is_object(m))
		return pg_baseline_wrong(c, path, m, "an object");
	/* jansson iterates through a non-const pointer; nothing is changed */
	json_object_foreach((json_t *)m, key, v)
	{
		const json_t *h = json_object_get(v, "histogram");
		pg_hist *hist = NULL;

		if (!json_is_object(v) || h == NULL)
			continue;
		pg_baseline_join(d, path, key);
		pg_baseline_join(p, d, "histogram");
		if (!json_is_string(h))
			return pg_baseline_wrong(c, p, h, "a string");
		if (pg_hist_decode(&hist, json_string_value(h)) < 0) {
			snprintf(why, sizeof(why), "%s", pg_error_last());
			return pg_baseline_fail(c, p, "%s", why);
		}
		pg_hist_free(hist);
	}
	return 0;
}

/* One run's estimate of one metric. */
int pg_baseline_check_estimate(pg_run_estimate *out, const pg_baseline_vctx *c, const json_t *e,
			       const char *path)
{
	pg_run_estimate est;
	const char *unit = NULL;
	int rc;

	if (!json_is_object(e))
		return pg_baseline_wrong(c, path, e, "an object");
	rc = get_num(&est.value, c, e, path, "value", 0);
	if (rc == 0)
		rc = get_num(&est.within_var, c, e, path, "within_var", NUM_NULL_OK | NUM_NONNEG);
	if (rc == 0)
		rc = get_num(&est.within_df, c, e, path, "within_df", NUM_NULL_OK | NUM_NONNEG);
	if (rc == 0)
		rc = pg_baseline_get_str(&unit, c, e, path, "unit", 0);
	if (rc < 0)
		return rc;
	if (isnan(est.within_var) || isnan(est.within_df))
		est.within_df = 0;
	if (out != NULL)
		*out = est;
	return 0;
}

static int check_estimates(const pg_baseline_vctx *c, const json_t *es, const char *path)
{
	const char *key;
	json_t *v;
	char p[JPATH_MAX];
	int rc;

	if (!json_is_object(es))
		return pg_baseline_wrong(c, path, es, "an object");
	json_object_foreach((json_t *)es, key, v)
	{
		pg_baseline_join(p, path, key);
		if ((rc = pg_baseline_check_estimate(NULL, c, v, p)) < 0)
			return rc;
	}
	return 0;
}

/* {"seconds": s, "values": {"metric": [number|null, ...]}}; the non-empty
 * arrays have equal lengths. */
int pg_baseline_check_windows(const pg_baseline_vctx *c, const json_t *w, const char *path)
{
	const json_t *values = json_object_get(w, "values");
	const char *key, *first = NULL;
	json_t *arr;
	size_t len = 0, i;
	char p[JPATH_MAX], q[JPATH_MAX];
	double x;
	int rc;

	if (!json_is_object(w))
		return pg_baseline_wrong(c, path, w, "an object");
	if ((rc = get_num(&x, c, w, path, "seconds", NUM_POSITIVE)) < 0)
		return rc;
	pg_baseline_join(p, path, "values");
	if (!json_is_object(values))
		return pg_baseline_wrong(c, p, values, "an object");
	json_object_foreach((json_t *)values, key, arr)
	{
		pg_baseline_join(q, p, key);
		if (!json_is_array(arr))
			return pg_baseline_wrong(c, q, arr, "an array");
		/* a metric without windows (e.g. no latency when every request
		 * failed) has an empty array; the others cover the same windows */
		if (json_array_size(arr) == 0)
			continue;
		if (first == NULL) {
			first = key;
			len = json_array_size(arr);
		} else if (json_array_size(arr) != len) {
			return pg_baseline_fail(c, q, "has %zu windows but %s has %zu",
						json_array_size(arr), first, len);
		}
		for (i = 0; i < json_array_size(arr); i++) {
			char e[JPATH_MAX];

			pg_baseline_join_index(e, q, i);
			if ((rc = check_num(&x, c, json_array_get(arr, i), e, NUM_NULL_OK)) < 0)
				return rc;
		}
	}
	return 0;
}

static int check_latest(const pg_baseline_vctx *c, const json_t *l, const char *path)
{
	const json_t *w;
	char p[JPATH_MAX], e[JPATH_MAX];
	size_t i;
	int rc;

	if (!json_is_object(l))
		return pg_baseline_wrong(c, path, l, "an object");
	if ((rc = check_stamp(c, l, path)) < 0)
		return rc;
	pg_baseline_join(p, path, "fingerprint");
	if ((rc = pg_baseline_check_fingerprint(c, json_object_get(l, "fingerprint"), p)) < 0)
		return rc;
	pg_baseline_join(p, path, "metrics");
	if ((rc = pg_baseline_check_metrics(c, json_object_get(l, "metrics"), p)) < 0)
		return rc;
	pg_baseline_join(p, path, "windows");
	w = json_object_get(l, "windows");
	if (!json_is_array(w))
		return pg_baseline_wrong(c, p, w, "an array");
	if (json_array_size(w) == 0)
		return pg_baseline_fail(c, p, "must hold one element per run, found none");
	for (i = 0; i < json_array_size(w); i++) {
		pg_baseline_join_index(e, p, i);
		if ((rc = pg_baseline_check_windows(c, json_array_get(w, i), e)) < 0)
			return rc;
	}
	return 0;
}

static int check_entry(const pg_baseline_vctx *c, const json_t *h, const char *path)
{
	char p[JPATH_MAX];
	int rc;

	if (!json_is_object(h))
		return pg_baseline_wrong(c, path, h, "an object");
	if ((rc = check_stamp(c, h, path)) < 0)
		return rc;
	pg_baseline_join(p, path, "fingerprint");
	if ((rc = pg_baseline_check_fingerprint(c, json_object_get(h, "fingerprint"), p)) < 0)
		return rc;
	pg_baseline_join(p, path, "estimates");
	return check_estimates(c, json_object_get(h, "estimates"), p);
}

int pg_baseline_check_document(const pg_baseline_vctx *c, const json_t *doc)
{
	const json_t *hist, *lim;
	const char *s = NULL;
	char p[JPATH_MAX];
	size_t i;
	int rc;

	if (!json_is_object(doc))
		return pg_baseline_fail(c, "", "expected a JSON object, got %s",
					pg_baseline_type_name(doc));
	if ((rc = pg_baseline_get_str(&s, c, doc, "", "schema", 0)) < 0)
		return rc;
	if (strcmp(s, PG_BASELINE_SCHEMA) != 0)
		return pg_baseline_fail(c, "", "schema is '%.80s', expected %s", s,
					PG_BASELINE_SCHEMA);
	if ((rc = pg_baseline_get_str(&s, c, doc, "", "suite", 1)) < 0 ||
	    (rc = pg_baseline_get_str(&s, c, doc, "", "scenario", 1)) < 0)
		return rc;
	lim = json_object_get(doc, "history_limit");
	if (!json_is_integer(lim))
		return pg_baseline_wrong(c, "history_limit", lim, "an integer");
	if (json_integer_value(lim) < 1 || json_integer_value(lim) > PG_BASELINE_HISTORY_MAX)
		return pg_baseline_fail(c, "history_limit",
					"must be 1..%d, got %" JSON_INTEGER_FORMAT,
					PG_BASELINE_HISTORY_MAX, json_integer_value(lim));
	if ((rc = check_latest(c, json_object_get(doc, "latest"), "latest")) < 0)
		return rc;
	hist = json_object_get(doc, "history");
	if (!json_is_array(hist))
		return pg_baseline_wrong(c, "history", hist, "an array");
	if (json_array_size(hist) == 0)
		return pg_baseline_fail(c, "history",
					"is empty (a baseline holds at least one run)");
	if ((json_int_t)json_array_size(hist) > json_integer_value(lim))
		return pg_baseline_fail(
		    c, "history", "holds %zu runs, more than history_limit %" JSON_INTEGER_FORMAT,
		    json_array_size(hist), json_integer_value(lim));
	for (i = 0; i < json_array_size(hist); i++) {
		pg_baseline_join_index(p, "history", i);
		if ((rc = check_entry(c, json_array_get(hist, i), p)) < 0)
			return rc;
	}
	return 0;
}
