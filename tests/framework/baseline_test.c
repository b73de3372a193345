/* Tests for framework/baseline.c: building, round-tripping and validating
 * perfgate-baseline/1 documents, and baseline file paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "error.h"
#include "hist.h"

#define ORIGIN "base.json"
#define NOW "2026-11-23T15:00:00Z"
#define SHA_A "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"

/* ---- helpers ---- */

/* A serialized latency histogram of n values around base_ns; caller frees. */
static char *hist_string(int64_t base_ns, int n)
{
	pg_hist *h = NULL;
	char *enc = NULL;
	int i;

	assert_int_equal(pg_hist_new_latency(&h), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(pg_hist_record(h, base_ns + (int64_t)i * 1000), 0);
	assert_int_equal(pg_hist_encode(h, &enc), 0);
	pg_hist_free(h);
	return enc;
}

static json_t *fingerprint(void)
{
	return json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "cpu_model",
			 "Test CPU @ 2.0GHz", "cores", 2, "kernel", "6.1.0-13-amd64", "os",
			 "Debian GNU/Linux 12 (bookworm)", "perfgate_version", "0.1.0", "target",
			 "http://127.0.0.1:8000/v1", "adapter", "openai-chat", "load_hash",
			 "0123456789abcdef", "workload_hash", "fedcba9876543210");
}

/* One element of results.json "runs"; a NaN ttft leaves ttft.p95 without a
 * value (null), as results.json writes a metric that had none. */
static json_t *run_json(double ttft, double rps)
{
	json_t *ttft_est = json_pack("{s:f, s:f, s:i, s:s}", "value", 0.0, "within_var", 3.1e12,
				     "within_df", 19, "unit", "ns");

	json_object_set_new(ttft_est, "value", isnan(ttft) ? json_null() : json_real(ttft));
	return json_pack("{s:{s:o, s:{s:f, s:n, s:i, s:s}}, s:{s:f, s:{s:[f, f, n], s:[f, f, f]}}}",
			 "estimates", "ttft.p95", ttft_est, "throughput.rps", "value", rps,
			 "within_var", "within_df", 0, "unit", "/s", "windows", "seconds", 2.0,
			 "values", "ttft.p95", 1.1e8, 1.2e8, "throughput.rps", rps, rps, rps);
}

/* A results.json scenario named name with the given runs (stolen). */
static json_t *scenario_json(const char *name, json_t *runs)
{
	char *e2e = hist_string(150000000, 50), *ttft = hist_string(20000000, 50);
	json_t *sc = json_pack(
	    "{s:s, s:o, s:{s:{s:s, s:i, s:f, s:s}, s:{s:s, s:i, s:f, s:s}, s:{s:f}}, s:o}", "name",
	    name, "fingerprint", fingerprint(), "metrics", "e2e", "unit", "ms", "count", 50, "p95",
	    150.047, "histogram", e2e, "ttft", "unit", "ms", "count", 50, "p95", 20.047,
	    "histogram", ttft, "throughput", "rps", 52.1, "runs", runs);

	free(e2e);
	free(ttft);
	assert_non_null(sc);
	return sc;
}

static json_t *one_run_scenario(double ttft)
{
	return scenario_json("interactive", json_pack("[o]", run_json(ttft, 52.1)));
}

static pg_baseline *baseline_with(int limit, json_t *scenario, const char *commit)
{
	pg_baseline *b = NULL;

	assert_int_equal(pg_baseline_new(&b, "quickstart", "interactive", limit), 0);
	assert_int_equal(pg_baseline_add_run(b, scenario, commit, NOW), 0);
	json_decref(scenario);
	return b;
}

/* A valid serialized baseline with three runs of one add; caller frees. */
static char *valid_text(void)
{
	pg_baseline *b = baseline_with(
	    20,
	    scenario_json("interactive", json_pack("[o, o, o]", run_json(1.2e8, 52.1),
						   run_json(1.25e8, 51.0), run_json(1.3e8, 50.5))),
	    SHA_A);
	char *text = NULL;

	assert_int_equal(pg_baseline_serialize(&text, b), 0);
	pg_baseline_free(b);
	return text;
}

