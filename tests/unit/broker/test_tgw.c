/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The transit-gateway mode (issue 16; broker/tgw.h) against a scripted AWS:
 * the start-up checks of the gateway and the share; register adds the
 * account to the share, refuses another region and a full gateway before
 * allocating; confirm finds the attachment by gateway and VPC, refuses one of
 * another account or gateway without accepting it, accepts, associates with
 * the clients' table and routes the block in the hub table; release removes
 * the route, the attachment and the principal. Each attack test fails
 * without its check.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "broker/tgw.h" /* the principals counter, as a reconciler pass sets it */
#include "fixture.h"
#include "broker/reconcile.h"

#define NS     " xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\""
#define TGW    "tgw-0a1b2c3d"
#define CRTB   "tgw-rtb-0c0c0c0c" /* the clients' table */
#define HRTB   "tgw-rtb-0d0d0d0d" /* the hub's table */
#define VRTB   "tgw-rtb-0a0a0a0a" /* the verify table (test_tgw_verify.c) */
#define SHARE  "arn:aws:ram:us-east-1:" FX_HUB ":resource-share/abc-123"
#define TGWARN "arn:aws:ec2:us-east-1:" FX_HUB ":transit-gateway/" TGW
#define ATT    "tgw-attach-0e0e0e0e"
#define HUBATT "tgw-attach-0f0f0f0f"
#define CLIENT "vpc-0c0c0c0c"

/* ---- answers ---- */

static void gateway(struct fx *f, const char *auto_accept)
{
	char body[2048];

	snprintf(body, sizeof(body),
		 "<DescribeTransitGatewaysResponse" NS "><requestId>r</requestId>"
		 "<transitGatewaySet><item><options><autoAcceptSharedAttachments>%s"
		 "</autoAcceptSharedAttachments><defaultRouteTableAssociation>disable"
		 "</defaultRouteTableAssociation><defaultRouteTablePropagation>disable"
		 "</defaultRouteTablePropagation></options><ownerId>" FX_HUB "</ownerId>"
		 "<state>available</state><transitGatewayId>" TGW "</transitGatewayId></item>"
		 "</transitGatewaySet></DescribeTransitGatewaysResponse>",
		 auto_accept);
	fx_answer(f, body);
}

/* SearchTransitGatewayRoutes answering these <item> elements (may be ""). */
static void routes(struct fx *f, const char *items)
{
	char body[4096];

	snprintf(body, sizeof(body),
		 "<SearchTransitGatewayRoutesResponse" NS "><requestId>r</requestId><routeSet>%s"
		 "</routeSet><additionalRoutesAvailable>false</additionalRoutesAvailable>"
		 "</SearchTransitGatewayRoutesResponse>",
		 items);
	fx_answer(f, body);
}

static void route_item(char *out, size_t size, const char *cidr, const char *att, const char *state)
{
	snprintf(out, size,
		 "<item><destinationCidrBlock>%s</destinationCidrBlock><state>%s</state>"
		 "<type>static</type><transitGatewayAttachments><item><resourceId>" CLIENT
		 "</resourceId><resourceType>vpc</resourceType><transitGatewayAttachmentId>%s"
		 "</transitGatewayAttachmentId></item></transitGatewayAttachments></item>",
		 cidr, state, att);
}

/* DescribeTransitGatewayVpcAttachments: one attachment (NULL id: none). */
static void attachment(struct fx *f, const char *id, const char *tgw, const char *vpc,
		       const char *owner, const char *state)
{
	char body[2048];

	if (!id) {
		fx_answer(f, "<DescribeTransitGatewayVpcAttachmentsResponse" NS
			     "><requestId>r</requestId><transitGatewayVpcAttachments/>"
			     "</DescribeTransitGatewayVpcAttachmentsResponse>");
		return;
	}
	snprintf(body, sizeof(body),
		 "<DescribeTransitGatewayVpcAttachmentsResponse" NS "><requestId>r</requestId>"
		 "<transitGatewayVpcAttachments><item><state>%s</state><subnetIds>"
		 "<item>subnet-01010101</item></subnetIds><transitGatewayAttachmentId>%s"
		 "</transitGatewayAttachmentId><transitGatewayId>%s</transitGatewayId><vpcId>%s"
		 "</vpcId><vpcOwnerId>%s</vpcOwnerId></item></transitGatewayVpcAttachments>"
		 "</DescribeTransitGatewayVpcAttachmentsResponse>",
		 state, id, tgw, vpc, owner);
	fx_answer(f, body);
}

