/* SPDX-License-Identifier: Apache-2.0 */
/*
 * XML helpers and the response parsers (STS, IAM, EC2): good answers, answers
 * with unknown extra elements, malformed and truncated answers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libxml/parser.h>

#include "aws/ec2.h"
#include "aws/iam.h"
#include "aws/sts.h"
#include "aws/xml.h"

#define LEN(s) strlen(s)

static const char caller_identity[] =
	"<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
	"<GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/MyUserName</Arn>"
	"<UserId>AIDASOMETHING</UserId><Account>123456789012</Account></GetCallerIdentityResult>"
	"<ResponseMetadata><RequestId>7f4fc40c-853a-11e6-8848-8d035d01eb87</RequestId>"
	"</ResponseMetadata></GetCallerIdentityResponse>";

static const char caller_identity_extra[] =
	"<?xml version=\"1.0\"?><GetCallerIdentityResponse xmlns=\"urn:other\" xmlns:x=\"urn:x\">"
	"<x:Novelty>1</x:Novelty><GetCallerIdentityResult><Future><Account>999</Account></Future>"
	"<Arn>arn:aws:sts::123456789012:assumed-role/r/s</Arn><UserId>AROA:s</UserId>"
	"<Account>123456789012</Account><Extra a=\"b\"/></GetCallerIdentityResult>"
	"</GetCallerIdentityResponse>";

static const char assume_role[] =
	"<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult>"
	"<SourceIdentity>x</SourceIdentity><AssumedRoleUser>"
	"<Arn>arn:aws:sts::123456789012:assumed-role/demo/TestAR</Arn>"
	"<AssumedRoleId>ARO123EXAMPLE123:TestAR</AssumedRoleId></AssumedRoleUser><Credentials>"
	"<AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>"
	"<SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>"
	"<SessionToken>AQoDYXdzEPT//////////wEXAMPLEtc764</SessionToken>"
	"<Expiration>2019-11-09T13:34:41Z</Expiration></Credentials><PackedPolicySize>6"
	"</PackedPolicySize></AssumeRoleResult><ResponseMetadata><RequestId>c6104cbe</RequestId>"
	"</ResponseMetadata></AssumeRoleResponse>";

static const char get_role[] =
	"<GetRoleResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><GetRoleResult><Role>"
	"<Path>/</Path><RoleName>app</RoleName><RoleId>AROADBQP57FF2AEXAMPLE</RoleId>"
	"<Arn>arn:aws:iam::123456789012:role/app</Arn><CreateDate>2012-05-08T23:34:01Z</CreateDate>"
	"<AssumeRolePolicyDocument>%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B"
	"%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22AWS%22%3A%22arn%3Aaws%3Aiam%3A%3A"
	"111122223333%3Aroot%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D+x"
	"</AssumeRolePolicyDocument><MaxSessionDuration>3600</MaxSessionDuration>"
	"<RoleLastUsed><Region>us-east-1</Region></RoleLastUsed></Role></GetRoleResult>"
	"<ResponseMetadata><RequestId>df37e965</RequestId></ResponseMetadata></GetRoleResponse>";

static const char peerings[] =
	"<DescribeVpcPeeringConnectionsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
	"<requestId>7a62c49f</requestId><vpcPeeringConnectionSet><item>"
	"<vpcPeeringConnectionId>pcx-111aaa22</vpcPeeringConnectionId><requesterVpcInfo>"
	"<ownerId>777788889999</ownerId><vpcId>vpc-1a2b3c4d</vpcId><cidrBlock>172.31.0.0/16</"
	"cidrBlock>"
	"<cidrBlockSet><item><cidrBlock>172.31.0.0/16</cidrBlock></item>"
	"<item><cidrBlock>100.64.0.0/16</cidrBlock></item></cidrBlockSet>"
	"<ipv6CidrBlockSet><item><ipv6CidrBlock>2600:1f16::/56</ipv6CidrBlock></item>"
	"</ipv6CidrBlockSet>"
	"<region>us-west-2</region></requesterVpcInfo><accepterVpcInfo><ownerId>123456789012</"
	"ownerId>"
	"<vpcId>vpc-aa22cc33</vpcId><cidrBlock>10.0.0.0/16</cidrBlock></accepterVpcInfo>"
	"<status><code>active</code><message>Active</message></status>"
	"<tagSet><item><key>Name</key><value>peer</value></item></tagSet></item>"
	"<item><vpcPeeringConnectionId>pcx-2</vpcPeeringConnectionId>"
	"<status><code>pending-acceptance</code></status><expirationTime>2026-12-03T09:00:00.000Z"
	"</expirationTime></item></vpcPeeringConnectionSet><nextToken>tok2</nextToken>"
	"</DescribeVpcPeeringConnectionsResponse>";

static const char route_tables[] =
	"<DescribeRouteTablesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
	"<requestId>r</requestId><routeTableSet><item><routeTableId>rtb-1</routeTableId>"
	"<vpcId>vpc-1</vpcId><ownerId>111111111111</ownerId><routeSet>"
	"<item><destinationCidrBlock>10.0.0.0/22</destinationCidrBlock><gatewayId>local</gatewayId>"
	"<state>active</state><origin>CreateRouteTable</origin></item>"
	"<item><destinationCidrBlock>10.0.4.0/22</destinationCidrBlock>"
	"<vpcPeeringConnectionId>pcx-1</vpcPeeringConnectionId><state>blackhole</state>"
	"<origin>CreateRoute</origin></item><item><destinationIpv6CidrBlock>::/0"
	"</destinationIpv6CidrBlock><gatewayId>igw-1</gatewayId></item></routeSet>"
	"<associationSet><item><routeTableAssociationId>rtbassoc-1</routeTableAssociationId>"
	"<main>true</main></item></associationSet><tagSet/></item></routeTableSet>"
	"</DescribeRouteTablesResponse>";

static const char vpcs[] =
	"<DescribeVpcsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>r"
	"</requestId><vpcSet><item><vpcId>vpc-1</vpcId><ownerId>111111111111</ownerId>"
	"<state>available</state><cidrBlock>10.0.0.0/22</cidrBlock><isDefault>false</isDefault>"
	"<tagSet><item><key>Name</key><value>hub</value></item></tagSet></item></vpcSet>"
	"</DescribeVpcsResponse>";

static void test_helpers_find_by_local_name(void **state)
{
	xmlDoc *doc = NULL;
	xmlNode *root;
	char *text = NULL;
	bool b = true;
	int64_t n = 0;
	struct vp_error err;
	(void)state;

	assert_int_equal(
		vp_aws_xml_parse(caller_identity_extra, LEN(caller_identity_extra), &doc, &err),
		VP_OK);
	root = xmlDocGetRootElement(doc);
	assert_true(vp_aws_xml_is(root, "GetCallerIdentityResponse"));
	assert_non_null(vp_aws_xml_child(root, "Novelty"));
	assert_non_null(vp_aws_xml_find(root, "Extra"));
	assert_null(vp_aws_xml_path(root, "GetCallerIdentityResult/Nope"));
	assert_int_equal(vp_aws_xml_text(vp_aws_xml_child(root, "GetCallerIdentityResult"), "Nope",
					 true, &text, &err),
			 VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "<Nope>"));
	assert_int_equal(vp_aws_xml_bool(root, "Missing", false, &b, &err), VP_OK);
	assert_false(b);
	assert_int_equal(vp_aws_xml_int(root, "Novelty", 0, 10, 5, &n, &err), VP_OK);
	assert_int_equal(n, 1);
	assert_int_equal(vp_aws_xml_bool(root, "Novelty", false, &b, &err), VP_ERR_INVALID);
	xmlFreeDoc(doc);
}

static void test_malformed_truncated_and_dtd_are_refused(void **state)
{
	static const char *const bad[] = {
		"",
		"<",
		"<a>",
		"<a></b>",
		"not xml at all",
		"<a>&undefined;</a>",
		"<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>",
		"<a/><b/>",
		"\xff\xfe<a/>",
	};
	struct vp_error err;
	xmlDoc *doc = NULL;
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err.message[0] = '\0';
		if (vp_aws_xml_parse(bad[i], strlen(bad[i]), &doc, &err) == VP_OK)
			fail_msg("accepted %s", bad[i]);
		assert_true(strlen(err.message) > 0);
	}
	/* every proper prefix of a real answer is refused, not half-read */
	for (size_t n = 1; n < LEN(caller_identity); n++) {
		struct vp_aws_caller_identity *id = NULL;
		if (vp_aws_sts_parse_caller_identity(caller_identity, n, &id, &err) == VP_OK)
			fail_msg("accepted a truncation at %zu", n);
		assert_null(id);
	}
}

