/*
 * Log-linear histogram in HdrHistogram's layout (our own code).
 *
 * A value v is first scaled down by the unit u = floor(log2(lowest)):
 * x = v >> u. Bucket 0 holds x in [0, 2^S) in slots of width 1, where 2^S is
 * the smallest power of two >= 2 * 10^sigfigs (2048 for 3 digits). Bucket
 * b >= 1 holds x in [2^(S+b-1), 2^(S+b)) in half = 2^(S-1) slots of width
 * 2^b, so a slot is never wider than 1/half of any value in it and its
 * midpoint is within 1/(2 * half) of every value in it. Buckets >= 1 only use
 * their upper half, so the slots are laid out flat with
 *     index = b * half + (x >> b)
 * and the array has (buckets + 1) * half slots.
 *
 * Encoding (printable ASCII, no quotes or backslashes):
 *     PGH1:<lowest>:<highest>:<sigfigs>:<count>:<min>:<max>:<overflow>:<body>:<crc>
 * Numbers are canonical decimals. <body> is base64url without padding of a
 * byte string of LEB128 varints of zigzag-encoded integers: n > 0 is the
 * count of the next slot, -k is a run of k empty slots; the body stops at
 * the last non-empty slot. <crc> is 8 lowercase hex digits, the CRC-32
 * (IEEE) of everything before the last ':'. The encoding is canonical:
 * the decoder accepts only what the encoder would write.
 */
#include "hist.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

struct pg_hist {
	int64_t lowest;
	int64_t highest;
	int sigfigs;
	int unit_mag; /* u: values are counted in units of 2^u */
	int sub_mag;  /* S: bucket 0 has 2^S slots */
	int64_t half; /* 2^(S-1): slots used in every other bucket */
	size_t len;   /* number of slots in counts */
	int64_t total;
	int64_t overflow;
	int64_t min;
	int64_t max;
	int64_t *counts;
};

/* Keeps every slot bound and midpoint computation inside int64_t. */
#define HIST_MAX_HIGHEST (INT64_MAX / 2)
#define HIST_MAGIC "PGH1:"
#define HIST_VARINT_MAX 10

static int bit_length(uint64_t x)
{
	return x ? 64 - __builtin_clzll(x) : 0;
}

/* Bucket of a scaled value x (value >> unit_mag). */
static int bucket_of(int sub_mag, uint64_t x)
{
	int b = bit_length(x) - sub_mag;

	return b < 0 ? 0 : b;
}

static size_t slot_of(const pg_hist *h, int64_t value)
{
	uint64_t x = (uint64_t)value >> h->unit_mag;
	int b = bucket_of(h->sub_mag, x);

	return (size_t)((uint64_t)b * (uint64_t)h->half + (x >> b));
}

static int slot_bucket(const pg_hist *h, size_t idx)
{
	int64_t i = (int64_t)idx;

	return i < 2 * h->half ? 0 : (int)(i / h->half - 1);
}

/* Smallest value that lands in slot idx. */
static int64_t slot_low(const pg_hist *h, size_t idx)
{
	int b = slot_bucket(h, idx);
	uint64_t sub = (uint64_t)idx - (uint64_t)b * (uint64_t)h->half;

	return (int64_t)((sub << b) << h->unit_mag);
}

