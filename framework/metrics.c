/*
 * The metric catalogue. Each metric is defined here once, with the formula
 * perfgate uses; `perfgate metrics` prints this same text, and requirement
 * parsing, analysis and reporters all look metrics up here.
 */
#include "metrics.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cost.h"
#include "error.h"

#define LAT(name_, summary_, formula_) {name_, PG_MU_NS, 1, PG_LOWER_IS_BETTER, summary_, formula_}

static const pg_metric_def catalogue[] = {
	LAT("e2e", "End-to-end request latency",
	    "t(last byte of the response) - t(scheduled start of the request). "
	    "Successful requests only. In closed loop a request is scheduled the moment its "
	    "virtual user becomes free."),
	LAT("ttft", "Time to first token",
	    "t(first response chunk carrying generated content) - t(scheduled start). "
	    "Chunks with only a role or an empty string do not count. For a non-streamed "
	    "response the whole body is the first chunk, so ttft = e2e."),
	LAT("itl", "Inter-token latency (chunk gaps)",
	    "t(content chunk k) - t(content chunk k-1) for k >= 2 within one response, pooled "
	    "over all successful requests. Chunks parsed from the same network read share one "
	    "arrival time, so their gap is 0."),
	LAT("tpot", "Time per output token, per request",
	    "(e2e - ttft) / (output_tokens - 1), one value per successful request with "
	    "output_tokens >= 2; output_tokens from server usage when reported, else the number "
	    "of content chunks."),
	LAT("schedule_lag", "Load generator schedule lag",
	    "t(request handed to the transport) - t(scheduled start). Large values mean the "
	    "generator, not the server, delayed requests."),
	LAT("e2e_from_send", "End-to-end latency from the actual send",
	    "t(last byte) - t(request handed to the transport). Differs from e2e only by the "
	    "schedule lag; shown so a late generator cannot hide behind it."),
	LAT("ttft_from_send", "Time to first token from the actual send",
	    "t(first content chunk) - t(request handed to the transport)."),
	{"throughput.rps", PG_MU_PER_S, 0, PG_HIGHER_IS_BETTER, "Completed requests per second",
	 "successful requests that completed inside the measured window / window length in "
	 "seconds. The window starts when warmup ends and ends when the load stops (duration) "
	 "or the last measured request completes (request count)."},
	{"output_tokens_per_s", PG_MU_PER_S, 0, PG_HIGHER_IS_BETTER, "Output token throughput",
	 "output tokens of the successful requests that completed inside the measured window / "
	 "window length in seconds."},
	{"errors.rate", PG_MU_RATIO, 0, PG_LOWER_IS_BETTER, "Share of failed requests",
	 "failed / (succeeded + failed) over measured requests; a failure is any of connect, "
	 "timeout, network, http (non-2xx), stream (error object in the body) or protocol "
	 "(malformed or incomplete response)."},
	{"errors.count", PG_MU_COUNT, 0, PG_LOWER_IS_BETTER, "Failed requests",
	 "number of measured requests that failed, any class."},
	{"errors.connect_rate", PG_MU_RATIO, 0, PG_LOWER_IS_BETTER, "Share failing to connect",
	 "requests that could not resolve or connect / measured requests."},
	{"errors.timeout_rate", PG_MU_RATIO, 0, PG_LOWER_IS_BETTER, "Share timing out",
	 "requests whose per-request timeout expired / measured requests."},
	{"errors.network_rate", PG_MU_RATIO, 0, PG_LOWER_IS_BETTER, "Share reset or cut",
	 "requests whose connection was reset or closed mid-transfer / measured requests."},
	{"errors.http_rate", PG_MU_RATIO, 0, PG_LOWER_IS_BETTER, "Share with a non-2xx status",
	 "requests answered with an HTTP status outside 200-299 / measured requests."},
	{"errors.stream_rate", PG_MU_RATIO, 0, PG_LOWER_IS_BETTER, "Share with an error object",
	 "requests whose body or stream carried an error object / measured requests."},
	{"errors.protocol_rate", PG_MU_RATIO, 0, PG_LOWER_IS_BETTER, "Share with malformed responses",
	 "requests whose response could not be parsed or ended early / measured requests."},
	{"errors.http_4xx_rate", PG_MU_RATIO, 0, PG_LOWER_IS_BETTER, "Share with a 4xx status",
	 "requests answered 400-499 (429 included) / measured requests."},
	{"errors.http_429_rate", PG_MU_RATIO, 0, PG_LOWER_IS_BETTER, "Share rate-limited",
	 "requests answered 429 Too Many Requests / measured requests."},
	{"errors.http_5xx_rate", PG_MU_RATIO, 0, PG_LOWER_IS_BETTER, "Share with a 5xx status",
	 "requests answered 500-599 / measured requests."},
	{"timeouts.rate", PG_MU_RATIO, 0, PG_LOWER_IS_BETTER, "Share timing out",
	 "the same as errors.timeout_rate."},
	{"goodput.rate", PG_MU_RATIO, 0, PG_HIGHER_IS_BETTER, "Share meeting the per-request SLO",
	 "successful requests whose ttft, tpot and e2e each met the scenario's `goodput` "
	 "objectives / measured requests (every success counts when no objective is set)."},
	{"goodput.rps", PG_MU_PER_S, 0, PG_HIGHER_IS_BETTER, "Requests per second meeting the SLO",
	 "requests counted by goodput.rate that completed inside the measured window / window "
	 "length in seconds."},
	{"capacity.rps", PG_MU_PER_S, 0, PG_HIGHER_IS_BETTER, "Throughput at the knee",
	 "throughput.rps at the highest sweep level before queueing onset: the last level L such "
	 "that for every level up to L, e2e p95 <= latency_factor x the first level's e2e p95, "
	 "throughput grew by at least min_gain over the previous level, and errors.rate <= "
	 "max_error_rate. Needs a `sweep`."},
	{"capacity.concurrency", PG_MU_COUNT, 0, PG_HIGHER_IS_BETTER, "Load level at the knee",
	 "the concurrency (or offered rate, for a sweep over rate) of the knee level defined "
	 "under capacity.rps."},
	{"recovery.time", PG_MU_NS, 0, PG_LOWER_IS_BETTER, "Recovery after a spike",
	 "time from the end of the load's spike until the per-second e2e p95 is back within "
	 "10% of its pre-spike level (the median per-second p95 over up to 10 s before the "
	 "spike) and stays there for 3 consecutive seconds (or until the window ends). "
	 "Undefined, and so failed, when it never recovers. Needs a `spike` stage."},
	{"requests.late", PG_MU_COUNT, 0, PG_LOWER_IS_BETTER, "Sends behind schedule",
	 "measured requests handed to the transport more than 1 ms after their scheduled "
	 "start. Non-zero means the load generator, not the server, was the bottleneck."},
	{"requests.late_rate", PG_MU_RATIO, 0, PG_LOWER_IS_BETTER, "Share of late sends",
	 "requests.late / measured requests started. Over 1% marks the run as generator-bound."},
	{"requests.dropped", PG_MU_COUNT, 0, PG_LOWER_IS_BETTER, "Arrivals not sent",
	 "open-loop arrivals that were due while max_in_flight requests were already in "
	 "flight; they are counted here, never sent late."},
	{"requests.retries", PG_MU_COUNT, 0, PG_LOWER_IS_BETTER, "Retries",
	 "extra attempts made by measured requests when `load.retries` is set: after a "
	 "connect or network failure, or a 429, 500, 502, 503 or 504, a request is sent "
	 "again after retry_backoff x 2^n. A retried request counts once, with the outcome "
	 "of its last attempt and its latency from the original scheduled start."},
	{"connections.opened", PG_MU_COUNT, 0, PG_LOWER_IS_BETTER, "New connections",
	 "connections opened by measured requests (keep-alive reuse keeps this near the "
	 "concurrency)."},
	{"quality.score", PG_MU_RATIO, 0, PG_HIGHER_IS_BETTER, "Mean answer quality",
	 "mean of the `quality` scorer's score in [0, 1] over the successful measured "
	 "requests it graded. Failed requests are not graded (errors.rate covers them)."},
	{"quality.pass_rate", PG_MU_RATIO, 0, PG_HIGHER_IS_BETTER, "Share of answers passing",
	 "graded answers the scorer passed / graded answers."},
	{"quality.p10", PG_MU_RATIO, 0, PG_HIGHER_IS_BETTER, "Tail quality",
	 "the 10th percentile (nearest rank) of the graded scores, at 0.001 resolution: 90% "
	 "of answers scored at least this."},
	{"tokens.max_tokens_ignored_rate", PG_MU_RATIO, 0, PG_LOWER_IS_BETTER,
	 "Share of answers longer than max_tokens",
	 "successful requests sent a max_tokens limit whose answer had more output tokens "
	 "than the limit / successful requests sent a limit. Non-zero means the server "
	 "ignored max_tokens, so output lengths (and tpot, throughput, cost) differ from the "
	 "workload's."},
	{"cost.per_request", PG_MU_USD, 0, PG_LOWER_IS_BETTER, "Cost per request",
	 "instance pricing: usd_per_hour x instances / (throughput.rps x 3600); token pricing: "
	 "(input tokens x input_usd_per_1m + output tokens x output_usd_per_1m) / 1e6 / "
	 "successful requests; the sum when both are set. Needs a `cost:` section."},
	{"cost.per_request_at_capacity", PG_MU_USD, 0, PG_LOWER_IS_BETTER,
	 "Cost per request at the knee",
	 "cost.per_request with capacity.rps in place of throughput.rps: what a request costs "
	 "when the fleet runs at its measured capacity. Needs `cost:` and a `sweep`."},
	{"cost.per_1m_tokens", PG_MU_USD, 0, PG_LOWER_IS_BETTER, "Cost per million output tokens",
	 "instance pricing: usd_per_hour x instances / (output_tokens_per_s x 3600) x 1e6; "
	 "token pricing: (input and output token cost) / output tokens x 1e6; the sum when "
	 "both are set."},
	{"cost.per_hour_at_load", PG_MU_USD, 0, PG_LOWER_IS_BETTER, "Cost per hour at this load",
	 "usd_per_hour x instances + token cost per request x throughput.rps x 3600."},
	{"requests.total", PG_MU_COUNT, 0, PG_HIGHER_IS_BETTER, "Measured requests",
	 "requests started after warmup and finished (succeeded + failed)."},
	{"requests.succeeded", PG_MU_COUNT, 0, PG_HIGHER_IS_BETTER, "Successful requests",
	 "measured requests with a 2xx status and a complete, error-free body."},
};

