/* Secret registry and URL redaction: what is registered, what is masked,
 * and that errors and log lines come out clean. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "redact.h"

static int reset(void **state)
{
	(void)state;
	pg_redact_reset();
	return 0;
}

static void url_display_drops_userinfo_and_query(void **state)
{
	char buf[256];

	(void)state;
	pg_redact_url(buf, sizeof(buf), "https://u:p4ss@host.example:8443/v1?api_key=k#frag");
	assert_string_equal(buf, "https://host.example:8443/v1");
	pg_redact_url(buf, sizeof(buf), "http://tok3n@h/x");
	assert_string_equal(buf, "http://h/x");
	/* the last '@' of the authority ends the userinfo */
	pg_redact_url(buf, sizeof(buf), "http://a:b@c@h?q=1");
	assert_string_equal(buf, "http://h");
	/* an '@' in the path is no userinfo */
	pg_redact_url(buf, sizeof(buf), "http://h/a@b");
	assert_string_equal(buf, "http://h/a@b");
	/* mock:// keeps its query: it configures the simulated server */
	pg_redact_url(buf, sizeof(buf), "mock://?ttft_ms=5");
	assert_string_equal(buf, "mock://?ttft_ms=5");
	pg_redact_url(buf, sizeof(buf), "ftp://u:pw@h/?k=v");
	assert_string_equal(buf, "ftp://h/");
}

static void url_display_is_terminated_when_cut(void **state)
{
	char buf[8];

	(void)state;
	pg_redact_url(buf, sizeof(buf), "http://user:secret@hostname/path");
	assert_string_equal(buf, "http://");
}

static void registered_secret_is_masked_everywhere(void **state)
{
	char text[] = "a sekrit-1 b sekrit-1sekrit-1 c";

	(void)state;
	assert_int_equal(pg_redact_add("sekrit-1"), 0);
	pg_redact_text(text, 0);
	assert_string_equal(text, "a *** b ****** c");
}

static void short_and_null_values_are_not_registered(void **state)
{
	char text[] = "abc is abc";

	(void)state;
	assert_int_equal(pg_redact_add("abc"), 0);
	assert_int_equal(pg_redact_add(NULL), 0);
	pg_redact_text(text, 0);
	assert_string_equal(text, "abc is abc");
}

static void cut_text_masks_a_tail_that_starts_a_secret(void **state)
{
	char cut[] = "got Bearer tok-12";
	char whole[] = "got Bearer tok-12";

	(void)state;
	assert_int_equal(pg_redact_add("tok-123456"), 0);
	pg_redact_text(cut, 1);
	assert_string_equal(cut, "got Bearer ***");
	pg_redact_text(whole, 0);
	assert_string_equal(whole, "got Bearer tok-12");
}

static void url_password_query_values_and_basic_form_are_registered(void **state)
{
	char text[512];

	(void)state;
	assert_int_equal(pg_redact_add_url("http://alice:pa%40ssword@h/v1?api_key=qk1&"
					   "api-version=2024-02-01&n=5&x=longvalue123"),
			 0);
	/* "alice:pa@ssword" in base64, as an HTTP Basic header carries it */
	snprintf(text, sizeof(text), "%s",
		 "pw pa@ssword raw pa%40ssword basic YWxpY2U6cGFAc3N3b3Jk key qk1 "
		 "ver 2024-02-01 n 5 x longvalue123 user alice");
	pg_redact_text(text, 0);
	assert_string_equal(text, "pw *** raw *** basic *** key qk1 ver *** n 5 x *** user alice");
}

static void user_only_userinfo_is_a_secret_when_token_long(void **state)
{
	char text[] = "ghp_0123456789 and admin";

	(void)state;
	assert_int_equal(pg_redact_add_url("https://ghp_0123456789@h/x"), 0);
	assert_int_equal(pg_redact_add_url("https://admin@h/x"), 0);
	pg_redact_text(text, 0);
	assert_string_equal(text, "*** and admin");
}

static void credential_query_key_registers_short_values(void **state)
{
	char text[] = "token=abcd";

	(void)state;
	assert_int_equal(pg_redact_add_url("https://h/?access_token=abcd"), 0);
	pg_redact_text(text, 0);
	assert_string_equal(text, "token=***");
}

static void mock_url_registers_nothing(void **state)
{
	char text[] = "decode_ms=20000000";

	(void)state;
	assert_int_equal(pg_redact_add_url("mock://?decode_ms=20000000"), 0);
	pg_redact_text(text, 0);
	assert_string_equal(text, "decode_ms=20000000");
}

