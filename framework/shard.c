/* Sharding: the splitting rules and a part's run state (shard.h). */
#include "shard.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "recorder_json.h"

#define NKEYS(a) (sizeof(a) / sizeof((a)[0]))

int pg_shard_parse(pg_shard *out, const char *text)
{
	const char *slash = strchr(text, '/');
	char *end;
	long i, n;

	if (slash == NULL || slash == text || slash[1] == '\0')
		goto bad;
	i = strtol(text, &end, 10);
	if (end != slash || *text < '0' || *text > '9')
		goto bad;
	n = strtol(slash + 1, &end, 10);
	if (*end != '\0' || slash[1] < '0' || slash[1] > '9')
		goto bad;
	if (n < 1 || n > PG_SHARD_MAX || i < 1 || i > n)
		goto bad;
	out->index = (unsigned int)i;
	out->count = (unsigned int)n;
	return 0;
bad:
	pg_error_set("--shard '%s': expected I/N, shard I of N with 1 <= I <= N <= %d (e.g. 2/4)",
		     text, PG_SHARD_MAX);
	return PG_EINVAL;
}

int64_t pg_shard_split(int64_t total, const pg_shard *sh)
{
	int64_t n = (int64_t)sh->count;

	return total / n + ((int64_t)sh->index - 1 < total % n ? 1 : 0);
}

/* Items (or arrivals) of n that shard sh takes when dealt every N-th from
 * I-1: indexes k with k mod N == I-1. */
static size_t dealt(size_t n, const pg_shard *sh)
{
	size_t first = sh->index - 1;

	return n > first ? (n - first + sh->count - 1) / sh->count : 0;
}

static int check_scenario(const pg_scenario *sc, const pg_shard *sh)
{
	const pg_load *l = &sc->load;
	const char *why = NULL;
	char what[96];
	int sweeps_users = sc->sweep != NULL && !sc->sweep->by_rate;

	if (l->model == PG_LOAD_CLOSED && !sweeps_users && l->concurrency < (int64_t)sh->count) {
		snprintf(what, sizeof(what), "concurrency %lld", (long long)l->concurrency);
		why = "each shard needs at least one virtual user";
	} else if (l->model == PG_LOAD_CLOSED && l->requests > 0 &&
		   l->requests < (int64_t)sh->count) {
		snprintf(what, sizeof(what), "requests %lld", (long long)l->requests);
		why = "each shard needs at least one measured request";
	} else if (sweeps_users && sc->sweep->levels[0] < (double)sh->count) {
		snprintf(what, sizeof(what), "sweep level concurrency %g", sc->sweep->levels[0]);
		why = "each shard needs at least one virtual user at every level";
	} else if (l->model == PG_LOAD_TRACE && l->n_trace < sh->count) {
		snprintf(what, sizeof(what), "a trace of %zu arrival%s", l->n_trace,
			 l->n_trace == 1 ? "" : "s");
		why = "each shard needs at least one arrival";
	}
	if (why == NULL)
		return 0;
	pg_error_set("--shard %u/%u: scenario %s: %s cannot be split %u ways (%s)", sh->index,
		     sh->count, sc->name, what, sh->count, why);
	return PG_EINVAL;
}

int pg_shard_check(const pg_suite *suite, const pg_shard *sh, const char *scenario)
{
	size_t i;
	int rc;

	for (i = 0; i < suite->n_scenarios; i++) {
		if (scenario != NULL && strcmp(scenario, suite->scenarios[i].name) != 0)
			continue;
		if ((rc = check_scenario(&suite->scenarios[i], sh)) < 0)
			return rc;
	}
	return 0;
}

/* dst = shard sh's share of src; dst->stages and dst->trace_times are new
 * arrays (NULL when empty), everything else is borrowed. */
