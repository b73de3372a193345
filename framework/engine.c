/*
 * Closed-loop load engine over the libcurl multi socket interface, driven
 * by a libevent loop (socket and timer callbacks, as curl's MULTI-EV
 * describes). Each virtual user owns one reusable easy handle, so
 * connections are kept alive and reused through the multi handle's pool.
 *
 * Timing: every timestamp is CLOCK_MONOTONIC, taken in the write callback
 * as bytes arrive, before the adapter parses them; all events parsed from
 * one read share that arrival time.
 */
#include "engine.h"

#include <curl/curl.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "error.h"

typedef struct engine engine;

/* One virtual user: a reusable easy handle and the request in flight. */
typedef struct vu {
	engine *eng;
	CURL *easy;
	int busy;
	int measured;      /* started inside the measured window */
	size_t item;       /* workload item of the request in flight */
	pg_request req;    /* url/body built by the adapter; freed by us */
	void *parse;       /* adapter parse state, NULL until the first 2xx byte */
	int status;        /* HTTP status, 0 until the first byte */
	int parse_failed;  /* adapter returned an error */
	pg_ns last_content;
	pg_ns now;         /* arrival time of the bytes being parsed */
	pg_request_outcome out;
	char errbuf[CURL_ERROR_SIZE];
} vu;

struct engine {
	const pg_engine_opts *opts;
	const pg_load *load;
	pg_recorder *rec;
	pg_engine_report *report;
	struct event_base *base;
	struct event *timer;
	CURLM *multi;
	struct curl_slist *headers;
	vu *vus;
	size_t n_vus;
	size_t busy;
	size_t next_item;
	pg_ns t0, measure_start, stop_at;
	int64_t measured_started;
	int stopping;
	int fatal;
	pg_work_item *items;
};

/* ---- response sink: adapter events for the request in flight ---------- */

static void sink_content(void *ctx, int64_t tokens)
{
	vu *v = ctx;

	(void)tokens;
	if (v->out.fail != PG_FAIL_NONE)
		return;
	if (v->out.first_content == 0)
		v->out.first_content = v->now;
	else if (v->measured)
		pg_hist_record(v->eng->rec->itl, v->now - v->last_content);
	v->last_content = v->now;
	v->out.content_chunks++;
}

static void sink_usage(void *ctx, int64_t input_tokens, int64_t output_tokens)
{
	vu *v = ctx;

	if (input_tokens >= 0)
		v->out.input_tokens = input_tokens;
	if (output_tokens >= 0)
		v->out.output_tokens = output_tokens;
}

static void sink_fail(void *ctx, pg_error_class cls, const char *message)
{
	vu *v = ctx;

	(void)message;
	if (v->out.fail == PG_FAIL_NONE)
		v->out.fail = cls;
}

/* ---- curl callbacks ---------------------------------------------------- */

static size_t on_write(char *data, size_t size, size_t nmemb, void *userdata)
{
	vu *v = userdata;
	engine *e = v->eng;
	size_t len = size * nmemb;
	pg_response_sink sink = {v, sink_content, sink_usage, sink_fail};
	pg_ns now = pg_now_ns();

	v->out.last_byte = now;
	if (v->status == 0) {
		long code = 0;
		char *ctype = NULL;

		curl_easy_getinfo(v->easy, CURLINFO_RESPONSE_CODE, &code);
		curl_easy_getinfo(v->easy, CURLINFO_CONTENT_TYPE, &ctype);
		v->status = (int)code;
		if (code >= 200 && code < 300 &&
		    e->opts->ops->parse_begin(e->opts->adapter, &v->parse, (int)code, ctype,
					      e->items[v->item].stream) < 0) {
			v->parse = NULL;
			v->parse_failed = 1;
		}
	}
	if (v->parse == NULL || v->parse_failed)
		return len; /* error bodies are read and dropped */
	v->now = now;
	if (e->opts->ops->parse_data(v->parse, data, len, &sink) < 0) {
		v->parse_failed = 1;
		sink_fail(v, PG_FAIL_PROTOCOL, pg_error_last());
	}
	return len;
}

static void start_request(engine *e, vu *v);

static void release_request(engine *e, vu *v)
{
	if (v->parse != NULL)
		e->opts->ops->parse_free(v->parse);
	v->parse = NULL;
	e->opts->host->free(v->req.url);
	e->opts->host->free(v->req.body);
	memset(&v->req, 0, sizeof(v->req));
}

