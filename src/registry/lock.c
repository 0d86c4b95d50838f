/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Named locks (vp_registry_lock): a read-modify-write outside the database
 * that brokers sharing one registry must not interleave. In one process a
 * name is held by one caller at a time (the handle's mutex and lock_cv); on
 * PostgreSQL the holder also holds a row of lock_rows (name, holder,
 * expires_at), so other processes wait too. No session state: taking and
 * giving back a row are short transactions of their own, so the locks work
 * behind a transaction pooler (issue 23). A keeper thread renews the
 * handle's rows every third of VP_REGISTRY_LOCK_ROW_TTL while any is held; a
 * broker that dies leaves its rows until they expire.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "registry/internal.h"

struct vp_registry_lock {
	struct vp_registry *reg;
	struct vp_registry_lock *next; /* in reg->held */
	bool row;                      /* PostgreSQL: a row of lock_rows is held */
	char name[VP_REGISTRY_LOCK_NAME_MAX + 1];
};

/* Taken when free, expired, or this handle's own: its give failed (the database was away)
 * and the in-process lock, taken first, says no thread of this handle holds it. Changes 1
 * row when taken. */
static const char SQL_LOCK_TAKE[] =
	"INSERT INTO lock_rows (name, holder, expires_at) VALUES ($1, $2, $3) "
	"ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, "
	"expires_at = excluded.expires_at WHERE lock_rows.expires_at <= $4 "
	"OR lock_rows.holder = excluded.holder";
static const char SQL_LOCK_GIVE[] = "DELETE FROM lock_rows WHERE name = $1 AND holder = $2";
/* Only the names held now: a row whose give failed must expire, not be kept alive by the
 * other locks of its handle (both brokers waited a minute for one such row, fault suite). */
static const char SQL_LOCK_RENEW[] =
	"UPDATE lock_rows SET expires_at = $3 WHERE holder = $1 AND name = $2";

/* The most names one renewal covers; more wait for the next period (the TTL is 3 of them). */
#define RENEW_MAX 64

struct row_ctx {
	const char *name, *holder;
	int64_t changes;
	/* renew_tx: the names held when the keeper woke */
	char (*names)[VP_REGISTRY_LOCK_NAME_MAX + 1];
	int count;
};

static vp_code take_tx(struct vp_registry *reg, struct vp_db_conn *conn, void *ctx_,
		       struct vp_error *err)
{
	struct row_ctx *ctx = ctx_;
	int64_t now = (int64_t)time(NULL); /* real time, as the keeper's renewals */
	struct vp_db_param p[] = {VP_DB_TEXT_PARAM(ctx->name), VP_DB_TEXT_PARAM(ctx->holder),
				  VP_DB_INT_PARAM(now + VP_REGISTRY_LOCK_ROW_TTL),
				  VP_DB_INT_PARAM(now)};
	return reg->ops->exec(conn, SQL_LOCK_TAKE, p, 4, &ctx->changes, err);
}

static vp_code give_tx(struct vp_registry *reg, struct vp_db_conn *conn, void *ctx_,
		       struct vp_error *err)
{
	struct row_ctx *ctx = ctx_;
	struct vp_db_param p[] = {VP_DB_TEXT_PARAM(ctx->name), VP_DB_TEXT_PARAM(ctx->holder)};
	return reg->ops->exec(conn, SQL_LOCK_GIVE, p, 2, NULL, err);
}

static vp_code renew_tx(struct vp_registry *reg, struct vp_db_conn *conn, void *ctx_,
			struct vp_error *err)
{
	struct row_ctx *ctx = ctx_;
	vp_code code = VP_OK;

	for (int i = 0; code == VP_OK && i < ctx->count; i++) {
		struct vp_db_param p[] = {
			VP_DB_TEXT_PARAM(ctx->holder), VP_DB_TEXT_PARAM(ctx->names[i]),
			VP_DB_INT_PARAM((int64_t)time(NULL) + VP_REGISTRY_LOCK_ROW_TTL)};
		code = reg->ops->exec(conn, SQL_LOCK_RENEW, p, 3, NULL, err);
	}
	return code;
}

static bool lock_held(const struct vp_registry *reg, const char *name)
{
	for (const struct vp_registry_lock *l = reg->held; l; l = l->next)
		if (strcmp(l->name, name) == 0)
			return true;
	return false;
}

static void lock_forget(struct vp_registry *reg, struct vp_registry_lock *lock)
{
	pthread_mutex_lock(&reg->mu);
	for (struct vp_registry_lock **p = &reg->held; *p; p = &(*p)->next)
		if (*p == lock) {
			*p = lock->next;
			break;
		}
	pthread_cond_broadcast(&reg->lock_cv);
	pthread_mutex_unlock(&reg->mu);
}

/* The keeper: renews this handle's rows while it holds any, until close. */
static void *keeper(void *arg)
{
	struct vp_registry *reg = arg;
	char names[RENEW_MAX][VP_REGISTRY_LOCK_NAME_MAX + 1];
	struct row_ctx ctx = {.holder = reg->lock_holder, .names = names};

	pthread_mutex_lock(&reg->mu);
	while (!reg->keeper_stop) {
		struct timespec deadline =
			vp_clock_deadline(CLOCK_MONOTONIC, VP_REGISTRY_LOCK_ROW_TTL * 1000 / 3);
		while (!reg->keeper_stop &&
		       pthread_cond_timedwait(&reg->lock_cv, &reg->mu, &deadline) == 0)
			;
		if (reg->keeper_stop || !reg->held)
			continue;
		ctx.count = 0;
		for (const struct vp_registry_lock *l = reg->held; l && ctx.count < RENEW_MAX;
		     l = l->next)
			memcpy(names[ctx.count++], l->name, sizeof(l->name));
		pthread_mutex_unlock(&reg->mu);
		/* A failure is retried at the next period; the rows outlive two of them. */
		vp_ignore(vp_registry_run_tx_alone(reg, renew_tx, &ctx, NULL));
		pthread_mutex_lock(&reg->mu);
	}
	pthread_mutex_unlock(&reg->mu);
	return NULL;
}

/* The row of `name`, polled (5 ms doubling to 100 ms) until taken or the deadline. */
static vp_code take_row(struct vp_registry *reg, const char *name, int64_t start, int timeout_ms,
			struct vp_error *err)
{
	struct row_ctx ctx = {.name = name, .holder = reg->lock_holder};
	int64_t pause = 5;
	vp_code code;

	for (;;) {
		int64_t left;
		ctx.changes = 0;
		if ((code = vp_registry_run_tx_alone(reg, take_tx, &ctx, err)) != VP_OK)
			return code;
		if (ctx.changes > 0)
			return VP_OK;
		left = timeout_ms - (vp_clock_monotonic_ms() - start);
		if (left <= 0)
			return vp_fail(err, VP_ERR_UNAVAILABLE,
				       "another broker held the lock for more than %d ms",
				       timeout_ms);
		vp_clock_sleep_ms(pause < left ? pause : left);
		pause = pause * 2 > 100 ? 100 : pause * 2;
	}
}

vp_code vp_registry_lock(struct vp_registry *reg, const char *name, int timeout_ms,
			 struct vp_registry_lock **out, struct vp_error *err)
{
	struct vp_registry_lock *lock;
	struct timespec deadline;
	int64_t start = vp_clock_monotonic_ms();
	vp_code code;

	if (!name || !*name ||
	    strnlen(name, VP_REGISTRY_LOCK_NAME_MAX + 1) > VP_REGISTRY_LOCK_NAME_MAX)
		return vp_fail(err, VP_ERR_INVALID, "a lock name must be 1..%d bytes",
			       VP_REGISTRY_LOCK_NAME_MAX);
	if (timeout_ms <= 0)
		timeout_ms = reg->opts.busy_timeout_ms > 0 ? reg->opts.busy_timeout_ms : 1;
	if (!(lock = calloc(1, sizeof(*lock))))
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	lock->reg = reg;
	memcpy(lock->name, name, strlen(name) + 1);

	deadline = vp_clock_deadline(CLOCK_MONOTONIC, timeout_ms);
	pthread_mutex_lock(&reg->mu);
	while (lock_held(reg, name)) {
		if (pthread_cond_timedwait(&reg->lock_cv, &reg->mu, &deadline) != 0 &&
		    lock_held(reg, name)) {
			pthread_mutex_unlock(&reg->mu);
			free(lock);
			return vp_fail(err, VP_ERR_UNAVAILABLE,
				       "lock '%s' stayed held for more than %d ms", name,
				       timeout_ms);
		}
	}
	lock->next = reg->held;
	reg->held = lock;
	if (reg->ops->lock_table && !reg->keeper_running &&
	    pthread_create(&reg->keeper, NULL, keeper, reg) == 0)
		reg->keeper_running = true;
	pthread_mutex_unlock(&reg->mu);

	if (!reg->ops->lock_table) {
		*out = lock;
		return VP_OK;
	}
	if ((code = take_row(reg, name, start, timeout_ms, err)) != VP_OK) {
		lock_forget(reg, lock);
		free(lock);
		vp_error_prefix(err, "lock '%s'", name);
		return code;
	}
	lock->row = true;
	*out = lock;
	return VP_OK;
}

void vp_registry_unlock(struct vp_registry_lock *lock)
{
	struct vp_registry *reg;

	if (!lock)
		return;
	reg = lock->reg;
	if (lock->row) {
		struct row_ctx ctx = {.name = lock->name, .holder = reg->lock_holder};
		/* A failed delete leaves the row to expire (the keeper no longer renews it
		 * once no lock is held; another name held keeps it renewed until then). */
		vp_ignore(vp_registry_run_tx_alone(reg, give_tx, &ctx, NULL));
	}
	lock_forget(reg, lock);
	free(lock);
}

void vp_registry_locks_init(struct vp_registry *reg)
{
	pthread_condattr_t attr;

	/* vp_registry_lock()'s deadline is on the monotonic clock: a wall clock step
	 * must not lengthen or cut a wait. */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&reg->lock_cv, &attr);
	pthread_condattr_destroy(&attr);
	vp_registry_holder_name(reg->lock_holder, sizeof(reg->lock_holder));
}

void vp_registry_locks_cleanup(struct vp_registry *reg)
{
	if (reg->keeper_running) {
		pthread_mutex_lock(&reg->mu);
		reg->keeper_stop = true;
		pthread_cond_broadcast(&reg->lock_cv);
		pthread_mutex_unlock(&reg->mu);
		pthread_join(reg->keeper, NULL);
		reg->keeper_running = false;
	}
	pthread_cond_destroy(&reg->lock_cv);
}
