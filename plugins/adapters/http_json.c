/*
 * http-json: any model endpoint that takes a JSON request and answers JSON,
 * described by options instead of code.
 *
 * Requests: the `template` option is the request body with placeholders
 * {{prompt}}, {{max_tokens}}, {{model}} and {{messages}}. A placeholder
 * written outside a JSON string becomes a whole JSON value: the prompt and
 * model as quoted strings, max_tokens as a number, messages as the raw JSON
 * array; when the work item has no limit or the target no model, null. One
 * written inside a string literal ("Q: {{prompt}}") becomes the escaped
 * text without quotes (an empty text for a missing value). The prompt of a
 * messages item is its contents joined with newlines; the messages of a
 * prompt item are one user turn. The template is split into pieces once,
 * at create, and refused unless it is valid JSON once filled with sample
 * values (quotes, backslashes, newlines and non-ASCII text included).
 *
 * Responses: JSON paths (json_path.h) pick the text, token counts, an error
 * and a success flag out of the whole body, or out of every event of an
 * SSE stream or line of an NDJSON stream. Every event with non-empty text
 * is one content chunk (without text_path, every event is). A stream ends
 * with an SSE "[DONE]" data line or an event whose done_path is truthy;
 * with done_path set, a stream that ends without either is cut short.
 * Everything the server sends is untrusted: every value's type is checked
 * and every buffer is capped.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "perfgate/plugin.h"
#include "adapter_util.h"
#include "host_mem.h"
#include "json_path.h"
#include "ndjson.h"
#include "sse.h"

#define HJ_NAME "http-json"
#define HJ_MAX_TEMPLATE ((size_t)1024 * 1024)  /* template text or file */
#define HJ_MAX_BODY ((size_t)64 * 1024 * 1024) /* a request body or whole response */
#define HJ_MAX_EVENT ((size_t)8 * 1024 * 1024) /* one SSE event or NDJSON line */
#define HJ_MAX_MESSAGE 400		       /* bytes of an error value quoted */

typedef enum hj_mode { HJ_WHOLE = 0, HJ_SSE = 1, HJ_NDJSON = 2 } hj_mode;

typedef enum seg_kind {
	SEG_TEXT = 0,
	SEG_PROMPT,
	SEG_MAX_TOKENS,
	SEG_MODEL,
	SEG_MESSAGES,
	SEG_KIND_COUNT
} seg_kind;

static const char *const seg_names[SEG_KIND_COUNT] = {NULL, "prompt", "max_tokens", "model",
						      "messages"};

/* One piece of the template: literal text, or a placeholder. */
typedef struct hj_seg {
	seg_kind kind;
	int in_string; /* placeholder inside a JSON string literal */
	size_t off;    /* SEG_TEXT: the bytes of the template */
	size_t len;
} hj_seg;

/* A placeholder's value for one request, before rendering. */
typedef struct hj_values {
	const char *prompt; /* NUL-terminated; its length in prompt_len */
	size_t prompt_len;
	const char *model;    /* NULL: none */
	int64_t max_tokens;   /* <= 0: none */
	const char *messages; /* compact JSON array */
	size_t messages_len;
} hj_values;

typedef struct hj_inst {
	const pg_host_api *host;
	char *url;
	const char *method; /* static */
	char *model;	    /* NULL: none */
	char *tmpl;	    /* the template text */
	size_t tmpl_len;
	hj_seg *segs;
	size_t nsegs;
	hj_mode mode;
	pg_json_path *text_path; /* each may be NULL: not set */
	pg_json_path *out_tokens_path;
	pg_json_path *in_tokens_path;
	pg_json_path *error_path;
	pg_json_path *success_path;
	pg_json_path *done_path;
} hj_inst;

typedef struct hj_parse {
	pg_adapter_reply r; /* sink, failure state, HJ_WHOLE body */
	const hj_inst *in;
	hj_mode mode;
	pg_sse *sse;
	pg_ndjson *nd;
	int done;	  /* [DONE] or a truthy done_path arrived */
	long events;	  /* JSON events handled */
	int last_success; /* success_path was truthy in the last event */
} hj_parse;

/* ---- template ----------------------------------------------------------- */

/* The placeholder at t[i] ("{{ name }}"): its kind, or SEG_TEXT when t[i]
 * does not start one; *end is set past it. -1 for an unknown name. */
static int placeholder_at(size_t *end, const char *t, size_t len, size_t i, size_t *name_off,
			  size_t *name_len)
{
	size_t j = i + 2, k;

	if (i + 1 >= len || t[i] != '{' || t[i + 1] != '{')
		return SEG_TEXT;
	while (j < len && t[j] == ' ')
		j++;
	k = j;
	while (k < len && (t[k] == '_' || (t[k] >= 'a' && t[k] <= 'z') ||
			   (t[k] >= 'A' && t[k] <= 'Z') || (t[k] >= '0' && t[k] <= '9')))
		k++;
	*name_off = j;
	*name_len = k - j;
	while (k < len && t[k] == ' ')
		k++;
	if (*name_len == 0 || k + 1 >= len || t[k] != '}' || t[k + 1] != '}')
		return SEG_TEXT;
	*end = k + 2;
	for (int s = SEG_PROMPT; s < SEG_KIND_COUNT; s++)
		if (strlen(seg_names[s]) == *name_len &&
		    memcmp(seg_names[s], t + j, *name_len) == 0)
			return s;
	return -1;
}

