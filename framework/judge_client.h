/*
 * Judge client: the suite's `quality.judge` target, asked one prompt at a
 * time with blocking libcurl requests (the host API's complete()). It is
 * only used after the load, by scorers flagged PG_SCORER_AFTER_RUN: it
 * never runs beside measured requests. A mock:// judge gets its own
 * embedded mock server for the client's lifetime.
 */
#ifndef PG_JUDGE_CLIENT_H
#define PG_JUDGE_CLIENT_H

#include "perfgate/plugin.h"
#include "suite.h"

/* Longest generated text kept from one judge answer; the rest is dropped. */
#define PG_JUDGE_MAX_TEXT (64 * 1024)

typedef struct pg_judge_client pg_judge_client;

/* Creates a client for target tg (which must outlive it): starts the mock
 * for a mock:// URL and creates an adapter instance. timeout bounds each
 * request from start to the last byte (connecting included). Free with
 * pg_judge_client_free. PG_EINVAL (with a message) when the adapter
 * refuses the target or its options. */
int pg_judge_client_new(pg_judge_client **out, const pg_target *tg, pg_ns timeout);
void pg_judge_client_free(pg_judge_client *c);

/* Sends prompt as a non-streamed request and waits for the answer.
 * *out_text gets the generated text (malloc'd, NUL-terminated, capped at
 * PG_JUDGE_MAX_TEXT; the caller frees it). PG_EIO when the judge could not
 * be reached or answered with an error (non-2xx, an error in the body),
 * PG_EPARSE when its answer was malformed; the message names the judge's
 * URL without credentials and never a header value. */
int pg_judge_client_complete(pg_judge_client *c, const char *prompt, char **out_text);

/* Makes c the client that pg_judge_complete uses on the calling thread
 * (NULL: none). The caller keeps c alive while it is active. */
void pg_judge_client_activate(pg_judge_client *c);

/* The host API's complete(): pg_judge_client_complete on the thread's
 * active client; *out_text is freed with the host's free. PG_EINVAL when
 * no client is active (no judge target, or called during the load). */
int pg_judge_complete(const char *prompt, char **out_text);

/* The number of requests c has sent so far. */
int64_t pg_judge_client_requests(const pg_judge_client *c);

#endif
