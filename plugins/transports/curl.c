/*
 * curl: the libcurl transport. One instance serves one worker: a multi
 * handle driven by the worker's libevent loop through the multi socket
 * interface (one persistent event per socket, one timer), a pool of
 * reusable easy handles that keep their options between transfers, and
 * connection reuse through the multi handle's pool.
 *
 * Timing: the first header, write or completion callback inside one
 * curl_multi_socket_action() call takes CLOCK_MONOTONIC, and every event
 * of that call shares it, so the time stands for when the bytes were read,
 * not for how long earlier callbacks took to parse them.
 *
 * Re-entrancy: headers and body callbacks run inside libcurl. start() from
 * there is queued and the handle added once libcurl returns; destroy()
 * from any callback is finished when the event handler returns.
 *
 * The process calls curl_global_init() before creating an instance.
 */
#include <curl/curl.h>
#include <event2/event.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "perfgate/plugin.h"

#define CT_NAME "curl"
#define CT_VERSION "1.0.0"
#define CT_MAX_HEADER_SETS 16 /* distinct (content type, accept) pairs */
#define CT_MAX_URLS 64	      /* pre-parsed URLs; others go through CURLOPT_URL */
#define CT_HEADER_MAX 8192    /* one header line */
#define CT_RETRY_AFTER_MAX 64 /* bytes kept of a Retry-After value, NUL included */

typedef struct curl_tr curl_tr;

/* One pooled easy handle and the request it carries. */
typedef struct ct_xfer {
	curl_tr *tr;
	CURL *easy;
	struct ct_xfer *next_all; /* every handle of the instance */
	struct ct_xfer *next;	  /* free list or pending list */
	void *ctx;
	const pg_transfer_events *ev; /* NULL while idle */
	CURLU *url;		      /* CURLOPT_CURLU set on the handle; NULL: none */
	struct curl_slist *hdrs;      /* CURLOPT_HTTPHEADER set on the handle */
	int custom;		      /* CURLOPT_CUSTOMREQUEST is set */
	int nobody;		      /* CURLOPT_NOBODY is set (a HEAD request) */
	int in_multi;
	int headers_done;
	char retry_after[CT_RETRY_AFTER_MAX]; /* this response's Retry-After; "": none */
	char errbuf[CURL_ERROR_SIZE];
} ct_xfer;

/* The event of one socket libcurl asked us to watch. */
typedef struct ct_sock {
	curl_tr *tr;
	struct event *ev;
	short kind; /* events the event is assigned with */
	struct ct_sock *prev, *next;
} ct_sock;

/* Header list for one (content type, accept) pair: env headers + both. */
typedef struct ct_hdr_set {
	char *content_type; /* NULL: none */
	char *accept;
	struct curl_slist *list;
} ct_hdr_set;

typedef struct ct_url {
	char *text;
	CURLU *handle;
} ct_url;

struct curl_tr {
	const pg_host_api *host;
	struct event_base *base;
	CURLM *multi;
	struct event *timer;
	struct curl_slist *base_hdrs; /* "Expect:" and the env headers */
	int user_content_type;	      /* the env headers set Content-Type */
	int user_accept;	      /* ... and Accept */
	ct_hdr_set sets[CT_MAX_HEADER_SETS];
	size_t n_sets;
	ct_url urls[CT_MAX_URLS];
	size_t n_urls, last_url;
	ct_xfer *all, *idle;
	ct_xfer *pending, *pending_tail; /* started inside libcurl, not added yet */
	ct_sock *socks, *idle_socks;

	/* settings every handle gets */
	long timeout_ms, connect_timeout_ms, http_version;
	int http2, insecure;
	int report_retry_after; /* the host's events have retry_after (env version 2) */
	char *ca_file, *client_cert, *client_key, *proxy;
	const char *noproxy; /* NULL: leave to libcurl (NO_PROXY environment) */

	int depth;	 /* nesting of our event handlers */
	int in_curl;	 /* inside curl_multi_socket_action() */
	int dying;	 /* destroy() was called from a callback */
	pg_ns action_at; /* arrival time shared by one socket action; 0: not taken */
};

static atomic_int insecure_warned;

static pg_ns mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (pg_ns)ts.tv_sec * PG_NS_PER_S + ts.tv_nsec;
}

/* The arrival time of the bytes libcurl is handing over right now. */
static pg_ns action_time(curl_tr *tr)
{
	if (tr->action_at == 0)
		tr->action_at = mono_now();
	return tr->action_at;
}

