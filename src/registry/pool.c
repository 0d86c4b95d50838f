/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registry handle and its connection pool: options, open (URL, plan, the
 * first connection, the schema check or migration), close, and transactions.
 * A handle keeps up to opts.pool_size connections for reads; a read takes one
 * for its whole transaction and gives it back, waiting (mutex and condition
 * variable) while all are busy. Writes go to group commit (batch.c), on the
 * handle's one writer connection. A transaction that fails with an error the
 * backend calls transient (SQLite busy, PostgreSQL serialization failure or
 * deadlock) is tried again, a bounded number of times; one that lost its
 * connection before COMMIT (a restarted server, an ended session) runs once
 * more on a fresh connection, and the idle connections from before the loss
 * are checked with a round trip when next borrowed.
 *
 * The rest of the interface lives by concern: migrations.c (schema),
 * allocate.c (the free list), namespaces.c (reads, transitions), accounts.c,
 * events.c, lock.c (named locks), rows.c and check.c (helpers); internal.h is
 * what they share. docs/registry.md explains the schema and why allocation is
 * race-free.
 */
#include <stdlib.h>
#include <string.h>

#include "registry/internal.h"

/* ---- open and close ---- */

void vp_registry_options_init(struct vp_registry_options *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->quarantine_seconds = VP_REGISTRY_DEFAULT_QUARANTINE;
	opts->busy_timeout_ms = VP_REGISTRY_DEFAULT_BUSY_TIMEOUT_MS;
	opts->pool_size = VP_REGISTRY_DEFAULT_POOL_SIZE;
	opts->migrate = true;
	vp_plan_init(&opts->plan);
}

void vp_registry_close(struct vp_registry *reg)
{
	if (!reg)
		return;
	/* The caller guarantees no call is running: every connection is idle. */
	for (int i = 0; i < reg->idle_count; i++)
		reg->ops->disconnect(reg->idle[i]);
	vp_registry_locks_cleanup(reg);
	vp_registry_batch_cleanup(reg);
	pthread_cond_destroy(&reg->cv);
	pthread_mutex_destroy(&reg->mu);
	free(reg);
}

const char *vp_registry_backend(const struct vp_registry *reg)
{
	return reg->ops->name;
}

vp_code vp_registry_open(const char *url, const struct vp_registry_options *opts,
			 struct vp_registry **out, struct vp_error *err)
{
	struct vp_registry *reg;
	struct vp_db_conn *conn = NULL;
	vp_code code;

	if (!url)
		return vp_fail(err, VP_ERR_INVALID, "missing database URL");
	reg = calloc(1, sizeof(*reg));
	if (!reg)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	if (opts)
		reg->opts = *opts;
	else
		vp_registry_options_init(&reg->opts);
	if ((code = vp_registry_url_parse(url, strlen(url), &reg->url, err)) != VP_OK) {
		free(reg);
		return code;
	}
	if (reg->opts.pool_size < 1 || reg->opts.pool_size > VP_REGISTRY_MAX_POOL_SIZE ||
	    reg->opts.quarantine_seconds < 0 || reg->opts.busy_timeout_ms < 0) {
		free(reg);
		return vp_fail(err, VP_ERR_INVALID,
			       "registry options: pool size must be 1..%d, quarantine and busy "
			       "timeout not negative",
			       VP_REGISTRY_MAX_POOL_SIZE);
	}
	if ((code = vp_plan_validate(&reg->opts.plan, err)) != VP_OK) {
		free(reg);
		vp_error_prefix(err, "registry plan");
		return code;
	}
	reg->capacity = vp_plan_capacity(&reg->opts.plan);
	reg->reserved_count = vp_plan_reserved_ranges(&reg->opts.plan, reg->reserved);
	reg->ops = reg->url.scheme == VP_REGISTRY_SQLITE ? &vp_db_sqlite_ops : &vp_db_postgres_ops;
	for (const struct vp_migration *m = reg->ops->migrations; m->version; m++)
		reg->latest_version = m->version;
	pthread_mutex_init(&reg->mu, NULL);
	pthread_cond_init(&reg->cv, NULL);
	vp_registry_locks_init(reg);
	vp_registry_batch_init(reg);

