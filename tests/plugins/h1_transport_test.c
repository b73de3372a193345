/*
 * Tests for the h1 transport through its plugin descriptor, with a fake
 * host API, its own event loop, and a small threaded HTTP server on
 * 127.0.0.1:0 that answers each request path with a scripted byte sequence:
 * Content-Length and chunked bodies, a chunked stream gated on the client
 * having seen its first piece, closes and resets before and mid-response,
 * no answer at all, and idle keep-alive connections it closes.
 *
 * The loop runs until the expected done callbacks arrived, under a
 * generous deadline timer; nothing sleeps to wait.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "perfgate/plugin.h"
#include "support/fake_host.h"
#include "support/test_server.h"

const pg_plugin_desc *pg_builtin_h1(void);

#define DEADLINE_S 20

/* ---- scripted server ---------------------------------------------------- */

/* Answers with a Content-Length body (headers only for HEAD). */
static void respond(int fd, const char *status, const char *extra, const char *body, int head)
{
	char hdr[512];

	snprintf(hdr, sizeof(hdr),
		 "HTTP/1.1 %s\r\nContent-Type: application/json\r\n%sContent-Length: %zu\r\n\r\n",
		 status, extra, strlen(body));
	test_send_str(fd, hdr);
	if (!head)
		test_send_str(fd, body);
}

static void short_pause(void)
{
	struct timespec ts = {0, 2 * 1000 * 1000}; /* lets chunks leave as separate segments */

	nanosleep(&ts, NULL);
}

/* Acts on one request by path; returns non-zero when the connection was
 * closed. c->mark set: close instead of answering. A body too large to
 * keep is answered "length:sum". */
