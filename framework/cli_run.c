/*
 * `perfgate run` and `perfgate validate`: suite -> plan -> load -> gate ->
 * reports -> exit code.
 */
#define _GNU_SOURCE /* sched_getaffinity */
#include <sched.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "cli_baseline.h"
#include "estimate.h"
#include "engine.h"
#include "error.h"
#include "fileio.h"
#include "gate.h"
#include "judge_run.h"
#include "log.h"
#include "mock.h"
#include "plugin_loader.h"
#include "progress.h"
#include "redact.h"
#include "report.h"
#include "report_ci.h"
#include "shard.h"
#include "suite.h"

static const char usage_run[] =
    "usage: perfgate run SUITE [options]\n"
    "       perfgate validate SUITE [options]\n"
    "\n"
    "options:\n"
    "  --scenario NAME     run only this scenario\n"
    "  --out DIR           write DIR/results.json\n"
    "  --target URL        replace the suite's target URL\n"
    "  --set KEY=VALUE     override a suite value by dotted path (repeatable),\n"
    "                      e.g. --set scenarios.0.load.duration=60s\n"
    "  --plugin-path DIRS  ':'-separated directories searched for plugins\n"
    "  --workers N         event-loop threads (default: one per core)\n"
    "  --request-log FILE  write one line per measured request (times in ns)\n"
    "  --transport NAME    h1 (native HTTP/1.1) or curl (libcurl: TLS, HTTP/2, proxies);\n"
    "                      default: h1 for http://, curl otherwise\n"
    "  --report SPEC       also write CI reports: junit,github,gitlab,openmetrics,html\n"
    "                      (each optionally =PATH; default paths in --out DIR)\n"
    "  --repeat N          run every scenario N times (1..100); comparisons use the\n"
    "                      spread between the runs\n"
    "  --shard I/N         run share I of N of the load (1 <= I <= N <= 1000) and write\n"
    "                      a part for `perfgate merge` (docs/sharding.md)\n"
    "\n"
    "baselines (docs/statistics.md):\n"
    "  --baseline REF      compare with the baselines committed at REF (default when\n"
    "                      the suite has a `baseline:` section: the merge-base of\n"
    "                      HEAD with the base branch)\n"
    "  --baseline-file F   compare with a baseline file or a results.json\n"
    "  --no-baseline       do not compare\n"
    "  --strict            an inconclusive comparison fails (1), a refused one exits 2\n"
    "  --force             compare even when load, workload, target or machine differ\n"
    "  --update-baseline   when the run passes, add it to baselines/<suite>/<scenario>.json\n"
    "  --commit            ... and commit those files (libgit2)\n"
    "  --branch NAME       ... and commit them to branch NAME instead, without a checkout\n"
    "  --color, --no-color force or disable colour (default: on a terminal)\n"
    "  -q, --quiet         no progress line on stderr (a live line on a terminal,\n"
    "                      else one every 5 s) and no info messages\n"
    "  -v, --verbose       log more\n"
    "\n"
    "Ctrl-C (SIGINT) or SIGTERM stops the run and writes what was measured, marked\n"
    "interrupted; a second one exits at once (130).\n"
    "Exit codes: 0 every requirement met, 1 a requirement failed or a regression,\n"
    "2 bad suite or usage, 3 the run could not be carried out, 4 interrupted\n"
    "(partial results written, baselines untouched).\n";

typedef struct run_args {
	const char *suite;
	const char *scenario;
	const char *out;
	const char *target;
	const char *plugin_path;
	const char **sets;
	size_t n_sets;
	int color; /* -1 auto */
	unsigned int workers; /* 0: one per core */
	const char *request_log;
	unsigned int repeat;
	const char *report;
	pg_baseline_args baseline;
	int no_baseline;
	int quiet;
	pg_shard shard; /* --shard I/N; count 0: not sharded */
} run_args;

const pg_plugin_desc *pg_cli_lookup_plugin(void *ctx, pg_plugin_kind kind, const char *name)
{
	return pg_plugins_find(ctx, kind, name);
}

int pg_cli_append(const char ***list, size_t *n, const char *s)
{
	const char **grown = realloc(*list, (*n + 1) * sizeof(*grown));

	if (grown == NULL)
		return PG_ENOMEM;
	*list = grown;
	grown[(*n)++] = s;
	return 0;
}

int pg_cli_transport_option(const char ***sets, size_t *n, const char *name, const char *prog)
{
	static char set[128];

	if (strlen(name) > 64) {
		fprintf(stderr, "%s: --transport '%s': name too long\n", prog, name);
		return PG_EXIT_USAGE;
	}
	snprintf(set, sizeof(set), "target.transport=%s", name);
	return pg_cli_append(sets, n, set) < 0 ? PG_EXIT_ERROR : 0;
}

int pg_cli_parse_workers(unsigned int *out, const char *text, const char *prog)
{
	char *end;
	long v = strtol(text, &end, 10);

	if (*text == '\0' || *end != '\0' || v < 1 || v > 1024) {
		fprintf(stderr, "%s: --workers '%s': expected a whole number from 1 to 1024\n",
			prog, text);
		return PG_EXIT_USAGE;
	}
	*out = (unsigned int)v;
	return 0;
}

