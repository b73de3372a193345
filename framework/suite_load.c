/*
 * A scenario's load: closed loop (`concurrency`), open loop (`rate`, or
 * `stages` expanded into constant and linear segments), or a trace of
 * arrival offsets read from a file; plus the scenario's `sweep:` and
 * `goodput:` sections, which depend on the load model.
 */
#include "suite_load.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "suggest.h"
#include "trace.h"
#include "units.h"
#include "workload.h"

#define NKEYS(a) (sizeof(a) / sizeof((a)[0]))

/* Longest run, as pg_duration_parse allows for one duration: 100 years. */
#define LOAD_MAX_DURATION_NS INT64_C(3155760000000000000)

static const char *const load_keys[] = {
    "concurrency", "rate",     "stages", "trace",    "arrival", "burstiness", "max_in_flight",
    "duration",	   "requests", "warmup", "cooldown", "timeout", "seed", "retries",
    "retry_backoff"};
/* The keys that choose the model, in the order messages name them. */
static const char *const model_keys[] = {"concurrency", "rate", "stages", "trace"};
static const char *const arrival_names[] = {"constant", "poisson", "gamma"};
static const char *const stage_kinds[] = {"steady", "ramp", "steps", "spike", "soak"};
static const char *const steady_keys[] = {"rate", "duration"};
static const char *const ramp_keys[] = {"from", "to", "duration"};
static const char *const steps_keys[] = {"from", "to", "step", "every"};
static const char *const spike_keys[] = {"rate", "multiple", "before", "for", "after"};
static const char *const sweep_keys[] = {"concurrency", "rate", "latency_factor", "min_gain",
					 "max_error_rate"};
static const char *const goodput_keys[] = {"ttft", "tpot", "e2e"};

static int oom(void)
{
	pg_error_set("out of memory");
	return PG_ENOMEM;
}

/* Refuses key in map (when set) with "'key' <why>". */
static int refuse(const pg_yaml_node *map, const char *key, const char *why)
{
	const pg_yaml_pair *p = pg_yaml_pair_get(map, key);

	if (p == NULL || pg_yaml_is_null(p->value))
		return 0;
	return pg_yaml_fail(&p->key->mark, PG_EINVAL, "'%s' %s", key, why);
}

/* "'key' has no value", at the --set option that emptied it if one did. */
static int no_value(const pg_yaml_pair *p)
{
	const pg_yaml_mark *m = p->value->mark.line == 0 ? &p->value->mark : &p->key->mark;

	return pg_yaml_fail(m, PG_EINVAL, "'%s' has no value", p->key->value);
}

/* The later-written of two pairs of one mapping (pairs are in file order). */
static const pg_yaml_pair *later(const pg_yaml_pair *a, const pg_yaml_pair *b)
{
	return a > b ? a : b;
}

/* ---- open-loop stages --------------------------------------------------- */

/* Appends one segment; the measured duration grows with it. at names the
 * stage for the limits' messages. */
static int push_stage(pg_load *ld, const pg_yaml_node *at, pg_ns duration, double from, double to,
		      const char *kind)
{
	pg_stage *grown;

	if (ld->n_stages >= PG_LOAD_MAX_STAGES)
		return pg_yaml_fail(&at->mark, PG_EINVAL, "more than %d stages in 'stages'",
				    PG_LOAD_MAX_STAGES);
	if (duration > LOAD_MAX_DURATION_NS - ld->duration)
		return pg_yaml_fail(&at->mark, PG_EINVAL,
				    "the stages add up to more than 100 years");
	/* grow by doubling: sizes 1, 2, 4, ... */
	if ((ld->n_stages & (ld->n_stages - 1)) == 0) {
		size_t cap = ld->n_stages ? ld->n_stages * 2 : 1;

		grown = realloc(ld->stages, cap * sizeof(*grown));
		if (grown == NULL)
			return oom();
		ld->stages = grown;
	}
	ld->stages[ld->n_stages].duration = duration;
	ld->stages[ld->n_stages].rate_from = from;
	ld->stages[ld->n_stages].rate_to = to;
	ld->stages[ld->n_stages].kind = kind;
	ld->n_stages++;
	ld->duration += duration;
	return 0;
}

