/*
 * Tests for the mock model server: config parsing, the simulation helpers,
 * and the HTTP server driven with libcurl (response shapes, max_tokens,
 * errors, timing lower bounds, the slot cap, disconnects and shutdown), and
 * its injected faults, speed, run noise and truth log.
 * Timing checks are lower bounds only: a loaded machine can make the mock
 * late, never early.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <curl/curl.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "mock.h"
#include "mock_faults.h"
#include "mock_model.h"

#define BODY_CAP (8 * 1024 * 1024)

static pg_ns now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (pg_ns)ts.tv_sec * PG_NS_PER_S + ts.tv_nsec;
}

/* ---- config parsing ---- */

/* Field by field: the struct has padding, so memcmp would compare junk. */
static void assert_config_equal(const pg_mock_config *a, const pg_mock_config *b)
{
	assert_int_equal(a->version, b->version);
	assert_true(a->decode_ms == b->decode_ms);
	assert_true(a->prefill_us == b->prefill_us);
	assert_true(a->ttft_ms == b->ttft_ms);
	assert_true(a->batch_slowdown == b->batch_slowdown);
	assert_int_equal(a->slots, b->slots);
	assert_int_equal(a->output_tokens, b->output_tokens);
	assert_true(a->seed == b->seed);
	assert_true(a->jitter == b->jitter);
	assert_true(a->error_rate == b->error_rate);
	assert_true(a->rate_limit_rate == b->rate_limit_rate);
	assert_true(a->unavailable_rate == b->unavailable_rate);
	assert_true(a->stall_rate == b->stall_rate);
	assert_true(a->reset_rate == b->reset_rate);
	assert_true(a->malformed_rate == b->malformed_rate);
	assert_true(a->midstream_error_rate == b->midstream_error_rate);
	assert_int_equal(a->retry_after_s, b->retry_after_s);
	assert_int_equal(a->stall_after, b->stall_after);
	assert_int_equal(a->reset_after, b->reset_after);
	assert_true(a->first_byte_delay_ms == b->first_byte_delay_ms);
	assert_true(a->speed == b->speed);
	assert_true(a->run_noise == b->run_noise);
	assert_string_equal(a->truth_log, b->truth_log);
}

static void config_parse_applies_every_key(void **state)
{
	pg_mock_config cfg = PG_MOCK_CONFIG_INIT;

	(void)state;
	assert_int_equal(pg_mock_config_parse(&cfg, "decode_ms=12.5&prefill_us=3&ttft_ms=40&"
						    "batch_slowdown=0.25&slots=7&output_tokens=9&"
						    "seed=18446744073709551615&jitter=0.5"),
			 0);
	assert_true(cfg.decode_ms == 12.5);
	assert_true(cfg.prefill_us == 3.0);
	assert_true(cfg.ttft_ms == 40.0);
	assert_true(cfg.batch_slowdown == 0.25);
	assert_int_equal(cfg.slots, 7);
	assert_int_equal(cfg.output_tokens, 9);
	assert_true(cfg.seed == UINT64_MAX);
	assert_true(cfg.jitter == 0.5);
	assert_int_equal(pg_mock_config_check(&cfg), 0);
}

static void config_parse_accepts_empty_query(void **state)
{
	pg_mock_config cfg = PG_MOCK_CONFIG_INIT, before = PG_MOCK_CONFIG_INIT;

	(void)state;
	assert_int_equal(pg_mock_config_parse(&cfg, ""), 0);
	assert_int_equal(pg_mock_config_parse(&cfg, NULL), 0);
	assert_config_equal(&cfg, &before);
	assert_int_equal(pg_mock_config_check(&cfg), 0);
}

static void config_parse_rejects_unknown_key_and_lists_known(void **state)
{
	pg_mock_config cfg = PG_MOCK_CONFIG_INIT, before = PG_MOCK_CONFIG_INIT;

	(void)state;
	assert_int_equal(pg_mock_config_parse(&cfg, "slots=3&decode_mss=5"), PG_EINVAL);
	assert_non_null(strstr(pg_error_last(), "unknown parameter 'decode_mss'"));
	assert_non_null(strstr(pg_error_last(), "known: decode_ms, prefill_us"));
	/* all or nothing: slots=3 was not applied */
	assert_config_equal(&cfg, &before);
}

static void config_parse_rejects_malformed_values(void **state)
{
	static const char *const bad[] = {
	    "decode_ms=abc", "decode_ms=5x", "decode_ms=", "decode_ms",	 "slots=1.5",
	    "slots=2 ",	     "seed=-1",	     "seed=x",	   "jitter=nan", "output_tokens=1e3",
	};
	pg_mock_config cfg = PG_MOCK_CONFIG_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char key[32];

		assert_int_equal(pg_mock_config_parse(&cfg, bad[i]), PG_EINVAL);
		snprintf(key, sizeof(key), "'%.*s'", (int)strcspn(bad[i], "="), bad[i]);
		assert_non_null(strstr(pg_error_last(), key));
	}
}

static void config_parse_rejects_out_of_range(void **state)
{
	static const char *const bad[] = {
	    "slots=0",
	    "slots=1000001",
	    "jitter=1.5",
	    "jitter=-0.1",
	    "decode_ms=-1",
	    "ttft_ms=1e7",
	    "output_tokens=1000001",
	    "prefill_us=inf",
	    "batch_slowdown=-2",
	};
	pg_mock_config cfg = PG_MOCK_CONFIG_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(pg_mock_config_parse(&cfg, bad[i]), PG_EINVAL);
		assert_non_null(strstr(pg_error_last(), "between"));
	}
	cfg.slots = 0;
	assert_int_equal(pg_mock_config_check(&cfg), PG_EINVAL);
	assert_non_null(strstr(pg_error_last(), "slots"));
}

static void config_parse_applies_fault_and_speed_keys(void **state)
{
	pg_mock_config cfg = PG_MOCK_CONFIG_INIT;

	(void)state;
	/* defaults */
	assert_true(cfg.error_rate == 0 && cfg.stall_rate == 0 && cfg.midstream_error_rate == 0);
	assert_int_equal(cfg.retry_after_s, 1);
	assert_int_equal(cfg.stall_after, 2);
	assert_int_equal(cfg.reset_after, 2);
	assert_true(cfg.speed == 1.0);
	assert_true(cfg.run_noise == 0.0);
	assert_true(cfg.first_byte_delay_ms == 0.0);
	assert_string_equal(cfg.truth_log, "");
	assert_int_equal(pg_mock_config_parse(&cfg, "error_rate=0.1&rate_limit_rate=0.2&"
						    "unavailable_rate=0.3&stall_rate=0.4&"
						    "reset_rate=0.5&malformed_rate=0.6&"
						    "midstream_error_rate=1&retry_after_s=30&"
						    "stall_after=0&reset_after=7&"
						    "first_byte_delay_ms=12.5&speed=2.5&"
						    "run_noise=0.05&truth_log=/tmp/x y.log"),
			 0);
	assert_true(cfg.error_rate == 0.1);
	assert_true(cfg.rate_limit_rate == 0.2);
	assert_true(cfg.unavailable_rate == 0.3);
	assert_true(cfg.stall_rate == 0.4);
	assert_true(cfg.reset_rate == 0.5);
	assert_true(cfg.malformed_rate == 0.6);
	assert_true(cfg.midstream_error_rate == 1.0);
	assert_int_equal(cfg.retry_after_s, 30);
	assert_int_equal(cfg.stall_after, 0);
	assert_int_equal(cfg.reset_after, 7);
	assert_true(cfg.first_byte_delay_ms == 12.5);
	assert_true(cfg.speed == 2.5);
	assert_true(cfg.run_noise == 0.05);
	assert_string_equal(cfg.truth_log, "/tmp/x y.log");
	assert_int_equal(pg_mock_config_check(&cfg), 0);
}

