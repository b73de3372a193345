/*
 * json-valid: an answer scores 1 when it parses as JSON, else 0.
 *
 * Options: strip_fences (default true) first takes the content of the
 * first Markdown code fence (``` or ```json) when the answer has one, as
 * models often wrap JSON in one; type (any, object or array; default any)
 * also requires the top-level value to be of that kind. A raw NUL byte
 * makes the answer invalid (JSON does not allow one). Scores are
 * all-or-nothing, so there is no threshold option: pass is score == 1.
 */
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "perfgate/plugin.h"

enum { WANT_ANY, WANT_OBJECT, WANT_ARRAY };

typedef struct json_valid_inst {
	const pg_host_api *host;
	int strip_fences;
	int want;
} json_valid_inst;

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
	const char *open = find_fence(*s, *len), *end = *s + *len, *p, *close;
	size_t info_len;

	if (open == NULL)
		return;
	p = open + 3;
	while (p < end && *p != '\n' && *p != '\r')
		p++;
	info_len = (size_t)(p - (open + 3));
	{
		const char *info = open + 3;

		while (info_len > 0 && is_space((unsigned char)info[info_len - 1]))
			info_len--;
		if (!(info_len == 0 || (info_len == 4 && strncasecmp(info, "json", 4) == 0)))
			return;
	}
	close = find_fence(p, (size_t)(end - p));
	*s = p;
	*len = (size_t)((close ? close : end) - p);
}

static int json_valid_create(void **out_inst, const pg_host_api *host, const pg_options *opts)
{
	json_valid_inst *in;
	const char *type = host->opt_string(opts, "type");
	int want;

	*out_inst = NULL;
	if (type == NULL || strcmp(type, "any") == 0) {
		want = WANT_ANY;
	} else if (strcmp(type, "object") == 0) {
		want = WANT_OBJECT;
	} else if (strcmp(type, "array") == 0) {
		want = WANT_ARRAY;
	} else {
		host->set_error("json-valid: option 'type' is '%s'; use any, object or array",
				type);
		return PG_EINVAL;
	}
	in = host->calloc(1, sizeof(*in));
	if (in == NULL) {
		host->set_error("json-valid: out of memory");
		return PG_ENOMEM;
	}
	in->host = host;
	in->strip_fences = host->opt_bool(opts, "strip_fences");
	in->want = want;
	*out_inst = in;
	return 0;
}

static void json_valid_destroy(void *inst)
{
	json_valid_inst *in = inst;

	if (in != NULL)
		in->host->free(in);
}

static int json_valid_score(void *inst, const pg_score_input *input, double *score, int *pass)
{
	const json_valid_inst *in = inst;
	const char *s = input->answer ? input->answer : "";
	size_t len = input->answer ? input->answer_len : 0;
	json_error_t err;
	json_t *v;
	int ok = 0;

	if (in->strip_fences)
		strip_fence(&s, &len);
	v = json_loadb(s, len, JSON_DECODE_ANY, &err);
	if (v != NULL)
		ok = in->want == WANT_ANY || (in->want == WANT_OBJECT && json_is_object(v)) ||
		     (in->want == WANT_ARRAY && json_is_array(v));
	json_decref(v);
	*score = ok ? 1.0 : 0.0;
	*pass = ok;
	return 0;
}

/* clang-format off */
static const pg_option_spec json_valid_options[] = {
    {"strip_fences", PG_OPT_BOOL, "true", NULL, 0, 0,
     "parse the body of the first ``` or ```json code fence when the answer has one"},
    {"type", PG_OPT_STRING, "any", NULL, 0, 0,
     "required top-level value: any, object or array"},
    {0},
};
/* clang-format on */

static const pg_scorer_ops json_valid_ops = {
    .create = json_valid_create,
    .destroy = json_valid_destroy,
    .score = json_valid_score,
};

static const pg_plugin_desc json_valid_desc = {
    PG_PLUGIN_DESC_INIT(PG_PLUGIN_SCORER, "json-valid"),
    .version = "1.0.0",
    .description = "1 when the answer (or its ```json fence) parses as JSON, else 0",
    .options = json_valid_options,
    .ops = &json_valid_ops,
};

PG_PLUGIN_EXPORT(scorer_json_valid, json_valid_desc)
