/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Route 53's hosted zone association calls (aws/route53.c): request paths and
 * bodies, refusal of bad ids, answer parsing (good, extra elements, malformed)
 * and error mapping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libxml/parser.h>

#include "aws/error.h"
#include "aws/route53.h"

#define LEN(s) strlen(s)

/* Response syntax of GetHostedZone (Route 53 API Reference). */
static const char hosted_zone[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	"<GetHostedZoneResponse xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\">"
	"<HostedZone><Id>/hostedzone/Z1D633PJN98FT9</Id><Name>hub.internal.</Name>"
	"<CallerReference>ref</CallerReference><Config><Comment>c</Comment>"
	"<PrivateZone>true</PrivateZone></Config><ResourceRecordSetCount>2"
	"</ResourceRecordSetCount></HostedZone><VPCs><VPC><VPCRegion>eu-west-1</VPCRegion>"
	"<VPCId>vpc-0123456789abcdef0</VPCId></VPC><VPC><VPCRegion>us-east-1</VPCRegion>"
	"<VPCId>vpc-1a2b3c4d</VPCId></VPC></VPCs></GetHostedZoneResponse>";

static const char public_zone[] =
	"<GetHostedZoneResponse xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\">"
	"<HostedZone><Id>/hostedzone/ZPUBLIC</Id><Name>example.com.</Name><Config>"
	"<PrivateZone>false</PrivateZone></Config></HostedZone><DelegationSet><NameServers>"
	"<NameServer>ns-1.awsdns-1.org</NameServer></NameServers></DelegationSet>"
	"</GetHostedZoneResponse>";

static const char authorizations[] =
	"<ListVPCAssociationAuthorizationsResponse "
	"xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\"><HostedZoneId>Z1D633PJN98FT9"
	"</HostedZoneId><NextToken>abc==</NextToken><VPCs><VPC><VPCRegion>eu-west-1</VPCRegion>"
	"<VPCId>vpc-0123456789abcdef0</VPCId><Novelty/></VPC></VPCs>"
	"</ListVPCAssociationAuthorizationsResponse>";

static const char change[] = "<AssociateVPCWithHostedZoneResponse "
			     "xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\"><ChangeInfo>"
			     "<Id>/change/C2682N5HXP0BZ4</Id><Status>PENDING</Status>"
			     "<SubmittedAt>2017-03-31T01:36:41.958Z</SubmittedAt></ChangeInfo>"
			     "</AssociateVPCWithHostedZoneResponse>";

static void test_zone_id(void **state)
{
	char z[VP_AWS_ROUTE53_ZONE_MAX];
	struct vp_error err;

	(void)state;
	assert_int_equal(vp_aws_route53_zone_id("Z1D633PJN98FT9", z, &err), VP_OK);
	assert_string_equal(z, "Z1D633PJN98FT9");
	assert_int_equal(vp_aws_route53_zone_id("/hostedzone/Z1D633PJN98FT9", z, &err), VP_OK);
	assert_string_equal(z, "Z1D633PJN98FT9");
	assert_int_equal(vp_aws_route53_zone_id("Z1/../x", z, &err), VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "Z1/../x"));
	assert_int_equal(vp_aws_route53_zone_id("", z, &err), VP_ERR_INVALID);
	assert_int_equal(vp_aws_route53_zone_id("/hostedzone/", z, &err), VP_ERR_INVALID);
	assert_int_equal(vp_aws_route53_zone_id("z-lower", z, &err), VP_ERR_INVALID);
	assert_int_equal(vp_aws_route53_zone_id("Z123456789012345678901234567890123", z, &err),
			 VP_ERR_INVALID);
	assert_int_equal(vp_aws_route53_zone_id(NULL, z, &err), VP_ERR_INVALID);
}

