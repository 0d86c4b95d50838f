/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The handler's transit-gateway mode (issue 16, cfn/handler_tgw.c) against
 * loopback stand-ins: fake.c's broker and ResponseURL, and the scripted AWS
 * stub (aws/stub.c) for the function's own EC2 and RAM calls. Outside the
 * organization the share's invitation is accepted, inside there is none; an
 * earlier attachment of this VPC is reused; each refusal names the
 * permission; a failed confirmation deletes the attachment; Delete deletes
 * it; a stack built for the other mode is refused; an invitation to another
 * share is never accepted.
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

#include "../aws/stub.h"
#include "cfn/handler.h"
#include "fake.h"

#define STACK_ID                                                                                   \
	"arn:aws:cloudformation:us-east-1:222222222222:stack/client-a/"                            \
	"0f1e2d3c-aaaa-bbbb-cccc-111122223333"
#define NS      " xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\""
#define VPC     "vpc-0a1b2c3d4e5f60718"
#define ATT     "tgw-attach-0e0e0e0e0e0e0e0e0"
#define INV     "arn:aws:ram:us-east-1:111111111111:resource-share-invitation/a93c5f06-inv"
#define SUBNET1 "subnet-01010101"
#define SUBNET2 "subnet-02020202"

static struct stub *aws;
static struct vp_cfn_handler_config cfg;
static int request_counter;

static int group_setup(void **state)
{
	aws = stub_start();
	assert_non_null(aws);
	/* The function's EC2 and RAM calls go to the stub; read when fake_aws is made. */
	setenv("AWS_ENDPOINT_URL_EC2", stub_url(aws), 1);
	setenv("AWS_ENDPOINT_URL_RAM", stub_url(aws), 1);
	return fake_group_setup(state);
}

static int group_teardown(void **state)
{
	int rc = fake_group_teardown(state);
	stub_stop(aws);
	return rc;
}

static int setup(void **state)
{
	(void)state;
	fake_reset(fake);
	fake_broker_set_accepter(fake, "broker");
	fake_broker_set_tgw(fake, true);
	stub_reset(aws);
	memset(&cfg, 0, sizeof(cfg));
	cfg.aws = fake_aws;
	cfg.broker_url = fake_url(fake);
	cfg.put_retry_delay_ms = 10;
	return 0;
}

static char *make_event(const char *type, const char *resource, const char *physical_id,
			json_t *props)
{
	char url[256], request_id[64];
	json_t *ev;
	char *text;

	request_counter++;
	snprintf(url, sizeof(url), "%s/cfn/response-%d", fake_url(fake), request_counter);
	snprintf(request_id, sizeof(request_id), "req-%d", request_counter);
	ev = json_pack("{ss ss ss ss ss ss ss}", "RequestType", type, "ServiceToken",
		       "arn:aws:lambda:us-east-1:222222222222:function:handler", "ResponseURL", url,
		       "StackId", STACK_ID, "RequestId", request_id, "ResourceType", resource,
		       "LogicalResourceId",
		       strcmp(resource, VP_CFN_CONFIRMATION_TYPE) == 0 ? "Confirmation"
								       : "Registration");
	if (physical_id)
		json_object_set_new(ev, "PhysicalResourceId", json_string(physical_id));
	if (props)
		json_object_set_new(ev, "ResourceProperties", props);
	text = json_dumps(ev, JSON_COMPACT);
	json_decref(ev);
	return text;
}

/* Send a request; it must be answered. The answer CloudFormation got (caller decrefs). */
static json_t *send_request(const char *type, const char *resource, const char *physical_id,
			    json_t *props, struct vp_cfn_result *res)
{
	char *text = make_event(type, resource, physical_id, props);
	size_t puts_before = fake_put_count(fake);
	struct fake_put put;
	struct vp_error err;
	json_t *answer;

	if (vp_cfn_handle(&cfg, text, strlen(text), 0, res, &err) != VP_OK)
		fail_msg("not answered: %s", err.message);
	free(text);
	assert_int_equal(fake_put_count(fake), puts_before + 1);
	put = fake_put_at(fake, puts_before);
	answer = json_loadb(put.body, put.len, 0, NULL);
	assert_non_null(answer);
	return answer;
}

