/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Release (DELETE /v1/namespaces/{n}): releasing, the hub routes the broker
 * made for it removed, its peering ended from the hub side (deleted when
 * active, rejected when pending acceptance), the account's trust entry revoked when nothing else
 * needs it, released. Idempotent; a failure leaves it releasing and a retry
 * continues from there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/ec2.h"
#include "broker/accept.h"
#include "broker/broker.h"
#include "broker/grants.h"
#include "broker/crash.h"
#include "broker/hub_side.h"
#include "broker/internal.h"
#include "broker/tgw.h"
#include "core/log.h"
#include "core/metrics.h"

/* A route toward the namespace's block that the broker made: through its peering, or a
 * blackhole through a peering that is gone. Never another target. */
static bool broker_route(const struct vp_aws_ec2_route *r, const struct vp_namespace_record *rec)
{
	if (!r->destination_cidr_block || strcmp(r->destination_cidr_block, rec->vpc_cidr) != 0 ||
	    !r->vpc_peering_connection_id)
		return false;
	if (rec->peering_id[0] && strcmp(r->vpc_peering_connection_id, rec->peering_id) == 0)
		return true;
	return r->state && strcmp(r->state, "blackhole") == 0;
}

static vp_code remove_routes(struct vp_broker *b, const struct vp_namespace_record *rec,
			     struct vp_error *err)
{
	struct vp_aws_ec2_route_table_list *tables = NULL;
	vp_code code;

	if (b->tgw) /* the hub VPC routes the pool once; the client's route is the gateway's */
		return vp_broker_tgw_remove_route(b, rec, err);
	code = vp_broker_describe_tables(b, &tables, err);
	for (size_t i = 0; code == VP_OK && i < tables->count; i++) {
		const struct vp_aws_ec2_route_table *t = &tables->items[i];
		for (size_t k = 0; code == VP_OK && k < t->route_count; k++)
			if (broker_route(&t->routes[k], rec))
				code = vp_broker_delete_route(b, t->route_table_id, rec->vpc_cidr,
							      "removing a hub route", err);
	}
	vp_aws_ec2_route_table_list_free(tables);
	return code;
}

static vp_code revoke(struct vp_broker *b, const struct vp_namespace_record *rec,
		      const char *request_id, struct vp_error *err)
{
	struct vp_account_record acct;
	bool in_use = false;
	int role;
	vp_code code;

	if (b->tgw) /* the transit-gateway mode: the share's principal, not a trust entry */
		return vp_broker_tgw_share_remove(b, rec, request_id, err);
	code = vp_registry_account_get(b->registry, rec->account, &acct, err);
	if (code == VP_ERR_NOT_FOUND)
		return VP_OK;
	if (code != VP_OK)
		return code;
	if (!acct.granted || !b->grants) /* broker mode with no --peer-role: none to revoke */
		return VP_OK;
	/* Other namespaces still need it: nothing to queue (grants.c checks again under its lock).
	 */
	if ((code = vp_broker_account_in_use(b->registry, rec->account, &in_use, err)) != VP_OK)
		return code;
	if (in_use)
		return VP_OK;
	role = vp_grants_role_index(b->grants, acct.peer_role_arn);
	if (role < 0) {
		vp_log(VP_LOG_WARN,
		       "release %s: account %s is granted in %s, not a configured peer "
		       "role: left as it is",
		       request_id, rec->account, acct.peer_role_arn);
		return VP_OK;
	}
	return vp_grants_remove(b->grants, rec->account, (size_t)role, request_id, NULL, err);
}

/* The broker's own release (the reconciler): what it read earlier must still be so. */
static vp_code check_expected(struct vp_broker *b, const struct vp_broker_locked_call *call,
			      const struct vp_namespace_record *rec, struct vp_error *err)
{
	const char *why = NULL;

	if (!call || !call->expect_id)
		return VP_OK;
	if (rec->id != call->expect_id)
		why = "holds another record now";
	else if (!(call->expect_states & VP_NS_STATE_BIT(rec->state)))
		why = "changed state";
	else if (call->expect_expired && (rec->state != VP_NS_PENDING || rec->expires_at <= 0 ||
					  rec->expires_at > vp_registry_time_now(b->registry)))
		why = "is no longer past its TTL";
	if (!why)
		return VP_OK;
	vp_broker_count_lost_race(b, "release");
	return vp_fail(err, VP_ERR_CONFLICT,
		       "lost race: namespace %lld %s since it was read (record %lld, %s): not "
		       "released",
		       (long long)rec->n, why, (long long)rec->id,
		       vp_registry_state_name(rec->state));
}

