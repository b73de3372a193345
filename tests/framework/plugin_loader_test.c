/* Plugin loader: built-ins, dlopen of real shared objects, ABI refusal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* ---- refusal of plugins others could have replaced ------------------- */

#define RAW_SO PG_BUILD_DIR "/test-plugins/test-raw.so"

typedef struct tmp_plugin {
	char dir[64];
	char path[128];
} tmp_plugin;

/* Copies the test-raw plugin into a fresh directory with the given modes. */
static void make_plugin(tmp_plugin *t, mode_t dir_mode, mode_t file_mode)
{
	char buf[65536];
	FILE *in, *out;
	size_t n;

	snprintf(t->dir, sizeof(t->dir), "/tmp/pg_plugin_test_XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/test-raw.so", t->dir);
	in = fopen(RAW_SO, "rb");
	assert_non_null(in);
	out = fopen(t->path, "wb");
	assert_non_null(out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	assert_int_equal(fclose(out), 0);
	assert_int_equal(chmod(t->path, file_mode), 0);
	assert_int_equal(chmod(t->dir, dir_mode), 0);
}

static void drop_plugin(tmp_plugin *t)
{
	assert_int_equal(chmod(t->dir, 0700), 0);
	unlink(t->path);
	assert_int_equal(rmdir(t->dir), 0);
}

static void world_writable_plugin_file_is_refused(void **state)
{
	pg_plugin_registry *r = NULL;
	tmp_plugin t;
	char want[512];
	size_t n;

	(void)state;
	make_plugin(&t, 0755, 0666);
	assert_int_equal(pg_plugins_new(&r, NULL), 0);
	n = pg_plugins_count(r);
	assert_int_equal(pg_plugins_load_file(r, t.path, NULL), PG_EINVAL);
	snprintf(want, sizeof(want),
		 "refusing to load plugin %s: the file is world-writable (mode 0666); chmod o-w %s",
		 t.path, t.path);
	assert_string_equal(pg_error_last(), want);
	assert_int_equal(pg_plugins_count(r), n); /* nothing registered */
	pg_plugins_free(r);
	drop_plugin(&t);
}

static void plugin_found_in_search_path_is_refused_when_world_writable(void **state)
{
	pg_plugin_registry *r = NULL;
	tmp_plugin t;

	(void)state;
	make_plugin(&t, 0755, 0646);
	assert_int_equal(pg_plugins_new(&r, t.dir), 0);
	assert_null(pg_plugins_find(r, PG_PLUGIN_ADAPTER, "test-raw"));
	assert_non_null(strstr(pg_error_last(), "world-writable (mode 0646)"));
	pg_plugins_free(r);
	drop_plugin(&t);
}

static void plugin_in_world_writable_directory_is_refused(void **state)
{
	pg_plugin_registry *r = NULL;
	tmp_plugin t;
	char want[512];

	(void)state;
	make_plugin(&t, 0777, 0755);
	assert_int_equal(pg_plugins_new(&r, NULL), 0);
	assert_int_equal(pg_plugins_load_file(r, t.path, NULL), PG_EINVAL);
	snprintf(want, sizeof(want),
		 "refusing to load plugin %s: the directory %s is world-writable without the "
		 "sticky bit (mode 0777)",
		 t.path, t.dir);
	assert_non_null(strstr(pg_error_last(), want));
	pg_plugins_free(r);
	drop_plugin(&t);
}

static void plugin_in_sticky_or_private_directory_loads(void **state)
{
	static const mode_t dir_modes[] = {01777, 0755, 0775};
	const pg_plugin_desc *d = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(dir_modes) / sizeof(dir_modes[0]); i++) {
		pg_plugin_registry *r = NULL;
		tmp_plugin t;

		/* group-writable files are allowed (shared build trees) */
		make_plugin(&t, dir_modes[i], i == 2 ? 0775 : 0755);
		assert_int_equal(pg_plugins_new(&r, NULL), 0);
		assert_int_equal(pg_plugins_load_file(r, t.path, &d), 0);
		assert_string_equal(d->name, "test-raw");
		pg_plugins_free(r);
		drop_plugin(&t);
	}
}

