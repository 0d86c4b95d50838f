/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Named locks (vp_registry_lock): a read-modify-write outside the database
 * that brokers sharing one registry must not interleave. In one process a
 * name is held by one caller at a time (the handle's mutex and lock_cv); on
 * PostgreSQL the holder also takes a session-level advisory lock on a
 * connection of its own, outside the pool, so other processes wait too.
 */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "registry/internal.h"

struct vp_registry_lock {
	struct vp_registry *reg;
	struct vp_registry_lock *next; /* in reg->held */
	struct vp_db_conn *conn;       /* PostgreSQL: the session holding the advisory lock */
	int32_t key;
	char name[VP_REGISTRY_LOCK_NAME_MAX + 1];
};

/* FNV-1a: the advisory lock key of a name. Two names may share a key: they then
 * serialise with each other too, which is safe. */
static int32_t lock_key(const char *name)
{
	uint32_t h = 2166136261u;
	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	return (int32_t)h;
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

/* Give a lock connection back (kept idle up to VP_REGISTRY_LOCK_IDLE_MAX) or close it. */
static void lock_conn_put(struct vp_registry *reg, struct vp_db_conn *conn, bool usable)
{
	if (!conn)
		return;
	pthread_mutex_lock(&reg->mu);
	if (usable && reg->lock_idle_count < VP_REGISTRY_LOCK_IDLE_MAX) {
		reg->lock_idle[reg->lock_idle_count++] = conn;
		conn = NULL;
	}
	pthread_mutex_unlock(&reg->mu);
	if (conn)
		reg->ops->disconnect(conn);
}

vp_code vp_registry_lock(struct vp_registry *reg, const char *name, int timeout_ms,
			 struct vp_registry_lock **out, struct vp_error *err)
{
	struct vp_registry_lock *lock;
	struct vp_db_conn *conn = NULL;
	struct timespec deadline;
	int64_t start = vp_clock_monotonic_ms(), left;
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
	lock->key = lock_key(name);
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
	if (reg->ops->advisory_lock && reg->lock_idle_count > 0)
		conn = reg->lock_idle[--reg->lock_idle_count];
	pthread_mutex_unlock(&reg->mu);

	if (!reg->ops->advisory_lock) {
		*out = lock;
		return VP_OK;
	}
	if (conn && reg->ops->reset && (code = reg->ops->reset(conn, err)) != VP_OK) {
		reg->ops->disconnect(conn);
		conn = NULL;
	}
	code = conn ? VP_OK : reg->ops->connect(&reg->url, &reg->opts, false, &conn, err);
	left = timeout_ms - (vp_clock_monotonic_ms() - start);
	if (code == VP_OK && left < 1)
		code = vp_fail(err, VP_ERR_UNAVAILABLE, "lock '%s' stayed held for more than %d ms",
			       name, timeout_ms);
	if (code == VP_OK)
		code = reg->ops->advisory_lock(conn, lock->key, (int)left, err);
	if (code != VP_OK) {
		lock_conn_put(reg, conn, code == VP_ERR_UNAVAILABLE);
		lock_forget(reg, lock);
		free(lock);
		if (code == VP_ERR_UNAVAILABLE)
			vp_error_prefix(err, "lock '%s'", name);
		return code;
	}
	lock->conn = conn;
	*out = lock;
	return VP_OK;
}

void vp_registry_unlock(struct vp_registry_lock *lock)
{
	struct vp_registry *reg;

	if (!lock)
		return;
	reg = lock->reg;
	if (lock->conn) {
		/* A failed unlock leaves the session suspect: closing it drops the lock. */
		bool ok = reg->ops->advisory_unlock(lock->conn, lock->key, NULL) == VP_OK;
		lock_conn_put(reg, lock->conn, ok);
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
}

void vp_registry_locks_cleanup(struct vp_registry *reg)
{
	for (int i = 0; i < reg->lock_idle_count; i++)
		reg->ops->disconnect(reg->lock_idle[i]);
	pthread_cond_destroy(&reg->lock_cv);
}
