/*
 * kserve-v2: the KServe / Open Inference Protocol v2 REST API (Triton,
 * KServe, Seldon MLServer) and Triton's generate extension. The target URL
 * is the server root (http://127.0.0.1:8000) and target.model names the
 * model.
 *
 * Default: POST /v2/models/{model}/infer with the prompt as a BYTES input
 * tensor, {"inputs": [{"name": "text_input", "shape": [1], "datatype":
 * "BYTES", "data": [PROMPT]}], "parameters": {"max_tokens": N}}. The answer
 * is {"outputs": [{"name": "text_output", "datatype": "BYTES", "data":
 * [TEXT]}, ...]}: one content event for the whole text. The infer endpoint
 * does not stream, so a workload's `stream` is ignored in this mode.
 *
 * `generate: true`: Triton's generate extension, POST
 * /v2/models/{model}/generate ({"text_input": PROMPT, "parameters":
 * {"max_tokens": N, "stream": false}} → {"text_output": TEXT, ...}) or, for
 * streamed work items, /generate_stream, whose Server-Sent Events each carry
 * a {"text_output": PIECE, ...} object (one content event per non-empty
 * piece). A generate stream has no end marker: it ends with the body.
 *
 * Token counts are reported when the model returns num_input_tokens and
 * num_output_tokens (Triton's vLLM backend, asked with `token_counts:
 * true`); in a stream num_output_tokens counts each response's tokens and
 * is summed. Errors are {"error": "..."}: as an HTTP error body (classified
 * by the engine) or as an event or body of a 200 answer (a stream failure).
 *
 * Chat messages are rendered as "role: content" lines followed by
 * "assistant:", a plain prompt without a chat template.
 */
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "adapter_util.h"
#include "perfgate/plugin.h"
#include "sse.h"

#define KS_MAX_SSE_LINE ((size_t)8 * 1024 * 1024) /* one SSE line or event */
#define KS_MAX_BODY ((size_t)64 * 1024 * 1024)	  /* a whole JSON body */
#define KS_MAX_PROMPT ((size_t)64 * 1024 * 1024)  /* a prompt rendered from messages */
#define KS_MAX_DEPTH 8				  /* nesting of tensor data arrays */

/* What one response holds. */
typedef enum ks_kind {
	KS_INFER = 0,	 /* an inference response with outputs[] */
	KS_GENERATE = 1, /* one generate response object */
	KS_STREAM = 2	 /* generate_stream events */
} ks_kind;

typedef struct ks_inst {
	const pg_host_api *host;
	int generate;	       /* 1: the generate extension, 0: /infer */
	char *url_whole;       /* /infer or /generate */
	char *url_stream;      /* /generate_stream (generate mode) */
	char *input_name;      /* input tensor (infer) or request field (generate) */
	char *output_name;     /* output tensor or response field */
	char *max_tokens_name; /* NULL: the limit is not sent */
	int params_as_inputs;  /* 1: settings as input tensors / top-level fields */
	int batch_dim;	       /* 1: tensor shapes [1, 1] */
	int token_counts;      /* ask for num_input_tokens / num_output_tokens */
} ks_inst;

typedef struct ks_parse {
	pg_adapter_reply r; /* sink, failure state, body capped at KS_MAX_BODY */
	const ks_inst *inst;
	ks_kind kind;
	pg_sse *sse;
	int events;	    /* stream events seen */
	int64_t in_tokens;  /* reported num_input_tokens, -1: none */
	int64_t out_tokens; /* sum of reported num_output_tokens, -1: none */
} ks_parse;

/* ---- instance ----------------------------------------------------------- */

static void ks_destroy(void *vinst)
{
	ks_inst *in = vinst;

	if (!in)
		return;
	in->host->free(in->url_whole);
	in->host->free(in->url_stream);
	in->host->free(in->input_name);
	in->host->free(in->output_name);
	in->host->free(in->max_tokens_name);
	in->host->free(in);
}

/* Percent-encodes s for one path segment (RFC 3986 unreserved characters
 * stay) and appends it at *pos of buf, which has room for 3 * strlen(s). */
