/*
 * Synthetic prompts: token counts drawn from the distributions of a
 * `synthetic:` section, words drawn from a small vocabulary. Three seeded
 * streams per source (input lengths, output lengths, words) keep each
 * choice independent: adding output_tokens does not change the prompts.
 */
#include "synthetic.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "suggest.h"
#include "workload.h"

#define NKEYS(a) (sizeof(a) / sizeof((a)[0]))

static const char *const dist_keys[] = {"fixed", "uniform", "normal", "lognormal", "empirical"};
static const char *const moment_keys[] = {"mean", "stddev"};
static const char *const synthetic_keys[] = {"input_tokens", "output_tokens", "count",
					     "shared_prefix_tokens", "vocabulary"};
static const char *const vocab_names[] = {"words", "numbers"};

/* 256 short words, so one byte of randomness picks one; at most 7 letters. */
static const char *const vocabulary[256] = {
    "time",   "year",	 "people", "way",    "day",    "man",	  "thing",   "woman",	"life",
    "child",  "world",	 "school", "state",  "family", "student", "group",   "country", "problem",
    "hand",   "part",	 "place",  "case",   "week",   "company", "system",  "program", "work",
    "number", "night",	 "point",  "home",   "water",  "room",	  "mother",  "area",	"money",
    "story",  "fact",	 "month",  "lot",    "right",  "study",	  "book",    "eye",	"job",
    "word",   "issue",	 "side",   "kind",   "head",   "house",	  "service", "friend",	"father",
    "power",  "hour",	 "game",   "line",   "end",    "member",  "law",     "car",	"city",
    "name",   "team",	 "minute", "idea",   "kid",    "body",	  "back",    "parent",	"face",
    "level",  "office",	 "door",   "health", "person", "art",	  "war",     "party",	"result",
    "change", "morning", "reason", "girl",   "guy",    "moment",  "air",     "teacher", "force",
    "order",  "river",	 "stone",  "field",  "light",  "music",	  "table",   "chair",	"window",
    "garden", "bread",	 "apple",  "orange", "green",  "blue",	  "red",     "yellow",	"black",
    "white",  "small",	 "large",  "quick",  "slow",   "happy",	  "calm",    "bright",	"dark",
    "warm",   "cold",	 "early",  "late",   "young",  "old",	  "new",     "good",	"great",
    "long",   "little",	 "high",   "low",    "open",   "close",	  "begin",   "start",	"finish",
    "build",  "carry",	 "bring",  "take",   "give",   "send",	  "find",    "keep",	"hold",
    "turn",   "move",	 "walk",   "run",    "jump",   "swim",	  "read",    "write",	"speak",
    "listen", "learn",	 "teach",  "think",  "know",   "feel",	  "see",     "hear",	"look",
    "watch",  "play",	 "sing",   "dance",  "cook",   "clean",	  "wash",    "paint",	"draw",
    "plan",   "test",	 "fix",	   "join",   "help",   "ask",	  "answer",  "call",	"pay",
    "buy",    "sell",	 "grow",   "cut",    "fall",   "rise",	  "stand",   "sit",	"sleep",
    "wake",   "laugh",	 "smile",  "cry",    "travel", "visit",	  "return",  "follow",	"lead",
    "drive",  "ride",	 "fly",	   "sail",   "climb",  "push",	  "pull",    "throw",	"catch",
    "pick",   "drop",	 "fill",   "pour",   "mix",    "bake",	  "boil",    "fry",	"taste",
    "smell",  "touch",	 "count",  "sort",   "store",  "share",	  "trust",   "hope",	"wish",
    "dream",  "rain",	 "snow",   "wind",   "cloud",  "storm",	  "sun",     "moon",	"star",
    "sky",    "sea",	 "lake",   "hill",   "valley", "forest",  "tree",    "leaf",	"flower",
    "grass",  "seed",	 "root",   "branch", "bird",   "fish",	  "horse",   "dog",	"cat",
    "mouse",  "lion",	 "tiger",  "bear",
};

/* Longest word of either vocabulary plus its separating space. */
#define WORD_BYTES_MAX 8

void pg_dist_clear(pg_dist *d)
{
	if (d == NULL)
		return;
	free(d->values);
	free(d->cum);
	memset(d, 0, sizeof(*d));
}

