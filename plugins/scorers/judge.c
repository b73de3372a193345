/*
 * judge: another model grades each answer ("LLM as a judge"). The scorer
 * writes a grading prompt from a rubric, the question, the item's expected
 * answer (when it has one) and the answer, sends it to the suite's judge
 * target through host->complete(), and reads the first score in the reply.
 *
 * It is flagged PG_SCORER_AFTER_RUN: a judge call blocks for as long as
 * the judge model takes, so the host never calls it during the load; it
 * grades a random sample of the answers (`quality.sample`) afterwards.
 *
 * Reading the reply. The first of these wins:
 *  - a number after "score", "rating" or "grade" (any case; spaces, '*',
 *    '_', ':', '=', quotes between): "Score: 8", "**Score:** 7.5",
 *    "Rating: 80/100", {"score": 0.8};
 *  - the first "N/M" or "N out of M": "8/10";
 *  - a reply that starts with a number: "7", "7. Mostly right".
 * A score written over M ("8/10", "80 out of 100") is N/M. A bare number
 * is read on the scale option: 1, 10 or 100; auto reads it on the built-in
 * rubric's 0-10 scale when the rubric option is unset, and otherwise
 * infers the scale: at most 1 is 0-1, at most 10 is 0-10, at most 100 is
 * 0-100. A reply with no score, or a score above its scale's maximum, is a
 * scorer failure (PG_EPARSE, the message quotes the reply's first 80
 * characters): the host leaves the answer ungraded and counts it in
 * quality.judge_failures; it is never graded 0, which would blame the
 * model under test for the judge's reply. pass is score >= pass_score.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "perfgate/plugin.h"

#define JUDGE_NAME "judge"

/* Longest number read from a reply. */
#define JUDGE_NUM_MAX 32
/* Characters of the reply quoted in a failure message. */
#define JUDGE_QUOTE 80

static const char default_rubric[] =
    "Judge whether the answer is correct and complete for the question. When a reference "
    "answer is given, an answer that agrees with it is correct whatever its wording, and an "
    "answer that contradicts it is wrong. Give a score from 0 (wrong, off-topic or empty) to "
    "10 (fully correct). Reply with the score first, on a line of its own, written as "
    "\"Score: N/10\", then one sentence explaining it.";

/* The built-in templates; the reference section is left out for items
 * without an expected answer. tests/servers/openai_server.py --mode judge
 * reads these section markers. */
static const char template_ref[] = "You are grading an answer written by an AI assistant.\n\n"
				   "{rubric}\n\n"
				   "[QUESTION]\n{prompt}\n[/QUESTION]\n\n"
				   "[REFERENCE ANSWER]\n{expected}\n[/REFERENCE ANSWER]\n\n"
				   "[ANSWER TO GRADE]\n{answer}\n[/ANSWER TO GRADE]\n";
static const char template_noref[] = "You are grading an answer written by an AI assistant.\n\n"
				     "{rubric}\n\n"
				     "[QUESTION]\n{prompt}\n[/QUESTION]\n\n"
				     "[ANSWER TO GRADE]\n{answer}\n[/ANSWER TO GRADE]\n";

typedef struct judge_inst {
	const pg_host_api *host;
	char *rubric;	/* NULL: default_rubric */
	char *template; /* NULL: the built-in ones */
	double pass_score;
	double scale; /* 0: auto */
	int64_t max_answer_chars;
} judge_inst;

/* A growable prompt in host memory. */
typedef struct buf {
	const pg_host_api *host;
	char *s;
	size_t len, cap;
	int oom;
} buf;