/* Splits the template into literal text and placeholders, noting whether
 * each placeholder sits inside a JSON string literal. */
static int split_template(hj_inst *in, const char *opt)
{
	const pg_host_api *host = in->host;
	const char *t = in->tmpl;
	size_t len = in->tmpl_len, i = 0, text_start = 0, end = 0, noff = 0, nlen = 0;
	int in_str = 0;

	/* Every placeholder is at least 4 bytes: at most len / 4 of them,
	 * each with the text before it, plus the text at the end. */
	in->segs = host->calloc(len / 2 + 2, sizeof(*in->segs));
	if (!in->segs) {
		host->set_error(HJ_NAME ": out of memory");
		return PG_ENOMEM;
	}
	while (i < len) {
		int kind = placeholder_at(&end, t, len, i, &noff, &nlen);

		if (kind < 0) {
			host->set_error(HJ_NAME
					": option '%s': unknown placeholder '{{%.*s}}' (use "
					"{{prompt}}, {{max_tokens}}, {{model}} or {{messages}})",
					opt, (int)(nlen > 64 ? 64 : nlen), t + noff);
			return PG_EINVAL;
		}
		if (kind != SEG_TEXT) {
			if (i > text_start)
				in->segs[in->nsegs++] =
				    (hj_seg){SEG_TEXT, 0, text_start, i - text_start};
			in->segs[in->nsegs++] = (hj_seg){(seg_kind)kind, in_str, 0, 0};
			i = text_start = end;
			continue;
		}
		if (in_str && t[i] == '\\')
			i++; /* the escaped byte cannot end the string */
		else if (t[i] == '"')
			in_str = !in_str;
		i++;
	}
	if (len > text_start)
		in->segs[in->nsegs++] = (hj_seg){SEG_TEXT, 0, text_start, len - text_start};
	return 0;
}

/* A string as JSON ("quoted", escaped) into a host allocation the caller
 * owns. PG_EINVAL when s is not valid UTF-8. */
static int quote_string(char **out, size_t *out_len, const pg_host_api *host, const char *s,
			size_t n)
{
	json_t *v = json_stringn(s, n);
	size_t need;
	int rc = PG_ENOMEM;

	*out = NULL;
	if (!v)
		return PG_EINVAL;
	need = json_dumpb(v, NULL, 0, JSON_ENCODE_ANY);
	if (need >= 2 && (*out = host->alloc(need + 1)) != NULL &&
	    json_dumpb(v, *out, need, JSON_ENCODE_ANY) == need) {
		(*out)[need] = '\0';
		*out_len = need;
		rc = 0;
	} else {
		host->free(*out);
		*out = NULL;
	}
	json_decref(v);
	return rc;
}

/* How each placeholder renders for one request; host allocations freed by
 * rendered_free. */
typedef struct hj_rendered {
	const char *bare[SEG_KIND_COUNT]; /* outside a string: a JSON value */
	size_t bare_len[SEG_KIND_COUNT];
	char *quoted[SEG_KIND_COUNT]; /* inside a string: bare[] of the text, quoted */
	size_t quoted_len[SEG_KIND_COUNT];
	char num[24];
} hj_rendered;

static void rendered_free(const pg_host_api *host, hj_rendered *r)
{
	for (int s = 0; s < SEG_KIND_COUNT; s++)
		host->free(r->quoted[s]);
}

/* The bytes a placeholder expands to: a JSON value outside strings, the
 * escaped text between the quotes inside one. */
static void segment_bytes(const char **p, size_t *n, const hj_rendered *r, const hj_seg *seg)
{
	if (!seg->in_string) {
		*p = r->bare[seg->kind];
		*n = r->bare_len[seg->kind];
	} else if (r->quoted[seg->kind]) {
		*p = r->quoted[seg->kind] + 1; /* without the quotes */
		*n = r->quoted_len[seg->kind] - 2;
	} else {
		*p = "";
		*n = 0;
	}
}

/* Fills the template with v into a host allocation (*out, owned by the
 * caller). Returns PG_EINVAL for text that is not UTF-8, PG_ELIMIT past
 * HJ_MAX_BODY, PG_ENOMEM. */
