/*
 * Incremental HTTP/1.1 response parser (RFC 9112) for the h1 transport.
 *
 * Bytes go in exactly as they arrive, split anywhere; the parser keeps no
 * copy of them. Each pg_h1_parser_feed() call consumes some input and
 * reports one result: the header section is complete (status, framing,
 * Content-Type are then readable in the parser), a piece of body (pointers
 * into the caller's input, de-chunked), the response is complete, or more
 * input is needed. Errors carry a short message in p->error.
 *
 * What it accepts:
 * - status line "HTTP/1.x NNN[ reason]"; major version 1 only, reason
 *   optional; 1xx interim responses (100 Continue, 103 Early Hints) are
 *   skipped silently, 101 is an error (we never ask to upgrade);
 * - header names are tokens compared case-insensitively, values are
 *   trimmed of surrounding blanks; obsolete line folding is rejected;
 * - Content-Length: digits only (at most 18); repeated headers must agree;
 * - Transfer-Encoding: chunked when it is the last coding (it then wins
 *   over Content-Length and the connection is not reused); any other last
 *   coding means read-until-close;
 * - Retry-After: the first value is kept (trimmed, truncated), unparsed;
 * - Connection: close / keep-alive tokens; HTTP/1.0 is close unless it
 *   says keep-alive;
 * - responses to HEAD, 204 and 304 have no body; no length at all means
 *   the body runs until the peer closes (pg_h1_parser_eof ends it);
 * - chunked bodies: hex sizes, chunk extensions (";..." skipped), trailer
 *   lines skipped.
 *
 * Line ends: the status line, header section and trailer section accept a
 * bare LF as well as CRLF (as most clients do); chunk-size lines and the
 * CRLF after chunk data must be exactly CRLF.
 *
 * Caps: status line + headers (1xx responses included) <= max_header_bytes,
 * trailers <= max_header_bytes, one chunk-size line <= 1 KiB.
 *
 * Plugin-side code: no allocation, no host internals. The parser is a plain
 * struct the caller embeds; it holds no resources and needs no free.
 */
#ifndef PG_H1_PARSER_H
#define PG_H1_PARSER_H

#include <stddef.h>
#include <stdint.h>

#define PG_H1_DEFAULT_MAX_HEADER ((size_t)64 * 1024)
#define PG_H1_MAX_CHUNK_LINE 1024
#define PG_H1_CONTENT_TYPE_MAX 256 /* bytes kept of Content-Type, NUL included */
#define PG_H1_RETRY_AFTER_MAX 64   /* bytes kept of Retry-After, NUL included */

/* Results of pg_h1_parser_feed (negative: PG_EPARSE, see p->error). */
enum {
	PG_H1_AGAIN = 0,   /* all input consumed; the response is not complete */
	PG_H1_HEADERS = 1, /* the final header section is complete */
	PG_H1_BODY = 2,	   /* piece->data/len hold body bytes */
	PG_H1_DONE = 3	   /* the response is complete */
};

/* How the body of the current response is delimited. */
typedef enum pg_h1_framing {
	PG_H1_FRAMING_NONE = 0,	   /* no body (HEAD, 204, 304, Content-Length: 0) */
	PG_H1_FRAMING_LENGTH = 1,  /* Content-Length */
	PG_H1_FRAMING_CHUNKED = 2, /* Transfer-Encoding: chunked */
	PG_H1_FRAMING_CLOSE = 3	   /* until the connection closes */
} pg_h1_framing;

/* What one feed call produced. data points into the input buffer. */
typedef struct pg_h1_piece {
	size_t consumed; /* input bytes used; feed the rest again */
	const char *data;
	size_t len;
} pg_h1_piece;

typedef struct pg_h1_parser {
	/* Readable after PG_H1_HEADERS. */
	int status;	   /* e.g. 200 */
	int version_minor; /* 0 or 1 (HTTP/1.x) */
	int keep_alive;	   /* the connection may carry another request */
	pg_h1_framing framing;
	int64_t content_length; /* -1 when absent */
	int has_content_type;
	char content_type[PG_H1_CONTENT_TYPE_MAX]; /* truncated copy, NUL-terminated */
	int has_retry_after;			   /* a non-empty Retry-After header was seen */
	char retry_after[PG_H1_RETRY_AFTER_MAX];   /* the first one, truncated, NUL-terminated */
	const char *error;			   /* static message after a PG_EPARSE result */

	/* Private state. */
	size_t max_header;
	size_t section_bytes; /* bytes of the status + header (or trailer) section */
	size_t chunk_line;    /* bytes of the current chunk-size line */
	uint64_t remaining;   /* body or chunk bytes still to come */
	int state;
	int head;    /* the request was HEAD */
	int started; /* a byte of this response was fed */
	int idx;     /* position in a literal or digit run */
	int hdr;     /* which header the current line is */
	int name_len;
	char name[20]; /* lower-cased header name (prefix) */
	int vstate;    /* value sub-state for the current header */
	int elem_len;
	char elem[12]; /* current list element, lower-cased */
	size_t ct_len; /* content_type bytes copied (with trailing blanks) */
	size_t ct_end; /* content_type length without trailing blanks */
	size_t ra_len; /* retry_after bytes copied (with trailing blanks) */
	size_t ra_end; /* retry_after length without trailing blanks */
	int64_t cl_value;
	int cl_digits;
	int te_present;
	int te_chunked; /* the last transfer coding so far is chunked */
	int conn_close;
	int conn_keep;
} pg_h1_parser;

/* Prepares p for a first response; max_header_bytes 0 means the default. */
void pg_h1_parser_init(pg_h1_parser *p, size_t max_header_bytes);
/* Starts a new response (after PG_H1_DONE, or to reuse p); head_request:
 * the request was HEAD, so the response has no body. */
void pg_h1_parser_reset(pg_h1_parser *p, int head_request);
/* Parses buf[0..len). Returns PG_H1_AGAIN (everything consumed),
 * PG_H1_HEADERS, PG_H1_BODY or PG_H1_DONE with piece->consumed < len
 * possible; call again with the rest. After PG_H1_HEADERS call again even
 * with no input left: an empty body completes without more bytes. Returns
 * PG_EPARSE on malformed input (p->error says why; every later call fails
 * too). After PG_H1_DONE, further input is an error until reset. */
int pg_h1_parser_feed(pg_h1_piece *piece, pg_h1_parser *p, const char *buf, size_t len);
/* The peer closed the connection. Returns PG_H1_DONE when that ends the
 * response (a read-until-close body), else PG_EPARSE with p->error set
 * ("connection closed before the response ended"). */
int pg_h1_parser_eof(pg_h1_parser *p);
/* Whether any byte of the current response was fed. */
int pg_h1_parser_started(const pg_h1_parser *p);

#endif
