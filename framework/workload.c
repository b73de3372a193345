/*
 * Workload items and JSONL datasets. A dataset line is one JSON object:
 * {"prompt": "..."} or {"messages": [{"role": "...", "content": ...}, ...]},
 * each with an optional "max_tokens"; blank lines are skipped.
 */
#include "workload.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "fileio.h"
#include "suggest.h"

int pg_workload_add(pg_workload *w, const char *prompt, const char *messages_json,
		    int64_t max_tokens)
{
	pg_prompt *grown, *it;

	if ((prompt == NULL) == (messages_json == NULL)) {
		pg_error_set("a workload item needs exactly one of a prompt or messages");
		return PG_EINVAL;
	}
	if (w->n_items >= PG_WORKLOAD_MAX_ITEMS) {
		pg_error_set("more than %d prompts", PG_WORKLOAD_MAX_ITEMS);
		return PG_ELIMIT;
	}
	/* grow by doubling: sizes 1, 2, 4, ... */
	if ((w->n_items & (w->n_items - 1)) == 0) {
		size_t cap = w->n_items ? w->n_items * 2 : 1;

		grown = realloc(w->items, cap * sizeof(*grown));
		if (grown == NULL)
			goto nomem;
		w->items = grown;
	}
	it = &w->items[w->n_items];
	memset(it, 0, sizeof(*it));
	it->max_tokens = max_tokens > 0 ? max_tokens : 0;
	if (prompt != NULL)
		it->prompt = strdup(prompt);
	else
		it->messages_json = strdup(messages_json);
	if (it->prompt == NULL && it->messages_json == NULL)
		goto nomem;
	w->n_items++;
	return 0;
nomem:
	pg_error_set("out of memory");
	return PG_ENOMEM;
}

