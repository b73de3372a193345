/*
 * json-schema: an answer scores 1 when it parses as JSON and is valid
 * against a small subset of JSON Schema, else 0.
 *
 * Option schema holds the schema as JSON text, or "@path" to read it from a
 * file (at most 1 MiB) at create. Supported keywords: type (object, array,
 * string, number, integer, boolean, null, or a list of them), properties,
 * required, items (one schema for every element), enum, const,
 * minimum/maximum, minLength/maxLength (in Unicode code points),
 * minItems/maxItems and additionalProperties (a boolean); the annotations
 * $schema, $id, $comment, title, description, default and examples are
 * ignored. Any other keyword fails create with its name, so a schema never
 * silently checks less than its author meant. Schemas nest at most
 * JS_MAX_DEPTH levels; the evaluator recurses only as deep as the schema.
 * enum and const compare with json_equal (1 and 1.0 differ). Which rule an
 * answer broke is not reported: the scorer API has no place for it.
 * strip_fences (default true) first takes the body of a ``` or ```json
 * fence, as json-valid does. Scores are all-or-nothing, so there is no
 * threshold option: pass is score == 1.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "perfgate/plugin.h"

#define JS_MAX_DEPTH 32
#define JS_MAX_FILE ((size_t)1024 * 1024)

typedef struct json_schema_inst {
	const pg_host_api *host;
	json_t *schema;
	int strip_fences;
} json_schema_inst;

static const char *const type_names[] = {"object",  "array",   "string", "number",
					 "integer", "boolean", "null",	 NULL};
static const char *const ignored_keywords[] = {"$schema",     "$id",	 "$comment", "title",
					       "description", "default", "examples", NULL};

static int in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

/* ---- schema check (at create) ------------------------------------------- */

static int check_schema(const pg_host_api *host, const json_t *s, const char *where, int depth);

static int check_count(const pg_host_api *host, const json_t *v, const char *key, const char *where)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		host->set_error("json-schema: %s: '%s' must be a non-negative integer", where, key);
		return PG_EINVAL;
	}
	return 0;
}

static int check_type(const pg_host_api *host, const json_t *v, const char *where)
{
	size_t i;
	const json_t *t;

	if (json_is_string(v) && in_list(type_names, json_string_value(v)))
		return 0;
	if (json_is_array(v) && json_array_size(v) > 0) {
		json_array_foreach(v, i,
				   t) if (!json_is_string(t) ||
					  !in_list(type_names, json_string_value(t))) goto bad;
		return 0;
	}
bad:
	host->set_error("json-schema: %s: 'type' must be one of object, array, string, number, "
			"integer, boolean, null, or a non-empty list of them",
			where);
	return PG_EINVAL;
}

static int check_keyword(const pg_host_api *host, const char *key, const json_t *v,
			 const char *where, int depth)
{
	char sub[256];
	const char *name;
	const json_t *p;
	size_t i;

	if (strcmp(key, "type") == 0)
		return check_type(host, v, where);
	if (strcmp(key, "properties") == 0) {
		if (!json_is_object(v))
			goto not_object;
		json_object_foreach((json_t *)v, name, p)
		{
			int rc;

			snprintf(sub, sizeof(sub), "%s.properties.%s", where, name);
			if ((rc = check_schema(host, p, sub, depth + 1)) < 0)
				return rc;
		}
		return 0;
	}
	if (strcmp(key, "items") == 0) {
		snprintf(sub, sizeof(sub), "%s.items", where);
		return check_schema(host, v, sub, depth + 1);
	}
	if (strcmp(key, "required") == 0) {
		if (!json_is_array(v))
			goto bad_required;
		json_array_foreach(v, i, p) if (!json_is_string(p)) goto bad_required;
		return 0;
	}
	if (strcmp(key, "enum") == 0) {
		if (!json_is_array(v)) {
			host->set_error("json-schema: %s: 'enum' must be an array", where);
			return PG_EINVAL;
		}
		return 0;
	}
	if (strcmp(key, "const") == 0)
		return 0;
	if (strcmp(key, "minimum") == 0 || strcmp(key, "maximum") == 0) {
		if (!json_is_number(v)) {
			host->set_error("json-schema: %s: '%s' must be a number", where, key);
			return PG_EINVAL;
		}
		return 0;
	}
	if (strcmp(key, "minLength") == 0 || strcmp(key, "maxLength") == 0 ||
	    strcmp(key, "minItems") == 0 || strcmp(key, "maxItems") == 0)
		return check_count(host, v, key, where);
	if (strcmp(key, "additionalProperties") == 0) {
		if (!json_is_boolean(v)) {
			host->set_error("json-schema: %s: only a boolean 'additionalProperties' is "
					"supported",
					where);
			return PG_EINVAL;
		}
		return 0;
	}
	if (in_list(ignored_keywords, key))
		return 0;
	host->set_error("json-schema: %s: unsupported keyword '%s'", where, key);
	return PG_EINVAL;
not_object:
	host->set_error("json-schema: %s: '%s' must be an object", where, key);
	return PG_EINVAL;
bad_required:
	host->set_error("json-schema: %s: 'required' must be an array of strings", where);
	return PG_EINVAL;
}

