/*
 * openai-embeddings: the OpenAI Embeddings API (POST {base}/embeddings), as
 * served by OpenAI, vLLM, TEI, Ollama and others. The request's "input" is
 * the work item's prompt, or its messages' contents joined with newlines.
 *
 * Responses are never streamed: the whole JSON body is buffered (capped)
 * and checked at the end. A success has a non-empty data[0].embedding whose
 * first and last elements are numbers (a base64 string when the
 * encoding_format option asks for another encoding); it is reported as one
 * content event, so ttft equals e2e. usage.prompt_tokens is reported as
 * the input tokens and the output tokens are 0: an embedding generates no
 * tokens. An error object is a stream failure, anything else malformed a
 * protocol failure. Everything the server sends is untrusted.
 */
#include <stdio.h>
#include <string.h>

#include "adapter_util.h"
#include "json_path.h"
#include "openai_common.h"

#define EMB_NAME "openai-embeddings"
/* Largest response body buffered (an embedding of 3072 floats is ~70 KB). */
#define EMB_MAX_BODY ((size_t)64 * 1024 * 1024)
/* Largest input text built from a work item's messages. */
#define EMB_MAX_INPUT ((size_t)64 * 1024 * 1024)
/* Elements of the embedding checked to be numbers, besides the last. */
#define EMB_CHECKED 8

typedef struct emb_inst {
	const pg_host_api *host;
	char *url;
	char *model;	       /* NULL: not sent */
	char *encoding_format; /* NULL: not sent */
	int64_t dimensions;    /* > 0: sent */
	int string_ok;	       /* an encoding other than float: the embedding is a string */
} emb_inst;

typedef struct emb_parse {
	pg_adapter_reply r; /* sink, failure state, body capped at EMB_MAX_BODY */
	int string_ok;
} emb_parse;

/* ---- instance ----------------------------------------------------------- */

static void emb_destroy(void *vinst)
{
	emb_inst *in = vinst;

	if (!in)
		return;
	in->host->free(in->url);
	in->host->free(in->model);
	in->host->free(in->encoding_format);
	in->host->free(in);
}

static int emb_create(void **out_inst, const pg_host_api *host, const pg_options *opts,
		      const pg_target_info *target)
{
	emb_inst *in = NULL;
	const char *path = NULL, *fmt = NULL;
	int rc = PG_ENOMEM;

	*out_inst = NULL;
	if (!target || !target->url || !target->url[0]) {
		host->set_error(EMB_NAME ": the target has no URL");
		return PG_EINVAL;
	}
	in = host->calloc(1, sizeof(*in));
	if (!in)
		goto oom;
	in->host = host;
	if (opts) {
		path = host->opt_string(opts, "path");
		fmt = host->opt_string(opts, "encoding_format");
		in->dimensions = host->opt_int(opts, "dimensions");
	}
	rc = pg_adapter_join_url(&in->url, host, target->url, path ? path : "/embeddings");
	if (rc < 0)
		goto done;
	rc = PG_ENOMEM;
	if (target->model && !(in->model = host->strdup(target->model)))
		goto oom;
	if (fmt && fmt[0]) {
		json_t *probe = json_string(fmt);

		if (!probe) {
			host->set_error(EMB_NAME ": option 'encoding_format' is not valid UTF-8");
			rc = PG_EINVAL;
			goto done;
		}
		json_decref(probe);
		in->encoding_format = host->strdup(fmt);
		if (!in->encoding_format)
			goto oom;
		in->string_ok = strcmp(fmt, "float") != 0;
	}
	*out_inst = in;
	in = NULL;
	rc = 0;
	goto done;
oom:
	host->set_error(EMB_NAME ": out of memory");
	rc = PG_ENOMEM;
done:
	emb_destroy(in);
	return rc;
}

/* ---- requests ----------------------------------------------------------- */

