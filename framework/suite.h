/*
 * Suite format v1: a YAML file with a target, a workload and scenarios,
 * loaded with libyaml, validated into the plan below. Every error names
 * file:line:col (or the --set option at fault) and nothing is run.
 */
#ifndef PG_SUITE_H
#define PG_SUITE_H

#include <stddef.h>

#include "perfgate/plugin.h"
#include "requirement.h"

typedef struct pg_header_kv {
	char *name;
	char *value;
	int secret; /* value came from ${ENV}: never print or write it */
} pg_header_kv;

typedef struct pg_target {
	char *adapter; /* plugin name, default "openai-chat" */
	char *url;     /* API base URL or mock://?params */
	char *model;   /* may be NULL */
	pg_header_kv *headers;
	size_t n_headers;
	pg_options *options; /* validated against the adapter's table */
	const pg_plugin_desc *plugin;
} pg_target;

typedef struct pg_prompt {
	char *prompt;        /* plain prompt, or NULL */
	char *messages_json; /* compact JSON array, or NULL */
	int64_t max_tokens;  /* <= 0: use the workload's */
} pg_prompt;

typedef struct pg_workload {
	pg_prompt *items;
	size_t n_items;
	int64_t max_tokens; /* default 128 */
	int stream;         /* default 1 */
	char *dataset;      /* JSONL path as resolved (relative to the suite), or NULL */
} pg_workload;

typedef struct pg_load {
	int64_t concurrency; /* closed-loop virtual users, >= 1 */
	pg_ns duration;      /* measured duration, 0 if requests is used */
	int64_t requests;    /* measured request count, 0 if duration is used */
	pg_ns warmup;        /* excluded from results, default 0 */
	pg_ns timeout;       /* per request, default 60s */
} pg_load;

typedef struct pg_scenario {
	char *name;
	pg_load load;
	pg_requirement *reqs;
	size_t n_reqs;
} pg_scenario;

typedef struct pg_suite {
	char *path; /* as given */
	char *name; /* `name:` or the file's base name without extension */
	pg_target target;
	pg_workload workload;
	pg_scenario *scenarios;
	size_t n_scenarios;
} pg_suite;

/* Finds an adapter descriptor by name; NULL if none. */
typedef const pg_plugin_desc *(*pg_adapter_lookup_fn)(void *ctx, const char *name);

typedef struct pg_suite_load_opts {
	unsigned int version;
	const char *target_url;   /* --target: replaces target.url */
	const char *const *sets;  /* --set KEY=VALUE, applied in order */
	size_t n_sets;
	pg_adapter_lookup_fn lookup; /* required: validates target.adapter/options */
	void *lookup_ctx;
} pg_suite_load_opts;

#define PG_SUITE_LOAD_OPTS_VERSION 1
#define PG_SUITE_LOAD_OPTS_INIT { PG_SUITE_LOAD_OPTS_VERSION, NULL, NULL, 0, NULL, NULL }

/* Reads, overrides and validates a suite. On failure returns PG_EINVAL (bad
 * suite), PG_EIO (unreadable file) and sets a message that starts with
 * "file:line:col: " or "--set KEY: ". Free *out with pg_suite_free. */
int pg_suite_load(pg_suite **out, const char *path, const pg_suite_load_opts *opts);
void pg_suite_free(pg_suite *s);
/* Finds a scenario by name; NULL if none. */
const pg_scenario *pg_suite_scenario(const pg_suite *s, const char *name);

#endif
