/*
 * http: sends the same arbitrary HTTP request over and over, for ad-hoc load
 * tests of any endpoint (what wrk or hey do); `perfgate load URL` uses it by
 * default. The request goes to exactly the target URL with the method, body
 * and headers from the options; the workload's items are ignored.
 *
 * Every 2xx response is a success whatever its body (the engine classifies
 * other statuses itself). The first non-empty read of the body is reported
 * as content, once, so ttft measures the time to the first body byte; an
 * empty body is a success without content.
 *
 * The body is read (from the option, or from a file for "@path") once at
 * create time. pg_request.body is freed by the host after each request, so
 * build() hands out a fresh copy every time: one allocation and one memcpy.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "perfgate/plugin.h"
#include "host_mem.h"

/* Largest request body, given inline or read from a file. */
#define HTTP_MAX_BODY ((size_t)64 * 1024 * 1024)
/* Read size while loading a body file whose size stat() does not tell. */
#define HTTP_READ_CHUNK ((size_t)64 * 1024)

typedef struct http_inst {
	const pg_host_api *host;
	char *url;
	const char *method; /* an entry of http_methods */
	char *body;	    /* NULL: the request has no body */
	size_t body_len;
	char *content_type; /* NULL: no Content-Type header */
	char *accept;	    /* NULL: no Accept header */
} http_inst;

/* State of one response: only whether content was reported yet. */
typedef struct http_parse {
	const pg_host_api *host;
	int content_seen;
} http_parse;

static const char *const http_methods[] = {"GET",    "POST", "PUT",	"PATCH",
					   "DELETE", "HEAD", "OPTIONS", NULL};

/* The static spelling of method (matched case-insensitively), or NULL. */
static const char *known_method(const char *method)
{
	for (size_t i = 0; http_methods[i]; i++)
		if (strcasecmp(method, http_methods[i]) == 0)
			return http_methods[i];
	return NULL;
}

/* A header value must not smuggle in more header lines. */
static int has_control_char(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 && *s != '\t')
			return 1;
	return 0;
}

/* Reads the whole of path into a host-allocated buffer (owned by the caller)
 * with at most HTTP_MAX_BODY bytes. */
static int read_body_file(char **out, size_t *out_len, const pg_host_api *host, const char *path)
{
	FILE *f = NULL;
	struct stat st;
	char *buf = NULL, *grown;
	size_t len = 0, cap = 0, want, got;
	int rc = PG_EIO;

	*out = NULL;
	*out_len = 0;
	f = fopen(path, "rb");
	if (!f) {
		host->set_error("http: cannot open body file '%s': %s", path, strerror(errno));
		goto done;
	}
	if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode)) {
		if ((unsigned long long)st.st_size > HTTP_MAX_BODY) {
			host->set_error("http: body file '%s' is %lld bytes, larger than the "
					"%zu MiB limit",
					path, (long long)st.st_size, HTTP_MAX_BODY >> 20);
			rc = PG_ELIMIT;
			goto done;
		}
		/* +1: the read that fills the file's size then sees EOF */
		cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 0;
	}
	for (;;) {
		/* len <= HTTP_MAX_BODY here, so growing always gains room */
		if (!buf || len == cap) {
			size_t ncap = !buf ? (cap ? cap : HTTP_READ_CHUNK) : cap * 2;

			if (ncap > HTTP_MAX_BODY + 1)
				ncap = HTTP_MAX_BODY + 1;
			grown = host->realloc(buf, ncap);
			if (!grown) {
				host->set_error("http: out of memory reading body file '%s'", path);
				rc = PG_ENOMEM;
				goto done;
			}
			buf = grown;
			cap = ncap;
		}
		want = cap - len;
		got = fread(buf + len, 1, want, f);
		len += got;
		if (got < want) {
			if (ferror(f)) {
				host->set_error("http: cannot read body file '%s': %s", path,
						strerror(errno));
				goto done;
			}
			break; /* end of file */
		}
		if (len > HTTP_MAX_BODY) {
			host->set_error("http: body file '%s' is larger than the %zu MiB limit",
					path, HTTP_MAX_BODY >> 20);
			rc = PG_ELIMIT;
			goto done;
		}
	}
	*out = buf;
	*out_len = len;
	buf = NULL;
	rc = 0;
done:
	host->free(buf);
	if (f)
		fclose(f);
	return rc;
}

/* Copies an optional header value, rejecting line breaks. */
static int copy_header_value(char **out, const pg_host_api *host, const char *name,
			     const char *value)
{
	*out = NULL;
	if (!value)
		return 0;
	if (has_control_char(value)) {
		host->set_error("http: option '%s' must not contain control characters "
				"(line breaks)",
				name);
		return PG_EINVAL;
	}
	*out = host->strdup(value);
	if (!*out) {
		host->set_error("http: out of memory");
		return PG_ENOMEM;
	}
	return 0;
}

static void http_destroy(void *vinst)
{
	http_inst *in = vinst;

	if (!in)
		return;
	in->host->free(in->url);
	in->host->free(in->body);
	in->host->free(in->content_type);
	in->host->free(in->accept);
	in->host->free(in);
}