static int handle(test_server *s, test_conn *c, const test_request *req)
{
	const char *path = req->path;
	int head = strcmp(req->method, "HEAD") == 0;
	char big[1001];

	if (!req->whole) {
		snprintf(big, sizeof(big), "%zu:%u", req->body_len, (unsigned)req->body_sum);
		respond(c->fd, "200 OK", "", big, 0);
		return 0;
	}
	if (c->mark) {
		test_server_close(c, 0);
		return 1;
	}
	if (strcmp(path, "/cl") == 0 || strncmp(path, "/v1/", 4) == 0) {
		respond(c->fd, "200 OK", "", "{\"hello\":\"world\"}", head);
	} else if (strcmp(path, "/big") == 0) {
		memset(big, 'x', 1000);
		big[1000] = '\0';
		respond(c->fd, "200 OK", "", big, 0);
	} else if (strcmp(path, "/429") == 0) {
		respond(c->fd, "429 Too Many Requests", "Retry-After: 3\r\n", "{}", 0);
	} else if (strcmp(path, "/404") == 0) {
		respond(c->fd, "404 Not Found", "", "{\"error\":\"nope\"}", 0);
	} else if (strcmp(path, "/sse-gated") == 0) {
		test_send_str(c->fd, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
				     "Transfer-Encoding: chunked\r\n\r\n"
				     "d\r\ndata: first\n\n\r\n");
		test_server_wait_gate(s);
		test_send_str(c->fd, "e\r\ndata: second\n\n\r\n");
		short_pause();
		test_send_str(c->fd, "D;ext=1\r\ndata: third\n\n\r\n");
		short_pause();
		test_send_str(c->fd, "e\r\ndata: [DONE]\n\n\r\n");
		short_pause();
		test_send_str(c->fd, "0\r\n\r\n");
	} else if (strcmp(path, "/drop-next") == 0) {
		respond(c->fd, "200 OK", "", "{}", 0);
		c->mark = 1;
	} else if (strcmp(path, "/drop-always") == 0) {
		test_server_close(c, 0);
		return 1;
	} else if (strcmp(path, "/close-after") == 0) {
		respond(c->fd, "200 OK", "", "{}", 0);
		test_server_close(c, 0);
		return 1;
	} else if (strcmp(path, "/conn-close") == 0) {
		respond(c->fd, "200 OK", "Connection: close\r\n", "{}", 0);
		test_server_close(c, 0);
		return 1;
	} else if (strcmp(path, "/http10") == 0) {
		test_send_str(c->fd,
			      "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close");
		test_server_close(c, 0);
		return 1;
	} else if (strcmp(path, "/close-mid") == 0) {
		test_send_str(c->fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
		test_server_close(c, 0);
		return 1;
	} else if (strcmp(path, "/reset") == 0) {
		test_server_close(c, 1);
		return 1;
	} else if (strcmp(path, "/reset-mid") == 0) {
		test_send_str(c->fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
		test_server_close(c, 1);
		return 1;
	} else if (strcmp(path, "/garbage") == 0) {
		test_send_str(c->fd, "HTPP/1.1 200 OK\r\n\r\n");
	} else if (strcmp(path, "/never") == 0) {
		/* keep the connection, never answer */
	} else {
		respond(c->fd, "404 Not Found", "", "{}", head);
	}
	return 0;
}

/* The last request s read, as a string (valid until the next call). */
static const char *last_request(test_server *s)
{
	static char seen[8192];

	test_server_last_request(s, seen, sizeof(seen));
	return seen;
}

/* ---- client harness ----------------------------------------------------- */

#define MAX_XFERS 64

struct harness;

/* One request and everything its callbacks reported. */
typedef struct xfer {
	struct harness *h;
	pg_request req;
	char url[256];
	char body_out[256];
	int headers_calls;
	int body_calls;
	int done_calls;
	int status;
	int has_ct;
	char ct[128];
	char body[8192];
	size_t body_len;
	pg_error_class fail;
	char msg[256];
	int new_connection;
	int retry_after_calls;
	char retry_after[80];
	pg_ns t_start, t_headers, t_first_body, t_done;
} xfer;

typedef struct harness {
	struct event_base *base;
	const pg_transport_ops *ops;
	pg_transport_env env;
	char base_url[128];
	test_server *srv;
	void *tr;
	int in_start;
	int destroyed;
	int destroy_on_done; /* destroy the transport inside the first done */
	int gate_on_body;    /* open the server's gate on the first body piece */
	int chain_left;	     /* start this many more requests, one per done */
	const char *chain_path;
	int done_count;
	int nx;
	xfer x[MAX_XFERS];
	struct event *deadline;
	int expired;
	fake_options opts; /* what create gets */
} harness;

static void on_headers(void *ctx, int status, const char *ct, pg_ns at)
{
	xfer *x = ctx;

	assert_false(x->h->in_start);
	assert_false(x->h->destroyed);
	assert_int_equal(x->done_calls, 0);
	x->headers_calls++;
	x->status = status;
	x->has_ct = ct != NULL;
	snprintf(x->ct, sizeof(x->ct), "%s", ct ? ct : "");
	x->t_headers = at;
}

static void on_body(void *ctx, const char *data, size_t len, pg_ns at)
{
	xfer *x = ctx;

	assert_false(x->h->in_start);
	assert_false(x->h->destroyed);
	assert_int_equal(x->headers_calls, 1);
	assert_int_equal(x->done_calls, 0);
	assert_true(len > 0);
	if (x->body_calls++ == 0)
		x->t_first_body = at;
	if (x->body_len + len < sizeof(x->body)) {
		memcpy(x->body + x->body_len, data, len);
		x->body[x->body_len + len] = '\0';
	}
	x->body_len += len;
	if (x->h->gate_on_body)
		test_server_open_gate(x->h->srv);
}

static xfer *start_req(harness *h, const char *method, const char *path, const char *body);

static void on_done(void *ctx, pg_error_class fail, const char *message, pg_ns at,
		    int new_connection)
{
	xfer *x = ctx;
	harness *h = x->h;

	assert_false(h->in_start);
	assert_false(h->destroyed);
	x->done_calls++;
	assert_int_equal(x->done_calls, 1);
	x->fail = fail;
	snprintf(x->msg, sizeof(x->msg), "%s", message ? message : "");
	x->t_done = at;
	x->new_connection = new_connection;
	h->done_count++;
	if (h->destroy_on_done) {
		h->ops->destroy(h->tr);
		h->tr = NULL;
		h->destroyed = 1;
		return;
	}
	if (h->chain_left > 0) {
		h->chain_left--;
		start_req(h, "GET", h->chain_path, NULL);
	}
}

static void on_retry_after(void *ctx, const char *value)
{
	xfer *x = ctx;

	assert_int_equal(x->headers_calls, 0); /* before headers */
	x->retry_after_calls++;
	snprintf(x->retry_after, sizeof(x->retry_after), "%s", value);
}

static const pg_transfer_events events = {on_headers, on_body, on_done, on_retry_after};

static xfer *start_req(harness *h, const char *method, const char *path, const char *body)
{
	xfer *x;
	int rc;

	assert_true(h->nx < MAX_XFERS);
	x = &h->x[h->nx++];
	memset(x, 0, sizeof(*x));
	x->h = h;
	snprintf(x->url, sizeof(x->url), "%s%s", h->base_url, path);
	x->req.url = x->url;
	x->req.method = method;
	if (body) {
		snprintf(x->body_out, sizeof(x->body_out), "%s", body);
		x->req.body = x->body_out;
		x->req.body_len = strlen(body);
		x->req.content_type = "application/json";
	}
	x->t_start = fake_host.now_ns();
	h->in_start = 1;
	rc = h->ops->start(h->tr, &x->req, x, &events);
	h->in_start = 0;
	assert_int_equal(rc, 0);
	return x;
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	harness *h = arg;

	(void)fd;
	(void)what;
	h->expired = 1;
	event_base_loopbreak(h->base);
}

/* Runs the loop until n done callbacks arrived in total. */
static void run_until(harness *h, int n)
{
	struct timeval tv = {DEADLINE_S, 0};

	evtimer_add(h->deadline, &tv);
	while (h->done_count < n && !h->expired)
		event_base_loop(h->base, EVLOOP_ONCE);
	evtimer_del(h->deadline);
	assert_false(h->expired);
	assert_int_equal(h->done_count, n);
}

/* Runs the loop until the server read n requests in total. */
static void run_until_server_requests(harness *h, int n)
{
	pg_ns until = fake_host.now_ns() + (pg_ns)DEADLINE_S * PG_NS_PER_S;

	for (;;) {
		event_base_loop(h->base, EVLOOP_NONBLOCK);
		/* wake up now and then to run the loop again */
		if (test_server_wait_requests(h->srv, n, 10))
			return;
		assert_true(fake_host.now_ns() < until);
	}
}

static void h_create(harness *h)
{
	int rc;

	rc = h->ops->create(&h->tr, &fake_host, fake_options_get(&h->opts), &h->env);
	if (rc != 0)
		fail_msg("create failed: %d %s", rc, fake_host_last_error());
	assert_non_null(h->tr);
}

/* Destroys the transport and checks it freed everything. */
static void h_destroy(harness *h)
{
	if (!h->destroyed && h->tr)
		h->ops->destroy(h->tr);
	h->tr = NULL;
	h->destroyed = 1;
	assert_int_equal(fake_host_live_allocs(), 0);
}

static int setup(void **state)
{
	harness *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return -1;
	fake_host_reset();
	h->ops = pg_builtin_h1()->ops;
	fake_options_init(&h->opts, pg_builtin_h1()->options);
	h->srv = test_server_start(AF_INET, handle, NULL);
	h->base = event_base_new();
	if (!h->srv || !h->base)
		return -1;
	h->deadline = evtimer_new(h->base, on_deadline, h);
	snprintf(h->base_url, sizeof(h->base_url), "http://127.0.0.1:%d", h->srv->port);
	h->env.version = PG_TRANSPORT_ENV_VERSION;
	h->env.base_url = h->base_url;
	h->env.event_base = h->base;
	h->env.timeout = (pg_ns)DEADLINE_S * PG_NS_PER_S;
	h->env.connect_timeout = (pg_ns)DEADLINE_S * PG_NS_PER_S;
	h->env.max_connections = 4;
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	harness *h = *state;

	if (!h->destroyed && h->tr)
		h->ops->destroy(h->tr);
	event_free(h->deadline);
	event_base_free(h->base);
	test_server_stop(h->srv);
	free(h);
	return 0;
}

/* ---- tests -------------------------------------------------------------- */

static void test_descriptor(void **state)
{
	const pg_plugin_desc *d = pg_builtin_h1();
	const pg_option_spec *o;
	fake_options fo;
	int n = 0;

	(void)state;
	assert_int_equal(d->abi_major, PG_PLUGIN_ABI_MAJOR);
	assert_int_equal(d->kind, PG_PLUGIN_TRANSPORT);
	assert_string_equal(d->name, "h1");
	assert_string_equal(d->version, "1.0.0");
	for (o = d->options; o->name; o++)
		n++;
	assert_int_equal(n, 2);
	fake_options_init(&fo, d->options);
	assert_int_equal(fake_host.opt_int(fake_options_get(&fo), "max_header_bytes"), 65536);
	assert_int_equal(fake_host.opt_int(fake_options_get(&fo), "max_body_bytes"), 67108864);
}

static void test_supports_only_http_urls(void **state)
{
	const pg_transport_ops *ops = pg_builtin_h1()->ops;

	(void)state;
	assert_int_equal(ops->supports("http://127.0.0.1:8000/v1"), 1);
	assert_int_equal(ops->supports("HTTP://Example.com"), 1);
	assert_int_equal(ops->supports("http://[::1]:8080/x?y"), 1);
	assert_int_equal(ops->supports("http://host:/"), 1);
	assert_int_equal(ops->supports("https://example.com/"), 0);
	assert_int_equal(ops->supports("mock://x"), 0);
	assert_int_equal(ops->supports("http://"), 0);
	assert_int_equal(ops->supports("http://:80/"), 0);
	assert_int_equal(ops->supports("http://host:99999/"), 0);
	assert_int_equal(ops->supports("http://host:8a/"), 0);
	assert_int_equal(ops->supports("http://user@host/"), 0);
	assert_int_equal(ops->supports("http://[::1/"), 0);
	assert_int_equal(ops->supports(NULL), 0);
}

static void test_content_length_response_and_exact_request_bytes(void **state)
{
	harness *h = *state;
	static const char *hdrs[] = {"Authorization: Bearer t0k", "X-Run: 7", NULL};
	char want[1024];
	xfer *x;

	h->env.headers = hdrs;
	h_create(h);
	x = start_req(h, "POST", "/v1/chat?x=1#frag", "{\"a\":1}");
	run_until(h, 1);
	assert_int_equal(x->fail, PG_FAIL_NONE);
	assert_string_equal(x->msg, "");
	assert_int_equal(x->status, 200);
	assert_int_equal(x->headers_calls, 1);
	assert_string_equal(x->ct, "application/json");
	assert_string_equal(x->body, "{\"hello\":\"world\"}");
	assert_int_equal(x->new_connection, 1);
	/* arrival times: monotonic, after the start */
	assert_true(x->t_headers >= x->t_start);
	assert_true(x->t_first_body >= x->t_headers);
	assert_true(x->t_done >= x->t_first_body);
	snprintf(want, sizeof(want),
		 "POST /v1/chat?x=1 HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUser-Agent: perfgate\r\n"
		 "Authorization: Bearer t0k\r\nX-Run: 7\r\nContent-Type: application/json\r\n"
		 "Content-Length: 7\r\n\r\n{\"a\":1}",
		 h->srv->port);
	assert_string_equal(last_request(h->srv), want);
	h_destroy(h);
}

static void test_accept_header_and_get_without_body(void **state)
{
	harness *h = *state;
	char want[512];
	xfer *x;

	h_create(h);
	h->nx = 0;
	x = &h->x[0];
	/* start by hand to set Accept before start() copies the head */
	memset(x, 0, sizeof(*x));
	x->h = h;
	snprintf(x->url, sizeof(x->url), "%s", h->base_url); /* no path: "/" */
	x->req.url = x->url;
	x->req.method = "GET";
	x->req.accept = "text/event-stream";
	h->nx = 1;
	assert_int_equal(h->ops->start(h->tr, &x->req, x, &events), 0);
	run_until(h, 1);
	assert_int_equal(x->fail, PG_FAIL_NONE);
	assert_int_equal(x->status, 404);
	snprintf(want, sizeof(want),
		 "GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUser-Agent: perfgate\r\n"
		 "Accept: text/event-stream\r\n\r\n",
		 h->srv->port);
	assert_string_equal(last_request(h->srv), want);
	h_destroy(h);
}

static void test_env_headers_override_host_and_user_agent(void **state)
{
	harness *h = *state;
	static const char *hdrs[] = {"host: example.test", "User-Agent: custom/1", NULL};
	xfer *x;

	h->env.headers = hdrs;
	h_create(h);
	x = start_req(h, "GET", "/cl", NULL);
	run_until(h, 1);
	assert_int_equal(x->fail, PG_FAIL_NONE);
	assert_string_equal(last_request(h->srv), "GET /cl HTTP/1.1\r\nhost: example.test\r\n"
						  "User-Agent: custom/1\r\n\r\n");
	h_destroy(h);
}

static void test_bad_env_header_fails_create(void **state)
{
	harness *h = *state;
	static const char *hdrs[] = {"NoColonHere", NULL};
	static const char *hdrs2[] = {"X-A: b\r\nX-Evil: 1", NULL};

	h->env.headers = hdrs;
	assert_int_equal(h->ops->create(&h->tr, &fake_host, fake_options_get(&h->opts), &h->env),
			 PG_EINVAL);
	assert_null(h->tr);
	assert_non_null(strstr(fake_host_last_error(), "bad header line"));
	h->env.headers = hdrs2;
	assert_int_equal(h->ops->create(&h->tr, &fake_host, fake_options_get(&h->opts), &h->env),
			 PG_EINVAL);
	h->env.base_url = "https://127.0.0.1/";
	h->env.headers = NULL;
	assert_int_equal(h->ops->create(&h->tr, &fake_host, fake_options_get(&h->opts), &h->env),
			 PG_EINVAL);
	assert_int_equal(fake_host_live_allocs(), 0);
	h->destroyed = 1;
}

static void test_sequential_requests_reuse_one_connection(void **state)
{
	harness *h = *state;
	int i;

	h_create(h);
	h->chain_left = 19;
	h->chain_path = "/cl";
	start_req(h, "GET", "/cl", NULL);
	run_until(h, 20);
	for (i = 0; i < 20; i++) {
		assert_int_equal(h->x[i].fail, PG_FAIL_NONE);
		assert_string_equal(h->x[i].body, "{\"hello\":\"world\"}");
		assert_int_equal(h->x[i].new_connection, i == 0);
	}
	assert_int_equal(test_server_accepts(h->srv), 1);
	assert_int_equal(test_server_requests(h->srv), 20);
	h_destroy(h);
}

static void test_head_response_has_no_body_and_keeps_the_connection(void **state)
{
	harness *h = *state;
	xfer *a, *b;

	h_create(h);
	a = start_req(h, "HEAD", "/cl", NULL);
	run_until(h, 1);
	assert_int_equal(a->fail, PG_FAIL_NONE);
	assert_int_equal(a->status, 200);
	assert_int_equal(a->body_calls, 0);
	b = start_req(h, "GET", "/cl", NULL);
	run_until(h, 2);
	assert_int_equal(b->fail, PG_FAIL_NONE);
	assert_string_equal(b->body, "{\"hello\":\"world\"}");
	assert_int_equal(b->new_connection, 0);
	assert_int_equal(test_server_accepts(h->srv), 1);
	h_destroy(h);
}

static void test_chunked_stream_is_delivered_as_it_arrives(void **state)
{
	harness *h = *state;
	xfer *x;

	h_create(h);
	/* the server holds the rest of the stream until the client has seen
	 * the first piece: a transport that waited for the end would hang */
	h->gate_on_body = 1;
	x = start_req(h, "POST", "/sse-gated", "{\"stream\":true}");
	run_until(h, 1);
	assert_int_equal(x->fail, PG_FAIL_NONE);
	assert_string_equal(x->ct, "text/event-stream");
	assert_string_equal(x->body,
			    "data: first\n\ndata: second\n\ndata: third\n\ndata: [DONE]\n\n");
	assert_true(x->body_calls >= 2);
	h_destroy(h);
}

static void test_large_body_is_sent_whole_across_partial_writes(void **state)
{
	harness *h = *state;
	size_t len = (size_t)8 << 20, i;
	uint32_t sum = 0;
	char *big = malloc(len), want[64];
	xfer *x;
	int round;

	assert_non_null(big);
	for (i = 0; i < len; i++) {
		big[i] = (char)('a' + (i * 7) % 26);
		sum += (unsigned char)big[i];
	}
	snprintf(want, sizeof(want), "%zu:%u", len, (unsigned)sum);
	h_create(h);
	for (round = 0; round < 2; round++) {
		/* 8 MiB is more than a socket takes at once: sendmsg writes
		 * part of it and the rest goes out on EV_WRITE */
		x = &h->x[h->nx++];
		memset(x, 0, sizeof(*x));
		x->h = h;
		snprintf(x->url, sizeof(x->url), "%s/sink", h->base_url);
		x->req.url = x->url;
		x->req.method = "POST";
		x->req.body = big;
		x->req.body_len = len;
		x->req.content_type = "application/octet-stream";
		assert_int_equal(h->ops->start(h->tr, &x->req, x, &events), 0);
		run_until(h, round + 1);
		assert_int_equal(x->fail, PG_FAIL_NONE);
		assert_string_equal(x->body, want);
		assert_int_equal(x->new_connection, round == 0);
	}
	assert_int_equal(test_server_accepts(h->srv), 1);
	h_destroy(h);
	free(big);
}

static void test_non_2xx_status_is_passed_through(void **state)
{
	harness *h = *state;
	xfer *x;

	h_create(h);
	x = start_req(h, "GET", "/404", NULL);
	run_until(h, 1);
	assert_int_equal(x->fail, PG_FAIL_NONE);
	assert_int_equal(x->status, 404);
	assert_string_equal(x->body, "{\"error\":\"nope\"}");
	h_destroy(h);
}

static void test_retry_after_is_reported_to_a_version_2_host_only(void **state)
{
	harness *h = *state;
	xfer *x, *y;

	h_create(h);
	x = start_req(h, "GET", "/429", NULL);
	y = start_req(h, "GET", "/404", NULL);
	run_until(h, 2);
	assert_int_equal(x->status, 429);
	assert_int_equal(x->retry_after_calls, 1);
	assert_string_equal(x->retry_after, "3");
	assert_int_equal(y->retry_after_calls, 0);
	h_destroy(h);
	/* a host built for env version 1 passes a shorter events table */
	h->env.version = 1;
	h->destroyed = 0;
	h_create(h);
	x = start_req(h, "GET", "/429", NULL);
	run_until(h, 3);
	assert_int_equal(x->status, 429);
	assert_int_equal(x->retry_after_calls, 0);
	h_destroy(h);
}

static void test_request_is_retried_once_when_server_dropped_idle_connection(void **state)
{
	harness *h = *state;
	xfer *a, *b;

	h_create(h);
	a = start_req(h, "GET", "/drop-next", NULL);
	run_until(h, 1);
	assert_int_equal(a->fail, PG_FAIL_NONE);
	/* the server closes this pooled connection when the next request
	 * arrives, without answering: it must be sent again on a new one */
	b = start_req(h, "GET", "/cl", NULL);
	run_until(h, 2);
	assert_int_equal(b->fail, PG_FAIL_NONE);
	assert_string_equal(b->body, "{\"hello\":\"world\"}");
	assert_int_equal(b->new_connection, 1);
	assert_int_equal(test_server_accepts(h->srv), 2);
	assert_int_equal(test_server_requests(h->srv), 3);
	h_destroy(h);
}

static void test_retry_happens_only_once(void **state)
{
	harness *h = *state;
	xfer *a, *b;

	h_create(h);
	a = start_req(h, "GET", "/cl", NULL);
	run_until(h, 1);
	assert_int_equal(a->fail, PG_FAIL_NONE);
	b = start_req(h, "GET", "/drop-always", NULL);
	run_until(h, 2);
	assert_int_equal(b->fail, PG_FAIL_NETWORK);
	assert_string_equal(b->msg, "connection closed before the response started");
	assert_int_equal(b->headers_calls, 0);
	assert_int_equal(test_server_accepts(h->srv), 2);
	assert_int_equal(test_server_requests(h->srv), 3);
	h_destroy(h);
}

static void test_idle_connection_closed_by_server_is_replaced(void **state)
{
	harness *h = *state;
	xfer *a, *b;

	h_create(h);
	a = start_req(h, "GET", "/close-after", NULL);
	run_until(h, 1);
	assert_int_equal(a->fail, PG_FAIL_NONE);
	b = start_req(h, "GET", "/cl", NULL);
	run_until(h, 2);
	assert_int_equal(b->fail, PG_FAIL_NONE);
	assert_int_equal(b->new_connection, 1);
	assert_int_equal(test_server_accepts(h->srv), 2);
	h_destroy(h);
}

static void test_connection_close_and_http10_are_not_reused(void **state)
{
	harness *h = *state;
	xfer *a, *b, *c;

	h_create(h);
	a = start_req(h, "GET", "/conn-close", NULL);
	run_until(h, 1);
	b = start_req(h, "GET", "/http10", NULL);
	run_until(h, 2);
	c = start_req(h, "GET", "/cl", NULL);
	run_until(h, 3);
	assert_int_equal(a->fail, PG_FAIL_NONE);
	assert_int_equal(b->fail, PG_FAIL_NONE);
	assert_string_equal(b->ct, "text/plain");
	assert_string_equal(b->body, "until close");
	assert_int_equal(c->fail, PG_FAIL_NONE);
	assert_int_equal(a->new_connection, 1);
	assert_int_equal(b->new_connection, 1);
	assert_int_equal(c->new_connection, 1);
	assert_int_equal(test_server_accepts(h->srv), 3);
	h_destroy(h);
}

static void test_close_mid_body_is_a_network_failure(void **state)
{
	harness *h = *state;
	xfer *x;

	h_create(h);
	x = start_req(h, "GET", "/close-mid", NULL);
	run_until(h, 1);
	assert_int_equal(x->fail, PG_FAIL_NETWORK);
	assert_string_equal(x->msg, "connection closed before the response ended");
	assert_int_equal(x->status, 200);
	assert_string_equal(x->body, "0123456789");
	h_destroy(h);
}

static void test_reset_before_response_is_a_network_failure(void **state)
{
	harness *h = *state;
	xfer *x;

	h_create(h);
	x = start_req(h, "GET", "/reset", NULL);
	run_until(h, 1);
	assert_int_equal(x->fail, PG_FAIL_NETWORK);
	assert_string_equal(x->msg, "connection reset by peer");
	assert_int_equal(x->headers_calls, 0);
	h_destroy(h);
}

static void test_reset_mid_response_is_a_network_failure(void **state)
{
	harness *h = *state;
	xfer *x;

	h_create(h);
	x = start_req(h, "GET", "/reset-mid", NULL);
	run_until(h, 1);
	assert_int_equal(x->fail, PG_FAIL_NETWORK);
	/* the bytes before the reset may or may not survive it */
	if (strcmp(x->msg, "connection reset by peer") != 0)
		assert_string_equal(x->msg, "connection closed before the response ended");
	h_destroy(h);
}

static void test_timeout_closes_the_connection(void **state)
{
	harness *h = *state;
	xfer *a, *b;

	h->env.timeout = 100 * PG_NS_PER_MS;
	h_create(h);
	a = start_req(h, "GET", "/never", NULL);
	run_until(h, 1);
	assert_int_equal(a->fail, PG_FAIL_TIMEOUT);
	assert_string_equal(a->msg, "no complete response within 100 ms");
	assert_true(a->t_done - a->t_start >= 50 * PG_NS_PER_MS); /* slack: coarse loop clock */
	b = start_req(h, "GET", "/cl", NULL);
	run_until(h, 2);
	assert_int_equal(b->fail, PG_FAIL_NONE);
	assert_int_equal(b->new_connection, 1); /* the timed-out one was closed */
	assert_int_equal(test_server_accepts(h->srv), 2);
	h_destroy(h);
}

static void test_connection_refused_is_a_connect_failure(void **state)
{
	harness *h = *state;
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	xfer *x;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd); /* a port nobody listens on */
	snprintf(h->base_url, sizeof(h->base_url), "http://127.0.0.1:%d", ntohs(a.sin_port));
	h_create(h);
	x = start_req(h, "GET", "/cl", NULL);
	run_until(h, 1);
	assert_int_equal(x->fail, PG_FAIL_CONNECT);
	assert_non_null(strstr(x->msg, "refused"));
	assert_int_equal(x->headers_calls, 0);
	h_destroy(h);
}

static void test_connect_timeout_is_a_connect_failure(void **state)
{
	harness *h = *state;
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int lfd = socket(AF_INET, SOCK_STREAM, 0), fill[3], i;
	xfer *x;

	/* a listener that never accepts, its backlog filled: SYNs go unanswered */
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(lfd, 0), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &len), 0);
	for (i = 0; i < 3; i++) {
		fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		connect(fill[i], (struct sockaddr *)&a, sizeof(a));
	}
	snprintf(h->base_url, sizeof(h->base_url), "http://127.0.0.1:%d", ntohs(a.sin_port));
	h->env.connect_timeout = 100 * PG_NS_PER_MS;
	h_create(h);
	x = start_req(h, "GET", "/cl", NULL);
	run_until(h, 1);
	assert_int_equal(x->fail, PG_FAIL_CONNECT);
	assert_non_null(strstr(x->msg, "timed out after 100 ms"));
	h_destroy(h);
	for (i = 0; i < 3; i++)
		close(fill[i]);
	close(lfd);
}