static int same_str(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static long ns_to_ms(pg_ns ns)
{
	pg_ns ms;

	if (ns <= 0)
		return 0; /* libcurl: no limit (connect: its default) */
	ms = ns / PG_NS_PER_MS + (ns % PG_NS_PER_MS != 0);
	return ms > INT32_MAX ? (long)INT32_MAX : (long)ms;
}

/* ---- classification --------------------------------------------------- */

static pg_error_class classify(CURLcode code)
{
	switch (code) {
	case CURLE_OK:
		return PG_FAIL_NONE;
	case CURLE_OPERATION_TIMEDOUT:
		return PG_FAIL_TIMEOUT;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
#if LIBCURL_VERSION_NUM >= 0x074900
	case CURLE_PROXY:
#endif
		return PG_FAIL_CONNECT;
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_BAD_CONTENT_ENCODING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
#if LIBCURL_VERSION_NUM >= 0x074400
	case CURLE_HTTP3:
#endif
		return PG_FAIL_PROTOCOL;
	default: /* recv/send errors, got nothing, partial file, ... */
		return PG_FAIL_NETWORK;
	}
}

/* ---- transfer callbacks (inside libcurl) ------------------------------- */

static void report_headers(ct_xfer *x, pg_ns at)
{
	long code = 0;
	char *ctype = NULL;

	x->headers_done = 1;
	if (x->retry_after[0] != '\0' && x->tr->report_retry_after && x->ev->retry_after != NULL) {
		x->ev->retry_after(x->ctx, x->retry_after);
		if (x->tr->dying)
			return;
	}
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(x->easy, CURLINFO_CONTENT_TYPE, &ctype);
	x->ev->headers(x->ctx, (int)code, ctype, at);
}

/* Keeps the first Retry-After value of the current response, trimmed and
 * cut at CT_RETRY_AFTER_MAX - 1 bytes; a status line starts a new
 * response (after a 1xx or a redirect) and forgets it. */
static void note_header_line(ct_xfer *x, const char *buf, size_t len)
{
	static const char name[] = "retry-after:";
	size_t n = sizeof(name) - 1, end;

	if (len >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
		x->retry_after[0] = '\0';
		return;
	}
	if (x->retry_after[0] != '\0' || len <= n || strncasecmp(buf, name, n) != 0)
		return;
	while (n < len && (buf[n] == ' ' || buf[n] == '\t'))
		n++;
	end = len;
	while (end > n && strchr(" \t\r\n", buf[end - 1]) != NULL)
		end--;
	if (end - n > sizeof(x->retry_after) - 1)
		end = n + sizeof(x->retry_after) - 1;
	memcpy(x->retry_after, buf + n, end - n);
	x->retry_after[end - n] = '\0';
}

/* CURLOPT_HEADERFUNCTION: the blank line ending the final (non-1xx)
 * header block is the moment the headers are complete. */
static size_t on_header(char *buf, size_t size, size_t nitems, void *userdata)
{
	ct_xfer *x = userdata;
	size_t len = size * nitems;
	long code = 0;

	if (x->headers_done || x->tr->dying || x->ev == NULL)
		return len;
	if (len == 0 || len > 2 || (buf[0] != '\r' && buf[0] != '\n')) {
		note_header_line(x, buf, len);
		return len;
	}
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
	if (code >= 100 && code < 200)
		return len; /* interim response; the final one follows */
	report_headers(x, action_time(x->tr));
	return len;
}

/* CURLOPT_WRITEFUNCTION: de-chunked body bytes. Returning less than len
 * aborts the transfer, which only happens once destroy() was called. */
static size_t on_write(char *data, size_t size, size_t nmemb, void *userdata)
{
	ct_xfer *x = userdata;
	curl_tr *tr = x->tr;
	size_t len = size * nmemb;
	pg_ns at = action_time(tr);

	if (tr->dying || x->ev == NULL)
		return 0;
	if (!x->headers_done) {
		report_headers(x, at);
		if (tr->dying)
			return 0;
	}
	x->ev->body(x->ctx, data, len, at);
	return tr->dying ? 0 : len;
}

/* ---- handle pool -------------------------------------------------------- */

#define CT_SETOPT(opt, val)                                                                        \
	do {                                                                                       \
		CURLcode c_ = curl_easy_setopt(easy, opt, val);                                    \
		if (c_ != CURLE_OK) {                                                              \
			tr->host->set_error(CT_NAME ": libcurl rejected %s: %s", #opt,             \
					    curl_easy_strerror(c_));                               \
			goto done;                                                                 \
		}                                                                                  \
	} while (0)

/* Sets the options every transfer of the instance shares. */
static int setup_easy(curl_tr *tr, ct_xfer *x)
{
	CURL *easy = x->easy;
	int rc = PG_EINVAL;

	CT_SETOPT(CURLOPT_PRIVATE, (void *)x);
	CT_SETOPT(CURLOPT_WRITEFUNCTION, on_write);
	CT_SETOPT(CURLOPT_WRITEDATA, (void *)x);
	CT_SETOPT(CURLOPT_HEADERFUNCTION, on_header);
	CT_SETOPT(CURLOPT_HEADERDATA, (void *)x);
	CT_SETOPT(CURLOPT_ERRORBUFFER, x->errbuf);
	CT_SETOPT(CURLOPT_NOSIGNAL, 1L);
	CT_SETOPT(CURLOPT_TCP_NODELAY, 1L);
	CT_SETOPT(CURLOPT_TIMEOUT_MS, tr->timeout_ms);
	CT_SETOPT(CURLOPT_CONNECTTIMEOUT_MS, tr->connect_timeout_ms);
	CT_SETOPT(CURLOPT_USERAGENT, "perfgate-" CT_NAME "/" CT_VERSION);
	CT_SETOPT(CURLOPT_HTTP_VERSION, tr->http_version);
	CT_SETOPT(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
	CT_SETOPT(CURLOPT_HTTPHEADER, tr->base_hdrs);
#if LIBCURL_VERSION_NUM >= 0x075500
	CT_SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
#endif
	if (tr->http2)
		CT_SETOPT(CURLOPT_PIPEWAIT, 1L); /* multiplex rather than open more */
	if (tr->proxy != NULL)
		CT_SETOPT(CURLOPT_PROXY, tr->proxy);
	if (tr->noproxy != NULL)
		CT_SETOPT(CURLOPT_NOPROXY, tr->noproxy);
	if (tr->ca_file != NULL)
		CT_SETOPT(CURLOPT_CAINFO, tr->ca_file);
	if (tr->client_cert != NULL)
		CT_SETOPT(CURLOPT_SSLCERT, tr->client_cert);
	if (tr->client_key != NULL)
		CT_SETOPT(CURLOPT_SSLKEY, tr->client_key);
	if (tr->insecure) {
		CT_SETOPT(CURLOPT_SSL_VERIFYPEER, 0L);
		CT_SETOPT(CURLOPT_SSL_VERIFYHOST, 0L);
	}
	x->hdrs = tr->base_hdrs;
	rc = 0;
done:
	return rc;
}

/* A free handle from the pool, or a new one; NULL with the error set. */
static ct_xfer *xfer_take(curl_tr *tr)
{
	ct_xfer *x = tr->idle;

	if (x != NULL) {
		tr->idle = x->next;
		x->next = NULL;
		return x;
	}
	x = tr->host->calloc(1, sizeof(*x));
	if (x == NULL) {
		tr->host->set_error(CT_NAME ": out of memory");
		return NULL;
	}
	x->tr = tr;
	x->easy = curl_easy_init();
	if (x->easy == NULL) {
		tr->host->set_error(CT_NAME ": libcurl cannot create a transfer handle");
		tr->host->free(x);
		return NULL;
	}
	if (setup_easy(tr, x) < 0) {
		curl_easy_cleanup(x->easy);
		tr->host->free(x);
		return NULL;
	}
	x->next_all = tr->all;
	tr->all = x;
	return x;
}

static void xfer_put(curl_tr *tr, ct_xfer *x)
{
	x->ctx = NULL;
	x->ev = NULL;
	x->next = tr->idle;
	tr->idle = x;
}

/* ---- per-request caches ------------------------------------------------- */

static int header_value_ok(curl_tr *tr, const char *v)
{
	if (v != NULL && strpbrk(v, "\r\n") != NULL) {
		tr->host->set_error(CT_NAME ": header value contains a line break");
		return 0;
	}
	return 1;
}

static int slist_add(struct curl_slist **list, const char *line)
{
	struct curl_slist *n = curl_slist_append(*list, line);

	if (n == NULL)
		return PG_ENOMEM;
	*list = n;
	return 0;
}

/* The header list for one (content type, accept) pair. A NULL value
 * removes libcurl's default (form Content-Type, any-type Accept); a value the
 * env headers already set is left to them. */
static int header_set(struct curl_slist **out, curl_tr *tr, const char *ctype, const char *accept)
{
	struct curl_slist *list = NULL;
	const struct curl_slist *l;
	ct_hdr_set *s;
	char line[CT_HEADER_MAX];
	size_t i;
	int n, rc = PG_ENOMEM;

	for (i = 0; i < tr->n_sets; i++) {
		if (same_str(tr->sets[i].content_type, ctype) &&
		    same_str(tr->sets[i].accept, accept)) {
			*out = tr->sets[i].list;
			return 0;
		}
	}
	if (tr->n_sets == CT_MAX_HEADER_SETS) {
		tr->host->set_error(CT_NAME ": more than %d distinct content type and accept pairs",
				    CT_MAX_HEADER_SETS);
		return PG_ELIMIT;
	}
	if (!header_value_ok(tr, ctype) || !header_value_ok(tr, accept))
		return PG_EINVAL;
	for (l = tr->base_hdrs; l != NULL; l = l->next)
		if (slist_add(&list, l->data) < 0)
			goto done;
	if (!tr->user_content_type) {
		n = snprintf(line, sizeof(line), "Content-Type:%s%s", ctype ? " " : "",
			     ctype ? ctype : "");
		if (n < 0 || (size_t)n >= sizeof(line) || slist_add(&list, line) < 0)
			goto done;
	}
	if (!tr->user_accept) {
		n = snprintf(line, sizeof(line), "Accept:%s%s", accept ? " " : "",
			     accept ? accept : "");
		if (n < 0 || (size_t)n >= sizeof(line) || slist_add(&list, line) < 0)
			goto done;
	}
	s = &tr->sets[tr->n_sets];
	s->content_type = ctype ? tr->host->strdup(ctype) : NULL;
	s->accept = accept ? tr->host->strdup(accept) : NULL;
	if ((ctype && !s->content_type) || (accept && !s->accept)) {
		tr->host->free(s->content_type);
		tr->host->free(s->accept);
		s->content_type = s->accept = NULL;
		goto done;
	}
	s->list = list;
	list = NULL;
	tr->n_sets++;
	*out = s->list;
	rc = 0;
done:
	if (rc < 0)
		tr->host->set_error(CT_NAME ": cannot build the request headers");
	curl_slist_free_all(list);
	return rc;
}

/* The pre-parsed handle for url, or NULL: use CURLOPT_URL (the cache is
 * full, memory ran out, or libcurl rejects the URL and will say why). */
static CURLU *url_handle(curl_tr *tr, const char *url)
{
	ct_url *u;
	size_t i;

	if (tr->n_urls > 0 && strcmp(tr->urls[tr->last_url].text, url) == 0)
		return tr->urls[tr->last_url].handle;
	for (i = 0; i < tr->n_urls; i++) {
		if (strcmp(tr->urls[i].text, url) == 0) {
			tr->last_url = i;
			return tr->urls[i].handle;
		}
	}
	if (tr->n_urls == CT_MAX_URLS)
		return NULL;
	u = &tr->urls[tr->n_urls];
	u->handle = curl_url();
	u->text = tr->host->strdup(url);
	if (u->handle == NULL || u->text == NULL ||
	    curl_url_set(u->handle, CURLUPART_URL, url, 0) != CURLUE_OK) {
		curl_url_cleanup(u->handle);
		tr->host->free(u->text);
		u->handle = NULL;
		u->text = NULL;
		return NULL;
	}
	tr->last_url = tr->n_urls++;
	return u->handle;
}

/* ---- completion ---------------------------------------------------------- */

/* Reports the end of one transfer whose handle left the multi. */
static void finish(curl_tr *tr, ct_xfer *x, CURLcode result)
{
	void *ctx = x->ctx;
	const pg_transfer_events *ev = x->ev;
	char msg[CURL_ERROR_SIZE];
	long connects = 0;
	pg_ns at = action_time(tr);

	if (result == CURLE_OK && !x->headers_done) {
		report_headers(x, at); /* no header callback saw the end (HTTP/0.9-like) */
		if (tr->dying)
			return;
	}
	msg[0] = '\0';
	if (result != CURLE_OK)
		snprintf(msg, sizeof(msg), "%s",
			 x->errbuf[0] ? x->errbuf : curl_easy_strerror(result));
	curl_easy_getinfo(x->easy, CURLINFO_NUM_CONNECTS, &connects);
	xfer_put(tr, x); /* reusable by a start() from inside done */
	ev->done(ctx, classify(result), msg[0] ? msg : NULL, at, connects > 0);
}

static void check_done(curl_tr *tr)
{
	CURLMsg *m;
	int left = 0;

	while (!tr->dying && (m = curl_multi_info_read(tr->multi, &left)) != NULL) {
		char *priv = NULL;
		ct_xfer *x;
		CURLcode result = m->data.result;
		CURL *easy = m->easy_handle;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
		x = (ct_xfer *)(void *)priv;
		curl_multi_remove_handle(tr->multi, easy);
		x->in_multi = 0;
		finish(tr, x, result);
	}
}

/* Adds the handles start() queued while libcurl was running. */
static void add_pending(curl_tr *tr)
{
	while (!tr->dying && tr->pending != NULL) {
		ct_xfer *x = tr->pending;
		CURLMcode mc;

		tr->pending = x->next;
		if (tr->pending == NULL)
			tr->pending_tail = NULL;
		x->next = NULL;
		mc = curl_multi_add_handle(tr->multi, x->easy);
		if (mc == CURLM_OK) {
			x->in_multi = 1;
			continue;
		}
		/* start() already promised a done callback */
		snprintf(x->errbuf, sizeof(x->errbuf), "libcurl: %s", curl_multi_strerror(mc));
		finish(tr, x, CURLE_FAILED_INIT);
	}
}

static void free_transport(curl_tr *tr);

/* One round of libcurl work from an event handler, then completions. */
static void run_action(curl_tr *tr, curl_socket_t fd, int flags)
{
	int running = 0;

	tr->depth++;
	tr->action_at = 0;
	tr->in_curl = 1;
	curl_multi_socket_action(tr->multi, fd, flags, &running);
	tr->in_curl = 0;
	add_pending(tr);
	check_done(tr);
	tr->action_at = 0;
	tr->depth--;
	if (tr->depth == 0 && tr->dying)
		free_transport(tr);
}

/* ---- event loop glue ----------------------------------------------------- */

static void on_socket_event(evutil_socket_t fd, short what, void *arg)
{
	ct_sock *sk = arg;
	int flags = 0;

	if (what & EV_READ)
		flags |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		flags |= CURL_CSELECT_OUT;
	run_action(sk->tr, fd, flags); /* sk may be released in there */
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	run_action(arg, CURL_SOCKET_TIMEOUT, 0);
}

static ct_sock *sock_get(curl_tr *tr)
{
	ct_sock *sk = tr->idle_socks;

	if (sk != NULL) {
		tr->idle_socks = sk->next;
	} else {
		sk = tr->host->calloc(1, sizeof(*sk));
		if (sk == NULL)
			return NULL;
		sk->tr = tr;
		sk->ev = event_new(tr->base, -1, 0, on_socket_event, sk);
		if (sk->ev == NULL) {
			tr->host->free(sk);
			return NULL;
		}
	}
	sk->kind = 0;
	sk->prev = NULL;
	sk->next = tr->socks;
	if (tr->socks != NULL)
		tr->socks->prev = sk;
	tr->socks = sk;
	return sk;
}

/* Stops watching a socket; the record is kept for the next one. */
static void sock_put(curl_tr *tr, ct_sock *sk)
{
	event_del(sk->ev);
	if (sk->prev != NULL)
		sk->prev->next = sk->next;
	else
		tr->socks = sk->next;
	if (sk->next != NULL)
		sk->next->prev = sk->prev;
	sk->prev = NULL;
	sk->next = tr->idle_socks;
	tr->idle_socks = sk;
}

/* CURLMOPT_SOCKETFUNCTION: one persistent event per socket, changed only
 * when the direction libcurl waits for changes. */
static int on_curl_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	curl_tr *tr = userp;
	ct_sock *sk = socketp;
	short kind;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (sk != NULL)
			sock_put(tr, sk);
		return 0;
	}
	kind = (short)(EV_PERSIST | ((what & CURL_POLL_IN) ? EV_READ : 0) |
		       ((what & CURL_POLL_OUT) ? EV_WRITE : 0));
	if (sk != NULL) {
		if (sk->kind == kind)
			return 0;
		event_del(sk->ev);
	} else {
		sk = sock_get(tr);
		if (sk == NULL)
			return -1;
		curl_multi_assign(tr->multi, s, sk);
	}
	event_assign(sk->ev, tr->base, s, kind, on_socket_event, sk);
	sk->kind = kind;
	return event_add(sk->ev, NULL) == 0 ? 0 : -1;
}

