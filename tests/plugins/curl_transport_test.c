/*
 * Tests for the curl transport plugin against a scripted HTTP/1.1 server
 * thread on 127.0.0.1, driven on a test-owned libevent loop: bodies and
 * headers as delivered, keep-alive reuse, failure classes, and teardown
 * with transfers in flight. Waits are event-driven with a generous
 * deadline; nothing sleeps.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <event2/event.h>

#include "perfgate/plugin.h"
#include "support/fake_host.h"
#include "support/test_server.h"

const pg_plugin_desc *pg_builtin_curl(void);

#define DEADLINE_S 60

static const pg_transport_ops *ops(void)
{
	return pg_builtin_curl()->ops;
}

/* ---- scripted HTTP/1.1 server -------------------------------------------- */

/* Case-insensitive strstr (strcasestr is a GNU extension). */
static const char *find_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return hay;
	return NULL;
}

static const char ok_response[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

/* Answers one request by path; returns non-zero when the connection was
 * closed. A request too long to keep is answered ok. */
static int respond(test_server *s, test_conn *c, const test_request *req)
{
	const char *path = req->path;

	(void)s;
	if (!req->whole) {
		test_send_str(c->fd, ok_response);
	} else if (strcmp(path, "/cl") == 0) {
		test_send_str(c->fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
				     "Content-Length: 12\r\n\r\nhello, world");
	} else if (strcmp(path, "/chunked") == 0) {
		static const char *const parts[] = {
		    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
		    "Transfer-Encoding: chunked\r\n\r\n",
		    "5\r\nfirst\r\n", "6\r\nsecond\r\n", "5\r\nthird\r\n", "0\r\n\r\n"};

		for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
			test_send_str(c->fd, parts[i]); /* one send() per chunk */
	} else if (strcmp(path, "/hang") == 0) {
		/* never answers */
	} else if (strcmp(path, "/close") == 0) {
		test_send_str(c->fd, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
				     "Content-Length: 100\r\n\r\n0123456789");
		test_server_close(c, 0);
		return 1;
	} else if (strcmp(path, "/500") == 0) {
		test_send_str(c->fd,
			      "HTTP/1.1 500 Internal Server Error\r\nContent-Type: "
			      "application/json\r\nContent-Length: 16\r\n\r\n{\"error\":\"boom\"}");
	} else if (strcmp(path, "/empty") == 0) {
		test_send_str(c->fd, "HTTP/1.1 204 No Content\r\n\r\n");
	} else if (strcmp(path, "/early") == 0) {
		test_send_str(
		    c->fd, "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n");
		test_send_str(c->fd, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
				     "Content-Length: 2\r\n\r\nok");
	} else if (strcmp(path, "/429") == 0) {
		/* the interim response's Retry-After is not the final one's */
		test_send_str(c->fd, "HTTP/1.1 103 Early Hints\r\nRetry-After: 99\r\n\r\n");
		test_send_str(c->fd, "HTTP/1.1 429 Too Many Requests\r\nretry-after:  7 \r\n"
				     "Retry-After: 8\r\nContent-Length: 0\r\n\r\n");
	} else if (strcmp(path, "/echo") == 0) {
		test_send_str(c->fd, ok_response); /* the test reads the request back */
	} else {
		test_send_str(c->fd, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
	}
	return 0;
}

/* ---- driving the transport ----------------------------------------------- */

/* What one request saw, in order. */
typedef struct rec {
	char url[128];
	pg_request req;
	int headers;
	int status;
	char ctype[64];
	int body_calls;
	int body_before_headers;
	char body[4096];
	size_t body_len;
	int done;
	int after_done; /* callbacks after done: must stay 0 */
	pg_error_class fail;
	char msg[CURL_ERROR_SIZE];
	int new_conn;
	int retry_after_calls;
	int retry_after_after_headers; /* retry_after came after headers: must stay 0 */
	char retry_after[80];
	pg_ns t_headers, t_body, t_done;
	/* hooks for re-entrancy tests */
	void (*on_headers)(struct rec *r);
	void (*on_body)(struct rec *r);
	void (*on_done)(struct rec *r);
} rec;

typedef struct fixture {
	test_server *srv;
	struct event_base *base;
	void *tr;
	int dones, target, timed_out;
} fixture;

static fixture *fx; /* the running test's fixture, for callbacks */

static void cb_headers(void *ctx, int status, const char *content_type, pg_ns at)
{
	rec *r = ctx;

	if (r->done)
		r->after_done++;
	r->headers++;
	r->status = status;
	snprintf(r->ctype, sizeof(r->ctype), "%s", content_type ? content_type : "");
	r->t_headers = at;
	if (r->on_headers)
		r->on_headers(r);
}

static void cb_body(void *ctx, const char *data, size_t len, pg_ns at)
{
	rec *r = ctx;

	if (r->done)
		r->after_done++;
	if (r->headers == 0)
		r->body_before_headers++;
	if (r->body_calls++ == 0)
		r->t_body = at;
	assert_true(r->body_len + len <= sizeof(r->body));
	memcpy(r->body + r->body_len, data, len);
	r->body_len += len;
	if (r->on_body)
		r->on_body(r);
}

static void cb_done(void *ctx, pg_error_class fail, const char *message, pg_ns at,
		    int new_connection)
{
	rec *r = ctx;

	if (r->done)
		r->after_done++;
	r->done++;
	r->fail = fail;
	snprintf(r->msg, sizeof(r->msg), "%s", message ? message : "");
	r->t_done = at;
	r->new_conn = new_connection;
	fx->dones++;
	if (r->on_done)
		r->on_done(r);
	if (fx->dones >= fx->target)
		event_base_loopbreak(fx->base);
}

static void cb_retry_after(void *ctx, const char *value)
{
	rec *r = ctx;

	if (r->headers)
		r->retry_after_after_headers++;
	r->retry_after_calls++;
	snprintf(r->retry_after, sizeof(r->retry_after), "%s", value);
}

static const pg_transfer_events events = {cb_headers, cb_body, cb_done, cb_retry_after};

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	fixture *f = arg;

	(void)fd;
	(void)what;
	f->timed_out = 1;
	event_base_loopbreak(f->base);
}

/* Runs the loop until n done callbacks in all (or the deadline). */
static void run_until_done(fixture *f, int n)
{
	struct event *deadline = evtimer_new(f->base, on_deadline, f);
	struct timeval tv = {DEADLINE_S, 0};

	assert_non_null(deadline);
	f->target = n;
	evtimer_add(deadline, &tv);
	while (f->dones < n && !f->timed_out)
		event_base_loop(f->base, 0);
	event_free(deadline);
	assert_false(f->timed_out);
	assert_int_equal(f->dones, n);
}

typedef struct wait_req {
	fixture *f;
	int requests;
} wait_req;

static void on_poll_requests(evutil_socket_t fd, short what, void *arg)
{
	wait_req *w = arg;

	(void)fd;
	(void)what;
	if (test_server_requests(w->f->srv) >= w->requests)
		event_base_loopbreak(w->f->base);
}

/* Runs the loop until the server has received n requests in all. */
static void run_until_server_saw(fixture *f, int n)
{
	wait_req w = {f, n};
	struct event *poller = event_new(f->base, -1, EV_PERSIST, on_poll_requests, &w);
	struct event *deadline = evtimer_new(f->base, on_deadline, f);
	struct timeval step = {0, 1000}, tv = {DEADLINE_S, 0};

	assert_non_null(poller);
	assert_non_null(deadline);
	evtimer_add(poller, &step);
	evtimer_add(deadline, &tv);
	while (test_server_requests(f->srv) < n && !f->timed_out)
		event_base_loop(f->base, 0);
	event_free(poller);
	event_free(deadline);
	assert_false(f->timed_out);
}

static void env_init(pg_transport_env *env, fixture *f, char *base_url, size_t cap)
{
	snprintf(base_url, cap, "http://127.0.0.1:%d/v1", f->srv ? f->srv->port : 1);
	memset(env, 0, sizeof(*env));
	env->version = PG_TRANSPORT_ENV_VERSION;
	env->base_url = base_url;
	env->event_base = f->base;
	env->headers = NULL;
	env->timeout = 30 * PG_NS_PER_S;
	env->connect_timeout = 10 * PG_NS_PER_S;
	env->max_connections = 8;
}

/* Options of the curl transport with name set to value (NULL: defaults). */
static fake_options options(const char *name, const char *value)
{
	fake_options fo;

	fake_options_init(&fo, pg_builtin_curl()->options);
	if (name)
		fake_options_set(&fo, name, value);
	return fo;
}

/* Creates the fixture's transport with fo (NULL: the defaults). */
static void make_transport(fixture *f, const pg_transport_env *env, const fake_options *fo)
{
	fake_options defaults = options(NULL, NULL);

	assert_int_equal(
	    ops()->create(&f->tr, &fake_host, fake_options_get(fo ? fo : &defaults), env), 0);
	assert_non_null(f->tr);
}

static void make_default(fixture *f)
{
	pg_transport_env env;
	char base[64];

	env_init(&env, f, base, sizeof(base));
	make_transport(f, &env, NULL);
}

/* Prepares r as a request to path on the fixture's server. */
static rec *rec_init(rec *r, int port, const char *path, const char *body)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->url, sizeof(r->url), "http://127.0.0.1:%d%s", port, path);
	r->req.url = r->url;
	r->req.body = (char *)body;
	r->req.body_len = body ? strlen(body) : 0;
	r->req.method = body ? "POST" : "GET";
	r->req.content_type = body ? "application/json" : NULL;
	r->req.accept = NULL;
	return r;
}