static void test_unresolvable_host_is_a_connect_failure(void **state)
{
	harness *h = *state;
	xfer *x;

	snprintf(h->base_url, sizeof(h->base_url), "http://no-such-host.invalid:8000");
	h_create(h);
	x = start_req(h, "GET", "/v1/models", NULL);
	run_until(h, 1);
	assert_int_equal(x->fail, PG_FAIL_CONNECT);
	assert_non_null(strstr(x->msg, "cannot resolve no-such-host.invalid"));
	h_destroy(h);
}

static void test_hostname_and_ipv6_literal(void **state)
{
	harness *h = *state;
	test_server *v6;
	xfer *x;

	snprintf(h->base_url, sizeof(h->base_url), "http://localhost:%d", h->srv->port);
	h_create(h);
	x = start_req(h, "GET", "/cl", NULL);
	run_until(h, 1);
	assert_int_equal(x->fail, PG_FAIL_NONE);
	h_destroy(h);

	v6 = test_server_start(AF_INET6, handle, NULL);
	if (v6 == NULL)
		return; /* no IPv6 loopback here */
	h->destroyed = 0;
	snprintf(h->base_url, sizeof(h->base_url), "http://[::1]:%d", v6->port);
	h_create(h);
	x = start_req(h, "GET", "/cl", NULL);
	run_until(h, 2);
	assert_int_equal(x->fail, PG_FAIL_NONE);
	assert_string_equal(x->body, "{\"hello\":\"world\"}");
	assert_non_null(strstr(last_request(v6), "\r\nHost: [::1]:"));
	h_destroy(h);
	test_server_stop(v6);
}

