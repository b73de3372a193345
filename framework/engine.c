/*
 * The load engine. One libevent loop per worker thread drives a transport
 * plugin (h1 or curl) and an adapter plugin; the main thread starts the
 * workers, collects the per-second series and merges the recorders.
 *
 * Timing. A request's latency is measured from its scheduled start: the
 * arrival time for open-loop and trace load, the moment its virtual user
 * became free for closed loop. The actual send time is kept beside it, and
 * the difference (schedule lag) has its own histogram. All timestamps are
 * CLOCK_MONOTONIC; the transports take them as bytes are read, before any
 * parsing.
 *
 * Open loop is never throttled by responses: arrivals are sent when due,
 * and an arrival that finds max_in_flight requests outstanding is counted
 * as dropped, never delayed.
 */
#include "engine.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "clock.h"
#include "error.h"
#include "log.h"
#include "plugin_loader.h"
#include "redact.h"
#include "retry_after.h"
#include "rng.h"
#include "schedule.h"

enum { PHASE_WARMUP = 0, PHASE_MEASURED = 1, PHASE_COOLDOWN = 2 };

typedef struct engine engine;
typedef struct worker worker;

/* One request in flight. */
typedef struct req_ctx {
	worker *w;
	struct req_ctx *next_free;
	int phase;
	size_t item;
	pg_request req;   /* built by the adapter; freed with host->free */
	void *parse;      /* adapter parse state */
	int status;
	int parse_failed;
	pg_ns last_content;
	pg_ns now;        /* arrival time of the bytes being parsed */
	int attempt;      /* retries made so far */
	pg_ns retry_after; /* wait the last response's Retry-After asked for; 0: none */
	char *answer;     /* generated text kept for the scorer (quality only) */
	size_t answer_len;
	size_t answer_cap;
	int answer_truncated;
	struct event *retry_timer; /* made on the first retry, kept with the context */
	struct req_ctx *act_prev, *act_next; /* the worker's list of contexts in use */
	pg_request_outcome out;
} req_ctx;

struct worker {
	engine *eng;
	unsigned int index;
	pthread_t thread;
	int thread_started;
	struct event_base *base;
	struct event *arrival_timer;
	void *transport;
	void *adapter;
	void *scorer;     /* quality scorer instance, NULL without `quality:` */
	int keep_text;    /* the adapter reports the text (quality only) */
	pg_answer *sample; /* after-run scorer: reservoir of measured answers */
	size_t n_sample, sample_cap;
	int64_t sample_seen; /* successful measured answers offered to it */
	pg_rng sample_rng;
	pg_recorder *rec;
	pg_series_ring *ring;
	pg_schedule *sched;
	pg_ns next_offset;
	int sched_done;
	req_ctx *free_ctx;
	req_ctx *active;   /* contexts handed out and not yet put back */
	struct event *cancel_poll; /* with opts->interrupt: watches e->cancel */
	atomic_llong in_flight;
	/* for progress reports, all phases: read by the main thread */
	atomic_llong sent_all, done_all, failed_all;
	int64_t cap;       /* open loop: in-flight cap of this worker */
	int64_t vus;       /* closed loop: virtual users of this worker */
	int64_t vus_idle;  /* closed loop: users that stopped */
	size_t next_item;
	int fatal;
	char fatal_msg[512];
	int64_t warmup_requests, cooldown_requests;
	char first_connect_error[256];
};

struct engine {
	const pg_engine_opts *opts;
	const pg_load *load;
	const pg_adapter_ops *aops;
	const pg_transport_ops *tops;
	pg_work_item *items;
	size_t n_items;
	char **header_lines;
	size_t n_headers;
	worker *workers;
	unsigned int n_workers;
	pg_ns t0;           /* the run's start */
	pg_ns window_start; /* absolute */
	pg_ns window_end;   /* absolute; INT64_MAX while open (request-count mode) */
	pg_ns run_end;      /* no request is scheduled at or after this */
	atomic_llong measured_started;
	atomic_int stop;
	atomic_int cancel;  /* interrupted: workers leave their loop at once */
	pg_ns cancel_at;    /* when the main thread saw the interrupt (main thread only) */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned int finished;
};

static void send_due_early(worker *w, pg_ns now);
static void score_answer(worker *w, req_ctx *c);
static void sample_answer(worker *w, req_ctx *c);
static void fatal(worker *w, const char *what);
static void check_finished(worker *w);
static int should_retry(const req_ctx *c);
static void retry_later(req_ctx *c);

/* ---- request contexts --------------------------------------------------- */

static req_ctx *ctx_get(worker *w)
{
	req_ctx *c = w->free_ctx;
	struct event *timer = NULL;
	char *answer = NULL;
	size_t answer_cap = 0;

	if (c != NULL) {
		w->free_ctx = c->next_free;
		timer = c->retry_timer;
		answer = c->answer;
		answer_cap = c->answer_cap;
	} else if ((c = malloc(sizeof(*c))) == NULL) {
		return NULL;
	}
	memset(c, 0, sizeof(*c));
	c->w = w;
	c->retry_timer = timer;
	c->answer = answer; /* kept for reuse */
	c->answer_cap = answer_cap;
	c->out.input_tokens = -1;
	c->out.output_tokens = -1;
	c->act_next = w->active;
	if (w->active != NULL)
		w->active->act_prev = c;
	w->active = c;
	return c;
}

static void ctx_put(worker *w, req_ctx *c)
{
	const pg_host_api *h = w->eng->opts->host;

	if (c->parse != NULL)
		w->eng->aops->parse_free(c->parse);
	h->free(c->req.url);
	h->free(c->req.body);
	c->parse = NULL;
	c->req.url = c->req.body = NULL;
	if (c->act_prev != NULL)
		c->act_prev->act_next = c->act_next;
	else
		w->active = c->act_next;
	if (c->act_next != NULL)
		c->act_next->act_prev = c->act_prev;
	c->act_prev = c->act_next = NULL;
	c->next_free = w->free_ctx;
	w->free_ctx = c;
}

