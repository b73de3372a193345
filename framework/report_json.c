/* results.json: the versioned machine-readable result (docs/results.md). */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "fileio.h"
#include "fingerprint.h"
#include "report.h"

#define RESULTS_SCHEMA "perfgate-results/1"

static const char *const class_names[PG_FAIL_CLASS_COUNT] = {
	"none", "connect", "timeout", "network", "http", "stream", "protocol"};

/* Adds "name": value, or null when the value is not finite. */
static void set_num(json_t *obj, const char *name, double v)
{
	json_object_set_new(obj, name, v == v ? json_real(v) : json_null());
}

static json_t *dist_json(const pg_measure *ms, const char *name)
{
	static const struct {
		const char *key;
		pg_stat_kind kind;
		double q;
	} stats[] = {{"min", PG_STAT_MIN, 0},        {"mean", PG_STAT_MEAN, 0},
		     {"p50", PG_STAT_QUANTILE, 0.5},   {"p90", PG_STAT_QUANTILE, 0.9},
		     {"p95", PG_STAT_QUANTILE, 0.95},  {"p99", PG_STAT_QUANTILE, 0.99},
		     {"p99.9", PG_STAT_QUANTILE, 0.999}, {"max", PG_STAT_MAX, 0}};
	const pg_metric_def *m = pg_metric_find(name);
	const pg_hist *h = pg_metric_hist(ms->rec, name);
	json_t *o = json_object();
	char *enc = NULL;
	size_t i;

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "unit", json_string("ms"));
	json_object_set_new(o, "count", json_integer(pg_hist_count(h)));
	for (i = 0; i < sizeof(stats) / sizeof(stats[0]); i++) {
		pg_stat s = {stats[i].kind, stats[i].q};
		double v;

		if (pg_metric_value(&v, ms, m, &s) < 0)
			json_object_set_new(o, stats[i].key, json_null());
		else
			set_num(o, stats[i].key, v / 1e6);
	}
	if (pg_hist_encode(h, &enc) == 0) {
		json_object_set_new(o, "histogram", json_string(enc));
		free(enc);
	}
	return o;
}

static double scalar(const pg_measure *ms, const char *name)
{
	pg_stat none = {PG_STAT_NONE, 0};
	double v;

	if (pg_metric_value(&v, ms, pg_metric_find(name), &none) < 0)
		return 0.0 / 0.0;
	return v;
}

