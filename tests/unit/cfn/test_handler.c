/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The custom-resource handler against loopback stand-ins (fake.c): a broker,
 * CloudFormation's ResponseURL. Each test sends one or a few requests and
 * checks the answer CloudFormation got and the broker calls made.
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

#include "cfn/handler.h"
#include "cfn/probe_mode.h"
#include "cfn/response.h"
#include "fake.h"

#define STACK_ID                                                                                   \
	"arn:aws:cloudformation:us-east-1:222222222222:stack/client-a/"                            \
	"0f1e2d3c-aaaa-bbbb-cccc-111122223333"

static struct vp_cfn_handler_config cfg;
static int request_counter;

static int setup(void **state)
{
	(void)state;
	fake_reset(fake);
	memset(&cfg, 0, sizeof(cfg));
	cfg.aws = fake_aws;
	cfg.broker_url = fake_url(fake); /* pinned, as templates/client.yaml does */
	cfg.put_retry_delay_ms = 10;
	cfg.health_timeout_ms = 300;
	cfg.invoke_retry_delay_ms = 10;
	return 0;
}

/* A request; takes `props` (NULL: none). The ResponseURL points at the fake. */
static char *make_event(const char *type, const char *resource, const char *physical_id,
			json_t *props)
{
	char url[256], request_id[64];
	json_t *ev;
	char *text;

	request_counter++;
	snprintf(url, sizeof(url), "%s/cfn/response-%d?X-Amz-Signature=secret", fake_url(fake),
		 request_counter);
	snprintf(request_id, sizeof(request_id), "req-%d", request_counter);
	ev = json_pack("{ss ss ss ss ss ss ss}", "RequestType", type, "ServiceToken",
		       "arn:aws:lambda:us-east-1:222222222222:function:handler", "ResponseURL", url,
		       "StackId", STACK_ID, "RequestId", request_id, "ResourceType", resource,
		       "LogicalResourceId",
		       strcmp(resource, VP_CFN_CONFIRMATION_TYPE) == 0 ? "Confirmation"
								       : "Registration");
	if (physical_id)
		json_object_set_new(ev, "PhysicalResourceId", json_string(physical_id));
	if (props) {
		json_object_set_new(
			props, "ServiceToken",
			json_string("arn:aws:lambda:us-east-1:222222222222:function:h"));
		json_object_set_new(props, "ServiceTimeout", json_string("300"));
		json_object_set_new(ev, "ResourceProperties", props);
	}
	text = json_dumps(ev, JSON_COMPACT);
	json_decref(ev);
	return text;
}

static json_t *registration_props(void)
{
	return json_pack("{ss}", "BrokerUrl", fake_url(fake));
}

static json_t *confirmation_props(const char *n)
{
	return json_pack("{ss ss ss ss}", "BrokerUrl", fake_url(fake), "NamespaceId", n,
			 "VpcPeeringConnectionId", "pcx-0123456789abcdef0", "VpcId",
			 "vpc-0a1b2c3d4e5f60718");
}

/* Send a request; it must be answered. Returns the answer CloudFormation got (caller decrefs). */
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
	assert_true(res->answered);
	assert_int_equal(fake_put_count(fake), puts_before + 1);
	put = fake_put_at(fake, puts_before);
	/* What a pre-signed S3 URL accepts: a PUT, an empty Content-Type, a Content-Length. */
	assert_string_equal(put.method, "PUT");
	assert_true(put.has_content_type);
	assert_string_equal(put.content_type, "");
	assert_true(put.len <= VP_CFN_RESPONSE_MAX);
	assert_int_equal(strtoul(put.content_length, NULL, 10), put.len);
	answer = json_loadb(put.body, put.len, 0, NULL);
	assert_non_null(answer);
	assert_string_equal(json_string_value(json_object_get(answer, "StackId")), STACK_ID);
	assert_non_null(json_string_value(json_object_get(answer, "RequestId")));
	assert_true(json_is_false(json_object_get(answer, "NoEcho")));
	assert_string_equal(json_string_value(json_object_get(answer, "PhysicalResourceId")),
			    res->physical_id);
	assert_string_equal(json_string_value(json_object_get(answer, "Status")),
			    res->success ? "SUCCESS" : "FAILED");
	return answer;
}

static const char *data_of(json_t *answer, const char *key)
{
	return json_string_value(json_object_get(json_object_get(answer, "Data"), key));
}

static const char *reason_of(json_t *answer)
{
	return json_string_value(json_object_get(answer, "Reason"));
}

static void assert_contains(const char *haystack, const char *needle)
{
	if (!haystack || !strstr(haystack, needle))
		fail_msg("'%s' does not contain '%s'", haystack ? haystack : "(null)", needle);
}

static void test_registration_create(void **state)
{
	static const char *const keys[] = {
		"NamespaceId",      "VpcCidrBlock",     "SubnetACidrBlock", "SubnetBCidrBlock",
		"SubnetCCidrBlock", "SubnetDCidrBlock", "PeerVpcId",        "PeerOwnerId",
		"PeerRoleArn",      "PeerRegion",       "PeerCidrBlock",
	};
	struct vp_cfn_result res;
	struct fake_call call;
	json_t *a, *body;

	(void)state;
	a = send_request("Create", VP_CFN_REGISTRATION_TYPE, NULL, registration_props(), &res);
	assert_true(res.success);
	assert_int_equal(res.namespace_id, 1);
	assert_int_equal(strncmp(res.physical_id, "vpcpeer-ns-1-", 13), 0);
	assert_int_equal(strlen(res.physical_id), 13 + 16);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!data_of(a, keys[i]))
			fail_msg("Data has no string %s", keys[i]);
	assert_string_equal(data_of(a, "NamespaceId"), "1");
	assert_string_equal(data_of(a, "VpcCidrBlock"), "10.0.4.0/22");
	assert_string_equal(data_of(a, "SubnetDCidrBlock"), "10.0.7.0/24");
	assert_string_equal(data_of(a, "PeerCidrBlock"), "10.0.0.0/22");
	assert_string_equal(data_of(a, "PeerRoleArn"),
			    "arn:aws:iam::111111111111:role/vpcpeer-peer-1");
	json_decref(a);

	/* One call, with a proof and the default client reference. */
	assert_int_equal(fake_broker_call_count(fake), 1);
	call = fake_broker_call_at(fake, 0);
	assert_string_equal(call.method, "POST");
	assert_string_equal(call.path, "/v1/namespaces");
	assert_true(call.proof);
	body = json_loads(call.body, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(body, "client_ref")),
			    STACK_ID "/Registration");
	json_decref(body);
}

/* A Create of a registration whose stack says PeeringAccepter `stack` (the answer: decref it). */
static json_t *create_for_mode(const char *stack, struct vp_cfn_result *res)
{
	json_t *props = registration_props();

	json_object_set_new(props, "PeeringAccepter", json_string(stack));
	return send_request("Create", VP_CFN_REGISTRATION_TYPE, NULL, props, res);
}

/* The same against a fresh fake broker in mode `broker`. */
static json_t *create_in_modes(const char *broker, const char *stack, struct vp_cfn_result *res)
{
	fake_reset(fake);
	fake_broker_set_accepter(fake, broker);
	return create_for_mode(stack, res);
}

