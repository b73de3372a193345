/*
 * A small path language over jansson values, for adapters that pull fields
 * out of arbitrary JSON responses ("choices[0].message.content",
 * "usage.completion_tokens", "[0].generated_text").
 *
 * Grammar: an optional leading "$" (the root), then steps. A step is a key
 * (a run of bytes other than '.', '[', ']', '"' and control characters),
 * written first or after a '.', or a bracket: "[N]" indexes an array (N a
 * decimal integer; a negative N counts from the end, -1 being the last),
 * "[\"key\"]" names an object key that may hold '.', '[' or ']'. Examples:
 * "$", "a", "a.b", "a[0].b", "[2]", "a[-1]", "meta[\"x.y\"].z".
 *
 * Paths are compiled once (malformed ones are refused with a message) and
 * evaluated many times without allocating. Plugin-side code: uses
 * malloc/free, no host internals.
 */
#ifndef PG_JSON_PATH_H
#define PG_JSON_PATH_H

#include <stddef.h>

#include <jansson.h>

typedef struct pg_json_path pg_json_path;

/* Compiles path into *out, owned by the caller (pg_json_path_free). On a
 * malformed path returns PG_EINVAL and writes a message naming the byte
 * offset into err (err_size bytes, may be 0); PG_ENOMEM when out of
 * memory. */
int pg_json_path_new(pg_json_path **out, const char *path, char *err, size_t err_size);

/* Frees a compiled path; NULL is a no-op. */
void pg_json_path_free(pg_json_path *p);

/* The value at p inside root, or NULL when a step finds no such key or
 * index or meets a value of the wrong type. The value is borrowed from
 * root (no reference is taken). */
json_t *pg_json_path_get(const pg_json_path *p, const json_t *root);

/* The path as it was written; owned by p. */
const char *pg_json_path_text(const pg_json_path *p);

/*
 * The text of a chat "messages" array, for adapters whose API takes one
 * string: every message's content joined with "\n" between messages. A
 * content is a string or an array of parts whose "text" strings are joined
 * without separator; other contents (null, tool calls) are skipped. Writes
 * a malloc'ed NUL-terminated string (owned by the caller, free()) and its
 * length. Returns PG_EINVAL when messages is not an array of objects,
 * PG_ELIMIT past max_len bytes, PG_ENOMEM.
 */
int pg_json_messages_text(char **out, size_t *out_len, const json_t *messages, size_t max_len);

#endif
