/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Grants: the peer roles' trust policies, changed in batches by one leader
 * at a time per role (grants.h has the contract, docs/broker.md the design).
 */
#include "broker/grants.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/metrics.h"
#include "aws/iam.h"
#include "broker/crash.h"
#include "broker/grants_write.h"
#include "broker/accounts.h"
#include "broker/outcome.h"
#include "broker/policy.h"
#include "core/clock.h"
#include "core/ids.h"
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

/* A set of account ids, sorted; heap-allocated, at most VP_GRANTS_MAX_ROLE_ACCOUNTS. */
struct accounts {
	char (*ids)[VP_IDS_ACCOUNT_LEN + 1];
	size_t count;
};

struct role {
	char name[VP_GRANTS_ROLE_NAME_MAX + 1];
	char arn[VP_REGISTRY_ARN_MAX + 1];
	char lock_name[VP_GRANTS_ROLE_NAME_MAX + 8];
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_cond_t arrived; /* an op was queued while the leader gathers (monotonic clock) */
	struct op *head, *tail; /* queued, not yet taken by a leader */
	size_t queued;          /* how many ops are queued */
	bool leading;           /* a batch is running (or gathering) */
	bool gathering;         /* the leader waits for ops still arriving */
	bool room;              /* one more account fitted when last seen */
	atomic_size_t quota;  /* the ACLSizePerRole quota IAM enforces here, as it last said (0: the
			       * configured one) */
	int64_t settle_until; /* monotonic ms: additions before this may not have propagated */
	/* Touched only by the leader (under the registry lock): the document this process last
	 * wrote (or read and merged), when, and the accounts the registry then granted in it. */
	char *known;
	int64_t known_at;
	struct accounts left;
	/* The known document's size as IAM's quota counts it (0: not known); read by the
	 * metrics at any time, hence atomic. */
	atomic_size_t known_size;
};

struct vp_grants {
	struct vp_aws_client *aws;
	struct vp_registry *registry;
	struct vp_metrics *metrics;
	char partition[16];
	size_t quota;
	int64_t settle_ms;
	int64_t reuse_ms;
	int64_t gather_ms;
	struct role roles[VP_GRANTS_MAX_ROLES];
	size_t role_count;
};

static void forget(struct role *r);

/* The role's quota: the configured one, or lower where IAM said so (LimitExceeded). */
static size_t role_quota(const struct vp_grants *g, struct role *r)
{
	size_t q = atomic_load(&r->quota);

	return q > 0 && q < g->quota ? q : g->quota;
}

/* Whether one more account (a placeholder id) still fits in the document. */
static bool document_has_room(const struct vp_grants *g, size_t quota,
			      struct vp_trust_policy *policy)
{
	bool changed = false, room;

	if (vp_policy_add_account(policy, g->partition, "000000000000", &changed, NULL) != VP_OK)
		return false;
	room = vp_policy_quota_size(policy) <= quota;
	if (changed)
		vp_ignore(vp_policy_remove_account(policy, "000000000000", &changed, NULL));
	return room;
}

vp_code vp_grants_new(const struct vp_grants_config *cfg, struct vp_grants **out,
		      struct vp_error *err)
{
	struct vp_grants *g;
	pthread_condattr_t monotonic;

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
	g->reuse_ms = cfg->reuse_ms == 0 ? VP_GRANTS_REUSE_MS : cfg->reuse_ms;
	g->gather_ms = cfg->gather_ms == 0 ? VP_GRANTS_GATHER_MS : cfg->gather_ms;
	pthread_condattr_init(&monotonic);
	pthread_condattr_setclock(&monotonic, CLOCK_MONOTONIC);
	for (size_t i = 0; i < cfg->role_count; i++) {
		struct role *r = &g->roles[i];
		const struct vp_grants_role *in = &cfg->roles[i];
		struct vp_trust_policy *policy = NULL;

		if (strlen(in->name) > VP_GRANTS_ROLE_NAME_MAX ||
		    strlen(in->arn) > VP_REGISTRY_ARN_MAX) {
			pthread_condattr_destroy(&monotonic);
			vp_grants_free(g);
			return vp_fail(err, VP_ERR_INVALID, "peer role name or ARN too long");
		}
		memcpy(r->name, in->name, strlen(in->name) + 1);
		memcpy(r->arn, in->arn, strlen(in->arn) + 1);
		snprintf(r->lock_name, sizeof(r->lock_name), "trust:%s", in->name);
		pthread_mutex_init(&r->mu, NULL);
		pthread_cond_init(&r->cv, NULL);
		pthread_cond_init(&r->arrived, &monotonic);
		g->role_count++;
		r->room = true;
		if (in->document &&
		    vp_policy_parse(in->document, strlen(in->document), &policy, NULL) == VP_OK)
			r->room = document_has_room(g, g->quota, policy);
		vp_policy_free(policy);
	}
	pthread_condattr_destroy(&monotonic);
	*out = g;
	return VP_OK;
}

