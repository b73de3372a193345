/* Workloads: token-count distributions, synthetic prompts, ShareGPT and
 * JSONL datasets with expected answers, weighted mixes and seeded samples,
 * and the exact message of every kind of bad `workload:` section. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "error.h"
#include "rng.h"
#include "synthetic.h"
#include "workload.h"
#include "yaml_tree.h"

#define DIR PG_TEST_DATA "/data/workloads/"
#define SUITE DIR "suite.yaml"

/* Parses yaml (a `workload:` mapping, as written under that key) into w. */
static int load_wl(pg_workload *w, const char *yaml)
{
	pg_yaml_tree *t = NULL;
	int rc;

	memset(w, 0, sizeof(*w));
	rc = pg_yaml_parse(&t, SUITE, yaml, strlen(yaml));
	assert_int_equal(rc, 0);
	rc = pg_workload_from_yaml(w, t->root, SUITE);
	pg_yaml_free(t);
	return rc;
}

/* Loading yaml fails with "SUITE:<where_and_message>". */
static void assert_wl_error(const char *yaml, const char *message)
{
	char expected[1024];
	pg_workload w;

	snprintf(expected, sizeof(expected), "%s:%s", SUITE, message);
	assert_int_not_equal(load_wl(&w, yaml), 0);
	assert_string_equal(pg_error_last(), expected);
	pg_workload_clear(&w);
}

/* A distribution read from yaml such as "{uniform: [64, 256]}". */
static void dist_from(pg_dist *d, const char *yaml)
{
	pg_yaml_tree *t = NULL;

	assert_int_equal(pg_yaml_parse(&t, "dist.yaml", yaml, strlen(yaml)), 0);
	assert_int_equal(pg_dist_from_yaml(d, t->root, "input_tokens"), 0);
	pg_yaml_free(t);
}

static int64_t count_words(const char *s)
{
	int64_t n = 0;
	int in = 0;

	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
			in = 0;
		else if (!in) {
			in = 1;
			n++;
		}
	}
	return n;
}

#define DRAWS 200000

typedef struct stats {
	double mean, sd;
	int64_t min, max;
} stats;

static stats draw_stats(const pg_dist *d, uint64_t seed)
{
	double sum = 0, sum2 = 0;
	stats s = {0, 0, INT64_MAX, 0};
	pg_rng r;
	int64_t v;
	int i;

	pg_rng_seed(&r, seed, 0);
	for (i = 0; i < DRAWS; i++) {
		v = pg_dist_draw(d, &r);
		sum += (double)v;
		sum2 += (double)v * (double)v;
		if (v < s.min)
			s.min = v;
		if (v > s.max)
			s.max = v;
	}
	s.mean = sum / DRAWS;
	s.sd = sqrt(sum2 / DRAWS - s.mean * s.mean);
	return s;
}

/* ---- distributions ------------------------------------------------------ */

static void fixed_distribution_always_gives_its_value(void **state)
{
	pg_dist a, b;
	stats s;

	(void)state;
	dist_from(&a, "{fixed: 128}");
	dist_from(&b, "77"); /* a bare integer is fixed */
	s = draw_stats(&a, 1);
	assert_int_equal(s.min, 128);
	assert_int_equal(s.max, 128);
	s = draw_stats(&b, 1);
	assert_int_equal(s.min, 77);
	assert_int_equal(s.max, 77);
}

static void uniform_distribution_covers_its_range_evenly(void **state)
{
	static int64_t hits[257];
	pg_rng r;
	pg_dist d;
	stats s;
	int i;

	(void)state;
	dist_from(&d, "{uniform: [64, 256]}");
	s = draw_stats(&d, 3);
	assert_int_equal(s.min, 64);
	assert_int_equal(s.max, 256);
	assert_true(fabs(s.mean - 160) < 0.5);
	/* discrete uniform over 193 values: sd = sqrt((193^2 - 1) / 12) */
	assert_true(fabs(s.sd - sqrt((193.0 * 193.0 - 1) / 12)) < 0.5);
	memset(hits, 0, sizeof(hits));
	pg_rng_seed(&r, 3, 0);
	for (i = 0; i < DRAWS; i++)
		hits[pg_dist_draw(&d, &r)]++;
	for (i = 64; i <= 256; i++) /* expected 1036 each */
		assert_true(hits[i] > 850 && hits[i] < 1250);
}

static void normal_distribution_has_its_mean_and_stddev(void **state)
{
	pg_dist d;
	stats s;

	(void)state;
	dist_from(&d, "{normal: {mean: 128, stddev: 32}}");
	s = draw_stats(&d, 5);
	assert_true(fabs(s.mean - 128) < 0.5);
	assert_true(fabs(s.sd - 32) < 0.5);
}

static void lognormal_parameters_are_those_of_the_token_counts(void **state)
{
	pg_dist d;
	stats s;

	(void)state;
	dist_from(&d, "{lognormal: {mean: 128, stddev: 64}}");
	s = draw_stats(&d, 7);
	assert_true(fabs(s.mean - 128) < 1.0);
	assert_true(fabs(s.sd - 64) < 1.5);
	assert_true(s.min >= 1);
	/* right-skewed: the median is below the mean */
	{
		pg_rng r;
		int i, below = 0;

		pg_rng_seed(&r, 7, 0);
		for (i = 0; i < DRAWS; i++)
			below += pg_dist_draw(&d, &r) < 128;
		assert_true(below > DRAWS / 2 + DRAWS / 20);
	}
}

