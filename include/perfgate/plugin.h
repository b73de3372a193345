/*
 * perfgate plugin ABI, version 1.1 (1.1 adds pg_plugin_desc.flags and
 * pg_host_api.complete; plugins built for 1.0 keep working).
 *
 * A plugin is a shared object (or a built-in compiled into the binary) that
 * exports one entry symbol, PG_PLUGIN_ENTRY_SYMBOL, returning a descriptor.
 * The descriptor names the ABI it was built for, its own size, the plugin's
 * kind, name, version, its option table and a kind-specific operations
 * table. The host hands each plugin instance a pg_host_api table of
 * function pointers, so plugins never link against host internals.
 *
 * Ownership: descriptors, option tables and ops tables are static data owned
 * by the plugin. Everything the host passes in (options, targets, work
 * items) stays owned by the host and is valid only for the call, unless a
 * comment says otherwise.
 */
#ifndef PERFGATE_PLUGIN_H
#define PERFGATE_PLUGIN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PG_PLUGIN_ABI_MAJOR 1
#define PG_PLUGIN_ABI_MINOR 1

/* Name of the symbol every shared-object plugin exports. */
#define PG_PLUGIN_ENTRY_SYMBOL "perfgate_plugin_entry"

typedef enum pg_plugin_kind {
	PG_PLUGIN_ADAPTER = 1,   /* builds model requests, parses responses */
	PG_PLUGIN_TRANSPORT = 2, /* moves request and response bytes */
	PG_PLUGIN_SCORER = 3     /* grades answers */
} pg_plugin_kind;

/* ---- options ------------------------------------------------------------ */

typedef enum pg_option_type {
	PG_OPT_STRING = 1,
	PG_OPT_INT = 2,
	PG_OPT_DOUBLE = 3,
	PG_OPT_BOOL = 4,
	PG_OPT_DURATION = 5 /* written with a unit (ns/us/ms/s/m/h); read as ns */
} pg_option_type;

/* One entry of a plugin's option table; a table ends with name == NULL.
 * min/max bound INT, DOUBLE and DURATION (in ns) values when min < max. */
typedef struct pg_option_spec {
	const char *name;
	pg_option_type type;
	const char *default_value; /* as the user would write it; NULL: none */
	const char *unit;          /* shown by `perfgate plugins`, may be NULL */
	double min;
	double max;
	const char *help;
} pg_option_spec;

/* Validated option values of one plugin instance; opaque, host-owned. */
typedef struct pg_options pg_options;

/* ---- host API ----------------------------------------------------------- */

#define PG_HOST_API_VERSION 2

