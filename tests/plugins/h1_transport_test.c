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
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "perfgate/plugin.h"

const pg_plugin_desc *pg_builtin_h1(void);

#define DEADLINE_S 20

static pg_ns now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (pg_ns)ts.tv_sec * PG_NS_PER_S + ts.tv_nsec;
}

/* ---- fake host ---------------------------------------------------------- */

static long live_allocs;
static char last_error[512];
static int64_t opt_max_header, opt_max_body;

static void fake_log(pg_log_level level, const char *plugin, const char *fmt, ...)
{
	(void)level;
	(void)plugin;
	(void)fmt;
}

static void *fake_alloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p)
		__atomic_add_fetch(&live_allocs, 1, __ATOMIC_RELAXED);
	return p;
}

static void *fake_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p)
		__atomic_add_fetch(&live_allocs, 1, __ATOMIC_RELAXED);
	return p;
}

static void *fake_realloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);

	if (p && !ptr)
		__atomic_add_fetch(&live_allocs, 1, __ATOMIC_RELAXED);
	return p;
}

static void fake_free(void *ptr)
{
	if (ptr)
		__atomic_sub_fetch(&live_allocs, 1, __ATOMIC_RELAXED);
	free(ptr);
}

static char *fake_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = fake_alloc(n);

	if (p)
		memcpy(p, s, n);
	return p;
}

static const char *fake_opt_string(const pg_options *o, const char *name)
{
	(void)o;
	(void)name;
	return NULL;
}

static int64_t fake_opt_int(const pg_options *o, const char *name)
{
	(void)o;
	if (strcmp(name, "max_header_bytes") == 0)
		return opt_max_header;
	if (strcmp(name, "max_body_bytes") == 0)
		return opt_max_body;
	return 0;
}

static double fake_opt_double(const pg_options *o, const char *name)
{
	(void)o;
	(void)name;
	return 0;
}

static int fake_opt_bool(const pg_options *o, const char *name)
{
	(void)o;
	(void)name;
	return 0;
}

static pg_ns fake_opt_duration(const pg_options *o, const char *name)
{
	(void)o;
	(void)name;
	return 0;
}

static void fake_set_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
}

/* The fake option lookups ignore the object; any non-NULL pointer will do. */
static const char fake_opts_storage = 0;
#define fake_opts ((const pg_options *)&fake_opts_storage)

static const pg_host_api fake_host = {
    .version = PG_HOST_API_VERSION,
    .size = sizeof(pg_host_api),
    .log = fake_log,
    .alloc = fake_alloc,
    .calloc = fake_calloc,
    .realloc = fake_realloc,
    .free = fake_free,
    .strdup = fake_strdup,
    .now_ns = now_ns,
    .opt_string = fake_opt_string,
    .opt_int = fake_opt_int,
    .opt_double = fake_opt_double,
    .opt_bool = fake_opt_bool,
    .opt_duration = fake_opt_duration,
    .set_error = fake_set_error,
};

/* The plugin's own defaults for its int options. */
static void reset_options(void)
{
	const pg_option_spec *o;

	for (o = pg_builtin_h1()->options; o && o->name; o++) {
		if (strcmp(o->name, "max_header_bytes") == 0)
			opt_max_header = strtoll(o->default_value, NULL, 10);
		else if (strcmp(o->name, "max_body_bytes") == 0)
			opt_max_body = strtoll(o->default_value, NULL, 10);
	}
}

/* ---- scripted server ---------------------------------------------------- */

#define SRV_MAX_CONNS 64

typedef struct srv_conn {
	int fd;
	char buf[16384];
	size_t len;
	int drop_next;	   /* close instead of answering the next request */
	size_t sink_left;  /* bytes of a large body still to drop */
	size_t sink_len;   /* that body's length */
	uint32_t sink_sum; /* and the sum of its bytes */
} srv_conn;

typedef struct server {
	int lfd;
	int port;
	int wake[2];
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* under mu */
	int accepts;
	int requests;
	int peer_closes; /* connections the client closed */
	int gate;	 /* the test released /sse-gated */
	char last_request[4096];
	size_t last_len;
	/* server thread only */
	srv_conn conns[SRV_MAX_CONNS];
} server;

static void send_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void send_str(int fd, const char *s)
{
	send_all(fd, s, strlen(s));
}