/* The broker's mode and the stack's: PeerRoleArn "" in broker mode, a mismatch named and undone. */
static void test_registration_peering_accepter(void **state)
{
	struct vp_cfn_result res;
	struct fake_call call;
	json_t *a;

	(void)state;
	/* An older broker answers no mode: the property decides (none: peer-role). */
	a = send_request("Create", VP_CFN_REGISTRATION_TYPE, NULL, registration_props(), &res);
	assert_true(res.success);
	assert_string_equal(data_of(a, "PeeringAccepter"), "peer-role");
	json_decref(a);

	/* Broker mode, both agree: no role, and PeerRoleArn stays defined for Fn::GetAtt. */
	a = create_in_modes("broker", "broker", &res);
	assert_true(res.success);
	assert_string_equal(data_of(a, "PeeringAccepter"), "broker");
	assert_string_equal(data_of(a, "PeerRoleArn"), "");
	json_decref(a);

	/* A stack for peer-role against a broker-mode broker: FAILED naming both, released. */
	a = create_in_modes("broker", "peer-role", &res);
	assert_false(res.success);
	assert_non_null(strstr(res.reason, "PeeringAccepter peer-role"));
	assert_non_null(strstr(res.reason, "--peering-accepter broker"));
	assert_non_null(strstr(res.reason, "namespace 1 released"));
	assert_int_equal(strncmp(res.physical_id, "vpcpeer-failed-", 15), 0);
	json_decref(a);
	assert_int_equal(fake_broker_call_count(fake), 2);
	call = fake_broker_call_at(fake, 1);
	assert_string_equal(call.method, "DELETE");
	assert_string_equal(call.path, "/v1/namespaces/1");

	/* The other way round; and a replay (200) of the same mismatch releases nothing. */
	json_decref(create_in_modes("peer-role", "broker", &res));
	assert_false(res.success);
	assert_non_null(strstr(res.reason, "--peering-accepter peer-role"));
	fake_broker_set_state(fake, 1, "pending");
	json_decref(create_for_mode("broker", &res));
	assert_false(res.success);
	assert_null(strstr(res.reason, "released"));
	assert_int_equal(fake_broker_call_count(fake), 3);
}

static void test_registration_update_keeps_physical_id(void **state)
{
	struct vp_cfn_result created, updated;
	json_t *a;

	(void)state;
	json_decref(send_request("Create", VP_CFN_REGISTRATION_TYPE, NULL, registration_props(),
				 &created));
	assert_true(created.success);
	a = send_request("Update", VP_CFN_REGISTRATION_TYPE, created.physical_id,
			 registration_props(), &updated);
	assert_true(updated.success);
	assert_string_equal(updated.physical_id, created.physical_id);
	assert_string_equal(data_of(a, "NamespaceId"), "1");
	json_decref(a);
}

static void test_registration_update_new_client_ref_replaces(void **state)
{
	struct vp_cfn_result created, updated;
	json_t *props = registration_props();

	(void)state;
	json_decref(send_request("Create", VP_CFN_REGISTRATION_TYPE, NULL, registration_props(),
				 &created));
	json_object_set_new(props, "ClientRef", json_string("team-a/app"));
	json_decref(send_request("Update", VP_CFN_REGISTRATION_TYPE, created.physical_id, props,
				 &updated));
	assert_true(updated.success);
	assert_int_equal(updated.namespace_id, 2);
	/* A new id: CloudFormation then deletes the old one, which releases namespace 1. */
	assert_string_not_equal(updated.physical_id, created.physical_id);
}

static void test_registration_delete_releases(void **state)
{
	struct vp_cfn_result created, deleted, again;
	struct fake_call call;
	size_t calls;

	(void)state;
	json_decref(send_request("Create", VP_CFN_REGISTRATION_TYPE, NULL, registration_props(),
				 &created));
	json_decref(send_request("Delete", VP_CFN_REGISTRATION_TYPE, created.physical_id,
				 registration_props(), &deleted));
	assert_true(deleted.success);
	assert_string_equal(deleted.physical_id, created.physical_id);
	assert_int_equal(fake_broker_call_count(fake), 3);
	call = fake_broker_call_at(fake, 1);
	assert_string_equal(call.method, "GET");
	assert_string_equal(call.path, "/v1/namespaces/1");
	call = fake_broker_call_at(fake, 2);
	assert_string_equal(call.method, "DELETE");
	/* named by its client reference: n cannot change hands between the GET and this */
	assert_string_equal(call.path, "/v1/namespaces/1?client_ref=" STACK_ID "/Registration");

	/* Again (Lambda's retry): already released, nothing more is deleted. */
	calls = fake_broker_call_count(fake);
	json_decref(send_request("Delete", VP_CFN_REGISTRATION_TYPE, created.physical_id,
				 registration_props(), &again));
	assert_true(again.success);
	assert_int_equal(fake_broker_call_count(fake), calls + 1);
}

static void test_registration_delete_of_unknown_namespace_succeeds(void **state)
{
	struct vp_cfn_result res;
	char id[VP_CFN_PHYSICAL_ID_MAX + 1];
	json_t *a;

	(void)state;
	vp_cfn_registration_id(42, fake_hostport(fake), STACK_ID "/Registration", id);
	a = send_request("Delete", VP_CFN_REGISTRATION_TYPE, id, registration_props(), &res);
	assert_true(res.success);
	assert_contains(reason_of(a), "already gone");
	json_decref(a);
	/* A broker that answers 404 to the release itself too. */
	fake_broker_refuse(fake, 404, "{\"error\":{\"code\":\"not_found\",\"message\":\"gone\"}}");
	json_decref(
		send_request("Delete", VP_CFN_REGISTRATION_TYPE, id, registration_props(), &res));
	assert_true(res.success);
}

static void test_registration_delete_of_reused_number_touches_nothing(void **state)
{
	struct vp_cfn_result created, deleted;
	size_t calls;

	(void)state;
	json_decref(send_request("Create", VP_CFN_REGISTRATION_TYPE, NULL, registration_props(),
				 &created));
	fake_broker_set_client_ref(fake, 1, "another-stack/Registration");
	calls = fake_broker_call_count(fake);
	json_decref(send_request("Delete", VP_CFN_REGISTRATION_TYPE, created.physical_id,
				 registration_props(), &deleted));
	assert_true(deleted.success);
	assert_int_equal(fake_broker_call_count(fake), calls + 1); /* the GET only */
}

