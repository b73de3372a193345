/*
 * mock_completion: the life of one completion request in the mock server.
 * Each request is parsed (mock_model.c) and draws its fault: an injected
 * HTTP error is answered at once; a first-byte delay holds the request
 * before it joins the queue. It then waits in a FIFO queue for one of
 * cfg.slots slots, gets its first token after the prefill time and each
 * further token after one decode step; every step is an evtimer aimed at
 * an absolute deadline, so timer lateness never adds up. Streamed answers
 * start (headers included) with the first token, so the first byte a
 * client sees is the first token. A stall, reset, malformed line or
 * mid-stream error acts right after the request's k-th token is handed to
 * evhttp (k from pg_mock_fault_after). The fault helpers and the truth log
 * are in mock_faults.c.
 *
 * A request whose client goes away is dropped, freeing its queue place or
 * slot and cancelling its timer. evhttp does not read a connection while
 * its request is being answered, so it only notices a closed client when a
 * write fails (then it calls the connection's close callback); to notice
 * it sooner, even for queued, stalled and non-streamed requests, each
 * request also watches its socket and peeks at it when it turns readable:
 * end of file or a reset means the client left and the connection is
 * freed.
 */
#include "mock_server.h"

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>

#include "clock.h"
#include "error.h"
#include "mock_faults.h"
#include "mock_model.h"

/* One accepted completion request. Owned by the server's live list; freed
 * when its answer is handed to evhttp or its connection closes (a stalled
 * request waits for the latter). */
struct mock_rq {
	pg_mock_server *srv;
	mock_rq *prev, *next;	/* srv->live: every request not yet answered */
	mock_rq *qprev, *qnext; /* srv->qhead..qtail: waiting for a slot */
	int queued;		/* on the wait queue */
	int holds_slot;		/* admitted: counted in srv->active */
	int delaying;		/* waiting out first_byte_delay before queueing */
	struct evhttp_request *req;
	struct evhttp_connection *evcon;
	struct event *timer;
	struct event *watch; /* readable socket: did the client leave? */
	pg_mock_request r;
	char *head;   /* `{"id":"...","object":"...","created":N,"model":"...",` */
	uint64_t rng; /* PRNG state for this request's jitter */
	uint64_t seq; /* request number: 1, 2, ... */
	int64_t sent; /* tokens produced so far */
	pg_ns due;    /* CLOCK_MONOTONIC time of the next token */
	pg_mock_fault fault;
	int64_t fault_at;     /* the fault acts once this many tokens are sent */
	pg_mock_truth *truth; /* truth log watch of a streamed answer, or NULL */
	int first_marked;     /* the truth watch knows where the first token ends */
};

void pg_mock_send_error(struct evhttp_request *req, int status, const char *reason,
			const char *code, const char *message)
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
	pg_ns delay = rq->due - pg_now_ns();
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
	pg_mock_truth_free(rq->truth);
	pg_mock_request_clear(&rq->r);
	free(rq->head);
	free(rq);
}

static void enqueue(pg_mock_server *srv, mock_rq *rq)
{
	rq->queued = 1;
	rq->qprev = srv->qtail;
	if (srv->qtail != NULL)
		srv->qtail->qnext = rq;
	else
		srv->qhead = rq;
	srv->qtail = rq;
}

