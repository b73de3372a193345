/*
 * Unit checks for the text-lines adapter, without perfgate: the adapter's
 * source is included directly and driven through a small fake host, the
 * way perfgate would drive it. Every response is fed split at every byte
 * (and one byte at a time), since the host passes body bytes exactly as
 * they arrived. `make check` builds and runs it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text_lines.c"

static int failures;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

/* ---- fake host ---------------------------------------------------------- */

/* The host's option values are opaque to plugins; this fake keeps the four
 * text-lines options as plain fields. */
struct pg_options {
	const char *path;
	int send_max_tokens;
	const char *error_prefix;
	int64_t max_line;
};

static char last_error[512];

static void fake_log(pg_log_level level, const char *plugin, const char *fmt, ...)
{
	(void)level;
	(void)plugin;
	(void)fmt;
}

static void *fake_alloc(size_t size)
{
	return malloc(size);
}

static void *fake_calloc(size_t n, size_t size)
{
	return calloc(n, size);
}

static void *fake_realloc(void *p, size_t size)
{
	return realloc(p, size);
}

static void fake_free(void *p)
{
	free(p);
}

static char *fake_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);

	if (d != NULL)
		memcpy(d, s, n);
	return d;
}

static pg_ns fake_now(void)
{
	return 0;
}

static const char *fake_opt_string(const pg_options *o, const char *name)
{
	if (strcmp(name, "path") == 0)
		return o->path;
	if (strcmp(name, "error_prefix") == 0)
		return o->error_prefix;
	return NULL;
}

static int64_t fake_opt_int(const pg_options *o, const char *name)
{
	return strcmp(name, "max_line") == 0 ? o->max_line : 0;
}

static double fake_opt_double(const pg_options *o, const char *name)
{
	(void)o;
	(void)name;
	return 0;
}