static void header_secrets_by_name_or_origin(void **state)
{
	char text[256];

	(void)state;
	/* a credential-like name: the credential after the scheme */
	assert_int_equal(pg_redact_add_header("Authorization", "Bearer sk-live-1", 0), 0);
	/* from ${ENV}: secret whatever the name */
	assert_int_equal(pg_redact_add_header("X-Tenant", "tenant-from-env", 1), 0);
	/* neither: not registered */
	assert_int_equal(pg_redact_add_header("X-Request-Tag", "plain-tag", 0), 0);
	/* Basic: the base64, the decoded pair and the password ("bob:hunter22") */
	assert_int_equal(pg_redact_add_header("Proxy-Authorization", "Basic Ym9iOmh1bnRlcjIy", 0),
			 0);
	snprintf(text, sizeof(text), "%s",
		 "Authorization: Bearer sk-live-1 X-Tenant: tenant-from-env plain-tag "
		 "Ym9iOmh1bnRlcjIy hunter22");
	pg_redact_text(text, 0);
	assert_string_equal(text, "Authorization: Bearer *** X-Tenant: *** plain-tag *** ***");
}

static void secret_names_are_recognised(void **state)
{
	(void)state;
	assert_true(pg_redact_is_secret_name("Authorization"));
	assert_true(pg_redact_is_secret_name("proxy-authorization"));
	assert_true(pg_redact_is_secret_name("X-Api-Key"));
	assert_true(pg_redact_is_secret_name("Cookie"));
	assert_true(pg_redact_is_secret_name("X-Auth-Token"));
	assert_true(pg_redact_is_secret_name("access_token"));
	assert_false(pg_redact_is_secret_name("Content-Type"));
	assert_false(pg_redact_is_secret_name("Accept"));
	assert_false(pg_redact_is_secret_name(NULL));
}

static void error_messages_are_scrubbed(void **state)
{
	(void)state;
	assert_int_equal(pg_redact_add("canary-in-error"), 0);
	pg_error_set("HTTP 401: {\"echo\": \"Bearer %s\"}", "canary-in-error");
	assert_string_equal(pg_error_last(), "HTTP 401: {\"echo\": \"Bearer ***\"}");
	pg_error_prefix("judge http://h/?k=%s", "canary-in-error");
	assert_null(strstr(pg_error_last(), "canary"));
	assert_non_null(strstr(pg_error_last(), "judge http://h/?k=***: HTTP 401"));
}

static void error_masks_a_secret_before_cutting_to_size(void **state)
{
	char pad[1011];

	(void)state;
	assert_int_equal(pg_redact_add("canary-at-the-cut-0123456789"), 0);
	/* the secret straddles the message's 1024-byte limit */
	memset(pad, 'x', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	pg_error_set("%s%s tail", pad, "canary-at-the-cut-0123456789");
	assert_null(strstr(pg_error_last(), "canary"));
	assert_string_equal(pg_error_last() + 1010, "*** tail");
}

static void reset_forgets_secrets(void **state)
{
	char text[] = "forget-me-now";

	(void)state;
	assert_int_equal(pg_redact_add("forget-me-now"), 0);
	pg_redact_reset();
	pg_redact_text(text, 0);
	assert_string_equal(text, "forget-me-now");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(url_display_drops_userinfo_and_query, reset),
		cmocka_unit_test_setup(url_display_is_terminated_when_cut, reset),
		cmocka_unit_test_setup(registered_secret_is_masked_everywhere, reset),
		cmocka_unit_test_setup(short_and_null_values_are_not_registered, reset),
		cmocka_unit_test_setup(cut_text_masks_a_tail_that_starts_a_secret, reset),
		cmocka_unit_test_setup(url_password_query_values_and_basic_form_are_registered, reset),
		cmocka_unit_test_setup(user_only_userinfo_is_a_secret_when_token_long, reset),
		cmocka_unit_test_setup(credential_query_key_registers_short_values, reset),
		cmocka_unit_test_setup(mock_url_registers_nothing, reset),
		cmocka_unit_test_setup(header_secrets_by_name_or_origin, reset),
		cmocka_unit_test_setup(secret_names_are_recognised, reset),
		cmocka_unit_test_setup(error_messages_are_scrubbed, reset),
		cmocka_unit_test_setup(error_masks_a_secret_before_cutting_to_size, reset),
		cmocka_unit_test_setup(reset_forgets_secrets, reset),
	};

	return cmocka_run_group_tests(tests, NULL, reset);
}
