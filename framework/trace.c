/* Arrival traces: offsets read line by line into a growing array. */
#include "trace.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "units.h"

/* Latest offset accepted: 100 years, as pg_duration_parse allows. */
#define TRACE_MAX_OFFSET_NS 3155760000000000000.0

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Reads one line without its '\n' into buf (cap bytes with the NUL).
 * Returns 0, or -1 at the end of the file with nothing read. *too_long is
 * set when the line did not fit (the rest of it is consumed), *nul when it
 * held a NUL byte. */
static int read_line(FILE *f, char *buf, size_t cap, int *too_long, int *nul)
{
	size_t len = 0;
	int c, any = 0;

	*too_long = 0;
	*nul = 0;
	while ((c = getc(f)) != EOF) {
		any = 1;
		if (c == '\n')
			break;
		if (c == '\0')
			*nul = 1;
		if (len + 1 < cap)
			buf[len++] = (char)c;
		else
			*too_long = 1;
	}
	buf[len] = '\0';
	return any ? 0 : -1;
}

/* One arrival offset: a duration with a unit, or bare seconds. */
static int parse_offset(pg_ns *out, const char *text)
{
	pg_quantity q;
	double ns;
	int rc;

	*out = 0;
	rc = pg_quantity_parse(&q, text);
	if (rc < 0)
		return rc;
	if (q.kind == PG_UNIT_NONE) {
		ns = q.value * 1e9;
	} else if (q.kind == PG_UNIT_DURATION) {
		ns = q.value;
	} else {
		pg_error_set("expected a time such as 1.5s or 0.125 (seconds), got '%s'", text);
		return PG_EINVAL;
	}
	if (ns > TRACE_MAX_OFFSET_NS) {
		pg_error_set("'%s' is too late (at most 100 years)", text);
		return PG_EINVAL;
	}
	*out = (pg_ns)llround(ns);
	return 0;
}

/* Appends t to times (n items, grown by doubling). */
static int push(pg_ns **times, size_t *n, pg_ns t)
{
	pg_ns *grown;

	if ((*n & (*n - 1)) == 0) {
		size_t cap = *n ? *n * 2 : 1;

		grown = realloc(*times, cap * sizeof(*grown));
		if (grown == NULL) {
			pg_error_set("out of memory");
			return PG_ENOMEM;
		}
		*times = grown;
	}
	(*times)[(*n)++] = t;
	return 0;
}

int pg_trace_read(pg_ns **out, size_t *n, const char *path)
{
	char buf[PG_TRACE_LINE_MAX + 1], a[32], b[32], *s, *e;
	pg_ns *times = NULL, t;
	size_t count = 0, line = 0;
	int rc = 0, too_long, nul;
	FILE *f;

	*out = NULL;
	*n = 0;
	f = fopen(path, "r");
	if (f == NULL) {
		pg_error_set("cannot read trace '%s': %s", path, strerror(errno));
		return PG_EIO;
	}
	while (read_line(f, buf, sizeof(buf), &too_long, &nul) == 0) {
		line++;
		for (s = buf; is_blank(*s); s++)
			;
		if (*s == '#')
			continue;
		if (nul || too_long) {
			pg_error_set(nul ? "%s:%zu: NUL byte in the line"
					 : "%s:%zu: line longer than %d bytes",
				     path, line, PG_TRACE_LINE_MAX);
			rc = PG_EINVAL;
			goto done;
		}
		for (e = s + strlen(s); e > s && is_blank(e[-1]); e--)
			;
		*e = '\0';
		if (*s == '\0')
			continue;
		if (count >= PG_TRACE_MAX_ARRIVALS) {
			pg_error_set("%s:%zu: more than %d arrivals", path, line,
				     PG_TRACE_MAX_ARRIVALS);
			rc = PG_EINVAL;
			goto done;
		}
		rc = parse_offset(&t, s);
		if (rc < 0) {
			pg_error_prefix("%s:%zu: invalid arrival offset", path, line);
			rc = PG_EINVAL;
			goto done;
		}
		if (count > 0 && t < times[count - 1]) {
			pg_error_set(
			    "%s:%zu: arrival offset %s comes before the previous one (%s); "
			    "offsets must not decrease",
			    path, line, pg_duration_format(a, sizeof(a), (double)t),
			    pg_duration_format(b, sizeof(b), (double)times[count - 1]));
			rc = PG_EINVAL;
			goto done;
		}
		rc = push(&times, &count, t);
		if (rc < 0)
			goto done;
	}
	if (ferror(f)) {
		pg_error_set("cannot read trace '%s': %s", path, strerror(errno));
		rc = PG_EIO;
		goto done;
	}
	*out = times;
	*n = count;
	times = NULL;
done:
	free(times);
	fclose(f);
	return rc;
}