static pg_error_class classify_curl(CURLcode code)
{
	switch (code) {
	case CURLE_OPERATION_TIMEDOUT:
		return PG_FAIL_TIMEOUT;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return PG_FAIL_CONNECT;
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_BAD_CONTENT_ENCODING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return PG_FAIL_PROTOCOL;
	default:
		return PG_FAIL_NETWORK;
	}
}

/* A transfer ended: classify it, record it and start the next request. */
static void finish_request(engine *e, vu *v, CURLcode code)
{
	pg_response_sink sink = {v, sink_content, sink_usage, sink_fail};

	if (v->out.last_byte == 0)
		v->out.last_byte = pg_now_ns();
	v->out.http_status = v->status;
	if (code != CURLE_OK) {
		pg_error_class cls = classify_curl(code);

		v->out.fail = cls;
		if (cls == PG_FAIL_CONNECT && e->report->first_connect_error[0] == '\0')
			snprintf(e->report->first_connect_error,
				 sizeof(e->report->first_connect_error), "%s",
				 v->errbuf[0] ? v->errbuf : curl_easy_strerror(code));
	} else if (v->status < 200 || v->status > 299) {
		if (v->status == 0) {
			long codel = 0;

			curl_easy_getinfo(v->easy, CURLINFO_RESPONSE_CODE, &codel);
			v->status = (int)codel;
			v->out.http_status = v->status;
		}
		v->out.fail = PG_FAIL_HTTP;
	} else {
		if (v->parse == NULL && !v->parse_failed &&
		    e->opts->ops->parse_begin(e->opts->adapter, &v->parse, v->status, NULL,
					      e->items[v->item].stream) < 0) {
			v->parse = NULL;
			v->parse_failed = 1;
			sink_fail(v, PG_FAIL_PROTOCOL, pg_error_last());
		}
		if (v->parse != NULL && !v->parse_failed) {
			v->now = v->out.last_byte;
			if (e->opts->ops->parse_end(v->parse, &sink) < 0)
				sink_fail(v, PG_FAIL_PROTOCOL, pg_error_last());
		}
		if (v->out.fail == PG_FAIL_NONE && v->out.content_chunks == 0 &&
		    v->out.output_tokens <= 0)
			v->out.fail = PG_FAIL_PROTOCOL; /* 2xx with no generated content */
	}
	if (v->measured)
		pg_recorder_add(e->rec, &v->out);
	release_request(e, v);
	v->busy = 0;
	e->busy--;
}

/* Whether another request may start now, and whether it is measured. */
static int may_start(engine *e, pg_ns now, int *measured)
{
	const pg_load *l = e->load;

	if (e->stopping || e->fatal)
		return 0;
	*measured = now >= e->measure_start;
	if (l->duration > 0) {
		if (now >= e->stop_at) {
			e->stopping = 1;
			return 0;
		}
		return 1;
	}
	if (*measured && e->measured_started >= l->requests) {
		e->stopping = 1;
		return 0;
	}
	return 1;
}

static void start_request(engine *e, vu *v)
{
	pg_ns now = pg_now_ns();
	int measured = 0;
	CURLMcode mc;

	if (!may_start(e, now, &measured))
		return;
	memset(&v->out, 0, sizeof(v->out));
	v->out.input_tokens = -1;
	v->out.output_tokens = -1;
	v->status = 0;
	v->parse = NULL;
	v->parse_failed = 0;
	v->last_content = 0;
	v->errbuf[0] = '\0';
	v->measured = measured;
	v->item = e->next_item;
	e->next_item = (e->next_item + 1) % e->opts->suite->workload.n_items;
	if (e->opts->ops->build(e->opts->adapter, &e->items[v->item], &v->req) < 0) {
		pg_error_prefix("adapter could not build a request");
		e->fatal = 1;
		return;
	}
	curl_easy_setopt(v->easy, CURLOPT_URL, v->req.url);
	if (v->req.body != NULL) {
		curl_easy_setopt(v->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)v->req.body_len);
		curl_easy_setopt(v->easy, CURLOPT_POSTFIELDS, v->req.body);
	} else {
		curl_easy_setopt(v->easy, CURLOPT_HTTPGET, 1L);
	}
	if (v->req.method != NULL && strcmp(v->req.method, "POST") != 0 &&
	    strcmp(v->req.method, "GET") != 0)
		curl_easy_setopt(v->easy, CURLOPT_CUSTOMREQUEST, v->req.method);
	v->out.scheduled = now;
	v->out.sent = pg_now_ns();
	if (measured) {
		e->measured_started++;
		e->rec->started++;
	} else {
		e->report->warmup_requests++;
	}
	mc = curl_multi_add_handle(e->multi, v->easy);
	if (mc != CURLM_OK) {
		pg_error_set("libcurl: %s", curl_multi_strerror(mc));
		e->fatal = 1;
		release_request(e, v);
		return;
	}
	v->busy = 1;
	e->busy++;
}

