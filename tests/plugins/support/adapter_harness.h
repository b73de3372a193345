/*
 * A harness for adapter plugin unit tests, on top of the fake host: create
 * and build helpers that assert on the plugin's answers, a sink that
 * records events as text, and a runner that feeds a response whole, split
 * at every byte and byte by byte, checking every way gives the same
 * events.
 *
 * Recorded events ("trace" text): "C<tokens>;" content, "T[<text>];"
 * generated text (only when the sink has the text callback),
 * "U<in>,<out>;" usage, "F<class>;" failure (its first message is kept in
 * fail_msg). Any event after a failure fails the test.
 */
#ifndef PG_TEST_ADAPTER_HARNESS_H
#define PG_TEST_ADAPTER_HARNESS_H

#include <stdarg.h>
#include <stddef.h>

#include <jansson.h>

#include "perfgate/plugin.h"

/* The split value adapter_feed takes to mean "one byte per read". */
#define ADAPTER_BYTE_BY_BYTE ((size_t)-1)

/* The adapter operations of descriptor d. */
const pg_adapter_ops *adapter_ops(const pg_plugin_desc *d);

/* Runs d's create with the fake host, a target of url and model, and the
 * name, value option pairs of ap (up to a NULL name). Returns its code;
 * *out_inst is what create set. */
int adapter_create_v(void **out_inst, const pg_plugin_desc *d, const char *url, const char *model,
		     va_list ap);

/* Creates an instance with defaults plus name, value pairs (NULL-ended);
 * fails the test if create fails. Free it with adapter_ops(d)->destroy. */
void *adapter_make_inst(const pg_plugin_desc *d, const char *url, const char *model, ...);

/* Tries a create that must fail (with no instance and a message, which is
 * in fake_host_last_error()); returns its code. */
int adapter_create_fails(const pg_plugin_desc *d, const char *url, const char *model, ...);

/* Builds a request that must be a POST of a JSON object body; returns the
 * body parsed (the caller json_decref()s it), copies the URL into url
 * (when not NULL) and the accept value into *accept (when not NULL). */
json_t *adapter_build_body(const pg_plugin_desc *d, void *inst, const pg_work_item *item, char *url,
			   size_t url_size, const char **accept);

/* A build that must fail with rc, no request and a message holding
 * want_msg. */
void adapter_build_fails(const pg_plugin_desc *d, void *inst, const pg_work_item *item, int rc,
			 const char *want_msg);

/* A string member of a JSON object ("" when absent). */
const char *adapter_str_of(const json_t *obj, const char *key);

/* Checks d is an adapter descriptor of this ABI named name, that every
 * option of its table has help and a valid type, and that the nwant names
 * in want are all options. */
void adapter_check_descriptor(const pg_plugin_desc *d, const char *name, const char *const *want,
			      size_t nwant);

/* Parses one response with ops and inst: parse_begin (status 200, ctype,
 * streamed), body fed as two reads split at split (or one byte per read
 * for ADAPTER_BYTE_BY_BYTE), parse_end and parse_free, all to sink; every
 * call must succeed. */
void adapter_feed(const pg_adapter_ops *ops, void *inst, const char *ctype, int streamed,
		  const char *body, size_t len, size_t split, const pg_response_sink *sink);

/* The split of the i-th of the len + 2 ways adapter_feed can cut a body of
 * len bytes: 0..len, then ADAPTER_BYTE_BY_BYTE. */
size_t adapter_split(size_t i, size_t len);

/* Sink events recorded as text (see the top of this file). */
typedef struct adapter_trace {
	char text[8192];
	size_t len;
	char fail_msg[512];
	int failed;
	int event_after_fail;
} adapter_trace;

/* A sink recording into t, with the text callback when with_text. */
pg_response_sink adapter_trace_sink(adapter_trace *t, int with_text);

/* Parses body (split as adapter_feed does) into *t, zeroed first, and
 * fails the test if an event followed a failure. */
void adapter_parse_response(const pg_plugin_desc *d, void *inst, const char *ctype, int streamed,
			    const char *body, size_t len, size_t split, int with_text,
			    adapter_trace *t);

/* Parses reads 1 MiB reads, all fill bytes except that the first starts
 * with head (when not NULL), into *t, zeroed first, with a sink that has
 * the text callback when with_text: for the caps on bodies and lines. */
void adapter_parse_flood(const pg_plugin_desc *d, void *inst, const char *ctype, int streamed,
			 const char *head, char fill, int reads, int with_text, adapter_trace *t);

/* Checks that body gives the events want (and a failure message holding
 * want_msg, if given) whole, split at every byte and byte by byte, with a
 * sink that has the text callback when with_text. */
void adapter_expect_split(const pg_plugin_desc *d, void *inst, const char *ctype, int streamed,
			  const char *body, const char *want, const char *want_msg, int with_text);

/* adapter_expect_split with the text callback, and again without it
 * expecting want without its "T[...];" entries. */
void adapter_expect_events(const pg_plugin_desc *d, void *inst, const char *ctype, int streamed,
			   const char *body, const char *want, const char *want_msg);

#endif
