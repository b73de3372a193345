/*
 * Tests for the http adapter through its plugin descriptor, with a fake host
 * API: the request built for each option combination (method, inline and
 * file bodies, headers), the errors create reports, and response parsing
 * (content reported once, on the first non-empty read; empty bodies succeed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "perfgate/plugin.h"
#include "support/fake_host.h"

const pg_plugin_desc *pg_builtin_http(void);

static const pg_adapter_ops *ops(void)
{
	return pg_builtin_http()->ops;
}

#define TARGET "http://127.0.0.1:8080/api/items?page=2"

/* Calls create with the target URL and name=value option pairs (NULL-ended);
 * returns create's result and the instance through *out. */
static int try_create(void **out, const char *url, ...)
{
	fake_options fo;
	pg_target_info target = {.url = url, .model = NULL};
	va_list ap;

	fake_options_init(&fo, pg_builtin_http()->options);
	va_start(ap, url);
	fake_options_set_list(&fo, ap);
	va_end(ap);
	*out = NULL;
	return ops()->create(out, &fake_host, fake_options_get(&fo), &target);
}

/* Frees what build() returned, as the host does. */
static void free_request(pg_request *req)
{
	fake_host.free(req->url);
	fake_host.free(req->body);
	memset(req, 0, sizeof(*req));
}

static const pg_work_item some_item = {.prompt = "ignored", .max_tokens = 5, .stream = 1};