/* CURLMOPT_TIMERFUNCTION: arms (or stops) the one libevent timer. */
static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
	curl_tr *tr = userp;
	struct timeval tv;

	(void)multi;
	if (timeout_ms < 0)
		return evtimer_del(tr->timer) == 0 ? 0 : -1;
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	return evtimer_add(tr->timer, &tv) == 0 ? 0 : -1;
}

/* ---- operations ----------------------------------------------------------- */

static int starts_with_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static int tr_supports(const char *url)
{
	return url != NULL && (starts_with_ci(url, "http://") || starts_with_ci(url, "https://"));
}

static int env_set(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0';
}

/* NOPROXY: "*" when nothing asks for a proxy (libcurl then skips its
 * proxy lookup); else loopback goes direct unless NO_PROXY says otherwise. */
static const char *pick_noproxy(const char *proxy_option)
{
	static const char *const vars[] = {"http_proxy",  "HTTP_PROXY", "https_proxy",
					   "HTTPS_PROXY", "all_proxy",	"ALL_PROXY"};
	int any = proxy_option != NULL;
	size_t i;

	for (i = 0; !any && i < sizeof(vars) / sizeof(vars[0]); i++)
		any = env_set(vars[i]);
	if (!any)
		return "*";
	if (getenv("NO_PROXY") != NULL || getenv("no_proxy") != NULL)
		return NULL;
	return "localhost,127.0.0.1,::1";
}

