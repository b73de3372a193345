/*
 * mock: the HTTP side of the simulated model server (libevent evhttp).
 * Each completion request is parsed (mock_model.c), waits in a FIFO queue
 * for one of cfg.slots slots, then gets its first token after the prefill
 * time and each further token after one decode step; every step is an
 * evtimer aimed at an absolute deadline, so timer lateness never adds up.
 * Streamed answers start (headers included) with the first token, so the
 * first byte a client sees is the first token.
 *
 * A request whose client goes away is dropped, freeing its queue place or
 * slot and cancelling its timer. evhttp does not read a connection while
 * its request is being answered, so it only notices a closed client when a
 * write fails (then it calls the connection's close callback); to notice
 * it sooner, even for queued and non-streamed requests, each request also
 * watches its socket and peeks at it when it turns readable: end of file
 * or a reset means the client left and the connection is freed.
 */
#include "mock.h"

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/thread.h>
#include <jansson.h>

#include "error.h"
#include "mock_model.h"

#define MOCK_MAX_BODY (16 * 1024 * 1024) /* larger requests get 413 from evhttp */
#define MOCK_MAX_HEADERS (64 * 1024)
/* Idle and I/O timeout of a connection: long, because a simulated answer
 * may legitimately take minutes before its first byte. */
#define MOCK_CONN_TIMEOUT_S 3600

typedef struct mock_rq mock_rq;

/* One accepted completion request. Owned by the server's live list; freed
 * when its answer is handed to evhttp or its connection closes. */
struct mock_rq {
	pg_mock_server *srv;
	mock_rq *prev, *next;	/* srv->live: every request not yet answered */
	mock_rq *qprev, *qnext; /* srv->qhead..qtail: waiting for a slot */
	int queued;		/* on the wait queue */
	int holds_slot;		/* admitted: counted in srv->active */
	struct evhttp_request *req;
	struct evhttp_connection *evcon;
	struct event *timer;
	struct event *watch; /* readable socket: did the client leave? */
	pg_mock_request r;
	char *head;   /* `{"id":"...","object":"...","created":N,"model":"...",` */
	uint64_t rng; /* PRNG state for this request's jitter */
	int64_t sent; /* tokens produced so far */
	pg_ns due;    /* CLOCK_MONOTONIC time of the next token */
};

struct pg_mock_server {
	pg_mock_config cfg;
	struct event_base *base;
	struct evhttp *http;
	struct event *stop_ev; /* activated by pg_mock_stop from another thread */
	struct evbuffer *out;  /* scratch for one write; always drained */
	pthread_t thread;
	int thread_started;
	int port;
	mock_rq *live;
	mock_rq *qhead, *qtail;
	int64_t active;	  /* requests holding a slot */
	uint64_t next_id; /* last request number handed out */
	int64_t requests_served;
	int64_t tokens_sent;
};

static pthread_once_t threads_once = PTHREAD_ONCE_INIT;
static int threads_rc;

static void threads_init(void)
{
	threads_rc = evthread_use_pthreads();
}

static pg_ns now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (pg_ns)ts.tv_sec * PG_NS_PER_S + ts.tv_nsec;
}

/* Sends an OpenAI-style error: {"error":{"message","type","param","code"}}. */
static void send_error(struct evhttp_request *req, int status, const char *reason, const char *code,
		       const char *message)
{
	const char *type = status >= 500 ? "server_error" : "invalid_request_error";
	struct evbuffer *buf = evbuffer_new();
	json_t *j;
	char *text = NULL;

	j = json_pack("{s:{s:s,s:s,s:n,s:s}}", "error", "message", message, "type", type, "param",
		      "code", code);
	if (j == NULL) /* message was not valid UTF-8 */
		j = json_pack("{s:{s:s,s:s,s:n,s:s}}", "error", "message", reason, "type", type,
			      "param", "code", code);
	if (j != NULL)
		text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "application/json");
	if (buf != NULL && text != NULL)
		evbuffer_add_printf(buf, "%s\n", text);
	evhttp_send_reply(req, status, reason, buf);
	free(text);
	if (buf != NULL)
		evbuffer_free(buf);
}

