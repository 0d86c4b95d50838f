/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The shared id rules (core/ids.h). Where the modules used to disagree the
 * stricter rule won (issue 11): a client_ref has no space (the registry
 * accepted one), and an EC2 id is at most 21 characters (the API allowed 22,
 * the broker and the registry 64).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/ids.h"

static void test_account(void **state)
{
	struct vp_error err;

	(void)state;
	assert_true(vp_ids_account_valid("123456789012"));
	assert_true(vp_ids_account_valid("000000000000"));
	assert_false(vp_ids_account_valid(NULL));
	assert_false(vp_ids_account_valid(""));
	assert_false(vp_ids_account_valid("12345678901"));
	assert_false(vp_ids_account_valid("1234567890123"));
	assert_false(vp_ids_account_valid("12345678901a"));
	assert_false(vp_ids_account_valid(" 23456789012"));
	assert_false(vp_ids_account_valid("-12345678901"));
	assert_int_equal(vp_ids_account_check("123456789012", &err), VP_OK);
	assert_int_equal(vp_ids_account_check("12345", &err), VP_ERR_INVALID);
	assert_string_equal(err.message,
			    "account id '12345' is not 12 digits (an AWS account id is)");
	assert_int_equal(vp_ids_account_check("1234\n", &err), VP_ERR_INVALID);
	assert_string_equal(err.message, "account id '?' is not 12 digits (an AWS account id is)");
	assert_int_equal(vp_ids_account_check(NULL, &err), VP_ERR_INVALID);
}

static void test_client_ref(void **state)
{
	char longest[VP_CLIENT_REF_MAX + 2];
	struct vp_error err;

	(void)state;
	assert_int_equal(VP_CLIENT_REF_MAX, 256);
	assert_int_equal(vp_ids_client_ref_check("stack-a", NULL), VP_OK);
	assert_int_equal(vp_ids_client_ref_check("arn:aws:cloudformation:eu-west-1:123456789012:"
						 "stack/s/0b1d/Registration",
						 NULL),
			 VP_OK);
	/* The one rule for everyone: no space (the registry used to accept one). */
	assert_int_equal(vp_ids_client_ref_check("my stack", &err), VP_ERR_INVALID);
	assert_string_equal(
		err.message,
		"client_ref has a space at position 3: use printable ASCII without spaces "
		"('!' to '~', e.g. stack/1)");
	assert_int_equal(vp_ids_client_ref_check("tab\there", &err), VP_ERR_INVALID);
	assert_string_equal(err.message, "client_ref has byte 0x09 at position 4: use printable "
					 "ASCII without spaces ('!' to '~', e.g. stack/1)");
	assert_int_equal(vp_ids_client_ref_check("tab\there", NULL), VP_ERR_INVALID);
	assert_int_equal(vp_ids_client_ref_check("caf\xc3\xa9", NULL), VP_ERR_INVALID);
	assert_int_equal(vp_ids_client_ref_check("", &err), VP_ERR_INVALID);
	assert_string_equal(err.message, "client_ref is empty");
	assert_int_equal(vp_ids_client_ref_check(NULL, &err), VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "missing client_ref"));
	memset(longest, 'r', VP_CLIENT_REF_MAX);
	longest[VP_CLIENT_REF_MAX] = '\0';
	assert_int_equal(vp_ids_client_ref_check(longest, NULL), VP_OK);
	longest[VP_CLIENT_REF_MAX] = 'r';
	longest[VP_CLIENT_REF_MAX + 1] = '\0';
	assert_int_equal(vp_ids_client_ref_check(longest, &err), VP_ERR_INVALID);
	assert_string_equal(err.message, "client_ref is 257 characters, more than 256");
}

static void test_aws_ids(void **state)
{
	struct vp_error err;

	(void)state;
	/* AWS's real maximum: prefix, '-', 17 hex digits (the API allowed 22, others 64); the
	 * longest prefix the broker keeps is a transit gateway attachment's (issue 16). */
	assert_int_equal(VP_AWS_ID_MAX, 28);
	assert_int_equal(strlen("tgw-attach-0123456789abcdef0"), VP_AWS_ID_MAX);
	assert_int_equal(
		vp_ids_aws_id_check("tgw-attach-0123456789abcdef0", "tgw-attach", "id", NULL),
		VP_OK);
	assert_int_equal(vp_ids_aws_id_check("pcx-0123456789abcdef0", "pcx", "id", NULL), VP_OK);
	assert_int_equal(vp_ids_aws_id_check("vpc-0123abcd", "vpc", "id", NULL), VP_OK);
	assert_int_equal(vp_ids_aws_id_check("rtb-0123456789abcdef0", "rtb", "id", NULL), VP_OK);
	assert_int_equal(
		vp_ids_aws_id_check("pcx-0123456789abcdef01", "pcx", "vpc_peering_id", &err),
		VP_ERR_INVALID);
	assert_string_equal(err.message, "vpc_peering_id must be 'pcx-' and 8 or 17 hex digits");
	assert_int_equal(vp_ids_aws_id_check("vpc-0123abcd", "pcx", "id", &err), VP_ERR_INVALID);
	assert_string_equal(err.message, "id must start with 'pcx-'");
	assert_int_equal(vp_ids_aws_id_check("vpc-0123ABCD", "vpc", "--hub-vpc", &err),
			 VP_ERR_INVALID);
	assert_string_equal(err.message,
			    "--hub-vpc must be 'vpc-' and 8 or 17 lower-case hex digits");
	assert_int_equal(vp_ids_aws_id_check("vpc-", "vpc", "id", NULL), VP_ERR_INVALID);
	assert_int_equal(vp_ids_aws_id_check("vpc", "vpc", "id", NULL), VP_ERR_INVALID);
	assert_int_equal(vp_ids_aws_id_check("vpc_0123abcd", "vpc", "id", NULL), VP_ERR_INVALID);
	assert_int_equal(vp_ids_aws_id_check("vpc-0123abc", "vpc", "id", NULL), VP_ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_account),
		cmocka_unit_test(test_client_ref),
		cmocka_unit_test(test_aws_ids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
