/*
 * Mergeable recorder and series state as JSON (recorder_json.h).
 *
 * Recorder object (version 1):
 *   {"version": 1,
 *    "histograms": {"e2e": "PGH1:...", "ttft", "itl", "tpot", "schedule_lag",
 *                   "e2e_from_send", "ttft_from_send"},
 *    "counters": {"started": n, ... every int64 counter by its field name},
 *    "failed_by_class": {"connect": n, ...}, "http_status": {"200": n, ...},
 *    "tokens_by_source": {"usage": n, "chunks": n},
 *    "quality_sum": "<C99 hex float>", "quality_buckets": [[index, count], ...],
 *    "slo": {"ttft_ns": n, "tpot_ns": n, "e2e_ns": n},
 *    "window_start_ns": n, "window_end_ns": n}
 * quality_sum is a hex float so that it survives any JSON number formatting
 * bit for bit; only non-zero statuses and buckets are written.
 *
 * Series object (version 1):
 *   {"version": 1, "rows": [[second, sent, succeeded, failed, dropped, late,
 *    in_flight, e2e_p50, e2e_p95, e2e_p99, ttft_p50, ttft_p95, ttft_p99]],
 *    "next_second": n, "overruns": n, "batch_from": n, "batch_to": n | null,
 *    "batch_width": n, "batches": [{"succeeded": n, "failed": n,
 *    "e2e": "PGH1:..." | null, "ttft": ...}]}
 * Percentiles are whole nanoseconds, null when the second had none.
 */
#include "recorder_json.h"

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

#define NKEYS(a) (sizeof(a) / sizeof((a)[0]))
#define ROW_FIELDS 13

static const struct {
	const char *name;
	size_t off;
} hist_fields[] = {
    {"e2e", offsetof(pg_recorder, e2e)},
    {"ttft", offsetof(pg_recorder, ttft)},
    {"itl", offsetof(pg_recorder, itl)},
    {"tpot", offsetof(pg_recorder, tpot)},
    {"schedule_lag", offsetof(pg_recorder, send_lag)},
    {"e2e_from_send", offsetof(pg_recorder, e2e_send)},
    {"ttft_from_send", offsetof(pg_recorder, ttft_send)},
};

static const struct {
	const char *name;
	size_t off;
} counter_fields[] = {
    {"started", offsetof(pg_recorder, started)},
    {"succeeded", offsetof(pg_recorder, succeeded)},
    {"failed", offsetof(pg_recorder, failed)},
    {"completed_in_window", offsetof(pg_recorder, completed_in_window)},
    {"output_tokens_in_window", offsetof(pg_recorder, output_tokens_in_window)},
    {"output_tokens", offsetof(pg_recorder, output_tokens)},
    {"input_tokens", offsetof(pg_recorder, input_tokens)},
    {"late", offsetof(pg_recorder, late)},
    {"dropped", offsetof(pg_recorder, dropped)},
    {"connections", offsetof(pg_recorder, connections)},
    {"retries", offsetof(pg_recorder, retries)},
    {"cancelled", offsetof(pg_recorder, cancelled)},
    {"scored", offsetof(pg_recorder, scored)},
    {"quality_passed", offsetof(pg_recorder, quality_passed)},
    {"limited", offsetof(pg_recorder, limited)},
    {"over_limit", offsetof(pg_recorder, over_limit)},
    {"goodput", offsetof(pg_recorder, goodput)},
    {"goodput_in_window", offsetof(pg_recorder, goodput_in_window)},
};

/* Failure classes by pg_error_class value; 0 (none) is never counted. */
static const char *const class_names[PG_FAIL_CLASS_COUNT] = {
    "none", "connect", "timeout", "network", "http", "stream", "protocol"};

static const char *const recorder_keys[] = {
    "version",	   "histograms",       "counters",     "failed_by_class",
    "http_status", "tokens_by_source", "quality_sum",  "quality_buckets",
    "slo",	   "window_start_ns",  "window_end_ns"};
static const char *const slo_keys[] = {"ttft_ns", "tpot_ns", "e2e_ns"};
static const char *const source_keys[] = {"usage", "chunks"};
static const char *const series_keys[] = {"version",	"rows",	    "next_second", "overruns",
					  "batch_from", "batch_to", "batch_width", "batches"};
