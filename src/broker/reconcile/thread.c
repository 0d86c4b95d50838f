/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The reconciler thread of `vpcpeer serve`: one pass every interval, only
 * while this broker holds the leader lock VP_RECONCILE_LOCK.
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
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	atomic_bool stop;
};

static void one_pass(struct vp_reconciler *rc)
{
	struct vp_reconcile_options opts = {.request_id = "reconcile", .stop = &rc->stop};
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
		       "changed, %zu failed, %zu reported, %zu skipped",
		       report->namespaces, report->routes, report->trust_entries,
		       report->trust_entries == 1 ? "y" : "ies", report->changed, report->failed,
		       report->reported, report->skipped);
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

vp_code vp_reconciler_start(struct vp_broker *b, int64_t interval_s, struct vp_reconciler **out,
			    struct vp_error *err)
{
	struct vp_reconciler *rc;
	pthread_condattr_t attr;

	if (interval_s < 1)
		return vp_fail(err, VP_ERR_INVALID, "the reconcile interval must be at least 1 s");
	if (!(rc = calloc(1, sizeof(*rc))))
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	rc->b = b;
	rc->interval_s = interval_s;
	atomic_init(&rc->stop, false);
	pthread_mutex_init(&rc->mu, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&rc->cv, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&rc->thread, NULL, run, rc) != 0) {
		pthread_cond_destroy(&rc->cv);
		pthread_mutex_destroy(&rc->mu);
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
	free(rc);
}