/* Whether s is a schema this evaluator fully understands. */
static int check_schema(const pg_host_api *host, const json_t *s, const char *where, int depth)
{
	const char *key;
	const json_t *v;
	int rc;

	if (depth > JS_MAX_DEPTH) {
		host->set_error("json-schema: %s: schemas nest deeper than %d levels", where,
				JS_MAX_DEPTH);
		return PG_ELIMIT;
	}
	if (!json_is_object(s)) {
		host->set_error("json-schema: %s: a schema must be an object", where);
		return PG_EINVAL;
	}
	json_object_foreach((json_t *)s, key,
			    v) if ((rc = check_keyword(host, key, v, where, depth)) < 0) return rc;
	return 0;
}

/* ---- evaluation ----------------------------------------------------------- */

static int has_type(const json_t *v, const char *type)
{
	if (strcmp(type, "object") == 0)
		return json_is_object(v);
	if (strcmp(type, "array") == 0)
		return json_is_array(v);
	if (strcmp(type, "string") == 0)
		return json_is_string(v);
	if (strcmp(type, "number") == 0)
		return json_is_number(v);
	if (strcmp(type, "integer") == 0) {
		double d;

		if (json_is_integer(v))
			return 1;
		if (!json_is_real(v))
			return 0;
		d = json_real_value(v);
		return isfinite(d) && floor(d) == d;
	}
	if (strcmp(type, "boolean") == 0)
		return json_is_boolean(v);
	return json_is_null(v);
}

/* Code points in a UTF-8 string (jansson checked its encoding). */
static size_t utf8_length(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

/* Whether v is valid against s (checked at create, so the recursion is
 * bounded by the schema's depth). */
static int valid(const json_t *s, const json_t *v)
{
	const json_t *k, *t;
	size_t i;

	if ((k = json_object_get(s, "type")) != NULL) {
		int ok = 0;

		if (json_is_string(k)) {
			ok = has_type(v, json_string_value(k));
		} else {
			json_array_foreach(k, i, t) ok = ok || has_type(v, json_string_value(t));
		}
		if (!ok)
			return 0;
	}
	if ((k = json_object_get(s, "const")) != NULL && !json_equal(k, v))
		return 0;
	if ((k = json_object_get(s, "enum")) != NULL) {
		int found = 0;

		json_array_foreach(k, i, t) found = found || json_equal(t, v);
		if (!found)
			return 0;
	}
	if (json_is_number(v)) {
		double d = json_number_value(v);

		if ((k = json_object_get(s, "minimum")) != NULL && d < json_number_value(k))
			return 0;
		if ((k = json_object_get(s, "maximum")) != NULL && d > json_number_value(k))
			return 0;
	}
	if (json_is_string(v)) {
		size_t n = utf8_length(json_string_value(v), json_string_length(v));

		if ((k = json_object_get(s, "minLength")) != NULL &&
		    n < (size_t)json_integer_value(k))
			return 0;
		if ((k = json_object_get(s, "maxLength")) != NULL &&
		    n > (size_t)json_integer_value(k))
			return 0;
	}
	if (json_is_array(v)) {
		size_t n = json_array_size(v);

		if ((k = json_object_get(s, "minItems")) != NULL &&
		    n < (size_t)json_integer_value(k))
			return 0;
		if ((k = json_object_get(s, "maxItems")) != NULL &&
		    n > (size_t)json_integer_value(k))
			return 0;
		if ((k = json_object_get(s, "items")) != NULL) {
			json_array_foreach(v, i, t) if (!valid(k, t)) return 0;
		}
	}
	if (json_is_object(v)) {
		const json_t *props = json_object_get(s, "properties");
		const char *name;

		if ((k = json_object_get(s, "required")) != NULL) {
			json_array_foreach(k, i, t) if (json_object_get(v, json_string_value(t)) ==
							NULL) return 0;
		}
		json_object_foreach((json_t *)v, name, t)
		{
			const json_t *ps = props ? json_object_get(props, name) : NULL;

			if (ps != NULL && !valid(ps, t))
				return 0;
			if (ps == NULL && json_is_false(json_object_get(s, "additionalProperties")))
				return 0;
		}
	}
	return 1;
}

/* ---- plugin ---------------------------------------------------------------- */

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static const char *find_fence(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i + 3 <= len; i++)
		if (s[i] == '`' && s[i + 1] == '`' && s[i + 2] == '`')
			return s + i;
	return NULL;
}

/* Narrows [*s, *s + *len) to the body of its first ``` or ```json fence, if
 * it has one; a fence without a closing ``` runs to the end. */
