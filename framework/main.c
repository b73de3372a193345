/*
 * perfgate command line: run, validate, init, plugins, metrics, mock, version.
 * Exit codes (documented in the README): 0 every requirement met, 1 a
 * requirement failed, 2 bad suite or usage, 3 the run could not be carried
 * out, 4 interrupted by SIGINT/SIGTERM (partial results written; a second
 * signal exits at once with 130, see progress.h).
 */
#include <curl/curl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_baseline.h"
#include "error.h"
#include "log.h"
#include "metrics.h"
#include "mock.h"
#include "options.h"
#include "plugin_loader.h"
#include "units.h"

static const char usage_main[] =
    "usage: perfgate <command> [options]\n"
    "\n"
    "commands:\n"
    "  run SUITE        run a suite's scenarios and gate on their requirements\n"
    "  validate SUITE   check a suite without sending any load\n"
    "  init [FILE]      write a commented starter suite (default perfgate.yaml)\n"
    "  merge PART...    combine the parts of a run sharded with run --shard I/N\n"
    "  load URL         ad-hoc load without a suite, like wrk or hey\n"
    "  report RESULTS   CI reports (JUnit, GitHub, GitLab, OpenMetrics, HTML) from results.json\n"
    "  compare OLD NEW  compare two results files as a baseline comparison would\n"
    "  baseline update  add a run's results to the suite's baseline files\n"
    "  history SUITE    a metric's trend over the baselines' git history\n"
    "  plugins          list plugins and their options\n"
    "  metrics          print the definition of every metric\n"
    "  mock             serve the simulated model on a TCP port\n"
    "  version          print the version\n"
    "\n"
    "Run 'perfgate <command> --help' for a command's options.\n"
    "Exit codes: 0 pass, 1 a requirement failed or a regression, 2 bad suite or usage, 3 could not run,\n"
    "4 interrupted by SIGINT/SIGTERM (partial results written, baselines untouched).\n";

static const char usage_plugins[] =
    "usage: perfgate plugins [--plugin-path DIRS]\n"
    "\n"
    "Lists built-in plugins and the shared-object plugins found in the search path\n"
    "(--plugin-path, then $PERFGATE_PLUGIN_PATH, then the install directory), each\n"
    "with its option table.\n";

static const char usage_mock[] =
    "usage: perfgate mock [--listen HOST:PORT] [KEY=VALUE ...]\n"
    "\n"
    "Serves the simulated OpenAI-compatible model (POST /v1/chat/completions,\n"
    "/v1/completions, GET /v1/models) until interrupted. HOST:PORT defaults to\n"
    "127.0.0.1:8000; port 0 picks a free port. KEY=VALUE set the model, with the\n"
    "same keys as a mock://?KEY=VALUE target URL:\n"
    "  model:  decode_ms prefill_us ttft_ms batch_slowdown slots output_tokens seed jitter\n"
    "  time:   speed (multiplier on every delay) run_noise (lognormal sigma per run)\n"
    "          first_byte_delay_ms\n"
    "  faults: error_rate rate_limit_rate unavailable_rate retry_after_s stall_rate\n"
    "          stall_after reset_rate reset_after malformed_rate midstream_error_rate\n"
    "  truth:  truth_log=PATH (one line per answer: seq first_ns last_ns tokens)\n";

static int cmd_plugins(int argc, char **argv)
{
	static const struct option longopts[] = {{"plugin-path", required_argument, NULL, 'p'},
						 {"help", no_argument, NULL, 'h'},
						 {NULL, 0, NULL, 0}};
	pg_plugin_registry *reg = NULL;
	const char *plugin_path = NULL;
	size_t i;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			plugin_path = optarg;
			break;
		case 'h':
			fputs(usage_plugins, stdout);
			return PG_EXIT_PASS;
		default:
			fputs(usage_plugins, stderr);
			return PG_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "perfgate plugins: unexpected argument '%s'\n", argv[optind]);
		return PG_EXIT_USAGE;
	}
	if (pg_plugins_new(&reg, plugin_path) < 0) {
		fprintf(stderr, "perfgate: %s\n", pg_error_last());
		return PG_EXIT_ERROR;
	}
	pg_plugins_scan(reg);
	for (i = 0; i < pg_plugins_count(reg); i++) {
		const pg_plugin_entry *e = pg_plugins_at(reg, i);
		const pg_plugin_desc *d = e->desc;
		const pg_option_spec *o;

		printf("%s %s %s (ABI %u.%u, %s)\n  %s\n", pg_plugin_kind_name(d->kind), d->name,
		       d->version ? d->version : "?", d->abi_major, d->abi_minor,
		       e->path ? e->path : "built in", d->description ? d->description : "");
		for (o = d->options; o != NULL && o->name != NULL; o++) {
			printf("    %-18s %-8s default %-18s", o->name, pg_option_type_name(o->type),
			       o->default_value ? o->default_value : "(none)");
			if (o->min < o->max && o->type == PG_OPT_DURATION) {
				char lo[32], hi[32];

				printf(" range %s..%s", pg_duration_format(lo, sizeof(lo), o->min),
				       pg_duration_format(hi, sizeof(hi), o->max));
			} else if (o->min < o->max) {
				printf(" range %.15g..%.15g", o->min, o->max);
			}
			if (o->unit != NULL)
				printf(" unit %s", o->unit);
			printf("\n      %s\n", o->help ? o->help : "");
		}
	}
	pg_plugins_free(reg);
	return PG_EXIT_PASS;
}

