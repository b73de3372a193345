/*
 * `perfgate load URL`: ad-hoc load without a suite, like wrk or hey. The
 * flags are checked here (errors name the flag), turned into a one-scenario
 * suite and run through the same validation, engine and reports as
 * `perfgate run`.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "error.h"
#include "plugin_loader.h"
#include "redact.h"
#include "units.h"

static const char usage_load[] =
    "usage: perfgate load URL [options]\n"
    "\n"
    "load (one of; default -c 10):\n"
    "  -c, --concurrency N   closed loop: N virtual users\n"
    "  --rate R              open loop: R requests per second (e.g. 500 or 500/s)\n"
    "  --arrival KIND        open loop arrivals: constant, poisson (default) or gamma\n"
    "  --max-in-flight N     open loop: arrivals beyond N in flight are dropped and counted\n"
    "length (one of; default -d 10s):\n"
    "  -d, --duration D      measure for D (e.g. 30s)\n"
    "  -n, --requests N      measure N requests (closed loop)\n"
    "  --warmup D            run D before measuring\n"
    "request:\n"
    "  --adapter NAME        http (default: any request), openai-chat, openai-completions, ...\n"
    "  --method M            HTTP method for the http adapter (default GET)\n"
    "  -H, --header 'K: V'   add a header (repeatable)\n"
    "  --body STR|@FILE      request body for the http adapter\n"
    "  --model NAME          model for OpenAI-style adapters\n"
    "  --prompt TEXT         prompt for model adapters (default 'Hello')\n"
    "  --max-tokens N        max_tokens for model adapters (default 64)\n"
    "  --timeout D           per-request timeout (default 30s)\n"
    "engine and output:\n"
    "  --transport NAME      h1 or curl (default: h1 for http://, curl otherwise)\n"
    "  --workers N           event-loop threads (default: one per core)\n"
    "  --plugin-path DIRS    ':'-separated plugin directories\n"
    "  --json FILE           write the results document (perfgate-results/1) to FILE\n"
    "  --request-log FILE    write one line per measured request (times in ns)\n"
    "  --color, --no-color   force or disable colour\n"
    "  -q, --quiet           no progress line on stderr (live on a terminal, else every 5 s)\n"
    "\n"
    "Ctrl-C (SIGINT) or SIGTERM stops the load and reports what was measured; a second\n"
    "one exits at once (130).\n"
    "Exit codes: 0 the run completed, 2 bad usage, 3 the run could not be carried out,\n"
    "4 interrupted (partial results written).\n";

typedef struct load_args {
	const char *url;
	const char *concurrency, *rate, *arrival, *max_in_flight;
	const char *duration, *requests, *warmup, *timeout;
	const char *adapter, *method, *body, *model, *prompt, *max_tokens;
	const char *transport, *plugin_path, *json, *request_log;
	const char **headers;
	size_t n_headers;
	unsigned int workers;
	int color;
	int quiet;
} load_args;

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "perfgate load: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return PG_EXIT_USAGE;
}

static int check_count(const char *flag, const char *text, long long max)
{
	char *end;
	long long v;

	if (text == NULL)
		return 0;
	v = strtoll(text, &end, 10);
	if (*text == '\0' || *end != '\0' || v < 1 || v > max) {
		fprintf(stderr, "perfgate load: %s '%s': expected a whole number from 1 to %lld\n",
			flag, text, max);
		return PG_EXIT_USAGE;
	}
	return 0;
}

static int check_duration(const char *flag, const char *text)
{
	pg_ns ns;

	if (text == NULL)
		return 0;
	if (pg_duration_parse(&ns, text) < 0) {
		fprintf(stderr, "perfgate load: %s: %s\n", flag, pg_error_last());
		return PG_EXIT_USAGE;
	}
	return 0;
}

static int check_args(load_args *a)
{
	pg_quantity q;
	int rc;

	if (a->concurrency != NULL && a->rate != NULL)
		return usage_error("%s", "choose one of -c/--concurrency and --rate");
	if (a->duration != NULL && a->requests != NULL)
		return usage_error("%s", "choose one of -d/--duration and -n/--requests");
	if (a->rate != NULL && a->requests != NULL)
		return usage_error("%s", "-n/--requests applies to closed loop (-c); open loop "
					 "(--rate) runs for a duration");
	if (a->rate == NULL && (a->arrival != NULL || a->max_in_flight != NULL))
		return usage_error("%s", "--arrival and --max-in-flight apply to open loop (--rate)");
	if (a->rate != NULL &&
	    (pg_quantity_parse(&q, a->rate) < 0 ||
	     (q.kind != PG_UNIT_PER_S && q.kind != PG_UNIT_NONE) || !(q.value > 0)))
		return usage_error("--rate '%s': expected requests per second, e.g. 500 or 500/s",
				   a->rate);
	if (a->arrival != NULL && strcmp(a->arrival, "constant") != 0 &&
	    strcmp(a->arrival, "poisson") != 0 && strcmp(a->arrival, "gamma") != 0)
		return usage_error("--arrival '%s': expected constant, poisson or gamma",
				   a->arrival);
	if ((rc = check_count("-c/--concurrency", a->concurrency, 100000)) != 0 ||
	    (rc = check_count("-n/--requests", a->requests, INT64_C(1000000000))) != 0 ||
	    (rc = check_count("--max-in-flight", a->max_in_flight, 10000000)) != 0 ||
	    (rc = check_count("--max-tokens", a->max_tokens, 1000000)) != 0 ||
	    (rc = check_duration("-d/--duration", a->duration)) != 0 ||
	    (rc = check_duration("--warmup", a->warmup)) != 0 ||
	    (rc = check_duration("--timeout", a->timeout)) != 0)
		return rc;
	for (size_t i = 0; i < a->n_headers; i++) {
		const char *colon = strchr(a->headers[i], ':');

		/* the value may be a credential: quote at most the first word */
		if (colon == NULL || colon == a->headers[i] || colon - a->headers[i] > 255) {
			size_t word = strcspn(a->headers[i], " \t:");

			return usage_error("-H '%.*s%s': expected 'Name: value'", (int)word,
					   a->headers[i], a->headers[i][word] != '\0' ? "..." : "");
		}
	}
	if (strncmp(a->url, "http://", 7) != 0 && strncmp(a->url, "https://", 8) != 0 &&
	    strncmp(a->url, "mock://", 7) != 0) {
		char shown[512];

		pg_redact_url(shown, sizeof(shown), a->url);
		return usage_error("URL '%s': expected http://, https:// or mock://", shown);
	}
	if (strcmp(a->adapter, "http") != 0 && (a->method != NULL || a->body != NULL))
		return usage_error("%s", "--method and --body apply to the http adapter");
	if (strcmp(a->adapter, "http") == 0 &&
	    (a->model != NULL || a->prompt != NULL || a->max_tokens != NULL))
		return usage_error("%s", "--model, --prompt and --max-tokens apply to model "
					 "adapters (e.g. --adapter openai-chat)");
	return 0;
}

