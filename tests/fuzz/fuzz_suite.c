/*
 * Fuzz target: the suite loader (framework/suite.h) on arbitrary bytes,
 * and requirement expressions (framework/requirement.h) on the same bytes
 * as a string.
 *
 * The suite is loaded as PG_FUZZ_DATA/fuzz.yaml, so relative dataset and
 * trace paths resolve to the small files in tests/fuzz/data. Comment lines
 * at the top of the input of the form "#set KEY=VALUE" (up to 4) become
 * --set overrides and "#target URL" the --target override; YAML ignores
 * them otherwise.
 *
 * Plugins come from the built-in registry, as `perfgate run` makes it, but
 * the lookup only returns registered (built-in) plugins: searching the
 * plugin path would dlopen files named by the input and keep them loaded
 * across inputs.
 */
#include <jansson.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "fuzz_util.h"
#include "plugin_loader.h"
#include "requirement.h"
#include "suite.h"
#include "suite_load.h"

#ifndef PG_FUZZ_DATA
#define PG_FUZZ_DATA "tests/fuzz/data"
#endif

#define MAX_SETS 4

static pg_plugin_registry *registry;

static const pg_plugin_desc *lookup_builtin(void *ctx, pg_plugin_kind kind, const char *name)
{
	pg_plugin_registry *r = ctx;

	for (size_t i = 0; i < pg_plugins_count(r); i++) {
		const pg_plugin_entry *e = pg_plugins_at(r, i);

		if (e->desc->kind == kind && strcmp(e->desc->name, name) == 0)
			return e->desc;
	}
	pg_error_set("no built-in %s plugin named '%s'", pg_plugin_kind_name(kind), name);
	return NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	unsetenv("PERFGATE_PLUGIN_PATH");
	/* for suites that take a header from the environment */
	setenv("PG_FUZZ_TOKEN", "fuzz-secret", 1);
	if (pg_plugins_new(&registry, NULL) < 0) {
		fprintf(stderr, "fuzz_suite: %s\n", pg_error_last());
		abort();
	}
	return 0;
}

/* Collects "#set K=V" and "#target URL" lines from the top of text. The
 * strings are copied into *store (caller frees). */
static void read_directives(char **store, const char *sets[MAX_SETS], size_t *n_sets,
			    const char **target, const char *text)
{
	size_t len = strlen(text), i = 0;
	char *s;

	*store = NULL;
	*n_sets = 0;
	*target = NULL;
	if (strncmp(text, "#set ", 5) != 0 && strncmp(text, "#target ", 8) != 0)
		return;
	s = malloc(len + 1);
	if (!s)
		return;
	memcpy(s, text, len + 1);
	*store = s;
	while (s[i] == '#') {
		char *line = s + i, *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		if (strncmp(line, "#set ", 5) == 0 && *n_sets < MAX_SETS)
			sets[(*n_sets)++] = line + 5;
		else if (strncmp(line, "#target ", 8) == 0)
			*target = line + 8;
		else
			break;
		if (!nl)
			break;
		i = (size_t)(nl - s) + 1;
	}
}

static int finite_in(double v, double lo, double hi)
{
	return isfinite(v) && v >= lo && v <= hi;
}

static void check_json(const char *text, int want_array)
{
	json_error_t je;
	json_t *j;

	if (text == NULL)
		return;
	j = json_loads(text, 0, &je);
	FUZZ_CHECK(j != NULL);
	FUZZ_CHECK(want_array ? json_is_array(j) : json_is_object(j));
	json_decref(j);
}

/* What suite.h promises of a loaded plan. */
static void check_load(const pg_load *ld)
{
	pg_ns sum = 0;

	FUZZ_CHECK(ld->timeout > 0 && ld->warmup >= 0 && ld->cooldown >= 0);
	FUZZ_CHECK(ld->retries >= 0 && ld->retry_backoff >= 0);
	FUZZ_CHECK(ld->spike_start <= ld->spike_end);
	switch (ld->model) {
	case PG_LOAD_CLOSED:
		FUZZ_CHECK(ld->concurrency >= 1 && ld->concurrency <= PG_LOAD_MAX_CONCURRENCY);
		FUZZ_CHECK(ld->requests >= 0 && ld->duration >= 0);
		FUZZ_CHECK(ld->requests > 0 || ld->duration > 0);
		break;
	case PG_LOAD_OPEN:
		FUZZ_CHECK(ld->n_stages >= 1 && ld->n_stages <= PG_LOAD_MAX_STAGES);
		for (size_t i = 0; i < ld->n_stages; i++) {
			FUZZ_CHECK(ld->stages[i].duration > 0);
			FUZZ_CHECK(finite_in(ld->stages[i].rate_from, 0, PG_LOAD_MAX_RATE));
			FUZZ_CHECK(finite_in(ld->stages[i].rate_to, 0, PG_LOAD_MAX_RATE));
			FUZZ_CHECK(ld->stages[i].kind != NULL);
			FUZZ_CHECK(ld->stages[i].duration <= INT64_MAX - sum);
			sum += ld->stages[i].duration;
		}
		FUZZ_CHECK(sum == ld->duration);
		FUZZ_CHECK(finite_in(ld->burstiness, 0, PG_LOAD_MAX_BURSTINESS) &&
			   ld->burstiness > 0);
		FUZZ_CHECK(ld->max_in_flight >= 1 && ld->max_in_flight <= PG_LOAD_MAX_IN_FLIGHT);
		break;
	case PG_LOAD_TRACE:
		FUZZ_CHECK(ld->trace != NULL && ld->n_trace >= 1 && ld->duration > 0);
		FUZZ_CHECK(ld->trace_times[0] >= 0);
		for (size_t i = 1; i < ld->n_trace; i++)
			FUZZ_CHECK(ld->trace_times[i] >= ld->trace_times[i - 1]);
		FUZZ_CHECK(ld->trace_times[ld->n_trace - 1] <= ld->duration);
		FUZZ_CHECK(ld->max_in_flight >= 1 && ld->max_in_flight <= PG_LOAD_MAX_IN_FLIGHT);
		break;
	default:
		FUZZ_CHECK(!"unknown load model");
	}
}