static void test_rollback_of_failed_create_touches_nothing(void **state)
{
	struct vp_cfn_result created, deleted;
	json_t *a;

	(void)state;
	a = send_request("Create", VP_CFN_REGISTRATION_TYPE, NULL, json_object(), &created);
	assert_false(created.success);
	assert_contains(reason_of(a), "BrokerUrl");
	assert_int_equal(strncmp(created.physical_id, "vpcpeer-failed-req-", 19), 0);
	json_decref(a);
	json_decref(send_request("Delete", VP_CFN_REGISTRATION_TYPE, created.physical_id,
				 json_object(), &deleted));
	assert_true(deleted.success);
	assert_string_equal(deleted.physical_id, created.physical_id);

	/* The same for a confirmation whose Create failed at the broker. */
	fake_broker_refuse(fake, 409,
			   "{\"error\":{\"code\":\"conflict\",\"message\":\"peering "
			   "pcx-0123456789abcdef0 is not active\"}}");
	a = send_request("Create", VP_CFN_CONFIRMATION_TYPE, NULL, confirmation_props("1"),
			 &created);
	assert_false(created.success);
	assert_contains(reason_of(a), "409 conflict: peering pcx-0123456789abcdef0 is not active");
	json_decref(a);
	json_decref(send_request("Delete", VP_CFN_CONFIRMATION_TYPE, created.physical_id,
				 confirmation_props("1"), &deleted));
	assert_true(deleted.success);
	assert_int_equal(fake_broker_call_count(fake), 1);
}

static void test_missing_or_malformed_properties_are_named(void **state)
{
	static const struct {
		const char *resource, *json, *named;
	} cases[] = {
		{VP_CFN_REGISTRATION_TYPE, "{}", "property BrokerUrl is required"},
		{VP_CFN_REGISTRATION_TYPE, "{\"BrokerUrl\": \"\"}",
		 "property BrokerUrl is required"},
		{VP_CFN_REGISTRATION_TYPE, "{\"BrokerUrl\": \"ftp://broker\"}",
		 "property BrokerUrl"},
		{VP_CFN_REGISTRATION_TYPE, "{\"BrokerUrl\": 7}",
		 "property BrokerUrl must be a string"},
		{VP_CFN_REGISTRATION_TYPE, "{\"BrokerUrl\": \"http://broker.example.com\"}",
		 "property BrokerUrl"}, /* plain http off loopback */
		{VP_CFN_REGISTRATION_TYPE, "{\"BrokerUrl\": \"https://b\", \"ServerId\": [1]}",
		 "property ServerId"},
		{VP_CFN_REGISTRATION_TYPE,
		 "{\"BrokerUrl\": \"https://b\", \"ClientRef\": \"a\\tb\"}", "property ClientRef"},
		{VP_CFN_CONFIRMATION_TYPE, "{\"BrokerUrl\": \"https://b\"}",
		 "property NamespaceId is required"},
		{VP_CFN_CONFIRMATION_TYPE,
		 "{\"BrokerUrl\": \"https://b\", \"NamespaceId\": \"07\"}", "property NamespaceId"},
		{VP_CFN_CONFIRMATION_TYPE,
		 "{\"BrokerUrl\": \"https://b\", \"NamespaceId\": \"-1\"}", "property NamespaceId"},
		{VP_CFN_CONFIRMATION_TYPE, "{\"BrokerUrl\": \"https://b\", \"NamespaceId\": \"3\"}",
		 "property VpcPeeringConnectionId is required"},
		{VP_CFN_CONFIRMATION_TYPE,
		 "{\"BrokerUrl\": \"https://b\", \"NamespaceId\": \"3\", "
		 "\"VpcPeeringConnectionId\": \"pcx-xyz\"}",
		 "property VpcPeeringConnectionId"},
		{VP_CFN_CONFIRMATION_TYPE,
		 "{\"BrokerUrl\": \"https://b\", \"NamespaceId\": \"3\", "
		 "\"VpcPeeringConnectionId\": \"pcx-01234567\"}",
		 "property VpcId is required"},
		{VP_CFN_CONFIRMATION_TYPE,
		 "{\"BrokerUrl\": \"https://b\", \"NamespaceId\": \"3\", "
		 "\"VpcPeeringConnectionId\": \"pcx-01234567\", \"VpcId\": \"subnet-01234567\"}",
		 "property VpcId"},
		{VP_CFN_CONFIRMATION_TYPE,
		 "{\"BrokerUrl\": \"https://b\", \"NamespaceId\": \"3\", "
		 "\"VpcPeeringConnectionId\": \"pcx-01234567\", \"VpcId\": \"vpc-01234567\", "
		 "\"HealthCheck\": \"hub-only\"}",
		 "property HealthCheck"},
		{VP_CFN_CONFIRMATION_TYPE,
		 "{\"BrokerUrl\": \"https://b\", \"NamespaceId\": \"3\", "
		 "\"VpcPeeringConnectionId\": \"pcx-01234567\", \"VpcId\": \"vpc-01234567\", "
		 "\"HealthCheck\": \"10.0.0.10:70000\"}",
		 "property HealthCheck"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vp_cfn_result res;
		json_t *props = json_loads(cases[i].json, 0, NULL), *a;
		assert_non_null(props);
		a = send_request("Create", cases[i].resource, NULL, props, &res);
		assert_false(res.success);
		assert_contains(reason_of(a), cases[i].named);
		json_decref(a);
	}
	assert_int_equal(fake_broker_call_count(fake), 0);
}

static void test_confirmation(void **state)
{
	struct vp_cfn_result reg, conf, upd, del;
	struct fake_call call;
	size_t calls;
	json_t *a, *body, *props;

	(void)state;
	json_decref(
		send_request("Create", VP_CFN_REGISTRATION_TYPE, NULL, registration_props(), &reg));
	props = confirmation_props("1");
	/* The fake itself listens: a health check that passes. */
	json_object_set_new(props, "HealthCheck", json_string(fake_hostport(fake)));
	json_object_set_new(props, "ProbeFunction", json_string("client-a-ProbeFunction-1"));
	a = send_request("Create", VP_CFN_CONFIRMATION_TYPE, NULL, props, &conf);
	assert_true(conf.success);
	assert_string_equal(conf.physical_id, "vpcpeer-confirm-1");
	assert_string_equal(data_of(a, "State"), "active");
	assert_contains(reason_of(a), "health check passed");
	json_decref(a);
	call = fake_broker_call_at(fake, 1);
	assert_string_equal(call.method, "POST");
	assert_string_equal(call.path, "/v1/namespaces/1/confirm");
	assert_true(call.proof);
	body = json_loads(call.body, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(body, "vpc_peering_connection_id")),
			    "pcx-0123456789abcdef0");
	assert_string_equal(json_string_value(json_object_get(body, "vpc_id")),
			    "vpc-0a1b2c3d4e5f60718");
	json_decref(body);

	/* Update confirms again under the same id; Delete touches nothing. */
	json_decref(send_request("Update", VP_CFN_CONFIRMATION_TYPE, conf.physical_id,
				 confirmation_props("1"), &upd));
	assert_true(upd.success);
	assert_string_equal(upd.physical_id, conf.physical_id);
	calls = fake_broker_call_count(fake);
	json_decref(send_request("Delete", VP_CFN_CONFIRMATION_TYPE, conf.physical_id,
				 confirmation_props("1"), &del));
	assert_true(del.success);
	assert_int_equal(fake_broker_call_count(fake), calls);
}

/* A 503 "in progress" from confirm (issue 22) is tried again after its Retry-After, within the
 * deadline; a 409 is not. */