/* The answer of an EC2 write of the attachment, its association or a route: `element`. */
static void wrote(struct fx *f, const char *action, const char *element)
{
	char body[1024];

	snprintf(body, sizeof(body),
		 "<%sResponse" NS "><requestId>r</requestId><%s><transitGatewayAttachmentId>" ATT
		 "</transitGatewayAttachmentId><destinationCidrBlock>10.0.4.0/22"
		 "</destinationCidrBlock><state>pending</state></%s></%sResponse>",
		 action, element, element, action);
	fx_answer(f, body);
}

static void ram(struct fx *f, const char *path, const char *json)
{
	stub_on(f->stub, "POST", path, 1, 200, json);
}

static bool org_only; /* the next start's share: to the organization, no outsiders */

static void share(struct fx *f, bool holds)
{
	ram(f, "/getresourceshares",
	    org_only ? "{\"resourceShares\":[{\"allowExternalPrincipals\":false,\"name\":\"hub\","
		       "\"owningAccountId\":\"" FX_HUB "\",\"resourceShareArn\":\"" SHARE "\","
		       "\"status\":\"ACTIVE\"}]}"
		     : "{\"resourceShares\":[{\"allowExternalPrincipals\":true,\"name\":\"hub\","
		       "\"owningAccountId\":\"" FX_HUB "\",\"resourceShareArn\":\"" SHARE "\","
		       "\"status\":\"ACTIVE\"}]}");
	ram(f, "/getresourceshareassociations",
	    holds ? "{\"resourceShareAssociations\":[{\"resourceShareArn\":\"" SHARE "\","
		    "\"associatedEntity\":\"" TGWARN "\",\"associationType\":\"RESOURCE\","
		    "\"status\":\"ASSOCIATED\"}]}"
		  : "{\"resourceShareAssociations\":[]}");
	ram(f, "/getresourceshareassociations",
	    org_only ? "{\"resourceShareAssociations\":[{\"resourceShareArn\":\"" SHARE "\","
		       "\"associatedEntity\":\"arn:aws:organizations::" FX_HUB
		       ":organization/o-abc\",\"associationType\":\"PRINCIPAL\","
		       "\"status\":\"ASSOCIATED\"}]}"
		     : "{\"resourceShareAssociations\":[]}");
}

static void ram_ok(struct fx *f, const char *path)
{
	ram(f, path,
	    "{\"resourceShareAssociations\":[{\"resourceShareArn\":\"" SHARE "\","
	    "\"associatedEntity\":\"" FX_B "\",\"associationType\":\"PRINCIPAL\","
	    "\"status\":\"ASSOCIATING\",\"external\":true}]}");
}

/* The requests to `path` (RAM's) recorded so far. */
static size_t count_path(struct fx *f, const char *path)
{
	size_t n = 0;

	for (size_t i = 0; i < fx_count(f); i++)
		n += strcmp(stub_request_at(f->stub, i).path, path) == 0;
	return n;
}

/* ---- the world ---- */

static void configure(struct fx *f)
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
	f->cfg.tgw.verify_table = VRTB;
}

/* vp_broker_new with the start-up calls answered; the gateway and the share as given. */
static vp_code start(struct fx *f, const char *auto_accept, bool holds, struct vp_error *err)
{
	char hub_route[512];

	fx_answer(f, "<DescribeVpcsResponse" NS "><requestId>r</requestId><vpcSet><item>"
		     "<vpcId>" FX_VPC "</vpcId><state>available</state><cidrBlock>" FX_HUB_CIDR
		     "</cidrBlock><ownerId>" FX_HUB "</ownerId></item></vpcSet>"
		     "</DescribeVpcsResponse>");
	fx_tables(f, "");
	fx_peerings(f, ""); /* the quota view */
	fx_tables(f, "");
	gateway(f, auto_accept);
	route_item(hub_route, sizeof(hub_route), FX_HUB_CIDR, HUBATT, "active");
	routes(f, hub_route);                   /* the clients' table: the hub's route */
	routes(f, "");                          /* the hub's table: no client yet */
	routes(f, "");                          /* the verify table */
	fx_answer(f, "<X><associations/></X>"); /* the verify table has no association */
	attachment(f, HUBATT, TGW, FX_VPC, FX_HUB, "available");
	fx_tables(f, ""); /* the hub VPC's tables: the pool's route missing in both */
	fx_ok(f, "CreateRoute");
	fx_ok(f, "CreateRoute");
	share(f, holds);
	return vp_broker_new(&f->cfg, f->reg, f->aws, NULL, &f->broker, err);
}