/* After an interrupt, once the worker's loop has stopped: every measured
 * request still in flight (or waiting for a retry) is counted as
 * cancelled. The contexts are released in worker_teardown, after the
 * transport has dropped its transfers. */
static void count_cancelled(worker *w)
{
	const req_ctx *c;

	for (c = w->active; c != NULL; c = c->act_next)
		if (c->phase == PHASE_MEASURED)
			w->rec->cancelled++;
}

/* Releases the contexts still in use (an interrupted run); the transport
 * must have been destroyed first, so no callback can reach them. */
static void ctx_drop_active(worker *w)
{
	while (w->active != NULL) {
		req_ctx *c = w->active;

		if (c->retry_timer != NULL)
			event_del(c->retry_timer);
		ctx_put(w, c);
	}
}

static void ctx_free_list(worker *w)
{
	while (w->free_ctx != NULL) {
		req_ctx *c = w->free_ctx;

		w->free_ctx = c->next_free;
		if (c->retry_timer != NULL)
			event_free(c->retry_timer);
		free(c->answer);
		free(c);
	}
}

/* ---- adapter sink ------------------------------------------------------- */

static void sink_content(void *ctx, int64_t tokens)
{
	req_ctx *c = ctx;

	(void)tokens;
	if (c->out.fail != PG_FAIL_NONE)
		return;
	if (c->out.first_content == 0)
		c->out.first_content = c->now;
	else if (c->phase == PHASE_MEASURED)
		pg_hist_record(c->w->rec->itl, c->now - c->last_content);
	c->last_content = c->now;
	c->out.content_chunks++;
}

static void sink_usage(void *ctx, int64_t input_tokens, int64_t output_tokens)
{
	req_ctx *c = ctx;

	if (input_tokens >= 0)
		c->out.input_tokens = input_tokens;
	if (output_tokens >= 0)
		c->out.output_tokens = output_tokens;
}

static void sink_fail(void *ctx, pg_error_class cls, const char *message)
{
	req_ctx *c = ctx;

	(void)message;
	if (c->out.fail == PG_FAIL_NONE)
		c->out.fail = cls;
}

/* Keeps the generated text for the scorer, up to max_answer_bytes; the
 * buffer grows by doubling, so short answers cost little at high
 * concurrency, and is kept with the context for reuse. */
static void sink_text(void *ctx, const char *text, size_t len)
{
	req_ctx *c = ctx;
	size_t max = (size_t)c->w->eng->opts->suite->quality->max_answer_bytes;

	if (len > max - c->answer_len) {
		len = max - c->answer_len;
		c->answer_truncated = 1;
	}
	if (c->answer_len + len + 1 > c->answer_cap) {
		size_t cap = c->answer_cap ? c->answer_cap : 1024;
		char *grown;

		while (cap < c->answer_len + len + 1)
			cap *= 2;
		if (cap > max + 1)
			cap = max + 1;
		grown = realloc(c->answer, cap);
		if (grown == NULL) {
			c->answer_truncated = 1;
			return;
		}
		c->answer = grown;
		c->answer_cap = cap;
	}
	memcpy(c->answer + c->answer_len, text, len);
	c->answer_len += len;
	c->answer[c->answer_len] = '\0';
}

static const pg_response_sink sink_proto = {NULL, sink_content, sink_usage, sink_fail, NULL};

/* ---- transfer events ---------------------------------------------------- */

static void begin_parse(req_ctx *c, const char *content_type)
{
	engine *e = c->w->eng;

	if (c->parse != NULL || c->parse_failed)
		return;
	if (e->aops->parse_begin(c->w->adapter, &c->parse, c->status, content_type,
				 e->items[c->item].stream) < 0) {
		c->parse = NULL;
		c->parse_failed = 1;
		sink_fail(c, PG_FAIL_PROTOCOL, pg_error_last());
	}
}

static void on_headers(void *ctx, int status, const char *content_type, pg_ns at)
{
	req_ctx *c = ctx;

	(void)at;
	c->status = status;
	if (status >= 200 && status <= 299)
		begin_parse(c, content_type);
}

static void on_body(void *ctx, const char *data, size_t len, pg_ns at)
{
	req_ctx *c = ctx;
	pg_response_sink sink = sink_proto;

	c->out.last_byte = at;
	send_due_early(c->w, at);
	if (c->parse == NULL || c->parse_failed)
		return; /* error bodies are read and dropped */
	sink.ctx = c;
	if (c->w->keep_text)
		sink.text = sink_text;
	c->now = at;
	if (c->w->eng->aops->parse_data(c->parse, data, len, &sink) < 0) {
		c->parse_failed = 1;
		sink_fail(c, PG_FAIL_PROTOCOL, pg_error_last());
	}
}

static int may_start(worker *w, pg_ns now, int *phase);
static int issue(worker *w, pg_ns scheduled, int phase);

static int64_t second_of(const engine *e, pg_ns t)
{
	return t <= e->t0 ? 0 : (t - e->t0) / PG_NS_PER_S;
}

static const char *const fail_names[PG_FAIL_CLASS_COUNT] = {
	"ok", "connect", "timeout", "network", "http", "stream", "protocol"};

/* One line per measured request; stdio locks the stream per call, so the
 * workers' lines never interleave. */
static void log_request(FILE *f, const pg_request_outcome *o)
{
	fprintf(f, "%lld %lld %lld %lld %d %s %lld %lld\n", (long long)o->scheduled,
		(long long)o->sent, (long long)o->first_content, (long long)o->last_byte,
		o->http_status, fail_names[o->fail], (long long)o->content_chunks,
		(long long)o->output_tokens);
}

static void record_outcome(worker *w, req_ctx *c)
{
	engine *e = w->eng;
	pg_series_event ev = {0};

	if (c->phase == PHASE_WARMUP) {
		w->warmup_requests++;
		return;
	}
	if (c->phase == PHASE_COOLDOWN) {
		w->cooldown_requests++;
		return;
	}
	pg_recorder_add(w->rec, &c->out);
	if (e->opts->request_log != NULL)
		log_request(e->opts->request_log, &c->out);
	if (c->out.fail == PG_FAIL_NONE) {
		ev.succeeded = 1;
		ev.e2e = c->out.last_byte - c->out.scheduled;
		ev.ttft = c->out.first_content ? c->out.first_content - c->out.scheduled : -1;
	} else {
		ev.failed = 1;
		ev.e2e = ev.ttft = -1;
	}
	ev.in_flight = atomic_load(&w->in_flight);
	pg_series_ring_record(w->ring, second_of(e, c->out.last_byte), &ev);
}