/* "$" would start ${ENV} interpolation in a suite: header values from the
 * command line are literal, so each "$" is doubled. */
static char *escape_dollars(const char *s)
{
	size_t n = strlen(s), extra = 0, i, j;
	char *out;

	for (i = 0; i < n; i++)
		extra += s[i] == '$';
	out = malloc(n + extra + 1);
	if (out == NULL)
		return NULL;
	for (i = j = 0; i < n; i++) {
		out[j++] = s[i];
		if (s[i] == '$')
			out[j++] = '$';
	}
	out[j] = '\0';
	return out;
}

/* Builds the suite document (JSON is YAML) from the checked flags; NULL
 * only when out of memory. */
static json_t *build_suite(const load_args *a)
{
	json_t *doc = json_object(), *target = json_object(), *headers = json_object();
	json_t *opts = json_object(), *wl = json_object(), *sc = json_object();
	json_t *load = json_object(), *scs = json_array();
	size_t i;

	json_object_set_new(doc, "name", json_string("load"));
	json_object_set_new(target, "adapter", json_string(a->adapter));
	json_object_set_new(target, "url", json_string(a->url));
	if (a->model != NULL)
		json_object_set_new(target, "model", json_string(a->model));
	if (a->transport != NULL)
		json_object_set_new(target, "transport", json_string(a->transport));
	for (i = 0; i < a->n_headers; i++) {
		const char *colon = strchr(a->headers[i], ':'); /* checked by check_args */
		char name[256], *value;

		memcpy(name, a->headers[i], (size_t)(colon - a->headers[i]));
		name[colon - a->headers[i]] = '\0';
		colon++;
		while (*colon == ' ' || *colon == '\t')
			colon++;
		value = escape_dollars(colon);
		json_object_set_new(headers, name, value ? json_string(value) : json_null());
		free(value);
	}
	json_object_set_new(target, "headers", headers);
	if (a->method != NULL)
		json_object_set_new(opts, "method", json_string(a->method));
	if (a->body != NULL)
		json_object_set_new(opts, "body", json_string(a->body));
	json_object_set_new(target, "options", opts);
	json_object_set_new(doc, "target", target);
	json_object_set_new(wl, "prompts",
			    json_pack("[s]", a->prompt != NULL ? a->prompt : "Hello"));
	json_object_set_new(wl, "max_tokens",
			    json_integer(a->max_tokens ? strtoll(a->max_tokens, NULL, 10) : 64));
	json_object_set_new(doc, "workload", wl);
	if (a->rate != NULL) {
		json_object_set_new(load, "rate", json_string(a->rate));
		if (a->arrival != NULL)
			json_object_set_new(load, "arrival", json_string(a->arrival));
		if (a->max_in_flight != NULL)
			json_object_set_new(load, "max_in_flight",
					    json_integer(strtoll(a->max_in_flight, NULL, 10)));
	} else {
		json_object_set_new(load, "concurrency",
				    json_integer(a->concurrency ? strtoll(a->concurrency, NULL, 10)
								: 10));
	}
	if (a->requests != NULL)
		json_object_set_new(load, "requests", json_integer(strtoll(a->requests, NULL, 10)));
	else
		json_object_set_new(load, "duration",
				    json_string(a->duration != NULL ? a->duration : "10s"));
	if (a->warmup != NULL)
		json_object_set_new(load, "warmup", json_string(a->warmup));
	json_object_set_new(load, "timeout", json_string(a->timeout ? a->timeout : "30s"));
	json_object_set_new(sc, "name", json_string("load"));
	json_object_set_new(sc, "load", load);
	json_array_append_new(scs, sc);
	json_object_set_new(doc, "scenarios", scs);
	return doc;
}