static int copy_option(curl_tr *tr, char **out, const pg_options *opts, const char *name)
{
	const char *v = tr->host->opt_string(opts, name);

	*out = NULL;
	if (v == NULL || v[0] == '\0')
		return 0;
	*out = tr->host->strdup(v);
	return *out != NULL ? 0 : PG_ENOMEM;
}

static int build_base_headers(curl_tr *tr, const char *const *headers)
{
	size_t i;

	/* no "Expect: 100-continue" round trip before POST bodies */
	if (slist_add(&tr->base_hdrs, "Expect:") < 0)
		return PG_ENOMEM;
	for (i = 0; headers != NULL && headers[i] != NULL; i++) {
		const char *h = headers[i];

		if (strpbrk(h, "\r\n") != NULL || strchr(h, ':') == NULL ||
		    strlen(h) >= CT_HEADER_MAX) {
			/* the name only: the value may be a credential */
			tr->host->set_error(CT_NAME ": header '%.*s' is not one 'Name: value' "
						    "line under %d bytes",
					    (int)(strcspn(h, ":\r\n") < 64 ? strcspn(h, ":\r\n") : 64), h,
					    CT_HEADER_MAX);
			return PG_EINVAL;
		}
		if (starts_with_ci(h, "content-type:"))
			tr->user_content_type = 1;
		if (starts_with_ci(h, "accept:"))
			tr->user_accept = 1;
		if (slist_add(&tr->base_hdrs, h) < 0)
			return PG_ENOMEM;
	}
	return 0;
}