void vp_grants_free(struct vp_grants *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->role_count; i++) {
		forget(&g->roles[i]);
		pthread_cond_destroy(&g->roles[i].cv);
		pthread_cond_destroy(&g->roles[i].arrived);
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

static int id_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static bool accounts_has(const struct accounts *set, const char *id)
{
	return set->count > 0 &&
	       bsearch(id, set->ids, set->count, sizeof(*set->ids), id_cmp) != NULL;
}

static void accounts_free(struct accounts *set)
{
	free(set->ids);
	set->ids = NULL;
	set->count = 0;
}

#define SCAN_PAGE 100

/* The accounts the registry records as granted in this role, sorted. */
static vp_code registry_granted(struct vp_grants *g, const struct role *r, struct accounts *out,
				struct vp_error *err)
{
	struct vp_account_record *page = malloc(SCAN_PAGE * sizeof(*page));
	struct accounts set = {.ids = malloc(VP_GRANTS_MAX_ROLE_ACCOUNTS * sizeof(*set.ids))};
	char after[VP_IDS_ACCOUNT_LEN + 1] = "";
	size_t count = 0;
	vp_code code = VP_OK;

	if (!page || !set.ids) {
		code = vp_fail(err, VP_ERR_NOMEM, "out of memory");
		goto out;
	}
	do {
		code = vp_registry_account_list(g->registry, after, page, SCAN_PAGE, &count, err);
		for (size_t i = 0; code == VP_OK && i < count; i++) {
			if (!page[i].granted || strcmp(page[i].peer_role_arn, r->arn) != 0)
				continue;
			if (set.count == VP_GRANTS_MAX_ROLE_ACCOUNTS)
				code = vp_fail(
					err, VP_ERR_INVALID,
					"the registry says more than %d accounts are granted "
					"in %s; run vpcpeer reconcile",
					VP_GRANTS_MAX_ROLE_ACCOUNTS, r->name);
			else
				memcpy(set.ids[set.count++], page[i].account, sizeof(*set.ids));
		}
		if (code == VP_OK && count > 0)
			memcpy(after, page[count - 1].account, sizeof(after));
	} while (code == VP_OK && count == SCAN_PAGE);
out:
	free(page);
	if (code != VP_OK) {
		free(set.ids);
		return code;
	}
	qsort(set.ids, set.count, sizeof(*set.ids), id_cmp);
	*out = set;
	return VP_OK;
}

/* Whether an op of this batch removes the account (its registry record already says so). */
static bool batch_removes(const struct op *ops, const char *account)
{
	for (const struct op *o = ops; o; o = o->next)
		if (!o->add && o->changed && strcmp(o->account, account) == 0)
			return true;
	return false;
}

/*
 * Whether the registry's grants in this role are the ones this process left after its last
 * batch, apart from this batch's removals: then no other broker has changed the role since.
 */
static bool grants_unchanged(const struct role *r, const struct accounts *granted,
			     const struct op *ops)
{
	for (size_t i = 0; i < granted->count; i++)
		if (!accounts_has(&r->left, granted->ids[i]))
			return false;
	for (size_t i = 0; i < r->left.count; i++)
		if (!accounts_has(granted, r->left.ids[i]) && !batch_removes(ops, r->left.ids[i]))
			return false;
	return true;
}

/*
 * The document to change: the one this process last knew when nothing says it changed since
 * (known within reuse_ms, and the registry's grants are the ones it left), else GetRole's.
 */
static vp_code read_document(struct vp_grants *g, struct role *r, const struct accounts *granted,
			     const struct op *ops, struct vp_trust_policy **out,
			     struct vp_error *err)
{
	struct vp_aws_iam_role *role = NULL;
	struct vp_aws_error aerr;
	vp_code code;

	if (r->known && g->reuse_ms > 0 && vp_clock_monotonic_ms() - r->known_at < g->reuse_ms &&
	    grants_unchanged(r, granted, ops) &&
	    vp_policy_parse(r->known, strlen(r->known), out, NULL) == VP_OK)
		return VP_OK;
	code = vp_aws_iam_get_role(g->aws, r->name, &role, &aerr);
	vp_broker_note_aws(g->metrics, "GetRole", code, &aerr);
	if (code == VP_OK && !role->assume_role_policy_document)
		code = vp_aws_error_fail(&aerr, VP_ERR_AWS, "GetRole %s: no trust policy", r->name);
	if (code != VP_OK) {
		vp_aws_iam_role_free(role);
		return vp_broker_aws_fail(err, &aerr, "reading the trust policy");
	}
	code = vp_policy_parse(role->assume_role_policy_document,
			       strlen(role->assume_role_policy_document), out, err);
	if (code != VP_OK)
		vp_error_prefix(err, "trust policy of %s", r->name);
	vp_aws_iam_role_free(role);
	return code;
}

/*
 * The registry is the truth for the principals vpcpeer manages (docs/broker.md, "Stale
 * reads"): an account granted in this role goes in, an account the registry knows but not
 * as granted in this role comes out (this batch's own removals are left to their ops).
 * Accounts it has no record of, and the document's other statements, stay as read. *fixed
 * says whether the document changed.
 */
static vp_code merge_registry(struct vp_grants *g, const struct role *r,
			      struct vp_trust_policy *policy, const struct accounts *granted,
			      const struct op *ops, bool *fixed, struct vp_error *err)
{
	size_t total = vp_policy_accounts(policy, NULL, 0);
	char(*in_doc)[VP_IDS_ACCOUNT_LEN + 1] = calloc(total + 1, sizeof(*in_doc));
	vp_code code = VP_OK;
	bool changed;

	if (!in_doc)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	total = vp_policy_accounts(policy, in_doc, total);
	for (size_t i = 0; i < total && code == VP_OK; i++) {
		struct vp_account_record rec;

		if (accounts_has(granted, in_doc[i]) || batch_removes(ops, in_doc[i]))
			continue;
		code = vp_registry_account_get(g->registry, in_doc[i], &rec, err);
		if (code == VP_ERR_NOT_FOUND) {
			code = VP_OK; /* not vpcpeer's: kept */
			continue;
		}
		if (code == VP_OK)
			code = vp_policy_remove_account(policy, in_doc[i], &changed, err);
		if (code == VP_OK && changed) {
			*fixed = true;
			vp_log(VP_LOG_INFO,
			       "trust policy of %s: account %s read back but not granted there in "
			       "the registry (a stale read?): left out",
			       r->name, in_doc[i]);
		}
	}
	for (size_t i = 0; i < granted->count && code == VP_OK; i++) {
		code = vp_policy_add_account(policy, g->partition, granted->ids[i], &changed, err);
		if (code == VP_OK && changed) {
			*fixed = true;
			vp_log(VP_LOG_INFO,
			       "trust policy of %s: account %s granted there in the registry but "
			       "missing from the document read (a stale read?): put back",
			       r->name, granted->ids[i]);
		}
	}
	free(in_doc);
	return code;
}

/*
 * After a batch: remember the document (text is taken) and the accounts the registry now
 * grants in this role, which are those of the document that were granted or added by the
 * batch with their record written.
 */
static void remember(struct role *r, char *text, const struct vp_trust_policy *policy,
		     const struct accounts *granted, const struct op *ops)
{
	size_t total = vp_policy_accounts(policy, NULL, 0);
	struct accounts left = {.ids = calloc(total + 1, sizeof(*left.ids))};

	free(r->known);
	r->known = NULL;
	accounts_free(&r->left);
	if (!left.ids) {
		free(text);
		return;
	}
	total = vp_policy_accounts(policy, left.ids, total);
	for (size_t i = 0; i < total; i++) {
		bool keep = accounts_has(granted, left.ids[i]);
		for (const struct op *o = ops; o && !keep; o = o->next)
			keep = o->add && o->code == VP_OK && strcmp(o->account, left.ids[i]) == 0;
		if (keep)
			memmove(left.ids[left.count++], left.ids[i], sizeof(*left.ids));
	}
	qsort(left.ids, left.count, sizeof(*left.ids), id_cmp);
	r->left = left;
	r->known = text;
	r->known_at = vp_clock_monotonic_ms();
	atomic_store(&r->known_size, vp_policy_quota_size(policy));
}

/* Forget the document: the next batch reads it (after a failure, IAM may hold either). */
static void forget(struct role *r)
{
	free(r->known);
	r->known = NULL;
	accounts_free(&r->left);
}

/*
 * IAM answered LimitExceeded: its quota for this role is lower than the configured one. Record
 * it (the role's quota from now on), fail this batch's additions as full (vp_grants_add moves
 * them to the next role) and write the rest of the batch, if any, without them.
 */
static vp_code over_quota(struct vp_grants *g, struct role *r, struct vp_trust_policy *policy,
			  struct op *ops, char **text, bool *added_any, size_t said,
			  struct vp_error *e)
{
	size_t size = vp_policy_quota_size(policy);
	struct vp_grants_write again;
	bool changed, other = false;

	for (struct op *o = ops; o; o = o->next) {
		if (o->add && o->changed && o->code == VP_OK) {
			vp_ignore(vp_policy_remove_account(policy, o->account, &changed, NULL));
			o->changed = false;
			o->full = true;
			o->code = vp_fail(&o->err, VP_ERR_EXHAUSTED, "%s", e->message);
		} else if (!o->add && o->changed) {
			other = true;
		}
	}
	atomic_store(&r->quota, said > 0 && said < size ? said : size - 1);
	vp_log(VP_LOG_WARN,
	       "trust policy of %s: IAM enforces an ACLSizePerRole quota of %zu here, not %zu "
	       "(--trust-policy-quota): the role counts as full past it",
	       r->name, role_quota(g, r), g->quota);
	*added_any = false;
	free(*text);
	if (!(*text = vp_policy_serialize(policy)))
		return vp_fail(e, VP_ERR_NOMEM, "out of memory");
	if (!other)
		return VP_OK; /* nothing else to write: the document stays as IAM has it */
	return vp_grants_write(g->aws, g->metrics, r->name, policy, text, &again, e);
}

/* Principals IAM refused, written out of the document: an addition of one fails, and the
 * registry no longer counts it granted here (no later batch puts it back). */
static void drop_refused(struct vp_grants *g, struct role *r, struct op *ops,
			 const struct vp_grants_write *written)
{
	for (size_t i = 0; i < written->dropped_count; i++) {
		const char *id = written->dropped[i];
		struct vp_account_record rec;

		for (struct op *o = ops; o; o = o->next)
			if (o->add && o->code == VP_OK && strcmp(o->account, id) == 0) {
				o->changed = false;
				o->code = vp_fail(&o->err, VP_ERR_CONFLICT,
						  "IAM refuses account %s as a principal of %s "
						  "(Invalid principal in policy): check the "
						  "account id",
						  id, r->name);
			}
		if (vp_registry_account_get(g->registry, id, &rec, NULL) == VP_OK)
			vp_ignore(vp_registry_account_upsert(g->registry, id, r->arn, false, "",
							     NULL, NULL));
	}
}

/* One batch on one role, by its leader, outside the role's mutex. */
static void run_batch(struct vp_grants *g, struct role *r, struct op *ops, size_t count)
{
	struct vp_registry_lock *lock = NULL;
	struct vp_trust_policy *policy = NULL;
	struct accounts granted = {0};
	struct vp_grants_write written;
	struct vp_error e;
	bool need_document = false, changed_any = false, added_any = false, room = true;
	bool fixed = false;
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

	/* The registry's grants are read under the lock, after the removals' records. */
	if ((code = registry_granted(g, r, &granted, &e)) != VP_OK ||
	    (code = read_document(g, r, &granted, ops, &policy, &e)) != VP_OK ||
	    (code = merge_registry(g, r, policy, &granted, ops, &fixed, &e)) != VP_OK)
		goto fail;
	/* Removals first: they make room for the additions. A removal is written even when the
	 * document read lacks the account: the read may be stale (the account granted by the
	 * last write, not shown yet), and a write is harmless. */
	for (struct op *o = ops; o; o = o->next) {
		bool changed = false;
		if (o->add || !o->changed)
			continue;
		o->code = vp_policy_remove_account(policy, o->account, &changed, &o->err);
		o->changed = o->code == VP_OK;
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
		if (vp_policy_quota_size(policy) > role_quota(g, r)) {
			vp_ignore(vp_policy_remove_account(policy, o->account, &changed, NULL));
			o->full = true;
			o->code =
				vp_fail(&o->err, VP_ERR_EXHAUSTED,
					"the trust policy of %s is full (ACLSizePerRole quota %zu)",
					r->name, role_quota(g, r));
			continue;
		}
		o->changed = true;
		changed_any = added_any = true;
	}
	if (!(text = vp_policy_serialize(policy))) {
		code = vp_fail(&e, VP_ERR_NOMEM, "out of memory");
		goto fail_changed;
	}
	if (changed_any || fixed) {
		vp_crash_point("grants.before_update");
		code = vp_grants_write(g->aws, g->metrics, r->name, policy, &text, &written, &e);
		if (code == VP_ERR_EXHAUSTED && written.limit_exceeded)
			code = over_quota(g, r, policy, ops, &text, &added_any, written.quota, &e);
		if (code == VP_OK)
			vp_crash_point("grants.after_update");
		if (code != VP_OK)
			goto fail_changed;
		drop_refused(g, r, ops, &written);
	}
	room = document_has_room(g, role_quota(g, r), policy);
	/* The registry follows the document: each account added (or already there) is granted. */
	for (struct op *o = ops; o; o = o->next)
		if (o->add && o->code == VP_OK)
			o->code = vp_registry_account_upsert(g->registry, o->account, r->arn, true,
							     o->request_id, NULL, &o->err);
	remember(r, text, policy, &granted, ops);
	text = NULL;
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
	/* Nothing was written (or IAM may hold either document): the additions and the removals
	 * fail; removals stay granted. */
	forget(r);
	for (struct op *o = ops; o; o = o->next) {
		if ((!o->add && !o->changed) || o->code != VP_OK)
			continue; /* decided against, or failed on its own (full) already */
		o->code = code;
		o->err = e;
		if (!o->add)
			vp_ignore(vp_registry_account_upsert(g->registry, o->account, r->arn, true,
							     o->request_id, NULL, NULL));
	}
	goto out;
fail:
	forget(r);
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
	accounts_free(&granted);
	vp_policy_free(policy);
	vp_registry_unlock(lock);
}

/*
 * The new leader, with the role's mutex held: wait while changes are still arriving, so that
 * callers a few milliseconds behind share this batch (one IAM write instead of two). Stops at
 * the first gap of gather_ms / 4 with no arrival, or after gather_ms in all.
 */
static void gather(const struct vp_grants *g, struct role *r)
{
	int64_t end = vp_clock_monotonic_ms() + g->gather_ms;
	int64_t gap = g->gather_ms / 4 > 0 ? g->gather_ms / 4 : 1;

	if (g->gather_ms <= 0)
		return;
	r->gathering = true;
	for (;;) {
		size_t before = r->queued;
		int64_t left = end - vp_clock_monotonic_ms();
		struct timespec until;

		if (left <= 0)
			break;
		until = vp_clock_deadline(CLOCK_MONOTONIC, left < gap ? left : gap);
		while (r->queued == before &&
		       pthread_cond_timedwait(&r->arrived, &r->mu, &until) != ETIMEDOUT)
			;
		if (r->queued == before)
			break;
	}
	r->gathering = false;
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
	r->queued++;
	if (r->gathering)
		pthread_cond_signal(&r->arrived);
	while (!op->done) {
		struct op *batch;
		size_t count = 0;

		if (r->leading) {
			pthread_cond_wait(&r->cv, &r->mu);
			continue;
		}
		r->leading = true;
		gather(g, r);
		batch = r->head;
		r->head = r->tail = NULL;
		r->queued = 0;
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

size_t vp_grants_policy_size(struct vp_grants *g, size_t index)
{
	return index < g->role_count ? atomic_load(&g->roles[index].known_size) : 0;
}

size_t vp_grants_quota(struct vp_grants *g, size_t index)
{
	return index < g->role_count ? role_quota(g, &g->roles[index]) : g->quota;
}