static int render(char **out, size_t *out_len, const hj_inst *in, const hj_values *v)
{
	const pg_host_api *host = in->host;
	hj_rendered r;
	size_t total = 0, pos = 0, n;
	const char *p;
	char *body = NULL;
	int rc;

	*out = NULL;
	memset(&r, 0, sizeof(r));
	rc = quote_string(&r.quoted[SEG_PROMPT], &r.quoted_len[SEG_PROMPT], host, v->prompt,
			  v->prompt_len);
	if (rc == 0 && v->model)
		rc = quote_string(&r.quoted[SEG_MODEL], &r.quoted_len[SEG_MODEL], host, v->model,
				  strlen(v->model));
	if (rc == 0)
		rc = quote_string(&r.quoted[SEG_MESSAGES], &r.quoted_len[SEG_MESSAGES], host,
				  v->messages, v->messages_len);
	if (rc < 0)
		goto done;
	r.bare[SEG_PROMPT] = r.quoted[SEG_PROMPT];
	r.bare_len[SEG_PROMPT] = r.quoted_len[SEG_PROMPT];
	r.bare[SEG_MODEL] = r.quoted[SEG_MODEL] ? r.quoted[SEG_MODEL] : "null";
	r.bare_len[SEG_MODEL] = r.quoted[SEG_MODEL] ? r.quoted_len[SEG_MODEL] : 4;
	r.bare[SEG_MESSAGES] = v->messages;
	r.bare_len[SEG_MESSAGES] = v->messages_len;
	if (v->max_tokens > 0) {
		/* A number inside a string is its digits: quote them too. */
		snprintf(r.num, sizeof(r.num), "\"%lld\"", (long long)v->max_tokens);
		r.bare[SEG_MAX_TOKENS] = r.num + 1;
		r.bare_len[SEG_MAX_TOKENS] = strlen(r.num) - 2;
		r.quoted[SEG_MAX_TOKENS] = host->strdup(r.num);
		if (!r.quoted[SEG_MAX_TOKENS]) {
			rc = PG_ENOMEM;
			goto done;
		}
		r.quoted_len[SEG_MAX_TOKENS] = strlen(r.num);
	} else {
		r.bare[SEG_MAX_TOKENS] = "null";
		r.bare_len[SEG_MAX_TOKENS] = 4;
	}
	for (size_t i = 0; i < in->nsegs; i++) {
		if (in->segs[i].kind == SEG_TEXT)
			n = in->segs[i].len;
		else
			segment_bytes(&p, &n, &r, &in->segs[i]);
		if (n > HJ_MAX_BODY - total) {
			rc = PG_ELIMIT;
			goto done;
		}
		total += n;
	}
	rc = PG_ENOMEM;
	body = host->alloc(total + 1);
	if (!body)
		goto done;
	for (size_t i = 0; i < in->nsegs; i++) {
		if (in->segs[i].kind == SEG_TEXT) {
			p = in->tmpl + in->segs[i].off;
			n = in->segs[i].len;
		} else {
			segment_bytes(&p, &n, &r, &in->segs[i]);
		}
		memcpy(body + pos, p, n);
		pos += n;
	}
	body[total] = '\0';
	*out = body;
	*out_len = total;
	rc = 0;
done:
	rendered_free(host, &r);
	return rc;
}

/* Refuses a template that is not valid JSON once filled with sample values,
 * with max_tokens and model set and unset. */
static int check_template(const hj_inst *in, const char *opt)
{
	static const char sample_prompt[] =
	    "Say \"hi\" \\ to\n\tcaf\xc3\xa9 \xe2\x9c\x93 \x01 </x>";
	static const char sample_messages[] =
	    "[{\"role\":\"user\",\"content\":\"Say \\\"hi\\\"\\n\"}]";
	hj_values v = {.prompt = sample_prompt,
		       .prompt_len = sizeof(sample_prompt) - 1,
		       .model = "sample-model",
		       .max_tokens = 16,
		       .messages = sample_messages,
		       .messages_len = sizeof(sample_messages) - 1};
	json_error_t jerr;
	char *body = NULL;
	size_t len = 0;
	int rc;

	for (int round = 0; round < 2; round++) {
		if (round == 1) {
			v.model = NULL;
			v.max_tokens = 0;
		}
		rc = render(&body, &len, in, &v);
		if (rc == PG_ELIMIT) {
			in->host->set_error(HJ_NAME ": option '%s' is too large", opt);
			return rc;
		}
		if (rc < 0) {
			in->host->set_error(HJ_NAME ": out of memory");
			return rc;
		}
		json_t *doc = json_loadb(body, len, JSON_DECODE_ANY, &jerr);

		in->host->free(body);
		if (!doc) {
			in->host->set_error(HJ_NAME
					    ": option '%s' is not valid JSON once its "
					    "placeholders are filled (%s, line %d, column %d)",
					    opt, jerr.text, jerr.line, jerr.column);
			return PG_EINVAL;
		}
		json_decref(doc);
	}
	return 0;
}

/* Reads a template file (at most HJ_MAX_TEMPLATE bytes) into a host
 * allocation owned by the caller. */
