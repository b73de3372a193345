/*
 * YAML tree: libyaml's event stream folded into nodes that remember where
 * they were written, so every later complaint can name file:line:col.
 */
#include "yaml_tree.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "error.h"
#include "fileio.h"
#include "suggest.h"
#include "units.h"

/* A mapping with more keys than this is refused (duplicate checks are
 * quadratic, and no suite needs that many). */
#define YAML_MAX_KEYS 10000

int pg_yaml_fail(const pg_yaml_mark *m, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pg_error_vset(fmt, ap);
	va_end(ap);
	return pg_yaml_fail_prefix(m, code);
}

int pg_yaml_fail_prefix(const pg_yaml_mark *m, int code)
{
	if (m == NULL || m->file == NULL)
		return code;
	if (m->line > 0)
		pg_error_prefix("%s:%d:%d", m->file, m->line, m->col);
	else
		pg_error_prefix("%s", m->file);
	return code;
}

void pg_yaml_node_free(pg_yaml_node *n)
{
	size_t i;

	if (n == NULL)
		return;
	free(n->value);
	for (i = 0; n->pairs != NULL && i < n->n; i++) {
		pg_yaml_node_free(n->pairs[i].key);
		pg_yaml_node_free(n->pairs[i].value);
	}
	for (i = 0; n->items != NULL && i < n->n; i++)
		pg_yaml_node_free(n->items[i]);
	free(n->pairs);
	free(n->items);
	free(n);
}

void pg_yaml_free(pg_yaml_tree *t)
{
	size_t i;

	if (t == NULL)
		return;
	pg_yaml_node_free(t->root);
	for (i = 0; i < t->n_origins; i++)
		free(t->origins[i]);
	free(t->origins);
	free(t->file);
	free(t);
}

const char *pg_yaml_origin(pg_yaml_tree *t, const char *name)
{
	char **grown;
	char *copy;

	copy = strdup(name);
	if (copy == NULL)
		return NULL;
	grown = realloc(t->origins, (t->n_origins + 1) * sizeof(*grown));
	if (grown == NULL) {
		free(copy);
		return NULL;
	}
	t->origins = grown;
	t->origins[t->n_origins++] = copy;
	return copy;
}

static pg_yaml_node *node_new(pg_yaml_kind kind, pg_yaml_mark mark)
{
	pg_yaml_node *n = calloc(1, sizeof(*n));

	if (n == NULL)
		return NULL;
	n->kind = kind;
	n->mark = mark;
	n->end_line = mark.line;
	return n;
}

int pg_yaml_scalar_new(pg_yaml_node **out, const char *value, pg_yaml_mark mark)
{
	pg_yaml_node *n = node_new(PG_YAML_SCALAR, mark);

	*out = NULL;
	if (n == NULL || (n->value = strdup(value)) == NULL) {
		free(n);
		pg_error_set("out of memory");
		return PG_ENOMEM;
	}
	n->style = PG_YAML_PLAIN;
	*out = n;
	return 0;
}

int pg_yaml_map_new(pg_yaml_node **out, pg_yaml_mark mark)
{
	*out = node_new(PG_YAML_MAP, mark);
	if (*out == NULL) {
		pg_error_set("out of memory");
		return PG_ENOMEM;
	}
	return 0;
}

/* Makes room for one more pair or item. */
static int reserve(pg_yaml_node *n)
{
	size_t cap;
	void *p;

	if (n->n < n->cap)
		return 0;
	cap = n->cap ? n->cap * 2 : 4;
	if (n->kind == PG_YAML_MAP)
		p = realloc(n->pairs, cap * sizeof(*n->pairs));
	else
		p = realloc(n->items, cap * sizeof(*n->items));
	if (p == NULL) {
		pg_error_set("out of memory");
		return PG_ENOMEM;
	}
	if (n->kind == PG_YAML_MAP)
		n->pairs = p;
	else
		n->items = p;
	n->cap = cap;
	return 0;
}

const pg_yaml_pair *pg_yaml_pair_get(const pg_yaml_node *map, const char *key)
{
	size_t i;

	if (map == NULL || map->kind != PG_YAML_MAP)
		return NULL;
	for (i = 0; i < map->n; i++)
		if (strcmp(map->pairs[i].key->value, key) == 0)
			return &map->pairs[i];
	return NULL;
}

