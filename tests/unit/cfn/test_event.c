/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cfn/event.h"
#include "cfn/probe_mode.h"

#define ENVELOPE                                                                                   \
	"\"ResponseURL\": \"https://cloudformation-custom-resource-response-useast1.s3.amazonaws." \
	"com/x?X-Amz-Signature=abc\", \"StackId\": \"arn:aws:cloudformation:us-east-1:1:stack/s/"  \
	"g\", \"RequestId\": \"r-1\", \"LogicalResourceId\": \"Registration\""

static void parse_ok(const char *text, struct vp_cfn_event *ev)
{
	struct vp_error err;

	if (vp_cfn_event_parse(text, strlen(text), ev, &err) != VP_OK)
		fail_msg("%s: %s", text, err.message);
}

/* parse_ok, and the request type and resource it must have. */
static void parse_as(const char *text, enum vp_cfn_request_type type, enum vp_cfn_resource resource,
		     struct vp_cfn_event *ev)
{
	parse_ok(text, ev);
	assert_int_equal(ev->request_type, type);
	assert_int_equal(ev->resource, resource);
}

static void test_create_update_delete(void **state)
{
	struct vp_cfn_event ev;

	(void)state;
	parse_as("{\"RequestType\": \"Create\", " ENVELOPE ", \"ServiceToken\": \"arn:x\", "
		 "\"ResourceType\": \"Custom::PeeringRegistration\", "
		 "\"ResourceProperties\": {\"BrokerUrl\": \"https://b\"}}",
		 VP_CFN_CREATE, VP_CFN_REGISTRATION, &ev);
	assert_int_equal(ev.defect.code, VP_OK);
	assert_null(ev.physical_id);
	assert_string_equal(ev.request_id, "r-1");
	assert_string_equal(ev.logical_id, "Registration");
	vp_cfn_event_cleanup(&ev);
	vp_cfn_event_cleanup(&ev); /* twice is a no-op */

	parse_as("{\"RequestType\": \"Update\", " ENVELOPE ", \"PhysicalResourceId\": \"p\", "
		 "\"ResourceType\": \"Custom::PeeringConfirmation\", \"ResourceProperties\": {}, "
		 "\"OldResourceProperties\": {\"A\": \"b\"}}",
		 VP_CFN_UPDATE, VP_CFN_CONFIRMATION, &ev);
	assert_string_equal(ev.physical_id, "p");
	assert_non_null(ev.old_properties);
	assert_int_equal(ev.defect.code, VP_OK);
	vp_cfn_event_cleanup(&ev);

	/* Answerable but wrong: the defect says why. */
	parse_ok("{\"RequestType\": \"Delete\", " ENVELOPE ", \"ResourceType\": \"Custom::X\"}",
		 &ev);
	assert_int_equal(ev.defect.code, VP_ERR_INVALID);
	assert_non_null(strstr(ev.defect.message, "PhysicalResourceId"));
	assert_non_null(ev.properties); /* absent: empty */
	vp_cfn_event_cleanup(&ev);
	parse_ok("{\"RequestType\": \"Create\", " ENVELOPE ", \"ResourceType\": \"Custom::X\", "
		 "\"ResourceProperties\": []}",
		 &ev);
	assert_int_equal(ev.resource, VP_CFN_UNKNOWN_RESOURCE);
	assert_non_null(strstr(ev.defect.message, "ResourceProperties"));
	vp_cfn_event_cleanup(&ev);
}

static void test_unanswerable(void **state)
{
	static const char *const bad[] = {
		"",
		"{",
		"null",
		"[1]",
		"{\"RequestType\": \"Create\"}",
		"{\"ResponseURL\": \"s3://x\", \"StackId\": \"s\", \"RequestId\": \"r\", "
		"\"LogicalResourceId\": \"L\"}",
		"{\"ResponseURL\": \"https://x\", \"StackId\": \"\", \"RequestId\": \"r\", "
		"\"LogicalResourceId\": \"L\"}",
		"{\"ResponseURL\": \"https://x\", \"StackId\": \"s\\n\", \"RequestId\": \"r\", "
		"\"LogicalResourceId\": \"L\"}",
		"{\"ResponseURL\": \"https://x\", \"StackId\": \"s\", \"RequestId\": "
		"\"r\\u0000x\", "
		"\"LogicalResourceId\": \"L\"}",
		"{\"ResponseURL\": \"https://x\", \"StackId\": \"s\", \"RequestId\": \"r\"}",
		"{\"ResponseURL\": \"https://x\", \"ResponseURL\": \"https://y\", \"StackId\": "
		"\"s\", "
		"\"RequestId\": \"r\", \"LogicalResourceId\": \"L\"}",
	};
	struct vp_cfn_event ev;
	struct vp_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (vp_cfn_event_parse(bad[i], strlen(bad[i]), &ev, &err) != VP_ERR_INVALID)
			fail_msg("accepted: %s", bad[i]);
}

