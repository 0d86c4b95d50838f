/* SPDX-License-Identifier: Apache-2.0 */
/* AWS error documents in both formats, and what they map to. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <libxml/parser.h>

#include "aws/error.h"

static void test_iam_sts_format(void **state)
{
	static const char body[] =
		"<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">"
		"<Error><Type>Sender</Type><Code>NoSuchEntity</Code>"
		"<Message>The role with name foo cannot be found.</Message></Error>"
		"<RequestId>4a93ceee-9966-11e1-b624-b1aEXAMPLE7c</RequestId></ErrorResponse>";
	struct vp_aws_error e;
	(void)state;

	vp_aws_error_clear(&e);
	assert_int_equal(vp_aws_error_parse(404, body, strlen(body), &e), VP_OK);
	assert_string_equal(e.code, "NoSuchEntity");
	assert_string_equal(e.message, "The role with name foo cannot be found.");
	assert_string_equal(e.request_id, "4a93ceee-9966-11e1-b624-b1aEXAMPLE7c");
	assert_int_equal(e.http_status, 404);
	assert_int_equal(vp_aws_error_finish(&e, "iam GetRole"), VP_ERR_NOT_FOUND);
	assert_string_equal(e.error.message,
			    "iam GetRole: NoSuchEntity: The role with name foo cannot be found. "
			    "(HTTP 404, request id 4a93ceee-9966-11e1-b624-b1aEXAMPLE7c)");
}

static void test_ec2_format(void **state)
{
	static const char body[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error>"
		"<Code>InvalidVpcPeeringConnectionID.NotFound</Code>"
		"<Message>The vpcPeeringConnection ID 'pcx-1' does not "
		"exist</Message></Error></Errors>"
		"<RequestID>e53c7b2e-ae6e-4ac0-a47c-f0f4346a0dc2</RequestID></Response>";
	struct vp_aws_error e;
	(void)state;

	vp_aws_error_clear(&e);
	assert_int_equal(vp_aws_error_parse(400, body, strlen(body), &e), VP_OK);
	assert_string_equal(e.code, "InvalidVpcPeeringConnectionID.NotFound");
	assert_string_equal(e.request_id, "e53c7b2e-ae6e-4ac0-a47c-f0f4346a0dc2");
	assert_int_equal(vp_aws_error_finish(&e, "ec2 X"), VP_ERR_NOT_FOUND);
}

static void test_not_an_error_document(void **state)
{
	static const char *const bodies[] = {"", "<html>503</html>", "<ErrorResponse><Error>",
					     "<Response><Errors/></Response>"};
	struct vp_aws_error e;
	(void)state;

	for (size_t i = 0; i < 4; i++) {
		vp_aws_error_clear(&e);
		assert_int_equal(vp_aws_error_parse(503, bodies[i], strlen(bodies[i]), &e),
				 VP_ERR_INVALID);
		assert_string_equal(e.code, "");
		assert_int_equal(vp_aws_error_finish(&e, "sts X"), VP_ERR_UNAVAILABLE);
		assert_non_null(strstr(e.error.message, "HTTP 503"));
	}
}

static void test_mapping(void **state)
{
	(void)state;
	assert_int_equal(vp_aws_error_map("Throttling", 400), VP_ERR_UNAVAILABLE);
	assert_int_equal(vp_aws_error_map("RequestLimitExceeded", 503), VP_ERR_UNAVAILABLE);
	assert_int_equal(vp_aws_error_map("InternalError", 500), VP_ERR_UNAVAILABLE);
	assert_int_equal(vp_aws_error_map("SignatureDoesNotMatch", 403), VP_ERR_AUTH);
	assert_int_equal(vp_aws_error_map("InvalidClientTokenId", 403), VP_ERR_AUTH);
	assert_int_equal(vp_aws_error_map("AccessDenied", 403), VP_ERR_FORBIDDEN);
	assert_int_equal(vp_aws_error_map("UnauthorizedOperation", 403), VP_ERR_FORBIDDEN);
	assert_int_equal(vp_aws_error_map("LimitExceeded", 409), VP_ERR_EXHAUSTED);
	assert_int_equal(vp_aws_error_map("RouteLimitExceeded", 400), VP_ERR_EXHAUSTED);
	assert_int_equal(vp_aws_error_map("ResourceShareLimitExceededException", 400),
			 VP_ERR_EXHAUSTED);
	assert_int_equal(vp_aws_error_map("VpcPeeringConnectionLimitExceeded", 400),
			 VP_ERR_EXHAUSTED);
	assert_int_equal(vp_aws_error_map("RouteAlreadyExists", 400), VP_ERR_CONFLICT);
	assert_int_equal(vp_aws_error_map("MalformedPolicyDocument", 400), VP_ERR_INVALID);
	assert_int_equal(vp_aws_error_map("InvalidRoute.NotFound", 400), VP_ERR_NOT_FOUND);
	assert_int_equal(vp_aws_error_map("SomethingNew", 400), VP_ERR_AWS);
	assert_int_equal(vp_aws_error_map("", 429), VP_ERR_UNAVAILABLE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iam_sts_format),
		cmocka_unit_test(test_ec2_format),
		cmocka_unit_test(test_not_an_error_document),
		cmocka_unit_test(test_mapping),
	};
	int rc;

	xmlInitParser();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	xmlCleanupParser();
	return rc;
}