static const pg_error_class rate_class[] = {
	PG_FAIL_CONNECT, PG_FAIL_TIMEOUT, PG_FAIL_NETWORK,
	PG_FAIL_HTTP, PG_FAIL_STREAM, PG_FAIL_PROTOCOL,
};
static const char *const rate_names[] = {
	"errors.connect_rate", "errors.timeout_rate", "errors.network_rate",
	"errors.http_rate", "errors.stream_rate", "errors.protocol_rate",
};

const pg_metric_def *pg_metric_all(size_t *count)
{
	*count = sizeof(catalogue) / sizeof(catalogue[0]);
	return catalogue;
}

const pg_metric_def *pg_metric_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(catalogue) / sizeof(catalogue[0]); i++)
		if (strcmp(catalogue[i].name, name) == 0)
			return &catalogue[i];
	return NULL;
}

int pg_stat_parse(pg_stat *out, const char *text)
{
	char *end;
	double q;

	out->q = 0;
	if (strcmp(text, "min") == 0) {
		out->kind = PG_STAT_MIN;
		return 0;
	}
	if (strcmp(text, "max") == 0) {
		out->kind = PG_STAT_MAX;
		return 0;
	}
	if (strcmp(text, "mean") == 0 || strcmp(text, "avg") == 0) {
		out->kind = PG_STAT_MEAN;
		return 0;
	}
	if (strcmp(text, "median") == 0) {
		out->kind = PG_STAT_QUANTILE;
		out->q = 0.5;
		return 0;
	}
	if (text[0] != 'p' || text[1] < '0' || text[1] > '9')
		goto bad;
	/* "p999" is the common spelling of p99.9, "p9999" of p99.99 */
	if (strspn(text + 1, "9") == strlen(text + 1) && strlen(text + 1) >= 3) {
		size_t nines = strlen(text + 1);

		out->kind = PG_STAT_QUANTILE;
		out->q = 1.0 - pow(10.0, -(double)nines);
		return 0;
	}
	q = strtod(text + 1, &end);
	if (*end != '\0' || !(q >= 0.0 && q <= 100.0))
		goto bad;
	out->kind = PG_STAT_QUANTILE;
	out->q = q / 100.0;
	return 0;
bad:
	pg_error_set("unknown statistic '%s' (use min, mean, max or a percentile such as p50, "
		     "p95, p99.9)",
		     text);
	return PG_EINVAL;
}

