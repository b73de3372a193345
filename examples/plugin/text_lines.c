/*
 * text-lines: a perfgate adapter for plain-text streaming endpoints, built
 * out of tree against the installed SDK (see README.md next to this file
 * and docs/plugins.md).
 *
 * The protocol: POST <target url><path>?max_tokens=N with the prompt as a
 * text/plain body; the server streams text back, one token per line.
 *  - every line holding something other than blanks is one token, reported
 *    as content when its newline arrives (the token is complete then);
 *    a last line without a newline is counted when the body ends;
 *  - blank lines (keep-alives) are not content;
 *  - a line starting with the `error_prefix` option ("ERROR:") is an error
 *    the server reports in the stream: the request fails as a stream error;
 *  - a line longer than `max_line` bytes fails the request as malformed.
 *
 * Only the part of a line that is split across reads is copied, into a
 * buffer that grows to at most max_line bytes; whole lines are handled
 * where they lie in the data the host passes in.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <perfgate/plugin.h>

#define TL_NAME "text-lines"

/* One instance per target and worker. */
typedef struct tl_inst {
	const pg_host_api *host;
	char *url;	     /* target url + path, no query */
	int send_max_tokens; /* append ?max_tokens=N */
	char *error_prefix;  /* NULL or "": no error lines */
	size_t error_prefix_len;
	size_t max_line;
} tl_inst;

/* Parser state of one response. */
typedef struct tl_parse {
	const tl_inst *in;
	char *buf; /* the start of a line split across reads */
	size_t len, cap;
	int failed; /* an error line was seen: the rest is ignored */
} tl_parse;

static void tl_destroy(void *vinst)
{
	tl_inst *in = vinst;

	if (in == NULL)
		return;
	in->host->free(in->url);
	in->host->free(in->error_prefix);
	in->host->free(in);
}

static int tl_create(void **out_inst, const pg_host_api *host, const pg_options *opts,
		     const pg_target_info *target)
{
	const char *path = host->opt_string(opts, "path");
	const char *prefix = host->opt_string(opts, "error_prefix");
	tl_inst *in = NULL;
	size_t base_len, path_len, n;

	*out_inst = NULL;
	if (target == NULL || target->url == NULL || target->url[0] == '\0') {
		host->set_error(TL_NAME ": the target has no URL");
		return PG_EINVAL;
	}
	if (strchr(target->url, '?') != NULL) {
		host->set_error(TL_NAME ": the target URL must not have a query string");
		return PG_EINVAL;
	}
	if (path == NULL)
		path = "";
	in = host->calloc(1, sizeof(*in));
	if (in == NULL)
		goto oom;
	in->host = host;
	in->send_max_tokens = host->opt_bool(opts, "send_max_tokens");
	in->max_line = (size_t)host->opt_int(opts, "max_line"); /* bounded by the table */

	/* url = base without trailing '/' + '/' + path without leading '/' */
	base_len = strlen(target->url);
	while (base_len > 0 && target->url[base_len - 1] == '/')
		base_len--;
	while (*path == '/')
		path++;
	path_len = strlen(path);
	n = base_len + 1 + path_len + 1;
	in->url = host->alloc(n);
	if (in->url == NULL)
		goto oom;
	snprintf(in->url, n, "%.*s/%s", (int)base_len, target->url, path);

	if (prefix != NULL && prefix[0] != '\0') {
		in->error_prefix = host->strdup(prefix);
		if (in->error_prefix == NULL)
			goto oom;
		in->error_prefix_len = strlen(prefix);
	}
	*out_inst = in;
	return 0;
oom:
	host->set_error(TL_NAME ": out of memory");
	tl_destroy(in);
	return PG_ENOMEM;
}

/* The prompt is the body; the host frees url and body after the request. */
static int tl_build(void *vinst, const pg_work_item *item, pg_request *out)
{
	tl_inst *in = vinst;
	const pg_host_api *host = in->host;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (item->prompt == NULL) {
		host->set_error("%s: chat messages are not supported; give the workload plain "
				"prompts (`prompts:` strings or {\"prompt\": ...} lines)",
				TL_NAME);
		return PG_EINVAL;
	}
	n = strlen(in->url) + sizeof("?max_tokens=") + 20; /* 20: digits of an int64 */
	out->url = host->alloc(n);
	out->body = host->strdup(item->prompt);
	if (out->url == NULL || out->body == NULL) {
		host->free(out->url);
		host->free(out->body);
		memset(out, 0, sizeof(*out));
		host->set_error(TL_NAME ": out of memory building a request");
		return PG_ENOMEM;
	}
	if (in->send_max_tokens && item->max_tokens > 0)
		snprintf(out->url, n, "%s?max_tokens=%lld", in->url, (long long)item->max_tokens);
	else
		snprintf(out->url, n, "%s", in->url);
	out->body_len = strlen(out->body);
	out->method = "POST";
	out->content_type = "text/plain; charset=utf-8";
	out->accept = "text/plain";
	return 0;
}

/* Whether s starts with the ASCII prefix p, ignoring case. */
static int starts_with_nocase(const char *s, const char *p)
{
	for (; *p != '\0'; s++, p++) {
		char a = *s, b = *p;

		if (a >= 'A' && a <= 'Z')
			a = (char)(a - 'A' + 'a');
		if (b >= 'A' && b <= 'Z')
			b = (char)(b - 'A' + 'a');
		if (a != b)
			return 0;
	}
	return 1;
}