/* Writes len bytes to a fresh temporary file; the caller unlinks path. */
static void write_temp(char *path, size_t path_size, const char *data, size_t len)
{
	int fd;

	snprintf(path, path_size, "/tmp/pg_http_test_XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

/* ---- descriptor --------------------------------------------------------- */

static void test_descriptor_is_an_adapter_named_http(void **state)
{
	const pg_plugin_desc *d = pg_builtin_http();

	(void)state;
	assert_int_equal(d->abi_major, PG_PLUGIN_ABI_MAJOR);
	assert_int_equal(d->size, sizeof(pg_plugin_desc));
	assert_int_equal(d->kind, PG_PLUGIN_ADAPTER);
	assert_string_equal(d->name, "http");
	assert_non_null(d->options);
	assert_string_equal(d->options[0].name, "method");
	assert_string_equal(d->options[0].default_value, "GET");
}

/* ---- requests ----------------------------------------------------------- */

static void test_defaults_build_a_get_to_exactly_the_target_url(void **state)
{
	void *inst;
	pg_request req;

	(void)state;
	assert_int_equal(try_create(&inst, TARGET, NULL), 0);
	assert_int_equal(ops()->build(inst, &some_item, &req), 0);
	assert_string_equal(req.url, TARGET);
	assert_string_equal(req.method, "GET");
	assert_null(req.body);
	assert_int_equal(req.body_len, 0);
	assert_null(req.content_type);
	assert_null(req.accept);
	free_request(&req);
	ops()->destroy(inst);
}

static void test_post_body_is_sent_as_json_by_default(void **state)
{
	const char *body = "{\"q\":\"hello\",\"n\":3}";
	void *inst;
	pg_request req;

	(void)state;
	assert_int_equal(try_create(&inst, TARGET, "method", "POST", "body", body, NULL), 0);
	assert_int_equal(ops()->build(inst, NULL, &req), 0);
	assert_string_equal(req.url, TARGET);
	assert_string_equal(req.method, "POST");
	assert_int_equal(req.body_len, strlen(body));
	assert_memory_equal(req.body, body, strlen(body));
	assert_string_equal(req.content_type, "application/json");
	assert_null(req.accept);
	free_request(&req);
	ops()->destroy(inst);
}

static void test_content_type_and_accept_options_override_defaults(void **state)
{
	void *inst;
	pg_request req;

	(void)state;
	assert_int_equal(try_create(&inst, TARGET, "method", "PUT", "body", "a=1&b=2",
				    "content_type", "application/x-www-form-urlencoded", "accept",
				    "text/plain", NULL),
			 0);
	assert_int_equal(ops()->build(inst, &some_item, &req), 0);
	assert_string_equal(req.method, "PUT");
	assert_int_equal(req.body_len, 7);
	assert_memory_equal(req.body, "a=1&b=2", 7);
	assert_string_equal(req.content_type, "application/x-www-form-urlencoded");
	assert_string_equal(req.accept, "text/plain");
	free_request(&req);
	ops()->destroy(inst);
}

static void test_method_is_matched_case_insensitively_and_sent_upper_case(void **state)
{
	static const char *const in[] = {"get",	   "Post", "put",    "patch",
					 "delete", "head", "options"};
	static const char *const want[] = {"GET",    "POST", "PUT",    "PATCH",
					   "DELETE", "HEAD", "OPTIONS"};
	void *inst;
	pg_request req;

	(void)state;
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		assert_int_equal(try_create(&inst, TARGET, "method", in[i], NULL), 0);
		assert_int_equal(ops()->build(inst, &some_item, &req), 0);
		assert_string_equal(req.method, want[i]);
		free_request(&req);
		ops()->destroy(inst);
	}
}

static void test_each_build_returns_a_fresh_copy_of_url_and_body(void **state)
{
	void *inst;
	pg_request a, b;

	(void)state;
	assert_int_equal(try_create(&inst, TARGET, "method", "POST", "body", "{}", NULL), 0);
	assert_int_equal(ops()->build(inst, &some_item, &a), 0);
	assert_int_equal(ops()->build(inst, &some_item, &b), 0);
	assert_ptr_not_equal(a.url, b.url);
	assert_ptr_not_equal(a.body, b.body);
	/* The host owns and frees each request's copies independently. */
	free_request(&a);
	assert_string_equal(b.url, TARGET);
	assert_memory_equal(b.body, "{}", 2);
	free_request(&b);
	ops()->destroy(inst);
}

static void test_empty_body_option_sends_a_zero_length_body(void **state)
{
	void *inst;
	pg_request req;

	(void)state;
	assert_int_equal(try_create(&inst, TARGET, "method", "POST", "body", "", NULL), 0);
	assert_int_equal(ops()->build(inst, &some_item, &req), 0);
	assert_non_null(req.body);
	assert_int_equal(req.body_len, 0);
	assert_string_equal(req.content_type, "application/json");
	free_request(&req);
	ops()->destroy(inst);
}

static void test_double_at_sends_a_literal_at_sign(void **state)
{
	void *inst;
	pg_request req;

	(void)state;
	assert_int_equal(try_create(&inst, TARGET, "method", "POST", "body", "@@handle", NULL), 0);
	assert_int_equal(ops()->build(inst, &some_item, &req), 0);
	assert_int_equal(req.body_len, 7);
	assert_memory_equal(req.body, "@handle", 7);
	free_request(&req);
	ops()->destroy(inst);
}

static void test_at_path_body_is_read_from_the_file_byte_for_byte(void **state)
{
	/* Binary content with a NUL in the middle must survive intact. */
	static const char data[] = {'{', '"', 'x', '"', ':', 0, '\n', (char)0xff, '}'};
	char path[64], opt[80];
	void *inst;
	pg_request req;

	(void)state;
	write_temp(path, sizeof(path), data, sizeof(data));
	snprintf(opt, sizeof(opt), "@%s", path);
	assert_int_equal(try_create(&inst, TARGET, "method", "POST", "body", opt, NULL), 0);
	unlink(path); /* read at create time: the request no longer needs the file */
	assert_int_equal(ops()->build(inst, &some_item, &req), 0);
	assert_int_equal(req.body_len, sizeof(data));
	assert_memory_equal(req.body, data, sizeof(data));
	assert_string_equal(req.content_type, "application/json");
	free_request(&req);
	ops()->destroy(inst);
}

static void test_large_body_file_is_read_whole(void **state)
{
	/* Bigger than one read chunk, so the read loop goes round. */
	size_t n = 300 * 1000;
	char *data = malloc(n);
	char path[64], opt[80];
	void *inst;
	pg_request req;

	(void)state;
	assert_non_null(data);
	for (size_t i = 0; i < n; i++)
		data[i] = (char)('a' + i % 26);
	write_temp(path, sizeof(path), data, n);
	snprintf(opt, sizeof(opt), "@%s", path);
	assert_int_equal(try_create(&inst, TARGET, "method", "POST", "body", opt, NULL), 0);
	unlink(path);
	assert_int_equal(ops()->build(inst, &some_item, &req), 0);
	assert_int_equal(req.body_len, n);
	assert_memory_equal(req.body, data, n);
	free_request(&req);
	ops()->destroy(inst);
	free(data);
}

/* ---- create errors ------------------------------------------------------ */

static void test_missing_body_file_fails_naming_the_path(void **state)
{
	void *inst;

	(void)state;
	assert_int_equal(
	    try_create(&inst, TARGET, "method", "POST", "body", "@/nonexistent/pg-body.json", NULL),
	    PG_EIO);
	assert_null(inst);
	assert_non_null(strstr(fake_host_last_error(), "/nonexistent/pg-body.json"));
	assert_non_null(strstr(fake_host_last_error(), "No such file"));
}

static void test_body_file_over_64_mib_is_refused(void **state)
{
	char path[64], opt[80];
	void *inst;
	FILE *f;

	(void)state;
	write_temp(path, sizeof(path), "x", 1);
	f = fopen(path, "r+b");
	assert_non_null(f);
	/* sparse: no 64 MiB written to disk */
	assert_int_equal(ftruncate(fileno(f), (off_t)64 * 1024 * 1024 + 1), 0);
	fclose(f);
	snprintf(opt, sizeof(opt), "@%s", path);
	assert_int_equal(try_create(&inst, TARGET, "method", "POST", "body", opt, NULL), PG_ELIMIT);
	unlink(path);
	assert_null(inst);
	assert_non_null(strstr(fake_host_last_error(), path));
	assert_non_null(strstr(fake_host_last_error(), "64 MiB"));
}

static void test_endless_body_stream_is_cut_at_64_mib(void **state)
{
	void *inst;

	(void)state;
	/* not a regular file: no size to check up front, so the read loop's
	 * cap must stop it */
	assert_int_equal(try_create(&inst, TARGET, "method", "POST", "body", "@/dev/zero", NULL),
			 PG_ELIMIT);
	assert_null(inst);
	assert_non_null(strstr(fake_host_last_error(), "/dev/zero"));
	assert_non_null(strstr(fake_host_last_error(), "64 MiB"));
}

static void test_unknown_method_fails_naming_it_and_the_allowed_ones(void **state)
{
	void *inst;

	(void)state;
	assert_int_equal(try_create(&inst, TARGET, "method", "FETCH", NULL), PG_EINVAL);
	assert_null(inst);
	assert_non_null(strstr(fake_host_last_error(), "'FETCH'"));
	assert_non_null(strstr(fake_host_last_error(), "OPTIONS"));
}

static void test_bare_at_sign_body_fails(void **state)
{
	void *inst;

	(void)state;
	assert_int_equal(try_create(&inst, TARGET, "method", "POST", "body", "@", NULL), PG_EINVAL);
	assert_null(inst);
	assert_non_null(strstr(fake_host_last_error(), "body"));
}

static void test_header_values_with_line_breaks_are_refused(void **state)
{
	void *inst;

	(void)state;
	assert_int_equal(try_create(&inst, TARGET, "accept", "text/plain\r\nX-Evil: 1", NULL),
			 PG_EINVAL);
	assert_null(inst);
	assert_non_null(strstr(fake_host_last_error(), "accept"));
	assert_int_equal(
	    try_create(&inst, TARGET, "body", "{}", "content_type", "application/json\nX: y", NULL),
	    PG_EINVAL);
	assert_null(inst);
	assert_non_null(strstr(fake_host_last_error(), "content_type"));
}

static void test_target_without_url_fails(void **state)
{
	void *inst;

	(void)state;
	assert_int_equal(try_create(&inst, "", NULL), PG_EINVAL);
	assert_null(inst);
	assert_non_null(strstr(fake_host_last_error(), "URL"));
}

/* ---- responses ---------------------------------------------------------- */

typedef struct events {
	int content_calls;
	int64_t content_tokens;
	int usage_calls;
	int fail_calls;
} events;

static void on_content(void *ctx, int64_t tokens)
{
	events *ev = ctx;

	ev->content_calls++;
	ev->content_tokens += tokens;
}

static void on_usage(void *ctx, int64_t in, int64_t out)
{
	events *ev = ctx;

	(void)in;
	(void)out;
	ev->usage_calls++;
}

static void on_fail(void *ctx, pg_error_class cls, const char *message)
{
	events *ev = ctx;

	(void)cls;
	(void)message;
	ev->fail_calls++;
}

static void test_content_is_reported_once_on_the_first_non_empty_read(void **state)
{
	events ev = {0};
	pg_response_sink sink = {&ev, on_content, on_usage, on_fail, NULL};
	void *inst, *ps;

	(void)state;
	assert_int_equal(try_create(&inst, TARGET, NULL), 0);
	assert_int_equal(ops()->parse_begin(inst, &ps, 200, "application/json", 0), 0);
	/* an empty read is not the first body byte */
	assert_int_equal(ops()->parse_data(ps, "", 0, &sink), 0);
	assert_int_equal(ev.content_calls, 0);
	assert_int_equal(ops()->parse_data(ps, "{", 1, &sink), 0);
	assert_int_equal(ev.content_calls, 1);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(ops()->parse_data(ps, "\"k\":1,", 6, &sink), 0);
	assert_int_equal(ops()->parse_data(ps, "}", 1, &sink), 0);
	assert_int_equal(ops()->parse_end(ps, &sink), 0);
	assert_int_equal(ev.content_calls, 1);
	assert_int_equal(ev.content_tokens, 1);
	assert_int_equal(ev.usage_calls, 0);
	assert_int_equal(ev.fail_calls, 0);
	ops()->parse_free(ps);
	ops()->destroy(inst);
}

static void test_empty_body_is_success_without_content(void **state)
{
	events ev = {0};
	pg_response_sink sink = {&ev, on_content, on_usage, on_fail, NULL};
	void *inst, *ps;

	(void)state;
	assert_int_equal(try_create(&inst, TARGET, "method", "HEAD", NULL), 0);
	assert_int_equal(ops()->parse_begin(inst, &ps, 204, NULL, 0), 0);
	assert_int_equal(ops()->parse_end(ps, &sink), 0);
	assert_int_equal(ev.content_calls, 0);
	assert_int_equal(ev.fail_calls, 0);
	ops()->parse_free(ps);
	ops()->destroy(inst);
}

static void test_any_body_is_success_even_malformed_json_or_sse_errors(void **state)
{
	static const char body[] = "data: {\"error\":{\"message\":\"boom\"}}\n\n<html>";
	events ev = {0};
	pg_response_sink sink = {&ev, on_content, on_usage, on_fail, NULL};
	void *inst, *ps;

	(void)state;
	assert_int_equal(try_create(&inst, TARGET, NULL), 0);
	assert_int_equal(ops()->parse_begin(inst, &ps, 200, "text/event-stream", 1), 0);
	assert_int_equal(ops()->parse_data(ps, body, sizeof(body) - 1, &sink), 0);
	assert_int_equal(ops()->parse_end(ps, &sink), 0);
	assert_int_equal(ev.content_calls, 1);
	assert_int_equal(ev.fail_calls, 0);
	ops()->parse_free(ps);
	ops()->destroy(inst);
}

static void test_concurrent_responses_have_independent_state(void **state)
{
	events e1 = {0}, e2 = {0};
	pg_response_sink s1 = {&e1, on_content, on_usage, on_fail, NULL};
	pg_response_sink s2 = {&e2, on_content, on_usage, on_fail, NULL};
	void *inst, *p1, *p2;

	(void)state;
	assert_int_equal(try_create(&inst, TARGET, NULL), 0);
	assert_int_equal(ops()->parse_begin(inst, &p1, 200, NULL, 0), 0);
	assert_int_equal(ops()->parse_begin(inst, &p2, 200, NULL, 0), 0);
	assert_int_equal(ops()->parse_data(p1, "a", 1, &s1), 0);
	assert_int_equal(ops()->parse_data(p2, "b", 1, &s2), 0);
	assert_int_equal(ops()->parse_data(p1, "c", 1, &s1), 0);
	assert_int_equal(e1.content_calls, 1);
	assert_int_equal(e2.content_calls, 1);
	ops()->parse_free(p1);
	ops()->parse_free(p2);
	ops()->parse_free(NULL);
	ops()->destroy(inst);
	ops()->destroy(NULL);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fake_host_setup, fake_host_check_leaks)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_descriptor_is_an_adapter_named_http),
	    T(test_defaults_build_a_get_to_exactly_the_target_url),
	    T(test_post_body_is_sent_as_json_by_default),
	    T(test_content_type_and_accept_options_override_defaults),
	    T(test_method_is_matched_case_insensitively_and_sent_upper_case),
	    T(test_each_build_returns_a_fresh_copy_of_url_and_body),
	    T(test_empty_body_option_sends_a_zero_length_body),
	    T(test_double_at_sends_a_literal_at_sign),
	    T(test_at_path_body_is_read_from_the_file_byte_for_byte),
	    T(test_large_body_file_is_read_whole),
	    T(test_missing_body_file_fails_naming_the_path),
	    T(test_body_file_over_64_mib_is_refused),
	    T(test_endless_body_stream_is_cut_at_64_mib),
	    T(test_unknown_method_fails_naming_it_and_the_allowed_ones),
	    T(test_bare_at_sign_body_fails),
	    T(test_header_values_with_line_breaks_are_refused),
	    T(test_target_without_url_fails),
	    T(test_content_is_reported_once_on_the_first_non_empty_read),
	    T(test_empty_body_is_success_without_content),
	    T(test_any_body_is_success_even_malformed_json_or_sse_errors),
	    T(test_concurrent_responses_have_independent_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