static void test_sts_parsers(void **state)
{
	struct vp_aws_caller_identity *id = NULL;
	struct vp_aws_assumed_role *r = NULL;
	struct vp_error err;
	(void)state;

	assert_int_equal(
		vp_aws_sts_parse_caller_identity(caller_identity, LEN(caller_identity), &id, &err),
		VP_OK);
	assert_string_equal(id->account, "123456789012");
	assert_string_equal(id->arn, "arn:aws:iam::123456789012:user/MyUserName");
	assert_string_equal(id->user_id, "AIDASOMETHING");
	vp_aws_caller_identity_free(id);

	assert_int_equal(vp_aws_sts_parse_caller_identity(caller_identity_extra,
							  LEN(caller_identity_extra), &id, &err),
			 VP_OK);
	assert_string_equal(id->account, "123456789012"); /* not the nested <Future><Account> */
	vp_aws_caller_identity_free(id);

	assert_int_equal(vp_aws_sts_parse_assume_role(assume_role, LEN(assume_role), &r, &err),
			 VP_OK);
	assert_string_equal(r->credentials.access_key_id, "ASIAIOSFODNN7EXAMPLE");
	assert_string_equal(r->credentials.session_token, "AQoDYXdzEPT//////////wEXAMPLEtc764");
	assert_int_equal(r->credentials.expiration, 1573306481);
	assert_string_equal(r->assumed_role_id, "ARO123EXAMPLE123:TestAR");
	vp_aws_assumed_role_free(r);

	/* the success parser refuses an error document */
	assert_int_equal(vp_aws_sts_parse_caller_identity(
				 "<ErrorResponse><Error><Code>X</Code></Error></ErrorResponse>", 59,
				 &id, &err),
			 VP_ERR_INVALID);
}

