/* SPDX-License-Identifier: Apache-2.0 */
/* The per-account token buckets of the HTTP server (api/ratelimit.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "api/ratelimit.h"

static void test_burst_then_refused(void **state)
{
	struct vp_ratelimit *rl = NULL;
	unsigned retry = 0;
	(void)state;
	/* one token per 1000 s: nothing refills while the test runs */
	assert_int_equal(vp_ratelimit_new(0.001, 2, &rl, NULL), VP_OK);
	assert_true(vp_ratelimit_take(rl, "222222222222", &retry));
	assert_true(vp_ratelimit_take(rl, "222222222222", &retry));
	assert_false(vp_ratelimit_take(rl, "222222222222", &retry));
	assert_in_range(retry, 990, 1000);
	/* another account has its own bucket */
	assert_true(vp_ratelimit_take(rl, "333333333333", &retry));
	vp_ratelimit_free(rl);
	vp_ratelimit_free(NULL);
}

static void test_retry_after_is_at_least_one_second(void **state)
{
	struct vp_ratelimit *rl = NULL;
	unsigned retry = 0;
	(void)state;
	assert_int_equal(vp_ratelimit_new(1000, 1, &rl, NULL), VP_OK);
	assert_true(vp_ratelimit_take(rl, "222222222222", &retry));
	if (!vp_ratelimit_take(rl, "222222222222", &retry))
		assert_int_equal(retry, 1);
	vp_ratelimit_free(rl);
}

static void test_more_accounts_than_slots(void **state)
{
	struct vp_ratelimit *rl = NULL;
	char account[13];
	unsigned retry = 0;
	(void)state;
	assert_int_equal(vp_ratelimit_new(0.001, 1, &rl, NULL), VP_OK);
	/* a new account always has a full bucket, even when the table must make room */
	for (unsigned i = 0; i < VP_RATELIMIT_SLOTS + VP_RATELIMIT_SLOTS / 4; i++) {
		snprintf(account, sizeof(account), "%012u", i);
		assert_true(vp_ratelimit_take(rl, account, &retry));
	}
	/* the last one is still tracked: its bucket is empty */
	assert_false(vp_ratelimit_take(rl, account, &retry));
	vp_ratelimit_free(rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_refused),
		cmocka_unit_test(test_retry_after_is_at_least_one_second),
		cmocka_unit_test(test_more_accounts_than_slots),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
