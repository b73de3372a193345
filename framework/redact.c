/* Secret registry and URL redaction (see redact.h). */
#include "redact.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "perfgate/common.h"

#define MAX_SECRETS 4096
#define MAX_SECRET_LEN (64 * 1024) /* suites cap a header value at 16 KiB */
#define MASK_LEN (sizeof(PG_REDACT_MASK) - 1)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char **secrets; /* n_secrets of cap, each owned here */
static size_t n_secrets, cap_secrets;

/* ---- helpers ------------------------------------------------------------ */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes s[0..n) into a new string ('+' stays); caller frees. */
static char *pct_decode(const char *s, size_t n)
{
	char *out = malloc(n + 1);
	size_t i, o = 0;

	if (out == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		int hi, lo;

		if (s[i] == '%' && i + 2 < n && (hi = hexval((unsigned char)s[i + 1])) >= 0 &&
		    (lo = hexval((unsigned char)s[i + 2])) >= 0) {
			out[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return out;
}

/* Base64 (RFC 4648, padded) of s[0..n); caller frees. */
static char *base64(const char *s, size_t n)
{
	static const char abc[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *in = (const unsigned char *)s;
	char *out = malloc((n + 2) / 3 * 4 + 1);
	size_t i, o = 0;

	if (out == NULL)
		return NULL;
	for (i = 0; i + 2 < n; i += 3) {
		unsigned long v =
		    (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8 | in[i + 2];

		out[o++] = abc[v >> 18];
		out[o++] = abc[(v >> 12) & 63];
		out[o++] = abc[(v >> 6) & 63];
		out[o++] = abc[v & 63];
	}
	if (i < n) {
		unsigned long v = (unsigned long)in[i] << 16;

		if (i + 1 < n)
			v |= (unsigned long)in[i + 1] << 8;
		out[o++] = abc[v >> 18];
		out[o++] = abc[(v >> 12) & 63];
		out[o++] = i + 1 < n ? abc[(v >> 6) & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	return out;
}

/* Decodes base64 s (padded or not); NULL when it is not base64 or decodes
 * to a NUL byte. Caller frees. */
static char *unbase64(const char *s)
{
	static const char abc[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strcspn(s, "="), i, o = 0;
	unsigned long acc = 0;
	int bits = 0;
	char *out;

	if (s[n + strspn(s + n, "=")] != '\0' || (out = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		const char *p = s[i] != '\0' ? strchr(abc, s[i]) : NULL;

		if (p == NULL) {
			free(out);
			return NULL;
		}
		acc = (acc << 6 | (unsigned long)(p - abc)) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o] = (char)((acc >> bits) & 0xff);
			if (out[o++] == '\0') {
				free(out);
				return NULL;
			}
		}
	}
	out[o] = '\0';
	return out;
}

/* Registers s[0..n) (copied). */
static int add_n(const char *s, size_t n)
{
	char *copy;
	size_t i;
	int rc = 0;

	if (s == NULL || n < PG_REDACT_MIN)
		return 0;
	if (n > MAX_SECRET_LEN)
		return PG_ELIMIT;
	pthread_mutex_lock(&lock);
	for (i = 0; i < n_secrets; i++)
		if (strlen(secrets[i]) == n && memcmp(secrets[i], s, n) == 0)
			goto done;
	if (n_secrets == MAX_SECRETS) {
		rc = PG_ELIMIT;
		goto done;
	}
	if (n_secrets == cap_secrets) {
		size_t cap = cap_secrets ? cap_secrets * 2 : 16;
		char **grown = realloc(secrets, cap * sizeof(*grown));

		if (grown == NULL) {
			rc = PG_ENOMEM;
			goto done;
		}
		secrets = grown;
		cap_secrets = cap;
	}
	if ((copy = malloc(n + 1)) == NULL) {
		rc = PG_ENOMEM;
		goto done;
	}
	memcpy(copy, s, n);
	copy[n] = '\0';
	secrets[n_secrets++] = copy;
done:
	pthread_mutex_unlock(&lock);
	return rc;
}

/* Registers s[0..n) and, when it differs, its percent-decoding. */
static int add_encoded(const char *s, size_t n)
{
	char *dec;
	int rc = add_n(s, n);

	if (rc < 0 || memchr(s, '%', n) == NULL)
		return rc;
	if ((dec = pct_decode(s, n)) == NULL)
		return PG_ENOMEM;
	rc = add_n(dec, strlen(dec));
	free(dec);
	return rc;
}

/* ---- public ------------------------------------------------------------- */

int pg_redact_is_secret_name(const char *name)
{
	static const char *const words[] = {"auth",	 "key",	       "token",	 "secret",
					    "pass",	 "pwd",	       "cookie", "session",
					    "signature", "credential", "jwt",	 "sig"};
	size_t i, j, n;

	if (name == NULL)
		return 0;
	n = strlen(name);
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t w = strlen(words[i]);

		for (j = 0; j + w <= n; j++)
			if (strncasecmp(name + j, words[i], w) == 0)
				return 1;
	}
	return 0;
}

int pg_redact_add(const char *secret)
{
	return secret != NULL ? add_n(secret, strlen(secret)) : 0;
}

int pg_redact_add_url(const char *url)
{
	const char *sep, *auth, *end, *at, *colon, *q, *p;
	int rc = 0;

	if (url == NULL || strncmp(url, "mock://", 7) == 0)
		return 0;
	sep = strstr(url, "://");
	auth = sep != NULL ? sep + 3 : url;
	end = auth + strcspn(auth, "/?#");
	/* the last '@' of the authority ends the userinfo */
	for (at = NULL, p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	if (at != NULL) {
		colon = memchr(auth, ':', (size_t)(at - auth));
		if (colon != NULL) {
			char *user = pct_decode(auth, (size_t)(colon - auth));
			char *pass = pct_decode(colon + 1, (size_t)(at - colon - 1));
			char *both = NULL, *b64 = NULL;
			size_t ul, pl;

			if (user == NULL || pass == NULL)
				rc = PG_ENOMEM;
			ul = user != NULL ? strlen(user) : 0;
			pl = pass != NULL ? strlen(pass) : 0;
			if (rc == 0 && (both = malloc(ul + pl + 2)) == NULL)
				rc = PG_ENOMEM;
			if (rc == 0) {
				memcpy(both, user, ul);
				both[ul] = ':';
				memcpy(both + ul + 1, pass, pl + 1);
				if ((b64 = base64(both, ul + pl + 1)) == NULL)
					rc = PG_ENOMEM;
			}
			if (rc == 0 && pl > 0)
				rc = add_encoded(colon + 1, (size_t)(at - colon - 1));
			if (rc == 0 && pl > 0)
				rc = add_n(b64, strlen(b64));
			free(user);
			free(pass);
			free(both);
			free(b64);
		} else if (at - auth >= 8) {
			/* a user-only userinfo this long is a token (https://TOKEN@host) */
			rc = add_encoded(auth, (size_t)(at - auth));
		}
	}
	q = strchr(end, '?');
	if (q == NULL)
		return rc;
	for (p = q + 1; rc == 0 && *p != '\0' && *p != '#';) {
		size_t len = strcspn(p, "&#");
		const char *eq = memchr(p, '=', len);

		if (eq != NULL) {
			char key[128];
			size_t klen = (size_t)(eq - p), vlen = len - klen - 1;

			snprintf(key, sizeof(key), "%.*s", (int)(klen < 127 ? klen : 127), p);
			if (pg_redact_is_secret_name(key) || vlen >= 8)
				rc = add_encoded(eq + 1, vlen);
		} else if (len >= 8) {
			rc = add_encoded(p, len); /* a bare token: ?SECRET */
		}
		p += len;
		if (*p == '&')
			p++;
	}
	return rc;
}

int pg_redact_add_header(const char *name, const char *value, int from_env)
{
	const char *sp;
	char *dec;
	int rc;

	if (value == NULL || (!from_env && !pg_redact_is_secret_name(name)))
		return 0;
	value += strspn(value, " \t");
	sp = strchr(value, ' ');
	/* "Scheme credential": the credential is the secret */
	if (sp == NULL || sp == value || strchr(sp + 1 + strspn(sp + 1, " "), ' ') != NULL)
		return add_n(value, strlen(value));
	sp += strspn(sp, " ");
	if ((rc = add_n(sp, strlen(sp))) < 0 || (size_t)(sp - value) != 6 ||
	    strncasecmp(value, "Basic ", 6) != 0)
		return rc;
	/* Basic: also user:password and the password, as a server may echo them */
	if ((dec = unbase64(sp)) == NULL)
		return 0;
	rc = add_n(dec, strlen(dec));
	if (rc == 0 && strchr(dec, ':') != NULL)
		rc = pg_redact_add(strchr(dec, ':') + 1);
	free(dec);
	return rc;
}

/* Masks text's tail when it is the start of s (a cut message). */
static void mask_tail(char *text, size_t tlen, const char *s)
{
	size_t slen = strlen(s), k = slen - 1 < tlen ? slen - 1 : tlen;

	for (; k >= PG_REDACT_MIN; k--)
		if (memcmp(text + tlen - k, s, k) == 0) {
			memcpy(text + tlen - k, PG_REDACT_MASK, MASK_LEN + 1);
			return;
		}
}

void pg_redact_text(char *text, int cut)
{
	size_t i;

	if (text == NULL)
		return;
	pthread_mutex_lock(&lock);
	for (i = 0; i < n_secrets; i++) {
		size_t slen = strlen(secrets[i]);
		char *hit = text;

		/* slen >= PG_REDACT_MIN > MASK_LEN: the text only shrinks */
		while ((hit = strstr(hit, secrets[i])) != NULL) {
			memcpy(hit, PG_REDACT_MASK, MASK_LEN);
			memmove(hit + MASK_LEN, hit + slen, strlen(hit + slen) + 1);
			hit += MASK_LEN;
		}
	}
	if (cut)
		for (i = 0; i < n_secrets; i++)
			mask_tail(text, strlen(text), secrets[i]);
	pthread_mutex_unlock(&lock);
}

void pg_redact_reset(void)
{
	size_t i;

	pthread_mutex_lock(&lock);
	for (i = 0; i < n_secrets; i++) {
		/* volatile: the wipe is not optimised away before free */
		volatile char *p = secrets[i];

		while (*p != '\0')
			*p++ = '\0';
		free(secrets[i]);
	}
	free(secrets);
	secrets = NULL;
	n_secrets = cap_secrets = 0;
	pthread_mutex_unlock(&lock);
}

void pg_redact_url(char *buf, size_t size, const char *url)
{
	const char *sep, *auth, *end, *at = NULL, *p;
	size_t head;
	int keep_query;

	if (size == 0)
		return;
	if (url == NULL) {
		buf[0] = '\0';
		return;
	}
	keep_query = strncmp(url, "mock://", 7) == 0;
	sep = strstr(url, "://");
	auth = sep != NULL ? sep + 3 : url;
	end = auth + strcspn(auth, "/?#");
	for (p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	head = (size_t)(auth - url);
	if (at != NULL)
		snprintf(buf, size, "%.*s%s", (int)head, url, at + 1);
	else
		snprintf(buf, size, "%s", url);
	if (!keep_query) {
		/* cut at the query or fragment, which follow the authority */
		char *b_auth = buf + (head < size ? head : size - 1);

		b_auth[strcspn(b_auth, "?#")] = '\0';
	}
}
