/*
 * A small YAML document tree built from libyaml's event stream: scalars,
 * mappings (ordered, with key nodes) and sequences, each with the file,
 * line and column it was written at. Anchors, aliases, tags, duplicate
 * keys, non-scalar keys and multiple documents are refused.
 */
#ifndef PG_YAML_TREE_H
#define PG_YAML_TREE_H

#include <stddef.h>

#include "perfgate/common.h"

/* Largest YAML file accepted. */
#define PG_YAML_MAX_BYTES (16 * 1024 * 1024)
/* Deepest nesting accepted. */
#define PG_YAML_MAX_DEPTH 64

typedef enum pg_yaml_kind { PG_YAML_SCALAR = 1, PG_YAML_MAP = 2, PG_YAML_SEQ = 3 } pg_yaml_kind;

typedef enum pg_yaml_style {
	PG_YAML_PLAIN = 0,  /* unquoted */
	PG_YAML_QUOTED = 1, /* '...' or "..." */
	PG_YAML_BLOCK = 2   /* | or > */
} pg_yaml_style;

/* Where a node was written. file is owned by the tree; line and col are
 * 1-based, or 0 when the node did not come from a file (then file names
 * its origin, e.g. "--set workload.max_tokens"). */
typedef struct pg_yaml_mark {
	const char *file;
	int line;
	int col;
} pg_yaml_mark;

typedef struct pg_yaml_node pg_yaml_node;

typedef struct pg_yaml_pair {
	pg_yaml_node *key; /* always a scalar */
	pg_yaml_node *value;
} pg_yaml_pair;

struct pg_yaml_node {
	pg_yaml_kind kind;
	pg_yaml_mark mark;
	int end_line; /* line of the node's end (0 if unknown) */
	char *value;  /* SCALAR: the text, NUL-terminated */
	pg_yaml_style style;
	pg_yaml_pair *pairs;  /* MAP: n pairs in file order */
	pg_yaml_node **items; /* SEQ: n items */
	size_t n;
	size_t cap;
};

typedef struct pg_yaml_tree {
	pg_yaml_node *root; /* NULL when the stream holds no document */
	char *file;	    /* the name marks refer to */
	char **origins;	    /* other mark names (see pg_yaml_origin) */
	size_t n_origins;
} pg_yaml_tree;

/* Reads and parses a file. PG_EIO if it cannot be read, PG_EPARSE with a
 * "file:line:col: ..." message if it is not acceptable YAML. Free *out
 * with pg_yaml_free. */
int pg_yaml_load(pg_yaml_tree **out, const char *path);
/* Parses len bytes of data; marks name file. Same errors as pg_yaml_load. */
int pg_yaml_parse(pg_yaml_tree **out, const char *file, const char *data, size_t len);
void pg_yaml_free(pg_yaml_tree *t);

/* Copies name into the tree so marks of nodes made later can point at it;
 * the tree owns the copy. NULL when out of memory. */
const char *pg_yaml_origin(pg_yaml_tree *t, const char *name);
/* New detached nodes (free with pg_yaml_node_free unless they are put into
 * a tree). A scalar made here is plain. */
int pg_yaml_scalar_new(pg_yaml_node **out, const char *value, pg_yaml_mark mark);
int pg_yaml_map_new(pg_yaml_node **out, pg_yaml_mark mark);
void pg_yaml_node_free(pg_yaml_node *n);
/* Sets map[key] = value, replacing (and freeing) an old value; the map
 * takes value, also on failure. A new key node gets key_mark. */
int pg_yaml_map_put(pg_yaml_node *map, const char *key, pg_yaml_mark key_mark, pg_yaml_node *value);

/* The pair for key in a mapping; NULL if absent or map is not a mapping. */
const pg_yaml_pair *pg_yaml_pair_get(const pg_yaml_node *map, const char *key);
/* The value for key, NULL if absent. */
pg_yaml_node *pg_yaml_get(const pg_yaml_node *map, const char *key);
/* Whether n is YAML null: a plain "", "~" or "null". */
int pg_yaml_is_null(const pg_yaml_node *n);
/* How n reads in a message: 'text' for a scalar (shortened), "a mapping"
 * or "a list"; stored in buf. */
const char *pg_yaml_describe(char *buf, size_t size, const pg_yaml_node *n);

/* Sets the scalar at a dotted path ("scenarios.0.load.duration") to a
 * plain scalar holding value, marked with mark. Numeric components index
 * lists; other components in a list select the item whose "name" is the
 * component; missing mapping keys are created. Errors (PG_EINVAL) are
 * prefixed with mark's origin. */
int pg_yaml_set(pg_yaml_node *root, const char *path, const char *value, pg_yaml_mark mark);

/* ---- validation helpers; each error names the node's file:line:col ----- */

/* Refuses any key of map not in keys[0..n), suggesting the closest. where
 * completes "unknown key 'x' ..." (e.g. "in 'load'"); NULL: top level. */
int pg_yaml_check_keys(const pg_yaml_node *map, const char *const *keys, size_t n,
		       const char *where);
/* The value of key, NULL when absent or null. */
const pg_yaml_node *pg_yaml_opt(const pg_yaml_node *map, const char *key);
/* The value of a required key: PG_EINVAL at the map when it is missing, at
 * the key when its value is null. */
int pg_yaml_require(const pg_yaml_node **out, const pg_yaml_node *map, const char *key,
		    const char *where);
/* Checks n's kind: "expected a mapping for 'what', got ...". */
int pg_yaml_want(const pg_yaml_node *n, pg_yaml_kind kind, const char *what);
/* Typed scalars. The string is owned by the node. Integers are decimal and
 * must lie in [lo, hi]; booleans are true or false; durations carry a
 * unit and must be >= min. */
int pg_yaml_string(const char **out, const pg_yaml_node *n, const char *what);
int pg_yaml_int(int64_t *out, const pg_yaml_node *n, const char *what, int64_t lo, int64_t hi);
int pg_yaml_bool(int *out, const pg_yaml_node *n, const char *what);
int pg_yaml_duration(pg_ns *out, const pg_yaml_node *n, const char *what, pg_ns min);
/* Numbers in the units syntax (units.h), never negative: a unitless
 * number; a rate per second ("50/s" or a bare number) in (0, max], or
 * [0, max] when zero_ok; a fraction in [0, 1] written "0.05" or "5%". */
int pg_yaml_number(double *out, const pg_yaml_node *n, const char *what);
int pg_yaml_rate(double *out, const pg_yaml_node *n, const char *what, int zero_ok, double max);
int pg_yaml_fraction(double *out, const pg_yaml_node *n, const char *what);

/* Sets the last error to "file:line:col: <message>" (or "origin: <message>"
 * for a mark without a line) and returns code. */
int pg_yaml_fail(const pg_yaml_mark *m, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefixes the current last error with m's location; returns code. */
int pg_yaml_fail_prefix(const pg_yaml_mark *m, int code);

#endif
