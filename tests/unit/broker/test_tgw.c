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
#include "tgw_fixture.h"
#include "broker/reconcile.h"

/* ---- start-up ---- */

static void test_start_routes_pool_once(void **state)
{
	struct fx f;
	struct vp_error err;

	(void)state;
	tfx_configure(&f);
	if (tfx_start(&f, "disable", TFX_SHARE_HOLDS, &err) != VP_OK)
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
	tfx_configure(&f);
	assert_int_equal(tfx_start(&f, "enable", TFX_SHARE_HOLDS, &err), VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "accepts shared attachments automatically"));
	assert_null(f.broker);
	fx_free(&f);
}

static void test_start_refuses_share_without_gateway(void **state)
{
	struct fx f;
	struct vp_error err;

	(void)state;
	tfx_configure(&f);
	assert_int_equal(tfx_start(&f, "disable", TFX_SHARE_MISSING, &err), VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "does not hold transit gateway " TGW));
	fx_free(&f);
}

static void test_start_refuses_one_table_for_both(void **state)
{
	struct fx f;
	struct vp_error err;

	(void)state;
	tfx_configure(&f);
	f.cfg.tgw.hub_table = CRTB;
	assert_int_equal(vp_broker_new(&f.cfg, f.reg, f.aws, NULL, &f.broker, &err),
			 VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "must differ"));
	fx_free(&f);
}

/* ---- register ---- */

static void test_register_shares_with_account(void **state)
{
	struct fx *f = *state;
	struct vp_registration reg;
	struct vp_error err;

	stub_reset(f->stub);
	tfx_ram_ok(f, "/associateresourceshare");
	if (tfx_register(f, FX_B, "stack-share", "us-east-1", &reg, &err) != VP_OK)
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
	struct fx *f = *state;
	struct vp_registration reg;
	struct vp_error err;
	int64_t before = tfx_live(f);

	stub_reset(f->stub);
	tfx_ram_ok(f, "/associateresourceshare"); /* there to be used by mistake */
	assert_int_equal(tfx_register(f, FX_C, "stack-eu", "eu-west-1", &reg, &err),
			 VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "region 'eu-west-1'"));
	assert_non_null(strstr(err.message, "serves region us-east-1 only"));
	assert_int_equal(fx_count(f), 0);
	assert_int_equal(tfx_live(f), before);
}

static void test_register_attachment_quota(void **state)
{
	struct fx f;
	struct vp_registration reg;
	struct vp_error err;

	(void)state;
	tfx_configure(&f);
	f.cfg.tgw.max_attachments = 2; /* the hub's attachment and one client */
	if (tfx_start(&f, "disable", TFX_SHARE_HOLDS, &err) != VP_OK)
		fail_msg("start: %s", err.message);
	stub_reset(f.stub);
	tfx_ram_ok(&f, "/associateresourceshare");
	tfx_ram_ok(&f, "/associateresourceshare");
	if (tfx_register(&f, FX_B, "stack-1", "", &reg, &err) != VP_OK)
		fail_msg("register: %s", err.message);
	assert_int_equal(tfx_register(&f, FX_C, "stack-2", "", &reg, &err), VP_ERR_EXHAUSTED);
	assert_non_null(strstr(err.message, "attachments per transit gateway"));
	assert_non_null(strstr(err.message, "cannot be raised"));
	assert_int_equal(tfx_live(&f), 1);
	assert_int_equal(tfx_count_path(&f, "/associateresourceshare"), 1);
	fx_free(&f);
}

