/*
 * Suite format v1: a YAML file with a target, a workload and scenarios,
 * loaded with libyaml, validated into the plan below. Every error names
 * file:line:col (or the --set option at fault) and nothing is run.
 */
#ifndef PG_SUITE_H
#define PG_SUITE_H

#include <stddef.h>

#include "perfgate/plugin.h"
#include "recorder.h" /* pg_slo */
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
	char *transport;     /* transport plugin name; "auto" (default) resolves to
			      * "h1" for http:// and mock:// URLs, "curl" otherwise */
	pg_options *transport_options; /* `transport_options:`, validated against it */
	const pg_plugin_desc *transport_plugin;
} pg_target;

typedef struct pg_prompt {
	char *prompt;        /* plain prompt, or NULL */
	char *messages_json; /* compact JSON array, or NULL */
	int64_t max_tokens;  /* <= 0: use the workload's */
	char *expected;      /* reference answer for scoring (dataset "expected" or
			      * "answer", the next ShareGPT gpt turn), or NULL */
	char *metadata_json; /* compact JSON object of the item's other dataset
			      * fields (e.g. {"id": "x"}), or NULL */
} pg_prompt;

typedef struct pg_workload {
	pg_prompt *items;
	size_t n_items;
	int64_t max_tokens; /* default 128 */
	int stream;         /* default 1 */
	char *dataset;      /* dataset path as resolved (relative to the suite) when the
			     * workload is one dataset, or NULL */
} pg_workload;

typedef enum pg_load_model {
	PG_LOAD_CLOSED = 0, /* `concurrency` virtual users, each waits for its answer */
	PG_LOAD_OPEN = 1,   /* arrivals on a schedule (`rate` or `stages`), never throttled */
	PG_LOAD_TRACE = 2   /* arrivals replayed from a trace file of timestamps */
} pg_load_model;

typedef enum pg_arrival {
	PG_ARRIVAL_CONSTANT = 0, /* evenly spaced */
	PG_ARRIVAL_POISSON = 1,  /* exponential gaps */
	PG_ARRIVAL_GAMMA = 2     /* gamma gaps with shape 1/burstiness^2 (CV = burstiness) */
} pg_arrival;

/* One segment of an open-loop schedule: the rate goes linearly from
 * rate_from to rate_to (per second) over duration. Steady, step and soak
 * stages have rate_from == rate_to; a spike is three segments. */
typedef struct pg_stage {
	pg_ns duration;
	double rate_from;
	double rate_to;
	const char *kind; /* static: "steady", "ramp", "step", "spike", "soak" */
} pg_stage;

typedef struct pg_load {
	pg_load_model model;
	int64_t concurrency; /* closed: virtual users, >= 1 */
	pg_arrival arrival;  /* open: gap distribution, default poisson */
	double burstiness;   /* gamma: coefficient of variation of gaps, default 1 */
	pg_stage *stages;    /* open: the measured schedule; `rate: R` is one steady stage */
	size_t n_stages;
	char *trace;         /* trace: path as resolved (relative to the suite) */
	pg_ns *trace_times;  /* trace: arrival offsets from the start, non-decreasing */
	size_t n_trace;
	int64_t max_in_flight; /* open/trace: arrivals beyond this many in flight are
				* dropped and counted, never delayed; default 10000 */
	pg_ns duration;      /* measured duration; for open loop the sum of the stages */
	int64_t requests;    /* closed: measured request count, 0 if duration is used */
	pg_ns warmup;        /* before the window, at the first stage's starting rate */
	pg_ns cooldown;      /* after the window, at the last stage's final rate */
	pg_ns timeout;       /* per request, default 60s */
	pg_ns spike_start;   /* offsets in the window of the last spike, 0/0 if none */
	pg_ns spike_end;
	uint64_t seed;       /* arrival randomness, default 1 */
	int64_t retries;     /* attempts after a retryable failure (connect, network,
			      * 429, 500, 502, 503, 504), default 0 */
	pg_ns retry_backoff; /* wait before the first retry, doubled each time; 100ms */
} pg_load;

