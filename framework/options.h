/*
 * Plugin option values, validated against a plugin's option table
 * (fluent-bit's config_map): unknown names, wrong types and values out of
 * bounds are refused with a message naming the option.
 */
#ifndef PG_OPTIONS_H
#define PG_OPTIONS_H

#include "perfgate/plugin.h"

/* Creates an option set for a table (which must outlive it; NULL: no
 * options). Free with pg_options_free. */
int pg_options_new(pg_options **out, const pg_option_spec *specs);
void pg_options_free(pg_options *o);
/* Sets one option from its written form. PG_ENOTFOUND for an unknown
 * name (message has "did you mean"), PG_EINVAL for a bad value. */
int pg_options_set(pg_options *o, const char *name, const char *value);
/* The spec of a named option, NULL if the table has none. */
const pg_option_spec *pg_options_spec(const pg_options *o, const char *name);

/* Typed getters; an unset option yields its default (0/""/NULL if none).
 * These back the host API's opt_* functions. */
const char *pg_options_string(const pg_options *o, const char *name);
int64_t pg_options_int(const pg_options *o, const char *name);
double pg_options_double(const pg_options *o, const char *name);
int pg_options_bool(const pg_options *o, const char *name);
pg_ns pg_options_duration(const pg_options *o, const char *name);

/* Name of an option type as shown to users ("string", "duration", ...). */
const char *pg_option_type_name(pg_option_type t);

#endif
