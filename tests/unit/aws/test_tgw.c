/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The transit-gateway calls (aws/ec2_tgw.h) against a loopback stand-in: the
 * request each call sends, the answers parsed (shapes of the EC2 API
 * reference, optional elements absent), paging, the truncated search, errors
 * mapped, and bad arguments refused before anything is sent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aws/client.h"
#include "aws/ec2_tgw.h"
#include "stub.h"
#include "static_client.h"

#define NS "xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\""

static struct stub *stub;
static struct vp_aws_client *cl;

static int reset(void **state)
{
	(void)state;
	stub_reset(stub);
	return 0;
}

static const char *sent(size_t i)
{
	static struct stub_request r;
	r = stub_request_at(stub, i);
	return r.body;
}

/* DescribeTransitGateways: full options on the first, a bare one (optional parts absent). */
static void test_describe_transit_gateways(void **state)
{
	struct vp_aws_tgw_list *l = NULL;
	const char *ids[] = {"tgw-0262a0e521EXAMPLE", "tgw-2"};
	struct vp_aws_ec2_query q = {ids, 2, NULL, 0};
	(void)state;

	stub_on(stub, "POST", "/", 1, 200,
		"<DescribeTransitGatewaysResponse " NS "><requestId>r1</requestId>"
		"<transitGatewaySet><item><creationTime>2019-07-10T14:02:12.000Z</creationTime>"
		"<description>hub</description><options><amazonSideAsn>64516</amazonSideAsn>"
		"<associationDefaultRouteTableId>tgw-rtb-018774adf3EXAMPLE"
		"</associationDefaultRouteTableId><autoAcceptSharedAttachments>enable"
		"</autoAcceptSharedAttachments><defaultRouteTableAssociation>enable"
		"</defaultRouteTableAssociation><defaultRouteTablePropagation>disable"
		"</defaultRouteTablePropagation><propagationDefaultRouteTableId>tgw-rtb-9"
		"</propagationDefaultRouteTableId></options><ownerId>123456789012</ownerId>"
		"<state>available</state><tagSet><item><key>Name</key><value>hub</value></item>"
		"</tagSet><transitGatewayArn>arn:aws:ec2:us-east-1:123456789012:transit-gateway/"
		"tgw-0262a0e521EXAMPLE</transitGatewayArn><transitGatewayId>tgw-0262a0e521EXAMPLE"
		"</transitGatewayId></item></transitGatewaySet><nextToken>p2</nextToken>"
		"</DescribeTransitGatewaysResponse>");
	stub_on(stub, "POST", "/", 1, 200,
		"<DescribeTransitGatewaysResponse><transitGatewaySet><item>"
		"<transitGatewayId>tgw-2</transitGatewayId></item></transitGatewaySet>"
		"</DescribeTransitGatewaysResponse>");
	assert_int_equal(vp_aws_ec2_describe_transit_gateways(cl, &q, &l, NULL), VP_OK);
	assert_int_equal(l->count, 2);
	assert_string_equal(l->items[0].transit_gateway_id, "tgw-0262a0e521EXAMPLE");
	assert_string_equal(l->items[0].owner_id, "123456789012");
	assert_string_equal(l->items[0].state, "available");
	assert_string_equal(l->items[0].association_default_route_table_id,
			    "tgw-rtb-018774adf3EXAMPLE");
	assert_string_equal(l->items[0].propagation_default_route_table_id, "tgw-rtb-9");
	assert_true(l->items[0].auto_accept_shared_attachments);
	assert_true(l->items[0].default_route_table_association);
	assert_string_equal(vp_aws_ec2_tag(&l->items[0].tags, "Name"), "hub");
	assert_null(l->items[1].owner_id);
	assert_null(l->items[1].association_default_route_table_id);
	assert_false(l->items[1].auto_accept_shared_attachments);
	assert_string_equal(sent(0), "Action=DescribeTransitGateways&Version=2016-11-15&"
				     "TransitGatewayIds.1=tgw-0262a0e521EXAMPLE&"
				     "TransitGatewayIds.2=tgw-2");
	assert_non_null(strstr(sent(1), "&NextToken=p2"));
	vp_aws_tgw_list_free(l);
}

