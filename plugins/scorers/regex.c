/*
 * regex: an answer scores 1 when the POSIX extended regular expression of
 * option `pattern` matches anywhere in it, else 0.
 *
 * The pattern is compiled once at create; a bad one fails create with the
 * regerror() text. case_sensitive (default false) otherwise compiles with
 * REG_ICASE. regexec() needs a NUL-terminated string, so each answer is
 * copied into an instance buffer (grown to the answer length the host
 * gives; one instance serves one thread). A NUL byte in the answer splits
 * it into pieces searched one by one, as if it ended a line: a match never
 * spans it, `^` matches only at the very start and `$` only at the end.
 * Scores are all-or-nothing, so there is no threshold option: pass is
 * score == 1.
 */
#include <regex.h>
#include <string.h>

#include "perfgate/plugin.h"

typedef struct regex_inst {
	const pg_host_api *host;
	regex_t re;
	int compiled;
	char *buf; /* the answer copy, NUL-terminated */
	size_t cap;
} regex_inst;

static void regex_destroy(void *inst)
{
	regex_inst *in = inst;

	if (in == NULL)
		return;
	if (in->compiled)
		regfree(&in->re);
	in->host->free(in->buf);
	in->host->free(in);
}

static int regex_create(void **out_inst, const pg_host_api *host, const pg_options *opts)
{
	regex_inst *in;
	const char *pattern = host->opt_string(opts, "pattern");
	int flags = REG_EXTENDED | REG_NOSUB, rc;
	char msg[256];

	*out_inst = NULL;
	if (pattern == NULL) {
		host->set_error("regex: option 'pattern' is required");
		return PG_EINVAL;
	}
	in = host->calloc(1, sizeof(*in));
	if (in == NULL) {
		host->set_error("regex: out of memory");
		return PG_ENOMEM;
	}
	in->host = host;
	if (!host->opt_bool(opts, "case_sensitive"))
		flags |= REG_ICASE;
	rc = regcomp(&in->re, pattern, flags);
	if (rc != 0) {
		regerror(rc, &in->re, msg, sizeof(msg));
		host->set_error("regex: bad pattern '%s': %s", pattern, msg);
		regex_destroy(in);
		return PG_EINVAL;
	}
	in->compiled = 1;
	*out_inst = in;
	return 0;
}

static int regex_score(void *inst, const pg_score_input *input, double *score, int *pass)
{
	regex_inst *in = inst;
	size_t len = input->answer ? input->answer_len : 0, at = 0;
	int matched = 0;

	*score = 0.0;
	*pass = 0;
	if (len + 1 > in->cap) {
		char *grown = in->host->realloc(in->buf, len + 1);

		if (grown == NULL) {
			in->host->set_error("regex: out of memory copying a %zu-byte answer", len);
			return PG_ENOMEM;
		}
		in->buf = grown;
		in->cap = len + 1;
	}
	if (len > 0)
		memcpy(in->buf, input->answer, len);
	in->buf[len] = '\0';
	for (;;) {
		size_t piece = strlen(in->buf + at);
		int eflags = 0;

		if (at > 0)
			eflags |= REG_NOTBOL;
		if (at + piece < len)
			eflags |= REG_NOTEOL;
		if (regexec(&in->re, in->buf + at, 0, NULL, eflags) == 0) {
			matched = 1;
			break;
		}
		if (at + piece >= len)
			break;
		at += piece + 1;
	}
	*score = matched ? 1.0 : 0.0;
	*pass = matched;
	return 0;
}

/* clang-format off */
static const pg_option_spec regex_options[] = {
    {"pattern", PG_OPT_STRING, NULL, NULL, 0, 0,
     "POSIX extended regular expression the answer must match somewhere (required)"},
    {"case_sensitive", PG_OPT_BOOL, "false", NULL, 0, 0,
     "match letters case-sensitively (otherwise case is ignored)"},
    {0},
};
/* clang-format on */

static const pg_scorer_ops regex_ops = {
    .create = regex_create,
    .destroy = regex_destroy,
    .score = regex_score,
};

static const pg_plugin_desc regex_desc = {
    PG_PLUGIN_DESC_INIT(PG_PLUGIN_SCORER, "regex"),
    .version = "1.0.0",
    .description = "1 when a POSIX extended regular expression matches the answer, else 0",
    .options = regex_options,
    .ops = &regex_ops,
};

PG_PLUGIN_EXPORT(scorer_regex, regex_desc)