pg_yaml_node *pg_yaml_get(const pg_yaml_node *map, const char *key)
{
	const pg_yaml_pair *p = pg_yaml_pair_get(map, key);

	return p != NULL ? p->value : NULL;
}

int pg_yaml_map_put(pg_yaml_node *map, const char *key, pg_yaml_mark key_mark, pg_yaml_node *value)
{
	pg_yaml_pair *p = (pg_yaml_pair *)pg_yaml_pair_get(map, key);
	pg_yaml_node *k;
	int rc;

	if (p != NULL) {
		pg_yaml_node_free(p->value);
		p->value = value;
		return 0;
	}
	rc = reserve(map);
	if (rc == 0)
		rc = pg_yaml_scalar_new(&k, key, key_mark);
	if (rc < 0) {
		pg_yaml_node_free(value);
		return rc;
	}
	map->pairs[map->n].key = k;
	map->pairs[map->n].value = value;
	map->n++;
	return 0;
}

int pg_yaml_is_null(const pg_yaml_node *n)
{
	if (n == NULL || n->kind != PG_YAML_SCALAR || n->style != PG_YAML_PLAIN)
		return 0;
	return n->value[0] == '\0' || strcmp(n->value, "~") == 0 || strcmp(n->value, "null") == 0 ||
	       strcmp(n->value, "Null") == 0 || strcmp(n->value, "NULL") == 0;
}

const char *pg_yaml_describe(char *buf, size_t size, const pg_yaml_node *n)
{
	if (n == NULL || pg_yaml_is_null(n))
		snprintf(buf, size, "nothing");
	else if (n->kind == PG_YAML_MAP)
		snprintf(buf, size, "a mapping");
	else if (n->kind == PG_YAML_SEQ)
		snprintf(buf, size, "a list");
	else if (strlen(n->value) > 40)
		snprintf(buf, size, "'%.37s...'", n->value);
	else
		snprintf(buf, size, "'%s'", n->value);
	return buf;
}

/* ---- building a tree from events ---------------------------------------- */

typedef struct builder {
	pg_yaml_tree *t;
	const char *data; /* the input, to place reader errors */
	size_t len;
	pg_yaml_node *stack[PG_YAML_MAX_DEPTH];
	size_t depth;
	int documents;
	/* the last scalar if it was quoted and spanned lines (0: it was not),
	 * to explain a syntax error that an unclosed quote caused */
	pg_yaml_mark open_quote;
	int open_quote_end;
} builder;

static pg_yaml_mark mark_of(const builder *b, const yaml_mark_t *m)
{
	pg_yaml_mark pm;

	pm.file = b->t->file;
	pm.line = (int)m->line + 1;
	pm.col = (int)m->column + 1;
	return pm;
}

/* Line and column (in characters) of a byte offset, for reader errors,
 * which libyaml reports by offset only. */
static pg_yaml_mark mark_at_offset(const builder *b, size_t offset)
{
	pg_yaml_mark pm;
	size_t i;

	pm.file = b->t->file;
	pm.line = 1;
	pm.col = 1;
	for (i = 0; i < offset && i < b->len; i++) {
		if (b->data[i] == '\n') {
			pm.line++;
			pm.col = 1;
		} else if (((unsigned char)b->data[i] & 0xC0) != 0x80) {
			pm.col++;
		}
	}
	return pm;
}

