/* Tests for the CI reports (framework/report_*.c): JUnit, GitHub summary
 * and annotations, GitLab load_performance, OpenMetrics, the --report
 * dispatcher and the Pushgateway push. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "fileio.h"
#include "report_checks.h"
#include "report_ci.h"
#include "report_text.h"

/* ---- the results document ---------------------------------------------- */

static json_t *dist(double count, double mean, double min, double p50, double p90, double p95,
		    double p99, double max)
{
	return json_pack("{s:s, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f}", "unit", "ms",
			 "count", count, "mean", mean, "min", min, "p50", p50, "p90", p90, "p95",
			 p95, "p99", p99, "p99.9", p99, "max", max);
}

/* Two scenarios: "chat" fails a requirement and regresses, has an
 * inconclusive comparison with hostile text; the second, whose name holds
 * a quote, a pipe, markup, a backslash and an invalid UTF-8 byte, passes. */
static json_t *make_results(void)
{
	json_t *chat, *batch, *doc, *reqs, *cmps, *inc;

	chat = json_pack(
	    "{s:s, s:s, s:f, s:{s:o, s:o, s:{s:f, s:f}, s:{s:f}, s:{s:i, s:i, s:i}, s:{s:f}},"
	    " s:{s:s, s:s, s:s, s:s, s:i}}",
	    "name", "chat", "verdict", "fail", "window_s", 10.0, "metrics", "ttft",
	    dist(100, 200, 50, 180, 350, 412, 500, 520), "e2e",
	    dist(100, 1000, 500, 144.900096, 1500, 1600, 1900, 2000), "throughput", "rps", 10.0,
	    "output_tokens_per_s", 300.0, "errors", "rate", 0.02, "requests", "total", 100,
	    "succeeded", 98, "failed", 2, "cost", "per_request", 0.001, "baseline", "status",
	    "compared", "source", "git", "ref", "origin/main", "commit",
	    "0123456789abcdef0123456789abcdef01234567", "runs", 20);
	reqs = json_pack("[{s:s, s:s, s:i, s:i, s:s, s:s, s:s, s:f, s:f, s:s, s:f, s:s},"
			 " {s:s, s:s, s:i, s:i, s:s, s:n, s:s, s:f, s:f, s:s, s:f, s:s}]",
			 "expr", "ttft.p95 < 300ms", "file", "suites/x.yaml", "line", 28, "col", 9,
			 "metric", "ttft", "stat", "p95", "op", "<", "measured", 412.0, "limit",
			 300.0, "unit", "ms", "margin", -112.0, "verdict", "failed", "expr",
			 "errors.rate < 5%", "file", "suites/x.yaml", "line", 29, "col", 9,
			 "metric", "errors.rate", "stat", "op", "<", "measured", 2.0, "limit", 5.0,
			 "unit", "%", "margin", 3.0, "verdict", "met");
	cmps = json_pack("[{s:s, s:s, s:s, s:f, s:f, s:f, s:f, s:[f, f], s:f, s:f, s:i, s:s, s:s,"
			 " s:i, s:i}]",
			 "metric", "ttft.p95", "verdict", "regression", "unit", "ms", "baseline",
			 120.1, "current", 150.3, "change", 30.2, "change_pct", 25.1, "ci", 20.1,
			 40.3, "tolerance", 6.0, "confidence", 0.99, "repeats_needed", 0, "reason",
			 "+25.1% is beyond the 5% tolerance", "file", "suites/x.yaml", "line", 31,
			 "col", 7);
	inc = json_pack("{s:s, s:s, s:s, s:f, s:f, s:f, s:n, s:[f, f], s:f, s:f, s:i, s:s, s:i,"
			" s:i}",
			"metric", "e2e.p99", "verdict", "inconclusive", "unit", "ms", "baseline",
			1800.0, "current", 1900.0, "change", 100.0, "change_pct", "ci", -50.0,
			250.0, "tolerance", 90.0, "confidence", 0.99, "repeats_needed", 3, "file",
			"suites/x,y:z.yaml", "line", 32, "col", 7);
	json_object_set_new(inc, "reason",
			    json_string_nocheck("50% & <more> \"runs\" | needed\nnext\x01 \xC3(x"));
	json_array_append_new(cmps, inc);
	json_object_set_new(chat, "requirements", reqs);
	json_object_set_new(chat, "comparisons", cmps);

	batch =
	    json_pack("{s:s, s:f, s:{s:o, s:o, s:{s:f}, s:{s:f}, s:{s:i, s:i, s:i}},"
		      " s:[{s:s, s:s, s:i, s:i, s:s, s:s, s:s, s:f, s:f, s:s, s:f, s:s}],"
		      " s:[{s:s, s:s, s:s, s:f, s:f, s:f, s:s}]}",
		      "verdict", "pass", "window_s", 30.0, "metrics", "ttft",
		      dist(300, 100, 40, 90, 200, 250, 300, 310), "e2e",
		      dist(300, 800, 400, 700, 900, 950, 990, 1000), "throughput", "rps", 20.0,
		      "errors", "rate", 0.0, "requests", "total", 300, "succeeded", 300, "failed",
		      0, "requirements", "expr", "e2e.p50 < 1s & \"ok\"", "file", "suites/x.yaml",
		      "line", 40, "col", 9, "metric", "e2e", "stat", "p50", "op", "<", "measured",
		      700.0, "limit", 1000.0, "unit", "ms", "margin", 300.0, "verdict", "met",
		      "comparisons", "metric", "throughput.rps", "verdict", "improvement", "unit",
		      "/s", "baseline", 18.0, "current", 20.0, "change", 2.0, "reason", "faster");
	json_object_set_new(batch, "name", json_string_nocheck("bat\"ch|<x>\xff\\"));

	doc = json_pack("{s:s, s:s, s:s, s:s, s:{s:s}, s:s, s:[o, o]}", "schema",
			"perfgate-results/1", "suite", "demo", "suite_file", "suites/x.yaml",
			"started_at", "2026-11-23T15:00:00Z", "target", "url", "mock://", "verdict",
			"fail", "scenarios", chat, batch);
	assert_non_null(doc);
	return doc;
}