static void start(fixture *f, rec *r)
{
	assert_int_equal(ops()->start(f->tr, &r->req, r, &events), 0);
}

static rec *get(fixture *f, rec *r, const char *path)
{
	rec_init(r, f->srv->port, path, NULL);
	start(f, r);
	return r;
}

static void copy_last_request(fixture *f, char *out, size_t cap)
{
	test_server_last_request(f->srv, out, cap);
}

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	fake_host_reset();
	f->srv = test_server_start(AF_INET, respond, NULL);
	assert_non_null(f->srv);
	f->base = event_base_new();
	assert_non_null(f->base);
	fx = f;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;

	unsetenv("http_proxy");
	ops()->destroy(f->tr);
	f->tr = NULL;
	assert_int_equal(fake_host_live_allocs(), 0);
	assert_int_equal(event_base_get_num_events(f->base, EVENT_BASE_COUNT_ADDED), 0);
	event_base_free(f->base);
	test_server_stop(f->srv);
	free(f);
	fx = NULL;
	return 0;
}

static void assert_clean_success(const rec *r)
{
	assert_int_equal(r->done, 1);
	assert_int_equal(r->after_done, 0);
	assert_int_equal(r->fail, PG_FAIL_NONE);
	assert_string_equal(r->msg, "");
	assert_int_equal(r->headers, 1);
	assert_int_equal(r->body_before_headers, 0);
}

