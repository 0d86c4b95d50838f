/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/num.h"

static void test_accepts_plain_decimals(void **state)
{
	int64_t v = 0;
	(void)state;
	assert_int_equal(vp_parse_int64("0", 0, 10, "n", &v, NULL), VP_OK);
	assert_int_equal(v, 0);
	assert_int_equal(vp_parse_int64("16383", 0, 16383, "n", &v, NULL), VP_OK);
	assert_int_equal(v, 16383);
	assert_int_equal(vp_parse_int64("-7", -10, 10, "n", &v, NULL), VP_OK);
	assert_int_equal(v, -7);
}

static void test_refuses_junk_with_its_own_message(void **state)
{
	struct vp_error err;
	int64_t v = 42;
	const char *bad[] = {"", "-", "+1", " 1", "1 ", "1x", "0x10", "1e3", "--1"};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(vp_parse_int64(bad[i], -100, 100, "count", &v, &err),
				 VP_ERR_INVALID);
		assert_non_null(strstr(err.message, "count"));
		assert_non_null(strstr(err.message, "not a number"));
	}
	assert_int_equal(v, 42); /* untouched on failure */
}

static void test_range_is_checked(void **state)
{
	struct vp_error err;
	int64_t v = 42;
	(void)state;
	assert_int_equal(vp_parse_int64("11", 0, 10, "n", &v, &err), VP_ERR_RANGE);
	assert_non_null(strstr(err.message, "0..10"));
	assert_int_equal(vp_parse_int64("99999999999999999999", 0, 10, "n", &v, &err),
			 VP_ERR_RANGE);
	assert_int_equal(vp_parse_int64("-1", 0, 10, "n", &v, &err), VP_ERR_RANGE);
	assert_int_equal(v, 42);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts_plain_decimals),
		cmocka_unit_test(test_refuses_junk_with_its_own_message),
		cmocka_unit_test(test_range_is_checked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
