/*
 * `perfgate init [FILE] [--target URL] [--force]`: writes a commented
 * starter suite that validates and runs as written (against the built-in
 * mock unless --target names a server), so a first suite starts from
 * something that works rather than from a blank file.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "error.h"
#include "fileio.h"
#include "mock.h"

#define INIT_DEFAULT_FILE "perfgate.yaml"
#define INIT_MOCK_URL "mock://?decode_ms=4&prefill_us=50&ttft_ms=20&slots=32&seed=1"
/* Longest --target URL accepted. */
#define INIT_URL_MAX 2048
/* Largest suite text built (the template plus a URL and a file name). */
#define INIT_TEXT_MAX (64 * 1024)

static const char usage_init[] =
    "usage: perfgate init [FILE] [--target URL] [--force]\n"
    "\n"
    "Writes a commented starter suite to FILE (default " INIT_DEFAULT_FILE "): a target, a\n"
    "workload, a closed-loop and an open-loop scenario with requirements, and\n"
    "commented-out cost, quality and baseline sections. As written it runs\n"
    "against perfgate's simulated model (mock://); --target aims it at a server.\n"
    "\n"
    "options:\n"
    "  --target URL  the API base URL (http://, https:// or mock://), spoken to\n"
    "                with the openai-chat adapter\n"
    "  --force       overwrite FILE if it exists\n"
    "\n"
    "Exit codes: 0 written, 2 bad usage or FILE exists, 3 FILE could not be written.\n";

/* The suite up to the target section (FILE is filled in twice). */
static const char head_fmt[] =
    "# A perfgate suite: what this endpoint must deliver, checked on every build.\n"
    "#   perfgate validate %s   checks it without sending any load\n"
    "#   perfgate run %s        runs it (exit 0: all requirements met)\n"
    "# perfgate's README (Suites) and docs/suite.schema.json describe every key.\n"
    "version: 1\n"
    "name: my-endpoint          # names the results and the baselines\n"
    "\n";

static const char target_mock_fmt[] =
    "# Where the requests go. mock:// is perfgate's simulated model, so the suite\n"
    "# runs anywhere; aim it at your server without editing it with\n"
    "#   perfgate run %s --target http://127.0.0.1:8000/v1\n";

static const char target_url_comment[] =
    "# Where the requests go: the API base URL, as OpenAI clients take it. Try\n"
    "# the suite without a server with --target mock://\n";

static const char target_fmt[] =
    "target:\n"
    "  adapter: openai-chat     # the API it speaks (`perfgate plugins` lists more)\n"
    "  url: \"%s\"\n"
    "  # model: my-model        # the model name, for servers that need one\n"
    "  # headers: {Authorization: \"Bearer ${API_KEY}\"}   # ${ENV}: never printed\n"
    "\n";