static const char attachments_page1[] =
	"<DescribeTransitGatewayVpcAttachmentsResponse " NS "><requestId>r</requestId>"
	"<transitGatewayVpcAttachments><item><creationTime>2019-07-17T16:04:27.000Z"
	"</creationTime><options><dnsSupport>enable</dnsSupport><ipv6Support>disable"
	"</ipv6Support></options><state>pendingAcceptance</state><subnetIds>"
	"<item>subnet-0187aff814EXAMPLE</item><item>subnet-0b3b1f3c1cEXAMPLE</item></subnetIds>"
	"<tagSet><item><key>vpcpeer:client</key><value>c-1</value></item></tagSet>"
	"<transitGatewayAttachmentId>tgw-attach-0a08e88308EXAMPLE</transitGatewayAttachmentId>"
	"<transitGatewayId>tgw-02f776b1a7EXAMPLE</transitGatewayId><vpcId>vpc-3EXAMPLE</vpcId>"
	"<vpcOwnerId>111122223333</vpcOwnerId></item></transitGatewayVpcAttachments>"
	"<nextToken>t2</nextToken></DescribeTransitGatewayVpcAttachmentsResponse>";

/* Filters and paging; the second page's attachment has only its id. */
static void test_describe_attachments_filters_and_pages(void **state)
{
	struct vp_aws_tgw_attachment_list *l = NULL;
	const char *tgw[] = {"tgw-02f776b1a7EXAMPLE"};
	const char *states[] = {"pendingAcceptance", "available"};
	const char *client[] = {"c-1"};
	struct vp_aws_ec2_filter f[] = {{"transit-gateway-id", tgw, 1},
					{"state", states, 2},
					{"tag:vpcpeer:client", client, 1}};
	struct vp_aws_ec2_query q = {NULL, 0, f, 3};
	(void)state;

	stub_on(stub, "POST", "/", 1, 200, attachments_page1);
	stub_on(stub, "POST", "/", 1, 200,
		"<DescribeTransitGatewayVpcAttachmentsResponse><transitGatewayVpcAttachments><item>"
		"<transitGatewayAttachmentId>tgw-attach-2</transitGatewayAttachmentId></item>"
		"</transitGatewayVpcAttachments></DescribeTransitGatewayVpcAttachmentsResponse>");
	assert_int_equal(vp_aws_ec2_describe_tgw_vpc_attachments(cl, &q, &l, NULL), VP_OK);
	assert_int_equal(l->count, 2);
	assert_string_equal(l->items[0].attachment_id, "tgw-attach-0a08e88308EXAMPLE");
	assert_string_equal(l->items[0].state, "pendingAcceptance");
	assert_string_equal(l->items[0].vpc_owner_id, "111122223333");
	assert_int_equal(l->items[0].subnet_count, 2);
	assert_string_equal(l->items[0].subnet_ids[1], "subnet-0b3b1f3c1cEXAMPLE");
	assert_string_equal(vp_aws_ec2_tag(&l->items[0].tags, "vpcpeer:client"), "c-1");
	assert_null(l->items[1].vpc_id);
	assert_null(l->items[1].state);
	assert_int_equal(l->items[1].subnet_count, 0);
	assert_string_equal(sent(0),
			    "Action=DescribeTransitGatewayVpcAttachments&"
			    "Version=2016-11-15&Filter.1.Name=transit-gateway-id&"
			    "Filter.1.Value.1=tgw-02f776b1a7EXAMPLE&Filter.2.Name=state&"
			    "Filter.2.Value.1=pendingAcceptance&Filter.2.Value.2=available&"
			    "Filter.3.Name=tag%3Avpcpeer%3Aclient&Filter.3.Value.1=c-1");
	assert_non_null(strstr(sent(1), "&NextToken=t2"));
	vp_aws_tgw_attachment_list_free(l);
}

