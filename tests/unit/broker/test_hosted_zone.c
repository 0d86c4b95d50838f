/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The hub's private hosted zone (issue 19; broker/hosted_zone.h) against a
 * scripted Route 53 (the loopback stub, its REST paths): start-up refuses a
 * missing zone, a public one and one not associated with the hub VPC; join
 * authorizes the client's VPC, or deletes the authorization once the VPC is
 * associated; leave disassociates and deletes what is left, NotFound answers
 * counting as done (but not a missing zone); an AWS error surfaces naming the
 * action, the VPC and the zone. The Route 53 shapes are the API Reference's
 * (GetHostedZone, ListVPCAssociationAuthorizations, the error response).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "broker/hosted_zone.h"
#include "fixture.h"

#define ZONE                "Z1D633PJN98FT9"
#define ZP                  "/2013-04-01/hostedzone/" ZONE
#define R53NS               " xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\""
#define CLIENT              "vpc-0c0c0c0c"
#define VPC_XML(region, id) "<VPC><VPCRegion>" region "</VPCRegion><VPCId>" id "</VPCId></VPC>"
#define HUB_VPC_XML         VPC_XML("us-east-1", FX_VPC)

/* ---- answers ---- */

/* GetHostedZone: private or not, associated with these <VPC> elements. */
static void zone(struct fx *f, bool private_zone, const char *vpcs)
{
	char body[2048];

	snprintf(body, sizeof(body),
		 "<?xml version=\"1.0\" encoding=\"UTF-8\"?><GetHostedZoneResponse" R53NS
		 "><HostedZone><Id>/hostedzone/" ZONE "</Id><Name>hub.internal.</Name>"
		 "<CallerReference>ref</CallerReference><Config><PrivateZone>%s</PrivateZone>"
		 "</Config><ResourceRecordSetCount>2</ResourceRecordSetCount></HostedZone>"
		 "<VPCs>%s</VPCs></GetHostedZoneResponse>",
		 private_zone ? "true" : "false", vpcs);
	stub_on(f->stub, "GET", ZP, 1, 200, body);
}

static void authorizations(struct fx *f, const char *vpcs)
{
	char body[2048];

	snprintf(body, sizeof(body),
		 "<ListVPCAssociationAuthorizationsResponse" R53NS "><HostedZoneId>" ZONE
		 "</HostedZoneId><VPCs>%s</VPCs></ListVPCAssociationAuthorizationsResponse>",
		 vpcs);
	stub_on(f->stub, "GET", ZP "/authorizevpcassociation", 1, 200, body);
}

/* Route 53's error response (API Reference, "Errors"). */
static void r53_error(struct fx *f, const char *method, const char *path, int status,
		      const char *code)
{
	char body[1024];

	snprintf(body, sizeof(body),
		 "<ErrorResponse" R53NS "><Error><Type>Sender</Type><Code>%s</Code><Message>"
		 "%s message</Message></Error><RequestId>r</RequestId></ErrorResponse>",
		 code, code);
	stub_on(f->stub, method, path, 1, status, body);
}

static void r53_ok(struct fx *f, const char *suffix, const char *response)
{
	char path[256], body[512];

	snprintf(path, sizeof(path), ZP "%s", suffix);
	snprintf(body, sizeof(body),
		 "<%s" R53NS "><ChangeInfo><Id>/change/C1</Id><Status>INSYNC</Status>"
		 "<SubmittedAt>2026-12-06T00:00:00Z</SubmittedAt></ChangeInfo></%s>",
		 response, response);
	stub_on(f->stub, "POST", path, 1, 200, body);
}

/* The hub's start-up calls of fx_start_hub plus GetHostedZone, which the test scripts
 * first (by its own path: the order does not matter). */
static vp_code start(struct fx *f, struct vp_error *err)
{
	f->cfg.hosted_zone = ZONE;
	fx_answer(f,
		  "<DescribeVpcsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
		  "<requestId>r</requestId><vpcSet><item><vpcId>" FX_VPC "</vpcId><state>"
		  "available</state><cidrBlock>" FX_HUB_CIDR "</cidrBlock><ownerId>" FX_HUB
		  "</ownerId><isDefault>false</isDefault></item></vpcSet></DescribeVpcsResponse>");
	fx_tables(f, "");
	fx_peerings(f, "");
	fx_tables(f, "");
	fx_get_role(f, FX_ROLE_A, FX_HUB_TRUST);
	fx_get_role(f, FX_ROLE_B, FX_HUB_TRUST);
	return vp_broker_new(&f->cfg, f->reg, f->aws, NULL, &f->broker, err);
}

