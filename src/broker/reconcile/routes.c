/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reconciler check 3, hub routes: routes toward namespace blocks that no
 * active namespace explains are deleted when the broker made them and
 * reported otherwise; active namespaces missing their route get it again.
 */
#include <stdlib.h>
#include <string.h>

#include "aws/ec2.h"
#include "broker/internal.h"
#include "broker/reconcile/internal.h"

static struct vp_namespace_record *live_of(struct vp_reconcile_pass *p, int64_t n)
{
	for (size_t i = 0; i < p->live_count; i++)
		if (p->live[i].n == n)
			return &p->live[i];
	return NULL;
}

/* The namespace whose VPC block is exactly `cidr_text`, or -1. */
static int64_t namespace_of_block(const struct vp_plan *plan, const char *cidr_text)
{
	struct vp_namespace_plan ns;
	struct vp_cidr c;
	int64_t n;

	if (!cidr_text || vp_cidr_parse(cidr_text, strlen(cidr_text), &c, NULL) != VP_OK)
		return -1;
	if (!vp_cidr_contains(plan->pool, c))
		return -1;
	n = vp_plan_namespace_of(plan, c.addr);
	if (n < 1 || vp_plan_namespace(plan, n, &ns, NULL) != VP_OK || !vp_cidr_equal(ns.vpc, c))
		return -1;
	return n;
}

static bool route_is_blackhole(const struct vp_aws_ec2_route *r)
{
	return r->state && strcmp(r->state, "blackhole") == 0;
}

/* The target of a route, for reports. */
static const char *route_target(const struct vp_aws_ec2_route *r)
{
	if (r->vpc_peering_connection_id)
		return r->vpc_peering_connection_id;
	if (r->gateway_id)
		return r->gateway_id;
	if (r->transit_gateway_id)
		return r->transit_gateway_id;
	if (r->nat_gateway_id)
		return r->nat_gateway_id;
	if (r->network_interface_id)
		return r->network_interface_id;
	return "";
}

/* Whether the record explains the route: active, through its peering, not a blackhole. */
static bool explains(const struct vp_namespace_record *rec, const struct vp_aws_ec2_route *r)
{
	return rec && rec->state == VP_NS_ACTIVE && r->vpc_peering_connection_id &&
	       strcmp(r->vpc_peering_connection_id, rec->peering_id) == 0 && !route_is_blackhole(r);
}

/*
 * Under namespace n's lock, with its record read again: delete the stray
 * route (stray non-NULL) unless n was confirmed with it meanwhile, or create
 * rec's missing route unless rec was released or failed meanwhile.
 */
static void change_route(struct vp_reconcile_pass *p, const char *table, int64_t n,
			 const struct vp_aws_ec2_route *stray,
			 const struct vp_namespace_record *rec, struct vp_reconcile_item *it)
{
	struct vp_registry_lock *lock = NULL;
	struct vp_namespace_record *now;
	struct vp_aws_error aerr;
	struct vp_error e;
	bool live = false;
	vp_code code;

	if (!(now = vp_reconcile_lock_record(p, n, it, &lock, &live)))
		return;
	if (stray && live && explains(now, stray)) {
		vp_reconcile_set_outcome(it, VP_RECONCILE_SKIPPED, NULL); /* confirmed meanwhile */
	} else if (!stray && (!live || now->state != VP_NS_ACTIVE ||
			      strcmp(now->peering_id, rec->peering_id) != 0)) {
		vp_reconcile_set_outcome(it, VP_RECONCILE_SKIPPED,
					 NULL); /* released or failed meanwhile */
	} else if (stray) {
		if (vp_broker_delete_route(p->b, table, stray->destination_cidr_block,
					   "deleting the route", &e) != VP_OK)
			vp_reconcile_set_outcome(it, VP_RECONCILE_FAILED, &e);
	} else {
		struct vp_aws_ec2_route_target target = {.vpc_peering_connection_id =
								 rec->peering_id};
		code = vp_aws_ec2_create_route(p->b->aws, table, rec->vpc_cidr, &target, &aerr);
		vp_broker_note_aws(p->b->metrics, "CreateRoute", code, &aerr);
		if (code != VP_OK) {
			vp_broker_aws_fail(&e, &aerr, "creating the route");
			vp_reconcile_set_outcome(it, VP_RECONCILE_FAILED, &e);
		}
	}
	vp_registry_unlock(lock);
	free(now);
}