static void tr_destroy(void *transport);

/* Makes an instance bound to env->event_base; *out is freed by destroy. */
static int tr_create(void **out, const pg_host_api *host, const pg_options *opts,
		     const pg_transport_env *env)
{
	curl_tr *tr = NULL;
	ct_xfer *probe;
	int https, rc = PG_ENOMEM;

	*out = NULL;
	if (env == NULL || env->version < 1 || env->event_base == NULL || env->base_url == NULL) {
		host->set_error(CT_NAME ": missing or unknown transport environment");
		return PG_EINVAL;
	}
	if (!tr_supports(env->base_url)) {
		host->set_error(CT_NAME ": cannot reach '%s' (http:// and https:// only)",
				env->base_url);
		return PG_EINVAL;
	}
	tr = host->calloc(1, sizeof(*tr));
	if (tr == NULL)
		goto oom;
	tr->host = host;
	tr->base = env->event_base;
	tr->report_retry_after = env->version >= 2;
	https = starts_with_ci(env->base_url, "https://");
	tr->http2 = host->opt_bool(opts, "http2") != 0;
	tr->insecure = host->opt_bool(opts, "insecure") != 0;
	if (tr->http2)
		tr->http_version = https ? (long)CURL_HTTP_VERSION_2TLS
					 : (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE;
	else
		tr->http_version = (long)CURL_HTTP_VERSION_1_1;
	tr->timeout_ms = ns_to_ms(env->timeout);
	tr->connect_timeout_ms = ns_to_ms(env->connect_timeout);
	if (copy_option(tr, &tr->ca_file, opts, "ca_file") < 0 ||
	    copy_option(tr, &tr->client_cert, opts, "client_cert") < 0 ||
	    copy_option(tr, &tr->client_key, opts, "client_key") < 0 ||
	    copy_option(tr, &tr->proxy, opts, "proxy") < 0)
		goto oom;
	tr->noproxy = pick_noproxy(tr->proxy);
	if ((rc = build_base_headers(tr, env->headers)) < 0) {
		if (rc == PG_ENOMEM)
			goto oom;
		goto done;
	}
	tr->multi = curl_multi_init();
	tr->timer = evtimer_new(tr->base, on_timer, tr);
	if (tr->multi == NULL || tr->timer == NULL) {
		host->set_error(CT_NAME ": cannot create the libcurl multi handle or its timer");
		rc = PG_ERROR;
		goto done;
	}
	curl_multi_setopt(tr->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
	curl_multi_setopt(tr->multi, CURLMOPT_SOCKETDATA, tr);
	curl_multi_setopt(tr->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
	curl_multi_setopt(tr->multi, CURLMOPT_TIMERDATA, tr);
	if (env->max_connections > 0) {
		long n = env->max_connections > 100000 ? 100000L : (long)env->max_connections;

		curl_multi_setopt(tr->multi, CURLMOPT_MAXCONNECTS, n);
		curl_multi_setopt(tr->multi, CURLMOPT_MAX_HOST_CONNECTIONS, n);
	}
	/* the first pooled handle, made now so bad options fail here */
	probe = xfer_take(tr);
	if (probe == NULL) {
		rc = PG_EINVAL;
		goto done;
	}
	xfer_put(tr, probe);
	if (tr->insecure && atomic_exchange(&insecure_warned, 1) == 0)
		host->log(PG_LOG_WARN, CT_NAME,
			  "insecure: TLS certificates and host names are not verified");
	*out = tr;
	tr = NULL;
	rc = 0;
	goto done;
oom:
	host->set_error(CT_NAME ": out of memory");
	rc = PG_ENOMEM;
done:
	tr_destroy(tr);
	return rc;
}

/* Starts one request; callbacks come later from the event loop. */
static int tr_start(void *transport, const pg_request *req, void *ctx,
		    const pg_transfer_events *events)
{
	curl_tr *tr = transport;
	struct curl_slist *hdrs = NULL;
	ct_xfer *x;
	CURLU *uh;
	CURL *easy;
	CURLMcode mc;
	const char *method;
	int post, rc;

	if (tr == NULL || req == NULL || req->url == NULL || events == NULL || tr->dying) {
		if (tr != NULL)
			tr->host->set_error(CT_NAME ": bad request or transport shutting down");
		return PG_EINVAL;
	}
	if ((rc = header_set(&hdrs, tr, req->content_type, req->accept)) < 0)
		return rc;
	x = xfer_take(tr);
	if (x == NULL)
		return PG_ENOMEM;
	easy = x->easy;

	uh = url_handle(tr, req->url);
	if (uh != NULL) {
		if (x->url != uh)
			curl_easy_setopt(easy, CURLOPT_CURLU, uh);
	} else {
		if (x->url != NULL)
			curl_easy_setopt(easy, CURLOPT_CURLU, (CURLU *)NULL);
		if (curl_easy_setopt(easy, CURLOPT_URL, req->url) != CURLE_OK) {
			tr->host->set_error(CT_NAME ": out of memory");
			x->url = NULL;
			xfer_put(tr, x);
			return PG_ENOMEM;
		}
	}
	x->url = uh;

	method = req->method != NULL ? req->method : (req->body != NULL ? "POST" : "GET");
	post = req->body != NULL || strcmp(method, "POST") == 0;
	if (x->nobody) {
		/* back from HEAD first: NOBODY 0 would turn a POST set below into GET */
		curl_easy_setopt(easy, CURLOPT_NOBODY, 0L);
		x->nobody = 0;
	}
	if (post) {
		curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)(req->body != NULL ? req->body_len : 0));
		curl_easy_setopt(easy, CURLOPT_POSTFIELDS, req->body != NULL ? req->body : "");
	} else {
		curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
	}
	if (strcmp(method, post ? "POST" : "GET") != 0) {
		curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method);
		x->custom = 1;
	} else if (x->custom) {
		curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, (char *)NULL);
		x->custom = 0;
	}
	if (strcmp(method, "HEAD") == 0) {
		/* a HEAD response has no body: without NOBODY libcurl waits for one */
		curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
		x->nobody = 1;
	}
	if (x->hdrs != hdrs) {
		curl_easy_setopt(easy, CURLOPT_HTTPHEADER, hdrs);
		x->hdrs = hdrs;
	}
	x->ctx = ctx;
	x->ev = events;
	x->headers_done = 0;
	x->retry_after[0] = '\0';
	x->errbuf[0] = '\0';

	if (tr->in_curl) { /* from a headers/body callback: add once libcurl returns */
		if (tr->pending_tail != NULL)
			tr->pending_tail->next = x;
		else
			tr->pending = x;
		tr->pending_tail = x;
		return 0;
	}
	mc = curl_multi_add_handle(tr->multi, easy);
	if (mc != CURLM_OK) {
		tr->host->set_error(CT_NAME ": libcurl: %s", curl_multi_strerror(mc));
		xfer_put(tr, x);
		return PG_ERROR;
	}
	x->in_multi = 1;
	return 0;
}

