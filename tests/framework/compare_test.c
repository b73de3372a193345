/* Baseline comparison of a scenario: fingerprints, verdict order, outlying
 * runs and missing metrics (compare.c). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "compare.h"
#include "error.h"

/* A results scenario object with one run per value given (ttft.p95 in ns,
 * throughput.rps), all with a small within-run variance. */
static json_t *scenario(const double *ttft, const double *rps, size_t n, const char *load_hash)
{
	json_t *runs = json_array();
	size_t i;

	for (i = 0; i < n; i++) {
		json_t *est = json_object();

		json_object_set_new(est, "ttft.p95",
				    json_pack("{s:f, s:f, s:f, s:s}", "value", ttft[i], "within_var",
					      1e10, "within_df", 9.0, "unit", "ns"));
		if (rps != NULL)
			json_object_set_new(est, "throughput.rps",
					    json_pack("{s:f, s:f, s:f, s:s}", "value", rps[i],
						      "within_var", 0.01, "within_df", 9.0,
						      "unit", "/s"));
		json_array_append_new(runs, json_pack("{s:o, s:{s:f, s:{}}}", "estimates", est,
						      "windows", "seconds", 1.0, "values"));
	}
	return json_pack("{s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}, s:{}, s:o}",
			 "name", "s", "fingerprint", "cpu_model", "cpu", "kernel", "6.1",
			 "os", "Linux", "perfgate_version", "0.1.0", "target", "mock://",
			 "adapter", "openai-chat", "model", "m", "load_hash", load_hash,
			 "workload_hash", "00000000000000aa", "cores", (json_int_t)2, "metrics",
			 "runs", runs);
}

static pg_baseline *baseline_of(const double *ttft, const double *rps, size_t n)
{
	json_t *sc = scenario(ttft, rps, n, "0000000000000001");
	pg_baseline *b = NULL;

	assert_int_equal(pg_baseline_new(&b, "suite", "s", 20), 0);
	if (pg_baseline_add_run(b, sc, NULL, "2026-11-23T00:00:00Z") != 0)
		fail_msg("add_run: %s", pg_error_last());
	json_decref(sc);
	return b;
}

static pg_baseline_cfg *two_metrics(void)
{
	pg_baseline_cfg *c = NULL;

	assert_int_equal(pg_baseline_cfg_default(&c), 0);
	/* defaults: ttft.p95, e2e.p95, throughput.rps, errors.rate */
	return c;
}

static const json_t *item(const json_t *sc, const char *metric)
{
	const json_t *items = json_object_get(sc, "comparisons");
	size_t i;

	for (i = 0; i < json_array_size(items); i++)
		if (strcmp(json_string_value(json_object_get(json_array_get(items, i), "metric")),
			   metric) == 0)
			return json_array_get(items, i);
	return NULL;
}

static const char *verdict(const json_t *sc, const char *metric)
{
	return json_string_value(json_object_get(item(sc, metric), "verdict"));
}

static void slower_ttft_is_a_regression_listed_first(void **state)
{
	double hist[6] = {100e6, 101e6, 99e6, 100.5e6, 99.5e6, 100e6};
	double hr[6] = {50, 50.2, 49.8, 50.1, 49.9, 50};
	double cur[1] = {130e6}, cr[1] = {50};
	pg_baseline *b = baseline_of(hist, hr, 6);
	json_t *sc = scenario(cur, cr, 1, "0000000000000001");
	pg_baseline_cfg *cfg = two_metrics();
	pg_compare_totals t;

	(void)state;
	memset(&t, 0, sizeof(t));
	assert_int_equal(pg_compare_scenario(sc, b, PG_BASELINE_COMPARED, NULL, NULL, cfg, 0, &t),
			 0);
	assert_string_equal(verdict(sc, "ttft.p95"), "regression");
	assert_string_equal(verdict(sc, "throughput.rps"), "pass");
	/* e2e.p95 and errors.rate are in neither run: inconclusive with why */
	assert_string_equal(verdict(sc, "e2e.p95"), "inconclusive");
	assert_non_null(strstr(json_string_value(json_object_get(item(sc, "e2e.p95"), "reason")),
			       "no value"));
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(json_object_get(sc, "comparisons"), 0), "verdict")),
			    "regression");
	assert_int_equal(t.regressions, 1);
	assert_int_equal(pg_compare_exit_code(&t, 0), 1);
	/* display units: ms */
	assert_true(fabs(json_number_value(json_object_get(item(sc, "ttft.p95"), "current")) -
			 130.0) < 1e-9);
	assert_string_equal(json_string_value(json_object_get(
				json_object_get(sc, "baseline"), "status")),
			    "compared");
	json_decref(sc);
	pg_baseline_free(b);
	pg_baseline_cfg_free(cfg);
}