/* The "input" string: the prompt, or the messages' contents joined. */
static int make_input(json_t **out, const pg_host_api *host, const pg_work_item *item)
{
	json_error_t jerr;
	json_t *messages;
	char *text = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if (item->prompt) {
		*out = json_string(item->prompt);
		if (!*out) {
			host->set_error(EMB_NAME ": the prompt is not valid UTF-8");
			return PG_EINVAL;
		}
		return 0;
	}
	if (!item->messages_json) {
		host->set_error(EMB_NAME ": the work item has neither a prompt nor messages");
		return PG_EINVAL;
	}
	messages = json_loads(item->messages_json, 0, &jerr);
	if (!messages) {
		host->set_error(EMB_NAME ": messages_json is not valid JSON: %s", jerr.text);
		return PG_EINVAL;
	}
	rc = pg_json_messages_text(&text, &len, messages, EMB_MAX_INPUT);
	json_decref(messages);
	if (rc == PG_EINVAL)
		host->set_error(EMB_NAME ": messages_json must be a JSON array of objects");
	else if (rc == PG_ELIMIT)
		host->set_error(EMB_NAME ": the messages' text is larger than %zu MiB",
				EMB_MAX_INPUT >> 20);
	else if (rc < 0)
		host->set_error(EMB_NAME ": out of memory building a request");
	if (rc < 0)
		return rc;
	*out = json_stringn(text, len); /* from valid JSON strings: valid UTF-8 */
	free(text);
	if (!*out) {
		host->set_error(EMB_NAME ": out of memory building a request");
		return PG_ENOMEM;
	}
	return 0;
}

/* {"model", "input", "dimensions"?, "encoding_format"?}; max_tokens and
 * stream do not apply to embeddings. */
static int emb_build(void *vinst, const pg_work_item *item, pg_request *out)
{
	emb_inst *in = vinst;
	const pg_host_api *host = in->host;
	json_t *body = NULL, *input = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = make_input(&input, host, item);
	if (rc < 0)
		return rc;
	rc = PG_ENOMEM;
	body = json_object();
	if (!body)
		goto oom;
	if (in->model && pg_adapter_put(body, "model", json_string(in->model)) < 0) {
		host->set_error(EMB_NAME ": the model name is not valid UTF-8");
		rc = PG_EINVAL;
		goto done;
	}
	rc = pg_adapter_put(body, "input", input);
	input = NULL; /* pg_adapter_put() took or released it */
	if (rc < 0)
		goto oom;
	if (in->dimensions > 0 &&
	    pg_adapter_put(body, "dimensions", json_integer((json_int_t)in->dimensions)) < 0)
		goto oom;
	if (in->encoding_format &&
	    pg_adapter_put(body, "encoding_format", json_string(in->encoding_format)) < 0)
		goto oom;
	if (pg_adapter_post_json(out, host, in->url, body, 0, "application/json") < 0)
		goto oom;
	rc = 0;
	goto done;
oom:
	host->set_error(EMB_NAME ": out of memory building a request");
	rc = PG_ENOMEM;
done:
	json_decref(input);
	json_decref(body);
	return rc;
}

/* ---- responses ---------------------------------------------------------- */

/* Whether emb is a plausible embedding: a non-empty array whose first
 * EMB_CHECKED elements and last element are numbers (the rest are not
 * walked: vectors are long), or a non-empty string when allowed. */
static int embedding_ok(const json_t *emb, int string_ok)
{
	size_t n;

	if (string_ok && json_is_string(emb))
		return json_string_length(emb) > 0;
	if (!json_is_array(emb) || (n = json_array_size(emb)) == 0)
		return 0;
	for (size_t i = 0; i < n && i < EMB_CHECKED; i++)
		if (!json_is_number(json_array_get(emb, i)))
			return 0;
	return json_is_number(json_array_get(emb, n - 1));
}

