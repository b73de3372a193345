/*
 * Workload items, and the suite's `workload:` section: one source (inline
 * prompts, a dataset, synthetic prompts) or a weighted mix of them, kept in
 * order or drawn into a seeded sample. Datasets are read by dataset_jsonl.c
 * and dataset_sharegpt.c, synthetic prompts made by synthetic.c, samples and
 * mixes drawn by workload_sample.c.
 */
#include "workload.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "suggest.h"
#include "synthetic.h"

#define NKEYS(a) (sizeof(a) / sizeof((a)[0]))

void pg_workload_item_clear(pg_prompt *p)
{
	free(p->prompt);
	free(p->messages_json);
	free(p->expected);
	free(p->metadata_json);
	memset(p, 0, sizeof(*p));
}

int pg_workload_take(pg_workload *w, pg_prompt *item)
{
	pg_prompt *grown;
	int rc;

	if ((item->prompt == NULL) == (item->messages_json == NULL)) {
		pg_error_set("a workload item needs exactly one of a prompt or messages");
		rc = PG_EINVAL;
		goto fail;
	}
	if (w->n_items >= PG_WORKLOAD_MAX_ITEMS) {
		pg_error_set("more than %d prompts", PG_WORKLOAD_MAX_ITEMS);
		rc = PG_ELIMIT;
		goto fail;
	}
	/* grow by doubling: sizes 1, 2, 4, ... */
	if ((w->n_items & (w->n_items - 1)) == 0) {
		size_t cap = w->n_items ? w->n_items * 2 : 1;

		grown = realloc(w->items, cap * sizeof(*grown));
		if (grown == NULL) {
			pg_error_set("out of memory");
			rc = PG_ENOMEM;
			goto fail;
		}
		w->items = grown;
	}
	w->items[w->n_items++] = *item;
	memset(item, 0, sizeof(*item));
	return 0;
fail:
	pg_workload_item_clear(item);
	return rc;
}

int pg_workload_add(pg_workload *w, const char *prompt, const char *messages_json,
		    int64_t max_tokens)
{
	pg_prompt it = {0};

	if ((prompt == NULL) == (messages_json == NULL)) {
		pg_error_set("a workload item needs exactly one of a prompt or messages");
		return PG_EINVAL;
	}
	it.max_tokens = max_tokens > 0 ? max_tokens : 0;
	if (prompt != NULL)
		it.prompt = strdup(prompt);
	else
		it.messages_json = strdup(messages_json);
	if (it.prompt == NULL && it.messages_json == NULL) {
		pg_error_set("out of memory");
		return PG_ENOMEM;
	}
	return pg_workload_take(w, &it);
}

void pg_workload_clear(pg_workload *w)
{
	size_t i;

	if (w == NULL)
		return;
	for (i = 0; i < w->n_items; i++)
		pg_workload_item_clear(&w->items[i]);
	free(w->items);
	free(w->dataset);
	w->items = NULL;
	w->n_items = 0;
	w->dataset = NULL;
}

char *pg_workload_resolve_path(const char *suite_path, const char *path)
{
	const char *slash = strrchr(suite_path, '/');
	size_t dir_len, len;
	char *out;

	if (path[0] == '/' || slash == NULL)
		return strdup(path);
	dir_len = (size_t)(slash - suite_path) + 1;
	len = dir_len + strlen(path) + 1;
	out = malloc(len);
	if (out != NULL)
		snprintf(out, len, "%.*s%s", (int)dir_len, suite_path, path);
	return out;
}

/* ---- the suite's workload: section -------------------------------------- */

static const char *const workload_keys[] = {"prompts", "dataset", "synthetic",	"mix",
					    "sample",  "seed",	  "max_tokens", "stream"};
/* The keys that name a source, in the order messages name them; a mix entry
 * takes the first three. */
static const char *const source_keys[] = {"prompts", "dataset", "synthetic", "mix"};
static const char *const entry_keys[] = {"weight", "prompts", "dataset", "synthetic"};
static const char *const dataset_keys[] = {"path", "format", "max_turns"};
static const char *const format_names[] = {"jsonl", "sharegpt"};
static const char *const prompt_keys[] = {"prompt", "messages", "max_tokens", "expected"};
static const char *const message_keys[] = {"role", "content"};

enum { SRC_PROMPTS = 0, SRC_DATASET = 1, SRC_SYNTHETIC = 2, SRC_MIX = 3 };

