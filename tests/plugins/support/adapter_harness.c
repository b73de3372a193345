/* The adapter test harness (see adapter_harness.h). */
#include "adapter_harness.h"

#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_host.h"

const pg_adapter_ops *adapter_ops(const pg_plugin_desc *d)
{
	return d->ops;
}

int adapter_create_v(void **out_inst, const pg_plugin_desc *d, const char *url, const char *model,
		     va_list ap)
{
	fake_options fo;
	pg_target_info target = {.url = url, .model = model};

	fake_options_init(&fo, d->options);
	fake_options_set_list(&fo, ap);
	return adapter_ops(d)->create(out_inst, &fake_host, fake_options_get(&fo), &target);
}

void *adapter_make_inst(const pg_plugin_desc *d, const char *url, const char *model, ...)
{
	void *inst = NULL;
	va_list ap;
	int rc;

	va_start(ap, model);
	rc = adapter_create_v(&inst, d, url, model, ap);
	va_end(ap);
	assert_int_equal(rc, 0);
	assert_non_null(inst);
	return inst;
}

int adapter_create_fails(const pg_plugin_desc *d, const char *url, const char *model, ...)
{
	void *inst = (void *)&inst;
	va_list ap;
	int rc;

	fake_host_clear_error();
	va_start(ap, model);
	rc = adapter_create_v(&inst, d, url, model, ap);
	va_end(ap);
	assert_true(rc < 0);
	assert_null(inst);
	assert_true(fake_host_last_error()[0] != '\0');
	return rc;
}

json_t *adapter_build_body(const pg_plugin_desc *d, void *inst, const pg_work_item *item, char *url,
			   size_t url_size, const char **accept)
{
	pg_request req;
	json_error_t jerr;
	json_t *body;

	assert_int_equal(adapter_ops(d)->build(inst, item, &req), 0);
	assert_non_null(req.url);
	assert_non_null(req.body);
	assert_string_equal(req.method, "POST");
	assert_string_equal(req.content_type, "application/json");
	assert_int_equal(req.body_len, strlen(req.body));
	body = json_loadb(req.body, req.body_len, 0, &jerr);
	if (!body)
		fail_msg("body is not JSON (%s): %s", jerr.text, req.body);
	assert_true(json_is_object(body));
	if (url)
		snprintf(url, url_size, "%s", req.url);
	if (accept)
		*accept = req.accept;
	fake_host.free(req.url);
	fake_host.free(req.body);
	return body;
}

void adapter_build_fails(const pg_plugin_desc *d, void *inst, const pg_work_item *item, int rc,
			 const char *want_msg)
{
	pg_request req;

	fake_host_clear_error();
	assert_int_equal(adapter_ops(d)->build(inst, item, &req), rc);
	assert_null(req.url);
	assert_null(req.body);
	if (!strstr(fake_host_last_error(), want_msg))
		fail_msg("error '%s' lacks '%s'", fake_host_last_error(), want_msg);
}

const char *adapter_str_of(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "";
}

void adapter_check_descriptor(const pg_plugin_desc *d, const char *name, const char *const *want,
			      size_t nwant)
{
	assert_string_equal(d->name, name);
	assert_int_equal(d->kind, PG_PLUGIN_ADAPTER);
	assert_int_equal(d->abi_major, PG_PLUGIN_ABI_MAJOR);
	assert_int_equal(d->abi_minor, PG_PLUGIN_ABI_MINOR);
	assert_int_equal(d->size, sizeof(pg_plugin_desc));
	assert_non_null(d->version);
	assert_non_null(d->description);
	assert_non_null(d->ops);
	assert_non_null(d->options);
	for (const pg_option_spec *s = d->options; s->name; s++) {
		assert_non_null(s->help);
		assert_true(s->type >= PG_OPT_STRING && s->type <= PG_OPT_DURATION);
	}
	for (size_t k = 0; k < nwant; k++) {
		const pg_option_spec *s = d->options;

		while (s->name && strcmp(s->name, want[k]) != 0)
			s++;
		if (!s->name)
			fail_msg("%s has no option '%s'", name, want[k]);
	}
}

void adapter_feed(const pg_adapter_ops *ops, void *inst, const char *ctype, int streamed,
		  const char *body, size_t len, size_t split, const pg_response_sink *sink)
{
	void *ps = NULL;

	assert_int_equal(ops->parse_begin(inst, &ps, 200, ctype, streamed), 0);
	assert_non_null(ps);
	if (split == ADAPTER_BYTE_BY_BYTE) {
		for (size_t i = 0; i < len; i++)
			assert_int_equal(ops->parse_data(ps, body + i, 1, sink), 0);
	} else {
		assert_int_equal(ops->parse_data(ps, body, split, sink), 0);
		assert_int_equal(ops->parse_data(ps, body + split, len - split, sink), 0);
	}
	assert_int_equal(ops->parse_end(ps, sink), 0);
	ops->parse_free(ps);
}

size_t adapter_split(size_t i, size_t len)
{
	return i <= len ? i : ADAPTER_BYTE_BY_BYTE;
}