static int tl_parse_begin(void *vinst, void **out_state, int http_status, const char *content_type,
			  int streamed)
{
	tl_inst *in = vinst;
	tl_parse *st;

	(void)http_status; /* only 2xx responses are parsed */
	(void)streamed;	   /* the server decides; both read the same */
	*out_state = NULL;
	if (content_type != NULL && !starts_with_nocase(content_type, "text/")) {
		in->host->set_error(TL_NAME ": expected a text/* response, got '%.64s'",
				    content_type);
		return PG_EPARSE;
	}
	st = in->host->calloc(1, sizeof(*st));
	if (st == NULL) {
		in->host->set_error(TL_NAME ": out of memory");
		return PG_ENOMEM;
	}
	st->in = in;
	*out_state = st;
	return 0;
}

/* One complete line (without its '\n'). */
static void on_line(tl_parse *st, const char *s, size_t n, const pg_response_sink *sink)
{
	const tl_inst *in = st->in;
	size_t i;

	if (st->failed)
		return;
	if (n > 0 && s[n - 1] == '\r')
		n--;
	for (i = 0; i < n && (s[i] == ' ' || s[i] == '\t'); i++)
		;
	if (i == n)
		return; /* a blank keep-alive line is not content */
	if (in->error_prefix != NULL && n >= in->error_prefix_len &&
	    memcmp(s, in->error_prefix, in->error_prefix_len) == 0) {
		char msg[256];

		snprintf(msg, sizeof(msg), "server error: %.*s", (int)(n > 200 ? 200 : n), s);
		sink->fail(sink->ctx, PG_FAIL_STREAM, msg);
		st->failed = 1;
		return;
	}
	sink->content(sink->ctx, 1);
	if (sink->text != NULL) { /* NULL when nothing needs the text */
		sink->text(sink->ctx, s, n);
		sink->text(sink->ctx, "\n", 1);
	}
}

/* A line over the cap makes the response malformed (a protocol failure). */
static int too_long(const tl_parse *st)
{
	st->in->host->set_error("%s: a line is longer than max_line (%zu bytes)", TL_NAME,
				st->in->max_line);
	return PG_ELIMIT;
}

/* Appends n bytes of a split line to the buffer, growing it up to max_line. */
static int buffer_append(tl_parse *st, const char *data, size_t n)
{
	const pg_host_api *host = st->in->host;

	if (n > st->in->max_line - st->len)
		return too_long(st);
	if (st->len + n > st->cap) {
		size_t cap = st->cap ? st->cap : 64;
		char *grown;

		while (cap < st->len + n)
			cap *= 2;
		if (cap > st->in->max_line)
			cap = st->in->max_line;
		grown = host->realloc(st->buf, cap);
		if (grown == NULL) {
			host->set_error(TL_NAME ": out of memory");
			return PG_ENOMEM;
		}
		st->buf = grown;
		st->cap = cap;
	}
	memcpy(st->buf + st->len, data, n);
	st->len += n;
	return 0;
}

static int tl_parse_data(void *vstate, const char *data, size_t len, const pg_response_sink *sink)
{
	tl_parse *st = vstate;
	int rc;

	if (st->failed)
		return 0; /* the request already failed: nothing more to report */
	while (len > 0) {
		const char *nl = memchr(data, '\n', len);
		size_t take = nl != NULL ? (size_t)(nl - data) : len;

		if (st->len > 0 || nl == NULL) {
			/* the line started in an earlier read, or goes on in a later one */
			if ((rc = buffer_append(st, data, take)) < 0)
				return rc;
			if (nl == NULL)
				return 0;
			on_line(st, st->buf, st->len, sink);
			st->len = 0;
		} else {
			if (take > st->in->max_line)
				return too_long(st);
			on_line(st, data, take, sink);
		}
		data += take + 1;
		len -= take + 1;
	}
	return 0;
}

/* A last line without a newline still counts. */
static int tl_parse_end(void *vstate, const pg_response_sink *sink)
{
	tl_parse *st = vstate;

	if (st->len > 0)
		on_line(st, st->buf, st->len, sink);
	st->len = 0;
	return 0;
}

static void tl_parse_free(void *vstate)
{
	tl_parse *st = vstate;

	if (st == NULL)
		return;
	st->in->host->free(st->buf);
	st->in->host->free(st);
}

/* clang-format off */
static const pg_option_spec tl_options[] = {
    {"path", PG_OPT_STRING, "/generate", NULL, 0, 0,
     "path appended to the target URL"},
    {"send_max_tokens", PG_OPT_BOOL, "true", NULL, 0, 0,
     "append ?max_tokens=N (the workload's max_tokens) to the URL"},
    {"error_prefix", PG_OPT_STRING, "ERROR:", NULL, 0, 0,
     "a line starting with this is an error reported by the server; \"\": none"},
    {"max_line", PG_OPT_INT, "4096", "bytes", 16, 65536,
     "longest line accepted; a longer one fails the request as malformed"},
    {NULL, 0, NULL, NULL, 0, 0, NULL},
};
/* clang-format on */

static const pg_adapter_ops tl_ops = {
    .create = tl_create,
    .destroy = tl_destroy,
    .build = tl_build,
    .parse_begin = tl_parse_begin,
    .parse_data = tl_parse_data,
    .parse_end = tl_parse_end,
    .parse_free = tl_parse_free,
};

static const pg_plugin_desc tl_desc = {
    PG_PLUGIN_DESC_INIT(PG_PLUGIN_ADAPTER, TL_NAME),
    .version = "1.0.0",
    .description = "plain-text streaming endpoints: POSTs the prompt as text/plain, "
		   "counts each non-blank line as a token",
    .options = tl_options,
    .ops = &tl_ops,
};

PG_PLUGIN_EXPORT(text_lines, tl_desc)