static int read_template_file(char **out, size_t *out_len, const pg_host_api *host, const char *opt,
			      const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, got;
	int rc = PG_EIO;

	*out = NULL;
	if (!f) {
		host->set_error(HJ_NAME ": option '%s': cannot open '%s': %s", opt, path,
				strerror(errno));
		return PG_EIO;
	}
	buf = host->alloc(HJ_MAX_TEMPLATE + 2);
	if (!buf) {
		host->set_error(HJ_NAME ": out of memory");
		rc = PG_ENOMEM;
		goto done;
	}
	while ((got = fread(buf + len, 1, HJ_MAX_TEMPLATE + 1 - len, f)) > 0)
		if ((len += got) > HJ_MAX_TEMPLATE)
			break;
	if (ferror(f)) {
		host->set_error(HJ_NAME ": option '%s': cannot read '%s': %s", opt, path,
				strerror(errno));
		goto done;
	}
	if (len > HJ_MAX_TEMPLATE) {
		host->set_error(HJ_NAME ": option '%s': '%s' is larger than %zu KiB", opt, path,
				HJ_MAX_TEMPLATE >> 10);
		rc = PG_ELIMIT;
		goto done;
	}
	buf[len] = '\0';
	/* Give back what the file did not use; keeping the big block is fine
	 * if shrinking fails. */
	*out = host->realloc(buf, len + 1);
	if (!*out)
		*out = buf;
	*out_len = len;
	buf = NULL;
	rc = 0;
done:
	host->free(buf);
	fclose(f);
	return rc;
}

/* Loads the template from `template` (inline, "@path" for a file, "@@" for
 * a leading '@') or `template_file`; exactly one must be set. */
static int load_template(hj_inst *in, const char *tmpl, const char *file, const char **opt)
{
	const pg_host_api *host = in->host;

	if (tmpl && file) {
		host->set_error(HJ_NAME ": set only one of the options 'template' and "
					"'template_file'");
		return PG_EINVAL;
	}
	if (!tmpl && !file) {
		host->set_error(HJ_NAME ": option 'template' (the request body) is required, or "
					"'template_file'");
		return PG_EINVAL;
	}
	*opt = file ? "template_file" : "template";
	if (tmpl && tmpl[0] == '@' && tmpl[1] != '@')
		file = tmpl + 1;
	if (file) {
		if (!file[0]) {
			host->set_error(HJ_NAME ": option '%s' names no file", *opt);
			return PG_EINVAL;
		}
		return read_template_file(&in->tmpl, &in->tmpl_len, host, *opt, file);
	}
	if (tmpl[0] == '@')
		tmpl++;
	in->tmpl_len = strlen(tmpl);
	if (in->tmpl_len > HJ_MAX_TEMPLATE) {
		host->set_error(HJ_NAME ": option 'template' is larger than %zu KiB",
				HJ_MAX_TEMPLATE >> 10);
		return PG_ELIMIT;
	}
	in->tmpl = pg_host_strndup(host, tmpl, in->tmpl_len);
	if (!in->tmpl) {
		host->set_error(HJ_NAME ": out of memory");
		return PG_ENOMEM;
	}
	return 0;
}

/* ---- instance ----------------------------------------------------------- */

static void hj_destroy(void *vinst)
{
	hj_inst *in = vinst;

	if (!in)
		return;
	pg_json_path_free(in->text_path);
	pg_json_path_free(in->out_tokens_path);
	pg_json_path_free(in->in_tokens_path);
	pg_json_path_free(in->error_path);
	pg_json_path_free(in->success_path);
	pg_json_path_free(in->done_path);
	in->host->free(in->url);
	in->host->free(in->model);
	in->host->free(in->tmpl);
	in->host->free(in->segs);
	in->host->free(in);
}

/* Compiles the path option `name` into *out (NULL when unset). */
static int compile_path(pg_json_path **out, const pg_host_api *host, const pg_options *opts,
			const char *name)
{
	const char *text = host->opt_string(opts, name);
	char err[256];
	int rc;

	*out = NULL;
	if (!text)
		return 0;
	rc = pg_json_path_new(out, text, err, sizeof(err));
	if (rc < 0)
		host->set_error(HJ_NAME ": option '%s': %s", name, err);
	return rc;
}

/* base + path with one '/' between them when path starts a new segment;
 * a path starting with '?' or '#' is appended as it is. */
static char *join_url(const pg_host_api *host, const char *base, const char *path)
{
	size_t blen = strlen(base), plen;
	char *p;

	if (!path)
		path = "";
	if (path[0] == '/' || path[0] == '\0') {
		while (path[0] == '/' && blen > 0 && base[blen - 1] == '/')
			blen--;
	} else if (path[0] != '?' && path[0] != '#' && (blen == 0 || base[blen - 1] != '/')) {
		plen = strlen(path);
		p = host->alloc(blen + plen + 2);
		if (p)
			snprintf(p, blen + plen + 2, "%s/%s", base, path);
		return p;
	}
	plen = strlen(path);
	p = host->alloc(blen + plen + 1);
	if (p) {
		memcpy(p, base, blen);
		memcpy(p + blen, path, plen + 1);
	}
	return p;
}

