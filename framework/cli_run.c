/*
 * `perfgate run` and `perfgate validate`: suite -> plan -> load -> gate ->
 * reports -> exit code.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "engine.h"
#include "error.h"
#include "gate.h"
#include "log.h"
#include "mock.h"
#include "plugin_loader.h"
#include "report.h"
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
    "  --color, --no-color force or disable colour (default: on a terminal)\n"
    "  -v, --verbose       log more\n"
    "\n"
    "Exit codes: 0 every requirement met, 1 a requirement failed,\n"
    "2 bad suite or usage, 3 the run could not be carried out.\n";

typedef struct run_args {
	const char *suite;
	const char *scenario;
	const char *out;
	const char *target;
	const char *plugin_path;
	const char **sets;
	size_t n_sets;
	int color; /* -1 auto */
} run_args;

static const pg_plugin_desc *lookup_adapter(void *ctx, const char *name)
{
	return pg_plugins_find(ctx, PG_PLUGIN_ADAPTER, name);
}

static int parse_args(run_args *a, int argc, char **argv)
{
	static const struct option longopts[] = {{"scenario", required_argument, NULL, 's'},
						 {"out", required_argument, NULL, 'o'},
						 {"target", required_argument, NULL, 't'},
						 {"set", required_argument, NULL, 'S'},
						 {"plugin-path", required_argument, NULL, 'p'},
						 {"color", no_argument, NULL, 'c'},
						 {"no-color", no_argument, NULL, 'C'},
						 {"verbose", no_argument, NULL, 'v'},
						 {"help", no_argument, NULL, 'h'},
						 {NULL, 0, NULL, 0}};
	int c;

	a->color = -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
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
		case 'S': {
			const char **s = realloc(a->sets, (a->n_sets + 1) * sizeof(*s));

			if (s == NULL)
				return PG_EXIT_ERROR;
			a->sets = s;
			a->sets[a->n_sets++] = optarg;
			break;
		}
		case 'p':
			a->plugin_path = optarg;
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
		case 'h':
			fputs(usage_run, stdout);
			return -1;
		default:
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
	return 0;
}

/* Copies a URL for display: no user:password@, no query except on mock://. */
static void redact_url(char *buf, size_t size, const char *url)
{
	const char *scheme_end = strstr(url, "://");
	const char *host = scheme_end ? scheme_end + 3 : url;
	const char *at = strchr(host, '@');
	const char *slash = strchr(host, '/');
	const char *q;
	size_t n = 0;

	if (at != NULL && (slash == NULL || at < slash)) {
		n = (size_t)(host - url);
		snprintf(buf, size, "%.*s%s", (int)n, url, at + 1);
	} else {
		snprintf(buf, size, "%s", url);
	}
	if (strncmp(url, "mock://", 7) != 0 && (q = strchr(buf, '?')) != NULL)
		buf[q - buf] = '\0';
}

/* Starts the embedded mock for a mock:// target and writes the base URL. */
static int start_mock(pg_mock_server **mock, char *base, size_t size, const char *url)
{
	pg_mock_config cfg = PG_MOCK_CONFIG_INIT;
	const char *q = strchr(url, '?');
	int rc;

	if (q != NULL && (rc = pg_mock_config_parse(&cfg, q + 1)) < 0)
		return PG_EINVAL;
	if ((rc = pg_mock_start(mock, &cfg, "127.0.0.1", 0)) < 0)
		return rc;
	snprintf(base, size, "http://127.0.0.1:%d/v1", pg_mock_port(*mock));
	return 0;
}

static void now_iso8601(char *buf, size_t size)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int run_scenarios(pg_run_result *run, const pg_suite *suite, const run_args *a,
			 const char *base_url, void *adapter)
{
	size_t i, n = 0;

	run->scenarios = calloc(suite->n_scenarios, sizeof(*run->scenarios));
	if (run->scenarios == NULL)
		return PG_ENOMEM;
	for (i = 0; i < suite->n_scenarios; i++) {
		const pg_scenario *sc = &suite->scenarios[i];
		pg_engine_opts eo = PG_ENGINE_OPTS_INIT;
		pg_scenario_result *sr = &run->scenarios[n];
		int rc;

		if (a->scenario != NULL && strcmp(a->scenario, sc->name) != 0)
			continue;
		eo.suite = suite;
		eo.scenario = sc;
		eo.base_url = base_url;
		eo.host = pg_host_api_get();
		eo.adapter = adapter;
		eo.ops = suite->target.plugin->ops;
		sr->scenario = sc;
		pg_log(PG_LOG_INFO, "scenario %s: starting", sc->name);
		if ((rc = pg_engine_run(&sr->rec, &sr->report, &eo)) < 0) {
			pg_error_prefix("scenario %s", sc->name);
			return rc;
		}
		run->n_scenarios = ++n;
		if ((rc = pg_gate_evaluate(sr)) < 0)
			return rc;
	}
	return 0;
}

