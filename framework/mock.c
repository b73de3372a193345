/*
 * mock: the simulated model server's front: listening, routing (chat and
 * text completions, models), start and stop in a thread of its own or in
 * the calling thread. Completion requests are answered by
 * mock_completion.c; the timing model and the faults' draws are in
 * mock_model.c, the faults' effects and the truth log in mock_faults.c.
 */
#include "mock.h"

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/thread.h>

#include "error.h"
#include "mock_faults.h"
#include "mock_model.h"
#include "mock_server.h"

#define MOCK_MAX_BODY (16 * 1024 * 1024) /* larger requests get 413 from evhttp */
#define MOCK_MAX_HEADERS (64 * 1024)
/* Idle and I/O timeout of a connection: long, because a simulated answer
 * may legitimately take minutes before its first byte. */
#define MOCK_CONN_TIMEOUT_S 3600

static pthread_once_t threads_once = PTHREAD_ONCE_INIT;
static int threads_rc;

static void threads_init(void)
{
	threads_rc = evthread_use_pthreads();
}

static void handle_models(struct evhttp_request *req)
{
	struct evbuffer *b = evbuffer_new();

	if (b == NULL) {
		pg_mock_send_error(req, 500, "Internal Server Error", "server_error",
				   "out of memory");
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
	pg_mock_send_error(req, 405, "Method Not Allowed", "method_not_allowed", msg);
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
			pg_mock_completion_handle(srv, req, p[1] == 'c' && p[2] == 'h');
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
		pg_mock_send_error(req, 404, "Not Found", "not_found", msg);
	}
}

/* Frees m; the truth log is written out last, once every connection (and
 * the truth watches they own) is gone. Returns what closing the truth log
 * returned. */
static int server_free(pg_mock_server *m)
{
	int rc;

	if (m == NULL)
		return 0;
	pg_mock_completions_drop(m);
	if (m->http != NULL)
		evhttp_free(m->http);
	if (m->stop_ev != NULL)
		event_free(m->stop_ev);
	if (m->out != NULL)
		evbuffer_free(m->out);
	if (m->base != NULL)
		event_base_free(m->base);
	rc = pg_mock_truth_log_close(m->truth_log);
	free(m);
	return rc;
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
	m->cfg.speed = pg_mock_run_speed(cfg); /* the run's speed, noise included */
	if (cfg->truth_log[0] != '\0') {
		rc = pg_mock_truth_log_open(&m->truth_log, cfg->truth_log);
		if (rc != 0)
			goto done;
		rc = PG_ENOMEM;
	}
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
	(void)server_free(m);
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
	(void)server_free(m);
	return rc;
}

int pg_mock_port(const pg_mock_server *m)
{
	return m != NULL ? m->port : -1;
}

double pg_mock_effective_speed(const pg_mock_server *m)
{
	return m != NULL ? m->cfg.speed : 0.0;
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
	(void)server_free(m);
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
	int rc, rc_free;

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
	printf("perfgate mock effective speed %.6g (speed %g x run noise factor %.6g; "
	       "a time multiplier)\n",
	       m->cfg.speed, cfg->speed, m->cfg.speed / cfg->speed);
	fflush(stdout);
	event_base_loop(m->base, EVLOOP_NO_EXIT_ON_EMPTY);
	printf("perfgate mock stopped after %" PRId64 " requests and %" PRId64 " tokens (%" PRId64
	       " faults injected)\n",
	       m->requests_served, m->tokens_sent, m->faults_injected);
	fflush(stdout);
	sigaction(SIGPIPE, &old_pipe, NULL);
done:
	if (sint != NULL)
		event_free(sint);
	if (sterm != NULL)
		event_free(sterm);
	rc_free = server_free(m);
	return rc != 0 ? rc : rc_free;
}
