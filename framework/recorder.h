/*
 * Recorder: what one worker measured during one scenario, kept in
 * fixed-size histograms and counters (never a list of samples), mergeable
 * across workers. The engine fills it; analysis (metrics.c) reads it.
 */
#ifndef PG_RECORDER_H
#define PG_RECORDER_H

#include <stdint.h>

#include "hist.h"
#include "perfgate/plugin.h"

#define PG_HTTP_STATUS_MAX 600

/* Where the output token counts came from. */
typedef enum pg_token_source {
	PG_TOKENS_USAGE = 0,  /* server-reported usage */
	PG_TOKENS_CHUNKS = 1  /* counted content chunks (estimate) */
} pg_token_source;

/* The outcome of one measured request, handed to pg_recorder_add. */
typedef struct pg_request_outcome {
	pg_ns scheduled;  /* when the request was scheduled to start */
	pg_ns sent;       /* when it was handed to the transport */
	pg_ns first_content; /* first chunk carrying content; 0 if none */
	pg_ns last_byte;  /* last body byte (or completion when no body) */
	pg_error_class fail; /* PG_FAIL_NONE on success */
	int http_status;  /* 0 if no response */
	int64_t content_chunks;
	int64_t input_tokens;  /* < 0: unknown */
	int64_t output_tokens; /* as reported by usage; < 0: unknown */
	int new_connection;    /* the request opened a connection */
	int64_t max_tokens;    /* the output limit sent, <= 0: none */
	int scored;            /* the answer was graded */
	double score;          /* its score in [0, 1] */
	int passed;            /* it passed the scorer */
} pg_request_outcome;

/* Per-request service-level objective for goodput; 0 means "not set". */
typedef struct pg_slo {
	pg_ns ttft;
	pg_ns tpot;
	pg_ns e2e;
} pg_slo;

/* Quality scores are kept in 0.001-wide buckets: exact enough for a p10. */
#define PG_QUALITY_BUCKETS 1001

/* A send more than this far behind its schedule is "late". */
#define PG_LATE_SEND_NS PG_NS_PER_MS

typedef struct pg_recorder {
	/* Distributions in ns, successful requests only. */
	pg_hist *e2e;  /* scheduled start -> last byte */
	pg_hist *ttft; /* scheduled start -> first content chunk */
	pg_hist *itl;  /* gaps between successive content chunks, pooled */
	pg_hist *tpot; /* (e2e - ttft) / (output_tokens - 1), per request */
	pg_hist *send_lag; /* scheduled -> sent */
	pg_hist *e2e_send;  /* sent -> last byte */
	pg_hist *ttft_send; /* sent -> first content chunk */

	int64_t started;   /* measured requests handed to the transport:
			    * succeeded + failed + cancelled */
	int64_t succeeded;
	int64_t failed;
	int64_t failed_by_class[PG_FAIL_CLASS_COUNT];
	int64_t http_status[PG_HTTP_STATUS_MAX]; /* responses by status code */
	int64_t completed_in_window; /* successes that ended inside the window */
	int64_t output_tokens_in_window; /* output tokens of those */
	int64_t output_tokens;  /* all successful requests */
	int64_t input_tokens;   /* all successful requests that reported it */
	int64_t tokens_by_source[2]; /* requests per pg_token_source */
	int64_t late;        /* measured sends more than PG_LATE_SEND_NS behind schedule */
	int64_t dropped;     /* measured arrivals not sent: the in-flight cap was reached */
	int64_t connections; /* connections opened by measured requests */
	int64_t retries;     /* extra attempts made by measured requests */
	int64_t cancelled;   /* measured requests abandoned in flight: the run was interrupted */
	int64_t scored;      /* successes graded by the quality scorer */
	int64_t quality_passed; /* of those, answers that passed */
	double quality_sum;  /* sum of their scores */
	int64_t quality_buckets[PG_QUALITY_BUCKETS]; /* scores by 0.001 steps */
	int64_t limited;     /* successes that were sent a max_tokens limit */
	int64_t over_limit;  /* of those, answers longer than the limit */
	int64_t goodput;     /* successes that met every goodput objective */
	int64_t goodput_in_window; /* of those, completed inside the window */

	pg_slo slo;         /* goodput objectives (zeros: every success counts) */

	pg_ns window_start; /* measured window [start, end) */
	pg_ns window_end;
} pg_recorder;

/* Creates an empty recorder with goodput objectives slo (may be NULL);
 * free with pg_recorder_free. */
int pg_recorder_new(pg_recorder **out, const pg_slo *slo);
void pg_recorder_free(pg_recorder *r);
/* Records one finished measured request. ITL gaps are recorded by the
 * engine as they happen (pg_hist_record on r->itl). */
int pg_recorder_add(pg_recorder *r, const pg_request_outcome *o);
/* Adds src into dst (histograms merged, counters summed, window widened). */
int pg_recorder_merge(pg_recorder *dst, const pg_recorder *src);

#endif
