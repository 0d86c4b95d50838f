/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The broker's fixed limits: how many peer roles, route tables, allowed
 * accounts and admins a configuration may name, and the defaults of the
 * per-account cap and the quota view's refresh. Shared by the broker's
 * interface (broker.h: struct vp_broker_config) and its insides (internal.h:
 * struct vp_broker), so that neither has to include the other.
 */
#ifndef VP_BROKER_LIMITS_H
#define VP_BROKER_LIMITS_H

#define VP_BROKER_MAX_PEER_ROLES   16
#define VP_BROKER_MAX_ROUTE_TABLES 32
#define VP_BROKER_MAX_ACCOUNTS     1024
#define VP_BROKER_MAX_ADMINS       64

/* The defaults of the limits one account cannot break (quota.h, docs/broker.md "Quotas"). */
#define VP_BROKER_DEFAULT_MAX_NS_PER_ACCOUNT 5  /* --max-namespaces-per-account */
#define VP_BROKER_DEFAULT_QUOTA_REFRESH      30 /* --quota-refresh, seconds */

/*
 * How long confirm waits for a peering it accepted to become active (--accept-wait, s): at
 * most 20, so that a confirm with its other waits stays under an HTTP API's 30 s (accept.h,
 * VP_BROKER_CONFIRM_BUDGET_MS).
 */
#define VP_BROKER_DEFAULT_ACCEPT_WAIT 20
#define VP_BROKER_MAX_ACCEPT_WAIT     20

#endif
