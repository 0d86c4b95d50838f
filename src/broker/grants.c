/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Grants: the peer roles' trust policies, changed in batches by one leader
 * at a time per role (grants.h has the contract, docs/broker.md the design).
 */
#include "broker/grants.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/metrics.h"
#include "aws/iam.h"
#include "broker/crash.h"
#include "broker/accounts.h"
#include "broker/outcome.h"
#include "broker/policy.h"
#include "core/clock.h"
#include "core/log.h"
#include "registry/registry.h"

struct op {
	struct op *next;
	const char *account;
	const char *request_id;
	bool add;
	/* Outcome, written by the leader, read after done. */
	bool done;
	bool changed; /* the document changed for this op */
	bool full;    /* an addition that would pass the quota */
	vp_code code;
	struct vp_error err;
};

struct role {
	char name[VP_GRANTS_ROLE_NAME_MAX + 1];
	char arn[VP_REGISTRY_ARN_MAX + 1];
	char lock_name[VP_GRANTS_ROLE_NAME_MAX + 8];
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct op *head, *tail; /* queued, not yet taken by a leader */
	bool leading;           /* a batch is running */
	bool room;              /* one more account fitted when last seen */
	int64_t settle_until;   /* monotonic ms: additions before this may not have propagated */
};

struct vp_grants {
	struct vp_aws_client *aws;
	struct vp_registry *registry;
	struct vp_metrics *metrics;
	char partition[16];
	size_t quota;
	int64_t settle_ms;
	struct role roles[VP_GRANTS_MAX_ROLES];
	size_t role_count;
};

/* Whether one more account (a placeholder id) still fits in the document. */
static bool document_has_room(const struct vp_grants *g, struct vp_trust_policy *policy)
{
	bool changed = false, room;

	if (vp_policy_add_account(policy, g->partition, "000000000000", &changed, NULL) != VP_OK)
		return false;
	room = vp_policy_quota_size(policy) <= g->quota;
	if (changed)
		vp_ignore(vp_policy_remove_account(policy, "000000000000", &changed, NULL));
	return room;
}

vp_code vp_grants_new(const struct vp_grants_config *cfg, struct vp_grants **out,
		      struct vp_error *err)
{
	struct vp_grants *g;

	if (cfg->role_count < 1 || cfg->role_count > VP_GRANTS_MAX_ROLES)
		return vp_fail(err, VP_ERR_INVALID, "between 1 and %d peer roles are needed",
			       VP_GRANTS_MAX_ROLES);
	if (!(g = calloc(1, sizeof(*g))))
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	g->aws = cfg->aws;
	g->registry = cfg->registry;
	g->metrics = cfg->metrics;
	snprintf(g->partition, sizeof(g->partition), "%s", cfg->partition ? cfg->partition : "aws");
	g->quota = cfg->quota;
	g->settle_ms = cfg->settle_ms;
	for (size_t i = 0; i < cfg->role_count; i++) {
		struct role *r = &g->roles[i];
		const struct vp_grants_role *in = &cfg->roles[i];
		struct vp_trust_policy *policy = NULL;

		if (strlen(in->name) > VP_GRANTS_ROLE_NAME_MAX ||
		    strlen(in->arn) > VP_REGISTRY_ARN_MAX) {
			vp_grants_free(g);
			return vp_fail(err, VP_ERR_INVALID, "peer role name or ARN too long");
		}
		memcpy(r->name, in->name, strlen(in->name) + 1);
		memcpy(r->arn, in->arn, strlen(in->arn) + 1);
		snprintf(r->lock_name, sizeof(r->lock_name), "trust:%s", in->name);
		pthread_mutex_init(&r->mu, NULL);
		pthread_cond_init(&r->cv, NULL);
		g->role_count++;
		r->room = true;
		if (in->document &&
		    vp_policy_parse(in->document, strlen(in->document), &policy, NULL) == VP_OK)
			r->room = document_has_room(g, policy);
		vp_policy_free(policy);
	}
	*out = g;
	return VP_OK;
}

void vp_grants_free(struct vp_grants *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->role_count; i++) {
		pthread_cond_destroy(&g->roles[i].cv);
		pthread_mutex_destroy(&g->roles[i].mu);
	}
	free(g);
}

int vp_grants_role_index(const struct vp_grants *g, const char *arn)
{
	for (size_t i = 0; arn && i < g->role_count; i++)
		if (strcmp(g->roles[i].arn, arn) == 0)
			return (int)i;
	return -1;
}

const char *vp_grants_role_arn(const struct vp_grants *g, size_t index)
{
	return index < g->role_count ? g->roles[index].arn : NULL;
}

size_t vp_grants_role_count(const struct vp_grants *g)
{
	return g->role_count;
}

bool vp_grants_has_room(struct vp_grants *g)
{
	bool room = false;

	for (size_t i = 0; i < g->role_count && !room; i++) {
		pthread_mutex_lock(&g->roles[i].mu);
		room = g->roles[i].room;
		pthread_mutex_unlock(&g->roles[i].mu);
	}
	return room;
}