static void config_parse_rejects_bad_fault_values(void **state)
{
	static const char *const bad[] = {
	    "error_rate=1.01",
	    "rate_limit_rate=-0.5",
	    "unavailable_rate=2",
	    "stall_rate=x",
	    "reset_rate=nan",
	    "malformed_rate=",
	    "midstream_error_rate=1e3",
	    "retry_after_s=-1",
	    "retry_after_s=1.5",
	    "retry_after_s=86401",
	    "stall_after=-1",
	    "reset_after=1000001",
	    "first_byte_delay_ms=-1",
	    "speed=0",
	    "speed=-1",
	    "speed=1001",
	    "run_noise=1.5",
	    "truth_log=",
	    "truth_log",
	};
	pg_mock_config cfg = PG_MOCK_CONFIG_INIT, before = PG_MOCK_CONFIG_INIT;
	char *longpath;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char key[40];

		assert_int_equal(pg_mock_config_parse(&cfg, bad[i]), PG_EINVAL);
		snprintf(key, sizeof(key), "'%.*s'", (int)strcspn(bad[i], "="), bad[i]);
		assert_non_null(strstr(pg_error_last(), key));
	}
	longpath = malloc(PG_MOCK_PATH_MAX + 16);
	assert_non_null(longpath);
	memcpy(longpath, "truth_log=", 10);
	memset(longpath + 10, 'a', PG_MOCK_PATH_MAX);
	longpath[10 + PG_MOCK_PATH_MAX] = '\0';
	assert_int_equal(pg_mock_config_parse(&cfg, longpath), PG_EINVAL);
	assert_non_null(strstr(pg_error_last(), "longer than"));
	free(longpath);
	assert_config_equal(&cfg, &before);
	/* the unknown-key message lists the new keys too */
	assert_int_equal(pg_mock_config_parse(&cfg, "eror_rate=1"), PG_EINVAL);
	assert_non_null(strstr(pg_error_last(), "unknown parameter 'eror_rate'"));
	assert_non_null(strstr(pg_error_last(),
			       "error_rate, rate_limit_rate, unavailable_rate, stall_rate, "
			       "reset_rate, malformed_rate, midstream_error_rate, retry_after_s, "
			       "stall_after, reset_after, first_byte_delay_ms, speed, run_noise, "
			       "truth_log, ignore_max_tokens)"));
	cfg.speed = 0;
	assert_int_equal(pg_mock_config_check(&cfg), PG_EINVAL);
	assert_non_null(strstr(pg_error_last(), "speed"));
}

/* ---- simulation helpers ---- */

static int parse_lit(pg_mock_request *r, const pg_mock_config *cfg, int chat, const char *body)
{
	return pg_mock_request_parse(r, cfg, chat, body, strlen(body));
}

static void count_words_splits_on_whitespace(void **state)
{
	(void)state;
	assert_int_equal(pg_mock_count_words(""), 0);
	assert_int_equal(pg_mock_count_words("   \t\n"), 0);
	assert_int_equal(pg_mock_count_words("one"), 1);
	assert_int_equal(pg_mock_count_words("  two words\n"), 2);
	assert_int_equal(pg_mock_count_words("a\tb\nc\rd e"), 5);
}

static void request_parse_estimates_tokens_and_answer_length(void **state)
{
	pg_mock_config cfg = PG_MOCK_CONFIG_INIT;
	pg_mock_request r;
	static const char chat[] =
	    "{\"model\":\"m1\",\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},"
	    "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hello there you\"}]}],"
	    "\"max_tokens\":7,\"stream\":true,\"stream_options\":{\"include_usage\":true}}";

	(void)state;
	assert_int_equal(pg_mock_request_parse(&r, &cfg, 1, chat, strlen(chat)), 0);
	assert_string_equal(r.model, "m1");
	assert_int_equal(r.input_tokens, 5);
	assert_int_equal(r.output_tokens, 7);
	assert_int_equal(r.hit_limit, 1);
	assert_true(r.stream && r.include_usage && r.chat);
	pg_mock_request_clear(&r);

	/* no max_tokens: 16 tokens, natural stop; empty prompt still costs 1 */
	assert_int_equal(parse_lit(&r, &cfg, 0, "{\"prompt\":\"\"}"), 0);
	assert_string_equal(r.model, PG_MOCK_MODEL_NAME);
	assert_int_equal(r.input_tokens, 1);
	assert_int_equal(r.output_tokens, 16);
	assert_int_equal(r.hit_limit, 0);
	pg_mock_request_clear(&r);

	/* output_tokens wins over max_tokens only below it */
	cfg.output_tokens = 4;
	assert_int_equal(parse_lit(&r, &cfg, 0, "{\"prompt\":[\"a b\",\"c\"],\"max_tokens\":10}"),
			 0);
	assert_int_equal(r.input_tokens, 3);
	assert_int_equal(r.output_tokens, 4);
	assert_int_equal(r.hit_limit, 0);
	pg_mock_request_clear(&r);
	cfg.output_tokens = 50;
	assert_int_equal(parse_lit(&r, &cfg, 0, "{\"prompt\":\"x\",\"max_completion_tokens\":3}"),
			 0);
	assert_int_equal(r.output_tokens, 3);
	assert_int_equal(r.hit_limit, 1);
	pg_mock_request_clear(&r);
}

static void request_parse_rejects_bad_fields(void **state)
{
	static const char *const bad[] = {
	    "{\"messages\":[]}",
	    "{\"messages\":\"hi\"}",
	    "{\"messages\":[{\"content\":\"x\"}],\"max_tokens\":0}",
	    "{\"messages\":[{\"content\":\"x\"}],\"max_tokens\":\"5\"}",
	    "{\"messages\":[{\"content\":\"x\"}],\"stream\":\"yes\"}",
	    "{\"messages\":[{\"content\":\"x\"}],\"model\":7}",
	    "[1,2]",
	};
	pg_mock_config cfg = PG_MOCK_CONFIG_INIT;
	pg_mock_request r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(pg_mock_request_parse(&r, &cfg, 1, bad[i], strlen(bad[i])),
				 PG_EINVAL);
		assert_null(r.model);
	}
	assert_int_equal(parse_lit(&r, &cfg, 1, "{nope"), PG_EPARSE);
	assert_non_null(strstr(pg_error_last(), "not valid JSON"));
	assert_int_equal(parse_lit(&r, &cfg, 0, "{\"messages\":[]}"), PG_EINVAL);
	assert_non_null(strstr(pg_error_last(), "'prompt'"));
}

static void step_times_follow_the_model_and_jitter_stays_in_bounds(void **state)
{
	pg_mock_config cfg = PG_MOCK_CONFIG_INIT;
	uint64_t rng = pg_mock_rng_init(1, 1), rng2;
	int i;

	(void)state;
	cfg.decode_ms = 10;
	cfg.batch_slowdown = 0.5;
	cfg.ttft_ms = 30;
	cfg.prefill_us = 100;
	assert_int_equal(pg_mock_decode_ns(&cfg, 1, &rng), 10 * PG_NS_PER_MS);
	assert_int_equal(pg_mock_decode_ns(&cfg, 3, &rng), 20 * PG_NS_PER_MS);
	assert_int_equal(pg_mock_prefill_ns(&cfg, 50, &rng), 35 * PG_NS_PER_MS);
	cfg.jitter = 0.2;
	rng = pg_mock_rng_init(42, 7);
	rng2 = pg_mock_rng_init(42, 7);
	for (i = 0; i < 1000; i++) {
		pg_ns d = pg_mock_decode_ns(&cfg, 1, &rng);

		assert_true(d >= 8 * PG_NS_PER_MS && d <= 12 * PG_NS_PER_MS);
		assert_int_equal(d, pg_mock_decode_ns(&cfg, 1, &rng2)); /* reproducible */
	}
	assert_true(pg_mock_rng_init(42, 7) != pg_mock_rng_init(42, 8));
	assert_true(pg_mock_rng_init(42, 7) != pg_mock_rng_init(43, 7));
}

static void token_text_depends_only_on_seed_and_index(void **state)
{
	int64_t i;
	int differs = 0;

	(void)state;
	for (i = 0; i < 64; i++) {
		const char *t = pg_mock_token_text(5, i);

		assert_string_equal(t, pg_mock_token_text(5, i));
		assert_true(strlen(t) >= 2 && t[strlen(t) - 1] == ' ');
		if (strcmp(t, pg_mock_token_text(6, i)) != 0)
			differs = 1;
	}
	assert_true(differs);
}

static void fault_draw_is_a_pure_function_in_a_fixed_order(void **state)
{
	pg_mock_config cfg = PG_MOCK_CONFIG_INIT, other = PG_MOCK_CONFIG_INIT;
	int64_t n = 0, same = 0;
	uint64_t i;

	(void)state;
	for (i = 1; i <= 1000; i++)
		assert_int_equal(pg_mock_fault_draw(&cfg, i), PG_MOCK_FAULT_NONE);
	/* every rate at 1: the first in the order wins */
	cfg.error_rate = cfg.rate_limit_rate = cfg.unavailable_rate = cfg.stall_rate = 1;
	cfg.reset_rate = cfg.malformed_rate = cfg.midstream_error_rate = 1;
	assert_int_equal(pg_mock_fault_draw(&cfg, 1), PG_MOCK_FAULT_ERROR);
	cfg.error_rate = 0;
	assert_int_equal(pg_mock_fault_draw(&cfg, 2), PG_MOCK_FAULT_RATE_LIMIT);
	cfg.rate_limit_rate = 0;
	assert_int_equal(pg_mock_fault_draw(&cfg, 3), PG_MOCK_FAULT_UNAVAILABLE);
	cfg.unavailable_rate = 0;
	assert_int_equal(pg_mock_fault_draw(&cfg, 4), PG_MOCK_FAULT_STALL);
	cfg.stall_rate = 0;
	assert_int_equal(pg_mock_fault_draw(&cfg, 5), PG_MOCK_FAULT_RESET);
	cfg.reset_rate = 0;
	assert_int_equal(pg_mock_fault_draw(&cfg, 6), PG_MOCK_FAULT_MALFORMED);
	cfg.malformed_rate = 0;
	assert_int_equal(pg_mock_fault_draw(&cfg, 7), PG_MOCK_FAULT_MIDSTREAM);
	/* a fraction: about half, the same for the same (seed, reqno) */
	cfg = (pg_mock_config)PG_MOCK_CONFIG_INIT;
	cfg.error_rate = 0.5;
	other = cfg;
	other.seed = 2;
	for (i = 1; i <= 10000; i++) {
		pg_mock_fault f = pg_mock_fault_draw(&cfg, i);

		assert_int_equal(f, pg_mock_fault_draw(&cfg, i));
		n += f == PG_MOCK_FAULT_ERROR;
		same += f == pg_mock_fault_draw(&other, i);
	}
	assert_true(n > 4500 && n < 5500);
	assert_true(same < 10000); /* another seed, other fates */
	/* a later rate's draw does not depend on the earlier rates: with
	 * error_rate 0.5 and stall_rate 1, exactly the requests spared by the
	 * error draw stall */
	cfg.stall_rate = 1;
	for (i = 1; i <= 1000; i++) {
		pg_mock_config only_err = cfg;

		only_err.stall_rate = 0;
		assert_int_equal(pg_mock_fault_draw(&cfg, i),
				 pg_mock_fault_draw(&only_err, i) == PG_MOCK_FAULT_ERROR
				     ? PG_MOCK_FAULT_ERROR
				     : PG_MOCK_FAULT_STALL);
	}
}