static void test_iam_get_role_decodes_the_policy(void **state)
{
	struct vp_aws_iam_role *r = NULL;
	struct vp_error err;
	(void)state;

	assert_int_equal(vp_aws_iam_parse_get_role(get_role, LEN(get_role), &r, &err), VP_OK);
	assert_string_equal(r->role_name, "app");
	assert_string_equal(r->arn, "arn:aws:iam::123456789012:role/app");
	assert_int_equal(r->max_session_duration, 3600);
	assert_null(r->description);
	/* percent-decoded; '+' stays '+' (botocore: json.loads(unquote(v))) */
	assert_string_equal(r->assume_role_policy_document,
			    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
			    "\"Principal\":{\"AWS\":\"arn:aws:iam::111122223333:root\"},"
			    "\"Action\":\"sts:AssumeRole\"}]}+x");
	vp_aws_iam_role_free(r);
}

static void test_ec2_parsers(void **state)
{
	struct vp_aws_ec2_peering_list *pl = NULL;
	struct vp_aws_ec2_route_table_list *tl = NULL;
	struct vp_aws_ec2_vpc_list *vl = NULL;
	char *next = NULL;
	struct vp_error err;
	(void)state;

	assert_int_equal(vp_aws_ec2_parse_peerings(peerings, LEN(peerings), &pl, &next, &err),
			 VP_OK);
	assert_int_equal(pl->count, 2);
	assert_string_equal(next, "tok2");
	free(next);
	assert_string_equal(pl->items[0].vpc_peering_connection_id, "pcx-111aaa22");
	assert_string_equal(pl->items[0].requester.owner_id, "777788889999");
	assert_string_equal(pl->items[0].requester.cidr_block, "172.31.0.0/16");
	assert_string_equal(pl->items[0].requester.region, "us-west-2");
	assert_int_equal(pl->items[0].requester.cidr_block_count, 2);
	assert_string_equal(pl->items[0].requester.cidr_blocks[1], "100.64.0.0/16");
	assert_int_equal(pl->items[0].requester.ipv6_cidr_block_count, 1);
	assert_int_equal(pl->items[0].accepter.cidr_block_count, 0);
	assert_string_equal(pl->items[0].accepter.vpc_id, "vpc-aa22cc33");
	assert_string_equal(pl->items[0].status_code, "active");
	assert_string_equal(vp_aws_ec2_tag(&pl->items[0].tags, "Name"), "peer");
	assert_null(pl->items[1].accepter.vpc_id);
	assert_string_equal(pl->items[1].status_code, "pending-acceptance");
	/* a second page appends */
	assert_int_equal(vp_aws_ec2_parse_peerings(peerings, LEN(peerings), &pl, NULL, &err),
			 VP_OK);
	assert_int_equal(pl->count, 4);
	/* a bad page leaves the list as it was */
	assert_int_equal(vp_aws_ec2_parse_peerings(peerings, LEN(peerings) - 9, &pl, NULL, &err),
			 VP_ERR_INVALID);
	assert_int_equal(pl->count, 4);
	vp_aws_ec2_peering_list_free(pl);

	assert_int_equal(
		vp_aws_ec2_parse_route_tables(route_tables, LEN(route_tables), &tl, &next, &err),
		VP_OK);
	assert_null(next);
	assert_int_equal(tl->count, 1);
	assert_int_equal(tl->items[0].route_count, 3);
	assert_string_equal(tl->items[0].routes[1].vpc_peering_connection_id, "pcx-1");
	assert_string_equal(tl->items[0].routes[1].state, "blackhole");
	assert_null(tl->items[0].routes[2].destination_cidr_block);
	assert_true(tl->items[0].associations[0].main);
	vp_aws_ec2_route_table_list_free(tl);

	assert_int_equal(vp_aws_ec2_parse_vpcs(vpcs, LEN(vpcs), &vl, NULL, &err), VP_OK);
	assert_int_equal(vl->count, 1);
	assert_string_equal(vl->items[0].cidr_block, "10.0.0.0/22");
	assert_false(vl->items[0].is_default);
	vp_aws_ec2_vpc_list_free(vl);
}