struct world {
	struct fx f;
};

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	struct vp_error err;

	assert_non_null(w);
	configure(&w->f);
	if (start(&w->f, "disable", true, &err) != VP_OK)
		fail_msg("start: %s", err.message);
	stub_reset(w->f.stub);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	fx_free(&w->f);
	free(w);
	return 0;
}

static vp_code do_register(struct fx *f, const char *account, const char *ref, const char *region,
			   struct vp_registration *out, struct vp_error *err)
{
	struct vp_identity id = fx_caller(account);
	struct vp_register_request req;
	bool created = false;

	memset(&req, 0, sizeof(req));
	snprintf(req.client_ref, sizeof(req.client_ref), "%s", ref);
	snprintf(req.region, sizeof(req.region), "%s", region);
	return vp_broker_register(f->broker, &id, &req, "rid-register", out, &created, err);
}

static int64_t live(struct fx *f)
{
	int64_t n = -1;
	struct vp_error err;

	assert_int_equal(vp_registry_count_live(f->reg, &n, &err), VP_OK);
	return n;
}

static vp_code confirm(struct fx *f, const struct vp_registration *reg, const char *att,
		       struct vp_registration *out, struct vp_error *err)
{
	struct vp_identity id = fx_caller(reg->record.account);
	struct vp_confirm_request req;

	memset(&req, 0, sizeof(req));
	snprintf(req.attachment_id, sizeof(req.attachment_id), "%s", att);
	snprintf(req.vpc_id, sizeof(req.vpc_id), "%s", CLIENT);
	return vp_broker_confirm(f->broker, &id, reg->record.n, &req, "rid-confirm", out, err);
}

/* ---- start-up ---- */

static void test_start_routes_pool_once(void **state)
{
	struct fx f;
	struct vp_error err;

	(void)state;
	configure(&f);
	if (start(&f, "disable", true, &err) != VP_OK)
		fail_msg("start: %s", err.message);
	/* the pool (10.0.0.0/8) to the gateway in each hub VPC table, nothing per client */
	fx_expect(&f, 14, "CreateRoute", "RouteTableId=" FX_RTB1,
		  "DestinationCidrBlock=10.0.0.0%2F8", "TransitGatewayId=" TGW, NULL);
	fx_expect(&f, 15, "CreateRoute", "RouteTableId=" FX_RTB2, NULL);
	fx_free(&f);
}

static void test_start_refuses_auto_accept(void **state)
{
	struct fx f;
	struct vp_error err;

	(void)state;
	configure(&f);
	assert_int_equal(start(&f, "enable", true, &err), VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "accepts shared attachments automatically"));
	assert_null(f.broker);
	fx_free(&f);
}

static void test_start_refuses_share_without_gateway(void **state)
{
	struct fx f;
	struct vp_error err;

	(void)state;
	configure(&f);
	assert_int_equal(start(&f, "disable", false, &err), VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "does not hold transit gateway " TGW));
	fx_free(&f);
}

static void test_start_refuses_one_table_for_both(void **state)
{
	struct fx f;
	struct vp_error err;

	(void)state;
	configure(&f);
	f.cfg.tgw.hub_table = CRTB;
	assert_int_equal(vp_broker_new(&f.cfg, f.reg, f.aws, NULL, &f.broker, &err),
			 VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "must differ"));
	fx_free(&f);
}

/* ---- register ---- */

