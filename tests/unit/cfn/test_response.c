/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "cfn/response.h"

static struct vp_cfn_response base(void)
{
	struct vp_cfn_response r = {
		.success = true,
		.reason = "namespace 7 registered",
		.physical_id = "vpcpeer-ns-7-0123456789abcdef",
		.stack_id = "arn:aws:cloudformation:us-east-1:222222222222:stack/s/guid",
		.request_id = "req-1",
		.logical_id = "Registration",
	};
	return r;
}

static json_t *render_ok(const struct vp_cfn_response *r, struct vp_buf *out)
{
	struct vp_error err;
	json_t *doc;

	if (vp_cfn_response_render(r, out, &err) != VP_OK)
		fail_msg("%s", err.message);
	assert_true(out->len <= VP_CFN_RESPONSE_MAX);
	doc = json_loadb(out->data, out->len, 0, NULL); /* also checks the UTF-8 */
	assert_non_null(doc);
	return doc;
}

static void test_document(void **state)
{
	struct vp_cfn_response r = base();
	struct vp_buf out;
	json_t *data = json_pack("{ss ss}", "NamespaceId", "7", "VpcCidrBlock", "10.0.28.0/22");
	json_t *doc;

	(void)state;
	vp_buf_init(&out, VP_CFN_RESPONSE_MAX);
	r.data = data;
	doc = render_ok(&r, &out);
	assert_string_equal(out.data,
			    "{\"Status\":\"SUCCESS\",\"Reason\":\"namespace 7 registered\","
			    "\"PhysicalResourceId\":\"vpcpeer-ns-7-0123456789abcdef\",\"StackId\":"
			    "\"arn:aws:cloudformation:us-east-1:222222222222:stack/s/guid\","
			    "\"RequestId\":\"req-1\",\"LogicalResourceId\":\"Registration\","
			    "\"NoEcho\":false,\"Data\":{\"NamespaceId\":\"7\",\"VpcCidrBlock\":"
			    "\"10.0.28.0/22\"}}");
	json_decref(doc);
	/* FAILED, no Data: an empty object. */
	r.success = false;
	r.data = NULL;
	doc = render_ok(&r, &out);
	assert_string_equal(json_string_value(json_object_get(doc, "Status")), "FAILED");
	assert_int_equal(json_object_size(json_object_get(doc, "Data")), 0);
	json_decref(doc);
	json_decref(data);
	vp_buf_cleanup(&out);
}

static void test_long_reason_is_cut_to_fit(void **state)
{
	static const char *const fills[] = {"x", "\xc3\xa9", "\"", "\x01"};
	struct vp_cfn_response r = base();
	struct vp_buf out;

	(void)state;
	vp_buf_init(&out, VP_CFN_RESPONSE_MAX);
	for (size_t f = 0; f < sizeof(fills) / sizeof(fills[0]); f++) {
		size_t unit = strlen(fills[f]), n = 6000 / unit;
		char *reason = malloc(n * unit + 1);
		json_t *doc;
		const char *got;

		for (size_t i = 0; i < n; i++)
			memcpy(reason + i * unit, fills[f], unit);
		reason[n * unit] = '\0';
		r.success = false;
		r.reason = reason;
		doc = render_ok(&r, &out);
		got = json_string_value(json_object_get(doc, "Reason"));
		assert_non_null(got);
		assert_non_null(strstr(got, " [...]"));
		assert_true(out.len > VP_CFN_RESPONSE_MAX - 8); /* cut no more than needed */
		json_decref(doc);
		free(reason);
	}
	vp_buf_cleanup(&out);
}

static void test_data_too_large_is_refused(void **state)
{
	struct vp_cfn_response r = base();
	struct vp_buf out;
	struct vp_error err;
	json_t *data = json_object();
	char big[5000];

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	json_object_set_new(data, "Big", json_string(big));
	vp_buf_init(&out, VP_CFN_RESPONSE_MAX);
	r.data = data;
	assert_int_equal(vp_cfn_response_render(&r, &out, &err), VP_ERR_RANGE);
	assert_int_equal(out.len, 0);
	r.physical_id = "";
	r.data = NULL;
	assert_int_equal(vp_cfn_response_render(&r, &out, &err), VP_ERR_INTERNAL);
	json_decref(data);
	vp_buf_cleanup(&out);
}

static void test_put_refuses_plain_http_off_loopback(void **state)
{
	struct vp_cfn_put_options opt = {0};
	struct vp_error err;

	(void)state;
	assert_int_equal(
		vp_cfn_response_put("http://s3.example.com/x?sig=secret", "{}", 2, &opt, &err),
		VP_ERR_INVALID);
	assert_null(strstr(err.message, "secret"));
	assert_int_equal(vp_cfn_response_put("file:///etc/passwd", "{}", 2, &opt, &err),
			 VP_ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_document),
		cmocka_unit_test(test_long_reason_is_cut_to_fit),
		cmocka_unit_test(test_data_too_large_is_refused),
		cmocka_unit_test(test_put_refuses_plain_http_off_loopback),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
