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

#include "tgw_fixture.h"

/* The mode with `verify_table` (may be NULL). */
static void configure(struct fx *f, const char *verify_table)
{
	tfx_configure(f);
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
	tfx_gateway(f, "disable");
	tfx_routes(f, ""); /* the clients', the hub's and the verify table */
	tfx_routes(f, "");
	tfx_routes(f, "");
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
	tfx_ram_ok(f, "/associateresourceshare");
	if (vp_broker_register(f->broker, &id, &rreq, "rid-register", reg, &created, err) != VP_OK)
		fail_msg("register: %s", err->message);
	stub_reset(f->stub);
	tfx_attachment(f, ATT, TGW, CLIENT, FX_B, "pendingAcceptance");
	tfx_wrote(f, "X", "transitGatewayVpcAttachment"); /* Accept */
	tfx_attachment(f, ATT, TGW, CLIENT, FX_B, "available");
	snprintf(cidrs, sizeof(cidrs), "%s%s%s", wrong ? wrong : reg->record.vpc_cidr,
		 extra ? " " : "", extra ? extra : "");
	fx_tgw_verified(f, ATT, cidrs);
	if (wrong || extra) {
		tfx_wrote(f, "X", "transitGatewayVpcAttachment"); /* Delete */
	} else {
		tfx_wrote(f, "X", "association");
		tfx_routes(f, "");
		tfx_wrote(f, "X", "route");
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
	/* the attachment deleted: confirm's intent cleared, the record as it was */
	assert_string_equal(fx_record(f, reg.record.n).peering_id, "");
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
	tfx_ram(f, "/associateresourceshare", "{\"resourceShareAssociations\":[]}");
	if (vp_broker_register(f->broker, &id, &rreq, "rid-register", &reg, &created, &err) !=
	    VP_OK)
		fail_msg("register: %s", err.message);
	stub_reset(f->stub);
	tfx_attachment(f, ATT, TGW, CLIENT, FX_B, "pendingAcceptance");
	tfx_wrote(f, "X", "transitGatewayVpcAttachment");
	tfx_attachment(f, ATT, TGW, CLIENT, FX_B, "available");
	tfx_wrote(f, "X", "propagation");
	fx_error(f, 403, "UnauthorizedOperation", "not allowed to search");
	tfx_wrote(f, "X", "propagation");
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
	tfx_ram(f, "/associateresourceshare", "{\"resourceShareAssociations\":[]}");
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
	tfx_attachment(f, ATT, TGW, CLIENT, FX_B, "pendingAcceptance");
	tfx_wrote(f, "X", "transitGatewayVpcAttachment");
	tfx_attachment(f, ATT, TGW, CLIENT, FX_B, "available");
	tfx_wrote(f, "X", "propagation");
	tfx_routes(f, ""); /* not propagated yet */
	tfx_routes(f, item);
	tfx_routes(f, item);
	tfx_wrote(f, "X", "propagation");
	tfx_wrote(f, "X", "association");
	tfx_routes(f, "");
	tfx_wrote(f, "X", "route");
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
		cmocka_unit_test_setup_teardown(test_exact_cidr_passes, tfx_setup, tfx_teardown),
		cmocka_unit_test_setup_teardown(test_wrong_cidr_refused, tfx_setup, tfx_teardown),
		cmocka_unit_test_setup_teardown(test_extra_cidr_refused, tfx_setup, tfx_teardown),
		cmocka_unit_test_setup_teardown(test_propagation_off_after_failure, tfx_setup,
						tfx_teardown),
		cmocka_unit_test_setup_teardown(test_slow_propagation_polled, tfx_setup,
						tfx_teardown),
		cmocka_unit_test(test_start_refuses_verify_table_in_use),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
