/*
 * openai-chat: the OpenAI Chat Completions API (POST {base}/chat/completions),
 * as served by OpenAI, vLLM, TGI, Ollama and others. Streams are SSE chunks
 * whose choices carry a "delta"; whole responses carry a "message".
 */
#include <string.h>

#include "openai_common.h"

/* "messages": the work item's own array, or the prompt as one user turn. */
static int chat_add_input(const pg_host_api *host, json_t *body, const pg_work_item *item)
{
	json_error_t jerr;
	json_t *messages = NULL, *turn = NULL;
	int rc = PG_ENOMEM;

	if (item->messages_json) {
		messages = json_loads(item->messages_json, 0, &jerr);
		if (!messages) {
			host->set_error("openai-chat: messages_json is not valid JSON: %s "
					"(line %d, column %d)",
					jerr.text, jerr.line, jerr.column);
			return PG_EINVAL;
		}
		if (!json_is_array(messages)) {
			host->set_error("openai-chat: messages_json must be a JSON array");
			rc = PG_EINVAL;
			goto done;
		}
	} else if (item->prompt) {
		json_t *content = json_string(item->prompt);

		if (!content) {
			host->set_error("openai-chat: the prompt is not valid UTF-8");
			return PG_EINVAL;
		}
		messages = json_array();
		turn = json_object();
		if (!messages || !turn ||
		    json_object_set_new(turn, "role", json_string("user")) < 0) {
			json_decref(content);
			goto oom;
		}
		if (json_object_set_new(turn, "content", content) < 0)
			goto oom; /* set_new released content */
		if (json_array_append_new(messages, turn) < 0) {
			turn = NULL; /* append_new released it */
			goto oom;
		}
		turn = NULL;
	} else {
		host->set_error("openai-chat: the work item has neither a prompt nor messages");
		return PG_EINVAL;
	}
	rc = json_object_set_new(body, "messages", messages) == 0 ? 0 : PG_ENOMEM;
	messages = NULL; /* set_new took (or released) it */
	if (rc < 0)
		goto oom;
	goto done;
oom:
	host->set_error("openai-chat: out of memory building a request");
	rc = PG_ENOMEM;
done:
	json_decref(turn);
	json_decref(messages);
	return rc;
}

/* Text, or reasoning text (vLLM's reasoning models), counts as content;
 * a role-only delta or an empty string does not. */
static int has_text(const json_t *obj)
{
	return pg_adapter_nonempty_string(json_object_get(obj, "content")) ||
	       pg_adapter_nonempty_string(json_object_get(obj, "reasoning_content")) ||
	       pg_adapter_nonempty_string(json_object_get(obj, "reasoning"));
}

static int chat_chunk_has_content(const json_t *choice)
{
	const json_t *delta = json_object_get(choice, "delta");

	return json_is_object(delta) && has_text(delta);
}

static int chat_message_content(const json_t *choice)
{
	const json_t *message = json_object_get(choice, "message");

	if (!json_is_object(message))
		return -1;
	return has_text(message) ? 1 : 0;
}

PG_OPENAI_ADAPTER(openai_chat, "openai-chat", "/chat/completions", "choices[0].message",
		  chat_add_input, chat_chunk_has_content, chat_message_content,
		  "OpenAI-compatible chat completions (POST {base}/chat/completions), "
		  "streamed or not")
