/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A hub peering's life as the broker sees it (accept.h): read it, check the
 * requester's CIDR set, accept it and wait until it is active, tag it, and end
 * it from the hub side at release. Shared by confirm.c and release.c.
 */
#include "broker/accept.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "aws/ec2.h"
#include "broker/tags.h"
#include "core/clock.h"
#include "core/log.h"

static bool is(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

vp_code vp_broker_describe_peering(struct vp_broker *b, const char *pcx,
				   struct vp_aws_ec2_peering_list **out, struct vp_error *err)
{
	const char *ids[] = {pcx};
	struct vp_aws_ec2_query q = {.ids = ids, .id_count = 1};
	struct vp_aws_error aerr;
	vp_code code = vp_aws_ec2_describe_vpc_peering_connections(b->aws, &q, out, &aerr);

	vp_broker_note_aws(b->metrics, "DescribeVpcPeeringConnections", code, &aerr);
	if (code == VP_ERR_NOT_FOUND || (code == VP_OK && (*out)->count == 0)) {
		if (code == VP_OK)
			vp_aws_ec2_peering_list_free(*out);
		*out = NULL;
		return vp_fail(err, VP_ERR_NOT_FOUND, "peering %s does not exist", pcx);
	}
	if (code != VP_OK) {
		*out = NULL;
		return vp_broker_aws_fail(err, &aerr, "reading the peering connection");
	}
	return VP_OK;
}

bool vp_broker_settle_pause(vp_code code, int64_t *delay_ms, int64_t until)
{
	if (code != VP_ERR_NOT_FOUND && code != VP_ERR_UNAVAILABLE)
		return false;
	if (vp_clock_monotonic_ms() + *delay_ms > until)
		return false;
	vp_clock_sleep_ms(*delay_ms); /* EC2 has no event to wait on */
	*delay_ms = *delay_ms * 2 > VP_BROKER_ACCEPT_POLL_MAX_MS / 2
			    ? VP_BROKER_ACCEPT_POLL_MAX_MS / 2
			    : *delay_ms * 2;
	return true;
}

vp_code vp_broker_describe_peering_settled(struct vp_broker *b, const char *pcx, int64_t until,
					   struct vp_aws_ec2_peering_list **out,
					   struct vp_error *err)
{
	int64_t delay = VP_BROKER_ACCEPT_POLL_MIN_MS;
	vp_code code;

	while ((code = vp_broker_describe_peering(b, pcx, out, err)) != VP_OK &&
	       vp_broker_settle_pause(code, &delay, until))
		;
	if (code == VP_ERR_NOT_FOUND)
		return vp_fail(
			err, VP_ERR_UNAVAILABLE,
			"peering %s is not known to EC2 (yet): an id created moments ago "
			"can take a while to show (EC2 eventual consistency); confirm again, "
			"and check the id if this persists",
			pcx);
	return code;
}

vp_code vp_broker_check_cidr_set(const struct vp_aws_ec2_peering *p,
				 const struct vp_namespace_record *rec, bool required,
				 struct vp_error *err)
{
	const struct vp_aws_ec2_vpc_info *r = &p->requester;
	const char *pcx = p->vpc_peering_connection_id ? p->vpc_peering_connection_id : "?";

	if (r->ipv6_cidr_block_count > 0)
		return vp_fail(err, VP_ERR_CONFLICT,
			       "peering %s's requester VPC has %zu IPv6 block(s); namespace %lld "
			       "allows exactly its IPv4 block %s (disassociate them)",
			       pcx, r->ipv6_cidr_block_count, (long long)rec->n, rec->vpc_cidr);
	if (r->cidr_block_count > 0) {
		for (size_t i = 0; i < r->cidr_block_count; i++)
			if (!is(r->cidr_blocks[i], rec->vpc_cidr))
				return vp_fail(err, VP_ERR_CONFLICT,
					       "peering %s's requester VPC has block %s; namespace "
					       "%lld allows exactly its block %s (disassociate "
					       "%s)",
					       pcx, r->cidr_blocks[i] ? r->cidr_blocks[i] : "?",
					       (long long)rec->n, rec->vpc_cidr,
					       r->cidr_blocks[i] ? r->cidr_blocks[i] : "it");
		return VP_OK;
	}
	/* No cidrBlockSet: the primary block alone, when there. */
	if (r->cidr_block) {
		if (!is(r->cidr_block, rec->vpc_cidr))
			return vp_fail(err, VP_ERR_CONFLICT,
				       "peering %s's requester VPC has CIDR %s, not namespace "
				       "%lld's %s",
				       pcx, r->cidr_block, (long long)rec->n, rec->vpc_cidr);
		return VP_OK;
	}
	if (required)
		return vp_fail(err, VP_ERR_CONFLICT,
			       "peering %s is active but EC2 shows no CIDR block of its requester "
			       "VPC: cannot check namespace %lld's block %s",
			       pcx, (long long)rec->n, rec->vpc_cidr);
	return VP_OK; /* before acceptance AWS does not say: checked again once active */
}

vp_code vp_broker_accept_peering(struct vp_broker *b, const char *pcx, struct vp_error *err)
{
	struct vp_aws_error aerr;
	vp_code code;

	code = vp_aws_ec2_accept_vpc_peering_connection(b->aws, pcx, NULL, &aerr);
	vp_broker_note_aws(b->metrics, "AcceptVpcPeeringConnection", code, &aerr);
	if (code == VP_ERR_NOT_FOUND)
		return vp_fail(err, VP_ERR_CONFLICT, "peering %s does not exist", pcx);
	if (code != VP_OK)
		return vp_broker_aws_fail(err, &aerr, "accepting the peering");
	return VP_OK;
}

vp_code vp_broker_wait_active(struct vp_broker *b, const char *pcx, int64_t until,
			      struct vp_aws_ec2_peering_list **active, struct vp_error *err)
{
	int64_t deadline = vp_clock_monotonic_ms() + b->accept_wait_ms;
	int64_t delay = VP_BROKER_ACCEPT_POLL_MIN_MS;
	vp_code code;

	*active = NULL;
	if (deadline > until)
		deadline = until;
	for (;;) {
		struct vp_aws_ec2_peering_list *now = NULL;
		const char *status;
		bool provisioning;

		code = vp_broker_describe_peering(b, pcx, &now, err);
		if (code == VP_ERR_NOT_FOUND)
			return vp_fail(err, VP_ERR_CONFLICT, "peering %s is gone once accepted",
				       pcx);
		if (code != VP_OK)
			return code;
		status = now->items[0].status_code;
		if (is(status, "active")) {
			*active = now;
			return VP_OK;
		}
		if (!is(status, "provisioning") && !is(status, "pending-acceptance") &&
		    !is(status, "initiating-request")) {
			code = vp_fail(
				err, VP_ERR_CONFLICT, "peering %s became %s once accepted%s%s", pcx,
				status ? status : "(no status)",
				now->items[0].status_message ? ": " : "",
				now->items[0].status_message ? now->items[0].status_message : "");
			vp_aws_ec2_peering_list_free(now);
			return code;
		}
		provisioning = is(status, "provisioning");
		vp_aws_ec2_peering_list_free(now);
		if (vp_clock_monotonic_ms() + delay > deadline)
			return vp_fail(
				err, VP_ERR_UNAVAILABLE,
				"in progress: peering %s was accepted and is %s, not active yet "
				"(--accept-wait %lld s, and at most %d s per request); confirm "
				"again "
				"(the same request) to finish",
				pcx, provisioning ? "provisioning" : "not active",
				(long long)(b->accept_wait_ms / 1000),
				VP_BROKER_CONFIRM_BUDGET_MS / 1000);
		vp_clock_sleep_ms(delay); /* polling EC2: it has no event to wait on */
		delay = delay * 2 > VP_BROKER_ACCEPT_POLL_MAX_MS ? VP_BROKER_ACCEPT_POLL_MAX_MS
								 : delay * 2;
	}
}

vp_code vp_broker_tag_peering(struct vp_broker *b, const struct vp_namespace_record *rec,
			      const char *pcx, struct vp_error *err)
{
	/* Copies: struct vp_aws_ec2_tag holds non-const strings. */
	char keys[5][24], values[5][VP_CLIENT_REF_MAX + 1];
	const char *pairs[5][2] = {{VP_TAG_REGISTRY, b->registry_id},
				   {VP_TAG_NAMESPACE, ""},
				   {VP_TAG_ACCOUNT, rec->account},
				   {VP_TAG_CLIENT_REF, rec->client_ref},
				   {VP_TAG_NAME, ""}};
	struct vp_aws_ec2_tag tags[5];
	struct vp_aws_error aerr;
	vp_code code;

	for (size_t i = 0; i < 5; i++) {
		snprintf(keys[i], sizeof(keys[i]), "%s", pairs[i][0]);
		snprintf(values[i], sizeof(values[i]), "%s", pairs[i][1]);
		tags[i] = (struct vp_aws_ec2_tag){keys[i], values[i]};
	}
	snprintf(values[1], sizeof(values[1]), "%lld", (long long)rec->n);
	snprintf(values[4], sizeof(values[4]), "vpcpeer-%lld", (long long)rec->n);
	code = vp_aws_ec2_create_tags(b->aws, pcx, tags, 5, &aerr);
	vp_broker_note_aws(b->metrics, "CreateTags", code, &aerr);
	if (code != VP_OK)
		return vp_broker_aws_fail(err, &aerr, "tagging the peering");
	return VP_OK;
}

vp_code vp_broker_end_peering(struct vp_broker *b, const struct vp_namespace_record *rec,
			      const char *request_id, struct vp_error *err)
{
	struct vp_aws_ec2_peering_list *list = NULL;
	const struct vp_aws_ec2_peering *p;
	struct vp_aws_error aerr;
	const char *action = NULL;
	vp_code code;

	if (!rec->peering_id[0])
		return VP_OK; /* never confirmed, or an old record: no peering to end */
	code = vp_broker_describe_peering(b, rec->peering_id, &list, err);
	if (code == VP_ERR_NOT_FOUND)
		return VP_OK;
	if (code != VP_OK)
		return code;
	p = &list->items[0];
	/* Only a peering into the hub VPC: the record's id was checked, this is a second look. */
	if (!is(p->accepter.vpc_id, b->hub_vpc)) {
		vp_log(VP_LOG_WARN,
		       "release %s: namespace %lld: peering %s goes to %s, not the hub "
		       "VPC: left as it is",
		       request_id, (long long)rec->n, rec->peering_id,
		       p->accepter.vpc_id ? p->accepter.vpc_id : "?");
	} else if (is(p->status_code, "active") || is(p->status_code, "provisioning")) {
		action = "DeleteVpcPeeringConnection";
		code = vp_aws_ec2_delete_vpc_peering_connection(b->aws, rec->peering_id, &aerr);
	} else if (is(p->status_code, "pending-acceptance")) {
		action = "RejectVpcPeeringConnection";
		code = vp_aws_ec2_reject_vpc_peering_connection(b->aws, rec->peering_id, &aerr);
	} /* deleted, rejected, expired, failed, deleting: already ended */
	vp_aws_ec2_peering_list_free(list);
	if (!action)
		return VP_OK;
	vp_broker_note_aws(b->metrics, action, code, &aerr);
	if (code == VP_ERR_NOT_FOUND)
		return VP_OK;
	if (code != VP_OK)
		return vp_broker_aws_fail(err, &aerr, "ending the namespace's peering");
	return VP_OK;
}