static void finish(emb_parse *ps)
{
	char msg[PG_ADAPTER_FAIL_MSG_MAX];
	json_t *root;
	const json_t *data, *usage, *tokens;
	int64_t in_tok = -1;

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
	data = json_object_get(root, "data");
	if (!json_is_array(data) || json_array_size(data) == 0) {
		pg_adapter_fail(&ps->r, PG_FAIL_PROTOCOL, "response has neither data nor an error");
		goto done;
	}
	if (!embedding_ok(json_object_get(json_array_get(data, 0), "embedding"), ps->string_ok)) {
		pg_adapter_fail(&ps->r, PG_FAIL_PROTOCOL,
				"data[0].embedding is not a non-empty array of numbers%s",
				ps->string_ok ? " or an encoded string" : "");
		goto done;
	}
	if (ps->r.sink && ps->r.sink->content)
		ps->r.sink->content(ps->r.sink->ctx, 1);
	usage = json_object_get(root, "usage");
	tokens = json_object_get(usage, "prompt_tokens");
	if (json_is_integer(tokens) && json_integer_value(tokens) >= 0)
		in_tok = (int64_t)json_integer_value(tokens);
	if (ps->r.sink && ps->r.sink->usage)
		ps->r.sink->usage(ps->r.sink->ctx, in_tok, 0);
done:
	json_decref(root);
}

static void emb_parse_free(void *state)
{
	emb_parse *ps = state;

	if (!ps)
		return;
	pg_adapter_reply_release(&ps->r);
	ps->r.host->free(ps);
}

static int emb_parse_begin(void *vinst, void **out_state, int http_status, const char *content_type,
			   int streamed)
{
	emb_inst *in = vinst;
	emb_parse *ps;

	(void)http_status;
	(void)content_type; /* always one JSON body, whatever it is labelled */
	(void)streamed;
	*out_state = NULL;
	ps = in->host->calloc(1, sizeof(*ps));
	if (!ps) {
		in->host->set_error(EMB_NAME ": out of memory");
		return PG_ENOMEM;
	}
	ps->r.host = in->host;
	ps->string_ok = in->string_ok;
	*out_state = ps;
	return 0;
}

static int emb_parse_data(void *state, const char *data, size_t len, const pg_response_sink *sink)
{
	emb_parse *ps = state;

	ps->r.sink = sink;
	if (ps->r.failed || len == 0)
		return 0;
	return pg_adapter_append_body(&ps->r, data, len, EMB_MAX_BODY, EMB_NAME);
}

static int emb_parse_end(void *state, const pg_response_sink *sink)
{
	emb_parse *ps = state;

	ps->r.sink = sink;
	if (!ps->r.failed)
		finish(ps);
	return 0;
}

/* clang-format off */
static const pg_option_spec emb_options[] = {
    {"path", PG_OPT_STRING, "/embeddings", NULL, 0, 0,
     "path appended to the target URL (the API base, e.g. http://host:8000/v1)"},
    {"dimensions", PG_OPT_INT, "0", NULL, 0, 1000000,
     "output dimensions to ask for (models that support it); 0 leaves it out"},
    {"encoding_format", PG_OPT_STRING, NULL, NULL, 0, 0,
     "\"float\" or \"base64\" (then the embedding is a string); unset leaves it out"},
    {0},
};
/* clang-format on */

static const pg_adapter_ops emb_ops = {
    .create = emb_create,
    .destroy = emb_destroy,
    .build = emb_build,
    .parse_begin = emb_parse_begin,
    .parse_data = emb_parse_data,
    .parse_end = emb_parse_end,
    .parse_free = emb_parse_free,
};

static const pg_plugin_desc emb_desc = {
    PG_PLUGIN_DESC_INIT(PG_PLUGIN_ADAPTER, EMB_NAME),
    .version = "1.0.0",
    .description = "OpenAI-compatible embeddings (POST {base}/embeddings); success is a "
		   "non-empty data[0].embedding",
    .options = emb_options,
    .ops = &emb_ops,
};

PG_PLUGIN_EXPORT(openai_embeddings, emb_desc)