static int parse_load_args(load_args *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"concurrency", required_argument, NULL, 'c'},
		{"rate", required_argument, NULL, 'r'},
		{"arrival", required_argument, NULL, 'A'},
		{"max-in-flight", required_argument, NULL, 'M'},
		{"duration", required_argument, NULL, 'd'},
		{"requests", required_argument, NULL, 'n'},
		{"warmup", required_argument, NULL, 'W'},
		{"timeout", required_argument, NULL, 't'},
		{"adapter", required_argument, NULL, 'a'},
		{"method", required_argument, NULL, 'm'},
		{"header", required_argument, NULL, 'H'},
		{"body", required_argument, NULL, 'b'},
		{"model", required_argument, NULL, 'o'},
		{"prompt", required_argument, NULL, 'P'},
		{"max-tokens", required_argument, NULL, 'k'},
		{"transport", required_argument, NULL, 'T'},
		{"workers", required_argument, NULL, 'w'},
		{"plugin-path", required_argument, NULL, 'p'},
		{"json", required_argument, NULL, 'j'},
		{"request-log", required_argument, NULL, 'R'},
		{"color", no_argument, NULL, 'C'},
		{"no-color", no_argument, NULL, 'N'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	a->adapter = "http";
	a->color = -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:d:n:H:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': a->concurrency = optarg; break;
		case 'r': a->rate = optarg; break;
		case 'A': a->arrival = optarg; break;
		case 'M': a->max_in_flight = optarg; break;
		case 'd': a->duration = optarg; break;
		case 'n': a->requests = optarg; break;
		case 'W': a->warmup = optarg; break;
		case 't': a->timeout = optarg; break;
		case 'a': a->adapter = optarg; break;
		case 'm': a->method = optarg; break;
		case 'b': a->body = optarg; break;
		case 'o': a->model = optarg; break;
		case 'P': a->prompt = optarg; break;
		case 'k': a->max_tokens = optarg; break;
		case 'T': a->transport = optarg; break;
		case 'p': a->plugin_path = optarg; break;
		case 'j': a->json = optarg; break;
		case 'R': a->request_log = optarg; break;
		case 'C': a->color = 1; break;
		case 'N': a->color = 0; break;
		case 'q': a->quiet = 1; break;
		case 'w':
			if (pg_cli_parse_workers(&a->workers, optarg, "perfgate load") != 0)
				return PG_EXIT_USAGE;
			break;
		case 'H':
			if (pg_cli_append(&a->headers, &a->n_headers, optarg) < 0)
				return PG_EXIT_ERROR;
			break;
		case 'h':
			fputs(usage_load, stdout);
			return -1;
		default:
			fputs(usage_load, stderr);
			return PG_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "perfgate load: %s\n\n%s",
			optind >= argc ? "missing URL" : "expected exactly one URL", usage_load);
		return PG_EXIT_USAGE;
	}
	a->url = argv[optind];
	return check_args(a);
}

