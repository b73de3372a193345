/* Pushes the OpenMetrics report to a Prometheus Pushgateway over libcurl. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "redact.h"
#include "report_ci.h"
#include "report_text.h"

#define PUSH_TIMEOUT_S 30L
#define PUSH_ANSWER_MAX 512 /* bytes of the gateway's answer kept for messages */

/* OpenMetrics -> exposition format 0.0.4: drop "# UNIT" and "# EOF". */
static void convert(pg_rtext *t, const char *body)
{
	const char *p = body;

	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t n = nl != NULL ? (size_t)(nl - p) + 1 : strlen(p);

		if (strncmp(p, "# UNIT ", 7) != 0 && strncmp(p, "# EOF", 5) != 0)
			pg_rtext_putn(t, p, n);
		p += n;
	}
}

typedef struct answer {
	char text[PUSH_ANSWER_MAX + 1];
	size_t len;
} answer;

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
	answer *a = ctx;
	size_t bytes = size * n, room = PUSH_ANSWER_MAX - a->len;
	size_t take = bytes < room ? bytes : room;

	memcpy(a->text + a->len, data, take);
	a->len += take;
	a->text[a->len] = '\0';
	return bytes;
}

int pg_report_push(const char *url, const char *job, const char *body)
{
	pg_rtext t = PG_RTEXT_INIT, u = PG_RTEXT_INIT;
	char shown[1024], errbuf[CURL_ERROR_SIZE] = "", *text = NULL, *full = NULL, *esc = NULL;
	const char *query;
	struct curl_slist *headers = NULL, *h;
	answer ans = {"", 0};
	CURL *curl = NULL;
	CURLcode cc;
	long status = 0;
	size_t len;
	int rc = 0;

	/* the gateway's password and query keys are masked in every message */
	if ((rc = pg_redact_add_url(url)) < 0)
		return rc;
	pg_redact_url(shown, sizeof(shown), url);
	if (url == NULL || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)) {
		pg_error_set("--push: '%s' is not an http:// or https:// URL", shown);
		return PG_EINVAL;
	}
	if (job == NULL || job[0] == '\0') {
		pg_error_set("--push: the job name is empty");
		return PG_EINVAL;
	}
	convert(&t, body != NULL ? body : "");
	if ((rc = pg_rtext_finish(&text, &t)) < 0)
		return rc;
	curl = curl_easy_init();
	if (curl == NULL || (esc = curl_easy_escape(curl, job, 0)) == NULL) {
		pg_error_set("--push: cannot initialise libcurl");
		rc = PG_ERROR;
		goto done;
	}
	/* the path goes before a query (?key=...) the URL may carry */
	query = strstr(url, "://") + 3;
	query += strcspn(query, "?#");
	len = (size_t)(query - url);
	while (len > 0 && url[len - 1] == '/')
		len--;
	pg_rtext_printf(&u, "%.*s/metrics/job/%s%s", (int)len, url, esc, query);
	if ((rc = pg_rtext_finish(&full, &u)) < 0)
		goto done;
	pg_redact_url(shown, sizeof(shown), full);
	h = curl_slist_append(NULL, "Content-Type: text/plain; version=0.0.4");
	if (h != NULL)
		headers = curl_slist_append(h, "Expect:");
	if (headers == NULL) {
		curl_slist_free_all(h);
		pg_error_set("out of memory");
		rc = PG_ENOMEM;
		goto done;
	}
	curl_easy_setopt(curl, CURLOPT_URL, full);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "PUT");
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, text);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(text));
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &ans);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, PUSH_TIMEOUT_S);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	cc = curl_easy_perform(curl);
	if (cc != CURLE_OK) {
		pg_error_set("--push: PUT %s: %s", shown,
			     errbuf[0] != '\0' ? errbuf : curl_easy_strerror(cc));
		rc = PG_EIO;
		goto done;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299) {
		char *nl = strpbrk(ans.text, "\r\n");
		size_t i;

		if (nl != NULL)
			*nl = '\0';
		for (i = 0; ans.text[i] != '\0'; i++) {
			if ((unsigned char)ans.text[i] < 0x20 || ans.text[i] == 0x7F)
				ans.text[i] = ' ';
		}
		pg_error_set("--push: PUT %s: HTTP status %ld%s%s", shown, status,
			     ans.text[0] != '\0' ? ": " : "", ans.text);
		rc = PG_EIO;
	}
done:
	curl_slist_free_all(headers);
	curl_free(esc);
	curl_easy_cleanup(curl);
	free(full);
	free(text);
	return rc;
}