static void test_register_shares_with_account(void **state)
{
	struct world *w = *state;
	struct fx *f = &w->f;
	struct vp_registration reg;
	struct vp_error err;

	stub_reset(f->stub);
	ram_ok(f, "/associateresourceshare");
	if (do_register(f, FX_B, "stack-share", "us-east-1", &reg, &err) != VP_OK)
		fail_msg("register: %s", err.message);
	assert_string_equal(reg.attach, "transit-gateway");
	assert_string_equal(reg.transit_gateway_id, TGW);
	assert_string_equal(reg.resource_share_arn, SHARE);
	assert_int_equal(fx_count(f), 1); /* no Describe: one RAM call */
	assert_string_equal(stub_request_at(f->stub, 0).path, "/associateresourceshare");
	assert_non_null(strstr(stub_request_at(f->stub, 0).body, "\"principals\":[\"" FX_B "\"]"));
	assert_non_null(strstr(stub_request_at(f->stub, 0).body, "\"clientToken\":\"vpcpeer-a-"));
}

static void test_register_other_region_refused(void **state)
{
	struct world *w = *state;
	struct fx *f = &w->f;
	struct vp_registration reg;
	struct vp_error err;
	int64_t before = live(f);

	stub_reset(f->stub);
	ram_ok(f, "/associateresourceshare"); /* there to be used by mistake */
	assert_int_equal(do_register(f, FX_C, "stack-eu", "eu-west-1", &reg, &err), VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "region 'eu-west-1'"));
	assert_non_null(strstr(err.message, "serves region us-east-1 only"));
	assert_int_equal(fx_count(f), 0);
	assert_int_equal(live(f), before);
}

static void test_register_attachment_quota(void **state)
{
	struct fx f;
	struct vp_registration reg;
	struct vp_error err;

	(void)state;
	configure(&f);
	f.cfg.tgw.max_attachments = 2; /* the hub's attachment and one client */
	if (start(&f, "disable", true, &err) != VP_OK)
		fail_msg("start: %s", err.message);
	stub_reset(f.stub);
	ram_ok(&f, "/associateresourceshare");
	ram_ok(&f, "/associateresourceshare");
	if (do_register(&f, FX_B, "stack-1", "", &reg, &err) != VP_OK)
		fail_msg("register: %s", err.message);
	assert_int_equal(do_register(&f, FX_C, "stack-2", "", &reg, &err), VP_ERR_EXHAUSTED);
	assert_non_null(strstr(err.message, "attachments per transit gateway"));
	assert_non_null(strstr(err.message, "cannot be raised"));
	assert_int_equal(live(&f), 1);
	assert_int_equal(count_path(&f, "/associateresourceshare"), 1);
	fx_free(&f);
}

static void test_register_principal_quota(void **state)
{
	struct fx f;
	struct vp_registration reg;
	struct vp_error err;

	(void)state;
	configure(&f);
	f.cfg.tgw.max_principals = 1;
	if (start(&f, "disable", true, &err) != VP_OK)
		fail_msg("start: %s", err.message);
	stub_reset(f.stub);
	ram_ok(&f, "/associateresourceshare");
	ram_ok(&f, "/associateresourceshare");
	if (do_register(&f, FX_B, "stack-1", "", &reg, &err) != VP_OK)
		fail_msg("register: %s", err.message);
	assert_int_equal(f.broker->tgw->principals, 1); /* B's, counted at register */
	assert_int_equal(do_register(&f, FX_C, "stack-2", "", &reg, &err), VP_ERR_EXHAUSTED);
	assert_non_null(strstr(err.message, "principals per resource share"));
	assert_int_equal(live(&f), 1);
	fx_free(&f);
}

/* ---- confirm ---- */

/* A refused confirm: 409 naming what differs, one Describe, no Accept, nothing recorded. */
static void refused(struct fx *f, const struct vp_registration *reg, const char *tgw,
		    const char *owner, const char *why)
{
	struct vp_registration out;
	struct vp_namespace_record rec;
	struct vp_error err;

	stub_reset(f->stub);
	attachment(f, ATT, tgw, CLIENT, owner, "pendingAcceptance");
	wrote(f, "AcceptTransitGatewayVpcAttachment",
	      "transitGatewayVpcAttachment"); /* there to be used by mistake */
	assert_int_equal(confirm(f, reg, ATT, &out, &err), VP_ERR_CONFLICT);
	if (!strstr(err.message, why))
		fail_msg("'%s' does not say '%s'", err.message, why);
	assert_int_equal(fx_count(f), 1);
	fx_expect(f, 0, "DescribeTransitGatewayVpcAttachments", "Filter.1.Name=transit-gateway-id",
		  "Filter.2.Name=vpc-id", NULL);
	rec = fx_record(f, reg->record.n);
	assert_int_equal(rec.state, VP_NS_PENDING);
	assert_string_equal(rec.peering_id, "");
}