/* The slot's "median equivalent": its low bound plus half its width. */
static int64_t slot_mid(const pg_hist *h, size_t idx)
{
	int shift = slot_bucket(h, idx) + h->unit_mag;

	return slot_low(h, idx) + ((INT64_C(1) << shift) >> 1);
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* Validates a config and derives its layout; sets a message on failure. */
static int hist_layout(int64_t lowest, int64_t highest, int sigfigs, int *unit_mag, int *sub_mag,
		       size_t *len)
{
	int64_t target = 2;
	int s = 0, u, i;
	uint64_t buckets;

	if (sigfigs < 1 || sigfigs > 5) {
		pg_error_set("histogram sigfigs must be 1..5, got %d", sigfigs);
		return PG_EINVAL;
	}
	if (lowest < 1) {
		pg_error_set("histogram lowest value must be >= 1, got %" PRId64, lowest);
		return PG_EINVAL;
	}
	if (highest > HIST_MAX_HIGHEST || lowest > highest / 2) {
		pg_error_set("histogram range %" PRId64 "..%" PRId64
			     " is invalid (need highest >= 2 * lowest and highest <= %" PRId64 ")",
			     lowest, highest, (int64_t)HIST_MAX_HIGHEST);
		return PG_EINVAL;
	}
	for (i = 0; i < sigfigs; i++)
		target *= 10;
	while ((INT64_C(1) << s) < target)
		s++;
	u = bit_length((uint64_t)lowest) - 1;
	if (u + s > 62) {
		pg_error_set("histogram lowest value %" PRId64 " is too large for %d sigfigs",
			     lowest, sigfigs);
		return PG_EINVAL;
	}
	buckets = (uint64_t)bucket_of(s, (uint64_t)highest >> u) + 1;
	*unit_mag = u;
	*sub_mag = s;
	*len = (size_t)((buckets + 1) << (s - 1));
	return 0;
}

/* Creates an empty histogram; lowest >= 1, highest >= 2 * lowest, sigfigs
 * 1..5. The caller frees it with pg_hist_free. */
int pg_hist_new(pg_hist **out, int64_t lowest, int64_t highest, int sigfigs)
{
	pg_hist *h = NULL;
	int u, s, rc;
	size_t len;

	if (!out) {
		pg_error_set("pg_hist_new: out is NULL");
		return PG_EINVAL;
	}
	*out = NULL;
	rc = hist_layout(lowest, highest, sigfigs, &u, &s, &len);
	if (rc < 0)
		goto done;
	h = calloc(1, sizeof(*h));
	if (h)
		h->counts = calloc(len, sizeof(*h->counts));
	if (!h || !h->counts) {
		pg_error_set("out of memory allocating a histogram of %zu slots", len);
		rc = PG_ENOMEM;
		goto done;
	}
	h->lowest = lowest;
	h->highest = highest;
	h->sigfigs = sigfigs;
	h->unit_mag = u;
	h->sub_mag = s;
	h->half = INT64_C(1) << (s - 1);
	h->len = len;
	*out = h;
	h = NULL;
done:
	pg_hist_free(h);
	return rc;
}

/* The latency histogram: 1 ns .. 1 hour, 3 significant digits. The caller
 * frees it with pg_hist_free. */
int pg_hist_new_latency(pg_hist **out)
{
	return pg_hist_new(out, 1, INT64_C(3600) * 1000000000, 3);
}

/* Frees h and its counts; NULL is a no-op. */
void pg_hist_free(pg_hist *h)
{
	if (!h)
		return;
	free(h->counts);
	free(h);
}

/* Deep copy of h; the caller frees *out with pg_hist_free. */
int pg_hist_clone(pg_hist **out, const pg_hist *h)
{
	pg_hist *c = NULL;
	int rc;

	if (!out || !h) {
		pg_error_set("pg_hist_clone: NULL argument");
		return PG_EINVAL;
	}
	rc = pg_hist_new(&c, h->lowest, h->highest, h->sigfigs);
	if (rc < 0)
		return rc;
	memcpy(c->counts, h->counts, h->len * sizeof(*h->counts));
	c->total = h->total;
	c->overflow = h->overflow;
	c->min = h->min;
	c->max = h->max;
	*out = c;
	return 0;
}

/* Empties h, keeping its config and memory. */
void pg_hist_reset(pg_hist *h)
{
	if (!h)
		return;
	memset(h->counts, 0, h->len * sizeof(*h->counts));
	h->total = 0;
	h->overflow = 0;
	h->min = 0;
	h->max = 0;
}

/* Records one value. */
int pg_hist_record(pg_hist *h, int64_t value)
{
	return pg_hist_record_n(h, value, 1);
}

/* Records value count times; values above highest are clamped to it and
 * counted as overflow. Never allocates. */
int pg_hist_record_n(pg_hist *h, int64_t value, int64_t count)
{
	if (!h) {
		pg_error_set("pg_hist_record: histogram is NULL");
		return PG_EINVAL;
	}
	if (value < 0) {
		pg_error_set("cannot record negative value %" PRId64 " in a histogram", value);
		return PG_EINVAL;
	}
	if (count < 0) {
		pg_error_set("cannot record a value a negative number of times (%" PRId64 ")",
			     count);
		return PG_EINVAL;
	}
	if (count == 0)
		return 0;
	if (count > INT64_MAX - h->total) {
		pg_error_set("histogram count would overflow");
		return PG_ERANGE;
	}
	if (value > h->highest) {
		value = h->highest;
		h->overflow += count;
	}
	h->counts[slot_of(h, value)] += count;
	if (h->total == 0 || value < h->min)
		h->min = value;
	if (h->total == 0 || value > h->max)
		h->max = value;
	h->total += count;
	return 0;
}

/* Adds every count of src into dst; configs must match. */
int pg_hist_merge(pg_hist *dst, const pg_hist *src)
{
	size_t i, end;

	if (!dst || !src) {
		pg_error_set("pg_hist_merge: NULL argument");
		return PG_EINVAL;
	}
	if (dst->lowest != src->lowest || dst->highest != src->highest ||
	    dst->sigfigs != src->sigfigs) {
		pg_error_set("cannot merge histograms with different configs "
			     "(%" PRId64 "..%" PRId64 " at %d digits vs %" PRId64 "..%" PRId64
			     " at %d digits)",
			     dst->lowest, dst->highest, dst->sigfigs, src->lowest, src->highest,
			     src->sigfigs);
		return PG_EINVAL;
	}
	if (src->total == 0)
		return 0;
	if (src->total > INT64_MAX - dst->total) {
		pg_error_set("histogram count would overflow");
		return PG_ERANGE;
	}
	/* every slot is <= its total, so no slot can overflow either; only
	 * src's slots from min to max can be non-zero */
	end = slot_of(src, src->max);
	for (i = slot_of(src, src->min); i <= end; i++)
		dst->counts[i] += src->counts[i];
	if (dst->total == 0 || src->min < dst->min)
		dst->min = src->min;
	if (dst->total == 0 || src->max > dst->max)
		dst->max = src->max;
	dst->total += src->total;
	dst->overflow += src->overflow;
	return 0;
}

int64_t pg_hist_count(const pg_hist *h)
{
	return h ? h->total : 0;
}

int64_t pg_hist_overflow(const pg_hist *h)
{
	return h ? h->overflow : 0;
}

int64_t pg_hist_min(const pg_hist *h)
{
	return h ? h->min : 0;
}

int64_t pg_hist_max(const pg_hist *h)
{
	return h ? h->max : 0;
}

/* Mean of the slot midpoints (each clamped to [min, max]), 0 when empty. */
double pg_hist_mean(const pg_hist *h)
{
	double sum = 0;
	size_t i, end;

	if (!h || h->total == 0)
		return 0;
	end = slot_of(h, h->max);
	for (i = slot_of(h, h->min); i <= end; i++) {
		if (h->counts[i])
			sum +=
			    (double)h->counts[i] * (double)clamp64(slot_mid(h, i), h->min, h->max);
	}
	return sum / (double)h->total;
}

/* Population standard deviation of the slot midpoints, 0 when empty. */
double pg_hist_stddev(const pg_hist *h)
{
	double mean, sum = 0, d;
	size_t i, end;

	if (!h || h->total == 0)
		return 0;
	mean = pg_hist_mean(h);
	end = slot_of(h, h->max);
	for (i = slot_of(h, h->min); i <= end; i++) {
		if (h->counts[i]) {
			d = (double)clamp64(slot_mid(h, i), h->min, h->max) - mean;
			sum += (double)h->counts[i] * d * d;
		}
	}
	return sqrt(sum / (double)h->total);
}

/* Nearest rank ceil(q * count), at least 1. A product that is an integer
 * up to rounding error (0.07 * 100 = 7.000000000000001) counts as that
 * integer. */
static int64_t nearest_rank(double q, int64_t total)
{
	double r = q * (double)total, n = nearbyint(r);
	int64_t rank;

	if (fabs(r - n) <= 4 * 2.220446049250313e-16 * (n > 1 ? n : 1))
		r = n;
	r = ceil(r);
	if (r < 1)
		return 1;
	if (r >= (double)total)
		return total;
	rank = (int64_t)r;
	return rank < 1 ? 1 : rank;
}

/* Nearest-rank quantile as the slot midpoint clamped to [min, max]; the
 * first and last ranks are min and max exactly. 0 when empty. */
int64_t pg_hist_quantile(const pg_hist *h, double q)
{
	int64_t rank, seen = 0;
	size_t i;

	if (!h || h->total == 0)
		return 0;
	if (!(q > 0)) /* also NaN */
		q = 0;
	if (q > 1)
		q = 1;
	rank = nearest_rank(q, h->total);
	if (rank <= 1)
		return h->min;
	if (rank >= h->total)
		return h->max;
	for (i = slot_of(h, h->min); i < h->len; i++) {
		seen += h->counts[i];
		if (seen >= rank)
			return clamp64(slot_mid(h, i), h->min, h->max);
	}
	return h->max;
}

/* ---- encoding ---- */

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static uint32_t crc32_ieee(const char *s, size_t n)
{
	uint32_t c = 0xFFFFFFFFu;
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		c ^= (unsigned char)s[i];
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
	}
	return ~c;
}

