/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Custom::PeeringConfirmation in broker mode (docs/lambda.md): the
 * CloudFormation resource AWS::EC2::VPCPeeringConnection needs a PeerRoleArn
 * across accounts, so the handler requests the peering itself, in the
 * client's account with the function's own credentials (j->cfg->aws, the
 * default chain; region from AWS_REGION), then confirms it with the broker,
 * which checks and accepts it. Idempotent under CloudFormation's and
 * Lambda's retries: this VPC's pending or active request to the hub VPC is
 * reused. A failed confirmation deletes the request again, so a rollback
 * leaves no peering; the Delete of a confirmed one deletes it (the requester
 * may delete a peering pending or active; gone counts as done).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/ec2.h"
#include "cfn/handler_internal.h"
#include "core/clock.h"

#define PEERING_PREFIX "vpcpeer-peering-"
#define SETTLE_MAX_MS  30000 /* initiating-request -> pending-acceptance */

static bool status_is(const struct vp_aws_ec2_peering *p, const char *code)
{
	return p->status_code && strcmp(p->status_code, code) == 0;
}

/* A status after which the peering is no more (nothing to delete). */
static bool status_gone(const struct vp_aws_ec2_peering *p)
{
	return status_is(p, "deleted") || status_is(p, "deleting") || status_is(p, "rejected") ||
	       status_is(p, "expired") || status_is(p, "failed");
}

/* The best of this VPC's requests to the hub VPC that are still alive: active, else any. */
static vp_code find_request(struct vp_cfn_job *j, const struct vp_cfn_confirmation_props *p,
			    char out[VP_AWS_ID_MAX + 1], struct vp_aws_error *aerr)
{
	const char *requester[] = {p->vpc_id}, *accepter[] = {p->peer_vpc_id};
	const char *alive[] = {"initiating-request", "pending-acceptance", "provisioning",
			       "active"};
	struct vp_aws_ec2_filter filters[] = {
		{"requester-vpc-info.vpc-id", requester, 1},
		{"accepter-vpc-info.vpc-id", accepter, 1},
		{"status-code", alive, sizeof(alive) / sizeof(alive[0])},
	};
	struct vp_aws_ec2_query q = {.filters = filters, .filter_count = 3};
	struct vp_aws_ec2_peering_list *list = NULL;
	vp_code rc = vp_aws_ec2_describe_vpc_peering_connections(j->cfg->aws, &q, &list, aerr);

	out[0] = '\0';
	if (rc != VP_OK)
		return rc;
	for (size_t i = 0; i < list->count; i++) {
		const struct vp_aws_ec2_peering *c = &list->items[i];
		if (!c->vpc_peering_connection_id || status_gone(c))
			continue;
		if (!out[0] || status_is(c, "active"))
			snprintf(out, VP_AWS_ID_MAX + 1, "%s", c->vpc_peering_connection_id);
	}
	vp_aws_ec2_peering_list_free(list);
	return VP_OK;
}

/* The peering's status now: VP_ERR_NOT_FOUND when EC2 does not know it. */
static vp_code peering_status(struct vp_cfn_job *j, const char *pcx, char *status, size_t size,
			      struct vp_aws_error *aerr)
{
	const char *ids[] = {pcx};
	struct vp_aws_ec2_query q = {.ids = ids, .id_count = 1};
	struct vp_aws_ec2_peering_list *list = NULL;
	vp_code rc = vp_aws_ec2_describe_vpc_peering_connections(j->cfg->aws, &q, &list, aerr);

	if (rc != VP_OK)
		return rc;
	if (list->count == 0 || !list->items[0].status_code) {
		vp_aws_ec2_peering_list_free(list);
		return VP_ERR_NOT_FOUND;
	}
	snprintf(status, size, "%s", list->items[0].status_code);
	vp_aws_ec2_peering_list_free(list);
	return VP_OK;
}

/*
 * A new request starts initiating-request; the broker confirms only a
 * pending-acceptance (or active) one. Polls EC2, bounded by SETTLE_MAX_MS and
 * the deadline: nothing else says when it moves on.
 */
static bool settle(struct vp_cfn_job *j, const char *pcx)
{
	int64_t until = j->now() + SETTLE_MAX_MS;
	char status[64] = "";
	struct vp_aws_error aerr;

	if (until > j->deadline_ms - j->reserve_ms - 5000)
		until = j->deadline_ms - j->reserve_ms - 5000;
	for (;;) {
		vp_code rc = peering_status(j, pcx, status, sizeof(status), &aerr);
		if (rc == VP_OK &&
		    (strcmp(status, "pending-acceptance") == 0 || strcmp(status, "active") == 0))
			return true;
		if (rc == VP_OK && strcmp(status, "initiating-request") != 0 &&
		    strcmp(status, "provisioning") != 0) {
			vp_cfn_job_fail(
				j,
				"the peering request %s from VPC to the hub is %s; check "
				"PeerVpcId, PeerOwnerId and PeerRegion (the registration's)",
				pcx, status);
			return false;
		}
		if (rc != VP_OK && rc != VP_ERR_NOT_FOUND) {
			vp_cfn_job_fail(j, "cannot read peering %s: %s", pcx, aerr.error.message);
			return false;
		}
		if (j->now() + 1000 > until)
			break;
		vp_clock_sleep_ms(1000);
	}
	vp_cfn_job_fail(j, "peering %s is still %s; retry the stack operation", pcx,
			status[0] ? status : "unknown to EC2");
	return false;
}

