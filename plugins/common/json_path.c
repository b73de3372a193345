/* Compiled JSON paths over jansson values; see json_path.h. */
#include "json_path.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "perfgate/common.h"

/* Digits an index may have: 18 always fit a long long. */
#define MAX_INDEX_DIGITS 18

typedef struct path_step {
	const char *key; /* NULL: an array index */
	long long index;
} path_step;

struct pg_json_path {
	char *text; /* the path as written */
	char *keys; /* NUL-terminated keys the steps point into */
	path_step *steps;
	size_t count;
};

/* Where the parser is: what the next byte may be. */
enum { AT_START, AFTER_DOLLAR, AFTER_DOT, AFTER_STEP };

static int is_key_byte(unsigned char c)
{
	return c >= 0x20 && c != 0x7f && c != '.' && c != '[' && c != ']' && c != '"';
}

static int refuse(char *err, size_t err_size, const char *path, size_t at, const char *what)
{
	if (err_size > 0)
		snprintf(err, err_size, "malformed JSON path '%s': %s at offset %zu", path, what,
			 at);
	return PG_EINVAL;
}

/* Parses "[N]" or "[\"key\"]" at path[*pos] == '[' into step, copying a key
 * into *keyp (advanced past its NUL). */
static int parse_bracket(path_step *step, char **keyp, size_t *pos, const char *path, char *err,
			 size_t err_size)
{
	size_t i = *pos + 1, start, digits = 0;
	int neg = 0;
	long long v = 0;

	if (path[i] == '"') {
		start = ++i;
		while (path[i] && path[i] != '"') {
			if ((unsigned char)path[i] < 0x20 || path[i] == 0x7f)
				return refuse(err, err_size, path, i, "control character in a key");
			i++;
		}
		if (path[i] != '"')
			return refuse(err, err_size, path, i, "unterminated quoted key");
		if (path[i + 1] != ']')
			return refuse(err, err_size, path, i + 1,
				      "expected ']' after a quoted key");
		memcpy(*keyp, path + start, i - start);
		(*keyp)[i - start] = '\0';
		step->key = *keyp;
		*keyp += i - start + 1;
		*pos = i + 2;
		return 0;
	}
	if (path[i] == '-') {
		neg = 1;
		i++;
	}
	while (path[i] >= '0' && path[i] <= '9') {
		if (++digits > MAX_INDEX_DIGITS)
			return refuse(err, err_size, path, i, "index too large");
		v = v * 10 + (path[i] - '0');
		i++;
	}
	if (digits == 0)
		return refuse(err, err_size, path, i,
			      "expected an index or a quoted key after '['");
	if (path[i] != ']')
		return refuse(err, err_size, path, i, "expected ']' after an index");
	step->key = NULL;
	step->index = neg ? -v : v;
	*pos = i + 1;
	return 0;
}

int pg_json_path_new(pg_json_path **out, const char *path, char *err, size_t err_size)
{
	pg_json_path *p = NULL;
	size_t len, i = 0, start;
	char *keyp;
	int where = AT_START, rc = PG_ENOMEM;

	*out = NULL;
	if (err_size > 0)
		err[0] = '\0';
	if (!path || !path[0])
		return refuse(err, err_size, path ? path : "", 0,
			      "empty path (use '$' for the root)");
	len = strlen(path);
	p = calloc(1, sizeof(*p));
	if (!p)
		goto oom;
	p->text = strdup(path);
	/* Each step takes at least one byte; keys take at most every byte
	 * plus one NUL each. */
	p->keys = malloc(2 * len + 2);
	p->steps = calloc(len + 1, sizeof(*p->steps));
	if (!p->text || !p->keys || !p->steps)
		goto oom;
	keyp = p->keys;
	if (path[0] == '$') {
		where = AFTER_DOLLAR;
		i = 1;
	}
	rc = PG_EINVAL;
	while (path[i]) {
		unsigned char c = (unsigned char)path[i];

		if (c == '[' && where != AFTER_DOT) {
			if (parse_bracket(&p->steps[p->count], &keyp, &i, path, err, err_size) < 0)
				goto done;
			p->count++;
			where = AFTER_STEP;
		} else if (c == '.' && (where == AFTER_STEP || where == AFTER_DOLLAR)) {
			i++;
			where = AFTER_DOT;
		} else if (is_key_byte(c) && (where == AT_START || where == AFTER_DOT)) {
			start = i;
			while (is_key_byte((unsigned char)path[i]))
				i++;
			memcpy(keyp, path + start, i - start);
			keyp[i - start] = '\0';
			p->steps[p->count].key = keyp;
			keyp += i - start + 1;
			p->count++;
			where = AFTER_STEP;
		} else if (where == AFTER_DOT) {
			refuse(err, err_size, path, i, "expected a key after '.'");
			goto done;
		} else if (where == AFTER_DOLLAR) {
			refuse(err, err_size, path, i, "expected '.' or '[' after '$'");
			goto done;
		} else if (c == '.') {
			refuse(err, err_size, path, i, "a path cannot start with '.'");
			goto done;
		} else {
			char what[48];

			if (c >= 0x20 && c < 0x7f)
				snprintf(what, sizeof(what), "unexpected '%c'", c);
			else
				snprintf(what, sizeof(what), "unexpected byte 0x%02x", c);
			refuse(err, err_size, path, i, what);
			goto done;
		}
	}
	if (where == AFTER_DOT) {
		refuse(err, err_size, path, i, "expected a key after '.'");
		goto done;
	}
	*out = p;
	p = NULL;
	rc = 0;
	goto done;
oom:
	if (err_size > 0)
		snprintf(err, err_size, "out of memory compiling a JSON path");
done:
	pg_json_path_free(p);
	return rc;
}

