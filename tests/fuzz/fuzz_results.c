/*
 * Fuzz target: baseline files and results documents (the JSON perfgate
 * reads back from git, --baseline-file and `perfgate compare`).
 *
 * The input is parsed
 * - as a baseline (pg_baseline_parse, origin "fuzz"). What parses must
 *   serialize, parse back and serialize to the same text; the estimates of
 *   the default comparison metrics must read;
 * - as a results document, the way pg_cli_read_results does (an object
 *   with a "scenarios" array). `perfgate report` builds every CI report
 *   from it (JUnit, GitHub summary and annotations, GitLab, OpenMetrics,
 *   HTML), which must show no "(null)". Each named scenario (up to 8) is
 *   then used
 *   as `perfgate compare` and `baseline update` use it: added as a run to a
 *   new baseline (which must serialize and parse back, as baseline.c
 *   promises), compared with that baseline under the default settings,
 *   with and without --force, and with none; the comparisons are printed
 *   (and must show no "(null)" from a NULL string);
 * - as shard state (framework/recorder_json.h, `perfgate merge`): the
 *   document, and each object member of it, as a recorder and as a series.
 *   What parses must serialize, parse back and serialize to an equal
 *   object (the round trip is promised exact), and merge with itself.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "compare.h"
#include "error.h"
#include "fuzz_util.h"
#include "recorder_json.h"
#include "report_ci.h"
#include "suite_baseline.h"

#define MAX_SCENARIOS 8

static pg_baseline_cfg *cfg;

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (pg_baseline_cfg_default(&cfg) < 0) {
		fprintf(stderr, "fuzz_results: setup failed: %s\n", pg_error_last());
		abort();
	}
	return 0;
}

/* A baseline must survive serialize -> parse -> serialize unchanged. */
static void check_round_trip(const pg_baseline *b, const char *what)
{
	char *text = NULL, *again = NULL;
	pg_baseline *b2 = NULL;

	if (pg_baseline_serialize(&text, b) < 0)
		return; /* no runs yet, or out of memory */
	if (pg_baseline_parse(&b2, text, strlen(text), "fuzz-reparse") < 0) {
		fprintf(stderr, "%s: a serialized baseline does not parse back: %s\n%s\n", what,
			pg_error_last(), text);
		__builtin_trap();
	}
	FUZZ_CHECK(pg_baseline_serialize(&again, b2) == 0);
	if (strcmp(text, again) != 0) {
		fprintf(stderr, "%s: serialize is not stable:\n%s\n---\n%s\n", what, text, again);
		__builtin_trap();
	}
	FUZZ_CHECK(pg_baseline_history_len(b2) == pg_baseline_history_len(b));
	free(text);
	free(again);
	pg_baseline_free(b2);
}

static void check_estimates(const pg_baseline *b)
{
	for (size_t i = 0; i < cfg->n_metrics; i++) {
		pg_run_estimate *est = NULL;
		size_t n = 0;

		FUZZ_CHECK(pg_baseline_estimates(&est, &n, b, cfg->metrics[i].name) == 0);
		FUZZ_CHECK(n <= pg_baseline_history_len(b));
		free(est);
	}
	for (size_t i = 0; i < pg_baseline_history_len(b); i++)
		(void)pg_baseline_history_commit(b, i);
}

static void check_baseline(const char *text, size_t len)
{
	pg_baseline *b = NULL;

	if (pg_baseline_parse(&b, text, len, "fuzz") < 0) {
		FUZZ_CHECK(b == NULL);
		FUZZ_CHECK(strncmp(pg_error_last(), "fuzz", 4) == 0); /* errors name the origin */
		FUZZ_CHECK(!fuzz_shows_null(pg_error_last(), (const uint8_t *)text, len));
		return;
	}
	FUZZ_CHECK(pg_baseline_suite(b) != NULL && pg_baseline_scenario(b) != NULL);
	FUZZ_CHECK(pg_baseline_history_len(b) >= 1);
	check_estimates(b);
	check_round_trip(b, "parsed baseline");
	pg_baseline_free(b);
}

static void compare_scenario(json_t *doc, const json_t *sc, const char *suite, const char *name)
{
	pg_baseline_origin origin = {"file", NULL, NULL, "fuzz.json"};
	pg_compare_totals totals;
	pg_baseline *b = NULL;
	json_t *copy;

	/* what `perfgate baseline update` and --baseline-file RESULTS do */
	if (pg_baseline_new(&b, suite[0] ? suite : "suite", name, 3) < 0)
		return;
	if (pg_baseline_add_run(b, sc, "0123456789abcdef0123456789abcdef01234567",
				"2024-01-02T03:04:05Z") == 0) {
		check_estimates(b);
		check_round_trip(b, "baseline from a results scenario");
		/* a second run trims nothing yet; a fourth trims to the limit */
		if (pg_baseline_add_run(b, sc, NULL, NULL) == 0)
			check_round_trip(b, "baseline with two runs");
	} else {
		pg_baseline_free(b);
		b = NULL;
	}
	/* the comparison edits the scenario: use a copy, keep it in doc for print */
	for (int force = 0; force < 2; force++) {
		copy = json_deep_copy(sc);
		if (copy == NULL)
			break;
		memset(&totals, 0, sizeof(totals));
		(void)pg_compare_scenario(copy, b, b ? PG_BASELINE_COMPARED : PG_BASELINE_MISSING,
					  b ? NULL : "no baseline", &origin, cfg, force, &totals);
		(void)pg_compare_exit_code(&totals, force);
		json_array_append_new(json_object_get(doc, "scenarios"), copy);
	}
	pg_baseline_free(b);
}