static void srv_close(srv_conn *sc, int reset)
{
	if (reset) {
		struct linger lg = {1, 0};

		setsockopt(sc->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	close(sc->fd);
	sc->fd = -1;
	sc->len = 0;
	sc->drop_next = 0;
}

/* Answers with a Content-Length body (headers only for HEAD). */
static void respond(int fd, const char *status, const char *extra, const char *body, int head)
{
	char hdr[512];

	snprintf(hdr, sizeof(hdr),
		 "HTTP/1.1 %s\r\nContent-Type: application/json\r\n%sContent-Length: %zu\r\n\r\n",
		 status, extra, strlen(body));
	send_str(fd, hdr);
	if (!head)
		send_str(fd, body);
}

/* Waits until the test opens the gate (at most DEADLINE_S). */
static void wait_gate(server *s)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += DEADLINE_S;
	pthread_mutex_lock(&s->mu);
	while (!s->gate)
		if (pthread_cond_timedwait(&s->cv, &s->mu, &until) != 0)
			break;
	pthread_mutex_unlock(&s->mu);
}

static void short_pause(void)
{
	struct timespec ts = {0, 2 * 1000 * 1000}; /* lets chunks leave as separate segments */

	nanosleep(&ts, NULL);
}

/* Acts on one complete request; returns 0 when the connection goes on. */
static int handle(server *s, srv_conn *sc, const char *req, size_t len)
{
	char path[256] = "", method[16] = "";
	int head;
	char big[1001];

	pthread_mutex_lock(&s->mu);
	s->requests++;
	if (len < sizeof(s->last_request)) {
		memcpy(s->last_request, req, len);
		s->last_len = len;
	}
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	if (sscanf(req, "%15s %255s", method, path) != 2)
		return -1;
	head = strcmp(method, "HEAD") == 0;
	if (sc->drop_next) {
		srv_close(sc, 0);
		return -1;
	}
	if (strcmp(path, "/cl") == 0 || strncmp(path, "/v1/", 4) == 0) {
		respond(sc->fd, "200 OK", "", "{\"hello\":\"world\"}", head);
	} else if (strcmp(path, "/big") == 0) {
		memset(big, 'x', 1000);
		big[1000] = '\0';
		respond(sc->fd, "200 OK", "", big, 0);
	} else if (strcmp(path, "/404") == 0) {
		respond(sc->fd, "404 Not Found", "", "{\"error\":\"nope\"}", 0);
	} else if (strcmp(path, "/sse-gated") == 0) {
		send_str(sc->fd, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
				 "Transfer-Encoding: chunked\r\n\r\n"
				 "d\r\ndata: first\n\n\r\n");
		wait_gate(s);
		send_str(sc->fd, "e\r\ndata: second\n\n\r\n");
		short_pause();
		send_str(sc->fd, "D;ext=1\r\ndata: third\n\n\r\n");
		short_pause();
		send_str(sc->fd, "e\r\ndata: [DONE]\n\n\r\n");
		short_pause();
		send_str(sc->fd, "0\r\n\r\n");
	} else if (strcmp(path, "/drop-next") == 0) {
		respond(sc->fd, "200 OK", "", "{}", 0);
		sc->drop_next = 1;
	} else if (strcmp(path, "/drop-always") == 0) {
		srv_close(sc, 0);
		return -1;
	} else if (strcmp(path, "/close-after") == 0) {
		respond(sc->fd, "200 OK", "", "{}", 0);
		srv_close(sc, 0);
		return -1;
	} else if (strcmp(path, "/conn-close") == 0) {
		respond(sc->fd, "200 OK", "Connection: close\r\n", "{}", 0);
		srv_close(sc, 0);
		return -1;
	} else if (strcmp(path, "/http10") == 0) {
		send_str(sc->fd, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close");
		srv_close(sc, 0);
		return -1;
	} else if (strcmp(path, "/close-mid") == 0) {
		send_str(sc->fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
		srv_close(sc, 0);
		return -1;
	} else if (strcmp(path, "/reset") == 0) {
		srv_close(sc, 1);
		return -1;
	} else if (strcmp(path, "/reset-mid") == 0) {
		send_str(sc->fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
		srv_close(sc, 1);
		return -1;
	} else if (strcmp(path, "/garbage") == 0) {
		send_str(sc->fd, "HTPP/1.1 200 OK\r\n\r\n");
	} else if (strcmp(path, "/never") == 0) {
		/* keep the connection, never answer */
	} else {
		respond(sc->fd, "404 Not Found", "", "{}", head);
	}
	return 0;
}

/* Handles every complete request buffered on sc. */
static void serve_buffer(server *s, srv_conn *sc)
{
	for (;;) {
		char *end, *cl;
		size_t hdr_len, body_len = 0, total;

		sc->buf[sc->len] = '\0';
		end = strstr(sc->buf, "\r\n\r\n");
		if (end == NULL)
			return;
		hdr_len = (size_t)(end - sc->buf) + 4;
		for (cl = sc->buf; (cl = strchr(cl, '\n')) != NULL && cl < end; cl++)
			if (strncasecmp(cl + 1, "content-length:", 15) == 0)
				body_len = strtoul(cl + 16, NULL, 10);
		total = hdr_len + body_len;
		if (total > sizeof(sc->buf) - 1) {
			/* too large to buffer: sum the body as it streams in, then
			 * answer "length:sum" (see sink_bytes) */
			size_t k;

			sc->sink_len = body_len;
			sc->sink_sum = 0;
			for (k = hdr_len; k < sc->len; k++)
				sc->sink_sum += (unsigned char)sc->buf[k];
			sc->sink_left = total - sc->len;
			sc->len = 0;
			return;
		}
		if (sc->len < total)
			return;
		if (handle(s, sc, sc->buf, total) != 0)
			return;
		memmove(sc->buf, sc->buf + total, sc->len - total);
		sc->len -= total;
	}
}

/* n bytes of a large body arrived at the start of sc->buf (the client
 * sends one request at a time, so nothing follows the body). */
static void sink_bytes(srv_conn *sc, size_t n)
{
	char body[64];
	size_t k;

	for (k = 0; k < n; k++)
		sc->sink_sum += (unsigned char)sc->buf[k];
	sc->sink_left -= n < sc->sink_left ? n : sc->sink_left;
	if (sc->sink_left == 0) {
		snprintf(body, sizeof(body), "%zu:%u", sc->sink_len, (unsigned)sc->sink_sum);
		respond(sc->fd, "200 OK", "", body, 0);
	}
}

static void *server_main(void *arg)
{
	server *s = arg;

	for (;;) {
		struct pollfd pfd[2 + SRV_MAX_CONNS];
		int idx[2 + SRV_MAX_CONNS];
		int n = 0, i;

		pfd[n].fd = s->wake[0];
		pfd[n++].events = POLLIN;
		pfd[n].fd = s->lfd;
		pfd[n++].events = POLLIN;
		for (i = 0; i < SRV_MAX_CONNS; i++) {
			if (s->conns[i].fd >= 0) {
				idx[n] = i;
				pfd[n].fd = s->conns[i].fd;
				pfd[n++].events = POLLIN;
			}
		}
		if (poll(pfd, (nfds_t)n, -1) < 0)
			continue;
		if (pfd[0].revents)
			break;
		if (pfd[1].revents & POLLIN) {
			int fd = accept(s->lfd, NULL, NULL);

			for (i = 0; fd >= 0 && i < SRV_MAX_CONNS; i++) {
				if (s->conns[i].fd < 0) {
					s->conns[i].fd = fd;
					s->conns[i].len = 0;
					s->conns[i].drop_next = 0;
					break;
				}
			}
			if (fd >= 0 && i == SRV_MAX_CONNS)
				close(fd);
			pthread_mutex_lock(&s->mu);
			s->accepts += fd >= 0;
			pthread_cond_broadcast(&s->cv);
			pthread_mutex_unlock(&s->mu);
		}
		for (i = 2; i < n; i++) {
			srv_conn *sc = &s->conns[idx[i]];
			ssize_t r;

			if (!pfd[i].revents || sc->fd < 0)
				continue;
			r = recv(sc->fd, sc->buf + sc->len, sizeof(sc->buf) - 1 - sc->len, 0);
			if (r <= 0) {
				srv_close(sc, 0);
				pthread_mutex_lock(&s->mu);
				s->peer_closes++;
				pthread_cond_broadcast(&s->cv);
				pthread_mutex_unlock(&s->mu);
				continue;
			}
			if (sc->sink_left > 0)
				sink_bytes(sc, (size_t)r);
			else
				sc->len += (size_t)r;
			serve_buffer(s, sc);
		}
	}
	return NULL;
}

static server *server_start(int family)
{
	server *s = calloc(1, sizeof(*s));
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, i;

	assert_non_null(s);
	for (i = 0; i < SRV_MAX_CONNS; i++)
		s->conns[i].fd = -1;
	s->lfd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->lfd < 0) {
		free(s);
		return NULL;
	}
	setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		len = sizeof(*a);
	}
	if (bind(s->lfd, (struct sockaddr *)&ss, len) < 0 || listen(s->lfd, 64) < 0) {
		close(s->lfd);
		free(s);
		return NULL;
	}
	assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&ss, &len), 0);
	s->port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					  : ((struct sockaddr_in6 *)&ss)->sin6_port);
	assert_int_equal(pipe(s->wake), 0);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	assert_int_equal(pthread_create(&s->thread, NULL, server_main, s), 0);
	return s;
}

