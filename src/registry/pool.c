/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The connection pool and transactions. A handle keeps up to opts.pool_size
 * connections; a call takes one for its whole transaction and gives it back,
 * waiting (mutex and condition variable) while all are busy. A transaction
 * that fails with an error the backend calls transient (SQLite busy,
 * PostgreSQL serialization failure or deadlock) is tried again, a bounded
 * number of times.
 */
#include "registry/internal.h"

/* A transaction that fails with a retriable error (busy, serialization) is tried this often. */
#define TX_ATTEMPTS 5

static vp_code acquire(struct vp_registry *reg, struct vp_db_conn **out, struct vp_error *err)
{
	struct vp_db_conn *conn = NULL;
	vp_code code;

	pthread_mutex_lock(&reg->mu);
	while (reg->idle_count == 0 && reg->open_count >= reg->opts.pool_size)
		pthread_cond_wait(&reg->cv, &reg->mu);
	if (reg->idle_count > 0)
		conn = reg->idle[--reg->idle_count];
	else
		reg->open_count++;
	pthread_mutex_unlock(&reg->mu);

	if (conn) {
		if (!reg->ops->reset || (code = reg->ops->reset(conn, err)) == VP_OK) {
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
	reg->idle[reg->idle_count++] = conn;
	pthread_cond_signal(&reg->cv);
	pthread_mutex_unlock(&reg->mu);
}

vp_code vp_registry_run_tx(struct vp_registry *reg, bool write, enum vp_db_lock lock,
			   vp_registry_tx_fn fn, void *ctx, struct vp_error *err)
{
	vp_code code = VP_ERR_INTERNAL;

	for (int attempt = 0; attempt < TX_ATTEMPTS; attempt++) {
		struct vp_db_conn *conn;
		bool retry;

		if ((code = acquire(reg, &conn, err)) != VP_OK)
			return code;
		code = reg->ops->begin(conn, write, lock, err);
		if (code == VP_OK) {
			code = fn(reg, conn, ctx, err);
			if (code == VP_OK)
				code = reg->ops->commit(conn, err);
			if (code != VP_OK)
				reg->ops->rollback(conn);
		}
		retry = code != VP_OK && reg->ops->retriable(conn);
		release(reg, conn);
		if (!retry)
			break;
	}
	return code;
}
