/*
 * Baseline files, schema perfgate-baseline/1 (docs/baselines.md). The
 * baseline is its JSON document: every public function reads or edits it
 * in place, and everything that enters it (a parsed file or a scenario of
 * results.json) is validated first, so a serialized baseline always
 * parses back.
 */
#include "baseline.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "baseline_validate.h"
#include "clock.h"
#include "error.h"

/* Longest file name a path component may become (NAME_MAX on Linux). */
#define NAME_MAX_BYTES 255

struct pg_baseline {
	json_t *doc; /* a valid document, except that a new one has no runs yet */
};

/* Key order of the objects perfgate writes; other keys follow, sorted. */
static const char *const top_keys[] = {"schema", "suite",   "scenario", "history_limit",
				       "latest", "history", NULL};
static const char *const latest_keys[] = {"commit",  "recorded_at", "fingerprint",
					  "metrics", "windows",	    NULL};
static const char *const entry_keys[] = {"commit", "recorded_at", "fingerprint", "estimates", NULL};

/* ---- life cycle ---- */

static int check_limit(int history_limit)
{
	if (history_limit < 1 || history_limit > PG_BASELINE_HISTORY_MAX) {
		pg_error_set("baseline history limit must be 1..%d, got %d",
			     PG_BASELINE_HISTORY_MAX, history_limit);
		return PG_ERANGE;
	}
	return 0;
}

int pg_baseline_new(pg_baseline **out, const char *suite, const char *scenario, int history_limit)
{
	pg_baseline *b = NULL;
	int rc;

	if (out == NULL || suite == NULL || scenario == NULL || !suite[0] || !scenario[0]) {
		pg_error_set("pg_baseline_new: suite and scenario names are required");
		return PG_EINVAL;
	}
	*out = NULL;
	if ((rc = check_limit(history_limit)) < 0)
		return rc;
	b = calloc(1, sizeof(*b));
	if (b == NULL ||
	    (b->doc = json_pack("{s:s, s:s, s:s, s:i, s:[]}", "schema", PG_BASELINE_SCHEMA, "suite",
				suite, "scenario", scenario, "history_limit", history_limit,
				"history")) == NULL) {
		free(b);
		pg_error_set("out of memory (or suite/scenario not UTF-8) creating a baseline");
		return PG_ENOMEM;
	}
	*out = b;
	return 0;
}

int pg_baseline_parse(pg_baseline **out, const char *text, size_t len, const char *origin)
{
	pg_baseline_vctx c = {origin != NULL ? origin : "baseline", PG_EPARSE};
	json_error_t jerr;
	json_t *doc = NULL;
	int rc;

	if (out == NULL || text == NULL) {
		pg_error_set("pg_baseline_parse: NULL argument");
		return PG_EINVAL;
	}
	*out = NULL;
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL) {
		/* jansson counts columns from 1 but says 0 right after a newline */
		if (jerr.line > 0)
			pg_error_set("%s:%d:%d: %s", c.origin, jerr.line,
				     jerr.column > 0 ? jerr.column : 1, jerr.text);
		else
			pg_error_set("%s: %s", c.origin, jerr.text);
		return PG_EPARSE;
	}
	if ((rc = pg_baseline_check_document(&c, doc)) < 0)
		goto done;
	if ((*out = calloc(1, sizeof(**out))) == NULL) {
		pg_error_set("out of memory reading a baseline");
		rc = PG_ENOMEM;
		goto done;
	}
	(*out)->doc = doc;
	doc = NULL;
done:
	json_decref(doc);
	return rc;
}

void pg_baseline_free(pg_baseline *b)
{
	if (b == NULL)
		return;
	json_decref(b->doc);
	free(b);
}

/* ---- editing ---- */

/* Drops the oldest history entries beyond limit. */
static int trim_history(json_t *hist, size_t limit)
{
	while (json_array_size(hist) > limit)
		if (json_array_remove(hist, 0) < 0)
			return PG_ENOMEM;
	return 0;
}

