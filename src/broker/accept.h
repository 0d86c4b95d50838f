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
 * Issue 18: an HTTP API integration times out at 30 s, so no confirm waits
 * longer than this in all (from its first AWS call); what is not done by
 * then answers 503 "in progress", and the same confirm again goes on.
 */
#define VP_BROKER_CONFIRM_BUDGET_MS 24000
/*
 * EC2 is eventually consistent (EC2 developer guide, "Eventual consistency"):
 * an id created moments ago can answer NotFound, a route just made can be
 * missing from DescribeRouteTables. Such an answer is read again for at most
 * this long, then answered 503 (retryable), never 409.
 */
#define VP_BROKER_SETTLE_MS 4000

/*
 * Whether `code` may be EC2 not showing yet what exists (NotFound, or a
 * retryable answer); if so and one more pause ends before `until`
 * (monotonic ms), pauses *delay ms (doubling, capped) and says true.
 */
bool vp_broker_settle_pause(vp_code code, int64_t *delay_ms, int64_t until);

/*
 * The peering pcx as EC2 has it (*out: one item, the caller frees it with
 * vp_aws_ec2_peering_list_free). VP_ERR_NOT_FOUND when EC2 does not know it.
 */
VP_NODISCARD vp_code vp_broker_describe_peering(struct vp_broker *broker, const char *pcx,
						struct vp_aws_ec2_peering_list **out,
						struct vp_error *err);

/*
 * vp_broker_describe_peering, a NotFound read again until `until`
 * (monotonic ms): still unknown then is VP_ERR_UNAVAILABLE (an id just
 * created may not show yet; the message says to confirm again or check it).
 */
VP_NODISCARD vp_code vp_broker_describe_peering_settled(struct vp_broker *broker, const char *pcx,
							int64_t until,
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
 * most --accept-wait and never past `until` (monotonic ms): *active gets it
 * (free it). VP_ERR_UNAVAILABLE ("in progress") when it is not active in time
 * (a retry of the confirm waits again or finds it active), VP_ERR_CONFLICT
 * when it is gone or failed.
 */
VP_NODISCARD vp_code vp_broker_wait_active(struct vp_broker *broker, const char *pcx, int64_t until,
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
