/*
 * A fake pg_host_api for plugin tests: allocations counted so a test can
 * check a plugin freed everything, logs counted by level, the last
 * set_error message kept, a monotonic clock, and option lookups answered
 * from a fake_options object (values a test set, else the plugin table's
 * default). A plugin reading an option its table does not declare fails
 * the running cmocka test.
 */
#ifndef PG_TEST_FAKE_HOST_H
#define PG_TEST_FAKE_HOST_H

#include <stdarg.h>

#include "perfgate/plugin.h"

#define FAKE_OPTIONS_MAX 8

/* Options a test hands a plugin's create. Names and values are kept by
 * pointer: they must outlive the create call. */
typedef struct fake_options {
	const pg_option_spec *specs; /* the plugin's table: defaults, and what may be read */
	const char *names[FAKE_OPTIONS_MAX];
	const char *values[FAKE_OPTIONS_MAX];
	int count;
} fake_options;

/* The host table plugins under test get. */
extern const pg_host_api fake_host;

/* Zeroes the allocation and log counters and clears the last error. */
void fake_host_reset(void);
/* Host allocations not yet freed since the last reset. */
long fake_host_live_allocs(void);
/* Log calls at level since the last reset. */
int fake_host_logs(pg_log_level level);
/* The last message a plugin passed to set_error ("" after a reset). */
const char *fake_host_last_error(void);
/* Clears the last error only. */
void fake_host_clear_error(void);
/* A cmocka setup that calls fake_host_reset. */
int fake_host_setup(void **state);
/* A cmocka teardown that fails the test if host allocations were left. */
int fake_host_check_leaks(void **state);

/* Makes fo an options object for a plugin whose table is specs, with no
 * values set. */
void fake_options_init(fake_options *fo, const pg_option_spec *specs);
/* Sets one option (at most FAKE_OPTIONS_MAX). */
void fake_options_set(fake_options *fo, const char *name, const char *value);
/* Sets the name, value pairs of ap, up to a NULL name. */
void fake_options_set_list(fake_options *fo, va_list ap);
/* fo as the opaque object plugins take. */
const pg_options *fake_options_get(const fake_options *fo);

#endif
