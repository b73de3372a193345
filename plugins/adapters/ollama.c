/*
 * ollama: Ollama's native API. The target URL is the server root
 * (http://127.0.0.1:11434); option `mode` picks POST /api/chat (default)
 * with {"model", "messages", "stream", "options": {"num_predict": N}} or
 * POST /api/generate with {"model", "prompt", ...}.
 *
 * Streams are newline-delimited JSON (application/x-ndjson): one object a
 * line with message.content (chat) or response (generate) and "done":
 * false, then a last line with "done": true carrying eval_count (output
 * tokens) and prompt_eval_count (input tokens), reported as usage. A
 * response that is not streamed is one such object with "done": true.
 * Errors are {"error": "..."}: as the HTTP error body (classified by the
 * engine) or as a line of a 200 stream (a stream failure). Thinking text of
 * reasoning models (message.thinking, thinking) counts as content for
 * timing but is not passed on as answer text.
 */
#include <string.h>

#include <jansson.h>

#include "adapter_util.h"
#include "ndjson.h"
#include "perfgate/plugin.h"

#define OLLAMA_MAX_LINE ((size_t)8 * 1024 * 1024)  /* one NDJSON line */
#define OLLAMA_MAX_BODY ((size_t)64 * 1024 * 1024) /* a whole JSON body */

typedef struct ollama_inst {
	const pg_host_api *host;
	int chat;  /* 1: /api/chat, 0: /api/generate */
	char *url; /* base URL joined with the mode's path */
	char *model;
	char *keep_alive; /* NULL: not sent */
	int has_temperature;
	double temperature;
} ollama_inst;

typedef struct ollama_parse {
	pg_adapter_reply r; /* sink, failure state, body capped at OLLAMA_MAX_BODY */
	int chat;
	int line_mode; /* 1: NDJSON stream, 0: one JSON body */
	pg_ndjson *nd;
	int done; /* the "done": true object arrived */
} ollama_parse;

/* ---- instance ----------------------------------------------------------- */

static void ollama_destroy(void *vinst)
{
	ollama_inst *in = vinst;

	if (!in)
		return;
	in->host->free(in->url);
	in->host->free(in->model);
	in->host->free(in->keep_alive);
	in->host->free(in);
}

static int ollama_create(void **out_inst, const pg_host_api *host, const pg_options *opts,
			 const pg_target_info *target)
{
	const char *mode = NULL, *keep = NULL;
	ollama_inst *in = NULL;
	double t = -1.0;
	int rc = PG_EINVAL;

	*out_inst = NULL;
	if (!target || !target->url || !target->url[0]) {
		host->set_error("ollama: the target has no URL");
		return PG_EINVAL;
	}
	if (!target->model || !target->model[0]) {
		host->set_error("ollama: target.model is required (the Ollama model name, "
				"e.g. llama3.2)");
		return PG_EINVAL;
	}
	if (opts) {
		mode = host->opt_string(opts, "mode");
		keep = host->opt_string(opts, "keep_alive");
		t = host->opt_double(opts, "temperature");
	}
	if (mode && strcmp(mode, "chat") != 0 && strcmp(mode, "generate") != 0) {
		host->set_error("ollama: option mode is '%s'; it must be chat or generate", mode);
		return PG_EINVAL;
	}
	rc = PG_ENOMEM;
	in = host->calloc(1, sizeof(*in));
	if (!in)
		goto oom;
	in->host = host;
	in->chat = !mode || strcmp(mode, "chat") == 0;
	/* Negative (the default) or NaN: not sent, the model's own applies. */
	if (t >= 0.0) {
		in->has_temperature = 1;
		in->temperature = t;
	}
	rc = pg_adapter_join_url(&in->url, host, target->url,
				 in->chat ? "/api/chat" : "/api/generate");
	if (rc < 0)
		goto done;
	rc = PG_ENOMEM;
	in->model = host->strdup(target->model);
	if (!in->model)
		goto oom;
	if (keep && keep[0]) {
		in->keep_alive = host->strdup(keep);
		if (!in->keep_alive)
			goto oom;
	}
	*out_inst = in;
	in = NULL;
	rc = 0;
	goto done;
oom:
	host->set_error("ollama: out of memory");
done:
	ollama_destroy(in);
	return rc;
}