static void test_confirmation_in_progress_tried_again(void **state)
{
	struct vp_cfn_result reg, conf;
	json_t *a;

	(void)state;
	json_decref(
		send_request("Create", VP_CFN_REGISTRATION_TYPE, NULL, registration_props(), &reg));
	fake_broker_refuse_next(
		fake, 1, 503,
		"{\"error\":{\"code\":\"unavailable\",\"message\":\"in progress: "
		"peering pcx-0123456789abcdef0 was accepted and is provisioning\"}}");
	a = send_request("Create", VP_CFN_CONFIRMATION_TYPE, NULL, confirmation_props("1"), &conf);
	assert_true(conf.success);
	assert_string_equal(data_of(a, "State"), "active");
	json_decref(a);
	assert_int_equal(fake_broker_call_count(fake), 3);
	assert_string_equal(fake_broker_call_at(fake, 2).path, "/v1/namespaces/1/confirm");

	fake_broker_refuse_next(fake, 1, 409,
				"{\"error\":{\"code\":\"conflict\",\"message\":\"no\"}}");
	a = send_request("Create", VP_CFN_CONFIRMATION_TYPE, NULL, confirmation_props("1"), &conf);
	assert_false(conf.success);
	json_decref(a);
	assert_int_equal(fake_broker_call_count(fake), 4);
}

/* The hub's hosted zone (handler_zone.c): associate from this account, confirm again, and
 * disassociate before the release; no zone, no Route 53 call. */
static void test_confirmation_associates_with_hosted_zone(void **state)
{
	struct vp_cfn_result reg, conf, del;
	struct fake_call call;
	json_t *a;

	(void)state;
	json_decref(
		send_request("Create", VP_CFN_REGISTRATION_TYPE, NULL, registration_props(), &reg));
	a = send_request("Create", VP_CFN_CONFIRMATION_TYPE, NULL, confirmation_props("1"), &conf);
	assert_true(conf.success);
	assert_string_equal(data_of(a, "HostedZoneId"), "");
	json_decref(a);
	assert_int_equal(fake_route53_call_count(fake), 0);
	assert_int_equal(fake_broker_call_count(fake), 2);

	fake_broker_set_hosted_zone(fake, "Z0HUBZONE1");
	a = send_request("Update", VP_CFN_CONFIRMATION_TYPE, conf.physical_id,
			 confirmation_props("1"), &conf);
	assert_true(conf.success);
	assert_string_equal(data_of(a, "HostedZoneId"), "Z0HUBZONE1");
	json_decref(a);
	assert_int_equal(fake_route53_call_count(fake), 1);
	call = fake_route53_call_at(fake, 0);
	assert_string_equal(call.method, "POST");
	assert_string_equal(call.path, "/2013-04-01/hostedzone/Z0HUBZONE1/associatevpc");
	assert_contains(call.body, "<VPCId>vpc-0a1b2c3d4e5f60718</VPCId>");
	assert_contains(call.body, "<VPCRegion>us-east-1</VPCRegion>");
	/* confirm, then the same confirm again (the broker deletes its authorization) */
	assert_int_equal(fake_broker_call_count(fake), 4);
	call = fake_broker_call_at(fake, 3);
	assert_string_equal(call.method, "POST");
	assert_string_equal(call.path, "/v1/namespaces/1/confirm");

	/* Associated already: the state wanted. */
	fake_route53_fail(fake, 400, "ConflictingDomainExists");
	json_decref(send_request("Update", VP_CFN_CONFIRMATION_TYPE, conf.physical_id,
				 confirmation_props("1"), &conf));
	assert_true(conf.success);
	/* Refused: FAILED, naming the permission, and no second confirm. */
	fake_route53_fail(fake, 401, "NotAuthorizedException");
	a = send_request("Update", VP_CFN_CONFIRMATION_TYPE, conf.physical_id,
			 confirmation_props("1"), &conf);
	assert_false(conf.success);
	assert_contains(reason_of(a), "route53:AssociateVPCWithHostedZone");
	assert_contains(reason_of(a), "Z0HUBZONE1");
	json_decref(a);
	assert_int_equal(fake_broker_call_count(fake), 7);

	/* Delete of the registration: disassociate (best effort, even refused), then release. */
	json_decref(send_request("Delete", VP_CFN_REGISTRATION_TYPE, reg.physical_id,
				 registration_props(), &del));
	assert_true(del.success);
	call = fake_route53_call_at(fake, fake_route53_call_count(fake) - 1);
	assert_string_equal(call.path, "/2013-04-01/hostedzone/Z0HUBZONE1/disassociatevpc");
	call = fake_broker_call_at(fake, fake_broker_call_count(fake) - 1);
	assert_string_equal(call.method, "DELETE");
}

/* A confirmation with a HealthCheck of `targets`, after a registration: its answer. */
static json_t *health_checked(const char *targets, struct vp_cfn_result *conf)
{
	struct vp_cfn_result reg;
	json_t *props;

	json_decref(
		send_request("Create", VP_CFN_REGISTRATION_TYPE, NULL, registration_props(), &reg));
	props = confirmation_props("1");
	json_object_set_new(props, "HealthCheck", json_string(targets));
	json_object_set_new(props, "ProbeFunction",
			    json_string("arn:aws:lambda:us-east-1:222222222222:function:probe-1"));
	return send_request("Create", VP_CFN_CONFIRMATION_TYPE, NULL, props, conf);
}

static void test_confirmation_health_check_failure(void **state)
{
	struct vp_cfn_result conf;
	struct fake_call call;
	char type[32], reached[96];
	json_t *a, *ev;

	(void)state;
	/* Port 1 on loopback: nothing listens there; the fake's own port does. */
	snprintf(reached, sizeof(reached), "%s, 127.0.0.1:1", fake_hostport(fake));
	a = health_checked(reached, &conf);
	assert_false(conf.success);
	assert_contains(reason_of(a), "health check from this VPC failed for 1 target: "
				      "127.0.0.1:1: refused: ");
	assert_int_equal(strncmp(conf.physical_id, "vpcpeer-failed-", 15), 0);
	json_decref(a);
	/* One synchronous invocation of the named function (its ARN's ':' sent as %3A, which
	 * the fake's server decodes), the targets in the event. */
	assert_int_equal(fake_invoke_count(fake), 1);
	call = fake_invoke_at(fake, 0, type);
	assert_string_equal(call.method, "POST");
	assert_string_equal(call.path, "/2015-03-31/functions/"
				       "arn:aws:lambda:us-east-1:222222222222:function:probe-1/"
				       "invocations");
	assert_string_equal(type, "RequestResponse");
	assert_true(call.proof); /* signed (SigV4) */
	ev = json_loads(call.body, 0, NULL);
	assert_non_null(ev);
	assert_int_equal(json_array_size(json_object_get(ev, "targets")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(ev, "targets"), 1)),
			    "127.0.0.1:1");
	assert_true(json_integer_value(json_object_get(ev, "timeout_s")) >= 1);
	json_decref(ev);
}