static vp_code release_step(struct vp_broker *b, const struct vp_identity *caller, int64_t n,
			    const void *input, const char *request_id,
			    struct vp_namespace_record *rec, struct vp_error *err)
{
	const struct vp_broker_locked_call *call = input;
	vp_code code;

	if ((code = vp_broker_load(b, caller, n, rec, err)) != VP_OK ||
	    (code = vp_broker_check_principal(b, caller, rec, "release", err)) != VP_OK ||
	    (code = vp_broker_check_registration(rec, call->client_ref, VP_ERR_NOT_FOUND, "release",
						 err)) != VP_OK)
		return code;
	if ((code = check_expected(b, call, rec, err)) != VP_OK)
		return code;
	if (rec->state == VP_NS_RELEASED)
		return VP_OK;
	if (rec->state != VP_NS_RELEASING) {
		/* Compare-and-set on the record just read: its id and state. */
		code = vp_registry_transition_record(b->registry, n, rec->id,
						     VP_NS_STATE_BIT(rec->state), VP_NS_RELEASING,
						     NULL, request_id, rec, err);
		if (code != VP_OK)
			return code;
		vp_crash_point("release.after_releasing");
	}
	if ((code = remove_routes(b, rec, err)) != VP_OK ||
	    (code = vp_broker_hub_side_leave(b, rec, err)) != VP_OK)
		goto stays;
	vp_crash_point("release.after_routes");
	/* Ended from the hub side, so a reused n never inherits the old owner's peering. */
	if ((code = b->tgw ? vp_broker_tgw_end_attachment(b, rec, request_id, err)
			   : vp_broker_end_peering(b, rec, request_id, err)) != VP_OK)
		goto stays;
	vp_crash_point("release.after_peering");
	if ((code = revoke(b, rec, request_id, err)) != VP_OK)
		goto stays;
	vp_crash_point("release.after_revoke");
	code = vp_registry_transition_record(b->registry, n, rec->id,
					     VP_NS_STATE_BIT(VP_NS_RELEASING), VP_NS_RELEASED, NULL,
					     request_id, rec, err);
	if (code == VP_OK)
		vp_crash_point("release.after_released");
	return code;
stays:
	vp_error_prefix(err, "namespace %lld stays releasing (DELETE again to retry)",
			(long long)n);
	return code;
}

vp_code vp_broker_release_system(struct vp_broker *b, const struct vp_namespace_record *seen,
				 unsigned states, bool expired, const char *request_id,
				 int lock_timeout_ms, struct vp_namespace_record *out,
				 struct vp_error *err)
{
	struct vp_broker_locked_call call = {.workflow = "release",
					     .system = true,
					     .n = seen->n,
					     .request_id = request_id,
					     .lock_timeout_ms = lock_timeout_ms,
					     .step = release_step,
					     .expect_id = seen->id ? seen->id : -1,
					     .expect_states = states,
					     .expect_expired = expired};

	call.input = &call;
	return vp_broker_run_locked(b, &call, NULL, out, err);
}

void vp_broker_count_lost_race(struct vp_broker *b, const char *workflow)
{
	if (b->metrics)
		vp_metrics_add(b->metrics, VP_BROKER_METRIC_LOST_RACES,
			       (const char *const[]){"workflow", workflow, NULL}, 1);
}

vp_code vp_broker_release(struct vp_broker *b, const struct vp_identity *caller, int64_t n,
			  const char *client_ref, const char *request_id,
			  struct vp_registration *out, struct vp_error *err)
{
	struct vp_broker_locked_call call = {.workflow = "release",
					     .caller = caller,
					     .n = n,
					     .request_id = request_id,
					     .lock_timeout_ms = VP_BROKER_NS_LOCK_TIMEOUT_MS,
					     .step = release_step,
					     .client_ref = client_ref};

	call.input = &call;
	return vp_broker_run_locked(b, &call, out, NULL, err);
}
