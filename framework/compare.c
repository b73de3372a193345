/* Baseline comparison of one scenario (compare.h). */
#include "compare.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "fingerprint.h"
#include "metrics.h"

#define MAX_RUNS 1000

const char *pg_baseline_status_name(pg_baseline_status s)
{
	switch (s) {
	case PG_BASELINE_COMPARED:
		return "compared";
	case PG_BASELINE_MISSING:
		return "missing";
	case PG_BASELINE_REFUSED:
		return "refused";
	case PG_BASELINE_ERROR:
		return "error";
	case PG_BASELINE_NONE:
		break;
	}
	return "none";
}

/* The current run's estimates of a metric, one per repeat. */
static size_t current_estimates(pg_run_estimate *out, size_t cap, const json_t *scenario,
				const char *metric)
{
	const json_t *runs = json_object_get(scenario, "runs");
	size_t i, n = 0;

	for (i = 0; i < json_array_size(runs) && n < cap; i++) {
		const json_t *e = json_object_get(
		    json_object_get(json_array_get(runs, i), "estimates"), metric);
		const json_t *v = json_object_get(e, "value");
		const json_t *wv = json_object_get(e, "within_var");

		if (!json_is_number(v) || !isfinite(json_number_value(v)))
			continue;
		out[n].value = json_number_value(v);
		out[n].within_var = json_is_number(wv) ? json_number_value(wv) : NAN;
		out[n].within_df = json_number_value(json_object_get(e, "within_df"));
		n++;
	}
	return n;
}

static json_t *num_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

/* One comparison as stored in results.json, values in display units. */
static json_t *item_json(const pg_baseline_metric *bm, const pg_compare_result *r,
			 double confidence)
{
	const pg_metric_def *d = bm->metric;
	json_t *o;

	o = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:[oo], s:o, s:f, s:i, s:s}", "metric",
		      bm->name, "verdict", pg_verdict_name(r->verdict), "unit",
		      pg_metric_display_unit(d), "baseline",
		      num_or_null(pg_metric_to_display(d, r->baseline)), "current",
		      num_or_null(pg_metric_to_display(d, r->current)), "change",
		      num_or_null(pg_metric_to_display(d, r->change)), "change_pct",
		      num_or_null(r->change_rel * 100.0), "ci",
		      num_or_null(pg_metric_to_display(d, r->ci_lo)),
		      num_or_null(pg_metric_to_display(d, r->ci_hi)), "tolerance",
		      num_or_null(pg_metric_to_display(d, r->tolerance)), "confidence", confidence,
		      "repeats_needed", r->repeats_needed, "reason", r->reason);
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "run_sd", num_or_null(pg_metric_to_display(d, r->run_sd)));
	if (bm->file != NULL) {
		json_object_set_new(o, "file", json_string(bm->file));
		json_object_set_new(o, "line", json_integer(bm->line));
		json_object_set_new(o, "col", json_integer(bm->col));
	}
	return o;
}

/* An item that could not be compared: inconclusive with why. */
static json_t *item_missing(const pg_baseline_metric *bm, const char *why, double confidence)
{
	pg_compare_result r;

	memset(&r, 0, sizeof(r));
	r.verdict = PG_VERDICT_INCONCLUSIVE;
	r.baseline = r.current = r.change = r.change_rel = r.ci_lo = r.ci_hi = NAN;
	r.tolerance = r.run_sd = NAN;
	snprintf(r.reason, sizeof(r.reason), "%s", why);
	return item_json(bm, &r, confidence);
}