/* What Lambda answers other than the probe's result becomes FAILED words that say so. */
static void test_confirmation_probe_invoke_errors(void **state)
{
	static const struct {
		int status;
		const char *function_error, *body, *named;
	} cases[] = {
		/* The handler's role may not invoke it (the template allows its own probe only). */
		{403, "AccessDeniedException",
		 "{\"Type\":\"User\",\"message\":\"User: arn:aws:sts::2:assumed-role/h is not "
		 "authorized to perform: lambda:InvokeFunction\"}",
		 "cannot invoke the probe function arn:aws:lambda:us-east-1:222222222222:function:"
		 "probe-1: lambda Invoke: AccessDeniedException"},
		{404, "ResourceNotFoundException",
		 "{\"Type\":\"User\",\"message\":\"Function not found\"}",
		 "ResourceNotFoundException"},
		/* It ran and failed: Lambda's 200 with X-Amz-Function-Error. */
		{200, "Unhandled",
		 "{\"errorType\":\"Runtime.ExitError\",\"errorMessage\":\"RequestId: r Error: "
		 "Runtime exited\"}",
		 "failed (Unhandled): Runtime.ExitError: RequestId: r Error: Runtime exited"},
		/* Lambda's own failure: not retried (the function may have run already, and a
		 * second wait would pass the handler's deadline). */
		{500, "ServiceException", "{\"Type\":\"Service\",\"message\":\"internal\"}",
		 "ServiceException"},
		/* Another function's answer. */
		{200, "", "{\"Status\":\"SUCCESS\"}", "answered no probe result"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vp_cfn_result conf;
		json_t *a;

		setup(NULL);
		fake_invoke_answer(fake, cases[i].status, cases[i].function_error, cases[i].body);
		a = health_checked("10.0.0.5:443", &conf);
		assert_false(conf.success);
		assert_contains(reason_of(a), cases[i].named);
		/* Only a denial is tried again (IAM's propagation), 4 times in all. */
		assert_int_equal(fake_invoke_count(fake), cases[i].status == 403 ? 4 : 1);
		json_decref(a);
	}
}

/* The probe mode itself: the event checked, the answer the probe's JSON. */
static void test_probe_mode_events(void **state)
{
	static const struct {
		const char *event, *named;
	} bad[] = {
		{"[]", "JSON object"},
		{"{\"targets\": []}", "1 to 64"},
		{"{\"targets\": [\"10.0.0.5\"]}", "target 1"},
		{"{\"targets\": [5]}", "not a string"},
		{"{\"targets\": [\"10.0.0.5:1\"], \"timeout_s\": 0}", "timeout_s"},
		{"{\"targets\": [\"10.0.0.5:1\"], \"timeout_s\": 1.5}", "timeout_s"},
		{"{\"targets\": [\"10.0.0.5:1\"], \"extra\": 1}", "unknown key 'extra'"},
	};
	struct vp_cfn_probe_config pcfg = {0};
	struct vp_lambda_invocation inv;
	struct vp_error err;
	struct vp_buf out;
	char type[64], event[128];
	json_t *doc, *t;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		vp_lambda_invocation_init(&inv);
		vp_buf_init(&out, 1 << 20);
		assert_int_equal(vp_buf_appends(&inv.event, bad[i].event), VP_OK);
		assert_int_equal(
			vp_cfn_probe_lambda_handler(&pcfg, &inv, &out, type, sizeof(type), &err),
			VP_ERR_INVALID);
		assert_string_equal(type, "InvalidEvent");
		assert_contains(err.message, bad[i].named);
		vp_buf_cleanup(&out);
		vp_lambda_invocation_cleanup(&inv);
	}
	/* A target that answers and one that refuses, with a 1 s bound. */
	snprintf(event, sizeof(event), "{\"targets\": [\"%s\", \"127.0.0.1:1\"], \"timeout_s\": 1}",
		 fake_hostport(fake));
	vp_lambda_invocation_init(&inv);
	vp_buf_init(&out, 1 << 20);
	assert_int_equal(vp_buf_appends(&inv.event, event), VP_OK);
	if (vp_cfn_probe_lambda_handler(&pcfg, &inv, &out, type, sizeof(type), &err) != VP_OK)
		fail_msg("%s", err.message);
	doc = json_loadb(out.data, out.len, 0, NULL);
	assert_non_null(doc);
	assert_true(json_is_false(json_object_get(doc, "Reached")));
	t = json_array_get(json_object_get(doc, "Targets"), 0);
	assert_true(json_is_true(json_object_get(t, "Reached")));
	assert_string_equal(json_string_value(json_object_get(t, "Outcome")), "connected");
	t = json_array_get(json_object_get(doc, "Targets"), 1);
	assert_string_equal(json_string_value(json_object_get(t, "Target")), "127.0.0.1:1");
	assert_string_equal(json_string_value(json_object_get(t, "Outcome")), "refused");
	json_decref(doc);
	vp_buf_cleanup(&out);
	vp_lambda_invocation_cleanup(&inv);
}

static void test_broker_refusal_is_actionable(void **state)
{
	struct vp_cfn_result res;
	json_t *a;

	(void)state;
	fake_broker_refuse(fake, 403,
			   "{\"error\":{\"code\":\"forbidden\",\"message\":\"account 222222222222 "
			   "is not allowed\"}}");
	a = send_request("Create", VP_CFN_REGISTRATION_TYPE, NULL, registration_props(), &res);
	assert_false(res.success);
	assert_contains(reason_of(a), "broker refused the registration: 403 forbidden: account "
				      "222222222222 is not allowed; ask the hub operator to add "
				      "this account with --allow-account");
	assert_null(json_object_get(json_object_get(a, "Data"), "NamespaceId"));
	json_decref(a);

	/* An Update that fails keeps the resource's id (no replacement). */
	a = send_request("Update", VP_CFN_REGISTRATION_TYPE, "vpcpeer-ns-9-0123456789abcdef",
			 registration_props(), &res);
	assert_false(res.success);
	assert_string_equal(res.physical_id, "vpcpeer-ns-9-0123456789abcdef");
	json_decref(a);
}

static void test_broker_unreachable(void **state)
{
	struct vp_cfn_result res;
	json_t *a;

	(void)state;
	cfg.broker_url = "http://127.0.0.1:1";
	a = send_request("Create", VP_CFN_REGISTRATION_TYPE, NULL,
			 json_pack("{ss}", "BrokerUrl", "http://127.0.0.1:1"), &res);
	assert_false(res.success);
	assert_contains(reason_of(a), "cannot register with the broker");
	assert_contains(reason_of(a), "check BrokerUrl");
	json_decref(a);
}

/*
 * Attack (issue 14): an event names another broker (or server id) than the
 * one pinned in the function's configuration, to get a proof signed for it.
 * FAILED with the reason, and no call to any broker.
 */
