/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The transit-gateway confirm verifies the client VPC's exact CIDR (issue 16;
 * tgw_attach.c verify_cidr) against a scripted AWS: the attachment's routes
 * are read in the verify table, where its propagation is on for a moment; the
 * set must be exactly the plan's block. Another or an extra block: 409, the
 * attachment deleted, nothing associated, no route, the propagation off
 * again. Each refusal test fails without its check.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

#define NS     " xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\""
#define TGW    "tgw-0a1b2c3d"
#define CRTB   "tgw-rtb-0c0c0c0c"
#define HRTB   "tgw-rtb-0d0d0d0d"
#define VRTB   "tgw-rtb-0a0a0a0a"
#define SHARE  "arn:aws:ram:us-east-1:" FX_HUB ":resource-share/abc-123"
#define TGWARN "arn:aws:ec2:us-east-1:" FX_HUB ":transit-gateway/" TGW
#define ATT    "tgw-attach-0e0e0e0e"
#define HUBATT "tgw-attach-0f0f0f0f"
#define CLIENT "vpc-0c0c0c0c"

static void search_answer(struct fx *f, const char *items)
{
	char body[2048];

	snprintf(body, sizeof(body),
		 "<SearchTransitGatewayRoutesResponse" NS "><requestId>r</requestId><routeSet>%s"
		 "</routeSet></SearchTransitGatewayRoutesResponse>",
		 items);
	fx_answer(f, body);
}

static void one_attachment(struct fx *f, const char *id, const char *vpc, const char *owner,
			   const char *state)
{
	char body[2048];

	snprintf(body, sizeof(body),
		 "<DescribeTransitGatewayVpcAttachmentsResponse" NS "><requestId>r</requestId>"
		 "<transitGatewayVpcAttachments><item><state>%s</state><subnetIds>"
		 "<item>subnet-01010101</item></subnetIds><transitGatewayAttachmentId>%s"
		 "</transitGatewayAttachmentId><transitGatewayId>" TGW
		 "</transitGatewayId><vpcId>%s"
		 "</vpcId><vpcOwnerId>%s</vpcOwnerId></item></transitGatewayVpcAttachments>"
		 "</DescribeTransitGatewayVpcAttachmentsResponse>",
		 state, id, vpc, owner);
	fx_answer(f, body);
}

/* An EC2 write's answer: <element> naming ATT. */
static void written(struct fx *f, const char *element)
{
	char body[1024];

	snprintf(body, sizeof(body),
		 "<X" NS "><%s><transitGatewayAttachmentId>" ATT "</transitGatewayAttachmentId>"
		 "<destinationCidrBlock>10.0.4.0/22</destinationCidrBlock><state>pending</state>"
		 "</%s></X>",
		 element, element);
	fx_answer(f, body);
}

static void ram_answer(struct fx *f, const char *path, const char *json)
{
	stub_on(f->stub, "POST", path, 1, 200, json);
}

static void configure(struct fx *f, const char *verify_table)
{
	fx_init(f);
	f->cfg.peering_accepter = VP_PEERING_ACCEPTER_BROKER;
	f->cfg.peer_role_count = 0;
	f->cfg.peering_dns = VP_PEERING_DNS_OFF;
	f->cfg.accept_wait = 1;
	f->cfg.attach = VP_BROKER_ATTACH_TRANSIT_GATEWAY;
	f->cfg.tgw.transit_gateway = TGW;
	f->cfg.tgw.resource_share = SHARE;
	f->cfg.tgw.client_table = CRTB;
	f->cfg.tgw.hub_table = HRTB;
	f->cfg.tgw.verify_table = verify_table;
}

/* The start-up calls answered up to the verify table's associations. */
static void start_answers(struct fx *f)
{
	fx_answer(f, "<DescribeVpcsResponse" NS "><requestId>r</requestId><vpcSet><item>"
		     "<vpcId>" FX_VPC "</vpcId><state>available</state><cidrBlock>" FX_HUB_CIDR
		     "</cidrBlock><ownerId>" FX_HUB "</ownerId></item></vpcSet>"
		     "</DescribeVpcsResponse>");
	fx_tables(f, "");
	fx_peerings(f, "");
	fx_tables(f, "");
	fx_answer(f, "<DescribeTransitGatewaysResponse" NS "><requestId>r</requestId>"
		     "<transitGatewaySet><item><options><autoAcceptSharedAttachments>disable"
		     "</autoAcceptSharedAttachments><defaultRouteTableAssociation>disable"
		     "</defaultRouteTableAssociation></options><ownerId>" FX_HUB "</ownerId>"
		     "<state>available</state><transitGatewayId>" TGW "</transitGatewayId></item>"
		     "</transitGatewaySet></DescribeTransitGatewaysResponse>");
	search_answer(f, ""); /* the clients', the hub's and the verify table */
	search_answer(f, "");
	search_answer(f, "");
}