static void symlink_to_world_writable_plugin_is_refused(void **state)
{
	pg_plugin_registry *r = NULL;
	tmp_plugin t, link_dir;
	char link_path[192];

	(void)state;
	make_plugin(&t, 0755, 0666);
	make_plugin(&link_dir, 0755, 0755);
	unlink(link_dir.path);
	snprintf(link_path, sizeof(link_path), "%s/test-raw.so", link_dir.dir);
	assert_int_equal(symlink(t.path, link_path), 0);
	assert_int_equal(pg_plugins_new(&r, NULL), 0);
	assert_int_equal(pg_plugins_load_file(r, link_path, NULL), PG_EINVAL);
	assert_non_null(strstr(pg_error_last(), "world-writable (mode 0666)"));
	pg_plugins_free(r);
	drop_plugin(&link_dir);
	drop_plugin(&t);
}

static void plugin_owned_by_another_user_is_refused(void **state)
{
	pg_plugin_registry *r = NULL;
	tmp_plugin t;

	(void)state;
	if (geteuid() != 0)
		skip(); /* only root can give a file away */
	make_plugin(&t, 0755, 0755);
	assert_int_equal(chown(t.path, 65534, 65534), 0);
	assert_int_equal(pg_plugins_new(&r, NULL), 0);
	assert_int_equal(pg_plugins_load_file(r, t.path, NULL), PG_EINVAL);
	assert_non_null(strstr(pg_error_last(), "is owned by uid 65534, neither root nor"));
	assert_int_equal(chown(t.path, 0, 0), 0);
	assert_int_equal(chown(t.dir, 65534, 65534), 0);
	assert_int_equal(pg_plugins_load_file(r, t.path, NULL), PG_EINVAL);
	assert_non_null(strstr(pg_error_last(), "the directory"));
	assert_non_null(strstr(pg_error_last(), "is owned by uid 65534"));
	assert_int_equal(chown(t.dir, 0, 0), 0);
	pg_plugins_free(r);
	drop_plugin(&t);
}

static void plugin_name_that_is_a_path_is_refused(void **state)
{
	static const char *const names[] = {"../test-plugins/test-raw", "/tmp/x", ".hidden", "a b"};
	pg_plugin_registry *r = NULL;
	size_t i;

	(void)state;
	assert_int_equal(pg_plugins_new(&r, PG_BUILD_DIR "/plugins"), 0);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_null(pg_plugins_find(r, PG_PLUGIN_ADAPTER, names[i]));
		assert_non_null(strstr(pg_error_last(), "may hold only letters, digits"));
	}
	pg_plugins_free(r);
}

static void current_directory_is_never_searched(void **state)
{
	pg_plugin_registry *r = NULL;
	char old[4096];
	tmp_plugin t;

	(void)state;
	make_plugin(&t, 0755, 0755);
	assert_non_null(getcwd(old, sizeof(old)));
	assert_int_equal(chdir(t.dir), 0);
	unsetenv("PERFGATE_PLUGIN_PATH");
	/* empty entries of a search path do not mean "." */
	assert_int_equal(pg_plugins_new(&r, "::/nonexistent:"), 0);
	assert_null(pg_plugins_find(r, PG_PLUGIN_ADAPTER, "test-raw"));
	assert_non_null(strstr(pg_error_last(), "no adapter plugin named 'test-raw'"));
	pg_plugins_free(r);
	assert_int_equal(chdir(old), 0);
	drop_plugin(&t);
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
		cmocka_unit_test(world_writable_plugin_file_is_refused),
		cmocka_unit_test(plugin_found_in_search_path_is_refused_when_world_writable),
		cmocka_unit_test(plugin_in_world_writable_directory_is_refused),
		cmocka_unit_test(plugin_in_sticky_or_private_directory_loads),
		cmocka_unit_test(symlink_to_world_writable_plugin_is_refused),
		cmocka_unit_test(plugin_owned_by_another_user_is_refused),
		cmocka_unit_test(plugin_name_that_is_a_path_is_refused),
		cmocka_unit_test(current_directory_is_never_searched),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