/* A passing document with one met requirement. */
static json_t *make_passing(void)
{
	json_t *doc = json_pack("{s:s, s:s, s:s, s:[{s:s, s:s, s:[{s:s, s:s, s:s, s:f, s:f,"
				" s:s, s:s}]}]}",
				"schema", "perfgate-results/1", "suite", "ok", "verdict", "pass",
				"scenarios", "name", "s", "verdict", "pass", "requirements", "expr",
				"ttft.p95 < 1s", "metric", "ttft", "stat", "p95", "measured", 10.0,
				"limit", 1000.0, "unit", "ms", "verdict", "met");

	assert_non_null(doc);
	return doc;
}

static size_t count_of(const char *hay, const char *needle)
{
	size_t n = 0;
	const char *p = hay;

	while ((p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	return n;
}

static void assert_prefix(const char *text, const char *prefix)
{
	if (strncmp(text, prefix, strlen(prefix)) != 0)
		fail_msg("expected prefix:\n%s\n--- got:\n%.*s", prefix, (int)strlen(prefix) + 40,
			 text);
}

static void assert_contains(const char *hay, const char *needle)
{
	if (strstr(hay, needle) == NULL)
		fail_msg("missing:\n%s\n--- in:\n%s", needle, hay);
}

static void assert_lacks(const char *hay, const char *needle)
{
	if (strstr(hay, needle) != NULL)
		fail_msg("unexpected:\n%s\n--- in:\n%s", needle, hay);
}

/* Every byte sequence of s is valid UTF-8. */
static void assert_valid_utf8(const char *s)
{
	const char *p = s, *end = s + strlen(s);

	while (p < end) {
		const char *at = p;

		if (pg_utf8_next(&p, end) == 0xFFFD && memcmp(at, "\xEF\xBF\xBD", 3) != 0)
			fail_msg("invalid UTF-8 at offset %td", at - s);
	}
}

/* ---- helpers ------------------------------------------------------------ */

static void test_numbers_are_shortest_exact_and_human_readable(void **state)
{
	char b[64];

	(void)state;
	pg_num_exact(b, sizeof(b), 0.1);
	assert_string_equal(b, "0.1");
	pg_num_exact(b, sizeof(b), 0.412);
	assert_string_equal(b, "0.412");
	pg_num_exact(b, sizeof(b), 1.0 / 3);
	assert_true(strtod(b, NULL) == 1.0 / 3);
	pg_num_exact(b, sizeof(b), INFINITY);
	assert_string_equal(b, "+Inf");
	pg_num_exact(b, sizeof(b), NAN);
	assert_string_equal(b, "NaN");
	pg_num_human(b, sizeof(b), 412);
	assert_string_equal(b, "412");
	pg_num_human(b, sizeof(b), 22.208512);
	assert_string_equal(b, "22.21");
	pg_num_human(b, sizeof(b), 147.652608);
	assert_string_equal(b, "147.7");
	pg_num_human(b, sizeof(b), 0.001);
	assert_string_equal(b, "0.001");
	pg_num_human(b, sizeof(b), 3000);
	assert_string_equal(b, "3000");
	pg_num_human(b, sizeof(b), 123456.7);
	assert_string_equal(b, "123457");
	pg_num_human(b, sizeof(b), -112);
	assert_string_equal(b, "-112");
}

static void test_utf8_walk_replaces_invalid_sequences(void **state)
{
	const char s[] = "a\xC3\xA9\xff\xC3(\xED\xA0\x80\xF0\x9F\x98\x80";
	const char *p = s, *end = s + sizeof(s) - 1;
	uint32_t want[] = {'a', 0xE9, 0xFFFD, 0xFFFD, '(', 0xFFFD, 0xFFFD, 0xFFFD, 0x1F600};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_int_equal(pg_utf8_next(&p, end), want[i]);
	assert_ptr_equal(p, end);
}

static void test_text_buffer_refuses_to_grow_past_the_cap(void **state)
{
	pg_rtext t = PG_RTEXT_INIT;
	char *out = (char *)1;

	(void)state;
	pg_rtext_puts(&t, "abc");
	pg_rtext_putn(&t, "x", PG_REPORT_TEXT_MAX);
	pg_rtext_puts(&t, "def");
	assert_int_equal(pg_rtext_finish(&out, &t), PG_ELIMIT);
	assert_null(out);
	assert_non_null(strstr(pg_error_last(), "report larger than"));
}

static void test_checks_flatten_requirements_and_comparisons(void **state)
{
	json_t *doc = make_results();
	pg_checks cs;

	(void)state;
	assert_int_equal(pg_checks_collect(&cs, doc), 0);
	assert_int_equal(cs.n, 6);
	assert_int_equal(cs.failed, 2);
	assert_int_equal(cs.inconclusive, 1);
	assert_int_equal(cs.passed, 3);
	assert_int_equal(cs.n_scenarios, 2);
	assert_string_equal(cs.v[0].name, "requirement: ttft.p95 < 300ms");
	assert_string_equal(cs.v[0].message,
			    "ttft.p95 = 412 ms, limit < 300 ms (suites/x.yaml:28:9)");
	assert_string_equal(cs.v[1].message, "errors.rate = 2%, limit < 5% (suites/x.yaml:29:9)");
	assert_string_equal(cs.v[2].name, "baseline: ttft.p95");
	assert_int_equal(cs.v[2].status, PG_CHECK_FAILED);
	assert_string_equal(cs.v[2].delta, "+30.2 ms (+25.1%), 99% CI [+20.1, +40.3 ms]");
	assert_string_equal(cs.v[2].message,
			    "ttft.p95 regressed: 150.3 ms vs baseline 120.1 ms (+30.2 ms "
			    "(+25.1%), 99% CI [+20.1, +40.3 ms]): +25.1% is beyond the 5% "
			    "tolerance (suites/x.yaml:31:7)");
	assert_int_equal(cs.v[3].status, PG_CHECK_INCONCLUSIVE);
	assert_non_null(strstr(cs.v[2].detail, "baseline source: git origin/main @ 0123456789ab, "
					       "20 runs\n"));
	assert_int_equal(cs.v[5].status, PG_CHECK_PASSED);
	pg_checks_free(&cs);
	json_decref(doc);
}

static void test_requirement_without_a_value_says_why(void **state)
{
	json_t *doc = json_pack(
	    "{s:[{s:s, s:[{s:s, s:s, s:s, s:n, s:f, s:s, s:s, s:s}]}]}", "scenarios", "name", "s",
	    "requirements", "expr", "ttft.p95 < 1s", "metric", "ttft", "stat", "p95", "measured",
	    "limit", 1000.0, "unit", "ms", "verdict", "failed", "reason", "no request succeeded");
	pg_checks cs;

	(void)state;
	assert_int_equal(pg_checks_collect(&cs, doc), 0);
	assert_int_equal(cs.failed, 1);
	assert_string_equal(cs.v[0].message, "ttft.p95 has no value: no request succeeded");
	assert_string_equal(cs.v[0].measured, "n/a");
	pg_checks_free(&cs);
	json_decref(doc);
	assert_int_equal(pg_checks_collect(&cs, NULL), PG_EINVAL);
}

/* ---- JUnit -------------------------------------------------------------- */

static void test_junit_counts_checks_and_failures(void **state)
{
	json_t *doc = make_results();
	char *x = NULL;

	(void)state;
	assert_int_equal(pg_report_junit(&x, doc), 0);
	assert_prefix(x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites "
			 "name=\"perfgate\" tests=\"6\" failures=\"2\" errors=\"0\" "
			 "time=\"40.000\">\n");
	assert_contains(x, "  <testsuite name=\"demo.chat\" tests=\"4\" failures=\"2\" "
			   "errors=\"0\" skipped=\"0\" time=\"10.000\" "
			   "timestamp=\"2026-11-23T15:00:00\">\n");
	assert_contains(x, "<testcase classname=\"demo.chat\" name=\"requirement: ttft.p95 "
			   "&lt; 300ms\" time=\"0\">\n      <failure message=\"ttft.p95 = 412 ms, "
			   "limit &lt; 300 ms (suites/x.yaml:28:9)\" type=\"requirement\">");
	assert_contains(x, "<testcase classname=\"demo.chat\" name=\"baseline: ttft.p95\" "
			   "time=\"0\">\n      <failure message=\"ttft.p95 regressed:");
	assert_contains(x, "type=\"regression\">comparison: ttft.p95\nverdict: regression\n");
	assert_int_equal(count_of(x, "<failure "), 2);
	assert_int_equal(count_of(x, "<testcase "), 6);
	assert_int_equal(count_of(x, "<testsuite "), 2);
	assert_contains(x, "<property name=\"measured: ttft.p95 &lt; 300ms\" value=\"412 ms\"/>");
	assert_contains(x, "<property name=\"baseline: ttft.p95\" value=\"120.1 ms\"/>");
	assert_contains(x, "<property name=\"baseline.status\" value=\"compared\"/>");
	assert_contains(x, "<property name=\"measured: errors.rate &lt; 5%\" value=\"2%\"/>");
	assert_contains(x, "<property name=\"throughput.rps\" value=\"10/s\"/>");
	free(x);
	json_decref(doc);
}

static void test_junit_inconclusive_passes_with_system_out(void **state)
{
	json_t *doc = make_results();
	char *x = NULL, *tc, *end;

	(void)state;
	assert_int_equal(pg_report_junit(&x, doc), 0);
	tc = strstr(x, "<testcase classname=\"demo.chat\" name=\"baseline: e2e.p99\"");
	assert_non_null(tc);
	end = strstr(tc, "</testcase>");
	assert_non_null(end);
	*end = '\0';
	assert_null(strstr(tc, "<failure"));
	assert_null(strstr(tc, "<skipped"));
	assert_non_null(strstr(tc, "<system-out>inconclusive (passed): e2e.p99 inconclusive: "));
	free(x);
	json_decref(doc);
}

static void test_junit_escapes_markup_controls_and_invalid_utf8(void **state)
{
	json_t *doc = make_results();
	char *x = NULL;

	(void)state;
	assert_int_equal(pg_report_junit(&x, doc), 0);
	/* attribute: quote, markup, backslash; the invalid byte became U+FFFD */
	assert_contains(x, "<testsuite name=\"demo.bat&quot;ch|&lt;x&gt;\xEF\xBF\xBD\\\"");
	assert_contains(x, "name=\"requirement: e2e.p50 &lt; 1s &amp; &quot;ok&quot;\"");
	/* text: the \x01 is dropped, the newline kept, the broken \xC3 replaced */
	assert_contains(x, "reason: 50% &amp; &lt;more&gt; &quot;runs&quot; | needed\nnext "
			   "\xEF\xBF\xBD(x\n");
	assert_null(memchr(x, '\x01', strlen(x)));
	assert_valid_utf8(x);
	free(x);
	/* attribute tabs and newlines become character references */
	json_object_set_new(
	    json_array_get(json_object_get(json_array_get(json_object_get(doc, "scenarios"), 0),
					   "requirements"),
			   0),
	    "expr", json_string("t\ty\nz'"));
	assert_int_equal(pg_report_junit(&x, doc), 0);
	assert_contains(x, " name=\"requirement: t&#9;y&#10;z&apos;\" time=\"0\">");
	assert_valid_utf8(x);
	free(x);
	json_decref(doc);
}

static void test_junit_interrupted_run_adds_an_error(void **state)
{
	json_t *doc = make_passing();
	char *x = NULL;

	(void)state;
	json_object_set_new(doc, "interrupted", json_true());
	assert_int_equal(pg_report_junit(&x, doc), 0);
	assert_contains(x, "tests=\"2\" failures=\"0\" errors=\"1\"");
	assert_contains(x, "<error message=\"the run was interrupted");
	free(x);
	json_decref(doc);
}

/* ---- GitHub ------------------------------------------------------------- */

static void test_github_summary_heading_and_failed_rows_first(void **state)
{
	json_t *doc = make_results();
	char *md = NULL, *chat, *failed, *met, *inc;

	(void)state;
	assert_int_equal(pg_report_github_summary(&md, doc), 0);
	assert_prefix(md, "### \xE2\x9D\x8C perfgate: 2 of 6 checks failed (1 inconclusive)\n\n");
	chat = strstr(md, "#### \xE2\x9D\x8C chat\n");
	assert_non_null(chat);
	failed =
	    strstr(chat, "| \xE2\x9D\x8C failed | ttft.p95 &lt; 300ms | 412 ms | &lt; 300 ms | "
			 "margin -112 ms |  | suites/x.yaml:28:9 |\n");
	inc = strstr(chat, "| \xE2\x9A\xA0\xEF\xB8\x8F inconclusive | baseline: e2e.p99 |");
	met = strstr(chat, "| \xE2\x9C\x85 met | errors.rate &lt; 5% |");
	assert_non_null(failed);
	assert_non_null(inc);
	assert_non_null(met);
	assert_true(failed < inc && inc < met);
	assert_contains(md, "Baseline: compared, source git, ref origin/main, commit "
			    "0123456789abcdef0123456789abcdef01234567, 20 runs\n");
	free(md);
	json_decref(doc);
}

static void test_github_summary_escapes_table_cells(void **state)
{
	json_t *doc = make_results();
	char *md = NULL;

	(void)state;
	assert_int_equal(pg_report_github_summary(&md, doc), 0);
	/* pipe, newline, markup and the control byte in a cell */
	assert_contains(md,
			"| 50% &amp; &lt;more&gt; \"runs\" \\| needed<br>next \xEF\xBF\xBD(x |");
	/* the scenario heading: pipe and backslash escaped, bad byte replaced */
	assert_contains(md, "bat\"ch\\|&lt;x&gt;\xEF\xBF\xBD\\\\\n");
	assert_valid_utf8(md);
	assert_null(memchr(md, '\x01', strlen(md)));
	free(md);
	json_decref(doc);
}

static void test_github_summary_passing_run(void **state)
{
	json_t *doc = make_passing();
	char *md = NULL;

	(void)state;
	assert_int_equal(pg_report_github_summary(&md, doc), 0);
	assert_prefix(md, "### \xE2\x9C\x85 perfgate: 1 check passed\n");
	free(md);
	json_object_set_new(json_array_get(json_object_get(doc, "scenarios"), 0), "requirements",
			    json_array());
	json_array_append_new(json_object_get(doc, "scenarios"), json_pack("{s:s}", "name", "t"));
	assert_int_equal(pg_report_github_summary(&md, doc), 0);
	assert_contains(md, "perfgate: passed (no checks)\n");
	assert_contains(md, "_No requirements or baseline comparisons._");
	free(md);
	json_decref(doc);
}

static void test_github_annotations_errors_first_and_escaped(void **state)
{
	json_t *doc = make_results();
	char *a = NULL, *second, *third;

	(void)state;
	assert_int_equal(pg_report_github_annotations(&a, doc, 0), 0);
	assert_prefix(a, "::error file=suites/x.yaml,line=28,col=9,title=perfgate chat%3A "
			 "ttft.p95 < 300ms::ttft.p95 = 412 ms, limit < 300 ms "
			 "(suites/x.yaml:28:9)\n");
	second = strchr(a, '\n') + 1;
	assert_prefix(second, "::error file=suites/x.yaml,line=31,col=7,title=perfgate chat%3A "
			      "baseline%3A ttft.p95::ttft.p95 regressed: 150.3 ms vs baseline "
			      "120.1 ms (+30.2 ms (+25.1%25), ");
	third = strchr(second, '\n') + 1;
	/* property escaping of , and : in the file; %0A for the newline in the data */
	assert_prefix(third, "::warning file=suites/x%2Cy%3Az.yaml,line=32,col=7,title=");
	assert_contains(third, "needed%0Anext \xEF\xBF\xBD(x (suites/x,y:z.yaml:32:7)\n");
	assert_int_equal(count_of(a, "\n"), 3);
	assert_valid_utf8(a);
	free(a);
	json_decref(doc);
}

static void test_github_annotations_respect_max(void **state)
{
	json_t *doc = make_results();
	char *a = NULL;

	(void)state;
	assert_int_equal(pg_report_github_annotations(&a, doc, 1), 0);
	assert_int_equal(count_of(a, "::error"), 1);
	assert_int_equal(count_of(a, "::warning"), 0);
	assert_contains(a, "\nperfgate: 2 more annotations not shown; see the job summary\n");
	free(a);
	json_decref(doc);
	doc = make_passing();
	assert_int_equal(pg_report_github_annotations(&a, doc, 10), 0);
	assert_string_equal(a, "");
	free(a);
	json_decref(doc);
}

/* ---- GitLab ------------------------------------------------------------- */

static double num_at(const json_t *o, const char *a, const char *b)
{
	const json_t *v = json_object_get(json_object_get(o, a), b);

	if (!json_is_number(v))
		fail_msg("%s.%s is not a number", a, b);
	return json_number_value(v);
}

static void test_gitlab_has_the_k6_summary_shape_and_aggregates(void **state)
{
	json_t *doc = make_results(), *g, *m, *root, *chk;
	json_error_t err;
	char *text = NULL;

	(void)state;
	assert_int_equal(pg_report_gitlab_load_performance(&text, doc), 0);
	g = json_loads(text, 0, &err);
	if (g == NULL)
		fail_msg("not JSON: %s\n%s", err.text, text);
	m = json_object_get(g, "metrics");
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(m, "http_reqs"), "count")), 400);
	assert_true(fabs(num_at(m, "http_reqs", "rate") - 17.5) < 1e-9);
	assert_true(fabs(num_at(m, "iterations", "rate") - 17.5) < 1e-9);
	assert_true(fabs(num_at(m, "http_req_waiting", "avg") - 125) < 1e-9);
	assert_true(num_at(m, "http_req_waiting", "min") == 40);
	assert_true(num_at(m, "http_req_waiting", "med") == 180);
	assert_true(num_at(m, "http_req_waiting", "max") == 520);
	assert_true(num_at(m, "http_req_waiting", "p(90)") == 350);
	assert_true(num_at(m, "http_req_waiting", "p(95)") == 412);
	assert_true(num_at(m, "http_req_duration", "p(95)") == 1600);
	assert_true(num_at(m, "checks", "passes") == 4);
	assert_true(num_at(m, "checks", "fails") == 2);
	assert_true(fabs(num_at(m, "checks", "value") - 4.0 / 6) < 1e-12);
	assert_true(num_at(m, "http_req_failed", "passes") == 2);
	assert_true(fabs(num_at(m, "http_req_failed", "value") - 0.005) < 1e-12);
	root = json_object_get(g, "root_group");
	assert_string_equal(json_string_value(json_object_get(root, "id")),
			    "d41d8cd98f00b204e9800998ecf8427e");
	assert_string_equal(json_string_value(json_object_get(root, "path")), "");
	assert_true(json_is_object(json_object_get(root, "groups")));
	chk =
	    json_object_get(json_object_get(root, "checks"), "chat: requirement: ttft.p95 < 300ms");
	assert_non_null(chk);
	assert_string_equal(json_string_value(json_object_get(chk, "path")),
			    "::chat: requirement: ttft.p95 < 300ms");
	/* k6's id is the MD5 of the path */
	assert_string_equal(json_string_value(json_object_get(chk, "id")),
			    "c5e1d0b797ad3e0a41d11919dccc6bf0");
	assert_int_equal(json_integer_value(json_object_get(chk, "fails")), 1);
	assert_int_equal(json_integer_value(json_object_get(chk, "passes")), 0);
	assert_int_equal(json_object_size(json_object_get(root, "checks")), 6);
	json_decref(g);
	free(text);
	json_decref(doc);
}