/* ---- tests ---------------------------------------------------------------- */

static void descriptor_declares_a_curl_transport_with_its_options(void **state)
{
	const pg_plugin_desc *d = pg_builtin_curl();
	const char *want[] = {"http2", "ca_file", "client_cert", "client_key", "insecure", "proxy"};

	(void)state;
	assert_int_equal(d->abi_major, PG_PLUGIN_ABI_MAJOR);
	assert_int_equal(d->size, sizeof(pg_plugin_desc));
	assert_int_equal(d->kind, PG_PLUGIN_TRANSPORT);
	assert_string_equal(d->name, "curl");
	assert_string_equal(d->version, "1.0.0");
	assert_non_null(d->ops);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const pg_option_spec *s = d->options;

		while (s->name && strcmp(s->name, want[i]) != 0)
			s++;
		assert_non_null(s->name);
	}
}

static void supports_only_http_and_https(void **state)
{
	(void)state;
	assert_int_equal(ops()->supports("http://127.0.0.1:8000/v1"), 1);
	assert_int_equal(ops()->supports("https://api.example.com/v1"), 1);
	assert_int_equal(ops()->supports("HTTPS://api.example.com"), 1);
	assert_int_equal(ops()->supports("mock://"), 0);
	assert_int_equal(ops()->supports("ftp://example.com"), 0);
	assert_int_equal(ops()->supports("httpx://example.com"), 0);
	assert_int_equal(ops()->supports(""), 0);
}