static const char attachment_answer[] =
	"<CreateTransitGatewayVpcAttachmentResponse " NS "><requestId>r</requestId>"
	"<transitGatewayVpcAttachment><creationTime>2019-07-17T16:04:27.000Z</creationTime>"
	"<state>pending</state><subnetIds><item>subnet-a</item></subnetIds>"
	"<transitGatewayAttachmentId>tgw-attach-1</transitGatewayAttachmentId>"
	"<transitGatewayId>tgw-1</transitGatewayId><vpcId>vpc-1</vpcId>"
	"<vpcOwnerId>222222222222</vpcOwnerId></transitGatewayVpcAttachment>"
	"</CreateTransitGatewayVpcAttachmentResponse>";

static void test_create_attachment(void **state)
{
	struct vp_aws_tgw_attachment *a = NULL;
	const char *subnets[] = {"subnet-a", "subnet-b"};
	char key[] = "vpcpeer:client", value[] = "c-1";
	struct vp_aws_ec2_tag tags[] = {{key, value}};
	struct vp_aws_tgw_attachment_request req = {"tgw-1", "vpc-1", subnets, 2, tags, 1};
	(void)state;

	stub_on(stub, "POST", "/", 1, 200, attachment_answer);
	assert_int_equal(vp_aws_ec2_create_tgw_vpc_attachment(cl, &req, &a, NULL), VP_OK);
	assert_string_equal(a->attachment_id, "tgw-attach-1");
	assert_string_equal(a->state, "pending");
	assert_int_equal(a->subnet_count, 1);
	assert_string_equal(sent(0),
			    "Action=CreateTransitGatewayVpcAttachment&Version=2016-11-15&"
			    "TransitGatewayId=tgw-1&VpcId=vpc-1&SubnetIds.1=subnet-a&"
			    "SubnetIds.2=subnet-b&TagSpecifications.1.ResourceType=transit-gateway-"
			    "attachment&TagSpecifications.1.Tag.1.Key=vpcpeer%3Aclient&"
			    "TagSpecifications.1.Tag.1.Value=c-1");
	vp_aws_tgw_attachment_free(a);
	/* Nothing wanted back: still parsed, nothing leaked. */
	stub_on(stub, "POST", "/", 1, 200, attachment_answer);
	assert_int_equal(vp_aws_ec2_create_tgw_vpc_attachment(cl, &req, NULL, NULL), VP_OK);
}

static void test_bad_arguments_send_nothing(void **state)
{
	struct vp_aws_error err;
	const char *bad_subnets[] = {"subnet-a", "sg-1"};
	struct vp_aws_tgw_attachment_request req = {"tgw-1", "vpc-1", bad_subnets, 2, NULL, 0};
	struct vp_aws_tgw_route_list *routes = NULL;
	(void)state;

	vp_aws_error_clear(&err);
	assert_int_equal(vp_aws_ec2_create_tgw_vpc_attachment(cl, &req, NULL, &err),
			 VP_ERR_INVALID);
	assert_non_null(strstr(err.error.message, "\"sg-1\" is not a subnet id"));
	req.subnet_count = 0;
	assert_int_equal(vp_aws_ec2_create_tgw_vpc_attachment(cl, &req, NULL, &err),
			 VP_ERR_INVALID);
	assert_non_null(strstr(err.error.message, "one per Availability Zone"));
	assert_int_equal(vp_aws_ec2_accept_tgw_vpc_attachment(cl, "pcx-1", NULL, &err),
			 VP_ERR_INVALID);
	assert_non_null(strstr(err.error.message, "\"pcx-1\""));
	assert_int_equal(
		vp_aws_ec2_associate_tgw_route_table(cl, "rtb-1", "tgw-attach-1", NULL, &err),
		VP_ERR_INVALID);
	assert_int_equal(vp_aws_ec2_create_tgw_route(cl, "tgw-rtb-1", "", NULL, NULL, &err),
			 VP_ERR_INVALID);
	assert_int_equal(vp_aws_ec2_search_tgw_routes(cl, "tgw-rtb-1", NULL, 0, &routes, &err),
			 VP_ERR_INVALID);
	assert_non_null(strstr(err.error.message, "at least one filter"));
	assert_int_equal(stub_request_count(stub), 0);
}