/* The rest, written as is. */
static const char body[] =
    "# What each request asks: the prompts are sent in turn, max_tokens caps each\n"
    "# answer, and stream: true times the first token of the streamed answer.\n"
    "workload:\n"
    "  prompts:\n"
    "    - \"Summarise the plot of Hamlet in two sentences.\"\n"
    "    - \"Explain what a TCP handshake is to a new engineer.\"\n"
    "    - \"Write a haiku about release pipelines.\"\n"
    "  max_tokens: 64\n"
    "  stream: true\n"
    "\n"
    "# How load is applied, and what must hold under it. A requirement reads\n"
    "# METRIC OP VALUE with units (300ms, 2s, 1%, 20/s); `perfgate metrics` gives\n"
    "# every metric's exact definition. Warmup is left out of the results.\n"
    "scenarios:\n"
    "  # Closed loop: 4 users, each asking again as soon as its answer is in.\n"
    "  - name: interactive\n"
    "    load:\n"
    "      concurrency: 4\n"
    "      duration: 5s\n"
    "      warmup: 1s\n"
    "      timeout: 30s\n"
    "    requirements:\n"
    "      - ttft.p95 < 500ms      # 95% of users see the answer start within 0.5 s\n"
    "      - e2e.p99 < 5s          # 99% of answers are complete within 5 s\n"
    "      - errors.rate < 1%      # fewer than 1 request in 100 fails\n"
    "  # Open loop: requests arrive at 10 a second whatever the server does, as\n"
    "  # from many independent clients; a slow server cannot slow the load down.\n"
    "  - name: steady-traffic\n"
    "    load:\n"
    "      rate: 10/s\n"
    "      duration: 5s\n"
    "      warmup: 1s\n"
    "      timeout: 30s\n"
    "    requirements:\n"
    "      - throughput.rps >= 7   # it keeps up with the traffic\n"
    "      - ttft.p95 < 1s\n"
    "      - errors.rate < 1%\n"
    "\n"
    "# Optional sections: remove the '# ' in front of one to use it.\n"
    "# Cost: the fleet's price gives cost.per_request and cost.per_1m_tokens.\n"
    "# cost:\n"
    "#   instance: {usd_per_hour: $4.10, instances: 2}\n"
    "#   tokens: {input_usd_per_1m: $0.50, output_usd_per_1m: $1.50}\n"
    "# Quality: each answer is graded against its prompt's expected answer\n"
    "# (write a prompt as {prompt: \"...\", expected: \"...\"}), giving\n"
    "# quality.score and quality.pass_rate.\n"
    "# quality:\n"
    "#   scorer: contains\n"
    "#   options: {case_sensitive: false}\n"
    "# Baseline: each run is compared with the accepted ones (`perfgate baseline\n"
    "# update`) and fails on a regression beyond the tolerance.\n"
    "# baseline:\n"
    "#   tolerance: 10%\n"
    "#   compare: {ttft.p95: 10%, e2e.p99: 10%, errors.rate: {absolute: 0.5%}}\n";

/* A growable string, capped at INIT_TEXT_MAX. */
typedef struct text_buf {
	char *p;
	size_t len;
	size_t cap;
} text_buf;

/* Appends printf-formatted text; PG_ELIMIT past INIT_TEXT_MAX. */
static int text_add(text_buf *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int text_add(text_buf *t, const char *fmt, ...)
{
	va_list ap;
	size_t need, cap;
	char *grown;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		pg_error_set("cannot format the suite");
		return PG_ERROR;
	}
	need = t->len + (size_t)n + 1;
	if (need > INIT_TEXT_MAX) {
		pg_error_set("the suite would be longer than %d bytes", INIT_TEXT_MAX);
		return PG_ELIMIT;
	}
	if (need > t->cap) {
		for (cap = t->cap ? t->cap : 4096; cap < need; cap *= 2)
			;
		grown = realloc(t->p, cap);
		if (grown == NULL) {
			pg_error_set("out of memory");
			return PG_ENOMEM;
		}
		t->p = grown;
		t->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
	return 0;
}

/* Whether s is printable ASCII, which cannot break a YAML line or its
 * UTF-8. */
static int printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

/* Checks a --target URL as the suite loader will; prints why not and
 * returns PG_EXIT_USAGE when it would not load. */
static int check_url(const char *url)
{
	const char *why = NULL;

	if (strlen(url) > INIT_URL_MAX)
		why = "longer than 2048 bytes";
	else if (!printable(url))
		why = "expected printable ASCII (percent-encode other characters)";
	else if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0 &&
		 strncmp(url, "mock://", 7) != 0)
		why = "expected a URL starting with http://, https:// or mock://";
	else if (strcmp(url, "http://") == 0 || strcmp(url, "https://") == 0)
		why = "the URL has no host";
	if (why != NULL) {
		fprintf(stderr, "perfgate init: --target '%s': %s\n", url, why);
		return PG_EXIT_USAGE;
	}
	if (strncmp(url, "mock://", 7) == 0 && strchr(url, '?') != NULL) {
		pg_mock_config cfg = PG_MOCK_CONFIG_INIT;

		if (pg_mock_config_parse(&cfg, strchr(url, '?') + 1) < 0) {
			fprintf(stderr, "perfgate init: --target '%s': %s\n", url, pg_error_last());
			return PG_EXIT_USAGE;
		}
	}
	return 0;
}

