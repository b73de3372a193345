/*
 * mock_server: the mock server's state, shared by mock.c (listening,
 * routing, start and stop) and mock_completion.c (the life of a completion
 * request). Internal to the host; everything here runs on the server's
 * loop thread, except start and stop.
 */
#ifndef PG_MOCK_SERVER_H
#define PG_MOCK_SERVER_H

#include <pthread.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/http.h>

#include "mock.h"
#include "mock_faults.h"

/* One completion request being answered (mock_completion.c). */
typedef struct mock_rq mock_rq;

struct pg_mock_server {
	pg_mock_config cfg;
	struct event_base *base;
	struct evhttp *http;
	struct event *stop_ev;	      /* activated by pg_mock_stop from another thread */
	struct evbuffer *out;	      /* scratch for one write; always drained */
	pg_mock_truth_log *truth_log; /* NULL without cfg.truth_log */
	pthread_t thread;
	int thread_started;
	int port;
	mock_rq *live;
	mock_rq *qhead, *qtail;
	int64_t active;	  /* requests holding a slot */
	uint64_t next_id; /* last request number handed out */
	int64_t requests_served;
	int64_t tokens_sent;
	int64_t faults_injected;
};

/* Sends an OpenAI-style error: {"error":{"message","type","param","code"}},
 * type "server_error" for 5xx and "invalid_request_error" otherwise. */
void pg_mock_send_error(struct evhttp_request *req, int status, const char *reason,
			const char *code, const char *message);
/* Answers a POST to the chat (chat != 0) or completions endpoint: parses
 * it, draws its fault and queues it, or answers at once. */
void pg_mock_completion_handle(pg_mock_server *srv, struct evhttp_request *req, int chat);
/* Frees every request not answered yet (at stop, before evhttp_free). */
void pg_mock_completions_drop(pg_mock_server *srv);

#endif
