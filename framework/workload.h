/*
 * Workload items: prompts written in the suite, read from a dataset (JSONL:
 * one JSON object per line with "prompt" or "messages", an optional
 * "max_tokens" and "expected" or "answer"; ShareGPT: a JSON array of
 * conversations), generated (`synthetic:`, see synthetic.h) or a weighted
 * `mix:` of those, optionally drawn into a seeded `sample:`.
 */
#ifndef PG_WORKLOAD_H
#define PG_WORKLOAD_H

#include "suite.h"
#include "yaml_tree.h"

/* Largest dataset file accepted, and most items in one workload. */
#define PG_WORKLOAD_MAX_BYTES (64 * 1024 * 1024)
#define PG_WORKLOAD_MAX_ITEMS 1000000
/* Most text (prompts, expected answers, metadata) a sampled or mixed
 * workload may hold, copies included. */
#define PG_WORKLOAD_MAX_TEXT ((size_t)256 * 1024 * 1024)
/* Most entries of a `mix:`. */
#define PG_WORKLOAD_MAX_SOURCES 64
/* Bounds of max_tokens, for the workload and each item. */
#define PG_MAX_TOKENS_MIN 1
#define PG_MAX_TOKENS_MAX 1000000

/* Fills w from a suite's `workload:` mapping (w must be zeroed). A dataset
 * path is taken relative to the directory of suite_path. Errors (PG_EINVAL,
 * PG_EIO for an unreadable dataset) name file:line:col, or dataset:line. */
int pg_workload_from_yaml(pg_workload *w, const pg_yaml_node *map, const char *suite_path);
/* Appends one item (copies prompt or messages_json; exactly one must be
 * non-NULL). max_tokens <= 0: use the workload's. */
int pg_workload_add(pg_workload *w, const char *prompt, const char *messages_json,
		    int64_t max_tokens);
/* Appends *item, taking its strings: on success w owns them, on failure
 * they are freed; *item is zeroed either way. Exactly one of prompt and
 * messages_json must be set. */
int pg_workload_take(pg_workload *w, pg_prompt *item);
/* Frees an item's strings and zeroes it. */
void pg_workload_item_clear(pg_prompt *item);
/* Replaces w's n_items items by n of them in a seeded shuffled order: a
 * permutation, then another after each full pass when n is larger
 * (workload_sample.c). PG_ELIMIT when the copies would hold more than
 * PG_WORKLOAD_MAX_TEXT. */
int pg_workload_sample(pg_workload *w, int64_t n, uint64_t seed);
/* Appends to w items of the n_src non-empty sources src with weights > 0
 * (copies; src is unchanged). sample > 0: that many draws with
 * replacement, a source by weight then one of its items uniformly, from a
 * generator seeded with seed. sample <= 0: as many items as the sources
 * hold together, interleaved by smooth weighted round robin (weights 3 and
 * 1 give A A B A A A B A ...), each source in its own order and cycling.
 * PG_ELIMIT as for pg_workload_sample. */
int pg_workload_mix(pg_workload *w, const pg_workload *src, const double *weight, size_t n_src,
		    int64_t sample, uint64_t seed);
/* Reads a JSONL dataset and appends its items to w. Errors (PG_EIO when the
 * file cannot be read, PG_EINVAL otherwise) read "path:line: ...". */
int pg_workload_load_jsonl(pg_workload *w, const char *path);
/* Reads a ShareGPT dataset and appends one messages item per conversation
 * (dataset_sharegpt.c). max_turns > 0 keeps only each conversation's first
 * max_turns turns (a leading system turn not counted) before the cut at its
 * last human turn. *skipped counts conversations without a human turn,
 * which are left out (and logged as a warning). Errors (PG_EIO, PG_EINVAL)
 * read "path:line: ..." or "path: conversation N (id 'x'): ...". */
int pg_workload_load_sharegpt(pg_workload *w, size_t *skipped, const char *path, int64_t max_turns);
/* A file named in the suite as opened: relative paths start at the
 * directory of suite_path. Caller frees; NULL when out of memory. */
char *pg_workload_resolve_path(const char *suite_path, const char *path);
/* Frees the items and dataset path; w is left empty (other fields kept). */
void pg_workload_clear(pg_workload *w);

#endif
