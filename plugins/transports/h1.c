/*
 * h1: a native HTTP/1.1 keep-alive client on the worker's libevent loop,
 * built to cost about as little per request as wrk.
 *
 * One instance serves one worker and one target (the host:port of
 * env->base_url, resolved once at create). It keeps a pool of keep-alive
 * connections, at most env->max_connections; a request takes the most
 * recently idle connection, or opens one, or waits in a FIFO queue. One
 * request per connection at a time (no pipelining).
 *
 * Per request in the steady state: one sendmsg() of the request head and
 * body (no copy of the body), one or a few recv() into a per-instance
 * buffer, the incremental parser (h1_parser.c) handing body pieces back as
 * pointers into that buffer, and one timer on a libevent common timeout
 * queue (O(1) add and delete). Sockets stay registered EV_READ|EV_PERSIST
 * for their whole life; EV_WRITE is used only while connecting or when a
 * write would block. Request objects and their timers are pooled.
 *
 * Failure classes: resolution and connect errors are PG_FAIL_CONNECT, the
 * request timeout PG_FAIL_TIMEOUT, resets and early closes PG_FAIL_NETWORK,
 * malformed responses and the body cap PG_FAIL_PROTOCOL. A request on a
 * reused connection that sees EOF or a reset before any response byte is
 * sent again once on a fresh connection (the server closed the idle
 * connection as we wrote), without a failure. Failures found inside start()
 * are delivered from the loop through the request's timer event.
 *
 * The plugin uses only the host API table, libevent and libc.
 */
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "h1_parser.h"
#include "perfgate/plugin.h"

#define H1_READ_BUF 16384 /* one recv(); shared by the instance's connections */
#define H1_MAX_ADDRS 8	  /* resolved addresses kept */
#define H1_MSG 256	  /* failure message buffer */
#define H1_DEFAULT_MAX_BODY ((uint64_t)64 * 1024 * 1024) /* as in the option table */

enum { CONN_CONNECTING, CONN_OPEN };

typedef struct h1 h1;
typedef struct h1_conn h1_conn;
typedef struct h1_req h1_req;

/* One request; pooled with its timer and head buffer. */
struct h1_req {
	h1 *t;
	const pg_request *req; /* caller-owned until done */
	void *ctx;
	const pg_transfer_events *events;
	h1_conn *conn;	     /* the connection carrying it, or NULL */
	struct event *timer; /* timeout, and deferred failure delivery */
	char *head;	     /* request line and headers */
	size_t head_len;
	size_t head_cap;
	size_t sent;	     /* bytes of head then body written */
	uint64_t body_bytes; /* response body bytes delivered */
	int head_request;    /* HEAD: the response has no body */
	int new_connection;
	int retried;
	int queued;
	int write_failed; /* the peer stopped reading; let the read side end it */
	int deferred;	  /* a failure waits in fail_class/msg for the loop */
	pg_error_class fail_class;
	char msg[H1_MSG];
	h1_req *next; /* wait queue or free list */
	h1_req *prev;
	h1_req *all_next; /* every request object, for destroy */
};

/* One connection; open connections without a request are idle. */
struct h1_conn {
	h1 *t;
	int fd;
	int state;
	int addr_idx;	      /* address being tried or used */
	int tries;	      /* addresses tried for this connection */
	int idle;	      /* on the idle list */
	unsigned long served; /* responses completed */
	struct event *rev;    /* EV_READ | EV_PERSIST while open */
	struct event *wev;    /* EV_WRITE while connecting or blocked */
	h1_req *req;
	pg_h1_parser parser;
	h1_conn *next; /* every connection */
	h1_conn *prev;
	h1_conn *idle_next; /* idle connections, most recent first */
	h1_conn *idle_prev;
};

struct h1 {
	const pg_host_api *host;
	struct event_base *base;
	char *origin; /* "http://authority" exactly as in base_url */
	size_t origin_len;
	char *host_name; /* host without brackets, for getaddrinfo and messages */
	int port;
	struct sockaddr_storage addrs[H1_MAX_ADDRS];
	socklen_t addr_lens[H1_MAX_ADDRS];
	int naddrs;
	int addr_pref;		    /* the address that last connected */
	char resolve_error[H1_MSG]; /* non-empty: every request fails with it */
	char *fixed;		    /* Host, User-Agent and env headers, CRLF-ended */
	size_t fixed_len;
	int send_content_type; /* env headers do not set their own */
	int send_accept;
	int report_retry_after; /* the host's events have retry_after (env version 2) */
	pg_ns timeout;
	const struct timeval *req_tv; /* common timeout; NULL: none */
	pg_ns connect_timeout;
	struct timeval connect_tv;
	int64_t max_conns;
	int64_t nconns;
	size_t max_header;
	uint64_t max_body;
	h1_conn *conns;
	h1_conn *idle;
	h1_req *queue_head;
	h1_req *queue_tail;
	h1_req *free_reqs;
	h1_req *all_reqs;
	char *rbuf;
	int pumping;
	int pump_again;
	int depth; /* our event callbacks on the stack */
	int dying; /* destroy() was called from inside a callback */
};

