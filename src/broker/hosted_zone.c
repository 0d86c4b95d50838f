/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The hub's private hosted zone (hosted_zone.h): authorize at confirm,
 * delete the authorization once associated, disassociate at release.
 */
#include "broker/hosted_zone.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/ec2.h"
#include "broker/accept.h"
#include "broker/internal.h"
#include "broker/outcome.h"
#include "core/log.h"

bool vp_broker_hosted_zone_on(const struct vp_broker *b)
{
	return b->hosted_zone[0] != '\0';
}

static vp_code get_zone(struct vp_broker *b, struct vp_aws_hosted_zone **out,
			struct vp_aws_error *aerr)
{
	vp_code code = vp_aws_route53_get_hosted_zone(b->aws, b->hosted_zone, out, aerr);

	vp_broker_note_aws(b->metrics, "GetHostedZone", code, aerr);
	return code;
}

vp_code vp_broker_hosted_zone_start(struct vp_broker *b, const char *zone, struct vp_error *err)
{
	struct vp_aws_hosted_zone *hz = NULL;
	struct vp_aws_error aerr;
	vp_code code;

	b->hosted_zone[0] = '\0';
	if (!zone || !zone[0])
		return VP_OK;
	if ((code = vp_aws_route53_zone_id(zone, b->hosted_zone, err)) != VP_OK) {
		b->hosted_zone[0] = '\0';
		vp_error_prefix(err, "--hosted-zone");
		return code;
	}
	code = get_zone(b, &hz, &aerr);
	if (code == VP_ERR_NOT_FOUND)
		code = vp_fail(err, VP_ERR_INVALID,
			       "--hosted-zone %s: no such hosted zone in the hub account %s; give "
			       "the id of a private hosted zone the hub account owns",
			       b->hosted_zone, b->hub_account);
	else if (code != VP_OK)
		code = vp_broker_aws_fail(err, &aerr, "reading the hosted zone (--hosted-zone)");
	else if (!hz->private_zone)
		code = vp_fail(
			err, VP_ERR_INVALID,
			"--hosted-zone %s (%s) is a public hosted zone; give a private hosted "
			"zone associated with the hub VPC %s",
			b->hosted_zone, hz->name ? hz->name : "?", b->hub_vpc);
	else if (!vp_aws_route53_vpcs_has(&hz->vpcs, b->hub_region, b->hub_vpc))
		code = vp_fail(err, VP_ERR_INVALID,
			       "--hosted-zone %s (%s) is not associated with the hub VPC %s in %s; "
			       "associate it first (aws route53 associate-vpc-with-hosted-zone "
			       "--hosted-zone-id %s --vpc VPCRegion=%s,VPCId=%s)",
			       b->hosted_zone, hz->name ? hz->name : "?", b->hub_vpc, b->hub_region,
			       b->hosted_zone, b->hub_region, b->hub_vpc);
	if (code == VP_OK)
		vp_log(VP_LOG_INFO,
		       "broker: private hosted zone %s (%s): client VPCs are authorized "
		       "to associate at confirm",
		       b->hosted_zone, hz->name ? hz->name : "?");
	else
		b->hosted_zone[0] = '\0';
	vp_aws_hosted_zone_free(hz);
	return code;
}

vp_code vp_broker_hosted_zone_call(struct vp_broker *b, enum vp_aws_route53_op op,
				   const char *vpc_region, const char *vpc_id, struct vp_error *err)
{
	struct vp_aws_error aerr;
	char what[160];
	vp_code code =
		vp_aws_route53_vpc_call(b->aws, op, b->hosted_zone, vpc_region, vpc_id, &aerr);

	vp_broker_note_aws(b->metrics, vp_aws_route53_action(op), code, &aerr);
	/* Deleting what is already gone: the state wanted (idempotent release and retries). */
	if (code == VP_ERR_NOT_FOUND && strcmp(aerr.code, "NoSuchHostedZone") != 0 &&
	    (op == VP_R53_DELETE_AUTHORIZATION || op == VP_R53_DISASSOCIATE))
		return VP_OK;
	if (code == VP_OK)
		return VP_OK;
	snprintf(what, sizeof(what), "%s for VPC %s on hosted zone %s", vp_aws_route53_action(op),
		 vpc_id, b->hosted_zone);
	return vp_broker_aws_fail(err, &aerr, what);
}

/* The region of the requester side of pcx (the client's VPC), else the hub's. */
static void client_region(struct vp_broker *b, const char *pcx, char *out, size_t size)
{
	struct vp_aws_ec2_peering_list *l = NULL;
	struct vp_error e;

	snprintf(out, size, "%s", b->hub_region);
	if (pcx && pcx[0] && vp_broker_describe_peering(b, pcx, &l, &e) == VP_OK && l->count &&
	    l->items[0].requester.region && l->items[0].requester.region[0])
		snprintf(out, size, "%s", l->items[0].requester.region);
	vp_aws_ec2_peering_list_free(l);
}