static void test_default_client_ref(void **state)
{
	char ref[VP_CLIENT_REF_MAX + 1], again[VP_CLIENT_REF_MAX + 1], longid[400];

	(void)state;
	vp_cfn_default_client_ref("arn:stack/s/g", "Registration", ref);
	assert_string_equal(ref, "arn:stack/s/g/Registration");
	memset(longid, 'a', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	vp_cfn_default_client_ref(longid, "Registration", ref);
	assert_int_equal(strncmp(ref, "cfn-sha256:", 11), 0);
	assert_int_equal(strlen(ref), 11 + 64);
	vp_cfn_default_client_ref(longid, "Registration", again);
	assert_string_equal(ref, again);
	/* A blank would be refused by the broker (found by fuzz_cfn_event). */
	vp_cfn_default_client_ref("arn:stack/s g/x", "Registration", ref);
	assert_int_equal(strncmp(ref, "cfn-sha256:", 11), 0);
}

/* HealthCheck: probe targets separated by commas; the old HOST:PORT is one (issue 21). */
static void test_health_check_list(void **state)
{
	static const struct {
		const char *text;
		int count;
		const char *last;
	} good[] = {
		{"10.0.0.10:443", 1, "10.0.0.10:443"},
		{"hub.internal.example:8080", 1, "hub.internal.example:8080"},
		{"[fd00::1]:22", 1, "[fd00::1]:22"},
		{" 10.0.0.10:443 ,http://10.0.0.11:8080/health,\thttps://hub.example/ready ", 3,
		 "https://hub.example/ready"},
	};
	static const char *const bad[] = {
		"",         ":80",      "host",        "host:",    "host:0",   "host:65536",
		"host:-1",  "ho st:80", "[fd00::1]80", "[]:80",    "host:80x", "h/x:80",
		"a:1,,b:2", "a:1,",     " , ",         "ftp://a/",
	};
	static struct vp_probe_target targets[VP_PROBE_MAX_TARGETS];
	char many[VP_PROBE_MAX_TARGETS * 8 + 16] = "";
	struct vp_error err;
	int count;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (vp_cfn_probe_list_parse(good[i].text, targets, VP_PROBE_MAX_TARGETS, &count,
					    &err) != VP_OK)
			fail_msg("%s: %s", good[i].text, err.message);
		assert_int_equal(count, good[i].count);
		assert_string_equal(targets[count - 1].text, good[i].last);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (vp_cfn_probe_list_parse(bad[i], targets, VP_PROBE_MAX_TARGETS, &count, &err) ==
		    VP_OK)
			fail_msg("accepted '%s'", bad[i]);
	/* 65 targets: one too many. */
	for (int i = 0, used = 0; i <= VP_PROBE_MAX_TARGETS; i++)
		used += snprintf(many + used, sizeof(many) - (size_t)used, "%sa:1", i ? "," : "");
	assert_int_equal(vp_cfn_probe_list_parse(many, NULL, VP_PROBE_MAX_TARGETS, &count, &err),
			 VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "at most 64"));
}

