/* SPDX-License-Identifier: Apache-2.0 */
/* The transit-gateway mode's scripted AWS: see tgw_fixture.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tgw_fixture.h"

/* ---- answers ---- */

void tfx_gateway(struct fx *f, const char *auto_accept)
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
void tfx_routes(struct fx *f, const char *items)
{
	char body[4096];

	snprintf(body, sizeof(body),
		 "<SearchTransitGatewayRoutesResponse" NS "><requestId>r</requestId><routeSet>%s"
		 "</routeSet><additionalRoutesAvailable>false</additionalRoutesAvailable>"
		 "</SearchTransitGatewayRoutesResponse>",
		 items);
	fx_answer(f, body);
}

void tfx_route_item(char *out, size_t size, const char *cidr, const char *att, const char *state)
{
	snprintf(out, size,
		 "<item><destinationCidrBlock>%s</destinationCidrBlock><state>%s</state>"
		 "<type>static</type><transitGatewayAttachments><item><resourceId>" CLIENT
		 "</resourceId><resourceType>vpc</resourceType><transitGatewayAttachmentId>%s"
		 "</transitGatewayAttachmentId></item></transitGatewayAttachments></item>",
		 cidr, state, att);
}

/* DescribeTransitGatewayVpcAttachments: one attachment (NULL id: none). */
void tfx_attachment(struct fx *f, const char *id, const char *tgw, const char *vpc,
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
void tfx_wrote(struct fx *f, const char *action, const char *element)
{
	char body[1024];

	snprintf(body, sizeof(body),
		 "<%sResponse" NS "><requestId>r</requestId><%s><transitGatewayAttachmentId>" ATT
		 "</transitGatewayAttachmentId><destinationCidrBlock>10.0.4.0/22"
		 "</destinationCidrBlock><state>pending</state></%s></%sResponse>",
		 action, element, element, action);
	fx_answer(f, body);
}

void tfx_ram(struct fx *f, const char *path, const char *json)
{
	stub_on(f->stub, "POST", path, 1, 200, json);
}

static void share_answers(struct fx *f, enum tfx_share share)
{
	bool org_only = share == TFX_SHARE_ORG, holds = share != TFX_SHARE_MISSING;

	tfx_ram(f, "/getresourceshares",
		org_only
			? "{\"resourceShares\":[{\"allowExternalPrincipals\":false,\"name\":"
			  "\"hub\","
			  "\"owningAccountId\":\"" FX_HUB "\",\"resourceShareArn\":\"" SHARE "\","
			  "\"status\":\"ACTIVE\"}]}"
			: "{\"resourceShares\":[{\"allowExternalPrincipals\":true,\"name\":\"hub\","
			  "\"owningAccountId\":\"" FX_HUB "\",\"resourceShareArn\":\"" SHARE "\","
			  "\"status\":\"ACTIVE\"}]}");
	tfx_ram(f, "/getresourceshareassociations",
		holds ? "{\"resourceShareAssociations\":[{\"resourceShareArn\":\"" SHARE "\","
			"\"associatedEntity\":\"" TGWARN "\",\"associationType\":\"RESOURCE\","
			"\"status\":\"ASSOCIATED\"}]}"
		      : "{\"resourceShareAssociations\":[]}");
	tfx_ram(f, "/getresourceshareassociations",
		org_only ? "{\"resourceShareAssociations\":[{\"resourceShareArn\":\"" SHARE "\","
			   "\"associatedEntity\":\"arn:aws:organizations::" FX_HUB
			   ":organization/o-abc\",\"associationType\":\"PRINCIPAL\","
			   "\"status\":\"ASSOCIATED\"}]}"
			 : "{\"resourceShareAssociations\":[]}");
}

void tfx_ram_ok(struct fx *f, const char *path)
{
	tfx_ram(f, path,
		"{\"resourceShareAssociations\":[{\"resourceShareArn\":\"" SHARE "\","
		"\"associatedEntity\":\"" FX_B "\",\"associationType\":\"PRINCIPAL\","
		"\"status\":\"ASSOCIATING\",\"external\":true}]}");
}

/* The requests to `path` (RAM's) recorded so far. */
size_t tfx_count_path(struct fx *f, const char *path)
{
	size_t n = 0;

	for (size_t i = 0; i < fx_count(f); i++)
		n += strcmp(stub_request_at(f->stub, i).path, path) == 0;
	return n;
}

/* ---- the world ---- */

void tfx_configure(struct fx *f)
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
vp_code tfx_start(struct fx *f, const char *auto_accept, enum tfx_share share, struct vp_error *err)
{
	char hub_route[512];

	fx_answer(f, "<DescribeVpcsResponse" NS "><requestId>r</requestId><vpcSet><item>"
		     "<vpcId>" FX_VPC "</vpcId><state>available</state><cidrBlock>" FX_HUB_CIDR
		     "</cidrBlock><ownerId>" FX_HUB "</ownerId></item></vpcSet>"
		     "</DescribeVpcsResponse>");
	fx_tables(f, "");
	fx_peerings(f, ""); /* the quota view */
	fx_tables(f, "");
	tfx_gateway(f, auto_accept);
	tfx_route_item(hub_route, sizeof(hub_route), FX_HUB_CIDR, HUBATT, "active");
	tfx_routes(f, hub_route);               /* the clients' table: the hub's route */
	tfx_routes(f, "");                      /* the hub's table: no client yet */
	tfx_routes(f, "");                      /* the verify table */
	fx_answer(f, "<X><associations/></X>"); /* the verify table has no association */
	tfx_attachment(f, HUBATT, TGW, FX_VPC, FX_HUB, "available");
	fx_tables(f, ""); /* the hub VPC's tables: the pool's route missing in both */
	fx_ok(f, "CreateRoute");
	fx_ok(f, "CreateRoute");
	share_answers(f, share);
	return vp_broker_new(&f->cfg, f->reg, f->aws, NULL, &f->broker, err);
}

int tfx_setup_with(void **state, void (*extra)(struct fx *f))
{
	struct fx *f = calloc(1, sizeof(*f));
	struct vp_error err;

	assert_non_null(f);
	tfx_configure(f);
	if (extra)
		extra(f);
	if (tfx_start(f, "disable", TFX_SHARE_HOLDS, &err) != VP_OK)
		fail_msg("start: %s", err.message);
	stub_reset(f->stub);
	*state = f;
	return 0;
}

int tfx_setup(void **state)
{
	return tfx_setup_with(state, NULL);
}

int tfx_teardown(void **state)
{
	fx_free(*state);
	free(*state);
	return 0;
}

vp_code tfx_register(struct fx *f, const char *account, const char *ref, const char *region,
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

int64_t tfx_live(struct fx *f)
{
	int64_t n = -1;
	struct vp_error err;

	assert_int_equal(vp_registry_count_live(f->reg, &n, &err), VP_OK);
	return n;
}

vp_code tfx_confirm(struct fx *f, const struct vp_registration *reg, const char *att,
		    struct vp_registration *out, struct vp_error *err)
{
	struct vp_identity id = fx_caller(reg->record.account);
	struct vp_confirm_request req;

	memset(&req, 0, sizeof(req));
	snprintf(req.attachment_id, sizeof(req.attachment_id), "%s", att);
	snprintf(req.vpc_id, sizeof(req.vpc_id), "%s", CLIENT);
	return vp_broker_confirm(f->broker, &id, reg->record.n, &req, "rid-confirm", out, err);
}