static void test_body_cap_is_a_protocol_failure(void **state)
{
	harness *h = *state;
	xfer *x;

	fake_options_set(&h->opts, "max_body_bytes", "100");
	h_create(h);
	x = start_req(h, "GET", "/big", NULL);
	run_until(h, 1);
	assert_int_equal(x->fail, PG_FAIL_PROTOCOL);
	assert_string_equal(x->msg, "response body larger than 100 bytes");
	assert_true(x->body_len <= 100);
	h_destroy(h);
}

static void test_malformed_response_is_a_protocol_failure(void **state)
{
	harness *h = *state;
	xfer *x;

	h_create(h);
	x = start_req(h, "GET", "/garbage", NULL);
	run_until(h, 1);
	assert_int_equal(x->fail, PG_FAIL_PROTOCOL);
	assert_string_equal(x->msg, "bad status line");
	h_destroy(h);
}

static void test_requests_beyond_max_connections_wait_for_one(void **state)
{
	harness *h = *state;
	int i, fresh = 0;

	h->env.max_connections = 3;
	h_create(h);
	for (i = 0; i < 30; i++)
		start_req(h, "GET", "/cl", NULL);
	run_until(h, 30);
	for (i = 0; i < 30; i++) {
		assert_int_equal(h->x[i].fail, PG_FAIL_NONE);
		assert_string_equal(h->x[i].body, "{\"hello\":\"world\"}");
		fresh += h->x[i].new_connection;
	}
	assert_int_equal(fresh, 3);
	assert_int_equal(test_server_accepts(h->srv), 3);
	h_destroy(h);
}