static void check_plan(const pg_suite *s)
{
	FUZZ_CHECK(s->name != NULL && s->target.url != NULL);
	FUZZ_CHECK(s->target.plugin != NULL && s->target.plugin->kind == PG_PLUGIN_ADAPTER);
	FUZZ_CHECK(s->target.transport_plugin == NULL ||
		   s->target.transport_plugin->kind == PG_PLUGIN_TRANSPORT);
	for (size_t i = 0; i < s->target.n_headers; i++)
		FUZZ_CHECK(s->target.headers[i].name != NULL && s->target.headers[i].value != NULL);
	FUZZ_CHECK(s->workload.n_items >= 1);
	for (size_t i = 0; i < s->workload.n_items; i++) {
		const pg_prompt *p = &s->workload.items[i];

		/* exactly one of prompt and messages, as pg_work_item wants */
		FUZZ_CHECK((p->prompt != NULL) + (p->messages_json != NULL) == 1);
		check_json(p->messages_json, 1);
		check_json(p->metadata_json, 0);
	}
	FUZZ_CHECK(s->n_scenarios >= 1);
	for (size_t i = 0; i < s->n_scenarios; i++) {
		const pg_scenario *sc = &s->scenarios[i];

		FUZZ_CHECK(sc->name != NULL);
		FUZZ_CHECK(pg_suite_scenario(s, sc->name) != NULL);
		check_load(&sc->load);
		if (sc->sweep != NULL) {
			FUZZ_CHECK(sc->sweep->n_levels >= 2);
			for (size_t k = 0; k < sc->sweep->n_levels; k++) {
				FUZZ_CHECK(isfinite(sc->sweep->levels[k]) &&
					   sc->sweep->levels[k] > 0);
				FUZZ_CHECK(k == 0 ||
					   sc->sweep->levels[k] > sc->sweep->levels[k - 1]);
			}
		}
		for (size_t j = 0; j < sc->n_reqs; j++) {
			FUZZ_CHECK(sc->reqs[j].metric != NULL && sc->reqs[j].text != NULL);
			FUZZ_CHECK(isfinite(sc->reqs[j].limit) && sc->reqs[j].limit >= 0);
		}
	}
	if (s->quality != NULL)
		FUZZ_CHECK(s->quality->plugin != NULL &&
			   s->quality->plugin->kind == PG_PLUGIN_SCORER);
}

static void check_suite(const uint8_t *data, size_t size, const char *text)
{
	pg_suite_load_opts opts = PG_SUITE_LOAD_OPTS_INIT;
	const char *sets[MAX_SETS];
	char *store = NULL;
	pg_suite *s = NULL;
	int rc;

	read_directives(&store, sets, &opts.n_sets, &opts.target_url, text);
	opts.sets = sets;
	opts.lookup = lookup_builtin;
	opts.lookup_ctx = registry;
	pg_error_clear();
	rc = pg_suite_load_buffer(&s, PG_FUZZ_DATA "/fuzz.yaml", (const char *)data, size, &opts);
	if (rc < 0) {
		const char *msg = pg_error_last();

		FUZZ_CHECK(s == NULL);
		/* every error says why, and where: the suite (or a file it names
		 * in the data directory) or the --set / --target at fault */
		if (strncmp(msg, PG_FUZZ_DATA "/", strlen(PG_FUZZ_DATA "/")) != 0 &&
		    strncmp(msg, "--set ", 6) != 0 && strncmp(msg, "--target", 8) != 0) {
			fprintf(stderr, "error without a location: '%s'\n", msg);
			__builtin_trap();
		}
		FUZZ_CHECK(!fuzz_shows_null(msg, data, size));
	} else {
		FUZZ_CHECK(s != NULL);
		check_plan(s);
	}
	pg_suite_free(s);
	free(store);
}

static void check_requirement(const char *text)
{
	pg_requirement r;
	size_t off = (size_t)-1;

	memset(&r, 0, sizeof(r));
	if (pg_requirement_parse(&r, text, &off) == 0) {
		FUZZ_CHECK(r.text != NULL && r.metric != NULL);
		FUZZ_CHECK(pg_cmp_op_str(r.op) != NULL);
		(void)pg_requirement_met(&r, r.limit);
		pg_requirement_clear(&r);
	} else {
		FUZZ_CHECK(off <= strlen(text));
		FUZZ_CHECK(pg_error_last()[0] != '\0');
		FUZZ_CHECK(!fuzz_shows_null(pg_error_last(), (const uint8_t *)text, strlen(text)));
		pg_requirement_clear(&r);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strndup(data, size);

	if (!text)
		return 0;
	check_suite(data, size, text);
	check_requirement(text);
	free(text);
	return 0;
}