static void test_build_posts(void **state)
{
	struct vp_aws_route53_request r;
	struct vp_error err;

	(void)state;
	assert_int_equal(vp_aws_route53_build(VP_R53_CREATE_AUTHORIZATION, "/hostedzone/ZABC",
					      "eu-west-1", "vpc-0123456789abcdef0", NULL, NULL, &r,
					      &err),
			 VP_OK);
	assert_string_equal(r.method, "POST");
	assert_string_equal(r.path, "/2013-04-01/hostedzone/ZABC/authorizevpcassociation");
	assert_non_null(strstr(r.body, "<CreateVPCAssociationAuthorizationRequest xmlns=\"https://"
				       "route53.amazonaws.com/doc/2013-04-01/\"><VPC><VPCRegion>"
				       "eu-west-1</VPCRegion><VPCId>vpc-0123456789abcdef0</VPCId>"
				       "</VPC></CreateVPCAssociationAuthorizationRequest>"));
	assert_int_equal(r.body_len, strlen(r.body));

	assert_int_equal(vp_aws_route53_build(VP_R53_DELETE_AUTHORIZATION, "ZABC", "eu-west-1",
					      "vpc-1a2b3c4d", NULL, NULL, &r, &err),
			 VP_OK);
	assert_string_equal(r.path, "/2013-04-01/hostedzone/ZABC/deauthorizevpcassociation");
	assert_non_null(strstr(r.body, "<DeleteVPCAssociationAuthorizationRequest "));

	assert_int_equal(vp_aws_route53_build(VP_R53_ASSOCIATE, "ZABC", "eu-west-1", "vpc-1a2b3c4d",
					      NULL, "ns <a&b>", &r, &err),
			 VP_OK);
	assert_string_equal(r.path, "/2013-04-01/hostedzone/ZABC/associatevpc");
	assert_non_null(strstr(r.body, "<Comment>ns &lt;a&amp;b&gt;</Comment>"
				       "</AssociateVPCWithHostedZoneRequest>"));

	assert_int_equal(vp_aws_route53_build(VP_R53_DISASSOCIATE, "ZABC", "eu-west-1",
					      "vpc-1a2b3c4d", NULL, NULL, &r, &err),
			 VP_OK);
	assert_string_equal(r.path, "/2013-04-01/hostedzone/ZABC/disassociatevpc");
	assert_null(strstr(r.body, "<Comment>"));
}

static void test_build_gets(void **state)
{
	struct vp_aws_route53_request r;
	struct vp_error err;

	(void)state;
	assert_int_equal(vp_aws_route53_build(VP_R53_GET_HOSTED_ZONE, "ZABC", NULL, NULL, NULL,
					      NULL, &r, &err),
			 VP_OK);
	assert_string_equal(r.method, "GET");
	assert_string_equal(r.path, "/2013-04-01/hostedzone/ZABC");
	assert_int_equal(r.body_len, 0);
	assert_int_equal(vp_aws_route53_build(VP_R53_LIST_AUTHORIZATIONS, "ZABC", NULL, NULL,
					      "a+b/c=", NULL, &r, &err),
			 VP_OK);
	assert_string_equal(
		r.path,
		"/2013-04-01/hostedzone/ZABC/authorizevpcassociation?nexttoken=a%2Bb%2Fc%3D");
}

static void test_build_refusals(void **state)
{
	struct vp_aws_route53_request r;
	struct vp_error err;
	char comment[VP_AWS_ROUTE53_BODY_MAX];

	(void)state;
	assert_int_equal(vp_aws_route53_build(VP_R53_ASSOCIATE, "ZABC", "eu-west-1", "vpc-xyz",
					      NULL, NULL, &r, &err),
			 VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "vpc-xyz"));
	assert_int_equal(vp_aws_route53_build(VP_R53_ASSOCIATE, "ZABC", "eu-west-1",
					      "vpc-1a2b3c4d</VPCId>", NULL, NULL, &r, &err),
			 VP_ERR_INVALID);
	assert_int_equal(vp_aws_route53_build(VP_R53_ASSOCIATE, "ZABC", "EU<west>", "vpc-1a2b3c4d",
					      NULL, NULL, &r, &err),
			 VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "EU<west>"));
	assert_int_equal(vp_aws_route53_build(VP_R53_ASSOCIATE, "ZABC", NULL, "vpc-1a2b3c4d", NULL,
					      NULL, &r, &err),
			 VP_ERR_INVALID);
	assert_int_equal(vp_aws_route53_build(VP_R53_CREATE_AUTHORIZATION, "zabc", "eu-west-1",
					      "vpc-1a2b3c4d", NULL, NULL, &r, &err),
			 VP_ERR_INVALID);
	memset(comment, 'x', sizeof(comment) - 1);
	comment[sizeof(comment) - 1] = '\0';
	assert_int_equal(vp_aws_route53_build(VP_R53_ASSOCIATE, "ZABC", "eu-west-1", "vpc-1a2b3c4d",
					      NULL, comment, &r, &err),
			 VP_ERR_INVALID);
	assert_int_equal(vp_aws_route53_build(VP_R53_ASSOCIATE, "ZABC", "eu-west-1", "vpc-1a2b3c4d",
					      NULL, "a\nb", &r, &err),
			 VP_ERR_INVALID);
	assert_int_equal(
		vp_aws_route53_build(VP_R53_OP_COUNT, "ZABC", NULL, NULL, NULL, NULL, &r, &err),
		VP_ERR_INVALID);
}

