/*
 * Shared implementation of the OpenAI-compatible adapters; see
 * openai_common.h. Everything a server sends is untrusted: every JSON
 * value's type is checked before use and every growing buffer is capped.
 */
#include "openai_common.h"

#include <stdio.h>
#include <string.h>

#include "sse.h"

typedef struct openai_inst {
	const pg_host_api *host;
	const pg_openai_flavor *flavor;
	char *url;		/* base URL joined with the path option */
	char *model;		/* NULL: not sent */
	char *max_tokens_field; /* request key for the output limit */
	int include_usage;
	int ignore_eos;
	int has_temperature;
	double temperature;
} openai_inst;

typedef struct openai_parse {
	pg_adapter_reply r; /* sink, failure state, body capped at PG_OPENAI_MAX_BODY */
	const pg_openai_flavor *flavor;
	int sse_mode; /* 1: text/event-stream, 0: one JSON body */
	pg_sse *sse;
	int done;	 /* "data: [DONE]" arrived */
	int finish_seen; /* some choice carried a finish_reason */
} openai_parse;

/* ---- instance ----------------------------------------------------------- */

int pg_openai_create(void **out_inst, const pg_openai_flavor *flavor, const pg_host_api *host,
		     const pg_options *opts, const pg_target_info *target)
{
	openai_inst *in = NULL;
	const char *path = NULL, *field = NULL;
	double t = -1.0;
	int rc = PG_ENOMEM;

	*out_inst = NULL;
	if (!target || !target->url || !target->url[0]) {
		host->set_error("%s: the target has no URL", flavor->name);
		return PG_EINVAL;
	}
	in = host->calloc(1, sizeof(*in));
	if (!in)
		goto oom;
	in->host = host;
	in->flavor = flavor;
	in->include_usage = 1;
	if (opts) {
		path = host->opt_string(opts, "path");
		field = host->opt_string(opts, "max_tokens_field");
		in->include_usage = host->opt_bool(opts, "include_usage") != 0;
		in->ignore_eos = host->opt_bool(opts, "ignore_eos") != 0;
		t = host->opt_double(opts, "temperature");
	}
	if (!path)
		path = flavor->default_path;
	if (!field || !field[0])
		field = "max_tokens";
	/* The temperature option's default is -1: any negative value (or NaN)
	 * means "not set", so the server's own default applies. */
	if (t >= 0.0) {
		in->has_temperature = 1;
		in->temperature = t;
	}
	rc = pg_adapter_join_url(&in->url, host, target->url, path);
	if (rc < 0)
		goto done;
	rc = PG_ENOMEM;
	in->max_tokens_field = host->strdup(field);
	if (!in->max_tokens_field)
		goto oom;
	if (target->model) {
		in->model = host->strdup(target->model);
		if (!in->model)
			goto oom;
	}
	*out_inst = in;
	in = NULL;
	rc = 0;
	goto done;
oom:
	host->set_error("%s: out of memory", flavor->name);
done:
	pg_openai_destroy(in);
	return rc;
}

void pg_openai_destroy(void *vinst)
{
	openai_inst *in = vinst;

	if (!in)
		return;
	in->host->free(in->url);
	in->host->free(in->model);
	in->host->free(in->max_tokens_field);
	in->host->free(in);
}

/* ---- requests ----------------------------------------------------------- */

