/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Register (POST /v1/namespaces): the limits first (the per-account cap, the
 * quota view's peering and route-table quotas: quota.h), then allocate, then
 * the grant; a failure after allocating undoes the allocation
 * (docs/broker.md).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/broker.h"
#include "broker/grants.h"
#include "broker/crash.h"
#include "broker/internal.h"
#include "broker/policy.h"
#include "broker/quota.h"
#include "broker/tgw.h"
#include "core/log.h"

static vp_code labels_json(const struct vp_register_request *req, char *out, size_t size,
			   struct vp_error *err)
{
	json_t *obj = json_object();
	char *text;
	vp_code code = VP_OK;

	if (!obj)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	for (unsigned i = 0; i < req->label_count && i < VP_LABELS_MAX; i++)
		if (json_object_set_new(obj, req->labels[i].key,
					json_string(req->labels[i].value)) != 0) {
			json_decref(obj);
			return vp_fail(err, VP_ERR_INVALID, "label '%.64s' is not valid UTF-8",
				       req->labels[i].key);
		}
	text = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(obj);
	if (!text)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	if (strlen(text) >= size)
		code = vp_fail(err, VP_ERR_INVALID, "labels are longer than %zu bytes as JSON",
			       size - 1);
	else
		memcpy(out, text, strlen(text) + 1);
	free(text);
	return code;
}

/*
 * Make sure the namespace's account is in a trust policy and the record names
 * the role. Read the account record only now, after the allocation: see
 * grants.h for why that order keeps a concurrent release from revoking it.
 */
static vp_code ensure_grant(struct vp_broker *b, struct vp_namespace_record *rec,
			    const char *request_id, struct vp_error *err)
{
	struct vp_account_record acct;
	int preferred = -1;
	size_t role = 0;
	bool added = false;
	vp_code code;

	if (b->tgw) /* the transit-gateway mode: the account as a principal of the share */
		return vp_broker_tgw_share_add(b, rec, request_id, err);
	if (b->accepter == VP_PEERING_ACCEPTER_BROKER)
		return VP_OK; /* nobody gets a role in the hub: no IAM call */
	code = vp_registry_account_get(b->registry, rec->account, &acct, err);
	if (code == VP_OK)
		preferred = vp_grants_role_index(b->grants, acct.peer_role_arn);
	else if (code != VP_ERR_NOT_FOUND)
		return code;
	if (code == VP_OK && acct.granted && preferred >= 0) {
		role = (size_t)preferred;
	} else {
		vp_crash_point("register.before_grant");
		code = vp_grants_add(b->grants, rec->account, preferred, request_id, &role, &added,
				     err);
		if (code != VP_OK)
			return code;
		vp_crash_point("register.after_grant");
	}
	if (strcmp(rec->peer_role_arn, vp_grants_role_arn(b->grants, role)) != 0)
		return vp_registry_set_peer_role(b->registry, rec->n,
						 vp_grants_role_arn(b->grants, role), request_id,
						 rec, err);
	return VP_OK;
}

/* Take back a namespace this request allocated: released, and the grant if nothing else needs it.
 */
static void undo_allocation(struct vp_broker *b, const struct vp_namespace_record *rec,
			    const char *request_id)
{
	struct vp_account_record acct;
	struct vp_error e;
	int role;

	if (vp_registry_transition(b->registry, rec->n, VP_NS_STATE_BIT(VP_NS_PENDING),
				   VP_NS_RELEASING, NULL, request_id, NULL, &e) != VP_OK ||
	    vp_registry_transition(b->registry, rec->n, VP_NS_STATE_BIT(VP_NS_RELEASING),
				   VP_NS_RELEASED, NULL, request_id, NULL, &e) != VP_OK) {
		vp_log(VP_LOG_ERROR, "register %s: could not undo namespace %lld: %s", request_id,
		       (long long)rec->n, e.message);
		return;
	}
	if (!b->grants || vp_registry_account_get(b->registry, rec->account, &acct, &e) != VP_OK ||
	    !acct.granted)
		return;
	role = vp_grants_role_index(b->grants, acct.peer_role_arn);
	if (role >= 0 &&
	    vp_grants_remove(b->grants, rec->account, (size_t)role, request_id, NULL, &e) != VP_OK)
		vp_log(VP_LOG_ERROR, "register %s: could not revoke account %s: %s", request_id,
		       rec->account, e.message);
}

/* `held` counted namespaces, the new one included: the account's cap, then AWS's quotas. */
static vp_code check_limits(struct vp_broker *b, const char *account, int64_t held,
			    int64_t account_held, struct vp_error *err)
{
	vp_code code = vp_broker_quota_check_account(b, account, account_held, err);

	if (code == VP_OK && b->tgw) /* attachments, routes and principals instead of peerings */
		return vp_broker_tgw_check_quota(b, held, account_held == 1, err);
	if (code == VP_OK)
		code = vp_broker_quota_check(b, held, err);
	return code;
}

static vp_code do_register(struct vp_broker *b, const struct vp_identity *caller,
			   const struct vp_register_request *req, const char *request_id,
			   struct vp_namespace_record *rec, bool *created, struct vp_error *err)
{
	struct vp_registry_register_view view;
	char labels[VP_REGISTRY_LABELS_MAX + 1], principal[VP_REGISTRY_ARN_MAX + 1];
	vp_code code;

	if ((code = vp_broker_check_caller(b, caller, err)) != VP_OK ||
	    (code = vp_ids_client_ref_check(req->client_ref, err)) != VP_OK ||
	    (code = labels_json(req, labels, sizeof(labels), err)) != VP_OK ||
	    (code = vp_broker_tgw_check_region(b, req->region, err)) != VP_OK)
		return code;

	/* The key's live record, the account and the quota counts: one read. */
	code = vp_registry_register_view(b->registry, caller->account, req->client_ref, 0, &view,
					 err);
	if (code != VP_OK)
		return code;
	/* A replay: the same answer, nothing allocated, the grant made sure of. */
	if (view.found) {
		*rec = view.ns;
		*created = false;
		if (rec->state == VP_NS_PENDING || rec->state == VP_NS_ACTIVE)
			return ensure_grant(b, rec, request_id, err);
		return VP_OK;
	}

	/* Limits, before anything is allocated. */
	if (b->accepter == VP_PEERING_ACCEPTER_PEER_ROLE &&
	    (!view.account_found || !view.account.granted) && !vp_grants_has_room(b->grants))
		return vp_fail(err, VP_ERR_EXHAUSTED,
			       "trust policies of all %zu peer roles are full (ACLSizePerRole "
			       "quota %zu); add a --peer-role or raise the quota",
			       vp_grants_role_count(b->grants), b->trust_quota);
	code = check_limits(b, caller->account, view.live_count + 1, view.account_live_count + 1,
			    err);
	if (code != VP_OK)
		return code;

	vp_broker_principal_of(caller->arn, principal, sizeof(principal));
	code = vp_registry_allocate_by(b->registry, caller->account, principal, req->client_ref,
				       labels, request_id, b->pending_ttl, rec, created, err);
	if (code != VP_OK)
		return code;
	if (!*created) { /* a concurrent request with the same key won */
		if (rec->state == VP_NS_PENDING || rec->state == VP_NS_ACTIVE)
			return ensure_grant(b, rec, request_id, err);
		return VP_OK;
	}

	vp_crash_point("register.after_allocate");
	/*
	 * Concurrent registrations passed the checks together: the oldest ones
	 * fit. Allocations commit in record-id order, so this one's rank (the
	 * counted namespaces no younger than it) is what it holds.
	 */
	code = vp_registry_register_view(b->registry, caller->account, NULL, rec->id, &view, err);
	if (code == VP_OK)
		code = check_limits(b, caller->account, view.rank, view.account_rank, err);
	if (code == VP_OK)
		code = ensure_grant(b, rec, request_id, err);
	if (code == VP_OK && b->tgw && view.account_rank == 1) /* the account's first: counted */
		vp_broker_tgw_count_principal(b, 1);
	if (code != VP_OK)
		undo_allocation(b, rec, request_id);
	return code;
}

vp_code vp_broker_register(struct vp_broker *b, const struct vp_identity *caller,
			   const struct vp_register_request *req, const char *request_id,
			   struct vp_registration *out, bool *created, struct vp_error *err)
{
	struct vp_namespace_record *rec = calloc(1, sizeof(*rec));
	bool is_new = false;
	vp_code code;

	if (!rec)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	if (!request_id)
		request_id = "";
	code = do_register(b, caller, req, request_id, rec, &is_new, err);
	if (code == VP_OK) {
		vp_broker_fill(b, rec, out);
		if (created)
			*created = is_new;
	}
	vp_broker_outcome(b, is_new || code != VP_OK ? "register" : "register-replay", request_id,
			  caller ? caller->account : "", code == VP_OK ? rec->n : 0, code, err);
	free(rec);
	return code;
}