static void test_accept_reject_delete(void **state)
{
	struct vp_aws_tgw_attachment *a = NULL;
	static const char *actions[] = {"AcceptTransitGatewayVpcAttachment",
					"RejectTransitGatewayVpcAttachment",
					"DeleteTransitGatewayVpcAttachment"};
	(void)state;

	stub_on(stub, "POST", "/", 3, 200,
		"<X><transitGatewayVpcAttachment><transitGatewayAttachmentId>tgw-attach-9"
		"</transitGatewayAttachmentId><state>deleting</state></transitGatewayVpcAttachment>"
		"</X>");
	assert_int_equal(vp_aws_ec2_accept_tgw_vpc_attachment(cl, "tgw-attach-9", &a, NULL), VP_OK);
	vp_aws_tgw_attachment_free(a);
	assert_int_equal(vp_aws_ec2_reject_tgw_vpc_attachment(cl, "tgw-attach-9", NULL, NULL),
			 VP_OK);
	assert_int_equal(vp_aws_ec2_delete_tgw_vpc_attachment(cl, "tgw-attach-9", &a, NULL), VP_OK);
	assert_string_equal(a->state, "deleting");
	vp_aws_tgw_attachment_free(a);
	for (size_t i = 0; i < 3; i++) {
		char want[160];
		snprintf(want, sizeof(want),
			 "Action=%s&Version=2016-11-15&TransitGatewayAttachmentId=tgw-attach-9",
			 actions[i]);
		assert_string_equal(sent(i), want);
	}
}

/* An error answer is mapped (the code kept), not parsed as an attachment. */
static void test_errors_mapped(void **state)
{
	struct vp_aws_error err;
	struct vp_aws_tgw_attachment *a = NULL;
	(void)state;

	stub_on(stub, "POST", "/", 1, 400,
		"<Response><Errors><Error><Code>InvalidTransitGatewayAttachmentID.NotFound</Code>"
		"<Message>Transit Gateway Attachment tgw-attach-9 not found</Message></Error>"
		"</Errors><RequestID>x</RequestID></Response>");
	vp_aws_error_clear(&err);
	assert_int_equal(vp_aws_ec2_accept_tgw_vpc_attachment(cl, "tgw-attach-9", &a, &err),
			 VP_ERR_NOT_FOUND);
	assert_string_equal(err.code, "InvalidTransitGatewayAttachmentID.NotFound");
	assert_null(a);
	/* The answer lacks the object: an error naming the element. */
	stub_on(stub, "POST", "/", 1, 200, "<AcceptTransitGatewayVpcAttachmentResponse/>");
	vp_aws_error_clear(&err);
	assert_int_not_equal(vp_aws_ec2_accept_tgw_vpc_attachment(cl, "tgw-attach-9", &a, &err),
			     VP_OK);
	assert_non_null(strstr(err.error.message, "transitGatewayVpcAttachment"));
	assert_null(a);
}