static void count(pg_compare_totals *t, pg_verdict v)
{
	switch (v) {
	case PG_VERDICT_REGRESSION:
		t->regressions++;
		break;
	case PG_VERDICT_IMPROVEMENT:
		t->improvements++;
		break;
	case PG_VERDICT_INCONCLUSIVE:
		t->inconclusive++;
		break;
	case PG_VERDICT_PASS:
		break;
	}
	t->compared++;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Leaves out of e[0..*n) the runs more than OUTLIER_MADS robust standard
 * deviations (1.4826 x the median absolute deviation) from the median on
 * the worse side, when there are at least min_runs: one run
 * disturbed by a noisy neighbour on a CI machine must not swamp the spread
 * of the others. A busy machine only ever makes a run slower, so a run
 * better than the rest is kept: it is information, not a disturbance.
 * Returns how many were left out. */
#define OUTLIER_MIN_BASE_RUNS 5
#define OUTLIER_MIN_CURRENT_RUNS 10
#define OUTLIER_MADS 5.0
static size_t drop_outliers(pg_run_estimate *e, size_t *n, int higher_is_better, size_t min_runs)
{
	double v[MAX_RUNS], dev[MAX_RUNS], med, mad;
	size_t i, k = 0, m = *n;

	if (m < min_runs || m > MAX_RUNS)
		return 0;
	for (i = 0; i < m; i++)
		v[i] = e[i].value;
	qsort(v, m, sizeof(v[0]), cmp_double);
	med = m % 2 ? v[m / 2] : (v[m / 2 - 1] + v[m / 2]) / 2;
	for (i = 0; i < m; i++)
		dev[i] = fabs(v[i] - med);
	qsort(dev, m, sizeof(dev[0]), cmp_double);
	mad = m % 2 ? dev[m / 2] : (dev[m / 2 - 1] + dev[m / 2]) / 2;
	if (!(mad > 0))
		return 0;
	for (i = 0; i < m; i++) {
		double worse = higher_is_better ? med - e[i].value : e[i].value - med;

		if (worse <= OUTLIER_MADS * 1.4826 * mad)
			e[k++] = e[i];
	}
	*n = k;
	return m - k;
}

/* Compares one metric; appends its item to items. *recommended is raised
 * to the repeats this metric needs to detect a worsening of its tolerance. */
static int compare_metric(json_t *items, const pg_baseline_metric *bm, const pg_baseline *b,
			  const json_t *scenario, const pg_baseline_cfg *cfg,
			  pg_compare_totals *t, int *recommended, int *unreachable)
{
	pg_compare_spec spec = PG_COMPARE_SPEC_INIT;
	pg_run_estimate cur[64], *base = NULL;
	pg_compare_input in;
	pg_compare_result r;
	size_t n_base = 0, n_cur, dropped;
	json_t *item;
	char why[200];
	int rc = 0, rep;

	n_cur = current_estimates(cur, 64, scenario, bm->name);
	if (pg_baseline_estimates(&base, &n_base, b, bm->name) < 0)
		return PG_ENOMEM;
	if (n_base == 0 || n_cur == 0) {
		snprintf(why, sizeof(why), "%s has no value in the %s", bm->name,
			 n_base == 0 ? "baseline" : "current run");
		item = item_missing(bm, why, cfg->confidence);
		count(t, PG_VERDICT_INCONCLUSIVE);
		goto add;
	}
	spec.higher_is_better = bm->metric->direction == PG_HIGHER_IS_BETTER;
	/* the current side needs more runs: in a real slowdown its slow runs
	 * are the evidence, and the MAD of a few runs is small */
	dropped = drop_outliers(base, &n_base, spec.higher_is_better, OUTLIER_MIN_BASE_RUNS) +
		  drop_outliers(cur, &n_cur, spec.higher_is_better, OUTLIER_MIN_CURRENT_RUNS);
	spec.tol_rel = bm->tol_rel;
	spec.tol_abs = bm->tol_abs;
	spec.confidence = cfg->confidence;
	in.base = base;
	in.n_base = n_base;
	in.cur = cur;
	in.n_cur = n_cur;
	if (pg_stats_compare(&r, &spec, &in) < 0) {
		item = item_missing(bm, pg_error_last(), cfg->confidence);
		count(t, PG_VERDICT_INCONCLUSIVE);
		goto add;
	}
	count(t, r.verdict);
	if (dropped > 0) {
		size_t used = strlen(r.reason);

		snprintf(r.reason + used, sizeof(r.reason) - used,
			 " (%zu outlying run%s left out)", dropped, dropped == 1 ? "" : "s");
	}
	item = item_json(bm, &r, cfg->confidence);
	/* a regression needs the measured change beyond the tolerance, so a
	 * worsening of exactly the tolerance is found at most half the time:
	 * the count is for twice the tolerance (docs/statistics.md) */
	spec.tol_rel *= 2;
	spec.tol_abs *= 2;
	if (isfinite(r.run_sd) && r.tolerance > 0 &&
	    pg_stats_recommend_repeats(&rep, &spec, r.baseline, r.run_sd, n_base, 0.8) == 0) {
		if (rep < 0)
			*unreachable = 1;
		else if (rep > *recommended)
			*recommended = rep;
	}
add:
	if (item == NULL || json_array_append_new(items, item) < 0)
		rc = PG_ENOMEM;
	free(base);
	return rc;
}

/* Verdicts sort most severe first. */
static int severity(const char *v)
{
	if (strcmp(v, "regression") == 0)
		return 0;
	if (strcmp(v, "inconclusive") == 0)
		return 1;
	if (strcmp(v, "improvement") == 0)
		return 2;
	return 3;
}

int pg_compare_scenario(json_t *scenario, const pg_baseline *b, pg_baseline_status status,
			const char *note, const pg_baseline_origin *origin,
			const pg_baseline_cfg *cfg, int force, pg_compare_totals *totals)
{
	json_t *base = json_object(), *items = json_array();
	char reason[768] = "";
	int recommended = 0, unreachable = 0, rc = 0;
	size_t i;

	if (base == NULL || items == NULL) {
		rc = PG_ENOMEM;
		goto done;
	}
	if (note != NULL)
		snprintf(reason, sizeof(reason), "%s", note);
	if (b == NULL && status == PG_BASELINE_COMPARED)
		status = PG_BASELINE_MISSING;
	if (b != NULL) {
		char diff[600];

		if (pg_fingerprint_differs(diff, sizeof(diff), pg_baseline_fingerprint(b),
					   json_object_get(scenario, "fingerprint"))) {
			if (!force) {
				status = PG_BASELINE_REFUSED;
				snprintf(reason, sizeof(reason),
					 "not comparable with the baseline: %s (use --force to "
					 "compare anyway)",
					 diff);
			} else {
				snprintf(reason, sizeof(reason),
					 "compared with --force although %s", diff);
			}
		}
	}
	if (status == PG_BASELINE_COMPARED) {
		for (i = 0; rc == 0 && i < cfg->n_metrics; i++)
			rc = compare_metric(items, &cfg->metrics[i], b, scenario, cfg, totals,
					    &recommended, &unreachable);
		/* most severe first, stable within a severity */
		for (i = 1; rc == 0 && i < json_array_size(items); i++) {
			size_t j = i;

			while (j > 0 &&
			       severity(json_string_value(json_object_get(
				   json_array_get(items, j), "verdict"))) <
				   severity(json_string_value(json_object_get(
				       json_array_get(items, j - 1), "verdict")))) {
				json_t *a = json_incref(json_array_get(items, j - 1));

				json_array_set(items, j - 1, json_array_get(items, j));
				json_array_set_new(items, j, a);
				j--;
			}
		}
	} else if (status == PG_BASELINE_REFUSED) {
		totals->refused++;
	} else if (status == PG_BASELINE_MISSING) {
		totals->missing++;
	} else if (status == PG_BASELINE_ERROR) {
		totals->errors++;
	}
	json_object_set_new(base, "status", json_string(pg_baseline_status_name(status)));
	if (origin != NULL) {
		json_object_set_new(base, "source", json_string(origin->source));
		if (origin->ref != NULL)
			json_object_set_new(base, "ref", json_string(origin->ref));
		if (origin->commit != NULL)
			json_object_set_new(base, "commit", json_string(origin->commit));
		if (origin->path != NULL)
			json_object_set_new(base, "path", json_string(origin->path));
	}
	if (b != NULL) {
		const json_t *m = pg_baseline_latest_metrics(b);
		json_t *h = json_object();
		const char *k;
		json_t *v;

		json_object_set_new(base, "runs", json_integer((json_int_t)pg_baseline_history_len(b)));
		json_object_foreach((json_t *)m, k, v)
		{
			const json_t *enc = json_object_get(v, "histogram");

			if (json_is_string(enc))
				json_object_set(h, k, (json_t *)enc);
		}
		json_object_set_new(base, "histograms", h);
	}
	if (unreachable)
		json_object_set_new(base, "recommended_repeats", json_integer(-1));
	else if (recommended != 0)
		json_object_set_new(base, "recommended_repeats", json_integer(recommended));
	if (reason[0] != '\0')
		json_object_set_new(base, "reason", json_string(reason));
	json_object_set(scenario, "baseline", base);
	json_object_set(scenario, "comparisons", items);
done:
	json_decref(base);
	json_decref(items);
	return rc;
}

int pg_compare_exit_code(const pg_compare_totals *t, int strict)
{
	if (t->regressions > 0)
		return 1;
	if (strict && t->refused > 0)
		return 2;
	if (strict && (t->inconclusive > 0 || t->missing > 0 || t->errors > 0))
		return 1;
	return 0;
}

/* Formats a display-unit value with its unit. */
static const char *fmt_val(char *buf, size_t size, const json_t *v, const char *unit)
{
	if (!json_is_number(v))
		snprintf(buf, size, "-");
	else if (strcmp(unit, "$") == 0)
		snprintf(buf, size, "$%.4g", json_number_value(v));
	else
		snprintf(buf, size, "%.4g%s%s", json_number_value(v),
			 unit[0] && strcmp(unit, "%") != 0 ? " " : "", unit);
	return buf;
}

void pg_compare_print(FILE *out, const json_t *doc, int color)
{
	const json_t *scs = json_object_get(doc, "scenarios");
	size_t i, j;

	for (i = 0; i < json_array_size(scs); i++) {
		const json_t *sc = json_array_get(scs, i);
		const json_t *base = json_object_get(sc, "baseline");
		const json_t *items = json_object_get(sc, "comparisons");
		const char *status = json_string_value(json_object_get(base, "status"));
		const char *reason = json_string_value(json_object_get(base, "reason"));
		const char *commit = json_string_value(json_object_get(base, "commit"));
		const char *ref = json_string_value(json_object_get(base, "ref"));
		const char *name = json_string_value(json_object_get(sc, "name"));

		if (base == NULL)
			continue;
		/* a document read back may lack any field: never hand %s a NULL */
		fprintf(out, "\nbaseline of %s: %s", name ? name : "?", status ? status : "?");
		if (ref != NULL || commit != NULL)
			fprintf(out, " (%s%s%.12s)", ref ? ref : "", ref && commit ? " @ " : "",
				commit ? commit : "");
		if (json_is_integer(json_object_get(base, "runs")))
			fprintf(out, ", %lld run%s of history",
				(long long)json_integer_value(json_object_get(base, "runs")),
				json_integer_value(json_object_get(base, "runs")) == 1 ? "" : "s");
		fputc('\n', out);
		if (reason != NULL)
			fprintf(out, "  %s\n", reason);
		for (j = 0; j < json_array_size(items); j++) {
			const json_t *it = json_array_get(items, j);
			const char *v = json_string_value(json_object_get(it, "verdict"));
			const char *unit = json_string_value(json_object_get(it, "unit"));
			const char *metric = json_string_value(json_object_get(it, "metric"));
			const char *why = json_string_value(json_object_get(it, "reason"));
			const char *on = "", *off = "";
			char a[48], b[48];

			if (v == NULL || unit == NULL)
				continue;
			if (color) {
				on = strcmp(v, "regression") == 0    ? "\033[31m"
				     : strcmp(v, "inconclusive") == 0 ? "\033[33m"
				     : strcmp(v, "improvement") == 0  ? "\033[32m"
								      : "";
				off = on[0] ? "\033[0m" : "";
			}
			fprintf(out, "  %s%-12s%s %-22s %12s -> %-12s  %s\n", on, v, off,
				metric ? metric : "?",
				fmt_val(a, sizeof(a), json_object_get(it, "baseline"), unit),
				fmt_val(b, sizeof(b), json_object_get(it, "current"), unit),
				why ? why : "");
		}
		if (json_is_integer(json_object_get(base, "recommended_repeats"))) {
			long long rr = json_integer_value(json_object_get(base, "recommended_repeats"));

			if (rr < 0)
				fprintf(out, "  recommended: more baseline history; at this noise no "
					     "repeat count finds a worsening of twice the tolerance "
					     "with 80%% power\n");
			else
				fprintf(out,
					"  recommended: --repeat %lld finds a worsening of twice the "
					"tolerance with 80%% power at this noise\n",
					rr);
		}
	}
}