static void test_confirm_foreign_attachment_refused(void **state)
{
	struct world *w = *state;
	struct fx *f = &w->f;
	struct vp_registration reg;
	struct vp_error err;

	stub_reset(f->stub);
	ram_ok(f, "/associateresourceshare");
	if (do_register(f, FX_B, "stack-foreign", "", &reg, &err) != VP_OK)
		fail_msg("register: %s", err.message);
	refused(f, &reg, TGW, FX_C, "of a VPC of account " FX_C);
	refused(f, &reg, "tgw-09090909", FX_B, "not the hub's " TGW);
}

static void test_confirm_missing_attachment(void **state)
{
	struct world *w = *state;
	struct fx *f = &w->f;
	struct vp_registration reg, out;
	struct vp_error err;

	stub_reset(f->stub);
	ram_ok(f, "/associateresourceshare");
	if (do_register(f, FX_B, "stack-none", "", &reg, &err) != VP_OK)
		fail_msg("register: %s", err.message);
	stub_reset(f->stub);
	attachment(f, NULL, NULL, NULL, NULL, NULL);
	assert_int_equal(confirm(f, &reg, ATT, &out, &err), VP_ERR_CONFLICT);
	assert_non_null(strstr(err.message, "create it from the client's account"));
}

static void test_confirm_then_release(void **state)
{
	struct world *w = *state;
	struct fx *f = &w->f;
	struct vp_identity id = fx_caller(FX_B);
	struct vp_registration reg, out;
	struct vp_namespace_record rec;
	struct vp_error err;
	char dest[64], route[512];

	stub_reset(f->stub);
	ram_ok(f, "/associateresourceshare");
	if (do_register(f, FX_B, "stack-ok", "us-east-1", &reg, &err) != VP_OK)
		fail_msg("register: %s", err.message);
	fx_form_cidr(reg.record.vpc_cidr, dest, sizeof(dest));

	stub_reset(f->stub);
	attachment(f, ATT, TGW, CLIENT, FX_B, "pendingAcceptance");
	wrote(f, "AcceptTransitGatewayVpcAttachment", "transitGatewayVpcAttachment");
	attachment(f, ATT, TGW, CLIENT, FX_B, "available");
	fx_tgw_verified(f, ATT, reg.record.vpc_cidr);
	wrote(f, "AssociateTransitGatewayRouteTable", "association");
	routes(f, "");
	wrote(f, "CreateTransitGatewayRoute", "route");
	if (confirm(f, &reg, ATT, &out, &err) != VP_OK)
		fail_msg("confirm: %s", err.message);
	assert_int_equal(out.record.state, VP_NS_ACTIVE);
	assert_string_equal(out.record.peering_id, ATT);
	assert_int_equal(fx_count(f), 10);
	fx_expect(f, 1, "AcceptTransitGatewayVpcAttachment", "TransitGatewayAttachmentId=" ATT,
		  NULL);
	/* the CIDR read in the verify table before any association (test_tgw_verify.c) */
	fx_expect(f, 3, "EnableTransitGatewayRouteTablePropagation",
		  "TransitGatewayRouteTableId=" VRTB, NULL);
	fx_expect(f, 7, "AssociateTransitGatewayRouteTable", "TransitGatewayRouteTableId=" CRTB,
		  "TransitGatewayAttachmentId=" ATT, NULL);
	fx_expect(f, 8, "SearchTransitGatewayRoutes", "TransitGatewayRouteTableId=" HRTB,
		  "route-search.exact-match", NULL);
	/* the client's block only, static, in the hub's table: never in the clients' table */
	fx_expect(f, 9, "CreateTransitGatewayRoute", "TransitGatewayRouteTableId=" HRTB, dest,
		  "TransitGatewayAttachmentId=" ATT, NULL);

	/* the same confirmation again: nothing asked of AWS */
	stub_reset(f->stub);
	assert_int_equal(confirm(f, &reg, ATT, &out, &err), VP_OK);
	assert_int_equal(fx_count(f), 0);

	/* release: the route, the attachment from the hub side, the principal */
	stub_reset(f->stub);
	route_item(route, sizeof(route), reg.record.vpc_cidr, ATT, "active");
	routes(f, route);
	wrote(f, "DeleteTransitGatewayRoute", "route");
	attachment(f, ATT, TGW, CLIENT, FX_B, "available");
	wrote(f, "DeleteTransitGatewayVpcAttachment", "transitGatewayVpcAttachment");
	ram_ok(f, "/disassociateresourceshare");
	if (vp_broker_release(f->broker, &id, reg.record.n, NULL, "rid-release", &out, &err) !=
	    VP_OK)
		fail_msg("release: %s", err.message);
	fx_expect(f, 1, "DeleteTransitGatewayRoute", "TransitGatewayRouteTableId=" HRTB, dest,
		  NULL);
	fx_expect(f, 3, "DeleteTransitGatewayVpcAttachment", "TransitGatewayAttachmentId=" ATT,
		  NULL);
	rec = fx_record(f, reg.record.n);
	assert_int_equal(rec.state, VP_NS_RELEASED);
}