static void append_segment(char *buf, size_t *pos, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			buf[(*pos)++] = (char)c;
		} else {
			buf[(*pos)++] = '%';
			buf[(*pos)++] = hex[c >> 4];
			buf[(*pos)++] = hex[c & 15];
		}
	}
}

/* base (trailing slashes dropped) + /v2/models/{model}[/versions/{v}] +
 * suffix, allocated with host->alloc. */
static char *model_url(const pg_host_api *host, const char *base, const char *model,
		       const char *version, const char *suffix)
{
	size_t blen = strlen(base), pos, need;
	char *p;

	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	need = blen + sizeof("/v2/models/") + 3 * strlen(model) + sizeof("/versions/") +
	       (version ? 3 * strlen(version) : 0) + strlen(suffix) + 1;
	p = host->alloc(need);
	if (!p)
		return NULL;
	memcpy(p, base, blen);
	pos = blen;
	memcpy(p + pos, "/v2/models/", sizeof("/v2/models/") - 1);
	pos += sizeof("/v2/models/") - 1;
	append_segment(p, &pos, model);
	if (version) {
		memcpy(p + pos, "/versions/", sizeof("/versions/") - 1);
		pos += sizeof("/versions/") - 1;
		append_segment(p, &pos, version);
	}
	memcpy(p + pos, suffix, strlen(suffix));
	pos += strlen(suffix);
	p[pos] = '\0';
	return p;
}

static int ks_create(void **out_inst, const pg_host_api *host, const pg_options *opts,
		     const pg_target_info *target)
{
	const char *iname = NULL, *oname = NULL, *mname = NULL, *pin = NULL, *version = NULL;
	ks_inst *in = NULL;
	int rc = PG_EINVAL;

	*out_inst = NULL;
	if (!target || !target->url || !target->url[0]) {
		host->set_error("kserve-v2: the target has no URL");
		return PG_EINVAL;
	}
	if (!target->model || !target->model[0]) {
		host->set_error("kserve-v2: target.model is required (it names the model in "
				"/v2/models/{model}/infer)");
		return PG_EINVAL;
	}
	rc = PG_ENOMEM;
	in = host->calloc(1, sizeof(*in));
	if (!in)
		goto oom;
	in->host = host;
	if (opts) {
		in->generate = host->opt_bool(opts, "generate") != 0;
		iname = host->opt_string(opts, "input_name");
		oname = host->opt_string(opts, "output_name");
		mname = host->opt_string(opts, "max_tokens_name");
		pin = host->opt_string(opts, "params_in");
		version = host->opt_string(opts, "model_version");
		in->batch_dim = host->opt_bool(opts, "batch_dim") != 0;
		in->token_counts = host->opt_bool(opts, "token_counts") != 0;
	}
	if (pin && strcmp(pin, "parameters") != 0 && strcmp(pin, "inputs") != 0) {
		host->set_error("kserve-v2: option params_in is '%s'; it must be parameters or "
				"inputs",
				pin);
		rc = PG_EINVAL;
		goto done;
	}
	in->params_as_inputs = pin && strcmp(pin, "inputs") == 0;
	if (version && !version[0])
		version = NULL;
	in->url_whole = model_url(host, target->url, target->model, version,
				  in->generate ? "/generate" : "/infer");
	if (!in->url_whole)
		goto oom;
	if (in->generate) {
		in->url_stream =
		    model_url(host, target->url, target->model, version, "/generate_stream");
		if (!in->url_stream)
			goto oom;
	}
	in->input_name = host->strdup(iname && iname[0] ? iname : "text_input");
	in->output_name = host->strdup(oname && oname[0] ? oname : "text_output");
	if (!in->input_name || !in->output_name)
		goto oom;
	if (!mname)
		mname = "max_tokens";
	if (mname[0]) {
		in->max_tokens_name = host->strdup(mname);
		if (!in->max_tokens_name)
			goto oom;
	}
	*out_inst = in;
	in = NULL;
	rc = 0;
	goto done;
oom:
	host->set_error("kserve-v2: out of memory");
	rc = PG_ENOMEM;
done:
	ks_destroy(in);
	return rc;
}

/* ---- requests ----------------------------------------------------------- */