static void fault_after_counts_tokens_before_the_fault(void **state)
{
	pg_mock_config cfg = PG_MOCK_CONFIG_INIT;

	(void)state;
	cfg.stall_after = 3;
	cfg.reset_after = 0;
	assert_int_equal(pg_mock_fault_after(&cfg, PG_MOCK_FAULT_STALL, 10), 3);
	assert_int_equal(pg_mock_fault_after(&cfg, PG_MOCK_FAULT_STALL, 2), 2);
	assert_int_equal(pg_mock_fault_after(&cfg, PG_MOCK_FAULT_RESET, 10), 0);
	assert_int_equal(pg_mock_fault_after(&cfg, PG_MOCK_FAULT_MALFORMED, 10), 1);
	assert_int_equal(pg_mock_fault_after(&cfg, PG_MOCK_FAULT_MIDSTREAM, 1), 1);
	assert_int_equal(pg_mock_fault_after(&cfg, PG_MOCK_FAULT_ERROR, 10), -1);
	assert_int_equal(pg_mock_fault_after(&cfg, PG_MOCK_FAULT_NONE, 10), -1);
}

static void speed_multiplies_every_delay(void **state)
{
	pg_mock_config cfg = PG_MOCK_CONFIG_INIT;
	uint64_t rng = pg_mock_rng_init(1, 1);

	(void)state;
	cfg.decode_ms = 10;
	cfg.ttft_ms = 30;
	cfg.prefill_us = 100;
	cfg.first_byte_delay_ms = 7;
	cfg.speed = 2;
	assert_int_equal(pg_mock_decode_ns(&cfg, 1, &rng), 20 * PG_NS_PER_MS);
	assert_int_equal(pg_mock_prefill_ns(&cfg, 50, &rng), 70 * PG_NS_PER_MS);
	assert_int_equal(pg_mock_first_byte_delay_ns(&cfg), 14 * PG_NS_PER_MS);
	cfg.speed = 0.5;
	assert_int_equal(pg_mock_decode_ns(&cfg, 1, &rng), 5 * PG_NS_PER_MS);
	assert_true(pg_mock_run_speed(&cfg) == 0.5); /* no run noise: exactly speed */
}

/* ---- HTTP client helpers ---- */

typedef struct resp {
	long status;
	char *body;
	size_t len;
	char ctype[128];
	char cache_control[64];
	char retry_after[32];
	pg_ns t_first; /* first header byte, CLOCK_MONOTONIC */
	pg_ns t_end;
	int abort_on_data; /* write callback fails on the first body bytes */
	int got_data;
	CURLcode rc;
} resp;

static void resp_free(resp *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	resp *r = arg;
	size_t len = size * n;
	char *nb;

	r->got_data = 1;
	if (r->abort_on_data)
		return 0;
	if (r->len + len > BODY_CAP)
		return 0;
	nb = realloc(r->body, r->len + len + 1);
	if (nb == NULL)
		return 0;
	r->body = nb;
	memcpy(r->body + r->len, p, len);
	r->len += len;
	r->body[r->len] = '\0';
	return len;
}

static void copy_header(char *dst, size_t cap, const char *value, size_t len)
{
	while (len > 0 && (value[len - 1] == '\r' || value[len - 1] == '\n'))
		len--;
	if (len >= cap)
		len = cap - 1;
	memcpy(dst, value, len);
	dst[len] = '\0';
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	resp *r = arg;
	size_t len = size * n;

	if (r->t_first == 0)
		r->t_first = now_ns();
	if (len > 14 && strncasecmp(p, "Content-Type: ", 14) == 0)
		copy_header(r->ctype, sizeof(r->ctype), p + 14, len - 14);
	if (len > 15 && strncasecmp(p, "Cache-Control: ", 15) == 0)
		copy_header(r->cache_control, sizeof(r->cache_control), p + 15, len - 15);
	if (len > 13 && strncasecmp(p, "Retry-After: ", 13) == 0)
		copy_header(r->retry_after, sizeof(r->retry_after), p + 13, len - 13);
	return len;
}

static CURL *easy_new(resp *r, int port, const char *method, const char *path, const char *body,
		      struct curl_slist *hdrs)
{
	char url[256];
	CURL *c = curl_easy_init();

	assert_non_null(c);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	if (body != NULL)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	if (method != NULL)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	return c;
}

static struct curl_slist *json_headers(void)
{
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");

	assert_non_null(h);
	return curl_slist_append(h, "Expect:");
}

/* One blocking request; fills r and returns the HTTP status. */
static long http_do(resp *r, int port, const char *method, const char *path, const char *body)
{
	struct curl_slist *h = json_headers();
	CURL *c = easy_new(r, port, method, path, body, h);

	r->rc = curl_easy_perform(c);
	r->t_end = now_ns();
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	return r->status;
}

/* One blocking POST to /v1/chat/completions that gives up after ms. */
static long http_do_timeout(resp *r, int port, const char *body, long ms)
{
	struct curl_slist *h = json_headers();
	CURL *c = easy_new(r, port, NULL, "/v1/chat/completions", body, h);

	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ms);
	r->rc = curl_easy_perform(c);
	r->t_end = now_ns();
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	return r->status;
}

/* Splits an SSE body into its data payloads ("data: X\n\n" each); fails the
 * test on anything else. Returns the count; payloads point into body. */
static size_t sse_split(char *body, char **out, size_t max)
{
	size_t n = 0;
	char *p = body;

	assert_non_null(body);
	while (*p != '\0') {
		char *end = strstr(p, "\n\n");

		assert_non_null(end);
		assert_int_equal(strncmp(p, "data: ", 6), 0);
		*end = '\0';
		assert_null(strchr(p, '\n'));
		assert_true(n < max);
		out[n++] = p + 6;
		p = end + 2;
	}
	return n;
}

static json_t *parse_json(const char *text)
{
	json_error_t err;
	json_t *j = json_loads(text, 0, &err);

	if (j == NULL)
		fail_msg("bad JSON (%s): %s", err.text, text);
	return j;
}

static const char *jstr(json_t *obj, const char *path1, const char *path2)
{
	json_t *v = json_object_get(obj, path1);

	if (path2 != NULL)
		v = json_object_get(v, path2);
	return json_string_value(v);
}

static pg_mock_server *start(const char *query)
{
	pg_mock_config cfg = PG_MOCK_CONFIG_INIT;
	pg_mock_server *m = NULL;

	assert_int_equal(pg_mock_config_parse(&cfg, query), 0);
	assert_int_equal(pg_mock_start(&m, &cfg, "127.0.0.1", 0), 0);
	assert_non_null(m);
	assert_true(pg_mock_port(m) > 0);
	return m;
}

#define CHAT_BODY(extra)                                                                           \
	"{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"one two "              \
	"three\"}]" extra "}"

/* ---- HTTP behaviour ---- */

