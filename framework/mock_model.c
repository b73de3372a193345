/*
 * mock_model: configuration, timing model, token text and request parsing
 * for the mock server. See mock_model.h; the HTTP side is in mock.c.
 */
#include "mock_model.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "error.h"

/* Largest simulated duration of one step (a day), so that huge but valid
 * parameters cannot overflow the nanosecond arithmetic. */
#define MOCK_MAX_STEP_NS (86400.0 * 1e9)
/* Longest model name echoed back (it is repeated in every chunk). */
#define MOCK_MAX_MODEL_LEN 256
/* Answer length when neither the config nor the request sets one. */
#define MOCK_DEFAULT_TOKENS 16

enum key_type { KEY_DOUBLE, KEY_INT, KEY_SEED, KEY_PATH };

typedef struct mock_key {
	const char *name;
	enum key_type type;
	size_t offset; /* of the field in pg_mock_config */
	double min, max;
} mock_key;

/* Every parameter of a mock:// URL, with its bounds. Times are in the unit
 * the key names (ms, us or s). */
static const mock_key mock_keys[] = {
    {"decode_ms", KEY_DOUBLE, offsetof(pg_mock_config, decode_ms), 0, 1e6},
    {"prefill_us", KEY_DOUBLE, offsetof(pg_mock_config, prefill_us), 0, 1e6},
    {"ttft_ms", KEY_DOUBLE, offsetof(pg_mock_config, ttft_ms), 0, 1e6},
    {"batch_slowdown", KEY_DOUBLE, offsetof(pg_mock_config, batch_slowdown), 0, 1e6},
    {"slots", KEY_INT, offsetof(pg_mock_config, slots), 1, 1e6},
    {"output_tokens", KEY_INT, offsetof(pg_mock_config, output_tokens), 0,
     (double)PG_MOCK_MAX_TOKENS},
    {"seed", KEY_SEED, offsetof(pg_mock_config, seed), 0, 0},
    {"jitter", KEY_DOUBLE, offsetof(pg_mock_config, jitter), 0, 1},
    {"error_rate", KEY_DOUBLE, offsetof(pg_mock_config, error_rate), 0, 1},
    {"rate_limit_rate", KEY_DOUBLE, offsetof(pg_mock_config, rate_limit_rate), 0, 1},
    {"unavailable_rate", KEY_DOUBLE, offsetof(pg_mock_config, unavailable_rate), 0, 1},
    {"stall_rate", KEY_DOUBLE, offsetof(pg_mock_config, stall_rate), 0, 1},
    {"reset_rate", KEY_DOUBLE, offsetof(pg_mock_config, reset_rate), 0, 1},
    {"malformed_rate", KEY_DOUBLE, offsetof(pg_mock_config, malformed_rate), 0, 1},
    {"midstream_error_rate", KEY_DOUBLE, offsetof(pg_mock_config, midstream_error_rate), 0, 1},
    {"retry_after_s", KEY_INT, offsetof(pg_mock_config, retry_after_s), 0, 86400},
    {"stall_after", KEY_INT, offsetof(pg_mock_config, stall_after), 0, (double)PG_MOCK_MAX_TOKENS},
    {"reset_after", KEY_INT, offsetof(pg_mock_config, reset_after), 0, (double)PG_MOCK_MAX_TOKENS},
    {"first_byte_delay_ms", KEY_DOUBLE, offsetof(pg_mock_config, first_byte_delay_ms), 0, 1e6},
    {"speed", KEY_DOUBLE, offsetof(pg_mock_config, speed), 0.001, 1000},
    {"run_noise", KEY_DOUBLE, offsetof(pg_mock_config, run_noise), 0, 1},
    {"truth_log", KEY_PATH, offsetof(pg_mock_config, truth_log), 0, 0},
    {"ignore_max_tokens", KEY_INT, offsetof(pg_mock_config, ignore_max_tokens), 0, 1},
};

#define N_KEYS (sizeof(mock_keys) / sizeof(mock_keys[0]))

static int in_range(double v, double min, double max)
{
	return v >= min && v <= max; /* false for NaN */
}