const char *pg_stat_format(char *buf, size_t size, const pg_stat *s)
{
	switch (s->kind) {
	case PG_STAT_MIN:
		snprintf(buf, size, "min");
		break;
	case PG_STAT_MEAN:
		snprintf(buf, size, "mean");
		break;
	case PG_STAT_MAX:
		snprintf(buf, size, "max");
		break;
	case PG_STAT_QUANTILE:
		snprintf(buf, size, "p%.10g", s->q * 100.0);
		break;
	default:
		snprintf(buf, size, "%s", "");
		break;
	}
	return buf;
}

int pg_metric_accepts(const pg_metric_def *m, pg_unit_kind kind)
{
	switch (m->unit) {
	case PG_MU_NS:
		return kind == PG_UNIT_DURATION;
	case PG_MU_RATIO:
		return kind == PG_UNIT_PERCENT || kind == PG_UNIT_NONE;
	case PG_MU_PER_S:
		return kind == PG_UNIT_PER_S || kind == PG_UNIT_NONE;
	case PG_MU_COUNT:
		return kind == PG_UNIT_NONE;
	case PG_MU_TOKENS:
		return kind == PG_UNIT_TOKENS || kind == PG_UNIT_NONE;
	case PG_MU_USD:
		return kind == PG_UNIT_USD || kind == PG_UNIT_NONE;
	}
	return 0;
}

