/*
 * Fuzz target: every adapter's response parser, through its plugin
 * descriptor and the real host API, as the engine drives it: parse_begin,
 * parse_data per read, parse_end (unless a read failed), parse_free.
 *
 * Input: 4 header bytes, then the response body.
 *   byte 0: HTTP status, 200 + byte % 100 (adapters only see 2xx)
 *   byte 1: which adapter instance (byte % the number of instances below)
 *   byte 2: bits 0-2 the Content-Type (see content_types), bit 3 the
 *           request asked for a stream, bit 4 the sink has a text callback,
 *           bits 5-6 the largest read (1, 7, 64 or 4096 bytes)
 *   byte 3: the split seed
 * The body is parsed once whole and once split into reads (each in its own
 * exact-size buffer); both must report the same events, since adapters
 * promise frames may be split at any byte. Also checked: no content,
 * usage or text after a failure (what tests/plugins/support's harness
 * asserts), fail messages are strings, and nothing leaks.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "fuzz_util.h"
#include "log.h"
#include "options.h"
#include "perfgate/plugin.h"
#include "plugin_loader.h"

const pg_plugin_desc *pg_builtin_openai_chat(void);
const pg_plugin_desc *pg_builtin_openai_completions(void);
const pg_plugin_desc *pg_builtin_openai_embeddings(void);
const pg_plugin_desc *pg_builtin_tgi(void);
const pg_plugin_desc *pg_builtin_ollama(void);
const pg_plugin_desc *pg_builtin_kserve_v2(void);
const pg_plugin_desc *pg_builtin_http_json(void);
const pg_plugin_desc *pg_builtin_http(void);

typedef struct inst_spec {
	const pg_plugin_desc *(*entry)(void);
	const char *opts[20]; /* name, value pairs, NULL-ended */
} inst_spec;

#define HJ_TEMPLATE "template", "{\"prompt\": \"{{prompt}}\", \"max_tokens\": {{max_tokens}}}"

/* One instance per adapter and per option set that changes its parser. */
static const inst_spec specs[] = {
    {pg_builtin_openai_chat, {NULL}},
    {pg_builtin_openai_completions, {NULL}},
    {pg_builtin_openai_embeddings, {NULL}},
    {pg_builtin_tgi, {NULL}},
    {pg_builtin_tgi, {"details", "false", NULL}},
    {pg_builtin_ollama, {NULL}},
    {pg_builtin_ollama, {"mode", "generate", NULL}},
    {pg_builtin_kserve_v2, {NULL}},
    {pg_builtin_kserve_v2, {"batch_dim", "true", "token_counts", "true", NULL}},
    {pg_builtin_kserve_v2, {"generate", "true", NULL}},
    {pg_builtin_kserve_v2,
     {"generate", "true", "token_counts", "true", "output_name", "out", NULL}},
    {pg_builtin_http_json,
     {HJ_TEMPLATE, "text_path", "choices[0].message.content", "output_tokens_path",
      "usage.completion_tokens", "input_tokens_path", "usage.prompt_tokens", "error_path", "error",
      NULL}},
    {pg_builtin_http_json,
     {HJ_TEMPLATE, "stream", "sse", "text_path", "choices[-1].delta[\"content\"]",
      "output_tokens_path", "usage.completion_tokens", "error_path", "error.message", "done_path",
      "choices[0].finish_reason", NULL}},
    {pg_builtin_http_json,
     {HJ_TEMPLATE, "stream", "ndjson", "text_path", "message.content", "output_tokens_path",
      "eval_count", "input_tokens_path", "prompt_eval_count", "done_path", "done", "success_path",
      "done", NULL}},
    {pg_builtin_http_json,
     {HJ_TEMPLATE, "text_path", "$[0].generated_text", "output_tokens_path",
      "[0].details.generated_tokens", "success_path", "[0].ok", NULL}},
    {pg_builtin_http, {NULL}},
};

#define N_SPECS (sizeof(specs) / sizeof(specs[0]))

static const char *const content_types[8] = {
    NULL,
    "application/json",
    "text/event-stream",
    "application/x-ndjson",
    "text/event-stream; charset=utf-8",
    "application/json; charset=UTF-8",
    "text/plain",
    "application/jsonl",
};

static const size_t chunk_sizes[4] = {1, 7, 64, 4096};

static struct {
	const pg_adapter_ops *ops;
	void *inst;
	pg_options *opts; /* kept for the instance's lifetime: the whole run */
	const char *name;
} insts[N_SPECS];