/* Arms rq's timer for rq->due. Our clock is read before libevent's cached
 * time is refreshed, so libevent's deadline (its now + delay) is never
 * earlier than rq->due: a token never leaves before its time. */
static void schedule(mock_rq *rq)
{
	pg_ns delay = rq->due - now_ns();
	struct timeval tv;

	if (delay < 0)
		delay = 0;
	delay = (delay + PG_NS_PER_US - 1) / PG_NS_PER_US; /* round up to us */
	tv.tv_sec = (time_t)(delay / 1000000);
	tv.tv_usec = (suseconds_t)(delay % 1000000);
	event_base_update_cache_time(rq->srv->base);
	evtimer_add(rq->timer, &tv);
}

static void queue_remove(pg_mock_server *srv, mock_rq *rq)
{
	if (rq->qprev != NULL)
		rq->qprev->qnext = rq->qnext;
	else
		srv->qhead = rq->qnext;
	if (rq->qnext != NULL)
		rq->qnext->qprev = rq->qprev;
	else
		srv->qtail = rq->qprev;
	rq->qprev = rq->qnext = NULL;
	rq->queued = 0;
}

/* Drops rq from every list, gives its slot back and frees it. Does not
 * touch rq->req, which evhttp owns. */
static void rq_free(mock_rq *rq)
{
	pg_mock_server *srv = rq->srv;

	if (rq->evcon != NULL)
		evhttp_connection_set_closecb(rq->evcon, NULL, NULL);
	if (rq->queued)
		queue_remove(srv, rq);
	if (rq->holds_slot)
		srv->active--;
	if (rq->prev != NULL)
		rq->prev->next = rq->next;
	else if (srv->live == rq)
		srv->live = rq->next;
	if (rq->next != NULL)
		rq->next->prev = rq->prev;
	if (rq->timer != NULL)
		event_free(rq->timer);
	if (rq->watch != NULL)
		event_free(rq->watch);
	pg_mock_request_clear(&rq->r);
	free(rq->head);
	free(rq);
}

/* Admits waiting requests, oldest first, while slots are free. */
static void admit_waiting(pg_mock_server *srv)
{
	while (srv->active < srv->cfg.slots && srv->qhead != NULL) {
		mock_rq *rq = srv->qhead;

		queue_remove(srv, rq);
		rq->holds_slot = 1;
		srv->active++;
		rq->due = now_ns() + pg_mock_prefill_ns(&srv->cfg, rq->r.input_tokens, &rq->rng);
		schedule(rq);
	}
}

static const char *finish_reason(const mock_rq *rq)
{
	return rq->r.hit_limit ? "\"length\"" : "\"stop\"";
}

static void add_usage(struct evbuffer *b, const mock_rq *rq)
{
	evbuffer_add_printf(b,
			    "\"usage\":{\"prompt_tokens\":%" PRId64
			    ",\"completion_tokens\":%" PRId64 ",\"total_tokens\":%" PRId64 "}",
			    rq->r.input_tokens, rq->r.output_tokens,
			    rq->r.input_tokens + rq->r.output_tokens);
}

/* Streams token rq->sent: the headers and (chat) the role chunk come with
 * the first token; the last token's chunk carries finish_reason and is
 * followed by the usage chunk (when asked for) and [DONE]. */
