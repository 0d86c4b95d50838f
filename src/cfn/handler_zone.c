/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The hub's private hosted zone, from the client's side (issue 19; the
 * broker's side is src/broker/hosted_zone.h). When the confirm answer names a
 * zone (HostedZoneId), the broker has authorized this VPC; the handler then
 * associates it from the client's account with the function's own
 * credentials (AssociateVPCWithHostedZone: "the account that created the VPC
 * must submit an AssociateVPCWithHostedZone request",
 * https://docs.aws.amazon.com/Route53/latest/APIReference/API_AssociateVPCWithHostedZone.html)
 * and calls the same confirm again, on which the broker deletes the
 * authorization (AWS recommends it). On the registration's Delete it
 * disassociates the VPC before the release, best effort: the VPC's owner may
 * ("either the account that created the hosted zone or the account that
 * created the Amazon VPC",
 * https://docs.aws.amazon.com/Route53/latest/APIReference/API_DisassociateVPCFromHostedZone.html),
 * and the broker does it at release anyway.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "aws/client.h"
#include "aws/error.h"
#include "aws/route53.h"
#include "cfn/handler_internal.h"
#include "core/log.h"

/* The region of the function (and so of the client's VPC: the stack's). */
static const char *vpc_region(const struct vp_cfn_job *j)
{
	const char *r = vp_aws_client_region(j->cfg->aws);

	return r && r[0] ? r : "us-east-1";
}

bool vp_cfn_zone_join(struct vp_cfn_job *j, const struct vp_cfn_confirmation_props *p,
		      const json_t *ns, const char *path, const char *body)
{
	const char *zone = json_string_value(json_object_get(ns, "HostedZoneId"));
	struct vp_broker_response resp;
	struct vp_aws_error aerr;
	struct vp_error err;
	vp_code code;

	if (!zone || !zone[0])
		return true;
	code = vp_aws_route53_vpc_call(j->cfg->aws, VP_R53_ASSOCIATE, zone, vpc_region(j),
				       p->vpc_id, &aerr);
	/* Associated already (a retried or updated confirmation): the state wanted. */
	if (code == VP_ERR_CONFLICT && strcmp(aerr.code, "ConflictingDomainExists") == 0)
		code = VP_OK;
	if (code != VP_OK) {
		vp_cfn_job_fail(j,
				"associating VPC %s with the hub's private hosted zone %s "
				"(AssociateVPCWithHostedZone, from this account): %s; the "
				"function's role needs route53:AssociateVPCWithHostedZone and "
				"ec2:DescribeVpcs",
				p->vpc_id, zone, aerr.error.message);
		return false;
	}
	/* The same confirm again: the broker deletes the authorization now used. */
	vp_broker_response_init(&resp);
	if (vp_cfn_job_broker_call(j, &p->broker, "POST", path, body, &resp, &err) != VP_OK)
		vp_log(VP_LOG_WARN,
		       "cfn: confirm again after the zone association: %s "
		       "(the broker's reconciler deletes the authorization)",
		       err.message);
	else if (resp.status != 200)
		vp_log(VP_LOG_WARN, "cfn: confirm again after the zone association: HTTP %ld",
		       resp.status);
	vp_broker_response_cleanup(&resp);
	return true;
}

void vp_cfn_zone_leave(struct vp_cfn_job *j, const json_t *ns)
{
	const char *zone = json_string_value(json_object_get(ns, "HostedZoneId"));
	const char *vpc = json_string_value(json_object_get(ns, "VpcId"));
	struct vp_aws_error aerr;
	vp_code code;

	if (!zone || !zone[0] || !vpc || !vpc[0])
		return;
	code = vp_aws_route53_vpc_call(j->cfg->aws, VP_R53_DISASSOCIATE, zone, vpc_region(j), vpc,
				       &aerr);
	if (code != VP_OK && code != VP_ERR_NOT_FOUND)
		vp_log(VP_LOG_WARN,
		       "cfn: namespace %" PRId64 ": disassociating VPC %s from hosted zone %s: %s "
		       "(the broker disassociates it at release)",
		       j->namespace_id, vpc, zone, aerr.error.message);
}