static void check_done(engine *e)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(e->multi, &left)) != NULL) {
		vu *v = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&v);
		curl_multi_remove_handle(e->multi, msg->easy_handle);
		finish_request(e, v, msg->data.result);
		start_request(e, v);
	}
	if (e->busy == 0)
		event_base_loopbreak(e->base);
}

static void on_socket_event(evutil_socket_t fd, short what, void *arg)
{
	engine *e = arg;
	int flags = 0, running = 0;

	if (what & EV_READ)
		flags |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		flags |= CURL_CSELECT_OUT;
	curl_multi_socket_action(e->multi, fd, flags, &running);
	check_done(e);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	engine *e = arg;
	int running = 0;

	(void)fd;
	(void)what;
	curl_multi_socket_action(e->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(e);
}

/* CURLMOPT_SOCKETFUNCTION: keep one persistent event per socket. */
static int on_curl_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	engine *e = userp;
	struct event *ev = socketp;
	short kind;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (ev != NULL) {
			event_free(ev);
			curl_multi_assign(e->multi, s, NULL);
		}
		return 0;
	}
	kind = EV_PERSIST | ((what & CURL_POLL_IN) ? EV_READ : 0) |
	       ((what & CURL_POLL_OUT) ? EV_WRITE : 0);
	if (ev != NULL) {
		if (event_get_events(ev) == kind)
			return 0;
		event_del(ev);
		event_assign(ev, e->base, s, kind, on_socket_event, e);
	} else {
		ev = event_new(e->base, s, kind, on_socket_event, e);
		if (ev == NULL)
			return -1;
		curl_multi_assign(e->multi, s, ev);
	}
	event_add(ev, NULL);
	return 0;
}

/* CURLMOPT_TIMERFUNCTION */
static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
	engine *e = userp;
	struct timeval tv;

	(void)multi;
	if (timeout_ms < 0) {
		evtimer_del(e->timer);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(e->timer, &tv);
	return 0;
}

/* ---- setup and teardown ------------------------------------------------ */

static int build_headers(engine *e)
{
	const pg_target *t = &e->opts->suite->target;
	char line[8192];
	size_t i;

	/* no "Expect: 100-continue" round trip on POST bodies */
	e->headers = curl_slist_append(NULL, "Expect:");
	if (e->headers == NULL)
		return PG_ENOMEM;
	for (i = 0; i < t->n_headers; i++) {
		struct curl_slist *n;
		int len = snprintf(line, sizeof(line), "%s: %s", t->headers[i].name,
				   t->headers[i].value);

		if (len < 0 || (size_t)len >= sizeof(line)) {
			pg_error_set("header '%s' is longer than %zu bytes", t->headers[i].name,
				     sizeof(line) - 1);
			return PG_ELIMIT;
		}
		n = curl_slist_append(e->headers, line);
		if (n == NULL)
			return PG_ENOMEM;
		e->headers = n;
	}
	return 0;
}

