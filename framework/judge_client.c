/*
 * Judge client: one libcurl easy handle (kept between requests, so the
 * connection is reused), the judge target's adapter to build requests and
 * parse answers, and a sink that keeps the generated text.
 */
#include "judge_client.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "log.h"
#include "mock.h"
#include "options.h"
#include "plugin_loader.h"
#include "redact.h"

/* Error-body bytes kept to quote in a message. */
#define ERR_BODY_MAX 200

struct pg_judge_client {
	const pg_target *tg;
	const pg_adapter_ops *aops;
	void *adapter;
	pg_mock_server *mock;
	char base[1024];   /* base URL the adapter joins paths to (mock resolved) */
	char display[512]; /* the URL for messages: no credentials, no query */
	CURL *easy;
	long timeout_ms;
	long connect_timeout_ms;
	int user_content_type; /* the target's headers set Content-Type */
	int user_accept;       /* ... or Accept */
	int64_t requests;
};

/* One request's state, for the curl callbacks and the adapter's sink. */
typedef struct xfer {
	pg_judge_client *c;
	void *parse;
	int begun;  /* parse_begin was called (or failed) */
	int failed; /* parse_begin or parse_data failed */
	long status;
	char *text;
	size_t text_len;
	size_t text_cap;
	int text_truncated;
	int no_memory;
	pg_error_class fail;
	char fail_msg[256];
	char err_body[ERR_BODY_MAX + 1];
	size_t err_len;
} xfer;

static _Thread_local pg_judge_client *active;

/* ---- URLs and headers ------------------------------------------------- */

static int has_header(const pg_target *tg, const char *name)
{
	size_t i;

	for (i = 0; i < tg->n_headers; i++)
		if (strcasecmp(tg->headers[i].name, name) == 0)
			return 1;
	return 0;
}

static int slist_add(struct curl_slist **list, const char *line)
{
	struct curl_slist *l = curl_slist_append(*list, line);

	if (l == NULL)
		return PG_ENOMEM;
	*list = l;
	return 0;
}

/* "Name: value" into list; the value is never copied anywhere else. */
static int add_header(struct curl_slist **list, const char *name, const char *value)
{
	size_t len = strlen(name) + strlen(value) + 3;
	char *line = malloc(len);
	int rc;

	if (line == NULL)
		return PG_ENOMEM;
	snprintf(line, len, "%s: %s", name, value);
	rc = slist_add(list, line);
	memset(line, 0, len); /* it may be a secret */
	free(line);
	return rc;
}

/* The request's header list: the target's headers plus the adapter's
 * content headers unless the target sets its own. */
static int build_headers(struct curl_slist **out, const pg_judge_client *c, const pg_request *req)
{
	const pg_target *tg = c->tg;
	size_t i;
	int rc = slist_add(out, "Expect:");

	for (i = 0; rc == 0 && i < tg->n_headers; i++)
		rc = add_header(out, tg->headers[i].name, tg->headers[i].value);
	if (rc == 0 && req->content_type != NULL && !c->user_content_type)
		rc = add_header(out, "Content-Type", req->content_type);
	if (rc == 0 && req->accept != NULL && !c->user_accept)
		rc = add_header(out, "Accept", req->accept);
	return rc;
}

/* ---- the adapter's sink ----------------------------------------------- */

static void sink_content(void *ctx, int64_t tokens)
{
	(void)ctx;
	(void)tokens;
}

static void sink_usage(void *ctx, int64_t input_tokens, int64_t output_tokens)
{
	(void)ctx;
	(void)input_tokens;
	(void)output_tokens;
}

static void sink_fail(void *ctx, pg_error_class cls, const char *message)
{
	xfer *x = ctx;

	if (x->fail != PG_FAIL_NONE)
		return;
	x->fail = cls;
	snprintf(x->fail_msg, sizeof(x->fail_msg), "%s", message ? message : "");
}

/* Keeps the text up to PG_JUDGE_MAX_TEXT; the buffer grows by doubling. */
static void sink_text(void *ctx, const char *text, size_t len)
{
	xfer *x = ctx;

	if (len > PG_JUDGE_MAX_TEXT - x->text_len) {
		len = PG_JUDGE_MAX_TEXT - x->text_len;
		x->text_truncated = 1;
	}
	if (len == 0 || x->no_memory)
		return;
	if (x->text_len + len + 1 > x->text_cap) {
		size_t cap = x->text_cap ? x->text_cap : 256;
		char *grown;

		while (cap < x->text_len + len + 1)
			cap *= 2;
		grown = realloc(x->text, cap);
		if (grown == NULL) {
			x->no_memory = 1;
			return;
		}
		x->text = grown;
		x->text_cap = cap;
	}
	memcpy(x->text + x->text_len, text, len);
	x->text_len += len;
	x->text[x->text_len] = '\0';
}

