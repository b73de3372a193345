/* results.json: the versioned machine-readable result (docs/results.md). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "fileio.h"
#include "report.h"

#define RESULTS_SCHEMA "perfgate-results/1"

static const char *const class_names[PG_FAIL_CLASS_COUNT] = {
	"none", "connect", "timeout", "network", "http", "stream", "protocol"};

/* Adds "name": value, or null when the value is not finite. */
static void set_num(json_t *obj, const char *name, double v)
{
	json_object_set_new(obj, name, v == v ? json_real(v) : json_null());
}

static json_t *dist_json(const pg_recorder *rec, const char *name)
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
	const pg_hist *h = NULL;
	json_t *o = json_object();
	char *enc = NULL;
	size_t i;

	if (o == NULL)
		return NULL;
	if (strcmp(name, "e2e") == 0)
		h = rec->e2e;
	else if (strcmp(name, "ttft") == 0)
		h = rec->ttft;
	else if (strcmp(name, "itl") == 0)
		h = rec->itl;
	else if (strcmp(name, "tpot") == 0)
		h = rec->tpot;
	else
		h = rec->send_lag;
	json_object_set_new(o, "unit", json_string("ms"));
	json_object_set_new(o, "count", json_integer(pg_hist_count(h)));
	for (i = 0; i < sizeof(stats) / sizeof(stats[0]); i++) {
		pg_stat s = {stats[i].kind, stats[i].q};
		double v;

		if (pg_metric_value(&v, rec, m, &s) < 0)
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

static double scalar(const pg_recorder *rec, const char *name)
{
	pg_stat none = {PG_STAT_NONE, 0};
	double v;

	if (pg_metric_value(&v, rec, pg_metric_find(name), &none) < 0)
		return 0.0 / 0.0;
	return v;
}

static json_t *metrics_json(const pg_scenario_result *sr)
{
	const pg_recorder *rec = sr->rec;
	json_t *m = json_object(), *thr = json_object(), *err = json_object();
	json_t *by_class = json_object(), *by_status = json_object(), *req = json_object();
	json_t *tok = json_object(), *src = json_object();
	char key[8];
	int i;

	json_object_set_new(m, "e2e", dist_json(rec, "e2e"));
	json_object_set_new(m, "ttft", dist_json(rec, "ttft"));
	json_object_set_new(m, "itl", dist_json(rec, "itl"));
	json_object_set_new(m, "tpot", dist_json(rec, "tpot"));
	json_object_set_new(m, "schedule_lag", dist_json(rec, "schedule_lag"));
	set_num(thr, "rps", scalar(rec, "throughput.rps"));
	set_num(thr, "output_tokens_per_s", scalar(rec, "output_tokens_per_s"));
	json_object_set_new(m, "throughput", thr);
	set_num(m, "output_tokens_per_s", scalar(rec, "output_tokens_per_s"));
	set_num(err, "rate", scalar(rec, "errors.rate"));
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
	json_object_set_new(m, "errors", err);
	json_object_set_new(req, "total", json_integer(rec->succeeded + rec->failed));
	json_object_set_new(req, "succeeded", json_integer(rec->succeeded));
	json_object_set_new(req, "failed", json_integer(rec->failed));
	json_object_set_new(req, "warmup", json_integer(sr->report.warmup_requests));
	json_object_set_new(req, "completed_in_window", json_integer(rec->completed_in_window));
	json_object_set_new(m, "requests", req);
	json_object_set_new(tok, "output_total", json_integer(rec->output_tokens));
	json_object_set_new(tok, "input_total", json_integer(rec->input_tokens));
	json_object_set_new(src, "usage", json_integer(rec->tokens_by_source[PG_TOKENS_USAGE]));
	json_object_set_new(src, "chunks", json_integer(rec->tokens_by_source[PG_TOKENS_CHUNKS]));
	json_object_set_new(tok, "requests_by_source", src);
	json_object_set_new(tok, "source",
			    json_string(rec->tokens_by_source[0] && rec->tokens_by_source[1]
					    ? "mixed"
					    : rec->tokens_by_source[0]   ? "usage"
					    : rec->tokens_by_source[1]   ? "chunks"
									 : "none"));
	json_object_set_new(m, "tokens", tok);
	return m;
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

static json_t *scenario_json(const pg_scenario_result *sr)
{
	const pg_load *l = &sr->scenario->load;
	json_t *o = json_object(), *load = json_object(), *reqs = json_array();
	size_t i;

	json_object_set_new(o, "name", json_string(sr->scenario->name));
	json_object_set_new(o, "verdict", json_string(sr->pass ? "pass" : "fail"));
	json_object_set_new(load, "model", json_string("closed"));
	json_object_set_new(load, "concurrency", json_integer(l->concurrency));
	set_num(load, "duration_s", (double)l->duration / 1e9);
	json_object_set_new(load, "requests", json_integer(l->requests));
	set_num(load, "warmup_s", (double)l->warmup / 1e9);
	set_num(load, "timeout_s", (double)l->timeout / 1e9);
	json_object_set_new(o, "load", load);
	set_num(o, "window_s", (double)(sr->rec->window_end - sr->rec->window_start) / 1e9);
	json_object_set_new(o, "metrics", metrics_json(sr));
	for (i = 0; i < sr->n_reqs; i++)
		json_array_append_new(reqs, requirement_json(&sr->reqs[i]));
	json_object_set_new(o, "requirements", reqs);
	return o;
}

json_t *pg_report_json_build(const pg_run_result *run)
{
	json_t *doc = json_object(), *sc = json_array(), *target = json_object();
	const pg_target *t = &run->suite->target;
	size_t i;

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
	json_object_set_new(target, "url", json_string(run->target));
	json_object_set_new(target, "model", t->model ? json_string(t->model) : json_null());
	json_object_set_new(doc, "target", target);
	json_object_set_new(doc, "verdict", json_string(run->pass ? "pass" : "fail"));
	for (i = 0; i < run->n_scenarios; i++)
		json_array_append_new(sc, scenario_json(&run->scenarios[i]));
	json_object_set_new(doc, "scenarios", sc);
	return doc;
}

int pg_report_json_write(const char *dir, const pg_run_result *run)
{
	char path[4096];
	json_t *doc = NULL;
	char *text = NULL;
	int rc, n;

	if ((rc = pg_mkdir_p(dir)) < 0)
		return rc;
	n = snprintf(path, sizeof(path), "%s/results.json", dir);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		pg_error_set("--out: path too long");
		return PG_EINVAL;
	}
	rc = PG_ENOMEM;
	doc = pg_report_json_build(run);
	if (doc == NULL)
		goto done;
	text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
	if (text == NULL)
		goto done;
	rc = pg_file_write_atomic(path, text, strlen(text));
done:
	free(text);
	json_decref(doc);
	return rc;
}