static int parser_error(const builder *b, const yaml_parser_t *p)
{
	pg_yaml_mark m;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		pg_error_set("out of memory");
		return PG_ENOMEM;
	case YAML_READER_ERROR:
		m = mark_at_offset(b, p->problem_offset);
		/* the byte libyaml names is the one after the sequence's start */
		if (p->problem_value != -1 && p->problem_offset > 0 && p->problem_offset < b->len &&
		    p->problem != NULL && strcmp(p->problem, "invalid trailing UTF-8 octet") == 0) {
			size_t lead = p->problem_offset - 1;

			while (lead > 0 && ((unsigned char)b->data[lead] & 0xC0) == 0x80)
				lead--;
			return pg_yaml_fail(&m, PG_EPARSE,
					    "invalid input: %s (byte 0x%02x after 0x%02x)",
					    p->problem, (unsigned)p->problem_value & 0xFFu,
					    (unsigned char)b->data[lead]);
		}
		if (p->problem_value != -1)
			return pg_yaml_fail(&m, PG_EPARSE, "invalid input: %s (byte 0x%02x)",
					    p->problem, (unsigned)p->problem_value & 0xFFu);
		return pg_yaml_fail(&m, PG_EPARSE, "invalid input: %s", p->problem);
	default:
		m = mark_of(b, &p->problem_mark);
		if (p->error == YAML_SCANNER_ERROR && p->problem_mark.index < b->len &&
		    b->data[p->problem_mark.index] == '\t')
			return pg_yaml_fail(
			    &m, PG_EPARSE,
			    "tab character where YAML expects indentation or a value "
			    "(indent with spaces)");
		if (b->open_quote.line > 0 && b->open_quote_end == m.line)
			return pg_yaml_fail(&m, PG_EPARSE,
					    "%s (the quoted string that starts at %d:%d runs on to "
					    "here: is its closing quote missing?)",
					    p->problem ? p->problem : "syntax error",
					    b->open_quote.line, b->open_quote.col);
		if (p->context != NULL)
			return pg_yaml_fail(&m, PG_EPARSE, "%s (%s that started at %zu:%zu)",
					    p->problem ? p->problem : "syntax error", p->context,
					    p->context_mark.line + 1, p->context_mark.column + 1);
		return pg_yaml_fail(&m, PG_EPARSE, "%s", p->problem ? p->problem : "syntax error");
	}
}

/* Refuses features the tree does not model. */
static int check_props(const builder *b, const yaml_event_t *ev, const yaml_char_t *anchor,
		       const yaml_char_t *tag)
{
	pg_yaml_mark m = mark_of(b, &ev->start_mark);

	if (anchor != NULL)
		return pg_yaml_fail(&m, PG_EPARSE, "anchors and aliases are not supported");
	if (tag != NULL)
		return pg_yaml_fail(&m, PG_EPARSE, "tags are not supported ('%s')",
				    (const char *)tag);
	return 0;
}

/* Attaches a new node under the innermost open container (or as the root).
 * The node is owned by the tree afterwards, also on failure. */
static int attach(builder *b, pg_yaml_node *n)
{
	pg_yaml_node *top;
	size_t i;
	int rc;

	if (b->depth == 0) {
		b->t->root = n;
		return 0;
	}
	top = b->stack[b->depth - 1];
	if (top->kind == PG_YAML_SEQ) {
		rc = reserve(top);
		if (rc < 0) {
			pg_yaml_node_free(n);
			return rc;
		}
		top->items[top->n++] = n;
		return 0;
	}
	if (top->n > 0 && top->pairs[top->n - 1].value == NULL) {
		top->pairs[top->n - 1].value = n;
		return 0;
	}
	/* n is a key */
	if (n->kind != PG_YAML_SCALAR) {
		rc = pg_yaml_fail(&n->mark, PG_EPARSE, "mapping keys must be scalars");
		pg_yaml_node_free(n);
		return rc;
	}
	for (i = 0; i < top->n; i++) {
		if (strcmp(top->pairs[i].key->value, n->value) == 0) {
			rc = pg_yaml_fail(&n->mark, PG_EPARSE,
					  "duplicate key '%s' (first at line %d)", n->value,
					  top->pairs[i].key->mark.line);
			pg_yaml_node_free(n);
			return rc;
		}
	}
	if (top->n >= YAML_MAX_KEYS) {
		rc = pg_yaml_fail(&n->mark, PG_EPARSE, "mapping has more than %d keys",
				  YAML_MAX_KEYS);
		pg_yaml_node_free(n);
		return rc;
	}
	rc = reserve(top);
	if (rc < 0) {
		pg_yaml_node_free(n);
		return rc;
	}
	top->pairs[top->n].key = n;
	top->pairs[top->n].value = NULL;
	top->n++;
	return 0;
}