static void test_associate_and_disassociate(void **state)
{
	struct vp_aws_tgw_association *a = NULL;
	(void)state;

	stub_on(stub, "POST", "/", 1, 200,
		"<AssociateTransitGatewayRouteTableResponse " NS "><requestId>r</requestId>"
		"<association><resourceId>vpc-1</resourceId><resourceType>vpc</resourceType>"
		"<state>associating</state><transitGatewayAttachmentId>tgw-attach-1"
		"</transitGatewayAttachmentId><transitGatewayRouteTableId>tgw-rtb-1"
		"</transitGatewayRouteTableId></association>"
		"</AssociateTransitGatewayRouteTableResponse>");
	stub_on(stub, "POST", "/", 1, 200,
		"<DisassociateTransitGatewayRouteTableResponse><association>"
		"<transitGatewayAttachmentId>tgw-attach-1</transitGatewayAttachmentId>"
		"</association></DisassociateTransitGatewayRouteTableResponse>");
	assert_int_equal(
		vp_aws_ec2_associate_tgw_route_table(cl, "tgw-rtb-1", "tgw-attach-1", &a, NULL),
		VP_OK);
	assert_string_equal(a->state, "associating");
	assert_string_equal(a->resource_id, "vpc-1");
	assert_string_equal(a->route_table_id, "tgw-rtb-1");
	vp_aws_tgw_association_free(a);
	a = NULL;
	assert_int_equal(
		vp_aws_ec2_disassociate_tgw_route_table(cl, "tgw-rtb-1", "tgw-attach-1", &a, NULL),
		VP_OK);
	assert_null(a->state);
	assert_null(a->resource_type);
	vp_aws_tgw_association_free(a);
	assert_string_equal(sent(0), "Action=AssociateTransitGatewayRouteTable&Version=2016-11-15&"
				     "TransitGatewayRouteTableId=tgw-rtb-1&"
				     "TransitGatewayAttachmentId=tgw-attach-1");
	assert_non_null(strstr(sent(1), "Action=DisassociateTransitGatewayRouteTable&"));
}

/* Enable/DisableTransitGatewayRouteTablePropagation: the request, the <propagation> read,
 * an answer without it refused, bad ids refused before any call, errors mapped. */
static void test_enable_and_disable_propagation(void **state)
{
	struct vp_aws_tgw_association *a = NULL;
	struct vp_aws_error err;
	(void)state;

	stub_on(stub, "POST", "/", 1, 200,
		"<EnableTransitGatewayRouteTablePropagationResponse " NS "><requestId>r</requestId>"
		"<propagation><resourceId>vpc-1</resourceId><resourceType>vpc</resourceType>"
		"<state>enabled</state><transitGatewayAttachmentId>tgw-attach-1"
		"</transitGatewayAttachmentId><transitGatewayRouteTableId>tgw-rtb-3"
		"</transitGatewayRouteTableId></propagation>"
		"</EnableTransitGatewayRouteTablePropagationResponse>");
	stub_on(stub, "POST", "/", 1, 200,
		"<DisableTransitGatewayRouteTablePropagationResponse><propagation>"
		"<transitGatewayAttachmentId>tgw-attach-1</transitGatewayAttachmentId>"
		"<state>disabled</state></propagation>"
		"</DisableTransitGatewayRouteTablePropagationResponse>");
	assert_int_equal(
		vp_aws_ec2_enable_tgw_propagation(cl, "tgw-rtb-3", "tgw-attach-1", &a, NULL),
		VP_OK);
	assert_string_equal(a->state, "enabled");
	assert_string_equal(a->resource_id, "vpc-1");
	assert_string_equal(a->route_table_id, "tgw-rtb-3");
	vp_aws_tgw_association_free(a);
	a = NULL;
	assert_int_equal(
		vp_aws_ec2_disable_tgw_propagation(cl, "tgw-rtb-3", "tgw-attach-1", &a, NULL),
		VP_OK);
	assert_string_equal(a->state, "disabled");
	vp_aws_tgw_association_free(a);
	assert_string_equal(sent(0),
			    "Action=EnableTransitGatewayRouteTablePropagation&Version=2016-11-15&"
			    "TransitGatewayRouteTableId=tgw-rtb-3&"
			    "TransitGatewayAttachmentId=tgw-attach-1");
	assert_string_equal(sent(1),
			    "Action=DisableTransitGatewayRouteTablePropagation&Version=2016-11-15&"
			    "TransitGatewayRouteTableId=tgw-rtb-3&"
			    "TransitGatewayAttachmentId=tgw-attach-1");
	/* An association answer is not a propagation answer. */
	stub_on(stub, "POST", "/", 1, 200,
		"<X><association><transitGatewayAttachmentId>tgw-attach-1"
		"</transitGatewayAttachmentId></association></X>");
	a = NULL;
	vp_aws_error_clear(&err);
	assert_int_not_equal(
		vp_aws_ec2_enable_tgw_propagation(cl, "tgw-rtb-3", "tgw-attach-1", &a, &err),
		VP_OK);
	assert_non_null(strstr(err.error.message, "propagation"));
	assert_null(a);
	stub_on(stub, "POST", "/", 1, 400,
		"<Response><Errors><Error><Code>InvalidRouteTableID.NotFound</Code>"
		"<Message>tgw-rtb-3 not found</Message></Error></Errors><RequestID>x</RequestID>"
		"</Response>");
	vp_aws_error_clear(&err);
	assert_int_equal(
		vp_aws_ec2_disable_tgw_propagation(cl, "tgw-rtb-3", "tgw-attach-1", NULL, &err),
		VP_ERR_NOT_FOUND);
	assert_string_equal(err.code, "InvalidRouteTableID.NotFound");
	vp_aws_error_clear(&err);
	assert_int_equal(vp_aws_ec2_enable_tgw_propagation(cl, "rtb-3", "tgw-attach-1", NULL, &err),
			 VP_ERR_INVALID);
	assert_int_equal(stub_request_count(stub), 4);
}