/* A run's estimates without the metrics that had no value (value null). */
static int copy_estimates(json_t **out, const pg_baseline_vctx *c, const json_t *es,
			  const char *path)
{
	const char *key;
	json_t *v, *copy = NULL;
	char p[JPATH_MAX];
	int rc = 0;

	if (!json_is_object(es))
		return pg_baseline_wrong(c, path, es, "an object");
	if ((copy = json_object()) == NULL)
		return PG_ENOMEM;
	json_object_foreach((json_t *)es, key, v)
	{
		pg_baseline_join(p, path, key);
		if (json_is_object(v) && json_is_null(json_object_get(v, "value")))
			continue;
		if ((rc = pg_baseline_check_estimate(NULL, c, v, p)) < 0)
			goto done;
		if (json_object_set_new(copy, key, json_deep_copy(v)) < 0) {
			rc = PG_ENOMEM;
			goto done;
		}
	}
	*out = copy;
	copy = NULL;
done:
	json_decref(copy);
	return rc;
}

/* The history entries and latest run that a scenario adds, validated. */
static int build_run(json_t **entries, json_t **latest, const pg_baseline_vctx *c, const json_t *sc,
		     json_t *stamp)
{
	const json_t *fp = json_object_get(sc, "fingerprint");
	const json_t *runs = json_object_get(sc, "runs");
	json_t *ents = json_array(), *wins = json_array(), *es = NULL, *ent, *l = NULL;
	char p[JPATH_MAX], q[JPATH_MAX];
	size_t i;
	int rc = PG_ENOMEM;

	if (ents == NULL || wins == NULL)
		goto done;
	if ((rc = pg_baseline_check_fingerprint(c, fp, "fingerprint")) < 0 ||
	    (rc = pg_baseline_check_metrics(c, json_object_get(sc, "metrics"), "metrics")) < 0)
		goto done;
	if (!json_is_array(runs) || json_array_size(runs) == 0) {
		rc = json_is_array(runs) ? pg_baseline_fail(c, "runs", "is empty")
					 : pg_baseline_wrong(c, "runs", runs, "an array");
		goto done;
	}
	for (i = 0; i < json_array_size(runs); i++) {
		const json_t *run = json_array_get(runs, i);

		pg_baseline_join_index(p, "runs", i);
		if (!json_is_object(run)) {
			rc = pg_baseline_wrong(c, p, run, "an object");
			goto done;
		}
		pg_baseline_join(q, p, "windows");
		if ((rc = pg_baseline_check_windows(c, json_object_get(run, "windows"), q)) < 0)
			goto done;
		pg_baseline_join(q, p, "estimates");
		if ((rc = copy_estimates(&es, c, json_object_get(run, "estimates"), q)) < 0)
			goto done;
		rc = PG_ENOMEM;
		/* json_pack takes es (and the fingerprint copy), even when it fails */
		ent = json_pack("{s:O, s:O, s:o, s:o}", "commit", json_object_get(stamp, "commit"),
				"recorded_at", json_object_get(stamp, "recorded_at"), "fingerprint",
				json_deep_copy(fp), "estimates", es);
		es = NULL;
		if (json_array_append_new(ents, ent) < 0 ||
		    json_array_append_new(wins, json_deep_copy(json_object_get(run, "windows"))) <
			0)
			goto done;
	}
	l = json_pack("{s:O, s:O, s:o, s:o, s:O}", "commit", json_object_get(stamp, "commit"),
		      "recorded_at", json_object_get(stamp, "recorded_at"), "fingerprint",
		      json_deep_copy(fp), "metrics", json_deep_copy(json_object_get(sc, "metrics")),
		      "windows", wins);
	if (l == NULL)
		goto done;
	*entries = ents;
	*latest = l;
	ents = NULL;
	rc = 0;
done:
	json_decref(es);
	json_decref(ents);
	json_decref(wins);
	return rc;
}

