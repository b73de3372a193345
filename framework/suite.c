/*
 * Suite loader, format v1: the YAML tree is read, --set and --target are
 * applied to it, then every section is checked against its known keys and
 * types and copied into a pg_suite. Nothing is half-loaded: any error
 * frees what was built and names the node at fault.
 */
#include "suite.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cost.h"
#include "error.h"
#include "mock.h"
#include "options.h"
#include "plugin_loader.h"
#include "redact.h"
#include "suggest.h"
#include "suite_load.h"
#include "suite_baseline.h"
#include "workload.h"
#include "yaml_tree.h"

#define NKEYS(a) (sizeof(a) / sizeof((a)[0]))

/* Longest header value after ${ENV} expansion. */
#define HEADER_VALUE_MAX (16 * 1024)
/* Longest suite or scenario name. */
#define NAME_MAX_LEN 100
/* Most scenarios in a suite (names are checked for duplicates pairwise). */
#define MAX_SCENARIOS 1000

static const char *const top_keys[] = {"version",  "name",	   "target",
				       "workload", "scenarios", "cost", "quality",
				       "baseline"};
static const char *const quality_keys[] = {"scorer", "options", "max_answer_bytes",
					   "judge",  "sample",  "judge_timeout"};
static const char *const known_scorers[] = {"contains", "exact",   "json-schema", "json-valid",
					    "length",   "numeric", "regex",	  "judge"};
static const char *const target_keys[] = {
    "adapter", "url", "model", "headers", "options", "transport", "transport_options"};
static const char *const scenario_keys[] = {"name", "load", "sweep", "goodput", "requirements"};

/* Adapters offered for "did you mean" (pg_suite_load_opts can only look a
 * name up, not list them): the built-in ones the lookup confirms. Update
 * with the built-in adapters in CMakeLists.txt. */
static const char *const known_adapters[] = {"openai-chat", "openai-completions"};
/* Likewise the built-in transports. */
static const char *const known_transports[] = {"curl", "h1"};

static int oom(void)
{
	pg_error_set("out of memory");
	return PG_ENOMEM;
}

/* The error of a secret that could not be registered for masking (rc < 0):
 * the suite is refused rather than run with a secret that could leak. */
static int secret_fail(int rc)
{
	if (rc == PG_ENOMEM)
		return oom();
	pg_error_set("too many secret values (header values, URL passwords and keys) to mask");
	return PG_EINVAL;
}