static void test_gitlab_without_latencies_omits_the_trends(void **state)
{
	json_t *doc = make_passing(), *g;
	char *text = NULL;

	(void)state;
	assert_int_equal(pg_report_gitlab_load_performance(&text, doc), 0);
	g = json_loads(text, 0, NULL);
	assert_non_null(g);
	assert_null(json_object_get(json_object_get(g, "metrics"), "http_req_waiting"));
	assert_true(num_at(json_object_get(g, "metrics"), "checks", "value") == 1);
	json_decref(g);
	free(text);
	json_decref(doc);
}

/* ---- OpenMetrics -------------------------------------------------------- */

/* One sample line: name{label="value",...} number. */
static int valid_sample(const char *s)
{
	char *end;

	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
		return 0;
	while ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
	       *s == '_')
		s++;
	if (*s == '{') {
		s++;
		for (;;) {
			if (!((*s >= 'a' && *s <= 'z') || *s == '_'))
				return 0;
			while ((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_')
				s++;
			if (s[0] != '=' || s[1] != '"')
				return 0;
			for (s += 2; *s != '"'; s++) {
				if (*s == '\0' || *s == '\n')
					return 0;
				if (*s == '\\') {
					s++;
					if (*s != '\\' && *s != '"' && *s != 'n')
						return 0;
				}
			}
			s++;
			if (*s == '}')
				break;
			if (*s++ != ',')
				return 0;
		}
		s++;
	}
	if (*s++ != ' ')
		return 0;
	if (strcmp(s, "NaN") == 0 || strcmp(s, "+Inf") == 0 || strcmp(s, "-Inf") == 0)
		return 1;
	strtod(s, &end);
	return end != s && *end == '\0';
}

static void test_openmetrics_lines_parse_and_end_with_eof(void **state)
{
	json_t *doc = make_results();
	char *text = NULL, *copy, *line, *save = NULL, last_family[128] = "";
	size_t samples = 0;

	(void)state;
	assert_int_equal(pg_report_openmetrics(&text, doc), 0);
	assert_true(strlen(text) > 6);
	assert_string_equal(text + strlen(text) - 6, "# EOF\n");
	copy = strdup(text);
	for (line = strtok_r(copy, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char fam[128];

		if (strncmp(line, "# TYPE ", 7) == 0) {
			assert_int_equal(sscanf(line + 7, "%127s", fam), 1);
			/* families in name order, each declared once */
			if (strcmp(last_family, fam) >= 0)
				fail_msg("family %s after %s", fam, last_family);
			snprintf(last_family, sizeof(last_family), "%s", fam);
			assert_non_null(strstr(line, " gauge"));
		} else if (strncmp(line, "# HELP ", 7) == 0 || strncmp(line, "# UNIT ", 7) == 0) {
			assert_true(strncmp(line + 7, last_family, strlen(last_family)) == 0);
		} else if (strcmp(line, "# EOF") != 0) {
			if (!valid_sample(line))
				fail_msg("bad line: %s", line);
			assert_true(strncmp(line, last_family, strlen(last_family)) == 0);
			samples++;
		}
	}
	assert_true(samples > 20);
	assert_valid_utf8(text);
	free(copy);
	free(text);
	json_decref(doc);
}

static void test_openmetrics_values_units_and_escaping(void **state)
{
	json_t *doc = make_results();
	char *text = NULL;

	(void)state;
	assert_int_equal(pg_report_openmetrics(&text, doc), 0);
	assert_contains(
	    text, "# TYPE perfgate_latency_seconds gauge\n"
		  "# UNIT perfgate_latency_seconds seconds\n# HELP perfgate_latency_seconds ");
	assert_contains(text, "\nperfgate_latency_seconds{suite=\"demo\",scenario=\"chat\","
			      "metric=\"ttft\",quantile=\"0.95\"} 0.412\n");
	assert_contains(text, "\nperfgate_run_pass{suite=\"demo\"} 0\n");
	/* ms -> s keeps the digits the document had */
	assert_contains(text, "scenario=\"chat\",metric=\"e2e\",quantile=\"0.5\"} 0.144900096\n");
	assert_contains(text, "\nperfgate_requirement_met{suite=\"demo\",scenario=\"chat\","
			      "requirement=\"ttft.p95 < 300ms\"} 0\n");
	assert_contains(text, "\nperfgate_comparison_verdict{suite=\"demo\",scenario=\"chat\","
			      "metric=\"ttft.p95\",verdict=\"regression\"} 1\n");
	assert_contains(text, "\nperfgate_comparison_change_ratio{suite=\"demo\",scenario=\"chat\","
			      "metric=\"ttft.p95\"} 0.251\n");
	assert_lacks(text, "metric=\"e2e.p99\"} "); /* change_pct null: no ratio */
	assert_contains(text, "\nperfgate_error_ratio{suite=\"demo\",scenario=\"chat\"} 0.02\n");
	assert_contains(text, "\nperfgate_cost_usd{suite=\"demo\",scenario=\"chat\","
			      "metric=\"per_request\"} 0.001\n");
	assert_contains(text, "\nperfgate_throughput_requests_per_second{suite=\"demo\","
			      "scenario=\"chat\"} 10\n");
	assert_contains(text, "\nperfgate_requests{suite=\"demo\",scenario=\"chat\","
			      "result=\"failed\"} 2\n");
	/* label escaping: \" and \\ escaped, the invalid byte replaced */
	assert_contains(text, "scenario=\"bat\\\"ch|<x>\xEF\xBF\xBD\\\\\"");
	assert_contains(text, "requirement=\"e2e.p50 < 1s & \\\"ok\\\"\"} 1\n");
	free(text);
	json_decref(doc);
}

static void test_openmetrics_duplicate_series_merge_to_the_lowest(void **state)
{
	json_t *doc = make_passing(), *reqs;
	char *text = NULL;

	(void)state;
	reqs =
	    json_object_get(json_array_get(json_object_get(doc, "scenarios"), 0), "requirements");
	json_array_append_new(
	    reqs, json_pack("{s:s, s:s}", "expr", "ttft.p95 < 1s", "verdict", "failed"));
	json_array_append_new(reqs,
			      json_pack("{s:s, s:s}", "expr", "ttft.p95 < 1s", "verdict", "met"));
	json_object_set_new(json_array_get(json_object_get(doc, "scenarios"), 0), "name",
			    json_string("a\nb"));
	assert_int_equal(pg_report_openmetrics(&text, doc), 0);
	assert_int_equal(count_of(text, "perfgate_requirement_met{"), 1);
	assert_contains(text, "perfgate_requirement_met{suite=\"ok\",scenario=\"a\\nb\","
			      "requirement=\"ttft.p95 < 1s\"} 0\n");
	free(text);
	json_decref(doc);
}

/* ---- dispatcher --------------------------------------------------------- */

static char tmpdir[256];

static int make_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/pg_report_ci_XXXXXX");
	return mkdtemp(tmpdir) != NULL ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
	char cmd[512];

	(void)state;
	unsetenv("GITHUB_STEP_SUMMARY");
	unsetenv("GITHUB_ACTIONS");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *slurp(const char *dir, const char *name)
{
	char path[1024], *text = NULL;
	size_t len;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (pg_file_read_all(&text, &len, path, 1 << 24, NULL) < 0)
		return NULL;
	return text;
}

static int file_exists(const char *dir, const char *name)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

static void test_dispatch_unknown_format_writes_nothing(void **state)
{
	json_t *doc = make_results();
	char dir[512];

	(void)state;
	snprintf(dir, sizeof(dir), "%s/none", tmpdir);
	assert_int_equal(pg_reports_write("junit,xunit", dir, doc), PG_EINVAL);
	assert_string_equal(pg_error_last(), "--report: unknown format 'xunit' (known: junit, "
					     "github, gitlab, openmetrics, html)");
	assert_false(file_exists(dir, "junit.xml"));
	assert_int_equal(pg_reports_check("gitlab, junit=x.xml ,html"), 0);
	assert_int_equal(pg_reports_check("junit,xunit"), PG_EINVAL);
	assert_non_null(strstr(pg_error_last(), "unknown format 'xunit'"));
	assert_int_equal(pg_reports_write("junit,,gitlab", dir, doc), PG_EINVAL);
	assert_int_equal(pg_reports_write("junit=", dir, doc), PG_EINVAL);
	assert_non_null(strstr(pg_error_last(), "'junit=' needs a path"));
	assert_false(file_exists(tmpdir, "none"));
	json_decref(doc);
}

static void test_dispatch_writes_default_and_explicit_paths(void **state)
{
	json_t *doc = make_results();
	char dir[512], spec[1024], *text, *want = NULL;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/out", tmpdir);
	snprintf(spec, sizeof(spec), " junit , gitlab,openmetrics,html,junit=%s/sub/deep/j.xml",
		 tmpdir);
	assert_int_equal(pg_reports_write(spec, dir, doc), 0);
	text = slurp(dir, "junit.xml");
	assert_non_null(text);
	assert_non_null(strstr(text, "<testsuites name=\"perfgate\" tests=\"6\""));
	free(text);
	text = slurp(tmpdir, "sub/deep/j.xml");
	assert_non_null(text);
	free(text);
	text = slurp(dir, "gitlab-load-performance.json");
	assert_non_null(text);
	assert_non_null(strstr(text, "\"root_group\""));
	free(text);
	text = slurp(dir, "metrics.txt");
	assert_non_null(text);
	assert_string_equal(text + strlen(text) - 6, "# EOF\n");
	free(text);
	text = slurp(dir, "report.html");
	assert_non_null(text);
	assert_int_equal(pg_report_html(&want, doc), 0);
	assert_string_equal(text, want);
	free(want);
	free(text);
	/* github without $GITHUB_STEP_SUMMARY: a file in the out dir */
	unsetenv("GITHUB_STEP_SUMMARY");
	unsetenv("GITHUB_ACTIONS");
	assert_int_equal(pg_reports_write("github", dir, doc), 0);
	text = slurp(dir, "github-summary.md");
	assert_non_null(text);
	assert_prefix(text, "### \xE2\x9D\x8C perfgate: 2 of 6 checks failed");
	free(text);
	json_decref(doc);
}

/* Runs pg_reports_write with stdout sent to a file; returns what it printed. */
static char *capture_stdout(int *rc, const char *spec, const char *dir, const json_t *doc)
{
	char path[1024], *text = NULL;
	size_t len;
	int saved, fd;

	snprintf(path, sizeof(path), "%s/stdout.txt", tmpdir);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, STDOUT_FILENO);
	close(fd);
	*rc = pg_reports_write(spec, dir, doc);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	assert_int_equal(pg_file_read_all(&text, &len, path, 1 << 20, NULL), 0);
	return text;
}

static void test_dispatch_github_appends_to_step_summary_and_annotates(void **state)
{
	json_t *doc = make_results();
	char summary[512], *text, *printed;
	int rc;

	(void)state;
	snprintf(summary, sizeof(summary), "%s/step_summary.md", tmpdir);
	assert_int_equal(pg_file_write_atomic(summary, "earlier step", 12), 0);
	setenv("GITHUB_STEP_SUMMARY", summary, 1);
	unsetenv("GITHUB_ACTIONS");
	printed = capture_stdout(&rc, "github", tmpdir, doc);
	assert_int_equal(rc, 0);
	assert_string_equal(printed, ""); /* not on Actions: no annotations */
	free(printed);
	text = slurp(tmpdir, "step_summary.md");
	assert_prefix(text, "earlier step\n### \xE2\x9D\x8C perfgate:");
	free(text);
	assert_false(file_exists(tmpdir, "github-summary.md"));

	setenv("GITHUB_ACTIONS", "true", 1);
	printed = capture_stdout(&rc, "github", tmpdir, doc);
	assert_int_equal(rc, 0);
	assert_int_equal(count_of(printed, "::error "), 2);
	assert_int_equal(count_of(printed, "::warning "), 1);
	free(printed);
	text = slurp(tmpdir, "step_summary.md");
	assert_int_equal(count_of(text, "### \xE2\x9D\x8C perfgate:"), 2);
	free(text);
	unsetenv("GITHUB_STEP_SUMMARY");
	unsetenv("GITHUB_ACTIONS");
	json_decref(doc);
}

static void test_dispatch_reports_a_write_failure_with_the_format(void **state)
{
	json_t *doc = make_passing();
	char spec[1024], blocker[512];

	(void)state;
	/* a regular file where a directory is needed */
	snprintf(blocker, sizeof(blocker), "%s/blocker", tmpdir);
	assert_int_equal(pg_file_write_atomic(blocker, "x", 1), 0);
	snprintf(spec, sizeof(spec), "junit=%s/x/junit.xml", blocker);
	assert_true(pg_reports_write(spec, tmpdir, doc) < 0);
	assert_true(strncmp(pg_error_last(), "--report junit: ", 16) == 0);
	json_decref(doc);
}

/* ---- Pushgateway -------------------------------------------------------- */

typedef struct fake_gateway {
	int listen_fd;
	int port;
	int status;	     /* answer status */
	const char *answer;  /* answer body */
	char request[65536]; /* what was received */
	size_t len;
	pthread_t thread;
} fake_gateway;

/* Serves one request: reads headers and Content-Length bytes of body. */
static void *gateway_main(void *arg)
{
	fake_gateway *g = arg;
	int fd = accept(g->listen_fd, NULL, NULL);
	char head[256];
	size_t want = 0;
	char *body;

	if (fd < 0)
		return NULL;
	for (;;) {
		ssize_t n;

		body = g->len > 0 ? strstr(g->request, "\r\n\r\n") : NULL;
		if (body != NULL) {
			const char *cl = strstr(g->request, "Content-Length: ");

			want = (size_t)(body + 4 - g->request) +
			       (cl != NULL ? strtoul(cl + 16, NULL, 10) : 0);
			if (g->len >= want)
				break;
		}
		if (g->len >= sizeof(g->request) - 1)
			break;
		n = read(fd, g->request + g->len, sizeof(g->request) - 1 - g->len);
		if (n <= 0)
			break;
		g->len += (size_t)n;
		g->request[g->len] = '\0';
	}
	snprintf(head, sizeof(head),
		 "HTTP/1.1 %d X\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", g->status,
		 strlen(g->answer));
	if (write(fd, head, strlen(head)) < 0 || write(fd, g->answer, strlen(g->answer)) < 0)
		g->len = 0;
	close(fd);
	return NULL;
}

static void gateway_start(fake_gateway *g, int status, const char *answer)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);

	memset(g, 0, sizeof(*g));
	g->status = status;
	g->answer = answer;
	g->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(g->listen_fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(g->listen_fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(g->listen_fd, 1), 0);
	assert_int_equal(getsockname(g->listen_fd, (struct sockaddr *)&a, &alen), 0);
	g->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&g->thread, NULL, gateway_main, g), 0);
}