static int parse_args(run_args *a, int argc, char **argv)
{
	static const struct option longopts[] = {{"scenario", required_argument, NULL, 's'},
						 {"out", required_argument, NULL, 'o'},
						 {"target", required_argument, NULL, 't'},
						 {"set", required_argument, NULL, 'S'},
						 {"plugin-path", required_argument, NULL, 'p'},
						 {"workers", required_argument, NULL, 'w'},
						 {"transport", required_argument, NULL, 'T'},
						 {"request-log", required_argument, NULL, 'R'},
						 {"repeat", required_argument, NULL, 'r'},
						 {"report", required_argument, NULL, 'P'},
						 PG_CLI_BASELINE_LONGOPTS,
						 {"color", no_argument, NULL, 'c'},
						 {"no-color", no_argument, NULL, 'C'},
						 {"verbose", no_argument, NULL, 'v'},
						 {"quiet", no_argument, NULL, 'q'},
						 {"shard", required_argument, NULL, 'D'},
						 {"help", no_argument, NULL, 'h'},
						 {NULL, 0, NULL, 0}};
	int c;

	a->color = -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "vqh", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			a->scenario = optarg;
			break;
		case 'o':
			a->out = optarg;
			break;
		case 't':
			a->target = optarg;
			break;
		case 'S':
			if (pg_cli_append(&a->sets, &a->n_sets, optarg) < 0)
				return PG_EXIT_ERROR;
			break;
		case 'R':
			a->request_log = optarg;
			break;
		case 'w':
			if (pg_cli_parse_workers(&a->workers, optarg, "perfgate") != 0)
				return PG_EXIT_USAGE;
			break;
		case 'T': {
			int rc = pg_cli_transport_option(&a->sets, &a->n_sets, optarg, "perfgate");

			if (rc != 0)
				return rc;
			break;
		}
		case 'p':
			a->plugin_path = optarg;
			break;
		case 'r': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*optarg == '\0' || *end != '\0' || v < 1 || v > 100) {
				fprintf(stderr, "perfgate: --repeat '%s': expected a count from 1 to "
						"100\n", optarg);
				return PG_EXIT_USAGE;
			}
			a->repeat = (unsigned int)v;
			break;
		}
		case 'P':
			if (pg_reports_check(optarg) < 0) {
				fprintf(stderr, "perfgate: %s\n", pg_error_last());
				return PG_EXIT_USAGE;
			}
			a->report = optarg;
			break;
		case 'c':
			a->color = 1;
			break;
		case 'C':
			a->color = 0;
			break;
		case 'v':
			pg_log_set_level(PG_LOG_DEBUG);
			break;
		case 'q':
			a->quiet = 1;
			break;
		case 'D':
			if (pg_shard_parse(&a->shard, optarg) < 0) {
				fprintf(stderr, "perfgate: %s\n", pg_error_last());
				return PG_EXIT_USAGE;
			}
			break;
		case 'h':
			fputs(usage_run, stdout);
			return -1;
		default:
			if (pg_cli_baseline_option(&a->baseline, &a->no_baseline, c, optarg))
				break;
			fputs(usage_run, stderr);
			return PG_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "perfgate: %s\n\n%s",
			optind >= argc ? "missing SUITE argument" : "expected exactly one SUITE",
			usage_run);
		return PG_EXIT_USAGE;
	}
	a->suite = argv[optind];
	if (a->quiet)
		pg_log_set_level(PG_LOG_WARN); /* --quiet wins over -v */
	if (pg_cli_baseline_check(&a->baseline, a->no_baseline, "perfgate") != 0)
		return PG_EXIT_USAGE;
	if (a->shard.count > 0 && (a->baseline.enabled || a->baseline.update || a->report)) {
		fprintf(stderr, "perfgate: --shard writes a part; give --baseline, "
				"--baseline-file, --report and --update-baseline to `perfgate "
				"merge`\n");
		return PG_EXIT_USAGE;
	}
	return 0;
}

/* Starts the embedded mock for a mock:// target and writes the base URL.
 * Repeat r > 0 runs it with seed + r, so each repeat draws its own
 * run-to-run noise, as a restarted server would. */
static int start_mock(pg_mock_server **mock, char *base, size_t size, const char *url,
		      unsigned int r)
{
	pg_mock_config cfg = PG_MOCK_CONFIG_INIT;
	const char *q = strchr(url, '?');
	int rc;

	if (q != NULL && (rc = pg_mock_config_parse(&cfg, q + 1)) < 0)
		return PG_EINVAL;
	cfg.seed += r;
	if ((rc = pg_mock_start(mock, &cfg, "127.0.0.1", 0)) < 0)
		return rc;
	snprintf(base, size, "http://127.0.0.1:%d/v1", pg_mock_port(*mock));
	return 0;
}

/* One worker per CPU this process may run on (taskset and cgroup cpusets
 * included). */
static unsigned int default_workers(void)
{
	cpu_set_t set;
	long n;

	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) >= 1)
		return (unsigned int)CPU_COUNT(&set);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n >= 1 && n <= 1024 ? (unsigned int)n : 1;
}

