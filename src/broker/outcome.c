/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Counting AWS calls and turning AWS failures into workflow errors
 * (outcome.h has the contract).
 */
#include "broker/outcome.h"

#include "aws/error.h"
#include "core/metrics.h"

void vp_broker_note_aws(struct vp_metrics *metrics, const char *action, vp_code code,
			const struct vp_aws_error *err)
{
	const char *outcome = "ok";

	if (!metrics)
		return;
	if (code != VP_OK)
		outcome = err && err->code[0] ? err->code : vp_code_name(code);
	vp_metrics_add(metrics, VP_BROKER_METRIC_AWS_CALLS,
		       (const char *const[]){"action", action, "outcome", outcome, NULL}, 1);
}

vp_code vp_broker_aws_fail(struct vp_error *err, const struct vp_aws_error *aerr, const char *what)
{
	vp_code code = aerr->error.code == VP_OK ? VP_ERR_AWS : aerr->error.code;
	return vp_fail(err, code, "%s: %s", what, aerr->error.message);
}
