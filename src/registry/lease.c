/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Leases with fencing (table leases, schema v4): leadership that brokers
 * sharing one registry hand over by time, not by a database session. A lease
 * is a row (name, holder, epoch, expires_at): the holder renews it before it
 * expires; anyone may take it once it has expired, and taking it moves the
 * epoch on. A fenced write (vp_registry_fence_set) checks, inside its own
 * transaction and before it changes anything, that its epoch is still the
 * lease's current one and unexpired, so a deposed leader changes nothing even
 * before it knows it was deposed. Also the heartbeat /readyz writes.
 */
#include <openssl/rand.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "registry/internal.h"

static const char SQL_LEASE_GET[] = "SELECT holder, epoch, expires_at FROM leases WHERE name = $1";
static const char SQL_LEASE_GET_LOCK[] =
	"SELECT holder, epoch, expires_at FROM leases WHERE name = $1 FOR UPDATE";
/* Two brokers starting together both find no row (FOR UPDATE locks nothing): the second
 * insert changes nothing instead of failing on the primary key. */
static const char SQL_LEASE_INSERT[] =
	"INSERT INTO leases (name, holder, epoch, expires_at) VALUES ($1, $2, 1, $3) "
	"ON CONFLICT (name) DO NOTHING";
static const char SQL_LEASE_TAKE[] =
	"UPDATE leases SET holder = $2, epoch = epoch + 1, expires_at = $3 WHERE name = $1";
static const char SQL_LEASE_RENEW[] =
	"UPDATE leases SET expires_at = $4 WHERE name = $1 AND holder = $2 AND epoch = $3";
static const char SQL_LEASE_END[] =
	"UPDATE leases SET expires_at = 0 WHERE name = $1 AND holder = $2 AND epoch = $3";
/* The fence: FOR SHARE on PostgreSQL, so a takeover waits for this transaction's commit
 * (and one that committed first is seen: the row is read at its newest version). */
static const char SQL_FENCE[] = "SELECT count(*) FROM leases WHERE name = $1 AND holder = $2 "
				"AND epoch = $3 AND expires_at > $4";
static const char SQL_FENCE_LOCK[] = "SELECT count(*) FROM (SELECT 1 FROM leases WHERE name = $1 "
				     "AND holder = $2 AND epoch = $3 AND expires_at > $4 "
				     "FOR SHARE) AS current_lease";
static const char SQL_HEARTBEAT[] = "INSERT INTO heartbeats (holder, at) VALUES ($1, $2) "
				    "ON CONFLICT (holder) DO UPDATE SET at = excluded.at";

