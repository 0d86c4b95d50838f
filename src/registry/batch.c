/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Group commit: every write transaction of a handle (vp_registry_run_tx with
 * write true) is an item queued under the handle's mutex. The first waiter
 * that finds no batch running becomes the leader: it takes the queued items
 * (at most VP_REGISTRY_BATCH_MAX, oldest first), runs them in one transaction
 * on the handle's one writer connection, each inside its own SAVEPOINT so a
 * failed item (a refusal or an SQL error) is rolled back alone, commits once,
 * and only then wakes every waiter with its own result. A failure of the
 * transaction itself (BEGIN, COMMIT, a lost connection) fails each item of the
 * batch with that error, and one the backend calls transient (busy,
 * serialization, deadlock) runs the whole batch again, as a single
 * transaction would be. The items live on their callers' stacks: a caller
 * waits until the leader has marked its item done.
 *
 * An item queued by a thread with a fence (vp_registry_fence_set) first checks
 * the fence inside its savepoint: a deposed leader's write is refused alone.
 *
 * The writer connection is opened by the first batch and kept until close;
 * it is not one of the pool's (those serve reads). docs/registry.md, "Group
 * commit", has the guarantees and why they hold.
 */
#include <string.h>

#include "registry/internal.h"

struct vp_registry_batch_item {
	vp_registry_tx_fn fn;
	void *ctx;
	enum vp_db_lock lock;
	struct vp_registry_fence *fence; /* the caller thread's, checked before fn */
	vp_code code;
	struct vp_error err;
	bool done;
	struct vp_registry_batch_item *next;
};

/* One savepoint at a time: set before the first item, moved past each item that succeeds
 * (sent with the next item's first statement: no round trip of its own on PostgreSQL),
 * kept where it is by a rollback to it. COMMIT releases the last. */
static const char SQL_SAVEPOINT[] = "SAVEPOINT vp_item";
static const char SQL_RELEASE[] = "RELEASE SAVEPOINT vp_item";
static const char SQL_ROLLBACK_TO[] = "ROLLBACK TO SAVEPOINT vp_item";

/* Under reg->mu: the next batch off the queue. A migration runs alone. */
static int take_batch(struct vp_registry *reg, struct vp_registry_batch_item **batch)
{
	int count = 0;

	while (reg->queue_head && count < VP_REGISTRY_BATCH_MAX) {
		struct vp_registry_batch_item *item = reg->queue_head;
		if (count > 0 &&
		    (item->lock == VP_DB_LOCK_MIGRATE || batch[0]->lock == VP_DB_LOCK_MIGRATE))
			break;
		reg->queue_head = item->next;
		if (!reg->queue_head)
			reg->queue_tail = NULL;
		reg->queued--;
		batch[count++] = item;
	}
	return count;
}

/* The writer connection, opened on first use and made usable again after a lost server. */
static vp_code writer_ready(struct vp_registry *reg, struct vp_error *err)
{
	if (!reg->writer)
		return reg->ops->connect(&reg->url, &reg->opts, false, &reg->writer, err);
	if (reg->ops->reset)
		return reg->ops->reset(reg->writer, err);
	return VP_OK;
}

/*
 * One item after the savepoint; item->code gets its own result, and the
 * savepoint is made ready for the next item (more: there is one). VP_OK: the
 * batch goes on. Otherwise the transaction as a whole failed (err filled):
 * the item's error was transient, or its savepoint could not be rolled back to.
 */
static vp_code run_item(struct vp_registry *reg, struct vp_db_conn *conn,
			struct vp_registry_batch_item *item, bool more, struct vp_error *err)
{
	item->code = VP_OK;
	if (item->fence)
		item->code = vp_registry_fence_check(reg, conn, item->fence, &item->err);
	if (item->code == VP_OK)
		item->code = item->fn(reg, conn, item->ctx, &item->err);
	if (item->code == VP_OK) {
		vp_code code = VP_OK;
		if (more && (code = reg->ops->exec_ahead(conn, SQL_RELEASE, err)) == VP_OK)
			code = reg->ops->exec_ahead(conn, SQL_SAVEPOINT, err);
		return code;
	}
	reg->alloc_next.valid = false; /* its writes go: the free list may be as it was */
	if (!reg->ops->retriable(conn) &&
	    reg->ops->exec_script(conn, SQL_ROLLBACK_TO, NULL) == VP_OK)
		return VP_OK;
	if (err)
		*err = item->err;
	return item->code;
}

