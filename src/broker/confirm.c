/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Confirm (POST /v1/namespaces/{n}/confirm): check the peering with EC2,
 * route the client's block from each hub route table, then active. Nothing
 * changes when a check fails; routes added before a failure are taken back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/ec2.h"
#include "broker/broker.h"
#include "broker/crash.h"
#include "broker/internal.h"
#include "core/log.h"

static const char *or_none(const char *s)
{
	return s && *s ? s : "(none)";
}

static bool same(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* The peering must be this namespace's: requester = the account, its VPC, exactly its block. */
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
	if (!same(p->requester.cidr_block, rec->vpc_cidr))
		return vp_fail(err, VP_ERR_CONFLICT,
			       "peering %s's requester VPC has CIDR %s, not namespace %lld's %s",
			       pcx, or_none(p->requester.cidr_block), (long long)rec->n,
			       rec->vpc_cidr);
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
	return VP_OK;
}

/* The peering as EC2 has it; a missing one is a conflict (the caller named a wrong id). */
static vp_code describe_peering(struct vp_broker *b, const char *pcx,
				struct vp_aws_ec2_peering_list **out, struct vp_error *err)
{
	const char *ids[] = {pcx};
	struct vp_aws_ec2_query q = {.ids = ids, .id_count = 1};
	struct vp_aws_error aerr;
	vp_code code = vp_aws_ec2_describe_vpc_peering_connections(b->aws, &q, out, &aerr);

	vp_broker_note_aws(b->metrics, "DescribeVpcPeeringConnections", code, &aerr);
	if (code == VP_ERR_NOT_FOUND || (code == VP_OK && (*out)->count == 0)) {
		if (code == VP_OK)
			vp_aws_ec2_peering_list_free(*out);
		*out = NULL;
		return vp_fail(err, VP_ERR_CONFLICT, "peering %s does not exist", pcx);
	}
	if (code != VP_OK)
		return vp_broker_aws_fail(err, &aerr, "reading the peering connection");
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
	struct vp_aws_error aerr;
	const struct vp_aws_ec2_peering *p;
	vp_code code;

	if ((code = vp_ids_aws_id_check(req->peering_id, "pcx", "vpc_peering_connection_id",
					err)) != VP_OK ||
	    (code = vp_ids_aws_id_check(req->vpc_id, "vpc", "vpc_id", err)) != VP_OK)
		return code;
	if ((code = vp_broker_load(b, caller, n, rec, err)) != VP_OK)
		return code;
	if ((code = vp_broker_check_not_expired(b, rec, err)) != VP_OK)
		return code;
	if (rec->state == VP_NS_ACTIVE) {
		if (strcmp(rec->peering_id, req->peering_id) == 0 &&
		    strcmp(rec->vpc_id, req->vpc_id) == 0)
			return VP_OK; /* the same confirmation again */
		return vp_fail(err, VP_ERR_CONFLICT,
			       "namespace %lld is active with peering %s from VPC %s", (long long)n,
			       rec->peering_id, rec->vpc_id);
	}
	if (rec->state != VP_NS_PENDING)
		return vp_fail(err, VP_ERR_CONFLICT, "namespace %lld is %s, not pending",
			       (long long)n, vp_registry_state_name(rec->state));

	if ((code = describe_peering(b, req->peering_id, &peerings, err)) != VP_OK)
		return code;
	p = &peerings->items[0];
	if ((code = check_peering(b, rec, req, p, err)) != VP_OK)
		goto out;
	if (same(p->status_code, "pending-acceptance") && b->accept_pending) {
		code = vp_aws_ec2_accept_vpc_peering_connection(b->aws, req->peering_id, NULL,
								&aerr);
		vp_broker_note_aws(b->metrics, "AcceptVpcPeeringConnection", code, &aerr);
		if (code == VP_ERR_NOT_FOUND)
			code = vp_fail(err, VP_ERR_CONFLICT, "peering %s does not exist",
				       req->peering_id);
		else if (code != VP_OK)
			vp_broker_aws_fail(err, &aerr, "accepting the peering");
		if (code != VP_OK)
			goto out;
	} else if (!same(p->status_code, "active")) {
		code = vp_fail(err, VP_ERR_CONFLICT, "peering %s is %s, not active%s",
			       req->peering_id, or_none(p->status_code),
			       same(p->status_code, "pending-acceptance")
				       ? " (the client's stack accepts it with the peer role)"
				       : "");
		goto out;
	}

	/* The intent first: a route left by a crash below is then attributable (reconciler). */
	code = vp_registry_set_intent(b->registry, n, req->peering_id, req->vpc_id, request_id,
				      NULL, err);
	if (code != VP_OK)
		goto out;
	vp_crash_point("confirm.after_intent");
	for (size_t i = 0; i < b->table_count; i++) {
		code = vp_aws_ec2_create_route(b->aws, b->tables[i], rec->vpc_cidr, &target, &aerr);
		vp_broker_note_aws(b->metrics, "CreateRoute", code, &aerr);
		if (code == VP_ERR_EXHAUSTED) {
			vp_broker_quota_invalidate(b);
			vp_fail(err, code,
				"hub route table %s is full: AWS's quota of routes per route table "
				"(--max-routes-per-table %d); raise the quota in Service Quotas "
				"(%s)",
				b->tables[i], b->max_routes_per_table, aerr.error.message);
			break;
		}
		if (code != VP_OK) {
			vp_broker_aws_fail(err, &aerr, "routing the client from the hub");
			break;
		}
		added[i] = true;
	}
	if (code == VP_OK)
		vp_crash_point("confirm.after_route");
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

	return vp_broker_run_locked(b, &call, out, NULL, err);
}