static pg_response_sink make_sink(xfer *x)
{
	pg_response_sink s = {x, sink_content, sink_usage, sink_fail, sink_text};

	return s;
}

/* ---- curl callbacks ----------------------------------------------------- */

static void begin(xfer *x)
{
	char *ct = NULL;

	if (x->begun)
		return;
	x->begun = 1;
	curl_easy_getinfo(x->c->easy, CURLINFO_RESPONSE_CODE, &x->status);
	if (x->status < 200 || x->status > 299)
		return;
	curl_easy_getinfo(x->c->easy, CURLINFO_CONTENT_TYPE, &ct);
	if (x->c->aops->parse_begin(x->c->adapter, &x->parse, (int)x->status, ct, 0) < 0) {
		x->parse = NULL;
		x->failed = 1;
		sink_fail(x, PG_FAIL_PROTOCOL, pg_error_last());
	}
}

static size_t on_write(char *data, size_t size, size_t n, void *arg)
{
	xfer *x = arg;
	pg_response_sink sink = make_sink(x);
	size_t len = size * n;

	begin(x);
	if (x->status < 200 || x->status > 299) {
		size_t room = ERR_BODY_MAX - x->err_len;
		size_t take = len < room ? len : room;

		memcpy(x->err_body + x->err_len, data, take);
		x->err_len += take;
		x->err_body[x->err_len] = '\0';
		return len;
	}
	if (x->parse == NULL || x->failed)
		return len; /* read and dropped */
	if (x->c->aops->parse_data(x->parse, data, len, &sink) < 0) {
		x->failed = 1;
		sink_fail(x, PG_FAIL_PROTOCOL, pg_error_last());
	}
	return len;
}

/* ---- the client ------------------------------------------------------- */

static long ms_of(pg_ns ns)
{
	pg_ns ms = (ns + PG_NS_PER_MS - 1) / PG_NS_PER_MS;

	return ms < 1 ? 1 : ms > INT32_MAX ? INT32_MAX : (long)ms;
}

/* TLS and proxy settings from the target's transport_options, when its
 * transport declares them (curl does; h1 has none of them). */
static int set_transport_options(pg_judge_client *c)
{
	static const struct {
		const char *name;
		CURLoption opt;
	} files[] = {{"ca_file", CURLOPT_CAINFO},
		     {"client_cert", CURLOPT_SSLCERT},
		     {"client_key", CURLOPT_SSLKEY},
		     {"proxy", CURLOPT_PROXY}};
	const pg_options *o = c->tg->transport_options;
	CURLcode cc = CURLE_OK;
	size_t i;

	if (o == NULL)
		return 0;
	for (i = 0; i < sizeof(files) / sizeof(files[0]) && cc == CURLE_OK; i++) {
		const char *v;

		if (pg_options_spec(o, files[i].name) == NULL)
			continue;
		v = pg_options_string(o, files[i].name);
		if (v != NULL && v[0] != '\0')
			cc = curl_easy_setopt(c->easy, files[i].opt, v);
	}
	if (cc == CURLE_OK && pg_options_spec(o, "insecure") && pg_options_bool(o, "insecure")) {
		cc = curl_easy_setopt(c->easy, CURLOPT_SSL_VERIFYPEER, 0L);
		if (cc == CURLE_OK)
			cc = curl_easy_setopt(c->easy, CURLOPT_SSL_VERIFYHOST, 0L);
		/* as loud as the curl transport is for the target */
		pg_log(PG_LOG_WARN,
		       "judge %s: insecure: TLS certificates and host names are not verified",
		       c->display);
	}
	if (cc == CURLE_OK && pg_options_spec(o, "http2") && pg_options_bool(o, "http2"))
		cc = curl_easy_setopt(c->easy, CURLOPT_HTTP_VERSION,
				      strncmp(c->base, "https://", 8) == 0
					  ? (long)CURL_HTTP_VERSION_2TLS
					  : (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
	if (cc != CURLE_OK) {
		pg_error_set("judge %s: transport_options: %s", c->display, curl_easy_strerror(cc));
		return PG_EINVAL;
	}
	return 0;
}

static int setup_curl(pg_judge_client *c)
{
	CURLcode cc = CURLE_OK;

	c->easy = curl_easy_init();
	if (c->easy == NULL) {
		pg_error_set("judge %s: cannot create a libcurl handle", c->display);
		return PG_ENOMEM;
	}
	cc = curl_easy_setopt(c->easy, CURLOPT_NOSIGNAL, 1L);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c->easy, CURLOPT_TCP_NODELAY, 1L);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c->easy, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c->easy, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c->easy, CURLOPT_USERAGENT, "perfgate-judge");
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, on_write);
	/* a mock judge is always local: never through a proxy */
	if (cc == CURLE_OK && c->mock != NULL)
		cc = curl_easy_setopt(c->easy, CURLOPT_NOPROXY, "*");
	if (cc != CURLE_OK) {
		pg_error_set("judge %s: libcurl: %s", c->display, curl_easy_strerror(cc));
		return PG_EIO;
	}
	return set_transport_options(c);
}