static void on_done(void *ctx, pg_error_class fail, const char *message, pg_ns at,
		    int new_connection)
{
	req_ctx *c = ctx;
	worker *w = c->w;
	engine *e = w->eng;
	pg_response_sink sink = sink_proto;
	int phase = 0;

	sink.ctx = c;
	if (w->keep_text)
		sink.text = sink_text;
	c->out.new_connection = new_connection;
	if (c->out.last_byte == 0)
		c->out.last_byte = at;
	c->out.http_status = c->status;
	if (fail != PG_FAIL_NONE) {
		if (c->out.fail == PG_FAIL_NONE)
			c->out.fail = fail;
		if (fail == PG_FAIL_CONNECT && w->first_connect_error[0] == '\0') {
			/* the transport's own text: it may quote a URL with credentials */
			int n = snprintf(w->first_connect_error, sizeof(w->first_connect_error),
					 "%s", message ? message : "connection failed");

			pg_redact_text(w->first_connect_error,
				       n < 0 || (size_t)n >= sizeof(w->first_connect_error));
		}
	} else if (c->status < 200 || c->status > 299) {
		c->out.fail = PG_FAIL_HTTP;
	} else {
		begin_parse(c, NULL);
		if (c->parse != NULL && !c->parse_failed) {
			c->now = c->out.last_byte;
			if (e->aops->parse_end(c->parse, &sink) < 0)
				sink_fail(c, PG_FAIL_PROTOCOL, pg_error_last());
		}
	}
	if (should_retry(c)) {
		retry_later(c);
		return;
	}
	if (w->scorer != NULL && c->out.fail == PG_FAIL_NONE && c->phase == PHASE_MEASURED)
		score_answer(w, c);
	else if (w->sample != NULL && c->out.fail == PG_FAIL_NONE && c->phase == PHASE_MEASURED)
		sample_answer(w, c);
	atomic_fetch_sub(&w->in_flight, 1);
	atomic_fetch_add_explicit(&w->done_all, 1, memory_order_relaxed);
	if (c->out.fail != PG_FAIL_NONE)
		atomic_fetch_add_explicit(&w->failed_all, 1, memory_order_relaxed);
	record_outcome(w, c);
	ctx_put(w, c);
	send_due_early(w, at);
	if (e->load->model == PG_LOAD_CLOSED) {
		pg_ns now = pg_now_ns();

		if (may_start(w, now, &phase))
			issue(w, now, phase);
		else
			w->vus_idle++;
	}
	check_finished(w);
}

/* A response's Retry-After; an unparsable value is ignored. */
static void on_retry_after(void *ctx, const char *value)
{
	req_ctx *c = ctx;
	struct timespec ts;
	pg_ns wait;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (pg_retry_after_parse(&wait, value, (int64_t)ts.tv_sec * PG_NS_PER_S + ts.tv_nsec) == 0)
		c->retry_after = wait;
}

static const pg_transfer_events transfer_events = {on_headers, on_body, on_done, on_retry_after};

/* Grades a successful answer with the suite's scorer. */
static void score_answer(worker *w, req_ctx *c)
{
	const engine *e = w->eng;
	const pg_scorer_ops *ops = e->opts->suite->quality->plugin->ops;
	pg_score_input in;
	double score = 0;
	int pass = 0;

	memset(&in, 0, sizeof(in));
	in.answer = c->answer != NULL ? c->answer : "";
	in.answer_len = c->answer_len;
	in.answer_truncated = c->answer_truncated;
	in.expected = e->opts->suite->workload.items[c->item].expected;
	in.prompt = e->items[c->item].prompt;
	in.metadata_json = e->opts->suite->workload.items[c->item].metadata_json;
	if (ops->score(w->scorer, &in, &score, &pass) < 0)
		return; /* the scorer failed, not the answer: left ungraded */
	c->out.scored = 1;
	c->out.score = score;
	c->out.passed = pass;
}

/* Offers a successful measured answer to the worker's reservoir (Vitter's
 * algorithm R): the k-th answer replaces a random slot with probability
 * cap/k, so the reservoir stays a uniform sample of what the worker saw.
 * The text is copied; grading waits until the load is over. */
static void sample_answer(worker *w, req_ctx *c)
{
	uint64_t slot;
	char *copy;

	w->sample_seen++;
	slot = w->n_sample < w->sample_cap
		   ? w->n_sample
		   : pg_rng_u64(&w->sample_rng) % (uint64_t)w->sample_seen;
	if (slot >= w->sample_cap)
		return;
	copy = malloc(c->answer_len + 1);
	if (copy == NULL)
		return; /* left out of the sample */
	if (c->answer_len > 0)
		memcpy(copy, c->answer, c->answer_len);
	copy[c->answer_len] = '\0';
	if (slot == w->n_sample)
		w->n_sample++;
	else
		free(w->sample[slot].text);
	w->sample[slot].item = c->item;
	w->sample[slot].text = copy;
	w->sample[slot].len = c->answer_len;
	w->sample[slot].truncated = c->answer_truncated;
}

/* Merges the workers' reservoirs into out->sample, at most cap answers
 * drawn uniformly from everything the workers saw: each draw picks a
 * worker with probability (its answers not yet drawn) / (all not yet
 * drawn), then a random answer from its reservoir. Entries move out of
 * the workers' reservoirs. */
