/* The console result table. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "units.h"

#define GREEN "\033[32m"
#define RED "\033[31m"
#define BOLD "\033[1m"
#define RESET "\033[0m"

static const struct {
	const char *label;
	pg_stat_kind kind;
	double q;
} columns[] = {
	{"min", PG_STAT_MIN, 0},      {"mean", PG_STAT_MEAN, 0},    {"p50", PG_STAT_QUANTILE, 0.5},
	{"p90", PG_STAT_QUANTILE, 0.9}, {"p95", PG_STAT_QUANTILE, 0.95}, {"p99", PG_STAT_QUANTILE, 0.99},
	{"p99.9", PG_STAT_QUANTILE, 0.999}, {"max", PG_STAT_MAX, 0},
};

static void print_dist_row(FILE *out, const pg_measure *ms, const char *name)
{
	const pg_metric_def *m = pg_metric_find(name);
	size_t i;

	fprintf(out, "  %-14s", name);
	for (i = 0; i < sizeof(columns) / sizeof(columns[0]); i++) {
		pg_stat s = {columns[i].kind, columns[i].q};
		double v;

		if (pg_metric_value(&v, ms, m, &s) < 0)
			fprintf(out, " %9s", "-");
		else
			fprintf(out, " %9.3f", v / 1e6);
	}
	fputc('\n', out);
}

static const char *token_source(const pg_recorder *rec)
{
	if (rec->tokens_by_source[PG_TOKENS_USAGE] && rec->tokens_by_source[PG_TOKENS_CHUNKS])
		return "server usage for some requests, counted chunks for others";
	if (rec->tokens_by_source[PG_TOKENS_USAGE])
		return "server usage";
	if (rec->tokens_by_source[PG_TOKENS_CHUNKS])
		return "counted content chunks (server sent no usage)";
	return "none";
}

/* Formats a canonical value in the metric's display unit ("22.618 ms"). */
static const char *fmt_value(char *buf, size_t size, const pg_metric_def *m, double display)
{
	const char *unit = pg_metric_display_unit(m);

	if (m->unit == PG_MU_USD)
		snprintf(buf, size, "%s$%.6f", display < 0 ? "-" : "", fabs(display));
	else
		snprintf(buf, size, "%.*f%s%s", fabs(display) >= 1000 ? 0 : 3, display,
			 *unit ? " " : "", unit);
	return buf;
}

static void print_requirements(FILE *out, const pg_scenario_result *sr, int color)
{
	char a[48], b[48], c[48];
	size_t i;

	if (sr->n_reqs == 0) {
		fprintf(out, "  (no requirements)\n");
		return;
	}
	fprintf(out, "  %-34s %14s %14s %14s  %s\n", "requirement", "measured", "limit", "margin",
		"verdict");
	for (i = 0; i < sr->n_reqs; i++) {
		const pg_req_result *rr = &sr->reqs[i];
		const pg_metric_def *m = rr->req->metric;

		fmt_value(b, sizeof(b), m, pg_metric_to_display(m, rr->req->limit));
		if (rr->has_value) {
			fmt_value(a, sizeof(a), m, pg_metric_to_display(m, rr->measured));
			fmt_value(c, sizeof(c), m, pg_gate_margin(rr));
		} else {
			snprintf(a, sizeof(a), "-");
			snprintf(c, sizeof(c), "-");
		}
		fprintf(out, "  %-34.34s %14s %14s %14s  ", rr->req->text, a, b, c);
		if (color)
			fprintf(out, "%s%s%s", rr->met ? GREEN : RED, rr->met ? "met" : "FAILED", RESET);
		else
			fprintf(out, "%s", rr->met ? "met" : "FAILED");
		if (!rr->has_value)
			fprintf(out, " (%s)", rr->reason);
		fputc('\n', out);
	}
}

static void print_sweep(FILE *out, const pg_scenario_result *sr)
{
	size_t i;

	fprintf(out, "  sweep over %s:\n  %10s %12s %12s %12s %9s\n",
		sr->scenario->sweep->by_rate ? "rate (/s)" : "concurrency", "load",
		"e2e p95 ms", "ttft p95 ms", "req/s", "errors");
	for (i = 0; i < sr->n_levels; i++) {
		const pg_sweep_level *l = &sr->levels[i];

		fprintf(out, "  %10g %12.3f %12.3f %12.2f %8.2f%%", l->load, l->e2e_p95 / 1e6,
			l->ttft_p95 / 1e6, l->rps, l->error_rate * 100.0);
		if (!isnan(l->quality))
			fprintf(out, "  quality %.3f", l->quality);
		fprintf(out, "%s\n", (long)i == sr->knee ? "  <- knee" : "");
	}
	fprintf(out, "  knee: %s\n", sr->knee_reason);
}

