/*
 * Code shared by the OpenAI-compatible adapters (openai-chat and
 * openai-completions): the adapter instance, request body building, URL
 * joining, and response parsing for streamed (SSE) and whole JSON bodies.
 * Each adapter supplies a flavor with the parts that differ: how a work
 * item becomes input fields, and where content sits in a choice.
 *
 * These names are not static so both adapter files can use them, but the
 * .so build uses -fvisibility=hidden, so only the plugin entry is exported.
 */
#ifndef PG_OPENAI_COMMON_H
#define PG_OPENAI_COMMON_H

#include <jansson.h>

#include "perfgate/plugin.h"

/* Caps on what a server may send. */
#define PG_OPENAI_MAX_SSE_LINE ((size_t)8 * 1024 * 1024) /* one SSE line or event */
#define PG_OPENAI_MAX_BODY ((size_t)64 * 1024 * 1024)	 /* a whole JSON body */

/* The parts of an adapter that differ between chat and completions. */
typedef struct pg_openai_flavor {
	const char *name;	  /* plugin name, for messages */
	const char *default_path; /* used when the path option is unset */
	const char *content_path; /* where a whole response's content sits, for messages */
	/* Adds the input fields ("messages" or "prompt") for item to body.
	 * Returns 0, or PG_EINVAL / PG_ENOMEM after host->set_error. */
	int (*add_input)(const pg_host_api *host, json_t *body, const pg_work_item *item);
	/* Whether one choice of a streamed chunk carries generated content. */
	int (*chunk_has_content)(const json_t *choice);
	/* For one choice of a whole response: 1 if it carries non-empty
	 * content, 0 if it is well formed but empty, -1 if it is malformed. */
	int (*message_content)(const json_t *choice);
} pg_openai_flavor;

/* Whether v is a JSON string with at least one character. */
int pg_openai_nonempty_string(const json_t *v);

/* Joins base and path with exactly one '/' between them (an empty path
 * yields base without its trailing slashes). *out is allocated with
 * host->alloc and owned by the caller. */
int pg_openai_join_url(char **out, const pg_host_api *host, const char *base, const char *path);

/* Adapter operations shared by both flavors; create takes the flavor on
 * top of the pg_adapter_ops arguments, the rest match pg_adapter_ops. */
int pg_openai_create(void **out_inst, const pg_openai_flavor *flavor, const pg_host_api *host,
		     const pg_options *opts, const pg_target_info *target);
void pg_openai_destroy(void *inst);
int pg_openai_build(void *inst, const pg_work_item *item, pg_request *out);
int pg_openai_parse_begin(void *inst, void **out_state, int http_status, const char *content_type,
			  int streamed);
int pg_openai_parse_data(void *state, const char *data, size_t len, const pg_response_sink *sink);
int pg_openai_parse_end(void *state, const pg_response_sink *sink);
void pg_openai_parse_free(void *state);

/* The option table entries both adapters share, given the default path.
 * Expands to initialisers of pg_option_spec; end the table with {0}. */
/* clang-format off */
#define PG_OPENAI_COMMON_OPTIONS(default_path_)                                                    \
	{"path", PG_OPT_STRING, default_path_, NULL, 0, 0,                                         \
	 "path appended to the target URL (the API base, e.g. http://host:8000/v1)"},              \
	{"include_usage", PG_OPT_BOOL, "true", NULL, 0, 0,                                         \
	 "when streaming, ask for a final usage chunk (stream_options.include_usage)"},            \
	{"max_tokens_field", PG_OPT_STRING, "max_tokens", NULL, 0, 0,                              \
	 "request field carrying the output token limit (e.g. max_completion_tokens)"},            \
	{"temperature", PG_OPT_DOUBLE, "-1", NULL, -1, 2,                                          \
	 "sampling temperature 0..2; negative (the default) leaves it out of the request"},        \
	{"ignore_eos", PG_OPT_BOOL, "false", NULL, 0, 0,                                           \
	 "send \"ignore_eos\": true (vLLM) so answers run to max_tokens"}
/* clang-format on */

#endif