/* Letters, digits, '_', '.' and '-', 1..NAME_MAX_LEN of them. */
static int valid_name(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= NAME_MAX_LEN &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

/* ---- overrides ---------------------------------------------------------- */

static int apply_set(pg_yaml_tree *t, const char *arg)
{
	const pg_yaml_node *scenarios;
	const char *eq = strchr(arg, '=');
	char *key = NULL, *origin = NULL;
	pg_yaml_mark mark = {NULL, 0, 0};
	size_t len;
	int rc;

	if (eq == NULL || eq == arg) {
		pg_error_set("--set '%s': expected KEY=VALUE", arg);
		return PG_EINVAL;
	}
	key = strndup(arg, (size_t)(eq - arg));
	len = strlen("--set ") + (size_t)(eq - arg) + 1;
	origin = malloc(len);
	if (key == NULL || origin == NULL) {
		rc = oom();
		goto done;
	}
	snprintf(origin, len, "--set %s", key);
	mark.file = pg_yaml_origin(t, origin);
	if (mark.file == NULL) {
		rc = oom();
		goto done;
	}
	/* say "scenario index" rather than the generic list message */
	scenarios = pg_yaml_get(t->root, "scenarios");
	if (strncmp(key, "scenarios.", 10) == 0 && key[10] >= '0' && key[10] <= '9' &&
	    scenarios != NULL && scenarios->kind == PG_YAML_SEQ) {
		char *end;
		unsigned long long idx = strtoull(key + 10, &end, 10);

		if ((*end == '.' || *end == '\0') && idx >= scenarios->n) {
			rc = pg_yaml_fail(
			    &mark, PG_EINVAL,
			    "scenario index %llu out of range (suite has %zu scenario%s)", idx,
			    scenarios->n, scenarios->n == 1 ? "" : "s");
			goto done;
		}
	}
	rc = pg_yaml_set(t->root, key, eq + 1, mark);
done:
	free(key);
	free(origin);
	return rc;
}

static int apply_target(pg_yaml_tree *t, const char *url)
{
	pg_yaml_mark mark = {NULL, 0, 0};
	pg_yaml_node *target, *value;
	int rc;

	mark.file = pg_yaml_origin(t, "--target");
	if (mark.file == NULL)
		return oom();
	target = pg_yaml_get(t->root, "target");
	if (target == NULL || pg_yaml_is_null(target)) {
		rc = pg_yaml_map_new(&target, mark);
		if (rc == 0)
			rc = pg_yaml_map_put(t->root, "target", mark, target);
		if (rc < 0)
			return rc;
	}
	if (target->kind != PG_YAML_MAP)
		return 0; /* validation reports it */
	rc = pg_yaml_scalar_new(&value, url, mark);
	if (rc < 0)
		return rc;
	return pg_yaml_map_put(target, "url", mark, value);
}

/* ---- target ------------------------------------------------------------- */

static int is_token_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Appends n bytes to a header value being built; PG_ELIMIT past
 * HEADER_VALUE_MAX. */
static int append(char *buf, size_t *len, const char *s, size_t n)
{
	if (*len + n > HEADER_VALUE_MAX)
		return PG_ELIMIT;
	memcpy(buf + *len, s, n);
	*len += n;
	buf[*len] = '\0';
	return 0;
}

/* Expands the reference "${NAME}" at ref into buf; *used gets its length. */
static int expand_ref(char *buf, size_t *len, size_t *used, const char *ref, const pg_yaml_node *n,
		      const char *header)
{
	const char *close = strchr(ref + 2, '}'), *val;
	char name[256];
	size_t nlen;
	int rc;

	if (close == NULL)
		return pg_yaml_fail(
		    &n->mark, PG_EINVAL,
		    "unterminated '${' in header '%s' (write '$$' for a literal '$')", header);
	nlen = (size_t)(close - (ref + 2));
	if (nlen == 0 || nlen >= sizeof(name) || (ref[2] >= '0' && ref[2] <= '9') ||
	    strspn(ref + 2, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") !=
		nlen)
		return pg_yaml_fail(&n->mark, PG_EINVAL, "invalid environment variable name '%.*s'",
				    (int)(nlen < 64 ? nlen : 64), ref + 2);
	memcpy(name, ref + 2, nlen);
	name[nlen] = '\0';
	val = getenv(name);
	if (val == NULL)
		return pg_yaml_fail(&n->mark, PG_EINVAL, "environment variable '%s' is not set",
				    name);
	*used = nlen + 3;
	/* whatever comes from the environment is masked in every message */
	if ((rc = pg_redact_add(val)) < 0)
		return secret_fail(rc);
	return append(buf, len, val, strlen(val));
}

/* Expands ${NAME} from the environment ("$$" is a literal '$') into *out;
 * *secret is set when anything came from the environment. */
static int expand_env(char **out, int *secret, const pg_yaml_node *n, const char *header)
{
	const char *s = n->value;
	size_t len = 0, i = 0, used = 0;
	char *buf;
	int rc = 0;

	*out = NULL;
	*secret = 0;
	buf = malloc(HEADER_VALUE_MAX + 1);
	if (buf == NULL)
		return oom();
	buf[0] = '\0';
	while (s[i] != '\0' && rc == 0) {
		if (s[i] == '$' && s[i + 1] == '$') {
			rc = append(buf, &len, "$", 1);
			i += 2;
		} else if (s[i] == '$' && s[i + 1] == '{') {
			rc = expand_ref(buf, &len, &used, s + i, n, header);
			*secret = 1;
			i += used;
		} else {
			rc = append(buf, &len, s + i, 1);
			i++;
		}
	}
	if (rc == PG_ELIMIT)
		rc = pg_yaml_fail(&n->mark, PG_EINVAL, "header '%s' is longer than %d bytes",
				  header, HEADER_VALUE_MAX);
	/* the value may be secret: say what is wrong, never what it is */
	if (rc == 0 && strpbrk(buf, "\r\n") != NULL)
		rc = pg_yaml_fail(&n->mark, PG_EINVAL, "header '%s' contains a line break", header);
	if (rc == 0) {
		*out = buf;
		buf = NULL;
	}
	free(buf);
	return rc;
}

static int load_headers(pg_target *tg, const pg_yaml_node *map)
{
	const pg_yaml_node *key, *val;
	size_t i, j;
	int rc;

	/* not pg_yaml_want: it would quote a value given in place of the map */
	if (map->kind != PG_YAML_MAP)
		return pg_yaml_fail(&map->mark, PG_EINVAL,
				    "'headers' must be a mapping of header names to values");
	tg->headers = calloc(map->n + 1, sizeof(*tg->headers));
	if (tg->headers == NULL)
		return oom();
	for (i = 0; i < map->n; i++) {
		pg_header_kv *h = &tg->headers[i];

		key = map->pairs[i].key;
		val = map->pairs[i].value;
		for (j = 0; key->value[j] != '\0' && is_token_char(key->value[j]); j++)
			;
		if (j == 0 || key->value[j] != '\0')
			return pg_yaml_fail(&key->mark, PG_EINVAL, "invalid header name '%s'",
					    key->value);
		for (j = 0; j < i; j++)
			if (strcasecmp(tg->headers[j].name, key->value) == 0)
				return pg_yaml_fail(&key->mark, PG_EINVAL,
						    "duplicate header '%s' (header names are "
						    "case-insensitive)",
						    key->value);
		if (val->kind != PG_YAML_SCALAR || pg_yaml_is_null(val))
			return pg_yaml_want(val, PG_YAML_SCALAR, key->value);
		h->name = strdup(key->value);
		if (h->name == NULL)
			return oom();
		tg->n_headers++;
		rc = expand_env(&h->value, &h->secret, val, key->value);
		if (rc < 0)
			return rc;
		/* Authorization, X-Api-Key, ...: secret even when written out */
		h->secret = h->secret || pg_redact_is_secret_name(h->name);
		if ((rc = pg_redact_add_header(h->name, h->value, h->secret)) < 0)
			return secret_fail(rc);
	}
	return 0;
}

/* Registers the secrets an option value may carry: a URL's credentials
 * (transport_options.proxy) and the value of an option whose name ends
 * like a credential's (auth_token, proxy_password; not max_tokens, nor
 * client_key, which is a path). */
static int register_option_secret(const char *key, const char *value)
{
	static const char *const ends[] = {"password", "passwd", "token", "secret", "api_key",
					   "apikey"};
	size_t i, klen = strlen(key);
	int rc;

	if (strstr(value, "://") != NULL && (rc = pg_redact_add_url(value)) < 0)
		return rc;
	for (i = 0; i < NKEYS(ends); i++) {
		size_t elen = strlen(ends[i]);

		if (klen >= elen && strcmp(key + klen - elen, ends[i]) == 0)
			return pg_redact_add(value);
	}
	return 0;
}

/* Sets the options written in map (`options:` or `transport_options:`,
 * named by what) on o, validated against the table of the plugin named
 * by kind and name (which an unknown option's message names). */
static int load_options(pg_options *o, const pg_yaml_node *map, const char *what, const char *kind,
			const char *name)
{
	const pg_yaml_node *key, *val;
	size_t i;
	int rc;

	if (map == NULL)
		return 0;
	rc = pg_yaml_want(map, PG_YAML_MAP, what);
	if (rc < 0)
		return rc;
	for (i = 0; i < map->n; i++) {
		key = map->pairs[i].key;
		val = map->pairs[i].value;
		if (val->kind != PG_YAML_SCALAR || pg_yaml_is_null(val))
			return pg_yaml_fail(&val->mark, PG_EINVAL,
					    "expected a value for option '%s'", key->value);
		/* a proxy URL's password, an option named like a credential */
		if ((rc = register_option_secret(key->value, val->value)) < 0)
			return secret_fail(rc);
		rc = pg_options_set(o, key->value, val->value);
		if (rc == PG_ENOTFOUND) {
			pg_error_prefix("%s '%s'", kind, name);
			return pg_yaml_fail_prefix(&key->mark, PG_EINVAL);
		}
		if (rc < 0)
			return pg_yaml_fail_prefix(&val->mark, rc == PG_ENOMEM ? rc : PG_EINVAL);
	}
	return 0;
}

/* Resolves a plugin of a kind through the caller's lookup into *out. When
 * it fails, a likely typo of a known name gets a suggestion; otherwise the
 * lookup's own message (a plugin loader says which directories it
 * searched, or why a .so was refused) is kept. what names the kind in
 * messages ("adapter"); node is where the name was written (NULL: it was
 * implied, blame target). */
static int find_plugin(const pg_plugin_desc **out, pg_plugin_kind kind, const char *what,
		       const char *name, const char *const *known, size_t n_known,
		       const pg_yaml_node *target, const pg_yaml_node *node,
		       const pg_suite_load_opts *opts)
{
	const pg_yaml_mark *mark = node != NULL ? &node->mark : &target->mark;
	const char *cands[8];
	const char *hint;
	char why[512];
	size_t i, n = 0;

	pg_error_clear();
	*out = opts->lookup(opts->lookup_ctx, kind, name);
	if (*out == NULL) {
		snprintf(why, sizeof(why), "%s", pg_error_last());
		for (i = 0; i < n_known && n < NKEYS(cands); i++)
			if (opts->lookup(opts->lookup_ctx, kind, known[i]) != NULL)
				cands[n++] = known[i];
		hint = pg_suggest(name, cands, n);
		if (hint != NULL)
			return pg_yaml_fail(mark, PG_EINVAL, "unknown %s '%s' (did you mean '%s'?)",
					    what, name, hint);
		if (why[0] != '\0')
			return pg_yaml_fail(mark, PG_EINVAL, "%s", why);
		return pg_yaml_fail(mark, PG_EINVAL, "unknown %s '%s' (see `perfgate plugins`)",
				    what, name);
	}
	if ((*out)->kind != kind) {
		*out = NULL;
		return pg_yaml_fail(mark, PG_EINVAL, "plugin '%s' is not %s %s", name,
				    kind == PG_PLUGIN_ADAPTER ? "an" : "a", what);
	}
	return 0;
}

static int declares_option(const pg_plugin_desc *d, const char *name)
{
	const pg_option_spec *o;

	for (o = d != NULL ? d->options : NULL; o != NULL && o->name != NULL; o++)
		if (strcmp(o->name, name) == 0)
			return 1;
	return 0;
}

/* Whether url has a user:password@ (or user@) part. */
static int has_userinfo(const char *url)
{
	const char *auth = strstr(url, "://");

	auth = auth != NULL ? auth + 3 : url;
	return memchr(auth, '@', strcspn(auth, "/?#")) != NULL;
}

/* Whether transport_options asks for something only libcurl offers (an
 * option curl declares and h1 does not, such as http2 or proxy). */
static int wants_curl_only(const pg_yaml_node *topts, const pg_suite_load_opts *opts)
{
	const pg_plugin_desc *h1, *curl;
	size_t i;

	if (topts == NULL || topts->kind != PG_YAML_MAP)
		return 0;
	h1 = opts->lookup(opts->lookup_ctx, PG_PLUGIN_TRANSPORT, "h1");
	curl = opts->lookup(opts->lookup_ctx, PG_PLUGIN_TRANSPORT, "curl");
	for (i = 0; i < topts->n; i++) {
		const char *key = topts->pairs[i].key->value;

		if (declares_option(curl, key) && !declares_option(h1, key))
			return 1;
	}
	return 0;
}

/* The transport and its options. "auto" picks the native HTTP/1.1 client
 * for plain http:// (and the mock, which speaks it) unless transport_options
 * asks for a libcurl-only feature, and libcurl for the rest, so https works
 * out of the box. */
static int load_transport(pg_target *tg, const pg_yaml_node *target, const pg_suite_load_opts *opts)
{
	const pg_yaml_node *node = pg_yaml_opt(target, "transport");
	const char *name = "auto";
	int rc;

	if (node != NULL && (rc = pg_yaml_string(&name, node, "transport")) < 0)
		return rc;
	/* h1 sends no user:password@ of a URL: libcurl does (HTTP Basic) */
	if (strcmp(name, "auto") == 0)
		name = (strncmp(tg->url, "http://", 7) == 0 || strncmp(tg->url, "mock://", 7) == 0) &&
			       !has_userinfo(tg->url) &&
			       !wants_curl_only(pg_yaml_opt(target, "transport_options"), opts)
			   ? "h1"
			   : "curl";
	tg->transport = strdup(name);
	if (tg->transport == NULL)
		return oom();
	rc = find_plugin(&tg->transport_plugin, PG_PLUGIN_TRANSPORT, "transport", tg->transport,
			 known_transports, NKEYS(known_transports), target, node, opts);
	if (rc < 0)
		return rc;
	rc = pg_options_new(&tg->transport_options, tg->transport_plugin->options);
	if (rc < 0) {
		pg_error_prefix("transport '%s'", tg->transport);
		return rc;
	}
	return load_options(tg->transport_options, pg_yaml_opt(target, "transport_options"),
			    "transport_options", "transport", tg->transport);
}

static int load_target_map(pg_target *tg, const pg_yaml_node *target, const char *what,
			   const pg_suite_load_opts *opts);

/* `judge:`, `sample:` and `judge_timeout:` of `quality:`: taken only by a
 * scorer that grades after the load (PG_SCORER_AFTER_RUN), which needs
 * the judge target. */
static int load_judge(pg_quality *q, const pg_yaml_node *map, const pg_suite_load_opts *opts)
{
	static const char *const keys[] = {"judge", "sample", "judge_timeout"};
	const pg_yaml_pair *p;
	const pg_yaml_node *n;
	size_t i;
	int rc = 0;

	q->sample = 100;
	q->judge_timeout = 60 * PG_NS_PER_S;
	if ((pg_plugin_flags(q->plugin) & PG_SCORER_AFTER_RUN) == 0) {
		for (i = 0; i < NKEYS(keys); i++)
			if ((p = pg_yaml_pair_get(map, keys[i])) != NULL &&
			    !pg_yaml_is_null(p->value))
				return pg_yaml_fail(
				    &p->key->mark, PG_EINVAL,
				    "quality.%s: the '%s' scorer grades every answer "
				    "during the run; '%s' is only for a scorer that "
				    "grades after the load, such as 'judge'",
				    keys[i], q->scorer, keys[i]);
		return 0;
	}
	if ((n = pg_yaml_opt(map, "judge")) == NULL)
		return pg_yaml_fail(&map->mark, PG_EINVAL,
				    "quality.judge: the '%s' scorer needs a judge target",
				    q->scorer);
	if ((q->judge = calloc(1, sizeof(*q->judge))) == NULL)
		return oom();
	rc = load_target_map(q->judge, n, "quality.judge", opts);
	if (rc == 0 && (n = pg_yaml_opt(map, "sample")) != NULL)
		rc = pg_yaml_int(&q->sample, n, "sample", 1, 100000);
	if (rc == 0 && (n = pg_yaml_opt(map, "judge_timeout")) != NULL)
		rc = pg_yaml_duration(&q->judge_timeout, n, "judge_timeout", PG_NS_PER_MS);
	return rc;
}

/* `quality: {scorer: NAME, options: {...}, max_answer_bytes: N}` */
static int load_quality(pg_suite *s, const pg_yaml_node *map, const pg_suite_load_opts *opts)
{
	const pg_yaml_node *node, *n;
	const char *name;
	pg_quality *q;
	int rc;

	rc = pg_yaml_want(map, PG_YAML_MAP, "quality");
	if (rc == 0)
		rc = pg_yaml_check_keys(map, quality_keys, NKEYS(quality_keys), "in 'quality'");
	if (rc == 0)
		rc = pg_yaml_require(&node, map, "scorer", "in 'quality'");
	if (rc == 0)
		rc = pg_yaml_string(&name, node, "scorer");
	if (rc < 0)
		return rc;
	q = calloc(1, sizeof(*q));
	if (q == NULL || (q->scorer = strdup(name)) == NULL) {
		free(q);
		return oom();
	}
	s->quality = q;
	q->max_answer_bytes = 64 * 1024;
	rc = find_plugin(&q->plugin, PG_PLUGIN_SCORER, "scorer", q->scorer, known_scorers,
			 NKEYS(known_scorers), map, node, opts);
	if (rc == 0 && (n = pg_yaml_opt(map, "max_answer_bytes")) != NULL)
		rc = pg_yaml_int(&q->max_answer_bytes, n, "max_answer_bytes", 1, 64 * 1024 * 1024);
	if (rc == 0)
		rc = pg_options_new(&q->options, q->plugin->options);
	if (rc == 0)
		rc = load_options(q->options, pg_yaml_opt(map, "options"), "options", "scorer",
				  q->scorer);
	if (rc == 0)
		rc = load_judge(q, map, opts);
	return rc;
}

/* A target mapping (the suite's `target:`, or `quality.judge:`, named by
 * what in messages). */
static int load_target_map(pg_target *tg, const pg_yaml_node *target, const char *what,
			   const pg_suite_load_opts *opts)
{
	const pg_yaml_node *n, *url, *adapter;
	char where[64], shown[512];
	const char *s;
	int rc;

	snprintf(where, sizeof(where), "in '%s'", what);
	rc = pg_yaml_want(target, PG_YAML_MAP, what);
	if (rc == 0)
		rc = pg_yaml_check_keys(target, target_keys, NKEYS(target_keys), where);
	if (rc == 0)
		rc = pg_yaml_require(&url, target, "url", where);
	if (rc == 0)
		rc = pg_yaml_string(&s, url, "url");
	if (rc < 0)
		return rc;
	/* its password and query keys are masked from here on; messages show
	 * the URL without them */
	if ((rc = pg_redact_add_url(s)) < 0)
		return secret_fail(rc);
	pg_redact_url(shown, sizeof(shown), s);
	if (strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0 &&
	    strncmp(s, "mock://", 7) != 0)
		return pg_yaml_fail(&url->mark, PG_EINVAL,
				    "url must start with http://, https:// or mock://, got '%s'",
				    shown);
	if (strncmp(s, "mock://", 7) != 0 && strchr("/?#:", *(strstr(shown, "://") + 3)) != NULL)
		return pg_yaml_fail(&url->mark, PG_EINVAL, "url '%s' has no host", shown);
	/* the mock starts only when the run does: check its parameters now */
	if (strncmp(s, "mock://", 7) == 0 && strchr(s, '?') != NULL) {
		pg_mock_config cfg = PG_MOCK_CONFIG_INIT;

		if ((rc = pg_mock_config_parse(&cfg, strchr(s, '?') + 1)) < 0)
			return pg_yaml_fail_prefix(&url->mark, rc == PG_ENOMEM ? rc : PG_EINVAL);
	}
	tg->url = strdup(s);
	if (tg->url == NULL)
		return oom();

	s = "openai-chat";
	adapter = pg_yaml_opt(target, "adapter");
	if (adapter != NULL && (rc = pg_yaml_string(&s, adapter, "adapter")) < 0)
		return rc;
	tg->adapter = strdup(s);
	if (tg->adapter == NULL)
		return oom();
	rc = find_plugin(&tg->plugin, PG_PLUGIN_ADAPTER, "adapter", tg->adapter, known_adapters,
			 NKEYS(known_adapters), target, adapter, opts);
	if (rc < 0)
		return rc;
	rc = pg_options_new(&tg->options, tg->plugin->options);
	if (rc < 0) {
		pg_error_prefix("adapter '%s'", tg->adapter);
		return rc;
	}
	rc = load_options(tg->options, pg_yaml_opt(target, "options"), "options", "adapter",
			  tg->adapter);
	if (rc < 0)
		return rc;

	if ((n = pg_yaml_opt(target, "model")) != NULL) {
		rc = pg_yaml_string(&s, n, "model");
		if (rc < 0)
			return rc;
		tg->model = strdup(s);
		if (tg->model == NULL)
			return oom();
	}
	if ((n = pg_yaml_opt(target, "headers")) != NULL && (rc = load_headers(tg, n)) < 0)
		return rc;
	return load_transport(tg, target, opts);
}

static int load_target(pg_target *tg, const pg_yaml_node *root, const pg_suite_load_opts *opts)
{
	const pg_yaml_node *target;
	int rc;

	rc = pg_yaml_require(&target, root, "target", NULL);
	return rc < 0 ? rc : load_target_map(tg, target, "target", opts);
}

/* ---- scenarios ---------------------------------------------------------- */

/* Columns (characters, not bytes) in the first len bytes of UTF-8 text. */
static int utf8_columns(const char *s, size_t len)
{
	int cols = 0;
	size_t i;

	for (i = 0; i < len && s[i] != '\0'; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			cols++;
	return cols;
}

static int load_requirement(pg_requirement *r, const pg_yaml_node *n)
{
	pg_yaml_mark at = n->mark;
	size_t off = 0;
	char got[64];
	int rc;

	if (n->kind != PG_YAML_SCALAR || pg_yaml_is_null(n))
		return pg_yaml_fail(&n->mark, PG_EINVAL,
				    "expected a requirement such as 'ttft.p95 < 300ms', got %s",
				    pg_yaml_describe(got, sizeof(got), n));
	rc = pg_requirement_parse(r, n->value, &off);
	if (rc < 0) {
		/* point into the string when it sits on one line as written */
		if (at.line > 0 && n->style != PG_YAML_BLOCK && n->end_line == at.line)
			at.col += (n->style == PG_YAML_QUOTED) + utf8_columns(n->value, off);
		return pg_yaml_fail_prefix(&at, rc == PG_ENOMEM ? rc : PG_EINVAL);
	}
	r->file = strdup(n->mark.file);
	if (r->file == NULL) {
		pg_requirement_clear(r);
		return oom();
	}
	r->line = n->mark.line;
	r->col = n->mark.col;
	return 0;
}

static int load_scenario(pg_suite *s, const pg_yaml_node *map)
{
	pg_scenario *sc = &s->scenarios[s->n_scenarios];
	const pg_yaml_node *name, *load, *reqs, *n;
	const char *text;
	size_t i;
	int rc;

	rc = pg_yaml_want(map, PG_YAML_MAP, "scenarios");
	if (rc == 0)
		rc = pg_yaml_check_keys(map, scenario_keys, NKEYS(scenario_keys), "in a scenario");
	if (rc == 0)
		rc = pg_yaml_require(&name, map, "name", "in a scenario");
	if (rc == 0)
		rc = pg_yaml_string(&text, name, "name");
	if (rc < 0)
		return rc;
	if (!valid_name(text))
		return pg_yaml_fail(
		    &name->mark, PG_EINVAL,
		    "scenario name '%s' must be 1-%d letters, digits, '_', '.' or '-'", text,
		    NAME_MAX_LEN);
	for (i = 0; i < s->n_scenarios; i++)
		if (strcmp(s->scenarios[i].name, text) == 0)
			return pg_yaml_fail(&name->mark, PG_EINVAL, "duplicate scenario name '%s'",
					    text);
	sc->name = strdup(text);
	if (sc->name == NULL)
		return oom();
	s->n_scenarios++; /* from here on pg_suite_free releases sc */

	rc = pg_yaml_require(&load, map, "load", "in a scenario");
	if (rc == 0)
		rc = pg_load_from_yaml(&sc->load, load, s->path);
	if (rc == 0 && (n = pg_yaml_opt(map, "sweep")) != NULL)
		rc = pg_sweep_from_yaml(&sc->sweep, n, &sc->load, load);
	if (rc == 0 && (n = pg_yaml_opt(map, "goodput")) != NULL)
		rc = pg_slo_from_yaml(&sc->goodput, n);
	if (rc < 0)
		return rc;
	reqs = pg_yaml_opt(map, "requirements");
	if (reqs == NULL)
		return 0;
	rc = pg_yaml_want(reqs, PG_YAML_SEQ, "requirements");
	if (rc < 0)
		return rc;
	sc->reqs = calloc(reqs->n + 1, sizeof(*sc->reqs));
	if (sc->reqs == NULL)
		return oom();
	for (i = 0; i < reqs->n; i++) {
		rc = load_requirement(&sc->reqs[i], reqs->items[i]);
		if (rc < 0)
			return rc;
		sc->n_reqs++;
	}
	return 0;
}

static int load_scenarios(pg_suite *s, const pg_yaml_node *root)
{
	const pg_yaml_node *seq;
	size_t i;
	int rc;

	rc = pg_yaml_require(&seq, root, "scenarios", NULL);
	if (rc == 0)
		rc = pg_yaml_want(seq, PG_YAML_SEQ, "scenarios");
	if (rc < 0)
		return rc;
	if (seq->n == 0)
		return pg_yaml_fail(&seq->mark, PG_EINVAL, "'scenarios' is empty");
	if (seq->n > MAX_SCENARIOS)
		return pg_yaml_fail(&seq->mark, PG_EINVAL, "'scenarios' has %zu items, more than %d",
				    seq->n, MAX_SCENARIOS);
	s->scenarios = calloc(seq->n, sizeof(*s->scenarios));
	if (s->scenarios == NULL)
		return oom();
	for (i = 0; i < seq->n; i++) {
		rc = load_scenario(s, seq->items[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- the suite ---------------------------------------------------------- */

/* The file's base name without its extension: "suites/quick.yaml" -> "quick". */
static char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash != NULL ? slash + 1 : path;
	const char *dot = strrchr(base, '.');

	if (dot == NULL || dot == base)
		return strdup(base);
	return strndup(base, (size_t)(dot - base));
}

static int load_header(pg_suite *s, const pg_yaml_node *root)
{
	const pg_yaml_node *n;
	const char *text;
	int64_t version;
	int rc;

	if ((n = pg_yaml_opt(root, "version")) != NULL) {
		rc = pg_yaml_int(&version, n, "version", INT64_MIN, INT64_MAX);
		if (rc < 0)
			return rc;
		if (version != 1)
			return pg_yaml_fail(&n->mark, PG_EINVAL,
					    "unsupported suite version %s (this perfgate reads "
					    "version 1)",
					    n->value);
	}
	if ((n = pg_yaml_opt(root, "name")) != NULL) {
		rc = pg_yaml_string(&text, n, "name");
		if (rc < 0)
			return rc;
		if (!valid_name(text))
			return pg_yaml_fail(
			    &n->mark, PG_EINVAL,
			    "suite name '%s' must be 1-%d letters, digits, '_', '.' "
			    "or '-'",
			    text, NAME_MAX_LEN);
		s->name = strdup(text);
	} else {
		s->name = base_name(s->path);
	}
	return s->name == NULL ? oom() : 0;
}

static int load_tree(pg_suite *s, pg_yaml_tree *t, const pg_suite_load_opts *opts)
{
	pg_yaml_mark start = {t->file, 1, 1};
	char got[64];
	size_t i;
	int rc;

	if (t->root == NULL || pg_yaml_is_null(t->root))
		return pg_yaml_fail(&start, PG_EINVAL, "suite is empty");
	if (t->root->kind != PG_YAML_MAP)
		return pg_yaml_fail(&t->root->mark, PG_EINVAL,
				    "expected a mapping at the top of the suite, got %s",
				    pg_yaml_describe(got, sizeof(got), t->root));
	for (i = 0; i < opts->n_sets; i++) {
		rc = apply_set(t, opts->sets[i]);
		if (rc < 0)
			return rc;
	}
	if (opts->target_url != NULL) {
		rc = apply_target(t, opts->target_url);
		if (rc < 0)
			return rc;
	}
	rc = pg_yaml_check_keys(t->root, top_keys, NKEYS(top_keys), NULL);
	if (rc == 0)
		rc = load_header(s, t->root);
	if (rc == 0)
		rc = load_target(&s->target, t->root, opts);
	if (rc == 0) {
		const pg_yaml_node *w;

		rc = pg_yaml_require(&w, t->root, "workload", NULL);
		if (rc == 0)
			rc = pg_workload_from_yaml(&s->workload, w, s->path);
	}
	if (rc == 0)
		rc = load_scenarios(s, t->root);
	if (rc == 0 && pg_yaml_opt(t->root, "cost") != NULL)
		rc = pg_cost_from_yaml(&s->cost, pg_yaml_opt(t->root, "cost"));
	if (rc == 0 && pg_yaml_opt(t->root, "quality") != NULL)
		rc = load_quality(s, pg_yaml_opt(t->root, "quality"), opts);
	if (rc == 0 && pg_yaml_opt(t->root, "baseline") != NULL)
		rc = pg_baseline_cfg_from_yaml(&s->baseline, pg_yaml_opt(t->root, "baseline"));
	return rc;
}

/* Loads a suite from a file (data == NULL) or from len bytes of data whose
 * marks name path. */
static int suite_load(pg_suite **out, const char *path, const char *data, size_t len,
		      const pg_suite_load_opts *opts)
{
	pg_yaml_tree *t = NULL;
	pg_suite *s = NULL;
	int rc;

	*out = NULL;
	if (path == NULL || opts == NULL || opts->version != PG_SUITE_LOAD_OPTS_VERSION ||
	    opts->lookup == NULL || (opts->n_sets > 0 && opts->sets == NULL)) {
		pg_error_set("pg_suite_load: invalid arguments");
		return PG_EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL || (s->path = strdup(path)) == NULL) {
		rc = oom();
		goto done;
	}
	rc = data != NULL ? pg_yaml_parse(&t, path, data, len) : pg_yaml_load(&t, path);
	if (rc == 0)
		rc = load_tree(s, t, opts);
	if (rc == 0) {
		*out = s;
		s = NULL;
	}
done:
	pg_yaml_free(t);
	pg_suite_free(s);
	/* a suite that is not right is a bad suite, whatever the detail */
	if (rc < 0 && rc != PG_EIO && rc != PG_ENOMEM)
		rc = PG_EINVAL;
	return rc;
}

int pg_suite_load(pg_suite **out, const char *path, const pg_suite_load_opts *opts)
{
	return suite_load(out, path, NULL, 0, opts);
}

int pg_suite_load_buffer(pg_suite **out, const char *name, const char *data, size_t len,
			 const pg_suite_load_opts *opts)
{
	if (data == NULL) {
		*out = NULL;
		pg_error_set("pg_suite_load_buffer: invalid arguments");
		return PG_EINVAL;
	}
	return suite_load(out, name, data, len, opts);
}

/* Frees what a target holds (not tg itself). */
static void target_clear(pg_target *tg)
{
	size_t i;

	free(tg->adapter);
	free(tg->url);
	free(tg->model);
	for (i = 0; i < tg->n_headers; i++) {
		free(tg->headers[i].name);
		free(tg->headers[i].value);
	}
	free(tg->headers);
	pg_options_free(tg->options);
	free(tg->transport);
	pg_options_free(tg->transport_options);
}

void pg_suite_free(pg_suite *s)
{
	size_t i, j;

	if (s == NULL)
		return;
	free(s->path);
	free(s->name);
	target_clear(&s->target);
	pg_workload_clear(&s->workload);
	for (i = 0; i < s->n_scenarios; i++) {
		free(s->scenarios[i].name);
		pg_load_clear(&s->scenarios[i].load);
		pg_sweep_free(s->scenarios[i].sweep);
		for (j = 0; j < s->scenarios[i].n_reqs; j++)
			pg_requirement_clear(&s->scenarios[i].reqs[j]);
		free(s->scenarios[i].reqs);
	}
	free(s->scenarios);
	free(s->cost);
	pg_baseline_cfg_free(s->baseline);
	if (s->quality != NULL) {
		free(s->quality->scorer);
		pg_options_free(s->quality->options);
		if (s->quality->judge != NULL)
			target_clear(s->quality->judge);
		free(s->quality->judge);
		free(s->quality);
	}
	free(s);
}

const pg_scenario *pg_suite_scenario(const pg_suite *s, const char *name)
{
	size_t i;

	if (s == NULL || name == NULL)
		return NULL;
	for (i = 0; i < s->n_scenarios; i++)
		if (strcmp(s->scenarios[i].name, name) == 0)
			return &s->scenarios[i];
	return NULL;
}