static int cmd_mock(int argc, char **argv)
{
	static const struct option longopts[] = {{"listen", required_argument, NULL, 'l'},
						 {"help", no_argument, NULL, 'h'},
						 {NULL, 0, NULL, 0}};
	pg_mock_config cfg = PG_MOCK_CONFIG_INIT;
	const char *listen = "127.0.0.1:8000";
	char host[256];
	const char *colon;
	char *end;
	long port;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			listen = optarg;
			break;
		case 'h':
			fputs(usage_mock, stdout);
			return PG_EXIT_PASS;
		default:
			fputs(usage_mock, stderr);
			return PG_EXIT_USAGE;
		}
	}
	colon = strrchr(listen, ':');
	if (colon == NULL || colon == listen || (size_t)(colon - listen) >= sizeof(host)) {
		fprintf(stderr, "perfgate mock: --listen '%s': expected HOST:PORT\n", listen);
		return PG_EXIT_USAGE;
	}
	port = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || port < 0 || port > 65535) {
		fprintf(stderr, "perfgate mock: --listen '%s': port must be 0..65535\n", listen);
		return PG_EXIT_USAGE;
	}
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	for (; optind < argc; optind++) {
		if (pg_mock_config_parse(&cfg, argv[optind]) < 0) {
			fprintf(stderr, "perfgate mock: %s\n", pg_error_last());
			return PG_EXIT_USAGE;
		}
	}
	if (pg_mock_serve(&cfg, host, (int)port) < 0) {
		fprintf(stderr, "perfgate mock: %s\n", pg_error_last());
		return PG_EXIT_ERROR;
	}
	return PG_EXIT_PASS;
}

int main(int argc, char **argv)
{
	const char *cmd;
	int rc;

	if (argc < 2) {
		fputs(usage_main, stderr);
		return PG_EXIT_USAGE;
	}
	cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		fputs(usage_main, stdout);
		return PG_EXIT_PASS;
	}
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("perfgate %s (plugin ABI %d.%d, %s)\n", PG_VERSION, PG_PLUGIN_ABI_MAJOR,
		       PG_PLUGIN_ABI_MINOR, curl_version());
		return PG_EXIT_PASS;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "perfgate: libcurl failed to initialise\n");
		return PG_EXIT_ERROR;
	}
	if (strcmp(cmd, "run") == 0)
		rc = pg_cmd_run(argc - 1, argv + 1, 0);
	else if (strcmp(cmd, "validate") == 0)
		rc = pg_cmd_run(argc - 1, argv + 1, 1);
	else if (strcmp(cmd, "load") == 0)
		rc = pg_cmd_load(argc - 1, argv + 1);
	else if (strcmp(cmd, "init") == 0)
		rc = pg_cmd_init(argc - 1, argv + 1);
	else if (strcmp(cmd, "merge") == 0)
		rc = pg_cmd_merge(argc - 1, argv + 1);
	else if (strcmp(cmd, "report") == 0)
		rc = pg_cli_report(argc - 1, argv + 1);
	else if (strcmp(cmd, "compare") == 0)
		rc = pg_cmd_compare(argc - 1, argv + 1);
	else if (strcmp(cmd, "baseline") == 0)
		rc = pg_cmd_baseline(argc - 1, argv + 1);
	else if (strcmp(cmd, "history") == 0)
		rc = pg_cmd_history(argc - 1, argv + 1);
	else if (strcmp(cmd, "plugins") == 0)
		rc = cmd_plugins(argc - 1, argv + 1);
	else if (strcmp(cmd, "metrics") == 0) {
		if (argc > 2 && strcmp(argv[2], "--help") != 0) {
			fprintf(stderr, "perfgate metrics: unexpected argument '%s'\n", argv[2]);
			rc = PG_EXIT_USAGE;
		} else {
			if (argc > 2)
				printf("usage: perfgate metrics\n\nPrints every metric's "
				       "definition.\n\n");
			pg_metrics_print(stdout);
			rc = PG_EXIT_PASS;
		}
	} else if (strcmp(cmd, "mock") == 0)
		rc = cmd_mock(argc - 1, argv + 1);
	else {
		fprintf(stderr, "perfgate: unknown command '%s'\n\n%s", cmd, usage_main);
		rc = PG_EXIT_USAGE;
	}
	curl_global_cleanup();
	return rc;
}
