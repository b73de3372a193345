/*
 * Workload items: prompts written in the suite or read from a JSONL
 * dataset (one JSON object per line with "prompt" or "messages" and an
 * optional "max_tokens").
 */
#ifndef PG_WORKLOAD_H
#define PG_WORKLOAD_H

#include "suite.h"
#include "yaml_tree.h"

/* Largest dataset file accepted, and most items in one workload. */
#define PG_WORKLOAD_MAX_BYTES (64 * 1024 * 1024)
#define PG_WORKLOAD_MAX_ITEMS 1000000
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
/* Reads a JSONL dataset and appends its items to w. Errors (PG_EIO when the
 * file cannot be read, PG_EINVAL otherwise) read "path:line: ...". */
int pg_workload_load_jsonl(pg_workload *w, const char *path);
/* A file named in the suite as opened: relative paths start at the
 * directory of suite_path. Caller frees; NULL when out of memory. */
char *pg_workload_resolve_path(const char *suite_path, const char *path);
/* Frees the items and dataset path; w is left empty (other fields kept). */
void pg_workload_clear(pg_workload *w);

#endif