static void conn_open(h1_req *r);

/* ---- small helpers ------------------------------------------------------ */

static pg_ns mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (pg_ns)ts.tv_sec * PG_NS_PER_S + ts.tv_nsec;
}

static struct timeval ns_to_tv(pg_ns ns)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(ns / PG_NS_PER_S);
	tv.tv_usec = (suseconds_t)((ns % PG_NS_PER_S) / PG_NS_PER_US);
	return tv;
}

/* Thread-safe strerror (XSI strerror_r). */
static const char *err_text(char *buf, size_t n, int err)
{
	if (err == ECONNRESET)
		return "connection reset by peer";
	if (strerror_r(err, buf, n) != 0)
		snprintf(buf, n, "error %d", err);
	return buf;
}

/* ---- URLs --------------------------------------------------------------- */

typedef struct h1_url {
	const char *host; /* without brackets */
	size_t host_len;
	int port;
	const char *rest; /* first byte after the authority: '/', '?', '#' or NUL */
} h1_url;

/* Splits an http:// URL. Returns 0, or -1 when it is not one we can use. */
static int parse_url(h1_url *u, const char *url)
{
	const char *p, *end, *q;
	long port = 0;

	if (url == NULL || strncasecmp(url, "http://", 7) != 0)
		return -1;
	p = url + 7;
	end = p + strcspn(p, "/?#");
	for (q = p; q < end; q++)
		if ((unsigned char)*q <= 0x20 || *q == 0x7f || *q == '@')
			return -1; /* no blanks, controls or userinfo */
	if (*p == '[') {
		q = memchr(p, ']', (size_t)(end - p));
		if (q == NULL || q == p + 1)
			return -1;
		u->host = p + 1;
		u->host_len = (size_t)(q - p - 1);
		p = q + 1;
		if (p < end && *p != ':')
			return -1;
	} else {
		q = memchr(p, ':', (size_t)(end - p));
		u->host = p;
		u->host_len = (size_t)((q ? q : end) - p);
		p = q ? q : end;
	}
	if (u->host_len == 0)
		return -1;
	u->port = 80;
	if (p < end && ++p < end) {
		for (; p < end; p++) {
			if (*p < '0' || *p > '9')
				return -1;
			port = port * 10 + (*p - '0');
			if (port > 65535)
				return -1;
		}
		if (port == 0)
			return -1;
		u->port = (int)port;
	}
	u->rest = end;
	return 0;
}

static int h1_supports(const char *url)
{
	h1_url u;

	return parse_url(&u, url) == 0;
}

/* The request target for url: a pointer into url and its length (the
 * fragment dropped). Returns -1 when url is not on the instance's target
 * or holds bytes a request line cannot carry. */
static int request_path(h1 *t, const char *url, const char **path, size_t *len)
{
	const char *p = NULL, *q;
	h1_url u;

	if (strncmp(url, t->origin, t->origin_len) == 0 &&
	    strchr("/?#", url[t->origin_len]) != NULL) {
		p = url + t->origin_len; /* the common case: the base URL's own spelling */
	} else if (parse_url(&u, url) == 0 && u.port == t->port &&
		   u.host_len == strlen(t->host_name) &&
		   strncasecmp(u.host, t->host_name, u.host_len) == 0) {
		p = u.rest;
	} else {
		return -1;
	}
	for (q = p; *q && *q != '#'; q++)
		if ((unsigned char)*q <= 0x20 || *q == 0x7f)
			return -1;
	*path = p;
	*len = (size_t)(q - p);
	return 0;
}

/* ---- lists -------------------------------------------------------------- */

static void idle_push(h1 *t, h1_conn *c)
{
	c->idle = 1;
	c->idle_prev = NULL;
	c->idle_next = t->idle;
	if (t->idle)
		t->idle->idle_prev = c;
	t->idle = c;
}

static void idle_remove(h1 *t, h1_conn *c)
{
	if (!c->idle)
		return;
	if (c->idle_prev)
		c->idle_prev->idle_next = c->idle_next;
	else
		t->idle = c->idle_next;
	if (c->idle_next)
		c->idle_next->idle_prev = c->idle_prev;
	c->idle = 0;
	c->idle_next = c->idle_prev = NULL;
}