void vp_registry_holder_name(char *out, size_t size)
{
	unsigned char r[8];
	char host[64] = "";

	if (RAND_bytes(r, sizeof(r)) != 1)
		memset(r, 0, sizeof(r));
	gethostname(host, sizeof(host) - 1);
	snprintf(out, size, "%.63s:%ld:%02x%02x%02x%02x%02x%02x%02x%02x", host, (long)getpid(),
		 r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
}

static _Thread_local struct vp_registry_fence *thread_fence;

void vp_registry_fence_set(struct vp_registry_fence *fence)
{
	thread_fence = fence;
}

struct vp_registry_fence *vp_registry_fence_current(void)
{
	return thread_fence;
}

vp_code vp_registry_fence_check(struct vp_registry *reg, struct vp_db_conn *conn,
				struct vp_registry_fence *fence, struct vp_error *err)
{
	struct vp_db_param p[] = {VP_DB_TEXT_PARAM(fence->name), VP_DB_TEXT_PARAM(fence->holder),
				  VP_DB_INT_PARAM(fence->epoch),
				  VP_DB_INT_PARAM(vp_registry_now(reg))};
	int64_t current = 0;
	vp_code code =
		vp_registry_query_int(reg, conn, reg->ops->lock_rows ? SQL_FENCE_LOCK : SQL_FENCE,
				      p, 4, &current, NULL, err);

	if (code != VP_OK)
		return code;
	if (current > 0)
		return VP_OK;
	atomic_store(&fence->lost, true);
	return vp_fail(err, VP_ERR_CONFLICT,
		       "fenced: lease '%s' epoch %lld is no longer current: nothing written",
		       fence->name, (long long)fence->epoch);
}

struct lease_ctx {
	const char *name, *holder;
	int64_t ttl, held, epoch, expires;
	bool end;
};

struct lease_row {
	char holder[VP_REGISTRY_HOLDER_MAX + 1];
	int64_t epoch, expires_at;
};

static void read_lease(const struct vp_db_ops *ops, struct vp_db_rows *rows, void *out)
{
	struct lease_row *row = out;
	vp_registry_copy_text(row->holder, sizeof(row->holder), ops->get_text(rows, 0));
	row->epoch = ops->get_int(rows, 1);
	row->expires_at = ops->get_int(rows, 2);
}

static vp_code lease_tx(struct vp_registry *reg, struct vp_db_conn *conn, void *ctx_,
			struct vp_error *err)
{
	struct lease_ctx *ctx = ctx_;
	int64_t now = vp_registry_now(reg), expires = now + ctx->ttl;
	struct vp_db_param p[4] = {VP_DB_TEXT_PARAM(ctx->name), VP_DB_TEXT_PARAM(ctx->holder)};
	struct lease_row row;
	bool found = false;
	vp_code code;

	if (ctx->end) {
		p[2] = VP_DB_INT_PARAM(ctx->held);
		return reg->ops->exec(conn, SQL_LEASE_END, p, 3, NULL, err);
	}
	code = vp_registry_query_row(reg, conn,
				     reg->ops->lock_rows ? SQL_LEASE_GET_LOCK : SQL_LEASE_GET, p, 1,
				     read_lease, &row, &found, err);
	if (code != VP_OK)
		return code;
	if (ctx->held > 0) { /* renew: only the very epoch held, before it expires */
		if (!found || row.epoch != ctx->held || strcmp(row.holder, ctx->holder) != 0 ||
		    row.expires_at <= now)
			return vp_fail(err, VP_ERR_CONFLICT,
				       "lease '%s' epoch %lld lost (now held by %s, epoch %lld)",
				       ctx->name, (long long)ctx->held,
				       found ? row.holder : "nobody",
				       found ? (long long)row.epoch : 0LL);
		p[2] = VP_DB_INT_PARAM(ctx->held);
		p[3] = VP_DB_INT_PARAM(expires);
		code = reg->ops->exec(conn, SQL_LEASE_RENEW, p, 4, NULL, err);
		ctx->epoch = ctx->held;
	} else if (!found) {
		int64_t created = 0;
		p[2] = VP_DB_INT_PARAM(expires);
		code = reg->ops->exec(conn, SQL_LEASE_INSERT, p, 3, &created, err);
		if (code == VP_OK && created == 0)
			return vp_fail(err, VP_ERR_UNAVAILABLE,
				       "lease '%s' was just created by another holder", ctx->name);
		ctx->epoch = 1;
	} else if (row.expires_at > now) {
		return vp_fail(err, VP_ERR_UNAVAILABLE, "lease '%s' is held by %s (epoch %lld)",
			       ctx->name, row.holder, (long long)row.epoch);
	} else {
		p[2] = VP_DB_INT_PARAM(expires);
		code = reg->ops->exec(conn, SQL_LEASE_TAKE, p, 3, NULL, err);
		ctx->epoch = row.epoch + 1;
	}
	ctx->expires = expires;
	return code;
}

static vp_code check_lease_args(const char *name, const char *holder, struct vp_error *err)
{
	const struct vp_registry_field fields[] = {
		{name, VP_REGISTRY_LOCK_NAME_MAX, "lease name"},
		{holder, VP_REGISTRY_HOLDER_MAX, "lease holder"},
	};
	if (!name || !*name || !holder || !*holder)
		return vp_fail(err, VP_ERR_INVALID, "a lease needs a name and a holder");
	return vp_registry_check_fields(fields, 2, err);
}

vp_code vp_registry_lease_take(struct vp_registry *reg, const char *name, const char *holder,
			       int64_t ttl_s, int64_t held_epoch, int64_t *epoch,
			       int64_t *expires_at, struct vp_error *err)
{
	struct lease_ctx ctx = {.name = name, .holder = holder, .ttl = ttl_s, .held = held_epoch};
	vp_code code;

	if ((code = check_lease_args(name, holder, err)) != VP_OK)
		return code;
	if (ttl_s < 1)
		return vp_fail(err, VP_ERR_INVALID, "a lease lasts at least 1 s");
	/* Fenced writes of this thread must not fence the lease's own renewal. */
	struct vp_registry_fence *saved = thread_fence;
	thread_fence = NULL;
	code = vp_registry_run_tx(reg, true, VP_DB_LOCK_NONE, lease_tx, &ctx, err);
	thread_fence = saved;
	if (code != VP_OK)
		return code;
	if (epoch)
		*epoch = ctx.epoch;
	if (expires_at)
		*expires_at = ctx.expires;
	return VP_OK;
}

vp_code vp_registry_lease_end(struct vp_registry *reg, const char *name, const char *holder,
			      int64_t epoch, struct vp_error *err)
{
	struct lease_ctx ctx = {.name = name, .holder = holder, .held = epoch, .end = true};
	struct vp_registry_fence *saved = thread_fence;
	vp_code code;

	if ((code = check_lease_args(name, holder, err)) != VP_OK)
		return code;
	thread_fence = NULL;
	code = vp_registry_run_tx(reg, true, VP_DB_LOCK_NONE, lease_tx, &ctx, err);
	thread_fence = saved;
	return code;
}

struct heartbeat_ctx {
	const char *holder;
};

static vp_code heartbeat_tx(struct vp_registry *reg, struct vp_db_conn *conn, void *ctx_,
			    struct vp_error *err)
{
	struct heartbeat_ctx *ctx = ctx_;
	struct vp_db_param p[] = {VP_DB_TEXT_PARAM(ctx->holder),
				  VP_DB_INT_PARAM(vp_registry_now(reg))};
	return reg->ops->exec(conn, SQL_HEARTBEAT, p, 2, NULL, err);
}

/* Its own transaction, not a group-commit item: /readyz asks whether this
 * handle's writes reach the disk now, alone, and one such write is tiny. */
vp_code vp_registry_heartbeat(struct vp_registry *reg, const char *holder, struct vp_error *err)
{
	struct heartbeat_ctx ctx = {.holder = holder};
	const struct vp_registry_field field = {holder, VP_REGISTRY_HOLDER_MAX, "heartbeat holder"};
	vp_code code;

	if (!holder || !*holder)
		return vp_fail(err, VP_ERR_INVALID, "a heartbeat needs a holder");
	if ((code = vp_registry_check_fields(&field, 1, err)) != VP_OK)
		return code;
	return vp_registry_run_tx_alone(reg, heartbeat_tx, &ctx, err);
}
