/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the broker: a hub peering's life (accept.c), for confirm and
 * release. Every AWS call is counted in vpcpeer_aws_calls_total.
 */
#ifndef VP_BROKER_ACCEPT_H
#define VP_BROKER_ACCEPT_H

#include <stdbool.h>

#include "broker/internal.h"

struct vp_aws_ec2_peering;
struct vp_aws_ec2_peering_list;

/* While confirm waits (--accept-wait) for an accepted peering to become active: */
#define VP_BROKER_ACCEPT_POLL_MIN_MS 100  /* first pause between two reads */
#define VP_BROKER_ACCEPT_POLL_MAX_MS 2000 /* the pause doubles up to this */

/*
 * The peering pcx as EC2 has it (*out: one item, the caller frees it with
 * vp_aws_ec2_peering_list_free). VP_ERR_NOT_FOUND when EC2 does not know it.
 */
VP_NODISCARD vp_code vp_broker_describe_peering(struct vp_broker *broker, const char *pcx,
						struct vp_aws_ec2_peering_list **out,
						struct vp_error *err);

/*
 * The requester VPC's CIDR set is exactly {rec->vpc_cidr} and it has no IPv6
 * block: VP_ERR_CONFLICT naming the block otherwise. AWS shows the set only
 * for an active peering: absent, it passes unless `required` (active).
 */
VP_NODISCARD vp_code vp_broker_check_cidr_set(const struct vp_aws_ec2_peering *p,
					      const struct vp_namespace_record *rec, bool required,
					      struct vp_error *err);

/* AcceptVpcPeeringConnection (then vp_broker_wait_active). */
VP_NODISCARD vp_code vp_broker_accept_peering(struct vp_broker *broker, const char *pcx,
					      struct vp_error *err);

/*
 * Read the accepted peering pcx back (a short backoff) until it is active, at
 * most --accept-wait: *active gets it (free it). VP_ERR_UNAVAILABLE when it
 * is not active in time (a retry of the confirm waits again or finds it
 * active), VP_ERR_CONFLICT when it is gone or failed.
 */
VP_NODISCARD vp_code vp_broker_wait_active(struct vp_broker *broker, const char *pcx,
					   struct vp_aws_ec2_peering_list **active,
					   struct vp_error *err);

/* CreateTags on the hub side of pcx: broker/tags.h's tags for the namespace rec. */
VP_NODISCARD vp_code vp_broker_tag_peering(struct vp_broker *broker,
					   const struct vp_namespace_record *rec, const char *pcx,
					   struct vp_error *err);

/*
 * End rec's peering from the hub side: deleted when active, rejected when
 * pending acceptance, nothing when it is gone already or rec has none.
 */
VP_NODISCARD vp_code vp_broker_end_peering(struct vp_broker *broker,
					   const struct vp_namespace_record *rec,
					   const char *request_id, struct vp_error *err);

#endif
