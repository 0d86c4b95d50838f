/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The transit-gateway calls (aws/ec2_tgw.h) against awsenv, from the owner's
 * account (what moto models without RAM): a gateway, a VPC attachment with
 * its subnets and tags, Describe by filters, a route table association, a
 * static route created and deleted, the attachment deleted. Not here yet,
 * for moto's sake: SearchTransitGatewayRoutes (moto fails on MaxResults:
 * "unhashable type: 'slice'") and an unknown attachment (moto answers 500,
 * KeyError, where AWS says InvalidTransitGatewayAttachmentID.NotFound); both
 * are covered by tests/unit/aws/test_tgw.c and belong here once awsenv's
 * transit-gateway model (tgwenv, tests/awsenv/tgw.py) answers them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "awsenv_client.h"
#include "aws/ec2_tgw.h"

#define HUB_KEY    "AKIAHUB1111111111111"
#define HUB_SECRET "hubSecret0000000000000000000000000000000"

static struct vp_test_awsenv env;

static int reset(void **state)
{
	(void)state;
	return vp_test_awsenv_reset(&env);
}

static void test_attachment_route_table_and_routes(void **state)
{
	struct vp_aws_client *c = vp_test_aws_client(&env, HUB_KEY, HUB_SECRET, NULL, 0.005);
	struct vp_aws_tgw_list *tgws = NULL;
	struct vp_aws_tgw_attachment *att = NULL;
	struct vp_aws_tgw_attachment_list *atts = NULL;
	struct vp_aws_tgw_route *route = NULL;
	struct vp_aws_error err;
	char *vpc, *subnet, *tgw, *rtb;
	(void)state;

	vpc = vp_test_aws_raw(c, VP_AWS_EC2, "CreateVpc", "vpcId", "CidrBlock", "10.0.0.0/22",
			      (char *)NULL);
	subnet = vp_test_aws_raw(c, VP_AWS_EC2, "CreateSubnet", "subnetId", "VpcId", vpc,
				 "CidrBlock", "10.0.0.0/24", "AvailabilityZone", "us-east-1a",
				 (char *)NULL);
	/* As the hub's (templates/hub-tgw.yaml): no default association, else the attachment
	 * is associated with the default table at once and a second association is refused. */
	tgw = vp_test_aws_raw(c, VP_AWS_EC2, "CreateTransitGateway", "transitGatewayId",
			      "Description", "hub", "Options.DefaultRouteTableAssociation",
			      "disable", "Options.DefaultRouteTablePropagation", "disable",
			      (char *)NULL);
	assert_non_null(tgw);
	{
		const char *ids[] = {tgw};
		struct vp_aws_ec2_query q = {ids, 1, NULL, 0};
		assert_int_equal(vp_aws_ec2_describe_transit_gateways(c, &q, &tgws, &err), VP_OK);
		assert_int_equal(tgws->count, 1);
		assert_string_equal(tgws->items[0].transit_gateway_id, tgw);
		vp_aws_tgw_list_free(tgws);
	}
	{
		const char *subnets[] = {subnet};
		char key[] = "vpcpeer:client", value[] = "c-1";
		struct vp_aws_ec2_tag tag = {key, value};
		struct vp_aws_tgw_attachment_request req = {tgw, vpc, subnets, 1, &tag, 1};
		assert_int_equal(vp_aws_ec2_create_tgw_vpc_attachment(c, &req, &att, &err), VP_OK);
		assert_int_equal(strncmp(att->attachment_id, "tgw-attach-", 11), 0);
		assert_string_equal(att->vpc_id, vpc);
	}
	{
		const char *tgw_v[] = {tgw};
		const char *vpc_v[] = {vpc};
		struct vp_aws_ec2_filter f[] = {{"transit-gateway-id", tgw_v, 1},
						{"vpc-id", vpc_v, 1}};
		struct vp_aws_ec2_query q = {NULL, 0, f, 2};
		assert_int_equal(vp_aws_ec2_describe_tgw_vpc_attachments(c, &q, &atts, &err),
				 VP_OK);
		assert_int_equal(atts->count, 1);
		assert_string_equal(atts->items[0].attachment_id, att->attachment_id);
		assert_int_equal(atts->items[0].subnet_count, 1);
		assert_string_equal(atts->items[0].subnet_ids[0], subnet);
		vp_aws_tgw_attachment_list_free(atts);
	}
	rtb = vp_test_aws_raw(c, VP_AWS_EC2, "CreateTransitGatewayRouteTable",
			      "transitGatewayRouteTableId", "TransitGatewayId", tgw, (char *)NULL);
	assert_non_null(rtb);
	{
		struct vp_aws_tgw_association *a = NULL;
		vp_code rc =
			vp_aws_ec2_associate_tgw_route_table(c, rtb, att->attachment_id, &a, &err);
		if (rc != VP_OK)
			fail_msg("associate: %s", err.error.message);
		assert_string_equal(a->attachment_id, att->attachment_id);
		vp_aws_tgw_association_free(a);
	}
	assert_int_equal(vp_aws_ec2_create_tgw_route(c, rtb, "10.0.4.0/22", att->attachment_id,
						     &route, &err),
			 VP_OK);
	assert_string_equal(route->destination_cidr_block, "10.0.4.0/22");
	vp_aws_tgw_route_free(route);
	assert_int_equal(vp_aws_ec2_delete_tgw_route(c, rtb, "10.0.4.0/22", NULL, &err), VP_OK);
	assert_int_equal(
		vp_aws_ec2_disassociate_tgw_route_table(c, rtb, att->attachment_id, NULL, &err),
		VP_OK);
	assert_int_equal(vp_aws_ec2_delete_tgw_vpc_attachment(c, att->attachment_id, NULL, &err),
			 VP_OK);
	vp_aws_tgw_attachment_free(att);
	free(vpc);
	free(subnet);
	free(tgw);
	free(rtb);
	vp_aws_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_attachment_route_table_and_routes, reset),
	};
	int rc;

	if (vp_test_awsenv_setup("test_tgw_awsenv", &env) != 0)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	vp_test_awsenv_teardown("test_tgw_awsenv", &env);
	return rc;
}
