/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reconciler check 2, lost peerings: an active namespace whose peering is
 * gone (deleted, rejected, expired, failed, unknown to EC2) is marked failed,
 * with an event, a warn log line and vpcpeer_peerings_lost_total.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/ec2.h"
#include "broker/internal.h"
#include "broker/reconcile/internal.h"
#include "core/log.h"
#include "core/metrics.h"

static bool peering_gone(const char *status)
{
	static const char *const gone[] = {"deleted", "deleting", "rejected", "failed", "expired"};

	if (!status)
		return false;
	for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++)
		if (strcmp(status, gone[i]) == 0)
			return true;
	return false;
}

/* The status of one peering asked for by id: NULL (and *missing) when EC2 does not know it. */
static vp_code peering_status(struct vp_reconcile_pass *p, const char *pcx, char *status,
			      size_t size, bool *missing, struct vp_error *err)
{
	const char *ids[] = {pcx};
	struct vp_aws_ec2_query q = {.ids = ids, .id_count = 1};
	struct vp_aws_ec2_peering_list *list = NULL;
	struct vp_aws_error aerr;
	vp_code code = vp_aws_ec2_describe_vpc_peering_connections(p->b->aws, &q, &list, &aerr);

	vp_broker_note_aws(p->b->metrics, "DescribeVpcPeeringConnections", code, &aerr);
	*missing = false;
	status[0] = '\0';
	if (code == VP_ERR_NOT_FOUND || (code == VP_OK && list->count == 0)) {
		*missing = true;
		code = VP_OK;
	} else if (code != VP_OK) {
		code = vp_broker_aws_fail(err, &aerr, "reading a peering connection");
	} else {
		vp_reconcile_copy(status, size, list->items[0].status_code);
	}
	vp_aws_ec2_peering_list_free(list);
	return code;
}

/*
 * Active -> failed under the namespace's lock, when it is still active with
 * that peering. status NULL: the peering is unknown to EC2.
 */
static void mark_failed(struct vp_reconcile_pass *p, struct vp_namespace_record *rec,
			const char *status, struct vp_reconcile_item *it)
{
	struct vp_registry_lock *lock = NULL;
	struct vp_namespace_record *now;
	struct vp_registry_change change = {.detail = NULL};
	bool live = false;
	char *text;
	json_t *d;
	struct vp_error e;

	if (!(now = vp_reconcile_lock_record(p, rec->n, it, &lock, &live)))
		return;
	if (!live || now->state != VP_NS_ACTIVE || strcmp(now->peering_id, rec->peering_id) != 0) {
		vp_reconcile_set_outcome(it, VP_RECONCILE_SKIPPED, NULL); /* changed meanwhile */
		goto out;
	}
	d = json_pack("{ss ss ss}", "reason", "peering gone", "peering_id", rec->peering_id,
		      "status", status ? status : "unknown");
	text = d ? json_dumps(d, JSON_COMPACT) : NULL;
	change.detail = text;
	json_decref(d);
	if (vp_registry_transition(p->b->registry, rec->n, VP_NS_STATE_BIT(VP_NS_ACTIVE),
				   VP_NS_FAILED, &change, p->rid, now, &e) != VP_OK) {
		vp_reconcile_set_outcome(it, VP_RECONCILE_FAILED, &e);
	} else {
		*rec = *now;
		if (p->b->metrics)
			vp_metrics_add(p->b->metrics, VP_BROKER_METRIC_PEERINGS_LOST, NULL, 1);
		vp_log(VP_LOG_WARN,
		       "reconcile: namespace %lld (account %s) failed: peering %s is %s",
		       (long long)rec->n, rec->account, rec->peering_id, status ? status : "gone");
	}
	free(text);
out:
	vp_registry_unlock(lock);
	free(now);
}

vp_code vp_reconcile_check_peerings(struct vp_reconcile_pass *p, struct vp_error *err)
{
	const struct vp_aws_ec2_peering_list *list = p->peerings;

	(void)err; /* the hub's peerings are read already: nothing here fails the pass */
	for (size_t i = 0; i < p->live_count && !vp_reconcile_stopping(p); i++) {
		struct vp_namespace_record *rec = &p->live[i];
		char status[64] = "";
		bool found = false, missing = false;
		struct vp_reconcile_item *it;
		struct vp_error e;

		if (rec->state != VP_NS_ACTIVE || !rec->peering_id[0])
			continue;
		for (size_t k = 0; k < list->count; k++)
			if (list->items[k].vpc_peering_connection_id &&
			    strcmp(list->items[k].vpc_peering_connection_id, rec->peering_id) ==
				    0) {
				vp_reconcile_copy(status, sizeof(status),
						  list->items[k].status_code);
				found = true;
			}
		if (!found) { /* not listed with the hub VPC as accepter: ask for it by id */
			if (peering_status(p, rec->peering_id, status, sizeof(status), &missing,
					   &e) != VP_OK) {
				it = vp_reconcile_add_item(p, VP_RECONCILE_PEERING_LOST, rec->n,
							   rec->account);
				vp_reconcile_detail(it, "could not check peering %s",
						    rec->peering_id);
				vp_reconcile_set_outcome(it, VP_RECONCILE_FAILED, &e);
				continue;
			}
		}
		if (!missing && !peering_gone(status))
			continue;
		it = vp_reconcile_add_item(p, VP_RECONCILE_PEERING_LOST, rec->n, rec->account);
		if (it)
			vp_reconcile_copy(it->target, sizeof(it->target), rec->peering_id);
		vp_reconcile_detail(it, "peering %s is %s", rec->peering_id,
				    missing ? "gone (unknown to EC2)" : status);
		if (p->opts->dry_run) {
			rec->state = VP_NS_FAILED; /* what the rest of the pass would see */
			continue;
		}
		mark_failed(p, rec, missing ? NULL : status, it);
	}
	return VP_OK;
}