static void test_properties(void **state)
{
	struct vp_cfn_registration_props reg;
	struct vp_cfn_confirmation_props conf;
	struct vp_cfn_event ev;
	struct vp_error err;

	(void)state;
	parse_ok("{\"RequestType\": \"Create\", " ENVELOPE ", \"ResourceType\": \"Custom::Peering"
		 "Confirmation\", \"ResourceProperties\": {\"BrokerUrl\": \"https://b:8443\", "
		 "\"ServerId\": \"\", \"NamespaceId\": 7, \"VpcPeeringConnectionId\": "
		 "\"pcx-0123abcd\", \"VpcId\": \"vpc-0123456789abcdef0\", \"HealthCheck\": "
		 "\"10.0.0.5:80 , http://10.0.0.6:8080/health\", \"ProbeFunction\": "
		 "\"client-a-ProbeFunction-AbC123\", \"Unknown\": {\"x\": 1}}}",
		 &ev);
	if (vp_cfn_confirmation_props_parse(&ev, NULL, &conf, &err) != VP_OK)
		fail_msg("%s", err.message);
	assert_string_equal(conf.broker.broker_url, "https://b:8443");
	assert_string_equal(conf.broker.server_id, ""); /* "" counts as absent */
	assert_int_equal(conf.namespace_id, 7);
	assert_string_equal(conf.peering_id, "pcx-0123abcd");
	assert_string_equal(conf.health_check, "10.0.0.5:80 , http://10.0.0.6:8080/health");
	assert_int_equal(conf.health_count, 2);
	assert_string_equal(conf.probe_function, "client-a-ProbeFunction-AbC123");
	if (vp_cfn_registration_props_parse(&ev, NULL, &reg, &err) != VP_OK)
		fail_msg("%s", err.message);
	assert_false(reg.client_ref_given);
	assert_string_equal(reg.client_ref,
			    "arn:aws:cloudformation:us-east-1:1:stack/s/g/Registration");
	vp_cfn_event_cleanup(&ev);

	/* Without an error struct a refusal is still a refusal (found by fuzz_cfn_event). */
	parse_ok("{\"RequestType\": \"Create\", " ENVELOPE ", \"ResourceProperties\": {"
		 "\"BrokerUrl\": \"https://b\", \"NamespaceId\": 7, \"VpcPeeringConnectionId\": "
		 "\"pcx-01234567\", \"VpcId\": \"vpc-0123abcd\", \"HealthCheck\": "
		 "\"[fd00::1]=:22\", "
		 "\"ClientRef\": \"a b\"}}",
		 &ev);
	assert_int_equal(vp_cfn_confirmation_props_parse(&ev, NULL, &conf, NULL), VP_ERR_INVALID);
	assert_int_equal(vp_cfn_registration_props_parse(&ev, NULL, &reg, NULL), VP_ERR_INVALID);
	vp_cfn_event_cleanup(&ev);
}

/* Parse the confirmation properties `props` (a JSON object's inside): VP_OK or the code. */
static vp_code confirmation(const char *props, struct vp_cfn_confirmation_props *out,
			    struct vp_error *err)
{
	char text[2048];
	struct vp_cfn_event ev;
	vp_code rc;

	snprintf(text, sizeof(text),
		 "{\"RequestType\": \"Create\", " ENVELOPE ", \"ResourceProperties\": {"
		 "\"BrokerUrl\": \"https://b\", \"NamespaceId\": \"7\", \"VpcId\": "
		 "\"vpc-0123abcd\"%s}}",
		 props);
	parse_ok(text, &ev);
	rc = vp_cfn_confirmation_props_parse(&ev, NULL, out, err);
	vp_cfn_event_cleanup(&ev);
	return rc;
}

#define PEER                                                                                       \
	", \"PeerVpcId\": \"vpc-0aaa1111\", \"PeerOwnerId\": \"111111111111\", "                   \
	"\"PeerRegion\": \"eu-west-1\""

