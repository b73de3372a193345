/*
 * mock_faults: injected error answers, the TCP reset and the truth log of
 * the mock server. See mock_faults.h.
 */
#include "mock_faults.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "clock.h"
#include "error.h"

/* Truth lines are written out when this much is buffered. */
#define TRUTH_BUF_SIZE (64 * 1024)
/* Longest truth line: four 20-digit numbers, three spaces, a newline. */
#define TRUTH_LINE_MAX 96
/* Buffered chunks written straight to the socket before a reset. */
#define RESET_MAX_EXTENTS 16

void pg_mock_send_fault(struct evhttp_request *req, pg_mock_fault f, int64_t retry_after_s)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *b = evbuffer_new();
	const char *reason = "Internal Server Error";
	int status = 500;
	char retry[32];

	switch (f) {
	case PG_MOCK_FAULT_RATE_LIMIT:
		status = 429;
		reason = "Too Many Requests";
		if (b != NULL)
			evbuffer_add_printf(b,
					    "{\"error\":{\"message\":\"mock: injected rate limit, "
					    "retry after %" PRId64 " s\",\"type\":\"requests\","
					    "\"code\":\"rate_limit_exceeded\"}}\n",
					    retry_after_s);
		break;
	case PG_MOCK_FAULT_UNAVAILABLE:
		status = 503;
		reason = "Service Unavailable";
		if (b != NULL)
			evbuffer_add_printf(
			    b, "{\"error\":{\"message\":\"mock: injected service "
			       "unavailable\",\"type\":\"server_error\",\"code\":503}}\n");
		break;
	case PG_MOCK_FAULT_MIDSTREAM:
		if (b != NULL)
			evbuffer_add_printf(b,
					    "{\"error\":{\"message\":\"mock: injected mid-stream "
					    "error\",\"type\":\"server_error\",\"code\":500}}\n");
		break;
	default:
		if (b != NULL)
			evbuffer_add_printf(b,
					    "{\"error\":{\"message\":\"mock: injected server "
					    "error\",\"type\":\"server_error\",\"code\":500}}\n");
		break;
	}
	if (status != 500) {
		snprintf(retry, sizeof(retry), "%" PRId64, retry_after_s);
		evhttp_add_header(h, "Retry-After", retry);
	}
	evhttp_add_header(h, "Content-Type", "application/json");
	evhttp_send_reply(req, status, reason, b);
	if (b != NULL)
		evbuffer_free(b);
}