static void streamed_chat_has_exact_sse_shape(void **state)
{
	pg_mock_server *m = start("decode_ms=1&ttft_ms=0&prefill_us=0");
	resp r = {0};
	char *ev[64];
	size_t n, i;
	json_t *j;
	const char *id;

	(void)state;
	assert_int_equal(http_do(&r, pg_mock_port(m), NULL, "/v1/chat/completions",
				 CHAT_BODY(",\"max_tokens\":5,\"stream\":true,"
					   "\"stream_options\":{\"include_usage\":true}")),
			 200);
	assert_string_equal(r.ctype, "text/event-stream");
	assert_string_equal(r.cache_control, "no-cache");
	n = sse_split(r.body, ev, 64);
	/* role chunk, 5 content chunks, usage chunk, [DONE] */
	assert_int_equal(n, 8);
	assert_string_equal(ev[7], "[DONE]");
	j = parse_json(ev[0]);
	id = jstr(j, "id", NULL);
	assert_non_null(id);
	assert_int_equal(strncmp(id, "chatcmpl-mock-", 14), 0);
	assert_string_equal(jstr(j, "object", NULL), "chat.completion.chunk");
	assert_string_equal(jstr(j, "model", NULL), "tiny");
	assert_true(json_is_integer(json_object_get(j, "created")));
	{
		json_t *c0 = json_array_get(json_object_get(j, "choices"), 0);

		assert_string_equal(jstr(c0, "delta", "role"), "assistant");
		assert_string_equal(jstr(c0, "delta", "content"), "");
		assert_true(json_is_null(json_object_get(c0, "finish_reason")));
	}
	for (i = 1; i <= 5; i++) {
		json_t *c = parse_json(ev[i]);
		json_t *c0 = json_array_get(json_object_get(c, "choices"), 0);
		json_t *fin = json_object_get(c0, "finish_reason");

		assert_string_equal(jstr(c, "id", NULL), jstr(j, "id", NULL));
		assert_string_equal(jstr(c0, "delta", "content"),
				    pg_mock_token_text(1, (int64_t)i - 1));
		assert_null(json_object_get(json_object_get(c0, "delta"), "role"));
		if (i < 5)
			assert_true(json_is_null(fin));
		else
			assert_string_equal(json_string_value(fin), "length");
		json_decref(c);
	}
	{
		json_t *u = parse_json(ev[6]);
		json_t *usage = json_object_get(u, "usage");

		assert_int_equal(json_array_size(json_object_get(u, "choices")), 0);
		assert_true(json_is_array(json_object_get(u, "choices")));
		assert_int_equal(json_integer_value(json_object_get(usage, "prompt_tokens")), 3);
		assert_int_equal(json_integer_value(json_object_get(usage, "completion_tokens")),
				 5);
		assert_int_equal(json_integer_value(json_object_get(usage, "total_tokens")), 8);
		json_decref(u);
	}
	json_decref(j);
	resp_free(&r);
	pg_mock_stop(m);
}

static void streamed_completion_without_usage_ends_with_done(void **state)
{
	pg_mock_server *m = start("decode_ms=0&ttft_ms=0&prefill_us=0");
	resp r = {0};
	char *ev[64];
	size_t n, i;

	(void)state;
	/* no /v1 prefix: the same endpoint */
	assert_int_equal(http_do(&r, pg_mock_port(m), NULL, "/completions",
				 "{\"prompt\":\"say it\",\"max_tokens\":3,\"stream\":true}"),
			 200);
	n = sse_split(r.body, ev, 64);
	assert_int_equal(n, 4); /* 3 tokens, [DONE]; no role chunk, no usage */
	for (i = 0; i < 3; i++) {
		json_t *c = parse_json(ev[i]);
		json_t *c0 = json_array_get(json_object_get(c, "choices"), 0);

		assert_string_equal(jstr(c, "object", NULL), "text_completion");
		assert_string_equal(jstr(c, "model", NULL), PG_MOCK_MODEL_NAME);
		assert_int_equal(strncmp(jstr(c, "id", NULL), "cmpl-mock-", 10), 0);
		assert_string_equal(jstr(c0, "text", NULL), pg_mock_token_text(1, (int64_t)i));
		assert_null(json_object_get(c, "usage"));
		if (i == 2)
			assert_string_equal(jstr(c0, "finish_reason", NULL), "length");
		json_decref(c);
	}
	assert_string_equal(ev[3], "[DONE]");
	resp_free(&r);
	pg_mock_stop(m);
}

/* The expected answer text of n tokens under seed. */
static char *expected_text(uint64_t seed, int64_t n)
{
	size_t cap = (size_t)n * 16 + 1, len = 0;
	char *s = malloc(cap);
	int64_t i;

	assert_non_null(s);
	s[0] = '\0';
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(s + len, cap - len, "%s", pg_mock_token_text(seed, i));
	return s;
}

static void non_streamed_chat_and_completion_return_full_json(void **state)
{
	pg_mock_server *m = start("decode_ms=0&ttft_ms=0&prefill_us=0&seed=9");
	resp r = {0};
	json_t *j, *c0, *usage;
	char *want = expected_text(9, 4);

	(void)state;
	assert_int_equal(http_do(&r, pg_mock_port(m), NULL, "/v1/chat/completions",
				 CHAT_BODY(",\"max_completion_tokens\":4")),
			 200);
	assert_string_equal(r.ctype, "application/json");
	j = parse_json(r.body);
	assert_string_equal(jstr(j, "object", NULL), "chat.completion");
	assert_string_equal(jstr(j, "model", NULL), "tiny");
	c0 = json_array_get(json_object_get(j, "choices"), 0);
	assert_string_equal(jstr(c0, "message", "role"), "assistant");
	assert_string_equal(jstr(c0, "message", "content"), want);
	assert_string_equal(jstr(c0, "finish_reason", NULL), "length");
	usage = json_object_get(j, "usage");
	assert_int_equal(json_integer_value(json_object_get(usage, "prompt_tokens")), 3);
	assert_int_equal(json_integer_value(json_object_get(usage, "completion_tokens")), 4);
	assert_int_equal(json_integer_value(json_object_get(usage, "total_tokens")), 7);
	json_decref(j);
	resp_free(&r);

	assert_int_equal(http_do(&r, pg_mock_port(m), NULL, "/v1/completions",
				 "{\"prompt\":\"a b c d e\",\"max_tokens\":4,\"stream\":false}"),
			 200);
	j = parse_json(r.body);
	assert_string_equal(jstr(j, "object", NULL), "text_completion");
	c0 = json_array_get(json_object_get(j, "choices"), 0);
	assert_string_equal(jstr(c0, "text", NULL), want);
	usage = json_object_get(j, "usage");
	assert_int_equal(json_integer_value(json_object_get(usage, "prompt_tokens")), 5);
	json_decref(j);
	resp_free(&r);
	free(want);
	pg_mock_stop(m);
}

/* Completion tokens reported by a non-streamed chat answer. */
static json_int_t answer_tokens(int port, const char *body, char *finish, size_t cap)
{
	resp r = {0};
	json_t *j;
	json_int_t n;

	assert_int_equal(http_do(&r, port, NULL, "/v1/chat/completions", body), 200);
	j = parse_json(r.body);
	n = json_integer_value(json_object_get(json_object_get(j, "usage"), "completion_tokens"));
	snprintf(finish, cap, "%s",
		 jstr(json_array_get(json_object_get(j, "choices"), 0), "finish_reason", NULL));
	assert_int_equal(pg_mock_count_words(jstr(json_array_get(json_object_get(j, "choices"), 0),
						  "message", "content")),
			 n);
	json_decref(j);
	resp_free(&r);
	return n;
}

static void output_tokens_param_is_capped_by_max_tokens(void **state)
{
	pg_mock_server *m = start("decode_ms=0&ttft_ms=0&prefill_us=0&output_tokens=6");
	pg_mock_server *d = start("decode_ms=0&ttft_ms=0&prefill_us=0");
	char fin[32];

	(void)state;
	assert_int_equal(answer_tokens(pg_mock_port(m), CHAT_BODY(""), fin, sizeof(fin)), 6);
	assert_string_equal(fin, "stop");
	assert_int_equal(
	    answer_tokens(pg_mock_port(m), CHAT_BODY(",\"max_tokens\":100"), fin, sizeof(fin)), 6);
	assert_string_equal(fin, "stop");
	assert_int_equal(
	    answer_tokens(pg_mock_port(m), CHAT_BODY(",\"max_tokens\":2"), fin, sizeof(fin)), 2);
	assert_string_equal(fin, "length");
	/* without output_tokens: max_tokens, else 16 */
	assert_int_equal(answer_tokens(pg_mock_port(d),
				       CHAT_BODY(",\"max_tokens\":11,\"ignore_eos\":true"), fin,
				       sizeof(fin)),
			 11);
	assert_string_equal(fin, "length");
	assert_int_equal(answer_tokens(pg_mock_port(d), CHAT_BODY(""), fin, sizeof(fin)), 16);
	pg_mock_stop(m);
	pg_mock_stop(d);
}

static void models_endpoint_lists_mock_model(void **state)
{
	pg_mock_server *m = start("");
	resp r = {0};
	json_t *j;

	(void)state;
	assert_int_equal(http_do(&r, pg_mock_port(m), NULL, "/v1/models", NULL), 200);
	j = parse_json(r.body);
	assert_string_equal(jstr(j, "object", NULL), "list");
	assert_int_equal(json_array_size(json_object_get(j, "data")), 1);
	assert_string_equal(jstr(json_array_get(json_object_get(j, "data"), 0), "id", NULL),
			    "mock-model");
	json_decref(j);
	resp_free(&r);
	pg_mock_stop(m);
}