static void test_parse_hosted_zone(void **state)
{
	struct vp_aws_hosted_zone *z = NULL;
	struct vp_error err;

	(void)state;
	assert_int_equal(vp_aws_route53_parse_hosted_zone(hosted_zone, LEN(hosted_zone), &z, &err),
			 VP_OK);
	assert_string_equal(z->id, "Z1D633PJN98FT9");
	assert_string_equal(z->name, "hub.internal.");
	assert_true(z->private_zone);
	assert_int_equal(z->vpcs.count, 2);
	assert_true(vp_aws_route53_vpcs_has(&z->vpcs, "eu-west-1", "vpc-0123456789abcdef0"));
	assert_true(vp_aws_route53_vpcs_has(&z->vpcs, NULL, "vpc-1a2b3c4d"));
	assert_false(vp_aws_route53_vpcs_has(&z->vpcs, "eu-west-1", "vpc-1a2b3c4d"));
	vp_aws_hosted_zone_free(z);

	z = NULL;
	assert_int_equal(vp_aws_route53_parse_hosted_zone(public_zone, LEN(public_zone), &z, &err),
			 VP_OK);
	assert_false(z->private_zone);
	assert_int_equal(z->vpcs.count, 0);
	vp_aws_hosted_zone_free(z);

	z = NULL;
	assert_int_not_equal(
		vp_aws_route53_parse_hosted_zone(hosted_zone, LEN(hosted_zone) - 20, &z, &err),
		VP_OK);
	assert_null(z);
	assert_int_equal(vp_aws_route53_parse_hosted_zone(change, LEN(change), &z, &err),
			 VP_ERR_NOT_FOUND);
	assert_null(z);
	{
		static const char bad_id[] =
			"<GetHostedZoneResponse><HostedZone><Id>/hostedzone/a b"
			"</Id></HostedZone></GetHostedZoneResponse>";
		assert_int_equal(vp_aws_route53_parse_hosted_zone(bad_id, LEN(bad_id), &z, &err),
				 VP_ERR_INVALID);
		assert_null(z);
	}
}

static void test_parse_authorizations(void **state)
{
	struct vp_aws_route53_vpcs *l = NULL;
	char *next = NULL;
	struct vp_error err;

	(void)state;
	assert_int_equal(vp_aws_route53_parse_authorizations(authorizations, LEN(authorizations),
							     &l, &next, &err),
			 VP_OK);
	assert_int_equal(l->count, 1);
	assert_string_equal(next, "abc==");
	free(next);
	/* the second page appends */
	assert_int_equal(vp_aws_route53_parse_authorizations(authorizations, LEN(authorizations),
							     &l, NULL, &err),
			 VP_OK);
	assert_int_equal(l->count, 2);
	assert_string_equal(l->items[1].region, "eu-west-1");
	assert_string_equal(l->items[1].vpc_id, "vpc-0123456789abcdef0");
	vp_aws_route53_vpcs_free(l);

	l = NULL;
	assert_int_equal(
		vp_aws_route53_parse_authorizations(hosted_zone, LEN(hosted_zone), &l, NULL, &err),
		VP_ERR_INVALID);
	assert_null(l);
	{
		static const char no_id[] = "<ListVPCAssociationAuthorizationsResponse><VPCs><VPC>"
					    "<VPCRegion>x</VPCRegion></VPC></VPCs>"
					    "</ListVPCAssociationAuthorizationsResponse>";
		assert_int_equal(
			vp_aws_route53_parse_authorizations(no_id, LEN(no_id), &l, NULL, &err),
			VP_ERR_INVALID);
		assert_null(l);
	}
}