/* Summarises one run for the sweep table. */
static void level_of(pg_sweep_level *lv, double load, const pg_engine_result *r)
{
	pg_measure m;
	pg_stat p95 = {PG_STAT_QUANTILE, 0.95}, none = {PG_STAT_NONE, 0};

	memset(&m, 0, sizeof(m));
	m.rec = r->rec;
	lv->load = load;
	if (pg_metric_value(&lv->e2e_p95, &m, pg_metric_find("e2e"), &p95) < 0)
		lv->e2e_p95 = NAN;
	if (pg_metric_value(&lv->ttft_p95, &m, pg_metric_find("ttft"), &p95) < 0)
		lv->ttft_p95 = NAN;
	if (pg_metric_value(&lv->rps, &m, pg_metric_find("throughput.rps"), &none) < 0)
		lv->rps = 0;
	if (pg_metric_value(&lv->error_rate, &m, pg_metric_find("errors.rate"), &none) < 0)
		lv->error_rate = 1.0;
	if (pg_metric_value(&lv->quality, &m, pg_metric_find("quality.score"), &none) < 0)
		lv->quality = NAN;
}

void pg_cli_sweep_level(pg_sweep_level *lv, double load, const pg_engine_result *r)
{
	level_of(lv, load, r);
}

/* The progress line of the run pg_cli_execute is carrying out, and where
 * the run is, for the line's label. Main thread only. */
static struct {
	pg_progress_display *display; /* NULL: no progress line */
	unsigned int repeat, repeats; /* 0-based repeat, number of repeats */
} live;

/* Names the engine run about to start on the progress line: the scenario,
 * the repeat when there are several, the sweep level (NULL: none). */
static void live_label(const char *scenario, const double *level)
{
	char label[160];
	int n = snprintf(label, sizeof(label), "%s", scenario);

	if (n >= 0 && (size_t)n < sizeof(label) && live.repeats > 1)
		n += snprintf(label + n, sizeof(label) - (size_t)n, " repeat %u/%u",
			      live.repeat + 1, live.repeats);
	if (n >= 0 && (size_t)n < sizeof(label) && level != NULL)
		snprintf(label + n, sizeof(label) - (size_t)n, " level %g", *level);
	pg_progress_set_label(live.display, label);
}

/* Runs one engine run with the progress line, and erases the line after. */
static int engine_run_live(pg_engine_result *out, const pg_engine_opts *eo, const char *scenario,
			   const double *level)
{
	int rc;

	live_label(scenario, level);
	rc = pg_engine_run(out, eo);
	pg_progress_clear(live.display);
	if (rc == 0 && out->interrupted)
		pg_log(PG_LOG_WARN, "scenario %s: interrupted after %.1f s; %lld measured "
				    "requests in flight were cancelled",
		       scenario, (double)out->interrupted_at / 1e9, (long long)out->rec->cancelled);
	return rc;
}

/* --shard: appends a sweep level's mergeable state to states. */
static int keep_level_state(json_t *states, const pg_engine_result *r)
{
	json_t *st = NULL;
	int rc = pg_shard_run_to_json(&st, r, NULL);

	if (rc == 0 && json_array_append_new(states, st) < 0)
		rc = PG_ENOMEM;
	return rc;
}

/* Runs a sweep: the scenario's load once per level; keeps the knee run. An
 * interrupt ends it at the level it cut short (which is kept, partial);
 * the levels after it are skipped and the scenario is marked interrupted. */
static int run_sweep(pg_scenario_result *sr, pg_engine_opts *eo, json_t *states)
{
	const pg_sweep *sw = sr->scenario->sweep;
	pg_engine_result *runs = calloc(sw->n_levels, sizeof(*runs));
	char label[160];
	pg_stage stage;
	pg_load load;
	size_t i, keep;
	int rc = 0, cut = 0;

	sr->levels = calloc(sw->n_levels, sizeof(*sr->levels));
	if (runs == NULL || sr->levels == NULL) {
		free(runs);
		return PG_ENOMEM;
	}
	for (i = 0; i < sw->n_levels; i++) {
		if (i > 0 && pg_progress_interrupted()) {
			cut = 1; /* the levels from here on are skipped */
			break;
		}
		load = sr->scenario->load;
		if (sw->by_rate) {
			stage = load.stages[0];
			stage.rate_from = stage.rate_to = sw->levels[i];
			load.stages = &stage;
			load.n_stages = 1;
		} else {
			load.concurrency = (int64_t)sw->levels[i];
		}
		eo->load = &load;
		pg_log(PG_LOG_INFO, "scenario %s: sweep level %g", sr->scenario->name,
		       sw->levels[i]);
		if ((rc = engine_run_live(&runs[i], eo, sr->scenario->name, &sw->levels[i])) < 0)
			break;
		snprintf(label, sizeof(label), "%s level %g", sr->scenario->name,
			 sw->levels[i]);
		if (!runs[i].interrupted && (rc = pg_judge_run(&runs[i], eo->suite, label)) < 0)
			break;
		level_of(&sr->levels[i], sw->levels[i], &runs[i]);
		sr->n_levels = i + 1;
		if (states != NULL && (rc = keep_level_state(states, &runs[i])) < 0)
			break;
		if (runs[i].interrupted) {
			cut = 1;
			break;
		}
	}
	eo->load = &sr->scenario->load;
	if (rc == 0) {
		pg_analysis_knee(&sr->knee, sr->knee_reason, sizeof(sr->knee_reason), sr->levels,
				 sr->n_levels, sw);
		keep = sr->knee >= 0 ? (size_t)sr->knee : 0;
		sr->run = runs[keep];
		memset(&runs[keep], 0, sizeof(runs[keep]));
		if (cut && !sr->run.interrupted) {
			/* the knee is a finished level; the sweep itself was cut short */
			sr->run.interrupted = 1;
			sr->run.interrupted_at = runs[sr->n_levels - 1].interrupted_at;
		}
		if (sr->knee >= 0) {
			sr->measure.has_capacity = 1;
			sr->measure.capacity_rps = sr->levels[sr->knee].rps;
			sr->measure.capacity_load = sr->levels[sr->knee].load;
			sr->measure.capacity_by_rate = sw->by_rate;
		}
	}
	for (i = 0; i < sw->n_levels; i++)
		pg_engine_result_clear(&runs[i]);
	free(runs);
	return rc;
}