/* This VPC's live request to the hub, or a new one; false after answering FAILED. */
static bool find_or_request(struct vp_cfn_job *j, const struct vp_cfn_confirmation_props *p,
			    char pcx[VP_AWS_ID_MAX + 1], bool *created)
{
	struct vp_aws_ec2_peering_request req = {.vpc_id = p->vpc_id,
						 .peer_vpc_id = p->peer_vpc_id,
						 .peer_owner_id = p->peer_owner_id,
						 .peer_region = p->peer_region};
	struct vp_aws_ec2_peering *made = NULL;
	struct vp_aws_error aerr;

	*created = false;
	if (find_request(j, p, pcx, &aerr) != VP_OK) {
		vp_cfn_job_fail(
			j,
			"cannot look for VPC %s's peering requests: %s; the function's role "
			"needs ec2:DescribeVpcPeeringConnections",
			p->vpc_id, aerr.error.message);
		return false;
	}
	if (!pcx[0]) {
		if (vp_aws_ec2_create_vpc_peering_connection(j->cfg->aws, &req, &made, &aerr) !=
			    VP_OK ||
		    !made || !made->vpc_peering_connection_id) {
			vp_cfn_job_fail(j,
					"cannot request the peering from VPC %s to the hub's %s "
					"(account %s, %s): %s; the function's role needs "
					"ec2:CreateVpcPeeringConnection on this VPC and on "
					"vpc-peering-connection/*",
					p->vpc_id, p->peer_vpc_id, p->peer_owner_id, p->peer_region,
					made ? "no peering id in the answer" : aerr.error.message);
			vp_aws_ec2_peering_free(made);
			return false;
		}
		snprintf(pcx, VP_AWS_ID_MAX + 1, "%s", made->vpc_peering_connection_id);
		vp_aws_ec2_peering_free(made);
		*created = true;
	}
	return settle(j, pcx);
}

/* DeleteVpcPeeringConnection; gone (NotFound, or a final status) counts as done. */
static vp_code delete_peering(struct vp_cfn_job *j, const char *pcx, struct vp_aws_error *aerr)
{
	char status[64];
	vp_code rc = vp_aws_ec2_delete_vpc_peering_connection(j->cfg->aws, pcx, aerr);

	if (rc == VP_OK || rc == VP_ERR_NOT_FOUND)
		return VP_OK;
	/* Deleting a deleted or rejected one is an InvalidStateTransition: check. */
	if (rc == VP_ERR_CONFLICT) {
		struct vp_aws_error serr;
		vp_code s = peering_status(j, pcx, status, sizeof(status), &serr);
		if (s == VP_ERR_NOT_FOUND ||
		    (s == VP_OK &&
		     status_gone(&(struct vp_aws_ec2_peering){.status_code = status})))
			return VP_OK;
	}
	return rc;
}

void vp_cfn_peering_upsert(struct vp_cfn_job *j, const struct vp_cfn_confirmation_props *p)
{
	char pcx[VP_AWS_ID_MAX + 1];
	struct vp_aws_error aerr;
	bool created;
	size_t len;

	j->action = "request-and-confirm";
	if (!find_or_request(j, p, pcx, &created))
		return;
	if (vp_cfn_job_confirm(j, p, pcx)) {
		vp_cfn_job_set_physical_id(j, PEERING_PREFIX "%" PRId64 "-%s", p->namespace_id,
					   pcx);
		vp_cfn_job_succeed(j, "namespace %" PRId64 " confirmed with %s (%s)",
				   p->namespace_id, pcx,
				   created ? "requested now" : "this VPC's earlier request");
		return;
	}
	/* The rollback's Delete gets a failed id: take the request back now. */
	len = strlen(j->reason);
	if (delete_peering(j, pcx, &aerr) == VP_OK)
		snprintf(j->reason + len, sizeof(j->reason) - len, "; peering %s deleted", pcx);
	else
		snprintf(j->reason + len, sizeof(j->reason) - len,
			 "; peering %s could not be deleted (%s): delete it by hand", pcx,
			 aerr.error.message);
}

/* "vpcpeer-peering-<n>-<pcx>": pcx (into out), or false. */
static bool owned_peering(const char *id, char out[VP_AWS_ID_MAX + 1])
{
	const char *p = id + strlen(PEERING_PREFIX);
	size_t digits;

	if (strncmp(id, PEERING_PREFIX, strlen(PEERING_PREFIX)) != 0)
		return false;
	digits = strspn(p, "0123456789");
	if (digits == 0 || digits > 10 || p[digits] != '-' ||
	    vp_ids_aws_id_check(p + digits + 1, "pcx", "PhysicalResourceId", NULL) != VP_OK)
		return false;
	if (out)
		snprintf(out, VP_AWS_ID_MAX + 1, "%s", p + digits + 1);
	return true;
}

bool vp_cfn_peering_owned(const char *id)
{
	return id && owned_peering(id, NULL);
}

void vp_cfn_peering_delete(struct vp_cfn_job *j)
{
	char pcx[VP_AWS_ID_MAX + 1];
	struct vp_aws_error aerr;

	vp_cfn_job_set_physical_id(j, "%s", j->ev->physical_id);
	j->action = "delete-peering";
	if (!owned_peering(j->ev->physical_id, pcx)) {
		vp_cfn_job_fail(j, "internal error: '%.200s' names no peering", j->ev->physical_id);
		return;
	}
	if (delete_peering(j, pcx, &aerr) == VP_OK)
		vp_cfn_job_succeed(j,
				   "peering %s deleted; deleting the registration releases the "
				   "namespace",
				   pcx);
	else
		vp_cfn_job_fail(j,
				"cannot delete peering %s: %s; the function's role needs "
				"ec2:DeleteVpcPeeringConnection",
				pcx, aerr.error.message);
}
