/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The probe mode of the Lambda program (issue 21; docs/lambda.md, "The
 * probe function"): the client template's ProbeFunction runs the same
 * bootstrap in the client VPC's private subnets, and each invocation probes
 * from there with src/probe. The confirmation handler invokes it
 * (handler_confirm.c) after the broker confirmed, with the stack's
 * HealthCheck.
 *
 * The event:  {"targets": ["10.0.1.5:443", "http://10.0.1.5:8080/health"],
 *              "timeout_s": 20}
 * targets: 1..VP_PROBE_MAX_TARGETS probe targets (probe/target.h); timeout_s:
 * 1..VP_CFN_PROBE_TIMEOUT_MAX_S, optional (default 20), cut to the time the
 * invocation has left. Any other key is refused.
 * The answer: the JSON `vpcpeer probe --json` prints,
 *   {"Reached": bool, "Targets": [{"Target", "Kind", "Outcome", "Reached",
 *    "Attempts", "TimeMs", "Address", "LocalAddress", "HttpStatus", "Message"}]}
 * A bad event is an invocation error of type "InvalidEvent".
 */
#ifndef VP_CFN_PROBE_MODE_H
#define VP_CFN_PROBE_MODE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "cfn/runtime.h"
#include "core/error.h"
#include "probe/probe.h"

#define VP_CFN_PROBE_TIMEOUT_MAX_S     600
#define VP_CFN_PROBE_TIMEOUT_DEFAULT_S 20
#define VP_CFN_PROBE_EVENT_MAX         ((size_t)256 << 10) /* 64 URLs of 2 KiB, and room */

/*
 * The HealthCheck property: probe targets separated by commas (blanks
 * around them ignored; a target cannot hold a comma). Parses into
 * targets[0..max) when targets is not NULL (else only checks), *count set.
 * VP_ERR_INVALID names the target by its position.
 */
VP_NODISCARD vp_code vp_cfn_probe_list_parse(const char *text, struct vp_probe_target *targets,
					     int max, int *count, struct vp_error *err);

/* A probe event, parsed. targets is caller storage of VP_PROBE_MAX_TARGETS. */
struct vp_cfn_probe_event {
	struct vp_probe_target *targets;
	int count;
	int64_t timeout_ms;
};

VP_NODISCARD vp_code vp_cfn_probe_event_parse(const char *text, size_t len,
					      struct vp_cfn_probe_event *ev, struct vp_error *err);

/* The answer's JSON (new reference; NULL when out of memory). */
json_t *vp_cfn_probe_json(const struct vp_probe_target *targets,
			  const struct vp_probe_result *results, int count);

struct vp_cfn_probe_config {
	const char *ca_file;     /* https targets: a PEM bundle; NULL: the system's */
	long reserve_ms;         /* kept before the deadline for the answer; 0: 2000 */
	int64_t (*now_ms)(void); /* NULL: the real clock (unix ms) */
};

/* A vp_lambda_handler_fn (ctx: struct vp_cfn_probe_config). */
VP_NODISCARD vp_code vp_cfn_probe_lambda_handler(void *ctx, const struct vp_lambda_invocation *inv,
						 struct vp_buf *response, char *error_type,
						 size_t error_type_size, struct vp_error *err);

#endif