static void stream_token(mock_rq *rq)
{
	struct evbuffer *b = rq->srv->out;
	const char *text = pg_mock_token_text(rq->srv->cfg.seed, rq->sent);
	int last = rq->sent + 1 >= rq->r.output_tokens;
	const char *fin = last ? finish_reason(rq) : "null";

	if (rq->sent == 0) {
		struct evkeyvalq *h = evhttp_request_get_output_headers(rq->req);

		evhttp_add_header(h, "Content-Type", "text/event-stream");
		evhttp_add_header(h, "Cache-Control", "no-cache");
		evhttp_send_reply_start(rq->req, 200, "OK");
		if (rq->r.chat)
			evbuffer_add_printf(b,
					    "data: %s\"choices\":[{\"index\":0,\"delta\":{\"role\":"
					    "\"assistant\",\"content\":\"\"},\"logprobs\":null,"
					    "\"finish_reason\":null}]}\n\n",
					    rq->head);
	}
	if (rq->r.chat)
		evbuffer_add_printf(
		    b,
		    "data: %s\"choices\":[{\"index\":0,\"delta\":{\"content\":\"%s\"},"
		    "\"logprobs\":null,\"finish_reason\":%s}]}\n\n",
		    rq->head, text, fin);
	else
		evbuffer_add_printf(
		    b,
		    "data: %s\"choices\":[{\"index\":0,\"text\":\"%s\",\"logprobs\":"
		    "null,\"finish_reason\":%s}]}\n\n",
		    rq->head, text, fin);
	if (last) {
		if (rq->r.include_usage) {
			evbuffer_add_printf(b, "data: %s\"choices\":[],", rq->head);
			add_usage(b, rq);
			evbuffer_add_printf(b, "}\n\n");
		}
		evbuffer_add_printf(b, "data: [DONE]\n\n");
	}
	evhttp_send_reply_chunk(rq->req, b);
}

/* The whole non-streamed answer, into b. */
static void build_answer(struct evbuffer *b, const mock_rq *rq)
{
	int64_t i;

	evbuffer_add_printf(b, "%s\"choices\":[{\"index\":0,", rq->head);
	evbuffer_add_printf(b, rq->r.chat ? "\"message\":{\"role\":\"assistant\",\"content\":\""
					  : "\"text\":\"");
	for (i = 0; i < rq->r.output_tokens; i++)
		evbuffer_add_printf(b, "%s", pg_mock_token_text(rq->srv->cfg.seed, i));
	evbuffer_add_printf(b, rq->r.chat ? "\"}," : "\",");
	evbuffer_add_printf(b, "\"logprobs\":null,\"finish_reason\":%s}],", finish_reason(rq));
	add_usage(b, rq);
	evbuffer_add_printf(b, "}\n");
}

/* Ends rq's answer, frees rq (and its slot) and admits the next waiter.
 * rq is freed before evhttp gets the reply, so nothing of ours is left for
 * the connection's callbacks to find. */
static void finish(mock_rq *rq)
{
	pg_mock_server *srv = rq->srv;
	struct evhttp_request *req = rq->req;
	int stream = rq->r.stream;

	if (!stream) {
		build_answer(srv->out, rq);
		evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
				  "application/json");
	}
	srv->requests_served++;
	rq_free(rq);
	if (stream)
		evhttp_send_reply_end(req);
	else
		evhttp_send_reply(req, 200, "OK", srv->out);
	admit_waiting(srv);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	mock_rq *rq = arg;
	pg_mock_server *srv = rq->srv;

	(void)fd;
	(void)what;
	if (rq->r.stream)
		stream_token(rq);
	rq->sent++;
	srv->tokens_sent++;
	if (rq->sent >= rq->r.output_tokens) {
		finish(rq);
		return;
	}
	rq->due += pg_mock_decode_ns(&srv->cfg, srv->active, &rq->rng);
	schedule(rq);
}

/* The connection is going away with rq unanswered. After a failed read
 * or write evhttp has already detached the request, which is then ours to
 * free; when we freed the connection ourselves (on_readable) the request
 * is still attached and evhttp frees it. */
static void on_close(struct evhttp_connection *evcon, void *arg)
{
	mock_rq *rq = arg;
	pg_mock_server *srv = rq->srv;
	struct evhttp_request *req = rq->req;

	(void)evcon;
	rq->evcon = NULL;
	rq_free(rq);
	if (evhttp_request_get_connection(req) == NULL)
		evhttp_request_free(req);
	admit_waiting(srv);
}

