/* Quantities with units: parsing ("300ms", "$0.002", "0.1%") and formatting. */
#include "units.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"

/* used inside format strings, hence %% */
#define UNITS_EXPECTED "(expected ns, us, ms, s, m, h, /s, %%, $ or tokens)"
/* About 100 years in ns; INT64_MAX is about 292 years. */
#define UNITS_MAX_DURATION_NS (100.0 * 365.25 * 86400.0 * 1e9)

static const struct unit_def {
	const char *text;
	pg_unit_kind kind;
	double scale; /* multiplies the written number into the canonical unit */
} unit_defs[] = {
    {"ns", PG_UNIT_DURATION, 1.0},
    {"us", PG_UNIT_DURATION, 1e3},
    {"\xc2\xb5s", PG_UNIT_DURATION, 1e3}, /* U+00B5 MICRO SIGN */
    {"\xce\xbcs", PG_UNIT_DURATION, 1e3}, /* U+03BC GREEK SMALL LETTER MU */
    {"ms", PG_UNIT_DURATION, 1e6},
    {"s", PG_UNIT_DURATION, 1e9},
    {"m", PG_UNIT_DURATION, 60e9},
    {"h", PG_UNIT_DURATION, 3600e9},
    {"/s", PG_UNIT_PER_S, 1.0},
    {"req/s", PG_UNIT_PER_S, 1.0},
    {"rps", PG_UNIT_PER_S, 1.0},
    {"tokens/s", PG_UNIT_PER_S, 1.0},
    {"tok/s", PG_UNIT_PER_S, 1.0},
    {"%", PG_UNIT_PERCENT, 0.01},
    {"$", PG_UNIT_USD, 1.0},
    {"USD", PG_UNIT_USD, 1.0},
    {"usd", PG_UNIT_USD, 1.0},
    {"tokens", PG_UNIT_TOKENS, 1.0},
    {"tok", PG_UNIT_TOKENS, 1.0},
};

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Length of a plain decimal number at s: digits with an optional fraction
 * and exponent ("12", "1.5", ".5", "2e3"); 0 if there is none. Rejecting
 * everything else keeps strtod's hex floats, "nan" and "inf" out. */
static size_t number_length(const char *s)
{
	size_t n = 0, digits = 0, e;

	while (is_digit(s[n])) {
		n++;
		digits++;
	}
	if (s[n] == '.') {
		n++;
		while (is_digit(s[n])) {
			n++;
			digits++;
		}
	}
	if (digits == 0)
		return 0;
	if (s[n] == 'e' || s[n] == 'E') {
		e = n + 1;
		if (s[e] == '+' || s[e] == '-')
			e++;
		if (is_digit(s[e])) {
			while (is_digit(s[e]))
				e++;
			n = e;
		}
	}
	return n;
}

static int starts_with_word(const char *s, const char *word)
{
	size_t n = strlen(word);

	return strncasecmp(s, word, n) == 0;
}

/* Parses "<number>[ ]<unit>" or "$<number>"; see units.h. */
int pg_quantity_parse(pg_quantity *out, const char *text)
{
	const struct unit_def *def = NULL;
	const char *p, *num, *unit, *rest;
	size_t nlen, ulen, i;
	int dollar = 0;
	char numbuf[128];
	double v;

	if (!out || !text) {
		pg_error_set("pg_quantity_parse: NULL argument");
		return PG_EINVAL;
	}
	memset(out, 0, sizeof(*out));
	p = text;
	while (is_space(*p))
		p++;
	if (*p == '\0') {
		pg_error_set("empty value (expected a number such as 300ms, 50/s or 0.1%%)");
		return PG_EINVAL;
	}
	if (*p == '$') {
		dollar = 1;
		p++;
		while (is_space(*p))
			p++;
	}
	if (*p == '-') {
		pg_error_set("negative values are not allowed: '%s'", text);
		return PG_EINVAL;
	}
	if (*p == '+')
		p++;
	num = p;
	nlen = number_length(num);
	if (nlen == 0) {
		if (starts_with_word(num, "nan") || starts_with_word(num, "inf"))
			pg_error_set("'%s' is not a finite number", text);
		else
			pg_error_set("expected a number in '%s'", text);
		return PG_EINVAL;
	}
	if (nlen >= sizeof(numbuf)) {
		pg_error_set("number too long in '%.40s...'", text);
		return PG_EINVAL;
	}
	memcpy(numbuf, num, nlen);
	numbuf[nlen] = '\0';
	errno = 0;
	v = strtod(numbuf, NULL);
	if (!isfinite(v) || (errno == ERANGE && v != 0)) {
		pg_error_set("number out of range in '%s'", text);
		return PG_EINVAL;
	}

	p = num + nlen;
	while (is_space(*p))
		p++;
	unit = p;
	while (*p && !is_space(*p))
		p++;
	ulen = (size_t)(p - unit);
	rest = p;
	while (is_space(*rest))
		rest++;
	if (*rest) {
		pg_error_set("unexpected '%s' after the value in '%s'", rest, text);
		return PG_EINVAL;
	}
	if (ulen > 0 && (is_digit(unit[0]) || unit[0] == '.' || unit[0] == '-' || unit[0] == '+')) {
		pg_error_set("malformed number '%s'", text);
		return PG_EINVAL;
	}
	if (dollar && ulen > 0) {
		pg_error_set("unexpected unit '%.*s' after a dollar amount in '%s'", (int)ulen,
			     unit, text);
		return PG_EINVAL;
	}
	for (i = 0; ulen > 0 && i < sizeof(unit_defs) / sizeof(unit_defs[0]); i++) {
		if (strlen(unit_defs[i].text) == ulen &&
		    memcmp(unit_defs[i].text, unit, ulen) == 0) {
			def = &unit_defs[i];
			break;
		}
	}
	if (ulen > 0 && !def) {
		pg_error_set("unknown unit '%.*s' in '%s' " UNITS_EXPECTED, (int)ulen, unit, text);
		return PG_EINVAL;
	}
	if (dollar) {
		out->kind = PG_UNIT_USD;
		snprintf(out->unit, sizeof(out->unit), "$");
	} else if (def) {
		out->kind = def->kind;
		v *= def->scale;
		snprintf(out->unit, sizeof(out->unit), "%s", def->text);
	}
	if (!isfinite(v)) {
		pg_error_set("number out of range in '%s'", text);
		memset(out, 0, sizeof(*out));
		return PG_EINVAL;
	}
	out->value = v;
	return 0;
}

