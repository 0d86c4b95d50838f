/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the broker counts and how AWS failures reach its callers: the names of
 * the broker's metrics, vpcpeer_aws_calls_total{action, outcome}, and an AWS
 * error turned into a workflow error. Used by the workflows (internal.h), the
 * grants and the reconciler alike; depends on nothing of the broker.
 */
#ifndef VP_BROKER_OUTCOME_H
#define VP_BROKER_OUTCOME_H

#include "core/error.h"

struct vp_aws_error;
struct vp_metrics;

/* Metric names (declared in vp_broker_new; a name the server declared already is shared). */
#define VP_BROKER_METRIC_NAMESPACES        "vpcpeer_namespaces"
#define VP_BROKER_METRIC_CAPACITY_USED     "vpcpeer_capacity_used"
#define VP_BROKER_METRIC_CAPACITY_LIMIT    "vpcpeer_capacity_limit"
#define VP_BROKER_METRIC_AWS_CALLS         "vpcpeer_aws_calls_total"
#define VP_BROKER_METRIC_TRUST_BATCH       "vpcpeer_trust_batch_size"
#define VP_BROKER_METRIC_WORKFLOWS         "vpcpeer_broker_workflows_total"
#define VP_BROKER_METRIC_RECONCILE_RUNS    "vpcpeer_reconcile_runs_total"
#define VP_BROKER_METRIC_RECONCILE_CHANGES "vpcpeer_reconcile_changes_total"
#define VP_BROKER_METRIC_PEERINGS_LOST     "vpcpeer_peerings_lost_total"
#define VP_BROKER_METRIC_LOST_RACES        "vpcpeer_registry_lost_races_total"
#define VP_BROKER_METRIC_LEASE_LOST        "vpcpeer_reconcile_lease_lost_total"
#define VP_BROKER_METRIC_RECONCILE_OK_AT   "vpcpeer_reconcile_last_success_timestamp_seconds"
#define VP_BROKER_METRIC_BUILD_INFO        "vpcpeer_build_info"
#define VP_BROKER_METRIC_QUOTA_USED        "vpcpeer_quota_used"
#define VP_BROKER_METRIC_QUOTA_LIMIT       "vpcpeer_quota_limit"

/*
 * Count an AWS call in vpcpeer_aws_calls_total{action, outcome}: "ok", or the
 * AWS error code (else the vp_code's name). metrics may be NULL (nothing).
 */
void vp_broker_note_aws(struct vp_metrics *metrics, const char *action, vp_code code,
			const struct vp_aws_error *err);

/*
 * Turn an AWS failure into the workflow's error: "WHAT: <AWS message>", with
 * the AWS error's code (VP_ERR_AWS when it has none). Returns that code.
 */
vp_code vp_broker_aws_fail(struct vp_error *err, const struct vp_aws_error *aerr, const char *what);

#endif