static void strip_fence(const char **s, size_t *len)
{
	const char *open = find_fence(*s, *len), *end = *s + *len, *p, *close, *info;
	size_t info_len;

	if (open == NULL)
		return;
	info = p = open + 3;
	while (p < end && *p != '\n' && *p != '\r')
		p++;
	info_len = (size_t)(p - info);
	while (info_len > 0 && is_space((unsigned char)info[info_len - 1]))
		info_len--;
	if (!(info_len == 0 || (info_len == 4 && strncasecmp(info, "json", 4) == 0)))
		return;
	close = find_fence(p, (size_t)(end - p));
	*s = p;
	*len = (size_t)((close ? close : end) - p);
}

/* Loads the schema text of the option: inline JSON or "@path". */
static int load_schema(json_t **out, const pg_host_api *host, const char *text)
{
	json_error_t err;
	FILE *f;
	size_t n;
	char *buf;

	*out = NULL;
	if (text[0] != '@') {
		*out = json_loads(text, JSON_REJECT_DUPLICATES, &err);
		if (*out == NULL) {
			host->set_error("json-schema: option 'schema' is not JSON: %s (line %d, "
					"column %d)",
					err.text, err.line, err.column);
			return PG_EPARSE;
		}
		return 0;
	}
	f = fopen(text + 1, "rb");
	if (f == NULL) {
		host->set_error("json-schema: cannot open schema file '%s'", text + 1);
		return PG_EIO;
	}
	buf = host->alloc(JS_MAX_FILE + 1);
	if (buf == NULL) {
		fclose(f);
		host->set_error("json-schema: out of memory");
		return PG_ENOMEM;
	}
	n = fread(buf, 1, JS_MAX_FILE + 1, f);
	if (ferror(f) || n > JS_MAX_FILE) {
		host->set_error("json-schema: cannot read schema file '%s'%s", text + 1,
				n > JS_MAX_FILE ? " (larger than 1 MiB)" : "");
		fclose(f);
		host->free(buf);
		return PG_EIO;
	}
	fclose(f);
	*out = json_loadb(buf, n, JSON_REJECT_DUPLICATES, &err);
	host->free(buf);
	if (*out == NULL) {
		host->set_error("json-schema: %s:%d:%d: %s", text + 1, err.line, err.column,
				err.text);
		return PG_EPARSE;
	}
	return 0;
}

static void json_schema_destroy(void *inst)
{
	json_schema_inst *in = inst;

	if (in == NULL)
		return;
	json_decref(in->schema);
	in->host->free(in);
}

static int json_schema_create(void **out_inst, const pg_host_api *host, const pg_options *opts)
{
	const char *text = host->opt_string(opts, "schema");
	json_schema_inst *in = NULL;
	int rc;

	*out_inst = NULL;
	if (text == NULL) {
		host->set_error("json-schema: option 'schema' is required");
		return PG_EINVAL;
	}
	in = host->calloc(1, sizeof(*in));
	if (in == NULL) {
		host->set_error("json-schema: out of memory");
		return PG_ENOMEM;
	}
	in->host = host;
	in->strip_fences = host->opt_bool(opts, "strip_fences");
	if ((rc = load_schema(&in->schema, host, text)) < 0 ||
	    (rc = check_schema(host, in->schema, "schema", 0)) < 0)
		goto done;
	*out_inst = in;
	in = NULL;
done:
	json_schema_destroy(in);
	return rc;
}

static int json_schema_score(void *inst, const pg_score_input *input, double *score, int *pass)
{
	const json_schema_inst *in = inst;
	const char *s = input->answer ? input->answer : "";
	size_t len = input->answer ? input->answer_len : 0;
	json_error_t err;
	json_t *v;
	int ok;

	if (in->strip_fences)
		strip_fence(&s, &len);
	v = json_loadb(s, len, JSON_DECODE_ANY, &err);
	ok = v != NULL && valid(in->schema, v);
	json_decref(v);
	*score = ok ? 1.0 : 0.0;
	*pass = ok;
	return 0;
}

/* clang-format off */
static const pg_option_spec json_schema_options[] = {
    {"schema", PG_OPT_STRING, NULL, NULL, 0, 0,
     "JSON Schema (subset) as JSON text, or \"@path\" to read it from a file (required)"},
    {"strip_fences", PG_OPT_BOOL, "true", NULL, 0, 0,
     "check the body of the first ``` or ```json code fence when the answer has one"},
    {0},
};
/* clang-format on */

static const pg_scorer_ops json_schema_ops = {
    .create = json_schema_create,
    .destroy = json_schema_destroy,
    .score = json_schema_score,
};

static const pg_plugin_desc json_schema_desc = {
    PG_PLUGIN_DESC_INIT(PG_PLUGIN_SCORER, "json-schema"),
    .version = "1.0.0",
    .description = "1 when the answer is JSON valid against a JSON Schema subset, else 0",
    .options = json_schema_options,
    .ops = &json_schema_ops,
};

PG_PLUGIN_EXPORT(scorer_json_schema, json_schema_desc)