/* The socket of an unanswered request turned readable: either the client
 * closed it (end of file or reset: free the connection, which drops rq
 * through on_close) or it sent more bytes early (a pipelined request,
 * left for evhttp; we stop watching). */
static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	mock_rq *rq = arg;
	char c;
	ssize_t n;

	(void)what;
	n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
		evhttp_connection_free(rq->evcon); /* calls on_close: rq is gone */
		return;
	}
	if (n < 0)
		event_add(rq->watch, NULL);
}

static void handle_completion(pg_mock_server *srv, struct evhttp_request *req, int chat)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	const char *body = len > 0 ? (const char *)evbuffer_pullup(in, -1) : "";
	const char *object;
	char *model_json = NULL;
	json_t *model = NULL;
	mock_rq *rq = NULL;
	evutil_socket_t fd;
	size_t size;
	int rc, one = 1;

	rq = calloc(1, sizeof(*rq));
	if (rq == NULL || body == NULL) {
		send_error(req, 500, "Internal Server Error", "server_error", "out of memory");
		free(rq);
		return;
	}
	rq->srv = srv;
	rc = pg_mock_request_parse(&rq->r, &srv->cfg, chat, body, len);
	if (rc != 0) {
		send_error(req, 400, "Bad Request",
			   rc == PG_EPARSE ? "invalid_json" : "invalid_value", pg_error_last());
		rq_free(rq);
		return;
	}
	srv->next_id++;
	rq->rng = pg_mock_rng_init(srv->cfg.seed, srv->next_id);
	rq->req = req;
	object = !chat ? "text_completion"
		       : (rq->r.stream ? "chat.completion.chunk" : "chat.completion");
	model = json_string(rq->r.model);
	model_json = model != NULL ? json_dumps(model, JSON_ENCODE_ANY) : NULL;
	size = (model_json != NULL ? strlen(model_json) : 0) + 160;
	rq->head = malloc(size);
	rq->timer = evtimer_new(srv->base, on_timer, rq);
	if (model_json == NULL || rq->head == NULL || rq->timer == NULL) {
		send_error(req, 500, "Internal Server Error", "server_error", "out of memory");
		rq_free(rq);
		goto done;
	}
	snprintf(rq->head, size,
		 "{\"id\":\"%s-mock-%" PRIu64 "\",\"object\":\"%s\",\"created\":%lld,\"model\":%s,",
		 chat ? "chatcmpl" : "cmpl", srv->next_id, object, (long long)time(NULL),
		 model_json);
	rq->evcon = evhttp_request_get_connection(req);
	fd = bufferevent_getfd(evhttp_connection_get_bufferevent(rq->evcon));
	/* each token is a small write: do not let Nagle hold it back */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	rq->watch = event_new(srv->base, fd, EV_READ, on_readable, rq);
	if (rq->watch == NULL || event_add(rq->watch, NULL) != 0) {
		send_error(req, 500, "Internal Server Error", "server_error", "out of memory");
		rq->evcon = NULL;
		rq_free(rq);
		goto done;
	}
	evhttp_connection_set_closecb(rq->evcon, on_close, rq);
	rq->next = srv->live;
	if (srv->live != NULL)
		srv->live->prev = rq;
	srv->live = rq;
	rq->queued = 1;
	rq->qprev = srv->qtail;
	if (srv->qtail != NULL)
		srv->qtail->qnext = rq;
	else
		srv->qhead = rq;
	srv->qtail = rq;
	admit_waiting(srv);
done:
	json_decref(model);
	free(model_json);
}

static void handle_models(struct evhttp_request *req)
{
	struct evbuffer *b = evbuffer_new();

	if (b == NULL) {
		send_error(req, 500, "Internal Server Error", "server_error", "out of memory");
		return;
	}
	evbuffer_add_printf(b,
			    "{\"object\":\"list\",\"data\":[{\"id\":\"" PG_MOCK_MODEL_NAME
			    "\",\"object\":\"model\",\"created\":0,\"owned_by\":\"perfgate\"}]}\n");
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "application/json");
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