int pg_judge_client_new(pg_judge_client **out, const pg_target *tg, pg_ns timeout)
{
	pg_judge_client *c = NULL;
	pg_target_info ti;
	int rc = PG_ENOMEM;

	*out = NULL;
	if (tg == NULL || tg->url == NULL || tg->plugin == NULL) {
		pg_error_set("no judge target");
		return PG_EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		pg_error_set("out of memory");
		return PG_ENOMEM;
	}
	c->tg = tg;
	c->aops = tg->plugin->ops;
	c->timeout_ms = ms_of(timeout);
	c->connect_timeout_ms = c->timeout_ms < 10000 ? c->timeout_ms : 10000;
	c->user_content_type = has_header(tg, "Content-Type");
	c->user_accept = has_header(tg, "Accept");
	pg_redact_url(c->display, sizeof(c->display), tg->url);
	if (strncmp(tg->url, "mock://", 7) == 0) {
		pg_mock_config cfg = PG_MOCK_CONFIG_INIT;
		const char *q = strchr(tg->url, '?');

		if ((q != NULL && (rc = pg_mock_config_parse(&cfg, q + 1)) < 0) ||
		    (rc = pg_mock_start(&c->mock, &cfg, "127.0.0.1", 0)) < 0) {
			pg_error_prefix("judge %s", tg->url);
			goto done;
		}
		snprintf(c->base, sizeof(c->base), "http://127.0.0.1:%d/v1", pg_mock_port(c->mock));
	} else {
		snprintf(c->base, sizeof(c->base), "%s", tg->url);
	}
	ti.url = c->base;
	ti.model = tg->model;
	rc = c->aops->create(&c->adapter, pg_host_api_get(), tg->options, &ti);
	if (rc < 0) {
		c->adapter = NULL;
		pg_error_prefix("judge %s: adapter %s", c->display, tg->adapter);
		rc = PG_EINVAL;
		goto done;
	}
	if ((rc = setup_curl(c)) < 0)
		goto done;
	*out = c;
	c = NULL;
	rc = 0;
done:
	pg_judge_client_free(c);
	return rc;
}

void pg_judge_client_free(pg_judge_client *c)
{
	if (c == NULL)
		return;
	if (active == c)
		active = NULL;
	if (c->easy != NULL)
		curl_easy_cleanup(c->easy);
	if (c->adapter != NULL)
		c->aops->destroy(c->adapter);
	pg_mock_stop(c->mock);
	free(c);
}

/* The message for a transfer libcurl could not finish. */
static void transfer_error(const pg_judge_client *c, CURLcode cc, const char *errbuf)
{
	const char *what = "network error";

	if (cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST ||
	    cc == CURLE_COULDNT_RESOLVE_PROXY)
		what = "cannot connect";
	else if (cc == CURLE_OPERATION_TIMEDOUT)
		what = "timed out";
	pg_error_set("judge %s: %s: %s", c->display, what,
		     errbuf[0] != '\0' ? errbuf : curl_easy_strerror(cc));
}

/* Printable ASCII of an error body, for a message. */
static void printable(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			*s = ' ';
}