static int on_scalar(builder *b, const yaml_event_t *ev)
{
	pg_yaml_mark m = mark_of(b, &ev->start_mark);
	pg_yaml_node *n;
	int rc;

	rc = check_props(b, ev, ev->data.scalar.anchor, ev->data.scalar.tag);
	if (rc < 0)
		return rc;
	if (strlen((const char *)ev->data.scalar.value) != ev->data.scalar.length)
		return pg_yaml_fail(&m, PG_EPARSE, "NUL characters are not allowed");
	rc = pg_yaml_scalar_new(&n, (const char *)ev->data.scalar.value, m);
	if (rc < 0)
		return rc;
	n->end_line = (int)ev->end_mark.line + 1;
	switch (ev->data.scalar.style) {
	case YAML_SINGLE_QUOTED_SCALAR_STYLE:
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
		n->style = PG_YAML_QUOTED;
		if (n->end_line > m.line) {
			b->open_quote = m;
			b->open_quote_end = n->end_line;
		}
		break;
	case YAML_LITERAL_SCALAR_STYLE:
	case YAML_FOLDED_SCALAR_STYLE:
		n->style = PG_YAML_BLOCK;
		break;
	default:
		n->style = PG_YAML_PLAIN;
		break;
	}
	return attach(b, n);
}

static int on_start(builder *b, const yaml_event_t *ev, pg_yaml_kind kind)
{
	pg_yaml_mark m = mark_of(b, &ev->start_mark);
	const yaml_char_t *anchor = ev->data.sequence_start.anchor;
	const yaml_char_t *tag = ev->data.sequence_start.tag;
	pg_yaml_node *n;
	int rc;

	if (kind == PG_YAML_MAP) {
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
	}
	rc = check_props(b, ev, anchor, tag);
	if (rc < 0)
		return rc;
	if (b->depth >= PG_YAML_MAX_DEPTH)
		return pg_yaml_fail(&m, PG_EPARSE, "nesting deeper than %d levels",
				    PG_YAML_MAX_DEPTH);
	n = node_new(kind, m);
	if (n == NULL) {
		pg_error_set("out of memory");
		return PG_ENOMEM;
	}
	rc = attach(b, n);
	if (rc < 0)
		return rc;
	b->stack[b->depth++] = n;
	return 0;
}

/* Handles one event; sets *end at the end of the stream. */
static int on_event(builder *b, const yaml_event_t *ev, int *end)
{
	pg_yaml_mark m = mark_of(b, &ev->start_mark);

	b->open_quote.line = 0; /* on_scalar sets it again */
	switch (ev->type) {
	case YAML_STREAM_END_EVENT:
		*end = 1;
		return 0;
	case YAML_DOCUMENT_START_EVENT:
		if (b->documents++ > 0)
			return pg_yaml_fail(&m, PG_EPARSE,
					    "multiple YAML documents are not supported");
		return 0;
	case YAML_ALIAS_EVENT:
		return pg_yaml_fail(&m, PG_EPARSE, "anchors and aliases are not supported");
	case YAML_SCALAR_EVENT:
		return on_scalar(b, ev);
	case YAML_SEQUENCE_START_EVENT:
		return on_start(b, ev, PG_YAML_SEQ);
	case YAML_MAPPING_START_EVENT:
		return on_start(b, ev, PG_YAML_MAP);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (b->depth > 0) {
			b->depth--;
			b->stack[b->depth]->end_line = (int)ev->end_mark.line + 1;
		}
		return 0;
	default:
		return 0;
	}
}

int pg_yaml_parse(pg_yaml_tree **out, const char *file, const char *data, size_t len)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	builder b;
	int rc = 0, end = 0;

	*out = NULL;
	memset(&b, 0, sizeof(b));
	b.t = calloc(1, sizeof(*b.t));
	if (b.t == NULL || (b.t->file = strdup(file)) == NULL) {
		free(b.t);
		pg_error_set("out of memory");
		return PG_ENOMEM;
	}
	b.data = data;
	b.len = len;
	if (!yaml_parser_initialize(&parser)) {
		pg_yaml_free(b.t);
		pg_error_set("out of memory");
		return PG_ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	while (!end) {
		if (!yaml_parser_parse(&parser, &ev)) {
			rc = parser_error(&b, &parser);
			goto done;
		}
		rc = on_event(&b, &ev, &end);
		yaml_event_delete(&ev);
		if (rc < 0)
			goto done;
	}
	*out = b.t;
	b.t = NULL;
done:
	yaml_parser_delete(&parser);
	pg_yaml_free(b.t);
	return rc;
}