int pg_mock_config_check(const pg_mock_config *cfg)
{
	size_t i;

	if (cfg == NULL || cfg->version != PG_MOCK_CONFIG_VERSION) {
		pg_error_set("mock: config version %u is not supported (expected %u)",
			     cfg ? cfg->version : 0u, (unsigned)PG_MOCK_CONFIG_VERSION);
		return PG_EINVAL;
	}
	for (i = 0; i < N_KEYS; i++) {
		const mock_key *k = &mock_keys[i];
		const char *field = (const char *)cfg + k->offset;
		double v;

		if (k->type == KEY_SEED)
			continue;
		if (k->type == KEY_PATH) {
			if (memchr(field, '\0', PG_MOCK_PATH_MAX) == NULL) {
				pg_error_set("mock: %s is not terminated", k->name);
				return PG_EINVAL;
			}
			continue;
		}
		if (k->type == KEY_DOUBLE)
			memcpy(&v, field, sizeof(v));
		else {
			int64_t n;

			memcpy(&n, field, sizeof(n));
			v = (double)n;
		}
		if (!in_range(v, k->min, k->max)) {
			pg_error_set("mock: %s must be between %g and %g", k->name, k->min, k->max);
			return PG_EINVAL;
		}
	}
	return 0;
}

/* Parses one value of key k from text into the matching field of cfg. */
static int parse_value(pg_mock_config *cfg, const mock_key *k, const char *text)
{
	char *field = (char *)cfg + k->offset;
	char *end = NULL;
	int64_t n;
	uint64_t s;

	if (*text == '\0') {
		pg_error_set("mock: parameter '%s' needs a value", k->name);
		return PG_EINVAL;
	}
	errno = 0;
	if (k->type == KEY_DOUBLE) {
		double v = strtod(text, &end);

		if (*end != '\0' || errno == ERANGE || !in_range(v, k->min, k->max))
			goto bad;
		memcpy(field, &v, sizeof(v));
	} else if (k->type == KEY_INT) {
		long long v = strtoll(text, &end, 10);

		if (*end != '\0' || errno == ERANGE || !in_range((double)v, k->min, k->max))
			goto bad;
		n = v;
		memcpy(field, &n, sizeof(n));
	} else if (k->type == KEY_PATH) {
		size_t len = strlen(text);

		if (len >= PG_MOCK_PATH_MAX) {
			pg_error_set("mock: parameter '%s' is longer than %d bytes", k->name,
				     PG_MOCK_PATH_MAX - 1);
			return PG_EINVAL;
		}
		memcpy(field, text, len + 1);
	} else {
		unsigned long long v;

		if (text[0] < '0' || text[0] > '9')
			goto bad;
		v = strtoull(text, &end, 10);
		if (*end != '\0' || errno == ERANGE)
			goto bad;
		s = v;
		memcpy(field, &s, sizeof(s));
	}
	return 0;
bad:
	if (k->type == KEY_SEED)
		pg_error_set("mock: parameter 'seed' must be an unsigned integer, got '%s'", text);
	else
		pg_error_set("mock: parameter '%s' must be %s between %g and %g, got '%s'", k->name,
			     k->type == KEY_INT ? "an integer" : "a number", k->min, k->max, text);
	return PG_EINVAL;
}

/* "decode_ms, prefill_us, ..." : every key, in table order. */
static void known_keys(char *buf, size_t size)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < N_KEYS && used < size; i++) {
		int n =
		    snprintf(buf + used, size - used, "%s%s", i > 0 ? ", " : "", mock_keys[i].name);

		if (n < 0)
			break;
		used += (size_t)n;
	}
}

