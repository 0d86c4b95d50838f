/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/clock.h"

static void test_monotonic_never_goes_back_and_sleep_waits(void **state)
{
	int64_t a, b;
	(void)state;
	a = vp_clock_monotonic_ms();
	vp_clock_sleep_ms(20);
	b = vp_clock_monotonic_ms();
	assert_true(b - a >= 20);
	vp_clock_sleep_ms(0);
	vp_clock_sleep_ms(-5); /* no wait, no crash */
}

static void test_deadline_carries_nanoseconds(void **state)
{
	struct timespec now, d;
	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &now);
	d = vp_clock_deadline(CLOCK_MONOTONIC, 1999);
	assert_true(d.tv_nsec >= 0 && d.tv_nsec < 1000000000L);
	assert_true(d.tv_sec >= now.tv_sec + 1 && d.tv_sec <= now.tv_sec + 3);
	d = vp_clock_deadline(CLOCK_REALTIME, -10); /* the past counts as now */
	assert_true(d.tv_nsec >= 0 && d.tv_nsec < 1000000000L);
}

static void test_iso8601(void **state)
{
	struct vp_error err;
	int64_t t = 7;
	(void)state;
	assert_int_equal(vp_clock_parse_iso8601("2015-08-30T12:36:00Z", &t, NULL), VP_OK);
	assert_int_equal(t, 1440938160);
	assert_int_equal(vp_clock_parse_iso8601("2015-08-30T12:36:00.123+00:00", &t, NULL), VP_OK);
	assert_int_equal(t, 1440938160);
	assert_int_equal(vp_clock_parse_iso8601("2015-08-30T12:36:00", &t, NULL), VP_OK);
	t = 7;
	assert_int_equal(vp_clock_parse_iso8601("2015-08-30T12:36:00+02:00", &t, &err),
			 VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "UTC"));
	assert_int_equal(vp_clock_parse_iso8601("yesterday", &t, &err), VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "yesterday"));
	assert_int_equal(vp_clock_parse_iso8601(NULL, &t, &err), VP_ERR_INVALID);
	assert_int_equal(t, 7);
}

static void test_amz_date(void **state)
{
	int64_t t = 7;
	const char *bad[] = {
		"20150830T123600",  "20150830 123600Z", "20150230T123600Z", "20151330T123600Z",
		"20150830T243600Z", "2015083T1236000Z", "19690830T123600Z", "",
		"20150830T12360aZ"};
	(void)state;
	assert_true(vp_clock_parse_amz_date("20150830T123600Z", &t));
	assert_int_equal(t, 1440938160);
	assert_true(vp_clock_parse_amz_date("20240229T000000Z", &t)); /* a leap day */
	t = 7;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(vp_clock_parse_amz_date(bad[i], &t));
	assert_false(vp_clock_parse_amz_date("20230229T000000Z", &t)); /* not a leap year */
	assert_false(vp_clock_parse_amz_date(NULL, &t));
	assert_int_equal(t, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_monotonic_never_goes_back_and_sleep_waits),
		cmocka_unit_test(test_deadline_carries_nanoseconds),
		cmocka_unit_test(test_iso8601),
		cmocka_unit_test(test_amz_date),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
