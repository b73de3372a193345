/* Tests for framework/report_html.c and framework/report_svg.c: escaping of
 * every document string, the plots a document calls for, no external
 * resources, well-formed HTML5, and the chart helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "hist.h"
#include "report_ci.h"
#include "report_svg.h"
#include "report_text.h"

/* A document with two scenarios, a sweep, a series, baseline comparisons,
 * cost and a quality trade-off; histograms are added by full_doc(). */
static const char full_json[] =
    "{\"schema\":\"perfgate-results/1\",\"perfgate_version\":\"0.1.0\",\"suite\":\"demo & co\","
    "\"suite_file\":\"suites/demo.yaml\",\"started_at\":\"2026-11-23T15:00:00Z\","
    "\"target\":{\"adapter\":\"openai-chat\",\"transport\":\"h1\","
    "\"url\":\"https://example.com/v1?a=1&b=<2>\",\"model\":\"m\"},"
    "\"verdict\":\"fail\",\"exit_code\":1,\"interrupted\":false,\"git\":{\"commit\":\"abc123\"},"
    "\"scenarios\":[{\"name\":\"<script>alert(1)</script>\",\"verdict\":\"fail\","
    "\"warnings\":[\"generator fell <behind>\"],"
    "\"metrics\":{\"e2e\":{\"unit\":\"ms\",\"count\":100,\"p50\":150,\"p90\":160,\"p95\":170,"
    "\"p99\":180,\"max\":190},\"ttft\":{\"unit\":\"ms\",\"count\":100,\"p50\":15,\"p90\":16,"
    "\"p95\":17,\"p99\":18,\"max\":19},\"throughput\":{\"rps\":50.5},"
    "\"output_tokens_per_s\":1600,\"errors\":{\"rate\":0.001},"
    "\"cost\":{\"per_request\":0.000028},\"quality\":{\"score\":0.9}},"
    "\"requirements\":[{\"expr\":\"ttft.p95 < 300ms && \\\"quoted\\\" 'single'\","
    "\"file\":\"suites/a\\\"b.yaml\",\"line\":28,\"col\":9,\"metric\":\"ttft\",\"stat\":\"p95\","
    "\"op\":\"<\",\"measured\":412.5,\"limit\":300,\"unit\":\"ms\",\"margin\":-112.5,"
    "\"verdict\":\"failed\",\"reason\":\"<b>too slow</b>\"}],"
    "\"baseline\":{\"status\":\"compared\",\"source\":\"git\",\"ref\":\"origin/main\","
    "\"commit\":\"deadbeef\",\"path\":\"baselines/demo/x.json\",\"runs\":20},"
    "\"comparisons\":[{\"metric\":\"ttft.p95\",\"verdict\":\"regression\",\"unit\":\"ms\","
    "\"baseline\":120.1,\"current\":150.3,\"change\":30.2,\"change_pct\":25.1,"
    "\"ci\":[20.1,40.3],\"tolerance\":6.0,\"confidence\":0.99,\"repeats_needed\":0,"
    "\"reason\":\"+25.1% is beyond the 5% tolerance\",\"file\":\"suites/x.yaml\",\"line\":31,"
    "\"col\":7}],"
    "\"series\":[{\"t\":-1,\"e2e_p50\":150,\"e2e_p95\":160,\"e2e_p99\":170,\"ttft_p95\":20},"
    "{\"t\":0,\"e2e_p50\":151,\"e2e_p95\":161,\"e2e_p99\":171,\"ttft_p95\":21},"
    "{\"t\":1,\"e2e_p50\":null,\"e2e_p95\":null,\"e2e_p99\":null,\"ttft_p95\":null},"
    "{\"t\":2,\"e2e_p50\":152,\"e2e_p95\":162,\"e2e_p99\":172,\"ttft_p95\":22}],"
    "\"sweep\":{\"by\":\"concurrency\",\"levels\":["
    "{\"load\":1,\"e2e_p95\":45,\"ttft_p95\":11,\"rps\":21,\"error_rate\":0},"
    "{\"load\":4,\"e2e_p95\":46,\"ttft_p95\":11,\"rps\":83,\"error_rate\":0},"
    "{\"load\":16,\"e2e_p95\":181,\"ttft_p95\":146,\"rps\":77,\"error_rate\":0}],"
    "\"knee_index\":1,\"knee_reason\":\"queueing at load 16\"}},"
    "{\"name\":\"second\",\"verdict\":\"pass\",\"metrics\":{\"e2e\":{\"p95\":100},"
    "\"cost\":{\"per_request\":0.00002}},\"requirements\":[]}],"
    "\"quality_tradeoff\":[{\"scenario\":\"<b>fast</b> & \\\"good\\\" @ 4\",\"e2e_p95\":100,"
    "\"quality\":0.9,\"pareto\":true},{\"scenario\":\"slow\",\"e2e_p95\":200,\"quality\":0.8,"
    "\"pareto\":false}]}";