/* recorded_at NULL stamps the current UTC time (a baseline built in memory
 * from a results file has no acceptance time). */
int pg_baseline_add_run(pg_baseline *b, const json_t *scenario, const char *commit,
			const char *recorded_at)
{
	pg_baseline_vctx c = {"scenario", PG_EINVAL};
	json_t *stamp = NULL, *entries = NULL, *latest = NULL, *hist = NULL;
	const char *name, *want;
	char origin[160], now[32];
	int rc = PG_EINVAL;

	if (b == NULL || scenario == NULL) {
		pg_error_set("pg_baseline_add_run: NULL argument");
		return PG_EINVAL;
	}
	want = pg_baseline_scenario(b);
	if (!json_is_object(scenario))
		return pg_baseline_fail(&c, "", "expected a JSON object, got %s",
					pg_baseline_type_name(scenario));
	if ((rc = pg_baseline_get_str(&name, &c, scenario, "", "name", 0)) < 0)
		return rc;
	snprintf(origin, sizeof(origin), "scenario '%.100s'", name);
	c.origin = origin;
	if (strcmp(name, want) != 0)
		return pg_baseline_fail(
		    &c, "", "cannot be added to the baseline of scenario '%.100s'", want);
	if (commit != NULL && !pg_baseline_is_commit(commit))
		return pg_baseline_fail(
		    &c, "", "'%.80s' is not a commit id (4 to 64 lowercase hex digits)", commit);
	if (recorded_at == NULL) {
		pg_utc_now_iso8601(now, sizeof(now));
		if (now[0] == '\0')
			return pg_baseline_fail(&c, "", "cannot format the current time");
		recorded_at = now;
	}
	if (!pg_baseline_is_timestamp(recorded_at))
		return pg_baseline_fail(&c, "", "recorded_at '%.80s' is not an RFC 3339 time",
					recorded_at);
	rc = PG_ENOMEM;
	stamp = json_pack("{s:s?, s:s}", "commit", commit, "recorded_at", recorded_at);
	if (stamp == NULL)
		goto done;
	if ((rc = build_run(&entries, &latest, &c, scenario, stamp)) < 0)
		goto done;
	/* edit a copy of the history so that a failure leaves b unchanged */
	rc = PG_ENOMEM;
	hist = json_copy(json_object_get(b->doc, "history"));
	if (hist == NULL || json_array_extend(hist, entries) < 0 ||
	    trim_history(
		hist, (size_t)json_integer_value(json_object_get(b->doc, "history_limit"))) < 0 ||
	    json_object_set(b->doc, "history", hist) < 0 ||
	    json_object_set(b->doc, "latest", latest) < 0)
		goto done;
	rc = 0;
done:
	if (rc == PG_ENOMEM)
		pg_error_set("out of memory adding a run to a baseline");
	json_decref(stamp);
	json_decref(entries);
	json_decref(latest);
	json_decref(hist);
	return rc;
}

int pg_baseline_set_limit(pg_baseline *b, int history_limit)
{
	int rc;

	if (b == NULL) {
		pg_error_set("pg_baseline_set_limit: NULL baseline");
		return PG_EINVAL;
	}
	if ((rc = check_limit(history_limit)) < 0)
		return rc;
	if (json_object_set_new(b->doc, "history_limit", json_integer(history_limit)) < 0 ||
	    trim_history(json_object_get(b->doc, "history"), (size_t)history_limit) < 0) {
		pg_error_set("out of memory changing a baseline's history limit");
		return PG_ENOMEM;
	}
	return 0;
}

/* ---- output ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int listed(const char *const *list, const char *key)
{
	for (; list != NULL && *list != NULL; list++)
		if (strcmp(*list, key) == 0)
			return 1;
	return 0;
}

/* Deep copy of v with the keys of every object in a stable order: at the
 * top level those in first (may be NULL) in that order, then the rest
 * sorted. NULL when out of memory. */
