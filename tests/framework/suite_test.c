/* Suite loader: fields and defaults, --set and --target, ${ENV} headers,
 * JSONL datasets and the exact message of every kind of bad suite. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"
#include "options.h"
#include "suite.h"
#include "yaml_tree.h"

#define SUITES PG_TEST_DATA "/data/suites/"
/* pg_duration_parse's message for "10 parsecs" */
#define UNIT_ERROR                                                                                 \
	"unknown unit 'parsecs' in '10 parsecs' (expected ns, us, ms, s, m, h, /s, %, $ or "       \
	"tokens)"

static const pg_option_spec fake_options[] = {
    {"path", PG_OPT_STRING, "/v1/chat/completions", NULL, 0, 0, "request path"},
    {"include_usage", PG_OPT_BOOL, "true", NULL, 0, 0, "ask for usage"},
    {"temperature", PG_OPT_DOUBLE, NULL, NULL, 0, 2, "sampling temperature"},
    {NULL, 0, NULL, NULL, 0, 0, NULL},
};

static const pg_plugin_desc fake_chat = {
    PG_PLUGIN_DESC_INIT(PG_PLUGIN_ADAPTER, "openai-chat"),
    .version = "0",
    .description = "fake chat adapter",
    .options = fake_options,
};

static const pg_plugin_desc fake_completions = {
    PG_PLUGIN_DESC_INIT(PG_PLUGIN_ADAPTER, "openai-completions"),
    .version = "0",
    .description = "fake completions adapter without options",
};

static const pg_option_spec fake_transport_options[] = {
    {"connect_timeout", PG_OPT_DURATION, "5s", NULL, 0, 0, "connection timeout"},
    {"pipeline", PG_OPT_BOOL, "false", NULL, 0, 0, "pipeline requests"},
    {NULL, 0, NULL, NULL, 0, 0, NULL},
};

static const pg_plugin_desc fake_h1 = {
    PG_PLUGIN_DESC_INIT(PG_PLUGIN_TRANSPORT, "h1"),
    .version = "0",
    .description = "fake native HTTP/1.1 transport",
    .options = fake_transport_options,
};

static const pg_plugin_desc fake_curl = {
    PG_PLUGIN_DESC_INIT(PG_PLUGIN_TRANSPORT, "curl"),
    .version = "0",
    .description = "fake libcurl transport",
    .options = fake_transport_options,
};

/* Counts calls per kind when ctx points at int[2] (adapters, transports). */
static const pg_plugin_desc *fake_lookup(void *ctx, pg_plugin_kind kind, const char *name)
{
	int *calls = ctx;

	if (calls != NULL)
		calls[kind == PG_PLUGIN_TRANSPORT]++;
	if (kind == PG_PLUGIN_TRANSPORT) {
		if (strcmp(name, "h1") == 0)
			return &fake_h1;
		if (strcmp(name, "curl") == 0)
			return &fake_curl;
		if (strcmp(name, "openai-chat") == 0) /* a plugin of another kind */
			return &fake_chat;
		return NULL;
	}
	if (strcmp(name, "openai-chat") == 0)
		return &fake_chat;
	if (strcmp(name, "openai-completions") == 0)
		return &fake_completions;
	if (strcmp(name, "broken") == 0) /* as a plugin loader reports a refused .so */
		pg_error_set("/plugins/broken.so: plugin was built for perfgate plugin ABI 2.0");
	return NULL;
}

/* Loads SUITES name with optional --set values and --target. */
static int load(pg_suite **out, const char *name, const char *const *sets, size_t n_sets,
		const char *target)
{
	pg_suite_load_opts opts = PG_SUITE_LOAD_OPTS_INIT;
	char path[1024];

	snprintf(path, sizeof(path), "%s%s", SUITES, name);
	opts.lookup = fake_lookup;
	opts.sets = sets;
	opts.n_sets = n_sets;
	opts.target_url = target;
	return pg_suite_load(out, path, &opts);
}

/* Asserts that loading fails with PG_EINVAL and message "<path>:<rest>". */
static void assert_load_error(const char *name, const char *const *sets, size_t n_sets,
			      const char *target, const char *expected)
{
	pg_suite *s = (pg_suite *)1;

	assert_int_equal(load(&s, name, sets, n_sets, target), PG_EINVAL);
	assert_null(s);
	assert_string_equal(pg_error_last(), expected);
}

static void good_suite_loads_every_field_as_written(void **state)
{
	const pg_scenario *sc;
	pg_suite *s;
	int calls[2] = {0, 0};
	pg_suite_load_opts opts = PG_SUITE_LOAD_OPTS_INIT;

	(void)state;
	opts.lookup = fake_lookup;
	opts.lookup_ctx = calls;
	assert_int_equal(pg_suite_load(&s, SUITES "good.yaml", &opts), 0);
	assert_int_equal(calls[0], 1);
	assert_int_equal(calls[1], 1);
	assert_string_equal(s->path, SUITES "good.yaml");
	assert_string_equal(s->name, "quickstart");

	assert_string_equal(s->target.adapter, "openai-chat");
	assert_ptr_equal(s->target.plugin, &fake_chat);
	assert_string_equal(s->target.url, "mock://?decode_ms=5");
	assert_string_equal(s->target.model, "my-model");
	assert_int_equal(s->target.n_headers, 1);
	assert_string_equal(s->target.headers[0].name, "X-Team");
	assert_string_equal(s->target.headers[0].value, "perf");
	assert_int_equal(s->target.headers[0].secret, 0);
	assert_int_equal(pg_options_bool(s->target.options, "include_usage"), 0);
	assert_true(pg_options_double(s->target.options, "temperature") == 0.5);
	assert_string_equal(pg_options_string(s->target.options, "path"), "/v1/chat/completions");
	assert_string_equal(s->target.transport, "h1"); /* auto, for a mock:// url */
	assert_ptr_equal(s->target.transport_plugin, &fake_h1);
	assert_non_null(s->target.transport_options);

	assert_int_equal(s->workload.n_items, 4);
	assert_string_equal(s->workload.items[0].prompt, "Say hi");
	assert_null(s->workload.items[0].messages_json);
	assert_int_equal(s->workload.items[0].max_tokens, 0);
	assert_string_equal(s->workload.items[1].prompt, "Explain TCP");
	assert_string_equal(s->workload.items[2].prompt, "Count to three");
	assert_int_equal(s->workload.items[2].max_tokens, 16);
	assert_null(s->workload.items[3].prompt);
	assert_string_equal(s->workload.items[3].messages_json,
			    "[{\"role\":\"system\",\"content\":\"Be brief.\"},"
			    "{\"role\":\"user\",\"content\":\"What is \\\"UDP\\\"?\"}]");
	assert_int_equal(s->workload.max_tokens, 64);
	assert_int_equal(s->workload.stream, 0);
	assert_null(s->workload.dataset);

	assert_int_equal(s->n_scenarios, 2);
	sc = &s->scenarios[0];
	assert_string_equal(sc->name, "steady");
	assert_int_equal(sc->load.model, PG_LOAD_CLOSED);
	assert_int_equal(sc->load.concurrency, 4);
	assert_int_equal(sc->load.duration, 10 * PG_NS_PER_S);
	assert_int_equal(sc->load.requests, 0);
	assert_int_equal(sc->load.warmup, PG_NS_PER_S);
	assert_int_equal(sc->load.timeout, 30 * PG_NS_PER_S);
	assert_int_equal(sc->n_reqs, 3);
	assert_string_equal(sc->reqs[0].text, "ttft.p95 < 300ms");
	assert_string_equal(sc->reqs[0].metric->name, "ttft");
	assert_int_equal(sc->reqs[0].stat.kind, PG_STAT_QUANTILE);
	assert_true(sc->reqs[0].stat.q > 0.9499 && sc->reqs[0].stat.q < 0.9501);
	assert_int_equal(sc->reqs[0].op, PG_OP_LT);
	assert_true(sc->reqs[0].limit == 300.0 * PG_NS_PER_MS);
	assert_string_equal(sc->reqs[0].file, SUITES "good.yaml");
	assert_int_equal(sc->reqs[0].line, 31);
	assert_int_equal(sc->reqs[0].col, 9);
	assert_string_equal(sc->reqs[1].metric->name, "errors.rate");
	assert_true(sc->reqs[1].limit > 0.000999 && sc->reqs[1].limit < 0.001001);
	assert_string_equal(sc->reqs[2].metric->name, "throughput.rps");
	assert_int_equal(sc->reqs[2].op, PG_OP_GE);
	assert_int_equal(sc->reqs[2].line, 33);
	assert_int_equal(sc->reqs[2].col, 9);

	sc = &s->scenarios[1];
	assert_string_equal(sc->name, "burst-1.0_x");
	assert_int_equal(sc->load.concurrency, 16);
	assert_int_equal(sc->load.duration, 0);
	assert_int_equal(sc->load.requests, 200);
	assert_int_equal(sc->n_reqs, 0);
	assert_null(sc->reqs);

	assert_ptr_equal(pg_suite_scenario(s, "burst-1.0_x"), &s->scenarios[1]);
	assert_null(pg_suite_scenario(s, "burst"));
	pg_suite_free(s);
}