static void empirical_distribution_follows_its_weights(void **state)
{
	int64_t n64 = 0, n512 = 0, n2048 = 0, v;
	pg_rng r;
	pg_dist d;
	int i;

	(void)state;
	dist_from(&d, "{empirical: [[64, 0.5], [512, 0.3], [2048, 0.2], [9, 0]]}");
	pg_rng_seed(&r, 9, 0);
	for (i = 0; i < DRAWS; i++) {
		v = pg_dist_draw(&d, &r);
		if (v == 64)
			n64++;
		else if (v == 512)
			n512++;
		else if (v == 2048)
			n2048++;
		else
			fail_msg("drew %lld, not a point of the distribution (or one of weight 0)",
				 (long long)v);
	}
	assert_true(fabs((double)n64 / DRAWS - 0.5) < 0.01);
	assert_true(fabs((double)n512 / DRAWS - 0.3) < 0.01);
	assert_true(fabs((double)n2048 / DRAWS - 0.2) < 0.01);
	pg_dist_clear(&d);
}

static void draws_are_clamped_to_at_least_one(void **state)
{
	pg_dist d;
	stats s;

	(void)state;
	dist_from(&d, "{normal: {mean: 2, stddev: 100}}");
	s = draw_stats(&d, 11);
	assert_int_equal(s.min, 1);
	assert_true(s.max > 100);
}

static void same_seed_gives_same_draws_and_another_seed_differs(void **state)
{
	static const char *const dists[] = {
	    "{uniform: [1, 1000]}", "{normal: {mean: 500, stddev: 100}}",
	    "{lognormal: {mean: 500, stddev: 300}}", "{empirical: [[1, 1], [2, 1], [3, 1]]}"};
	int64_t a[64], b[64];
	int differs;
	size_t k;
	pg_rng r;
	pg_dist d;
	int i;

	(void)state;
	for (k = 0; k < sizeof(dists) / sizeof(dists[0]); k++) {
		dist_from(&d, dists[k]);
		pg_rng_seed(&r, 42, 0);
		for (i = 0; i < 64; i++)
			a[i] = pg_dist_draw(&d, &r);
		pg_rng_seed(&r, 42, 0);
		for (i = 0; i < 64; i++)
			b[i] = pg_dist_draw(&d, &r);
		assert_memory_equal(a, b, sizeof(a));
		pg_rng_seed(&r, 43, 0);
		differs = 0;
		for (i = 0; i < 64; i++)
			differs |= pg_dist_draw(&d, &r) != a[i];
		assert_true(differs);
		pg_dist_clear(&d);
	}
}