/* ---- requests ----------------------------------------------------------- */

/* Adds "messages" (chat) or "prompt" (generate) for item to body. */
static int add_input(const ollama_inst *in, json_t *body, const pg_work_item *item)
{
	const pg_host_api *host = in->host;
	json_error_t jerr;
	json_t *v = NULL, *turn = NULL;

	if (!item->messages_json && !item->prompt) {
		host->set_error("ollama: the work item has neither a prompt nor messages");
		return PG_EINVAL;
	}
	if (item->messages_json && !in->chat) {
		host->set_error("ollama: mode generate takes prompts, not chat messages "
				"(use mode: chat)");
		return PG_EINVAL;
	}
	if (item->messages_json) {
		v = json_loads(item->messages_json, 0, &jerr);
		if (!v) {
			host->set_error("ollama: messages_json is not valid JSON: %s", jerr.text);
			return PG_EINVAL;
		}
		if (!json_is_array(v)) {
			json_decref(v);
			host->set_error("ollama: messages_json must be a JSON array");
			return PG_EINVAL;
		}
		return pg_adapter_put(body, "messages", v) < 0 ? PG_ENOMEM : 0;
	}
	v = json_string(item->prompt);
	if (!v) {
		host->set_error("ollama: the prompt is not valid UTF-8");
		return PG_EINVAL;
	}
	if (!in->chat)
		return pg_adapter_put(body, "prompt", v) < 0 ? PG_ENOMEM : 0;
	turn = json_object();
	if (!turn || pg_adapter_put(turn, "role", json_string("user")) < 0) {
		json_decref(v);
		json_decref(turn);
		return PG_ENOMEM;
	}
	if (pg_adapter_put(turn, "content", v) < 0) { /* released v */
		json_decref(turn);
		return PG_ENOMEM;
	}
	v = json_array();
	if (!v || json_array_append_new(v, turn) < 0) { /* append_new released turn */
		json_decref(v);
		return PG_ENOMEM;
	}
	return pg_adapter_put(body, "messages", v) < 0 ? PG_ENOMEM : 0;
}

static int ollama_build(void *vinst, const pg_work_item *item, pg_request *out)
{
	ollama_inst *in = vinst;
	const pg_host_api *host = in->host;
	json_t *body = NULL, *options = NULL;
	int rc = PG_ENOMEM;

	memset(out, 0, sizeof(*out));
	body = json_object();
	options = json_object();
	if (!body || !options)
		goto oom;
	if (pg_adapter_put(body, "model", json_string(in->model)) < 0) {
		host->set_error("ollama: the model name is not valid UTF-8");
		rc = PG_EINVAL;
		goto done;
	}
	rc = add_input(in, body, item);
	if (rc == PG_ENOMEM)
		goto oom;
	if (rc < 0)
		goto done;
	rc = PG_ENOMEM;
	if (pg_adapter_put(body, "stream", json_boolean(item->stream)) < 0)
		goto oom;
	if (item->max_tokens > 0 &&
	    pg_adapter_put(options, "num_predict", json_integer((json_int_t)item->max_tokens)) < 0)
		goto oom;
	if (in->has_temperature &&
	    pg_adapter_put(options, "temperature", json_real(in->temperature)) < 0)
		goto oom;
	if (json_object_size(options) > 0) {
		rc = pg_adapter_put(body, "options", options);
		options = NULL; /* set_new took (or released) it */
		if (rc < 0)
			goto oom;
	}
	if (in->keep_alive && pg_adapter_put(body, "keep_alive", json_string(in->keep_alive)) < 0)
		goto oom;
	/* 15 significant digits print 0.7 as 0.7, not 0.69999999999999996. */
	if (pg_adapter_post_json(out, host, in->url, body, JSON_REAL_PRECISION(15),
				 item->stream ? "application/x-ndjson" : "application/json") < 0)
		goto oom;
	rc = 0;
	goto done;
oom:
	host->set_error("ollama: out of memory building a request");
	rc = PG_ENOMEM;
done:
	json_decref(options);
	json_decref(body);
	return rc;
}

