/* SPDX-License-Identifier: Apache-2.0 */
/* Standard retry mode: what is retried, backoff bounds, the retry quota. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "aws/retry.h"

static void test_classification(void **state)
{
	bool throttling = false;
	(void)state;

	assert_true(vp_aws_retry_should_retry(false, 400, "Throttling", &throttling));
	assert_true(throttling);
	assert_true(vp_aws_retry_should_retry(false, 503, "RequestLimitExceeded", &throttling));
	assert_true(throttling);
	assert_true(vp_aws_retry_should_retry(false, 400, "RequestTimeout", &throttling));
	assert_false(throttling);
	assert_true(vp_aws_retry_should_retry(false, 400, "IDPCommunicationError", NULL));
	assert_true(vp_aws_retry_should_retry(false, 400, "PriorRequestNotComplete", NULL));
	for (long s = 500; s <= 504; s++)
		assert_int_equal(vp_aws_retry_should_retry(false, s, "", NULL), s != 501);
	assert_true(vp_aws_retry_should_retry(true, 0, "", NULL)); /* connection errors */
	assert_false(vp_aws_retry_should_retry(false, 409, "LimitExceeded", NULL));
	assert_false(vp_aws_retry_should_retry(false, 400, "RouteAlreadyExists", NULL));
	assert_false(vp_aws_retry_should_retry(false, 404, "NoSuchEntity", NULL));
	assert_false(vp_aws_retry_should_retry(false, 403, "SignatureDoesNotMatch", NULL));
	assert_false(vp_aws_retry_should_retry(false, 400, NULL, NULL));
}

static void test_backoff_is_full_jitter_capped(void **state)
{
	(void)state;
	/* the ceiling doubles from the base and stops at the cap */
	assert_float_equal(vp_aws_retry_delay(1, 1.0, 20.0, 0.999999), 0.999999, 1e-9);
	assert_float_equal(vp_aws_retry_delay(2, 1.0, 20.0, 0.5), 1.0, 1e-9);
	assert_float_equal(vp_aws_retry_delay(5, 1.0, 20.0, 0.999), 15.984, 1e-9);
	assert_float_equal(vp_aws_retry_delay(6, 1.0, 20.0, 0.999), 19.98, 1e-9);
	assert_float_equal(vp_aws_retry_delay(60, 1.0, 20.0, 0.5), 10.0, 1e-9);
	assert_float_equal(vp_aws_retry_delay(3, 1.0, 20.0, 0.0), 0.0, 1e-9);
	assert_float_equal(vp_aws_retry_delay(3, 0.01, 20.0, 0.5), 0.02, 1e-9);
	for (int i = 0; i < 1000; i++) {
		double r = vp_aws_random01();
		double d = vp_aws_retry_delay(1 + i % 10, 1.0, 20.0, r);
		assert_true(r >= 0.0 && r < 1.0);
		assert_true(d >= 0.0 && d < 20.0);
	}
}

static void test_quota(void **state)
{
	struct vp_aws_retry_quota q;
	int retries = 0;
	(void)state;

	vp_aws_retry_quota_init(&q, VP_AWS_RETRY_QUOTA_CAPACITY);
	while (vp_aws_retry_quota_acquire(&q, VP_AWS_RETRY_COST))
		retries++;
	assert_int_equal(retries, 100); /* 500 / 5 */
	assert_false(vp_aws_retry_quota_acquire(&q, 1));
	vp_aws_retry_quota_release(&q, VP_AWS_RETRY_TIMEOUT_COST);
	assert_true(vp_aws_retry_quota_acquire(&q, VP_AWS_RETRY_TIMEOUT_COST));
	assert_false(vp_aws_retry_quota_acquire(&q, VP_AWS_RETRY_COST));
	for (int i = 0; i < 1000; i++)
		vp_aws_retry_quota_release(&q, VP_AWS_RETRY_NO_RETRY_INCREMENT);
	assert_int_equal(vp_aws_retry_quota_available(&q), 500); /* never above the capacity */
	vp_aws_retry_quota_cleanup(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classification),
		cmocka_unit_test(test_backoff_is_full_jitter_capped),
		cmocka_unit_test(test_quota),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