static void test_parse_change(void **state)
{
	char *id = NULL;
	bool insync = true;
	struct vp_error err;
	static const char insync_doc[] = "<X><ChangeInfo><Status>INSYNC</Status></ChangeInfo></X>";
	static const char odd[] = "<X><ChangeInfo><Status>DONE</Status></ChangeInfo></X>";

	(void)state;
	assert_int_equal(vp_aws_route53_parse_change(change, LEN(change), &id, &insync, &err),
			 VP_OK);
	assert_false(insync);
	assert_string_equal(id, "/change/C2682N5HXP0BZ4");
	free(id);
	assert_int_equal(
		vp_aws_route53_parse_change(insync_doc, LEN(insync_doc), NULL, &insync, &err),
		VP_OK);
	assert_true(insync);
	assert_int_equal(vp_aws_route53_parse_change(odd, LEN(odd), NULL, &insync, &err),
			 VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "DONE"));
	assert_int_equal(
		vp_aws_route53_parse_change(hosted_zone, LEN(hosted_zone), NULL, &insync, &err),
		VP_ERR_INVALID);
}

static void test_errors(void **state)
{
	/* Route 53's error document is the ErrorResponse form (with a Type). */
	static const char doc[] =
		"<?xml version=\"1.0\"?><ErrorResponse xmlns=\"https://route53.amazonaws.com/doc/"
		"2013-04-01/\"><Error><Type>Sender</Type><Code>NotAuthorizedException</Code>"
		"<Message>not authorized</Message></Error><RequestId>r-1</RequestId>"
		"</ErrorResponse>";
	struct vp_aws_error e;

	(void)state;
	vp_aws_error_clear(&e);
	assert_int_equal(vp_aws_error_parse(401, doc, LEN(doc), &e), VP_OK);
	assert_string_equal(e.code, "NotAuthorizedException");
	assert_string_equal(e.request_id, "r-1");
	assert_int_equal(vp_aws_route53_error_map(e.code, 401), VP_ERR_FORBIDDEN);
	assert_int_equal(vp_aws_route53_error_map("NoSuchHostedZone", 404), VP_ERR_NOT_FOUND);
	assert_int_equal(vp_aws_route53_error_map("VPCAssociationAuthorizationNotFound", 404),
			 VP_ERR_NOT_FOUND);
	assert_int_equal(vp_aws_route53_error_map("VPCAssociationNotFound", 404), VP_ERR_NOT_FOUND);
	assert_int_equal(vp_aws_route53_error_map("ConflictingDomainExists", 400), VP_ERR_CONFLICT);
	assert_int_equal(vp_aws_route53_error_map("LastVPCAssociation", 400), VP_ERR_CONFLICT);
	assert_int_equal(vp_aws_route53_error_map("TooManyVPCAssociationAuthorizations", 400),
			 VP_ERR_EXHAUSTED);
	assert_int_equal(vp_aws_route53_error_map("PriorRequestNotComplete", 400),
			 VP_ERR_UNAVAILABLE);
	assert_int_equal(vp_aws_route53_error_map("InvalidVPCId", 400), VP_ERR_INVALID);
	assert_int_equal(vp_aws_route53_error_map("Throttling", 400), VP_ERR_UNAVAILABLE);
	assert_int_equal(vp_aws_route53_error_map("SomethingNew", 400), VP_ERR_AWS);
	assert_int_equal(vp_aws_route53_error_map(NULL, 503), VP_ERR_UNAVAILABLE);
	assert_string_equal(vp_aws_route53_action(VP_R53_ASSOCIATE), "AssociateVPCWithHostedZone");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zone_id),
		cmocka_unit_test(test_build_posts),
		cmocka_unit_test(test_build_gets),
		cmocka_unit_test(test_build_refusals),
		cmocka_unit_test(test_parse_hosted_zone),
		cmocka_unit_test(test_parse_authorizations),
		cmocka_unit_test(test_parse_change),
		cmocka_unit_test(test_errors),
	};
	int rc;

	xmlInitParser();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	xmlCleanupParser();
	return rc;
}