static void test_url_off_target_is_refused_without_callback(void **state)
{
	harness *h = *state;
	pg_request req;
	xfer x;

	h_create(h);
	memset(&req, 0, sizeof(req));
	memset(&x, 0, sizeof(x));
	x.h = h;
	req.method = "GET";
	req.url = "http://10.0.0.1:1/v1";
	assert_int_equal(h->ops->start(h->tr, &req, &x, &events), PG_EINVAL);
	req.url = "https://127.0.0.1/";
	assert_int_equal(h->ops->start(h->tr, &req, &x, &events), PG_EINVAL);
	req.url = NULL;
	assert_int_equal(h->ops->start(h->tr, &req, &x, &events), PG_EINVAL);
	event_base_loop(h->base, EVLOOP_NONBLOCK);
	assert_int_equal(x.done_calls, 0);
	h_destroy(h);
}

static void test_destroy_with_requests_in_flight_is_silent(void **state)
{
	harness *h = *state;
	int i;

	h->env.max_connections = 2;
	h_create(h);
	for (i = 0; i < 2; i++)
		start_req(h, "GET", "/never", NULL);
	for (i = 0; i < 3; i++)
		start_req(h, "GET", "/cl", NULL); /* queued behind them */
	run_until_server_requests(h, 2);
	h_destroy(h); /* checks every allocation was returned */
	for (i = 0; i < 5; i++)
		event_base_loop(h->base, EVLOOP_NONBLOCK);
	assert_int_equal(h->done_count, 0);
}