static void server_stop(server *s)
{
	int i;

	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->gate = 1; /* release a handler waiting on it */
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	assert_int_equal(write(s->wake[1], "x", 1), 1);
	pthread_join(s->thread, NULL);
	for (i = 0; i < SRV_MAX_CONNS; i++)
		if (s->conns[i].fd >= 0)
			close(s->conns[i].fd);
	close(s->lfd);
	close(s->wake[0]);
	close(s->wake[1]);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s);
}

static int server_get(server *s, const int *field)
{
	int v;

	pthread_mutex_lock(&s->mu);
	v = *field;
	pthread_mutex_unlock(&s->mu);
	return v;
}

static void server_open_gate(server *s)
{
	pthread_mutex_lock(&s->mu);
	s->gate = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
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
	pg_ns t_start, t_headers, t_first_body, t_done;
} xfer;

typedef struct harness {
	struct event_base *base;
	const pg_transport_ops *ops;
	pg_transport_env env;
	char base_url[128];
	server *srv;
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
		server_open_gate(x->h->srv);
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

static const pg_transfer_events events = {on_headers, on_body, on_done};

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
	x->t_start = now_ns();
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
	pg_ns until = now_ns() + (pg_ns)DEADLINE_S * PG_NS_PER_S;

	for (;;) {
		struct timespec ts;

		event_base_loop(h->base, EVLOOP_NONBLOCK);
		pthread_mutex_lock(&h->srv->mu);
		if (h->srv->requests >= n) {
			pthread_mutex_unlock(&h->srv->mu);
			return;
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 10 * 1000 * 1000; /* wake up to run the loop again */
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&h->srv->cv, &h->srv->mu, &ts);
		pthread_mutex_unlock(&h->srv->mu);
		assert_true(now_ns() < until);
	}
}