static int merge_samples(pg_engine_result *out, engine *e, size_t cap)
{
	int64_t *left = calloc(e->n_workers, sizeof(*left));
	int64_t total = 0;
	unsigned int i;
	pg_rng rng;

	out->sample = calloc(cap, sizeof(*out->sample));
	if (left == NULL || out->sample == NULL) {
		free(left);
		pg_error_set("out of memory");
		return PG_ENOMEM;
	}
	pg_rng_seed(&rng, e->load->seed, UINT64_C(0x5a4d91e) + e->n_workers);
	for (i = 0; i < e->n_workers; i++) {
		left[i] = e->workers[i].sample_seen;
		out->sample_seen += left[i];
		total += left[i];
	}
	while (out->n_sample < cap && total > 0) {
		uint64_t r = pg_rng_u64(&rng) % (uint64_t)total;
		worker *w;
		size_t k;

		for (i = 0; r >= (uint64_t)left[i]; i++)
			r -= (uint64_t)left[i];
		w = &e->workers[i];
		if (w->n_sample == 0) { /* an answer was lost to an allocation failure */
			total -= left[i];
			left[i] = 0;
			continue;
		}
		k = (size_t)(pg_rng_u64(&rng) % w->n_sample);
		out->sample[out->n_sample++] = w->sample[k];
		w->sample[k] = w->sample[--w->n_sample];
		left[i]--;
		total--;
	}
	free(left);
	return 0;
}

/* ---- retries ------------------------------------------------------------ */

/* Connection failures and the statuses clients conventionally retry. */
static int should_retry(const req_ctx *c)
{
	const engine *e = c->w->eng;
	int s = c->out.http_status;

	if (c->attempt >= e->load->retries || atomic_load(&e->stop) || c->w->fatal)
		return 0;
	switch (c->out.fail) {
	case PG_FAIL_CONNECT:
	case PG_FAIL_NETWORK:
		return 1;
	case PG_FAIL_HTTP:
		return s == 429 || s == 500 || s == 502 || s == 503 || s == 504;
	default:
		return 0;
	}
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	req_ctx *c = arg;
	worker *w = c->w;

	(void)fd;
	(void)what;
	if (w->eng->tops->start(w->transport, &c->req, c, &transfer_events) < 0) {
		atomic_fetch_sub(&w->in_flight, 1);
		ctx_put(w, c);
		fatal(w, "the transport could not resend a request");
		check_finished(w);
	}
}

/* The wait before the next attempt: retry_backoff x 2^attempt, or longer
 * when the response's Retry-After asked for more. The Retry-After part is
 * capped by the request timeout and by the time left before the run ends,
 * so a server asking for an hour cannot hold the run. */
static pg_ns retry_wait(const req_ctx *c)
{
	const engine *e = c->w->eng;
	pg_ns wait = e->load->retry_backoff << c->attempt, asked = c->retry_after;

	if (asked <= wait)
		return wait;
	if (e->load->timeout > 0 && asked > e->load->timeout)
		asked = e->load->timeout;
	if (e->run_end != INT64_MAX) {
		pg_ns left = e->run_end - pg_now_ns();

		if (asked > left)
			asked = left;
	}
	return asked > wait ? asked : wait;
}

/* Sends the same request again after retry_wait(). The latency stays
 * measured from the original scheduled start. */
static void retry_later(req_ctx *c)
{
	worker *w = c->w;
	pg_ns wait = retry_wait(c);
	struct timeval tv;

	c->attempt++;
	if (c->phase == PHASE_MEASURED)
		w->rec->retries++;
	if (c->parse != NULL)
		w->eng->aops->parse_free(c->parse);
	c->parse = NULL;
	c->parse_failed = 0;
	c->status = 0;
	c->last_content = 0;
	c->out.first_content = c->out.last_byte = 0;
	c->retry_after = 0;
	c->out.fail = PG_FAIL_NONE;
	c->out.http_status = 0;
	c->out.content_chunks = 0;
	c->out.input_tokens = c->out.output_tokens = -1;
	c->answer_len = 0;
	c->answer_truncated = 0;
	if (c->retry_timer == NULL)
		c->retry_timer = evtimer_new(w->base, on_retry, c);
	if (c->retry_timer == NULL) {
		atomic_fetch_sub(&w->in_flight, 1);
		ctx_put(w, c);
		pg_error_set("out of memory");
		fatal(w, "cannot schedule a retry");
		return;
	}
	tv.tv_sec = (time_t)(wait / PG_NS_PER_S);
	tv.tv_usec = (suseconds_t)((wait % PG_NS_PER_S) / 1000);
	evtimer_add(c->retry_timer, &tv);
}

/* ---- scheduling ---------------------------------------------------------- */

static int phase_of(const engine *e, pg_ns scheduled)
{
	if (scheduled < e->window_start)
		return PHASE_WARMUP;
	if (scheduled >= e->window_end)
		return PHASE_COOLDOWN;
	return PHASE_MEASURED;
}

/* Closed loop: whether a free virtual user starts another request now. */
static int may_start(worker *w, pg_ns now, int *phase)
{
	engine *e = w->eng;

	if (w->fatal || atomic_load(&e->stop))
		return 0;
	if (e->load->requests > 0) {
		if (now < e->window_start) {
			*phase = PHASE_WARMUP;
			return 1;
		}
		*phase = PHASE_MEASURED;
		return atomic_fetch_add(&e->measured_started, 1) < e->load->requests;
	}
	if (now >= e->run_end)
		return 0;
	*phase = phase_of(e, now);
	return 1;
}

static void fatal(worker *w, const char *what)
{
	if (!w->fatal)
		snprintf(w->fatal_msg, sizeof(w->fatal_msg), "%s: %s", what, pg_error_last());
	w->fatal = 1;
	atomic_store(&w->eng->stop, 1);
}

