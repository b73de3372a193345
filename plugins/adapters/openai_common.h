/*
 * Code shared by the OpenAI-compatible adapters (openai-chat and
 * openai-completions): the adapter instance, request body building and
 * response parsing for streamed (SSE) and whole JSON bodies.
 * Each adapter supplies a flavor with the parts that differ: how a work
 * item becomes input fields, and where content sits in a choice.
 * openai-embeddings uses only the error-response reader.
 *
 * These names are not static so both adapter files can use them, but the
 * .so build uses -fvisibility=hidden, so only the plugin entry is exported.
 */
#ifndef PG_OPENAI_COMMON_H
#define PG_OPENAI_COMMON_H

#include <jansson.h>

#include "adapter_util.h"
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

/* If root is an OpenAI-style error response, copies its message (or a
 * note that it had none) into msg and returns 1; otherwise returns 0.
 * Shapes: {"error": {"message": ...}}, {"error": "text"} and vLLM's
 * {"object": "error", "message": ...}. */
int pg_openai_error_message(const json_t *root, char *msg, size_t size);

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

/*
 * PG_OPENAI_ADAPTER defines a whole adapter plugin from the parts that
 * differ: a flavor built from the name, default path, content path and the
 * three flavor functions; a create that passes the flavor on; the option
 * table (the common options with the flavor's default path); the ops table
 * of the shared pg_openai_* functions; the descriptor (version 1.0.0, the
 * given one-line description); and the entry point PG_PLUGIN_EXPORT(id_).
 */
#define PG_OPENAI_ADAPTER(id_, name_, default_path_, content_path_, add_input_,                   \
			  chunk_has_content_, message_content_, description_)                      \
	static const pg_openai_flavor id_##_flavor = {                                             \
	    .name = name_,                                                                         \
	    .default_path = default_path_,                                                         \
	    .content_path = content_path_,                                                         \
	    .add_input = add_input_,                                                               \
	    .chunk_has_content = chunk_has_content_,                                               \
	    .message_content = message_content_,                                                   \
	};                                                                                         \
	static int id_##_create(void **out_inst, const pg_host_api *host, const pg_options *opts,  \
				const pg_target_info *target)                                      \
	{                                                                                          \
		return pg_openai_create(out_inst, &id_##_flavor, host, opts, target);              \
	}                                                                                          \
	static const pg_option_spec id_##_options[] = {                                            \
	    PG_OPENAI_COMMON_OPTIONS(default_path_),                                               \
	    {0},                                                                                   \
	};                                                                                         \
	static const pg_adapter_ops id_##_ops = {                                                  \
	    .create = id_##_create,                                                                \
	    .destroy = pg_openai_destroy,                                                          \
	    .build = pg_openai_build,                                                              \
	    .parse_begin = pg_openai_parse_begin,                                                  \
	    .parse_data = pg_openai_parse_data,                                                    \
	    .parse_end = pg_openai_parse_end,                                                      \
	    .parse_free = pg_openai_parse_free,                                                    \
	};                                                                                         \
	static const pg_plugin_desc id_##_desc = {                                                 \
	    PG_PLUGIN_DESC_INIT(PG_PLUGIN_ADAPTER, name_),                                         \
	    .version = "1.0.0",                                                                    \
	    .description = description_,                                                           \
	    .options = id_##_options,                                                              \
	    .ops = &id_##_ops,                                                                     \
	};                                                                                         \
	PG_PLUGIN_EXPORT(id_, id_##_desc)
/* clang-format on */

#endif
