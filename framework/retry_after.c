/*
 * Retry-After parsing; see retry_after.h. Hand-written scanners for the
 * three HTTP-date forms keep this free of locale and time-zone state
 * (strptime and timegm depend on both).
 */
#include "retry_after.h"

#include <string.h>

#include "error.h"

static const char *const month_names[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const char *const day_short[7] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
static const char *const day_long[7] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
					"Friday", "Saturday", "Sunday"};

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Consumes the literal s. */
static int take(const char **p, const char *s)
{
	size_t n = strlen(s);

	if (strncmp(*p, s, n) != 0)
		return 0;
	*p += n;
	return 1;
}

/* Consumes exactly n digits into *out. */
static int take_digits(const char **p, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (!is_digit((*p)[i]))
			return 0;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 1;
}

/* Consumes a three-letter month name (case-sensitive, as the grammar says)
 * into *out, 1..12. */
static int take_month(const char **p, int *out)
{
	int i;

	for (i = 0; i < 12; i++) {
		if (take(p, month_names[i])) {
			*out = i + 1;
			return 1;
		}
	}
	return 0;
}

/* Consumes "HH:MM:SS". */
static int take_time(const char **p, int *h, int *m, int *s)
{
	return take_digits(p, 2, h) && take(p, ":") && take_digits(p, 2, m) && take(p, ":") &&
	       take_digits(p, 2, s);
}

/* Whether the n letters at p name a day in names (7 entries). */
static int is_day_name(const char *p, size_t n, const char *const *names)
{
	int i;

	for (i = 0; i < 7; i++)
		if (strlen(names[i]) == n && strncmp(p, names[i], n) == 0)
			return 1;
	return 0;
}

static int is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Leap years in [1, y]. */
static int64_t leaps_through(int64_t y)
{
	return y / 4 - y / 100 + y / 400;
}

/* Seconds since the epoch of a UTC date and time (year >= 1970). */
static int64_t unix_seconds(int year, int month, int day, int h, int m, int s)
{
	static const int before_month[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
	int64_t days = (int64_t)365 * (year - 1970) + leaps_through(year - 1) - leaps_through(1969);

	days += before_month[month - 1] + (month > 2 && is_leap(year)) + (day - 1);
	return ((days * 24 + h) * 60 + m) * 60 + s;
}

int pg_retry_after_parse_date(int64_t *out_unix_s, const char *text)
{
	static const int month_days[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	const char *p = text;
	size_t name_len = 0;
	int year = 0, month = 0, day = 0, h = 0, m = 0, s = 0, ok;

	while (is_alpha(p[name_len]))
		name_len++;
	if (name_len == 3 && is_day_name(p, 3, day_short) && p[3] == ',') {
		/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
		p += 4;
		ok = take(&p, " ") && take_digits(&p, 2, &day) && take(&p, " ") &&
		     take_month(&p, &month) && take(&p, " ") && take_digits(&p, 4, &year) &&
		     take(&p, " ") && take_time(&p, &h, &m, &s) && take(&p, " GMT") && *p == '\0';
	} else if (name_len > 3 && is_day_name(p, name_len, day_long) && p[name_len] == ',') {
		/* obsolete RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"; a two-digit
		 * year below 70 is 20xx, else 19xx */
		p += name_len + 1;
		ok = take(&p, " ") && take_digits(&p, 2, &day) && take(&p, "-") &&
		     take_month(&p, &month) && take(&p, "-") && take_digits(&p, 2, &year) &&
		     take(&p, " ") && take_time(&p, &h, &m, &s) && take(&p, " GMT") && *p == '\0';
		year += year < 70 ? 2000 : 1900;
	} else if (name_len == 3 && is_day_name(p, 3, day_short) && p[3] == ' ') {
		/* asctime: "Sun Nov  6 08:49:37 1994" (day padded with a space) */
		p += 4;
		ok = take_month(&p, &month) && take(&p, " ");
		if (ok && *p == ' ') {
			p++;
			ok = take_digits(&p, 1, &day);
		} else if (ok) {
			ok = take_digits(&p, 2, &day);
		}
		ok = ok && take(&p, " ") && take_time(&p, &h, &m, &s) && take(&p, " ") &&
		     take_digits(&p, 4, &year) && *p == '\0';
	} else {
		ok = 0;
	}
	if (!ok || year < 1970 || day < 1 || day > month_days[month - 1] ||
	    (month == 2 && day == 29 && !is_leap(year)) || h > 23 || m > 59 || s > 60) {
		pg_error_set("'%.64s' is not an HTTP-date", text);
		return PG_EPARSE;
	}
	*out_unix_s = unix_seconds(year, month, day, h, m, s);
	return 0;
}

int pg_retry_after_parse(pg_ns *out_wait, const char *value, int64_t now_unix_ns)
{
	const pg_ns max_s = PG_RETRY_AFTER_MAX_NS / PG_NS_PER_S;
	char buf[64];
	size_t len;
	int64_t secs = 0, date_s;
	int rc;

	while (is_blank(*value))
		value++;
	len = strlen(value);
	while (len > 0 && is_blank(value[len - 1]))
		len--;
	if (len == 0 || len >= sizeof(buf)) {
		pg_error_set("Retry-After '%.64s' is neither delay-seconds nor an HTTP-date",
			     value);
		return PG_EPARSE;
	}
	memcpy(buf, value, len);
	buf[len] = '\0';
	if (is_digit(buf[0])) {
		size_t i;

		for (i = 0; i < len; i++) {
			if (!is_digit(buf[i])) {
				pg_error_set("Retry-After '%s' is not a whole number of seconds",
					     buf);
				return PG_EPARSE;
			}
			if (secs < max_s) /* saturates; digits past the cap change nothing */
				secs = secs * 10 + (buf[i] - '0');
		}
		*out_wait = (secs > max_s ? max_s : secs) * PG_NS_PER_S;
		return 0;
	}
	if ((rc = pg_retry_after_parse_date(&date_s, buf)) < 0) {
		pg_error_prefix("Retry-After");
		return rc;
	}
	if (date_s <= now_unix_ns / PG_NS_PER_S - 1)
		*out_wait = 0;
	else if (date_s - now_unix_ns / PG_NS_PER_S > max_s)
		*out_wait = PG_RETRY_AFTER_MAX_NS;
	else if ((*out_wait = date_s * PG_NS_PER_S - now_unix_ns) < 0)
		*out_wait = 0;
	return 0;
}