/* Builds and sends one request scheduled at `scheduled`. */
static int issue(worker *w, pg_ns scheduled, int phase)
{
	engine *e = w->eng;
	req_ctx *c = ctx_get(w);
	pg_series_event ev = {0};
	int rc;

	if (c == NULL) {
		pg_error_set("out of memory");
		fatal(w, "cannot track a request");
		return PG_ENOMEM;
	}
	c->phase = phase;
	c->item = w->next_item;
	w->next_item = (w->next_item + 1) % e->n_items;
	if ((rc = e->aops->build(w->adapter, &e->items[c->item], &c->req)) < 0) {
		ctx_put(w, c);
		fatal(w, "the adapter could not build a request");
		return rc;
	}
	c->out.scheduled = scheduled;
	c->out.max_tokens = e->items[c->item].max_tokens;
	c->out.sent = pg_now_ns();
	if ((rc = e->tops->start(w->transport, &c->req, c, &transfer_events)) < 0) {
		ctx_put(w, c);
		fatal(w, "the transport could not send a request");
		return rc;
	}
	atomic_fetch_add(&w->in_flight, 1);
	atomic_fetch_add_explicit(&w->sent_all, 1, memory_order_relaxed);
	if (phase == PHASE_MEASURED) {
		w->rec->started++;
		ev.sent = 1;
		ev.late = c->out.sent - scheduled > PG_LATE_SEND_NS;
		ev.e2e = ev.ttft = -1;
		ev.in_flight = atomic_load(&w->in_flight);
		pg_series_ring_record(w->ring, second_of(e, c->out.sent), &ev);
	}
	return 0;
}

static void check_finished(worker *w)
{
	engine *e = w->eng;
	int more;

	if (atomic_load(&w->in_flight) > 0)
		return;
	if (e->load->model == PG_LOAD_CLOSED)
		more = w->vus_idle < w->vus && !w->fatal;
	else
		more = !w->sched_done && !w->fatal && !atomic_load(&e->stop);
	if (!more)
		event_base_loopbreak(w->base);
}

static void arm_arrival(worker *w, pg_ns now)
{
	pg_ns due = w->eng->t0 + w->next_offset, wait = due > now ? due - now : 0;
	struct timeval tv;

	tv.tv_sec = (time_t)(wait / PG_NS_PER_S);
	tv.tv_usec = (suseconds_t)((wait % PG_NS_PER_S) / 1000);
	evtimer_add(w->arrival_timer, &tv);
}

/* Open loop and trace: sends every arrival that is due at `now`, then arms
 * the timer for the next one. */
static void send_due(worker *w, pg_ns now)
{
	engine *e = w->eng;

	while (!w->sched_done && !w->fatal && !atomic_load(&e->stop) &&
	       e->t0 + w->next_offset <= now) {
		pg_ns scheduled = e->t0 + w->next_offset;
		int phase = phase_of(e, scheduled);

		if (atomic_load(&w->in_flight) >= w->cap) {
			if (phase == PHASE_MEASURED) {
				pg_series_event ev = {0};

				w->rec->dropped++;
				ev.dropped = 1;
				ev.e2e = ev.ttft = -1;
				ev.in_flight = atomic_load(&w->in_flight);
				pg_series_ring_record(w->ring, second_of(e, now), &ev);
			}
		} else if (issue(w, scheduled, phase) < 0) {
			break;
		}
		if (!pg_schedule_next(w->sched, &w->next_offset))
			w->sched_done = 1;
		now = pg_now_ns();
	}
	if (!w->sched_done && !w->fatal && !atomic_load(&e->stop))
		arm_arrival(w, now);
}

static void on_arrival(evutil_socket_t fd, short what, void *arg)
{
	worker *w = arg;

	(void)fd;
	(void)what;
	send_due(w, pg_now_ns());
	check_finished(w);
}

/* Called while the loop works through socket events: an arrival that fell
 * due meanwhile is sent now rather than after the whole batch, which keeps
 * the schedule lag low without polling the sockets more often. */
static void send_due_early(worker *w, pg_ns now)
{
	if (w->sched != NULL && !w->sched_done && w->eng->t0 + w->next_offset <= now)
		send_due(w, now);
}

/* ---- workers ------------------------------------------------------------ */

/* How often a worker looks at e->cancel while its loop waits. */
#define CANCEL_POLL_US 100000

/* Interrupted: leaves the loop at once, abandoning the requests in flight
 * (worker_main counts them). Otherwise a safety net: the loop ends when
 * the worker has nothing left to do. */
static void on_cancel_poll(evutil_socket_t fd, short what, void *arg)
{
	worker *w = arg;

	(void)fd;
	(void)what;
	if (atomic_load(&w->eng->cancel))
		event_base_loopbreak(w->base);
	else
		check_finished(w);
}

static void *worker_main(void *arg)
{
	worker *w = arg;
	engine *e = w->eng;
	int64_t i;
	int phase = 0;

	if (e->load->model == PG_LOAD_CLOSED) {
		pg_ns now = pg_now_ns();

		for (i = 0; i < w->vus; i++) {
			if (may_start(w, now, &phase)) {
				if (issue(w, now, phase) < 0)
					break;
			} else {
				w->vus_idle++;
			}
		}
		check_finished(w);
	} else {
		if (!pg_schedule_next(w->sched, &w->next_offset))
			w->sched_done = 1;
		else
			arm_arrival(w, pg_now_ns());
		check_finished(w);
	}
	if (atomic_load(&w->in_flight) > 0 || (e->load->model != PG_LOAD_CLOSED && !w->sched_done)) {
		if (w->cancel_poll != NULL) {
			struct timeval tv = {0, CANCEL_POLL_US};

			evtimer_add(w->cancel_poll, &tv);
		}
		event_base_dispatch(w->base);
	}
	if (atomic_load(&e->cancel))
		count_cancelled(w);
	pthread_mutex_lock(&e->lock);
	e->finished++;
	pthread_cond_signal(&e->cond);
	pthread_mutex_unlock(&e->lock);
	return NULL;
}

