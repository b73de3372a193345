/*
 * OpenMetrics text exposition of a run: gauge families in base units
 * (seconds, ratio, per second, US dollars), every sample labelled with its
 * suite (and scenario), families and samples sorted, values as the
 * shortest text that reads back exactly, ending with "# EOF". The same
 * text is a GitLab "metrics" report (`name{labels} value` lines), and
 * pg_report_push sends it to a Pushgateway as format 0.0.4.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "report_checks.h"
#include "report_ci.h"
#include "report_text.h"

enum {
	F_CHANGE,
	F_VERDICT,
	F_COST,
	F_ERRORS,
	F_GOODPUT,
	F_LATENCY,
	F_TOKENS,
	F_QUALITY,
	F_REQUESTS,
	F_REQUIREMENT,
	F_RUN_PASS,
	F_SCENARIO_PASS,
	F_THROUGHPUT,
	F_COUNT
};

/* Listed in name order, which is the output order. */
static const struct family {
	const char *name;
	const char *unit; /* NULL: no # UNIT line */
	const char *help;
} families[F_COUNT] = {
    [F_CHANGE] = {"perfgate_comparison_change_ratio", "ratio",
		  "Relative change of a metric from its baseline (0.25 = 25% higher)"},
    [F_VERDICT] = {"perfgate_comparison_verdict", NULL,
		   "Baseline comparison verdict: 1 for the verdict label given"},
    [F_COST] = {"perfgate_cost_usd", "usd",
		"Cost estimates in US dollars (per_request, per_1m_tokens, per_hour_at_load)"},
    [F_ERRORS] = {"perfgate_error_ratio", "ratio", "Share of measured requests that failed"},
    [F_GOODPUT] = {"perfgate_goodput_ratio", "ratio",
		   "Share of measured requests that met the goodput objectives"},
    [F_LATENCY] = {"perfgate_latency_seconds", "seconds",
		   "Latency quantiles (quantile 0 is the minimum, 1 the maximum)"},
    [F_TOKENS] = {"perfgate_output_tokens_per_second", "tokens_per_second",
		  "Output tokens per second over the measured window"},
    [F_QUALITY] = {"perfgate_quality_score", NULL, "Mean quality score of graded answers"},
    [F_REQUESTS] = {"perfgate_requests", NULL, "Measured requests by result"},
    [F_REQUIREMENT] = {"perfgate_requirement_met", NULL, "1 when the requirement was met"},
    [F_RUN_PASS] = {"perfgate_run_pass", NULL, "1 when the run passed its gate"},
    [F_SCENARIO_PASS] = {"perfgate_scenario_pass", NULL, "1 when the scenario passed"},
    [F_THROUGHPUT] = {"perfgate_throughput_requests_per_second", "requests_per_second",
		      "Successful requests completed per second of the measured window"},
};

typedef struct sample {
	int fam;
	char *labels; /* "{...}" */
	double value;
} sample;

typedef struct builder {
	sample *v;
	size_t n, cap;
	int err;
	const char *suite;
} builder;

/* Appends a label value escaped as OpenMetrics wants: \\ \" \n, invalid
 * UTF-8 replaced, other control characters dropped. */
static void put_label_value(pg_rtext *t, const char *s)
{
	const char *p = s, *end = s + strlen(s);

	while (p < end) {
		uint32_t cp = pg_utf8_next(&p, end);

		if (cp == '\\')
			pg_rtext_puts(t, "\\\\");
		else if (cp == '"')
			pg_rtext_puts(t, "\\\"");
		else if (cp == '\n')
			pg_rtext_puts(t, "\\n");
		else if (cp >= 0x20 && cp != 0x7F)
			pg_rtext_put_cp(t, cp);
	}
}

/* Adds a sample; labels are NULL-terminated name, value pairs after the
 * suite (and scenario when not NULL). NaN values are skipped. */
static void add(builder *b, int fam, double value, const char *scenario, ...)
    __attribute__((sentinel));
