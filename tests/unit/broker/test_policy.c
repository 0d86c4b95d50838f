/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "broker/policy.h"

/* The hub template's starting trust policy: the hub account only. */
static const char *const HUB_ONLY =
	"{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", "
	"\"Principal\": {\"AWS\": \"arn:aws:iam::111111111111:root\"}, "
	"\"Action\": \"sts:AssumeRole\"}]}";

static struct vp_trust_policy *parse(const char *text)
{
	struct vp_trust_policy *p = NULL;
	struct vp_error err;
	if (vp_policy_parse(text, strlen(text), &p, &err) != VP_OK)
		fail_msg("parse: %s", err.message);
	return p;
}

static json_t *as_json(const struct vp_trust_policy *p)
{
	char *text = vp_policy_serialize(p);
	json_t *doc = json_loads(text, 0, NULL);
	free(text);
	assert_non_null(doc);
	return doc;
}

static void test_add_creates_the_broker_statement(void **state)
{
	struct vp_trust_policy *p = parse(HUB_ONLY);
	bool changed = false;
	json_t *doc, *ours;
	(void)state;
	assert_int_equal(vp_policy_add_account(p, "aws", "222222222222", &changed, NULL), VP_OK);
	assert_true(changed);
	doc = as_json(p);
	assert_int_equal(json_array_size(json_object_get(doc, "Statement")), 2);
	/* The hub's statement is untouched. */
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(json_array_get(json_object_get(doc, "Statement"), 0),
					"Principal"),
			"AWS")),
		"arn:aws:iam::111111111111:root");
	ours = json_array_get(json_object_get(doc, "Statement"), 1);
	assert_string_equal(json_string_value(json_object_get(ours, "Sid")), VP_POLICY_SID);
	assert_string_equal(json_string_value(json_object_get(ours, "Effect")), "Allow");
	assert_string_equal(json_string_value(json_object_get(ours, "Action")), "sts:AssumeRole");
	assert_string_equal(json_string_value(json_array_get(
				    json_object_get(json_object_get(ours, "Principal"), "AWS"), 0)),
			    "arn:aws:iam::222222222222:root");
	json_decref(doc);
	assert_true(vp_policy_has_account(p, "222222222222"));
	assert_false(vp_policy_has_account(p, "111111111111")); /* not the broker's */
	vp_policy_free(p);
}

static void test_add_is_idempotent_and_remove_drops_empty_statement(void **state)
{
	struct vp_trust_policy *p = parse(HUB_ONLY);
	char accounts[4][VP_IDS_ACCOUNT_LEN + 1];
	char *before = vp_policy_serialize(p);
	char *after;
	bool changed;
	(void)state;
	assert_int_equal(vp_policy_add_account(p, "aws", "222222222222", &changed, NULL), VP_OK);
	assert_int_equal(vp_policy_add_account(p, "aws", "333333333333", &changed, NULL), VP_OK);
	assert_true(changed);
	assert_int_equal(vp_policy_add_account(p, "aws", "222222222222", &changed, NULL), VP_OK);
	assert_false(changed);
	assert_int_equal(vp_policy_accounts(p, accounts, 4), 2);
	assert_string_equal(accounts[0], "222222222222");
	assert_string_equal(accounts[1], "333333333333");
	assert_int_equal(vp_policy_accounts(p, accounts, 1), 2); /* count beyond max */

	assert_int_equal(vp_policy_remove_account(p, "222222222222", &changed, NULL), VP_OK);
	assert_true(changed);
	assert_int_equal(vp_policy_remove_account(p, "222222222222", &changed, NULL), VP_OK);
	assert_false(changed);
	assert_int_equal(vp_policy_remove_account(p, "333333333333", &changed, NULL), VP_OK);
	assert_true(changed);
	/* Back to the very document we started from. */
	after = vp_policy_serialize(p);
	assert_string_equal(after, before);
	free(before);
	free(after);
	vp_policy_free(p);
}

/* IAM hands documents back with ids turned into root ARNs and one-entry lists as strings. */
static void test_reads_the_forms_iam_returns(void **state)
{
	struct vp_trust_policy *p =
		parse("{\"Version\":\"2012-10-17\",\"Statement\":{\"Sid\":\"" VP_POLICY_SID "\","
		      "\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"444444444444\"},"
		      "\"Action\":\"sts:AssumeRole\"}}");
	char accounts[2][VP_IDS_ACCOUNT_LEN + 1];
	bool changed;
	(void)state;
	assert_true(vp_policy_has_account(p, "444444444444"));
	assert_int_equal(vp_policy_accounts(p, accounts, 2), 1);
	assert_string_equal(accounts[0], "444444444444");
	assert_int_equal(vp_policy_add_account(p, "aws-cn", "555555555555", &changed, NULL), VP_OK);
	assert_true(changed);
	assert_true(vp_policy_has_account(p, "555555555555"));
	assert_int_equal(vp_policy_accounts(p, accounts, 2), 2);
	assert_string_equal(accounts[1], "555555555555");
	assert_int_equal(vp_policy_remove_account(p, "444444444444", &changed, NULL), VP_OK);
	assert_int_equal(vp_policy_remove_account(p, "555555555555", &changed, NULL), VP_OK);
	assert_false(vp_policy_has_account(p, "555555555555"));
	assert_int_equal(vp_policy_accounts(p, accounts, 2), 0);
	vp_policy_free(p);
}