static void create_rejects_bad_environment_without_leaks(void **state)
{
	fixture *f = *state;
	pg_transport_env env;
	char base[64];
	const char *bad_header[] = {"X-Evil: a\r\nInjected: b", NULL};
	fake_options fo = options(NULL, NULL);
	void *tr = (void *)&env;

	env_init(&env, f, base, sizeof(base));
	env.base_url = "ftp://127.0.0.1/";
	assert_int_equal(ops()->create(&tr, &fake_host, fake_options_get(&fo), &env), PG_EINVAL);
	assert_null(tr);
	assert_non_null(strstr(fake_host_last_error(), "ftp://"));

	env_init(&env, f, base, sizeof(base));
	env.headers = bad_header;
	assert_int_equal(ops()->create(&tr, &fake_host, fake_options_get(&fo), &env), PG_EINVAL);
	assert_null(tr);

	env_init(&env, f, base, sizeof(base));
	env.event_base = NULL;
	assert_int_equal(ops()->create(&tr, &fake_host, fake_options_get(&fo), &env), PG_EINVAL);

	env_init(&env, f, base, sizeof(base));
	env.version = 0;
	assert_int_equal(ops()->create(&tr, &fake_host, fake_options_get(&fo), &env), PG_EINVAL);
	assert_int_equal(fake_host_live_allocs(), 0);
}

static void content_length_body_arrives_exactly_after_headers(void **state)
{
	fixture *f = *state;
	rec r;

	make_default(f);
	get(f, &r, "/cl");
	assert_int_equal(r.headers + r.body_calls + r.done, 0); /* nothing from start() */
	run_until_done(f, 1);
	assert_clean_success(&r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.ctype, "application/json");
	assert_int_equal(r.body_len, 12);
	assert_memory_equal(r.body, "hello, world", 12);
	assert_int_equal(r.new_conn, 1);
	assert_true(r.t_headers > 0 && r.t_headers <= r.t_body && r.t_body <= r.t_done);
}

static void chunked_stream_is_dechunked_in_order(void **state)
{
	fixture *f = *state;
	rec r;

	make_default(f);
	get(f, &r, "/chunked");
	run_until_done(f, 1);
	assert_clean_success(&r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.ctype, "text/event-stream");
	assert_true(r.body_calls >= 1);
	assert_int_equal(r.body_len, strlen("firstsecondthird"));
	assert_memory_equal(r.body, "firstsecondthird", r.body_len);
	assert_true(r.t_headers <= r.t_body && r.t_body <= r.t_done);
}

static void sequential_requests_reuse_one_kept_alive_connection(void **state)
{
	fixture *f = *state;
	rec r[3];

	make_default(f);
	for (int i = 0; i < 3; i++) {
		get(f, &r[i], i == 1 ? "/chunked" : "/cl");
		run_until_done(f, i + 1);
		assert_clean_success(&r[i]);
		assert_int_equal(r[i].new_conn, i == 0);
	}
	assert_int_equal(test_server_accepts(f->srv), 1);
	assert_int_equal(test_server_requests(f->srv), 3);
}

static void concurrent_requests_stay_within_max_connections(void **state)
{
	fixture *f = *state;
	pg_transport_env env;
	char base[64];
	rec r[6];
	int opened = 0;

	env_init(&env, f, base, sizeof(base));
	env.max_connections = 2;
	make_transport(f, &env, NULL);
	for (int i = 0; i < 6; i++)
		get(f, &r[i], "/cl");
	run_until_done(f, 6);
	for (int i = 0; i < 6; i++) {
		assert_clean_success(&r[i]);
		assert_memory_equal(r[i].body, "hello, world", 12);
		opened += r[i].new_conn;
	}
	assert_true(test_server_accepts(f->srv) <= 2);
	assert_int_equal(opened, test_server_accepts(f->srv));
}