static void add(builder *b, int fam, double value, const char *scenario, ...)
{
	pg_rtext t = PG_RTEXT_INIT;
	const char *name;
	char *labels = NULL;
	va_list ap;
	int rc;

	if (b->err != 0 || isnan(value))
		return;
	pg_rtext_puts(&t, "{suite=\"");
	put_label_value(&t, b->suite);
	pg_rtext_putc(&t, '"');
	if (scenario != NULL) {
		pg_rtext_puts(&t, ",scenario=\"");
		put_label_value(&t, scenario);
		pg_rtext_putc(&t, '"');
	}
	va_start(ap, scenario);
	while ((name = va_arg(ap, const char *)) != NULL) {
		pg_rtext_printf(&t, ",%s=\"", name);
		put_label_value(&t, va_arg(ap, const char *));
		pg_rtext_putc(&t, '"');
	}
	va_end(ap);
	pg_rtext_putc(&t, '}');
	if ((rc = pg_rtext_finish(&labels, &t)) < 0) {
		b->err = rc;
		return;
	}
	if (b->n == b->cap) {
		size_t ncap = b->cap != 0 ? b->cap * 2 : 64;
		sample *grown = realloc(b->v, ncap * sizeof(*grown));

		if (grown == NULL) {
			free(labels);
			b->err = PG_ENOMEM;
			return;
		}
		b->v = grown;
		b->cap = ncap;
	}
	b->v[b->n].fam = fam;
	b->v[b->n].labels = labels;
	b->v[b->n].value = value;
	b->n++;
}

static int cmp_sample(const void *a, const void *b)
{
	const sample *x = a, *y = b;

	if (x->fam != y->fam)
		return x->fam < y->fam ? -1 : 1;
	return strcmp(x->labels, y->labels);
}

static void add_scenario(builder *b, const json_t *sc)
{
	static const char *const dists[] = {"e2e", "itl", "tpot", "ttft"};
	static const struct {
		const char *key, *q;
	} quantiles[] = {{"min", "0"},	  {"p50", "0.5"},     {"p90", "0.9"}, {"p95", "0.95"},
			 {"p99", "0.99"}, {"p99.9", "0.999"}, {"max", "1"}};
	static const char *const costs[] = {"per_request", "per_request_at_capacity",
					    "per_1m_tokens", "per_hour_at_load"};
	const char *name = pg_report_jstr(sc, "name", "");
	const char *verdict = pg_report_jstr(sc, "verdict", NULL);
	const json_t *m = json_object_get(sc, "metrics"), *item;
	size_t i, j;

	if (verdict != NULL)
		add(b, F_SCENARIO_PASS, strcmp(verdict, "pass") == 0, name, NULL);
	for (i = 0; i < sizeof(dists) / sizeof(dists[0]); i++) {
		const json_t *d = json_object_get(m, dists[i]);

		for (j = 0; j < sizeof(quantiles) / sizeof(quantiles[0]); j++)
			add(b, F_LATENCY, pg_report_jnum(d, quantiles[j].key) / 1e3, name, "metric",
			    dists[i], "quantile", quantiles[j].q, NULL);
	}
	add(b, F_THROUGHPUT, pg_report_jnum_path(m, "throughput", "rps", NULL), name, NULL);
	add(b, F_TOKENS, pg_report_jnum_path(m, "throughput", "output_tokens_per_s", NULL), name,
	    NULL);
	add(b, F_ERRORS, pg_report_jnum_path(m, "errors", "rate", NULL), name, NULL);
	add(b, F_GOODPUT, pg_report_jnum_path(m, "goodput", "rate", NULL), name, NULL);
	add(b, F_QUALITY, pg_report_jnum_path(m, "quality", "score", NULL), name, NULL);
	add(b, F_REQUESTS, pg_report_jnum_path(m, "requests", "succeeded", NULL), name, "result",
	    "succeeded", NULL);
	add(b, F_REQUESTS, pg_report_jnum_path(m, "requests", "failed", NULL), name, "result",
	    "failed", NULL);
	for (i = 0; i < sizeof(costs) / sizeof(costs[0]); i++)
		add(b, F_COST, pg_report_jnum_path(m, "cost", costs[i], NULL), name, "metric",
		    costs[i], NULL);
	json_array_foreach(json_object_get(sc, "requirements"), i, item)
	{
		const char *expr = pg_report_jstr(item, "expr", NULL);
		const char *v = pg_report_jstr(item, "verdict", "failed");

		if (expr != NULL)
			add(b, F_REQUIREMENT, strcmp(v, "met") == 0, name, "requirement", expr,
			    NULL);
	}
	json_array_foreach(json_object_get(sc, "comparisons"), i, item)
	{
		const char *metric = pg_report_jstr(item, "metric", NULL);
		const char *v = pg_report_jstr(item, "verdict", NULL);

		if (metric == NULL)
			continue;
		if (v != NULL)
			add(b, F_VERDICT, 1, name, "metric", metric, "verdict", v, NULL);
		add(b, F_CHANGE, pg_report_jnum(item, "change_pct") / 100, name, "metric", metric,
		    NULL);
	}
}

