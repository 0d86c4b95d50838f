/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The hub side beyond routes, as confirm and release see it: when a client
 * joins, its block enters the prefix list of live clients (--prefix-list) and,
 * in broker mode, the accepter-side DNS option of its peering is turned on
 * (--peering-dns); when it leaves, its block leaves the list. Each is
 * idempotent, so a retried confirm or release repeats it safely.
 */
#ifndef VP_BROKER_HUB_SIDE_H
#define VP_BROKER_HUB_SIDE_H

#include "core/error.h"

#include "broker/types.h"

struct vp_broker;
struct vp_namespace_record;

/*
 * At start-up: the prefix list (pl-..., NULL or "": none) checked against
 * --max-peerings, and --peering-dns auto resolved from the hub VPC's DNS attributes.
 */
VP_NODISCARD vp_code vp_broker_hub_side_start(struct vp_broker *broker, const char *prefix_list,
					      enum vp_peering_dns dns, struct vp_error *err);

/* Confirm, once the peering is active and routed (rec: the namespace, peering_id its pcx). */
VP_NODISCARD vp_code vp_broker_hub_side_join(struct vp_broker *broker,
					     const struct vp_namespace_record *rec,
					     const char *peering_id, struct vp_error *err);

/* Release, after the routes are gone. */
VP_NODISCARD vp_code vp_broker_hub_side_leave(struct vp_broker *broker,
					      const struct vp_namespace_record *rec,
					      struct vp_error *err);

#endif