static void request_carries_method_body_and_headers(void **state)
{
	fixture *f = *state;
	pg_transport_env env;
	char base[64], seen[8192];
	const char *hdrs[] = {"X-Custom: yes", "Authorization: Bearer k", NULL};
	const char *body = "{\"model\":\"m\",\"stream\":true}";
	rec r;

	env_init(&env, f, base, sizeof(base));
	env.headers = hdrs;
	make_transport(f, &env, NULL);

	rec_init(&r, f->srv->port, "/echo", body);
	r.req.accept = "text/event-stream";
	start(f, &r);
	run_until_done(f, 1);
	assert_clean_success(&r);
	copy_last_request(f, seen, sizeof(seen));
	assert_true(strncmp(seen, "POST /echo HTTP/1.1\r\n", 21) == 0);
	assert_non_null(strstr(seen, "\r\nContent-Type: application/json\r\n"));
	assert_non_null(strstr(seen, "\r\nAccept: text/event-stream\r\n"));
	assert_non_null(strstr(seen, "\r\nX-Custom: yes\r\n"));
	assert_non_null(strstr(seen, "\r\nAuthorization: Bearer k\r\n"));
	assert_null(find_ci(seen, "Expect:"));
	assert_string_equal(strstr(seen, "\r\n\r\n") + 4, body);

	/* the same handle, now a GET with no body, content type or accept */
	rec_init(&r, f->srv->port, "/echo", NULL);
	start(f, &r);
	run_until_done(f, 2);
	assert_clean_success(&r);
	copy_last_request(f, seen, sizeof(seen));
	assert_true(strncmp(seen, "GET /echo HTTP/1.1\r\n", 20) == 0);
	assert_null(find_ci(seen, "Content-Type:"));
	assert_null(find_ci(seen, "\r\nAccept:"));
	assert_non_null(strstr(seen, "\r\nX-Custom: yes\r\n"));
	assert_string_equal(strstr(seen, "\r\n\r\n") + 4, "");

	/* a custom method, then a plain GET again on the same pooled handle */
	rec_init(&r, f->srv->port, "/echo", NULL);
	r.req.method = "DELETE";
	start(f, &r);
	run_until_done(f, 3);
	assert_clean_success(&r);
	copy_last_request(f, seen, sizeof(seen));
	assert_true(strncmp(seen, "DELETE /echo HTTP/1.1\r\n", 22) == 0);
	rec_init(&r, f->srv->port, "/echo", NULL);
	start(f, &r);
	run_until_done(f, 4);
	assert_clean_success(&r);
	copy_last_request(f, seen, sizeof(seen));
	assert_true(strncmp(seen, "GET /echo HTTP/1.1\r\n", 20) == 0);
	assert_int_equal(test_server_accepts(f->srv), 1);
}

static void large_post_is_sent_without_expect_100_continue(void **state)
{
	fixture *f = *state;
	size_t n = 3 * 1024 * 1024; /* libcurl asks for 100-continue above 1 MiB */
	char *body = malloc(n + 1), seen[8192];
	rec r;

	assert_non_null(body);
	memset(body, 'a', n);
	body[n] = '\0';
	make_default(f);
	rec_init(&r, f->srv->port, "/echo", body);
	start(f, &r);
	run_until_done(f, 1);
	assert_clean_success(&r);
	assert_memory_equal(r.body, "ok", 2);
	copy_last_request(f, seen, sizeof(seen));
	assert_true(strncmp(seen, "POST /echo HTTP/1.1\r\n", 21) == 0);
	assert_non_null(strstr(seen, "\r\nContent-Length: 3145728\r\n"));
	assert_null(find_ci(seen, "Expect:"));
	free(body);
}

static void hanging_server_times_out(void **state)
{
	fixture *f = *state;
	pg_transport_env env;
	char base[64];
	rec r;

	env_init(&env, f, base, sizeof(base));
	env.timeout = 200 * PG_NS_PER_MS;
	make_transport(f, &env, NULL);
	get(f, &r, "/hang");
	run_until_done(f, 1);
	assert_int_equal(r.done, 1);
	assert_int_equal(r.fail, PG_FAIL_TIMEOUT);
	assert_int_equal(r.headers, 0);
	assert_int_equal(r.body_calls, 0);
	assert_true(r.msg[0] != '\0');
}