static void started(struct fx *f)
{
	struct vp_error err;

	fx_init(f);
	zone(f, true, VPC_XML("eu-west-1", "vpc-0e0e0e0e") HUB_VPC_XML);
	if (start(f, &err) != VP_OK)
		fail_msg("broker: %s", err.message);
	assert_true(vp_broker_hosted_zone_on(f->broker));
	stub_reset(f->stub);
}

/* Request i is method on ZP+suffix and its body holds every NULL-terminated string. */
static void expect_r53(struct fx *f, size_t i, const char *method, const char *suffix, ...)
{
	struct stub_request r = stub_request_at(f->stub, i);
	char path[256];
	va_list ap;
	const char *s;

	snprintf(path, sizeof(path), ZP "%s", suffix);
	assert_string_equal(r.method, method);
	assert_string_equal(r.path, path);
	va_start(ap, suffix);
	while ((s = va_arg(ap, const char *)) != NULL)
		if (!strstr(r.body, s))
			fail_msg("request %zu (%s %s) lacks %s: %s", i, method, path, s, r.body);
	va_end(ap);
}

/* ---- start-up ---- */

static void refused_at_start(void (*script)(struct fx *), const char *const *words)
{
	struct fx f;
	struct vp_error err;

	fx_init(&f);
	script(&f);
	assert_int_not_equal(start(&f, &err), VP_OK);
	assert_null(f.broker);
	for (size_t i = 0; words[i]; i++)
		if (!strstr(err.message, words[i]))
			fail_msg("start-up error lacks \"%s\": %s", words[i], err.message);
	fx_free(&f);
}

static void no_zone(struct fx *f)
{
	r53_error(f, "GET", ZP, 404, "NoSuchHostedZone");
}

static void public_zone(struct fx *f)
{
	zone(f, false, "");
}

static void other_vpc_zone(struct fx *f)
{
	/* the hub VPC's id, but in another region: not the hub VPC */
	zone(f, true, VPC_XML("eu-west-1", FX_VPC) VPC_XML("us-east-1", "vpc-0e0e0e0e"));
}

static void denied_zone(struct fx *f)
{
	r53_error(f, "GET", ZP, 403, "AccessDenied");
}

static void test_start_refuses_missing_zone(void **state)
{
	static const char *const w[] = {ZONE, "no such hosted zone", FX_HUB, NULL};

	(void)state;
	refused_at_start(no_zone, w);
}

static void test_start_refuses_public_zone(void **state)
{
	static const char *const w[] = {ZONE, "hub.internal.", "public hosted zone", FX_VPC, NULL};

	(void)state;
	refused_at_start(public_zone, w);
}

static void test_start_refuses_zone_not_associated_with_hub(void **state)
{
	static const char *const w[] = {ZONE, "not associated with the hub VPC " FX_VPC,
					"associate-vpc-with-hosted-zone", NULL};

	(void)state;
	refused_at_start(other_vpc_zone, w);
}

static void test_start_surfaces_aws_error(void **state)
{
	static const char *const w[] = {"reading the hosted zone (--hosted-zone)", "AccessDenied",
					NULL};

	(void)state;
	refused_at_start(denied_zone, w);
}

static void test_start_accepts_private_zone_of_hub(void **state)
{
	struct fx f;

	(void)state;
	started(&f); /* asserts the broker started with the zone */
	fx_free(&f);
}

/* ---- join ---- */