/* Sets (or with value NULL deletes) the member at a '/'-separated path such
 * as "history/0/estimates/ttft.p95/value"; numeric parts index arrays.
 * Steals value. */
static void set_at(json_t *root, const char *path, json_t *value)
{
	char buf[512], *part, *next;
	json_t *cur = root;

	snprintf(buf, sizeof(buf), "%s", path);
	for (part = buf; (next = strchr(part, '/')) != NULL; part = next + 1) {
		*next = '\0';
		cur = json_is_array(cur) ? json_array_get(cur, strtoul(part, NULL, 10))
					 : json_object_get(cur, part);
		assert_non_null(cur);
	}
	if (json_is_array(cur)) {
		assert_non_null(value);
		assert_int_equal(json_array_set_new(cur, strtoul(part, NULL, 10), value), 0);
	} else if (value == NULL) {
		assert_int_equal(json_object_del(cur, part), 0);
	} else {
		assert_int_equal(json_object_set_new(cur, part, value), 0);
	}
}

/* Parses text and expects PG_EPARSE with a message containing want. */
static void expect_parse_error(const char *text, const char *want)
{
	pg_baseline *b = (pg_baseline *)&b; /* must be reset to NULL */
	int rc = pg_baseline_parse(&b, text, strlen(text), ORIGIN);

	if (rc != PG_EPARSE || strstr(pg_error_last(), want) == NULL)
		fail_msg("rc %d, message '%s', expected '%s'", rc, pg_error_last(), want);
	assert_null(b);
}

/* Applies one mutation to the valid document and expects want. */
static void expect_mutation_error(const char *path, json_t *value, const char *want)
{
	char *text = valid_text(), *bad;
	json_t *doc = json_loads(text, 0, NULL);

	assert_non_null(doc);
	set_at(doc, path, value);
	bad = json_dumps(doc, JSON_INDENT(2));
	expect_parse_error(bad, want);
	free(bad);
	free(text);
	json_decref(doc);
}

/* Replaces the number after the first "key": in text with repl; caller frees. */
static char *replace_number(const char *text, const char *key, const char *repl)
{
	const char *at = strstr(text, key), *end;
	size_t size = strlen(text) + strlen(repl) + 1;
	char *out = malloc(size);

	assert_non_null(at);
	assert_non_null(out);
	at += strlen(key);
	end = at + strcspn(at, ",\n}");
	snprintf(out, size, "%.*s%s%s", (int)(at - text), text, repl, end);
	return out;
}

/* ---- building and round trip ---- */

static void test_serialize_parse_round_trip_is_exact(void **state)
{
	/* values that need all 17 significant digits to survive */
	pg_baseline *a = baseline_with(20, one_run_scenario(0.1 + 0.2), SHA_A), *b = NULL;
	char *text = NULL, *again = NULL, *e2e = hist_string(150000000, 50);
	pg_run_estimate *est = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(pg_baseline_serialize(&text, a), 0);
	assert_true(strncmp(text, "{\n  \"schema\": \"perfgate-baseline/1\",\n", 37) == 0);
	assert_int_equal(text[strlen(text) - 1], '\n');
	assert_int_equal(pg_baseline_parse(&b, text, strlen(text), ORIGIN), 0);
	assert_true(json_equal(pg_baseline_json(a), pg_baseline_json(b)));
	assert_int_equal(pg_baseline_serialize(&again, b), 0);
	assert_string_equal(text, again);

	assert_string_equal(pg_baseline_suite(b), "quickstart");
	assert_string_equal(pg_baseline_scenario(b), "interactive");
	assert_int_equal(pg_baseline_history_len(b), 1);
	assert_string_equal(pg_baseline_history_commit(b, 0), SHA_A);
	assert_null(pg_baseline_history_commit(b, 1));
	assert_string_equal(
	    json_string_value(json_object_get(pg_baseline_fingerprint(b), "load_hash")),
	    "0123456789abcdef");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(pg_baseline_latest_metrics(b), "e2e"),
					      "histogram")),
	    e2e);
	assert_int_equal(pg_baseline_estimates(&est, &n, b, "ttft.p95"), 0);
	assert_int_equal(n, 1);
	assert_true(est[0].value == 0.1 + 0.2);
	assert_true(est[0].within_var == 3.1e12);
	assert_true(est[0].within_df == 19);

	free(est);
	free(e2e);
	free(text);
	free(again);
	pg_baseline_free(a);
	pg_baseline_free(b);
}

