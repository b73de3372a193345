/*
 * A scripted HTTP/1.1 server for transport tests. A thread listens on a
 * loopback port, reads requests (head plus Content-Length body) on every
 * connection and passes each to the test's handler, which writes the
 * answer bytes itself. The test thread reads the counters, the last
 * request and the gate through the functions below (they lock).
 */
#ifndef PG_TEST_SERVER_H
#define PG_TEST_SERVER_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define TEST_SERVER_MAX_CONNS 64
/* A request whose head and body are longer than this is not kept whole:
 * its body is counted and summed as it streams in, and the handler gets
 * the head only. */
#define TEST_SERVER_BUF 65536

typedef struct test_server test_server;

/* One accepted connection (server thread only). */
typedef struct test_conn {
	int fd;	      /* -1: the slot is free */
	int mark;     /* the handler's own flag; 0 when the connection is accepted */
	size_t len;   /* bytes in buf */
	size_t head;  /* of a request too long to keep: its head's length */
	size_t left;  /* and the body bytes still to come */
	size_t body;  /* its body's length */
	uint32_t sum; /* and the sum of the body bytes read so far */
	char buf[TEST_SERVER_BUF + 1]; /* + 1: room for a NUL after a request */
} test_conn;

/* One request as read. */
typedef struct test_request {
	const char *data; /* head and body, NUL-ended; the head only if !whole */
	size_t len;	  /* bytes at data */
	char method[16];
	char path[256];	   /* the path, also of an absolute-form target ("" if unparsable) */
	size_t body_len;   /* Content-Length */
	uint32_t body_sum; /* the sum of the body's bytes, modulo 2^32 */
	int whole;	   /* 0: the request was too long to keep (see TEST_SERVER_BUF) */
} test_request;

/* Answers one request on c (writing to c->fd); returns 0 to go on reading
 * the connection, non-zero after closing it with test_server_close. */
typedef int (*test_handler)(test_server *s, test_conn *c, const test_request *req);

struct test_server {
	int port;   /* the listening port (read-only) */
	void *user; /* the test's, for its handler */
	/* the rest is the server's own */
	int lfd;
	int wake[2];
	pthread_t thread;
	test_handler handler;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int accepts;		 /* under mu */
	int requests;		 /* under mu */
	int gate;		 /* under mu */
	char last_request[8192]; /* under mu */
	test_conn conns[TEST_SERVER_MAX_CONNS];
};

/* Starts a server on the loopback address of family (AF_INET, AF_INET6) at
 * a free port; NULL when that family cannot listen here. Stop it with
 * test_server_stop. */
test_server *test_server_start(int family, test_handler handler, void *user);
/* Opens the gate, stops the thread, closes every socket and frees s. */
void test_server_stop(test_server *s);

/* Connections accepted so far. */
int test_server_accepts(test_server *s);
/* Requests read so far (counted before the handler runs). */
int test_server_requests(test_server *s);
/* Waits up to timeout_ms for the request count to reach n; 1 if it did. */
int test_server_wait_requests(test_server *s, int n, int timeout_ms);
/* Copies the last request read (head and body as kept, truncated to fit). */
void test_server_last_request(test_server *s, char *out, size_t cap);

/* Lets a handler blocked in test_server_wait_gate go on. */
void test_server_open_gate(test_server *s);
/* From a handler: blocks until the test opens the gate (at most 60 s). */
void test_server_wait_gate(test_server *s);

/* From a handler: closes c; reset sends a TCP RST instead of a FIN. */
void test_server_close(test_conn *c, int reset);
/* Writes all of data to fd (gives up quietly if the peer went away). */
void test_send(int fd, const char *data, size_t len);
void test_send_str(int fd, const char *s);

#endif