/* A broker in the transit-gateway mode, its start-up calls answered. */
static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct vp_error err;

	assert_non_null(f);
	configure(f, VRTB);
	start_answers(f);
	fx_answer(f, "<X><associations/></X>");
	one_attachment(f, HUBATT, FX_VPC, FX_HUB, "available");
	fx_tables(f, "");
	fx_ok(f, "CreateRoute");
	fx_ok(f, "CreateRoute");
	ram_answer(f, "/getresourceshares",
		   "{\"resourceShares\":[{\"allowExternalPrincipals\":true,\"name\":\"hub\","
		   "\"owningAccountId\":\"" FX_HUB "\",\"resourceShareArn\":\"" SHARE "\","
		   "\"status\":\"ACTIVE\"}]}");
	ram_answer(f, "/getresourceshareassociations",
		   "{\"resourceShareAssociations\":[{\"resourceShareArn\":\"" SHARE "\","
		   "\"associatedEntity\":\"" TGWARN "\",\"associationType\":\"RESOURCE\","
		   "\"status\":\"ASSOCIATED\"}]}");
	ram_answer(f, "/getresourceshareassociations", "{\"resourceShareAssociations\":[]}");
	if (vp_broker_new(&f->cfg, f->reg, f->aws, NULL, &f->broker, &err) != VP_OK)
		fail_msg("start: %s", err.message);
	stub_reset(f->stub);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx_free(*state);
	free(*state);
	return 0;
}

/* Registered (account B), then a confirm of ATT whose VPC propagates the plan's block (or
 * `wrong` instead) and `extra` (when not NULL): its answer; *reg the registration. */
static vp_code confirm_with(struct fx *f, const char *wrong, const char *extra,
			    struct vp_registration *reg, struct vp_error *err)
{
	char cidrs[128];
	struct vp_identity id = fx_caller(FX_B);
	struct vp_register_request rreq;
	struct vp_confirm_request req;
	struct vp_registration out;
	bool created = false;

	memset(&rreq, 0, sizeof(rreq));
	snprintf(rreq.client_ref, sizeof(rreq.client_ref), "stack-verify");
	ram_answer(f, "/associateresourceshare",
		   "{\"resourceShareAssociations\":[{\"resourceShareArn\":\"" SHARE "\","
		   "\"associatedEntity\":\"" FX_B "\",\"associationType\":\"PRINCIPAL\","
		   "\"status\":\"ASSOCIATING\",\"external\":true}]}");
	if (vp_broker_register(f->broker, &id, &rreq, "rid-register", reg, &created, err) != VP_OK)
		fail_msg("register: %s", err->message);
	stub_reset(f->stub);
	one_attachment(f, ATT, CLIENT, FX_B, "pendingAcceptance");
	written(f, "transitGatewayVpcAttachment"); /* Accept */
	one_attachment(f, ATT, CLIENT, FX_B, "available");
	snprintf(cidrs, sizeof(cidrs), "%s%s%s", wrong ? wrong : reg->record.vpc_cidr,
		 extra ? " " : "", extra ? extra : "");
	fx_tgw_verified(f, ATT, cidrs);
	if (wrong || extra) {
		written(f, "transitGatewayVpcAttachment"); /* Delete */
	} else {
		written(f, "association");
		search_answer(f, "");
		written(f, "route");
	}
	memset(&req, 0, sizeof(req));
	snprintf(req.attachment_id, sizeof(req.attachment_id), "%s", ATT);
	snprintf(req.vpc_id, sizeof(req.vpc_id), "%s", CLIENT);
	return vp_broker_confirm(f->broker, &id, reg->record.n, &req, "rid-confirm", &out, err);
}

/* The request number of the first call of `action`, or -1. */
static int called(struct fx *f, const char *action)
{
	char want[128];

	snprintf(want, sizeof(want), "Action=%s&", action);
	for (size_t i = 0; i < fx_count(f); i++)
		if (fx_has(f, i, want))
			return (int)i;
	return -1;
}