vp_code vp_broker_hosted_zone_join(struct vp_broker *b, const char *vpc_id, const char *vpc_region,
				   const char *peering_id, struct vp_error *err)
{
	struct vp_aws_hosted_zone *hz = NULL;
	struct vp_aws_error aerr;
	char region[64];
	vp_code code;

	if (!vp_broker_hosted_zone_on(b) || !vpc_id || !vpc_id[0])
		return VP_OK;
	if ((code = get_zone(b, &hz, &aerr)) != VP_OK)
		return vp_broker_aws_fail(err, &aerr, "reading the hub's hosted zone");
	if (vpc_region && vpc_region[0])
		snprintf(region, sizeof(region), "%s", vpc_region);
	else
		client_region(b, peering_id, region, sizeof(region));
	if (vp_aws_route53_vpcs_has(&hz->vpcs, NULL, vpc_id))
		/* associated: the authorization has done its work (AWS recommends deleting it) */
		code = vp_broker_hosted_zone_call(b, VP_R53_DELETE_AUTHORIZATION, region, vpc_id,
						  err);
	else
		code = vp_broker_hosted_zone_call(b, VP_R53_CREATE_AUTHORIZATION, region, vpc_id,
						  err);
	vp_aws_hosted_zone_free(hz);
	return code;
}

void vp_broker_hosted_zone_again(struct vp_broker *b, int64_t n, const char *vpc_id,
				 const char *vpc_region, const char *peering_id,
				 const char *request_id)
{
	struct vp_error err;

	if (vp_broker_hosted_zone_join(b, vpc_id, vpc_region, peering_id, &err) != VP_OK)
		vp_log(VP_LOG_WARN, "confirm %s: namespace %lld: %s (the reconciler retries)",
		       request_id, (long long)n, err.message);
}

/* The region the list gives vpc_id (NULL: not in it). */
static const char *region_in(const struct vp_aws_route53_vpcs *l, const char *vpc_id)
{
	for (size_t i = 0; l && i < l->count; i++)
		if (l->items[i].vpc_id && strcmp(l->items[i].vpc_id, vpc_id) == 0)
			return l->items[i].region;
	return NULL;
}

vp_code vp_broker_hosted_zone_leave(struct vp_broker *b, const char *vpc_id, struct vp_error *err)
{
	struct vp_aws_route53_vpcs *assoc = NULL, *auth = NULL;
	const char *region;
	vp_code code;

	if (!vp_broker_hosted_zone_on(b) || !vpc_id || !vpc_id[0])
		return VP_OK;
	if ((code = vp_broker_hosted_zone_read(b, &assoc, &auth, err)) != VP_OK)
		return code;
	/* The zone's owner may disassociate a VPC another account created (route53.py
	 * [R53-DISASSOC]); never the hub VPC itself. */
	if ((region = region_in(assoc, vpc_id)) && strcmp(vpc_id, b->hub_vpc) != 0)
		code = vp_broker_hosted_zone_call(b, VP_R53_DISASSOCIATE, region, vpc_id, err);
	if (code == VP_OK && (region = region_in(auth, vpc_id)))
		code = vp_broker_hosted_zone_call(b, VP_R53_DELETE_AUTHORIZATION, region, vpc_id,
						  err);
	vp_aws_route53_vpcs_free(assoc);
	vp_aws_route53_vpcs_free(auth);
	return code;
}

vp_code vp_broker_hosted_zone_read(struct vp_broker *b, struct vp_aws_route53_vpcs **associated,
				   struct vp_aws_route53_vpcs **authorized, struct vp_error *err)
{
	struct vp_aws_hosted_zone *hz = NULL;
	struct vp_aws_error aerr;
	vp_code code;

	*associated = NULL;
	*authorized = NULL;
	if ((code = get_zone(b, &hz, &aerr)) != VP_OK)
		return vp_broker_aws_fail(err, &aerr, "reading the hub's hosted zone");
	code = vp_aws_route53_list_authorizations(b->aws, b->hosted_zone, authorized, &aerr);
	vp_broker_note_aws(b->metrics, "ListVPCAssociationAuthorizations", code, &aerr);
	if (code != VP_OK) {
		vp_aws_hosted_zone_free(hz);
		return vp_broker_aws_fail(err, &aerr, "listing the hosted zone's authorizations");
	}
	*associated = malloc(sizeof(**associated));
	if (!*associated) {
		vp_aws_hosted_zone_free(hz);
		vp_aws_route53_vpcs_free(*authorized);
		*authorized = NULL;
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	}
	**associated = hz->vpcs; /* taken over */
	hz->vpcs.items = NULL;
	hz->vpcs.count = 0;
	vp_aws_hosted_zone_free(hz);
	return VP_OK;
}