static int hj_create(void **out_inst, const pg_host_api *host, const pg_options *opts,
		     const pg_target_info *target)
{
	static const char *const methods[] = {"POST", "PUT", "PATCH", NULL};
	hj_inst *in = NULL;
	const char *method, *stream, *opt = "template";
	int rc = PG_ENOMEM;

	*out_inst = NULL;
	if (!target || !target->url || !target->url[0]) {
		host->set_error(HJ_NAME ": the target has no URL");
		return PG_EINVAL;
	}
	if (!opts) {
		host->set_error(HJ_NAME ": option 'template' (the request body) is required");
		return PG_EINVAL;
	}
	in = host->calloc(1, sizeof(*in));
	if (!in)
		goto oom;
	in->host = host;
	method = host->opt_string(opts, "method");
	for (size_t i = 0; methods[i] && !in->method; i++)
		if (strcasecmp(method ? method : "POST", methods[i]) == 0)
			in->method = methods[i];
	rc = PG_EINVAL;
	if (!in->method) {
		host->set_error(HJ_NAME ": option 'method' must be POST, PUT or PATCH, not '%s'",
				method);
		goto done;
	}
	stream = host->opt_string(opts, "stream");
	if (!stream || strcmp(stream, "none") == 0) {
		in->mode = HJ_WHOLE;
	} else if (strcmp(stream, "sse") == 0) {
		in->mode = HJ_SSE;
	} else if (strcmp(stream, "ndjson") == 0) {
		in->mode = HJ_NDJSON;
	} else {
		host->set_error(HJ_NAME ": option 'stream' must be none, sse or ndjson, not '%s'",
				stream);
		goto done;
	}
	rc = load_template(in, host->opt_string(opts, "template"),
			   host->opt_string(opts, "template_file"), &opt);
	if (rc == 0)
		rc = split_template(in, opt);
	if (rc == 0)
		rc = check_template(in, opt);
	if (rc == 0)
		rc = compile_path(&in->text_path, host, opts, "text_path");
	if (rc == 0)
		rc = compile_path(&in->out_tokens_path, host, opts, "output_tokens_path");
	if (rc == 0)
		rc = compile_path(&in->in_tokens_path, host, opts, "input_tokens_path");
	if (rc == 0)
		rc = compile_path(&in->error_path, host, opts, "error_path");
	if (rc == 0)
		rc = compile_path(&in->success_path, host, opts, "success_path");
	if (rc == 0)
		rc = compile_path(&in->done_path, host, opts, "done_path");
	if (rc < 0)
		goto done;
	rc = PG_ENOMEM;
	in->url = join_url(host, target->url, host->opt_string(opts, "path"));
	if (!in->url)
		goto oom;
	if (target->model) {
		json_t *probe = json_string(target->model);

		if (!probe) {
			host->set_error(HJ_NAME ": the model name is not valid UTF-8");
			rc = PG_EINVAL;
			goto done;
		}
		json_decref(probe);
		in->model = host->strdup(target->model);
		if (!in->model)
			goto oom;
	}
	*out_inst = in;
	in = NULL;
	rc = 0;
	goto done;
oom:
	host->set_error(HJ_NAME ": out of memory");
	rc = PG_ENOMEM;
done:
	hj_destroy(in);
	return rc;
}

/* ---- requests ----------------------------------------------------------- */

/* The messages array (compact JSON) and prompt text of item, as host
 * allocations the caller frees. */
static int item_values(char **prompt, size_t *prompt_len, char **messages, size_t *messages_len,
		       const pg_host_api *host, const pg_work_item *item)
{
	json_error_t jerr;
	json_t *arr = NULL;
	char *text = NULL;
	size_t n;
	int rc = PG_EINVAL;

	*prompt = *messages = NULL;
	if (item->messages_json) {
		arr = json_loads(item->messages_json, 0, &jerr);
		if (!arr) {
			host->set_error(HJ_NAME ": messages_json is not valid JSON: %s", jerr.text);
			goto done;
		}
		rc = pg_json_messages_text(&text, prompt_len, arr, HJ_MAX_BODY);
		if (rc < 0) {
			host->set_error(HJ_NAME ": messages_json must be a JSON array of "
						"objects of at most %zu MiB of text",
					HJ_MAX_BODY >> 20);
			goto done;
		}
		rc = PG_ENOMEM;
		*prompt = pg_host_strndup(host, text, *prompt_len);
		if (!*prompt)
			goto oom;
	} else if (item->prompt) {
		json_t *content = json_string(item->prompt), *turn = json_object();

		arr = json_array();
		if (!content || !turn || !arr ||
		    json_object_set_new(turn, "role", json_string("user")) < 0 ||
		    json_object_set(turn, "content", content) < 0 ||
		    json_array_append(arr, turn) < 0) {
			host->set_error(content ? HJ_NAME ": out of memory"
						: HJ_NAME ": the prompt is not valid UTF-8");
			rc = content ? PG_ENOMEM : PG_EINVAL;
			json_decref(content);
			json_decref(turn);
			goto done;
		}
		json_decref(content);
		json_decref(turn);
		*prompt_len = strlen(item->prompt);
		rc = PG_ENOMEM;
		*prompt = pg_host_strndup(host, item->prompt, *prompt_len);
		if (!*prompt)
			goto oom;
	} else {
		host->set_error(HJ_NAME ": the work item has neither a prompt nor messages");
		goto done;
	}
	n = json_dumpb(arr, NULL, 0, JSON_COMPACT);
	rc = PG_ENOMEM;
	if (n == 0 || !(*messages = host->alloc(n + 1)) ||
	    json_dumpb(arr, *messages, n, JSON_COMPACT) != n)
		goto oom;
	(*messages)[n] = '\0';
	*messages_len = n;
	rc = 0;
	goto done;
oom:
	host->set_error(HJ_NAME ": out of memory building a request");
	rc = PG_ENOMEM;
done:
	if (rc < 0) {
		host->free(*prompt);
		host->free(*messages);
		*prompt = *messages = NULL;
	}
	free(text);
	json_decref(arr);
	return rc;
}