static void test_ec2_return_and_accept(void **state)
{
	static const char ok[] =
		"<CreateRouteResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
		"<requestId>x</requestId><return>true</return></CreateRouteResponse>";
	static const char no[] =
		"<CreateRouteResponse><return>false</return></CreateRouteResponse>";
	static const char accept[] =
		"<AcceptVpcPeeringConnectionResponse><requestId>x</requestId><vpcPeeringConnection>"
		"<vpcPeeringConnectionId>pcx-9</vpcPeeringConnectionId><status><code>provisioning</"
		"code>"
		"</status></vpcPeeringConnection></AcceptVpcPeeringConnectionResponse>";
	struct vp_aws_ec2_peering *p = NULL;
	struct vp_error err;
	(void)state;

	assert_int_equal(vp_aws_ec2_parse_return(ok, LEN(ok), true, &err), VP_OK);
	assert_int_equal(vp_aws_ec2_parse_return(no, LEN(no), true, &err), VP_ERR_AWS);
	assert_int_equal(vp_aws_ec2_parse_return(no, LEN(no), false, &err), VP_ERR_AWS);
	assert_int_equal(vp_aws_ec2_parse_return("<a/>", 4, true, &err), VP_ERR_INVALID);
	assert_int_equal(vp_aws_ec2_parse_return("<a/>", 4, false, &err), VP_OK);
	assert_int_equal(vp_aws_ec2_parse_accept(accept, LEN(accept), &p, &err), VP_OK);
	assert_string_equal(p->vpc_peering_connection_id, "pcx-9");
	assert_string_equal(p->status_code, "provisioning");
	vp_aws_ec2_peering_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_helpers_find_by_local_name),
		cmocka_unit_test(test_malformed_truncated_and_dtd_are_refused),
		cmocka_unit_test(test_sts_parsers),
		cmocka_unit_test(test_iam_get_role_decodes_the_policy),
		cmocka_unit_test(test_ec2_parsers),
		cmocka_unit_test(test_ec2_return_and_accept),
	};
	int rc;

	xmlInitParser();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	xmlCleanupParser();
	return rc;
}