static const char *data_of(json_t *answer, const char *key)
{
	return json_string_value(json_object_get(json_object_get(answer, "Data"), key));
}

static void assert_contains(const char *haystack, const char *needle)
{
	if (!haystack || !strstr(haystack, needle))
		fail_msg("'%s' does not contain '%s'", haystack ? haystack : "(null)", needle);
}

/* The confirmation's properties as templates/client.yaml passes them. */
static json_t *tgw_props(const char *n)
{
	return json_pack("{ss ss ss ss ss ss ss ss ss ss s[ss]}", "BrokerUrl", fake_url(fake),
			 "NamespaceId", n, "PeeringAccepter", "broker", "VpcId", VPC, "PeerVpcId",
			 "vpc-0123456789abcdef0", "PeerOwnerId", "111111111111", "PeerRegion",
			 "us-east-1", "AttachMode", "transit-gateway", "TransitGatewayId",
			 FAKE_TGW_ID, "ResourceShareArn", FAKE_SHARE_ARN, "SubnetIds", SUBNET1,
			 SUBNET2);
}

/* Register namespace 1 in the transit-gateway mode; checks its Data. */
static void register_one(void)
{
	struct vp_cfn_result res;
	json_t *a = send_request(
		"Create", VP_CFN_REGISTRATION_TYPE, NULL,
		json_pack("{ss ss}", "BrokerUrl", fake_url(fake), "AttachMode", "transit-gateway"),
		&res);
	assert_true(res.success);
	assert_string_equal(data_of(a, "Attach"), "transit-gateway");
	assert_string_equal(data_of(a, "TransitGatewayId"), FAKE_TGW_ID);
	assert_string_equal(data_of(a, "ResourceShareArn"), FAKE_SHARE_ARN);
	/* the function's region, so that a hub in another one refuses before allocating */
	assert_contains(fake_broker_call_at(fake, 0).body, "\"region\":\"us-east-1\"");
	json_decref(a);
}

/* ---- scripted AWS answers ---- */

static void invitations(const char *share, const char *status)
{
	char body[1024];

	if (!share) {
		stub_on(aws, "POST", "/getresourceshareinvitations", 1, 200,
			"{\"resourceShareInvitations\":[]}");
		return;
	}
	snprintf(body, sizeof(body),
		 "{\"resourceShareInvitations\":[{\"receiverAccountId\":\"222222222222\","
		 "\"resourceShareArn\":\"%s\",\"resourceShareInvitationArn\":\"" INV "\","
		 "\"resourceShareName\":\"hub\",\"senderAccountId\":\"111111111111\","
		 "\"status\":\"%s\"}]}",
		 share, status);
	stub_on(aws, "POST", "/getresourceshareinvitations", 1, 200, body);
}

static void accepted(void)
{
	stub_on(aws, "POST", "/acceptresourceshareinvitation", 1, 200,
		"{\"clientToken\":\"t\",\"resourceShareInvitation\":{"
		"\"resourceShareInvitationArn\":"
		"\"" INV "\",\"status\":\"ACCEPTED\"}}");
}

