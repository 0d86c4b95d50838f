/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Confirm (POST /v1/namespaces/{n}/confirm): check the peering with EC2; in
 * broker mode record the intent, accept it and wait until it is active (a
 * pending request that fails a check is never accepted), then check the
 * requester's CIDR set, which AWS shows only now (a mismatch deletes the
 * peering at once); tag it; route the client's block from each hub route
 * table, then active. Nothing changes when a check fails; routes added
 * before a failure are taken back. EC2's passing states (an id not shown
 * yet, provisioning, a route not shown yet) are waited out within a bound,
 * then answered 503 "in progress" (accept.h: VP_BROKER_CONFIRM_BUDGET_MS).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/ec2.h"
#include "broker/accept.h"
#include "broker/broker.h"
#include "broker/crash.h"
#include "broker/hosted_zone.h"
#include "broker/hub_side.h"
#include "broker/internal.h"
#include "broker/tgw.h"
#include "core/clock.h"
#include "core/log.h"

static const char *or_none(const char *s)
{
	return s && *s ? s : "(none)";
}

static bool same(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* An active peering an earlier try of this confirm accepted (its intent names it). */
static bool accepted_before(const struct vp_namespace_record *rec,
			    const struct vp_aws_ec2_peering *p, const char *pcx)
{
	return same(p->status_code, "active") && strcmp(rec->peering_id, pcx) == 0;
}

/*
 * The peering must be this namespace's: requester = the account, its VPC, the
 * hub as accepter, and the requester's CIDR set exactly the namespace's block
 * (AWS shows it only once active: required then).
 */
static vp_code check_peering(const struct vp_broker *b, const struct vp_namespace_record *rec,
			     const struct vp_confirm_request *req,
			     const struct vp_aws_ec2_peering *p, struct vp_error *err)
{
	const char *pcx = req->peering_id;

	if (!same(p->requester.owner_id, rec->account))
		return vp_fail(err, VP_ERR_CONFLICT,
			       "peering %s was requested by account %s, not %s (namespace %lld's)",
			       pcx, or_none(p->requester.owner_id), rec->account,
			       (long long)rec->n);
	if (!same(p->requester.vpc_id, req->vpc_id))
		return vp_fail(err, VP_ERR_CONFLICT, "peering %s was requested from VPC %s, not %s",
			       pcx, or_none(p->requester.vpc_id), req->vpc_id);
	if (!same(p->accepter.vpc_id, b->hub_vpc))
		return vp_fail(err, VP_ERR_CONFLICT,
			       "peering %s goes to VPC %s, not the hub VPC %s", pcx,
			       or_none(p->accepter.vpc_id), b->hub_vpc);
	if (!same(p->accepter.owner_id, b->hub_account))
		return vp_fail(err, VP_ERR_CONFLICT,
			       "peering %s goes to account %s, not the hub account %s", pcx,
			       or_none(p->accepter.owner_id), b->hub_account);
	if (p->accepter.region && *p->accepter.region && strcmp(p->accepter.region, b->hub_region))
		return vp_fail(err, VP_ERR_CONFLICT, "peering %s goes to region %s, not %s", pcx,
			       p->accepter.region, b->hub_region);
	if (accepted_before(rec, p, pcx))
		return VP_OK; /* its CIDR set is checked after (accept_checked), a mismatch deleted
			       */
	return vp_broker_check_cidr_set(p, rec, same(p->status_code, "active"), err);
}

/*
 * Which state the peering may be in: in broker mode pending acceptance (the
 * broker accepts it), provisioning or active when an earlier try of this
 * confirm accepted it (the intent names it: it timed out waiting, or the
 * broker died), or active by the client of a namespace registered in
 * peer-role mode (docs/broker.md "Switching modes"); in peer-role mode active
 * (the client accepted it with the peer role).
 */
static vp_code check_status(const struct vp_broker *b, const struct vp_namespace_record *rec,
			    const struct vp_aws_ec2_peering *p, const char *pcx,
			    struct vp_error *err)
{
	bool active = same(p->status_code, "active");

	if (b->accepter == VP_PEERING_ACCEPTER_PEER_ROLE) {
		if (active || same(p->status_code, "provisioning"))
			return VP_OK; /* accepted by the client: provisioning is waited out */
		return vp_fail(err, VP_ERR_CONFLICT, "peering %s is %s, not active%s", pcx,
			       or_none(p->status_code),
			       same(p->status_code, "pending-acceptance")
				       ? " (the client's stack accepts it with the peer role)"
				       : "");
	}
	if (same(p->status_code, "pending-acceptance"))
		return VP_OK;
	if ((active || same(p->status_code, "provisioning")) && strcmp(rec->peering_id, pcx) == 0)
		return VP_OK; /* accepted by an earlier try of this confirm */
	if (active && rec->peer_role_arn[0])
		return VP_OK; /* registered in peer-role mode: its client accepted it */
	return vp_fail(err, VP_ERR_CONFLICT,
		       "peering %s is %s, not pending-acceptance (request a new peering from "
		       "the client's VPC to the hub VPC %s; the broker accepts it)",
		       pcx, or_none(p->status_code), b->hub_vpc);
}

/*
 * Verify-then-accept: accept the checked request (broker mode, pending; an
 * earlier try, or the client in peer-role mode, may have accepted it: it is
 * provisioning) and wait until it is active, then check the requester's CIDR
 * set, which AWS shows only now; a mismatch (another or an extra block)
 * deletes the peering at once, before any route, prefix-list entry or zone
 * authorization exists for it.
 */
static vp_code accept_checked(struct vp_broker *b, const struct vp_namespace_record *rec,
			      const char *pcx, bool pending, int64_t until, const char *request_id,
			      struct vp_error *err)
{
	struct vp_aws_ec2_peering_list *active = NULL;
	struct vp_aws_error aerr;
	struct vp_error clear_err;
	vp_code code;

	if (pending) {
		if ((code = vp_broker_accept_peering(b, pcx, err)) != VP_OK)
			return code;
		vp_crash_point("confirm.after_accept");
	}
	if ((code = vp_broker_wait_active(b, pcx, until, &active, err)) != VP_OK)
		return code;
	code = vp_broker_check_cidr_set(&active->items[0], rec, true, err);
	vp_aws_ec2_peering_list_free(active);
	if (code == VP_OK)
		return VP_OK;
	code = vp_aws_ec2_delete_vpc_peering_connection(b->aws, pcx, &aerr);
	vp_broker_note_aws(b->metrics, "DeleteVpcPeeringConnection", code, &aerr);
	if (code != VP_OK) {
		vp_log(VP_LOG_ERROR,
		       "confirm %s: namespace %lld: could not delete peering %s after its CIDR "
		       "check failed (the namespace's release, or its expiry, ends it): %s",
		       request_id, (long long)rec->n, pcx, aerr.error.message);
		vp_error_prefix(err,
				"peering %s stays active (not routed) until namespace %lld is "
				"released",
				pcx, (long long)rec->n);
	} else {
		vp_error_prefix(err, "peering %s deleted", pcx);
		/* Ended: nothing left for the intent to attribute; the record is as it was. */
		if (vp_registry_clear_intent(b->registry, rec->n, pcx, request_id, &clear_err) !=
		    VP_OK)
			vp_log(VP_LOG_WARN, "confirm %s: namespace %lld: %s", request_id,
			       (long long)rec->n, clear_err.message);
	}
	return VP_ERR_CONFLICT;
}

/* The end of one settle bound from now, never past the request's `until`. */
static int64_t settle_until(int64_t until)
{
	int64_t end = vp_clock_monotonic_ms() + VP_BROKER_SETTLE_MS;

	return end < until ? end : until;
}

/* A passing state still there at the end of its bound: retryable, never a conflict. */
static vp_code in_progress(vp_code code, struct vp_error *err)
{
	if (code != VP_ERR_NOT_FOUND && code != VP_ERR_UNAVAILABLE)
		return code;
	vp_error_prefix(err, "in progress (EC2 does not show it yet; confirm again)");
	err->code = VP_ERR_UNAVAILABLE;
	return VP_ERR_UNAVAILABLE;
}

/* CreateTags, a NotFound of a peering just accepted read as EC2 not showing it yet. */
static vp_code tag_settled(struct vp_broker *b, const struct vp_namespace_record *rec,
			   const char *pcx, int64_t until, struct vp_error *err)
{
	int64_t delay = VP_BROKER_ACCEPT_POLL_MIN_MS;
	vp_code code;

	while ((code = vp_broker_tag_peering(b, rec, pcx, err)) != VP_OK &&
	       vp_broker_settle_pause(code, &delay, until))
		;
	return in_progress(code, err);
}

/*
 * CreateRoute in one hub table. RouteAlreadyExists that DescribeRouteTables
 * does not show yet (ec2.c: VP_ERR_UNAVAILABLE) and a NotFound of the
 * peering just accepted are tried again until `until`.
 */
static vp_code route_one(struct vp_broker *b, const char *table, const char *cidr,
			 const struct vp_aws_ec2_route_target *target, int64_t until,
			 struct vp_error *err)
{
	int64_t delay = VP_BROKER_ACCEPT_POLL_MIN_MS;
	struct vp_aws_error aerr;
	vp_code code;

	for (;;) {
		code = vp_aws_ec2_create_route(b->aws, table, cidr, target, &aerr);
		vp_broker_note_aws(b->metrics, "CreateRoute", code, &aerr);
		if (!vp_broker_settle_pause(code, &delay, until))
			break;
	}
	if (code == VP_ERR_EXHAUSTED) {
		vp_broker_quota_invalidate(b);
		return vp_fail(
			err, code,
			"hub route table %s is full: AWS's quota of routes per route table "
			"(--max-routes-per-table %d); raise the quota in Service Quotas (%s)",
			table, b->max_routes_per_table, aerr.error.message);
	}
	if (code != VP_OK) {
		vp_broker_aws_fail(err, &aerr, "routing the client from the hub");
		return in_progress(code, err);
	}
	return VP_OK;
}

/* Remove the routes this request added (tables[0..count)); false when one could not be. */
static bool take_back_routes(struct vp_broker *b, const char *cidr, bool *added, size_t count,
			     struct vp_error *why)
{
	bool ok = true;

	for (size_t i = 0; i < count; i++)
		if (added[i] && vp_broker_delete_route(b, b->tables[i], cidr,
						       "taking back a hub route", why) != VP_OK)
			ok = false;
	return ok;
}

static vp_code confirm_step(struct vp_broker *b, const struct vp_identity *caller, int64_t n,
			    const void *input, const char *request_id,
			    struct vp_namespace_record *rec, struct vp_error *err)
{
	const struct vp_confirm_request *req = input;
	struct vp_aws_ec2_peering_list *peerings = NULL;
	struct vp_aws_ec2_route_target target = {.vpc_peering_connection_id = req->peering_id};
	struct vp_registry_change change = {.peering_id = req->peering_id, .vpc_id = req->vpc_id};
	bool added[VP_BROKER_MAX_ROUTE_TABLES] = {false};
	int64_t start = vp_clock_monotonic_ms();
	int64_t until = start + VP_BROKER_CONFIRM_BUDGET_MS;
	const struct vp_aws_ec2_peering *p;
	vp_code code;

	if ((code = vp_ids_aws_id_check(req->peering_id, "pcx", "vpc_peering_connection_id",
					err)) != VP_OK ||
	    (code = vp_ids_aws_id_check(req->vpc_id, "vpc", "vpc_id", err)) != VP_OK)
		return code;
	if ((code = vp_broker_load(b, caller, n, rec, err)) != VP_OK ||
	    (code = vp_broker_check_principal(b, caller, rec, "confirm", err)) != VP_OK ||
	    (code = vp_broker_check_registration(rec, req->client_ref, VP_ERR_CONFLICT, "confirm",
						 err)) != VP_OK)
		return code;
	if ((code = vp_broker_check_not_expired(b, rec, err)) != VP_OK)
		return code;
	if (rec->state == VP_NS_ACTIVE) {
		if (strcmp(rec->peering_id, req->peering_id) == 0 &&
		    strcmp(rec->vpc_id, req->vpc_id) == 0) {
			vp_broker_hosted_zone_again(b, n, rec->vpc_id, NULL, rec->peering_id,
						    request_id);
			return VP_OK; /* the same confirmation again */
		}
		return vp_fail(err, VP_ERR_CONFLICT,
			       "namespace %lld is active with peering %s from VPC %s", (long long)n,
			       rec->peering_id, rec->vpc_id);
	}
	if (rec->state != VP_NS_PENDING)
		return vp_fail(err, VP_ERR_CONFLICT, "namespace %lld is %s, not pending",
			       (long long)n, vp_registry_state_name(rec->state));

	/* Unknown past the bound: a wrong id, or one EC2 does not show yet (503). */
	code = vp_broker_describe_peering_settled(b, req->peering_id, start + VP_BROKER_SETTLE_MS,
						  &peerings, err);
	if (code != VP_OK)
		return code;
	p = &peerings->items[0];
	if ((code = check_peering(b, rec, req, p, err)) != VP_OK ||
	    (code = check_status(b, rec, p, req->peering_id, err)) != VP_OK)
		goto out;

	/* The intent first: a route left by a crash below is then attributable (reconciler). */
	code = vp_registry_set_intent(b->registry, n, req->peering_id, req->vpc_id, request_id,
				      NULL, err);
	if (code != VP_OK)
		goto out;
	vp_crash_point("confirm.after_intent");
	/* Not active: pending (broker mode), or provisioning (accepted by an earlier try, or
	 * by the client in peer-role mode); or active, accepted by an earlier try that stopped
	 * before its CIDR check (a crash, a failed delete): checked, deleted on a mismatch. */
	if ((!same(p->status_code, "active") || accepted_before(rec, p, req->peering_id)) &&
	    (code = accept_checked(b, rec, req->peering_id,
				   same(p->status_code, "pending-acceptance"), until, request_id,
				   err)) != VP_OK)
		goto out;
	if ((code = tag_settled(b, rec, req->peering_id, settle_until(until), err)) != VP_OK)
		goto out;
	for (size_t i = 0; i < b->table_count; i++) {
		code = route_one(b, b->tables[i], rec->vpc_cidr, &target, settle_until(until), err);
		if (code != VP_OK)
			break;
		added[i] = true;
	}
	if (code == VP_OK)
		vp_crash_point("confirm.after_route");
	if (code == VP_OK)
		code = vp_broker_hub_side_join(b, rec, req->peering_id, err);
	if (code == VP_OK)
		code = vp_broker_hosted_zone_join(b, req->vpc_id, p->requester.region,
						  req->peering_id, err);
	if (code == VP_OK) {
		struct vp_namespace_record *now = malloc(sizeof(*now));
		if (!now) {
			code = vp_fail(err, VP_ERR_NOMEM, "out of memory");
		} else {
			code = vp_registry_transition(b->registry, n,
						      VP_NS_STATE_BIT(VP_NS_PENDING), VP_NS_ACTIVE,
						      &change, request_id, now, err);
			if (code == VP_OK)
				*rec = *now;
			free(now);
			if (code == VP_OK)
				vp_crash_point("confirm.after_active");
		}
	}
	if (code != VP_OK) {
		struct vp_error why;
		if (!take_back_routes(b, rec->vpc_cidr, added, b->table_count, &why)) {
			struct vp_registry_change failed = {.detail = NULL};
			vp_log(VP_LOG_ERROR, "confirm %s: namespace %lld: %s", request_id,
			       (long long)n, why.message);
			/* Best effort: the reconciler finds a pending record whose peering failed.
			 */
			vp_ignore(vp_registry_transition(
				b->registry, n, VP_NS_STATE_BIT(VP_NS_PENDING), VP_NS_FAILED,
				&failed, request_id, NULL, NULL));
		}
	}
out:
	vp_aws_ec2_peering_list_free(peerings);
	return code;
}

vp_code vp_broker_confirm(struct vp_broker *b, const struct vp_identity *caller, int64_t n,
			  const struct vp_confirm_request *req, const char *request_id,
			  struct vp_registration *out, struct vp_error *err)
{
	struct vp_broker_locked_call call = {.workflow = "confirm",
					     .caller = caller,
					     .n = n,
					     .request_id = request_id,
					     .lock_timeout_ms = VP_BROKER_NS_LOCK_TIMEOUT_MS,
					     .step = confirm_step,
					     .input = req};

	if (b->tgw) /* the transit-gateway mode: an attachment instead of a peering */
		call.step = vp_broker_tgw_confirm_step;

	return vp_broker_run_locked(b, &call, out, NULL, err);
}
