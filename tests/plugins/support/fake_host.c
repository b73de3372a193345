/* The fake host API shared by the plugin tests (see fake_host.h). */
#include "fake_host.h"

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

/* Counters are atomic: some plugins allocate from more than one thread. */
static long live_allocs;
static int log_counts[PG_LOG_DEBUG + 1];
static char last_error[512];

static void fake_log(pg_log_level level, const char *plugin, const char *fmt, ...)
{
	(void)plugin;
	(void)fmt;
	if ((int)level >= 0 && level <= PG_LOG_DEBUG)
		__atomic_add_fetch(&log_counts[level], 1, __ATOMIC_RELAXED);
}

static void *fake_alloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p)
		__atomic_add_fetch(&live_allocs, 1, __ATOMIC_RELAXED);
	return p;
}

static void *fake_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p)
		__atomic_add_fetch(&live_allocs, 1, __ATOMIC_RELAXED);
	return p;
}

static void *fake_realloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);

	if (p && !ptr)
		__atomic_add_fetch(&live_allocs, 1, __ATOMIC_RELAXED);
	return p;
}

static void fake_free(void *ptr)
{
	if (ptr)
		__atomic_sub_fetch(&live_allocs, 1, __ATOMIC_RELAXED);
	free(ptr);
}

static char *fake_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = fake_alloc(n);

	if (p)
		memcpy(p, s, n);
	return p;
}

static pg_ns fake_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (pg_ns)ts.tv_sec * PG_NS_PER_S + ts.tv_nsec;
}

/* The value a test set, else the table's default; an option the table does
 * not declare fails the test. */
static const char *opt_lookup(const pg_options *opts, const char *name)
{
	const fake_options *fo = (const fake_options *)(const void *)opts;

	if (fo == NULL)
		fail_msg("plugin read option '%s' without an options object", name);
	for (int i = 0; i < fo->count; i++)
		if (strcmp(fo->names[i], name) == 0)
			return fo->values[i];
	for (const pg_option_spec *s = fo->specs; s && s->name; s++)
		if (strcmp(s->name, name) == 0)
			return s->default_value;
	fail_msg("plugin read option '%s' that its table does not declare", name);
	return NULL;
}

static const char *fake_opt_string(const pg_options *opts, const char *name)
{
	return opt_lookup(opts, name);
}

static int64_t fake_opt_int(const pg_options *opts, const char *name)
{
	const char *v = opt_lookup(opts, name);

	return v ? strtoll(v, NULL, 10) : 0;
}

static double fake_opt_double(const pg_options *opts, const char *name)
{
	const char *v = opt_lookup(opts, name);

	return v ? strtod(v, NULL) : 0.0;
}

static int fake_opt_bool(const pg_options *opts, const char *name)
{
	const char *v = opt_lookup(opts, name);

	return v && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
}

static pg_ns fake_opt_duration(const pg_options *opts, const char *name)
{
	(void)opt_lookup(opts, name);
	return 0;
}

static void fake_set_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
}

const pg_host_api fake_host = {
    .version = PG_HOST_API_VERSION,
    .size = sizeof(pg_host_api),
    .log = fake_log,
    .alloc = fake_alloc,
    .calloc = fake_calloc,
    .realloc = fake_realloc,
    .free = fake_free,
    .strdup = fake_strdup,
    .now_ns = fake_now,
    .opt_string = fake_opt_string,
    .opt_int = fake_opt_int,
    .opt_double = fake_opt_double,
    .opt_bool = fake_opt_bool,
    .opt_duration = fake_opt_duration,
    .set_error = fake_set_error,
};

void fake_host_reset(void)
{
	__atomic_store_n(&live_allocs, 0, __ATOMIC_RELAXED);
	for (int i = 0; i <= PG_LOG_DEBUG; i++)
		__atomic_store_n(&log_counts[i], 0, __ATOMIC_RELAXED);
	last_error[0] = '\0';
}

long fake_host_live_allocs(void)
{
	return __atomic_load_n(&live_allocs, __ATOMIC_RELAXED);
}

int fake_host_logs(pg_log_level level)
{
	return __atomic_load_n(&log_counts[level], __ATOMIC_RELAXED);
}

const char *fake_host_last_error(void)
{
	return last_error;
}

void fake_host_clear_error(void)
{
	last_error[0] = '\0';
}

int fake_host_setup(void **state)
{
	(void)state;
	fake_host_reset();
	return 0;
}

int fake_host_check_leaks(void **state)
{
	(void)state;
	if (fake_host_live_allocs() != 0)
		fail_msg("%ld host allocations were not freed", fake_host_live_allocs());
	return 0;
}

void fake_options_init(fake_options *fo, const pg_option_spec *specs)
{
	memset(fo, 0, sizeof(*fo));
	fo->specs = specs;
}

void fake_options_set(fake_options *fo, const char *name, const char *value)
{
	assert_true(fo->count < FAKE_OPTIONS_MAX);
	fo->names[fo->count] = name;
	fo->values[fo->count] = value;
	fo->count++;
}

void fake_options_set_list(fake_options *fo, va_list ap)
{
	const char *name;

	while ((name = va_arg(ap, const char *)) != NULL)
		fake_options_set(fo, name, va_arg(ap, const char *));
}

const pg_options *fake_options_get(const fake_options *fo)
{
	return (const pg_options *)(const void *)fo;
}