/* DescribeTransitGatewayVpcAttachments: none (state NULL) or ATT in `state`. */
static void described(const char *state)
{
	char body[2048];

	snprintf(body, sizeof(body),
		 "<DescribeTransitGatewayVpcAttachmentsResponse" NS "><requestId>r</requestId>"
		 "<transitGatewayVpcAttachments>%s%s%s</transitGatewayVpcAttachments>"
		 "</DescribeTransitGatewayVpcAttachmentsResponse>",
		 state ? "<item><state>" : "", state ? state : "",
		 state ? "</state><subnetIds><item>" SUBNET1 "</item></subnetIds>"
			 "<transitGatewayAttachmentId>" ATT "</transitGatewayAttachmentId>"
			 "<transitGatewayId>" FAKE_TGW_ID "</transitGatewayId><vpcId>" VPC
			 "</vpcId><vpcOwnerId>222222222222</vpcOwnerId></item>"
		       : "");
	stub_on(aws, "POST", "/", 1, 200, body);
}

/* Create/Delete answer: the single attachment in `state`. */
static void wrote(const char *action, const char *state)
{
	char body[1024];

	snprintf(body, sizeof(body),
		 "<%sResponse" NS "><requestId>r</requestId><transitGatewayVpcAttachment>"
		 "<transitGatewayAttachmentId>" ATT "</transitGatewayAttachmentId>"
		 "<transitGatewayId>" FAKE_TGW_ID "</transitGatewayId><vpcId>" VPC "</vpcId>"
		 "<vpcOwnerId>222222222222</vpcOwnerId><state>%s</state>"
		 "</transitGatewayVpcAttachment></%sResponse>",
		 action, state, action);
	stub_on(aws, "POST", "/", 1, 200, body);
}

static void refused(const char *path, int status, const char *code)
{
	char body[512];

	if (strcmp(path, "/") == 0)
		snprintf(body, sizeof(body),
			 "<Response><Errors><Error><Code>%s</Code><Message>You are not "
			 "authorized</Message></Error></Errors><RequestID>r</RequestID></Response>",
			 code);
	else
		snprintf(body, sizeof(body), "{\"message\":\"not authorized\"}");
	stub_on(aws, "POST", path, 1, status, body);
}

/* How many AWS requests had a body (EC2) or path (RAM) containing `what`. */
static size_t asked(const char *what)
{
	size_t n = 0;
	for (size_t i = 0; i < stub_request_count(aws); i++) {
		struct stub_request r = stub_request_at(aws, i);
		n += strstr(r.body, what) != NULL || strcmp(r.path, what) == 0;
	}
	return n;
}

/* The broker's confirm calls so far. */
static size_t confirms(void)
{
	size_t n = 0;
	for (size_t i = 0; i < fake_broker_call_count(fake); i++)
		n += strstr(fake_broker_call_at(fake, i).path, "/confirm") != NULL;
	return n;
}

/* ---- tests ---- */

/* Outside the organization: the invitation accepted, the attachment made, then confirmed. */
static void test_outside_organization(void **state)
{
	struct vp_cfn_result res;
	struct fake_call confirm;
	json_t *a, *body;
	(void)state;

	register_one();
	invitations(FAKE_SHARE_ARN, "PENDING");
	accepted();
	described(NULL); /* no attachment of this VPC yet */
	wrote("CreateTransitGatewayVpcAttachment", "pendingAcceptance");
	described("pendingAcceptance");
	a = send_request("Create", VP_CFN_CONFIRMATION_TYPE, NULL, tgw_props("1"), &res);
	assert_true(res.success);
	assert_string_equal(res.physical_id, "vpcpeer-tgw-1-" ATT);
	assert_string_equal(data_of(a, "TransitGatewayAttachmentId"), ATT);
	assert_string_equal(data_of(a, "State"), "active");
	assert_contains(res.reason, "invitation accepted");
	/* the invitation of this share only, accepted with a token stable across retries */
	assert_contains(stub_request_at(aws, 0).body, FAKE_SHARE_ARN);
	assert_string_equal(stub_request_at(aws, 1).path, "/acceptresourceshareinvitation");
	assert_contains(stub_request_at(aws, 1).body, INV);
	assert_contains(stub_request_at(aws, 1).body, "\"clientToken\":\"vpcpeer-1-accept\"");
	/* found by gateway and VPC first, then made in the stack's subnets */
	assert_contains(stub_request_at(aws, 2).body,
			"Action=DescribeTransitGatewayVpcAttachments");
	assert_contains(stub_request_at(aws, 2).body, "transit-gateway-id");
	assert_contains(stub_request_at(aws, 3).body, "Action=CreateTransitGatewayVpcAttachment");
	assert_contains(stub_request_at(aws, 3).body, "TransitGatewayId=" FAKE_TGW_ID);
	assert_contains(stub_request_at(aws, 3).body, "VpcId=" VPC);
	assert_contains(stub_request_at(aws, 3).body, "SubnetIds.1=" SUBNET1);
	assert_contains(stub_request_at(aws, 3).body, "SubnetIds.2=" SUBNET2);
	assert_int_equal(confirms(), 1);
	confirm = fake_broker_call_at(fake, fake_broker_call_count(fake) - 1);
	body = json_loads(confirm.body, 0, NULL);
	assert_string_equal(
		json_string_value(json_object_get(body, "transit_gateway_attachment_id")), ATT);
	assert_string_equal(json_string_value(json_object_get(body, "vpc_id")), VPC);
	assert_null(json_object_get(body, "vpc_peering_connection_id"));
	json_decref(body);
	json_decref(a);
}