static json_t *canon(const json_t *v, const char *const *first)
{
	const char **keys = NULL, *key;
	json_t *out = NULL, *child;
	size_t n = 0, nfirst, i;

	if (json_is_array(v)) {
		if ((out = json_array()) == NULL)
			return NULL;
		for (i = 0; i < json_array_size(v); i++)
			if (json_array_append_new(out, canon(json_array_get(v, i), NULL)) < 0)
				goto fail;
		return out;
	}
	if (!json_is_object(v))
		return json_deep_copy(v);
	out = json_object();
	keys = malloc((json_object_size(v) + 1) * sizeof(*keys));
	if (out == NULL || keys == NULL)
		goto fail;
	for (i = 0; first != NULL && first[i] != NULL; i++)
		if (json_object_get(v, first[i]) != NULL)
			keys[n++] = first[i];
	nfirst = n;
	json_object_foreach((json_t *)v, key, child)
	{
		if (!listed(first, key))
			keys[n++] = key;
	}
	qsort(keys + nfirst, n - nfirst, sizeof(*keys), cmp_str);
	for (i = 0; i < n; i++)
		if (json_object_set_new(out, keys[i], canon(json_object_get(v, keys[i]), NULL)) < 0)
			goto fail;
	free(keys);
	return out;
fail:
	free(keys);
	json_decref(out);
	return NULL;
}