static void close_mid_body_is_a_network_failure(void **state)
{
	fixture *f = *state;
	rec r;

	make_default(f);
	get(f, &r, "/close");
	run_until_done(f, 1);
	assert_int_equal(r.done, 1);
	assert_int_equal(r.fail, PG_FAIL_NETWORK);
	assert_int_equal(r.headers, 1);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, 10);
	assert_memory_equal(r.body, "0123456789", 10);
	assert_true(r.msg[0] != '\0');
}

static void refused_connection_is_a_connect_failure(void **state)
{
	fixture *f = *state;
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	rec r;

	/* a bound port nobody listens on refuses connections */
	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	make_default(f);
	rec_init(&r, ntohs(a.sin_port), "/cl", NULL);
	start(f, &r);
	run_until_done(f, 1);
	close(fd);
	assert_int_equal(r.done, 1);
	assert_int_equal(r.fail, PG_FAIL_CONNECT);
	assert_int_equal(r.headers, 0);
	assert_true(r.msg[0] != '\0');
}

static void malformed_url_is_a_connect_failure_from_the_loop(void **state)
{
	fixture *f = *state;
	rec r[3];

	make_default(f);
	/* valid, invalid, valid again: the pooled handle switches URL forms */
	for (int i = 0; i < 3; i++) {
		rec_init(&r[i], f->srv->port, "/cl", NULL);
		if (i == 1)
			snprintf(r[i].url, sizeof(r[i].url), "http://127.0.0.1:99999/cl");
		start(f, &r[i]);
		assert_int_equal(r[i].done, 0);
		run_until_done(f, i + 1);
		assert_int_equal(r[i].done, 1);
	}
	assert_int_equal(r[1].fail, PG_FAIL_CONNECT);
	assert_int_equal(r[1].headers, 0);
	assert_true(r[1].msg[0] != '\0');
	assert_clean_success(&r[0]);
	assert_clean_success(&r[2]);
	assert_memory_equal(r[2].body, "hello, world", 12);
}

static void status_500_is_not_a_transport_failure(void **state)
{
	fixture *f = *state;
	rec r;

	make_default(f);
	get(f, &r, "/500");
	run_until_done(f, 1);
	assert_clean_success(&r);
	assert_int_equal(r.status, 500);
	assert_string_equal(r.ctype, "application/json");
	assert_int_equal(r.body_len, 16);
	assert_memory_equal(r.body, "{\"error\":\"boom\"}", 16);
}

static void bodyless_response_reports_headers_then_done(void **state)
{
	fixture *f = *state;
	rec r;

	make_default(f);
	get(f, &r, "/empty");
	run_until_done(f, 1);
	assert_clean_success(&r);
	assert_int_equal(r.status, 204);
	assert_string_equal(r.ctype, "");
	assert_int_equal(r.body_calls, 0);
	assert_true(r.t_headers > 0 && r.t_headers <= r.t_done);
}

static void interim_1xx_response_is_not_reported(void **state)
{
	fixture *f = *state;
	rec r;

	make_default(f);
	get(f, &r, "/early");
	run_until_done(f, 1);
	assert_clean_success(&r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.ctype, "text/plain");
	assert_int_equal(r.body_len, 2);
	assert_memory_equal(r.body, "ok", 2);
}

static void retry_after_of_the_final_response_is_reported_before_headers(void **state)
{
	fixture *f = *state;
	rec r[2];

	make_default(f);
	get(f, &r[0], "/429");
	get(f, &r[1], "/500"); /* no Retry-After: no call */
	run_until_done(f, 2);
	assert_clean_success(&r[0]);
	assert_int_equal(r[0].status, 429);
	assert_int_equal(r[0].retry_after_calls, 1);
	assert_int_equal(r[0].retry_after_after_headers, 0);
	assert_string_equal(r[0].retry_after, "7");
	assert_int_equal(r[1].status, 500);
	assert_int_equal(r[1].retry_after_calls, 0);
}

