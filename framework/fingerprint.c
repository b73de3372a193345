/* Environment fingerprint of a run (fingerprint.h). */
#include "fingerprint.h"

#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <stdlib.h>

uint64_t pg_fnv1a(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

/* The "model name" line of /proc/cpuinfo, or "unknown". */
static void cpu_model(char *out, size_t size)
{
	char line[512];
	FILE *f = fopen("/proc/cpuinfo", "r");

	snprintf(out, size, "unknown");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) != 0 || colon == NULL)
			continue;
		colon++;
		while (*colon == ' ' || *colon == '\t')
			colon++;
		colon[strcspn(colon, "\n")] = '\0';
		snprintf(out, size, "%s", colon);
		break;
	}
	fclose(f);
}

static void hash_str(uint64_t *h, const char *s)
{
	/* the terminating NUL separates fields: "ab","c" != "a","bc" */
	*h = s != NULL ? pg_fnv1a(*h, s, strlen(s) + 1) : pg_fnv1a(*h, "\xff", 1);
}

/* Hash of everything the workload sends: prompts, limits, streaming. */
static uint64_t workload_hash(const pg_workload *w)
{
	uint64_t h = PG_FNV_OFFSET;
	char num[64];
	size_t i;

	snprintf(num, sizeof(num), "%lld/%d/%zu", (long long)w->max_tokens, w->stream,
		 w->n_items);
	hash_str(&h, num);
	for (i = 0; i < w->n_items; i++) {
		const pg_prompt *p = &w->items[i];

		hash_str(&h, p->prompt);
		hash_str(&h, p->messages_json);
		snprintf(num, sizeof(num), "%lld", (long long)p->max_tokens);
		hash_str(&h, num);
	}
	return h;
}

json_t *pg_fingerprint_json(const pg_suite *suite, const json_t *load_json,
			    const char *target_url)
{
	char cpu[256], lh[17], wh[17], target[1024];
	struct utsname u;
	char *dump = NULL;
	uint64_t h = PG_FNV_OFFSET;

	/* the endpoint, not its query: mock://?speed=2 is the same endpoint as
	 * mock:// running slower, which is what a comparison should judge */
	snprintf(target, sizeof(target), "%.*s", (int)strcspn(target_url, "?"), target_url);
	cpu_model(cpu, sizeof(cpu));
	if (uname(&u) != 0)
		memset(&u, 0, sizeof(u));
	if (load_json != NULL)
		dump = json_dumps(load_json, JSON_SORT_KEYS | JSON_COMPACT | JSON_REAL_PRECISION(17));
	if (dump != NULL)
		h = pg_fnv1a(h, dump, strlen(dump));
	free(dump);
	snprintf(lh, sizeof(lh), "%016llx", (unsigned long long)h);
	snprintf(wh, sizeof(wh), "%016llx", (unsigned long long)workload_hash(&suite->workload));
	return json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "cpu_model", cpu,
			 "cores", (json_int_t)sysconf(_SC_NPROCESSORS_ONLN), "kernel", u.release,
			 "os", u.sysname, "perfgate_version", PG_VERSION, "target", target,
			 "adapter", suite->target.adapter, "model",
			 suite->target.model != NULL ? suite->target.model : "", "load_hash", lh,
			 "workload_hash", wh);
}

int pg_fingerprint_differs(char *reason, size_t size, const json_t *baseline,
			   const json_t *current)
{
	/* what makes two runs incomparable; the perfgate version alone does not */
	static const char *const keys[] = {"load_hash", "workload_hash", "target", "adapter",
					   "model",	"cpu_model",	 "cores",  "kernel"};
	size_t i, used = 0;
	int differs = 0;

	if (size > 0)
		reason[0] = '\0';
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const json_t *a = json_object_get(baseline, keys[i]);
		const json_t *b = json_object_get(current, keys[i]);
		char *sa, *sb;
		int n;

		if (a == NULL || b == NULL || json_equal(a, b))
			continue;
		sa = json_dumps(a, JSON_ENCODE_ANY);
		sb = json_dumps(b, JSON_ENCODE_ANY);
		n = snprintf(reason + used, size > used ? size - used : 0, "%s%s %s -> %s",
			     differs ? "; " : "", keys[i], sa ? sa : "?", sb ? sb : "?");
		free(sa);
		free(sb);
		if (n > 0 && used + (size_t)n < size)
			used += (size_t)n;
		differs = 1;
	}
	return differs;
}