static void queue_push(h1 *t, h1_req *r)
{
	r->queued = 1;
	r->next = NULL;
	r->prev = t->queue_tail;
	if (t->queue_tail)
		t->queue_tail->next = r;
	else
		t->queue_head = r;
	t->queue_tail = r;
}

static void queue_remove(h1 *t, h1_req *r)
{
	if (!r->queued)
		return;
	if (r->prev)
		r->prev->next = r->next;
	else
		t->queue_head = r->next;
	if (r->next)
		r->next->prev = r->prev;
	else
		t->queue_tail = r->prev;
	r->queued = 0;
	r->next = r->prev = NULL;
}

/* ---- connections -------------------------------------------------------- */

/* Closes and frees c. A request on it stays alive, detached. */
static void conn_free(h1_conn *c)
{
	h1 *t = c->t;

	if (c->rev)
		event_free(c->rev);
	if (c->wev)
		event_free(c->wev);
	if (c->fd >= 0)
		close(c->fd);
	idle_remove(t, c);
	if (c->prev)
		c->prev->next = c->next;
	else
		t->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (c->req)
		c->req->conn = NULL;
	t->nconns--;
	t->host->free(c);
}

/* Hands a failure found outside an event callback (inside start(), or
 * while sending) to the loop: the request's timer fires at once. */
static void req_defer_fail(h1_req *r, pg_error_class cls, const char *msg)
{
	r->deferred = 1;
	r->fail_class = cls;
	if (msg != r->msg)
		snprintf(r->msg, sizeof(r->msg), "%s", msg);
	evtimer_del(r->timer);
	event_active(r->timer, EV_TIMEOUT, 1);
}

/* Ends r (already off any connection and queue) with done(); the object
 * returns to the pool afterwards, so msg may point into r. */
static void req_finish(h1_req *r, pg_error_class cls, const char *msg, pg_ns at)
{
	h1 *t = r->t;
	const pg_transfer_events *events = r->events;
	void *ctx = r->ctx;

	evtimer_del(r->timer);
	r->req = NULL;
	r->ctx = NULL;
	r->events = NULL;
	r->conn = NULL;
	r->deferred = 0;
	events->done(ctx, cls, msg, at, r->new_connection);
	r->next = t->free_reqs; /* harmless when dying: destroy frees every request */
	t->free_reqs = r;
}

/* Writes what is left of the request. Returns 0 when it is all written or
 * the rest waits for EV_WRITE; an errno value when the write failed. */
static int conn_send(h1_conn *c)
{
	h1_req *r = c->req;
	size_t body_len = r->req->body ? r->req->body_len : 0;
	size_t total = r->head_len + body_len;

	while (r->sent < total) {
		struct iovec iov[2];
		struct msghdr mh;
		ssize_t n;

		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = iov;
		if (r->sent < r->head_len) {
			iov[0].iov_base = r->head + r->sent;
			iov[0].iov_len = r->head_len - r->sent;
			iov[1].iov_base = r->req->body;
			iov[1].iov_len = body_len;
			mh.msg_iovlen = body_len ? 2 : 1;
		} else {
			iov[0].iov_base = r->req->body + (r->sent - r->head_len);
			iov[0].iov_len = total - r->sent;
			mh.msg_iovlen = 1;
		}
		n = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				event_add(c->wev, NULL);
				return 0;
			}
			return errno;
		}
		r->sent += (size_t)n;
	}
	return 0;
}

/* A write on c failed with err. */
static void conn_send_failed(h1_conn *c, int err)
{
	h1_req *r = c->req;
	char buf[128];

	if (pg_h1_parser_started(&c->parser)) {
		/* the server answered early and stopped reading: the read side
		 * ends the request (usually with that answer) */
		r->write_failed = 1;
		return;
	}
	if (c->served > 0 && !r->retried) {
		conn_free(c);
		r->retried = 1;
		r->sent = 0;
		conn_open(r);
		return;
	}
	conn_free(c);
	req_defer_fail(r, PG_FAIL_NETWORK, err_text(buf, sizeof(buf), err));
}

/* Puts r on connection c and starts writing it. */
static void conn_assign(h1_conn *c, h1_req *r)
{
	int err;

	c->req = r;
	r->conn = c;
	r->sent = 0;
	r->write_failed = 0;
	pg_h1_parser_reset(&c->parser, r->head_request);
	if (c->state == CONN_OPEN && (err = conn_send(c)) != 0)
		conn_send_failed(c, err);
}

