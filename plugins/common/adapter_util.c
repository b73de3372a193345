/* Helpers shared by the adapter plugins (see adapter_util.h). */
#include "adapter_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "host_mem.h"

void pg_adapter_fail(pg_adapter_reply *r, pg_error_class cls, const char *fmt, ...)
{
	char msg[PG_ADAPTER_FAIL_MSG_MAX];
	va_list ap;

	if (r->failed)
		return;
	r->failed = 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r->sink && r->sink->fail)
		r->sink->fail(r->sink->ctx, cls, msg);
}

void pg_adapter_content(pg_adapter_reply *r, const json_t *text, int64_t tokens)
{
	if (r->failed || !r->sink)
		return;
	if (r->sink->content)
		r->sink->content(r->sink->ctx, tokens);
	if (text && r->sink->text)
		r->sink->text(r->sink->ctx, json_string_value(text), json_string_length(text));
}

void pg_adapter_usage(pg_adapter_reply *r, int64_t in_tokens, int64_t out_tokens)
{
	if (!r->failed && r->sink && r->sink->usage)
		r->sink->usage(r->sink->ctx, in_tokens, out_tokens);
}

json_t *pg_adapter_body_json(pg_adapter_reply *r, size_t flags)
{
	json_error_t jerr;
	json_t *root;

	if (r->body_len == 0) {
		pg_adapter_fail(r, PG_FAIL_PROTOCOL, "empty response body");
		return NULL;
	}
	root = json_loadb(r->body, r->body_len, flags, &jerr);
	if (!root)
		pg_adapter_fail(r, PG_FAIL_PROTOCOL, "invalid JSON response: %s", jerr.text);
	return root;
}

int pg_adapter_append_body(pg_adapter_reply *r, const char *data, size_t len, size_t max,
			   const char *name)
{
	size_t cap;
	char *np;

	if (len > max - r->body_len) {
		pg_adapter_fail(r, PG_FAIL_PROTOCOL, "response body larger than %zu bytes", max);
		return 0;
	}
	if (r->body_len + len > r->body_cap) {
		cap = r->body_cap ? r->body_cap : 4096;
		while (cap < r->body_len + len)
			cap *= 2;
		if (cap > max)
			cap = max;
		np = r->host->realloc(r->body, cap);
		if (!np) {
			pg_adapter_fail(r, PG_FAIL_PROTOCOL,
					"out of memory buffering the response");
			r->host->set_error("%s: out of memory buffering a response", name);
			return PG_ENOMEM;
		}
		r->body = np;
		r->body_cap = cap;
	}
	memcpy(r->body + r->body_len, data, len);
	r->body_len += len;
	return 0;
}

void pg_adapter_reply_release(pg_adapter_reply *r)
{
	if (!r)
		return;
	if (r->host)
		r->host->free(r->body);
	r->body = NULL;
	r->body_len = r->body_cap = 0;
}

/* Serialises body into a host-allocated, NUL-terminated string. */
static int dump_json(char **out, size_t *out_len, const pg_host_api *host, const json_t *body,
		     size_t flags)
{
	size_t need, got;
	char *p;

	*out = NULL;
	flags |= JSON_COMPACT;
	need = json_dumpb(body, NULL, 0, flags);
	if (need == 0)
		return PG_ENOMEM;
	p = host->alloc(need + 1);
	if (!p)
		return PG_ENOMEM;
	got = json_dumpb(body, p, need, flags);
	if (got != need) {
		host->free(p);
		return PG_ENOMEM;
	}
	p[need] = '\0';
	*out = p;
	*out_len = need;
	return 0;
}

int pg_adapter_post_json(pg_request *out, const pg_host_api *host, const char *url,
			 const json_t *body, size_t flags, const char *accept)
{
	memset(out, 0, sizeof(*out));
	out->url = pg_host_strndup(host, url, strlen(url));
	if (!out->url || dump_json(&out->body, &out->body_len, host, body, flags) < 0) {
		host->free(out->url);
		memset(out, 0, sizeof(*out));
		return PG_ENOMEM;
	}
	out->method = "POST";
	out->content_type = "application/json";
	out->accept = accept;
	return 0;
}

int pg_adapter_put(json_t *obj, const char *key, json_t *value)
{
	return json_object_set_new(obj, key, value) == 0 ? 0 : -1;
}

int64_t pg_adapter_count(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	if (json_is_integer(v) && json_integer_value(v) >= 0)
		return (int64_t)json_integer_value(v);
	return -1;
}

int pg_adapter_nonempty_string(const json_t *v)
{
	return json_is_string(v) && json_string_length(v) > 0;
}

/* The media type of a Content-Type value (parameters cut): *start and its
 * length. */