/* --shard: adds the run's mergeable state to its runs[] entry (the part's
 * document moves it to the scenario's "state"); takes the sweep's levels. */
static int add_state(json_t *entry, const pg_scenario_result *sr, json_t *levels)
{
	json_t *st = NULL;
	int rc = 0;

	if (levels != NULL)
		st = json_pack("{s:o}", "levels", levels);
	else
		rc = pg_shard_run_to_json(&st, &sr->run, &sr->measure);
	if (rc == 0 && (st == NULL || json_object_set_new(entry, "state", st) < 0))
		rc = PG_ENOMEM;
	return rc;
}

static int run_scenario(pg_scenario_result *sr, pg_engine_opts *eo, int keep_state)
{
	const pg_load *l = &sr->scenario->load;
	json_t *levels = NULL; /* --shard: the sweep levels' states */
	int rc;

	sr->knee = -1;
	eo->scenario = sr->scenario;
	eo->load = l;
	if (keep_state && sr->scenario->sweep != NULL && (levels = json_array()) == NULL)
		return PG_ENOMEM;
	if (sr->scenario->sweep != NULL)
		rc = run_sweep(sr, eo, levels);
	else if ((rc = engine_run_live(&sr->run, eo, sr->scenario->name, NULL)) == 0 &&
		 !sr->run.interrupted) /* an interrupted run's sample is not judged */
		rc = pg_judge_run(&sr->run, eo->suite, sr->scenario->name);
	if (rc < 0 || (sr->runs == NULL && (sr->runs = json_array()) == NULL)) {
		json_decref(levels);
		return rc < 0 ? rc : PG_ENOMEM;
	}
	sr->measure.rec = sr->run.rec;
	sr->measure.cost = eo->suite->cost;
	if (l->spike_end > l->spike_start) {
		pg_ns w = sr->run.window_offset;

		sr->measure.has_recovery = 1;
		pg_analysis_recovery(&sr->measure.recovery_ns, sr->measure.recovery_reason,
				     sizeof(sr->measure.recovery_reason), sr->run.series,
				     w + l->spike_start, w + l->spike_end, w + l->duration);
	}
	if (sr->run.generator_bound)
		pg_log(PG_LOG_WARN,
		       "scenario %s: %lld of %lld sends were more than 1 ms behind schedule: the "
		       "load generator, not the target, limited this run (add --workers or lower "
		       "the load)",
		       sr->scenario->name, (long long)sr->run.rec->late,
		       (long long)sr->run.rec->started);
	{
		json_t *entry = json_pack("{s:o, s:o}", "estimates",
					  pg_estimates_json(&sr->measure, sr->run.series,
							    eo->suite->baseline),
					  "windows", pg_windows_json(sr->run.series));

		if (entry == NULL || json_array_append_new(sr->runs, entry) < 0) {
			json_decref(levels);
			return PG_ENOMEM;
		}
		if (keep_state && (rc = add_state(entry, sr, levels)) < 0)
			return rc;
	}
	return pg_gate_evaluate(sr);
}

static int run_scenarios(pg_run_result *run, const pg_suite *suite, const run_args *a,
			 const char *base_url, FILE *request_log)
{
	pg_engine_opts eo = PG_ENGINE_OPTS_INIT;
	size_t i, n = 0;

	run->scenarios = calloc(suite->n_scenarios, sizeof(*run->scenarios));
	if (run->scenarios == NULL)
		return PG_ENOMEM;
	eo.suite = suite;
	eo.base_url = base_url;
	eo.host = pg_host_api_get();
	eo.adapter = suite->target.plugin;
	eo.adapter_options = suite->target.options;
	eo.transport = suite->target.transport_plugin;
	eo.transport_options = suite->target.transport_options;
	eo.workers = a->workers ? a->workers : default_workers();
	eo.request_log = request_log;
	eo.progress = live.display != NULL ? pg_progress_report : NULL;
	eo.progress_ctx = live.display;
	eo.interrupt = pg_progress_interrupt_flag();
	for (i = 0; i < suite->n_scenarios; i++) {
		const pg_scenario *sc = &suite->scenarios[i];
		pg_scenario_result *sr = &run->scenarios[n];
		int rc;

		if (a->scenario != NULL && strcmp(a->scenario, sc->name) != 0)
			continue;
		if (pg_progress_interrupted())
			break; /* interrupted: the remaining scenarios are skipped */
		sr->scenario = sc;
		pg_log(PG_LOG_INFO, "scenario %s: starting", sc->name);
		rc = run_scenario(sr, &eo, a->shard.count > 0);
		run->n_scenarios = ++n;
		if (rc < 0) {
			pg_error_prefix("scenario %s", sc->name);
			return rc;
		}
		if (sr->run.interrupted)
			break;
	}
	return 0;
}

