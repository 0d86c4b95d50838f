/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The limits a registration is checked against (docs/broker.md, "Quotas"):
 * the per-account cap, a pending registration's TTL, and AWS's peering and
 * route-table quotas counted from the hub as it really is.
 *
 * The quota view: what the hub holds that the registry does not account for
 * (active peerings of the hub VPC that no live namespace owns, and per hub
 * route table the routes that are not the broker's routes to live
 * namespaces), read with one DescribeVpcPeeringConnections and one
 * DescribeRouteTables per refresh, never per registration. Loaded once at
 * start-up; then refreshed by a thread of its own when a check finds it
 * older than --quota-refresh, or when asked to (vp_broker_quota_invalidate,
 * internal.h: a quota error from AWS), and by every reconciler pass from the
 * peerings the pass read for itself (vp_broker_quota_refresh_from). A
 * check uses the view it has and does not wait for a refresh. Thread-safe:
 * one mutex guards the figures and is never held across an AWS call.
 *
 * Memory: vp_broker_quota_new() allocates the view; vp_broker_quota_free()
 * stops its thread and frees it (NULL is a no-op).
 */
#ifndef VP_BROKER_QUOTA_H
#define VP_BROKER_QUOTA_H

#include <stdbool.h>
#include <stdint.h>

#include "broker/limits.h"
#include "core/error.h"
#include "core/ids.h"
#include "registry/registry.h"

struct vp_broker;
struct vp_broker_quota;
struct vp_aws_ec2_peering_list;

/*
 * Load the view for broker b (its hub VPC, route tables, registry and AWS
 * client are set) and start the refresher. max_per_account: live
 * namespaces one account may hold (0: no cap); refresh_s: the oldest a view
 * may be before a check asks for a fresh one (>= 1). VP_ERR_INVALID for a
 * value out of range, the AWS call's error when the first load fails.
 */
VP_NODISCARD vp_code vp_broker_quota_new(struct vp_broker *b, int max_per_account,
					 int64_t refresh_s, struct vp_broker_quota **out,
					 struct vp_error *err);
void vp_broker_quota_free(struct vp_broker_quota *q);

/* What the view holds that live namespaces do not account for (the metrics). */
struct vp_broker_quota_use {
	size_t strays; /* active peerings of the hub VPC no live namespace owns */
	size_t table_count;
	char tables[VP_BROKER_MAX_ROUTE_TABLES][VP_AWS_ID_MAX + 1];
	size_t other[VP_BROKER_MAX_ROUTE_TABLES]; /* routes not the broker's to a live one */
};

/* The view's figures as last loaded; false when b has no view. */
bool vp_broker_quota_use(struct vp_broker *b, struct vp_broker_quota_use *out);

/*
 * Whether `held` live namespaces (those counting toward quotas, the new one
 * included) fit the peering quota and every hub route table's quota, as the
 * view has the hub. VP_ERR_EXHAUSTED naming the quota and its flag.
 */
VP_NODISCARD vp_code vp_broker_quota_check(struct vp_broker *b, int64_t held, struct vp_error *err);

/*
 * Whether `account` may hold `held` live namespaces (the new one included)
 * under --max-namespaces-per-account. VP_ERR_EXHAUSTED naming the flag and
 * the account's count of live ones other than the new one.
 */
VP_NODISCARD vp_code vp_broker_quota_check_account(struct vp_broker *b, const char *account,
						   int64_t held, struct vp_error *err);

/*
 * Refresh the view now from the hub VPC's peerings as `peerings` has them
 * (read by the caller with vp_broker_describe_hub_peerings: a reconciler
 * pass, one read for the pass and the view); the route tables and the live
 * records are read here. On failure the view is kept and a warning logged.
 * A no-op when b has no view.
 */
void vp_broker_quota_refresh_from(struct vp_broker *b,
				  const struct vp_aws_ec2_peering_list *peerings);

/* DescribeVpcPeeringConnections of every peering whose accepter is the hub VPC. */
VP_NODISCARD vp_code vp_broker_describe_hub_peerings(struct vp_broker *b,
						     struct vp_aws_ec2_peering_list **out,
						     struct vp_error *err);

#endif