/* GetTransitGatewayRouteTableAssociations: one page; a NextToken says more. */
static void test_table_associations(void **state)
{
	struct vp_aws_tgw_association_list *l = NULL;
	bool more = true;
	(void)state;

	stub_on(stub, "POST", "/", 1, 200,
		"<GetTransitGatewayRouteTableAssociationsResponse " NS "><requestId>r</requestId>"
		"<associations/></GetTransitGatewayRouteTableAssociationsResponse>");
	stub_on(stub, "POST", "/", 1, 200,
		"<GetTransitGatewayRouteTableAssociationsResponse " NS "><requestId>r</requestId>"
		"<associations><item><resourceId>vpc-1</resourceId><state>associated</state>"
		"<transitGatewayAttachmentId>tgw-attach-1</transitGatewayAttachmentId></item>"
		"</associations><nextToken>t</nextToken>"
		"</GetTransitGatewayRouteTableAssociationsResponse>");
	assert_int_equal(vp_aws_ec2_get_tgw_table_associations(cl, "tgw-rtb-3", &l, &more, NULL),
			 VP_OK);
	assert_int_equal(l->count, 0);
	assert_false(more);
	vp_aws_tgw_association_list_free(l);
	assert_int_equal(vp_aws_ec2_get_tgw_table_associations(cl, "tgw-rtb-3", &l, &more, NULL),
			 VP_OK);
	assert_int_equal(l->count, 1);
	assert_string_equal(l->items[0].attachment_id, "tgw-attach-1");
	assert_true(more);
	vp_aws_tgw_association_list_free(l);
	assert_string_equal(sent(0), "Action=GetTransitGatewayRouteTableAssociations&"
				     "Version=2016-11-15&TransitGatewayRouteTableId=tgw-rtb-3&"
				     "MaxResults=5");
}