const char *pg_metric_display_unit(const pg_metric_def *m)
{
	switch (m->unit) {
	case PG_MU_NS:
		return "ms";
	case PG_MU_RATIO:
		return "%";
	case PG_MU_PER_S:
		return "/s";
	case PG_MU_TOKENS:
		return "tokens";
	case PG_MU_USD:
		return "$";
	case PG_MU_COUNT:
		break;
	}
	return "";
}

const char *pg_metric_canonical_unit(const pg_metric_def *m)
{
	switch (m->unit) {
	case PG_MU_NS:
		return "ns";
	case PG_MU_RATIO:
		return "ratio";
	case PG_MU_PER_S:
		return "/s";
	case PG_MU_TOKENS:
		return "tokens";
	case PG_MU_USD:
		return "USD";
	case PG_MU_COUNT:
		break;
	}
	return "count";
}

double pg_metric_to_display(const pg_metric_def *m, double canonical)
{
	switch (m->unit) {
	case PG_MU_NS:
		return canonical / 1e6;
	case PG_MU_RATIO:
		return canonical * 100.0;
	default:
		return canonical;
	}
}

const pg_hist *pg_metric_hist(const pg_recorder *r, const char *name)
{
	if (strcmp(name, "e2e_from_send") == 0)
		return r->e2e_send;
	if (strcmp(name, "ttft_from_send") == 0)
		return r->ttft_send;
	if (strcmp(name, "e2e") == 0)
		return r->e2e;
	if (strcmp(name, "ttft") == 0)
		return r->ttft;
	if (strcmp(name, "itl") == 0)
		return r->itl;
	if (strcmp(name, "tpot") == 0)
		return r->tpot;
	if (strcmp(name, "schedule_lag") == 0)
		return r->send_lag;
	return NULL;
}