static void free_transport(curl_tr *tr)
{
	const pg_host_api *host = tr->host;
	ct_xfer *x, *xn;
	ct_sock *sk, *skn;
	size_t i;

	for (x = tr->all; x != NULL; x = x->next_all)
		if (x->in_multi)
			curl_multi_remove_handle(tr->multi, x->easy);
	for (x = tr->all; x != NULL; x = xn) {
		xn = x->next_all;
		curl_easy_cleanup(x->easy);
		host->free(x);
	}
	/* nothing stays registered while libcurl closes its sockets */
	for (sk = tr->socks; sk != NULL; sk = sk->next)
		event_del(sk->ev);
	if (tr->multi != NULL)
		curl_multi_cleanup(tr->multi);
	for (sk = tr->socks; sk != NULL; sk = skn) {
		skn = sk->next;
		event_free(sk->ev);
		host->free(sk);
	}
	for (sk = tr->idle_socks; sk != NULL; sk = skn) {
		skn = sk->next;
		event_free(sk->ev);
		host->free(sk);
	}
	if (tr->timer != NULL)
		event_free(tr->timer);
	curl_slist_free_all(tr->base_hdrs);
	for (i = 0; i < tr->n_sets; i++) {
		curl_slist_free_all(tr->sets[i].list);
		host->free(tr->sets[i].content_type);
		host->free(tr->sets[i].accept);
	}
	for (i = 0; i < tr->n_urls; i++) {
		curl_url_cleanup(tr->urls[i].handle);
		host->free(tr->urls[i].text);
	}
	host->free(tr->ca_file);
	host->free(tr->client_cert);
	host->free(tr->client_key);
	host->free(tr->proxy);
	host->free(tr);
}