static void put(buf *b, const char *s, size_t n)
{
	if (b->oom || n == 0)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		char *grown;

		while (cap < b->len + n + 1)
			cap *= 2;
		grown = b->host->realloc(b->s, cap);
		if (grown == NULL) {
			b->oom = 1;
			return;
		}
		b->s = grown;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void puts_(buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* ---- instance ----------------------------------------------------------- */

static void judge_destroy(void *inst)
{
	judge_inst *in = inst;

	if (in == NULL)
		return;
	in->host->free(in->rubric);
	in->host->free(in->template);
	in->host->free(in);
}

static int judge_create(void **out_inst, const pg_host_api *host, const pg_options *opts)
{
	judge_inst *in = NULL;
	const char *rubric, *tpl, *scale;

	*out_inst = NULL;
	if (host->size < offsetof(pg_host_api, complete) + sizeof(void *) ||
	    host->complete == NULL) {
		host->set_error(JUDGE_NAME
				": this perfgate cannot call a judge model (its host API "
				"has no complete(): plugin ABI 1.1 or later is needed)");
		return PG_EABI;
	}
	in = host->calloc(1, sizeof(*in));
	if (in == NULL)
		goto oom;
	in->host = host;
	in->pass_score = host->opt_double(opts, "pass_score");
	in->max_answer_chars = host->opt_int(opts, "max_answer_chars");
	scale = host->opt_string(opts, "scale");
	if (scale == NULL || strcmp(scale, "auto") == 0) {
		in->scale = 0;
	} else if (strcmp(scale, "1") == 0 || strcmp(scale, "10") == 0 ||
		   strcmp(scale, "100") == 0) {
		in->scale = (double)strtol(scale, NULL, 10);
	} else {
		host->set_error(JUDGE_NAME ": scale must be auto, 1, 10 or 100, got '%s'", scale);
		judge_destroy(in);
		return PG_EINVAL;
	}
	rubric = host->opt_string(opts, "rubric");
	if (rubric != NULL && rubric[0] != '\0' && (in->rubric = host->strdup(rubric)) == NULL)
		goto oom;
	tpl = host->opt_string(opts, "prompt_template");
	if (tpl != NULL && tpl[0] != '\0') {
		if (strstr(tpl, "{answer}") == NULL) {
			host->set_error(JUDGE_NAME ": prompt_template has no {answer} placeholder");
			judge_destroy(in);
			return PG_EINVAL;
		}
		if ((in->template = host->strdup(tpl)) == NULL)
			goto oom;
	}
	*out_inst = in;
	return 0;
oom:
	judge_destroy(in);
	host->set_error(JUDGE_NAME ": out of memory");
	return PG_ENOMEM;
}

/* ---- the grading prompt ------------------------------------------------- */

/* Bytes of the first max UTF-8 characters of s[0..len). */
static size_t utf8_prefix(const char *s, size_t len, int64_t max)
{
	int64_t chars = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if (((unsigned char)s[i] & 0xC0) != 0x80 && chars++ == max)
			return i;
	}
	return len;
}

static void put_answer(buf *b, const judge_inst *in, const pg_score_input *input)
{
	const char *a = input->answer != NULL ? input->answer : "";
	size_t len = input->answer != NULL ? input->answer_len : 0;
	size_t keep = utf8_prefix(a, len, in->max_answer_chars);

	put(b, a, keep);
	if (keep < len || input->answer_truncated)
		puts_(b, "\n[... the rest of the answer is not shown ...]");
}

/* Fills the template: {rubric}, {prompt}, {answer} and {expected} are
 * replaced (the values are not searched again); any other text is kept. */
static void fill(buf *b, const judge_inst *in, const char *tpl, const pg_score_input *input)
{
	const char *p = tpl, *open;

	while ((open = strchr(p, '{')) != NULL) {
		put(b, p, (size_t)(open - p));
		if (strncmp(open, "{rubric}", 8) == 0) {
			puts_(b, in->rubric != NULL ? in->rubric : default_rubric);
			p = open + 8;
		} else if (strncmp(open, "{prompt}", 8) == 0) {
			puts_(b, input->prompt != NULL
				     ? input->prompt
				     : "(a chat conversation; its messages are not shown)");
			p = open + 8;
		} else if (strncmp(open, "{answer}", 8) == 0) {
			put_answer(b, in, input);
			p = open + 8;
		} else if (strncmp(open, "{expected}", 10) == 0) {
			puts_(b, input->expected != NULL ? input->expected : "(none given)");
			p = open + 10;
		} else {
			put(b, open, 1);
			p = open + 1;
		}
	}
	puts_(b, p);
}

/* ---- reading the score ------------------------------------------------- */

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static int is_alnum(char c)
{
	return is_digit(c) || (lower(c) >= 'a' && lower(c) <= 'z');
}

/* Reads "digits[.digits]" or ".digits" at s[*i]; advances *i past it. */
static int read_number(const char *s, size_t len, size_t *i, double *out)
{
	char tok[JUDGE_NUM_MAX + 1];
	size_t j = *i, n;

	while (j < len && is_digit(s[j]))
		j++;
	if (j < len && s[j] == '.' && j + 1 < len && is_digit(s[j + 1])) {
		j++;
		while (j < len && is_digit(s[j]))
			j++;
	}
	n = j - *i;
	if (n == 0 || (n == 1 && s[*i] == '.') || n > JUDGE_NUM_MAX)
		return 0;
	memcpy(tok, s + *i, n);
	tok[n] = '\0';
	*out = strtod(tok, NULL);
	*i = j;
	return 1;
}

static size_t skip(const char *s, size_t len, size_t i, const char *chars)
{
	while (i < len && s[i] != '\0' && strchr(chars, s[i]) != NULL)
		i++;
	return i;
}

static int word_at(const char *s, size_t len, size_t i, const char *w)
{
	size_t k;

	for (k = 0; w[k] != '\0'; k++)
		if (i + k >= len || lower(s[i + k]) != w[k])
			return 0;
	return 1;
}

/* A number at s[i] with what follows: "/ M" or "out of M" sets *denom.
 * *end (may be NULL) gets the position after what was read. */
static int score_at(const char *s, size_t len, size_t i, double *value, double *denom, size_t *end)
{
	size_t j;

	*denom = 0;
	if (i >= len || !(is_digit(s[i]) || (s[i] == '.' && i + 1 < len && is_digit(s[i + 1]))))
		return 0;
	if (!read_number(s, len, &i, value))
		return 0;
	j = skip(s, len, i, " \t*");
	if (j < len && s[j] == '/') {
		j = skip(s, len, j + 1, " \t");
		if (read_number(s, len, &j, denom))
			i = j;
		else
			*denom = 0;
	} else if (word_at(s, len, j, "out of")) {
		j = skip(s, len, j + 6, " \t");
		if (read_number(s, len, &j, denom))
			i = j;
		else
			*denom = 0;
	}
	if (end != NULL)
		*end = i;
	return 1;
}

/* Finds the reply's score (see the top comment); 1 when found. */
static int find_score(const char *s, size_t len, double *value, double *denom)
{
	static const char *const keys[] = {"score", "rating", "grade"};
	size_t i, k, j;

	for (i = 0; i < len; i++) {
		if (i > 0 && is_alnum(s[i - 1]))
			continue;
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			if (!word_at(s, len, i, keys[k]))
				continue;
			j = skip(s, len, i + strlen(keys[k]), " \t*_:=\"'`");
			if (score_at(s, len, j, value, denom, NULL))
				return 1;
		}
	}
	for (i = 0; i < len; i++) {
		if (i > 0 && (is_digit(s[i - 1]) || s[i - 1] == '.'))
			continue;
		if (score_at(s, len, i, value, denom, NULL) && *denom > 0)
			return 1;
	}
	/* a reply that starts with a number not followed by a letter */
	i = skip(s, len, 0, " \t\r\n*#`\"'");
	return score_at(s, len, i, value, denom, &j) && (j >= len || !is_alnum(s[j]));
}

