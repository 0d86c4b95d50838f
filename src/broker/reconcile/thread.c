/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The reconciler thread of `vpcpeer serve`: one pass every interval, only
 * while this broker holds the leader lock VP_RECONCILE_LOCK, with the
 * first-seen times of strays kept across its passes; and the adoption step
 * serve runs once before it answers.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

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
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	atomic_bool stop;
};

static void one_pass(struct vp_reconciler *rc)
{
	struct vp_reconcile_options opts = {.request_id = "reconcile",
					    .stop = &rc->stop,
					    .limits = rc->limits,
					    .memory = rc->memory};
	struct vp_reconcile_report *report = NULL;
	struct vp_registry_lock *lock = NULL;
	struct vp_error e;

	/* One broker reconciles at a time; the others skip (no wait). */
	if (vp_registry_lock(rc->b->registry, VP_RECONCILE_LOCK, 200, &lock, &e) != VP_OK) {
		if (rc->b->metrics)
			vp_metrics_add(rc->b->metrics, VP_BROKER_METRIC_RECONCILE_RUNS,
				       (const char *const[]){"outcome", "skipped", NULL}, 1);
		vp_log(VP_LOG_DEBUG, "reconcile: skipped: %s", e.message);
		return;
	}
	if (vp_broker_reconcile(rc->b, &opts, &report, &e) != VP_OK)
		vp_log(VP_LOG_WARN, "%s", e.message);
	else if (report->count > 0)
		vp_log(VP_LOG_INFO,
		       "reconcile: %zu namespace(s), %zu hub route(s), %zu trust entr%s: %zu "
		       "changed, %zu failed, %zu reported, %zu skipped, %zu held back",
		       report->namespaces, report->routes, report->trust_entries,
		       report->trust_entries == 1 ? "y" : "ies", report->changed, report->failed,
		       report->reported, report->skipped, report->held);
	if (report && report->held > 0)
		vp_log(VP_LOG_ERROR,
		       "reconcile: %zu destructive repair(s) held back past "
		       "--max-destructive-repairs %lld: look at them, then run 'vpcpeer reconcile "
		       "--once --force' (docs/reconciler.md)",
		       report->held, (long long)rc->limits.max_destructive);
	vp_reconcile_report_free(report);
	vp_registry_unlock(lock);
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
	struct vp_registry_lock *lock = NULL;
	vp_code code;

	vp_reconcile_limits_init(&opts.limits);
	if ((code = vp_registry_lock(b->registry, VP_RECONCILE_LOCK, lock_wait_ms, &lock, err)) !=
	    VP_OK)
		return code;
	code = vp_broker_reconcile(b, &opts, &report, err);
	vp_registry_unlock(lock);
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
	atomic_init(&rc->stop, false);
	pthread_mutex_init(&rc->mu, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&rc->cv, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&rc->thread, NULL, run, rc) != 0) {
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
	pthread_cond_destroy(&rc->cv);
	pthread_mutex_destroy(&rc->mu);
	vp_reconcile_memory_free(rc->memory);
	free(rc);
}