/* Admits waiting requests, oldest first, while slots are free. */
static void admit_waiting(pg_mock_server *srv)
{
	while (srv->active < srv->cfg.slots && srv->qhead != NULL) {
		mock_rq *rq = srv->qhead;

		queue_remove(srv, rq);
		rq->holds_slot = 1;
		srv->active++;
		rq->due = pg_now_ns() + pg_mock_prefill_ns(&srv->cfg, rq->r.input_tokens, &rq->rng);
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

/* Adds token rq->sent of a streamed answer to srv->out: the headers and
 * (chat) the role chunk come with the first token, and the last token's
 * chunk carries finish_reason. Also starts the truth log watch. */
static void stream_token(mock_rq *rq)
{
	pg_mock_server *srv = rq->srv;
	struct evbuffer *b = srv->out;
	const char *text = pg_mock_token_text(srv->cfg.seed, rq->sent);
	int last = rq->sent + 1 >= rq->r.output_tokens;
	const char *fin = last ? finish_reason(rq) : "null";

	if (rq->sent == 0) {
		struct evkeyvalq *h = evhttp_request_get_output_headers(rq->req);

		if (srv->truth_log != NULL)
			(void)pg_mock_truth_new(&rq->truth, srv->truth_log, rq->evcon, rq->seq);
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
}

/* Hands what a streamed answer has in srv->out to evhttp as one chunk; the
 * first such chunk holds the first token (for the truth log). */
static void flush_chunk(mock_rq *rq)
{
	struct evbuffer *b = rq->srv->out;

	if (!rq->r.stream || evbuffer_get_length(b) == 0)
		return;
	evhttp_send_reply_chunk(rq->req, b);
	if (rq->truth != NULL && rq->sent > 0 && !rq->first_marked) {
		pg_mock_truth_mark_first(rq->truth);
		rq->first_marked = 1;
	}
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

/* Ends rq's answer, frees rq (and its slot) and admits the next waiter. A
 * streamed answer gets its usage chunk (when asked for) and [DONE], or with
 * midstream set the injected error event and [DONE]; a non-streamed one
 * gets the whole JSON, cut off mid-object for a malformed fault. rq is
 * freed before evhttp gets the reply, so nothing of ours is left for the
 * connection's callbacks to find (but the truth log watch, which the
 * connection then owns). */
static void finish(mock_rq *rq, int midstream)
{
	pg_mock_server *srv = rq->srv;
	struct evhttp_request *req = rq->req;
	struct evbuffer *b = srv->out;
	int stream = rq->r.stream, more = 1;
	int64_t tokens = rq->sent;
	pg_mock_truth *t;

	if (stream) {
		if (midstream) {
			evbuffer_add(b, PG_MOCK_MIDSTREAM_EVENT,
				     sizeof(PG_MOCK_MIDSTREAM_EVENT) - 1);
		} else if (rq->r.include_usage) {
			evbuffer_add_printf(b, "data: %s\"choices\":[],", rq->head);
			add_usage(b, rq);
			evbuffer_add_printf(b, "}\n\n");
		}
		evbuffer_add_printf(b, "data: [DONE]\n\n");
		flush_chunk(rq);
		/* the end of a chunked answer adds the last chunk, "0\r\n\r\n" */
		more = evhttp_find_header(evhttp_request_get_output_headers(req),
					  "Transfer-Encoding") != NULL;
	} else {
		if (rq->fault == PG_MOCK_FAULT_MALFORMED)
			evbuffer_add_printf(b, "%s\"choices\":[{\"index\":0,", rq->head);
		else
			build_answer(b, rq);
		evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
				  "application/json");
		if (srv->truth_log != NULL &&
		    pg_mock_truth_new(&rq->truth, srv->truth_log, rq->evcon, rq->seq) == 0)
			pg_mock_truth_mark_first(rq->truth); /* the answer's first byte */
	}
	t = rq->truth;
	rq->truth = NULL;
	srv->requests_served++;
	rq_free(rq);
	if (t != NULL)
		pg_mock_truth_end(t, tokens, more);
	if (stream)
		evhttp_send_reply_end(req);
	else
		evhttp_send_reply(req, 200, "OK", b);
	admit_waiting(srv);
}

/* A stall: rq stops where it is and gives its slot back; it stays until
 * its client goes away or the server stops. */
static void stall(mock_rq *rq)
{
	pg_mock_server *srv = rq->srv;

	flush_chunk(rq);
	if (rq->holds_slot) {
		rq->holds_slot = 0;
		srv->active--;
	}
	admit_waiting(srv);
}

/* Applies rq's fault once rq->sent == rq->fault_at. Returns 1 when rq is
 * done with (stalled, reset or answered), 0 to carry on. */
static int apply_fault(mock_rq *rq)
{
	pg_mock_server *srv = rq->srv;
	struct evhttp_request *req = rq->req;

	switch (rq->fault) {
	case PG_MOCK_FAULT_STALL:
		stall(rq);
		return 1;
	case PG_MOCK_FAULT_RESET:
		flush_chunk(rq);
		pg_mock_reset_connection(rq->evcon); /* frees rq through on_close */
		return 1;
	case PG_MOCK_FAULT_MIDSTREAM:
		if (rq->r.stream) {
			finish(rq, 1);
			return 1;
		}
		rq_free(rq);
		pg_mock_send_fault(req, PG_MOCK_FAULT_MIDSTREAM, 0);
		admit_waiting(srv);
		return 1;
	case PG_MOCK_FAULT_MALFORMED:
		if (rq->r.stream)
			evbuffer_add(srv->out, PG_MOCK_MALFORMED_EVENT,
				     sizeof(PG_MOCK_MALFORMED_EVENT) - 1);
		return 0;
	default:
		return 0;
	}
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	mock_rq *rq = arg;
	pg_mock_server *srv = rq->srv;

	(void)fd;
	(void)what;
	if (rq->delaying) { /* first_byte_delay is over */
		rq->delaying = 0;
		enqueue(srv, rq);
		admit_waiting(srv);
		return;
	}
	if (rq->sent == 0 && rq->fault_at == 0 && apply_fault(rq))
		return; /* a stall or reset before the first token */
	if (rq->r.stream)
		stream_token(rq);
	rq->sent++;
	srv->tokens_sent++;
	if (rq->sent == rq->fault_at && apply_fault(rq))
		return;
	if (rq->sent >= rq->r.output_tokens) {
		finish(rq, 0);
		return;
	}
	flush_chunk(rq);
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

void pg_mock_completion_handle(pg_mock_server *srv, struct evhttp_request *req, int chat)
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
	pg_ns delay;
	int rc, one = 1;

	rq = calloc(1, sizeof(*rq));
	if (rq == NULL || body == NULL) {
		pg_mock_send_error(req, 500, "Internal Server Error", "server_error",
				   "out of memory");
		free(rq);
		return;
	}
	rq->srv = srv;
	rc = pg_mock_request_parse(&rq->r, &srv->cfg, chat, body, len);
	if (rc != 0) {
		pg_mock_send_error(req, 400, "Bad Request",
				   rc == PG_EPARSE ? "invalid_json" : "invalid_value",
				   pg_error_last());
		rq_free(rq);
		return;
	}
	srv->next_id++;
	rq->seq = srv->next_id;
	rq->rng = pg_mock_rng_init(srv->cfg.seed, rq->seq);
	rq->fault = pg_mock_fault_draw(&srv->cfg, rq->seq);
	rq->fault_at = pg_mock_fault_after(&srv->cfg, rq->fault, rq->r.output_tokens);
	if (rq->fault != PG_MOCK_FAULT_NONE)
		srv->faults_injected++;
	if (rq->fault == PG_MOCK_FAULT_ERROR || rq->fault == PG_MOCK_FAULT_RATE_LIMIT ||
	    rq->fault == PG_MOCK_FAULT_UNAVAILABLE) {
		pg_mock_send_fault(req, rq->fault, srv->cfg.retry_after_s);
		rq_free(rq);
		return;
	}
	rq->req = req;
	object = !chat ? "text_completion"
		       : (rq->r.stream ? "chat.completion.chunk" : "chat.completion");
	model = json_string(rq->r.model);
	model_json = model != NULL ? json_dumps(model, JSON_ENCODE_ANY) : NULL;
	size = (model_json != NULL ? strlen(model_json) : 0) + 160;
	rq->head = malloc(size);
	rq->timer = evtimer_new(srv->base, on_timer, rq);
	if (model_json == NULL || rq->head == NULL || rq->timer == NULL) {
		pg_mock_send_error(req, 500, "Internal Server Error", "server_error",
				   "out of memory");
		rq_free(rq);
		goto done;
	}
	snprintf(rq->head, size,
		 "{\"id\":\"%s-mock-%" PRIu64 "\",\"object\":\"%s\",\"created\":%lld,\"model\":%s,",
		 chat ? "chatcmpl" : "cmpl", rq->seq, object, (long long)time(NULL), model_json);
	rq->evcon = evhttp_request_get_connection(req);
	fd = bufferevent_getfd(evhttp_connection_get_bufferevent(rq->evcon));
	/* each token is a small write: do not let Nagle hold it back */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	rq->watch = event_new(srv->base, fd, EV_READ, on_readable, rq);
	if (rq->watch == NULL || event_add(rq->watch, NULL) != 0) {
		pg_mock_send_error(req, 500, "Internal Server Error", "server_error",
				   "out of memory");
		rq->evcon = NULL;
		rq_free(rq);
		goto done;
	}
	evhttp_connection_set_closecb(rq->evcon, on_close, rq);
	rq->next = srv->live;
	if (srv->live != NULL)
		srv->live->prev = rq;
	srv->live = rq;
	delay = pg_mock_first_byte_delay_ns(&srv->cfg);
	if (delay > 0) {
		rq->delaying = 1;
		rq->due = pg_now_ns() + delay;
		schedule(rq);
	} else {
		enqueue(srv, rq);
		admit_waiting(srv);
	}
done:
	json_decref(model);
	free(model_json);
}

void pg_mock_completions_drop(pg_mock_server *srv)
{
	while (srv->live != NULL)
		rq_free(srv->live);
}