/* Inside the organization: no invitation; a retry reuses this VPC's attachment. */
static void test_inside_organization_retry_reuses(void **state)
{
	struct vp_cfn_result res;
	json_t *a;
	(void)state;

	register_one();
	invitations(NULL, NULL);
	described("pendingAcceptance"); /* an earlier try's */
	described("pendingAcceptance");
	a = send_request("Create", VP_CFN_CONFIRMATION_TYPE, NULL, tgw_props("1"), &res);
	assert_true(res.success);
	assert_contains(res.reason, "this VPC's earlier attachment");
	assert_int_equal(asked("/acceptresourceshareinvitation"), 0);
	assert_int_equal(asked("Action=CreateTransitGatewayVpcAttachment"), 0);
	assert_int_equal(confirms(), 1);
	json_decref(a);
}

/* An invitation to another share (a lure) is never accepted. */
static void test_other_share_invitation_not_accepted(void **state)
{
	struct vp_cfn_result res;
	json_t *a;
	(void)state;

	register_one();
	invitations("arn:aws:ram:us-east-1:333333333333:resource-share/evil", "PENDING");
	described("pendingAcceptance");
	described("pendingAcceptance");
	a = send_request("Create", VP_CFN_CONFIRMATION_TYPE, NULL, tgw_props("1"), &res);
	assert_true(res.success);
	assert_int_equal(asked("/acceptresourceshareinvitation"), 0);
	json_decref(a);
}

static void test_invitations_refused_names_permission(void **state)
{
	struct vp_cfn_result res;
	json_t *a;
	(void)state;

	register_one();
	refused("/getresourceshareinvitations", 403, "AccessDeniedException");
	a = send_request("Create", VP_CFN_CONFIRMATION_TYPE, NULL, tgw_props("1"), &res);
	assert_false(res.success);
	assert_contains(res.reason, "ram:GetResourceShareInvitations");
	assert_int_equal(asked("Action=CreateTransitGatewayVpcAttachment"), 0);
	assert_int_equal(confirms(), 0);
	json_decref(a);
}

static void test_accept_refused_names_permission(void **state)
{
	struct vp_cfn_result res;
	json_t *a;
	(void)state;

	register_one();
	invitations(FAKE_SHARE_ARN, "PENDING");
	refused("/acceptresourceshareinvitation", 403, "AccessDeniedException");
	a = send_request("Create", VP_CFN_CONFIRMATION_TYPE, NULL, tgw_props("1"), &res);
	assert_false(res.success);
	assert_contains(res.reason, "ram:AcceptResourceShareInvitation");
	assert_contains(res.reason, INV);
	assert_int_equal(asked("Action=CreateTransitGatewayVpcAttachment"), 0);
	assert_int_equal(confirms(), 0);
	json_decref(a);
}