static void omitted_fields_take_their_defaults(void **state)
{
	pg_suite *s;

	(void)state;
	assert_int_equal(load(&s, "defaults.yaml", NULL, 0, NULL), 0);
	assert_string_equal(s->name, "defaults");
	assert_string_equal(s->target.adapter, "openai-chat");
	assert_null(s->target.model);
	assert_int_equal(s->target.n_headers, 0);
	assert_non_null(s->target.options);
	assert_int_equal(pg_options_bool(s->target.options, "include_usage"), 1);
	assert_int_equal(s->workload.max_tokens, 128);
	assert_int_equal(s->workload.stream, 1);
	assert_int_equal(s->scenarios[0].load.warmup, 0);
	assert_int_equal(s->scenarios[0].load.timeout, 60 * PG_NS_PER_S);
	assert_int_equal(s->scenarios[0].load.requests, 1);
	assert_int_equal(s->scenarios[0].load.cooldown, 0);
	assert_int_equal(s->scenarios[0].load.seed, 1);
	assert_int_equal(s->scenarios[0].load.n_stages, 0);
	assert_null(s->scenarios[0].sweep);
	assert_int_equal(s->scenarios[0].goodput.ttft, 0);
	assert_int_equal(s->scenarios[0].goodput.tpot, 0);
	assert_int_equal(s->scenarios[0].goodput.e2e, 0);
	assert_string_equal(s->target.transport, "h1"); /* auto, for an http:// url */
	assert_ptr_equal(s->target.transport_plugin, &fake_h1);
	pg_suite_free(s);
}

static void set_overrides_ints_durations_and_new_keys(void **state)
{
	static const char *const sets[] = {
	    "workload.max_tokens=32",
	    "scenarios.0.load.duration=60s",
	    "scenarios.steady.load.concurrency=8",
	    "target.headers.X-Foo=bar=baz",
	    "target.options.temperature=1.5",
	    "target.model=",
	};
	pg_suite *s;

	(void)state;
	assert_int_equal(load(&s, "good.yaml", sets, 6, NULL), 0);
	assert_int_equal(s->workload.max_tokens, 32);
	assert_int_equal(s->scenarios[0].load.duration, 60 * PG_NS_PER_S);
	assert_int_equal(s->scenarios[0].load.concurrency, 8);
	assert_int_equal(s->target.n_headers, 2);
	assert_string_equal(s->target.headers[1].name, "X-Foo");
	assert_string_equal(s->target.headers[1].value, "bar=baz");
	assert_true(pg_options_double(s->target.options, "temperature") == 1.5);
	assert_null(s->target.model); /* an empty value reads as null: unset */
	pg_suite_free(s);
}

static void set_creates_missing_mappings(void **state)
{
	static const char *const sets[] = {"target.headers.X-Foo=bar", "name=renamed"};
	pg_suite *s;

	(void)state;
	assert_int_equal(load(&s, "defaults.yaml", sets, 2, NULL), 0);
	assert_int_equal(s->target.n_headers, 1);
	assert_string_equal(s->target.headers[0].name, "X-Foo");
	assert_string_equal(s->target.headers[0].value, "bar");
	assert_string_equal(s->name, "renamed");
	pg_suite_free(s);
}

static void set_errors_name_the_option(void **state)
{
	static const char *const out_of_range[] = {"scenarios.5.load.duration=60s"};
	static const char *const no_equals[] = {"workload.max_tokens"};
	static const char *const bad_value[] = {"scenarios.0.load.concurrency=abc"};
	static const char *const through_scalar[] = {"workload.max_tokens.x=1"};
	static const char *const list_index[] = {"workload.prompts.9=x"};
	static const char *const no_name[] = {"scenarios.nope.load.concurrency=2"};
	static const char *const bad_req[] = {"scenarios.0.requirements.1=ttfx.p95 < 1s"};
	static const char *const empty_comp[] = {"target..url=x"};

	(void)state;
	assert_load_error("good.yaml", out_of_range, 1, NULL,
			  "--set scenarios.5.load.duration: scenario index 5 out of range (suite "
			  "has 2 scenarios)");
	assert_load_error("good.yaml", no_equals, 1, NULL,
			  "--set 'workload.max_tokens': expected KEY=VALUE");
	assert_load_error("good.yaml", bad_value, 1, NULL,
			  "--set scenarios.0.load.concurrency: expected an integer for "
			  "'concurrency', got 'abc'");
	assert_load_error("good.yaml", through_scalar, 1, NULL,
			  "--set workload.max_tokens.x: 'workload.max_tokens' is a value, not a "
			  "mapping or list");
	assert_load_error(
	    "good.yaml", list_index, 1, NULL,
	    "--set workload.prompts.9: index 9 out of range ('workload.prompts' has 4 "
	    "items)");
	assert_load_error("good.yaml", no_name, 1, NULL,
			  "--set scenarios.nope.load.concurrency: no item named 'nope' in "
			  "'scenarios'");
	assert_load_error("good.yaml", bad_req, 1, NULL,
			  "--set scenarios.0.requirements.1: unknown metric 'ttfx' (did you mean "
			  "'ttft'?)");
	assert_load_error("good.yaml", empty_comp, 1, NULL,
			  "--set target..url: empty component in path 'target..url'");
}