static void test_serialized_keys_are_in_a_stable_order(void **state)
{
	char *text = valid_text();
	const char *schema = strstr(text, "\"schema\""), *suite = strstr(text, "\"suite\"");
	const char *latest = strstr(text, "\"latest\""), *history = strstr(text, "\"history\"");
	const char *adapter = strstr(text, "\"adapter\""), *cores = strstr(text, "\"cores\"");

	(void)state;
	assert_true(schema < suite && suite < latest && latest < history);
	assert_true(adapter < cores); /* nested objects are sorted */
	free(text);
}

static void test_null_commit_round_trips_as_unknown(void **state)
{
	pg_baseline *a = baseline_with(5, one_run_scenario(1.2e8), NULL), *b = NULL;
	char *text = NULL;

	(void)state;
	assert_int_equal(pg_baseline_serialize(&text, a), 0);
	assert_non_null(strstr(text, "\"commit\": null"));
	assert_int_equal(pg_baseline_parse(&b, text, strlen(text), ORIGIN), 0);
	assert_null(pg_baseline_history_commit(b, 0));
	free(text);
	pg_baseline_free(a);
	pg_baseline_free(b);
}

static void test_scenario_with_three_runs_adds_three_entries(void **state)
{
	char *text = valid_text();
	pg_baseline *b = NULL;
	pg_run_estimate *est = NULL;
	size_t n = 0, i;

	(void)state;
	assert_int_equal(pg_baseline_parse(&b, text, strlen(text), ORIGIN), 0);
	assert_int_equal(pg_baseline_history_len(b), 3);
	for (i = 0; i < 3; i++)
		assert_string_equal(pg_baseline_history_commit(b, i), SHA_A);
	assert_int_equal(json_array_size(json_object_get(
			     json_object_get(pg_baseline_json(b), "latest"), "windows")),
			 3);
	assert_int_equal(pg_baseline_estimates(&est, &n, b, "ttft.p95"), 0);
	assert_int_equal(n, 3);
	assert_true(est[0].value == 1.2e8 && est[1].value == 1.25e8 && est[2].value == 1.3e8);
	free(est);
	free(text);
	pg_baseline_free(b);
}

static void test_history_is_trimmed_to_the_limit_keeping_the_newest(void **state)
{
	pg_baseline *b = NULL, *back = NULL;
	pg_run_estimate *est = NULL;
	char commit[41], *text = NULL;
	size_t n = 0;
	int i;

	(void)state;
	assert_int_equal(pg_baseline_new(&b, "quickstart", "interactive", 3), 0);
	for (i = 1; i <= 5; i++) {
		json_t *sc = one_run_scenario(1e8 * i);

		snprintf(commit, sizeof(commit), "%040x", i);
		assert_int_equal(pg_baseline_add_run(b, sc, commit, NOW), 0);
		json_decref(sc);
	}
	assert_int_equal(pg_baseline_history_len(b), 3);
	for (i = 0; i < 3; i++) {
		snprintf(commit, sizeof(commit), "%040x", i + 3);
		assert_string_equal(pg_baseline_history_commit(b, (size_t)i), commit);
	}
	assert_int_equal(pg_baseline_estimates(&est, &n, b, "ttft.p95"), 0);
	assert_int_equal(n, 3);
	assert_true(est[0].value == 3e8 && est[2].value == 5e8);
	free(est);

	/* a lower limit trims too; the result still parses */
	assert_int_equal(pg_baseline_set_limit(b, 2), 0);
	assert_int_equal(pg_baseline_history_len(b), 2);
	snprintf(commit, sizeof(commit), "%040x", 4);
	assert_string_equal(pg_baseline_history_commit(b, 0), commit);
	assert_int_equal(pg_baseline_set_limit(b, 0), PG_ERANGE);
	assert_int_equal(pg_baseline_set_limit(b, PG_BASELINE_HISTORY_MAX + 1), PG_ERANGE);
	assert_int_equal(pg_baseline_serialize(&text, b), 0);
	assert_int_equal(pg_baseline_parse(&back, text, strlen(text), ORIGIN), 0);
	assert_int_equal(pg_baseline_history_len(back), 2);
	free(text);
	pg_baseline_free(back);
	pg_baseline_free(b);
}