static void test_describe_refused_names_permission(void **state)
{
	struct vp_cfn_result res;
	json_t *a;
	(void)state;

	register_one();
	invitations(NULL, NULL);
	refused("/", 403, "UnauthorizedOperation");
	a = send_request("Create", VP_CFN_CONFIRMATION_TYPE, NULL, tgw_props("1"), &res);
	assert_false(res.success);
	assert_contains(res.reason, "ec2:DescribeTransitGatewayVpcAttachments");
	assert_int_equal(confirms(), 0);
	json_decref(a);
}

static void test_create_refused_names_permission(void **state)
{
	struct vp_cfn_result res;
	json_t *a;
	(void)state;

	register_one();
	invitations(NULL, NULL);
	described(NULL);
	refused("/", 403, "UnauthorizedOperation");
	a = send_request("Create", VP_CFN_CONFIRMATION_TYPE, NULL, tgw_props("1"), &res);
	assert_false(res.success);
	assert_contains(res.reason, "ec2:CreateTransitGatewayVpcAttachment");
	assert_contains(res.reason, VPC);
	assert_int_equal(confirms(), 0);
	json_decref(a);
}

/* The gateway not shared with this account: the reason says what the share must hold. */
static void test_gateway_not_visible(void **state)
{
	struct vp_cfn_result res;
	json_t *a;
	(void)state;

	register_one();
	invitations(NULL, NULL);
	described(NULL);
	refused("/", 400, "InvalidTransitGatewayID.NotFound");
	a = send_request("Create", VP_CFN_CONFIRMATION_TYPE, NULL, tgw_props("1"), &res);
	assert_false(res.success);
	assert_contains(res.reason, "not visible to this account");
	assert_contains(res.reason, FAKE_SHARE_ARN);
	json_decref(a);
}

/* The broker refuses: the attachment made for it is deleted again (nothing left behind). */
static void test_refused_confirmation_deletes_attachment(void **state)
{
	struct vp_cfn_result res;
	json_t *a;
	(void)state;

	register_one();
	invitations(NULL, NULL);
	described(NULL);
	wrote("CreateTransitGatewayVpcAttachment", "pending");
	described("pendingAcceptance");
	wrote("DeleteTransitGatewayVpcAttachment", "deleting");
	fake_broker_refuse(fake, 409,
			   "{\"error\":{\"code\":\"conflict\",\"message\":\"attachment " ATT
			   " is not this account's\"}}");
	a = send_request("Create", VP_CFN_CONFIRMATION_TYPE, NULL, tgw_props("1"), &res);
	assert_false(res.success);
	assert_contains(res.reason, "409 conflict");
	assert_contains(res.reason, "attachment " ATT " deleted");
	assert_int_equal(asked("Action=DeleteTransitGatewayVpcAttachment"), 1);
	assert_contains(stub_request_at(aws, stub_request_count(aws) - 1).body,
			"TransitGatewayAttachmentId=" ATT);
	json_decref(a);
}