static void test_exact_cidr_passes(void **state)
{
	struct fx *f = *state;
	struct vp_registration reg;
	struct vp_error err;

	if (confirm_with(f, NULL, NULL, &reg, &err) != VP_OK)
		fail_msg("confirm: %s", err.message);
	assert_int_equal(fx_record(f, reg.record.n).state, VP_NS_ACTIVE);
	assert_int_equal(fx_count(f), 10);
	fx_expect(f, 3, "EnableTransitGatewayRouteTablePropagation",
		  "TransitGatewayRouteTableId=" VRTB, "TransitGatewayAttachmentId=" ATT, NULL);
	fx_expect(f, 4, "SearchTransitGatewayRoutes", "TransitGatewayRouteTableId=" VRTB,
		  "Filter.1.Name=attachment.transit-gateway-attachment-id", "Filter.1.Value.1=" ATT,
		  "Filter.2.Name=type", "Filter.2.Value.1=propagated", NULL);
	fx_expect(f, 6, "DisableTransitGatewayRouteTablePropagation",
		  "TransitGatewayRouteTableId=" VRTB, "TransitGatewayAttachmentId=" ATT, NULL);
	/* verified before it is associated or routed */
	fx_expect(f, 7, "AssociateTransitGatewayRouteTable", NULL);
	fx_expect(f, 9, "CreateTransitGatewayRoute", NULL);
}

/* A refusal: 409 naming what was found and the plan; the attachment deleted from the hub
 * side; nothing associated nor routed; the propagation off; the namespace pending. */
static void refused(struct fx *f, const char *wrong, const char *extra)
{
	struct vp_registration reg;
	struct vp_error err;
	char plan[96];

	assert_int_equal(confirm_with(f, wrong, extra, &reg, &err), VP_ERR_CONFLICT);
	snprintf(plan, sizeof(plan), "plan is exactly %s", reg.record.vpc_cidr);
	if (!strstr(err.message, plan) || !strstr(err.message, wrong ? wrong : extra))
		fail_msg("'%s' does not name what was found and the plan", err.message);
	assert_true(called(f, "DisableTransitGatewayRouteTablePropagation") >
		    called(f, "EnableTransitGatewayRouteTablePropagation"));
	assert_true(called(f, "DeleteTransitGatewayVpcAttachment") >
		    called(f, "DisableTransitGatewayRouteTablePropagation"));
	assert_int_equal(called(f, "AssociateTransitGatewayRouteTable"), -1);
	assert_int_equal(called(f, "CreateTransitGatewayRoute"), -1);
	assert_int_equal(fx_record(f, reg.record.n).state, VP_NS_PENDING);
}

static void test_wrong_cidr_refused(void **state)
{
	refused(*state, "10.99.0.0/22", NULL);
}

static void test_extra_cidr_refused(void **state)
{
	refused(*state, NULL, "172.16.0.0/16");
}

/* The search fails: the propagation is turned off all the same, nothing associated. */
static void test_propagation_off_after_failure(void **state)
{
	struct fx *f = *state;
	struct vp_identity id = fx_caller(FX_B);
	struct vp_register_request rreq;
	struct vp_confirm_request req;
	struct vp_registration reg, out;
	struct vp_error err;
	bool created = false;

	memset(&rreq, 0, sizeof(rreq));
	snprintf(rreq.client_ref, sizeof(rreq.client_ref), "stack-fail");
	ram_answer(f, "/associateresourceshare", "{\"resourceShareAssociations\":[]}");
	if (vp_broker_register(f->broker, &id, &rreq, "rid-register", &reg, &created, &err) !=
	    VP_OK)
		fail_msg("register: %s", err.message);
	stub_reset(f->stub);
	one_attachment(f, ATT, CLIENT, FX_B, "pendingAcceptance");
	written(f, "transitGatewayVpcAttachment");
	one_attachment(f, ATT, CLIENT, FX_B, "available");
	written(f, "propagation");
	fx_error(f, 403, "UnauthorizedOperation", "not allowed to search");
	written(f, "propagation");
	memset(&req, 0, sizeof(req));
	snprintf(req.attachment_id, sizeof(req.attachment_id), "%s", ATT);
	snprintf(req.vpc_id, sizeof(req.vpc_id), "%s", CLIENT);
	assert_int_not_equal(
		vp_broker_confirm(f->broker, &id, reg.record.n, &req, "rid-confirm", &out, &err),
		VP_OK);
	assert_int_equal(fx_count(f), 6);
	fx_expect(f, 5, "DisableTransitGatewayRouteTablePropagation",
		  "TransitGatewayRouteTableId=" VRTB, NULL);
	assert_int_equal(called(f, "AssociateTransitGatewayRouteTable"), -1);
}

