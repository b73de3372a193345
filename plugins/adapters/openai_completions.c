/*
 * openai-completions: the legacy OpenAI Completions API
 * (POST {base}/completions) with a plain "prompt", as served by OpenAI,
 * vLLM, TGI and others. Content sits in choices[i].text.
 */
#include "openai_common.h"

/* "prompt": the work item's text; chat messages are refused. */
static int completions_add_input(const pg_host_api *host, json_t *body, const pg_work_item *item)
{
	json_t *prompt;

	if (!item->prompt) {
		host->set_error("openai-completions: the work item has chat messages, not a "
				"prompt (use the openai-chat adapter)");
		return PG_EINVAL;
	}
	prompt = json_string(item->prompt);
	if (!prompt) {
		host->set_error("openai-completions: the prompt is not valid UTF-8");
		return PG_EINVAL;
	}
	if (json_object_set_new(body, "prompt", prompt) < 0) {
		host->set_error("openai-completions: out of memory building a request");
		return PG_ENOMEM;
	}
	return 0;
}

static int completions_chunk_has_content(const json_t *choice)
{
	return pg_adapter_nonempty_string(json_object_get(choice, "text"));
}

static int completions_message_content(const json_t *choice)
{
	const json_t *text = json_object_get(choice, "text");

	if (!json_is_string(text))
		return -1;
	return json_string_length(text) > 0 ? 1 : 0;
}

PG_OPENAI_ADAPTER(openai_completions, "openai-completions", "/completions", "choices[0].text",
		  completions_add_input, completions_chunk_has_content, completions_message_content,
		  "OpenAI-compatible text completions (POST {base}/completions) with a prompt")