static void retry_after_is_not_reported_to_a_version_1_host(void **state)
{
	fixture *f = *state;
	pg_transport_env env;
	char base[64];
	rec r;

	env_init(&env, f, base, sizeof(base));
	env.version = 1; /* its events table ends before retry_after */
	make_transport(f, &env, NULL);
	get(f, &r, "/429");
	run_until_done(f, 1);
	assert_clean_success(&r);
	assert_int_equal(r.status, 429);
	assert_int_equal(r.retry_after_calls, 0);
}

static void destroy_with_transfers_in_flight_makes_no_callbacks(void **state)
{
	fixture *f = *state;
	rec r[3];

	make_default(f);
	for (int i = 0; i < 3; i++)
		get(f, &r[i], "/hang");
	run_until_server_saw(f, 3);
	ops()->destroy(f->tr);
	f->tr = NULL;
	assert_int_equal(fake_host_live_allocs(), 0);
	assert_int_equal(event_base_get_num_events(f->base, EVENT_BASE_COUNT_ADDED), 0);
	event_base_loop(f->base, EVLOOP_NONBLOCK);
	for (int i = 0; i < 3; i++)
		assert_int_equal(r[i].headers + r[i].body_calls + r[i].done, 0);
}

static void destroy_in_body(rec *r)
{
	(void)r;
	ops()->destroy(fx->tr);
	fx->tr = NULL;
	event_base_loopbreak(fx->base);
}

static void destroy_from_a_body_callback_stops_all_callbacks(void **state)
{
	fixture *f = *state;
	rec hang, r;

	make_default(f);
	get(f, &hang, "/hang");
	run_until_server_saw(f, 1);
	get(f, &r, "/chunked");
	r.on_body = destroy_in_body;
	f->target = 1000;
	event_base_dispatch(f->base);
	assert_null(f->tr);
	assert_int_equal(r.body_calls, 1);
	assert_int_equal(r.done + hang.done + hang.headers, 0);
	assert_int_equal(fake_host_live_allocs(), 0);
	assert_int_equal(event_base_get_num_events(f->base, EVENT_BASE_COUNT_ADDED), 0);
}

static rec chained[2];

static void start_second(rec *r)
{
	(void)r;
	get(fx, &chained[1], "/chunked");
}

static void start_from_headers_callback_is_deferred_and_completes(void **state)
{
	fixture *f = *state;

	make_default(f);
	get(f, &chained[0], "/cl");
	chained[0].on_headers = start_second;
	run_until_done(f, 2);
	assert_clean_success(&chained[0]);
	assert_clean_success(&chained[1]);
	assert_memory_equal(chained[0].body, "hello, world", 12);
	assert_int_equal(chained[1].body_len, 16);
	assert_memory_equal(chained[1].body, "firstsecondthird", 16);
}

static rec loop_recs[5];
static int loop_next;

/* done hook: starts the next request, as a closed-loop engine does */
static void start_next_in_loop(rec *r)
{
	rec *n;

	(void)r;
	if (loop_next == 5)
		return;
	n = rec_init(&loop_recs[loop_next++], fx->srv->port, "/chunked", NULL);
	n->on_done = start_next_in_loop;
	start(fx, n);
}

static void closed_loop_from_done_callback_reuses_the_connection(void **state)
{
	fixture *f = *state;

	make_default(f);
	loop_next = 0;
	start_next_in_loop(NULL);
	run_until_done(f, 5);
	for (int i = 0; i < 5; i++) {
		assert_clean_success(&loop_recs[i]);
		assert_int_equal(loop_recs[i].new_conn, i == 0);
		assert_memory_equal(loop_recs[i].body, "firstsecondthird", 16);
	}
	assert_int_equal(test_server_accepts(f->srv), 1);
}

static void proxy_option_routes_requests_through_the_proxy(void **state)
{
	fixture *f = *state;
	pg_transport_env env;
	char base[64], proxy[64] = "", seen[8192];
	fake_options fo = options("proxy", proxy);
	rec r;

	/* the test server plays the proxy; the origin's name does not resolve */
	snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%d", f->srv->port);
	env_init(&env, f, base, sizeof(base));
	make_transport(f, &env, &fo);
	rec_init(&r, 0, "", NULL);
	snprintf(r.url, sizeof(r.url), "http://perfgate.invalid/echo");
	start(f, &r);
	run_until_done(f, 1);
	assert_clean_success(&r);
	copy_last_request(f, seen, sizeof(seen));
	assert_true(strncmp(seen, "GET http://perfgate.invalid/echo HTTP/1.1\r\n", 43) == 0);
}