void pg_workload_clear(pg_workload *w)
{
	size_t i;

	if (w == NULL)
		return;
	for (i = 0; i < w->n_items; i++) {
		free(w->items[i].prompt);
		free(w->items[i].messages_json);
	}
	free(w->items);
	free(w->dataset);
	w->items = NULL;
	w->n_items = 0;
	w->dataset = NULL;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Checks a "messages" array: non-empty, each an object with a non-empty
 * string "role" and a string (or array of parts) "content". */
static int check_messages(const json_t *msgs, const char *path, size_t line)
{
	const json_t *m, *role, *content;
	size_t i;

	if (!json_is_array(msgs) || json_array_size(msgs) == 0) {
		pg_error_set("%s:%zu: 'messages' must be a non-empty array", path, line);
		return PG_EINVAL;
	}
	json_array_foreach(msgs, i, m)
	{
		role = json_object_get(m, "role");
		content = json_object_get(m, "content");
		if (!json_is_object(m) || !json_is_string(role) || json_string_length(role) == 0 ||
		    !(json_is_string(content) || json_is_array(content))) {
			pg_error_set("%s:%zu: messages[%zu] needs a string 'role' and a 'content'",
				     path, line, i);
			return PG_EINVAL;
		}
	}
	return 0;
}

/* Adds the item of one non-blank dataset line. */
static int add_line(pg_workload *w, const char *text, size_t len, const char *path, size_t line)
{
	json_t *obj, *prompt, *msgs, *mt;
	json_error_t jerr;
	int64_t max_tokens = 0;
	char *dumped = NULL;
	int rc = PG_EINVAL;

	obj = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (obj == NULL) {
		pg_error_set("%s:%zu: invalid JSON at column %d: %s", path, line, jerr.column,
			     jerr.text);
		return PG_EINVAL;
	}
	if (!json_is_object(obj)) {
		pg_error_set("%s:%zu: expected a JSON object", path, line);
		goto done;
	}
	prompt = json_object_get(obj, "prompt");
	msgs = json_object_get(obj, "messages");
	mt = json_object_get(obj, "max_tokens");
	if (prompt != NULL && msgs != NULL) {
		pg_error_set("%s:%zu: give either 'prompt' or 'messages', not both", path, line);
		goto done;
	}
	if (prompt == NULL && msgs == NULL) {
		static const char *const wanted[] = {"prompt", "messages"};
		const char *key, *hint = NULL;
		json_t *unused;

		json_object_foreach(obj, key, unused)
		{
			hint = pg_suggest(key, wanted, 2);
			if (hint != NULL)
				break;
		}
		if (hint != NULL)
			pg_error_set("%s:%zu: unknown key '%s' (did you mean '%s'?)", path, line,
				     key, hint);
		else
			pg_error_set("%s:%zu: needs a 'prompt' string or a 'messages' array", path,
				     line);
		goto done;
	}
	if (prompt != NULL && (!json_is_string(prompt) || json_string_length(prompt) == 0)) {
		pg_error_set("%s:%zu: 'prompt' must be a non-empty string", path, line);
		goto done;
	}
	if (msgs != NULL && check_messages(msgs, path, line) < 0)
		goto done;
	if (mt != NULL) {
		if (!json_is_integer(mt) || json_integer_value(mt) < PG_MAX_TOKENS_MIN ||
		    json_integer_value(mt) > PG_MAX_TOKENS_MAX) {
			pg_error_set("%s:%zu: 'max_tokens' must be an integer between %d and %d",
				     path, line, PG_MAX_TOKENS_MIN, PG_MAX_TOKENS_MAX);
			goto done;
		}
		max_tokens = (int64_t)json_integer_value(mt);
	}
	if (msgs != NULL) {
		dumped = json_dumps(msgs, JSON_COMPACT);
		if (dumped == NULL) {
			pg_error_set("out of memory");
			rc = PG_ENOMEM;
			goto done;
		}
	}
	rc = pg_workload_add(w, prompt != NULL ? json_string_value(prompt) : NULL, dumped,
			     max_tokens);
	if (rc < 0)
		pg_error_prefix("%s:%zu", path, line);
done:
	free(dumped);
	json_decref(obj);
	return rc;
}

int pg_workload_load_jsonl(pg_workload *w, const char *path)
{
	size_t len, pos = 0, line = 0, before = w->n_items;
	char *data;
	int rc;

	rc = pg_file_read_all(&data, &len, path, PG_WORKLOAD_MAX_BYTES, "dataset");
	if (rc < 0)
		return rc;
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		pos = 3; /* UTF-8 byte order mark */
	while (pos < len) {
		const char *nl = memchr(data + pos, '\n', len - pos);
		size_t end = nl != NULL ? (size_t)(nl - data) : len;
		size_t a = pos, b = end;

		line++;
		while (a < b && is_blank(data[a]))
			a++;
		while (b > a && is_blank(data[b - 1]))
			b--;
		if (b > a) {
			rc = add_line(w, data + a, b - a, path, line);
			if (rc < 0)
				goto done;
		}
		pos = end + 1;
	}
	if (w->n_items == before) {
		pg_error_set("%s: dataset has no prompts", path);
		rc = PG_EINVAL;
	}
done:
	free(data);
	return rc;
}

/* ---- the suite's workload: section -------------------------------------- */

static const char *const workload_keys[] = {"prompts", "dataset", "max_tokens", "stream"};
static const char *const prompt_keys[] = {"prompt", "messages", "max_tokens"};
static const char *const message_keys[] = {"role", "content"};

#define NKEYS(a) (sizeof(a) / sizeof((a)[0]))

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

/* One entry of `prompts:`: a string or {prompt|messages, max_tokens}. */
static int add_prompt(pg_workload *w, const pg_yaml_node *item)
{
	const pg_yaml_node *prompt, *msgs, *mt;
	const char *text = NULL;
	int64_t max_tokens = 0;
	char *json = NULL;
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
	mt = pg_yaml_opt(item, "max_tokens");
	if (mt != NULL) {
		rc = pg_yaml_int(&max_tokens, mt, "max_tokens", PG_MAX_TOKENS_MIN,
				 PG_MAX_TOKENS_MAX);
		if (rc < 0)
			return rc;
	}
	if (prompt != NULL) {
		rc = pg_yaml_string(&text, prompt, "prompt");
		if (rc == 0 && text[0] == '\0')
			rc = pg_yaml_fail(&prompt->mark, PG_EINVAL, "empty prompt");
	} else {
		rc = messages_json(&json, msgs);
	}
	if (rc == 0) {
		rc = pg_workload_add(w, text, json, max_tokens);
		if (rc < 0)
			rc = pg_yaml_fail_prefix(&item->mark, rc);
	}
	free(json);
	return rc;
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

int pg_workload_from_yaml(pg_workload *w, const pg_yaml_node *map, const char *suite_path)
{
	const pg_yaml_node *prompts, *dataset, *n;
	const pg_yaml_pair *second;
	const char *path;
	size_t i;
	int rc;

	w->max_tokens = 128;
	w->stream = 1;
	rc = pg_yaml_want(map, PG_YAML_MAP, "workload");
	if (rc < 0)
		return rc;
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
	prompts = pg_yaml_opt(map, "prompts");
	dataset = pg_yaml_opt(map, "dataset");
	if (prompts != NULL && dataset != NULL) {
		/* point at whichever of the two keys was written second */
		second = pg_yaml_pair_get(map, "prompts");
		if (second < pg_yaml_pair_get(map, "dataset"))
			second = pg_yaml_pair_get(map, "dataset");
		return pg_yaml_fail(&second->key->mark, PG_EINVAL,
				    "give either 'prompts' or 'dataset' in 'workload', not both");
	}
	if (prompts == NULL && dataset == NULL)
		return pg_yaml_fail(&map->mark, PG_EINVAL,
				    "missing 'prompts' or 'dataset' in 'workload'");
	if (prompts != NULL) {
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
	rc = pg_yaml_string(&path, dataset, "dataset");
	if (rc < 0)
		return rc;
	w->dataset = pg_workload_resolve_path(suite_path, path);
	if (w->dataset == NULL) {
		pg_error_set("out of memory");
		return PG_ENOMEM;
	}
	rc = pg_workload_load_jsonl(w, w->dataset);
	if (rc == PG_EIO)
		pg_yaml_fail_prefix(&dataset->mark, rc);
	return rc;
}
