/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GET /healthz (alive: answered on the server's thread, touches nothing),
 * /readyz (the registry reads and writes: a count and a heartbeat write in a
 * transaction of its own, once per ready_cache_ms at most, on a worker;
 * 503 names the check that failed), /metrics (Prometheus text).
 */
#include <string.h>

#include "core/clock.h"
#include "core/metrics.h"
#include "api/render.h"
#include "broker/broker.h"

void vp_api_healthz(struct vp_api_call *call)
{
	vp_render_json(call, 200, json_pack("{ss}", "status", "ok"));
}

void vp_api_ready_cache_init(struct vp_api_ready_cache *cache, int64_t ttl_ms)
{
	memset(cache, 0, sizeof(*cache));
	pthread_mutex_init(&cache->lock, NULL);
	cache->ttl_ms = ttl_ms;
}

void vp_api_ready_cache_cleanup(struct vp_api_ready_cache *cache)
{
	pthread_mutex_destroy(&cache->lock);
}

/* NULL when ready, else the name of the check that failed. */
static const char *readiness(struct vp_api_call *call)
{
	struct vp_api_ready_cache *c = call->ready;
	const char *failed;
	int64_t now;

	if (!c || c->ttl_ms <= 0)
		return vp_broker_readiness(call->broker);
	pthread_mutex_lock(&c->lock);
	now = vp_clock_monotonic_ms();
	if (c->checked_ms && now - c->checked_ms < c->ttl_ms) {
		failed = c->failed;
	} else {
		failed = c->failed = vp_broker_readiness(call->broker);
		c->ready = failed == NULL;
		c->checked_ms = vp_clock_monotonic_ms();
		if (!c->checked_ms)
			c->checked_ms = 1;
	}
	pthread_mutex_unlock(&c->lock);
	return failed;
}

void vp_api_readyz(struct vp_api_call *call)
{
	const char *failed = readiness(call);

	/* The check's name only: no database address, no error text (they are logged). */
	if (failed) {
		vp_render_json(call, 503,
			       json_pack("{ss ss}", "status", "not ready", "check", failed));
		return;
	}
	vp_render_json(call, 200, json_pack("{ss}", "status", "ready"));
}

void vp_api_metrics(struct vp_api_call *call)
{
	vp_render_text(call, 200, vp_metrics_render(call->metrics),
		       "text/plain; version=0.0.4; charset=utf-8");
}