/* A route to the block through another attachment is not the namespace's: release keeps it. */
static void test_release_keeps_another_attachments_route(void **state)
{
	struct world *w = *state;
	struct fx *f = &w->f;
	struct vp_identity id = fx_caller(FX_C);
	struct vp_registration reg, out;
	struct vp_error err;
	char route[512];

	stub_reset(f->stub);
	ram_ok(f, "/associateresourceshare");
	if (do_register(f, FX_C, "stack-keep", "", &reg, &err) != VP_OK)
		fail_msg("register: %s", err.message);
	stub_reset(f->stub);
	route_item(route, sizeof(route), reg.record.vpc_cidr, "tgw-attach-01234567", "active");
	routes(f, route);
	ram_ok(f, "/disassociateresourceshare");
	if (vp_broker_release(f->broker, &id, reg.record.n, NULL, "rid-release", &out, &err) !=
	    VP_OK)
		fail_msg("release: %s", err.message);
	for (size_t i = 0; i < fx_count(f); i++)
		assert_null(strstr(stub_request_at(f->stub, i).body, "DeleteTransitGatewayRoute"));
}

/* The account keeps its principal while another of its namespaces is live. */
static void test_release_keeps_principal_while_account_in_use(void **state)
{
	struct world *w = *state;
	struct fx *f = &w->f;
	struct vp_identity id = fx_caller(FX_B);
	struct vp_registration one, two, out;
	struct vp_error err;

	stub_reset(f->stub);
	ram_ok(f, "/associateresourceshare");
	ram_ok(f, "/associateresourceshare");
	if (do_register(f, FX_B, "stack-one", "", &one, &err) != VP_OK ||
	    do_register(f, FX_B, "stack-two", "", &two, &err) != VP_OK)
		fail_msg("register: %s", err.message);
	stub_reset(f->stub);
	routes(f, "");
	ram_ok(f, "/disassociateresourceshare"); /* there to be used by mistake */
	if (vp_broker_release(f->broker, &id, one.record.n, NULL, "rid-1", &out, &err) != VP_OK)
		fail_msg("release: %s", err.message);
	assert_int_equal(count_path(f, "/disassociateresourceshare"), 0);
	stub_reset(f->stub);
	routes(f, "");
	ram_ok(f, "/disassociateresourceshare");
	if (vp_broker_release(f->broker, &id, two.record.n, NULL, "rid-2", &out, &err) != VP_OK)
		fail_msg("release: %s", err.message);
	assert_int_equal(count_path(f, "/disassociateresourceshare"), 1);
	assert_non_null(strstr(stub_request_at(f->stub, 1).body, "\"principals\":[\"" FX_B "\"]"));
}

/* A share to the organization that refuses outsiders: no principal to add or remove. */
static void test_organization_share_adds_no_principal(void **state)
{
	struct fx f;
	struct vp_registration reg;
	struct vp_error err;

	(void)state;
	configure(&f);
	org_only = true;
	if (start(&f, "disable", true, &err) != VP_OK)
		fail_msg("start: %s", err.message);
	org_only = false;
	stub_reset(f.stub);
	ram_ok(&f, "/associateresourceshare"); /* there to be used by mistake */
	if (do_register(&f, FX_B, "stack-org", "", &reg, &err) != VP_OK)
		fail_msg("register: %s", err.message);
	assert_int_equal(fx_count(&f), 0);
	fx_free(&f);
}