static void h_create(harness *h)
{
	int rc;

	rc = h->ops->create(&h->tr, &fake_host, fake_opts, &h->env);
	if (rc != 0)
		fail_msg("create failed: %d %s", rc, last_error);
	assert_non_null(h->tr);
}

/* Destroys the transport and checks it freed everything. */
static void h_destroy(harness *h)
{
	if (!h->destroyed && h->tr)
		h->ops->destroy(h->tr);
	h->tr = NULL;
	h->destroyed = 1;
	assert_int_equal(live_allocs, 0);
}

static int setup(void **state)
{
	harness *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return -1;
	reset_options();
	live_allocs = 0;
	h->ops = pg_builtin_h1()->ops;
	h->srv = server_start(AF_INET);
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
	server_stop(h->srv);
	free(h);
	return 0;
}

/* ---- tests -------------------------------------------------------------- */

static void test_descriptor(void **state)
{
	const pg_plugin_desc *d = pg_builtin_h1();
	const pg_option_spec *o;
	int n = 0;

	(void)state;
	assert_int_equal(d->abi_major, PG_PLUGIN_ABI_MAJOR);
	assert_int_equal(d->kind, PG_PLUGIN_TRANSPORT);
	assert_string_equal(d->name, "h1");
	assert_string_equal(d->version, "1.0.0");
	for (o = d->options; o->name; o++)
		n++;
	assert_int_equal(n, 2);
	assert_int_equal(opt_max_header, 65536);
	assert_int_equal(opt_max_body, 67108864);
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
	pthread_mutex_lock(&h->srv->mu);
	h->srv->last_request[h->srv->last_len] = '\0';
	assert_string_equal(h->srv->last_request, want);
	pthread_mutex_unlock(&h->srv->mu);
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
	pthread_mutex_lock(&h->srv->mu);
	h->srv->last_request[h->srv->last_len] = '\0';
	assert_string_equal(h->srv->last_request, want);
	pthread_mutex_unlock(&h->srv->mu);
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
	pthread_mutex_lock(&h->srv->mu);
	h->srv->last_request[h->srv->last_len] = '\0';
	assert_string_equal(h->srv->last_request, "GET /cl HTTP/1.1\r\nhost: example.test\r\n"
						  "User-Agent: custom/1\r\n\r\n");
	pthread_mutex_unlock(&h->srv->mu);
	h_destroy(h);
}