/* AWS propagates asynchronously: an empty first answer is polled again, within --accept-wait. */
static void test_slow_propagation_polled(void **state)
{
	struct fx *f = *state;
	struct vp_identity id = fx_caller(FX_B);
	struct vp_register_request rreq;
	struct vp_confirm_request req;
	struct vp_registration reg, out;
	struct vp_error err;
	char item[512];
	bool created = false;
	int searches = 0;

	memset(&rreq, 0, sizeof(rreq));
	snprintf(rreq.client_ref, sizeof(rreq.client_ref), "stack-slow");
	ram_answer(f, "/associateresourceshare", "{\"resourceShareAssociations\":[]}");
	if (vp_broker_register(f->broker, &id, &rreq, "rid-register", &reg, &created, &err) !=
	    VP_OK)
		fail_msg("register: %s", err.message);
	stub_reset(f->stub);
	snprintf(item, sizeof(item),
		 "<item><destinationCidrBlock>%s</destinationCidrBlock><state>active</state>"
		 "<type>propagated</type><transitGatewayAttachments><item>"
		 "<transitGatewayAttachmentId>" ATT "</transitGatewayAttachmentId></item>"
		 "</transitGatewayAttachments></item>",
		 reg.record.vpc_cidr);
	one_attachment(f, ATT, CLIENT, FX_B, "pendingAcceptance");
	written(f, "transitGatewayVpcAttachment");
	one_attachment(f, ATT, CLIENT, FX_B, "available");
	written(f, "propagation");
	search_answer(f, ""); /* not propagated yet */
	search_answer(f, item);
	search_answer(f, item);
	written(f, "propagation");
	written(f, "association");
	search_answer(f, "");
	written(f, "route");
	memset(&req, 0, sizeof(req));
	snprintf(req.attachment_id, sizeof(req.attachment_id), "%s", ATT);
	snprintf(req.vpc_id, sizeof(req.vpc_id), "%s", CLIENT);
	if (vp_broker_confirm(f->broker, &id, reg.record.n, &req, "rid-confirm", &out, &err) !=
	    VP_OK)
		fail_msg("confirm: %s", err.message);
	for (size_t i = 0; i < fx_count(f); i++)
		searches += fx_has(f, i, "Action=SearchTransitGatewayRoutes&") &&
			    fx_has(f, i, "TransitGatewayRouteTableId=" VRTB);
	assert_int_equal(searches, 3);
	assert_int_equal(out.record.state, VP_NS_ACTIVE);
}

static void test_start_refuses_verify_table_in_use(void **state)
{
	struct fx f;
	struct vp_error err;

	(void)state;
	configure(&f, HRTB);
	assert_int_equal(vp_broker_new(&f.cfg, f.reg, f.aws, NULL, &f.broker, &err),
			 VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "--transit-gateway-verify-table " HRTB
					    " is also --transit-gateway-hub-table"));
	fx_free(&f);
	configure(&f, NULL);
	assert_int_equal(vp_broker_new(&f.cfg, f.reg, f.aws, NULL, &f.broker, &err),
			 VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "needs --transit-gateway-verify-table"));
	fx_free(&f);
	/* associated with an attachment: it would carry the blocks propagated there */
	configure(&f, VRTB);
	start_answers(&f);
	fx_answer(&f, "<X><associations><item><transitGatewayAttachmentId>" HUBATT
		      "</transitGatewayAttachmentId><state>associated</state></item>"
		      "</associations></X>");
	assert_int_equal(vp_broker_new(&f.cfg, f.reg, f.aws, NULL, &f.broker, &err),
			 VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "is associated with " HUBATT));
	fx_expect(&f, fx_count(&f) - 1, "GetTransitGatewayRouteTableAssociations",
		  "TransitGatewayRouteTableId=" VRTB, NULL);
	fx_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_exact_cidr_passes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_cidr_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_extra_cidr_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_propagation_off_after_failure, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_slow_propagation_polled, setup, teardown),
		cmocka_unit_test(test_start_refuses_verify_table_in_use),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
