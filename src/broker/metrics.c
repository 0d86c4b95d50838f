/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The broker's metrics (docs/operations.md, "What to watch in /metrics"): the
 * families it declares, and the gauges counted when /metrics is asked.
 */
#include <stdlib.h>

#include "broker/grants.h"
#include "broker/grants_write.h"
#include "broker/internal.h"
#include "broker/quota.h"
#include "core/metrics.h"
#include "core/version.h"
#include "registry/state.h"

vp_code vp_broker_metrics_declare(struct vp_metrics *m, struct vp_error *err)
{
	static const double batch_bounds[] = {1, 2, 4, 8, 16, 32, 64, 128};
	static const struct {
		const char *name;
		enum vp_metric_type type;
		const char *help;
	} plain[] = {
		{VP_BROKER_METRIC_NAMESPACES, VP_METRIC_GAUGE, "Live namespaces by state."},
		{VP_BROKER_METRIC_CAPACITY_USED, VP_METRIC_GAUGE,
		 "Live namespaces (each needs an active peering of the hub VPC)."},
		{VP_BROKER_METRIC_CAPACITY_LIMIT, VP_METRIC_GAUGE,
		 "Live namespaces the broker allows: the lower of --max-peerings and the plan."},
		{VP_BROKER_METRIC_AWS_CALLS, VP_METRIC_COUNTER,
		 "AWS calls made by the broker's workflows, by action and outcome."},
		{VP_BROKER_METRIC_WORKFLOWS, VP_METRIC_COUNTER,
		 "Broker workflows (register, confirm, release) by outcome."},
		{VP_BROKER_METRIC_RECONCILE_RUNS, VP_METRIC_COUNTER,
		 "Reconcile passes by outcome (ok, failed, fenced: the lease was lost, skipped: "
		 "another broker leads)."},
		{VP_BROKER_METRIC_RECONCILE_CHANGES, VP_METRIC_COUNTER,
		 "What reconcile passes found, by kind and outcome (done, failed, reported, "
		 "skipped)."},
		{VP_BROKER_METRIC_PEERINGS_LOST, VP_METRIC_COUNTER,
		 "Active namespaces marked failed because their peering is gone."},
		{VP_BROKER_METRIC_LOST_RACES, VP_METRIC_COUNTER,
		 "Writes refused because the record they were read from changed since (a stale "
		 "snapshot: nothing changed), by workflow."},
		{VP_BROKER_METRIC_LEASE_LOST, VP_METRIC_COUNTER,
		 "Times this broker lost the reconciler lease (expired or taken over) while "
		 "leading."},
		{VP_BROKER_METRIC_RECONCILE_OK_AT, VP_METRIC_GAUGE,
		 "When this broker's last reconcile pass that ran ended without failure (Unix "
		 "seconds); absent until one has."},
		{VP_BROKER_METRIC_BUILD_INFO, VP_METRIC_GAUGE,
		 "Always 1: the running vpcpeer's version in its label."},
		{VP_BROKER_METRIC_QUOTA_USED, VP_METRIC_GAUGE,
		 "Use of AWS's quotas the broker fills, as its view of the hub has it: "
		 "peerings (active peerings of the hub VPC), routes (per hub route table), "
		 "trust_policy_chars (per peer role)."},
		{VP_GRANTS_METRIC_INVALID_PRINCIPALS, VP_METRIC_COUNTER,
		 "Principals IAM refused in a peer role's trust policy (Invalid principal in "
		 "policy), left out of the document written."},
		{VP_BROKER_METRIC_QUOTA_LIMIT, VP_METRIC_GAUGE,
		 "The quota each vpcpeer_quota_used is measured against (--max-peerings, "
		 "--max-routes-per-table, --trust-policy-quota)."},
	};
	struct vp_error e;

	if (!m)
		return VP_OK;
	/* A name declared already (by the server, or an earlier broker) is shared. */
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		if (vp_metrics_declare(m, plain[i].name, plain[i].type, plain[i].help, &e) !=
			    VP_OK &&
		    e.code != VP_ERR_CONFLICT) {
			if (err)
				*err = e;
			return e.code;
		}
	vp_metrics_set(m, VP_BROKER_METRIC_BUILD_INFO,
		       (const char *const[]){"version", VP_VERSION, NULL}, 1);
	if (vp_metrics_declare_histogram(
		    m, VP_BROKER_METRIC_TRUST_BATCH,
		    "Changes applied per trust-policy update (group commit).", batch_bounds,
		    sizeof(batch_bounds) / sizeof(batch_bounds[0]), &e) != VP_OK &&
	    e.code != VP_ERR_CONFLICT) {
		if (err)
			*err = e;
		return e.code;
	}
	return VP_OK;
}

static void quota_gauges(struct vp_broker *b, const char *quota, const char *key, const char *value,
			 double used, double limit)
{
	const char *labels[] = {"quota", quota, key, value, NULL};

	if (!key)
		labels[2] = NULL;
	vp_metrics_set(b->metrics, VP_BROKER_METRIC_QUOTA_USED, labels, used);
	vp_metrics_set(b->metrics, VP_BROKER_METRIC_QUOTA_LIMIT, labels, limit);
}

/* Each live namespace holds a peering and a route in every hub table (quota.h). */
static void collect_quota_use(struct vp_broker *b, int64_t live)
{
	struct vp_broker_quota_use *use = malloc(sizeof(*use));

	if (use && vp_broker_quota_use(b, use)) {
		quota_gauges(b, "peerings", NULL, NULL, (double)(live + (int64_t)use->strays),
			     b->max_peerings);
		for (size_t i = 0; i < use->table_count; i++)
			quota_gauges(b, "routes", "route_table", use->tables[i],
				     (double)(live + (int64_t)use->other[i]),
				     b->max_routes_per_table);
	}
	free(use);
	for (size_t i = 0; b->grants && i < vp_grants_role_count(b->grants); i++) {
		size_t size = vp_grants_policy_size(b->grants, i);
		if (size > 0)
			quota_gauges(b, "trust_policy_chars", "role",
				     vp_grants_role_arn(b->grants, i), (double)size,
				     (double)vp_grants_quota(b->grants, i));
	}
}

/* The namespace gauges, counted when /metrics is asked (vp_metrics_on_render): a count per
 * change cost every registration a registry read, and a count when asked also shows what the
 * other brokers of a shared registry changed. */
void vp_broker_metrics_collect(void *ctx)
{
	struct vp_broker *b = ctx;
	int64_t counts[VP_NS_STATE_COUNT], live = 0;

	if (!b->metrics || vp_registry_count_states(b->registry, counts, NULL) != VP_OK)
		return;
	for (int s = 0; s < VP_NS_STATE_COUNT; s++) {
		if (s == VP_NS_RELEASED)
			continue;
		vp_metrics_set(b->metrics, VP_BROKER_METRIC_NAMESPACES,
			       (const char *const[]){
				       "state", vp_registry_state_name((enum vp_ns_state)s), NULL},
			       (double)counts[s]);
		live += counts[s];
	}
	vp_metrics_set(b->metrics, VP_BROKER_METRIC_CAPACITY_USED, NULL, (double)live);
	collect_quota_use(b, live);
}