/* Makes instance i from its spec; aborts (a setup bug, not a finding) on failure. */
static void make_instance(size_t i, const pg_host_api *host, const pg_target_info *target)
{
	const pg_plugin_desc *d = specs[i].entry();
	int rc = pg_options_new(&insts[i].opts, d->options);

	for (size_t k = 0; rc == 0 && specs[i].opts[k]; k += 2)
		rc = pg_options_set(insts[i].opts, specs[i].opts[k], specs[i].opts[k + 1]);
	insts[i].ops = d->ops;
	insts[i].name = d->name;
	if (rc == 0)
		rc = insts[i].ops->create(&insts[i].inst, host, insts[i].opts, target);
	if (rc < 0) {
		fprintf(stderr, "fuzz_adapters: instance %zu (%s): %s\n", i, d->name,
			pg_error_last());
		abort();
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	pg_target_info target = {"http://127.0.0.1:9/v1", "fuzz-model"};

	(void)argc;
	(void)argv;
	pg_log_set_level(PG_LOG_ERROR);
	for (size_t i = 0; i < N_SPECS; i++)
		make_instance(i, pg_host_api_get(), &target);
	return 0;
}

typedef struct events {
	uint64_t digest;
	uint64_t text_digest;
	size_t text_bytes;
	int failed;
	pg_error_class fail_class;
	uint64_t fail_digest;
	int data_rc; /* first negative parse_data result, else 0 */
	int end_rc;
	const uint8_t *input; /* the body, for fuzz_shows_null */
	size_t input_size;
} events;

static void on_content(void *ctx, int64_t tokens)
{
	events *e = ctx;

	FUZZ_CHECK(!e->failed);
	FUZZ_CHECK(tokens >= 1);
	e->digest = fuzz_hash(e->digest, "C", 1);
	e->digest = fuzz_hash_i64(e->digest, tokens);
}

static void on_usage(void *ctx, int64_t in, int64_t out)
{
	events *e = ctx;

	FUZZ_CHECK(!e->failed);
	e->digest = fuzz_hash(e->digest, "U", 1);
	e->digest = fuzz_hash_i64(e->digest, in);
	e->digest = fuzz_hash_i64(e->digest, out);
}

static void on_fail(void *ctx, pg_error_class cls, const char *message)
{
	events *e = ctx;
	size_t n = message ? strlen(message) : 0;

	FUZZ_CHECK(cls > PG_FAIL_NONE && cls < PG_FAIL_CLASS_COUNT);
	if (e->failed)
		return; /* the first failure wins */
	FUZZ_CHECK(!fuzz_shows_null(message, e->input, e->input_size));
	e->failed = 1;
	e->fail_class = cls;
	e->fail_digest = fuzz_hash(FUZZ_HASH_INIT, message ? message : "", n);
}

static void on_text(void *ctx, const char *text, size_t len)
{
	events *e = ctx;

	FUZZ_CHECK(!e->failed);
	FUZZ_CHECK(text != NULL || len == 0);
	/* hashed as one stream: how the text is cut into calls may differ */
	e->text_digest = fuzz_hash(e->text_digest, text, len);
	e->text_bytes += len;
}

/* One read, from its own exact-size buffer; parse_data's result (< 0 only). */
static int feed(const pg_adapter_ops *ops, void *state, const char *src, size_t n,
		const pg_response_sink *sink)
{
	char *buf = malloc(n ? n : 1);
	int rc;

	if (!buf)
		return 0;
	if (n)
		memcpy(buf, src, n);
	rc = ops->parse_data(state, buf, n, sink);
	free(buf);
	return rc < 0 ? rc : 0;
}

static void parse(events *e, size_t which, int status, const char *ctype, int streamed,
		  int want_text, const char *body, size_t len, uint32_t seed, size_t max_chunk)
{
	const pg_adapter_ops *ops = insts[which].ops;
	pg_response_sink sink = {e, on_content, on_usage, on_fail, want_text ? on_text : NULL};
	void *state = NULL;
	fuzz_chunker ch;
	size_t off, n;

	memset(e, 0, sizeof(*e));
	e->input = (const uint8_t *)body;
	e->input_size = len;
	e->digest = FUZZ_HASH_INIT;
	e->text_digest = FUZZ_HASH_INIT;
	e->end_rc = 1; /* not called */
	if (ops->parse_begin(insts[which].inst, &state, status, ctype, streamed) < 0) {
		FUZZ_CHECK(state == NULL);
		e->data_rc = -1000;
		return;
	}
	FUZZ_CHECK(state != NULL);
	if (max_chunk == 0) {
		e->data_rc = feed(ops, state, body, len, &sink);
	} else {
		fuzz_chunker_init(&ch, seed, max_chunk, len);
		while (e->data_rc == 0 && fuzz_chunker_next(&ch, &off, &n))
			e->data_rc = feed(ops, state, body + off, n, &sink);
	}
	if (e->data_rc == 0)
		e->end_rc = ops->parse_end(state, &sink);
	ops->parse_free(state);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	events whole, split;
	size_t which;
	const char *ctype, *body;
	int status, streamed, want_text;
	size_t len, max_chunk;

	if (size < 4)
		return 0;
	status = 200 + data[0] % 100;
	which = data[1] % N_SPECS;
	ctype = content_types[data[2] & 7];
	streamed = (data[2] >> 3) & 1;
	want_text = (data[2] >> 4) & 1;
	max_chunk = chunk_sizes[(data[2] >> 5) & 3];
	body = (const char *)data + 4;
	len = size - 4;

	parse(&whole, which, status, ctype, streamed, want_text, body, len, data[3], 0);
	parse(&split, which, status, ctype, streamed, want_text, body, len, data[3], max_chunk);
	if (whole.digest != split.digest || whole.text_digest != split.text_digest ||
	    whole.failed != split.failed || whole.fail_class != split.fail_class ||
	    whole.fail_digest != split.fail_digest || (whole.data_rc < 0) != (split.data_rc < 0) ||
	    whole.end_rc != split.end_rc) {
		fprintf(stderr,
			"%s: whole and split parses differ: failed %d/%d class %d/%d data_rc "
			"%d/%d end_rc %d/%d events %s text %s fail message %s\n",
			insts[which].name, whole.failed, split.failed, whole.fail_class,
			split.fail_class, whole.data_rc, split.data_rc, whole.end_rc, split.end_rc,
			whole.digest == split.digest ? "same" : "differ",
			whole.text_digest == split.text_digest ? "same" : "differ",
			whole.fail_digest == split.fail_digest ? "same" : "differ");
		__builtin_trap();
	}
	return 0;
}
