/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The transit-gateway mode: the resource share's principals, changed in
 * batches (tgw.h has the contract). As grants.c does for trust policies: a
 * caller queues "add account A" or "remove account A" and waits; the first
 * waiter to find no batch running becomes the leader, takes every queued
 * change and, under the registry lock of the share, makes one
 * DisassociateResourceShare for the removals and one AssociateResourceShare
 * for the additions (RAM takes a list of principals: up to
 * VP_BROKER_TGW_SHARE_BATCH per call), then wakes everyone with their own
 * outcome. N registrations of new accounts arriving together cost one call.
 *
 * Why one lock per share, not per account as before batching: a batch
 * changes many accounts at once, and taking each account's lock would cost a
 * registry round trip per account and a lock order across brokers (two
 * leaders holding overlapping sets). One lock per share serialises every
 * change of the share's principals, across brokers too, which is what keeps
 * the removal correct: a registration allocates its namespace before it
 * queues its addition, and a removal checks under the lock that the account
 * has no live namespace. Either the removal's check sees the namespace (and
 * the principal stays), or the allocation came after the check, so the
 * addition is queued after it and runs in a later batch, under the same lock,
 * after the removal was written. RAM's writes to one share are one at a time
 * anyway from one broker; across brokers they take turns, one batch each.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/ram.h"
#include "broker/accounts.h"
#include "broker/tgw.h"
#include "core/clock.h"
#include "core/log.h"
#include "registry/registry.h"

struct vp_broker_tgw_share_op {
	struct vp_broker_tgw_share_op *next;
	const struct vp_namespace_record *rec;
	const char *request_id;
	bool add;
	/* Outcome, written by the leader, read after done. */
	bool done;
	bool remove;  /* a removal decided (no live namespace): to write */
	bool counted; /* the removal that counts the principal gone (one per account) */
	vp_code code;
	struct vp_error err;
};

/* One RAM call's principals (distinct accounts) and the ops waiting on them. */
struct chunk {
	const char *accounts[VP_BROKER_TGW_SHARE_BATCH];
	size_t count;
};

void vp_broker_tgw_share_init(struct vp_broker_tgw *t)
{
	pthread_condattr_t monotonic;
	const char *id = strstr(t->share, ":resource-share/");

	pthread_condattr_init(&monotonic);
	pthread_condattr_setclock(&monotonic, CLOCK_MONOTONIC);
	pthread_mutex_init(&t->share_mu, NULL);
	pthread_cond_init(&t->share_done, NULL);
	pthread_cond_init(&t->share_arrived, &monotonic);
	pthread_condattr_destroy(&monotonic);
	/* The share's id (a UUID): the ARN itself may pass the registry's lock-name bound. */
	snprintf(t->share_lock, sizeof(t->share_lock), "share:%.200s",
		 id ? id + strlen(":resource-share/") : t->share);
}

void vp_broker_tgw_share_destroy(struct vp_broker_tgw *t)
{
	pthread_cond_destroy(&t->share_arrived);
	pthread_cond_destroy(&t->share_done);
	pthread_mutex_destroy(&t->share_mu);
}

/* clientToken: the same for the same batch (accounts and records), another for the next. */
static void client_token(char *out, size_t size, char what, const struct chunk *c,
			 const struct vp_broker_tgw_share_op *ops, bool add)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (size_t i = 0; i < c->count; i++)
		for (const char *p = c->accounts[i]; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	for (const struct vp_broker_tgw_share_op *o = ops; o; o = o->next)
		if (o->add == add)
			h = (h ^ (uint64_t)o->rec->id) * 1099511628211ULL;
	snprintf(out, size, "vpcpeer-%c-%016llx", what, (unsigned long long)h);
}

/* One RAM call for the chunk's accounts: VP_OK, or AWS's error in *err. */
static vp_code ram_call(struct vp_broker *b, const struct chunk *c, bool add,
			const struct vp_broker_tgw_share_op *ops, struct vp_error *err)
{
	char token[64];
	struct vp_aws_ram_share_change ch = {.resource_share_arn = b->tgw->share,
					     .principals = c->accounts,
					     .principal_count = c->count,
					     .client_token = token};
	struct vp_aws_error aerr;
	vp_code code;

	client_token(token, sizeof(token), add ? 'a' : 'd', c, ops, add);
	if (add)
		code = vp_aws_ram_associate(b->aws, &ch, NULL, &aerr);
	else
		code = vp_aws_ram_disassociate(b->aws, &ch, NULL, &aerr);
	vp_broker_note_aws(b->metrics, add ? "AssociateResourceShare" : "DisassociateResourceShare",
			   code, &aerr);
	if (!add && code == VP_ERR_NOT_FOUND && c->count == 1)
		return VP_OK; /* not a principal: done */
	if (code == VP_ERR_EXHAUSTED)
		return vp_fail(err, code,
			       "resource share %s is full: RAM refused %zu account(s) (%s); raise "
			       "the quota of principals per resource share in Service Quotas",
			       b->tgw->share, c->count, aerr.error.message);
	if (code != VP_OK)
		return vp_broker_aws_fail(err, &aerr,
					  add ? "sharing the transit gateway with the account"
					      : "removing the account from the resource share");
	return VP_OK;
}