/* ---- recording sink ----------------------------------------------------- */

static void trace_add(adapter_trace *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void trace_add(adapter_trace *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(t->text + t->len, sizeof(t->text) - t->len, fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < sizeof(t->text) - t->len);
	t->len += (size_t)n;
}

static void sink_content(void *ctx, int64_t tokens)
{
	adapter_trace *t = ctx;

	if (t->failed)
		t->event_after_fail = 1;
	trace_add(t, "C%lld;", (long long)tokens);
}

static void sink_text(void *ctx, const char *text, size_t len)
{
	adapter_trace *t = ctx;

	if (t->failed)
		t->event_after_fail = 1;
	trace_add(t, "T[%.*s];", (int)len, text);
}

static void sink_usage(void *ctx, int64_t in, int64_t out)
{
	adapter_trace *t = ctx;

	if (t->failed)
		t->event_after_fail = 1;
	trace_add(t, "U%lld,%lld;", (long long)in, (long long)out);
}

static void sink_fail(void *ctx, pg_error_class cls, const char *message)
{
	adapter_trace *t = ctx;

	trace_add(t, "F%d;", (int)cls);
	if (!t->failed)
		snprintf(t->fail_msg, sizeof(t->fail_msg), "%s", message);
	t->failed = 1;
}

pg_response_sink adapter_trace_sink(adapter_trace *t, int with_text)
{
	pg_response_sink sink = {t, sink_content, sink_usage, sink_fail,
				 with_text ? sink_text : NULL};

	return sink;
}

void adapter_parse_response(const pg_plugin_desc *d, void *inst, const char *ctype, int streamed,
			    const char *body, size_t len, size_t split, int with_text,
			    adapter_trace *t)
{
	pg_response_sink sink = adapter_trace_sink(t, with_text);

	memset(t, 0, sizeof(*t));
	adapter_feed(adapter_ops(d), inst, ctype, streamed, body, len, split, &sink);
	assert_false(t->event_after_fail);
}

void adapter_parse_flood(const pg_plugin_desc *d, void *inst, const char *ctype, int streamed,
			 const char *head, char fill, int reads, int with_text, adapter_trace *t)
{
	const pg_adapter_ops *ops = adapter_ops(d);
	pg_response_sink sink = adapter_trace_sink(t, with_text);
	size_t piece = 1024 * 1024, head_len = head ? strlen(head) : 0;
	char *block = malloc(piece);
	void *ps = NULL;

	assert_non_null(block);
	memset(block, fill, piece);
	memcpy(block, head ? head : "", head_len);
	memset(t, 0, sizeof(*t));
	assert_int_equal(ops->parse_begin(inst, &ps, 200, ctype, streamed), 0);
	for (int i = 0; i < reads; i++) {
		assert_int_equal(ops->parse_data(ps, block, piece, &sink), 0);
		memset(block, fill, head_len); /* only the first read has the head */
	}
	assert_int_equal(ops->parse_end(ps, &sink), 0);
	ops->parse_free(ps);
	free(block);
}

/* ---- expectations ------------------------------------------------------- */

/* want without its "T[...];" entries: what a sink without text sees. */
static void strip_text(char *out, size_t size, const char *want)
{
	size_t n = 0;

	while (*want) {
		if (want[0] == 'T' && want[1] == '[') {
			const char *end = strstr(want, "];");

			assert_non_null(end);
			want = end + 2;
			continue;
		}
		assert_true(n + 1 < size);
		out[n++] = *want++;
	}
	out[n] = '\0';
}

void adapter_expect_split(const pg_plugin_desc *d, void *inst, const char *ctype, int streamed,
			  const char *body, const char *want, const char *want_msg, int with_text)
{
	const char *mode = with_text ? "" : " without text";
	size_t len = strlen(body);
	adapter_trace t;

	for (size_t i = 0; i <= len + 1; i++) {
		size_t s = adapter_split(i, len);
		char how[32];

		if (s == ADAPTER_BYTE_BY_BYTE)
			snprintf(how, sizeof(how), "byte by byte");
		else
			snprintf(how, sizeof(how), "split at %zu", s);
		adapter_parse_response(d, inst, ctype, streamed, body, len, s, with_text, &t);
		if (strcmp(t.text, want) != 0)
			fail_msg("%s%s: got '%s', want '%s' (fail message '%s')", how, mode, t.text,
				 want, t.fail_msg);
		if (want_msg && !strstr(t.fail_msg, want_msg))
			fail_msg("%s%s: fail message '%s' lacks '%s'", how, mode, t.fail_msg,
				 want_msg);
	}
}

void adapter_expect_events(const pg_plugin_desc *d, void *inst, const char *ctype, int streamed,
			   const char *body, const char *want, const char *want_msg)
{
	char no_text[sizeof(((adapter_trace *)0)->text)];

	strip_text(no_text, sizeof(no_text), want);
	adapter_expect_split(d, inst, ctype, streamed, body, want, want_msg, 1);
	adapter_expect_split(d, inst, ctype, streamed, body, no_text, want_msg, 0);
}