static void test_join_authorizes_unassociated_vpc(void **state)
{
	struct fx f;
	struct vp_error err;

	(void)state;
	started(&f);
	zone(&f, true, HUB_VPC_XML);
	r53_ok(&f, "/authorizevpcassociation", "CreateVPCAssociationAuthorizationResponse");
	assert_int_equal(vp_broker_hosted_zone_join(f.broker, CLIENT, "eu-west-1", NULL, &err),
			 VP_OK);
	assert_int_equal(stub_request_count(f.stub), 2);
	expect_r53(&f, 0, "GET", "", NULL);
	expect_r53(&f, 1, "POST", "/authorizevpcassociation", "<VPCId>" CLIENT "</VPCId>",
		   "<VPCRegion>eu-west-1</VPCRegion>", NULL);
	fx_free(&f);
}

static void test_join_deletes_authorization_once_associated(void **state)
{
	struct fx f;
	struct vp_error err;

	(void)state;
	started(&f);
	zone(&f, true, HUB_VPC_XML VPC_XML("eu-west-1", CLIENT));
	r53_ok(&f, "/deauthorizevpcassociation", "DeleteVPCAssociationAuthorizationResponse");
	assert_int_equal(vp_broker_hosted_zone_join(f.broker, CLIENT, "eu-west-1", NULL, &err),
			 VP_OK);
	assert_int_equal(stub_request_count(f.stub), 2);
	expect_r53(&f, 1, "POST", "/deauthorizevpcassociation", "<VPCId>" CLIENT "</VPCId>", NULL);
	/* again, the authorization already gone: done, nothing created */
	stub_reset(f.stub);
	zone(&f, true, HUB_VPC_XML VPC_XML("eu-west-1", CLIENT));
	r53_error(&f, "POST", ZP "/deauthorizevpcassociation", 404,
		  "VPCAssociationAuthorizationNotFound");
	assert_int_equal(vp_broker_hosted_zone_join(f.broker, CLIENT, "eu-west-1", NULL, &err),
			 VP_OK);
	assert_int_equal(stub_request_count(f.stub), 2);
	fx_free(&f);
}

static void test_join_error_names_action_vpc_and_zone(void **state)
{
	struct fx f;
	struct vp_error err;

	(void)state;
	started(&f);
	zone(&f, true, HUB_VPC_XML);
	r53_error(&f, "POST", ZP "/authorizevpcassociation", 400,
		  "TooManyVPCAssociationAuthorizations");
	assert_int_equal(vp_broker_hosted_zone_join(f.broker, CLIENT, "eu-west-1", NULL, &err),
			 VP_ERR_EXHAUSTED);
	assert_non_null(strstr(err.message, "CreateVPCAssociationAuthorization for VPC " CLIENT
					    " on hosted zone " ZONE));
	assert_non_null(strstr(err.message, "TooManyVPCAssociationAuthorizations"));
	fx_free(&f);
}

static void test_join_without_zone_calls_nothing(void **state)
{
	struct fx f;
	struct vp_error err;

	(void)state;
	fx_init(&f);
	fx_start(&f);
	assert_false(vp_broker_hosted_zone_on(f.broker));
	assert_int_equal(vp_broker_hosted_zone_join(f.broker, CLIENT, "eu-west-1", NULL, &err),
			 VP_OK);
	assert_int_equal(vp_broker_hosted_zone_leave(f.broker, CLIENT, &err), VP_OK);
	assert_int_equal(stub_request_count(f.stub), 0);
	fx_free(&f);
}

/* ---- leave ---- */

static void test_leave_disassociates_and_deletes_authorization(void **state)
{
	struct fx f;
	struct vp_error err;

	(void)state;
	started(&f);
	zone(&f, true, HUB_VPC_XML VPC_XML("eu-west-1", CLIENT));
	authorizations(&f, VPC_XML("eu-west-1", CLIENT));
	r53_ok(&f, "/disassociatevpc", "DisassociateVPCFromHostedZoneResponse");
	r53_ok(&f, "/deauthorizevpcassociation", "DeleteVPCAssociationAuthorizationResponse");
	assert_int_equal(vp_broker_hosted_zone_leave(f.broker, CLIENT, &err), VP_OK);
	assert_int_equal(stub_request_count(f.stub), 4);
	expect_r53(&f, 0, "GET", "", NULL);
	expect_r53(&f, 1, "GET", "/authorizevpcassociation", NULL);
	/* the region the zone lists the VPC in, not the hub's */
	expect_r53(&f, 2, "POST", "/disassociatevpc", "<VPCId>" CLIENT "</VPCId>",
		   "<VPCRegion>eu-west-1</VPCRegion>", NULL);
	expect_r53(&f, 3, "POST", "/deauthorizevpcassociation", "<VPCId>" CLIENT "</VPCId>", NULL);
	fx_free(&f);
}

