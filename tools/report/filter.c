/* Filters and RFC 3339 times (see filter.h). */
#include "filter.h"

#include <stdio.h>
#include <string.h>

static bool digits(const char *p, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		*v = *v * 10 + (p[i] - '0');
	}
	return true;
}

/* Days from 1970-01-01 to Y-M-D of the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ? 29 : days[m - 1];
}

bool rfc3339_parse(const char *s, size_t n, bool date_ok, int64_t *us)
{
	const char *p = s, *end = s + n;
	int y, mo, d, h = 0, mi = 0, sec = 0, oh, om;
	int64_t frac = 0, off = 0;

	if (n < 10 || !digits(p, 4, &y) || p[4] != '-' || !digits(p + 5, 2, &mo) || p[7] != '-' ||
	    !digits(p + 8, 2, &d) || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return false;
	p += 10;
	if (p == end) {
		if (!date_ok)
			return false;
		goto done;
	}
	if (!(*p == 'T' || *p == 't' || (date_ok && *p == ' ')))
		return false;
	p++;
	if (end - p < 5 || !digits(p, 2, &h) || p[2] != ':' || !digits(p + 3, 2, &mi) || h > 23 || mi > 59)
		return false;
	p += 5;
	if (p < end && *p == ':') {
		if (end - p < 3 || !digits(p + 1, 2, &sec) || sec > 60)
			return false;
		p += 3;
		if (p < end && *p == '.') {
			int64_t scale = 100000;

			if (++p == end || *p < '0' || *p > '9')
				return false;
			for (; p < end && *p >= '0' && *p <= '9'; p++) {
				frac += (*p - '0') * scale;
				scale /= 10;
			}
		}
	} else if (!date_ok) {
		return false;
	}
	if (p == end) {
		if (!date_ok)
			return false;
	} else if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		if (end - p < 6 || !digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) || oh > 23 ||
		    om > 59)
			return false;
		off = (oh * 60 + om) * 60 * (*p == '+' ? 1 : -1);
		p += 6;
	} else {
		return false;
	}
	if (p != end)
		return false;
done:
	*us = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) - off) * 1000000 + frac;
	return true;
}

void rfc3339_format(int64_t us, char *buf)
{
	int64_t secs = us >= 0 ? us / 1000000 : (us - 999999) / 1000000;
	int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
	int64_t rem = secs - days * 86400, z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
	int64_t y = yoe + era * 400 + (m <= 2);

	snprintf(buf, RFC3339_MAX, "%04lld-%02u-%02uT%02u:%02u:%02u.%06uZ", (long long)y, (unsigned)m % 100,
		 (unsigned)d % 100, (unsigned)(rem / 3600) % 100, (unsigned)(rem / 60 % 60) % 100,
		 (unsigned)(rem % 60) % 100, (unsigned)(us - secs * 1000000) % 1000000);
}

bool filter_any(const struct filter *f)
{
	return f->since_set || f->until_set || f->nevents || f->nprogs || f->nhosts;
}

static bool in_list(char **list, size_t n, const char *s, size_t len)
{
	if (!n)
		return true;
	if (!s)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strlen(list[i]) == len && memcmp(list[i], s, len) == 0)
			return true;
	return false;
}

bool filter_match(const struct filter *f, const char *event, size_t event_len, const char *prog,
		  size_t prog_len, const char *host, size_t host_len, bool have_ts, int64_t ts)
{
	if ((f->since_set || f->until_set) && !have_ts)
		return false;
	if (f->since_set && ts < f->since)
		return false;
	if (f->until_set && ts >= f->until)
		return false;
	return in_list(f->events, f->nevents, event, event_len) && in_list(f->progs, f->nprogs, prog, prog_len) &&
	       in_list(f->hosts, f->nhosts, host, host_len);
}