static void print_scenario(FILE *out, const pg_scenario_result *sr, int color)
{
	const pg_measure *ms = &sr->measure;
	const pg_recorder *rec = sr->run.rec;
	const pg_load *l = &sr->scenario->load;
	int64_t total = rec->succeeded + rec->failed;
	double window = (double)(rec->window_end - rec->window_start) / 1e9;
	double rps = 0, tps = 0, err = 0;
	pg_stat none = {PG_STAT_NONE, 0};
	int c;

	fprintf(out, "\n%sscenario %s%s: %lld requests (%lld ok, %lld failed", color ? BOLD : "",
		sr->scenario->name, color ? RESET : "", (long long)total, (long long)rec->succeeded,
		(long long)rec->failed);
	if (rec->cancelled)
		fprintf(out, ", %lld cancelled", (long long)rec->cancelled);
	fprintf(out, "), ");
	if (l->model == PG_LOAD_CLOSED)
		fprintf(out, "%lld concurrent", (long long)(sr->scenario->sweep && sr->n_levels
								? (int64_t)sr->levels[sr->knee >= 0 ? sr->knee : 0].load
								: l->concurrency));
	else if (l->model == PG_LOAD_OPEN)
		fprintf(out, "open loop, %zu stage%s", l->n_stages, l->n_stages == 1 ? "" : "s");
	else
		fprintf(out, "trace replay of %zu arrivals", l->n_trace);
	fprintf(out, ", %.2f s measured", window > 0 ? window : 0.0);
	if (sr->run.warmup_requests)
		fprintf(out, " after %lld warmup requests", (long long)sr->run.warmup_requests);
	if (sr->run.interrupted)
		fprintf(out, "\n  %sINTERRUPTED%s after %.1f s: partial results%s", color ? RED BOLD : "",
			color ? RESET : "", (double)sr->run.interrupted_at / 1e9,
			sr->levels != NULL ? ", the remaining sweep levels were skipped" : "");
	fprintf(out, "\n  %-14s", "latency (ms)");
	for (c = 0; c < (int)(sizeof(columns) / sizeof(columns[0])); c++)
		fprintf(out, " %9s", columns[c].label);
	fputc('\n', out);
	print_dist_row(out, ms, "ttft");
	print_dist_row(out, ms, "e2e");
	print_dist_row(out, ms, "itl");
	print_dist_row(out, ms, "tpot");
	if (l->model != PG_LOAD_CLOSED)
		print_dist_row(out, ms, "schedule_lag");
	pg_metric_value(&rps, ms, pg_metric_find("throughput.rps"), &none);
	pg_metric_value(&tps, ms, pg_metric_find("output_tokens_per_s"), &none);
	pg_metric_value(&err, ms, pg_metric_find("errors.rate"), &none);
	fprintf(out, "  throughput %.2f req/s, %.1f output tokens/s; errors %.3f%%", rps, tps,
		err * 100.0);
	if (rec->failed) {
		static const char *const names[] = {"", "connect", "timeout", "network",
						    "http", "stream", "protocol"};
		const char *sep = " (";

		for (c = 1; c < PG_FAIL_CLASS_COUNT; c++) {
			if (rec->failed_by_class[c]) {
				fprintf(out, "%s%s %lld", sep, names[c],
					(long long)rec->failed_by_class[c]);
				sep = ", ";
			}
		}
		fputc(')', out);
	}
	fprintf(out, "\n  output tokens: %s\n", token_source(rec));
	if (rec->dropped || rec->late)
		fprintf(out, "  generator: %lld sends late by over 1 ms, %lld arrivals dropped at "
			     "the in-flight cap\n",
			(long long)rec->late, (long long)rec->dropped);
	if (ms->cost != NULL) {
		double req = 0, hour = 0;

		if (pg_metric_value(&req, ms, pg_metric_find("cost.per_request"), &none) == 0 &&
		    pg_metric_value(&hour, ms, pg_metric_find("cost.per_hour_at_load"), &none) == 0)
			fprintf(out, "  cost: $%.6f per request, $%.2f per hour at this load\n", req,
				hour);
	}
	if (rec->scored > 0) {
		double q = 0, pass = 0, p10 = 0;

		pg_metric_value(&q, ms, pg_metric_find("quality.score"), &none);
		pg_metric_value(&pass, ms, pg_metric_find("quality.pass_rate"), &none);
		pg_metric_value(&p10, ms, pg_metric_find("quality.p10"), &none);
		fprintf(out, "  quality: score %.3f, %.1f%% passed, p10 %.3f (%lld graded)\n", q,
			pass * 100.0, p10, (long long)rec->scored);
	}
	if (rec->over_limit)
		fprintf(out, "  max_tokens: %lld of %lld answers were longer than the limit sent\n",
			(long long)rec->over_limit, (long long)rec->limited);
	if (sr->run.first_connect_error[0])
		fprintf(out, "  first connect error: %s\n", sr->run.first_connect_error);
	if (sr->levels != NULL)
		print_sweep(out, sr);
	print_requirements(out, sr, color);
}

