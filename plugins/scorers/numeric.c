/*
 * numeric: an answer scores 1 when its number equals the item's expected
 * answer within a tolerance, else 0.
 *
 * The answer's number is the first decimal number in it ([+-]digits[.digits]
 * [e[+-]digits], e.g. "The answer is -3.5e2."), or, with option whole, the
 * whole answer (surrounding whitespace allowed) must be one. Thousands
 * separators are not understood ("1,000" reads as 1), nor are hex, inf or
 * nan. The expected answer must itself be a whole number text; an item
 * without one scores 0. Passes when |answer - expected| <= tolerance
 * (absolute) or <= relative * |expected|; both default to 0 (equal).
 * Numbers longer than NUM_MAX_TOKEN characters are not read. Scores are
 * all-or-nothing, so there is no threshold option: pass is score == 1.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "perfgate/plugin.h"

#define NUM_MAX_TOKEN 256

typedef struct numeric_inst {
	const pg_host_api *host;
	int whole;
	double tolerance;
	double relative;
} numeric_inst;

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Length of the number starting at s[0..len), or 0 when none starts there. */
static size_t number_at(const char *s, size_t len)
{
	size_t i = 0, digits = 0;

	if (i < len && (s[i] == '+' || s[i] == '-'))
		i++;
	while (i < len && is_digit(s[i])) {
		i++;
		digits++;
	}
	if (i < len && s[i] == '.') {
		size_t frac = 0;

		while (i + 1 + frac < len && is_digit(s[i + 1 + frac]))
			frac++;
		if (frac > 0 || digits > 0)
			i += 1 + frac;
		digits += frac;
	}
	if (digits == 0)
		return 0;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		size_t j = i + 1, exp = 0;

		if (j < len && (s[j] == '+' || s[j] == '-'))
			j++;
		while (j + exp < len && is_digit(s[j + exp]))
			exp++;
		if (exp > 0)
			i = j + exp;
	}
	return i;
}

/* Reads the number of n bytes at s; 0 or -1 when it is too long. */
static int to_double(double *out, const char *s, size_t n)
{
	char tok[NUM_MAX_TOKEN + 1];

	if (n > NUM_MAX_TOKEN)
		return -1;
	memcpy(tok, s, n);
	tok[n] = '\0';
	*out = strtod(tok, NULL);
	return 0;
}

/* Reads s[0..len) as exactly one number with optional surrounding
 * whitespace. */
static int parse_whole(double *out, const char *s, size_t len)
{
	size_t n;

	while (len > 0 && is_space((unsigned char)s[0])) {
		s++;
		len--;
	}
	while (len > 0 && is_space((unsigned char)s[len - 1]))
		len--;
	n = number_at(s, len);
	if (n == 0 || n != len)
		return -1;
	return to_double(out, s, n);
}

/* Reads the first number in s[0..len). */
static int parse_first(double *out, const char *s, size_t len)
{
	size_t i, n;

	for (i = 0; i < len; i++)
		if ((n = number_at(s + i, len - i)) > 0)
			return to_double(out, s + i, n);
	return -1;
}

static int numeric_create(void **out_inst, const pg_host_api *host, const pg_options *opts)
{
	numeric_inst *in;
	double tol = host->opt_double(opts, "tolerance"), rel = host->opt_double(opts, "relative");

	*out_inst = NULL;
	if (!(tol >= 0) || !(rel >= 0)) {
		host->set_error("numeric: 'tolerance' and 'relative' must not be negative");
		return PG_ERANGE;
	}
	in = host->calloc(1, sizeof(*in));
	if (in == NULL) {
		host->set_error("numeric: out of memory");
		return PG_ENOMEM;
	}
	in->host = host;
	in->whole = host->opt_bool(opts, "whole");
	in->tolerance = tol;
	in->relative = rel;
	*out_inst = in;
	return 0;
}

static void numeric_destroy(void *inst)
{
	numeric_inst *in = inst;

	if (in != NULL)
		in->host->free(in);
}

static int numeric_score(void *inst, const pg_score_input *input, double *score, int *pass)
{
	const numeric_inst *in = inst;
	const char *a = input->answer ? input->answer : "";
	size_t alen = input->answer ? input->answer_len : 0;
	double got, want, diff;
	int ok = 0;

	if (input->expected == NULL ||
	    parse_whole(&want, input->expected, strlen(input->expected)) < 0)
		goto done;
	if ((in->whole ? parse_whole(&got, a, alen) : parse_first(&got, a, alen)) < 0)
		goto done;
	diff = fabs(got - want);
	ok = got == want || diff <= in->tolerance || diff <= in->relative * fabs(want);
done:
	*score = ok ? 1.0 : 0.0;
	*pass = ok;
	return 0;
}

/* clang-format off */
static const pg_option_spec numeric_options[] = {
    {"whole", PG_OPT_BOOL, "false", NULL, 0, 0,
     "the whole answer must be the number (otherwise the first number in it is used)"},
    {"tolerance", PG_OPT_DOUBLE, "0", NULL, 0, 1e300,
     "absolute difference from the expected number that still passes"},
    {"relative", PG_OPT_DOUBLE, "0", NULL, 0, 1,
     "difference as a fraction of |expected| that still passes (0.01 = 1%)"},
    {0},
};
/* clang-format on */

static const pg_scorer_ops numeric_ops = {
    .create = numeric_create,
    .destroy = numeric_destroy,
    .score = numeric_score,
};

static const pg_plugin_desc numeric_desc = {
    PG_PLUGIN_DESC_INIT(PG_PLUGIN_SCORER, "numeric"),
    .version = "1.0.0",
    .description = "1 when the first number in the answer equals the expected number within "
		   "a tolerance, else 0",
    .options = numeric_options,
    .ops = &numeric_ops,
};

PG_PLUGIN_EXPORT(scorer_numeric, numeric_desc)