/* Prints the comparisons as `perfgate compare` does; no NULL may reach a %s. */
static void print_comparisons(const json_t *doc, const uint8_t *input, size_t size)
{
	char *out = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&out, &n);

	if (f == NULL)
		return;
	pg_compare_print(f, doc, 1);
	fclose(f);
	if (fuzz_shows_null(out, input, size)) {
		fprintf(stderr, "a NULL string was printed:\n%s\n", out);
		__builtin_trap();
	}
	free(out);
}

/* Every CI report `perfgate report` writes from a results document. */
static void check_reports(const json_t *doc, const uint8_t *orig, size_t size)
{
	char *out[6] = {NULL};
	int rc[6];

	rc[0] = pg_report_junit(&out[0], doc);
	rc[1] = pg_report_github_summary(&out[1], doc);
	rc[2] = pg_report_github_annotations(&out[2], doc, 0);
	rc[3] = pg_report_gitlab_load_performance(&out[3], doc);
	rc[4] = pg_report_openmetrics(&out[4], doc);
	rc[5] = pg_report_html(&out[5], doc);
	for (size_t i = 0; i < 6; i++) {
		const char *text = rc[i] == 0 ? out[i] : pg_error_last();

		FUZZ_CHECK(rc[i] != 0 || out[i] != NULL);
		if (fuzz_shows_null(text, orig, size)) {
			fprintf(stderr, "report %zu shows a NULL string:\n%s\n", i, text);
			__builtin_trap();
		}
		free(out[i]);
	}
}

static void check_results(const char *text, size_t len)
{
	json_error_t je;
	json_t *doc = json_loadb(text, len, 0, &je), *scs;
	char *orig = NULL; /* the document's strings unescaped, for fuzz_shows_null */
	const char *suite;
	size_t i, n;

	if (doc == NULL)
		return;
	scs = json_object_get(doc, "scenarios");
	if (!json_is_object(doc) || !json_is_array(scs))
		goto done;
	if ((orig = json_dumps(doc, 0)) == NULL)
		goto done;
	check_reports(doc, (const uint8_t *)orig, strlen(orig));
	suite = json_string_value(json_object_get(doc, "suite"));
	n = json_array_size(scs);
	for (i = 0; i < n && i < MAX_SCENARIOS; i++) {
		const json_t *sc = json_array_get(scs, i);
		const char *name = json_string_value(json_object_get(sc, "name"));

		if (name == NULL || name[0] == '\0')
			continue;
		compare_scenario(doc, sc, suite ? suite : "", name);
	}
	print_comparisons(doc, (const uint8_t *)orig, strlen(orig));
done:
	free(orig);
	json_decref(doc);
}

static void check_recorder(const json_t *j)
{
	pg_recorder *r = NULL, *r2 = NULL;
	json_t *a = NULL, *b = NULL;

	if (pg_recorder_from_json(&r, j, "fuzz") < 0) {
		FUZZ_CHECK(r == NULL);
		return;
	}
	FUZZ_CHECK(pg_recorder_to_json(&a, r) == 0);
	if (pg_recorder_from_json(&r2, a, "fuzz-reparse") < 0) {
		fprintf(stderr, "a serialized recorder does not parse back: %s\n", pg_error_last());
		__builtin_trap();
	}
	FUZZ_CHECK(pg_recorder_to_json(&b, r2) == 0);
	FUZZ_CHECK(json_equal(a, b));
	(void)pg_recorder_merge(r2, r);
	json_decref(a);
	json_decref(b);
	pg_recorder_free(r);
	pg_recorder_free(r2);
}

static void check_series(const json_t *j)
{
	pg_series *s = NULL, *s2 = NULL;
	json_t *a = NULL, *b = NULL;

	if (pg_series_from_json(&s, j, "fuzz") < 0) {
		FUZZ_CHECK(s == NULL);
		return;
	}
	FUZZ_CHECK(pg_series_to_json(&a, s) == 0);
	if (pg_series_from_json(&s2, a, "fuzz-reparse") < 0) {
		fprintf(stderr, "a serialized series does not parse back: %s\n", pg_error_last());
		__builtin_trap();
	}
	FUZZ_CHECK(pg_series_to_json(&b, s2) == 0);
	FUZZ_CHECK(json_equal(a, b));
	(void)pg_series_merge(s2, s);
	json_decref(a);
	json_decref(b);
	pg_series_free(s);
	pg_series_free(s2);
}

static void check_state(const char *text, size_t len)
{
	json_error_t je;
	json_t *doc = json_loadb(text, len, 0, &je);

	if (doc == NULL)
		return;
	if (json_is_object(doc)) {
		check_recorder(doc);
		check_series(doc);
		for (void *it = json_object_iter(doc); it; it = json_object_iter_next(doc, it)) {
			const json_t *v = json_object_iter_value(it);

			if (json_is_object(v)) {
				check_recorder(v);
				check_series(v);
			}
		}
	}
	json_decref(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_baseline((const char *)data, size);
	check_results((const char *)data, size);
	check_state((const char *)data, size);
	return 0;
}
