/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RAM over REST-JSON (aws/ram.h) against a loopback stand-in: the path and
 * JSON document each call sends, clientToken kept across retries, paging,
 * answers with optional members absent, REST-JSON errors mapped, bad
 * arguments refused before anything is sent, and the JSON error parser.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "aws/client.h"
#include "aws/ram.h"
#include "stub.h"
#include "static_client.h"

#define SHARE                                                                                      \
	"arn:aws:ram:us-east-1:111111111111:resource-share/7ab63972-b505-7e2a-420d-6f5d3EXAMPLE"

static struct stub *stub;
static struct vp_aws_client *cl;

static int reset(void **state)
{
	(void)state;
	stub_reset(stub);
	return 0;
}

/* Member `key` of the JSON body of request i (a string), or NULL. */
static char *sent_member(size_t i, const char *key)
{
	struct stub_request r = stub_request_at(stub, i);
	json_t *doc = json_loads(r.body, 0, NULL);
	const char *v;
	char *out = NULL;

	assert_non_null(doc);
	v = json_string_value(json_object_get(doc, key));
	if (v)
		out = strdup(v);
	json_decref(doc);
	return out;
}

static void test_associate_sends_json_with_token(void **state)
{
	struct vp_aws_ram_associations *l = NULL;
	const char *principals[] = {"222222222222"};
	struct vp_aws_ram_share_change ch = {SHARE, principals, 1, NULL, 0, NULL};
	struct stub_request r;
	char *t0, *t1;
	(void)state;

	/* Throttled once: the retry must carry the same clientToken. */
	stub_on(stub, "POST", "/associateresourceshare", 1, 400,
		"{\"__type\":\"ThrottlingException\",\"message\":\"Rate exceeded\"}");
	stub_on(stub, "POST", "/associateresourceshare", 1, 200,
		"{\"clientToken\":\"x\",\"resourceShareAssociations\":[{\"associatedEntity\":"
		"\"222222222222\",\"associationType\":\"PRINCIPAL\",\"creationTime\":1.5E9,"
		"\"external\":true,\"resourceShareArn\":\"" SHARE
		"\",\"status\":\"ASSOCIATING\"}]}");
	assert_int_equal(vp_aws_ram_associate(cl, &ch, &l, NULL), VP_OK);
	assert_int_equal(l->count, 1);
	assert_string_equal(l->items[0].associated_entity, "222222222222");
	assert_string_equal(l->items[0].status, "ASSOCIATING");
	assert_true(l->items[0].external);
	assert_null(l->items[0].status_message);
	vp_aws_ram_associations_free(l);
	assert_int_equal(stub_request_count(stub), 2);
	r = stub_request_at(stub, 0);
	assert_string_equal(r.path, "/associateresourceshare");
	assert_non_null(strstr(r.authorization, "/us-east-1/ram/aws4_request"));
	assert_non_null(strstr(r.body, "\"principals\":[\"222222222222\"]"));
	t0 = sent_member(0, "clientToken");
	t1 = sent_member(1, "clientToken");
	assert_non_null(t0);
	assert_int_equal(strlen(t0), 36);
	assert_string_equal(t0, t1);
	free(t0);
	free(t1);
}

static void test_disassociate_resource_with_own_token(void **state)
{
	const char *resources[] = {"arn:aws:ec2:us-east-1:111111111111:transit-gateway/tgw-1"};
	struct vp_aws_ram_share_change ch = {SHARE, NULL, 0, resources, 1, "my-token"};
	char *t;
	(void)state;

	stub_on(stub, "POST", "/disassociateresourceshare", 1, 200, "{}");
	assert_int_equal(vp_aws_ram_disassociate(cl, &ch, NULL, NULL), VP_OK);
	t = sent_member(0, "clientToken");
	assert_string_equal(t, "my-token");
	free(t);
	assert_non_null(strstr(stub_request_at(stub, 0).body, "\"resourceArns\":"));
	assert_null(strstr(stub_request_at(stub, 0).body, "principals"));
}