/* Checks an OpenAI error body and returns its message (static copy). */
static void check_error(resp *r, long status, const char *code, const char *in_message)
{
	json_t *j, *e;

	assert_int_equal(r->status, status);
	assert_string_equal(r->ctype, "application/json");
	j = parse_json(r->body);
	e = json_object_get(j, "error");
	assert_true(json_is_object(e));
	assert_string_equal(jstr(e, "type", NULL), "invalid_request_error");
	assert_string_equal(jstr(e, "code", NULL), code);
	assert_non_null(jstr(e, "message", NULL));
	assert_non_null(strstr(jstr(e, "message", NULL), in_message));
	json_decref(j);
	resp_free(r);
}

static void errors_are_openai_shaped(void **state)
{
	pg_mock_server *m = start("");
	int port = pg_mock_port(m);
	resp r = {0};

	(void)state;
	http_do(&r, port, NULL, "/v1/embeddings", "{}");
	check_error(&r, 404, "not_found", "/v1/embeddings");
	http_do(&r, port, NULL, "/v1/chat/completions", "{\"messages\": [");
	check_error(&r, 400, "invalid_json", "not valid JSON");
	http_do(&r, port, NULL, "/v1/chat/completions", "{\"messages\":[]}");
	check_error(&r, 400, "invalid_value", "'messages'");
	http_do(&r, port, NULL, "/v1/chat/completions", CHAT_BODY(",\"max_tokens\":-3"));
	check_error(&r, 400, "invalid_value", "'max_tokens'");
	http_do(&r, port, "GET", "/v1/chat/completions", NULL);
	check_error(&r, 405, "method_not_allowed", "POST");
	http_do(&r, port, "DELETE", "/v1/models", NULL);
	check_error(&r, 405, "method_not_allowed", "GET");
	pg_mock_stop(m);
}

static void streamed_answer_takes_at_least_prefill_plus_decode(void **state)
{
	pg_mock_server *m = start("decode_ms=20&ttft_ms=50&prefill_us=0");
	resp r = {0};
	pg_ns t0;
	char *ev[16];

	(void)state;
	t0 = now_ns();
	assert_int_equal(http_do(&r, pg_mock_port(m), NULL, "/v1/chat/completions",
				 CHAT_BODY(",\"max_tokens\":5,\"stream\":true")),
			 200);
	assert_true(r.t_first - t0 >= 50 * PG_NS_PER_MS);
	assert_true(r.t_end - t0 >= (50 + 4 * 20) * PG_NS_PER_MS);
	assert_int_equal(sse_split(r.body, ev, 16), 7);
	resp_free(&r);

	/* prefill_us counts per input word: 3 words x 10 ms */
	pg_mock_stop(m);
	m = start("decode_ms=0&ttft_ms=0&prefill_us=10000");
	t0 = now_ns();
	assert_int_equal(http_do(&r, pg_mock_port(m), NULL, "/v1/chat/completions",
				 CHAT_BODY(",\"max_tokens\":1")),
			 200);
	assert_true(r.t_end - t0 >= 30 * PG_NS_PER_MS);
	resp_free(&r);
	pg_mock_stop(m);
}

/* Runs the easy handles together until all are done (each has a 30 s
 * timeout, so this ends). */
static void multi_run(CURL **easy, resp **rs, int n)
{
	CURLM *multi = curl_multi_init();
	int running = 1, i;
	CURLMsg *msg;
	int left;

	assert_non_null(multi);
	for (i = 0; i < n; i++)
		curl_multi_add_handle(multi, easy[i]);
	while (running > 0) {
		assert_int_equal(curl_multi_perform(multi, &running), CURLM_OK);
		while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			for (i = 0; i < n; i++)
				if (msg->easy_handle == easy[i]) {
					rs[i]->rc = msg->data.result;
					rs[i]->t_end = now_ns();
					curl_easy_getinfo(easy[i], CURLINFO_RESPONSE_CODE,
							  &rs[i]->status);
				}
		}
		if (running > 0)
			curl_multi_poll(multi, NULL, 0, 100, NULL);
	}
	for (i = 0; i < n; i++)
		curl_multi_remove_handle(multi, easy[i]);
	curl_multi_cleanup(multi);
}

/* Two concurrent 5-token streams; returns the later first byte after t0. */
static pg_ns later_first_byte(const char *query)
{
	pg_mock_server *m = start(query);
	struct curl_slist *h = json_headers();
	resp a = {0}, b = {0};
	resp *rs[2] = {&a, &b};
	CURL *easy[2];
	const char *body = CHAT_BODY(",\"max_tokens\":5,\"stream\":true");
	pg_ns t0, later;
	int i;

	easy[0] = easy_new(&a, pg_mock_port(m), NULL, "/v1/chat/completions", body, h);
	easy[1] = easy_new(&b, pg_mock_port(m), NULL, "/v1/chat/completions", body, h);
	t0 = now_ns();
	multi_run(easy, rs, 2);
	for (i = 0; i < 2; i++) {
		char *ev[16];

		assert_int_equal(rs[i]->rc, CURLE_OK);
		assert_int_equal(rs[i]->status, 200);
		assert_int_equal(sse_split(rs[i]->body, ev, 16), 7);
		curl_easy_cleanup(easy[i]);
	}
	later = (a.t_first > b.t_first ? a.t_first : b.t_first) - t0;
	resp_free(&a);
	resp_free(&b);
	curl_slist_free_all(h);
	pg_mock_stop(m);
	return later;
}

static void one_slot_makes_the_second_request_wait_for_the_first(void **state)
{
	pg_ns later;

	(void)state;
	/* With one slot, whichever request is admitted second starts after the
	 * first has sent all its tokens (50 + 4 x 20 ms) and then needs its own
	 * 50 ms prefill: its first byte comes >= 180 ms after both were sent.
	 * (With two slots both would start after ~50 ms.) */
	later = later_first_byte("slots=1&decode_ms=20&ttft_ms=50&prefill_us=0");
	assert_true(later >= (50 + 4 * 20 + 50) * PG_NS_PER_MS);
}

static void client_disconnect_frees_the_slot(void **state)
{
	/* One slot and answers that would take hours: the second and third
	 * requests can only finish if the abandoned ones gave their slot and
	 * queue place back. */
	pg_mock_server *m = start("slots=1&decode_ms=200&ttft_ms=0&prefill_us=0");
	int port = pg_mock_port(m);
	struct curl_slist *h = json_headers();
	const char *endless = CHAT_BODY(",\"max_tokens\":100000,\"stream\":true");
	resp a = {0}, b = {0}, c = {0};
	resp *rs[2] = {&a, &b};
	CURL *easy[2];

	(void)state;
	/* a holds the slot and hangs up on its first token; b waits in the
	 * queue (non-streamed, so only the socket watch can notice it left)
	 * and gives up after 300 ms. */
	a.abort_on_data = 1;
	easy[0] = easy_new(&a, port, NULL, "/v1/chat/completions", endless, h);
	easy[1] = easy_new(&b, port, NULL, "/v1/chat/completions",
			   CHAT_BODY(",\"max_tokens\":100000"), h);
	curl_easy_setopt(easy[1], CURLOPT_TIMEOUT_MS, 300L);
	multi_run(easy, rs, 2);
	assert_true(a.got_data);
	assert_int_equal(a.rc, CURLE_WRITE_ERROR);
	assert_int_equal(b.rc, CURLE_OPERATION_TIMEDOUT);
	curl_easy_cleanup(easy[0]);
	curl_easy_cleanup(easy[1]);
	assert_int_equal(http_do(&c, port, NULL, "/v1/chat/completions",
				 CHAT_BODY(",\"max_tokens\":2,\"stream\":true")),
			 200);
	assert_int_equal(c.rc, CURLE_OK);
	assert_non_null(strstr(c.body, "data: [DONE]\n\n"));
	resp_free(&a);
	resp_free(&b);
	resp_free(&c);
	curl_slist_free_all(h);
	pg_mock_stop(m);
}

