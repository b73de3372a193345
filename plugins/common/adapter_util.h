/*
 * Helpers shared by the adapter plugins: the failure-once reporting state
 * of a response parse, capped buffering of a whole response body, JSON
 * request bodies serialised into host memory, Content-Type checks, URL
 * joining and the plain-prompt rendering of chat messages.
 *
 * These names are not static so every adapter can use them, but the .so
 * build uses -fvisibility=hidden, so only a plugin's entry is exported.
 */
#ifndef PG_ADAPTER_UTIL_H
#define PG_ADAPTER_UTIL_H

#include <stddef.h>

#include <jansson.h>

#include "perfgate/plugin.h"

/* Longest failure message handed to a sink. */
#define PG_ADAPTER_FAIL_MSG_MAX 512

/* The part of a response parse every adapter has: where events go, whether
 * a failure was reported, and the whole body buffered so far. Embed it in
 * the parse state, zeroed, with host set; release it with
 * pg_adapter_reply_release. */
typedef struct pg_adapter_reply {
	const pg_host_api *host;
	const pg_response_sink *sink; /* of the parse call in progress */
	int failed;		      /* fail() was reported; nothing else is reported after */
	char *body;		      /* whole-body mode: the body so far, capped by the caller */
	size_t body_len;
	size_t body_cap;
} pg_adapter_reply;

/* Reports the response as failed through r->sink (once: later calls do
 * nothing); the message is formatted and cut at PG_ADAPTER_FAIL_MSG_MAX. */
void pg_adapter_fail(pg_adapter_reply *r, pg_error_class cls, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Hands one piece of generated text to the sink, unless a failure was
 * reported: a content event of tokens and, when text (a JSON string) is
 * not NULL and the sink has the optional text callback, its value. */
void pg_adapter_content(pg_adapter_reply *r, const json_t *text, int64_t tokens);

/* Reports token counts (-1: unknown) through the sink's usage callback,
 * unless a failure was reported. */
void pg_adapter_usage(pg_adapter_reply *r, int64_t in_tokens, int64_t out_tokens);

/* Parses the whole body buffered in r with jansson decode flags. Returns
 * the root (the caller json_decref()s it), or NULL after reporting a
 * protocol failure for an empty body or invalid JSON. */
json_t *pg_adapter_body_json(pg_adapter_reply *r, size_t flags);

/* Appends len bytes to r->body. Over max bytes in all, reports a protocol
 * failure and returns 0; out of memory, reports a failure, sets the host
 * error "NAME: out of memory buffering a response" and returns PG_ENOMEM. */
int pg_adapter_append_body(pg_adapter_reply *r, const char *data, size_t len, size_t max,
			   const char *name);

/* Frees r->body (with r->host->free); r may be NULL. */
void pg_adapter_reply_release(pg_adapter_reply *r);

/* Fills *out as a POST of body (serialised compactly, with the jansson
 * dump flags added to JSON_COMPACT) to a copy of url, with content type
 * application/json and the given accept value. The url and body copies
 * are allocated with host->alloc and owned by the caller (the host). On
 * failure returns PG_ENOMEM (no error is set) with *out zeroed. */
int pg_adapter_post_json(pg_request *out, const pg_host_api *host, const char *url,
			 const json_t *body, size_t flags, const char *accept);

/* Adds value under key, taking the reference; returns -1 if value is NULL
 * (a jansson constructor failed: out of memory or invalid UTF-8) or the
 * set failed. */
int pg_adapter_put(json_t *obj, const char *key, json_t *value);

/* The token count under key of obj; -1 when absent or not a non-negative
 * integer. */
int64_t pg_adapter_count(const json_t *obj, const char *key);

/* Whether v is a JSON string with at least one character. */
int pg_adapter_nonempty_string(const json_t *v);

/* Whether the media type of Content-Type value ct equals want (case
 * insensitive, leading blanks skipped, parameters after ';' ignored). */
int pg_adapter_media_type_is(const char *ct, const char *want);

/* Whether ct is application/json or any "+json" structured suffix type. */
int pg_adapter_media_type_is_json(const char *ct);

/* Joins base and path with exactly one '/' between them (an empty path
 * yields base without its trailing slashes). *out is allocated with
 * host->alloc and owned by the caller. */
int pg_adapter_join_url(char **out, const pg_host_api *host, const char *base, const char *path);

/* Renders a chat messages array (JSON text) as a plain prompt: one
 * "role: content" line per message, then "assistant:". *out is a new JSON
 * string owned by the caller. Errors name the plugin (name) and are
 * PG_EINVAL (bad messages), PG_ELIMIT (over max bytes) or PG_ENOMEM, each
 * after host->set_error. */
int pg_adapter_render_chat_prompt(json_t **out, const pg_host_api *host, const char *name,
				  const char *messages_json, size_t max);

#endif