static void test_get_associations_pages(void **state)
{
	struct vp_aws_ram_associations *l = NULL;
	struct vp_aws_ram_association_query q = {"PRINCIPAL", SHARE, "222222222222", NULL,
						 "ASSOCIATED"};
	char *next;
	(void)state;

	stub_on(stub, "POST", "/getresourceshareassociations", 1, 200,
		"{\"resourceShareAssociations\":[{\"resourceShareArn\":\"" SHARE "\","
		"\"associatedEntity\":\"222222222222\",\"status\":\"ASSOCIATED\"}],"
		"\"nextToken\":\"n2\"}");
	stub_on(stub, "POST", "/getresourceshareassociations", 1, 200,
		"{\"resourceShareAssociations\":[{\"resourceShareArn\":\"" SHARE "\"}],"
		"\"nextToken\":null}");
	assert_int_equal(vp_aws_ram_get_associations(cl, &q, &l, NULL), VP_OK);
	assert_int_equal(l->count, 2);
	assert_null(l->items[1].status);
	assert_false(l->items[1].external);
	vp_aws_ram_associations_free(l);
	next = sent_member(1, "nextToken");
	assert_string_equal(next, "n2");
	free(next);
	assert_null(sent_member(0, "nextToken"));
	assert_non_null(strstr(stub_request_at(stub, 0).body, "\"associationType\":\"PRINCIPAL\""));
	assert_non_null(strstr(stub_request_at(stub, 0).body, "\"resourceShareArns\":[\"" SHARE));
}

static void test_invitations_and_accept(void **state)
{
	struct vp_aws_ram_invitations *l = NULL;
	static const char inv[] = "arn:aws:ram:us-east-1:111111111111:resource-share-invitation/"
				  "a93c5f06-EXAMPLE";
	(void)state;

	stub_on(stub, "POST", "/getresourceshareinvitations", 1, 200,
		"{\"resourceShareInvitations\":[{\"invitationTimestamp\":1.5E9,"
		"\"receiverAccountId\":\"222222222222\",\"resourceShareArn\":\"" SHARE "\","
		"\"resourceShareInvitationArn\":\"arn:aws:ram:us-east-1:111111111111:resource-"
		"share-invitation/a93c5f06-EXAMPLE\",\"resourceShareName\":\"hub\","
		"\"senderAccountId\":\"111111111111\",\"status\":\"PENDING\"}]}");
	stub_on(stub, "POST", "/acceptresourceshareinvitation", 1, 200,
		"{\"clientToken\":\"t\",\"resourceShareInvitation\":{"
		"\"resourceShareInvitationArn\":"
		"\"arn:aws:ram:us-east-1:111111111111:resource-share-invitation/a93c5f06-EXAMPLE\","
		"\"status\":\"ACCEPTED\"}}");
	assert_int_equal(vp_aws_ram_get_invitations(cl, NULL, &l, NULL), VP_OK);
	assert_int_equal(l->count, 1);
	assert_string_equal(l->items[0].status, "PENDING");
	assert_string_equal(l->items[0].invitation_arn, inv);
	assert_string_equal(l->items[0].sender_account_id, "111111111111");
	vp_aws_ram_invitations_free(l);
	l = NULL;
	assert_string_equal(stub_request_at(stub, 0).body, "{}");
	assert_int_equal(vp_aws_ram_accept_invitation(cl, inv, NULL, &l, NULL), VP_OK);
	assert_int_equal(l->count, 1);
	assert_string_equal(l->items[0].status, "ACCEPTED");
	assert_null(l->items[0].resource_share_arn);
	vp_aws_ram_invitations_free(l);
}

static void test_get_shares(void **state)
{
	struct vp_aws_ram_shares *l = NULL;
	(void)state;

	stub_on(stub, "POST", "/getresourceshares", 1, 200,
		"{\"resourceShares\":[{\"allowExternalPrincipals\":true,\"name\":\"hub\","
		"\"owningAccountId\":\"111111111111\",\"resourceShareArn\":\"" SHARE "\","
		"\"status\":\"ACTIVE\",\"tags\":[{\"key\":\"k\",\"value\":\"v\"}]}]}");
	assert_int_equal(vp_aws_ram_get_shares(cl, "SELF", NULL, &l, NULL), VP_OK);
	assert_int_equal(l->count, 1);
	assert_true(l->items[0].allow_external_principals);
	assert_string_equal(l->items[0].status, "ACTIVE");
	vp_aws_ram_shares_free(l);
	assert_string_equal(stub_request_at(stub, 0).body, "{\"resourceOwner\":\"SELF\"}");
}