	/* The first connection proves the database is reachable and usable. */
	code = reg->ops->connect(&reg->url, &reg->opts, true, &conn, err);
	if (code != VP_OK) {
		vp_registry_close(reg);
		return code;
	}
	reg->open_count = 1;
	reg->idle[reg->idle_count++] = conn;
	if ((code = vp_registry_schema_open(reg, err)) != VP_OK) {
		vp_registry_close(reg);
		return code;
	}
	*out = reg;
	return VP_OK;
}

/* ---- the pool ---- */

static vp_code acquire(struct vp_registry *reg, struct vp_db_conn **out, struct vp_error *err)
{
	struct vp_db_conn *conn = NULL;
	bool suspect = false;
	vp_code code;

	pthread_mutex_lock(&reg->mu);
	while (reg->idle_count == 0 && reg->open_count >= reg->opts.pool_size)
		pthread_cond_wait(&reg->cv, &reg->mu);
	if (reg->idle_count > 0) {
		conn = reg->idle[--reg->idle_count];
		suspect = reg->idle_gen[reg->idle_count] != reg->lost_gen;
	} else {
		reg->open_count++;
	}
	pthread_mutex_unlock(&reg->mu);

	if (conn) {
		/* Borrowed after another connection was lost: a round trip proves it. */
		if (suspect && reg->ops->check)
			code = reg->ops->check(conn, err);
		else
			code = reg->ops->reset ? reg->ops->reset(conn, err) : VP_OK;
		if (code == VP_OK) {
			*out = conn;
			return VP_OK;
		}
		reg->ops->disconnect(conn);
	} else {
		code = reg->ops->connect(&reg->url, &reg->opts, false, &conn, err);
		if (code == VP_OK) {
			*out = conn;
			return VP_OK;
		}
	}
	pthread_mutex_lock(&reg->mu);
	reg->open_count--;
	pthread_cond_signal(&reg->cv);
	pthread_mutex_unlock(&reg->mu);
	return code;
}

static void release(struct vp_registry *reg, struct vp_db_conn *conn)
{
	pthread_mutex_lock(&reg->mu);
	reg->idle_gen[reg->idle_count] = reg->lost_gen;
	reg->idle[reg->idle_count++] = conn;
	pthread_cond_signal(&reg->cv);
	pthread_mutex_unlock(&reg->mu);
}

bool vp_registry_note_lost(struct vp_registry *reg, struct vp_db_conn *conn)
{
	if (!reg->ops->lost || !reg->ops->lost(conn))
		return false;
	pthread_mutex_lock(&reg->mu);
	reg->lost_gen++;
	pthread_mutex_unlock(&reg->mu);
	return true;
}

/* One transaction on a pooled connection: transient failures tried again, a lost
 * connection once more on a fresh one (nothing was committed). */
static vp_code run_pooled(struct vp_registry *reg, bool write, enum vp_db_lock lock,
			  vp_registry_tx_fn fn, void *ctx, struct vp_error *err)
{
	vp_code code = VP_ERR_INTERNAL;
	bool fresh_tried = false;

	for (int attempt = 0; attempt < VP_REGISTRY_TX_ATTEMPTS; attempt++) {
		struct vp_db_conn *conn;
		bool retry, committing = false;

		if ((code = acquire(reg, &conn, err)) != VP_OK)
			return code;
		code = reg->ops->begin(conn, write, lock, err);
		if (code == VP_OK) {
			code = fn(reg, conn, ctx, err);
			if (code == VP_OK) {
				committing = true;
				code = reg->ops->commit(conn, err);
			}
			if (code != VP_OK)
				reg->ops->rollback(conn);
		}
		retry = code != VP_OK && reg->ops->retriable(conn);
		if (code != VP_OK && vp_registry_note_lost(reg, conn) && !fresh_tried &&
		    (!write || !committing)) {
			/* reset() on the next acquire makes the session anew. */
			retry = true;
			fresh_tried = true;
		}
		release(reg, conn);
		if (!retry)
			break;
	}
	return code;
}

vp_code vp_registry_run_tx(struct vp_registry *reg, bool write, enum vp_db_lock lock,
			   vp_registry_tx_fn fn, void *ctx, struct vp_error *err)
{
	if (write)
		return vp_registry_batch_run(reg, lock, fn, ctx, err);
	return run_pooled(reg, false, lock, fn, ctx, err);
}

vp_code vp_registry_run_tx_alone(struct vp_registry *reg, vp_registry_tx_fn fn, void *ctx,
				 struct vp_error *err)
{
	return run_pooled(reg, true, VP_DB_LOCK_NONE, fn, ctx, err);
}