static const char *const batch_keys[] = {"succeeded", "failed", "e2e", "ttft"};

/* ---- reading helpers ---------------------------------------------------- */

static int bad(const char *path, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Sets "<path>[.<key>]: <message>" and returns PG_EPARSE. */
static int bad(const char *path, const char *key, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (key != NULL)
		pg_error_set("%s.%s: %s", path, key, msg);
	else
		pg_error_set("%s: %s", path, msg);
	return PG_EPARSE;
}

/* Requires an object whose keys are all in keys[0..n) and that has every
 * key of keys[0..required). */
static int check_object(const json_t *obj, const char *const *keys, size_t n, size_t required,
			const char *path)
{
	const char *k;
	json_t *v;
	size_t i;

	if (!json_is_object(obj))
		return bad(path, NULL, "expected an object");
	json_object_foreach((json_t *)obj, k, v)
	{
		for (i = 0; i < n && strcmp(k, keys[i]) != 0; i++)
			;
		if (i == n)
			return bad(path, NULL, "unknown field '%s'", k);
	}
	for (i = 0; i < required; i++)
		if (json_object_get(obj, keys[i]) == NULL)
			return bad(path, keys[i], "missing");
	return 0;
}

/* A non-negative integer member. */
static int get_count(int64_t *out, const json_t *obj, const char *key, const char *path)
{
	const json_t *v = json_object_get(obj, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return bad(path, key, "expected a non-negative integer");
	*out = (int64_t)json_integer_value(v);
	return 0;
}

/* Builds "<path>.<key>" into buf. */
static const char *sub_path(char *buf, size_t size, const char *path, const char *key)
{
	snprintf(buf, size, "%s.%s", path, key);
	return buf;
}

/* Decodes a histogram string and adds it into `into` (which fixes the
 * layout: a histogram of another range or precision is refused). */
static int get_hist(pg_hist *into, const json_t *v, const char *path, const char *key)
{
	pg_hist *h = NULL;
	int rc;

	if (!json_is_string(v))
		return bad(path, key, "expected a histogram string");
	if (pg_hist_decode(&h, json_string_value(v)) < 0)
		return bad(path, key, "%s", pg_error_last());
	rc = pg_hist_merge(into, h);
	pg_hist_free(h);
	if (rc < 0)
		return bad(path, key, "histogram has the wrong range or precision");
	return 0;
}

static int add_int(json_t *obj, const char *key, int64_t v)
{
	return json_object_set_new(obj, key, json_integer((json_int_t)v)) < 0 ? PG_ENOMEM : 0;
}

static int add_hist(json_t *obj, const char *key, const pg_hist *h)
{
	char *enc = NULL;
	int rc;

	if (h == NULL)
		return json_object_set_new(obj, key, json_null()) < 0 ? PG_ENOMEM : 0;
	if ((rc = pg_hist_encode(h, &enc)) < 0)
		return rc;
	rc = json_object_set_new(obj, key, json_string(enc)) < 0 ? PG_ENOMEM : 0;
	free(enc);
	return rc;
}

/* ---- recorder ----------------------------------------------------------- */

int pg_recorder_to_json(json_t **out, const pg_recorder *r)
{
	json_t *o = json_object(), *hists = json_object(), *counters = json_object();
	json_t *classes = json_object(), *status = json_object(), *src = json_object();
	json_t *buckets = json_array(), *slo = json_object();
	char key[16], sum[64];
	size_t i;
	int rc = PG_ENOMEM;

	*out = NULL;
	if (o == NULL || hists == NULL || counters == NULL || classes == NULL || status == NULL ||
	    src == NULL || buckets == NULL || slo == NULL)
		goto done;
	for (i = 0; i < NKEYS(hist_fields); i++) {
		const pg_hist *h = *(pg_hist *const *)((const char *)r + hist_fields[i].off);

		if ((rc = add_hist(hists, hist_fields[i].name, h)) < 0)
			goto done;
	}
	rc = PG_ENOMEM;
	for (i = 0; i < NKEYS(counter_fields); i++)
		if (add_int(counters, counter_fields[i].name,
			    *(const int64_t *)((const char *)r + counter_fields[i].off)) < 0)
			goto done;
	for (i = 1; i < PG_FAIL_CLASS_COUNT; i++)
		if (add_int(classes, class_names[i], r->failed_by_class[i]) < 0)
			goto done;
	for (i = 0; i < PG_HTTP_STATUS_MAX; i++) {
		if (r->http_status[i] == 0)
			continue;
		snprintf(key, sizeof(key), "%zu", i);
		if (add_int(status, key, r->http_status[i]) < 0)
			goto done;
	}
	if (add_int(src, "usage", r->tokens_by_source[PG_TOKENS_USAGE]) < 0 ||
	    add_int(src, "chunks", r->tokens_by_source[PG_TOKENS_CHUNKS]) < 0)
		goto done;
	for (i = 0; i < PG_QUALITY_BUCKETS; i++) {
		if (r->quality_buckets[i] == 0)
			continue;
		if (json_array_append_new(buckets, json_pack("[I, I]", (json_int_t)i,
							     (json_int_t)r->quality_buckets[i])) <
		    0)
			goto done;
	}
	if (add_int(slo, "ttft_ns", r->slo.ttft) < 0 || add_int(slo, "tpot_ns", r->slo.tpot) < 0 ||
	    add_int(slo, "e2e_ns", r->slo.e2e) < 0)
		goto done;
	snprintf(sum, sizeof(sum), "%a", r->quality_sum);
	if (add_int(o, "version", PG_RECORDER_JSON_VERSION) < 0 ||
	    json_object_set(o, "histograms", hists) < 0 ||
	    json_object_set(o, "counters", counters) < 0 ||
	    json_object_set(o, "failed_by_class", classes) < 0 ||
	    json_object_set(o, "http_status", status) < 0 ||
	    json_object_set(o, "tokens_by_source", src) < 0 ||
	    json_object_set_new(o, "quality_sum", json_string(sum)) < 0 ||
	    json_object_set(o, "quality_buckets", buckets) < 0 ||
	    json_object_set(o, "slo", slo) < 0 ||
	    add_int(o, "window_start_ns", r->window_start) < 0 ||
	    add_int(o, "window_end_ns", r->window_end) < 0)
		goto done;
	*out = o;
	o = NULL;
	rc = 0;
done:
	if (rc == PG_ENOMEM)
		pg_error_set("out of memory serializing a recorder");
	json_decref(o);
	json_decref(hists);
	json_decref(counters);
	json_decref(classes);
	json_decref(status);
	json_decref(src);
	json_decref(buckets);
	json_decref(slo);
	return rc;
}

static int read_version(const json_t *j, const char *path)
{
	int64_t v = 0;
	int rc;

	if ((rc = get_count(&v, j, "version", path)) < 0)
		return rc;
	if (v != PG_RECORDER_JSON_VERSION)
		return bad(path, "version",
			   "version %lld is not supported (this perfgate reads %d)", (long long)v,
			   PG_RECORDER_JSON_VERSION);
	return 0;
}

static int read_slo(pg_slo *slo, const json_t *j, const char *path)
{
	char p[512];
	const json_t *o = json_object_get(j, "slo");
	int rc;

	sub_path(p, sizeof(p), path, "slo");
	if ((rc = check_object(o, slo_keys, NKEYS(slo_keys), NKEYS(slo_keys), p)) < 0 ||
	    (rc = get_count(&slo->ttft, o, "ttft_ns", p)) < 0 ||
	    (rc = get_count(&slo->tpot, o, "tpot_ns", p)) < 0 ||
	    (rc = get_count(&slo->e2e, o, "e2e_ns", p)) < 0)
		return rc;
	return 0;
}

static int read_hists(pg_recorder *r, const json_t *j, const char *path)
{
	const char *names[NKEYS(hist_fields)];
	const json_t *o = json_object_get(j, "histograms");
	char p[512];
	size_t i;
	int rc;

	for (i = 0; i < NKEYS(hist_fields); i++)
		names[i] = hist_fields[i].name;
	sub_path(p, sizeof(p), path, "histograms");
	if ((rc = check_object(o, names, NKEYS(names), NKEYS(names), p)) < 0)
		return rc;
	for (i = 0; i < NKEYS(hist_fields); i++) {
		pg_hist *h = *(pg_hist **)((char *)r + hist_fields[i].off);

		if ((rc = get_hist(h, json_object_get(o, names[i]), p, names[i])) < 0)
			return rc;
	}
	return 0;
}

static int read_counters(pg_recorder *r, const json_t *j, const char *path)
{
	const char *names[NKEYS(counter_fields)];
	const json_t *o = json_object_get(j, "counters");
	char p[512];
	size_t i;
	int rc;

	for (i = 0; i < NKEYS(counter_fields); i++)
		names[i] = counter_fields[i].name;
	sub_path(p, sizeof(p), path, "counters");
	if ((rc = check_object(o, names, NKEYS(names), NKEYS(names), p)) < 0)
		return rc;
	for (i = 0; i < NKEYS(counter_fields); i++)
		if ((rc = get_count((int64_t *)((char *)r + counter_fields[i].off), o, names[i],
				    p)) < 0)
			return rc;
	o = json_object_get(j, "failed_by_class");
	sub_path(p, sizeof(p), path, "failed_by_class");
	if ((rc = check_object(o, class_names + 1, PG_FAIL_CLASS_COUNT - 1, PG_FAIL_CLASS_COUNT - 1,
			       p)) < 0)
		return rc;
	for (i = 1; i < PG_FAIL_CLASS_COUNT; i++)
		if ((rc = get_count(&r->failed_by_class[i], o, class_names[i], p)) < 0)
			return rc;
	o = json_object_get(j, "tokens_by_source");
	sub_path(p, sizeof(p), path, "tokens_by_source");
	if ((rc = check_object(o, source_keys, 2, 2, p)) < 0 ||
	    (rc = get_count(&r->tokens_by_source[PG_TOKENS_USAGE], o, "usage", p)) < 0 ||
	    (rc = get_count(&r->tokens_by_source[PG_TOKENS_CHUNKS], o, "chunks", p)) < 0)
		return rc;
	return 0;
}

static int read_status(pg_recorder *r, const json_t *j, const char *path)
{
	const json_t *o = json_object_get(j, "http_status");
	const char *k;
	json_t *v;
	char p[512], canon[16];

	sub_path(p, sizeof(p), path, "http_status");
	if (!json_is_object(o))
		return bad(p, NULL, "expected an object");
	json_object_foreach((json_t *)o, k, v)
	{
		char *end;
		long code = strtol(k, &end, 10);

		snprintf(canon, sizeof(canon), "%ld", code);
		if (*k == '\0' || *end != '\0' || code < 1 || code >= PG_HTTP_STATUS_MAX ||
		    strcmp(canon, k) != 0)
			return bad(p, NULL, "'%s' is not an HTTP status from 1 to %d", k,
				   PG_HTTP_STATUS_MAX - 1);
		if (!json_is_integer(v) || json_integer_value(v) < 1)
			return bad(p, k, "expected a positive integer");
		r->http_status[code] = (int64_t)json_integer_value(v);
	}
	return 0;
}

static int read_quality(pg_recorder *r, const json_t *j, const char *path)
{
	const json_t *s = json_object_get(j, "quality_sum");
	const json_t *a = json_object_get(j, "quality_buckets");
	int64_t total = 0;
	long prev = -1;
	char p[512], *end;
	size_t i;

	if (!json_is_string(s))
		return bad(path, "quality_sum", "expected a hex float string");
	r->quality_sum = strtod(json_string_value(s), &end);
	if (*json_string_value(s) == '\0' || *end != '\0' || !isfinite(r->quality_sum) ||
	    r->quality_sum < 0)
		return bad(path, "quality_sum", "'%s' is not a non-negative number",
			   json_string_value(s));
	sub_path(p, sizeof(p), path, "quality_buckets");
	if (!json_is_array(a))
		return bad(p, NULL, "expected an array");
	for (i = 0; i < json_array_size(a); i++) {
		const json_t *e = json_array_get(a, i);
		const json_t *idx = json_array_get(e, 0), *cnt = json_array_get(e, 1);

		if (!json_is_array(e) || json_array_size(e) != 2 || !json_is_integer(idx) ||
		    !json_is_integer(cnt))
			return bad(p, NULL, "element %zu: expected [index, count]", i);
		if (json_integer_value(idx) <= prev ||
		    json_integer_value(idx) >= PG_QUALITY_BUCKETS)
			return bad(p, NULL,
				   "element %zu: index %lld is out of order or outside 0..%d", i,
				   (long long)json_integer_value(idx), PG_QUALITY_BUCKETS - 1);
		if (json_integer_value(cnt) < 1 || json_integer_value(cnt) > INT64_MAX - total)
			return bad(p, NULL, "element %zu: count must be positive", i);
		prev = (long)json_integer_value(idx);
		r->quality_buckets[prev] = (int64_t)json_integer_value(cnt);
		total += r->quality_buckets[prev];
	}
	if (total != r->scored)
		return bad(p, NULL, "the buckets hold %lld scores but counters.scored is %lld",
			   (long long)total, (long long)r->scored);
	return 0;
}

int pg_recorder_from_json(pg_recorder **out, const json_t *j, const char *path)
{
	pg_recorder *r = NULL;
	pg_slo slo;
	int rc;

	*out = NULL;
	if ((rc = check_object(j, recorder_keys, NKEYS(recorder_keys), NKEYS(recorder_keys),
			       path)) < 0 ||
	    (rc = read_version(j, path)) < 0 || (rc = read_slo(&slo, j, path)) < 0)
		return rc;
	if ((rc = pg_recorder_new(&r, &slo)) < 0) {
		pg_error_set("out of memory reading a recorder");
		return rc;
	}
	if ((rc = read_hists(r, j, path)) < 0 || (rc = read_counters(r, j, path)) < 0 ||
	    (rc = read_status(r, j, path)) < 0 || (rc = read_quality(r, j, path)) < 0 ||
	    (rc = get_count(&r->window_start, j, "window_start_ns", path)) < 0 ||
	    (rc = get_count(&r->window_end, j, "window_end_ns", path)) < 0)
		goto done;
	if (pg_hist_count(r->e2e) != r->succeeded) {
		rc = bad(path, "histograms.e2e", "holds %lld values but counters.succeeded is %lld",
			 (long long)pg_hist_count(r->e2e), (long long)r->succeeded);
		goto done;
	}
	*out = r;
	r = NULL;
done:
	pg_recorder_free(r);
	return rc;
}

/* ---- series ------------------------------------------------------------- */

static json_t *ns_or_null(double v)
{
	return isnan(v) ? json_null() : json_integer((json_int_t)llround(v));
}

static json_t *row_json(const pg_series_row *row)
{
	json_t *a = json_array();
	const double p[6] = {row->e2e_p50,  row->e2e_p95,  row->e2e_p99,
			     row->ttft_p50, row->ttft_p95, row->ttft_p99};
	const int64_t c[7] = {row->second,  row->sent, row->succeeded, row->failed,
			      row->dropped, row->late, row->in_flight};
	size_t i;

	for (i = 0; a != NULL && i < 7; i++)
		if (json_array_append_new(a, json_integer((json_int_t)c[i])) < 0)
			goto fail;
	for (i = 0; a != NULL && i < 6; i++)
		if (json_array_append_new(a, ns_or_null(p[i])) < 0)
			goto fail;
	return a;
fail:
	json_decref(a);
	return NULL;
}

int pg_series_to_json(json_t **out, const pg_series *s)
{
	json_t *o = json_object(), *rows = json_array(), *batches = json_array();
	size_t i;
	int rc = PG_ENOMEM;

	*out = NULL;
	if (o == NULL || rows == NULL || batches == NULL)
		goto done;
	for (i = 0; i < s->n; i++)
		if (json_array_append_new(rows, row_json(&s->rows[i])) < 0)
			goto done;
	for (i = 0; i < s->n_batches; i++) {
		const pg_series_batch *b = &s->batches[i];
		json_t *bo = json_object();

		if (bo == NULL || json_array_append_new(batches, bo) < 0)
			goto done;
		if (add_int(bo, "succeeded", b->succeeded) < 0 ||
		    add_int(bo, "failed", b->failed) < 0 ||
		    (rc = add_hist(bo, "e2e", b->e2e)) < 0 ||
		    (rc = add_hist(bo, "ttft", b->ttft)) < 0) {
			rc = rc < 0 ? rc : PG_ENOMEM;
			goto done;
		}
		rc = PG_ENOMEM;
	}
	if (add_int(o, "version", PG_RECORDER_JSON_VERSION) < 0 ||
	    json_object_set(o, "rows", rows) < 0 || add_int(o, "next_second", s->next_second) < 0 ||
	    add_int(o, "overruns", s->overruns) < 0 ||
	    add_int(o, "batch_from", s->batch_from) < 0 ||
	    json_object_set_new(o, "batch_to",
				s->batch_to == INT64_MAX
				    ? json_null()
				    : json_integer((json_int_t)s->batch_to)) < 0 ||
	    add_int(o, "batch_width", s->batch_width) < 0 ||
	    json_object_set(o, "batches", batches) < 0)
		goto done;
	*out = o;
	o = NULL;
	rc = 0;
done:
	if (rc == PG_ENOMEM)
		pg_error_set("out of memory serializing a series");
	json_decref(o);
	json_decref(rows);
	json_decref(batches);
	return rc;
}

static int read_row(pg_series_row *row, const json_t *a, const char *path, size_t i)
{
	int64_t c[7];
	double *p[6] = {&row->e2e_p50,	&row->e2e_p95,	&row->e2e_p99,
			&row->ttft_p50, &row->ttft_p95, &row->ttft_p99};
	size_t k;

	if (!json_is_array(a) || json_array_size(a) != ROW_FIELDS)
		return bad(path, NULL, "row %zu: expected an array of %d numbers", i, ROW_FIELDS);
	for (k = 0; k < 7; k++) {
		const json_t *v = json_array_get(a, k);

		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return bad(path, NULL,
				   "row %zu, field %zu: expected a non-negative integer", i, k);
		c[k] = (int64_t)json_integer_value(v);
	}
	for (k = 0; k < 6; k++) {
		const json_t *v = json_array_get(a, 7 + k);

		if (json_is_null(v))
			*p[k] = NAN;
		else if (json_is_integer(v) && json_integer_value(v) >= 0)
			*p[k] = (double)json_integer_value(v);
		else
			return bad(path, NULL,
				   "row %zu, field %zu: expected a non-negative integer or null", i,
				   7 + k);
	}
	row->second = c[0];
	row->sent = c[1];
	row->succeeded = c[2];
	row->failed = c[3];
	row->dropped = c[4];
	row->late = c[5];
	row->in_flight = c[6];
	return 0;
}

static int read_rows(pg_series *s, const json_t *a, const char *path)
{
	size_t i, n = json_array_size(a);

	if (!json_is_array(a))
		return bad(path, NULL, "expected an array");
	if (n > 0 && (s->rows = calloc(n, sizeof(*s->rows))) == NULL) {
		pg_error_set("out of memory reading a series");
		return PG_ENOMEM;
	}
	s->cap = n;
	for (i = 0; i < n; i++) {
		int rc = read_row(&s->rows[i], json_array_get(a, i), path, i);

		if (rc < 0)
			return rc;
		if (i > 0 && s->rows[i].second <= s->rows[i - 1].second)
			return bad(path, NULL, "row %zu: seconds must increase", i);
		s->n = i + 1;
	}
	if (s->n > 0 && s->next_second <= s->rows[s->n - 1].second)
		return bad(path, NULL, "next_second %lld is not after the last row",
			   (long long)s->next_second);
	return 0;
}

/* A batch histogram: decoded, then checked to share the layout of the
 * series' own coarse histograms. */
static int read_batch_hist(pg_hist **out, const pg_series *s, const json_t *v, const char *path,
			   const char *key)
{
	pg_hist *h = NULL;
	int rc;

	if (!json_is_string(v))
		return bad(path, key, "expected a histogram string");
	if ((rc = pg_hist_clone(&h, s->tmp_e2e)) < 0)
		return rc;
	pg_hist_reset(h);
	if ((rc = get_hist(h, v, path, key)) < 0) {
		pg_hist_free(h);
		return rc;
	}
	*out = h;
	return 0;
}

static int read_batches(pg_series *s, const json_t *a, const char *path)
{
	char p[512];
	size_t i;
	int rc;

	if (!json_is_array(a) || json_array_size(a) > PG_SERIES_BATCHES)
		return bad(path, NULL, "expected an array of at most %d batches",
			   PG_SERIES_BATCHES);
	for (i = 0; i < json_array_size(a); i++) {
		const json_t *b = json_array_get(a, i);
		const json_t *e2e = json_object_get(b, "e2e"), *ttft = json_object_get(b, "ttft");
		pg_series_batch *sb = &s->batches[i];

		if (snprintf(p, sizeof(p), "%s[%zu]", path, i) >= (int)sizeof(p))
			p[sizeof(p) - 2] = '~'; /* marks the cut */
		if ((rc = check_object(b, batch_keys, NKEYS(batch_keys), NKEYS(batch_keys), p)) <
			0 ||
		    (rc = get_count(&sb->succeeded, b, "succeeded", p)) < 0 ||
		    (rc = get_count(&sb->failed, b, "failed", p)) < 0)
			return rc;
		if (json_is_null(e2e) != json_is_null(ttft))
			return bad(p, NULL, "e2e and ttft must both be histograms or both null");
		if (!json_is_null(e2e) &&
		    ((rc = read_batch_hist(&sb->e2e, s, e2e, p, "e2e")) < 0 ||
		     (rc = read_batch_hist(&sb->ttft, s, ttft, p, "ttft")) < 0))
			return rc;
		s->n_batches = i + 1;
	}
	return 0;
}

int pg_series_from_json(pg_series **out, const json_t *j, const char *path)
{
	pg_series *s = NULL;
	const json_t *to;
	char p[512];
	int rc;

	*out = NULL;
	if ((rc = check_object(j, series_keys, NKEYS(series_keys), NKEYS(series_keys), path)) < 0 ||
	    (rc = read_version(j, path)) < 0)
		return rc;
	if ((rc = pg_series_new(&s)) < 0) {
		pg_error_set("out of memory reading a series");
		return rc;
	}
	to = json_object_get(j, "batch_to");
	if ((rc = get_count(&s->next_second, j, "next_second", path)) < 0 ||
	    (rc = get_count(&s->overruns, j, "overruns", path)) < 0 ||
	    (rc = get_count(&s->batch_from, j, "batch_from", path)) < 0 ||
	    (rc = get_count(&s->batch_width, j, "batch_width", path)) < 0)
		goto done;
	if (s->batch_width < 1 || (s->batch_width & (s->batch_width - 1)) != 0) {
		rc = bad(path, "batch_width", "expected a power of two");
		goto done;
	}
	if (json_is_null(to))
		s->batch_to = INT64_MAX;
	else if ((rc = get_count(&s->batch_to, j, "batch_to", path)) < 0)
		goto done;
	if ((rc = read_rows(s, json_object_get(j, "rows"), sub_path(p, sizeof(p), path, "rows"))) <
		0 ||
	    (rc = read_batches(s, json_object_get(j, "batches"),
			       sub_path(p, sizeof(p), path, "batches"))) < 0)
		goto done;
	*out = s;
	s = NULL;
done:
	pg_series_free(s);
	return rc;
}

/* ---- series merge ------------------------------------------------------- */

/* Adds the counts and histograms of src into dst (dst's histograms are
 * made on first use). */
static int batch_add(pg_series_batch *dst, const pg_series_batch *src)
{
	int rc;

	dst->succeeded += src->succeeded;
	dst->failed += src->failed;
	if (src->e2e == NULL)
		return 0;
	if (dst->e2e == NULL) {
		if ((rc = pg_hist_clone(&dst->e2e, src->e2e)) < 0 ||
		    (rc = pg_hist_clone(&dst->ttft, src->ttft)) < 0)
			return rc;
		return 0;
	}
	if ((rc = pg_hist_merge(dst->e2e, src->e2e)) < 0 ||
	    (rc = pg_hist_merge(dst->ttft, src->ttft)) < 0)
		return rc;
	return 0;
}

/* Doubles dst's batch width by merging adjacent pairs. */
static int batches_fold(pg_series *s)
{
	size_t i;
	int rc;

	for (i = 0; i < PG_SERIES_BATCHES / 2; i++) {
		pg_series_batch *a = &s->batches[2 * i], *b = &s->batches[2 * i + 1];
		pg_series_batch pair = *a;

		memset(a, 0, sizeof(*a));
		if ((rc = batch_add(&pair, b)) < 0) {
			*a = pair; /* still owned by the series, freed with it */
			return rc;
		}
		pg_hist_free(b->e2e);
		pg_hist_free(b->ttft);
		memset(b, 0, sizeof(*b));
		s->batches[i] = pair;
	}
	s->batch_width *= 2;
	s->n_batches = (s->n_batches + 1) / 2;
	return 0;
}

static void row_merge(pg_series_row *dst, const pg_series_row *src)
{
	int keep_dst = dst->succeeded > 0 && src->succeeded == 0;
	int take_src = src->succeeded > 0 && dst->succeeded == 0;

	dst->sent += src->sent;
	dst->succeeded += src->succeeded;
	dst->failed += src->failed;
	dst->dropped += src->dropped;
	dst->late += src->late;
	dst->in_flight += src->in_flight;
	if (take_src) {
		dst->e2e_p50 = src->e2e_p50;
		dst->e2e_p95 = src->e2e_p95;
		dst->e2e_p99 = src->e2e_p99;
		dst->ttft_p50 = src->ttft_p50;
		dst->ttft_p95 = src->ttft_p95;
		dst->ttft_p99 = src->ttft_p99;
	} else if (!keep_dst) {
		dst->e2e_p50 = dst->e2e_p95 = dst->e2e_p99 = NAN;
		dst->ttft_p50 = dst->ttft_p95 = dst->ttft_p99 = NAN;
	}
}

static int rows_merge(pg_series *dst, const pg_series *src)
{
	size_t cap = dst->n + src->n, i = 0, j = 0, n = 0;
	pg_series_row *rows;

	if (cap == 0)
		return 0;
	if ((rows = calloc(cap, sizeof(*rows))) == NULL) {
		pg_error_set("out of memory merging series");
		return PG_ENOMEM;
	}
	while (i < dst->n || j < src->n) {
		if (j == src->n || (i < dst->n && dst->rows[i].second < src->rows[j].second)) {
			rows[n++] = dst->rows[i++];
		} else if (i == dst->n || src->rows[j].second < dst->rows[i].second) {
			rows[n++] = src->rows[j++];
		} else {
			rows[n] = dst->rows[i++];
			row_merge(&rows[n++], &src->rows[j++]);
		}
	}
	free(dst->rows);
	dst->rows = rows;
	dst->n = n;
	dst->cap = cap;
	return 0;
}

int pg_series_merge(pg_series *dst, const pg_series *src)
{
	size_t j;
	int shift = 0, rc;

	if (dst->batch_from != src->batch_from) {
		pg_error_set("the measured windows start at different seconds (%lld and %lld)",
			     (long long)dst->batch_from, (long long)src->batch_from);
		return PG_EINVAL;
	}
	while (dst->batch_width < src->batch_width)
		if ((rc = batches_fold(dst)) < 0)
			return rc;
	while ((src->batch_width << shift) < dst->batch_width)
		shift++;
	for (j = 0; j < src->n_batches; j++) {
		size_t t = j >> shift;

		if ((rc = batch_add(&dst->batches[t], &src->batches[j])) < 0) {
			pg_error_set("the series' batch histograms differ in range or precision");
			return rc;
		}
		if (t + 1 > dst->n_batches)
			dst->n_batches = t + 1;
	}
	if (src->batch_to > dst->batch_to)
		dst->batch_to = src->batch_to;
	if (src->next_second > dst->next_second)
		dst->next_second = src->next_second;
	dst->overruns += src->overruns;
	return rows_merge(dst, src);
}
