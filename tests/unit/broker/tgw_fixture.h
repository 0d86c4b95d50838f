/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The transit-gateway mode's scripted AWS (issue 16), shared by test_tgw.c,
 * test_tgw_share.c and test_tgw_verify.c on top of fixture.h: the ids of one
 * gateway and its tables, EC2's and RAM's answers, and a broker started in
 * the mode with every start-up call answered.
 */
#ifndef VP_TEST_BROKER_TGW_FIXTURE_H
#define VP_TEST_BROKER_TGW_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fixture.h"

#define NS     " xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\""
#define TGW    "tgw-0a1b2c3d"
#define CRTB   "tgw-rtb-0c0c0c0c" /* the clients' table */
#define HRTB   "tgw-rtb-0d0d0d0d" /* the hub's table */
#define VRTB   "tgw-rtb-0a0a0a0a" /* the verify table */
#define SHARE  "arn:aws:ram:us-east-1:" FX_HUB ":resource-share/abc-123"
#define TGWARN "arn:aws:ec2:us-east-1:" FX_HUB ":transit-gateway/" TGW
#define ATT    "tgw-attach-0e0e0e0e"
#define HUBATT "tgw-attach-0f0f0f0f"
#define CLIENT "vpc-0c0c0c0c"

/* What the resource share looks like at start-up. */
enum tfx_share {
	TFX_SHARE_HOLDS,   /* holds the gateway, open to outside principals */
	TFX_SHARE_MISSING, /* does not hold the gateway (start-up refuses) */
	TFX_SHARE_ORG,     /* holds it, shared to the organization only */
};

/* DescribeTransitGateways: TGW with autoAcceptSharedAttachments `auto_accept`. */
void tfx_gateway(struct fx *f, const char *auto_accept);
/* SearchTransitGatewayRoutes answering these <item> elements (may be ""). */
void tfx_routes(struct fx *f, const char *items);
/* One route <item> to `att` (from CLIENT) into out[size]. */
void tfx_route_item(char *out, size_t size, const char *cidr, const char *att, const char *state);
/* DescribeTransitGatewayVpcAttachments: one attachment (NULL id: none). */
void tfx_attachment(struct fx *f, const char *id, const char *tgw, const char *vpc,
		    const char *owner, const char *state);
/* The answer of an EC2 write of the attachment, its association or a route: `element`
 * naming ATT, in `action`'s response. */
void tfx_wrote(struct fx *f, const char *action, const char *element);
/* RAM's answer at `path` (its REST paths, e.g. "/associateresourceshare"). */
void tfx_ram(struct fx *f, const char *path, const char *json);
/* RAM's answer to an association change of FX_B at `path`. */
void tfx_ram_ok(struct fx *f, const char *path);
/* The requests to `path` (RAM's) recorded so far. */
size_t tfx_count_path(struct fx *f, const char *path);

/* fx_init, then the mode's settings: TGW, SHARE, the three tables, broker accepts. */
void tfx_configure(struct fx *f);
/* vp_broker_new with the start-up calls answered; the gateway and the share as given. */
vp_code tfx_start(struct fx *f, const char *auto_accept, enum tfx_share share,
		  struct vp_error *err);

/* cmocka setup: *state a struct fx (calloc'd) with a broker started on a share that holds
 * the gateway, its recorded requests cleared; `extra` (may be NULL) adjusts the settings
 * before the start. tfx_teardown frees it. */
int tfx_setup(void **state);
int tfx_setup_with(void **state, void (*extra)(struct fx *f));
int tfx_teardown(void **state);

/* vp_broker_register by `account`. */
vp_code tfx_register(struct fx *f, const char *account, const char *ref, const char *region,
		     struct vp_registration *out, struct vp_error *err);
/* vp_broker_confirm of reg with attachment `att` of CLIENT. */
vp_code tfx_confirm(struct fx *f, const struct vp_registration *reg, const char *att,
		    struct vp_registration *out, struct vp_error *err);
/* The registry's live namespaces. */
int64_t tfx_live(struct fx *f);

#endif