static int worker_setup(engine *e, worker *w, unsigned int index)
{
	const pg_engine_opts *o = e->opts;
	struct event_config *cfg = event_config_new();
	pg_transport_env env;
	pg_target_info ti;
	int64_t connections;
	int rc;

	w->eng = e;
	w->index = index;
	atomic_init(&w->in_flight, 0);
	atomic_init(&w->sent_all, 0);
	atomic_init(&w->done_all, 0);
	atomic_init(&w->failed_all, 0);
	if (cfg == NULL)
		return PG_ENOMEM;
	/* sub-millisecond timers for open-loop pacing */
	event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
	w->base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	if (w->base == NULL) {
		pg_error_set("cannot create an event loop");
		return PG_EIO;
	}
	/* two priorities: a due arrival is sent before pending socket work is
	 * processed (transports' events get the default, lower priority) */
	if (event_base_priority_init(w->base, 2) != 0) {
		pg_error_set("cannot set event priorities");
		return PG_EIO;
	}
	w->arrival_timer = evtimer_new(w->base, on_arrival, w);
	if (w->arrival_timer == NULL || event_priority_set(w->arrival_timer, 0) != 0)
		return PG_ENOMEM;
	if (o->interrupt != NULL &&
	    (w->cancel_poll = event_new(w->base, -1, EV_PERSIST, on_cancel_poll, w)) == NULL)
		return PG_ENOMEM;
	if ((rc = pg_recorder_new(&w->rec, &o->scenario->goodput)) < 0 ||
	    (rc = pg_series_ring_new(&w->ring)) < 0)
		return rc;
	if (e->load->model == PG_LOAD_CLOSED) {
		w->vus = e->load->concurrency / e->n_workers +
			 ((int64_t)index < e->load->concurrency % e->n_workers ? 1 : 0);
		connections = w->vus > 0 ? w->vus : 1;
	} else {
		w->cap = e->load->max_in_flight / e->n_workers;
		if (w->cap < 1)
			w->cap = 1;
		connections = w->cap;
		if ((rc = pg_schedule_new(&w->sched, e->load, index, e->n_workers)) < 0)
			return rc;
	}
	w->next_item = (size_t)index % e->n_items;
	ti.url = o->base_url;
	ti.model = o->suite->target.model;
	rc = e->aops->create(&w->adapter, o->host, o->adapter_options, &ti);
	if (rc < 0) {
		w->adapter = NULL;
		pg_error_prefix("adapter %s", o->adapter->name);
		return PG_EIO;
	}
	memset(&env, 0, sizeof(env));
	env.version = PG_TRANSPORT_ENV_VERSION;
	env.base_url = o->base_url;
	env.event_base = w->base;
	env.headers = (const char *const *)e->header_lines;
	env.timeout = e->load->timeout;
	env.connect_timeout = e->load->timeout;
	env.max_connections = connections;
	rc = e->tops->create(&w->transport, o->host, o->transport_options, &env);
	if (rc < 0) {
		w->transport = NULL;
		pg_error_prefix("transport %s", o->transport->name);
		return PG_EIO;
	}
	if (o->suite->quality != NULL &&
	    (pg_plugin_flags(o->suite->quality->plugin) & PG_SCORER_AFTER_RUN)) {
		/* graded after the load: keep a sample, grade nothing now */
		w->keep_text = 1;
		w->sample_cap = (size_t)o->suite->quality->sample;
		w->sample = calloc(w->sample_cap, sizeof(*w->sample));
		if (w->sample == NULL)
			return PG_ENOMEM;
		pg_rng_seed(&w->sample_rng, e->load->seed, UINT64_C(0x5a4d91e) + index);
	} else if (o->suite->quality != NULL) {
		const pg_quality *q = o->suite->quality;
		const pg_scorer_ops *sops = q->plugin->ops;

		w->keep_text = 1;
		if (sops->create(&w->scorer, o->host, q->options) < 0) {
			w->scorer = NULL;
			pg_error_prefix("scorer %s", q->scorer);
			return PG_EIO;
		}
	}
	return 0;
}

static void worker_teardown(engine *e, worker *w)
{
	if (w->transport != NULL)
		e->tops->destroy(w->transport);
	ctx_drop_active(w); /* an interrupted run's requests, now without a transfer */
	if (w->adapter != NULL)
		e->aops->destroy(w->adapter);
	if (w->scorer != NULL)
		((const pg_scorer_ops *)e->opts->suite->quality->plugin->ops)->destroy(w->scorer);
	while (w->n_sample > 0)
		free(w->sample[--w->n_sample].text);
	free(w->sample);
	ctx_free_list(w);
	pg_schedule_free(w->sched);
	pg_series_ring_free(w->ring);
	pg_recorder_free(w->rec);
	if (w->arrival_timer != NULL)
		event_free(w->arrival_timer);
	if (w->cancel_poll != NULL)
		event_free(w->cancel_poll);
	if (w->base != NULL)
		event_base_free(w->base);
}

/* ---- setup -------------------------------------------------------------- */

static int build_items(engine *e)
{
	const pg_workload *wl = &e->opts->suite->workload;
	size_t i;

	if (wl->n_items == 0) {
		pg_error_set("the workload has no prompts");
		return PG_EINVAL;
	}
	e->items = calloc(wl->n_items, sizeof(*e->items));
	if (e->items == NULL)
		return PG_ENOMEM;
	for (i = 0; i < wl->n_items; i++) {
		e->items[i].prompt = wl->items[i].prompt;
		e->items[i].messages_json = wl->items[i].messages_json;
		e->items[i].max_tokens =
		    wl->items[i].max_tokens > 0 ? wl->items[i].max_tokens : wl->max_tokens;
		e->items[i].stream = wl->stream;
	}
	e->n_items = wl->n_items;
	return 0;
}

static int build_headers(engine *e)
{
	const pg_target *t = &e->opts->suite->target;
	size_t i;

	e->header_lines = calloc(t->n_headers + 1, sizeof(*e->header_lines));
	if (e->header_lines == NULL)
		return PG_ENOMEM;
	for (i = 0; i < t->n_headers; i++) {
		size_t len = strlen(t->headers[i].name) + strlen(t->headers[i].value) + 3;

		e->header_lines[i] = malloc(len);
		if (e->header_lines[i] == NULL)
			return PG_ENOMEM;
		snprintf(e->header_lines[i], len, "%s: %s", t->headers[i].name,
			 t->headers[i].value);
		e->n_headers++;
	}
	return 0;
}

/* Raises the open-files limit to what the load needs (up to the hard
 * limit) and returns the limit in force. */
