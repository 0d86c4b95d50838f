/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reconciler check of the transit-gateway mode (broker/tgw.h), in place of
 * the peering checks: the gateway's attachments (one read, paged), then
 *   - a request pending acceptance that no pending namespace of its account
 *     can explain is rejected (never accepted here: confirm alone accepts,
 *     after its checks); one its account may still confirm is left;
 *   - an accepted attachment no live namespace holds: deleted when the
 *     registry once held it (a release that did not finish), else reported;
 *   - an active namespace whose attachment is gone is marked failed;
 *   - the hub table's static route of each active namespace (searched per
 *     block: SearchTransitGatewayRoutes answers 1,000 routes at most and does
 *     not page), re-created when missing; blackhole routes and the routes of
 *     stray attachments (searched by state and per attachment) removed;
 *   - the share's principals: a live account missing is added, an account
 *     the registry knows with no live namespace removed, others reported.
 * Removals are destructive repairs, under the pass's brake; a dry run plans.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/ec2_tgw.h"
#include "aws/ram.h"
#include "broker/internal.h"
#include "broker/reconcile/internal.h"
#include "broker/tgw.h"
#include "core/log.h"

static bool is(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static bool gone(const char *state)
{
	return is(state, "deleted") || is(state, "deleting") || is(state, "rejected") ||
	       is(state, "rejecting") || is(state, "failed") || is(state, "failing");
}

/* The live record holding attachment id (as its attachment or confirm's intent), or NULL. */
static const struct vp_namespace_record *holder(const struct vp_reconcile_pass *p, const char *id)
{
	for (size_t i = 0; i < p->live_count; i++)
		if (id && is(p->live[i].peering_id, id))
			return &p->live[i];
	return NULL;
}

static bool has_pending(const struct vp_reconcile_pass *p, const char *account)
{
	for (size_t i = 0; i < p->live_count; i++)
		if (p->live[i].state == VP_NS_PENDING && is(p->live[i].account, account))
			return true;
	return false;
}

static bool account_live(const struct vp_reconcile_pass *p, const char *account)
{
	for (size_t i = 0; i < p->live_count; i++)
		if (p->live[i].state != VP_NS_RELEASING && is(p->live[i].account, account))
			return true;
	return false;
}

static void ec2_done(struct vp_reconcile_item *it, const char *action, vp_code code,
		     struct vp_broker *b, const struct vp_aws_error *aerr)
{
	struct vp_error e;

	vp_broker_note_aws(b->metrics, action, code, aerr);
	if (code == VP_OK || code == VP_ERR_NOT_FOUND)
		return;
	vp_broker_aws_fail(&e, aerr, action);
	vp_reconcile_set_error(it, &e);
}

/* Remove the hub table's static route of cidr (a destructive repair). */
static void delete_route(struct vp_reconcile_pass *p, const char *cidr, const char *target,
			 const char *why)
{
	struct vp_reconcile_item *it = vp_reconcile_add_item(p, VP_RECONCILE_DELETE_ROUTE, 0, "");
	struct vp_aws_error aerr;
	vp_code code;

	vp_reconcile_route_item(it, p->b->tgw->hub_table, cidr, target);
	vp_reconcile_detail(it, "transit gateway route %s -> %s: %s", cidr,
			    target[0] ? target : "(blackhole)", why);
	if (p->opts->dry_run || !vp_reconcile_may_destroy(p, it))
		return;
	code = vp_aws_ec2_delete_tgw_route(p->b->aws, p->b->tgw->hub_table, cidr, NULL, &aerr);
	ec2_done(it, "DeleteTransitGatewayRoute", code, p->b, &aerr);
}

/* The static routes of the hub table matching one filter (a bounded search). */
static vp_code search(struct vp_reconcile_pass *p, const char *name, const char *value,
		      struct vp_aws_tgw_route_list **out, struct vp_error *err)
{
	const char *v[] = {value}, *stat[] = {"static"};
	struct vp_aws_ec2_filter f[] = {{name, v, 1}, {"type", stat, 1}};
	struct vp_aws_error aerr;
	vp_code code =
		vp_aws_ec2_search_tgw_routes(p->b->aws, p->b->tgw->hub_table, f, 2, out, &aerr);

	vp_broker_note_aws(p->b->metrics, "SearchTransitGatewayRoutes", code, &aerr);
	if (code != VP_OK)
		return vp_broker_aws_fail(err, &aerr, "searching the hub's transit gateway routes");
	return VP_OK;
}

/* Mark rec failed (active, its attachment gone), under its lock, if it is still so. */
static void lost(struct vp_reconcile_pass *p, struct vp_namespace_record *rec, const char *state)
{
	struct vp_reconcile_item *it =
		vp_reconcile_add_item(p, VP_RECONCILE_PEERING_LOST, rec->n, rec->account);
	struct vp_registry_change change = {.detail = "{\"reason\":\"attachment gone\"}"};
	struct vp_registry_lock *lock = NULL;
	struct vp_namespace_record *now;
	bool live = false;
	struct vp_error e;

	if (it)
		vp_reconcile_copy(it->target, sizeof(it->target), rec->peering_id);
	vp_reconcile_detail(it, "attachment %s is %s", rec->peering_id, state);
	if (p->opts->dry_run) {
		rec->state = VP_NS_FAILED;
		return;
	}
	if (!(now = vp_reconcile_lock_record(p, rec->n, it, &lock, &live)))
		return;
	if (!live || now->state != VP_NS_ACTIVE || !is(now->peering_id, rec->peering_id))
		vp_reconcile_set_outcome(it, VP_RECONCILE_SKIPPED, NULL);
	else if (vp_registry_transition(p->b->registry, rec->n, VP_NS_STATE_BIT(VP_NS_ACTIVE),
					VP_NS_FAILED, &change, p->rid, NULL, &e) != VP_OK)
		vp_reconcile_set_outcome(it, VP_RECONCILE_FAILED, &e);
	else
		rec->state = VP_NS_FAILED;
	vp_registry_unlock(lock);
	free(now);
}

/* One attachment of the gateway that is not the hub's. */
static vp_code check_attachment(struct vp_reconcile_pass *p, const struct vp_aws_tgw_attachment *a,
				struct vp_error *err)
{
	struct vp_broker *b = p->b;
	const char *owner = a->vpc_owner_id ? a->vpc_owner_id : "";
	struct vp_reconcile_item *it;
	struct vp_aws_error aerr;
	vp_code code;

	if (holder(p, a->attachment_id) || gone(a->state))
		return VP_OK;
	if (is(a->state, "pendingAcceptance")) {
		if (has_pending(p, owner))
			return VP_OK; /* its account may still confirm it (or let it expire) */
		it = vp_reconcile_add_item(p, VP_RECONCILE_FOREIGN_REQUEST, 0, owner);
		if (it)
			vp_reconcile_copy(it->target, sizeof(it->target), a->attachment_id);
		vp_reconcile_detail(it,
				    "attachment %s of VPC %s (account %s) asks to join; no pending "
				    "namespace of the account explains it: rejected",
				    a->attachment_id, a->vpc_id ? a->vpc_id : "?", owner);
		if (p->opts->dry_run || !vp_reconcile_may_destroy(p, it))
			return VP_OK;
		code = vp_aws_ec2_reject_tgw_vpc_attachment(b->aws, a->attachment_id, NULL, &aerr);
		ec2_done(it, "RejectTransitGatewayVpcAttachment", code, b, &aerr);
		return VP_OK;
	}
	/* Accepted, and no live namespace holds it. */
	it = vp_reconcile_add_item(p, VP_RECONCILE_STRAY_PEERING, 0, owner);
	if (it)
		vp_reconcile_copy(it->target, sizeof(it->target), a->attachment_id);
	if (!vp_reconcile_known(p, a->attachment_id)) {
		vp_reconcile_detail(it,
				    "attachment %s of VPC %s (account %s) is %s but the registry "
				    "never held it: not the broker's to delete",
				    a->attachment_id, a->vpc_id ? a->vpc_id : "?", owner,
				    a->state ? a->state : "?");
		vp_reconcile_set_outcome(it, VP_RECONCILE_REPORTED, NULL);
		return VP_OK;
	}
	vp_reconcile_detail(it, "attachment %s of a released namespace is %s: deleted",
			    a->attachment_id, a->state ? a->state : "?");
	{ /* its routes first (searched by attachment) */
		struct vp_aws_tgw_route_list *routes = NULL;
		if ((code = search(p, "attachment.transit-gateway-attachment-id", a->attachment_id,
				   &routes, err)) != VP_OK)
			return code;
		for (size_t i = 0; i < routes->count; i++)
			if (routes->items[i].destination_cidr_block)
				delete_route(p, routes->items[i].destination_cidr_block,
					     a->attachment_id, "its attachment is a stray");
		vp_aws_tgw_route_list_free(routes);
	}
	if (p->opts->dry_run || !vp_reconcile_may_destroy(p, it))
		return VP_OK;
	code = vp_aws_ec2_delete_tgw_vpc_attachment(b->aws, a->attachment_id, NULL, &aerr);
	ec2_done(it, "DeleteTransitGatewayVpcAttachment", code, b, &aerr);
	return VP_OK;
}

/* Each active namespace: its attachment still there, its route in the hub table. */
static vp_code check_active(struct vp_reconcile_pass *p,
			    const struct vp_aws_tgw_attachment_list *atts, struct vp_error *err)
{
	for (size_t i = 0; i < p->live_count && !vp_reconcile_stopping(p); i++) {
		struct vp_namespace_record *rec = &p->live[i];
		const char *state = "gone (unknown to EC2)";
		char att[VP_AWS_ID_MAX + 1] = "", rstate[32] = "";
		bool found = false;
		struct vp_reconcile_item *it;
		struct vp_error e;
		vp_code code;

		if (rec->state != VP_NS_ACTIVE || strncmp(rec->peering_id, "tgw-attach-", 11))
			continue;
		for (size_t k = 0; k < atts->count; k++)
			if (is(atts->items[k].attachment_id, rec->peering_id)) {
				state = atts->items[k].state ? atts->items[k].state : "?";
				found = !gone(state);
			}
		if (!found) {
			lost(p, rec, state);
			continue;
		}
		code = vp_broker_tgw_find_route(p->b, rec->vpc_cidr, &found, att, sizeof(att),
						rstate, sizeof(rstate), err);
		if (code != VP_OK)
			return code;
		if (found && is(att, rec->peering_id) && !is(rstate, "blackhole"))
			continue;
		if (found) { /* another target: the broker never replaces it */
			it = vp_reconcile_add_item(p, VP_RECONCILE_FOREIGN_ROUTE, rec->n,
						   rec->account);
			vp_reconcile_route_item(it, p->b->tgw->hub_table, rec->vpc_cidr, att);
			vp_reconcile_detail(it, "namespace %lld's block goes to %s (%s), not %s",
					    (long long)rec->n, att[0] ? att : "a blackhole", rstate,
					    rec->peering_id);
			vp_reconcile_set_outcome(it, VP_RECONCILE_REPORTED, NULL);
			continue;
		}
		it = vp_reconcile_add_item(p, VP_RECONCILE_CREATE_ROUTE, rec->n, rec->account);
		vp_reconcile_route_item(it, p->b->tgw->hub_table, rec->vpc_cidr, rec->peering_id);
		vp_reconcile_detail(it, "namespace %lld's transit gateway route is missing",
				    (long long)rec->n);
		if (!p->opts->dry_run &&
		    vp_broker_tgw_add_route(p->b, rec->vpc_cidr, rec->peering_id, &e) != VP_OK)
			vp_reconcile_set_error(it, &e);
	}
	return VP_OK;
}

/* Blackhole static routes of the hub table (their attachment is gone): removed. */
static vp_code check_blackholes(struct vp_reconcile_pass *p, struct vp_error *err)
{
	struct vp_aws_tgw_route_list *routes = NULL;
	vp_code code = search(p, "state", "blackhole", &routes, err);

	if (code != VP_OK)
		return code;
	for (size_t i = 0; i < routes->count; i++)
		if (routes->items[i].destination_cidr_block)
			delete_route(p, routes->items[i].destination_cidr_block,
				     routes->items[i].attachment_id ? routes->items[i].attachment_id
								    : "",
				     "a blackhole: its attachment is gone");
	vp_aws_tgw_route_list_free(routes);
	return VP_OK;
}

/* A temporary record naming the account, for the share's writes (a fresh clientToken). */
static struct vp_namespace_record *account_record(struct vp_reconcile_pass *p, const char *account)
{
	struct vp_namespace_record *r = calloc(1, sizeof(*r));

	if (r) {
		vp_reconcile_copy(r->account, sizeof(r->account), account);
		r->id = -p->now;
	}
	return r;
}

static vp_code check_principals(struct vp_reconcile_pass *p, struct vp_error *err)
{
	struct vp_broker *b = p->b;
	struct vp_aws_ram_association_query q = {.association_type = "PRINCIPAL",
						 .resource_share_arn = b->tgw->share};
	struct vp_aws_ram_associations *list = NULL;
	struct vp_aws_error aerr;
	int64_t count = 0;
	vp_code code;

	if (b->tgw->org_only)
		return VP_OK;
	code = vp_aws_ram_get_associations(b->aws, &q, &list, &aerr);
	vp_broker_note_aws(b->metrics, "GetResourceShareAssociations", code, &aerr);
	if (code != VP_OK)
		return vp_broker_aws_fail(err, &aerr, "reading the resource share's principals");
	for (size_t i = 0; i < list->count; i++) {
		const char *who = list->items[i].associated_entity;
		struct vp_account_record acct;
		struct vp_namespace_record *r;
		struct vp_reconcile_item *it;
		struct vp_error e;

		if (!vp_ids_account_valid(who) || (!is(list->items[i].status, "ASSOCIATED") &&
						   !is(list->items[i].status, "ASSOCIATING")))
			continue;
		count++;
		if (account_live(p, who))
			continue;
		it = vp_reconcile_add_item(p, VP_RECONCILE_REMOVE_TRUST, 0, who);
		if (vp_registry_account_get(b->registry, who, &acct, &e) != VP_OK) {
			vp_reconcile_detail(
				it,
				"account %s is a principal of the share but the registry "
				"never knew it: left",
				who);
			vp_reconcile_set_outcome(it, VP_RECONCILE_REPORTED, NULL);
			continue;
		}
		vp_reconcile_detail(it, "account %s has no live namespace: removed from the share",
				    who);
		if (p->opts->dry_run || !vp_reconcile_may_destroy(p, it))
			continue;
		if (!(r = account_record(p, who)))
			return vp_fail(err, VP_ERR_NOMEM, "out of memory");
		if (vp_broker_tgw_share_remove(b, r, p->rid, &e) != VP_OK)
			vp_reconcile_set_error(it, &e);
		free(r);
	}
	/* Live accounts that are no principal: added (each account once). */
	for (size_t i = 0; i < p->live_count; i++) {
		const char *acct = p->live[i].account;
		bool there = false, seen = false;
		struct vp_namespace_record *r;
		struct vp_reconcile_item *it;
		struct vp_error e;

		if (p->live[i].state == VP_NS_RELEASING)
			continue;
		for (size_t k = 0; k < i && !seen; k++)
			seen = is(p->live[k].account, acct) && p->live[k].state != VP_NS_RELEASING;
		for (size_t k = 0; k < list->count && !there; k++)
			there = is(list->items[k].associated_entity, acct) &&
				(is(list->items[k].status, "ASSOCIATED") ||
				 is(list->items[k].status, "ASSOCIATING"));
		if (seen || there)
			continue;
		it = vp_reconcile_add_item(p, VP_RECONCILE_ADD_TRUST, p->live[i].n, acct);
		vp_reconcile_detail(it, "account %s is no principal of the share: added", acct);
		if (p->opts->dry_run)
			continue;
		if (!(r = account_record(p, acct)))
			break;
		if (vp_broker_tgw_share_add(b, r, p->rid, &e) != VP_OK)
			vp_reconcile_set_error(it, &e);
		free(r);
	}
	vp_aws_ram_associations_free(list);
	pthread_mutex_lock(&b->tgw->mu);
	b->tgw->principals = count;
	pthread_mutex_unlock(&b->tgw->mu);
	return VP_OK;
}

vp_code vp_reconcile_check_tgw(struct vp_reconcile_pass *p, struct vp_error *err)
{
	struct vp_broker *b = p->b;
	const char *tgw[] = {b->tgw->tgw};
	struct vp_aws_ec2_filter f = {"transit-gateway-id", tgw, 1};
	struct vp_aws_ec2_query q = {.filters = &f, .filter_count = 1};
	struct vp_aws_tgw_attachment_list *atts = NULL;
	struct vp_aws_error aerr;
	int64_t others = 0;
	vp_code code = vp_aws_ec2_describe_tgw_vpc_attachments(b->aws, &q, &atts, &aerr);

	vp_broker_note_aws(b->metrics, "DescribeTransitGatewayVpcAttachments", code, &aerr);
	if (code != VP_OK)
		return vp_broker_aws_fail(err, &aerr, "reading the transit gateway's attachments");
	for (size_t i = 0; code == VP_OK && i < atts->count && !vp_reconcile_stopping(p); i++) {
		const struct vp_aws_tgw_attachment *a = &atts->items[i];
		if (gone(a->state))
			continue;
		if (!holder(p, a->attachment_id))
			others++;
		if (is(a->vpc_id, b->hub_vpc) && is(a->vpc_owner_id, b->hub_account))
			continue; /* the hub's own */
		code = check_attachment(p, a, err);
	}
	if (code == VP_OK)
		code = check_active(p, atts, err);
	vp_aws_tgw_attachment_list_free(atts);
	if (code == VP_OK && !vp_reconcile_stopping(p))
		code = check_blackholes(p, err);
	if (code == VP_OK && !vp_reconcile_stopping(p))
		code = check_principals(p, err);
	if (code == VP_OK) {
		pthread_mutex_lock(&b->tgw->mu);
		b->tgw->other_attachments = others;
		pthread_mutex_unlock(&b->tgw->mu);
	}
	return code;
}