/* Looks up a required key of a stage body: "missing required key 'rate' in
 * a 'steady' stage". */
static int stage_key(const pg_yaml_node **out, const pg_yaml_node *body, const char *key,
		     const char *kind)
{
	char where[64];

	snprintf(where, sizeof(where), "in a '%s' stage", kind);
	return pg_yaml_require(out, body, key, where);
}

/* steady and soak: {rate, duration}, one constant segment. */
static int stage_steady(pg_load *ld, const pg_yaml_node *body, const char *kind)
{
	const pg_yaml_node *n;
	pg_ns d = 0;
	double rate = 0;
	int rc;

	rc = stage_key(&n, body, "rate", kind);
	if (rc == 0)
		rc = pg_yaml_rate(&rate, n, "rate", 0, PG_LOAD_MAX_RATE);
	if (rc == 0)
		rc = stage_key(&n, body, "duration", kind);
	if (rc == 0)
		rc = pg_yaml_duration(&d, n, "duration", 1);
	if (rc == 0)
		rc = push_stage(ld, body, d, rate, rate, kind);
	return rc;
}

/* ramp: {from, to, duration}, one linear segment. */
static int stage_ramp(pg_load *ld, const pg_yaml_node *body)
{
	const pg_yaml_node *n;
	double from = 0, to = 0;
	pg_ns d = 0;
	int rc;

	rc = stage_key(&n, body, "from", "ramp");
	if (rc == 0)
		rc = pg_yaml_rate(&from, n, "from", 1, PG_LOAD_MAX_RATE);
	if (rc == 0)
		rc = stage_key(&n, body, "to", "ramp");
	if (rc == 0)
		rc = pg_yaml_rate(&to, n, "to", 1, PG_LOAD_MAX_RATE);
	if (rc == 0 && from == 0 && to == 0)
		rc = pg_yaml_fail(&n->mark, PG_EINVAL, "a ramp needs 'from' or 'to' above 0");
	if (rc == 0)
		rc = stage_key(&n, body, "duration", "ramp");
	if (rc == 0)
		rc = pg_yaml_duration(&d, n, "duration", 1);
	if (rc == 0)
		rc = push_stage(ld, body, d, from, to, "ramp");
	return rc;
}

/* steps: {from, to, step, every}, constant segments from, from + step, ...,
 * to, each lasting `every`; to must be a whole number of steps away. */