static void test_register_principal_quota(void **state)
{
	struct fx f;
	struct vp_registration reg;
	struct vp_error err;

	(void)state;
	tfx_configure(&f);
	f.cfg.tgw.max_principals = 1;
	if (tfx_start(&f, "disable", TFX_SHARE_HOLDS, &err) != VP_OK)
		fail_msg("start: %s", err.message);
	stub_reset(f.stub);
	tfx_ram_ok(&f, "/associateresourceshare");
	tfx_ram_ok(&f, "/associateresourceshare");
	if (tfx_register(&f, FX_B, "stack-1", "", &reg, &err) != VP_OK)
		fail_msg("register: %s", err.message);
	assert_int_equal(f.broker->tgw->principals, 1); /* B's, counted at register */
	assert_int_equal(tfx_register(&f, FX_C, "stack-2", "", &reg, &err), VP_ERR_EXHAUSTED);
	assert_non_null(strstr(err.message, "principals per resource share"));
	assert_int_equal(tfx_live(&f), 1);
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
	tfx_attachment(f, ATT, tgw, CLIENT, owner, "pendingAcceptance");
	tfx_wrote(f, "AcceptTransitGatewayVpcAttachment",
		  "transitGatewayVpcAttachment"); /* there to be used by mistake */
	assert_int_equal(tfx_confirm(f, reg, ATT, &out, &err), VP_ERR_CONFLICT);
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
	struct fx *f = *state;
	struct vp_registration reg;
	struct vp_error err;

	stub_reset(f->stub);
	tfx_ram_ok(f, "/associateresourceshare");
	if (tfx_register(f, FX_B, "stack-foreign", "", &reg, &err) != VP_OK)
		fail_msg("register: %s", err.message);
	refused(f, &reg, TGW, FX_C, "of a VPC of account " FX_C);
	refused(f, &reg, "tgw-09090909", FX_B, "not the hub's " TGW);
}

static void test_confirm_missing_attachment(void **state)
{
	struct fx *f = *state;
	struct vp_registration reg, out;
	struct vp_error err;

	stub_reset(f->stub);
	tfx_ram_ok(f, "/associateresourceshare");
	if (tfx_register(f, FX_B, "stack-none", "", &reg, &err) != VP_OK)
		fail_msg("register: %s", err.message);
	stub_reset(f->stub);
	tfx_attachment(f, NULL, NULL, NULL, NULL, NULL);
	assert_int_equal(tfx_confirm(f, &reg, ATT, &out, &err), VP_ERR_CONFLICT);
	assert_non_null(strstr(err.message, "create it from the client's account"));
}