static int hj_build(void *vinst, const pg_work_item *item, pg_request *out)
{
	static const char *const accepts[] = {"application/json", "text/event-stream",
					      "application/x-ndjson"};
	hj_inst *in = vinst;
	const pg_host_api *host = in->host;
	hj_values v = {.model = in->model, .max_tokens = item->max_tokens};
	char *prompt = NULL, *messages = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = item_values(&prompt, &v.prompt_len, &messages, &v.messages_len, host, item);
	if (rc < 0)
		return rc;
	v.prompt = prompt;
	v.messages = messages;
	rc = render(&out->body, &out->body_len, in, &v);
	if (rc == PG_EINVAL)
		host->set_error(HJ_NAME ": a placeholder value is not valid UTF-8");
	else if (rc == PG_ELIMIT)
		host->set_error(HJ_NAME ": the request body would be larger than %zu MiB",
				HJ_MAX_BODY >> 20);
	else if (rc < 0)
		host->set_error(HJ_NAME ": out of memory building a request");
	if (rc == 0) {
		out->url = pg_host_strndup(host, in->url, strlen(in->url));
		if (!out->url) {
			host->set_error(HJ_NAME ": out of memory building a request");
			rc = PG_ENOMEM;
		}
	}
	if (rc < 0) {
		host->free(out->body);
		memset(out, 0, sizeof(*out));
	} else {
		out->method = in->method;
		out->content_type = "application/json";
		out->accept = accepts[in->mode];
	}
	host->free(prompt);
	host->free(messages);
	return rc;
}

/* ---- responses ---------------------------------------------------------- */

/* null, false, 0, "" and a missing value are false; anything else true. */
static int truthy(const json_t *v)
{
	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_NULL:
	case JSON_FALSE:
		return 0;
	case JSON_INTEGER:
		return json_integer_value(v) != 0;
	case JSON_REAL:
		return json_real_value(v) != 0.0;
	case JSON_STRING:
		return json_string_length(v) > 0;
	default:
		return 1;
	}
}

/* A token count at p: a non-negative integer (an integral real counts);
 * -1 when p is unset or the value is absent or not a count. */
static int64_t count_at(const pg_json_path *p, const json_t *root)
{
	const json_t *v = p ? pg_json_path_get(p, root) : NULL;
	double d;

	if (json_is_integer(v) && json_integer_value(v) >= 0)
		return (int64_t)json_integer_value(v);
	if (json_is_real(v)) {
		d = json_real_value(v);
		if (d >= 0.0 && d < 9.0e15 && (double)(int64_t)d == d)
			return (int64_t)d;
	}
	return -1;
}

/* The error value as text: a string, an object's "message" string, or the
 * value as compact JSON; cut at HJ_MAX_MESSAGE bytes. */
static void error_text(char *msg, size_t size, const json_t *err)
{
	const json_t *m = json_object_get(err, "message");
	char *dump;

	if (json_is_string(err)) {
		snprintf(msg, size, "%.*s", HJ_MAX_MESSAGE, json_string_value(err));
	} else if (json_is_string(m) && json_string_length(m) > 0) {
		snprintf(msg, size, "%.*s", HJ_MAX_MESSAGE, json_string_value(m));
	} else {
		dump = json_dumps(err, JSON_COMPACT | JSON_ENCODE_ANY);
		snprintf(msg, size, "%.*s", HJ_MAX_MESSAGE, dump ? dump : "(error)");
		free(dump);
	}
}

/* Applies the paths to one JSON value: the whole body, or one event. */
static void handle_value(hj_parse *ps, const json_t *root, int in_stream)
{
	const hj_inst *in = ps->in;
	const json_t *v;
	char msg[PG_ADAPTER_FAIL_MSG_MAX];
	int64_t in_tok, out_tok;

	ps->events++;
	v = in->error_path ? pg_json_path_get(in->error_path, root) : NULL;
	if (truthy(v)) {
		error_text(msg, sizeof(msg), v);
		pg_adapter_fail(&ps->r, PG_FAIL_STREAM, "%s", msg);
		return;
	}
	if (in->success_path) {
		ps->last_success = truthy(pg_json_path_get(in->success_path, root));
		if (!in_stream && !ps->last_success) {
			pg_adapter_fail(&ps->r, PG_FAIL_STREAM, "success_path '%s' is not true",
					pg_json_path_text(in->success_path));
			return;
		}
	}
	if (!in->text_path) {
		pg_adapter_content(&ps->r, NULL, 1);
	} else {
		v = pg_json_path_get(in->text_path, root);
		if (json_is_string(v)) {
			if (json_string_length(v) > 0)
				pg_adapter_content(&ps->r, v, 1);
		} else if (!in_stream || (v && !json_is_null(v))) {
			pg_adapter_fail(&ps->r, PG_FAIL_PROTOCOL, "%s at text_path '%s'",
					v ? "no string" : "nothing",
					pg_json_path_text(in->text_path));
			return;
		}
	}
	in_tok = count_at(in->in_tokens_path, root);
	out_tok = count_at(in->out_tokens_path, root);
	if ((in_tok >= 0 || out_tok >= 0) && ps->r.sink && ps->r.sink->usage)
		ps->r.sink->usage(ps->r.sink->ctx, in_tok, out_tok);
	if (in_stream && in->done_path && truthy(pg_json_path_get(in->done_path, root)))
		ps->done = 1;
}

