/*
 * ShareGPT datasets: one JSON array of conversations,
 * {"id": ..., "conversations": [{"from": "human", "value": "..."}, ...]}.
 * Each conversation becomes one messages item made of its turns up to and
 * including its last human turn; the gpt turn after that is the expected
 * answer. Conversations and turns are numbered from 1 in messages.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "fileio.h"
#include "log.h"
#include "suggest.h"
#include "workload.h"

/* Speakers and the chat role each maps to; the first three are the
 * format's own, the rest are spellings found in published ShareGPT files. */
static const char *const speakers[] = {"human",	    "gpt",     "system", "user",
				       "assistant", "chatgpt", "bing",	 "bard"};
static const char *const roles[] = {"user",	 "assistant", "system",	   "user",
				    "assistant", "assistant", "assistant", "assistant"};
#define N_SPEAKERS (sizeof(speakers) / sizeof(speakers[0]))

/* The role of a turn, or NULL (with the error set) when it is malformed. */
static const char *turn_role(const json_t *turn, const char *path, const char *conv, size_t t)
{
	const json_t *from = json_object_get(turn, "from");
	const json_t *value = json_object_get(turn, "value");
	const char *who, *hint;
	size_t i;

	if (!json_is_object(turn) || !json_is_string(from) || !json_is_string(value)) {
		pg_error_set("%s: %s: turn %zu needs a string 'from' and a string 'value'", path,
			     conv, t + 1);
		return NULL;
	}
	who = json_string_value(from);
	for (i = 0; i < N_SPEAKERS; i++)
		if (strcmp(who, speakers[i]) == 0)
			return roles[i];
	hint = pg_suggest(who, speakers, N_SPEAKERS);
	if (hint != NULL)
		pg_error_set("%s: %s: turn %zu: unknown speaker '%.60s' (did you mean '%s'?)", path,
			     conv, t + 1, who, hint);
	else
		pg_error_set("%s: %s: turn %zu: unknown speaker '%.60s' (expected human, gpt or "
			     "system)",
			     path, conv, t + 1, who);
	return NULL;
}

/* The turn after which max_turns is reached: turns [0, cut) are kept. A
 * leading system turn is not counted. */
static size_t turn_cut(const json_t *turns, const char *const *role, int64_t max_turns)
{
	size_t n = json_array_size(turns), j, counted = 0;

	if (max_turns <= 0)
		return n;
	for (j = 0; j < n; j++) {
		if (j == 0 && strcmp(role[0], "system") == 0)
			continue;
		if (++counted > (size_t)max_turns)
			return j;
	}
	return n;
}

/* The conversation's other fields as a compact JSON object, or NULL. */
static int conv_metadata(char **out, const json_t *conv)
{
	const char *key;
	json_t *v, *meta;

	*out = NULL;
	if (json_object_size(conv) <= 1)
		return 0;
	meta = json_object();
	if (meta == NULL)
		return PG_ENOMEM;
	json_object_foreach((json_t *)conv, key, v)
	{
		if (strcmp(key, "conversations") != 0 && json_object_set(meta, key, v) < 0) {
			json_decref(meta);
			return PG_ENOMEM;
		}
	}
	*out = json_dumps(meta, JSON_COMPACT);
	json_decref(meta);
	return *out != NULL ? 0 : PG_ENOMEM;
}

/* Appends the item of conversation i; *kept is 0 when it has no human turn
 * (before the cut) and was skipped. */