static void test_confirm_then_release(void **state)
{
	struct fx *f = *state;
	struct vp_identity id = fx_caller(FX_B);
	struct vp_registration reg, out;
	struct vp_namespace_record rec;
	struct vp_error err;
	char dest[64], route[512];

	stub_reset(f->stub);
	tfx_ram_ok(f, "/associateresourceshare");
	if (tfx_register(f, FX_B, "stack-ok", "us-east-1", &reg, &err) != VP_OK)
		fail_msg("register: %s", err.message);
	fx_form_cidr(reg.record.vpc_cidr, dest, sizeof(dest));

	stub_reset(f->stub);
	tfx_attachment(f, ATT, TGW, CLIENT, FX_B, "pendingAcceptance");
	tfx_wrote(f, "AcceptTransitGatewayVpcAttachment", "transitGatewayVpcAttachment");
	tfx_attachment(f, ATT, TGW, CLIENT, FX_B, "available");
	fx_tgw_verified(f, ATT, reg.record.vpc_cidr);
	tfx_wrote(f, "AssociateTransitGatewayRouteTable", "association");
	tfx_routes(f, "");
	tfx_wrote(f, "CreateTransitGatewayRoute", "route");
	if (tfx_confirm(f, &reg, ATT, &out, &err) != VP_OK)
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
	assert_int_equal(tfx_confirm(f, &reg, ATT, &out, &err), VP_OK);
	assert_int_equal(fx_count(f), 0);

	/* release: the route, the attachment from the hub side, the principal */
	stub_reset(f->stub);
	tfx_route_item(route, sizeof(route), reg.record.vpc_cidr, ATT, "active");
	tfx_routes(f, route);
	tfx_wrote(f, "DeleteTransitGatewayRoute", "route");
	tfx_attachment(f, ATT, TGW, CLIENT, FX_B, "available");
	tfx_wrote(f, "DeleteTransitGatewayVpcAttachment", "transitGatewayVpcAttachment");
	tfx_ram_ok(f, "/disassociateresourceshare");
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

/*
 * Issue 18: API Gateway cuts a request at 30 s, so however long --accept-wait is, one
 * confirm waits at most VP_BROKER_CONFIRM_BUDGET_MS for an accepted attachment, then answers
 * 503 "confirm again". Without the cap it polls on (here until the scripted answers run
 * out and the stub answers an error instead).
 */
static void test_confirm_waits_within_budget(void **state)
{
	struct fx *f = *state;
	struct vp_registration reg, out;
	struct vp_error err;

	stub_reset(f->stub);
	tfx_ram_ok(f, "/associateresourceshare");
	if (tfx_register(f, FX_B, "stack-slow", "", &reg, &err) != VP_OK)
		fail_msg("register: %s", err.message);
	f->broker->accept_wait_ms = 600000; /* what a --accept-wait of 600 s would be */
	stub_reset(f->stub);
	tfx_attachment(f, ATT, TGW, CLIENT, FX_B, "pendingAcceptance");
	tfx_wrote(f, "AcceptTransitGatewayVpcAttachment", "transitGatewayVpcAttachment");
	for (int i = 0; i < 40; i++) /* 2 s apart at most: more than the budget's polls */
		tfx_attachment(f, ATT, TGW, CLIENT, FX_B, "pending");
	assert_int_equal(tfx_confirm(f, &reg, ATT, &out, &err), VP_ERR_UNAVAILABLE);
	assert_non_null(strstr(err.message, "at most 24 s in one confirm"));
	assert_non_null(strstr(err.message, "confirm again"));
	assert_true(fx_count(f) < 42); /* it stopped polling before the answers ran out */
}

/* A route to the block through another attachment is not the namespace's: release keeps it. */
static void test_release_keeps_another_attachments_route(void **state)
{
	struct fx *f = *state;
	struct vp_identity id = fx_caller(FX_C);
	struct vp_registration reg, out;
	struct vp_error err;
	char route[512];

	stub_reset(f->stub);
	tfx_ram_ok(f, "/associateresourceshare");
	if (tfx_register(f, FX_C, "stack-keep", "", &reg, &err) != VP_OK)
		fail_msg("register: %s", err.message);
	stub_reset(f->stub);
	tfx_route_item(route, sizeof(route), reg.record.vpc_cidr, "tgw-attach-01234567", "active");
	tfx_routes(f, route);
	tfx_ram_ok(f, "/disassociateresourceshare");
	if (vp_broker_release(f->broker, &id, reg.record.n, NULL, "rid-release", &out, &err) !=
	    VP_OK)
		fail_msg("release: %s", err.message);
	for (size_t i = 0; i < fx_count(f); i++)
		assert_null(strstr(stub_request_at(f->stub, i).body, "DeleteTransitGatewayRoute"));
}

/* The account keeps its principal while another of its namespaces is live. */
static void test_release_keeps_principal_while_account_in_use(void **state)
{
	struct fx *f = *state;
	struct vp_identity id = fx_caller(FX_B);
	struct vp_registration one, two, out;
	struct vp_error err;

	stub_reset(f->stub);
	tfx_ram_ok(f, "/associateresourceshare");
	tfx_ram_ok(f, "/associateresourceshare");
	if (tfx_register(f, FX_B, "stack-one", "", &one, &err) != VP_OK ||
	    tfx_register(f, FX_B, "stack-two", "", &two, &err) != VP_OK)
		fail_msg("register: %s", err.message);
	stub_reset(f->stub);
	tfx_routes(f, "");
	tfx_ram_ok(f, "/disassociateresourceshare"); /* there to be used by mistake */
	if (vp_broker_release(f->broker, &id, one.record.n, NULL, "rid-1", &out, &err) != VP_OK)
		fail_msg("release: %s", err.message);
	assert_int_equal(tfx_count_path(f, "/disassociateresourceshare"), 0);
	stub_reset(f->stub);
	tfx_routes(f, "");
	tfx_ram_ok(f, "/disassociateresourceshare");
	if (vp_broker_release(f->broker, &id, two.record.n, NULL, "rid-2", &out, &err) != VP_OK)
		fail_msg("release: %s", err.message);
	assert_int_equal(tfx_count_path(f, "/disassociateresourceshare"), 1);
	assert_non_null(strstr(stub_request_at(f->stub, 1).body, "\"principals\":[\"" FX_B "\"]"));
}

/* A share to the organization that refuses outsiders: no principal to add or remove. */
static void test_organization_share_adds_no_principal(void **state)
{
	struct fx f;
	struct vp_registration reg;
	struct vp_error err;

	(void)state;
	tfx_configure(&f);
	if (tfx_start(&f, "disable", TFX_SHARE_ORG, &err) != VP_OK)
		fail_msg("start: %s", err.message);
	stub_reset(f.stub);
	tfx_ram_ok(&f, "/associateresourceshare"); /* there to be used by mistake */
	if (tfx_register(&f, FX_B, "stack-org", "", &reg, &err) != VP_OK)
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
	tfx_ram_ok(f, "/associateresourceshare");
	if (tfx_register(f, account, ref, "", reg, &err) != VP_OK)
		fail_msg("register: %s", err.message);
	stub_reset(f->stub);
	tfx_attachment(f, ATT, TGW, CLIENT, account, "pendingAcceptance");
	tfx_wrote(f, "AcceptTransitGatewayVpcAttachment", "transitGatewayVpcAttachment");
	tfx_attachment(f, ATT, TGW, CLIENT, account, "available");
	fx_tgw_verified(f, ATT, reg->record.vpc_cidr);
	tfx_wrote(f, "AssociateTransitGatewayRouteTable", "association");
	tfx_routes(f, "");
	tfx_wrote(f, "CreateTransitGatewayRoute", "route");
	if (tfx_confirm(f, reg, ATT, &out, &err) != VP_OK)
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
	tfx_wrote(f, "RejectTransitGatewayVpcAttachment", "transitGatewayVpcAttachment");
	tfx_routes(f, ""); /* B's route: gone */
	tfx_wrote(f, "CreateTransitGatewayRoute", "route");
	tfx_routes(f, ""); /* no blackhole */
	tfx_ram(f, "/getresourceshareassociations",
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
	repairs(*state, false);
}

static void test_reconcile_dry_run_changes_nothing(void **state)
{
	repairs(*state, true);
}

/* An attachment the registry held for a released namespace: its route and itself deleted. */
static void test_reconcile_deletes_stray_attachment(void **state)
{
	struct fx *f = *state;
	struct vp_identity id = fx_caller(FX_C);
	struct vp_registration reg, out;
	struct vp_reconcile_report *r;
	struct vp_error err;
	char route[512];

	confirmed(f, FX_C, "stack-stray", &reg);
	/* released, but AWS kept the attachment (its delete was lost) */
	tfx_routes(f, "");
	tfx_attachment(f, NULL, NULL, NULL, NULL, NULL);
	tfx_ram_ok(f, "/disassociateresourceshare");
	if (vp_broker_release(f->broker, &id, reg.record.n, NULL, "rid-release", &out, &err) !=
	    VP_OK)
		fail_msg("release: %s", err.message);
	stub_reset(f->stub);
	fx_peerings(f, "");
	fx_tables(f, "");
	two_attachments(f, FX_C, "available", "tgw-attach-0b0b0b0b", FX_D, "deleted");
	tfx_route_item(route, sizeof(route), reg.record.vpc_cidr, ATT, "active");
	tfx_routes(f, route); /* by attachment */
	tfx_wrote(f, "DeleteTransitGatewayRoute", "route");
	tfx_wrote(f, "DeleteTransitGatewayVpcAttachment", "transitGatewayVpcAttachment");
	tfx_routes(f, ""); /* no blackhole */
	tfx_ram(f, "/getresourceshareassociations", "{\"resourceShareAssociations\":[]}");
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
		cmocka_unit_test_setup_teardown(test_register_shares_with_account, tfx_setup,
						tfx_teardown),
		cmocka_unit_test_setup_teardown(test_register_other_region_refused, tfx_setup,
						tfx_teardown),
		cmocka_unit_test_setup_teardown(test_confirm_foreign_attachment_refused, tfx_setup,
						tfx_teardown),
		cmocka_unit_test_setup_teardown(test_confirm_missing_attachment, tfx_setup,
						tfx_teardown),
		cmocka_unit_test_setup_teardown(test_confirm_then_release, tfx_setup, tfx_teardown),
		cmocka_unit_test_setup_teardown(test_confirm_waits_within_budget, tfx_setup,
						tfx_teardown),
		cmocka_unit_test_setup_teardown(test_release_keeps_another_attachments_route,
						tfx_setup, tfx_teardown),
		cmocka_unit_test_setup_teardown(test_release_keeps_principal_while_account_in_use,
						tfx_setup, tfx_teardown),
		cmocka_unit_test(test_organization_share_adds_no_principal),
		cmocka_unit_test_setup_teardown(test_reconcile_repairs, tfx_setup, tfx_teardown),
		cmocka_unit_test_setup_teardown(test_reconcile_dry_run_changes_nothing, tfx_setup,
						tfx_teardown),
		cmocka_unit_test_setup_teardown(test_reconcile_deletes_stray_attachment, tfx_setup,
						tfx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
