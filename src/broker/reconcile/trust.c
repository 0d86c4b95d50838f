/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reconciler check 4, trust entries: accounts in the broker's statement with
 * no live namespace that needs them (in broker mode: none registered in
 * peer-role mode) are removed (when this registry knows them), live
 * accounts missing from every statement are added again, and account
 * records are set right.
 */
#include <stdlib.h>
#include <string.h>

#include "aws/iam.h"
#include "broker/grants.h"
#include "broker/internal.h"
#include "broker/policy.h"
#include "broker/reconcile/internal.h"

/*
 * Whether a live namespace needs its account's trust entry: pending, active or
 * failed, and in broker mode only one registered in peer-role mode (it has a
 * peer role ARN): a broker-mode namespace needs no role in the hub.
 */
static bool needs_grant(const struct vp_reconcile_pass *p, const struct vp_namespace_record *rec)
{
	if (rec->state == VP_NS_RELEASING)
		return false;
	return p->b->accepter == VP_PEERING_ACCEPTER_PEER_ROLE || rec->peer_role_arn[0] != '\0';
}

/* Whether the account has a namespace that needs its grant (in this pass's view). */
static bool account_live(const struct vp_reconcile_pass *p, const char *account)
{
	for (size_t i = 0; i < p->live_count; i++)
		if (needs_grant(p, &p->live[i]) && strcmp(p->live[i].account, account) == 0)
			return true;
	return false;
}

/*
 * Whether this registry has ever had the account (an account record, or any
 * namespace record, released ones included). An entry of an account it never
 * knew was not added through it: another broker's registry, or a broker started
 * on a new, empty database by mistake. Such entries are reported, not removed,
 * so that mistake cannot strip every client's trust.
 */
static bool account_known(const struct vp_reconcile_pass *p, const char *account)
{
	struct vp_registry_filter filter = {0, account, 0};
	struct vp_namespace_record one;
	struct vp_account_record rec;
	int64_t next = 0;
	size_t count = 0;

	if (vp_registry_account_get(p->b->registry, account, &rec, NULL) == VP_OK)
		return true;
	/* When the registry cannot say, err on the side of keeping the entry. */
	return vp_registry_list(p->b->registry, &filter, &one, 1, &count, &next, NULL) == VP_OK &&
	       count > 0;
}

struct role_doc {
	char (*accounts)[VP_IDS_ACCOUNT_LEN + 1];
	size_t count;
};

static bool in_doc(const struct role_doc *d, const char *account)
{
	for (size_t i = 0; i < d->count; i++)
		if (strcmp(d->accounts[i], account) == 0)
			return true;
	return false;
}

static vp_code read_role(struct vp_reconcile_pass *p, size_t index, struct role_doc *out,
			 struct vp_error *err)
{
	const char *arn = vp_grants_role_arn(p->b->grants, index);
	const char *name = strrchr(arn, '/');
	struct vp_aws_iam_role *role = NULL;
	struct vp_trust_policy *policy = NULL;
	struct vp_aws_error aerr;
	size_t total;
	vp_code code;

	name = name ? name + 1 : arn;
	code = vp_aws_iam_get_role(p->b->aws, name, &role, &aerr);
	vp_broker_note_aws(p->b->metrics, "GetRole", code, &aerr);
	if (code != VP_OK)
		return vp_broker_aws_fail(err, &aerr, "reading a peer role's trust policy");
	if (!role->assume_role_policy_document) {
		vp_aws_iam_role_free(role);
		return vp_fail(err, VP_ERR_AWS, "peer role %s has no trust policy", name);
	}
	code = vp_policy_parse(role->assume_role_policy_document,
			       strlen(role->assume_role_policy_document), &policy, err);
	vp_aws_iam_role_free(role);
	if (code != VP_OK) {
		vp_error_prefix(err, "trust policy of %s", name);
		return code;
	}
	total = vp_policy_accounts(policy, NULL, 0);
	out->accounts = calloc(total + 1, sizeof(*out->accounts));
	if (!out->accounts) {
		vp_policy_free(policy);
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	}
	out->count = vp_policy_accounts(policy, out->accounts, total);
	if (out->count > total)
		out->count = total;
	vp_policy_free(policy);
	return VP_OK;
}

static const char *role_name(struct vp_reconcile_pass *p, size_t index)
{
	const char *arn = vp_grants_role_arn(p->b->grants, index);
	const char *slash = strrchr(arn, '/');
	return slash ? slash + 1 : arn;
}

