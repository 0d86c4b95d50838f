/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Custom::PeeringConfirmation in the transit-gateway mode (issue 16,
 * docs/lambda.md "The transit-gateway mode"), in the client's account with
 * the function's own credentials (j->cfg->aws):
 *
 *  1. the resource share's invitation, when one is pending, is accepted
 *     (GetResourceShareInvitations + AcceptResourceShareInvitation). Outside
 *     the hub's organization it appears once the broker's register has added
 *     the account, and no CloudFormation resource accepts it; inside the
 *     organization (sharing with AWS Organizations enabled) there is none.
 *  2. this VPC's attachment to TransitGatewayId: an existing live one of this
 *     VPC to that gateway (a retry), else CreateTransitGatewayVpcAttachment in
 *     SubnetIds (one per Availability Zone). It is made here, not by an
 *     AWS::EC2::TransitGatewayAttachment resource: see the note below.
 *  3. once EC2 has it pendingAcceptance (or accepted), the broker confirms it
 *     ({"transit_gateway_attachment_id", "vpc_id"}): it checks it, accepts it
 *     and routes this VPC from the hub. A failed confirmation deletes the
 *     attachment again, so a rollback leaves none.
 *
 * Delete deletes the attachment from this side, best effort (NotFound or a
 * final state counts as done), and waits a bounded time for it to be gone:
 * its network interfaces are in the stack's subnets, which CloudFormation
 * deletes next. CloudFormation deletes this resource before the registration
 * (the registration's Delete, the release, comes after the VPC's), so the
 * broker's release then finds the attachment gone, which it counts as done.
 *
 * Why not AWS::EC2::TransitGatewayAttachment (issue 16 asked us to find out
 * from AWS's documentation whether it waits for `available`): the
 * documentation does not say. The CloudFormation template reference page
 * (docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/
 * aws-resource-ec2-transitgatewayattachment.html) describes the properties
 * and return values only, with no acceptance step and no word on the state
 * it waits for. What is documented: automatic acceptance of shared
 * attachments is "Disabled by default" (EC2 API reference,
 * TransitGatewayRequestOptions.AutoAcceptSharedAttachments), and an
 * attachment can be accepted only "in the pendingAcceptance state" (EC2 API
 * reference, AcceptTransitGatewayVpcAttachment). If the resource waits for
 * `available`, a stack would wait on an acceptance that only our
 * confirmation, made after it, brings about; if it does not, the stack
 * still needs a step after it to confirm. Either way creating the attachment
 * in the handler, as it requests the peering in broker mode
 * (handler_peering.c), is correct, and it leaves nothing to undocumented
 * behaviour.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/ec2_tgw.h"
#include "aws/ram.h"
#include "cfn/handler_internal.h"
#include "core/clock.h"

_Static_assert(VP_CFN_MAX_SUBNETS <= VP_AWS_TGW_MAX_SUBNETS, "SubnetIds bound");

#define TGW_PREFIX     "vpcpeer-tgw-"
#define TGW_ATTACH     "tgw-attach"
#define SETTLE_MAX_MS  60000 /* created -> pendingAcceptance */
#define VISIBLE_MAX_MS 30000 /* an accepted share -> the gateway visible to this account */
#define GONE_MAX_MS    60000 /* deleting -> deleted, on Delete */

static bool is(const char *a, const char *b)
{
	return a && strcmp(a, b) == 0;
}

/* A state after which the attachment is no more (nothing to reuse or delete). */
static bool gone(const char *state)
{
	return is(state, "deleted") || is(state, "deleting") || is(state, "rejected") ||
	       is(state, "rejecting") || is(state, "failed") || is(state, "failing");
}

bool vp_cfn_tgw_wanted(const struct vp_cfn_event *ev)
{
	return is(json_string_value(json_object_get(ev->properties, "AttachMode")),
		  "transit-gateway");
}

/*
 * Step 1: accept the share's pending invitation, if any. *accepted says
 * whether one was accepted now. False after answering FAILED.
 */
static bool accept_invitation(struct vp_cfn_job *j, const struct vp_cfn_tgw_props *t,
			      bool *accepted)
{
	struct vp_aws_ram_invitations *list = NULL;
	struct vp_aws_error aerr;
	char token[64];
	bool ok = true;

	*accepted = false;
	if (!t->share_arn[0])
		return true;
	if (vp_aws_ram_get_invitations(j->cfg->aws, t->share_arn, &list, &aerr) != VP_OK) {
		vp_cfn_job_fail(j,
				"cannot read the invitations to resource share %s: %s; the "
				"function's role needs ram:GetResourceShareInvitations",
				t->share_arn, aerr.error.message);
		return false;
	}
	for (size_t i = 0; list && i < list->count && ok; i++) {
		const struct vp_aws_ram_invitation *inv = &list->items[i];
		if (!is(inv->resource_share_arn, t->share_arn) || !is(inv->status, "PENDING") ||
		    !inv->invitation_arn)
			continue;
		/* The same token on Lambda's retry: RAM does it once. */
		snprintf(token, sizeof(token), "vpcpeer-%" PRId64 "-accept", j->namespace_id);
		if (vp_aws_ram_accept_invitation(j->cfg->aws, inv->invitation_arn, token, NULL,
						 &aerr) != VP_OK) {
			vp_cfn_job_fail(j,
					"cannot accept the invitation %s to the hub's resource "
					"share %s: %s; the function's role needs "
					"ram:AcceptResourceShareInvitation",
					inv->invitation_arn, t->share_arn, aerr.error.message);
			ok = false;
		} else {
			*accepted = true;
		}
	}
	vp_aws_ram_invitations_free(list);
	return ok;
}

/* This VPC's live attachment to the gateway: available first, else any (into out). */
static vp_code find_attachment(struct vp_cfn_job *j, const char *vpc, const char *tgw,
			       char out[VP_AWS_ID_MAX + 1], struct vp_aws_error *aerr)
{
	const char *tgws[] = {tgw}, *vpcs[] = {vpc};
	struct vp_aws_ec2_filter filters[] = {
		{"transit-gateway-id", tgws, 1},
		{"vpc-id", vpcs, 1},
	};
	struct vp_aws_ec2_query q = {.filters = filters, .filter_count = 2};
	struct vp_aws_tgw_attachment_list *list = NULL;
	vp_code rc = vp_aws_ec2_describe_tgw_vpc_attachments(j->cfg->aws, &q, &list, aerr);

	out[0] = '\0';
	if (rc != VP_OK)
		return rc;
	for (size_t i = 0; i < list->count; i++) {
		const struct vp_aws_tgw_attachment *a = &list->items[i];
		if (!a->attachment_id || gone(a->state) || !is(a->vpc_id, vpc) ||
		    !is(a->transit_gateway_id, tgw))
			continue;
		if (!out[0] || is(a->state, "available"))
			snprintf(out, VP_AWS_ID_MAX + 1, "%s", a->attachment_id);
	}
	vp_aws_tgw_attachment_list_free(list);
	return VP_OK;
}

/* The attachment's state now: VP_ERR_NOT_FOUND when EC2 does not know it. */
static vp_code attachment_state(struct vp_cfn_job *j, const char *id, char *state, size_t size,
				struct vp_aws_error *aerr)
{
	const char *ids[] = {id};
	struct vp_aws_ec2_query q = {.ids = ids, .id_count = 1};
	struct vp_aws_tgw_attachment_list *list = NULL;
	vp_code rc = vp_aws_ec2_describe_tgw_vpc_attachments(j->cfg->aws, &q, &list, aerr);

	if (rc != VP_OK)
		return rc;
	if (list->count == 0 || !list->items[0].state) {
		vp_aws_tgw_attachment_list_free(list);
		return VP_ERR_NOT_FOUND;
	}
	snprintf(state, size, "%s", list->items[0].state);
	vp_aws_tgw_attachment_list_free(list);
	return VP_OK;
}

/* The end of a bounded wait: at most max_ms, and never into the time kept for the answer. */
static int64_t wait_until(struct vp_cfn_job *j, long max_ms)
{
	int64_t until = j->now() + max_ms;
	if (until > j->deadline_ms - j->reserve_ms - 5000)
		until = j->deadline_ms - j->reserve_ms - 5000;
	return until;
}

/*
 * A new attachment starts pending (or initiating); the broker confirms only a
 * pendingAcceptance one, or one it accepted already (pending, available,
 * modifying). Polls EC2, bounded: nothing else says when it moves on.
 */
static bool settle(struct vp_cfn_job *j, const char *id, bool created)
{
	int64_t until = wait_until(j, SETTLE_MAX_MS);
	char state[64] = "";
	struct vp_aws_error aerr;

	for (;;) {
		vp_code rc = attachment_state(j, id, state, sizeof(state), &aerr);
		if (rc == VP_OK && (is(state, "pendingAcceptance") || is(state, "available") ||
				    is(state, "modifying") || (!created && is(state, "pending"))))
			return true;
		if (rc == VP_OK && gone(state)) {
			vp_cfn_job_fail(j,
					"the attachment %s of this VPC to the hub's transit "
					"gateway is %s; check TransitGatewayId and SubnetIds",
					id, state);
			return false;
		}
		if (rc != VP_OK && rc != VP_ERR_NOT_FOUND) {
			vp_cfn_job_fail(j,
					"cannot read attachment %s: %s; the function's role needs "
					"ec2:DescribeTransitGatewayVpcAttachments",
					id, aerr.error.message);
			return false;
		}
		if (j->now() + 1000 > until)
			break;
		vp_clock_sleep_ms(1000);
	}
	vp_cfn_job_fail(j, "attachment %s is still %s; retry the stack operation", id,
			state[0] ? state : "unknown to EC2");
	return false;
}

/* Step 2: this VPC's live attachment, or a new one; false after answering FAILED. */
static bool find_or_create(struct vp_cfn_job *j, const struct vp_cfn_confirmation_props *p,
			   const struct vp_cfn_tgw_props *t, bool shared_now,
			   char id[VP_AWS_ID_MAX + 1], bool *created)
{
	const char *subnets[VP_AWS_TGW_MAX_SUBNETS];
	struct vp_aws_tgw_attachment_request req = {.transit_gateway_id = t->tgw_id,
						    .vpc_id = p->vpc_id,
						    .subnet_ids = subnets,
						    .subnet_count = t->subnet_count};
	struct vp_aws_tgw_attachment *made = NULL;
	struct vp_aws_error aerr;
	int64_t until = wait_until(j, VISIBLE_MAX_MS);
	vp_code rc;

	*created = false;
	for (size_t i = 0; i < t->subnet_count; i++)
		subnets[i] = t->subnets[i];
	if (find_attachment(j, p->vpc_id, t->tgw_id, id, &aerr) != VP_OK) {
		vp_cfn_job_fail(j,
				"cannot look for VPC %s's attachments to %s: %s; the function's "
				"role needs ec2:DescribeTransitGatewayVpcAttachments",
				p->vpc_id, t->tgw_id, aerr.error.message);
		return false;
	}
	if (id[0])
		return settle(j, id, false);
	for (;;) {
		rc = vp_aws_ec2_create_tgw_vpc_attachment(j->cfg->aws, &req, &made, &aerr);
		/* A share accepted just now takes a moment to show this account the gateway. */
		if (rc != VP_ERR_NOT_FOUND || !shared_now || j->now() + 1000 > until)
			break;
		vp_clock_sleep_ms(1000);
	}
	if (rc != VP_OK || !made || !made->attachment_id) {
		if (rc == VP_ERR_NOT_FOUND)
			vp_cfn_job_fail(j,
					"transit gateway %s is not visible to this account: %s; "
					"the hub's resource share%s%s must include this account "
					"(the broker adds it at register) and its invitation must "
					"be accepted",
					t->tgw_id, aerr.error.message, t->share_arn[0] ? " " : "",
					t->share_arn);
		else
			vp_cfn_job_fail(
				j,
				"cannot attach VPC %s to the hub's transit gateway %s: %s; "
				"the function's role needs "
				"ec2:CreateTransitGatewayVpcAttachment on this VPC, its "
				"subnets, the transit gateway and transit-gateway-attachment/*"
				" (and iam:CreateServiceLinkedRole for the account's first "
				"attachment), and SubnetIds must be this VPC's, one per "
				"Availability Zone",
				p->vpc_id, t->tgw_id,
				made ? "no attachment id in the answer" : aerr.error.message);
		vp_aws_tgw_attachment_free(made);
		return false;
	}
	snprintf(id, VP_AWS_ID_MAX + 1, "%s", made->attachment_id);
	vp_aws_tgw_attachment_free(made);
	*created = true;
	return settle(j, id, true);
}

/* DeleteTransitGatewayVpcAttachment; gone (NotFound, or a final state) counts as done. */
static vp_code delete_attachment(struct vp_cfn_job *j, const char *id, struct vp_aws_error *aerr)
{
	char state[64];
	vp_code rc = vp_aws_ec2_delete_tgw_vpc_attachment(j->cfg->aws, id, NULL, aerr);

	if (rc == VP_OK || rc == VP_ERR_NOT_FOUND)
		return VP_OK;
	/* Deleting one being deleted or rejected is an IncorrectState: check. */
	if (rc == VP_ERR_CONFLICT) {
		struct vp_aws_error serr;
		vp_code s = attachment_state(j, id, state, sizeof(state), &serr);
		if (s == VP_ERR_NOT_FOUND || (s == VP_OK && gone(state)))
			return VP_OK;
	}
	return rc;
}

void vp_cfn_tgw_upsert(struct vp_cfn_job *j, const struct vp_cfn_confirmation_props *p)
{
	char id[VP_AWS_ID_MAX + 1];
	struct vp_cfn_tgw_props t;
	struct vp_aws_error aerr;
	struct vp_error err;
	bool created, accepted;
	size_t len;

	j->action = "attach-and-confirm";
	if (vp_cfn_tgw_props_parse(j->ev, NULL, &t, &err) != VP_OK) {
		vp_cfn_job_fail(j, "%s", err.message);
		return;
	}
	if (p->peering_id[0] || p->health_check[0]) {
		vp_cfn_job_fail(j,
				"properties VpcPeeringConnectionId and HealthCheck do not "
				"apply in the transit-gateway mode (AttachMode transit-gateway)");
		return;
	}
	if (!accept_invitation(j, &t, &accepted) ||
	    !find_or_create(j, p, &t, accepted, id, &created))
		return;
	if (vp_cfn_job_confirm(j, p, id)) {
		vp_cfn_job_set_physical_id(j, TGW_PREFIX "%" PRId64 "-%s", p->namespace_id, id);
		vp_cfn_job_succeed(j, "namespace %" PRId64 " confirmed with %s (%s%s)",
				   p->namespace_id, id,
				   created ? "attached now" : "this VPC's earlier attachment",
				   accepted ? "; the share's invitation accepted" : "");
		return;
	}
	/* The rollback's Delete gets a failed id: take the attachment back now. */
	len = strlen(j->reason);
	if (delete_attachment(j, id, &aerr) == VP_OK)
		snprintf(j->reason + len, sizeof(j->reason) - len, "; attachment %s deleted", id);
	else
		snprintf(j->reason + len, sizeof(j->reason) - len,
			 "; attachment %s could not be deleted (%s): delete it by hand", id,
			 aerr.error.message);
}

/* "vpcpeer-tgw-<n>-<tgw-attach-...>": the attachment (into out), or false. */
static bool owned_attachment(const char *id, char out[VP_AWS_ID_MAX + 1])
{
	const char *p = id + strlen(TGW_PREFIX);
	size_t digits;

	if (strncmp(id, TGW_PREFIX, strlen(TGW_PREFIX)) != 0)
		return false;
	digits = strspn(p, "0123456789");
	if (digits == 0 || digits > 10 || p[digits] != '-' ||
	    vp_ids_aws_id_check(p + digits + 1, TGW_ATTACH, "PhysicalResourceId", NULL) != VP_OK)
		return false;
	if (out)
		snprintf(out, VP_AWS_ID_MAX + 1, "%s", p + digits + 1);
	return true;
}

bool vp_cfn_tgw_owned(const char *id)
{
	return id && owned_attachment(id, NULL);
}

void vp_cfn_tgw_delete(struct vp_cfn_job *j)
{
	char id[VP_AWS_ID_MAX + 1], state[64] = "";
	struct vp_aws_error aerr;
	int64_t until;

	vp_cfn_job_set_physical_id(j, "%s", j->ev->physical_id);
	j->action = "delete-attachment";
	if (!owned_attachment(j->ev->physical_id, id)) {
		vp_cfn_job_fail(j, "internal error: '%.200s' names no attachment",
				j->ev->physical_id);
		return;
	}
	if (delete_attachment(j, id, &aerr) != VP_OK) {
		vp_cfn_job_fail(j,
				"cannot delete attachment %s: %s; the function's role needs "
				"ec2:DeleteTransitGatewayVpcAttachment",
				id, aerr.error.message);
		return;
	}
	/* Its network interfaces are in the subnets CloudFormation deletes next. */
	until = wait_until(j, GONE_MAX_MS);
	for (;;) {
		vp_code rc = attachment_state(j, id, state, sizeof(state), &aerr);
		if (rc == VP_ERR_NOT_FOUND ||
		    (rc == VP_OK && !is(state, "deleting") && gone(state))) {
			vp_cfn_job_succeed(j,
					   "attachment %s deleted; deleting the registration "
					   "releases the namespace",
					   id);
			return;
		}
		if (rc != VP_OK || j->now() + 1000 > until)
			break;
		vp_clock_sleep_ms(1000);
	}
	/* Best effort: the delete is under way; a subnet still in use fails its own delete. */
	vp_cfn_job_succeed(j,
			   "attachment %s is being deleted (%s); deleting the registration "
			   "releases the namespace",
			   id, state[0] ? state : "state unknown");
}
