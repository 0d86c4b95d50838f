/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The hub's Route 53 private hosted zone (--hosted-zone, issue 19): a client
 * VPC joins the zone in three steps across two accounts, as AWS documents them
 * (Route 53 Developer Guide, "Associating an Amazon VPC and a private hosted
 * zone that you created with different AWS accounts",
 * https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/hosted-zone-private-associate-vpcs-different-accounts.html):
 *   1. the zone's owner (the broker, at confirm) authorizes the client's VPC
 *      (CreateVPCAssociationAuthorization);
 *   2. the VPC's owner (the client's handler, or the client with the aws CLI)
 *      associates it (AssociateVPCWithHostedZone);
 *   3. the zone's owner deletes the authorization ("We recommend that you
 *      delete the authorization after you create the association"): the broker
 *      does it when confirm is called again for the active namespace (the
 *      handler does so after associating) and, failing that, at the next
 *      reconcile pass.
 * On release the broker disassociates the VPC (the zone's owner may:
 * DisassociateVPCFromHostedZone) and deletes any authorization left. Every
 * step is idempotent: NotFound-style answers are success.
 */
#ifndef VP_BROKER_HOSTED_ZONE_H
#define VP_BROKER_HOSTED_ZONE_H

#include <stdbool.h>
#include <stdint.h>

#include "aws/route53.h"
#include "core/error.h"

struct vp_broker;

/*
 * At start-up (zone NULL or "": none): the zone exists in the hub account, is
 * private and is associated with the hub VPC; else VP_ERR_INVALID naming the
 * zone and what is wrong (the broker does not start).
 */
VP_NODISCARD vp_code vp_broker_hosted_zone_start(struct vp_broker *broker, const char *zone,
						 struct vp_error *err);

/* Whether the broker has a hosted zone. */
bool vp_broker_hosted_zone_on(const struct vp_broker *broker);

/*
 * Confirm (first or again): the client's VPC (in vpc_region; NULL or "": the
 * region of the requester side of peering_id, else the hub's) is authorized
 * unless already associated; once associated, any authorization left is
 * deleted (step 3).
 */
VP_NODISCARD vp_code vp_broker_hosted_zone_join(struct vp_broker *broker, const char *vpc_id,
						const char *vpc_region, const char *peering_id,
						struct vp_error *err);

/*
 * A confirm repeated on an active namespace (the handler, after associating):
 * hosted_zone_join's step 3; a failure is logged, not answered (the reconciler
 * retries it).
 */
void vp_broker_hosted_zone_again(struct vp_broker *broker, int64_t n, const char *vpc_id,
				 const char *vpc_region, const char *peering_id,
				 const char *request_id);

/* Release: the VPC disassociated and its authorization deleted, if either is there. */
VP_NODISCARD vp_code vp_broker_hosted_zone_leave(struct vp_broker *broker, const char *vpc_id,
						 struct vp_error *err);

/* The zone's associated VPCs and its authorizations (the reconciler). */
VP_NODISCARD vp_code vp_broker_hosted_zone_read(struct vp_broker *broker,
						struct vp_aws_route53_vpcs **associated,
						struct vp_aws_route53_vpcs **authorized,
						struct vp_error *err);

/*
 * One authorization or association call on the zone (op: CREATE_AUTHORIZATION,
 * DELETE_AUTHORIZATION, DISASSOCIATE): NotFound answers to the deleting ones
 * are success. Counted in the AWS metrics.
 */
VP_NODISCARD vp_code vp_broker_hosted_zone_call(struct vp_broker *broker, enum vp_aws_route53_op op,
						const char *vpc_region, const char *vpc_id,
						struct vp_error *err);

#endif