static uint64_t zigzag(int64_t n)
{
	return n >= 0 ? (uint64_t)n << 1 : (((uint64_t)(-(n + 1))) << 1) | 1u;
}

static int64_t unzigzag(uint64_t z)
{
	return (z & 1u) ? -(int64_t)(z >> 1) - 1 : (int64_t)(z >> 1);
}

static size_t put_varint(unsigned char *buf, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		buf[n++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	buf[n++] = (unsigned char)v;
	return n;
}

/* Writes base64url of in[0..n) (no padding, NUL-terminated) into out. */
static size_t put_b64url(char *out, const unsigned char *in, size_t n)
{
	size_t i, o = 0;
	uint32_t v;

	for (i = 0; i + 3 <= n; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = b64url[v >> 18];
		out[o++] = b64url[(v >> 12) & 63];
		out[o++] = b64url[(v >> 6) & 63];
		out[o++] = b64url[v & 63];
	}
	if (n - i == 1) {
		v = (uint32_t)in[i] << 16;
		out[o++] = b64url[v >> 18];
		out[o++] = b64url[(v >> 12) & 63];
	} else if (n - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = b64url[v >> 18];
		out[o++] = b64url[(v >> 12) & 63];
		out[o++] = b64url[(v >> 6) & 63];
	}
	out[o] = '\0';
	return o;
}

/* Serializes h; *out is malloc'd and owned by the caller. */
int pg_hist_encode(const pg_hist *h, char **out)
{
	unsigned char *body = NULL;
	char *text = NULL, head[200];
	size_t end = 0, i, j, nbody = 0, hlen, cap;
	int rc = 0, n;

	if (!out || !h) {
		pg_error_set("pg_hist_encode: NULL argument");
		return PG_EINVAL;
	}
	*out = NULL;
	if (h->total > 0)
		end = slot_of(h, h->max) + 1;
	body = malloc(end * HIST_VARINT_MAX + 1);
	if (!body) {
		pg_error_set("out of memory encoding a histogram");
		rc = PG_ENOMEM;
		goto done;
	}
	for (i = 0; i < end; i = j) {
		if (h->counts[i]) {
			nbody += put_varint(body + nbody, zigzag(h->counts[i]));
			j = i + 1;
			continue;
		}
		for (j = i; h->counts[j] == 0; j++)
			;
		nbody += put_varint(body + nbody, zigzag(-(int64_t)(j - i)));
	}
	n = snprintf(head, sizeof(head),
		     HIST_MAGIC "%" PRId64 ":%" PRId64 ":%d:%" PRId64 ":%" PRId64 ":%" PRId64
				":%" PRId64 ":",
		     h->lowest, h->highest, h->sigfigs, h->total, h->min, h->max, h->overflow);
	if (n < 0 || (size_t)n >= sizeof(head)) {
		pg_error_set("histogram header does not fit");
		rc = PG_ERROR;
		goto done;
	}
	hlen = (size_t)n;
	cap = hlen + (nbody + 2) / 3 * 4 + 1 + 8 + 1;
	text = malloc(cap);
	if (!text) {
		pg_error_set("out of memory encoding a histogram");
		rc = PG_ENOMEM;
		goto done;
	}
	memcpy(text, head, hlen);
	hlen += put_b64url(text + hlen, body, nbody);
	snprintf(text + hlen, cap - hlen, ":%08" PRIx32, crc32_ieee(text, hlen));
	*out = text;
	text = NULL;
done:
	free(body);
	free(text);
	return rc;
}

static int corrupt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Sets "corrupt histogram encoding: <message>" and returns PG_EPARSE. */
static int corrupt(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pg_error_set("corrupt histogram encoding: %s", msg);
	return PG_EPARSE;
}

/* Parses a canonical non-negative decimal (no sign, no leading zeros)
 * ending at ':' and moves *p past the ':'. */
static int parse_field(const char **p, const char *name, int64_t *out)
{
	const char *s = *p;
	int64_t v = 0;
	size_t n = 0;

	while (s[n] >= '0' && s[n] <= '9') {
		int d = s[n] - '0';

		if (v > (INT64_MAX - d) / 10)
			return corrupt("field '%s' is out of range", name);
		v = v * 10 + d;
		n++;
	}
	if (n == 0)
		return corrupt("field '%s' is not a number", name);
	if (n > 1 && s[0] == '0')
		return corrupt("field '%s' has a leading zero", name);
	if (s[n] != ':')
		return corrupt("field '%s' is not followed by ':'", name);
	*p = s + n + 1;
	*out = v;
	return 0;
}

static int b64url_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/* Decodes canonical unpadded base64url s[0..n) into out (room for
 * n * 3 / 4 bytes); *outlen gets the byte count. */
static int get_b64url(unsigned char *out, size_t *outlen, const char *s, size_t n)
{
	size_t i, o = 0, k;
	uint32_t acc = 0;
	int v;

	if (n % 4 == 1)
		return corrupt("body has an impossible base64 length %zu", n);
	for (i = 0; i < n; i++) {
		v = b64url_value(s[i]);
		if (v < 0)
			return corrupt("body has a non-base64url character at offset %zu", i);
		acc = acc << 6 | (uint32_t)v;
		k = i % 4;
		if (k == 1)
			out[o++] = (unsigned char)(acc >> 4);
		else if (k == 2)
			out[o++] = (unsigned char)(acc >> 2);
		else if (k == 3)
			out[o++] = (unsigned char)acc;
	}
	/* bits past the last whole byte must be zero */
	if ((n % 4 == 2 && (acc & 0xF)) || (n % 4 == 3 && (acc & 0x3)))
		return corrupt("body has non-zero padding bits");
	*outlen = o;
	return 0;
}

/* Reads one minimal LEB128 varint from buf[*pos..n). */
static int get_varint(const unsigned char *buf, size_t n, size_t *pos, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = *pos, k;
	unsigned char b;

	for (k = 0; k < HIST_VARINT_MAX; k++) {
		if (i >= n)
			return corrupt("body ends inside a number");
		b = buf[i++];
		if (k == HIST_VARINT_MAX - 1 && b > 1)
			return corrupt("body has a number larger than 64 bits");
		v |= (uint64_t)(b & 0x7F) << (7 * k);
		if (!(b & 0x80)) {
			if (b == 0 && k > 0)
				return corrupt("body has a non-minimal number");
			*pos = i;
			*out = v;
			return 0;
		}
	}
	return corrupt("body has a number larger than 64 bits");
}

/* Fills h->counts from the varint body and checks it is canonical; sums
 * the counts into *sum. */
static int decode_counts(pg_hist *h, const unsigned char *body, size_t n, int64_t *sum)
{
	size_t pos = 0, idx = 0;
	uint64_t z = 0;
	int64_t v, total = 0;
	int rc, prev_run = 0;

	while (pos < n) {
		rc = get_varint(body, n, &pos, &z);
		if (rc < 0)
			return rc;
		v = unzigzag(z);
		if (v == 0)
			return corrupt("body has an explicit zero count");
		if (idx >= h->len)
			return corrupt("body has more slots than the histogram (%zu)", h->len);
		if (v < 0) {
			if (prev_run)
				return corrupt("body has two empty runs in a row");
			/* compared without negating v, which may be INT64_MIN */
			if (v < -(int64_t)(h->len - idx))
				return corrupt("empty run goes past the last slot (%zu)", h->len);
			idx += (size_t)(-v);
			prev_run = 1;
			continue;
		}
		if (v > INT64_MAX - total)
			return corrupt("counts overflow");
		h->counts[idx++] = v;
		total += v;
		prev_run = 0;
	}
	if (prev_run)
		return corrupt("body ends with an empty run");
	*sum = total;
	return 0;
}

/* Checks count, min, max and overflow against the decoded counts. */
static int check_summary(const pg_hist *h)
{
	size_t first = h->len, last = 0, i;

	if (h->total == 0) {
		if (h->min || h->max || h->overflow)
			return corrupt("empty histogram has a non-zero min, max or overflow");
		return 0;
	}
	for (i = 0; i < h->len; i++) {
		if (h->counts[i]) {
			if (first == h->len)
				first = i;
			last = i;
		}
	}
	if (h->min > h->max || h->max > h->highest)
		return corrupt("min %" PRId64 " and max %" PRId64 " are out of order or range",
			       h->min, h->max);
	if (slot_of(h, h->min) != first || slot_of(h, h->max) != last)
		return corrupt("min or max does not match the counts");
	if (h->total == 1 && h->min != h->max)
		return corrupt("a single value has min != max");
	if (h->overflow > 0 &&
	    (h->max != h->highest || h->overflow > h->counts[slot_of(h, h->highest)]))
		return corrupt("overflow count does not match the counts");
	return 0;
}

/* Parses pg_hist_encode's output; the caller frees *out with pg_hist_free. */
int pg_hist_decode(pg_hist **out, const char *text)
{
	static const char *const names[] = {"lowest", "highest", "sigfigs", "count",
					    "min",    "max",	 "overflow"};
	int64_t f[7], sum = 0;
	pg_hist *h = NULL;
	unsigned char *body = NULL;
	const char *p, *b64, *crc_at;
	size_t nb64, nbody = 0, maxb64, i;
	uint32_t crc = 0;
	int rc = 0;

	if (!out || !text) {
		pg_error_set("pg_hist_decode: NULL argument");
		return PG_EINVAL;
	}
	*out = NULL;
	if (strncmp(text, HIST_MAGIC, strlen(HIST_MAGIC)) != 0)
		return corrupt("missing '" HIST_MAGIC "' prefix");
	p = text + strlen(HIST_MAGIC);
	for (i = 0; i < 7; i++) {
		rc = parse_field(&p, names[i], &f[i]);
		if (rc < 0)
			return rc;
	}
	if (f[2] > 5) /* keep the int conversion below in range */
		return corrupt("sigfigs %" PRId64 " is out of range", f[2]);
	b64 = p;
	while (*p && *p != ':')
		p++;
	if (*p != ':')
		return corrupt("missing checksum");
	nb64 = (size_t)(p - b64);
	crc_at = p + 1;
	for (i = 0; i < 8; i++) {
		char c = crc_at[i];
		int v;

		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else
			return corrupt("checksum is not 8 lowercase hex digits");
		crc = crc << 4 | (uint32_t)v;
	}
	if (crc_at[8] != '\0')
		return corrupt("trailing characters after the checksum");

	rc = pg_hist_new(&h, f[0], f[1], (int)f[2]);
	if (rc < 0) {
		if (rc == PG_ENOMEM)
			goto done;
		rc = PG_EPARSE;
		pg_error_prefix("corrupt histogram encoding");
		goto done;
	}
	/* a count or run takes at most 10 bytes and there are at most len of them */
	maxb64 = (h->len * HIST_VARINT_MAX + 2) / 3 * 4;
	if (nb64 > maxb64) {
		rc = corrupt("body is longer than any histogram of this size");
		goto done;
	}
	body = malloc(nb64 / 4 * 3 + 3);
	if (!body) {
		pg_error_set("out of memory decoding a histogram");
		rc = PG_ENOMEM;
		goto done;
	}
	rc = get_b64url(body, &nbody, b64, nb64);
	if (rc < 0)
		goto done;
	rc = decode_counts(h, body, nbody, &sum);
	if (rc < 0)
		goto done;
	if (sum != f[3]) {
		rc = corrupt("counts add up to %" PRId64 ", header says %" PRId64, sum, f[3]);
		goto done;
	}
	h->total = f[3];
	h->min = f[4];
	h->max = f[5];
	h->overflow = f[6];
	rc = check_summary(h);
	if (rc < 0)
		goto done;
	/* checked last so corrupt input still exercises every check above */
	if (crc32_ieee(text, (size_t)(p - text)) != crc) {
		rc = corrupt("checksum mismatch");
		goto done;
	}
	*out = h;
	h = NULL;
done:
	free(body);
	pg_hist_free(h);
	return rc;
}