/* The score in [0, 1] of a value read with an optional denominator. */
static int normalise(const judge_inst *in, double value, double denom, double *out)
{
	double scale = denom > 0 ? denom : in->scale;

	if (scale <= 0 && in->rubric == NULL)
		scale = 10; /* the built-in rubric asks for 0-10 */
	if (scale <= 0)
		scale = value <= 1 ? 1 : value <= 10 ? 10 : value <= 100 ? 100 : 0;
	if (scale <= 0 || value > scale * (1 + 1e-9))
		return 0;
	*out = value / scale > 1 ? 1 : value / scale;
	return 1;
}

/* The reply's first JUDGE_QUOTE characters on one line, for a message. */
static void quote(char *dst, size_t size, const char *s)
{
	size_t i, n = utf8_prefix(s, strlen(s), JUDGE_QUOTE);

	if (n >= size)
		n = size - 1;
	for (i = 0; i < n; i++)
		dst[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? ' ' : s[i];
	dst[n] = '\0';
}

static int judge_score(void *inst, const pg_score_input *input, double *score, int *pass)
{
	const judge_inst *in = inst;
	const pg_host_api *h = in->host;
	buf b = {h, NULL, 0, 0, 0};
	char *reply = NULL, said[4 * JUDGE_QUOTE + 1];
	double value = 0, denom = 0;
	int rc;

	*score = 0;
	*pass = 0;
	fill(&b, in,
	     in->template != NULL      ? in->template
	     : input->expected != NULL ? template_ref
				       : template_noref,
	     input);
	if (b.oom) {
		h->free(b.s);
		h->set_error(JUDGE_NAME ": out of memory");
		return PG_ENOMEM;
	}
	rc = h->complete(b.s, &reply);
	h->free(b.s);
	if (rc < 0)
		return rc; /* complete() said why */
	if (!find_score(reply, strlen(reply), &value, &denom) ||
	    !normalise(in, value, denom, score)) {
		quote(said, sizeof(said), reply);
		h->set_error(JUDGE_NAME ": %s the judge's reply \"%s\"",
			     find_score(reply, strlen(reply), &value, &denom)
				 ? "the score is above its scale in"
				 : "no score in",
			     said);
		h->free(reply);
		return PG_EPARSE;
	}
	h->free(reply);
	*pass = *score >= in->pass_score;
	return 0;
}

/* clang-format off */
static const pg_option_spec judge_options[] = {
    {"rubric", PG_OPT_STRING, NULL, NULL, 0, 0,
     "what the judge is asked to grade and how to reply; unset: correctness against the "
     "expected answer, 0-10, \"Score: N/10\""},
    {"prompt_template", PG_OPT_STRING, NULL, NULL, 0, 0,
     "the whole grading prompt, with {rubric} {prompt} {answer} {expected}; unset: built in"},
    {"pass_score", PG_OPT_DOUBLE, "0.7", NULL, 0, 1,
     "an answer passes when its score (0-1) is at least this"},
    {"scale", PG_OPT_STRING, "auto", NULL, 0, 0,
     "scale of a score written without /M: 1, 10, 100, or auto (0-10 with the built-in "
     "rubric, else inferred from the value)"},
    {"max_answer_chars", PG_OPT_INT, "8000", "characters", 1, 1000000,
     "longest part of an answer shown to the judge"},
    {0},
};
/* clang-format on */

static const pg_scorer_ops judge_ops = {
    .create = judge_create,
    .destroy = judge_destroy,
    .score = judge_score,
};

static const pg_plugin_desc judge_desc = {
    PG_PLUGIN_DESC_INIT(PG_PLUGIN_SCORER, JUDGE_NAME),
    .version = "1.0.0",
    .description = "another model grades each answer against a rubric (after the load, on a "
		   "sample; needs quality.judge)",
    .options = judge_options,
    .ops = &judge_ops,
    .flags = PG_SCORER_AFTER_RUN,
};

PG_PLUGIN_EXPORT(scorer_judge, judge_desc)