static void test_create_and_delete_route(void **state)
{
	struct vp_aws_tgw_route *r = NULL;
	(void)state;

	stub_on(stub, "POST", "/", 1, 200,
		"<CreateTransitGatewayRouteResponse " NS "><requestId>r</requestId><route>"
		"<destinationCidrBlock>10.0.2.0/24</destinationCidrBlock><state>active</state>"
		"<transitGatewayAttachments><item><resourceId>vpc-1</resourceId><resourceType>vpc"
		"</resourceType><transitGatewayAttachmentId>tgw-attach-1"
		"</transitGatewayAttachmentId></item></transitGatewayAttachments>"
		"<type>static</type></route></CreateTransitGatewayRouteResponse>");
	stub_on(stub, "POST", "/", 2, 200,
		"<X><route><destinationCidrBlock>10.0.2.0/24</destinationCidrBlock><state>deleted"
		"</state></route></X>");
	assert_int_equal(vp_aws_ec2_create_tgw_route(cl, "tgw-rtb-1", "10.0.2.0/24", "tgw-attach-1",
						     &r, NULL),
			 VP_OK);
	assert_string_equal(r->attachment_id, "tgw-attach-1");
	assert_string_equal(r->resource_id, "vpc-1");
	assert_string_equal(r->type, "static");
	vp_aws_tgw_route_free(r);
	assert_int_equal(
		vp_aws_ec2_create_tgw_route(cl, "tgw-rtb-1", "10.0.2.0/24", NULL, NULL, NULL),
		VP_OK);
	assert_int_equal(vp_aws_ec2_delete_tgw_route(cl, "tgw-rtb-1", "10.0.2.0/24", &r, NULL),
			 VP_OK);
	assert_null(r->attachment_id);
	assert_string_equal(r->state, "deleted");
	vp_aws_tgw_route_free(r);
	assert_string_equal(sent(0), "Action=CreateTransitGatewayRoute&Version=2016-11-15&"
				     "TransitGatewayRouteTableId=tgw-rtb-1&"
				     "DestinationCidrBlock=10.0.2.0%2F24&"
				     "TransitGatewayAttachmentId=tgw-attach-1");
	assert_non_null(strstr(sent(1), "&Blackhole=true"));
	assert_string_equal(sent(2), "Action=DeleteTransitGatewayRoute&Version=2016-11-15&"
				     "TransitGatewayRouteTableId=tgw-rtb-1&"
				     "DestinationCidrBlock=10.0.2.0%2F24");
}

/* A search answer of n routes, additionalRoutesAvailable as given (NULL: absent). */
static char *search_answer(size_t n, const char *more)
{
	size_t cap = 256 + n * 160;
	char *b = malloc(cap);
	size_t len;

	assert_non_null(b);
	len = (size_t)snprintf(b, cap, "<SearchTransitGatewayRoutesResponse " NS "><routeSet>");
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(b + len, cap - len,
					"<item><destinationCidrBlock>10.%zu.%zu.0/24"
					"</destinationCidrBlock><state>active</state><type>static"
					"</type></item>",
					i / 256, i % 256);
	snprintf(b + len, cap - len, "</routeSet>%s%s%s</SearchTransitGatewayRoutesResponse>",
		 more ? "<additionalRoutesAvailable>" : "", more ? more : "",
		 more ? "</additionalRoutesAvailable>" : "");
	return b;
}