/* A scenario where every measured request failed to connect. */
static const pg_scenario_result *unreachable(const pg_run_result *run)
{
	size_t i;

	for (i = 0; i < run->n_scenarios; i++) {
		const pg_recorder *r = run->scenarios[i].run.rec;

		if (r->succeeded == 0 && r->failed > 0 &&
		    r->failed_by_class[PG_FAIL_CONNECT] == r->failed)
			return &run->scenarios[i];
	}
	return NULL;
}

static int count_requirements(const pg_suite *s)
{
	size_t i, n = 0;

	for (i = 0; i < s->n_scenarios; i++)
		n += s->scenarios[i].n_reqs;
	return (int)n;
}

/* Creates (and drops) one adapter instance, so options only the plugin can
 * judge (a template, a JSON path, a file) are refused as a bad suite before
 * any load is sent. */
static int check_target_adapter(const pg_target *t)
{
	const pg_adapter_ops *ops = t->plugin->ops;
	pg_target_info ti = {t->url, t->model};
	void *inst = NULL;

	if (ops->create(&inst, pg_host_api_get(), t->options, &ti) < 0)
		return PG_EINVAL;
	ops->destroy(inst);
	return 0;
}

/* The suite's target adapter and, for a judged suite, the judge's. */
static int check_adapter(const pg_suite *suite, const char **which)
{
	*which = "target";
	if (check_target_adapter(&suite->target) < 0)
		return PG_EINVAL;
	*which = "quality.judge";
	if (suite->quality != NULL && suite->quality->judge != NULL &&
	    check_target_adapter(suite->quality->judge) < 0)
		return PG_EINVAL;
	return 0;
}

/* The same for the quality scorer (a regex, a JSON schema). */
static int check_scorer(const pg_suite *suite)
{
	const pg_scorer_ops *ops;
	void *inst = NULL;

	if (suite->quality == NULL)
		return 0;
	ops = suite->quality->plugin->ops;
	if (ops->create(&inst, pg_host_api_get(), suite->quality->options) < 0)
		return PG_EINVAL;
	ops->destroy(inst);
	return 0;
}

/* Appends the per-repeat estimates of extra's scenarios to run's. */
static void adopt_repeat(pg_run_result *run, const pg_run_result *extra)
{
	size_t i, j;

	for (i = 0; i < run->n_scenarios && i < extra->n_scenarios; i++)
		for (j = 0; j < json_array_size(extra->scenarios[i].runs); j++)
			json_array_append(run->scenarios[i].runs,
					  json_array_get(extra->scenarios[i].runs, j));
}

/* Runs the suite's scenarios x->repeat times into run; the first repeat's
 * measurements are the reported ones, every repeat adds its estimates. */
static int run_repeats(pg_run_result *run, const pg_suite *suite, const pg_exec_opts *x,
		       FILE *request_log, pg_mock_server **mock, int *exit_code, unsigned int first,
		       unsigned int count)
{
	unsigned int r, n = first + count;
	run_args a;
	char base[1024];
	int rc;

	memset(&a, 0, sizeof(a));
	a.scenario = x->scenario;
	a.workers = x->workers;
	if (x->shard != NULL)
		a.shard = *x->shard;
	for (r = first; r < n; r++) {
		pg_run_result extra;
		pg_run_result *into = r == 0 ? run : &extra;

		if (strncmp(suite->target.url, "mock://", 7) == 0) {
			pg_mock_stop(*mock);
			*mock = NULL;
			rc = start_mock(mock, base, sizeof(base), suite->target.url, r);
			if (rc < 0) {
				fprintf(stderr, "perfgate: target %s: %s\n", suite->target.url,
					pg_error_last());
				*exit_code = rc == PG_EINVAL ? PG_EXIT_USAGE : PG_EXIT_ERROR;
				return rc;
			}
		} else {
			snprintf(base, sizeof(base), "%s", suite->target.url);
		}
		if (n > 1)
			pg_log(PG_LOG_INFO, "repeat %u of %u", r + 1, n);
		memset(&extra, 0, sizeof(extra));
		extra.suite = suite;
		live.repeat = r;
		live.repeats = n;
		rc = run_scenarios(into, suite, &a, base, r == 0 ? request_log : NULL);
		/* a repeat cut short by an interrupt is left out: its estimates
		 * would be biased */
		if (rc == 0 && r > 0 && !pg_progress_interrupted())
			adopt_repeat(run, &extra);
		else if (rc == 0 && r > 0)
			pg_log(PG_LOG_WARN, "repeat %u of %u was interrupted: left out", r + 1, n);
		if (r > 0)
			pg_run_result_clear(&extra);
		if (rc < 0) {
			fprintf(stderr, "perfgate: %s\n", pg_error_last());
			return rc;
		}
		if (pg_progress_interrupted())
			break; /* the remaining repeats are skipped */
	}
	return 0;
}

/* Compares the results with their baselines when asked (or when the suite
 * has a `baseline:` section). *exit_code becomes what the comparisons
 * call for; PG_EXIT_ERROR when the baseline could not be read. */