static void test_event_naming_another_broker_is_refused(void **state)
{
	struct vp_cfn_result res;
	json_t *a;

	(void)state;
	a = send_request("Create", VP_CFN_REGISTRATION_TYPE, NULL,
			 json_pack("{ss}", "BrokerUrl", "https://evil.example.com"), &res);
	assert_false(res.success);
	assert_contains(reason_of(a), "is not the broker this function is pinned to");
	json_decref(a);
	a = send_request("Create", VP_CFN_REGISTRATION_TYPE, NULL,
			 json_pack("{ss ss}", "BrokerUrl", fake_url(fake), "ServerId",
				   "other-broker.example.com:443"),
			 &res);
	assert_false(res.success);
	assert_contains(reason_of(a), "is not the server id this function is pinned to");
	json_decref(a);
	a = send_request("Create", VP_CFN_CONFIRMATION_TYPE, NULL,
			 json_pack("{ss ss ss ss}", "BrokerUrl", "https://evil.example.com",
				   "NamespaceId", "3", "VpcId", "vpc-0123456789abcdef0",
				   "VpcPeeringConnectionId", "pcx-0123456789abcdef0"),
			 &res);
	assert_false(res.success);
	assert_contains(reason_of(a), "pinned");
	json_decref(a);
	/* nothing pinned: nothing signed */
	cfg.broker_url = NULL;
	a = send_request("Create", VP_CFN_REGISTRATION_TYPE, NULL,
			 json_pack("{ss}", "BrokerUrl", fake_url(fake)), &res);
	assert_false(res.success);
	assert_contains(reason_of(a), "no broker pinned");
	json_decref(a);
	assert_int_equal(fake_broker_call_count(fake), 0);
}

/* Plain http only to loopback, decided from the parsed address: 127.evil.example is not. */
static void test_lookalike_loopback_broker_is_refused(void **state)
{
	struct vp_cfn_result res;
	json_t *a;

	(void)state;
	cfg.broker_url = "http://127.evil.example:8080";
	a = send_request("Create", VP_CFN_REGISTRATION_TYPE, NULL,
			 json_pack("{ss}", "BrokerUrl", "http://127.evil.example:8080"), &res);
	assert_false(res.success);
	assert_contains(reason_of(a), "must use https://");
	json_decref(a);
	assert_int_equal(fake_broker_call_count(fake), 0);
}

static void test_released_registration_fails_with_advice(void **state)
{
	struct vp_cfn_result created, updated;
	json_t *a;

	(void)state;
	json_decref(send_request("Create", VP_CFN_REGISTRATION_TYPE, NULL, registration_props(),
				 &created));
	fake_broker_set_state(fake, 1, "released");
	a = send_request("Update", VP_CFN_REGISTRATION_TYPE, created.physical_id,
			 registration_props(), &updated);
	assert_false(updated.success);
	assert_contains(reason_of(a), "is released at the broker; set a new ClientRef");
	json_decref(a);
}

static void test_hanging_broker_is_answered_before_the_deadline(void **state)
{
	struct vp_cfn_result res;
	struct vp_error err;
	struct fake_put put;
	int64_t deadline = vp_cfn_now_ms() + 4000;
	char *text = make_event("Create", VP_CFN_REGISTRATION_TYPE, NULL, registration_props());

	(void)state;
	cfg.reserve_ms = 2000;
	fake_broker_hang(fake, true);
	if (vp_cfn_handle(&cfg, text, strlen(text), deadline, &res, &err) != VP_OK)
		fail_msg("not answered: %s", err.message);
	fake_broker_hang(fake, false);
	free(text);
	assert_false(res.success);
	assert_int_equal(fake_put_count(fake), 1);
	put = fake_put_at(fake, 0);
	assert_true(put.at_ms < deadline);
	assert_non_null(strstr(put.body, "cannot register with the broker"));
}

static void test_no_time_left_is_failed_not_attempted(void **state)
{
	struct vp_cfn_result res;
	struct vp_error err;
	char *text = make_event("Create", VP_CFN_REGISTRATION_TYPE, NULL, registration_props());

	(void)state;
	/* Within the reserve already: the broker is not called, the answer still goes out. */
	if (vp_cfn_handle(&cfg, text, strlen(text), vp_cfn_now_ms() + 1500, &res, &err) != VP_OK)
		fail_msg("not answered: %s", err.message);
	free(text);
	assert_false(res.success);
	assert_non_null(strstr(res.reason, "raise the function's Timeout"));
	assert_int_equal(fake_broker_call_count(fake), 0);
}

static void test_response_put_is_retried(void **state)
{
	struct vp_cfn_result res;
	struct vp_error err;
	char *text;

	(void)state;
	fake_put_fail(fake, 2, 503);
	text = make_event("Create", VP_CFN_REGISTRATION_TYPE, NULL, registration_props());
	assert_int_equal(vp_cfn_handle(&cfg, text, strlen(text), 0, &res, &err), VP_OK);
	free(text);
	assert_true(res.answered);
	assert_true(res.success);
	assert_int_equal(fake_put_count(fake), 3);
	assert_string_equal(fake_put_at(fake, 0).body, fake_put_at(fake, 2).body);

	/* A lost answer (5xx every time) fails the invocation: Lambda's retry may deliver it. */
	fake_reset(fake);
	fake_put_fail(fake, 4, 503);
	text = make_event("Create", VP_CFN_REGISTRATION_TYPE, NULL, registration_props());
	assert_int_equal(vp_cfn_handle(&cfg, text, strlen(text), 0, &res, &err), VP_ERR_IO);
	free(text);
	assert_false(res.answered);
	assert_int_equal(fake_put_count(fake), 4);
}

/* One Lambda invocation of the handler: its result document, or NULL with the error type. */
static json_t *invoke(const char *text, vp_code *rc, char error_type[64])
{
	struct vp_lambda_invocation inv;
	struct vp_error err;
	struct vp_buf out;
	json_t *doc = NULL;

	vp_lambda_invocation_init(&inv);
	vp_buf_init(&out, 4096);
	assert_int_equal(vp_buf_appends(&inv.event, text), VP_OK);
	error_type[0] = '\0';
	*rc = vp_cfn_lambda_handler(&cfg, &inv, &out, error_type, 64, &err);
	if (*rc == VP_OK)
		doc = json_loadb(out.data, out.len, 0, NULL);
	vp_buf_cleanup(&out);
	vp_lambda_invocation_cleanup(&inv);
	return doc;
}

static void test_response_url_refusal_is_final(void **state)
{
	static const int statuses[] = {403, 400, 404, 429};
	char error_type[64];
	json_t *doc;
	vp_code rc;

	(void)state;
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		struct vp_cfn_result res;
		struct vp_error err;
		char *text, status[16];

		/* An expired pre-signed URL (403 AccessDenied) stays one: one PUT, no retry. */
		fake_reset(fake);
		fake_put_fail(fake, 5, statuses[i]);
		text = make_event("Create", VP_CFN_REGISTRATION_TYPE, NULL, registration_props());
		assert_int_equal(vp_cfn_handle(&cfg, text, strlen(text), 0, &res, &err),
				 VP_ERR_FORBIDDEN);
		assert_false(res.answered);
		assert_int_equal(fake_put_count(fake), 1);
		snprintf(status, sizeof(status), "HTTP %d", statuses[i]);
		assert_contains(err.message, status);
		assert_null(strstr(err.message, "secret")); /* never the pre-signed URL's query */

		/* ... and the invocation succeeds: Lambda's retry would repeat the broker calls
		 * only to be refused again. */
		doc = invoke(text, &rc, error_type);
		free(text);
		assert_int_equal(rc, VP_OK);
		assert_string_equal(error_type, "");
		assert_non_null(doc);
		assert_true(json_is_false(json_object_get(doc, "Delivered")));
		assert_contains(json_string_value(json_object_get(doc, "Error")), status);
		assert_int_equal(fake_put_count(fake), 2);
		json_decref(doc);
	}

	/* A 5xx every time is worth Lambda's retry: the invocation fails. */
	fake_reset(fake);
	fake_put_fail(fake, 4, 503);
	{
		char *text =
			make_event("Create", VP_CFN_REGISTRATION_TYPE, NULL, registration_props());
		doc = invoke(text, &rc, error_type);
		free(text);
	}
	assert_null(doc);
	assert_int_equal(rc, VP_ERR_IO);
	assert_string_equal(error_type, "ResponseNotDelivered");
}