static void fail_all(struct op *ops, vp_code code, const struct vp_error *e)
{
	for (struct op *o = ops; o; o = o->next) {
		o->code = code;
		o->err = *e;
	}
}

/*
 * A removal's registry side, before the document is read: record the account
 * as not granted, then look for a namespace that still needs the grant. Either
 * a registration allocated before this check (then it is seen here) or it
 * reads the account record after the write above and queues an addition.
 * Returns whether the account is to be removed from the document.
 */
static bool removal_decide(struct vp_grants *g, struct role *r, struct op *o)
{
	bool in_use = true;

	o->code = vp_registry_account_upsert(g->registry, o->account, r->arn, false, o->request_id,
					     NULL, &o->err);
	if (o->code == VP_OK)
		o->code = vp_broker_account_in_use(g->registry, o->account, &in_use, &o->err);
	if (o->code != VP_OK)
		return false;
	if (in_use)
		o->code = vp_registry_account_upsert(g->registry, o->account, r->arn, true,
						     o->request_id, NULL, &o->err);
	return !in_use;
}

/* One batch on one role, by its leader, outside the role's mutex. */
static void run_batch(struct vp_grants *g, struct role *r, struct op *ops, size_t count)
{
	struct vp_registry_lock *lock = NULL;
	struct vp_trust_policy *policy = NULL;
	struct vp_aws_iam_role *role = NULL;
	struct vp_aws_error aerr;
	struct vp_error e;
	bool need_document = false, changed_any = false, added_any = false, room = true;
	char *text = NULL;
	vp_code code;

	if (g->metrics)
		vp_metrics_observe(g->metrics, VP_BROKER_METRIC_TRUST_BATCH,
				   (const char *const[]){"role", r->name, NULL}, (double)count);
	code = vp_registry_lock(g->registry, r->lock_name, VP_GRANTS_LOCK_TIMEOUT_MS, &lock, &e);
	if (code != VP_OK) {
		fail_all(ops, code, &e);
		return;
	}
	for (struct op *o = ops; o; o = o->next) {
		o->code = VP_OK;
		if (o->add) {
			need_document = true;
		} else {
			/* o->changed marks "to remove" until the document is read */
			o->changed = removal_decide(g, r, o);
			need_document |= o->changed;
		}
	}
	if (!need_document)
		goto out;

	code = vp_aws_iam_get_role(g->aws, r->name, &role, &aerr);
	vp_broker_note_aws(g->metrics, "GetRole", code, &aerr);
	if (code == VP_OK && !role->assume_role_policy_document)
		code = vp_aws_error_fail(&aerr, VP_ERR_AWS, "GetRole %s: no trust policy", r->name);
	if (code != VP_OK) {
		vp_broker_aws_fail(&e, &aerr, "reading the trust policy");
		goto fail;
	}
	code = vp_policy_parse(role->assume_role_policy_document,
			       strlen(role->assume_role_policy_document), &policy, &e);
	if (code != VP_OK) {
		vp_error_prefix(&e, "trust policy of %s", r->name);
		goto fail;
	}
	/* Removals first: they make room for the additions. */
	for (struct op *o = ops; o; o = o->next) {
		bool changed = false;
		if (o->add || !o->changed)
			continue;
		o->code = vp_policy_remove_account(policy, o->account, &changed, &o->err);
		o->changed = o->code == VP_OK && changed;
		changed_any |= o->changed;
	}
	for (struct op *o = ops; o; o = o->next) {
		bool changed = false;
		if (!o->add)
			continue;
		o->code =
			vp_policy_add_account(policy, g->partition, o->account, &changed, &o->err);
		if (o->code != VP_OK || !changed)
			continue;
		if (vp_policy_quota_size(policy) > g->quota) {
			vp_ignore(vp_policy_remove_account(policy, o->account, &changed, NULL));
			o->full = true;
			o->code =
				vp_fail(&o->err, VP_ERR_EXHAUSTED,
					"the trust policy of %s is full (ACLSizePerRole quota %zu)",
					r->name, g->quota);
			continue;
		}
		o->changed = true;
		changed_any = added_any = true;
	}
	room = document_has_room(g, policy);
	if (changed_any) {
		if (!(text = vp_policy_serialize(policy))) {
			code = vp_fail(&e, VP_ERR_NOMEM, "out of memory");
			goto fail_changed;
		}
		vp_crash_point("grants.before_update");
		code = vp_aws_iam_update_assume_role_policy(g->aws, r->name, text, &aerr);
		vp_broker_note_aws(g->metrics, "UpdateAssumeRolePolicy", code, &aerr);
		if (code == VP_OK)
			vp_crash_point("grants.after_update");
		if (code != VP_OK) {
			vp_broker_aws_fail(&e, &aerr, "updating the trust policy");
			goto fail_changed;
		}
	}
	/* The registry follows the document: each account added (or already there) is granted. */
	for (struct op *o = ops; o; o = o->next)
		if (o->add && o->code == VP_OK)
			o->code = vp_registry_account_upsert(g->registry, o->account, r->arn, true,
							     o->request_id, NULL, &o->err);
	if (added_any) {
		pthread_mutex_lock(&r->mu);
		r->settle_until = vp_clock_monotonic_ms() + g->settle_ms;
		pthread_mutex_unlock(&r->mu);
	}
	pthread_mutex_lock(&r->mu);
	r->room = room;
	pthread_mutex_unlock(&r->mu);
	if (changed_any) {
		size_t changes = 0;
		for (struct op *o = ops; o; o = o->next)
			changes += o->changed;
		vp_log(VP_LOG_INFO, "trust policy of %s updated: %zu change(s) in a batch of %zu",
		       r->name, changes, count);
	}
	goto out;

fail_changed:
	/* Nothing was written: the ops that changed the document fail; removals stay granted. */
	for (struct op *o = ops; o; o = o->next) {
		if (!o->changed)
			continue;
		o->code = code;
		o->err = e;
		if (!o->add)
			vp_ignore(vp_registry_account_upsert(g->registry, o->account, r->arn, true,
							     o->request_id, NULL, NULL));
	}
	goto out;
fail:
	for (struct op *o = ops; o; o = o->next) {
		if (!o->add && !o->changed)
			continue; /* a removal decided against (or failed) already: its own outcome
				   */
		if (!o->add && o->changed)
			vp_ignore(vp_registry_account_upsert(g->registry, o->account, r->arn, true,
							     o->request_id, NULL, NULL));
		o->code = code;
		o->err = e;
	}
out:
	free(text);
	vp_policy_free(policy);
	vp_aws_iam_role_free(role);
	vp_registry_unlock(lock);
}

