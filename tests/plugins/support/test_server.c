/* The scripted HTTP/1.1 test server (see test_server.h). */
#include "test_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define GATE_WAIT_S 60

void test_send(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		data += n;
		len -= (size_t)n;
	}
}

void test_send_str(int fd, const char *s)
{
	test_send(fd, s, strlen(s));
}

void test_server_close(test_conn *c, int reset)
{
	if (reset) {
		struct linger lg = {1, 0};

		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	close(c->fd);
	c->fd = -1;
	c->len = 0;
	c->left = 0;
}

/* The end of the request head in buf[0..len): the "\r\n\r\n" or NULL. */
static char *head_end(char *buf, size_t len)
{
	for (size_t i = 0; i + 4 <= len; i++)
		if (memcmp(buf + i, "\r\n\r\n", 4) == 0)
			return buf + i;
	return NULL;
}

/* The Content-Length of the head in buf[0..head), 0 when absent. */
static size_t content_length(const char *buf, size_t head)
{
	static const char name[] = "\r\ncontent-length:";
	size_t n = sizeof(name) - 1;

	for (size_t i = 0; i + n <= head; i++)
		if (strncasecmp(buf + i, name, n) == 0)
			return (size_t)strtoul(buf + i + n, NULL, 10);
	return 0;
}

static uint32_t byte_sum(const char *p, size_t n)
{
	uint32_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += (unsigned char)p[i];
	return sum;
}

/* Counts the request in c->buf[0..len), records it and hands it to the
 * handler; returns the handler's result. */
static int dispatch(test_server *s, test_conn *c, size_t len, int whole, size_t body_len,
		    uint32_t body_sum)
{
	test_request req = {.data = c->buf, .len = len, .whole = whole};
	char saved = c->buf[len];
	int rc;

	c->buf[len] = '\0';
	req.body_len = body_len;
	req.body_sum = body_sum;
	if (sscanf(c->buf, "%15s %255s", req.method, req.path) != 2)
		req.method[0] = req.path[0] = '\0';
	if (strncmp(req.path, "http://", 7) == 0) { /* absolute form, as to a proxy */
		const char *slash = strchr(req.path + 7, '/');

		memmove(req.path, slash ? slash : "/", strlen(slash ? slash : "/") + 1);
	}
	pthread_mutex_lock(&s->mu);
	s->requests++;
	snprintf(s->last_request, sizeof(s->last_request), "%.*s", (int)len, c->buf);
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	rc = s->handler(s, c, &req);
	if (c->fd < 0)
		return 1; /* closed: nothing left to serve */
	c->buf[len] = saved;
	return rc;
}

/* Drops the first n bytes of c->buf. */
static void consume(test_conn *c, size_t n)
{
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
}

/* Serves every complete request buffered on c. */
static void serve_buffer(test_server *s, test_conn *c)
{
	while (c->fd >= 0) {
		char *end;
		size_t head, body, n;

		if (c->left > 0) {
			/* a request too long to keep: the head stays at the start
			 * of buf, body bytes are summed and dropped as they come */
			n = c->len - c->head;
			if (n > c->left)
				n = c->left;
			c->sum += byte_sum(c->buf + c->head, n);
			c->left -= n;
			memmove(c->buf + c->head, c->buf + c->head + n, c->len - c->head - n);
			c->len -= n;
			if (c->left > 0)
				return;
			if (dispatch(s, c, c->head, 0, c->body, c->sum) != 0)
				return;
			consume(c, c->head);
			continue;
		}
		end = head_end(c->buf, c->len);
		if (end == NULL)
			return;
		head = (size_t)(end - c->buf) + 4;
		body = content_length(c->buf, head);
		if (body > TEST_SERVER_BUF - head) {
			c->head = head;
			c->left = body;
			c->body = body;
			c->sum = 0;
			continue;
		}
		if (c->len < head + body)
			return;
		if (dispatch(s, c, head + body, 1, body, byte_sum(c->buf + head, body)) != 0)
			return;
		consume(c, head + body);
	}
}

static void accept_one(test_server *s)
{
	int fd = accept(s->lfd, NULL, NULL), one = 1, i;

	if (fd < 0)
		return;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for (i = 0; i < TEST_SERVER_MAX_CONNS && s->conns[i].fd >= 0; i++)
		;
	if (i == TEST_SERVER_MAX_CONNS) {
		close(fd);
	} else {
		s->conns[i].fd = fd;
		s->conns[i].mark = 0;
		s->conns[i].len = 0;
		s->conns[i].left = 0;
	}
	pthread_mutex_lock(&s->mu);
	s->accepts++;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

static void *server_main(void *arg)
{
	test_server *s = arg;

	for (;;) {
		struct pollfd p[TEST_SERVER_MAX_CONNS + 2];
		int map[TEST_SERVER_MAX_CONNS + 2];
		nfds_t n = 0;

		p[n].fd = s->wake[0];
		p[n++].events = POLLIN;
		p[n].fd = s->lfd;
		p[n++].events = POLLIN;
		for (int i = 0; i < TEST_SERVER_MAX_CONNS; i++) {
			if (s->conns[i].fd >= 0) {
				map[n] = i;
				p[n].fd = s->conns[i].fd;
				p[n++].events = POLLIN;
			}
		}
		if (poll(p, n, -1) < 0)
			continue;
		if (p[0].revents)
			break;
		if (p[1].revents & POLLIN)
			accept_one(s);
		for (nfds_t k = 2; k < n; k++) {
			test_conn *c = &s->conns[map[k]];
			ssize_t r;

			if (!p[k].revents || c->fd < 0)
				continue;
			if (c->len == TEST_SERVER_BUF) {
				test_server_close(c, 0);
				continue;
			}
			r = recv(c->fd, c->buf + c->len, TEST_SERVER_BUF - c->len, 0);
			if (r <= 0) {
				test_server_close(c, 0);
				continue;
			}
			c->len += (size_t)r;
			serve_buffer(s, c);
		}
	}
	for (int i = 0; i < TEST_SERVER_MAX_CONNS; i++)
		if (s->conns[i].fd >= 0)
			test_server_close(&s->conns[i], 0);
	return NULL;
}

test_server *test_server_start(int family, test_handler handler, void *user)
{
	test_server *s = calloc(1, sizeof(*s));
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1;

	assert_non_null(s);
	s->handler = handler;
	s->user = user;
	for (int i = 0; i < TEST_SERVER_MAX_CONNS; i++)
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

void test_server_stop(test_server *s)
{
	if (s == NULL)
		return;
	test_server_open_gate(s); /* release a handler waiting on it */
	assert_int_equal(write(s->wake[1], "x", 1), 1);
	pthread_join(s->thread, NULL);
	close(s->lfd);
	close(s->wake[0]);
	close(s->wake[1]);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s);
}

static int get_locked(test_server *s, const int *field)
{
	int v;

	pthread_mutex_lock(&s->mu);
	v = *field;
	pthread_mutex_unlock(&s->mu);
	return v;
}

int test_server_accepts(test_server *s)
{
	return get_locked(s, &s->accepts);
}

int test_server_requests(test_server *s)
{
	return get_locked(s, &s->requests);
}

/* CLOCK_REALTIME now plus ms, for pthread_cond_timedwait. */
static struct timespec realtime_in(long ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

int test_server_wait_requests(test_server *s, int n, int timeout_ms)
{
	struct timespec until = realtime_in(timeout_ms);
	int reached;

	pthread_mutex_lock(&s->mu);
	while (s->requests < n)
		if (pthread_cond_timedwait(&s->cv, &s->mu, &until) != 0)
			break;
	reached = s->requests >= n;
	pthread_mutex_unlock(&s->mu);
	return reached;
}

void test_server_last_request(test_server *s, char *out, size_t cap)
{
	pthread_mutex_lock(&s->mu);
	snprintf(out, cap, "%s", s->last_request);
	pthread_mutex_unlock(&s->mu);
}

void test_server_open_gate(test_server *s)
{
	pthread_mutex_lock(&s->mu);
	s->gate = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

void test_server_wait_gate(test_server *s)
{
	struct timespec until = realtime_in(GATE_WAIT_S * 1000L);

	pthread_mutex_lock(&s->mu);
	while (!s->gate)
		if (pthread_cond_timedwait(&s->cv, &s->mu, &until) != 0)
			break;
	pthread_mutex_unlock(&s->mu);
}