static void test_errors_mapped(void **state)
{
	struct vp_aws_error err;
	struct vp_aws_ram_shares *l = NULL;
	(void)state;

	stub_on(stub, "POST", "/getresourceshares", 1, 400,
		"{\"__type\":\"aws.ram#UnknownResourceException:http://internal\","
		"\"message\":\"share not found\"}");
	vp_aws_error_clear(&err);
	assert_int_equal(vp_aws_ram_get_shares(cl, "SELF", SHARE, &l, &err), VP_ERR_NOT_FOUND);
	assert_string_equal(err.code, "UnknownResourceException");
	assert_string_equal(err.message, "share not found");
	assert_non_null(strstr(err.error.message, "ram GetResourceShares"));
	assert_null(l);
	/* A 200 that is not JSON: refused with the reason. */
	stub_on(stub, "POST", "/getresourceshares", 1, 200, "<xml/>");
	vp_aws_error_clear(&err);
	assert_int_equal(vp_aws_ram_get_shares(cl, "SELF", NULL, &l, &err), VP_ERR_INVALID);
	assert_non_null(strstr(err.error.message, "not JSON"));
	assert_null(l);
}

static void test_bad_arguments_send_nothing(void **state)
{
	struct vp_aws_error err;
	struct vp_aws_ram_shares *s = NULL;
	struct vp_aws_ram_associations *a = NULL;
	struct vp_aws_ram_share_change none = {SHARE, NULL, 0, NULL, 0, NULL};
	struct vp_aws_ram_association_query mixed = {"RESOURCE", NULL, "222222222222", NULL, NULL};
	(void)state;

	vp_aws_error_clear(&err);
	assert_int_equal(vp_aws_ram_get_shares(cl, "ME", NULL, &s, &err), VP_ERR_INVALID);
	assert_non_null(strstr(err.error.message, "SELF or OTHER-ACCOUNTS"));
	assert_int_equal(vp_aws_ram_associate(cl, &none, NULL, &err), VP_ERR_INVALID);
	assert_int_equal(vp_aws_ram_get_associations(cl, &mixed, &a, &err), VP_ERR_INVALID);
	assert_int_equal(vp_aws_ram_accept_invitation(cl, "inv-1", NULL, NULL, &err),
			 VP_ERR_INVALID);
	assert_non_null(strstr(err.error.message, "\"inv-1\""));
	assert_int_equal(stub_request_count(stub), 0);
}

static void test_json_error_parser(void **state)
{
	struct vp_aws_error e;
	static const char body[] = "{\"message\":\"m\"}";
	static const char plain[] = "{\"code\":\"C\",\"Message\":\"M\"}";
	(void)state;

	vp_aws_error_clear(&e);
	assert_int_equal(vp_aws_error_parse_json(400, "MalformedArnException:http://x", body,
						 strlen(body), &e),
			 VP_OK);
	assert_string_equal(e.code, "MalformedArnException");
	assert_string_equal(e.message, "m");
	assert_int_equal(vp_aws_error_parse_json(400, NULL, plain, strlen(plain), &e), VP_OK);
	assert_string_equal(e.code, "C");
	assert_string_equal(e.message, "M");
	assert_int_equal(vp_aws_error_parse_json(500, "", "not json", 8, &e), VP_ERR_INVALID);
	assert_string_equal(e.code, "");
	assert_int_equal(vp_aws_error_parse_json(400, NULL, "[1]", 3, &e), VP_ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_associate_sends_json_with_token, reset),
		cmocka_unit_test_setup(test_disassociate_resource_with_own_token, reset),
		cmocka_unit_test_setup(test_get_associations_pages, reset),
		cmocka_unit_test_setup(test_invitations_and_accept, reset),
		cmocka_unit_test_setup(test_get_shares, reset),
		cmocka_unit_test_setup(test_errors_mapped, reset),
		cmocka_unit_test_setup(test_bad_arguments_send_nothing, reset),
		cmocka_unit_test_setup(test_json_error_parser, reset),
	};
	struct vp_aws_client_config cfg = {
		.region = "us-east-1",
		.config_file = "/nonexistent",
		.credentials_file = "/nonexistent",
		.max_attempts = 3,
		.retry_base_delay = 0.001,
		.connect_timeout_ms = 2000,
		.timeout_ms = 5000,
	};
	int rc;

	if (vp_aws_global_init(NULL) != VP_OK)
		return 1;
	stub = stub_start();
	if (!stub)
		return 1;
	cfg.endpoint_url = stub_url(stub);
	cl = vp_test_static_client(cfg, "AKIDTEST", "secret", NULL);
	if (!cl)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	vp_aws_client_free(cl);
	stub_stop(stub);
	vp_aws_global_cleanup();
	return rc;
}