static int http_create(void **out_inst, const pg_host_api *host, const pg_options *opts,
		       const pg_target_info *target)
{
	http_inst *in = NULL;
	const char *method = NULL, *body = NULL, *ctype = NULL, *accept = NULL;
	int rc = PG_ENOMEM;

	*out_inst = NULL;
	if (!target || !target->url || !target->url[0]) {
		host->set_error("http: the target has no URL");
		return PG_EINVAL;
	}
	if (opts) {
		method = host->opt_string(opts, "method");
		body = host->opt_string(opts, "body");
		ctype = host->opt_string(opts, "content_type");
		accept = host->opt_string(opts, "accept");
	}
	in = host->calloc(1, sizeof(*in));
	if (!in)
		goto oom;
	in->host = host;
	in->method = known_method(method ? method : "GET");
	if (!in->method) {
		host->set_error("http: unsupported method '%s' (use GET, POST, PUT, PATCH, DELETE, "
				"HEAD or OPTIONS)",
				method);
		rc = PG_EINVAL;
		goto done;
	}
	in->url = host->strdup(target->url);
	if (!in->url)
		goto oom;
	if (body && body[0] == '@' && body[1] != '@') {
		if (!body[1]) {
			host->set_error("http: option 'body' is '@' without a file name");
			rc = PG_EINVAL;
			goto done;
		}
		rc = read_body_file(&in->body, &in->body_len, host, body + 1);
		if (rc < 0)
			goto done;
		rc = PG_ENOMEM;
	} else if (body) {
		if (body[0] == '@')
			body++; /* "@@text" sends "@text" */
		in->body_len = strlen(body);
		if (in->body_len > HTTP_MAX_BODY) {
			host->set_error("http: option 'body' is larger than the %zu MiB limit",
					HTTP_MAX_BODY >> 20);
			rc = PG_ELIMIT;
			goto done;
		}
		in->body = host->alloc(in->body_len + 1);
		if (!in->body)
			goto oom;
		memcpy(in->body, body, in->body_len + 1);
	}
	if (!ctype && in->body)
		ctype = "application/json";
	rc = copy_header_value(&in->content_type, host, "content_type", ctype);
	if (rc == 0)
		rc = copy_header_value(&in->accept, host, "accept", accept);
	if (rc < 0)
		goto done;
	*out_inst = in;
	in = NULL;
	rc = 0;
	goto done;
oom:
	host->set_error("http: out of memory");
	rc = PG_ENOMEM;
done:
	http_destroy(in);
	return rc;
}

/* The request is the same every time; item is ignored. url and body are
 * fresh host allocations the host frees; method, content_type and accept
 * point into the instance and stay valid until destroy. */
static int http_build(void *vinst, const pg_work_item *item, pg_request *out)
{
	http_inst *in = vinst;

	(void)item;
	memset(out, 0, sizeof(*out));
	out->url = pg_host_strndup(in->host, in->url, strlen(in->url));
	if (!out->url)
		goto oom;
	if (in->body) {
		out->body = pg_host_strndup(in->host, in->body, in->body_len);
		if (!out->body)
			goto oom;
		out->body_len = in->body_len;
	}
	out->method = in->method;
	out->content_type = in->content_type;
	out->accept = in->accept;
	return 0;
oom:
	in->host->free(out->url);
	memset(out, 0, sizeof(*out));
	in->host->set_error("http: out of memory building a request");
	return PG_ENOMEM;
}

static int http_parse_begin(void *vinst, void **out_state, int http_status,
			    const char *content_type, int streamed)
{
	http_inst *in = vinst;
	http_parse *st;

	(void)http_status;
	(void)content_type;
	(void)streamed;
	*out_state = NULL;
	st = in->host->calloc(1, sizeof(*st));
	if (!st) {
		in->host->set_error("http: out of memory");
		return PG_ENOMEM;
	}
	st->host = in->host;
	*out_state = st;
	return 0;
}

/* O(1), never copies: only the first non-empty read is reported. */
static int http_parse_data(void *vstate, const char *data, size_t len, const pg_response_sink *sink)
{
	http_parse *st = vstate;

	(void)data;
	if (len > 0 && !st->content_seen) {
		st->content_seen = 1;
		if (sink && sink->content)
			sink->content(sink->ctx, 1);
	}
	return 0;
}

/* Any body, including none, is a complete response. */
static int http_parse_end(void *vstate, const pg_response_sink *sink)
{
	(void)vstate;
	(void)sink;
	return 0;
}

static void http_parse_free(void *vstate)
{
	http_parse *st = vstate;

	if (st)
		st->host->free(st);
}

/* clang-format off */
static const pg_option_spec http_options[] = {
    {"method", PG_OPT_STRING, "GET", NULL, 0, 0,
     "request method: GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS"},
    {"body", PG_OPT_STRING, NULL, NULL, 0, 0,
     "request body; \"@path\" reads it from a file (at most 64 MiB), \"@@text\" sends \"@text\""},
    {"content_type", PG_OPT_STRING, NULL, NULL, 0, 0,
     "Content-Type header; defaults to application/json when a body is set"},
    {"accept", PG_OPT_STRING, NULL, NULL, 0, 0, "Accept header; none by default"},
    {0},
};
/* clang-format on */

static const pg_adapter_ops http_ops = {
    .create = http_create,
    .destroy = http_destroy,
    .build = http_build,
    .parse_begin = http_parse_begin,
    .parse_data = http_parse_data,
    .parse_end = http_parse_end,
    .parse_free = http_parse_free,
};

static const pg_plugin_desc http_desc = {
    PG_PLUGIN_DESC_INIT(PG_PLUGIN_ADAPTER, "http"),
    .version = "1.0.0",
    .description = "any HTTP request to exactly the target URL; success is a 2xx status, "
		   "ttft is the first body byte",
    .options = http_options,
    .ops = &http_ops,
};

PG_PLUGIN_EXPORT(http, http_desc)