/* Every op of this kind on `account` gets the outcome. */
static void settle(struct vp_broker_tgw_share_op *ops, bool add, const char *account, vp_code code,
		   const struct vp_error *e)
{
	for (struct vp_broker_tgw_share_op *o = ops; o; o = o->next) {
		if (o->add != add || (!add && !o->remove) || strcmp(o->rec->account, account) != 0)
			continue;
		o->code = code;
		if (code != VP_OK)
			o->err = *e;
	}
}

/*
 * One chunk written; when RAM refuses the whole call for what may be one principal's fault
 * (not found on removal, a principal it does not take, such as RAM's
 * OperationNotPermittedException for an outsider), each account alone, so that one account's
 * refusal is its own registration's.
 */
static void write_chunk(struct vp_broker *b, const struct chunk *c, bool add,
			struct vp_broker_tgw_share_op *ops)
{
	struct vp_error e;
	vp_code code = ram_call(b, c, add, ops, &e);

	/* Throttling, an outage, our own credentials or permissions, a full share: the same for
	 * every account, so the batch's error is each one's. */
	if (c->count > 1 && (code == VP_ERR_NOT_FOUND || code == VP_ERR_INVALID ||
			     code == VP_ERR_CONFLICT || code == VP_ERR_AWS)) {
		for (size_t i = 0; i < c->count; i++) {
			struct chunk one = {.accounts = {c->accounts[i]}, .count = 1};
			vp_code each = ram_call(b, &one, add, ops, &e);
			settle(ops, add, c->accounts[i], each, &e);
		}
		return;
	}
	for (size_t i = 0; i < c->count; i++)
		settle(ops, add, c->accounts[i], code, &e);
}

/* Whether `account` is already in the chunks (a second op of the same account). */
static bool listed(const struct chunk *chunks, size_t n, const char *account)
{
	for (size_t k = 0; k < n; k++)
		for (size_t i = 0; i < chunks[k].count; i++)
			if (strcmp(chunks[k].accounts[i], account) == 0)
				return true;
	return false;
}

/* The batch's distinct accounts of one kind, in chunks of at most VP_BROKER_TGW_SHARE_BATCH. */
static size_t chunk_ops(struct vp_broker_tgw_share_op *ops, bool add, struct chunk *chunks,
			size_t max_chunks)
{
	size_t n = 0;

	for (struct vp_broker_tgw_share_op *o = ops; o; o = o->next) {
		if (o->add != add || (!add && !o->remove) || listed(chunks, n, o->rec->account))
			continue;
		o->counted = !add;
		if (n == 0 || chunks[n - 1].count == VP_BROKER_TGW_SHARE_BATCH) {
			if (n == max_chunks)
				break; /* not reached: a batch holds at most max_chunks chunks */
			chunks[n++].count = 0;
		}
		chunks[n - 1].accounts[chunks[n - 1].count++] = o->rec->account;
	}
	return n;
}