static int fake_opt_bool(const pg_options *o, const char *name)
{
	return strcmp(name, "send_max_tokens") == 0 ? o->send_max_tokens : 0;
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

static const pg_host_api host = {
    .version = PG_HOST_API_VERSION,
    .size = sizeof(pg_host_api),
    .log = fake_log,
    .alloc = fake_alloc,
    .calloc = fake_calloc,
    .realloc = fake_realloc,
    .free = fake_free,
    .strdup = fake_strdup,
    .now_ns = fake_now,
    .opt_string = fake_opt_string,
    .opt_int = fake_opt_int,
    .opt_double = fake_opt_double,
    .opt_bool = fake_opt_bool,
    .opt_duration = fake_opt_duration,
    .set_error = fake_set_error,
};

/* The defaults of the option table. */
static const pg_options defaults = {"/generate", 1, "ERROR:", 4096};

/* ---- recording sink ----------------------------------------------------- */

typedef struct events {
	int content;
	int fails;
	pg_error_class fail_class;
	char text[256];
	size_t text_len;
} events;

static void on_content(void *ctx, int64_t tokens)
{
	events *e = ctx;

	if (tokens == 1)
		e->content++;
}

static void on_usage(void *ctx, int64_t input_tokens, int64_t output_tokens)
{
	(void)ctx;
	(void)input_tokens;
	(void)output_tokens;
}

static void on_fail(void *ctx, pg_error_class cls, const char *message)
{
	events *e = ctx;

	(void)message;
	if (e->fails++ == 0)
		e->fail_class = cls;
}

static void on_text(void *ctx, const char *text, size_t len)
{
	events *e = ctx;

	if (len <= sizeof(e->text) - 1 - e->text_len) {
		memcpy(e->text + e->text_len, text, len);
		e->text_len += len;
		e->text[e->text_len] = '\0';
	}
}

/* Feeds body to a fresh parser in pieces: the first `split` bytes, then
 * the rest, or one byte at a time when split is (size_t)-1. Returns the
 * first negative return of parse_data/parse_end, else 0. */
static int feed(events *e, void *inst, const char *body, size_t split, int with_text)
{
	pg_response_sink sink = {e, on_content, on_usage, on_fail, with_text ? on_text : NULL};
	size_t len = strlen(body), i;
	void *st = NULL;
	int rc;

	memset(e, 0, sizeof(*e));
	rc = tl_ops.parse_begin(inst, &st, 200, "text/plain; charset=utf-8", 1);
	if (rc < 0)
		return rc;
	if (split == (size_t)-1) {
		for (i = 0; i < len && rc == 0; i++)
			rc = tl_ops.parse_data(st, body + i, 1, &sink);
	} else {
		rc = tl_ops.parse_data(st, body, split, &sink);
		if (rc == 0)
			rc = tl_ops.parse_data(st, body + split, len - split, &sink);
	}
	if (rc == 0)
		rc = tl_ops.parse_end(st, &sink);
	tl_ops.parse_free(st);
	return rc;
}

static void *make(const pg_options *opts, const char *url)
{
	pg_target_info target = {url, NULL};
	void *inst = NULL;

	CHECK(tl_ops.create(&inst, &host, opts, &target) == 0);
	return inst;
}

/* ---- checks ------------------------------------------------------------- */

static void lines_are_tokens_at_every_split(void)
{
	static const char body[] = "alpha\n\n  \t \nbeta\r\n\r\ngamma";
	void *inst = make(&defaults, "http://127.0.0.1:8000");
	events e;
	size_t split;

	for (split = 0; split <= sizeof(body) - 1; split++) {
		CHECK(feed(&e, inst, body, split, 1) == 0);
		CHECK(e.content == 3);
		CHECK(e.fails == 0);
		CHECK(strcmp(e.text, "alpha\nbeta\ngamma\n") == 0);
	}
	CHECK(feed(&e, inst, body, (size_t)-1, 1) == 0);
	CHECK(e.content == 3);
	/* without a text callback the tokens are counted all the same */
	CHECK(feed(&e, inst, body, 3, 0) == 0);
	CHECK(e.content == 3);
	CHECK(e.text_len == 0);
	tl_ops.destroy(inst);
}

static void error_line_fails_the_stream(void)
{
	static const char body[] = "one\nERROR: engine overloaded\ntwo\n";
	void *inst = make(&defaults, "http://127.0.0.1:8000");
	pg_options no_prefix = defaults;
	events e;
	size_t split;

	for (split = 0; split <= sizeof(body) - 1; split++) {
		CHECK(feed(&e, inst, body, split, 1) == 0);
		CHECK(e.content == 1);
		CHECK(e.fails == 1);
		CHECK(e.fail_class == PG_FAIL_STREAM);
	}
	tl_ops.destroy(inst);

	no_prefix.error_prefix = "";
	inst = make(&no_prefix, "http://127.0.0.1:8000");
	CHECK(feed(&e, inst, body, 5, 1) == 0);
	CHECK(e.content == 3);
	CHECK(e.fails == 0);
	tl_ops.destroy(inst);
}

static void lines_over_max_line_are_refused(void)
{
	static const char fits[] = "0123456789abcdef\r\nx\n"; /* 16 bytes + CR */
	static const char over[] = "ok\n0123456789abcdefgh\n";
	pg_options small = defaults;
	void *inst;
	events e;
	size_t split;

	small.max_line = 17;
	inst = make(&small, "http://127.0.0.1:8000");
	for (split = 0; split <= sizeof(fits) - 1; split++) {
		CHECK(feed(&e, inst, fits, split, 1) == 0);
		CHECK(e.content == 2);
	}
	for (split = 0; split <= sizeof(over) - 1; split++) {
		CHECK(feed(&e, inst, over, split, 1) == PG_ELIMIT);
		CHECK(strstr(last_error, "longer than max_line (17 bytes)") != NULL);
	}
	CHECK(feed(&e, inst, over, (size_t)-1, 1) == PG_ELIMIT);
	/* an unterminated line is capped the same way */
	CHECK(feed(&e, inst, "0123456789abcdefgh", 4, 1) == PG_ELIMIT);
	tl_ops.destroy(inst);
}

static void only_text_responses_are_parsed(void)
{
	void *inst = make(&defaults, "http://127.0.0.1:8000");
	void *st = NULL;

	CHECK(tl_ops.parse_begin(inst, &st, 200, "application/json", 1) == PG_EPARSE);
	CHECK(st == NULL);
	CHECK(strstr(last_error, "expected a text/* response, got 'application/json'") != NULL);
	CHECK(tl_ops.parse_begin(inst, &st, 200, "Text/Plain", 1) == 0);
	tl_ops.parse_free(st);
	CHECK(tl_ops.parse_begin(inst, &st, 200, NULL, 0) == 0);
	tl_ops.parse_free(st);
	tl_ops.destroy(inst);
}

static void requests_post_the_prompt_as_text(void)
{
	pg_work_item item = {"tell me a story", NULL, 5, 1};
	pg_work_item chat = {NULL, "[{\"role\":\"user\",\"content\":\"hi\"}]", 5, 1};
	pg_options plain = defaults;
	pg_request req;
	void *inst = make(&defaults, "http://127.0.0.1:8000/");

	CHECK(tl_ops.build(inst, &item, &req) == 0);
	CHECK(strcmp(req.url, "http://127.0.0.1:8000/generate?max_tokens=5") == 0);
	CHECK(req.body_len == strlen("tell me a story"));
	CHECK(memcmp(req.body, "tell me a story", req.body_len) == 0);
	CHECK(strcmp(req.method, "POST") == 0);
	CHECK(strncmp(req.content_type, "text/plain", 10) == 0);
	free(req.url);
	free(req.body);

	item.max_tokens = 0; /* no limit: no query */
	CHECK(tl_ops.build(inst, &item, &req) == 0);
	CHECK(strcmp(req.url, "http://127.0.0.1:8000/generate") == 0);
	free(req.url);
	free(req.body);

	CHECK(tl_ops.build(inst, &chat, &req) == PG_EINVAL);
	CHECK(req.url == NULL && req.body == NULL);
	CHECK(strstr(last_error, "chat messages are not supported") != NULL);
	tl_ops.destroy(inst);

	plain.send_max_tokens = 0;
	plain.path = "api/lines";
	inst = make(&plain, "http://127.0.0.1:8000/v1");
	item.max_tokens = 5;
	CHECK(tl_ops.build(inst, &item, &req) == 0);
	CHECK(strcmp(req.url, "http://127.0.0.1:8000/v1/api/lines") == 0);
	free(req.url);
	free(req.body);
	tl_ops.destroy(inst);
}

static void target_with_query_is_refused(void)
{
	pg_target_info target = {"http://127.0.0.1:8000/?x=1", NULL};
	void *inst = NULL;

	CHECK(tl_ops.create(&inst, &host, &defaults, &target) == PG_EINVAL);
	CHECK(inst == NULL);
	CHECK(strstr(last_error, "must not have a query string") != NULL);
}

static void descriptor_names_the_abi(void)
{
	const pg_plugin_desc *d = perfgate_plugin_entry();

	CHECK(d->abi_major == PG_PLUGIN_ABI_MAJOR);
	CHECK(d->size == sizeof(pg_plugin_desc));
	CHECK(d->kind == PG_PLUGIN_ADAPTER);
	CHECK(strcmp(d->name, "text-lines") == 0);
	CHECK(d->ops == &tl_ops);
}

int main(void)
{
	lines_are_tokens_at_every_split();
	error_line_fails_the_stream();
	lines_over_max_line_are_refused();
	only_text_responses_are_parsed();
	requests_post_the_prompt_as_text();
	target_with_query_is_refused();
	descriptor_names_the_abi();
	if (failures > 0) {
		fprintf(stderr, "%d check(s) failed\n", failures);
		return 1;
	}
	printf("ok: text-lines checks passed\n");
	return 0;
}