static void stop_with_requests_in_flight_releases_everything(void **state)
{
	pg_mock_server *m = start("slots=1&decode_ms=50&ttft_ms=0&prefill_us=0");
	struct curl_slist *h = json_headers();
	const char *endless = CHAT_BODY(",\"max_tokens\":100000,\"stream\":true");
	resp a = {0}, b = {0};
	CURL *ea, *eb;
	CURLM *multi = curl_multi_init();
	int running = 1;
	pg_ns deadline = now_ns() + 20 * PG_NS_PER_S;

	(void)state;
	ea = easy_new(&a, pg_mock_port(m), NULL, "/v1/chat/completions", endless, h);
	eb = easy_new(&b, pg_mock_port(m), NULL, "/v1/chat/completions", endless, h);
	curl_multi_add_handle(multi, ea);
	curl_multi_add_handle(multi, eb);
	/* wait until one stream is flowing (the other is queued) */
	while (!a.got_data && !b.got_data && running > 0 && now_ns() < deadline) {
		curl_multi_perform(multi, &running);
		curl_multi_poll(multi, NULL, 0, 50, NULL);
	}
	assert_true(a.got_data || b.got_data);
	pg_mock_stop(m); /* ASan checks nothing leaks or is used after free */
	while (running > 0 && now_ns() < deadline) {
		curl_multi_perform(multi, &running);
		curl_multi_poll(multi, NULL, 0, 50, NULL);
	}
	assert_int_equal(running, 0); /* both connections were closed */
	curl_multi_remove_handle(multi, ea);
	curl_multi_remove_handle(multi, eb);
	curl_multi_cleanup(multi);
	curl_easy_cleanup(ea);
	curl_easy_cleanup(eb);
	curl_slist_free_all(h);
	resp_free(&a);
	resp_free(&b);
}

static char *chat_text(const char *query)
{
	pg_mock_server *m = start(query);
	resp r = {0};
	json_t *j;
	char *text;

	assert_int_equal(http_do(&r, pg_mock_port(m), NULL, "/v1/chat/completions",
				 CHAT_BODY(",\"max_tokens\":12")),
			 200);
	j = parse_json(r.body);
	text = strdup(jstr(json_array_get(json_object_get(j, "choices"), 0), "message", "content"));
	json_decref(j);
	resp_free(&r);
	pg_mock_stop(m);
	return text;
}

static void answer_text_is_fixed_by_the_seed(void **state)
{
	char *a = chat_text("decode_ms=0&seed=3"), *b = chat_text("decode_ms=0&seed=3");
	char *c = chat_text("decode_ms=0&seed=4");

	(void)state;
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_int_equal(pg_mock_count_words(a), 12);
	free(a);
	free(b);
	free(c);
}

static void start_fails_on_a_port_in_use(void **state)
{
	pg_mock_server *m = start(""), *m2 = NULL;
	pg_mock_config cfg = PG_MOCK_CONFIG_INIT;

	(void)state;
	assert_int_equal(pg_mock_start(&m2, &cfg, "127.0.0.1", pg_mock_port(m)), PG_EIO);
	assert_null(m2);
	assert_non_null(strstr(pg_error_last(), "cannot listen"));
	cfg.slots = 0;
	assert_int_equal(pg_mock_start(&m2, &cfg, "127.0.0.1", 0), PG_EINVAL);
	assert_null(m2);
	pg_mock_stop(m);
	pg_mock_stop(NULL);
}

static void serve_prints_address_and_stops_on_sigterm(void **state)
{
	int fds[2], status = -1;
	char line[256];
	size_t len = 0;
	pid_t pid;
	int port = 0;
	resp r = {0};
	pg_ns deadline = now_ns() + 20 * PG_NS_PER_S;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		pg_mock_config cfg = PG_MOCK_CONFIG_INIT;

		close(fds[0]);
		dup2(fds[1], STDOUT_FILENO);
		close(fds[1]);
		_exit(pg_mock_serve(&cfg, "127.0.0.1", 0) == 0 ? 0 : 1);
	}
	close(fds[1]);
	while (memchr(line, '\n', len) == NULL && len < sizeof(line) - 1 && now_ns() < deadline) {
		struct pollfd p = {fds[0], POLLIN, 0};
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = read(fds[0], line + len, sizeof(line) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	line[len] = '\0';
	assert_int_equal(sscanf(line, "perfgate mock listening on http://127.0.0.1:%d/v1", &port),
			 1);
	assert_true(port > 0);
	assert_int_equal(http_do(&r, port, NULL, "/v1/models", NULL), 200);
	resp_free(&r);
	kill(pid, SIGTERM);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	close(fds[0]);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- injected faults, speed, run noise, truth log ---- */

/* What an SSE body holds, event by event. */
typedef struct sse_stats {
	int role;	     /* chat role chunks */
	int tokens;	     /* content chunks */
	int bad;	     /* data lines that are not JSON */
	int bad_after;	     /* content chunks seen before the first bad line */
	int errors;	     /* {"error":...} events */
	int done;	     /* [DONE] events (always last when present) */
	json_t *first_error; /* the first error event; caller decrefs */
} sse_stats;

static void sse_stats_of(sse_stats *st, char *body)
{
	char *ev[256];
	size_t n = body != NULL ? sse_split(body, ev, 256) : 0, i;

	memset(st, 0, sizeof(*st));
	st->bad_after = -1;
	for (i = 0; i < n; i++) {
		json_t *j, *c0;

		if (strcmp(ev[i], "[DONE]") == 0) {
			assert_int_equal(i, n - 1);
			st->done++;
			continue;
		}
		j = json_loads(ev[i], 0, NULL);
		if (j == NULL) {
			if (st->bad++ == 0)
				st->bad_after = st->tokens;
			continue;
		}
		c0 = json_array_get(json_object_get(j, "choices"), 0);
		if (json_object_get(j, "error") != NULL) {
			if (st->errors++ == 0)
				st->first_error = json_incref(j);
		} else if (jstr(c0, "delta", "role") != NULL) {
			st->role++;
		} else if (c0 != NULL) {
			st->tokens++;
		}
		json_decref(j);
	}
}

/* Checks an injected error: status, body {"error":{message,type,code}}. */
static void check_injected(resp *r, long status, const char *message, const char *type)
{
	json_t *j, *e;

	assert_int_equal(r->status, status);
	assert_string_equal(r->ctype, "application/json");
	j = parse_json(r->body);
	e = json_object_get(j, "error");
	assert_true(json_is_object(e));
	assert_non_null(strstr(jstr(e, "message", NULL), message));
	assert_string_equal(jstr(e, "type", NULL), type);
	json_decref(j);
}

static void injected_http_errors_come_at_once_with_status_and_body(void **state)
{
	/* a prefill of 1000 s: an answer only comes back if it skipped the queue */
	pg_mock_server *m = start("ttft_ms=1000000&error_rate=1");
	resp r = {0};
	json_t *j;

	(void)state;
	assert_int_equal(http_do(&r, pg_mock_port(m), NULL, "/v1/chat/completions",
				 CHAT_BODY(",\"stream\":true")),
			 500);
	check_injected(&r, 500, "mock: injected server error", "server_error");
	j = parse_json(r.body);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "error"), "code")),
			 500);
	json_decref(j);
	assert_string_equal(r.retry_after, "");
	resp_free(&r);
	/* /v1/completions gets faults too; /v1/models never does */
	assert_int_equal(
	    http_do(&r, pg_mock_port(m), NULL, "/v1/completions", "{\"prompt\":\"x\"}"), 500);
	resp_free(&r);
	assert_int_equal(http_do(&r, pg_mock_port(m), NULL, "/v1/models", NULL), 200);
	resp_free(&r);
	/* a bad request is still a 400: faults apply to valid requests */
	assert_int_equal(http_do(&r, pg_mock_port(m), NULL, "/v1/chat/completions", "{"), 400);
	resp_free(&r);
	pg_mock_stop(m);

	m = start("ttft_ms=1000000&rate_limit_rate=1&retry_after_s=7");
	assert_int_equal(http_do(&r, pg_mock_port(m), NULL, "/v1/chat/completions", CHAT_BODY("")),
			 429);
	check_injected(&r, 429, "mock: injected rate limit", "requests");
	assert_string_equal(r.retry_after, "7");
	j = parse_json(r.body);
	assert_string_equal(jstr(json_object_get(j, "error"), "code", NULL), "rate_limit_exceeded");
	json_decref(j);
	resp_free(&r);
	pg_mock_stop(m);

	m = start("ttft_ms=1000000&unavailable_rate=1");
	assert_int_equal(http_do(&r, pg_mock_port(m), NULL, "/v1/chat/completions", CHAT_BODY("")),
			 503);
	check_injected(&r, 503, "mock: injected service unavailable", "server_error");
	assert_string_equal(r.retry_after, "1"); /* the default */
	resp_free(&r);
	pg_mock_stop(m);
}