int pg_baseline_serialize(char **out, const pg_baseline *b)
{
	const json_t *hist;
	json_t *doc = NULL, *arr = NULL;
	char *text = NULL;
	size_t i, n;
	int rc = PG_ENOMEM;

	if (out == NULL || b == NULL) {
		pg_error_set("pg_baseline_serialize: NULL argument");
		return PG_EINVAL;
	}
	*out = NULL;
	hist = json_object_get(b->doc, "history");
	if (json_array_size(hist) == 0 || json_object_get(b->doc, "latest") == NULL) {
		pg_error_set("baseline of scenario '%s' has no runs to write",
			     pg_baseline_scenario(b));
		return PG_EINVAL;
	}
	doc = canon(b->doc, top_keys);
	arr = json_array();
	if (doc == NULL || arr == NULL)
		goto done;
	for (i = 0; i < json_array_size(hist); i++)
		if (json_array_append_new(arr, canon(json_array_get(hist, i), entry_keys)) < 0)
			goto done;
	/* replacing an existing key keeps its place in the object */
	if (json_object_set_new(doc, "latest",
				canon(json_object_get(b->doc, "latest"), latest_keys)) < 0 ||
	    json_object_set(doc, "history", arr) < 0)
		goto done;
	text = json_dumps(doc, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
	if (text == NULL)
		goto done;
	n = strlen(text);
	if ((*out = malloc(n + 2)) == NULL)
		goto done;
	memcpy(*out, text, n);
	memcpy(*out + n, "\n", 2);
	rc = 0;
done:
	if (rc < 0)
		pg_error_set("out of memory serializing a baseline");
	free(text);
	json_decref(arr);
	json_decref(doc);
	return rc;
}

/* ---- reading ---- */

int pg_baseline_estimates(pg_run_estimate **out, size_t *n, const pg_baseline *b,
			  const char *metric)
{
	const json_t *hist;
	pg_baseline_vctx c = {"baseline", PG_EINVAL};
	pg_run_estimate *est = NULL;
	size_t i, k = 0;
	int rc;

	if (out == NULL || n == NULL || b == NULL || metric == NULL) {
		pg_error_set("pg_baseline_estimates: NULL argument");
		return PG_EINVAL;
	}
	*out = NULL;
	*n = 0;
	hist = json_object_get(b->doc, "history");
	if (json_array_size(hist) == 0)
		return 0;
	if ((est = malloc(json_array_size(hist) * sizeof(*est))) == NULL) {
		pg_error_set("out of memory reading baseline estimates");
		return PG_ENOMEM;
	}
	for (i = 0; i < json_array_size(hist); i++) {
		const json_t *e =
		    json_object_get(json_object_get(json_array_get(hist, i), "estimates"), metric);

		/* validated on the way in; a failure here is a bug, not bad input */
		if (e != NULL && (rc = pg_baseline_check_estimate(&est[k], &c, e, metric)) < 0) {
			free(est);
			return rc;
		}
		k += e != NULL;
	}
	if (k == 0) {
		free(est);
		est = NULL;
	}
	*out = est;
	*n = k;
	return 0;
}

size_t pg_baseline_history_len(const pg_baseline *b)
{
	return b != NULL ? json_array_size(json_object_get(b->doc, "history")) : 0;
}

const char *pg_baseline_history_commit(const pg_baseline *b, size_t i)
{
	if (b == NULL)
		return NULL;
	return json_string_value(
	    json_object_get(json_array_get(json_object_get(b->doc, "history"), i), "commit"));
}

const json_t *pg_baseline_fingerprint(const pg_baseline *b)
{
	return b != NULL ? json_object_get(json_object_get(b->doc, "latest"), "fingerprint") : NULL;
}

const json_t *pg_baseline_latest_metrics(const pg_baseline *b)
{
	return b != NULL ? json_object_get(json_object_get(b->doc, "latest"), "metrics") : NULL;
}

const json_t *pg_baseline_json(const pg_baseline *b)
{
	return b != NULL ? b->doc : NULL;
}

const char *pg_baseline_suite(const pg_baseline *b)
{
	return b != NULL ? json_string_value(json_object_get(b->doc, "suite")) : NULL;
}

const char *pg_baseline_scenario(const pg_baseline *b)
{
	return b != NULL ? json_string_value(json_object_get(b->doc, "scenario")) : NULL;
}

/* ---- path ---- */

static int check_name(const char *name, const char *what)
{
	if (name == NULL || name[0] == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
		pg_error_set("%s name '%s' cannot name a baseline file", what,
			     name != NULL ? name : "");
		return PG_EINVAL;
	}
	return 0;
}

/* Replaces the bytes of a name outside [A-Za-z0-9._-] with '-' and a
 * leading '.' with '_'. */
static void sanitize(char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
			s[i] = '-';
	if (n > 0 && s[0] == '.')
		s[0] = '_';
}

int pg_baseline_path(char *out, size_t size, const char *suite, const char *scenario)
{
	static const char dir[] = "baselines/", ext[] = ".json";
	size_t ls, lc;
	int rc, n;

	if (out == NULL) {
		pg_error_set("pg_baseline_path: NULL output");
		return PG_EINVAL;
	}
	if (size > 0)
		out[0] = '\0';
	if ((rc = check_name(suite, "suite")) < 0 || (rc = check_name(scenario, "scenario")) < 0)
		return rc;
	ls = strlen(suite);
	lc = strlen(scenario);
	if (ls > NAME_MAX_BYTES || lc + sizeof(ext) - 1 > NAME_MAX_BYTES) {
		pg_error_set("%s name '%.40s...' is too long for a baseline file name",
			     ls > NAME_MAX_BYTES ? "suite" : "scenario",
			     ls > NAME_MAX_BYTES ? suite : scenario);
		return PG_ELIMIT;
	}
	n = snprintf(out, size, "%s%s/%s%s", dir, suite, scenario, ext);
	if (n < 0 || (size_t)n >= size) {
		pg_error_set("baseline path needs %d bytes, %zu available", n + 1, size);
		if (size > 0)
			out[0] = '\0';
		return PG_ELIMIT;
	}
	sanitize(out + sizeof(dir) - 1, ls);
	sanitize(out + sizeof(dir) + ls, lc);
	return 0;
}