/* Parses one stream event (SSE data or NDJSON line) and handles it.
 * Returns 1 once the response failed. */
static int handle_event(hj_parse *ps, const char *data, size_t len)
{
	json_error_t jerr;
	json_t *root;

	if (ps->r.failed)
		return 1;
	if (ps->done)
		return 0; /* nothing after the end matters */
	root = json_loadb(data, len, JSON_DECODE_ANY, &jerr);
	if (!root) {
		pg_adapter_fail(&ps->r, PG_FAIL_PROTOCOL, "invalid JSON in stream: %s", jerr.text);
		return 1;
	}
	handle_value(ps, root, 1);
	json_decref(root);
	return ps->r.failed;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* pg_sse callback: one event. "[DONE]" ends the stream, an "error" event
 * fails it, an empty one is skipped. */
static int on_sse_event(void *ctx, const char *event, const char *data, size_t len)
{
	hj_parse *ps = ctx;

	if (ps->r.failed)
		return 1;
	if (ps->done)
		return 0;
	while (len > 0 && is_space(data[0])) {
		data++;
		len--;
	}
	while (len > 0 && is_space(data[len - 1]))
		len--;
	if (strcmp(event, "error") == 0) {
		pg_adapter_fail(&ps->r, PG_FAIL_STREAM, "error event: %.*s",
				(int)(len < HJ_MAX_MESSAGE ? len : HJ_MAX_MESSAGE), data);
		return 1;
	}
	if (len == 0)
		return 0;
	if (len == 6 && memcmp(data, "[DONE]", 6) == 0) {
		ps->done = 1;
		return 0;
	}
	return handle_event(ps, data, len);
}

/* pg_ndjson callback: one line. */
static int on_ndjson_line(void *ctx, const char *line, size_t len)
{
	return handle_event(ctx, line, len);
}

static void finish_whole(hj_parse *ps)
{
	json_t *root;

	root = pg_adapter_body_json(&ps->r, JSON_DECODE_ANY);
	if (!root)
		return;
	handle_value(ps, root, 0);
	json_decref(root);
}

/* A stream ended: was it complete? */
static void finish_stream(hj_parse *ps, int cut)
{
	const hj_inst *in = ps->in;

	if (ps->r.failed)
		return;
	if (!ps->done && in->done_path)
		pg_adapter_fail(&ps->r, PG_FAIL_PROTOCOL,
				"stream ended before an event with done_path '%s' true%s",
				pg_json_path_text(in->done_path),
				ps->mode == HJ_SSE ? " or [DONE]" : "");
	else if (!ps->done && cut)
		pg_adapter_fail(&ps->r, PG_FAIL_PROTOCOL, "stream ended inside an event");
	else if (ps->events == 0 && !ps->done)
		pg_adapter_fail(&ps->r, PG_FAIL_PROTOCOL, "stream ended without any event");
	else if (in->success_path && ps->events > 0 && !ps->last_success)
		pg_adapter_fail(&ps->r, PG_FAIL_STREAM,
				"success_path '%s' is not true in the last event",
				pg_json_path_text(in->success_path));
}

static void hj_parse_free(void *state)
{
	hj_parse *ps = state;

	if (!ps)
		return;
	pg_sse_free(ps->sse);
	pg_ndjson_free(ps->nd);
	pg_adapter_reply_release(&ps->r);
	ps->in->host->free(ps);
}

static int hj_parse_begin(void *vinst, void **out_state, int http_status, const char *content_type,
			  int streamed)
{
	hj_inst *in = vinst;
	hj_parse *ps;

	(void)http_status;
	(void)streamed; /* the stream option decides, not the workload */
	*out_state = NULL;
	ps = in->host->calloc(1, sizeof(*ps));
	if (!ps)
		goto oom;
	ps->r.host = in->host;
	ps->in = in;
	ps->mode = in->mode;
	/* A labelled body overrides the option: an SSE endpoint may answer
	 * an error as one JSON document. NDJSON streams are often labelled
	 * application/json, so that label does not end NDJSON mode. */
	if (content_type && pg_adapter_media_type_is(content_type, "text/event-stream"))
		ps->mode = HJ_SSE;
	else if (content_type && (pg_adapter_media_type_is(content_type, "application/x-ndjson") ||
				  pg_adapter_media_type_is(content_type, "application/jsonl")))
		ps->mode = HJ_NDJSON;
	else if (content_type && pg_adapter_media_type_is_json(content_type) && ps->mode == HJ_SSE)
		ps->mode = HJ_WHOLE;
	if (ps->mode == HJ_SSE && !(ps->sse = pg_sse_new(HJ_MAX_EVENT)))
		goto oom;
	if (ps->mode == HJ_NDJSON && !(ps->nd = pg_ndjson_new(HJ_MAX_EVENT)))
		goto oom;
	*out_state = ps;
	return 0;
oom:
	hj_parse_free(ps);
	in->host->set_error(HJ_NAME ": out of memory");
	return PG_ENOMEM;
}

static int hj_parse_data(void *state, const char *data, size_t len, const pg_response_sink *sink)
{
	hj_parse *ps = state;
	int rc = 0;

	ps->r.sink = sink;
	if (ps->r.failed || len == 0)
		return 0;
	if (ps->mode == HJ_WHOLE)
		return pg_adapter_append_body(&ps->r, data, len, HJ_MAX_BODY, HJ_NAME);
	if (ps->mode == HJ_SSE)
		rc = pg_sse_feed(ps->sse, data, len, on_sse_event, ps);
	else
		rc = pg_ndjson_feed(ps->nd, data, len, on_ndjson_line, ps);
	/* The callbacks return only 0 or 1: -1 is the splitter's own cap. */
	if (rc == -1)
		pg_adapter_fail(&ps->r, PG_FAIL_PROTOCOL, "stream event longer than %zu bytes",
				HJ_MAX_EVENT);
	return 0;
}

static int hj_parse_end(void *state, const pg_response_sink *sink)
{
	hj_parse *ps = state;
	int rc;

	ps->r.sink = sink;
	if (ps->r.failed)
		return 0;
	if (ps->mode == HJ_WHOLE) {
		finish_whole(ps);
	} else if (ps->mode == HJ_SSE) {
		finish_stream(ps, pg_sse_finish(ps->sse));
	} else {
		rc = pg_ndjson_finish(ps->nd, on_ndjson_line, ps);
		if (rc == -1)
			pg_adapter_fail(&ps->r, PG_FAIL_PROTOCOL,
					"stream event longer than %zu bytes", HJ_MAX_EVENT);
		finish_stream(ps, 0);
	}
	return 0;
}

/* clang-format off */
static const pg_option_spec hj_options[] = {
    {"template", PG_OPT_STRING, NULL, NULL, 0, 0,
     "request body (JSON) with {{prompt}}, {{max_tokens}}, {{model}}, {{messages}}; "
     "\"@path\" reads a file"},
    {"template_file", PG_OPT_STRING, NULL, NULL, 0, 0,
     "file holding the request body template, instead of 'template'"},
    {"path", PG_OPT_STRING, "", NULL, 0, 0, "appended to the target URL"},
    {"method", PG_OPT_STRING, "POST", NULL, 0, 0, "POST, PUT or PATCH"},
    {"stream", PG_OPT_STRING, "none", NULL, 0, 0,
     "none (one JSON body), sse or ndjson (the paths apply to every event)"},
    {"text_path", PG_OPT_STRING, NULL, NULL, 0, 0,
     "JSON path of the generated text, e.g. choices[0].message.content"},
    {"output_tokens_path", PG_OPT_STRING, NULL, NULL, 0, 0,
     "JSON path of the output token count, e.g. usage.completion_tokens"},
    {"input_tokens_path", PG_OPT_STRING, NULL, NULL, 0, 0,
     "JSON path of the input token count, e.g. usage.prompt_tokens"},
    {"error_path", PG_OPT_STRING, NULL, NULL, 0, 0,
     "JSON path of an error: present and not null, false, 0 or \"\" fails the request"},
    {"success_path", PG_OPT_STRING, NULL, NULL, 0, 0,
     "JSON path that must be true (in a stream: in the last event)"},
    {"done_path", PG_OPT_STRING, NULL, NULL, 0, 0,
     "streams: JSON path that is true in the last event; the stream must reach it"},
    {0},
};
/* clang-format on */

static const pg_adapter_ops hj_ops = {
    .create = hj_create,
    .destroy = hj_destroy,
    .build = hj_build,
    .parse_begin = hj_parse_begin,
    .parse_data = hj_parse_data,
    .parse_end = hj_parse_end,
    .parse_free = hj_parse_free,
};

static const pg_plugin_desc hj_desc = {
    PG_PLUGIN_DESC_INIT(PG_PLUGIN_ADAPTER, HJ_NAME),
    .version = "1.0.0",
    .description = "any JSON-over-HTTP model endpoint: a request template and JSON paths "
		   "into the response (whole, SSE or NDJSON)",
    .options = hj_options,
    .ops = &hj_ops,
};

PG_PLUGIN_EXPORT(http_json, hj_desc)