/* Gives queued requests idle connections or new ones while it can. */
static void pump(h1 *t)
{
	h1_req *r;

	if (t->pumping) {
		t->pump_again = 1;
		return;
	}
	t->pumping = 1;
	do {
		t->pump_again = 0;
		while ((r = t->queue_head) != NULL) {
			if (t->idle) {
				h1_conn *c = t->idle;

				idle_remove(t, c);
				queue_remove(t, r);
				conn_assign(c, r);
			} else if (t->nconns < t->max_conns) {
				queue_remove(t, r);
				conn_open(r);
			} else {
				break;
			}
		}
	} while (t->pump_again);
	t->pumping = 0;
}

/* c finished a response and can carry another request. */
static void conn_idle(h1_conn *c)
{
	h1 *t = c->t;
	h1_req *r = t->queue_head;

	c->req = NULL;
	if (r) {
		queue_remove(t, r);
		conn_assign(c, r);
	} else {
		idle_push(t, c);
	}
}

static void conn_read_cb(evutil_socket_t fd, short what, void *arg);
static void conn_write_cb(evutil_socket_t fd, short what, void *arg);

static void conn_drop_socket(h1_conn *c)
{
	if (c->rev)
		event_free(c->rev);
	if (c->wev)
		event_free(c->wev);
	if (c->fd >= 0)
		close(c->fd);
	c->rev = c->wev = NULL;
	c->fd = -1;
}

/* c's socket is connected: read from now on and write the request. */
static void conn_connected(h1_conn *c)
{
	int err;

	c->state = CONN_OPEN;
	c->t->addr_pref = c->addr_idx;
	event_add(c->rev, NULL);
	if ((err = conn_send(c)) != 0)
		conn_send_failed(c, err);
}

/* Starts connecting c to one address. Returns 0 (in progress or done) or
 * an errno value. */
static int conn_try(h1_conn *c, int idx)
{
	h1 *t = c->t;
	const struct sockaddr *sa = (const struct sockaddr *)&t->addrs[idx];
	int one = 1, fd;

	conn_drop_socket(c);
	c->addr_idx = idx;
	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0)
		return errno;
	c->fd = fd;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->rev = event_new(t->base, fd, EV_READ | EV_PERSIST, conn_read_cb, c);
	c->wev = event_new(t->base, fd, EV_WRITE, conn_write_cb, c);
	if (!c->rev || !c->wev)
		return ENOMEM;
	if (connect(fd, sa, t->addr_lens[idx]) == 0) {
		conn_connected(c);
		return 0;
	}
	if (errno != EINPROGRESS)
		return errno;
	c->state = CONN_CONNECTING;
	event_add(c->wev, t->connect_timeout > 0 ? &t->connect_tv : NULL);
	return 0;
}

/* Tries the addresses not tried yet, starting from the preferred one.
 * Returns 0 when one is connecting, else the last errno value. */
static int conn_try_next(h1_conn *c)
{
	h1 *t = c->t;
	int err = ECONNREFUSED;

	while (c->tries < t->naddrs) {
		int idx = (t->addr_pref + c->tries) % t->naddrs;

		c->tries++;
		if ((err = conn_try(c, idx)) == 0)
			return 0;
	}
	return err;
}

static void connect_fail_msg(h1_req *r, int err)
{
	h1 *t = r->t;
	char buf[128];

	if (err == ETIMEDOUT)
		snprintf(r->msg, sizeof(r->msg),
			 "connect to %s port %d timed out after %" PRId64 " ms", t->host_name,
			 t->port, t->connect_timeout / PG_NS_PER_MS);
	else
		snprintf(r->msg, sizeof(r->msg), "connect to %s port %d: %s", t->host_name, t->port,
			 err_text(buf, sizeof(buf), err));
}

/* Opens a new connection for r. Failures are deferred to the loop. */
static void conn_open(h1_req *r)
{
	h1 *t = r->t;
	h1_conn *c = t->host->calloc(1, sizeof(*c));
	int err;

	if (c == NULL) {
		req_defer_fail(r, PG_FAIL_CONNECT, "out of memory");
		return;
	}
	c->t = t;
	c->fd = -1;
	c->next = t->conns;
	if (t->conns)
		t->conns->prev = c;
	t->conns = c;
	t->nconns++;
	c->req = r;
	r->conn = c;
	r->new_connection = 1;
	r->sent = 0;
	r->write_failed = 0;
	pg_h1_parser_init(&c->parser, t->max_header);
	pg_h1_parser_reset(&c->parser, r->head_request);
	if ((err = conn_try_next(c)) != 0) {
		conn_free(c);
		connect_fail_msg(r, err);
		req_defer_fail(r, PG_FAIL_CONNECT, r->msg);
	}
}

