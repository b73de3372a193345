/*
 * Incremental Server-Sent Events parser (WHATWG HTML "server-sent events"
 * event stream interpretation): bytes go in exactly as they arrive, split at
 * any point; each complete event is dispatched once. Handles LF, CR and
 * CRLF line ends (a CRLF split across reads included), comment lines
 * (keep-alives), "field:value" with one optional space, multi-line data
 * joined with "\n", and a UTF-8 BOM at the very start. Lines are capped.
 * Plugin-side code: uses malloc/free, no host internals.
 */
#ifndef PG_SSE_H
#define PG_SSE_H

#include <stddef.h>

/* Called for each dispatched event; event is "message" when the stream set
 * no event type. data is NUL-terminated (data[len] == 0). Return 0 to go
 * on, non-zero to stop parsing (pg_sse_feed returns that value). */
typedef int (*pg_sse_event_fn)(void *ctx, const char *event, const char *data, size_t len);

typedef struct pg_sse pg_sse;

/* max_line caps one line and one event's data (bytes); 0 means 1 MiB.
 * Free with pg_sse_free. Returns NULL when out of memory. */
pg_sse *pg_sse_new(size_t max_line);
void pg_sse_free(pg_sse *p);
/* Feeds bytes. Returns 0, the callback's non-zero value, or -1 when a line
 * or event exceeds max_line (the parser is then unusable). */
int pg_sse_feed(pg_sse *p, const char *buf, size_t len, pg_sse_event_fn fn, void *ctx);
/* End of stream: an unterminated final event is discarded as the spec
 * says. Returns 1 if bytes of an incomplete line or event were pending
 * (the stream was cut), 0 otherwise. */
int pg_sse_finish(pg_sse *p);

#endif