static int dist_value(double *out, const pg_hist *h, const pg_metric_def *m, const pg_stat *s)
{
	if (pg_hist_count(h) == 0) {
		pg_error_set("%s has no samples (no successful request measured it)", m->name);
		return PG_ENOTFOUND;
	}
	switch (s->kind) {
	case PG_STAT_MIN:
		*out = (double)pg_hist_min(h);
		return 0;
	case PG_STAT_MAX:
		*out = (double)pg_hist_max(h);
		return 0;
	case PG_STAT_MEAN:
		*out = pg_hist_mean(h);
		return 0;
	case PG_STAT_QUANTILE:
		*out = (double)pg_hist_quantile(h, s->q);
		return 0;
	default:
		pg_error_set("%s needs a statistic such as %s.p95", m->name, m->name);
		return PG_EINVAL;
	}
}

static double window_seconds(const pg_recorder *r)
{
	if (r->window_end <= r->window_start)
		return 0.0;
	return (double)(r->window_end - r->window_start) / 1e9;
}

static int64_t status_range(const pg_recorder *r, int lo, int hi)
{
	int64_t n = 0;
	int i;

	for (i = lo; i <= hi && i < PG_HTTP_STATUS_MAX; i++)
		n += r->http_status[i];
	return n;
}

/* Scalar metrics that are plain counts of the recorder. */
static int count_value(double *out, const pg_recorder *r, const char *name)
{
	static const struct {
		const char *name;
		size_t offset;
	} counts[] = {
		{"errors.count", offsetof(pg_recorder, failed)},
		{"requests.succeeded", offsetof(pg_recorder, succeeded)},
		{"requests.late", offsetof(pg_recorder, late)},
		{"requests.dropped", offsetof(pg_recorder, dropped)},
		{"connections.opened", offsetof(pg_recorder, connections)},
		{"requests.retries", offsetof(pg_recorder, retries)},
	};
	size_t i;

	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		if (strcmp(name, counts[i].name) == 0) {
			*out = (double)*(const int64_t *)((const char *)r + counts[i].offset);
			return 1;
		}
	}
	if (strcmp(name, "requests.total") == 0) {
		*out = (double)(r->succeeded + r->failed);
		return 1;
	}
	return 0;
}

static double window_seconds(const pg_recorder *r);

/* The quality.* metrics from the recorder's score buckets. */
static int quality_value(double *out, const pg_recorder *r, const char *name)
{
	int64_t rank, seen = 0;
	int i;

	if (r->scored == 0) {
		pg_error_set("%s is undefined: no answer was graded (add `quality:` to the suite, "
			     "and check that requests succeed)",
			     name);
		return PG_ENOTFOUND;
	}
	if (strcmp(name, "quality.score") == 0) {
		*out = r->quality_sum / (double)r->scored;
		return 0;
	}
	if (strcmp(name, "quality.pass_rate") == 0) {
		*out = (double)r->quality_passed / (double)r->scored;
		return 0;
	}
	rank = (r->scored + 9) / 10; /* ceil(0.1 n) */
	for (i = 0; i < PG_QUALITY_BUCKETS; i++) {
		seen += r->quality_buckets[i];
		if (seen >= rank)
			break;
	}
	*out = (double)i / 1000.0;
	return 0;
}