/* A scenario where every measured request failed to connect. */
static const pg_scenario_result *unreachable(const pg_run_result *run)
{
	size_t i;

	for (i = 0; i < run->n_scenarios; i++) {
		const pg_recorder *r = run->scenarios[i].rec;

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

int pg_cmd_run(int argc, char **argv, int validate_only)
{
	run_args a;
	pg_plugin_registry *reg = NULL;
	pg_suite *suite = NULL;
	pg_suite_load_opts lo = PG_SUITE_LOAD_OPTS_INIT;
	pg_mock_server *mock = NULL;
	pg_run_result run;
	const pg_scenario_result *dead;
	const pg_adapter_ops *ops = NULL;
	pg_target_info ti;
	void *adapter = NULL;
	char base[1024];
	int rc, exit_code = PG_EXIT_ERROR;

	memset(&a, 0, sizeof(a));
	memset(&run, 0, sizeof(run));
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
	lo.lookup = lookup_adapter;
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
	if (validate_only) {
		printf("%s: ok (%zu scenario%s, %d requirement%s, adapter %s)\n", a.suite,
		       suite->n_scenarios, suite->n_scenarios == 1 ? "" : "s",
		       count_requirements(suite), count_requirements(suite) == 1 ? "" : "s",
		       suite->target.adapter);
		exit_code = PG_EXIT_PASS;
		goto done;
	}

	if (strncmp(suite->target.url, "mock://", 7) == 0) {
		rc = start_mock(&mock, base, sizeof(base), suite->target.url);
		if (rc < 0) {
			fprintf(stderr, "perfgate: target %s: %s\n", suite->target.url,
				pg_error_last());
			exit_code = rc == PG_EINVAL ? PG_EXIT_USAGE : PG_EXIT_ERROR;
			goto done;
		}
	} else {
		snprintf(base, sizeof(base), "%s", suite->target.url);
	}
	ops = suite->target.plugin->ops;
	ti.url = base;
	ti.model = suite->target.model;
	if (ops->create(&adapter, pg_host_api_get(), suite->target.options, &ti) < 0) {
		fprintf(stderr, "perfgate: adapter %s: %s\n", suite->target.adapter,
			pg_error_last());
		goto done;
	}

	run.suite = suite;
	redact_url(run.target, sizeof(run.target), suite->target.url);
	now_iso8601(run.started_at, sizeof(run.started_at));
	if (run_scenarios(&run, suite, &a, base, adapter) < 0) {
		fprintf(stderr, "perfgate: %s\n", pg_error_last());
		goto done;
	}
	pg_gate_verdict(&run);
	pg_report_console(stdout, &run, a.color >= 0 ? a.color : isatty(STDOUT_FILENO));
	fflush(stdout);
	if (a.out != NULL && pg_report_json_write(a.out, &run) < 0) {
		fprintf(stderr, "perfgate: --out %s: %s\n", a.out, pg_error_last());
		goto done;
	}
	dead = unreachable(&run);
	if (dead != NULL) {
		fprintf(stderr, "perfgate: could not run: every request of scenario %s failed to "
				"connect to %s (%s)\n",
			dead->scenario->name, run.target,
			dead->report.first_connect_error[0] ? dead->report.first_connect_error
							    : "no detail");
		exit_code = PG_EXIT_ERROR;
		goto done;
	}
	exit_code = run.pass ? PG_EXIT_PASS : PG_EXIT_FAIL;
done:
	pg_run_result_clear(&run);
	if (adapter != NULL)
		ops->destroy(adapter);
	pg_mock_stop(mock);
	pg_suite_free(suite);
	pg_plugins_free(reg);
	free(a.sets);
	return exit_code;
}