/* Parses a duration that must carry a unit, rounded to whole ns. */
int pg_duration_parse(pg_ns *out, const char *text)
{
	pg_quantity q;
	int rc;

	if (!out || !text) {
		pg_error_set("pg_duration_parse: NULL argument");
		return PG_EINVAL;
	}
	*out = 0;
	rc = pg_quantity_parse(&q, text);
	if (rc < 0)
		return rc;
	if (q.kind == PG_UNIT_NONE) {
		pg_error_set("missing unit in '%s' (write e.g. 300ms or 2s)", text);
		return PG_EINVAL;
	}
	if (q.kind != PG_UNIT_DURATION) {
		pg_error_set("expected a duration in '%s' but found a %s (write e.g. 300ms or 2s)",
			     text, pg_unit_kind_name(q.kind));
		return PG_EINVAL;
	}
	if (q.value > UNITS_MAX_DURATION_NS) {
		pg_error_set("duration '%s' is too long (at most 100 years)", text);
		return PG_ERANGE;
	}
	*out = (pg_ns)llround(q.value);
	return 0;
}

/* Formats ns with 3 significant digits in the largest unit that keeps the
 * number at or above 1 ("850ns", "812us", "3.40ms", "2.10s", "1.50m",
 * "2.00h"); whole nanoseconds are printed without decimals. Returns buf. */
const char *pg_duration_format(char *buf, size_t size, double ns)
{
	static const struct {
		const char *name;
		double scale;
	} units[] = {{"ns", 1.0}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
	const size_t nunits = sizeof(units) / sizeof(units[0]);
	const char *sign = ns < 0 ? "-" : "";
	double a = fabs(ns), v = 0, r = 0;
	size_t i;
	int decimals;

	if (!buf || size == 0)
		return buf ? buf : "";
	if (!isfinite(ns)) {
		snprintf(buf, size, "%s", isnan(ns) ? "nan" : ns < 0 ? "-inf" : "inf");
		return buf;
	}
	if (a < 999.5) {
		snprintf(buf, size, "%s%.0fns", a < 0.5 ? "" : sign, a);
		return buf;
	}
	for (i = 1; i < nunits; i++) {
		v = a / units[i].scale;
		/* round to 3 significant digits, then see whether it still fits
		 * below the next unit (999.6us prints as 1.00ms) */
		r = v;
		if (v > 0) {
			double p = pow(10.0, floor(log10(v)) - 2);

			r = round(v / p) * p;
		}
		if (i + 1 == nunits || r < units[i + 1].scale / units[i].scale)
			break;
	}
	decimals = r < 10 ? 2 : r < 100 ? 1 : 0;
	snprintf(buf, size, "%s%.*f%s", sign, decimals, r, units[i].name);
	return buf;
}

/* Name of a unit kind for messages; a static string. */
const char *pg_unit_kind_name(pg_unit_kind kind)
{
	switch (kind) {
	case PG_UNIT_NONE:
		return "number";
	case PG_UNIT_DURATION:
		return "duration";
	case PG_UNIT_PER_S:
		return "rate";
	case PG_UNIT_PERCENT:
		return "percentage";
	case PG_UNIT_USD:
		return "dollar amount";
	case PG_UNIT_TOKENS:
		return "token count";
	}
	return "unknown";
}
