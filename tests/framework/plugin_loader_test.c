/* Plugin loader: built-ins, dlopen of real shared objects, ABI refusal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "plugin_loader.h"

static void builtins_are_registered(void **state)
{
	pg_plugin_registry *r = NULL;

	(void)state;
	assert_int_equal(pg_plugins_new(&r, NULL), 0);
	assert_non_null(pg_plugins_find(r, PG_PLUGIN_ADAPTER, "openai-chat"));
	assert_non_null(pg_plugins_find(r, PG_PLUGIN_ADAPTER, "openai-completions"));
	pg_plugins_free(r);
}

static void shared_plugin_loads_through_dlopen(void **state)
{
	pg_plugin_registry *r = NULL;
	const pg_plugin_desc *d = NULL;

	(void)state;
	assert_int_equal(pg_plugins_new(&r, PG_BUILD_DIR "/test-plugins"), 0);
	d = pg_plugins_find(r, PG_PLUGIN_ADAPTER, "test-raw");
	assert_non_null(d);
	assert_string_equal(d->name, "test-raw");
	assert_int_equal(d->abi_major, PG_PLUGIN_ABI_MAJOR);
	assert_non_null(d->options);
	assert_string_equal(d->options[0].name, "path");
	pg_plugins_free(r);
}

static void builtin_plugin_also_builds_as_shared_object(void **state)
{
	void *h = dlopen(PG_BUILD_DIR "/plugins/openai-chat.so", RTLD_NOW | RTLD_LOCAL);
	pg_plugin_entry_fn entry;
	const pg_plugin_desc *d;

	(void)state;
	assert_non_null(h);
	*(void **)(&entry) = dlsym(h, PG_PLUGIN_ENTRY_SYMBOL);
	assert_non_null(entry);
	d = entry();
	assert_int_equal(pg_plugin_desc_check(d, "openai-chat.so"), 0);
	assert_string_equal(d->name, "openai-chat");
	dlclose(h);
}

static void unknown_abi_major_is_refused_naming_both_versions(void **state)
{
	pg_plugin_registry *r = NULL;
	char want[128];

	(void)state;
	assert_int_equal(pg_plugins_new(&r, NULL), 0);
	assert_int_equal(
	    pg_plugins_load_file(r, PG_BUILD_DIR "/test-plugins-abi2/test-abi2.so", NULL),
	    PG_EABI);
	assert_non_null(strstr(pg_error_last(), "test-abi2.so"));
	/* the fixture claims major 2 with the current minor */
	snprintf(want, sizeof(want), "built for perfgate plugin ABI 2.%d", PG_PLUGIN_ABI_MINOR);
	assert_non_null(strstr(pg_error_last(), want));
	snprintf(want, sizeof(want), "supports ABI %d.0 to %d.%d", PG_PLUGIN_ABI_MAJOR,
		 PG_PLUGIN_ABI_MAJOR, PG_PLUGIN_ABI_MINOR);
	assert_non_null(strstr(pg_error_last(), want));
	pg_plugins_free(r);
}

static void missing_plugin_names_search_path(void **state)
{
	pg_plugin_registry *r = NULL;

	(void)state;
	assert_int_equal(pg_plugins_new(&r, "/nonexistent/a:/nonexistent/b"), 0);
	assert_null(pg_plugins_find(r, PG_PLUGIN_ADAPTER, "nope"));
	assert_non_null(strstr(pg_error_last(), "no adapter plugin named 'nope'"));
	assert_non_null(strstr(pg_error_last(), "/nonexistent/a:/nonexistent/b"));
	pg_plugins_free(r);
}

static void unloadable_file_reports_path_and_dlerror(void **state)
{
	pg_plugin_registry *r = NULL;

	(void)state;
	assert_int_equal(pg_plugins_new(&r, NULL), 0);
	assert_int_equal(pg_plugins_load_file(r, PG_TEST_DATA "/framework/plugin_loader_test.c",
					      NULL),
			 PG_EIO);
	assert_non_null(strstr(pg_error_last(), "cannot load plugin '"));
	assert_non_null(strstr(pg_error_last(), "plugin_loader_test.c"));
	pg_plugins_free(r);
}

static void duplicate_name_is_refused(void **state)
{
	pg_plugin_registry *r = NULL;

	(void)state;
	assert_int_equal(pg_plugins_new(&r, NULL), 0);
	assert_int_equal(pg_plugins_load_file(r, PG_BUILD_DIR "/plugins/openai-chat.so", NULL),
			 PG_EINVAL);
	assert_non_null(strstr(pg_error_last(), "already registered (built in)"));
	pg_plugins_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(builtins_are_registered),
		cmocka_unit_test(shared_plugin_loads_through_dlopen),
		cmocka_unit_test(builtin_plugin_also_builds_as_shared_object),
		cmocka_unit_test(unknown_abi_major_is_refused_naming_both_versions),
		cmocka_unit_test(missing_plugin_names_search_path),
		cmocka_unit_test(unloadable_file_reports_path_and_dlerror),
		cmocka_unit_test(duplicate_name_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