/* ---- response events ---------------------------------------------------- */

/* Handles one object (a stream line or the whole answer). whole: the
 * answer was not streamed, so its text field must be there. */
static void handle_object(ollama_parse *ps, const json_t *root, int whole)
{
	const json_t *err, *holder, *text, *thinking;
	int64_t in_tok, out_tok;

	if (!json_is_object(root)) {
		pg_adapter_fail(&ps->r, PG_FAIL_PROTOCOL, "%s is not a JSON object",
				whole ? "response" : "stream line");
		return;
	}
	err = json_object_get(root, "error");
	if (err && !json_is_null(err)) {
		if (json_is_object(err))
			err = json_object_get(err, "message");
		if (pg_adapter_nonempty_string(err))
			pg_adapter_fail(&ps->r, PG_FAIL_STREAM, "%s", json_string_value(err));
		else
			pg_adapter_fail(&ps->r, PG_FAIL_STREAM,
					"server sent an error object without a message");
		return;
	}
	/* chat: {"message": {"content", "thinking"}}; generate: top level. */
	holder = ps->chat ? json_object_get(root, "message") : root;
	text = json_object_get(holder, ps->chat ? "content" : "response");
	thinking = json_object_get(holder, "thinking");
	if (whole && !json_is_string(text)) {
		pg_adapter_fail(&ps->r, PG_FAIL_PROTOCOL, "response has no %s",
				ps->chat ? "message.content" : "response");
		return;
	}
	if (pg_adapter_nonempty_string(text))
		pg_adapter_content(&ps->r, text, 1);
	else if (pg_adapter_nonempty_string(thinking))
		pg_adapter_content(&ps->r, NULL, 1);
	if (!json_is_true(json_object_get(root, "done")))
		return;
	ps->done = 1;
	in_tok = pg_adapter_count(root, "prompt_eval_count");
	out_tok = pg_adapter_count(root, "eval_count");
	if (in_tok >= 0 || out_tok >= 0)
		pg_adapter_usage(&ps->r, in_tok, out_tok);
}

/* pg_ndjson callback: one line of the stream. Returns 1 to stop. */
static int on_line(void *ctx, const char *line, size_t len)
{
	ollama_parse *ps = ctx;
	json_error_t jerr;
	json_t *root;

	if (ps->r.failed)
		return 1;
	if (ps->done)
		return 0; /* nothing after the done line matters */
	root = json_loadb(line, len, 0, &jerr);
	if (!root) {
		pg_adapter_fail(&ps->r, PG_FAIL_PROTOCOL, "invalid JSON in stream: %s", jerr.text);
		return 1;
	}
	handle_object(ps, root, 0);
	json_decref(root);
	return ps->r.failed ? 1 : 0;
}

/* ---- whole JSON responses ----------------------------------------------- */

static void finish_json(ollama_parse *ps)
{
	json_t *root;

	root = pg_adapter_body_json(&ps->r, 0);
	if (!root)
		return;
	handle_object(ps, root, 1);
	json_decref(root);
}

/* ---- parse operations --------------------------------------------------- */

static void ollama_parse_free(void *state)
{
	ollama_parse *ps = state;

	if (!ps)
		return;
	pg_ndjson_free(ps->nd);
	pg_adapter_reply_release(&ps->r);
	ps->r.host->free(ps);
}