/*
 * Lambda retries an invocation that failed (here: the answer could not be
 * delivered): the same event again registers nothing new and answers the
 * same PhysicalResourceId.
 */
static void test_retried_create_is_idempotent(void **state)
{
	struct vp_cfn_result first, again;
	char expected[VP_CFN_PHYSICAL_ID_MAX + 1];
	struct vp_error err;
	char *text;
	json_t *a;

	(void)state;
	text = make_event("Create", VP_CFN_REGISTRATION_TYPE, NULL, registration_props());
	fake_put_fail(fake, 4, 503);
	assert_int_equal(vp_cfn_handle(&cfg, text, strlen(text), 0, &first, &err), VP_ERR_IO);
	assert_false(first.answered);
	assert_int_equal(vp_cfn_handle(&cfg, text, strlen(text), 0, &again, &err), VP_OK);
	assert_true(again.answered);
	assert_true(again.success);
	vp_cfn_registration_id(1, fake_hostport(fake), STACK_ID "/Registration", expected);
	assert_string_equal(again.physical_id, expected);
	assert_int_equal(again.namespace_id, 1);
	a = json_loadb(fake_put_at(fake, 4).body, fake_put_at(fake, 4).len, 0, NULL);
	assert_contains(reason_of(a), "registration confirmed (replay)");
	json_decref(a);
	free(text);
	assert_int_equal(fake_broker_call_count(fake), 2); /* two POSTs, one namespace */

	/* The confirmation too: the same peering confirmed again, the same id. */
	text = make_event("Create", VP_CFN_CONFIRMATION_TYPE, NULL, confirmation_props("1"));
	fake_put_fail(fake, 4, 503);
	assert_int_equal(vp_cfn_handle(&cfg, text, strlen(text), 0, &first, &err), VP_ERR_IO);
	assert_int_equal(vp_cfn_handle(&cfg, text, strlen(text), 0, &again, &err), VP_OK);
	assert_true(again.success);
	assert_string_equal(again.physical_id, "vpcpeer-confirm-1");
	free(text);
}

/*
 * A Create CloudFormation stopped waiting for (no answer within ServiceTimeout,
 * or cancelled by a rollback) is deleted with an id CloudFormation made: the
 * namespace it registered is found by the client reference and released.
 */
static void test_delete_of_cloudformation_id_releases_by_client_ref(void **state)
{
	struct vp_cfn_result res;
	struct fake_call call;
	json_t *props, *a;
	size_t calls;
	bool released = false;

	(void)state;
	/* Three other registrations of the account first: the lookup pages through them. */
	for (int i = 0; i < 3; i++) {
		char ref[32];
		snprintf(ref, sizeof(ref), "other-%d", i);
		props = registration_props();
		json_object_set_new(props, "ClientRef", json_string(ref));
		json_decref(send_request("Create", VP_CFN_REGISTRATION_TYPE, NULL, props, &res));
	}
	/* The Create whose answer CloudFormation never got (4). */
	fake_put_fail(fake, 4, 503);
	{
		struct vp_error err;
		char *text =
			make_event("Create", VP_CFN_REGISTRATION_TYPE, NULL, registration_props());
		assert_int_equal(vp_cfn_handle(&cfg, text, strlen(text), 0, &res, &err), VP_ERR_IO);
		free(text);
	}
	calls = fake_broker_call_count(fake);
	a = send_request("Delete", VP_CFN_REGISTRATION_TYPE, "client-a-Registration-1A2B3C4D5E6F",
			 registration_props(), &res);
	assert_true(res.success);
	assert_string_equal(res.physical_id, "client-a-Registration-1A2B3C4D5E6F");
	assert_contains(reason_of(a),
			"namespace 4 of client reference '" STACK_ID "/Registration' released");
	json_decref(a);
	for (size_t i = calls; i < fake_broker_call_count(fake); i++) {
		call = fake_broker_call_at(fake, i);
		assert_true(call.proof);
		if (strcmp(call.method, "DELETE") == 0) {
			assert_string_equal(call.path, "/v1/namespaces/4?client_ref=" STACK_ID
						       "/Registration");
			released = true;
		} else {
			assert_string_equal(call.method, "GET");
			assert_int_equal(strncmp(call.path, "/v1/namespaces", 15), 0);
		}
	}
	assert_true(released);

	/* Again: nothing pending of that reference, nothing released. */
	calls = fake_broker_call_count(fake);
	a = send_request("Delete", VP_CFN_REGISTRATION_TYPE, "client-a-Registration-1A2B3C4D5E6F",
			 registration_props(), &res);
	assert_true(res.success);
	assert_contains(reason_of(a), "nothing to release");
	json_decref(a);
	for (size_t i = calls; i < fake_broker_call_count(fake); i++)
		assert_string_equal(fake_broker_call_at(fake, i).method, "GET");

	/* An active namespace of that reference is another stack's: left alone. */
	fake_broker_set_state(fake, 4, "active");
	calls = fake_broker_call_count(fake);
	json_decref(send_request("Delete", VP_CFN_REGISTRATION_TYPE,
				 "client-a-Registration-1A2B3C4D5E6F", registration_props(), &res));
	assert_true(res.success);
	for (size_t i = calls; i < fake_broker_call_count(fake); i++)
		assert_string_equal(fake_broker_call_at(fake, i).method, "GET");

	/* Properties that name no broker of this function: nothing was registered. */
	calls = fake_broker_call_count(fake);
	json_decref(send_request("Delete", VP_CFN_REGISTRATION_TYPE,
				 "client-a-Registration-1A2B3C4D5E6F", json_object(), &res));
	assert_true(res.success);
	assert_int_equal(fake_broker_call_count(fake), calls);

	/* The broker refusing the look-up fails the Delete (the rollback can be retried). */
	fake_broker_refuse(fake, 503,
			   "{\"error\":{\"code\":\"unavailable\",\"message\":\"busy\"}}");
	json_decref(send_request("Delete", VP_CFN_REGISTRATION_TYPE,
				 "client-a-Registration-1A2B3C4D5E6F", registration_props(), &res));
	assert_false(res.success);
	assert_string_equal(res.physical_id, "client-a-Registration-1A2B3C4D5E6F");
}