static const char minimal_json[] =
    "{\"schema\":\"perfgate-results/1\",\"suite\":\"tiny\",\"verdict\":\"pass\","
    "\"scenarios\":[{\"name\":\"only\",\"verdict\":\"pass\"}]}";

/* ---- helpers ---- */

/* PGH1 text of n latencies spread from base_ns upward (caller frees). */
static char *make_hist(int64_t base_ns, int n)
{
	pg_hist *h = NULL;
	char *text = NULL;
	int i;

	assert_int_equal(pg_hist_new_latency(&h), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(pg_hist_record(h, base_ns + (int64_t)i * base_ns / n), 0);
	assert_int_equal(pg_hist_encode(h, &text), 0);
	pg_hist_free(h);
	return text;
}

static void set_hist(json_t *obj, const char *key, int64_t base_ns)
{
	char *text = make_hist(base_ns, 500);

	assert_int_equal(json_object_set_new(obj, key, json_string(text)), 0);
	free(text);
}

static json_t *load(const char *text)
{
	json_error_t e;
	json_t *doc = json_loads(text, 0, &e);

	if (doc == NULL)
		fail_msg("fixture JSON: %s at %d:%d", e.text, e.line, e.column);
	return doc;
}

/* The full fixture with current and baseline histograms (ns). */
static json_t *full_doc(void)
{
	json_t *doc = load(full_json);
	json_t *sc = json_array_get(json_object_get(doc, "scenarios"), 0);
	json_t *m = json_object_get(sc, "metrics");
	json_t *bh = json_object();

	set_hist(json_object_get(m, "e2e"), "histogram", 150 * 1000000LL);
	set_hist(json_object_get(m, "ttft"), "histogram", 15 * 1000000LL);
	set_hist(bh, "e2e", 120 * 1000000LL);
	set_hist(bh, "ttft", 12 * 1000000LL);
	json_object_set_new(json_object_get(sc, "baseline"), "histograms", bh);
	return doc;
}

static char *render(const json_t *doc)
{
	char *html = NULL;
	int rc = pg_report_html(&html, doc);

	if (rc != 0)
		fail_msg("pg_report_html: %d %s", rc, pg_error_last());
	assert_non_null(html);
	return html;
}

static char *render_full(void)
{
	json_t *doc = full_doc();
	char *html = render(doc);

	json_decref(doc);
	return html;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0, len = strlen(needle);

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += len;
	}
	return n;
}

