/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reconciler check 6, the hub's private hosted zone (--hosted-zone,
 * hosted_zone.h): an active namespace whose VPC is neither associated with
 * the zone nor authorized is authorized again (its client associates it); an
 * authorization whose VPC is associated already, or that no live namespace
 * explains, is deleted (AWS recommends deleting it once used; it only lets a
 * VPC in); a VPC associated with the zone that no active namespace explains
 * (released, unknown) is disassociated: a destructive repair, under the brake.
 * The hub VPC itself is never touched. Each change to a namespace's VPC is
 * made under the namespace's lock, with its record read again.
 *
 * A race left open: an authorization made by a confirm that started after the
 * pass read its records looks like no namespace's and may be deleted; the
 * client's next confirm call (the handler's, after associating) makes it again.
 */
#include <stdlib.h>
#include <string.h>

#include "broker/hosted_zone.h"
#include "broker/internal.h"
#include "broker/reconcile/internal.h"

/* The live record whose VPC is vpc_id (NULL: none). */
static const struct vp_namespace_record *live_by_vpc(const struct vp_reconcile_pass *p,
						     const char *vpc_id)
{
	for (size_t i = 0; vpc_id && i < p->live_count; i++)
		if (p->live[i].vpc_id[0] && strcmp(p->live[i].vpc_id, vpc_id) == 0)
			return &p->live[i];
	return NULL;
}

/* Confirm or release is on it: the workflow owns the zone's state for now. */
static bool in_flight(const struct vp_namespace_record *rec)
{
	return rec && (rec->state == VP_NS_PENDING || rec->state == VP_NS_RELEASING);
}

static bool explains(const struct vp_namespace_record *rec)
{
	return rec && (rec->state == VP_NS_ACTIVE || in_flight(rec));
}

/*
 * Under n's lock (n < 1: no namespace, no lock): the call, if the record still
 * wants it (want_active: the namespace must still be active with this VPC;
 * else it must still not explain the VPC).
 */
static void repair(struct vp_reconcile_pass *p, int64_t n, enum vp_aws_route53_op op,
		   const char *region, const char *vpc_id, bool want_active,
		   struct vp_reconcile_item *it)
{
	struct vp_registry_lock *lock = NULL;
	struct vp_namespace_record *now = NULL;
	struct vp_error e;
	bool live = false, still;
	vp_code code;

	if (n >= 1 && !(now = vp_reconcile_lock_record(p, n, it, &lock, &live)))
		return;
	if (want_active)
		still = live && now->state == VP_NS_ACTIVE && strcmp(now->vpc_id, vpc_id) == 0;
	else
		still = !(live && strcmp(now->vpc_id, vpc_id) == 0 && explains(now));
	if (!still) {
		vp_reconcile_set_outcome(it, VP_RECONCILE_SKIPPED, NULL); /* changed meanwhile */
	} else {
		if (op == VP_R53_CREATE_AUTHORIZATION)
			code = vp_broker_hosted_zone_join(p->b, vpc_id, region, now->peering_id,
							  &e);
		else
			code = vp_broker_hosted_zone_call(p->b, op, region, vpc_id, &e);
		if (code != VP_OK)
			vp_reconcile_set_outcome(it, VP_RECONCILE_FAILED, &e);
	}
	if (lock)
		vp_registry_unlock(lock);
	free(now);
}

static struct vp_reconcile_item *zone_item(struct vp_reconcile_pass *p, enum vp_reconcile_kind kind,
					   const struct vp_namespace_record *rec,
					   const char *vpc_id)
{
	struct vp_reconcile_item *it =
		vp_reconcile_add_item(p, kind, rec ? rec->n : 0, rec ? rec->account : "");

	vp_reconcile_route_item(it, p->b->hosted_zone, rec ? rec->vpc_cidr : "", vpc_id);
	return it;
}

vp_code vp_reconcile_check_hosted_zone(struct vp_reconcile_pass *p, struct vp_error *err)
{
	struct vp_broker *b = p->b;
	struct vp_aws_route53_vpcs *assoc = NULL, *auth = NULL;
	vp_code code;

	if (!vp_broker_hosted_zone_on(b))
		return VP_OK;
	if ((code = vp_broker_hosted_zone_read(b, &assoc, &auth, err)) != VP_OK)
		return code;
	for (size_t i = 0; assoc && i < assoc->count && !vp_reconcile_stopping(p); i++) {
		const struct vp_aws_route53_vpc *v = &assoc->items[i];
		const struct vp_namespace_record *rec = live_by_vpc(p, v->vpc_id);
		struct vp_reconcile_item *it;

		if (strcmp(v->vpc_id, b->hub_vpc) == 0 || explains(rec))
			continue;
		it = zone_item(p, VP_RECONCILE_DISASSOCIATE_ZONE, rec, v->vpc_id);
		vp_reconcile_detail(it, "VPC %s (%s) is associated with hosted zone %s: %s",
				    v->vpc_id, v->region, b->hosted_zone,
				    rec ? "its namespace is not active" : "no namespace's VPC");
		if (vp_reconcile_may_destroy(p, it) && !p->opts->dry_run)
			repair(p, rec ? rec->n : 0, VP_R53_DISASSOCIATE, v->region, v->vpc_id,
			       false, it);
	}
	for (size_t i = 0; auth && i < auth->count && !vp_reconcile_stopping(p); i++) {
		const struct vp_aws_route53_vpc *v = &auth->items[i];
		const struct vp_namespace_record *rec = live_by_vpc(p, v->vpc_id);
		bool associated = vp_aws_route53_vpcs_has(assoc, NULL, v->vpc_id);
		struct vp_reconcile_item *it;

		if (explains(rec) && !associated)
			continue; /* waiting for its client to associate */
		it = zone_item(p, VP_RECONCILE_DEAUTHORIZE_ZONE, rec, v->vpc_id);
		vp_reconcile_detail(it, "authorization of VPC %s on hosted zone %s: %s", v->vpc_id,
				    b->hosted_zone,
				    associated
					    ? "the VPC is associated (AWS recommends deleting it)"
					    : "no active namespace's VPC");
		if (!p->opts->dry_run)
			repair(p, 0, VP_R53_DELETE_AUTHORIZATION, v->region, v->vpc_id, false, it);
	}
	for (size_t i = 0; i < p->live_count && !vp_reconcile_stopping(p); i++) {
		const struct vp_namespace_record *rec = &p->live[i];
		struct vp_reconcile_item *it;

		if (rec->state != VP_NS_ACTIVE || !rec->vpc_id[0] ||
		    vp_aws_route53_vpcs_has(assoc, NULL, rec->vpc_id) ||
		    vp_aws_route53_vpcs_has(auth, NULL, rec->vpc_id))
			continue;
		it = zone_item(p, VP_RECONCILE_AUTHORIZE_ZONE, rec, rec->vpc_id);
		vp_reconcile_detail(it,
				    "active namespace %lld's VPC %s is neither associated with "
				    "hosted zone %s nor authorized",
				    (long long)rec->n, rec->vpc_id, b->hosted_zone);
		if (!p->opts->dry_run)
			repair(p, rec->n, VP_R53_CREATE_AUTHORIZATION, NULL, rec->vpc_id, true, it);
	}
	vp_aws_route53_vpcs_free(assoc);
	vp_aws_route53_vpcs_free(auth);
	return VP_OK;
}