static int dist_moments(pg_dist *d, const pg_yaml_node *v, const char *kind)
{
	const pg_yaml_node *mean, *sd;
	char where[32];
	int rc;

	snprintf(where, sizeof(where), "in '%s'", kind);
	if ((rc = pg_yaml_want(v, PG_YAML_MAP, kind)) < 0 ||
	    (rc = pg_yaml_check_keys(v, moment_keys, NKEYS(moment_keys), where)) < 0 ||
	    (rc = pg_yaml_require(&mean, v, "mean", where)) < 0 ||
	    (rc = pg_yaml_require(&sd, v, "stddev", where)) < 0 ||
	    (rc = pg_yaml_number(&d->a, mean, "mean")) < 0 ||
	    (rc = pg_yaml_number(&d->b, sd, "stddev")) < 0)
		return rc;
	if (!(d->a > 0) || d->a > PG_SYNTH_MAX_TOKENS)
		return pg_yaml_fail(&mean->mark, PG_EINVAL,
				    "'mean' must be greater than 0 and at most %d, got %s",
				    PG_SYNTH_MAX_TOKENS, mean->value);
	if (d->b > PG_SYNTH_MAX_TOKENS)
		return pg_yaml_fail(&sd->mark, PG_EINVAL, "'stddev' must be at most %d, got %s",
				    PG_SYNTH_MAX_TOKENS, sd->value);
	if (strcmp(kind, "lognormal") == 0) {
		/* the log's parameters that give the asked mean and deviation */
		d->sigma = sqrt(log1p((d->b / d->a) * (d->b / d->a)));
		d->mu = log(d->a) - d->sigma * d->sigma / 2;
	}
	return 0;
}

static int dist_empirical(pg_dist *d, const pg_yaml_node *v)
{
	const pg_yaml_node *p;
	double weight, total = 0;
	size_t i;
	int rc;

	if ((rc = pg_yaml_want(v, PG_YAML_SEQ, "empirical")) < 0)
		return rc;
	if (v->n == 0)
		return pg_yaml_fail(&v->mark, PG_EINVAL, "'empirical' is empty");
	if (v->n > PG_DIST_MAX_POINTS)
		return pg_yaml_fail(&v->mark, PG_EINVAL, "'empirical' has %zu points, more than %d",
				    v->n, PG_DIST_MAX_POINTS);
	d->values = calloc(v->n, sizeof(*d->values));
	d->cum = calloc(v->n, sizeof(*d->cum));
	if (d->values == NULL || d->cum == NULL) {
		pg_error_set("out of memory");
		return PG_ENOMEM;
	}
	for (i = 0; i < v->n; i++) {
		char got[64];

		p = v->items[i];
		if (p->kind != PG_YAML_SEQ || p->n != 2)
			return pg_yaml_fail(&p->mark, PG_EINVAL,
					    "an 'empirical' point is [tokens, weight], got %s",
					    pg_yaml_describe(got, sizeof(got), p));
		if ((rc = pg_yaml_int(&d->values[i], p->items[0], "tokens", 1,
				      PG_SYNTH_MAX_TOKENS)) < 0 ||
		    (rc = pg_yaml_number(&weight, p->items[1], "weight")) < 0)
			return rc;
		total += weight;
		d->cum[i] = total;
	}
	d->n = v->n;
	if (!(total > 0) || !isfinite(total))
		return pg_yaml_fail(&v->mark, PG_EINVAL,
				    "'empirical' weights must add up to more than 0");
	return 0;
}

/* The distribution in the one key of map n. */
static int dist_kind(pg_dist *d, const pg_yaml_node *n)
{
	const pg_yaml_node *v, *lo, *hi;
	const char *kind;
	int64_t a, b;
	int rc;

	if (n->n == 0)
		return pg_yaml_fail(&n->mark, PG_EINVAL,
				    "a token distribution needs one of fixed, uniform, normal, "
				    "lognormal or empirical");
	if (n->n > 1)
		return pg_yaml_fail(&n->pairs[1].key->mark, PG_EINVAL,
				    "a token distribution has one kind, got '%s' and '%s'",
				    n->pairs[0].key->value, n->pairs[1].key->value);
	kind = n->pairs[0].key->value;
	v = n->pairs[0].value;
	if (strcmp(kind, "fixed") == 0) {
		d->kind = PG_DIST_FIXED;
		rc = pg_yaml_int(&a, v, "fixed", 1, PG_SYNTH_MAX_TOKENS);
		d->a = (double)a;
		return rc;
	}
	if (strcmp(kind, "uniform") == 0) {
		d->kind = PG_DIST_UNIFORM;
		if ((rc = pg_yaml_want(v, PG_YAML_SEQ, "uniform")) < 0)
			return rc;
		if (v->n != 2)
			return pg_yaml_fail(&v->mark, PG_EINVAL,
					    "'uniform' needs [low, high], got %zu value%s", v->n,
					    v->n == 1 ? "" : "s");
		lo = v->items[0];
		hi = v->items[1];
		if ((rc = pg_yaml_int(&a, lo, "low", 1, PG_SYNTH_MAX_TOKENS)) < 0 ||
		    (rc = pg_yaml_int(&b, hi, "high", 1, PG_SYNTH_MAX_TOKENS)) < 0)
			return rc;
		if (a > b)
			return pg_yaml_fail(&hi->mark, PG_EINVAL,
					    "'uniform' needs low <= high, got [%s, %s]", lo->value,
					    hi->value);
		d->a = (double)a;
		d->b = (double)b;
		return 0;
	}
	if (strcmp(kind, "normal") == 0 || strcmp(kind, "lognormal") == 0) {
		d->kind = kind[0] == 'n' ? PG_DIST_NORMAL : PG_DIST_LOGNORMAL;
		return dist_moments(d, v, kind);
	}
	d->kind = PG_DIST_EMPIRICAL;
	return dist_empirical(d, v);
}