/* BrokerCaFile that is not in the function: FAILED naming the setting, the broker not called. */
static void test_unreadable_broker_ca_file_is_named(void **state)
{
	struct vp_cfn_result res;
	json_t *a;

	(void)state;
	cfg.broker_ca_file = "/nonexistent/private-ca.pem";
	a = send_request("Create", VP_CFN_REGISTRATION_TYPE, NULL, registration_props(), &res);
	assert_false(res.success);
	assert_contains(reason_of(a), "'/nonexistent/private-ca.pem' (VPCPEER_BROKER_CA_FILE, the "
				      "stack's BrokerCaFile parameter) cannot be read");
	json_decref(a);
	assert_int_equal(fake_broker_call_count(fake), 0);
	/* The ResponseURL still got the answer: that file is for the broker alone. */
	assert_int_equal(fake_put_count(fake), 1);
}

/* Every subnet key the template reads (SubnetCount) is in the broker's plan, or FAILED. */
static void test_registration_subnet_count(void **state)
{
	static const char *const bad[] = {"0", "27", "x", "04", "-1", "4.0"};
	struct vp_cfn_result res;
	json_t *props, *a;
	bool released = false;

	(void)state;
	fake_broker_set_subnets(fake, 2);
	props = registration_props();
	json_object_set_new(props, "SubnetCount", json_string("4"));
	a = send_request("Create", VP_CFN_REGISTRATION_TYPE, NULL, props, &res);
	assert_false(res.success);
	assert_contains(reason_of(a), "has 2 subnets (SubnetACidrBlock..SubnetBCidrBlock) but "
				      "this template reads 4");
	assert_contains(reason_of(a), "--subnets 4");
	/* registered just now: released again, so the rollback leaves nothing pending */
	assert_contains(reason_of(a), "namespace 1 released");
	assert_null(json_object_get(a, "Data")
			    ? json_object_get(json_object_get(a, "Data"), "SubnetACidrBlock")
			    : NULL);
	json_decref(a);
	for (size_t i = 0; i < fake_broker_call_count(fake); i++)
		if (strcmp(fake_broker_call_at(fake, i).method, "DELETE") == 0)
			released = true;
	assert_true(released);

	/* A template that reads two, or says nothing (as before), is served. */
	fake_reset(fake);
	fake_broker_set_subnets(fake, 2);
	props = registration_props();
	json_object_set_new(props, "SubnetCount", json_string("2"));
	a = send_request("Create", VP_CFN_REGISTRATION_TYPE, NULL, props, &res);
	assert_true(res.success);
	assert_string_equal(data_of(a, "SubnetBCidrBlock"), "10.0.5.0/24");
	assert_null(data_of(a, "SubnetCCidrBlock"));
	json_decref(a);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		props = registration_props();
		json_object_set_new(props, "SubnetCount", json_string(bad[i]));
		a = send_request("Create", VP_CFN_REGISTRATION_TYPE, NULL, props, &res);
		assert_false(res.success);
		assert_contains(reason_of(a), "property SubnetCount must be 1..26");
		json_decref(a);
	}
}

static void test_unknown_types(void **state)
{
	struct vp_cfn_result res;
	json_t *a;

	(void)state;
	a = send_request("Create", "Custom::Something", NULL, registration_props(), &res);
	assert_false(res.success);
	assert_contains(reason_of(a), "unsupported ResourceType 'Custom::Something'");
	json_decref(a);
	json_decref(send_request("Delete", "Custom::Something", "whatever-id", registration_props(),
				 &res));
	assert_true(res.success);
	assert_string_equal(res.physical_id, "whatever-id");

	a = send_request("Replace", VP_CFN_REGISTRATION_TYPE, NULL, registration_props(), &res);
	assert_false(res.success);
	assert_contains(reason_of(a), "unknown RequestType");
	json_decref(a);
	/* A Delete without PhysicalResourceId: answered FAILED, never touching the broker. */
	json_decref(
		send_request("Delete", VP_CFN_REGISTRATION_TYPE, NULL, registration_props(), &res));
	assert_false(res.success);
	assert_int_equal(fake_broker_call_count(fake), 0);
}

static void test_unanswerable_events(void **state)
{
	static const char *const bad[] = {
		"",
		"not json",
		"[]",
		"{}",
		"{\"RequestType\": \"Create\"}",
		"{\"ResponseURL\": \"ftp://x\", \"StackId\": \"s\", \"RequestId\": \"r\", "
		"\"LogicalResourceId\": \"L\"}",
		"{\"ResponseURL\": \"http://127.0.0.1:1/\", \"StackId\": 5, \"RequestId\": \"r\", "
		"\"LogicalResourceId\": \"L\"}",
	};
	struct vp_cfn_result res;
	struct vp_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(vp_cfn_handle(&cfg, bad[i], strlen(bad[i]), 0, &res, &err),
				 VP_ERR_INVALID);
	assert_int_equal(fake_put_count(fake), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_registration_create, setup),
		cmocka_unit_test_setup(test_registration_peering_accepter, setup),
		cmocka_unit_test_setup(test_registration_update_keeps_physical_id, setup),
		cmocka_unit_test_setup(test_registration_update_new_client_ref_replaces, setup),
		cmocka_unit_test_setup(test_registration_delete_releases, setup),
		cmocka_unit_test_setup(test_registration_delete_of_unknown_namespace_succeeds,
				       setup),
		cmocka_unit_test_setup(test_registration_delete_of_reused_number_touches_nothing,
				       setup),
		cmocka_unit_test_setup(test_rollback_of_failed_create_touches_nothing, setup),
		cmocka_unit_test_setup(test_missing_or_malformed_properties_are_named, setup),
		cmocka_unit_test_setup(test_confirmation, setup),
		cmocka_unit_test_setup(test_confirmation_in_progress_tried_again, setup),
		cmocka_unit_test_setup(test_confirmation_associates_with_hosted_zone, setup),
		cmocka_unit_test_setup(test_confirmation_health_check_failure, setup),
		cmocka_unit_test_setup(test_confirmation_probe_invoke_errors, setup),
		cmocka_unit_test_setup(test_probe_mode_events, setup),
		cmocka_unit_test_setup(test_broker_refusal_is_actionable, setup),
		cmocka_unit_test_setup(test_broker_unreachable, setup),
		cmocka_unit_test_setup(test_event_naming_another_broker_is_refused, setup),
		cmocka_unit_test_setup(test_lookalike_loopback_broker_is_refused, setup),
		cmocka_unit_test_setup(test_released_registration_fails_with_advice, setup),
		cmocka_unit_test_setup(test_hanging_broker_is_answered_before_the_deadline, setup),
		cmocka_unit_test_setup(test_no_time_left_is_failed_not_attempted, setup),
		cmocka_unit_test_setup(test_response_put_is_retried, setup),
		cmocka_unit_test_setup(test_response_url_refusal_is_final, setup),
		cmocka_unit_test_setup(test_retried_create_is_idempotent, setup),
		cmocka_unit_test_setup(test_delete_of_cloudformation_id_releases_by_client_ref,
				       setup),
		cmocka_unit_test_setup(test_registration_subnet_count, setup),
		cmocka_unit_test_setup(test_unreadable_broker_ca_file_is_named, setup),
		cmocka_unit_test_setup(test_unknown_types, setup),
		cmocka_unit_test_setup(test_unanswerable_events, setup),
	};
	return cmocka_run_group_tests(tests, fake_group_setup, fake_group_teardown);
}
