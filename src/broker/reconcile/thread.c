/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The reconciler thread of `vpcpeer serve`: one pass every interval, only
 * while this broker holds the leader lease VP_RECONCILE_LOCK (a registry
 * lease with fencing: docs/operations.md), with the first-seen times of
 * strays kept across its passes; a second thread renews the lease while it
 * leads. And the adoption step serve runs once before it answers.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "broker/internal.h"
#include "broker/reconcile.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"

struct vp_reconciler {
	struct vp_broker *b;
	int64_t interval_s;
	struct vp_reconcile_limits limits;
	struct vp_reconcile_memory *memory; /* first-seen times across passes */
	pthread_t thread, renewer;
	bool renewer_started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	atomic_bool stop;
	/* The lease: fence.epoch 0 while not leading; under mu (fence.lost is atomic). */
	struct vp_registry_fence fence;
};

static int64_t unix_ms(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

vp_code vp_reconcile_lease_take(struct vp_broker *b, const struct vp_reconcile_limits *limits,
				int wait_ms, struct vp_registry_fence *fence, struct vp_error *err)
{
	int64_t start = vp_clock_monotonic_ms(), epoch = 0;
	vp_code code;

	if (!fence->holder[0])
		vp_registry_holder_name(fence->holder, sizeof(fence->holder));
	snprintf(fence->name, sizeof(fence->name), "%s", VP_RECONCILE_LOCK);
	for (;;) {
		code = vp_registry_lease_take(b->registry, fence->name, fence->holder,
					      limits->lease_ttl_s, 0, &epoch, NULL, err);
		if (code != VP_ERR_UNAVAILABLE ||
		    vp_clock_monotonic_ms() - start + 100 > (int64_t)wait_ms)
			break;
		vp_clock_sleep_ms(100);
	}
	if (code != VP_OK)
		return code;
	fence->epoch = epoch;
	atomic_store(&fence->lost, false);
	return VP_OK;
}

void vp_reconcile_lease_end(struct vp_broker *b, struct vp_registry_fence *fence)
{
	if (fence->epoch > 0)
		vp_ignore(vp_registry_lease_end(b->registry, fence->name, fence->holder,
						fence->epoch, NULL));
	fence->epoch = 0;
}

/* Under rc->mu: the lease is lost (logged, counted); the running pass sees fence.lost. */
static void lease_lost(struct vp_reconciler *rc, const char *why)
{
	vp_log(VP_LOG_WARN, "reconcile: lost the leader lease (epoch %lld): %s",
	       (long long)rc->fence.epoch, why);
	if (rc->b->metrics)
		vp_metrics_add(rc->b->metrics, VP_BROKER_METRIC_LEASE_LOST, NULL, 1);
	atomic_store(&rc->fence.lost, true);
	rc->fence.epoch = 0;
}

/* Renew the lease while leading; a renewal refused (expired, taken over) loses it. */
static void *renew_loop(void *arg)
{
	struct vp_reconciler *rc = arg;

	pthread_mutex_lock(&rc->mu);
	while (!atomic_load(&rc->stop)) {
		struct timespec deadline =
			vp_clock_deadline(CLOCK_MONOTONIC, rc->limits.lease_renew_s * 1000);
		while (!atomic_load(&rc->stop) &&
		       pthread_cond_timedwait(&rc->cv, &rc->mu, &deadline) != ETIMEDOUT)
			;
		if (atomic_load(&rc->stop) || rc->fence.epoch == 0)
			continue;
		struct vp_error e;
		int64_t epoch = rc->fence.epoch;
		vp_code code;
		pthread_mutex_unlock(&rc->mu);
		code = vp_registry_lease_take(rc->b->registry, rc->fence.name, rc->fence.holder,
					      rc->limits.lease_ttl_s, epoch, NULL, NULL, &e);
		pthread_mutex_lock(&rc->mu);
		if (code == VP_ERR_CONFLICT && rc->fence.epoch == epoch)
			lease_lost(rc, e.message);
		else if (code != VP_OK)
			vp_log(VP_LOG_WARN, "reconcile: cannot renew the leader lease: %s",
			       e.message); /* still ours until it expires: the next try may do */
	}
	pthread_mutex_unlock(&rc->mu);
	return NULL;
}

static void log_pass(int64_t epoch, int64_t started_ms, int64_t ended_ms, const char *outcome)
{
	vp_log(VP_LOG_INFO, "reconcile: pass epoch=%lld started_ms=%lld ended_ms=%lld outcome=%s",
	       (long long)epoch, (long long)started_ms, (long long)ended_ms, outcome);
}

static void one_pass(struct vp_reconciler *rc)
{
	struct vp_reconcile_options opts = {.request_id = "reconcile",
					    .stop = &rc->stop,
					    .limits = rc->limits,
					    .memory = rc->memory,
					    .fence = &rc->fence};
	struct vp_reconcile_report *report = NULL;
	int64_t started_ms = unix_ms(), ended_ms, epoch;
	const char *outcome = "ok";
	struct vp_error e;

	/* One broker reconciles at a time; the others skip (no wait). */
	pthread_mutex_lock(&rc->mu);
	epoch = rc->fence.epoch;
	pthread_mutex_unlock(&rc->mu);
	if (epoch == 0) {
		struct vp_registry_fence taken = rc->fence;
		if (vp_reconcile_lease_take(rc->b, &rc->limits, 0, &taken, &e) != VP_OK) {
			if (rc->b->metrics)
				vp_metrics_add(rc->b->metrics, VP_BROKER_METRIC_RECONCILE_RUNS,
					       (const char *const[]){"outcome", "skipped", NULL},
					       1);
			vp_log(VP_LOG_DEBUG, "reconcile: skipped: %s", e.message);
			log_pass(0, started_ms, unix_ms(), "skipped");
			return;
		}
		pthread_mutex_lock(&rc->mu);
		memcpy(rc->fence.holder, taken.holder, sizeof(taken.holder));
		memcpy(rc->fence.name, taken.name, sizeof(taken.name));
		rc->fence.epoch = epoch = taken.epoch;
		atomic_store(&rc->fence.lost, false);
		pthread_mutex_unlock(&rc->mu);
		vp_log(VP_LOG_DEBUG, "reconcile: leading (lease epoch %lld)", (long long)epoch);
		/* The pass starts once the lease is ours: taking it may wait on the registry
		 * (a reconnect), and the previous leader's pass may end during that wait. */
		started_ms = unix_ms();
	}
	if (vp_broker_reconcile(rc->b, &opts, &report, &e) != VP_OK) {
		vp_log(VP_LOG_WARN, "%s", e.message);
		outcome = "failed";
	} else if (report->count > 0) {
		vp_log(VP_LOG_INFO,
		       "reconcile: %zu namespace(s), %zu hub route(s), %zu trust entr%s: %zu "
		       "changed, %zu failed, %zu reported, %zu skipped, %zu held back",
		       report->namespaces, report->routes, report->trust_entries,
		       report->trust_entries == 1 ? "y" : "ies", report->changed, report->failed,
		       report->reported, report->skipped, report->held);
	}
	if (report && report->held > 0)
		vp_log(VP_LOG_ERROR,
		       "reconcile: %zu destructive repair(s) held back past "
		       "--max-destructive-repairs %lld: look at them, then run 'vpcpeer reconcile "
		       "--once --force' (docs/reconciler.md)",
		       report->held, (long long)rc->limits.max_destructive);
	vp_reconcile_report_free(report);
	pthread_mutex_lock(&rc->mu);
	if (atomic_load(&rc->fence.lost)) {
		outcome = "fenced";
		if (rc->fence.epoch != 0) /* refused by a write before the renewer noticed */
			lease_lost(rc, "a write of the pass was fenced");
	}
	/* The pass ends before the lease does: the next leader may start the moment it is
	 * given back, and the pass line must not claim the time after that. */
	ended_ms = unix_ms();
	/* The lease is held for a pass, not between passes: `vpcpeer reconcile --once` (an
	 * operator's --force run included) and the other brokers get their turn. */
	vp_reconcile_lease_end(rc->b, &rc->fence);
	pthread_mutex_unlock(&rc->mu);
	if (strcmp(outcome, "ok") == 0 && rc->b->metrics)
		vp_metrics_set(rc->b->metrics, VP_BROKER_METRIC_RECONCILE_OK_AT, NULL,
			       (double)ended_ms / 1000.0);
	log_pass(epoch, started_ms, ended_ms, outcome);
}

static void *run(void *arg)
{
	struct vp_reconciler *rc = arg;

	while (!atomic_load(&rc->stop)) {
		struct timespec deadline;
		one_pass(rc);
		deadline = vp_clock_deadline(CLOCK_MONOTONIC, rc->interval_s * 1000);
		pthread_mutex_lock(&rc->mu);
		while (!atomic_load(&rc->stop) &&
		       pthread_cond_timedwait(&rc->cv, &rc->mu, &deadline) != ETIMEDOUT)
			;
		pthread_mutex_unlock(&rc->mu);
	}
	return NULL;
}

vp_code vp_reconcile_adopt_once(struct vp_broker *b, int lock_wait_ms, struct vp_error *err)
{
	struct vp_reconcile_options opts = {.request_id = "adopt-at-start", .adopt_only = true};
	struct vp_reconcile_report *report = NULL;
	struct vp_registry_fence fence;
	vp_code code;

	memset(&fence, 0, sizeof(fence));
	vp_reconcile_limits_init(&opts.limits);
	if ((code = vp_reconcile_lease_take(b, &opts.limits, lock_wait_ms, &fence, err)) != VP_OK)
		return code;
	opts.fence = &fence;
	code = vp_broker_reconcile(b, &opts, &report, err);
	vp_reconcile_lease_end(b, &fence);
	vp_reconcile_report_free(report); /* its items are logged */
	return code;
}

vp_code vp_reconciler_start(struct vp_broker *b, int64_t interval_s,
			    const struct vp_reconcile_limits *limits, struct vp_reconciler **out,
			    struct vp_error *err)
{
	struct vp_reconciler *rc;
	pthread_condattr_t attr;

	if (interval_s < 1)
		return vp_fail(err, VP_ERR_INVALID, "the reconcile interval must be at least 1 s");
	if (!(rc = calloc(1, sizeof(*rc))))
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	if (!(rc->memory = vp_reconcile_memory_new())) {
		free(rc);
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	}
	rc->b = b;
	rc->interval_s = interval_s;
	if (limits)
		rc->limits = *limits;
	else
		vp_reconcile_limits_init(&rc->limits);
	if (rc->limits.lease_renew_s < 1 || rc->limits.lease_ttl_s <= rc->limits.lease_renew_s) {
		vp_reconcile_memory_free(rc->memory);
		free(rc);
		return vp_fail(err, VP_ERR_INVALID,
			       "--lease-renew must be at least 1 s and shorter than --lease-ttl");
	}
	vp_registry_holder_name(rc->fence.holder, sizeof(rc->fence.holder));
	atomic_init(&rc->stop, false);
	pthread_mutex_init(&rc->mu, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&rc->cv, &attr);
	pthread_condattr_destroy(&attr);
	rc->renewer_started = pthread_create(&rc->renewer, NULL, renew_loop, rc) == 0;
	if (!rc->renewer_started || pthread_create(&rc->thread, NULL, run, rc) != 0) {
		if (rc->renewer_started) {
			atomic_store(&rc->stop, true);
			pthread_mutex_lock(&rc->mu);
			pthread_cond_broadcast(&rc->cv);
			pthread_mutex_unlock(&rc->mu);
			pthread_join(rc->renewer, NULL);
		}
		pthread_cond_destroy(&rc->cv);
		pthread_mutex_destroy(&rc->mu);
		vp_reconcile_memory_free(rc->memory);
		free(rc);
		return vp_fail(err, VP_ERR_INTERNAL, "cannot start the reconciler thread");
	}
	*out = rc;
	return VP_OK;
}

void vp_reconciler_stop(struct vp_reconciler *rc)
{
	if (!rc)
		return;
	pthread_mutex_lock(&rc->mu);
	atomic_store(&rc->stop, true);
	pthread_cond_broadcast(&rc->cv);
	pthread_mutex_unlock(&rc->mu);
	pthread_join(rc->thread, NULL);
	pthread_join(rc->renewer, NULL);
	/* Handed over at once: the next leader need not wait for the lease to expire. */
	vp_reconcile_lease_end(rc->b, &rc->fence);
	pthread_cond_destroy(&rc->cv);
	pthread_mutex_destroy(&rc->mu);
	vp_reconcile_memory_free(rc->memory);
	free(rc);
}