static int setup_vu(engine *e, vu *v)
{
	const pg_load *l = e->load;
	long timeout_ms = (long)(l->timeout / PG_NS_PER_MS);
	struct curl_slist *h = e->headers;

	v->eng = e;
	v->easy = curl_easy_init();
	if (v->easy == NULL) {
		pg_error_set("libcurl: cannot create a transfer handle");
		return PG_ENOMEM;
	}
	if (timeout_ms < 1)
		timeout_ms = 1;
	curl_easy_setopt(v->easy, CURLOPT_PRIVATE, v);
	curl_easy_setopt(v->easy, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(v->easy, CURLOPT_WRITEDATA, v);
	curl_easy_setopt(v->easy, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(v->easy, CURLOPT_ERRORBUFFER, v->errbuf);
	curl_easy_setopt(v->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(v->easy, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(v->easy, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(v->easy, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(v->easy, CURLOPT_USERAGENT, "perfgate/" PG_VERSION);
	if (getenv("NO_PROXY") == NULL && getenv("no_proxy") == NULL)
		curl_easy_setopt(v->easy, CURLOPT_NOPROXY, "localhost,127.0.0.1,::1");
	if (strncmp(e->opts->base_url, "http://", 7) == 0)
		curl_easy_setopt(v->easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	return 0;
}

static int build_items(engine *e)
{
	const pg_workload *w = &e->opts->suite->workload;
	size_t i;

	if (w->n_items == 0) {
		pg_error_set("the workload has no prompts");
		return PG_EINVAL;
	}
	e->items = calloc(w->n_items, sizeof(*e->items));
	if (e->items == NULL)
		return PG_ENOMEM;
	for (i = 0; i < w->n_items; i++) {
		e->items[i].prompt = w->items[i].prompt;
		e->items[i].messages_json = w->items[i].messages_json;
		e->items[i].max_tokens =
		    w->items[i].max_tokens > 0 ? w->items[i].max_tokens : w->max_tokens;
		e->items[i].stream = w->stream;
	}
	return 0;
}

int pg_engine_run(pg_recorder **out_rec, pg_engine_report *report, const pg_engine_opts *opts)
{
	engine e;
	size_t i;
	int rc = PG_EIO;

	*out_rec = NULL;
	memset(report, 0, sizeof(*report));
	memset(&e, 0, sizeof(e));
	e.opts = opts;
	e.load = &opts->scenario->load;
	e.report = report;
	if ((rc = pg_recorder_new(&e.rec)) < 0 || (rc = build_items(&e)) < 0)
		goto done;
	rc = PG_EIO;
	e.base = event_base_new();
	e.multi = curl_multi_init();
	if (e.base == NULL || e.multi == NULL) {
		pg_error_set("cannot create the event loop or the libcurl multi handle");
		goto done;
	}
	e.timer = evtimer_new(e.base, on_timer, &e);
	if (e.timer == NULL)
		goto done;
	curl_multi_setopt(e.multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
	curl_multi_setopt(e.multi, CURLMOPT_SOCKETDATA, &e);
	curl_multi_setopt(e.multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
	curl_multi_setopt(e.multi, CURLMOPT_TIMERDATA, &e);
	curl_multi_setopt(e.multi, CURLMOPT_MAXCONNECTS, (long)e.load->concurrency);
	if ((rc = build_headers(&e)) < 0)
		goto done;
	e.n_vus = (size_t)e.load->concurrency;
	e.vus = calloc(e.n_vus, sizeof(*e.vus));
	if (e.vus == NULL) {
		rc = PG_ENOMEM;
		goto done;
	}
	for (i = 0; i < e.n_vus; i++)
		if ((rc = setup_vu(&e, &e.vus[i])) < 0)
			goto done;

	e.t0 = pg_now_ns();
	e.measure_start = e.t0 + e.load->warmup;
	e.stop_at = e.load->duration > 0 ? e.measure_start + e.load->duration : 0;
	e.rec->window_start = e.measure_start;
	e.rec->window_end = e.stop_at; /* 0 (open) in request-count mode */
	for (i = 0; i < e.n_vus; i++)
		start_request(&e, &e.vus[i]);
	if (e.busy > 0)
		event_base_dispatch(e.base);
	if (e.fatal) {
		rc = PG_ERROR;
		goto done;
	}
	if (e.load->duration == 0)
		e.rec->window_end = pg_now_ns();
	*out_rec = e.rec;
	e.rec = NULL;
	rc = 0;
done:
	for (i = 0; e.vus != NULL && i < e.n_vus; i++) {
		if (e.vus[i].easy != NULL) {
			if (e.vus[i].busy)
				curl_multi_remove_handle(e.multi, e.vus[i].easy);
			release_request(&e, &e.vus[i]);
			curl_easy_cleanup(e.vus[i].easy);
		}
	}
	free(e.vus);
	if (e.multi != NULL)
		curl_multi_cleanup(e.multi);
	if (e.timer != NULL)
		event_free(e.timer);
	if (e.base != NULL)
		event_base_free(e.base);
	curl_slist_free_all(e.headers);
	free(e.items);
	pg_recorder_free(e.rec);
	return rc;
}