int pg_yaml_load(pg_yaml_tree **out, const char *path)
{
	size_t len;
	char *data;
	int rc;

	*out = NULL;
	rc = pg_file_read_all(&data, &len, path, PG_YAML_MAX_BYTES, NULL);
	if (rc < 0)
		return rc;
	rc = pg_yaml_parse(out, path, data, len);
	free(data);
	return rc;
}

/* ---- --set paths -------------------------------------------------------- */

/* Index of the item a path component selects in a list, or -1 with an
 * error: a number, or the "name" of a mapping item. */
static long select_item(const pg_yaml_node *seq, const char *comp, const char *parent,
			int parent_len, const pg_yaml_mark *mark)
{
	char *end;
	long long idx;
	size_t i;

	if (comp[0] >= '0' && comp[0] <= '9') {
		errno = 0;
		idx = strtoll(comp, &end, 10);
		if (*end != '\0' || errno == ERANGE) {
			pg_yaml_fail(mark, PG_EINVAL, "'%s' is not a list index", comp);
			return -1;
		}
		if ((unsigned long long)idx >= seq->n) {
			pg_yaml_fail(mark, PG_EINVAL,
				     "index %lld out of range ('%.*s' has %zu item%s)", idx,
				     parent_len, parent, seq->n, seq->n == 1 ? "" : "s");
			return -1;
		}
		return (long)idx;
	}
	for (i = 0; i < seq->n; i++) {
		const pg_yaml_node *name = pg_yaml_get(seq->items[i], "name");

		if (name != NULL && name->kind == PG_YAML_SCALAR && strcmp(name->value, comp) == 0)
			return (long)i;
	}
	pg_yaml_fail(mark, PG_EINVAL, "no item named '%s' in '%.*s'", comp, parent_len, parent);
	return -1;
}

int pg_yaml_set(pg_yaml_node *root, const char *path, const char *value, pg_yaml_mark mark)
{
	pg_yaml_node *node = root, *next;
	char *copy, *comp, *dot;
	int rc = 0, parent_len;
	long idx;

	copy = strdup(path);
	if (copy == NULL) {
		pg_error_set("out of memory");
		return PG_ENOMEM;
	}
	for (comp = copy;; comp = dot + 1) {
		dot = strchr(comp, '.');
		if (dot != NULL)
			*dot = '\0';
		/* the path walked up to this component, for messages */
		parent_len = comp == copy ? 0 : (int)(comp - copy - 1);
		if (comp[0] == '\0') {
			rc = pg_yaml_fail(&mark, PG_EINVAL, "empty component in path '%s'", path);
			goto done;
		}
		if (node->kind == PG_YAML_MAP) {
			if (dot == NULL) {
				rc = pg_yaml_scalar_new(&next, value, mark);
				if (rc == 0)
					rc = pg_yaml_map_put(node, comp, mark, next);
				goto done;
			}
			next = pg_yaml_get(node, comp);
			if (next == NULL || pg_yaml_is_null(next)) {
				rc = pg_yaml_map_new(&next, mark);
				if (rc == 0)
					rc = pg_yaml_map_put(node, comp, mark, next);
				if (rc < 0)
					goto done;
			}
		} else if (node->kind == PG_YAML_SEQ) {
			idx = select_item(node, comp, copy, parent_len, &mark);
			if (idx < 0) {
				rc = PG_EINVAL;
				goto done;
			}
			if (dot == NULL) {
				rc = pg_yaml_scalar_new(&next, value, mark);
				if (rc == 0) {
					pg_yaml_node_free(node->items[idx]);
					node->items[idx] = next;
				}
				goto done;
			}
			next = node->items[idx];
		} else {
			rc = pg_yaml_fail(&mark, PG_EINVAL,
					  "'%.*s' is a value, not a mapping or list", parent_len,
					  copy);
			goto done;
		}
		node = next;
		*dot = '.';
	}
done:
	free(copy);
	return rc;
}