/* Compact JSON for a `messages:` list of {role, content} mappings. */
static int messages_json(char **out, const pg_yaml_node *seq)
{
	const pg_yaml_node *m, *role, *content;
	json_t *arr, *obj;
	size_t i;
	int rc;

	*out = NULL;
	rc = pg_yaml_want(seq, PG_YAML_SEQ, "messages");
	if (rc < 0)
		return rc;
	if (seq->n == 0)
		return pg_yaml_fail(&seq->mark, PG_EINVAL, "'messages' is empty");
	arr = json_array();
	if (arr == NULL)
		goto nomem;
	for (i = 0; i < seq->n; i++) {
		m = seq->items[i];
		if ((rc = pg_yaml_want(m, PG_YAML_MAP, "messages")) < 0 ||
		    (rc = pg_yaml_check_keys(m, message_keys, NKEYS(message_keys),
					     "in a message")) < 0 ||
		    (rc = pg_yaml_require(&role, m, "role", "in a message")) < 0 ||
		    (rc = pg_yaml_require(&content, m, "content", "in a message")) < 0 ||
		    (rc = pg_yaml_want(role, PG_YAML_SCALAR, "role")) < 0 ||
		    (rc = pg_yaml_want(content, PG_YAML_SCALAR, "content")) < 0)
			goto done;
		obj = json_pack("{s:s,s:s}", "role", role->value, "content", content->value);
		if (obj == NULL || json_array_append_new(arr, obj) < 0)
			goto nomem;
	}
	*out = json_dumps(arr, JSON_COMPACT);
	if (*out == NULL)
		goto nomem;
	rc = 0;
	goto done;
nomem:
	pg_error_set("out of memory");
	rc = PG_ENOMEM;
done:
	json_decref(arr);
	return rc;
}

/* One entry of `prompts:`: a string or {prompt|messages, max_tokens,
 * expected}. */
static int add_prompt(pg_workload *w, const pg_yaml_node *item)
{
	const pg_yaml_node *prompt, *msgs, *mt, *exp;
	const char *text = NULL, *expected = NULL;
	pg_prompt it = {0};
	int rc;

	if (item->kind == PG_YAML_SCALAR) {
		rc = pg_yaml_string(&text, item, "prompts");
		if (rc < 0)
			return rc;
		if (text[0] == '\0')
			return pg_yaml_fail(&item->mark, PG_EINVAL, "empty prompt");
		rc = pg_workload_add(w, text, NULL, 0);
		return rc < 0 ? pg_yaml_fail_prefix(&item->mark, rc) : 0;
	}
	rc = pg_yaml_want(item, PG_YAML_MAP, "prompts");
	if (rc < 0)
		return rc;
	rc = pg_yaml_check_keys(item, prompt_keys, NKEYS(prompt_keys), "in a prompt");
	if (rc < 0)
		return rc;
	prompt = pg_yaml_opt(item, "prompt");
	msgs = pg_yaml_opt(item, "messages");
	if ((prompt == NULL) == (msgs == NULL))
		return pg_yaml_fail(&item->mark, PG_EINVAL,
				    "a prompt needs exactly one of 'prompt' or 'messages'");
	if ((mt = pg_yaml_opt(item, "max_tokens")) != NULL &&
	    (rc = pg_yaml_int(&it.max_tokens, mt, "max_tokens", PG_MAX_TOKENS_MIN,
			      PG_MAX_TOKENS_MAX)) < 0)
		return rc;
	if ((exp = pg_yaml_opt(item, "expected")) != NULL &&
	    (rc = pg_yaml_string(&expected, exp, "expected")) < 0)
		return rc;
	if (prompt != NULL) {
		rc = pg_yaml_string(&text, prompt, "prompt");
		if (rc == 0 && text[0] == '\0')
			rc = pg_yaml_fail(&prompt->mark, PG_EINVAL, "empty prompt");
		if (rc == 0 && (it.prompt = strdup(text)) == NULL)
			goto nomem;
	} else {
		rc = messages_json(&it.messages_json, msgs);
	}
	if (rc == 0 && expected != NULL && (it.expected = strdup(expected)) == NULL)
		goto nomem;
	if (rc < 0) {
		pg_workload_item_clear(&it);
		return rc;
	}
	rc = pg_workload_take(w, &it);
	return rc < 0 ? pg_yaml_fail_prefix(&item->mark, rc) : 0;
nomem:
	pg_workload_item_clear(&it);
	pg_error_set("out of memory");
	return PG_ENOMEM;
}

