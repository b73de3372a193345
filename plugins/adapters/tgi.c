/*
 * tgi: Hugging Face text-generation-inference's native API. The target URL
 * is the server root (http://127.0.0.1:8080); requests go to POST /generate
 * (one JSON answer) or POST /generate_stream (Server-Sent Events), with the
 * body {"inputs": PROMPT, "parameters": {"max_new_tokens": N, "details":
 * true}}.
 *
 * Whole answers are {"generated_text": ..., "details": {"generated_tokens":
 * n, ...}} (or a one-element array of that, as TGI's "/" route and the HF
 * Inference API send). Streams carry one event per token,
 * {"token": {"id", "text", "logprob", "special"}, "generated_text": null,
 * "details": null}; the last event has generated_text and, when details were
 * asked for, details.generated_tokens (and input_length on recent
 * versions). A token with "special": true (such as the end-of-sequence
 * token) is not content. Errors are {"error": "...", "error_type": "..."}
 * either as the HTTP error body (classified by the engine) or as a stream
 * event (a stream failure).
 *
 * TGI's native API takes one prompt string. Chat messages are rendered as
 * "role: content" lines followed by "assistant:", a plain prompt without
 * the model's chat template (use openai-chat against TGI's /v1 for
 * templated chat).
 */
#include <string.h>

#include <jansson.h>

#include "adapter_util.h"
#include "perfgate/plugin.h"
#include "sse.h"

#define TGI_MAX_SSE_LINE ((size_t)8 * 1024 * 1024) /* one SSE line or event */
#define TGI_MAX_BODY ((size_t)64 * 1024 * 1024)	   /* a whole JSON body */
#define TGI_MAX_PROMPT ((size_t)64 * 1024 * 1024)  /* a prompt rendered from messages */

typedef struct tgi_inst {
	const pg_host_api *host;
	char *url_generate; /* base URL joined with path_generate */
	char *url_stream;   /* base URL joined with path_stream */
	int details;
} tgi_inst;

typedef struct tgi_parse {
	pg_adapter_reply r; /* sink, failure state, body capped at TGI_MAX_BODY */
	int sse_mode;	    /* 1: text/event-stream, 0: one JSON body */
	pg_sse *sse;
	int finished; /* the final stream event (generated_text) arrived */
} tgi_parse;

/* ---- instance ----------------------------------------------------------- */

static void tgi_destroy(void *vinst)
{
	tgi_inst *in = vinst;

	if (!in)
		return;
	in->host->free(in->url_generate);
	in->host->free(in->url_stream);
	in->host->free(in);
}

static int tgi_create(void **out_inst, const pg_host_api *host, const pg_options *opts,
		      const pg_target_info *target)
{
	const char *pgen = NULL, *pstream = NULL;
	tgi_inst *in = NULL;
	int rc;

	*out_inst = NULL;
	if (!target || !target->url || !target->url[0]) {
		host->set_error("tgi: the target has no URL");
		return PG_EINVAL;
	}
	in = host->calloc(1, sizeof(*in));
	if (!in) {
		host->set_error("tgi: out of memory");
		return PG_ENOMEM;
	}
	in->host = host;
	in->details = 1;
	if (opts) {
		pgen = host->opt_string(opts, "path_generate");
		pstream = host->opt_string(opts, "path_stream");
		in->details = host->opt_bool(opts, "details") != 0;
	}
	rc = pg_adapter_join_url(&in->url_generate, host, target->url, pgen ? pgen : "/generate");
	if (rc == 0)
		rc = pg_adapter_join_url(&in->url_stream, host, target->url,
					 pstream ? pstream : "/generate_stream");
	if (rc < 0) {
		tgi_destroy(in);
		return rc;
	}
	*out_inst = in;
	return 0;
}

/* ---- requests ----------------------------------------------------------- */

static int tgi_build(void *vinst, const pg_work_item *item, pg_request *out)
{
	tgi_inst *in = vinst;
	const pg_host_api *host = in->host;
	json_t *body = NULL, *params = NULL, *inputs = NULL;
	const char *url = item->stream ? in->url_stream : in->url_generate;
	int rc = PG_ENOMEM;

	memset(out, 0, sizeof(*out));
	if (item->messages_json) {
		rc = pg_adapter_render_chat_prompt(&inputs, host, "tgi", item->messages_json,
						   TGI_MAX_PROMPT);
		if (rc < 0)
			return rc;
	} else if (item->prompt) {
		inputs = json_string(item->prompt);
		if (!inputs) {
			host->set_error("tgi: the prompt is not valid UTF-8");
			return PG_EINVAL;
		}
	} else {
		host->set_error("tgi: the work item has neither a prompt nor messages");
		return PG_EINVAL;
	}
	rc = PG_ENOMEM;
	body = json_object();
	params = json_object();
	if (!body || !params)
		goto oom;
	if (json_object_set_new(body, "inputs", inputs) < 0) {
		inputs = NULL; /* set_new released it */
		goto oom;
	}
	inputs = NULL;
	if (item->max_tokens > 0 &&
	    json_object_set_new(params, "max_new_tokens", json_integer(item->max_tokens)) < 0)
		goto oom;
	if (in->details && json_object_set_new(params, "details", json_true()) < 0)
		goto oom;
	rc = json_object_set_new(body, "parameters", params);
	params = NULL; /* set_new took (or released) it */
	if (rc < 0)
		goto oom;
	if (pg_adapter_post_json(out, host, url, body, 0,
				 item->stream ? "text/event-stream" : "application/json") < 0)
		goto oom;
	rc = 0;
	goto done;
oom:
	host->set_error("tgi: out of memory building a request");
	rc = PG_ENOMEM;
done:
	json_decref(inputs);
	json_decref(params);
	json_decref(body);
	return rc;
}

