/*
 * Plugin option values checked against the plugin's option table: each
 * value is parsed once, when set, into the type its spec names; defaults
 * are parsed the same way when the set is created.
 */
#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "suggest.h"
#include "units.h"

/* Longest string option value accepted. */
#define OPTION_STRING_MAX (64 * 1024)
/* Candidates considered for "did you mean". */
#define OPTION_SUGGEST_MAX 64

typedef struct opt_value {
	int present;
	char *s;
	int64_t i;
	double d; /* DOUBLE values, also INT and DURATION ones converted */
	int b;
	pg_ns ns;
} opt_value;

struct pg_options {
	const pg_option_spec *specs;
	size_t n;
	opt_value *values;   /* set by the user, one per spec */
	opt_value *defaults; /* parsed default_value, one per spec */
};

const char *pg_option_type_name(pg_option_type t)
{
	switch (t) {
	case PG_OPT_STRING:
		return "string";
	case PG_OPT_INT:
		return "int";
	case PG_OPT_DOUBLE:
		return "number";
	case PG_OPT_BOOL:
		return "boolean";
	case PG_OPT_DURATION:
		return "duration";
	}
	return "unknown";
}

static int has_bounds(const pg_option_spec *spec)
{
	return spec->min < spec->max;
}

static int out_of_bounds(const pg_option_spec *spec, double v, const char *text)
{
	if (!has_bounds(spec) || (v >= spec->min && v <= spec->max))
		return 0;
	if (spec->type == PG_OPT_DURATION) {
		char lo[32], hi[32];

		pg_error_set("option '%s' must be between %s and %s, got '%s'", spec->name,
			     pg_duration_format(lo, sizeof(lo), spec->min),
			     pg_duration_format(hi, sizeof(hi), spec->max), text);
	} else {
		pg_error_set("option '%s' must be between %.15g and %.15g, got '%s'", spec->name,
			     spec->min, spec->max, text);
	}
	return 1;
}

/* A decimal number: optional sign, digits, optional fraction and exponent
 * (strtod alone would also take "nan", "inf", hex and leading spaces). */
static int is_decimal(const char *s)
{
	size_t digits = 0;

	if (*s == '+' || *s == '-')
		s++;
	while (isdigit((unsigned char)*s)) {
		s++;
		digits++;
	}
	if (*s == '.') {
		s++;
		while (isdigit((unsigned char)*s)) {
			s++;
			digits++;
		}
	}
	if (digits == 0)
		return 0;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!isdigit((unsigned char)*s))
			return 0;
		while (isdigit((unsigned char)*s))
			s++;
	}
	return *s == '\0';
}

/* Parses text as spec's type into *v (whose old string the caller frees). */
static int parse_value(opt_value *v, const pg_option_spec *spec, const char *text)
{
	opt_value nv;
	char *end;

	memset(&nv, 0, sizeof(nv));
	nv.present = 1;
	switch (spec->type) {
	case PG_OPT_STRING:
		if (strlen(text) > OPTION_STRING_MAX) {
			pg_error_set("option '%s' is longer than %d bytes", spec->name,
				     OPTION_STRING_MAX);
			return PG_EINVAL;
		}
		nv.s = strdup(text);
		if (nv.s == NULL) {
			pg_error_set("out of memory");
			return PG_ENOMEM;
		}
		break;
	case PG_OPT_INT:
		errno = 0;
		nv.i = strtoll(text, &end, 10);
		if (!isdigit((unsigned char)text[text[0] == '-' || text[0] == '+']) ||
		    *end != '\0' || errno == ERANGE) {
			pg_error_set("option '%s' expects an integer, got '%s'", spec->name, text);
			return PG_EINVAL;
		}
		if (out_of_bounds(spec, (double)nv.i, text))
			return PG_ERANGE;
		nv.d = (double)nv.i; /* so opt_double also reads an integer option */
		break;
	case PG_OPT_DOUBLE:
		errno = 0;
		nv.d = is_decimal(text) ? strtod(text, &end) : NAN;
		if (!isfinite(nv.d)) {
			pg_error_set("option '%s' expects a number, got '%s'", spec->name, text);
			return PG_EINVAL;
		}
		if (out_of_bounds(spec, nv.d, text))
			return PG_ERANGE;
		break;
	case PG_OPT_BOOL:
		if (strcmp(text, "true") == 0) {
			nv.b = 1;
		} else if (strcmp(text, "false") == 0) {
			nv.b = 0;
		} else {
			pg_error_set("option '%s' expects true or false, got '%s'", spec->name,
				     text);
			return PG_EINVAL;
		}
		break;
	case PG_OPT_DURATION:
		if (pg_duration_parse(&nv.ns, text) < 0) {
			pg_error_prefix("option '%s'", spec->name);
			return PG_EINVAL;
		}
		if (out_of_bounds(spec, (double)nv.ns, text))
			return PG_ERANGE;
		nv.i = nv.ns;
		nv.d = (double)nv.ns;
		break;
	default:
		pg_error_set("option '%s' has an unknown type %d", spec->name, (int)spec->type);
		return PG_EINVAL;
	}
	*v = nv;
	return 0;
}