static void test_leave_treats_not_found_as_done(void **state)
{
	struct fx f;
	struct vp_error err;

	(void)state;
	started(&f);
	/* the zone still lists it, but the VPC is gone by the time we disassociate */
	zone(&f, true, HUB_VPC_XML VPC_XML("eu-west-1", CLIENT));
	authorizations(&f, "");
	r53_error(&f, "POST", ZP "/disassociatevpc", 404, "VPCAssociationNotFound");
	assert_int_equal(vp_broker_hosted_zone_leave(f.broker, CLIENT, &err), VP_OK);
	assert_int_equal(stub_request_count(f.stub), 3);
	/* nothing left at all: only the reads */
	stub_reset(f.stub);
	zone(&f, true, HUB_VPC_XML);
	authorizations(&f, "");
	assert_int_equal(vp_broker_hosted_zone_leave(f.broker, CLIENT, &err), VP_OK);
	assert_int_equal(stub_request_count(f.stub), 2);
	fx_free(&f);
}

static void test_leave_missing_zone_is_not_done(void **state)
{
	struct fx f;
	struct vp_error err;

	(void)state;
	started(&f);
	zone(&f, true, HUB_VPC_XML VPC_XML("eu-west-1", CLIENT));
	authorizations(&f, "");
	/* NotFound of the zone itself is not the state wanted: the VPC may still resolve it */
	r53_error(&f, "POST", ZP "/disassociatevpc", 404, "NoSuchHostedZone");
	assert_int_equal(vp_broker_hosted_zone_leave(f.broker, CLIENT, &err), VP_ERR_NOT_FOUND);
	assert_non_null(strstr(err.message, "DisassociateVPCFromHostedZone for VPC " CLIENT
					    " on hosted zone " ZONE));
	fx_free(&f);
}

static void test_leave_never_disassociates_hub_vpc(void **state)
{
	struct fx f;
	struct vp_error err;

	(void)state;
	started(&f);
	zone(&f, true, HUB_VPC_XML);
	authorizations(&f, "");
	assert_int_equal(vp_broker_hosted_zone_leave(f.broker, FX_VPC, &err), VP_OK);
	assert_int_equal(stub_request_count(f.stub), 2); /* the reads only */
	fx_free(&f);
}

static void test_leave_list_error_names_the_step(void **state)
{
	struct fx f;
	struct vp_error err;

	(void)state;
	started(&f);
	zone(&f, true, HUB_VPC_XML VPC_XML("eu-west-1", CLIENT));
	r53_error(&f, "GET", ZP "/authorizevpcassociation", 403, "AccessDenied");
	assert_int_not_equal(vp_broker_hosted_zone_leave(f.broker, CLIENT, &err), VP_OK);
	assert_non_null(strstr(err.message, "listing the hosted zone's authorizations"));
	assert_non_null(strstr(err.message, "AccessDenied"));
	assert_int_equal(stub_request_count(f.stub), 2); /* nothing changed */
	fx_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_start_refuses_missing_zone),
		cmocka_unit_test(test_start_refuses_public_zone),
		cmocka_unit_test(test_start_refuses_zone_not_associated_with_hub),
		cmocka_unit_test(test_start_surfaces_aws_error),
		cmocka_unit_test(test_start_accepts_private_zone_of_hub),
		cmocka_unit_test(test_join_authorizes_unassociated_vpc),
		cmocka_unit_test(test_join_deletes_authorization_once_associated),
		cmocka_unit_test(test_join_error_names_action_vpc_and_zone),
		cmocka_unit_test(test_join_without_zone_calls_nothing),
		cmocka_unit_test(test_leave_disassociates_and_deletes_authorization),
		cmocka_unit_test(test_leave_treats_not_found_as_done),
		cmocka_unit_test(test_leave_missing_zone_is_not_done),
		cmocka_unit_test(test_leave_never_disassociates_hub_vpc),
		cmocka_unit_test(test_leave_list_error_names_the_step),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
