/*
 * Fuzz target: histogram decoding (framework/hist.h).
 *
 * The input is the encoded text. It is decoded as is and, because a random
 * mutation almost never keeps the CRC-32 right, once more with the 8 hex
 * digits after its last ':' replaced by the correct checksum, so the
 * fuzzer reaches the checks behind it. Whatever decodes must encode back
 * to exactly the same text (the encoding is canonical), and the queries
 * (count, min, max, mean, quantiles, clone, merge) must not crash and must
 * agree with the decoded header.
 */
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "fuzz_util.h"
#include "hist.h"

/* CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), bit by bit. */
static uint32_t crc32_ieee(const char *s, size_t n)
{
	uint32_t c = 0xFFFFFFFFu;

	for (size_t i = 0; i < n; i++) {
		c ^= (unsigned char)s[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
	}
	return c ^ 0xFFFFFFFFu;
}

static void check_queries(const pg_hist *h)
{
	static const double qs[] = {0, 1e-9, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1};
	int64_t count = pg_hist_count(h), min = pg_hist_min(h), max = pg_hist_max(h), prev = 0;
	double mean = pg_hist_mean(h), sd = pg_hist_stddev(h);
	pg_hist *copy = NULL;

	FUZZ_CHECK(count >= 0 && min >= 0 && min <= max);
	FUZZ_CHECK(pg_hist_overflow(h) >= 0 && pg_hist_overflow(h) <= count);
	FUZZ_CHECK(!isnan(mean) && !isnan(sd) && sd >= 0);
	if (count > 0)
		FUZZ_CHECK(mean >= (double)min * (1 - 1e-9) && mean <= (double)max * (1 + 1e-9));
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		int64_t v = pg_hist_quantile(h, qs[i]);

		FUZZ_CHECK(v >= min && v <= max);
		FUZZ_CHECK(i == 0 || v >= prev); /* quantiles never decrease */
		prev = v;
	}
	if (pg_hist_clone(&copy, h) == 0) {
		int rc = pg_hist_merge(copy, h);

		if (rc == 0)
			FUZZ_CHECK(pg_hist_count(copy) == 2 * count);
		else
			FUZZ_CHECK(count > INT64_MAX / 2);
		FUZZ_CHECK(pg_hist_min(copy) == min && pg_hist_max(copy) == max);
		pg_hist_record(copy, max);
		pg_hist_free(copy);
	}
}

static void check_text(const char *text)
{
	pg_hist *h = NULL;
	char *again = NULL;

	if (pg_hist_decode(&h, text) != 0) {
		FUZZ_CHECK(h == NULL);
		FUZZ_CHECK(!fuzz_shows_null(pg_error_last(), (const uint8_t *)text, strlen(text)));
		return;
	}
	FUZZ_CHECK(h != NULL);
	if (pg_hist_encode(h, &again) == 0) {
		if (strcmp(again, text) != 0) {
			fprintf(stderr, "decoded: %s\nencoded: %s\n", text, again);
			__builtin_trap();
		}
	}
	check_queries(h);
	free(again);
	pg_hist_free(h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strndup(data, size);
	char *colon;
	size_t len;

	if (!text)
		return 0;
	check_text(text);
	/* the same text with a correct checksum, when it has the room for one */
	len = strlen(text);
	colon = strrchr(text, ':');
	if (colon && len - (size_t)(colon - text) == 9) {
		char hex[9];

		snprintf(hex, sizeof(hex), "%08" PRIx32, crc32_ieee(text, (size_t)(colon - text)));
		if (memcmp(colon + 1, hex, 8) != 0) {
			memcpy(colon + 1, hex, 8);
			check_text(text);
		}
	}
	free(text);
	return 0;
}