static size_t media_type(const char **start, const char *ct)
{
	size_t n = 0;

	while (*ct == ' ' || *ct == '\t')
		ct++;
	while (ct[n] && ct[n] != ';' && ct[n] != ' ' && ct[n] != '\t')
		n++;
	*start = ct;
	return n;
}

int pg_adapter_media_type_is(const char *ct, const char *want)
{
	const char *mt;
	size_t n = media_type(&mt, ct);

	return n == strlen(want) && strncasecmp(mt, want, n) == 0;
}

int pg_adapter_media_type_is_json(const char *ct)
{
	const char *mt;
	size_t n = media_type(&mt, ct);

	return pg_adapter_media_type_is(ct, "application/json") ||
	       (n >= 5 && strncasecmp(mt + n - 5, "+json", 5) == 0);
}

/* A query or fragment of base (Azure's ?api-version=, a ?key=) stays at
 * the end: base "http://h/v1?k=1" and path "chat/completions" give
 * "http://h/v1/chat/completions?k=1" (and "...?a=2&k=1" when the path has
 * its own query). */
int pg_adapter_join_url(char **out, const pg_host_api *host, const char *base, const char *path)
{
	const char *sep = strstr(base, "://");
	const char *suffix = strpbrk(sep != NULL ? sep + 3 : base, "?#");
	size_t blen = suffix != NULL ? (size_t)(suffix - base) : strlen(base), plen, slen, total;
	int amp;
	char *p;

	*out = NULL;
	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	if (!path)
		path = "";
	while (*path == '/')
		path++;
	plen = strlen(path);
	slen = suffix != NULL ? strlen(suffix) : 0;
	amp = slen > 0 && suffix[0] == '?' && strchr(path, '?') != NULL;
	total = blen + (plen ? 1 + plen : 0) + slen;
	p = host->alloc(total + 1);
	if (!p) {
		host->set_error("out of memory");
		return PG_ENOMEM;
	}
	memcpy(p, base, blen);
	if (plen) {
		p[blen] = '/';
		memcpy(p + blen + 1, path, plen);
	}
	if (slen) {
		memcpy(p + total - slen, suffix, slen);
		if (amp)
			p[total - slen] = '&';
	}
	p[total] = '\0';
	*out = p;
	return 0;
}

/* Appends a JSON string's bytes at buf + *len. */
static void append_string(char *buf, size_t *len, const json_t *s)
{
	memcpy(buf + *len, json_string_value(s), json_string_length(s));
	*len += json_string_length(s);
}

int pg_adapter_render_chat_prompt(json_t **out, const pg_host_api *host, const char *name,
				  const char *messages_json, size_t max)
{
	static const char tail[] = "assistant:";
	json_error_t jerr;
	json_t *msgs = json_loads(messages_json, 0, &jerr);
	char *buf = NULL;
	size_t len = 0, need = sizeof(tail) - 1;
	int rc = PG_EINVAL;

	*out = NULL;
	if (!msgs) {
		host->set_error("%s: messages_json is not valid JSON: %s", name, jerr.text);
		return PG_EINVAL;
	}
	if (!json_is_array(msgs)) {
		host->set_error("%s: messages_json must be a JSON array", name);
		goto done;
	}
	for (size_t i = 0; i < json_array_size(msgs); i++) {
		const json_t *m = json_array_get(msgs, i);
		const json_t *role = json_object_get(m, "role"),
			     *content = json_object_get(m, "content");

		if (!json_is_string(role) || !json_is_string(content)) {
			host->set_error("%s: message %zu needs a string role and string content "
					"to be rendered as a prompt",
					name, i);
			goto done;
		}
		need += json_string_length(role) + 2 + json_string_length(content) + 1;
		if (need > max) {
			host->set_error("%s: the rendered prompt is over %zu bytes", name, max);
			rc = PG_ELIMIT;
			goto done;
		}
	}
	rc = PG_ENOMEM;
	buf = host->alloc(need + 1);
	if (!buf)
		goto oom;
	for (size_t i = 0; i < json_array_size(msgs); i++) {
		const json_t *m = json_array_get(msgs, i);

		append_string(buf, &len, json_object_get(m, "role"));
		memcpy(buf + len, ": ", 2);
		len += 2;
		append_string(buf, &len, json_object_get(m, "content"));
		buf[len++] = '\n';
	}
	memcpy(buf + len, tail, sizeof(tail) - 1);
	len += sizeof(tail) - 1;
	*out = json_stringn(buf, len);
	if (!*out)
		goto oom;
	rc = 0;
	goto done;
oom:
	host->set_error("%s: out of memory building a request", name);
done:
	host->free(buf);
	json_decref(msgs);
	return rc;
}