/* ---- event callbacks ---------------------------------------------------- */

static void h1_free_all(h1 *t);

static void enter(h1 *t)
{
	t->depth++;
}

static void leave(h1 *t)
{
	if (--t->depth == 0 && t->dying)
		h1_free_all(t);
}

static void conn_write_cb(evutil_socket_t fd, short what, void *arg)
{
	h1_conn *c = arg;
	h1 *t = c->t;
	int err = 0;

	(void)fd;
	enter(t);
	if (c->state == CONN_CONNECTING) {
		socklen_t len = sizeof(err);

		if (what & EV_TIMEOUT)
			err = ETIMEDOUT;
		else if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err == 0) {
			conn_connected(c);
		} else {
			int tried = c->tries, err2 = conn_try_next(c);
			h1_req *r = c->req;

			if (err2 == 0)
				goto out; /* the next address is connecting */
			if (c->tries > tried)
				err = err2; /* report the last address tried */
			conn_free(c);
			connect_fail_msg(r, err);
			pump(t);
			req_finish(r, PG_FAIL_CONNECT, r->msg, mono_now());
		}
	} else if (c->req && (err = conn_send(c)) != 0) {
		conn_send_failed(c, err);
	}
out:
	leave(t);
}

/* Ends c's request with done() after closing c. */
static void conn_fail(h1_conn *c, pg_error_class cls, const char *msg, pg_ns at)
{
	h1 *t = c->t;
	h1_req *r = c->req;

	if (msg != r->msg)
		snprintf(r->msg, sizeof(r->msg), "%s", msg);
	conn_free(c);
	pump(t);
	req_finish(r, cls, r->msg, at);
}

/* Parses n bytes read on c. Returns 0 to read on, 1 when c's request
 * ended (c may be gone) or the instance is being destroyed. */
static int conn_parse(h1_conn *c, size_t n, pg_ns at)
{
	h1 *t = c->t;
	h1_req *r = c->req;
	size_t off = 0, total;
	pg_h1_piece pc;
	int reuse;

	for (;;) {
		int rc = pg_h1_parser_feed(&pc, &c->parser, t->rbuf + off, n - off);

		off += pc.consumed;
		switch (rc) {
		case PG_H1_AGAIN:
			return 0;
		case PG_H1_HEADERS:
			if (t->report_retry_after && c->parser.has_retry_after &&
			    r->events->retry_after != NULL) {
				r->events->retry_after(r->ctx, c->parser.retry_after);
				if (t->dying)
					return 1;
			}
			r->events->headers(
			    r->ctx, c->parser.status,
			    c->parser.has_content_type ? c->parser.content_type : NULL, at);
			if (t->dying)
				return 1;
			break;
		case PG_H1_BODY:
			if (pc.len > t->max_body - r->body_bytes) {
				snprintf(r->msg, sizeof(r->msg),
					 "response body larger than %" PRIu64 " bytes",
					 t->max_body);
				conn_fail(c, PG_FAIL_PROTOCOL, r->msg, at);
				return 1;
			}
			r->body_bytes += pc.len;
			r->events->body(r->ctx, pc.data, pc.len, at);
			if (t->dying)
				return 1;
			break;
		case PG_H1_DONE:
			total = r->head_len + (r->req->body ? r->req->body_len : 0);
			reuse = c->parser.keep_alive && off == n && r->sent == total &&
				!r->write_failed;
			c->served++;
			c->req = NULL;
			r->conn = NULL;
			if (reuse) {
				conn_idle(c);
			} else {
				conn_free(c);
				pump(t);
			}
			req_finish(r, PG_FAIL_NONE, NULL, at);
			return 1;
		default:
			conn_fail(c, PG_FAIL_PROTOCOL, c->parser.error, at);
			return 1;
		}
	}
}

/* c saw EOF (err 0) or a read error. */
static void conn_lost(h1_conn *c, int err, pg_ns at)
{
	h1 *t = c->t;
	h1_req *r = c->req;
	char buf[128];
	int started;

	if (r == NULL) { /* an idle connection the server closed */
		conn_free(c);
		pump(t);
		return;
	}
	started = pg_h1_parser_started(&c->parser);
	if (!started && c->served > 0 && !r->retried) {
		conn_free(c);
		r->retried = 1;
		conn_open(r);
		return;
	}
	if (err == 0 && started && pg_h1_parser_eof(&c->parser) == PG_H1_DONE) {
		c->req = NULL;
		r->conn = NULL;
		conn_free(c);
		pump(t);
		req_finish(r, PG_FAIL_NONE, NULL, at);
		return;
	}
	if (err != 0)
		conn_fail(c, PG_FAIL_NETWORK, err_text(buf, sizeof(buf), err), at);
	else if (started)
		conn_fail(c, PG_FAIL_NETWORK, "connection closed before the response ended", at);
	else
		conn_fail(c, PG_FAIL_NETWORK, "connection closed before the response started", at);
}

