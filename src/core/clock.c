/* SPDX-License-Identifier: Apache-2.0 */
#include "core/clock.h"

#include <errno.h>
#include <string.h>

int64_t vp_clock_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void vp_clock_sleep_ms(int64_t ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

struct timespec vp_clock_deadline(clockid_t clock, int64_t ms)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	if (ms < 0)
		ms = 0;
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

vp_code vp_clock_parse_iso8601(const char *s, int64_t *out, struct vp_error *err)
{
	struct tm tm;
	const char *rest;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	rest = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	if (!rest)
		return vp_fail(err, VP_ERR_INVALID, "'%.64s' is not an ISO 8601 time", s ? s : "");
	if (*rest == '.') {
		rest++;
		while (*rest >= '0' && *rest <= '9')
			rest++;
	}
	if (strcmp(rest, "Z") != 0 && strcmp(rest, "+00:00") != 0 && strcmp(rest, "+0000") != 0 &&
	    *rest != '\0')
		return vp_fail(err, VP_ERR_INVALID, "'%.64s' is not a UTC ISO 8601 time", s);
	t = timegm(&tm);
	if (t == (time_t)-1)
		return vp_fail(err, VP_ERR_INVALID, "'%.64s' is out of range", s);
	*out = (int64_t)t;
	return VP_OK;
}

bool vp_clock_parse_amz_date(const char *s, int64_t *out)
{
	static const int widths[6] = {4, 2, 2, 2, 2, 2};
	static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int v[6] = {0};
	struct tm tm;
	const char *c = s;
	time_t t;

	if (!s || strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z')
		return false;
	for (int f = 0; f < 6; f++) {
		if (f == 3)
			c++; /* 'T' */
		for (int i = 0; i < widths[f]; i++, c++) {
			if (*c < '0' || *c > '9')
				return false;
			v[f] = v[f] * 10 + (*c - '0');
		}
	}
	if (v[0] < 1970 || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > mdays[v[1] - 1] ||
	    v[3] > 23 || v[4] > 59 || v[5] > 60)
		return false;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = v[0] - 1900;
	tm.tm_mon = v[1] - 1;
	tm.tm_mday = v[2];
	tm.tm_hour = v[3];
	tm.tm_min = v[4];
	tm.tm_sec = v[5];
	t = timegm(&tm);
	/* timegm normalises 30 February into March: a changed day means no such date. */
	if (t == (time_t)-1 || tm.tm_mday != v[2])
		return false;
	*out = (int64_t)t;
	return true;
}