static int shard_load(pg_load *dst, const pg_load *src, const pg_shard *sh)
{
	size_t i, k;

	*dst = *src;
	dst->stages = NULL;
	dst->trace_times = NULL;
	dst->seed = src->seed + (uint64_t)(sh->index - 1) * PG_SHARD_SEED_STEP;
	if (src->model == PG_LOAD_CLOSED) {
		dst->concurrency = pg_shard_split(src->concurrency, sh);
		if (src->requests > 0)
			dst->requests = pg_shard_split(src->requests, sh);
	} else {
		dst->max_in_flight = pg_shard_split(src->max_in_flight, sh);
		if (dst->max_in_flight < 1)
			dst->max_in_flight = 1;
	}
	if (src->n_stages > 0) {
		dst->stages = calloc(src->n_stages, sizeof(*dst->stages));
		if (dst->stages == NULL)
			return PG_ENOMEM;
		for (i = 0; i < src->n_stages; i++) {
			dst->stages[i] = src->stages[i];
			dst->stages[i].rate_from /= (double)sh->count;
			dst->stages[i].rate_to /= (double)sh->count;
		}
	}
	dst->n_trace = dealt(src->n_trace, sh);
	if (dst->n_trace > 0) {
		dst->trace_times = calloc(dst->n_trace, sizeof(*dst->trace_times));
		if (dst->trace_times == NULL)
			return PG_ENOMEM;
		for (i = sh->index - 1, k = 0; i < src->n_trace; i += sh->count)
			dst->trace_times[k++] = src->trace_times[i];
	}
	return 0;
}

static int shard_sweep(pg_sweep **out, const pg_sweep *src, const pg_shard *sh)
{
	pg_sweep *sw = calloc(1, sizeof(*sw));
	size_t i;

	*out = NULL;
	if (sw == NULL)
		return PG_ENOMEM;
	*sw = *src;
	sw->levels = calloc(src->n_levels, sizeof(*sw->levels));
	if (sw->levels == NULL) {
		free(sw);
		return PG_ENOMEM;
	}
	for (i = 0; i < src->n_levels; i++)
		sw->levels[i] = src->by_rate ? src->levels[i] / (double)sh->count
					     : (double)pg_shard_split((int64_t)src->levels[i], sh);
	*out = sw;
	return 0;
}

/* Items k with k mod N == I-1, or all of them when there are fewer items
 * than shards; the copies borrow the items' strings. */
static int shard_items(pg_workload *dst, const pg_workload *src, const pg_shard *sh)
{
	size_t i, k, n = src->n_items < sh->count ? src->n_items : dealt(src->n_items, sh);
	size_t step = src->n_items < sh->count ? 1 : sh->count;
	size_t first = src->n_items < sh->count ? 0 : sh->index - 1;

	dst->items = NULL;
	dst->n_items = 0;
	if (n == 0)
		return 0;
	dst->items = calloc(n, sizeof(*dst->items));
	if (dst->items == NULL)
		return PG_ENOMEM;
	for (i = first, k = 0; i < src->n_items && k < n; i += step)
		dst->items[k++] = src->items[i];
	dst->n_items = n;
	return 0;
}

void pg_shard_suite_free(pg_suite *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; s->scenarios != NULL && i < s->n_scenarios; i++) {
		pg_scenario *sc = &s->scenarios[i];

		free(sc->load.stages);
		free(sc->load.trace_times);
		if (sc->sweep != NULL)
			free(sc->sweep->levels);
		free(sc->sweep);
	}
	free(s->scenarios);
	free(s->workload.items);
	free(s->quality);
	free(s);
}

int pg_shard_suite_new(pg_suite **out, const pg_suite *whole, const pg_shard *sh)
{
	pg_suite *s = calloc(1, sizeof(*s));
	size_t i;
	int rc = PG_ENOMEM;

	*out = NULL;
	if (s == NULL)
		goto done;
	*s = *whole;
	s->scenarios = NULL;
	s->n_scenarios = 0;
	s->workload.items = NULL;
	s->quality = NULL;
	if ((rc = shard_items(&s->workload, &whole->workload, sh)) < 0)
		goto done;
	rc = PG_ENOMEM;
	if (whole->quality != NULL) {
		if ((s->quality = malloc(sizeof(*s->quality))) == NULL)
			goto done;
		*s->quality = *whole->quality;
		/* an after-run judge grades its share of the sample */
		s->quality->sample = pg_shard_split(whole->quality->sample, sh);
		if (s->quality->sample < 1)
			s->quality->sample = 1;
	}
	s->scenarios = calloc(whole->n_scenarios ? whole->n_scenarios : 1, sizeof(*s->scenarios));
	if (s->scenarios == NULL)
		goto done;
	for (i = 0; i < whole->n_scenarios; i++) {
		pg_scenario *sc = &s->scenarios[i];

		*sc = whole->scenarios[i];
		sc->sweep = NULL;
		s->n_scenarios = i + 1;
		if ((rc = shard_load(&sc->load, &whole->scenarios[i].load, sh)) < 0 ||
		    (whole->scenarios[i].sweep != NULL &&
		     (rc = shard_sweep(&sc->sweep, whole->scenarios[i].sweep, sh)) < 0))
			goto done;
	}
	*out = s;
	s = NULL;
	rc = 0;
done:
	if (rc < 0)
		pg_error_set("out of memory splitting the suite into shards");
	pg_shard_suite_free(s);
	return rc;
}