static void gateway_stop(fake_gateway *g)
{
	pthread_join(g->thread, NULL);
	close(g->listen_fd);
}

static void test_push_puts_exposition_text_to_the_job_url(void **state)
{
	json_t *doc = make_results();
	fake_gateway g;
	char url[128], *text = NULL, *body;

	(void)state;
	assert_int_equal(pg_report_openmetrics(&text, doc), 0);
	gateway_start(&g, 200, "");
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", g.port);
	if (pg_report_push(url, "ci job/1", text) != 0)
		fail_msg("push failed: %s", pg_error_last());
	gateway_stop(&g);
	assert_prefix(g.request, "PUT /metrics/job/ci%20job%2F1 HTTP/1.1\r\n");
	assert_non_null(strstr(g.request, "\r\nContent-Type: text/plain; version=0.0.4\r\n"));
	body = strstr(g.request, "\r\n\r\n");
	assert_non_null(body);
	body += 4;
	assert_lacks(body, "# EOF");
	assert_lacks(body, "# UNIT");
	assert_contains(body, "# TYPE perfgate_latency_seconds gauge\n");
	assert_contains(body, "perfgate_run_pass{suite=\"demo\"} 0\n");
	free(text);
	json_decref(doc);
}

static void test_push_failure_names_url_and_status_without_credentials(void **state)
{
	fake_gateway g;
	char url[128];

	(void)state;
	gateway_start(&g, 400, "text format parsing error\nline 2");
	snprintf(url, sizeof(url), "http://user:secret@127.0.0.1:%d", g.port);
	assert_int_equal(pg_report_push(url, "perfgate", "x 1\n# EOF\n"), PG_EIO);
	gateway_stop(&g);
	assert_non_null(strstr(pg_error_last(), "/metrics/job/perfgate"));
	assert_non_null(strstr(pg_error_last(), "HTTP status 400: text format parsing error"));
	assert_null(strstr(pg_error_last(), "secret"));
	assert_null(strstr(pg_error_last(), "line 2"));
	assert_int_equal(pg_report_push("ftp://x", "j", ""), PG_EINVAL);
	assert_int_equal(pg_report_push("http://x", "", ""), PG_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_numbers_are_shortest_exact_and_human_readable),
	    cmocka_unit_test(test_utf8_walk_replaces_invalid_sequences),
	    cmocka_unit_test(test_text_buffer_refuses_to_grow_past_the_cap),
	    cmocka_unit_test(test_checks_flatten_requirements_and_comparisons),
	    cmocka_unit_test(test_requirement_without_a_value_says_why),
	    cmocka_unit_test(test_junit_counts_checks_and_failures),
	    cmocka_unit_test(test_junit_inconclusive_passes_with_system_out),
	    cmocka_unit_test(test_junit_escapes_markup_controls_and_invalid_utf8),
	    cmocka_unit_test(test_junit_interrupted_run_adds_an_error),
	    cmocka_unit_test(test_github_summary_heading_and_failed_rows_first),
	    cmocka_unit_test(test_github_summary_escapes_table_cells),
	    cmocka_unit_test(test_github_summary_passing_run),
	    cmocka_unit_test(test_github_annotations_errors_first_and_escaped),
	    cmocka_unit_test(test_github_annotations_respect_max),
	    cmocka_unit_test(test_gitlab_has_the_k6_summary_shape_and_aggregates),
	    cmocka_unit_test(test_gitlab_without_latencies_omits_the_trends),
	    cmocka_unit_test(test_openmetrics_lines_parse_and_end_with_eof),
	    cmocka_unit_test(test_openmetrics_values_units_and_escaping),
	    cmocka_unit_test(test_openmetrics_duplicate_series_merge_to_the_lowest),
	    cmocka_unit_test(test_dispatch_unknown_format_writes_nothing),
	    cmocka_unit_test(test_dispatch_writes_default_and_explicit_paths),
	    cmocka_unit_test(test_dispatch_github_appends_to_step_summary_and_annotates),
	    cmocka_unit_test(test_dispatch_reports_a_write_failure_with_the_format),
	    cmocka_unit_test(test_push_puts_exposition_text_to_the_job_url),
	    cmocka_unit_test(test_push_failure_names_url_and_status_without_credentials),
	};

	return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