static void add_point(pg_tradeoff_point *pts, size_t *n, const char *label, double p95, double q)
{
	if (isnan(p95) || isnan(q))
		return;
	snprintf(pts[*n].label, sizeof(pts[*n].label), "%s", label);
	pts[*n].e2e_p95 = p95;
	pts[*n].quality = q;
	pts[*n].pareto = 0;
	(*n)++;
}

int pg_report_tradeoff(pg_tradeoff_point **out, size_t *n, const pg_run_result *run)
{
	pg_tradeoff_point *pts;
	size_t cap = 0, i, j, k = 0;

	*out = NULL;
	*n = 0;
	if (run->suite->quality == NULL)
		return 0;
	for (i = 0; i < run->n_scenarios; i++)
		cap += run->scenarios[i].levels ? run->scenarios[i].n_levels : 1;
	pts = calloc(cap ? cap : 1, sizeof(*pts));
	if (pts == NULL)
		return PG_ENOMEM;
	for (i = 0; i < run->n_scenarios; i++) {
		const pg_scenario_result *sr = &run->scenarios[i];
		pg_stat p95 = {PG_STAT_QUANTILE, 0.95}, none = {PG_STAT_NONE, 0};
		double lat, q;
		char label[160];

		if (sr->levels != NULL) {
			for (j = 0; j < sr->n_levels; j++) {
				snprintf(label, sizeof(label), "%s @ %g", sr->scenario->name,
					 sr->levels[j].load);
				add_point(pts, &k, label, sr->levels[j].e2e_p95, sr->levels[j].quality);
			}
			continue;
		}
		if (pg_metric_value(&lat, &sr->measure, pg_metric_find("e2e"), &p95) == 0 &&
		    pg_metric_value(&q, &sr->measure, pg_metric_find("quality.score"), &none) == 0)
			add_point(pts, &k, sr->scenario->name, lat, q);
	}
	for (i = 0; i < k; i++) {
		pts[i].pareto = 1;
		for (j = 0; j < k; j++)
			if (j != i && pts[j].e2e_p95 <= pts[i].e2e_p95 &&
			    pts[j].quality >= pts[i].quality &&
			    (pts[j].e2e_p95 < pts[i].e2e_p95 || pts[j].quality > pts[i].quality))
				pts[i].pareto = 0;
	}
	*out = pts;
	*n = k;
	return 0;
}

static void print_tradeoff(FILE *out, const pg_run_result *run)
{
	pg_tradeoff_point *pts = NULL;
	size_t n = 0, i;

	if (pg_report_tradeoff(&pts, &n, run) < 0 || n < 2) {
		free(pts);
		return;
	}
	fprintf(out, "\nquality vs latency (* = Pareto-optimal: nothing is both faster and "
		     "better)\n  %-40s %12s %9s\n",
		"scenario", "e2e p95 ms", "quality");
	for (i = 0; i < n; i++)
		fprintf(out, "  %-40.40s %12.3f %9.3f %s\n", pts[i].label, pts[i].e2e_p95 / 1e6,
			pts[i].quality, pts[i].pareto ? "*" : "");
	free(pts);
}

void pg_report_console(FILE *out, const pg_run_result *run, int color)
{
	size_t i, met = 0, n = 0, j;
	int interrupted = 0;

	fprintf(out, "perfgate %s  suite %s  target %s\n", PG_VERSION, run->suite->name,
		run->target);
	for (i = 0; i < run->n_scenarios; i++) {
		print_scenario(out, &run->scenarios[i], color);
		for (j = 0; j < run->scenarios[i].n_reqs; j++, n++)
			met += run->scenarios[i].reqs[j].met ? 1 : 0;
		interrupted |= run->scenarios[i].run.interrupted;
	}
	print_tradeoff(out, run);
	if (interrupted) { /* partial results decide nothing */
		fprintf(out, "\nverdict: %sINTERRUPTED%s (partial results: %zu of %zu requirements "
			     "met)\n",
			color ? RED BOLD : "", color ? RESET : "", met, n);
		return;
	}
	fprintf(out, "\nverdict: %s%s%s (%zu of %zu requirements met)\n",
		color ? (run->pass ? GREEN BOLD : RED BOLD) : "", run->pass ? "PASS" : "FAIL",
		color ? RESET : "", met, n);
}