static int64_t raise_nofile(int64_t needed)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return -1;
	if ((rlim_t)needed > rl.rlim_cur && rl.rlim_cur != RLIM_INFINITY) {
		rlim_t want = (rlim_t)needed;

		if (rl.rlim_max != RLIM_INFINITY && want > rl.rlim_max)
			want = rl.rlim_max;
		rl.rlim_cur = want;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur == RLIM_INFINITY ? INT64_MAX : (int64_t)rl.rlim_cur;
}

static void set_times(engine *e)
{
	const pg_load *l = e->load;

	e->t0 = pg_now_ns();
	e->window_start = e->t0 + l->warmup;
	if (l->model == PG_LOAD_TRACE) {
		/* the window includes the trace's last arrival */
		e->window_end = e->t0 + l->duration + 1;
		e->run_end = e->window_end + l->cooldown;
	} else if (l->model == PG_LOAD_CLOSED && l->requests > 0) {
		e->window_end = INT64_MAX;
		e->run_end = INT64_MAX;
	} else {
		e->window_end = e->window_start + l->duration;
		e->run_end = e->window_end + l->cooldown;
	}
}

/* The main thread's wake-up period: how fast an interrupt is noticed. */
#define MAIN_TICK_NS (100 * PG_NS_PER_MS)

/* What the main thread keeps between progress reports. */
typedef struct progress_state {
	pg_ns next;       /* report when the clock reaches this */
	pg_ns last_at;    /* the previous report */
	int64_t last_done;
	pg_hist *e2e, *ttft; /* the series' batches merged (coarse), reused */
} progress_state;

/* The q-quantile over the series' batches so far (the measured window up
 * to the last collected second); NaN when there is none. The batches'
 * histograms all have the same shape, so the first one is cloned once and
 * the rest merged into it. */
static double batches_quantile(pg_hist **tmp, const pg_series *s, int ttft, double q)
{
	size_t i;

	if (*tmp != NULL)
		pg_hist_reset(*tmp);
	for (i = 0; i < s->n_batches; i++) {
		const pg_hist *h = ttft ? s->batches[i].ttft : s->batches[i].e2e;

		if (h == NULL)
			continue;
		if (*tmp == NULL) {
			if (pg_hist_clone(tmp, h) < 0)
				return NAN;
		} else if (pg_hist_merge(*tmp, h) < 0) {
			return NAN;
		}
	}
	return *tmp != NULL && pg_hist_count(*tmp) > 0 ? (double)pg_hist_quantile(*tmp, q) : NAN;
}

static void report_progress(engine *e, progress_state *ps, const pg_series *series, pg_ns now)
{
	pg_progress p;
	unsigned int i;

	memset(&p, 0, sizeof(p));
	p.elapsed = now - e->t0;
	p.planned = e->run_end == INT64_MAX ? 0 : e->run_end - e->t0;
	if (e->load->model == PG_LOAD_CLOSED && e->load->requests > 0) {
		p.planned_requests = e->load->requests;
		p.measured_started = atomic_load(&e->measured_started);
		if (p.measured_started > p.planned_requests)
			p.measured_started = p.planned_requests;
	}
	p.phase = now < e->window_start ? PG_PROGRESS_WARMUP
		  : now >= e->window_end ? PG_PROGRESS_COOLDOWN
					 : PG_PROGRESS_MEASURED;
	for (i = 0; i < e->n_workers; i++) {
		worker *w = &e->workers[i];

		p.sent += atomic_load_explicit(&w->sent_all, memory_order_relaxed);
		p.completed += atomic_load_explicit(&w->done_all, memory_order_relaxed);
		p.failed += atomic_load_explicit(&w->failed_all, memory_order_relaxed);
		p.in_flight += atomic_load(&w->in_flight);
	}
	p.rps = now > ps->last_at ? (double)(p.completed - ps->last_done) * 1e9 /
					(double)(now - ps->last_at)
				  : 0.0;
	p.e2e_p95 = batches_quantile(&ps->e2e, series, 0, 0.95);
	p.ttft_p95 = batches_quantile(&ps->ttft, series, 1, 0.95);
	ps->last_at = now;
	ps->last_done = p.completed;
	e->opts->progress(e->opts->progress_ctx, &p);
}

/* Main thread: collects finished seconds until every worker is done,
 * reports progress once a second, and turns an interrupt into a stop that
 * the workers see within CANCEL_POLL_US. */
static void collect_until_done(engine *e, pg_series *series, pg_series_ring **rings)
{
	struct timespec deadline;
	progress_state ps;
	pg_ns now;

	memset(&ps, 0, sizeof(ps));
	ps.last_at = e->t0;
	ps.next = e->t0 + PG_NS_PER_S;
	pthread_mutex_lock(&e->lock);
	while (e->finished < e->n_workers) {
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_nsec += MAIN_TICK_NS;
		if (deadline.tv_nsec >= PG_NS_PER_S) {
			deadline.tv_sec++;
			deadline.tv_nsec -= PG_NS_PER_S;
		}
		pthread_cond_timedwait(&e->cond, &e->lock, &deadline);
		pthread_mutex_unlock(&e->lock);
		now = pg_now_ns();
		if (e->opts->interrupt != NULL && atomic_load(e->opts->interrupt) &&
		    !atomic_load(&e->cancel)) {
			e->cancel_at = now;
			atomic_store(&e->stop, 1);
			atomic_store(&e->cancel, 1);
		}
		/* one second of grace: a worker may still be recording the last one */
		pg_series_collect(series, rings, e->n_workers, second_of(e, now) - 1);
		if (e->opts->progress != NULL && now >= ps.next && !atomic_load(&e->cancel)) {
			report_progress(e, &ps, series, now);
			ps.next = e->t0 + ((now - e->t0) / PG_NS_PER_S + 1) * PG_NS_PER_S;
		}
		pthread_mutex_lock(&e->lock);
	}
	pthread_mutex_unlock(&e->lock);
	pg_hist_free(ps.e2e);
	pg_hist_free(ps.ttft);
}

