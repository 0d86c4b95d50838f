/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Metrics in the Prometheus text exposition format (version 0.0.4).
 *
 * A struct vp_metrics holds metric families (counter, gauge, histogram), each
 * declared once with vp_metrics_declare*() and then updated from any thread.
 * Series are keyed by their label pairs; both families and series per family
 * are bounded (updates past the bound are dropped and counted in
 * vpcpeer_metrics_dropped_total), so a flood of distinct label values cannot
 * grow memory without end. vp_metrics_new() / vp_metrics_free() own it.
 */
#ifndef VP_CORE_METRICS_H
#define VP_CORE_METRICS_H

#include <stddef.h>

#include "core/error.h"

#define VP_METRICS_MAX_FAMILIES 64
#define VP_METRICS_MAX_SERIES   512
#define VP_METRICS_MAX_BUCKETS  16

enum vp_metric_type { VP_METRIC_COUNTER, VP_METRIC_GAUGE, VP_METRIC_HISTOGRAM };

struct vp_metrics;

struct vp_metrics *vp_metrics_new(void);
void vp_metrics_free(struct vp_metrics *metrics);

/* Declare a counter or gauge. Names follow Prometheus: [a-zA-Z_:][a-zA-Z0-9_:]*. */
VP_NODISCARD vp_code vp_metrics_declare(struct vp_metrics *metrics, const char *name,
					enum vp_metric_type type, const char *help,
					struct vp_error *err);

/* Declare a histogram with ascending upper bounds (+Inf is implied). */
VP_NODISCARD vp_code vp_metrics_declare_histogram(struct vp_metrics *metrics, const char *name,
						  const char *help, const double *bounds,
						  size_t bound_count, struct vp_error *err);

/*
 * Update a series. `labels` is a NULL-terminated list of name, value pairs
 * (or NULL for none); values are escaped as the format requires. Updates to
 * undeclared names are ignored.
 */
void vp_metrics_add(struct vp_metrics *metrics, const char *name, const char *const *labels,
		    double value);
void vp_metrics_set(struct vp_metrics *metrics, const char *name, const char *const *labels,
		    double value);
void vp_metrics_observe(struct vp_metrics *metrics, const char *name, const char *const *labels,
			double value);

/* Render the standard process_* metrics too (core/process_metrics.h): a program's own
 * registry, not a library's. */
void vp_metrics_with_process(struct vp_metrics *metrics);

/* The whole exposition as text; the caller frees it. NULL when out of memory. */
char *vp_metrics_render(struct vp_metrics *metrics);

/*
 * collect(ctx) runs at the start of every vp_metrics_render, before the text
 * is made: it sets gauges that are cheaper to count when asked than to keep
 * up to date on every change (Prometheus's "collector"). One per registry;
 * NULL removes it. Clear it before ctx goes away, while no render can run.
 */
void vp_metrics_on_render(struct vp_metrics *metrics, void (*collect)(void *ctx), void *ctx);

#endif