/* A one-element input tensor {"name", "shape", "datatype", "data": [v]};
 * takes the reference to v. NULL when out of memory. */
static json_t *tensor(const ks_inst *in, const char *name, const char *datatype, json_t *v)
{
	json_t *t = json_object(), *shape = json_array(), *data = json_array();
	int rc;

	if (!t || !shape || !data || !v)
		goto fail;
	rc = json_array_append_new(data, v);
	v = NULL; /* append_new took it, or released it on failure */
	if (rc < 0)
		goto fail;
	if (json_array_append_new(shape, json_integer(1)) < 0 ||
	    (in->batch_dim && json_array_append_new(shape, json_integer(1)) < 0))
		goto fail;
	if (pg_adapter_put(t, "name", json_string(name)) < 0 ||
	    pg_adapter_put(t, "datatype", json_string(datatype)) < 0)
		goto fail;
	if (pg_adapter_put(t, "shape", shape) < 0) {
		shape = NULL;
		goto fail;
	}
	shape = NULL;
	if (pg_adapter_put(t, "data", data) < 0) {
		data = NULL;
		goto fail;
	}
	return t;
fail:
	json_decref(v);
	json_decref(shape);
	json_decref(data);
	json_decref(t);
	return NULL;
}

/* Adds one setting: under parameters, as an input tensor (infer) or as a
 * top-level field (generate), per params_in. Takes the reference to v. */
static int add_setting(const ks_inst *in, json_t *body, json_t *params, json_t *inputs,
		       const char *name, const char *datatype, json_t *v)
{
	if (!in->params_as_inputs)
		return pg_adapter_put(params, name, v);
	if (in->generate)
		return pg_adapter_put(body, name, v);
	return json_array_append_new(inputs, tensor(in, name, datatype, v)) == 0 ? 0 : -1;
}

static int ks_build(void *vinst, const pg_work_item *item, pg_request *out)
{
	ks_inst *in = vinst;
	const pg_host_api *host = in->host;
	json_t *body = NULL, *params = NULL, *inputs = NULL, *text = NULL;
	int stream = in->generate && item->stream;
	const char *url = stream ? in->url_stream : in->url_whole;
	int rc;

	memset(out, 0, sizeof(*out));
	if (item->messages_json) {
		rc = pg_adapter_render_chat_prompt(&text, host, "kserve-v2", item->messages_json,
						   KS_MAX_PROMPT);
		if (rc < 0)
			return rc;
	} else if (item->prompt) {
		text = json_string(item->prompt);
		if (!text) {
			host->set_error("kserve-v2: the prompt is not valid UTF-8");
			return PG_EINVAL;
		}
	} else {
		host->set_error("kserve-v2: the work item has neither a prompt nor messages");
		return PG_EINVAL;
	}
	if (in->max_tokens_name && !in->generate && in->params_as_inputs &&
	    item->max_tokens > INT32_MAX) {
		json_decref(text);
		host->set_error("kserve-v2: max_tokens %lld does not fit an INT32 input tensor",
				(long long)item->max_tokens);
		return PG_ERANGE;
	}
	rc = PG_ENOMEM;
	body = json_object();
	params = json_object();
	inputs = json_array();
	if (!body || !params || !inputs)
		goto oom;
	if (in->generate) {
		rc = pg_adapter_put(body, in->input_name, text);
	} else {
		rc = json_array_append_new(inputs, tensor(in, in->input_name, "BYTES", text));
	}
	text = NULL; /* taken or released */
	if (rc < 0)
		goto oom;
	if (in->max_tokens_name && item->max_tokens > 0 &&
	    add_setting(in, body, params, inputs, in->max_tokens_name, "INT32",
			json_integer((json_int_t)item->max_tokens)) < 0)
		goto oom;
	if (in->generate &&
	    add_setting(in, body, params, inputs, "stream", "BOOL", json_boolean(stream)) < 0)
		goto oom;
	if (in->token_counts && (add_setting(in, body, params, inputs, "return_num_input_tokens",
					     "BOOL", json_true()) < 0 ||
				 add_setting(in, body, params, inputs, "return_num_output_tokens",
					     "BOOL", json_true()) < 0))
		goto oom;
	if (!in->generate) {
		rc = pg_adapter_put(body, "inputs", inputs);
		inputs = NULL; /* set_new took (or released) it */
		if (rc < 0)
			goto oom;
	}
	if (json_object_size(params) > 0) {
		rc = pg_adapter_put(body, "parameters", params);
		params = NULL;
		if (rc < 0)
			goto oom;
	}
	if (pg_adapter_post_json(out, host, url, body, 0,
				 stream ? "text/event-stream" : "application/json") < 0)
		goto oom;
	rc = 0;
	goto done;
oom:
	host->set_error("kserve-v2: out of memory building a request");
	rc = PG_ENOMEM;
done:
	json_decref(text);
	json_decref(inputs);
	json_decref(params);
	json_decref(body);
	return rc;
}