static void compare_baselines(json_t *doc, const pg_suite *suite, const pg_exec_opts *x,
			      const pg_baseline_cfg **cfg_out, pg_baseline_cfg **owned,
			      int *exit_code, int *compared, pg_compare_totals *totals)
{
	static const pg_baseline_args none;
	const pg_baseline_args *ba = x->baseline != NULL ? x->baseline : &none;
	pg_compare_totals t;

	*compared = 0;
	*exit_code = PG_EXIT_PASS;
	*cfg_out = suite->baseline;
	if (*cfg_out == NULL) {
		if (pg_baseline_cfg_default(owned) < 0) {
			*exit_code = PG_EXIT_ERROR;
			return;
		}
		*cfg_out = *owned;
	}
	if (x->no_baseline || (!ba->enabled && suite->baseline == NULL))
		return;
	memset(&t, 0, sizeof(t));
	*compared = 1;
	if (pg_cli_compare_doc(doc, suite->path, *cfg_out, ba, &t) < 0) {
		fprintf(stderr, "perfgate: %s\n", pg_error_last());
		*exit_code = PG_EXIT_ERROR;
		return;
	}
	*exit_code = pg_compare_exit_code(&t, ba->strict);
	*totals = t;
}

/* Confirms a regression before failing the build: runs more repeats of
 * every scenario until there are max(2 x the repeats so far, 5), then the
 * comparisons are made again on all of them (docs/statistics.md,
 * "Confirmation"). A run disturbed by a busy machine then no longer fails
 * a build on its own. Returns 0 when nothing was needed or the new
 * comparisons are in *doc, < 0 when the extra runs could not be made. */
static int confirm_regressions(json_t **doc, pg_run_result *run, const pg_suite *suite,
			       const pg_exec_opts *x, pg_mock_server **mock, unsigned int *repeats,
			       const pg_baseline_cfg **cfg, pg_baseline_cfg **owned, int *cmp_code,
			       int *compared, pg_compare_totals *totals, int *exit_code)
{
	unsigned int target = *repeats * 2 < 5 ? 5 : *repeats * 2;
	json_t *again;

	if (totals->regressions == 0 || !(*cfg)->confirm || x->merged != NULL || x->shard != NULL)
		return 0;
	pg_log(PG_LOG_WARN,
	       "%d regression%s with %u run%s: confirming with %u more run%s of every scenario "
	       "(baseline.confirm)",
	       totals->regressions, totals->regressions == 1 ? "" : "s", *repeats,
	       *repeats == 1 ? "" : "s", target - *repeats, target - *repeats == 1 ? "" : "s");
	if (run_repeats(run, suite, x, NULL, mock, exit_code, *repeats, target - *repeats) < 0)
		return PG_EIO;
	*repeats = target;
	if ((again = pg_report_json_build(run)) == NULL)
		return PG_ENOMEM;
	json_decref(*doc);
	*doc = again;
	if (pg_progress_interrupted())
		return 0; /* no comparison: the caller marks the run interrupted */
	pg_baseline_cfg_free(*owned);
	*owned = NULL;
	memset(totals, 0, sizeof(*totals));
	compare_baselines(*doc, suite, x, cfg, owned, cmp_code, compared, totals);
	return 0;
}

/* Marks the results document of an interrupted run: "interrupted",
 * the signal, and the scenarios that never started. */
static void mark_interrupted(json_t *doc, const pg_run_result *run, const pg_suite *suite,
			     const pg_exec_opts *x, int sig)
{
	json_t *skipped = json_array();
	size_t i, j;

	json_object_set_new(doc, "interrupted", json_true());
	json_object_set_new(doc, "interrupted_by",
			    json_string(sig == SIGTERM ? "SIGTERM" : "SIGINT"));
	for (i = 0; skipped != NULL && i < suite->n_scenarios; i++) {
		const pg_scenario *sc = &suite->scenarios[i];

		if (x->scenario != NULL && strcmp(x->scenario, sc->name) != 0)
			continue;
		for (j = 0; j < run->n_scenarios && run->scenarios[j].scenario != sc; j++)
			;
		if (j == run->n_scenarios)
			json_array_append_new(skipped, json_string(sc->name));
	}
	json_object_set_new(doc, "skipped_scenarios", skipped != NULL ? skipped : json_array());
}