vp_code vp_reconcile_check_trust(struct vp_reconcile_pass *p, struct vp_error *err)
{
	size_t roles = p->b->grants ? vp_grants_role_count(p->b->grants) : 0;
	struct role_doc docs[VP_GRANTS_MAX_ROLES] = {0};
	int64_t docs_read_at;
	vp_code code = VP_OK;

	if (!p->b->grants)
		return VP_OK; /* broker mode with no --peer-role: no trust policy to check */
	/* The policies are as of now: an account record changed from here on (a grant or a
	 * revocation by a workflow) is newer than what they say (defect 2 of issue 23). */
	docs_read_at = vp_registry_time_now(p->b->registry);
	p->r->roles = roles;
	for (size_t i = 0; i < roles && code == VP_OK; i++) {
		code = read_role(p, i, &docs[i], err);
		if (code == VP_OK)
			p->r->trust_entries += docs[i].count;
	}
	if (code != VP_OK)
		goto out;

	/* Broker-added entries of accounts with no live namespace: removed. */
	for (size_t i = 0; i < roles && !vp_reconcile_stopping(p); i++) {
		for (size_t k = 0; k < docs[i].count; k++) {
			const char *acct = docs[i].accounts[k];
			struct vp_reconcile_item *it;
			bool removed = false;
			struct vp_error e;

			if (account_live(p, acct))
				continue;
			it = vp_reconcile_add_item(p, VP_RECONCILE_REMOVE_TRUST, 0, acct);
			if (it)
				vp_reconcile_copy(it->role, sizeof(it->role), role_name(p, i));
			if (!account_known(p, acct)) {
				vp_reconcile_detail(
					it,
					"account %s is in %s's trust policy but unknown to this "
					"registry: "
					"kept (is this broker on the right --db? remove it by hand "
					"if stale)",
					acct, role_name(p, i));
				vp_reconcile_set_outcome(it, VP_RECONCILE_REPORTED, NULL);
				continue;
			}
			vp_reconcile_detail(
				it, "account %s is in %s's trust policy with no live namespace",
				acct, role_name(p, i));
			if (!vp_reconcile_may_destroy(p, it) || p->opts->dry_run)
				continue;
			if (vp_grants_remove(p->b->grants, acct, i, p->rid, &removed, &e) != VP_OK)
				vp_reconcile_set_outcome(it, VP_RECONCILE_FAILED, &e);
			else if (!removed)
				vp_reconcile_set_outcome(it, VP_RECONCILE_SKIPPED,
							 NULL); /* registered meanwhile */
		}
	}

	/* Live accounts missing from every statement: added; records set right. */
	for (size_t i = 0; i < p->live_count && !vp_reconcile_stopping(p); i++) {
		const struct vp_namespace_record *rec = &p->live[i];
		struct vp_account_record acct;
		struct vp_reconcile_item *it;
		int where = -1, preferred = -1;
		bool seen = false, has_record;
		struct vp_error e;

		if (!needs_grant(p, rec))
			continue;
		for (size_t k = 0; k < i && !seen; k++) /* each account once */
			seen = needs_grant(p, &p->live[k]) &&
			       strcmp(p->live[k].account, rec->account) == 0;
		if (seen)
			continue;
		has_record =
			vp_registry_account_get(p->b->registry, rec->account, &acct, &e) == VP_OK;
		if (has_record)
			preferred = vp_grants_role_index(p->b->grants, acct.peer_role_arn);
		if (preferred >= 0 && in_doc(&docs[preferred], rec->account))
			where = preferred;
		for (size_t k = 0; k < roles && where < 0; k++)
			if (in_doc(&docs[k], rec->account))
				where = (int)k;
		if (where >= 0) {
			const char *arn = vp_grants_role_arn(p->b->grants, (size_t)where);
			if (has_record && acct.granted && strcmp(acct.peer_role_arn, arn) == 0)
				continue;
			it = vp_reconcile_add_item(p, VP_RECONCILE_ACCOUNT_RECORD, 0, rec->account);
			if (it)
				vp_reconcile_copy(it->role, sizeof(it->role),
						  role_name(p, (size_t)where));
			vp_reconcile_detail(
				it, "account %s is in %s's trust policy; its record said %s",
				rec->account, role_name(p, (size_t)where),
				has_record && acct.granted ? "another role" : "not granted");
			/* Compare-and-set: a record changed since the policy was read is
			 * newer than it (a revocation in between): left alone, a lost race. */
			if (p->opts->dry_run)
				continue;
			if (vp_registry_account_upsert_since(p->b->registry, rec->account, arn,
							     true, p->rid, docs_read_at, NULL,
							     &e) == VP_OK)
				continue;
			if (e.code == VP_ERR_CONFLICT) {
				vp_broker_count_lost_race(p->b, "reconcile_trust");
				vp_reconcile_set_outcome(it, VP_RECONCILE_SKIPPED, &e);
			} else {
				vp_reconcile_set_outcome(it, VP_RECONCILE_FAILED, &e);
			}
			continue;
		}
		if (preferred < 0) {
			int from_ns = vp_grants_role_index(p->b->grants, rec->peer_role_arn);
			preferred = from_ns;
		}
		it = vp_reconcile_add_item(p, VP_RECONCILE_ADD_TRUST, rec->n, rec->account);
		if (it && preferred >= 0)
			vp_reconcile_copy(it->role, sizeof(it->role),
					  role_name(p, (size_t)preferred));
		vp_reconcile_detail(
			it,
			"account %s has live namespace %lld but is in no peer role's trust policy",
			rec->account, (long long)rec->n);
		if (!p->opts->dry_run) {
			size_t role = 0;
			if (vp_grants_add(p->b->grants, rec->account, preferred, p->rid, &role,
					  NULL, &e) != VP_OK)
				vp_reconcile_set_outcome(it, VP_RECONCILE_FAILED, &e);
			else if (it)
				vp_reconcile_copy(it->role, sizeof(it->role), role_name(p, role));
		}
	}
out:
	for (size_t i = 0; i < roles; i++)
		free(docs[i].accounts);
	return code;
}
