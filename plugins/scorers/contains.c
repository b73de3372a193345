/*
 * contains: an answer scores 1 when it contains the item's expected answer,
 * or the text of option `text` when that is set, else 0.
 *
 * case_sensitive (default false) otherwise folds ASCII letters only. The
 * answer is searched by length, so text after a NUL byte is searched too.
 * With no text to look for (no option, no expected answer) the score is 0;
 * an empty text is contained in every answer. Scores are all-or-nothing, so
 * there is no threshold option: pass is score == 1.
 */
#include <string.h>

#include "perfgate/plugin.h"

typedef struct contains_inst {
	const pg_host_api *host;
	char *text; /* the option's copy, or NULL: use the expected answer */
	int case_sensitive;
} contains_inst;

static unsigned char fold(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

/* Whether needle occurs in hay[0..hay_len). */
static int find(const char *hay, size_t hay_len, const char *needle, size_t needle_len, int cs)
{
	size_t i, j;

	if (needle_len == 0)
		return 1;
	for (i = 0; i + needle_len <= hay_len; i++) {
		for (j = 0; j < needle_len; j++) {
			unsigned char x = (unsigned char)hay[i + j], y = (unsigned char)needle[j];

			if (cs ? x != y : fold(x) != fold(y))
				break;
		}
		if (j == needle_len)
			return 1;
	}
	return 0;
}

static void contains_destroy(void *inst)
{
	contains_inst *in = inst;

	if (in == NULL)
		return;
	in->host->free(in->text);
	in->host->free(in);
}

static int contains_create(void **out_inst, const pg_host_api *host, const pg_options *opts)
{
	contains_inst *in;
	const char *text;

	*out_inst = NULL;
	in = host->calloc(1, sizeof(*in));
	if (in == NULL)
		goto oom;
	in->host = host;
	in->case_sensitive = host->opt_bool(opts, "case_sensitive");
	text = host->opt_string(opts, "text");
	if (text != NULL && (in->text = host->strdup(text)) == NULL)
		goto oom;
	*out_inst = in;
	return 0;
oom:
	contains_destroy(in);
	host->set_error("contains: out of memory");
	return PG_ENOMEM;
}

static int contains_score(void *inst, const pg_score_input *input, double *score, int *pass)
{
	const contains_inst *in = inst;
	const char *needle = in->text ? in->text : input->expected;
	int found = 0;

	if (needle != NULL)
		found =
		    find(input->answer ? input->answer : "", input->answer ? input->answer_len : 0,
			 needle, strlen(needle), in->case_sensitive);
	*score = found ? 1.0 : 0.0;
	*pass = found;
	return 0;
}

/* clang-format off */
static const pg_option_spec contains_options[] = {
    {"text", PG_OPT_STRING, NULL, NULL, 0, 0,
     "text the answer must contain; unset: the item's expected answer"},
    {"case_sensitive", PG_OPT_BOOL, "false", NULL, 0, 0,
     "compare letters case-sensitively (otherwise ASCII case is ignored)"},
    {0},
};
/* clang-format on */

static const pg_scorer_ops contains_ops = {
    .create = contains_create,
    .destroy = contains_destroy,
    .score = contains_score,
};

static const pg_plugin_desc contains_desc = {
    PG_PLUGIN_DESC_INIT(PG_PLUGIN_SCORER, "contains"),
    .version = "1.0.0",
    .description = "1 when the answer contains the expected answer (or option text), else 0",
    .options = contains_options,
    .ops = &contains_ops,
};

PG_PLUGIN_EXPORT(scorer_contains, contains_desc)