/* The cost.* metrics; see their formulas in the catalogue. */
static int cost_value(double *out, const pg_measure *m, const pg_metric_def *def)
{
	const pg_recorder *r = m->rec;
	const pg_cost *c = m->cost;
	double w = window_seconds(r), rps, tps, fleet, token_total = 0, per_req_tokens = 0;
	const char *name = def->name;

	if (c == NULL) {
		pg_error_set("%s needs pricing: add a `cost:` section to the suite", name);
		return PG_ENOTFOUND;
	}
	if (w <= 0 || r->succeeded == 0) {
		pg_error_set("%s is undefined: no request succeeded in the measured window", name);
		return PG_ENOTFOUND;
	}
	rps = (double)r->completed_in_window / w;
	tps = (double)r->output_tokens_in_window / w;
	fleet = c->has_instance ? c->usd_per_hour * (double)c->instances : 0.0;
	if (c->has_tokens) {
		token_total = ((double)r->input_tokens * c->usd_per_1m_input +
			       (double)r->output_tokens * c->usd_per_1m_output) /
			      1e6;
		per_req_tokens = token_total / (double)r->succeeded;
	}
	if (strcmp(name, "cost.per_hour_at_load") == 0) {
		*out = fleet + per_req_tokens * rps * 3600.0;
		return 0;
	}
	if (strcmp(name, "cost.per_1m_tokens") == 0) {
		if (r->output_tokens == 0 || (c->has_instance && tps <= 0)) {
			pg_error_set("%s is undefined: no output tokens were measured", name);
			return PG_ENOTFOUND;
		}
		*out = (c->has_instance ? fleet / (tps * 3600.0) * 1e6 : 0.0) +
		       token_total / (double)r->output_tokens * 1e6;
		return 0;
	}
	if (strcmp(name, "cost.per_request_at_capacity") == 0) {
		if (!m->has_capacity || m->capacity_rps <= 0) {
			pg_error_set("%s needs a sweep that found a capacity", name);
			return PG_ENOTFOUND;
		}
		rps = m->capacity_rps;
	}
	if (c->has_instance && rps <= 0) {
		pg_error_set("%s is undefined: throughput was zero", name);
		return PG_ENOTFOUND;
	}
	*out = (c->has_instance ? fleet / (rps * 3600.0) : 0.0) + per_req_tokens;
	return 0;
}

static int derived_value(double *out, const pg_measure *m, const pg_metric_def *def)
{
	if (strncmp(def->name, "capacity.", 9) == 0) {
		if (!m->has_capacity) {
			pg_error_set("%s needs a sweep: add `sweep:` to the scenario", def->name);
			return PG_ENOTFOUND;
		}
		*out = strcmp(def->name, "capacity.rps") == 0 ? m->capacity_rps : m->capacity_load;
		return 0;
	}
	if (!m->has_recovery) {
		pg_error_set("recovery.time needs a spike stage in the scenario's load");
		return PG_ENOTFOUND;
	}
	if (m->recovery_ns < 0) {
		pg_error_set("%s", m->recovery_reason[0] ? m->recovery_reason
							 : "latency never recovered after the spike");
		return PG_ENOTFOUND;
	}
	*out = m->recovery_ns;
	return 0;
}

