/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The transit-gateway mode's confirm and release (tgw.h): find the client's
 * attachment by the gateway, the VPC and its owner (never by its tags: the
 * client writes those), verify it, accept it, read its VPC's CIDR blocks through the
 * verify table (exactly the plan's block), associate it with the clients'
 * table and route its block in the hub table; at release, the route and the
 * attachment go. Every AWS call is counted in vpcpeer_aws_calls_total.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/ec2_tgw.h"
#include "broker/accept.h"
#include "broker/crash.h"
#include "broker/hub_side.h"
#include "broker/hosted_zone.h"
#include "broker/tgw.h"
#include "core/clock.h"
#include "core/log.h"

/* While confirm waits for an accepted attachment to become available (--accept-wait). */
#define POLL_MIN_MS 100
#define POLL_MAX_MS 2000

static bool is(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static bool gone(const char *state)
{
	return is(state, "deleted") || is(state, "deleting") || is(state, "rejected") ||
	       is(state, "rejecting") || is(state, "failed") || is(state, "failing");
}

vp_code vp_broker_tgw_check_attachment(const struct vp_broker *b,
				       const struct vp_namespace_record *rec, const char *vpc_id,
				       const struct vp_aws_tgw_attachment *a, struct vp_error *err)
{
	const char *id = a->attachment_id ? a->attachment_id : "?";

	if (!is(a->transit_gateway_id, b->tgw->tgw))
		return vp_fail(err, VP_ERR_CONFLICT,
			       "attachment %s is to transit gateway %s, not the hub's %s", id,
			       a->transit_gateway_id ? a->transit_gateway_id : "?", b->tgw->tgw);
	if (!is(a->vpc_owner_id, rec->account))
		return vp_fail(err, VP_ERR_CONFLICT,
			       "attachment %s is of a VPC of account %s, not %s (namespace %lld's)",
			       id, a->vpc_owner_id ? a->vpc_owner_id : "?", rec->account,
			       (long long)rec->n);
	if (!is(a->vpc_id, vpc_id))
		return vp_fail(err, VP_ERR_CONFLICT, "attachment %s is of VPC %s, not %s", id,
			       a->vpc_id ? a->vpc_id : "?", vpc_id);
	if (a->subnet_count == 0 || a->subnet_count > VP_PLAN_MAX_SUBNETS)
		return vp_fail(err, VP_ERR_CONFLICT,
			       "attachment %s has %zu subnets; give one subnet of VPC %s per "
			       "Availability Zone, at most %d",
			       id, a->subnet_count, vpc_id, VP_PLAN_MAX_SUBNETS);
	return VP_OK;
}

/*
 * The attachment of the VPC to the hub's gateway, not gone, checked: *out (in
 * *list, which the caller frees), or VP_ERR_CONFLICT naming what differs.
 */
static vp_code find_attachment(struct vp_broker *b, const struct vp_namespace_record *rec,
			       const struct vp_confirm_request *req,
			       struct vp_aws_tgw_attachment_list **list,
			       const struct vp_aws_tgw_attachment **out, struct vp_error *err)
{
	const char *tgw[] = {b->tgw->tgw}, *vpc[] = {req->vpc_id}, *ids[] = {req->attachment_id};
	/* DescribeTransitGatewayVpcAttachments has no owner filter: the owner is checked below. */
	struct vp_aws_ec2_filter f[] = {{"transit-gateway-id", tgw, 1}, {"vpc-id", vpc, 1}};
	struct vp_aws_ec2_query q = {.filters = f, .filter_count = 2};
	struct vp_aws_error aerr;
	vp_code code;

	if (req->attachment_id[0]) {
		q.ids = ids;
		q.id_count = 1;
	}
	*out = NULL;
	code = vp_aws_ec2_describe_tgw_vpc_attachments(b->aws, &q, list, &aerr);
	vp_broker_note_aws(b->metrics, "DescribeTransitGatewayVpcAttachments", code, &aerr);
	if (code == VP_ERR_NOT_FOUND)
		code = VP_OK, *list = NULL;
	else if (code != VP_OK)
		return vp_broker_aws_fail(err, &aerr, "reading the transit gateway's attachments");
	for (size_t i = 0; *list && i < (*list)->count; i++) {
		const struct vp_aws_tgw_attachment *a = &(*list)->items[i];
		if (gone(a->state))
			continue;
		/* AWS filtered already; checked again: a filter AWS ignored must not let one in. */
		if ((code = vp_broker_tgw_check_attachment(b, rec, req->vpc_id, a, err)) != VP_OK)
			return code;
		if (req->attachment_id[0] && !is(a->attachment_id, req->attachment_id))
			continue;
		*out = a;
		return VP_OK;
	}
	return vp_fail(err, VP_ERR_CONFLICT,
		       "no attachment %s%sof VPC %s (account %s) to transit gateway %s: create it "
		       "from the client's account once the resource share %s is accepted",
		       req->attachment_id, req->attachment_id[0] ? " " : "", req->vpc_id,
		       rec->account, b->tgw->tgw, b->tgw->share);
}

static vp_code describe_one(struct vp_broker *b, const char *id,
			    struct vp_aws_tgw_attachment_list **out, struct vp_error *err)
{
	const char *ids[] = {id};
	struct vp_aws_ec2_query q = {.ids = ids, .id_count = 1};
	struct vp_aws_error aerr;
	vp_code code = vp_aws_ec2_describe_tgw_vpc_attachments(b->aws, &q, out, &aerr);

	vp_broker_note_aws(b->metrics, "DescribeTransitGatewayVpcAttachments", code, &aerr);
	if (code == VP_ERR_NOT_FOUND || (code == VP_OK && (*out)->count == 0)) {
		vp_aws_tgw_attachment_list_free(code == VP_OK ? *out : NULL);
		*out = NULL;
		return vp_fail(err, VP_ERR_NOT_FOUND, "attachment %s does not exist", id);
	}
	if (code != VP_OK)
		return vp_broker_aws_fail(err, &aerr, "reading an attachment");
	return VP_OK;
}

/* The end of one wait: --accept-wait from now, but never past the confirm's `until`
 * (VP_BROKER_CONFIRM_BUDGET_MS from its start: API Gateway cuts a request at 30 s). */
static int64_t wait_deadline(const struct vp_broker *b, int64_t until)
{
	int64_t end = vp_clock_monotonic_ms() + b->accept_wait_ms;

	return end < until ? end : until;
}

/* Read the accepted attachment back until it is available, at most wait_deadline. */
static vp_code wait_available(struct vp_broker *b, const char *id, int64_t until,
			      struct vp_error *err)
{
	int64_t deadline = wait_deadline(b, until);
	int64_t delay = POLL_MIN_MS;

	for (;;) {
		struct vp_aws_tgw_attachment_list *now = NULL;
		char state[32];
		vp_code code = describe_one(b, id, &now, err);

		if (code == VP_ERR_NOT_FOUND)
			return vp_fail(err, VP_ERR_CONFLICT, "attachment %s is gone once accepted",
				       id);
		if (code != VP_OK)
			return code;
		snprintf(state, sizeof(state), "%s",
			 now->items[0].state ? now->items[0].state : "(no state)");
		vp_aws_tgw_attachment_list_free(now);
		if (is(state, "available"))
			return VP_OK;
		if (!is(state, "pending") && !is(state, "pendingAcceptance") &&
		    !is(state, "modifying"))
			return vp_fail(err, VP_ERR_CONFLICT,
				       "attachment %s became %s once accepted", id, state);
		if (vp_clock_monotonic_ms() + delay > deadline)
			return vp_fail(err, VP_ERR_UNAVAILABLE,
				       "attachment %s was accepted but is not available yet "
				       "(--accept-wait %lld s, at most %d s in one confirm); "
				       "confirm again (the same request) to finish",
				       id, (long long)(b->accept_wait_ms / 1000),
				       VP_BROKER_CONFIRM_BUDGET_MS / 1000);
		vp_clock_sleep_ms(delay); /* polling EC2: it has no event to wait on */
		delay = delay * 2 > POLL_MAX_MS ? POLL_MAX_MS : delay * 2;
	}
}

/*
 * The client VPC's CIDR blocks (issue 16). The hub account may not describe another
 * account's VPC, and DescribeTransitGatewayVpcAttachments shows no CIDR; but a route table
 * an attachment propagates to receives the VPC's CIDR blocks as propagated routes (AWS
 * Transit Gateway guide, "Route propagation":
 * https://docs.aws.amazon.com/vpc/latest/tgw/tgw-route-tables.html#tgw-route-propagation).
 * The verify table is associated with nothing, so it carries no traffic: propagating there
 * for a moment routes nothing. AWS propagates asynchronously: the routes are polled, at most
 * --accept-wait, and read once more after the first answer so that a second block that
 * arrives a little later is seen too.
 */
#define VERIFY_CIDRS_MAX 64 /* AWS: 5 IPv4 blocks per VPC by default, 50 at most */

struct cidr_set {
	char cidr[VERIFY_CIDRS_MAX][VP_CIDR_STRLEN];
	size_t count;
	bool more; /* more than VERIFY_CIDRS_MAX, or the search was cut */
};

/* The routes propagated by attachment id into the verify table, added to *set. */
static vp_code read_propagated(struct vp_broker *b, const char *id, struct cidr_set *set,
			       struct vp_error *err)
{
	const char *att[] = {id}, *prop[] = {"propagated"};
	struct vp_aws_ec2_filter f[] = {{"attachment.transit-gateway-attachment-id", att, 1},
					{"type", prop, 1}};
	struct vp_aws_tgw_route_list *routes = NULL;
	struct vp_aws_error aerr;
	vp_code code =
		vp_aws_ec2_search_tgw_routes(b->aws, b->tgw->verify_table, f, 2, &routes, &aerr);

	vp_broker_note_aws(b->metrics, "SearchTransitGatewayRoutes", code, &aerr);
	if (code != VP_OK)
		return vp_broker_aws_fail(err, &aerr, "reading the client VPC's CIDR blocks");
	set->more = set->more || routes->truncated;
	for (size_t i = 0; i < routes->count; i++) {
		const struct vp_aws_tgw_route *r = &routes->items[i];
		/* A filter AWS ignored must not let another attachment's route in. */
		const char *c =
			r->destination_cidr_block ? r->destination_cidr_block : r->prefix_list_id;
		bool seen = false;
		if (!is(r->attachment_id, id) || !is(r->type, "propagated") ||
		    is(r->state, "deleted") || is(r->state, "deleting") || !c)
			continue;
		for (size_t k = 0; k < set->count && !seen; k++)
			seen = is(set->cidr[k], c);
		if (seen)
			continue;
		if (set->count == VERIFY_CIDRS_MAX) {
			set->more = true;
			continue;
		}
		snprintf(set->cidr[set->count++], VP_CIDR_STRLEN, "%s", c);
	}
	vp_aws_tgw_route_list_free(routes);
	return VP_OK;
}

/* Poll until the attachment's routes show, at most wait_deadline; then once more. */
static vp_code poll_propagated(struct vp_broker *b, const char *id, struct cidr_set *set,
			       int64_t until, struct vp_error *err)
{
	int64_t deadline = wait_deadline(b, until);
	int64_t delay = POLL_MIN_MS;
	vp_code code;

	for (;;) {
		if ((code = read_propagated(b, id, set, err)) != VP_OK)
			return code;
		if (set->count > 0)
			break;
		if (vp_clock_monotonic_ms() + delay > deadline)
			return vp_fail(err, VP_ERR_UNAVAILABLE,
				       "transit gateway %s showed no CIDR block of attachment %s's "
				       "VPC in %s yet (--accept-wait %lld s, at most %d s in one "
				       "confirm); confirm again (the same request) to finish",
				       b->tgw->tgw, id, b->tgw->verify_table,
				       (long long)(b->accept_wait_ms / 1000),
				       VP_BROKER_CONFIRM_BUDGET_MS / 1000);
		vp_clock_sleep_ms(delay); /* polling EC2: it has no event to wait on */
		delay = delay * 2 > POLL_MAX_MS ? POLL_MAX_MS : delay * 2;
	}
	vp_clock_sleep_ms(POLL_MIN_MS); /* polling EC2 again: a block propagated a bit later */
	return read_propagated(b, id, set, err);
}

/* "a, b, c" of the set into buf. */
static void format_set(const struct cidr_set *set, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < set->count && used < size; i++) {
		int n = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", set->cidr[i]);
		used += n > 0 ? (size_t)n : 0;
	}
	if (set->more && used < size)
		snprintf(buf + used, size - used, ", ...");
}

/* Delete the refused attachment from the hub side (accepted already: Reject is for pending
 * acceptance only), so that it never carries traffic nor holds the namespace. */
static void end_refused(struct vp_broker *b, const struct vp_namespace_record *rec, const char *id,
			const char *request_id)
{
	struct vp_error why;
	struct vp_aws_error aerr;
	vp_code code = vp_aws_ec2_delete_tgw_vpc_attachment(b->aws, id, NULL, &aerr);

	vp_broker_note_aws(b->metrics, "DeleteTransitGatewayVpcAttachment", code, &aerr);
	if (code == VP_OK || code == VP_ERR_NOT_FOUND) {
		/* Ended: the intent has nothing left to name; the record is as it was. */
		if (vp_registry_clear_intent(b->registry, rec->n, id, request_id, &why) != VP_OK)
			vp_log(VP_LOG_WARN, "confirm %s: namespace %lld: %s", request_id,
			       (long long)rec->n, why.message);
		return;
	}
	vp_broker_aws_fail(&why, &aerr, "deleting a refused attachment");
	vp_log(VP_LOG_ERROR,
	       "confirm %s: namespace %lld: %s (it is associated with nothing and routed nowhere; "
	       "the same confirm again, or a release, deletes it)",
	       request_id, (long long)rec->n, why.message);
}

/*
 * The set of CIDR blocks of attachment id's VPC is exactly {rec's planned block}: VP_OK, or
 * VP_ERR_CONFLICT naming what was found and what the plan says (the attachment deleted).
 * The propagation into the verify table is always turned off again.
 */
static vp_code verify_cidr(struct vp_broker *b, const struct vp_namespace_record *rec,
			   const char *id, int64_t until, const char *request_id,
			   struct vp_error *err)
{
	struct cidr_set *set = calloc(1, sizeof(*set));
	struct vp_aws_error aerr;
	struct vp_error off_err;
	char found[256];
	vp_code code, off;

	if (!set)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	code = vp_aws_ec2_enable_tgw_propagation(b->aws, b->tgw->verify_table, id, NULL, &aerr);
	vp_broker_note_aws(b->metrics, "EnableTransitGatewayRouteTablePropagation", code, &aerr);
	if (code == VP_ERR_CONFLICT && strstr(aerr.code, "Duplicate"))
		code = VP_OK; /* an earlier try of this confirm turned it on */
	if (code != VP_OK) {
		free(set);
		return vp_broker_aws_fail(err, &aerr,
					  "propagating the attachment to the verify "
					  "table");
	}
	code = poll_propagated(b, id, set, until, err);
	off = vp_aws_ec2_disable_tgw_propagation(b->aws, b->tgw->verify_table, id, NULL, &aerr);
	vp_broker_note_aws(b->metrics, "DisableTransitGatewayRouteTablePropagation", off, &aerr);
	if (off != VP_OK && code == VP_OK) { /* confirm again: the same request finds it on */
		code = vp_broker_aws_fail(err, &aerr,
					  "turning off the propagation to the verify table");
	} else if (off != VP_OK) { /* the first failure is the answer; this one is logged */
		(void)vp_broker_aws_fail(&off_err, &aerr,
					 "turning off the propagation to the verify table");
		vp_log(VP_LOG_ERROR, "confirm %s: namespace %lld: attachment %s: %s", request_id,
		       (long long)rec->n, id, off_err.message);
	}
	if (code == VP_OK && (set->more || set->count != 1 || !is(set->cidr[0], rec->vpc_cidr))) {
		format_set(set, found, sizeof(found));
		code = vp_fail(
			err, VP_ERR_CONFLICT,
			"attachment %s's VPC has the CIDR block(s) %s; namespace %lld's plan "
			"is exactly %s: the attachment is deleted; attach a VPC whose only "
			"IPv4 block is %s",
			id, found, (long long)rec->n, rec->vpc_cidr, rec->vpc_cidr);
		end_refused(b, rec, id, request_id);
	}
	free(set);
	return code;
}

vp_code vp_broker_tgw_find_route(struct vp_broker *b, const char *cidr, bool *found,
				 char *attachment, size_t attachment_size, char *state,
				 size_t state_size, struct vp_error *err)
{
	const char *exact[] = {cidr}, *stat[] = {"static"};
	struct vp_aws_ec2_filter f[] = {{"route-search.exact-match", exact, 1}, {"type", stat, 1}};
	struct vp_aws_tgw_route_list *routes = NULL;
	struct vp_aws_error aerr;
	vp_code code =
		vp_aws_ec2_search_tgw_routes(b->aws, b->tgw->hub_table, f, 2, &routes, &aerr);

	vp_broker_note_aws(b->metrics, "SearchTransitGatewayRoutes", code, &aerr);
	if (code != VP_OK)
		return vp_broker_aws_fail(err, &aerr, "reading the hub's transit gateway routes");
	*found = false;
	for (size_t i = 0; i < routes->count; i++) {
		const struct vp_aws_tgw_route *r = &routes->items[i];
		if (!is(r->destination_cidr_block, cidr) || is(r->state, "deleted") ||
		    is(r->state, "deleting"))
			continue;
		*found = true;
		snprintf(attachment, attachment_size, "%s",
			 r->attachment_id ? r->attachment_id : "");
		snprintf(state, state_size, "%s", r->state ? r->state : "");
	}
	vp_aws_tgw_route_list_free(routes);
	return VP_OK;
}

vp_code vp_broker_tgw_add_route(struct vp_broker *b, const char *cidr, const char *attachment,
				struct vp_error *err)
{
	struct vp_aws_error aerr;
	vp_code code = vp_aws_ec2_create_tgw_route(b->aws, b->tgw->hub_table, cidr, attachment,
						   NULL, &aerr);

	vp_broker_note_aws(b->metrics, "CreateTransitGatewayRoute", code, &aerr);
	if (code == VP_ERR_EXHAUSTED)
		return vp_fail(err, code,
			       "transit gateway %s's route table %s is full: AWS's quota of routes "
			       "per transit gateway (--transit-gateway-max-routes %d); raise it in "
			       "Service Quotas (%s)",
			       b->tgw->tgw, b->tgw->hub_table, b->tgw->max_routes,
			       aerr.error.message);
	if (code != VP_OK)
		return vp_broker_aws_fail(err, &aerr, "routing the client from the hub");
	return VP_OK;
}

/* The hub table routes cidr to attachment: made, or found made (a retried confirm). Another
 * attachment's route to the block is refused, never replaced. */
static vp_code ensure_route(struct vp_broker *b, const char *cidr, const char *attachment,
			    bool *added, struct vp_error *err)
{
	char att[VP_AWS_ID_MAX + 1] = "", state[32] = "";
	bool found = false;
	vp_code code = vp_broker_tgw_find_route(b, cidr, &found, att, sizeof(att), state,
						sizeof(state), err);

	*added = false;
	if (code != VP_OK)
		return code;
	if (found && is(att, attachment))
		return VP_OK;
	if (found)
		return vp_fail(err, VP_ERR_CONFLICT,
			       "the hub's transit gateway table %s routes %s to %s already (%s), "
			       "not to %s: the reconciler removes a stale route",
			       b->tgw->hub_table, cidr, att[0] ? att : "a blackhole", state,
			       attachment);
	if ((code = vp_broker_tgw_add_route(b, cidr, attachment, err)) == VP_OK)
		*added = true;
	return code;
}

/* Associate with the clients' table; already associated with it is done. */
static vp_code associate(struct vp_broker *b, const char *attachment, struct vp_error *err)
{
	struct vp_aws_error aerr;
	vp_code code = vp_aws_ec2_associate_tgw_route_table(b->aws, b->tgw->client_table,
							    attachment, NULL, &aerr);

	vp_broker_note_aws(b->metrics, "AssociateTransitGatewayRouteTable", code, &aerr);
	if (code == VP_ERR_CONFLICT && strstr(aerr.code, "AlreadyAssociated"))
		return VP_OK; /* Resource.AlreadyAssociated: an earlier try did it */
	if (code != VP_OK)
		return vp_broker_aws_fail(err, &aerr,
					  "associating the attachment with the clients' table");
	return VP_OK;
}

static vp_code accept(struct vp_broker *b, const char *attachment, struct vp_error *err)
{
	struct vp_aws_error aerr;
	vp_code code = vp_aws_ec2_accept_tgw_vpc_attachment(b->aws, attachment, NULL, &aerr);

	vp_broker_note_aws(b->metrics, "AcceptTransitGatewayVpcAttachment", code, &aerr);
	if (code != VP_OK)
		return vp_broker_aws_fail(err, &aerr, "accepting the attachment");
	return VP_OK;
}

/* From a checked attachment to an active namespace; the waits end by `until`. */
static vp_code join(struct vp_broker *b, const struct vp_confirm_request *req,
		    const struct vp_aws_tgw_attachment *a, int64_t until, const char *request_id,
		    struct vp_namespace_record *rec, struct vp_error *err)
{
	const char *id = a->attachment_id;
	struct vp_registry_change change = {.peering_id = id, .vpc_id = req->vpc_id};
	struct vp_namespace_record *now;
	bool added = false;
	vp_code code;

	if (is(a->state, "pendingAcceptance")) {
		if ((code = accept(b, id, err)) != VP_OK)
			return code;
		vp_crash_point("confirm.after_accept");
	}
	if (!is(a->state, "available") && (code = wait_available(b, id, until, err)) != VP_OK)
		return code;
	/* Before any association or route: a VPC that is not the plan's never carries traffic. */
	if ((code = verify_cidr(b, rec, id, until, request_id, err)) != VP_OK)
		return code;
	if ((code = associate(b, id, err)) != VP_OK ||
	    (code = ensure_route(b, rec->vpc_cidr, id, &added, err)) != VP_OK)
		return code;
	vp_crash_point("confirm.after_route");
	/* The transit gateway serves its own region only: the client's VPC is in the hub's. */
	if ((code = vp_broker_hub_side_join(b, rec, id, err)) == VP_OK &&
	    (code = vp_broker_hosted_zone_join(b, req->vpc_id, b->hub_region, NULL, err)) ==
		    VP_OK) {
		if (!(now = malloc(sizeof(*now)))) {
			code = vp_fail(err, VP_ERR_NOMEM, "out of memory");
		} else {
			code = vp_registry_transition(b->registry, rec->n,
						      VP_NS_STATE_BIT(VP_NS_PENDING), VP_NS_ACTIVE,
						      &change, request_id, now, err);
			if (code == VP_OK)
				*rec = *now;
			free(now);
		}
	}
	if (code != VP_OK && added) {
		struct vp_error why;
		struct vp_aws_error aerr;
		vp_code undo = vp_aws_ec2_delete_tgw_route(b->aws, b->tgw->hub_table, rec->vpc_cidr,
							   NULL, &aerr);
		vp_broker_note_aws(b->metrics, "DeleteTransitGatewayRoute", undo, &aerr);
		if (undo != VP_OK) {
			vp_broker_aws_fail(&why, &aerr, "taking back a hub route");
			vp_log(VP_LOG_ERROR,
			       "confirm %s: namespace %lld: %s (the reconciler "
			       "removes it)",
			       request_id, (long long)rec->n, why.message);
		}
	}
	if (code == VP_OK)
		vp_crash_point("confirm.after_active");
	return code;
}

vp_code vp_broker_tgw_confirm_step(struct vp_broker *b, const struct vp_identity *caller, int64_t n,
				   const void *input, const char *request_id,
				   struct vp_namespace_record *rec, struct vp_error *err)
{
	const struct vp_confirm_request *req = input;
	struct vp_aws_tgw_attachment_list *list = NULL;
	const struct vp_aws_tgw_attachment *a = NULL;
	int64_t until = vp_clock_monotonic_ms() + VP_BROKER_CONFIRM_BUDGET_MS;
	vp_code code;

	if ((code = vp_ids_aws_id_check(req->vpc_id, "vpc", "vpc_id", err)) != VP_OK)
		return code;
	if (req->attachment_id[0] &&
	    (code = vp_ids_aws_id_check(req->attachment_id, "tgw-attach",
					"transit_gateway_attachment_id", err)) != VP_OK)
		return code;
	if (req->peering_id[0])
		return vp_fail(err, VP_ERR_INVALID,
			       "this hub attaches clients to transit gateway %s, not by peering: "
			       "give transit_gateway_attachment_id, not vpc_peering_connection_id",
			       b->tgw->tgw);
	if ((code = vp_broker_load(b, caller, n, rec, err)) != VP_OK ||
	    (code = vp_broker_check_principal(b, caller, rec, "confirm", err)) != VP_OK ||
	    (code = vp_broker_check_registration(rec, req->client_ref, VP_ERR_CONFLICT, "confirm",
						 err)) != VP_OK ||
	    (code = vp_broker_check_not_expired(b, rec, err)) != VP_OK)
		return code;
	if (rec->state == VP_NS_ACTIVE) {
		if (is(rec->vpc_id, req->vpc_id) &&
		    (!req->attachment_id[0] || is(rec->peering_id, req->attachment_id))) {
			vp_broker_hosted_zone_again(b, n, rec->vpc_id, b->hub_region, NULL,
						    request_id);
			return VP_OK; /* the same confirmation again */
		}
		return vp_fail(err, VP_ERR_CONFLICT,
			       "namespace %lld is active with attachment %s from VPC %s",
			       (long long)n, rec->peering_id, rec->vpc_id);
	}
	if (rec->state != VP_NS_PENDING)
		return vp_fail(err, VP_ERR_CONFLICT, "namespace %lld is %s, not pending",
			       (long long)n, vp_registry_state_name(rec->state));
	if ((code = find_attachment(b, rec, req, &list, &a, err)) != VP_OK)
		goto out;
	/* pendingAcceptance: the broker accepts it; accepted already (pending, available) only
	 * by an earlier try of this confirm, whose intent names it. */
	if (!is(a->state, "pendingAcceptance") &&
	    !((is(a->state, "pending") || is(a->state, "available") || is(a->state, "modifying")) &&
	      is(rec->peering_id, a->attachment_id))) {
		code = vp_fail(err, VP_ERR_CONFLICT,
			       "attachment %s is %s, not pendingAcceptance (create a new "
			       "attachment from the client's VPC; the broker accepts it)",
			       a->attachment_id, a->state ? a->state : "(no state)");
		goto out;
	}
	/* The intent first: what a crash below leaves is then attributable (reconciler). */
	code = vp_registry_set_intent(b->registry, n, a->attachment_id, req->vpc_id, request_id,
				      NULL, err);
	if (code != VP_OK)
		goto out;
	vp_crash_point("confirm.after_intent");
	code = join(b, req, a, until, request_id, rec, err);
out:
	vp_aws_tgw_attachment_list_free(list);
	return code;
}

vp_code vp_broker_tgw_remove_route(struct vp_broker *b, const struct vp_namespace_record *rec,
				   struct vp_error *err)
{
	char att[VP_AWS_ID_MAX + 1] = "", state[32] = "";
	bool found = false;
	struct vp_aws_error aerr;
	vp_code code = vp_broker_tgw_find_route(b, rec->vpc_cidr, &found, att, sizeof(att), state,
						sizeof(state), err);

	if (code != VP_OK || !found)
		return code;
	/* The broker's route for rec: to its attachment, or a blackhole (the attachment gone).
	 * A route to another attachment is not rec's to remove. */
	if (!(rec->peering_id[0] && is(att, rec->peering_id)) && !is(state, "blackhole"))
		return VP_OK;
	code = vp_aws_ec2_delete_tgw_route(b->aws, b->tgw->hub_table, rec->vpc_cidr, NULL, &aerr);
	vp_broker_note_aws(b->metrics, "DeleteTransitGatewayRoute", code, &aerr);
	if (code == VP_ERR_NOT_FOUND)
		return VP_OK;
	if (code != VP_OK)
		return vp_broker_aws_fail(err, &aerr, "removing a hub route");
	return VP_OK;
}

vp_code vp_broker_tgw_end_attachment(struct vp_broker *b, const struct vp_namespace_record *rec,
				     const char *request_id, struct vp_error *err)
{
	struct vp_aws_tgw_attachment_list *list = NULL;
	struct vp_aws_error aerr;
	const char *id = rec->peering_id, *action;
	char state[32];
	vp_code code;

	if (strncmp(id, "tgw-attach-", 11) != 0)
		return VP_OK; /* none recorded (never confirmed) */
	code = describe_one(b, id, &list, err);
	if (code == VP_ERR_NOT_FOUND)
		return VP_OK;
	if (code != VP_OK)
		return code;
	snprintf(state, sizeof(state), "%s", list->items[0].state ? list->items[0].state : "");
	vp_aws_tgw_attachment_list_free(list);
	if (gone(state))
		return VP_OK;
	if (is(state, "pendingAcceptance")) {
		action = "RejectTransitGatewayVpcAttachment";
		code = vp_aws_ec2_reject_tgw_vpc_attachment(b->aws, id, NULL, &aerr);
	} else {
		action = "DeleteTransitGatewayVpcAttachment";
		code = vp_aws_ec2_delete_tgw_vpc_attachment(b->aws, id, NULL, &aerr);
	}
	vp_broker_note_aws(b->metrics, action, code, &aerr);
	if (code == VP_ERR_NOT_FOUND)
		return VP_OK;
	if (code != VP_OK)
		return vp_broker_aws_fail(err, &aerr, "ending the attachment from the hub side");
	vp_log(VP_LOG_INFO, "release %s: namespace %lld: attachment %s %s", request_id,
	       (long long)rec->n, id, is(state, "pendingAcceptance") ? "rejected" : "deleted");
	return VP_OK;
}