static void conn_read_cb(evutil_socket_t fd, short what, void *arg)
{
	h1_conn *c = arg;
	h1 *t = c->t;

	(void)fd;
	(void)what;
	enter(t);
	for (;;) {
		ssize_t n = recv(c->fd, t->rbuf, H1_READ_BUF, 0);
		pg_ns at = mono_now();

		if (n > 0) {
			if (c->req == NULL) { /* bytes nobody asked for */
				conn_free(c);
				pump(t);
				break;
			}
			if (conn_parse(c, (size_t)n, at) != 0 || (size_t)n < H1_READ_BUF)
				break;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			break;
		} else {
			conn_lost(c, n == 0 ? 0 : errno, at);
			break;
		}
	}
	leave(t);
}

static void req_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	h1_req *r = arg;
	h1 *t = r->t;

	(void)fd;
	(void)what;
	enter(t);
	if (r->deferred) {
		req_finish(r, r->fail_class, r->msg, mono_now());
	} else {
		queue_remove(t, r);
		if (r->conn) {
			h1_conn *c = r->conn;

			c->req = NULL;
			r->conn = NULL;
			conn_free(c);
		}
		snprintf(r->msg, sizeof(r->msg), "no complete response within %" PRId64 " ms",
			 t->timeout / PG_NS_PER_MS);
		pump(t);
		req_finish(r, PG_FAIL_TIMEOUT, r->msg, mono_now());
	}
	leave(t);
}

/* ---- instance ----------------------------------------------------------- */

static void h1_free_all(h1 *t)
{
	h1_req *r, *next;

	while (t->conns) {
		t->conns->req = NULL;
		conn_free(t->conns);
	}
	for (r = t->all_reqs; r; r = next) {
		next = r->all_next;
		if (r->timer)
			event_free(r->timer);
		t->host->free(r->head);
		t->host->free(r);
	}
	t->host->free(t->origin);
	t->host->free(t->host_name);
	t->host->free(t->fixed);
	t->host->free(t->rbuf);
	t->host->free(t);
}

static void h1_destroy(void *inst)
{
	h1 *t = inst;

	if (t == NULL)
		return;
	if (t->depth > 0)
		t->dying = 1; /* called from a callback: free when it unwinds */
	else
		h1_free_all(t);
}

/* Resolves the target once; a failure is kept for every request. */
static void resolve(h1 *t)
{
	struct addrinfo hints, *res = NULL, *ai;
	char port[16];
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	snprintf(port, sizeof(port), "%d", t->port);
	rc = getaddrinfo(t->host_name, port, &hints, &res);
	if (rc != 0) {
		snprintf(t->resolve_error, sizeof(t->resolve_error), "cannot resolve %s: %s",
			 t->host_name, gai_strerror(rc));
		return;
	}
	for (ai = res; ai && t->naddrs < H1_MAX_ADDRS; ai = ai->ai_next) {
		if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
		    ai->ai_addrlen > sizeof(t->addrs[0]))
			continue;
		memcpy(&t->addrs[t->naddrs], ai->ai_addr, ai->ai_addrlen);
		t->addr_lens[t->naddrs] = (socklen_t)ai->ai_addrlen;
		t->naddrs++;
	}
	freeaddrinfo(res);
	if (t->naddrs == 0)
		snprintf(t->resolve_error, sizeof(t->resolve_error),
			 "cannot resolve %s: no IPv4 or IPv6 address", t->host_name);
}

/* Whether the "Name: value" line sets header name (case-insensitive). */
static int header_is(const char *line, const char *name)
{
	size_t n = strlen(name);

	return strncasecmp(line, name, n) == 0 && line[n] == ':';
}

/* Checks one env header line: a token name, ':', no CR or LF. */
static int header_line_ok(const char *line)
{
	const char *p = line;

	while (*p && *p != ':' && (unsigned char)*p > 0x20 && *p != 0x7f)
		p++;
	return p > line && *p == ':' && strpbrk(line, "\r\n") == NULL;
}

