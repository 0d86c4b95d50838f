/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the reconciler: a pass's working state and the helpers its checks
 * share. One file per check, in the order a pass runs them:
 *   adopt.c     peerings tagged by this registry with an n it has lost, adopted
 *   expired.c   pending namespaces past their TTL, released
 *   stuck.c     namespaces left releasing, released again
 *   peerings.c  active namespaces whose peering is gone, marked failed
 *   strays.c    peerings into the hub no live namespace owns; foreign requests
 *   routes.c    hub routes: missing ones created, the broker's strays deleted
 *   trust.c     trust entries: missing ones added, unneeded ones removed
 *   prefix_list.c  the prefix list of live clients: missing entries added, extra removed
 *   hosted_zone.c  the hub's hosted zone: active VPCs authorized, done authorizations
 *                  deleted, VPCs of no active namespace disassociated
 *   tgw.c       the transit-gateway mode's attachments, routes and share principals
 * pass.c runs them (vp_broker_reconcile), report.c keeps the items,
 * thread.c is serve's thread and leader lock. Not for other modules: they
 * use broker/reconcile.h.
 */
#ifndef VP_BROKER_RECONCILE_INTERNAL_H
#define VP_BROKER_RECONCILE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "broker/reconcile.h"
#include "registry/registry.h"

/* A pass's working state. */
struct vp_reconcile_pass {
	struct vp_broker *b;
	const struct vp_reconcile_options *opts;
	const char *rid;
	struct vp_reconcile_report *r;
	struct vp_namespace_record *live; /* pending, active, failed, releasing */
	size_t live_count;
	char (*known)[VP_AWS_ID_MAX + 1]; /* every peering id the registry has seen */
	size_t known_count;
	struct vp_aws_ec2_peering_list *peerings; /* into the hub VPC, read once per pass */
	char registry_id[VP_REGISTRY_ID_MAX + 1];
	struct vp_reconcile_limits limits;
	int64_t now; /* the pass's start (unix seconds) */
};

/*
 * Whether the broker runs in peer-role mode (--peering-accepter peer-role:
 * clients accept their own peerings through a hub role).
 */
bool vp_reconcile_peer_role_mode(const struct vp_reconcile_pass *p);

/*
 * Before a destructive repair (a route removal, a peering deleted or
 * rejected, a trust revocation): true when it may go ahead (counted), false
 * when the pass has made limits.max_destructive of them already and was not
 * forced: the item is then held back (outcome held, "needs --force").
 */
bool vp_reconcile_may_destroy(struct vp_reconcile_pass *p, struct vp_reconcile_item *it);

/* Whether a live record holds the peering id (as its peering or confirm's intent). */
bool vp_reconcile_owned(const struct vp_reconcile_pass *p, const char *pcx);

/* Whether any record (released ones included) has named the peering id. */
bool vp_reconcile_known(const struct vp_reconcile_pass *p, const char *pcx);

/*
 * When the reconciler first saw the peering (strays.c; the options' memory,
 * kept by serve's thread across passes): now when it is new or there is no memory.
 */
int64_t vp_reconcile_first_seen(struct vp_reconcile_pass *p, const char *pcx);

static inline void vp_reconcile_copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

/* Whether the pass was asked to stop (options.stop became true). */
bool vp_reconcile_stopping(const struct vp_reconcile_pass *p);

/* ---- items (report.c) ---- */

/*
 * Add an item to the report, outcome planned (dry run) or done; the caller
 * fills the rest through the pointer. NULL when the report is full (counted in
 * dropped): every helper below accepts a NULL item and does nothing.
 */
struct vp_reconcile_item *vp_reconcile_add_item(struct vp_reconcile_pass *p,
						enum vp_reconcile_kind kind, int64_t n,
						const char *account);

/* The item's sentence. */
void vp_reconcile_detail(struct vp_reconcile_item *it, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The item's outcome; a failure's error (e may be NULL) is appended to the sentence. */
void vp_reconcile_set_outcome(struct vp_reconcile_item *it, enum vp_reconcile_outcome o,
			      const struct vp_error *e);

/* A change that could not be made: skipped when the namespace was busy
 * (VP_ERR_UNAVAILABLE: the next pass retries), failed otherwise. */
void vp_reconcile_set_error(struct vp_reconcile_item *it, const struct vp_error *e);

/* A route item's table, destination and target. */
void vp_reconcile_route_item(struct vp_reconcile_item *it, const char *table, const char *cidr,
			     const char *target);

/* ---- changing one namespace (pass.c) ---- */

/*
 * For a change to namespace n: take its lock (waiting the pass's namespace
 * wait) and read its record again. NULL, with the item's outcome set, when
 * either fails; else the record (heap: free it) with *lock held (release it
 * with vp_registry_unlock) and *live false when n is released or unknown.
 */
struct vp_namespace_record *vp_reconcile_lock_record(struct vp_reconcile_pass *p, int64_t n,
						     struct vp_reconcile_item *it,
						     struct vp_registry_lock **lock, bool *live);

/* Release the record `seen` (read earlier) through the release workflow as the broker
 * (not in a dry run), only while n's live record is still it, in one of `states` (and,
 * expired, still past its TTL): else a lost race, nothing changed. Outcome in it. */
void vp_reconcile_release(struct vp_reconcile_pass *p, const struct vp_namespace_record *seen,
			  unsigned states, bool expired, struct vp_reconcile_item *it);

/* ---- the checks, in the order a pass runs them ---- */

VP_NODISCARD vp_code vp_reconcile_adopt(struct vp_reconcile_pass *p, struct vp_error *err);
VP_NODISCARD vp_code vp_reconcile_release_expired(struct vp_reconcile_pass *p,
						  struct vp_error *err);
VP_NODISCARD vp_code vp_reconcile_finish_releases(struct vp_reconcile_pass *p,
						  struct vp_error *err);
VP_NODISCARD vp_code vp_reconcile_check_peerings(struct vp_reconcile_pass *p, struct vp_error *err);
VP_NODISCARD vp_code vp_reconcile_check_strays(struct vp_reconcile_pass *p, struct vp_error *err);
VP_NODISCARD vp_code vp_reconcile_check_routes(struct vp_reconcile_pass *p, struct vp_error *err);
VP_NODISCARD vp_code vp_reconcile_check_trust(struct vp_reconcile_pass *p, struct vp_error *err);
VP_NODISCARD vp_code vp_reconcile_check_prefix_list(struct vp_reconcile_pass *p,
						    struct vp_error *err);
VP_NODISCARD vp_code vp_reconcile_check_hosted_zone(struct vp_reconcile_pass *p,
						    struct vp_error *err);
/* The transit-gateway mode (tgw.c), in place of peerings, strays and routes. */
VP_NODISCARD vp_code vp_reconcile_check_tgw(struct vp_reconcile_pass *p, struct vp_error *err);

#endif
