/*
 * The self-contained HTML report: one file built from a results document
 * (docs/results.md) with a verdict banner, per-scenario requirement and
 * baseline tables, and inline SVG plots. It loads nothing: no scripts,
 * stylesheets, fonts or images from anywhere, and every string taken from
 * the document is HTML-escaped.
 */
#include "report_ci.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "report_svg.h"
#include "report_text.h"

#define RESULTS_SCHEMA "perfgate-results/1"

static const char css[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:0 auto;max-width:1180px;padding:0 16px;"
    "color:#222}"
    "h1{margin:0;font-size:28px}h2{margin-top:32px;border-bottom:1px solid #ccc}"
    "h3{margin:18px 0 6px;font-size:15px}"
    ".banner{padding:16px 20px;margin:16px 0;border-radius:6px;color:#fff}"
    ".banner.good{background:#1e7b34}.banner.bad{background:#b3261e}"
    ".banner.neutral{background:#666}.banner p{margin:4px 0 0}"
    "table{border-collapse:collapse;margin:4px 0 8px}"
    "td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}"
    "th{background:#f4f4f4}td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-"
    "nums}"
    ".v{font-weight:bold;white-space:nowrap}.v.good{color:#1e7b34}.v.bad{color:#b3261e}"
    ".v.warn{color:#a15c00}.v.neutral{color:#555}"
    "tr.knee td{background:#fff6d6}.note{color:#555}.warn-list{color:#a15c00}"
    ".plots{display:flex;flex-wrap:wrap;gap:12px}"
    "svg.chart{border:1px solid #ddd;border-radius:4px;max-width:100%;height:auto}"
    "footer{margin:32px 0 16px;color:#777;font-size:12px}";

/* ---- document access ---- */

static const char *jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* A number field, NaN when absent or null. */
static double jnum(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* The CSS class for a verdict word; never the document's text itself. */
static const char *vclass(const char *v)
{
	static const char *const map[][2] = {{"pass", "good"},	       {"met", "good"},
					     {"improvement", "good"},  {"compared", "good"},
					     {"fail", "bad"},	       {"failed", "bad"},
					     {"regression", "bad"},    {"refused", "bad"},
					     {"inconclusive", "warn"}, {"missing", "warn"}};
	size_t i;

	for (i = 0; v && i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(v, map[i][0]) == 0)
			return map[i][1];
	return "neutral";
}

/* ---- text helpers ---- */

/* A value with its unit for people, as the other reports write it: "12.3 ms",
 * "0.1%", "53.33/s", "$0.0000280"; a dash when there is no value. */
static void put_val(pg_rtext *b, double v, const char *unit)
{
	int usd = unit && strcmp(unit, "$") == 0;
	char num[64];

	if (!isfinite(v)) {
		pg_rtext_puts(b, "\xe2\x80\x93");
		return;
	}
	if (usd && v != 0 && fabs(v) < 1e-4) /* cents of cents: fixed, 3 digits */
		snprintf(num, sizeof(num), "%.*f", 2 - (int)floor(log10(fabs(v))), fabs(v));
	else
		pg_num_human(num, sizeof(num), usd ? fabs(v) : v);
	pg_rtext_printf(b, "%s%s%s", usd && v < 0 ? "-" : "", usd ? "$" : "", num);
	if (unit && *unit && !usd) {
		if ((*unit >= 'a' && *unit <= 'z') || (*unit >= 'A' && *unit <= 'Z'))
			pg_rtext_puts(b, " ");
		pg_svg_escape(b, unit);
	}
}

/* Appends pre, then s escaped, then post. */
static void wrap(pg_rtext *b, const char *pre, const char *s, const char *post)
{
	pg_rtext_puts(b, pre);
	pg_svg_escape(b, s);
	pg_rtext_puts(b, post);
}

/* The report is built in a sticky-error buffer; a failed allocation on the
 * side sticks there too, and pg_rtext_finish reports it. */
static void oom(pg_rtext *b)
{
	if (b->err == 0)
		b->err = PG_ENOMEM;
}

static void td_val(pg_rtext *b, double v, const char *unit)
{
	pg_rtext_puts(b, "<td class=\"num\">");
	put_val(b, v, unit);
	pg_rtext_puts(b, "</td>");
}

static void td_verdict(pg_rtext *b, const char *v)
{
	pg_rtext_printf(b, "<td class=\"v %s\">", vclass(v));
	wrap(b, "", v ? v : "-", "</td>");
}

/* "file:line:col" of a requirement or comparison, escaped, as an attribute. */
static void title_location(pg_rtext *b, const json_t *o)
{
	const char *file = jstr(o, "file");

	if (file == NULL)
		return;
	wrap(b, " title=\"", file, "");
	pg_rtext_printf(b, ":%.0f:%.0f\"", fmax(jnum(o, "line"), 0), fmax(jnum(o, "col"), 0));
}

static void th_row(pg_rtext *b, const char *const *heads, size_t n)
{
	size_t i;

	pg_rtext_puts(b, "<table><tr>");
	for (i = 0; i < n; i++)
		pg_rtext_printf(b, "<th>%s</th>", heads[i]);
	pg_rtext_puts(b, "</tr>");
}

/* ---- banner and header ---- */

static const char *overall_verdict(const json_t *doc)
{
	return jstr(doc, "verdict") ? jstr(doc, "verdict") : "unknown";
}

static void banner(pg_rtext *b, const json_t *doc)
{
	const json_t *scs = json_object_get(doc, "scenarios");
	const char *v = overall_verdict(doc);
	size_t i, failed = 0;
	json_t *sc;
	char word[16];

	json_array_foreach(scs, i, sc)
	{
		if (jstr(sc, "verdict") && strcmp(jstr(sc, "verdict"), "fail") == 0)
			failed++;
	}
	for (i = 0; v[i] && i + 1 < sizeof(word); i++)
		word[i] = (char)(v[i] >= 'a' && v[i] <= 'z' ? v[i] - 'a' + 'A' : v[i]);
	word[i] = '\0';
	pg_rtext_printf(b, "<header class=\"banner %s\">", vclass(v));
	wrap(b, "<h1>", word, "");
	if (json_is_true(json_object_get(doc, "interrupted")))
		pg_rtext_puts(b, " (interrupted)");
	wrap(b, "</h1><p>suite <b>", jstr(doc, "suite"), "</b>");
	pg_rtext_printf(b, ": %zu scenario%s, %zu failed", json_array_size(scs),
			json_array_size(scs) == 1 ? "" : "s", failed);
	if (json_is_integer(json_object_get(doc, "exit_code")))
		pg_rtext_printf(b, "; exit code %lld",
				(long long)json_integer_value(json_object_get(doc, "exit_code")));
	pg_rtext_puts(b, "</p></header>\n");
}

static void meta_row(pg_rtext *b, const char *name, const char *value)
{
	if (value == NULL)
		return;
	pg_rtext_printf(b, "<tr><th>%s</th>", name);
	wrap(b, "<td>", value, "</td></tr>");
}

static void meta(pg_rtext *b, const json_t *doc)
{
	const json_t *t = json_object_get(doc, "target");
	size_t i;
	json_t *sc;

	pg_rtext_puts(b, "<table class=\"meta\">");
	meta_row(b, "suite file", jstr(doc, "suite_file"));
	meta_row(b, "started", jstr(doc, "started_at"));
	meta_row(b, "target", jstr(t, "url"));
	meta_row(b, "adapter", jstr(t, "adapter"));
	meta_row(b, "transport", jstr(t, "transport"));
	meta_row(b, "model", jstr(t, "model"));
	meta_row(b, "git commit", jstr(json_object_get(doc, "git"), "commit"));
	meta_row(b, "perfgate", jstr(doc, "perfgate_version"));
	pg_rtext_puts(b, "</table>\n<p>");
	json_array_foreach(json_object_get(doc, "scenarios"), i, sc)
	{
		pg_rtext_printf(b, "%s<a href=\"#scenario-%zu\">", i ? " &middot; " : "", i);
		wrap(b, "", jstr(sc, "name"), "</a>");
		pg_rtext_printf(b, " <span class=\"v %s\">", vclass(jstr(sc, "verdict")));
		wrap(b, "", jstr(sc, "verdict"), "</span>");
	}
	pg_rtext_puts(b, "</p>\n");
}

/* ---- scenario tables ---- */

static void key_metrics(pg_rtext *b, const json_t *m)
{
	static const char *const dists[] = {"e2e", "ttft", "tpot", "itl"};
	static const char *const stats[] = {"p50", "p90", "p95", "p99", "max"};
	static const char *const heads[] = {"latency", "count", "p50", "p90", "p95", "p99", "max"};
	const json_t *cost = json_object_get(m, "cost"), *q = json_object_get(m, "quality");
	size_t i, k;

	th_row(b, heads, 7);
	for (i = 0; i < 4; i++) {
		const json_t *d = json_object_get(m, dists[i]);

		if (!json_is_object(d))
			continue;
		pg_rtext_printf(b, "<tr><th>%s</th>", dists[i]);
		td_val(b, jnum(d, "count"), NULL);
		for (k = 0; k < 5; k++)
			td_val(b, jnum(d, stats[k]), "ms");
		pg_rtext_puts(b, "</tr>");
	}
	pg_rtext_puts(b, "</table>\n<p>throughput ");
	put_val(b, jnum(json_object_get(m, "throughput"), "rps"), "/s");
	pg_rtext_puts(b, ", output ");
	put_val(b, jnum(m, "output_tokens_per_s"), "tokens/s");
	pg_rtext_puts(b, ", errors ");
	put_val(b, jnum(json_object_get(m, "errors"), "rate") * 100, "%");
	if (json_is_object(cost)) {
		pg_rtext_puts(b, ", cost per request ");
		put_val(b, jnum(cost, "per_request"), "$");
	}
	if (json_is_object(q)) {
		pg_rtext_puts(b, ", quality score ");
		put_val(b, jnum(q, "score"), NULL);
	}
	pg_rtext_puts(b, "</p>\n");
}

static void requirements(pg_rtext *b, const json_t *reqs)
{
	static const char *const heads[] = {"requirement", "measured", "limit",
					    "margin",	   "verdict",  "note"};
	size_t i;
	json_t *r;

	pg_rtext_puts(b, "<h3>Requirements</h3>\n");
	if (json_array_size(reqs) == 0) {
		pg_rtext_puts(b, "<p class=\"note\">none</p>\n");
		return;
	}
	th_row(b, heads, 6);
	json_array_foreach(reqs, i, r)
	{
		const char *unit = jstr(r, "unit");

		pg_rtext_puts(b, "<tr><td");
		title_location(b, r);
		wrap(b, "><code>", jstr(r, "expr"), "</code></td>");
		td_val(b, jnum(r, "measured"), unit);
		td_val(b, jnum(r, "limit"), unit);
		td_val(b, jnum(r, "margin"), unit);
		td_verdict(b, jstr(r, "verdict"));
		wrap(b, "<td>", jstr(r, "reason"), "</td></tr>\n");
	}
	pg_rtext_puts(b, "</table>\n");
}

static void baseline_status(pg_rtext *b, const json_t *bl)
{
	const char *status = jstr(bl, "status"), *commit = jstr(bl, "commit");

	pg_rtext_printf(b, "<p>status <span class=\"v %s\">", vclass(status));
	wrap(b, "", status ? status : "none", "</span>");
	if (jstr(bl, "source"))
		wrap(b, "; from ", jstr(bl, "source"), "");
	if (jstr(bl, "ref"))
		wrap(b, " ", jstr(bl, "ref"), "");
	if (commit)
		wrap(b, " at <code>", commit, "</code>");
	if (jstr(bl, "path"))
		wrap(b, ", <code>", jstr(bl, "path"), "</code>");
	if (json_is_number(json_object_get(bl, "runs")))
		pg_rtext_printf(b, ", %.0f runs", jnum(bl, "runs"));
	if (jstr(bl, "reason"))
		wrap(b, ": ", jstr(bl, "reason"), "");
	pg_rtext_puts(b, "</p>\n");
}

static void comparisons(pg_rtext *b, const json_t *sc)
{
	static const char *const heads[] = {"metric", "verdict",      "baseline",  "current",
					    "change", "CI of change", "tolerance", "reason"};
	const json_t *bl = json_object_get(sc, "baseline"),
		     *cmps = json_object_get(sc, "comparisons");
	size_t i;
	json_t *c;

	if (!json_is_object(bl) && json_array_size(cmps) == 0)
		return;
	pg_rtext_puts(b, "<h3>Baseline comparison</h3>\n");
	if (json_is_object(bl))
		baseline_status(b, bl);
	if (json_array_size(cmps) == 0)
		return;
	th_row(b, heads, 8);
	json_array_foreach(cmps, i, c)
	{
		const char *unit = jstr(c, "unit");
		const json_t *ci = json_object_get(c, "ci");
		double pct = jnum(c, "change_pct"), need = jnum(c, "repeats_needed");

		pg_rtext_puts(b, "<tr><td");
		title_location(b, c);
		wrap(b, "><code>", jstr(c, "metric"), "</code></td>");
		td_verdict(b, jstr(c, "verdict"));
		td_val(b, jnum(c, "baseline"), unit);
		td_val(b, jnum(c, "current"), unit);
		pg_rtext_puts(b,
			      jnum(c, "change") > 0 ? "<td class=\"num\">+" : "<td class=\"num\">");
		put_val(b, jnum(c, "change"), unit);
		if (isfinite(pct))
			pg_rtext_printf(b, " (%+.1f%%)", pct);
		pg_rtext_puts(b, "</td><td class=\"num\">");
		if (json_array_size(ci) == 2) {
			pg_rtext_puts(b, "[");
			put_val(b, json_number_value(json_array_get(ci, 0)), NULL);
			pg_rtext_puts(b, ", ");
			put_val(b, json_number_value(json_array_get(ci, 1)), unit);
			pg_rtext_puts(b, "]");
			if (isfinite(jnum(c, "confidence")))
				pg_rtext_printf(b, " at %.0f%%", jnum(c, "confidence") * 100);
		}
		pg_rtext_puts(b, "</td><td class=\"num\">&plusmn;");
		put_val(b, jnum(c, "tolerance"), unit);
		wrap(b, "</td><td>", jstr(c, "reason"), "");
		if (isfinite(need) && need > 0)
			pg_rtext_printf(b, " (about %.0f more runs would settle it)", need);
		pg_rtext_puts(b, "</td></tr>\n");
	}
	pg_rtext_puts(b, "</table>\n");
}

/* ---- plots ---- */

/* Latency percentiles per second of the run. */
static void plot_series(pg_rtext *b, const json_t *rows)
{
	static const char *const keys[4] = {"e2e_p50", "e2e_p95", "e2e_p99", "ttft_p95"};
	static const char *const labels[4] = {"e2e p50", "e2e p95", "e2e p99", "ttft p95"};
	static const int colors[4] = {0, 3, 1, 2};
	pg_svg_chart c = PG_SVG_CHART_INIT;
	pg_svg_series s[4];
	size_t n = json_array_size(rows), i, k;
	double *v;
	json_t *row;

	v = n ? malloc(sizeof(double) * n * 5) : NULL;
	if (v == NULL) {
		if (n)
			oom(b);
		return;
	}
	json_array_foreach(rows, i, row)
	{
		v[i] = jnum(row, "t");
		for (k = 0; k < 4; k++)
			v[(k + 1) * n + i] = jnum(row, keys[k]);
	}
	for (k = 0; k < 4; k++)
		s[k] = (pg_svg_series){labels[k], v, v + (k + 1) * n, n, colors[k], k == 3, n < 3};
	c.title = "Latency percentiles over time";
	c.x_label = "seconds from the start of the measured window";
	c.y_label = "latency (ms)";
	c.has_mark = v[0] < 0;
	c.mark_x = 0;
	c.mark_label = "window";
	pg_svg_line_chart(b, &c, s, 4);
	free(v);
}

/* The sweep's latency and throughput against load, knee marked. */
static void plot_sweep(pg_rtext *b, const json_t *sweep)
{
	static const char *const heads[] = {"load", "e2e p95", "ttft p95", "throughput", "errors"};
	const json_t *levels = json_object_get(sweep, "levels");
	const json_t *knee = json_object_get(sweep, "knee_index");
	pg_svg_chart c = PG_SVG_CHART_INIT;
	size_t n = json_array_size(levels), i;
	pg_svg_series s;
	double *v;
	json_t *l;

	v = n ? malloc(sizeof(double) * n * 3) : NULL;
	if (v == NULL) {
		if (n)
			oom(b);
		return;
	}
	pg_rtext_puts(b, "<h3>Sweep</h3>\n");
	th_row(b, heads, 5);
	json_array_foreach(levels, i, l)
	{
		int is_knee = json_is_integer(knee) && (size_t)json_integer_value(knee) == i;

		v[i] = jnum(l, "load");
		v[n + i] = jnum(l, "e2e_p95");
		v[2 * n + i] = jnum(l, "rps");
		pg_rtext_printf(b, "<tr%s>", is_knee ? " class=\"knee\"" : "");
		pg_rtext_puts(b, "<td class=\"num\">");
		put_val(b, v[i], NULL);
		pg_rtext_puts(b, is_knee ? " (knee)</td>" : "</td>");
		td_val(b, v[n + i], "ms");
		td_val(b, jnum(l, "ttft_p95"), "ms");
		td_val(b, v[2 * n + i], "/s");
		td_val(b, jnum(l, "error_rate") * 100, "%");
		pg_rtext_puts(b, "</tr>\n");
	}
	pg_rtext_puts(b, "</table>\n");
	if (jstr(sweep, "knee_reason"))
		wrap(b, "<p class=\"note\">", jstr(sweep, "knee_reason"), "</p>\n");
	c.x_label = jstr(sweep, "by") ? jstr(sweep, "by") : "load";
	c.has_mark = json_is_integer(knee) && (size_t)json_integer_value(knee) < n;
	c.mark_x = c.has_mark ? v[json_integer_value(knee)] : 0;
	c.mark_label = "knee";
	pg_rtext_puts(b, "<div class=\"plots\">");
	c.title = "Sweep: e2e p95 by load";
	c.y_label = "e2e p95 (ms)";
	s = (pg_svg_series){"e2e p95", v, v + n, n, 1, 0, 1};
	pg_svg_line_chart(b, &c, &s, 1);
	c.title = "Sweep: throughput by load";
	c.y_label = "requests/s";
	s = (pg_svg_series){"throughput", v, v + 2 * n, n, 0, 0, 1};
	pg_svg_line_chart(b, &c, &s, 1);
	pg_rtext_puts(b, "</div>\n");
	free(v);
}

typedef struct cdf_line {
	const char *label;
	const char *hist; /* PGH1 text, NULL to skip */
	int color;
	int dashed;
} cdf_line;

/* One CDF chart of up to 4 histograms; log x when the range is wide. */
static void plot_cdf(pg_rtext *b, const char *title, const cdf_line *lines, size_t n)
{
	double pts[4][2][PG_SVG_CDF_POINTS];
	pg_svg_chart c = PG_SVG_CHART_INIT;
	pg_svg_series s[4];
	double lo = INFINITY, hi = 0;
	size_t i, ns = 0;

	for (i = 0; i < n && i < 4; i++) {
		if (lines[i].hist == NULL ||
		    pg_svg_cdf_points(pts[ns][0], pts[ns][1], lines[i].hist) < 0)
			continue;
		s[ns] =
		    (pg_svg_series){lines[i].label, pts[ns][0],	     pts[ns][1], PG_SVG_CDF_POINTS,
				    lines[i].color, lines[i].dashed, 0};
		lo = fmin(lo, pts[ns][0][0] > 0 ? pts[ns][0][0] : lo);
		hi = fmax(hi, pts[ns][0][PG_SVG_CDF_POINTS - 1]);
		ns++;
	}
	if (ns == 0)
		return;
	c.title = title;
	c.x_label = "latency (ms)";
	c.y_label = "requests at or below (%)";
	c.log_x = isfinite(lo) && lo > 0 && hi / lo >= 20;
	pg_svg_line_chart(b, &c, s, ns);
}

static const char *hist_of(const json_t *metrics, const char *dist)
{
	return jstr(json_object_get(metrics, dist), "histogram");
}

static void plot_distributions(pg_rtext *b, const json_t *sc)
{
	const json_t *m = json_object_get(sc, "metrics");
	const json_t *bh = json_object_get(json_object_get(sc, "baseline"), "histograms");
	cdf_line now[2] = {{"e2e", hist_of(m, "e2e"), 0, 0}, {"ttft", hist_of(m, "ttft"), 2, 0}};
	cdf_line vs[2] = {{"current", NULL, 0, 0}, {"baseline", NULL, 5, 1}};
	static const char *const dists[2] = {"e2e", "ttft"};
	size_t i;

	plot_cdf(b, "Latency distribution (CDF)", now, 2);
	for (i = 0; i < 2; i++) {
		vs[0].hist = hist_of(m, dists[i]);
		vs[1].hist = jstr(bh, dists[i]);
		if (vs[0].hist && vs[1].hist)
			plot_cdf(b,
				 i ? "ttft: baseline vs current (CDF)"
				   : "e2e: baseline vs current (CDF)",
				 vs, 2);
	}
}

static void scenario(pg_rtext *b, const json_t *sc, size_t idx)
{
	const json_t *m = json_object_get(sc, "metrics"), *warn = json_object_get(sc, "warnings");
	const char *v = jstr(sc, "verdict");
	size_t i;
	json_t *w;

	pg_rtext_printf(b, "<section class=\"scenario\" id=\"scenario-%zu\">", idx);
	wrap(b, "<h2>", jstr(sc, "name"), "");
	pg_rtext_printf(b, " <span class=\"v %s\">", vclass(v));
	wrap(b, "", v, "</span></h2>\n");
	if (json_array_size(warn)) {
		pg_rtext_puts(b, "<ul class=\"warn-list\">");
		json_array_foreach(warn, i, w) wrap(b, "<li>", json_string_value(w), "</li>");
		pg_rtext_puts(b, "</ul>\n");
	}
	if (json_is_object(m))
		key_metrics(b, m);
	requirements(b, json_object_get(sc, "requirements"));
	comparisons(b, sc);
	plot_sweep(b, json_object_get(sc, "sweep"));
	pg_rtext_puts(b, "<h3>Plots</h3>\n<div class=\"plots\">");
	plot_series(b, json_object_get(sc, "series"));
	plot_distributions(b, sc);
	pg_rtext_puts(b, "</div></section>\n");
}

/* Quality vs latency (Pareto points highlighted) and cost per request. */
static void tradeoffs(pg_rtext *b, const json_t *doc)
{
	const json_t *qt = json_object_get(doc, "quality_tradeoff");
	const json_t *scs = json_object_get(doc, "scenarios");
	size_t nq = json_array_size(qt), ns = json_array_size(scs), i, nc = 0;
	pg_svg_chart c = PG_SVG_CHART_INIT;
	pg_svg_point *p;
	json_t *o;

	p = calloc(nq + ns + 1, sizeof(*p));
	if (p == NULL) {
		oom(b);
		return;
	}
	json_array_foreach(scs, i, o)
	{
		const json_t *m = json_object_get(o, "metrics");
		double cost = jnum(json_object_get(m, "cost"), "per_request");

		if (isfinite(cost))
			p[nq + nc++] = (pg_svg_point){jnum(json_object_get(m, "e2e"), "p95"),
						      cost * 1e6, jstr(o, "name"), 0};
	}
	if (nq + nc)
		pg_rtext_puts(b, "<section><h2>Trade-offs</h2>\n<div class=\"plots\">");
	if (nq) {
		json_array_foreach(qt, i, o)
		{
			p[i] = (pg_svg_point){jnum(o, "e2e_p95"), jnum(o, "quality"),
					      jstr(o, "scenario"),
					      json_is_true(json_object_get(o, "pareto"))};
		}
		c.title = "Quality vs latency";
		c.x_label = "e2e p95 (ms)";
		c.y_label = "quality score";
		c.highlight_label = "Pareto-optimal";
		pg_svg_scatter(b, &c, p, nq);
	}
	if (nc) {
		c.title = "Cost per request vs latency";
		c.x_label = "e2e p95 (ms)";
		c.y_label = "USD per million requests";
		c.highlight_label = NULL;
		pg_svg_scatter(b, &c, p + nq, nc);
	}
	if (nq + nc)
		pg_rtext_puts(b, "</div></section>\n");
	free(p);
}

int pg_report_html(char **out, const json_t *results)
{
	pg_rtext b = PG_RTEXT_INIT;
	const char *schema = jstr(results, "schema");
	size_t i;
	json_t *sc;

	if (out == NULL || !json_is_object(results)) {
		pg_error_set("html report: no results document");
		return PG_EINVAL;
	}
	*out = NULL;
	if (schema == NULL || strcmp(schema, RESULTS_SCHEMA) != 0) {
		pg_error_set("html report: not a %s document (schema '%s')", RESULTS_SCHEMA,
			     schema ? schema : "missing");
		return PG_EINVAL;
	}
	pg_rtext_puts(&b,
		      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		      "<title>perfgate: ");
	wrap(&b, "", jstr(results, "suite"), " &ndash; ");
	pg_svg_escape(&b, overall_verdict(results));
	pg_rtext_printf(&b, "</title>\n<style>%s</style>\n</head>\n<body>\n", css);
	banner(&b, results);
	meta(&b, results);
	json_array_foreach(json_object_get(results, "scenarios"), i, sc)
	{
		scenario(&b, sc, i);
	}
	tradeoffs(&b, results);
	wrap(&b, "<footer>perfgate ", jstr(results, "perfgate_version"), "");
	pg_rtext_puts(&b, ", results schema " RESULTS_SCHEMA "</footer>\n</body>\n</html>\n");
	return pg_rtext_finish(out, &b); /* frees the text on failure */
}
