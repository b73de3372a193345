/* Capped text buffer, UTF-8 repair and number formats for the reports. */
#include "report_text.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "report_ci.h"

/* Makes room for n more bytes plus a NUL; sets the sticky error if not. */
static int reserve(pg_rtext *t, size_t n)
{
	size_t want, cap;
	char *grown;

	if (t->err != 0)
		return t->err;
	if (n > PG_REPORT_TEXT_MAX || t->len > PG_REPORT_TEXT_MAX - n) {
		t->err = PG_ELIMIT;
		return t->err;
	}
	want = t->len + n + 1;
	if (want <= t->cap)
		return 0;
	cap = t->cap != 0 ? t->cap : 1024;
	while (cap < want)
		cap *= 2;
	grown = realloc(t->data, cap);
	if (grown == NULL) {
		t->err = PG_ENOMEM;
		return t->err;
	}
	t->data = grown;
	t->cap = cap;
	return 0;
}

void pg_rtext_putn(pg_rtext *t, const char *s, size_t n)
{
	if (reserve(t, n) != 0)
		return;
	memcpy(t->data + t->len, s, n);
	t->len += n;
	t->data[t->len] = '\0';
}

void pg_rtext_puts(pg_rtext *t, const char *s)
{
	pg_rtext_putn(t, s, strlen(s));
}

void pg_rtext_putc(pg_rtext *t, char c)
{
	pg_rtext_putn(t, &c, 1);
}

void pg_rtext_printf(pg_rtext *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->err != 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		t->err = PG_EINVAL;
		return;
	}
	if (reserve(t, (size_t)n) != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(t->data + t->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
}

void pg_rtext_put_cp(pg_rtext *t, uint32_t cp)
{
	char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xC0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xE0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		b[0] = (char)(0xF0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	pg_rtext_putn(t, b, n);
}

void pg_rtext_put_utf8(pg_rtext *t, const char *s)
{
	const char *p = s, *end = s + strlen(s), *run = s;

	while (p < end) {
		const char *at = p;

		if (pg_utf8_next(&p, end) == 0xFFFD &&
		    !(p - at == 3 && memcmp(at, "\xEF\xBF\xBD", 3) == 0)) {
			pg_rtext_putn(t, run, (size_t)(at - run));
			pg_rtext_put_cp(t, 0xFFFD);
			run = p;
		}
	}
	pg_rtext_putn(t, run, (size_t)(end - run));
}

int pg_rtext_finish(char **out, pg_rtext *t)
{
	int rc = t->err;

	*out = NULL;
	if (rc == 0 && t->data == NULL)
		rc = reserve(t, 0);
	if (rc != 0) {
		if (rc == PG_ELIMIT)
			pg_error_set("report larger than %zu bytes", (size_t)PG_REPORT_TEXT_MAX);
		else if (rc == PG_ENOMEM)
			pg_error_set("out of memory building a report");
		else
			pg_error_set("cannot format a report");
		pg_rtext_free(t);
		return rc;
	}
	t->data[t->len] = '\0';
	*out = t->data;
	t->data = NULL;
	t->len = t->cap = 0;
	return 0;
}

void pg_rtext_free(pg_rtext *t)
{
	free(t->data);
	t->data = NULL;
	t->len = t->cap = 0;
	t->err = 0;
}

uint32_t pg_utf8_next(const char **p, const char *end)
{
	const unsigned char *s = (const unsigned char *)*p;
	size_t avail = (size_t)(end - *p), n, i;
	uint32_t cp, min;

	if (s[0] < 0x80) {
		*p += 1;
		return s[0];
	}
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		n = 2;
		cp = s[0] & 0x1F;
		min = 0x80;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		n = 3;
		cp = s[0] & 0x0F;
		min = 0x800;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		n = 4;
		cp = s[0] & 0x07;
		min = 0x10000;
	} else {
		*p += 1;
		return 0xFFFD;
	}
	if (avail < n) {
		*p += 1;
		return 0xFFFD;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			*p += 1;
			return 0xFFFD;
		}
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
		*p += 1;
		return 0xFFFD;
	}
	*p += n;
	return cp;
}

void pg_num_exact(char *buf, size_t size, double v)
{
	int prec;

	if (isnan(v)) {
		snprintf(buf, size, "NaN");
		return;
	}
	if (isinf(v)) {
		snprintf(buf, size, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	/* whole numbers in full, never as 1e+02 */
	if (v == floor(v) && fabs(v) < 1e15) {
		snprintf(buf, size, "%.0f", v);
		return;
	}
	for (prec = 1; prec < 17; prec++) {
		snprintf(buf, size, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
	snprintf(buf, size, "%.17g", v);
}

void pg_num_human(char *buf, size_t size, double v)
{
	double a = fabs(v);
	char *dot, *end;

	if (!isfinite(v)) {
		pg_num_exact(buf, size, v);
		return;
	}
	if (a >= 1e4 && a < 1e15) {
		snprintf(buf, size, "%.0f", v);
		return;
	}
	if (a == 0 || a < 1e-4 || a >= 1e15) {
		snprintf(buf, size, "%.4g", v);
		return;
	}
	/* four significant digits as fixed point, trailing zeros trimmed */
	snprintf(buf, size, "%.*f",
		 a >= 1000  ? 0
		 : a >= 100 ? 1
		 : a >= 10  ? 2
		 : a >= 1   ? 3
			    : 3 - (int)floor(log10(a)),
		 v);
	dot = strchr(buf, '.');
	if (dot == NULL)
		return;
	end = buf + strlen(buf);
	while (end > dot + 1 && end[-1] == '0')
		*--end = '\0';
	if (end == dot + 1)
		*dot = '\0';
}