/* Builds the part of every request head that never changes. */
static int build_fixed(h1 *t, const pg_transport_env *env, int bracket)
{
	const char *const *h;
	size_t cap = 128 + strlen(t->host_name), len = 0;
	int send_host = 1, send_ua = 1, n;

	for (h = env->headers; h && *h; h++) {
		if (!header_line_ok(*h)) {
			/* the name only: the value may be a credential */
			t->host->set_error("h1: bad header line '%.*s...' (want 'Name: value')",
					   (int)strcspn(*h, ": \t\r\n"), *h);
			return PG_EINVAL;
		}
		cap += strlen(*h) + 2;
		send_host &= !header_is(*h, "host");
		send_ua &= !header_is(*h, "user-agent");
		t->send_content_type &= !header_is(*h, "content-type");
		t->send_accept &= !header_is(*h, "accept");
	}
	if ((t->fixed = t->host->alloc(cap)) == NULL)
		return PG_ENOMEM;
	if (send_host) {
		if (t->port == 80)
			n = snprintf(t->fixed, cap, "Host: %s%s%s\r\n", bracket ? "[" : "",
				     t->host_name, bracket ? "]" : "");
		else
			n = snprintf(t->fixed, cap, "Host: %s%s%s:%d\r\n", bracket ? "[" : "",
				     t->host_name, bracket ? "]" : "", t->port);
		len += (size_t)n;
	}
	if (send_ua)
		len += (size_t)snprintf(t->fixed + len, cap - len, "User-Agent: perfgate\r\n");
	for (h = env->headers; h && *h; h++)
		len += (size_t)snprintf(t->fixed + len, cap - len, "%s\r\n", *h);
	t->fixed_len = len;
	return 0;
}

static int h1_create(void **out, const pg_host_api *host, const pg_options *opts,
		     const pg_transport_env *env)
{
	h1 *t = NULL;
	h1_url u;
	int64_t v;
	int rc = PG_ENOMEM;

	*out = NULL;
	if (env == NULL || env->event_base == NULL) {
		host->set_error("h1: no event loop given");
		return PG_EINVAL;
	}
	if (parse_url(&u, env->base_url) < 0) {
		host->set_error("h1: '%s' is not an http:// URL h1 can use (credentials in a URL "
				"need the curl transport)",
				env->base_url ? env->base_url : "");
		return PG_EINVAL;
	}
	if ((t = host->calloc(1, sizeof(*t))) == NULL)
		return PG_ENOMEM;
	t->host = host;
	t->base = env->event_base;
	t->port = u.port;
	t->send_content_type = t->send_accept = 1;
	t->report_retry_after = env->version >= 2;
	t->origin_len = (size_t)(u.rest - env->base_url);
	t->origin = host->alloc(t->origin_len + 1);
	t->host_name = host->alloc(u.host_len + 1);
	t->rbuf = host->alloc(H1_READ_BUF);
	if (!t->origin || !t->host_name || !t->rbuf)
		goto done;
	memcpy(t->origin, env->base_url, t->origin_len);
	t->origin[t->origin_len] = '\0';
	memcpy(t->host_name, u.host, u.host_len);
	t->host_name[u.host_len] = '\0';
	if ((rc = build_fixed(t, env, u.host[-1] == '[')) < 0)
		goto done;
	v = opts ? host->opt_int(opts, "max_header_bytes") : 0;
	t->max_header = v > 0 ? (size_t)v : PG_H1_DEFAULT_MAX_HEADER;
	v = opts ? host->opt_int(opts, "max_body_bytes") : 0;
	t->max_body = v > 0 ? (uint64_t)v : H1_DEFAULT_MAX_BODY;
	t->max_conns = env->max_connections > 0 ? env->max_connections : INT64_MAX;
	t->timeout = env->timeout;
	if (t->timeout > 0) {
		struct timeval tv = ns_to_tv(t->timeout);

		/* every request shares one duration: an O(1) queue, not the heap */
		t->req_tv = event_base_init_common_timeout(t->base, &tv);
		if (t->req_tv == NULL)
			goto done;
	}
	t->connect_timeout = env->connect_timeout;
	if (t->connect_timeout > 0)
		t->connect_tv = ns_to_tv(t->connect_timeout);
	resolve(t);
	*out = t;
	t = NULL;
	rc = 0;
done:
	if (t)
		h1_free_all(t);
	return rc;
}