static void test_estimates_are_oldest_first_and_skip_runs_without_the_metric(void **state)
{
	/* the middle run had no TTFT value: results.json writes it as null */
	pg_baseline *b = baseline_with(
	    20,
	    scenario_json("interactive", json_pack("[o, o, o]", run_json(1e8, 50.0),
						   run_json(NAN, 51.0), run_json(3e8, 52.0))),
	    SHA_A);
	pg_run_estimate *est = NULL;
	size_t n = 99;

	(void)state;
	assert_int_equal(pg_baseline_estimates(&est, &n, b, "ttft.p95"), 0);
	assert_int_equal(n, 2);
	assert_true(est[0].value == 1e8 && est[1].value == 3e8);
	free(est);

	/* within_var null: unknown, so NaN with 0 degrees of freedom */
	assert_int_equal(pg_baseline_estimates(&est, &n, b, "throughput.rps"), 0);
	assert_int_equal(n, 3);
	assert_true(est[0].value == 50.0 && est[1].value == 51.0 && est[2].value == 52.0);
	assert_true(isnan(est[1].within_var));
	assert_true(est[1].within_df == 0);
	free(est);

	est = (pg_run_estimate *)&n;
	assert_int_equal(pg_baseline_estimates(&est, &n, b, "e2e.p99"), 0);
	assert_int_equal(n, 0);
	assert_null(est);
	pg_baseline_free(b);
}

static void test_add_run_rejects_what_a_baseline_cannot_hold(void **state)
{
	static const struct {
		const char *path;  /* member of the scenario to change */
		const char *value; /* JSON text, NULL to delete */
		const char *want;
	} cases[] = {
	    {"fingerprint", NULL, "fingerprint: missing"},
	    {"fingerprint/load_hash", "\"xyz\"", "fingerprint.load_hash: 'xyz' is not 16"},
	    {"metrics/e2e/histogram", "\"PGH1:garbage\"", "metrics.e2e.histogram: corrupt"},
	    {"runs", "[]", "runs: is empty"},
	    {"runs", NULL, "runs: missing"},
	    {"runs/0/estimates/ttft.p95/value", "\"fast\"",
	     "runs[0].estimates.ttft.p95.value: expected a number, got a string"},
	    {"runs/0/estimates/ttft.p95/within_var", "-1", "ttft.p95.within_var: must be >= 0"},
	    {"runs/0/windows", NULL, "runs[0].windows: missing"},
	    {"runs/0/windows/values/throughput.rps", "[1, 2]",
	     "runs[0].windows.values.throughput.rps: has 2 windows but ttft.p95 has 3"},
	    {"name", "\"batch\"",
	     "scenario 'batch': cannot be added to the baseline of scenario "
	     "'interactive'"},
	};
	pg_baseline *b = baseline_with(20, one_run_scenario(1e8), SHA_A);
	char *before = NULL, *after = NULL;
	size_t i;

	(void)state;
	assert_int_equal(pg_baseline_serialize(&before, b), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *sc = one_run_scenario(2e8);
		int rc;

		set_at(sc, cases[i].path,
		       cases[i].value ? json_loads(cases[i].value, JSON_DECODE_ANY, NULL) : NULL);
		rc = pg_baseline_add_run(b, sc, "ffff0000", NOW);
		if (rc != PG_EINVAL || strstr(pg_error_last(), cases[i].want) == NULL)
			fail_msg("case %zu: rc %d, message '%s', expected '%s'", i, rc,
				 pg_error_last(), cases[i].want);
		json_decref(sc);
	}
	{
		json_t *sc = one_run_scenario(2e8);

		assert_int_equal(pg_baseline_add_run(b, sc, "not a sha", NOW), PG_EINVAL);
		assert_non_null(strstr(pg_error_last(), "is not a commit id"));
		assert_int_equal(pg_baseline_add_run(b, sc, SHA_A, "yesterday"), PG_EINVAL);
		assert_non_null(strstr(pg_error_last(), "RFC 3339"));
		json_decref(sc);
	}
	/* nothing of the failed adds reached the baseline */
	assert_int_equal(pg_baseline_serialize(&after, b), 0);
	assert_string_equal(before, after);
	free(before);
	free(after);
	pg_baseline_free(b);
}