static void another_load_is_refused_unless_forced(void **state)
{
	double v[5] = {100e6, 101e6, 99e6, 100e6, 100e6}, cur[1] = {300e6};
	pg_baseline *b = baseline_of(v, NULL, 5);
	json_t *sc = scenario(cur, NULL, 1, "00000000000000ff");
	pg_baseline_cfg *cfg = two_metrics();
	pg_compare_totals t;

	(void)state;
	memset(&t, 0, sizeof(t));
	assert_int_equal(pg_compare_scenario(sc, b, PG_BASELINE_COMPARED, NULL, NULL, cfg, 0, &t),
			 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(sc, "baseline"),
							      "status")),
			    "refused");
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(sc, "baseline"),
								 "reason")),
			       "load_hash"));
	assert_int_equal(json_array_size(json_object_get(sc, "comparisons")), 0);
	assert_int_equal(pg_compare_exit_code(&t, 0), 0);
	assert_int_equal(pg_compare_exit_code(&t, 1), 2);
	memset(&t, 0, sizeof(t));
	assert_int_equal(pg_compare_scenario(sc, b, PG_BASELINE_COMPARED, NULL, NULL, cfg, 1, &t),
			 0);
	assert_string_equal(verdict(sc, "ttft.p95"), "regression");
	json_decref(sc);
	pg_baseline_free(b);
	pg_baseline_cfg_free(cfg);
}

static void one_disturbed_history_run_is_left_out(void **state)
{
	/* eight quiet runs and one twice as slow: without the rule the spread
	 * swamps a real 20 % slowdown */
	double v[9] = {100e6, 101e6, 99e6, 100.5e6, 99.5e6, 100e6, 200e6, 100.2e6, 99.8e6};
	double cur[3] = {120e6, 121e6, 119e6};
	pg_baseline *b = baseline_of(v, NULL, 9);
	json_t *sc = scenario(cur, NULL, 3, "0000000000000001");
	pg_baseline_cfg *cfg = two_metrics();
	pg_compare_totals t;

	(void)state;
	memset(&t, 0, sizeof(t));
	assert_int_equal(pg_compare_scenario(sc, b, PG_BASELINE_COMPARED, NULL, NULL, cfg, 0, &t),
			 0);
	assert_string_equal(verdict(sc, "ttft.p95"), "regression");
	assert_non_null(strstr(json_string_value(json_object_get(item(sc, "ttft.p95"), "reason")),
			       "1 outlying run left out"));
	json_decref(sc);
	pg_baseline_free(b);
	pg_baseline_cfg_free(cfg);
}

static void missing_baseline_fails_only_when_strict(void **state)
{
	double cur[1] = {100e6};
	json_t *sc = scenario(cur, NULL, 1, "0000000000000001");
	pg_baseline_cfg *cfg = two_metrics();
	pg_compare_totals t;

	(void)state;
	memset(&t, 0, sizeof(t));
	assert_int_equal(pg_compare_scenario(sc, NULL, PG_BASELINE_MISSING, "no baseline", NULL,
					     cfg, 0, &t),
			 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(sc, "baseline"),
							      "status")),
			    "missing");
	assert_int_equal(t.missing, 1);
	assert_int_equal(pg_compare_exit_code(&t, 0), 0);
	assert_int_equal(pg_compare_exit_code(&t, 1), 1);
	json_decref(sc);
	pg_baseline_cfg_free(cfg);
}

/* A results document read back may lack names (fuzz_results found a NULL
 * handed to %s): the printout says "?" instead. */
static void printing_a_document_without_names_shows_placeholders(void **state)
{
	json_t *doc = json_pack("{s:[{s:{s:s}, s:[{s:s, s:s, s:f, s:f}]}]}", "scenarios",
				"baseline", "status", "compared", "comparisons", "verdict",
				"regression", "unit", "ms", "baseline", 1.0, "current", 2.0);
	char *out = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&out, &n);

	(void)state;
	assert_non_null(doc);
	assert_non_null(f);
	pg_compare_print(f, doc, 0);
	fclose(f);
	assert_non_null(strstr(out, "baseline of ?: compared"));
	assert_non_null(strstr(out, "regression   ?"));
	assert_null(strstr(out, "(null)"));
	free(out);
	json_decref(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(slower_ttft_is_a_regression_listed_first),
	    cmocka_unit_test(another_load_is_refused_unless_forced),
	    cmocka_unit_test(one_disturbed_history_run_is_left_out),
	    cmocka_unit_test(missing_baseline_fails_only_when_strict),
	    cmocka_unit_test(printing_a_document_without_names_shows_placeholders),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