/* Formats the request head into r->head. */
static int build_head(h1 *t, h1_req *r, const pg_request *req, const char *path, size_t path_len)
{
	const char *method = req->method ? req->method : (req->body ? "POST" : "GET");
	const char *ct = t->send_content_type ? req->content_type : NULL;
	const char *acc = t->send_accept ? req->accept : NULL;
	size_t mlen = strlen(method), ctlen = ct ? strlen(ct) : 0, alen = acc ? strlen(acc) : 0;
	size_t need, len = 0;
	char cl[48];
	int cllen = 0;

	if (path_len == 0) {
		path = "/";
		path_len = 1;
	}
	if (req->body)
		cllen = snprintf(cl, sizeof(cl), "Content-Length: %zu\r\n", req->body_len);
	need = mlen + 1 + path_len + 11 + t->fixed_len + (ct ? 16 + ctlen : 0) +
	       (acc ? 10 + alen : 0) + (size_t)cllen + 2;
	if (need > r->head_cap) {
		char *p = t->host->realloc(r->head, need);

		if (p == NULL)
			return PG_ENOMEM;
		r->head = p;
		r->head_cap = need;
	}
#define PUT(s, n)                                                                                  \
	do {                                                                                       \
		memcpy(r->head + len, (s), (n));                                                   \
		len += (n);                                                                        \
	} while (0)
	PUT(method, mlen);
	PUT(" ", 1);
	PUT(path, path_len);
	PUT(" HTTP/1.1\r\n", 11);
	PUT(t->fixed, t->fixed_len);
	if (ct) {
		PUT("Content-Type: ", 14);
		PUT(ct, ctlen);
		PUT("\r\n", 2);
	}
	if (acc) {
		PUT("Accept: ", 8);
		PUT(acc, alen);
		PUT("\r\n", 2);
	}
	PUT(cl, (size_t)cllen);
	PUT("\r\n", 2);
#undef PUT
	r->head_len = len;
	r->head_request = strcmp(method, "HEAD") == 0;
	return 0;
}

/* A pooled request object, or a new one. */
static h1_req *req_get(h1 *t)
{
	h1_req *r = t->free_reqs;

	if (r) {
		t->free_reqs = r->next;
		r->next = NULL;
		return r;
	}
	if ((r = t->host->calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->t = t;
	r->timer = evtimer_new(t->base, req_timer_cb, r);
	if (r->timer == NULL) {
		t->host->free(r);
		return NULL;
	}
	r->all_next = t->all_reqs;
	t->all_reqs = r;
	return r;
}

static int h1_start(void *inst, const pg_request *req, void *ctx, const pg_transfer_events *events)
{
	h1 *t = inst;
	const char *path;
	size_t path_len;
	h1_req *r;
	int rc;

	if (t == NULL || t->dying || req == NULL || events == NULL)
		return PG_EINVAL;
	if (req->url == NULL || request_path(t, req->url, &path, &path_len) < 0) {
		t->host->set_error("h1: '%s' is not a usable URL on %s", req->url ? req->url : "",
				   t->origin);
		return PG_EINVAL;
	}
	if ((r = req_get(t)) == NULL)
		return PG_ENOMEM;
	if ((rc = build_head(t, r, req, path, path_len)) < 0) {
		r->next = t->free_reqs;
		t->free_reqs = r;
		return rc;
	}
	r->req = req;
	r->ctx = ctx;
	r->events = events;
	r->conn = NULL;
	r->sent = 0;
	r->body_bytes = 0;
	r->new_connection = 0;
	r->retried = 0;
	r->queued = 0;
	r->write_failed = 0;
	r->deferred = 0;
	if (t->resolve_error[0]) {
		req_defer_fail(r, PG_FAIL_CONNECT, t->resolve_error);
		return 0;
	}
	if (t->req_tv)
		evtimer_add(r->timer, t->req_tv);
	if (t->idle) {
		h1_conn *c = t->idle;

		idle_remove(t, c);
		conn_assign(c, r);
	} else if (t->nconns < t->max_conns) {
		conn_open(r);
	} else {
		queue_push(t, r);
	}
	return 0;
}

static const pg_option_spec h1_options[] = {
    {"max_header_bytes", PG_OPT_INT, "65536", "bytes", 1024, 16777216,
     "cap on a response's status line and header section (and on its trailers)"},
    {"max_body_bytes", PG_OPT_INT, "67108864", "bytes", 1, 1099511627776.0,
     "cap on one response body after de-chunking; a larger body fails as a protocol error"},
    {0},
};

static const pg_transport_ops h1_ops = {
    .create = h1_create,
    .destroy = h1_destroy,
    .start = h1_start,
    .supports = h1_supports,
};

static const pg_plugin_desc h1_desc = {
    PG_PLUGIN_DESC_INIT(PG_PLUGIN_TRANSPORT, "h1"),
    .version = "1.0.0",
    .description = "native HTTP/1.1 keep-alive client on libevent (http:// only)",
    .options = h1_options,
    .ops = &h1_ops,
};

PG_PLUGIN_EXPORT(h1, h1_desc)