static int stage_steps(pg_load *ld, const pg_yaml_node *body)
{
	const pg_yaml_node *to_node = NULL, *n;
	double from = 0, to = 0, step = 0, count, k, rate;
	pg_ns every = 0;
	size_t i;
	int rc;

	rc = stage_key(&n, body, "from", "steps");
	if (rc == 0)
		rc = pg_yaml_rate(&from, n, "from", 1, PG_LOAD_MAX_RATE);
	if (rc == 0)
		rc = stage_key(&to_node, body, "to", "steps");
	if (rc == 0)
		rc = pg_yaml_rate(&to, to_node, "to", 0, PG_LOAD_MAX_RATE);
	if (rc == 0)
		rc = stage_key(&n, body, "step", "steps");
	if (rc == 0)
		rc = pg_yaml_rate(&step, n, "step", 0, PG_LOAD_MAX_RATE);
	if (rc == 0)
		rc = stage_key(&n, body, "every", "steps");
	if (rc == 0)
		rc = pg_yaml_duration(&every, n, "every", 1);
	if (rc < 0)
		return rc;
	if (to < from)
		return pg_yaml_fail(&to_node->mark, PG_EINVAL,
				    "'to' (%g/s) must be at least 'from' (%g/s) in 'steps'", to,
				    from);
	count = (to - from) / step;
	if (count + 1 > PG_LOAD_MAX_STAGES)
		return pg_yaml_fail(&body->mark, PG_EINVAL,
				    "'steps' from %g/s to %g/s by %g/s make more than %d stages",
				    from, to, step, PG_LOAD_MAX_STAGES);
	k = nearbyint(count);
	if (fabs(count - k) > 1e-9 * fmax(1.0, count))
		return pg_yaml_fail(&to_node->mark, PG_EINVAL,
				    "'to' (%g/s) is not reachable from 'from' (%g/s) in steps of "
				    "%g/s",
				    to, from, step);
	for (i = 0; i <= (size_t)k; i++) {
		rate = i == (size_t)k ? to : from + (double)i * step;
		rc = push_stage(ld, body, every, rate, rate, "step");
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* spike: {rate, multiple, before, for, after}, three constant segments; the
 * high one's place in the window is remembered (the last spike wins). */
static int stage_spike(pg_load *ld, const pg_yaml_node *body)
{
	const pg_yaml_node *n, *mult = NULL;
	pg_ns before = 0, high = 0, after = 0, start;
	double rate = 0, multiple = 0;
	int rc;

	rc = stage_key(&n, body, "rate", "spike");
	if (rc == 0)
		rc = pg_yaml_rate(&rate, n, "rate", 0, PG_LOAD_MAX_RATE);
	if (rc == 0)
		rc = stage_key(&mult, body, "multiple", "spike");
	if (rc == 0)
		rc = pg_yaml_number(&multiple, mult, "multiple");
	if (rc == 0 && multiple <= 1)
		rc = pg_yaml_fail(&mult->mark, PG_EINVAL,
				  "'multiple' must be greater than 1, got %s", mult->value);
	if (rc == 0 && rate * multiple > PG_LOAD_MAX_RATE)
		rc = pg_yaml_fail(&mult->mark, PG_EINVAL,
				  "the spike's rate %g/s x %g is above %.0f/s", rate, multiple,
				  PG_LOAD_MAX_RATE);
	if (rc == 0)
		rc = stage_key(&n, body, "before", "spike");
	if (rc == 0)
		rc = pg_yaml_duration(&before, n, "before", 0);
	if (rc == 0)
		rc = stage_key(&n, body, "for", "spike");
	if (rc == 0)
		rc = pg_yaml_duration(&high, n, "for", 1);
	if (rc == 0)
		rc = stage_key(&n, body, "after", "spike");
	if (rc == 0)
		rc = pg_yaml_duration(&after, n, "after", 0);
	if (rc == 0 && before > 0)
		rc = push_stage(ld, body, before, rate, rate, "spike");
	if (rc < 0)
		return rc;
	start = ld->duration;
	rc = push_stage(ld, body, high, rate * multiple, rate * multiple, "spike");
	if (rc == 0 && after > 0)
		rc = push_stage(ld, body, after, rate, rate, "spike");
	if (rc < 0)
		return rc;
	ld->spike_start = start;
	ld->spike_end = start + high;
	return 0;
}

/* One item of `stages:`: a mapping with exactly one stage kind as its key. */
static int add_stage(pg_load *ld, const pg_yaml_node *item)
{
	static const char *const *const kind_keys[] = {steady_keys, ramp_keys, steps_keys,
						       spike_keys, steady_keys};
	static const size_t n_kind_keys[] = {NKEYS(steady_keys), NKEYS(ramp_keys),
					     NKEYS(steps_keys), NKEYS(spike_keys),
					     NKEYS(steady_keys)};
	const pg_yaml_node *key, *body;
	const char *hint;
	char where[64];
	size_t i, k;
	int rc;

	rc = pg_yaml_want(item, PG_YAML_MAP, "stages");
	if (rc < 0)
		return rc;
	if (item->n == 0)
		return pg_yaml_fail(&item->mark, PG_EINVAL,
				    "a stage needs one of steady, ramp, steps, spike or soak");
	for (i = 0; i < item->n; i++) {
		key = item->pairs[i].key;
		for (k = 0; k < NKEYS(stage_kinds); k++)
			if (strcmp(key->value, stage_kinds[k]) == 0)
				break;
		if (k < NKEYS(stage_kinds))
			continue;
		hint = pg_suggest(key->value, stage_kinds, NKEYS(stage_kinds));
		if (hint != NULL)
			return pg_yaml_fail(&key->mark, PG_EINVAL,
					    "unknown stage kind '%s' (did you mean '%s'?)",
					    key->value, hint);
		return pg_yaml_fail(&key->mark, PG_EINVAL,
				    "unknown stage kind '%s' (expected steady, ramp, steps, spike "
				    "or soak)",
				    key->value);
	}
	if (item->n > 1)
		return pg_yaml_fail(&item->pairs[1].key->mark, PG_EINVAL,
				    "a stage has one kind, got '%s' and '%s' (make each its own "
				    "list item)",
				    item->pairs[0].key->value, item->pairs[1].key->value);
	key = item->pairs[0].key;
	body = item->pairs[0].value;
	for (k = 0; strcmp(key->value, stage_kinds[k]) != 0; k++)
		;
	rc = pg_yaml_want(body, PG_YAML_MAP, key->value);
	if (rc < 0)
		return rc;
	snprintf(where, sizeof(where), "in a '%s' stage", key->value);
	rc = pg_yaml_check_keys(body, kind_keys[k], n_kind_keys[k], where);
	if (rc < 0)
		return rc;
	switch (k) {
	case 1:
		return stage_ramp(ld, body);
	case 2:
		return stage_steps(ld, body);
	case 3:
		return stage_spike(ld, body);
	default:
		return stage_steady(ld, body, stage_kinds[k]);
	}
}

static int load_stages(pg_load *ld, const pg_yaml_node *seq)
{
	size_t i;
	int rc;

	rc = pg_yaml_want(seq, PG_YAML_SEQ, "stages");
	if (rc < 0)
		return rc;
	if (seq->n == 0)
		return pg_yaml_fail(&seq->mark, PG_EINVAL, "'stages' is empty");
	ld->duration = 0;
	for (i = 0; i < seq->n; i++) {
		rc = add_stage(ld, seq->items[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- traces ------------------------------------------------------------- */

/* trace: the file's arrivals; the window is their span unless `duration`
 * cuts it short (then later arrivals are dropped). */
static int load_trace(pg_load *ld, const pg_yaml_node *map, const pg_yaml_node *node,
		      const char *suite_path)
{
	const pg_yaml_node *dur = pg_yaml_opt(map, "duration");
	const char *path;
	char span[32];
	size_t n;
	int rc;

	rc = pg_yaml_string(&path, node, "trace");
	if (rc < 0)
		return rc;
	ld->trace = pg_workload_resolve_path(suite_path, path);
	if (ld->trace == NULL)
		return oom();
	rc = pg_trace_read(&ld->trace_times, &ld->n_trace, ld->trace);
	if (rc == PG_EIO)
		return pg_yaml_fail_prefix(&node->mark, rc);
	if (rc < 0)
		return rc;
	if (ld->n_trace == 0)
		return pg_yaml_fail(&node->mark, PG_EINVAL, "trace '%s' has no arrivals",
				    ld->trace);
	if (dur == NULL) {
		ld->duration = ld->trace_times[ld->n_trace - 1];
		if (ld->duration == 0)
			return pg_yaml_fail(
			    &node->mark, PG_EINVAL,
			    "trace '%s' spans no time (every arrival is at 0); give "
			    "a 'duration'",
			    ld->trace);
		return 0;
	}
	rc = pg_yaml_duration(&ld->duration, dur, "duration", 1);
	if (rc < 0)
		return rc;
	for (n = ld->n_trace; n > 0 && ld->trace_times[n - 1] > ld->duration; n--)
		;
	if (n == 0)
		return pg_yaml_fail(&dur->mark, PG_EINVAL,
				    "no arrivals of trace '%s' in its first %s", ld->trace,
				    pg_duration_format(span, sizeof(span), (double)ld->duration));
	ld->n_trace = n;
	return 0;
}

/* ---- the load mapping --------------------------------------------------- */

/* Which of concurrency, rate, stages or trace the mapping gives: exactly
 * one. *out gets its pair. */
static int pick_model(const pg_yaml_pair **out, const pg_yaml_node *map)
{
	const pg_yaml_pair *first = NULL, *p;
	size_t i;

	*out = NULL;
	for (i = 0; i < NKEYS(model_keys); i++) {
		p = pg_yaml_pair_get(map, model_keys[i]);
		if (p == NULL || pg_yaml_is_null(p->value))
			continue;
		if (first != NULL)
			return pg_yaml_fail(&later(first, p)->key->mark, PG_EINVAL,
					    "both '%s' and '%s' in 'load': choose one of "
					    "concurrency, rate, stages or trace",
					    first->key->value, p->key->value);
		first = p;
	}
	for (i = 0; first == NULL && i < NKEYS(model_keys); i++)
		if ((p = pg_yaml_pair_get(map, model_keys[i])) != NULL)
			return no_value(p);
	if (first == NULL)
		return pg_yaml_fail(&map->mark, PG_EINVAL,
				    "missing 'concurrency', 'rate', 'stages' or 'trace' in 'load'");
	*out = first;
	return 0;
}

/* concurrency: virtual users for a duration or a number of requests. */
static int load_closed(pg_load *ld, const pg_yaml_node *map, const pg_yaml_node *node)
{
	const pg_yaml_pair *dur = pg_yaml_pair_get(map, "duration");
	const pg_yaml_pair *req = pg_yaml_pair_get(map, "requests");
	const pg_yaml_pair *given;
	int rc;

	rc = pg_yaml_int(&ld->concurrency, node, "concurrency", 1, PG_LOAD_MAX_CONCURRENCY);
	if (rc == 0)
		rc = refuse(map, "arrival", "applies to open-loop load (rate or stages)");
	if (rc == 0)
		rc = refuse(map, "max_in_flight",
			    "applies to open-loop load (rate, stages or trace)");
	if (rc < 0)
		return rc;
	/* next to the other key, one without a value is unset (so --set KEY=
	 * can swap them); alone it is more likely a value left out */
	if (dur != NULL && req != NULL &&
	    pg_yaml_is_null(dur->value) != pg_yaml_is_null(req->value)) {
		if (pg_yaml_is_null(dur->value))
			dur = NULL;
		else
			req = NULL;
	}
	if (dur != NULL && req != NULL)
		return pg_yaml_fail(&later(dur, req)->key->mark, PG_EINVAL,
				    "give either 'duration' or 'requests' in 'load', not both");
	if (dur == NULL && req == NULL)
		return pg_yaml_fail(&map->mark, PG_EINVAL,
				    "missing 'duration' or 'requests' in 'load'");
	given = dur != NULL ? dur : req;
	if (pg_yaml_is_null(given->value))
		return no_value(given);
	if (dur != NULL)
		return pg_yaml_duration(&ld->duration, dur->value, "duration", 1);
	return pg_yaml_int(&ld->requests, req->value, "requests", 1, 1000000000);
}

/* rate: one steady stage for `duration`. */
static int load_rate(pg_load *ld, const pg_yaml_node *map, const pg_yaml_node *node)
{
	const pg_yaml_node *dur;
	double rate = 0;
	pg_ns d = 0;
	int rc;

	rc = pg_yaml_rate(&rate, node, "rate", 0, PG_LOAD_MAX_RATE);
	if (rc < 0)
		return rc;
	dur = pg_yaml_opt(map, "duration");
	if (dur == NULL)
		return pg_yaml_fail(&map->mark, PG_EINVAL,
				    "missing 'duration' in 'load' (open-loop load runs for a "
				    "duration)");
	rc = pg_yaml_duration(&d, dur, "duration", 1);
	if (rc == 0)
		rc = push_stage(ld, map, d, rate, rate, "steady");
	return rc;
}

/* The arrival process of open-loop load and its burstiness. */
static int load_arrival(pg_load *ld, const pg_yaml_node *map)
{
	const pg_yaml_node *n;
	const char *name, *hint;
	size_t i;
	int rc;

	if ((n = pg_yaml_opt(map, "arrival")) != NULL) {
		rc = pg_yaml_string(&name, n, "arrival");
		if (rc < 0)
			return rc;
		for (i = 0; i < NKEYS(arrival_names); i++)
			if (strcmp(name, arrival_names[i]) == 0)
				break;
		if (i == NKEYS(arrival_names)) {
			hint = pg_suggest(name, arrival_names, NKEYS(arrival_names));
			if (hint != NULL)
				return pg_yaml_fail(&n->mark, PG_EINVAL,
						    "unknown arrival '%s' (did you mean '%s'?)",
						    name, hint);
			return pg_yaml_fail(&n->mark, PG_EINVAL,
					    "unknown arrival '%s' (expected constant, poisson or "
					    "gamma)",
					    name);
		}
		ld->arrival = (pg_arrival)i;
	}
	if ((n = pg_yaml_opt(map, "burstiness")) == NULL)
		return 0;
	if (ld->model != PG_LOAD_OPEN || ld->arrival != PG_ARRIVAL_GAMMA)
		return refuse(map, "burstiness", "applies only to 'arrival: gamma'");
	rc = pg_yaml_number(&ld->burstiness, n, "burstiness");
	if (rc == 0 && (ld->burstiness <= 0 || ld->burstiness > PG_LOAD_MAX_BURSTINESS))
		rc = pg_yaml_fail(&n->mark, PG_EINVAL,
				  "'burstiness' must be above 0 and at most %.0f, got %s",
				  PG_LOAD_MAX_BURSTINESS, n->value);
	return rc;
}

int pg_load_from_yaml(pg_load *ld, const pg_yaml_node *map, const char *suite_path)
{
	const pg_yaml_pair *model;
	const pg_yaml_node *n;
	int64_t seed;
	int rc;

	ld->arrival = PG_ARRIVAL_POISSON;
	ld->burstiness = 1;
	ld->timeout = 60 * PG_NS_PER_S;
	ld->retry_backoff = 100 * PG_NS_PER_MS;
	ld->seed = 1;
	rc = pg_yaml_want(map, PG_YAML_MAP, "load");
	if (rc == 0)
		rc = pg_yaml_check_keys(map, load_keys, NKEYS(load_keys), "in 'load'");
	if (rc == 0)
		rc = pick_model(&model, map);
	if (rc < 0)
		return rc;
	if (strcmp(model->key->value, "concurrency") == 0) {
		ld->model = PG_LOAD_CLOSED;
		rc = load_closed(ld, map, model->value);
	} else {
		ld->model = strcmp(model->key->value, "trace") == 0 ? PG_LOAD_TRACE : PG_LOAD_OPEN;
		ld->max_in_flight = PG_LOAD_DEFAULT_IN_FLIGHT;
		rc = refuse(map, "requests",
			    "applies to closed-loop load (concurrency); open-loop load runs for "
			    "a duration");
		if (rc == 0 && ld->model == PG_LOAD_TRACE)
			rc = refuse(map, "arrival",
				    "does not apply to 'trace' load (the trace gives the arrival "
				    "times)");
		if (rc == 0 && strcmp(model->key->value, "stages") == 0)
			rc = refuse(map, "duration",
				    "does not apply with 'stages' (the run lasts as long as its "
				    "stages)");
		if (rc == 0 && strcmp(model->key->value, "rate") == 0)
			rc = load_rate(ld, map, model->value);
		else if (rc == 0 && strcmp(model->key->value, "stages") == 0)
			rc = load_stages(ld, model->value);
		else if (rc == 0)
			rc = load_trace(ld, map, model->value, suite_path);
		if (rc == 0 && (n = pg_yaml_opt(map, "max_in_flight")) != NULL)
			rc = pg_yaml_int(&ld->max_in_flight, n, "max_in_flight", 1,
					 PG_LOAD_MAX_IN_FLIGHT);
	}
	if (rc == 0)
		rc = load_arrival(ld, map);
	if (rc == 0 && (n = pg_yaml_opt(map, "warmup")) != NULL)
		rc = pg_yaml_duration(&ld->warmup, n, "warmup", 0);
	if (rc == 0 && (n = pg_yaml_opt(map, "cooldown")) != NULL)
		rc = pg_yaml_duration(&ld->cooldown, n, "cooldown", 0);
	if (rc == 0 && (n = pg_yaml_opt(map, "timeout")) != NULL)
		rc = pg_yaml_duration(&ld->timeout, n, "timeout", 1);
	if (rc == 0 && (n = pg_yaml_opt(map, "seed")) != NULL) {
		rc = pg_yaml_int(&seed, n, "seed", 0, INT64_MAX);
		ld->seed = (uint64_t)seed;
	}
	if (rc == 0 && (n = pg_yaml_opt(map, "retries")) != NULL)
		rc = pg_yaml_int(&ld->retries, n, "retries", 0, 10);
	if (rc == 0 && (n = pg_yaml_opt(map, "retry_backoff")) != NULL)
		rc = pg_yaml_duration(&ld->retry_backoff, n, "retry_backoff", 0);
	return rc;
}

void pg_load_clear(pg_load *ld)
{
	if (ld == NULL)
		return;
	free(ld->stages);
	free(ld->trace);
	free(ld->trace_times);
	ld->stages = NULL;
	ld->n_stages = 0;
	ld->trace = NULL;
	ld->trace_times = NULL;
	ld->n_trace = 0;
}

/* ---- sweep and goodput -------------------------------------------------- */

/* The levels of a sweep: at least 2, strictly ascending. */
static int sweep_levels(pg_sweep *sw, const pg_yaml_node *seq)
{
	const pg_yaml_node *item;
	int64_t users;
	size_t i;
	int rc;

	rc = pg_yaml_want(seq, PG_YAML_SEQ, sw->by_rate ? "rate" : "concurrency");
	if (rc < 0)
		return rc;
	if (seq->n < 2)
		return pg_yaml_fail(&seq->mark, PG_EINVAL,
				    "a sweep needs at least 2 levels, got %zu", seq->n);
	if (seq->n > PG_SWEEP_MAX_LEVELS)
		return pg_yaml_fail(&seq->mark, PG_EINVAL, "a sweep has at most %d levels, got %zu",
				    PG_SWEEP_MAX_LEVELS, seq->n);
	sw->levels = calloc(seq->n, sizeof(*sw->levels));
	if (sw->levels == NULL)
		return oom();
	for (i = 0; i < seq->n; i++) {
		item = seq->items[i];
		if (sw->by_rate) {
			rc = pg_yaml_rate(&sw->levels[i], item, "rate", 0, PG_LOAD_MAX_RATE);
		} else {
			rc = pg_yaml_int(&users, item, "concurrency", 1, PG_LOAD_MAX_CONCURRENCY);
			sw->levels[i] = (double)users;
		}
		if (rc < 0)
			return rc;
		if (i > 0 && sw->levels[i] <= sw->levels[i - 1])
			return pg_yaml_fail(&item->mark, PG_EINVAL,
					    "sweep levels must be strictly ascending: %s after %s",
					    item->value, seq->items[i - 1]->value);
		sw->n_levels++;
	}
	return 0;
}

static int sweep_read(pg_sweep *sw, const pg_yaml_node *map, const pg_load *ld,
		      const pg_yaml_node *load_map)
{
	const pg_yaml_pair *c = pg_yaml_pair_get(map, "concurrency");
	const pg_yaml_pair *r = pg_yaml_pair_get(map, "rate");
	const pg_yaml_node *n;
	int rc;

	if (c != NULL && pg_yaml_is_null(c->value))
		c = NULL;
	if (r != NULL && pg_yaml_is_null(r->value))
		r = NULL;
	if (c != NULL && r != NULL)
		return pg_yaml_fail(&later(c, r)->key->mark, PG_EINVAL,
				    "give either 'concurrency' or 'rate' in 'sweep', not both");
	if (c == NULL && r == NULL)
		return pg_yaml_fail(&map->mark, PG_EINVAL,
				    "missing 'concurrency' or 'rate' in 'sweep'");
	if (c != NULL && ld->model != PG_LOAD_CLOSED)
		return pg_yaml_fail(&c->key->mark, PG_EINVAL,
				    "a sweep over 'concurrency' needs closed-loop load "
				    "('concurrency' in 'load')");
	if (r != NULL && (ld->model != PG_LOAD_OPEN || pg_yaml_opt(load_map, "rate") == NULL))
		return pg_yaml_fail(&r->key->mark, PG_EINVAL,
				    "a sweep over 'rate' needs open-loop load given with 'rate' in "
				    "'load' (not 'stages' or 'trace')");
	sw->by_rate = r != NULL;
	rc = sweep_levels(sw, sw->by_rate ? r->value : c->value);
	if (rc < 0)
		return rc;
	if ((n = pg_yaml_opt(map, "latency_factor")) != NULL) {
		rc = pg_yaml_number(&sw->latency_factor, n, "latency_factor");
		if (rc == 0 && (sw->latency_factor <= 1 || sw->latency_factor > 1000))
			rc = pg_yaml_fail(
			    &n->mark, PG_EINVAL,
			    "'latency_factor' must be above 1 and at most 1000, got %s", n->value);
		if (rc < 0)
			return rc;
	}
	if ((n = pg_yaml_opt(map, "min_gain")) != NULL &&
	    (rc = pg_yaml_fraction(&sw->min_gain, n, "min_gain")) < 0)
		return rc;
	if ((n = pg_yaml_opt(map, "max_error_rate")) != NULL &&
	    (rc = pg_yaml_fraction(&sw->max_error_rate, n, "max_error_rate")) < 0)
		return rc;
	return 0;
}

int pg_sweep_from_yaml(pg_sweep **out, const pg_yaml_node *map, const pg_load *ld,
		       const pg_yaml_node *load_map)
{
	pg_sweep *sw;
	int rc;

	*out = NULL;
	rc = pg_yaml_want(map, PG_YAML_MAP, "sweep");
	if (rc == 0)
		rc = pg_yaml_check_keys(map, sweep_keys, NKEYS(sweep_keys), "in 'sweep'");
	if (rc < 0)
		return rc;
	sw = calloc(1, sizeof(*sw));
	if (sw == NULL)
		return oom();
	sw->latency_factor = 2;
	sw->min_gain = 0.05;
	sw->max_error_rate = 0.01;
	rc = sweep_read(sw, map, ld, load_map);
	if (rc == 0)
		*out = sw;
	else
		pg_sweep_free(sw);
	return rc;
}

void pg_sweep_free(pg_sweep *sw)
{
	if (sw == NULL)
		return;
	free(sw->levels);
	free(sw);
}

int pg_slo_from_yaml(pg_slo *out, const pg_yaml_node *map)
{
	pg_ns *fields[] = {&out->ttft, &out->tpot, &out->e2e};
	const pg_yaml_node *n;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = pg_yaml_want(map, PG_YAML_MAP, "goodput");
	if (rc == 0)
		rc = pg_yaml_check_keys(map, goodput_keys, NKEYS(goodput_keys), "in 'goodput'");
	for (i = 0; rc == 0 && i < NKEYS(goodput_keys); i++)
		if ((n = pg_yaml_opt(map, goodput_keys[i])) != NULL)
			rc = pg_yaml_duration(fields[i], n, goodput_keys[i], 1);
	if (rc == 0 && out->ttft == 0 && out->tpot == 0 && out->e2e == 0)
		rc = pg_yaml_fail(&map->mark, PG_EINVAL,
				  "'goodput' needs at least one of ttft, tpot or e2e");
	return rc;
}
