/*
 * length: an answer scores 1 when its length is inside every bound set,
 * else 0.
 *
 * Options min_chars, max_chars, min_words, max_words (0 = no bound).
 * Characters are Unicode code points of the UTF-8 text (a byte that is not
 * a UTF-8 continuation byte counts as one; a NUL byte is a character).
 * Words are runs of bytes other than ASCII whitespace and NUL. An answer
 * the host truncated is longer than what is seen, so it fails any max
 * bound. Scores are all-or-nothing, so there is no threshold option: pass
 * is score == 1.
 */
#include <stdint.h>

#include "perfgate/plugin.h"

typedef struct length_inst {
	const pg_host_api *host;
	int64_t min_chars, max_chars, min_words, max_words;
} length_inst;

static int is_separator(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' ||
	       c == '\0';
}

static int length_create(void **out_inst, const pg_host_api *host, const pg_options *opts)
{
	length_inst *in;
	int64_t min_c = host->opt_int(opts, "min_chars"), max_c = host->opt_int(opts, "max_chars");
	int64_t min_w = host->opt_int(opts, "min_words"), max_w = host->opt_int(opts, "max_words");

	*out_inst = NULL;
	if (min_c < 0 || max_c < 0 || min_w < 0 || max_w < 0) {
		host->set_error("length: bounds must not be negative");
		return PG_ERANGE;
	}
	if ((max_c > 0 && min_c > max_c) || (max_w > 0 && min_w > max_w)) {
		host->set_error("length: a minimum is larger than its maximum");
		return PG_ERANGE;
	}
	in = host->calloc(1, sizeof(*in));
	if (in == NULL) {
		host->set_error("length: out of memory");
		return PG_ENOMEM;
	}
	in->host = host;
	in->min_chars = min_c;
	in->max_chars = max_c;
	in->min_words = min_w;
	in->max_words = max_w;
	*out_inst = in;
	return 0;
}

static void length_destroy(void *inst)
{
	length_inst *in = inst;

	if (in != NULL)
		in->host->free(in);
}

static int length_score(void *inst, const pg_score_input *input, double *score, int *pass)
{
	const length_inst *in = inst;
	const unsigned char *a = (const unsigned char *)input->answer;
	size_t len = input->answer ? input->answer_len : 0, i;
	int64_t chars = 0, words = 0;
	int in_word = 0, ok = 1;

	for (i = 0; i < len; i++) {
		if ((a[i] & 0xC0) != 0x80)
			chars++;
		if (is_separator(a[i])) {
			in_word = 0;
		} else if (!in_word) {
			in_word = 1;
			words++;
		}
	}
	if (in->min_chars > 0 && chars < in->min_chars)
		ok = 0;
	if (in->min_words > 0 && words < in->min_words)
		ok = 0;
	if (in->max_chars > 0 && (chars > in->max_chars || input->answer_truncated))
		ok = 0;
	if (in->max_words > 0 && (words > in->max_words || input->answer_truncated))
		ok = 0;
	*score = ok ? 1.0 : 0.0;
	*pass = ok;
	return 0;
}

/* clang-format off */
static const pg_option_spec length_options[] = {
    {"min_chars", PG_OPT_INT, "0", "chars", 0, 1e12,
     "fewest characters (Unicode code points) the answer may have; 0: no bound"},
    {"max_chars", PG_OPT_INT, "0", "chars", 0, 1e12,
     "most characters (Unicode code points) the answer may have; 0: no bound"},
    {"min_words", PG_OPT_INT, "0", "words", 0, 1e12,
     "fewest whitespace-separated words the answer may have; 0: no bound"},
    {"max_words", PG_OPT_INT, "0", "words", 0, 1e12,
     "most whitespace-separated words the answer may have; 0: no bound"},
    {0},
};
/* clang-format on */

static const pg_scorer_ops length_ops = {
    .create = length_create,
    .destroy = length_destroy,
    .score = length_score,
};

static const pg_plugin_desc length_desc = {
    PG_PLUGIN_DESC_INIT(PG_PLUGIN_SCORER, "length"),
    .version = "1.0.0",
    .description = "1 when the answer's character and word counts are inside the bounds, "
		   "else 0",
    .options = length_options,
    .ops = &length_ops,
};

PG_PLUGIN_EXPORT(scorer_length, length_desc)