int pg_mock_config_parse(pg_mock_config *cfg, const char *query)
{
	pg_mock_config tmp;
	char *copy = NULL, *item, *save = NULL;
	int rc = 0;

	if (cfg == NULL) {
		pg_error_set("mock: no config to apply parameters to");
		return PG_EINVAL;
	}
	if (query == NULL || *query == '\0')
		return 0;
	tmp = *cfg;
	copy = strdup(query);
	if (copy == NULL) {
		pg_error_set("mock: out of memory");
		rc = PG_ENOMEM;
		goto done;
	}
	for (item = strtok_r(copy, "&", &save); item != NULL; item = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(item, '=');
		size_t i;

		if (eq == NULL) {
			pg_error_set("mock: parameter '%s' needs a value (%s=...)", item, item);
			rc = PG_EINVAL;
			goto done;
		}
		*eq = '\0';
		for (i = 0; i < N_KEYS; i++)
			if (strcmp(item, mock_keys[i].name) == 0)
				break;
		if (i == N_KEYS) {
			char known[1024];

			known_keys(known, sizeof(known));
			pg_error_set("mock: unknown parameter '%s' (known: %s)", item, known);
			rc = PG_EINVAL;
			goto done;
		}
		rc = parse_value(&tmp, &mock_keys[i], eq + 1);
		if (rc != 0)
			goto done;
	}
	*cfg = tmp; /* all or nothing */
done:
	free(copy);
	return rc;
}

/* splitmix64 finaliser: a bijective 64-bit mix. */
static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

uint64_t pg_mock_rng_init(uint64_t seed, uint64_t reqno)
{
	return mix64(seed ^ mix64(reqno + UINT64_C(0x9e3779b97f4a7c15)));
}

double pg_mock_rng_uniform(uint64_t *state)
{
	*state += UINT64_C(0x9e3779b97f4a7c15);
	return (double)(mix64(*state) >> 11) * 0x1.0p-53;
}

/* ns * (1 +- jitter), clamped to [0, MOCK_MAX_STEP_NS]. Draws from *rng
 * only when jitter > 0, so jitter=0 runs are exact. */
static pg_ns jittered(const pg_mock_config *cfg, double ns, uint64_t *rng)
{
	if (cfg->jitter > 0)
		ns *= 1.0 + cfg->jitter * (2.0 * pg_mock_rng_uniform(rng) - 1.0);
	if (!(ns > 0))
		return 0;
	if (ns > MOCK_MAX_STEP_NS)
		ns = MOCK_MAX_STEP_NS;
	return (pg_ns)llround(ns);
}

pg_ns pg_mock_prefill_ns(const pg_mock_config *cfg, int64_t input_tokens, uint64_t *rng)
{
	double ns = cfg->ttft_ms * 1e6 + cfg->prefill_us * 1e3 * (double)input_tokens;

	return jittered(cfg, ns * cfg->speed, rng);
}

pg_ns pg_mock_decode_ns(const pg_mock_config *cfg, int64_t active, uint64_t *rng)
{
	double others = active > 1 ? (double)(active - 1) : 0.0;
	double ns = cfg->decode_ms * 1e6 * (1.0 + cfg->batch_slowdown * others);

	return jittered(cfg, ns * cfg->speed, rng);
}

pg_ns pg_mock_first_byte_delay_ns(const pg_mock_config *cfg)
{
	double ns = cfg->first_byte_delay_ms * 1e6 * cfg->speed;

	if (!(ns > 0))
		return 0;
	return (pg_ns)llround(ns > MOCK_MAX_STEP_NS ? MOCK_MAX_STEP_NS : ns);
}

/* Salts that give the fault draws and the run-noise draw PRNG streams of
 * their own, so that turning faults on does not move the jitter. */
#define FAULT_SALT UINT64_C(0x243f6a8885a308d3)
#define NOISE_SALT UINT64_C(0x13198a2e03707344)
/* |z| bound of the run-noise normal draw. */
#define NOISE_Z_MAX 3.0

double pg_mock_run_speed(const pg_mock_config *cfg)
{
	uint64_t rng;
	double u1, u2, z;

	if (!(cfg->run_noise > 0))
		return cfg->speed;
	rng = pg_mock_rng_init(cfg->seed ^ NOISE_SALT, 0);
	u1 = 1.0 - pg_mock_rng_uniform(&rng); /* (0, 1]: log is finite */
	u2 = pg_mock_rng_uniform(&rng);
	z = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2); /* Box-Muller */
	if (z > NOISE_Z_MAX)
		z = NOISE_Z_MAX;
	if (z < -NOISE_Z_MAX)
		z = -NOISE_Z_MAX;
	return cfg->speed * exp(cfg->run_noise * z);
}