/* Sends the built request and parses the answer into x. */
static int perform(pg_judge_client *c, const pg_request *req, xfer *x)
{
	struct curl_slist *hdrs = NULL;
	pg_response_sink sink = make_sink(x);
	char errbuf[CURL_ERROR_SIZE];
	CURLcode cc = CURLE_OK;
	int rc;

	errbuf[0] = '\0';
	if ((rc = build_headers(&hdrs, c, req)) < 0) {
		pg_error_set("out of memory");
		goto done;
	}
	cc = curl_easy_setopt(c->easy, CURLOPT_URL, req->url);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, hdrs);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, (void *)x);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c->easy, CURLOPT_ERRORBUFFER, errbuf);
	if (cc == CURLE_OK && req->body != NULL) {
		cc = curl_easy_setopt(c->easy, CURLOPT_POSTFIELDSIZE_LARGE,
				      (curl_off_t)req->body_len);
		if (cc == CURLE_OK)
			cc = curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, req->body);
	} else if (cc == CURLE_OK) {
		cc = curl_easy_setopt(c->easy, CURLOPT_HTTPGET, 1L);
	}
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(c->easy, CURLOPT_CUSTOMREQUEST,
				      strcmp(req->method, req->body != NULL ? "POST" : "GET") == 0
					  ? NULL
					  : req->method);
	if (cc == CURLE_OK) {
		c->requests++;
		cc = curl_easy_perform(c->easy);
	}
	curl_easy_setopt(c->easy, CURLOPT_ERRORBUFFER, (char *)NULL);
	curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
	if (cc != CURLE_OK) {
		transfer_error(c, cc, errbuf);
		rc = PG_EIO;
		goto done;
	}
	begin(x); /* an answer without a body */
	if (x->status < 200 || x->status > 299) {
		printable(x->err_body);
		pg_error_set("judge %s: HTTP status %ld%s%s", c->display, x->status,
			     x->err_len > 0 ? ": " : "", x->err_body);
		rc = PG_EIO;
		goto done;
	}
	if (x->parse != NULL && !x->failed && c->aops->parse_end(x->parse, &sink) < 0)
		sink_fail(x, PG_FAIL_PROTOCOL, pg_error_last());
	if (x->no_memory) {
		pg_error_set("out of memory");
		rc = PG_ENOMEM;
	} else if (x->fail != PG_FAIL_NONE) {
		pg_error_set("judge %s: %s answer: %s", c->display,
			     x->fail == PG_FAIL_STREAM ? "an error in the" : "a malformed",
			     x->fail_msg[0] ? x->fail_msg : "no detail");
		rc = x->fail == PG_FAIL_STREAM ? PG_EIO : PG_EPARSE;
	}
done:
	curl_slist_free_all(hdrs);
	return rc;
}

int pg_judge_client_complete(pg_judge_client *c, const char *prompt, char **out_text)
{
	const pg_host_api *host = pg_host_api_get();
	pg_work_item item;
	pg_request req;
	xfer x;
	int rc;

	*out_text = NULL;
	memset(&req, 0, sizeof(req));
	memset(&x, 0, sizeof(x));
	memset(&item, 0, sizeof(item));
	item.prompt = prompt;
	item.max_tokens = 0; /* the judge server's default limit */
	item.stream = 0;
	x.c = c;
	rc = c->aops->build(c->adapter, &item, &req);
	if (rc < 0) {
		pg_error_prefix("judge %s: adapter %s", c->display, c->tg->adapter);
		goto done;
	}
	if (req.url == NULL || req.method == NULL) {
		pg_error_set("judge %s: adapter %s built a request without a URL or method",
			     c->display, c->tg->adapter);
		rc = PG_EINVAL;
		goto done;
	}
	if ((rc = perform(c, &req, &x)) < 0)
		goto done;
	if (x.text == NULL && (x.text = calloc(1, 1)) == NULL) {
		pg_error_set("out of memory");
		rc = PG_ENOMEM;
		goto done;
	}
	*out_text = x.text;
	x.text = NULL;
done:
	if (x.parse != NULL)
		c->aops->parse_free(x.parse);
	host->free(req.url);
	host->free(req.body);
	free(x.text);
	return rc;
}

void pg_judge_client_activate(pg_judge_client *c)
{
	active = c;
}

int pg_judge_complete(const char *prompt, char **out_text)
{
	if (out_text == NULL || prompt == NULL) {
		pg_error_set("complete: no prompt or no place for the answer");
		return PG_EINVAL;
	}
	*out_text = NULL;
	if (active == NULL) {
		pg_error_set("complete: no judge target (give `quality.judge`; complete is only "
			     "available to an after-run scorer, after the load)");
		return PG_EINVAL;
	}
	return pg_judge_client_complete(active, prompt, out_text);
}

int64_t pg_judge_client_requests(const pg_judge_client *c)
{
	return c != NULL ? c->requests : 0;
}