int pg_openai_build(void *vinst, const pg_work_item *item, pg_request *out)
{
	openai_inst *in = vinst;
	const pg_host_api *host = in->host;
	json_t *body = NULL, *so = NULL;
	int rc = PG_ENOMEM;

	memset(out, 0, sizeof(*out));
	body = json_object();
	if (!body)
		goto oom;
	if (in->model && pg_adapter_put(body, "model", json_string(in->model)) < 0) {
		host->set_error("%s: the model name is not valid UTF-8", in->flavor->name);
		rc = PG_EINVAL;
		goto done;
	}
	rc = in->flavor->add_input(host, body, item);
	if (rc < 0)
		goto done;
	rc = PG_ENOMEM;
	if (item->max_tokens > 0 && pg_adapter_put(body, in->max_tokens_field,
						   json_integer((json_int_t)item->max_tokens)) < 0)
		goto oom;
	if (pg_adapter_put(body, "stream", json_boolean(item->stream)) < 0)
		goto oom;
	if (item->stream && in->include_usage) {
		so = json_object();
		if (!so || pg_adapter_put(so, "include_usage", json_true()) < 0)
			goto oom;
		if (pg_adapter_put(body, "stream_options", so) < 0) {
			so = NULL; /* pg_adapter_put() released it */
			goto oom;
		}
		so = NULL;
	}
	if (in->has_temperature &&
	    pg_adapter_put(body, "temperature", json_real(in->temperature)) < 0)
		goto oom;
	if (in->ignore_eos && pg_adapter_put(body, "ignore_eos", json_true()) < 0)
		goto oom;

	/* 15 significant digits print 0.7 as 0.7, not 0.69999999999999996. */
	if (pg_adapter_post_json(out, host, in->url, body, JSON_REAL_PRECISION(15),
				 item->stream ? "text/event-stream" : "application/json") < 0)
		goto oom;
	rc = 0;
	goto done;
oom:
	host->set_error("%s: out of memory building a request", in->flavor->name);
	rc = PG_ENOMEM;
done:
	json_decref(so);
	json_decref(body);
	return rc;
}

/* ---- response events ---------------------------------------------------- */

/*
 * Hands the answer text of one choice to the sink's optional text callback:
 * delta.content in a chunk, message.content in a whole chat response, text
 * in completions. Only the first choice is passed (in a stream: index 0, or
 * no index), so the text a scorer reassembles is one answer even when
 * n > 1; reasoning text is counted as content but is not the answer.
 */
static void report_text(openai_parse *ps, const json_t *choice, int in_stream)
{
	const json_t *holder = json_object_get(choice, "delta");
	const json_t *index = json_object_get(choice, "index");
	const json_t *text;

	if (ps->r.failed || !ps->r.sink || !ps->r.sink->text)
		return;
	if (in_stream && index && !(json_is_integer(index) && json_integer_value(index) == 0))
		return;
	if (!json_is_object(holder))
		holder = json_object_get(choice, "message");
	text = json_is_object(holder) ? json_object_get(holder, "content")
				      : json_object_get(choice, "text");
	if (pg_adapter_nonempty_string(text))
		ps->r.sink->text(ps->r.sink->ctx, json_string_value(text),
				 json_string_length(text));
}

/* Reports a "usage" member when it is an object with a count in it
 * (vLLM and OpenAI send "usage": null in all but the last chunk). */
static void report_usage(openai_parse *ps, const json_t *root)
{
	const json_t *usage = json_object_get(root, "usage");
	int64_t in_tok, out_tok;

	if (!json_is_object(usage) || ps->r.failed)
		return;
	in_tok = pg_adapter_count(usage, "prompt_tokens");
	out_tok = pg_adapter_count(usage, "completion_tokens");
	if (in_tok < 0 && out_tok < 0)
		return;
	if (ps->r.sink && ps->r.sink->usage)
		ps->r.sink->usage(ps->r.sink->ctx, in_tok, out_tok);
}

int pg_openai_error_message(const json_t *root, char *msg, size_t size)
{
	const json_t *err = json_object_get(root, "error");
	const json_t *text = NULL;

	if (json_is_object(err))
		text = json_object_get(err, "message");
	else if (json_is_string(err))
		text = err;
	else if (json_is_string(json_object_get(root, "object")) &&
		 strcmp(json_string_value(json_object_get(root, "object")), "error") == 0)
		text = json_object_get(root, "message");
	else
		return 0;
	if (pg_adapter_nonempty_string(text))
		snprintf(msg, size, "%s", json_string_value(text));
	else
		snprintf(msg, size, "server sent an error object without a message");
	return 1;
}

/* ---- streamed responses ------------------------------------------------- */