vp_code vp_reconcile_check_routes(struct vp_reconcile_pass *p, struct vp_error *err)
{
	struct vp_aws_ec2_route_table_list *tables = NULL;
	vp_code code = vp_broker_describe_tables(p->b, &tables, err);

	if (code != VP_OK)
		return code;
	p->r->route_tables = tables->count;
	for (size_t t = 0; t < tables->count && !vp_reconcile_stopping(p); t++) {
		const struct vp_aws_ec2_route_table *tab = &tables->items[t];
		const char *tid = tab->route_table_id ? tab->route_table_id : "";
		bool *has = calloc(p->live_count + 1, sizeof(*has)); /* live[i] routed here */
		bool *blocked = calloc(p->live_count + 1, sizeof(*blocked));

		if (!has || !blocked) {
			free(has);
			free(blocked);
			vp_aws_ec2_route_table_list_free(tables);
			return vp_fail(err, VP_ERR_NOMEM, "out of memory");
		}
		/* Routes toward namespace blocks: explained, or the broker's to delete, or not. */
		for (size_t k = 0; k < tab->route_count && !vp_reconcile_stopping(p); k++) {
			const struct vp_aws_ec2_route *r = &tab->routes[k];
			int64_t n = namespace_of_block(&p->b->plan, r->destination_cidr_block);
			struct vp_namespace_record *rec;
			struct vp_reconcile_item *it;
			bool ours;

			if (n < 1)
				continue;
			p->r->routes++;
			rec = live_of(p, n);
			if (explains(rec, r)) {
				has[rec - p->live] = true;
				continue;
			}
			/* The broker made it: through a peering it recorded, or a blackhole through
			 * a peering (a peering that is gone, as release.c counts it). */
			ours = r->vpc_peering_connection_id &&
			       (vp_reconcile_known(p, r->vpc_peering_connection_id) ||
				route_is_blackhole(r));
			it = vp_reconcile_add_item(
				p, ours ? VP_RECONCILE_DELETE_ROUTE : VP_RECONCILE_FOREIGN_ROUTE, n,
				rec ? rec->account : "");
			vp_reconcile_route_item(it, tid, r->destination_cidr_block,
						route_target(r));
			vp_reconcile_detail(
				it, "route toward namespace %lld's block (%s) through %s%s: %s",
				(long long)n, rec ? vp_registry_state_name(rec->state) : "not live",
				route_target(r), route_is_blackhole(r) ? " (blackhole)" : "",
				ours ? "made by the broker, not explained by an active namespace"
				     : "not made by the broker: left as it is");
			if (!ours) {
				vp_reconcile_set_outcome(it, VP_RECONCILE_REPORTED, NULL);
				if (rec)
					blocked[rec - p->live] = true;
				continue;
			}
			if (vp_reconcile_may_destroy(p, it) && !p->opts->dry_run)
				change_route(p, tid, n, r, NULL, it);
			if (it && it->outcome != VP_RECONCILE_DONE &&
			    it->outcome != VP_RECONCILE_PLANNED && rec)
				blocked[rec - p->live] = true;
		}
		/* Active namespaces without their route here. */
		for (size_t i = 0; i < p->live_count && !vp_reconcile_stopping(p); i++) {
			const struct vp_namespace_record *rec = &p->live[i];
			struct vp_reconcile_item *it;

			if (rec->state != VP_NS_ACTIVE || has[i])
				continue;
			it = vp_reconcile_add_item(p, VP_RECONCILE_CREATE_ROUTE, rec->n,
						   rec->account);
			vp_reconcile_route_item(it, tid, rec->vpc_cidr, rec->peering_id);
			if (blocked[i]) {
				vp_reconcile_detail(
					it,
					"hub route of active namespace %lld missing, but the table "
					"holds another route toward its block",
					(long long)rec->n);
				vp_reconcile_set_outcome(it, VP_RECONCILE_REPORTED, NULL);
				continue;
			}
			vp_reconcile_detail(it, "hub route of active namespace %lld missing",
					    (long long)rec->n);
			if (!p->opts->dry_run)
				change_route(p, tid, rec->n, NULL, rec, it);
		}
		free(has);
		free(blocked);
	}
	vp_aws_ec2_route_table_list_free(tables);
	return VP_OK;
}
