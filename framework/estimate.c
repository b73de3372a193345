/* Per-run estimates with their within-run variance (estimate.h). */
#include "estimate.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "requirement.h"
#include "suite_baseline.h"

/* What a batch value is computed from. */
typedef enum batch_kind { BK_NONE = 0, BK_E2E, BK_TTFT, BK_RPS, BK_ERRORS } batch_kind;

typedef struct batch_ctx {
	const pg_series *s;
	batch_kind kind;
	const pg_stat *st;
	pg_hist *tmp;
} batch_ctx;

static batch_kind kind_of(const pg_metric_def *def)
{
	if (strcmp(def->name, "e2e") == 0)
		return BK_E2E;
	if (strcmp(def->name, "ttft") == 0)
		return BK_TTFT;
	if (strcmp(def->name, "throughput.rps") == 0)
		return BK_RPS;
	if (strcmp(def->name, "errors.rate") == 0)
		return BK_ERRORS;
	return BK_NONE;
}

static double hist_stat(const pg_hist *h, const pg_stat *st)
{
	if (pg_hist_count(h) == 0)
		return NAN;
	switch (st->kind) {
	case PG_STAT_MIN:
		return (double)pg_hist_min(h);
	case PG_STAT_MAX:
		return (double)pg_hist_max(h);
	case PG_STAT_MEAN:
		return pg_hist_mean(h);
	case PG_STAT_QUANTILE:
		return (double)pg_hist_quantile(h, st->q);
	case PG_STAT_NONE:
		break;
	}
	return NAN;
}

/* The metric over batches [first, first + n) of the series. */
static double batch_value(void *vctx, size_t first, size_t n)
{
	batch_ctx *c = vctx;
	const pg_series *s = c->s;
	int64_t ok = 0, bad = 0;
	size_t i;

	if (c->kind == BK_E2E || c->kind == BK_TTFT)
		pg_hist_reset(c->tmp);
	for (i = first; i < first + n; i++) {
		const pg_series_batch *b = &s->batches[i];

		ok += b->succeeded;
		bad += b->failed;
		if (b->e2e != NULL && c->kind == BK_E2E)
			pg_hist_merge(c->tmp, b->e2e);
		else if (b->ttft != NULL && c->kind == BK_TTFT)
			pg_hist_merge(c->tmp, b->ttft);
	}
	switch (c->kind) {
	case BK_E2E:
	case BK_TTFT:
		return hist_stat(c->tmp, c->st);
	case BK_RPS:
		return (double)ok / ((double)n * (double)s->batch_width);
	case BK_ERRORS:
		return ok + bad > 0 ? (double)bad / (double)(ok + bad) : NAN;
	case BK_NONE:
		break;
	}
	return NAN;
}

/* Parses a metric name the code itself wrote; no message left behind. */
static int metric_parse_quiet(const pg_metric_def **def, pg_stat *st, const char *name)
{
	int rc = pg_metric_name_parse(def, st, name, NULL);

	if (rc < 0)
		pg_error_clear();
	return rc;
}

/* A coarse histogram like the series' to merge batches into. */
static int tmp_hist(pg_hist **out, const pg_series *s)
{
	size_t i;

	for (i = 0; i < s->n_batches; i++)
		if (s->batches[i].e2e != NULL)
			return pg_hist_clone(out, s->batches[i].e2e);
	*out = NULL;
	return PG_ENOTFOUND;
}

int pg_estimate_metric(pg_run_estimate *out, const pg_measure *m, const pg_series *s,
		       const pg_metric_def *def, const pg_stat *st)
{
	batch_ctx ctx = {s, kind_of(def), st, NULL};
	pg_batch_result br;
	int rc;

	out->value = NAN;
	out->within_var = NAN;
	out->within_df = 0;
	if ((rc = pg_metric_value(&out->value, m, def, st)) < 0) {
		out->value = NAN;
		return rc;
	}
	if (ctx.kind == BK_NONE || s == NULL || s->n_batches < PG_ESTIMATE_MIN_BATCHES)
		return 0;
	if ((ctx.kind == BK_E2E || ctx.kind == BK_TTFT) && tmp_hist(&ctx.tmp, s) < 0)
		return 0;
	if (pg_stats_batch_means(&br, s->n_batches, batch_value, &ctx,
				 PG_ESTIMATE_MIN_BATCHES) == 0 &&
	    !isnan(br.var)) {
		out->within_var = br.var;
		out->within_df = (double)br.batches - 1;
	}
	pg_hist_free(ctx.tmp);
	return 0;
}

/* Adds one metric's estimate to obj under name (skipped when it has no
 * value or is already there). */
static int add_estimate(json_t *obj, const char *name, const pg_measure *m, const pg_series *s)
{
	const pg_metric_def *def;
	pg_run_estimate e;
	pg_stat st;
	json_t *o;

	if (json_object_get(obj, name) != NULL)
		return 0;
	if (metric_parse_quiet(&def, &st, name) < 0)
		return 0;
	if (pg_estimate_metric(&e, m, s, def, &st) < 0 || !isfinite(e.value))
		return 0;
	o = json_pack("{s:f, s:o, s:f, s:s}", "value", e.value, "within_var",
		      isnan(e.within_var) ? json_null() : json_real(e.within_var), "within_df",
		      e.within_df, "unit", pg_metric_canonical_unit(def));
	if (o == NULL || json_object_set_new(obj, name, o) < 0)
		return PG_ENOMEM;
	return 0;
}

json_t *pg_estimates_json(const pg_measure *m, const pg_series *s,
			  const struct pg_baseline_cfg *cfg)
{
	static const char *const defaults[] = {
	    "e2e.p50",	   "e2e.p95",	 "e2e.p99", "ttft.p50",		   "ttft.p95",
	    "ttft.p99",	   "tpot.p95",	 "itl.p95", "throughput.rps",	   "output_tokens_per_s",
	    "errors.rate", "quality.score", "cost.per_request"};
	json_t *obj = json_object();
	size_t i;

	if (obj == NULL)
		return NULL;
	for (i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
		if (add_estimate(obj, defaults[i], m, s) < 0)
			goto fail;
	for (i = 0; cfg != NULL && i < cfg->n_metrics; i++)
		if (add_estimate(obj, cfg->metrics[i].name, m, s) < 0)
			goto fail;
	return obj;
fail:
	json_decref(obj);
	return NULL;
}

json_t *pg_windows_json(const pg_series *s)
{
	static const char *const names[] = {"e2e.p95", "ttft.p95", "throughput.rps",
					    "errors.rate"};
	json_t *values = json_object(), *out = NULL;
	size_t i, k;

	if (values == NULL)
		return NULL;
	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		const pg_metric_def *def;
		batch_ctx ctx;
		pg_stat st;
		json_t *arr = json_array();

		if (arr == NULL || json_object_set_new(values, names[k], arr) < 0)
			goto done;
		if (metric_parse_quiet(&def, &st, names[k]) < 0)
			continue;
		memset(&ctx, 0, sizeof(ctx));
		ctx.s = s;
		ctx.kind = kind_of(def);
		ctx.st = &st;
		if ((ctx.kind == BK_E2E || ctx.kind == BK_TTFT) && tmp_hist(&ctx.tmp, s) < 0)
			continue;
		for (i = 0; i < s->n_batches; i++) {
			double v = batch_value(&ctx, i, 1);

			json_array_append_new(arr, isfinite(v) ? json_real(v) : json_null());
		}
		pg_hist_free(ctx.tmp);
	}
	out = json_pack("{s:I, s:O}", "seconds", (json_int_t)s->batch_width, "values", values);
done:
	json_decref(values);
	return out;
}