/* ---- response events ---------------------------------------------------- */

/* If root is an error object, reports a stream failure and returns 1. */
static int check_error(ks_parse *ps, const json_t *root)
{
	const json_t *err = json_object_get(root, "error");

	if (!err || json_is_null(err))
		return 0;
	if (json_is_object(err))
		err = json_object_get(err, "message");
	if (pg_adapter_nonempty_string(err))
		pg_adapter_fail(&ps->r, PG_FAIL_STREAM, "%s", json_string_value(err));
	else
		pg_adapter_fail(&ps->r, PG_FAIL_STREAM,
				"server sent an error object without a message");
	return 1;
}

/* The first element of tensor data, which may be nested row-major arrays
 * or (in generate responses) a bare scalar. NULL when there is none. */
static const json_t *first_element(const json_t *v)
{
	for (int depth = 0; json_is_array(v) && depth < KS_MAX_DEPTH; depth++)
		v = json_array_get(v, 0);
	return json_is_array(v) ? NULL : v;
}

/* A token count from tensor data; -1 when absent or not a count. */
static int64_t count_of(const json_t *data)
{
	const json_t *v = first_element(data);

	if (json_is_integer(v) && json_integer_value(v) >= 0)
		return (int64_t)json_integer_value(v);
	return -1;
}

/* Folds one response's token counts in and reports the totals so far. The
 * output count is summed: a stream reports each response's own tokens. */
static void report_counts(ks_parse *ps, int64_t in_tok, int64_t out_tok)
{
	if (in_tok < 0 && out_tok < 0)
		return;
	if (in_tok >= 0)
		ps->in_tokens = in_tok;
	if (out_tok >= 0)
		ps->out_tokens = (ps->out_tokens < 0 ? 0 : ps->out_tokens) + out_tok;
	pg_adapter_usage(&ps->r, ps->in_tokens, ps->out_tokens);
}

/* A piece of generated text: one content event (tokens: the response's
 * token count when known) and the text, when non-empty. */
static void report_text(ks_parse *ps, const json_t *text, int64_t tokens)
{
	if (json_string_length(text) > 0)
		pg_adapter_content(&ps->r, text, tokens > 0 ? tokens : 1);
}

/* An inference response: {"outputs": [{"name", "data"}, ...]}. */
static void handle_infer(ks_parse *ps, const json_t *root)
{
	const json_t *outputs = json_object_get(root, "outputs"), *chosen = NULL, *text;
	int64_t in_tok = -1, out_tok = -1;

	if (!json_is_array(outputs) || json_array_size(outputs) == 0) {
		pg_adapter_fail(&ps->r, PG_FAIL_PROTOCOL,
				"response has neither outputs nor an error");
		return;
	}
	for (size_t i = 0; i < json_array_size(outputs); i++) {
		const json_t *o = json_array_get(outputs, i);
		const char *name = json_string_value(json_object_get(o, "name"));

		if (!json_is_object(o) || !name)
			continue;
		if (strcmp(name, ps->inst->output_name) == 0)
			chosen = o;
		else if (strcmp(name, "num_input_tokens") == 0)
			in_tok = count_of(json_object_get(o, "data"));
		else if (strcmp(name, "num_output_tokens") == 0)
			out_tok = count_of(json_object_get(o, "data"));
	}
	/* A model with one output needs no output_name. */
	if (!chosen && json_array_size(outputs) == 1 && json_is_object(json_array_get(outputs, 0)))
		chosen = json_array_get(outputs, 0);
	if (!chosen) {
		pg_adapter_fail(&ps->r, PG_FAIL_PROTOCOL, "response has no output named '%s'",
				ps->inst->output_name);
		return;
	}
	text = first_element(json_object_get(chosen, "data"));
	if (!json_is_string(text)) {
		pg_adapter_fail(&ps->r, PG_FAIL_PROTOCOL, "output '%s' has no string data",
				ps->inst->output_name);
		return;
	}
	report_text(ps, text, out_tok);
	report_counts(ps, in_tok, out_tok);
}