static json_t *metrics_json(const pg_scenario_result *sr)
{
	const pg_measure *ms = &sr->measure;
	const pg_recorder *rec = ms->rec;
	json_t *m = json_object(), *thr = json_object(), *err = json_object();
	json_t *by_class = json_object(), *by_status = json_object(), *req = json_object();
	json_t *tok = json_object(), *src = json_object(), *good = json_object();
	static const char *const dists[] = {"e2e",  "ttft",	    "itl",	      "tpot",
					    "schedule_lag", "e2e_from_send", "ttft_from_send"};
	char key[8];
	size_t d;
	int i;

	for (d = 0; d < sizeof(dists) / sizeof(dists[0]); d++)
		json_object_set_new(m, dists[d], dist_json(ms, dists[d]));
	set_num(thr, "rps", scalar(ms, "throughput.rps"));
	set_num(thr, "output_tokens_per_s", scalar(ms, "output_tokens_per_s"));
	json_object_set_new(m, "throughput", thr);
	set_num(m, "output_tokens_per_s", scalar(ms, "output_tokens_per_s"));
	set_num(err, "rate", scalar(ms, "errors.rate"));
	json_object_set_new(err, "count", json_integer(rec->failed));
	for (i = 1; i < PG_FAIL_CLASS_COUNT; i++)
		json_object_set_new(by_class, class_names[i], json_integer(rec->failed_by_class[i]));
	json_object_set_new(err, "by_class", by_class);
	for (i = 100; i < PG_HTTP_STATUS_MAX; i++) {
		if (rec->http_status[i] == 0)
			continue;
		snprintf(key, sizeof(key), "%d", i);
		json_object_set_new(by_status, key, json_integer(rec->http_status[i]));
	}
	json_object_set_new(err, "by_status", by_status);
	set_num(err, "timeout_rate", scalar(ms, "errors.timeout_rate"));
	set_num(err, "http_4xx_rate", scalar(ms, "errors.http_4xx_rate"));
	set_num(err, "http_429_rate", scalar(ms, "errors.http_429_rate"));
	set_num(err, "http_5xx_rate", scalar(ms, "errors.http_5xx_rate"));
	json_object_set_new(m, "errors", err);
	json_object_set_new(req, "total", json_integer(rec->succeeded + rec->failed));
	json_object_set_new(req, "succeeded", json_integer(rec->succeeded));
	json_object_set_new(req, "failed", json_integer(rec->failed));
	json_object_set_new(req, "started", json_integer(rec->started));
	json_object_set_new(req, "warmup", json_integer(sr->run.warmup_requests));
	json_object_set_new(req, "cooldown", json_integer(sr->run.cooldown_requests));
	json_object_set_new(req, "completed_in_window", json_integer(rec->completed_in_window));
	json_object_set_new(req, "late", json_integer(rec->late));
	set_num(req, "late_rate", scalar(ms, "requests.late_rate"));
	json_object_set_new(req, "dropped", json_integer(rec->dropped));
	json_object_set_new(req, "retries", json_integer(rec->retries));
	json_object_set_new(req, "cancelled", json_integer(rec->cancelled));
	json_object_set_new(m, "requests", req);
	json_object_set_new(m, "connections", json_integer(rec->connections));
	set_num(good, "rate", scalar(ms, "goodput.rate"));
	set_num(good, "rps", scalar(ms, "goodput.rps"));
	json_object_set_new(good, "count", json_integer(rec->goodput));
	json_object_set_new(m, "goodput", good);
	json_object_set_new(tok, "output_total", json_integer(rec->output_tokens));
	json_object_set_new(tok, "input_total", json_integer(rec->input_tokens));
	json_object_set_new(src, "usage", json_integer(rec->tokens_by_source[PG_TOKENS_USAGE]));
	json_object_set_new(src, "chunks", json_integer(rec->tokens_by_source[PG_TOKENS_CHUNKS]));
	json_object_set_new(tok, "requests_by_source", src);
	json_object_set_new(tok, "max_tokens_limited", json_integer(rec->limited));
	json_object_set_new(tok, "max_tokens_exceeded", json_integer(rec->over_limit));
	set_num(tok, "max_tokens_ignored_rate", scalar(ms, "tokens.max_tokens_ignored_rate"));
	json_object_set_new(tok, "source",
			    json_string(rec->tokens_by_source[0] && rec->tokens_by_source[1]
					    ? "mixed"
					    : rec->tokens_by_source[0]   ? "usage"
					    : rec->tokens_by_source[1]   ? "chunks"
									 : "none"));
	json_object_set_new(m, "tokens", tok);
	if (rec->scored > 0 || sr->run.judged) {
		json_t *q = json_object();

		set_num(q, "score", scalar(ms, "quality.score"));
		set_num(q, "pass_rate", scalar(ms, "quality.pass_rate"));
		set_num(q, "p10", scalar(ms, "quality.p10"));
		json_object_set_new(q, "graded", json_integer(rec->scored));
		if (sr->run.judged) { /* an after-run scorer graded a sample (judge_run.h) */
			json_object_set_new(q, "judged_after_run", json_true());
			json_object_set_new(q, "judge_failures",
					    json_integer(sr->run.judge_failures));
		}
		json_object_set_new(m, "quality", q);
	}
	if (ms->cost != NULL) {
		json_t *cost = json_object();

		set_num(cost, "per_request", scalar(ms, "cost.per_request"));
		set_num(cost, "per_request_at_capacity", scalar(ms, "cost.per_request_at_capacity"));
		set_num(cost, "per_1m_tokens", scalar(ms, "cost.per_1m_tokens"));
		set_num(cost, "per_hour_at_load", scalar(ms, "cost.per_hour_at_load"));
		json_object_set_new(cost, "unit", json_string("USD"));
		json_object_set_new(m, "cost", cost);
	}
	if (ms->has_capacity) {
		json_t *cap = json_object();

		set_num(cap, "rps", ms->capacity_rps);
		set_num(cap, ms->capacity_by_rate ? "rate" : "concurrency", ms->capacity_load);
		json_object_set_new(m, "capacity", cap);
	}
	if (ms->has_recovery) {
		json_t *rcv = json_object();

		if (ms->recovery_ns >= 0) {
			set_num(rcv, "time_s", ms->recovery_ns / 1e9);
		} else {
			json_object_set_new(rcv, "time_s", json_null());
			json_object_set_new(rcv, "reason", json_string(ms->recovery_reason));
		}
		json_object_set_new(m, "recovery", rcv);
	}
	return m;
}