/* One batch, by its leader, outside share_mu. */
static void run_batch(struct vp_broker *b, struct vp_broker_tgw_share_op *ops, size_t count)
{
	struct vp_registry_lock *lock = NULL;
	struct chunk *chunks = calloc(count, sizeof(*chunks));
	size_t adds = 0, removes = 0, n;
	struct vp_error e;
	vp_code code;

	if (!chunks) {
		code = vp_fail(&e, VP_ERR_NOMEM, "out of memory");
		goto fail;
	}
	code = vp_registry_lock(b->registry, b->tgw->share_lock, VP_BROKER_NS_LOCK_TIMEOUT_MS,
				&lock, &e);
	if (code != VP_OK)
		goto fail;
	/* Removals decided under the lock (see the top of the file), then written first. */
	for (struct vp_broker_tgw_share_op *o = ops; o; o = o->next) {
		bool in_use = true;
		o->code = VP_OK;
		if (o->add) {
			adds++;
			continue;
		}
		o->code = vp_broker_account_in_use(b->registry, o->rec->account, &in_use, &o->err);
		o->remove = o->code == VP_OK && !in_use;
		removes += o->remove;
	}
	n = chunk_ops(ops, false, chunks, count);
	for (size_t k = 0; k < n; k++)
		write_chunk(b, &chunks[k], false, ops);
	memset(chunks, 0, count * sizeof(*chunks));
	n = chunk_ops(ops, true, chunks, count);
	for (size_t k = 0; k < n; k++)
		write_chunk(b, &chunks[k], true, ops);
	vp_registry_unlock(lock);
	free(chunks);
	for (struct vp_broker_tgw_share_op *o = ops; o; o = o->next)
		if (!o->add && o->remove && o->counted && o->code == VP_OK) {
			vp_broker_tgw_count_principal(b, -1);
			vp_log(VP_LOG_INFO, "release %s: account %s removed from resource share %s",
			       o->request_id, o->rec->account, b->tgw->share);
		}
	if (count > 1)
		vp_log(VP_LOG_DEBUG,
		       "resource share %s: a batch of %zu change(s): %zu addition(s), %zu "
		       "removal(s)",
		       b->tgw->share, count, adds, removes);
	return;
fail:
	free(chunks);
	for (struct vp_broker_tgw_share_op *o = ops; o; o = o->next) {
		o->code = code;
		o->err = e;
	}
}

/* The new leader, with share_mu held: wait while changes are still arriving (grants.c's). */
static void gather(struct vp_broker_tgw *t)
{
	int64_t end = vp_clock_monotonic_ms() + t->gather_ms;
	int64_t gap = t->gather_ms / 4 > 0 ? t->gather_ms / 4 : 1;

	if (t->gather_ms <= 0)
		return;
	t->gathering = true;
	while (t->queued < VP_BROKER_TGW_SHARE_BATCH) {
		size_t before = t->queued;
		int64_t left = end - vp_clock_monotonic_ms();
		struct timespec until;

		if (left <= 0)
			break;
		until = vp_clock_deadline(CLOCK_MONOTONIC, left < gap ? left : gap);
		while (t->queued == before &&
		       pthread_cond_timedwait(&t->share_arrived, &t->share_mu, &until) != ETIMEDOUT)
			;
		if (t->queued == before)
			break;
	}
	t->gathering = false;
}

/* Queue one op and wait for its outcome (leading a batch when none is running). */
static vp_code submit(struct vp_broker *b, struct vp_broker_tgw_share_op *op, struct vp_error *err)
{
	struct vp_broker_tgw *t = b->tgw;

	pthread_mutex_lock(&t->share_mu);
	if (t->tail)
		t->tail->next = op;
	else
		t->head = op;
	t->tail = op;
	t->queued++;
	if (t->gathering)
		pthread_cond_signal(&t->share_arrived);
	while (!op->done) {
		struct vp_broker_tgw_share_op *batch;
		size_t count = t->queued;

		if (t->leading) {
			pthread_cond_wait(&t->share_done, &t->share_mu);
			continue;
		}
		t->leading = true;
		gather(t);
		count = t->queued;
		batch = t->head;
		t->head = t->tail = NULL;
		t->queued = 0;
		t->in_batch = count;
		pthread_mutex_unlock(&t->share_mu);
		run_batch(b, batch, count);
		pthread_mutex_lock(&t->share_mu);
		while (batch) {
			struct vp_broker_tgw_share_op *next = batch->next;
			batch->next = NULL;
			batch->done = true;
			batch = next;
		}
		t->leading = false;
		t->in_batch = 0;
		pthread_cond_broadcast(&t->share_done);
	}
	pthread_mutex_unlock(&t->share_mu);
	if (op->code != VP_OK && err)
		*err = op->err;
	return op->code;
}

vp_code vp_broker_tgw_share_add(struct vp_broker *b, const struct vp_namespace_record *rec,
				const char *request_id, struct vp_error *err)
{
	struct vp_broker_tgw_share_op op = {
		.rec = rec, .request_id = request_id ? request_id : "", .add = true};

	if (b->tgw->org_only)
		return VP_OK;
	return submit(b, &op, err);
}

vp_code vp_broker_tgw_share_remove(struct vp_broker *b, const struct vp_namespace_record *rec,
				   const char *request_id, struct vp_error *err)
{
	struct vp_broker_tgw_share_op op = {
		.rec = rec, .request_id = request_id ? request_id : "", .add = false};

	if (b->tgw->org_only)
		return VP_OK;
	return submit(b, &op, err);
}