static void test_never_touches_principals_it_did_not_add(void **state)
{
	struct vp_trust_policy *p =
		parse("{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":["
		      "\"arn:aws:iam::222222222222:root\",\"arn:aws:iam::222222222222:role/x\"]},"
		      "\"Action\":\"sts:AssumeRole\"}]}");
	char *text;
	bool changed;
	(void)state;
	assert_int_equal(vp_policy_remove_account(p, "222222222222", &changed, NULL), VP_OK);
	assert_false(changed);
	text = vp_policy_serialize(p);
	assert_non_null(strstr(text, "arn:aws:iam::222222222222:root"));
	free(text);
	vp_policy_free(p);
}

static void test_quota_size_ignores_whitespace(void **state)
{
	struct vp_trust_policy *p = parse(HUB_ONLY);
	size_t base, grown;
	bool changed;
	(void)state;
	base = vp_policy_quota_size(p);
	/* {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}
	 * etc. */
	assert_int_equal(base, strlen("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":"
				      "\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::"
				      "111111111111:root\"},\"Action\":\"sts:AssumeRole\"}]}"));
	assert_int_equal(vp_policy_add_account(p, "aws", "222222222222", &changed, NULL), VP_OK);
	assert_int_equal(vp_policy_add_account(p, "aws", "333333333333", &changed, NULL), VP_OK);
	grown = vp_policy_quota_size(p);
	assert_int_equal(vp_policy_add_account(p, "aws", "444444444444", &changed, NULL), VP_OK);
	/* Each more account costs its quoted root ARN and a comma. */
	assert_int_equal(vp_policy_quota_size(p) - grown,
			 strlen("\"arn:aws:iam::444444444444:root\","));
	vp_policy_free(p);
}

static void test_bad_documents_and_inputs(void **state)
{
	static const struct {
		const char *text;
		const char *fragment;
	} bad[] = {
		{"", "not valid JSON"},
		{"{", "not valid JSON"},
		{"[]", "not a JSON object"},
		{"{}", "no Statement"},
		{"{\"Statement\":\"x\"}", "no Statement"},
		{"{\"Statement\":[],\"Statement\":[]}", "not valid JSON"},
		{"{\"Statement\":[{\"Sid\":\"" VP_POLICY_SID "\",\"Principal\":\"*\"}]}",
		 "no Principal.AWS"},
		{"{\"Statement\":[{\"Sid\":\"" VP_POLICY_SID "\",\"Principal\":{\"AWS\":[1]}}]}",
		 "not a string"},
		{"{\"Statement\":[{\"Sid\":\"" VP_POLICY_SID "\",\"Principal\":{\"AWS\":[]}},"
		 "{\"Sid\":\"" VP_POLICY_SID "\",\"Principal\":{\"AWS\":\"999999999999\"}}]}",
		 "2 statements with Sid"},
	};
	struct vp_trust_policy *p = (struct vp_trust_policy *)0x1;
	struct vp_error err;
	bool changed;
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(vp_policy_parse(bad[i].text, strlen(bad[i].text), &p, &err),
				 VP_ERR_INVALID);
		if (!strstr(err.message, bad[i].fragment))
			fail_msg("'%s': '%s' lacks '%s'", bad[i].text, err.message,
				 bad[i].fragment);
		assert_ptr_equal(p, (struct vp_trust_policy *)0x1);
	}
	p = parse(HUB_ONLY);
	assert_int_equal(vp_policy_add_account(p, "aws", "22222222222", &changed, &err),
			 VP_ERR_INVALID);
	assert_int_equal(vp_policy_add_account(p, "aws", "22222222222x", &changed, &err),
			 VP_ERR_INVALID);
	assert_int_equal(vp_policy_add_account(p, "aws\"", "222222222222", &changed, &err),
			 VP_ERR_INVALID);
	assert_int_equal(vp_policy_remove_account(p, "", &changed, &err), VP_ERR_INVALID);
	assert_false(vp_ids_account_valid("1234567890123"));
	assert_true(vp_ids_account_valid("000000000000"));
	vp_policy_free(p);
	vp_policy_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_creates_the_broker_statement),
		cmocka_unit_test(test_add_is_idempotent_and_remove_drops_empty_statement),
		cmocka_unit_test(test_reads_the_forms_iam_returns),
		cmocka_unit_test(test_never_touches_principals_it_did_not_add),
		cmocka_unit_test(test_quota_size_ignores_whitespace),
		cmocka_unit_test(test_bad_documents_and_inputs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