static void test_search_routes_and_truncation(void **state)
{
	struct vp_aws_tgw_route_list *l = NULL;
	const char *types[] = {"static"};
	struct vp_aws_ec2_filter f = {"type", types, 1};
	char *two = search_answer(2, "false");
	char *full = search_answer(VP_AWS_TGW_SEARCH_MAX, NULL);
	char *more = search_answer(3, "true");
	(void)state;

	stub_on(stub, "POST", "/", 1, 200, two);
	stub_on(stub, "POST", "/", 1, 200, full);
	stub_on(stub, "POST", "/", 1, 200, more);
	stub_on(stub, "POST", "/", 1, 200,
		"<SearchTransitGatewayRoutesResponse><requestId>r</requestId>"
		"</SearchTransitGatewayRoutesResponse>");
	assert_int_equal(vp_aws_ec2_search_tgw_routes(cl, "tgw-rtb-1", &f, 1, &l, NULL), VP_OK);
	assert_int_equal(l->count, 2);
	assert_false(l->truncated);
	assert_string_equal(l->items[1].destination_cidr_block, "10.0.1.0/24");
	vp_aws_tgw_route_list_free(l);
	assert_int_equal(vp_aws_ec2_search_tgw_routes(cl, "tgw-rtb-1", &f, 1, &l, NULL), VP_OK);
	assert_int_equal(l->count, VP_AWS_TGW_SEARCH_MAX);
	assert_true(l->truncated);
	vp_aws_tgw_route_list_free(l);
	assert_int_equal(vp_aws_ec2_search_tgw_routes(cl, "tgw-rtb-1", &f, 1, &l, NULL), VP_OK);
	assert_true(l->truncated);
	vp_aws_tgw_route_list_free(l);
	assert_int_equal(vp_aws_ec2_search_tgw_routes(cl, "tgw-rtb-1", &f, 1, &l, NULL), VP_OK);
	assert_int_equal(l->count, 0);
	assert_false(l->truncated);
	vp_aws_tgw_route_list_free(l);
	assert_string_equal(sent(0), "Action=SearchTransitGatewayRoutes&Version=2016-11-15&"
				     "TransitGatewayRouteTableId=tgw-rtb-1&MaxResults=1000&"
				     "Filter.1.Name=type&Filter.1.Value.1=static");
	free(two);
	free(full);
	free(more);
}

/* Parsers alone: malformed, truncated, a route with no destination, a missing id. */
static void test_parsers_refuse_bad_answers(void **state)
{
	struct vp_error err;
	struct vp_aws_tgw_attachment_list *al = NULL;
	struct vp_aws_tgw_route_list *rl = NULL;
	struct vp_aws_tgw_list *tl = NULL;
	static const char no_id[] = "<R><transitGatewayVpcAttachments><item><state>available"
				    "</state></item></transitGatewayVpcAttachments></R>";
	static const char no_dest[] = "<R><routeSet><item><state>active</state></item>"
				      "</routeSet></R>";
	static const char cut[] = "<R><transitGatewaySet><item><transitGatewayId>tgw-1";
	(void)state;

	assert_int_equal(vp_aws_ec2_parse_tgw_attachments(no_id, strlen(no_id), &al, NULL, &err),
			 VP_ERR_INVALID);
	assert_null(al);
	assert_non_null(strstr(err.message, "transitGatewayAttachmentId"));
	assert_int_equal(vp_aws_ec2_parse_tgw_routes(no_dest, strlen(no_dest), &rl, &err),
			 VP_ERR_INVALID);
	assert_null(rl);
	assert_int_not_equal(vp_aws_ec2_parse_transit_gateways(cut, strlen(cut), &tl, NULL, &err),
			     VP_OK);
	assert_null(tl);
	assert_int_not_equal(vp_aws_ec2_parse_transit_gateways("<R/>", 4, &tl, NULL, &err), VP_OK);
	assert_null(tl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_describe_transit_gateways, reset),
		cmocka_unit_test_setup(test_describe_attachments_filters_and_pages, reset),
		cmocka_unit_test_setup(test_create_attachment, reset),
		cmocka_unit_test_setup(test_bad_arguments_send_nothing, reset),
		cmocka_unit_test_setup(test_accept_reject_delete, reset),
		cmocka_unit_test_setup(test_errors_mapped, reset),
		cmocka_unit_test_setup(test_associate_and_disassociate, reset),
		cmocka_unit_test_setup(test_enable_and_disable_propagation, reset),
		cmocka_unit_test_setup(test_table_associations, reset),
		cmocka_unit_test_setup(test_create_and_delete_route, reset),
		cmocka_unit_test_setup(test_search_routes_and_truncation, reset),
		cmocka_unit_test_setup(test_parsers_refuse_bad_answers, reset),
	};
	struct vp_aws_client_config cfg = {
		.region = "us-east-1",
		.config_file = "/nonexistent",
		.credentials_file = "/nonexistent",
		.max_attempts = 1,
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