/* ---- response events ---------------------------------------------------- */

/* Reports usage from a details object: generated_tokens, and the prompt
 * length as input_length (TGI 2.x streams), prompt_tokens (some forks) or
 * the prefill tokens listed when decoder_input_details was asked for.
 * Returns generated_tokens or -1. */
static int64_t report_details(tgi_parse *ps, const json_t *details)
{
	const json_t *prefill;
	int64_t in_tok, out_tok;

	if (!json_is_object(details) || ps->r.failed)
		return -1;
	out_tok = pg_adapter_count(details, "generated_tokens");
	in_tok = pg_adapter_count(details, "input_length");
	if (in_tok < 0)
		in_tok = pg_adapter_count(details, "prompt_tokens");
	prefill = json_object_get(details, "prefill");
	if (in_tok < 0 && json_is_array(prefill) && json_array_size(prefill) > 0)
		in_tok = (int64_t)json_array_size(prefill);
	if (in_tok >= 0 || out_tok >= 0)
		pg_adapter_usage(&ps->r, in_tok, out_tok);
	return out_tok;
}

/* If root is a TGI error object, reports a stream failure and returns 1. */
static int check_error(tgi_parse *ps, const json_t *root)
{
	const json_t *err = json_object_get(root, "error");
	const json_t *type = json_object_get(root, "error_type");

	if (!err || json_is_null(err))
		return 0;
	if (json_is_object(err)) /* {"error": {"message": ...}} from a proxy */
		err = json_object_get(err, "message");
	if (pg_adapter_nonempty_string(err) && pg_adapter_nonempty_string(type))
		pg_adapter_fail(&ps->r, PG_FAIL_STREAM, "%s (%s)", json_string_value(err),
				json_string_value(type));
	else if (pg_adapter_nonempty_string(err))
		pg_adapter_fail(&ps->r, PG_FAIL_STREAM, "%s", json_string_value(err));
	else
		pg_adapter_fail(&ps->r, PG_FAIL_STREAM,
				"server sent an error object without a message");
	return 1;
}

/* ---- streamed responses ------------------------------------------------- */

/* One stream event: a token, the final event, or an error. */
static void handle_event(tgi_parse *ps, const json_t *root)
{
	const json_t *token, *text;

	if (!json_is_object(root)) {
		pg_adapter_fail(&ps->r, PG_FAIL_PROTOCOL, "stream event is not a JSON object");
		return;
	}
	if (check_error(ps, root))
		return;
	token = json_object_get(root, "token");
	text = json_object_get(token, "text");
	/* Special tokens (end of sequence, padding) are not generated text. */
	if (json_is_object(token) && pg_adapter_nonempty_string(text) &&
	    !json_is_true(json_object_get(token, "special")))
		pg_adapter_content(&ps->r, text, 1);
	if (json_is_string(json_object_get(root, "generated_text")) ||
	    json_is_object(json_object_get(root, "details"))) {
		ps->finished = 1;
		report_details(ps, json_object_get(root, "details"));
	}
}

/* pg_sse callback: one data event of the stream. Returns 1 to stop. */
static int on_sse_event(void *ctx, const char *event, const char *data, size_t len)
{
	tgi_parse *ps = ctx;
	json_error_t jerr;
	json_t *root;

	if (ps->r.failed)
		return 1;
	if (ps->finished)
		return 0; /* nothing after the final event matters */
	root = json_loadb(data, len, 0, &jerr);
	if (strcmp(event, "error") == 0) {
		if (!root || !check_error(ps, root))
			pg_adapter_fail(&ps->r, PG_FAIL_STREAM, "%.*s",
					(int)(len < 400 ? len : 400), data);
		json_decref(root);
		return 1;
	}
	if (!root) {
		pg_adapter_fail(&ps->r, PG_FAIL_PROTOCOL, "invalid JSON in stream: %s", jerr.text);
		return 1;
	}
	handle_event(ps, root);
	json_decref(root);
	return ps->r.failed ? 1 : 0;
}

/* ---- whole JSON responses ----------------------------------------------- */