static int load_prompts(pg_workload *w, const pg_yaml_node *prompts)
{
	size_t i;
	int rc;

	rc = pg_yaml_want(prompts, PG_YAML_SEQ, "prompts");
	if (rc < 0)
		return rc;
	if (prompts->n == 0)
		return pg_yaml_fail(&prompts->mark, PG_EINVAL, "'prompts' is empty");
	for (i = 0; i < prompts->n; i++) {
		rc = add_prompt(w, prompts->items[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* `dataset: PATH` or `dataset: {path, format, max_turns}`; *resolved gets
 * the path as opened (caller frees, also on failure). */
static int load_dataset(pg_workload *w, char **resolved, const pg_yaml_node *v,
			const char *suite_path)
{
	const pg_yaml_node *path_node = v, *n;
	const char *path, *format, *hint;
	int64_t max_turns = 0;
	int sharegpt = 0, rc;
	size_t skipped;

	*resolved = NULL;
	if (v->kind == PG_YAML_MAP) {
		if ((rc = pg_yaml_check_keys(v, dataset_keys, NKEYS(dataset_keys),
					     "in 'dataset'")) < 0 ||
		    (rc = pg_yaml_require(&path_node, v, "path", "in 'dataset'")) < 0)
			return rc;
		if ((n = pg_yaml_opt(v, "format")) != NULL) {
			if ((rc = pg_yaml_string(&format, n, "format")) < 0)
				return rc;
			if (strcmp(format, "sharegpt") == 0)
				sharegpt = 1;
			else if (strcmp(format, "jsonl") != 0) {
				hint = pg_suggest(format, format_names, NKEYS(format_names));
				if (hint != NULL)
					return pg_yaml_fail(&n->mark, PG_EINVAL,
							    "unknown dataset format '%s' (did you "
							    "mean '%s'?)",
							    format, hint);
				return pg_yaml_fail(&n->mark, PG_EINVAL,
						    "unknown dataset format '%s' (expected jsonl "
						    "or sharegpt)",
						    format);
			}
		}
		if ((n = pg_yaml_opt(v, "max_turns")) != NULL) {
			if (!sharegpt)
				return pg_yaml_fail(
				    &n->mark, PG_EINVAL,
				    "'max_turns' applies only to 'format: sharegpt'");
			rc = pg_yaml_int(&max_turns, n, "max_turns", 1, PG_MAX_TOKENS_MAX);
			if (rc < 0)
				return rc;
		}
	}
	rc = pg_yaml_string(&path, path_node, path_node == v ? "dataset" : "path");
	if (rc < 0)
		return rc;
	*resolved = pg_workload_resolve_path(suite_path, path);
	if (*resolved == NULL) {
		pg_error_set("out of memory");
		return PG_ENOMEM;
	}
	if (sharegpt)
		rc = pg_workload_load_sharegpt(w, &skipped, *resolved, max_turns);
	else
		rc = pg_workload_load_jsonl(w, *resolved);
	if (rc == PG_EIO)
		pg_yaml_fail_prefix(&path_node->mark, rc);
	return rc;
}

static int load_synthetic(pg_workload *w, const pg_yaml_node *v, uint64_t seed, uint64_t stream)
{
	pg_synthetic s;
	int rc;

	rc = pg_synthetic_from_yaml(&s, v);
	if (rc < 0)
		return rc;
	rc = pg_synthetic_generate(w, &s, seed, stream, &v->mark);
	pg_synthetic_clear(&s);
	return rc;
}

/* Finds the one source key of map among the first n of source_keys:
 * *which is its index, *value its node. */
static int one_source(size_t *which, const pg_yaml_node **value, const pg_yaml_node *map, size_t n,
		      const char *where, const char *choices)
{
	const pg_yaml_pair *p, *first = NULL;
	size_t i, k, first_k = 0;

	for (i = 0; i < map->n; i++) {
		p = &map->pairs[i];
		if (pg_yaml_is_null(p->value))
			continue;
		for (k = 0; k < n && strcmp(p->key->value, source_keys[k]) != 0; k++)
			;
		if (k == n)
			continue;
		if (first == NULL) {
			first = p;
			first_k = k;
			continue;
		}
		/* point at the key written second, name both in a fixed order */
		return pg_yaml_fail(&p->key->mark, PG_EINVAL,
				    "give either '%s' or '%s' %s, not both",
				    source_keys[first_k < k ? first_k : k],
				    source_keys[first_k < k ? k : first_k], where);
	}
	if (first == NULL)
		return pg_yaml_fail(&map->mark, PG_EINVAL, "missing %s %s", choices, where);
	*which = first_k;
	*value = first->value;
	return 0;
}

/* Loads one source into w; stream separates the randomness of sources. */
static int load_source(pg_workload *w, char **dataset, size_t which, const pg_yaml_node *v,
		       const char *suite_path, uint64_t seed, uint64_t stream)
{
	switch (which) {
	case SRC_PROMPTS:
		return load_prompts(w, v);
	case SRC_DATASET:
		return load_dataset(w, dataset, v, suite_path);
	default:
		return load_synthetic(w, v, seed, stream);
	}
}

static int load_mix(pg_workload *w, const pg_yaml_node *mix, const char *suite_path, uint64_t seed,
		    int64_t sample, const pg_yaml_node *sample_node)
{
	const pg_yaml_node *e, *n, *v;
	pg_workload *src = NULL;
	double *weight = NULL;
	char *path = NULL;
	size_t i, which;
	int rc;

	if ((rc = pg_yaml_want(mix, PG_YAML_SEQ, "mix")) < 0)
		return rc;
	if (mix->n == 0)
		return pg_yaml_fail(&mix->mark, PG_EINVAL, "'mix' is empty");
	if (mix->n > PG_WORKLOAD_MAX_SOURCES)
		return pg_yaml_fail(&mix->mark, PG_EINVAL, "'mix' has %zu entries, more than %d",
				    mix->n, PG_WORKLOAD_MAX_SOURCES);
	src = calloc(mix->n, sizeof(*src));
	weight = calloc(mix->n, sizeof(*weight));
	if (src == NULL || weight == NULL) {
		pg_error_set("out of memory");
		rc = PG_ENOMEM;
		goto done;
	}
	for (i = 0; i < mix->n; i++) {
		e = mix->items[i];
		weight[i] = 1;
		rc = pg_yaml_want(e, PG_YAML_MAP, "mix");
		if (rc == 0)
			rc = pg_yaml_check_keys(e, entry_keys, NKEYS(entry_keys), "in a mix entry");
		if (rc < 0)
			goto done;
		if ((n = pg_yaml_opt(e, "weight")) != NULL) {
			if ((rc = pg_yaml_number(&weight[i], n, "weight")) < 0)
				goto done;
			if (!(weight[i] > 0) || weight[i] > 1e9) {
				rc = pg_yaml_fail(&n->mark, PG_EINVAL,
						  "'weight' must be greater "
						  "than 0 and at most 1e9, got %s",
						  n->value);
				goto done;
			}
		}
		if ((rc = one_source(&which, &v, e, SRC_MIX, "in a mix entry",
				     "'prompts', 'dataset' or 'synthetic'")) < 0)
			goto done;
		rc = load_source(&src[i], &path, which, v, suite_path, seed, 1 + i);
		free(path);
		path = NULL;
		if (rc < 0)
			goto done;
	}
	rc = pg_workload_mix(w, src, weight, mix->n, sample, seed);
	if (rc < 0)
		pg_yaml_fail_prefix(sample_node != NULL ? &sample_node->mark : &mix->mark, rc);
done:
	if (src != NULL)
		for (i = 0; i < mix->n; i++)
			pg_workload_clear(&src[i]);
	free(src);
	free(weight);
	return rc;
}

int pg_workload_from_yaml(pg_workload *w, const pg_yaml_node *map, const char *suite_path)
{
	const pg_yaml_node *n, *v, *sample_node;
	int64_t sample = 0, seed = 1;
	size_t which;
	int rc;

	w->max_tokens = 128;
	w->stream = 1;
	rc = pg_yaml_want(map, PG_YAML_MAP, "workload");
	if (rc == 0)
		rc = pg_yaml_check_keys(map, workload_keys, NKEYS(workload_keys), "in 'workload'");
	if (rc < 0)
		return rc;
	if ((n = pg_yaml_opt(map, "max_tokens")) != NULL &&
	    (rc = pg_yaml_int(&w->max_tokens, n, "max_tokens", PG_MAX_TOKENS_MIN,
			      PG_MAX_TOKENS_MAX)) < 0)
		return rc;
	if ((n = pg_yaml_opt(map, "stream")) != NULL &&
	    (rc = pg_yaml_bool(&w->stream, n, "stream")) < 0)
		return rc;
	if ((n = pg_yaml_opt(map, "seed")) != NULL &&
	    (rc = pg_yaml_int(&seed, n, "seed", 0, INT64_MAX)) < 0)
		return rc;
	if ((sample_node = pg_yaml_opt(map, "sample")) != NULL &&
	    (rc = pg_yaml_int(&sample, sample_node, "sample", 1, PG_WORKLOAD_MAX_ITEMS)) < 0)
		return rc;
	if ((rc = one_source(&which, &v, map, NKEYS(source_keys), "in 'workload'",
			     "'prompts', 'dataset', 'synthetic' or 'mix'")) < 0)
		return rc;
	if (which == SRC_MIX)
		return load_mix(w, v, suite_path, (uint64_t)seed, sample, sample_node);
	rc = load_source(w, &w->dataset, which, v, suite_path, (uint64_t)seed, 1);
	if (rc == 0 && sample > 0 && (rc = pg_workload_sample(w, sample, (uint64_t)seed)) < 0)
		pg_yaml_fail_prefix(&sample_node->mark, rc);
	return rc;
}
