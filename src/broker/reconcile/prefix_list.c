/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reconciler check 5, the prefix list of live clients (--prefix-list): an
 * active namespace whose block is missing gets its entry again; an entry no
 * active namespace explains is removed (a destructive repair, under the
 * brake), unless its namespace is pending or releasing (confirm or release is
 * on it). Each change is made under the namespace's lock, with its record
 * read again.
 */
#include <stdlib.h>
#include <string.h>

#include "addr/cidr.h"
#include "aws/ec2_prefix_list.h"
#include "broker/internal.h"
#include "broker/prefix_list.h"
#include "broker/reconcile/internal.h"

/* n of the namespace whose VPC block is exactly `text`; -1 for any other CIDR. */
static int64_t block_owner(const struct vp_plan *plan, const char *text)
{
	struct vp_namespace_plan ns;
	struct vp_cidr c;
	int64_t n = -1;

	if (text && vp_cidr_parse(text, strlen(text), &c, NULL) == VP_OK &&
	    vp_cidr_contains(plan->pool, c))
		n = vp_plan_namespace_of(plan, c.addr);
	if (n >= 1 && vp_plan_namespace(plan, n, &ns, NULL) == VP_OK && vp_cidr_equal(ns.vpc, c))
		return n;
	return -1;
}

static const struct vp_namespace_record *live_record(const struct vp_reconcile_pass *p, int64_t n)
{
	for (size_t i = 0; n >= 1 && i < p->live_count; i++)
		if (p->live[i].n == n)
			return &p->live[i];
	return NULL;
}

/* A workflow owns the entry for now: confirm adds it before active, release removes it. */
static bool in_flight(const struct vp_namespace_record *rec)
{
	return rec && (rec->state == VP_NS_PENDING || rec->state == VP_NS_RELEASING);
}

/* Under n's lock (n < 1: no namespace, no lock): add or remove cidr, if still needed. */
static void repair(struct vp_reconcile_pass *p, int64_t n, const char *cidr, bool add,
		   struct vp_reconcile_item *it)
{
	struct vp_registry_lock *lock = NULL;
	struct vp_namespace_record *now = NULL;
	struct vp_broker_pl_change ch = {.cidr = cidr, .add = add};
	char desc[96];
	struct vp_error e;
	bool live = false;

	if (n >= 1 && !(now = vp_reconcile_lock_record(p, n, it, &lock, &live)))
		return;
	if (add ? !(live && now->state == VP_NS_ACTIVE)
		: (live && (now->state == VP_NS_ACTIVE || in_flight(now)))) {
		vp_reconcile_set_outcome(it, VP_RECONCILE_SKIPPED, NULL); /* changed meanwhile */
	} else {
		if (add) {
			vp_broker_pl_description(desc, sizeof(desc), now->n, now->account);
			ch.description = desc;
		}
		if (vp_broker_prefix_list_apply(p->b->prefix_list, &ch, 1, &e) != VP_OK)
			vp_reconcile_set_outcome(it, VP_RECONCILE_FAILED, &e);
	}
	if (lock)
		vp_registry_unlock(lock);
	free(now);
}

vp_code vp_reconcile_check_prefix_list(struct vp_reconcile_pass *p, struct vp_error *err)
{
	struct vp_broker_prefix_list *pl = p->b->prefix_list;
	struct vp_aws_prefix_entries *entries = NULL;
	const char *id;
	vp_code code;

	if (!pl)
		return VP_OK;
	id = vp_broker_prefix_list_id(pl);
	if ((code = vp_broker_prefix_list_read(pl, &entries, err)) != VP_OK)
		return code;
	for (size_t i = 0; i < entries->count && !vp_reconcile_stopping(p); i++) {
		const char *cidr = entries->items[i].cidr;
		int64_t n = block_owner(&p->b->plan, cidr);
		const struct vp_namespace_record *rec = live_record(p, n);
		struct vp_reconcile_item *it;

		if (rec && (rec->state == VP_NS_ACTIVE || in_flight(rec)))
			continue;
		it = vp_reconcile_add_item(p, VP_RECONCILE_REMOVE_PL_ENTRY, n > 0 ? n : 0,
					   rec ? rec->account : "");
		vp_reconcile_route_item(it, id, cidr, "");
		vp_reconcile_detail(it, "prefix list entry %s: %s", cidr,
				    n < 1 ? "not a namespace's block"
					  : "its namespace is not active");
		if (vp_reconcile_may_destroy(p, it) && !p->opts->dry_run)
			repair(p, n, cidr, false, it);
	}
	for (size_t i = 0; i < p->live_count && !vp_reconcile_stopping(p); i++) {
		const struct vp_namespace_record *rec = &p->live[i];
		struct vp_reconcile_item *it;
		bool present = false;

		for (size_t k = 0; k < entries->count && !present; k++)
			present = strcmp(entries->items[k].cidr, rec->vpc_cidr) == 0;
		if (rec->state != VP_NS_ACTIVE || present)
			continue;
		it = vp_reconcile_add_item(p, VP_RECONCILE_ADD_PL_ENTRY, rec->n, rec->account);
		vp_reconcile_route_item(it, id, rec->vpc_cidr, "");
		vp_reconcile_detail(it, "active namespace %lld missing from prefix list %s",
				    (long long)rec->n, id);
		if (!p->opts->dry_run)
			repair(p, rec->n, rec->vpc_cidr, true, it);
	}
	vp_aws_prefix_entries_free(entries);
	return VP_OK;
}