int pg_report_openmetrics(char **out, const json_t *results)
{
	builder b = {NULL, 0, 0, 0, NULL};
	pg_rtext t = PG_RTEXT_INIT;
	const char *verdict;
	const json_t *sc;
	char num[64];
	size_t i;
	int fam = -1, rc = 0;

	*out = NULL;
	if (!json_is_object(results)) {
		pg_error_set("results document is not a JSON object");
		return PG_EINVAL;
	}
	b.suite = pg_report_jstr(results, "suite", "");
	verdict = pg_report_jstr(results, "verdict", NULL);
	if (verdict != NULL)
		add(&b, F_RUN_PASS, strcmp(verdict, "pass") == 0, NULL, NULL);
	json_array_foreach(json_object_get(results, "scenarios"), i, sc)
	{
		if (json_is_object(sc))
			add_scenario(&b, sc);
	}
	if (b.err != 0) {
		rc = b.err;
		pg_error_set(rc == PG_ELIMIT ? "report too large"
					     : "out of memory building a report");
		goto done;
	}
	if (b.n > 0)
		qsort(b.v, b.n, sizeof(*b.v), cmp_sample);
	for (i = 0; i < b.n; i++) {
		const struct family *f = &families[b.v[i].fam];
		double v = b.v[i].value;

		/* a series appears once: equal label sets (the same requirement
		 * written twice) merge to the lowest value */
		while (i + 1 < b.n && cmp_sample(&b.v[i], &b.v[i + 1]) == 0) {
			if (b.v[i + 1].value < v)
				v = b.v[i + 1].value;
			i++;
		}

		if (b.v[i].fam != fam) {
			fam = b.v[i].fam;
			pg_rtext_printf(&t, "# TYPE %s gauge\n", f->name);
			if (f->unit != NULL)
				pg_rtext_printf(&t, "# UNIT %s %s\n", f->name, f->unit);
			pg_rtext_printf(&t, "# HELP %s %s\n", f->name, f->help);
		}
		/* results.json holds about ten digits; 15 hide the noise of the
		 * ms -> s division (0.14490009599999998 -> 0.144900096) */
		if (isfinite(v)) {
			snprintf(num, sizeof(num), "%.15g", v);
			v = strtod(num, NULL);
		}
		pg_num_exact(num, sizeof(num), v);
		pg_rtext_printf(&t, "%s%s %s\n", f->name, b.v[i].labels, num);
	}
	pg_rtext_puts(&t, "# EOF\n");
	rc = pg_rtext_finish(out, &t);
done:
	for (i = 0; i < b.n; i++)
		free(b.v[i].labels);
	free(b.v);
	pg_rtext_free(&t);
	return rc;
}