static char *lower_dup(const char *s)
{
	char *d = strdup(s), *p;

	assert_non_null(d);
	for (p = d; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return d;
}

/* Checks that start and end tags nest properly (void elements and "/>"
 * excepted), that no tag or the style sheet refers to a URL, and returns
 * the number of tags seen. */
static size_t check_markup(const char *html)
{
	static const char *const voids[] = {"meta", "br", "hr", "img", "input", "link", "col"};
	char stack[256][16];
	size_t depth = 0, tags = 0, i;
	const char *p = html;

	while ((p = strchr(p, '<')) != NULL) {
		const char *end = strchr(p, '>');
		char name[16];
		size_t n = 0;
		int closing = p[1] == '/';
		char *tag;

		assert_non_null(end);
		tag = strndup(p, (size_t)(end - p + 1));
		assert_non_null(tag);
		if (strstr(tag, "http://") || strstr(tag, "https://") || strstr(tag, "url(") ||
		    strstr(tag, "src=") || strstr(tag, "xlink:"))
			fail_msg("tag refers to a resource: %s", tag);
		for (i = 1; tag[i]; i++) { /* no event handler attribute: no script at all */
			size_t k = i + 2;

			if (!isspace((unsigned char)tag[i - 1]) || strncmp(tag + i, "on", 2) != 0)
				continue;
			while (isalpha((unsigned char)tag[k]))
				k++;
			if (k > i + 2 && tag[k] == '=')
				fail_msg("tag has an event handler: %s", tag);
		}
		free(tag);
		if (p[1] == '!') {
			p = end + 1;
			continue;
		}
		for (i = closing ? 2 : 1; isalnum((unsigned char)p[i]) && n < sizeof(name) - 1; i++)
			name[n++] = p[i];
		name[n] = '\0';
		assert_true(n > 0);
		tags++;
		if (closing) {
			assert_true(depth > 0);
			if (strcmp(stack[depth - 1], name) != 0)
				fail_msg("</%s> closes <%s>", name, stack[depth - 1]);
			depth--;
		} else if (end[-1] != '/') {
			int is_void = 0;

			for (i = 0; i < sizeof(voids) / sizeof(voids[0]); i++)
				is_void |= strcmp(name, voids[i]) == 0;
			if (!is_void) {
				assert_true(depth < 256);
				snprintf(stack[depth++], sizeof(stack[0]), "%s", name);
			}
			if (strcmp(name, "style") == 0) {
				const char *close = strstr(end, "</style>");

				assert_non_null(close);
				assert_null(memchr(end + 1, '<', (size_t)(close - end - 1)));
				assert_null(strstr(end, "@import"));
			}
		}
		p = end + 1;
	}
	if (depth != 0)
		fail_msg("<%s> is never closed", stack[depth - 1]);
	return tags;
}

/* ---- escaping ---- */

static void test_scenario_name_with_script_tag_is_escaped_text(void **state)
{
	char *html = render_full(), *low;

	(void)state;
	low = lower_dup(html);
	assert_null(strstr(low, "<script"));
	assert_null(strstr(low, "</script"));
	assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	assert_non_null(strstr(html, "generator fell &lt;behind&gt;"));
	free(low);
	free(html);
}

static void test_requirement_with_ampersand_and_quotes_is_escaped(void **state)
{
	char *html = render_full();

	(void)state;
	assert_null(strstr(html, "ttft.p95 < 300ms && \"quoted\" 'single'"));
	assert_non_null(strstr(html, "ttft.p95 &lt; 300ms &amp;&amp; &quot;quoted&quot; "
				     "&#39;single&#39;"));
	/* the location goes in a title attribute and may not break out of it */
	assert_non_null(strstr(html, "title=\"suites/a&quot;b.yaml:28:9\""));
	assert_null(strstr(html, "<b>too slow</b>"));
	assert_non_null(strstr(html, "&lt;b&gt;too slow&lt;/b&gt;"));
	assert_non_null(strstr(html, "demo &amp; co"));
	free(html);
}

static void test_strings_in_svg_text_and_titles_are_escaped(void **state)
{
	char *html = render_full();
	const char *esc = "&lt;b&gt;fast&lt;/b&gt; &amp; &quot;good&quot; @ 4";

	(void)state;
	assert_null(strstr(html, "<b>fast</b>"));
	/* drawn beside the point in <text> and in the point's <title> tooltip */
	assert_true(count(html, esc) >= 2);
	assert_non_null(strstr(html, "<title>&lt;b&gt;fast"));
	free(html);
}

/* ---- content ---- */

static void test_document_with_series_sweep_and_histograms_has_every_plot(void **state)
{
	char *html = render_full();

	(void)state;
	/* series, sweep latency and throughput, CDF, 2 baseline overlays,
	 * quality vs latency, cost vs latency */
	assert_int_equal(count(html, "<svg"), 8);
	assert_int_equal(count(html, "</svg>"), 8);
	assert_non_null(strstr(html, "aria-label=\"Latency percentiles over time\""));
	assert_non_null(strstr(html, "aria-label=\"Sweep: e2e p95 by load\""));
	assert_non_null(strstr(html, "aria-label=\"Sweep: throughput by load\""));
	assert_non_null(strstr(html, "aria-label=\"Latency distribution (CDF)\""));
	assert_non_null(strstr(html, "aria-label=\"e2e: baseline vs current (CDF)\""));
	assert_non_null(strstr(html, "aria-label=\"ttft: baseline vs current (CDF)\""));
	assert_non_null(strstr(html, "aria-label=\"Quality vs latency\""));
	assert_non_null(strstr(html, "aria-label=\"Cost per request vs latency\""));
	assert_null(strstr(html, "no data"));
	/* a CDF has 200 sampled points: its path has 199 line segments */
	assert_true(count(html, " L") > 4 * 199);
	free(html);
}

static void test_report_loads_no_external_resources(void **state)
{
	char *html = render_full(), *low;

	(void)state;
	check_markup(html);
	low = lower_dup(html);
	assert_null(strstr(low, "<link"));
	assert_null(strstr(low, "<img"));
	assert_null(strstr(low, "<iframe"));
	assert_null(strstr(low, "<object"));
	assert_null(strstr(low, "xmlns"));
	/* the target URL appears only as escaped text */
	assert_non_null(strstr(html, ">https://example.com/v1?a=1&amp;b=&lt;2&gt;<"));
	free(low);
	free(html);
}

static void test_report_is_well_formed_html5(void **state)
{
	char *html = render_full();

	(void)state;
	assert_true(strncmp(html, "<!DOCTYPE html>\n<html lang=\"en\">", 31) == 0);
	assert_non_null(strstr(html, "<meta charset=\"utf-8\">"));
	assert_non_null(strstr(html, "<title>perfgate: demo &amp; co &ndash; fail</title>"));
	assert_true(check_markup(html) > 100);
	assert_int_equal(html[strlen(html) - 1], '\n');
	assert_non_null(strstr(html, "</html>\n"));
	free(html);
}

static void test_failed_run_shows_fail_banner_with_counts(void **state)
{
	char *html = render_full();

	(void)state;
	assert_non_null(strstr(html, "<header class=\"banner bad\"><h1>FAIL</h1>"));
	assert_non_null(strstr(html, "2 scenarios, 1 failed; exit code 1"));
	free(html);
}

static void test_passing_interrupted_run_says_so(void **state)
{
	json_t *doc = load(minimal_json);
	char *html;

	(void)state;
	json_object_set_new(doc, "interrupted", json_true());
	html = render(doc);
	assert_non_null(strstr(html, "<header class=\"banner good\"><h1>PASS (interrupted)</h1>"));
	free(html);
	json_decref(doc);
}

static void test_comparison_row_shows_verdict_change_ci_and_reason(void **state)
{
	char *html = render_full();

	(void)state;
	assert_non_null(strstr(html, "<h3>Baseline comparison</h3>"));
	assert_non_null(strstr(html, "from git origin/main at <code>deadbeef</code>"));
	assert_non_null(strstr(html, "20 runs"));
	assert_non_null(strstr(html, "<td class=\"v bad\">regression</td>"));
	assert_non_null(strstr(html, "+30.2 ms (+25.1%)"));
	assert_non_null(strstr(html, "[20.1, 40.3 ms] at 99%"));
	assert_non_null(strstr(html, "&plusmn;6 ms"));
	assert_non_null(strstr(html, "+25.1% is beyond the 5% tolerance"));
	assert_non_null(strstr(html, "title=\"suites/x.yaml:31:7\""));
	free(html);
}

static void test_requirement_row_shows_measured_limit_margin_verdict(void **state)
{
	char *html = render_full();

	(void)state;
	assert_non_null(strstr(html,
			       "<td class=\"num\">412.5 ms</td><td class=\"num\">300 ms</td>"
			       "<td class=\"num\">-112.5 ms</td><td class=\"v bad\">failed</td>"));
	assert_non_null(strstr(html, "cost per request $0.0000280"));
	free(html);
}

static void test_sweep_knee_is_marked_in_table_and_plots(void **state)
{
	char *html = render_full();

	(void)state;
	assert_non_null(strstr(html, "<tr class=\"knee\"><td class=\"num\">4 (knee)</td>"));
	assert_non_null(strstr(html, "queueing at load 16"));
	/* both sweep charts and the series (warmup before t=0) have a marker */
	assert_int_equal(count(html, "class=\"mark\""), 3);
	assert_int_equal(count(html, ">knee</text>"), 2);
	free(html);
}

static void test_document_without_optional_sections_has_no_plots(void **state)
{
	json_t *doc = load(minimal_json);
	char *html;

	(void)state;
	html = render(doc);
	assert_null(strstr(html, "<svg"));
	assert_null(strstr(html, "Baseline comparison"));
	assert_non_null(strstr(html, "only"));
	check_markup(html);
	free(html);
	json_decref(doc);
}

static void test_corrupt_histogram_drops_its_curve_and_keeps_the_report(void **state)
{
	json_t *doc = full_doc();
	json_t *sc = json_array_get(json_object_get(doc, "scenarios"), 0);
	json_t *bh = json_object_get(json_object_get(sc, "baseline"), "histograms");
	char *html;

	(void)state;
	json_object_set_new(bh, "e2e", json_string("PGH1:garbage"));
	json_object_set_new(bh, "ttft", json_string("PGH1:garbage"));
	html = render(doc);
	/* the overlays still show the current curve, and only it */
	assert_int_equal(count(html, "<svg"), 8);
	assert_int_equal(count(html, "stroke-dasharray=\"6 3\""), 1); /* ttft p95 series */
	free(html);
	json_decref(doc);
}

static void test_rejects_non_results_documents(void **state)
{
	json_t *doc = load("{\"schema\":\"something/2\"}");
	char *html = (char *)"untouched";

	(void)state;
	assert_int_equal(pg_report_html(&html, doc), PG_EINVAL);
	assert_null(html);
	assert_non_null(strstr(pg_error_last(), "perfgate-results/1"));
	assert_int_equal(pg_report_html(NULL, doc), PG_EINVAL);
	assert_int_equal(pg_report_html(&html, NULL), PG_EINVAL);
	json_decref(doc);
}

/* ---- svg helpers ---- */

static void test_linear_ticks_fall_on_nice_numbers_covering_the_range(void **state)
{
	double t[16], step;
	size_t n;

	(void)state;
	assert_int_equal(pg_svg_ticks(t, &n, &step, 0, 97, 7, 0), 0);
	assert_int_equal(n, 6);
	assert_true(step == 20 && t[0] == 0 && t[5] == 100);
	assert_int_equal(pg_svg_ticks(t, &n, &step, 143.2, 146.9, 7, 0), 0);
	assert_true(step == 1 && t[0] == 143 && t[n - 1] == 147);
	assert_int_equal(pg_svg_ticks(t, &n, &step, -0.5, 2.5, 7, 0), 0);
	assert_true(step == 0.5 && t[0] == -0.5 && t[n - 1] == 2.5 && n == 7);
	assert_int_equal(pg_svg_ticks(t, &n, &step, 0.0012, 0.0031, 7, 0), 0);
	assert_true(n <= 7 && t[0] <= 0.0012 && t[n - 1] >= 0.0031);
	assert_int_equal(pg_svg_ticks(t, &n, &step, 1, 1, 7, 0), PG_EINVAL);
	assert_int_equal(pg_svg_ticks(t, &n, &step, 0, NAN, 7, 0), PG_EINVAL);
}

static void test_log_ticks_are_powers_of_ten(void **state)
{
	double t[16], step;
	size_t n;

	(void)state;
	assert_int_equal(pg_svg_ticks(t, &n, &step, 3, 4000, 7, 1), 0);
	assert_int_equal(n, 5);
	assert_true(t[0] == 1 && t[1] == 10 && t[4] == 10000);
	/* one decade: 1, 2, 5 steps */
	assert_int_equal(pg_svg_ticks(t, &n, &step, 12, 80, 7, 1), 0);
	assert_int_equal(n, 4);
	assert_true(t[0] == 10 && t[1] == 20 && t[2] == 50 && t[3] == 100);
	assert_int_equal(pg_svg_ticks(t, &n, &step, 0, 80, 7, 1), PG_EINVAL);
}

static void test_tick_labels_use_the_decimals_of_the_step(void **state)
{
	char buf[32];

	(void)state;
	pg_svg_format_tick(buf, sizeof(buf), 40, 20);
	assert_string_equal(buf, "40");
	pg_svg_format_tick(buf, sizeof(buf), 0.5, 0.5);
	assert_string_equal(buf, "0.5");
	pg_svg_format_tick(buf, sizeof(buf), 0.75, 0.25);
	assert_string_equal(buf, "0.75");
	pg_svg_format_tick(buf, sizeof(buf), 1000, 0);
	assert_string_equal(buf, "1000");
}

static void test_missing_values_break_the_line(void **state)
{
	static const double x[5] = {0, 1, 2, 3, 4}, y[5] = {1, 2, NAN, 3, 4};
	pg_svg_series s = {"a", x, y, 5, 0, 0, 0};
	pg_svg_chart c = PG_SVG_CHART_INIT;
	pg_rtext t = PG_RTEXT_INIT;
	char *out = NULL;
	const char *d;

	(void)state;
	c.title = "t";
	assert_int_equal(pg_svg_line_chart(&t, &c, &s, 1), 0);
	assert_int_equal(pg_rtext_finish(&out, &t), 0);
	d = strstr(out, "class=\"series\"");
	assert_non_null(d);
	d = strstr(d, " d=\"");
	assert_non_null(d);
	assert_int_equal(count(d, "M"), 2);
	assert_int_equal(count(d, "L"), 2);
	assert_null(strstr(out, "nan"));
	free(out);
}

static void test_chart_without_points_says_no_data(void **state)
{
	static const double x[1] = {NAN}, y[1] = {1};
	pg_svg_series s = {"a", x, y, 1, 0, 0, 0};
	pg_svg_chart c = PG_SVG_CHART_INIT;
	pg_rtext t = PG_RTEXT_INIT;
	char *out = NULL;

	(void)state;
	c.title = "empty";
	assert_int_equal(pg_svg_line_chart(&t, &c, &s, 1), 0);
	assert_int_equal(pg_svg_scatter(&t, &c, NULL, 0), 0);
	assert_int_equal(pg_rtext_finish(&out, &t), 0);
	assert_int_equal(count(out, "no data"), 2);
	assert_int_equal(count(out, "</svg>"), 2);
	free(out);
}

static void test_cdf_points_sample_the_histogram_up_to_its_maximum(void **state)
{
	double x[PG_SVG_CDF_POINTS], y[PG_SVG_CDF_POINTS];
	pg_hist *h = NULL;
	char *text = NULL;
	int i;

	(void)state;
	assert_int_equal(pg_hist_new_latency(&h), 0);
	for (i = 1; i <= 1000; i++) /* 1 .. 1000 ms */
		assert_int_equal(pg_hist_record(h, (int64_t)i * 1000000), 0);
	assert_int_equal(pg_hist_encode(h, &text), 0);
	assert_int_equal(pg_svg_cdf_points(x, y, text), 0);
	assert_true(fabs(x[0] - 1) < 0.01 && y[0] == 0);
	assert_true(fabs(x[PG_SVG_CDF_POINTS - 1] - 1000) < 1 && y[PG_SVG_CDF_POINTS - 1] == 100);
	for (i = 1; i < PG_SVG_CDF_POINTS; i++) {
		assert_true(x[i] >= x[i - 1]);
		assert_true(y[i] > y[i - 1]);
		/* uniform: the latency at y% is about 10 * y ms */
		assert_true(fabs(x[i] - 10 * y[i]) <= 2 + 0.002 * x[i]);
	}
	assert_true(y[PG_SVG_CDF_POINTS - 2] >= 99.99); /* the tail is sampled */
	free(text);
	pg_hist_reset(h);
	assert_int_equal(pg_hist_encode(h, &text), 0);
	assert_int_equal(pg_svg_cdf_points(x, y, text), PG_ENOTFOUND);
	assert_int_equal(pg_svg_cdf_points(x, y, "PGH1:nonsense"), PG_EPARSE);
	free(text);
	pg_hist_free(h);
}

static void test_escape_replaces_markup_controls_and_bad_utf8(void **state)
{
	pg_rtext t = PG_RTEXT_INIT;
	char *out = NULL;

	(void)state;
	pg_svg_escape(&t, "a&b<c>d\"e'f\x01g\xff\xc3\xa9\th");
	pg_svg_escape(&t, NULL);
	assert_int_equal(pg_rtext_finish(&out, &t), 0);
	assert_string_equal(out,
			    "a&amp;b&lt;c&gt;d&quot;e&#39;f\xef\xbf\xbdg\xef\xbf\xbd\xc3\xa9\th");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_scenario_name_with_script_tag_is_escaped_text),
	    cmocka_unit_test(test_requirement_with_ampersand_and_quotes_is_escaped),
	    cmocka_unit_test(test_strings_in_svg_text_and_titles_are_escaped),
	    cmocka_unit_test(test_document_with_series_sweep_and_histograms_has_every_plot),
	    cmocka_unit_test(test_report_loads_no_external_resources),
	    cmocka_unit_test(test_report_is_well_formed_html5),
	    cmocka_unit_test(test_failed_run_shows_fail_banner_with_counts),
	    cmocka_unit_test(test_passing_interrupted_run_says_so),
	    cmocka_unit_test(test_comparison_row_shows_verdict_change_ci_and_reason),
	    cmocka_unit_test(test_requirement_row_shows_measured_limit_margin_verdict),
	    cmocka_unit_test(test_sweep_knee_is_marked_in_table_and_plots),
	    cmocka_unit_test(test_document_without_optional_sections_has_no_plots),
	    cmocka_unit_test(test_corrupt_histogram_drops_its_curve_and_keeps_the_report),
	    cmocka_unit_test(test_rejects_non_results_documents),
	    cmocka_unit_test(test_linear_ticks_fall_on_nice_numbers_covering_the_range),
	    cmocka_unit_test(test_log_ticks_are_powers_of_ten),
	    cmocka_unit_test(test_tick_labels_use_the_decimals_of_the_step),
	    cmocka_unit_test(test_missing_values_break_the_line),
	    cmocka_unit_test(test_chart_without_points_says_no_data),
	    cmocka_unit_test(test_cdf_points_sample_the_histogram_up_to_its_maximum),
	    cmocka_unit_test(test_escape_replaces_markup_controls_and_bad_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