pg_mock_fault pg_mock_fault_draw(const pg_mock_config *cfg, uint64_t reqno)
{
	const double rates[] = {
	    cfg->error_rate, cfg->rate_limit_rate, cfg->unavailable_rate,     cfg->stall_rate,
	    cfg->reset_rate, cfg->malformed_rate,  cfg->midstream_error_rate,
	};
	uint64_t rng = pg_mock_rng_init(cfg->seed ^ FAULT_SALT, reqno);
	pg_mock_fault fate = PG_MOCK_FAULT_NONE;
	size_t i;

	/* every draw is always made, so each rate's draw for a request does
	 * not depend on the other rates */
	for (i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		double u = pg_mock_rng_uniform(&rng);

		if (fate == PG_MOCK_FAULT_NONE && u < rates[i])
			fate = (pg_mock_fault)(PG_MOCK_FAULT_ERROR + (int)i);
	}
	return fate;
}

int64_t pg_mock_fault_after(const pg_mock_config *cfg, pg_mock_fault f, int64_t output_tokens)
{
	int64_t after;

	switch (f) {
	case PG_MOCK_FAULT_STALL:
		after = cfg->stall_after;
		break;
	case PG_MOCK_FAULT_RESET:
		after = cfg->reset_after;
		break;
	case PG_MOCK_FAULT_MALFORMED:
	case PG_MOCK_FAULT_MIDSTREAM:
		after = 1;
		break;
	default:
		return -1;
	}
	return after < output_tokens ? after : output_tokens;
}

static const char *const mock_words[] = {
    "the ",  "quick ", "model ", "streams ", "tokens ", "at ",	"a ",	 "steady ",
    "pace ", "while ", "every ", "request ", "waits ",	"its ", "turn ", "politely ",
};

const char *pg_mock_token_text(uint64_t seed, int64_t i)
{
	uint64_t h = mix64(seed ^ mix64((uint64_t)i ^ UINT64_C(0x6a09e667f3bcc909)));

	return mock_words[h % (sizeof(mock_words) / sizeof(mock_words[0]))];
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

int64_t pg_mock_count_words(const char *s)
{
	int64_t n = 0;
	int in_word = 0;

	for (; s != NULL && *s != '\0'; s++) {
		if (is_space(*s))
			in_word = 0;
		else if (!in_word) {
			in_word = 1;
			n++;
		}
	}
	return n;
}

/* Words of a message "content": a string, null, or an array of parts whose
 * "text" members are counted (image and other parts count nothing). */
static int content_words(int64_t *words, json_t *content)
{
	size_t i;
	json_t *part;

	if (content == NULL || json_is_null(content))
		return 0;
	if (json_is_string(content)) {
		*words += pg_mock_count_words(json_string_value(content));
		return 0;
	}
	if (!json_is_array(content)) {
		pg_error_set("'content' must be a string or an array of parts");
		return PG_EINVAL;
	}
	json_array_foreach(content, i, part)
	{
		json_t *text = json_is_object(part) ? json_object_get(part, "text") : NULL;

		if (!json_is_object(part)) {
			pg_error_set("each part of 'content' must be an object");
			return PG_EINVAL;
		}
		if (json_is_string(text))
			*words += pg_mock_count_words(json_string_value(text));
	}
	return 0;
}

static int input_words(int64_t *words, json_t *root, int chat)
{
	size_t i;
	json_t *v, *item;

	if (chat) {
		v = json_object_get(root, "messages");
		if (!json_is_array(v) || json_array_size(v) == 0) {
			pg_error_set("'messages' must be a non-empty array");
			return PG_EINVAL;
		}
		json_array_foreach(v, i, item)
		{
			if (!json_is_object(item)) {
				pg_error_set("each message must be an object");
				return PG_EINVAL;
			}
			if (content_words(words, json_object_get(item, "content")) != 0)
				return PG_EINVAL;
		}
		return 0;
	}
	v = json_object_get(root, "prompt");
	if (json_is_string(v)) {
		*words += pg_mock_count_words(json_string_value(v));
		return 0;
	}
	if (json_is_array(v)) {
		json_array_foreach(v, i, item)
		{
			if (!json_is_string(item)) {
				pg_error_set("'prompt' must be a string or an array of strings");
				return PG_EINVAL;
			}
			*words += pg_mock_count_words(json_string_value(item));
		}
		return 0;
	}
	pg_error_set("'prompt' must be a string or an array of strings");
	return PG_EINVAL;
}

/* A JSON boolean member, absent or null meaning false. */
static int get_bool(int *out, json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	*out = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_boolean(v)) {
		pg_error_set("'%s' must be a boolean", key);
		return PG_EINVAL;
	}
	*out = json_is_true(v);
	return 0;
}

