/*
 * exact: an answer scores 1 when it equals the item's expected answer, else 0.
 *
 * Options: trim (default true) strips leading and trailing ASCII whitespace
 * from both sides first; case_sensitive (default false) otherwise folds
 * ASCII letters only (other bytes, UTF-8 included, compare as they are).
 * The answer is compared by length, so NUL bytes in it are significant.
 * An item without an expected answer, or an answer the host truncated,
 * scores 0. Scores are all-or-nothing, so there is no threshold option:
 * pass is score == 1.
 */
#include <string.h>

#include "perfgate/plugin.h"

typedef struct exact_inst {
	const pg_host_api *host;
	int trim;
	int case_sensitive;
} exact_inst;

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static unsigned char fold(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

/* Narrows [*s, *s + *len) to drop leading and trailing whitespace. */
static void trim_span(const char **s, size_t *len)
{
	while (*len > 0 && is_space((unsigned char)(*s)[0])) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && is_space((unsigned char)(*s)[*len - 1]))
		(*len)--;
}

static int exact_create(void **out_inst, const pg_host_api *host, const pg_options *opts)
{
	exact_inst *in;

	*out_inst = NULL;
	in = host->calloc(1, sizeof(*in));
	if (in == NULL) {
		host->set_error("exact: out of memory");
		return PG_ENOMEM;
	}
	in->host = host;
	in->trim = host->opt_bool(opts, "trim");
	in->case_sensitive = host->opt_bool(opts, "case_sensitive");
	*out_inst = in;
	return 0;
}

static void exact_destroy(void *inst)
{
	exact_inst *in = inst;

	if (in != NULL)
		in->host->free(in);
}

static int exact_score(void *inst, const pg_score_input *input, double *score, int *pass)
{
	const exact_inst *in = inst;
	const char *a = input->answer ? input->answer : "", *e = input->expected;
	size_t alen = input->answer ? input->answer_len : 0, elen, i;
	int equal = 0;

	if (e == NULL || input->answer_truncated)
		goto done;
	elen = strlen(e);
	if (in->trim) {
		trim_span(&a, &alen);
		trim_span(&e, &elen);
	}
	if (alen != elen)
		goto done;
	for (i = 0; i < alen; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)e[i];

		if (!in->case_sensitive) {
			x = fold(x);
			y = fold(y);
		}
		if (x != y)
			goto done;
	}
	equal = 1;
done:
	*score = equal ? 1.0 : 0.0;
	*pass = equal;
	return 0;
}

/* clang-format off */
static const pg_option_spec exact_options[] = {
    {"trim", PG_OPT_BOOL, "true", NULL, 0, 0,
     "strip leading and trailing whitespace from the answer and the expected text"},
    {"case_sensitive", PG_OPT_BOOL, "false", NULL, 0, 0,
     "compare letters case-sensitively (otherwise ASCII case is ignored)"},
    {0},
};
/* clang-format on */

static const pg_scorer_ops exact_ops = {
    .create = exact_create,
    .destroy = exact_destroy,
    .score = exact_score,
};

static const pg_plugin_desc exact_desc = {
    PG_PLUGIN_DESC_INIT(PG_PLUGIN_SCORER, "exact"),
    .version = "1.0.0",
    .description = "1 when the answer equals the expected answer (trimmed, ASCII case "
		   "ignored by default), else 0",
    .options = exact_options,
    .ops = &exact_ops,
};

PG_PLUGIN_EXPORT(scorer_exact, exact_desc)