int pg_dist_from_yaml(pg_dist *out, const pg_yaml_node *n, const char *what)
{
	int64_t v;
	int rc;

	memset(out, 0, sizeof(*out));
	if (n->kind == PG_YAML_SCALAR) {
		rc = pg_yaml_int(&v, n, what, 1, PG_SYNTH_MAX_TOKENS);
		if (rc == 0) {
			out->kind = PG_DIST_FIXED;
			out->a = (double)v;
		}
		return rc;
	}
	rc = pg_yaml_want(n, PG_YAML_MAP, what);
	if (rc == 0)
		rc = pg_yaml_check_keys(n, dist_keys, NKEYS(dist_keys), "in a token distribution");
	if (rc == 0)
		rc = dist_kind(out, n);
	if (rc < 0)
		pg_dist_clear(out);
	return rc;
}

int64_t pg_dist_draw(const pg_dist *d, pg_rng *r)
{
	double x, u;
	size_t lo, hi, mid;

	switch (d->kind) {
	case PG_DIST_FIXED:
		x = d->a;
		break;
	case PG_DIST_UNIFORM:
		x = d->a + floor(pg_rng_unit(r) * (d->b - d->a + 1));
		if (x > d->b)
			x = d->b;
		break;
	case PG_DIST_NORMAL:
		x = round(d->a + d->b * pg_rng_normal(r));
		break;
	case PG_DIST_LOGNORMAL:
		x = round(exp(d->mu + d->sigma * pg_rng_normal(r)));
		break;
	case PG_DIST_EMPIRICAL:
		/* the first point whose running weight exceeds u */
		u = pg_rng_unit(r) * d->cum[d->n - 1];
		lo = 0;
		hi = d->n - 1;
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			if (d->cum[mid] > u)
				hi = mid;
			else
				lo = mid + 1;
		}
		x = (double)d->values[lo];
		break;
	default:
		x = 1;
		break;
	}
	if (!(x >= 1)) /* also NaN */
		return 1;
	if (x > PG_SYNTH_MAX_TOKENS)
		return PG_SYNTH_MAX_TOKENS;
	return (int64_t)x;
}

void pg_synthetic_clear(pg_synthetic *s)
{
	if (s == NULL)
		return;
	pg_dist_clear(&s->input);
	pg_dist_clear(&s->output);
}

static int synthetic_fields(pg_synthetic *out, const pg_yaml_node *map)
{
	const pg_yaml_node *n;
	const char *name, *hint;
	int rc;

	if ((rc = pg_yaml_want(map, PG_YAML_MAP, "synthetic")) < 0 ||
	    (rc = pg_yaml_check_keys(map, synthetic_keys, NKEYS(synthetic_keys),
				     "in 'synthetic'")) < 0 ||
	    (rc = pg_yaml_require(&n, map, "input_tokens", "in 'synthetic'")) < 0 ||
	    (rc = pg_dist_from_yaml(&out->input, n, "input_tokens")) < 0)
		return rc;
	if ((n = pg_yaml_opt(map, "output_tokens")) != NULL &&
	    (rc = pg_dist_from_yaml(&out->output, n, "output_tokens")) < 0)
		return rc;
	if ((n = pg_yaml_opt(map, "count")) != NULL &&
	    (rc = pg_yaml_int(&out->count, n, "count", 1, PG_SYNTH_MAX_COUNT)) < 0)
		return rc;
	if ((n = pg_yaml_opt(map, "shared_prefix_tokens")) != NULL &&
	    (rc = pg_yaml_int(&out->shared_prefix, n, "shared_prefix_tokens", 0,
			      PG_SYNTH_MAX_TOKENS)) < 0)
		return rc;
	if ((n = pg_yaml_opt(map, "vocabulary")) != NULL) {
		if ((rc = pg_yaml_string(&name, n, "vocabulary")) < 0)
			return rc;
		if (strcmp(name, "words") == 0)
			out->vocab = PG_VOCAB_WORDS;
		else if (strcmp(name, "numbers") == 0)
			out->vocab = PG_VOCAB_NUMBERS;
		else if ((hint = pg_suggest(name, vocab_names, NKEYS(vocab_names))) != NULL)
			return pg_yaml_fail(&n->mark, PG_EINVAL,
					    "unknown vocabulary '%s' (did you mean '%s'?)", name,
					    hint);
		else
			return pg_yaml_fail(&n->mark, PG_EINVAL,
					    "unknown vocabulary '%s' (expected words or numbers)",
					    name);
	}
	return 0;
}