/* Services the host offers to plugins. Valid for the process lifetime. */
typedef struct pg_host_api {
	unsigned int version; /* PG_HOST_API_VERSION */
	size_t size;          /* sizeof(pg_host_api) as the host knows it */

	void (*log)(pg_log_level level, const char *plugin, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
	void *(*alloc)(size_t size);
	void *(*calloc)(size_t n, size_t size);
	void *(*realloc)(void *ptr, size_t size);
	void (*free)(void *ptr); /* free(NULL) is a no-op */
	char *(*strdup)(const char *s);
	pg_ns (*now_ns)(void); /* CLOCK_MONOTONIC */

	/* Option lookup; an option the user did not set yields its default.
	 * opt_string returns NULL when unset with no default; the string is
	 * owned by the options object. */
	const char *(*opt_string)(const pg_options *opts, const char *name);
	int64_t (*opt_int)(const pg_options *opts, const char *name);
	double (*opt_double)(const pg_options *opts, const char *name);
	int (*opt_bool)(const pg_options *opts, const char *name);
	pg_ns (*opt_duration)(const pg_options *opts, const char *name);

	/* Sets the thread's last error message (see pg_error_last()). */
	void (*set_error)(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

	/* ---- added in version 2 (ABI 1.1): check host->size first ---- */

	/* Sends prompt to the suite's judge target (`quality.judge`) through
	 * its adapter, non-streaming, waits for the whole answer and returns
	 * its generated text in *out_text (allocated with alloc; the caller
	 * frees it with free). Only usable from the score() of a scorer whose
	 * descriptor has PG_SCORER_AFTER_RUN. Returns a negative PG_E code
	 * with a message through set_error when there is no judge target or
	 * the request fails. Use it only when
	 * host->size >= offsetof(pg_host_api, complete) + sizeof(void *). */
	int (*complete)(const char *prompt, char **out_text);
} pg_host_api;

/* ---- adapters ----------------------------------------------------------- */

/* Where the adapter sends requests. url is the API base as OpenAI clients
 * take it (http://127.0.0.1:8000/v1); the adapter appends its own path. */
typedef struct pg_target_info {
	const char *url;
	const char *model; /* may be NULL */
} pg_target_info;

/* One unit of work from the workload. Exactly one of prompt or
 * messages_json is set. */
typedef struct pg_work_item {
	const char *prompt;        /* plain prompt text */
	const char *messages_json; /* JSON array of {"role","content"} objects */
	int64_t max_tokens;        /* <= 0: do not send a limit */
	int stream;                /* non-zero: ask for a streamed response */
} pg_work_item;

/* A request built by an adapter. url and body are allocated with
 * host->alloc by the adapter and owned (freed) by the host afterwards;
 * method, content_type and accept point at static strings. */
typedef struct pg_request {
	char *url;
	char *body;
	size_t body_len;
	const char *method;       /* "POST", "GET" */
	const char *content_type; /* NULL: no body */
	const char *accept;       /* NULL: no Accept header */
} pg_request;

/* Why a request failed. Host-side classes (connect, timeout, network, http)
 * are set by the engine; adapters report stream and protocol errors. */
typedef enum pg_error_class {
	PG_FAIL_NONE = 0,
	PG_FAIL_CONNECT = 1,  /* could not connect or resolve */
	PG_FAIL_TIMEOUT = 2,  /* per-request timeout expired */
	PG_FAIL_NETWORK = 3,  /* reset or closed while sending or receiving */
	PG_FAIL_HTTP = 4,     /* non-2xx HTTP status */
	PG_FAIL_STREAM = 5,   /* server sent an error object in the body */
	PG_FAIL_PROTOCOL = 6, /* malformed or incomplete response */
	PG_FAIL_CLASS_COUNT = 7
} pg_error_class;

/* Events an adapter reports while parsing one response. The host stamps
 * every event with the arrival time of the bytes being parsed. */
typedef struct pg_response_sink {
	void *ctx;
	/* A chunk carrying generated content arrived (role-only or empty
	 * deltas do not count). tokens: tokens in the chunk if known, else 1. */
	void (*content)(void *ctx, int64_t tokens);
	/* Server-reported token usage; may be called more than once, the last
	 * call wins. Negative values mean "not reported". */
	void (*usage)(void *ctx, int64_t input_tokens, int64_t output_tokens);
	/* The response is a failure of the given class; first call wins. */
	void (*fail)(void *ctx, pg_error_class cls, const char *message);
	/* Generated text, in order, as it is parsed (for scorers). May be NULL
	 * when nothing needs the text: adapters must check before calling.
	 * text need not be NUL-terminated and is only valid during the call. */
	void (*text)(void *ctx, const char *text, size_t len);
} pg_response_sink;

/* Operations of an adapter plugin. All return 0 or a negative PG_E code
 * and set the last error through host->set_error on failure. */
typedef struct pg_adapter_ops {
	/* Makes an instance for one target; *out_inst is freed by destroy. */
	int (*create)(void **out_inst, const pg_host_api *host, const pg_options *opts,
		      const pg_target_info *target);
	void (*destroy)(void *inst);
	/* Builds the request for one work item into *out (see pg_request). */
	int (*build)(void *inst, const pg_work_item *item, pg_request *out);
	/* Starts parsing one response with a 2xx status. *out_state is freed
	 * by parse_free. content_type may be NULL. */
	int (*parse_begin)(void *inst, void **out_state, int http_status,
			   const char *content_type, int streamed);
	/* Feeds body bytes exactly as they arrived; frames may be split at
	 * any byte and one call may hold many. */
	int (*parse_data)(void *state, const char *data, size_t len, const pg_response_sink *sink);
	/* The body ended; reports a protocol failure if it was incomplete. */
	int (*parse_end)(void *state, const pg_response_sink *sink);
	void (*parse_free)(void *state);
} pg_adapter_ops;

/* ---- transports --------------------------------------------------------- */

/* What a transport instance is created for. One instance serves one worker
 * thread; it registers its sockets and timers on that worker's libevent
 * loop and delivers every event from it. */
typedef struct pg_transport_env {
	unsigned int version;       /* PG_TRANSPORT_ENV_VERSION */
	const char *base_url;       /* the target's base URL (scheme://host:port/...) */
	void *event_base;           /* the worker's struct event_base * */
	const char *const *headers; /* "Name: value" lines sent with every request, NULL-terminated */
	pg_ns timeout;              /* per request, from start to the last byte */
	pg_ns connect_timeout;
	int64_t max_connections;    /* connections this instance may hold open */
} pg_transport_env;

/* Version 2 adds pg_transfer_events.retry_after. Transports accept any
 * version >= 1 and check it before using what a later version added. */
#define PG_TRANSPORT_ENV_VERSION 2

/* Callbacks a transport makes for one request, always from the event loop,
 * never from inside start(). at = CLOCK_MONOTONIC time taken when the bytes
 * were read from the socket, before any parsing. */
typedef struct pg_transfer_events {
	/* Status line and headers are complete; content_type may be NULL. */
	void (*headers)(void *ctx, int status, const char *content_type, pg_ns at);
	/* Body bytes (de-chunked) exactly as they arrived. */
	void (*body)(void *ctx, const char *data, size_t len, pg_ns at);
	/* The request ended: PG_FAIL_NONE when the whole response was read.
	 * message may be NULL. new_connection is non-zero when this request
	 * had to open a connection. After done, ctx is not used again. */
	void (*done)(void *ctx, pg_error_class fail, const char *message, pg_ns at,
		     int new_connection);
	/* ---- added with PG_TRANSPORT_ENV_VERSION 2: call it only when the
	 * instance's env->version >= 2 (older hosts pass a shorter table) ---- */
	/* The final response carries a Retry-After header: value is its first
	 * value, unparsed, trimmed, NUL-terminated (a transport may cut it at
	 * 63 bytes), valid during the call. Made before headers(), at most once
	 * per response; never for a response without the header. */
	void (*retry_after)(void *ctx, const char *value);
} pg_transfer_events;

/* Operations of a transport plugin. */
typedef struct pg_transport_ops {
	int (*create)(void **out, const pg_host_api *host, const pg_options *opts,
		      const pg_transport_env *env);
	/* Aborts every request in flight without calling their callbacks. */
	void (*destroy)(void *transport);
	/* Starts a request. req stays valid (owned by the caller) until done
	 * is called for ctx. A negative return means the request was not
	 * started and no callback will come. */
	int (*start)(void *transport, const pg_request *req, void *ctx,
		     const pg_transfer_events *events);
	/* Whether this transport can reach url (scheme check); 1 yes, 0 no. */
	int (*supports)(const char *url);
} pg_transport_ops;

/* ---- scorers -------------------------------------------------------------- */

/* One answer to grade. Strings are owned by the host and valid during the
 * call; answer is not NUL-terminated beyond answer_len (use the length). */
typedef struct pg_score_input {
	const char *answer;        /* the generated text, capped by the host */
	size_t answer_len;
	int answer_truncated;      /* non-zero: the text was longer than the cap */
	const char *expected;      /* the workload item's expected answer, or NULL */
	const char *prompt;        /* the prompt text, or NULL for chat messages */
	const char *metadata_json; /* the item's metadata object as JSON, or NULL */
} pg_score_input;

/* Operations of a scorer plugin. The host makes one instance per worker
 * thread, so score() is never called concurrently on one instance. A
 * scorer flagged PG_SCORER_AFTER_RUN gets one instance, after the load. */
typedef struct pg_scorer_ops {
	int (*create)(void **out_inst, const pg_host_api *host, const pg_options *opts);
	void (*destroy)(void *inst);
	/* Grades one answer: *score in [0, 1] (1 best), *pass non-zero when it
	 * passes the scorer's own threshold. Returns a negative PG_E code only
	 * when the scorer itself failed (not for a bad answer). */
	int (*score)(void *inst, const pg_score_input *in, double *score, int *pass);
} pg_scorer_ops;

/* ---- descriptor --------------------------------------------------------- */

typedef struct pg_plugin_desc {
	uint16_t abi_major; /* PG_PLUGIN_ABI_MAJOR the plugin was built with */
	uint16_t abi_minor;
	uint32_t size;      /* sizeof(pg_plugin_desc) the plugin was built with */
	pg_plugin_kind kind;
	const char *name;        /* unique per kind, e.g. "openai-chat" */
	const char *version;     /* the plugin's own version */
	const char *description; /* one line */
	const pg_option_spec *options; /* may be NULL: no options */
	const void *ops; /* kind-specific: pg_adapter_ops, pg_transport_ops, pg_scorer_ops */
	/* ---- added in ABI 1.1: the host reads it only when size covers it ---- */
	uint32_t flags; /* PG_SCORER_* bits; 0: none */
} pg_plugin_desc;

/* A scorer whose score() may block (it calls out, e.g. through
 * host->complete): the host never calls it on a worker during the load,
 * but after the load, serially, on a capped random sample of the
 * successful measured answers (`quality.sample`). */
#define PG_SCORER_AFTER_RUN 1u

typedef const pg_plugin_desc *(*pg_plugin_entry_fn)(void);

#define PG_PLUGIN_DESC_INIT(kind_, name_)                                                          \
	.abi_major = PG_PLUGIN_ABI_MAJOR, .abi_minor = PG_PLUGIN_ABI_MINOR,                        \
	.size = (uint32_t)sizeof(pg_plugin_desc), .kind = (kind_), .name = (name_)

/*
 * PG_PLUGIN_EXPORT(id, desc) declares a plugin's entry point. Built into the
 * perfgate binary it defines pg_builtin_<id>(); built as a shared object
 * (PG_PLUGIN_SHARED defined) it defines the exported perfgate_plugin_entry().
 */
#ifdef PG_PLUGIN_SHARED
#define PG_PLUGIN_EXPORT(id, desc)                                                                 \
	__attribute__((visibility("default"))) const pg_plugin_desc *perfgate_plugin_entry(void);  \
	const pg_plugin_desc *perfgate_plugin_entry(void) { return &(desc); }
#else
#define PG_PLUGIN_EXPORT(id, desc)                                                                 \
	const pg_plugin_desc *pg_builtin_##id(void);                                               \
	const pg_plugin_desc *pg_builtin_##id(void) { return &(desc); }
#endif

#ifdef __cplusplus
}
#endif

#endif