/* ---- the reconciler ---- */

/* Register `account` and confirm its attachment ATT: active. */
static void confirmed(struct fx *f, const char *account, const char *ref,
		      struct vp_registration *reg)
{
	struct vp_registration out;
	struct vp_error err;

	stub_reset(f->stub);
	ram_ok(f, "/associateresourceshare");
	if (do_register(f, account, ref, "", reg, &err) != VP_OK)
		fail_msg("register: %s", err.message);
	stub_reset(f->stub);
	attachment(f, ATT, TGW, CLIENT, account, "pendingAcceptance");
	wrote(f, "AcceptTransitGatewayVpcAttachment", "transitGatewayVpcAttachment");
	attachment(f, ATT, TGW, CLIENT, account, "available");
	fx_tgw_verified(f, ATT, reg->record.vpc_cidr);
	wrote(f, "AssociateTransitGatewayRouteTable", "association");
	routes(f, "");
	wrote(f, "CreateTransitGatewayRoute", "route");
	if (confirm(f, reg, ATT, &out, &err) != VP_OK)
		fail_msg("confirm: %s", err.message);
	stub_reset(f->stub);
}

/* Two attachments to the gateway besides the hub's: ATT of `owner` and a second one. */
static void two_attachments(struct fx *f, const char *owner, const char *state, const char *other,
			    const char *other_owner, const char *other_state)
{
	char body[4096];

	snprintf(body, sizeof(body),
		 "<DescribeTransitGatewayVpcAttachmentsResponse" NS "><requestId>r</requestId>"
		 "<transitGatewayVpcAttachments>"
		 "<item><state>available</state><transitGatewayAttachmentId>" HUBATT
		 "</transitGatewayAttachmentId><transitGatewayId>" TGW "</transitGatewayId>"
		 "<vpcId>" FX_VPC "</vpcId><vpcOwnerId>" FX_HUB "</vpcOwnerId></item>"
		 "<item><state>%s</state><transitGatewayAttachmentId>" ATT
		 "</transitGatewayAttachmentId><transitGatewayId>" TGW "</transitGatewayId>"
		 "<vpcId>" CLIENT "</vpcId><vpcOwnerId>%s</vpcOwnerId></item>"
		 "<item><state>%s</state><transitGatewayAttachmentId>%s"
		 "</transitGatewayAttachmentId><transitGatewayId>" TGW "</transitGatewayId>"
		 "<vpcId>vpc-0d0d0d0d</vpcId><vpcOwnerId>%s</vpcOwnerId></item>"
		 "</transitGatewayVpcAttachments></DescribeTransitGatewayVpcAttachmentsResponse>",
		 state, owner, other_state, other, other_owner);
	fx_answer(f, body);
}

/* Whether a request had `text` (and `also`, when not NULL) in its body. */
static bool asked_both(struct fx *f, const char *text, const char *also)
{
	for (size_t i = 0; i < fx_count(f); i++) {
		struct stub_request r = stub_request_at(f->stub, i);
		if (strstr(r.body, text) && (!also || strstr(r.body, also)))
			return true;
	}
	return false;
}

static bool asked(struct fx *f, const char *text)
{
	return asked_both(f, text, NULL);
}

static struct vp_reconcile_report *reconcile(struct fx *f, bool dry_run)
{
	struct vp_reconcile_options opts = {.dry_run = dry_run, .force = true};
	struct vp_reconcile_report *r = NULL;
	struct vp_error err;

	if (vp_broker_reconcile(f->broker, &opts, &r, &err) != VP_OK)
		fail_msg("reconcile: %s", err.message);
	return r;
}