int pg_cli_execute(const pg_suite *suite, const pg_exec_opts *x)
{
	pg_mock_server *mock = NULL;
	pg_run_result run;
	const pg_scenario_result *dead;
	const pg_baseline_cfg *cfg = NULL;
	pg_baseline_cfg *owned_cfg = NULL;
	pg_atomic_file log = {NULL, {0}, {0}};
	json_t *doc = NULL;
	pg_suite *ran = NULL; /* --shard: the share of the suite this process runs */
	pg_progress_display *display = NULL;
	pg_progress_mode mode = pg_progress_mode_for(stderr, x->quiet);
	int color = x->color >= 0 ? x->color : isatty(STDOUT_FILENO);
	int exit_code = PG_EXIT_ERROR, cmp_code = 0, compared = 0, sig = 0;
	unsigned int repeats = x->repeat > 1 ? x->repeat : 1;
	pg_compare_totals totals;

	memset(&totals, 0, sizeof(totals));
	memset(&run, 0, sizeof(run));
	run.suite = suite;
	pg_redact_url(run.target, sizeof(run.target), suite->target.url);
	pg_utc_now_iso8601(run.started_at, sizeof(run.started_at));
	/* the first SIGINT/SIGTERM stops the run cleanly (progress.h) */
	if (pg_progress_signals_install() < 0 ||
	    (mode != PG_PROGRESS_OFF && pg_progress_new(&display, stderr, mode) < 0)) {
		fprintf(stderr, "perfgate: %s\n", pg_error_last());
		goto done;
	}
	live.display = display;
	if (x->request_log != NULL && pg_file_open_atomic(&log, x->request_log) < 0) {
		fprintf(stderr, "perfgate: --request-log: %s\n", pg_error_last());
		goto done;
	}
	if (log.f != NULL) {
		pg_progress_set_abort_file(log.tmp); /* a second signal removes it */
		fprintf(log.f, "# perfgate request log: scheduled_ns sent_ns first_content_ns "
			       "last_byte_ns http_status result content_chunks output_tokens "
			       "(CLOCK_MONOTONIC; 0 or -1: none)\n");
	}
	if (x->shard != NULL && pg_shard_suite_new(&ran, suite, x->shard) < 0) {
		fprintf(stderr, "perfgate: %s\n", pg_error_last());
		goto done;
	}
	if (x->merged != NULL) { /* perfgate merge: the parts' measurements, merged */
		run = *x->merged;
		memset(x->merged, 0, sizeof(*x->merged));
	} else if (run_repeats(&run, ran != NULL ? ran : suite, x, log.f, &mock, &exit_code, 0,
			       repeats) < 0) {
		goto done;
	}
	if (ran != NULL) /* results describe the whole load, the same in every part */
		pg_shard_rebind(&run, ran, suite);
	exit_code = PG_EXIT_ERROR;
	/* interrupted: the results are partial. The request log is still
	 * committed: it holds every request measured until the stop. */
	sig = pg_progress_interrupted();
	pg_progress_set_abort_file(NULL);
	if (log.f != NULL && pg_file_commit_atomic(&log) < 0) {
		fprintf(stderr, "perfgate: --request-log: %s\n", pg_error_last());
		goto done;
	}
	pg_gate_verdict(&run);
	if ((doc = pg_report_json_build(&run)) == NULL) {
		fprintf(stderr, "perfgate: out of memory\n");
		goto done;
	}
	if (sig == 0) {
		compare_baselines(doc, suite, x, &cfg, &owned_cfg, &cmp_code, &compared, &totals);
		if (confirm_regressions(&doc, &run, ran != NULL ? ran : suite, x, &mock, &repeats,
					&cfg, &owned_cfg, &cmp_code, &compared, &totals,
					&exit_code) < 0)
			goto done;
		sig = pg_progress_interrupted();
	}
	if (sig != 0) {
		compared = 0;
		mark_interrupted(doc, &run, suite, x, sig);
	}
	pg_report_console(stdout, &run, color);
	if (compared)
		pg_compare_print(stdout, doc, color);
	if (x->shard != NULL)
		printf("shard %u/%u: the requirements above judge this part alone; `perfgate "
		       "merge` judges the whole run\n",
		       x->shard->index, x->shard->count);
	if (sig != 0)
		printf("INTERRUPTED by %s: the results are partial; baselines were not compared "
		       "or updated\n",
		       sig == SIGTERM ? "SIGTERM" : "SIGINT");
	fflush(stdout);
	if (cmp_code == PG_EXIT_ERROR)
		exit_code = PG_EXIT_ERROR;
	else if (cmp_code == PG_EXIT_USAGE)
		exit_code = PG_EXIT_USAGE;
	else
		exit_code = run.pass && cmp_code == 0 ? PG_EXIT_PASS : PG_EXIT_FAIL;
	if (x->shard != NULL)
		exit_code = PG_EXIT_PASS; /* a part is judged once merged */
	dead = sig != 0 ? NULL : unreachable(&run);
	if (dead != NULL) {
		fprintf(stderr, "perfgate: could not run: every request of scenario %s failed to "
				"connect to %s (%s)\n",
			dead->scenario->name, run.target,
			dead->run.first_connect_error[0] ? dead->run.first_connect_error
							 : "no detail");
		exit_code = PG_EXIT_ERROR;
	}
	if (sig == 0 && pg_judge_none_graded(stderr, &run))
		exit_code = PG_EXIT_ERROR;
	if (sig != 0)
		exit_code = PG_EXIT_INTERRUPTED;
	json_object_set_new(doc, "verdict", json_string(exit_code == 0 ? "pass" : "fail"));
	json_object_set_new(doc, "exit_code", json_integer(exit_code));
	if (x->shard != NULL && (json_object_set_new(doc, "verdict", json_string("partial")) < 0 ||
				 pg_shard_doc_finish(doc, x->shard) < 0)) {
		fprintf(stderr, "perfgate: %s\n", pg_error_last());
		exit_code = PG_EXIT_ERROR;
		goto done;
	}
	if (x->merged_info != NULL)
		json_object_set(doc, "merged", x->merged_info);
	if (x->out_dir != NULL) {
		char path[4096];

		if (pg_mkdir_p(x->out_dir) < 0 ||
		    snprintf(path, sizeof(path), "%s/results.json", x->out_dir) >= (int)sizeof(path) ||
		    pg_report_json_write_doc(path, doc) < 0) {
			fprintf(stderr, "perfgate: --out %s: %s\n", x->out_dir, pg_error_last());
			exit_code = PG_EXIT_ERROR;
			goto done;
		}
	}
	if (x->json_file != NULL && pg_report_json_write_doc(x->json_file, doc) < 0) {
		fprintf(stderr, "perfgate: --json %s: %s\n", x->json_file, pg_error_last());
		exit_code = PG_EXIT_ERROR;
		goto done;
	}
	if (x->report != NULL && pg_reports_write(x->report, x->out_dir ? x->out_dir : ".", doc) < 0) {
		fprintf(stderr, "perfgate: --report: %s\n", pg_error_last());
		exit_code = PG_EXIT_ERROR;
		goto done;
	}
	if (x->baseline != NULL && x->baseline->update) {
		if (sig != 0)
			fprintf(stderr, "perfgate: baselines not updated: the run was interrupted\n");
		else if (exit_code != PG_EXIT_PASS)
			fprintf(stderr, "perfgate: baselines not updated: the run did not pass\n");
		else if (pg_cli_update_baselines(doc, suite->path, cfg->history, x->baseline) < 0) {
			fprintf(stderr, "perfgate: --update-baseline: %s\n", pg_error_last());
			exit_code = PG_EXIT_ERROR;
		}
	}
done:
	pg_progress_set_abort_file(NULL);
	pg_file_abort_atomic(&log);
	json_decref(doc);
	pg_baseline_cfg_free(owned_cfg);
	pg_run_result_clear(&run);
	pg_shard_suite_free(ran);
	pg_mock_stop(mock);
	live.display = NULL;
	pg_progress_free(display);
	pg_progress_signals_restore();
	return exit_code;
}

