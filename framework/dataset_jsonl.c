/*
 * JSONL datasets. A line is one JSON object: {"prompt": "..."} or
 * {"messages": [{"role": "...", "content": ...}, ...]}, each with an
 * optional "max_tokens" and an optional reference answer in "expected" or
 * "answer"; the line's other fields are kept as the item's metadata. Blank
 * lines are skipped.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "fileio.h"
#include "suggest.h"
#include "workload.h"

/* The fields a line's item is made of; any other goes to its metadata. */
static const char *const item_fields[] = {"prompt", "messages", "max_tokens", "expected", "answer"};
#define N_ITEM_FIELDS (sizeof(item_fields) / sizeof(item_fields[0]))

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

/* The reference answer of a line ("expected" or "answer": a string, or a
 * number kept as its JSON text) into *out; NULL when there is none. */
static int line_expected(char **out, const json_t *obj, const char *path, size_t line)
{
	const json_t *exp = json_object_get(obj, "expected"), *ans = json_object_get(obj, "answer");
	const char *name = exp != NULL ? "expected" : "answer";

	*out = NULL;
	if (exp != NULL && ans != NULL) {
		pg_error_set("%s:%zu: give either 'expected' or 'answer', not both", path, line);
		return PG_EINVAL;
	}
	if (exp == NULL)
		exp = ans;
	if (exp == NULL)
		return 0;
	if (json_is_string(exp))
		*out = strdup(json_string_value(exp));
	else if (json_is_number(exp))
		*out = json_dumps(exp, JSON_ENCODE_ANY | JSON_COMPACT);
	else {
		pg_error_set("%s:%zu: '%s' must be a string or a number", path, line, name);
		return PG_EINVAL;
	}
	if (*out == NULL) {
		pg_error_set("out of memory");
		return PG_ENOMEM;
	}
	return 0;
}

/* The line's fields other than the item's own as a compact JSON object, or
 * NULL when it has none. */
static int line_metadata(char **out, json_t *obj)
{
	const char *key;
	json_t *v, *meta = NULL;
	size_t i;

	*out = NULL;
	json_object_foreach(obj, key, v)
	{
		for (i = 0; i < N_ITEM_FIELDS && strcmp(key, item_fields[i]) != 0; i++)
			;
		if (i < N_ITEM_FIELDS)
			continue;
		if (meta == NULL && (meta = json_object()) == NULL)
			goto nomem;
		if (json_object_set(meta, key, v) < 0)
			goto nomem;
	}
	if (meta == NULL)
		return 0;
	*out = json_dumps(meta, JSON_COMPACT);
	json_decref(meta);
	if (*out == NULL)
		goto nomem;
	return 0;
nomem:
	json_decref(meta);
	pg_error_set("out of memory");
	return PG_ENOMEM;
}

/* When a line has neither "prompt" nor "messages": a misspelt key or a
 * plain complaint. */
static int missing_prompt(json_t *obj, const char *path, size_t line)
{
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
		pg_error_set("%s:%zu: unknown key '%s' (did you mean '%s'?)", path, line, key,
			     hint);
	else
		pg_error_set("%s:%zu: needs a 'prompt' string or a 'messages' array", path, line);
	return PG_EINVAL;
}

/* Adds the item of one non-blank dataset line. */
static int add_line(pg_workload *w, const char *text, size_t len, const char *path, size_t line)
{
	json_t *obj, *prompt, *msgs, *mt;
	json_error_t jerr;
	pg_prompt it = {0};
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
		rc = missing_prompt(obj, path, line);
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
		it.max_tokens = (int64_t)json_integer_value(mt);
	}
	if ((rc = line_expected(&it.expected, obj, path, line)) < 0 ||
	    (rc = line_metadata(&it.metadata_json, obj)) < 0)
		goto done;
	if (prompt != NULL)
		it.prompt = strdup(json_string_value(prompt));
	else
		it.messages_json = json_dumps(msgs, JSON_COMPACT);
	if (it.prompt == NULL && it.messages_json == NULL) {
		pg_error_set("out of memory");
		rc = PG_ENOMEM;
		goto done;
	}
	rc = pg_workload_take(w, &it);
	if (rc < 0)
		pg_error_prefix("%s:%zu", path, line);
done:
	free(it.prompt);
	free(it.messages_json);
	free(it.expected);
	free(it.metadata_json);
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
