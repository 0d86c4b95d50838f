/* SPDX-License-Identifier: Apache-2.0 */
/* GET /healthz (alive), /readyz (the registry answers), /metrics (Prometheus text). */
#include "core/metrics.h"
#include "api/render.h"
#include "broker/broker.h"

void vp_api_healthz(struct vp_api_call *call)
{
	vp_render_json(call, 200, json_pack("{ss}", "status", "ok"));
}

void vp_api_readyz(struct vp_api_call *call)
{
	if (!vp_broker_ready(call->broker)) {
		vp_render_error(call, VP_ERR_UNAVAILABLE, "the registry does not answer");
		return;
	}
	vp_render_json(call, 200, json_pack("{ss}", "status", "ready"));
}

void vp_api_metrics(struct vp_api_call *call)
{
	vp_render_text(call, 200, vp_metrics_render(call->metrics),
		       "text/plain; version=0.0.4; charset=utf-8");
}