int pg_synthetic_from_yaml(pg_synthetic *out, const pg_yaml_node *map)
{
	int rc;

	memset(out, 0, sizeof(*out));
	out->count = 1000;
	out->vocab = PG_VOCAB_WORDS;
	rc = synthetic_fields(out, map);
	if (rc < 0)
		pg_synthetic_clear(out);
	return rc;
}

/* Writes n words separated by single spaces at p (room for n *
 * WORD_BYTES_MAX bytes); returns the bytes written, without a NUL. */
static size_t put_words(char *p, int64_t n, pg_vocab vocab, pg_rng *r)
{
	char *start = p;
	uint64_t bits = 0;
	int left = 0;
	int64_t i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			*p++ = ' ';
		if (left == 0) {
			bits = pg_rng_u64(r);
			left = vocab == PG_VOCAB_WORDS ? 8 : 4;
		}
		left--;
		if (vocab == PG_VOCAB_WORDS) {
			const char *w = vocabulary[bits & 0xff];
			size_t len = strlen(w);

			memcpy(p, w, len);
			p += len;
			bits >>= 8;
		} else {
			unsigned v = (unsigned)(bits & 0xffff) % 10000, div = 1000;

			bits >>= 16;
			while (div > 1 && v / div == 0)
				div /= 10;
			for (; div > 0; div /= 10)
				*p++ = (char)('0' + (v / div) % 10);
		}
	}
	return (size_t)(p - start);
}

int pg_synthetic_generate(pg_workload *w, const pg_synthetic *s, uint64_t seed, uint64_t stream,
			  const pg_yaml_mark *at)
{
	pg_rng in_rng, out_rng, word_rng, probe;
	size_t prefix_len = 0, len, cap = 0;
	int64_t i, words = 0, n_in, longest = 0;
	char *scratch = NULL;
	pg_prompt item;
	int rc = 0;

	pg_rng_seed(&in_rng, seed, stream * 4);
	pg_rng_seed(&out_rng, seed, stream * 4 + 1);
	pg_rng_seed(&word_rng, seed, stream * 4 + 2);
	/* a first pass over the lengths checks the size before any is made */
	probe = in_rng;
	for (i = 0; i < s->count; i++) {
		n_in = pg_dist_draw(&s->input, &probe);
		if (n_in > longest)
			longest = n_in;
		words += s->shared_prefix + n_in;
		if (words > PG_SYNTH_MAX_WORDS)
			return pg_yaml_fail(
			    at, PG_EINVAL,
			    "synthetic prompts would hold more than %d words in all; "
			    "lower 'count', the token counts or the shared prefix",
			    PG_SYNTH_MAX_WORDS);
	}
	/* each prompt is written here (the shared prefix stays at its start),
	 * then copied out at its exact size */
	cap = (size_t)(s->shared_prefix + longest) * WORD_BYTES_MAX + 2;
	scratch = malloc(cap);
	if (scratch == NULL)
		goto nomem;
	if (s->shared_prefix > 0) {
		prefix_len = put_words(scratch, s->shared_prefix, s->vocab, &word_rng);
		scratch[prefix_len++] = ' ';
	}
	for (i = 0; i < s->count; i++) {
		n_in = pg_dist_draw(&s->input, &in_rng);
		len = prefix_len + put_words(scratch + prefix_len, n_in, s->vocab, &word_rng);
		memset(&item, 0, sizeof(item));
		item.prompt = malloc(len + 1);
		if (item.prompt == NULL)
			goto nomem;
		memcpy(item.prompt, scratch, len);
		item.prompt[len] = '\0';
		if (s->output.kind != PG_DIST_NONE)
			item.max_tokens = pg_dist_draw(&s->output, &out_rng);
		rc = pg_workload_take(w, &item);
		if (rc < 0)
			goto done;
	}
	goto done;
nomem:
	pg_error_set("out of memory");
	rc = PG_ENOMEM;
done:
	free(scratch);
	return rc;
}