static void test_timestamps_with_offsets_and_fractions_are_accepted(void **state)
{
	static const char *const good[] = {"2026-11-23T15:00:00Z", "2026-11-23T15:00:00.123Z",
					   "2026-11-23T15:00:00+01:00",
					   "2026-11-23T15:00:00.5-07:30"};
	static const char *const bad[] = {"2026-13-01T00:00:00Z",     "2026-11-23 15:00:00Z",
					  "2026-11-23T15:00:00",      "2026-11-23T15:00:00.Z",
					  "2026-11-23T15:00:00+0100", "2026-11-23T15:00:00Zjunk"};
	pg_baseline *b = NULL;
	json_t *sc = one_run_scenario(1e8);
	size_t i;

	(void)state;
	assert_int_equal(pg_baseline_new(&b, "quickstart", "interactive", 20), 0);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(pg_baseline_add_run(b, sc, NULL, good[i]), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(pg_baseline_add_run(b, sc, NULL, bad[i]), PG_EINVAL);
	assert_int_equal(pg_baseline_history_len(b), 4);
	/* no time given: stamped with the current UTC time */
	assert_int_equal(pg_baseline_add_run(b, sc, NULL, NULL), 0);
	{
		const char *t = json_string_value(
		    json_object_get(json_object_get(pg_baseline_json(b), "latest"), "recorded_at"));

		assert_non_null(t);
		assert_int_equal(strlen(t), strlen(NOW));
		assert_int_equal(t[strlen(t) - 1], 'Z');
	}
	json_decref(sc);
	pg_baseline_free(b);
}

static void test_a_metric_without_windows_may_have_an_empty_array(void **state)
{
	json_t *sc = one_run_scenario(1e8);
	pg_baseline *b = NULL, *back = NULL;
	char *text = NULL;

	(void)state;
	/* as results.json writes e2e.p95 when no request succeeded */
	set_at(sc, "runs/0/windows/values/e2e.p95", json_array());
	b = baseline_with(20, sc, SHA_A);
	assert_int_equal(pg_baseline_serialize(&text, b), 0);
	assert_int_equal(pg_baseline_parse(&back, text, strlen(text), ORIGIN), 0);
	free(text);
	pg_baseline_free(back);
	pg_baseline_free(b);
}

static void test_new_and_serialize_reject_bad_arguments(void **state)
{
	pg_baseline *b = NULL;
	char *text = NULL;

	(void)state;
	assert_int_equal(pg_baseline_new(&b, "", "x", 20), PG_EINVAL);
	assert_int_equal(pg_baseline_new(&b, "s", NULL, 20), PG_EINVAL);
	assert_int_equal(pg_baseline_new(&b, "s", "x", 0), PG_ERANGE);
	assert_int_equal(pg_baseline_new(&b, "s", "x", PG_BASELINE_HISTORY_MAX + 1), PG_ERANGE);
	assert_null(b);
	/* an empty baseline would not parse back, so it is not written */
	assert_int_equal(pg_baseline_new(&b, "s", "x", PG_BASELINE_HISTORY_DEFAULT), 0);
	assert_int_equal(pg_baseline_history_len(b), 0);
	assert_null(pg_baseline_fingerprint(b));
	assert_null(pg_baseline_latest_metrics(b));
	assert_int_equal(pg_baseline_serialize(&text, b), PG_EINVAL);
	assert_null(text);
	pg_baseline_free(b);
	pg_baseline_free(NULL);
}

/* ---- validation of parsed documents ---- */

static void test_truncated_text_is_a_syntax_error_with_line_and_column(void **state)
{
	char *text = valid_text();
	size_t end = (size_t)(strrchr(text, '}') - text), cut;
	const char *mid_hist = strstr(text, "PGH1:") + 10;
	pg_baseline *b = NULL;

	(void)state;
	/* every proper prefix, including ones that end inside a string */
	for (cut = 0; cut <= end; cut++) {
		int rc = pg_baseline_parse(&b, text, cut, ORIGIN);
		const char *msg = pg_error_last();

		if (rc != PG_EPARSE || b != NULL)
			fail_msg("cut at %zu: rc %d", cut, rc);
		if (cut > 0 && (strncmp(msg, ORIGIN ":", strlen(ORIGIN) + 1) != 0 ||
				!isdigit((unsigned char)msg[strlen(ORIGIN) + 1])))
			fail_msg("cut at %zu: message '%s' has no line:col", cut, msg);
	}
	assert_int_equal(pg_baseline_parse(&b, text, (size_t)(mid_hist - text), ORIGIN), PG_EPARSE);
	assert_non_null(strstr(pg_error_last(), "premature end of input"));
	assert_int_equal(pg_baseline_parse(&b, text, strlen(text), ORIGIN), 0);
	pg_baseline_free(b);
	free(text);
}

static void test_wrong_or_missing_schema_is_refused(void **state)
{
	(void)state;
	expect_mutation_error("schema", json_string("perfgate-baseline/2"),
			      ORIGIN ": schema is 'perfgate-baseline/2', expected "
				     "perfgate-baseline/1");
	expect_mutation_error("schema", NULL, ORIGIN ": schema: missing");
	expect_parse_error("[1, 2]", ORIGIN ": expected a JSON object, got an array");
	expect_parse_error("{\"schema\": \"perfgate-results/1\"}",
			   "schema is 'perfgate-results/1', expected perfgate-baseline/1");
}

static void test_corrupt_fields_are_named_by_their_json_path(void **state)
{
	char *hist = hist_string(150000000, 50);
	size_t i;
	struct {
		const char *path;
		json_t *value;
		const char *want;
	} cases[] = {
	    {"history", NULL, ORIGIN ": history: missing (expected an array)"},
	    {"history", json_array(), ORIGIN ": history: is empty"},
	    {"history/2/estimates/ttft.p95/value", json_string("1.2e8"),
	     ORIGIN ": history[2].estimates.ttft.p95.value: expected a number, got a string"},
	    {"history/0/estimates/ttft.p95/value", json_null(),
	     "history[0].estimates.ttft.p95.value: expected a number, got null"},
	    {"history/1/estimates/ttft.p95/within_var", json_real(-1.0),
	     "history[1].estimates.ttft.p95.within_var: must be >= 0"},
	    {"history/1/estimates/ttft.p95/within_df", json_string("19"),
	     "history[1].estimates.ttft.p95.within_df: expected a number or null"},
	    {"history/1/estimates/ttft.p95/unit", NULL,
	     "history[1].estimates.ttft.p95.unit: missing"},
	    {"history/0/commit", json_string("HEAD"),
	     "history[0].commit: 'HEAD' is not a commit id"},
	    {"history/0/recorded_at", json_string("yesterday"),
	     "history[0].recorded_at: 'yesterday' is not an RFC 3339 time"},
	    {"history/1/fingerprint/cores", json_string("2"),
	     "history[1].fingerprint.cores: expected an integer, got a string"},
	    {"history/1/fingerprint", json_array(),
	     "history[1].fingerprint: expected an object, got an array"},
	    {"history_limit", json_integer(0), ORIGIN ": history_limit: must be 1..1000, got 0"},
	    {"history_limit", json_real(20.0), "history_limit: expected an integer, got a number"},
	    {"history_limit", json_integer(2),
	     ORIGIN ": history: holds 3 runs, more than history_limit 2"},
	    {"suite", json_string(""), ORIGIN ": suite: must not be empty"},
	    {"latest", NULL, ORIGIN ": latest: missing"},
	    {"latest/metrics/e2e/histogram", json_string("PGH1:1:2:3"),
	     ORIGIN ": latest.metrics.e2e.histogram: corrupt histogram encoding"},
	    {"latest/metrics/ttft/histogram", json_integer(7),
	     "latest.metrics.ttft.histogram: expected a string, got a number"},
	    {"latest/fingerprint/workload_hash", json_string("FEDCBA9876543210"),
	     "latest.fingerprint.workload_hash: 'FEDCBA9876543210' is not 16 lowercase hex"},
	    {"latest/fingerprint/adapter", NULL, "latest.fingerprint.adapter: missing"},
	    {"latest/windows", json_array(), "latest.windows: must hold one element per run"},
	    {"latest/windows/1/values/ttft.p95/0", json_string("x"),
	     "latest.windows[1].values.ttft.p95[0]: expected a number or null, got a string"},
	    {"latest/windows/0/seconds", json_integer(0),
	     "latest.windows[0].seconds: must be > 0, got 0"},
	};

	(void)state;
	/* a flipped character in the body breaks the histogram's checksum */
	hist[strlen(hist) - 12] = hist[strlen(hist) - 12] == 'A' ? 'B' : 'A';
	expect_mutation_error("latest/metrics/e2e/histogram", json_string(hist),
			      "latest.metrics.e2e.histogram: corrupt histogram encoding");
	free(hist);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_mutation_error(cases[i].path, cases[i].value, cases[i].want);
}

static void test_non_finite_numbers_are_refused(void **state)
{
	static const char *const literals[] = {"NaN", "nan", "Infinity", "-Infinity", "1e999"};
	char *text = valid_text(), *bad;
	size_t i;

	(void)state;
	/* JSON has no NaN or infinity: each is a syntax error at its position */
	for (i = 0; i < sizeof(literals) / sizeof(literals[0]); i++) {
		bad = replace_number(text, "\"value\": ", literals[i]);
		expect_parse_error(bad, ORIGIN ":");
		assert_true(isdigit((unsigned char)pg_error_last()[strlen(ORIGIN) + 1]));
		free(bad);
	}
	bad = replace_number(text, "\"value\": ", "\"NaN\"");
	expect_parse_error(bad, "history[0].estimates.throughput.rps.value: expected a number");
	free(bad);
	free(text);
}

static void test_duplicate_keys_are_refused(void **state)
{
	char *text = valid_text(), *bad = NULL;
	const char *at = strstr(text, "\"suite\"");
	size_t size = strlen(text) + 32;

	(void)state;
	bad = malloc(size);
	assert_non_null(bad);
	snprintf(bad, size, "%.*s\"suite\": \"other\",\n  %s", (int)(at - text), text, at);
	expect_parse_error(bad, "duplicate object key");
	free(bad);
	free(text);
}

static void test_unknown_fields_are_kept_for_newer_writers(void **state)
{
	char *text = valid_text(), *dumped, *again = NULL;
	json_t *doc = json_loads(text, 0, NULL);
	pg_baseline *b = NULL;

	(void)state;
	set_at(doc, "note", json_string("added by a newer perfgate"));
	set_at(doc, "history/0/extra", json_integer(1));
	dumped = json_dumps(doc, 0);
	assert_int_equal(pg_baseline_parse(&b, dumped, strlen(dumped), ORIGIN), 0);
	assert_int_equal(pg_baseline_serialize(&again, b), 0);
	assert_non_null(strstr(again, "\"note\": \"added by a newer perfgate\""));
	assert_non_null(strstr(again, "\"extra\": 1"));
	free(again);
	free(dumped);
	free(text);
	json_decref(doc);
	pg_baseline_free(b);
}

static void test_a_very_long_field_path_is_cut_in_the_message(void **state)
{
	char key[400];
	const char *msg;

	(void)state;
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	{
		char path[512];

		snprintf(path, sizeof(path), "history/0/estimates/%s", key);
		expect_mutation_error(path, json_integer(1), ORIGIN ": history[0].estimates.kkk");
	}
	msg = pg_error_last();
	assert_non_null(strstr(msg, "...: expected an object, got a number"));
}

/* ---- paths ---- */

static void test_baseline_path_sanitises_names(void **state)
{
	static const struct {
		const char *suite, *scenario, *want;
	} cases[] = {
	    {"quickstart", "interactive", "baselines/quickstart/interactive.json"},
	    {"my suite/v2", "chat: long", "baselines/my-suite-v2/chat--long.json"},
	    {".hidden", "..x", "baselines/_hidden/_.x.json"},
	    {"a.b_c-D9", "x", "baselines/a.b_c-D9/x.json"},
	    {"\xc3\xa9t\xc3\xa9", "../../etc", "baselines/--t--/_.-..-etc.json"},
	};
	char out[128], big[400];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(
		    pg_baseline_path(out, sizeof(out), cases[i].suite, cases[i].scenario), 0);
		assert_string_equal(out, cases[i].want);
	}
	assert_int_equal(pg_baseline_path(out, sizeof(out), "", "x"), PG_EINVAL);
	assert_int_equal(pg_baseline_path(out, sizeof(out), "s", "."), PG_EINVAL);
	assert_int_equal(pg_baseline_path(out, sizeof(out), "..", "x"), PG_EINVAL);
	assert_int_equal(pg_baseline_path(out, sizeof(out), NULL, "x"), PG_EINVAL);
	/* "baselines/s/x.json" is 18 bytes + NUL */
	assert_int_equal(pg_baseline_path(out, 19, "s", "x"), 0);
	assert_string_equal(out, "baselines/s/x.json");
	assert_int_equal(pg_baseline_path(out, 18, "s", "x"), PG_ELIMIT);
	assert_string_equal(out, "");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(pg_baseline_path(out, sizeof(out), "s", big), PG_ELIMIT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_serialize_parse_round_trip_is_exact),
	    cmocka_unit_test(test_serialized_keys_are_in_a_stable_order),
	    cmocka_unit_test(test_null_commit_round_trips_as_unknown),
	    cmocka_unit_test(test_scenario_with_three_runs_adds_three_entries),
	    cmocka_unit_test(test_history_is_trimmed_to_the_limit_keeping_the_newest),
	    cmocka_unit_test(test_estimates_are_oldest_first_and_skip_runs_without_the_metric),
	    cmocka_unit_test(test_add_run_rejects_what_a_baseline_cannot_hold),
	    cmocka_unit_test(test_timestamps_with_offsets_and_fractions_are_accepted),
	    cmocka_unit_test(test_a_metric_without_windows_may_have_an_empty_array),
	    cmocka_unit_test(test_new_and_serialize_reject_bad_arguments),
	    cmocka_unit_test(test_truncated_text_is_a_syntax_error_with_line_and_column),
	    cmocka_unit_test(test_wrong_or_missing_schema_is_refused),
	    cmocka_unit_test(test_corrupt_fields_are_named_by_their_json_path),
	    cmocka_unit_test(test_non_finite_numbers_are_refused),
	    cmocka_unit_test(test_duplicate_keys_are_refused),
	    cmocka_unit_test(test_unknown_fields_are_kept_for_newer_writers),
	    cmocka_unit_test(test_a_very_long_field_path_is_cut_in_the_message),
	    cmocka_unit_test(test_baseline_path_sanitises_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