/* Aborts every request in flight without callbacks and frees everything.
 * Called from inside one of our callbacks, it finishes when the event
 * handler returns; no callback is made after it. */
static void tr_destroy(void *transport)
{
	curl_tr *tr = transport;

	if (tr == NULL)
		return;
	tr->dying = 1;
	if (tr->depth > 0)
		return;
	free_transport(tr);
}

/* ---- descriptor ------------------------------------------------------------ */

static const pg_option_spec curl_options[] = {
    {"http2", PG_OPT_BOOL, "false", NULL, 0, 0,
     "speak HTTP/2: prior knowledge on http://, negotiated (ALPN) on https://; "
     "false: HTTP/1.1"},
    {"ca_file", PG_OPT_STRING, NULL, NULL, 0, 0,
     "PEM file of CA certificates to verify the server with (default: system store)"},
    {"client_cert", PG_OPT_STRING, NULL, NULL, 0, 0, "client certificate (PEM) for mutual TLS"},
    {"client_key", PG_OPT_STRING, NULL, NULL, 0, 0, "private key (PEM) of client_cert"},
    {"insecure", PG_OPT_BOOL, "false", NULL, 0, 0,
     "do not verify the server's TLS certificate or host name"},
    {"proxy", PG_OPT_STRING, NULL, NULL, 0, 0,
     "proxy URL (default: the http_proxy/https_proxy/all_proxy environment)"},
    {0},
};

static const pg_transport_ops curl_ops = {
    .create = tr_create,
    .destroy = tr_destroy,
    .start = tr_start,
    .supports = tr_supports,
};

static const pg_plugin_desc curl_desc = {
    PG_PLUGIN_DESC_INIT(PG_PLUGIN_TRANSPORT, CT_NAME),
    .version = CT_VERSION,
    .description = "HTTP/1.1 and HTTP/2 over libcurl's multi socket interface, "
		   "keep-alive connection pool",
    .options = curl_options,
    .ops = &curl_ops,
};

PG_PLUGIN_EXPORT(curl, curl_desc)