static int ollama_parse_begin(void *vinst, void **out_state, int http_status,
			      const char *content_type, int streamed)
{
	ollama_inst *in = vinst;
	ollama_parse *ps;

	(void)http_status; /* only 2xx responses are parsed */
	*out_state = NULL;
	ps = in->host->calloc(1, sizeof(*ps));
	if (!ps)
		goto oom;
	ps->r.host = in->host;
	ps->chat = in->chat;
	/* The Content-Type decides; without one, what the request asked for. */
	if (content_type && (pg_adapter_media_type_is(content_type, "application/x-ndjson") ||
			     pg_adapter_media_type_is(content_type, "application/jsonl")))
		ps->line_mode = 1;
	else if (content_type && pg_adapter_media_type_is(content_type, "application/json"))
		ps->line_mode = 0;
	else
		ps->line_mode = streamed != 0;
	if (ps->line_mode) {
		ps->nd = pg_ndjson_new(OLLAMA_MAX_LINE);
		if (!ps->nd)
			goto oom;
	}
	*out_state = ps;
	return 0;
oom:
	ollama_parse_free(ps);
	in->host->set_error("ollama: out of memory");
	return PG_ENOMEM;
}

static int ollama_parse_data(void *state, const char *data, size_t len,
			     const pg_response_sink *sink)
{
	ollama_parse *ps = state;

	ps->r.sink = sink;
	if (ps->r.failed || len == 0)
		return 0;
	if (!ps->line_mode)
		return pg_adapter_append_body(&ps->r, data, len, OLLAMA_MAX_BODY, "ollama");
	/* The callback returns only 0 or 1, so -1 is the splitter's cap. */
	if (pg_ndjson_feed(ps->nd, data, len, on_line, ps) == -1)
		pg_adapter_fail(&ps->r, PG_FAIL_PROTOCOL, "NDJSON line longer than %zu bytes",
				OLLAMA_MAX_LINE);
	return 0;
}

static int ollama_parse_end(void *state, const pg_response_sink *sink)
{
	ollama_parse *ps = state;

	ps->r.sink = sink;
	if (ps->r.failed)
		return 0;
	if (ps->line_mode) {
		/* The last line may lack its LF. */
		if (pg_ndjson_finish(ps->nd, on_line, ps) == -1)
			pg_adapter_fail(&ps->r, PG_FAIL_PROTOCOL,
					"NDJSON line longer than %zu bytes", OLLAMA_MAX_LINE);
	} else {
		finish_json(ps);
	}
	if (!ps->done)
		pg_adapter_fail(&ps->r, PG_FAIL_PROTOCOL,
				"%s ended before an object with \"done\": true",
				ps->line_mode ? "stream" : "response");
	return 0;
}

/* ---- descriptor --------------------------------------------------------- */

static const pg_option_spec ollama_options[] = {
    {"mode", PG_OPT_STRING, "chat", NULL, 0, 0,
     "chat: POST /api/chat with messages; generate: POST /api/generate with a prompt"},
    {"keep_alive", PG_OPT_STRING, NULL, NULL, 0, 0,
     "how long the model stays loaded after a request (e.g. 30m); unset: the server's default"},
    {"temperature", PG_OPT_DOUBLE, "-1", NULL, -1, 100,
     "options.temperature; negative (the default) leaves it out of the request"},
    {0},
};

static const pg_adapter_ops ollama_ops = {
    .create = ollama_create,
    .destroy = ollama_destroy,
    .build = ollama_build,
    .parse_begin = ollama_parse_begin,
    .parse_data = ollama_parse_data,
    .parse_end = ollama_parse_end,
    .parse_free = ollama_parse_free,
};

static const pg_plugin_desc ollama_desc = {
    PG_PLUGIN_DESC_INIT(PG_PLUGIN_ADAPTER, "ollama"),
    .version = "1.0.0",
    .description = "Ollama native API (POST {root}/api/chat or /api/generate), "
		   "NDJSON stream or one JSON answer",
    .options = ollama_options,
    .ops = &ollama_ops,
};

PG_PLUGIN_EXPORT(ollama, ollama_desc)