static void stall_stops_after_stall_after_tokens_until_the_client_times_out(void **state)
{
	/* One slot: the second stream only gets its tokens if the first
	 * stalled stream gave its slot back. */
	pg_mock_server *m = start("slots=1&decode_ms=1&ttft_ms=0&prefill_us=0&stall_rate=1");
	struct curl_slist *h = json_headers();
	const char *body = CHAT_BODY(",\"max_tokens\":10,\"stream\":true");
	resp a = {0}, b = {0};
	resp *rs[2] = {&a, &b};
	CURL *easy[2];
	sse_stats st;
	int i;

	(void)state;
	assert_int_equal(http_do_timeout(&a, pg_mock_port(m), body, 300), 200);
	assert_int_equal(a.rc, CURLE_OPERATION_TIMEDOUT);
	sse_stats_of(&st, a.body);
	assert_int_equal(st.role, 1);
	assert_int_equal(st.tokens, 2);
	assert_int_equal(st.done, 0);
	resp_free(&a);

	easy[0] = easy_new(&a, pg_mock_port(m), NULL, "/v1/chat/completions", body, h);
	easy[1] = easy_new(&b, pg_mock_port(m), NULL, "/v1/chat/completions", body, h);
	for (i = 0; i < 2; i++)
		curl_easy_setopt(easy[i], CURLOPT_TIMEOUT_MS, 1000L);
	multi_run(easy, rs, 2);
	for (i = 0; i < 2; i++) {
		assert_int_equal(rs[i]->rc, CURLE_OPERATION_TIMEDOUT);
		sse_stats_of(&st, rs[i]->body);
		assert_int_equal(st.tokens, 2);
		assert_int_equal(st.done, 0);
		curl_easy_cleanup(easy[i]);
		resp_free(rs[i]);
	}
	curl_slist_free_all(h);
	pg_mock_stop(m);

	/* stall_after=0: not even the headers come */
	m = start("decode_ms=1&ttft_ms=0&prefill_us=0&stall_rate=1&stall_after=0");
	http_do_timeout(&a, pg_mock_port(m), body, 300);
	assert_int_equal(a.rc, CURLE_OPERATION_TIMEDOUT);
	assert_int_equal(a.status, 0);
	assert_null(a.body);
	resp_free(&a);
	pg_mock_stop(m);
}

static void reset_ends_the_transfer_with_a_recv_error_after_reset_after_tokens(void **state)
{
	pg_mock_server *m = start("decode_ms=1&ttft_ms=0&prefill_us=0&reset_rate=1&reset_after=3");
	resp r = {0};
	sse_stats st;
	int i;

	(void)state;
	for (i = 0; i < 3; i++) { /* every time the same */
		assert_int_equal(http_do(&r, pg_mock_port(m), NULL, "/v1/chat/completions",
					 CHAT_BODY(",\"max_tokens\":10,\"stream\":true")),
				 200);
		assert_int_equal(r.rc, CURLE_RECV_ERROR);
		sse_stats_of(&st, r.body);
		assert_int_equal(st.tokens, 3);
		assert_int_equal(st.done, 0);
		resp_free(&r);
	}
	/* not streamed: the reset comes instead of the answer */
	http_do(&r, pg_mock_port(m), NULL, "/v1/chat/completions", CHAT_BODY(",\"max_tokens\":10"));
	assert_int_equal(r.rc, CURLE_RECV_ERROR);
	assert_null(r.body);
	resp_free(&r);
	pg_mock_stop(m);
}

static void malformed_line_comes_after_the_first_token_and_the_stream_goes_on(void **state)
{
	pg_mock_server *m = start("decode_ms=1&ttft_ms=0&prefill_us=0&malformed_rate=1");
	resp r = {0};
	sse_stats st;
	json_t *j;

	(void)state;
	assert_int_equal(http_do(&r, pg_mock_port(m), NULL, "/v1/chat/completions",
				 CHAT_BODY(",\"max_tokens\":4,\"stream\":true")),
			 200);
	assert_int_equal(r.rc, CURLE_OK);
	assert_non_null(strstr(r.body, "\n\n" PG_MOCK_MALFORMED_EVENT));
	sse_stats_of(&st, r.body);
	assert_int_equal(st.bad, 1);
	assert_int_equal(st.bad_after, 1);
	assert_int_equal(st.tokens, 4);
	assert_int_equal(st.done, 1);
	resp_free(&r);
	/* one token: the bad line still comes after it, before [DONE] */
	assert_int_equal(http_do(&r, pg_mock_port(m), NULL, "/v1/completions",
				 "{\"prompt\":\"x\",\"max_tokens\":1,\"stream\":true}"),
			 200);
	sse_stats_of(&st, r.body);
	assert_int_equal(st.bad, 1);
	assert_int_equal(st.bad_after, 1);
	assert_int_equal(st.done, 1);
	resp_free(&r);
	/* not streamed: a 200 whose JSON is cut off */
	assert_int_equal(http_do(&r, pg_mock_port(m), NULL, "/v1/chat/completions", CHAT_BODY("")),
			 200);
	j = json_loads(r.body, 0, NULL);
	assert_null(j);
	resp_free(&r);
	pg_mock_stop(m);
}

static void midstream_error_event_follows_the_first_token_then_done(void **state)
{
	pg_mock_server *m = start("decode_ms=1&ttft_ms=0&prefill_us=0&midstream_error_rate=1");
	resp r = {0};
	sse_stats st;
	json_t *e;

	(void)state;
	assert_int_equal(http_do(&r, pg_mock_port(m), NULL, "/v1/chat/completions",
				 CHAT_BODY(",\"max_tokens\":6,\"stream\":true,"
					   "\"stream_options\":{\"include_usage\":true}")),
			 200);
	assert_int_equal(r.rc, CURLE_OK);
	sse_stats_of(&st, r.body);
	assert_int_equal(st.tokens, 1);
	assert_int_equal(st.errors, 1);
	assert_int_equal(st.done, 1);
	assert_int_equal(st.bad, 0);
	e = json_object_get(st.first_error, "error");
	assert_string_equal(jstr(e, "message", NULL), "mock: injected mid-stream error");
	assert_string_equal(jstr(e, "type", NULL), "server_error");
	assert_int_equal(json_integer_value(json_object_get(e, "code")), 500);
	json_decref(st.first_error);
	resp_free(&r);
	/* not streamed: a 500 with the same message */
	assert_int_equal(http_do(&r, pg_mock_port(m), NULL, "/v1/chat/completions", CHAT_BODY("")),
			 500);
	check_injected(&r, 500, "mock: injected mid-stream error", "server_error");
	resp_free(&r);
	pg_mock_stop(m);
}

/* First-byte and end times (after the start) of one 5-token stream. */
static void stream_times(const char *query, pg_ns *first, pg_ns *end, double *speed)
{
	pg_mock_server *m = start(query);
	resp r = {0};
	pg_ns t0 = now_ns();
	char *ev[16];

	assert_int_equal(http_do(&r, pg_mock_port(m), NULL, "/v1/chat/completions",
				 CHAT_BODY(",\"max_tokens\":5,\"stream\":true")),
			 200);
	assert_int_equal(sse_split(r.body, ev, 16), 7);
	*first = r.t_first - t0;
	*end = r.t_end - t0;
	*speed = pg_mock_effective_speed(m);
	resp_free(&r);
	pg_mock_stop(m);
}

static void first_byte_delay_and_speed_are_lower_bounds_on_timing(void **state)
{
	pg_ns first, end;
	double speed;

	(void)state;
	stream_times("decode_ms=0&ttft_ms=0&prefill_us=0&first_byte_delay_ms=60", &first, &end,
		     &speed);
	assert_true(first >= 60 * PG_NS_PER_MS);
	assert_true(speed == 1.0);
	stream_times("decode_ms=0&ttft_ms=0&prefill_us=0&first_byte_delay_ms=60&speed=2", &first,
		     &end, &speed);
	assert_true(first >= 120 * PG_NS_PER_MS);
	assert_true(speed == 2.0);
	/* speed scales ttft_ms and decode_ms too: 2 x (40 + 4 x 10) ms */
	stream_times("decode_ms=10&ttft_ms=40&prefill_us=0&speed=2", &first, &end, &speed);
	assert_true(first >= 80 * PG_NS_PER_MS);
	assert_true(end >= 160 * PG_NS_PER_MS);
}

static double effective_speed(const char *query)
{
	pg_mock_server *m = start(query);
	double v = pg_mock_effective_speed(m);

	pg_mock_stop(m);
	return v;
}

static void run_noise_draws_one_speed_factor_per_seed(void **state)
{
	double a = effective_speed("seed=5&run_noise=0.2");
	double b = effective_speed("seed=5&run_noise=0.2");
	double c = effective_speed("seed=6&run_noise=0.2");
	uint64_t seed;
	int differ = 0;

	(void)state;
	assert_true(a == b);
	assert_true(a != c);
	assert_true(effective_speed("seed=5&speed=1.5") == 1.5);
	assert_true(effective_speed("seed=5&speed=3&run_noise=0.2") == 3 * a);
	assert_true(pg_mock_effective_speed(NULL) == 0.0);
	/* documented range: speed x [exp(-3 sigma), exp(3 sigma)] */
	for (seed = 0; seed < 200; seed++) {
		pg_mock_config cfg = PG_MOCK_CONFIG_INIT;
		double v;

		cfg.seed = seed;
		cfg.run_noise = 0.2;
		v = pg_mock_run_speed(&cfg);
		assert_true(v >= exp(-0.6) && v <= exp(0.6));
		differ += v > 1.1 || v < 0.9;
	}
	assert_true(differ > 20); /* sigma 0.2: about 62% lie outside 0.9..1.1 */
}

