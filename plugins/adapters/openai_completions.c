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
	return pg_openai_nonempty_string(json_object_get(choice, "text"));
}

static int completions_message_content(const json_t *choice)
{
	const json_t *text = json_object_get(choice, "text");

	if (!json_is_string(text))
		return -1;
	return json_string_length(text) > 0 ? 1 : 0;
}

static const pg_openai_flavor completions_flavor = {
    .name = "openai-completions",
    .default_path = "/completions",
    .content_path = "choices[0].text",
    .add_input = completions_add_input,
    .chunk_has_content = completions_chunk_has_content,
    .message_content = completions_message_content,
};

static int completions_create(void **out_inst, const pg_host_api *host, const pg_options *opts,
			      const pg_target_info *target)
{
	return pg_openai_create(out_inst, &completions_flavor, host, opts, target);
}

static const pg_option_spec completions_options[] = {
    PG_OPENAI_COMMON_OPTIONS("/completions"),
    {0},
};

static const pg_adapter_ops completions_ops = {
    .create = completions_create,
    .destroy = pg_openai_destroy,
    .build = pg_openai_build,
    .parse_begin = pg_openai_parse_begin,
    .parse_data = pg_openai_parse_data,
    .parse_end = pg_openai_parse_end,
    .parse_free = pg_openai_parse_free,
};

static const pg_plugin_desc completions_desc = {
    PG_PLUGIN_DESC_INIT(PG_PLUGIN_ADAPTER, "openai-completions"),
    .version = "1.0.0",
    .description = "OpenAI-compatible text completions (POST {base}/completions) with a prompt",
    .options = completions_options,
    .ops = &completions_ops,
};

PG_PLUGIN_EXPORT(openai_completions, completions_desc)