/* url as the inside of a YAML double-quoted scalar ('"' and '\' escaped)
 * into *out; the caller frees *out. */
static int yaml_quote(char **out, const char *url)
{
	size_t i, j = 0, len = strlen(url);
	char *q = malloc(2 * len + 1);

	*out = NULL;
	if (q == NULL) {
		pg_error_set("out of memory");
		return PG_ENOMEM;
	}
	for (i = 0; i < len; i++) {
		if (url[i] == '"' || url[i] == '\\')
			q[j++] = '\\';
		q[j++] = url[i];
	}
	q[j] = '\0';
	*out = q;
	return 0;
}

/* The suite's text for a file named file and a target URL (NULL: the
 * mock) into *out (caller frees); *len is its length. */
static int build_suite(char **out, size_t *len, const char *file, const char *url)
{
	text_buf t = {NULL, 0, 0};
	/* the name as shown in comments: only when it cannot break a line */
	const char *shown = printable(file) ? file : "SUITE";
	char *quoted = NULL;
	int rc;

	*out = NULL;
	*len = 0;
	rc = yaml_quote(&quoted, url != NULL ? url : INIT_MOCK_URL);
	if (rc == 0)
		rc = text_add(&t, head_fmt, shown, shown);
	if (rc == 0 && url == NULL)
		rc = text_add(&t, target_mock_fmt, shown);
	else if (rc == 0)
		rc = text_add(&t, "%s", target_url_comment);
	if (rc == 0)
		rc = text_add(&t, target_fmt, quoted);
	if (rc == 0)
		rc = text_add(&t, "%s", body);
	if (rc < 0)
		goto done;
	*out = t.p;
	*len = t.len;
	t.p = NULL;
done:
	free(quoted);
	free(t.p);
	return rc;
}

int pg_cmd_init(int argc, char **argv)
{
	static const struct option longopts[] = {{"target", required_argument, NULL, 't'},
						 {"force", no_argument, NULL, 'f'},
						 {"help", no_argument, NULL, 'h'},
						 {NULL, 0, NULL, 0}};
	const char *file = INIT_DEFAULT_FILE, *url = NULL;
	char *text = NULL;
	struct stat st;
	size_t len = 0;
	int force = 0, c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			url = optarg;
			break;
		case 'f':
			force = 1;
			break;
		case 'h':
			fputs(usage_init, stdout);
			return PG_EXIT_PASS;
		default:
			fputs(usage_init, stderr);
			return PG_EXIT_USAGE;
		}
	}
	if (argc - optind > 1) {
		fprintf(stderr, "perfgate init: expected at most one FILE\n\n%s", usage_init);
		return PG_EXIT_USAGE;
	}
	if (optind < argc)
		file = argv[optind];
	if (file[0] == '\0') {
		fprintf(stderr, "perfgate init: FILE is empty\n");
		return PG_EXIT_USAGE;
	}
	if (url != NULL && (rc = check_url(url)) != 0)
		return rc;
	/* lstat: a symbolic link there counts too, even a dangling one */
	if (lstat(file, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			fprintf(stderr, "perfgate init: '%s' is a directory\n", file);
			return PG_EXIT_USAGE;
		}
		if (!force) {
			fprintf(stderr,
				"perfgate init: '%s' already exists (--force overwrites it)\n",
				file);
			return PG_EXIT_USAGE;
		}
	} else if (errno != ENOENT) {
		fprintf(stderr, "perfgate init: cannot check '%s': %s\n", file, strerror(errno));
		return PG_EXIT_ERROR;
	}
	rc = build_suite(&text, &len, file, url);
	if (rc == 0)
		rc = pg_file_write_atomic(file, text, len);
	free(text);
	if (rc < 0) {
		fprintf(stderr, "perfgate init: %s\n", pg_error_last());
		return PG_EXIT_ERROR;
	}
	printf("wrote %s: check it with 'perfgate validate %s', run it with 'perfgate run %s'\n",
	       file, file, file);
	return PG_EXIT_PASS;
}