/* ---- validation helpers ------------------------------------------------- */

/* Most keys a table passed to pg_yaml_check_keys may hold. */
#define YAML_KEYS_MAX 32

int pg_yaml_check_keys(const pg_yaml_node *map, const char *const *keys, size_t n,
		       const char *where)
{
	const pg_yaml_node *key;
	const char *hint;
	size_t i, j;

	for (i = 0; i < map->n; i++) {
		key = map->pairs[i].key;
		for (j = 0; j < n; j++)
			if (strcmp(key->value, keys[j]) == 0)
				break;
		if (j < n)
			continue;
		hint = pg_suggest(key->value, keys, n < YAML_KEYS_MAX ? n : YAML_KEYS_MAX);
		if (where != NULL)
			pg_error_set("unknown key '%s' %s", key->value, where);
		else
			pg_error_set("unknown top-level key '%s'", key->value);
		if (hint != NULL) {
			char msg[512];

			snprintf(msg, sizeof(msg), "%s", pg_error_last());
			pg_error_set("%s (did you mean '%s'?)", msg, hint);
		}
		return pg_yaml_fail_prefix(&key->mark, PG_EINVAL);
	}
	return 0;
}

const pg_yaml_node *pg_yaml_opt(const pg_yaml_node *map, const char *key)
{
	const pg_yaml_node *v = pg_yaml_get(map, key);

	return pg_yaml_is_null(v) ? NULL : v;
}

int pg_yaml_require(const pg_yaml_node **out, const pg_yaml_node *map, const char *key,
		    const char *where)
{
	const pg_yaml_pair *p = pg_yaml_pair_get(map, key);

	*out = NULL;
	if (p == NULL) {
		if (where != NULL)
			return pg_yaml_fail(&map->mark, PG_EINVAL, "missing required key '%s' %s",
					    key, where);
		return pg_yaml_fail(&map->mark, PG_EINVAL, "missing required key '%s'", key);
	}
	if (pg_yaml_is_null(p->value))
		return pg_yaml_fail(&p->key->mark, PG_EINVAL, "'%s' has no value", key);
	*out = p->value;
	return 0;
}

int pg_yaml_want(const pg_yaml_node *n, pg_yaml_kind kind, const char *what)
{
	static const char *const names[] = {"", "a scalar", "a mapping", "a list"};
	char got[64];

	if (n->kind == kind && !(kind == PG_YAML_SCALAR && pg_yaml_is_null(n)))
		return 0;
	return pg_yaml_fail(&n->mark, PG_EINVAL, "expected %s for '%s', got %s", names[kind], what,
			    pg_yaml_describe(got, sizeof(got), n));
}

int pg_yaml_string(const char **out, const pg_yaml_node *n, const char *what)
{
	char got[64];

	*out = NULL;
	if (n->kind != PG_YAML_SCALAR || pg_yaml_is_null(n))
		return pg_yaml_fail(&n->mark, PG_EINVAL, "expected a string for '%s', got %s", what,
				    pg_yaml_describe(got, sizeof(got), n));
	*out = n->value;
	return 0;
}

int pg_yaml_int(int64_t *out, const pg_yaml_node *n, const char *what, int64_t lo, int64_t hi)
{
	char got[64], *end;
	const char *s;
	long long v;

	*out = 0;
	if (n->kind != PG_YAML_SCALAR || pg_yaml_is_null(n))
		goto bad;
	s = n->value;
	if (!isdigit((unsigned char)s[0]) &&
	    !((s[0] == '-' || s[0] == '+') && isdigit((unsigned char)s[1])))
		goto bad;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0')
		goto bad;
	if (errno == ERANGE || v < lo || v > hi)
		return pg_yaml_fail(&n->mark, PG_EINVAL,
				    "'%s' must be between %" PRId64 " and %" PRId64 ", got %s",
				    what, lo, hi, n->value);
	*out = (int64_t)v;
	return 0;
bad:
	return pg_yaml_fail(&n->mark, PG_EINVAL, "expected an integer for '%s', got %s", what,
			    pg_yaml_describe(got, sizeof(got), n));
}