static void bad_distributions_name_the_node(void **state)
{
	static const struct {
		const char *yaml, *message;
	} cases[] = {
	    {"synthetic: {input_tokens: {unifrom: [1, 2]}}",
	     "1:28: unknown key 'unifrom' in a token distribution (did you mean 'uniform'?)"},
	    {"synthetic: {input_tokens: {}}",
	     "1:27: a token distribution needs one of fixed, uniform, normal, lognormal or "
	     "empirical"},
	    {"synthetic: {input_tokens: {fixed: 1, uniform: [1, 2]}}",
	     "1:38: a token distribution has one kind, got 'fixed' and 'uniform'"},
	    {"synthetic: {input_tokens: {fixed: 0}}",
	     "1:35: 'fixed' must be between 1 and 1000000, got 0"},
	    {"synthetic: {input_tokens: 0}", "1:27: 'input_tokens' must be between 1 and 1000000, "
					     "got 0"},
	    {"synthetic: {input_tokens: [1, 2]}",
	     "1:27: expected a mapping for 'input_tokens', got a list"},
	    {"synthetic: {input_tokens: {uniform: [5]}}", "1:37: 'uniform' needs [low, high], got "
							  "1 value"},
	    {"synthetic: {input_tokens: {uniform: [256, 64]}}",
	     "1:43: 'uniform' needs low <= high, got [256, 64]"},
	    {"synthetic: {input_tokens: {uniform: [1, 2000000]}}",
	     "1:41: 'high' must be between 1 and 1000000, got 2000000"},
	    {"synthetic: {input_tokens: {normal: {mean: 128}}}",
	     "1:36: missing required key 'stddev' in 'normal'"},
	    {"synthetic: {input_tokens: {normal: {mean: 0, stddev: 1}}}",
	     "1:43: 'mean' must be greater than 0 and at most 1000000, got 0"},
	    {"synthetic: {input_tokens: {lognormal: {mean: 128, stdev: 64}}}",
	     "1:51: unknown key 'stdev' in 'lognormal' (did you mean 'stddev'?)"},
	    {"synthetic: {input_tokens: {lognormal: {mean: 128, stddev: -1}}}",
	     "1:59: expected a number for 'stddev', got '-1'"},
	    {"synthetic: {input_tokens: {empirical: []}}", "1:39: 'empirical' is empty"},
	    {"synthetic: {input_tokens: {empirical: [[64]]}}",
	     "1:40: an 'empirical' point is [tokens, weight], got a list"},
	    {"synthetic: {input_tokens: {empirical: [[64, 0], [8, 0]]}}",
	     "1:39: 'empirical' weights must add up to more than 0"},
	    {"synthetic: {input_tokens: {empirical: [[0, 1]]}}",
	     "1:41: 'tokens' must be between 1 and 1000000, got 0"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_wl_error(cases[i].yaml, cases[i].message);
}

/* ---- synthetic prompts -------------------------------------------------- */

static void synthetic_prompts_have_the_drawn_word_counts(void **state)
{
	pg_workload w;
	size_t i;
	int64_t words, lo = INT64_MAX, hi = 0, outs_lo = INT64_MAX, outs_hi = 0;

	(void)state;
	assert_int_equal(load_wl(&w, "synthetic: {input_tokens: {fixed: 50}, count: 20, "
				     "output_tokens: {fixed: 7}}"),
			 0);
	assert_int_equal(w.n_items, 20);
	for (i = 0; i < w.n_items; i++) {
		assert_non_null(w.items[i].prompt);
		assert_null(w.items[i].messages_json);
		assert_int_equal(count_words(w.items[i].prompt), 50);
		/* single spaces, no leading or trailing space */
		assert_null(strstr(w.items[i].prompt, "  "));
		assert_true(w.items[i].prompt[0] != ' ');
		assert_true(w.items[i].prompt[strlen(w.items[i].prompt) - 1] != ' ');
		assert_int_equal(w.items[i].max_tokens, 7);
	}
	pg_workload_clear(&w);

	assert_int_equal(load_wl(&w, "synthetic:\n"
				     "  input_tokens: {uniform: [10, 20]}\n"
				     "  output_tokens: {uniform: [4, 8]}\n"
				     "  count: 500\n"),
			 0);
	assert_int_equal(w.n_items, 500);
	for (i = 0; i < w.n_items; i++) {
		words = count_words(w.items[i].prompt);
		lo = words < lo ? words : lo;
		hi = words > hi ? words : hi;
		outs_lo = w.items[i].max_tokens < outs_lo ? w.items[i].max_tokens : outs_lo;
		outs_hi = w.items[i].max_tokens > outs_hi ? w.items[i].max_tokens : outs_hi;
	}
	assert_int_equal(lo, 10);
	assert_int_equal(hi, 20);
	assert_int_equal(outs_lo, 4);
	assert_int_equal(outs_hi, 8);
	pg_workload_clear(&w);
}

static void synthetic_defaults_are_1000_items_of_words_at_the_workload_max_tokens(void **state)
{
	pg_workload w;
	size_t i;

	(void)state;
	assert_int_equal(load_wl(&w, "synthetic: {input_tokens: 3}\nmax_tokens: 9"), 0);
	assert_int_equal(w.n_items, 1000);
	assert_int_equal(w.max_tokens, 9);
	for (i = 0; i < w.n_items; i++) {
		assert_int_equal(w.items[i].max_tokens, 0); /* the workload's */
		assert_true(w.items[i].prompt[0] >= 'a' && w.items[i].prompt[0] <= 'z');
	}
	assert_null(w.dataset);
	pg_workload_clear(&w);
}

static void numbers_vocabulary_writes_numbers(void **state)
{
	pg_workload w;
	const char *p;
	size_t i;

	(void)state;
	assert_int_equal(load_wl(&w, "synthetic: {input_tokens: 40, count: 50, vocabulary: "
				     "numbers}"),
			 0);
	for (i = 0; i < w.n_items; i++) {
		assert_int_equal(count_words(w.items[i].prompt), 40);
		for (p = w.items[i].prompt; *p != '\0'; p++)
			assert_true((*p >= '0' && *p <= '9') || *p == ' ');
	}
	pg_workload_clear(&w);
}

static void shared_prefix_starts_every_prompt(void **state)
{
	pg_workload w;
	size_t i, plen;
	const char *p;
	int later_words_differ = 0;

	(void)state;
	assert_int_equal(load_wl(&w, "synthetic: {input_tokens: {uniform: [5, 9]}, count: 30, "
				     "shared_prefix_tokens: 25}"),
			 0);
	/* the prefix: the first 25 words of the first prompt, with their space */
	p = w.items[0].prompt;
	for (i = 0; i < 25; i++)
		p = strchr(p, ' ') + 1;
	plen = (size_t)(p - w.items[0].prompt);
	for (i = 0; i < w.n_items; i++) {
		int64_t n = count_words(w.items[i].prompt);

		assert_true(n >= 25 + 5 && n <= 25 + 9);
		assert_memory_equal(w.items[i].prompt, w.items[0].prompt, plen);
		if (i > 0 && strcmp(w.items[i].prompt + plen, w.items[0].prompt + plen) != 0)
			later_words_differ = 1;
	}
	assert_true(later_words_differ);
	pg_workload_clear(&w);
}

static void synthetic_items_depend_only_on_the_seed(void **state)
{
	static const char yaml[] = "synthetic: {input_tokens: {lognormal: {mean: 30, stddev: "
				   "10}}, output_tokens: {uniform: [4, 8]}, count: 40}\n";
	char with_seed[256];
	pg_workload a, b, c;
	size_t i;
	int differs = 0;

	(void)state;
	assert_int_equal(load_wl(&a, yaml), 0);
	assert_int_equal(load_wl(&b, yaml), 0);
	snprintf(with_seed, sizeof(with_seed), "%sseed: 2\n", yaml);
	assert_int_equal(load_wl(&c, with_seed), 0);
	for (i = 0; i < a.n_items; i++) {
		assert_string_equal(a.items[i].prompt, b.items[i].prompt);
		assert_int_equal(a.items[i].max_tokens, b.items[i].max_tokens);
		differs |= strcmp(a.items[i].prompt, c.items[i].prompt) != 0;
	}
	assert_true(differs);
	pg_workload_clear(&a);
	pg_workload_clear(&b);
	pg_workload_clear(&c);
}

static void output_tokens_do_not_change_the_prompts(void **state)
{
	pg_workload a, b;
	size_t i;

	(void)state;
	assert_int_equal(load_wl(&a, "synthetic: {input_tokens: {uniform: [1, 50]}, count: 30}"),
			 0);
	assert_int_equal(load_wl(&b, "synthetic: {input_tokens: {uniform: [1, 50]}, count: 30, "
				     "output_tokens: {normal: {mean: 20, stddev: 5}}}"),
			 0);
	for (i = 0; i < a.n_items; i++)
		assert_string_equal(a.items[i].prompt, b.items[i].prompt);
	pg_workload_clear(&a);
	pg_workload_clear(&b);
}

static void bad_synthetic_sections_name_the_node(void **state)
{
	static const struct {
		const char *yaml, *message;
	} cases[] = {
	    {"synthetic: {count: 5}", "1:12: missing required key 'input_tokens' in 'synthetic'"},
	    {"synthetic: {input_tokens: 5, cuont: 5}",
	     "1:30: unknown key 'cuont' in 'synthetic' (did you mean 'count'?)"},
	    {"synthetic: {input_tokens: 5, count: 0}",
	     "1:37: 'count' must be between 1 and 1000000, got 0"},
	    {"synthetic: {input_tokens: 5, count: 1000001}",
	     "1:37: 'count' must be between 1 and 1000000, got 1000001"},
	    {"synthetic: {input_tokens: 5, vocabulary: wrds}",
	     "1:42: unknown vocabulary 'wrds' (did you mean 'words'?)"},
	    {"synthetic: {input_tokens: 5, vocabulary: emoji}",
	     "1:42: unknown vocabulary 'emoji' (expected words or numbers)"},
	    {"synthetic: {input_tokens: 5, shared_prefix_tokens: -1}",
	     "1:52: 'shared_prefix_tokens' must be between 0 and 1000000, got -1"},
	    {"synthetic: [1]", "1:12: expected a mapping for 'synthetic', got a list"},
	    {"synthetic: {input_tokens: 1000000, count: 1000}",
	     "1:12: synthetic prompts would hold more than 33554432 words in all; lower 'count', "
	     "the token counts or the shared prefix"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_wl_error(cases[i].yaml, cases[i].message);
}

/* ---- datasets ----------------------------------------------------------- */

static void sharegpt_conversations_become_messages_up_to_the_last_human_turn(void **state)
{
	pg_workload w;

	(void)state;
	assert_int_equal(load_wl(&w, "dataset: {path: sharegpt_small.json, format: sharegpt}"), 0);
	assert_string_equal(w.dataset, DIR "sharegpt_small.json");
	assert_int_equal(w.n_items, 3); /* c3 (no human turn) and c4 (empty) skipped */
	assert_null(w.items[0].prompt);
	assert_string_equal(w.items[0].messages_json,
			    "[{\"role\":\"user\",\"content\":\"What is 2+2?\"},"
			    "{\"role\":\"assistant\",\"content\":\"4\"},"
			    "{\"role\":\"user\",\"content\":\"And 3+3?\"}]");
	assert_string_equal(w.items[0].expected, "6");
	assert_string_equal(w.items[0].metadata_json, "{\"id\":\"c1\"}");
	assert_int_equal(w.items[0].max_tokens, 0);
	assert_string_equal(w.items[1].messages_json,
			    "[{\"role\":\"system\",\"content\":\"Be brief.\"},"
			    "{\"role\":\"user\",\"content\":\"Name a colour.\"}]");
	assert_string_equal(w.items[1].expected, "Blue.");
	assert_string_equal(w.items[2].messages_json,
			    "[{\"role\":\"user\",\"content\":\"Tell me a joke.\"},"
			    "{\"role\":\"assistant\",\"content\":\"Why did the packet cross the "
			    "network?\"},{\"role\":\"user\",\"content\":\"Why?\"}]");
	assert_null(w.items[2].expected); /* no gpt turn after the last human one */
	assert_string_equal(w.items[2].metadata_json, "{\"id\":5,\"lang\":\"en\"}");
	pg_workload_clear(&w);
}

static void sharegpt_skipped_conversations_are_counted(void **state)
{
	pg_workload w = {0};
	size_t skipped = 99;

	(void)state;
	assert_int_equal(pg_workload_load_sharegpt(&w, &skipped, DIR "sharegpt_small.json", 0), 0);
	assert_int_equal(skipped, 2);
	assert_int_equal(w.n_items, 3);
	pg_workload_clear(&w);
}

static void sharegpt_max_turns_cuts_each_conversation_first(void **state)
{
	pg_workload w;

	(void)state;
	assert_int_equal(load_wl(&w, "dataset: {path: sharegpt_small.json, format: sharegpt, "
				     "max_turns: 1}"),
			 0);
	assert_int_equal(w.n_items, 3);
	assert_string_equal(w.items[0].messages_json,
			    "[{\"role\":\"user\",\"content\":\"What is 2+2?\"}]");
	assert_string_equal(w.items[0].expected, "4");
	/* a leading system turn is not counted */
	assert_string_equal(w.items[1].messages_json,
			    "[{\"role\":\"system\",\"content\":\"Be brief.\"},"
			    "{\"role\":\"user\",\"content\":\"Name a colour.\"}]");
	assert_string_equal(w.items[2].messages_json,
			    "[{\"role\":\"user\",\"content\":\"Tell me a joke.\"}]");
	assert_string_equal(w.items[2].expected, "Why did the packet cross the network?");
	pg_workload_clear(&w);
}

/* Writes text to a temporary file whose name goes to path. */
static void temp_file(char *path, size_t size, const char *text)
{
	FILE *f;
	int fd;

	snprintf(path, size, "/tmp/pg_workload_test_XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void malformed_sharegpt_files_get_exact_messages(void **state)
{
	static const struct {
		const char *json, *message; /* message follows "PATH" */
	} cases[] = {
	    {"{\"id\": 1}", ": expected a JSON array of conversations (ShareGPT format)"},
	    {"[1]", ": conversation 1: needs a 'conversations' array of turns"},
	    {"[{\"id\": \"a\", \"conversations\": [{\"from\": \"human\", \"value\": \"x\"}]},\n"
	     " {\"id\": \"x\", \"conversations\": {}}]",
	     ": conversation 2 (id 'x'): needs a 'conversations' array of turns"},
	    {"[{\"conversation\": []}]",
	     ": conversation 1: needs a 'conversations' array of turns"},
	    {"[{\"id\": \"x\", \"conversations\": [{\"from\": \"human\"}]}]",
	     ": conversation 1 (id 'x'): turn 1 needs a string 'from' and a string 'value'"},
	    {"[{\"conversations\": [{\"from\": \"human\", \"value\": \"a\"}, \"b\"]}]",
	     ": conversation 1: turn 2 needs a string 'from' and a string 'value'"},
	    {"[{\"conversations\": [{\"from\": \"human\", \"value\": 3}]}]",
	     ": conversation 1: turn 1 needs a string 'from' and a string 'value'"},
	    {"[{\"conversations\": [{\"from\": \"humna\", \"value\": \"hi\"}]}]",
	     ": conversation 1: turn 1: unknown speaker 'humna' (did you mean 'human'?)"},
	    {"[{\"id\": 7, \"conversations\": [{\"from\": \"robot\", \"value\": \"hi\"}]}]",
	     ": conversation 1 (id 7): turn 1: unknown speaker 'robot' (expected human, gpt or "
	     "system)"},
	    {"[{\"conversations\": [{\"from\": \"gpt\", \"value\": \"hi\"}]}, {\"conversations\": "
	     "[]}]",
	     ": dataset has no prompts (2 conversations without a human turn)"},
	    {"[]", ": dataset has no prompts"},
	    {"[\n  {\"conversations\": [}\n]", ":2: invalid JSON at column 22: unexpected token "
					       "near '}'"},
	    {"[{\"id\": 1, \"id\": 2, \"conversations\": []}]",
	     ":1: invalid JSON at column 15: duplicate object key near '\"id\"'"},
	    {"", ":1: invalid JSON at column 0: '[' or '{' expected near end of file"},
	};
	char path[64], expected[512];
	pg_workload w = {0};
	size_t i, skipped;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		temp_file(path, sizeof(path), cases[i].json);
		snprintf(expected, sizeof(expected), "%s%s", path, cases[i].message);
		assert_int_equal(pg_workload_load_sharegpt(&w, &skipped, path, 0), PG_EINVAL);
		if (strcmp(pg_error_last(), expected) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, pg_error_last(), expected);
		pg_workload_clear(&w);
		unlink(path);
	}
}

static void sharegpt_accepts_user_assistant_and_chatgpt_speakers(void **state)
{
	char path[64];
	pg_workload w = {0};
	size_t skipped;

	(void)state;
	temp_file(path, sizeof(path),
		  "[{\"conversations\": [{\"from\": \"user\", \"value\": \"a\"}, "
		  "{\"from\": \"chatgpt\", \"value\": \"b\"}, {\"from\": \"user\", "
		  "\"value\": \"c\"}, {\"from\": \"assistant\", \"value\": \"d\"}]}]");
	assert_int_equal(pg_workload_load_sharegpt(&w, &skipped, path, 0), 0);
	assert_int_equal(w.n_items, 1);
	assert_int_equal(skipped, 0);
	assert_string_equal(w.items[0].messages_json, "[{\"role\":\"user\",\"content\":\"a\"},"
						      "{\"role\":\"assistant\",\"content\":\"b\"},"
						      "{\"role\":\"user\",\"content\":\"c\"}]");
	assert_string_equal(w.items[0].expected, "d");
	assert_null(w.items[0].metadata_json); /* nothing but the conversation */
	pg_workload_clear(&w);
	unlink(path);
}

static void jsonl_keeps_expected_answers_and_metadata(void **state)
{
	pg_workload w;

	(void)state;
	assert_int_equal(load_wl(&w, "dataset: {path: answers.jsonl, format: jsonl}"), 0);
	assert_string_equal(w.dataset, DIR "answers.jsonl");
	assert_int_equal(w.n_items, 4);
	assert_string_equal(w.items[0].prompt, "What is 2+2?");
	assert_string_equal(w.items[0].expected, "4");
	assert_string_equal(w.items[0].metadata_json, "{\"id\":\"q1\",\"topic\":\"math\"}");
	assert_string_equal(w.items[1].messages_json,
			    "[{\"role\":\"user\",\"content\":\"Capital of France?\"}]");
	assert_string_equal(w.items[1].expected, "Paris");
	assert_null(w.items[1].metadata_json);
	assert_int_equal(w.items[1].max_tokens, 8);
	assert_string_equal(w.items[2].expected, "8"); /* a number, as its JSON text */
	assert_null(w.items[3].expected);
	assert_null(w.items[3].metadata_json);
	pg_workload_clear(&w);

	/* the string form reads the same file the same way */
	assert_int_equal(load_wl(&w, "dataset: answers.jsonl"), 0);
	assert_int_equal(w.n_items, 4);
	assert_string_equal(w.items[1].expected, "Paris");
	pg_workload_clear(&w);
}

static void jsonl_bad_answers_get_exact_messages(void **state)
{
	static const struct {
		const char *jsonl, *message;
	} cases[] = {
	    {"{\"prompt\": \"a\", \"expected\": \"x\", \"answer\": \"y\"}",
	     ":1: give either 'expected' or 'answer', not both"},
	    {"\n{\"prompt\": \"a\", \"answer\": [1]}", ":2: 'answer' must be a string or a number"},
	    {"{\"prompt\": \"a\", \"expected\": null}",
	     ":1: 'expected' must be a string or a number"},
	};
	char path[64], expected[512];
	pg_workload w = {0};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		temp_file(path, sizeof(path), cases[i].jsonl);
		snprintf(expected, sizeof(expected), "%s%s", path, cases[i].message);
		assert_int_equal(pg_workload_load_jsonl(&w, path), PG_EINVAL);
		assert_string_equal(pg_error_last(), expected);
		pg_workload_clear(&w);
		unlink(path);
	}
}

static void inline_prompts_may_carry_an_expected_answer(void **state)
{
	pg_workload w;

	(void)state;
	assert_int_equal(load_wl(&w, "prompts:\n"
				     "  - {prompt: 'What is 2+2?', expected: '4'}\n"
				     "  - plain\n"),
			 0);
	assert_int_equal(w.n_items, 2);
	assert_string_equal(w.items[0].expected, "4");
	assert_null(w.items[1].expected);
	pg_workload_clear(&w);
}

static void bad_dataset_sections_name_the_node(void **state)
{
	static const struct {
		const char *yaml, *message;
	} cases[] = {
	    {"dataset: {path: x.json, format: sharegtp}",
	     "1:33: unknown dataset format 'sharegtp' (did you mean 'sharegpt'?)"},
	    {"dataset: {path: x.json, format: csv}",
	     "1:33: unknown dataset format 'csv' (expected jsonl or sharegpt)"},
	    {"dataset: {path: answers.jsonl, max_turns: 2}",
	     "1:43: 'max_turns' applies only to 'format: sharegpt'"},
	    {"dataset: {path: x.json, format: sharegpt, max_turns: 0}",
	     "1:54: 'max_turns' must be between 1 and 1000000, got 0"},
	    {"dataset: {paht: x.json}", "1:11: unknown key 'paht' in 'dataset' (did you mean "
					"'path'?)"},
	    {"dataset: {format: jsonl}", "1:10: missing required key 'path' in 'dataset'"},
	    {"dataset: {path: [a]}", "1:17: expected a string for 'path', got a list"},
	    {"dataset: [a]", "1:10: expected a string for 'dataset', got a list"},
	    {"dataset: {path: missing.json, format: sharegpt}",
	     "1:17: cannot read dataset '" DIR "missing.json': No such file or directory"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_wl_error(cases[i].yaml, cases[i].message);
}

/* ---- mixes and samples -------------------------------------------------- */

static void mix_sample_draws_sources_by_weight(void **state)
{
	pg_workload w;
	size_t i, a = 0, b = 0, c = 0;

	(void)state;
	assert_int_equal(load_wl(&w, "mix:\n"
				     "  - {weight: 3, prompts: [a1, a2]}\n"
				     "  - {weight: 1, synthetic: {input_tokens: 4, count: 5}}\n"
				     "  - {weight: 0.5, dataset: answers.jsonl}\n"
				     "sample: 9000\n"),
			 0);
	assert_int_equal(w.n_items, 9000);
	for (i = 0; i < w.n_items; i++) {
		const pg_prompt *p = &w.items[i];

		if (p->prompt != NULL && p->prompt[0] == 'a' && p->prompt[1] >= '1' &&
		    p->prompt[1] <= '2' && p->prompt[2] == '\0')
			a++;
		else if (p->prompt != NULL && count_words(p->prompt) == 4)
			b++;
		else
			c++;
	}
	/* expected 6000, 2000, 1000 */
	assert_true(a > 5800 && a < 6200);
	assert_true(b > 1850 && b < 2150);
	assert_true(c > 900 && c < 1100);
	assert_null(w.dataset);
	pg_workload_clear(&w);
}

static void mix_without_sample_interleaves_sources_by_weight_in_order(void **state)
{
	static const char *const want[] = {"a1", "a2", "b1", "a3", "a1", "a2", "b2", "a3"};
	pg_workload w;
	size_t i;

	(void)state;
	/* as many items as the sources hold (3 + 5), three of the first for one of
	 * the second, each source in its own order and cycling */
	assert_int_equal(load_wl(&w, "mix:\n"
				     "  - {weight: 3, prompts: [a1, a2, a3]}\n"
				     "  - {weight: 1, prompts: [b1, b2, b3, b4, b5]}\n"),
			 0);
	assert_int_equal(w.n_items, 8);
	for (i = 0; i < w.n_items; i++)
		assert_string_equal(w.items[i].prompt, want[i]);
	pg_workload_clear(&w);
}

static void mix_entries_of_one_kind_get_separate_randomness(void **state)
{
	pg_workload w;

	(void)state;
	assert_int_equal(load_wl(&w, "mix:\n"
				     "  - synthetic: {input_tokens: 6, count: 1}\n"
				     "  - synthetic: {input_tokens: 6, count: 1}\n"),
			 0);
	assert_int_equal(w.n_items, 2);
	assert_string_not_equal(w.items[0].prompt, w.items[1].prompt);
	pg_workload_clear(&w);
}

static void sample_of_one_source_is_a_seeded_shuffle(void **state)
{
	static const char base[] = "prompts: [p0, p1, p2, p3, p4, p5, p6, p7, p8, p9]\n";
	char yaml[256];
	pg_workload a, b, c;
	int seen[10], in_order = 1, same = 1;
	size_t i;

	(void)state;
	snprintf(yaml, sizeof(yaml), "%ssample: 10\n", base);
	assert_int_equal(load_wl(&a, yaml), 0);
	assert_int_equal(load_wl(&b, yaml), 0);
	snprintf(yaml, sizeof(yaml), "%ssample: 10\nseed: 99\n", base);
	assert_int_equal(load_wl(&c, yaml), 0);
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < 10; i++) {
		seen[a.items[i].prompt[1] - '0']++;
		in_order &= a.items[i].prompt[1] - '0' == (int)i;
		assert_string_equal(a.items[i].prompt, b.items[i].prompt);
		same &= strcmp(a.items[i].prompt, c.items[i].prompt) == 0;
	}
	for (i = 0; i < 10; i++)
		assert_int_equal(seen[i], 1); /* a permutation: each item once */
	assert_false(in_order);
	assert_false(same);
	pg_workload_clear(&a);
	pg_workload_clear(&b);
	pg_workload_clear(&c);

	/* more than the source holds: whole shuffled passes, each item as often */
	snprintf(yaml, sizeof(yaml), "%ssample: 30\n", base);
	assert_int_equal(load_wl(&a, yaml), 0);
	assert_int_equal(a.n_items, 30);
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < 30; i++)
		seen[a.items[i].prompt[1] - '0']++;
	for (i = 0; i < 10; i++)
		assert_int_equal(seen[i], 3);
	pg_workload_clear(&a);

	/* fewer: a subset without repeats */
	snprintf(yaml, sizeof(yaml), "%ssample: 4\n", base);
	assert_int_equal(load_wl(&a, yaml), 0);
	assert_int_equal(a.n_items, 4);
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < 4; i++)
		assert_int_equal(++seen[a.items[i].prompt[1] - '0'], 1);
	pg_workload_clear(&a);
}

static void mix_sample_is_the_same_for_the_same_seed(void **state)
{
	static const char yaml[] = "mix:\n"
				   "  - {weight: 2, prompts: [x, y, z]}\n"
				   "  - {weight: 1, synthetic: {input_tokens: {uniform: [1, 9]}, "
				   "count: 10}}\n"
				   "sample: 200\nseed: 5\n";
	pg_workload a, b, c;
	int differs = 0;
	size_t i;

	(void)state;
	assert_int_equal(load_wl(&a, yaml), 0);
	assert_int_equal(load_wl(&b, yaml), 0);
	assert_int_equal(load_wl(&c, "mix:\n"
				     "  - {weight: 2, prompts: [x, y, z]}\n"
				     "  - {weight: 1, synthetic: {input_tokens: {uniform: [1, 9]}, "
				     "count: 10}}\n"
				     "sample: 200\nseed: 6\n"),
			 0);
	for (i = 0; i < 200; i++) {
		assert_string_equal(a.items[i].prompt, b.items[i].prompt);
		differs |= strcmp(a.items[i].prompt, c.items[i].prompt) != 0;
	}
	assert_true(differs);
	pg_workload_clear(&a);
	pg_workload_clear(&b);
	pg_workload_clear(&c);
}

static void sampled_dataset_items_keep_their_answers(void **state)
{
	pg_workload w;
	size_t i;

	(void)state;
	assert_int_equal(load_wl(&w, "dataset: {path: sharegpt_small.json, format: sharegpt}\n"
				     "sample: 7\n"),
			 0);
	assert_int_equal(w.n_items, 7);
	for (i = 0; i < w.n_items; i++) {
		assert_non_null(w.items[i].messages_json);
		assert_non_null(w.items[i].metadata_json);
		if (strstr(w.items[i].messages_json, "2+2") != NULL)
			assert_string_equal(w.items[i].expected, "6");
	}
	pg_workload_clear(&w);
}

static void bad_workload_sources_name_the_node(void **state)
{
	static const struct {
		const char *yaml, *message;
	} cases[] = {
	    {"prompts: [a]\ndataset: x.jsonl",
	     "2:1: give either 'prompts' or 'dataset' in 'workload', not both"},
	    {"dataset: x.jsonl\nprompts: [a]",
	     "2:1: give either 'prompts' or 'dataset' in 'workload', not both"},
	    {"synthetic: {input_tokens: 1}\nmix: []",
	     "2:1: give either 'synthetic' or 'mix' in 'workload', not both"},
	    {"max_tokens: 5", "1:1: missing 'prompts', 'dataset', 'synthetic' or 'mix' in "
			      "'workload'"},
	    {"prompts: [a]\nsynthtic: {}",
	     "2:1: unknown key 'synthtic' in 'workload' (did you mean 'synthetic'?)"},
	    {"prompts: [a]\nsample: 0", "2:9: 'sample' must be between 1 and 1000000, got 0"},
	    {"prompts: [a]\nseed: -1", "2:7: 'seed' must be between 0 and 9223372036854775807, "
				       "got -1"},
	    {"mix: []", "1:6: 'mix' is empty"},
	    {"mix: {prompts: [a]}", "1:6: expected a list for 'mix', got a mapping"},
	    {"mix:\n  - {weight: 1}", "2:5: missing 'prompts', 'dataset' or 'synthetic' in a mix "
				      "entry"},
	    {"mix:\n  - {weight: 0, prompts: [a]}",
	     "2:14: 'weight' must be greater than 0 and at most 1e9, got 0"},
	    {"mix:\n  - {wieght: 2, prompts: [a]}",
	     "2:6: unknown key 'wieght' in a mix entry (did you mean 'weight'?)"},
	    {"mix:\n  - {prompts: [a], dataset: x.jsonl}",
	     "2:20: give either 'prompts' or 'dataset' in a mix entry, not both"},
	    {"mix:\n  - {mix: []}", "2:6: unknown key 'mix' in a mix entry"},
	    {"mix:\n  - {prompts: [a]}\n  - {synthetic: {input_tokens: 0}}",
	     "3:32: 'input_tokens' must be between 1 and 1000000, got 0"},
	    {"mix:\n  - {dataset: {path: sharegpt_small.json, format: sharegpt}, weight: x}",
	     "2:70: expected a number for 'weight', got 'x'"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_wl_error(cases[i].yaml, cases[i].message);
}

static void sampled_copies_are_capped(void **state)
{
	char msg[256];

	(void)state;
	/* 1000 prompts of 4000 words sampled 1,000,000 times: ~25 GB of copies */
	snprintf(msg, sizeof(msg),
		 "3:9: the workload would hold more than %zu MB of prompt text (copies "
		 "included); draw fewer items",
		 PG_WORKLOAD_MAX_TEXT / (1024 * 1024));
	assert_wl_error("synthetic: {input_tokens: 4000, count: 1000}\nseed: 1\nsample: 1000000",
			msg);
	/* the same for a mix, refused before anything is copied */
	assert_wl_error("mix:\n  - synthetic: {input_tokens: 4000, count: 1000}\n"
			"sample: 1000000",
			msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(fixed_distribution_always_gives_its_value),
	    cmocka_unit_test(uniform_distribution_covers_its_range_evenly),
	    cmocka_unit_test(normal_distribution_has_its_mean_and_stddev),
	    cmocka_unit_test(lognormal_parameters_are_those_of_the_token_counts),
	    cmocka_unit_test(empirical_distribution_follows_its_weights),
	    cmocka_unit_test(draws_are_clamped_to_at_least_one),
	    cmocka_unit_test(same_seed_gives_same_draws_and_another_seed_differs),
	    cmocka_unit_test(bad_distributions_name_the_node),
	    cmocka_unit_test(synthetic_prompts_have_the_drawn_word_counts),
	    cmocka_unit_test(synthetic_defaults_are_1000_items_of_words_at_the_workload_max_tokens),
	    cmocka_unit_test(numbers_vocabulary_writes_numbers),
	    cmocka_unit_test(shared_prefix_starts_every_prompt),
	    cmocka_unit_test(synthetic_items_depend_only_on_the_seed),
	    cmocka_unit_test(output_tokens_do_not_change_the_prompts),
	    cmocka_unit_test(bad_synthetic_sections_name_the_node),
	    cmocka_unit_test(sharegpt_conversations_become_messages_up_to_the_last_human_turn),
	    cmocka_unit_test(sharegpt_skipped_conversations_are_counted),
	    cmocka_unit_test(sharegpt_max_turns_cuts_each_conversation_first),
	    cmocka_unit_test(malformed_sharegpt_files_get_exact_messages),
	    cmocka_unit_test(sharegpt_accepts_user_assistant_and_chatgpt_speakers),
	    cmocka_unit_test(jsonl_keeps_expected_answers_and_metadata),
	    cmocka_unit_test(jsonl_bad_answers_get_exact_messages),
	    cmocka_unit_test(inline_prompts_may_carry_an_expected_answer),
	    cmocka_unit_test(bad_dataset_sections_name_the_node),
	    cmocka_unit_test(mix_sample_draws_sources_by_weight),
	    cmocka_unit_test(mix_without_sample_interleaves_sources_by_weight_in_order),
	    cmocka_unit_test(mix_entries_of_one_kind_get_separate_randomness),
	    cmocka_unit_test(sample_of_one_source_is_a_seeded_shuffle),
	    cmocka_unit_test(mix_sample_is_the_same_for_the_same_seed),
	    cmocka_unit_test(sampled_dataset_items_keep_their_answers),
	    cmocka_unit_test(bad_workload_sources_name_the_node),
	    cmocka_unit_test(sampled_copies_are_capped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
