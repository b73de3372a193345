/*
 * Incremental newline-delimited JSON (NDJSON, JSON Lines) line splitter:
 * bytes go in exactly as they arrive, split at any point; each complete
 * line is handed to a callback once. A line ends at LF; a CR before the LF
 * is dropped (CRLF), lines holding only whitespace are skipped, a UTF-8 BOM
 * at the very start is skipped, and lines are capped. The splitter does not
 * parse JSON: the callback does. Plugin-side code: uses malloc/free, no
 * host internals.
 */
#ifndef PG_NDJSON_H
#define PG_NDJSON_H

#include <stddef.h>

/* Called for each non-blank line, without its line end. line is
 * NUL-terminated (line[len] == 0) and valid only during the call. Return 0
 * to go on, non-zero to stop (pg_ndjson_feed returns that value). */
typedef int (*pg_ndjson_line_fn)(void *ctx, const char *line, size_t len);

typedef struct pg_ndjson pg_ndjson;

/* max_line caps one line (bytes, without its line end); 0 means 1 MiB.
 * Free with pg_ndjson_free. Returns NULL when out of memory. */
pg_ndjson *pg_ndjson_new(size_t max_line);
/* Frees the splitter and its buffer; NULL is a no-op. */
void pg_ndjson_free(pg_ndjson *p);
/* Feeds bytes. Returns 0, the callback's non-zero value, or -1 when a line
 * exceeds max_line or memory ran out (the splitter is then unusable and
 * every later feed returns -1). */
int pg_ndjson_feed(pg_ndjson *p, const char *buf, size_t len, pg_ndjson_line_fn fn, void *ctx);
/* End of input: a final line without a line end is handed to fn when it
 * holds more than whitespace (the last line of a JSON Lines text may lack
 * its LF). Returns the callback's value, 0, or -1 when a line exceeded
 * max_line (now or in an earlier feed). The splitter is then reset for a
 * new input. */
int pg_ndjson_finish(pg_ndjson *p, pg_ndjson_line_fn fn, void *ctx);

#endif