void pg_shard_rebind(pg_run_result *run, const pg_suite *ran, const pg_suite *whole)
{
	size_t i;

	for (i = 0; i < run->n_scenarios; i++) {
		const pg_scenario *sc = run->scenarios[i].scenario;

		if (sc >= ran->scenarios && sc < ran->scenarios + ran->n_scenarios &&
		    (size_t)(sc - ran->scenarios) < whole->n_scenarios)
			run->scenarios[i].scenario = &whole->scenarios[sc - ran->scenarios];
	}
}

/* ---- a part's run state ------------------------------------------------- */

static const char *const run_keys[] = {"recorder",
				       "series",
				       "window_offset_ns",
				       "workers",
				       "warmup_requests",
				       "cooldown_requests",
				       "first_connect_error",
				       "judged",
				       "judge_failures",
				       "judge_error",
				       "recovery"};
/* every key but the last ("recovery") is required */
#define RUN_KEYS_REQUIRED (NKEYS(run_keys) - 1)
static const char *const recovery_keys[] = {"ns", "reason"};

int pg_shard_run_to_json(json_t **out, const pg_engine_result *r, const pg_measure *m)
{
	json_t *rec = NULL, *series = NULL, *o = NULL;
	int rc;

	*out = NULL;
	if (r->rec == NULL || r->series == NULL) {
		pg_error_set("a run without measurements has no state to write");
		return PG_EINVAL;
	}
	if ((rc = pg_recorder_to_json(&rec, r->rec)) < 0 ||
	    (rc = pg_series_to_json(&series, r->series)) < 0)
		goto done;
	rc = PG_ENOMEM;
	o = json_pack("{s:O, s:O, s:I, s:I, s:I, s:I, s:s, s:b, s:I, s:s}", "recorder", rec,
		      "series", series, "window_offset_ns", (json_int_t)r->window_offset, "workers",
		      (json_int_t)r->workers, "warmup_requests", (json_int_t)r->warmup_requests,
		      "cooldown_requests", (json_int_t)r->cooldown_requests, "first_connect_error",
		      r->first_connect_error, "judged", r->judged, "judge_failures",
		      (json_int_t)r->judge_failures, "judge_error", r->judge_error);
	if (o == NULL)
		goto done;
	if (m != NULL && m->has_recovery) {
		json_t *rcv = json_pack("{s:o, s:s}", "ns",
					m->recovery_ns >= 0
					    ? json_integer((json_int_t)llround(m->recovery_ns))
					    : json_null(),
					"reason", m->recovery_ns >= 0 ? "" : m->recovery_reason);

		if (rcv == NULL || json_object_set_new(o, "recovery", rcv) < 0)
			goto done;
	}
	*out = o;
	o = NULL;
	rc = 0;
done:
	if (rc == PG_ENOMEM)
		pg_error_set("out of memory writing a part's state");
	json_decref(rec);
	json_decref(series);
	json_decref(o);
	return rc;
}

static int bad(const char *path, const char *key, const char *what)
{
	pg_error_set("%s.%s: %s", path, key, what);
	return PG_EPARSE;
}