/* A generate response (whole, or one stream event): {"text_output": ...}.
 * whole: the text field must be there. */
static void handle_generate(ks_parse *ps, const json_t *root, int whole)
{
	const json_t *field = json_object_get(root, ps->inst->output_name);
	const json_t *text = first_element(field);
	int64_t out_tok = count_of(json_object_get(root, "num_output_tokens"));

	if (field && !json_is_string(text)) {
		pg_adapter_fail(&ps->r, PG_FAIL_PROTOCOL, "%s is not a string",
				ps->inst->output_name);
		return;
	}
	if (!field && whole) {
		pg_adapter_fail(&ps->r, PG_FAIL_PROTOCOL, "response has neither %s nor an error",
				ps->inst->output_name);
		return;
	}
	if (text)
		report_text(ps, text, out_tok);
	report_counts(ps, count_of(json_object_get(root, "num_input_tokens")), out_tok);
}

/* ---- streamed responses ------------------------------------------------- */

/* pg_sse callback: one generate_stream event. Returns 1 to stop. */
static int on_sse_event(void *ctx, const char *event, const char *data, size_t len)
{
	ks_parse *ps = ctx;
	json_error_t jerr;
	json_t *root;

	if (ps->r.failed)
		return 1;
	ps->events++;
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
	if (!json_is_object(root))
		pg_adapter_fail(&ps->r, PG_FAIL_PROTOCOL, "stream event is not a JSON object");
	else if (!check_error(ps, root))
		handle_generate(ps, root, 0);
	json_decref(root);
	return ps->r.failed ? 1 : 0;
}

/* ---- whole JSON responses ----------------------------------------------- */

static void finish_json(ks_parse *ps)
{
	json_t *root;

	root = pg_adapter_body_json(&ps->r, 0);
	if (!root)
		return;
	if (!json_is_object(root))
		pg_adapter_fail(&ps->r, PG_FAIL_PROTOCOL, "response is not a JSON object");
	else if (!check_error(ps, root) && ps->kind == KS_INFER)
		handle_infer(ps, root);
	else if (!ps->r.failed)
		handle_generate(ps, root, 1);
	json_decref(root);
}

/* ---- parse operations --------------------------------------------------- */

static void ks_parse_free(void *state)
{
	ks_parse *ps = state;

	if (!ps)
		return;
	pg_sse_free(ps->sse);
	pg_adapter_reply_release(&ps->r);
	ps->r.host->free(ps);
}

static int ks_parse_begin(void *vinst, void **out_state, int http_status, const char *content_type,
			  int streamed)
{
	ks_inst *in = vinst;
	ks_parse *ps;

	(void)http_status; /* only 2xx responses are parsed */
	*out_state = NULL;
	ps = in->host->calloc(1, sizeof(*ps));
	if (!ps)
		goto oom;
	ps->r.host = in->host;
	ps->inst = in;
	ps->in_tokens = ps->out_tokens = -1;
	/* /infer never streams. For generate the Content-Type decides; without
	 * one, what the request asked for. */
	if (!in->generate)
		ps->kind = KS_INFER;
	else if (content_type && pg_adapter_media_type_is(content_type, "text/event-stream"))
		ps->kind = KS_STREAM;
	else if (content_type && pg_adapter_media_type_is(content_type, "application/json"))
		ps->kind = KS_GENERATE;
	else
		ps->kind = streamed ? KS_STREAM : KS_GENERATE;
	if (ps->kind == KS_STREAM) {
		ps->sse = pg_sse_new(KS_MAX_SSE_LINE);
		if (!ps->sse)
			goto oom;
	}
	*out_state = ps;
	return 0;
oom:
	ks_parse_free(ps);
	in->host->set_error("kserve-v2: out of memory");
	return PG_ENOMEM;
}