static void set_ms(json_t *o, const char *key, double ns)
{
	set_num(o, key, isnan(ns) ? ns : ns / 1e6);
}

static json_t *series_json(const pg_engine_result *r)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; r->series != NULL && i < r->series->n; i++) {
		const pg_series_row *row = &r->series->rows[i];
		json_t *o = json_object();

		set_num(o, "t", (double)row->second - (double)r->window_offset / 1e9);
		json_object_set_new(o, "sent", json_integer(row->sent));
		json_object_set_new(o, "succeeded", json_integer(row->succeeded));
		json_object_set_new(o, "failed", json_integer(row->failed));
		json_object_set_new(o, "dropped", json_integer(row->dropped));
		json_object_set_new(o, "late", json_integer(row->late));
		json_object_set_new(o, "in_flight", json_integer(row->in_flight));
		set_ms(o, "e2e_p50", row->e2e_p50);
		set_ms(o, "e2e_p95", row->e2e_p95);
		set_ms(o, "e2e_p99", row->e2e_p99);
		set_ms(o, "ttft_p50", row->ttft_p50);
		set_ms(o, "ttft_p95", row->ttft_p95);
		set_ms(o, "ttft_p99", row->ttft_p99);
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *sweep_json(const pg_scenario_result *sr)
{
	json_t *o = json_object(), *levels = json_array();
	size_t i;

	json_object_set_new(o, "by", json_string(sr->scenario->sweep->by_rate ? "rate"
									    : "concurrency"));
	for (i = 0; i < sr->n_levels; i++) {
		const pg_sweep_level *l = &sr->levels[i];
		json_t *lv = json_object();

		set_num(lv, "load", l->load);
		set_ms(lv, "e2e_p95", l->e2e_p95);
		set_ms(lv, "ttft_p95", l->ttft_p95);
		set_num(lv, "rps", l->rps);
		set_num(lv, "error_rate", l->error_rate);
		set_num(lv, "quality", l->quality);
		json_array_append_new(levels, lv);
	}
	json_object_set_new(o, "levels", levels);
	json_object_set_new(o, "knee_index", sr->knee >= 0 ? json_integer(sr->knee) : json_null());
	json_object_set_new(o, "knee_reason", json_string(sr->knee_reason));
	return o;
}

static json_t *load_json(const pg_load *l)
{
	static const char *const models[] = {"closed", "open", "trace"};
	static const char *const arrivals[] = {"constant", "poisson", "gamma"};
	json_t *o = json_object(), *stages = json_array();
	size_t i;

	json_object_set_new(o, "model", json_string(models[l->model]));
	if (l->model == PG_LOAD_CLOSED) {
		json_object_set_new(o, "concurrency", json_integer(l->concurrency));
		json_object_set_new(o, "requests", json_integer(l->requests));
	} else {
		json_object_set_new(o, "max_in_flight", json_integer(l->max_in_flight));
		json_object_set_new(o, "seed", json_integer((json_int_t)l->seed));
	}
	if (l->model == PG_LOAD_OPEN) {
		json_object_set_new(o, "arrival", json_string(arrivals[l->arrival]));
		if (l->arrival == PG_ARRIVAL_GAMMA)
			set_num(o, "burstiness", l->burstiness);
		for (i = 0; i < l->n_stages; i++) {
			json_t *st = json_object();

			json_object_set_new(st, "kind", json_string(l->stages[i].kind));
			set_num(st, "duration_s", (double)l->stages[i].duration / 1e9);
			set_num(st, "rate_from", l->stages[i].rate_from);
			set_num(st, "rate_to", l->stages[i].rate_to);
			json_array_append_new(stages, st);
		}
	}
	json_object_set_new(o, "stages", stages);
	if (l->model == PG_LOAD_TRACE)
		json_object_set_new(o, "trace_arrivals", json_integer((json_int_t)l->n_trace));
	set_num(o, "duration_s", (double)l->duration / 1e9);
	set_num(o, "warmup_s", (double)l->warmup / 1e9);
	set_num(o, "cooldown_s", (double)l->cooldown / 1e9);
	set_num(o, "timeout_s", (double)l->timeout / 1e9);
	return o;
}

static json_t *requirement_json(const pg_req_result *rr)
{
	const pg_requirement *r = rr->req;
	json_t *o = json_object();
	char stat[32];

	json_object_set_new(o, "expr", json_string(r->text));
	json_object_set_new(o, "file", r->file ? json_string(r->file) : json_null());
	json_object_set_new(o, "line", json_integer(r->line));
	json_object_set_new(o, "col", json_integer(r->col));
	json_object_set_new(o, "metric", json_string(r->metric->name));
	json_object_set_new(o, "stat", r->stat.kind == PG_STAT_NONE
					   ? json_null()
					   : json_string(pg_stat_format(stat, sizeof(stat), &r->stat)));
	json_object_set_new(o, "op", json_string(pg_cmp_op_str(r->op)));
	if (rr->has_value) {
		set_num(o, "measured", pg_metric_to_display(r->metric, rr->measured));
		set_num(o, "margin", pg_gate_margin(rr));
	} else {
		json_object_set_new(o, "measured", json_null());
		json_object_set_new(o, "margin", json_null());
		json_object_set_new(o, "reason", json_string(rr->reason));
	}
	set_num(o, "limit", pg_metric_to_display(r->metric, r->limit));
	json_object_set_new(o, "unit", json_string(pg_metric_display_unit(r->metric)));
	json_object_set_new(o, "verdict", json_string(rr->met ? "met" : "failed"));
	return o;
}

static json_t *scenario_json(const pg_run_result *run, const pg_scenario_result *sr)
{
	json_t *o = json_object(), *reqs = json_array(), *warn = json_array(), *load;
	size_t i;

	json_object_set_new(o, "name", json_string(sr->scenario->name));
	json_object_set_new(o, "verdict", json_string(sr->pass ? "pass" : "fail"));
	load = load_json(&sr->scenario->load);
	json_object_set_new(o, "fingerprint", pg_fingerprint_json(run->suite, load, run->target));
	json_object_set_new(o, "load", load);
	json_object_set_new(o, "workers", json_integer(sr->run.workers));
	set_num(o, "window_s", (double)(sr->run.rec->window_end - sr->run.rec->window_start) / 1e9);
	json_object_set_new(o, "generator_bound", json_boolean(sr->run.generator_bound));
	json_object_set_new(o, "interrupted", json_boolean(sr->run.interrupted));
	if (sr->run.interrupted)
		set_num(o, "interrupted_after_s", (double)sr->run.interrupted_at / 1e9);
	if (sr->run.generator_bound)
		json_array_append_new(warn, json_string("more than 1% of sends were over 1 ms "
							"behind schedule: the load generator "
							"limited this run"));
	json_object_set_new(o, "warnings", warn);
	json_object_set_new(o, "metrics", metrics_json(sr));
	if (sr->levels != NULL)
		json_object_set_new(o, "sweep", sweep_json(sr));
	json_object_set_new(o, "series", series_json(&sr->run));
	for (i = 0; i < sr->n_reqs; i++)
		json_array_append_new(reqs, requirement_json(&sr->reqs[i]));
	json_object_set_new(o, "requirements", reqs);
	if (sr->runs != NULL)
		json_object_set(o, "runs", sr->runs);
	return o;
}

json_t *pg_report_json_build(const pg_run_result *run)
{
	json_t *doc = json_object(), *sc = json_array(), *target = json_object();
	const pg_target *t = &run->suite->target;
	size_t i;
	int interrupted;

	if (doc == NULL || sc == NULL || target == NULL) {
		json_decref(doc);
		json_decref(sc);
		json_decref(target);
		return NULL;
	}
	json_object_set_new(doc, "schema", json_string(RESULTS_SCHEMA));
	json_object_set_new(doc, "perfgate_version", json_string(PG_VERSION));
	json_object_set_new(doc, "suite", json_string(run->suite->name));
	json_object_set_new(doc, "suite_file", json_string(run->suite->path));
	json_object_set_new(doc, "started_at", json_string(run->started_at));
	json_object_set_new(target, "adapter", json_string(t->adapter));
	json_object_set_new(target, "transport", json_string(t->transport));
	json_object_set_new(target, "url", json_string(run->target));
	json_object_set_new(target, "model", t->model ? json_string(t->model) : json_null());
	json_object_set_new(doc, "target", target);
	json_object_set_new(doc, "verdict", json_string(run->pass ? "pass" : "fail"));
	interrupted = 0;
	for (i = 0; i < run->n_scenarios; i++) {
		json_array_append_new(sc, scenario_json(run, &run->scenarios[i]));
		interrupted |= run->scenarios[i].run.interrupted;
	}
	/* the CLI also sets it when the interrupt came between scenarios */
	json_object_set_new(doc, "interrupted", json_boolean(interrupted));
	json_object_set_new(doc, "scenarios", sc);
	if (run->suite->quality != NULL) {
		pg_tradeoff_point *pts = NULL;
		size_t n = 0, k;
		json_t *arr = json_array();

		if (pg_report_tradeoff(&pts, &n, run) == 0) {
			for (k = 0; k < n; k++) {
				json_t *p = json_object();

				json_object_set_new(p, "scenario", json_string(pts[k].label));
				set_num(p, "e2e_p95", pts[k].e2e_p95 / 1e6);
				set_num(p, "quality", pts[k].quality);
				json_object_set_new(p, "pareto", json_boolean(pts[k].pareto));
				json_array_append_new(arr, p);
			}
		}
		free(pts);
		json_object_set_new(doc, "quality_tradeoff", arr);
	}
	return doc;
}

int pg_report_json_write_doc(const char *path, const json_t *doc)
{
	char *text;
	int rc;

	text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
	if (text == NULL) {
		pg_error_set("out of memory");
		return PG_ENOMEM;
	}
	rc = pg_file_write_atomic(path, text, strlen(text));
	free(text);
	return rc;
}

int pg_report_json_write_file(const char *path, const pg_run_result *run)
{
	json_t *doc = pg_report_json_build(run);
	int rc;

	if (doc == NULL) {
		pg_error_set("out of memory");
		return PG_ENOMEM;
	}
	rc = pg_report_json_write_doc(path, doc);
	json_decref(doc);
	return rc;
}

int pg_report_json_write(const char *dir, const pg_run_result *run)
{
	char path[4096];
	int rc, n;

	if ((rc = pg_mkdir_p(dir)) < 0)
		return rc;
	n = snprintf(path, sizeof(path), "%s/results.json", dir);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		pg_error_set("--out: path too long");
		return PG_EINVAL;
	}
	return pg_report_json_write_file(path, run);
}