static void test_destroy_from_inside_a_done_callback(void **state)
{
	harness *h = *state;
	int i;

	h->env.max_connections = 2;
	h_create(h);
	start_req(h, "GET", "/never", NULL);
	start_req(h, "GET", "/cl", NULL);
	start_req(h, "GET", "/never", NULL); /* queued */
	h->destroy_on_done = 1;
	run_until(h, 1);
	assert_int_equal(h->x[1].fail, PG_FAIL_NONE);
	assert_int_equal(fake_host_live_allocs(), 0);
	for (i = 0; i < 5; i++)
		event_base_loop(h->base, EVLOOP_NONBLOCK);
	assert_int_equal(h->done_count, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	    T(test_descriptor),
	    T(test_supports_only_http_urls),
	    T(test_content_length_response_and_exact_request_bytes),
	    T(test_accept_header_and_get_without_body),
	    T(test_env_headers_override_host_and_user_agent),
	    T(test_bad_env_header_fails_create),
	    T(test_sequential_requests_reuse_one_connection),
	    T(test_head_response_has_no_body_and_keeps_the_connection),
	    T(test_chunked_stream_is_delivered_as_it_arrives),
	    T(test_large_body_is_sent_whole_across_partial_writes),
	    T(test_non_2xx_status_is_passed_through),
	    T(test_retry_after_is_reported_to_a_version_2_host_only),
	    T(test_request_is_retried_once_when_server_dropped_idle_connection),
	    T(test_retry_happens_only_once),
	    T(test_idle_connection_closed_by_server_is_replaced),
	    T(test_connection_close_and_http10_are_not_reused),
	    T(test_close_mid_body_is_a_network_failure),
	    T(test_reset_before_response_is_a_network_failure),
	    T(test_reset_mid_response_is_a_network_failure),
	    T(test_timeout_closes_the_connection),
	    T(test_connection_refused_is_a_connect_failure),
	    T(test_connect_timeout_is_a_connect_failure),
	    T(test_unresolvable_host_is_a_connect_failure),
	    T(test_hostname_and_ipv6_literal),
	    T(test_body_cap_is_a_protocol_failure),
	    T(test_malformed_response_is_a_protocol_failure),
	    T(test_requests_beyond_max_connections_wait_for_one),
	    T(test_url_off_target_is_refused_without_callback),
	    T(test_destroy_with_requests_in_flight_is_silent),
	    T(test_destroy_from_inside_a_done_callback),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