static void method_not_allowed(struct evhttp_request *req, const char *allow, const char *path)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "Method not allowed for %.400s (allowed: %s)", path, allow);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", allow);
	send_error(req, 405, "Method Not Allowed", "method_not_allowed", msg);
}

/* Routes every request: /v1/chat/completions, /v1/completions and
 * /v1/models, each also without the /v1 prefix. */
static void on_request(struct evhttp_request *req, void *arg)
{
	pg_mock_server *srv = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	const char *p;
	char msg[512];

	if (path == NULL)
		path = "";
	p = strncmp(path, "/v1/", 4) == 0 ? path + 3 : path;
	if (strcmp(p, "/chat/completions") == 0 || strcmp(p, "/completions") == 0) {
		if (cmd != EVHTTP_REQ_POST)
			method_not_allowed(req, "POST", path);
		else
			handle_completion(srv, req, p[1] == 'c' && p[2] == 'h');
	} else if (strcmp(p, "/models") == 0) {
		if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD)
			method_not_allowed(req, "GET, HEAD", path);
		else
			handle_models(req);
	} else {
		snprintf(msg, sizeof(msg),
			 "Unknown request URL: %.400s (try /v1/chat/completions, /v1/completions "
			 "or /v1/models)",
			 path);
		send_error(req, 404, "Not Found", "not_found", msg);
	}
}

static void server_free(pg_mock_server *m)
{
	if (m == NULL)
		return;
	while (m->live != NULL)
		rq_free(m->live);
	if (m->http != NULL)
		evhttp_free(m->http);
	if (m->stop_ev != NULL)
		event_free(m->stop_ev);
	if (m->out != NULL)
		evbuffer_free(m->out);
	if (m->base != NULL)
		event_base_free(m->base);
	free(m);
}

/* The bound port of sock, or -1. */
static int bound_port(struct evhttp_bound_socket *sock)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	evutil_socket_t fd = evhttp_bound_socket_get_fd(sock);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -1;
}

/* Creates a server listening on host:port, its loop not yet running. */
static int server_new(pg_mock_server **out, const pg_mock_config *cfg, const char *host, int port)
{
	struct event_config *ec = NULL;
	struct evhttp_bound_socket *sock;
	pg_mock_server *m = NULL;
	char err[128];
	int rc;

	*out = NULL;
	rc = pg_mock_config_check(cfg);
	if (rc != 0)
		return rc;
	if (host == NULL || port < 0 || port > 65535) {
		pg_error_set("mock: bad listen address %s:%d", host ? host : "(null)", port);
		return PG_EINVAL;
	}
	pthread_once(&threads_once, threads_init);
	if (threads_rc != 0) {
		pg_error_set("mock: libevent has no pthreads support");
		return PG_ERROR;
	}
	rc = PG_ENOMEM;
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		goto nomem;
	m->cfg = *cfg;
	ec = event_config_new();
	if (ec == NULL)
		goto nomem;
	event_config_set_flag(ec, EVENT_BASE_FLAG_PRECISE_TIMER);
	m->base = event_base_new_with_config(ec);
	if (m->base == NULL)
		goto nomem;
	m->http = evhttp_new(m->base);
	m->out = evbuffer_new();
	if (m->http == NULL || m->out == NULL)
		goto nomem;
	evhttp_set_gencb(m->http, on_request, m);
	evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
						EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
						EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_max_body_size(m->http, MOCK_MAX_BODY);
	evhttp_set_max_headers_size(m->http, MOCK_MAX_HEADERS);
	evhttp_set_timeout(m->http, MOCK_CONN_TIMEOUT_S);
	errno = 0;
	sock = evhttp_bind_socket_with_handle(m->http, host, (ev_uint16_t)port);
	if (sock == NULL) {
		if (errno == 0 || strerror_r(errno, err, sizeof(err)) != 0)
			snprintf(err, sizeof(err), "bind or listen failed");
		pg_error_set("mock: cannot listen on %s:%d: %s", host, port, err);
		rc = PG_EIO;
		goto done;
	}
	m->port = bound_port(sock);
	if (m->port < 0) {
		pg_error_set("mock: cannot read the bound port of %s:%d", host, port);
		rc = PG_EIO;
		goto done;
	}
	*out = m;
	m = NULL;
	rc = 0;
	goto done;
nomem:
	pg_error_set("mock: out of memory");
done:
	if (ec != NULL)
		event_config_free(ec);
	server_free(m);
	return rc;
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	pg_mock_server *m = arg;

	(void)fd;
	(void)what;
	event_base_loopbreak(m->base);
}