/* Queue one op on a role and wait for its outcome (leading a batch when none is running). */
static void submit(struct vp_grants *g, struct role *r, struct op *op)
{
	pthread_mutex_lock(&r->mu);
	if (r->tail)
		r->tail->next = op;
	else
		r->head = op;
	r->tail = op;
	while (!op->done) {
		struct op *batch;
		size_t count = 0;

		if (r->leading) {
			pthread_cond_wait(&r->cv, &r->mu);
			continue;
		}
		r->leading = true;
		batch = r->head;
		r->head = r->tail = NULL;
		pthread_mutex_unlock(&r->mu);
		for (struct op *o = batch; o; o = o->next)
			count++;
		run_batch(g, r, batch, count);
		pthread_mutex_lock(&r->mu);
		while (batch) {
			struct op *next = batch->next;
			batch->next = NULL;
			batch->done = true;
			batch = next;
		}
		r->leading = false;
		pthread_cond_broadcast(&r->cv);
	}
	pthread_mutex_unlock(&r->mu);
}

vp_code vp_grants_add(struct vp_grants *g, const char *account, int preferred,
		      const char *request_id, size_t *role, bool *added, struct vp_error *err)
{
	size_t order[VP_GRANTS_MAX_ROLES], n = 0;

	if (!vp_ids_account_valid(account))
		return vp_fail(err, VP_ERR_INVALID, "account id is not 12 digits");
	if (preferred >= 0 && (size_t)preferred < g->role_count)
		order[n++] = (size_t)preferred;
	for (size_t i = 0; i < g->role_count; i++)
		if ((int)i != preferred)
			order[n++] = i;
	for (size_t k = 0; k < n; k++) {
		struct role *r = &g->roles[order[k]];
		struct op op = {.account = account,
				.request_id = request_id ? request_id : "",
				.add = true};
		int64_t until;

		submit(g, r, &op);
		if (op.code != VP_OK && op.full)
			continue;
		if (op.code != VP_OK) {
			if (err)
				*err = op.err;
			return op.code;
		}
		pthread_mutex_lock(&r->mu);
		until = r->settle_until;
		pthread_mutex_unlock(&r->mu);
		/* IAM propagation: this account's addition, or one still settling, may not be
		 * visible yet. */
		vp_clock_sleep_ms(until - vp_clock_monotonic_ms());
		*role = order[k];
		if (added)
			*added = op.changed;
		return VP_OK;
	}
	return vp_fail(
		err, VP_ERR_EXHAUSTED,
		"trust policies of all %zu peer roles are full (ACLSizePerRole quota %zu); add "
		"a --peer-role or raise the quota",
		g->role_count, g->quota);
}

vp_code vp_grants_remove(struct vp_grants *g, const char *account, size_t role,
			 const char *request_id, bool *removed, struct vp_error *err)
{
	struct op op = {
		.account = account, .request_id = request_id ? request_id : "", .add = false};

	if (role >= g->role_count)
		return vp_fail(err, VP_ERR_INVALID, "no peer role %zu", role);
	if (!vp_ids_account_valid(account))
		return vp_fail(err, VP_ERR_INVALID, "account id is not 12 digits");
	submit(g, &g->roles[role], &op);
	if (op.code != VP_OK) {
		if (err)
			*err = op.err;
		return op.code;
	}
	if (removed)
		*removed = op.changed;
	return VP_OK;
}
