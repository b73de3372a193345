/*
 * Incremental Server-Sent Events parser; see sse.h. The rules follow the
 * WHATWG HTML "Interpreting an event stream" section: a stream is lines
 * ended by CRLF, LF or CR; a blank line dispatches the pending event.
 */
#include "sse.h"

#include <stdlib.h>
#include <string.h>

#define SSE_DEFAULT_MAX (1024u * 1024u)

static const unsigned char sse_bom[3] = {0xEF, 0xBB, 0xBF};

/* A growable byte buffer capped by the parser's max_line. */
typedef struct sse_buf {
	char *p;
	size_t len;
	size_t cap;
} sse_buf;

struct pg_sse {
	size_t max_line;
	sse_buf line;	    /* the current, unterminated line */
	sse_buf data;	    /* data lines of the pending event, each followed by LF */
	sse_buf event;	    /* event type of the pending event ("" means "message") */
	size_t bom_matched; /* leading BOM bytes seen so far */
	int bom_done;	    /* the start of the stream has been checked */
	int after_cr;	    /* the last byte fed was a CR: swallow one LF */
	int broken;	    /* a cap was exceeded; every feed fails */
};

/* Ensures room for len + extra bytes plus a NUL; -1 past max or on OOM. */
static int buf_reserve(sse_buf *b, size_t extra, size_t max)
{
	size_t need, cap;
	char *np;

	if (extra > max || b->len > max - extra)
		return -1;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	if (cap > max + 1)
		cap = max + 1;
	np = realloc(b->p, cap);
	if (!np)
		return -1;
	b->p = np;
	b->cap = cap;
	return 0;
}

static int buf_append(sse_buf *b, const char *s, size_t n, size_t max)
{
	if (buf_reserve(b, n, max) < 0)
		return -1;
	if (n)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

pg_sse *pg_sse_new(size_t max_line)
{
	pg_sse *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->max_line = max_line ? max_line : SSE_DEFAULT_MAX;
	return p;
}

void pg_sse_free(pg_sse *p)
{
	if (!p)
		return;
	free(p->line.p);
	free(p->data.p);
	free(p->event.p);
	free(p);
}

/* A cap was exceeded (or memory ran out): the parser stays unusable. */
static int sse_break(pg_sse *p)
{
	p->broken = 1;
	return -1;
}

/* Dispatches the pending event if it has data, then clears it. */
static int dispatch(pg_sse *p, pg_sse_event_fn fn, void *ctx)
{
	const char *type;
	int rc;

	if (p->data.len == 0) {
		/* Per spec: no data lines, nothing to dispatch. */
		p->event.len = 0;
		return 0;
	}
	/* Drop the LF that followed the last data line. */
	p->data.len--;
	p->data.p[p->data.len] = '\0';
	type = p->event.len ? p->event.p : "message";
	rc = fn ? fn(ctx, type, p->data.p, p->data.len) : 0;
	p->data.len = 0;
	p->event.len = 0;
	return rc;
}

/* Interprets one complete line (without its terminator). */
static int process_line(pg_sse *p, const char *line, size_t len, pg_sse_event_fn fn, void *ctx)
{
	const char *colon, *value;
	size_t name_len, value_len;

	if (len == 0)
		return dispatch(p, fn, ctx);
	if (line[0] == ':')
		return 0; /* comment, typically a keep-alive */
	colon = memchr(line, ':', len);
	if (colon) {
		name_len = (size_t)(colon - line);
		value = colon + 1;
		value_len = len - name_len - 1;
		if (value_len && value[0] == ' ') {
			value++;
			value_len--;
		}
	} else {
		name_len = len;
		value = line + len;
		value_len = 0;
	}

	if (name_len == 4 && memcmp(line, "data", 4) == 0) {
		if (buf_append(&p->data, value, value_len, p->max_line) < 0 ||
		    buf_append(&p->data, "\n", 1, p->max_line) < 0)
			return sse_break(p);
	} else if (name_len == 5 && memcmp(line, "event", 5) == 0) {
		p->event.len = 0;
		if (buf_append(&p->event, value, value_len, p->max_line) < 0)
			return sse_break(p);
	}
	/* "id", "retry" and unknown fields are accepted and ignored. */
	return 0;
}

/* Feeds bytes known not to hold a BOM prefix. */
static int feed_lines(pg_sse *p, const char *buf, size_t len, pg_sse_event_fn fn, void *ctx)
{
	size_t i = 0;

	while (i < len) {
		const char *start = buf + i;
		size_t rest = len - i, n = 0;
		int rc;

		if (p->after_cr) {
			p->after_cr = 0;
			if (buf[i] == '\n') {
				i++;
				continue;
			}
		}
		while (n < rest && start[n] != '\n' && start[n] != '\r')
			n++;
		if (n == rest) {
			/* No terminator yet: keep the partial line. */
			if (buf_append(&p->line, start, n, p->max_line) < 0)
				return sse_break(p);
			return 0;
		}
		if (start[n] == '\r')
			p->after_cr = 1;
		i += n + 1;
		if (p->line.len == 0) {
			/* The whole line is in this read: no copy needed. */
			if (n > p->max_line)
				return sse_break(p);
			rc = process_line(p, start, n, fn, ctx);
		} else {
			if (buf_append(&p->line, start, n, p->max_line) < 0)
				return sse_break(p);
			rc = process_line(p, p->line.p, p->line.len, fn, ctx);
			p->line.len = 0;
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Out of memory is reported like an exceeded cap: -1, parser unusable. */
int pg_sse_feed(pg_sse *p, const char *buf, size_t len, pg_sse_event_fn fn, void *ctx)
{
	int rc;

	if (p->broken)
		return -1;
	/* Skip a UTF-8 BOM at the very start, which may arrive split. */
	while (!p->bom_done && len > 0) {
		if ((unsigned char)buf[0] == sse_bom[p->bom_matched]) {
			buf++;
			len--;
			if (++p->bom_matched == sizeof(sse_bom))
				p->bom_done = 1;
			continue;
		}
		p->bom_done = 1;
		if (p->bom_matched) {
			/* A BOM prefix that was not a BOM is ordinary line data. */
			rc = feed_lines(p, (const char *)sse_bom, p->bom_matched, fn, ctx);
			if (rc != 0)
				return rc;
		}
	}
	return feed_lines(p, buf, len, fn, ctx);
}

int pg_sse_finish(pg_sse *p)
{
	int pending;

	pending = p->line.len > 0 || p->data.len > 0 || p->event.len > 0 ||
		  (!p->bom_done && p->bom_matched > 0);
	p->line.len = 0;
	p->data.len = 0;
	p->event.len = 0;
	p->after_cr = 0;
	/* What follows would be a new stream, which may start with a BOM. */
	p->bom_matched = 0;
	p->bom_done = 0;
	return pending;
}