static void environment_proxy_is_bypassed_for_loopback(void **state)
{
	fixture *f = *state;
	rec r;

	/* a proxy nobody listens on: only a direct request can succeed */
	setenv("http_proxy", "http://127.0.0.1:1", 1); /* teardown unsets it */
	make_default(f);
	get(f, &r, "/cl");
	run_until_done(f, 1);
	assert_clean_success(&r);
	assert_memory_equal(r.body, "hello, world", 12);
}

static void http2_option_speaks_http2_to_an_http_url(void **state)
{
	fixture *f = *state;
	pg_transport_env env;
	char base[64];
	fake_options fo = options("http2", "true");
	rec r;

	/* prior knowledge: the HTTP/1.1-only server cannot answer it */
	env_init(&env, f, base, sizeof(base));
	make_transport(f, &env, &fo);
	get(f, &r, "/cl");
	run_until_done(f, 1);
	assert_int_equal(r.done, 1);
	assert_int_not_equal(r.fail, PG_FAIL_NONE);
	assert_int_equal(r.body_len, 0);
}

static void insecure_option_warns_once(void **state)
{
	fixture *f = *state;
	pg_transport_env env;
	char base[64];
	fake_options fo = options("insecure", "true");
	void *second = NULL;

	env_init(&env, f, base, sizeof(base));
	make_transport(f, &env, &fo);
	assert_int_equal(ops()->create(&second, &fake_host, fake_options_get(&fo), &env), 0);
	ops()->destroy(second);
	assert_int_equal(fake_host_logs(PG_LOG_WARN), 1);
}

int main(void)
{
	static const char *const proxy_vars[] = {"http_proxy",	"HTTP_PROXY", "https_proxy",
						 "HTTPS_PROXY", "all_proxy",  "ALL_PROXY"};
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(descriptor_declares_a_curl_transport_with_its_options),
	    cmocka_unit_test(supports_only_http_and_https),
	    cmocka_unit_test_setup_teardown(create_rejects_bad_environment_without_leaks, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(content_length_body_arrives_exactly_after_headers,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(chunked_stream_is_dechunked_in_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(sequential_requests_reuse_one_kept_alive_connection,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(concurrent_requests_stay_within_max_connections, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(request_carries_method_body_and_headers, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(large_post_is_sent_without_expect_100_continue, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(hanging_server_times_out, setup, teardown),
	    cmocka_unit_test_setup_teardown(close_mid_body_is_a_network_failure, setup, teardown),
	    cmocka_unit_test_setup_teardown(refused_connection_is_a_connect_failure, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(malformed_url_is_a_connect_failure_from_the_loop, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(status_500_is_not_a_transport_failure, setup, teardown),
	    cmocka_unit_test_setup_teardown(bodyless_response_reports_headers_then_done, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(interim_1xx_response_is_not_reported, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		retry_after_of_the_final_response_is_reported_before_headers, setup, teardown),
	    cmocka_unit_test_setup_teardown(retry_after_is_not_reported_to_a_version_1_host, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(destroy_with_transfers_in_flight_makes_no_callbacks,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(destroy_from_a_body_callback_stops_all_callbacks, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(start_from_headers_callback_is_deferred_and_completes,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(closed_loop_from_done_callback_reuses_the_connection,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(proxy_option_routes_requests_through_the_proxy, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(environment_proxy_is_bypassed_for_loopback, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(http2_option_speaks_http2_to_an_http_url, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(insecure_option_warns_once, setup, teardown),
	};
	int rc;

	/* the tests talk to 127.0.0.1 directly, whatever the environment */
	for (size_t i = 0; i < sizeof(proxy_vars) / sizeof(proxy_vars[0]); i++)
		unsetenv(proxy_vars[i]);
	if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