/* Sends 200 non-streamed requests on one connection; fills got[i] with the
 * status of request i + 1 and returns how many were 500. */
static int count_500s(const char *query, long got[200])
{
	pg_mock_server *m = start(query);
	struct curl_slist *h = json_headers();
	resp r = {0};
	CURL *c = easy_new(&r, pg_mock_port(m), NULL, "/v1/chat/completions",
			   CHAT_BODY(",\"max_tokens\":1"), h);
	int i, n = 0;

	for (i = 0; i < 200; i++) {
		assert_int_equal(curl_easy_perform(c), CURLE_OK);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &got[i]);
		assert_true(got[i] == 200 || got[i] == 500);
		n += got[i] == 500;
		free(r.body);
		r.body = NULL;
		r.len = 0;
	}
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	pg_mock_stop(m);
	return n;
}

static void error_rate_gives_the_same_fates_for_the_same_seed(void **state)
{
	const char *q = "decode_ms=0&ttft_ms=0&prefill_us=0&seed=11&error_rate=0.5";
	long a[200], b[200];
	pg_mock_config cfg = PG_MOCK_CONFIG_INIT;
	int na = count_500s(q, a), nb = count_500s(q, b), i;

	(void)state;
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, sizeof(a));
	assert_true(na >= 50 && na <= 150);
	/* and it is the pure draw for requests 1..200 */
	assert_int_equal(pg_mock_config_parse(&cfg, q), 0);
	for (i = 0; i < 200; i++)
		assert_int_equal(a[i] == 500,
				 pg_mock_fault_draw(&cfg, (uint64_t)i + 1) == PG_MOCK_FAULT_ERROR);
}

typedef struct truth_line {
	uint64_t seq;
	pg_ns first, last;
	int64_t tokens;
} truth_line;

static size_t read_truth(const char *path, truth_line *out, size_t max)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;
	char line[256];

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		char extra;

		assert_true(n < max);
		assert_int_equal(sscanf(line, "%" SCNu64 " %" SCNd64 " %" SCNd64 " %" SCNd64 " %c",
					&out[n].seq, &out[n].first, &out[n].last, &out[n].tokens,
					&extra),
				 4);
		n++;
	}
	fclose(f);
	return n;
}

/* The request number in an answer's id ("chatcmpl-mock-N"). */
static uint64_t id_seq(const char *body)
{
	const char *p = strstr(body, "-mock-");

	assert_non_null(p);
	return strtoull(p + 6, NULL, 10);
}

static void truth_log_has_one_line_per_finished_answer(void **state)
{
	char path[] = "/tmp/pg_mock_truth_XXXXXX";
	char query[128];
	int fd = mkstemp(path);
	pg_mock_server *m;
	truth_line lines[8];
	pg_ns t0[4];
	uint64_t seq[4];
	resp r = {0};
	size_t n, i;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	snprintf(query, sizeof(query), "decode_ms=2&ttft_ms=1&prefill_us=0&truth_log=%s", path);
	m = start(query);
	for (i = 0; i < 4; i++) {
		t0[i] = now_ns();
		assert_int_equal(http_do(&r, pg_mock_port(m), NULL, "/v1/chat/completions",
					 i < 3 ? CHAT_BODY(",\"max_tokens\":4,\"stream\":true")
					       : CHAT_BODY(",\"max_tokens\":2")),
				 200);
		seq[i] = id_seq(r.body);
		resp_free(&r);
	}
	pg_mock_stop(m); /* writes the log out */
	n = read_truth(path, lines, 8);
	assert_int_equal(n, 4);
	for (i = 0; i < 4; i++) {
		assert_true(lines[i].seq == seq[i]);
		assert_int_equal(lines[i].tokens, i < 3 ? 4 : 2);
		assert_true(lines[i].first >= t0[i]); /* sent after the request was */
		assert_true(lines[i].first <= lines[i].last);
		if (i > 0)
			assert_true(lines[i].first >= lines[i - 1].last);
	}

	/* appended to; only answers that finished are logged: a mid-stream
	 * error after its one token, never a stall or a reset */
	snprintf(query, sizeof(query),
		 "decode_ms=0&ttft_ms=0&prefill_us=0&seed=3&truth_log=%s&"
		 "midstream_error_rate=0.5&stall_rate=0.5",
		 path);
	m = start(query);
	for (i = 0; i < 4; i++) {
		resp_free(&r);
		http_do_timeout(&r, pg_mock_port(m), CHAT_BODY(",\"max_tokens\":4,\"stream\":true"),
				200);
	}
	resp_free(&r);
	pg_mock_stop(m);
	n = read_truth(path, lines, 8);
	{
		pg_mock_config cfg = PG_MOCK_CONFIG_INIT;
		size_t want = 4;

		assert_int_equal(pg_mock_config_parse(&cfg, "seed=3&midstream_error_rate=0.5&"
							    "stall_rate=0.5"),
				 0);
		for (i = 1; i <= 4; i++) {
			pg_mock_fault f = pg_mock_fault_draw(&cfg, i);

			if (f == PG_MOCK_FAULT_STALL)
				continue;
			assert_true(want < n);
			assert_true(lines[want].seq == i);
			assert_int_equal(lines[want].tokens, f == PG_MOCK_FAULT_MIDSTREAM ? 1 : 4);
			want++;
		}
		assert_int_equal(n, want);
	}
	unlink(path);
}

static void truth_log_that_cannot_be_opened_fails_the_start(void **state)
{
	pg_mock_config cfg = PG_MOCK_CONFIG_INIT;
	pg_mock_server *m = NULL;

	(void)state;
	assert_int_equal(pg_mock_config_parse(&cfg, "truth_log=/nonexistent-dir/x/truth.log"), 0);
	assert_int_equal(pg_mock_start(&m, &cfg, "127.0.0.1", 0), PG_EIO);
	assert_null(m);
	assert_non_null(strstr(pg_error_last(), "cannot open truth_log"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(config_parse_applies_every_key),
	    cmocka_unit_test(config_parse_accepts_empty_query),
	    cmocka_unit_test(config_parse_rejects_unknown_key_and_lists_known),
	    cmocka_unit_test(config_parse_rejects_malformed_values),
	    cmocka_unit_test(config_parse_rejects_out_of_range),
	    cmocka_unit_test(config_parse_applies_fault_and_speed_keys),
	    cmocka_unit_test(config_parse_rejects_bad_fault_values),
	    cmocka_unit_test(count_words_splits_on_whitespace),
	    cmocka_unit_test(request_parse_estimates_tokens_and_answer_length),
	    cmocka_unit_test(request_parse_rejects_bad_fields),
	    cmocka_unit_test(step_times_follow_the_model_and_jitter_stays_in_bounds),
	    cmocka_unit_test(token_text_depends_only_on_seed_and_index),
	    cmocka_unit_test(fault_draw_is_a_pure_function_in_a_fixed_order),
	    cmocka_unit_test(fault_after_counts_tokens_before_the_fault),
	    cmocka_unit_test(speed_multiplies_every_delay),
	    cmocka_unit_test(streamed_chat_has_exact_sse_shape),
	    cmocka_unit_test(streamed_completion_without_usage_ends_with_done),
	    cmocka_unit_test(non_streamed_chat_and_completion_return_full_json),
	    cmocka_unit_test(output_tokens_param_is_capped_by_max_tokens),
	    cmocka_unit_test(models_endpoint_lists_mock_model),
	    cmocka_unit_test(errors_are_openai_shaped),
	    cmocka_unit_test(streamed_answer_takes_at_least_prefill_plus_decode),
	    cmocka_unit_test(one_slot_makes_the_second_request_wait_for_the_first),
	    cmocka_unit_test(client_disconnect_frees_the_slot),
	    cmocka_unit_test(stop_with_requests_in_flight_releases_everything),
	    cmocka_unit_test(answer_text_is_fixed_by_the_seed),
	    cmocka_unit_test(start_fails_on_a_port_in_use),
	    cmocka_unit_test(serve_prints_address_and_stops_on_sigterm),
	    cmocka_unit_test(injected_http_errors_come_at_once_with_status_and_body),
	    cmocka_unit_test(stall_stops_after_stall_after_tokens_until_the_client_times_out),
	    cmocka_unit_test(reset_ends_the_transfer_with_a_recv_error_after_reset_after_tokens),
	    cmocka_unit_test(malformed_line_comes_after_the_first_token_and_the_stream_goes_on),
	    cmocka_unit_test(midstream_error_event_follows_the_first_token_then_done),
	    cmocka_unit_test(first_byte_delay_and_speed_are_lower_bounds_on_timing),
	    cmocka_unit_test(run_noise_draws_one_speed_factor_per_seed),
	    cmocka_unit_test(error_rate_gives_the_same_fates_for_the_same_seed),
	    cmocka_unit_test(truth_log_has_one_line_per_finished_answer),
	    cmocka_unit_test(truth_log_that_cannot_be_opened_fails_the_start),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