static int get_max_tokens(int64_t *out, json_t *root)
{
	static const char *const keys[] = {"max_completion_tokens", "max_tokens"};
	size_t i;

	*out = -1;
	for (i = 0; i < 2; i++) {
		json_t *v = json_object_get(root, keys[i]);
		json_int_t n;

		if (v == NULL || json_is_null(v))
			continue;
		n = json_is_integer(v) ? json_integer_value(v) : 0;
		if (n < 1 || n > PG_MOCK_MAX_TOKENS) {
			pg_error_set("'%s' must be an integer between 1 and %" PRId64, keys[i],
				     PG_MOCK_MAX_TOKENS);
			return PG_EINVAL;
		}
		*out = n;
		return 0;
	}
	return 0;
}

int pg_mock_request_parse(pg_mock_request *out, const pg_mock_config *cfg, int chat,
			  const char *body, size_t len)
{
	json_error_t jerr;
	json_t *root = NULL, *v;
	const char *model = PG_MOCK_MODEL_NAME;
	int64_t words = 0, n;
	int ignore_eos;
	int rc = PG_EINVAL;

	memset(out, 0, sizeof(*out));
	out->max_tokens = -1;
	root = json_loadb(body ? body : "", len, 0, &jerr);
	if (root == NULL) {
		pg_error_set("request body is not valid JSON: %s (line %d, column %d)", jerr.text,
			     jerr.line, jerr.column);
		rc = PG_EPARSE;
		goto done;
	}
	if (!json_is_object(root)) {
		pg_error_set("request body must be a JSON object");
		goto done;
	}
	v = json_object_get(root, "model");
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    json_string_length(v) > MOCK_MAX_MODEL_LEN ||
		    strlen(json_string_value(v)) != json_string_length(v)) {
			pg_error_set("'model' must be a non-empty string of at most %d bytes",
				     MOCK_MAX_MODEL_LEN);
			goto done;
		}
		model = json_string_value(v);
	}
	if (get_bool(&out->stream, root, "stream") != 0 ||
	    get_bool(&ignore_eos, root, "ignore_eos") != 0 ||
	    get_max_tokens(&out->max_tokens, root) != 0)
		goto done;
	v = json_object_get(root, "stream_options");
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_object(v)) {
			pg_error_set("'stream_options' must be an object");
			goto done;
		}
		if (get_bool(&out->include_usage, v, "include_usage") != 0)
			goto done;
	}
	if (input_words(&words, root, chat) != 0)
		goto done;
	out->chat = chat;
	out->input_tokens = words > 0 ? words : 1;
	if (cfg->output_tokens > 0)
		n = cfg->output_tokens;
	else if (out->max_tokens > 0)
		n = out->max_tokens;
	else
		n = MOCK_DEFAULT_TOKENS;
	if (out->max_tokens > 0 && n >= out->max_tokens && !cfg->ignore_max_tokens) {
		n = out->max_tokens;
		out->hit_limit = 1;
	}
	out->output_tokens = n;
	out->model = strdup(model);
	if (out->model == NULL) {
		pg_error_set("out of memory");
		rc = PG_ENOMEM;
		goto done;
	}
	rc = 0;
done:
	json_decref(root);
	if (rc != 0)
		pg_mock_request_clear(out);
	return rc;
}

void pg_mock_request_clear(pg_mock_request *r)
{
	if (r == NULL)
		return;
	free(r->model);
	memset(r, 0, sizeof(*r));
	r->max_tokens = -1;
}