static void *loop_main(void *arg)
{
	pg_mock_server *m = arg;

	event_base_loop(m->base, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

int pg_mock_start(pg_mock_server **out, const pg_mock_config *cfg, const char *host, int port)
{
	pg_mock_server *m = NULL;
	sigset_t all, old;
	int rc, err;

	if (out == NULL) {
		pg_error_set("mock: no place for the server");
		return PG_EINVAL;
	}
	*out = NULL;
	rc = server_new(&m, cfg, host, port);
	if (rc != 0)
		return rc;
	m->stop_ev = event_new(m->base, -1, 0, on_stop, m);
	if (m->stop_ev == NULL) {
		pg_error_set("mock: out of memory");
		rc = PG_ENOMEM;
		goto done;
	}
	/* The loop thread blocks every signal: process signals stay with the
	 * host's threads, and a write to a closed socket fails with EPIPE
	 * instead of killing the process with SIGPIPE. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&m->thread, NULL, loop_main, m);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err != 0) {
		pg_error_set("mock: cannot start the server thread: %s", strerror(err));
		rc = PG_ERROR;
		goto done;
	}
	m->thread_started = 1;
	*out = m;
	m = NULL;
done:
	server_free(m);
	return rc;
}

int pg_mock_port(const pg_mock_server *m)
{
	return m != NULL ? m->port : -1;
}

void pg_mock_stop(pg_mock_server *m)
{
	if (m == NULL)
		return;
	if (m->thread_started) {
		/* event_active is thread-safe (evthread_use_pthreads) and, unlike
		 * a loopbreak, is not lost if the loop has not started yet. */
		event_active(m->stop_ev, EV_READ, 0);
		pthread_join(m->thread, NULL);
	}
	server_free(m);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	pg_mock_server *m = arg;

	(void)sig;
	(void)what;
	event_base_loopbreak(m->base);
}

int pg_mock_serve(const pg_mock_config *cfg, const char *host, int port)
{
	struct sigaction ign, old_pipe;
	struct event *sint = NULL, *sterm = NULL;
	pg_mock_server *m = NULL;
	int v6 = host != NULL && strchr(host, ':') != NULL;
	int rc;

	rc = server_new(&m, cfg, host, port);
	if (rc != 0)
		return rc;
	sint = evsignal_new(m->base, SIGINT, on_signal, m);
	sterm = evsignal_new(m->base, SIGTERM, on_signal, m);
	if (sint == NULL || sterm == NULL || evsignal_add(sint, NULL) != 0 ||
	    evsignal_add(sterm, NULL) != 0) {
		pg_error_set("mock: cannot watch SIGINT and SIGTERM");
		rc = PG_ERROR;
		goto done;
	}
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &old_pipe);
	printf("perfgate mock listening on http://%s%s%s:%d/v1\n", v6 ? "[" : "", host,
	       v6 ? "]" : "", m->port);
	fflush(stdout);
	event_base_loop(m->base, EVLOOP_NO_EXIT_ON_EMPTY);
	printf("perfgate mock stopped after %" PRId64 " requests and %" PRId64 " tokens\n",
	       m->requests_served, m->tokens_sent);
	fflush(stdout);
	sigaction(SIGPIPE, &old_pipe, NULL);
done:
	if (sint != NULL)
		event_free(sint);
	if (sterm != NULL)
		event_free(sterm);
	server_free(m);
	return rc;
}