static int ks_parse_data(void *state, const char *data, size_t len, const pg_response_sink *sink)
{
	ks_parse *ps = state;

	ps->r.sink = sink;
	if (ps->r.failed || len == 0)
		return 0;
	if (ps->kind != KS_STREAM)
		return pg_adapter_append_body(&ps->r, data, len, KS_MAX_BODY, "kserve-v2");
	/* The callback returns only 0 or 1, so -1 is the parser's own cap. */
	if (pg_sse_feed(ps->sse, data, len, on_sse_event, ps) == -1)
		pg_adapter_fail(&ps->r, PG_FAIL_PROTOCOL, "SSE line or event longer than %zu bytes",
				KS_MAX_SSE_LINE);
	return 0;
}

static int ks_parse_end(void *state, const pg_response_sink *sink)
{
	ks_parse *ps = state;
	int cut;

	ps->r.sink = sink;
	if (ps->r.failed)
		return 0;
	if (ps->kind != KS_STREAM) {
		finish_json(ps);
		return 0;
	}
	/* A generate stream has no end marker; only a stream cut inside an
	 * event, or one without any event, is known to be incomplete. */
	cut = pg_sse_finish(ps->sse);
	if (cut)
		pg_adapter_fail(&ps->r, PG_FAIL_PROTOCOL, "stream ended inside an event");
	else if (ps->events == 0)
		pg_adapter_fail(&ps->r, PG_FAIL_PROTOCOL, "stream ended without any event");
	return 0;
}

/* ---- descriptor --------------------------------------------------------- */

static const pg_option_spec ks_options[] = {
    {"generate", PG_OPT_BOOL, "false", NULL, 0, 0,
     "use Triton's generate extension (/generate, and /generate_stream when streaming) "
     "instead of /infer"},
    {"input_name", PG_OPT_STRING, "text_input", NULL, 0, 0,
     "input tensor (infer) or request field (generate) carrying the prompt"},
    {"output_name", PG_OPT_STRING, "text_output", NULL, 0, 0,
     "output tensor (infer) or response field (generate) carrying the generated text"},
    {"max_tokens_name", PG_OPT_STRING, "max_tokens", NULL, 0, 0,
     "name of the output token limit setting; empty: the limit is not sent"},
    {"params_in", PG_OPT_STRING, "parameters", NULL, 0, 0,
     "where settings go: parameters (the request's parameters object) or inputs (input "
     "tensors for infer, top-level fields for generate, as TensorRT-LLM ensembles take them)"},
    {"batch_dim", PG_OPT_BOOL, "false", NULL, 0, 0,
     "input tensors get a leading batch dimension, shape [1, 1] (models with max_batch_size > 0)"},
    {"token_counts", PG_OPT_BOOL, "false", NULL, 0, 0,
     "ask for return_num_input_tokens / return_num_output_tokens (Triton's vLLM backend) "
     "so token counts come from the server"},
    {"model_version", PG_OPT_STRING, NULL, NULL, 0, 0,
     "model version for /v2/models/{model}/versions/{version}/...; unset: the server's choice"},
    {0},
};

static const pg_adapter_ops ks_ops = {
    .create = ks_create,
    .destroy = ks_destroy,
    .build = ks_build,
    .parse_begin = ks_parse_begin,
    .parse_data = ks_parse_data,
    .parse_end = ks_parse_end,
    .parse_free = ks_parse_free,
};

static const pg_plugin_desc ks_desc = {
    PG_PLUGIN_DESC_INIT(PG_PLUGIN_ADAPTER, "kserve-v2"),
    .version = "1.0.0",
    .description = "KServe / Open Inference Protocol v2 (POST {root}/v2/models/{model}/infer) "
		   "and Triton's generate extension",
    .options = ks_options,
    .ops = &ks_ops,
};

PG_PLUGIN_EXPORT(kserve_v2, ks_desc)