int pg_cmd_run(int argc, char **argv, int validate_only)
{
	run_args a;
	pg_plugin_registry *reg = NULL;
	pg_suite *suite = NULL;
	pg_suite_load_opts lo = PG_SUITE_LOAD_OPTS_INIT;
	pg_exec_opts x;
	const char *which = NULL;
	int rc, exit_code = PG_EXIT_ERROR;

	memset(&a, 0, sizeof(a));
	rc = parse_args(&a, argc, argv);
	if (rc != 0) {
		exit_code = rc < 0 ? PG_EXIT_PASS : rc;
		goto done;
	}
	if (pg_plugins_new(&reg, a.plugin_path) < 0) {
		fprintf(stderr, "perfgate: %s\n", pg_error_last());
		goto done;
	}
	lo.target_url = a.target;
	lo.sets = a.sets;
	lo.n_sets = a.n_sets;
	lo.lookup = pg_cli_lookup_plugin;
	lo.lookup_ctx = reg;
	if (pg_suite_load(&suite, a.suite, &lo) < 0) {
		fprintf(stderr, "%s\n", pg_error_last());
		exit_code = PG_EXIT_USAGE;
		goto done;
	}
	if (a.scenario != NULL && pg_suite_scenario(suite, a.scenario) == NULL) {
		fprintf(stderr, "perfgate: --scenario: no scenario named '%s' in %s\n", a.scenario,
			a.suite);
		exit_code = PG_EXIT_USAGE;
		goto done;
	}
	if (check_adapter(suite, &which) < 0) {
		fprintf(stderr, "%s: %s.options: adapter '%s': %s\n", a.suite, which,
			strcmp(which, "target") == 0 ? suite->target.adapter
						     : suite->quality->judge->adapter,
			pg_error_last());
		exit_code = PG_EXIT_USAGE;
		goto done;
	}
	if (check_scorer(suite) < 0) {
		fprintf(stderr, "%s: quality.options: scorer '%s': %s\n", a.suite,
			suite->quality->scorer, pg_error_last());
		exit_code = PG_EXIT_USAGE;
		goto done;
	}
	if (a.shard.count > 0 && pg_shard_check(suite, &a.shard, a.scenario) < 0) {
		fprintf(stderr, "perfgate: %s\n", pg_error_last());
		exit_code = PG_EXIT_USAGE;
		goto done;
	}
	if (validate_only) {
		printf("%s: ok (%zu scenario%s, %d requirement%s, adapter %s)\n", a.suite,
		       suite->n_scenarios, suite->n_scenarios == 1 ? "" : "s",
		       count_requirements(suite), count_requirements(suite) == 1 ? "" : "s",
		       suite->target.adapter);
		exit_code = PG_EXIT_PASS;
		goto done;
	}
	memset(&x, 0, sizeof(x));
	x.scenario = a.scenario;
	x.out_dir = a.out;
	x.workers = a.workers;
	x.color = a.color;
	x.request_log = a.request_log;
	x.repeat = a.repeat;
	x.report = a.report;
	x.baseline = &a.baseline;
	x.no_baseline = a.no_baseline;
	x.quiet = a.quiet;
	if (a.shard.count > 0) {
		x.shard = &a.shard;
		x.no_baseline = 1; /* compared once merged */
	}
	exit_code = pg_cli_execute(suite, &x);
done:
	pg_suite_free(suite);
	pg_plugins_free(reg);
	free(a.sets);
	return exit_code;
}