static void test_delete_deletes_attachment(void **state)
{
	struct vp_cfn_result res;
	json_t *a;
	(void)state;

	wrote("DeleteTransitGatewayVpcAttachment", "deleting");
	described("deleted");
	a = send_request("Delete", VP_CFN_CONFIRMATION_TYPE, "vpcpeer-tgw-1-" ATT, tgw_props("1"),
			 &res);
	assert_true(res.success);
	assert_string_equal(res.physical_id, "vpcpeer-tgw-1-" ATT);
	assert_contains(res.reason, "attachment " ATT " deleted");
	assert_int_equal(asked("Action=DeleteTransitGatewayVpcAttachment"), 1);
	json_decref(a);

	/* Gone already (the broker's release, or a retry): done. */
	stub_reset(aws);
	refused("/", 400, "InvalidTransitGatewayAttachmentID.NotFound");
	described(NULL);
	a = send_request("Delete", VP_CFN_CONFIRMATION_TYPE, "vpcpeer-tgw-1-" ATT, tgw_props("1"),
			 &res);
	assert_true(res.success);
	json_decref(a);

	/* Refused: FAILED naming the permission. */
	stub_reset(aws);
	refused("/", 403, "UnauthorizedOperation");
	a = send_request("Delete", VP_CFN_CONFIRMATION_TYPE, "vpcpeer-tgw-1-" ATT, tgw_props("1"),
			 &res);
	assert_false(res.success);
	assert_contains(res.reason, "ec2:DeleteTransitGatewayVpcAttachment");
	json_decref(a);
}

/* A stack built for peering against a transit-gateway broker: refused and released. */
static void test_attach_mode_mismatch_refused(void **state)
{
	struct vp_cfn_result res;
	json_t *a;
	(void)state;

	a = send_request("Create", VP_CFN_REGISTRATION_TYPE, NULL,
			 json_pack("{ss ss}", "BrokerUrl", fake_url(fake), "AttachMode", "peering"),
			 &res);
	assert_false(res.success);
	assert_contains(res.reason, "set the stack's AttachMode parameter to transit-gateway");
	assert_contains(res.reason, "namespace 1 released");
	json_decref(a);

	/* And the other way round. */
	fake_reset(fake);
	a = send_request(
		"Create", VP_CFN_REGISTRATION_TYPE, NULL,
		json_pack("{ss ss}", "BrokerUrl", fake_url(fake), "AttachMode", "transit-gateway"),
		&res);
	assert_false(res.success);
	assert_contains(res.reason, "AttachMode parameter to peering");
	json_decref(a);
}

static void test_properties_named(void **state)
{
	struct vp_cfn_result res;
	json_t *a, *p;
	(void)state;

	p = tgw_props("1");
	json_object_del(p, "SubnetIds");
	a = send_request("Create", VP_CFN_CONFIRMATION_TYPE, NULL, p, &res);
	assert_false(res.success);
	assert_contains(res.reason, "property SubnetIds is required");
	json_decref(a);

	p = tgw_props("1");
	json_object_set_new(p, "TransitGatewayId", json_string("vpc-0123abcd"));
	a = send_request("Create", VP_CFN_CONFIRMATION_TYPE, NULL, p, &res);
	assert_false(res.success);
	assert_contains(res.reason, "property TransitGatewayId");
	json_decref(a);

	p = tgw_props("1");
	json_object_set_new(p, "SubnetIds", json_pack("[s]", "subnet-zz"));
	a = send_request("Create", VP_CFN_CONFIRMATION_TYPE, NULL, p, &res);
	assert_false(res.success);
	assert_contains(res.reason, "property SubnetIds");
	json_decref(a);
	assert_int_equal(stub_request_count(aws), 0); /* nothing asked of AWS */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_outside_organization, setup),
		cmocka_unit_test_setup(test_inside_organization_retry_reuses, setup),
		cmocka_unit_test_setup(test_other_share_invitation_not_accepted, setup),
		cmocka_unit_test_setup(test_invitations_refused_names_permission, setup),
		cmocka_unit_test_setup(test_accept_refused_names_permission, setup),
		cmocka_unit_test_setup(test_describe_refused_names_permission, setup),
		cmocka_unit_test_setup(test_create_refused_names_permission, setup),
		cmocka_unit_test_setup(test_gateway_not_visible, setup),
		cmocka_unit_test_setup(test_refused_confirmation_deletes_attachment, setup),
		cmocka_unit_test_setup(test_delete_deletes_attachment, setup),
		cmocka_unit_test_setup(test_attach_mode_mismatch_refused, setup),
		cmocka_unit_test_setup(test_properties_named, setup),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