static void set_values_are_validated_like_written_ones(void **state)
{
	static const struct {
		const char *set;
		const char *message;
	} cases[] = {
	    {"scenarios.0.load.concurrency=4.5",
	     "--set scenarios.0.load.concurrency: expected an integer for 'concurrency', got "
	     "'4.5'"},
	    {"scenarios.0.load.concurrency=100001",
	     "--set scenarios.0.load.concurrency: 'concurrency' must be between 1 and 100000, "
	     "got 100001"},
	    {"scenarios.0.load.concurrency=99999999999999999999",
	     "--set scenarios.0.load.concurrency: 'concurrency' must be between 1 and 100000, "
	     "got 99999999999999999999"},
	    {"scenarios.0.load.timeout=0s",
	     "--set scenarios.0.load.timeout: 'timeout' must be greater than 0"},
	    {"scenarios.0.load=fast", "--set scenarios.0.load: expected a mapping for 'load', "
				      "got 'fast'"},
	    {"workload.max_tokens=0", "--set workload.max_tokens: 'max_tokens' must be between "
				      "1 and 1000000, got 0"},
	    {"version=1.0", "--set version: expected an integer for 'version', got '1.0'"},
	    {"target.adapter=openai-completion",
	     "--set target.adapter: unknown adapter 'openai-completion' (did you mean "
	     "'openai-completions'?)"},
	    {"target.adapter=grpc", "--set target.adapter: unknown adapter 'grpc' (see `perfgate "
				    "plugins`)"},
	    {"target.adapter=broken", "--set target.adapter: /plugins/broken.so: plugin was built "
				      "for perfgate plugin ABI 2.0"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_load_error("good.yaml", &cases[i].set, 1, NULL, cases[i].message);
}

static void options_of_an_adapter_without_a_table_are_refused(void **state)
{
	static const char *const sets[] = {"target.adapter=openai-completions"};
	pg_suite *s;

	(void)state;
	assert_load_error("good.yaml", sets, 1, NULL,
			  SUITES "good.yaml:10:13: adapter 'openai-completions': unknown option "
				 "'include_usage' (this plugin takes no options)");
	assert_int_equal(load(&s, "defaults.yaml", sets, 1, NULL), 0);
	assert_ptr_equal(s->target.plugin, &fake_completions);
	assert_non_null(s->target.options);
	pg_suite_free(s);
}

static void set_requirement_records_its_origin(void **state)
{
	static const char *const sets[] = {"scenarios.0.requirements.0=ttft.p99 <= 1s"};
	const pg_requirement *r;
	pg_suite *s;

	(void)state;
	assert_int_equal(load(&s, "good.yaml", sets, 1, NULL), 0);
	r = &s->scenarios[0].reqs[0];
	assert_string_equal(r->text, "ttft.p99 <= 1s");
	assert_string_equal(r->file, "--set scenarios.0.requirements.0");
	assert_int_equal(r->line, 0);
	assert_int_equal(r->col, 0);
	assert_true(r->limit == 1.0 * PG_NS_PER_S);
	pg_suite_free(s);
}

static void target_option_replaces_the_url(void **state)
{
	pg_suite *s;

	(void)state;
	assert_int_equal(load(&s, "good.yaml", NULL, 0, "http://10.0.0.1:8000/v1"), 0);
	assert_string_equal(s->target.url, "http://10.0.0.1:8000/v1");
	assert_string_equal(s->target.model, "my-model");
	pg_suite_free(s);

	/* it also supplies a url the suite does not have */
	assert_int_equal(load(&s, "bad/missing_url.yaml", NULL, 0, "mock://"), 0);
	assert_string_equal(s->target.url, "mock://");
	pg_suite_free(s);

	assert_load_error("good.yaml", NULL, 0, "localhost:8000",
			  "--target: url must start with http://, https:// or mock://, got "
			  "'localhost:8000'");
}

static void headers_expand_environment_variables_as_secrets(void **state)
{
	pg_suite *s;

	(void)state;
	setenv("PG_SUITE_TEST_KEY", "sk-test-123", 1);
	unsetenv("PG_SUITE_TEST_UNSET");
	assert_int_equal(load(&s, "env.yaml", NULL, 0, NULL), 0);
	assert_int_equal(s->target.n_headers, 2);
	assert_string_equal(s->target.headers[0].name, "Authorization");
	assert_string_equal(s->target.headers[0].value, "Bearer sk-test-123");
	assert_int_equal(s->target.headers[0].secret, 1);
	assert_string_equal(s->target.headers[1].name, "X-Price");
	assert_string_equal(s->target.headers[1].value, "$5 and $ alone");
	assert_int_equal(s->target.headers[1].secret, 0);
	pg_suite_free(s);

	assert_load_error("env_unset.yaml", NULL, 0, NULL,
			  SUITES "env_unset.yaml:4:20: environment variable 'PG_SUITE_TEST_UNSET' "
				 "is not set");
	unsetenv("PG_SUITE_TEST_KEY");
}

static void header_values_reject_bad_references_and_line_breaks(void **state)
{
	static const char *const unterminated[] = {"target.headers.X-A=${HOME"};
	static const char *const bad_name[] = {"target.headers.X-A=${1X}"};
	static const char *const bad_header[] = {"target.headers.X A=1"};
	static const char *const dup_header[] = {"target.headers.x-team=1"};
	static const char *const newline[] = {"target.headers.X-A=${PG_SUITE_TEST_NL}"};

	(void)state;
	assert_load_error("good.yaml", unterminated, 1, NULL,
			  "--set target.headers.X-A: unterminated '${' in header 'X-A' (write '$$' "
			  "for a literal '$')");
	assert_load_error("good.yaml", bad_name, 1, NULL,
			  "--set target.headers.X-A: invalid environment variable name '1X'");
	assert_load_error("good.yaml", bad_header, 1, NULL,
			  "--set target.headers.X A: invalid header name 'X A'");
	assert_load_error(
	    "good.yaml", dup_header, 1, NULL,
	    "--set target.headers.x-team: duplicate header 'x-team' (header names are "
	    "case-insensitive)");
	setenv("PG_SUITE_TEST_NL", "secret\nInjected: 1", 1);
	assert_load_error("good.yaml", newline, 1, NULL,
			  "--set target.headers.X-A: header 'X-A' contains a line break");
	unsetenv("PG_SUITE_TEST_NL");
}

static void header_values_are_capped(void **state)
{
	static char set[20 * 1024];
	const char *sets[] = {set};
	size_t n;

	(void)state;
	n = (size_t)snprintf(set, sizeof(set), "target.headers.X-Big=");
	memset(set + n, 'a', 16 * 1024 + 1);
	set[n + 16 * 1024 + 1] = '\0';
	assert_load_error("good.yaml", sets, 1, NULL,
			  "--set target.headers.X-Big: header 'X-Big' is longer than 16384 bytes");
}

static void jsonl_dataset_is_loaded_relative_to_the_suite(void **state)
{
	pg_suite *s;

	(void)state;
	assert_int_equal(load(&s, "dataset.yaml", NULL, 0, NULL), 0);
	assert_string_equal(s->workload.dataset, SUITES "prompts.jsonl");
	assert_int_equal(s->workload.n_items, 3);
	assert_string_equal(s->workload.items[0].prompt, "Say hi");
	assert_int_equal(s->workload.items[0].max_tokens, 0);
	assert_null(s->workload.items[1].prompt);
	assert_string_equal(s->workload.items[1].messages_json,
			    "[{\"role\":\"user\",\"content\":\"Hello\"}]");
	assert_int_equal(s->workload.items[1].max_tokens, 7);
	assert_string_equal(s->workload.items[2].prompt, "Explain TCP");
	assert_int_equal(s->workload.items[2].max_tokens, 32);
	pg_suite_free(s);
}

static void jsonl_errors_name_the_dataset_line(void **state)
{
	pg_suite *s = (pg_suite *)1;

	(void)state;
	assert_load_error("dataset_bad.yaml", NULL, 0, NULL,
			  SUITES "bad_line.jsonl:3: unknown key 'promt' (did you mean 'prompt'?)");
	assert_int_equal(load(&s, "dataset_missing.yaml", NULL, 0, NULL), PG_EIO);
	assert_null(s);
	assert_string_equal(pg_error_last(),
			    SUITES "dataset_missing.yaml:4:12: cannot read dataset '" SUITES
				   "no_such_file.jsonl': No such file or directory");
}

static void unreadable_suite_is_an_io_error(void **state)
{
	pg_suite *s = (pg_suite *)1;

	(void)state;
	assert_int_equal(load(&s, "does_not_exist.yaml", NULL, 0, NULL), PG_EIO);
	assert_null(s);
	assert_string_equal(pg_error_last(), "cannot read '" SUITES
					     "does_not_exist.yaml': No such file or directory");
	assert_int_equal(load(&s, "bad", NULL, 0, NULL), PG_EIO);
	assert_string_equal(pg_error_last(), "cannot read '" SUITES "bad': Is a directory");
}

/* Asserts stage i of ld: duration in ms, rates, kind. */
static void assert_stage(const pg_load *ld, size_t i, int64_t ms, double from, double to,
			 const char *kind)
{
	assert_true(i < ld->n_stages);
	assert_int_equal(ld->stages[i].duration, ms * PG_NS_PER_MS);
	assert_true(fabs(ld->stages[i].rate_from - from) < 1e-9);
	assert_true(fabs(ld->stages[i].rate_to - to) < 1e-9);
	assert_string_equal(ld->stages[i].kind, kind);
}

static void closed_and_open_rate_loads_take_their_fields_and_defaults(void **state)
{
	const pg_load *ld;
	pg_suite *s;

	(void)state;
	assert_int_equal(load(&s, "load_models.yaml", NULL, 0, NULL), 0);
	ld = &pg_suite_scenario(s, "closed")->load;
	assert_int_equal(ld->model, PG_LOAD_CLOSED);
	assert_int_equal(ld->concurrency, 8);
	assert_int_equal(ld->duration, 10 * PG_NS_PER_S);
	assert_int_equal(ld->cooldown, 2 * PG_NS_PER_S);
	assert_int_equal(ld->seed, 7);
	assert_int_equal(ld->n_stages, 0);
	assert_null(ld->stages);

	ld = &pg_suite_scenario(s, "open-rate")->load;
	assert_int_equal(ld->model, PG_LOAD_OPEN);
	assert_int_equal(ld->concurrency, 0);
	assert_int_equal(ld->arrival, PG_ARRIVAL_CONSTANT);
	assert_int_equal(ld->max_in_flight, 500);
	assert_int_equal(ld->warmup, PG_NS_PER_S);
	assert_int_equal(ld->cooldown, 0);
	assert_int_equal(ld->timeout, 60 * PG_NS_PER_S);
	assert_int_equal(ld->seed, 1);
	assert_int_equal(ld->requests, 0);
	assert_int_equal(ld->duration, 10 * PG_NS_PER_S);
	assert_int_equal(ld->n_stages, 1);
	assert_stage(ld, 0, 10000, 50, 50, "steady");
	assert_int_equal(ld->spike_start, 0);
	assert_int_equal(ld->spike_end, 0);

	ld = &pg_suite_scenario(s, "open-gamma")->load;
	assert_int_equal(ld->arrival, PG_ARRIVAL_GAMMA);
	assert_true(ld->burstiness == 2.5);
	assert_int_equal(ld->max_in_flight, 10000);
	assert_int_equal(ld->seed, 0);
	assert_stage(ld, 0, 5000, 20, 20, "steady");
	pg_suite_free(s);

	/* unset by default: poisson with burstiness 1 */
	assert_int_equal(load(&s, "load_models.yaml", NULL, 0, NULL), 0);
	ld = &pg_suite_scenario(s, "staged")->load;
	assert_int_equal(ld->arrival, PG_ARRIVAL_POISSON);
	assert_true(ld->burstiness == 1.0);
	pg_suite_free(s);
}

static void stages_expand_into_segments_with_the_spike_window(void **state)
{
	const pg_load *ld;
	pg_suite *s;

	(void)state;
	assert_int_equal(load(&s, "load_models.yaml", NULL, 0, NULL), 0);
	ld = &pg_suite_scenario(s, "staged")->load;
	assert_int_equal(ld->model, PG_LOAD_OPEN);
	assert_int_equal(ld->n_stages, 10);
	assert_stage(ld, 0, 30000, 100, 100, "steady");
	assert_stage(ld, 1, 10000, 0, 100, "ramp");
	assert_stage(ld, 2, 5000, 10, 10, "step");
	assert_stage(ld, 3, 5000, 20, 20, "step");
	assert_stage(ld, 4, 5000, 30, 30, "step");
	assert_stage(ld, 5, 5000, 40, 40, "step");
	assert_stage(ld, 6, 10000, 50, 50, "spike");
	assert_stage(ld, 7, 5000, 200, 200, "spike");
	assert_stage(ld, 8, 20000, 50, 50, "spike");
	assert_stage(ld, 9, 30 * 60 * 1000, 100, 100, "soak");
	/* 30 + 10 + 4 x 5 + 10 + 5 + 20 seconds, then 30 minutes */
	assert_int_equal(ld->duration, (95 + 1800) * PG_NS_PER_S);
	/* the high segment starts after 60s of earlier stages and 10s before */
	assert_int_equal(ld->spike_start, 70 * PG_NS_PER_S);
	assert_int_equal(ld->spike_end, 75 * PG_NS_PER_S);
	assert_int_equal(ld->cooldown, 3 * PG_NS_PER_S);
	assert_int_equal(ld->max_in_flight, 10000);

	/* zero-length spike segments are left out, fractional steps land on
	 * 'to' exactly, and the last spike wins */
	ld = &pg_suite_scenario(s, "fractional-steps")->load;
	assert_int_equal(ld->n_stages, 8);
	assert_stage(ld, 0, 1000, 20, 20, "spike");
	assert_stage(ld, 1, 1000, 10, 10, "spike");
	assert_stage(ld, 2, 1000, 0.1, 0.1, "step");
	assert_stage(ld, 3, 1000, 0.3, 0.3, "step");
	assert_stage(ld, 4, 1000, 0.5, 0.5, "step");
	assert_stage(ld, 5, 1000, 0.7, 0.7, "step");
	assert_true(ld->stages[5].rate_to == 0.7);
	assert_stage(ld, 6, 1000, 10, 10, "spike");
	assert_stage(ld, 7, 2000, 30, 30, "spike");
	assert_int_equal(ld->duration, 9 * PG_NS_PER_S);
	assert_int_equal(ld->spike_start, 7 * PG_NS_PER_S);
	assert_int_equal(ld->spike_end, 9 * PG_NS_PER_S);
	pg_suite_free(s);
}

static void trace_is_read_relative_to_the_suite_and_sets_the_window(void **state)
{
	static const pg_ns want[] = {0,
				     125 * PG_NS_PER_MS,
				     250 * PG_NS_PER_MS,
				     1500 * PG_NS_PER_MS,
				     1500 * PG_NS_PER_MS,
				     3 * PG_NS_PER_S};
	const pg_load *ld;
	pg_suite *s;
	size_t i;

	(void)state;
	assert_int_equal(load(&s, "load_models.yaml", NULL, 0, NULL), 0);
	ld = &pg_suite_scenario(s, "trace")->load;
	assert_int_equal(ld->model, PG_LOAD_TRACE);
	assert_string_equal(ld->trace, SUITES "arrivals.txt");
	assert_int_equal(ld->n_trace, 6);
	for (i = 0; i < 6; i++)
		assert_int_equal(ld->trace_times[i], want[i]);
	assert_int_equal(ld->duration, 3 * PG_NS_PER_S); /* the last offset */
	assert_int_equal(ld->max_in_flight, 64);
	assert_int_equal(ld->n_stages, 0);

	/* a duration cuts the trace: arrivals at its end are kept */
	ld = &pg_suite_scenario(s, "trace-cut")->load;
	assert_int_equal(ld->duration, 1500 * PG_NS_PER_MS);
	assert_int_equal(ld->n_trace, 5);
	assert_int_equal(ld->trace_times[4], 1500 * PG_NS_PER_MS);
	pg_suite_free(s);
}

static void trace_file_errors_name_the_trace_line(void **state)
{
	pg_suite *s = (pg_suite *)1;

	(void)state;
	assert_load_error("bad/trace_bad_line.yaml", NULL, 0, NULL,
			  SUITES "bad/trace_bad_line.txt:4: invalid arrival offset: unknown unit "
				 "'parsecs' in '2 parsecs' (expected ns, us, ms, s, m, h, /s, %, $ "
				 "or tokens)");
	assert_load_error("bad/trace_decreasing.yaml", NULL, 0, NULL,
			  SUITES "bad/trace_decreasing.txt:4: arrival offset 1.50s comes before "
				 "the previous one (2.00s); offsets must not decrease");
	assert_load_error("bad/trace_long_line.yaml", NULL, 0, NULL,
			  SUITES "bad/trace_long_line.txt:2: line longer than 256 bytes");
	assert_load_error("bad/trace_nul.yaml", NULL, 0, NULL,
			  SUITES "bad/trace_nul.txt:2: NUL byte in the line");
	assert_load_error("bad/trace_empty.yaml", NULL, 0, NULL,
			  SUITES "bad/trace_empty.yaml:8:14: trace '" SUITES
				 "bad/trace_empty.txt' has no arrivals");
	assert_int_equal(load(&s, "bad/trace_missing.yaml", NULL, 0, NULL), PG_EIO);
	assert_null(s);
	assert_string_equal(pg_error_last(),
			    SUITES "bad/trace_missing.yaml:8:14: cannot read "
				   "trace '" SUITES "bad/no_such_trace.txt': No such file or "
				   "directory");
}

static void set_can_switch_the_load_model(void **state)
{
	static const char *const to_open[] = {"scenarios.steady.load.concurrency=",
					      "scenarios.steady.load.rate=25/s"};
	static const char *const both[] = {"scenarios.0.load.rate=25/s"};
	static const char *const requests[] = {"scenarios.1.load.concurrency=",
					       "scenarios.1.load.rate=25/s"};
	static const char *const swap[] = {"scenarios.0.load.duration=",
					   "scenarios.0.load.requests=50"};
	static const char *const cleared[] = {"scenarios.0.load.duration="};
	static const char *const no_model[] = {"scenarios.0.load.concurrency="};
	const pg_load *ld;
	pg_suite *s;

	(void)state;
	assert_int_equal(load(&s, "good.yaml", to_open, 2, NULL), 0);
	ld = &s->scenarios[0].load;
	assert_int_equal(ld->model, PG_LOAD_OPEN);
	assert_int_equal(ld->n_stages, 1);
	assert_stage(ld, 0, 10000, 25, 25, "steady");
	pg_suite_free(s);

	/* an emptied key next to the other one is unset */
	assert_int_equal(load(&s, "good.yaml", swap, 2, NULL), 0);
	assert_int_equal(s->scenarios[0].load.duration, 0);
	assert_int_equal(s->scenarios[0].load.requests, 50);
	pg_suite_free(s);
	/* alone it reads as a value left out */
	assert_load_error("good.yaml", cleared, 1, NULL,
			  "--set scenarios.0.load.duration: 'duration' has no value");
	assert_load_error("good.yaml", no_model, 1, NULL,
			  "--set scenarios.0.load.concurrency: 'concurrency' has no value");
	assert_load_error("good.yaml", both, 1, NULL,
			  "--set scenarios.0.load.rate: both 'concurrency' and 'rate' in 'load': "
			  "choose one of concurrency, rate, stages or trace");
	assert_load_error("good.yaml", requests, 2, NULL,
			  SUITES
			  "good.yaml:37:7: 'requests' applies to closed-loop load (concurrency); "
			  "open-loop load runs for a duration");
}

static void sweep_and_goodput_are_read_with_defaults(void **state)
{
	const pg_scenario *sc;
	pg_suite *s;

	(void)state;
	assert_int_equal(load(&s, "sweep.yaml", NULL, 0, NULL), 0);
	sc = pg_suite_scenario(s, "users");
	assert_non_null(sc->sweep);
	assert_int_equal(sc->sweep->by_rate, 0);
	assert_int_equal(sc->sweep->n_levels, 3);
	assert_true(sc->sweep->levels[0] == 10 && sc->sweep->levels[1] == 50 &&
		    sc->sweep->levels[2] == 200);
	assert_true(sc->sweep->latency_factor == 2);
	assert_true(sc->sweep->min_gain == 0.05);
	assert_true(sc->sweep->max_error_rate == 0.01);
	assert_int_equal(sc->goodput.ttft, 500 * PG_NS_PER_MS);
	assert_int_equal(sc->goodput.tpot, 50 * PG_NS_PER_MS);
	assert_int_equal(sc->goodput.e2e, 5 * PG_NS_PER_S);

	sc = pg_suite_scenario(s, "rates");
	assert_int_equal(sc->sweep->by_rate, 1);
	assert_int_equal(sc->sweep->n_levels, 3);
	assert_true(sc->sweep->levels[0] == 100 && sc->sweep->levels[1] == 200 &&
		    sc->sweep->levels[2] == 400);
	assert_true(sc->sweep->latency_factor == 3);
	assert_true(fabs(sc->sweep->min_gain - 0.1) < 1e-12);
	assert_true(sc->sweep->max_error_rate == 0.02);
	assert_int_equal(sc->goodput.ttft, 0);
	assert_int_equal(sc->goodput.tpot, 0);
	assert_int_equal(sc->goodput.e2e, 2 * PG_NS_PER_S);

	sc = pg_suite_scenario(s, "plain");
	assert_null(sc->sweep);
	assert_int_equal(sc->goodput.e2e, 0);
	pg_suite_free(s);
}

static void sweep_options_are_validated(void **state)
{
	static const struct {
		const char *set;
		const char *message;
	} cases[] = {
	    {"scenarios.0.sweep.latency_factor=1",
	     "--set scenarios.0.sweep.latency_factor: 'latency_factor' must be above 1 and at most "
	     "1000, got 1"},
	    {"scenarios.0.sweep.min_gain=150%",
	     "--set scenarios.0.sweep.min_gain: 'min_gain' must be between 0 and 1 (0% and 100%), "
	     "got 150%"},
	    {"scenarios.1.sweep.max_error_rate=5ms",
	     "--set scenarios.1.sweep.max_error_rate: expected a fraction or percentage such as 5% "
	     "for 'max_error_rate', got '5ms'"},
	    {"scenarios.0.sweep.concurrency.1=0",
	     "--set scenarios.0.sweep.concurrency.1: 'concurrency' must be between 1 and 100000, "
	     "got 0"},
	    {"scenarios.1.sweep.rate.2=20000000/s",
	     "--set scenarios.1.sweep.rate.2: 'rate' must be at most 10000000/s, got 20000000/s"},
	    {"scenarios.0.sweep.rate=1", "--set scenarios.0.sweep.rate: give either 'concurrency' "
					 "or 'rate' in 'sweep', not both"},
	    {"scenarios.0.sweep.latency_facter=3",
	     "--set scenarios.0.sweep.latency_facter: unknown key 'latency_facter' in 'sweep' (did "
	     "you mean 'latency_factor'?)"},
	    {"scenarios.0.goodput.ttft=0s",
	     "--set scenarios.0.goodput.ttft: 'ttft' must be greater "
	     "than 0"},
	    {"scenarios.0.goodput.itl=1s", "--set scenarios.0.goodput.itl: unknown key 'itl' in "
					   "'goodput'"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_load_error("sweep.yaml", &cases[i].set, 1, NULL, cases[i].message);
}

static void load_values_are_validated(void **state)
{
	static const struct {
		const char *set;
		const char *message;
	} cases[] = {
	    {"scenarios.open-rate.load.rate=0/s",
	     "--set scenarios.open-rate.load.rate: 'rate' must be greater than 0"},
	    {"scenarios.open-rate.load.rate=10000001",
	     "--set scenarios.open-rate.load.rate: 'rate' must be at most 10000000/s, got "
	     "10000001"},
	    {"scenarios.open-rate.load.max_in_flight=0",
	     "--set scenarios.open-rate.load.max_in_flight: 'max_in_flight' must be between 1 and "
	     "10000000, got 0"},
	    {"scenarios.open-gamma.load.burstiness=0",
	     "--set scenarios.open-gamma.load.burstiness: 'burstiness' must be above 0 and at most "
	     "100, got 0"},
	    {"scenarios.open-rate.load.arrival=bursty",
	     "--set scenarios.open-rate.load.arrival: unknown arrival 'bursty' (expected constant, "
	     "poisson or gamma)"},
	    {"scenarios.closed.load.arrival=constant",
	     "--set scenarios.closed.load.arrival: 'arrival' applies to open-loop load (rate or "
	     "stages)"},
	    {"scenarios.closed.load.seed=-1",
	     "--set scenarios.closed.load.seed: 'seed' must be between 0 and 9223372036854775807, "
	     "got -1"},
	    {"scenarios.closed.load.cooldown=1",
	     "--set scenarios.closed.load.cooldown: invalid duration for 'cooldown': missing unit "
	     "in '1' (write e.g. 300ms or 2s)"},
	    {"scenarios.staged.load.stages.0.steady.rate=fast",
	     "--set scenarios.staged.load.stages.0.steady.rate: invalid rate for 'rate': expected "
	     "a "
	     "number in 'fast'"},
	    {"scenarios.staged.load.stages.0.steady.duraton=1s",
	     "--set scenarios.staged.load.stages.0.steady.duraton: unknown key 'duraton' in a "
	     "'steady' stage (did you mean 'duration'?)"},
	    {"scenarios.staged.load.stages.2.steps.to=5/s",
	     "--set scenarios.staged.load.stages.2.steps.to: 'to' (5/s) must be at least 'from' "
	     "(10/s) in 'steps'"},
	    {"scenarios.staged.load.stages.2.steps.step=0.001",
	     SUITES "load_models.yaml:23:18: 'steps' from 10/s to 40/s by 0.001/s make more than "
		    "10000 stages"},
	    {"scenarios.staged.load.stages.3.spike.multiple=400000",
	     "--set scenarios.staged.load.stages.3.spike.multiple: the spike's rate 50/s x 400000 "
	     "is above 10000000/s"},
	    {"scenarios.staged.load.stages.3=spike",
	     "--set scenarios.staged.load.stages.3: expected a mapping for 'stages', got 'spike'"},
	    {"scenarios.staged.load.stages.3.spike=",
	     "--set scenarios.staged.load.stages.3.spike: expected a mapping for 'spike', got "
	     "nothing"},
	    {"scenarios.trace.load.requests=3",
	     "--set scenarios.trace.load.requests: 'requests' applies to closed-loop load "
	     "(concurrency); open-loop load runs for a duration"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_load_error("load_models.yaml", &cases[i].set, 1, NULL, cases[i].message);
}

static void transport_auto_resolves_by_url_scheme(void **state)
{
	pg_suite *s;

	(void)state;
	assert_int_equal(load(&s, "defaults.yaml", NULL, 0, "https://api.example.com/v1"), 0);
	assert_string_equal(s->target.transport, "curl");
	assert_ptr_equal(s->target.transport_plugin, &fake_curl);
	pg_suite_free(s);

	assert_int_equal(load(&s, "defaults.yaml", NULL, 0, "mock://?decode_ms=1"), 0);
	assert_string_equal(s->target.transport, "h1");
	pg_suite_free(s);
}

static void explicit_transport_and_its_options_are_validated(void **state)
{
	static const char *const h1[] = {"target.transport=h1"};
	static const char *const auto_set[] = {"target.transport=auto"};
	static const char *const typo[] = {"target.transport=h2"};
	static const char *const unknown[] = {"target.transport=grpc"};
	static const char *const wrong_kind[] = {"target.transport=openai-chat"};
	static const char *const bad_value[] = {"target.transport_options.connect_timeout=fast"};
	pg_suite *s;

	(void)state;
	assert_int_equal(load(&s, "transport.yaml", NULL, 0, NULL), 0);
	assert_string_equal(s->target.transport, "curl"); /* explicit, over auto's h1 */
	assert_ptr_equal(s->target.transport_plugin, &fake_curl);
	assert_int_equal(pg_options_duration(s->target.transport_options, "connect_timeout"),
			 2 * PG_NS_PER_S);
	assert_int_equal(pg_options_bool(s->target.transport_options, "pipeline"), 1);
	pg_suite_free(s);

	assert_int_equal(load(&s, "transport.yaml", h1, 1, NULL), 0);
	assert_ptr_equal(s->target.transport_plugin, &fake_h1);
	pg_suite_free(s);
	assert_int_equal(load(&s, "transport.yaml", auto_set, 1, "https://example.com"), 0);
	assert_string_equal(s->target.transport, "curl");
	pg_suite_free(s);

	assert_load_error("transport.yaml", typo, 1, NULL,
			  "--set target.transport: unknown transport 'h2' (did you mean 'h1'?)");
	assert_load_error("transport.yaml", unknown, 1, NULL,
			  "--set target.transport: unknown transport 'grpc' (see `perfgate "
			  "plugins`)");
	assert_load_error("transport.yaml", wrong_kind, 1, NULL,
			  "--set target.transport: plugin 'openai-chat' is not a transport");
	assert_load_error(
	    "transport.yaml", bad_value, 1, NULL,
	    "--set target.transport_options.connect_timeout: option 'connect_timeout': "
	    "expected a number in 'fast'");
	assert_load_error("bad/unknown_transport_option.yaml", NULL, 0, NULL,
			  SUITES "bad/unknown_transport_option.yaml:4:5: transport 'h1': unknown "
				 "option 'pipelin' (did you mean 'pipeline'?)");
}

static void suite_loads_from_a_json_buffer(void **state)
{
	static const char good[] =
	    "{\"name\": \"adhoc\", \"target\": {\"url\": \"https://api.example.com/v1\"},\n"
	    " \"workload\": {\"prompts\": [\"hi\"]},\n"
	    " \"scenarios\": [{\"name\": \"load\", \"load\": {\"rate\": \"40/s\", "
	    "\"duration\": \"5s\"}}]}";
	static const char bad[] = "{\"target\": {\"url\": \"mock://\"},\n"
				  " \"workload\": {\"prompts\": [\"hi\"]},\n"
				  " \"scenarios\": [{\"name\": \"x\", \"load\": {\"rate\": 0, "
				  "\"duration\": \"5s\"}}]}";
	pg_suite_load_opts opts = PG_SUITE_LOAD_OPTS_INIT;
	pg_suite *s = (pg_suite *)1;

	(void)state;
	opts.lookup = fake_lookup;
	assert_int_equal(pg_suite_load_buffer(&s, "perfgate load", good, strlen(good), &opts), 0);
	assert_string_equal(s->name, "adhoc");
	assert_string_equal(s->path, "perfgate load");
	assert_string_equal(s->target.transport, "curl");
	assert_int_equal(s->scenarios[0].load.model, PG_LOAD_OPEN);
	assert_stage(&s->scenarios[0].load, 0, 5000, 40, 40, "steady");
	pg_suite_free(s);

	s = (pg_suite *)1;
	assert_int_equal(pg_suite_load_buffer(&s, "perfgate load", bad, strlen(bad), &opts),
			 PG_EINVAL);
	assert_null(s);
	assert_string_equal(pg_error_last(), "perfgate load:3:47: 'rate' must be greater than 0");
}

static void bad_suites_fail_with_exact_located_messages(void **state)
{
	static const struct {
		const char *file;
		const char *message; /* after "<path>:" */
	} cases[] = {
	    {"unknown_key.yaml", "9:7: unknown key 'duraton' in 'load' (did you mean "
				 "'duration'?)"},
	    {"unknown_top_key.yaml", "3:1: unknown top-level key 'colour'"},
	    {"wrong_type.yaml", "8:20: expected an integer for 'concurrency', got 'abc'"},
	    {"load_not_map.yaml", "7:11: expected a mapping for 'load', got a list"},
	    {"bad_duration_unit.yaml", "9:17: invalid duration for 'duration': " UNIT_ERROR},
	    {"zero_duration.yaml", "7:38: 'duration' must be greater than 0"},
	    {"unknown_metric.yaml", "10:12: unknown metric 'ttfx' (did you mean 'ttft'?)"},
	    {"requirement_unit.yaml", "9:23: errors.rate needs a percentage or a fraction, "
				      "got '5ms'"},
	    {"requirement_no_stat.yaml", "8:20: 'ttft' needs a statistic such as ttft.p95"},
	    {"requirement_mapping.yaml", "9:9: expected a requirement such as 'ttft.p95 < "
					 "300ms', got a mapping"},
	    {"missing_url.yaml", "2:3: missing required key 'url' in 'target'"},
	    {"bad_url.yaml", "2:8: url must start with http://, https:// or mock://, got "
			     "'ftp://example.com'"},
	    {"missing_scenarios.yaml", "1:1: missing required key 'scenarios'"},
	    {"empty_scenarios.yaml", "5:12: 'scenarios' is empty"},
	    {"duplicate_scenario.yaml", "8:11: duplicate scenario name 'steady'"},
	    {"bad_scenario_name.yaml", "6:11: scenario name 'steady state' must be 1-100 "
				       "letters, digits, '_', '.' or '-'"},
	    {"duration_and_requests.yaml", "10:7: give either 'duration' or 'requests' in "
					   "'load', not both"},
	    {"no_duration_or_requests.yaml", "8:7: missing 'duration' or 'requests' in "
					     "'load'"},
	    {"concurrency_zero.yaml", "7:25: 'concurrency' must be between 1 and 100000, got "
				      "0"},
	    {"syntax_error.yaml", "3:2: did not find expected key (while parsing a block "
				  "mapping that started at 1:1)"},
	    {"alias.yaml", "7:11: anchors and aliases are not supported"},
	    {"duplicate_key.yaml", "4:3: duplicate key 'url' (first at line 2)"},
	    {"unknown_adapter.yaml", "2:12: unknown adapter 'openai-chta' (did you mean "
				     "'openai-chat'?)"},
	    {"unknown_option.yaml", "4:5: adapter 'openai-chat': unknown option "
				    "'include_usag' (did you mean 'include_usage'?)"},
	    {"bad_option_value.yaml", "3:26: option 'temperature' must be between 0 and 2, "
				      "got '3'"},
	    {"empty.yaml", "1:1: suite is empty"},
	    {"comments_only.yaml", "1:1: suite is empty"},
	    {"version_2.yaml", "1:10: unsupported suite version 2 (this perfgate reads "
			       "version 1)"},
	    {"multi_document.yaml", "3:1: multiple YAML documents are not supported"},
	    {"invalid_utf8.yaml", "3:13: invalid input: invalid leading UTF-8 octet (byte "
				  "0xff)"},
	    {"tag.yaml", "7:25: tags are not supported ('tag:yaml.org,2002:int')"},
	    {"prompts_and_dataset.yaml", "5:3: give either 'prompts' or 'dataset' in "
					 "'workload', not both"},
	    {"stream_yes.yaml", "5:11: expected true or false for 'stream', got 'yes'"},
	    {"top_level_list.yaml", "1:1: expected a mapping at the top of the suite, got a "
				    "list"},
	    {"message_missing_content.yaml", "6:11: missing required key 'content' in a "
					     "message"},
	    {"two_load_models.yaml", "9:7: both 'concurrency' and 'rate' in 'load': choose one "
				     "of concurrency, rate, stages or trace"},
	    {"no_load_model.yaml", "8:7: missing 'concurrency', 'rate', 'stages' or 'trace' in "
				   "'load'"},
	    {"requests_open_loop.yaml", "7:24: 'requests' applies to closed-loop load "
					"(concurrency); open-loop load runs for a duration"},
	    {"rate_without_duration.yaml", "7:11: missing 'duration' in 'load' (open-loop load "
					   "runs for a duration)"},
	    {"rate_not_a_rate.yaml", "7:18: expected a rate such as 50/s for 'rate', got '10ms'"},
	    {"duration_with_stages.yaml", "10:7: 'duration' does not apply with 'stages' (the run "
					  "lasts as long as its stages)"},
	    {"steps_unreachable.yaml", "9:35: 'to' (100/s) is not reachable from 'from' (10/s) "
				       "in steps of 20/s"},
	    {"spike_multiple_one.yaml", "11:23: 'multiple' must be greater than 1, got 1"},
	    {"ramp_from_zero_to_zero.yaml", "9:33: a ramp needs 'from' or 'to' above 0"},
	    {"unknown_stage_kind.yaml", "10:11: unknown stage kind 'stedy' (did you mean "
					"'steady'?)"},
	    {"stage_two_kinds.yaml", "10:11: a stage has one kind, got 'steady' and 'ramp' (make "
				     "each its own list item)"},
	    {"burstiness_not_gamma.yaml", "7:57: 'burstiness' applies only to 'arrival: gamma'"},
	    {"bad_arrival.yaml", "10:16: unknown arrival 'poison' (did you mean 'poisson'?)"},
	    {"arrival_with_trace.yaml", "7:36: 'arrival' does not apply to 'trace' load (the "
					"trace gives the arrival times)"},
	    {"max_in_flight_closed.yaml", "7:43: 'max_in_flight' applies to open-loop load "
					  "(rate, stages or trace)"},
	    {"sweep_concurrency_open.yaml", "9:7: a sweep over 'concurrency' needs closed-loop "
					    "load ('concurrency' in 'load')"},
	    {"sweep_rate_stages.yaml", "10:13: a sweep over 'rate' needs open-loop load given "
				       "with 'rate' in 'load' (not 'stages' or 'trace')"},
	    {"sweep_not_ascending.yaml", "12:11: sweep levels must be strictly ascending: 50 "
					 "after 200"},
	    {"sweep_one_level.yaml", "8:26: a sweep needs at least 2 levels, got 1"},
	    {"goodput_empty.yaml", "8:14: 'goodput' needs at least one of ttft, tpot or e2e"},
	    {"trace_cut_empty.yaml", "7:45: no arrivals of trace '" SUITES "bad/trace_late.txt' in "
				     "its first 1.00s"},
	};
	char name[256], expected[1024];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(name, sizeof(name), "bad/%s", cases[i].file);
		snprintf(expected, sizeof(expected), "%sbad/%s:%s", SUITES, cases[i].file,
			 cases[i].message);
		assert_load_error(name, NULL, 0, NULL, expected);
	}
}

static void yaml_tree_keeps_marks_and_styles(void **state)
{
	static const char doc[] = "a: plain\nb: 'quoted'\nc: |\n  block\nd: [1, {e: f}]\n";
	const pg_yaml_node *d;
	pg_yaml_tree *t;

	(void)state;
	assert_int_equal(pg_yaml_parse(&t, "doc.yaml", doc, strlen(doc)), 0);
	assert_int_equal(t->root->kind, PG_YAML_MAP);
	assert_int_equal(t->root->n, 4);
	assert_int_equal(pg_yaml_get(t->root, "a")->style, PG_YAML_PLAIN);
	assert_int_equal(pg_yaml_get(t->root, "b")->style, PG_YAML_QUOTED);
	assert_string_equal(pg_yaml_get(t->root, "b")->value, "quoted");
	assert_int_equal(pg_yaml_get(t->root, "c")->style, PG_YAML_BLOCK);
	assert_string_equal(pg_yaml_get(t->root, "c")->value, "block\n");
	d = pg_yaml_get(t->root, "d");
	assert_int_equal(d->kind, PG_YAML_SEQ);
	assert_int_equal(d->mark.line, 5);
	assert_int_equal(d->mark.col, 4);
	assert_int_equal(d->items[1]->kind, PG_YAML_MAP);
	assert_int_equal(d->items[1]->pairs[0].key->mark.col, 9);
	assert_string_equal(d->items[1]->pairs[0].key->mark.file, "doc.yaml");
	pg_yaml_free(t);

	assert_int_equal(pg_yaml_parse(&t, "empty.yaml", "", 0), 0);
	assert_null(t->root);
	pg_yaml_free(t);
}

static void yaml_tree_refuses_nul_and_deep_nesting(void **state)
{
	static const char nul[] = "a: \"x\\0y\"\n";
	char deep[256];
	pg_yaml_tree *t = (pg_yaml_tree *)1;
	size_t i;

	(void)state;
	assert_int_equal(pg_yaml_parse(&t, "nul.yaml", nul, strlen(nul)), PG_EPARSE);
	assert_null(t);
	assert_string_equal(pg_error_last(), "nul.yaml:1:4: NUL characters are not allowed");

	for (i = 0; i < PG_YAML_MAX_DEPTH + 1; i++)
		deep[i] = '[';
	deep[i] = '\0';
	assert_int_equal(pg_yaml_parse(&t, "deep.yaml", deep, strlen(deep)), PG_EPARSE);
	assert_string_equal(pg_error_last(), "deep.yaml:1:65: nesting deeper than 64 levels");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(good_suite_loads_every_field_as_written),
	    cmocka_unit_test(omitted_fields_take_their_defaults),
	    cmocka_unit_test(set_overrides_ints_durations_and_new_keys),
	    cmocka_unit_test(set_creates_missing_mappings),
	    cmocka_unit_test(set_errors_name_the_option),
	    cmocka_unit_test(set_values_are_validated_like_written_ones),
	    cmocka_unit_test(options_of_an_adapter_without_a_table_are_refused),
	    cmocka_unit_test(set_requirement_records_its_origin),
	    cmocka_unit_test(target_option_replaces_the_url),
	    cmocka_unit_test(headers_expand_environment_variables_as_secrets),
	    cmocka_unit_test(header_values_reject_bad_references_and_line_breaks),
	    cmocka_unit_test(header_values_are_capped),
	    cmocka_unit_test(jsonl_dataset_is_loaded_relative_to_the_suite),
	    cmocka_unit_test(jsonl_errors_name_the_dataset_line),
	    cmocka_unit_test(unreadable_suite_is_an_io_error),
	    cmocka_unit_test(closed_and_open_rate_loads_take_their_fields_and_defaults),
	    cmocka_unit_test(stages_expand_into_segments_with_the_spike_window),
	    cmocka_unit_test(trace_is_read_relative_to_the_suite_and_sets_the_window),
	    cmocka_unit_test(trace_file_errors_name_the_trace_line),
	    cmocka_unit_test(set_can_switch_the_load_model),
	    cmocka_unit_test(sweep_and_goodput_are_read_with_defaults),
	    cmocka_unit_test(sweep_options_are_validated),
	    cmocka_unit_test(load_values_are_validated),
	    cmocka_unit_test(transport_auto_resolves_by_url_scheme),
	    cmocka_unit_test(explicit_transport_and_its_options_are_validated),
	    cmocka_unit_test(suite_loads_from_a_json_buffer),
	    cmocka_unit_test(bad_suites_fail_with_exact_located_messages),
	    cmocka_unit_test(yaml_tree_keeps_marks_and_styles),
	    cmocka_unit_test(yaml_tree_refuses_nul_and_deep_nesting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