int pg_cmd_load(int argc, char **argv)
{
	load_args a;
	pg_plugin_registry *reg = NULL;
	pg_suite *suite = NULL;
	pg_suite_load_opts lo = PG_SUITE_LOAD_OPTS_INIT;
	pg_exec_opts x;
	json_t *doc = NULL;
	char *text = NULL;
	int rc, exit_code = PG_EXIT_ERROR;

	memset(&a, 0, sizeof(a));
	rc = parse_load_args(&a, argc, argv);
	if (rc != 0) {
		exit_code = rc < 0 ? PG_EXIT_PASS : rc;
		goto done;
	}
	if (pg_plugins_new(&reg, a.plugin_path) < 0) {
		fprintf(stderr, "perfgate: %s\n", pg_error_last());
		goto done;
	}
	doc = build_suite(&a);
	if (doc == NULL) {
		exit_code = PG_EXIT_USAGE;
		goto done;
	}
	text = json_dumps(doc, JSON_PRESERVE_ORDER);
	if (text == NULL)
		goto done;
	lo.lookup = pg_cli_lookup_plugin;
	lo.lookup_ctx = reg;
	if (pg_suite_load_buffer(&suite, "perfgate load", text, strlen(text), &lo) < 0) {
		fprintf(stderr, "perfgate load: %s\n", pg_error_last());
		exit_code = PG_EXIT_USAGE;
		goto done;
	}
	memset(&x, 0, sizeof(x));
	x.json_file = a.json;
	x.request_log = a.request_log;
	x.workers = a.workers;
	x.color = a.color;
	x.quiet = a.quiet;
	exit_code = pg_cli_execute(suite, &x);
	/* an ad-hoc run has no requirements: 1 cannot happen; 0, 3 or 4 */
done:
	free(text);
	json_decref(doc);
	pg_suite_free(suite);
	pg_plugins_free(reg);
	free(a.headers);
	return exit_code;
}