/* A deleted route is re-created; a foreign request is rejected, never accepted. */
static void repairs(struct fx *f, bool dry_run)
{
	struct vp_registration reg;
	struct vp_reconcile_report *r;
	char dest[64];

	confirmed(f, FX_B, "stack-rec", &reg);
	fx_form_cidr(reg.record.vpc_cidr, dest, sizeof(dest));
	fx_peerings(f, "");
	fx_tables(f, "");
	two_attachments(f, FX_B, "available", "tgw-attach-0a0a0a0a", FX_D, "pendingAcceptance");
	wrote(f, "RejectTransitGatewayVpcAttachment", "transitGatewayVpcAttachment");
	routes(f, ""); /* B's route: gone */
	wrote(f, "CreateTransitGatewayRoute", "route");
	routes(f, ""); /* no blackhole */
	ram(f, "/getresourceshareassociations",
	    "{\"resourceShareAssociations\":[{\"resourceShareArn\":\"" SHARE "\","
	    "\"associatedEntity\":\"" FX_B "\",\"associationType\":\"PRINCIPAL\","
	    "\"status\":\"ASSOCIATED\"}]}");
	r = reconcile(f, dry_run);
	assert_false(asked(f, "Action=AcceptTransitGatewayVpcAttachment"));
	assert_true(asked(f, "route-search.exact-match"));
	assert_true(dry_run != asked_both(f, "Action=RejectTransitGatewayVpcAttachment&",
					  "TransitGatewayAttachmentId=tgw-attach-0a0a0a0a"));
	assert_true(dry_run != asked(f, dest));
	assert_int_equal(fx_record(f, reg.record.n).state, VP_NS_ACTIVE);
	assert_int_equal(r->count, 2);
	vp_reconcile_report_free(r);
}

static void test_reconcile_repairs(void **state)
{
	repairs(&((struct world *)*state)->f, false);
}

static void test_reconcile_dry_run_changes_nothing(void **state)
{
	repairs(&((struct world *)*state)->f, true);
}

/* An attachment the registry held for a released namespace: its route and itself deleted. */
static void test_reconcile_deletes_stray_attachment(void **state)
{
	struct world *w = *state;
	struct fx *f = &w->f;
	struct vp_identity id = fx_caller(FX_C);
	struct vp_registration reg, out;
	struct vp_reconcile_report *r;
	struct vp_error err;
	char route[512];

	confirmed(f, FX_C, "stack-stray", &reg);
	/* released, but AWS kept the attachment (its delete was lost) */
	routes(f, "");
	attachment(f, NULL, NULL, NULL, NULL, NULL);
	ram_ok(f, "/disassociateresourceshare");
	if (vp_broker_release(f->broker, &id, reg.record.n, NULL, "rid-release", &out, &err) !=
	    VP_OK)
		fail_msg("release: %s", err.message);
	stub_reset(f->stub);
	fx_peerings(f, "");
	fx_tables(f, "");
	two_attachments(f, FX_C, "available", "tgw-attach-0b0b0b0b", FX_D, "deleted");
	route_item(route, sizeof(route), reg.record.vpc_cidr, ATT, "active");
	routes(f, route); /* by attachment */
	wrote(f, "DeleteTransitGatewayRoute", "route");
	wrote(f, "DeleteTransitGatewayVpcAttachment", "transitGatewayVpcAttachment");
	routes(f, ""); /* no blackhole */
	ram(f, "/getresourceshareassociations", "{\"resourceShareAssociations\":[]}");
	r = reconcile(f, false);
	assert_true(asked(f, "attachment.transit-gateway-attachment-id"));
	assert_true(asked(f, "Action=DeleteTransitGatewayRoute&"));
	assert_true(asked_both(f, "Action=DeleteTransitGatewayVpcAttachment&",
			       "TransitGatewayAttachmentId=" ATT));
	vp_reconcile_report_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_start_routes_pool_once),
		cmocka_unit_test(test_start_refuses_auto_accept),
		cmocka_unit_test(test_start_refuses_share_without_gateway),
		cmocka_unit_test(test_start_refuses_one_table_for_both),
		cmocka_unit_test(test_register_attachment_quota),
		cmocka_unit_test(test_register_principal_quota),
		cmocka_unit_test_setup_teardown(test_register_shares_with_account, setup, teardown),
		cmocka_unit_test_setup_teardown(test_register_other_region_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_confirm_foreign_attachment_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_confirm_missing_attachment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_confirm_then_release, setup, teardown),
		cmocka_unit_test_setup_teardown(test_release_keeps_another_attachments_route, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_release_keeps_principal_while_account_in_use,
						setup, teardown),
		cmocka_unit_test(test_organization_share_adds_no_principal),
		cmocka_unit_test_setup_teardown(test_reconcile_repairs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reconcile_dry_run_changes_nothing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reconcile_deletes_stray_attachment, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