int pg_yaml_bool(int *out, const pg_yaml_node *n, const char *what)
{
	char got[64];

	*out = 0;
	if (n->kind == PG_YAML_SCALAR && strcmp(n->value, "true") == 0) {
		*out = 1;
		return 0;
	}
	if (n->kind == PG_YAML_SCALAR && strcmp(n->value, "false") == 0)
		return 0;
	return pg_yaml_fail(&n->mark, PG_EINVAL, "expected true or false for '%s', got %s", what,
			    pg_yaml_describe(got, sizeof(got), n));
}

int pg_yaml_duration(pg_ns *out, const pg_yaml_node *n, const char *what, pg_ns min)
{
	char got[64];

	*out = 0;
	if (n->kind != PG_YAML_SCALAR || pg_yaml_is_null(n))
		return pg_yaml_fail(&n->mark, PG_EINVAL,
				    "expected a duration such as 30s for '%s', got %s", what,
				    pg_yaml_describe(got, sizeof(got), n));
	if (pg_duration_parse(out, n->value) < 0) {
		pg_error_prefix("invalid duration for '%s'", what);
		return pg_yaml_fail_prefix(&n->mark, PG_EINVAL);
	}
	if (*out < min) {
		char lo[32];

		if (min == 1)
			return pg_yaml_fail(&n->mark, PG_EINVAL, "'%s' must be greater than 0",
					    what);
		return pg_yaml_fail(&n->mark, PG_EINVAL, "'%s' must be at least %s, got %s", what,
				    pg_duration_format(lo, sizeof(lo), (double)min), n->value);
	}
	return 0;
}

int pg_yaml_number(double *out, const pg_yaml_node *n, const char *what)
{
	char got[64];
	pg_quantity q;

	*out = 0;
	if (n->kind != PG_YAML_SCALAR || pg_yaml_is_null(n) ||
	    pg_quantity_parse(&q, n->value) < 0 || q.kind != PG_UNIT_NONE)
		return pg_yaml_fail(&n->mark, PG_EINVAL, "expected a number for '%s', got %s", what,
				    pg_yaml_describe(got, sizeof(got), n));
	*out = q.value;
	return 0;
}

int pg_yaml_rate(double *out, const pg_yaml_node *n, const char *what, int zero_ok, double max)
{
	char got[64];
	pg_quantity q;

	*out = 0;
	if (n->kind != PG_YAML_SCALAR || pg_yaml_is_null(n))
		goto bad;
	if (pg_quantity_parse(&q, n->value) < 0) {
		pg_error_prefix("invalid rate for '%s'", what);
		return pg_yaml_fail_prefix(&n->mark, PG_EINVAL);
	}
	if (q.kind != PG_UNIT_PER_S && q.kind != PG_UNIT_NONE)
		goto bad;
	if (!zero_ok && q.value <= 0)
		return pg_yaml_fail(&n->mark, PG_EINVAL, "'%s' must be greater than 0", what);
	if (q.value > max)
		return pg_yaml_fail(&n->mark, PG_EINVAL, "'%s' must be at most %.15g/s, got %s",
				    what, max, n->value);
	*out = q.value;
	return 0;
bad:
	return pg_yaml_fail(&n->mark, PG_EINVAL, "expected a rate such as 50/s for '%s', got %s",
			    what, pg_yaml_describe(got, sizeof(got), n));
}

int pg_yaml_fraction(double *out, const pg_yaml_node *n, const char *what)
{
	char got[64];
	pg_quantity q;

	*out = 0;
	if (n->kind != PG_YAML_SCALAR || pg_yaml_is_null(n) ||
	    pg_quantity_parse(&q, n->value) < 0 ||
	    (q.kind != PG_UNIT_NONE && q.kind != PG_UNIT_PERCENT))
		return pg_yaml_fail(
		    &n->mark, PG_EINVAL,
		    "expected a fraction or percentage such as 5%% for '%s', got %s", what,
		    pg_yaml_describe(got, sizeof(got), n));
	if (q.value > 1)
		return pg_yaml_fail(&n->mark, PG_EINVAL,
				    "'%s' must be between 0 and 1 (0%% and 100%%), got %s", what,
				    n->value);
	*out = q.value;
	return 0;
}