static int get_count(int64_t *out, const json_t *j, const char *key, const char *path)
{
	const json_t *v = json_object_get(j, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return bad(path, key, "expected a non-negative integer");
	*out = (int64_t)json_integer_value(v);
	return 0;
}

static int get_text(char *buf, size_t size, const json_t *j, const char *key, const char *path)
{
	const json_t *v = json_object_get(j, key);

	if (!json_is_string(v))
		return bad(path, key, "expected a string");
	snprintf(buf, size, "%s", json_string_value(v));
	return 0;
}

static int check_keys(const json_t *j, const char *const *keys, size_t n, size_t required,
		      const char *path)
{
	const char *k;
	json_t *v;
	size_t i;

	if (!json_is_object(j)) {
		pg_error_set("%s: expected an object", path);
		return PG_EPARSE;
	}
	json_object_foreach((json_t *)j, k, v)
	{
		for (i = 0; i < n && strcmp(k, keys[i]) != 0; i++)
			;
		if (i == n) {
			pg_error_set("%s: unknown field '%s'", path, k);
			return PG_EPARSE;
		}
	}
	for (i = 0; i < required; i++)
		if (json_object_get(j, keys[i]) == NULL)
			return bad(path, keys[i], "missing");
	return 0;
}

static int read_recovery(pg_shard_run *out, const json_t *j, const char *path)
{
	const json_t *ns = json_object_get(j, "ns");
	char p[512];
	int rc;

	snprintf(p, sizeof(p), "%s.recovery", path);
	if ((rc = check_keys(j, recovery_keys, 2, 2, p)) < 0 ||
	    (rc = get_text(out->recovery_reason, sizeof(out->recovery_reason), j, "reason", p)) < 0)
		return rc;
	if (json_is_null(ns))
		out->recovery_ns = -1;
	else if (json_is_integer(ns) && json_integer_value(ns) >= 0)
		out->recovery_ns = (double)json_integer_value(ns);
	else
		return bad(p, "ns", "expected a non-negative integer or null");
	out->has_recovery = 1;
	return 0;
}

int pg_shard_run_from_json(pg_shard_run *out, const json_t *j, const char *path)
{
	pg_engine_result *r = &out->run;
	const json_t *judged = json_object_get(j, "judged");
	int64_t workers;
	char p[512];
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = check_keys(j, run_keys, NKEYS(run_keys), RUN_KEYS_REQUIRED, path)) < 0)
		return rc;
	snprintf(p, sizeof(p), "%s.recorder", path);
	if ((rc = pg_recorder_from_json(&r->rec, json_object_get(j, "recorder"), p)) < 0)
		goto done;
	snprintf(p, sizeof(p), "%s.series", path);
	if ((rc = pg_series_from_json(&r->series, json_object_get(j, "series"), p)) < 0)
		goto done;
	if ((rc = get_count(&r->window_offset, j, "window_offset_ns", path)) < 0 ||
	    (rc = get_count(&workers, j, "workers", path)) < 0 ||
	    (rc = get_count(&r->warmup_requests, j, "warmup_requests", path)) < 0 ||
	    (rc = get_count(&r->cooldown_requests, j, "cooldown_requests", path)) < 0 ||
	    (rc = get_count(&r->judge_failures, j, "judge_failures", path)) < 0 ||
	    (rc = get_text(r->first_connect_error, sizeof(r->first_connect_error), j,
			   "first_connect_error", path)) < 0 ||
	    (rc = get_text(r->judge_error, sizeof(r->judge_error), j, "judge_error", path)) < 0)
		goto done;
	if (workers > 1024 * PG_SHARD_MAX) {
		rc = bad(path, "workers", "more workers than perfgate runs");
		goto done;
	}
	r->workers = (unsigned int)workers;
	if (!json_is_boolean(judged)) {
		rc = bad(path, "judged", "expected true or false");
		goto done;
	}
	r->judged = json_is_true(judged);
	if (json_object_get(j, "recovery") != NULL &&
	    (rc = read_recovery(out, json_object_get(j, "recovery"), path)) < 0)
		goto done;
	r->generator_bound = r->rec->started > 0 && r->rec->late * 100 > r->rec->started;
	rc = 0;
done:
	if (rc < 0)
		pg_engine_result_clear(r);
	return rc;
}

int pg_shard_doc_finish(json_t *doc, const pg_shard *sh)
{
	json_t *scenarios = json_object_get(doc, "scenarios");
	size_t i, k;

	for (i = 0; i < json_array_size(scenarios); i++) {
		json_t *sc = json_array_get(scenarios, i);
		json_t *runs = json_object_get(sc, "runs"), *repeats = json_array();

		if (repeats == NULL)
			goto nomem;
		for (k = 0; k < json_array_size(runs); k++) {
			json_t *entry = json_array_get(runs, k),
			       *st = json_object_get(entry, "state");

			if (st == NULL)
				continue;
			if (json_array_append(repeats, st) < 0) {
				json_decref(repeats);
				goto nomem;
			}
			json_object_del(entry, "state");
		}
		if (json_object_set_new(sc, "state", json_pack("{s:o}", "repeats", repeats)) < 0)
			goto nomem;
	}
	if (json_object_set_new(doc, "shard",
				json_pack("{s:I, s:I}", "index", (json_int_t)sh->index, "count",
					  (json_int_t)sh->count)) < 0)
		goto nomem;
	return 0;
nomem:
	pg_error_set("out of memory writing a part's state");
	return PG_ENOMEM;
}