int pg_metric_value(double *out, const pg_measure *m, const pg_metric_def *def, const pg_stat *s)
{
	const pg_recorder *r = m->rec;
	int64_t total = r->succeeded + r->failed;
	const pg_hist *h = pg_metric_hist(r, def->name);
	const char *name = def->name;
	size_t i;

	if (h != NULL)
		return dist_value(out, h, def, s);
	if (strncmp(name, "capacity.", 9) == 0 || strcmp(name, "recovery.time") == 0)
		return derived_value(out, m, def);
	if (strncmp(name, "cost.", 5) == 0)
		return cost_value(out, m, def);
	if (strncmp(name, "quality.", 8) == 0)
		return quality_value(out, r, name);
	if (strcmp(name, "tokens.max_tokens_ignored_rate") == 0) {
		if (r->limited == 0) {
			pg_error_set("%s is undefined: no successful request was sent a limit", name);
			return PG_ENOTFOUND;
		}
		*out = (double)r->over_limit / (double)r->limited;
		return 0;
	}
	if (count_value(out, r, name))
		return 0;
	if (strcmp(name, "throughput.rps") == 0 || strcmp(name, "output_tokens_per_s") == 0 ||
	    strcmp(name, "goodput.rps") == 0) {
		double w = window_seconds(r);
		double n = strcmp(name, "throughput.rps") == 0	   ? (double)r->completed_in_window
			   : strcmp(name, "goodput.rps") == 0 ? (double)r->goodput_in_window
								  : (double)r->output_tokens_in_window;

		if (w <= 0.0) {
			pg_error_set("%s is undefined: the measured window is empty", name);
			return PG_ENOTFOUND;
		}
		*out = n / w;
		return 0;
	}
	if (strcmp(name, "requests.late_rate") == 0) {
		if (r->started == 0) {
			pg_error_set("%s is undefined: no request was sent", name);
			return PG_ENOTFOUND;
		}
		*out = (double)r->late / (double)r->started;
		return 0;
	}
	if (total == 0) {
		pg_error_set("%s is undefined: no request was measured", name);
		return PG_ENOTFOUND;
	}
	if (strcmp(name, "errors.rate") == 0) {
		*out = (double)r->failed / (double)total;
		return 0;
	}
	if (strcmp(name, "goodput.rate") == 0) {
		*out = (double)r->goodput / (double)total;
		return 0;
	}
	if (strcmp(name, "timeouts.rate") == 0) {
		*out = (double)r->failed_by_class[PG_FAIL_TIMEOUT] / (double)total;
		return 0;
	}
	if (strcmp(name, "errors.http_4xx_rate") == 0) {
		*out = (double)status_range(r, 400, 499) / (double)total;
		return 0;
	}
	if (strcmp(name, "errors.http_429_rate") == 0) {
		*out = (double)status_range(r, 429, 429) / (double)total;
		return 0;
	}
	if (strcmp(name, "errors.http_5xx_rate") == 0) {
		*out = (double)status_range(r, 500, 599) / (double)total;
		return 0;
	}
	for (i = 0; i < sizeof(rate_names) / sizeof(rate_names[0]); i++) {
		if (strcmp(name, rate_names[i]) == 0) {
			*out = (double)r->failed_by_class[rate_class[i]] / (double)total;
			return 0;
		}
	}
	pg_error_set("metric '%s' has no value", name);
	return PG_ENOTFOUND;
}

static void print_wrapped(FILE *out, const char *text, int indent, int width)
{
	const char *p = text;
	int col = indent;

	fprintf(out, "%*s", indent, "");
	while (*p) {
		size_t word = strcspn(p, " ");

		if (col > indent && col + (int)word + 1 > width) {
			fprintf(out, "\n%*s", indent, "");
			col = indent;
		} else if (col > indent) {
			fputc(' ', out);
			col++;
		}
		fwrite(p, 1, word, out);
		col += (int)word;
		p += word;
		while (*p == ' ')
			p++;
	}
	fputc('\n', out);
}

void pg_metrics_print(FILE *out)
{
	size_t i;

	fprintf(out, "perfgate metrics. Distribution metrics take a statistic: min, mean, max, "
		     "p50, p90, p95, p99, p99.9 (any pNN).\nTimes are measured on CLOCK_MONOTONIC "
		     "from the request's scheduled start.\n\n");
	for (i = 0; i < sizeof(catalogue) / sizeof(catalogue[0]); i++) {
		const pg_metric_def *m = &catalogue[i];
		const char *unit = pg_metric_display_unit(m);

		fprintf(out, "%s%s  [%s%s%s]  %s\n", m->name, m->distribution ? ".<stat>" : "",
			*unit ? unit : "count", "; ",
			m->direction == PG_LOWER_IS_BETTER ? "lower is better" : "higher is better",
			m->summary);
		print_wrapped(out, m->formula, 4, 88);
		fputc('\n', out);
	}
}