static void finish_json(tgi_parse *ps)
{
	json_t *root;
	const json_t *answer, *text;
	int64_t tokens = -1;

	root = pg_adapter_body_json(&ps->r, 0);
	if (!root)
		return;
	/* TGI's "/" route wraps the answer in a one-element array. */
	answer = json_is_array(root) ? json_array_get(root, 0) : root;
	if (!json_is_object(answer)) {
		pg_adapter_fail(&ps->r, PG_FAIL_PROTOCOL, "response is not a JSON object");
		goto done;
	}
	if (check_error(ps, answer))
		goto done;
	text = json_object_get(answer, "generated_text");
	if (!json_is_string(text)) {
		pg_adapter_fail(&ps->r, PG_FAIL_PROTOCOL, "response has no generated_text");
		goto done;
	}
	if (json_is_object(json_object_get(answer, "details")))
		tokens = pg_adapter_count(json_object_get(answer, "details"), "generated_tokens");
	/* Well formed but empty (the model stopped at once): a success
	 * without content. */
	if (json_string_length(text) > 0)
		pg_adapter_content(&ps->r, text, tokens > 0 ? tokens : 1);
	report_details(ps, json_object_get(answer, "details"));
done:
	json_decref(root);
}

/* ---- parse operations --------------------------------------------------- */

static void tgi_parse_free(void *state)
{
	tgi_parse *ps = state;

	if (!ps)
		return;
	pg_sse_free(ps->sse);
	pg_adapter_reply_release(&ps->r);
	ps->r.host->free(ps);
}

static int tgi_parse_begin(void *vinst, void **out_state, int http_status, const char *content_type,
			   int streamed)
{
	tgi_inst *in = vinst;
	tgi_parse *ps;

	(void)http_status; /* only 2xx responses are parsed */
	*out_state = NULL;
	ps = in->host->calloc(1, sizeof(*ps));
	if (!ps)
		goto oom;
	ps->r.host = in->host;
	/* The Content-Type decides; without one, what the request asked for. */
	if (content_type && pg_adapter_media_type_is(content_type, "text/event-stream"))
		ps->sse_mode = 1;
	else if (content_type && pg_adapter_media_type_is(content_type, "application/json"))
		ps->sse_mode = 0;
	else
		ps->sse_mode = streamed != 0;
	if (ps->sse_mode) {
		ps->sse = pg_sse_new(TGI_MAX_SSE_LINE);
		if (!ps->sse)
			goto oom;
	}
	*out_state = ps;
	return 0;
oom:
	tgi_parse_free(ps);
	in->host->set_error("tgi: out of memory");
	return PG_ENOMEM;
}

static int tgi_parse_data(void *state, const char *data, size_t len, const pg_response_sink *sink)
{
	tgi_parse *ps = state;

	ps->r.sink = sink;
	if (ps->r.failed || len == 0)
		return 0;
	if (!ps->sse_mode)
		return pg_adapter_append_body(&ps->r, data, len, TGI_MAX_BODY, "tgi");
	/* The callback returns only 0 or 1, so -1 is the parser's own cap. */
	if (pg_sse_feed(ps->sse, data, len, on_sse_event, ps) == -1)
		pg_adapter_fail(&ps->r, PG_FAIL_PROTOCOL, "SSE line or event longer than %zu bytes",
				TGI_MAX_SSE_LINE);
	return 0;
}

static int tgi_parse_end(void *state, const pg_response_sink *sink)
{
	tgi_parse *ps = state;
	int cut;

	ps->r.sink = sink;
	if (ps->r.failed)
		return 0;
	if (!ps->sse_mode) {
		finish_json(ps);
		return 0;
	}
	cut = pg_sse_finish(ps->sse);
	/* TGI ends a stream with an event carrying generated_text; without it
	 * the generation was cut short. */
	if (!ps->finished)
		pg_adapter_fail(&ps->r, PG_FAIL_PROTOCOL,
				"stream ended before the final event (generated_text)%s",
				cut ? " (inside an event)" : "");
	return 0;
}

/* ---- descriptor --------------------------------------------------------- */

static const pg_option_spec tgi_options[] = {
    {"path_generate", PG_OPT_STRING, "/generate", NULL, 0, 0,
     "path of the whole-answer endpoint, appended to the target URL (the server root)"},
    {"path_stream", PG_OPT_STRING, "/generate_stream", NULL, 0, 0,
     "path of the streaming (SSE) endpoint, appended to the target URL"},
    {"details", PG_OPT_BOOL, "true", NULL, 0, 0,
     "send \"details\": true so the server reports generated_tokens (token counts from usage)"},
    {0},
};

static const pg_adapter_ops tgi_ops = {
    .create = tgi_create,
    .destroy = tgi_destroy,
    .build = tgi_build,
    .parse_begin = tgi_parse_begin,
    .parse_data = tgi_parse_data,
    .parse_end = tgi_parse_end,
    .parse_free = tgi_parse_free,
};

static const pg_plugin_desc tgi_desc = {
    PG_PLUGIN_DESC_INIT(PG_PLUGIN_ADAPTER, "tgi"),
    .version = "1.0.0",
    .description = "Hugging Face text-generation-inference native API "
		   "(POST {root}/generate and /generate_stream)",
    .options = tgi_options,
    .ops = &tgi_ops,
};

PG_PLUGIN_EXPORT(tgi, tgi_desc)