static void test_peering_accepter(void **state)
{
	struct vp_cfn_confirmation_props c;
	struct vp_cfn_registration_props reg;
	struct vp_cfn_event ev;
	struct vp_error err;

	(void)state;
	/* Broker mode: the hub's side of the request, no peering id. */
	assert_int_equal(confirmation(", \"PeeringAccepter\": \"broker\"" PEER, &c, &err), VP_OK);
	assert_int_equal(c.accepter, VP_CFN_ACCEPTER_BROKER);
	assert_string_equal(c.peering_id, "");
	assert_string_equal(c.peer_vpc_id, "vpc-0aaa1111");
	assert_string_equal(c.peer_owner_id, "111111111111");
	assert_string_equal(c.peer_region, "eu-west-1");
	/* Broker mode with a peering id: that one is confirmed, a HealthCheck is fine. */
	assert_int_equal(
		confirmation(", \"PeeringAccepter\": \"broker\", "
			     "\"VpcPeeringConnectionId\": \"pcx-0123abcd\", "
			     "\"HealthCheck\": \"10.0.0.5:80\", \"ProbeFunction\": \"probe\"",
			     &c, &err),
		VP_OK);
	assert_string_equal(c.peering_id, "pcx-0123abcd");
	/* The handler runs outside the VPC: a HealthCheck needs the function that probes in it
	 * (issue 21). */
	assert_int_equal(confirmation(", \"PeeringAccepter\": \"broker\", "
				      "\"VpcPeeringConnectionId\": \"pcx-0123abcd\", "
				      "\"HealthCheck\": \"10.0.0.5:80\"",
				      &c, &err),
			 VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "needs ProbeFunction"));
	assert_int_equal(
		confirmation(", \"PeeringAccepter\": \"broker\", "
			     "\"VpcPeeringConnectionId\": \"pcx-0123abcd\", "
			     "\"HealthCheck\": \"10.0.0.5:80\", \"ProbeFunction\": \"a/b\"",
			     &c, &err),
		VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "property ProbeFunction"));
	/* Each target of the list is checked, named by its place; an empty one is refused. */
	assert_int_equal(
		confirmation(", \"PeeringAccepter\": \"broker\", "
			     "\"VpcPeeringConnectionId\": \"pcx-0123abcd\", "
			     "\"HealthCheck\": \"10.0.0.5:80,10.0.0.6\", \"ProbeFunction\": "
			     "\"probe\"",
			     &c, &err),
		VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "property HealthCheck: target 2"));
	assert_int_equal(
		confirmation(", \"PeeringAccepter\": \"broker\", "
			     "\"VpcPeeringConnectionId\": \"pcx-0123abcd\", "
			     "\"HealthCheck\": \"10.0.0.5:80,\", \"ProbeFunction\": \"probe\"",
			     &c, &err),
		VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "target 2 is empty"));
	/* Each part of the request's target is required and checked, by name. */
	assert_int_equal(confirmation(", \"PeeringAccepter\": \"broker\"", &c, &err),
			 VP_ERR_INVALID);
	assert_string_equal(err.message, "property PeerVpcId is required");
	assert_int_equal(confirmation(", \"PeeringAccepter\": \"broker\", \"PeerVpcId\": "
				      "\"vpc-0aaa1111\", \"PeerOwnerId\": \"1111\", "
				      "\"PeerRegion\": \"eu-west-1\"",
				      &c, &err),
			 VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "PeerOwnerId"));
	assert_int_equal(confirmation(", \"PeeringAccepter\": \"broker\", \"PeerVpcId\": "
				      "\"vpc-0aaa1111\", \"PeerOwnerId\": \"111111111111\", "
				      "\"PeerRegion\": \"eu west\"",
				      &c, &err),
			 VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "PeerRegion"));
	/* A HealthCheck on the request itself could never pass: refused, with the way out. */
	assert_int_equal(confirmation(", \"PeeringAccepter\": \"broker\", \"HealthCheck\": "
				      "\"10.0.0.5:80\"" PEER,
				      &c, &err),
			 VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "second Custom::PeeringConfirmation"));
	/* Peer-role (also when absent) still needs the peering id. */
	assert_int_equal(confirmation(PEER, &c, &err), VP_ERR_INVALID);
	assert_string_equal(err.message, "property VpcPeeringConnectionId is required");
	assert_int_equal(confirmation(", \"PeeringAccepter\": \"peer-role\", "
				      "\"VpcPeeringConnectionId\": \"pcx-0123abcd\"",
				      &c, &err),
			 VP_OK);
	assert_int_equal(c.accepter, VP_CFN_ACCEPTER_PEER_ROLE);
	/* Anything else is refused, naming the values. */
	assert_int_equal(confirmation(", \"PeeringAccepter\": \"hub\"" PEER, &c, &err),
			 VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "broker or peer-role"));

	/* The registration: UNSET when absent (no cross-check), else the value. */
	parse_ok("{\"RequestType\": \"Create\", " ENVELOPE ", \"ResourceProperties\": {"
		 "\"BrokerUrl\": \"https://b\", \"PeeringAccepter\": \"peer-role\"}}",
		 &ev);
	assert_int_equal(vp_cfn_registration_props_parse(&ev, NULL, &reg, &err), VP_OK);
	assert_int_equal(reg.accepter, VP_CFN_ACCEPTER_PEER_ROLE);
	vp_cfn_event_cleanup(&ev);
	parse_ok("{\"RequestType\": \"Create\", " ENVELOPE ", \"ResourceProperties\": {"
		 "\"BrokerUrl\": \"https://b\"}}",
		 &ev);
	assert_int_equal(vp_cfn_registration_props_parse(&ev, NULL, &reg, &err), VP_OK);
	assert_int_equal(reg.accepter, VP_CFN_ACCEPTER_UNSET);
	vp_cfn_event_cleanup(&ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_update_delete),
		cmocka_unit_test(test_unanswerable),
		cmocka_unit_test(test_default_client_ref),
		cmocka_unit_test(test_health_check_list),
		cmocka_unit_test(test_properties),
		cmocka_unit_test(test_peering_accepter),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