int pg_engine_run(pg_engine_result *out, const pg_engine_opts *opts)
{
	engine e;
	pg_series_ring **rings = NULL;
	pthread_condattr_t ca;
	unsigned int i;
	int64_t needed;
	pg_ns stopped;
	int rc = PG_ENOMEM;

	memset(out, 0, sizeof(*out));
	memset(&e, 0, sizeof(e));
	e.opts = opts;
	e.load = opts->load;
	e.aops = opts->adapter->ops;
	e.tops = opts->transport->ops;
	e.n_workers = opts->workers >= 1 ? opts->workers : 1;
	atomic_init(&e.measured_started, 0);
	atomic_init(&e.stop, 0);
	atomic_init(&e.cancel, 0);
	pthread_mutex_init(&e.lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&e.cond, &ca);
	pthread_condattr_destroy(&ca);
	if (e.load->model == PG_LOAD_CLOSED && (int64_t)e.n_workers > e.load->concurrency)
		e.n_workers = (unsigned int)e.load->concurrency;
	needed = (e.load->model == PG_LOAD_CLOSED ? e.load->concurrency : e.load->max_in_flight) +
		 64;
	out->nofile_limit = raise_nofile(needed);
	if (out->nofile_limit < needed)
		pg_log(PG_LOG_WARN,
		       "the open-files limit (%lld) is below the %lld connections this load may "
		       "need: connections beyond it will fail to open (raise it with ulimit -n)",
		       (long long)out->nofile_limit, (long long)needed);
	if ((rc = build_items(&e)) < 0 || (rc = build_headers(&e)) < 0)
		goto done;
	rc = PG_ENOMEM;
	e.workers = calloc(e.n_workers, sizeof(*e.workers));
	rings = calloc(e.n_workers, sizeof(*rings));
	if (e.workers == NULL || rings == NULL || pg_series_new(&out->series) < 0)
		goto done;
	for (i = 0; i < e.n_workers; i++) {
		if ((rc = worker_setup(&e, &e.workers[i], i)) < 0)
			goto done;
		rings[i] = e.workers[i].ring;
	}
	/* the clock starts once every worker is ready; schedules hold offsets
	 * from it, so setup time shifts no arrival */
	set_times(&e);
	/* batches hold whole seconds inside the measured window */
	pg_series_set_window(out->series,
			     (e.window_start - e.t0 + PG_NS_PER_S - 1) / PG_NS_PER_S,
			     e.window_end == INT64_MAX ? INT64_MAX
						       : (e.window_end - e.t0) / PG_NS_PER_S);
	for (i = 0; i < e.n_workers; i++) {
		worker *w = &e.workers[i];

		w->rec->window_start = e.window_start;
		w->rec->window_end = e.window_end == INT64_MAX ? 0 : e.window_end;
	}
	for (i = 0; i < e.n_workers; i++) {
		if (pthread_create(&e.workers[i].thread, NULL, worker_main, &e.workers[i]) != 0) {
			pg_error_set("cannot start worker thread %u: %s", i, strerror(errno));
			atomic_store(&e.stop, 1);
			rc = PG_EIO;
			break;
		}
		e.workers[i].thread_started = 1;
	}
	if (i == e.n_workers)
		collect_until_done(&e, out->series, rings);
	for (i = 0; i < e.n_workers; i++)
		if (e.workers[i].thread_started)
			pthread_join(e.workers[i].thread, NULL);
	stopped = pg_now_ns();
	if (rc == PG_EIO)
		goto done;
	pg_series_collect(out->series, rings, e.n_workers, second_of(&e, stopped) + 1);
	for (i = 0; i < e.n_workers; i++) {
		if (e.workers[i].fatal) {
			pg_error_set("worker %u: %s", i, e.workers[i].fatal_msg);
			rc = PG_EIO;
			goto done;
		}
	}
	/* merge the workers' recorders into the first */
	for (i = 1; i < e.n_workers; i++)
		if ((rc = pg_recorder_merge(e.workers[0].rec, e.workers[i].rec)) < 0)
			goto done;
	out->rec = e.workers[0].rec;
	e.workers[0].rec = NULL;
	if (e.workers[0].sample != NULL &&
	    (rc = merge_samples(out, &e, e.workers[0].sample_cap)) < 0)
		goto done;
	if (e.window_end == INT64_MAX)
		out->rec->window_end = pg_now_ns();
	if (atomic_load(&e.cancel)) {
		/* the measured window ends when the workers stopped */
		out->interrupted = 1;
		out->interrupted_at = e.cancel_at - e.t0;
		if (stopped < out->rec->window_end)
			out->rec->window_end =
			    stopped > out->rec->window_start ? stopped : out->rec->window_start;
	}
	out->window_offset = e.window_start - e.t0;
	out->workers = e.n_workers;
	for (i = 0; i < e.n_workers; i++) {
		out->warmup_requests += e.workers[i].warmup_requests;
		out->cooldown_requests += e.workers[i].cooldown_requests;
		if (out->first_connect_error[0] == '\0' && e.workers[i].first_connect_error[0])
			snprintf(out->first_connect_error, sizeof(out->first_connect_error), "%s",
				 e.workers[i].first_connect_error);
	}
	out->generator_bound =
	    out->rec->started > 0 && out->rec->late * 100 > out->rec->started;
	rc = 0;
done:
	for (i = 0; e.workers != NULL && i < e.n_workers; i++)
		worker_teardown(&e, &e.workers[i]);
	free(e.workers);
	free(rings);
	for (i = 0; e.header_lines != NULL && i < e.n_headers; i++)
		free(e.header_lines[i]);
	free(e.header_lines);
	free(e.items);
	pthread_cond_destroy(&e.cond);
	pthread_mutex_destroy(&e.lock);
	if (rc < 0)
		pg_engine_result_clear(out);
	return rc;
}

void pg_engine_result_clear(pg_engine_result *r)
{
	size_t i;

	pg_recorder_free(r->rec);
	pg_series_free(r->series);
	for (i = 0; i < r->n_sample; i++)
		free(r->sample[i].text);
	free(r->sample);
	memset(r, 0, sizeof(*r));
}