void pg_mock_reset_connection(struct evhttp_connection *evcon)
{
	struct bufferevent *bev = evhttp_connection_get_bufferevent(evcon);
	evutil_socket_t fd = bufferevent_getfd(bev);
	struct evbuffer_iovec vec[RESET_MAX_EXTENTS];
	struct linger lg = {1, 0};
	struct sockaddr unspec;
	int n, i;

	if (fd >= 0) {
		/* The tokens of this step are still in evhttp's buffer and a
		 * reset throws away what the kernel has not sent: write them
		 * now (a few hundred bytes; loopback delivers them at once). */
		n = evbuffer_peek(bufferevent_get_output(bev), -1, NULL, vec, RESET_MAX_EXTENTS);
		for (i = 0; i < n && i < RESET_MAX_EXTENTS; i++) {
			ssize_t w =
			    send(fd, vec[i].iov_base, vec[i].iov_len, MSG_NOSIGNAL | MSG_DONTWAIT);

			if (w < 0 || (size_t)w < vec[i].iov_len)
				break;
		}
		/* Abortive close: linger on with a zero timeout makes close()
		 * send an RST. evhttp shuts the socket down for writing before
		 * the (deferred) close, which would send a FIN first, so also
		 * disconnect now: on Linux connect(AF_UNSPEC) on a TCP socket
		 * aborts it with an RST at once. Elsewhere it may fail; the
		 * linger setting still ends the connection with an RST. */
		(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		memset(&unspec, 0, sizeof(unspec));
		unspec.sa_family = AF_UNSPEC;
		(void)connect(fd, &unspec, sizeof(unspec));
	}
	evhttp_connection_free(evcon);
}

struct pg_mock_truth_log {
	int fd;
	int failed; /* errno of the first failed write, 0 when none */
	char *buf;  /* TRUTH_BUF_SIZE bytes */
	size_t len;
	pg_mock_truth *pending; /* watches not finished yet */
};

struct pg_mock_truth {
	pg_mock_truth_log *log;
	pg_mock_truth *prev, *next; /* log->pending */
	struct evhttp_connection *evcon;
	struct evbuffer *out; /* evcon's output buffer */
	struct evbuffer_cb_entry *cb;
	uint64_t seq;
	int64_t tokens;
	uint64_t drained;   /* bytes written to the socket since the watch began */
	uint64_t first_pos; /* drained count that completes the first token; 0: unset */
	pg_ns first_ns;
	int ended; /* the answer is complete once out is empty */
};

static void log_flush(pg_mock_truth_log *log)
{
	size_t off = 0;

	while (off < log->len) {
		ssize_t n = write(log->fd, log->buf + off, log->len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (log->failed == 0)
				log->failed = n < 0 ? errno : EIO;
			break;
		}
		off += (size_t)n;
	}
	log->len = 0;
}

int pg_mock_truth_log_open(pg_mock_truth_log **out, const char *path)
{
	pg_mock_truth_log *log;

	*out = NULL;
	if (path == NULL || *path == '\0') {
		pg_error_set("mock: truth_log needs a file name");
		return PG_EINVAL;
	}
	log = calloc(1, sizeof(*log));
	if (log != NULL)
		log->buf = malloc(TRUTH_BUF_SIZE);
	if (log == NULL || log->buf == NULL) {
		free(log);
		pg_error_set("mock: out of memory");
		return PG_ENOMEM;
	}
	log->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (log->fd < 0) {
		pg_error_set("mock: cannot open truth_log '%s': %s", path, strerror(errno));
		free(log->buf);
		free(log);
		return PG_EIO;
	}
	*out = log;
	return 0;
}

/* Unlinks t from its log and frees it; the evbuffer callback must already
 * be gone (or t's connection freed). */
static void truth_release(pg_mock_truth *t)
{
	pg_mock_truth_log *log = t->log;

	if (t->prev != NULL)
		t->prev->next = t->next;
	else
		log->pending = t->next;
	if (t->next != NULL)
		t->next->prev = t->prev;
	free(t);
}

int pg_mock_truth_log_close(pg_mock_truth_log *log)
{
	int rc = 0;

	if (log == NULL)
		return 0;
	while (log->pending != NULL)
		truth_release(log->pending);
	log_flush(log);
	if (close(log->fd) != 0 && log->failed == 0)
		log->failed = errno;
	if (log->failed != 0) {
		pg_error_set("mock: writing the truth log failed: %s", strerror(log->failed));
		rc = PG_EIO;
	}
	free(log->buf);
	free(log);
	return rc;
}

void pg_mock_truth_free(pg_mock_truth *t)
{
	if (t == NULL)
		return;
	evbuffer_remove_cb_entry(t->out, t->cb);
	truth_release(t);
}

/* The answer's last byte went out at now: log the line, drop the watch. */
static void truth_finish(pg_mock_truth *t, pg_ns now)
{
	pg_mock_truth_log *log = t->log;
	char line[TRUTH_LINE_MAX];
	int n;

	n = snprintf(line, sizeof(line), "%" PRIu64 " %" PRId64 " %" PRId64 " %" PRId64 "\n",
		     t->seq, t->first_ns != 0 ? t->first_ns : now, now, t->tokens);
	if (n > 0 && (size_t)n < sizeof(line)) {
		if (log->len + (size_t)n > TRUTH_BUF_SIZE)
			log_flush(log);
		memcpy(log->buf + log->len, line, (size_t)n);
		log->len += (size_t)n;
	}
	evhttp_connection_set_closecb(t->evcon, NULL, NULL);
	pg_mock_truth_free(t);
}

/* Runs on every change of the connection's output buffer; a deletion
 * there is a write to the socket (bufferevent drains what writev took)
 * that has just returned. Removing itself from here is allowed: libevent
 * reads the next callback before running this one. */
static void on_output(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	pg_mock_truth *t = arg;
	pg_ns now;

	if (info->n_deleted == 0)
		return;
	now = pg_now_ns();
	t->drained += info->n_deleted;
	if (t->first_ns == 0 && t->first_pos != 0 && t->drained >= t->first_pos)
		t->first_ns = now;
	if (t->ended && evbuffer_get_length(buf) == 0)
		truth_finish(t, now);
}

/* The connection closed before the answer was written out. */
static void on_close(struct evhttp_connection *evcon, void *arg)
{
	(void)evcon;
	pg_mock_truth_free(arg);
}

int pg_mock_truth_new(pg_mock_truth **out, pg_mock_truth_log *log, struct evhttp_connection *evcon,
		      uint64_t seq)
{
	pg_mock_truth *t = calloc(1, sizeof(*t));

	*out = NULL;
	if (t == NULL) {
		pg_error_set("mock: out of memory");
		return PG_ENOMEM;
	}
	t->log = log;
	t->evcon = evcon;
	t->out = bufferevent_get_output(evhttp_connection_get_bufferevent(evcon));
	t->seq = seq;
	t->cb = evbuffer_add_cb(t->out, on_output, t);
	if (t->cb == NULL) {
		free(t);
		pg_error_set("mock: out of memory");
		return PG_ENOMEM;
	}
	t->next = log->pending;
	if (log->pending != NULL)
		log->pending->prev = t;
	log->pending = t;
	*out = t;
	return 0;
}

void pg_mock_truth_mark_first(pg_mock_truth *t)
{
	size_t len = evbuffer_get_length(t->out);

	t->first_pos = t->drained + (len > 0 ? len : 1);
}

void pg_mock_truth_end(pg_mock_truth *t, int64_t tokens, int more)
{
	t->tokens = tokens;
	t->ended = 1;
	if (!more && evbuffer_get_length(t->out) == 0) {
		truth_finish(t, pg_now_ns()); /* everything is already written */
		return;
	}
	evhttp_connection_set_closecb(t->evcon, on_close, t);
}