static void test_bad_env_header_fails_create(void **state)
{
	harness *h = *state;
	static const char *hdrs[] = {"NoColonHere", NULL};
	static const char *hdrs2[] = {"X-A: b\r\nX-Evil: 1", NULL};

	h->env.headers = hdrs;
	assert_int_equal(h->ops->create(&h->tr, &fake_host, fake_opts, &h->env), PG_EINVAL);
	assert_null(h->tr);
	assert_non_null(strstr(last_error, "bad header line"));
	h->env.headers = hdrs2;
	assert_int_equal(h->ops->create(&h->tr, &fake_host, fake_opts, &h->env), PG_EINVAL);
	h->env.base_url = "https://127.0.0.1/";
	h->env.headers = NULL;
	assert_int_equal(h->ops->create(&h->tr, &fake_host, fake_opts, &h->env), PG_EINVAL);
	assert_int_equal(live_allocs, 0);
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
	assert_int_equal(server_get(h->srv, &h->srv->accepts), 1);
	assert_int_equal(server_get(h->srv, &h->srv->requests), 20);
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
	assert_int_equal(server_get(h->srv, &h->srv->accepts), 1);
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
	assert_int_equal(server_get(h->srv, &h->srv->accepts), 1);
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
	assert_int_equal(server_get(h->srv, &h->srv->accepts), 2);
	assert_int_equal(server_get(h->srv, &h->srv->requests), 3);
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
	assert_int_equal(server_get(h->srv, &h->srv->accepts), 2);
	assert_int_equal(server_get(h->srv, &h->srv->requests), 3);
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
	assert_int_equal(server_get(h->srv, &h->srv->accepts), 2);
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
	assert_int_equal(server_get(h->srv, &h->srv->accepts), 3);
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
	assert_int_equal(server_get(h->srv, &h->srv->accepts), 2);
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
	server *v6;
	xfer *x;

	snprintf(h->base_url, sizeof(h->base_url), "http://localhost:%d", h->srv->port);
	h_create(h);
	x = start_req(h, "GET", "/cl", NULL);
	run_until(h, 1);
	assert_int_equal(x->fail, PG_FAIL_NONE);
	h_destroy(h);

	v6 = server_start(AF_INET6);
	if (v6 == NULL)
		return; /* no IPv6 loopback here */
	h->destroyed = 0;
	snprintf(h->base_url, sizeof(h->base_url), "http://[::1]:%d", v6->port);
	h_create(h);
	x = start_req(h, "GET", "/cl", NULL);
	run_until(h, 2);
	assert_int_equal(x->fail, PG_FAIL_NONE);
	assert_string_equal(x->body, "{\"hello\":\"world\"}");
	pthread_mutex_lock(&v6->mu);
	v6->last_request[v6->last_len] = '\0';
	assert_non_null(strstr(v6->last_request, "\r\nHost: [::1]:"));
	pthread_mutex_unlock(&v6->mu);
	h_destroy(h);
	server_stop(v6);
}

static void test_body_cap_is_a_protocol_failure(void **state)
{
	harness *h = *state;
	xfer *x;

	opt_max_body = 100;
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
	assert_int_equal(server_get(h->srv, &h->srv->accepts), 3);
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
	assert_int_equal(live_allocs, 0);
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