/* Handles one parsed stream chunk. */
static void handle_chunk(openai_parse *ps, const json_t *root)
{
	char msg[PG_ADAPTER_FAIL_MSG_MAX];
	const json_t *choices;
	int has_content = 0;

	if (!json_is_object(root)) {
		pg_adapter_fail(&ps->r, PG_FAIL_PROTOCOL, "stream chunk is not a JSON object");
		return;
	}
	if (pg_openai_error_message(root, msg, sizeof(msg))) {
		pg_adapter_fail(&ps->r, PG_FAIL_STREAM, "%s", msg);
		return;
	}
	choices = json_object_get(root, "choices");
	if (json_is_array(choices)) {
		for (size_t i = 0; i < json_array_size(choices); i++) {
			const json_t *choice = json_array_get(choices, i);

			if (!json_is_object(choice))
				continue;
			if (ps->flavor->chunk_has_content(choice))
				has_content = 1;
			/* Recorded only to accept streams that omit [DONE]. */
			if (pg_adapter_nonempty_string(json_object_get(choice, "finish_reason")))
				ps->finish_seen = 1;
		}
	}
	if (has_content) {
		pg_adapter_content(&ps->r, NULL, 1);
		for (size_t i = 0; i < json_array_size(choices); i++) {
			const json_t *choice = json_array_get(choices, i);

			if (json_is_object(choice) && ps->flavor->chunk_has_content(choice))
				report_text(ps, choice, 1);
		}
	}
	report_usage(ps, root);
}