void pg_json_path_free(pg_json_path *p)
{
	if (!p)
		return;
	free(p->text);
	free(p->keys);
	free(p->steps);
	free(p);
}

json_t *pg_json_path_get(const pg_json_path *p, const json_t *root)
{
	json_t *cur = (json_t *)root; /* jansson's getters take non-const values */

	for (size_t i = 0; i < p->count && cur; i++) {
		const path_step *s = &p->steps[i];

		if (s->key) {
			cur = json_is_object(cur) ? json_object_get(cur, s->key) : NULL;
		} else if (json_is_array(cur)) {
			long long n = (long long)json_array_size(cur);
			long long k = s->index < 0 ? s->index + n : s->index;

			cur = k >= 0 && k < n ? json_array_get(cur, (size_t)k) : NULL;
		} else {
			cur = NULL;
		}
	}
	return cur;
}

const char *pg_json_path_text(const pg_json_path *p)
{
	return p->text;
}

/* ---- chat message text -------------------------------------------------- */

/* Appends s (n bytes) and a NUL to the buffer at *buf, growing it;
 * PG_ELIMIT past max bytes. */
static int text_append(char **buf, size_t *len, size_t *cap, const char *s, size_t n, size_t max)
{
	size_t ncap;
	char *np;

	if (n > max || *len > max - n)
		return PG_ELIMIT;
	if (*len + n + 1 > *cap) {
		ncap = *cap ? *cap : 256;
		while (ncap < *len + n + 1)
			ncap *= 2;
		np = realloc(*buf, ncap);
		if (!np)
			return PG_ENOMEM;
		*buf = np;
		*cap = ncap;
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
	return 0;
}

int pg_json_messages_text(char **out, size_t *out_len, const json_t *messages, size_t max_len)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int rc = PG_EINVAL, any = 0;

	*out = NULL;
	*out_len = 0;
	if (!json_is_array(messages))
		goto done;
	rc = text_append(&buf, &len, &cap, "", 0, max_len);
	for (size_t i = 0; rc == 0 && i < json_array_size(messages); i++) {
		const json_t *msg = json_array_get(messages, i);
		const json_t *content = json_object_get(msg, "content");

		if (!json_is_object(msg)) {
			rc = PG_EINVAL;
			break;
		}
		if (!json_is_string(content) && !json_is_array(content))
			continue;
		if (any)
			rc = text_append(&buf, &len, &cap, "\n", 1, max_len);
		any = 1;
		if (rc == 0 && json_is_string(content))
			rc = text_append(&buf, &len, &cap, json_string_value(content),
					 json_string_length(content), max_len);
		for (size_t k = 0;
		     rc == 0 && json_is_array(content) && k < json_array_size(content); k++) {
			const json_t *text = json_object_get(json_array_get(content, k), "text");

			if (json_is_string(text))
				rc = text_append(&buf, &len, &cap, json_string_value(text),
						 json_string_length(text), max_len);
		}
	}
	if (rc < 0)
		goto done;
	*out = buf;
	*out_len = len;
	buf = NULL;
done:
	free(buf);
	return rc;
}