static int add_conversation(pg_workload *w, int *kept, const json_t *conv, size_t i,
			    const char *path, int64_t max_turns)
{
	const json_t *turns, *id;
	const char **role = NULL;
	json_t *msgs = NULL, *m;
	pg_prompt item = {0};
	size_t n, j, cut, last_user = 0;
	int found = 0, rc = PG_EINVAL;
	char conv_name[128];

	*kept = 0;
	id = json_object_get(conv, "id");
	if (json_is_string(id))
		snprintf(conv_name, sizeof(conv_name), "conversation %zu (id '%.60s')", i + 1,
			 json_string_value(id));
	else if (json_is_integer(id))
		snprintf(conv_name, sizeof(conv_name),
			 "conversation %zu (id %" JSON_INTEGER_FORMAT ")", i + 1,
			 json_integer_value(id));
	else
		snprintf(conv_name, sizeof(conv_name), "conversation %zu", i + 1);
	turns = json_object_get(conv, "conversations");
	if (!json_is_object(conv) || !json_is_array(turns)) {
		pg_error_set("%s: %s: needs a 'conversations' array of turns", path, conv_name);
		return PG_EINVAL;
	}
	n = json_array_size(turns);
	if (n == 0)
		return 0;
	role = calloc(n, sizeof(*role));
	if (role == NULL)
		goto nomem;
	for (j = 0; j < n; j++) {
		role[j] = turn_role(json_array_get(turns, j), path, conv_name, j);
		if (role[j] == NULL)
			goto done;
	}
	cut = turn_cut(turns, role, max_turns);
	for (j = 0; j < cut; j++)
		if (strcmp(role[j], "user") == 0) {
			last_user = j;
			found = 1;
		}
	if (!found) {
		rc = 0;
		goto done;
	}
	msgs = json_array();
	if (msgs == NULL)
		goto nomem;
	for (j = 0; j <= last_user; j++) {
		m = json_pack("{s:s,s:O}", "role", role[j], "content",
			      json_object_get(json_array_get(turns, j), "value"));
		if (m == NULL || json_array_append_new(msgs, m) < 0)
			goto nomem;
	}
	for (j = last_user + 1; j < n; j++)
		if (strcmp(role[j], "assistant") == 0) {
			item.expected = strdup(
			    json_string_value(json_object_get(json_array_get(turns, j), "value")));
			if (item.expected == NULL)
				goto nomem;
			break;
		}
	item.messages_json = json_dumps(msgs, JSON_COMPACT);
	if (item.messages_json == NULL || conv_metadata(&item.metadata_json, conv) < 0)
		goto nomem;
	rc = pg_workload_take(w, &item);
	if (rc < 0)
		pg_error_prefix("%s: %s", path, conv_name);
	else
		*kept = 1;
	goto done;
nomem:
	pg_error_set("out of memory");
	rc = PG_ENOMEM;
done:
	free(item.messages_json);
	free(item.expected);
	free(item.metadata_json);
	json_decref(msgs);
	free(role);
	return rc;
}

int pg_workload_load_sharegpt(pg_workload *w, size_t *skipped, const char *path, int64_t max_turns)
{
	size_t len, pos = 0, i, before = w->n_items;
	json_error_t jerr;
	json_t *root = NULL;
	char *data;
	int rc, kept;

	*skipped = 0;
	rc = pg_file_read_all(&data, &len, path, PG_WORKLOAD_MAX_BYTES, "dataset");
	if (rc < 0)
		return rc;
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		pos = 3; /* UTF-8 byte order mark */
	root = json_loadb(data + pos, len - pos, JSON_REJECT_DUPLICATES, &jerr);
	free(data);
	if (root == NULL) {
		pg_error_set("%s:%d: invalid JSON at column %d: %s", path, jerr.line, jerr.column,
			     jerr.text);
		return PG_EINVAL;
	}
	if (!json_is_array(root)) {
		pg_error_set("%s: expected a JSON array of conversations (ShareGPT format)", path);
		rc = PG_EINVAL;
		goto done;
	}
	for (i = 0; i < json_array_size(root); i++) {
		rc = add_conversation(w, &kept, json_array_get(root, i), i, path, max_turns);
		if (rc < 0)
			goto done;
		if (!kept)
			(*skipped)++;
	}
	rc = 0;
	if (w->n_items == before) {
		if (*skipped > 0)
			pg_error_set("%s: dataset has no prompts (%zu conversation%s without a "
				     "human turn)",
				     path, *skipped, *skipped == 1 ? "" : "s");
		else
			pg_error_set("%s: dataset has no prompts", path);
		rc = PG_EINVAL;
	} else if (*skipped > 0) {
		pg_log(PG_LOG_WARN,
		       "dataset '%s': skipped %zu of %zu conversations without a "
		       "human turn",
		       path, *skipped, json_array_size(root));
	}
done:
	json_decref(root);
	return rc;
}