/* An "event: error" SSE event: its data may be JSON or plain text. */
static void handle_error_event(openai_parse *ps, const char *data, size_t len)
{
	char msg[PG_ADAPTER_FAIL_MSG_MAX];
	json_t *root = json_loadb(data, len, 0, NULL);
	const json_t *text;

	if (root && pg_openai_error_message(root, msg, sizeof(msg)))
		pg_adapter_fail(&ps->r, PG_FAIL_STREAM, "%s", msg);
	else if (root && pg_adapter_nonempty_string(text = json_object_get(root, "message")))
		pg_adapter_fail(&ps->r, PG_FAIL_STREAM, "%s", json_string_value(text));
	else if (len > 0)
		pg_adapter_fail(&ps->r, PG_FAIL_STREAM, "%.*s", (int)(len < 400 ? len : 400), data);
	else
		pg_adapter_fail(&ps->r, PG_FAIL_STREAM, "server sent an error event");
	json_decref(root);
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* pg_sse callback: one data event of the stream. Returns 1 to stop. */
static int on_sse_event(void *ctx, const char *event, const char *data, size_t len)
{
	openai_parse *ps = ctx;
	json_error_t jerr;
	json_t *root;

	if (ps->r.failed)
		return 1;
	if (ps->done)
		return 0; /* nothing after [DONE] matters */
	if (strcmp(event, "error") == 0) {
		handle_error_event(ps, data, len);
		return 1;
	}
	while (len > 0 && is_space(data[0])) {
		data++;
		len--;
	}
	while (len > 0 && is_space(data[len - 1]))
		len--;
	if (len == 0)
		return 0; /* an empty data event carries nothing: skip it */
	if (len == 6 && memcmp(data, "[DONE]", 6) == 0) {
		ps->done = 1;
		return 0;
	}
	root = json_loadb(data, len, 0, &jerr);
	if (!root) {
		pg_adapter_fail(&ps->r, PG_FAIL_PROTOCOL, "invalid JSON in stream: %s", jerr.text);
		return 1;
	}
	handle_chunk(ps, root);
	json_decref(root);
	return ps->r.failed ? 1 : 0;
}

/* ---- whole JSON responses ----------------------------------------------- */

static void finish_json(openai_parse *ps)
{
	char msg[PG_ADAPTER_FAIL_MSG_MAX];
	json_t *root;
	const json_t *choices;
	int mc;

	root = pg_adapter_body_json(&ps->r, 0);
	if (!root)
		return;
	if (!json_is_object(root)) {
		pg_adapter_fail(&ps->r, PG_FAIL_PROTOCOL, "response is not a JSON object");
		goto done;
	}
	if (pg_openai_error_message(root, msg, sizeof(msg))) {
		pg_adapter_fail(&ps->r, PG_FAIL_STREAM, "%s", msg);
		goto done;
	}
	choices = json_object_get(root, "choices");
	if (!json_is_array(choices) || json_array_size(choices) == 0) {
		pg_adapter_fail(&ps->r, PG_FAIL_PROTOCOL,
				"response has neither choices nor an error");
		goto done;
	}
	mc = json_is_object(json_array_get(choices, 0))
		 ? ps->flavor->message_content(json_array_get(choices, 0))
		 : -1;
	if (mc < 0) {
		pg_adapter_fail(&ps->r, PG_FAIL_PROTOCOL, "response has no %s",
				ps->flavor->content_path);
		goto done;
	}
	/* A well-formed answer whose content is empty (e.g. the model stopped
	 * at once) is a success without content, as in a stream. */
	if (mc > 0) {
		pg_adapter_content(&ps->r, NULL, 1);
		report_text(ps, json_array_get(choices, 0), 0);
	}
	report_usage(ps, root);
done:
	json_decref(root);
}

/* ---- parse operations --------------------------------------------------- */

int pg_openai_parse_begin(void *vinst, void **out_state, int http_status, const char *content_type,
			  int streamed)
{
	openai_inst *in = vinst;
	openai_parse *ps;

	(void)http_status; /* only 2xx responses are parsed */
	*out_state = NULL;
	ps = in->host->calloc(1, sizeof(*ps));
	if (!ps)
		goto oom;
	ps->r.host = in->host;
	ps->flavor = in->flavor;
	/* The Content-Type decides; without a recognisable one, what the
	 * request asked for does. */
	if (content_type && pg_adapter_media_type_is(content_type, "text/event-stream"))
		ps->sse_mode = 1;
	else if (content_type && pg_adapter_media_type_is_json(content_type))
		ps->sse_mode = 0;
	else
		ps->sse_mode = streamed != 0;
	if (ps->sse_mode) {
		ps->sse = pg_sse_new(PG_OPENAI_MAX_SSE_LINE);
		if (!ps->sse)
			goto oom;
	}
	*out_state = ps;
	return 0;
oom:
	pg_openai_parse_free(ps);
	in->host->set_error("%s: out of memory", in->flavor->name);
	return PG_ENOMEM;
}

int pg_openai_parse_data(void *state, const char *data, size_t len, const pg_response_sink *sink)
{
	openai_parse *ps = state;
	int rc;

	ps->r.sink = sink;
	if (ps->r.failed || len == 0)
		return 0;
	if (!ps->sse_mode)
		return pg_adapter_append_body(&ps->r, data, len, PG_OPENAI_MAX_BODY,
					      ps->flavor->name);
	rc = pg_sse_feed(ps->sse, data, len, on_sse_event, ps);
	/* The callback returns only 0 or 1, so -1 is the parser's own cap. */
	if (rc == -1)
		pg_adapter_fail(&ps->r, PG_FAIL_PROTOCOL, "SSE line or event longer than %zu bytes",
				PG_OPENAI_MAX_SSE_LINE);
	return 0;
}

int pg_openai_parse_end(void *state, const pg_response_sink *sink)
{
	openai_parse *ps = state;
	int cut;

	ps->r.sink = sink;
	if (ps->r.failed)
		return 0;
	if (!ps->sse_mode) {
		finish_json(ps);
		return 0;
	}
	cut = pg_sse_finish(ps->sse);
	/*
	 * A stream normally ends with "data: [DONE]". Some servers omit it, so
	 * a stream that delivered a finish_reason is accepted without it; one
	 * with neither was cut short.
	 */
	if (!ps->done && !ps->finish_seen)
		pg_adapter_fail(&ps->r, PG_FAIL_PROTOCOL, "stream ended before [DONE]%s",
				cut ? " (inside an event)" : "");
	return 0;
}

void pg_openai_parse_free(void *state)
{
	openai_parse *ps = state;

	if (!ps)
		return;
	pg_sse_free(ps->sse);
	pg_adapter_reply_release(&ps->r);
	ps->r.host->free(ps);
}