/* A capacity sweep: the scenario runs once per level with concurrency (or
 * rate) replaced, and the knee is found (see analysis.h). */
typedef struct pg_sweep {
	int by_rate;          /* 0: levels are concurrency, 1: rates per second */
	double *levels;       /* ascending */
	size_t n_levels;
	double latency_factor; /* knee when p95 > factor x first level's p95, default 2 */
	double min_gain;      /* knee when rps grows less than this fraction, default 0.05 */
	double max_error_rate; /* knee when errors.rate exceeds this, default 0.01 */
} pg_sweep;

typedef struct pg_scenario {
	char *name;
	pg_load load;
	pg_sweep *sweep; /* NULL when not a sweep */
	pg_slo goodput;
	pg_requirement *reqs;
	size_t n_reqs;
} pg_scenario;

/* `quality:`: how answers are graded (one scorer plugin for the suite). */
typedef struct pg_quality {
	char *scorer;                 /* plugin name */
	pg_options *options;          /* validated against the scorer's table */
	const pg_plugin_desc *plugin;
	int64_t max_answer_bytes;     /* text kept per request for scoring, default 64 KiB */
	/* After-run scorers (PG_SCORER_AFTER_RUN, e.g. `judge`) only: */
	struct pg_target *judge;      /* `judge:`, the target host->complete asks; required */
	int64_t sample;               /* answers graded after the load per run, default 100 */
	pg_ns judge_timeout;          /* per judge request, default 60s */
} pg_quality;

typedef struct pg_suite {
	char *path; /* as given */
	char *name; /* `name:` or the file's base name without extension */
	pg_target target;
	pg_workload workload;
	pg_scenario *scenarios;
	size_t n_scenarios;
	struct pg_cost *cost; /* `cost:` pricing (cost.h), NULL if none */
	pg_quality *quality;  /* `quality:` scoring, NULL if none */
	struct pg_baseline_cfg *baseline; /* `baseline:` (suite_baseline.h), NULL if none */
} pg_suite;

/* Finds a plugin descriptor of a kind by name; NULL (with pg_error_last()
 * saying why) if none. */
typedef const pg_plugin_desc *(*pg_plugin_lookup_fn)(void *ctx, pg_plugin_kind kind,
						      const char *name);

typedef struct pg_suite_load_opts {
	unsigned int version;
	const char *target_url;   /* --target: replaces target.url */
	const char *const *sets;  /* --set KEY=VALUE, applied in order */
	size_t n_sets;
	pg_plugin_lookup_fn lookup; /* required: resolves adapter and transport */
	void *lookup_ctx;
} pg_suite_load_opts;

#define PG_SUITE_LOAD_OPTS_VERSION 1
#define PG_SUITE_LOAD_OPTS_INIT { PG_SUITE_LOAD_OPTS_VERSION, NULL, NULL, 0, NULL, NULL }

/* Reads, overrides and validates a suite. On failure returns PG_EINVAL (bad
 * suite), PG_EIO (unreadable file) and sets a message that starts with
 * "file:line:col: " or "--set KEY: ". Free *out with pg_suite_free. */
int pg_suite_load(pg_suite **out, const char *path, const pg_suite_load_opts *opts);
/* As pg_suite_load, for a suite held in len bytes of data (YAML, or JSON,
 * which YAML reads); name stands for the file in messages ("name:3:5: ...")
 * and relative paths start at its directory (the current one if it has no
 * '/'). */
int pg_suite_load_buffer(pg_suite **out, const char *name, const char *data, size_t len,
			 const pg_suite_load_opts *opts);
void pg_suite_free(pg_suite *s);
/* Finds a scenario by name; NULL if none. */
const pg_scenario *pg_suite_scenario(const pg_suite *s, const char *name);

#endif