static void free_values(opt_value *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i].s);
	free(v);
}

int pg_options_new(pg_options **out, const pg_option_spec *specs)
{
	pg_options *o;
	size_t i;
	int rc;

	*out = NULL;
	o = calloc(1, sizeof(*o));
	if (o == NULL)
		goto nomem;
	o->specs = specs;
	while (specs != NULL && specs[o->n].name != NULL)
		o->n++;
	/* one spare element so an empty table still gets non-NULL arrays */
	o->values = calloc(o->n + 1, sizeof(*o->values));
	o->defaults = calloc(o->n + 1, sizeof(*o->defaults));
	if (o->values == NULL || o->defaults == NULL)
		goto nomem;
	for (i = 0; i < o->n; i++) {
		if (specs[i].default_value == NULL)
			continue;
		rc = parse_value(&o->defaults[i], &specs[i], specs[i].default_value);
		if (rc < 0) {
			pg_error_prefix("bad default in the plugin's option table");
			pg_options_free(o);
			return rc;
		}
	}
	*out = o;
	return 0;
nomem:
	pg_options_free(o);
	pg_error_set("out of memory");
	return PG_ENOMEM;
}

void pg_options_free(pg_options *o)
{
	if (o == NULL)
		return;
	free_values(o->values, o->n);
	free_values(o->defaults, o->n);
	free(o);
}

static long find(const pg_options *o, const char *name)
{
	size_t i;

	if (o == NULL || name == NULL)
		return -1;
	for (i = 0; i < o->n; i++)
		if (strcmp(o->specs[i].name, name) == 0)
			return (long)i;
	return -1;
}

int pg_options_set(pg_options *o, const char *name, const char *value)
{
	const char *names[OPTION_SUGGEST_MAX];
	const char *hint;
	opt_value v;
	size_t i, n;
	long idx;
	int rc;

	if (o == NULL || name == NULL || value == NULL) {
		pg_error_set("pg_options_set: invalid argument");
		return PG_EINVAL;
	}
	idx = find(o, name);
	if (idx < 0) {
		if (o->n == 0) {
			pg_error_set("unknown option '%s' (this plugin takes no options)", name);
			return PG_ENOTFOUND;
		}
		n = o->n < OPTION_SUGGEST_MAX ? o->n : OPTION_SUGGEST_MAX;
		for (i = 0; i < n; i++)
			names[i] = o->specs[i].name;
		hint = pg_suggest(name, names, n);
		if (hint != NULL)
			pg_error_set("unknown option '%s' (did you mean '%s'?)", name, hint);
		else
			pg_error_set("unknown option '%s'", name);
		return PG_ENOTFOUND;
	}
	rc = parse_value(&v, &o->specs[idx], value);
	if (rc < 0)
		return rc;
	free(o->values[idx].s);
	o->values[idx] = v;
	return 0;
}

const pg_option_spec *pg_options_spec(const pg_options *o, const char *name)
{
	long idx = find(o, name);

	return idx < 0 ? NULL : &o->specs[idx];
}

/* The value in effect for name: the one set, else the default; NULL when
 * the option is unknown or has neither. */
static const opt_value *effective(const pg_options *o, const char *name)
{
	long idx = find(o, name);

	if (idx < 0)
		return NULL;
	if (o->values[idx].present)
		return &o->values[idx];
	if (o->defaults[idx].present)
		return &o->defaults[idx];
	return NULL;
}

const char *pg_options_string(const pg_options *o, const char *name)
{
	const opt_value *v = effective(o, name);

	return v != NULL ? v->s : NULL;
}

int64_t pg_options_int(const pg_options *o, const char *name)
{
	const opt_value *v = effective(o, name);

	return v != NULL ? v->i : 0;
}

double pg_options_double(const pg_options *o, const char *name)
{
	const opt_value *v = effective(o, name);

	return v != NULL ? v->d : 0.0;
}

int pg_options_bool(const pg_options *o, const char *name)
{
	const opt_value *v = effective(o, name);

	return v != NULL ? v->b : 0;
}

pg_ns pg_options_duration(const pg_options *o, const char *name)
{
	const opt_value *v = effective(o, name);

	return v != NULL ? v->ns : 0;
}