/* Run the batch in one transaction, the whole of it again after a transient failure. */
static void run_batch(struct vp_registry *reg, struct vp_registry_batch_item **batch, int count)
{
	enum vp_db_lock lock = VP_DB_LOCK_NONE;
	struct vp_error err;
	vp_code code = VP_ERR_INTERNAL;
	bool fresh_tried = false;

	memset(&err, 0, sizeof(err));
	for (int i = 0; i < count; i++)
		if (batch[i]->lock != VP_DB_LOCK_NONE)
			lock = batch[i]->lock; /* a migration is alone in its batch */
	for (int attempt = 0; attempt < VP_REGISTRY_TX_ATTEMPTS; attempt++) {
		bool committing = false;

		if ((code = writer_ready(reg, &err)) != VP_OK)
			break;
		reg->alloc_next.valid =
			false; /* a new transaction: another broker may have allocated */
		code = reg->ops->begin(reg->writer, true, lock, &err);
		if (code == VP_OK)
			code = reg->ops->exec_ahead(reg->writer, SQL_SAVEPOINT, &err);
		for (int i = 0; code == VP_OK && i < count; i++)
			code = run_item(reg, reg->writer, batch[i], i + 1 < count, &err);
		if (code == VP_OK) {
			committing = true;
			code = reg->ops->commit(reg->writer, &err);
		}
		if (code == VP_OK)
			return;
		reg->ops->rollback(reg->writer);
		/* A connection lost before COMMIT: once more on a fresh one (writer_ready
		 * makes it anew); nothing was written, and each item is idempotent. */
		if (vp_registry_note_lost(reg, reg->writer) && !committing && !fresh_tried) {
			fresh_tried = true;
			continue;
		}
		if (!reg->ops->retriable(reg->writer))
			break;
	}
	/* Nothing of the batch was written: each item fails with the transaction's error. */
	if (code == VP_OK)
		code = vp_fail(&err, VP_ERR_INTERNAL, "no attempt at the transaction");
	for (int i = 0; i < count; i++) {
		batch[i]->code = code;
		batch[i]->err = err;
	}
}

vp_code vp_registry_batch_run(struct vp_registry *reg, enum vp_db_lock lock, vp_registry_tx_fn fn,
			      void *ctx, struct vp_error *err)
{
	struct vp_registry_batch_item me = {
		.fn = fn, .ctx = ctx, .lock = lock, .fence = vp_registry_fence_current()};
	struct vp_registry_batch_item *batch[VP_REGISTRY_BATCH_MAX];

	memset(&me.err, 0, sizeof(me.err));
	pthread_mutex_lock(&reg->mu);
	if (reg->queue_tail)
		reg->queue_tail->next = &me;
	else
		reg->queue_head = &me;
	reg->queue_tail = &me;
	reg->queued++;
	pthread_cond_broadcast(&reg->queued_cv);
	while (!me.done) {
		int count;
		if (reg->batch_running) {
			pthread_cond_wait(&reg->batch_cv, &reg->mu);
			continue;
		}
		/* The leader: the queue's oldest items, this caller's among them unless
		 * more than a batch's worth came before it (then it leads again). */
		count = take_batch(reg, batch);
		reg->batch_running = true;
		pthread_mutex_unlock(&reg->mu);
		run_batch(reg, batch, count);
		pthread_mutex_lock(&reg->mu);
		for (int i = 0; i < count; i++)
			batch[i]->done = true; /* the other callers' items: not touched after */
		reg->batch_running = false;
		reg->batches++;
		pthread_cond_broadcast(&reg->batch_cv);
	}
	pthread_mutex_unlock(&reg->mu);
	if (me.code != VP_OK && err)
		*err = me.err;
	return me.code;
}

void vp_registry_batch_init(struct vp_registry *reg)
{
	pthread_cond_init(&reg->batch_cv, NULL);
	pthread_cond_init(&reg->queued_cv, NULL);
}

void vp_registry_batch_cleanup(struct vp_registry *reg)
{
	/* The caller guarantees no call is running: the queue is empty. */
	if (reg->writer)
		reg->ops->disconnect(reg->writer);
	reg->writer = NULL;
	pthread_cond_destroy(&reg->queued_cv);
	pthread_cond_destroy(&reg->batch_cv);
}
