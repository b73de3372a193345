/*
 * Incremental NDJSON line splitter; see ndjson.h. Every line is copied into
 * one growable buffer (capped at max_line plus a trailing CR) so the
 * callback always gets a NUL-terminated line, whichever reads it came in.
 */
#include "ndjson.h"

#include <stdlib.h>
#include <string.h>

#define NDJSON_DEFAULT_MAX (1024u * 1024u)

static const unsigned char ndjson_bom[3] = {0xEF, 0xBB, 0xBF};

struct pg_ndjson {
	size_t max_line;
	char *line; /* the current line so far, without its LF */
	size_t len;
	size_t cap;
	size_t bom_matched; /* leading BOM bytes seen so far */
	int bom_done;	    /* the start of the input has been checked */
	int broken;	    /* a cap was exceeded or memory ran out */
};

pg_ndjson *pg_ndjson_new(size_t max_line)
{
	pg_ndjson *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->max_line = max_line ? max_line : NDJSON_DEFAULT_MAX;
	return p;
}

void pg_ndjson_free(pg_ndjson *p)
{
	if (!p)
		return;
	free(p->line);
	free(p);
}

static int ndjson_break(pg_ndjson *p)
{
	p->broken = 1;
	return -1;
}

/* Appends n bytes to the line; the buffer may hold max_line + 1 bytes (a
 * line at the cap plus the CR of its CRLF) and a NUL. */
static int line_append(pg_ndjson *p, const char *s, size_t n)
{
	size_t limit = p->max_line + 1, need, cap;
	char *np;

	if (n > limit || p->len > limit - n)
		return -1;
	need = p->len + n + 1;
	if (need > p->cap) {
		cap = p->cap ? p->cap : 256;
		while (cap < need)
			cap *= 2;
		if (cap > limit + 1)
			cap = limit + 1;
		np = realloc(p->line, cap);
		if (!np)
			return -1;
		p->line = np;
		p->cap = cap;
	}
	if (n)
		memcpy(p->line + p->len, s, n);
	p->len += n;
	p->line[p->len] = '\0';
	return 0;
}

static int is_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

/* Hands the buffered line to fn (unless blank) and empties the buffer. */
static int dispatch(pg_ndjson *p, pg_ndjson_line_fn fn, void *ctx)
{
	size_t n = p->len;
	int rc = 0;

	p->len = 0;
	if (n > 0 && p->line[n - 1] == '\r')
		n--;
	if (n > p->max_line)
		return ndjson_break(p);
	if (n == 0 || is_blank(p->line, n))
		return 0;
	p->line[n] = '\0';
	if (fn)
		rc = fn(ctx, p->line, n);
	return rc;
}

static int feed_lines(pg_ndjson *p, const char *buf, size_t len, pg_ndjson_line_fn fn, void *ctx)
{
	while (len > 0) {
		const char *lf = memchr(buf, '\n', len);
		size_t n = lf ? (size_t)(lf - buf) : len;
		int rc;

		if (line_append(p, buf, n) < 0)
			return ndjson_break(p);
		if (!lf)
			return 0;
		buf += n + 1;
		len -= n + 1;
		rc = dispatch(p, fn, ctx);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int pg_ndjson_feed(pg_ndjson *p, const char *buf, size_t len, pg_ndjson_line_fn fn, void *ctx)
{
	int rc;

	if (p->broken)
		return -1;
	/* Skip a UTF-8 BOM at the very start, which may arrive split. */
	while (!p->bom_done && len > 0) {
		if ((unsigned char)buf[0] == ndjson_bom[p->bom_matched]) {
			buf++;
			len--;
			if (++p->bom_matched == sizeof(ndjson_bom))
				p->bom_done = 1;
			continue;
		}
		p->bom_done = 1;
		if (p->bom_matched) {
			/* A BOM prefix that was not a BOM is line data. */
			rc = feed_lines(p, (const char *)ndjson_bom, p->bom_matched, fn, ctx);
			if (rc != 0)
				return rc;
		}
	}
	return feed_lines(p, buf, len, fn, ctx);
}

int pg_ndjson_finish(pg_ndjson *p, pg_ndjson_line_fn fn, void *ctx)
{
	int rc = -1;

	if (!p->broken) {
		rc = 0;
		if (!p->bom_done && p->bom_matched > 0 &&
		    line_append(p, (const char *)ndjson_bom, p->bom_matched) < 0)
			rc = ndjson_break(p);
		if (rc == 0)
			rc = dispatch(p, fn, ctx);
	}
	p->len = 0;
	p->bom_matched = 0;
	p->bom_done = 0;
	p->broken = 0;
	return rc;
}
